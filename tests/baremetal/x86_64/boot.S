/*
 * Entry from GRUB 2 (multiboot2), long-mode setup, the harness's IDT and
 * exception entry, setjmp/longjmp and the fault-tolerant probes.
 *
 * GRUB starts _start in 32-bit protected mode, paging off, with
 * eax = 0x36d76289 and ebx = the multiboot2 information. _start zeroes .bss
 * (page tables, IDT, TSS included), checks for long mode (else prints and
 * ends Bochs with "Shutdown"), builds the identity map (bm_arch.h), sets
 * CR4, CR3, EFER.LME, CR0 (with NE, which VMX needs) and enters 64-bit mode
 * through the harness's GDT; then TSS (RSP0, IST1) and `ltr` (VMX needs a
 * non-zero host TR), the IDT, fninit, bm_platform_init() and main().
 */
#define MB2_HEADER_MAGIC 0xe85250d6
#define COM1 0x3f8
#define BOCHS_PORT 0x8900

#define PTE_P 0x1
#define PTE_W 0x2
#define PTE_PWT 0x8
#define PTE_PCD 0x10
#define PTE_PS 0x80

#define CR0_BOOT 0x80010033	/* PE MP ET NE WP PG (bm_arch.h BM_X86_CR0_BOOT) */
#define CR4_BOOT 0x620		/* PAE OSFXSR OSXMMEXCPT */
#define MSR_EFER 0xc0000080
#define EFER_LME 0x100

#define SEL_CODE64 0x08
#define SEL_DATA 0x10
#define SEL_TSS 0x18

#define TSS_RSP0 4
#define TSS_IST1 36
#define TSS_IOMAP 102
#define TSS_SIZE 104

#define IDT_VECTORS 256
#define ISR_STUB_SIZE 16

	.section .note.GNU-stack, "", @progbits

/* ------------------------------------------------------------------ multiboot2 header */
	.section .multiboot2, "a"
	.balign	8
mb2_header:
	.long	MB2_HEADER_MAGIC
	.long	0			/* architecture: i386 (32-bit protected mode entry) */
	.long	mb2_header_end - mb2_header
	.long	0x100000000 - MB2_HEADER_MAGIC - (mb2_header_end - mb2_header)
	.word	0, 0			/* end tag */
	.long	8
mb2_header_end:

/* ------------------------------------------------------------------ 32-bit entry */
	.section .text.boot, "ax"
	.code32
	.globl	_start
_start:
	cli
	cld
	mov	%eax, %ebp		/* multiboot2 magic */
	mov	%ebx, %esi		/* multiboot2 information */

	/* Zero .bss (16-byte aligned bounds, link.ld). */
	mov	$__bss_start, %edi
	mov	$__bss_end, %ecx
	sub	%edi, %ecx
	shr	$2, %ecx
	xor	%eax, %eax
	rep stosl
	mov	%ebp, bm_x86_mb2_magic
	mov	%esi, bm_x86_mb2_info
	mov	$__bm_stack_top, %esp

	/* Long mode (CPUID 0x80000001 EDX bit 29)? */
	mov	$0x80000000, %eax
	cpuid
	cmp	$0x80000001, %eax
	jb	.Lno_long_mode
	mov	$0x80000001, %eax
	cpuid
	bt	$29, %edx
	jnc	.Lno_long_mode

	/* PML4[0] -> PDPT, PDPT[0..3] -> the four PDs. */
	mov	$(bm_x86_pdpt + PTE_P + PTE_W), %eax
	mov	%eax, bm_x86_pml4
	mov	$(bm_x86_pd + PTE_P + PTE_W), %eax
	xor	%ecx, %ecx
1:	mov	%eax, bm_x86_pdpt(, %ecx, 8)
	add	$0x1000, %eax
	inc	%ecx
	cmp	$4, %ecx
	jb	1b

	/* 2048 PD entries: 2 MiB pages over 0..4 GiB, the last GiB uncached. */
	xor	%ecx, %ecx
1:	mov	%ecx, %eax
	shl	$21, %eax
	or	$(PTE_P + PTE_W + PTE_PS), %eax
	cmp	$1536, %ecx
	jb	2f
	or	$(PTE_PCD + PTE_PWT), %eax
2:	mov	%eax, bm_x86_pd(, %ecx, 8)
	inc	%ecx
	cmp	$2048, %ecx
	jb	1b

	/* The first 2 MiB in 4 KiB pages, page 0 not present (NULL faults). */
	mov	$(bm_x86_pt0 + PTE_P + PTE_W), %eax
	mov	%eax, bm_x86_pd
	mov	$1, %ecx
1:	mov	%ecx, %eax
	shl	$12, %eax
	or	$(PTE_P + PTE_W), %eax
	mov	%eax, bm_x86_pt0(, %ecx, 8)
	inc	%ecx
	cmp	$512, %ecx
	jb	1b

	/* The TSS descriptor's base (below 4 GiB: bits 63:32 stay 0). */
	mov	$bm_x86_tss, %eax
	mov	%ax, bm_x86_gdt + SEL_TSS + 2
	shr	$16, %eax
	mov	%al, bm_x86_gdt + SEL_TSS + 4
	mov	%ah, bm_x86_gdt + SEL_TSS + 7

	/* Long mode: PAE, CR3, EFER.LME, then paging (CR0 with NE for VMX). */
	mov	$CR4_BOOT, %eax
	mov	%eax, %cr4
	mov	$bm_x86_pml4, %eax
	mov	%eax, %cr3
	mov	$MSR_EFER, %ecx
	rdmsr
	or	$EFER_LME, %eax
	wrmsr
	mov	$CR0_BOOT, %eax
	mov	%eax, %cr0
	lgdt	bm_x86_gdtr
	ljmp	$SEL_CODE64, $.Llong_mode

/* No long mode: say so on COM1 and end Bochs with "Shutdown" (status 1). */
.Lno_long_mode:
	mov	$.Lmsg_no_long_mode, %esi
	mov	$COM1, %bx
	call	.Lputs32
	mov	$.Lmsg_shutdown, %esi
	mov	$BOCHS_PORT, %bx
	call	.Lputs32
1:	cli
	hlt
	jmp	1b

/* esi = string, bx = port; polls the UART's LSR (harmless on 0x8900). */
.Lputs32:
	lodsb
	test	%al, %al
	jz	2f
	mov	%al, %ah
	mov	$(COM1 + 5), %dx
1:	in	%dx, %al
	test	$0x40, %al		/* transmitter empty */
	jz	1b
	mov	%bx, %dx
	mov	%ah, %al
	out	%al, %dx
	jmp	.Lputs32
2:	mov	$(COM1 + 5), %dx
3:	in	%dx, %al
	test	$0x40, %al
	jz	3b
	ret

.Lmsg_no_long_mode:
	.asciz	"bm: the CPU has no long mode; the x86_64 harness needs a 64-bit Bochs CPU model (corei7_skylake_x)\n"
.Lmsg_shutdown:
	.asciz	"Shutdown"

/* ------------------------------------------------------------------ 64-bit */
	.code64
.Llong_mode:
	mov	$SEL_DATA, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%eax, %ss
	xor	%eax, %eax
	mov	%eax, %fs
	mov	%eax, %gs
	mov	$__bm_stack_top, %rsp
	lgdt	bm_x86_gdtr		/* again, for the 64-bit base */

	/* TSS: RSP0, IST1 (every exception runs on the trap stack), no I/O bitmap. */
	mov	$__bm_stack_top, %rax
	mov	%rax, bm_x86_tss + TSS_RSP0
	mov	$bm_x86_trap_stack_top, %rax
	mov	%rax, bm_x86_tss + TSS_IST1
	movw	$TSS_SIZE, bm_x86_tss + TSS_IOMAP
	mov	$SEL_TSS, %eax
	ltr	%ax

	/* IDT: gate n -> stub n, CS 0x08, IST 1, present 64-bit interrupt gate. */
	mov	$bm_x86_idt, %rdi
	mov	$bm_x86_isr_stubs, %rsi
	xor	%ecx, %ecx
1:	mov	%rsi, %rax
	mov	%ax, (%rdi)
	movw	$SEL_CODE64, 2(%rdi)
	movb	$1, 4(%rdi)
	movb	$0x8e, 5(%rdi)
	shr	$16, %rax
	mov	%ax, 6(%rdi)
	shr	$16, %rax
	mov	%eax, 8(%rdi)
	movl	$0, 12(%rdi)
	add	$16, %rdi
	add	$ISR_STUB_SIZE, %rsi
	inc	%ecx
	cmp	$IDT_VECTORS, %ecx
	jb	1b
	lidt	bm_x86_idtr

	fninit
	call	bm_platform_init
	call	main
	mov	%eax, %edi
	call	bm_exit			/* main's return value is the status */
1:	cli
	hlt
	jmp	1b

/* ------------------------------------------------------------------ exceptions
 * One 16-byte stub per vector: pushes a 0 error code where the CPU pushes
 * none, then the vector, then joins bm_x86_isr_common, which saves the
 * GPRs and CR2 (struct bm_x86_frame, platform.c) and calls
 * bm_x86_exception(frame). That returns only to resume (a probe's fault:
 * RIP and RAX changed); then the registers are restored and iretq.
 * Every gate uses IST 1 (the trap stack), so a corrupt RSP is reported
 * instead of becoming a triple fault.
 */
	.section .text.isr, "ax"
	.balign	ISR_STUB_SIZE
	.globl	bm_x86_isr_stubs
bm_x86_isr_stubs:
	.set	vec, 0
	.rept	IDT_VECTORS
	.balign	ISR_STUB_SIZE
	.if !(vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21 || vec == 29 || vec == 30)
	pushq	$0
	.endif
	pushq	$vec
	.byte	0xe9			/* jmp rel32: a fixed size, at most 2 + 5 + 5 bytes per stub */
	.long	bm_x86_isr_common - . - 4
	.set	vec, vec + 1
	.endr

/* struct bm_x86_frame: cr2, r15..r8, rbp, rdi, rsi, rdx, rcx, rbx, rax, vector, error, then the CPU's frame. */
	.balign	16
bm_x86_isr_common:
	push	%rax
	push	%rbx
	push	%rcx
	push	%rdx
	push	%rsi
	push	%rdi
	push	%rbp
	push	%r8
	push	%r9
	push	%r10
	push	%r11
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	mov	%cr2, %rax
	push	%rax
	mov	%rsp, %rdi
	mov	%rsp, %rbx
	and	$-16, %rsp
	cld
	call	bm_x86_exception	/* returns only to resume */
	mov	%rbx, %rsp
	add	$8, %rsp		/* cr2 */
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%r11
	pop	%r10
	pop	%r9
	pop	%r8
	pop	%rbp
	pop	%rdi
	pop	%rsi
	pop	%rdx
	pop	%rcx
	pop	%rbx
	pop	%rax
	add	$16, %rsp		/* vector, error code */
	iretq

/* ------------------------------------------------------------------ probes
 * Each probe's faulting instruction and its resume point go into
 * bm_x86_extable: on an exception there, bm_x86_exception resumes at the
 * second address with rax = BM_X86_FAULTED | vector.
 */
	.text
/* unsigned bm_x86_rdmsr_safe(uint32_t msr, uint64_t *out) */
	.globl	bm_x86_rdmsr_safe
	.type	bm_x86_rdmsr_safe, @function
bm_x86_rdmsr_safe:
	mov	%edi, %ecx
1:	rdmsr
	shl	$32, %rdx
	mov	%eax, %eax
	or	%rdx, %rax
	mov	%rax, (%rsi)
	xor	%eax, %eax
2:	ret
	.size	bm_x86_rdmsr_safe, . - bm_x86_rdmsr_safe
	.pushsection bm_x86_extable, "a"
	.quad	1b, 2b
	.popsection

/* unsigned bm_x86_wrmsr_safe(uint32_t msr, uint64_t v) */
	.globl	bm_x86_wrmsr_safe
	.type	bm_x86_wrmsr_safe, @function
bm_x86_wrmsr_safe:
	mov	%edi, %ecx
	mov	%rsi, %rax
	mov	%rsi, %rdx
	shr	$32, %rdx
1:	wrmsr
	xor	%eax, %eax
2:	ret
	.size	bm_x86_wrmsr_safe, . - bm_x86_wrmsr_safe
	.pushsection bm_x86_extable, "a"
	.quad	1b, 2b
	.popsection

/* unsigned bm_x86_read64_safe(uint64_t addr, uint64_t *out) */
	.globl	bm_x86_read64_safe
	.type	bm_x86_read64_safe, @function
bm_x86_read64_safe:
1:	mov	(%rdi), %rax
	mov	%rax, (%rsi)
	xor	%eax, %eax
2:	ret
	.size	bm_x86_read64_safe, . - bm_x86_read64_safe
	.pushsection bm_x86_extable, "a"
	.quad	1b, 2b
	.popsection

/* ------------------------------------------------------------------ setjmp */
/* int bm_setjmp(bm_jmp_buf env): return address, rsp, rbx, rbp, r12..r15 (no FP state). */
	.globl	bm_setjmp
	.type	bm_setjmp, @function
bm_setjmp:
	mov	(%rsp), %rax
	mov	%rax, 0(%rdi)
	lea	8(%rsp), %rax
	mov	%rax, 8(%rdi)
	mov	%rbx, 16(%rdi)
	mov	%rbp, 24(%rdi)
	mov	%r12, 32(%rdi)
	mov	%r13, 40(%rdi)
	mov	%r14, 48(%rdi)
	mov	%r15, 56(%rdi)
	xor	%eax, %eax
	ret
	.size	bm_setjmp, . - bm_setjmp

/* void bm_longjmp(bm_jmp_buf env, int val): bm_setjmp returns val (1 if 0). */
	.globl	bm_longjmp
	.type	bm_longjmp, @function
bm_longjmp:
	mov	%esi, %eax
	test	%eax, %eax
	jnz	1f
	mov	$1, %eax
1:	mov	16(%rdi), %rbx
	mov	24(%rdi), %rbp
	mov	32(%rdi), %r12
	mov	40(%rdi), %r13
	mov	48(%rdi), %r14
	mov	56(%rdi), %r15
	mov	8(%rdi), %rsp
	jmp	*0(%rdi)
	.size	bm_longjmp, . - bm_longjmp

/* void bm_x86_load_segments(void): reloads GDTR, CS, DS, ES, SS (harness values), FS = GS = 0. */
	.globl	bm_x86_load_segments
	.type	bm_x86_load_segments, @function
bm_x86_load_segments:
	lgdt	bm_x86_gdtr
	mov	$SEL_DATA, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%eax, %ss
	xor	%eax, %eax
	mov	%eax, %fs
	mov	%eax, %gs
	pop	%rax			/* return address */
	pushq	$SEL_CODE64
	push	%rax
	lretq
	.size	bm_x86_load_segments, . - bm_x86_load_segments

/* ------------------------------------------------------------------ data */
	.data
	.balign	16
	.globl	bm_x86_gdt
bm_x86_gdt:
	.quad	0
	.quad	0x00af9b000000ffff	/* 0x08: 64-bit code, DPL 0, accessed */
	.quad	0x00cf93000000ffff	/* 0x10: flat data, accessed */
	.quad	0x0000890000000067	/* 0x18: 64-bit TSS (available), limit 0x67; base set at boot */
	.quad	0			/*       base 63:32 */
bm_x86_gdt_end:

	.balign	16
	.word	0			/* so that the base is 8-byte aligned */
bm_x86_gdtr:
	.word	bm_x86_gdt_end - bm_x86_gdt - 1
	.quad	bm_x86_gdt

	.balign	16
	.word	0
bm_x86_idtr:
	.word	IDT_VECTORS * 16 - 1
	.quad	bm_x86_idt

	.section .bss.pagetables, "aw", @nobits
	.balign	4096
	.globl	bm_x86_pml4
bm_x86_pml4:
	.skip	4096
bm_x86_pdpt:
	.skip	4096
bm_x86_pd:
	.skip	4 * 4096
bm_x86_pt0:
	.skip	4096
	.globl	bm_x86_idt
bm_x86_idt:
	.skip	IDT_VECTORS * 16

	.bss
	.balign	16
	.globl	bm_x86_tss
bm_x86_tss:
	.skip	TSS_SIZE
	.balign	8
	.globl	bm_x86_mb2_magic
bm_x86_mb2_magic:
	.skip	4
	.globl	bm_x86_mb2_info
bm_x86_mb2_info:
	.skip	4
	.balign	16
	.globl	bm_x86_trap_stack
bm_x86_trap_stack:
	.skip	16384
	.globl	bm_x86_trap_stack_top
bm_x86_trap_stack_top:
