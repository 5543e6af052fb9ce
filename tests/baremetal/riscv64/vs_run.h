/*
 * A minimal HS -> VS entry for the harness's own self-tests (not a
 * backend, not used by one): runs a guest in VS-mode until its first trap
 * to HS and returns the guest's registers and the trap CSRs. It checks
 * what the harness gives a backend, on the real (emulated) hardware: the
 * G-stage tables (gstage.h) and the guest macros (guest.h).
 *
 * The caller sets hgatp (and hfence.gvma), vsatp, hedeleg and the guest's
 * registers and pc; bm_rv_vs_run sets hstatus.SPV/SPVP and sstatus.SPP,
 * swaps stvec for the duration, and clears SPV/SPVP and sscratch again.
 * Nothing else is switched: no FP, no VS CSRs, no interrupts.
 */
#ifndef BM_VS_RUN_H
#define BM_VS_RUN_H

#include <stdint.h>

struct bm_rv_vs {
    uint64_t x[32];     /* the guest's x0..x31 (x0 ignored): in and out */
    uint64_t pc;        /* in: where the guest starts; out: sepc of its trap */
    uint64_t scause, stval, htval, htinst;  /* out */
    uint64_t host[17];  /* ra, sp, gp, tp, s0..s11, stvec of the caller */
};

void bm_rv_vs_run(struct bm_rv_vs *vs);

#endif /* BM_VS_RUN_H */
