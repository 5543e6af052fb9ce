/* The register frame of the VMX world switch; switch.S uses offsets generated from it. */
#ifndef AXV_X86_64_CONTEXT_H
#define AXV_X86_64_CONTEXT_H

#include <stdint.h>

#include "axv/backend.h"

/* A GDTR/IDTR image: LGDT/LIDT read the limit and then the base, so the operand is &limit. */
struct axv_vmx_dtr {
    uint16_t pad[3];         /* keeps base 8-byte aligned */
    uint16_t limit;
    uint64_t base;
};

struct axv_vmx_frame {
    uint64_t r[16];          /* x86 numbering; r[4] (rsp) lives in the VMCS */
    uint64_t launched;       /* VMRESUME once the VMCS has been launched */
    uint64_t cr2;            /* VMX does not switch CR2: the guest's, kept here */
    uint64_t host_rsp;       /* HOST_RSP as last written to this VMCS, | 1 when HOST_RIP is
                              * axv_vmx_exit_handled (switch.S); 0 when unknown */
    uint32_t slow;           /* SLOW_* (x86_64.c): 0 lets axv_vmx_run(_handled) take its short path; atomic */
    /* The host's descriptor tables: a VM exit sets both limits to 0xffff, and
     * the exit path reloads them before any C code runs. */
    struct axv_vmx_dtr host_gdt, host_idt;
};

/*
 * Enters the guest. Returns 0 after a plain hypercall, finished as on the
 * short path (e filled, RIP past the VMCALL); the frame's address after any
 * other VM exit; the address + 1 when VMLAUNCH/VMRESUME failed (nothing
 * ran). So the caller needs nothing kept in registers across the switch.
 */
uintptr_t axv_vmx_enter(struct axv_vmx_frame *frame, struct axv_exit *e);

/* ops->run (switch.S): a plain hypercall's round trip in assembly, the rest through the C below. */
enum axv_err axv_vmx_run(struct axv_vcpu *v, struct axv_exit *e);
/* ops->run_handled (switch.S): the same, and the handler asked and answered there too. */
enum axv_err axv_vmx_run_handled(struct axv_vcpu *v, struct axv_exit *e, struct axv_exit_verdict *verdict);
/* The general run loop, for a vCPU whose slow word is not 0. */
enum axv_err axv_vmx_run_slow(struct axv_vcpu *v, struct axv_exit *e);
/* axv_vmx_run's (and axv_vmx_run_handled's) exits but a plain hypercall, with the host's registers back. */
enum axv_err axv_vmx_run_exit(struct axv_vmx_frame *frame, struct axv_exit *e, uint64_t reason);
/* axv_vmx_run's (or axv_vmx_run_handled's) VMRESUME failed (nothing ran). */
enum axv_err axv_vmx_run_failed(struct axv_vmx_frame *frame, struct axv_exit *e);

/* HOST_RIP: where a VM exit lands (inside switch.S; never called from C). */
void axv_vmx_exit(void);

#endif /* AXV_X86_64_CONTEXT_H */
