/*
 * Interrupt injection: vector 0x40 arrives after HLT with IF = 1 (the host
 * injects it at the halt exit), and is held while IF = 0 (injected during a
 * hypercall) until STI opens the window, and arrives at once after a
 * VMCALL in STI's shadow. r13 counts deliveries.
 */
#include "guest.h"

#define VECTOR 0x40

	GUEST_ENTRY
	GUEST_IRQ_IDT VECTOR, irq_handler

	xor	%r13d, %r13d
	sti
	hlt					/* halt exit: the host injects VECTOR */
	cli
	CHECK_EQ %r13, 1, 1

	HCALL	0x60				/* the host injects VECTOR while IF = 0 */
	nop
	CHECK_EQ %r13, 1, 2			/* not delivered yet */
	sti
	nop					/* the window opens after this one */
	nop
	cli
	CHECK_EQ %r13, 2, 3

	/* A VMCALL in STI's shadow, on the short run path: RIP moved past it
	 * ends the shadow, as executing it would, so VECTOR injected at that
	 * exit arrives before the next instruction (r12: r14 at delivery). */
	HCALL	0x62				/* delivered: the next exit takes the short path */
	xor	%r14d, %r14d
	mov	$-1, %r12
	mov	$0x61, %eax
	sti
	vmcall					/* the host injects VECTOR */
	inc	%r14
	cli
	CHECK_EQ %r13, 3, 4
	CHECK_EQ %r12, 0, 5
	GUEST_PASS

irq_handler:
	mov	%r14, %r12
	inc	%r13
	iretq
