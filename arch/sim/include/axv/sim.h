/*
 * The `sim` backend: a deterministic host simulator behind the ordinary ops
 * table, for unit tests and demos.
 *
 * A guest is a program of axv_sim_insn. The "guest-physical" entry point is
 * an instruction index. EXIT makes the simulated hardware report an exit of
 * any kind, its fields taken in spec order from vals[] (arrays element by
 * element), so every exit kind in spec/exits.yaml is producible without
 * touching this backend. Reads are completed into the register file, which
 * EXPECT checks, so a guest verifies what the VMM answered.
 */
#ifndef AXV_SIM_H
#define AXV_SIM_H

#include <stdint.h>

#include "axv/vcpu.h"

#define AXV_SIM_NUM_GPRS 32u
#define AXV_SIM_MAX_VALS 16u
#define AXV_SIM_OP_LOG 64u
/* Instructions one run may execute before the simulated preemption timer fires. */
#define AXV_SIM_RUN_BUDGET 100000u

enum axv_sim_opcode {
    AXV_SIM_OP_EXIT,      /* report exit `kind` with vals[]; resume at the next instruction */
    AXV_SIM_OP_MOV,       /* regs[reg] = vals[0] */
    AXV_SIM_OP_EXPECT,    /* regs[reg] == vals[0], else an internal_error exit (emulation_failed) */
    AXV_SIM_OP_WAIT_IRQ,  /* regs[reg] = lowest pending vector; a halt exit while none is pending */
    AXV_SIM_OP_JUMP,      /* pc = vals[0] */
    AXV_SIM_OP_LOOP,      /* if --regs[reg] != 0: pc = vals[0] */
    AXV_SIM_OP_HOOK,      /* call the config's hook with vals[0] while the vCPU is Running */
};

struct axv_sim_insn {
    uint8_t op;           /* enum axv_sim_opcode */
    uint8_t kind;         /* enum axv_exit_kind, for EXIT */
    uint8_t reg;
    uint64_t vals[AXV_SIM_MAX_VALS];
};

#define AXV_SIM_EXIT(k, ...) {.op = AXV_SIM_OP_EXIT, .kind = (k), .vals = {__VA_ARGS__}}
#define AXV_SIM_MOV(r, v) {.op = AXV_SIM_OP_MOV, .reg = (r), .vals = {(v)}}
#define AXV_SIM_EXPECT(r, v) {.op = AXV_SIM_OP_EXPECT, .reg = (r), .vals = {(v)}}
#define AXV_SIM_WAIT_IRQ(r) {.op = AXV_SIM_OP_WAIT_IRQ, .reg = (r)}
#define AXV_SIM_JUMP(t) {.op = AXV_SIM_OP_JUMP, .vals = {(t)}}
#define AXV_SIM_LOOP(r, t) {.op = AXV_SIM_OP_LOOP, .reg = (r), .vals = {(t)}}
#define AXV_SIM_HOOK(id) {.op = AXV_SIM_OP_HOOK, .vals = {(id)}}

typedef void (*axv_sim_hook_fn)(struct axv_vcpu *v, uint64_t id, void *ctx);

/* ops->create's config. */
struct axv_sim_config {
    const struct axv_sim_insn *prog;
    uint32_t len;
    axv_sim_hook_fn hook;
    void *hook_ctx;
};

extern const struct axv_arch_ops axv_sim_ops;
/*
 * The same backend with trusted_exits set, as the hardware backends have
 * it: exits are not validated, so axv_vcpu_run() takes its fast path; and
 * with run_handled, which asks a vCPU's exit handler about hypercalls
 * itself. The host tests run every suite with both tables.
 */
extern const struct axv_arch_ops axv_sim_trusted_ops;

/* Fault injection: the next call of `op` on this vCPU returns err (0 clears). */
void axv_sim_fail_op(struct axv_vcpu *v, enum axv_arch_op op, enum axv_err err);
/* The next complete_read on this vCPU returns err. */
void axv_sim_fail_complete(struct axv_vcpu *v, enum axv_err err);
/* The next sim create / percpu_init / hardware_enable / hardware_disable in this thread fails. */
enum axv_sim_global_op {
    AXV_SIM_FAIL_CREATE,
    AXV_SIM_FAIL_PERCPU_INIT,
    AXV_SIM_FAIL_HW_ENABLE,
    AXV_SIM_FAIL_HW_DISABLE,
};
#define AXV_SIM_GLOBAL_OPS 4u
void axv_sim_fail_global(enum axv_sim_global_op op, enum axv_err err);

/* Inspection for tests. */
uint64_t axv_sim_gpr(const struct axv_vcpu *v, uint32_t reg);
uint32_t axv_sim_pc(const struct axv_vcpu *v);
/*
 * The arch ops this thread called on v since the last clear, oldest first
 * (destroy included); returns how many (at most max).
 */
uint32_t axv_sim_op_log(const struct axv_vcpu *v, enum axv_arch_op *out, uint32_t max);
void axv_sim_op_log_clear(void);
/* The nested paging config setup received. */
struct axv_npt_config axv_sim_npt(const struct axv_vcpu *v);

/* A hosted HAL for tests and demos: malloc'd frames, identity "physical" addresses. */
const struct axv_hal *axv_host_hal(void);
/* The physical CPU id the calling thread pretends to run on (default 0). */
void axv_host_set_cpu(uint32_t cpu);
/* The host HAL's cpu_id (the calling thread's logical CPU, set by
 * axv_host_set_cpu); extern so that hosted builds can name it as the
 * runtime's AXV_HAL_CPU_ID_HINT. */
uint32_t axv_host_cpu_id(void *ctx);
/* Frames currently allocated through the host HAL (leak checks). */
long axv_host_frames_in_use(void);

#endif /* AXV_SIM_H */
