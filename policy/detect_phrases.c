/*
 * detect_phrases.c - "match: phrases:": any of a list of words or phrases,
 * on word boundaries, after normalisation. The lists go into the shared
 * Hyperscan database; scanning here is only a look-up of pattern ids.
 *
 *   phrases: [child protection plan, section 47]
 *   phrases: {list: [...], files: [lists/offensive.txt]}
 *
 * List files hold one phrase a line; blank lines and "#" comments skipped.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sg_detector.h"
#include "sg_listfile.h"
#include "sg_schema.h"
#include "sg_text.h"

struct phrases {
    char **phrases;
    unsigned *ids;
    size_t n, cap;
    bool quoted;                 /* reply history counts too */
};

static void add(struct phrases *ph, const char *s)
{
    /* Doubling: list files hold many thousands of lines. */
    if (ph->n + 1 >= ph->cap) {
        ph->cap = ph->cap ? ph->cap * 2 : 16;
        ph->phrases = sg_xrealloc(ph->phrases, ph->cap * sizeof(char *));
    }
    ph->phrases[ph->n++] = sg_xstrdup(s);
    ph->phrases[ph->n] = NULL;
}

/* A phrase must keep a letter or digit after normalisation: one of only
 * punctuation and spaces would match (nearly) everywhere. */
static const char *phrase_problem(const char *s)
{
    if (!s[strspn(s, " \t")])
        return "is empty";
    struct sg_buf norm = {0};
    bool ok = sg_text_normalise(s, strlen(s), &norm);
    bool word = false;
    for (size_t i = 0; ok && i < norm.len && !word; i++) {
        unsigned char c = (unsigned char)norm.data[i];
        word = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
    }
    sg_buf_free(&norm);
    if (!ok)
        return "cannot be read as text";
    return word ? NULL : "has no letters or digits, so it would match almost any message";
}

static void on_list_line(struct sg_cfg *cfg, const char *path, unsigned line, unsigned col, const char *s,
                         void *ctx)
{
    const char *why = phrase_problem(s);
    if (why)
        sg_cfg_error_file(cfg, path, line, col, "phrase \"%s\" %s", s, why);
    else
        add(ctx, s);
}

static void parse_list(struct sg_cfg *cfg, yaml_node_t *node, void *field)
{
    struct phrases *ph = field;
    if (!sg_cfg_count_phrases(cfg, node, node->type == YAML_SEQUENCE_NODE
                              ? (size_t)(node->data.sequence.items.top - node->data.sequence.items.start) : 1))
        return;
    yaml_node_t **nodes;
    char **items = sg_cfg_strlist(cfg, node, "phrases", &nodes);
    for (size_t i = 0; items[i]; i++) {
        const char *why = phrase_problem(items[i]);
        if (why)
            sg_cfg_error(cfg, nodes[i], "phrase \"%s\" %s", items[i], why);
        else
            add(ph, items[i]);
    }
    sg_strv_free(items);
    free(nodes);
}

static void parse_files(struct sg_cfg *cfg, yaml_node_t *node, void *field)
{
    yaml_node_t **nodes;
    char **items = sg_cfg_strlist(cfg, node, "files", &nodes);
    for (size_t i = 0; items[i]; i++)
        sg_listfile_read(cfg, nodes[i], items[i], on_list_line, field);
    sg_strv_free(items);
    free(nodes);
}

/* list and files have offset 0: both fill the one phrase list. */
static const struct sg_cfg_key phrases_keys[] = {
    {.key = "list", .type = SG_CFG_CUSTOM, .custom = parse_list, .shape = "list",
     .doc = "Phrases written in the policy."},
    {.key = "files", .type = SG_CFG_CUSTOM, .custom = parse_files, .shape = "list of paths",
     .doc = "Files of one phrase a line (blank lines and `#` comments skipped), relative to the policy file; "
            "a change to one reloads the policy like a change to the policy file."},
    {.key = "quoted", .type = SG_CFG_BOOL, .offset = offsetof(struct phrases, quoted), .def = "false",
     .doc = "Count reply history too (the words of the person replied to); by default only what the member "
            "of staff wrote, forwarded or attached counts."},
    {.key = NULL},
};

static void *phrases_parse(struct sg_cfg *cfg, yaml_node_t *node)
{
    struct phrases *ph = sg_xcalloc(1, sizeof(*ph));
    if (node && node->type == YAML_MAPPING_NODE) {
        sg_cfg_apply_table(cfg, node, phrases_keys, ph, "phrases");
    } else if (node && (node->type == YAML_SEQUENCE_NODE || node->type == YAML_SCALAR_NODE)) {
        parse_list(cfg, node, ph);
    } else {
        sg_cfg_error(cfg, node, "phrases must be a list, or {list: [...], files: [...]}");
    }
    if (ph->n == 0 && !cfg->phrases_capped)
        sg_cfg_error(cfg, node, "phrases: the list is empty");
    return ph;
}

static bool phrases_compile(void *state, struct sg_matcher *m, struct sg_cfg *cfg)
{
    (void)cfg;
    struct phrases *ph = state;
    ph->ids = sg_xcalloc(ph->n ? ph->n : 1, sizeof(*ph->ids));
    for (size_t i = 0; i < ph->n; i++)
        ph->ids[i] = sg_matcher_add_phrase(m, ph->phrases[i]);
    return true;
}

static int phrases_scan(const void *state, const struct sg_scan *scan, struct sg_finding *out)
{
    const struct phrases *ph = state;
    size_t found = 0;
    const unsigned char *seen = ph->quoted || !scan->own_hits ? scan->pattern_hits : scan->own_hits;
    for (size_t i = 0; i < ph->n; i++) {
        if (!seen || !seen[ph->ids[i]])
            continue;
        if (found < 3)
            sg_buf_printf(&out->evidence, "%sphrase \"%s\"", found ? ", " : "",
                          sg_matcher_phrase(scan->policy->matcher, ph->ids[i]));
        found++;
    }
    if (found > 3)
        sg_buf_printf(&out->evidence, " and %zu more", found - 3);
    return found > 0;
}

static void phrases_free(void *state)
{
    struct phrases *ph = state;
    for (size_t i = 0; i < ph->n; i++)
        free(ph->phrases[i]);
    free(ph->phrases);
    free(ph->ids);
    free(ph);
}

const struct sg_detector sg_detect_phrases = {
    .key = "phrases",
    .options = phrases_keys,
    .doc = "Any of these words or phrases (case-insensitive, whole words; \"-\" and space alike).",
    .needs_text = true,
    .parse = phrases_parse,
    .compile = phrases_compile,
    .scan = phrases_scan,
    .free = phrases_free,
};
