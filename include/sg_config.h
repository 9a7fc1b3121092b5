/*
 * sg_config.h - the YAML policy reader's helpers, for the loader and for
 * detectors parsing their own options.
 *
 * Every error names file:line:col of the node at fault; loading goes on
 * after an error so that one run reports every mistake.
 */
#ifndef SG_CONFIG_H
#define SG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>
#include "sg_util.h"

struct sg_policy;

struct sg_cfg {
    const char *file;
    yaml_document_t *doc;
    struct sg_buf errors;
    unsigned nerrors;
    struct sg_buf warnings;      /* problems that do not stop a load */
    struct sg_policy *policy;    /* being built */
};

void sg_cfg_error(struct sg_cfg *cfg, const yaml_node_t *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void sg_cfg_error_at(struct sg_cfg *cfg, unsigned line, unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

void sg_cfg_warn(struct sg_cfg *cfg, const char *file, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

yaml_node_t *sg_cfg_node(struct sg_cfg *cfg, int index);
/* Scalar text, or NULL (with an error) when the node is not a scalar. */
const char *sg_cfg_scalar(struct sg_cfg *cfg, yaml_node_t *node, const char *what);
bool sg_cfg_bool(struct sg_cfg *cfg, yaml_node_t *node, bool *out);
bool sg_cfg_size(struct sg_cfg *cfg, yaml_node_t *node, size_t min, size_t max, size_t *out);
/* A scalar or a sequence of scalars, as a NULL-terminated list. Each
 * element's node is stored in nodes[] when nodes is not NULL. */
char **sg_cfg_strlist(struct sg_cfg *cfg, yaml_node_t *node, const char *what,
                      yaml_node_t ***nodes);

/* True (and an error reported) when pair's key already appeared in map. */
bool sg_cfg_duplicate_key(struct sg_cfg *cfg, yaml_node_t *map, yaml_node_pair_t *pair);

/* Typed key tables: one row per key, one generic walker. */
enum sg_cfg_type { SG_CFG_STR, SG_CFG_STRLIST, SG_CFG_BOOL, SG_CFG_SIZE, SG_CFG_ACTION, SG_CFG_CUSTOM };

struct sg_cfg_key {
    const char *key;
    enum sg_cfg_type type;
    size_t offset;               /* into the target struct */
    const char *def;             /* default as YAML text, NULL = none */
    size_t min, max;             /* for SIZE */
    const char *doc;
    /* for CUSTOM: parses node into the field */
    void (*custom)(struct sg_cfg *cfg, yaml_node_t *node, void *field);
};

/* Applies defaults, then reads a mapping against the table; unknown keys
 * are errors. */
void sg_cfg_apply_table(struct sg_cfg *cfg, yaml_node_t *map, const struct sg_cfg_key *table,
                        void *target, const char *section);
void sg_cfg_free_table(const struct sg_cfg_key *table, void *target);

/* Resolves a path relative to the policy file's folder (caller frees). */
char *sg_cfg_path(struct sg_cfg *cfg, const char *path);

#endif
