/*
 * sg_config.h - the YAML policy reader's helpers, for the loader and for
 * detectors parsing their own options.
 *
 * Every error names file:line:col of the node at fault; loading goes on
 * after an error so that one run reports every mistake (up to
 * SG_CFG_MAX_ERRORS of them, then a count).
 *
 * Every mapping is read through a key table (struct sg_cfg_key): the same
 * rows reject unknown and duplicate keys, list the valid keys in errors,
 * and generate contrib/policy-reference.md.
 */
#ifndef SG_CONFIG_H
#define SG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yaml.h>
#include "sg_util.h"

struct sg_policy;

/* Bounds on the work one policy can ask for. libyaml shares aliased nodes,
 * so a few lines of anchors can name millions of rules or list entries;
 * these keep a hostile or mistaken file to seconds of loading. */
#define SG_CFG_MAX_ERRORS   100
#define SG_CFG_MAX_RULES    10000
#define SG_CFG_MAX_PHRASES  500000    /* phrase entries over all rules */
#define SG_CFG_MAX_ITEMS    1000000   /* list entries of any kind */
#define SG_CFG_MAX_PATTERNS 5000      /* regex: entries and other conditions
                                       * that compile patterns */

struct sg_cfg {
    const char *file;
    yaml_document_t *doc;
    struct sg_buf errors;
    unsigned nerrors;
    struct sg_buf warnings;      /* problems that do not stop a load */
    unsigned nwarnings;
    struct sg_policy *policy;    /* being built */
    const struct sg_policy *prev;    /* the running snapshot, on reload */
    size_t nitems, nphrases, npatterns;  /* against the caps above */
    bool items_capped, phrases_capped, patterns_capped;
};

void sg_cfg_error(struct sg_cfg *cfg, const yaml_node_t *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void sg_cfg_error_at(struct sg_cfg *cfg, unsigned line, unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* An error in another file (a CSV, a phrase list): "file:line: message",
 * or "file:line:col: message" when col is not 0. */
void sg_cfg_error_file(struct sg_cfg *cfg, const char *file, unsigned line, unsigned col,
                       const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* The error buffer, with "... and N more errors" when some were cut. */
char *sg_cfg_take_errors(struct sg_cfg *cfg);
/* The same for warnings; NULL when there were none. */
char *sg_cfg_take_warnings(struct sg_cfg *cfg);

/* Warnings never quote directory rows: they name file:line and a column. */
void sg_cfg_warn(struct sg_cfg *cfg, const char *file, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A warning at a node of the policy file: "file:line:col: warning: ...". */
void sg_cfg_warn_node(struct sg_cfg *cfg, const yaml_node_t *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

yaml_node_t *sg_cfg_node(struct sg_cfg *cfg, int index);
/* Scalar text, or NULL (with an error) when the node is not a scalar. */
const char *sg_cfg_scalar(struct sg_cfg *cfg, yaml_node_t *node, const char *what);
bool sg_cfg_bool(struct sg_cfg *cfg, yaml_node_t *node, bool *out);
bool sg_cfg_size(struct sg_cfg *cfg, yaml_node_t *node, size_t min, size_t max, size_t *out);
/* A scalar or a sequence of scalars, as a NULL-terminated list. Each
 * element's node is stored in nodes[] when nodes is not NULL. Entries
 * count against SG_CFG_MAX_ITEMS. */
char **sg_cfg_strlist(struct sg_cfg *cfg, yaml_node_t *node, const char *what,
                      yaml_node_t ***nodes);
/* Counts n phrase entries against SG_CFG_MAX_PHRASES; false (and one
 * error at node) once the cap is passed. */
bool sg_cfg_count_phrases(struct sg_cfg *cfg, const yaml_node_t *node, size_t n);
/* The same for pattern conditions against SG_CFG_MAX_PATTERNS. */
bool sg_cfg_count_patterns(struct sg_cfg *cfg, const yaml_node_t *node, size_t n);

/* Typed key tables: one row per key, one generic walker. */
enum sg_cfg_type { SG_CFG_STR, SG_CFG_STRLIST, SG_CFG_BOOL, SG_CFG_SIZE, SG_CFG_ACTION, SG_CFG_CUSTOM };

struct sg_cfg_key {
    const char *key;
    enum sg_cfg_type type;
    size_t offset;               /* into the target struct */
    const char *def;             /* default as YAML text, NULL = none; for
                                  * CUSTOM only documentation (the loader
                                  * sets those defaults itself) */
    size_t min, max;             /* for SIZE */
    const char *doc;
    /* for CUSTOM: parses node into the field */
    void (*custom)(struct sg_cfg *cfg, yaml_node_t *node, void *field);
    /* For the reference: what a CUSTOM value looks like, the table of a
     * nested mapping (or of each entry of a list of mappings), and
     * whether the key must be present. */
    const char *shape;
    const struct sg_cfg_key *sub;
    bool required;
};

#define SG_CFG_MAX_KEYS 64       /* rows per table: the walker keeps a bit each */

/* Called by sg_cfg_walk for each known key. */
typedef void (*sg_cfg_pair_fn)(struct sg_cfg *cfg, const struct sg_cfg_key *row, yaml_node_t *key,
                               yaml_node_t *value, void *ctx);

/* Walks a mapping against a table: unknown keys are errors listing the
 * valid ones ("section" names the mapping; NULL = the top level, whose
 * keys are sections), a repeated key is an error naming the first.
 * Returns one bit per table row present; nodes[] (may be NULL) gets each
 * present row's value node. */
uint64_t sg_cfg_walk(struct sg_cfg *cfg, yaml_node_t *map, const struct sg_cfg_key *table,
                     const char *section, sg_cfg_pair_fn fn, void *ctx, yaml_node_t **nodes);
/* Applies defaults, then reads a mapping against the table. Returns the
 * rows present, as sg_cfg_walk. */
uint64_t sg_cfg_apply_table(struct sg_cfg *cfg, yaml_node_t *map, const struct sg_cfg_key *table,
                            void *target, const char *section);
/* The same, also storing each present row's value node in nodes[]. */
uint64_t sg_cfg_apply_table_nodes(struct sg_cfg *cfg, yaml_node_t *map, const struct sg_cfg_key *table,
                                  void *target, const char *section, yaml_node_t **nodes);
void sg_cfg_free_table(const struct sg_cfg_key *table, void *target);
/* Row index of key in table, -1 when absent. */
int sg_cfg_row(const struct sg_cfg_key *table, const char *key);
/* "a, b, c": the keys of a table, for messages. */
void sg_cfg_key_list(const struct sg_cfg_key *table, struct sg_buf *out);

/* Resolves a path relative to the policy file's folder (caller frees). */
char *sg_cfg_path(struct sg_cfg *cfg, const char *path);

#endif
