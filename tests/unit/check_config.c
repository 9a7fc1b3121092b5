/*
 * check_config.c - the policy loader: a good file loads, and each kind of
 * mistake is reported at its file:line:col.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check_suites.h"
#include "sg_policy.h"

static char tmp_path[64];

/* Writes text to a temp policy file and loads it. */
static struct sg_policy *load_text(const char *text, char **errors)
{
    strcpy(tmp_path, "/tmp/sg-policy-XXXXXX");
    int fd = mkstemp(tmp_path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    struct sg_policy *p = sg_policy_load(tmp_path, errors);
    unlink(tmp_path);
    return p;
}

/* Asserts the load failed with an error at line:col containing words. */
static void expect_error(const char *text, unsigned line, unsigned col, const char *words)
{
    char *errors = NULL;
    struct sg_policy *p = load_text(text, &errors);
    ck_assert_ptr_null(p);
    ck_assert_ptr_nonnull(errors);
    char where[96];
    snprintf(where, sizeof(where), "%s:%u:%u: ", tmp_path, line, col);
    ck_assert_msg(strstr(errors, where), "expected an error at %s, got:\n%s", where, errors);
    ck_assert_msg(strstr(errors, words), "expected \"%s\" in:\n%s", words, errors);
    free(errors);
}

#define HEAD "school:\n  name: Test\n  staff_domains: [t.sch.uk]\n  pupil_domains: [p.t.sch.uk]\nrules:\n"

START_TEST(good_example_policy)
{
    char *errors = NULL;
    char path[4096];
    snprintf(path, sizeof(path), "%s/contrib/example-policy.yaml", SRCDIR);
    struct sg_policy *p = sg_policy_load(path, &errors);
    ck_assert_msg(p != NULL, "example policy failed: %s", errors ? errors : "");
    ck_assert_uint_gt(p->nrules, 3);
    ck_assert_str_eq(p->school.name, "Northfield Academy");
    ck_assert_int_eq(p->limits.msg.max_depth, 16);
    ck_assert_int_eq(p->actions.on_internal_error, SG_ACTION_TEMPFAIL);
    sg_policy_unref(p);
}
END_TEST

START_TEST(good_minimal_with_defaults)
{
    char *errors = NULL;
    struct sg_policy *p = load_text(HEAD
        "  - id: r1\n    category: offensive\n    match: {phrases: [badword]}\n"
        "    action: reject\n    cite: \"Policy 1.1\"\n", &errors);
    ck_assert_msg(p != NULL, "%s", errors ? errors : "");
    ck_assert_str_eq(p->actions.header, "X-Safeguard-Verdict");
    ck_assert_uint_eq(p->limits.spool_memory, 1u << 20);
    ck_assert_int_eq(p->rules[0].action, SG_ACTION_REJECT);
    ck_assert_int_eq(p->rules[0].category, SG_CAT_OFFENSIVE);
    sg_policy_unref(p);
}
END_TEST

START_TEST(bad_yaml_syntax)
{
    expect_error("school:\n  name: [unclosed\n", 3, 1, "YAML syntax");
}
END_TEST

START_TEST(bad_unknown_key)
{
    expect_error(HEAD "  - id: r1\n    category: offensive\n    match: {phrases: [x]}\n"
                 "    action: reject\n    cite: c\n    colour: red\n", 11, 5, "unknown key \"colour\"");
}
END_TEST

START_TEST(bad_unknown_section)
{
    expect_error("schol:\n  name: x\n" HEAD "  - id: r\n    category: offensive\n    match: {phrases: [x]}\n    action: reject\n    cite: c\n",
                 1, 1, "unknown section \"schol\"");
}
END_TEST

START_TEST(bad_regex_offset)
{
    expect_error(HEAD "  - id: r1\n    category: media\n    match:\n      regex: ['(press']\n"
                 "    action: annotate\n    cite: c\n", 9, 15, "bad regex at offset 6");
}
END_TEST

START_TEST(bad_category)
{
    expect_error(HEAD "  - id: r1\n    category: rude\n    match: {phrases: [x]}\n"
                 "    action: reject\n    cite: c\n", 7, 15, "unknown category \"rude\"");
}
END_TEST

START_TEST(bad_action)
{
    expect_error(HEAD "  - id: r1\n    category: offensive\n    match: {phrases: [x]}\n"
                 "    action: explode\n    cite: c\n", 9, 13, "unknown action \"explode\"");
}
END_TEST

START_TEST(bad_missing_list_file)
{
    expect_error(HEAD "  - id: r1\n    category: offensive\n    match:\n      phrases: {files: [no-such-list.txt]}\n"
                 "    action: reject\n    cite: c\n", 9, 25, "cannot open phrase list");
}
END_TEST

START_TEST(bad_missing_cite_and_duplicate)
{
    expect_error(HEAD "  - id: r1\n    category: offensive\n    match: {phrases: [x]}\n    action: reject\n"
                 "  - id: r1\n    category: offensive\n    match: {phrases: [y]}\n    action: reject\n    cite: c\n",
                 6, 5, "has no cite");
    expect_error(HEAD "  - id: r1\n    category: offensive\n    match: {phrases: [x]}\n    action: reject\n    cite: c\n"
                 "  - id: r1\n    category: offensive\n    match: {phrases: [y]}\n    action: reject\n    cite: c\n",
                 11, 5, "duplicate rule id");
}
END_TEST

START_TEST(bad_recipient_class_and_size)
{
    expect_error(HEAD "  - id: r1\n    category: offensive\n    to: [martians]\n    match: {phrases: [x]}\n"
                 "    action: reject\n    cite: c\n", 8, 10, "unknown recipient class");
    expect_error("limits:\n  max_mime_depth: lots\n" HEAD "  - id: r\n    category: offensive\n    match: {phrases: [x]}\n    action: reject\n    cite: c\n",
                 2, 19, "is not a number");
}
END_TEST

START_TEST(bad_duplicate_key)
{
    expect_error("limits:\n  spool_memory: 1k\n  spool_memory: 2M\n" HEAD "  - id: r\n    category: offensive\n    match: {phrases: [x]}\n    action: reject\n    cite: c\n",
                 3, 3, "duplicate key \"spool_memory\" (first at line 2)");
    expect_error(HEAD "  - id: r\n    category: offensive\n    match: {phrases: [x]}\n    action: reject\n    action: accept\n    cite: c\n",
                 10, 5, "duplicate key \"action\"");
}
END_TEST

START_TEST(bad_missing_file)
{
    char *errors = NULL;
    ck_assert_ptr_null(sg_policy_load("/nonexistent/policy.yaml", &errors));
    ck_assert_ptr_nonnull(strstr(errors, "/nonexistent/policy.yaml:0:0: cannot open"));
    free(errors);
}
END_TEST

START_TEST(classify_recipients)
{
    char *errors = NULL;
    struct sg_policy *p = load_text("school:\n  name: T\n  staff_domains: [t.sch.uk]\n"
        "  pupil_domains: [pupils.t.sch.uk]\n  trust_domains: ['*.trust.org.uk']\n"
        "rules:\n  - id: r\n    category: offensive\n    match: {phrases: [x]}\n    action: reject\n    cite: c\n", &errors);
    ck_assert_msg(p != NULL, "%s", errors ? errors : "");
    ck_assert_int_eq(sg_policy_classify(p, "head@T.SCH.UK"), SG_RCLASS_INTERNAL);
    ck_assert_int_eq(sg_policy_classify(p, "<amy+homework@pupils.t.sch.uk>"), SG_RCLASS_PUPIL);
    ck_assert_int_eq(sg_policy_classify(p, "ceo@office.trust.org.uk"), SG_RCLASS_TRUST);
    ck_assert_int_eq(sg_policy_classify(p, "ceo@trust.org.uk"), SG_RCLASS_EXTERNAL);
    ck_assert_int_eq(sg_policy_classify(p, "someone@gmail.com"), SG_RCLASS_EXTERNAL);
    ck_assert_int_eq(sg_policy_classify(p, "x@evil-t.sch.uk"), SG_RCLASS_EXTERNAL);
    ck_assert_int_eq(sg_policy_classify(p, "not an address"), SG_RCLASS_EXTERNAL);
    sg_policy_unref(p);
}
END_TEST

Suite *sg_suite_config(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("load");
    tcase_add_test(tc, good_example_policy);
    tcase_add_test(tc, good_minimal_with_defaults);
    tcase_add_test(tc, bad_yaml_syntax);
    tcase_add_test(tc, bad_unknown_key);
    tcase_add_test(tc, bad_unknown_section);
    tcase_add_test(tc, bad_regex_offset);
    tcase_add_test(tc, bad_category);
    tcase_add_test(tc, bad_action);
    tcase_add_test(tc, bad_missing_list_file);
    tcase_add_test(tc, bad_missing_cite_and_duplicate);
    tcase_add_test(tc, bad_recipient_class_and_size);
    tcase_add_test(tc, bad_duplicate_key);
    tcase_add_test(tc, bad_missing_file);
    tcase_add_test(tc, classify_recipients);
    suite_add_tcase(s, tc);
    return s;
}
