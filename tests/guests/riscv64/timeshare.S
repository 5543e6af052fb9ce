/*
 * Two vCPUs time-shared on one hart, each keeping the state the backend
 * switches only when another vCPU is loaded there (its VS CSRs, FP
 * registers): the host (test_backend.c, rv_time_shared_vcpus_keep_their_
 * state) alternates them, unbinds, rebinds and disables the hart in
 * between.
 *
 * Each round i (ROUNDS of them), on each vCPU: set sscratch (vsscratch),
 * stvec (vstvec) and f1 to the vCPU's own values, then hypercall HC_ROUND
 * with a0 = i, a1 = the address the call returns to, a2 = the vCPU; the
 * host answers ANSWER + i in a0. After it all of them must be as they were.
 */
#include "guest.h"

#define HC_ROUND 0x09000300
#define ROUNDS 6
#define ANSWER 0x100
#define FS_INITIAL (1 << 13)

/* One vCPU's loop: s1 = its sscratch base, s2 = its stvec, s3 = its f1
 * base, s4 = its number. */
.macro ROUNDS_LOOP fail
	li	s0, 0
1:	add	t0, s1, s0
	csrw	sscratch, t0
	csrw	stvec, s2
	add	t0, s3, s0
	fmv.d.x	f1, t0
	mv	a0, s0
	lla	a1, 2f
	mv	a2, s4
	SBI_CALL HC_ROUND, 0
2:	addi	t0, s0, ANSWER
	CHECK	eq, a0, t0, (\fail + 1)
	csrr	t1, sscratch
	add	t0, s1, s0
	CHECK	eq, t1, t0, (\fail + 2)
	csrr	t1, stvec
	CHECK	eq, t1, s2, (\fail + 3)
	fmv.x.d	t1, f1
	add	t0, s3, s0
	CHECK	eq, t1, t0, (\fail + 4)
	addi	s0, s0, 1
	li	t0, ROUNDS
	bne	s0, t0, 1b
.endm

GUEST_ENTRY
	li	t0, FS_INITIAL                  /* the guest turns its FP on */
	csrs	sstatus, t0
	li	a0, 1
	lla	a1, secondary
	li	a2, 0
	SBI_CALL SBI_EXT_HSM, 0             /* hart_start */
	CHECK_EQ a0, 0, 1
	LI64	s1, 0x5c5c000000000000
	csrr	s2, stvec                       /* GUEST_ENTRY's handler */
	LI64	s3, 0x1111000000000000
	li	s4, 0
	ROUNDS_LOOP 0x10
	GUEST_PASS

	.balign	4
other_trap:                                 /* vCPU 1's vstvec: any trap fails */
	GUEST_FAIL 2

secondary:
	li	t0, FS_INITIAL
	csrs	sstatus, t0
	LI64	s1, 0x5d5d000000000000
	lla	s2, other_trap
	LI64	s3, 0x2222000000000000
	li	s4, 1
	ROUNDS_LOOP 0x20
	SBI_CALL SBI_EXT_HSM, 1             /* hart_stop */
	GUEST_FAIL 3
