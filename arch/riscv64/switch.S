/*
 * The HS-mode world switch. Entering saves the host's callee-saved
 * registers and trap setup in the frame, points stvec at the exit path and
 * sscratch at the frame, loads the guest's registers and SRETs into
 * VS-mode. A trap from the guest lands in axv_rv_exit, which saves the
 * guest and restores the host. Offsets come from asm_defs.h. H-extension
 * CSRs and instructions are spelled by number so any assembler accepts
 * them.
 *
 * Every instruction here is on each exit's round trip, so:
 *  - each CSR the host owns is swapped with one csrrw (read the host's
 *    value, write the guest's). They are read on every entry and given
 *    back on every exit, not kept the guest's between exits as aarch64
 *    keeps ELR/SPSR/HCR_EL2: the host takes its own traps at HS between
 *    runs (its stvec, sscratch, sstatus.SIE; a trap rewrites sepc; an sret
 *    with the guest's hstatus.SPV would enter VS-mode), and may change
 *    them, so none of them may be assumed unchanged;
 *  - stval/htval/htinst are read only for causes other than an SBI call
 *    (an ecall leaves all three zero; the decode knows that);
 *  - a hypercall (a vendor-range SBI call, the exit VMMs see most) gets its
 *    exit record filled here, while its arguments are still in a0..a7 (the
 *    exit path works from t6, the frame swapped with sscratch), and
 *    axv_rv_run returns AXV_OK straight to the caller of ops->run;
 *  - any other exit goes to C: axv_rv_run jumps to axv_rv_run_slow (as if
 *    it had tail-called it), axv_rv_enter returns to its caller (the slow
 *    path's own loop), frame->enter_returns telling the exit which.
 */
#include "asm_defs.h"

#define CSR_HSTATUS 0x600
#define CSR_HTVAL 0x643
#define CSR_HTINST 0x64a

/* The host's CSRs and registers back from the frame (t6); uses t0 only.
 * sscratch is already the host's (axv_rv_exit gives it back first). */
    .macro host_restore
    ld t0, FRAME_HOST_STVEC(t6)
    csrw stvec, t0
    ld t0, FRAME_HOST_HSTATUS(t6)
    csrw CSR_HSTATUS, t0
    ld t0, FRAME_HOST_SSTATUS(t6)
    csrw sstatus, t0
    ld ra, FRAME_HOST_REGS + 0(t6)
    ld sp, FRAME_HOST_REGS + 8(t6)
    ld gp, FRAME_HOST_REGS + 16(t6)
    ld tp, FRAME_HOST_REGS + 24(t6)
    ld s0, FRAME_HOST_REGS + 32(t6)
    ld s1, FRAME_HOST_REGS + 40(t6)
    ld s2, FRAME_HOST_REGS + 48(t6)
    ld s3, FRAME_HOST_REGS + 56(t6)
    ld s4, FRAME_HOST_REGS + 64(t6)
    ld s5, FRAME_HOST_REGS + 72(t6)
    ld s6, FRAME_HOST_REGS + 80(t6)
    ld s7, FRAME_HOST_REGS + 88(t6)
    ld s8, FRAME_HOST_REGS + 96(t6)
    ld s9, FRAME_HOST_REGS + 104(t6)
    ld s10, FRAME_HOST_REGS + 112(t6)
    ld s11, FRAME_HOST_REGS + 120(t6)
    .endm

    .option norvc
    .text

/* ops->run: a0 = vcpu, a1 = exit. v->arch is the frame (its first member).
 * Nothing to do before the entry (the vCPU loaded here, no injection
 * since the last one: frame.work is 0): record the exit pointer and fall
 * into axv_rv_run. */
    .balign 4
    .global axv_rv_run_op
    .type axv_rv_run_op, %function
axv_rv_run_op:
    ld a0, VCPU_ARCH(a0)
    ld t0, FRAME_WORK(a0)
    bnez t0, .Lrun_prepared
    sd a1, FRAME_EXIT(a0)
    .size axv_rv_run_op, . - axv_rv_run_op
    /* falls through */

/* enum axv_err axv_rv_run(struct axv_rv_frame *f): AXV_OK after a
 * hypercall (record filled), else axv_rv_run_slow(f, scause).
 * struct axv_rv_entered axv_rv_enter(struct axv_rv_frame *f), the same code
 * with f->enter_returns set (by the caller, so this path has no store for
 * it): {NULL, -} after a hypercall, else {f, scause}. */
    .global axv_rv_run
    .type axv_rv_run, %function
    .global axv_rv_enter
    .type axv_rv_enter, %function
axv_rv_run:
axv_rv_enter:
    sd ra, FRAME_HOST_REGS + 0(a0)
    sd sp, FRAME_HOST_REGS + 8(a0)
    sd gp, FRAME_HOST_REGS + 16(a0)
    sd tp, FRAME_HOST_REGS + 24(a0)
    sd s0, FRAME_HOST_REGS + 32(a0)
    sd s1, FRAME_HOST_REGS + 40(a0)
    sd s2, FRAME_HOST_REGS + 48(a0)
    sd s3, FRAME_HOST_REGS + 56(a0)
    sd s4, FRAME_HOST_REGS + 64(a0)
    sd s5, FRAME_HOST_REGS + 72(a0)
    sd s6, FRAME_HOST_REGS + 80(a0)
    sd s7, FRAME_HOST_REGS + 88(a0)
    sd s8, FRAME_HOST_REGS + 96(a0)
    sd s9, FRAME_HOST_REGS + 104(a0)
    sd s10, FRAME_HOST_REGS + 112(a0)
    sd s11, FRAME_HOST_REGS + 120(a0)
    /* sstatus first: the guest's value has SIE clear, so no host interrupt
     * can reach the exit path through stvec before the sret. */
    ld t1, FRAME_SSTATUS(a0)
    csrrw t0, sstatus, t1
    sd t0, FRAME_HOST_SSTATUS(a0)
    ld t1, FRAME_HSTATUS(a0)
    csrrw t0, CSR_HSTATUS, t1
    sd t0, FRAME_HOST_HSTATUS(a0)
    ld t1, FRAME_EXIT_VEC(a0)       /* axv_rv_exit: one load, not auipc + addi */
    csrrw t0, stvec, t1
    sd t0, FRAME_HOST_STVEC(a0)
    csrrw t0, sscratch, a0          /* the host's sscratch comes back on exit */
    sd t0, FRAME_HOST_SSCRATCH(a0)
    ld t0, FRAME_SEPC(a0)
    csrw sepc, t0

    ld x1, FRAME_X + 8(a0)
    ld x2, FRAME_X + 16(a0)
    ld x3, FRAME_X + 24(a0)
    ld x4, FRAME_X + 32(a0)
    ld x5, FRAME_X + 40(a0)
    ld x6, FRAME_X + 48(a0)
    ld x7, FRAME_X + 56(a0)
    ld x8, FRAME_X + 64(a0)
    ld x9, FRAME_X + 72(a0)
    ld x11, FRAME_X + 88(a0)
    ld x12, FRAME_X + 96(a0)
    ld x13, FRAME_X + 104(a0)
    ld x14, FRAME_X + 112(a0)
    ld x15, FRAME_X + 120(a0)
    ld x16, FRAME_X + 128(a0)
    ld x17, FRAME_X + 136(a0)
    ld x18, FRAME_X + 144(a0)
    ld x19, FRAME_X + 152(a0)
    ld x20, FRAME_X + 160(a0)
    ld x21, FRAME_X + 168(a0)
    ld x22, FRAME_X + 176(a0)
    ld x23, FRAME_X + 184(a0)
    ld x24, FRAME_X + 192(a0)
    ld x25, FRAME_X + 200(a0)
    ld x26, FRAME_X + 208(a0)
    ld x27, FRAME_X + 216(a0)
    ld x28, FRAME_X + 224(a0)
    ld x29, FRAME_X + 232(a0)
    ld x30, FRAME_X + 240(a0)
    ld x31, FRAME_X + 248(a0)
    ld x10, FRAME_X + 80(a0)
    sret
    .size axv_rv_run, . - axv_rv_run
    .size axv_rv_enter, . - axv_rv_enter

.Lrun_prepared:                     /* from axv_rv_run_op: a0 = frame, a1 = exit */
    /* norelax: the linker would make this tail a 2-byte c.j and leave
     * axv_rv_exit, which stvec needs 4-byte aligned, misaligned. */
    .option push
    .option norelax
    tail axv_rv_run_prepared
    .option pop

    .balign 4
    .global axv_rv_exit
    .type axv_rv_exit, %function
axv_rv_exit:
    csrrw t6, sscratch, t6          /* t6 (x31): the frame */
    sd x1, FRAME_X + 8(t6)
    sd x2, FRAME_X + 16(t6)
    sd x3, FRAME_X + 24(t6)
    sd x4, FRAME_X + 32(t6)
    sd x5, FRAME_X + 40(t6)
    sd x6, FRAME_X + 48(t6)
    sd x7, FRAME_X + 56(t6)
    sd x8, FRAME_X + 64(t6)
    sd x9, FRAME_X + 72(t6)
    sd x10, FRAME_X + 80(t6)
    sd x11, FRAME_X + 88(t6)
    sd x12, FRAME_X + 96(t6)
    sd x13, FRAME_X + 104(t6)
    sd x14, FRAME_X + 112(t6)
    sd x15, FRAME_X + 120(t6)
    sd x16, FRAME_X + 128(t6)
    sd x17, FRAME_X + 136(t6)
    sd x18, FRAME_X + 144(t6)
    sd x19, FRAME_X + 152(t6)
    sd x20, FRAME_X + 160(t6)
    sd x21, FRAME_X + 168(t6)
    sd x22, FRAME_X + 176(t6)
    sd x23, FRAME_X + 184(t6)
    sd x24, FRAME_X + 192(t6)
    sd x25, FRAME_X + 200(t6)
    sd x26, FRAME_X + 208(t6)
    sd x27, FRAME_X + 216(t6)
    sd x28, FRAME_X + 224(t6)
    sd x29, FRAME_X + 232(t6)
    sd x30, FRAME_X + 240(t6)
    /* The host's sscratch back at once (before sstatus may let a host
     * interrupt in), in the same swap that yields the guest's t6. */
    ld t0, FRAME_HOST_SSCRATCH(t6)
    csrrw t0, sscratch, t0
    sd t0, FRAME_X + 248(t6)
    csrr t2, sepc
    csrr t1, scause
    li t3, SCAUSE_ECALL_VS
    bne t1, t3, .Lfault
    /* An SBI call: sepc past the ecall (never compressed). The fault
     * details are not read: an ecall sets stval, htval and htinst zero. */
    addi t2, t2, 4
    sd t2, FRAME_SEPC(t6)
    srli t3, a7, HYPERCALL_EID_SHIFT /* the vendor range is one aligned block */
    li t4, HYPERCALL_EID_BLOCK
    bne t3, t4, .Ldecode
    /* A hypercall. This is what axv_exit_make_hypercall and rv_raw in
     * riscv64.c would store. */
    ld t3, FRAME_EXIT(t6)
    li t4, EXIT_KIND_HYPERCALL
    sw t4, EXIT_KIND(t3)
    li t4, EXIT_RAW_SOURCE_RISCV64
    sb t4, EXIT_RAW_SOURCE(t3)
    sd t1, EXIT_RAW_CODE(t3)
    sd zero, EXIT_RAW_QUAL(t3)
    sd zero, EXIT_RAW_ADDR(t3)
    sd zero, EXIT_RAW_INSN(t3)
    sw a6, EXIT_HYPERCALL_NR(t3)    /* nr = EID << 32 | FID (32 bits): */
    sw a7, EXIT_HYPERCALL_NR + 4(t3) /* little-endian halves; the EID fits */
    sd a0, EXIT_HYPERCALL_ARGS + 0(t3)
    sd a1, EXIT_HYPERCALL_ARGS + 8(t3)
    sd a2, EXIT_HYPERCALL_ARGS + 16(t3)
    sd a3, EXIT_HYPERCALL_ARGS + 24(t3)
    sd a4, EXIT_HYPERCALL_ARGS + 32(t3)
    sd a5, EXIT_HYPERCALL_ARGS + 40(t3)
    host_restore
    li a0, 0                        /* AXV_OK, or NULL for axv_rv_enter */
    ret

.Lfault:
    /* The fault details, read before the host's sstatus (maybe with SIE
     * set) lets a host interrupt overwrite them. hstatus too: its SPVP is
     * the privilege the guest trapped from (VS or VU), which the decode
     * reads the instruction with and re-enters; an SBI call, which skips
     * this, always comes from VS. */
    sd t2, FRAME_SEPC(t6)
    csrr t0, stval
    sd t0, FRAME_STVAL(t6)
    csrr t0, CSR_HTVAL
    sd t0, FRAME_HTVAL(t6)
    csrr t0, CSR_HTINST
    sd t0, FRAME_HTINST(t6)
    csrr t0, CSR_HSTATUS
    sd t0, FRAME_HSTATUS(t6)
.Ldecode:
    ld t2, FRAME_ENTER_RETURNS(t6)
    host_restore
    mv a0, t6
    mv a1, t1
    bnez t2, 1f
    tail axv_rv_run_slow            /* from axv_rv_run: as its tail call */
1:  ret
    .size axv_rv_exit, . - axv_rv_exit

/* uint64_t axv_rv_fetch_hu(uint64_t gva, uint64_t hstatus): HLVX.HU, the
 * 16 bits at gva as the guest would fetch them (its vsatp, the G-stage),
 * with hstatus.SPVP as in `hstatus` (the guest's at its trap); else
 * AXV_RV_FETCH_FAULT if that read faults: the guest may have changed its
 * page tables since it ran the instruction (another hart, no fence), so a
 * fault here is the guest's doing and must not reach the host's stvec.
 * For the read: interrupts off (so only its own fault can reach the
 * fixup), the guest's SPVP, stvec at the fixup. A fault there changes
 * sstatus (SIE, SPIE, SPP) and hstatus (SPV, GVA), which go back whole
 * with stvec; it also overwrites sepc, scause, stval, htval and htinst,
 * as any guest exit does (the decode reads the frame's copies).
 *
 * Its own section, fixup first, all norelax: stvec needs the fixup 4-byte
 * aligned, and a relaxed instruction before it in the section (a tail
 * made a 2-byte c.j) would move it off. */
    .section .text.axv_rv_fetch_hu, "ax"
    .option push
    .option norelax
    .balign 4
axv_rv_fetch_fixup:                 /* stvec during the read: a trap from HS to HS, so */
    li a0, -1                       /* carry on in place; AXV_RV_FETCH_FAULT: no 16-bit value */
    j .Lfetch_restore
    .global axv_rv_fetch_hu
    .type axv_rv_fetch_hu, %function
axv_rv_fetch_hu:
    csrrci t0, sstatus, SSTATUS_SIE
    li t3, HSTATUS_SPVP
    and a1, a1, t3
    csrrc t2, CSR_HSTATUS, t3
    csrs CSR_HSTATUS, a1
    lla t1, axv_rv_fetch_fixup
    csrrw t1, stvec, t1
    .insn r 0x73, 0x4, 0x32, a0, a0, x3 /* hlvx.hu a0, (a0) */
.Lfetch_restore:
    csrw stvec, t1
    csrw CSR_HSTATUS, t2
    csrw sstatus, t0
    ret
    .size axv_rv_fetch_hu, . - axv_rv_fetch_hu
    .option pop
    .text

/* hfence.gvma zero, zero */
    .global axv_rv_hfence_gvma_all
axv_rv_hfence_gvma_all:
    .insn r 0x73, 0x0, 0x31, x0, x0, x0
    ret

/* FP state of a guest: f0..f31 then fcsr (33 words). Only when sstatus.FS is on. */
    .option push
    .option arch, +d
    .global axv_rv_fp_save
axv_rv_fp_save:
    fsd f0, 0(a0)
    fsd f1, 8(a0)
    fsd f2, 16(a0)
    fsd f3, 24(a0)
    fsd f4, 32(a0)
    fsd f5, 40(a0)
    fsd f6, 48(a0)
    fsd f7, 56(a0)
    fsd f8, 64(a0)
    fsd f9, 72(a0)
    fsd f10, 80(a0)
    fsd f11, 88(a0)
    fsd f12, 96(a0)
    fsd f13, 104(a0)
    fsd f14, 112(a0)
    fsd f15, 120(a0)
    fsd f16, 128(a0)
    fsd f17, 136(a0)
    fsd f18, 144(a0)
    fsd f19, 152(a0)
    fsd f20, 160(a0)
    fsd f21, 168(a0)
    fsd f22, 176(a0)
    fsd f23, 184(a0)
    fsd f24, 192(a0)
    fsd f25, 200(a0)
    fsd f26, 208(a0)
    fsd f27, 216(a0)
    fsd f28, 224(a0)
    fsd f29, 232(a0)
    fsd f30, 240(a0)
    fsd f31, 248(a0)
    frcsr t0
    sd t0, 256(a0)
    ret

    .global axv_rv_fp_restore
axv_rv_fp_restore:
    fld f0, 0(a0)
    fld f1, 8(a0)
    fld f2, 16(a0)
    fld f3, 24(a0)
    fld f4, 32(a0)
    fld f5, 40(a0)
    fld f6, 48(a0)
    fld f7, 56(a0)
    fld f8, 64(a0)
    fld f9, 72(a0)
    fld f10, 80(a0)
    fld f11, 88(a0)
    fld f12, 96(a0)
    fld f13, 104(a0)
    fld f14, 112(a0)
    fld f15, 120(a0)
    fld f16, 128(a0)
    fld f17, 136(a0)
    fld f18, 144(a0)
    fld f19, 152(a0)
    fld f20, 160(a0)
    fld f21, 168(a0)
    fld f22, 176(a0)
    fld f23, 184(a0)
    fld f24, 192(a0)
    fld f25, 200(a0)
    fld f26, 208(a0)
    fld f27, 216(a0)
    fld f28, 224(a0)
    fld f29, 232(a0)
    fld f30, 240(a0)
    fld f31, 248(a0)
    ld t0, 256(a0)
    fscsr t0
    ret
    .option pop
