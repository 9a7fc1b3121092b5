/*
 * load.c - reads a policy file into a snapshot: sections through typed
 * tables, rules through the detector registry, then one matcher compile.
 *
 * Every mistake is reported with file:line:col, and loading carries on so
 * that an admin sees all of them in one `safeguard-milter -n` run.
 */
#include <errno.h>
#include <libgen.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sg_config.h"
#include "sg_detector.h"
#include "sg_policy.h"
#include "sg_text.h"
#include <glib.h>
#include <strings.h>

#define KEY(s, f) offsetof(s, f)

static void parse_hours_field(struct sg_cfg *cfg, yaml_node_t *node, void *field)
{
    sg_hours_free(field);
    sg_hours_parse(cfg, node, field);
}

static void parse_phone_list(struct sg_cfg *cfg, yaml_node_t *node, void *field)
{
    char **raw = sg_cfg_strlist(cfg, node, "landlines", NULL), **out = sg_xcalloc(1, sizeof(char *));
    for (size_t i = 0; raw[i]; i++) {
        char *d = sg_phone_national(raw[i]);
        if (strlen(d) < 10 || strlen(d) > 11)
            sg_cfg_error(cfg, node, "\"%s\" is not a UK phone number", raw[i]);
        else
            out = sg_strv_push(out, d);
        free(d);
    }
    sg_strv_free(raw);
    sg_strv_free(*(char ***)field);
    *(char ***)field = out;
}

static void parse_url_list(struct sg_cfg *cfg, yaml_node_t *node, void *field)
{
    sg_strv_free(*(char ***)field);
    *(char ***)field = sg_strv_map(sg_cfg_strlist(cfg, node, "official_social", NULL), sg_url_key);
}

static void parse_rcpt_mode(struct sg_cfg *cfg, yaml_node_t *node, void *field)
{
    const char *s = sg_cfg_scalar(cfg, node, "recipient_mode");
    if (!s)
        return;
    if (!strcmp(s, "hold"))
        *(enum sg_rcpt_mode *)field = SG_RCPT_HOLD;
    else if (!strcmp(s, "remove"))
        *(enum sg_rcpt_mode *)field = SG_RCPT_REMOVE;
    else
        sg_cfg_error(cfg, node, "recipient_mode is hold or remove, not \"%s\"", s);
}

static void parse_networks(struct sg_cfg *cfg, yaml_node_t *node, void *field)
{
    struct sg_outbound *o = (struct sg_outbound *)((char *)field - offsetof(struct sg_outbound, nets));
    yaml_node_t **nodes;
    char **nets = sg_cfg_strlist(cfg, node, "networks", &nodes);
    free(o->nets);
    o->nets = sg_xcalloc(sg_strv_len(nets) + 1, sizeof(*o->nets));
    o->nnets = 0;
    for (size_t i = 0; nets[i]; i++) {
        if (sg_cidr_parse(nets[i], &o->nets[o->nnets]))
            o->nnets++;
        else
            sg_cfg_error(cfg, nodes[i], "\"%s\" is not an address or network (10.0.0.0/8, ::1)", nets[i]);
    }
    sg_strv_free(nets);
    free(nodes);
}

static const struct sg_cfg_key school_keys[] = {
    {"name", SG_CFG_STR, KEY(struct sg_school, name), "", 0, 0, "School or trust name, shown in bounces.", NULL},
    {"staff_domains", SG_CFG_STRLIST, KEY(struct sg_school, staff_domains), "", 0, 0, "Domains of staff accounts (internal). \"*.x\" matches subdomains.", NULL},
    {"pupil_domains", SG_CFG_STRLIST, KEY(struct sg_school, pupil_domains), "", 0, 0, "Domains of pupils' school accounts.", NULL},
    {"trust_domains", SG_CFG_STRLIST, KEY(struct sg_school, trust_domains), "", 0, 0, "Other domains inside the trust.", NULL},
    {"timezone", SG_CFG_STR, KEY(struct sg_school, timezone), "Europe/London", 0, 0, "Time zone for contact hours.", NULL},
    {"contact_hours", SG_CFG_CUSTOM, KEY(struct sg_school, hours), NULL, 0, 0, "When staff may contact pupils: days, start, end, holidays.", parse_hours_field},
    {"landlines", SG_CFG_CUSTOM, KEY(struct sg_school, landlines), NULL, 0, 0, "The school's own phone numbers; never personal contact details.", parse_phone_list},
    {"official_social", SG_CFG_CUSTOM, KEY(struct sg_school, official_social), NULL, 0, 0, "The school's own social media accounts (host/path).", parse_url_list},
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL},
};

static const struct sg_cfg_key actions_keys[] = {
    {"header", SG_CFG_STR, KEY(struct sg_actions_cfg, header), "X-Safeguard-Verdict", 0, 0, "Header added to annotated and held mail.", NULL},
    {"subject_tag", SG_CFG_STR, KEY(struct sg_actions_cfg, subject_tag), "", 0, 0, "Prefix added to the subject of annotated mail; empty for none.", NULL},
    {"on_internal_error", SG_CFG_ACTION, KEY(struct sg_actions_cfg, on_internal_error), "tempfail", 0, 0, "What to answer when the filter itself fails.", NULL},
    {"dsl_contact", SG_CFG_STR, KEY(struct sg_actions_cfg, dsl_contact), "the Designated Safeguarding Lead", 0, 0, "Who staff should ask, named in bounces.", NULL},
    {"recipient_mode", SG_CFG_CUSTOM, KEY(struct sg_actions_cfg, recipient_mode), NULL, 0, 0, "hold: the whole message is held; remove: only offending pupil recipients are removed.", parse_rcpt_mode},
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL},
};

#define MSGLIM(f) (offsetof(struct sg_limits_cfg, msg) + offsetof(struct sg_message_limits, f))
static const struct sg_cfg_key limits_keys[] = {
    {"spool_memory", SG_CFG_SIZE, KEY(struct sg_limits_cfg, spool_memory), "1M", 0, (size_t)1 << 30, "Bytes of a message kept in memory before spilling to a temporary file.", NULL},
    {"max_message_size", SG_CFG_SIZE, MSGLIM(max_message_size), "50M", 1024, (size_t)1 << 32, "Largest message screened in full.", NULL},
    {"max_mime_depth", SG_CFG_SIZE, MSGLIM(max_depth), "16", 1, 256, "Deepest MIME nesting walked.", NULL},
    {"max_mime_parts", SG_CFG_SIZE, MSGLIM(max_parts), "500", 1, 100000, "Most MIME parts walked.", NULL},
    {"max_text", SG_CFG_SIZE, MSGLIM(max_text_bytes), "8M", 1024, (size_t)1 << 30, "Most decoded text scanned.", NULL},
    {"attachment_keep", SG_CFG_SIZE, MSGLIM(max_attachment_keep), "4M", 0, (size_t)1 << 30, "Decoded bytes of each attachment kept for attachment rules.", NULL},
    {"on_limit", SG_CFG_ACTION, KEY(struct sg_limits_cfg, on_limit), "quarantine", 0, 0, "Action when a limit stops screening short.", NULL},
    {"worker_memory", SG_CFG_SIZE, KEY(struct sg_limits_cfg, worker_memory), "1G", (size_t)64 << 20, (size_t)1 << 40, "Memory an evaluation worker may use for one message (RLIMIT_AS above its start); running out is a limit hit.", NULL},
    {"eval_timeout", SG_CFG_SIZE, KEY(struct sg_limits_cfg, eval_seconds), "30", 1, 3600, "Seconds one message's evaluation may take in a worker; running out is a limit hit.", NULL},
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL},
};

static const struct sg_cfg_key outbound_keys[] = {
    {"auth", SG_CFG_BOOL, KEY(struct sg_outbound, auth), "true", 0, 0, "Mail with an SMTP AUTH login is staff mail.", NULL},
    {"sender_domains", SG_CFG_BOOL, KEY(struct sg_outbound, sender_domains), "true", 0, 0, "Mail whose envelope sender is in staff_domains is staff mail.", NULL},
    {"networks", SG_CFG_CUSTOM, KEY(struct sg_outbound, nets), NULL, 0, 0, "Mail from these client addresses is staff mail.", parse_networks},
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL},
};

static const struct sg_cfg_key columns_keys[] = {
    {"name", SG_CFG_STRLIST, KEY(struct sg_dir_columns, name), NULL, 0, 0, "Column(s) joined into the person's name.", NULL},
    {"email", SG_CFG_STR, KEY(struct sg_dir_columns, email), NULL, 0, 0, "School email address.", NULL},
    {"personal_emails", SG_CFG_STR, KEY(struct sg_dir_columns, personal_emails), NULL, 0, 0, "Known personal addresses, separated by ; or ,.", NULL},
    {"upn", SG_CFG_STR, KEY(struct sg_dir_columns, upn), NULL, 0, 0, "Unique Pupil Number.", NULL},
    {"year", SG_CFG_STR, KEY(struct sg_dir_columns, year), NULL, 0, 0, "Year group.", NULL},
    {"school", SG_CFG_STR, KEY(struct sg_dir_columns, school), NULL, 0, 0, "School id (matches schools: id).", NULL},
    {"staff", SG_CFG_STR, KEY(struct sg_dir_columns, staff), NULL, 0, 0, "Relatives: the member of staff's school address.", NULL},
    {"pupil", SG_CFG_STR, KEY(struct sg_dir_columns, pupil), NULL, 0, 0, "Relatives: the pupil's school address.", NULL},
    {"relation", SG_CFG_STR, KEY(struct sg_dir_columns, relation), NULL, 0, 0, "Relatives: parent, sibling, ...", NULL},
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL},
};

const struct sg_cfg_key *sg_policy_table_school(void) { return school_keys; }
const struct sg_cfg_key *sg_policy_table_actions(void) { return actions_keys; }
const struct sg_cfg_key *sg_policy_table_limits(void) { return limits_keys; }

static unsigned parse_to(struct sg_cfg *cfg, yaml_node_t *node)
{
    yaml_node_t **nodes;
    char **names = sg_cfg_strlist(cfg, node, "to", &nodes);
    unsigned mask = 0;
    for (size_t i = 0; names[i]; i++) {
        const char *n = names[i];
        if (!strcmp(n, "pupils")) {
            mask |= SG_RCLASS_BIT(SG_RCLASS_PUPIL) | SG_RCLASS_BIT(SG_RCLASS_PUPIL_PERSONAL);
        } else if (!strcmp(n, "outside")) {
            mask |= SG_RCLASS_BIT(SG_RCLASS_EXTERNAL) | SG_RCLASS_BIT(SG_RCLASS_PUPIL_PERSONAL);
        } else if (!strcmp(n, "any")) {
            mask |= (1u << SG_RCLASS_COUNT) - 1;
        } else {
            int c;
            for (c = 0; c < SG_RCLASS_COUNT && strcmp(n, sg_rclass_name(c)); c++)
                ;
            if (c == SG_RCLASS_COUNT)
                sg_cfg_error(cfg, nodes[i], "unknown recipient class \"%s\" (internal, trust, pupil, pupil-personal, external, pupils, outside, any)", n);
            else
                mask |= SG_RCLASS_BIT(c);
        }
    }
    sg_strv_free(names);
    free(nodes);
    return mask;
}

static void parse_match(struct sg_cfg *cfg, yaml_node_t *node, struct sg_rule *r)
{
    if (!node || node->type != YAML_MAPPING_NODE) {
        sg_cfg_error(cfg, node, "match must be a mapping of condition: options");
        return;
    }
    size_t n = (size_t)(node->data.mapping.pairs.top - node->data.mapping.pairs.start);
    r->conds = sg_xcalloc(n, sizeof(*r->conds));
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; p++) {
        yaml_node_t *key = sg_cfg_node(cfg, p->key);
        const char *name = sg_cfg_scalar(cfg, key, "a condition name");
        if (!name || sg_cfg_duplicate_key(cfg, node, p))
            continue;
        const struct sg_detector *d = sg_detector_find(name);
        if (!d) {
            struct sg_buf known = {0};
            for (const struct sg_detector *const *all = sg_detector_all(); *all; all++)
                sg_buf_printf(&known, "%s%s", known.len ? ", " : "", (*all)->key);
            sg_cfg_error(cfg, key, "unknown condition \"%s\" (known: %s)", name, known.data);
            sg_buf_free(&known);
            continue;
        }
        void *state = d->parse(cfg, sg_cfg_node(cfg, p->value));
        if (!state)
            continue;
        r->conds[r->nconds].det = d;
        r->conds[r->nconds].state = state;
        r->nconds++;
    }
}

static void parse_rule(struct sg_cfg *cfg, yaml_node_t *node, struct sg_rule *r)
{
    r->line = (unsigned)node->start_mark.line + 1;
    r->action = SG_ACTION_ANNOTATE;
    if (node->type != YAML_MAPPING_NODE) {
        sg_cfg_error(cfg, node, "each rule must be a mapping (id:, category:, match:, action:, cite:)");
        return;
    }
    bool have_category = false, have_action = false, have_match = false, have_exempt = false;
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; p++) {
        yaml_node_t *key = sg_cfg_node(cfg, p->key);
        yaml_node_t *val = sg_cfg_node(cfg, p->value);
        const char *k = sg_cfg_scalar(cfg, key, "a key");
        if (!k || sg_cfg_duplicate_key(cfg, node, p))
            continue;
        const char *s;
        if (!strcmp(k, "id")) {
            if ((s = sg_cfg_scalar(cfg, val, "id")))
                r->id = sg_xstrdup(s);
        } else if (!strcmp(k, "category")) {
            if ((s = sg_cfg_scalar(cfg, val, "category"))) {
                int c = sg_category_parse(s);
                if (c < 0) {
                    sg_cfg_error(cfg, val, "unknown category \"%s\" (pupil-contact, contact-details, out-of-hours, social-media, confidential, personal-data, logo, media, reference, offensive, adult, solicitation)", s);
                } else {
                    r->category = (enum sg_category)c;
                    have_category = true;
                }
            }
        } else if (!strcmp(k, "action")) {
            if ((s = sg_cfg_scalar(cfg, val, "action"))) {
                int a = sg_action_parse(s);
                if (a < 0 || a == SG_ACTION_TEMPFAIL)
                    sg_cfg_error(cfg, val, "unknown action \"%s\" (accept, annotate, quarantine, reject)", s);
                else {
                    r->action = (enum sg_action)a;
                    have_action = true;
                }
            }
        } else if (!strcmp(k, "cite")) {
            if ((s = sg_cfg_scalar(cfg, val, "cite")))
                r->cite = sg_xstrdup(s);
        } else if (!strcmp(k, "explain")) {
            if ((s = sg_cfg_scalar(cfg, val, "explain")))
                r->explain = sg_xstrdup(s);
        } else if (!strcmp(k, "to")) {
            r->to_mask = parse_to(cfg, val);
        } else if (!strcmp(k, "family_exempt")) {
            have_exempt = sg_cfg_bool(cfg, val, &r->family_exempt);
        } else if (!strcmp(k, "match")) {
            have_match = true;
            parse_match(cfg, val, r);
        } else {
            sg_cfg_error(cfg, key, "unknown key \"%s\" in rule (id, category, to, match, action, cite, explain, family_exempt)", k);
        }
    }
    /* The policies exempt a member of staff's own child from the contact
     * rules (seed 002 "own child, or relative"; 003 "immediate family"). */
    if (!have_exempt)
        r->family_exempt = r->category == SG_CAT_PUPIL_CONTACT || r->category == SG_CAT_CONTACT_DETAILS ||
                           r->category == SG_CAT_SOCIAL_MEDIA || r->category == SG_CAT_OUT_OF_HOURS;
    if (!r->id)
        sg_cfg_error(cfg, node, "rule has no id");
    if (!have_category)
        sg_cfg_error(cfg, node, "rule %s has no valid category", r->id ? r->id : "(no id)");
    if (!have_action)
        sg_cfg_error(cfg, node, "rule %s has no valid action", r->id ? r->id : "(no id)");
    if (!r->cite)
        sg_cfg_error(cfg, node, "rule %s has no cite (the policy clause it enforces)", r->id ? r->id : "(no id)");
    if (!have_match && !r->to_mask)
        sg_cfg_error(cfg, node, "rule %s has neither to: nor match:, so it would match every message", r->id ? r->id : "(no id)");
}

static void parse_rules(struct sg_cfg *cfg, yaml_node_t *node, struct sg_policy *p)
{
    if (node->type != YAML_SEQUENCE_NODE) {
        sg_cfg_error(cfg, node, "rules must be a list");
        return;
    }
    size_t n = (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
    p->rules = sg_xcalloc(n, sizeof(*p->rules));
    for (yaml_node_item_t *it = node->data.sequence.items.start; it < node->data.sequence.items.top; it++) {
        struct sg_rule *r = &p->rules[p->nrules++];
        parse_rule(cfg, sg_cfg_node(cfg, *it), r);
        for (size_t j = 0; r->id && j + 1 < p->nrules; j++)
            if (p->rules[j].id && !strcmp(p->rules[j].id, r->id))
                sg_cfg_error(cfg, sg_cfg_node(cfg, *it), "duplicate rule id \"%s\" (first at line %u)", r->id, p->rules[j].line);
    }
}

static void parse_schools(struct sg_cfg *cfg, yaml_node_t *node, struct sg_policy *p)
{
    if (node->type != YAML_SEQUENCE_NODE) {
        sg_cfg_error(cfg, node, "schools must be a list of {id, name, contact_hours}");
        return;
    }
    size_t n = (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
    p->units = sg_xcalloc(n + 1, sizeof(*p->units));
    for (yaml_node_item_t *it = node->data.sequence.items.start; it < node->data.sequence.items.top; it++) {
        yaml_node_t *u = sg_cfg_node(cfg, *it);
        if (u->type != YAML_MAPPING_NODE) {
            sg_cfg_error(cfg, u, "each school is a mapping {id, name, contact_hours}");
            continue;
        }
        struct sg_school_unit *unit = &p->units[p->nunits++];
        for (yaml_node_pair_t *pr = u->data.mapping.pairs.start; pr < u->data.mapping.pairs.top; pr++) {
            yaml_node_t *k = sg_cfg_node(cfg, pr->key), *v = sg_cfg_node(cfg, pr->value);
            const char *key = sg_cfg_scalar(cfg, k, "a key"), *val;
            if (!key)
                continue;
            if (!strcmp(key, "id") && (val = sg_cfg_scalar(cfg, v, "id")))
                unit->id = sg_xstrdup(val);
            else if (!strcmp(key, "name") && (val = sg_cfg_scalar(cfg, v, "name")))
                unit->name = sg_xstrdup(val);
            else if (!strcmp(key, "contact_hours"))
                sg_hours_parse(cfg, v, &unit->hours);
            else if (strcmp(key, "id") && strcmp(key, "name"))
                sg_cfg_error(cfg, k, "unknown key \"%s\" in a school (id, name, contact_hours)", key);
        }
        if (!unit->id)
            sg_cfg_error(cfg, u, "a school needs an id (the value of the directory's School column)");
    }
}

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
}

static void parse_columns(struct sg_cfg *cfg, yaml_node_t *node, struct sg_directory_cfg *d)
{
    if (node->type != YAML_MAPPING_NODE) {
        sg_cfg_error(cfg, node, "columns must be a mapping {pupils: {...}, staff: {...}, relatives: {...}}");
        return;
    }
    for (yaml_node_pair_t *pr = node->data.mapping.pairs.start; pr < node->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = sg_cfg_node(cfg, pr->key);
        const char *key = sg_cfg_scalar(cfg, k, "a key");
        struct sg_dir_columns *c = !key ? NULL : !strcmp(key, "pupils") ? &d->pupils : !strcmp(key, "staff") ? &d->staff
                                   : !strcmp(key, "relatives") ? &d->relatives : NULL;
        if (!c) {
            if (key)
                sg_cfg_error(cfg, k, "unknown key \"%s\" in columns (pupils, staff, relatives)", key);
            continue;
        }
        sg_cfg_apply_table(cfg, sg_cfg_node(cfg, pr->value), columns_keys, c, key);
    }
}

static void parse_directory(struct sg_cfg *cfg, yaml_node_t *node, struct sg_policy *p)
{
    struct sg_directory_cfg *d = &p->dircfg;
    set_default_columns(d);
    if (node->type != YAML_MAPPING_NODE) {
        sg_cfg_error(cfg, node, "directory must be a mapping (pupils, staff, relatives, columns)");
        return;
    }
    for (yaml_node_pair_t *pr = node->data.mapping.pairs.start; pr < node->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = sg_cfg_node(cfg, pr->key), *v = sg_cfg_node(cfg, pr->value);
        const char *key = sg_cfg_scalar(cfg, k, "a key"), *val;
        if (!key)
            continue;
        char **slot = !strcmp(key, "pupils") ? &d->pupils_path : !strcmp(key, "staff") ? &d->staff_path
                      : !strcmp(key, "relatives") ? &d->relatives_path : NULL;
        if (slot) {
            if ((val = sg_cfg_scalar(cfg, v, key)))
                *slot = sg_xstrdup(val);
        } else if (!strcmp(key, "columns")) {
            parse_columns(cfg, v, d);
        } else {
            sg_cfg_error(cfg, k, "unknown key \"%s\" in directory (pupils, staff, relatives, columns)", key);
        }
    }
    if (!cfg->nerrors)
        p->directory = sg_directory_load(cfg, d);
}

static void parse_top(struct sg_cfg *cfg, yaml_node_t *root, struct sg_policy *p)
{
    yaml_node_t *school = NULL, *actions = NULL, *limits = NULL, *rules = NULL;
    yaml_node_t *schools = NULL, *directory = NULL, *outbound = NULL;
    if (root->type != YAML_MAPPING_NODE) {
        sg_cfg_error(cfg, root, "the policy must be a mapping (school:, actions:, limits:, rules:)");
        return;
    }
    for (yaml_node_pair_t *pr = root->data.mapping.pairs.start; pr < root->data.mapping.pairs.top; pr++) {
        yaml_node_t *key = sg_cfg_node(cfg, pr->key);
        yaml_node_t *val = sg_cfg_node(cfg, pr->value);
        const char *k = sg_cfg_scalar(cfg, key, "a section name");
        if (!k || sg_cfg_duplicate_key(cfg, root, pr))
            continue;
        if (!strcmp(k, "school"))
            school = val;
        else if (!strcmp(k, "actions"))
            actions = val;
        else if (!strcmp(k, "limits"))
            limits = val;
        else if (!strcmp(k, "rules"))
            rules = val;
        else if (!strcmp(k, "schools"))
            schools = val;
        else if (!strcmp(k, "directory"))
            directory = val;
        else if (!strcmp(k, "outbound"))
            outbound = val;
        else
            sg_cfg_error(cfg, key, "unknown section \"%s\" (school, schools, directory, outbound, actions, limits, rules)", k);
    }
    if (!school)
        sg_cfg_error(cfg, root, "missing section school: (name and domains)");
    sg_cfg_apply_table(cfg, school, school_keys, &p->school, "school");
    sg_cfg_apply_table(cfg, actions, actions_keys, &p->actions, "actions");
    sg_cfg_apply_table(cfg, limits, limits_keys, &p->limits, "limits");
    if (school && !p->school.staff_domains[0])
        sg_cfg_error(cfg, school, "school: needs at least one staff_domains entry");
    p->tz = g_time_zone_new_identifier(p->school.timezone);
    if (!p->tz)
        sg_cfg_error(cfg, school, "unknown time zone \"%s\" (e.g. Europe/London)", p->school.timezone);
    if (schools)
        parse_schools(cfg, schools, p);
    if (outbound) {
        p->outbound.configured = true;
        sg_cfg_apply_table(cfg, outbound, outbound_keys, &p->outbound, "outbound");
    }
    if (directory)
        parse_directory(cfg, directory, p);
    if (rules)
        parse_rules(cfg, rules, p);
    else
        sg_cfg_error(cfg, root, "missing section rules:");
}

static void compile_all(struct sg_cfg *cfg, struct sg_policy *p)
{
    p->matcher = sg_matcher_new();
    for (size_t i = 0; i < p->nrules; i++) {
        struct sg_rule *r = &p->rules[i];
        for (size_t j = 0; j < r->nconds; j++) {
            const struct sg_detector *d = r->conds[j].det;
            if (d->needs_text)
                p->needs_text = true;
            if (d->needs_attachments)
                p->limits.msg.decode_attachments = true;
            if (d->compile && !d->compile(r->conds[j].state, p->matcher, cfg))
                sg_cfg_error_at(cfg, r->line, 1, "rule %s: condition %s failed to compile", r->id, d->key);
        }
    }
    char err[512];
    if (!sg_matcher_compile(p->matcher, err, sizeof(err)))
        sg_cfg_error_at(cfg, 1, 1, "phrase list: %s", err);
}

static const char *yaml_problem(const yaml_parser_t *parser)
{
    return parser->problem ? parser->problem : "unreadable YAML";
}

struct sg_policy *sg_policy_load(const char *path, char **errors)
{
    struct sg_policy *p = sg_xcalloc(1, sizeof(*p));
    atomic_init(&p->refs, 1);
    p->path = sg_xstrdup(path);
    char *tmp = sg_xstrdup(path);
    p->dir = sg_xstrdup(dirname(tmp));
    free(tmp);

    struct sg_cfg cfg = {.file = path, .policy = p};
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        sg_cfg_error_at(&cfg, 0, 0, "cannot open: %s", strerror(errno));
        goto fail;
    }
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_file(&parser, fp);
    if (!yaml_parser_load(&parser, &doc)) {
        sg_cfg_error_at(&cfg, (unsigned)parser.problem_mark.line + 1,
                        (unsigned)parser.problem_mark.column + 1, "YAML syntax: %s%s%s",
                        yaml_problem(&parser), parser.context ? " " : "",
                        parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        fclose(fp);
        goto fail;
    }
    cfg.doc = &doc;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root)
        sg_cfg_error_at(&cfg, 1, 1, "the policy file is empty");
    else
        parse_top(&cfg, root, p);
    if (!cfg.nerrors)
        compile_all(&cfg, p);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    fclose(fp);
    if (cfg.nerrors)
        goto fail;
    sg_buf_free(&cfg.errors);
    if (cfg.warnings.len)
        p->warnings = sg_buf_steal(&cfg.warnings);
    if (errors)
        *errors = NULL;
    return p;

fail:
    sg_buf_free(&cfg.warnings);
    if (errors)
        *errors = sg_buf_steal(&cfg.errors);
    else
        sg_buf_free(&cfg.errors);
    sg_policy_unref(p);
    return NULL;
}

struct sg_policy *sg_policy_ref(struct sg_policy *p)
{
    if (p)
        atomic_fetch_add(&p->refs, 1);
    return p;
}

void sg_policy_unref(struct sg_policy *p)
{
    if (!p || atomic_fetch_sub(&p->refs, 1) != 1)
        return;
    for (size_t i = 0; i < p->nrules; i++) {
        struct sg_rule *r = &p->rules[i];
        for (size_t j = 0; j < r->nconds; j++)
            r->conds[j].det->free(r->conds[j].state);
        free(r->conds);
        free(r->id);
        free(r->cite);
        free(r->explain);
    }
    free(p->rules);
    sg_cfg_free_table(school_keys, &p->school);
    sg_hours_free(&p->school.hours);
    sg_strv_free(p->school.landlines);
    sg_strv_free(p->school.official_social);
    for (size_t i = 0; i < p->nunits; i++) {
        free(p->units[i].id);
        free(p->units[i].name);
        sg_hours_free(&p->units[i].hours);
    }
    free(p->units);
    free(p->outbound.nets);
    struct sg_dir_columns *cols[] = {&p->dircfg.pupils, &p->dircfg.staff, &p->dircfg.relatives};
    for (size_t i = 0; i < 3; i++)
        sg_cfg_free_table(columns_keys, cols[i]);
    free(p->dircfg.pupils_path);
    free(p->dircfg.staff_path);
    free(p->dircfg.relatives_path);
    sg_directory_free(p->directory);
    if (p->tz)
        g_time_zone_unref(p->tz);
    free(p->warnings);
    sg_cfg_free_table(actions_keys, &p->actions);
    sg_matcher_free(p->matcher);
    free(p->path);
    free(p->dir);
    free(p);
}

bool sg_domain_in_list(char *const *list, const char *domain)
{
    size_t dlen = strlen(domain);
    for (size_t i = 0; list && list[i]; i++) {
        const char *e = list[i];
        if (e[0] == '*' && e[1] == '.') {
            size_t elen = strlen(e + 1);     /* ".example.org" */
            if (dlen > elen && !strcasecmp(domain + dlen - elen, e + 1))
                return true;
        } else if (!strcasecmp(domain, e)) {
            return true;
        }
    }
    return false;
}

enum sg_rclass sg_policy_classify(const struct sg_policy *p, const char *addr)
{
    return sg_policy_classify_person(p, addr, NULL);
}

enum sg_rclass sg_policy_classify_person(const struct sg_policy *p, const char *addr,
                                         const struct sg_person **found)
{
    bool personal;
    const struct sg_person *who = sg_directory_lookup(p->directory, addr, &personal);
    if (found)
        *found = who;
    if (who && who->is_pupil)
        return personal ? SG_RCLASS_PUPIL_PERSONAL : SG_RCLASS_PUPIL;
    char *dom = sg_addr_domain(addr);
    enum sg_rclass c = SG_RCLASS_EXTERNAL;
    if (dom) {
        if (sg_domain_in_list(p->school.pupil_domains, dom))
            c = SG_RCLASS_PUPIL;
        else if (sg_domain_in_list(p->school.staff_domains, dom))
            c = SG_RCLASS_INTERNAL;
        else if (sg_domain_in_list(p->school.trust_domains, dom))
            c = SG_RCLASS_TRUST;
    }
    free(dom);
    return c;
}

const struct sg_hours *sg_policy_hours_for(const struct sg_policy *p, const struct sg_person *pupil)
{
    for (size_t i = 0; pupil && pupil->school && i < p->nunits; i++)
        if (p->units[i].hours.set && !strcasecmp(p->units[i].id, pupil->school))
            return &p->units[i].hours;
    return &p->school.hours;
}

char **sg_policy_files(const struct sg_policy *p)
{
    char **files = sg_strv_push(NULL, p->path);
    char *const *dir = sg_directory_files(p->directory);
    for (size_t i = 0; dir && dir[i]; i++)
        files = sg_strv_push(files, dir[i]);
    return files;
}
