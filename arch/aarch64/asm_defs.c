/*
 * Compiled with -S only: each DEFINE leaves "->NAME value" in the assembly
 * output, which the build turns into asm_defs.h for switch.S.
 */
#include <stddef.h>

#include "axv/vcpu.h"
#include "context.h"

_Static_assert(offsetof(struct axv_a64_frame, elr) == offsetof(struct axv_a64_frame, x) + 31 * 8,
               "switch.S stores x30 and elr with one stp");
_Static_assert(offsetof(struct axv_a64_frame, exit) == offsetof(struct axv_a64_frame, host_sp) + 8,
               "switch.S stores and loads host_sp and exit with one stp/ldp");
_Static_assert(sizeof(((struct axv_a64_frame *)0)->work) == 4, "switch.S tests work with a 32-bit load");

#define DEFINE(name, value) __asm__ volatile("\n->" #name " %0" : : "i"(value))

void axv_a64_asm_defs(void);
void axv_a64_asm_defs(void)
{
    DEFINE(FRAME_X0, offsetof(struct axv_a64_frame, x));
    DEFINE(FRAME_ELR, offsetof(struct axv_a64_frame, elr));
    DEFINE(FRAME_WORK, offsetof(struct axv_a64_frame, work));
    DEFINE(FRAME_HOST_SP, offsetof(struct axv_a64_frame, host_sp));
    DEFINE(FRAME_EXIT, offsetof(struct axv_a64_frame, exit));
    DEFINE(FRAME_HOST_REGS, offsetof(struct axv_a64_frame, host_regs));
    DEFINE(FRAME_SIZE, sizeof(struct axv_a64_frame));
    DEFINE(VCPU_ARCH, offsetof(struct axv_vcpu, arch));
    DEFINE(SPSR_EL1H_MASKED, AXV_A64_SPSR_EL1H_MASKED);
}
