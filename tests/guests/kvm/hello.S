/*
 * The demo guest (run with -smp 2): greets over the UART, then makes the kvm
 * backend produce each exit kind once and checks every answer: port I/O
 * write and read, MMIO write and read, MSR write and read, a hypercall, a
 * string (rep outsb) I/O, cpu_up of vCPU 1 (which prints, sends vCPU 0 an
 * IPI and does cpu_down), hlt woken by a timer interrupt, and finally
 * system_off.
 */
#include "guest.h"

#define TIMER_VECTOR 0x40
#define IPI_VECTOR 0x41
/* How long vCPU 0 waits for vCPU 1: ~4 instructions a spin, several seconds
 * at the nested KVM's ~2M instructions/s, far beyond a normal start-up. */
#define WAIT_SPINS 20000000

GUEST_ENTRY
	IDT_GATE TIMER_VECTOR, timer_handler
	IDT_GATE IPI_VECTOR, ipi_handler
	IDT_LOAD

	/* I/O write: one OUT per byte. */
	PUTS "Hello from an axvcpu guest on KVM!\n"

	/* I/O read: the UART's line status register says "transmitter empty". */
	mov $(AXVRUN_COM1 + 5), %dx
	in %dx, %al
	and $0x60, %al
	cmp $0x60, %al
	CHECK e, 1

	/* MMIO write, then read it back, then a read-only register. */
	mov $AXVRUN_TESTDEV, %ebx
	movabs $0x0123456789abcdef, %rax
	mov %rax, AXVRUN_TESTDEV_SCRATCH(%rbx)
	mov AXVRUN_TESTDEV_SCRATCH(%rbx), %rcx
	CHECK_EQ %rcx, 0x0123456789abcdef, 2
	mov AXVRUN_TESTDEV_ID(%rbx), %rcx
	CHECK_EQ %rcx, 0x8877665544332211, 3

	/* MSR write, then read it back (edx:eax). */
	mov $AXVRUN_MSR_SCRATCH, %ecx
	mov $0x600df00d, %eax
	mov $0x42, %edx
	wrmsr
	xor %eax, %eax
	xor %edx, %edx
	rdmsr
	cmp $0x600df00d, %eax
	CHECK e, 4
	cmp $0x42, %edx
	CHECK e, 5

	/* Hypercall with a result: ADD(1, 2, 3, 4, 5, 6) = 21. */
	mov $1, %edi
	mov $2, %esi
	mov $3, %edx
	mov $4, %ecx
	mov $5, %r8d
	mov $6, %r9d
	HCALL AXVRUN_HC_ADD
	CHECK_EQ %rax, 21, 6

	/* String I/O: the whole line in one rep outsb. */
	mov $outs_msg, %esi
	mov $(outs_end - outs_msg), %ecx
	mov $AXVRUN_COM1, %dx
	cld
	rep outsb
	test %ecx, %ecx
	CHECK z, 7

	/* cpu_up: vCPU 1 runs ap_main, sets ap_done and sends an IPI. */
	mov $1, %edi
	mov $ap_main, %esi
	xor %edx, %edx
	HCALL AXV_KVM_CALL_CPU_UP
	test %rax, %rax
	CHECK z, 8
	mov $WAIT_SPINS, %ecx
1:	pause
	cmpb $0, ap_done(%rip)
	jne 2f
	dec %ecx
	jnz 1b
	FAIL 9
2:	/* its IPI is pending until interrupts are on */
	mov $WAIT_SPINS, %ecx
	sti
1:	pause
	cmpb $0, got_ipi(%rip)
	jne 2f
	dec %ecx
	jnz 1b
	FAIL 10
2:	cli

	/* hlt until the timer's interrupt; the handler sets "ticked". */
	mov $TIMER_VECTOR, %edi
	mov $1000, %esi
	HCALL AXVRUN_HC_TIMER
	sti
	hlt
	cli
	cmpb $1, ticked(%rip)
	CHECK e, 11

	PUTS "hello: every exit kind done, powering off\n"
	SYSTEM_OFF

/* vCPU 1 (rsp = 0x80000 - 0x4000, rdi = arg). */
ap_main:
	PUTS "vCPU 1 up\n"
	movb $1, ap_done(%rip)
	xor %edi, %edi			/* IPI to vCPU 0 only */
	xor %esi, %esi
	mov $IPI_VECTOR, %edx
	HCALL AXV_KVM_CALL_SEND_IPI
	xor %edi, %edi
	HCALL AXV_KVM_CALL_CPU_DOWN
	HANG

timer_handler:
	movb $1, ticked(%rip)
	iretq

ipi_handler:
	movb $1, got_ipi(%rip)
	iretq

	.section .rodata
outs_msg:
	.ascii "rep outsb: string I/O works\n"
outs_end:

	.bss
ap_done:
	.byte 0
ticked:
	.byte 0
got_ipi:
	.byte 0
