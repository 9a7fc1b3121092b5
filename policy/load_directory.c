/*
 * load_directory.c - schools: and directory: of the policy, and the checks
 * that need both the policy and the CSVs: School values against schools:,
 * and a new export against the running one (a truncated nightly export
 * must not silently drop pupils from screening).
 */
#include <glib.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sg_config.h"
#include "sg_notice.h"
#include "sg_schema.h"
#include "sg_override.h"

static void parse_hours_field(struct sg_cfg *cfg, yaml_node_t *node, void *field)
{
    sg_hours_free(field);
    sg_hours_parse(cfg, node, field);
}

const struct sg_cfg_key sg_schema_unit[] = {
    {.key = "id", .type = SG_CFG_STR, .offset = offsetof(struct sg_school_unit, id), .required = true,
     .doc = "The value of the directory's School column for this school's people."},
    {.key = "name", .type = SG_CFG_STR, .offset = offsetof(struct sg_school_unit, name),
     .doc = "The school's name."},
    {.key = "contact_hours", .type = SG_CFG_CUSTOM, .offset = offsetof(struct sg_school_unit, hours),
     .custom = parse_hours_field, .shape = "mapping", .sub = sg_schema_hours,
     .doc = "This school's contact window; its pupils get it instead of the `school:` one."},
    {.key = "safeguarding_team", .type = SG_CFG_CUSTOM, .offset = offsetof(struct sg_school_unit, safeguarding_team),
     .custom = sg_load_parse_addresses, .def = "[]", .shape = "list of addresses",
     .doc = "This school's DSL and deputies: mail from its staff to them alone is a report (see `school:`)."},
    {.key = "mode", .type = SG_CFG_CUSTOM, .offset = offsetof(struct sg_school_unit, mode), .custom = sg_load_parse_mode,
     .shape = "live or monitor", .doc = "`monitor` for this school's staff while it rolls the policy out (see "
     "`school: mode`). Omitted: the trust's."},
    {.key = "overrides", .type = SG_CFG_CUSTOM, .offset = offsetof(struct sg_school_unit, overrides),
     .custom = sg_load_parse_switch, .shape = "true or false",
     .doc = "`false`: this school's staff cannot override any rule with `[justify: ...]`. Omitted: the trust's."},
    {.key = "footer", .type = SG_CFG_CUSTOM, .offset = offsetof(struct sg_school_unit, footer),
     .custom = sg_load_parse_footer, .shape = "mapping", .sub = sg_schema_footer,
     .doc = "This school's footer for its staff's annotated mail, instead of `actions: footer:`."},
    {.key = "notices", .type = SG_CFG_CUSTOM, .offset = offsetof(struct sg_school_unit, notices),
     .custom = sg_load_unit_notices, .shape = "mapping", .sub = sg_schema_unit_notices,
     .doc = "This school's DSL notice addresses and digest (see `notices:`)."},
    {.key = NULL},
};

void sg_load_schools(struct sg_cfg *cfg, yaml_node_t *node, struct sg_policy *p)
{
    if (node->type != YAML_SEQUENCE_NODE) {
        sg_cfg_error(cfg, node, "schools must be a list of {id, name, contact_hours}");
        return;
    }
    size_t n = (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
    p->units = sg_xcalloc(n + 1, sizeof(*p->units));
    GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *u = sg_cfg_node(cfg, node->data.sequence.items.start[i]);
        if (u->type != YAML_MAPPING_NODE) {
            sg_cfg_error(cfg, u, "each school is a mapping {id, name, contact_hours}");
            continue;
        }
        struct sg_school_unit *unit = &p->units[p->nunits++];
        sg_cfg_apply_table(cfg, u, sg_schema_unit, unit, "a school");
        if (!unit->id) {
            sg_cfg_error(cfg, u, "a school needs an id (the value of the directory's School column)");
            continue;
        }
        /* The School column is matched without case, so ids are too. */
        char *key = g_ascii_strdown(unit->id, -1);
        gpointer first = g_hash_table_lookup(seen, key);
        if (first) {
            if (GPOINTER_TO_UINT(first) != G_MAXUINT)
                sg_cfg_error(cfg, u, "duplicate school id \"%s\" (first at line %u)", unit->id, GPOINTER_TO_UINT(first));
            g_hash_table_replace(seen, key, GUINT_TO_POINTER(G_MAXUINT));   /* reported once */
        } else {
            g_hash_table_insert(seen, key, GUINT_TO_POINTER((unsigned)u->start_mark.line + 1));
        }
    }
    g_hash_table_destroy(seen);
}

/* Which column keys each file has. */
static const unsigned kind_cols[SG_DIR_NFILES] = {
    [SG_DIR_PUPILS] = 1u << SG_COL_NAME | 1u << SG_COL_EMAIL | 1u << SG_COL_PERSONAL | 1u << SG_COL_UPN |
                      1u << SG_COL_YEAR | 1u << SG_COL_SCHOOL | 1u << SG_COL_PREFERRED | 1u << SG_COL_MIDDLE,
    [SG_DIR_STAFF] = 1u << SG_COL_NAME | 1u << SG_COL_EMAIL | 1u << SG_COL_PERSONAL | 1u << SG_COL_SCHOOL,
    [SG_DIR_RELATIVES] = 1u << SG_COL_STAFF | 1u << SG_COL_PUPIL | 1u << SG_COL_RELATION,
    [SG_DIR_CONTACTS] = 1u << SG_COL_PUPIL | 1u << SG_COL_CONTACT | 1u << SG_COL_RELATION | 1u << SG_COL_RESPONSIBILITY,
};

#define COL(f) offsetof(struct sg_dir_columns, f)
const struct sg_cfg_key sg_schema_column_keys[] = {
    [SG_COL_NAME] = {.key = "name", .type = SG_CFG_STRLIST, .offset = COL(name),
                     .doc = "pupils, staff: column(s) joined into the person's name."},
    [SG_COL_EMAIL] = {.key = "email", .type = SG_CFG_STR, .offset = COL(email), .doc = "pupils, staff: the school email address (needed)."},
    [SG_COL_PERSONAL] = {.key = "personal_emails", .type = SG_CFG_STR, .offset = COL(personal_emails),
                         .doc = "pupils, staff: known personal addresses, separated by `;` or `,`."},
    [SG_COL_UPN] = {.key = "upn", .type = SG_CFG_STR, .offset = COL(upn), .doc = "pupils: Unique Pupil Number."},
    [SG_COL_YEAR] = {.key = "year", .type = SG_CFG_STR, .offset = COL(year), .doc = "pupils: year group."},
    [SG_COL_SCHOOL] = {.key = "school", .type = SG_CFG_STR, .offset = COL(school),
                       .doc = "pupils, staff: school id (an `id` under `schools:`)."},
    [SG_COL_STAFF] = {.key = "staff", .type = SG_CFG_STR, .offset = COL(staff),
                      .doc = "relatives: the member of staff's school address (needed)."},
    [SG_COL_PUPIL] = {.key = "pupil", .type = SG_CFG_STR, .offset = COL(pupil),
                      .doc = "relatives, contacts: the pupil's school address (needed)."},
    [SG_COL_RELATION] = {.key = "relation", .type = SG_CFG_STR, .offset = COL(relation),
                         .doc = "relatives, contacts: parent, sibling, mother, carer, ..."},
    [SG_COL_PREFERRED] = {.key = "preferred_name", .type = SG_CFG_STR, .offset = COL(preferred_name),
                          .doc = "pupils: the forename the pupil goes by (\"Millie\" for Amelia), found like the forename."},
    [SG_COL_MIDDLE] = {.key = "middle_names", .type = SG_CFG_STR, .offset = COL(middle_names),
                       .doc = "pupils: middle names, separated by spaces, found in \"forename middle surname\"."},
    [SG_COL_CONTACT] = {.key = "contact", .type = SG_CFG_STR, .offset = COL(contact),
                        .doc = "contacts: the contact's own email address (needed)."},
    [SG_COL_RESPONSIBILITY] = {.key = "responsibility", .type = SG_CFG_STR, .offset = COL(responsibility),
                               .doc = "contacts: Parental Responsibility, `yes` or `no` (`y`/`n`, `true`/`false`, "
                                      "`1`/`0`); empty reads as yes, anything else as no with a warning."},
    [SG_COL_COUNT] = {.key = NULL},
};

struct columns_ctx {
    struct sg_dir_columns *c;
    unsigned allowed;
    const char *file;
};

static void on_column(struct sg_cfg *cfg, const struct sg_cfg_key *row, yaml_node_t *key, yaml_node_t *value,
                      void *ctx_)
{
    struct columns_ctx *ctx = ctx_;
    unsigned i = (unsigned)(row - sg_schema_column_keys);
    if (!(ctx->allowed & (1u << i))) {
        struct sg_buf ok = {0};
        for (unsigned j = 0; j < SG_COL_COUNT; j++)
            if (ctx->allowed & (1u << j))
                sg_buf_printf(&ok, "%s%s", ok.len ? ", " : "", sg_schema_column_keys[j].key);
        sg_cfg_error(cfg, key, "%s has no %s column (valid keys: %s)", ctx->file, row->key, ok.data);
        sg_buf_free(&ok);
        return;
    }
    char *field = (char *)ctx->c + row->offset;
    if (row->type == SG_CFG_STRLIST) {
        sg_strv_free(*(char ***)field);
        *(char ***)field = sg_cfg_strlist(cfg, value, row->key, NULL);
    } else {
        const char *s = sg_cfg_scalar(cfg, value, row->key);
        if (!s)
            return;
        free(*(char **)field);
        *(char **)field = sg_xstrdup(s);
    }
    ctx->c->mapped |= 1u << i;
    ctx->c->line[i] = (unsigned)value->start_mark.line + 1;
    ctx->c->col[i] = (unsigned)value->start_mark.column + 1;
}

static void parse_file_columns(struct sg_cfg *cfg, yaml_node_t *node, void *field, unsigned kind, const char *file)
{
    struct columns_ctx ctx = {field, kind_cols[kind], file};
    sg_cfg_walk(cfg, node, sg_schema_column_keys, file, on_column, &ctx, NULL);
}

static void parse_pupil_columns(struct sg_cfg *cfg, yaml_node_t *node, void *field) { parse_file_columns(cfg, node, field, 0, "pupils"); }
static void parse_staff_columns(struct sg_cfg *cfg, yaml_node_t *node, void *field) { parse_file_columns(cfg, node, field, 1, "staff"); }
static void parse_relative_columns(struct sg_cfg *cfg, yaml_node_t *node, void *field) { parse_file_columns(cfg, node, field, 2, "relatives"); }
static void parse_contact_columns(struct sg_cfg *cfg, yaml_node_t *node, void *field) { parse_file_columns(cfg, node, field, 3, "contacts"); }

#define DIRCFG(f) offsetof(struct sg_directory_cfg, f)
const struct sg_cfg_key sg_schema_columns[] = {
    {.key = "pupils", .type = SG_CFG_CUSTOM, .offset = DIRCFG(pupils), .custom = parse_pupil_columns, .shape = "mapping",
     .sub = sg_schema_column_keys,
     .doc = "Default `{name: [Forename, Surname], email: Email, personal_emails: Personal Emails, upn: UPN, year: Year, "
            "school: School, preferred_name: Preferred Forename, middle_names: Middle Names}`; the last two may be "
            "missing from the file unless mapped here."},
    {.key = "staff", .type = SG_CFG_CUSTOM, .offset = DIRCFG(staff), .custom = parse_staff_columns, .shape = "mapping",
     .sub = sg_schema_column_keys,
     .doc = "Default `{name: Name, email: Email, personal_emails: Personal Emails, school: School}`."},
    {.key = "relatives", .type = SG_CFG_CUSTOM, .offset = DIRCFG(relatives), .custom = parse_relative_columns,
     .shape = "mapping", .sub = sg_schema_column_keys,
     .doc = "Default `{staff: Staff Email, pupil: Pupil Email, relation: Relation}`."},
    {.key = "contacts", .type = SG_CFG_CUSTOM, .offset = DIRCFG(contacts), .custom = parse_contact_columns,
     .shape = "mapping", .sub = sg_schema_column_keys,
     .doc = "Default `{pupil: Pupil Email, contact: Contact Email, relation: Relation, responsibility: Parental "
            "Responsibility}`."},
    {.key = NULL},
};

static void parse_columns(struct sg_cfg *cfg, yaml_node_t *node, void *field)
{
    sg_cfg_apply_table(cfg, node, sg_schema_columns, field, "columns");
}

static void parse_percent(struct sg_cfg *cfg, yaml_node_t *node, void *field)
{
    const char *s = sg_cfg_scalar(cfg, node, "max_shrink");
    if (!s)
        return;
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || (*end && strcmp(end, "%")) || v < 0 || v > 100) {
        sg_cfg_error(cfg, node, "max_shrink is a percentage from 0%% to 100%%, not \"%s\"", s);
        return;
    }
    *(unsigned *)field = (unsigned)v;
}

/* The directory section's table; columns: is its own table (offset 0 =
 * the whole sg_directory_cfg, which holds the three column sets). */
const struct sg_cfg_key sg_schema_directory[] = {
    {.key = "pupils", .type = SG_CFG_STR, .offset = DIRCFG(pupils_path), .shape = "path",
     .doc = "CSV of pupils, one a row (relative paths are from the policy file's folder)."},
    {.key = "staff", .type = SG_CFG_STR, .offset = DIRCFG(staff_path), .shape = "path",
     .doc = "CSV of staff, one a row."},
    {.key = "relatives", .type = SG_CFG_STR, .offset = DIRCFG(relatives_path), .shape = "path",
     .doc = "CSV of (member of staff, pupil) pairs who are family: the family exemption."},
    {.key = "contacts", .type = SG_CFG_STR, .offset = DIRCFG(contacts_path), .shape = "path",
     .doc = "CSV of pupils' contacts (parents, carers) with their own addresses, one (pupil, contact) pair a row: "
            "who may hear about which pupil (`misdirected_pupil_data`, `pupil_names: except_own_contacts`). A row "
            "whose pupil is not in `pupils` is a warning and skipped. Needs `pupils`."},
    {.key = "columns", .type = SG_CFG_CUSTOM, .offset = 0, .custom = parse_columns, .shape = "mapping",
     .sub = sg_schema_columns, .doc = "Column names per file, for exports that name them differently."},
    {.key = "max_shrink", .type = SG_CFG_CUSTOM, .offset = DIRCFG(max_shrink), .custom = parse_percent, .def = "50%",
     .shape = "percentage", .doc = "On reload, the most rows a file may lose against the running directory: a smaller export looks truncated, so the reload is refused and the running policy and directory stay. "
     "100% allows any shrink."},
    {.key = NULL},
};

static void set_default_columns(struct sg_directory_cfg *d)
{
    d->pupils.name = sg_strv_push(sg_strv_push(NULL, "Forename"), "Surname");
    d->staff.name = sg_strv_push(NULL, "Name");
    struct sg_dir_columns *both[] = {&d->pupils, &d->staff};
    for (size_t i = 0; i < 2; i++) {
        both[i]->email = sg_xstrdup("Email");
        both[i]->personal_emails = sg_xstrdup("Personal Emails");
        both[i]->school = sg_xstrdup("School");
    }
    d->pupils.upn = sg_xstrdup("UPN");
    d->pupils.year = sg_xstrdup("Year");
    d->relatives.staff = sg_xstrdup("Staff Email");
    d->relatives.pupil = sg_xstrdup("Pupil Email");
    d->relatives.relation = sg_xstrdup("Relation");
    d->pupils.preferred_name = sg_xstrdup("Preferred Forename");
    d->pupils.middle_names = sg_xstrdup("Middle Names");
    d->contacts.pupil = sg_xstrdup("Pupil Email");
    d->contacts.contact = sg_xstrdup("Contact Email");
    d->contacts.relation = sg_xstrdup("Relation");
    d->contacts.responsibility = sg_xstrdup("Parental Responsibility");
    d->max_shrink = 50;
}

static void check_shrink(struct sg_cfg *cfg, yaml_node_t **nodes, const struct sg_policy *p)
{
    const struct sg_directory *old = cfg->prev ? cfg->prev->directory : NULL;
    if (!old || !p->directory)
        return;
    const char *keys[] = {"pupils", "staff", "relatives", "contacts"};
    const char *paths[] = {p->dircfg.pupils_path, p->dircfg.staff_path, p->dircfg.relatives_path,
                           p->dircfg.contacts_path};
    size_t was[] = {sg_directory_count(old, true), sg_directory_count(old, false), sg_directory_relatives(old),
                    sg_directory_contact_rows(old)};
    size_t now[] = {sg_directory_count(p->directory, true), sg_directory_count(p->directory, false),
                    sg_directory_relatives(p->directory), sg_directory_contact_rows(p->directory)};
    for (size_t i = 0; i < SG_DIR_NFILES; i++) {
        if (!was[i] || !paths[i] || !*paths[i])
            continue;
        /* now < was * (100 - max_shrink) / 100, without rounding it away */
        if (now[i] * 100 < was[i] * (100 - p->dircfg.max_shrink)) {
            yaml_node_t *at = nodes[sg_cfg_row(sg_schema_directory, keys[i])];
            sg_cfg_error(cfg, at, "%s has %zu rows where the running directory has %zu: more than max_shrink (%u%%) "
                         "fewer, so it looks like a truncated export; the running policy stays. Set "
                         "directory: max_shrink: higher to accept it", paths[i], now[i], was[i], p->dircfg.max_shrink);
        }
    }
}

void sg_load_directory(struct sg_cfg *cfg, yaml_node_t *node, struct sg_policy *p)
{
    struct sg_directory_cfg *d = &p->dircfg;
    set_default_columns(d);
    if (!node)
        return;
    yaml_node_t *nodes[SG_CFG_MAX_KEYS] = {0};
    sg_cfg_apply_table_nodes(cfg, node, sg_schema_directory, d, "directory", nodes);
    const char *keys[] = {"pupils", "staff", "relatives", "contacts"};
    for (size_t i = 0; i < SG_DIR_NFILES; i++) {
        yaml_node_t *at = nodes[sg_cfg_row(sg_schema_directory, keys[i])];
        d->at_line[i] = at ? (unsigned)at->start_mark.line + 1 : 1;
        d->at_col[i] = at ? (unsigned)at->start_mark.column + 1 : 1;
    }
    if (cfg->nerrors)
        return;                  /* the CSVs would only add noise */
    p->directory = sg_directory_load(cfg, d);
    if (!cfg->nerrors)
        check_shrink(cfg, nodes, p);
}

void sg_load_directory_free(struct sg_policy *p)
{
    struct sg_dir_columns *cols[] = {&p->dircfg.pupils, &p->dircfg.staff, &p->dircfg.relatives, &p->dircfg.contacts};
    for (size_t i = 0; i < SG_DIR_NFILES; i++)
        sg_cfg_free_table(sg_schema_column_keys, cols[i]);
    free(p->dircfg.pupils_path);
    free(p->dircfg.staff_path);
    free(p->dircfg.relatives_path);
    free(p->dircfg.contacts_path);
    sg_directory_free(p->directory);
}
