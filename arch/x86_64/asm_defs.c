/* Compiled with -S only: "->NAME value" lines become asm_defs.h for switch.S. */
#include <stddef.h>

#include "axv/gen/x86_64_sysregs.h"
#include "context.h"

#define DEFINE(name, value) __asm__ volatile("\n->" #name " %0" : : "i"(value))

void axv_vmx_asm_defs(void);
void axv_vmx_asm_defs(void)
{
    DEFINE(FRAME_R, offsetof(struct axv_vmx_frame, r));
    DEFINE(FRAME_LAUNCHED, offsetof(struct axv_vmx_frame, launched));
    DEFINE(FRAME_CR2, offsetof(struct axv_vmx_frame, cr2));
    DEFINE(FRAME_HOST_RSP, offsetof(struct axv_vmx_frame, host_rsp));
    DEFINE(FRAME_HOST_GDT, offsetof(struct axv_vmx_frame, host_gdt.limit));
    DEFINE(FRAME_HOST_IDT, offsetof(struct axv_vmx_frame, host_idt.limit));
    DEFINE(VMCS_HOST_RSP, AXV_X86_64_HOST_RSP_VMCS);
}
