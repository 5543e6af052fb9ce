/*
 * Shared by the aarch64 test guests (tests/guests/aarch64/NAME.S): the
 * guest-physical layout, the calls to the host and assembler macros.
 * Assembly only. Each NAME.S becomes out/baremetal/aarch64/guests/NAME.bin,
 * a flat image linked at GUEST_RAM_BASE (guest.ld), embedded in the host
 * image; a host test finds it with bm_guest("NAME") and loads it with
 * bm_vm_create(&vm, "NAME", ram_size).
 *
 * The backend is expected to start the guest at EL1h, MMU off, at
 * GUEST_RAM_BASE (the image's first instruction: GUEST_START/GUEST_ENTRY),
 * and to keep every register but x0 across a call.
 *
 * Guest-physical layout (what bm_vm_create maps):
 *   GUEST_RAM_BASE 0x40000000  RAM, GUEST_RAM_SIZE (2 MiB) unless the host
 *                              test asks for more; the image at its start;
 *                              .bss is not in the image but RAM is zeroed
 *   anything else              unmapped: a stage-2 fault, which the backend
 *                              reports as an MMIO exit (or nested page fault):
 *     GUEST_UART 0x09000000      PL011 data register, if the host test
 *                                emulates it (PUTS_MMIO: byte writes)
 *     GUEST_MMIO 0x0a000000      free for test devices
 *
 * Calls (HVC #0, SMCCC: function id in x0, arguments x1..x6, result x0):
 *   PSCI_SYSTEM_OFF  0x84000008  pass: the guest is done (system_down exit)
 *   GUEST_HVC_FAIL   0xc6000001  fail: x1 = failure code (hypercall exit,
 *                                nr 0xc6000001, args[0] = code). Codes
 *                                1..0xdf are the guest's own checks, distinct
 *                                within a guest; 0xe0 + n is the default EL1
 *                                vector n (x2 = ESR_EL1, x3 = ELR_EL1,
 *                                x4 = FAR_EL1 as args[1..3])
 *   GUEST_HVC_PUTC   0xc6000002  print the byte in x1 (hypercall exit)
 * 0xc6000000..0xc600000f (vendor-specific hypervisor service range) are
 * reserved for this harness; the backend's own ids start at 0xc6000010.
 * After a pass or fail the guest never continues: if the host resumes it,
 * it sits in WFI.
 *
 * Macros clobber only x0, x1 (calls), x16 and x17 (scratch), unless noted.
 */
#ifndef AXV_A64_TEST_GUEST_H
#define AXV_A64_TEST_GUEST_H

#define GUEST_RAM_BASE 0x40000000
#define GUEST_RAM_SIZE 0x00200000
#define GUEST_STACK_TOP (GUEST_RAM_BASE + GUEST_RAM_SIZE)
#define GUEST_UART 0x09000000
#define GUEST_MMIO 0x0a000000

#define PSCI_VERSION 0x84000000
#define PSCI_SYSTEM_OFF 0x84000008
#define PSCI_SYSTEM_RESET 0x84000009
#define GUEST_HVC_FAIL 0xc6000001
#define GUEST_HVC_PUTC 0xc6000002
#define GUEST_FAIL_VECTOR 0xe0

/* Keeps ld from warning about an executable stack: guests have no ELF stack. */
	.section .note.GNU-stack, "", %progbits

/* reg = a 64-bit constant (movz plus a movk per non-zero 16-bit chunk). */
.macro MOV64 reg, imm
	movz	\reg, #((\imm) & 0xffff)
	.if (((\imm) >> 16) & 0xffff)
	movk	\reg, #(((\imm) >> 16) & 0xffff), lsl #16
	.endif
	.if (((\imm) >> 32) & 0xffff)
	movk	\reg, #(((\imm) >> 32) & 0xffff), lsl #32
	.endif
	.if (((\imm) >> 48) & 0xffff)
	movk	\reg, #(((\imm) >> 48) & 0xffff), lsl #48
	.endif
.endm

/* The image's first instruction, nothing else: for guests that count instructions. */
.macro GUEST_START
	.section .text.entry, "ax"
	.globl	_start
_start:
.endm

/*
 * GUEST_START, then SP = GUEST_STACK_TOP and VBAR_EL1 = default vectors
 * that report any exception as GUEST_FAIL (GUEST_FAIL_VECTOR + n).
 */
.macro GUEST_ENTRY
	GUEST_START
	MOV64	x16, GUEST_STACK_TOP
	mov	sp, x16
	adr	x16, guest_default_vectors
	msr	vbar_el1, x16
	isb
	b	.Lguest_body\@

	.pushsection .text.vectors, "ax"
	.balign	0x800
guest_default_vectors:
	.irp	n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	.org	guest_default_vectors + \n * 0x80
	mrs	x2, esr_el1
	mrs	x3, elr_el1
	mrs	x4, far_el1
	mov	x1, #(GUEST_FAIL_VECTOR + \n)
	MOV64	x0, GUEST_HVC_FAIL
	hvc	#0
	b	.
	.endr
	.popsection
.Lguest_body\@:
.endm

/* Stop for good: WFI forever (each WFI may exit to the host as halt). */
.macro GUEST_HANG
.Lhang\@:
	wfi
	b	.Lhang\@
.endm

/* Call function `id` (x1..x6 already set); result in x0. */
.macro HVC_CALL id
	MOV64	x0, \id
	hvc	#0
.endm

/* Pass: PSCI SYSTEM_OFF. */
.macro GUEST_PASS
	HVC_CALL PSCI_SYSTEM_OFF
	GUEST_HANG
.endm

/* Fail with code n (1..0xdf, distinct within the guest). */
.macro GUEST_FAIL n
	MOV64	x1, \n
	HVC_CALL GUEST_HVC_FAIL
	GUEST_HANG
.endm

/* After a cmp/tst: GUEST_FAIL n unless condition cc (eq, ne, lo, ...) holds. */
.macro CHECK cc, n
	b.\cc	.Lcheck_ok\@
	GUEST_FAIL \n
.Lcheck_ok\@:
.endm

/* GUEST_FAIL n unless the 64-bit register reg equals the constant imm. */
.macro CHECK_EQ reg, imm, n
	MOV64	x17, \imm
	cmp	\reg, x17
	CHECK	eq, \n
.endm

/* Print a string literal through GUEST_HVC_PUTC, one call per byte. */
.macro PUTS_HVC str
	.pushsection .rodata
.Lputs_str\@:
	.asciz	"\str"
	.popsection
	adr	x16, .Lputs_str\@
.Lputs_next\@:
	ldrb	w1, [x16], #1
	cbz	w1, .Lputs_done\@
	HVC_CALL GUEST_HVC_PUTC
	b	.Lputs_next\@
.Lputs_done\@:
.endm

/* Print a string literal by byte writes to GUEST_UART (one MMIO exit per byte). Clobbers x1. */
.macro PUTS_MMIO str
	.pushsection .rodata
.Lputs_str\@:
	.asciz	"\str"
	.popsection
	adr	x16, .Lputs_str\@
	MOV64	x17, GUEST_UART
.Lputs_next\@:
	ldrb	w1, [x16], #1
	cbz	w1, .Lputs_done\@
	strb	w1, [x17]
	b	.Lputs_next\@
.Lputs_done\@:
.endm

#endif /* AXV_A64_TEST_GUEST_H */
