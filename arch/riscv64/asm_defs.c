/* Compiled with -S only: "->NAME value" lines become asm_defs.h for switch.S. */
#include <stddef.h>

#include "axv/asm_exit.h"
#include "axv/gen/riscv64_calls.h"
#include "axv/gen/riscv64_exits.h"
#include "axv/gen/riscv64_sysregs.h"
#include "axv/vcpu.h"
#include "context.h"

/* The exit path tests a7 >> SHIFT == FIRST >> SHIFT (two instructions, not
 * four): the vendor range must be one aligned power-of-two block of EIDs
 * below 2^32 (nr keeps the EID's low 32 bits). */
#define RV_EID_COUNT (AXV_RISCV64_HYPERCALL_EID_LAST - AXV_RISCV64_HYPERCALL_EID_FIRST + 1)
#define RV_EID_SHIFT __builtin_ctzll(RV_EID_COUNT)
_Static_assert((RV_EID_COUNT & (RV_EID_COUNT - 1)) == 0, "hypercall EID range: a power of two");
_Static_assert(AXV_RISCV64_HYPERCALL_EID_FIRST % RV_EID_COUNT == 0, "hypercall EID range: aligned");
_Static_assert(AXV_RISCV64_HYPERCALL_EID_LAST <= 0xffffffffu, "hypercall EIDs: 32 bits");
_Static_assert(AXV_RISCV64_HYPERCALL_EID_FIRST >> RV_EID_SHIFT < 2048, "li is one instruction");
_Static_assert(AXV_RISCV64_SSTATUS_SIE_MASK < 32, "csrrci takes SIE as a 5-bit immediate");

#define DEFINE(name, value) __asm__ volatile("\n->" #name " %0" : : "i"(value))

void axv_rv_asm_defs(void);
void axv_rv_asm_defs(void)
{
    DEFINE(FRAME_X, offsetof(struct axv_rv_frame, x));
    DEFINE(FRAME_SEPC, offsetof(struct axv_rv_frame, sepc));
    DEFINE(FRAME_SSTATUS, offsetof(struct axv_rv_frame, sstatus));
    DEFINE(FRAME_HSTATUS, offsetof(struct axv_rv_frame, hstatus));
    DEFINE(FRAME_EXIT_VEC, offsetof(struct axv_rv_frame, exit_vec));
    DEFINE(FRAME_STVAL, offsetof(struct axv_rv_frame, stval));
    DEFINE(FRAME_HTVAL, offsetof(struct axv_rv_frame, htval));
    DEFINE(FRAME_HTINST, offsetof(struct axv_rv_frame, htinst));
    DEFINE(FRAME_HOST_STVEC, offsetof(struct axv_rv_frame, host_stvec));
    DEFINE(FRAME_HOST_SSCRATCH, offsetof(struct axv_rv_frame, host_sscratch));
    DEFINE(FRAME_HOST_SSTATUS, offsetof(struct axv_rv_frame, host_sstatus));
    DEFINE(FRAME_HOST_HSTATUS, offsetof(struct axv_rv_frame, host_hstatus));
    DEFINE(FRAME_HOST_REGS, offsetof(struct axv_rv_frame, host_regs));
    DEFINE(FRAME_EXIT, offsetof(struct axv_rv_frame, exit));
    DEFINE(FRAME_ENTER_RETURNS, offsetof(struct axv_rv_frame, enter_returns));
    DEFINE(FRAME_WORK, offsetof(struct axv_rv_frame, work));
    DEFINE(VCPU_ARCH, offsetof(struct axv_vcpu, arch));
    DEFINE(SCAUSE_ECALL_VS, AXV_RISCV64_EXIT_ECALL_VS);
    DEFINE(SSTATUS_SIE, AXV_RISCV64_SSTATUS_SIE_MASK);
    DEFINE(HSTATUS_SPVP, AXV_RISCV64_HSTATUS_SPVP_MASK);
    DEFINE(HYPERCALL_EID_SHIFT, RV_EID_SHIFT);
    DEFINE(HYPERCALL_EID_BLOCK, AXV_RISCV64_HYPERCALL_EID_FIRST >> RV_EID_SHIFT);
    AXV_ASM_EXIT_DEFINES();
    DEFINE(EXIT_RAW_SOURCE_RISCV64, AXV_RAW_SOURCE_RISCV64);
}
