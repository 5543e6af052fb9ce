/*
 * Hypercalls (the vendor SBI range, whose exit record the backend's exit
 * path fills in itself): a call with every register set to a pattern, so
 * the host can check the record field by field and the guest can check that
 * every register but a0/a1 came back unchanged (the exit path works from
 * t6 and sscratch); the last EID of the range; EIDs just outside it and
 * one with bits above 32, which are refused.
 */
#include "guest.h"

#define SBI_ERR_NOT_SUPPORTED 0xfffffffffffffffe
#define PAT(n) ((n) * 0x0101010101010101)

GUEST_START
	.irp n, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	LI64	x\n, PAT(\n)
	.endr
	LI64	a6, 0xabcdef0000000007      /* FID 7: only the low 32 bits count */
	LI64	a7, 0x09abcdef
	ecall
	mv	a1, t6                      /* t6 first: CHECK_EQ needs it */
	CHECK_EQ a1, PAT(31), 31
	CHECK_EQ a0, 0x77, 1                /* the VMM's return value */
	.irp n, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 14, 15, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30
	CHECK_EQ x\n, PAT(\n), \n
	.endr
	CHECK_EQ a6, 0xabcdef0000000007, 16
	CHECK_EQ a7, 0x09abcdef, 17

	li	a0, 0x42
	SBI_CALL 0x09ffffff, 3              /* the range's last EID */
	CHECK_EQ a0, 0x43, 32

	SBI_CALL 0x08ffffff, 0              /* just below the range */
	CHECK_EQ a0, SBI_ERR_NOT_SUPPORTED, 33
	SBI_CALL 0x109000010, 0             /* a vendor EID plus bit 32: not one */
	CHECK_EQ a0, SBI_ERR_NOT_SUPPORTED, 34
	SBI_CALL 0x153525354, 0             /* SRST's EID plus bit 32: not SRST */
	CHECK_EQ a0, SBI_ERR_NOT_SUPPORTED, 35
	GUEST_PASS
