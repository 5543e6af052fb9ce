/* An FP instruction: with CPTR_EL2.TFP set by the host it traps to EL2. */
#include "guest.h"

GUEST_ENTRY
    mov x1, #1
    fmov d0, x1
    GUEST_PASS
