/* Compiled with -S only: "->NAME value" lines become asm_defs.h for switch.S. */
#include <stddef.h>

#include "axv/asm_exit.h"
#include "axv/gen/x86_64_exits.h"
#include "axv/gen/x86_64_sysregs.h"
#include "axv/vcpu.h"
#include "context.h"

#define DEFINE(name, value) __asm__ volatile("\n->" #name " %0" : : "i"(value))

#define FIELD_SIZE(type, field) sizeof(((type *)0)->field)
_Static_assert(FIELD_SIZE(struct axv_vmx_frame, slow) == 4, "switch.S tests slow with cmpl");
_Static_assert(FIELD_SIZE(struct axv_vcpu, run_checks) == 4, "switch.S tests run_checks with cmpl");
_Static_assert(FIELD_SIZE(struct axv_exit_verdict, action) == 8 && FIELD_SIZE(struct axv_exit_verdict, value) == 8,
               "switch.S stores a verdict as the two words the handler returned in rax and rdx");

void axv_vmx_asm_defs(void);
void axv_vmx_asm_defs(void)
{
    DEFINE(FRAME_R, offsetof(struct axv_vmx_frame, r));
    DEFINE(FRAME_LAUNCHED, offsetof(struct axv_vmx_frame, launched));
    DEFINE(FRAME_CR2, offsetof(struct axv_vmx_frame, cr2));
    DEFINE(FRAME_HOST_RSP, offsetof(struct axv_vmx_frame, host_rsp));
    DEFINE(FRAME_HOST_GDT, offsetof(struct axv_vmx_frame, host_gdt.limit));
    DEFINE(FRAME_HOST_IDT, offsetof(struct axv_vmx_frame, host_idt.limit));
    DEFINE(FRAME_SLOW, offsetof(struct axv_vmx_frame, slow));
    DEFINE(VCPU_ARCH, offsetof(struct axv_vcpu, arch));
    DEFINE(VCPU_RUN_CHECKS, offsetof(struct axv_vcpu, run_checks));
    DEFINE(VCPU_ON_EXIT, offsetof(struct axv_vcpu, on_exit));
    DEFINE(VCPU_ON_EXIT_CTX, offsetof(struct axv_vcpu, on_exit_ctx));
    DEFINE(VERDICT_ACTION, offsetof(struct axv_exit_verdict, action));
    DEFINE(VERDICT_VALUE, offsetof(struct axv_exit_verdict, value));
    DEFINE(EXIT_ACTION_DELIVER, AXV_EXIT_DELIVER);
    DEFINE(EXIT_ACTION_ANSWER, AXV_EXIT_ANSWER);
    DEFINE(EXIT_ACTION_UNASKED, AXV_EXIT_UNASKED);
    AXV_ASM_EXIT_DEFINES();
    DEFINE(RAW_SOURCE_VMX, AXV_RAW_SOURCE_VMX);
    DEFINE(EXIT_VMCALL, AXV_X86_64_EXIT_VMCALL);
    DEFINE(VMCS_HOST_RSP, AXV_X86_64_HOST_RSP_VMCS);
    DEFINE(VMCS_HOST_RIP, AXV_X86_64_HOST_RIP_VMCS);
    DEFINE(VMCS_EXIT_REASON, AXV_X86_64_VM_EXIT_REASON_VMCS);
    DEFINE(VMCS_VM_EXIT_INSTRUCTION_LEN, AXV_X86_64_VM_EXIT_INSTRUCTION_LEN_VMCS);
    DEFINE(VMCS_GUEST_RIP, AXV_X86_64_GUEST_RIP_VMCS);
    DEFINE(VMCS_GUEST_INTERRUPTIBILITY_INFO, AXV_X86_64_GUEST_INTERRUPTIBILITY_INFO_VMCS);
}
