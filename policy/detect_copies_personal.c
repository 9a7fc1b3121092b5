/*
 * detect_copies_personal.c - "match: copies_personal: true": a copy of
 * the message goes to one of the sender's own personal addresses (known
 * from the staff directory), by Cc, Bcc or envelope. Seed 002: contact
 * with students must be "monitorable by school".
 */
#include <stdlib.h>
#include <string.h>
#include "sg_detector.h"

static void *cp_parse(struct sg_cfg *cfg, yaml_node_t *node)
{
    return sg_detector_enabled(cfg, node, "copies_personal") ? sg_xstrdup("on") : NULL;
}

static bool is_own_personal(const struct sg_scan *scan, const char *addr)
{
    bool personal;
    const struct sg_person *who = sg_directory_lookup(scan->policy->directory, addr, &personal);
    return who && personal && who == scan->sender;
}

static int cp_scan(const void *state, const struct sg_scan *scan, struct sg_finding *out)
{
    if (!scan->sender)
        return 0;
    char *const *lists[] = {scan->env->rcpts, scan->msg->header_rcpts};
    for (size_t l = 0; l < 2; l++) {
        for (size_t i = 0; lists[l] && lists[l][i]; i++) {
            if (!is_own_personal(scan, lists[l][i]))
                continue;
            char *dom = sg_addr_domain(lists[l][i]);
            sg_buf_printf(&out->evidence, "a copy goes to the sender's personal address at %s", dom ? dom : "?");
            free(dom);
            return 1;
        }
    }
    return 0;
}

const struct sg_detector sg_detect_copies_personal = {
    .key = "copies_personal",
    .doc = "A recipient is one of the sender's own personal addresses (staff directory).",
    .parse = cp_parse,
    .scan = cp_scan,
    .free = free,
};
