/*
 * An ELF64 guest (linked by elf.ld, see there): checks it was started at
 * e_entry with rsp = 0x80000, that each segment sits at its physical
 * address, that the bss past p_filesz reads zero (not the bytes that follow
 * in the file), and that nothing was loaded at the flat address 0x100000.
 */
#include "guest.h"

#define LMA_PHYS 0x500000
#define LMA_VIRT 0x600000
#define MAGIC 0x0e1f64a5a5a5a5a5
#define BSS_QUADS 512

	.text
	/* The first byte of the code segment; starting here is wrong. */
	FAIL 1

	.globl _start
_start:
	CHECK_EQ %rsp, AXVRUN_STACK_TOP, 2

	/* the data segment */
	mov data_word, %rax
	CHECK_EQ %rax, MAGIC, 3
	mov data_last, %rax
	CHECK_EQ %rax, ~MAGIC, 4

	/* bss: memsz - filesz bytes of zeros */
	mov $bss_start, %ebx
	mov $BSS_QUADS, %ecx
1:	cmpq $0, (%rbx)
	CHECK e, 5
	add $8, %rbx
	dec %ecx
	jnz 1b

	/* the segment with p_paddr != p_vaddr is at p_paddr only */
	mov $LMA_PHYS, %ebx
	mov (%rbx), %rax
	CHECK_EQ %rax, ~MAGIC + 1, 6
	mov $LMA_VIRT, %ebx
	mov (%rbx), %rax
	CHECK_EQ %rax, 0, 7

	/* an ELF is not also loaded as a flat binary */
	mov $AXVRUN_LOAD_ADDR, %ebx
	mov (%rbx), %rax
	CHECK_EQ %rax, 0, 8

	PUTS "elf: segments loaded at their physical addresses\n"
	SYSTEM_OFF

	.data
	.balign 8
data_word:
	.quad MAGIC
	.fill 64, 8, 0x77
data_last:
	.quad ~MAGIC

	.bss
	.balign 8
bss_start:
	.skip BSS_QUADS * 8

	/* read only at its physical address, never through its link address */
	.section .lma, "a"
	.quad ~MAGIC + 1
	.fill 64, 8, 0x55
