/*
 * Two vCPUs time-shared on one CPU, each keeping state the backend leaves
 * in the EL2 registers while a vCPU stays loaded (arch/aarch64/context.h):
 * its PC (ELR_EL2), PSTATE (SPSR_EL2: NZCV, DAIF, EL1h or EL1t), SP_EL0
 * and HCR_EL2 (vCPU 0 is set up with HCR_EL2.TID3, vCPU 1 without). The
 * host (test_backend.c, a64_time_shared_vcpus_keep_their_state) alternates
 * them, unbinds, rebinds and disables the CPU in between.
 *
 * Each round i (ROUNDS of them), on each vCPU: set NZCV, DAIF, SP_EL0 (and
 * on vCPU 0 read ID_AA64PFR0_EL1: a sys_reg_read exit the host answers
 * with ID_ANSWER + i), then hypercall HC_ROUND with x1 = i, x2 = the
 * address the call returns to, x3 = the vCPU; the host answers
 * ANSWER + i. After it every one of those must be as it was.
 */
#include "guest.h"

#define PSCI_CPU_OFF 0x84000002
#define PSCI_CPU_ON 0xc4000003
#define HC_ROUND 0xc6000300
#define ROUNDS 6
#define ANSWER 0x100
#define ID_ANSWER 0x12340
#define SP0_BASE 0x5a5a000000000000     /* vCPU 0's SP_EL0, + 16 * i */
#define SP1_BASE 0x5b5b000000000000     /* vCPU 1's SP (SP_EL0 at EL1t), + 16 * i */

GUEST_ENTRY
	mov	x1, #1
	adr	x2, secondary
	mov	x3, #0
	HVC_CALL PSCI_CPU_ON
	CHECK_EQ x0, 0, 1

	/* vCPU 0: EL1h, DAIF all masked (as it started), Z and C set. */
	mov	x20, #0
1:	MOV64	x21, SP0_BASE
	add	x21, x21, x20, lsl #4
	msr	sp_el0, x21
	mrs	x22, id_aa64pfr0_el1		/* traps: HCR_EL2.TID3 */
	MOV64	x17, ID_ANSWER
	add	x17, x17, x20
	cmp	x22, x17
	CHECK	eq, 2
	MOV64	x16, 0x60000000
	msr	nzcv, x16
	MOV64	x0, HC_ROUND
	mov	x1, x20
	adr	x2, 2f
	mov	x3, #0
	hvc	#0
2:	CHECK	eq, 3				/* flags first: Z, C set; N, V clear */
	CHECK	cs, 4
	CHECK	pl, 5
	CHECK	vc, 6
	add	x17, x20, #ANSWER
	cmp	x0, x17
	CHECK	eq, 7
	mrs	x16, sp_el0
	cmp	x16, x21
	CHECK	eq, 8
	mrs	x16, spsel
	CHECK_EQ x16, 1, 9
	mrs	x16, daif
	CHECK_EQ x16, 0x3c0, 10
	add	x20, x20, #1
	cmp	x20, #ROUNDS
	b.ne	1b
	GUEST_PASS

	/* vCPU 1: EL1t (SP is SP_EL0), D and A unmasked, N and V set. */
secondary:
	adr	x16, guest_default_vectors
	msr	vbar_el1, x16
	msr	spsel, #0
	msr	daifclr, #0xc
	isb
	mov	x20, #0
1:	MOV64	x21, SP1_BASE
	add	x21, x21, x20, lsl #4
	mov	sp, x21
	mrs	x22, id_aa64pfr0_el1		/* does not trap: no TID3 */
	MOV64	x17, ID_ANSWER
	add	x17, x17, x20
	cmp	x22, x17
	CHECK	ne, 0x20
	MOV64	x16, 0x90000000
	msr	nzcv, x16
	MOV64	x0, HC_ROUND
	mov	x1, x20
	adr	x2, 2f
	mov	x3, #1
	hvc	#0
2:	CHECK	mi, 0x21			/* N, V set; Z, C clear */
	CHECK	vs, 0x22
	CHECK	ne, 0x23
	CHECK	cc, 0x24
	add	x17, x20, #ANSWER
	cmp	x0, x17
	CHECK	eq, 0x25
	mov	x16, sp
	cmp	x16, x21
	CHECK	eq, 0x26
	mrs	x16, spsel
	CHECK_EQ x16, 0, 0x27
	mrs	x16, daif
	CHECK_EQ x16, 0xc0, 0x28
	add	x20, x20, #1
	cmp	x20, #ROUNDS
	b.ne	1b
	HVC_CALL PSCI_CPU_OFF
	GUEST_FAIL 0x29
