/*
 * detectors.c - the registry: one line per rule condition kind.
 */
#include <string.h>
#include "sg_detector.h"
#include "sg_text.h"

extern const struct sg_detector sg_detect_phrases;
extern const struct sg_detector sg_detect_regex;
extern const struct sg_detector sg_detect_personal_sender;
extern const struct sg_detector sg_detect_copies_personal;
extern const struct sg_detector sg_detect_mobile;
extern const struct sg_detector sg_detect_personal_email;
extern const struct sg_detector sg_detect_messaging;
extern const struct sg_detector sg_detect_social;
extern const struct sg_detector sg_detect_outside_hours;

static const struct sg_detector *const registry[] = {
    &sg_detect_phrases,
    &sg_detect_regex,
    &sg_detect_personal_sender,
    &sg_detect_copies_personal,
    &sg_detect_mobile,
    &sg_detect_personal_email,
    &sg_detect_messaging,
    &sg_detect_social,
    &sg_detect_outside_hours,
    NULL,
};

bool sg_detector_enabled(struct sg_cfg *cfg, yaml_node_t *node, const char *key)
{
    if (node && node->type == YAML_MAPPING_NODE)
        return true;
    bool on = false;
    if (!sg_cfg_bool(cfg, node, &on))
        return false;
    if (!on)
        sg_cfg_error(cfg, node, "%s: false is not a condition; remove the line instead", key);
    return on;
}

void sg_detector_options(struct sg_cfg *cfg, yaml_node_t *node, const char *key,
                         const char *const *names, char ***const *outs)
{
    for (size_t i = 0; names[i]; i++)
        *outs[i] = sg_xcalloc(1, sizeof(char *));
    if (!node || node->type != YAML_MAPPING_NODE)
        return;
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; p++) {
        yaml_node_t *k = sg_cfg_node(cfg, p->key);
        const char *name = sg_cfg_scalar(cfg, k, "an option");
        if (!name)
            continue;
        size_t i;
        for (i = 0; names[i] && strcmp(names[i], name); i++)
            ;
        if (!names[i]) {
            struct sg_buf known = {0};
            for (size_t j = 0; names[j]; j++)
                sg_buf_printf(&known, "%s%s", j ? ", " : "", names[j]);
            sg_cfg_error(cfg, k, "unknown option \"%s\" for %s (%s)", name, key, known.len ? known.data : "none");
            sg_buf_free(&known);
            continue;
        }
        sg_strv_free(*outs[i]);
        *outs[i] = sg_cfg_strlist(cfg, sg_cfg_node(cfg, p->value), name, NULL);
    }
}

size_t sg_detector_patterns(struct sg_cfg *cfg, yaml_node_t *node, const char *what,
                            const char *const *patterns, struct sg_rx **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; patterns[i] && n < max; i++) {
        char err[256];
        struct sg_rx *rx = sg_rx_new(patterns[i], err, sizeof(err), NULL);
        if (!rx)
            sg_cfg_error(cfg, node, "internal %s pattern %zu: %s", what, i + 1, err);
        else
            out[n++] = rx;
    }
    return n;
}

bool sg_detector_school_domain(const struct sg_policy *p, const char *domain)
{
    return sg_domain_in_list(p->school.staff_domains, domain) ||
           sg_domain_in_list(p->school.pupil_domains, domain) ||
           sg_domain_in_list(p->school.trust_domains, domain);
}

const struct sg_detector *sg_detector_find(const char *key)
{
    for (size_t i = 0; registry[i]; i++)
        if (!strcmp(registry[i]->key, key))
            return registry[i];
    return NULL;
}

const struct sg_detector *const *sg_detector_all(void)
{
    return registry;
}
