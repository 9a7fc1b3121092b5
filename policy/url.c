/*
 * url.c - finds links in the normalised text and decodes their hosts.
 *
 * Hand-written rather than one regex: a link is a white-space-delimited
 * token, so one linear pass finds every candidate and a long token (a
 * base64 blob in an attachment) cannot make a pattern backtrack. Each
 * candidate is read the way a browser reads an address: the scheme is
 * optional, "user@" before the host is not the host, percent escapes in
 * the host are decoded, a backslash is a slash. Redirect wrappers are
 * followed to their target, so a link is judged by where it leads.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "sg_url.h"
#include "sg_util.h"

#define URL_MAX_DEPTH 4          /* wrappers inside wrappers followed */
#define URL_MAX_TOKEN 16384      /* bytes of one token read: the host comes first */

struct link {
    struct sg_buf host, path, query;
    const char *rest;            /* raw text after the host and port */
    size_t rest_len;
    bool scheme;
};

static void link_free(struct link *l)
{
    sg_buf_free(&l->host);
    sg_buf_free(&l->path);
    sg_buf_free(&l->query);
}

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static unsigned char lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* What ends a link in running text: white space, the brackets and quotes
 * written around links (the HTML reader writes hrefs as " <target> "),
 * and typographic quotes, dashes and the ellipsis. */
static size_t delim_len(const unsigned char *p, const unsigned char *end)
{
    if (is_space(*p) || *p < 0x20 || *p == '<' || *p == '>' || *p == '"' || *p == '\'' || *p == '`' || *p == '|')
        return 1;
    if (*p == 0xC2 && p + 1 < end && (p[1] == 0xAB || p[1] == 0xBB || p[1] == 0xA0))
        return 2;
    if (*p == 0xE2 && p + 2 < end && p[1] == 0x80 && ((p[2] >= 0x93 && p[2] <= 0x9F) || p[2] == 0xA6))
        return 3;
    return 0;
}

static int hexval(unsigned char c)
{
    if (is_digit(c))
        return c - '0';
    c = lower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent escapes decoded; a malformed escape is kept as written. */
static void pct_decode(const char *s, size_t n, struct sg_buf *out, bool backslash_is_slash)
{
    sg_buf_append(out, "", 0);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%' && i + 2 < n) {
            int hi = hexval((unsigned char)s[i + 1]), lo = hexval((unsigned char)s[i + 2]);
            if (hi >= 0 && lo >= 0) {
                char b = (char)lower((unsigned char)(hi * 16 + lo));
                sg_buf_append(out, &b, 1);
                i += 2;
                continue;
            }
        }
        if (backslash_is_slash && c == '\\')
            c = '/';
        char b = (char)lower(c);
        sg_buf_append(out, &b, 1);
    }
}

/* The decoded host, checked: letters, digits, "-", "_", "." and any
 * non-ASCII (IDN) bytes, no empty label. A link written without a scheme
 * needs two labels and a top-level domain of letters (or punycode), so
 * "3.5", "e.g" and "10.30" are not hosts. */
static bool host_ok(struct sg_buf *h, bool scheme)
{
    /* U+3002 IDEOGRAPHIC FULL STOP is a dot to a browser (NFKC already
     * made the fullwidth and halfwidth dots into it or into "."). */
    char *w = h->data, *r = h->data, *e = h->data + h->len;
    while (r < e) {
        if (e - r >= 3 && (unsigned char)r[0] == 0xE3 && (unsigned char)r[1] == 0x80 && (unsigned char)r[2] == 0x82) {
            *w++ = '.';
            r += 3;
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
    h->len = (size_t)(w - h->data);
    while (h->len && h->data[h->len - 1] == '.')
        h->data[--h->len] = '\0';
    if (!h->len || h->data[0] == '.')
        return false;
    size_t labels = 1;
    for (size_t i = 0; i < h->len; i++) {
        unsigned char c = (unsigned char)h->data[i];
        if (c == '.') {
            if (h->data[i + 1] == '.')
                return false;
            labels++;
        } else if (!(c >= 0x80 || is_alpha(c) || is_digit(c) || c == '-' || c == '_')) {
            return false;
        }
    }
    if (!scheme) {
        const char *tld = strrchr(h->data, '.');
        if (!tld || labels < 2)
            return false;
        tld++;
        size_t n = strlen(tld);
        if (n < 2)
            return false;
        if (strncmp(tld, "xn--", 4)) {
            for (size_t i = 0; i < n; i++)
                if (!(is_alpha((unsigned char)tld[i]) || (unsigned char)tld[i] >= 0x80))
                    return false;
        }
    }
    if (h->len > 4 && !strncmp(h->data, "www.", 4)) {
        memmove(h->data, h->data + 4, h->len - 3);
        h->len -= 4;
    }
    return true;
}

/* Reads one link from s. False when s is not one (an address such as
 * "jo@example.com" is not a link: "user@" counts only before a path). */
static bool parse(const char *s, size_t n, struct link *l)
{
    memset(l, 0, sizeof(*l));
    const char *p = s, *e = s + n;
    const char *q = p;
    while (q < e && (is_alpha((unsigned char)*q) || is_digit((unsigned char)*q) || *q == '+' || *q == '-' || *q == '.'))
        q++;
    if (q > p && is_alpha((unsigned char)*p) && e - q >= 3 && q[0] == ':' && (q[1] == '/' || q[1] == '\\') &&
        (q[2] == '/' || q[2] == '\\')) {
        l->scheme = true;
        p = q + 3;
    } else if (e - p >= 2 && p[0] == '/' && p[1] == '/') {
        l->scheme = true;            /* "//host/..." in an href */
        p += 2;
    }
    const char *a = p;
    while (p < e && *p != '/' && *p != '?' && *p != '#' && *p != '\\')
        p++;
    const char *ae = p;
    const char *at = NULL;
    for (const char *c = a; c < ae; c++)
        if (*c == '@')
            at = c;
    if (at) {
        if (!l->scheme && ae == e)
            return false;
        a = at + 1;
    }
    const char *he = ae;
    if (a < he && *a == '[') {
        const char *rb = memchr(a, ']', (size_t)(he - a));
        if (!rb)
            return false;
        sg_buf_append(&l->host, a, (size_t)(rb + 1 - a));    /* an IPv6 literal, as is */
    } else {
        const char *colon = memchr(a, ':', (size_t)(he - a));
        if (colon) {
            for (const char *c = colon + 1; c < he; c++)
                if (!is_digit((unsigned char)*c))
                    return false;
            he = colon;
        }
        pct_decode(a, (size_t)(he - a), &l->host, false);
        if (!host_ok(&l->host, l->scheme)) {
            link_free(l);
            return false;
        }
    }
    l->rest = ae;
    l->rest_len = (size_t)(e - ae);
    const char *pe = ae;
    while (pe < e && *pe != '?' && *pe != '#')
        pe++;
    pct_decode(ae, (size_t)(pe - ae), &l->path, true);
    sg_buf_append(&l->query, "", 0);
    if (pe < e && *pe == '?') {
        const char *qe = memchr(pe, '#', (size_t)(e - pe));
        sg_buf_append(&l->query, pe + 1, (size_t)((qe ? qe : e) - pe - 1));
    }
    return true;
}

/* ---- redirect wrappers ---- */

/* The value of query parameter name (percent-decoded into out). */
static bool param(const char *query, const char *name, struct sg_buf *out)
{
    size_t nl = strlen(name);
    for (const char *p = query; *p;) {
        const char *amp = p + strcspn(p, "&;");
        if ((size_t)(amp - p) > nl && !strncmp(p, name, nl) && p[nl] == '=') {
            pct_decode(p + nl + 1, (size_t)(amp - p - nl - 1), out, false);
            return true;
        }
        p = *amp ? amp + 1 : amp;
    }
    return false;
}

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (is_digit(c))
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

/* How much a decoded byte looks like part of a link: lower-case letters,
 * digits and the host punctuation most, other printable ASCII less. */
static int url_byte_score(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || is_digit(c) || c == '.' || c == '/' || c == ':' || c == '-')
        return 3;
    return c > 0x20 && c < 0x7f ? 1 : -100;
}

/* Base64 whose letters were case-folded with the rest of the text: each
 * group of four characters is tried in every case and the reading that
 * looks most like a link kept. Groups decode independently, so this is
 * at most 16 tries a group. */
static void b64_caseless(const char *s, size_t n, struct sg_buf *out)
{
    sg_buf_append(out, "", 0);
    for (size_t i = 0; i + 1 < n; i += 4) {
        size_t g = n - i < 4 ? n - i : 4;
        int best = INT_MIN;
        unsigned char keep[3];
        size_t letters[4], nl = 0;
        for (size_t k = 0; k < g; k++) {
            if (b64_value((unsigned char)s[i + k]) < 0)
                return;
            if (is_alpha((unsigned char)s[i + k]))
                letters[nl++] = k;
        }
        for (unsigned mask = 0; mask < (1u << nl); mask++) {
            int v[4] = {0, 0, 0, 0};
            for (size_t k = 0; k < g; k++) {
                unsigned char c = lower((unsigned char)s[i + k]);
                for (size_t j = 0; j < nl; j++)
                    if (letters[j] == k && (mask >> j & 1))
                        c = (unsigned char)(c - 32);
                v[k] = b64_value(c);
            }
            unsigned char b[3] = {(unsigned char)(v[0] << 2 | v[1] >> 4), (unsigned char)((v[1] & 15) << 4 | v[2] >> 2),
                                  (unsigned char)((v[2] & 3) << 6 | v[3])};
            int score = 0;
            for (size_t k = 0; k + 1 < g; k++)
                score += url_byte_score(b[k]);
            if (score > best) {
                best = score;
                memcpy(keep, b, 3);
            }
        }
        sg_buf_append(out, (const char *)keep, g - 1);
    }
}

/* Proofpoint v2 writes "%" as "-" and "/" as "_". */
static void proofpoint_v2(const char *s, struct sg_buf *out)
{
    sg_buf_append(out, "", 0);
    for (const char *p = s; *p; p++) {
        int hi, lo;
        if (*p == '-' && (hi = hexval((unsigned char)p[1])) >= 0 && (lo = hexval((unsigned char)p[2])) >= 0) {
            char b = (char)lower((unsigned char)(hi * 16 + lo));
            sg_buf_append(out, &b, 1);
            p += 2;
        } else {
            sg_buf_append(out, *p == '_' ? "/" : p, 1);
        }
    }
}

static bool host_is(const char *host, const char *domain)
{
    return sg_url_host_in(host, domain);
}

/* Shorteners: where they lead is on their server, not in the link. */
static bool opaque_host(const char *host)
{
    static const char *const shorteners[] = {
        "t.co", "bit.ly", "tinyurl.com", "goo.gl", "ow.ly", "buff.ly", "is.gd", "rebrand.ly", "cutt.ly",
        "shorturl.at", "tiny.cc", "lnkd.in", "t.ly", NULL,
    };
    for (size_t i = 0; shorteners[i]; i++)
        if (!strcmp(host, shorteners[i]))
            return true;
    return false;
}

/* Wrappers whose target parameter may be written without a scheme. */
static bool known_wrapper(const struct link *l)
{
    const char *h = l->host.data, *path = l->path.data;
    bool google = !strncmp(h, "google.", 7) || strstr(h, ".google.");
    return (google && !strcmp(path, "/url")) || ((host_is(h, "l.facebook.com") || host_is(h, "lm.facebook.com")) &&
                                                 !strcmp(path, "/l.php")) ||
           host_is(h, "safelinks.protection.outlook.com") || host_is(h, "l.instagram.com") ||
           (host_is(h, "youtube.com") && !strcmp(path, "/redirect")) || host_is(h, "out.reddit.com");
}

static bool starts_scheme(const char *s)
{
    return !strncmp(s, "http://", 7) || !strncmp(s, "https://", 8) || !strncmp(s, "http:\\\\", 7) ||
           !strncmp(s, "https:\\\\", 8);
}

/* Where a wrapper leads, as text to read as a link (into out); false
 * when l does not wrap a link. */
static bool wrapped(const struct link *l, struct sg_buf *out)
{
    const char *h = l->host.data;
    if (!strcmp(h, "urldefense.com") && l->rest_len > 6 && !strncmp(l->rest, "/v3/__", 6)) {
        const char *t = l->rest + 6, *end = l->rest + l->rest_len;
        const char *close = t;
        while (close + 1 < end && !(close[0] == '_' && close[1] == '_'))
            close++;
        sg_buf_append(out, t, (size_t)((close + 1 < end ? close : end) - t));
        return true;
    }
    struct sg_buf v = {0};
    if (!strcmp(h, "urldefense.proofpoint.com") && !strcmp(l->path.data, "/v2/url") && param(l->query.data, "u", &v)) {
        proofpoint_v2(v.data, out);
        sg_buf_free(&v);
        return true;
    }
    if (host_is(h, "bing.com") && !strcmp(l->path.data, "/ck/a") && param(l->query.data, "u", &v) &&
        !strncmp(v.data, "a1", 2)) {
        b64_caseless(v.data + 2, v.len - 2, out);
        sg_buf_free(&v);
        return true;
    }
    sg_buf_free(&v);
    /* Any parameter that is itself a link: Google ?q=, safelinks ?url=,
     * Facebook ?u= and the many trackers that work the same way. */
    bool known = known_wrapper(l);
    for (const char *p = l->query.data; *p;) {
        const char *amp = p + strcspn(p, "&;");
        const char *eq = memchr(p, '=', (size_t)(amp - p));
        if (eq) {
            struct sg_buf val = {0};
            pct_decode(eq + 1, (size_t)(amp - eq - 1), &val, false);
            size_t kl = (size_t)(eq - p);
            bool target_key = (kl == 1 && (*p == 'q' || *p == 'u')) || (kl == 3 && !strncmp(p, "url", 3)) ||
                              (kl == 6 && !strncmp(p, "target", 6));
            if (starts_scheme(val.data) || (known && target_key && val.len)) {
                sg_buf_append(out, val.data, val.len);
                sg_buf_free(&val);
                return true;
            }
            sg_buf_free(&val);
        }
        p = *amp ? amp + 1 : amp;
    }
    /* A link inside the path: web.archive.org/web/2020/https://... */
    const char *in = strstr(l->path.data + (l->path.len ? 1 : 0), "http://");
    const char *ins = strstr(l->path.data + (l->path.len ? 1 : 0), "https://");
    if (ins && (!in || ins < in))
        in = ins;
    if (in) {
        sg_buf_puts(out, in);
        if (l->query.len) {
            sg_buf_puts(out, "?");
            sg_buf_puts(out, l->query.data);
        }
        return true;
    }
    return false;
}

/* ---- the walk ---- */

static int report(const char *text, const char *s, size_t n, struct link *l,
                  int (*fn)(const struct sg_url *u, void *ctx), void *ctx)
{
    struct sg_url u = {
        .off = (size_t)(s - text), .len = n, .host = l->host.data, .path = l->path.data,
        .query = l->query.data, .scheme = l->scheme,
    };
    struct link inner[URL_MAX_DEPTH];
    struct sg_buf raw[URL_MAX_DEPTH];
    memset(raw, 0, sizeof(raw));
    size_t depth = 0;
    const struct link *cur = l;
    u.opaque = opaque_host(cur->host.data);
    while (depth < URL_MAX_DEPTH && !u.opaque && wrapped(cur, &raw[depth])) {
        if (!parse(raw[depth].data, raw[depth].len, &inner[depth])) {
            sg_buf_free(&raw[depth]);
            break;
        }
        cur = &inner[depth++];
        u.target_host = cur->host.data;
        u.target_path = cur->path.data;
        u.opaque = opaque_host(cur->host.data);
    }
    int rc = fn(&u, ctx);
    for (size_t i = 0; i < depth; i++) {
        link_free(&inner[i]);
        sg_buf_free(&raw[i]);
    }
    return rc;
}

static size_t count(const char *s, size_t n, char c)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += s[i] == c;
    return k;
}

/* A "defanged" link, as people write one to share it without making it
 * clickable: pornhub[.]com, x(.)com, example[dot]com, hxxps://. Fills
 * out with the link it stands for and returns true when s was one. */
static bool refang(const char *s, size_t n, struct sg_buf *out)
{
    static const char *const dots[] = {"[.]", "(.)", "{.}", "[dot]", "(dot)", NULL};
    bool changed = false;
    sg_buf_append(out, "", 0);
    size_t i = 0;
    if (n >= 7 && !strncasecmp(s, "hxxp", 4)) {
        sg_buf_puts(out, "http");
        i = 4;
        changed = true;
    }
    while (i < n) {
        size_t k = 0;
        for (; dots[k]; k++) {
            size_t dl = strlen(dots[k]);
            if (i + dl <= n && !strncasecmp(s + i, dots[k], dl))
                break;
        }
        if (dots[k] && i > 0 && i + strlen(dots[k]) < n) {
            sg_buf_append(out, ".", 1);
            i += strlen(dots[k]);
            changed = true;
            continue;
        }
        sg_buf_append(out, s + i, 1);
        i++;
    }
    if (!changed)
        sg_buf_free(out);
    return changed;
}

static int token(const char *text, const char *s, const char *e, int (*fn)(const struct sg_url *u, void *ctx),
                 void *ctx)
{
    while (s < e && strchr("([{*_", *s))
        s++;
    while (e > s && strchr(".,;:!?)]}*_", e[-1])) {
        /* "(see x.com/a_(b))" keeps the ")" that closes one in the link. */
        if (e[-1] == ')' && count(s, (size_t)(e - s), '(') >= count(s, (size_t)(e - s), ')'))
            break;
        e--;
    }
    size_t n = (size_t)(e - s);
    if (n > URL_MAX_TOKEN)
        n = URL_MAX_TOKEN;
    if (n < 4 || (!memchr(s, '.', n) && !memchr(s, '%', n) && !memchr(s, 0xE3, n) && !memchr(s, '[', n) &&
                  !memchr(s, '(', n)))
        return 0;
    struct link l;
    struct sg_buf plain = {0};
    if (refang(s, n, &plain)) {
        /* Read as the link it stands for, reported where it was written. */
        int rc = 0;
        if (parse(plain.data, plain.len, &l)) {
            rc = report(text, s, n, &l, fn, ctx);
            link_free(&l);
        }
        sg_buf_free(&plain);
        return rc;
    }
    if (parse(s, n, &l)) {
        int rc = report(text, s, n, &l, fn, ctx);
        link_free(&l);
        return rc;
    }
    /* "see:https://...", "link=https://...", "visit:x.com": a link after
     * a word and a separator, with no space between. */
    unsigned tries = 0;
    for (const char *c = s; c + 4 < s + n && tries < 4; c++) {
        if (!strchr(":=,;(", *c))
            continue;
        tries++;
        const char *b = c + 1;
        if (parse(b, (size_t)(s + n - b), &l)) {
            int rc = report(text, b, (size_t)(s + n - b), &l, fn, ctx);
            link_free(&l);
            return rc;
        }
    }
    return 0;
}

/* "<https://porn hub.com/>": inside angle brackets white space is not
 * part of a link and is dropped (RFC 3986 appendix C), as browsers drop
 * the tabs and new lines an href was broken with. Returns how much of
 * the text the bracketed link took (0 when it is not one). */
static size_t bracketed(const char *text, const char *lt, const char *end,
                        int (*fn)(const struct sg_url *u, void *ctx), void *ctx, int *rc)
{
    const char *p = lt + 1, *limit = end - p > URL_MAX_TOKEN ? p + URL_MAX_TOKEN : end;
    bool space = false;
    const char *gt = p;
    for (; gt < limit && *gt != '>' && *gt != '<'; gt++)
        space |= is_space((unsigned char)*gt);
    if (gt >= limit || *gt != '>' || !space)
        return 0;
    struct sg_buf squeezed = {0};
    sg_buf_append(&squeezed, "", 0);
    for (const char *c = p; c < gt; c++)
        if (!is_space((unsigned char)*c))
            sg_buf_append(&squeezed, c, 1);
    size_t taken = 0;
    struct link l;
    if (squeezed.len && (strstr(squeezed.data, "://") || !strncmp(squeezed.data, "//", 2)) &&
        parse(squeezed.data, squeezed.len, &l)) {
        if (l.scheme) {
            *rc = report(text, p, (size_t)(gt - p), &l, fn, ctx);
            taken = (size_t)(gt + 1 - lt);
        }
        link_free(&l);
    }
    sg_buf_free(&squeezed);
    return taken;
}

/* True when a delimiter ends just before t (not looking before lo). */
static bool delim_ends_at(const unsigned char *lo, const unsigned char *t)
{
    unsigned char c = t[-1];
    if (is_space(c) || c < 0x20 || c == '<' || c == '>' || c == '"' || c == '\'' || c == '`' || c == '|')
        return true;
    if ((c == 0xAB || c == 0xBB || c == 0xA0) && t - 2 >= lo && t[-2] == 0xC2)
        return true;
    return ((c >= 0x93 && c <= 0x9F) || c == 0xA6) && t - 3 >= lo && t[-2] == 0x80 && t[-3] == 0xE2;
}

/* Bytes without which no token is a link: token() wants a ".", "%", an
 * ideographic full stop (E3 80 82) or a defanged dot ("[dot]", "(.)"),
 * bracketed() a "<". */
static const bool url_bytes[256] = {['.'] = true, ['%'] = true, [0xE3] = true, ['<'] = true, ['['] = true,
                                    ['('] = true};

static inline bool url_byte(unsigned char c)
{
    return url_bytes[c];
}

int sg_url_each(const char *text, size_t len, int (*fn)(const struct sg_url *u, void *ctx), void *ctx)
{
    const unsigned char *p = (const unsigned char *)text, *end = p + len;
    while (p < end) {
        /* Prose is mostly words that cannot be links: skip to the next
         * byte a link needs, back to the start of its token, and read
         * from there exactly as from the start of the text (tokens begin
         * after a delimiter whatever came before). */
        const unsigned char *q = p;
        while (q < end && !url_byte(*q))
            q++;
        if (q == end)
            break;
        const unsigned char *t = q;
        while (t > p && !delim_ends_at(p, t))
            t--;
        p = t;
        while (p <= q) {
            if (*p == '<') {
                int rc = 0;
                size_t taken = bracketed(text, (const char *)p, (const char *)end, fn, ctx, &rc);
                if (rc)
                    return rc;
                if (taken) {
                    p += taken;
                    continue;
                }
            }
            size_t d = delim_len(p, end);
            if (d) {
                p += d;
                continue;
            }
            const unsigned char *tok = p;
            while (p < end && !delim_len(p, end))
                p++;
            int rc = token(text, (const char *)tok, (const char *)p, fn, ctx);
            if (rc)
                return rc;
        }
    }
    return 0;
}

bool sg_url_host_in(const char *host, const char *domain)
{
    size_t hl = strlen(host), dl = strlen(domain);
    if (!dl || hl < dl)
        return false;
    if (domain[0] == '.')
        return !strcmp(host + hl - dl, domain);
    if (strcmp(host + hl - dl, domain))
        return false;
    return hl == dl || host[hl - dl - 1] == '.';
}
