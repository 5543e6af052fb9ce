/*
 * Port I/O, MSRs, CPUID, a plain hypercall and HLT: each comes back with
 * what the host test answered (or, for CPUID, what the backend answers
 * itself), and the guest checks it.
 */
#include "guest.h"

	GUEST_ENTRY
	PUTS_IO "ok"				/* two io_write exits on COM1 */

	movabs	$0xffffffffffffffff, %rax
	in	$0x71, %al			/* the host answers 0x5a: merges into al */
	CHECK_EQ %rax, 0xffffffffffffff5a, 1
	mov	$0x1234, %dx
	movabs	$0xffffffffffffffff, %rax
	in	%dx, %ax			/* 0xbeef */
	CHECK_EQ %rax, 0xffffffffffffbeef, 2
	in	%dx, %eax			/* 0x89abcdef: 32-bit, clears 63:32 */
	CHECK_EQ %rax, 0x89abcdef, 3

	mov	$0x40000000, %ecx
	rdmsr					/* the host answers 0x1122334455667788 */
	CHECK_EQ %rax, 0x55667788, 4
	CHECK_EQ %rdx, 0x11223344, 5
	mov	$0x40000001, %ecx
	mov	$0xdeadbeef, %edx
	mov	$0xcafef00d, %eax
	wrmsr					/* sys_reg_write 0xdeadbeefcafef00d */

	mov	$1, %eax
	xor	%ecx, %ecx
	cpuid					/* answered inside: no VMX, a hypervisor */
	bt	$5, %ecx
	CHECK	nc, 6
	bt	$31, %ecx
	CHECK	c, 7

	mov	$1, %edi
	mov	$2, %esi
	mov	$3, %edx
	mov	$4, %ecx
	mov	$5, %r8d
	mov	$6, %r9d
	mov	$0x77, %r15
	movabs	$0x123456789000, %r14
	mov	%r14, %cr2			/* VMX does not switch CR2: the backend must */
	HCALL	0x42				/* the host returns the sum of the arguments */
	CHECK_EQ %rax, 21, 8
	CHECK_EQ %r15, 0x77, 9			/* registers survive the exit */
	mov	%cr2, %r14
	CHECK_EQ %r14, 0x123456789000, 10

	mov	$6, %edi			/* a plain hypercall right after a delivered one: the short run path */
	mov	$5, %esi
	mov	$4, %edx
	mov	$3, %ecx
	mov	$2, %r8d
	mov	$1, %r9d
	HCALL	0x43				/* the host returns 0x4321 */
	CHECK_EQ %rax, 0x4321, 11
	CHECK_EQ %r15, 0x77, 12
	mov	%cr2, %r14
	CHECK_EQ %r14, 0x123456789000, 13

	mov	$0x44, %eax			/* a VMCALL with a (redundant) DS prefix: 4 bytes, */
	.byte	0x3e				/* and RIP must go past all of them */
	vmcall
	CHECK_EQ %rax, 0x4444, 14

	hlt					/* a halt exit; the host resumes at the next instruction */
	GUEST_PASS
