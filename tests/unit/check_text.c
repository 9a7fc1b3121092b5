/*
 * check_text.c - normalisation, the phrase matcher, and the engine's use
 * of both over a whole message and envelope.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check_suites.h"
#include "sg_engine.h"
#include "sg_text.h"

static char *norm(const char *s)
{
    struct sg_buf b = {0};
    ck_assert(sg_text_normalise(s, strlen(s), &b));
    return sg_buf_steal(&b);
}

START_TEST(normalise_folds_case_space_and_tricks)
{
    char *t = norm("  Child\tPROTECTION \n\n plan ");
    ck_assert_str_eq(t, "child protection plan ");
    free(t);
    t = norm("chi\xe2\x80\x8bld");               /* zero-width space */
    ck_assert_str_eq(t, "child");
    free(t);
    t = norm("\xef\xbd\x86\xef\xbd\x95" "ck");        /* full-width letters */
    ck_assert_str_eq(t, "fuck");
    free(t);
    t = norm("r\xc3\xa9sum\xc3\xa9");              /* accents stripped */
    ck_assert_str_eq(t, "resume");
    free(t);
    t = norm("bad \xff byte");                     /* invalid UTF-8 survives */
    ck_assert_ptr_nonnull(strstr(t, "bad"));
    ck_assert_ptr_nonnull(strstr(t, "byte"));
    free(t);
}
END_TEST

START_TEST(evidence_cut_on_character_edge)
{
    struct sg_buf b = {0};
    sg_evidence_quote(&b, "phrase", "ab\xc3\xa9" "cd", 6, 3);      /* "abé..." cut inside é */
    ck_assert_str_eq(b.data, "phrase \"ab\"");
    b.len = 0;
    sg_evidence_quote(&b, "phrase", "abc", 3, 50);
    ck_assert_str_eq(b.data, "phrase \"abc\"");
    sg_buf_free(&b);
}
END_TEST

START_TEST(matcher_word_boundaries)
{
    struct sg_matcher *m = sg_matcher_new();
    unsigned cp = sg_matcher_add_phrase(m, "Child Protection Plan");
    unsigned ass = sg_matcher_add_phrase(m, "ass");
    unsigned ft = sg_matcher_add_phrase(m, "fixed-term exclusion");
    ck_assert_uint_eq(sg_matcher_add_phrase(m, "child protection plan"), cp);
    char err[256];
    ck_assert_msg(sg_matcher_compile(m, err, sizeof(err)), "%s", err);
    unsigned char hits[3];
    const char *t1 = "the child protection plan is attached; a class assembly";
    memset(hits, 0, sizeof(hits));
    ck_assert(sg_matcher_scan(m, t1, strlen(t1), hits));
    ck_assert_int_eq(hits[cp], 1);
    ck_assert_int_eq(hits[ass], 0);                /* not inside "class" or "assembly" */
    const char *t2 = "a fixed term exclusion";
    memset(hits, 0, sizeof(hits));
    ck_assert(sg_matcher_scan(m, t2, strlen(t2), hits));
    ck_assert_int_eq(hits[ft], 1);
    sg_matcher_free(m);
}
END_TEST

static struct sg_message *parse(const char *raw)
{
    struct sg_message_limits lim;
    sg_message_default_limits(&lim);
    char err[128];
    struct sg_message *m = sg_message_parse_mem(raw, strlen(raw), &lim, err, sizeof(err));
    ck_assert_ptr_nonnull(m);
    return m;
}

START_TEST(engine_scopes_rules_by_recipient_class)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/contrib/example-policy.yaml", SRCDIR);
    char *errors = NULL;
    struct sg_policy *p = sg_policy_load(path, &errors);
    ck_assert_msg(p != NULL, "%s", errors ? errors : "");
    struct sg_message *m = parse("From: a@northfield.sch.uk\nSubject: Review\n\n"
                                 "Attached is the Child Protection Plan for R.\n");
    char *rcpts[] = {"colleague@northfield.sch.uk", "parent@gmail.com", NULL};
    struct sg_envelope env = {.mail_from = "a@northfield.sch.uk", .rcpts = rcpts};
    struct sg_verdict v;
    sg_verdict_init(&v, 2);
    sg_engine_evaluate(p, &env, m, &v);
    ck_assert_int_eq(v.action, SG_ACTION_QUARANTINE);
    ck_assert_uint_eq(v.nhits, 1);
    ck_assert(!v.hits[0].rcpt_on[0]);
    ck_assert(v.hits[0].rcpt_on[1]);
    ck_assert_ptr_nonnull(strstr(v.hits[0].evidence, "child protection plan"));
    sg_verdict_clear(&v);

    char *internal[] = {"colleague@northfield.sch.uk", NULL};
    env.rcpts = internal;
    sg_verdict_init(&v, 1);
    sg_engine_evaluate(p, &env, m, &v);
    ck_assert_int_eq(v.action, SG_ACTION_ACCEPT);
    ck_assert_uint_eq(v.nhits, 0);
    sg_verdict_clear(&v);
    sg_message_free(m);
    sg_policy_unref(p);
}
END_TEST

START_TEST(engine_limit_never_clean_accept)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/contrib/example-policy.yaml", SRCDIR);
    struct sg_policy *p = sg_policy_load(path, NULL);
    ck_assert_ptr_nonnull(p);
    struct sg_message *m = parse("Subject: hi\n\nhello\n");
    m->limits_hit |= SG_LIMIT_DEPTH;
    char *rcpts[] = {"x@example.com", NULL};
    struct sg_envelope env = {.mail_from = "a@northfield.sch.uk", .rcpts = rcpts};
    struct sg_verdict v;
    sg_verdict_init(&v, 1);
    sg_engine_evaluate(p, &env, m, &v);
    ck_assert_int_eq(v.action, p->limits.on_limit);
    ck_assert_int_ne(v.action, SG_ACTION_ACCEPT);
    sg_verdict_clear(&v);
    sg_message_free(m);
    sg_policy_unref(p);
}
END_TEST

Suite *sg_suite_text(void)
{
    Suite *s = suite_create("text");
    TCase *tc = tcase_create("text");
    tcase_add_test(tc, normalise_folds_case_space_and_tricks);
    tcase_add_test(tc, evidence_cut_on_character_edge);
    tcase_add_test(tc, matcher_word_boundaries);
    tcase_add_test(tc, engine_scopes_rules_by_recipient_class);
    tcase_add_test(tc, engine_limit_never_clean_accept);
    suite_add_tcase(s, tc);
    return s;
}
