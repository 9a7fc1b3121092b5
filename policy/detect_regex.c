/*
 * detect_regex.c - "match: regex:": free-form pcre2 patterns, JIT-compiled
 * once per snapshot, run over the normalised (case-folded) text.
 *
 *   regex: ['\b(press|media)\s+enquiry\b']
 *
 * A bad pattern is reported at its own line:col plus pcre2's offset.
 * Matches in reply history (the words of the person replied to) do not
 * count, as for phrases.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sg_detector.h"
#include "sg_text.h"

struct regexes {
    struct sg_rx **rx;
    size_t n;
};

static void *regex_parse(struct sg_cfg *cfg, yaml_node_t *node)
{
    struct regexes *r = sg_xcalloc(1, sizeof(*r));
    yaml_node_t **nodes;
    char **sources = sg_cfg_strlist(cfg, node, "regex", &nodes);
    r->rx = sg_xcalloc(sg_strv_len(sources) + 1, sizeof(*r->rx));
    for (size_t i = 0; sources[i]; i++) {
        char err[256];
        size_t off = 0;
        struct sg_rx *rx = sg_rx_new(sources[i], err, sizeof(err), &off);
        if (!rx)
            sg_cfg_error(cfg, nodes[i], "bad regex at offset %zu: %s", off, err);
        else
            r->rx[r->n++] = rx;
    }
    if (!sources[0])
        sg_cfg_error(cfg, node, "regex: the list is empty");
    sg_strv_free(sources);
    free(nodes);
    return r;
}

struct first {
    struct sg_buf *ev;
    size_t index;
    const struct sg_scan *scan;
};

static int record(const char *m, size_t len, void *ctx)
{
    struct first *f = ctx;
    if (sg_scan_quoted(f->scan, (size_t)(m - f->scan->text)))
        return 0;
    char label[32];
    snprintf(label, sizeof(label), "pattern %zu", f->index + 1);
    sg_evidence_quote(f->ev, label, m, len, 60);
    sg_buf_puts(f->ev, " ");
    sg_scan_where(f->scan, (size_t)(m - f->scan->text), f->ev);
    return 1;
}

static int regex_scan(const void *state, const struct sg_scan *scan, struct sg_finding *out)
{
    const struct regexes *r = state;
    for (size_t i = 0; i < r->n; i++) {
        struct first f = {&out->evidence, i, scan};
        int rc = sg_rx_each(r->rx[i], scan->text, scan->text_len, record, &f);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static void regex_free(void *state)
{
    struct regexes *r = state;
    for (size_t i = 0; i < r->n; i++)
        sg_rx_free(r->rx[i]);
    free(r->rx);
    free(r);
}

const struct sg_detector sg_detect_regex = {
    .key = "regex",
    .doc = "Any of these pcre2 patterns, over the normalised (lower-case) text.",
    .needs_text = true,
    .parse = regex_parse,
    .compile = NULL,
    .scan = regex_scan,
    .free = regex_free,
};
