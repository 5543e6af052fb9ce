/*
 * MSRs in axv-run's range (AXVRUN_MSR_BASE, 16 of them) exit to the VMM:
 * the ID reads "axv-run", the scratch keeps what wrmsr wrote, the rest read 0.
 * rdmsr/wrmsr split the value in edx:eax and use only the low 32 bits of
 * rax and rdx; rdmsr clears their upper halves.
 */
#include "guest.h"

GUEST_ENTRY
	/* rdmsr of the ID: edx:eax = 0x006e7572:0x2d767861, upper halves 0 */
	mov $-1, %rax
	mov $-1, %rdx
	mov $AXVRUN_MSR_ID, %ecx
	rdmsr
	CHECK_EQ %rax, 0x2d767861, 1
	CHECK_EQ %rdx, 0x006e7572, 2

	/* wrmsr of the scratch ignores bits 63:32 of rax and rdx */
	mov $AXVRUN_MSR_SCRATCH, %ecx
	movabs $0xdeadbeef9abcdef0, %rax
	movabs $0xdeadbeef12345678, %rdx
	wrmsr
	xor %eax, %eax
	xor %edx, %edx
	rdmsr
	CHECK_EQ %rax, 0x9abcdef0, 3
	CHECK_EQ %rdx, 0x12345678, 4
	/* a second write replaces the first */
	mov $1, %eax
	xor %edx, %edx
	wrmsr
	mov $-1, %rax
	mov $-1, %rdx
	rdmsr
	CHECK_EQ %rax, 1, 5
	CHECK_EQ %rdx, 0, 6
	/* the ID did not change: it is not the scratch */
	mov $AXVRUN_MSR_ID, %ecx
	rdmsr
	CHECK_EQ %rax, 0x2d767861, 7

	/* MSRs of the range that mean nothing read 0 */
	mov $-1, %rax
	mov $-1, %rdx
	mov $(AXVRUN_MSR_BASE + 5), %ecx
	rdmsr
	CHECK_EQ %rax, 0, 8
	CHECK_EQ %rdx, 0, 9
	mov $-1, %rax
	mov $-1, %rdx
	mov $(AXVRUN_MSR_BASE + AXVRUN_MSR_COUNT - 1), %ecx
	rdmsr
	CHECK_EQ %rax, 0, 10
	CHECK_EQ %rdx, 0, 11

	PUTS "msr: checked\n"
	SYSTEM_OFF
