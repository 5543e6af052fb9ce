/* The harness's minimal VS entry for its self-tests; see vs_run.h. */

#define X(n)      ((n) * 8)
#define PC        256
#define SCAUSE    264
#define STVAL     272
#define HTVAL     280
#define HTINST    288
#define HOST(n)   (296 + (n) * 8)   /* ra sp gp tp s0..s11 stvec */

#define HSTATUS_SPV_SPVP 0x180
#define SSTATUS_SPP      0x100
#define SSTATUS_SPIE     0x20

	.section .note.GNU-stack, "", %progbits
	.text

/* void bm_rv_vs_run(struct bm_rv_vs *vs) */
	.balign	4
	.globl	bm_rv_vs_run
	.type	bm_rv_vs_run, %function
bm_rv_vs_run:
	sd	ra, HOST(0)(a0)
	sd	sp, HOST(1)(a0)
	sd	gp, HOST(2)(a0)
	sd	tp, HOST(3)(a0)
	sd	s0, HOST(4)(a0)
	sd	s1, HOST(5)(a0)
	sd	s2, HOST(6)(a0)
	sd	s3, HOST(7)(a0)
	sd	s4, HOST(8)(a0)
	sd	s5, HOST(9)(a0)
	sd	s6, HOST(10)(a0)
	sd	s7, HOST(11)(a0)
	sd	s8, HOST(12)(a0)
	sd	s9, HOST(13)(a0)
	sd	s10, HOST(14)(a0)
	sd	s11, HOST(15)(a0)
	csrw	sscratch, a0
	lla	t0, bm_rv_vs_exit
	csrrw	t0, stvec, t0
	sd	t0, HOST(16)(a0)
	ld	t0, PC(a0)
	csrw	sepc, t0
	li	t0, HSTATUS_SPV_SPVP
	csrs	hstatus, t0
	li	t0, SSTATUS_SPP
	csrs	sstatus, t0
	li	t0, SSTATUS_SPIE
	csrc	sstatus, t0
	ld	x1, X(1)(a0)
	ld	x2, X(2)(a0)
	ld	x3, X(3)(a0)
	ld	x4, X(4)(a0)
	ld	x5, X(5)(a0)
	ld	x6, X(6)(a0)
	ld	x7, X(7)(a0)
	ld	x8, X(8)(a0)
	ld	x9, X(9)(a0)
	ld	x11, X(11)(a0)
	ld	x12, X(12)(a0)
	ld	x13, X(13)(a0)
	ld	x14, X(14)(a0)
	ld	x15, X(15)(a0)
	ld	x16, X(16)(a0)
	ld	x17, X(17)(a0)
	ld	x18, X(18)(a0)
	ld	x19, X(19)(a0)
	ld	x20, X(20)(a0)
	ld	x21, X(21)(a0)
	ld	x22, X(22)(a0)
	ld	x23, X(23)(a0)
	ld	x24, X(24)(a0)
	ld	x25, X(25)(a0)
	ld	x26, X(26)(a0)
	ld	x27, X(27)(a0)
	ld	x28, X(28)(a0)
	ld	x29, X(29)(a0)
	ld	x30, X(30)(a0)
	ld	x31, X(31)(a0)
	ld	x10, X(10)(a0)
	sret
	.size	bm_rv_vs_run, . - bm_rv_vs_run

/* The guest's trap (stvec while it runs): save it, return from bm_rv_vs_run. */
	.balign	4
bm_rv_vs_exit:
	csrrw	a0, sscratch, a0	/* a0 = vs, sscratch = the guest's a0 */
	sd	x1, X(1)(a0)
	sd	x2, X(2)(a0)
	sd	x3, X(3)(a0)
	sd	x4, X(4)(a0)
	sd	x5, X(5)(a0)
	sd	x6, X(6)(a0)
	sd	x7, X(7)(a0)
	sd	x8, X(8)(a0)
	sd	x9, X(9)(a0)
	sd	x11, X(11)(a0)
	sd	x12, X(12)(a0)
	sd	x13, X(13)(a0)
	sd	x14, X(14)(a0)
	sd	x15, X(15)(a0)
	sd	x16, X(16)(a0)
	sd	x17, X(17)(a0)
	sd	x18, X(18)(a0)
	sd	x19, X(19)(a0)
	sd	x20, X(20)(a0)
	sd	x21, X(21)(a0)
	sd	x22, X(22)(a0)
	sd	x23, X(23)(a0)
	sd	x24, X(24)(a0)
	sd	x25, X(25)(a0)
	sd	x26, X(26)(a0)
	sd	x27, X(27)(a0)
	sd	x28, X(28)(a0)
	sd	x29, X(29)(a0)
	sd	x30, X(30)(a0)
	sd	x31, X(31)(a0)
	csrr	t0, sscratch
	sd	t0, X(10)(a0)
	csrr	t0, sepc
	sd	t0, PC(a0)
	csrr	t0, scause
	sd	t0, SCAUSE(a0)
	csrr	t0, stval
	sd	t0, STVAL(a0)
	csrr	t0, htval
	sd	t0, HTVAL(a0)
	csrr	t0, htinst
	sd	t0, HTINST(a0)
	ld	t0, HOST(16)(a0)
	csrw	stvec, t0
	csrw	sscratch, zero
	li	t0, HSTATUS_SPV_SPVP
	csrc	hstatus, t0
	ld	ra, HOST(0)(a0)
	ld	sp, HOST(1)(a0)
	ld	gp, HOST(2)(a0)
	ld	tp, HOST(3)(a0)
	ld	s0, HOST(4)(a0)
	ld	s1, HOST(5)(a0)
	ld	s2, HOST(6)(a0)
	ld	s3, HOST(7)(a0)
	ld	s4, HOST(8)(a0)
	ld	s5, HOST(9)(a0)
	ld	s6, HOST(10)(a0)
	ld	s7, HOST(11)(a0)
	ld	s8, HOST(12)(a0)
	ld	s9, HOST(13)(a0)
	ld	s10, HOST(14)(a0)
	ld	s11, HOST(15)(a0)
	ret
