/* Runs every Check suite of the host tests and prints the totals. */
#include <stdio.h>
#include <stdlib.h>

#include "fixture.h"

int main(void)
{
    SRunner *sr = srunner_create(axv_transition_suite());

    srunner_add_suite(sr, axv_exit_suite());
    srunner_add_suite(sr, axv_runtime_suite());
    srunner_add_suite(sr, axv_sim_suite());
    srunner_add_suite(sr, axv_race_suite());
    srunner_add_suite(sr, axv_trace_suite());
    srunner_add_suite(sr, axv_x86_decode_suite());

    printf("generated transition-coverage tests: %u (= %u states x %u events), plus %u arch-fault variants\n",
           axv_transition_test_count, axv_transition_test_count / AXV_EVENT__COUNT, AXV_EVENT__COUNT,
           axv_transition_fault_count);
    srunner_run_all(sr, CK_NORMAL);
    int total = srunner_ntests_run(sr);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    printf("Check totals: %d run, %d passed, %d failed\n", total, total - failed, failed);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
