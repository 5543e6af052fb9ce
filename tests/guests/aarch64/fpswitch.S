/*
 * FP/SIMD state is per vCPU: vCPU 0 keeps a value in d1 while vCPU 1,
 * started with PSCI CPU_ON and time-shared on the same CPU, writes its own.
 */
#include "guest.h"

#define PSCI_CPU_OFF 0x84000002
#define PSCI_CPU_ON 0xc4000003

GUEST_ENTRY
    MOV64 x1, 0x1111222233334444
    fmov d1, x1
    mov x1, #1
    adr x2, secondary
    mov x3, #0
    HVC_CALL PSCI_CPU_ON
    CHECK_EQ x0, 0, 1
    fmov x4, d1
    CHECK_EQ x4, 0x1111222233334444, 2
    GUEST_PASS

secondary:
    MOV64 x1, 0x5555666677778888
    fmov d1, x1
    HVC_CALL PSCI_CPU_OFF
    GUEST_FAIL 3
