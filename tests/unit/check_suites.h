/* check_suites.h - one suite per engine module. */
#ifndef CHECK_SUITES_H
#define CHECK_SUITES_H

#include <check.h>

Suite *sg_suite_config(void);
Suite *sg_suite_verdict(void);
Suite *sg_suite_mime(void);
Suite *sg_suite_text(void);
Suite *sg_suite_directory(void);
Suite *sg_suite_detectors(void);
Suite *sg_suite_milter(void);
Suite *sg_suite_pool(void);
Suite *sg_suite_identifiers(void);
Suite *sg_suite_content(void);
Suite *sg_suite_pupil_names(void);
Suite *sg_suite_extract(void);
Suite *sg_suite_people2(void);
Suite *sg_suite_override(void);
Suite *sg_suite_footer(void);
Suite *sg_suite_store(void);
Suite *sg_suite_notice(void);
Suite *sg_suite_image(void);
Suite *sg_suite_logo(void);

/* Loads a policy written as text (from a temporary file, removed again);
 * path, when not NULL, receives the file's name (at least 64 bytes), as
 * errors name it. */
struct sg_policy;
struct sg_policy *sg_test_load_yaml(const char *text, char **errors, char *path);

/* A policy of school t.sch.uk and one rule: "match: <match>" is YAML
 * (flow style), e.g. "{lexicon: {terms: [x]}}". Fails the test when it
 * does not load. */
struct sg_policy *sg_test_one_rule(const char *id, const char *category, const char *action, const char *match);

/* Evaluates raw (a whole RFC 5322 message) from x@t.sch.uk (outbound)
 * to rcpt; the evidence of rule when it hit (caller frees), else NULL. */
char *sg_test_rule_evidence(const struct sg_policy *p, const char *raw, const char *rcpt, const char *rule);

/* Evaluates raw as sg_test_rule_evidence does, into v (initialised here;
 * the caller clears it), errors and all. */
struct sg_verdict;
void sg_test_judge(const struct sg_policy *p, const char *raw, const char *rcpt, struct sg_verdict *v);

/* Path of a file under tests/data (static buffer). */
const char *sg_test_data(const char *rel);

#endif
