/*
 * The VMX world switch, and the run op's short path for a plain hypercall.
 *
 * axv_vmx_run is ops->run. While frame.slow is 0 (x86_64.c keeps it: the
 * VMCS is current here and launched, nothing waits to be injected, no read
 * is open, XCR0 is the host's) it enters the guest itself; otherwise it
 * tail-calls axv_vmx_run_slow (C), whose loop enters through axv_vmx_enter
 * (VMLAUNCH the first time, VMRESUME after).
 *
 * Both entries save the host's callee-saved registers, then push the exit
 * record and the frame, so the frame's address is at the top of the host
 * stack (the stack HOST_RSP names), load the guest's registers and enter.
 * axv_vmx_enter first calls its own entry code, so that the stack is laid
 * out alike for both, with a return address under the saved registers:
 * the VMM's for axv_vmx_run, .Lvmx_enter_ret for axv_vmx_enter.
 *
 * HOST_RIP is axv_vmx_exit: it saves the guest's registers into the frame,
 * saves CR2 and puts the host's GDTR/IDTR limits back. A VMCALL whose rax
 * is no id of calls.yaml is a plain hypercall, finished there whichever
 * entry ran, while the guest's argument registers are still loaded: the
 * exit record filled as axv_exit_make_hypercall and vmx_raw would
 * (asm_defs.c checks the layout), RIP past the VMCALL, STI/MOV-SS blocking
 * ended, and 0 returned: AXV_OK to the VMM from axv_vmx_run, "finished" to
 * axv_vmx_run_slow (which does the bookkeeping a slow entry needs). Any
 * other exit goes to axv_vmx_run_exit (C) with the host's registers back
 * from axv_vmx_run, and returns the frame's address to axv_vmx_enter's
 * caller. A failed VMLAUNCH/VMRESUME goes to axv_vmx_run_failed (C), or
 * returns the frame's address + 1.
 *
 * CR2 is not part of the VMCS: the guest's is loaded before entry (only when
 * it differs: a CR2 write is slow) and saved after exit (the host's own is
 * dead between page faults). Nothing here depends on which vCPU ran last or
 * on host interrupts in between: HOST_RSP and CR2 are compared with the
 * frame at every entry, and the GDTR/IDTR limits go back at every exit,
 * before any C code (or interrupt, once the VMM lets one in) can see them.
 */
#include "asm_defs.h"
#include "axv/gen/x86_64_calls.h"

#define R(n) (FRAME_R + 8 * (n))

/* Host registers saved, the exit record \out and the frame \base pushed,
 * HOST_RSP and CR2 up to date (\tmp clobbered), and the guest's registers
 * loaded but \base, which the caller loads last. */
.macro AXV_VMX_LOAD_GUEST base, tmp, out
    push %rbx
    push %rbp
    push %r12
    push %r13
    push %r14
    push %r15
    push \out
    push \base
    /* HOST_RSP only when the stack moved since the last entry on this VMCS:
     * a VMM loop enters from the same depth every time. */
    cmp %rsp, FRAME_HOST_RSP(\base)
    jne 5f
6:  /* The guest's CR2, written only when it differs. */
    mov %cr2, \tmp
    cmp FRAME_CR2(\base), \tmp
    jne 7f
8:
    .ifnc \base, %rax
    mov R(0)(\base), %rax
    .endif
    mov R(1)(\base), %rcx
    mov R(2)(\base), %rdx
    mov R(3)(\base), %rbx
    mov R(5)(\base), %rbp
    mov R(6)(\base), %rsi
    .ifnc \base, %rdi
    mov R(7)(\base), %rdi
    .endif
    mov R(8)(\base), %r8
    mov R(9)(\base), %r9
    mov R(10)(\base), %r10
    mov R(11)(\base), %r11
    mov R(12)(\base), %r12
    mov R(13)(\base), %r13
    mov R(14)(\base), %r14
    mov R(15)(\base), %r15
.endm

/* The cold tails of AXV_VMX_LOAD_GUEST (labels 5 and 7, back to 6 and 8). */
.macro AXV_VMX_LOAD_GUEST_COLD base, tmp
5:  mov $VMCS_HOST_RSP, \tmp
    vmwrite %rsp, \tmp
    jbe axv_vmx_entry_failed
    mov %rsp, FRAME_HOST_RSP(\base)
    jmp 6b
7:  mov FRAME_CR2(\base), \tmp
    mov \tmp, %cr2
    jmp 8b
.endm

.macro AXV_VMX_POP_HOST
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbp
    pop %rbx
.endm

    .text
    /* enum axv_err axv_vmx_run(struct axv_vcpu *v, struct axv_exit *e) */
    .global axv_vmx_run
    .type axv_vmx_run, @function
axv_vmx_run:
    mov VCPU_ARCH(%rdi), %rax       /* the backend's vCPU; its frame comes first */
    cmpl $0, FRAME_SLOW(%rax)
    jne axv_vmx_run_slow            /* same arguments */
    AXV_VMX_LOAD_GUEST %rax, %rdx, %rsi
    mov R(0)(%rax), %rax
    vmresume
    jmp axv_vmx_entry_failed
    AXV_VMX_LOAD_GUEST_COLD %rax, %rdx
    .size axv_vmx_run, . - axv_vmx_run

    /* uintptr_t axv_vmx_enter(struct axv_vmx_frame *frame, struct axv_exit *e) */
    .global axv_vmx_enter
    .type axv_vmx_enter, @function
axv_vmx_enter:
    call 1f
.Lvmx_enter_ret:
    ret
1:  AXV_VMX_LOAD_GUEST %rdi, %rax, %rsi
    cmpq $0, FRAME_LAUNCHED(%rdi)
    mov R(7)(%rdi), %rdi            /* flags are not changed by mov */
    jne 2f
    vmlaunch
    jmp axv_vmx_entry_failed
2:  vmresume
    jmp axv_vmx_entry_failed
    AXV_VMX_LOAD_GUEST_COLD %rdi, %rax
    .size axv_vmx_enter, . - axv_vmx_enter

    .type axv_vmx_entry_failed, @function
axv_vmx_entry_failed:
    /* Nothing ran; registers hold guest values; the frame and the exit record are on the stack. */
    pop %rdi
    pop %rsi
    AXV_VMX_POP_HOST
    lea .Lvmx_enter_ret(%rip), %rax
    cmp %rax, (%rsp)
    jne axv_vmx_run_failed          /* axv_vmx_run's: (frame, e) */
    lea 1(%rdi), %rax
    ret
    .size axv_vmx_entry_failed, . - axv_vmx_entry_failed

    .global axv_vmx_exit
    .type axv_vmx_exit, @function
axv_vmx_exit:
    /* r15 holds the frame: the guest's rdi stays loaded for the hypercall's first argument. */
    push %r15
    mov 8(%rsp), %r15
    mov %rax, R(0)(%r15)
    mov %rcx, R(1)(%r15)
    mov %rdx, R(2)(%r15)
    mov %rbx, R(3)(%r15)
    mov %rbp, R(5)(%r15)
    mov %rsi, R(6)(%r15)
    mov %rdi, R(7)(%r15)
    mov %r8, R(8)(%r15)
    mov %r9, R(9)(%r15)
    mov %r10, R(10)(%r15)
    mov %r11, R(11)(%r15)
    mov %r12, R(12)(%r15)
    mov %r13, R(13)(%r15)
    mov %r14, R(14)(%r15)
    popq R(15)(%r15)
    /* Scratch from here: rbx, rbp, r12 (saved; the host's come back from
     * the stack). rax, rdi, rsi, rdx, rcx, r8, r9 still hold the guest's call. */
    mov %cr2, %rbx
    mov %rbx, FRAME_CR2(%r15)
    /* The exit left GDTR/IDTR limits at 0xffff: back to the host's before
     * any C code runs. Unconditional: a host whose limits are both 0xffff
     * already (the only case a test could skip) does not exist in practice. */
    lgdt FRAME_HOST_GDT(%r15)
    lidt FRAME_HOST_IDT(%r15)
    mov 8(%rsp), %rbp               /* the exit record */
    mov $VMCS_EXIT_REASON, %ebx
    vmread %rbx, %rbx
    cmp $EXIT_VMCALL, %rbx          /* all 64 bits: an entry failure sets bit 31 */
    jne 3f
    /* An id of calls.yaml (inside their span) becomes its own exit in C. */
    lea -AXV_X86_64_CALL_ID_MIN(%rax), %r12
    cmp $(AXV_X86_64_CALL_ID_MAX - AXV_X86_64_CALL_ID_MIN), %r12
    jbe 3f
    /* The hypercall: nr in rax, arguments in rdi, rsi, rdx, rcx, r8, r9. */
    movl $EXIT_KIND_HYPERCALL, EXIT_KIND(%rbp)
    mov %rax, EXIT_HYPERCALL_NR(%rbp)
    mov %rdi, EXIT_HYPERCALL_ARGS + 0(%rbp)
    mov %rsi, EXIT_HYPERCALL_ARGS + 8(%rbp)
    mov %rdx, EXIT_HYPERCALL_ARGS + 16(%rbp)
    mov %rcx, EXIT_HYPERCALL_ARGS + 24(%rbp)
    mov %r8, EXIT_HYPERCALL_ARGS + 32(%rbp)
    mov %r9, EXIT_HYPERCALL_ARGS + 40(%rbp)
    /* raw: a VMCALL exit has no qualification (the CPU clears it), no
     * guest-physical address and no instruction information (undefined). */
    movb $RAW_SOURCE_VMX, EXIT_RAW_SOURCE(%rbp)
    mov %rbx, EXIT_RAW_CODE(%rbp)
    xor %eax, %eax                  /* also the return value: AXV_OK, or "finished" */
    mov %rax, EXIT_RAW_QUAL(%rbp)
    mov %rax, EXIT_RAW_ADDR(%rbp)
    mov %rax, EXIT_RAW_INSN(%rbp)
    /* RIP past the VMCALL: its length, as prefixes may make it more than 3 bytes. */
    mov $VMCS_VM_EXIT_INSTRUCTION_LEN, %edx
    vmread %rdx, %rcx
    mov $VMCS_GUEST_RIP, %edx
    vmread %rdx, %rsi
    add %rcx, %rsi
    vmwrite %rsi, %rdx
    /* Moving past it ends STI/MOV-SS blocking, as executing it would. */
    mov $VMCS_GUEST_INTERRUPTIBILITY_INFO, %edx
    vmread %rdx, %rcx
    test $3, %cl
    jnz 4f
1:  add $16, %rsp                   /* the frame and the exit record */
    AXV_VMX_POP_HOST
    ret
4:  and $~3, %rcx
    vmwrite %rcx, %rdx
    jmp 1b
3:  lea .Lvmx_enter_ret(%rip), %rdx /* any other exit: whose? */
    cmp %rdx, 64(%rsp)              /* the return address under the frame, the record and 6 registers */
    je 2f
    mov %rbx, %rdx                  /* axv_vmx_run's: (frame, e, reason) to C */
    pop %rdi
    pop %rsi
    AXV_VMX_POP_HOST
    jmp axv_vmx_run_exit
2:  pop %rax                        /* axv_vmx_enter's: the frame to its caller */
    add $8, %rsp
    AXV_VMX_POP_HOST
    ret
    .size axv_vmx_exit, . - axv_vmx_exit

    .section .note.GNU-stack, "", @progbits
