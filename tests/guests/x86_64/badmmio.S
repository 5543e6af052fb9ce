/* An MMIO access by an instruction the backend does not emulate (ADD to
 * memory): a nested_page_fault exit with RIP left on it, not a guess. */
#include "guest.h"

	GUEST_START
	mov	$GUEST_MMIO, %ebx
	addl	$1, (%rbx)
	GUEST_HANG
