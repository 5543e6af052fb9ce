/*
 * SBI: BASE answered by the backend, an unknown extension refused, a
 * hypercall with its return value, HSM hart_start of a second hart that
 * checks its a0/a1 and stops, an IPI, then shutdown.
 */
#include "guest.h"

#define SBI_ERR_NOT_SUPPORTED 0xfffffffffffffffe
#define HYPERCALL_EID 0x09000010
#define SBI_EXT_IPI 0x735049

GUEST_ENTRY
    SBI_CALL SBI_EXT_BASE, 0            /* get_spec_version */
    CHECK_EQ a0, 0, 1
    CHECK_EQ a1, 0x01000000, 2
    LI64 a0, SBI_EXT_HSM
    SBI_CALL SBI_EXT_BASE, 3            /* probe_extension(HSM) */
    CHECK_EQ a1, 1, 3
    LI64 a0, 0x12345
    SBI_CALL SBI_EXT_BASE, 3            /* probe_extension(unknown) */
    CHECK_EQ a1, 0, 4
    SBI_CALL 0x12345, 0                 /* an extension nobody has */
    CHECK_EQ a0, SBI_ERR_NOT_SUPPORTED, 5

    li a0, 1
    li a1, 2
    li a2, 3
    li a3, 4
    li a4, 5
    li a5, 6
    SBI_CALL HYPERCALL_EID, 7
    CHECK_EQ a0, 21, 6

    li a0, 1                            /* hart 1 */
    lla a1, secondary
    li a2, 0x55                         /* opaque: the new hart's a1 */
    SBI_CALL SBI_EXT_HSM, 0             /* hart_start */
    CHECK_EQ a0, 0, 7
    lla s0, flag
    LI64 s1, 100000
1:  ld s2, 0(s0)
    bnez s2, 2f
    addi s1, s1, -1
    bnez s1, 1b
    GUEST_FAIL 8
2:  CHECK_EQ s2, 0x55, 9

    li a0, 2                            /* hart mask: hart 1 */
    li a1, 0                            /* mask base */
    SBI_CALL SBI_EXT_IPI, 0
    GUEST_PASS

secondary:
    CHECK_EQ a0, 1, 10                  /* a0 = hart id */
    lla s0, flag
    sd a1, 0(s0)
    fence
    SBI_CALL SBI_EXT_HSM, 1             /* hart_stop */
    GUEST_FAIL 11

    .balign 8
flag: .quad 0
