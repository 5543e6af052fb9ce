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
#include "bm_test.h"
#include "bm_vm.h"
#include "bm_vmm.h"

#define ITERATIONS 100000u
#define MINIMAL_SWITCH 96u /* a hand-written switch saving all GPRs and EL1 state, per the issue */

static const struct bm_backend be = {&axv_aarch64_ops, 0xc6000001u, axv_aarch64_get_pc};

BM_TEST(bench_hvc_round_trip)
{
    struct bm_vmm *m = bm_vmm_start(&be, "hvc_bench", NULL, NULL);
    struct axv_vcpu *v = &m->v[0];
    struct axv_exit e;
    uint64_t calls = 0, ticks = 0;

    /* The VMM loop being measured: as small as a real one. */
    for (;;) {
        BM_CHECK_OK(axv_vcpu_run(v, &e));
        if (e.kind != AXV_EXIT_HYPERCALL)
            break;
        if (e.u.hypercall.nr == 0xc6000200u) {
            ticks = e.u.hypercall.args[0];
            continue;
        }
        calls++;
        axv_vcpu_set_return_value(v, e.u.hypercall.nr + 1);
    }
    BM_CHECK_EXIT(&e, AXV_EXIT_SYSTEM_DOWN);
    BM_CHECK_EQ(calls, ITERATIONS);
    uint64_t freq = bm_a64_cntfrq();
    uint64_t insns_x100 = ticks * (1000000000u / freq) * 100u / ITERATIONS;
    bm_printf("aarch64 hvc round trip: %llu.%02llu instructions (CNTVCT %llu ticks at %llu Hz over %u calls); "
              "minimal switch %u: ratio %llu.%02llu (target <= 1.35, <= 130 instructions)\n",
              (unsigned long long)(insns_x100 / 100), (unsigned long long)(insns_x100 % 100),
              (unsigned long long)ticks, (unsigned long long)freq, ITERATIONS, MINIMAL_SWITCH,
              (unsigned long long)(insns_x100 / MINIMAL_SWITCH / 100),
              (unsigned long long)(insns_x100 / MINIMAL_SWITCH % 100));
}
#endif
