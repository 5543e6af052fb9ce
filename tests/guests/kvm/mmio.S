/*
 * MMIO loads and stores of every width and extension against the test
 * device (abi.h): ID = 0x8877665544332211 (bytes 11 22 ... 88), NEG =
 * 0x8081828384858687 (bytes 87 86 ... 80, each negative). A read of any width
 * at any offset inside a register returns the little-endian bytes there, so
 * each load below has one right answer, including what the instruction does
 * to the rest of the destination register (kept by 8/16-bit loads, zeroed by
 * 32-bit ones, sign- or zero-extended by movs/movz).
 */
#include "guest.h"

#define ID AXVRUN_TESTDEV_ID
#define NEG AXVRUN_TESTDEV_NEG
#define SCRATCH AXVRUN_TESTDEV_SCRATCH
#define WRITES AXVRUN_TESTDEV_WRITES

/* rax = a pattern a load must keep or clear, as the instruction says. */
.macro PRESET
	movabs $0xaaaaaaaaaaaaaaaa, %rax
.endm

GUEST_ENTRY
	mov $AXVRUN_TESTDEV, %ebx	/* zero-extended: rbx = 0xfe000000 */

	/* Writes the device has counted so far (reads do not count). */
	mov WRITES(%rbx), %r12

	/* ---- plain mov: 8/16-bit keep the upper bits, 32-bit clears them */
	PRESET
	mov ID(%rbx), %al
	CHECK_EQ %rax, 0xaaaaaaaaaaaaaa11, 1
	PRESET
	mov ID+3(%rbx), %al
	CHECK_EQ %rax, 0xaaaaaaaaaaaaaa44, 2
	PRESET
	mov ID+5(%rbx), %ah
	CHECK_EQ %rax, 0xaaaaaaaaaaaa66aa, 3
	PRESET
	mov NEG+7(%rbx), %al
	CHECK_EQ %rax, 0xaaaaaaaaaaaaaa80, 4
	PRESET
	mov ID(%rbx), %ax
	CHECK_EQ %rax, 0xaaaaaaaaaaaa2211, 5
	PRESET
	mov ID+6(%rbx), %ax
	CHECK_EQ %rax, 0xaaaaaaaaaaaa8877, 6
	PRESET
	mov ID+1(%rbx), %ax		/* unaligned */
	CHECK_EQ %rax, 0xaaaaaaaaaaaa3322, 7
	PRESET
	mov ID(%rbx), %eax
	CHECK_EQ %rax, 0x44332211, 8
	PRESET
	mov ID+4(%rbx), %eax
	CHECK_EQ %rax, 0x88776655, 9
	PRESET
	mov ID+3(%rbx), %eax		/* unaligned */
	CHECK_EQ %rax, 0x77665544, 10
	mov ID(%rbx), %rax
	CHECK_EQ %rax, 0x8877665544332211, 11
	mov NEG(%rbx), %rax
	CHECK_EQ %rax, 0x8081828384858687, 12
	mov NEG(%rbx), %r14		/* an REX destination register */
	CHECK_EQ %r14, 0x8081828384858687, 13

	/* ---- movzx: the bytes above the source are zero */
	PRESET
	movzbl ID+7(%rbx), %eax
	CHECK_EQ %rax, 0x88, 20
	PRESET
	movzbq NEG(%rbx), %rax
	CHECK_EQ %rax, 0x87, 21
	PRESET
	movzbw NEG+3(%rbx), %ax		/* 16-bit destination keeps bits 63:16 */
	CHECK_EQ %rax, 0xaaaaaaaaaaaa0084, 22
	PRESET
	movzwl NEG+2(%rbx), %eax
	CHECK_EQ %rax, 0x8485, 23
	PRESET
	movzwq ID+6(%rbx), %rax
	CHECK_EQ %rax, 0x8877, 24

	/* ---- movsx: negative sources fill with ones, positive with zeros */
	PRESET
	movsbl NEG(%rbx), %eax		/* 32-bit result: bits 63:32 cleared */
	CHECK_EQ %rax, 0xffffff87, 30
	PRESET
	movsbq NEG+7(%rbx), %rax
	CHECK_EQ %rax, 0xffffffffffffff80, 31
	PRESET
	movsbq ID+1(%rbx), %rax
	CHECK_EQ %rax, 0x22, 32
	PRESET
	movsbw NEG+1(%rbx), %ax		/* 16-bit destination keeps bits 63:16 */
	CHECK_EQ %rax, 0xaaaaaaaaaaaaff86, 33
	PRESET
	movswl NEG+4(%rbx), %eax
	CHECK_EQ %rax, 0xffff8283, 34
	PRESET
	movswq NEG+6(%rbx), %rax
	CHECK_EQ %rax, 0xffffffffffff8081, 35
	PRESET
	movswq ID+2(%rbx), %rax
	CHECK_EQ %rax, 0x4433, 36
	PRESET
	movslq NEG+4(%rbx), %rax
	CHECK_EQ %rax, 0xffffffff80818283, 37
	PRESET
	movslq ID(%rbx), %rax
	CHECK_EQ %rax, 0x44332211, 38
	PRESET
	movslq NEG(%rbx), %r13
	CHECK_EQ %r13, 0xffffffff84858687, 39

	/* ---- stores: SCRATCH written at each width, read back at that width */
	movb $0x5a, SCRATCH(%rbx)
	PRESET
	mov SCRATCH(%rbx), %al
	CHECK_EQ %rax, 0xaaaaaaaaaaaaaa5a, 40
	mov $0xbeef, %cx
	mov %cx, SCRATCH(%rbx)
	movzwl SCRATCH(%rbx), %eax
	CHECK_EQ %rax, 0xbeef, 41
	movl $0xdeadbeef, SCRATCH(%rbx)
	mov SCRATCH(%rbx), %eax
	CHECK_EQ %rax, 0xdeadbeef, 42
	movabs $0x0123456789abcdef, %rcx
	mov %rcx, SCRATCH(%rbx)
	mov SCRATCH(%rbx), %rax
	CHECK_EQ %rax, 0x0123456789abcdef, 43
	/* ...and the stored 64-bit value read back in pieces */
	mov SCRATCH+4(%rbx), %eax
	CHECK_EQ %rax, 0x01234567, 44
	movzbl SCRATCH+7(%rbx), %eax
	CHECK_EQ %rax, 0x01, 45
	movzwl SCRATCH+2(%rbx), %eax
	CHECK_EQ %rax, 0x89ab, 46
	movq $-2, SCRATCH(%rbx)		/* imm32 sign-extended to 64 bits */
	mov SCRATCH(%rbx), %rax
	CHECK_EQ %rax, 0xfffffffffffffffe, 47

	/* ---- the five stores above were each counted once */
	mov WRITES(%rbx), %rax
	sub %r12, %rax
	CHECK_EQ %rax, 5, 50

	PUTS "mmio: all loads and stores checked\n"
	SYSTEM_OFF
