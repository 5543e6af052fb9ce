/* The register frame of the VMX world switch; switch.S uses offsets generated from it. */
#ifndef AXV_X86_64_CONTEXT_H
#define AXV_X86_64_CONTEXT_H

#include <stdint.h>

struct axv_vmx_frame {
    uint64_t r[16];          /* x86 numbering; r[4] (rsp) lives in the VMCS */
    uint64_t launched;       /* VMRESUME once the VMCS has been launched */
    uint64_t cr2;            /* VMX does not switch CR2: the guest's, kept here */
};

/* Enters the guest; 0 after a VM exit, 1 when VMLAUNCH/VMRESUME failed. */
int axv_vmx_enter(struct axv_vmx_frame *frame);

/* HOST_RIP: where a VM exit lands (inside switch.S; never called from C). */
void axv_vmx_exit(void);

#endif /* AXV_X86_64_CONTEXT_H */
