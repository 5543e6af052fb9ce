/*
 * XCR0 is the guest's own: XSETBV is answered inside (checked, then
 * loaded while the guest runs); the host gets its value back at each exit
 * it sees, and the guest finds its own again after one.
 */
#include "guest.h"

	GUEST_ENTRY
	mov	%cr4, %rax
	bts	$18, %rax			/* OSXSAVE */
	mov	%rax, %cr4
	xor	%ecx, %ecx
	xgetbv
	CHECK_EQ %rax, 1, 1			/* x87 only, as after reset */
	mov	$3, %eax			/* x87 | SSE */
	xor	%edx, %edx
	xor	%ecx, %ecx
	xsetbv
	xor	%ecx, %ecx
	xgetbv
	CHECK_EQ %rax, 3, 2
	HCALL	0x61				/* the host checks its own XCR0 meanwhile */
	xor	%ecx, %ecx
	xgetbv
	CHECK_EQ %rax, 3, 3
	GUEST_PASS
