/* An exception with no IDT of its own (the start IDTR is base 0, limit 0xffff,
 * over the guest's code): delivery faults, then double-faults: a triple fault. */
#include "guest.h"

	GUEST_START
	ud2
