/*
 * check_main.c - runs every engine suite; Check prints the summary line
 * CI reads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sg_policy.h"
#include "check_suites.h"
#include "sg_message.h"

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

int main(void)
{
    sg_message_init_library();
    SRunner *sr = srunner_create(sg_suite_config());
    srunner_add_suite(sr, sg_suite_verdict());
    srunner_add_suite(sr, sg_suite_mime());
    srunner_add_suite(sr, sg_suite_text());
    srunner_add_suite(sr, sg_suite_directory());
    srunner_add_suite(sr, sg_suite_detectors());
    srunner_add_suite(sr, sg_suite_milter());
    srunner_add_suite(sr, sg_suite_pool());
    srunner_add_suite(sr, sg_suite_identifiers());
    srunner_add_suite(sr, sg_suite_extract());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
