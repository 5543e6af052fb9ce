/*
 * The register frame the world switch saves and loads. The assembly
 * (switch.S) uses offsets generated from this struct (asm_defs.c), so
 * the two cannot disagree.
 */
#ifndef AXV_AARCH64_CONTEXT_H
#define AXV_AARCH64_CONTEXT_H

#include <stdint.h>

#include "axv/gen/errors.h"

struct axv_exit;

/* While the guest runs, SP_EL2 points at this frame (so the exit vector
 * stores the guest's registers without a scratch register); it must be
 * 16-byte aligned, as SCTLR_EL2.SA may check. */
struct axv_a64_frame {
    uint64_t x[31];
    uint64_t sp_el0;
    uint64_t elr;
    uint64_t spsr;
    uint64_t hcr;            /* HCR_EL2 while this guest runs */
    uint64_t pad;            /* keeps host_sp, exit 16-byte aligned for one ldp */
    uint64_t host_sp;
    struct axv_exit *exit;   /* where the exit handler writes this run's exit */
    uint64_t host_regs[12];  /* x19..x30 of axv_a64_run's caller */
};

/* What the exception vector saw (the async handler's third argument). */
enum axv_a64_reason {
    AXV_A64_SYNC = 0,
    AXV_A64_IRQ = 1,
    AXV_A64_FIQ = 2,
    AXV_A64_SERROR = 3,
};

/*
 * Enters the guest described by frame. The exit vectors save the guest,
 * restore axv_a64_run's caller's registers and stack and branch to
 * axv_a64_exit_sync/axv_a64_exit_async with (frame, exit); what those
 * return is what axv_a64_run returns. No C frame sits between the caller
 * and the world switch.
 */
enum axv_err axv_a64_run(struct axv_a64_frame *frame, struct axv_exit *exit);
/* Enters the guest again from an exit handler; the host state saved by the
 * axv_a64_run that led here is reused, so the handler's stack frame is
 * simply dropped (no recursion, whatever the optimization level). */
_Noreturn void axv_a64_resume(struct axv_a64_frame *frame);
/* The exit handlers (aarch64.c), entered from the vectors only. */
enum axv_err axv_a64_exit_sync(struct axv_a64_frame *frame, struct axv_exit *exit);
enum axv_err axv_a64_exit_async(struct axv_a64_frame *frame, struct axv_exit *exit, enum axv_a64_reason why);

void axv_a64_fp_save(uint64_t *area);          /* q0..q31, fpsr, fpcr: 66 words */
void axv_a64_fp_restore(const uint64_t *area);
extern const char axv_a64_vectors[];

#endif /* AXV_AARCH64_CONTEXT_H */
