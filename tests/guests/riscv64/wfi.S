/*
 * Halt and wake-up by an injected interrupt: WFI (a virtual instruction,
 * hstatus.VTW) exits as halt; the host injects a vector, the VS external
 * interrupt handler acknowledges it and checks it. Then HSM suspend (halt)
 * and an SRST reboot (shutdown).
 */
#include "guest.h"

#define IRQ_ACK_EID 0x0a000000
#define SIE_SEIE (1 << 9)
#define SSTATUS_SIE (1 << 1)

GUEST_ENTRY
    lla t0, handler
    csrw stvec, t0
    li s0, 0
    li t0, SIE_SEIE
    csrs sie, t0
    csrs sstatus, SSTATUS_SIE
    wfi
    LI64 s1, 1000
1:  bnez s0, 2f
    addi s1, s1, -1
    bnez s1, 1b
    GUEST_FAIL 1
2:  CHECK_EQ s0, 7, 2
    csrc sstatus, SSTATUS_SIE
    li a0, 0
    SBI_CALL SBI_EXT_HSM, 3             /* hart_suspend: a halt */
    li a0, SBI_SRST_COLD_REBOOT
    li a1, 0
    SBI_CALL SBI_EXT_SRST, 0
    GUEST_FAIL 3

    .balign 4
handler:
    csrr t1, scause
    LI64 t2, 0x8000000000000009         /* supervisor external interrupt */
    CHECK eq, t1, t2, 4
    SBI_CALL IRQ_ACK_EID, 0
    mv s0, a1
    sret
