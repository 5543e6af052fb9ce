/*
 * The register frame the world switch saves and loads. The assembly
 * (switch.S) uses offsets generated from this struct (asm_defs.c), so
 * the two cannot disagree.
 */
#ifndef AXV_AARCH64_CONTEXT_H
#define AXV_AARCH64_CONTEXT_H

#include <stdint.h>

struct axv_a64_frame {
    uint64_t x[31];
    uint64_t sp_el0;
    uint64_t elr;
    uint64_t spsr;
    uint64_t hcr;            /* HCR_EL2 while this guest runs */
    uint64_t host_sp;
    uint64_t host_regs[12];  /* x19..x30 of the host */
};

/* What the exception vector saw. */
enum axv_a64_reason {
    AXV_A64_SYNC = 0,
    AXV_A64_IRQ = 1,
    AXV_A64_FIQ = 2,
    AXV_A64_SERROR = 3,
};

/* Enters the guest described by frame; returns when it exits. */
enum axv_a64_reason axv_a64_enter(struct axv_a64_frame *frame);
void axv_a64_fp_save(uint64_t *area);          /* q0..q31, fpsr, fpcr: 66 words */
void axv_a64_fp_restore(const uint64_t *area);
extern const char axv_a64_vectors[];

#endif /* AXV_AARCH64_CONTEXT_H */
