/*
 * FP state is per vCPU: hart 0 keeps a value in f1 while hart 1, started
 * with HSM and time-shared on the same physical hart, writes its own f1.
 */
#include "guest.h"

GUEST_ENTRY
    li t0, (1 << 13)                    /* sstatus.FS = initial: the guest turns its FP on */
    csrs sstatus, t0
    LI64 t0, 0x1111222233334444
    fmv.d.x f1, t0
    li a0, 1
    lla a1, secondary
    li a2, 0
    SBI_CALL SBI_EXT_HSM, 0             /* hart_start: the host runs hart 1 to its stop */
    CHECK_EQ a0, 0, 1
    fmv.x.d t1, f1
    CHECK_EQ t1, 0x1111222233334444, 2
    GUEST_PASS

secondary:
    li t0, (1 << 13)
    csrs sstatus, t0
    LI64 t0, 0x5555666677778888
    fmv.d.x f1, t0
    SBI_CALL SBI_EXT_HSM, 1             /* hart_stop */
    GUEST_FAIL 3
