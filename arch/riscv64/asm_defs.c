/* Compiled with -S only: "->NAME value" lines become asm_defs.h for switch.S. */
#include <stddef.h>

#include "axv/gen/riscv64_exits.h"
#include "context.h"

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
    DEFINE(FRAME_HOST_SSTATUS, offsetof(struct axv_rv_frame, host_sstatus));
    DEFINE(FRAME_HOST_HSTATUS, offsetof(struct axv_rv_frame, host_hstatus));
    DEFINE(FRAME_HOST_REGS, offsetof(struct axv_rv_frame, host_regs));
    DEFINE(SCAUSE_ECALL_VS, AXV_RISCV64_EXIT_ECALL_VS);
}
