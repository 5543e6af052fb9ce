/*
 * INIT/SIPI through the xAPIC ICR: MOVs to the default APIC page, which the
 * host leaves unmapped (EPT violations). The guest maps 0xfee00000 in its
 * own page tables first (a PD for 3..4 GiB, one uncached 2 MiB page).
 * r12 = the AP's start address, r13 = step. Steps:
 *   1  ICR high = AP_ID << 24: mmio_write (remembered, and the VMM sees it)
 *   2  ICR low = STARTUP before any INIT: ignored, no exit
 *   3  ICR low = INIT: absorbed, no exit
 *   4  ICR high again: mmio_write; 5 ICR low = STARTUP: cpu_up(AP_ID, r12, 0)
 *   6  ICR low = fixed 0x46 (to AP_ID still): send_ipi
 *   7  ICR low = NMI: mmio_write(0xfee00300, 4, value) (not decoded)
 *   8  pass
 */
#include "guest.h"
#include "sipi.h"

#define PTE_P_RW_A 0x23
#define PDE_2M_UC 0xfb			/* P RW PWT PCD A D PS */

	GUEST_ENTRY
	lea	apic_pd(%rip), %rax
	or	$PTE_P_RW_A, %rax
	mov	%rax, GUEST_PDPT + 3 * 8	/* PDPT[3]: 3..4 GiB */
	lea	apic_pd(%rip), %rdi
	mov	$(XAPIC_BASE | PDE_2M_UC), %eax
	mov	%rax, ((XAPIC_BASE >> 21) & 511) * 8(%rdi)

	lea	ap_start(%rip), %r12
	mov	%r12, %rbx
	shr	$12, %rbx
	or	$ICR_STARTUP, %ebx
	mov	$XAPIC_BASE, %edi

	mov	$1, %r13d
	movl	$(AP_ID << XAPIC_DEST_SHIFT), XAPIC_ICR_HIGH(%rdi)
	mov	$2, %r13d
	mov	%ebx, XAPIC_ICR_LOW(%rdi)
	mov	$3, %r13d
	movl	$(ICR_INIT | ICR_ASSERT | ICR_LEVEL), XAPIC_ICR_LOW(%rdi)
	mov	$4, %r13d
	movl	$(AP_ID << XAPIC_DEST_SHIFT), XAPIC_ICR_HIGH(%rdi)
	mov	$5, %r13d
	mov	%ebx, XAPIC_ICR_LOW(%rdi)
	mov	$6, %r13d
	movl	$(ICR_FIXED | 0x46), XAPIC_ICR_LOW(%rdi)
	mov	$7, %r13d
	movl	$(ICR_NMI | ICR_ASSERT), XAPIC_ICR_LOW(%rdi)
	mov	$8, %r13d
	GUEST_PASS

	AP_START_PAGE

	.bss
	.balign	4096
apic_pd:
	.skip	4096
