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
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>
#include "sg_detector.h"
#include "sg_listfile.h"
#include "sg_schema.h"
#include "sg_text.h"
#include "sg_url.h"

#define ADULT_DEFAULT_LIST "lists/adult-domains.txt"
#define ADULT_MAX_PATTERNS 64    /* "re:" lines over all lists of one rule */

struct adult_lists {
    GHashTable *domains;         /* "pornhub.com", ".xxx" (a whole suffix) */
    struct sg_rx *rx[ADULT_MAX_PATTERNS];
    char *rx_text[ADULT_MAX_PATTERNS];
    size_t nrx;
    bool given;                  /* domains: was written */
};

struct adult {
    struct adult_lists lists;
    char **allow;
    bool quoted;
};

/* "WWW.Example.com." -> "example.com"; NULL when it is not a domain. */
static char *domain_key(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    bool suffix = *s == '.';
    char *d = sg_xstrdup(s + suffix);
    size_t n = strlen(d);
    while (n && (d[n - 1] == '.' || d[n - 1] == ' ' || d[n - 1] == '\t'))
        d[--n] = '\0';
    for (char *p = d; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c >= 'A' && c <= 'Z')
            *p = (char)(c + 32);
        else if (!(c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'))
            n = 0;
    }
    if (!n || d[0] == '.' || strstr(d, "..")) {
        free(d);
        return NULL;
    }
    if (!suffix && n > 4 && !strncmp(d, "www.", 4))
        memmove(d, d + 4, n - 3);
    if (suffix) {
        char *s2 = sg_xmalloc(strlen(d) + 2);
        s2[0] = '.';
        strcpy(s2 + 1, d);
        free(d);
        d = s2;
    }
    return d;
}

struct list_ctx {
    struct adult_lists *l;
    yaml_node_t *node;
};

static void on_entry(struct sg_cfg *cfg, const char *path, unsigned line, unsigned col, const char *entry, void *ctx_)
{
    struct list_ctx *ctx = ctx_;
    struct adult_lists *l = ctx->l;
    if (!strncmp(entry, "re:", 3)) {
        if (l->nrx >= ADULT_MAX_PATTERNS || !sg_cfg_count_patterns(cfg, ctx->node, 1)) {
            sg_cfg_error_file(cfg, path, line, col, "adult_urls: at most %d re: lines per rule", ADULT_MAX_PATTERNS);
            return;
        }
        /* Against the whole host, whether or not the line anchors it. */
        struct sg_buf whole = {0};
        sg_buf_printf(&whole, "^(?:%s)$", entry + 3);
        char err[256];
        struct sg_rx *rx = sg_rx_new(whole.data, err, sizeof(err), NULL);
        sg_buf_free(&whole);
        if (!rx) {
            sg_cfg_error_file(cfg, path, line, col, "pattern \"%s\": %s", entry + 3, err);
            return;
        }
        l->rx_text[l->nrx] = sg_xstrdup(entry + 3);
        l->rx[l->nrx++] = rx;
        return;
    }
    char *d = domain_key(entry);
    if (!d) {
        sg_cfg_error_file(cfg, path, line, col,
                          "\"%s\" is not a domain (one a line, no scheme or path; \".tld\" for a whole suffix)",
                          entry);
        return;
    }
    g_hash_table_add(l->domains, d);
}

static void parse_domains(struct sg_cfg *cfg, yaml_node_t *node, void *field)
{
    struct adult_lists *l = field;
    yaml_node_t **nodes = NULL;
    char **files = sg_cfg_strlist(cfg, node, "domains", &nodes);
    l->given = true;
    for (size_t i = 0; files[i]; i++) {
        struct list_ctx ctx = {l, nodes[i]};
        sg_listfile_read(cfg, nodes[i], files[i], on_entry, &ctx);
    }
    sg_strv_free(files);
    free(nodes);
}

static char *allow_key(const char *s)
{
    char *d = domain_key(s);
    return d ? d : sg_xstrdup("");
}

#define AU(f) offsetof(struct adult, f)
static const struct sg_cfg_key adult_keys[] = {
    {.key = "domains", .type = SG_CFG_CUSTOM, .offset = AU(lists), .custom = parse_domains,
     .def = "[" ADULT_DEFAULT_LIST "]", .shape = "list of paths",
     .doc = "Domain lists, relative to the policy file: one domain a line (its subdomains match too), "
            "`.tld` for a whole suffix (`.xxx`), `re:` for a pcre2 pattern matched against the whole host. "
            "A change to a list reloads the policy."},
    {.key = "allow", .type = SG_CFG_STRLIST, .offset = AU(allow), .shape = "list of domains",
     .doc = "Domains (and their subdomains) never counted, though a list names them."},
    {.key = "quoted", .type = SG_CFG_BOOL, .offset = AU(quoted), .def = "false",
     .doc = "Count links in quoted history too (\"On ... wrote:\", \"> \" lines): by default a link in the "
            "message being replied to or reported is not the member of staff's."},
    {.key = NULL},
};

static void adult_free(void *state)
{
    struct adult *a = state;
    if (a->lists.domains)
        g_hash_table_destroy(a->lists.domains);
    for (size_t i = 0; i < a->lists.nrx; i++) {
        sg_rx_free(a->lists.rx[i]);
        free(a->lists.rx_text[i]);
    }
    sg_strv_free(a->allow);
    free(a);
}

static void *adult_parse(struct sg_cfg *cfg, yaml_node_t *node)
{
    if (!sg_detector_enabled(cfg, node, "adult_urls"))
        return NULL;
    struct adult *a = sg_xcalloc(1, sizeof(*a));
    a->lists.domains = g_hash_table_new_full(g_str_hash, g_str_equal, free, NULL);
    sg_cfg_apply_table(cfg, node && node->type == YAML_MAPPING_NODE ? node : NULL, adult_keys, a, "adult_urls");
    if (!a->lists.given) {
        /* Not written in the policy: say that it is the default, and how
         * to name another list. */
        char *path = sg_cfg_path(cfg, ADULT_DEFAULT_LIST);
        if (access(path, R_OK) != 0) {
            sg_cfg_error(cfg, node, "adult_urls: the default domain list %s cannot be read: %s (set domains: "
                         "to the list, e.g. [lists/adult-domains.txt] beside contrib/example-policy.yaml)",
                         path, strerror(errno));
            free(path);
            adult_free(a);
            return NULL;
        }
        free(path);
        struct list_ctx ctx = {&a->lists, node};
        sg_listfile_read(cfg, node, ADULT_DEFAULT_LIST, on_entry, &ctx);
    }
    a->allow = sg_strv_map(a->allow, allow_key);
    for (size_t i = 0; a->allow && a->allow[i]; i++)
        if (!*a->allow[i])
            sg_cfg_error(cfg, node, "adult_urls: allow: an entry is not a domain");
    if (!g_hash_table_size(a->lists.domains) && !a->lists.nrx)
        sg_cfg_error(cfg, node, "adult_urls: the domain lists are empty");
    return a;
}

static int any_match(const char *m, size_t len, void *ctx)
{
    (void)m, (void)len, (void)ctx;
    return 1;
}

/* The listed entry host falls under, or NULL: the host, each domain
 * above it, and each suffix with its dot (".xxx"), then the patterns. */
static const char *listed(const struct adult *a, const char *host, bool *by_pattern)
{
    *by_pattern = false;
    gpointer k;
    for (const char *p = host; *p;) {
        if (g_hash_table_lookup_extended(a->lists.domains, p, &k, NULL))
            return k;
        const char *dot = strchr(p, '.');
        if (!dot)
            break;
        if (g_hash_table_lookup_extended(a->lists.domains, dot, &k, NULL))
            return k;
        p = dot + 1;
    }
    for (size_t i = 0; i < a->lists.nrx; i++) {
        if (sg_rx_each(a->lists.rx[i], host, strlen(host), any_match, NULL) > 0) {
            *by_pattern = true;
            return a->lists.rx_text[i];
        }
    }
    return NULL;
}

struct adult_ctx {
    const struct adult *a;
    const struct sg_scan *scan;
    struct sg_buf *ev;
};

static bool allowed(const struct adult *a, const char *host)
{
    for (size_t i = 0; a->allow && a->allow[i]; i++)
        if (*a->allow[i] && sg_url_host_in(host, a->allow[i]))
            return true;
    return false;
}

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
    if (!host || !*host || allowed(ctx->a, host))
        return 0;
    bool by_pattern;
    const char *hit = listed(ctx->a, host, &by_pattern);
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
