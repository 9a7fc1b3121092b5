/*
 * detect_personal_sender.c - "match: personal_sender: true": the mail
 * comes from a non-school account: the envelope sender or the From header
 * is outside the staff and trust domains (a personal address relayed
 * through the school, or a logged-in member of staff writing as their
 * personal self). Seed 002: "emailing to or from non-school accounts is
 * not acceptable".
 */
#include <stdlib.h>
#include <string.h>
#include "sg_detector.h"

static void *ps_parse(struct sg_cfg *cfg, yaml_node_t *node)
{
    return sg_detector_enabled(cfg, node, "personal_sender") ? sg_xstrdup("on") : NULL;
}

static bool school_account(const struct sg_policy *p, const char *addr, char **domain)
{
    *domain = sg_addr_domain(addr);
    if (!*domain)
        return true;                 /* no address (bounces): nothing to judge */
    return sg_domain_in_list(p->school.staff_domains, *domain) ||
           sg_domain_in_list(p->school.trust_domains, *domain);
}

static int ps_scan(const void *state, const struct sg_scan *scan, struct sg_finding *out)
{
    const char *addrs[] = {scan->env->mail_from, scan->msg->from_header};
    const char *what[] = {"envelope sender", "From header"};
    for (size_t i = 0; i < 2; i++) {
        char *dom = NULL;
        bool ok = !addrs[i] || school_account(scan->policy, addrs[i], &dom);
        if (!ok)
            sg_buf_printf(&out->evidence, "%s is a non-school account at %s", what[i], dom);
        free(dom);
        if (!ok)
            return 1;
    }
    return 0;
}

const struct sg_detector sg_detect_personal_sender = {
    .key = "personal_sender",
    .doc = "The sender (envelope or From header) is not a staff or trust account.",
    .parse = ps_parse,
    .scan = ps_scan,
    .free = free,
};
