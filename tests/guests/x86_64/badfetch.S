/* Jumps into unmapped guest-physical memory: a nested_page_fault (execute), not MMIO. */
#include "guest.h"

	GUEST_START
	mov	$GUEST_MMIO, %eax
	jmp	*%rax
