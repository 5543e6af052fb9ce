/*
 * isa-debug-exit: writing v to port 0xf4 ends the run with status
 * (v << 1) | 1; 0x2a gives 85. Every other guest reports failures this way,
 * so the runner checks the mechanism itself first.
 */
#include "guest.h"

GUEST_ENTRY
	mov $0x2a, %al
	out %al, $AXVRUN_DEBUG_EXIT
	/* the write must stop the VM: reaching the power-off is wrong */
	SYSTEM_OFF
