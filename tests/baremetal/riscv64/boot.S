/*
 * Entry in HS-mode (OpenSBI fw_dynamic jumps to the ELF entry, 0x80200000,
 * in S-mode with a0 = hart id, a1 = DTB; with -cpu rv64,h=true that is
 * HS-mode), the harness's trap handler, setjmp/longjmp and the semihosting
 * trap sequence.
 */

/* struct bm_rv_frame (platform.c): x0..x31 (x0's slot unused), then CSRs. */
#define FRAME_X(n)     ((n) * 8)
#define FRAME_SEPC     256
#define FRAME_SSTATUS  264
#define FRAME_SCAUSE   272
#define FRAME_STVAL    280
#define FRAME_HTVAL    288
#define FRAME_HTINST   296
#define FRAME_HSTATUS  304
#define FRAME_SIZE     320

/* hstatus bits cleared at boot: GVA SPV SPVP HU VGEIN VTVM VTW VTSR (bm_arch.h). */
#define HSTATUS_RESET  0x73f3c0

	.section .note.GNU-stack, "", %progbits

	.section .text.boot, "ax"
	.globl	_start
_start:
	/* No gp: the image does not define __global_pointer$, nothing uses gp. */
	mv	s0, a0			/* hart id */
	mv	s1, a1			/* DTB */
	csrw	sie, zero
	csrci	sstatus, 2		/* SIE off */
	lla	sp, __bm_stack_top

	/* Zero .bss (8-byte aligned bounds, link.ld). */
	lla	t0, __bss_start
	lla	t1, __bss_end
1:	bgeu	t0, t1, 2f
	sd	zero, 0(t0)
	addi	t0, t0, 8
	j	1b
2:
	lla	t0, bm_rv_boot_hartid
	sd	s0, 0(t0)
	lla	t0, bm_rv_boot_dtb
	sd	s1, 0(t0)

	/* The H extension: without it, reading hstatus is an illegal instruction. */
	lla	t0, .Lno_h
	csrw	stvec, t0
	csrr	t0, hstatus

	lla	t0, bm_rv_trap_entry
	csrw	stvec, t0
	csrw	sscratch, zero
	li	t0, HSTATUS_RESET
	csrc	hstatus, t0
	csrw	hedeleg, zero
	csrw	hideleg, zero
	csrw	hvip, zero
	csrw	hgatp, zero
	hfence.gvma zero, zero

	call	bm_platform_init
	call	main
	call	bm_exit			/* main's return value is the status */

	.balign	4
.Lno_h:	call	bm_rv_no_h		/* does not return */
3:	wfi
	j	3b

/*
 * stvec for bm_rv_no_h (no H extension, so no hstatus/htval for the real
 * handler): steps over the trapping 4-byte instruction (the semihosting
 * ebreak without -semihosting). Clobbers t0.
 */
	.balign	4
	.globl	bm_rv_skip_trap
bm_rv_skip_trap:
	csrr	t0, sepc
	addi	t0, t0, 4
	csrw	sepc, t0
	sret

/* ------------------------------------------------------------------ traps
 * Every trap reports an unexpected exception through bm_rv_trap(), which
 * resumes only a semihosting call made without -semihosting.
 *
 * The SP is checked first, using sscratch to hold t0 (sscratch is
 * clobbered): the frame must land 16-byte aligned inside the harness stack
 * (or the trap stack, for a trap while reporting one). Otherwise (overflow,
 * a corrupt SP, a guest's SP) the entry switches to the top of
 * bm_rv_trap_stack and passes bad_sp = 1; such a trap is never resumed.
 */
	.text
	.balign	4
	.globl	bm_rv_trap_entry
	.type	bm_rv_trap_entry, %function
bm_rv_trap_entry:
	csrw	sscratch, t0
	mv	t0, sp			/* t0 = the SP at the trap; sp is scratch */
	andi	sp, t0, 15
	bnez	sp, .Lbad_sp
	lla	sp, __bm_stack_bottom + FRAME_SIZE
	bltu	t0, sp, .Ltry_trap_stack
	lla	sp, __bm_stack_top
	bleu	t0, sp, .Lgood_sp
.Ltry_trap_stack:
	lla	sp, bm_rv_trap_stack + FRAME_SIZE
	bltu	t0, sp, .Lbad_sp
	lla	sp, bm_rv_trap_stack_top
	bleu	t0, sp, .Lgood_sp
.Lbad_sp:
	lla	sp, bm_rv_trap_stack_top - FRAME_SIZE
	sd	t0, FRAME_X(2)(sp)
	li	t0, 1
	j	.Lsave
.Lgood_sp:
	addi	sp, t0, -FRAME_SIZE
	sd	t0, FRAME_X(2)(sp)
	li	t0, 0
.Lsave:
	sd	x1, FRAME_X(1)(sp)
	sd	x3, FRAME_X(3)(sp)
	sd	x4, FRAME_X(4)(sp)
	sd	x6, FRAME_X(6)(sp)
	sd	x7, FRAME_X(7)(sp)
	sd	x8, FRAME_X(8)(sp)
	sd	x9, FRAME_X(9)(sp)
	sd	x10, FRAME_X(10)(sp)
	sd	x11, FRAME_X(11)(sp)
	sd	x12, FRAME_X(12)(sp)
	sd	x13, FRAME_X(13)(sp)
	sd	x14, FRAME_X(14)(sp)
	sd	x15, FRAME_X(15)(sp)
	sd	x16, FRAME_X(16)(sp)
	sd	x17, FRAME_X(17)(sp)
	sd	x18, FRAME_X(18)(sp)
	sd	x19, FRAME_X(19)(sp)
	sd	x20, FRAME_X(20)(sp)
	sd	x21, FRAME_X(21)(sp)
	sd	x22, FRAME_X(22)(sp)
	sd	x23, FRAME_X(23)(sp)
	sd	x24, FRAME_X(24)(sp)
	sd	x25, FRAME_X(25)(sp)
	sd	x26, FRAME_X(26)(sp)
	sd	x27, FRAME_X(27)(sp)
	sd	x28, FRAME_X(28)(sp)
	sd	x29, FRAME_X(29)(sp)
	sd	x30, FRAME_X(30)(sp)
	sd	x31, FRAME_X(31)(sp)
	mv	a1, t0			/* bad_sp */
	csrr	t0, sscratch
	sd	t0, FRAME_X(5)(sp)
	sd	zero, FRAME_X(0)(sp)
	csrr	t0, sepc
	sd	t0, FRAME_SEPC(sp)
	csrr	t0, sstatus
	sd	t0, FRAME_SSTATUS(sp)
	csrr	t0, scause
	sd	t0, FRAME_SCAUSE(sp)
	csrr	t0, stval
	sd	t0, FRAME_STVAL(sp)
	csrr	t0, htval
	sd	t0, FRAME_HTVAL(sp)
	csrr	t0, htinst
	sd	t0, FRAME_HTINST(sp)
	csrr	t0, hstatus
	sd	t0, FRAME_HSTATUS(sp)
	mv	a0, sp
	call	bm_rv_trap		/* returns only to resume */
	ld	t0, FRAME_SEPC(sp)
	csrw	sepc, t0
	ld	x1, FRAME_X(1)(sp)
	ld	x3, FRAME_X(3)(sp)
	ld	x4, FRAME_X(4)(sp)
	ld	x5, FRAME_X(5)(sp)
	ld	x6, FRAME_X(6)(sp)
	ld	x7, FRAME_X(7)(sp)
	ld	x8, FRAME_X(8)(sp)
	ld	x9, FRAME_X(9)(sp)
	ld	x10, FRAME_X(10)(sp)
	ld	x11, FRAME_X(11)(sp)
	ld	x12, FRAME_X(12)(sp)
	ld	x13, FRAME_X(13)(sp)
	ld	x14, FRAME_X(14)(sp)
	ld	x15, FRAME_X(15)(sp)
	ld	x16, FRAME_X(16)(sp)
	ld	x17, FRAME_X(17)(sp)
	ld	x18, FRAME_X(18)(sp)
	ld	x19, FRAME_X(19)(sp)
	ld	x20, FRAME_X(20)(sp)
	ld	x21, FRAME_X(21)(sp)
	ld	x22, FRAME_X(22)(sp)
	ld	x23, FRAME_X(23)(sp)
	ld	x24, FRAME_X(24)(sp)
	ld	x25, FRAME_X(25)(sp)
	ld	x26, FRAME_X(26)(sp)
	ld	x27, FRAME_X(27)(sp)
	ld	x28, FRAME_X(28)(sp)
	ld	x29, FRAME_X(29)(sp)
	ld	x30, FRAME_X(30)(sp)
	ld	x31, FRAME_X(31)(sp)
	ld	sp, FRAME_X(2)(sp)
	sret
	.size	bm_rv_trap_entry, . - bm_rv_trap_entry

/* ------------------------------------------------------------------ setjmp */
/* int bm_setjmp(bm_jmp_buf env): ra, sp, s0..s11 (no FP state). */
	.globl	bm_setjmp
	.type	bm_setjmp, %function
bm_setjmp:
	sd	ra, 0(a0)
	sd	sp, 8(a0)
	sd	s0, 16(a0)
	sd	s1, 24(a0)
	sd	s2, 32(a0)
	sd	s3, 40(a0)
	sd	s4, 48(a0)
	sd	s5, 56(a0)
	sd	s6, 64(a0)
	sd	s7, 72(a0)
	sd	s8, 80(a0)
	sd	s9, 88(a0)
	sd	s10, 96(a0)
	sd	s11, 104(a0)
	li	a0, 0
	ret
	.size	bm_setjmp, . - bm_setjmp

/* void bm_longjmp(bm_jmp_buf env, int val): bm_setjmp returns val (1 if 0). */
	.globl	bm_longjmp
	.type	bm_longjmp, %function
bm_longjmp:
	ld	ra, 0(a0)
	ld	sp, 8(a0)
	ld	s0, 16(a0)
	ld	s1, 24(a0)
	ld	s2, 32(a0)
	ld	s3, 40(a0)
	ld	s4, 48(a0)
	ld	s5, 56(a0)
	ld	s6, 64(a0)
	ld	s7, 72(a0)
	ld	s8, 80(a0)
	ld	s9, 88(a0)
	ld	s10, 96(a0)
	ld	s11, 104(a0)
	sext.w	a0, a1
	bnez	a0, 1f
	li	a0, 1
1:	ret
	.size	bm_longjmp, . - bm_longjmp

/* ------------------------------------------------------------------ semihosting */
/*
 * uint64_t bm_rv_semihost_raw(uint64_t op, uint64_t arg): a0 = op, a1 = arg,
 * result in a0. QEMU recognises the RISC-V semihosting sequence only
 * uncompressed and inside one page (the 16-byte alignment guarantees it).
 * Without -semihosting the ebreak is a breakpoint exception: bm_rv_trap
 * recognises bm_rv_semihost_ebreak, returns -1 in a0 and resumes after it.
 */
	.globl	bm_rv_semihost_raw
	.globl	bm_rv_semihost_ebreak
	.type	bm_rv_semihost_raw, %function
	.balign	16
bm_rv_semihost_raw:
	.option	push
	.option	norvc
	slli	x0, x0, 0x1f
bm_rv_semihost_ebreak:
	ebreak
	srai	x0, x0, 7
	.option	pop
	ret
	.size	bm_rv_semihost_raw, . - bm_rv_semihost_raw

/* ------------------------------------------------------------------ trap stack */
	.bss
	.balign	16
	.globl	bm_rv_trap_stack
bm_rv_trap_stack:
	.space	16384
	.globl	bm_rv_trap_stack_top
bm_rv_trap_stack_top:
