/*
 * check_milter.c - the libmilter glue driven through its callbacks with a
 * fake smfi_* table (the OpenDKIM test-mode idea): what the milter asks
 * of the MTA for each verdict, without an MTA.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check_suites.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <glib.h>
#include "sg_milter.h"

/* The fake MTA: one context, a record of every request. */
static void *priv;
static struct sg_buf calls;
static const char *auth_macro;
static const char *v_macro, *daemon_macro;     /* connect's {v}, {daemon_name} */

static void *f_getpriv(SMFICTX *c) { return priv; }
static int f_setpriv(SMFICTX *c, void *p) { priv = p; return MI_SUCCESS; }
static char *f_getsymval(SMFICTX *c, char *m)
{
    if (!strcmp(m, "i"))
        return "QID1";
    if (!strcmp(m, "{auth_authen}"))
        return (char *)auth_macro;
    if (!strcmp(m, "v"))
        return (char *)v_macro;
    if (!strcmp(m, "{daemon_name}"))
        return (char *)daemon_macro;
    return NULL;
}
static int f_insheader(SMFICTX *c, int i, char *n, char *v) { sg_buf_printf(&calls, "insheader %d %s: %s\n", i, n, v); return MI_SUCCESS; }
static int f_chgheader(SMFICTX *c, char *n, int i, char *v) { sg_buf_printf(&calls, "chgheader %s %d %s\n", n, i, v ? v : "(delete)"); return MI_SUCCESS; }
static int f_addheader(SMFICTX *c, char *n, char *v) { sg_buf_printf(&calls, "addheader %s: %s\n", n, v); return MI_SUCCESS; }
static int f_quarantine(SMFICTX *c, char *r) { sg_buf_printf(&calls, "quarantine %s\n", r); return MI_SUCCESS; }
static int f_setreply(SMFICTX *c, char *a, char *b, char *t) { sg_buf_printf(&calls, "setreply %s %s %s\n", a, b, t); return MI_SUCCESS; }
static int f_setmlreply(SMFICTX *c, const char *a, const char *b, char *const *l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sg_buf_printf(&calls, "reply %s %s %s\n", a, b, l[i]);
    return MI_SUCCESS;
}
static int f_delrcpt(SMFICTX *c, char *r) { sg_buf_printf(&calls, "delrcpt %s\n", r); return MI_SUCCESS; }
static int f_replacebody(SMFICTX *c, unsigned char *b, int n) { sg_buf_printf(&calls, "replacebody %.*s\n", n, (const char *)b); return MI_SUCCESS; }

static const struct sg_smfi_ops fake = {
    f_getpriv, f_setpriv, f_getsymval, f_insheader, f_chgheader, f_addheader,
    f_quarantine, f_setreply, f_setmlreply, f_delrcpt, f_replacebody, NULL,
};

static SMFICTX *ctx = (SMFICTX *)&priv;     /* never dereferenced */

static void use_policy(const char *path)
{
    char *errors = NULL;
    struct sg_policy *p = sg_policy_load(path, &errors);
    ck_assert_msg(p != NULL, "%s", errors ? errors : "");
    sg_reload_init(p, NULL, NULL);
    sg_smfi = &fake;
    priv = NULL;
    auth_macro = NULL;
    v_macro = daemon_macro = NULL;
    sg_buf_free(&calls);
    sg_buf_append(&calls, "", 0);
}

/* One message through every callback; returns the eom answer. */
static sfsistat deliver(const char *from, const char *const *rcpts, const char *const *headers, const char *body)
{
    struct sockaddr_in sin = {.sin_family = AF_INET};
    sin.sin_addr.s_addr = htonl(0x7f000001);
    ck_assert_int_eq(sg_milter_desc.xxfi_connect(ctx, "localhost", (_SOCK_ADDR *)&sin), SMFIS_CONTINUE);
    char *argv[2] = {(char *)from, NULL};
    sfsistat rc = sg_milter_desc.xxfi_envfrom(ctx, argv);
    if (rc != SMFIS_CONTINUE)
        return rc;
    for (size_t i = 0; rcpts[i]; i++) {
        char *r[2] = {(char *)rcpts[i], NULL};
        sg_milter_desc.xxfi_envrcpt(ctx, r);
    }
    for (size_t i = 0; headers[i]; i += 2)
        sg_milter_desc.xxfi_header(ctx, (char *)headers[i], (char *)headers[i + 1]);
    sg_milter_desc.xxfi_body(ctx, (unsigned char *)body, strlen(body));
    return sg_milter_desc.xxfi_eom(ctx);
}

static void finish(void)
{
    sg_milter_desc.xxfi_close(ctx);
    sg_reload_stop();
    sg_buf_free(&calls);
}

START_TEST(annotate_tags_and_removes_forged)
{
    use_policy(sg_test_data("../milter/policy.yaml"));
    const char *rcpts[] = {"<x@example.com>", NULL};
    const char *hdrs[] = {"From", "t@northfield.sch.uk", "Subject", "Minutes",
                          "X-Safeguard-Verdict", "accept; forged", NULL};
    ck_assert_int_eq(deliver("<t@northfield.sch.uk>", rcpts, hdrs, "The disciplinary hearing is on Monday.\r\n"), SMFIS_CONTINUE);
    ck_assert_msg(strstr(calls.data, "chgheader X-Safeguard-Verdict 1 (delete)\n"), "%s", calls.data);
    ck_assert_msg(strstr(calls.data, "insheader 0 X-Safeguard-Verdict: annotate; categories=confidential; rules=personnel-leaving-trust; event=sg-"), "%s", calls.data);
    ck_assert_msg(strstr(calls.data, "chgheader Subject 1 [SAFEGUARD] Minutes\n"), "%s", calls.data);
    ck_assert_ptr_null(strstr(calls.data, "quarantine"));
    finish();
}
END_TEST

START_TEST(reject_reply_is_escaped_and_bounded)
{
    use_policy(sg_test_data("../milter/policy.yaml"));
    const char *rcpts[] = {"<x@example.com>", NULL};
    const char *hdrs[] = {"From", "t@northfield.sch.uk", "Subject", "100% sure", NULL};
    ck_assert_int_eq(deliver("<t@northfield.sch.uk>", rcpts, hdrs, "what the fuck\r\n"), SMFIS_REJECT);
    ck_assert_msg(strstr(calls.data, "reply 550 5.7.1 What was stopped: Offensive language is not acceptable in school email. (rule offensive-language, offensive)"), "%s", calls.data);
    ck_assert_msg(strstr(calls.data, "reply 550 5.7.1 Policy clause: LiFE MAT, Social Media Policy:"), "%s", calls.data);
    ck_assert_msg(strstr(calls.data, "reply 550 5.7.1 What to do instead: Write it again without those words;"), "%s", calls.data);
    char *esc = sg_reply_escape("100% sure\r\n");
    ck_assert_str_eq(esc, "100%% sure  ");       /* libmilter reads % as a format */
    free(esc);
    for (char *line = calls.data; (line = strstr(line, "reply 550 5.7.1 ")); line++) {
        size_t len = strcspn(line, "\n") - strlen("reply 550 5.7.1 ");
        ck_assert_uint_le(len, 980);
    }
    finish();
}
END_TEST

START_TEST(quarantine_calls_smfi_quarantine)
{
    use_policy(sg_test_data("../milter/policy.yaml"));
    const char *rcpts[] = {"<x@example.com>", NULL};
    const char *hdrs[] = {"From", "t@northfield.sch.uk", "Subject", "Plan", NULL};
    ck_assert_int_eq(deliver("<t@northfield.sch.uk>", rcpts, hdrs, "the child protection plan\r\n"), SMFIS_CONTINUE);
    ck_assert_msg(strstr(calls.data, "quarantine safeguard sg-"), "%s", calls.data);
    ck_assert_msg(strstr(calls.data, ": rules=safeguarding-leaving-trust\n"), "%s", calls.data);
    finish();
}
END_TEST

START_TEST(removal_uses_raw_recipient)
{
    use_policy(sg_test_data("policy/removal.yaml"));
    const char *rcpts[] = {"<head@northfield.sch.uk>", "<Amy.P2011+x@gmail.com>", NULL};
    const char *hdrs[] = {"From", "tom.teacher@northfield.sch.uk", "Subject", "Forms", NULL};
    ck_assert_int_eq(deliver("<tom.teacher@northfield.sch.uk>", rcpts, hdrs, "forms\r\n"), SMFIS_CONTINUE);
    ck_assert_msg(strstr(calls.data, "delrcpt <Amy.P2011+x@gmail.com>\n"), "%s", calls.data);
    ck_assert_ptr_null(strstr(calls.data, "delrcpt <head@"));
    ck_assert_msg(strstr(calls.data, "insheader 0 X-Safeguard-Removed: 1 recipient removed; rules=personal-address; event=sg-"), "%s", calls.data);
    finish();
}
END_TEST

START_TEST(inbound_accepted_at_mail_from)
{
    use_policy(sg_test_data("policy/removal.yaml"));
    const char *rcpts[] = {"<amy.pupil@pupils.northfield.sch.uk>", NULL};
    const char *hdrs[] = {"From", "x@example.org", NULL};
    struct sockaddr_in sin = {.sin_family = AF_INET};
    sin.sin_addr.s_addr = htonl(0xcb007109);        /* 203.0.113.9: outside */
    sg_milter_desc.xxfi_connect(ctx, "mx.example.org", (_SOCK_ADDR *)&sin);
    char *argv[2] = {"<x@example.org>", NULL};
    ck_assert_int_eq(sg_milter_desc.xxfi_envfrom(ctx, argv), SMFIS_ACCEPT);
    (void)rcpts;
    (void)hdrs;
    /* An authenticated session from the same place is staff mail. */
    auth_macro = "tom.teacher";
    ck_assert_int_eq(sg_milter_desc.xxfi_envfrom(ctx, argv), SMFIS_CONTINUE);
    sg_milter_desc.xxfi_abort(ctx);
    finish();
}
END_TEST

START_TEST(mta_kind_from_macros)
{
    ck_assert_str_eq(sg_mta_kind("Postfix 3.7.11", "mail.northfield.sch.uk"), "postfix");
    ck_assert_str_eq(sg_mta_kind("8.17.1.9", "MTA"), "sendmail");
    ck_assert_str_eq(sg_mta_kind("8.17.1.9", NULL), "sendmail");
    /* no {v}: Sendmail's default daemon names, never a host name */
    ck_assert_str_eq(sg_mta_kind(NULL, "MTA-v4"), "sendmail");
    ck_assert_ptr_null(sg_mta_kind(NULL, "mail.northfield.sch.uk"));
    ck_assert_ptr_null(sg_mta_kind("", NULL));
    ck_assert_ptr_null(sg_mta_kind("Exim 4.96", "MTA"));
    ck_assert_ptr_null(sg_mta_kind("8", "MTA"));
}
END_TEST

/* The message context carries what connect's macros said, for the store,
 * and the held log line names the queue to release from. */
START_TEST(mta_kind_reaches_the_message)
{
    use_policy(sg_test_data("../milter/policy.yaml"));
    v_macro = "8.17.1.9";
    daemon_macro = "MTA";
    struct sockaddr_in sin = {.sin_family = AF_INET};
    sin.sin_addr.s_addr = htonl(0x7f000001);
    sg_milter_desc.xxfi_connect(ctx, "localhost", (_SOCK_ADDR *)&sin);
    char *argv[2] = {"<t@northfield.sch.uk>", NULL};
    ck_assert_int_eq(sg_milter_desc.xxfi_envfrom(ctx, argv), SMFIS_CONTINUE);
    struct sg_connctx *cc = priv;
    ck_assert_ptr_nonnull(cc->msg);
    ck_assert_str_eq(cc->msg->mta, "sendmail");
    /* the kind is the connection's: a new one for another MTA */
    v_macro = "Postfix 3.7.11";
    daemon_macro = "mail.northfield.sch.uk";
    sg_milter_desc.xxfi_connect(ctx, "localhost", (_SOCK_ADDR *)&sin);
    ck_assert_int_eq(sg_milter_desc.xxfi_envfrom(ctx, argv), SMFIS_CONTINUE);
    ck_assert_str_eq(((struct sg_connctx *)priv)->msg->mta, "postfix");
    /* neither: the store records "unknown" */
    v_macro = daemon_macro = NULL;
    sg_milter_desc.xxfi_connect(ctx, "localhost", (_SOCK_ADDR *)&sin);
    ck_assert_int_eq(sg_milter_desc.xxfi_envfrom(ctx, argv), SMFIS_CONTINUE);
    ck_assert_str_eq(((struct sg_connctx *)priv)->msg->mta, "unknown");
    sg_milter_desc.xxfi_abort(ctx);
    finish();
}
END_TEST

/* Override, monitor mode and the footer (milter/override.c). */
START_TEST(justified_resend_is_delivered_without_tag)
{
    use_policy(sg_test_data("policy/override.yaml"));
    const char *rcpts[] = {"<x@example.com>", NULL};
    const char *hdrs[] = {"From", "t@northfield.sch.uk", "Subject", "Re: [Justify:  parent asked for it ] Plan",
                          "X-Safeguard-Justification", "forged", NULL};
    ck_assert_int_eq(deliver("<t@northfield.sch.uk>", rcpts, hdrs, "The care plan is attached.\r\n"), SMFIS_CONTINUE);
    ck_assert_msg(strstr(calls.data, "chgheader X-Safeguard-Justification 1 (delete)\n"), "%s", calls.data);
    ck_assert_msg(strstr(calls.data, "chgheader Subject 1 Re: Plan\n"), "%s", calls.data);
    ck_assert_msg(strstr(calls.data, "insheader 0 X-Safeguard-Justification: parent asked for it\n"), "%s", calls.data);
    ck_assert_ptr_null(strstr(calls.data, "quarantine"));
    finish();
}
END_TEST

START_TEST(justified_encoded_subject_and_reason)
{
    use_policy(sg_test_data("policy/override.yaml"));
    const char *rcpts[] = {"<x@example.com>", NULL};
    /* "[justify: café reason] Plan \u00e9t\u00e9" */
    const char *hdrs[] = {"From", "t@northfield.sch.uk", "Subject", "=?UTF-8?B?W2p1c3RpZnk6IGNhZsOpIHJlYXNvbl0gUGxhbiDDqXTDqQ==?=", NULL};
    ck_assert_int_eq(deliver("<t@northfield.sch.uk>", rcpts, hdrs, "The care plan.\r\n"), SMFIS_CONTINUE);
    ck_assert_msg(strstr(calls.data, "chgheader Subject 1 Plan =?UTF-8?b?w6l0w6k=?=\n"), "%s", calls.data);
    ck_assert_msg(strstr(calls.data, "insheader 0 X-Safeguard-Justification: =?"), "%s", calls.data);
    ck_assert_ptr_null(strstr(calls.data, "justify"));
    ck_assert_ptr_null(strstr(calls.data, "\r"));
    finish();
}
END_TEST

START_TEST(justification_does_not_lift_other_rules)
{
    use_policy(sg_test_data("policy/override.yaml"));
    const char *rcpts[] = {"<x@example.com>", NULL};
    const char *hdrs[] = {"From", "t@northfield.sch.uk", "Subject", "[justify: needed] Plan", NULL};
    ck_assert_int_eq(deliver("<t@northfield.sch.uk>", rcpts, hdrs, "The care plan and her pupil number.\r\n"), SMFIS_CONTINUE);
    ck_assert_msg(strstr(calls.data, "quarantine safeguard "), "%s", calls.data);
    ck_assert_msg(strstr(calls.data, "rules=plan-leaving,upn-leaving"), "%s", calls.data);
    ck_assert_ptr_null(strstr(calls.data, "X-Safeguard-Justification"));
    ck_assert_ptr_null(strstr(calls.data, "chgheader Subject"));
    finish();
}
END_TEST

START_TEST(monitored_message_is_untouched)
{
    use_policy(sg_test_data("policy/override.yaml"));
    const char *rcpts[] = {"<x@example.com>", NULL};
    const char *hdrs[] = {"From", "t@northfield.sch.uk", "Subject", "Story", NULL};
    ck_assert_int_eq(deliver("<t@northfield.sch.uk>", rcpts, hdrs, "A newspaper called about the fair.\r\n"), SMFIS_CONTINUE);
    ck_assert_msg(calls.len == 0, "a monitored message was changed: %s", calls.data);
    finish();
}
END_TEST

START_TEST(annotated_message_gets_footer)
{
    use_policy(sg_test_data("policy/override.yaml"));
    const char *rcpts[] = {"<x@example.com>", NULL};
    const char *hdrs[] = {"From", "t@northfield.sch.uk", "Subject", "Notes", "Content-Type", "text/plain; charset=us-ascii", NULL};
    ck_assert_int_eq(deliver("<t@northfield.sch.uk>", rcpts, hdrs, "The minutes are attached.\r\n"), SMFIS_CONTINUE);
    ck_assert_msg(strstr(calls.data, "chgheader Subject 1 [SAFEGUARD] Notes\n"), "%s", calls.data);
    ck_assert_msg(strstr(calls.data, "replacebody The minutes are attached.\r\n\r\nNorthfield Academy: this email and any "
                                     "attachments are confidential.\r\n\n"), "%s", calls.data);
    ck_assert_ptr_null(strstr(calls.data, "chgheader Content-Type"));
    finish();
    /* A monitored rule beside it stays out of the header. */
    use_policy(sg_test_data("policy/override.yaml"));
    ck_assert_int_eq(deliver("<t@northfield.sch.uk>", rcpts, hdrs, "The minutes, and a newspaper.\r\n"), SMFIS_CONTINUE);
    ck_assert_msg(strstr(calls.data, "X-Safeguard-Verdict: annotate; categories=confidential; rules=minutes; event="),
                  "%s", calls.data);
    finish();
}
END_TEST

/* A store in a fresh folder for the hold tests; rm -rf'd by drop_store. */
static char store_dir[64];

static struct sg_store *use_store(void)
{
    snprintf(store_dir, sizeof(store_dir), "/tmp/check-mstore.XXXXXX");
    ck_assert(mkdtemp(store_dir) != NULL);
    char q[96];
    snprintf(q, sizeof(q), "%s/q", store_dir);
    ck_assert(sg_milter_store_open(q));
    return sg_milter_store();
}

static void drop_store(void)
{
    sg_milter_store_close();
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", store_dir);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(hold_puts_a_copy_in_the_store)
{
    use_policy(sg_test_data("../milter/policy.yaml"));
    struct sg_store *st = use_store();
    const char *rcpts[] = {"<x@example.com>", NULL};
    const char *hdrs[] = {"From", "t@northfield.sch.uk", "Subject", "=?utf-8?q?Plan_f=C3=BCr?=", "Message-ID", "<p1@n>", NULL};
    ck_assert_int_eq(deliver("<t@northfield.sch.uk>", rcpts, hdrs, "the child protection plan\r\n"), SMFIS_CONTINUE);
    ck_assert_msg(strstr(calls.data, "quarantine safeguard sg-"), "%s", calls.data);
    size_t n = 0;
    char *err = NULL;
    struct sg_store_entry **v = sg_store_list(st, NULL, &n, &err);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(v[0]->state, SG_STORE_HELD);
    ck_assert_str_eq(v[0]->queue_id, "QID1");
    ck_assert_str_eq(v[0]->subject, "Plan f\xc3\xbcr");
    ck_assert_str_eq(v[0]->message_id, "p1@n");
    ck_assert_str_eq(v[0]->rcpts[0], "x@example.com");
    ck_assert_str_eq(v[0]->hits[0].rule, "safeguarding-leaving-trust");
    ck_assert_msg(strstr(calls.data, v[0]->event_id), "%s", calls.data);
    /* The whole message, headers and body. */
    gchar *text = NULL;
    ck_assert(g_file_get_contents(v[0]->file, &text, NULL, NULL));
    ck_assert_ptr_nonnull(strstr(text, "Message-ID: <p1@n>\r\n"));
    ck_assert_ptr_nonnull(strstr(text, "\r\n\r\nthe child protection plan"));
    g_free(text);
    sg_store_list_free(v, n);
    drop_store();
    finish();
}
END_TEST

START_TEST(hold_without_a_copy_tempfails)
{
    use_policy(sg_test_data("../milter/policy.yaml"));
    use_store();
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s/q/msg'", store_dir);     /* root ignores modes: take the folder */
    ck_assert_int_eq(system(cmd), 0);
    const char *rcpts[] = {"<x@example.com>", NULL};
    const char *hdrs[] = {"From", "t@northfield.sch.uk", "Subject", "Plan", NULL};
    ck_assert_int_eq(deliver("<t@northfield.sch.uk>", rcpts, hdrs, "the child protection plan\r\n"), SMFIS_TEMPFAIL);
    ck_assert_ptr_null(strstr(calls.data, "quarantine safeguard"));
    ck_assert_msg(strstr(calls.data, "setreply 451 4.7.1"), "%s", calls.data);
    drop_store();
    finish();
}
END_TEST

START_TEST(released_copy_passes_once)
{
    use_policy(sg_test_data("../milter/policy.yaml"));
    struct sg_store *st = use_store();
    const char *rcpts[] = {"<x@example.com>", NULL};
    const char *hdrs[] = {"From", "t@northfield.sch.uk", "Subject", "Plan", "Message-ID", "<r1@n>", NULL};
    ck_assert_int_eq(deliver("<t@northfield.sch.uk>", rcpts, hdrs, "the child protection plan\r\n"), SMFIS_CONTINUE);
    size_t n = 0;
    char *err = NULL;
    struct sg_store_entry **v = sg_store_list(st, NULL, &n, &err);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(sg_store_transition(st, v[0]->event_id, SG_STORE_RELEASED, "dsl", "ok", &err), SG_STORE_OK);
    char *mark = sg_store_mark_make(st, v[0]->event_id, "r1@n");
    const char *again[] = {"X-Safeguard-Released", mark, "From", "t@northfield.sch.uk", "Subject", "Plan",
                           "Message-ID", "<r1@n>", NULL};
    sg_buf_free(&calls);
    sg_buf_append(&calls, "", 0);
    ck_assert_int_eq(deliver("<t@northfield.sch.uk>", rcpts, again, "the child protection plan\r\n"), SMFIS_ACCEPT);
    ck_assert_ptr_null(strstr(calls.data, "quarantine"));
    /* The same mark again (a recipient copying the header): screened, held. */
    ck_assert_int_eq(deliver("<t@northfield.sch.uk>", rcpts, again, "the child protection plan\r\n"), SMFIS_CONTINUE);
    ck_assert_msg(strstr(calls.data, "quarantine safeguard"), "%s", calls.data);
    free(mark);
    sg_store_list_free(v, n);
    drop_store();
    finish();
}
END_TEST

/* Overridden and monitored mail goes into the store with its state,
 * action and (for an override) the reason. */
START_TEST(override_and_monitor_are_stored)
{
    use_policy(sg_test_data("policy/override.yaml"));
    struct sg_store *st = use_store();
    const char *rcpts[] = {"<x@example.com>", NULL};
    const char *h1[] = {"From", "t@northfield.sch.uk", "Subject", "[justify: parent asked] Plan", NULL};
    ck_assert_int_eq(deliver("<t@northfield.sch.uk>", rcpts, h1, "The care plan.\r\n"), SMFIS_CONTINUE);
    const char *h2[] = {"From", "t@northfield.sch.uk", "Subject", "Story", NULL};
    ck_assert_int_eq(deliver("<t@northfield.sch.uk>", rcpts, h2, "A newspaper called.\r\n"), SMFIS_CONTINUE);
    size_t n = 0;
    char *err = NULL;
    struct sg_store_entry **v = sg_store_list(st, NULL, &n, &err);
    ck_assert_msg(n == 2, "%zu items: %s", n, err ? err : "");
    bool over = false, mon = false;
    for (size_t i = 0; i < n; i++) {
        if (v[i]->state == SG_STORE_OVERRIDDEN) {
            over = true;
            ck_assert_str_eq(v[i]->action, "override");
            ck_assert_str_eq(v[i]->justification, "parent asked");
            ck_assert_str_eq(v[i]->hits[0].rule, "plan-leaving");
            ck_assert_str_eq(v[i]->hits[0].action, "override:quarantine");
        } else if (v[i]->state == SG_STORE_MONITORED) {
            mon = true;
            ck_assert_str_eq(v[i]->action, "monitor:quarantine");
            ck_assert_str_eq(v[i]->hits[0].rule, "press");
            ck_assert_str_eq(v[i]->hits[0].action, "monitor:quarantine");
            ck_assert_str_eq(v[i]->hits[0].evidence, "phrase \"newspaper\"");
        }
    }
    ck_assert(over && mon);
    sg_store_list_free(v, n);
    drop_store();
    finish();
}
END_TEST

Suite *sg_suite_milter(void)
{
    Suite *s = suite_create("milter");
    TCase *tc = tcase_create("callbacks");
    tcase_add_test(tc, annotate_tags_and_removes_forged);
    tcase_add_test(tc, justified_resend_is_delivered_without_tag);
    tcase_add_test(tc, justified_encoded_subject_and_reason);
    tcase_add_test(tc, justification_does_not_lift_other_rules);
    tcase_add_test(tc, monitored_message_is_untouched);
    tcase_add_test(tc, annotated_message_gets_footer);
    tcase_add_test(tc, override_and_monitor_are_stored);
    tcase_add_test(tc, reject_reply_is_escaped_and_bounded);
    tcase_add_test(tc, quarantine_calls_smfi_quarantine);
    tcase_add_test(tc, removal_uses_raw_recipient);
    tcase_add_test(tc, inbound_accepted_at_mail_from);
    tcase_add_test(tc, mta_kind_from_macros);
    tcase_add_test(tc, mta_kind_reaches_the_message);
    tcase_add_test(tc, hold_puts_a_copy_in_the_store);
    tcase_add_test(tc, hold_without_a_copy_tempfails);
    tcase_add_test(tc, released_copy_passes_once);
    suite_add_tcase(s, tc);
    return s;
}
