/*
 * Compiled with -S only: each DEFINE leaves "->NAME value" in the assembly
 * output, which the build turns into asm_defs.h for switch.S.
 */
#include <stddef.h>

#include "axv/asm_exit.h"
#include "axv/gen/aarch64_calls.h"
#include "axv/gen/aarch64_exits.h"
#include "axv/vcpu.h"
#include "context.h"

/* The hypercall exit path (switch.S) stores the record with stp/str: kind
 * and raw.source as two whole words (their padding zeroed), then pairs. */
#define EXIT_OFF(f) offsetof(struct axv_exit, f)
_Static_assert(EXIT_OFF(kind) == 0 && sizeof(((struct axv_exit *)0)->kind) == 4 && EXIT_OFF(raw.source) == 8 &&
                   sizeof(((struct axv_exit *)0)->raw.source) == 1,
               "kind and raw.source: the two words of one stp");
_Static_assert(EXIT_OFF(raw.qual) == EXIT_OFF(raw.code) + 8 && EXIT_OFF(raw.addr) == EXIT_OFF(raw.code) + 16 &&
                   EXIT_OFF(raw.insn) == EXIT_OFF(raw.code) + 24 && EXIT_OFF(raw.code) == 16,
               "raw.code, qual, addr, insn: two stp");
_Static_assert(EXIT_OFF(u.hypercall.args) == EXIT_OFF(u.hypercall.nr) + 8 &&
                   sizeof(((struct axv_exit *)0)->u.hypercall.args) == 6 * 8 && EXIT_OFF(u.hypercall.nr) % 16 == 0,
               "nr and args[0..5]: x0..x6, three stp and a str");
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
    DEFINE(ESR_EC_SHIFT, AXV_AARCH64_ESR_EL2_EC_SHIFT);
    DEFINE(EC_HVC64, AXV_AARCH64_EXIT_HVC64);
    DEFINE(CALL_ID_MIN, (uint64_t)AXV_AARCH64_CALL_ID_MIN); /* 64-bit: "i" prints a 32-bit one signed */
    DEFINE(CALL_ID_MAX, (uint64_t)AXV_AARCH64_CALL_ID_MAX);
    DEFINE(SPSR_EL1H_MASKED, AXV_A64_SPSR_EL1H_MASKED);
    AXV_ASM_EXIT_DEFINES();
    DEFINE(EXIT_RAW_SOURCE_AARCH64, AXV_RAW_SOURCE_AARCH64);
}
