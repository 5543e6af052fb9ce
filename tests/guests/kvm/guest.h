/*
 * Shared by the kvm test guests (the .S files here, run by tests/kvm/run.sh
 * under out/axv-run): the axv-run ABI plus a few assembler macros.
 *
 * Conventions:
 *  - A guest checks every answer of the VMM itself. The first failed check
 *    writes its check number n (1..63, distinct within a guest) to the
 *    isa-debug-exit port, so axv-run exits with status (n << 1) | 1; success
 *    ends with SYSTEM_OFF (status 0).
 *  - HCALL, PUTS, FAIL, SYSTEM_OFF, HANG and CHECK work in .code64 and .code32
 *    (the multiboot guest); CHECK_EQ and the IDT macros are 64-bit only.
 *  - Only plain integer instructions: the nested KVM this runs on emulates
 *    ring-0 code and refuses some instructions (int3, x87, SSE, xrstor...).
 */
#ifndef AXV_TEST_GUEST_H
#define AXV_TEST_GUEST_H

#include "abi.h"

/* Keeps ld from warning about an executable stack: guests have no ELF stack. */
	.section .note.GNU-stack, "", @progbits

/* The first instruction of a flat image: guest.ld puts .text.entry at 0x100000. */
.macro GUEST_ENTRY
	.section .text.entry, "ax"
	.globl _start
_start:
.endm

/* Stop for good if the VMM does not: hlt with IF=0 never wakes. */
.macro HANG
.Lhang\@:
	cli
	hlt
	jmp .Lhang\@
.endm

/* Hypercall nr with the arguments already in rdi, rsi, rdx, rcx, r8, r9.
 * The doorbell OUT only carries al, so the VMM reads the full nr from rax.
 * Result in rax. */
.macro HCALL nr
	mov $(\nr), %eax
	out %al, $AXVRUN_DOORBELL
.endm

/* Print a string literal on COM1, one OUT (one exit) per byte. Clobbers
 * rax, rsi, rdx. */
.macro PUTS str
	.pushsection .rodata
.Lputs_str\@:
	.asciz "\str"
	.popsection
	mov $.Lputs_str\@, %esi
	mov $AXVRUN_COM1, %dx
.Lputs_next\@:
	lodsb
	test %al, %al
	jz .Lputs_done\@
	out %al, %dx
	jmp .Lputs_next\@
.Lputs_done\@:
.endm

/* Check number n failed: axv-run exits with status (n << 1) | 1. */
.macro FAIL n
	mov $(\n), %al
	out %al, $AXVRUN_DEBUG_EXIT
	HANG
.endm

/* After a cmp/test: unless condition code cc holds (e, ne, z, b, ...), FAIL n. */
.macro CHECK cc, n
	j\cc .Lcheck_ok\@
	FAIL \n
.Lcheck_ok\@:
.endm

/* 64-bit: FAIL n unless the 64-bit register reg equals the 64-bit constant
 * imm. Clobbers r11 (the only register the checks use). */
.macro CHECK_EQ reg, imm, n
	movabs $(\imm), %r11
	cmp %r11, \reg
	CHECK e, \n
.endm

/* Power off: status 0. */
.macro SYSTEM_OFF
	HCALL AXV_KVM_CALL_SYSTEM_OFF
	HANG
.endm

/* 64-bit interrupts. The table lives in .bss; every gate not set stays
 * not-present, so a stray vector ends in a triple fault the runner sees. */
#define IDT_VECTORS 256

/* Gate vec -> handler: a 64-bit interrupt gate, selector 0x08 (axv-run's
 * code64), DPL 0, no IST. The image is below 4 GiB, so offset 63:32 is 0. */
.macro IDT_GATE vec, handler
	.ifndef axv_idt
	.pushsection .bss
	.balign 16
axv_idt:
	.skip IDT_VECTORS * 16
	.popsection
	.endif
	mov $\handler, %eax
	mov %ax, axv_idt + (\vec) * 16 + 0
	movw $0x08, axv_idt + (\vec) * 16 + 2
	movw $0x8e00, axv_idt + (\vec) * 16 + 4
	shr $16, %eax
	mov %ax, axv_idt + (\vec) * 16 + 6
	movl $0, axv_idt + (\vec) * 16 + 8
	movl $0, axv_idt + (\vec) * 16 + 12
.endm

/* lidt of the table IDT_GATE fills. */
.macro IDT_LOAD
	.pushsection .rodata
	.balign 16
.Lidtr\@:
	.word IDT_VECTORS * 16 - 1
	.quad axv_idt
	.popsection
	lidt .Lidtr\@
.endm

#endif /* AXV_TEST_GUEST_H */
