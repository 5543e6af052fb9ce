/*
 * Run with -smp 2. vCPU 0 starts vCPU 1 with cpu_up(1, ap_main, ARG); vCPU 1
 * checks its rdi and rsp, sets a flag, sends IPI vector 0x41 to vCPU 0 and
 * stops with cpu_down. vCPU 0 waits (bounded) for the flag and the IPI, then
 * checks that cpu_up of a vCPU that does not exist (7) fails.
 */
#include "guest.h"

#define ARG 0x1234abcd5678ef00
#define IPI_VECTOR 0x41
/* ~4 instructions a spin: several seconds at ~2M instructions/s. */
#define WAIT_SPINS 20000000

GUEST_ENTRY
	IDT_GATE IPI_VECTOR, ipi_handler
	IDT_LOAD

	mov $1, %edi
	mov $ap_main, %esi
	movabs $ARG, %rdx
	HCALL AXV_KVM_CALL_CPU_UP
	test %rax, %rax
	CHECK z, 1

	/* wait for vCPU 1's flag, interrupts off */
	mov $WAIT_SPINS, %ecx
1:	pause
	cmpb $0, ap_done(%rip)
	jne 2f
	dec %ecx
	jnz 1b
	FAIL 2
2:
	/* wait for its IPI: with IF=1 a pending one is taken at once */
	mov $WAIT_SPINS, %ecx
	sti
1:	pause
	cmpb $0, got_ipi(%rip)
	jne 2f
	dec %ecx
	jnz 1b
	FAIL 3
2:	cli

	/* vCPU 7 does not exist in a 2-vCPU VM: cpu_up must fail */
	mov $7, %edi
	mov $ap_main, %esi
	xor %edx, %edx
	HCALL AXV_KVM_CALL_CPU_UP
	test %rax, %rax
	CHECK nz, 4

	PUTS "smp: checked\n"
	SYSTEM_OFF

/* vCPU 1: its checks fail the whole VM with their own numbers. */
ap_main:
	CHECK_EQ %rdi, ARG, 10
	CHECK_EQ %rsp, (AXVRUN_STACK_TOP - 1 * 0x4000), 11
	call ap_stack_works		/* the stack is usable RAM */
	PUTS "smp: vCPU 1 up\n"
	movb $1, ap_done(%rip)
	xor %edi, %edi			/* IPI to vCPU 0, not a broadcast */
	xor %esi, %esi
	mov $IPI_VECTOR, %edx
	HCALL AXV_KVM_CALL_SEND_IPI
	xor %edi, %edi
	HCALL AXV_KVM_CALL_CPU_DOWN
	HANG

ap_stack_works:
	ret

ipi_handler:
	movb $1, got_ipi(%rip)
	iretq

	.bss
ap_done:
	.byte 0
got_ipi:
	.byte 0
