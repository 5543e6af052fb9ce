/*
 * MMIO with the guest's own paging on (Sv39 in vsatp), from VS-mode code on
 * a supervisor page (U=0) and then from VU-mode code on a user page. QEMU
 * leaves htinst 0, so the host reads each trapping instruction itself: it
 * must read it with the privilege the guest trapped from (an S page is
 * not readable as VU, nor a U page as VS) and put the guest back in that
 * privilege afterwards.
 *
 * Virtual layout (the guest's page table, in .bss):
 *   0x080000000  RAM, identity, 1 GiB page, RWX, U=0 (this code, the tables)
 *   0x100000000  RAM again, 1 GiB page, RX, U=1 (the user code's view)
 *   0x040000000  GUEST_MMIO, 2 MiB page, RW, U=0
 *   0x040200000  GUEST_MMIO, 2 MiB page, RW, U=1
 * The test device is in no G-stage mapping: every access there exits
 * with its guest-physical address (GUEST_MMIO + offset), not these.
 * At the end, back in VS-mode, a hypercall (EID 0x09000010, FID 1,
 * a0 = 0x42) that must return 0x43.
 */
#include "guest.h"

#define PTE_V 0x01
#define PTE_R 0x02
#define PTE_W 0x04
#define PTE_X 0x08
#define PTE_U 0x10
#define PTE_A 0x40
#define PTE_D 0x80
#define PTE_LEAF(pa, bits) (((pa) >> 2) | PTE_V | PTE_A | (bits))
#define SATP_SV39 (8 << 60)
#define SSTATUS_SPP 0x100
#define SCAUSE_ILLEGAL 2
#define SCAUSE_LOAD_PAGE_FAULT 13
#define SCAUSE_ECALL_U 8

#define HYPERCALL_EID 0x09000010
#define K_MMIO 0x40000000
#define U_MMIO 0x40200000
#define U_RAM 0x100000000
#define U_OFFSET (U_RAM - GUEST_RAM_BASE)

GUEST_ENTRY
    lla t0, root
    lla t1, l1_mmio
    srli t1, t1, 2
    ori t1, t1, PTE_V
    sd t1, 1 * 8(t0)                    /* 0x40000000: the MMIO table */
    LI64 t1, PTE_LEAF(GUEST_RAM_BASE, PTE_R | PTE_W | PTE_X | PTE_D)
    sd t1, 2 * 8(t0)                    /* 0x80000000 */
    LI64 t1, PTE_LEAF(GUEST_RAM_BASE, PTE_R | PTE_X | PTE_U)
    sd t1, 4 * 8(t0)                    /* 0x100000000 */
    lla t0, l1_mmio
    LI64 t1, PTE_LEAF(GUEST_MMIO, PTE_R | PTE_W | PTE_D)
    sd t1, 0(t0)
    LI64 t1, PTE_LEAF(GUEST_MMIO, PTE_R | PTE_W | PTE_D | PTE_U)
    sd t1, 8(t0)
    lla t0, root
    srli t0, t0, 12
    LI64 t1, SATP_SV39
    or t0, t0, t1
    sfence.vma
    csrw satp, t0                       /* identity map: the next fetch is translated */
    sfence.vma
    lla t0, trap
    csrw stvec, t0

    /* VS-mode, this page U=0. */
    LI64 s0, K_MMIO
    lb a2, 0(s0)
    CHECK_EQ a2, 0xffffffffffffff87, 1
    lbu a3, 0(s0)
    CHECK_EQ a3, 0x87, 2
    lh a4, 2(s0)
    CHECK_EQ a4, 0xffffffffffff8485, 3
    lhu a5, 2(s0)
    CHECK_EQ a5, 0x8485, 4
    lw s2, 0(s0)
    CHECK_EQ s2, 0xffffffff84858687, 5
    lwu s3, 4(s0)
    CHECK_EQ s3, 0x80818283, 6
    ld s4, 0(s0)
    CHECK_EQ s4, 0x8081828384858687, 7
    .option push
    .option rvc
    c.lw a2, 4(s0)
    c.ld a3, 0(s0)
    .option pop
    CHECK_EQ a2, 0xffffffff80818283, 8
    CHECK_EQ a3, 0x8081828384858687, 9
    LI64 s1, 0x1122334455667788
    sw s1, 16(s0)
    .option push
    .option rvc
    c.sd s1, 16(s0)
    .option pop

    /* VU-mode, on the user view of this image. */
    lla t0, user
    LI64 t1, U_OFFSET
    add t0, t0, t1
    csrw sepc, t0
    li t0, SSTATUS_SPP
    csrc sstatus, t0
    sret

user_held:                              /* from trap: the probe faulted, as in VU */
    /* A hypercall from VS now: its exit path records no privilege, yet the
     * guest must come back in VS-mode (else this S page faults). */
    li a0, 0x42
    SBI_CALL HYPERCALL_EID, 1
    CHECK_EQ a0, 0x43, 25
    GUEST_PASS

user:
    LI64 s0, U_MMIO
    lb a2, 1(s0)
    CHECK_EQ a2, 0xffffffffffffff86, 20
    lhu a3, 6(s0)
    CHECK_EQ a3, 0x8081, 21
    .option push
    .option rvc
    c.lw a4, 0(s0)
    .option pop
    CHECK_EQ a4, 0xffffffff84858687, 22
    ld a5, 0(s0)
    CHECK_EQ a5, 0x8081828384858687, 23
    sh a5, 16(s0)
    /* Still VU after those exits? Then this read of an S page faults. */
    LI64 t0, GUEST_RAM_BASE
user_probe:
    ld t0, 0(t0)
    GUEST_FAIL 24                       /* it did not: the host resumed VU code in VS-mode */

/* VS traps: the probe's fault ends the user part; an ecall from VU is a
 * GUEST_FAIL from user code, passed on; anything else is reported. */
    .balign 4
trap:
    csrr t0, scause
    li t1, SCAUSE_ECALL_U
    beq t0, t1, 1f
    li t1, SCAUSE_LOAD_PAGE_FAULT
    bne t0, t1, guest_default_trap
    csrr t0, sepc
    lla t1, user_probe
    LI64 t2, U_OFFSET
    add t1, t1, t2
    bne t0, t1, guest_default_trap
    j user_held
1:  ecall                               /* a0, a6, a7 as GUEST_FAIL set them in VU */
    GUEST_HANG

    .bss
    .balign 4096
root:
    .space 4096
l1_mmio:
    .space 4096
