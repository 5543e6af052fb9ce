/*
 * The aarch64 platform of the bare-metal harness (QEMU virt, EL2, MMU off).
 *
 * Host physical memory (-m 256M): RAM 0x40000000..0x50000000; the DTB QEMU
 * puts at 0x40000000; the image at 0x40080000 (link.ld); then .bss, a
 * 64 KiB stack (128 KiB aligned) and the HAL heap (32 MiB, 2 MiB aligned).
 *
 * Guest-physical layout of bm_vm_create() (tests/guests/aarch64/guest.h has
 * the guest's side): RAM at 0x40000000 (BM_GUEST_RAM_BASE), 2 MiB by
 * default, the flat image at its first byte, entry there; nothing else is
 * mapped, so every other access is a stage-2 fault.
 */
#ifndef BM_ARCH_H
#define BM_ARCH_H

#include <stdint.h>

#define BM_GUEST_RAM_BASE 0x40000000ull
#define BM_GUEST_RAM_DEFAULT 0x200000ull

#define BM_A64_UART_BASE 0x09000000ull /* PL011 of the host */

/* System register access: bm_mrs(vbar_el2), bm_msr(hcr_el2, v). */
#define bm_mrs(reg)                                                                                  \
    __extension__({                                                                                  \
        uint64_t bm_v_;                                                                              \
        __asm__ volatile("mrs %0, " #reg : "=r"(bm_v_));                                             \
        bm_v_;                                                                                       \
    })
#define bm_msr(reg, val) __asm__ volatile("msr " #reg ", %0" : : "r"((uint64_t)(val)) : "memory")
#define bm_isb() __asm__ volatile("isb" : : : "memory")

/* The harness's EL2 vector table (boot.S); installed at boot and by bm_arch_trap_recover(). */
extern const char bm_a64_vectors[];
/* Whether QEMU answers semihosting calls (probed at boot). */
extern volatile int bm_a64_semihosting;
/* A semihosting call (HLT #0xF000); returns -1 when semihosting is off. */
uint64_t bm_a64_semihost(uint64_t op, uint64_t arg);
/* Set by a test that expects an exception at EL2 while the backend's
 * vectors are installed: axv_aarch64_host_exception calls it (once, then
 * clears it) instead of failing the test; it must leave with bm_longjmp. */
extern void (*volatile bm_a64_host_exception_catch)(uint64_t esr, uint64_t elr, uint64_t far);
/* The counter frequency (CNTFRQ_EL0) in Hz. */
uint64_t bm_a64_cntfrq(void);

#endif /* BM_ARCH_H */
