/* Spins: only a host interrupt (HS timer) gets it out. */
#include "guest.h"

GUEST_ENTRY
    LI64 s0, 50000000
1:  addi s0, s0, -1
    bnez s0, 1b
    GUEST_FAIL 1              /* the host's timer interrupt never came */
