/*
 * check_notice.c - templates against injection, the DSL and staff
 * notices' text, and the X-Safeguard-Notice mark, down to what the milter
 * does with a notice coming back through the MTA (a fake smfi_* table and
 * a stand-in sendmail that writes what it is given to a file).
 */
#include <glib.h>
#include <gmime/gmime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include "check_suites.h"
#include "sg_engine.h"
#include "sg_milter.h"
#include "sg_notice.h"
#include "sg_template.h"

static struct sg_template *tpl(const char *text)
{
    char *err = NULL;
    size_t off = 0;
    struct sg_template *t = sg_template_parse(text, &err, &off);
    ck_assert_msg(t != NULL, "%s", err ? err : "");
    return t;
}

/* Every line after the first of a header field is a continuation. */
static void assert_one_field(const char *h)
{
    const char *nl = strchr(h, '\n');
    ck_assert_ptr_nonnull(nl);
    ck_assert_ptr_null(strchr(h, '\r'));
    for (const char *s = nl + 1; *s; s = strchr(s, '\n') + 1) {
        ck_assert_msg(*s == ' ' || *s == '\t', "a new header field starts in: %s", h);
        if (!strchr(s, '\n'))
            break;
    }
    ck_assert_int_eq(h[strlen(h) - 1], '\n');
}

START_TEST(header_injection_in_subject)
{
    struct sg_template *t = tpl("Held: {subject}");
    struct sg_tvalues v = {0};
    v.v[SG_TV_SUBJECT] = "Report\r\nBcc: x@y\r\n\r\nbody";
    char *h = sg_template_expand_header(t, "Subject", &v);
    assert_one_field(h);
    ck_assert_ptr_null(strstr(h, "\nBcc:"));
    ck_assert_str_eq(h, "Subject: Held: Report Bcc: x@y body\n");
    free(h);
    /* a bare LF and a Unicode line separator are no way round it */
    v.v[SG_TV_SUBJECT] = "a\nBcc: x@y\xe2\x80\xa8To: z@w\x85" "Cc: q";
    h = sg_template_expand_header(t, "Subject", &v);
    assert_one_field(h);
    ck_assert_ptr_null(strstr(h, "\nBcc:"));
    ck_assert_ptr_null(strstr(h, "\nTo:"));
    free(h);
    sg_template_free(t);
}
END_TEST

START_TEST(sender_with_cr_in_body_text)
{
    struct sg_template *t = tpl("From: {sender}\nEnd\n");
    struct sg_tvalues v = {0};
    v.v[SG_TV_SENDER] = "a@b.example\rX-Evil: 1\r\n\tmore\x1b[31m";
    char *s = sg_template_expand_text(t, &v);
    ck_assert_ptr_null(strchr(s, '\r'));
    ck_assert_ptr_null(strchr(s, '\x1b'));
    ck_assert_ptr_null(strstr(s, "\nX-Evil"));
    /* the template's own line breaks stay, the value's do not */
    ck_assert_str_eq(s, "From: a@b.exampleX-Evil: 1  more [31m\nEnd\n");
    free(s);
    sg_template_free(t);
}
END_TEST

START_TEST(non_ascii_subject_is_encoded)
{
    struct sg_template *t = tpl("Held: {subject}");
    struct sg_tvalues v = {0};
    v.v[SG_TV_SUBJECT] = "R\xc3\xa9sum\xc3\xa9 f\xc3\xbcr Zo\xc3\xab, a long subject line that goes on and on well past "
                         "the width of one header line so that it must be folded";
    char *h = sg_template_expand_header(t, "Subject", &v);
    assert_one_field(h);
    for (const char *s = h; *s; s++)
        ck_assert_msg((unsigned char)*s < 0x80, "8-bit byte in %s", h);
    ck_assert_ptr_nonnull(strcasestr(h, "=?utf-8?"));
    /* GMime reads back what it wrote */
    char *unfolded = g_strdup(h + strlen("Subject:"));
    for (char *c = unfolded; *c; c++)
        if (*c == '\n')
            *c = ' ';
    char *dec = g_mime_utils_header_decode_text(NULL, unfolded);
    ck_assert_ptr_nonnull(strstr(dec, "R\xc3\xa9sum\xc3\xa9 f\xc3\xbcr Zo\xc3\xab"));
    g_free(dec);
    g_free(unfolded);
    free(h);
    sg_template_free(t);
}
END_TEST

START_TEST(unknown_variable_and_braces)
{
    char *err = NULL;
    size_t off = 0;
    ck_assert_ptr_null(sg_template_parse("Held {subjekt} now", &err, &off));
    ck_assert_ptr_nonnull(strstr(err, "{subjekt}"));
    ck_assert_uint_eq(off, 5);
    free(err);
    ck_assert_ptr_null(sg_template_parse("open {rule", &err, &off));
    free(err);
    ck_assert_ptr_null(sg_template_parse("close }", &err, &off));
    free(err);
    struct sg_template *t = tpl("{{rule}} is {rule}");
    struct sg_tvalues v = {0};
    v.v[SG_TV_RULE] = "{cite}";        /* a value is never read as a template */
    char *s = sg_template_expand_text(t, &v);
    ck_assert_str_eq(s, "{rule} is {cite}");
    free(s);
    sg_template_free(t);
}
END_TEST

static const char policy_head[] =
    "school:\n  name: Northfield Academy\n  staff_domains: [northfield.sch.uk]\n"
    "  safeguarding_team: [team@northfield.sch.uk]\n"
    "actions:\n  dsl_contact: the DSL (dsl@northfield.sch.uk)\n"
    "  advice:\n    media: Press enquiries go to the Principal.\n";

static const char policy_rules[] =
    "rules:\n"
    "  - id: cp-plan\n    category: confidential\n    action: quarantine\n"
    "    cite: \"004 3.2: confidential information about pupils\"\n"
    "    explain: Child-protection details stay inside the school.\n"
    "    advice: \"Send it to the DSL through the safeguarding system.\"\n"
    "    match: {phrases: [child protection plan]}\n"
    "  - id: press\n    category: media\n    action: reject\n    cite: \"000 5.2\"\n"
    "    match: {phrases: [press statement]}\n";

START_TEST(unknown_variable_is_a_load_error_with_position)
{
    struct sg_buf y = {0};
    sg_buf_printf(&y, "%snotices:\n  staff_subject: \"Held: {subjekt}\"\n%s", policy_head, policy_rules);
    char *errors = NULL;
    char path[64];
    struct sg_policy *p = sg_test_load_yaml(y.data, &errors, path);
    ck_assert_ptr_null(p);
    char want[128];
    snprintf(want, sizeof(want), "%s:10:25: unknown template variable {subjekt}", path);
    ck_assert_msg(strstr(errors, want), "%s", errors);
    free(errors);
    sg_buf_free(&y);
}
END_TEST

START_TEST(advice_rule_then_category)
{
    struct sg_buf y = {0};
    sg_buf_printf(&y, "%s%s", policy_head, policy_rules);
    char *errors = NULL;
    struct sg_policy *p = sg_test_load_yaml(y.data, &errors, NULL);
    ck_assert_msg(p != NULL, "%s", errors ? errors : "");
    ck_assert_str_eq(sg_notice_advice(p, &p->rules[0]), "Send it to the DSL through the safeguarding system.");
    ck_assert_str_eq(sg_notice_advice(p, &p->rules[1]), "Press enquiries go to the Principal.");
    ck_assert_ptr_nonnull(strstr(p->actions.advice[SG_CAT_OFFENSIVE], "offensive"));
    ck_assert(!p->notices.configured);
    sg_policy_unref(p);
    sg_buf_free(&y);
}
END_TEST

static const char held_mail[] =
    "From: t@northfield.sch.uk\r\nTo: out@example.com\r\nSubject: Plan for J\r\nMessage-ID: <m1@x>\r\n\r\n"
    "Hello,\r\n\r\nJamie told the nurse on Tuesday about bruises. The child protection plan is attached.\r\n";

static struct sg_policy *notice_policy(const char *dir, const char *extra)
{
    struct sg_buf y = {0};
    sg_buf_printf(&y, "%snotices:\n  dsl: [dsl@northfield.sch.uk, deputy@northfield.sch.uk]\n"
                  "  sender: safeguard@northfield.sch.uk\n  key_file: %s/notice.key\n  spool: %s/digest\n"
                  "  sendmail: [/bin/sh, -c, 'cat >> %s/out; echo ==END== >> %s/out', sh]\n%s"
                  "schools:\n  - id: SVP\n    name: Southview Primary\n    notices: {dsl: [svp-dsl@northfield.sch.uk]}\n"
                  "%s", policy_head, dir, dir, dir, dir, extra ? extra : "", policy_rules);
    char *errors = NULL;
    struct sg_policy *p = sg_test_load_yaml(y.data, &errors, NULL);
    ck_assert_msg(p != NULL, "%s", errors ? errors : "");
    sg_buf_free(&y);
    return p;
}

static void held_verdict(const struct sg_policy *p, struct sg_envelope *env, struct sg_verdict *v)
{
    char err[128];
    struct sg_message *m = sg_message_parse_mem(held_mail, strlen(held_mail), &p->limits.msg, err, sizeof(err));
    ck_assert_ptr_nonnull(m);
    sg_verdict_init(v, sg_strv_len(env->rcpts));
    sg_engine_evaluate(p, env, m, v);
    ck_assert_int_eq(v->action, SG_ACTION_QUARANTINE);
    sg_message_free(m);
}

START_TEST(dsl_notice_text)
{
    char dir[] = "/tmp/sg-notice-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    struct sg_policy *p = notice_policy(dir, NULL);
    char *rcpts[] = {"out@example.com", NULL};
    struct sg_envelope env = {.mail_from = "t@northfield.sch.uk", .rcpts = rcpts, .when = 1795600800,
                              .queue_id = "QID9"};
    struct sg_verdict v;
    held_verdict(p, &env, &v);
    char *const *dsl = sg_notice_dsl(p, sg_notice_unit(p, &env));
    ck_assert_str_eq(dsl[0], "dsl@northfield.sch.uk");
    struct sg_notice_values nv;
    sg_notice_values(&nv, p, &v, &env, "Plan for J", dsl, false);
    char *body = sg_template_expand_text(p->notices.dsl_body, &nv.t);
    char *subj = sg_template_expand_header(p->notices.dsl_subject, "Subject", &nv.t);
    unsigned char key[SG_NOTICE_KEY_LEN] = {1, 2, 3};
    char *text = sg_notice_compose(p, v.event_id, dsl, subj, body, key, sizeof(key));
    ck_assert_ptr_nonnull(strstr(text, "\nTo: dsl@northfield.sch.uk, deputy@northfield.sch.uk\n"));
    ck_assert_ptr_nonnull(strstr(text, "cp-plan"));
    ck_assert_ptr_nonnull(strstr(text, "004 3.2: confidential information about pupils"));
    ck_assert_ptr_nonnull(strstr(text, "Found: "));
    ck_assert_ptr_nonnull(strstr(text, "child protection plan"));
    char want[96];
    snprintf(want, sizeof(want), "safeguard-quarantine release %s --reason", v.event_id);
    ck_assert_ptr_nonnull(strstr(text, want));
    snprintf(want, sizeof(want), "safeguard-quarantine discard %s --reason", v.event_id);
    ck_assert_ptr_nonnull(strstr(text, want));
    ck_assert_ptr_nonnull(strstr(text, "From:     t@northfield.sch.uk"));
    ck_assert_ptr_nonnull(strstr(text, "out@example.com"));
    ck_assert_ptr_nonnull(strstr(text, "Subject:  Plan for J"));
    ck_assert_ptr_nonnull(strstr(text, "\nAuto-Submitted: auto-generated\n"));
    snprintf(want, sizeof(want), "\nX-Safeguard-Notice: %s ", v.event_id);
    ck_assert_ptr_nonnull(strstr(text, want));
    /* none of the body's own words beyond the matched phrase */
    const char *body_words[] = {"Jamie", "nurse", "Tuesday", "bruises", "attached", "Hello", NULL};
    for (size_t i = 0; body_words[i]; i++)
        ck_assert_msg(!strstr(text, body_words[i]), "notice quotes the body (%s):\n%s", body_words[i], text);
    /* the staff notice: the clause, the advice, the DSL contact */
    struct sg_notice_values sv;
    sg_notice_values(&sv, p, &v, &env, "Plan for J", dsl, true);
    char *staff = sg_template_expand_text(p->notices.staff_body, &sv.t);
    ck_assert_ptr_nonnull(strstr(staff, "Policy: 004 3.2"));
    ck_assert_ptr_nonnull(strstr(staff, "What to do instead: Send it to the DSL through the safeguarding system."));
    ck_assert_ptr_nonnull(strstr(staff, "the DSL (dsl@northfield.sch.uk)"));
    ck_assert_ptr_null(strstr(staff, "bruises"));
    free(staff);
    sg_notice_values_free(&sv);
    free(text);
    free(subj);
    free(body);
    sg_notice_values_free(&nv);
    sg_verdict_clear(&v);
    sg_policy_unref(p);
    rmdir(dir);
}
END_TEST

START_TEST(dsl_addresses_by_school)
{
    char dir[] = "/tmp/sg-notice-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    struct sg_policy *p = notice_policy(dir, NULL);
    struct sg_school_unit *svp = &p->units[0];
    ck_assert_str_eq(sg_notice_dsl(p, svp)[0], "svp-dsl@northfield.sch.uk");
    ck_assert_str_eq(sg_notice_dsl(p, NULL)[0], "dsl@northfield.sch.uk");
    ck_assert_int_eq(sg_notice_digest(p, svp), SG_DIGEST_NONE);
    sg_policy_unref(p);
    /* without notices: dsl, the school's safeguarding team */
    struct sg_buf y = {0};
    sg_buf_printf(&y, "%snotices: {digest: daily}\n%s", policy_head, policy_rules);
    char *errors = NULL;
    p = sg_test_load_yaml(y.data, &errors, NULL);
    ck_assert_msg(p != NULL, "%s", errors ? errors : "");
    ck_assert_str_eq(sg_notice_dsl(p, NULL)[0], "team@northfield.sch.uk");
    ck_assert_int_eq(sg_notice_digest(p, NULL), SG_DIGEST_DAILY);
    ck_assert_str_eq(p->notices.sender, "safeguard-notices@northfield.sch.uk");
    /* staff notices only to an authenticated sender */
    struct sg_envelope env = {.mail_from = "t@northfield.sch.uk"};
    ck_assert_ptr_null(sg_notice_staff_address(p, &env));
    env.auth_login = "Teacher";
    char *a = sg_notice_staff_address(p, &env);
    ck_assert_str_eq(a, "teacher@northfield.sch.uk");
    free(a);
    env.auth_login = "x\r\nBcc: y@z";
    ck_assert_ptr_null(sg_notice_staff_address(p, &env));
    sg_policy_unref(p);
    sg_buf_free(&y);
    rmdir(dir);
}
END_TEST

START_TEST(contact_is_the_schools_dsl_by_default)
{
    struct sg_buf y = {0};
    sg_buf_printf(&y, "school:\n  name: N\n  staff_domains: [n.sch.uk]\n  safeguarding_team: [team@n.sch.uk]\n"
                  "notices:\n  dsl: [dsl@n.sch.uk, deputy@n.sch.uk]\n%s", policy_rules);
    char *errors = NULL;
    struct sg_policy *p = sg_test_load_yaml(y.data, &errors, NULL);
    ck_assert_msg(p != NULL, "%s", errors ? errors : "");
    struct sg_envelope env = {.mail_from = "t@n.sch.uk"};
    char *c = sg_notice_contact(p, &env);
    ck_assert_str_eq(c, "the Designated Safeguarding Lead (dsl@n.sch.uk, deputy@n.sch.uk)");
    free(c);
    sg_policy_unref(p);
    sg_buf_free(&y);
    /* an admin's own words win */
    sg_buf_printf(&y, "%s%s", policy_head, policy_rules);
    p = sg_test_load_yaml(y.data, &errors, NULL);
    ck_assert_msg(p != NULL, "%s", errors ? errors : "");
    c = sg_notice_contact(p, &env);
    ck_assert_str_eq(c, "the DSL (dsl@northfield.sch.uk)");
    free(c);
    sg_policy_unref(p);
    sg_buf_free(&y);
}
END_TEST

START_TEST(mac_verifies_only_its_own)
{
    unsigned char key[SG_NOTICE_KEY_LEN] = "0123456789abcdef0123456789abcde";
    char *rcpts[] = {"dsl@x.sch.uk", "Deputy@x.sch.uk", NULL};
    char *swapped[] = {"deputy@x.sch.uk", "dsl@x.sch.uk", NULL};
    char *more[] = {"dsl@x.sch.uk", "deputy@x.sch.uk", "pupil@x.sch.uk", NULL};
    char mac[65], hdr[128];
    sg_notice_mac(key, sizeof(key), "sg-0011", "n1@x.sch.uk", rcpts, mac);
    ck_assert_uint_eq(strlen(mac), 64);
    snprintf(hdr, sizeof(hdr), "sg-0011 %s", mac);
    ck_assert(sg_notice_verify(key, sizeof(key), hdr, " <n1@x.sch.uk>", rcpts));
    ck_assert(sg_notice_verify(key, sizeof(key), hdr, "<n1@x.sch.uk>", swapped));
    ck_assert(!sg_notice_verify(key, sizeof(key), hdr, "<n2@x.sch.uk>", rcpts));
    ck_assert(!sg_notice_verify(key, sizeof(key), hdr, "<n1@x.sch.uk>", more));
    snprintf(hdr, sizeof(hdr), "sg-0012 %s", mac);
    ck_assert(!sg_notice_verify(key, sizeof(key), hdr, "<n1@x.sch.uk>", rcpts));
    unsigned char other[SG_NOTICE_KEY_LEN] = "another key, as a forger guesses";
    snprintf(hdr, sizeof(hdr), "sg-0011 %s", mac);
    ck_assert(!sg_notice_verify(other, sizeof(other), hdr, "<n1@x.sch.uk>", rcpts));
    ck_assert(!sg_notice_verify(key, sizeof(key), "sg-0011", "<n1@x.sch.uk>", rcpts));
    ck_assert(!sg_notice_verify(key, sizeof(key), "sg-0011 00", "<n1@x.sch.uk>", rcpts));
}
END_TEST

START_TEST(key_file_created_0600)
{
    char dir[] = "/tmp/sg-notice-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[128], err[256];
    snprintf(path, sizeof(path), "%s/notice.key", dir);
    unsigned char k1[SG_NOTICE_KEY_LEN], k2[SG_NOTICE_KEY_LEN];
    ck_assert(!sg_notice_key_load(path, false, k1, err, sizeof(err)));
    ck_assert_msg(sg_notice_key_load(path, true, k1, err, sizeof(err)), "%s", err);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0600);
    ck_assert_int_eq(st.st_size, SG_NOTICE_KEY_LEN);
    ck_assert(sg_notice_key_load(path, true, k2, err, sizeof(err)));
    ck_assert(!memcmp(k1, k2, sizeof(k1)));          /* read again, not replaced */
    chmod(path, 0644);
    ck_assert(!sg_notice_key_load(path, false, k2, err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "readable by others"));
    unlink(path);
    rmdir(dir);
}
END_TEST

/* ---- through the milter's callbacks ---- */

static void *priv;
static struct sg_buf calls;
static const char *auth_macro;

static void *f_getpriv(SMFICTX *c) { (void)c; return priv; }
static int f_setpriv(SMFICTX *c, void *p) { (void)c; priv = p; return MI_SUCCESS; }
static char *f_getsymval(SMFICTX *c, char *m)
{
    (void)c;
    if (!strcmp(m, "i"))
        return "QIDN";
    if (!strcmp(m, "{auth_authen}"))
        return (char *)auth_macro;
    return NULL;
}
static int f_insheader(SMFICTX *c, int i, char *n, char *v) { (void)c; sg_buf_printf(&calls, "insheader %d %s: %s\n", i, n, v); return MI_SUCCESS; }
static int f_chgheader(SMFICTX *c, char *n, int i, char *v) { (void)c; sg_buf_printf(&calls, "chgheader %s %d %s\n", n, i, v ? v : "(delete)"); return MI_SUCCESS; }
static int f_addheader(SMFICTX *c, char *n, char *v) { (void)c; sg_buf_printf(&calls, "addheader %s: %s\n", n, v); return MI_SUCCESS; }
static int f_quarantine(SMFICTX *c, char *r) { (void)c; sg_buf_printf(&calls, "quarantine %s\n", r); return MI_SUCCESS; }
static int f_setreply(SMFICTX *c, char *a, char *b, char *t) { (void)c; sg_buf_printf(&calls, "setreply %s %s %s\n", a, b, t); return MI_SUCCESS; }
static int f_setmlreply(SMFICTX *c, const char *a, const char *b, char *const *l, size_t n)
{
    (void)c;
    for (size_t i = 0; i < n; i++)
        sg_buf_printf(&calls, "reply %s %s %s\n", a, b, l[i]);
    return MI_SUCCESS;
}
static int f_delrcpt(SMFICTX *c, char *r) { (void)c; sg_buf_printf(&calls, "delrcpt %s\n", r); return MI_SUCCESS; }
static int f_replacebody(SMFICTX *c, unsigned char *b, int n) { (void)c; sg_buf_printf(&calls, "replacebody %.*s\n", n, (const char *)b); return MI_SUCCESS; }

static const struct sg_smfi_ops fake = {
    f_getpriv, f_setpriv, f_getsymval, f_insheader, f_chgheader, f_addheader,
    f_quarantine, f_setreply, f_setmlreply, f_delrcpt, f_replacebody, NULL,
};
static SMFICTX *ctx = (SMFICTX *)&priv;

/* The reload module takes a reference of its own; sg_reload_stop drops it. */
static void start(struct sg_policy *p)
{
    sg_reload_init(sg_policy_ref(p), NULL, NULL);
    sg_smfi = &fake;
    priv = NULL;
    auth_macro = NULL;
    sg_buf_free(&calls);
    sg_buf_append(&calls, "", 0);
}

static sfsistat deliver(const char *from, char *const *rcpts, const char *const *headers, const char *body)
{
    struct sockaddr_in sin = {.sin_family = AF_INET};
    sin.sin_addr.s_addr = htonl(0x7f000001);
    sg_milter_desc.xxfi_connect(ctx, "localhost", (_SOCK_ADDR *)&sin);
    char *argv[2] = {(char *)from, NULL};
    sfsistat rc = sg_milter_desc.xxfi_envfrom(ctx, argv);
    if (rc != SMFIS_CONTINUE)
        return rc;
    for (size_t i = 0; rcpts[i]; i++) {
        char *r[2] = {rcpts[i], NULL};
        sg_milter_desc.xxfi_envrcpt(ctx, r);
    }
    for (size_t i = 0; headers[i]; i += 2)
        sg_milter_desc.xxfi_header(ctx, (char *)headers[i], (char *)headers[i + 1]);
    sg_milter_desc.xxfi_body(ctx, (unsigned char *)body, strlen(body));
    rc = sg_milter_desc.xxfi_eom(ctx);
    sg_milter_desc.xxfi_close(ctx);
    return rc;
}

static char *slurp(const char *path)
{
    gchar *s = NULL;
    if (!g_file_get_contents(path, &s, NULL, NULL))
        return sg_xstrdup("");
    char *r = sg_xstrdup(s);
    g_free(s);
    return r;
}

/* The first notice the stand-in sendmail got, up to its end marker. */
static char *first_notice(const char *all, const char *to)
{
    const char *s = strstr(all, to);
    ck_assert_msg(s != NULL, "no notice %s in:\n%s", to, all);
    while (s > all && !(s[-1] == '=' && s[-2] == '=')) 
        s--;
    const char *e = strstr(s, "==END==");
    return sg_xstrndup(s, e ? (size_t)(e - s) : strlen(s));
}

START_TEST(held_mail_sends_notices_and_they_pass)
{
    char dir[] = "/tmp/sg-notice-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    struct sg_policy *p = notice_policy(dir, NULL);
    ck_assert(sg_notify_init(p));
    start(p);
    auth_macro = "teacher";
    char *rcpts[] = {"<out@example.com>", NULL};
    const char *hdrs[] = {"From", "t@northfield.sch.uk", "Subject", "Plan for J\r\n\tBcc: evil@x", "Message-ID", "<m1@x>", NULL};
    const char *body = "Jamie told the nurse on Tuesday. The child protection plan is attached.\r\n";
    ck_assert_int_eq(deliver("<t@northfield.sch.uk>", rcpts, hdrs, body), SMFIS_CONTINUE);
    ck_assert_msg(strstr(calls.data, "quarantine safeguard sg-"), "%s", calls.data);
    char out[128];
    snprintf(out, sizeof(out), "%s/out", dir);
    char *all = slurp(out);
    ck_assert_msg(strstr(all, "To: dsl@northfield.sch.uk, deputy@northfield.sch.uk\n"), "%s", all);
    ck_assert_msg(strstr(all, "To: teacher@northfield.sch.uk\n"), "%s", all);
    ck_assert_ptr_null(strstr(all, "nurse"));
    ck_assert_ptr_null(strstr(all, "\nBcc:"));
    char *dsl = first_notice(all, "To: dsl@northfield.sch.uk");
    char *staff = first_notice(all, "To: teacher@northfield.sch.uk");
    ck_assert_ptr_nonnull(strstr(staff, "Subject: Your message is with the Designated Safeguarding Lead"));
    ck_assert_ptr_nonnull(strstr(staff, "What to do instead:"));
    sg_reload_stop();

    /* The DSL notice coming back through the MTA: not screened although it
     * quotes the phrase that held the original, and its mark removed. */
    for (int round = 0; round < 3; round++) {
        start(p);
        char *hdr_end = strstr(dsl, "\n\n");
        ck_assert_ptr_nonnull(hdr_end);
        const char *mark = strstr(dsl, "X-Safeguard-Notice: ");
        const char *mid = strstr(dsl, "Message-ID: ");
        ck_assert(mark && mid);
        char *markv = sg_xstrndup(mark + 20, strcspn(mark + 20, "\n"));
        char *midv = sg_xstrndup(mid + 12, strcspn(mid + 12, "\n"));
        if (round == 1)
            markv[strlen(markv) - 1] = markv[strlen(markv) - 1] == '0' ? '1' : '0';   /* forged */
        char *nrcpts[] = {"<dsl@northfield.sch.uk>", "<deputy@northfield.sch.uk>", NULL};
        const char *nh[] = {"From", "safeguard@northfield.sch.uk", "Subject", "Held",
                            "Message-ID", midv, round == 2 ? "X-Other" : "X-Safeguard-Notice", markv, NULL};
        sfsistat rc = deliver("<safeguard@northfield.sch.uk>", nrcpts, nh, hdr_end + 2);
        ck_assert_int_eq(rc, SMFIS_CONTINUE);
        if (round == 0) {
            ck_assert_msg(!strstr(calls.data, "quarantine"), "own notice screened: %s", calls.data);
            ck_assert_msg(strstr(calls.data, "chgheader X-Safeguard-Notice 1 (delete)\n"), "%s", calls.data);
        } else {
            /* forged (1) or absent (2): screened as usual, held for the phrase */
            ck_assert_msg(strstr(calls.data, "quarantine safeguard sg-"), "round %d: %s", round, calls.data);
            if (round == 1)
                ck_assert_msg(strstr(calls.data, "chgheader X-Safeguard-Notice 1 (delete)\n"), "%s", calls.data);
        }
        free(markv);
        free(midv);
        sg_reload_stop();
    }
    free(dsl);
    free(staff);
    free(all);
    sg_policy_unref(p);
    unlink(out);
    snprintf(out, sizeof(out), "%s/notice.key", dir);
    unlink(out);
    snprintf(out, sizeof(out), "%s/digest", dir);
    rmdir(out);
    rmdir(dir);
}
END_TEST

START_TEST(digest_waits_then_flushes)
{
    char dir[] = "/tmp/sg-notice-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    struct sg_policy *p = notice_policy(dir, "  digest: hourly\n  staff: false\n");
    ck_assert(sg_notify_init(p));
    start(p);
    char *rcpts[] = {"<out@example.com>", NULL};
    const char *hdrs[] = {"From", "t@northfield.sch.uk", "Subject", "Plan", NULL};
    const char *body = "The child protection plan is attached.\r\n";
    auth_macro = "teacher";
    ck_assert_int_eq(deliver("<t@northfield.sch.uk>", rcpts, hdrs, body), SMFIS_CONTINUE);
    ck_assert_int_eq(deliver("<t@northfield.sch.uk>", rcpts, hdrs, body), SMFIS_CONTINUE);
    char out[128];
    snprintf(out, sizeof(out), "%s/out", dir);
    ck_assert_int_ne(access(out, F_OK), 0);            /* nothing sent yet, staff: false */
    time_t now = time(NULL);
    sg_notify_flush(p, now, false);                    /* this hour's entries wait */
    ck_assert_int_ne(access(out, F_OK), 0);
    sg_notify_flush(p, now + 3600, false);             /* an hour on: one digest */
    char *all = slurp(out);
    ck_assert_msg(strstr(all, "Subject: [safeguard] Digest: 2 held messages"), "%s", all);
    ck_assert_ptr_nonnull(strstr(all, "---- 2 of 2 ----"));
    ck_assert_ptr_nonnull(strstr(all, "safeguard-quarantine release sg-"));
    ck_assert_ptr_nonnull(strstr(all, "X-Safeguard-Notice: digest-"));
    ck_assert_ptr_nonnull(strstr(all, "To: dsl@northfield.sch.uk, deputy@northfield.sch.uk\n"));
    free(all);
    unlink(out);
    sg_notify_flush(p, now + 7200, false);             /* sent once */
    ck_assert_int_ne(access(out, F_OK), 0);
    sg_reload_stop();
    sg_policy_unref(p);
    snprintf(out, sizeof(out), "%s/notice.key", dir);
    unlink(out);
    snprintf(out, sizeof(out), "%s/digest/_school", dir);
    rmdir(out);
    snprintf(out, sizeof(out), "%s/digest", dir);
    rmdir(out);
    rmdir(dir);
}
END_TEST

Suite *sg_suite_notice(void)
{
    Suite *s = suite_create("notice");
    TCase *tc = tcase_create("template");
    tcase_add_test(tc, header_injection_in_subject);
    tcase_add_test(tc, sender_with_cr_in_body_text);
    tcase_add_test(tc, non_ascii_subject_is_encoded);
    tcase_add_test(tc, unknown_variable_and_braces);
    tcase_add_test(tc, unknown_variable_is_a_load_error_with_position);
    suite_add_tcase(s, tc);
    tc = tcase_create("notice");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, advice_rule_then_category);
    tcase_add_test(tc, dsl_notice_text);
    tcase_add_test(tc, dsl_addresses_by_school);
    tcase_add_test(tc, contact_is_the_schools_dsl_by_default);
    tcase_add_test(tc, mac_verifies_only_its_own);
    tcase_add_test(tc, key_file_created_0600);
    tcase_add_test(tc, held_mail_sends_notices_and_they_pass);
    tcase_add_test(tc, digest_waits_then_flushes);
    suite_add_tcase(s, tc);
    return s;
}
