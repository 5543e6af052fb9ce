/*
 * make bench (x86_64): instructions per VMCALL round trip through
 * axv_vcpu_run (guest VMCALL -> exit -> this VMM loop -> return value ->
 * re-entry), counted by Bochs' TSC (one tick per emulated instruction,
 * guest and host together; VMLAUNCH/VMRESUME and the exit count as one
 * each, so this is the software path, not hardware latency).
 */
#ifdef BM_BENCH
#include "axv/x86_64.h"
#include "bm.h"
#include "bm_arch.h"
#include "bm_test.h"
#include "bm_vm.h"
#include "bm_vmm.h"

#define ITERATIONS 10000u
#define GUEST_LOOP 4u /* mov, vmcall, dec, jnz: the guest's own share */

static const struct bm_backend be = {&axv_x86_64_ops, BM_X86_GUEST_CALL_FAIL, axv_x86_64_get_rip};

BM_TEST(bench_vmcall_round_trip)
{
    static const struct axv_x86_64_setup boot = {
        .cr3 = BM_X86_GUEST_CR3,
        .rsp = BM_GUEST_RAM_BASE + BM_GUEST_RAM_DEFAULT,
        .gdtr_base = BM_X86_GUEST_GDT,
        .gdtr_limit = BM_X86_GUEST_GDT_LIMIT,
        .tr_selector = BM_X86_GUEST_SEL_TSS,
        .tr_base = BM_X86_GUEST_TSS,
    };
    struct bm_vmm *m = bm_vmm_start(&be, "vmcall_bench", NULL, &boot);
    struct axv_vcpu *v = &m->v[0];
    struct axv_exit e;
    uint64_t calls = 0, ticks = 0;

    /* The VMM loop being measured: as small as a real one. */
    for (;;) {
        BM_CHECK_OK(axv_vcpu_run(v, &e));
        if (e.kind != AXV_EXIT_HYPERCALL)
            break;
        if (e.u.hypercall.nr == 0x51) {
            ticks = e.u.hypercall.args[0];
            continue;
        }
        calls++;
        axv_vcpu_set_return_value(v, 0);
    }
    BM_CHECK_EXIT(&e, AXV_EXIT_SYSTEM_DOWN);
    BM_CHECK_EQ(calls, ITERATIONS);
    uint64_t x100 = ticks * 100u / ITERATIONS;
    bm_printf("x86_64 vmcall round trip: %llu.%02llu instructions (guest loop %u of them; %llu ticks over %u calls)\n",
              (unsigned long long)(x100 / 100), (unsigned long long)(x100 % 100), GUEST_LOOP,
              (unsigned long long)ticks, ITERATIONS);
}
#endif
