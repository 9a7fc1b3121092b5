/*
 * detectors.c - the registry: one line per rule condition kind.
 */
#include <string.h>
#include "sg_detector.h"
#include "sg_schema.h"
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
extern const struct sg_detector sg_detect_identifiers;
extern const struct sg_detector sg_detect_lexicon;
extern const struct sg_detector sg_detect_pupil_names;
extern const struct sg_detector sg_detect_misdirected;
extern const struct sg_detector sg_detect_landline;
extern const struct sg_detector sg_detect_adult_urls;
extern const struct sg_detector sg_detect_recipient_domains;
extern const struct sg_detector sg_detect_logo;

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
    &sg_detect_identifiers,
    &sg_detect_lexicon,
    &sg_detect_pupil_names,
    &sg_detect_misdirected,
    &sg_detect_landline,
    &sg_detect_adult_urls,
    &sg_detect_recipient_domains,
    &sg_detect_logo,
    NULL,
};

/* The options each condition takes as a mapping live with its detector. */
const struct sg_cfg_key *sg_detector_option_table(const char *detector)
{
    const struct sg_detector *d = sg_detector_find(detector);
    return d ? d->options : NULL;
}

bool sg_detector_enabled(struct sg_cfg *cfg, yaml_node_t *node, const char *key)
{
    if (node && node->type == YAML_MAPPING_NODE) {
        if (sg_detector_option_table(key))
            return true;
        /* A mapping here would be read as "on" with its keys ignored. */
        sg_cfg_error(cfg, node, "%s takes no options; write %s: true", key, key);
        return false;
    }
    bool on = false;
    if (!sg_cfg_bool(cfg, node, &on))
        return false;
    if (!on)
        sg_cfg_error(cfg, node, "%s: false is not a condition; remove the line instead", key);
    return on;
}

struct options_ctx {
    const char *const *names;
    char ***const *outs;
};

static void on_option(struct sg_cfg *cfg, const struct sg_cfg_key *row, yaml_node_t *key, yaml_node_t *value,
                      void *ctx_)
{
    (void)key;
    struct options_ctx *ctx = ctx_;
    for (size_t i = 0; ctx->names[i]; i++) {
        if (!strcmp(ctx->names[i], row->key)) {
            sg_strv_free(*ctx->outs[i]);
            *ctx->outs[i] = sg_cfg_strlist(cfg, value, row->key, NULL);
            return;
        }
    }
}

void sg_detector_options(struct sg_cfg *cfg, yaml_node_t *node, const char *key,
                         const char *const *names, char ***const *outs)
{
    for (size_t i = 0; names[i]; i++)
        *outs[i] = sg_xcalloc(1, sizeof(char *));
    if (!node || node->type != YAML_MAPPING_NODE)
        return;
    const struct sg_cfg_key *table = sg_detector_option_table(key);
    struct sg_cfg_key local[SG_CFG_MAX_KEYS + 1];
    if (!table) {
        size_t n = 0;
        for (; names[n] && n < SG_CFG_MAX_KEYS; n++)
            local[n] = (struct sg_cfg_key){.key = names[n], .type = SG_CFG_STRLIST};
        local[n] = (struct sg_cfg_key){.key = NULL};
        table = local;
    }
    struct options_ctx ctx = {names, outs};
    sg_cfg_walk(cfg, node, table, key, on_option, &ctx, NULL);
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
