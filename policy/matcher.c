/*
 * matcher.c - every rule's phrases in one Hyperscan database, as literals.
 *
 * One pass over the normalised text answers "which phrases occur" for all
 * rules at once (the rspamd multipattern idea). Scratch space is pooled
 * per database, so threads never share one and a swapped-out snapshot
 * frees its own.
 */
#include <ctype.h>
#include <glib.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <hs/hs.h>
#include "sg_text.h"

struct sg_matcher {
    char **phrases;              /* normalised, as given */
    unsigned count, cap;
    GHashTable *index;           /* literal -> id + 1: loading stays linear */
    /* Hyperscan expressions: one or two literals per phrase. */
    char **exprs;
    unsigned *expr_id;
    unsigned *expr_len;          /* bytes the literal spans in the text */
    unsigned char *expr_edges;   /* 1 = needs a word edge before, 2 = after */
    unsigned nexprs, expr_cap;
    hs_database_t *db;
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

static bool is_word_byte(unsigned char c)
{
    return isalnum(c) || c == '_' || c >= 0x80;
}

/* Phrases are plain literals for Hyperscan, which compiles tens of
 * thousands of literals in about a second; with \b and [ -]? in every
 * expression ten thousand phrases took a minute. Word edges are checked
 * in the match callback instead, and "-" is read as a space on both
 * sides (the scanned copy of the text has its hyphens turned to spaces),
 * so "fixed-term" still finds "fixed term"; a second literal without the
 * separators finds "fixedterm"-style spellings ("e-mail", "email"). */
static void add_expr(struct sg_matcher *m, const char *lit, unsigned id)
{
    size_t n = strlen(lit);
    if (!n)
        return;
    if (m->nexprs == m->expr_cap) {
        m->expr_cap = m->expr_cap ? m->expr_cap * 2 : 64;
        m->exprs = sg_xrealloc(m->exprs, m->expr_cap * sizeof(*m->exprs));
        m->expr_id = sg_xrealloc(m->expr_id, m->expr_cap * sizeof(*m->expr_id));
        m->expr_len = sg_xrealloc(m->expr_len, m->expr_cap * sizeof(*m->expr_len));
        m->expr_edges = sg_xrealloc(m->expr_edges, m->expr_cap * sizeof(*m->expr_edges));
    }
    struct sg_buf b = {0};
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)lit[i];
        if (isalnum(c) || c >= 0x80)
            sg_buf_append(&b, &lit[i], 1);
        else
            sg_buf_printf(&b, "\\x%02x", c);
    }
    m->exprs[m->nexprs] = sg_buf_steal(&b);
    m->expr_id[m->nexprs] = id;
    m->expr_len[m->nexprs] = (unsigned)n;
    m->expr_edges[m->nexprs] = (unsigned char)((is_word_byte((unsigned char)lit[0]) ? 1 : 0) |
                                               (is_word_byte((unsigned char)lit[n - 1]) ? 2 : 0));
    m->nexprs++;
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
    bool separated = false;
    for (char *c = lit; *c; c++) {
        if (*c == '-')
            *c = ' ';
        separated |= *c == ' ';
    }
    gpointer known = g_hash_table_lookup(m->index, lit);
    if (known) {
        free(lit);
        sg_buf_free(&norm);
        return GPOINTER_TO_UINT(known) - 1;
    }
    if (m->count == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 64;
        m->phrases = sg_xrealloc(m->phrases, m->cap * sizeof(*m->phrases));
    }
    unsigned id = m->count++;
    m->phrases[id] = sg_xstrdup(norm.data ? norm.data + lead : "");
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

bool sg_matcher_compile(struct sg_matcher *m, char *err, size_t errlen)
{
    if (m->nexprs == 0)
        return true;
    unsigned *flags = sg_xcalloc(m->nexprs, sizeof(*flags));
    unsigned *ids = sg_xcalloc(m->nexprs, sizeof(*ids));
    /* Expression index as the id: the callback needs its length and edges.
     * No caseless flag: the text and the phrases are both case-folded. */
    for (unsigned i = 0; i < m->nexprs; i++)
        ids[i] = i;
    hs_compile_error_t *cerr = NULL;
    hs_error_t rc = hs_compile_multi((const char *const *)m->exprs, flags, ids, m->nexprs,
                                     HS_MODE_BLOCK, NULL, &m->db, &cerr);
    free(flags);
    free(ids);
    if (rc != HS_SUCCESS) {
        /* Hyperscan's messages may go on to name its flags ("...; use
         * HS_FLAG_..."), which mean nothing to a policy's author. */
        const char *msg = cerr && cerr->message ? cerr->message : "the phrase database could not be built";
        int mlen = (int)strcspn(msg, ";");
        if (cerr && cerr->expression >= 0)
            snprintf(err, errlen, "phrase \"%s\": %.*s", m->phrases[m->expr_id[cerr->expression]], mlen, msg);
        else
            snprintf(err, errlen, "%.*s", mlen, msg);
        hs_free_compile_error(cerr);
        return false;
    }
    if (hs_alloc_scratch(m->db, &m->proto) != HS_SUCCESS) {
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
    unsigned char *hits;
};

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
    size_t start = (size_t)to - n;
    if ((m->expr_edges[expr] & 1) && start > 0 && is_word_byte((unsigned char)ctx->text[start - 1]))
        return 0;
    if ((m->expr_edges[expr] & 2) && to < ctx->len && is_word_byte((unsigned char)ctx->text[to]))
        return 0;
    ctx->hits[m->expr_id[expr]] = 1;
    return 0;
}

bool sg_matcher_scan(const struct sg_matcher *cm, const char *text, size_t len,
                     unsigned char *hits)
{
    struct sg_matcher *m = (struct sg_matcher *)cm;   /* only the pool changes */
    if (!m->db || !len)
        return true;
    hs_scratch_t *s = scratch_take(m);
    if (!s)
        return false;
    /* The phrases were stored with "-" as a space; so is this copy. */
    char *copy = sg_xmalloc(len);
    for (size_t i = 0; i < len; i++)
        copy[i] = text[i] == '-' ? ' ' : text[i];
    /* Hyperscan's block mode takes an unsigned int length. */
    bool ok = true;
    const size_t step = (size_t)1 << 30;
    for (size_t off = 0; off < len && ok; off += step) {
        size_t n = len - off < step ? len - off : step;
        struct scan_ctx ctx = {m, copy + off, n, hits};
        ok = hs_scan(m->db, copy + off, (unsigned)n, 0, s, on_match, &ctx) == HS_SUCCESS;
    }
    free(copy);
    scratch_give(m, s);
    return ok;
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
