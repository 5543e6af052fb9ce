/*
 * Shared by the x86_64 test guests (tests/guests/x86_64/NAME.S): the
 * guest-physical layout, the start state, the calls to the host and
 * assembler macros. Assembly only. Each NAME.S becomes
 * out/baremetal/x86_64/guests/NAME.bin, a flat image linked at
 * GUEST_RAM_BASE (guest.ld), embedded in the host image; a host test finds
 * it with bm_guest("NAME") and loads it with bm_vm_create(&vm, "NAME", size).
 *
 * Start state (what the backend sets up; tests/baremetal/x86_64/bm_arch.h
 * has the same values as BM_X86_GUEST_*): 64-bit long mode, CPL 0, paging
 * on the tables this header puts into every image:
 *   RIP = GUEST_RAM_BASE (0: the image's first byte, GUEST_START/GUEST_ENTRY)
 *   CR0 = 0x80010031 (PE ET NE WP PG), CR3 = GUEST_PML4 (the backend's
 *         setup config: struct axv_x86_64_setup .cr3),
 *   CR4 = 0x20 (PAE; the backend also sets VMXE, which VMX requires in the
 *         guest's CR4, and hides it with the CR4 read shadow),
 *   EFER = 0x500 (LME LMA), RFLAGS = 0x2 (IF = 0), DR7 = 0x400,
 *   CS = 0x08 (access rights 0xa09b: 64-bit code), DS = ES = SS = FS = GS
 *   = 0x10 (0xc093: data), all bases 0 and limits 0xffffffff,
 *   TR = 0x18 (base GUEST_TSS, limit 0x67, access rights 0x8b: busy TSS),
 *   LDTR unusable (0x10000), GDTR = {GUEST_GDT, 0x27}, IDTR = {0, 0}
 *   (an exception before GUEST_ENTRY's IDT triple-faults: a shutdown exit).
 *   GUEST_ENTRY loads GDTR and an IDT itself, so only GUEST_START guests
 *   that take an exception depend on the backend's GDTR and IDTR.
 * Guests assume nothing about the general-purpose registers (RSP included:
 * GUEST_ENTRY sets it) at entry.
 *
 * Guest-physical layout (what bm_vm_create maps, EPT 4-level):
 *   GUEST_RAM_BASE 0x00000000  RAM, GUEST_RAM_SIZE (2 MiB) unless the host
 *                              test asks for more; the image at its start;
 *                              .bss is not in the image but RAM is zeroed
 *     0x0000  entry: GUEST_START code (must fit in 4 KiB; GUEST_ENTRY jumps
 *             to .text at 0x5000 at once)
 *     GUEST_PML4 0x1000, GUEST_PDPT 0x2000, GUEST_PD 0x3000: identity map of
 *             guest-physical 0..1 GiB, 2 MiB pages, RW, accessed and dirty
 *             preset (the CPU never writes them); guest-virtual == physical
 *     GUEST_GDT 0x4000 (null, 0x08 code, 0x10 data, 0x18 TSS), GUEST_TSS
 *             0x4080 (zero but the I/O map base: no I/O bitmap)
 *     0x5000  .text, .rodata, .data, .bss
 *     GUEST_STACK_TOP = the end of the 2 MiB (GUEST_ENTRY sets RSP there)
 *   anything else              unmapped: an EPT violation, which the backend
 *                              reports as an MMIO exit (or nested page fault):
 *     GUEST_MMIO 0x0a000000      free for test devices (bm_vmm.h BM_TESTDEV)
 *   I/O ports: every IN/OUT exits (io_read/io_write):
 *     GUEST_COM1 0x3f8           transmit register, if the host test
 *                                emulates it (PUTS_IO: one OUT per byte)
 *
 * Calls: VMCALL with rax = call id, arguments in rdi, rsi, rdx, rcx, r8, r9
 * (spec/arch/x86_64/calls.yaml), result in rax:
 *   AXV_X86_64_CALL_SYSTEM_OFF 0x1002  pass: the guest is done (system_down)
 *   GUEST_CALL_FAIL 0x09000001  fail: rdi = failure code (a hypercall exit,
 *                              args[0] = code). Codes 1..0xdf are the
 *                              guest's own checks, distinct within a guest;
 *                              GUEST_FAIL_EXCEPTION (0xe0) comes from
 *                              GUEST_ENTRY's exception handler with
 *                              rsi = vector, rdx = RIP, rcx = CR2,
 *                              r8 = error code (args[1..4])
 *   GUEST_CALL_PUTC 0x09000002  print the byte in rdi (a hypercall exit)
 * Ids 0x09000000..0x0900000f are reserved for this harness; the other ids
 * of calls.yaml (0x1000..) are the backend's. After a pass or fail the guest
 * never continues: if the host resumes it, it sits in HLT (halt exits).
 *
 * Macros clobber only rax, rdi (calls), rsi, rdx (PUTS, PUTS_IO) and r11
 * (scratch), and the flags, unless noted.
 */
#ifndef AXV_X86_64_TEST_GUEST_H
#define AXV_X86_64_TEST_GUEST_H

#include "axv/gen/x86_64_calls.h"

#define GUEST_RAM_BASE 0x0
#define GUEST_RAM_SIZE 0x00200000
#define GUEST_STACK_TOP (GUEST_RAM_BASE + GUEST_RAM_SIZE)
#define GUEST_PML4 0x1000
#define GUEST_PDPT 0x2000
#define GUEST_PD 0x3000
#define GUEST_GDT 0x4000
#define GUEST_TSS 0x4080
#define GUEST_TSS_LIMIT 0x67
#define GUEST_TEXT 0x5000
#define GUEST_SEL_CODE 0x08
#define GUEST_SEL_DATA 0x10
#define GUEST_SEL_TSS 0x18
#define GUEST_COM1 0x3f8
#define GUEST_MMIO 0x0a000000

#define GUEST_CALL_SYSTEM_OFF AXV_X86_64_CALL_SYSTEM_OFF
#define GUEST_CALL_SYSTEM_RESET AXV_X86_64_CALL_SYSTEM_RESET
#define GUEST_CALL_FAIL 0x09000001
#define GUEST_CALL_PUTC 0x09000002
#define GUEST_FAIL_EXCEPTION 0xe0

/* Keeps ld from warning about an executable stack: guests have no ELF stack. */
	.section .note.GNU-stack, "", @progbits

/*
 * The system area, in every image at 0x1000..0x5000 (guest.ld places
 * .guest.sys). tests/baremetal/x86_64/platform.c bm_x86_guest_sys() writes
 * the same bytes (the harness compares them).
 */
	.pushsection .guest.sys, "a"
guest_pml4:
	.quad	GUEST_PDPT + 0x23		/* P RW A */
	.fill	511, 8, 0
guest_pdpt:
	.quad	GUEST_PD + 0x23
	.fill	511, 8, 0
guest_pd:
	.set	.Lguest_pd_i, 0
	.rept	512
	.quad	(.Lguest_pd_i << 21) + 0xe3	/* P RW A D PS: 2 MiB */
	.set	.Lguest_pd_i, .Lguest_pd_i + 1
	.endr
guest_gdt:
	.quad	0
	.quad	0x00af9b000000ffff		/* 0x08: 64-bit code, accessed */
	.quad	0x00cf93000000ffff		/* 0x10: flat data, accessed */
	.quad	GUEST_TSS_LIMIT | ((GUEST_TSS & 0xffffff) << 16) | (0x8b << 40) | (((GUEST_TSS >> 24) & 0xff) << 56)
	.quad	GUEST_TSS >> 32
	.fill	11, 8, 0
guest_tss:
	.fill	102, 1, 0
	.word	104				/* I/O map base past the limit */
	.fill	0x1000 - 0x80 - 104, 1, 0
	.popsection

/* reg = a 64-bit constant. */
.macro MOV64 reg, imm
	movabs	$(\imm), \reg
.endm

/* The image's first instruction, nothing else: for guests that count instructions. */
.macro GUEST_START
	.section .text.entry, "ax"
	.globl	_start
_start:
.endm

/* The IDT entry at rdi: a present 64-bit interrupt gate, IST 0, to rax (clobbered). */
.macro GUEST_GATE
	mov	%ax, (%rdi)
	movw	$GUEST_SEL_CODE, 2(%rdi)
	movw	$0x8e00, 4(%rdi)		/* present 64-bit interrupt gate, IST 0 */
	shr	$16, %rax
	mov	%ax, 6(%rdi)
	shr	$16, %rax
	mov	%eax, 8(%rdi)
	movl	$0, 12(%rdi)
.endm

/*
 * GUEST_START, then RSP = GUEST_STACK_TOP, GDTR = the image's GDT (so that
 * exception delivery finds CS 0x08 whatever GDTR the backend started the
 * guest with), an IDT whose 32 exception vectors report
 * GUEST_FAIL_EXCEPTION, and a jump to the rest of the guest in .text.
 * Clobbers rax, rcx, rsi, rdi.
 */
.macro GUEST_ENTRY
	GUEST_START
	mov	$GUEST_STACK_TOP, %esp
	call	guest_setup_idt
	jmp	.Lguest_body\@

	.pushsection .text.trap, "ax"
guest_setup_idt:
	lgdt	guest_gdtr(%rip)
	lea	guest_idt(%rip), %rdi
	lea	guest_exc_stubs(%rip), %rsi
	xor	%ecx, %ecx
1:	mov	%rsi, %rax
	GUEST_GATE
	add	$16, %rdi
	add	$16, %rsi
	inc	%ecx
	cmp	$32, %ecx
	jb	1b
	lidt	guest_idtr(%rip)
	ret

	.balign	16
guest_exc_stubs:
	.set	.Lguest_vec, 0
	.rept	32
	.balign	16
	.if !(.Lguest_vec == 8 || (.Lguest_vec >= 10 && .Lguest_vec <= 14) || .Lguest_vec == 17 || .Lguest_vec == 21 || .Lguest_vec == 29 || .Lguest_vec == 30)
	pushq	$0
	.endif
	pushq	$.Lguest_vec
	.byte	0xe9				/* jmp rel32: fixed size */
	.long	guest_exc_common - . - 4
	.set	.Lguest_vec, .Lguest_vec + 1
	.endr

guest_exc_common:
	pop	%rsi				/* vector */
	pop	%r8				/* error code */
	mov	(%rsp), %rdx			/* RIP */
	mov	%cr2, %rcx
	mov	$GUEST_FAIL_EXCEPTION, %edi
	mov	$GUEST_CALL_FAIL, %eax
	vmcall
	GUEST_HANG
	.popsection

	.pushsection .data
	.balign	16
	.word	0
guest_idtr:
	.word	32 * 16 - 1
	.quad	guest_idt
	.balign	16
	.word	0
guest_gdtr:
	.word	0x27
	.quad	GUEST_GDT
	.popsection
	.pushsection .bss
	.balign	16
guest_idt:
	.skip	32 * 16
	.popsection

	.text
.Lguest_body\@:
.endm

/*
 * After GUEST_ENTRY: an IDT of vector + 1 gates loaded, GUEST_ENTRY's 32
 * exception gates and then an interrupt gate to handler at vector (which
 * ends with iretq). Clobbers rax, rcx, rsi, rdi.
 */
.macro GUEST_IRQ_IDT vector, handler
	lea	guest_idt(%rip), %rsi
	lea	.Lirq_idt\@(%rip), %rdi
	mov	$64, %ecx
	rep movsq
	lea	\handler(%rip), %rax
	lea	.Lirq_idt\@ + (\vector) * 16(%rip), %rdi
	GUEST_GATE
	lidt	.Lirq_idtr\@(%rip)

	.pushsection .data
	.balign	16
	.word	0
.Lirq_idtr\@:
	.word	((\vector) + 1) * 16 - 1
	.quad	.Lirq_idt\@
	.popsection
	.pushsection .bss
	.balign	16
.Lirq_idt\@:
	.skip	((\vector) + 1) * 16
	.popsection
.endm

/* Stop for good: HLT with IF = 0 (each HLT may exit to the host as halt). */
.macro GUEST_HANG
.Lhang\@:
	cli
	hlt
	jmp	.Lhang\@
.endm

/* Call nr (arguments already in rdi, rsi, rdx, rcx, r8, r9); result in rax. */
.macro HCALL nr
	mov	$(\nr), %eax
	vmcall
.endm

/* Pass: SYSTEM_OFF. */
.macro GUEST_PASS
	HCALL	GUEST_CALL_SYSTEM_OFF
	GUEST_HANG
.endm

/* Fail with code n (1..0xdf, distinct within the guest). */
.macro GUEST_FAIL n
	mov	$(\n), %edi
	HCALL	GUEST_CALL_FAIL
	GUEST_HANG
.endm

/* After a cmp/test: GUEST_FAIL n unless condition code cc holds (e, ne, b, ae, l, ge, ...). */
.macro CHECK cc, n
	j\cc	.Lcheck_ok\@
	GUEST_FAIL \n
.Lcheck_ok\@:
.endm

/* GUEST_FAIL n unless the 64-bit register reg equals the constant imm (r11 = imm). */
.macro CHECK_EQ reg, imm, n
	movabs	$(\imm), %r11
	cmp	%r11, \reg
	CHECK	e, \n
.endm

/* GUEST_FAIL n if the 64-bit register reg equals the constant imm (r11 = imm). */
.macro CHECK_NE reg, imm, n
	movabs	$(\imm), %r11
	cmp	%r11, \reg
	CHECK	ne, \n
.endm

/* Print a string literal through GUEST_CALL_PUTC, one call per byte. */
.macro PUTS str
	.pushsection .rodata
.Lputs_str\@:
	.asciz	"\str"
	.popsection
	lea	.Lputs_str\@(%rip), %rsi
.Lputs_next\@:
	movzbl	(%rsi), %edi
	test	%edi, %edi
	jz	.Lputs_done\@
	HCALL	GUEST_CALL_PUTC
	inc	%rsi
	jmp	.Lputs_next\@
.Lputs_done\@:
.endm

/* Print a string literal by OUTs to GUEST_COM1 (one I/O exit per byte). */
.macro PUTS_IO str
	.pushsection .rodata
.Lputs_str\@:
	.asciz	"\str"
	.popsection
	lea	.Lputs_str\@(%rip), %rsi
	mov	$GUEST_COM1, %edx
.Lputs_next\@:
	lodsb
	test	%al, %al
	jz	.Lputs_done\@
	out	%al, %dx
	jmp	.Lputs_next\@
.Lputs_done\@:
.endm

#endif /* AXV_X86_64_TEST_GUEST_H */
