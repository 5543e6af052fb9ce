/*
 * A guest that crashes: with a zero-limit IDT, ud2's #UD cannot be delivered
 * (#GP), nor can that (#DF): a triple fault. axv-run must exit with
 * AXVRUN_EXIT_CRASH and say "triple fault" on stderr.
 */
#include "guest.h"

GUEST_ENTRY
	lidt idtr
	ud2
	FAIL 1				/* not reached: ud2 always faults */

	.section .rodata
	.balign 16
idtr:
	.word 0				/* limit 0: no vector fits */
	.quad 0
