/*
 * sg_text.h - text normalisation and the multi-pattern matcher.
 *
 * All content rules look at one normalised copy of the message text, so a
 * fancy apostrophe, a zero-width space or a capital letter cannot slip a
 * phrase past a rule. The matcher holds every phrase of every rule in one
 * Hyperscan database, scanned once per message; pcre2 JIT serves the
 * free-form regexes.
 */
#ifndef SG_TEXT_H
#define SG_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include "sg_util.h"

/* NFKC, case fold, strip marks and default-ignorables, fold runs of
 * white space to one space. Invalid UTF-8 bytes become U+FFFD first.
 * Appends to out; returns false only on allocation failure. */
bool sg_text_normalise(const char *in, size_t len, struct sg_buf *out);

struct sg_matcher;

/* One phrase occurrence found by the matcher, as offsets in the text. */
struct sg_match {
    unsigned id;                 /* matcher pattern id */
    size_t start, end;
};

struct sg_matcher *sg_matcher_new(void);
/* Adds a phrase (matched on word boundaries, after normalisation);
 * returns its pattern id. */
unsigned sg_matcher_add_phrase(struct sg_matcher *m, const char *phrase);
/* Adds a regex (caseless, UTF-8) to the same database, so it costs no
 * pass of its own; UINT_MAX when Hyperscan cannot express it (the caller
 * keeps its pcre2 version). Its text is "re:<pattern>" for evidence. */
unsigned sg_matcher_add_regex(struct sg_matcher *m, const char *pattern);
/* Adds a detector's own pcre2 pattern (or a looser one that finds every
 * match of it) as an anchor: scanned on the normalised text as it is,
 * without lookalike folding, in the same pass; its hits are placed at
 * their ends. UINT_MAX when Hyperscan cannot read it even as a
 * prefilter. sg_scan_rx() then runs the pcre2 pattern only near them. */
unsigned sg_matcher_add_anchor(struct sg_matcher *m, const char *pattern);
/* True when id's regex went in as a Hyperscan prefilter (look-around it
 * cannot express): its hits are candidates, to be confirmed with pcre2
 * around the reported end. */
bool sg_matcher_is_prefilter(const struct sg_matcher *m, unsigned id);
/* Compiles every pattern; false with err filled (naming the phrase). */
bool sg_matcher_compile(struct sg_matcher *m, char *err, size_t errlen);
unsigned sg_matcher_count(const struct sg_matcher *m);
const char *sg_matcher_phrase(const struct sg_matcher *m, unsigned id);
/* Scans text once; hits[id] = 1 for each pattern seen. hits has
 * sg_matcher_count() entries. Returns false on scanner failure. */
bool sg_matcher_scan(const struct sg_matcher *m, const char *text, size_t len,
                     unsigned char *hits);
/* The same, also listing every occurrence, sorted by start, in *out
 * (malloc'd; at most max, *capped set when there were more). Letters
 * written as lookalikes between letters ("sh1t", "c@t") and words spelt
 * out letter by letter ("f u c k", "s.e.x") are found too. */
bool sg_matcher_scan_all(const struct sg_matcher *m, const char *text, size_t len, unsigned char *hits,
                         struct sg_match **out, size_t *nout, size_t max, bool *capped);
void sg_matcher_free(struct sg_matcher *m);

/* pcre2 JIT for the patterns Hyperscan does not serve: UTF-8, caseless,
 * with a bounded match budget. */
struct sg_rx;
struct sg_rx *sg_rx_new(const char *pattern, char *err, size_t errlen, size_t *erroff);
/* Calls fn for each match (start, length) until fn returns non-zero;
 * returns that value, 0 when the text is done, -1 on a matcher error. */
int sg_rx_each(const struct sg_rx *rx, const char *text, size_t len,
               int (*fn)(const char *m, size_t mlen, void *ctx), void *ctx);
/* The same, over stretches of text around anchors (offsets, ascending):
 * from `before` bytes before each to `after` bytes past it, overlapping
 * stretches joined, each run to the next space so no word is cut. Text
 * before a stretch still serves look-behinds. */
int sg_rx_each_near(const struct sg_rx *rx, const char *text, size_t len, const size_t *anchors, size_t n,
                    size_t before, size_t after, int (*fn)(const char *m, size_t mlen, void *ctx), void *ctx);
void sg_rx_free(struct sg_rx *rx);
/* Whether a match, depth or JIT stack budget ran out in this thread since
 * the last call (and clears it): the engine makes that a limit hit. */
bool sg_rx_limit_take(void);
/* sg_rx_each over n patterns in turn, stopping at the first non-zero. */
int sg_rx_each_of(struct sg_rx *const *rx, size_t n, const char *text, size_t len,
                  int (*fn)(const char *m, size_t mlen, void *ctx), void *ctx);
/* Appends label "matched words" to b, cut to at most max bytes on a
 * character edge: evidence quotes a few words, never a sentence. */
void sg_evidence_quote(struct sg_buf *b, const char *label, const char *m, size_t len, size_t max);

#endif
