/*
 * detect_pupil_names.c - "match: pupil_names: true" or {min, with, near,
 * ordinary_words, quoted, except_own_contacts, ...}: pupils' names from
 * the directory, as people write them (002 "Information must not be
 * posted that would disclose the identity of pupils").
 *
 * Finding is namefind.c's; this file counts distinct pupils against min,
 * and lets a parent hear about their own child: a recipient who is the
 * listed contact of every pupil named (or that pupil themself) is
 * switched off.
 *
 * Evidence gives a count and where, never a name: it reaches logs.
 */
#include <stdlib.h>
#include <string.h>
#include "namefind.h"
#include "sg_schema.h"
#include "sg_text.h"

struct pupil_names {
    struct sg_namefind_opts o;
    size_t min;
    bool except_own;
    struct sg_namefind *nf;
};

#define PN(f) offsetof(struct pupil_names, f)
static const struct sg_cfg_key pupil_names_keys[] = {
    {.key = "min", .type = SG_CFG_SIZE, .offset = PN(min), .def = "1", .min = 1, .max = 100000, .shape = "number",
     .doc = "How many distinct pupils must be named (default 1); a class list names many."},
    {.key = "with", .type = SG_CFG_STRLIST, .offset = PN(o.with), .shape = "list of words",
     .doc = "Terms one of which must be within `near` of a name for it to count, every name then (default none: "
            "a name counts alone unless all its parts are ordinary words)."},
    {.key = "near", .type = SG_CFG_SIZE, .offset = PN(o.near), .def = "150", .min = 1, .max = 10000,
     .shape = "number",
     .doc = "Characters between a name and what corroborates it: a `with` term, or for an ordinary-word name or "
            "an initial (\"A. Clarke\") another pupil's name, \"pupil\", \"student\", \"year 9\", \"in my class\", "
            "\"DOB\", a pupil's UPN (default 150)."},
    {.key = "ordinary_words", .type = SG_CFG_STR, .offset = PN(o.ordinary_words), .def = "lists/name-words.txt",
     .shape = "path",
     .doc = "Words and places that are also names (Rose, Hill, Chester), one a line, relative to the policy "
            "file: a name all of whose parts are in it counts only with corroboration. `\"\"` for none. A "
            "change to it reloads the policy."},
    {.key = "quoted", .type = SG_CFG_BOOL, .offset = PN(o.quoted), .def = "false",
     .doc = "Count names in quoted history too (\"On ... wrote:\", \"> \" lines): by default the other side's "
            "own words quoted back do not count against the member of staff."},
    {.key = "except_own_contacts", .type = SG_CFG_BOOL, .offset = PN(except_own), .def = "true",
     .doc = "A recipient who is a listed contact (`directory: contacts:`) of every pupil named, or the one pupil "
            "named, is not counted: a parent may hear about their own child."},
    {.key = "contacts_need_responsibility", .type = SG_CFG_BOOL, .offset = PN(o.need_responsibility),
     .def = "false",
     .doc = "Only contacts with parental responsibility count as a pupil's own (by default any listed contact, "
            "a grandmother too)."},
    {.key = NULL},
};

static void pupil_names_free(void *state)
{
    struct pupil_names *pn = state;
    sg_namefind_free(pn->nf);
    sg_cfg_free_table(pupil_names_keys, pn);
    free(pn);
}

static void *pupil_names_parse(struct sg_cfg *cfg, yaml_node_t *node)
{
    if (!sg_detector_enabled(cfg, node, "pupil_names"))
        return NULL;
    struct pupil_names *pn = sg_xcalloc(1, sizeof(*pn));
    yaml_node_t *nodes[SG_CFG_MAX_KEYS] = {0};
    sg_cfg_apply_table_nodes(cfg, node && node->type == YAML_MAPPING_NODE ? node : NULL, pupil_names_keys, pn,
                             "pupil_names", nodes);
    for (size_t i = 0; pn->o.with && pn->o.with[i]; i++) {
        struct sg_buf b = {0};
        bool ok = sg_text_normalise(pn->o.with[i], strlen(pn->o.with[i]), &b) && b.len &&
                  b.data[strspn(b.data, " ")];
        sg_buf_free(&b);
        if (!ok)
            sg_cfg_error(cfg, node, "pupil_names: with: an empty term");
    }
    pn->nf = sg_namefind_new(cfg, node, nodes[sg_cfg_row(pupil_names_keys, "ordinary_words")], "pupil_names", &pn->o);
    if (!pn->nf) {
        pupil_names_free(pn);
        return NULL;
    }
    return pn;
}

static bool pupil_names_compile(void *state, struct sg_matcher *m, struct sg_cfg *cfg)
{
    struct pupil_names *pn = state;
    return sg_namefind_compile(pn->nf, m, cfg);
}

/* The recipient is the one pupil named, or a contact of each. */
static bool own(const struct pupil_names *pn, const struct sg_scan *scan, size_t r, const struct sg_named *v,
                size_t n)
{
    const char *addr = scan->env && scan->env->rcpts ? scan->env->rcpts[r] : NULL;
    const struct sg_person *who = scan->rcpt_person ? scan->rcpt_person[r] : NULL;
    if (!addr)
        return false;
    for (size_t i = 0; i < n; i++)
        if (v[i].pupil != who && !sg_namefind_contact_of(pn->nf, scan->policy->directory, addr, v[i].pupil, NULL))
            return false;
    return true;
}

static int pupil_names_scan(const void *state, const struct sg_scan *scan, struct sg_finding *out)
{
    const struct pupil_names *pn = state;
    struct sg_named *v = NULL;
    size_t weak = 0, n = sg_namefind_scan(pn->nf, scan, false, &v, &weak);
    if (n < pn->min || !n) {
        free(v);
        return 0;
    }
    bool any = !out->nrcpt;
    for (size_t r = 0; r < out->nrcpt; r++) {
        if (out->rcpt_on[r] && pn->except_own && own(pn, scan, r, v, n))
            out->rcpt_on[r] = false;
        any |= out->rcpt_on[r];
    }
    if (any) {
        /* A count and a place: names never reach the evidence. */
        sg_buf_printf(&out->evidence, "%zu pupil%s named", n, n == 1 ? "" : "s");
        if (weak)
            sg_buf_printf(&out->evidence, " (%zu only with corroboration)", weak);
        sg_buf_puts(&out->evidence, ", ");
        /* Where each was first named: a class list attached, not the
         * greeting that named one of them. */
        size_t *offs = sg_xmalloc(n * sizeof(*offs));
        for (size_t i = 0; i < n; i++)
            offs[i] = v[i].off;
        sg_scan_where_all(scan, offs, n, &out->evidence);
        free(offs);
    }
    free(v);
    return any;
}

const struct sg_detector sg_detect_pupil_names = {
    .key = "pupil_names",
    .options = pupil_names_keys,
    .doc = "Pupils' names from the directory (`pupils:`), as people write them: \"Amelia Clarke\", \"Millie "
           "Clarke\" (preferred name), \"Kemi Adaeze Okoro\", \"Clarke, Amelia\", \"CLARKE Amelia\", and \"A. "
           "Clarke\" with corroboration. A name made only of ordinary words or places (Rose Hill) needs a "
           "second signal near it. Evidence counts pupils, never names them.",
    .needs_text = true,
    .parse = pupil_names_parse,
    .compile = pupil_names_compile,
    .scan = pupil_names_scan,
    .free = pupil_names_free,
};
