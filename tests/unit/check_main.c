/*
 * check_main.c - runs every engine suite; Check prints the summary line
 * CI reads.
 */
#include <stdio.h>
#include <stdlib.h>
#include "check_suites.h"
#include "sg_message.h"

const char *sg_test_data(const char *rel)
{
    static __thread char path[4096];
    snprintf(path, sizeof(path), "%s/tests/data/%s", SRCDIR, rel);
    return path;
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
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
