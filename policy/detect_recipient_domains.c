/*
 * detect_recipient_domains.c - "match: recipient_domains: {domains,
 * allow}": a recipient (envelope, To, Cc) at a listed domain or below it.
 * For the press: answering a newsroom speaks for the school whatever the
 * words (000 2.2 and 5.2, 004 5.2 "should not respond without written
 * approval"), so it is the address, not the text, that counts.
 *
 * Evidence names the listed domain: a newsroom is not pupil data, and
 * the address itself is left out.
 */
#include <stdlib.h>
#include <string.h>
#include "sg_detector.h"
#include "sg_domainlist.h"
#include "sg_schema.h"
#include "sg_url.h"

#define RD_DEFAULT_LIST "lists/press-domains.txt"

struct rdomains {
    struct sg_domainlist lists;
};

#define RD(f) offsetof(struct rdomains, f)
static const struct sg_cfg_key rd_keys[] = {
    {.key = "domains", .type = SG_CFG_CUSTOM, .offset = RD(lists), .custom = sg_domainlist_parse,
     .def = "[" RD_DEFAULT_LIST "]", .shape = "list of paths",
     .doc = "Domain lists, relative to the policy file, written as `adult_urls`' (one domain a line, its "
            "subdomains too; `.tld`; `re:`). The default names newspapers, broadcasters and news agencies."},
    {.key = "allow", .type = SG_CFG_STRLIST, .offset = RD(lists) + offsetof(struct sg_domainlist, allow),
     .shape = "list of domains",
     .doc = "Domains (and their subdomains) never counted, though a list names them."},
    {.key = NULL},
};

static void rd_free(void *state)
{
    struct rdomains *r = state;
    sg_domainlist_clear(&r->lists);
    free(r);
}

static void *rd_parse(struct sg_cfg *cfg, yaml_node_t *node)
{
    if (!sg_detector_enabled(cfg, node, "recipient_domains"))
        return NULL;
    struct rdomains *r = sg_xcalloc(1, sizeof(*r));
    sg_domainlist_init(&r->lists, "recipient_domains");
    sg_cfg_apply_table(cfg, node && node->type == YAML_MAPPING_NODE ? node : NULL, rd_keys, r,
                       "recipient_domains");
    sg_domainlist_finish(cfg, node, &r->lists, RD_DEFAULT_LIST);
    return r;
}

static int rd_scan(const void *state, const struct sg_scan *scan, struct sg_finding *out)
{
    const struct rdomains *r = state;
    char *const *lists[] = {scan->env->rcpts, scan->msg->header_rcpts};
    for (size_t l = 0; l < 2; l++) {
        for (size_t i = 0; lists[l] && lists[l][i]; i++) {
            char *dom = sg_addr_domain(lists[l][i]);
            bool by_pattern = false;
            const char *hit = dom && *dom ? sg_domainlist_find(&r->lists, dom, &by_pattern) : NULL;
            if (hit)
                sg_buf_printf(&out->evidence, "a recipient at a listed domain, %s", by_pattern ? dom : hit);
            free(dom);
            if (hit)
                return 1;
        }
    }
    return 0;
}

const struct sg_detector sg_detect_recipient_domains = {
    .key = "recipient_domains",
    .options = rd_keys,
    .doc = "A recipient (envelope, To or Cc) at a listed domain or a subdomain of it (`domains:` lists, default "
           "lists/press-domains.txt: newsrooms), whatever the message says.",
    .parse = rd_parse,
    .scan = rd_scan,
    .free = rd_free,
};
