/*
 * The backend's call paths: many answered calls in a row (each re-enters
 * the guest from the exit handler), hypercall ids just outside and inside
 * the span of the backend's call table (fast path vs. full decode), and
 * every register but x0, and SP_EL0, kept across a hypercall. The host
 * answers each hypercall with nr + 1.
 */
#include "guest.h"

#define ANSWERED_CALLS 20000

/* x0 = nr; hvc; x0 must come back as nr + 1. */
.macro CALL_ECHO nr, n
	MOV64	x0, \nr
	hvc	#0
	CHECK_EQ x0, (\nr + 1), \n
.endm

GUEST_ENTRY
	MOV64	x20, ANSWERED_CALLS
1:	MOV64	x0, PSCI_VERSION
	hvc	#0
	CHECK_EQ x0, 0x10001, 1
	subs	x20, x20, #1
	b.ne	1b

	CALL_ECHO 0x83ffffff, 2		/* below the table's lowest id (PSCI_VERSION) */
	CALL_ECHO 0xc6000011, 3		/* above its highest (IRQ_ACK) */
	CALL_ECHO 0x84000001, 4		/* inside the span, not a listed call */
	CALL_ECHO 0x1c6000020, 5	/* above, with high bits set */

	/* x1..x30 and SP_EL0 get distinct values; a hypercall keeps them all. */
#define BASE 0x5a5a000000000000
	MOV64	x0, BASE
	msr	sp_el0, x0
	.irp r, 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30
	add	x\r, x0, #\r
	.endr
	MOV64	x0, 0xc6000020
	hvc	#0
	MOV64	x0, BASE
	/* x16 and x17 first, in place; then x17 is the scratch register. */
	sub	x16, x16, #16
	cmp	x16, x0
	CHECK	eq, 0x20
	sub	x17, x17, #17
	cmp	x17, x0
	CHECK	eq, 0x21
	.irp r, 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,18,19,20,21,22,23,24,25,26,27,28,29,30
	sub	x17, x\r, #\r
	cmp	x17, x0
	CHECK	eq, (0x10 + \r)
	.endr
	mrs	x17, sp_el0
	cmp	x17, x0
	CHECK	eq, 0x31
	GUEST_PASS
