/*
 * load_rules.c - the rules: list, each rule through its key table, each
 * condition through the detector registry, then one matcher compile.
 *
 * Bounded work: at most SG_CFG_MAX_RULES rules (YAML aliases count every
 * time they are used), duplicate ids found through a hash, not by
 * comparing every pair.
 */
#include <glib.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sg_config.h"
#include "sg_detector.h"
#include "sg_schema.h"
#include "sg_override.h"
#include "sg_text.h"
#include "namefind.h"
#include <unistd.h>

#define RULE(f) offsetof(struct sg_rule, f)
#define RCLASS(c) SG_RCLASS_BIT(SG_RCLASS_##c)

const struct sg_schema_value sg_schema_to[] = {
    {"internal", RCLASS(INTERNAL), "Staff addresses (`staff_domains`)."},
    {"trust", RCLASS(TRUST), "Other schools and offices of the trust (`trust_domains`)."},
    {"pupil", RCLASS(PUPIL), "A pupil's school account (directory or `pupil_domains`)."},
    {"pupil-personal", RCLASS(PUPIL_PERSONAL), "A pupil's known personal address (directory `personal_emails`)."},
    {"external", RCLASS(EXTERNAL), "Anyone else."},
    {"pupils", RCLASS(PUPIL) | RCLASS(PUPIL_PERSONAL), "Alias: `pupil` and `pupil-personal`."},
    {"outside", RCLASS(EXTERNAL) | RCLASS(PUPIL_PERSONAL), "Alias: `external` and `pupil-personal` (everything leaving the trust)."},
    {"any", (1u << SG_RCLASS_COUNT) - 1, "Alias: every recipient (the same as leaving `to:` out)."},
    {NULL, 0, NULL},
};

const struct sg_schema_value sg_schema_rule_actions[] = {
    {"accept", SG_ACTION_ACCEPT, "Deliver; the hit is only logged."},
    {"annotate", SG_ACTION_ANNOTATE, "Deliver with the verdict header (and `subject_tag`)."},
    {"quarantine", SG_ACTION_QUARANTINE, "Hold the message for the DSL (or, with `recipient_mode: remove`, remove the recipients the rule names)."},
    {"reject", SG_ACTION_REJECT, "Refuse at the end of DATA with the rule's `explain` and `cite`; the sender gets a bounce."},
    {NULL, 0, NULL},
};

static void values_list(const struct sg_schema_value *v, struct sg_buf *out)
{
    for (size_t i = 0; v[i].name; i++)
        sg_buf_printf(out, "%s%s", i ? ", " : "", v[i].name);
}

static void parse_to(struct sg_cfg *cfg, yaml_node_t *node, void *field)
{
    yaml_node_t **nodes;
    char **names = sg_cfg_strlist(cfg, node, "to", &nodes);
    unsigned mask = 0;
    if (node && node->type == YAML_SEQUENCE_NODE && node->data.sequence.items.top == node->data.sequence.items.start)
        sg_cfg_error(cfg, node, "to: is empty, which would mean every recipient; name the recipient classes, "
                     "or leave to: out to mean every recipient");
    for (size_t i = 0; names[i]; i++) {
        size_t c;
        for (c = 0; sg_schema_to[c].name && strcmp(names[i], sg_schema_to[c].name); c++)
            ;
        if (sg_schema_to[c].name) {
            mask |= sg_schema_to[c].mask;
        } else {
            struct sg_buf known = {0};
            values_list(sg_schema_to, &known);
            sg_cfg_error(cfg, nodes[i], "unknown recipient class \"%s\" (%s)", names[i], known.data);
            sg_buf_free(&known);
        }
    }
    sg_strv_free(names);
    free(nodes);
    *(unsigned *)field = mask;
}

static void parse_category(struct sg_cfg *cfg, yaml_node_t *node, void *field)
{
    const char *s = sg_cfg_scalar(cfg, node, "category");
    if (!s)
        return;
    int c = sg_category_parse(s);
    if (c >= 0) {
        *(enum sg_category *)field = (enum sg_category)c;
        return;
    }
    struct sg_buf known = {0};
    for (int i = 0; i < SG_CAT_COUNT; i++)
        sg_buf_printf(&known, "%s%s", i ? ", " : "", sg_category_name((enum sg_category)i));
    sg_cfg_error(cfg, node, "unknown category \"%s\" (%s)", s, known.data);
    sg_buf_free(&known);
}

static void parse_action(struct sg_cfg *cfg, yaml_node_t *node, void *field)
{
    const char *s = sg_cfg_scalar(cfg, node, "action");
    if (!s)
        return;
    for (size_t i = 0; sg_schema_rule_actions[i].name; i++) {
        if (!strcmp(s, sg_schema_rule_actions[i].name)) {
            *(enum sg_action *)field = (enum sg_action)sg_schema_rule_actions[i].mask;
            return;
        }
    }
    struct sg_buf known = {0};
    values_list(sg_schema_rule_actions, &known);
    sg_cfg_error(cfg, node, "unknown action \"%s\" (%s)", s, known.data);
    sg_buf_free(&known);
}

static void on_condition(struct sg_cfg *cfg, const struct sg_cfg_key *row, yaml_node_t *key, yaml_node_t *value,
                         void *ctx)
{
    (void)key;
    struct sg_rule *r = ctx;
    const struct sg_detector *d = sg_detector_all()[row->offset];
    /* Conditions other than phrases compile pcre2 patterns when parsed,
     * at a hundred times the cost of a phrase, and an alias can hand one
     * match: to every rule: they have a cap of their own. */
    size_t cost = 0;
    if (!strcmp(d->key, "regex"))
        cost = value && value->type == YAML_SEQUENCE_NODE
               ? (size_t)(value->data.sequence.items.top - value->data.sequence.items.start) : 1;
    else if (!d->compile)
        cost = 1;
    if (cost && !sg_cfg_count_patterns(cfg, value, cost))
        return;
    void *state = d->parse(cfg, value);
    if (!state)
        return;
    r->conds[r->nconds].det = d;
    r->conds[r->nconds].state = state;
    r->nconds++;
}

static void parse_match(struct sg_cfg *cfg, yaml_node_t *node, void *field)
{
    struct sg_rule *r = (struct sg_rule *)((char *)field - offsetof(struct sg_rule, conds));
    /* The registry is the table: one row per detector, in its order. */
    struct sg_cfg_key table[SG_CFG_MAX_KEYS + 1];
    size_t n = 0;
    for (const struct sg_detector *const *d = sg_detector_all(); *d && n < SG_CFG_MAX_KEYS; d++, n++)
        table[n] = (struct sg_cfg_key){.key = (*d)->key, .type = SG_CFG_CUSTOM, .offset = n, .doc = (*d)->doc};
    table[n] = (struct sg_cfg_key){.key = NULL};
    if (node && node->type == YAML_MAPPING_NODE && node->data.mapping.pairs.top == node->data.mapping.pairs.start) {
        sg_cfg_error(cfg, node, "match: is empty, which would match every message; give at least one "
                     "condition, or leave match: out to match on to: alone");
        return;
    }
    r->conds = sg_xcalloc(n, sizeof(*r->conds));
    sg_cfg_walk(cfg, node, table, "match", on_condition, r, NULL);
}

const struct sg_cfg_key sg_schema_rule[] = {
    {.key = "id", .type = SG_CFG_STR, .offset = RULE(id), .required = true,
     .doc = "Unique name, shown in headers, logs and bounces."},
    {.key = "category", .type = SG_CFG_CUSTOM, .offset = RULE(category), .custom = parse_category, .required = true,
     .shape = "category", .doc = "What kind of breach the rule finds (categories below)."},
    {.key = "to", .type = SG_CFG_CUSTOM, .offset = RULE(to_mask), .custom = parse_to, .shape = "list of recipient classes",
     .doc = "Recipient classes the rule applies to (below). Omitted: every recipient. A rule with `to:` and no "
            "`match:` matches on the recipient alone. An empty list is an error."},
    {.key = "match", .type = SG_CFG_CUSTOM, .offset = RULE(conds), .custom = parse_match, .shape = "mapping of conditions",
     .doc = "Conditions, all of which must hold (below). An empty mapping is an error."},
    {.key = "action", .type = SG_CFG_CUSTOM, .offset = RULE(action), .custom = parse_action, .required = true,
     .shape = "action", .doc = "What happens to a message the rule matches (actions below)."},
    {.key = "cite", .type = SG_CFG_STR, .offset = RULE(cite), .required = true,
     .doc = "The policy clause the rule enforces: shown to staff in the bounce."},
    {.key = "explain", .type = SG_CFG_STR, .offset = RULE(explain),
     .doc = "One plain sentence for staff: what was stopped and why."},
    {.key = "advice", .type = SG_CFG_STR, .offset = RULE(advice),
     .doc = "What to do instead, in plain words (\"Press enquiries go to the Principal: forward this to "
            "head@school.sch.uk\"): said in the bounce and the staff notice. Default: the category's "
            "(`actions: advice:`)."},
    {.key = "except_senders", .type = SG_CFG_CUSTOM, .offset = RULE(except_senders), .custom = sg_load_parse_addresses,
     .def = "[]", .shape = "list of addresses or @domains",
     .doc = "Authorised voices: mail from these senders (SMTP AUTH login, else envelope sender) is not held by "
            "this rule. For the head, the communications office and HR on press and reference rules "
            "(seed 000 2.2 and 5.2: \"without the express authority of the Principal\")."},
    {.key = "except_recipients", .type = SG_CFG_CUSTOM, .offset = RULE(except_recipients), .custom = sg_load_parse_domains,
     .def = "[]", .shape = "list of domains",
     .doc = "Recipients at these domains (`\"*.gov.uk\"` for subdomains) are not counted by this rule: the "
            "safeguarding partners a DSL must share with (local authority, police, NHS), an exam board. "
            "Written as `staff_domains`."},
    {.key = "contacts_exempt", .type = SG_CFG_BOOL, .offset = RULE(contacts_exempt), .shape = "true or false",
     .doc = "A recipient listed in `directory: contacts:` as a parent or carer of every pupil the mail names "
            "(one at least) is exempt: a suspension letter or an EHCP review sent to the pupil's own parent is "
            "the school doing its job. Default true for `confidential` and `personal-data` when the directory "
            "has contacts."},
    {.key = "family_exempt", .type = SG_CFG_BOOL, .offset = RULE(family_exempt), .shape = "true or false",
     .doc = "A pupil listed in `relatives` with the sender is exempt from the rule (for that pupil only). Default "
            "true for `pupil-contact`, `contact-details`, `social-media` and `out-of-hours`, false otherwise."},
    {.key = "overridable", .type = SG_CFG_BOOL, .offset = RULE(overridable), .def = "false",
     .doc = "A `quarantine` or `reject` of this rule may be overridden: the bounce tells the sender to resend "
            "with `[justify: reason]` in the subject, and the resend is delivered with the tag removed and an "
            "`X-Safeguard-Justification` header, logged (rules, the reason's length), stored and notified to the "
            "DSL. Other rules that hit the same message still act. Leave personal-data rules non-overridable."},
    {.key = "mode", .type = SG_CFG_CUSTOM, .offset = RULE(mode), .custom = sg_load_parse_mode,
     .shape = "live or monitor",
     .doc = "`monitor`: the rule's hits are logged and stored as what it would have done, and do not act. "
            "`live`: it acts even where its school or the trust monitors. Omitted: the sender's school's mode, "
            "else the trust's (`school: mode`)."},
    {.key = NULL},
};

void sg_load_parse_addresses(struct sg_cfg *cfg, yaml_node_t *node, void *field)
{
    char ***out = field;
    yaml_node_t **nodes;
    char **items = sg_cfg_strlist(cfg, node, "addresses", &nodes);
    sg_strv_free(*out);
    *out = sg_xcalloc(1, sizeof(char *));
    for (size_t i = 0; items[i]; i++) {
        const char *at = strchr(items[i], '@');
        if (!at || !at[1] || strchr(at + 1, '@') || strchr(items[i], ' ')) {
            sg_cfg_error(cfg, nodes[i], "\"%s\" is not a mail address or @domain", items[i]);
            continue;
        }
        char *low = g_ascii_strdown(items[i], -1);
        *out = sg_strv_push(*out, low);
        g_free(low);
    }
    sg_strv_free(items);
    free(nodes);
}

bool sg_address_in_list(char *const *list, const char *addr)
{
    if (!list || !addr)
        return false;
    const char *at = strrchr(addr, '@');
    for (size_t i = 0; list[i]; i++) {
        if (list[i][0] == '@' ? at && !g_ascii_strcasecmp(at, list[i]) : !g_ascii_strcasecmp(addr, list[i]))
            return true;
    }
    return false;
}

static bool has(uint64_t seen, const char *key)
{
    int row = sg_cfg_row(sg_schema_rule, key);
    return row >= 0 && (seen & ((uint64_t)1 << row));
}

static void parse_rule(struct sg_cfg *cfg, yaml_node_t *node, struct sg_rule *r)
{
    r->line = (unsigned)node->start_mark.line + 1;
    r->action = SG_ACTION_ANNOTATE;
    if (node->type != YAML_MAPPING_NODE) {
        sg_cfg_error(cfg, node, "each rule must be a mapping (id:, category:, match:, action:, cite:)");
        return;
    }
    uint64_t seen = sg_cfg_apply_table(cfg, node, sg_schema_rule, r, "rule");
    /* A condition may bring its own scope for a rule without to: (the logo
     * rule: outside the trust). */
    for (size_t c = 0; !has(seen, "to") && c < r->nconds; c++)
        r->to_mask |= r->conds[c].det->default_to;
    /* The policies exempt a member of staff's own child from the contact
     * rules (seed 002 "own child, or relative"; 003 "immediate family"). */
    if (!has(seen, "contacts_exempt"))
        r->contacts_exempt = r->category == SG_CAT_CONFIDENTIAL || r->category == SG_CAT_PERSONAL_DATA;
    if (!has(seen, "family_exempt"))
        r->family_exempt = r->category == SG_CAT_PUPIL_CONTACT || r->category == SG_CAT_CONTACT_DETAILS ||
                           r->category == SG_CAT_SOCIAL_MEDIA || r->category == SG_CAT_OUT_OF_HOURS;
    const char *id = r->id ? r->id : "(no id)";
    if (!r->id)
        sg_cfg_error(cfg, node, "rule has no id");
    if (!has(seen, "category"))
        sg_cfg_error(cfg, node, "rule %s has no category", id);
    if (!has(seen, "action"))
        sg_cfg_error(cfg, node, "rule %s has no action", id);
    if (!r->cite)
        sg_cfg_error(cfg, node, "rule %s has no cite (the policy clause it enforces)", id);
    if (!has(seen, "match") && !has(seen, "to"))
        sg_cfg_error(cfg, node, "rule %s has neither to: nor match:, so it would match every message", id);
    if (r->overridable && r->action < SG_ACTION_QUARANTINE)
        sg_cfg_warn_node(cfg, node, "rule %s is overridable but does not hold or reject, so there is nothing to override", id);
}

void sg_load_rules(struct sg_cfg *cfg, yaml_node_t *node, struct sg_policy *p)
{
    if (node->type != YAML_SEQUENCE_NODE) {
        sg_cfg_error(cfg, node, "rules must be a list");
        return;
    }
    size_t n = (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
    if (n > SG_CFG_MAX_RULES) {
        sg_cfg_error(cfg, node, "%zu rules (counting every use of a YAML alias); a policy is limited to %d", n,
                     SG_CFG_MAX_RULES);
        return;
    }
    p->rules = sg_xcalloc(n ? n : 1, sizeof(*p->rules));
    /* id -> first line; a set of ids already reported, so that one id used
     * a thousand times is one error, not half a million. */
    GHashTable *ids = g_hash_table_new(g_str_hash, g_str_equal);
    GHashTable *reported = g_hash_table_new(g_str_hash, g_str_equal);
    /* A rule used again through an alias is the same id again: say so once
     * and do not parse (and compile) it a second time. */
    GHashTable *nodes = g_hash_table_new(g_direct_hash, g_direct_equal);
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *rn = sg_cfg_node(cfg, node->data.sequence.items.start[i]);
        struct sg_rule *first_use = g_hash_table_lookup(nodes, rn);
        if (first_use) {
            /* libyaml gives an alias no place of its own: this is the rule's. */
            if (!first_use->id || g_hash_table_add(reported, first_use->id))
                sg_cfg_error(cfg, rn, "rule %s is used again through a YAML alias (*name), which repeats its id",
                             first_use->id ? first_use->id : "(no id)");
            continue;
        }
        struct sg_rule *r = &p->rules[p->nrules++];
        g_hash_table_insert(nodes, rn, r);
        parse_rule(cfg, rn, r);
        if (!r->id)
            continue;
        gpointer first = g_hash_table_lookup(ids, r->id);
        if (!first)
            g_hash_table_insert(ids, r->id, GUINT_TO_POINTER(r->line));
        else if (g_hash_table_add(reported, r->id))
            sg_cfg_error(cfg, rn, "duplicate rule id \"%s\" (first at line %u)", r->id, GPOINTER_TO_UINT(first));
    }
    g_hash_table_destroy(ids);
    g_hash_table_destroy(reported);
    g_hash_table_destroy(nodes);
}

/* contacts_exempt needs to know which pupils a mail names: one shared
 * name finder, with the pupil_names defaults, when a rule asks and the
 * directory has both pupils and contacts. */
static const struct sg_namefind_opts contact_name_opts = {.near = 150, .ordinary_words = "lists/name-words.txt"};
static const struct sg_namefind_opts contact_name_opts_no_words = {.near = 150, .ordinary_words = ""};

static void prepare_contact_names(struct sg_cfg *cfg, struct sg_policy *p)
{
    bool wanted = false;
    for (size_t i = 0; i < p->nrules; i++)
        wanted |= p->rules[i].contacts_exempt;
    if (!wanted || !p->dircfg.pupils_path || !*p->dircfg.pupils_path || !p->dircfg.contacts_path ||
        !*p->dircfg.contacts_path)
        return;
    char *words = sg_cfg_path(cfg, contact_name_opts.ordinary_words);
    bool have_words = access(words, R_OK) == 0;
    free(words);
    p->names = sg_namefind_new(cfg, NULL, NULL, "contacts_exempt",
                               have_words ? &contact_name_opts : &contact_name_opts_no_words);
    if (p->names && !sg_namefind_compile(p->names, p->matcher, cfg)) {
        sg_namefind_free(p->names);
        p->names = NULL;
    }
}

void sg_load_compile(struct sg_cfg *cfg, struct sg_policy *p)
{
    p->matcher = sg_matcher_new();
    unsigned first_line = 1;
    for (size_t i = 0; i < p->nrules; i++) {
        struct sg_rule *r = &p->rules[i];
        for (size_t j = 0; j < r->nconds; j++) {
            const struct sg_detector *d = r->conds[j].det;
            if (d->needs_text)
                p->needs_text = true;
            if (d->needs_attachments)
                p->limits.msg.decode_attachments = true;
            if (d->needs_images)
                p->needs_images = p->limits.msg.decode_attachments = p->limits.msg.html_images = true;
            if (d->compile && first_line == 1)
                first_line = r->line;
            if (d->compile && !d->compile(r->conds[j].state, p->matcher, cfg))
                sg_cfg_error_at(cfg, r->line, 1, "rule %s: condition %s could not be prepared", r->id, d->key);
        }
    }
    prepare_contact_names(cfg, p);
    /* Content rules read attachments' text too, which needs their bytes. */
    if (p->needs_text && p->limits.extract)
        p->limits.msg.decode_attachments = true;
    char err[512];
    if (!sg_matcher_compile(p->matcher, err, sizeof(err)))
        sg_cfg_error_at(cfg, first_line, 1, "the rules' phrases could not be compiled: %s", err);
}

void sg_load_rules_free(struct sg_policy *p)
{
    for (size_t i = 0; i < p->nrules; i++) {
        struct sg_rule *r = &p->rules[i];
        for (size_t j = 0; j < r->nconds; j++)
            r->conds[j].det->free(r->conds[j].state);
        free(r->conds);
        free(r->id);
        free(r->cite);
        free(r->explain);
        free(r->advice);
        sg_strv_free(r->except_senders);
        sg_strv_free(r->except_recipients);
    }
    free(p->rules);
    sg_namefind_free(p->names);
    sg_matcher_free(p->matcher);
}
