/*
 * The EL2 world switch. axv_a64_run saves its caller's callee-saved
 * registers, stack pointer and exit pointer in the frame, points SP_EL2 at
 * the frame, loads the guest's registers and ERETs. The lower-EL vectors
 * store the guest's registers through SP (no scratch register, no stack
 * push), restore the caller's registers and stack and return to it: a
 * hypercall's exit record is filled in right there (the guest's x0..x6
 * are still in registers), anything else goes to the C exit handlers,
 * which return to that caller themselves. Offsets come from asm_defs.h,
 * generated from struct axv_a64_frame and struct axv_exit.
 *
 * ELR_EL2, SPSR_EL2, SP_EL0 and HCR_EL2 are not loaded here: they stay in
 * the registers while the vCPU is loaded on this CPU (context.h says
 * where each lives; aarch64.c writes them when that changes).
 *
 * Between "mov sp, x0" and the guest exit SP_EL2 is the frame: nothing may
 * be pushed there. Only a host bug (an EL2 exception in these few
 * instructions) could, and that stops the CPU anyway.
 */
#include "asm_defs.h"

/* x19..x30 of axv_a64_run's caller to (stp) or from (ldp) the frame at base. */
.macro HOST_REGS op, base
    \op x19, x20, [\base, #FRAME_HOST_REGS + 0]
    \op x21, x22, [\base, #FRAME_HOST_REGS + 16]
    \op x23, x24, [\base, #FRAME_HOST_REGS + 32]
    \op x25, x26, [\base, #FRAME_HOST_REGS + 48]
    \op x27, x28, [\base, #FRAME_HOST_REGS + 64]
    \op x29, x30, [\base, #FRAME_HOST_REGS + 80]
.endm

    .text
    .balign 4
/* ops->run: x0 = vcpu, x1 = exit. v->arch is the frame (its first member). */
    .global axv_a64_run_op
    .type axv_a64_run_op, %function
axv_a64_run_op:
    ldr x0, [x0, #VCPU_ARCH]
    ldr w2, [x0, #FRAME_WORK]
    cbnz w2, axv_a64_run_slow           /* the C way: loads, injects, then axv_a64_run */
    .size axv_a64_run_op, . - axv_a64_run_op
    /* falls through */
    .global axv_a64_run
    .type axv_a64_run, %function
axv_a64_run:
    /* x0 = frame, x1 = exit */
    HOST_REGS stp, x0
    mov x2, sp
    stp x2, x1, [x0, #FRAME_HOST_SP]    /* host_sp, exit */
    .global axv_a64_resume
    .type axv_a64_resume, %function
axv_a64_resume:
    /* x0 = frame; the host state is already in it. No ISB for whatever
     * the C side wrote to HCR_EL2 or ELR_EL2: the ERET below is a context
     * synchronization event (the host keeps SCTLR_EL2.EOS set where
     * FEAT_ExS exists). */
    mov sp, x0
    ldr x30, [x0, #FRAME_X0 + 240]
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
    ldp x0, x1, [x0, #FRAME_X0 + 0]
    eret
    .size axv_a64_run, . - axv_a64_run
    .size axv_a64_resume, . - axv_a64_resume

/* ops->set_return_value: x0 = vcpu, x1 = value. Four instructions where
 * GCC makes five of the C. */
    .global axv_a64_set_return_value
    .type axv_a64_set_return_value, %function
axv_a64_set_return_value:
    ldr x0, [x0, #VCPU_ARCH]
    str x1, [x0, #FRAME_X0]
    mov w0, #0                          /* AXV_OK */
    ret
    .size axv_a64_set_return_value, . - axv_a64_set_return_value

/* Guest exit, SP = frame: save x0..x30 and ELR (SP_EL0 and SPSR stay in
 * their registers). x7 = ELR after it. 17 instructions. */
.macro SAVE_GUEST
    stp x0, x1, [sp, #FRAME_X0 + 0]
    stp x2, x3, [sp, #FRAME_X0 + 16]
    stp x4, x5, [sp, #FRAME_X0 + 32]
    stp x6, x7, [sp, #FRAME_X0 + 48]
    stp x8, x9, [sp, #FRAME_X0 + 64]
    stp x10, x11, [sp, #FRAME_X0 + 80]
    stp x12, x13, [sp, #FRAME_X0 + 96]
    stp x14, x15, [sp, #FRAME_X0 + 112]
    stp x16, x17, [sp, #FRAME_X0 + 128]
    stp x18, x19, [sp, #FRAME_X0 + 144]
    stp x20, x21, [sp, #FRAME_X0 + 160]
    stp x22, x23, [sp, #FRAME_X0 + 176]
    stp x24, x25, [sp, #FRAME_X0 + 192]
    stp x26, x27, [sp, #FRAME_X0 + 208]
    stp x28, x29, [sp, #FRAME_X0 + 224]
    mrs x7, elr_el2
    stp x30, x7, [sp, #FRAME_X0 + 240]  /* x30, elr */
.endm

/* Back to axv_a64_run's caller's x19..x30 and stack: x0 = frame, x1 =
 * exit, x2 = scratch. 9 instructions. */
.macro RESTORE_HOST
    mov x0, sp
    HOST_REGS ldp, x0
    ldp x2, x1, [x0, #FRAME_HOST_SP]    /* host_sp, exit */
    mov sp, x2
.endm

/*
 * A synchronous exit. The hot case is a hypercall: an HVC whose id is
 * outside the span of calls.yaml's ids (AXV_AARCH64_CALL_ID_MIN/MAX)
 * cannot be a PSCI or answered call, so it needs no table lookup; its
 * record is filled in at .Lhypercall. The likelier side first (vendor
 * hypercalls sit above PSCI), with the EC test in the same flags (ccmp),
 * so that one costs a single branch; .Lsync_other sorts out the rest.
 * Everything else goes to axv_a64_exit_sync with ESR in x2. (exits.yaml
 * routes hvc64 to ROUTE_HVC and the span is exact: test_backend checks
 * both.) x7 = ELR, x8 = ESR, x9 = EC from here on. 24 instructions, in
 * its slot.
 */
.macro GUEST_SYNC
    SAVE_GUEST
    mrs x8, esr_el2
    ldr x10, .Lcall_id_max
    lsr x9, x8, #ESR_EC_SHIFT
    cmp x9, #EC_HVC64
    ccmp x0, x10, #0, eq                /* an HVC: nr vs the span's top; else NZCV = 0, not "hi" */
    b.hi .Lhypercall
    b .Lsync_other
.endm

.macro GUEST_ASYNC reason
    SAVE_GUEST
    RESTORE_HOST
    mov x2, #\reason
    b axv_a64_exit_async
.endm

/* An exception at EL2 itself: a host bug. Report it and stay put. It
 * overwrote ELR_EL2 and SPSR_EL2, which may have held a loaded guest's
 * state: SPSR_EL2 gets EL1h with DAIF masked before the report, so that
 * a host that goes on after the hook (a test harness) can never ERET to
 * EL2 into guest-controlled code. Such a host unbinds and binds the
 * vCPU before running it again (ELR_EL2 comes back from the frame; the
 * guest's PSTATE is lost). */
.macro HOST_FAULT
    mrs x0, esr_el2
    mrs x1, elr_el2
    mrs x2, far_el2
    mov x3, #SPSR_EL1H_MASKED
    msr spsr_el2, x3
    bl axv_aarch64_host_exception
1:  wfi
    b 1b
.endm

/* .org, not .balign: an entry that outgrows its 128 bytes is an assembler
 * error instead of silently moving the entries after it. */
.macro VENTRY n, body:vararg
    .org axv_a64_vectors + \n * 128
    \body
.endm

    .balign 2048
    .global axv_a64_vectors
axv_a64_vectors:
    /* current EL with SP_EL0, then with SP_ELx */
    VENTRY 0, HOST_FAULT
    VENTRY 1, HOST_FAULT
    VENTRY 2, HOST_FAULT
    VENTRY 3, HOST_FAULT
    VENTRY 4, HOST_FAULT
    VENTRY 5, HOST_FAULT
    VENTRY 6, HOST_FAULT
    VENTRY 7, HOST_FAULT
    /* lower EL, AArch64 */
    VENTRY 8, GUEST_SYNC
    VENTRY 9, GUEST_ASYNC 1
    VENTRY 10, GUEST_ASYNC 2
    VENTRY 11, GUEST_ASYNC 3
    /* lower EL, AArch32 (never enabled: HCR_EL2.RW = 1); decoded from ESR */
    VENTRY 12, GUEST_SYNC
    VENTRY 13, GUEST_ASYNC 1
    VENTRY 14, GUEST_ASYNC 2
    VENTRY 15, GUEST_ASYNC 3
    .org axv_a64_vectors + 16 * 128
    .size axv_a64_vectors, . - axv_a64_vectors

/* The rest of GUEST_SYNC, out of the vector slots. */
    .balign 8
.Lcall_id_max:
    .quad CALL_ID_MAX
.Lcall_id_min:
    .quad CALL_ID_MIN

/* Not an HVC, or one with an id at most CALL_ID_MAX: a hypercall below
 * the span, else the decode in C. */
.Lsync_other:
    cmp x9, #EC_HVC64
    b.ne .Lsync_decode
    ldr x10, .Lcall_id_min
    cmp x0, x10
    b.lo .Lhypercall
.Lsync_decode:
    RESTORE_HOST
    mov x2, x8                          /* ESR_EL2 */
    b axv_a64_exit_sync

/*
 * A hypercall exit: x0 = nr, x1..x6 = arguments, x7 = ELR, x8 = ESR.
 * Stores what axv_exit_make_hypercall and a64_raw would (FAR_EL2 is
 * UNKNOWN after an HVC: qual and addr are 0, insn is the PC), then
 * returns AXV_OK to axv_a64_run's caller. 19 instructions.
 */
.Lhypercall:
    ldp x10, x9, [sp, #FRAME_HOST_SP]   /* host_sp, exit */
    mov x11, #EXIT_KIND_HYPERCALL
    mov x12, #EXIT_RAW_SOURCE_AARCH64
    stp x11, x12, [x9, #EXIT_KIND]      /* kind, raw.source */
    stp x8, xzr, [x9, #EXIT_RAW_CODE]   /* raw.code, raw.qual */
    stp xzr, x7, [x9, #EXIT_RAW_ADDR]   /* raw.addr, raw.insn */
    stp x0, x1, [x9, #EXIT_HYPERCALL_NR]
    stp x2, x3, [x9, #EXIT_HYPERCALL_NR + 16]
    stp x4, x5, [x9, #EXIT_HYPERCALL_NR + 32]
    str x6, [x9, #EXIT_HYPERCALL_NR + 48]
    HOST_REGS ldp, sp
    mov sp, x10
    mov w0, #0                          /* AXV_OK */
    ret

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
