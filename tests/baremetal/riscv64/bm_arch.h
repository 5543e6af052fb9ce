/*
 * The riscv64 platform of the bare-metal harness (QEMU virt, OpenSBI 1.1,
 * HS-mode: S-mode with the H extension, satp = 0, so no translation).
 *
 * Host physical memory (-m 256M): RAM 0x80000000..0x90000000; OpenSBI at
 * 0x80000000 (PMP-protected from S-mode); the image at 0x80200000 (link.ld,
 * where fw_dynamic jumps); then .bss, a 64 KiB stack and the HAL heap
 * (32 MiB, 2 MiB aligned); QEMU puts the DTB in the last 2 MiB
 * (0x8fe00000), which link.ld keeps clear of.
 *
 * Guest-physical layout of bm_vm_create() (tests/guests/riscv64/guest.h
 * has the guest's side): RAM at 0x80000000 (BM_GUEST_RAM_BASE), 2 MiB by
 * default, the flat image at its first byte, entry there; nothing else is
 * mapped, so every other access is a guest-page fault (scause 20/21/23).
 * The G-stage tables are Sv39x4 (gstage.h).
 */
#ifndef BM_ARCH_H
#define BM_ARCH_H

#include <stdint.h>

#define BM_GUEST_RAM_BASE 0x80000000ull
#define BM_GUEST_RAM_DEFAULT 0x200000ull

#define BM_RV_UART_BASE 0x10000000ull   /* NS16550A of the host (QEMU virt) */
#define BM_RV_TIMEBASE_HZ 10000000ull   /* the time CSR (QEMU virt's ACLINT: 10 MHz) */

/*
 * CSR access by name: bm_csrr(hstatus), bm_csrw(stvec, v), bm_csrs(hstatus,
 * bits), bm_csrc(sstatus, bits). The image is assembled with the H
 * extension (build/baremetal-riscv64.mk), so hypervisor CSRs are known.
 */
#define bm_csrr(csr)                                                                                 \
    __extension__({                                                                                  \
        uint64_t bm_v_;                                                                              \
        __asm__ volatile("csrr %0, " #csr : "=r"(bm_v_));                                            \
        bm_v_;                                                                                       \
    })
#define bm_csrw(csr, val) __asm__ volatile("csrw " #csr ", %0" : : "r"((uint64_t)(val)) : "memory")
#define bm_csrs(csr, val) __asm__ volatile("csrs " #csr ", %0" : : "r"((uint64_t)(val)) : "memory")
#define bm_csrc(csr, val) __asm__ volatile("csrc " #csr ", %0" : : "r"((uint64_t)(val)) : "memory")

/* sstatus / hstatus bits the harness uses. */
#define BM_RV_SSTATUS_SIE (1ull << 1)
#define BM_RV_SSTATUS_SPIE (1ull << 5)
#define BM_RV_SSTATUS_SPP (1ull << 8)
#define BM_RV_HSTATUS_GVA (1ull << 6)
#define BM_RV_HSTATUS_SPV (1ull << 7)
#define BM_RV_HSTATUS_SPVP (1ull << 8)
#define BM_RV_HSTATUS_HU (1ull << 9)
#define BM_RV_HSTATUS_VGEIN (0x3full << 12)
#define BM_RV_HSTATUS_VTVM (1ull << 20)
#define BM_RV_HSTATUS_VTW (1ull << 21)
#define BM_RV_HSTATUS_VTSR (1ull << 22)
/* What boot.S and bm_arch_trap_recover() clear in hstatus. */
#define BM_RV_HSTATUS_RESET                                                                          \
    (BM_RV_HSTATUS_GVA | BM_RV_HSTATUS_SPV | BM_RV_HSTATUS_SPVP | BM_RV_HSTATUS_HU |                  \
     BM_RV_HSTATUS_VGEIN | BM_RV_HSTATUS_VTVM | BM_RV_HSTATUS_VTW | BM_RV_HSTATUS_VTSR)

/* The harness's trap handler (boot.S); stvec at boot and after bm_arch_trap_recover(). */
extern const char bm_rv_trap_entry[];
/* a0 and a1 OpenSBI passed to the image: the hart id and the DTB address. */
extern uint64_t bm_rv_boot_hartid, bm_rv_boot_dtb;
/* Whether QEMU answers semihosting calls (probed at boot). */
extern volatile int bm_rv_semihosting;
/* A semihosting call (a0 = op, a1 = arg); returns -1 when semihosting is off. */
uint64_t bm_rv_semihost(uint64_t op, uint64_t arg);
/* An SBI call from HS to OpenSBI: returns a0 (the error), *value = a1 if value. */
int64_t bm_rv_sbi_call(uint64_t eid, uint64_t fid, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t *value);

#endif /* BM_ARCH_H */
