/*
 * A misbehaving guest: an AMO on MMIO (not a plain load/store), a jump to
 * an address with no memory. Each comes to the host as a defined exit; the
 * host moves the guest on to the address in s1.
 */
#include "guest.h"

GUEST_ENTRY
    LI64 s0, GUEST_MMIO
    lla s1, 1f
    li t0, 1
    amoadd.w t1, t0, (s0)               /* nested_page_fault (write) */
1:  lla s1, 2f
    li t0, 0x1000
    jr t0                               /* fetch from no memory: nested_page_fault (execute) */
2:  GUEST_PASS
