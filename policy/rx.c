/*
 * rx.c - the pcre2 side of matching: compile once with JIT, run with a
 * match budget so a pathological pattern costs a limit hit, never a hang
 * (and never a silent miss).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include "sg_text.h"

#define SG_RX_MATCH_LIMIT 5000000
#define SG_RX_DEPTH_LIMIT 100000
#define SG_RX_JIT_STACK (8u << 20)

struct sg_rx {
    pcre2_code *code;
};

/* Per thread: match data (only the whole-match offsets are read, so one
 * small block serves every pattern), a match context carrying a JIT stack
 * big enough for long lines, and whether a budget ran out. A budget that
 * runs out is a limit hit for the engine, never "no match". */
struct rx_thread {
    pcre2_match_data *md;
    pcre2_match_context *ctx;
    pcre2_jit_stack *stack;
    bool limit_hit;
};

static pthread_key_t rx_key;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void rx_thread_free(void *p)
{
    struct rx_thread *t = p;
    pcre2_match_data_free(t->md);
    pcre2_match_context_free(t->ctx);
    pcre2_jit_stack_free(t->stack);
    free(t);
}

static void rx_setup(void)
{
    pthread_key_create(&rx_key, rx_thread_free);
}

static struct rx_thread *rx_thread(void)
{
    pthread_once(&once, rx_setup);
    struct rx_thread *t = pthread_getspecific(rx_key);
    if (t)
        return t;
    t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->md = pcre2_match_data_create(16, NULL);
    t->ctx = pcre2_match_context_create(NULL);
    t->stack = pcre2_jit_stack_create(32 * 1024, SG_RX_JIT_STACK, NULL);
    if (!t->md || !t->ctx) {
        rx_thread_free(t);
        return NULL;
    }
    pcre2_set_match_limit(t->ctx, SG_RX_MATCH_LIMIT);
    pcre2_set_depth_limit(t->ctx, SG_RX_DEPTH_LIMIT);
    if (t->stack)
        pcre2_jit_stack_assign(t->ctx, NULL, t->stack);
    pthread_setspecific(rx_key, t);
    return t;
}

bool sg_rx_limit_take(void)
{
    struct rx_thread *t = rx_thread();
    if (!t)
        return false;
    bool hit = t->limit_hit;
    t->limit_hit = false;
    return hit;
}

struct sg_rx *sg_rx_new(const char *pattern, char *err, size_t errlen, size_t *erroff)
{
    int ec;
    PCRE2_SIZE off;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
                                     PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS | PCRE2_MATCH_INVALID_UTF,
                                     &ec, &off, NULL);
    if (!code) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(ec, msg, sizeof(msg));
        snprintf(err, errlen, "%s", (char *)msg);
        if (erroff)
            *erroff = (size_t)off;
        return NULL;
    }
    pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);     /* the interpreter is the fallback */
    struct sg_rx *rx = sg_xmalloc(sizeof(*rx));
    rx->code = code;
    return rx;
}

/* Matches of rx starting in [from, to) of text, the subject ending at to. */
static int each_in(struct rx_thread *t, const struct sg_rx *rx, const char *text, size_t from, size_t to,
                   int (*fn)(const char *m, size_t mlen, void *ctx), void *ctx)
{
    PCRE2_SIZE start = from;
    while (start <= to) {
        /* rc 0: matched, more groups than the ovector holds; group 0 is set. */
        int rc = pcre2_match(rx->code, (PCRE2_SPTR)text, to, start, 0, t->md, t->ctx);
        if (rc == PCRE2_ERROR_NOMATCH)
            return 0;
        if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
            rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT) {
            /* The rest of this text went unread by this pattern. */
            t->limit_hit = true;
            return 0;
        }
        if (rc < 0)
            return -1;
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(t->md);
        int result = fn(text + ov[0], ov[1] - ov[0], ctx);
        if (result)
            return result;
        start = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
    }
    return 0;
}

int sg_rx_each(const struct sg_rx *rx, const char *text, size_t len,
               int (*fn)(const char *m, size_t mlen, void *ctx), void *ctx)
{
    struct rx_thread *t = rx_thread();
    return t ? each_in(t, rx, text, 0, len, fn, ctx) : -1;
}

/* Where a stretch around an anchor ends: after bytes on, then on to a
 * space so the last word is whole. */
static size_t stretch_end(const char *text, size_t len, size_t anchor, size_t after)
{
    size_t to = anchor < len && len - anchor > after ? anchor + after : len;
    while (to < len && text[to] != ' ')
        to++;
    return to;
}

int sg_rx_each_near(const struct sg_rx *rx, const char *text, size_t len, const size_t *anchors, size_t n,
                    size_t before, size_t after, int (*fn)(const char *m, size_t mlen, void *ctx), void *ctx)
{
    struct rx_thread *t = rx_thread();
    if (!t)
        return -1;
    size_t i = 0;
    while (i < n) {
        size_t from = anchors[i] > before ? anchors[i] - before : 0;
        size_t to = stretch_end(text, len, anchors[i], after);
        while (++i < n && (anchors[i] > before ? anchors[i] - before : 0) <= to)
            to = stretch_end(text, len, anchors[i], after);
        int rc = each_in(t, rx, text, from, to, fn, ctx);
        if (rc)
            return rc;
    }
    return 0;
}

void sg_rx_free(struct sg_rx *rx)
{
    if (!rx)
        return;
    pcre2_code_free(rx->code);
    free(rx);
}

int sg_rx_each_of(struct sg_rx *const *rx, size_t n, const char *text, size_t len,
                  int (*fn)(const char *m, size_t mlen, void *ctx), void *ctx)
{
    for (size_t i = 0; i < n; i++) {
        int rc = sg_rx_each(rx[i], text, len, fn, ctx);
        if (rc)
            return rc;
    }
    return 0;
}

void sg_evidence_quote(struct sg_buf *b, const char *label, const char *m, size_t len, size_t max)
{
    if (len > max) {
        len = max;
        while (len && ((unsigned char)m[len] & 0xC0) == 0x80)
            len--;
    }
    sg_buf_printf(b, "%s \"%.*s\"", label, (int)len, m);
}
