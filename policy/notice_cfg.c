/*
 * notice_cfg.c - the policy's notices: section, the per-category advice
 * staff get in bounces and notices, and a school's own notices: entry.
 *
 * The default texts live here, as templates like the admin's, so that a
 * policy without a notices: section still says something useful and an
 * admin overrides one text without copying the others.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "sg_notice.h"
#include "sg_schema.h"
#include "sg_template.h"

static void parse_digest(struct sg_cfg *cfg, yaml_node_t *node, void *field)
{
    const char *s = sg_cfg_scalar(cfg, node, "digest");
    if (!s)
        return;
    enum sg_digest *d = field;
    if (!strcmp(s, "none"))
        *d = SG_DIGEST_NONE;
    else if (!strcmp(s, "hourly"))
        *d = SG_DIGEST_HOURLY;
    else if (!strcmp(s, "daily"))
        *d = SG_DIGEST_DAILY;
    else
        sg_cfg_error(cfg, node, "digest is none, hourly or daily, not \"%s\"", s);
}

static void parse_command(struct sg_cfg *cfg, yaml_node_t *node, void *field)
{
    yaml_node_t **nodes;
    char **argv = sg_cfg_strlist(cfg, node, "sendmail", &nodes);
    if (!argv[0] || argv[0][0] != '/') {
        sg_cfg_error(cfg, node, "sendmail is an absolute path, optionally with arguments as a list "
                     "([/usr/sbin/sendmail, -C, /etc/postfix-out]); it is run without a shell");
        sg_strv_free(argv);
    } else {
        sg_strv_free(*(char ***)field);
        *(char ***)field = argv;
    }
    free(nodes);
}

static void parse_address(struct sg_cfg *cfg, yaml_node_t *node, void *field)
{
    char **one = NULL;
    sg_load_parse_addresses(cfg, node, &one);
    if (one && one[0] && !one[1] && one[0][0] != '@') {
        free(*(char **)field);
        *(char **)field = sg_xstrdup(one[0]);
    } else if (one) {
        sg_cfg_error(cfg, node, "sender is one mail address (safeguard-notices@school.sch.uk)");
    }
    sg_strv_free(one);
}

static void parse_path(struct sg_cfg *cfg, yaml_node_t *node, void *field)
{
    const char *s = sg_cfg_scalar(cfg, node, "a path");
    if (!s)
        return;
    if (!*s) {
        sg_cfg_error(cfg, node, "an empty path");
        return;
    }
    free(*(char **)field);
    *(char **)field = sg_cfg_path(cfg, s);
}

#define NOT(f) offsetof(struct sg_notices_cfg, f)
const struct sg_cfg_key sg_schema_notices[] = {
    {.key = "dsl", .type = SG_CFG_CUSTOM, .offset = NOT(dsl), .custom = sg_load_parse_addresses,
     .shape = "list of addresses",
     .doc = "Where DSL notices of held mail go, trust-wide. A `schools:` entry's `notices: dsl:` overrides it for "
            "that school's staff. Without either, the sender's school's `safeguarding_team`."},
    {.key = "digest", .type = SG_CFG_CUSTOM, .offset = NOT(digest), .custom = parse_digest, .def = "none",
     .shape = "none, hourly or daily",
     .doc = "`none`: one notice per held message, sent at once. `hourly`/`daily`: the notices wait in `spool` and "
            "go as one digest per school when the hour or day is over (checked by the milter's reload thread)."},
    {.key = "sender", .type = SG_CFG_CUSTOM, .offset = NOT(sender), .custom = parse_address,
     .def = "safeguard-notices@ the first staff domain", .shape = "address",
     .doc = "Envelope sender and From: of notices."},
    {.key = "sendmail", .type = SG_CFG_CUSTOM, .offset = NOT(sendmail), .custom = parse_command,
     .def = "/usr/sbin/sendmail", .shape = "path, or list of path and arguments",
     .doc = "The local MTA's sendmail(1). Notices are piped to it with `-t -oi -f SENDER` (no shell), so they "
            "are queued and logged like any mail. Postfix passes them through `non_smtpd_milters`: the milter "
            "knows its own notices by `X-Safeguard-Notice` and lets them pass unscreened."},
    {.key = "key_file", .type = SG_CFG_CUSTOM, .offset = NOT(key_file), .custom = parse_path,
     .def = "/var/lib/safeguard-milter/notice.key", .shape = "path",
     .doc = "Secret key of the `X-Safeguard-Notice` mark: an HMAC-SHA256 over the event id, the Message-ID and "
            "the recipients. Created (32 random bytes, mode 0600) by the milter at start when absent. Mail "
            "whose mark does not verify is screened as usual and the header removed; a valid mark is removed "
            "too, so no reader of a notice can copy it."},
    {.key = "spool", .type = SG_CFG_CUSTOM, .offset = NOT(spool), .custom = parse_path,
     .def = "/var/lib/safeguard-milter/digest", .shape = "path",
     .doc = "Folder (created 0700) where digest entries wait."},
    {.key = "staff", .type = SG_CFG_BOOL, .offset = NOT(staff), .def = "true",
     .doc = "The member of staff whose mail was held gets a short notice that it is with the DSL. Only for "
            "SMTP AUTH senders (`{auth_authen}`): an envelope sender can be forged, and a notice to it would "
            "be backscatter."},
    {.key = "dsl_subject", .type = SG_CFG_CUSTOM, .offset = NOT(dsl_subject), .custom = sg_template_parse_field,
     .shape = "template", .doc = "Subject of the DSL notice (template, below)."},
    {.key = "dsl_body", .type = SG_CFG_CUSTOM, .offset = NOT(dsl_body), .custom = sg_template_parse_field,
     .shape = "template", .doc = "Text of the DSL notice (template). It never holds the message's body text: "
     "`{evidence}` is the matched phrases the rules report."},
    {.key = "staff_subject", .type = SG_CFG_CUSTOM, .offset = NOT(staff_subject), .custom = sg_template_parse_field,
     .shape = "template", .doc = "Subject of the staff notice (template)."},
    {.key = "staff_body", .type = SG_CFG_CUSTOM, .offset = NOT(staff_body), .custom = sg_template_parse_field,
     .shape = "template", .doc = "Text of the staff notice (template)."},
    {.key = NULL},
};

#define UN(f) offsetof(struct sg_unit_notices, f)
const struct sg_cfg_key sg_schema_unit_notices[] = {
    {.key = "dsl", .type = SG_CFG_CUSTOM, .offset = UN(dsl), .custom = sg_load_parse_addresses,
     .shape = "list of addresses", .doc = "This school's DSL notice addresses (instead of `notices: dsl:`)."},
    {.key = "digest", .type = SG_CFG_CUSTOM, .offset = UN(digest), .custom = parse_digest,
     .shape = "none, hourly or daily", .doc = "This school's digest setting (instead of `notices: digest:`)."},
    {.key = NULL},
};

/* Plain words for "what to do instead", per category; a rule's advice:
 * comes first. */
#define ADV(c) ((size_t)(c) * sizeof(char *))
const struct sg_cfg_key sg_schema_advice[] = {
    {.key = "pupil-contact", .type = SG_CFG_STR, .offset = ADV(SG_CAT_PUPIL_CONTACT),
     .def = "Contact pupils only through their school accounts or the school's approved systems; to reach a family, "
            "use the school office or the parent messaging system.", .doc = "Advice for `pupil-contact` rules."},
    {.key = "contact-details", .type = SG_CFG_STR, .offset = ADV(SG_CAT_CONTACT_DETAILS),
     .def = "Do not give pupils or parents your personal phone, email or social media; give the school's number "
            "or your school address instead.", .doc = "Advice for `contact-details` rules."},
    {.key = "out-of-hours", .type = SG_CFG_STR, .offset = ADV(SG_CAT_OUT_OF_HOURS),
     .def = "Send it within the school's contact hours; if it cannot wait, ask the Designated Safeguarding Lead.",
     .doc = "Advice for `out-of-hours` rules."},
    {.key = "social-media", .type = SG_CFG_STR, .offset = ADV(SG_CAT_SOCIAL_MEDIA),
     .def = "Do not connect with pupils on social media; school news goes out through the school's official "
            "accounts.", .doc = "Advice for `social-media` rules."},
    {.key = "confidential", .type = SG_CFG_STR, .offset = ADV(SG_CAT_CONFIDENTIAL),
     .def = "Keep confidential and safeguarding matters inside the school's own systems; share them through the "
            "Designated Safeguarding Lead or the school's secure route.", .doc = "Advice for `confidential` rules."},
    {.key = "personal-data", .type = SG_CFG_STR, .offset = ADV(SG_CAT_PERSONAL_DATA),
     .def = "Pupils' personal data does not leave the school by ordinary email: use the school's secure transfer "
            "or ask the Data Protection Officer.", .doc = "Advice for `personal-data` rules."},
    {.key = "logo", .type = SG_CFG_STR, .offset = ADV(SG_CAT_LOGO),
     .def = "Use the school's name and logo only with the Principal's approval.", .doc = "Advice for `logo` rules."},
    {.key = "media", .type = SG_CFG_STR, .offset = ADV(SG_CAT_MEDIA),
     .def = "Press enquiries go to the Principal or a Senior Leader: forward this to them instead of replying.",
     .doc = "Advice for `media` rules."},
    {.key = "reference", .type = SG_CFG_STR, .offset = ADV(SG_CAT_REFERENCE),
     .def = "References are given on the school's behalf by the Principal or HR: forward the request to them.",
     .doc = "Advice for `reference` rules."},
    {.key = "offensive", .type = SG_CFG_STR, .offset = ADV(SG_CAT_OFFENSIVE),
     .def = "Write it again without the offensive words; to report abuse, send it to the Designated Safeguarding "
            "Lead.", .doc = "Advice for `offensive` rules."},
    {.key = "adult", .type = SG_CFG_STR, .offset = ADV(SG_CAT_ADULT),
     .def = "Do not send links to adult sites from school email; to report one, send it to the Designated "
            "Safeguarding Lead.", .doc = "Advice for `adult` rules."},
    {.key = "solicitation", .type = SG_CFG_STR, .offset = ADV(SG_CAT_SOLICITATION),
     .def = "School email is not for personal business, fundraising or campaigning: ask the Principal first.",
     .doc = "Advice for `solicitation` rules."},
    {.key = NULL},
};

void sg_load_advice(struct sg_cfg *cfg, yaml_node_t *node, void *field)
{
    sg_cfg_apply_table(cfg, node, sg_schema_advice, field, "advice");
}

void sg_load_unit_notices(struct sg_cfg *cfg, yaml_node_t *node, void *field)
{
    sg_cfg_apply_table(cfg, node, sg_schema_unit_notices, field, "notices");
}

static const char default_dsl_subject[] = "[safeguard] Held for review: {rule} (event {event_id})";

static const char default_dsl_body[] =
    "A message was held by the school's email safeguarding filter and waits for your review.\n"
    "\n"
    "Event:    {event_id}\n"
    "School:   {school}\n"
    "From:     {sender}\n"
    "To:       {recipients}\n"
    "Subject:  {subject}\n"
    "Received: {date}\n"
    "\n"
    "Why it was held:\n"
    "{evidence}\n"
    "\n"
    "To look at it:\n"
    "  safeguard-quarantine show {event_id}\n"
    "To release it (delivered as sent):\n"
    "  {release_command}\n"
    "To discard it:\n"
    "  {discard_command}\n"
    "The reason you give is kept in the audit trail.\n"
    "\n"
    "This notice holds none of the message's own text.\n";

static const char default_staff_subject[] = "Your message is with the Designated Safeguarding Lead: {subject}";

static const char default_staff_body[] =
    "Your message to {recipients} (subject: {subject}) has not been delivered yet. It was held for the "
    "Designated Safeguarding Lead to review under the school's policy.\n"
    "\n"
    "What was stopped: {explain}\n"
    "Policy: {cite}\n"
    "What to do instead: {advice}\n"
    "\n"
    "You do not need to send it again: the DSL will release it or talk to you. If it is urgent, contact "
    "{dsl} and quote event {event_id}.\n";

static struct sg_template *builtin(const char *text)
{
    char *err = NULL;
    size_t off;
    struct sg_template *t = sg_template_parse(text, &err, &off);
    if (!t)
        abort();                     /* a broken built-in text is a bug caught by every test */
    return t;
}

void sg_load_notices(struct sg_cfg *cfg, yaml_node_t *node, struct sg_policy *p)
{
    struct sg_notices_cfg *n = &p->notices;
    if (node) {
        n->configured = true;
        sg_cfg_apply_table(cfg, node, sg_schema_notices, n, "notices");
    } else {
        n->staff = true;
    }
    if (n->digest == SG_DIGEST_INHERIT)
        n->digest = SG_DIGEST_NONE;
    if (!n->sender) {
        struct sg_buf b = {0};
        sg_buf_printf(&b, "safeguard-notices@%s", p->school.staff_domains && p->school.staff_domains[0]
                      ? p->school.staff_domains[0] + (p->school.staff_domains[0][0] == '*' ? 2 : 0) : "localhost");
        n->sender = sg_buf_steal(&b);
    }
    if (!n->sendmail)
        n->sendmail = sg_strv_push(NULL, "/usr/sbin/sendmail");
    if (!n->key_file)
        n->key_file = sg_xstrdup("/var/lib/safeguard-milter/notice.key");
    if (!n->spool)
        n->spool = sg_xstrdup("/var/lib/safeguard-milter/digest");
    struct sg_template **t[] = {&n->dsl_subject, &n->dsl_body, &n->staff_subject, &n->staff_body};
    const char *def[] = {default_dsl_subject, default_dsl_body, default_staff_subject, default_staff_body};
    for (size_t i = 0; i < 4; i++)
        if (!*t[i])
            *t[i] = builtin(def[i]);
    for (size_t c = 0; c < SG_CAT_COUNT; c++)
        if (!p->actions.advice[c])
            p->actions.advice[c] = sg_xstrdup(sg_schema_advice[c].def);
    for (size_t u = 0; u < p->nunits; u++)
        if (p->units[u].notices.digest == SG_DIGEST_INHERIT)
            p->units[u].notices.digest = n->digest;
}

void sg_notices_free(struct sg_policy *p)
{
    struct sg_notices_cfg *n = &p->notices;
    sg_strv_free(n->dsl);
    free(n->sender);
    sg_strv_free(n->sendmail);
    free(n->key_file);
    free(n->spool);
    sg_template_free(n->dsl_subject);
    sg_template_free(n->dsl_body);
    sg_template_free(n->staff_subject);
    sg_template_free(n->staff_body);
    memset(n, 0, sizeof(*n));
    for (size_t c = 0; c < SG_CAT_COUNT; c++) {
        free(p->actions.advice[c]);
        p->actions.advice[c] = NULL;
    }
    for (size_t u = 0; u < p->nunits; u++)
        sg_strv_free(p->units[u].notices.dsl);
}
