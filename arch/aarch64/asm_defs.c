/*
 * Compiled with -S only: each DEFINE leaves "->NAME value" in the assembly
 * output, which the build turns into asm_defs.h for switch.S.
 */
#include <stddef.h>

#include "context.h"

#define DEFINE(name, value) __asm__ volatile("\n->" #name " %0" : : "i"(value))

void axv_a64_asm_defs(void);
void axv_a64_asm_defs(void)
{
    DEFINE(FRAME_X0, offsetof(struct axv_a64_frame, x));
    DEFINE(FRAME_SP_EL0, offsetof(struct axv_a64_frame, sp_el0));
    DEFINE(FRAME_ELR, offsetof(struct axv_a64_frame, elr));
    DEFINE(FRAME_SPSR, offsetof(struct axv_a64_frame, spsr));
    DEFINE(FRAME_HCR, offsetof(struct axv_a64_frame, hcr));
    DEFINE(FRAME_HOST_SP, offsetof(struct axv_a64_frame, host_sp));
    DEFINE(FRAME_EXIT, offsetof(struct axv_a64_frame, exit));
    DEFINE(FRAME_HOST_REGS, offsetof(struct axv_a64_frame, host_regs));
    DEFINE(FRAME_SIZE, sizeof(struct axv_a64_frame));
}
