/*
 * The EL2 world switch. axv_a64_enter saves the host's callee-saved
 * registers and stack pointer in the frame, loads the guest's registers and
 * ERETs; the lower-EL vectors save the guest's registers back into the frame
 * (found through TPIDR_EL2), restore the host and return from
 * axv_a64_enter with the reason. Offsets come from asm_defs.h, generated
 * from struct axv_a64_frame.
 */
#include "asm_defs.h"

    .text
    .balign 4
    .global axv_a64_enter
    .type axv_a64_enter, %function
axv_a64_enter:
    /* host callee-saved registers and sp */
    stp x19, x20, [x0, #FRAME_HOST_REGS + 0]
    stp x21, x22, [x0, #FRAME_HOST_REGS + 16]
    stp x23, x24, [x0, #FRAME_HOST_REGS + 32]
    stp x25, x26, [x0, #FRAME_HOST_REGS + 48]
    stp x27, x28, [x0, #FRAME_HOST_REGS + 64]
    stp x29, x30, [x0, #FRAME_HOST_REGS + 80]
    mov x1, sp
    str x1, [x0, #FRAME_HOST_SP]
    msr tpidr_el2, x0

    /* guest state the exception return uses */
    ldp x1, x2, [x0, #FRAME_ELR]        /* elr, spsr */
    ldp x3, x4, [x0, #FRAME_SP_EL0 - 8] /* x30, sp_el0 */
    ldr x5, [x0, #FRAME_HCR]
    msr elr_el2, x1
    msr spsr_el2, x2
    msr sp_el0, x4
    msr hcr_el2, x5
    isb

    /* guest GPRs; x0 last */
    ldp x2, x3, [x0, #FRAME_X0 + 16]
    ldp x4, x5, [x0, #FRAME_X0 + 32]
    ldp x6, x7, [x0, #FRAME_X0 + 48]
    ldp x8, x9, [x0, #FRAME_X0 + 64]
    ldp x10, x11, [x0, #FRAME_X0 + 80]
    ldp x12, x13, [x0, #FRAME_X0 + 96]
    ldp x14, x15, [x0, #FRAME_X0 + 112]
    ldp x16, x17, [x0, #FRAME_X0 + 128]
    ldp x18, x19, [x0, #FRAME_X0 + 144]
    ldp x20, x21, [x0, #FRAME_X0 + 160]
    ldp x22, x23, [x0, #FRAME_X0 + 176]
    ldp x24, x25, [x0, #FRAME_X0 + 192]
    ldp x26, x27, [x0, #FRAME_X0 + 208]
    ldp x28, x29, [x0, #FRAME_X0 + 224]
    mov x30, x3
    ldp x0, x1, [x0, #FRAME_X0 + 0]
    eret
    .size axv_a64_enter, . - axv_a64_enter

/* Guest exit: save x0..x30, ELR, SPSR, SP_EL0; restore the host; return reason. */
.macro GUEST_EXIT reason
    stp x0, x1, [sp, #-16]!
    mrs x0, tpidr_el2
    stp x2, x3, [x0, #FRAME_X0 + 16]
    stp x4, x5, [x0, #FRAME_X0 + 32]
    stp x6, x7, [x0, #FRAME_X0 + 48]
    stp x8, x9, [x0, #FRAME_X0 + 64]
    stp x10, x11, [x0, #FRAME_X0 + 80]
    stp x12, x13, [x0, #FRAME_X0 + 96]
    stp x14, x15, [x0, #FRAME_X0 + 112]
    stp x16, x17, [x0, #FRAME_X0 + 128]
    stp x18, x19, [x0, #FRAME_X0 + 144]
    stp x20, x21, [x0, #FRAME_X0 + 160]
    stp x22, x23, [x0, #FRAME_X0 + 176]
    stp x24, x25, [x0, #FRAME_X0 + 192]
    stp x26, x27, [x0, #FRAME_X0 + 208]
    stp x28, x29, [x0, #FRAME_X0 + 224]
    mrs x1, sp_el0
    stp x30, x1, [x0, #FRAME_X0 + 240]
    ldp x2, x3, [sp], #16
    stp x2, x3, [x0, #FRAME_X0 + 0]
    mrs x1, elr_el2
    mrs x2, spsr_el2
    stp x1, x2, [x0, #FRAME_ELR]
    mov x1, #\reason
    b axv_a64_exit_to_host
.endm

    .balign 4
axv_a64_exit_to_host:
    ldr x2, [x0, #FRAME_HOST_SP]
    mov sp, x2
    ldp x19, x20, [x0, #FRAME_HOST_REGS + 0]
    ldp x21, x22, [x0, #FRAME_HOST_REGS + 16]
    ldp x23, x24, [x0, #FRAME_HOST_REGS + 32]
    ldp x25, x26, [x0, #FRAME_HOST_REGS + 48]
    ldp x27, x28, [x0, #FRAME_HOST_REGS + 64]
    ldp x29, x30, [x0, #FRAME_HOST_REGS + 80]
    mov x0, x1
    ret

/* An exception at EL2 itself: a host bug. Report it and stay put. */
.macro HOST_FAULT
    mrs x0, esr_el2
    mrs x1, elr_el2
    mrs x2, far_el2
    bl axv_aarch64_host_exception
1:  wfi
    b 1b
.endm

    .balign 2048
    .global axv_a64_vectors
axv_a64_vectors:
    /* current EL with SP_EL0 */
    .balign 128
    HOST_FAULT
    .balign 128
    HOST_FAULT
    .balign 128
    HOST_FAULT
    .balign 128
    HOST_FAULT
    /* current EL with SP_ELx */
    .balign 128
    HOST_FAULT
    .balign 128
    HOST_FAULT
    .balign 128
    HOST_FAULT
    .balign 128
    HOST_FAULT
    /* lower EL, AArch64 */
    .balign 128
    GUEST_EXIT 0
    .balign 128
    GUEST_EXIT 1
    .balign 128
    GUEST_EXIT 2
    .balign 128
    GUEST_EXIT 3
    /* lower EL, AArch32 (never enabled: HCR_EL2.RW = 1); decoded from ESR */
    .balign 128
    GUEST_EXIT 0
    .balign 128
    GUEST_EXIT 1
    .balign 128
    GUEST_EXIT 2
    .balign 128
    GUEST_EXIT 3

/* FP/SIMD state: q0..q31 then fpsr, fpcr (66 words). */
    .text
    .balign 4
    .global axv_a64_fp_save
axv_a64_fp_save:
    stp q0, q1, [x0, #0]
    stp q2, q3, [x0, #32]
    stp q4, q5, [x0, #64]
    stp q6, q7, [x0, #96]
    stp q8, q9, [x0, #128]
    stp q10, q11, [x0, #160]
    stp q12, q13, [x0, #192]
    stp q14, q15, [x0, #224]
    stp q16, q17, [x0, #256]
    stp q18, q19, [x0, #288]
    stp q20, q21, [x0, #320]
    stp q22, q23, [x0, #352]
    stp q24, q25, [x0, #384]
    stp q26, q27, [x0, #416]
    stp q28, q29, [x0, #448]
    stp q30, q31, [x0, #480]
    mrs x1, fpsr
    mrs x2, fpcr
    add x0, x0, #512
    stp x1, x2, [x0]
    ret

    .global axv_a64_fp_restore
axv_a64_fp_restore:
    ldp q0, q1, [x0, #0]
    ldp q2, q3, [x0, #32]
    ldp q4, q5, [x0, #64]
    ldp q6, q7, [x0, #96]
    ldp q8, q9, [x0, #128]
    ldp q10, q11, [x0, #160]
    ldp q12, q13, [x0, #192]
    ldp q14, q15, [x0, #224]
    ldp q16, q17, [x0, #256]
    ldp q18, q19, [x0, #288]
    ldp q20, q21, [x0, #320]
    ldp q22, q23, [x0, #352]
    ldp q24, q25, [x0, #384]
    ldp q26, q27, [x0, #416]
    ldp q28, q29, [x0, #448]
    ldp q30, q31, [x0, #480]
    add x0, x0, #512
    ldp x1, x2, [x0]
    msr fpsr, x1
    msr fpcr, x2
    ret
