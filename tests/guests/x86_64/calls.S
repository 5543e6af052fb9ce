/*
 * The backend's calls (spec/arch/x86_64/calls.yaml): CPU_UP starts vCPU 1
 * at ap_entry with an argument, which reports CPU_DOWN; then SEND_IPI, and
 * SYSTEM_RESET, which is a shutdown exit.
 */
#include "guest.h"

	GUEST_ENTRY
	mov	$1, %edi			/* target vCPU */
	lea	ap_entry(%rip), %rsi
	mov	$0x55, %edx			/* its argument */
	HCALL	AXV_X86_64_CALL_CPU_UP
	CHECK_EQ %rax, 0, 1
	mov	$1, %edi			/* target */
	mov	$0x41, %esi			/* vector */
	HCALL	AXV_X86_64_CALL_SEND_IPI
	CHECK_EQ %rax, 0, 2
	HCALL	AXV_X86_64_CALL_SYSTEM_RESET
	GUEST_HANG

ap_entry:
	mov	$7, %edi
	HCALL	AXV_X86_64_CALL_CPU_DOWN
	GUEST_HANG
