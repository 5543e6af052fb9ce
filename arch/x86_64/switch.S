/*
 * The VMX world switch. axv_vmx_enter saves the host's callee-saved
 * registers, keeps the frame's address at the top of the host stack (the
 * stack HOST_RSP names), loads the guest's registers and VMLAUNCHes (first
 * time) or VMRESUMEs; axv_vmx_resume is the same for a VMCS the caller
 * knows is launched (no test). HOST_RIP is axv_vmx_exit: it saves the guest's
 * registers into the frame, puts the host's GDTR/IDTR limits back and
 * returns the frame's address from axv_vmx_enter; a failed entry returns
 * the address + 1. Returning the frame means the C caller keeps nothing in
 * registers across the switch (no second save of callee-saved registers).
 * CR2 is not part of the VMCS: the guest's is loaded before entry and
 * saved after exit (the host's own is dead between page faults).
 */
#include "asm_defs.h"

#define R(n) (FRAME_R + 8 * (n))

/* Host registers saved, HOST_RSP and CR2 up to date, the guest's registers
 * loaded but rdi (still the frame): what both entry points do first. */
.macro AXV_VMX_LOAD_GUEST
    push %rbx
    push %rbp
    push %r12
    push %r13
    push %r14
    push %r15
    push %rdi                       /* the frame, for the exit path */
    /* HOST_RSP only when the stack moved since the last entry on this VMCS:
     * a VMM loop enters from the same depth every time. */
    cmp %rsp, FRAME_HOST_RSP(%rdi)
    jne 5f
6:  /* The guest's CR2, written only when it differs (a CR2 write is slow). */
    mov %cr2, %rax
    cmp FRAME_CR2(%rdi), %rax
    jne 7f
8:  mov R(0)(%rdi), %rax
    mov R(1)(%rdi), %rcx
    mov R(2)(%rdi), %rdx
    mov R(3)(%rdi), %rbx
    mov R(5)(%rdi), %rbp
    mov R(6)(%rdi), %rsi
    mov R(8)(%rdi), %r8
    mov R(9)(%rdi), %r9
    mov R(10)(%rdi), %r10
    mov R(11)(%rdi), %r11
    mov R(12)(%rdi), %r12
    mov R(13)(%rdi), %r13
    mov R(14)(%rdi), %r14
    mov R(15)(%rdi), %r15
.endm

/* The cold tails of AXV_VMX_LOAD_GUEST (labels 5 and 7, back to 6 and 8). */
.macro AXV_VMX_LOAD_GUEST_COLD
5:  mov $VMCS_HOST_RSP, %rax
    vmwrite %rsp, %rax
    jbe axv_vmx_entry_failed
    mov %rsp, FRAME_HOST_RSP(%rdi)
    jmp 6b
7:  mov FRAME_CR2(%rdi), %rax
    mov %rax, %cr2
    jmp 8b
.endm

    .text
    .global axv_vmx_enter
    .type axv_vmx_enter, @function
axv_vmx_enter:
    AXV_VMX_LOAD_GUEST
    cmpq $0, FRAME_LAUNCHED(%rdi)
    mov R(7)(%rdi), %rdi            /* flags are not changed by mov */
    jne 1f
    vmlaunch
    jmp axv_vmx_entry_failed
1:  vmresume
    jmp axv_vmx_entry_failed
    AXV_VMX_LOAD_GUEST_COLD
    .size axv_vmx_enter, . - axv_vmx_enter

    /* The short run path's entry: the VMCS is known launched, no test. */
    .global axv_vmx_resume
    .type axv_vmx_resume, @function
axv_vmx_resume:
    AXV_VMX_LOAD_GUEST
    mov R(7)(%rdi), %rdi
    vmresume
axv_vmx_entry_failed:
    /* The guest's values are in the registers; the frame is on the stack. */
    pop %rax
    inc %rax
    jmp 3f
    AXV_VMX_LOAD_GUEST_COLD

    .global axv_vmx_exit
axv_vmx_exit:
    push %rdi                       /* the guest's rdi; the frame's address is above it */
    mov 8(%rsp), %rdi
    mov %rax, R(0)(%rdi)
    mov %rcx, R(1)(%rdi)
    mov %rdx, R(2)(%rdi)
    mov %rbx, R(3)(%rdi)
    mov %rbp, R(5)(%rdi)
    mov %rsi, R(6)(%rdi)
    mov %r8, R(8)(%rdi)
    mov %r9, R(9)(%rdi)
    mov %r10, R(10)(%rdi)
    mov %r11, R(11)(%rdi)
    mov %r12, R(12)(%rdi)
    mov %r13, R(13)(%rdi)
    mov %r14, R(14)(%rdi)
    mov %r15, R(15)(%rdi)
    popq R(7)(%rdi)
    mov %cr2, %rax
    mov %rax, FRAME_CR2(%rdi)
    /* The exit left GDTR/IDTR limits at 0xffff: back to the host's before
     * any C code runs. Unconditional: a host whose limits are both 0xffff
     * already (the only case a test could skip) does not exist in practice. */
    lgdt FRAME_HOST_GDT(%rdi)
    lidt FRAME_HOST_IDT(%rdi)
    pop %rax                        /* the frame: the return value */
3:  pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbp
    pop %rbx
    ret
    .size axv_vmx_resume, . - axv_vmx_resume

    .section .note.GNU-stack, "", @progbits
