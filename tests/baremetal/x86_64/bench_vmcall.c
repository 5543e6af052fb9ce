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
#include "guest_boot.h"

#define ITERATIONS 10000u
#define GUEST_LOOP 4u /* mov, vmcall, dec, jnz: the guest's own share */
#define MINIMAL_SWITCH 61u /* 15 GPRs pushed and popped, RIP += 3, VMRESUME (the figure) */

static const struct bm_backend be = {&axv_x86_64_ops, BM_X86_GUEST_CALL_FAIL, axv_x86_64_get_rip};

/* Instructions per round trip, through the public API or (raw) the backend's ops alone. */
static uint64_t measure_x100(bool raw)
{
    struct bm_vmm *m = bm_vmm_start(&be, "vmcall_bench", NULL, &bm_x86_guest_boot);
    struct axv_vcpu *v = &m->v[0];
    struct axv_exit e;
    uint64_t calls = 0, ticks = 0;

    /* The VMM loop being measured: as small as a real one. */
    for (;;) {
        if (raw)
            BM_CHECK_OK(axv_x86_64_ops.run(v, &e));
        else
            BM_CHECK_OK(axv_vcpu_run(v, &e));
        if (e.kind != AXV_EXIT_HYPERCALL)
            break;
        if (e.u.hypercall.nr == 0x51) {
            ticks = e.u.hypercall.args[0];
            continue;
        }
        calls++;
        if (raw)
            axv_x86_64_ops.set_return_value(v, 0);
        else
            axv_vcpu_set_return_value(v, 0);
    }
    BM_CHECK_EXIT(&e, AXV_EXIT_SYSTEM_DOWN);
    BM_CHECK_EQ(calls, ITERATIONS);
    return ticks * 100u / ITERATIONS;
}

static uint64_t api_x100;

BM_TEST(bench_vmcall_round_trip)
{
    api_x100 = measure_x100(false);
}

BM_TEST(bench_vmcall_round_trip_ops_only)
{
    uint64_t api = api_x100, ops = measure_x100(true);
    bm_printf("x86_64 vmcall round trip: %llu.%02llu instructions through axv_vcpu_run, %llu.%02llu through the "
              "backend's ops alone (guest loop %u of them; %u calls each); minimal switch %u: ratio %llu.%02llu "
              "(target <= 120 instructions)\n",
              (unsigned long long)(api / 100), (unsigned long long)(api % 100), (unsigned long long)(ops / 100),
              (unsigned long long)(ops % 100), GUEST_LOOP, ITERATIONS, MINIMAL_SWITCH,
              (unsigned long long)(api / MINIMAL_SWITCH / 100), (unsigned long long)(api / MINIMAL_SWITCH % 100));
}
#endif
