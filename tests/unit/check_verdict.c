/*
 * check_verdict.c - severity order, merging of hits, recipients per hit,
 * and the staff-facing explanation's limits.
 */
#include <stdlib.h>
#include <string.h>
#include "check_suites.h"
#include "sg_engine.h"

static struct sg_rule rule(const char *id, enum sg_category c, enum sg_action a)
{
    struct sg_rule r = {0};
    r.id = (char *)id;
    r.category = c;
    r.action = a;
    r.cite = (char *)"Policy 5.3";
    r.explain = (char *)"Do not do this; 100% serious.";
    return r;
}

static bool *rcpts_on(size_t n, size_t which)
{
    bool *on = calloc(n, sizeof(bool));
    on[which] = true;
    return on;
}

START_TEST(order_is_most_severe)
{
    ck_assert_int_lt(SG_ACTION_ACCEPT, SG_ACTION_ANNOTATE);
    ck_assert_int_lt(SG_ACTION_ANNOTATE, SG_ACTION_QUARANTINE);
    ck_assert_int_lt(SG_ACTION_QUARANTINE, SG_ACTION_REJECT);
    struct sg_rule a = rule("a", SG_CAT_MEDIA, SG_ACTION_ANNOTATE);
    struct sg_rule q = rule("q", SG_CAT_CONFIDENTIAL, SG_ACTION_QUARANTINE);
    struct sg_rule r = rule("r", SG_CAT_OFFENSIVE, SG_ACTION_REJECT);
    struct sg_verdict v;
    sg_verdict_init(&v, 2);
    ck_assert_int_eq(v.action, SG_ACTION_ACCEPT);
    sg_verdict_add_hit(&v, &q, strdup("e1"), rcpts_on(2, 0));
    ck_assert_int_eq(v.action, SG_ACTION_QUARANTINE);
    sg_verdict_add_hit(&v, &a, strdup("e2"), rcpts_on(2, 1));
    ck_assert_int_eq(v.action, SG_ACTION_QUARANTINE);
    sg_verdict_add_hit(&v, &r, strdup("e3"), rcpts_on(2, 1));
    ck_assert_int_eq(v.action, SG_ACTION_REJECT);
    struct sg_buf b = {0};
    sg_verdict_categories(&v, &b);
    ck_assert_str_eq(b.data, "confidential,media,offensive");
    b.len = 0;
    sg_verdict_rules(&v, &b);
    ck_assert_str_eq(b.data, "q,a,r");
    sg_buf_free(&b);
    sg_verdict_clear(&v);
}
END_TEST

START_TEST(categories_deduplicated_and_empty)
{
    struct sg_rule a = rule("a", SG_CAT_MEDIA, SG_ACTION_ANNOTATE);
    struct sg_rule b2 = rule("b", SG_CAT_MEDIA, SG_ACTION_ANNOTATE);
    struct sg_verdict v;
    sg_verdict_init(&v, 1);
    struct sg_buf b = {0};
    sg_verdict_categories(&v, &b);
    ck_assert_str_eq(b.data, "-");
    b.len = 0;
    sg_verdict_add_hit(&v, &a, strdup("x"), rcpts_on(1, 0));
    sg_verdict_add_hit(&v, &b2, strdup("y"), rcpts_on(1, 0));
    sg_verdict_categories(&v, &b);
    ck_assert_str_eq(b.data, "media");
    sg_buf_free(&b);
    sg_verdict_clear(&v);
}
END_TEST

START_TEST(json_names_recipients)
{
    struct sg_rule q = rule("q", SG_CAT_CONFIDENTIAL, SG_ACTION_QUARANTINE);
    char *rcpts[] = {"in@t.sch.uk", "out@example.com", NULL};
    struct sg_verdict v;
    sg_verdict_init(&v, 2);
    strcpy(v.event_id, "sg-000000000001");
    sg_verdict_add_hit(&v, &q, strdup("phrase \"x\""), rcpts_on(2, 1));
    struct sg_buf b = {0};
    sg_verdict_json(&v, "m.eml", rcpts, &b);
    ck_assert_str_eq(b.data,
        "{\"file\":\"m.eml\",\"action\":\"quarantine\",\"event\":\"sg-000000000001\",\"direction\":\"outbound\",\"categories\":[\"confidential\"],"
        "\"rules\":[{\"id\":\"q\",\"category\":\"confidential\",\"action\":\"quarantine\",\"cite\":\"Policy 5.3\","
        "\"recipients\":[\"out@example.com\"],\"evidence\":\"phrase \\\"x\\\"\"}]}");
    sg_buf_free(&b);
    sg_verdict_clear(&v);
}
END_TEST

START_TEST(explain_fits_reply_limits)
{
    struct sg_policy p = {0};
    p.school.name = (char *)"Northfield Academy";
    p.actions.dsl_contact = (char *)"the DSL";
    struct sg_rule r = rule("offensive-language", SG_CAT_OFFENSIVE, SG_ACTION_REJECT);
    char long_cite[2000];
    memset(long_cite, 'c', sizeof(long_cite) - 1);
    long_cite[sizeof(long_cite) - 1] = '\0';
    r.cite = long_cite;
    struct sg_verdict v;
    sg_verdict_init(&v, 1);
    strcpy(v.event_id, "sg-abc");
    for (int i = 0; i < 40; i++)
        sg_verdict_add_hit(&v, &r, strdup("e"), rcpts_on(1, 0));
    char *lines[32];
    size_t n = sg_verdict_explain(&v, &p, lines, 32, 200);
    ck_assert_uint_le(n, 32);
    ck_assert_uint_ge(n, 3);
    ck_assert_ptr_nonnull(strstr(lines[0], "Northfield Academy"));
    ck_assert_ptr_nonnull(strstr(lines[1], "offensive-language"));
    bool contact = false;
    for (size_t i = 0; i < n; i++) {
        ck_assert_uint_le(strlen(lines[i]), 200);
        if (strstr(lines[i], "sg-abc"))
            contact = true;
        free(lines[i]);
    }
    ck_assert_msg(contact, "the last line names the event for the DSL");
    sg_verdict_clear(&v);
}
END_TEST

/* Envelope addresses and file names arrive as given: the JSON stays UTF-8. */
START_TEST(json_strings_stay_utf8)
{
    struct sg_buf b = {0};
    sg_json_string(&b, "pa\xffrent \xc3\xa9t\xc3 \"q\"\x01");
    ck_assert_str_eq(b.data, "\"pa\\ufffdrent \xc3\xa9t\\ufffd \\\"q\\\"\\u0001\"");
    sg_buf_free(&b);
}
END_TEST

START_TEST(event_ids_differ)
{
    char a[24], b[24];
    sg_engine_event_id(a, sizeof(a));
    sg_engine_event_id(b, sizeof(b));
    ck_assert_int_eq(strlen(a), 15);
    ck_assert_str_ne(a, b);
}
END_TEST

Suite *sg_suite_verdict(void)
{
    Suite *s = suite_create("verdict");
    TCase *tc = tcase_create("verdict");
    tcase_add_test(tc, order_is_most_severe);
    tcase_add_test(tc, categories_deduplicated_and_empty);
    tcase_add_test(tc, json_names_recipients);
    tcase_add_test(tc, explain_fits_reply_limits);
    tcase_add_test(tc, event_ids_differ);
    tcase_add_test(tc, json_strings_stay_utf8);
    suite_add_tcase(s, tc);
    return s;
}
