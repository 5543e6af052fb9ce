/*
 * The smallest guest: SBI SRST shutdown at once (a0, a1, a6 = 0, a7 = the
 * SRST extension id, ecall). Exercises the guest pipeline; benchmarks
 * count a round trip with it.
 */
#include "guest.h"

	GUEST_START
	GUEST_PASS
