/*
 * make bench-riscv64, the harness's baseline: instructions per ecall round
 * trip through the harness's minimal VS entry (vs_run.S: every GPR saved
 * and restored, no VS CSRs, no FP), the floor a backend's world switch
 * compares with. Built only into the bench image, run under
 * -icount shift=0: one instruction is one nanosecond of virtual time, and
 * the time CSR ticks at 10 MHz (100 instructions per tick).
 */
#ifdef BM_BENCH
#include "bm.h"
#include "bm_arch.h"
#include "bm_test.h"
#include "bm_vm.h"
#include "gstage.h"
#include "vs_run.h"

#define ITERATIONS 100000u
#define INSN_ECALL 0x00000073u
#define INSN_J_BACK 0xffdff06fu /* j .-4 */

static struct bm_vm vm;
static struct bm_rv_vs vs;

static void bench_cleanup(void *arg)
{
    (void)arg;
    bm_arch_trap_recover();
    bm_vm_destroy(&vm);
}

BM_TEST(bench_vs_minimal_round_trip)
{
    bm_cleanup(bench_cleanup, NULL);
    BM_CHECK_EQ(bm_vm_create(&vm, "nop", 0), 0);
    uint32_t *code = bm_vm_ptr(&vm, 0x80100000, 8);
    code[0] = INSN_ECALL;
    code[1] = INSN_J_BACK;
    bm_sync_guest_memory((uintptr_t)code, 8);
    memset(&vs, 0, sizeof(vs));
    vs.pc = 0x80100000;
    bm_csrw(vsatp, 0);
    bm_csrw(hgatp, bm_gs_hgatp(vm.npt.levels, vm.npt.root, 1));
    __asm__ volatile("hfence.gvma zero, zero" : : : "memory");

    bm_rv_vs_run(&vs); /* warm up */
    BM_CHECK_EQ(vs.scause, 10);
    uint64_t t0 = bm_csrr(time);
    for (unsigned i = 0; i < ITERATIONS; i++) {
        vs.pc += 4; /* over the ecall to the j, back to the ecall */
        bm_rv_vs_run(&vs);
    }
    uint64_t ticks = bm_csrr(time) - t0;
    BM_CHECK_EQ(vs.scause, 10);
    BM_CHECK_EQ(vs.pc, 0x80100000);
    uint64_t insns = ticks * (1000000000u / BM_RV_TIMEBASE_HZ); /* under -icount shift=0 */
    bm_printf("bench: minimal VS entry (harness vs_run.S): %llu instructions per ecall round trip "
              "(%u round trips, %llu time ticks; exact only under -icount shift=0)\n",
              (unsigned long long)(insns / ITERATIONS), ITERATIONS, (unsigned long long)ticks);
}
#endif /* BM_BENCH */
