/*
 * Only the MSRs of axv-run's range exit to it: one outside the range that
 * KVM does not implement either must raise #GP, as on hardware, instead of
 * reading 0 or swallowing the write. The #GP handler counts the fault and
 * steps over the 2-byte rdmsr/wrmsr.
 */
#include "guest.h"

#define GP_VECTOR 13
#define PAST_RANGE (AXVRUN_MSR_BASE + AXVRUN_MSR_COUNT)
#define BEFORE_RANGE (AXVRUN_MSR_BASE - 1)

/* FAIL n unless the faults counted so far are `want`. */
.macro GP_COUNT_IS want, n
	cmpl $(\want), gp_count(%rip)
	CHECK e, \n
.endm

GUEST_ENTRY
	IDT_GATE GP_VECTOR, gp_handler
	IDT_LOAD

	/* inside the range: no fault (the ID MSR) */
	mov $AXVRUN_MSR_ID, %ecx
	rdmsr
	GP_COUNT_IS 0, 1

	/* just past the range: rdmsr and wrmsr fault */
	mov $PAST_RANGE, %ecx
	rdmsr
	GP_COUNT_IS 1, 2
	xor %eax, %eax
	xor %edx, %edx
	wrmsr
	GP_COUNT_IS 2, 3

	/* just before it, and far away */
	mov $BEFORE_RANGE, %ecx
	rdmsr
	GP_COUNT_IS 3, 4
	mov $0x12345678, %ecx
	rdmsr
	GP_COUNT_IS 4, 5

	PUTS "msr_gp: MSRs outside the range raise #GP\n"
	SYSTEM_OFF

/* #GP pushes an error code: pop it, return past the faulting instruction. */
gp_handler:
	incl gp_count(%rip)
	add $8, %rsp
	addq $2, (%rsp)
	iretq

	.bss
	.balign 4
gp_count:
	.long 0
