/*
 * A Multiboot v1 kernel, started the -kernel way: 32-bit flat protected mode,
 * paging off, eax = 0x2BADB002, ebx = the multiboot information (flags bit
 * 0: mem_lower/mem_upper). Checks that, says "multiboot ok" and powers off
 * through the doorbell. Built twice: multiboot.bin is a flat image with the
 * a.out kludge (header bit 16: load and entry addresses in the header),
 * multiboot-elf.elf (-DMULTIBOOT_ELF, ld -m elf_i386) an ELF32 without it.
 */
#include "guest.h"

#define MB_HEADER_MAGIC 0x1BADB002
#define MB_BOOT_MAGIC 0x2BADB002
#define MB_PAGE_ALIGN (1 << 0)
#define MB_MEMORY_INFO (1 << 1)
#define MB_AOUT_KLUDGE (1 << 16)
#ifdef MULTIBOOT_ELF
#define MB_FLAGS (MB_PAGE_ALIGN | MB_MEMORY_INFO)
#else
#define MB_FLAGS (MB_PAGE_ALIGN | MB_MEMORY_INFO | MB_AOUT_KLUDGE)
#endif
#define MB_INFO_MEM 1			/* info flags bit 0: mem_* are valid */
#define GUEST_MEM_KIB (64 * 1024)	/* the runner's default -m 64M */

	.code32
	.section .text.entry, "ax"
	.balign 4
mb_header:				/* in the first 8 KiB, 4-byte aligned */
	.long MB_HEADER_MAGIC
	.long MB_FLAGS
	.long -(MB_HEADER_MAGIC + MB_FLAGS)
#ifndef MULTIBOOT_ELF
	.long mb_header			/* header_addr: where this header loads */
	.long _image_start		/* load_addr: the file's first byte */
	.long _edata			/* load_end_addr */
	.long _end			/* bss_end_addr */
	.long _start			/* entry_addr */
#endif

	.globl _start
_start:
	/* Multiboot promises no stack: take the boot CPU's usual one. */
	mov $AXVRUN_STACK_TOP, %esp

	cmp $MB_BOOT_MAGIC, %eax
	CHECK e, 1
	cmp $AXVRUN_MB_INFO, %ebx
	CHECK e, 2
	testl $MB_INFO_MEM, 0(%ebx)	/* flags */
	CHECK nz, 3
	cmpl $640, 4(%ebx)		/* mem_lower: at most 640 KiB */
	CHECK be, 4
	mov 8(%ebx), %eax		/* mem_upper: KiB from 1 MiB on */
	test %eax, %eax
	CHECK nz, 5
	cmp $(GUEST_MEM_KIB - 1024), %eax
	CHECK be, 6

	/* protected mode, paging off */
	mov %cr0, %eax
	test $1, %eax			/* PE */
	CHECK nz, 7
	test $0x80000000, %eax		/* PG */
	CHECK z, 8

	/* the image was loaded whole: its data is where it was linked */
	cmpl $0x600dda7a, data_word
	CHECK e, 9
	call stack_works		/* the stack we chose is RAM */

	PUTS "multiboot ok\n"
	SYSTEM_OFF

stack_works:
	ret

	.data
	.balign 4
data_word:
	.long 0x600dda7a
