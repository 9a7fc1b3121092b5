/*
 * sg_domainlist.h - lists of domains an admin edits (domainlist.c): the
 * adult sites a link must not lead to, the newsrooms staff must not
 * answer. One domain a line, its subdomains included; ".tld" for a whole
 * suffix; "re:" for a pcre2 pattern against the whole host.
 */
#ifndef SG_DOMAINLIST_H
#define SG_DOMAINLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>
#include <yaml.h>
#include "sg_config.h"
#include "sg_text.h"

#define SG_DOMAINLIST_MAX_PATTERNS 64    /* "re:" lines over all lists of one rule */

struct sg_domainlist {
    GHashTable *domains;         /* "pornhub.com", ".xxx" (a whole suffix) */
    struct sg_rx *rx[SG_DOMAINLIST_MAX_PATTERNS];
    char *rx_text[SG_DOMAINLIST_MAX_PATTERNS];
    size_t nrx;
    char **allow;                /* never counted, though listed (and below them) */
    bool given;                  /* the policy named the files */
    const char *what;            /* the condition, for messages: "adult_urls" */
};

void sg_domainlist_init(struct sg_domainlist *l, const char *what);
void sg_domainlist_clear(struct sg_domainlist *l);

/* A key table's custom parser for "domains: [paths]" (field: the list). */
void sg_domainlist_parse(struct sg_cfg *cfg, yaml_node_t *node, void *field);

/* After the key table: reads the default list when the policy named
 * none (an unreadable default is a load error that says how to name
 * another), checks that the lists are not empty and reads allow:. */
void sg_domainlist_finish(struct sg_cfg *cfg, yaml_node_t *node, struct sg_domainlist *l, const char *default_path);

/* The listed entry host falls under, or NULL (also when allow: has it);
 * *by_pattern when a "re:" line matched (the entry is then the pattern,
 * not a site's name). */
const char *sg_domainlist_find(const struct sg_domainlist *l, const char *host, bool *by_pattern);

/* "WWW.Example.com." -> "example.com", ".XXX" -> ".xxx"; NULL when it is
 * not a domain. */
char *sg_domainlist_key(const char *s);

#endif
