/*
 * Two hypercalls with x1..x6 set to a pattern, so the host can check the
 * exit record field by field: one above the span of the backend's call
 * ids, one below it (the two ways the fast path tells a hypercall). The
 * host answers 0x77 and 0x78.
 */
#include "guest.h"

#define PAT(n) ((n) * 0x0101010101010101)

GUEST_ENTRY
	.irp n, 1, 2, 3, 4, 5, 6
	MOV64	x\n, PAT(\n)
	.endr
	MOV64	x0, 0xc6000400
	hvc	#0
	CHECK_EQ x0, 0x77, 1
	MOV64	x0, 0x83fffff0
	hvc	#0
	CHECK_EQ x0, 0x78, 2
	GUEST_PASS
