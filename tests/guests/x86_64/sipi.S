/*
 * INIT/SIPI through the x2APIC ICR (WRMSR 0x830), as x86 software starts an
 * AP: r12 = the AP's start address, ebx = its page (the STARTUP vector),
 * r13 = the step number of the last ICR write (the host checks it at every
 * exit, so an exit from a write that should have none shows). Steps:
 *   1  STARTUP before any INIT: ignored, no exit
 *   2  INIT (assert), 3 INIT level de-assert: absorbed, no exit
 *   4  STARTUP: cpu_up(AP_ID, r12, 0); the host starts the AP in real mode
 *   5  a second STARTUP: ignored
 *   6  fixed 0x42 to AP_ID: send_ipi; 7 fixed 0x43 to all but self;
 *   8  fixed 0x44 to the broadcast id: send_ipi to all and self
 *   9  NMI to AP_ID: sys_reg_write(0x830, value) (not decoded)
 *   10 fixed 0x45, logical destination: sys_reg_write
 *   11 INIT by shorthand: sys_reg_write; 12 STARTUP to AP_ID after it:
 *      ignored (that INIT was not one the backend took)
 *   13 pass
 */
#include "guest.h"
#include "sipi.h"

	GUEST_ENTRY
	lea	ap_start(%rip), %r12
	mov	%r12, %rbx
	shr	$12, %rbx
	or	$ICR_STARTUP, %ebx

	mov	$1, %r13d
	mov	%ebx, %eax
	mov	$AP_ID, %edx
	mov	$ICR_MSR, %ecx
	wrmsr
	ICR_MSR_WRITE 2, ICR_INIT | ICR_ASSERT | ICR_LEVEL, AP_ID
	ICR_MSR_WRITE 3, ICR_INIT | ICR_LEVEL, AP_ID
	mov	$4, %r13d
	mov	%ebx, %eax
	mov	$AP_ID, %edx
	mov	$ICR_MSR, %ecx
	wrmsr
	mov	$5, %r13d
	mov	%ebx, %eax
	mov	$AP_ID, %edx
	wrmsr
	ICR_MSR_WRITE 6, ICR_FIXED | 0x42, AP_ID
	ICR_MSR_WRITE 7, ICR_FIXED | ICR_ALL_BUT_SELF | 0x43, 0
	ICR_MSR_WRITE 8, ICR_FIXED | 0x44, 0xffffffff
	ICR_MSR_WRITE 9, ICR_NMI | ICR_ASSERT, AP_ID
	ICR_MSR_WRITE 10, ICR_FIXED | ICR_LOGICAL | 0x45, 1
	ICR_MSR_WRITE 11, ICR_INIT | ICR_ASSERT | ICR_ALL_BUT_SELF, 0
	mov	$12, %r13d
	mov	%ebx, %eax
	mov	$AP_ID, %edx
	mov	$ICR_MSR, %ecx
	wrmsr
	mov	$13, %r13d
	GUEST_PASS

	AP_START_PAGE
