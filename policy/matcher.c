/*
 * matcher.c - every rule's phrases in one Hyperscan database.
 *
 * One pass over the normalised text answers "which phrases occur" for all
 * rules at once (the rspamd multipattern idea). Scratch space is pooled
 * per database, so threads never share one and a swapped-out snapshot
 * frees its own.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <hs/hs.h>
#include "sg_text.h"

struct sg_matcher {
    char **phrases;              /* normalised, as given */
    char **exprs;                /* Hyperscan expressions */
    unsigned count, cap;
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
    return m;
}

static bool is_word_byte(unsigned char c)
{
    return isalnum(c) || c == '_' || c >= 0x80;
}

/* Phrase to expression: literal text, "-" and " " interchangeable (so
 * "fixed-term" finds "fixed term"), word boundaries at word ends. The
 * boundaries are ASCII ones: Hyperscan has no \b in UCP mode, and the
 * normalised text (marks stripped) is nearly all ASCII. */
static char *phrase_expr(const char *phrase)
{
    struct sg_buf b = {0};
    size_t n = strlen(phrase);
    if (n && is_word_byte((unsigned char)phrase[0]))
        sg_buf_puts(&b, "\\b");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)phrase[i];
        if (c == ' ' || c == '-')
            sg_buf_puts(&b, "[ \\-]?");
        else if (c < 0x80 && !isalnum(c))
            sg_buf_printf(&b, "\\x%02x", c);
        else
            sg_buf_append(&b, (const char *)&phrase[i], 1);
    }
    if (n && is_word_byte((unsigned char)phrase[n - 1]))
        sg_buf_puts(&b, "\\b");
    return sg_buf_steal(&b);
}

unsigned sg_matcher_add_phrase(struct sg_matcher *m, const char *phrase)
{
    struct sg_buf norm = {0};
    if (!sg_text_normalise(phrase, strlen(phrase), &norm))
        sg_buf_puts(&norm, phrase);
    while (norm.len && norm.data[norm.len - 1] == ' ')
        norm.data[--norm.len] = '\0';
    for (unsigned i = 0; i < m->count; i++) {
        if (!strcmp(m->phrases[i], norm.data)) {
            sg_buf_free(&norm);
            return i;
        }
    }
    if (m->count == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 64;
        m->phrases = sg_xrealloc(m->phrases, m->cap * sizeof(*m->phrases));
        m->exprs = sg_xrealloc(m->exprs, m->cap * sizeof(*m->exprs));
    }
    m->phrases[m->count] = sg_buf_steal(&norm);
    m->exprs[m->count] = phrase_expr(m->phrases[m->count]);
    return m->count++;
}

bool sg_matcher_compile(struct sg_matcher *m, char *err, size_t errlen)
{
    if (m->count == 0)
        return true;
    unsigned *flags = sg_xcalloc(m->count, sizeof(*flags));
    unsigned *ids = sg_xcalloc(m->count, sizeof(*ids));
    for (unsigned i = 0; i < m->count; i++) {
        flags[i] = HS_FLAG_CASELESS | HS_FLAG_UTF8 | HS_FLAG_SINGLEMATCH;
        ids[i] = i;
    }
    hs_compile_error_t *cerr = NULL;
    hs_error_t rc = hs_compile_multi((const char *const *)m->exprs, flags, ids, m->count,
                                     HS_MODE_BLOCK, NULL, &m->db, &cerr);
    free(flags);
    free(ids);
    if (rc != HS_SUCCESS) {
        if (cerr && cerr->expression >= 0)
            snprintf(err, errlen, "phrase \"%s\": %s", m->phrases[cerr->expression], cerr->message);
        else
            snprintf(err, errlen, "%s", cerr ? cerr->message : "Hyperscan compile failed");
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

static int on_match(unsigned int id, unsigned long long from, unsigned long long to,
                    unsigned int flags, void *ctx)
{
    ((unsigned char *)ctx)[id] = 1;
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
    /* Hyperscan's block mode takes an unsigned int length. */
    bool ok = true;
    const size_t step = (size_t)1 << 30;
    for (size_t off = 0; off < len && ok; off += step) {
        size_t n = len - off < step ? len - off : step;
        ok = hs_scan(m->db, text + off, (unsigned)n, 0, s, on_match, hits) == HS_SUCCESS;
    }
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
    for (unsigned i = 0; i < m->count; i++) {
        free(m->phrases[i]);
        free(m->exprs[i]);
    }
    free(m->phrases);
    free(m->exprs);
    pthread_mutex_destroy(&m->pool_lock);
    free(m);
}
