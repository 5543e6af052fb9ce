/*
 * A misbehaving guest: a REP string OUT, which the backend does not
 * emulate (an internal_error exit that leaves RIP on it, every time).
 */
#include "guest.h"

	GUEST_START
	lea	msg(%rip), %rsi
	mov	$2, %ecx
	mov	$GUEST_COM1, %edx
	rep outsb

	.section .rodata
msg:	.ascii	"no"
