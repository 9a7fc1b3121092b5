/*
 * sg_schema.h - the policy's key tables, shared by the loader's parts and
 * by the reference generator (policy/reference.c), so that what -n
 * accepts and what contrib/policy-reference.md says cannot drift apart.
 */
#ifndef SG_SCHEMA_H
#define SG_SCHEMA_H

#include "sg_config.h"
#include "sg_policy.h"

extern const struct sg_cfg_key sg_schema_top[];
extern const struct sg_cfg_key sg_schema_school[];
extern const struct sg_cfg_key sg_schema_unit[];
extern const struct sg_cfg_key sg_schema_directory[];
extern const struct sg_cfg_key sg_schema_columns[];     /* pupils, staff, relatives */
extern const struct sg_cfg_key sg_schema_column_keys[]; /* one file's columns */
extern const struct sg_cfg_key sg_schema_outbound[];
extern const struct sg_cfg_key sg_schema_actions[];
extern const struct sg_cfg_key sg_schema_limits[];
extern const struct sg_cfg_key sg_schema_rule[];
extern const struct sg_cfg_key sg_schema_hours[];
extern const struct sg_cfg_key sg_schema_holiday[];
extern const struct sg_cfg_key sg_schema_quarantine[];

/* A named value with its meaning: recipient classes, rule actions. */
struct sg_schema_value {
    const char *name;
    unsigned mask;               /* recipient classes: SG_RCLASS_BIT()s */
    const char *doc;
};
extern const struct sg_schema_value sg_schema_to[];
extern const struct sg_schema_value sg_schema_rule_actions[];

/* The detectors' options: one table per detector key (NULL = none). */
const struct sg_cfg_key *sg_detector_option_table(const char *detector);

/* The loader's parts (policy/load_rules.c, policy/load_directory.c). */
void sg_load_rules(struct sg_cfg *cfg, yaml_node_t *node, struct sg_policy *p);
void sg_load_compile(struct sg_cfg *cfg, struct sg_policy *p);
void sg_load_rules_free(struct sg_policy *p);
/* A domain list as staff_domains: lower-cased, "@" and trailing dots
 * dropped with a warning, "*.x" for subdomains. */
void sg_load_parse_domains(struct sg_cfg *cfg, yaml_node_t *node, void *field);
/* A list of mail addresses or "@domain" entries, lower-cased; others are errors. */
void sg_load_parse_addresses(struct sg_cfg *cfg, yaml_node_t *node, void *field);
/* True when addr (any case) is in a list sg_load_parse_addresses made. */
bool sg_address_in_list(char *const *list, const char *addr);
void sg_load_schools(struct sg_cfg *cfg, yaml_node_t *node, struct sg_policy *p);
void sg_load_directory(struct sg_cfg *cfg, yaml_node_t *node, struct sg_policy *p);
void sg_load_directory_free(struct sg_policy *p);
/* quarantine: (policy/load_quarantine.c); node may be NULL (defaults). */
void sg_load_quarantine(struct sg_cfg *cfg, yaml_node_t *node, struct sg_policy *p);
void sg_load_quarantine_free(struct sg_policy *p);

#endif
