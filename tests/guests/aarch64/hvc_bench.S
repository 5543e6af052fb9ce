/*
 * The hypercall round-trip benchmark: 100000 HVCs through the whole path
 * (exit, the VMM loop, the return value, re-entry), timed with CNTVCT.
 * Reports the elapsed ticks with hypercall 0xc6000200 (x1 = ticks).
 */
#include "guest.h"
#define TESTDEV GUEST_MMIO      /* the host test device: every access exits */
#define TESTDEV_NEG 0x0          /* reads as 0x8081828384858687 */
#define TESTDEV_SINK 0x10        /* the host records writes */

#define ITERATIONS 100000

GUEST_ENTRY
    MOV64 x20, ITERATIONS
    isb
    mrs x21, cntvct_el0
1:  MOV64 x0, 0xc6000101
    hvc #0
    subs x20, x20, #1
    b.ne 1b
    isb
    mrs x22, cntvct_el0
    sub x1, x22, x21
    MOV64 x0, 0xc6000200
    hvc #0
    GUEST_PASS
