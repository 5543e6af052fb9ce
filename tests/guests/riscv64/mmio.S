/*
 * MMIO at every width, signed and unsigned, including compressed loads and
 * stores: the guest checks what each load returned. The host's test device
 * at GUEST_MMIO reads as 0x8081828384858687 and records writes at +0x10.
 */
#include "guest.h"

GUEST_ENTRY
    LI64 s0, GUEST_MMIO
    lb a2, 0(s0)
    CHECK_EQ a2, 0xffffffffffffff87, 1
    lbu a3, 0(s0)
    CHECK_EQ a3, 0x87, 2
    lh a4, 0(s0)
    CHECK_EQ a4, 0xffffffffffff8687, 3
    lhu a5, 0(s0)
    CHECK_EQ a5, 0x8687, 4
    lw s2, 0(s0)
    CHECK_EQ s2, 0xffffffff84858687, 5
    lwu s3, 0(s0)
    CHECK_EQ s3, 0x84858687, 6
    ld s4, 0(s0)
    CHECK_EQ s4, 0x8081828384858687, 7
    lbu s5, 3(s0)
    CHECK_EQ s5, 0x84, 8
    /* compressed forms: c.lw sign-extends, c.ld does not need to */
    .option push
    .option rvc
    c.lw a2, 0(s0)
    c.ld a3, 0(s0)
    .option pop
    CHECK_EQ a2, 0xffffffff84858687, 9
    CHECK_EQ a3, 0x8081828384858687, 10
    /* a load into x0 completes and changes nothing */
    li s6, 0x55
    lw zero, 0(s0)
    CHECK_EQ s6, 0x55, 11

    LI64 s1, 0x1122334455667788
    sb s1, 16(s0)
    sh s1, 16(s0)
    sw s1, 16(s0)
    sd s1, 16(s0)
    sd zero, 16(s0)
    .option push
    .option rvc
    c.sw s1, 16(s0)
    c.sd s1, 16(s0)
    .option pop
    GUEST_PASS
