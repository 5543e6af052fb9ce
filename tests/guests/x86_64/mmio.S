/*
 * MMIO through EPT violations: loads of every width (zero- and
 * sign-extending, merging into 8/16-bit registers), stores from registers
 * of every width and of immediates, to the host's test device at
 * GUEST_MMIO (reads at offset 0..7 return the bytes of 0x8081828384858687).
 */
#include "guest.h"

	GUEST_ENTRY
	mov	$GUEST_MMIO, %ebx

	/* Loads: the host completes each from the test device. */
	movabs	$0x1111111111111111, %rax
	mov	(%rbx), %al			/* 8-bit: merges */
	CHECK_EQ %rax, 0x1111111111111187, 1
	movabs	$0x1111111111111111, %rcx
	mov	(%rbx), %cx			/* 16-bit: merges */
	CHECK_EQ %rcx, 0x1111111111118687, 2
	movabs	$0x1111111111111111, %rdx
	mov	(%rbx), %edx			/* 32-bit: clears 63:32 */
	CHECK_EQ %rdx, 0x84858687, 3
	mov	(%rbx), %r9			/* 64-bit, REX.W + REX.R */
	CHECK_EQ %r9, 0x8081828384858687, 4
	movzbl	1(%rbx), %esi			/* 0x86 zero-extended */
	CHECK_EQ %rsi, 0x86, 5
	movsbq	1(%rbx), %rsi			/* 0x86 sign-extended */
	CHECK_EQ %rsi, 0xffffffffffffff86, 6
	movslq	4(%rbx), %r12			/* 0x80818283 sign-extended */
	CHECK_EQ %r12, 0xffffffff80818283, 7
	movswl	(%rbx), %edi			/* 0x8687 -> 0xffff8687, then 63:32 cleared */
	CHECK_EQ %rdi, 0xffff8687, 8

	/* Stores: the host records each write. */
	movabs	$0x1122334455667788, %rax
	mov	%al, 0x10(%rbx)
	mov	%ax, 0x10(%rbx)
	mov	%eax, 0x10(%rbx)
	mov	%rax, 0x10(%rbx)
	mov	%rax, %r13
	mov	%r13, 0x18(%rbx)
	movb	$0xab, 0x20(%rbx)
	movl	$0x12345678, 0x20(%rbx)
	movq	$-2, 0x20(%rbx)
	GUEST_PASS
