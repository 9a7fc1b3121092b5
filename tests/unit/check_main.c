/*
 * check_main.c - runs every engine suite; Check prints the summary line
 * CI reads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include "sg_policy.h"
#include "check_suites.h"
#include "sg_message.h"
#include "sg_engine.h"

const char *sg_test_data(const char *rel)
{
    static __thread char path[4096];
    snprintf(path, sizeof(path), "%s/tests/data/%s", SRCDIR, rel);
    return path;
}

struct sg_policy *sg_test_load_yaml(const char *text, char **errors, char *path)
{
    char tmp[64] = "/tmp/sg-policy-XXXXXX";
    int fd = mkstemp(tmp);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    struct sg_policy *p = sg_policy_load(tmp, errors);
    unlink(tmp);
    if (path)
        memcpy(path, tmp, sizeof(tmp));
    return p;
}

struct sg_policy *sg_test_one_rule(const char *id, const char *category, const char *action, const char *match)
{
    struct sg_buf y = {0};
    sg_buf_printf(&y, "school:\n  name: T\n  staff_domains: [t.sch.uk]\n"
                      "rules:\n  - id: %s\n    category: %s\n    action: %s\n    cite: c\n"
                      "    match: %s\n", id, category, action, match);
    char *errors = NULL;
    struct sg_policy *p = sg_test_load_yaml(y.data, &errors, NULL);
    sg_buf_free(&y);
    ck_assert_msg(p != NULL, "%s", errors ? errors : "");
    free(errors);
    return p;
}

void sg_test_judge(const struct sg_policy *p, const char *raw, const char *rcpt, struct sg_verdict *v)
{
    struct sg_message_limits lim = p->limits.msg;
    char err[128];
    struct sg_message *m = sg_message_parse_mem(raw, strlen(raw), &lim, err, sizeof(err));
    ck_assert_ptr_nonnull(m);
    char **rcpts = sg_strv_push(sg_xcalloc(1, sizeof(char *)), rcpt);
    struct sg_envelope env = {.mail_from = "x@t.sch.uk", .rcpts = rcpts, .client_addr = "10.1.2.3",
                              .when = 1795600800};
    sg_verdict_init(v, 1);
    sg_engine_evaluate(p, &env, m, v);
    sg_strv_free(rcpts);
    sg_message_free(m);
}

char *sg_test_rule_evidence(const struct sg_policy *p, const char *raw, const char *rcpt, const char *rule)
{
    struct sg_verdict v;
    sg_test_judge(p, raw, rcpt, &v);
    ck_assert_msg(!v.error, "engine error: %s", v.error);
    char *ev = NULL;
    for (size_t i = 0; i < v.nhits; i++)
        if (!strcmp(v.hits[i].rule->id, rule))
            ev = sg_xstrdup(v.hits[i].evidence ? v.hits[i].evidence : "");
    sg_verdict_clear(&v);
    return ev;
}

/* The example policy's lists take Hyperscan seconds to compile, and many
 * tests load it: one cache for the run (policy/hscache.c), removed after. */
static char hs_cache[64];
static pid_t hs_cache_owner;

static void remove_hs_cache(void)
{
    /* Check forks a child per test, and children run atexit too. */
    if (getpid() != hs_cache_owner)
        return;
    DIR *d = opendir(hs_cache);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
            continue;
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", hs_cache, e->d_name);
        unlink(path);
    }
    if (d)
        closedir(d);
    rmdir(hs_cache);
}

int main(void)
{
    sg_message_init_library();
    if (!getenv("SAFEGUARD_HS_CACHE")) {
        snprintf(hs_cache, sizeof(hs_cache), "/tmp/sg-hs-XXXXXX");
        if (mkdtemp(hs_cache)) {
            setenv("SAFEGUARD_HS_CACHE", hs_cache, 1);
            hs_cache_owner = getpid();
            atexit(remove_hs_cache);
        }
    }
    /* Compiled once here, outside any test's time limit. */
    char *errors = NULL;
    struct sg_policy *warm = sg_policy_load(SRCDIR "/contrib/example-policy.yaml", &errors);
    if (warm)
        sg_policy_unref(warm);
    free(errors);
    SRunner *sr = srunner_create(sg_suite_config());
    srunner_add_suite(sr, sg_suite_verdict());
    srunner_add_suite(sr, sg_suite_mime());
    srunner_add_suite(sr, sg_suite_text());
    srunner_add_suite(sr, sg_suite_directory());
    srunner_add_suite(sr, sg_suite_detectors());
    srunner_add_suite(sr, sg_suite_milter());
    srunner_add_suite(sr, sg_suite_pool());
    srunner_add_suite(sr, sg_suite_identifiers());
    srunner_add_suite(sr, sg_suite_content());
    srunner_add_suite(sr, sg_suite_pupil_names());
    srunner_add_suite(sr, sg_suite_extract());
    srunner_add_suite(sr, sg_suite_people2());
    srunner_add_suite(sr, sg_suite_override());
    srunner_add_suite(sr, sg_suite_footer());
    srunner_add_suite(sr, sg_suite_store());
    srunner_add_suite(sr, sg_suite_notice());
    srunner_add_suite(sr, sg_suite_image());
    srunner_add_suite(sr, sg_suite_logo());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
