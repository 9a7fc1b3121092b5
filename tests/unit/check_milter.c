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

static void *f_getpriv(SMFICTX *c) { return priv; }
static int f_setpriv(SMFICTX *c, void *p) { priv = p; return MI_SUCCESS; }
static char *f_getsymval(SMFICTX *c, char *m)
{
    if (!strcmp(m, "i"))
        return "QID1";
    if (!strcmp(m, "{auth_authen}"))
        return (char *)auth_macro;
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

static const struct sg_smfi_ops fake = {
    f_getpriv, f_setpriv, f_getsymval, f_insheader, f_chgheader, f_addheader,
    f_quarantine, f_setreply, f_setmlreply, f_delrcpt, NULL,
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
    ck_assert_msg(strstr(calls.data, "reply 550 5.7.1 Rule offensive-language (offensive):"), "%s", calls.data);
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

Suite *sg_suite_milter(void)
{
    Suite *s = suite_create("milter");
    TCase *tc = tcase_create("callbacks");
    tcase_add_test(tc, annotate_tags_and_removes_forged);
    tcase_add_test(tc, reject_reply_is_escaped_and_bounded);
    tcase_add_test(tc, quarantine_calls_smfi_quarantine);
    tcase_add_test(tc, removal_uses_raw_recipient);
    tcase_add_test(tc, inbound_accepted_at_mail_from);
    tcase_add_test(tc, hold_puts_a_copy_in_the_store);
    tcase_add_test(tc, hold_without_a_copy_tempfails);
    tcase_add_test(tc, released_copy_passes_once);
    suite_add_tcase(s, tc);
    return s;
}
