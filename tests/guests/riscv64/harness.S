/*
 * For the harness's own self-tests (tests/baremetal/riscv64/main.c, run
 * through its minimal VS entry, not a backend): guest.h's macros. The host
 * sets s2 before entry and delegates breakpoints to VS (hedeleg bit 3).
 *
 * Prints "hi\n" (console_putchar), then GUEST_FAIL 1 unless
 * s2 == 0x1122334455667788, then an ebreak that the default trap handler
 * reports as GUEST_FAIL_TRAP with a1 = 3 (breakpoint).
 */
#include "guest.h"

	GUEST_ENTRY
	PUTS	"hi\n"
	CHECK_EQ s2, 0x1122334455667788, 1
	CHECK_NE sp, 0, 2
	.globl	guest_ebreak
guest_ebreak:
	ebreak
	GUEST_PASS			/* not reached */
