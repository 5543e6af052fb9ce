/*
 * The VMX world switch, and two short paths that finish a plain hypercall
 * in assembly.
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
 * HOST_RIP is axv_vmx_exit for them: it saves the guest's registers into
 * the frame, saves CR2 and puts the host's GDTR/IDTR limits back. A VMCALL
 * whose rax is no id of calls.yaml is a plain hypercall, finished there
 * whichever entry ran, while the guest's argument registers are still
 * loaded: the exit record filled as axv_exit_make_hypercall and vmx_raw
 * would (asm_defs.c checks the layout), RIP past the VMCALL, STI/MOV-SS
 * blocking ended, and 0 returned: AXV_OK to the VMM from axv_vmx_run,
 * "finished" to axv_vmx_run_slow (which does the bookkeeping a slow entry
 * needs). Any other exit goes to axv_vmx_run_exit (C) with the host's
 * registers back from axv_vmx_run, and returns the frame's address to
 * axv_vmx_enter's caller. A failed VMLAUNCH/VMRESUME goes to
 * axv_vmx_run_failed (C), or returns the frame's address + 1.
 *
 * axv_vmx_run_handled is ops->run_handled, for a vCPU with an exit handler:
 * entered like axv_vmx_run (slow word 0, else axv_vmx_run_slow), but its
 * exits land at axv_vmx_exit_handled, which finishes a plain hypercall the
 * same way and then calls the handler itself, on the host stack. An ANSWER
 * goes into the guest's rax and the guest is entered again at once, so a
 * VMM's hypercall round trip never leaves this file (KVM's fast-path exits
 * stay in its run loop the same way). The guest's callee-saved registers
 * stay loaded across the handler (the C ABI keeps them); they are stored
 * in the frame all the same, so that the handler sees every register there
 * (axv_x86_64_get_gpr), as on the runtime's path. Any other verdict, or an
 * ANSWER once the slow word is set (an injection: the handler's own or
 * another CPU's) or the vCPU is traced, goes back to the runtime with
 * *verdict set and not carried out; every other exit goes to
 * axv_vmx_run_exit as axv_vmx_run's do (the runtime then asks).
 *
 * Which exit code HOST_RIP names follows frame.host_rsp: the stack pointer
 * of the last entry for axv_vmx_exit, that | 1 for axv_vmx_exit_handled (0:
 * not known). Each entry compares it with what it wants and writes HOST_RSP
 * and HOST_RIP only when they differ, so neither loop pays for the other.
 *
 * CR2 is not part of the VMCS: the guest's is loaded before entry (only when
 * it differs: a CR2 write is slow) and saved after exit (the host's own is
 * dead between page faults). Nothing here depends on which vCPU ran last or
 * on host interrupts in between: HOST_RSP and CR2 are compared with the
 * frame at every entry (CR2 again after the handler, which may fault), and
 * the GDTR/IDTR limits go back at every exit, before any C code (or
 * interrupt, once the VMM lets one in) can see them.
 */
#include "asm_defs.h"
#include "axv/gen/x86_64_calls.h"

#define R(n) (FRAME_R + 8 * (n))

/* axv_vmx_run_handled's stack, from HOST_RSP up: the frame, the exit
 * record, the vCPU, the verdict, a pad that keeps HOST_RSP 16-byte aligned
 * for the handler's call, the host's six registers, the return address. */
#define H_EXIT 8
#define H_VCPU 16
#define H_VERDICT 24
#define H_SLOTS 40

.macro AXV_VMX_PUSH_HOST
    push %rbx
    push %rbp
    push %r12
    push %r13
    push %r14
    push %r15
.endm

.macro AXV_VMX_POP_HOST
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbp
    pop %rbx
.endm

/* One guest register from or to the frame at \base (never \base itself). */
.macro AXV_VMX_LOAD1 base, n, reg
    .ifnc \base, \reg
    mov R(\n)(\base), \reg
    .endif
.endm
.macro AXV_VMX_SAVE1 base, n, reg
    .ifnc \base, \reg
    mov \reg, R(\n)(\base)
    .endif
.endm

/* \op \base, n, reg for the guest registers (x86 numbering) a C call may
 * clobber but rax, and for those it keeps. */
.macro AXV_VMX_SCRATCH_REGS op, base
    \op \base, 1, %rcx
    \op \base, 2, %rdx
    \op \base, 6, %rsi
    \op \base, 7, %rdi
    \op \base, 8, %r8
    \op \base, 9, %r9
    \op \base, 10, %r10
    \op \base, 11, %r11
.endm
.macro AXV_VMX_KEPT_REGS op, base
    \op \base, 3, %rbx
    \op \base, 5, %rbp
    \op \base, 12, %r12
    \op \base, 13, %r13
    \op \base, 14, %r14
    \op \base, 15, %r15
.endm

/* After an exit: the guest's registers into the frame at \base, all but
 * \base itself (which the caller took off the stack). */
.macro AXV_VMX_SAVE_GUEST base
    AXV_VMX_SAVE1 \base, 0, %rax
    AXV_VMX_SCRATCH_REGS AXV_VMX_SAVE1, \base
    AXV_VMX_KEPT_REGS AXV_VMX_SAVE1, \base
.endm

/*
 * The host's registers are saved and the frame \base is at the top of the
 * stack: makes HOST_RSP this stack and HOST_RIP \exit (frame.host_rsp =
 * \want, see above) unless they are already, loads the guest's CR2 and its
 * registers but rax and \base, which the caller loads last. \tmp
 * clobbered; the cold tails are AXV_VMX_LOAD_GUEST_COLD's.
 */
.macro AXV_VMX_LOAD_GUEST base, tmp, want
    /* A VMM loop enters from the same depth every time. */
    cmp \want, FRAME_HOST_RSP(\base)
    jne 5f
6:  /* The guest's CR2, written only when it differs. */
    mov %cr2, \tmp
    cmp FRAME_CR2(\base), \tmp
    jne 7f
8:
    AXV_VMX_SCRATCH_REGS AXV_VMX_LOAD1, \base
    AXV_VMX_KEPT_REGS AXV_VMX_LOAD1, \base
.endm

/* The cold tails of AXV_VMX_LOAD_GUEST (labels 5 and 7, back to 6 and 8);
 * a failed VMWRITE goes to \fail with nothing of the guest's loaded. */
.macro AXV_VMX_LOAD_GUEST_COLD base, tmp, tmp2, want, exit, fail
5:  mov $VMCS_HOST_RSP, \tmp
    vmwrite %rsp, \tmp
    jbe \fail
    mov $VMCS_HOST_RIP, \tmp
    lea \exit(%rip), \tmp2
    vmwrite \tmp2, \tmp
    jbe \fail
    mov \want, FRAME_HOST_RSP(\base)
    jmp 6b
7:  mov FRAME_CR2(\base), \tmp
    mov \tmp, %cr2
    jmp 8b
.endm

/* After an exit, the frame at \base: the guest's CR2 saved (\tmp
 * clobbered), and the host's GDTR/IDTR limits back. */
.macro AXV_VMX_HOST_BACK base, tmp
    mov %cr2, \tmp
    mov \tmp, FRAME_CR2(\base)
    /* The exit left GDTR/IDTR limits at 0xffff: back to the host's before
     * any C code runs. Unconditional: a host whose limits are both 0xffff
     * already (the only case a test could skip) does not exist in practice. */
    lgdt FRAME_HOST_GDT(\base)
    lidt FRAME_HOST_IDT(\base)
.endm

/* \reason = the exit reason; to \other unless it is VMCALL (all 64 bits:
 * an entry failure sets bit 31), to \call when rax is an id of calls.yaml
 * (inside their span: its own exit, made in C). \reason is lost then. */
.macro AXV_VMX_PLAIN_HYPERCALL reason, other, call
    mov $VMCS_EXIT_REASON, \reason
    vmread \reason, \reason
    cmp $EXIT_VMCALL, \reason
    jne \other
    lea -AXV_X86_64_CALL_ID_MIN(%rax), \reason
    cmp $(AXV_X86_64_CALL_ID_MAX - AXV_X86_64_CALL_ID_MIN), \reason
    jbe \call
.endm

/* The exit record \rec of a plain hypercall: nr in rax, arguments in rdi,
 * rsi, rdx, rcx, r8, r9. raw: a VMCALL exit has no qualification (the CPU
 * clears it), no guest-physical address and no instruction information
 * (undefined). */
.macro AXV_VMX_HYPERCALL_RECORD rec
    movl $EXIT_KIND_HYPERCALL, EXIT_KIND(\rec)
    mov %rax, EXIT_HYPERCALL_NR(\rec)
    mov %rdi, EXIT_HYPERCALL_ARGS + 0(\rec)
    mov %rsi, EXIT_HYPERCALL_ARGS + 8(\rec)
    mov %rdx, EXIT_HYPERCALL_ARGS + 16(\rec)
    mov %rcx, EXIT_HYPERCALL_ARGS + 24(\rec)
    mov %r8, EXIT_HYPERCALL_ARGS + 32(\rec)
    mov %r9, EXIT_HYPERCALL_ARGS + 40(\rec)
    movb $RAW_SOURCE_VMX, EXIT_RAW_SOURCE(\rec)
    movq $EXIT_VMCALL, EXIT_RAW_CODE(\rec)
    movq $0, EXIT_RAW_QUAL(\rec)
    movq $0, EXIT_RAW_ADDR(\rec)
    movq $0, EXIT_RAW_INSN(\rec)
.endm

/* RIP past the VMCALL: its length, as prefixes may make it more than 3
 * bytes. Moving past it ends STI/MOV-SS blocking, as executing it would:
 * to \blocked (AXV_VMX_UNBLOCK) when there is some. \f, \a, \b clobbered. */
.macro AXV_VMX_SKIP_VMCALL f, a, b, blocked
    mov $VMCS_VM_EXIT_INSTRUCTION_LEN, \f
    vmread \f, \a
    mov $VMCS_GUEST_RIP, \f
    vmread \f, \b
    add \a, \b
    vmwrite \b, \f
    mov $VMCS_GUEST_INTERRUPTIBILITY_INFO, \f
    vmread \f, \a
    test $3, \a
    jnz \blocked
.endm

/* AXV_VMX_SKIP_VMCALL's \blocked: the blocking cleared, then back to \back. */
.macro AXV_VMX_UNBLOCK f, a, back
    and $~3, \a
    vmwrite \a, \f
    jmp \back
.endm

    .text
    /* enum axv_err axv_vmx_run(struct axv_vcpu *v, struct axv_exit *e) */
    .global axv_vmx_run
    .type axv_vmx_run, @function
axv_vmx_run:
    mov VCPU_ARCH(%rdi), %rax       /* the backend's vCPU; its frame comes first */
    cmpl $0, FRAME_SLOW(%rax)
    jne axv_vmx_run_slow            /* same arguments */
    AXV_VMX_PUSH_HOST
    push %rsi
    push %rax
    AXV_VMX_LOAD_GUEST %rax, %rdx, %rsp
    mov R(0)(%rax), %rax
    vmresume
    jmp axv_vmx_entry_failed
    AXV_VMX_LOAD_GUEST_COLD %rax, %rdx, %rdi, %rsp, axv_vmx_exit, axv_vmx_entry_failed
    .size axv_vmx_run, . - axv_vmx_run

    /* uintptr_t axv_vmx_enter(struct axv_vmx_frame *frame, struct axv_exit *e) */
    .global axv_vmx_enter
    .type axv_vmx_enter, @function
axv_vmx_enter:
    call 1f
.Lvmx_enter_ret:
    ret
1:  AXV_VMX_PUSH_HOST
    push %rsi
    push %rdi
    AXV_VMX_LOAD_GUEST %rdi, %rax, %rsp
    mov R(0)(%rdi), %rax
    cmpq $0, FRAME_LAUNCHED(%rdi)
    mov R(7)(%rdi), %rdi            /* flags are not changed by mov */
    jne 2f
    vmlaunch
    jmp axv_vmx_entry_failed
2:  vmresume
    jmp axv_vmx_entry_failed
    AXV_VMX_LOAD_GUEST_COLD %rdi, %rax, %rdx, %rsp, axv_vmx_exit, axv_vmx_entry_failed
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
    AXV_VMX_SAVE_GUEST %r15
    popq R(15)(%r15)
    /* Scratch from here: rbx, rbp (saved; the host's come back from the
     * stack). rax, rdi, rsi, rdx, rcx, r8, r9 still hold the guest's call. */
    AXV_VMX_HOST_BACK %r15, %rbx
    mov 8(%rsp), %rbp               /* the exit record */
    AXV_VMX_PLAIN_HYPERCALL %rbx, 3f, .Lvmx_exit_call
    AXV_VMX_HYPERCALL_RECORD %rbp
    AXV_VMX_SKIP_VMCALL %rdx, %rcx, %rsi, 4f
1:  xor %eax, %eax                  /* AXV_OK, or "finished" */
    add $16, %rsp                   /* the frame and the exit record */
    AXV_VMX_POP_HOST
    ret
4:  AXV_VMX_UNBLOCK %rdx, %rcx, 1b
.Lvmx_exit_call:
    mov $EXIT_VMCALL, %ebx
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

    /* enum axv_err axv_vmx_run_handled(struct axv_vcpu *v, struct axv_exit *e, struct axv_exit_verdict *verdict) */
    .global axv_vmx_run_handled
    .type axv_vmx_run_handled, @function
axv_vmx_run_handled:
    mov VCPU_ARCH(%rdi), %rax
    cmpl $0, FRAME_SLOW(%rax)
    jne axv_vmx_run_slow            /* (v, e): *verdict untouched, the runtime asks */
    AXV_VMX_PUSH_HOST
    sub $8, %rsp
    push %rdx
    push %rdi
    push %rsi
    push %rax
    lea 1(%rsp), %rdx               /* HOST_RIP axv_vmx_exit_handled */
    AXV_VMX_LOAD_GUEST %rax, %rcx, %rdx
    mov R(0)(%rax), %rax
    vmresume
    jmp .Lh_failed
    AXV_VMX_LOAD_GUEST_COLD %rax, %rcx, %rdi, %rdx, axv_vmx_exit_handled, .Lh_unwind_failed
    .size axv_vmx_run_handled, . - axv_vmx_run_handled

    .type axv_vmx_exit_handled, @function
axv_vmx_exit_handled:
    /* r10 holds the frame: every argument register stays loaded for the record. */
    push %r10
    mov 8(%rsp), %r10
    popq R(10)(%r10)
    AXV_VMX_SAVE_GUEST %r10
    /* Scratch from here: r11, and the argument registers once the record
     * has them. rbx, rbp, r12-r15 keep the guest's to the next entry. */
    AXV_VMX_HOST_BACK %r10, %r11
    AXV_VMX_PLAIN_HYPERCALL %r11, .Lh_other, .Lh_call
    mov H_EXIT(%rsp), %r11
    AXV_VMX_HYPERCALL_RECORD %r11
    AXV_VMX_SKIP_VMCALL %rax, %rcx, %rdx, .Lh_blocked
.Lh_ask:
    /* handler(ctx, v, e), on the host stack at HOST_RSP (16-byte aligned),
     * IF = 0 and DF = 0 as every VM exit leaves RFLAGS. */
    mov H_VCPU(%rsp), %rsi
    mov VCPU_ON_EXIT_CTX(%rsi), %rdi
    mov %r11, %rdx
    call *VCPU_ON_EXIT(%rsi)
    /* The verdict: action in rax, value in rdx. */
    cmp $EXIT_ACTION_ANSWER, %rax
    jne .Lh_return
    /* The answer goes in here only while nothing asks for the slow path:
     * tracing attached by the handler, an interrupt it or another CPU
     * injected (the runtime then stores the answer and the entry injects). */
    mov H_VCPU(%rsp), %rcx
    cmpl $0, VCPU_RUN_CHECKS(%rcx)
    jne .Lh_return
    mov (%rsp), %r10
    cmpl $0, FRAME_SLOW(%r10)
    jne .Lh_return
    mov %cr2, %rcx                  /* the handler may have faulted */
    cmp FRAME_CR2(%r10), %rcx
    jne .Lh_cr2
.Lh_enter:
    mov %rdx, %rax                  /* the answer: the guest's rax */
    AXV_VMX_SCRATCH_REGS AXV_VMX_LOAD1, %r10
    mov R(10)(%r10), %r10
    vmresume
.Lh_failed:
    /* Nothing ran; registers hold the guest's, rax perhaps an answer the
     * frame does not have yet. */
    mov (%rsp), %r10
    mov %rax, R(0)(%r10)
.Lh_unwind_failed:
    pop %rdi
    pop %rsi
    add $H_SLOTS - 16, %rsp
    AXV_VMX_POP_HOST
    jmp axv_vmx_run_failed          /* (frame, e) */
.Lh_cr2:
    mov FRAME_CR2(%r10), %rcx
    mov %rcx, %cr2
    jmp .Lh_enter
.Lh_blocked:
    AXV_VMX_UNBLOCK %rax, %rcx, .Lh_ask
.Lh_return:
    /* To the runtime, which carries the verdict out: the frame has every
     * register, the record the exit. A handler's UNASKED is delivered
     * (vcpu.h); passed on, it would make the runtime ask again. */
    cmp $EXIT_ACTION_UNASKED, %rax
    jne 1f
    mov $EXIT_ACTION_DELIVER, %eax
1:  mov H_VERDICT(%rsp), %rcx
    mov %rax, VERDICT_ACTION(%rcx)
    mov %rdx, VERDICT_VALUE(%rcx)
    xor %eax, %eax                  /* AXV_OK */
    add $H_SLOTS, %rsp
    AXV_VMX_POP_HOST
    ret
.Lh_call:
    mov $EXIT_VMCALL, %r11d
.Lh_other:
    /* Any other exit, as axv_vmx_run's: (frame, e, reason) to C, which
     * returns it with *verdict untouched. */
    mov %r11, %rdx
    pop %rdi
    pop %rsi
    add $H_SLOTS - 16, %rsp
    AXV_VMX_POP_HOST
    jmp axv_vmx_run_exit
    .size axv_vmx_exit_handled, . - axv_vmx_exit_handled

    .section .note.GNU-stack, "", @progbits
