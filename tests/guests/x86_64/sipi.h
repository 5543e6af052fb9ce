/*
 * Shared by the INIT/SIPI guests (sipi.S, sipi_xapic.S): the ICR bits they
 * write (spec/arch/x86_64/sysregs.yaml ia32_x2apic_icr, xapic_mmio_address,
 * xapic_icr_high: the generated header is C only) and the AP they start.
 */
#ifndef AXV_X86_64_TEST_SIPI_H
#define AXV_X86_64_TEST_SIPI_H

#define ICR_MSR 0x830			/* x2APIC ICR */
#define X2APIC_ID_MSR 0x802		/* x2APIC ID: the AP asks, the host answers */
#define XAPIC_BASE 0xfee00000		/* the default xAPIC page */
#define XAPIC_ICR_LOW 0x300
#define XAPIC_ICR_HIGH 0x310
#define XAPIC_DEST_SHIFT 24		/* ICR high: destination in 31:24 */
#define ICR_FIXED (0 << 8)		/* delivery mode, bits 10:8 */
#define ICR_NMI (4 << 8)
#define ICR_INIT (5 << 8)
#define ICR_STARTUP (6 << 8)
#define ICR_LOGICAL (1 << 11)
#define ICR_ASSERT (1 << 14)
#define ICR_LEVEL (1 << 15)
#define ICR_ALL_BUT_SELF (3 << 18)	/* destination shorthand, bits 19:18 */

#define AP_ID 1				/* the AP's APIC id: vCPU 1 of the host's VMM */
#define AP_REPORT 0x51			/* the AP's report: a plain hypercall */
#define AP_MARK 0x5ea7c0de		/* in its args[2]: it ran this code */

/*
 * The AP's start page: 16-bit code that a STARTUP IPI starts at CS = V << 8,
 * IP = 0 in real mode. It asks its APIC id (RDMSR x2APIC ID: a sys_reg_read
 * the host answers) and reports rdi = CS, rsi = that id, rdx = AP_MARK,
 * then CPU_DOWN. Label: ap_start (page aligned).
 */
.macro AP_START_PAGE
	.text
	.balign	4096
	.code16
ap_start:
	mov	$X2APIC_ID_MSR, %ecx
	rdmsr
	mov	%eax, %esi
	xor	%edi, %edi
	mov	%cs, %di
	mov	$AP_MARK, %edx
	mov	$AP_REPORT, %eax
	vmcall
	xor	%edi, %edi
	mov	$AXV_X86_64_CALL_CPU_DOWN, %eax
	vmcall
.Lap_hang\@:
	cli
	hlt
	jmp	.Lap_hang\@
	.code64
.endm

/* r13 = step (the host checks which write made an exit), then WRMSR ICR = (dest << 32) | low. */
.macro ICR_MSR_WRITE step, low, dest
	mov	$(\step), %r13d
	mov	$(\low), %eax
	mov	$(\dest), %edx
	mov	$ICR_MSR, %ecx
	wrmsr
.endm

#endif /* AXV_X86_64_TEST_SIPI_H */
