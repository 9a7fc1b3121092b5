/*
 * check_config.c - the policy loader: a good file loads, and each kind of
 * mistake is reported at its file:line:col.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "check_suites.h"
#include "sg_config.h"
#include "sg_policy.h"

static char tmp_path[64];

/* Writes text to a temp policy file and loads it. */
static struct sg_policy *load_text(const char *text, char **errors)
{
    return sg_test_load_yaml(text, errors, tmp_path);
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
                 "    action: reject\n    cite: c\n", 9, 25, "cannot open list");
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
    ck_assert_ptr_nonnull(strstr(errors, "/nonexistent/policy.yaml: cannot open"));
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


/* Asserts the load succeeded with a warning at line:col containing words. */
static void expect_warning(const char *text, unsigned line, unsigned col, const char *words)
{
    char *errors = NULL;
    struct sg_policy *p = load_text(text, &errors);
    ck_assert_msg(p != NULL, "%s", errors ? errors : "");
    char where[96];
    snprintf(where, sizeof(where), "%s:%u:%u: warning: ", tmp_path, line, col);
    ck_assert_msg(p->warnings && strstr(p->warnings, where), "expected a warning at %s, got:\n%s", where,
                  p->warnings ? p->warnings : "(none)");
    ck_assert_msg(strstr(p->warnings, words), "expected \"%s\" in:\n%s", words, p->warnings);
    sg_policy_unref(p);
}

static unsigned count_of(const char *hay, const char *needle)
{
    unsigned n = 0;
    for (const char *s = hay; (s = strstr(s, needle)); s++)
        n++;
    return n;
}

#define RULE_X "  - id: r\n    category: offensive\n    match: {phrases: [x]}\n    action: reject\n    cite: c\n"

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

START_TEST(large_policy_loads_in_seconds)
{
    /* 5,000 rules of 60 phrases, 3,000 of them distinct: this never
     * finished when duplicates were found by a linear scan. */
    struct sg_buf b = {0};
    sg_buf_puts(&b, HEAD);
    for (unsigned i = 0; i < 5000; i++) {
        sg_buf_printf(&b, "  - id: r%u\n    category: offensive\n    match:\n      phrases: [", i);
        for (unsigned j = 0; j < 60; j++)
            sg_buf_printf(&b, "%sword%u thing", j ? ", " : "", (i * 60 + j) % 3000);
        sg_buf_puts(&b, "]\n    action: reject\n    cite: c\n");
    }
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char *errors = NULL;
    struct sg_policy *p = load_text(b.data, &errors);
    double took = seconds_since(&t0);
    ck_assert_msg(p != NULL, "%s", errors ? errors : "");
    ck_assert_uint_eq(p->nrules, 5000);
    ck_assert_msg(took < 20, "loading took %.1f s", took);
    sg_policy_unref(p);
    sg_buf_free(&b);
}
END_TEST

START_TEST(alias_bombs_are_bounded)
{
    struct sg_buf b = {0};
    /* 12,000 uses of one rule: refused with a count, not 12,000 errors. */
    sg_buf_puts(&b, "school:\n  name: T\n  staff_domains: [t.sch.uk]\nrules:\n"
                    "  - &r {id: r, category: offensive, match: {phrases: [x]}, action: reject, cite: c}\n");
    for (unsigned i = 0; i < 11999; i++)
        sg_buf_puts(&b, "  - *r\n");
    expect_error(b.data, 5, 3, "12000 rules (counting every use of a YAML alias); a policy is limited to 10000");
    /* A rule used again through aliases: one error, and parsed once. */
    b.len = 0;
    sg_buf_puts(&b, HEAD "  - &r {id: r, category: offensive, match: {phrases: [x]}, action: reject, cite: c}\n");
    for (unsigned i = 0; i < 5000; i++)
        sg_buf_puts(&b, "  - *r\n");
    char *errors = NULL;
    ck_assert_ptr_null(load_text(b.data, &errors));
    ck_assert_uint_eq(count_of(errors, "\n"), 1);
    ck_assert_msg(strstr(errors, ":6:5: rule r is used again through a YAML alias"), "%s", errors);
    free(errors);
    /* 1,000 phrases named by 600 rules pass the phrase cap. */
    b.len = 0;
    sg_buf_puts(&b, "school:\n  name: T\n  staff_domains: [t.sch.uk]\n  landlines: []\nphrases: &p [");
    for (unsigned i = 0; i < 1000; i++)
        sg_buf_printf(&b, "%sw%u", i ? ", " : "", i);
    sg_buf_puts(&b, "]\nrules:\n");
    for (unsigned i = 0; i < 600; i++)
        sg_buf_printf(&b, "  - {id: r%u, category: offensive, match: {phrases: *p}, action: reject, cite: c}\n", i);
    ck_assert_ptr_null(load_text(b.data, &errors));
    ck_assert_msg(strstr(errors, ":5:10: more than 500000 phrases in the policy"), "%s", errors);
    ck_assert_uint_le(count_of(errors, "\n"), 3);
    free(errors);
    /* One match: of pattern conditions handed to 6,000 rules. */
    b.len = 0;
    sg_buf_puts(&b, HEAD "  - {id: r0, category: offensive, match: &m {mobile: true, social: true}, action: reject, cite: c}\n");
    for (unsigned i = 1; i < 6000; i++)
        sg_buf_printf(&b, "  - {id: r%u, category: offensive, match: *m, action: reject, cite: c}\n", i);
    ck_assert_ptr_null(load_text(b.data, &errors));
    ck_assert_msg(strstr(errors, "more than 5000 pattern conditions in the policy"), "%s", errors);
    free(errors);
    sg_buf_free(&b);
}
END_TEST

START_TEST(duplicate_id_reported_once)
{
    char *errors = NULL;
    ck_assert_ptr_null(load_text(HEAD RULE_X RULE_X RULE_X RULE_X, &errors));
    ck_assert_uint_eq(count_of(errors, "\n"), 1);
    char where[160];
    snprintf(where, sizeof(where), "%s:11:5: duplicate rule id \"r\" (first at line 6)", tmp_path);
    ck_assert_msg(strstr(errors, where), "%s", errors);
    free(errors);
    expect_error("limits:\n  on_limit: maybe\n" HEAD RULE_X, 2, 13,
                 "unknown action \"maybe\" (accept, annotate, quarantine, reject, tempfail)");
}
END_TEST

START_TEST(errors_are_capped)
{
    struct sg_buf b = {0};
    sg_buf_puts(&b, HEAD);
    for (unsigned i = 0; i < 150; i++)
        sg_buf_printf(&b, "  - {id: r%u, category: rude, match: {phrases: [x]}, action: reject, cite: c}\n", i);
    char *errors = NULL;
    ck_assert_ptr_null(load_text(b.data, &errors));
    ck_assert_uint_eq(count_of(errors, "unknown category"), 100);
    ck_assert_msg(strstr(errors, "\n... and 50 more errors\n"), "%s", errors);
    free(errors);
    sg_buf_free(&b);
}
END_TEST

START_TEST(empty_match_and_to_are_errors)
{
    expect_error(HEAD "  - id: r\n    category: offensive\n    match: {}\n    action: reject\n    cite: c\n",
                 8, 12, "match: is empty, which would match every message");
    expect_error(HEAD "  - id: r\n    category: offensive\n    to: []\n    action: reject\n    cite: c\n",
                 8, 9, "to: is empty, which would mean every recipient");
}
END_TEST

START_TEST(verdict_header_must_be_its_own_field)
{
    const char *bad[] = {"Subject", "content-type", "DKIM-Signature", "Message-ID", "Return-Path"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        char text[512];
        snprintf(text, sizeof(text), "actions:\n  header: %s\n" HEAD RULE_X, bad[i]);
        expect_error(text, 2, 11, "is a standard message header");
    }
    expect_error("actions:\n  header: 'X Verdict'\n" HEAD RULE_X, 2, 11, "is not a header field name");
    expect_error("actions:\n  header: 'X-A:b'\n" HEAD RULE_X, 2, 11, "is not a header field name");
}
END_TEST

START_TEST(domains_are_normalised_with_a_warning)
{
    const char *text = "school:\n  name: T\n  staff_domains: [t.sch.uk, '@Staff.T.sch.uk.']\n"
                       "  pupil_domains: [P.T.SCH.UK]\nrules:\n" RULE_X;
    expect_warning(text, 3, 29, "domain @Staff.T.sch.uk. read as staff.t.sch.uk");
    expect_warning(text, 4, 19, "domain P.T.SCH.UK read as p.t.sch.uk");
    char *errors = NULL;
    struct sg_policy *p = load_text(text, &errors);
    ck_assert_int_eq(sg_policy_classify(p, "a@staff.t.sch.uk"), SG_RCLASS_INTERNAL);
    ck_assert_int_eq(sg_policy_classify(p, "a@p.t.sch.uk"), SG_RCLASS_PUPIL);
    sg_policy_unref(p);
    expect_error("school:\n  name: T\n  staff_domains: ['a@b.sch.uk']\nrules:\n" RULE_X, 3, 19, "is not a domain");
}
END_TEST

START_TEST(second_document_is_refused)
{
    expect_error(HEAD RULE_X "---\n" HEAD RULE_X, 11, 1, "a second YAML document starts here");
}
END_TEST

START_TEST(warnings_for_unscreened_mail_and_utc)
{
    expect_warning("school:\n  name: T\n  staff_domains: [t.sch.uk]\n  timezone: UTC\nrules:\n" RULE_X, 4, 13,
                   "time zone UTC has no daylight saving");
    expect_warning("school:\n  name: T\n  staff_domains: [t.sch.uk]\n  timezone: GMT\nrules:\n" RULE_X, 4, 13,
                   "no daylight saving");
    expect_warning("limits:\n  on_limit: accept\n" HEAD RULE_X, 2, 13, "mail that hits a limit pass unscreened");
    expect_warning("actions:\n  on_internal_error: accept\n" HEAD RULE_X, 2, 22, "pass unscreened");
    char *errors = NULL;
    struct sg_policy *p = load_text(HEAD RULE_X, &errors);
    ck_assert_ptr_null(p->warnings);         /* Europe/London by default: nothing to say */
    sg_policy_unref(p);
}
END_TEST

/* A list file holding lines, at a fresh path written into list. */
static void make_list(char *list, const char *lines)
{
    int fd = mkstemp(list);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, lines, strlen(lines)), (ssize_t)strlen(lines));
    close(fd);
}

START_TEST(phrase_errors_point_at_the_phrase)
{
    expect_error(HEAD "  - id: r\n    category: offensive\n    match: {phrases: [ok, '-', '']}\n    action: reject\n    cite: c\n",
                 8, 27, "phrase \"-\" has no letters or digits");
    expect_error(HEAD "  - id: r\n    category: offensive\n    match: {phrases: [ok, '-', '']}\n    action: reject\n    cite: c\n",
                 8, 32, "phrase \"\" is empty");
    char list[] = "/tmp/sg-list-XXXXXX";
    make_list(list, "# comment\nfine words\n\n  ?!\n");
    char text[1024], *errors = NULL;
    snprintf(text, sizeof(text), HEAD "  - id: r\n    category: offensive\n    match: {phrases: {files: [%s]}}\n"
             "    action: reject\n    cite: c\n", list);
    ck_assert_ptr_null(load_text(text, &errors));
    char where[96];
    snprintf(where, sizeof(where), "%s:4:3: phrase \"?!\" has no letters or digits", list);
    ck_assert_msg(strstr(errors, where), "expected %s in:\n%s", where, errors);
    ck_assert_ptr_null(strstr(errors, "HS_FLAG"));
    ck_assert_ptr_null(strstr(errors, ":0:0:"));
    free(errors);
    unlink(list);
}
END_TEST

/* "\b" typed through printf arrives as a backspace: a dead phrase, refused. */
START_TEST(control_bytes_in_a_list_are_refused)
{
    char list[] = "/tmp/sg-list-XXXXXX";
    make_list(list, "fine words\n2 re:\bbroadcast\\s+tonight\b\n");
    char text[1024], *errors = NULL;
    snprintf(text, sizeof(text), HEAD "  - id: r\n    category: media\n    match: {lexicon: {files: [%s], threshold: 2}}\n"
             "    action: reject\n    cite: c\n", list);
    ck_assert_ptr_null(load_text(text, &errors));
    char where[128];
    snprintf(where, sizeof(where), "%s:2:6: control character 0x08", list);
    ck_assert_msg(errors && strstr(errors, where), "expected %s in:\n%s", where, errors ? errors : "");
    free(errors);
    unlink(list);
}
END_TEST

START_TEST(list_files_are_watched)
{
    char list[] = "/tmp/sg-list-XXXXXX";
    make_list(list, "fine words\n");
    char text[1024], *errors = NULL;
    snprintf(text, sizeof(text), HEAD "  - id: r\n    category: offensive\n    match: {phrases: {files: [%s]}}\n"
             "    action: reject\n    cite: c\n  - id: s\n    category: offensive\n    match: {phrases: {files: [%s]}}\n"
             "    action: reject\n    cite: c\n", list, list);
    struct sg_policy *p = load_text(text, &errors);
    ck_assert_msg(p != NULL, "%s", errors ? errors : "");
    char **files = sg_policy_files(p);
    ck_assert_uint_eq(sg_strv_len(files), 2);
    ck_assert_str_eq(files[1], list);
    sg_strv_free(files);
    sg_policy_unref(p);
    unlink(list);
}
END_TEST

START_TEST(unknown_keys_list_the_valid_ones)
{
    expect_error(HEAD "  - id: r1\n    category: offensive\n    match: {phrases: [x]}\n"
                 "    action: reject\n    cite: c\n    colour: red\n", 11, 5,
                 "unknown key \"colour\" in rule (valid keys: id, category, to, match, action, cite, explain, advice, except_senders, except_recipients, contacts_exempt, family_exempt, overridable, mode)");
    expect_error("limits:\n  max_mem: 1\n" HEAD RULE_X, 2, 3, "(valid keys: spool_memory, max_message_size,");
    expect_error(HEAD "  - id: r\n    category: offensive\n    match: {phrases: [x], colour: 1}\n    action: reject\n    cite: c\n",
                 8, 27, "unknown key \"colour\" in match (valid keys: phrases, regex,");
    expect_error(HEAD "  - id: r\n    category: offensive\n    match: {mobile: {deny: [1]}}\n    action: reject\n    cite: c\n",
                 8, 22, "unknown key \"deny\" in mobile (valid keys: allow)");
}
END_TEST

START_TEST(duplicate_keys_everywhere)
{
    expect_error("school:\n  name: T\n  staff_domains: [t.sch.uk]\n  contact_hours: {start: '08:00', start: '09:00'}\nrules:\n" RULE_X,
                 4, 35, "duplicate key \"start\"");
    expect_error("school:\n  name: T\n  staff_domains: [t.sch.uk]\n  contact_hours:\n    holidays: [{from: 2026-01-01, to: 2026-01-02, to: 2026-01-03}]\nrules:\n" RULE_X,
                 5, 51, "duplicate key \"to\"");
    expect_error(HEAD RULE_X "schools:\n  - {id: A, id: B}\n", 12, 13, "duplicate key \"id\"");
    expect_error(HEAD RULE_X "directory:\n  pupils: a.csv\n  pupils: b.csv\n", 13, 3, "duplicate key \"pupils\"");
    expect_error(HEAD RULE_X "directory:\n  columns: {staff: {email: A, email: B}}\n", 12, 31, "duplicate key \"email\"");
    expect_error(HEAD RULE_X "directory:\n  columns: {staff: {}, staff: {}}\n", 12, 24, "duplicate key \"staff\"");
    expect_error(HEAD "  - id: r\n    category: offensive\n    match: {phrases: {list: [a], list: [b]}}\n    action: reject\n    cite: c\n",
                 8, 34, "duplicate key \"list\"");
    expect_error(HEAD "  - id: r\n    category: offensive\n    match: {mobile: {allow: [1], allow: [2]}}\n    action: reject\n    cite: c\n",
                 8, 34, "duplicate key \"allow\"");
    expect_error(HEAD "  - id: r\n    category: offensive\n    match: {phrases: [x], phrases: [y]}\n    action: reject\n    cite: c\n",
                 8, 27, "duplicate key \"phrases\"");
    expect_error("outbound: {auth: true, auth: false}\n" HEAD RULE_X, 1, 24, "duplicate key \"auth\"");
    expect_error(HEAD "  - id: r\n    category: offensive\n    match: {personal_sender: {any: 1}}\n    action: reject\n    cite: c\n",
                 8, 30, "personal_sender takes no options");
}
END_TEST

START_TEST(school_ids_are_unique)
{
    expect_error(HEAD RULE_X "schools:\n  - {id: NFA}\n  - {id: SVP}\n  - {id: nfa}\n", 14, 5,
                 "duplicate school id \"nfa\" (first at line 12)");
}
END_TEST

START_TEST(reference_is_generated_from_the_tables)
{
    struct sg_buf want = {0};
    sg_policy_reference(&want);
    char path[4096];
    snprintf(path, sizeof(path), "%s/contrib/policy-reference.md", SRCDIR);
    FILE *fp = fopen(path, "rb");
    ck_assert_ptr_nonnull(fp);
    struct sg_buf have = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
        sg_buf_append(&have, chunk, n);
    fclose(fp);
    ck_assert_msg(have.len == want.len && !memcmp(have.data, want.data, want.len),
                  "contrib/policy-reference.md is not what the key tables generate; "
                  "run safeguard-check --reference > contrib/policy-reference.md");
    /* Every section, and the notes an admin needs. */
    ck_assert_ptr_nonnull(strstr(want.data, "## `directory:`"));
    ck_assert_ptr_nonnull(strstr(want.data, "`max_shrink`"));
    ck_assert_ptr_nonnull(strstr(want.data, "`worker_memory`"));
    ck_assert_ptr_nonnull(strstr(want.data, "| `outside_hours` |"));
    ck_assert_ptr_nonnull(strstr(want.data, "SIGUSR1"));
    ck_assert_ptr_nonnull(strstr(want.data, "Inbound mail is accepted at MAIL"));
    sg_buf_free(&want);
    sg_buf_free(&have);
}
END_TEST

/* safeguard-policy(5) is the same reference as roff: the committed page
 * must be what the tables generate, and the Markdown must come through as
 * roff (code bold, no stray emphasis, nothing read as a request). */
START_TEST(man_page_is_generated_from_the_tables)
{
    struct sg_buf want = {0};
    sg_policy_reference_man(&want);
    char path[4096];
    snprintf(path, sizeof(path), "%s/man/safeguard-policy.5", SRCDIR);
    FILE *fp = fopen(path, "rb");
    ck_assert_ptr_nonnull(fp);
    struct sg_buf have = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
        sg_buf_append(&have, chunk, n);
    fclose(fp);
    ck_assert_msg(have.len == want.len && !memcmp(have.data, want.data, want.len),
                  "man/safeguard-policy.5 is not what the key tables generate; "
                  "run safeguard-check --reference=man > man/safeguard-policy.5");
    ck_assert_ptr_nonnull(strstr(want.data, ".TH SAFEGUARD-POLICY 5 "));
    ck_assert_ptr_nonnull(strstr(want.data, ".SH \"\\fB\\%directory:\\fR\"\n"));
    ck_assert_ptr_nonnull(strstr(want.data, ".TP\n\\fB\\%max_shrink\\fR \\(em percentage; default \\fB\\%50%\\fR\n"));
    ck_assert_ptr_nonnull(strstr(want.data, "\\fB\\%\"*.x.sch.uk\"\\fR"));
    ck_assert_ptr_nonnull(strstr(want.data, "Content-*, DKIM"));
    ck_assert_ptr_nonnull(strstr(want.data, "is \\fInot\\fR removed"));
    ck_assert_ptr_null(strstr(want.data, "`"));
    ck_assert_ptr_null(strstr(want.data, "| "));
    ck_assert_ptr_null(strstr(want.data, "Generated by `"));
    /* Every line is a request, a comment or text that cannot be read as one. */
    for (const char *l = want.data; *l; l = strchr(l, '\n') + 1) {
        if (*l == '.' || *l == '\'')
            ck_assert_msg(!strncmp(l, ".\\\"", 3) || (l[1] >= 'A' && l[1] <= 'Z'), "bad line: %.40s", l);
        if (!strchr(l, '\n'))
            break;
    }
    sg_buf_free(&want);
    sg_buf_free(&have);
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
    tcase_add_test(tc, control_bytes_in_a_list_are_refused);
    tcase_add_test(tc, bad_missing_cite_and_duplicate);
    tcase_add_test(tc, bad_recipient_class_and_size);
    tcase_add_test(tc, bad_duplicate_key);
    tcase_add_test(tc, bad_missing_file);
    tcase_add_test(tc, classify_recipients);
    tcase_add_test(tc, errors_are_capped);
    tcase_add_test(tc, duplicate_id_reported_once);
    tcase_add_test(tc, empty_match_and_to_are_errors);
    tcase_add_test(tc, verdict_header_must_be_its_own_field);
    tcase_add_test(tc, domains_are_normalised_with_a_warning);
    tcase_add_test(tc, second_document_is_refused);
    tcase_add_test(tc, warnings_for_unscreened_mail_and_utc);
    tcase_add_test(tc, phrase_errors_point_at_the_phrase);
    tcase_add_test(tc, list_files_are_watched);
    tcase_add_test(tc, unknown_keys_list_the_valid_ones);
    tcase_add_test(tc, man_page_is_generated_from_the_tables);
    tcase_add_test(tc, duplicate_keys_everywhere);
    tcase_add_test(tc, school_ids_are_unique);
    tcase_add_test(tc, reference_is_generated_from_the_tables);
    suite_add_tcase(s, tc);
    /* Their own case, so that their time limit is their own (sanitizer
     * builds are several times slower). */
    TCase *big = tcase_create("scale");
    tcase_set_timeout(big, 60);
    tcase_add_test(big, large_policy_loads_in_seconds);
    tcase_add_test(big, alias_bombs_are_bounded);
    suite_add_tcase(s, big);
    return s;
}
