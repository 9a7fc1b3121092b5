/*
 * load_override.c - the policy keys of override and monitor mode (rule
 * and school `mode:`, a school's `overrides:`) and of the footer, as
 * custom parsers for the loader's key tables.
 */
#include <glib.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "sg_override.h"

/* A footer is a few lines, not a newsletter: it goes into every
 * annotated message. */
#define FOOTER_MAX 8192

void sg_load_parse_mode(struct sg_cfg *cfg, yaml_node_t *node, void *field)
{
    const char *s = sg_cfg_scalar(cfg, node, "mode");
    if (!s)
        return;
    if (!strcmp(s, "live"))
        *(enum sg_mode *)field = SG_MODE_LIVE;
    else if (!strcmp(s, "monitor"))
        *(enum sg_mode *)field = SG_MODE_MONITOR;
    else
        sg_cfg_error(cfg, node, "mode is live or monitor, not \"%s\"", s);
}

void sg_load_parse_switch(struct sg_cfg *cfg, yaml_node_t *node, void *field)
{
    bool b;
    if (sg_cfg_bool(cfg, node, &b))
        *(enum sg_switch *)field = b ? SG_SWITCH_ON : SG_SWITCH_OFF;
}

#define FOOT(f) offsetof(struct sg_footer, f)
const struct sg_cfg_key sg_schema_footer[] = {
    {.key = "text", .type = SG_CFG_STR, .offset = FOOT(text),
     .doc = "Appended to text/plain bodies after a blank line (UTF-8; converted to each part's charset)."},
    {.key = "html", .type = SG_CFG_STR, .offset = FOOT(html),
     .doc = "Inserted before `</body>` of text/html bodies. Omitted: `text`, HTML-escaped, one line each."},
    {.key = NULL},
};

void sg_footer_free(struct sg_footer *f)
{
    sg_cfg_free_table(sg_schema_footer, f);
}

void sg_load_parse_footer(struct sg_cfg *cfg, yaml_node_t *node, void *field)
{
    struct sg_footer *f = field;
    if (node->type != YAML_MAPPING_NODE) {
        sg_cfg_error(cfg, node, "footer is a mapping {text: ..., html: ...}");
        return;
    }
    sg_footer_free(f);
    sg_cfg_apply_table(cfg, node, sg_schema_footer, f, "footer");
    char **parts[] = {&f->text, &f->html};
    for (size_t i = 0; i < 2; i++) {
        char *s = *parts[i];
        if (s && !*s) {
            free(s);
            *parts[i] = NULL;
        } else if (s && (strlen(s) > FOOTER_MAX || !g_utf8_validate(s, -1, NULL))) {
            sg_cfg_error(cfg, node, "footer %s must be UTF-8 and at most %d bytes", i ? "html" : "text", FOOTER_MAX);
        }
    }
    if (!f->text && !f->html)
        sg_cfg_error(cfg, node, "footer needs text:, html: or both");
}
