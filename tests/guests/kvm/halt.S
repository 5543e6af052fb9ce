/*
 * hlt woken by an interrupt: vector 0x40's handler sets a flag; the timer
 * hypercall injects 0x40 after 2 ms; `sti; hlt` sleeps until then.
 */
#include "guest.h"

#define TIMER_VECTOR 0x40

GUEST_ENTRY
	IDT_GATE TIMER_VECTOR, timer_handler
	IDT_LOAD

	mov $TIMER_VECTOR, %edi
	mov $2000, %esi
	HCALL AXVRUN_HC_TIMER
	/* sti takes effect after the next instruction: no interrupt between
	 * them, so the wake-up cannot be missed. */
	sti
	hlt
	cli
	cmpb $1, ticked(%rip)
	CHECK e, 1
	/* the handler ran on this stack and iretq came back intact */
	CHECK_EQ %rsp, AXVRUN_STACK_TOP, 2

	/* a second round: the timer can be armed again */
	mov $TIMER_VECTOR, %edi
	mov $2000, %esi
	HCALL AXVRUN_HC_TIMER
	sti
	hlt
	cli
	cmpb $2, ticked(%rip)
	CHECK e, 3

	PUTS "halt: woken by the timer twice\n"
	SYSTEM_OFF

timer_handler:
	incb ticked(%rip)
	iretq

	.bss
ticked:
	.byte 0
