/* Runs every Check suite of the host tests and prints the totals. */
#include <stdio.h>
#include <stdlib.h>

#include "fixture.h"

/* One pass over every suite with the sim backend's ops table `ops`. */
static int run_pass(const struct axv_arch_ops *ops, int *failed)
{
    SRunner *sr = srunner_create(axv_transition_suite());

    axv_fx_ops = ops;
    srunner_add_suite(sr, axv_exit_suite());
    srunner_add_suite(sr, axv_runtime_suite());
    srunner_add_suite(sr, axv_sim_suite());
    srunner_add_suite(sr, axv_race_suite());
    srunner_add_suite(sr, axv_trace_suite());
    srunner_add_suite(sr, axv_handler_suite());
    srunner_add_suite(sr, axv_x86_decode_suite());
    printf("pass with the %s ops (%s):\n", ops->name,
           ops->trusted_exits ? "trusted exits: axv_vcpu_run's fast path" : "exits validated: the checked path");
    srunner_run_all(sr, CK_NORMAL);
    int total = srunner_ntests_run(sr);
    *failed += srunner_ntests_failed(sr);
    srunner_free(sr);
    return total;
}

int main(void)
{
    int failed = 0;

    printf("generated transition-coverage tests: %u (= %u states x %u events), plus %u arch-fault variants\n",
           axv_transition_test_count, axv_transition_test_count / AXV_EVENT__COUNT, AXV_EVENT__COUNT,
           axv_transition_fault_count);
    int total = run_pass(&axv_sim_ops, &failed);
    total += run_pass(&axv_sim_trusted_ops, &failed);
    printf("Check totals: %d run, %d passed, %d failed\n", total, total - failed, failed);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
