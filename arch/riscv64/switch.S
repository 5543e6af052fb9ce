/*
 * The HS-mode world switch. axv_rv_enter saves the host's callee-saved
 * registers and trap setup in the frame, points stvec at the exit path and
 * sscratch at the frame, loads the guest's registers and SRETs into VS-mode.
 * A trap from the guest lands in axv_rv_exit, which saves the guest,
 * restores the host and returns scause. Offsets come from asm_defs.h.
 * H-extension CSRs and instructions are spelled by number so any assembler
 * accepts them.
 *
 * Every instruction here is on each exit's round trip, so: each CSR the
 * host owns is swapped with one csrrw (read the host value, write the
 * guest's), and stval/htval/htinst are read only for causes other than an
 * SBI call (an ecall leaves all three zero; the decode knows that).
 */
#include "asm_defs.h"

#define CSR_HSTATUS 0x600
#define CSR_HTVAL 0x643
#define CSR_HTINST 0x64a

    .option norvc
    .text
    .balign 4
    .global axv_rv_enter
    .type axv_rv_enter, %function
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
    csrw sscratch, a0
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
    .size axv_rv_enter, . - axv_rv_enter

    .balign 4
    .global axv_rv_exit
    .type axv_rv_exit, %function
axv_rv_exit:
    csrrw a0, sscratch, a0
    sd x1, FRAME_X + 8(a0)
    sd x2, FRAME_X + 16(a0)
    sd x3, FRAME_X + 24(a0)
    sd x4, FRAME_X + 32(a0)
    sd x5, FRAME_X + 40(a0)
    sd x6, FRAME_X + 48(a0)
    sd x7, FRAME_X + 56(a0)
    sd x8, FRAME_X + 64(a0)
    sd x9, FRAME_X + 72(a0)
    sd x11, FRAME_X + 88(a0)
    sd x12, FRAME_X + 96(a0)
    sd x13, FRAME_X + 104(a0)
    sd x14, FRAME_X + 112(a0)
    sd x15, FRAME_X + 120(a0)
    sd x16, FRAME_X + 128(a0)
    sd x17, FRAME_X + 136(a0)
    sd x18, FRAME_X + 144(a0)
    sd x19, FRAME_X + 152(a0)
    sd x20, FRAME_X + 160(a0)
    sd x21, FRAME_X + 168(a0)
    sd x22, FRAME_X + 176(a0)
    sd x23, FRAME_X + 184(a0)
    sd x24, FRAME_X + 192(a0)
    sd x25, FRAME_X + 200(a0)
    sd x26, FRAME_X + 208(a0)
    sd x27, FRAME_X + 216(a0)
    sd x28, FRAME_X + 224(a0)
    sd x29, FRAME_X + 232(a0)
    sd x30, FRAME_X + 240(a0)
    sd x31, FRAME_X + 248(a0)
    csrr t0, sscratch
    sd t0, FRAME_X + 80(a0)
    csrr t0, sepc
    sd t0, FRAME_SEPC(a0)
    /* scause goes back in a0 (t1 until then); the fault details only when
     * the cause can have any, read before the host's sstatus (maybe with
     * SIE set) lets a host interrupt overwrite them. */
    csrr t1, scause
    li t0, SCAUSE_ECALL_VS
    beq t1, t0, 1f
    csrr t0, stval
    sd t0, FRAME_STVAL(a0)
    csrr t0, CSR_HTVAL
    sd t0, FRAME_HTVAL(a0)
    csrr t0, CSR_HTINST
    sd t0, FRAME_HTINST(a0)
1:
    ld t0, FRAME_HOST_STVEC(a0)
    csrw stvec, t0
    ld t0, FRAME_HOST_HSTATUS(a0)
    csrw CSR_HSTATUS, t0
    ld t0, FRAME_HOST_SSTATUS(a0)
    csrw sstatus, t0
    ld ra, FRAME_HOST_REGS + 0(a0)
    ld sp, FRAME_HOST_REGS + 8(a0)
    ld gp, FRAME_HOST_REGS + 16(a0)
    ld tp, FRAME_HOST_REGS + 24(a0)
    ld s0, FRAME_HOST_REGS + 32(a0)
    ld s1, FRAME_HOST_REGS + 40(a0)
    ld s2, FRAME_HOST_REGS + 48(a0)
    ld s3, FRAME_HOST_REGS + 56(a0)
    ld s4, FRAME_HOST_REGS + 64(a0)
    ld s5, FRAME_HOST_REGS + 72(a0)
    ld s6, FRAME_HOST_REGS + 80(a0)
    ld s7, FRAME_HOST_REGS + 88(a0)
    ld s8, FRAME_HOST_REGS + 96(a0)
    ld s9, FRAME_HOST_REGS + 104(a0)
    ld s10, FRAME_HOST_REGS + 112(a0)
    ld s11, FRAME_HOST_REGS + 120(a0)
    mv a0, t1
    ret
    .size axv_rv_exit, . - axv_rv_exit

/* hlvx.hu a0, (a0): read guest memory as the guest would execute it. */
    .balign 4
    .global axv_rv_hlvx_hu
axv_rv_hlvx_hu:
    .insn r 0x73, 0x4, 0x32, a0, a0, x3
    ret

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
