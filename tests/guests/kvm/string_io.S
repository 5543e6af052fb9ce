/*
 * String port I/O: rep outsb of a line to COM1 (the runner looks for it on
 * stdout), rep insb of 16 bytes from the counter port, a single insw from
 * it, and a single outsw that powers off through the ACPI PM1a port.
 */
#include "guest.h"

GUEST_ENTRY
	cld

	/* rep outsb: the whole line, then rsi/rcx say every byte went out. */
	mov $line, %esi
	mov $(line_end - line), %ecx
	mov $AXVRUN_COM1, %dx
	rep outsb
	test %rcx, %rcx
	CHECK z, 1
	cmp $line_end, %rsi
	CHECK e, 2

	/* rep insb: any write resets the counter, then 16 reads give 0..15. */
	mov $AXVRUN_COUNTER_PORT, %dx
	xor %eax, %eax
	out %al, %dx
	mov $buf, %edi
	mov $16, %ecx
	rep insb
	test %rcx, %rcx
	CHECK z, 3
	cmp $(buf + 16), %rdi
	CHECK e, 4
	cmpb $0xcc, buf + 16		/* nothing written past the count */
	CHECK e, 5
	xor %ecx, %ecx
1:	cmp %cl, buf(%rcx)
	CHECK e, 6
	inc %ecx
	cmp $16, %ecx
	jne 1b

	/* insw (no rep): one 16-bit read stores two bytes and advances rdi by
	 * 2. The ABI defines only 1-byte counter reads, so only the low byte
	 * is known: the next count, 16. */
	mov $word, %edi
	insw
	cmpb $16, word
	CHECK e, 7
	cmpb $0xcc, word + 1
	CHECK ne, 8
	cmp $(word + 2), %rdi
	CHECK e, 10

	PUTS "string_io: checked, powering off by outsw\n"

	/* outsw (no rep): 0x2000 to PM1a_CNT is the power-off (status 0). */
	mov $poweroff, %esi
	mov $AXVRUN_ACPI_PM1A, %dx
	outsw
	FAIL 9				/* still running: the write was lost */

	.section .rodata
line:
	.ascii "string_io: rep outsb 0123456789 ABCDEFGHIJ abcdefghij\n"
line_end:
poweroff:
	.word 0x2000

	.data
buf:
	.fill 17, 1, 0xcc		/* 16 bytes read in, 1 guard */
	.balign 2
word:
	.word 0xcccc
