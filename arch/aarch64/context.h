/*
 * The register frame the world switch saves and loads. The assembly
 * (switch.S) uses offsets generated from this struct (asm_defs.c), so
 * the two cannot disagree.
 */
#ifndef AXV_AARCH64_CONTEXT_H
#define AXV_AARCH64_CONTEXT_H

#include <stdint.h>

#include "axv/gen/aarch64_sysregs.h"
#include "axv/gen/errors.h"

struct axv_exit;
struct axv_vcpu;

/*
 * While the guest runs, SP_EL2 points at this frame (so the exit vector
 * stores the guest's registers without a scratch register); it must be
 * 16-byte aligned, as SCTLR_EL2.SA may check.
 *
 * Where each piece of guest state lives while the vCPU is loaded on a CPU
 * (axv_a64_cpu.loaded, aarch64.c), so that a round trip touches only what
 * changes:
 *  - x0..x30: the frame, saved on every exit, loaded on every entry;
 *  - elr: the frame, written on every exit (so the guest's PC is readable
 *    from any CPU); ELR_EL2 is written from it only when the host changed
 *    it (A64_WORK_PC) or the exit handler moved it on (it writes both);
 *  - sp_el0, spsr: the registers. Nothing at EL2 writes SP_EL0 (the host
 *    runs on SP_EL2) and only an exception taken to EL2 writes SPSR_EL2 (a
 *    guest exit, or a host fault, which the vectors make harmless); so
 *    they are saved here only when another vCPU is loaded, at unbind and
 *    at hardware disable, and written back when this one is loaded again;
 *  - hcr: the frame and HCR_EL2 both, written together when the vCPU is
 *    loaded and when it changes (A64_WORK_IRQ).
 */
struct axv_a64_frame {
    uint64_t x[31];
    uint64_t elr;            /* after x30: one stp on exit */
    uint64_t sp_el0;         /* valid only while the vCPU is not loaded */
    uint64_t spsr;           /* valid only while the vCPU is not loaded */
    uint64_t hcr;            /* HCR_EL2 while this guest runs */
    uint32_t work;           /* A64_WORK_* (aarch64.c): zero on the hot path, tested by axv_a64_run_op */
    uint32_t pad;            /* keeps host_sp, exit 16-byte aligned for one ldp */
    uint64_t host_sp;
    struct axv_exit *exit;   /* where the exit handler writes this run's exit */
    uint64_t host_regs[12];  /* x19..x30 of axv_a64_run's caller */
};

/* EL1h with DAIF masked: how a guest starts, as after reset; also what
 * the vectors leave in SPSR_EL2 after a host fault (switch.S). */
#define AXV_A64_SPSR_EL1H_MASKED                                                                                \
    (AXV_AARCH64_FIELD_PREP(SPSR_EL2, M, AXV_AARCH64_SPSR_EL2_M_EL1H) | AXV_AARCH64_SPSR_EL2_D_MASK |          \
     AXV_AARCH64_SPSR_EL2_A_MASK | AXV_AARCH64_SPSR_EL2_I_MASK | AXV_AARCH64_SPSR_EL2_F_MASK)

/* What the exception vector saw (the async handler's third argument). */
enum axv_a64_reason {
    AXV_A64_SYNC = 0,
    AXV_A64_IRQ = 1,
    AXV_A64_FIQ = 2,
    AXV_A64_SERROR = 3,
};

/*
 * ops->run: with nothing in frame.work, straight into axv_a64_run; else
 * axv_a64_run_slow (aarch64.c) first. v->arch is the frame.
 */
enum axv_err axv_a64_run_op(struct axv_vcpu *v, struct axv_exit *exit);
/* ops->set_return_value: x0 in the frame. */
enum axv_err axv_a64_set_return_value(struct axv_vcpu *v, uint64_t value);
/*
 * Enters the guest described by frame. The exit vectors save the guest,
 * restore axv_a64_run's caller's registers and stack, and either fill in
 * a hypercall's exit record themselves and return AXV_OK to that caller,
 * or branch to axv_a64_exit_sync/axv_a64_exit_async with (frame, exit,
 * ...), whose return value is what axv_a64_run returns. No C frame sits
 * between the caller and the world switch.
 */
enum axv_err axv_a64_run(struct axv_a64_frame *frame, struct axv_exit *exit);
/* Enters the guest again from an exit handler; the host state saved by the
 * axv_a64_run that led here is reused, so the handler's stack frame is
 * simply dropped (no recursion, whatever the optimization level). */
_Noreturn void axv_a64_resume(struct axv_a64_frame *frame);
/* The exit handlers (aarch64.c), entered from the vectors only: a
 * synchronous exit other than a hypercall outside the call table's id
 * span (ESR_EL2 as read by the vector), and IRQ/FIQ/SError. */
enum axv_err axv_a64_exit_sync(struct axv_a64_frame *frame, struct axv_exit *exit, uint64_t esr);
enum axv_err axv_a64_exit_async(struct axv_a64_frame *frame, struct axv_exit *exit, enum axv_a64_reason why);
/* The slow way into the guest (aarch64.c): frame.work is not zero. */
enum axv_err axv_a64_run_slow(struct axv_a64_frame *frame, struct axv_exit *exit);

void axv_a64_fp_save(uint64_t *area);          /* q0..q31, fpsr, fpcr: 66 words */
void axv_a64_fp_restore(const uint64_t *area);
extern const char axv_a64_vectors[];

#endif /* AXV_AARCH64_CONTEXT_H */
