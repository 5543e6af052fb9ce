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
#include "bm_bench.h"
#include "bm_test.h"
#include "bm_vm.h"
#include "bm_vmm.h"
#include "guest_boot.h"

#define ITERATIONS 10000u
#define GUEST_LOOP 4u /* mov, vmcall, dec, jnz: the guest's own share */
#define MINIMAL_SWITCH 61u /* 15 GPRs pushed and popped, RIP += 3, VMRESUME (the figure) */

static const struct bm_backend be = {&axv_x86_64_ops, BM_X86_GUEST_CALL_FAIL, axv_x86_64_get_rip};

/* Instructions per round trip, x100: through the public API, or (raw) the
 * backend's ops alone. Inlined: each caller's loop has no test of raw. */
static inline __attribute__((always_inline)) uint64_t measure_x100(bool raw)
{
    struct bm_vmm *m = bm_vmm_start(&be, "vmcall_bench", NULL, &bm_x86_guest_boot);
    struct axv_exit e;
    uint64_t ticks = 0;
    uint64_t calls = bm_bench_loop(&m->v[0], &e, ~UINT64_C(0), 0x51, raw ? &axv_x86_64_ops : NULL, &ticks);

    BM_CHECK_EXIT(&e, AXV_EXIT_SYSTEM_DOWN);
    BM_CHECK_EQ(calls, ITERATIONS);
    return ticks * 100u / ITERATIONS;
}

static uint64_t api_x100;

BM_TEST(bench_vmcall_round_trip)
{
    api_x100 = measure_x100(false);
}

static uint64_t handled_x100;

/* The same VMM work as the vCPU's exit handler: every call answered inside
 * one axv_vcpu_run, as KVM answers exits in the kernel. */
BM_TEST(bench_vmcall_round_trip_handled)
{
    struct bm_bench_count c = {.report_mask = ~UINT64_C(0), .report = 0x51};
    struct bm_vmm *m = bm_vmm_start_handled(&be, "vmcall_bench", NULL, &bm_x86_guest_boot, bm_bench_handler, &c);
    struct axv_exit e;

    BM_CHECK_OK(axv_vcpu_run(&m->v[0], &e));
    BM_CHECK_EXIT(&e, AXV_EXIT_SYSTEM_DOWN);
    BM_CHECK_EQ(c.calls, ITERATIONS);
    handled_x100 = c.ticks * 100u / ITERATIONS;
}

BM_TEST(bench_vmcall_round_trip_ops_only)
{
    uint64_t ops = measure_x100(true);
    bm_printf("x86_64 bench: Bochs TSC over %u calls each; the guest loop is %u of each round trip\n", ITERATIONS,
              GUEST_LOOP);
    bm_bench_report("x86_64 vmcall round trip (backend's ops alone)", ops, MINIMAL_SWITCH, "none: for comparison");
    bm_bench_report("x86_64 vmcall round trip, VMM loop (run + set_return_value)", api_x100, MINIMAL_SWITCH,
                    "<= 120 instructions");
    bm_bench_report("x86_64 vmcall round trip, exit handler (one run)", handled_x100, MINIMAL_SWITCH,
                    "<= 120 instructions");
}
#endif
