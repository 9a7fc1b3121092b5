/*
 * matcher.c - every rule's phrases in one Hyperscan database, as literals.
 *
 * One pass over the normalised text answers "which phrases occur" for all
 * rules at once (the rspamd multipattern idea). Scratch space is pooled
 * per database, so threads never share one and a swapped-out snapshot
 * frees its own.
 */
#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <glib.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <hs/hs.h>
#include "sg_text.h"
#include "hscache.h"
#include "rxlit.h"

struct sg_matcher {
    char **phrases;              /* normalised, as given */
    unsigned count, cap;
    GHashTable *index;           /* literal -> id + 1: loading stays linear */
    /* Hyperscan expressions: one or two literals per phrase. */
    char **exprs;
    unsigned *expr_id;
    unsigned *expr_len;          /* bytes the literal spans in the text */
    unsigned char *expr_edges;   /* 1 = needs a word edge before, 2 = after, 4 = a regex,
                                  * 8 = a prefilter (hits to be confirmed),
                                  * 16 = an anchor (scanned on the text as it is) */
    unsigned nexprs, expr_cap;
    hs_database_t *db;
    hs_database_t *anchor_db;    /* detectors' anchors: the unfolded text */
    hs_scratch_t *proto;
    pthread_mutex_t pool_lock;
    hs_scratch_t **pool;
    size_t npool, pool_cap;
};

struct sg_matcher *sg_matcher_new(void)
{
    struct sg_matcher *m = sg_xcalloc(1, sizeof(*m));
    pthread_mutex_init(&m->pool_lock, NULL);
    m->index = g_hash_table_new_full(g_str_hash, g_str_equal, free, NULL);
    return m;
}

/* Arithmetic, not isalnum(): this runs for every byte of every message. */
static inline bool is_word_byte(unsigned char c)
{
    return (unsigned)((c | 0x20) - 'a') < 26 || (unsigned)(c - '0') < 10 || c == '_' || c >= 0x80;
}

/* Grows the expression arrays by one slot; returns its index. */
static unsigned expr_slot(struct sg_matcher *m)
{
    if (m->nexprs == m->expr_cap) {
        m->expr_cap = m->expr_cap ? m->expr_cap * 2 : 64;
        m->exprs = sg_xrealloc(m->exprs, m->expr_cap * sizeof(*m->exprs));
        m->expr_id = sg_xrealloc(m->expr_id, m->expr_cap * sizeof(*m->expr_id));
        m->expr_len = sg_xrealloc(m->expr_len, m->expr_cap * sizeof(*m->expr_len));
        m->expr_edges = sg_xrealloc(m->expr_edges, m->expr_cap * sizeof(*m->expr_edges));
    }
    return m->nexprs++;
}

/* Phrases are plain literals for Hyperscan, which compiles tens of
 * thousands of literals in about a second; with \b and [ -]? in every
 * expression ten thousand phrases took a minute. Word edges are checked
 * in the match callback instead, and "-" is read as a space on both
 * sides (the scanned copy of the text has its hyphens turned to spaces),
 * so "fixed-term" still finds "fixed term"; a second literal without the
 * separators finds "fixedterm"-style spellings ("e-mail", "email"). */
static void add_literal(struct sg_matcher *m, const char *lit, unsigned id, unsigned char edges)
{
    size_t n = strlen(lit);
    if (!n)
        return;
    /* A short word ("hr", "sen") occurs inside other words every few
     * hundred bytes: with \b Hyperscan drops those itself instead of
     * calling back for each. A few hundred such cost the build nothing;
     * the callback still checks edges (\b is ASCII there). */
    bool bounded = n <= 3 && (edges & 3) == 3;
    struct sg_buf b = {0};
    if (bounded)
        sg_buf_puts(&b, "\\b");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)lit[i];
        if (isalnum(c) || c >= 0x80)
            sg_buf_append(&b, &lit[i], 1);
        else
            sg_buf_printf(&b, "\\x%02x", c);
    }
    if (bounded)
        sg_buf_puts(&b, "\\b");
    unsigned e = expr_slot(m);
    m->exprs[e] = sg_buf_steal(&b);
    m->expr_id[e] = id;
    m->expr_len[e] = (unsigned)n;
    m->expr_edges[e] = edges;
}

static void add_expr(struct sg_matcher *m, const char *lit, unsigned id)
{
    size_t n = strlen(lit);
    if (n)
        add_literal(m, lit, id, (unsigned char)((is_word_byte((unsigned char)lit[0]) ? 1 : 0) |
                                                (is_word_byte((unsigned char)lit[n - 1]) ? 2 : 0)));
}

static inline bool is_ascii_letter(unsigned char c)
{
    return (unsigned)((c | 0x20) - 'a') < 26;
}

/* The bytes fold_lookalikes() reads as letters between letters. */
static const bool lookalikes[256] = {['0'] = true, ['1'] = true, ['3'] = true, ['4'] = true, ['5'] = true,
                                     ['7'] = true, ['@'] = true, ['$'] = true, ['!'] = true};

static inline bool is_lookalike(unsigned char c)
{
    return lookalikes[c];
}

/* The copy that is scanned, and every phrase, read "-" as a space and a
 * digit or symbol standing between two letters as the letter it mimics
 * ("sh1t", "b@stard", "a$$"): 1:1 in bytes, so offsets stay those of the
 * text. A symbol run is read whole ("a$$" has "$" next to "$"): the
 * letters on either side of the run decide. */
static void fold_lookalikes(const char *in, size_t len, char *out)
{
    static const char from[] = "013457@$!", to[] = "oieastasi";
    for (size_t i = 0; i < len; i++) {
        char c = in[i];
        out[i] = c == '-' ? ' ' : c;
        if (!is_lookalike((unsigned char)c))
            continue;
        const char *f = strchr(from, c);
        size_t a = i, b = i;
        while (a > 0 && is_lookalike((unsigned char)in[a - 1]))
            a--;
        while (b + 1 < len && is_lookalike((unsigned char)in[b + 1]))
            b++;
        bool letter_before = a > 0 && is_ascii_letter((unsigned char)in[a - 1]);
        bool letter_after = b + 1 < len && is_ascii_letter((unsigned char)in[b + 1]);
        /* "a$$" ends a word: a trailing run counts after a letter. */
        bool trailing = letter_before && (b + 1 >= len || !is_word_byte((unsigned char)in[b + 1])) && (c == '$' || c == '@');
        if ((letter_before && letter_after) || trailing)
            out[i] = to[f - from];
    }
}

/* No HS_FLAG_UCP: Hyperscan has no \b in UCP mode, and the lists need \b
 * more than Unicode classes (\w is ASCII here; the text is case-folded).
 * No HS_FLAG_SOM_LEFTMOST either: start of match made the database take
 * seconds to build; a regex occurrence is placed at its end, which is
 * close enough for windows of hundreds of characters. */
#define REGEX_FLAGS (HS_FLAG_CASELESS | HS_FLAG_UTF8)

/* The scanned text has single spaces only (normalising folds white space),
 * so "\s+" in a list pattern is one space; written so, Hyperscan builds a
 * database several times faster to scan. Classes keep their \s as a
 * space; a lazy "+?" goes with its "+". */
static char *single_spaced(const char *pat)
{
    struct sg_buf b = {0};
    bool in_class = false;
    for (size_t i = 0; pat[i]; i++) {
        char c = pat[i];
        if (c == '\\' && pat[i + 1] == 's') {
            if (in_class) {
                sg_buf_puts(&b, " ");
            } else if (pat[i + 2] == '+') {
                sg_buf_puts(&b, " ");
                i += pat[i + 3] == '?' ? 2 : 1;
            } else if (pat[i + 2] == '*' || pat[i + 2] == '?') {
                sg_buf_puts(&b, " ?");
                i += pat[i + 3] == '?' ? 2 : 1;
            } else {
                sg_buf_puts(&b, " ");
            }
            i++;
            continue;
        }
        if (c == '\\' && pat[i + 1]) {
            sg_buf_append(&b, pat + i, 2);
            i++;
            continue;
        }
        if (c == '[' && !in_class)
            in_class = true;
        else if (c == ']' && in_class)
            in_class = false;
        sg_buf_append(&b, &c, 1);
    }
    sg_buf_append(&b, "", 0);
    return sg_buf_steal(&b);
}

/* A new pattern id whose text (for evidence) is text. */
static unsigned new_id(struct sg_matcher *m, const char *text)
{
    if (m->count == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 64;
        m->phrases = sg_xrealloc(m->phrases, m->cap * sizeof(*m->phrases));
    }
    m->phrases[m->count] = sg_xstrdup(text);
    return m->count++;
}

/* Phrases one finite regex may stand for before it stays a regex. */
#define SG_MATCHER_RXLIT_MAX 256

/* One pattern id for a set of phrases a regex stands for (its whole
 * expansion, or the tails of a prefilter); frees lits, takes the key. */
static unsigned add_phrase_set(struct sg_matcher *m, struct sg_buf *key, char **lits, unsigned char edges)
{
    unsigned id = new_id(m, key->data);
    for (size_t i = 0; lits[i]; i++) {
        fold_lookalikes(lits[i], strlen(lits[i]), lits[i]);
        add_literal(m, lits[i], id, edges);
    }
    sg_strv_free(lits);
    g_hash_table_insert(m->index, sg_buf_steal(key), GUINT_TO_POINTER(id + 1));
    return id;
}

static unsigned add_regex(struct sg_matcher *m, const char *pattern, bool anchor)
{
    struct sg_buf key = {0};
    sg_buf_printf(&key, "%s:%s", anchor ? "anchor" : "re", pattern);
    gpointer known = g_hash_table_lookup(m->index, key.data);
    if (known) {
        sg_buf_free(&key);
        return GPOINTER_TO_UINT(known) - 1;
    }
    /* A regex that only spells out phrases goes in as those phrases:
     * literals cost Hyperscan next to nothing, automata add up. */
    unsigned edges = 0;
    char **lits = anchor ? NULL : sg_rxlit_expand(pattern, SG_MATCHER_RXLIT_MAX, &edges);
    if (lits)
        return add_phrase_set(m, &key, lits, (unsigned char)edges);
    /* Hyperscan reads most of pcre2's syntax but not look-around: such a
     * pattern goes in as a prefilter (a looser pattern it can read, which
     * finds every true match and some more), and the caller confirms a
     * prefilter hit with pcre2 around it. */
    char *hs = single_spaced(pattern);
    unsigned char kind = anchor ? 4 | 16 : 4;
    hs_expr_info_t *info = NULL;
    hs_compile_error_t *cerr = NULL;
    if (hs_expression_info(hs, REGEX_FLAGS, &info, &cerr) != HS_SUCCESS) {
        hs_free_compile_error(cerr);
        cerr = NULL;
        if (hs_expression_info(hs, REGEX_FLAGS | HS_FLAG_PREFILTER, &info, &cerr) != HS_SUCCESS) {
            hs_free_compile_error(cerr);
            free(hs);
            sg_buf_free(&key);
            return UINT_MAX;
        }
        kind |= 8;
        /* Its candidates are confirmed anyway: the phrases every match
         * ends with find them for a fraction of what Hyperscan spends on
         * the whole pattern's automaton. */
        char **tail = anchor ? NULL : sg_rxlit_tail(pattern, SG_MATCHER_RXLIT_MAX, 3, &edges);
        if (tail) {
            free(info);
            free(hs);
            return add_phrase_set(m, &key, tail, (unsigned char)(edges | 8));
        }
    }
    free(info);
    unsigned id = new_id(m, key.data);
    unsigned e = expr_slot(m);
    m->exprs[e] = hs;
    m->expr_id[e] = id;
    m->expr_len[e] = 0;
    m->expr_edges[e] = kind;
    g_hash_table_insert(m->index, sg_buf_steal(&key), GUINT_TO_POINTER(id + 1));
    return id;
}

unsigned sg_matcher_add_regex(struct sg_matcher *m, const char *pattern)
{
    return add_regex(m, pattern, false);
}

/* A detector's own pcre2 pattern, so that pcre2 runs only around its hits
 * instead of over the whole text. Scanned on the text itself, not on the
 * lookalike-folded copy the phrases see: there "jo@gmail.com" reads
 * "joagmail.com" and a digit between letters is a letter. */
unsigned sg_matcher_add_anchor(struct sg_matcher *m, const char *pattern)
{
    return add_regex(m, pattern, true);
}

bool sg_matcher_is_prefilter(const struct sg_matcher *m, unsigned id)
{
    for (unsigned e = 0; e < m->nexprs; e++)
        if (m->expr_id[e] == id)
            return (m->expr_edges[e] & 8) != 0;
    return false;
}

unsigned sg_matcher_add_phrase(struct sg_matcher *m, const char *phrase)
{
    struct sg_buf norm = {0};
    if (!sg_text_normalise(phrase, strlen(phrase), &norm))
        sg_buf_puts(&norm, phrase);
    while (norm.len && norm.data[norm.len - 1] == ' ')
        norm.data[--norm.len] = '\0';
    size_t lead = norm.data ? strspn(norm.data, " ") : 0;
    char *lit = sg_xstrdup(norm.data ? norm.data + lead : "");
    fold_lookalikes(lit, strlen(lit), lit);
    bool separated = false;
    for (char *c = lit; *c; c++)
        separated |= *c == ' ';
    gpointer known = g_hash_table_lookup(m->index, lit);
    if (known) {
        free(lit);
        sg_buf_free(&norm);
        return GPOINTER_TO_UINT(known) - 1;
    }
    unsigned id = new_id(m, norm.data ? norm.data + lead : "");
    sg_buf_free(&norm);
    add_expr(m, lit, id);
    if (separated) {
        char *joined = sg_xstrdup(lit), *w = joined;
        for (const char *c = lit; *c; c++)
            if (*c != ' ')
                *w++ = *c;
        *w = '\0';
        add_expr(m, joined, id);
        free(joined);
    }
    g_hash_table_insert(m->index, lit, GUINT_TO_POINTER(id + 1));   /* the table owns lit */
    return id;
}

/* One database from the expressions whose anchor bit is `anchors`;
 * Hyperscan ids are expression indexes (the callback needs their length
 * and edges). *db stays NULL when there are none. */
static bool compile_db(struct sg_matcher *m, bool anchors, hs_database_t **db, char *err, size_t errlen)
{
    const char **exprs = sg_xcalloc(m->nexprs, sizeof(*exprs));
    unsigned *flags = sg_xcalloc(m->nexprs, sizeof(*flags));
    unsigned *ids = sg_xcalloc(m->nexprs, sizeof(*ids));
    unsigned n = 0;
    /* No caseless flag on literals: the text and the phrases are both
     * case-folded. */
    for (unsigned i = 0; i < m->nexprs; i++) {
        if (((m->expr_edges[i] & 16) != 0) != anchors)
            continue;
        exprs[n] = m->exprs[i];
        ids[n] = i;
        if (m->expr_edges[i] & 4)
            flags[n] = REGEX_FLAGS | (m->expr_edges[i] & 8 ? HS_FLAG_PREFILTER : 0);
        n++;
    }
    hs_compile_error_t *cerr = NULL;
    hs_error_t rc = n ? sg_hscache_compile(exprs, flags, ids, n, db, &cerr) : HS_SUCCESS;
    if (rc != HS_SUCCESS) {
        /* Hyperscan's messages may go on to name its flags ("...; use
         * HS_FLAG_..."), which mean nothing to a policy's author. */
        const char *msg = cerr && cerr->message ? cerr->message : "the phrase database could not be built";
        int mlen = (int)strcspn(msg, ";");
        if (cerr && cerr->expression >= 0)
            snprintf(err, errlen, "phrase \"%s\": %.*s", m->phrases[m->expr_id[ids[cerr->expression]]], mlen,
                     msg);
        else
            snprintf(err, errlen, "%.*s", mlen, msg);
        hs_free_compile_error(cerr);
    }
    free(exprs);
    free(flags);
    free(ids);
    return rc == HS_SUCCESS;
}

bool sg_matcher_compile(struct sg_matcher *m, char *err, size_t errlen)
{
    if (m->nexprs == 0)
        return true;
    if (!compile_db(m, false, &m->db, err, errlen) || !compile_db(m, true, &m->anchor_db, err, errlen))
        return false;
    /* One scratch serves both databases. */
    if ((m->db && hs_alloc_scratch(m->db, &m->proto) != HS_SUCCESS) ||
        (m->anchor_db && hs_alloc_scratch(m->anchor_db, &m->proto) != HS_SUCCESS)) {
        snprintf(err, errlen, "cannot allocate Hyperscan scratch space");
        return false;
    }
    return true;
}

unsigned sg_matcher_count(const struct sg_matcher *m)
{
    return m->count;
}

const char *sg_matcher_phrase(const struct sg_matcher *m, unsigned id)
{
    return id < m->count ? m->phrases[id] : "";
}

static hs_scratch_t *scratch_take(struct sg_matcher *m)
{
    hs_scratch_t *s = NULL;
    pthread_mutex_lock(&m->pool_lock);
    if (m->npool)
        s = m->pool[--m->npool];
    pthread_mutex_unlock(&m->pool_lock);
    if (!s && hs_clone_scratch(m->proto, &s) != HS_SUCCESS)
        return NULL;
    return s;
}

static void scratch_give(struct sg_matcher *m, hs_scratch_t *s)
{
    pthread_mutex_lock(&m->pool_lock);
    if (m->npool == m->pool_cap) {
        m->pool_cap = m->pool_cap ? m->pool_cap * 2 : 8;
        m->pool = sg_xrealloc(m->pool, m->pool_cap * sizeof(*m->pool));
    }
    m->pool[m->npool++] = s;
    pthread_mutex_unlock(&m->pool_lock);
}

struct scan_ctx {
    const struct sg_matcher *m;
    const char *text;            /* the chunk being scanned */
    size_t len;
    size_t base;                 /* the chunk's offset in the whole text */
    unsigned char *hits;
    /* Occurrences, when asked for. */
    struct sg_match *v;
    size_t n, cap, max;
    bool capped;
    const uint32_t *map;         /* spelt-out copy: its offsets -> the text's */
    const unsigned char *joined; /* spelt-out copy: 1 where letters were joined */
};

static void record(struct scan_ctx *ctx, unsigned id, size_t start, size_t end)
{
    if (ctx->n == ctx->max) {
        ctx->capped = true;
        return;
    }
    if (ctx->n == ctx->cap) {
        ctx->cap = ctx->cap ? ctx->cap * 2 : 64;
        if (ctx->cap > ctx->max)
            ctx->cap = ctx->max;
        ctx->v = sg_xrealloc(ctx->v, ctx->cap * sizeof(*ctx->v));
    }
    ctx->v[ctx->n++] = (struct sg_match){id, start, end};
}

static int on_match(unsigned int expr, unsigned long long from, unsigned long long to,
                    unsigned int flags, void *ctx_)
{
    (void)from;
    (void)flags;
    struct scan_ctx *ctx = ctx_;
    const struct sg_matcher *m = ctx->m;
    unsigned n = m->expr_len[expr];
    if (to < n)
        return 0;
    /* A regex occurrence is placed at its last byte (no start of match). */
    size_t start = m->expr_edges[expr] & 4 ? (to ? (size_t)to - 1 : 0) : (size_t)to - n;
    /* In the spelt-out copy a word may start or end between two joined
     * letters: "a w a n k e r" joins to "awanker", and the article is
     * not part of the word. */
    bool run_before = ctx->map && start > 0 && ctx->joined[start - 1] && ctx->joined[start];
    bool run_after = ctx->map && to < ctx->len && ctx->joined[to - 1] && ctx->joined[to];
    if ((m->expr_edges[expr] & 1) && start > 0 && !run_before && is_word_byte((unsigned char)ctx->text[start - 1]))
        return 0;
    if ((m->expr_edges[expr] & 2) && to < ctx->len && !run_after && is_word_byte((unsigned char)ctx->text[to]))
        return 0;
    if (ctx->map) {
        /* The spelt-out copy only adds what joining letters made. */
        bool joined = false;
        for (size_t i = start; i < (size_t)to && !joined; i++)
            joined = ctx->joined[i];
        if (!joined)
            return 0;
        ctx->hits[m->expr_id[expr]] = 1;
        if (ctx->max)
            record(ctx, m->expr_id[expr], ctx->map[start], ctx->map[to - 1] + 1);
        return 0;
    }
    ctx->hits[m->expr_id[expr]] = 1;
    if (ctx->max)
        record(ctx, m->expr_id[expr], ctx->base + start, ctx->base + (size_t)to);
    return 0;
}

/* A letter standing alone between separators: "f" in "f u c k". */
static inline bool lone_letter(const char *t, size_t len, size_t i)
{
    if (!is_ascii_letter((unsigned char)t[i]))
        return false;
    bool before = i == 0 || !is_word_byte((unsigned char)t[i - 1]);
    bool after = i + 1 >= len || !is_word_byte((unsigned char)t[i + 1]);
    return before && after;
}

static bool is_spacer(char c)
{
    return c == ' ' || c == '.' || c == '*' || c == '_' || c == '-';
}

/* A letter held for three or more ("waaaanker", "biiitch"): its run's
 * length from i, 0 when it is not one. w and x are left alone: "www." in
 * every link and "xxx" after every other signature would rescan nearly
 * every message. */
static size_t held_letter(const char *t, size_t len, size_t i)
{
    char c = t[i];
    if (!is_ascii_letter((unsigned char)c) || c == 'w' || c == 'x' || i + 2 >= len || t[i + 1] != c || t[i + 2] != c)
        return 0;
    size_t j = i + 3;
    while (j < len && t[j] == c)
        j++;
    return j - i;
}

/* The copy that reads words the way a reader does when they are spelt
 * out letter by letter, three letters or more with one spacer between
 * them ("f u c k" reads "fuck"), or have a letter held ("waaaanker" reads
 * "wanker"). NULL when the text has neither (nearly always); else the
 * copy, its offset map and which of its bytes were joined or squeezed. */
static char *spelt_out_copy(const char *t, size_t len, uint32_t **map_out, unsigned char **joined_out,
                            size_t *out_len)
{
    if (len >= UINT32_MAX)
        return NULL;
    char *copy = NULL;
    uint32_t *map = NULL;
    unsigned char *joined = NULL;
    size_t w = 0;
    for (size_t i = 0; i < len;) {
        size_t letters = 0, j = i, held = held_letter(t, len, i);
        while (!held && j < len && lone_letter(t, len, j)) {
            letters++;
            if (j + 2 < len && is_spacer(t[j + 1]) && lone_letter(t, len, j + 2))
                j += 2;
            else {
                j++;
                break;
            }
        }
        if ((letters >= 3 || held) && !copy) {
            copy = sg_xmalloc(len);
            map = sg_xmalloc(len * sizeof(*map));
            joined = sg_xcalloc(len, 1);
            for (size_t k = 0; k < i; k++) {
                copy[k] = t[k];
                map[k] = (uint32_t)k;
            }
            w = i;
        }
        if (held) {
            copy[w] = t[i];
            map[w] = (uint32_t)i;
            joined[w++] = 1;
            i += held;
            continue;
        }
        if (letters >= 3) {
            for (size_t k = i; k < j; k++) {
                if (is_spacer(t[k]))
                    continue;
                copy[w] = t[k];
                map[w] = (uint32_t)k;
                joined[w++] = 1;
            }
            i = j;
            continue;
        }
        size_t stop = letters ? j : i + 1;
        for (size_t k = i; k < stop && copy; k++) {
            copy[w] = t[k];
            map[w++] = (uint32_t)k;
        }
        i = stop;
    }
    *map_out = map;
    *joined_out = joined;
    *out_len = w;
    return copy;
}

static int by_start(const void *a_, const void *b_)
{
    const struct sg_match *a = a_, *b = b_;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    if (a->end != b->end)
        return a->end < b->end ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

/* One database over text in chunks: Hyperscan's block mode takes an
 * unsigned int length. A NULL database has nothing to find. */
static bool scan_chunks(const hs_database_t *db, const char *text, size_t len, hs_scratch_t *s,
                        struct scan_ctx *ctx)
{
    const size_t step = (size_t)1 << 30;
    for (size_t off = 0; off < len && db; off += step) {
        size_t n = len - off < step ? len - off : step;
        ctx->text = text + off;
        ctx->len = n;
        ctx->base = off;
        if (hs_scan(db, text + off, (unsigned)n, 0, s, on_match, ctx) != HS_SUCCESS)
            return false;
    }
    return true;
}

bool sg_matcher_scan_all(const struct sg_matcher *cm, const char *text, size_t len, unsigned char *hits,
                         struct sg_match **out, size_t *nout, size_t max, bool *capped)
{
    struct sg_matcher *m = (struct sg_matcher *)cm;   /* only the pool changes */
    if (out)
        *out = NULL;
    if (nout)
        *nout = 0;
    if (capped)
        *capped = false;
    if ((!m->db && !m->anchor_db) || !len)
        return true;
    hs_scratch_t *s = scratch_take(m);
    if (!s)
        return false;
    char *copy = sg_xmalloc(len);
    fold_lookalikes(text, len, copy);
    struct scan_ctx ctx = {.m = m, .hits = hits, .max = out ? max : 0};
    /* The phrases see the folded copy, the detectors' anchors the text. */
    bool ok = scan_chunks(m->db, copy, len, s, &ctx) && scan_chunks(m->anchor_db, text, len, s, &ctx);
    size_t jlen = 0;
    uint32_t *map = NULL;
    unsigned char *joined = NULL;
    char *spelt = ok && m->db ? spelt_out_copy(copy, len, &map, &joined, &jlen) : NULL;
    if (spelt && jlen <= UINT_MAX) {
        ctx.text = spelt;
        ctx.len = jlen;
        ctx.base = 0;
        ctx.map = map;
        ctx.joined = joined;
        ok = hs_scan(m->db, spelt, (unsigned)jlen, 0, s, on_match, &ctx) == HS_SUCCESS;
    }
    free(spelt);
    free(map);
    free(joined);
    free(copy);
    scratch_give(m, s);
    if (ctx.n)
        qsort(ctx.v, ctx.n, sizeof(*ctx.v), by_start);
    if (out) {
        *out = ctx.v;
        *nout = ctx.n;
    } else {
        free(ctx.v);
    }
    if (capped)
        *capped = ctx.capped;
    return ok;
}

bool sg_matcher_scan(const struct sg_matcher *m, const char *text, size_t len,
                     unsigned char *hits)
{
    return sg_matcher_scan_all(m, text, len, hits, NULL, NULL, 0, NULL);
}

void sg_matcher_free(struct sg_matcher *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->npool; i++)
        hs_free_scratch(m->pool[i]);
    free(m->pool);
    hs_free_scratch(m->proto);
    hs_free_database(m->db);
    hs_free_database(m->anchor_db);
    for (unsigned i = 0; i < m->count; i++)
        free(m->phrases[i]);
    for (unsigned i = 0; i < m->nexprs; i++)
        free(m->exprs[i]);
    free(m->phrases);
    free(m->exprs);
    free(m->expr_id);
    free(m->expr_len);
    free(m->expr_edges);
    g_hash_table_destroy(m->index);
    pthread_mutex_destroy(&m->pool_lock);
    free(m);
}
