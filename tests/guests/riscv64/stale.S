/*
 * A guest that pulls its own code page out from under itself: it clears
 * the page-table entry of the page it runs on without a fence (so the hart
 * may go on running it from a stale translation; QEMU does, until its next
 * V-mode change), then traps to the host, which cannot read the trapping
 * instruction back through the guest's page table any more. That must be
 * a defined exit, not a trap in the host: an MMIO load (htinst 0 under
 * QEMU), then WFI (a virtual instruction, stval 0 under QEMU). When the
 * host resumes it, the guest's own page-fault handler maps the page again
 * and the instruction runs: an MMIO read the host answers, a halt.
 *
 * Virtual layout (Sv39, tables in .bss):
 *   0x000000000  1 GiB identity page, RW (GUEST_MMIO is in it)
 *   0x080000000  RAM, identity, 1 GiB page, RWX
 *   0x0c0000000  4 KiB page: `victim` (the same frame as its identity view)
 */
#include "guest.h"

#define PTE_V 0x01
#define PTE_R 0x02
#define PTE_W 0x04
#define PTE_X 0x08
#define PTE_A 0x40
#define PTE_D 0x80
#define PTE_LEAF(pa, bits) (((pa) >> 2) | PTE_V | PTE_A | (bits))
#define SATP_SV39 (8 << 60)
#define SCAUSE_FETCH_PAGE_FAULT 12
#define VICTIM_VA 0xc0000000

GUEST_ENTRY
    lla t0, root
    LI64 t1, PTE_LEAF(0, PTE_R | PTE_W | PTE_D)
    sd t1, 0 * 8(t0)
    LI64 t1, PTE_LEAF(GUEST_RAM_BASE, PTE_R | PTE_W | PTE_X | PTE_D)
    sd t1, 2 * 8(t0)
    lla t1, l1
    srli t1, t1, 2
    ori t1, t1, PTE_V
    sd t1, 3 * 8(t0)                    /* 0xc0000000: l1 */
    lla t0, l1
    lla t1, l0
    srli t1, t1, 2
    ori t1, t1, PTE_V
    sd t1, 0(t0)                        /* l1[0]: l0 */
    lla t1, victim
    srli t1, t1, 2
    ori t1, t1, PTE_V | PTE_A | PTE_R | PTE_X
    lla s2, l0                          /* s2: the victim's entry, s3: its value */
    mv s3, t1
    sd s3, 0(s2)
    lla t0, root
    srli t0, t0, 12
    LI64 t1, SATP_SV39
    or t0, t0, t1
    sfence.vma
    csrw satp, t0
    sfence.vma
    lla t0, trap
    csrw stvec, t0

    LI64 s0, GUEST_MMIO
    lla s4, back                        /* victim code runs at VICTIM_VA: no lla there */
    LI64 t0, VICTIM_VA
    jr t0
back:
    GUEST_PASS

/* A fetch page fault on the victim page: map it again and retry. */
    .balign 4
trap:
    csrr t0, scause
    li t1, SCAUSE_FETCH_PAGE_FAULT
    bne t0, t1, guest_default_trap
    csrr t0, stval
    srli t0, t0, 12
    LI64 t1, VICTIM_VA >> 12
    bne t0, t1, guest_default_trap
    sd s3, 0(s2)
    sfence.vma
    sret

    .section .text.victim, "ax"
    .balign 4096
victim:
    sd zero, 0(s2)                      /* unmapped, no fence: this page runs on */
    lw a2, 0(s0)                        /* host: cannot read this instruction */
    CHECK_EQ a2, 0xffffffff84858687, 1
    sd zero, 0(s2)
    wfi                                 /* nor this one */
    jr s4

    .bss
    .balign 4096
root:
    .space 4096
l1:
    .space 4096
l0:
    .space 4096
