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
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sg_detector.h"
#include "sg_text.h"

struct phrases {
    char **phrases;
    unsigned *ids;
    size_t n;
};

static void read_list_file(struct sg_cfg *cfg, yaml_node_t *node, const char *name, struct phrases *ph)
{
    char *path = sg_cfg_path(cfg, name);
    FILE *fp = fopen(path, "r");
    if (!fp) {
        sg_cfg_error(cfg, node, "cannot open phrase list %s: %s", path, strerror(errno));
        free(path);
        return;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, fp)) > 0) {
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' '))
            line[--len] = '\0';
        char *s = line;
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s && *s != '#')
            ph->phrases = sg_strv_push(ph->phrases, s);
    }
    free(line);
    fclose(fp);
    free(path);
}

static void *phrases_parse(struct sg_cfg *cfg, yaml_node_t *node)
{
    struct phrases *ph = sg_xcalloc(1, sizeof(*ph));
    ph->phrases = sg_xcalloc(1, sizeof(char *));
    if (node && node->type == YAML_MAPPING_NODE) {
        for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; p++) {
            yaml_node_t *key = sg_cfg_node(cfg, p->key);
            yaml_node_t *val = sg_cfg_node(cfg, p->value);
            const char *k = sg_cfg_scalar(cfg, key, "a key");
            if (!k)
                continue;
            yaml_node_t **nodes;
            char **items = sg_cfg_strlist(cfg, val, k, &nodes);
            if (!strcmp(k, "list")) {
                for (size_t i = 0; items[i]; i++)
                    ph->phrases = sg_strv_push(ph->phrases, items[i]);
            } else if (!strcmp(k, "files")) {
                for (size_t i = 0; items[i]; i++)
                    read_list_file(cfg, nodes[i], items[i], ph);
            } else {
                sg_cfg_error(cfg, key, "unknown key \"%s\" in phrases (list, files)", k);
            }
            sg_strv_free(items);
            free(nodes);
        }
    } else {
        sg_strv_free(ph->phrases);
        ph->phrases = sg_cfg_strlist(cfg, node, "phrases", NULL);
    }
    ph->n = sg_strv_len(ph->phrases);
    for (size_t i = 0; i < ph->n; i++)
        if (!ph->phrases[i][strspn(ph->phrases[i], " \t")])
            sg_cfg_error(cfg, node, "phrases: entry %zu is empty", i + 1);
    if (ph->n == 0)
        sg_cfg_error(cfg, node, "phrases: the list is empty");
    return ph;
}

static bool phrases_compile(void *state, struct sg_matcher *m, struct sg_cfg *cfg)
{
    struct phrases *ph = state;
    ph->ids = sg_xcalloc(ph->n, sizeof(*ph->ids));
    for (size_t i = 0; i < ph->n; i++)
        ph->ids[i] = sg_matcher_add_phrase(m, ph->phrases[i]);
    return true;
}

static int phrases_scan(const void *state, const struct sg_scan *scan, struct sg_finding *out)
{
    const struct phrases *ph = state;
    size_t found = 0;
    for (size_t i = 0; i < ph->n; i++) {
        if (!scan->pattern_hits || !scan->pattern_hits[ph->ids[i]])
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
    sg_strv_free(ph->phrases);
    free(ph->ids);
    free(ph);
}

const struct sg_detector sg_detect_phrases = {
    .key = "phrases",
    .doc = "Any of these words or phrases (case-insensitive, whole words; \"-\" and space alike).",
    .needs_text = true,
    .parse = phrases_parse,
    .compile = phrases_compile,
    .scan = phrases_scan,
    .free = phrases_free,
};
