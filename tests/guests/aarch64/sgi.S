/* A GICv3 SGI: a write of ICC_SGI1R_EL1 (trapped by ICH_HCR_EL2.TALL1) is send_ipi. */
#include "guest.h"

GUEST_ENTRY
    /* SGI 3 to Aff0 = 1 (target list bit 1) in affinity 0.0.0 */
    MOV64 x1, ((3 << 24) | 0x2)
    msr icc_sgi1r_el1, x1
    /* SGI 5 to all but self (IRM) */
    MOV64 x2, ((5 << 24) | (1 << 40))
    msr icc_sgi1r_el1, x2
    GUEST_PASS
