/*
 * scan_rx.c - a detector's pcre2 pattern run only where the one
 * Hyperscan pass found its anchor, instead of over the whole text: a
 * pass per pattern over every message was most of the engine's time.
 */
#include <limits.h>
#include <stdlib.h>
#include "sg_detector.h"
#include "sg_text.h"

/* How far before an anchor's end a match may start (the longest match the
 * built-in patterns make), and how far after it a look-ahead may read. */
#define SG_ANCHOR_BEFORE 512
#define SG_ANCHOR_AFTER 64

unsigned sg_anchor_register(struct sg_matcher *m, const char *pattern)
{
    unsigned id = sg_matcher_add_anchor(m, pattern);
    return id == UINT_MAX ? 0 : id + 1;
}

int sg_scan_rx(const struct sg_scan *scan, const struct sg_rx *rx, unsigned anchor,
               int (*fn)(const char *m, size_t mlen, void *ctx), void *ctx)
{
    if (!rx)
        return 0;
    if (!anchor || scan->matches_capped || !scan->pattern_hits)
        return sg_rx_each(rx, scan->text, scan->text_len, fn, ctx);
    unsigned id = anchor - 1;
    if (!scan->pattern_hits[id])
        return 0;
    size_t n = 0;
    for (size_t i = 0; i < scan->nmatches; i++)
        n += scan->matches[i].id == id;
    size_t *ends = sg_xmalloc((n ? n : 1) * sizeof(*ends));
    size_t k = 0;
    /* By start, and an anchor's start is its end less one: ascending. */
    for (size_t i = 0; i < scan->nmatches; i++)
        if (scan->matches[i].id == id)
            ends[k++] = scan->matches[i].end;
    int rc = sg_rx_each_near(rx, scan->text, scan->text_len, ends, k, SG_ANCHOR_BEFORE, SG_ANCHOR_AFTER, fn,
                             ctx);
    free(ends);
    return rc;
}

void sg_anchor_register_all(struct sg_matcher *m, const char *const *patterns, size_t n, unsigned *anchors)
{
    for (size_t i = 0; i < n; i++)
        anchors[i] = sg_anchor_register(m, patterns[i]);
}

int sg_scan_rx_each_of(const struct sg_scan *scan, struct sg_rx *const *rx, const unsigned *anchors, size_t n,
                       int (*fn)(const char *m, size_t mlen, void *ctx), void *ctx)
{
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++)
        rc = sg_scan_rx(scan, rx[i], anchors[i], fn, ctx);
    return rc;
}
