/*
 * detect_adult_urls.c - "match: adult_urls: true" or {domains, allow,
 * quoted}: a link to a listed pornographic site (002 "must not ... post a
 * link to any pornographic material"; 003 "links to inappropriate
 * content").
 *
 * Every link url.c finds counts by its host and, for a redirect wrapper,
 * by the host it leads to: scheme-less links, percent-encoded hosts,
 * "user@" tricks and hrefs behind innocent text are all seen the same.
 * A host matches a listed domain when it is that domain or a subdomain
 * of it. Quoted history is the other side's words and does not count
 * unless quoted: true.
 *
 * Evidence names the listed domain (a site is not pupil data) and where
 * the link was; never the whole link, whose path or subdomain could.
 */
#include <stdlib.h>
#include <string.h>
#include "sg_detector.h"
#include "sg_domainlist.h"
#include "sg_schema.h"
#include "sg_text.h"
#include "sg_url.h"

#define ADULT_DEFAULT_LIST "lists/adult-domains.txt"

struct adult {
    struct sg_domainlist lists;
    bool quoted;
};

#define AU(f) offsetof(struct adult, f)
static const struct sg_cfg_key adult_keys[] = {
    {.key = "domains", .type = SG_CFG_CUSTOM, .offset = AU(lists), .custom = sg_domainlist_parse,
     .def = "[" ADULT_DEFAULT_LIST "]", .shape = "list of paths",
     .doc = "Domain lists, relative to the policy file: one domain a line (its subdomains match too), "
            "`.tld` for a whole suffix (`.xxx`), `re:` for a pcre2 pattern matched against the whole host. "
            "A change to a list reloads the policy."},
    {.key = "allow", .type = SG_CFG_STRLIST, .offset = AU(lists) + offsetof(struct sg_domainlist, allow),
     .shape = "list of domains",
     .doc = "Domains (and their subdomains) never counted, though a list names them."},
    {.key = "quoted", .type = SG_CFG_BOOL, .offset = AU(quoted), .def = "false",
     .doc = "Count links in quoted history too (\"On ... wrote:\", \"> \" lines): by default a link in the "
            "message being replied to or reported is not the member of staff's."},
    {.key = NULL},
};

static void adult_free(void *state)
{
    struct adult *a = state;
    sg_domainlist_clear(&a->lists);
    free(a);
}

static void *adult_parse(struct sg_cfg *cfg, yaml_node_t *node)
{
    if (!sg_detector_enabled(cfg, node, "adult_urls"))
        return NULL;
    struct adult *a = sg_xcalloc(1, sizeof(*a));
    sg_domainlist_init(&a->lists, "adult_urls");
    sg_cfg_apply_table(cfg, node && node->type == YAML_MAPPING_NODE ? node : NULL, adult_keys, a, "adult_urls");
    sg_domainlist_finish(cfg, node, &a->lists, ADULT_DEFAULT_LIST);
    return a;
}

struct adult_ctx {
    const struct adult *a;
    const struct sg_scan *scan;
    struct sg_buf *ev;
};

/* "xhamster2.desi" from "de.xhamster2.desi": enough to name the site,
 * not a subdomain that could carry a name. */
static void site_of(const char *host, struct sg_buf *out)
{
    const char *last = strrchr(host, '.');
    const char *start = host;
    if (last) {
        const char *p = last;
        while (p > host && p[-1] != '.')
            p--;
        start = p;
        /* "example.co.uk": a short second level keeps one more label. */
        if (last - p <= 3 && p > host) {
            const char *q = p - 1;
            while (q > host && q[-1] != '.')
                q--;
            start = q;
        }
    }
    sg_buf_puts(out, start);
}

static int check_host(struct adult_ctx *ctx, const struct sg_url *u, const char *host, bool via)
{
    if (!host || !*host)
        return 0;
    bool by_pattern;
    const char *hit = sg_domainlist_find(&ctx->a->lists, host, &by_pattern);
    if (!hit)
        return 0;
    sg_buf_puts(ctx->ev, "link to a listed adult site, ");
    if (by_pattern)
        site_of(host, ctx->ev);
    else
        sg_buf_puts(ctx->ev, hit);
    if (via) {
        sg_buf_puts(ctx->ev, " (behind a ");
        site_of(u->host, ctx->ev);
        sg_buf_puts(ctx->ev, " redirect)");
    }
    sg_buf_puts(ctx->ev, ", ");
    sg_scan_where(ctx->scan, u->off, ctx->ev);
    return 1;
}

static int on_url(const struct sg_url *u, void *ctx_)
{
    struct adult_ctx *ctx = ctx_;
    if (!ctx->a->quoted && sg_scan_quoted(ctx->scan, u->off))
        return 0;
    int rc = check_host(ctx, u, u->host, false);
    return rc ? rc : check_host(ctx, u, u->target_host, true);
}

static int adult_scan(const void *state, const struct sg_scan *scan, struct sg_finding *out)
{
    struct adult_ctx ctx = {state, scan, &out->evidence};
    return sg_url_each(scan->text, scan->text_len, on_url, &ctx);
}

const struct sg_detector sg_detect_adult_urls = {
    .key = "adult_urls",
    .options = adult_keys,
    .doc = "A link to a listed pornographic site (`domains:` lists, default lists/adult-domains.txt), found "
           "with or without a scheme, percent-encoded, behind `user@`, behind a redirect wrapper (Google, "
           "Facebook, Outlook safelinks, Bing, Proofpoint) or behind innocent link text; quoted history "
           "excepted.",
    .needs_text = true,
    .parse = adult_parse,
    .scan = adult_scan,
    .free = adult_free,
};
