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
#include "bm_test.h"
#include "bm_vm.h"
#include "bm_vmm.h"

#define ITERATIONS 100000u
#define MINIMAL_SWITCH 161u /* a hand-written minimal full switch, per the issue */

static const struct bm_backend be = {&axv_riscv64_ops, 0x0900000100000000u, axv_riscv64_get_pc};

BM_TEST(bench_sbi_round_trip)
{
    struct bm_vmm *m = bm_vmm_start(&be, "sbi_bench", NULL, NULL);
    struct axv_vcpu *v = &m->v[0];
    struct axv_exit e;
    uint64_t calls = 0, ticks = 0;

    /* The VMM loop being measured: as small as a real one. */
    for (;;) {
        BM_CHECK_OK(axv_vcpu_run(v, &e));
        if (e.kind != AXV_EXIT_HYPERCALL)
            break;
        if ((e.u.hypercall.nr & 0xffffffffu) == 1) {
            ticks = e.u.hypercall.args[0];
            continue;
        }
        calls++;
        axv_vcpu_set_return_value(v, 0);
    }
    BM_CHECK_EXIT(&e, AXV_EXIT_SYSTEM_DOWN);
    BM_CHECK_EQ(calls, ITERATIONS);
    uint64_t insns_x100 = ticks * (1000000000u / BM_RV_TIMEBASE_HZ) * 100u / ITERATIONS;
    bm_printf("riscv64 sbi round trip: %llu.%02llu instructions (time %llu ticks at %llu Hz over %u calls); "
              "minimal switch %u: ratio %llu.%02llu (target <= 1.25, <= 200 instructions)\n",
              (unsigned long long)(insns_x100 / 100), (unsigned long long)(insns_x100 % 100),
              (unsigned long long)ticks, (unsigned long long)BM_RV_TIMEBASE_HZ, ITERATIONS, MINIMAL_SWITCH,
              (unsigned long long)(insns_x100 / MINIMAL_SWITCH / 100),
              (unsigned long long)(insns_x100 / MINIMAL_SWITCH % 100));
}
#endif
