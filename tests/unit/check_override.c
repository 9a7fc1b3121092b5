/*
 * check_override.c - [justify: reason] parsing, overridden and monitored
 * verdicts (rule, school and trust level), the bounce's offer, the wire
 * carrying all of it, and the milter's subject, header and log.
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check_suites.h"
#include "sg_engine.h"
#include "sg_override.h"
#include "sg_wire.h"

/* ---- parsing --------------------------------------------------------------- */

static void expect_reason(const char *subject, const char *want)
{
    char *r = sg_justify_find(subject);
    const char *shown = subject ? subject : "(no subject)";
    if (!want)
        ck_assert_msg(r == NULL, "\"%s\": expected no reason, got \"%s\"", shown, r ? r : "(none)");
    else
        ck_assert_msg(r && !strcmp(r, want), "\"%s\": expected \"%s\", got \"%s\"", shown, want, r ? r : "(none)");
    free(r);
}

START_TEST(justify_case_and_spacing)
{
    expect_reason("[justify: parent asked for the plan]", "parent asked for the plan");
    expect_reason("Re: Plan [JUSTIFY: Head approved]", "Head approved");
    expect_reason("[Justify:no space]", "no space");
    expect_reason("[  justify  :   lots   of\tspace  ] x", "lots of space");
    expect_reason("folded [justify: over\r\n two lines]", "over two lines");
    expect_reason("[justify reason without colon]", NULL);
    expect_reason("[justification: not the word]", NULL);
    expect_reason("[justify: no closing bracket", NULL);
    expect_reason("no tag at all", NULL);
    expect_reason("", NULL);
    expect_reason(NULL, NULL);
}
END_TEST

START_TEST(justify_empty_is_not_a_reason)
{
    expect_reason("[justify:]", NULL);
    expect_reason("[justify:    ]", NULL);
    expect_reason("[justify: ... ]", NULL);
    expect_reason("[justify: - ] Plan", NULL);
}
END_TEST

START_TEST(justify_several_tags_first_real_one)
{
    expect_reason("[justify: ] [justify: second] [justify: third]", "second");
    expect_reason("[justify: first] [justify: second]", "first");
    char *s = sg_justify_strip("Re: [justify: ] Plan [justify: first] for [JUSTIFY:second]");
    ck_assert_str_eq(s, "Re: Plan for");
    free(s);
    s = sg_justify_strip("[justify: only a tag]");
    ck_assert_str_eq(s, "");
    free(s);
    s = sg_justify_strip("Keep [this] and [justify without colon]");
    ck_assert_str_eq(s, "Keep [this] and [justify without colon]");
    free(s);
}
END_TEST

START_TEST(justify_long_reason_is_capped_on_a_character)
{
    struct sg_buf b = {0};
    sg_buf_puts(&b, "[justify: ");
    for (int i = 0; i < 150; i++)
        sg_buf_puts(&b, "é");           /* two bytes each: 300 bytes */
    sg_buf_puts(&b, "]");
    char *r = sg_justify_find(b.data);
    ck_assert_ptr_nonnull(r);
    ck_assert_uint_le(strlen(r), SG_JUSTIFY_MAX);
    ck_assert_uint_ge(strlen(r), SG_JUSTIFY_MAX - 1);
    ck_assert_msg(g_utf8_validate(r, -1, NULL), "cut inside a character");
    free(r);
    sg_buf_free(&b);
    /* Controls never reach a header. */
    r = sg_justify_find("[justify: a\x01" "b\x7f" "c]");
    ck_assert_str_eq(r, "a b c");
    free(r);
}
END_TEST

/* ---- verdicts ------------------------------------------------------------------ */

#define RULES \
    "rules:\n" \
    "  - {id: plan, category: confidential, action: quarantine, cite: c1, overridable: true, match: {phrases: [care plan]}}\n" \
    "  - {id: upn, category: personal-data, action: quarantine, cite: c2, match: {phrases: [pupil number]}}\n" \
    "  - {id: rude, category: offensive, action: reject, cite: c3, overridable: true, match: {phrases: [blast it]}}\n" \
    "  - {id: watch, category: media, action: quarantine, cite: c4, mode: monitor, match: {phrases: [newspaper]}}\n" \
    "  - {id: note, category: confidential, action: annotate, cite: c5, match: {phrases: [minutes]}}\n"

static struct sg_policy *policy_with(const char *school_extra, const char *unit_extra)
{
    struct sg_buf y = {0};
    sg_buf_printf(&y, "school:\n  name: T\n  staff_domains: [northfield.sch.uk]\n%s"
                      "schools:\n  - id: NFA\n    name: Northfield\n%s"
                      "directory:\n  staff: %s\n" RULES,
                  school_extra ? school_extra : "", unit_extra ? unit_extra : "", sg_test_data("directory/staff.csv"));
    char *errors = NULL;
    struct sg_policy *p = sg_test_load_yaml(y.data, &errors, NULL);
    ck_assert_msg(p != NULL, "%s", errors ? errors : "");
    free(errors);
    sg_buf_free(&y);
    return p;
}

/* From Tom Teacher (school NFA in the directory) to an outside address. */
static void judge(const struct sg_policy *p, const char *subject, const char *body, struct sg_verdict *v)
{
    char raw[2048];
    snprintf(raw, sizeof(raw), "From: tom.teacher@northfield.sch.uk\r\nTo: x@example.com\r\nSubject: %s\r\n\r\n%s\r\n",
             subject, body);
    char err[128];
    struct sg_message *m = sg_message_parse_mem(raw, strlen(raw), &p->limits.msg, err, sizeof(err));
    ck_assert_ptr_nonnull(m);
    char *rcpts[] = {"x@example.com", NULL};
    struct sg_envelope env = {.mail_from = "tom.teacher@northfield.sch.uk", .rcpts = rcpts,
                              .client_addr = "10.1.2.3", .when = 1795600800};
    sg_verdict_init(v, 1);
    sg_engine_evaluate(p, &env, m, v);
    ck_assert_msg(!v->error, "%s", v->error);
    sg_message_free(m);
}

static const struct sg_hit *hit(const struct sg_verdict *v, const char *id)
{
    for (size_t i = 0; i < v->nhits; i++)
        if (!strcmp(v->hits[i].rule->id, id))
            return &v->hits[i];
    ck_abort_msg("rule %s did not hit", id);
    return NULL;
}

START_TEST(override_lets_overridable_rules_through)
{
    struct sg_policy *p = policy_with(NULL, NULL);
    struct sg_verdict v;
    judge(p, "Plan", "The care plan is attached.", &v);
    ck_assert_int_eq(v.action, SG_ACTION_QUARANTINE);
    ck_assert_str_eq(v.unit, "NFA");
    sg_verdict_clear(&v);

    judge(p, "Plan [justify: the parent asked for it]", "The care plan is attached.", &v);
    ck_assert_int_eq(v.action, SG_ACTION_ACCEPT);
    ck_assert_str_eq(v.justification, "the parent asked for it");
    ck_assert(hit(&v, "plan")->overridden);
    ck_assert(sg_verdict_overridden(&v));
    sg_verdict_clear(&v);

    /* A reject of an overridable rule, too; an annotation still marks it. */
    judge(p, "[justify: quoting the complaint] Complaint", "He said blast it. See the minutes.", &v);
    ck_assert_int_eq(v.action, SG_ACTION_ANNOTATE);
    ck_assert(hit(&v, "rude")->overridden);
    ck_assert(!hit(&v, "note")->overridden);
    sg_verdict_clear(&v);
    sg_policy_unref(p);
}
END_TEST

START_TEST(override_leaves_other_rules_acting)
{
    struct sg_policy *p = policy_with(NULL, NULL);
    struct sg_verdict v;
    judge(p, "[justify: needed] Plan", "The care plan and her pupil number.", &v);
    ck_assert_int_eq(v.action, SG_ACTION_QUARANTINE);
    ck_assert(hit(&v, "plan")->overridden);
    ck_assert(!hit(&v, "upn")->overridden);
    sg_verdict_clear(&v);
    /* An encoded subject is decoded before the tag is looked for. */
    judge(p, "=?UTF-8?B?W2p1c3RpZnk6IGNhZsOpIHJlYXNvbl0gUGxhbg==?=", "The care plan.", &v);
    ck_assert_int_eq(v.action, SG_ACTION_ACCEPT);
    ck_assert_str_eq(v.justification, "café reason");
    sg_verdict_clear(&v);
    sg_policy_unref(p);
}
END_TEST

START_TEST(override_switched_off_by_trust_or_school)
{
    struct sg_policy *p = policy_with("  overrides: false\n", NULL);
    struct sg_verdict v;
    judge(p, "[justify: needed] Plan", "The care plan.", &v);
    ck_assert_int_eq(v.action, SG_ACTION_QUARANTINE);
    ck_assert_ptr_null(v.justification);
    sg_verdict_clear(&v);
    sg_policy_unref(p);

    p = policy_with(NULL, "    overrides: false\n");
    judge(p, "[justify: needed] Plan", "The care plan.", &v);
    ck_assert_int_eq(v.action, SG_ACTION_QUARANTINE);
    ck_assert(!sg_override_offered(&v, p));
    sg_verdict_clear(&v);
    sg_policy_unref(p);

    /* The school may allow what the trust does not. */
    p = policy_with("  overrides: false\n", "    overrides: true\n");
    judge(p, "[justify: needed] Plan", "The care plan.", &v);
    ck_assert_int_eq(v.action, SG_ACTION_ACCEPT);
    sg_verdict_clear(&v);
    sg_policy_unref(p);
}
END_TEST

static bool explain_has(const struct sg_verdict *v, const struct sg_policy *p, const char *words)
{
    char *lines[32];
    size_t n = sg_verdict_explain(v, p, lines, 32, 200);
    bool found = false;
    for (size_t i = 0; i < n; i++) {
        found |= strstr(lines[i], words) != NULL;
        free(lines[i]);
    }
    return found;
}

START_TEST(bounce_offers_override_only_when_it_would_work)
{
    struct sg_policy *p = policy_with(NULL, NULL);
    struct sg_verdict v;
    judge(p, "Rota", "Oh blast it.", &v);
    ck_assert_int_eq(v.action, SG_ACTION_REJECT);
    ck_assert(sg_override_offered(&v, p));
    ck_assert(explain_has(&v, p, "resend it with [justify: your reason] in the subject"));
    sg_verdict_clear(&v);
    /* The pupil number would hold the resend: no offer. */
    judge(p, "Rota", "Oh blast it, her pupil number is here.", &v);
    ck_assert_int_eq(v.action, SG_ACTION_REJECT);
    ck_assert(!sg_override_offered(&v, p));
    ck_assert(!explain_has(&v, p, "[justify:"));
    sg_verdict_clear(&v);
    judge(p, "Rota", "Her pupil number.", &v);
    ck_assert(!sg_override_offered(&v, p));
    sg_verdict_clear(&v);
    sg_policy_unref(p);
}
END_TEST

START_TEST(monitor_rule_records_and_does_not_act)
{
    struct sg_policy *p = policy_with(NULL, NULL);
    struct sg_verdict v;
    judge(p, "Story", "A newspaper called.", &v);
    ck_assert_int_eq(v.action, SG_ACTION_ACCEPT);
    ck_assert_int_eq(v.would, SG_ACTION_QUARANTINE);
    ck_assert(hit(&v, "watch")->monitored);
    ck_assert(sg_verdict_monitored(&v));
    ck_assert_str_eq(hit(&v, "watch")->evidence, "phrase \"newspaper\"");
    struct sg_buf j = {0};
    char *rcpts[] = {"x@example.com", NULL};
    sg_verdict_json(&v, "f", rcpts, &j);
    ck_assert_msg(strstr(j.data, "\"mode\":\"monitor\"") && strstr(j.data, "\"would\":\"quarantine\""), "%s", j.data);
    sg_buf_free(&j);
    sg_verdict_clear(&v);
    /* Beside a live hit: the live one decides, the monitored one is kept. */
    judge(p, "Story", "A newspaper asked for the minutes.", &v);
    ck_assert_int_eq(v.action, SG_ACTION_ANNOTATE);
    ck_assert_int_eq(v.would, SG_ACTION_QUARANTINE);
    sg_verdict_clear(&v);
    sg_policy_unref(p);
}
END_TEST

START_TEST(monitor_school_and_trust)
{
    struct sg_policy *p = policy_with(NULL, "    mode: monitor\n");
    struct sg_verdict v;
    judge(p, "Plan", "The care plan and her pupil number.", &v);
    ck_assert_int_eq(v.action, SG_ACTION_ACCEPT);
    ck_assert_int_eq(v.would, SG_ACTION_QUARANTINE);
    ck_assert(hit(&v, "upn")->monitored && hit(&v, "plan")->monitored);
    sg_verdict_clear(&v);
    sg_policy_unref(p);

    p = policy_with("  mode: monitor\n", NULL);
    judge(p, "Rota", "Oh blast it.", &v);
    ck_assert_int_eq(v.action, SG_ACTION_ACCEPT);
    ck_assert_int_eq(v.would, SG_ACTION_REJECT);
    sg_verdict_clear(&v);
    sg_policy_unref(p);

    /* The school's live wins over the trust's monitor. */
    p = policy_with("  mode: monitor\n", "    mode: live\n");
    judge(p, "Rota", "Oh blast it.", &v);
    ck_assert_int_eq(v.action, SG_ACTION_REJECT);
    ck_assert(!sg_verdict_monitored(&v));
    sg_verdict_clear(&v);
    sg_policy_unref(p);
}
END_TEST

START_TEST(bad_mode_and_footer_are_errors)
{
    char *errors = NULL;
    struct sg_policy *p = sg_test_load_yaml("school:\n  name: T\n  staff_domains: [t.sch.uk]\n  mode: watch\n"
                                            "actions:\n  footer: {}\n"
                                            "rules:\n  - {id: a, category: media, action: annotate, cite: c, "
                                            "overridable: true, match: {phrases: [x]}}\n", &errors, NULL);
    ck_assert_ptr_null(p);
    ck_assert_msg(strstr(errors, "mode is live or monitor, not \"watch\""), "%s", errors);
    ck_assert_msg(strstr(errors, "footer needs text:, html: or both"), "%s", errors);
    free(errors);
    p = sg_test_load_yaml("school:\n  name: T\n  staff_domains: [t.sch.uk]\n"
                          "rules:\n  - {id: a, category: media, action: annotate, cite: c, "
                          "overridable: true, match: {phrases: [x]}}\n", &errors, NULL);
    ck_assert_ptr_nonnull(p);
    ck_assert_msg(p->warnings && strstr(p->warnings, "nothing to override"), "%s", p->warnings ? p->warnings : "");
    sg_policy_unref(p);
}
END_TEST

START_TEST(footer_of_the_senders_school)
{
    struct sg_policy *p = policy_with(NULL, "    footer: {text: \"Northfield footer\"}\n");
    const struct sg_footer *f = sg_policy_footer(p, sg_policy_unit(p, "nfa"));
    ck_assert_ptr_nonnull(f);
    ck_assert_str_eq(f->text, "Northfield footer");
    ck_assert_ptr_null(f->html);
    ck_assert_ptr_null(sg_policy_footer(p, NULL));      /* no actions: footer: */
    ck_assert_ptr_null(sg_policy_unit(p, "SVP"));
    sg_policy_unref(p);
}
END_TEST

START_TEST(wire_carries_monitor_and_override)
{
    struct sg_policy *p = policy_with(NULL, NULL);
    struct sg_verdict v, w;
    judge(p, "[justify: needed] Plan", "The care plan, a newspaper.", &v);
    struct sg_buf b = {0};
    sg_wire_reply(&b, &v, p, "mid", false);
    sg_verdict_init(&w, 1);
    bool retire;
    ck_assert(sg_wire_parse_reply((const unsigned char *)b.data, b.len, p, &w, &retire));
    ck_assert_int_eq(w.action, v.action);
    ck_assert_int_eq(w.would, SG_ACTION_QUARANTINE);
    ck_assert_str_eq(w.justification, "needed");
    ck_assert_str_eq(w.unit, "NFA");
    ck_assert(hit(&w, "plan")->overridden && !hit(&w, "plan")->monitored);
    ck_assert(hit(&w, "watch")->monitored);
    /* A worker naming a school the policy does not have is not believed. */
    sg_verdict_clear(&w);
    free(v.unit);
    v.unit = sg_xstrdup("XYZ");
    b.len = 0;
    sg_wire_reply(&b, &v, p, "mid", false);
    sg_verdict_init(&w, 1);
    ck_assert(!sg_wire_parse_reply((const unsigned char *)b.data, b.len, p, &w, &retire));
    sg_verdict_clear(&w);
    sg_verdict_clear(&v);
    sg_buf_free(&b);
    sg_policy_unref(p);
}
END_TEST

Suite *sg_suite_override(void)
{
    Suite *s = suite_create("override");
    TCase *tc = tcase_create("override");
    tcase_add_test(tc, justify_case_and_spacing);
    tcase_add_test(tc, justify_empty_is_not_a_reason);
    tcase_add_test(tc, justify_several_tags_first_real_one);
    tcase_add_test(tc, justify_long_reason_is_capped_on_a_character);
    tcase_add_test(tc, override_lets_overridable_rules_through);
    tcase_add_test(tc, override_leaves_other_rules_acting);
    tcase_add_test(tc, override_switched_off_by_trust_or_school);
    tcase_add_test(tc, bounce_offers_override_only_when_it_would_work);
    tcase_add_test(tc, monitor_rule_records_and_does_not_act);
    tcase_add_test(tc, monitor_school_and_trust);
    tcase_add_test(tc, bad_mode_and_footer_are_errors);
    tcase_add_test(tc, footer_of_the_senders_school);
    tcase_add_test(tc, wire_carries_monitor_and_override);
    suite_add_tcase(s, tc);
    return s;
}
