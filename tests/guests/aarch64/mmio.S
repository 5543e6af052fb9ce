/*
 * MMIO at every width, signed and unsigned, into X and W registers, and
 * stores including xzr: the guest checks what each load returned.
 */
#include "guest.h"
#define TESTDEV GUEST_MMIO      /* the host test device: every access exits */
#define TESTDEV_NEG 0x0          /* reads as 0x8081828384858687 */
#define TESTDEV_SINK 0x10        /* the host records writes */

GUEST_ENTRY
    MOV64 x0, TESTDEV
    ldrb w1, [x0, #TESTDEV_NEG]
    CHECK_EQ x1, 0x87, 1
    ldrsb x2, [x0, #TESTDEV_NEG]
    CHECK_EQ x2, 0xffffffffffffff87, 2
    ldrsb w3, [x0, #TESTDEV_NEG]
    CHECK_EQ x3, 0xffffff87, 3
    ldrh w4, [x0, #TESTDEV_NEG]
    CHECK_EQ x4, 0x8687, 4
    ldrsh x5, [x0, #TESTDEV_NEG]
    CHECK_EQ x5, 0xffffffffffff8687, 5
    ldrsh w6, [x0, #TESTDEV_NEG]
    CHECK_EQ x6, 0xffff8687, 6
    ldr w7, [x0, #TESTDEV_NEG]
    CHECK_EQ x7, 0x84858687, 7
    ldrsw x8, [x0, #TESTDEV_NEG]
    CHECK_EQ x8, 0xffffffff84858687, 8
    ldr x9, [x0, #TESTDEV_NEG]
    CHECK_EQ x9, 0x8081828384858687, 9
    ldrb w10, [x0, #(TESTDEV_NEG + 3)]
    CHECK_EQ x10, 0x84, 10
    /* a load into xzr: completes, changes nothing */
    mov x11, #0x55
    ldr xzr, [x0, #TESTDEV_NEG]
    CHECK_EQ x11, 0x55, 11

    MOV64 x12, 0x1122334455667788
    strb w12, [x0, #TESTDEV_SINK]
    strh w12, [x0, #TESTDEV_SINK]
    str w12, [x0, #TESTDEV_SINK]
    str x12, [x0, #TESTDEV_SINK]
    str xzr, [x0, #TESTDEV_SINK]
    GUEST_PASS
