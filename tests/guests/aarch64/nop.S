/*
 * The smallest guest: PSCI SYSTEM_OFF at once (movz, movk, hvc #0).
 * Exercises the guest pipeline; benchmarks count a round trip with it.
 */
#include "guest.h"

	GUEST_START
	GUEST_PASS
