/*
 * check_directory.c - the MIS CSV loaders (BOM, CRLF, quoted fields,
 * multi-line fields, bad rows by line), address normalisation and the
 * O(1) lookups, classification with the directory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check_suites.h"
#include "sg_policy.h"
#include "sg_util.h"

static struct sg_policy *load_dir_policy(void)
{
    char *errors = NULL;
    struct sg_policy *p = sg_policy_load(sg_test_data("policy/directory.yaml"), &errors);
    ck_assert_msg(p != NULL, "%s", errors ? errors : "");
    return p;
}

START_TEST(csv_rows_loaded_and_bad_rows_reported)
{
    struct sg_policy *p = load_dir_policy();
    ck_assert_uint_eq(sg_directory_count(p->directory, true), 3);
    ck_assert_uint_eq(sg_directory_count(p->directory, false), 2);
    ck_assert_ptr_nonnull(p->warnings);
    ck_assert_msg(strstr(p->warnings, "pupils.csv:4: row skipped: the Email column is not an email address\n"), "%s", p->warnings);
    ck_assert_msg(strstr(p->warnings, "pupils.csv:8: row skipped: its Email is already listed\n"), "%s", p->warnings);
    ck_assert_msg(strstr(p->warnings, "relatives.csv:3: row skipped: the Staff Email column is not an email address\n"), "%s", p->warnings);
    /* File, line and column only: rows hold pupils' and parents' names. */
    const char *never[] = {"not-an-address", "Dup", "Bad", "Row", "nobody", "amy", "A8012"};
    for (size_t i = 0; i < sizeof(never) / sizeof(*never); i++)
        ck_assert_msg(!strstr(p->warnings, never[i]), "warning quotes row data \"%s\":\n%s", never[i], p->warnings);
    sg_policy_unref(p);
}
END_TEST

START_TEST(csv_quoted_bom_multiline)
{
    struct sg_policy *p = load_dir_policy();
    bool personal;
    const struct sg_person *ben = sg_directory_lookup(p->directory, "ben.learner@pupils.northfield.sch.uk", &personal);
    ck_assert_ptr_nonnull(ben);
    ck_assert(!personal);
    ck_assert_str_eq(ben->name, "Ben, Jr Learner");
    ck_assert_str_eq(ben->upn, "A801200001002");     /* first column despite the BOM */
    ck_assert_uint_eq(sg_strv_len(ben->personal), 2);
    const struct sg_person *cara = sg_directory_lookup(p->directory, "cara.child@pupils.northfield.sch.uk", NULL);
    ck_assert_ptr_nonnull(cara);
    ck_assert_str_eq(cara->school, "SVP");
    ck_assert_ptr_nonnull(strstr(cara->name, "Multiline"));
    sg_policy_unref(p);
}
END_TEST

START_TEST(lookup_normalises_addresses)
{
    struct sg_policy *p = load_dir_policy();
    bool personal;
    const struct sg_person *amy = sg_directory_lookup(p->directory, "<AMY.PUPIL+homework@PUPILS.northfield.sch.uk>", &personal);
    ck_assert_ptr_nonnull(amy);
    ck_assert(!personal);
    ck_assert(amy->is_pupil);
    const struct sg_person *ben = sg_directory_lookup(p->directory, "BenL@Hotmail.co.uk", &personal);
    ck_assert_ptr_nonnull(ben);
    ck_assert(personal);
    ck_assert_ptr_null(sg_directory_lookup(p->directory, "stranger@gmail.com", NULL));
    const struct sg_person *tom = sg_directory_lookup(p->directory, "tomteach@gmail.com", &personal);
    ck_assert_ptr_nonnull(tom);
    ck_assert(!tom->is_pupil);
    ck_assert(personal);
    const struct sg_person *pat = sg_directory_lookup(p->directory, "pat.pt@northfield.sch.uk", NULL);
    ck_assert(sg_directory_related(p->directory, pat, ben));
    ck_assert(!sg_directory_related(p->directory, tom, ben));
    ck_assert(!sg_directory_related(p->directory, pat, amy));
    sg_policy_unref(p);
}
END_TEST

START_TEST(address_normalisation)
{
    char *a = sg_addr_normalise(" <Jo.Smith+Year9@Example.ORG.> ");
    ck_assert_str_eq(a, "jo.smith@example.org");
    free(a);
    ck_assert_ptr_null(sg_addr_normalise("no-at-sign"));
    ck_assert_ptr_null(sg_addr_normalise("@example.org"));
    ck_assert_ptr_null(sg_addr_normalise("user@"));
    a = sg_addr_normalise("+tag@example.org");     /* a leading + is the local part */
    ck_assert_str_eq(a, "+tag@example.org");
    free(a);
}
END_TEST

START_TEST(classification_uses_directory)
{
    struct sg_policy *p = load_dir_policy();
    ck_assert_int_eq(sg_policy_classify(p, "amy.p2011@gmail.com"), SG_RCLASS_PUPIL_PERSONAL);
    ck_assert_int_eq(sg_policy_classify(p, "amy.pupil@pupils.northfield.sch.uk"), SG_RCLASS_PUPIL);
    ck_assert_int_eq(sg_policy_classify(p, "unknown.kid@pupils.northfield.sch.uk"), SG_RCLASS_PUPIL);
    ck_assert_int_eq(sg_policy_classify(p, "tomteach@gmail.com"), SG_RCLASS_EXTERNAL);
    sg_policy_unref(p);
}
END_TEST

static void expect_dir_error(const char *yaml_dir_block, const char *words)
{
    char path[] = "/tmp/sg-dirpol-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *fp = fdopen(fd, "w");
    fprintf(fp, "school:\n  name: T\n  staff_domains: [northfield.sch.uk]\n%s\n"
                "rules:\n  - id: r\n    category: offensive\n    match: {phrases: [x]}\n    action: reject\n    cite: c\n",
            yaml_dir_block);
    fclose(fp);
    char *errors = NULL;
    struct sg_policy *p = sg_policy_load(path, &errors);
    unlink(path);
    ck_assert_ptr_null(p);
    ck_assert_msg(errors && strstr(errors, words), "expected \"%s\" in: %s", words, errors ? errors : "");
    free(errors);
}

START_TEST(missing_file_and_column_are_errors)
{
    char block[4096];
    expect_dir_error("directory:\n  pupils: /nonexistent/pupils.csv", "directory file /nonexistent/pupils.csv: No such file");
    snprintf(block, sizeof(block), "directory:\n  staff: %s", sg_test_data("directory/staff-othercols.csv"));
    expect_dir_error(block, "no column \"Email\"");
    snprintf(block, sizeof(block), "directory:\n  staff: %s\n  columns:\n    staff: {name: Full Name, email: Mail, colour: x}",
             sg_test_data("directory/staff-othercols.csv"));
    expect_dir_error(block, "unknown key \"colour\" in staff");
}
END_TEST

START_TEST(mapped_columns_load)
{
    char path[] = "/tmp/sg-dirpol-XXXXXX";
    int fd = mkstemp(path);
    FILE *fp = fdopen(fd, "w");
    fprintf(fp, "school:\n  name: T\n  staff_domains: [northfield.sch.uk]\ndirectory:\n  staff: %s\n"
                "  columns:\n    staff: {name: Full Name, email: Mail}\n"
                "rules:\n  - id: r\n    category: offensive\n    match: {phrases: [x]}\n    action: reject\n    cite: c\n",
            sg_test_data("directory/staff-othercols.csv"));
    fclose(fp);
    char *errors = NULL;
    struct sg_policy *p = sg_policy_load(path, &errors);
    unlink(path);
    ck_assert_msg(p != NULL, "%s", errors ? errors : "");
    ck_assert_uint_eq(sg_directory_count(p->directory, false), 1);
    sg_policy_unref(p);
}
END_TEST

/* A policy naming the given directory block, in a fresh file; returns its
 * path (static) so that errors can be matched against it. */
static const char *write_dir_policy(const char *block)
{
    static char path[64];
    strcpy(path, "/tmp/sg-dirpol-XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *fp = fdopen(fd, "w");
    fprintf(fp, "school:\n  name: T\n  staff_domains: [northfield.sch.uk]\n%s\n"
                "rules:\n  - id: r\n    category: offensive\n    match: {phrases: [x]}\n    action: reject\n    cite: c\n",
            block);
    fclose(fp);
    return path;
}

static void expect_load_error(const char *block, const char *words)
{
    const char *path = write_dir_policy(block);
    char *errors = NULL;
    struct sg_policy *p = sg_policy_load(path, &errors);
    unlink(path);
    ck_assert_ptr_null(p);
    ck_assert_msg(errors && strstr(errors, words), "expected \"%s\" in: %s", words, errors ? errors : "");
    free(errors);
}

START_TEST(unbalanced_quote_reported_where_it_opened)
{
    char block[4096], words[4096];
    snprintf(block, sizeof(block), "directory:\n  pupils: %s", sg_test_data("directory/pupils-quote.csv"));
    snprintf(words, sizeof(words), "%s:3: a quote opened in the Forename column on this line is not closed",
             sg_test_data("directory/pupils-quote.csv"));
    expect_load_error(block, words);
    snprintf(block, sizeof(block), "directory:\n  pupils: %s", sg_test_data("directory/pupils-quote-eof.csv"));
    snprintf(words, sizeof(words), "%s:3: a quote opened in the Personal Emails column",
             sg_test_data("directory/pupils-quote-eof.csv"));
    expect_load_error(block, words);
    /* A closed multi-line field at the very end, without a final newline. */
    snprintf(block, sizeof(block), "directory:\n  pupils: %s", sg_test_data("directory/pupils-noeol.csv"));
    const char *path = write_dir_policy(block);
    char *errors = NULL;
    struct sg_policy *p = sg_policy_load(path, &errors);
    unlink(path);
    ck_assert_msg(p != NULL, "%s", errors ? errors : "");
    const struct sg_person *amy = sg_directory_lookup(p->directory, "amy2@gmail.com", NULL);
    ck_assert_ptr_nonnull(amy);
    sg_policy_unref(p);
}
END_TEST

START_TEST(every_mapped_column_must_exist)
{
    /* Each column key, mapped to a name the header lacks, is an error at
     * the mapping's own line:col. */
    const char *keys[] = {"name", "email", "personal_emails", "upn", "year", "school"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++) {
        char block[4096], words[256];
        snprintf(block, sizeof(block), "directory:\n  pupils: %s\n  columns:\n    pupils: {%s: Nope}",
                 sg_test_data("directory/pupils.csv"), keys[i]);
        const char *path = write_dir_policy(block);
        char *errors = NULL;
        ck_assert_ptr_null(sg_policy_load(path, &errors));
        unlink(path);
        snprintf(words, sizeof(words), "%s:7:%zu: column \"Nope\" is not in the header of", path, 16 + strlen(keys[i]));
        ck_assert_msg(errors && strstr(errors, words), "%s: expected \"%s\" in: %s", keys[i], words, errors);
        free(errors);
    }
    const char *rkeys[] = {"staff", "pupil", "relation"};
    for (size_t i = 0; i < 3; i++) {
        char block[4096], words[256];
        snprintf(block, sizeof(block), "directory:\n  relatives: %s\n  columns:\n    relatives: {%s: Nope}",
                 sg_test_data("directory/relatives.csv"), rkeys[i]);
        const char *path = write_dir_policy(block);
        char *errors = NULL;
        ck_assert_ptr_null(sg_policy_load(path, &errors));
        unlink(path);
        snprintf(words, sizeof(words), "%s:7:%zu: column \"Nope\" is not in the header of", path, 19 + strlen(rkeys[i]));
        ck_assert_msg(errors && strstr(errors, words), "%s: expected \"%s\" in: %s", rkeys[i], words, errors);
        free(errors);
    }
    /* A column key that the file does not have. */
    char block[4096];
    snprintf(block, sizeof(block), "directory:\n  staff: %s\n  columns:\n    staff: {upn: UPN}",
             sg_test_data("directory/staff.csv"));
    expect_load_error(block, ":7:13: staff has no upn column (valid keys: name, email, personal_emails, school)");
}
END_TEST

START_TEST(school_values_must_be_schools)
{
    char block[4096], words[4096];
    snprintf(block, sizeof(block), "schools:\n  - {id: NFA}\ndirectory:\n  pupils: %s",
             sg_test_data("directory/pupils.csv"));
    snprintf(words, sizeof(words), "%s:6: School \"SVP\" (column School) is not an id under schools: (NFA)",
             sg_test_data("directory/pupils.csv"));
    expect_load_error(block, words);
}
END_TEST

static void write_rows(const char *path, unsigned n)
{
    FILE *fp = fopen(path, "w");
    ck_assert_ptr_nonnull(fp);
    fprintf(fp, "Name,Email\n");
    for (unsigned i = 0; i < n; i++)
        fprintf(fp, "P%u,p%u@pupils.northfield.sch.uk\n", i, i);
    fclose(fp);
}

START_TEST(truncated_export_refused_on_reload)
{
    char csv[] = "/tmp/sg-shrink-XXXXXX";
    int fd = mkstemp(csv);
    close(fd);
    write_rows(csv, 100);
    char block[4096];
    snprintf(block, sizeof(block), "directory:\n  pupils: %s\n  columns: {pupils: {name: Name}}", csv);
    const char *path = write_dir_policy(block);
    char *errors = NULL;
    struct sg_policy *old = sg_policy_load(path, &errors);
    ck_assert_msg(old != NULL, "%s", errors ? errors : "");
    write_rows(csv, 60);                 /* 40% fewer: a normal change */
    struct sg_policy *p = sg_policy_load_with_previous(path, old, &errors);
    ck_assert_msg(p != NULL, "%s", errors ? errors : "");
    sg_policy_unref(p);
    write_rows(csv, 20);                 /* a truncated export */
    ck_assert_ptr_null(sg_policy_load_with_previous(path, old, &errors));
    char words[256];
    snprintf(words, sizeof(words), "%s:5:11: %s has 20 rows where the running directory has 100", path, csv);
    ck_assert_msg(strstr(errors, words), "expected \"%s\" in: %s", words, errors);
    free(errors);
    p = sg_policy_load(path, &errors);   /* at start-up nothing to compare with */
    ck_assert_msg(p != NULL, "%s", errors ? errors : "");
    sg_policy_unref(p);
    unlink(path);
    /* The policy may allow it. */
    snprintf(block, sizeof(block), "directory:\n  pupils: %s\n  columns: {pupils: {name: Name}}\n  max_shrink: 90%%", csv);
    path = write_dir_policy(block);
    p = sg_policy_load_with_previous(path, old, &errors);
    ck_assert_msg(p != NULL, "%s", errors ? errors : "");
    ck_assert_uint_eq(sg_directory_count(p->directory, true), 20);
    sg_policy_unref(p);
    unlink(path);
    sg_policy_unref(old);
    unlink(csv);
}
END_TEST

Suite *sg_suite_directory(void)
{
    Suite *s = suite_create("directory");
    TCase *tc = tcase_create("directory");
    tcase_add_test(tc, csv_rows_loaded_and_bad_rows_reported);
    tcase_add_test(tc, csv_quoted_bom_multiline);
    tcase_add_test(tc, lookup_normalises_addresses);
    tcase_add_test(tc, address_normalisation);
    tcase_add_test(tc, classification_uses_directory);
    tcase_add_test(tc, missing_file_and_column_are_errors);
    tcase_add_test(tc, mapped_columns_load);
    tcase_add_test(tc, unbalanced_quote_reported_where_it_opened);
    tcase_add_test(tc, every_mapped_column_must_exist);
    tcase_add_test(tc, school_values_must_be_schools);
    tcase_add_test(tc, truncated_export_refused_on_reload);
    suite_add_tcase(s, tc);
    return s;
}
