/* PSCI CPU_SUSPEND (a halt exit) and SYSTEM_RESET (a shutdown exit). */
#include "guest.h"

#define PSCI_CPU_SUSPEND 0xc4000001

GUEST_ENTRY
    mov x1, #0
    HVC_CALL PSCI_CPU_SUSPEND
    CHECK_EQ x0, 0, 1
    HVC_CALL PSCI_SYSTEM_RESET
    GUEST_FAIL 2
