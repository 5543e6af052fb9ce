/*
 * make bench: ITERATIONS VMCALLs (plain hypercall 0x50) timed with RDTSC,
 * which does not exit; Bochs' TSC counts instructions, host and guest.
 * Reports the ticks with hypercall 0x51 (rdi = ticks), then passes.
 */
#include "guest.h"

#define ITERATIONS 10000

	GUEST_START
	rdtsc
	shl	$32, %rdx
	or	%rax, %rdx
	mov	%rdx, %r12
	mov	$ITERATIONS, %ebx
1:	mov	$0x50, %eax
	vmcall
	dec	%ebx
	jnz	1b
	rdtsc
	shl	$32, %rdx
	or	%rax, %rdx
	sub	%r12, %rdx
	mov	%rdx, %rdi
	HCALL	0x51
	GUEST_PASS
