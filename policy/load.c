/*
 * load.c - reads a policy file into a snapshot: the top level and the
 * school-wide sections through their key tables; rules and directory are
 * in load_rules.c and load_directory.c.
 *
 * Every mistake is reported with file:line:col, and loading carries on so
 * that an admin sees all of them in one `safeguard-milter -n` run.
 */
#include <errno.h>
#include <glib.h>
#include <libgen.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "sg_config.h"
#include "sg_detector.h"
#include "sg_policy.h"
#include "sg_schema.h"
#include "sg_text.h"

#define KEY(s, f) offsetof(s, f)

static void parse_hours_field(struct sg_cfg *cfg, yaml_node_t *node, void *field)
{
    sg_hours_free(field);
    sg_hours_parse(cfg, node, field);
}

static void parse_phone_list(struct sg_cfg *cfg, yaml_node_t *node, void *field)
{
    yaml_node_t **nodes;
    char **raw = sg_cfg_strlist(cfg, node, "landlines", &nodes), **out = sg_xcalloc(1, sizeof(char *));
    for (size_t i = 0; raw[i]; i++) {
        char *d = sg_phone_national(raw[i]);
        if (strlen(d) < 10 || strlen(d) > 11)
            sg_cfg_error(cfg, nodes[i], "\"%s\" is not a UK phone number", raw[i]);
        else
            out = sg_strv_push(out, d);
        free(d);
    }
    sg_strv_free(raw);
    free(nodes);
    sg_strv_free(*(char ***)field);
    *(char ***)field = out;
}

static void parse_url_list(struct sg_cfg *cfg, yaml_node_t *node, void *field)
{
    sg_strv_free(*(char ***)field);
    *(char ***)field = sg_strv_map(sg_cfg_strlist(cfg, node, "official_social", NULL), sg_url_key);
}

/* Domains are compared without case and without a trailing dot, and "@"
 * is a common slip from addresses: normalise, and say so, because the
 * admin may have meant something else. */
void sg_load_parse_domains(struct sg_cfg *cfg, yaml_node_t *node, void *field)
{
    yaml_node_t **nodes;
    char **list = sg_cfg_strlist(cfg, node, "a domain list", &nodes);
    for (size_t i = 0; list[i]; i++) {
        char *d = list[i], *s = d;
        if (*s == '@')
            s++;
        char *norm = g_ascii_strdown(s, -1);
        size_t n = strlen(norm);
        while (n && norm[n - 1] == '.')
            norm[--n] = '\0';
        if (!*norm || strchr(norm, '@') || strchr(norm, ' ') || (strchr(norm, '*') && strncmp(norm, "*.", 2))) {
            sg_cfg_error(cfg, nodes[i], "\"%s\" is not a domain (school.sch.uk, or *.school.sch.uk for subdomains)", d);
        } else if (strcmp(norm, d)) {
            /* No double quotes: the syslog copy of a warning stops at one. */
            sg_cfg_warn_node(cfg, nodes[i], "domain %s read as %s (domains are written without @, a trailing "
                             "dot or capitals)", d, norm);
        }
        free(list[i]);
        list[i] = sg_xstrdup(norm);
        g_free(norm);
    }
    free(nodes);
    sg_strv_free(*(char ***)field);
    *(char ***)field = list;
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

/* Fields a verdict header must not be named after: the milter deletes
 * every copy of the verdict header from the mail it screens, so naming it
 * after one of these would strip the message's own header. */
static const char *const standard_fields[] = {
    "From", "To", "Cc", "Bcc", "Subject", "Date", "Message-ID", "Received", "Reply-To", "Sender",
    "Return-Path", "MIME-Version", "DKIM-Signature", "ARC-Seal", "ARC-Message-Signature",
    "ARC-Authentication-Results", "Authentication-Results", "Received-SPF", "In-Reply-To", "References",
    "Resent-From", "Resent-To", "Resent-Cc", "Resent-Bcc", "Resent-Date", "Resent-Sender",
    "Resent-Message-ID", "Delivered-To", "List-Id", "List-Unsubscribe", "Comments", "Keywords",
    "X-Safeguard-Removed", NULL,
};

static void parse_header_name(struct sg_cfg *cfg, yaml_node_t *node, void *field)
{
    const char *s = sg_cfg_scalar(cfg, node, "header");
    if (!s)
        return;
    for (const char *c = s; *c; c++) {
        if ((unsigned char)*c < 33 || (unsigned char)*c > 126 || *c == ':') {
            sg_cfg_error(cfg, node, "header \"%s\" is not a header field name (printable ASCII without "
                         "spaces or \":\", e.g. X-Safeguard-Verdict)", s);
            return;
        }
    }
    bool standard = !*s || !g_ascii_strncasecmp(s, "Content-", 8) || !g_ascii_strncasecmp(s, "List-", 5);
    for (size_t i = 0; !standard && standard_fields[i]; i++)
        standard = !g_ascii_strcasecmp(s, standard_fields[i]);
    if (standard) {
        sg_cfg_error(cfg, node, "header \"%s\" is %s; every copy of the verdict header is removed from screened "
                     "mail, so use a name of its own such as X-Safeguard-Verdict", s, *s ? "a standard message header" : "empty");
        return;
    }
    free(*(char **)field);
    *(char **)field = sg_xstrdup(s);
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

#define SCHOOL(f) KEY(struct sg_school, f)
const struct sg_cfg_key sg_schema_school[] = {
    {.key = "name", .type = SG_CFG_STR, .offset = SCHOOL(name), .def = "", .doc = "School or trust name, shown in bounces."},
    {.key = "staff_domains", .type = SG_CFG_CUSTOM, .offset = SCHOOL(staff_domains), .custom = sg_load_parse_domains,
     .shape = "list of domains", .required = true,
     .doc = "Domains of staff accounts (class `internal`). `\"*.x.sch.uk\"` matches subdomains. Written in "
            "lower case without `@` or a trailing dot; other spellings are read that way with a warning."},
    {.key = "pupil_domains", .type = SG_CFG_CUSTOM, .offset = SCHOOL(pupil_domains), .custom = sg_load_parse_domains,
     .def = "[]", .shape = "list of domains", .doc = "Domains of pupils' school accounts (class `pupil`); written as "
     "`staff_domains`."},
    {.key = "trust_domains", .type = SG_CFG_CUSTOM, .offset = SCHOOL(trust_domains), .custom = sg_load_parse_domains,
     .def = "[]", .shape = "list of domains", .doc = "Other domains inside the trust (class `trust`); written as `staff_domains`."},
    {.key = "timezone", .type = SG_CFG_STR, .offset = SCHOOL(timezone), .def = "Europe/London",
     .doc = "Time zone of the contact windows (tzdata name). A zone without daylight saving (`UTC`, `GMT`) "
            "gives a warning: UK clocks change."},
    {.key = "contact_hours", .type = SG_CFG_CUSTOM, .offset = SCHOOL(hours), .custom = parse_hours_field,
     .shape = "mapping", .sub = sg_schema_hours, .doc = "When staff may contact pupils (below)."},
    {.key = "landlines", .type = SG_CFG_CUSTOM, .offset = SCHOOL(landlines), .custom = parse_phone_list,
     .def = "[]", .shape = "list of phone numbers",
     .doc = "The school's own phone numbers (switchboard, school mobiles): never personal contact details."},
    {.key = "safeguarding_team", .type = SG_CFG_CUSTOM, .offset = SCHOOL(safeguarding_team),
     .custom = sg_load_parse_addresses, .def = "[]", .shape = "list of addresses",
     .doc = "The Designated Safeguarding Lead and deputies. Mail whose recipients are all in the sender's "
            "school's team (this list, or the `schools:` entry's) is a report and is never held for its "
            "content, even when it quotes abuse or names a blocked site (seed 001 6: notify the DSL)."},
    {.key = "official_social", .type = SG_CFG_CUSTOM, .offset = SCHOOL(official_social), .custom = parse_url_list,
     .def = "[]", .shape = "list of host/path",
     .doc = "The school's own social media accounts, e.g. `twitter.com/northfieldacad`: links to them (and "
            "below them) are not personal."},
    {.key = NULL},
};

#define ACT(f) KEY(struct sg_actions_cfg, f)
const struct sg_cfg_key sg_schema_actions[] = {
    {.key = "header", .type = SG_CFG_CUSTOM, .offset = ACT(header), .custom = parse_header_name,
     .def = "X-Safeguard-Verdict", .shape = "header field name",
     .doc = "Header added (at the top) to annotated and held mail: `annotate; categories=...; rules=...; "
            "event=...`. Any copy of it in outbound mail is removed. Must be a "
            "field name of its own: standard fields (From, Subject, Content-*, DKIM-Signature, ...) are refused."},
    {.key = "subject_tag", .type = SG_CFG_STR, .offset = ACT(subject_tag), .def = "",
     .doc = "Prefix for the subject of annotated mail; empty for none."},
    {.key = "on_internal_error", .type = SG_CFG_ACTION, .offset = ACT(on_internal_error), .def = "tempfail",
     .doc = "Answer when the filter itself fails. `accept` gives a warning: such mail passes unscreened."},
    {.key = "dsl_contact", .type = SG_CFG_STR, .offset = ACT(dsl_contact), .def = "the Designated Safeguarding Lead",
     .doc = "Named in bounces: whom staff should ask."},
    {.key = "recipient_mode", .type = SG_CFG_CUSTOM, .offset = ACT(recipient_mode), .custom = parse_rcpt_mode,
     .def = "hold", .shape = "hold or remove",
     .doc = "`hold`: a message that breaks a recipient-scoped quarantine/reject rule is held or rejected "
            "whole. `remove`: only the offending recipients are removed, the rest is delivered with "
            "`X-Safeguard-Removed: N recipients removed; rules=...; event=...`; if nobody would be left, the "
            "message is held. The log names a removed recipient only as the first 10 hex digits of the SHA-256 "
            "of the lower-cased address, @domain."},
    {.key = NULL},
};

#define LIM(f) KEY(struct sg_limits_cfg, f)
#define MSGLIM(f) (offsetof(struct sg_limits_cfg, msg) + offsetof(struct sg_message_limits, f))
const struct sg_cfg_key sg_schema_limits[] = {
    {.key = "spool_memory", .type = SG_CFG_SIZE, .offset = LIM(spool_memory), .def = "1M", .min = 0, .max = (size_t)1 << 30,
     .doc = "Bytes of a message kept in memory before spilling to an unlinked 0600 temporary file (`-T DIR`)."},
    {.key = "max_message_size", .type = SG_CFG_SIZE, .offset = MSGLIM(max_message_size), .def = "50M", .min = 1024,
     .max = (size_t)1 << 32, .doc = "Largest message screened in full; a larger one is a limit hit."},
    {.key = "max_mime_depth", .type = SG_CFG_SIZE, .offset = MSGLIM(max_depth), .def = "16", .min = 1, .max = 256,
     .doc = "Deepest MIME nesting walked."},
    {.key = "max_mime_parts", .type = SG_CFG_SIZE, .offset = MSGLIM(max_parts), .def = "500", .min = 1, .max = 100000,
     .doc = "Most MIME parts walked."},
    {.key = "max_text", .type = SG_CFG_SIZE, .offset = MSGLIM(max_text_bytes), .def = "8M", .min = 1024,
     .max = (size_t)1 << 30, .doc = "Most decoded text scanned."},
    {.key = "attachment_keep", .type = SG_CFG_SIZE, .offset = MSGLIM(max_attachment_keep), .def = "25M", .min = 0,
     .max = (size_t)1 << 30, .doc = "Decoded bytes of each attachment kept for attachment rules and text extraction; a larger "
     "attachment is a limit hit (`attachment`) when a rule reads it."},
    {.key = "on_limit", .type = SG_CFG_ACTION, .offset = LIM(on_limit), .def = "quarantine",
     .doc = "Action when a limit stopped screening short. `accept` gives a warning: mail hitting a limit "
            "passes unscreened."},
    {.key = "worker_memory", .type = SG_CFG_SIZE, .offset = LIM(worker_memory), .def = "1G", .min = (size_t)64 << 20,
     .max = (size_t)1 << 40, .doc = "Memory an evaluation worker may use for one message (RLIMIT_AS above its "
     "start); running out is a limit hit."},
    {.key = "eval_timeout", .type = SG_CFG_SIZE, .offset = LIM(eval_seconds), .def = "30", .min = 1, .max = 3600,
     .doc = "Seconds one message's evaluation may take in a worker; running out is a limit hit."},
    {.key = "extract_attachments", .type = SG_CFG_BOOL, .offset = LIM(extract), .def = "true",
     .doc = "Content rules also read the text of attachments (Office, OpenDocument, PDF, CSV, text, zip), "
            "in the evaluation worker."},
    {.key = "extract_text", .type = SG_CFG_SIZE, .offset = LIM(extract_text), .def = "2M", .min = 1024,
     .max = (size_t)1 << 30, .doc = "Most text taken from one attachment; more is a limit hit (`extract`)."},
    {.key = "extract_input", .type = SG_CFG_SIZE, .offset = LIM(extract_input), .def = "64M", .min = 1024,
     .max = (size_t)1 << 34, .doc = "Most bytes decompressed from one attachment's containers (zip, OOXML, "
     "PDF streams); more is a limit hit (`extract`)."},
    {.key = "extract_entries", .type = SG_CFG_SIZE, .offset = LIM(extract_entries), .def = "2000", .min = 1,
     .max = 1000000, .doc = "Most archive entries, document parts or PDF pages read from one attachment."},
    {.key = "extract_depth", .type = SG_CFG_SIZE, .offset = LIM(extract_depth), .def = "3", .min = 1, .max = 16,
     .doc = "Levels of archive read, the attachment's own being the first: 1 reads the attachment's entries "
            "but no archive among them; 3 reads a zip in a zip in the attached zip. Deeper is a limit hit "
            "(`extract`)."},
    {.key = "extract_ratio", .type = SG_CFG_SIZE, .offset = LIM(extract_ratio), .def = "200", .min = 2,
     .max = 100000, .doc = "Largest decompressed-to-compressed ratio of an archive entry (a zip bomb is far "
     "above); more is a limit hit."},
    {.key = "extract_timeout", .type = SG_CFG_SIZE, .offset = LIM(extract_seconds), .def = "10", .min = 1,
     .max = 3600, .doc = "Seconds the text of one attachment may take; more is a limit hit."},
    {.key = "on_encrypted", .type = SG_CFG_ACTION, .offset = LIM(on_encrypted), .def = "quarantine",
     .doc = "Action for a password-protected zip, PDF or Office file, which nobody can screen. Logged as "
            "`limits=encrypted`."},
    {.key = NULL},
};

#define OUT(f) KEY(struct sg_outbound, f)
const struct sg_cfg_key sg_schema_outbound[] = {
    {.key = "auth", .type = SG_CFG_BOOL, .offset = OUT(auth), .def = "true",
     .doc = "An SMTP AUTH login (`{auth_authen}`) means staff mail."},
    {.key = "sender_domains", .type = SG_CFG_BOOL, .offset = OUT(sender_domains), .def = "true",
     .doc = "An envelope sender in `staff_domains` means staff mail."},
    {.key = "networks", .type = SG_CFG_CUSTOM, .offset = OUT(nets), .custom = parse_networks,
     .def = "[]", .shape = "list of networks", .doc = "Client addresses or networks (`10.0.0.0/8`, `::1`) whose mail is staff "
     "mail. Include `127.0.0.1` for mail submitted with sendmail(1)."},
    {.key = NULL},
};

/* The top level: each section's node is kept, then read in an order that
 * lets later sections use earlier ones (rules see contact hours, the
 * directory sees schools). */
struct top {
    yaml_node_t *school, *schools, *directory, *outbound, *actions, *limits, *rules;
    yaml_node_t *quarantine;
};

static void keep_node(struct sg_cfg *cfg, yaml_node_t *node, void *field)
{
    (void)cfg;
    *(yaml_node_t **)field = node;
}

#define TOP(f) KEY(struct top, f)
const struct sg_cfg_key sg_schema_top[] = {
    {.key = "school", .type = SG_CFG_CUSTOM, .offset = TOP(school), .custom = keep_node, .shape = "mapping",
     .sub = sg_schema_school, .required = true, .doc = "The school or trust: its domains, time zone and contact hours."},
    {.key = "schools", .type = SG_CFG_CUSTOM, .offset = TOP(schools), .custom = keep_node, .shape = "list of mappings",
     .sub = sg_schema_unit, .doc = "Multi-school trusts: one entry per school. A pupil whose School column names an "
     "`id` gets that school's contact window, everyone else the `school:` one. When present, every School value in "
     "the CSVs must be one of these ids, and ids must be unique."},
    {.key = "directory", .type = SG_CFG_CUSTOM, .offset = TOP(directory), .custom = keep_node, .shape = "mapping",
     .sub = sg_schema_directory, .doc = "CSV exports from the school's MIS (SIMS, Arbor, Bromcom...): UTF-8 with or "
     "without a byte-order mark, CRLF or LF, quoted fields. A missing file, a missing column, a quote that is never "
     "closed or an unknown School value is an error; a bad row is a warning (`file:line` and the column, never the "
     "row's contents) and is skipped."},
    {.key = "outbound", .type = SG_CFG_CUSTOM, .offset = TOP(outbound), .custom = keep_node, .shape = "mapping",
     .sub = sg_schema_outbound, .doc = "Which mail is staff mail leaving the school. Only that mail is screened; other "
     "mail is accepted at MAIL FROM and logged with `direction=inbound`. Without this section every message is screened. "
     "The member of staff is identified by the SASL login first, then the envelope sender, then the From header."},
    {.key = "actions", .type = SG_CFG_CUSTOM, .offset = TOP(actions), .custom = keep_node, .shape = "mapping",
     .sub = sg_schema_actions, .doc = "How verdicts are applied to mail."},
    {.key = "limits", .type = SG_CFG_CUSTOM, .offset = TOP(limits), .custom = keep_node, .shape = "mapping",
     .sub = sg_schema_limits, .doc = "Bounds on the work one message may cost. Sizes take `k`, `M`, `G` suffixes. "
     "When a limit stops screening short, the message gets `on_limit` and the log and verdict header name the limit "
     "(html, regex, attachment, time, memory, structure)."},
    {.key = "rules", .type = SG_CFG_CUSTOM, .offset = TOP(rules), .custom = keep_node, .shape = "list of mappings",
     .sub = sg_schema_rule, .required = true, .doc = "The rules. Every matching rule is reported, and the message gets "
     "the most severe action: `accept < annotate < quarantine < reject`."},
    {.key = "quarantine", .type = SG_CFG_CUSTOM, .offset = TOP(quarantine), .custom = keep_node, .shape = "mapping",
     .sub = sg_schema_quarantine, .doc = "The quarantine store: every held message is kept there (a 0600 file and "
     "an SQLite index row) for the DSL, who lists, shows, releases and discards it with safeguard-quarantine(8)."},
    {.key = NULL},
};

/* A zone that never changes its clocks puts a UK school's contact window
 * an hour out for half the year. */
static void check_timezone(struct sg_cfg *cfg, yaml_node_t *node, GTimeZone *tz, const char *name)
{
    GDateTime *now = g_date_time_new_now_utc();
    gint year = g_date_time_get_year(now);
    g_date_time_unref(now);
    bool dst = false;
    for (int month = 1; month <= 12 && !dst; month += 6) {
        GDateTime *t = g_date_time_new_utc(year, month, 15, 12, 0, 0);
        gint iv = g_time_zone_find_interval(tz, G_TIME_TYPE_UNIVERSAL, g_date_time_to_unix(t));
        dst = iv >= 0 && g_time_zone_is_dst(tz, iv);
        g_date_time_unref(t);
    }
    if (!dst)
        sg_cfg_warn_node(cfg, node, "time zone %s has no daylight saving, so contact hours will be an hour "
                         "off UK time in summer (Europe/London follows the clock changes)", name);
}

static void parse_top(struct sg_cfg *cfg, yaml_node_t *root, struct sg_policy *p)
{
    struct top t = {0};
    if (root->type != YAML_MAPPING_NODE) {
        sg_cfg_error(cfg, root, "the policy must be a mapping (school:, actions:, limits:, rules:)");
        return;
    }
    sg_cfg_apply_table(cfg, root, sg_schema_top, &t, NULL);
    if (!t.school)
        sg_cfg_error(cfg, root, "missing section school: (name and domains)");
    yaml_node_t *school[SG_CFG_MAX_KEYS] = {0}, *actions[SG_CFG_MAX_KEYS] = {0}, *limits[SG_CFG_MAX_KEYS] = {0};
    sg_cfg_apply_table_nodes(cfg, t.school, sg_schema_school, &p->school, "school", school);
    p->actions.header = sg_xstrdup("X-Safeguard-Verdict");
    sg_cfg_apply_table_nodes(cfg, t.actions, sg_schema_actions, &p->actions, "actions", actions);
    sg_cfg_apply_table_nodes(cfg, t.limits, sg_schema_limits, &p->limits, "limits", limits);
    if (t.school && (!p->school.staff_domains || !p->school.staff_domains[0]))
        sg_cfg_error(cfg, t.school, "school: needs at least one staff_domains entry");
    char ***lists[] = {&p->school.staff_domains, &p->school.pupil_domains, &p->school.trust_domains};
    for (size_t i = 0; i < 3; i++)
        if (!*lists[i])
            *lists[i] = sg_xcalloc(1, sizeof(char *));
    yaml_node_t *tz_node = school[sg_cfg_row(sg_schema_school, "timezone")];
    p->tz = g_time_zone_new_identifier(p->school.timezone);
    if (!p->tz)
        sg_cfg_error(cfg, tz_node ? tz_node : t.school, "unknown time zone \"%s\" (e.g. Europe/London)", p->school.timezone);
    else if (tz_node)
        check_timezone(cfg, tz_node, p->tz, p->school.timezone);
    yaml_node_t *n;
    if ((n = limits[sg_cfg_row(sg_schema_limits, "on_limit")]) && p->limits.on_limit == SG_ACTION_ACCEPT)
        sg_cfg_warn_node(cfg, n, "on_limit: accept lets mail that hits a limit pass unscreened");
    if ((n = actions[sg_cfg_row(sg_schema_actions, "on_internal_error")]) && p->actions.on_internal_error == SG_ACTION_ACCEPT)
        sg_cfg_warn_node(cfg, n, "on_internal_error: accept lets mail pass unscreened whenever the filter fails");
    if (t.schools)
        sg_load_schools(cfg, t.schools, p);
    if (t.outbound) {
        p->outbound.configured = true;
        sg_cfg_apply_table(cfg, t.outbound, sg_schema_outbound, &p->outbound, "outbound");
    }
    sg_load_directory(cfg, t.directory, p);
    sg_load_quarantine(cfg, t.quarantine, p);
    if (t.rules)
        sg_load_rules(cfg, t.rules, p);
    else
        sg_cfg_error(cfg, root, "missing section rules:");
}

static const char *yaml_problem(const yaml_parser_t *parser)
{
    return parser->problem ? parser->problem : "unreadable YAML";
}

static void syntax_error(struct sg_cfg *cfg, const yaml_parser_t *parser)
{
    sg_cfg_error_at(cfg, (unsigned)parser->problem_mark.line + 1, (unsigned)parser->problem_mark.column + 1,
                    "YAML syntax: %s%s%s", yaml_problem(parser), parser->context ? " " : "",
                    parser->context ? parser->context : "");
}

/* libyaml reads one document per call; a second one (after "---") would be
 * silently ignored, and an admin who pasted two policies into one file
 * would run the first. */
static void refuse_second_document(struct sg_cfg *cfg, yaml_parser_t *parser)
{
    yaml_document_t next;
    if (!yaml_parser_load(parser, &next)) {
        syntax_error(cfg, parser);
        return;
    }
    yaml_node_t *root = yaml_document_get_root_node(&next);
    if (root)
        sg_cfg_error_at(cfg, (unsigned)next.start_mark.line + 1, (unsigned)next.start_mark.column + 1,
                        "a second YAML document starts here; a policy file holds one document (remove the \"---\" "
                        "and what follows, or merge it into the first)");
    yaml_document_delete(&next);
}

struct sg_policy *sg_policy_load_with_previous(const char *path, const struct sg_policy *prev, char **errors)
{
    struct sg_policy *p = sg_xcalloc(1, sizeof(*p));
    atomic_init(&p->refs, 1);
    p->path = sg_xstrdup(path);
    char *tmp = sg_xstrdup(path);
    p->dir = sg_xstrdup(dirname(tmp));
    free(tmp);
    p->list_files = sg_xcalloc(1, sizeof(char *));

    struct sg_cfg cfg = {.file = path, .policy = p, .prev = prev};
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        /* No line to point at: "file: cannot open: why", never "file:0:0". */
        sg_buf_printf(&cfg.errors, "%s: cannot open: %s\n", path, strerror(errno));
        cfg.nerrors++;
        goto fail;
    }
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_file(&parser, fp);
    if (!yaml_parser_load(&parser, &doc)) {
        syntax_error(&cfg, &parser);
        yaml_parser_delete(&parser);
        fclose(fp);
        goto fail;
    }
    cfg.doc = &doc;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root) {
        sg_cfg_error_at(&cfg, 1, 1, "the policy file is empty");
    } else {
        refuse_second_document(&cfg, &parser);
        parse_top(&cfg, root, p);
    }
    if (!cfg.nerrors)
        sg_load_compile(&cfg, p);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    fclose(fp);
    if (cfg.nerrors)
        goto fail;
    sg_buf_free(&cfg.errors);
    p->warnings = sg_cfg_take_warnings(&cfg);
    if (errors)
        *errors = NULL;
    return p;

fail:
    sg_buf_free(&cfg.warnings);
    char *text = sg_cfg_take_errors(&cfg);
    if (errors)
        *errors = text;
    else
        free(text);
    sg_policy_unref(p);
    return NULL;
}

struct sg_policy *sg_policy_load(const char *path, char **errors)
{
    return sg_policy_load_with_previous(path, NULL, errors);
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
    sg_load_rules_free(p);
    sg_cfg_free_table(sg_schema_school, &p->school);
    sg_strv_free(p->school.staff_domains);
    sg_strv_free(p->school.pupil_domains);
    sg_strv_free(p->school.trust_domains);
    sg_hours_free(&p->school.hours);
    sg_strv_free(p->school.landlines);
    sg_strv_free(p->school.official_social);
    sg_strv_free(p->school.safeguarding_team);
    for (size_t i = 0; i < p->nunits; i++) {
        free(p->units[i].id);
        free(p->units[i].name);
        sg_hours_free(&p->units[i].hours);
        sg_strv_free(p->units[i].safeguarding_team);
    }
    free(p->units);
    free(p->outbound.nets);
    sg_load_directory_free(p);
    if (p->tz)
        g_time_zone_unref(p->tz);
    free(p->warnings);
    sg_strv_free(p->list_files);
    sg_cfg_free_table(sg_schema_actions, &p->actions);
    sg_load_quarantine_free(p);
    free(p->actions.header);
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
    /* Phrase lists too: editing one must reload like editing the policy. */
    for (size_t i = 0; p->list_files && p->list_files[i]; i++)
        files = sg_strv_push(files, p->list_files[i]);
    return files;
}
