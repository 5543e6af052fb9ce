/* The benchmarks' report line (bm_bench.h); bm_printf has no %f. */
#include "bm.h"
#include "bm_bench.h"

void bm_bench_report(const char *label, uint64_t insns_x100, unsigned minimal_switch, const char *target)
{
    uint64_t ratio_x100 = insns_x100 / minimal_switch;

    bm_printf("%s: %llu.%02llu instructions; minimal switch %u: ratio %llu.%02llu (target %s)\n", label,
              (unsigned long long)(insns_x100 / 100), (unsigned long long)(insns_x100 % 100), minimal_switch,
              (unsigned long long)(ratio_x100 / 100), (unsigned long long)(ratio_x100 % 100), target);
}

struct axv_exit_verdict bm_bench_handler(void *ctx, struct axv_vcpu *v, const struct axv_exit *e)
{
    struct bm_bench_count *c = ctx;
    (void)v;

    if (e->kind != AXV_EXIT_HYPERCALL)
        return axv_exit_deliver();
    if ((e->u.hypercall.nr & c->report_mask) == c->report) {
        c->ticks = e->u.hypercall.args[0];
        return axv_exit_resume();
    }
    c->calls++;
    return axv_exit_answer(0);
}
