/* Spins with IRQs masked: only a physical interrupt routed to EL2 gets it out. */
#include "guest.h"

GUEST_ENTRY
    MOV64 x20, 50000000
1:  subs x20, x20, #1
    b.ne 1b
    GUEST_FAIL 1              /* the host's timer interrupt never came */
