/*
 * CALLS plain hypercalls, nr = NR_BASE + i (i = 1..CALLS), each with its own
 * value in every register: REG(n, i) = K(n) + i for the x86 register number
 * n (the host test computes the same, tests/baremetal/x86_64/
 * test_run_handled.c). The answer expected in rax is
 *   nr + 2 rdi + 3 rsi + 5 rdx + 7 rcx + 11 r8 + 13 r9   (mod 2^64)
 * except, when the host starts the guest with r8 = 1, for the calls with
 * i & 7 == 2, which the host resumes without an answer: rax stays nr.
 * After each call every other register (and rsp) must hold what it had,
 * CR2 too (K(16) + i: the host's handler writes its own there).
 * A failure reports rsi = i, rdx = the value found, rcx = the one expected.
 */
#include "guest.h"

#define CALLS 64
#define NR_BASE 0x40000
#define K(n) (((n) << 56) | ((n) << 24) | 0x5a5a00)
#define RESUMED 2

/* exp_name = K(n) + i (rax = i), and rcx += mul times that. r11 clobbered. */
.macro EXPECT name, n, mul
	MOV64	%r11, K(\n)
	add	%rax, %r11
	mov	%r11, exp_\name(%rip)
	.if \mul
	imul	$(\mul), %r11, %r11
	add	%r11, %rcx
	.endif
.endm

/* GUEST_FAIL n unless reg still holds exp_name. */
.macro SAME reg, name, n
	cmp	exp_\name(%rip), \reg
	je	.Lsame\@
	mov	\reg, %rdx
	mov	count(%rip), %rsi
	mov	exp_\name(%rip), %rcx
	GUEST_FAIL \n
.Lsame\@:
.endm

	GUEST_ENTRY
	mov	%r8, mode(%rip)
	movq	$1, count(%rip)
next:
	mov	count(%rip), %rax
	lea	NR_BASE(%rax), %rcx
	mov	%rcx, exp_rax(%rip)		/* nr; rcx: the answer, summed */
	EXPECT	rdi, 7, 2
	EXPECT	rsi, 6, 3
	EXPECT	rdx, 2, 5
	EXPECT	rcx, 1, 7
	EXPECT	r8, 8, 11
	EXPECT	r9, 9, 13
	mov	%rcx, exp_want(%rip)
	cmpq	$0, mode(%rip)
	je	1f
	mov	%eax, %r11d
	and	$7, %r11d
	cmp	$RESUMED, %r11d
	jne	1f
	mov	exp_rax(%rip), %r11		/* resumed: rax stays nr */
	mov	%r11, exp_want(%rip)
1:	EXPECT	rbx, 3, 0
	EXPECT	rbp, 5, 0
	EXPECT	r10, 10, 0
	EXPECT	r12, 12, 0
	EXPECT	r13, 13, 0
	EXPECT	r14, 14, 0
	EXPECT	r15, 15, 0
	EXPECT	cr2, 16, 0
	mov	exp_cr2(%rip), %r11
	mov	%r11, %cr2
	EXPECT	r11, 11, 0
	mov	exp_rax(%rip), %rax
	mov	exp_rcx(%rip), %rcx
	mov	exp_rdx(%rip), %rdx
	mov	exp_rbx(%rip), %rbx
	mov	exp_rbp(%rip), %rbp
	mov	exp_rsi(%rip), %rsi
	mov	exp_rdi(%rip), %rdi
	mov	exp_r8(%rip), %r8
	mov	exp_r9(%rip), %r9
	mov	exp_r10(%rip), %r10
	mov	exp_r11(%rip), %r11
	mov	exp_r12(%rip), %r12
	mov	exp_r13(%rip), %r13
	mov	exp_r14(%rip), %r14
	mov	exp_r15(%rip), %r15
	vmcall
	SAME	%rax, want, 1
	SAME	%rcx, rcx, 2
	SAME	%rdx, rdx, 3
	SAME	%rbx, rbx, 4
	SAME	%rbp, rbp, 5
	SAME	%rsi, rsi, 6
	SAME	%rdi, rdi, 7
	SAME	%r8, r8, 8
	SAME	%r9, r9, 9
	SAME	%r10, r10, 10
	SAME	%r11, r11, 11
	SAME	%r12, r12, 12
	SAME	%r13, r13, 13
	SAME	%r14, r14, 14
	SAME	%r15, r15, 15
	SAME	%rsp, rsp, 16
	mov	%cr2, %rax
	SAME	%rax, cr2, 17
	incq	count(%rip)
	cmpq	$CALLS, count(%rip)
	jbe	next
	GUEST_PASS

	.data
	.balign	8
exp_rsp:
	.quad	GUEST_STACK_TOP			/* GUEST_ENTRY's; nothing here pushes */
	.bss
	.balign	8
mode:	.skip	8
count:	.skip	8
exp_want: .skip	8
exp_rax: .skip	8
exp_rcx: .skip	8
exp_rdx: .skip	8
exp_rbx: .skip	8
exp_rbp: .skip	8
exp_rsi: .skip	8
exp_rdi: .skip	8
exp_r8:	.skip	8
exp_r9:	.skip	8
exp_r10: .skip	8
exp_r11: .skip	8
exp_r12: .skip	8
exp_r13: .skip	8
exp_r14: .skip	8
exp_r15: .skip	8
exp_cr2: .skip	8
