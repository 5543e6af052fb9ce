/*
 * The register frame of the RISC-V world switch; switch.S uses offsets
 * generated from it (asm_defs.c).
 */
#ifndef AXV_RISCV64_CONTEXT_H
#define AXV_RISCV64_CONTEXT_H

#include <stdint.h>

#include "axv/gen/errors.h"

struct axv_exit;
struct axv_vcpu;

struct axv_rv_frame {
    uint64_t x[32];          /* x[0] unused */
    uint64_t sepc;           /* guest pc */
    uint64_t sstatus;        /* HS sstatus while the guest runs (SPP: VS or VU, as hstatus.SPVP) */
    uint64_t hstatus;        /* hstatus while the guest runs (SPV = 1, SPVP: VS or VU); the trap's after a fault */
    uint64_t exit_vec;       /* axv_rv_exit, for stvec while the guest runs */
    struct axv_exit *exit;   /* the caller's record: the exit path fills a hypercall in */
    uint64_t enter_returns;  /* 0: axv_rv_run (tail-calls the decode), else axv_rv_enter (returns) */
    uint64_t work;           /* RV_WORK_* (riscv64.c): zero on the hot path, tested by axv_rv_run_op */
    uint64_t stval, htval, htinst; /* what the last exit saw; not written for an SBI call (all zero) */
    uint64_t host_stvec;
    uint64_t host_sscratch;  /* a host kernel's (Linux keeps 0 there in kernel mode) */
    uint64_t host_sstatus;
    uint64_t host_hstatus;
    uint64_t host_regs[16];  /* ra, sp, gp, tp, s0..s11 */
};

/* What axv_rv_enter returns (in a0, a1). */
struct axv_rv_entered {
    /* NULL: the exit was a vendor-range SBI call (hypercall), and the exit
     * path has filled frame->exit and moved sepc past the ecall. Else the
     * frame, for the decode (sepc moved past an ecall as well). */
    struct axv_rv_frame *decode;
    uint64_t scause;         /* only with decode */
};

/* ops->run: with nothing in frame.work, sets frame.exit and goes straight
 * into axv_rv_run; else axv_rv_run_prepared. v->arch is the frame. */
enum axv_err axv_rv_run_op(struct axv_vcpu *v, struct axv_exit *exit);
/* riscv64.c: loads the vCPU, syncs an injection, then enters. */
enum axv_err axv_rv_run_prepared(struct axv_rv_frame *frame, struct axv_exit *exit);
/* Runs the guest until it traps to HS (frame->enter_returns non-zero). */
struct axv_rv_entered axv_rv_enter(struct axv_rv_frame *frame);
/* The same code, for the round trip (frame->enter_returns 0): AXV_OK after
 * a hypercall, else the exit path continues in
 * axv_rv_run_slow(frame, scause) as a tail call and this returns what that
 * returns. */
enum axv_err axv_rv_run(struct axv_rv_frame *frame);
/* riscv64.c: decodes any exit but a hypercall, and runs the guest again
 * while its calls are answered there. */
enum axv_err axv_rv_run_slow(struct axv_rv_frame *frame, uint64_t scause);
/* The exit path (stvec while a guest runs); not callable. */
void axv_rv_exit(void);


/* What axv_rv_fetch_hu returns when the read faults: no 16-bit value. */
#define AXV_RV_FETCH_FAULT (~(uint64_t)0)
/* The 16 bits at gva as the guest would fetch them (HLVX.HU), with the
 * privilege in hstatus.SPVP (the guest's hstatus at its trap; the other
 * bits are ignored); AXV_RV_FETCH_FAULT if the read faults. For the hart's
 * loaded vCPU (vsatp, hgatp). */
uint64_t axv_rv_fetch_hu(uint64_t gva, uint64_t hstatus);
/* f0..f31 and fcsr: 33 words (needs sstatus.FS on). */
void axv_rv_fp_save(uint64_t *area);
void axv_rv_fp_restore(const uint64_t *area);
/* HFENCE.GVMA for every VMID: after a VMID is reused. */
void axv_rv_hfence_gvma_all(void);

#endif /* AXV_RISCV64_CONTEXT_H */
