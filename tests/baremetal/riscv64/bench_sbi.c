/*
 * make bench (riscv64): instructions per SBI-call round trip through
 * axv_vcpu_run (guest ecall -> exit -> this VMM loop -> return value ->
 * re-entry). Built only into the bench image, run under -icount shift=0:
 * one instruction is one nanosecond of virtual time and the time CSR
 * ticks at 10 MHz, so one tick is 100 instructions.
 */
#ifdef BM_BENCH
#include "axv/riscv64.h"
#include "bm.h"
#include "bm_arch.h"
#include "bm_bench.h"
#include "bm_test.h"
#include "bm_vm.h"
#include "bm_vmm.h"

#define ITERATIONS 100000u
#define MINIMAL_SWITCH 161u /* a hand-written minimal full switch, per the issue */

static const struct bm_backend be = {&axv_riscv64_ops, 0x0900000100000000u, axv_riscv64_get_pc};

/* time ticks over ITERATIONS round trips -> instructions per round trip, x100. */
static uint64_t insns_x100(uint64_t ticks)
{
    return ticks * (1000000000u / BM_RV_TIMEBASE_HZ) * 100u / ITERATIONS;
}

BM_TEST(bench_sbi_round_trip)
{
    struct bm_vmm *m = bm_vmm_start(&be, "sbi_bench", NULL, NULL);
    struct axv_exit e;
    uint64_t ticks = 0;
    /* The report: FID 1 (nr = EID << 32 | FID). */
    uint64_t calls = bm_bench_loop(&m->v[0], &e, 0xffffffffu, 1, NULL, &ticks);

    BM_CHECK_EXIT(&e, AXV_EXIT_SYSTEM_DOWN);
    BM_CHECK_EQ(calls, ITERATIONS);
    bm_printf("riscv64 bench: time %llu ticks at %llu Hz over %u calls\n", (unsigned long long)ticks,
              (unsigned long long)BM_RV_TIMEBASE_HZ, ITERATIONS);
    bm_bench_report("riscv64 sbi round trip, VMM loop (run + set_return_value)", insns_x100(ticks), MINIMAL_SWITCH,
                    "<= 1.25, <= 200 instructions");
}

/* The same VMM work as the vCPU's exit handler: every call answered inside
 * one axv_vcpu_run, as KVM answers exits in the kernel. */
BM_TEST(bench_sbi_round_trip_handled)
{
    struct bm_bench_count c = {.report_mask = 0xffffffffu, .report = 1};
    struct bm_vmm *m = bm_vmm_start_handled(&be, "sbi_bench", NULL, NULL, bm_bench_handler, &c);
    struct axv_exit e;

    BM_CHECK_OK(axv_vcpu_run(&m->v[0], &e));
    BM_CHECK_EXIT(&e, AXV_EXIT_SYSTEM_DOWN);
    BM_CHECK_EQ(c.calls, ITERATIONS);
    bm_bench_report("riscv64 sbi round trip, exit handler (one run)", insns_x100(c.ticks), MINIMAL_SWITCH,
                    "<= 1.25, <= 200 instructions");
}
#endif
