/*
 * The smallest guest: SYSTEM_OFF at once (mov $0x1002, %eax; vmcall).
 * Exercises the guest pipeline; benchmarks count a round trip with it.
 */
#include "guest.h"

	GUEST_START
	GUEST_PASS
