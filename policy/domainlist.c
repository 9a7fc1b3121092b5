/*
 * domainlist.c - domain lists from files an admin edits, for conditions
 * that ask whether a host or an address is listed (adult_urls,
 * recipient_domains).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sg_domainlist.h"
#include "sg_listfile.h"
#include "sg_url.h"
#include "sg_util.h"

void sg_domainlist_init(struct sg_domainlist *l, const char *what)
{
    memset(l, 0, sizeof(*l));
    l->domains = g_hash_table_new_full(g_str_hash, g_str_equal, free, NULL);
    l->what = what;
}

void sg_domainlist_clear(struct sg_domainlist *l)
{
    if (l->domains)
        g_hash_table_destroy(l->domains);
    for (size_t i = 0; i < l->nrx; i++) {
        sg_rx_free(l->rx[i]);
        free(l->rx_text[i]);
    }
    sg_strv_free(l->allow);
    memset(l, 0, sizeof(*l));
}

char *sg_domainlist_key(const char *s)
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

static char *allow_key(const char *s)
{
    char *d = sg_domainlist_key(s);
    return d ? d : sg_xstrdup("");
}

struct list_ctx {
    struct sg_domainlist *l;
    yaml_node_t *node;
};

static void on_entry(struct sg_cfg *cfg, const char *path, unsigned line, unsigned col, const char *entry, void *ctx_)
{
    struct list_ctx *ctx = ctx_;
    struct sg_domainlist *l = ctx->l;
    if (!strncmp(entry, "re:", 3)) {
        if (l->nrx >= SG_DOMAINLIST_MAX_PATTERNS || !sg_cfg_count_patterns(cfg, ctx->node, 1)) {
            sg_cfg_error_file(cfg, path, line, col, "%s: at most %d re: lines per rule", l->what,
                              SG_DOMAINLIST_MAX_PATTERNS);
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
    char *d = sg_domainlist_key(entry);
    if (!d) {
        sg_cfg_error_file(cfg, path, line, col,
                          "\"%s\" is not a domain (one a line, no scheme or path; \".tld\" for a whole suffix)",
                          entry);
        return;
    }
    g_hash_table_add(l->domains, d);
}

void sg_domainlist_parse(struct sg_cfg *cfg, yaml_node_t *node, void *field)
{
    struct sg_domainlist *l = field;
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

void sg_domainlist_finish(struct sg_cfg *cfg, yaml_node_t *node, struct sg_domainlist *l, const char *default_path)
{
    if (!l->given) {
        /* Not written in the policy: say that it is the default, and how
         * to name another list. */
        char *path = sg_cfg_path(cfg, default_path);
        if (access(path, R_OK) != 0) {
            sg_cfg_error(cfg, node, "%s: the default domain list %s cannot be read: %s (set domains: to the list, "
                         "e.g. [%s] beside contrib/example-policy.yaml)",
                         l->what, path, strerror(errno), default_path);
            free(path);
            return;
        }
        free(path);
        struct list_ctx ctx = {l, node};
        sg_listfile_read(cfg, node, default_path, on_entry, &ctx);
    }
    if (!g_hash_table_size(l->domains) && !l->nrx)
        sg_cfg_error(cfg, node, "%s: the domain lists are empty", l->what);
    l->allow = sg_strv_map(l->allow, allow_key);
    for (size_t i = 0; l->allow && l->allow[i]; i++)
        if (!*l->allow[i])
            sg_cfg_error(cfg, node, "%s: allow: an entry is not a domain", l->what);
}

static int any_match(const char *m, size_t len, void *ctx)
{
    (void)m, (void)len, (void)ctx;
    return 1;
}

/* The host, each domain above it, and each suffix with its dot (".xxx"),
 * then the patterns. */
const char *sg_domainlist_find(const struct sg_domainlist *l, const char *host, bool *by_pattern)
{
    *by_pattern = false;
    for (size_t i = 0; l->allow && l->allow[i]; i++)
        if (*l->allow[i] && sg_url_host_in(host, l->allow[i]))
            return NULL;
    gpointer k;
    for (const char *p = host; *p;) {
        if (g_hash_table_lookup_extended(l->domains, p, &k, NULL))
            return k;
        const char *dot = strchr(p, '.');
        if (!dot)
            break;
        if (g_hash_table_lookup_extended(l->domains, dot, &k, NULL))
            return k;
        p = dot + 1;
    }
    for (size_t i = 0; i < l->nrx; i++) {
        if (sg_rx_each(l->rx[i], host, strlen(host), any_match, NULL) > 0) {
            *by_pattern = true;
            return l->rx_text[i];
        }
    }
    return NULL;
}
