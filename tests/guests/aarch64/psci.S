/*
 * PSCI through HVC and SMC, a hypercall with its return value, and a
 * second vCPU started with CPU_ON that checks its context id and stops.
 */
#include "guest.h"
#define TESTDEV GUEST_MMIO      /* the host test device: every access exits */
#define TESTDEV_NEG 0x0          /* reads as 0x8081828384858687 */
#define TESTDEV_SINK 0x10        /* the host records writes */

#define PSCI_VERSION 0x84000000
#define PSCI_CPU_OFF 0x84000002
#define PSCI_CPU_ON 0xc4000003
#define PSCI_FEATURES 0x8400000a

GUEST_ENTRY
    MOV64 x0, PSCI_VERSION
    hvc #0
    CHECK_EQ x0, 0x10001, 1
    MOV64 x0, PSCI_VERSION
    smc #0
    CHECK_EQ x0, 0x10001, 2
    MOV64 x0, PSCI_FEATURES
    MOV64 x1, PSCI_CPU_ON
    hvc #0
    CHECK_EQ x0, 0, 3
    MOV64 x0, PSCI_FEATURES
    MOV64 x1, 0x12345
    hvc #0
    CHECK_EQ x0, 0xffffffffffffffff, 4

    /* a hypercall: x0 = nr, x1.. = arguments; the host returns the sum + nr */
    MOV64 x0, 0xc6000100
    mov x1, #1
    mov x2, #2
    mov x3, #3
    mov x4, #4
    mov x5, #5
    mov x6, #6
    hvc #0
    CHECK_EQ x0, 0xc6000115, 5

    /* start vCPU 1 (MPIDR 1) at secondary with context id 0x55 */
    MOV64 x0, PSCI_CPU_ON
    mov x1, #1
    adr x2, secondary
    mov x3, #0x55
    hvc #0
    CHECK_EQ x0, 0, 6
    adr x20, flag
    MOV64 x21, 100000
1:  ldr x22, [x20]
    cbnz x22, 2f
    subs x21, x21, #1
    b.ne 1b
    GUEST_FAIL 7
2:  CHECK_EQ x22, 0x55, 8
    GUEST_PASS

secondary:
    adr x20, flag
    str x0, [x20]
    dsb sy
    MOV64 x0, PSCI_CPU_OFF
    hvc #0
    GUEST_FAIL 9

    .balign 8
flag: .quad 0
