/*
 * Exit handlers (axv_vcpu_config.on_exit): exits answered inside one
 * axv_vcpu_run while the vCPU stays Running. Sim guests check the answers
 * they get with EXPECT, which turns a wrong value into an internal_error
 * exit the handler delivers.
 */
#include <string.h>

#include "fixture.h"

static const struct axv_npt_config npt = {.root = 0x200000, .levels = 4, .gpa_bits = 48};

/* What a test's handler does and what it saw. */
struct script {
    struct axv_vcpu *v;
    uint32_t calls;
    uint32_t kinds[16];
    uint64_t action_for_read;      /* what reads get (ANSWER by default) */
    uint64_t action_for_other;     /* what non-hypercall, non-read exits get */
    bool inside_checks;            /* call the API on the running vCPU */
    enum axv_vcpu_state state_inside;
    enum axv_err run_inside, set_rv_inside, unbind_inside, inject_inside;
    bool fail_next_run;            /* make the next run op fail, from inside */
    uint64_t deliver_nr, resume_nr; /* hypercalls not answered (0: none) */
    bool deliver_as_unasked;       /* say AXV_EXIT_UNASKED instead of DELIVER: delivered all the same */
    struct axv_trace_rec *attach;  /* a ring the handler attaches at its second call */
};

static struct axv_exit_verdict script_handler(void *ctx, struct axv_vcpu *v, const struct axv_exit *e)
{
    struct script *s = ctx;

    ck_assert_ptr_eq(v, s->v);
    if (s->calls < 16)
        s->kinds[s->calls] = e->kind;
    s->calls++;
    if (s->inside_checks) {
        struct axv_exit other;
        s->state_inside = axv_vcpu_state(v);
        s->run_inside = axv_vcpu_run(v, &other);
        s->set_rv_inside = axv_vcpu_set_return_value(v, 1);
        s->unbind_inside = axv_vcpu_unbind(v);
        s->inject_inside = axv_vcpu_inject_interrupt(v, 40);
        s->inside_checks = false;
    }
    if (s->attach && s->calls == 2) {
        ck_assert_int_eq(axv_trace_attach(v, s->attach, 32), AXV_OK);
        s->attach = NULL;
    }
    if (s->fail_next_run) {
        axv_sim_fail_op(v, AXV_ARCH_OP_RUN, AXV_ERR_IO);
        s->fail_next_run = false;
    }
    if (e->kind == AXV_EXIT_HYPERCALL && e->u.hypercall.nr == s->deliver_nr)
        return s->deliver_as_unasked ? (struct axv_exit_verdict){AXV_EXIT_UNASKED, 0} : axv_exit_deliver();
    if (e->kind == AXV_EXIT_HYPERCALL && e->u.hypercall.nr == s->resume_nr)
        return axv_exit_resume();
    if (e->kind == AXV_EXIT_HYPERCALL)
        return axv_exit_answer(e->u.hypercall.nr * 0x10u);
    if (e->kind == AXV_EXIT_MMIO_READ)
        return (struct axv_exit_verdict){s->action_for_read, 0x1a5u};
    if (e->kind == AXV_EXIT_MMIO_WRITE)
        return axv_exit_resume();
    if (e->kind == AXV_EXIT_INTERNAL_ERROR)
        return axv_exit_deliver(); /* a failed EXPECT, or the end of the program */
    return (struct axv_exit_verdict){s->action_for_other, 0};
}

struct hguest {
    struct axv_percpu pc;
    struct axv_vcpu v;
    struct axv_sim_config cfg;
    struct script s;
};

static void hguest_start(struct hguest *g, const struct axv_sim_insn *prog, uint32_t len)
{
    memset(g, 0, sizeof(*g));
    g->s.v = &g->v;
    g->s.action_for_read = AXV_EXIT_ANSWER;
    g->s.action_for_other = AXV_EXIT_DELIVER;
    g->cfg = (struct axv_sim_config){.prog = prog, .len = len};
    struct axv_vcpu_config vc = {.vm_id = 3, .arch_config = &g->cfg, .on_exit = script_handler, .on_exit_ctx = &g->s};
    ck_assert_int_eq(axv_percpu_init(&g->pc, 0, axv_fx_ops, axv_host_hal()), AXV_OK);
    ck_assert_int_eq(axv_percpu_enable(&g->pc), AXV_OK);
    ck_assert_int_eq(axv_vcpu_create(&g->v, &vc, axv_fx_ops, axv_host_hal()), AXV_OK);
    ck_assert_int_eq(axv_vcpu_setup(&g->v, 0, &npt, NULL), AXV_OK);
    ck_assert_int_eq(axv_vcpu_bind(&g->v), AXV_OK);
}

static void hguest_stop(struct hguest *g)
{
    if (axv_vcpu_state(&g->v) == AXV_VCPU_READY)
        ck_assert_int_eq(axv_vcpu_unbind(&g->v), AXV_OK);
    ck_assert_int_eq(axv_vcpu_destroy(&g->v), AXV_OK);
    ck_assert_int_eq(axv_percpu_fini(&g->pc), AXV_OK);
    ck_assert_int_eq(axv_host_frames_in_use(), 0);
}

static struct axv_exit hguest_run(struct hguest *g)
{
    struct axv_exit e;
    enum axv_err err = axv_vcpu_run(&g->v, &e);
    ck_assert_msg(err == AXV_OK, "run failed: %s", axv_err_name(err));
    return e;
}

#define MMIO_READ_S8(reg) AXV_SIM_EXIT(AXV_EXIT_MMIO_READ, 0x1000, 1, (reg), 8, 1)

/* A hypercall, a signed byte read and a write are answered inside one run;
 * the halt after them is delivered. */
START_TEST(test_handler_answers_inside_one_run)
{
    static const struct axv_sim_insn prog[] = {
        AXV_SIM_EXIT(AXV_EXIT_HYPERCALL, 7),
        AXV_SIM_EXPECT(0, 0x70),
        MMIO_READ_S8(3),
        AXV_SIM_EXPECT(3, 0xffffffffffffffa5u),
        AXV_SIM_EXIT(AXV_EXIT_MMIO_WRITE, 0x1008, 4, 0x55),
        AXV_SIM_EXIT(AXV_EXIT_HALT),
        AXV_SIM_JUMP(0),
    };
    struct hguest g;

    hguest_start(&g, prog, sizeof(prog) / sizeof(prog[0]));
    struct axv_exit e = hguest_run(&g);
    ck_assert_int_eq(e.kind, AXV_EXIT_HALT);
    ck_assert_uint_eq(g.s.calls, 4);
    ck_assert_uint_eq(g.s.kinds[0], AXV_EXIT_HYPERCALL);
    ck_assert_uint_eq(g.s.kinds[1], AXV_EXIT_MMIO_READ);
    ck_assert_uint_eq(g.s.kinds[2], AXV_EXIT_MMIO_WRITE);
    ck_assert_uint_eq(g.s.kinds[3], AXV_EXIT_HALT);
    ck_assert_int_eq(axv_vcpu_state(&g.v), AXV_VCPU_READY);
    /* Nothing is left pending: the next run starts the program again. */
    e = hguest_run(&g);
    ck_assert_int_eq(e.kind, AXV_EXIT_HALT);
    ck_assert_uint_eq(g.s.calls, 8);
    hguest_stop(&g);
}
END_TEST

/* A wrong answer reaches the guest like any other: its check fails. */
START_TEST(test_handler_answer_reaches_the_guest)
{
    static const struct axv_sim_insn prog[] = {
        AXV_SIM_EXIT(AXV_EXIT_HYPERCALL, 7),
        AXV_SIM_EXPECT(0, 0x71),
        AXV_SIM_EXIT(AXV_EXIT_HALT),
    };
    struct hguest g;

    hguest_start(&g, prog, sizeof(prog) / sizeof(prog[0]));
    struct axv_exit e = hguest_run(&g);
    ck_assert_int_eq(e.kind, AXV_EXIT_INTERNAL_ERROR);
    hguest_stop(&g);
}
END_TEST

/* RESUME on a read would leave the guest without its value: the read is
 * delivered instead and completed the ordinary way. */
START_TEST(test_handler_read_without_answer_is_delivered)
{
    static const struct axv_sim_insn prog[] = {
        MMIO_READ_S8(2),
        AXV_SIM_EXPECT(2, 0x7f),
        AXV_SIM_EXIT(AXV_EXIT_HALT),
    };
    struct hguest g;

    hguest_start(&g, prog, sizeof(prog) / sizeof(prog[0]));
    g.s.action_for_read = AXV_EXIT_RESUME;
    struct axv_exit e = hguest_run(&g);
    ck_assert_int_eq(e.kind, AXV_EXIT_MMIO_READ);
    struct axv_exit again;
    ck_assert_int_eq(axv_vcpu_run(&g.v, &again), AXV_ERR_IN_PROGRESS);
    ck_assert_int_eq(axv_vcpu_complete_read(&g.v, 0x7f), AXV_OK);
    e = hguest_run(&g);
    ck_assert_int_eq(e.kind, AXV_EXIT_HALT);
    hguest_stop(&g);
}
END_TEST

/* Hypercalls the handler does not answer: resumed as they are, or
 * delivered; each exit is put to the handler once, whoever asks (the
 * trusted sim asks about hypercalls itself, through run_handled). */
START_TEST(test_handler_hypercall_verdicts)
{
    static const struct axv_sim_insn prog[] = {
        AXV_SIM_MOV(0, 0x66),
        AXV_SIM_EXIT(AXV_EXIT_HYPERCALL, 6),
        AXV_SIM_EXPECT(0, 0x66), /* resumed: no return value written */
        AXV_SIM_EXIT(AXV_EXIT_HYPERCALL, 2),
        AXV_SIM_EXPECT(0, 0x20),
        AXV_SIM_EXIT(AXV_EXIT_HYPERCALL, 5),
        AXV_SIM_EXPECT(0, 0x99), /* what the VMM loop answered */
        AXV_SIM_EXIT(AXV_EXIT_HALT),
    };
    struct hguest g;

    hguest_start(&g, prog, sizeof(prog) / sizeof(prog[0]));
    g.s.resume_nr = 6;
    g.s.deliver_nr = 5;
    struct axv_exit e = hguest_run(&g);
    ck_assert_int_eq(e.kind, AXV_EXIT_HYPERCALL);
    ck_assert_uint_eq(e.u.hypercall.nr, 5);
    ck_assert_uint_eq(g.s.calls, 3);
    ck_assert_int_eq(axv_vcpu_set_return_value(&g.v, 0x99), AXV_OK);
    ck_assert_int_eq(hguest_run(&g).kind, AXV_EXIT_HALT);
    ck_assert_uint_eq(g.s.calls, 4);
    hguest_stop(&g);
}
END_TEST

/* A handler that answers with the runtime's internal UNASKED gets its
 * exit delivered, once asked, like any action the runtime does not know. */
START_TEST(test_handler_unasked_is_delivered_once)
{
    static const struct axv_sim_insn prog[] = {
        AXV_SIM_EXIT(AXV_EXIT_HYPERCALL, 2),
        AXV_SIM_EXIT(AXV_EXIT_HYPERCALL, 5),
        AXV_SIM_EXIT(AXV_EXIT_HALT),
    };
    struct hguest g;

    hguest_start(&g, prog, sizeof(prog) / sizeof(prog[0]));
    g.s.deliver_nr = 5;
    g.s.deliver_as_unasked = true;
    struct axv_exit e = hguest_run(&g);
    ck_assert_int_eq(e.kind, AXV_EXIT_HYPERCALL);
    ck_assert_uint_eq(e.u.hypercall.nr, 5);
    ck_assert_uint_eq(g.s.calls, 2);
    ck_assert_int_eq(hguest_run(&g).kind, AXV_EXIT_HALT);
    hguest_stop(&g);
}
END_TEST

/* An action the runtime does not know delivers the exit. */
START_TEST(test_handler_unknown_action_delivers)
{
    static const struct axv_sim_insn prog[] = {
        AXV_SIM_EXIT(AXV_EXIT_HALT),
        AXV_SIM_EXIT(AXV_EXIT_SHUTDOWN, 2),
    };
    struct hguest g;

    hguest_start(&g, prog, sizeof(prog) / sizeof(prog[0]));
    g.s.action_for_other = 99;
    ck_assert_int_eq(hguest_run(&g).kind, AXV_EXIT_HALT);
    g.s.action_for_other = AXV_EXIT_DELIVER;
    ck_assert_int_eq(hguest_run(&g).kind, AXV_EXIT_SHUTDOWN);
    hguest_stop(&g);
}
END_TEST

/* RESUME on an exit that is not a read enters the guest again as it is. */
START_TEST(test_handler_resume_passes_over)
{
    static const struct axv_sim_insn prog[] = {
        AXV_SIM_MOV(0, 0x33),
        AXV_SIM_EXIT(AXV_EXIT_HALT),
        AXV_SIM_EXPECT(0, 0x33), /* RESUME wrote no return value */
        AXV_SIM_EXIT(AXV_EXIT_SHUTDOWN, 2),
    };
    struct hguest g;

    hguest_start(&g, prog, sizeof(prog) / sizeof(prog[0]));
    g.s.action_for_other = AXV_EXIT_RESUME;
    /* The halt is resumed, so is the shutdown: the program then runs off its
     * end (raw code all ones; a failed EXPECT would name its opcode). */
    struct axv_exit e = hguest_run(&g);
    ck_assert_uint_eq(g.s.calls, 3);
    ck_assert_uint_eq(g.s.kinds[0], AXV_EXIT_HALT);
    ck_assert_uint_eq(g.s.kinds[1], AXV_EXIT_SHUTDOWN);
    ck_assert_int_eq(e.kind, AXV_EXIT_INTERNAL_ERROR);
    ck_assert_uint_eq(e.raw.code, UINT64_MAX);
    hguest_stop(&g);
}
END_TEST

/* Inside the handler the vCPU is Running: lifecycle and register calls on it
 * are refused, injection is allowed (it is meant for other threads too). */
START_TEST(test_handler_runs_while_running)
{
    static const struct axv_sim_insn prog[] = {
        AXV_SIM_EXIT(AXV_EXIT_HYPERCALL, 1),
        AXV_SIM_EXPECT(0, 0x10), /* the refused set_return_value changed nothing */
        AXV_SIM_WAIT_IRQ(5),
        AXV_SIM_EXPECT(5, 40),
        AXV_SIM_EXIT(AXV_EXIT_HALT),
    };
    struct hguest g;

    hguest_start(&g, prog, sizeof(prog) / sizeof(prog[0]));
    g.s.inside_checks = true;
    struct axv_exit e = hguest_run(&g);
    ck_assert_int_eq(e.kind, AXV_EXIT_HALT);
    ck_assert_int_eq(g.s.state_inside, AXV_VCPU_RUNNING);
    ck_assert_int_ne(g.s.run_inside, AXV_OK);
    ck_assert_int_ne(g.s.set_rv_inside, AXV_OK);
    ck_assert_int_ne(g.s.unbind_inside, AXV_OK);
    ck_assert_int_eq(g.s.inject_inside, AXV_OK);
    ck_assert_int_eq(axv_vcpu_state(&g.v), AXV_VCPU_READY);
    hguest_stop(&g);
}
END_TEST

/* A run op that fails after a handled exit fails the run as it would the
 * first: the same error and the state the spec gives a failed run. */
START_TEST(test_handler_run_op_failure)
{
    static const struct axv_sim_insn prog[] = {
        AXV_SIM_EXIT(AXV_EXIT_HYPERCALL, 1),
        AXV_SIM_EXIT(AXV_EXIT_HALT),
    };
    struct hguest g;

    hguest_start(&g, prog, sizeof(prog) / sizeof(prog[0]));
    g.s.fail_next_run = true;
    struct axv_exit e;
    ck_assert_int_eq(axv_vcpu_run(&g.v, &e), AXV_ERR_IO);
    ck_assert_uint_eq(g.s.calls, 1);
    ck_assert_int_eq(axv_vcpu_state(&g.v), AXV_VCPU_ARCH_FAILURE_STATE);
    ck_assert_int_eq(axv_vcpu_destroy(&g.v), AXV_OK);
    ck_assert_int_eq(axv_percpu_fini(&g.pc), AXV_OK);
    ck_assert_int_eq(axv_host_frames_in_use(), 0);
}
END_TEST

/* A malformed exit after a handled one: refused before the handler sees it
 * when exits are validated; handed on as it is when the backend is trusted. */
START_TEST(test_handler_validates_every_exit)
{
    static const struct axv_sim_insn prog[] = {
        AXV_SIM_EXIT(AXV_EXIT_HYPERCALL, 1),
        AXV_SIM_EXIT(AXV_EXIT_MMIO_READ, 0x1000, 3, 1, 8, 0), /* width 3 */
    };
    struct hguest g;

    hguest_start(&g, prog, sizeof(prog) / sizeof(prog[0]));
    g.s.action_for_read = AXV_EXIT_DELIVER;
    struct axv_exit e;
    enum axv_err err = axv_vcpu_run(&g.v, &e);
    if (axv_fx_ops->trusted_exits) {
        ck_assert_int_eq(err, AXV_OK);
        ck_assert_uint_eq(g.s.calls, 2);
        ck_assert_int_eq(e.kind, AXV_EXIT_MMIO_READ);
    } else {
        ck_assert_int_ne(err, AXV_OK);
        ck_assert_uint_eq(g.s.calls, 1);
    }
    if (axv_vcpu_state(&g.v) == AXV_VCPU_READY) {
        axv_vcpu_complete_read(&g.v, 0); /* whatever the sim makes of width 3: the test is the run above */
        hguest_stop(&g);
    } else {
        ck_assert_int_eq(axv_vcpu_state(&g.v), AXV_VCPU_ARCH_FAILURE_STATE);
        ck_assert_int_eq(axv_vcpu_destroy(&g.v), AXV_OK);
        ck_assert_int_eq(axv_percpu_fini(&g.pc), AXV_OK);
        ck_assert_int_eq(axv_host_frames_in_use(), 0);
    }
}
END_TEST

/* A traced vCPU records each handled exit as Running -> Running and the
 * delivered one as Running -> Ready. */
START_TEST(test_handler_traces_handled_exits)
{
    static const struct axv_sim_insn prog[] = {
        AXV_SIM_EXIT(AXV_EXIT_HYPERCALL, 1),
        AXV_SIM_EXIT(AXV_EXIT_HYPERCALL, 2),
        AXV_SIM_EXIT(AXV_EXIT_HALT),
    };
    struct axv_trace_rec recs[32];
    struct hguest g;

    hguest_start(&g, prog, sizeof(prog) / sizeof(prog[0]));
    ck_assert_int_eq(axv_trace_attach(&g.v, recs, 32), AXV_OK);
    ck_assert_int_eq(hguest_run(&g).kind, AXV_EXIT_HALT);
    uint32_t hypercalls = 0, halts = 0;
    for (uint32_t i = 0; i < axv_trace_count(&g.v); i++) {
        const struct axv_trace_rec *r = axv_trace_get(&g.v, i);
        if (r->tp == AXV_TP_EXIT_HYPERCALL) {
            ck_assert_uint_eq(r->from, AXV_VCPU_RUNNING);
            ck_assert_uint_eq(r->to, AXV_VCPU_RUNNING);
            ck_assert_uint_eq(r->a0, ++hypercalls);
        }
        if (r->tp == AXV_TP_EXIT_HALT) {
            ck_assert_uint_eq(r->to, AXV_VCPU_READY);
            halts++;
        }
    }
    ck_assert_uint_eq(hypercalls, 2);
    ck_assert_uint_eq(halts, 1);
    ck_assert_int_eq(axv_trace_attach(&g.v, NULL, 0), AXV_OK);
    hguest_stop(&g);
}
END_TEST

/* A trace the handler attaches in the middle of a run records every exit
 * from then on, though the trusted sim's run_handled was the one asking. */
START_TEST(test_handler_attaches_a_trace_mid_run)
{
    static const struct axv_sim_insn prog[] = {
        AXV_SIM_EXIT(AXV_EXIT_HYPERCALL, 1),
        AXV_SIM_EXIT(AXV_EXIT_HYPERCALL, 2),
        AXV_SIM_EXIT(AXV_EXIT_HYPERCALL, 3),
        AXV_SIM_EXIT(AXV_EXIT_HALT),
    };
    struct axv_trace_rec recs[32];
    struct hguest g;

    hguest_start(&g, prog, sizeof(prog) / sizeof(prog[0]));
    g.s.attach = recs;
    ck_assert_int_eq(hguest_run(&g).kind, AXV_EXIT_HALT);
    uint64_t seen = 0;
    for (uint32_t i = 0; i < axv_trace_count(&g.v); i++) {
        const struct axv_trace_rec *r = axv_trace_get(&g.v, i);
        if (r->tp == AXV_TP_EXIT_HYPERCALL)
            seen |= UINT64_C(1) << r->a0;
    }
    /* The second call's answer is traced when carried out; so is the third. */
    ck_assert_uint_eq(seen, 0xc);
    ck_assert_int_eq(axv_trace_attach(&g.v, NULL, 0), AXV_OK);
    hguest_stop(&g);
}
END_TEST

/* With ret_reg set, return values go to that word, from the handler and
 * from axv_vcpu_set_return_value alike, without the backend's op. */
START_TEST(test_ret_reg_takes_return_values)
{
    static const struct axv_sim_insn prog[] = {
        AXV_SIM_EXIT(AXV_EXIT_HYPERCALL, 3),
        AXV_SIM_EXIT(AXV_EXIT_HALT),
    };
    uint64_t reg = 0;
    struct hguest g;

    hguest_start(&g, prog, sizeof(prog) / sizeof(prog[0]));
    g.v.ret_reg = &reg;
    axv_sim_op_log_clear();
    ck_assert_int_eq(hguest_run(&g).kind, AXV_EXIT_HALT);
    ck_assert_uint_eq(reg, 0x30);
    ck_assert_int_eq(axv_vcpu_set_return_value(&g.v, 0x44), AXV_OK);
    ck_assert_uint_eq(reg, 0x44);
    enum axv_arch_op log[AXV_SIM_OP_LOG];
    uint32_t n = axv_sim_op_log(&g.v, log, AXV_SIM_OP_LOG);
    for (uint32_t i = 0; i < n; i++)
        ck_assert_int_ne(log[i], AXV_ARCH_OP_SET_RETURN_VALUE);
    ck_assert_uint_ne(axv_sim_gpr(&g.v, 0), 0x44);
    g.v.ret_reg = NULL;
    hguest_stop(&g);
}
END_TEST

Suite *axv_handler_suite(void)
{
    Suite *s = suite_create("exit handler");
    TCase *tc = tcase_create("handler");

    tcase_add_test(tc, test_handler_answers_inside_one_run);
    tcase_add_test(tc, test_handler_answer_reaches_the_guest);
    tcase_add_test(tc, test_handler_read_without_answer_is_delivered);
    tcase_add_test(tc, test_handler_hypercall_verdicts);
    tcase_add_test(tc, test_handler_unasked_is_delivered_once);
    tcase_add_test(tc, test_handler_unknown_action_delivers);
    tcase_add_test(tc, test_handler_resume_passes_over);
    tcase_add_test(tc, test_handler_runs_while_running);
    tcase_add_test(tc, test_handler_run_op_failure);
    tcase_add_test(tc, test_handler_validates_every_exit);
    tcase_add_test(tc, test_handler_traces_handled_exits);
    tcase_add_test(tc, test_handler_attaches_a_trace_mid_run);
    tcase_add_test(tc, test_ret_reg_takes_return_values);
    suite_add_tcase(s, tc);
    return s;
}
