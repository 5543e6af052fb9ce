/*
 * Control registers the backend owns bits of: CR4 reads show no VMXE;
 * setting VMXE (no nested VMX) or clearing CR0.PG in 64-bit mode gets a
 * #GP from the backend, which this guest's handler counts and steps over.
 */
#include "guest.h"

	GUEST_ENTRY
	lea	gp_handler(%rip), %rax		/* vector 13: GUEST_ENTRY's gate, our handler */
	lea	guest_idt + 13 * 16(%rip), %rdi
	mov	%ax, (%rdi)
	shr	$16, %rax
	mov	%ax, 6(%rdi)
	shr	$16, %rax
	mov	%eax, 8(%rdi)

	mov	%cr4, %rax
	CHECK_EQ %rax, 0x20, 1			/* PAE; VMXE is hidden by the read shadow */
	xor	%r13d, %r13d
	bts	$13, %rax
	mov	%rax, %cr4			/* 3 bytes: 0f 22 e0 */
	CHECK_EQ %r13, 1, 2
	mov	%cr4, %rax
	CHECK_EQ %rax, 0x20, 3

	mov	%cr0, %rax
	btr	$31, %rax
	mov	%rax, %cr0			/* 3 bytes: 0f 22 c0 */
	CHECK_EQ %r13, 2, 4
	mov	%cr0, %rax
	bt	$31, %rax
	CHECK	c, 5
	GUEST_PASS

gp_handler:
	inc	%r13
	add	$8, %rsp			/* the error code */
	addq	$3, (%rsp)			/* past the MOV to CR */
	iretq
