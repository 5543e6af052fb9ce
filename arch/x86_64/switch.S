/*
 * The VMX world switch. axv_vmx_enter saves the host's callee-saved
 * registers, records the stack in HOST_RSP, loads the guest's registers and
 * VMLAUNCHes (first time) or VMRESUMEs. HOST_RIP is axv_vmx_exit: it saves
 * the guest's registers into the frame (whose address sits at the top of the
 * host stack) and returns 0 from axv_vmx_enter; a failed entry returns 1.
 * CR2 is not part of the VMCS: the guest's is loaded before entry and
 * saved after exit (the host's own is dead between page faults).
 */
#include "asm_defs.h"

#define R(n) (FRAME_R + 8 * (n))

    .text
    .global axv_vmx_enter
    .type axv_vmx_enter, @function
axv_vmx_enter:
    push %rbx
    push %rbp
    push %r12
    push %r13
    push %r14
    push %r15
    push %rdi                       /* the frame, for the exit path */
    mov $VMCS_HOST_RSP, %rax
    vmwrite %rsp, %rax
    jbe 2f

    mov %rdi, %rax
    /* The guest's CR2, written only when it differs (a CR2 write is slow). */
    mov FRAME_CR2(%rax), %rcx
    mov %cr2, %rdx
    cmp %rcx, %rdx
    je 4f
    mov %rcx, %cr2
4:  mov R(1)(%rax), %rcx
    mov R(2)(%rax), %rdx
    mov R(3)(%rax), %rbx
    mov R(5)(%rax), %rbp
    mov R(6)(%rax), %rsi
    mov R(7)(%rax), %rdi
    mov R(8)(%rax), %r8
    mov R(9)(%rax), %r9
    mov R(10)(%rax), %r10
    mov R(11)(%rax), %r11
    mov R(12)(%rax), %r12
    mov R(13)(%rax), %r13
    mov R(14)(%rax), %r14
    mov R(15)(%rax), %r15
    cmpq $0, FRAME_LAUNCHED(%rax)
    mov R(0)(%rax), %rax            /* flags are not changed by mov */
    jne 1f
    vmlaunch
    jmp 2f
1:  vmresume
2:  /* entry failed: the guest's values are in the registers; the frame is on the stack */
    pop %rdi
    mov $1, %eax
    jmp 3f

    .global axv_vmx_exit
axv_vmx_exit:
    xchg %rdi, (%rsp)               /* rdi = frame, the stack keeps the guest's rdi */
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
    pop %rax
    mov %rax, R(7)(%rdi)
    mov %cr2, %rax
    mov %rax, FRAME_CR2(%rdi)
    movq $1, FRAME_LAUNCHED(%rdi)
    xor %eax, %eax
3:  pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbp
    pop %rbx
    ret
    .size axv_vmx_enter, . - axv_vmx_enter

    .section .note.GNU-stack, "", @progbits
