/*
 * Spins for up to 2^24 iterations while a host interrupt ends the run;
 * fails with code 1 if none came. IF = 1: Bochs 2.7 does not make a
 * pending external interrupt a VM exit while the guest has IF = 0 (real
 * VMX does, with external-interrupt exiting). The guest has no gate for
 * the host's vector: the interrupt must exit, not be delivered here.
 */
#include "guest.h"

	GUEST_START
	sti
	mov	$0x1000000, %ecx
1:	dec	%ecx
	jnz	1b
	GUEST_FAIL 1
