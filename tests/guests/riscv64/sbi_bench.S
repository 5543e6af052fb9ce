/*
 * The SBI round-trip benchmark: 100000 hypercalls through the whole path
 * (exit, the VMM loop, the return value, re-entry), timed with rdtime.
 * Reports the elapsed ticks with a final hypercall (FID 1, a0 = ticks).
 */
#include "guest.h"

#define HYPERCALL_EID 0x09000010
#define ITERATIONS 100000

GUEST_START
    LI64 s0, ITERATIONS
    rdtime s1
1:  LI64 a7, HYPERCALL_EID
    li a6, 0
    ecall
    addi s0, s0, -1
    bnez s0, 1b
    rdtime s2
    sub a0, s2, s1
    LI64 a7, HYPERCALL_EID
    li a6, 1
    ecall
    GUEST_PASS
