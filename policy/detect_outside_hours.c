/*
 * detect_outside_hours.c - "match: outside_hours: true": the message is
 * sent outside the contact window of the recipient pupil's school (days,
 * hours, holidays in school.timezone). Recipients inside their window are
 * switched off, so a trust-wide message names only the pupils it reached
 * out of hours. Seed 001 5.2: "at appropriate times of the day".
 */
#include <stdio.h>
#include <stdlib.h>
#include "sg_detector.h"

static void *oh_parse(struct sg_cfg *cfg, yaml_node_t *node)
{
    if (!sg_detector_enabled(cfg, node, "outside_hours"))
        return NULL;
    if (cfg->policy && !cfg->policy->school.hours.set)
        sg_cfg_error(cfg, node, "outside_hours needs school: contact_hours: (set it before the rules)");
    return sg_xstrdup("on");
}

static int oh_scan(const void *state, const struct sg_scan *scan, struct sg_finding *out)
{
    const struct sg_policy *p = scan->policy;
    bool any = false;
    char why[160] = "";
    for (size_t i = 0; i < scan->nrcpt; i++) {
        if (!out->rcpt_on[i])
            continue;
        const struct sg_person *pupil = scan->rcpt_person ? scan->rcpt_person[i] : NULL;
        char w[160];
        if (sg_hours_allows(sg_policy_hours_for(p, pupil), p->tz, scan->env->when, w, sizeof(w))) {
            out->rcpt_on[i] = false;
        } else {
            any = true;
            snprintf(why, sizeof(why), "%s", w);
        }
    }
    if (!scan->nrcpt) {
        any = !sg_hours_allows(&p->school.hours, p->tz, scan->env->when, why, sizeof(why));
    }
    if (any)
        sg_buf_puts(&out->evidence, why);
    return any;
}

const struct sg_detector sg_detect_outside_hours = {
    .key = "outside_hours",
    .doc = "Sent outside the recipient pupil's school contact window.",
    .parse = oh_parse,
    .scan = oh_scan,
    .free = free,
};
