/*
 * A misbehaving guest: a load pair from MMIO (no syndrome), a jump to an
 * address with no memory, an undefined instruction with no vectors. Each
 * must come to the host as a defined exit; the host moves the guest on to
 * the address in x19.
 */
#include "guest.h"
#define TESTDEV GUEST_MMIO      /* the host test device: every access exits */
#define TESTDEV_NEG 0x0          /* reads as 0x8081828384858687 */
#define TESTDEV_SINK 0x10        /* the host records writes */

GUEST_ENTRY
    MOV64 x0, TESTDEV
    adr x19, 1f
    ldp x1, x2, [x0]          /* ISV = 0: nested_page_fault */
1:  adr x19, 2f
    mov x1, #0x1000
    br x1                     /* fetch from no memory: nested_page_fault (execute) */
2:  adr x19, 3f
    msr vbar_el1, xzr
    isb
    udf #0                    /* EL1 takes it at VBAR 0 + 0x200: no memory there either */
3:  GUEST_PASS
