/*
 * SBI TIME: the guest programs its timer (answered by the backend through
 * vstimecmp, Sstc), waits in WFI (a halt exit; the host just resumes it)
 * and takes the VS timer interrupt.
 */
#include "guest.h"

#define SBI_EXT_TIME 0x54494d45
#define SIE_STIE (1 << 5)
#define SSTATUS_SIE (1 << 1)

GUEST_ENTRY
    lla t0, handler
    csrw stvec, t0
    li s0, 0
    li t0, SIE_STIE
    csrs sie, t0
    rdtime a0
    addi a0, a0, 1000                   /* 100 us at 10 MHz */
    SBI_CALL SBI_EXT_TIME, 0
    CHECK_EQ a0, 0, 1
    csrs sstatus, SSTATUS_SIE
    LI64 s1, 1000
1:  bnez s0, 2f
    wfi
    addi s1, s1, -1
    bnez s1, 1b
    GUEST_FAIL 2
2:  GUEST_PASS

    .balign 4
handler:
    csrr t1, scause
    LI64 t2, 0x8000000000000005         /* supervisor timer, as the guest sees it */
    CHECK eq, t1, t2, 3
    li a0, -1                           /* no further deadline */
    SBI_CALL SBI_EXT_TIME, 0
    li s0, 1
    sret
