/* Runtime behaviour beyond the matrix: per-CPU, current vCPU, completion, errors. */
#include <string.h>

#include "fixture.h"

static const struct axv_npt_config npt = {.root = 0x200000, .levels = 4, .gpa_bits = 48};

static void make_vcpu_hooked(struct axv_vcpu *v, struct axv_sim_config *cfg, const struct axv_sim_insn *prog,
                             uint32_t len, uint32_t id, axv_sim_hook_fn hook, void *ctx)
{
    *cfg = (struct axv_sim_config){.prog = prog, .len = len, .hook = hook, .hook_ctx = ctx};
    struct axv_vcpu_config vc = {.vm_id = 1, .vcpu_id = id, .arch_config = cfg};
    ck_assert_int_eq(axv_vcpu_create(v, &vc, axv_fx_ops, axv_host_hal()), AXV_OK);
    ck_assert_int_eq(axv_vcpu_setup(v, 0, &npt, NULL), AXV_OK);
}

static void make_vcpu(struct axv_vcpu *v, struct axv_sim_config *cfg, const struct axv_sim_insn *prog, uint32_t len,
                      uint32_t id)
{
    make_vcpu_hooked(v, cfg, prog, len, id, NULL, NULL);
}

START_TEST(test_percpu_lifecycle)
{
    struct axv_percpu pc, other;

    memset(&pc, 0, sizeof(pc));
    memset(&other, 0, sizeof(other));
    ck_assert_int_eq(axv_percpu_enable(&pc), AXV_ERR_BAD_STATE); /* not initialised */
    ck_assert_int_eq(axv_percpu_init(&pc, 0, axv_fx_ops, axv_host_hal()), AXV_OK);
    ck_assert_int_eq(axv_percpu_init(&pc, 0, axv_fx_ops, axv_host_hal()), AXV_ERR_BAD_STATE);
    ck_assert_int_eq(axv_percpu_init(&other, 0, axv_fx_ops, axv_host_hal()), AXV_ERR_ALREADY_EXISTS);
    ck_assert_ptr_eq(axv_percpu_find(0, axv_fx_ops), &pc);
    ck_assert(!axv_percpu_is_enabled(&pc));
    ck_assert_int_eq(axv_percpu_disable(&pc), AXV_ERR_BAD_STATE);

    axv_sim_fail_global(AXV_SIM_FAIL_HW_ENABLE, AXV_ERR_UNSUPPORTED);
    ck_assert_int_eq(axv_percpu_enable(&pc), AXV_ERR_UNSUPPORTED);
    ck_assert(!axv_percpu_is_enabled(&pc));
    ck_assert_int_eq(axv_percpu_enable(&pc), AXV_OK);
    ck_assert(axv_percpu_is_enabled(&pc));
    ck_assert_int_eq(axv_percpu_enable(&pc), AXV_ERR_RESOURCE_BUSY);

    axv_sim_fail_global(AXV_SIM_FAIL_HW_DISABLE, AXV_ERR_IO);
    ck_assert_int_eq(axv_percpu_disable(&pc), AXV_ERR_IO);
    ck_assert(axv_percpu_is_enabled(&pc));
    ck_assert_int_eq(axv_percpu_disable(&pc), AXV_OK);
    ck_assert(!axv_percpu_is_enabled(&pc));
    ck_assert_int_eq(axv_percpu_enable(&pc), AXV_OK);
    /* fini disables the hardware on the way out */
    ck_assert_int_eq(axv_percpu_fini(&pc), AXV_OK);
    ck_assert_ptr_null(axv_percpu_find(0, axv_fx_ops));
    ck_assert_int_eq(axv_percpu_init(&other, 0, axv_fx_ops, axv_host_hal()), AXV_OK);
    ck_assert(!axv_percpu_is_enabled(&other));
    ck_assert_int_eq(axv_percpu_fini(&other), AXV_OK);
    ck_assert_int_eq(axv_percpu_init(&pc, AXV_MAX_CPUS, axv_fx_ops, axv_host_hal()), AXV_ERR_INVALID_INPUT);
    axv_sim_fail_global(AXV_SIM_FAIL_PERCPU_INIT, AXV_ERR_NO_MEMORY);
    ck_assert_int_eq(axv_percpu_init(&pc, 1, axv_fx_ops, axv_host_hal()), AXV_ERR_NO_MEMORY);
    ck_assert_ptr_null(axv_percpu_find(1, axv_fx_ops));
}
END_TEST

static const struct axv_sim_insn halt_loop[] = {AXV_SIM_EXIT(AXV_EXIT_HALT), AXV_SIM_JUMP(0)};

START_TEST(test_bind_needs_enabled_cpu)
{
    struct axv_percpu pc;
    struct axv_vcpu v;
    struct axv_sim_config cfg;

    memset(&pc, 0, sizeof(pc));
    make_vcpu(&v, &cfg, halt_loop, 2, 0);
    ck_assert_int_eq(axv_vcpu_bind(&v), AXV_ERR_BAD_STATE); /* no per-CPU object at all */
    ck_assert_int_eq(axv_percpu_init(&pc, 0, axv_fx_ops, axv_host_hal()), AXV_OK);
    ck_assert_int_eq(axv_vcpu_bind(&v), AXV_ERR_BAD_STATE); /* not enabled */
    ck_assert_int_eq(axv_vcpu_state(&v), AXV_VCPU_FREE);
    ck_assert_int_eq(axv_percpu_enable(&pc), AXV_OK);
    ck_assert_int_eq(axv_vcpu_bind(&v), AXV_OK);
    ck_assert_int_eq(axv_percpu_fini(&pc), AXV_ERR_RESOURCE_BUSY); /* a vCPU is bound here */
    ck_assert_int_eq(axv_percpu_disable(&pc), AXV_ERR_RESOURCE_BUSY);

    /* Another CPU may not run or unbind it. */
    struct axv_exit e;
    axv_host_set_cpu(1);
    ck_assert_int_eq(axv_vcpu_run(&v, &e), AXV_ERR_BAD_STATE);
    ck_assert_int_eq(axv_vcpu_unbind(&v), AXV_ERR_BAD_STATE);
    ck_assert_int_eq(axv_vcpu_state(&v), AXV_VCPU_READY);
    axv_host_set_cpu(0);
    ck_assert_int_eq(axv_vcpu_run(&v, &e), AXV_OK);
    ck_assert_int_eq(e.kind, AXV_EXIT_HALT);
    ck_assert_int_eq(axv_vcpu_unbind(&v), AXV_OK);
    ck_assert_int_eq(axv_vcpu_destroy(&v), AXV_OK);
    ck_assert_int_eq(axv_percpu_fini(&pc), AXV_OK);
    ck_assert_int_eq(axv_host_frames_in_use(), 0);
}
END_TEST

/* vCPU A's guest tries to run vCPU B on the same CPU: nesting is refused. */
struct nest_ctx {
    struct axv_vcpu *other;
    enum axv_err err;
    struct axv_vcpu *current;
};

static void nest_hook(struct axv_vcpu *v, uint64_t id, void *ctx)
{
    struct nest_ctx *n = ctx;
    struct axv_exit e;

    (void)v;
    (void)id;
    n->current = axv_current_get(0);
    n->err = axv_vcpu_run(n->other, &e);
}

START_TEST(test_current_and_nesting)
{
    static const struct axv_sim_insn prog_a[] = {AXV_SIM_HOOK(0), AXV_SIM_EXIT(AXV_EXIT_HALT)};
    struct axv_percpu pc;
    struct axv_vcpu a, b;
    struct axv_sim_config ca, cb;
    struct nest_ctx n = {.other = &b, .err = AXV_OK};
    struct axv_exit e;

    memset(&pc, 0, sizeof(pc));
    ck_assert_int_eq(axv_percpu_init(&pc, 0, axv_fx_ops, axv_host_hal()), AXV_OK);
    ck_assert_int_eq(axv_percpu_enable(&pc), AXV_OK);
    make_vcpu_hooked(&a, &ca, prog_a, 2, 0, nest_hook, &n);
    make_vcpu(&b, &cb, halt_loop, 2, 1);
    ck_assert_int_eq(axv_vcpu_bind(&a), AXV_OK);
    ck_assert_int_eq(axv_vcpu_bind(&b), AXV_OK);
    ck_assert_ptr_null(axv_current_get(0));
    ck_assert_int_eq(axv_vcpu_run(&a, &e), AXV_OK);
    ck_assert_ptr_eq(n.current, &a);
    ck_assert_int_eq(n.err, AXV_ERR_RESOURCE_BUSY);
    ck_assert_int_eq(axv_vcpu_state(&b), AXV_VCPU_READY);
    ck_assert_ptr_null(axv_current_get(0));
    ck_assert(axv_vcpu_is_bsp(&a));
    ck_assert(!axv_vcpu_is_bsp(&b));

    /* The public pointer API refuses nesting too. */
    ck_assert_int_eq(axv_current_set(0, &a), AXV_OK);
    ck_assert_int_eq(axv_current_set(0, &b), AXV_ERR_RESOURCE_BUSY);
    axv_current_clear(0, &b); /* not current: no effect */
    ck_assert_ptr_eq(axv_current_get(0), &a);
    axv_current_clear(0, &a);
    ck_assert_ptr_null(axv_current_get(0));
    ck_assert_int_eq(axv_current_set(AXV_MAX_CPUS, &a), AXV_ERR_INVALID_INPUT);

    ck_assert_int_eq(axv_vcpu_unbind(&a), AXV_OK);
    ck_assert_int_eq(axv_vcpu_unbind(&b), AXV_OK);
    ck_assert_int_eq(axv_vcpu_destroy(&a), AXV_OK);
    ck_assert_int_eq(axv_vcpu_destroy(&b), AXV_OK);
    ck_assert_int_eq(axv_percpu_fini(&pc), AXV_OK);
}
END_TEST

START_TEST(test_read_value_shape)
{
    static const struct {
        uint8_t width, reg_width;
        bool sign;
        uint64_t in, out;
    } cases[] = {
        {1, 8, false, 0x1234567890abcd80u, 0x80u},
        {1, 8, true, 0x80u, 0xffffffffffffff80u},
        {1, 4, true, 0x80u, 0xffffff80u},
        {1, 8, true, 0x7fu, 0x7fu},
        {2, 8, true, 0x12348001u, 0xffffffffffff8001u},
        {2, 4, false, 0x12348001u, 0x8001u},
        {4, 8, true, 0x80000000u, 0xffffffff80000000u},
        {4, 8, false, 0xffffffff80000000u, 0x80000000u},
        {8, 8, true, 0x8000000000000000u, 0x8000000000000000u},
        {8, 4, false, 0x1122334455667788u, 0x55667788u},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct axv_exit_read_shape s = {.width = cases[i].width, .reg_width = cases[i].reg_width,
                                        .sign_extend = cases[i].sign};
        ck_assert_msg(axv_read_value_shape(&s, cases[i].in) == cases[i].out, "case %zu: got 0x%llx", i,
                      (unsigned long long)axv_read_value_shape(&s, cases[i].in));
    }
}
END_TEST

START_TEST(test_completion_protocol)
{
    static const struct axv_sim_insn prog[] = {
        AXV_SIM_EXIT(AXV_EXIT_MMIO_READ, 0x9000, 4, 7, 8, 0),
        AXV_SIM_EXPECT(7, 0xcafef00du),
        AXV_SIM_EXIT(AXV_EXIT_SYS_REG_READ, 0x3a, 9),
        AXV_SIM_EXPECT(9, 0x1122334455667788u),
        AXV_SIM_EXIT(AXV_EXIT_MMIO_READ, 0x9000, 4, 7, 8, 0),
    };
    struct axv_fx f;
    struct axv_exit e;

    axv_fx_begin_prog(&f, AXV_VCPU_READY, prog, 5);

    ck_assert_int_eq(axv_vcpu_complete_read(&f.v, 1), AXV_ERR_BAD_STATE); /* nothing pending */
    ck_assert_int_eq(axv_vcpu_run(&f.v, &e), AXV_OK);
    ck_assert_int_eq(e.kind, AXV_EXIT_MMIO_READ);
    ck_assert_int_eq(axv_vcpu_run(&f.v, &e), AXV_ERR_IN_PROGRESS); /* complete first */
    ck_assert_int_eq(axv_vcpu_complete_read(&f.v, 0xffffffffcafef00du), AXV_OK);
    ck_assert_int_eq(axv_vcpu_complete_read(&f.v, 0), AXV_ERR_BAD_STATE); /* only once */
    ck_assert_int_eq(axv_vcpu_run(&f.v, &e), AXV_OK);
    ck_assert_int_eq(e.kind, AXV_EXIT_SYS_REG_READ);
    ck_assert_uint_eq(e.u.sys_reg_read.addr, 0x3a);
    ck_assert_int_eq(axv_vcpu_complete_read(&f.v, 0x1122334455667788u), AXV_OK);
    ck_assert_int_eq(axv_vcpu_run(&f.v, &e), AXV_OK);
    ck_assert_msg(e.kind == AXV_EXIT_MMIO_READ, "guest saw a wrong value: %s", axv_exit_kind_name(e.kind));

    /* A backend failing the completion takes the vCPU to Invalid and unbinds it. */
    axv_sim_fail_complete(&f.v, AXV_ERR_IO);
    ck_assert_int_eq(axv_vcpu_complete_read(&f.v, 1), AXV_ERR_IO);
    ck_assert_int_eq(axv_vcpu_state(&f.v), AXV_VCPU_INVALID);
    axv_fx_end(&f);
}
END_TEST

START_TEST(test_malformed_exit_is_arch_failure)
{
    /* The simulated hardware reports an MMIO read of width 3: a backend bug. */
    static const struct axv_sim_insn prog[] = {AXV_SIM_EXIT(AXV_EXIT_MMIO_READ, 0x9000, 3, 1, 8, 0)};
    struct axv_fx f;
    struct axv_exit e;

    axv_fx_begin_prog(&f, AXV_VCPU_READY, prog, 1);
    if (axv_fx_ops->trusted_exits) {
        /* The contract of trusted_exits: the backend vouches, nothing is checked. */
        ck_assert_int_eq(axv_vcpu_run(&f.v, &e), AXV_OK);
        ck_assert_int_eq(e.u.mmio_read.width, 3);
        ck_assert_int_eq(axv_vcpu_state(&f.v), AXV_VCPU_READY);
        axv_fx_end(&f);
        return;
    }
    ck_assert_int_eq(axv_vcpu_run(&f.v, &e), AXV_ERR_INVALID_DATA);
    ck_assert_int_eq(axv_vcpu_state(&f.v), AXV_VCPU_INVALID);
    ck_assert_ptr_null(f.v.pcpu);
    axv_fx_end(&f); /* fini succeeds: the failed vCPU no longer counts as bound */
}
END_TEST

START_TEST(test_bad_arguments)
{
    struct axv_fx f;
    struct axv_vcpu v;
    struct axv_vcpu_config vc = {0};

    ck_assert_int_eq(axv_vcpu_create(NULL, &vc, axv_fx_ops, axv_host_hal()), AXV_ERR_INVALID_INPUT);
    ck_assert_int_eq(axv_vcpu_create(&v, NULL, axv_fx_ops, axv_host_hal()), AXV_ERR_INVALID_INPUT);
    ck_assert_int_eq(axv_vcpu_create(&v, &vc, axv_fx_ops, axv_host_hal()), AXV_ERR_INVALID_INPUT); /* no program config */
    ck_assert_int_eq(axv_vcpu_state(&v), AXV_VCPU_INVALID);
    axv_sim_fail_global(AXV_SIM_FAIL_CREATE, AXV_ERR_NO_MEMORY);
    struct axv_sim_config cfg = {.prog = halt_loop, .len = 2};
    vc.arch_config = &cfg;
    ck_assert_int_eq(axv_vcpu_create(&v, &vc, axv_fx_ops, axv_host_hal()), AXV_ERR_NO_MEMORY);
    ck_assert_int_eq(axv_vcpu_state(&v), AXV_VCPU_INVALID);

    /* NULL, and memory that never went through create, are refused, not dereferenced. */
    struct axv_vcpu zero;
    struct axv_exit e;
    memset(&zero, 0, sizeof(zero));
    ck_assert_int_eq(axv_vcpu_bind(NULL), AXV_ERR_INVALID_INPUT);
    ck_assert_int_eq(axv_vcpu_bind(&zero), AXV_ERR_INVALID_INPUT);
    ck_assert_int_eq(axv_vcpu_run(&zero, &e), AXV_ERR_INVALID_INPUT);
    ck_assert_int_eq(axv_vcpu_set_gpr(&zero, 0, 1), AXV_ERR_INVALID_INPUT);
    ck_assert_int_eq(axv_vcpu_complete_read(NULL, 1), AXV_ERR_INVALID_INPUT);
    ck_assert_int_eq(axv_vcpu_destroy(&zero), AXV_ERR_INVALID_INPUT);
    ck_assert_int_eq(axv_vcpu_state(NULL), AXV_VCPU_INVALID);
    ck_assert_int_eq(axv_percpu_enable(NULL), AXV_ERR_INVALID_INPUT);
    ck_assert(!axv_percpu_is_enabled(NULL));
    ck_assert_int_eq(axv_trace_attach(NULL, NULL, 0), AXV_ERR_INVALID_INPUT);

    axv_fx_begin(&f, AXV_VCPU_READY);
    ck_assert_int_eq(axv_vcpu_set_gpr(&f.v, AXV_SIM_NUM_GPRS, 1), AXV_ERR_INVALID_INPUT);
    ck_assert_int_eq(axv_vcpu_run(&f.v, NULL), AXV_ERR_INVALID_INPUT);
    ck_assert_int_eq(axv_vcpu_state(&f.v), AXV_VCPU_READY);
    axv_fx_end(&f);

    axv_fx_begin(&f, AXV_VCPU_CREATED);
    ck_assert_int_eq(axv_vcpu_setup(&f.v, 0, NULL, NULL), AXV_ERR_INVALID_INPUT);
    ck_assert_int_eq(axv_vcpu_state(&f.v), AXV_VCPU_CREATED);
    /* The backend refuses a nonsensical page-table geometry: an arch failure. */
    struct axv_npt_config bad = {.root = 0x1000, .levels = 9, .gpa_bits = 48};
    ck_assert_int_eq(axv_vcpu_setup(&f.v, 0, &bad, NULL), AXV_ERR_INVALID_INPUT);
    ck_assert_int_eq(axv_vcpu_state(&f.v), AXV_VCPU_INVALID);
    axv_fx_end(&f);
}
END_TEST

START_TEST(test_destroy_releases_once)
{
    struct axv_fx f;
    enum axv_arch_op ops[4];

    axv_fx_begin(&f, AXV_VCPU_FREE);
    ck_assert_int_eq(axv_vcpu_destroy(&f.v), AXV_OK);
    ck_assert_int_eq(axv_host_frames_in_use(), 0);
    axv_sim_op_log_clear();
    ck_assert_int_eq(axv_vcpu_destroy(&f.v), AXV_OK); /* Invalid x destroy: nothing left to release */
    ck_assert_uint_eq(axv_sim_op_log(&f.v, ops, 4), 0);
    axv_fx_end(&f);
}
END_TEST

START_TEST(test_error_tables)
{
    ck_assert_str_eq(axv_err_name(AXV_OK), "ok");
    ck_assert_str_eq(axv_err_name(AXV_ERR_BAD_STATE), "bad_state");
    ck_assert_int_eq(AXV_ERR_BAD_STATE, 7);
    ck_assert_int_eq(AXV_ERR_WRITE_ZERO, 43);
    ck_assert_int_eq(axv_err_errno(AXV_ERR_BAD_STATE), 14);
    ck_assert_int_eq(axv_err_errno(AXV_ERR_WOULD_BLOCK), 11);
    ck_assert_int_eq(axv_err_errno(AXV_OK), 0);
    ck_assert_str_eq(axv_err_name((enum axv_err)44), "unknown");
    ck_assert_str_eq(axv_err_message((enum axv_err)-1), "unknown error");
    ck_assert_int_eq(axv_err_errno((enum axv_err)1000), 5);
    ck_assert_str_eq(axv_vcpu_state_name(AXV_VCPU_BLOCKED), "blocked");
    ck_assert_str_eq(axv_vcpu_state_name(200), "unknown");
    ck_assert_str_eq(axv_vcpu_event_name(AXV_EVENT_INJECT_INTERRUPT), "inject_interrupt");
    ck_assert_uint_eq(axv_vcpu_sm_step(200, AXV_EVENT_BIND), AXV_VCPU_REJECT);
}
END_TEST

START_TEST(test_format_truncates)
{
    struct axv_exit e;
    char small[8];

    memset(&e, 0, sizeof(e));
    axv_exit_make_mmio_write(&e, 0x1000, 4, 0xff);
    size_t n = axv_exit_format(&e, small, sizeof(small));
    ck_assert_str_eq(small, "mmio_wr");
    char big[128];
    ck_assert_uint_eq(axv_exit_format(&e, big, sizeof(big)), n);
    ck_assert_str_eq(big, "mmio_write addr=0x1000 width=4 data=0xff");
    ck_assert_uint_eq(axv_exit_format(&e, NULL, 0), n);

    e.raw.source = AXV_RAW_SOURCE_KVM;
    e.raw.code = 2;
    axv_exit_format(&e, big, sizeof(big));
    ck_assert_str_eq(big, "mmio_write addr=0x1000 width=4 data=0xff raw{source=kvm code=0x2 qual=0x0 addr=0x0 insn=0x0}");

    axv_exit_make_nested_page_fault(&e, 0x5000, AXV_NESTED_PAGE_FAULT_ACCESS_FLAGS_WRITE | 0x40u);
    e.raw.source = 0;
    axv_exit_format(&e, big, sizeof(big));
    ck_assert_str_eq(big, "nested_page_fault addr=0x5000 access_flags=0x42(write|0x40)");
}
END_TEST

Suite *axv_runtime_suite(void)
{
    Suite *s = suite_create("runtime");
    TCase *tc = tcase_create("runtime");

    tcase_add_test(tc, test_percpu_lifecycle);
    tcase_add_test(tc, test_bind_needs_enabled_cpu);
    tcase_add_test(tc, test_current_and_nesting);
    tcase_add_test(tc, test_read_value_shape);
    tcase_add_test(tc, test_completion_protocol);
    tcase_add_test(tc, test_malformed_exit_is_arch_failure);
    tcase_add_test(tc, test_bad_arguments);
    tcase_add_test(tc, test_destroy_releases_once);
    tcase_add_test(tc, test_error_tables);
    tcase_add_test(tc, test_format_truncates);
    suite_add_tcase(s, tc);
    return s;
}
