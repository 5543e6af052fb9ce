/*
 * The hypercall round-trip benchmarks' shared parts (make bench-ARCH): the
 * VMM loop they measure and their report line.
 */
#ifndef BM_BENCH_H
#define BM_BENCH_H

#include <stdint.h>

#include "axv/axv.h"
#include "bm_test.h"

/*
 * The VMM loop being measured, as small as a real one: runs v until an
 * exit that is not a hypercall, answers each hypercall with 0, and takes
 * the guest's elapsed ticks (args[0]) from its report hypercall, the one
 * whose nr & report_mask is report. raw non-NULL: through that backend's
 * ops alone, without the runtime. Returns the calls answered; *e is the
 * exit that ended the loop.
 */
static inline __attribute__((always_inline)) uint64_t bm_bench_loop(struct axv_vcpu *v, struct axv_exit *e,
                                                                   uint64_t report_mask, uint64_t report,
                                                                   const struct axv_arch_ops *raw, uint64_t *ticks)
{
    uint64_t calls = 0;

    for (;;) {
        BM_CHECK_OK(raw ? raw->run(v, e) : axv_vcpu_run(v, e));
        if (e->kind != AXV_EXIT_HYPERCALL)
            return calls;
        if ((e->u.hypercall.nr & report_mask) == report) {
            *ticks = e->u.hypercall.args[0];
            continue;
        }
        calls++;
        if (raw)
            raw->set_return_value(v, 0);
        else
            axv_vcpu_set_return_value(v, 0);
    }
}

/* What bm_bench_handler counts: its context. */
struct bm_bench_count {
    uint64_t report_mask, report;          /* as bm_bench_loop's */
    uint64_t calls, ticks;
};

/*
 * bm_bench_loop's work as the vCPU's exit handler (axv_vcpu_config.on_exit,
 * ctx a struct bm_bench_count): each hypercall answered with 0 inside the
 * run, the report taken, any other exit delivered.
 */
struct axv_exit_verdict bm_bench_handler(void *ctx, struct axv_vcpu *v, const struct axv_exit *e);

/* "LABEL: N.NN instructions; minimal switch M: ratio R.RR (target TARGET)". */
void bm_bench_report(const char *label, uint64_t insns_x100, unsigned minimal_switch, const char *target);

#endif /* BM_BENCH_H */
