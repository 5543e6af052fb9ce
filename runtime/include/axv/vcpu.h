/*
 * The vCPU: a checked lifecycle on the generated state machine.
 *
 * The caller owns struct axv_vcpu (no allocation in the core). Every call
 * returns AXV_OK or an error; a call the current state does not allow returns
 * AXV_ERR_BAD_STATE and changes nothing. State changes are compare-and-swap,
 * so two CPUs racing on one vCPU cannot both win.
 */
#ifndef AXV_VCPU_H
#define AXV_VCPU_H

#include <stdbool.h>
#include <stdint.h>

#include "axv/arch.h"
#include "axv/gen/vcpu_sm.h"
#include "axv/hal.h"
#include "axv/percpu.h"
#include "axv/trace.h"

struct axv_vcpu;

/*
 * What an exit handler made of an exit (axv_vcpu_config.on_exit).
 *   DELIVER: axv_vcpu_run() returns the exit to its caller, as without a handler.
 *   RESUME:  handled, nothing to give the guest; it is entered again.
 *   ANSWER:  handled; `value` completes the read (as axv_vcpu_complete_read()
 *            would) or, for any other exit, becomes the guest's return value
 *            (as axv_vcpu_set_return_value() would); the guest is entered again.
 * A read exit the handler RESUMEs, or any other action, is delivered instead:
 * a read is never left without its value.
 */
enum axv_exit_action {
    AXV_EXIT_DELIVER = 0,
    AXV_EXIT_RESUME = 1,
    AXV_EXIT_ANSWER = 2,
    AXV_EXIT_UNASKED = 0xff, /* between runtime and backend (ops->run_handled); a handler's is delivered */
};

/* Two words, no padding: returned in two registers on every supported ABI.
 * Aligned to 16 so that GCC does not build it in memory under -mstrict-align. */
struct axv_exit_verdict {
    _Alignas(16) uint64_t action; /* enum axv_exit_action */
    uint64_t value;
};

/* A handler's verdicts. Macros: GCC 12 gives an inlined function that
 * returns a struct a stack frame it never uses. */
#define axv_exit_deliver() ((struct axv_exit_verdict){AXV_EXIT_DELIVER, 0})
#define axv_exit_resume() ((struct axv_exit_verdict){AXV_EXIT_RESUME, 0})
#define axv_exit_answer(value) ((struct axv_exit_verdict){AXV_EXIT_ANSWER, (value)})

/*
 * Called inside axv_vcpu_run(), on its thread, for every exit while the vCPU
 * is Running; the exits it handles never leave the run (as KVM handles
 * exits in the kernel before going back to user space). The vCPU is
 * Running meanwhile: lifecycle and register calls on it are refused.
 */
typedef struct axv_exit_verdict (*axv_exit_handler)(void *ctx, struct axv_vcpu *v, const struct axv_exit *exit);

struct axv_vcpu_config {
    uint32_t vm_id;
    uint32_t vcpu_id;          /* 0 is the bootstrap processor */
    uint32_t favor_cpu;        /* physical CPU the scheduler should prefer */
    uint64_t affinity;         /* allowed physical CPUs, bit per CPU; 0 = any */
    const void *arch_config;   /* handed to ops->create */
    axv_exit_handler on_exit;  /* NULL: every exit is returned by axv_vcpu_run() */
    void *on_exit_ctx;         /* its first argument */
};

/*
 * The fields an exit touches come first, in one cache line: after a world
 * switch every line the exit path reads is likely cold.
 */
struct axv_vcpu {
    uint32_t state;            /* enum axv_vcpu_state | AXV_VCPU_BUSY; atomic */
    /* Why axv_vcpu_run() must take its checked path; all clear normally. */
    union {
        struct {
            bool read_pending;   /* last exit was a read not yet completed */
            bool validate_exits; /* the backend's ops->trusted_exits is false */
            bool traced;         /* trace.recs is set (axv_trace_attach) */
        };
        uint32_t run_checks;     /* all at once, for the exit path's one test */
    };
    bool arch_live;            /* backend resources not yet destroyed */
    struct axv_exit_read_shape read_shape; /* of that read */
    const struct axv_arch_ops *ops;
    const struct axv_hal *hal;
    void *arch;                /* backend private, set by ops->create */
    /* Where the backend keeps the guest's return-value register while the
     * vCPU is not running, if it is plain memory (set by ops->create, fixed
     * for the vCPU's life): then the runtime stores return values there
     * itself instead of calling ops->set_return_value. NULL: always the op. */
    uint64_t *ret_reg;
    struct axv_percpu *pcpu;   /* where the vCPU is bound, or NULL */
    axv_exit_handler on_exit;
    void *on_exit_ctx;
    struct axv_trace trace;    /* .recs is checked on every event */
    uint32_t vm_id;
    uint32_t vcpu_id;
    uint32_t favor_cpu;
    uint64_t affinity;
};

/* Set in the state word while an exclusive event's arch ops run. */
#define AXV_VCPU_BUSY 0x100u
#define AXV_VCPU_STATE_MASK 0xffu

/* -> Created. On failure the vCPU is Invalid and needs no destroy. */
enum axv_err axv_vcpu_create(struct axv_vcpu *v, const struct axv_vcpu_config *cfg,
                             const struct axv_arch_ops *ops, const struct axv_hal *hal);
/* Created -> Free: set_entry, set_npt, setup, in that order. */
enum axv_err axv_vcpu_setup(struct axv_vcpu *v, uint64_t entry_gpa, const struct axv_npt_config *npt,
                            const void *setup_config);
/* Free -> Ready on the calling physical CPU (its per-CPU object must be enabled). */
enum axv_err axv_vcpu_bind(struct axv_vcpu *v);
/* Ready -> Free; must run on the CPU the vCPU is bound to. */
enum axv_err axv_vcpu_unbind(struct axv_vcpu *v);
/*
 * Ready -> Running -> Ready: enters the guest until its next exit, copied to
 * *exit. After a read exit (exit->kind is a read), call
 * axv_vcpu_complete_read() before running again (else AXV_ERR_IN_PROGRESS).
 */
enum axv_err axv_vcpu_run(struct axv_vcpu *v, struct axv_exit *exit);
/* Ready -> Blocked, Blocked -> Ready. */
enum axv_err axv_vcpu_block(struct axv_vcpu *v);
enum axv_err axv_vcpu_unblock(struct axv_vcpu *v);
/* Created/Free/Invalid -> Invalid, releasing the backend's resources once. */
enum axv_err axv_vcpu_destroy(struct axv_vcpu *v);

enum axv_err axv_vcpu_set_entry(struct axv_vcpu *v, uint64_t entry_gpa);
/* AXV_ERR_INVALID_INPUT for a register number the backend does not have. */
enum axv_err axv_vcpu_set_gpr(struct axv_vcpu *v, uint32_t reg, uint64_t value);
enum axv_err axv_vcpu_set_return_value(struct axv_vcpu *v, uint64_t value);
/* Safe from another thread while the vCPU runs. */
enum axv_err axv_vcpu_inject_interrupt(struct axv_vcpu *v, uint32_t vector);
/*
 * Completes the last read exit (MMIO, I/O or system register): truncates
 * `value` to the access width, sign-extends when the exit says so, cuts it to
 * the register width and hands it to the backend. AXV_ERR_BAD_STATE when no
 * read is pending.
 */
enum axv_err axv_vcpu_complete_read(struct axv_vcpu *v, uint64_t value);

/* The state (without the busy bit). */
enum axv_vcpu_state axv_vcpu_state(const struct axv_vcpu *v);
static inline bool axv_vcpu_is_bsp(const struct axv_vcpu *v)
{
    return v->vcpu_id == 0;
}

/* The value a read completion delivers, per the exit's shape (exposed for backends and tests). */
uint64_t axv_read_value_shape(const struct axv_exit_read_shape *shape, uint64_t value);

#endif /* AXV_VCPU_H */
