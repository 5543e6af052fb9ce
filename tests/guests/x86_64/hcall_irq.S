/*
 * Interrupts injected by the exit handler while it answers plain
 * hypercalls (nr = NR_BASE + i), each taken right after its VMCALL, before
 * the next instruction, as after any exit (r13 counts deliveries; r12 and
 * r15 are rbx and r14 at the last one):
 *   calls 1..CALLS with IF = 1 throughout: VECTOR injected at call
 *     INJECT_AT (the others are answered in the backend's loop);
 *   then call SHADOW, a VMCALL in STI's shadow: RIP moved past it ends the
 *     shadow, as executing it would, so VECTOR injected there arrives
 *     before the next instruction too.
 */
#include "guest.h"

#define VECTOR 0x40
#define CALLS 32
#define INJECT_AT 10
#define SHADOW (CALLS + 1)
#define NR_BASE 0x50000

	GUEST_ENTRY
	GUEST_IRQ_IDT VECTOR, irq_handler
	xor	%r13d, %r13d
	xor	%r12d, %r12d
	xor	%r14d, %r14d
	mov	$1, %ebx
	sti
next:
	lea	NR_BASE(%rbx), %rax
	vmcall
	xor	%ecx, %ecx			/* deliveries due by now: i >= INJECT_AT */
	cmp	$INJECT_AT, %rbx
	setae	%cl
	mov	%rbx, %rsi
	mov	%r13, %rdx
	cmp	%rcx, %r13
	CHECK	e, 1
	inc	%rbx
	cmp	$CALLS, %rbx
	jbe	next
	CHECK_EQ %r12, INJECT_AT, 2

	cli
	mov	$-1, %r15
	mov	$(NR_BASE + SHADOW), %eax
	sti
	vmcall					/* in STI's shadow */
	inc	%r14
	cli
	CHECK_EQ %r13, 2, 3
	CHECK_EQ %r15, 0, 4			/* before the inc */
	GUEST_PASS

irq_handler:
	mov	%rbx, %r12
	mov	%r14, %r15
	inc	%r13
	iretq
