/* The state-driving fixture used by the generated transition tests. */
#include <stdio.h>
#include <string.h>

#include "fixture.h"

static const struct axv_npt_config axv_fx_npt = {.root = 0x200000, .levels = 4, .gpa_bits = 48};

/* HOOK fires the armed event while Running; the rest loops on halt exits. */
static const struct axv_sim_insn axv_fx_prog[] = {
    AXV_SIM_HOOK(1),
    AXV_SIM_EXIT(AXV_EXIT_HALT),
    AXV_SIM_JUMP(0),
};

static enum axv_err axv_fx_call(struct axv_fx *f, enum axv_vcpu_event ev)
{
    struct axv_exit exit;

    switch (ev) {
    case AXV_EVENT_SETUP:
        return axv_vcpu_setup(&f->v, 0, &axv_fx_npt, NULL);
    case AXV_EVENT_BIND:
        return axv_vcpu_bind(&f->v);
    case AXV_EVENT_UNBIND:
        return axv_vcpu_unbind(&f->v);
    case AXV_EVENT_RUN:
        return axv_vcpu_run(&f->v, &exit);
    case AXV_EVENT_BLOCK:
        return axv_vcpu_block(&f->v);
    case AXV_EVENT_UNBLOCK:
        return axv_vcpu_unblock(&f->v);
    case AXV_EVENT_DESTROY:
        return axv_vcpu_destroy(&f->v);
    case AXV_EVENT_SET_ENTRY:
        return axv_vcpu_set_entry(&f->v, 0);
    case AXV_EVENT_SET_GPR:
        return axv_vcpu_set_gpr(&f->v, 3, 0x33);
    case AXV_EVENT_SET_RETURN_VALUE:
        return axv_vcpu_set_return_value(&f->v, 0x42);
    case AXV_EVENT_INJECT_INTERRUPT:
        return axv_vcpu_inject_interrupt(&f->v, 32);
    }
    return AXV_ERR_UNSUPPORTED;
}

static struct axv_fx_outcome axv_fx_fire_now(struct axv_fx *f, enum axv_vcpu_event ev, int fault)
{
    struct axv_fx_outcome o;

    axv_sim_op_log_clear();
    if (fault != AXV_FX_NO_FAULT)
        axv_sim_fail_op(&f->v, (enum axv_arch_op)fault, AXV_FX_INJECTED);
    o.err = axv_fx_call(f, ev);
    o.state = axv_vcpu_state(&f->v);
    o.n_ops = axv_sim_op_log(&f->v, o.ops, AXV_SIM_OP_LOG);
    /* An injected fault the event never reached must not leak into teardown. */
    if (fault != AXV_FX_NO_FAULT)
        axv_sim_fail_op(&f->v, (enum axv_arch_op)fault, AXV_OK);
    return o;
}

static void axv_fx_hook(struct axv_vcpu *v, uint64_t id, void *ctx)
{
    struct axv_fx *f = ctx;

    (void)v;
    (void)id;
    if (!f->armed)
        return;
    f->armed = false;
    ck_assert_int_eq(axv_vcpu_state(&f->v), AXV_VCPU_RUNNING);
    f->running = axv_fx_fire_now(f, f->ev, f->fault);
}

static void axv_fx_ok(enum axv_err err, const char *what)
{
    ck_assert_msg(err == AXV_OK, "fixture: %s failed: %s", what, axv_err_name(err));
}

const struct axv_arch_ops *axv_fx_ops = &axv_sim_ops;

void axv_fx_begin(struct axv_fx *f, enum axv_vcpu_state state)
{
    axv_fx_begin_prog(f, state, axv_fx_prog, 3);
}

void axv_fx_begin_prog(struct axv_fx *f, enum axv_vcpu_state state, const struct axv_sim_insn *prog, uint32_t len)
{
    memset(f, 0, sizeof(*f));
    f->cfg = (struct axv_sim_config){.prog = prog, .len = len, .hook = axv_fx_hook, .hook_ctx = f};
    struct axv_vcpu_config vc = {.vm_id = 1, .vcpu_id = 0, .arch_config = &f->cfg};
    const struct axv_hal *hal = axv_host_hal();

    axv_host_set_cpu(0);
    axv_fx_ok(axv_percpu_init(&f->pc, 0, axv_fx_ops, hal), "percpu init");
    axv_fx_ok(axv_percpu_enable(&f->pc), "percpu enable");
    axv_fx_ok(axv_vcpu_create(&f->v, &vc, axv_fx_ops, hal), "create");

    switch (state) {
    case AXV_VCPU_CREATED:
        break;
    case AXV_VCPU_INVALID:
        /* The arch-failure path, so the backend still holds resources. */
        axv_sim_fail_op(&f->v, AXV_ARCH_OP_SETUP, AXV_FX_INJECTED);
        ck_assert_int_eq(axv_vcpu_setup(&f->v, 0, &axv_fx_npt, NULL), AXV_FX_INJECTED);
        break;
    case AXV_VCPU_FREE:
        axv_fx_ok(axv_vcpu_setup(&f->v, 0, &axv_fx_npt, NULL), "setup");
        break;
    case AXV_VCPU_READY:
    case AXV_VCPU_RUNNING:
        axv_fx_ok(axv_vcpu_setup(&f->v, 0, &axv_fx_npt, NULL), "setup");
        axv_fx_ok(axv_vcpu_bind(&f->v), "bind");
        break;
    case AXV_VCPU_BLOCKED:
        axv_fx_ok(axv_vcpu_setup(&f->v, 0, &axv_fx_npt, NULL), "setup");
        axv_fx_ok(axv_vcpu_bind(&f->v), "bind");
        axv_fx_ok(axv_vcpu_block(&f->v), "block");
        break;
    }
    if (state != AXV_VCPU_RUNNING)
        ck_assert_msg(axv_vcpu_state(&f->v) == state, "fixture reached %s, wanted %s",
                      axv_vcpu_state_name(axv_vcpu_state(&f->v)), axv_vcpu_state_name(state));
}

struct axv_fx_outcome axv_fx_fire(struct axv_fx *f, enum axv_vcpu_state state, enum axv_vcpu_event ev, int fault)
{
    if (state != AXV_VCPU_RUNNING)
        return axv_fx_fire_now(f, ev, fault);

    /* Running exists only inside axv_vcpu_run(): fire from the guest's hook. */
    f->armed = true;
    f->ev = ev;
    f->fault = fault;
    f->running.err = AXV_ERR_UNEXPECTED_EOF;
    axv_fx_ok(axv_vcpu_run(&f->v, &f->exit), "run (to reach Running)");
    ck_assert_msg(!f->armed, "the guest never reached its hook");
    return f->running;
}

void axv_fx_expect(const struct axv_fx_outcome *o, enum axv_err err, enum axv_vcpu_state state,
                   const enum axv_arch_op *ops, uint32_t n_ops)
{
    ck_assert_msg(o->err == err, "expected %s, got %s", axv_err_name(err), axv_err_name(o->err));
    ck_assert_msg(o->state == state, "expected state %s, got %s", axv_vcpu_state_name(state),
                  axv_vcpu_state_name(o->state));
    ck_assert_msg(o->n_ops == n_ops, "expected %u arch op(s), backend saw %u", n_ops, o->n_ops);
    for (uint32_t i = 0; i < n_ops; i++)
        ck_assert_msg(o->ops[i] == ops[i], "arch op %u: expected %s, got %s", i, axv_arch_op_name(ops[i]),
                      axv_arch_op_name(o->ops[i]));
}

void axv_fx_end(struct axv_fx *f)
{
    enum axv_vcpu_state s = axv_vcpu_state(&f->v);

    if (s == AXV_VCPU_BLOCKED) {
        axv_fx_ok(axv_vcpu_unblock(&f->v), "teardown unblock");
        s = AXV_VCPU_READY;
    }
    if (s == AXV_VCPU_READY)
        axv_fx_ok(axv_vcpu_unbind(&f->v), "teardown unbind");
    if (f->v.arch_live)
        axv_fx_ok(axv_vcpu_destroy(&f->v), "teardown destroy");
    ck_assert_int_eq(axv_vcpu_state(&f->v), AXV_VCPU_INVALID);
    axv_fx_ok(axv_percpu_fini(&f->pc), "percpu fini");
    ck_assert_msg(axv_host_frames_in_use() == 0, "%ld frame(s) leaked", axv_host_frames_in_use());
}
