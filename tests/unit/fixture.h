/*
 * Test fixture: one sim vCPU driven into any state through the public API,
 * and events fired at it, including from inside a run (state Running).
 */
#ifndef AXV_TEST_FIXTURE_H
#define AXV_TEST_FIXTURE_H

#include <check.h>

#include "axv/axv.h"
#include "axv/sim.h"

#define AXV_FX_NO_FAULT (-1)
#define AXV_FX_INJECTED AXV_ERR_IO

struct axv_fx_outcome {
    enum axv_err err;
    enum axv_vcpu_state state;   /* right after the event (inside the run for Running) */
    uint32_t n_ops;
    enum axv_arch_op ops[AXV_SIM_OP_LOG];
};

struct axv_fx {
    struct axv_vcpu v;
    struct axv_percpu pc;
    struct axv_sim_config cfg;
    struct axv_exit exit;
    /* What the hook fires while Running. */
    bool armed;
    enum axv_vcpu_event ev;
    int fault;
    struct axv_fx_outcome running;
};

/* The sim ops table under test: main runs every suite with each of
 * axv_sim_ops (exits validated) and axv_sim_trusted_ops (run's fast path). */
extern const struct axv_arch_ops *axv_fx_ops;

/* Creates the vCPU and drives it to `state`; fails the test if it cannot. */
void axv_fx_begin(struct axv_fx *f, enum axv_vcpu_state state);
/* The same with the guest program of the caller's choice. */
void axv_fx_begin_prog(struct axv_fx *f, enum axv_vcpu_state state, const struct axv_sim_insn *prog, uint32_t len);
/* Fires ev (with arch op `fault` made to fail unless AXV_FX_NO_FAULT). */
struct axv_fx_outcome axv_fx_fire(struct axv_fx *f, enum axv_vcpu_state state, enum axv_vcpu_event ev, int fault);
/* Checks the outcome against the spec's expectation, naming states and errors on failure. */
void axv_fx_expect(const struct axv_fx_outcome *o, enum axv_err err, enum axv_vcpu_state state,
                   const enum axv_arch_op *ops, uint32_t n_ops);
/* Tears down through the public API and checks no frame leaked. */
void axv_fx_end(struct axv_fx *f);

/* The suites, one file each. */
Suite *axv_transition_suite(void);
Suite *axv_exit_suite(void);
Suite *axv_runtime_suite(void);
Suite *axv_sim_suite(void);
Suite *axv_race_suite(void);
Suite *axv_trace_suite(void);
Suite *axv_handler_suite(void);
Suite *axv_x86_decode_suite(void);
extern const unsigned axv_transition_test_count;
extern const unsigned axv_transition_fault_count;

#endif /* AXV_TEST_FIXTURE_H */
