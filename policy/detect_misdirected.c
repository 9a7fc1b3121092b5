/*
 * detect_misdirected.c - "match: misdirected_pupil_data: true" or {near,
 * ordinary_words, quoted, contacts_need_responsibility}: mail to a pupil's
 * listed contact (a parent, from `directory: contacts:`) that names or
 * identifies by UPN a pupil who is not that contact's child - the report
 * about Amelia sent to Chloe's mother (002 "must not ... disclose the
 * identity of pupils").
 *
 * Only recipients who are somebody's listed contact stay in scope; a
 * contact hearing only about their own child passes. Names are found as
 * pupil_names finds them (namefind.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "namefind.h"
#include "sg_schema.h"

struct misdirected {
    struct sg_namefind_opts o;
    struct sg_namefind *nf;
};

#define MD(f) offsetof(struct misdirected, f)
static const struct sg_cfg_key misdirected_keys[] = {
    {.key = "near", .type = SG_CFG_SIZE, .offset = MD(o.near), .def = "150", .min = 1, .max = 10000,
     .shape = "number",
     .doc = "Characters between an ordinary-word name or an initial and its corroboration, as for `pupil_names` "
            "(default 150)."},
    {.key = "ordinary_words", .type = SG_CFG_STR, .offset = MD(o.ordinary_words), .def = "lists/name-words.txt",
     .shape = "path", .doc = "As for `pupil_names`."},
    {.key = "quoted", .type = SG_CFG_BOOL, .offset = MD(o.quoted), .def = "false",
     .doc = "Count names in quoted history too (the parent's own words quoted back do not count by default)."},
    {.key = "contacts_need_responsibility", .type = SG_CFG_BOOL, .offset = MD(o.need_responsibility),
     .def = "false",
     .doc = "A contact without parental responsibility (`Parental Responsibility: no`) is not counted as the "
            "child's own: naming that child to them fires too. By default any listed contact may hear about "
            "their listed child."},
    {.key = NULL},
};

static void misdirected_free(void *state)
{
    struct misdirected *md = state;
    sg_namefind_free(md->nf);
    sg_cfg_free_table(misdirected_keys, md);
    free(md);
}

static void *misdirected_parse(struct sg_cfg *cfg, yaml_node_t *node)
{
    if (!sg_detector_enabled(cfg, node, "misdirected_pupil_data"))
        return NULL;
    const struct sg_policy *p = cfg->policy;
    if (!p || !p->dircfg.contacts_path || !*p->dircfg.contacts_path) {
        sg_cfg_error(cfg, node, "misdirected_pupil_data needs the pupils' contacts: set directory: contacts:");
        return NULL;
    }
    struct misdirected *md = sg_xcalloc(1, sizeof(*md));
    yaml_node_t *nodes[SG_CFG_MAX_KEYS] = {0};
    sg_cfg_apply_table_nodes(cfg, node && node->type == YAML_MAPPING_NODE ? node : NULL, misdirected_keys, md,
                             "misdirected_pupil_data", nodes);
    md->nf = sg_namefind_new(cfg, node, nodes[sg_cfg_row(misdirected_keys, "ordinary_words")], "misdirected_pupil_data", &md->o);
    if (!md->nf) {
        misdirected_free(md);
        return NULL;
    }
    return md;
}

static bool misdirected_compile(void *state, struct sg_matcher *m, struct sg_cfg *cfg)
{
    struct misdirected *md = state;
    return sg_namefind_compile(md->nf, m, cfg);
}

static int misdirected_scan(const void *state, const struct sg_scan *scan, struct sg_finding *out)
{
    const struct misdirected *md = state;
    struct sg_named *v = NULL;
    size_t n = sg_namefind_scan(md->nf, scan, true, &v, NULL);
    size_t fired = 0, first = SIZE_MAX;
    for (size_t r = 0; r < out->nrcpt; r++) {
        const char *addr = scan->env && scan->env->rcpts ? scan->env->rcpts[r] : NULL;
        bool listed = false;
        size_t other = SIZE_MAX;
        if (out->rcpt_on[r] && addr && n) {
            sg_namefind_contact_of(md->nf, scan->policy->directory, addr, NULL, &listed);
            for (size_t i = 0; listed && i < n && other == SIZE_MAX; i++)
                if (!sg_namefind_contact_of(md->nf, scan->policy->directory, addr, v[i].pupil, NULL))
                    other = v[i].off;
        }
        if (other == SIZE_MAX) {
            out->rcpt_on[r] = false;
            continue;
        }
        fired++;
        if (other < first)
            first = other;
    }
    if (fired) {
        sg_buf_printf(&out->evidence, "names a pupil who is not this contact's child (%zu recipient%s), ", fired,
                      fired == 1 ? "" : "s");
        sg_scan_where(scan, first, &out->evidence);
    }
    free(v);
    return fired > 0;
}

const struct sg_detector sg_detect_misdirected = {
    .key = "misdirected_pupil_data",
    .options = misdirected_keys,
    .doc = "Mail to a pupil's listed contact (`directory: contacts:`) that names, or gives the UPN of, a pupil "
           "who is not one of that contact's children; only those recipients are named in the hit. A parent "
           "hearing about their own child passes.",
    .needs_text = true,
    .parse = misdirected_parse,
    .compile = misdirected_compile,
    .scan = misdirected_scan,
    .free = misdirected_free,
};
