/*
 * check_detectors.c - every pupil-contact rule, the family exemption,
 * direction, contact windows across the clock change, and recipient
 * removal, through the engine with the test directory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check_suites.h"
#include "sg_engine.h"

static struct sg_policy *policy;

static void setup(void)
{
    char *errors = NULL;
    policy = sg_policy_load(sg_test_data("policy/directory.yaml"), &errors);
    ck_assert_msg(policy != NULL, "%s", errors ? errors : "");
}

static void teardown(void)
{
    sg_policy_unref(policy);
}

/* 2026-11-25 is a Wednesday in term; 10:00 UTC is 10:00 GMT. */
#define TERM_TIME 1795600800

struct run {
    const char *from, *auth, *client, *hdr_from;
    const char *rcpts[4];
    const char *body;
    time_t when;
};

/* Evaluates and returns the comma-joined ids of the rules that hit. */
static char *rules_hit(const struct sg_policy *p, const struct run *r, struct sg_verdict *out)
{
    struct sg_buf raw = {0};
    sg_buf_printf(&raw, "From: %s\r\nTo: %s\r\nSubject: test\r\nContent-Type: text/html; charset=utf-8\r\n\r\n%s\r\n",
                  r->hdr_from ? r->hdr_from : r->from, r->rcpts[0], r->body ? r->body : "hello");
    struct sg_message_limits lim;
    sg_message_default_limits(&lim);
    char err[128];
    struct sg_message *m = sg_message_parse_mem(raw.data, raw.len, &lim, err, sizeof(err));
    ck_assert_ptr_nonnull(m);
    char **rcpts = sg_xcalloc(1, sizeof(char *));
    for (size_t i = 0; r->rcpts[i]; i++)
        rcpts = sg_strv_push(rcpts, r->rcpts[i]);
    struct sg_envelope env = {.mail_from = (char *)r->from, .rcpts = rcpts, .auth_login = (char *)r->auth,
                              .client_addr = (char *)(r->client ? r->client : "10.1.2.3"),
                              .when = r->when ? r->when : TERM_TIME};
    struct sg_verdict v;
    sg_verdict_init(&v, sg_strv_len(rcpts));
    sg_engine_evaluate(p, &env, m, &v);
    ck_assert_msg(!v.error, "engine error: %s", v.error);
    struct sg_buf ids = {0};
    sg_buf_append(&ids, "", 0);
    for (size_t i = 0; i < v.nhits; i++)
        sg_buf_printf(&ids, "%s%s", i ? "," : "", v.hits[i].rule->id);
    if (out)
        *out = v;
    else
        sg_verdict_clear(&v);
    sg_strv_free(rcpts);
    sg_message_free(m);
    sg_buf_free(&raw);
    return sg_buf_steal(&ids);
}

static void expect(const struct run *r, const char *want)
{
    char *got = rules_hit(policy, r, NULL);
    ck_assert_msg(!strcmp(got, want), "body \"%s\": rules \"%s\", expected \"%s\"", r->body ? r->body : "", got, want);
    free(got);
}

#define TOM "tom.teacher@northfield.sch.uk"
#define AMY "amy.pupil@pupils.northfield.sch.uk"

static const char *const mobile_yes[] = {
    "07700 900123", "07700900123", "07700-900-123", "07700.900.123", "(07700) 900123",
    "+44 7700 900123", "+44 (0)7700 900123", "0044 7700 900123", "+447700900123",
    "07<b>700</b> 900<span>123</span>", "call 0 7 7 0 0 9 0 0 1 2 3", "mob: 07624 123456",
};
static const char *const mobile_no[] = {
    "the date 07/11/2026", "order 07700900123456", "tel 01632 960000", "tel 0207 946 0000",
    "our office 07700 900999", "ref 17700900123", "07700 90012", "070 1234 5678 (personal number)",
    "0800 123 4567", "year 7 group 7700 900123",
};

START_TEST(mobile_writings)
{
    struct run r = {.from = TOM, .rcpts = {AMY}};
    for (size_t i = 0; i < sizeof(mobile_yes) / sizeof(*mobile_yes); i++) {
        r.body = mobile_yes[i];
        expect(&r, "mobile");
    }
    for (size_t i = 0; i < sizeof(mobile_no) / sizeof(*mobile_no); i++) {
        r.body = mobile_no[i];
        expect(&r, "");
    }
}
END_TEST

/* A pattern that backtracks without end runs out of its pcre2 budget: that
 * is a limit hit (on_limit), not an internal error that would tempfail the
 * same message on every retry, and not a silent "no match". */
START_TEST(regex_budget_is_a_limit)
{
    const char *yaml = "school:\n  name: T\n  staff_domains: [t.sch.uk]\n"
                       "rules:\n  - id: slow\n    category: media\n    action: annotate\n    cite: c\n"
                       "    match:\n      regex: ['^(\\w+\\s?)*$']\n";
    char *errors = NULL;
    struct sg_policy *p = sg_test_load_yaml(yaml, &errors, NULL);
    ck_assert_msg(p != NULL, "%s", errors ? errors : "");
    struct sg_buf body = {0};
    for (int i = 0; i < 40; i++)
        sg_buf_puts(&body, "word ");
    sg_buf_puts(&body, "!");
    struct run r = {.from = "x@t.sch.uk", .rcpts = {"y@example.com"}, .body = body.data};
    struct sg_verdict v;
    char *ids = rules_hit(p, &r, &v);
    ck_assert_str_eq(ids, "");
    ck_assert_uint_eq(v.limits_hit & SG_LIMIT_REGEX, SG_LIMIT_REGEX);
    ck_assert_ptr_null(v.error);
    ck_assert_int_eq(v.action, p->limits.on_limit);
    free(ids);
    sg_verdict_clear(&v);
    sg_buf_free(&body);
    sg_policy_unref(p);
}
END_TEST

START_TEST(mobile_only_to_pupils)
{
    struct run r = {.from = TOM, .rcpts = {"parent@gmail.com"}, .body = "my mobile is 07700 900123"};
    expect(&r, "");
}
END_TEST

START_TEST(personal_email_messaging_social)
{
    struct run r = {.from = TOM, .rcpts = {AMY}};
    r.body = "email me at jo.smith84@gmail.com";
    expect(&r, "email");
    r.body = "the office is office@northfield.sch.uk and the trust is hr@northfield-trust.org.uk";
    expect(&r, "");
    r.body = "write to gaz dot lewis at gmail dot com";
    expect(&r, "email");
    r.body = "or jo.smith at gmail.com, or jo [at] example [dot] org";
    expect(&r, "email");
    r.body = "see you at lunch. the account at x.com/northfieldacad has the news";
    expect(&r, "");
    r.body = "Message me on WhatsApp tonight";
    expect(&r, "messaging");
    r.body = "or use <a href=\"https://wa.me/447700\">this</a>";
    expect(&r, "messaging");
    r.body = "my Signal is tom_t";
    expect(&r, "messaging");
    r.body = "follow me https://www.instagram.com/tom.t/";
    expect(&r, "social");
    r.body = "add me on snapchat";
    expect(&r, "social");
    r.body = "send me a friend request on Facebook";
    expect(&r, "social");
    r.body = "see tiktok.com/@tomt and x.com/tomt";
    expect(&r, "social");
    r.body = "see our news at https://twitter.com/NorthfieldAcad/status/1";
    expect(&r, "");
    r.body = "the school is on twitter.com/northfieldacadfans";
    expect(&r, "social");
    /* Hosts are matched as hosts: these end in "x.com/" but are not it. */
    r.body = "files at https://www.dropbox.com/s/abc/notes.pdf, netflix.com/title/1 and box.com/s/xyz";
    expect(&r, "");
    r.body = "my page: https://x.com/tomt";
    expect(&r, "social");
}
END_TEST

START_TEST(accounts_and_copies)
{
    struct run r = {.from = "tomteach@gmail.com", .rcpts = {AMY}, .client = "10.0.0.5"};
    expect(&r, "personal-sender");
    /* Logged in as staff, writing with a personal From. */
    struct run r2 = {.from = TOM, .hdr_from = "tomteach@gmail.com", .auth = "tom.teacher", .rcpts = {AMY}};
    expect(&r2, "personal-sender");
    struct run r3 = {.from = TOM, .rcpts = {AMY, "tomteach@gmail.com"}};
    expect(&r3, "copies");
    struct run r4 = {.from = TOM, .rcpts = {"amy.p2011@gmail.com"}};
    expect(&r4, "personal-address");
    struct run r5 = {.from = TOM, .rcpts = {"colleague@northfield.sch.uk", "tomteach@gmail.com"}};
    expect(&r5, "");
}
END_TEST

START_TEST(family_exemption)
{
    /* Pat's own son Ben: mobile, late, social, personal address: all fine. */
    struct run r = {.from = "pat.pt@northfield.sch.uk", .rcpts = {"ben.learner@pupils.northfield.sch.uk"},
                    .body = "call 07700 900123 or add me on snapchat", .when = TERM_TIME + 12 * 3600};
    expect(&r, "");
    struct run r2 = {.from = "pat.pt@northfield.sch.uk", .rcpts = {"benl@hotmail.co.uk"}, .body = "dinner?"};
    expect(&r2, "");
    /* ...but not for Amy, in the same message. */
    struct run r3 = {.from = "pat.pt@northfield.sch.uk", .rcpts = {"ben.learner@pupils.northfield.sch.uk", AMY},
                     .body = "call 07700 900123"};
    struct sg_verdict v;
    char *got = rules_hit(policy, &r3, &v);
    ck_assert_str_eq(got, "mobile");
    ck_assert(!v.hits[0].rcpt_on[0]);
    ck_assert(v.hits[0].rcpt_on[1]);
    free(got);
    sg_verdict_clear(&v);
}
END_TEST

START_TEST(contact_window_and_dst)
{
    struct run r = {.from = TOM, .rcpts = {AMY}};
    r.when = TERM_TIME + 13 * 3600 + 1800;             /* Wed 23:30 GMT */
    expect(&r, "hours");
    r.when = TERM_TIME + 3 * 86400;                     /* Saturday 10:00 */
    expect(&r, "hours");
    r.when = 1797328800;                                /* 2026-12-15 10:00 Tue, term */
    expect(&r, "");
    r.when = 1797588000;                                /* 2026-12-18 10:00 Fri... */
    expect(&r, "");
    r.when = 1797933600;                                /* 2026-12-22 10:00 Tue, holiday */
    expect(&r, "hours");
    /* BST: Mon 2026-03-30 06:45 UTC is 07:45 local (inside); 06:15 UTC is 07:15 (outside). */
    r.when = 1774853100;
    expect(&r, "");
    r.when = 1774851300;
    expect(&r, "hours");
    /* GMT: Fri 2026-03-27 07:15 UTC is 07:15 local (outside); 07:45 UTC inside. */
    r.when = 1774595700;
    expect(&r, "hours");
    r.when = 1774597500;
    expect(&r, "");
    /* Cara is at Southview: window starts 08:00. */
    struct run c = {.from = TOM, .rcpts = {"cara.child@pupils.northfield.sch.uk"}, .when = TERM_TIME - 9000};
    expect(&c, "hours");                                /* 07:30 GMT */
    c.when = TERM_TIME;
    expect(&c, "");
}
END_TEST

START_TEST(inbound_is_not_screened)
{
    struct run r = {.from = "parent@gmail.com", .rcpts = {AMY}, .client = "203.0.113.9",
                    .body = "my number is 07700 900123"};
    struct sg_verdict v;
    char *got = rules_hit(policy, &r, &v);
    ck_assert_str_eq(got, "");
    ck_assert(v.inbound);
    ck_assert_int_eq(v.action, SG_ACTION_ACCEPT);
    free(got);
    sg_verdict_clear(&v);
    /* The same from an authenticated session is staff mail. */
    r.auth = "tom.teacher";
    got = rules_hit(policy, &r, &v);
    ck_assert_str_eq(got, "personal-sender,mobile");
    ck_assert(!v.inbound);
    free(got);
    sg_verdict_clear(&v);
}
END_TEST

START_TEST(removal_mode_removes_only_offenders)
{
    /* The same policy with recipient_mode: remove and absolute CSV paths. */
    FILE *in = fopen(sg_test_data("policy/directory.yaml"), "r");
    ck_assert_ptr_nonnull(in);
    struct sg_buf text = {0};
    char line[1024];
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/", sg_test_data("directory"));
    while (fgets(line, sizeof(line), in)) {
        char *rel = strstr(line, "../directory/");
        if (rel) {
            sg_buf_append(&text, line, (size_t)(rel - line));
            sg_buf_puts(&text, dir);
            sg_buf_puts(&text, rel + strlen("../directory/"));
        } else {
            sg_buf_puts(&text, line);
        }
    }
    fclose(in);
    sg_buf_puts(&text, "actions:\n  recipient_mode: remove\n");
    char *errors = NULL;
    struct sg_policy *p = sg_test_load_yaml(text.data, &errors, NULL);
    sg_buf_free(&text);
    ck_assert_msg(p != NULL, "%s", errors ? errors : "");

    struct run r = {.from = TOM, .rcpts = {"colleague@northfield.sch.uk", "amy.p2011@gmail.com"}, .body = "notes"};
    struct sg_verdict v;
    char *got = rules_hit(p, &r, &v);
    ck_assert_str_eq(got, "personal-address");
    ck_assert_uint_eq(v.nremoved, 1);
    ck_assert(!v.removed[0]);
    ck_assert(v.removed[1]);
    ck_assert_int_eq(v.action, SG_ACTION_ANNOTATE);
    free(got);
    sg_verdict_clear(&v);
    /* Nobody left to deliver to: the message is held instead. */
    struct run r2 = {.from = TOM, .rcpts = {"amy.p2011@gmail.com"}, .body = "notes"};
    got = rules_hit(p, &r2, &v);
    ck_assert_uint_eq(v.nremoved, 0);
    ck_assert_int_eq(v.action, SG_ACTION_QUARANTINE);
    free(got);
    sg_verdict_clear(&v);
    sg_policy_unref(p);
}
END_TEST

Suite *sg_suite_detectors(void)
{
    Suite *s = suite_create("detectors");
    TCase *tc = tcase_create("pupil-contact");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, mobile_writings);
    tcase_add_test(tc, mobile_only_to_pupils);
    tcase_add_test(tc, personal_email_messaging_social);
    tcase_add_test(tc, regex_budget_is_a_limit);
    tcase_add_test(tc, accounts_and_copies);
    tcase_add_test(tc, family_exemption);
    tcase_add_test(tc, contact_window_and_dst);
    tcase_add_test(tc, inbound_is_not_screened);
    tcase_add_test(tc, removal_mode_removes_only_offenders);
    suite_add_tcase(s, tc);
    return s;
}
