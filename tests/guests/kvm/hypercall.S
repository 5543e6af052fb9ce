/*
 * The doorbell hypercall: rax = nr, arguments in rdi, rsi, rdx, rcx, r8, r9,
 * `out %al, $AXVRUN_DOORBELL`, result in rax. Checks the six arguments
 * arrive in order and whole (64 bits each), the result, ENOSYS for unknown
 * numbers (also one whose low byte - all the OUT carries - is a known one),
 * and that every register but rax comes back unchanged.
 */
#include "guest.h"

/* Six distinct 64-bit arguments whose sum shows each in its own digits. */
#define A1 0x0100000000000001
#define A2 0x0020000000000020
#define A3 0x0003000000000300
#define A4 0x0000400000004000
#define A5 0x0000050000050000
#define A6 0x0000006000600000
#define SUM 0x0123456000654321

/* Every general register except rax (the result) and rsp gets a distinct
 * value, saved in "before" to compare after the call. */
.macro LOAD_ALL
	movabs $A1, %rdi
	movabs $A2, %rsi
	movabs $A3, %rdx
	movabs $A4, %rcx
	movabs $A5, %r8
	movabs $A6, %r9
	movabs $0xb0b0b0b0b0b0b0b0, %rbx
	movabs $0xb9b9b9b9b9b9b9b9, %rbp
	movabs $0x1010101010101010, %r10
	movabs $0x1111111111111111, %r11
	movabs $0x1212121212121212, %r12
	movabs $0x1313131313131313, %r13
	movabs $0x1414141414141414, %r14
	movabs $0x1515151515151515, %r15
	mov %rdi, before + 0
	mov %rsi, before + 8
	mov %rdx, before + 16
	mov %rcx, before + 24
	mov %r8, before + 32
	mov %r9, before + 40
	mov %rbx, before + 48
	mov %rbp, before + 56
	mov %r10, before + 64
	mov %r11, before + 72
	mov %r12, before + 80
	mov %r13, before + 88
	mov %r14, before + 96
	mov %r15, before + 104
	mov %rsp, before + 112
.endm

/* FAIL n unless every register LOAD_ALL set is as it was. */
.macro CHECK_ALL n
	cmp before + 0, %rdi
	CHECK e, \n
	cmp before + 8, %rsi
	CHECK e, \n
	cmp before + 16, %rdx
	CHECK e, \n
	cmp before + 24, %rcx
	CHECK e, \n
	cmp before + 32, %r8
	CHECK e, \n
	cmp before + 40, %r9
	CHECK e, \n
	cmp before + 48, %rbx
	CHECK e, \n
	cmp before + 56, %rbp
	CHECK e, \n
	cmp before + 64, %r10
	CHECK e, \n
	cmp before + 72, %r11
	CHECK e, \n
	cmp before + 80, %r12
	CHECK e, \n
	cmp before + 88, %r13
	CHECK e, \n
	cmp before + 96, %r14
	CHECK e, \n
	cmp before + 104, %r15
	CHECK e, \n
	cmp before + 112, %rsp
	CHECK e, \n
.endm

GUEST_ENTRY
	/* ADD: the sum of the six, and nothing else changed */
	LOAD_ALL
	HCALL AXVRUN_HC_ADD
	mov %rax, result
	CHECK_ALL 1
	mov result, %rax
	CHECK_EQ %rax, SUM, 2

	/* ADD wraps around at 64 bits: -1 + 2 + 0... = 1 */
	mov $-1, %rdi
	mov $2, %esi
	xor %edx, %edx
	xor %ecx, %ecx
	xor %r8d, %r8d
	xor %r9d, %r9d
	HCALL AXVRUN_HC_ADD
	CHECK_EQ %rax, 1, 3

	/* an unknown number: ENOSYS, registers unchanged */
	LOAD_ALL
	HCALL 0x7777
	mov %rax, result
	CHECK_ALL 4
	mov result, %rax
	CHECK_EQ %rax, AXVRUN_ENOSYS, 5

	/* 0x100 | ADD is unknown too: the VMM must read all of rax, not al */
	LOAD_ALL
	HCALL (0x100 | AXVRUN_HC_ADD)
	CHECK_EQ %rax, AXVRUN_ENOSYS, 6

	PUTS "hypercall: checked\n"
	SYSTEM_OFF

	.bss
	.balign 8
before:
	.skip 15 * 8
result:
	.skip 8
