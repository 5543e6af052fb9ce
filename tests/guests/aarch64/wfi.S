/*
 * Halt and wake-up by an injected interrupt: WFI exits (halt), the host
 * injects a vector, the IRQ handler acknowledges it (HVC IRQ_ACK) and the
 * guest checks the vector; WFE is idle.
 */
#include "guest.h"
#define TESTDEV GUEST_MMIO      /* the host test device: every access exits */
#define TESTDEV_NEG 0x0          /* reads as 0x8081828384858687 */
#define TESTDEV_SINK 0x10        /* the host records writes */

#define IRQ_ACK 0xc6000010

GUEST_ENTRY
    adr x0, vectors
    msr vbar_el1, x0
    isb
    mov x20, #0
    msr daifclr, #2           /* take IRQs */
    wfi
    /* the interrupt was taken right after WFI returned */
    mov x21, #1000
1:  cbnz x20, 2f
    subs x21, x21, #1
    b.ne 1b
    GUEST_FAIL 1
2:  CHECK_EQ x20, 7, 2
    msr daifset, #2
    wfe
    GUEST_PASS

irq_handler:
    MOV64 x0, IRQ_ACK
    hvc #0
    mov x20, x0
    eret

    .balign 2048
vectors:
    .balign 128               /* current EL, SP0 */
    GUEST_FAIL 10
    .balign 128
    GUEST_FAIL 11
    .balign 128
    GUEST_FAIL 12
    .balign 128
    GUEST_FAIL 13
    .balign 128               /* current EL, SPx: sync, irq, fiq, serror */
    GUEST_FAIL 14
    .balign 128
    b irq_handler
    .balign 128
    GUEST_FAIL 16
    .balign 128
    GUEST_FAIL 17
