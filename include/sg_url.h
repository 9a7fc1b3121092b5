/*
 * sg_url.h - links in the scanned text, as the detectors compare them.
 *
 * People write links with and without a scheme ("www.x.com/..", a bare
 * "x.com/page"), mail systems wrap them (Google, Facebook, Outlook
 * safelinks, Bing, Proofpoint), and a link can hide its host in percent
 * escapes or behind "user@". Every detector that looks at hosts walks
 * the text with sg_url_each and sees the same decoded host; the HTML
 * reader keeps href values in the text as " <target> ", so a link whose
 * visible text is innocent is found too.
 */
#ifndef SG_URL_H
#define SG_URL_H

#include <stdbool.h>
#include <stddef.h>

struct sg_url {
    size_t off, len;             /* the link as written, in the text */
    const char *host;            /* lower-cased, percent-decoded, no "www.", no port, no trailing dot;
                                  * IDN and punycode left as they are */
    const char *path;            /* from its "/", percent-decoded, without query or fragment; "" none */
    const char *query;           /* after "?", as written; "" none */
    bool scheme;                 /* written with "scheme://" */
    /* For a redirect wrapper, where it leads (wrappers inside wrappers
     * followed): NULL when the link is not a wrapper. */
    const char *target_host;
    const char *target_path;
    bool opaque;                 /* a shortener (t.co, bit.ly): its target is not in the link */
};

/* Calls fn for each link in text, in order, until fn returns non-zero;
 * returns that value, 0 when the text is done, -1 on an internal error.
 * The strings live until fn returns. */
int sg_url_each(const char *text, size_t len, int (*fn)(const struct sg_url *u, void *ctx), void *ctx);

/* True when host is domain or a subdomain of it ("m.pornhub.com" is in
 * "pornhub.com"; "notpornhub.com" is not). A domain starting with "."
 * is a whole suffix (".xxx"). */
bool sg_url_host_in(const char *host, const char *domain);

#endif
