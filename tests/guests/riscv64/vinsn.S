/* Reads a hypervisor CSR from VS-mode: a virtual instruction that is not WFI. */
#include "guest.h"

GUEST_ENTRY
    csrr a0, 0x600            /* hstatus */
    GUEST_FAIL 1
