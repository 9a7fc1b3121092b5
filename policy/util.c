/*
 * util.c - growable strings, string lists, address helpers, JSON strings.
 *
 * Allocation failure is fatal here (as in Postfix's mymalloc): a milter
 * that cannot allocate a few bytes cannot judge mail either, and the MTA's
 * milter_default_action=tempfail keeps the mail safe.
 */
#include <ctype.h>
#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include "sg_util.h"

static void (*oom_hook)(void);

void sg_set_oom_handler(void (*fn)(void))
{
    oom_hook = fn;
}

static void out_of_memory(void)
{
    if (oom_hook)
        oom_hook();             /* an evaluation worker reports it and exits */
    syslog(LOG_CRIT, "out of memory");
    fputs("safeguard: out of memory\n", stderr);
    abort();
}

void *sg_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        out_of_memory();
    return p;
}

void *sg_xcalloc(size_t n, size_t m)
{
    void *p = calloc(n ? n : 1, m ? m : 1);
    if (!p)
        out_of_memory();
    return p;
}

void *sg_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        out_of_memory();
    return q;
}

char *sg_xstrdup(const char *s)
{
    return sg_xstrndup(s, strlen(s));
}

char *sg_xstrndup(const char *s, size_t n)
{
    char *p = sg_xmalloc(n + 1);
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static void buf_reserve(struct sg_buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1)
        cap *= 2;
    b->data = sg_xrealloc(b->data, cap);
    b->cap = cap;
}

void sg_buf_append(struct sg_buf *b, const char *s, size_t n)
{
    buf_reserve(b, n);
    if (n)
        memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void sg_buf_puts(struct sg_buf *b, const char *s)
{
    sg_buf_append(b, s, strlen(s));
}

void sg_buf_printf(struct sg_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    buf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void sg_buf_free(struct sg_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

char *sg_buf_steal(struct sg_buf *b)
{
    char *s = b->data ? b->data : sg_xstrdup("");
    b->data = NULL;
    b->len = b->cap = 0;
    return s;
}

size_t sg_strv_len(char *const *v)
{
    size_t n = 0;
    while (v && v[n])
        n++;
    return n;
}

char **sg_strv_push(char **v, const char *s)
{
    size_t n = sg_strv_len(v);
    v = sg_xrealloc(v, (n + 2) * sizeof(*v));
    v[n] = sg_xstrdup(s);
    v[n + 1] = NULL;
    return v;
}

void sg_strv_free(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

char **sg_strv_map(char **v, char *(*fn)(const char *))
{
    char **out = sg_xcalloc(sg_strv_len(v) + 1, sizeof(*out));
    for (size_t i = 0; v && v[i]; i++)
        out[i] = fn(v[i]);
    sg_strv_free(v);
    return out;
}

char *sg_addr_normalise(const char *addr)
{
    if (!addr)
        return NULL;
    while (*addr == ' ' || *addr == '<')
        addr++;
    size_t n = strcspn(addr, ">");
    while (n && addr[n - 1] == ' ')
        n--;
    const char *at = memrchr(addr, '@', n);
    if (!at || at == addr || at == addr + n - 1)
        return NULL;
    size_t local = (size_t)(at - addr);
    /* Sub-addressing: user+tag@ is user@ for every lookup. */
    const char *plus = memchr(addr, '+', local);
    if (plus && plus != addr)
        local = (size_t)(plus - addr);
    size_t dom = n - (size_t)(at - addr) - 1;
    while (dom && at[dom] == '.')
        dom--;
    char *out = sg_xmalloc(local + 1 + dom + 1);
    for (size_t i = 0; i < local; i++)
        out[i] = (char)tolower((unsigned char)addr[i]);
    out[local] = '@';
    for (size_t i = 0; i < dom; i++)
        out[local + 1 + i] = (char)tolower((unsigned char)at[1 + i]);
    out[local + 1 + dom] = '\0';
    return out;
}

char *sg_addr_domain(const char *addr)
{
    char *norm = sg_addr_normalise(addr);
    if (!norm)
        return NULL;
    char *dom = sg_xstrdup(strrchr(norm, '@') + 1);
    free(norm);
    return dom;
}

void sg_json_string(struct sg_buf *b, const char *s)
{
    sg_buf_append(b, "\"", 1);
    const unsigned char *end = (const unsigned char *)(s ? s : "") + (s ? strlen(s) : 0);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p >= 0x80) {
            /* Envelope addresses and file names come as given: JSON must
             * stay UTF-8 whatever they hold (found by fuzz_directory). */
            gunichar c = g_utf8_get_char_validated((const gchar *)p, (gssize)(end - p));
            if (c == (gunichar)-1 || c == (gunichar)-2) {
                sg_buf_puts(b, "\\ufffd");
            } else {
                size_t n = (size_t)g_utf8_skip[*p];
                sg_buf_append(b, (const char *)p, n);
                p += n - 1;
            }
            continue;
        }
        switch (*p) {
        case '"': sg_buf_puts(b, "\\\""); break;
        case '\\': sg_buf_puts(b, "\\\\"); break;
        case '\n': sg_buf_puts(b, "\\n"); break;
        case '\r': sg_buf_puts(b, "\\r"); break;
        case '\t': sg_buf_puts(b, "\\t"); break;
        default:
            if (*p < 0x20)
                sg_buf_printf(b, "\\u%04x", *p);
            else
                sg_buf_append(b, (const char *)p, 1);
        }
    }
    sg_buf_append(b, "\"", 1);
}

char *sg_phone_national(const char *s)
{
    struct sg_buf b = {0};
    sg_buf_append(&b, "", 0);
    for (const char *p = s; *p; p++)
        if (*p >= '0' && *p <= '9')
            sg_buf_append(&b, p, 1);
    char *d = sg_buf_steal(&b);
    /* +44 / 0044 and an optional (0) become the national leading 0. */
    const char *rest = NULL;
    if (!strncmp(d, "0044", 4))
        rest = d + 4;
    else if (s[strspn(s, " ")] == '+' && !strncmp(d, "44", 2))
        rest = d + 2;
    if (rest) {
        if (*rest == '0')
            rest++;
        char *n = sg_xmalloc(strlen(rest) + 2);
        n[0] = '0';
        strcpy(n + 1, rest);
        free(d);
        return n;
    }
    return d;
}

char *sg_url_key(const char *url)
{
    const char *s = url;
    if (!strncasecmp(s, "https://", 8))
        s += 8;
    else if (!strncasecmp(s, "http://", 7))
        s += 7;
    if (!strncasecmp(s, "www.", 4))
        s += 4;
    else if (!strncasecmp(s, "m.", 2))
        s += 2;
    char *k = sg_xstrdup(s);
    for (char *p = k; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    size_t n = strcspn(k, "?#");
    while (n && k[n - 1] == '/')
        n--;
    k[n] = '\0';
    /* One name per network, so an official account is known by any of them. */
    static const char *const aliases[][2] = {
        {"twitter.com/", "x.com/"}, {"fb.com/", "facebook.com/"}, {"fb.me/", "facebook.com/"},
        {"instagr.am/", "instagram.com/"},
    };
    for (size_t i = 0; i < sizeof(aliases) / sizeof(*aliases); i++) {
        size_t len = strlen(aliases[i][0]);
        if (!strncmp(k, aliases[i][0], len)) {
            char *c = sg_xmalloc(strlen(aliases[i][1]) + strlen(k + len) + 1);
            strcpy(c, aliases[i][1]);
            strcat(c, k + len);
            free(k);
            return c;
        }
    }
    return k;
}
