/*
 * config.c - YAML node helpers and the generic typed-table walker.
 *
 * Knows nothing of rules or detectors: the loader drives it with the
 * section tables, detectors use the scalar/list helpers for their options.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "sg_config.h"
#include "sg_policy.h"

static void add_error(struct sg_cfg *cfg, const char *file, unsigned line, unsigned col, const char *msg)
{
    /* Past the cap only count: an alias bomb once printed 8 million lines. */
    if (++cfg->nerrors > SG_CFG_MAX_ERRORS)
        return;
    if (col)
        sg_buf_printf(&cfg->errors, "%s:%u:%u: %s\n", file, line, col, msg);
    else
        sg_buf_printf(&cfg->errors, "%s:%u: %s\n", file, line, msg);
}

void sg_cfg_error_at(struct sg_cfg *cfg, unsigned line, unsigned col, const char *fmt, ...)
{
    va_list ap;
    char msg[1024];
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (++cfg->nerrors > SG_CFG_MAX_ERRORS)
        return;
    sg_buf_printf(&cfg->errors, "%s:%u:%u: %s\n", cfg->file, line, col, msg);
}

void sg_cfg_error_file(struct sg_cfg *cfg, const char *file, unsigned line, unsigned col, const char *fmt, ...)
{
    va_list ap;
    char msg[1024];
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    add_error(cfg, file, line, col, msg);
}

char *sg_cfg_take_errors(struct sg_cfg *cfg)
{
    if (cfg->nerrors > SG_CFG_MAX_ERRORS)
        sg_buf_printf(&cfg->errors, "... and %u more errors\n", cfg->nerrors - SG_CFG_MAX_ERRORS);
    return sg_buf_steal(&cfg->errors);
}

static void add_warning(struct sg_cfg *cfg, const char *text)
{
    if (++cfg->nwarnings <= SG_CFG_MAX_ERRORS)
        sg_buf_puts(&cfg->warnings, text);
}

char *sg_cfg_take_warnings(struct sg_cfg *cfg)
{
    if (cfg->nwarnings > SG_CFG_MAX_ERRORS)
        sg_buf_printf(&cfg->warnings, "... and %u more warnings\n", cfg->nwarnings - SG_CFG_MAX_ERRORS);
    return cfg->warnings.len ? sg_buf_steal(&cfg->warnings) : NULL;
}

void sg_cfg_warn(struct sg_cfg *cfg, const char *file, unsigned line, const char *fmt, ...)
{
    va_list ap;
    char msg[1024], full[1400];
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(full, sizeof(full), "%s:%u: %s\n", file, line, msg);
    add_warning(cfg, full);
}

void sg_cfg_warn_node(struct sg_cfg *cfg, const yaml_node_t *node, const char *fmt, ...)
{
    va_list ap;
    char msg[1024], full[1400];
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(full, sizeof(full), "%s:%u:%u: warning: %s\n", cfg->file,
             node ? (unsigned)node->start_mark.line + 1 : 1, node ? (unsigned)node->start_mark.column + 1 : 1, msg);
    add_warning(cfg, full);
}

void sg_cfg_error(struct sg_cfg *cfg, const yaml_node_t *node, const char *fmt, ...)
{
    va_list ap;
    char msg[1024];
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    unsigned line = node ? (unsigned)node->start_mark.line + 1 : 1;
    unsigned col = node ? (unsigned)node->start_mark.column + 1 : 1;
    sg_cfg_error_at(cfg, line, col, "%s", msg);
}

yaml_node_t *sg_cfg_node(struct sg_cfg *cfg, int index)
{
    return yaml_document_get_node(cfg->doc, index);
}

const char *sg_cfg_scalar(struct sg_cfg *cfg, yaml_node_t *node, const char *what)
{
    if (!node || node->type != YAML_SCALAR_NODE) {
        sg_cfg_error(cfg, node, "%s must be a single value", what);
        return NULL;
    }
    return (const char *)node->data.scalar.value;
}

bool sg_cfg_bool(struct sg_cfg *cfg, yaml_node_t *node, bool *out)
{
    const char *s = sg_cfg_scalar(cfg, node, "a yes/no option");
    if (!s)
        return false;
    if (!strcasecmp(s, "true") || !strcasecmp(s, "yes") || !strcasecmp(s, "on")) {
        *out = true;
        return true;
    }
    if (!strcasecmp(s, "false") || !strcasecmp(s, "no") || !strcasecmp(s, "off")) {
        *out = false;
        return true;
    }
    sg_cfg_error(cfg, node, "expected true or false, not \"%s\"", s);
    return false;
}

/* Accepts 1048576, 1024k, 1M, 2G (binary units, as admins write sizes). */
static bool parse_size(const char *s, size_t *out)
{
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *s == '-')
        return false;
    unsigned long long mul = 1;
    switch (*end) {
    case 'k': case 'K': mul = 1ULL << 10; end++; break;
    case 'm': case 'M': mul = 1ULL << 20; end++; break;
    case 'g': case 'G': mul = 1ULL << 30; end++; break;
    default: break;
    }
    if (*end == 'b' || *end == 'B')
        end++;
    if (*end || v > SIZE_MAX / mul)
        return false;
    *out = (size_t)(v * mul);
    return true;
}

bool sg_cfg_size(struct sg_cfg *cfg, yaml_node_t *node, size_t min, size_t max, size_t *out)
{
    const char *s = sg_cfg_scalar(cfg, node, "a number");
    if (!s)
        return false;
    size_t v;
    if (!parse_size(s, &v)) {
        sg_cfg_error(cfg, node, "\"%s\" is not a number (sizes may end in k, M or G)", s);
        return false;
    }
    if (v < min || v > max) {
        sg_cfg_error(cfg, node, "%zu is out of range (%zu to %zu)", v, min, max);
        return false;
    }
    *out = v;
    return true;
}

static bool count_items(struct sg_cfg *cfg, const yaml_node_t *node, size_t n)
{
    if (cfg->items_capped)
        return false;
    cfg->nitems += n;
    if (cfg->nitems <= SG_CFG_MAX_ITEMS)
        return true;
    cfg->items_capped = true;
    sg_cfg_error(cfg, node, "more than %d list entries in the policy (counting every use of a YAML alias); "
                 "a policy is limited to that many", SG_CFG_MAX_ITEMS);
    return false;
}

bool sg_cfg_count_phrases(struct sg_cfg *cfg, const yaml_node_t *node, size_t n)
{
    if (cfg->phrases_capped)
        return false;
    cfg->nphrases += n;
    if (cfg->nphrases <= SG_CFG_MAX_PHRASES)
        return true;
    cfg->phrases_capped = true;
    sg_cfg_error(cfg, node, "more than %d phrases in the policy (counting every rule and every use of "
                 "a YAML alias); a policy is limited to that many", SG_CFG_MAX_PHRASES);
    return false;
}

bool sg_cfg_count_patterns(struct sg_cfg *cfg, const yaml_node_t *node, size_t n)
{
    if (cfg->patterns_capped)
        return false;
    cfg->npatterns += n;
    if (cfg->npatterns <= SG_CFG_MAX_PATTERNS)
        return true;
    cfg->patterns_capped = true;
    sg_cfg_error(cfg, node, "more than %d pattern conditions in the policy (each regex: pattern and each "
                 "condition other than phrases: counts, in every rule and every use of a YAML alias); a policy "
                 "is limited to that many", SG_CFG_MAX_PATTERNS);
    return false;
}

char **sg_cfg_strlist(struct sg_cfg *cfg, yaml_node_t *node, const char *what,
                      yaml_node_t ***nodes)
{
    if (nodes)
        *nodes = NULL;
    if (node && node->type == YAML_SCALAR_NODE) {
        char **list = sg_xcalloc(2, sizeof(*list));
        if (!count_items(cfg, node, 1))
            return list;
        list[0] = sg_xstrdup((const char *)node->data.scalar.value);
        if (nodes) {
            *nodes = sg_xcalloc(2, sizeof(**nodes));
            (*nodes)[0] = node;
        }
        return list;
    }
    if (!node || node->type != YAML_SEQUENCE_NODE) {
        sg_cfg_error(cfg, node, "%s must be a value or a list of values", what);
        return sg_xcalloc(1, sizeof(char *));
    }
    size_t count = (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
    if (!count_items(cfg, node, count))
        count = 0;
    /* Sized once: pushing one at a time is quadratic on long lists. */
    char **list = sg_xcalloc(count + 1, sizeof(*list));
    if (nodes)
        *nodes = sg_xcalloc(count + 1, sizeof(**nodes));
    size_t n = 0;
    for (size_t i = 0; i < count; i++) {
        yaml_node_t *item = sg_cfg_node(cfg, node->data.sequence.items.start[i]);
        if (!item || item->type != YAML_SCALAR_NODE) {
            sg_cfg_error(cfg, item, "each entry of %s must be a single value", what);
            continue;
        }
        list[n] = sg_xstrdup((const char *)item->data.scalar.value);
        if (nodes)
            (*nodes)[n] = item;
        n++;
    }
    return list;
}

static void set_field(struct sg_cfg *cfg, const struct sg_cfg_key *k, yaml_node_t *node,
                      const char *text, void *target)
{
    char *field = (char *)target + k->offset;
    switch (k->type) {
    case SG_CFG_STR: {
        const char *s = node ? sg_cfg_scalar(cfg, node, k->key) : text;
        if (!s)
            return;
        free(*(char **)field);
        *(char **)field = sg_xstrdup(s);
        break;
    }
    case SG_CFG_STRLIST: {
        sg_strv_free(*(char ***)field);
        if (node) {
            *(char ***)field = sg_cfg_strlist(cfg, node, k->key, NULL);
        } else {
            char **v = sg_xcalloc(1, sizeof(*v));
            if (*text)
                v = sg_strv_push(v, text);
            *(char ***)field = v;
        }
        break;
    }
    case SG_CFG_BOOL: {
        bool b = !strcmp(text ? text : "", "true");
        if (node && !sg_cfg_bool(cfg, node, &b))
            return;
        *(bool *)field = b;
        break;
    }
    case SG_CFG_SIZE: {
        size_t v = 0;
        if (node) {
            if (!sg_cfg_size(cfg, node, k->min, k->max, &v))
                return;
        } else if (!parse_size(text, &v)) {
            return;
        }
        *(size_t *)field = v;
        break;
    }
    case SG_CFG_CUSTOM:
        if (node)
            k->custom(cfg, node, field);
        break;
    case SG_CFG_ACTION: {
        const char *s = node ? sg_cfg_scalar(cfg, node, k->key) : text;
        if (!s)
            return;
        int a = sg_action_parse(s);
        if (a < 0) {
            struct sg_buf known = {0};
            for (int i = SG_ACTION_ACCEPT; i <= SG_ACTION_TEMPFAIL; i++)
                sg_buf_printf(&known, "%s%s", i ? ", " : "", sg_action_name((enum sg_action)i));
            sg_cfg_error(cfg, node, "unknown action \"%s\" (%s)", s, known.data);
            sg_buf_free(&known);
            return;
        }
        *(enum sg_action *)field = (enum sg_action)a;
        break;
    }
    }
}

int sg_cfg_row(const struct sg_cfg_key *table, const char *key)
{
    for (int i = 0; table[i].key; i++)
        if (!strcmp(table[i].key, key))
            return i;
    return -1;
}

void sg_cfg_key_list(const struct sg_cfg_key *table, struct sg_buf *out)
{
    for (size_t i = 0; table[i].key; i++)
        sg_buf_printf(out, "%s%s", i ? ", " : "", table[i].key);
}

uint64_t sg_cfg_walk(struct sg_cfg *cfg, yaml_node_t *map, const struct sg_cfg_key *table,
                     const char *section, sg_cfg_pair_fn fn, void *ctx, yaml_node_t **nodes)
{
    uint64_t seen = 0;
    yaml_node_t *first[SG_CFG_MAX_KEYS];
    if (!map || map->type != YAML_MAPPING_NODE) {
        struct sg_buf keys = {0};
        sg_cfg_key_list(table, &keys);
        sg_cfg_error(cfg, map, "%s must be a mapping of key: value (%s)", section ? section : "the policy",
                     keys.data ? keys.data : "");
        sg_buf_free(&keys);
        return 0;
    }
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *key = sg_cfg_node(cfg, p->key);
        const char *name = sg_cfg_scalar(cfg, key, section ? "a key" : "a section name");
        if (!name)
            continue;
        int row = sg_cfg_row(table, name);
        if (row < 0 || row >= SG_CFG_MAX_KEYS) {
            struct sg_buf keys = {0};
            sg_cfg_key_list(table, &keys);
            if (section)
                sg_cfg_error(cfg, key, "unknown key \"%s\" in %s (valid keys: %s)", name, section, keys.data);
            else
                sg_cfg_error(cfg, key, "unknown section \"%s\" (valid sections: %s)", name, keys.data);
            sg_buf_free(&keys);
            continue;
        }
        /* libyaml keeps both; a second value silently winning is a trap. */
        if (seen & ((uint64_t)1 << row)) {
            sg_cfg_error(cfg, key, "duplicate key \"%s\" (first at line %lu)", name,
                         (unsigned long)first[row]->start_mark.line + 1);
            continue;
        }
        seen |= (uint64_t)1 << row;
        first[row] = key;
        yaml_node_t *value = sg_cfg_node(cfg, p->value);
        if (nodes)
            nodes[row] = value;
        fn(cfg, &table[row], key, value, ctx);
    }
    return seen;
}

static void apply_pair(struct sg_cfg *cfg, const struct sg_cfg_key *row, yaml_node_t *key, yaml_node_t *value,
                       void *target)
{
    if (!value)
        return;
    (void)key;
    set_field(cfg, row, value, NULL, target);
}

uint64_t sg_cfg_apply_table_nodes(struct sg_cfg *cfg, yaml_node_t *map, const struct sg_cfg_key *table,
                                  void *target, const char *section, yaml_node_t **nodes)
{
    for (const struct sg_cfg_key *k = table; k->key; k++)
        if (k->def)
            set_field(cfg, k, NULL, k->def, target);
    if (!map)
        return 0;
    return sg_cfg_walk(cfg, map, table, section, apply_pair, target, nodes);
}

uint64_t sg_cfg_apply_table(struct sg_cfg *cfg, yaml_node_t *map, const struct sg_cfg_key *table,
                            void *target, const char *section)
{
    return sg_cfg_apply_table_nodes(cfg, map, table, target, section, NULL);
}

void sg_cfg_free_table(const struct sg_cfg_key *table, void *target)
{
    for (const struct sg_cfg_key *k = table; k->key; k++) {
        char *field = (char *)target + k->offset;
        if (k->type == SG_CFG_STR) {
            free(*(char **)field);
            *(char **)field = NULL;
        } else if (k->type == SG_CFG_STRLIST) {
            sg_strv_free(*(char ***)field);
            *(char ***)field = NULL;
        }
    }
}

char *sg_cfg_path(struct sg_cfg *cfg, const char *path)
{
    if (path[0] == '/' || !cfg->policy || !cfg->policy->dir)
        return sg_xstrdup(path);
    struct sg_buf b = {0};
    sg_buf_printf(&b, "%s/%s", cfg->policy->dir, path);
    return sg_buf_steal(&b);
}
