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

#define ITERATIONS 100000u
#define MINIMAL_SWITCH 161u /* a hand-written minimal full switch, per the issue */

static struct bm_vm vm;
static struct axv_percpu pc;
static struct axv_vcpu v;

static void bench_cleanup(void *arg)
{
    (void)arg;
    if (axv_vcpu_state(&v) == AXV_VCPU_READY)
        axv_vcpu_unbind(&v);
    axv_vcpu_destroy(&v);
    if (pc.flags)
        axv_percpu_fini(&pc);
    bm_vm_destroy(&vm);
}

BM_TEST(bench_sbi_round_trip)
{
    struct axv_vcpu_config vc = {.vm_id = 1};
    struct axv_exit e;
    uint64_t calls = 0, ticks = 0;

    memset(&v, 0, sizeof(v));
    memset(&pc, 0, sizeof(pc));
    bm_cleanup(bench_cleanup, NULL);
    BM_CHECK_EQ(bm_vm_create(&vm, "sbi_bench", 0), 0);
    BM_CHECK_OK(axv_percpu_init(&pc, 0, &axv_riscv64_ops, bm_hal()));
    BM_CHECK_OK(axv_percpu_enable(&pc));
    BM_CHECK_OK(axv_vcpu_create(&v, &vc, &axv_riscv64_ops, bm_hal()));
    BM_CHECK_OK(axv_vcpu_setup(&v, vm.entry, &vm.npt, NULL));
    BM_CHECK_OK(axv_vcpu_bind(&v));
    for (;;) {
        BM_CHECK_OK(axv_vcpu_run(&v, &e));
        if (e.kind != AXV_EXIT_HYPERCALL)
            break;
        if ((e.u.hypercall.nr & 0xffffffffu) == 1) {
            ticks = e.u.hypercall.args[0];
            continue;
        }
        calls++;
        axv_vcpu_set_return_value(&v, 0);
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
