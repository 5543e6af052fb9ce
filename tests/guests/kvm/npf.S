/*
 * A guest that reads from nowhere: 0xc0000000 is mapped by axv-run's page
 * tables (the first 4 GiB) but is neither RAM (64 MiB) nor a device, so the
 * access reaches the VMM as a nested page fault. axv-run must exit with
 * AXVRUN_EXIT_CRASH and say "nested page fault" on stderr.
 */
#include "guest.h"

#define NOWHERE 0xc0000000

GUEST_ENTRY
	mov $NOWHERE, %ebx
	mov (%rbx), %rax
	FAIL 1				/* the read must not complete */
