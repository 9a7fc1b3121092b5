/*
 * rx.c - the pcre2 side of matching: compile once with JIT, run with a
 * match budget so a pathological pattern costs a miss, never a hang.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include "sg_text.h"

#define SG_RX_MATCH_LIMIT 5000000

struct sg_rx {
    pcre2_code *code;
};

/* Match data per thread (only the whole-match offsets are read, so one
 * small block serves every pattern), one shared read-only match context. */
static pthread_key_t md_key;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static pcre2_match_context *match_ctx;

static void md_free(void *md)
{
    pcre2_match_data_free(md);
}

static void rx_setup(void)
{
    pthread_key_create(&md_key, md_free);
    match_ctx = pcre2_match_context_create(NULL);
    if (match_ctx)
        pcre2_set_match_limit(match_ctx, SG_RX_MATCH_LIMIT);
}

static pcre2_match_data *thread_match_data(void)
{
    pthread_once(&once, rx_setup);
    pcre2_match_data *md = pthread_getspecific(md_key);
    if (!md && (md = pcre2_match_data_create(16, NULL)))
        pthread_setspecific(md_key, md);
    return md;
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

int sg_rx_each(const struct sg_rx *rx, const char *text, size_t len,
               int (*fn)(const char *m, size_t mlen, void *ctx), void *ctx)
{
    pcre2_match_data *md = thread_match_data();
    if (!md || !match_ctx)
        return -1;
    int result = 0;
    PCRE2_SIZE start = 0;
    while (start <= len) {
        /* rc 0: matched, more groups than the ovector holds; group 0 is set. */
        int rc = pcre2_match(rx->code, (PCRE2_SPTR)text, len, start, 0, md, match_ctx);
        if (rc == PCRE2_ERROR_NOMATCH || rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT)
            break;
        if (rc < 0) {
            result = -1;
            break;
        }
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        if ((result = fn(text + ov[0], ov[1] - ov[0], ctx)) != 0)
            break;
        start = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
    }
    return result;
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
