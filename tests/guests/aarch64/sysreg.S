/*
 * Trapped system registers: an ID register read (HCR_EL2.TID3) completes
 * into the destination register; a CONTEXTIDR_EL1 write (HCR_EL2.TVM)
 * reaches the host with its value.
 */
#include "guest.h"
#define TESTDEV GUEST_MMIO      /* the host test device: every access exits */
#define TESTDEV_NEG 0x0          /* reads as 0x8081828384858687 */
#define TESTDEV_SINK 0x10        /* the host records writes */

GUEST_ENTRY
    mrs x5, id_aa64pfr0_el1
    CHECK_EQ x5, 0x1111, 1
    mrs x6, id_aa64isar0_el1
    CHECK_EQ x6, 0x2222, 2
    mov x7, #0x77
    msr contextidr_el1, x7
    GUEST_PASS
