/*
 * vCPU lifecycle on the generated state machine.
 *
 * Every public operation is an event of spec/vcpu.yaml. axv_vcpu_fire()
 * looks the (state, event) pair up in the generated table, claims the vCPU
 * with a compare-and-swap, calls the event's arch ops in spec order, and
 * publishes the outcome: the target state, or the arch-failure state when an
 * op failed.
 */
#include <stddef.h>

#include "atomic.h"
#include "axv/vcpu.h"
#include "internal.h"

/* The arguments any arch op of an event may need. */
struct axv_call {
    uint64_t gpa;
    const struct axv_npt_config *npt;
    const void *config;
    uint32_t reg;
    uint64_t value;
    struct axv_exit *exit;
};

#ifndef AXV_NO_TRACE
static uint64_t axv_now(const struct axv_vcpu *v)
{
    return v->hal->now_ns ? v->hal->now_ns(v->hal->ctx) : 0;
}
#endif

/* Inline so that an untraced vCPU pays one load and one branch. */
static inline void axv_vcpu_trace(struct axv_vcpu *v, uint32_t tp, uint32_t from, uint32_t to, enum axv_err err,
                                  uint64_t a0, uint64_t a1)
{
#ifndef AXV_NO_TRACE
    if (axv_trace_wants(&v->trace, tp))
        axv_trace_record(&v->trace, axv_now(v), tp, from, to, (uint32_t)err, a0, a1);
#else
    (void)v, (void)tp, (void)from, (void)to, (void)err, (void)a0, (void)a1;
#endif
}

/*
 * fp(args), made a direct call to `hint` when fp is it (Linux's
 * INDIRECT_CALL_1). The hints are build options (hal.h, arch.h): after a
 * guest exit the branch predictors may be cold, and an indirect call then
 * costs ~30 cycles, about 0.4% of a KVM exit here.
 */
#define AXV_HINTED_CALL(fp, hint, ...) (__builtin_expect((fp) == (hint), 1) ? (hint)(__VA_ARGS__) : (fp)(__VA_ARGS__))

#ifdef AXV_HAL_CPU_ID_HINT
uint32_t AXV_HAL_CPU_ID_HINT(void *ctx);
#define axv_vcpu_this_cpu(v) AXV_HINTED_CALL((v)->hal->cpu_id, AXV_HAL_CPU_ID_HINT, (v)->hal->ctx)
#else
#define axv_vcpu_this_cpu(v) (v)->hal->cpu_id((v)->hal->ctx)
#endif
#ifdef AXV_RUN_HINT
enum axv_err AXV_RUN_HINT(struct axv_vcpu *v, struct axv_exit *exit);
#define axv_vcpu_run_op(v, e) AXV_HINTED_CALL((v)->ops->run, AXV_RUN_HINT, (v), (e))
#else
#define axv_vcpu_run_op(v, e) (v)->ops->run((v), (e))
#endif
#ifdef AXV_COMPLETE_READ_HINT
enum axv_err AXV_COMPLETE_READ_HINT(struct axv_vcpu *v, const struct axv_exit_read_shape *shape, uint64_t value);
#define axv_vcpu_complete_read_op(v, s, x) AXV_HINTED_CALL((v)->ops->complete_read, AXV_COMPLETE_READ_HINT, (v), (s), (x))
#else
#define axv_vcpu_complete_read_op(v, s, x) (v)->ops->complete_read((v), (s), (x))
#endif

#ifndef AXV_NO_TRACE
static __attribute__((noinline)) void axv_vcpu_trace_exit(struct axv_vcpu *v, const struct axv_exit *exit, uint32_t to)
{
    uint32_t tp = axv_trace_point_of_exit(exit->kind);
    if (axv_trace_wants(&v->trace, tp)) {
        uint64_t a0, a1;
        axv_exit_trace_args(exit, &a0, &a1);
        axv_trace_record(&v->trace, axv_now(v), tp, AXV_VCPU_RUNNING, to, AXV_OK, a0, a1);
    }
}
#endif

/*
 * Carries out a verdict other than an answer stored at ret_reg: a read's
 * value, a return value through the op, or a resume; *deliver when the
 * exit goes to run's caller instead. Out of line: the hot loop keeps its
 * registers.
 */
static __attribute__((noinline)) enum axv_err axv_vcpu_verdict(struct axv_vcpu *v, const struct axv_exit *exit,
                                                              struct axv_exit_verdict verdict, bool *deliver)
{
    const bool read = axv_exit_kind_is_read(exit->kind);

    if (verdict.action == AXV_EXIT_ANSWER && read) {
        struct axv_exit_read_shape shape;
        if (!axv_exit_read_shape(exit, &shape))
            return AXV_ERR_INVALID_INPUT;
        return axv_vcpu_complete_read_op(v, &shape, axv_read_value_shape(&shape, verdict.value));
    }
    if (verdict.action == AXV_EXIT_ANSWER) {
        if (!v->ret_reg)
            return v->ops->set_return_value(v, verdict.value);
        *v->ret_reg = verdict.value;
        return AXV_OK;
    }
    /* A read is never resumed without its value. */
    *deliver = verdict.action != AXV_EXIT_RESUME || read;
    return AXV_OK;
}

/* axv_vcpu_handle_exits' loop, made once for each kind of backend. */
static inline __attribute__((always_inline)) enum axv_err axv_vcpu_handle_loop(struct axv_vcpu *v, struct axv_exit *exit,
                                                                            const bool backend_asks)
{
    /* Fixed for the vCPU's life: loaded once, not per exit. */
    const axv_exit_handler handler = v->on_exit;
    void *const ctx = v->on_exit_ctx;
    uint64_t *const ret_reg = v->ret_reg;
    enum axv_err (*const run)(struct axv_vcpu *, struct axv_exit *) = v->ops->run;
    enum axv_err (*const run_handled)(struct axv_vcpu *, struct axv_exit *, struct axv_exit_verdict *) =
        v->ops->run_handled;
    struct axv_exit_verdict verdict = handler(ctx, v, exit);

    for (;;) {
        enum axv_err err;

        /* The common case: a call answered, its return value stored. */
        if (__builtin_expect(verdict.action == AXV_EXIT_ANSWER && exit->kind == AXV_EXIT_HYPERCALL && ret_reg != NULL,
                             1)) {
            *ret_reg = verdict.value;
        } else {
            bool deliver = false;
            err = axv_vcpu_verdict(v, exit, verdict, &deliver);
            if (err || deliver)
                return err;
        }
        /* read_pending is clear in a run: only tracing and validation remain. */
        if (__builtin_expect(v->run_checks != 0, 0)) {
#ifndef AXV_NO_TRACE
            if (v->traced)
                axv_vcpu_trace_exit(v, exit, AXV_VCPU_RUNNING);
#endif
            err = run(v, exit);
            if (!err && v->validate_exits)
                err = axv_exit_validate(exit, NULL);
        } else if (backend_asks) {
            /* The backend may ask the handler itself; then it says so. */
            verdict.action = AXV_EXIT_UNASKED;
            err = run_handled(v, exit, &verdict);
            if (!err && verdict.action != AXV_EXIT_UNASKED)
                continue;
        } else {
            err = run(v, exit);
        }
        if (err)
            return err;
        verdict = handler(ctx, v, exit);
    }
}

/*
 * One run with an exit handler (axv_vcpu_config.on_exit): the handler gets
 * each exit while the vCPU stays Running; what it handles is answered and
 * the guest entered again, until it hands an exit to run's caller or an op
 * fails. Each re-entry's exit is validated as the first one was; a handled
 * exit is traced as Running -> Running. A backend with run_handled may ask
 * the handler itself from its exit path; the loop is then mostly its own.
 */
static __attribute__((noinline)) enum axv_err axv_vcpu_handle_exits(struct axv_vcpu *v, struct axv_exit *exit)
{
    if (v->ops->run_handled)
        return axv_vcpu_handle_loop(v, exit, true);
    return axv_vcpu_handle_loop(v, exit, false);
}

static inline __attribute__((always_inline)) enum axv_err axv_vcpu_call_op(struct axv_vcpu *v, enum axv_arch_op op,
                                                                          struct axv_call *c)
{
    const struct axv_arch_ops *ops = v->ops;

    switch (op) {
    case AXV_ARCH_OP_SET_ENTRY:
        return ops->set_entry(v, c->gpa);
    case AXV_ARCH_OP_SET_NPT:
        return ops->set_npt(v, c->npt);
    case AXV_ARCH_OP_SETUP:
        return ops->setup(v, c->config);
    case AXV_ARCH_OP_BIND:
        return ops->bind(v);
    case AXV_ARCH_OP_UNBIND:
        return ops->unbind(v);
    case AXV_ARCH_OP_RUN: {
        /* A backend that reports a malformed exit has failed like any other op. */
        enum axv_err err = ops->run(v, c->exit);
        if (!err && v->validate_exits)
            err = axv_exit_validate(c->exit, NULL);
        return err || !v->on_exit ? err : axv_vcpu_handle_exits(v, c->exit);
    }
    case AXV_ARCH_OP_SET_GPR:
        return ops->set_gpr(v, c->reg, c->value);
    case AXV_ARCH_OP_INJECT_INTERRUPT:
        return ops->inject_interrupt(v, (uint32_t)c->value);
    case AXV_ARCH_OP_SET_RETURN_VALUE:
        if (v->ret_reg) {
            *v->ret_reg = c->value;
            return AXV_OK;
        }
        return ops->set_return_value(v, c->value);
    case AXV_ARCH_OP_DESTROY:
        return v->arch_live ? ops->destroy(v) : AXV_OK;
    }
    return AXV_ERR_UNSUPPORTED;
}

static void axv_vcpu_release_cpu(struct axv_vcpu *v)
{
    if (v->pcpu) {
        __atomic_fetch_sub(&v->pcpu->bound, 1u, __ATOMIC_ACQ_REL);
        v->pcpu = NULL;
    }
}

/* A NULL pointer or a vCPU never created is refused, not dereferenced. */
static inline bool axv_vcpu_usable(const struct axv_vcpu *v)
{
    return v && v->ops && v->hal;
}

/*
 * On-CPU events run on the CPU the vCPU is bound to (or, for bind, any CPU
 * whose per-CPU object for this backend is enabled) and make it current there.
 */
static inline __attribute__((always_inline)) enum axv_err axv_vcpu_enter_cpu(struct axv_vcpu *v, struct axv_percpu **pcp,
                                                                          uint32_t *cpu)
{
    *cpu = v->hal->cpu_id(v->hal->ctx);
    struct axv_percpu *pc = v->pcpu ? v->pcpu : axv_percpu_find(*cpu, v->ops);

    if (!pc || pc->cpu_id != *cpu || !(axv_load(&pc->flags) & AXV_PERCPU_ENABLED))
        return AXV_ERR_BAD_STATE;
    *pcp = pc;
    return axv_current_claim(*cpu, v);
}

/*
 * Publishes an event's outcome once its arch ops returned: the target state,
 * or the arch-failure state when an op failed; releases what the event
 * claimed and traces it. word is the state word the event started from,
 * hold the word it held meanwhile.
 */
static inline __attribute__((always_inline)) void axv_vcpu_settle(struct axv_vcpu *v, enum axv_vcpu_event ev,
                                                                  uint32_t word, uint32_t hold, uint32_t to,
                                                                  enum axv_err err, uint32_t cpu,
                                                                  struct axv_percpu *pc, uint64_t value)
{
    const struct axv_vcpu_event_info *info = &axv_vcpu_events[ev];
    const uint32_t from = word & AXV_VCPU_STATE_MASK;
    uint32_t next = to;

    if (err) {
        next = info->keep_on_failure ? from : AXV_VCPU_ARCH_FAILURE_STATE;
    } else if (ev == AXV_EVENT_BIND) {
        __atomic_fetch_add(&pc->bound, 1u, __ATOMIC_ACQ_REL);
        v->pcpu = pc;
    } else if (ev == AXV_EVENT_UNBIND) {
        axv_vcpu_release_cpu(v);
    } else if (ev == AXV_EVENT_DESTROY) {
        v->arch_live = false;
    }
    if (next == AXV_VCPU_ARCH_FAILURE_STATE && next != from)
        axv_vcpu_release_cpu(v);

    if (info->exclusive) {
        if (next != hold)
            axv_store(&v->state, next);
    }
    else if (next != from)
        axv_cas(&v->state, word, next);
    if (info->on_cpu)
        axv_current_release(cpu);
    axv_vcpu_trace(v, axv_trace_point_of_event(ev), from, next, err, value, 0);
}

static inline __attribute__((always_inline)) enum axv_err axv_vcpu_fire(struct axv_vcpu *v, enum axv_vcpu_event ev,
                                                                       struct axv_call *call)
{
    if (!axv_vcpu_usable(v))
        return AXV_ERR_INVALID_INPUT;

    const struct axv_vcpu_event_info *info = &axv_vcpu_events[ev];
    const uint32_t tp = axv_trace_point_of_event(ev);
    uint32_t word = axv_load(&v->state);
    const uint32_t from = word & AXV_VCPU_STATE_MASK;
    const uint32_t to = axv_vcpu_sm_step(from, ev);
    struct axv_percpu *pc = NULL;
    uint32_t cpu = 0;
    enum axv_err err;

    if (to == AXV_VCPU_REJECT) {
        axv_vcpu_trace(v, tp, from, from, AXV_ERR_BAD_STATE, call->value, 0);
        return AXV_ERR_BAD_STATE;
    }
    if (info->exclusive && (word & AXV_VCPU_BUSY)) {
        axv_vcpu_trace(v, tp, from, from, AXV_ERR_RESOURCE_BUSY, call->value, 0);
        return AXV_ERR_RESOURCE_BUSY;
    }
    if (info->on_cpu) {
        err = axv_vcpu_enter_cpu(v, &pc, &cpu);
        if (err) {
            axv_vcpu_trace(v, tp, from, from, err, call->value, 0);
            return err;
        }
    }
    /* With no arch op to wait for, the claim is the whole transition. */
    uint32_t hold = info->n_ops == 0 ? to : info->during != AXV_VCPU_NO_STATE ? info->during : (from | AXV_VCPU_BUSY);
    if (info->exclusive) {
        if (!axv_cas(&v->state, word, hold)) {
            /* Another CPU changed the vCPU since we looked: it won. */
            if (info->on_cpu)
                axv_current_release(cpu);
            err = (axv_load(&v->state) & AXV_VCPU_BUSY) ? AXV_ERR_RESOURCE_BUSY : AXV_ERR_BAD_STATE;
            axv_vcpu_trace(v, tp, from, from, err, call->value, 0);
            return err;
        }
    }

    err = AXV_OK;
    for (uint32_t i = 0; i < info->n_ops && err == AXV_OK; i++)
        err = axv_vcpu_call_op(v, (enum axv_arch_op)info->ops[i], call);
    axv_vcpu_settle(v, ev, word, hold, to, err, cpu, pc, call->value);
    return err;
}

/* The settle step of a fast path whose arch op failed: rare, kept out of line. */
static __attribute__((noinline, cold)) enum axv_err axv_vcpu_settle_failure(struct axv_vcpu *v, enum axv_vcpu_event ev,
                                                                         uint32_t word, uint32_t hold, uint32_t to,
                                                                         enum axv_err err, uint32_t cpu, uint64_t value)
{
    axv_vcpu_settle(v, ev, word, hold, to, err, cpu, v->pcpu, value);
    return err;
}

enum axv_err axv_vcpu_create(struct axv_vcpu *v, const struct axv_vcpu_config *cfg,
                             const struct axv_arch_ops *ops, const struct axv_hal *hal)
{
    if (!v || !cfg || !ops || !hal || !hal->cpu_id)
        return AXV_ERR_INVALID_INPUT;

    /* A fresh object: the caller may reuse memory of a destroyed vCPU. */
    *v = (struct axv_vcpu){
        .state = AXV_VCPU_ARCH_FAILURE_STATE,
        .vm_id = cfg->vm_id,
        .vcpu_id = cfg->vcpu_id,
        .favor_cpu = cfg->favor_cpu,
        .affinity = cfg->affinity,
        .run_checks = 0,
        .ops = ops,
        .hal = hal,
        .on_exit = cfg->on_exit,
        .on_exit_ctx = cfg->on_exit_ctx,
    };
    v->validate_exits = !ops->trusted_exits;
    enum axv_err err = ops->create(v, cfg->arch_config);
    if (err)
        return err;
    v->arch_live = true;
    axv_store(&v->state, AXV_VCPU_INITIAL_STATE);
    return AXV_OK;
}

enum axv_err axv_vcpu_setup(struct axv_vcpu *v, uint64_t entry_gpa, const struct axv_npt_config *npt,
                            const void *setup_config)
{
    if (!npt)
        return AXV_ERR_INVALID_INPUT;
    struct axv_call c = {.gpa = entry_gpa, .npt = npt, .config = setup_config, .value = entry_gpa};
    return axv_vcpu_fire(v, AXV_EVENT_SETUP, &c);
}

enum axv_err axv_vcpu_bind(struct axv_vcpu *v)
{
    struct axv_call c = {0};
    return axv_vcpu_fire(v, AXV_EVENT_BIND, &c);
}

enum axv_err axv_vcpu_unbind(struct axv_vcpu *v)
{
    struct axv_call c = {0};
    return axv_vcpu_fire(v, AXV_EVENT_UNBIND, &c);
}


/* After any run that delivered an exit: remember a read's shape, trace the exit. */
static inline __attribute__((always_inline)) void axv_vcpu_exit_delivered(struct axv_vcpu *v, const struct axv_exit *exit)
{
    if (axv_exit_kind_is_read(exit->kind))
        v->read_pending = axv_exit_read_shape(exit, &v->read_shape);
#ifndef AXV_NO_TRACE
    if (v->traced)
        axv_vcpu_trace_exit(v, exit, AXV_VCPU_READY);
#endif
}

/* Every run the fast path declines: refusals are explained and traced here. */
static __attribute__((noinline)) enum axv_err axv_vcpu_run_checked(struct axv_vcpu *v, struct axv_exit *exit)
{
    if (!axv_vcpu_usable(v))
        return AXV_ERR_INVALID_INPUT;
    if (v->read_pending)
        return AXV_ERR_IN_PROGRESS;

    /* The backend writes the caller's exit directly; only a read's shape is kept. */
    struct axv_call c = {.exit = exit};
    enum axv_err err = axv_vcpu_fire(v, AXV_EVENT_RUN, &c);
    if (err)
        return err;
    axv_vcpu_exit_delivered(v, exit);
    return AXV_OK;
}

/* The one state run is legal from in the spec (checked in fast_shape below). */
#define AXV_VCPU_READY_FOR_RUN AXV_VCPU_READY

/* The run op of a fast run failed: settle it as fire() does, out of line. */
static __attribute__((noinline, cold)) enum axv_err axv_vcpu_run_failed(struct axv_vcpu *v, enum axv_err err)
{
    return axv_vcpu_settle_failure(v, AXV_EVENT_RUN, AXV_VCPU_READY_FOR_RUN, axv_vcpu_events[AXV_EVENT_RUN].during,
                                   AXV_VCPU_READY_FOR_RUN, err, v->pcpu->cpu_id, 0);
}

/*
 * The call every VMM loop makes once per exit. The common case (a legal,
 * idle, untraced vCPU on the CPU it is bound to, no read awaiting its value)
 * is axv_vcpu_fire() for this one event with the spec's facts folded in:
 * the same claim, arch op and outcome, without the generic bookkeeping.
 * Anything else, including every refusal, takes the checked path.
 */
enum axv_err axv_vcpu_run(struct axv_vcpu *v, struct axv_exit *exit)
{
    const struct axv_vcpu_event_info *info = &axv_vcpu_events[AXV_EVENT_RUN];
    /* Folded at compile time; a spec that changes run's shape disables the fast path. */
    const bool fast_shape = info->exclusive && info->on_cpu && info->n_ops == 1 && info->ops[0] == AXV_ARCH_OP_RUN &&
                            info->during != AXV_VCPU_NO_STATE &&
                            axv_vcpu_keeps[AXV_EVENT_RUN] == 1u << AXV_VCPU_READY_FOR_RUN;

    if (__builtin_expect(!exit || !v, 0))
        return AXV_ERR_INVALID_INPUT;
    /* A busy word is no state, and a never-created vCPU is Invalid: both
     * decline. */
    if (!fast_shape || axv_load(&v->state) != AXV_VCPU_READY_FOR_RUN || v->run_checks)
        return axv_vcpu_run_checked(v, exit);

    /* The claim as axv_current_claim() makes it, through the slot pointer
     * the per-CPU object keeps (no table base held across the run). pcpu
     * is read once: a caller on the wrong CPU may race with an unbind. */
    struct axv_percpu *pc = __atomic_load_n(&v->pcpu, __ATOMIC_RELAXED);
    if (!pc || axv_vcpu_this_cpu(v) != pc->cpu_id || __atomic_load_n(pc->current, __ATOMIC_RELAXED))
        return axv_vcpu_run_checked(v, exit);
    struct axv_vcpu **slot = pc->current;
    __atomic_store_n(slot, v, __ATOMIC_RELAXED);
    if (!axv_cas(&v->state, AXV_VCPU_READY_FOR_RUN, info->during)) {
        __atomic_store_n(slot, NULL, __ATOMIC_RELEASE);
        return axv_vcpu_run_checked(v, exit);
    }

    /* Trusted exits only here (run_checks): no validation to do. */
    enum axv_err err = axv_vcpu_run_op(v, exit);
    if (v->on_exit && err == AXV_OK)
        err = axv_vcpu_handle_exits(v, exit);
    if (__builtin_expect(err != AXV_OK, 0))
        return axv_vcpu_run_failed(v, err);
    /* Running: no unbind can have changed pcpu meanwhile. */
    axv_store(&v->state, AXV_VCPU_READY_FOR_RUN);
    __atomic_store_n(v->pcpu->current, NULL, __ATOMIC_RELEASE);
    axv_vcpu_exit_delivered(v, exit);
    return AXV_OK;
}

enum axv_err axv_vcpu_block(struct axv_vcpu *v)
{
    struct axv_call c = {0};
    return axv_vcpu_fire(v, AXV_EVENT_BLOCK, &c);
}

enum axv_err axv_vcpu_unblock(struct axv_vcpu *v)
{
    struct axv_call c = {0};
    return axv_vcpu_fire(v, AXV_EVENT_UNBLOCK, &c);
}

enum axv_err axv_vcpu_destroy(struct axv_vcpu *v)
{
    struct axv_call c = {0};
    return axv_vcpu_fire(v, AXV_EVENT_DESTROY, &c);
}

enum axv_err axv_vcpu_set_entry(struct axv_vcpu *v, uint64_t entry_gpa)
{
    struct axv_call c = {.gpa = entry_gpa, .value = entry_gpa};
    return axv_vcpu_fire(v, AXV_EVENT_SET_ENTRY, &c);
}

/* Any event, checked, with the event not known at compile time: the slow
 * path of the fast ones below, kept out of line so that theirs stays short. */
static __attribute__((noinline)) enum axv_err axv_vcpu_fire_checked(struct axv_vcpu *v, enum axv_vcpu_event ev,
                                                                    struct axv_call *call)
{
    return axv_vcpu_fire(v, ev, call);
}

/* A register event's arch op failed: settle from the state it ran in (no
 * other event changes the state of a vCPU in the middle of this one's op
 * but inject_interrupt, which keeps it). */
static __attribute__((noinline, cold)) enum axv_err axv_vcpu_light_failed(struct axv_vcpu *v, enum axv_vcpu_event ev,
                                                                       enum axv_err err)
{
    uint32_t word = axv_load(&v->state);
    return axv_vcpu_settle_failure(v, ev, word, word, word, err, 0, 0);
}

/*
 * Register events (set_gpr, set_return_value, inject_interrupt) claim
 * nothing and, when legal, leave the state as it is: the fast path checks
 * that against the spec's table and calls the one arch op. A refusal or a
 * traced vCPU takes the checked path; an op failure settles like fire().
 */
static inline __attribute__((always_inline)) enum axv_err axv_vcpu_fire_light(struct axv_vcpu *v, enum axv_vcpu_event ev,
                                                                             uint32_t reg, uint64_t value)
{
    const struct axv_vcpu_event_info *info = &axv_vcpu_events[ev];
    const bool fast_shape = !info->exclusive && !info->on_cpu && info->n_ops == 1;

    if (fast_shape && v && axv_vcpu_sm_keeps(axv_load(&v->state), ev) && !v->traced) {
        struct axv_call c = {.reg = reg, .value = value};
        enum axv_err err = axv_vcpu_call_op(v, (enum axv_arch_op)info->ops[0], &c);
        if (__builtin_expect(err == AXV_OK, 1))
            return AXV_OK;
        return axv_vcpu_light_failed(v, ev, err);
    }
    struct axv_call c = {.reg = reg, .value = value};
    return axv_vcpu_fire_checked(v, ev, &c);
}

enum axv_err axv_vcpu_set_gpr(struct axv_vcpu *v, uint32_t reg, uint64_t value)
{
    if (!axv_vcpu_usable(v) || reg >= v->ops->num_gprs)
        return AXV_ERR_INVALID_INPUT;
    return axv_vcpu_fire_light(v, AXV_EVENT_SET_GPR, reg, value);
}

enum axv_err axv_vcpu_set_return_value(struct axv_vcpu *v, uint64_t value)
{
    return axv_vcpu_fire_light(v, AXV_EVENT_SET_RETURN_VALUE, 0, value);
}

enum axv_err axv_vcpu_inject_interrupt(struct axv_vcpu *v, uint32_t vector)
{
    return axv_vcpu_fire_light(v, AXV_EVENT_INJECT_INTERRUPT, 0, vector);
}

uint64_t axv_read_value_shape(const struct axv_exit_read_shape *s, uint64_t value)
{
    unsigned bits = 8u * s->width;
    unsigned reg_bits = 8u * s->reg_width;

    if (bits && bits < 64) {
        uint64_t mask = (UINT64_C(1) << bits) - 1;
        value &= mask;
        if (s->sign_extend && (value >> (bits - 1)) & 1u)
            value |= ~mask;
    }
    if (reg_bits && reg_bits < 64)
        value &= (UINT64_C(1) << reg_bits) - 1;
    return value;
}

enum axv_err axv_vcpu_complete_read(struct axv_vcpu *v, uint64_t value)
{
    if (!axv_vcpu_usable(v))
        return AXV_ERR_INVALID_INPUT;
    uint32_t word = axv_load(&v->state);
    if (word != AXV_VCPU_READY || !v->read_pending)
        return AXV_ERR_BAD_STATE;
    /* Like set_gpr: a register write from the thread that runs the vCPU,
     * checked but not claimed; only a failure changes the state. */
    enum axv_err err = axv_vcpu_complete_read_op(v, &v->read_shape, axv_read_value_shape(&v->read_shape, value));
    v->read_pending = false;
    if (err && axv_cas(&v->state, word, AXV_VCPU_ARCH_FAILURE_STATE))
        axv_vcpu_release_cpu(v);
    return err;
}

enum axv_vcpu_state axv_vcpu_state(const struct axv_vcpu *v)
{
    if (!v)
        return AXV_VCPU_ARCH_FAILURE_STATE;
    return (enum axv_vcpu_state)(axv_load(&v->state) & AXV_VCPU_STATE_MASK);
}
