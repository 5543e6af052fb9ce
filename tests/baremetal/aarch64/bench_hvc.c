/*
 * make bench (aarch64): instructions per hypercall round trip through
 * axv_vcpu_run (guest HVC -> exit -> this VMM loop -> return value ->
 * re-entry). Built only into the bench image, run under -icount shift=0:
 * one instruction is one nanosecond of virtual time, so the guest's CNTVCT
 * delta (at CNTFRQ) converts to instructions.
 */
#ifdef BM_BENCH
#include "axv/aarch64.h"
#include "bm.h"
#include "bm_arch.h"
#include "bm_bench.h"
#include "bm_test.h"
#include "bm_vm.h"
#include "bm_vmm.h"

#define ITERATIONS 100000u
#define MINIMAL_SWITCH 96u /* a hand-written switch saving all GPRs and EL1 state, per the issue */

static const struct bm_backend be = {&axv_aarch64_ops, 0xc6000001u, axv_aarch64_get_pc};

/* CNTVCT ticks over ITERATIONS round trips -> instructions per round trip, x100. */
static uint64_t insns_x100(uint64_t ticks)
{
    return ticks * (1000000000u / bm_a64_cntfrq()) * 100u / ITERATIONS;
}

BM_TEST(bench_hvc_round_trip)
{
    struct bm_vmm *m = bm_vmm_start(&be, "hvc_bench", NULL, NULL);
    struct axv_exit e;
    uint64_t ticks = 0;
    uint64_t calls = bm_bench_loop(&m->v[0], &e, ~UINT64_C(0), 0xc6000200u, NULL, &ticks);

    BM_CHECK_EXIT(&e, AXV_EXIT_SYSTEM_DOWN);
    BM_CHECK_EQ(calls, ITERATIONS);
    bm_printf("aarch64 bench: CNTVCT %llu ticks at %llu Hz over %u calls\n", (unsigned long long)ticks,
              (unsigned long long)bm_a64_cntfrq(), ITERATIONS);
    bm_bench_report("aarch64 hvc round trip, VMM loop (run + set_return_value)", insns_x100(ticks), MINIMAL_SWITCH,
                    "<= 1.35, <= 130 instructions");
}

/* The same VMM work as the vCPU's exit handler: every hypercall answered
 * inside one axv_vcpu_run, as KVM answers exits in the kernel. */
BM_TEST(bench_hvc_round_trip_handled)
{
    struct bm_bench_count c = {.report_mask = ~UINT64_C(0), .report = 0xc6000200u};
    struct bm_vmm *m = bm_vmm_start_handled(&be, "hvc_bench", NULL, NULL, bm_bench_handler, &c);
    struct axv_exit e;

    BM_CHECK_OK(axv_vcpu_run(&m->v[0], &e));
    BM_CHECK_EXIT(&e, AXV_EXIT_SYSTEM_DOWN);
    BM_CHECK_EQ(c.calls, ITERATIONS);
    bm_bench_report("aarch64 hvc round trip, exit handler (one run)", insns_x100(c.ticks), MINIMAL_SWITCH,
                    "<= 1.35, <= 130 instructions");
}
#endif
