/*
 * Shared by the riscv64 test guests (tests/guests/riscv64/NAME.S): the
 * guest-physical layout, the calls to the host and assembler macros.
 * Assembly only. Each NAME.S becomes out/baremetal/riscv64/guests/NAME.bin,
 * a flat image linked at GUEST_RAM_BASE (guest.ld), embedded in the host
 * image; a host test finds it with bm_guest("NAME") and loads it with
 * bm_vm_create(&vm, "NAME", ram_size).
 *
 * Guests are built with -march=rv64gc -mabi=lp64d: instructions may be
 * compressed (16-bit), so a trapping instruction is 2 or 4 bytes long (use
 * htinst, or the low bits of the instruction, to step over it); ecall is
 * always 4 bytes.
 *
 * The backend is expected to start the guest in VS-mode with vsatp = 0 (no
 * first-stage translation), at GUEST_RAM_BASE (the image's first
 * instruction: GUEST_START/GUEST_ENTRY), and to keep every register but a0
 * and a1 across a call. Guests assume nothing about registers at entry.
 *
 * Guest-physical layout (what bm_vm_create maps, Sv39x4 G-stage):
 *   GUEST_RAM_BASE 0x80000000  RAM, GUEST_RAM_SIZE (2 MiB) unless the host
 *                              test asks for more; the image at its start;
 *                              .bss is not in the image but RAM is zeroed
 *   anything else              unmapped: a guest-page fault (scause 20/21/23,
 *                              htval = gpa >> 2), which the backend reports
 *                              as an MMIO exit (or nested page fault):
 *     GUEST_UART 0x10000000      NS16550A transmit register, if the host
 *                                test emulates it (PUTS_MMIO: byte stores)
 *     GUEST_MMIO 0x0a000000      free for test devices
 *
 * Calls: ecall from VS-mode, SBI convention: a7 = extension id (EID),
 * a6 = function id (FID), arguments a0..a5, results a0 (error) and a1
 * (value):
 *   SBI_EXT_SRST 0x53525354    pass: FID 0 (system_reset), a0 = 0
 *                              (shutdown), a1 = 0 (no reason): the guest
 *                              is done (system_down exit)
 *   GUEST_SBI_FAIL 0x09000001  fail: FID 0, a0 = failure code. Codes
 *                              1..0xdf are the guest's own checks, distinct
 *                              within a guest; GUEST_FAIL_TRAP (0xe0) comes
 *                              from the default trap handler with
 *                              a1 = scause, a2 = sepc, a3 = stval (the
 *                              guest's vscause, vsepc, vstval)
 *   SBI_EXT_LEGACY_PUTCHAR 1   print the byte in a0 (SBI v0.1
 *                              console_putchar; a6 ignored)
 * EIDs 0x09000000..0x0900000f (SBI vendor-specific range) are reserved for
 * this harness; the backend's own vendor calls start at 0x09000010.
 * After a pass or fail the guest never continues: if the host resumes it,
 * it sits in WFI.
 *
 * Macros clobber only a0, a1, a6, a7 (calls), t5 and t6 (scratch), unless
 * noted.
 */
#ifndef AXV_RV64_TEST_GUEST_H
#define AXV_RV64_TEST_GUEST_H

#define GUEST_RAM_BASE 0x80000000
#define GUEST_RAM_SIZE 0x00200000
#define GUEST_STACK_TOP (GUEST_RAM_BASE + GUEST_RAM_SIZE)
#define GUEST_UART 0x10000000
#define GUEST_MMIO 0x0a000000

#define SBI_EXT_LEGACY_PUTCHAR 0x01
#define SBI_EXT_BASE 0x10
#define SBI_EXT_HSM 0x48534d
#define SBI_EXT_SRST 0x53525354
#define SBI_SRST_SHUTDOWN 0
#define SBI_SRST_COLD_REBOOT 1
#define GUEST_SBI_FAIL 0x09000001
#define GUEST_FAIL_TRAP 0xe0

/* Keeps ld from warning about an executable stack: guests have no ELF stack. */
	.section .note.GNU-stack, "", %progbits

/* reg = a 64-bit constant (the assembler picks the shortest sequence). */
.macro LI64 reg, imm
	li	\reg, \imm
.endm

/* The image's first instruction, nothing else: for guests that count instructions. */
.macro GUEST_START
	.section .text.entry, "ax"
	.globl	_start
_start:
.endm

/*
 * GUEST_START, then sp = GUEST_STACK_TOP and stvec (the guest's vstvec) =
 * a default handler that reports any trap as GUEST_FAIL_TRAP.
 */
.macro GUEST_ENTRY
	GUEST_START
	LI64	sp, GUEST_STACK_TOP
	lla	t6, guest_default_trap
	csrw	stvec, t6
	j	.Lguest_body\@

	.pushsection .text.trap, "ax"
	.balign	4
guest_default_trap:
	csrr	a1, scause
	csrr	a2, sepc
	csrr	a3, stval
	li	a0, GUEST_FAIL_TRAP
	li	a6, 0
	LI64	a7, GUEST_SBI_FAIL
	ecall
	GUEST_HANG
	.popsection
.Lguest_body\@:
.endm

/* Stop for good: WFI forever (each WFI may exit to the host as halt). */
.macro GUEST_HANG
.Lhang\@:
	wfi
	j	.Lhang\@
.endm

/* SBI call: a7 = eid, a6 = fid (a0..a5 already set); results in a0, a1. */
.macro SBI_CALL eid, fid
	LI64	a7, \eid
	li	a6, \fid
	ecall
.endm

/* Pass: SBI SRST shutdown, no reason. */
.macro GUEST_PASS
	li	a0, SBI_SRST_SHUTDOWN
	li	a1, 0
	SBI_CALL SBI_EXT_SRST, 0
	GUEST_HANG
.endm

/* Fail with code n (1..0xdf, distinct within the guest). */
.macro GUEST_FAIL n
	LI64	a0, \n
	SBI_CALL GUEST_SBI_FAIL, 0
	GUEST_HANG
.endm

/* GUEST_FAIL n unless `b<cc> rs1, rs2` is taken (cc: eq, ne, lt, ge, ltu, geu). */
.macro CHECK cc, rs1, rs2, n
	b\cc	\rs1, \rs2, .Lcheck_ok\@
	GUEST_FAIL \n
.Lcheck_ok\@:
.endm

/* GUEST_FAIL n unless the 64-bit register reg equals the constant imm. */
.macro CHECK_EQ reg, imm, n
	LI64	t6, \imm
	CHECK	eq, \reg, t6, \n
.endm

/* GUEST_FAIL n if the 64-bit register reg equals the constant imm. */
.macro CHECK_NE reg, imm, n
	LI64	t6, \imm
	CHECK	ne, \reg, t6, \n
.endm

/* Print a string literal through SBI console_putchar, one call per byte. */
.macro PUTS str
	.pushsection .rodata
.Lputs_str\@:
	.asciz	"\str"
	.popsection
	lla	t5, .Lputs_str\@
.Lputs_next\@:
	lbu	a0, 0(t5)
	beqz	a0, .Lputs_done\@
	SBI_CALL SBI_EXT_LEGACY_PUTCHAR, 0
	addi	t5, t5, 1
	j	.Lputs_next\@
.Lputs_done\@:
.endm

/* Print a string literal by byte stores to GUEST_UART (one MMIO exit per byte). */
.macro PUTS_MMIO str
	.pushsection .rodata
.Lputs_str\@:
	.asciz	"\str"
	.popsection
	lla	t5, .Lputs_str\@
	LI64	t6, GUEST_UART
.Lputs_next\@:
	lbu	a0, 0(t5)
	beqz	a0, .Lputs_done\@
	sb	a0, 0(t6)
	addi	t5, t5, 1
	j	.Lputs_next\@
.Lputs_done\@:
.endm

#endif /* AXV_RV64_TEST_GUEST_H */
