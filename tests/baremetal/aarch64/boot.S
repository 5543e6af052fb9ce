/*
 * Entry at EL2 (QEMU -M virt,virtualization=on starts the ELF's entry at EL2
 * with the MMU off), the harness's EL2 vector table, setjmp/longjmp and the
 * semihosting trap instruction.
 */

/* struct bm_a64_frame (platform.c): x0..x30, sp, elr, spsr, esr, far. */
#define FRAME_SP   248
#define FRAME_ELR  256
#define FRAME_ESR  272
#define FRAME_SIZE 288

/* SCTLR_EL2: RES1 bits, SA (SP alignment check) and I; M, C and A off. */
#define SCTLR_EL2_BOOT 0x30c51838
#define HCR_EL2_RW     0x80000000
/* CPTR_EL2: RES1 bits only, no FP/SIMD traps. */
#define CPTR_EL2_BOOT  0x33ff

	.section .note.GNU-stack, "", %progbits

	.section .text.boot, "ax"
	.globl _start
_start:
	adrp	x1, __bm_stack_top
	add	x1, x1, :lo12:__bm_stack_top
	mov	sp, x1

	/* Zero .bss (8-byte aligned bounds, link.ld). */
	adrp	x1, __bss_start
	add	x1, x1, :lo12:__bss_start
	adrp	x2, __bss_end
	add	x2, x2, :lo12:__bss_end
1:	cmp	x1, x2
	b.hs	2f
	str	xzr, [x1], #8
	b	1b
2:
	mrs	x0, CurrentEL
	ubfx	x0, x0, #2, #2
	cmp	x0, #2
	b.ne	3f

	ldr	x1, =SCTLR_EL2_BOOT
	msr	sctlr_el2, x1
	mov	x1, #HCR_EL2_RW
	msr	hcr_el2, x1
	mov	x1, #CPTR_EL2_BOOT
	msr	cptr_el2, x1
	msr	cntvoff_el2, xzr
	adrp	x1, bm_a64_vectors
	add	x1, x1, :lo12:bm_a64_vectors
	msr	vbar_el2, x1
	isb

	bl	bm_platform_init
	bl	main
	bl	bm_exit			/* main's return value is the status */

3:	bl	bm_a64_wrong_el		/* x0 = the EL we started at; does not return */
4:	wfi
	b	4b
	.ltorg

/* ------------------------------------------------------------------ vectors
 * Every entry reports an unexpected exception through bm_a64_exception(),
 * which resumes only a semihosting call made without -semihosting.
 *
 * The SP is checked first, without touching memory (the swap trick of
 * Linux's entry.S): the frame must land 16-byte aligned inside the 64 KiB
 * stack, which link.ld aligns to 128 KiB so that bit 16 of any address in
 * it is 0. Otherwise (overflow, a corrupt SP) the entry switches to
 * bm_a64_trap_stack, using TPIDR_EL0/TPIDRRO_EL0 as scratch, and marks the
 * vector number with 0x100; such an exception is never resumed.
 */
.macro VENTRY idx
	.org	bm_a64_vectors + \idx * 0x80
	sub	sp, sp, #FRAME_SIZE
	add	sp, sp, x0		/* sp' = sp + x0 */
	sub	x0, sp, x0		/* x0 = sp */
	tst	x0, #0xf
	b.ne	.Lbad\@
	tst	x0, #0x10000
	b.ne	.Lbad\@
	tst	x0, #0xffffffff00000000
	b.ne	.Lbad\@
	sub	x0, sp, x0		/* x0 = x0 */
	sub	sp, sp, x0		/* sp = sp */
	stp	x0, x1, [sp]
	add	x1, sp, #FRAME_SIZE
	str	x1, [sp, #FRAME_SP]
	mov	x0, #\idx
	b	bm_a64_vec_common
.Lbad\@:
	msr	tpidr_el0, x0		/* the frame address it would have had */
	sub	x0, sp, x0		/* x0 = x0 */
	msr	tpidrro_el0, x0
	adrp	x0, bm_a64_trap_stack_top
	add	x0, x0, :lo12:bm_a64_trap_stack_top
	mov	sp, x0
	sub	sp, sp, #FRAME_SIZE
	mrs	x0, tpidrro_el0
	stp	x0, x1, [sp]
	mrs	x0, tpidr_el0
	add	x0, x0, #FRAME_SIZE
	str	x0, [sp, #FRAME_SP]
	mov	x0, #(\idx | 0x100)
	b	bm_a64_vec_common
.endm

	.section .text.vectors, "ax"
	.balign	0x800
	.globl	bm_a64_vectors
bm_a64_vectors:
	VENTRY 0
	VENTRY 1
	VENTRY 2
	VENTRY 3
	VENTRY 4
	VENTRY 5
	VENTRY 6
	VENTRY 7
	VENTRY 8
	VENTRY 9
	VENTRY 10
	VENTRY 11
	VENTRY 12
	VENTRY 13
	VENTRY 14
	VENTRY 15
	.org	bm_a64_vectors + 0x800

	.text
/* x0 = vector number (| 0x100: bad SP), sp = frame with x0, x1 and sp saved. */
bm_a64_vec_common:
	stp	x2, x3, [sp, #16]
	stp	x4, x5, [sp, #32]
	stp	x6, x7, [sp, #48]
	stp	x8, x9, [sp, #64]
	stp	x10, x11, [sp, #80]
	stp	x12, x13, [sp, #96]
	stp	x14, x15, [sp, #112]
	stp	x16, x17, [sp, #128]
	stp	x18, x19, [sp, #144]
	stp	x20, x21, [sp, #160]
	stp	x22, x23, [sp, #176]
	stp	x24, x25, [sp, #192]
	stp	x26, x27, [sp, #208]
	stp	x28, x29, [sp, #224]
	str	x30, [sp, #240]
	mrs	x2, elr_el2
	mrs	x3, spsr_el2
	stp	x2, x3, [sp, #FRAME_ELR]
	mrs	x2, esr_el2
	mrs	x3, far_el2
	stp	x2, x3, [sp, #FRAME_ESR]
	mov	x1, sp
	bl	bm_a64_exception	/* returns only to resume */
	ldp	x2, x3, [sp, #FRAME_ELR]
	msr	elr_el2, x2
	msr	spsr_el2, x3
	ldp	x2, x3, [sp, #16]
	ldp	x4, x5, [sp, #32]
	ldp	x6, x7, [sp, #48]
	ldp	x8, x9, [sp, #64]
	ldp	x10, x11, [sp, #80]
	ldp	x12, x13, [sp, #96]
	ldp	x14, x15, [sp, #112]
	ldp	x16, x17, [sp, #128]
	ldp	x18, x19, [sp, #144]
	ldp	x20, x21, [sp, #160]
	ldp	x22, x23, [sp, #176]
	ldp	x24, x25, [sp, #192]
	ldp	x26, x27, [sp, #208]
	ldp	x28, x29, [sp, #224]
	ldr	x30, [sp, #240]
	mov	x1, sp
	ldr	x0, [x1, #FRAME_SP]
	mov	sp, x0
	ldp	x0, x1, [x1]
	eret

/* ------------------------------------------------------------------ setjmp */
/* int bm_setjmp(bm_jmp_buf env): x19..x30 and sp (no FP state). */
	.globl	bm_setjmp
	.type	bm_setjmp, %function
bm_setjmp:
	stp	x19, x20, [x0, #0]
	stp	x21, x22, [x0, #16]
	stp	x23, x24, [x0, #32]
	stp	x25, x26, [x0, #48]
	stp	x27, x28, [x0, #64]
	stp	x29, x30, [x0, #80]
	mov	x1, sp
	str	x1, [x0, #96]
	mov	x0, #0
	ret
	.size	bm_setjmp, . - bm_setjmp

/* void bm_longjmp(bm_jmp_buf env, int val): bm_setjmp returns val (1 if 0). */
	.globl	bm_longjmp
	.type	bm_longjmp, %function
bm_longjmp:
	ldp	x19, x20, [x0, #0]
	ldp	x21, x22, [x0, #16]
	ldp	x23, x24, [x0, #32]
	ldp	x25, x26, [x0, #48]
	ldp	x27, x28, [x0, #64]
	ldp	x29, x30, [x0, #80]
	ldr	x2, [x0, #96]
	mov	sp, x2
	cmp	w1, #0
	csinc	w0, w1, wzr, ne
	ret
	.size	bm_longjmp, . - bm_longjmp

/* ------------------------------------------------------------------ semihosting */
/* uint64_t bm_a64_semihost_raw(uint64_t op, uint64_t arg). Without
 * -semihosting the HLT is undefined (EC 0); bm_a64_exception recognises this
 * address, returns -1 in x0 and resumes after it. */
	.globl	bm_a64_semihost_raw
	.globl	bm_a64_semihost_hlt
	.type	bm_a64_semihost_raw, %function
bm_a64_semihost_raw:
bm_a64_semihost_hlt:
	hlt	#0xf000
	ret
	.size	bm_a64_semihost_raw, . - bm_a64_semihost_raw

/* ------------------------------------------------------------------ trap stack */
	.bss
	.balign	16
bm_a64_trap_stack:
	.space	16384
bm_a64_trap_stack_top:
