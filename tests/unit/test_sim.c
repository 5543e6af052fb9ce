/* The sim backend: guests that produce every exit kind and check the VMM's answers. */
#include <string.h>

#include "fixture.h"

static const struct axv_npt_config npt = {.root = 0x200000, .levels = 4, .gpa_bits = 48};

struct guest {
    struct axv_percpu pc;
    struct axv_vcpu v;
    struct axv_sim_config cfg;
};

static void guest_start(struct guest *g, const struct axv_sim_insn *prog, uint32_t len)
{
    memset(g, 0, sizeof(*g));
    g->cfg = (struct axv_sim_config){.prog = prog, .len = len};
    struct axv_vcpu_config vc = {.vm_id = 2, .arch_config = &g->cfg};
    ck_assert_int_eq(axv_percpu_init(&g->pc, 0, axv_fx_ops, axv_host_hal()), AXV_OK);
    ck_assert_int_eq(axv_percpu_enable(&g->pc), AXV_OK);
    ck_assert_int_eq(axv_vcpu_create(&g->v, &vc, axv_fx_ops, axv_host_hal()), AXV_OK);
    ck_assert_int_eq(axv_vcpu_setup(&g->v, 0, &npt, NULL), AXV_OK);
    ck_assert_int_eq(axv_vcpu_bind(&g->v), AXV_OK);
}

static void guest_stop(struct guest *g)
{
    if (axv_vcpu_state(&g->v) == AXV_VCPU_BLOCKED)
        ck_assert_int_eq(axv_vcpu_unblock(&g->v), AXV_OK);
    if (axv_vcpu_state(&g->v) == AXV_VCPU_READY)
        ck_assert_int_eq(axv_vcpu_unbind(&g->v), AXV_OK);
    ck_assert_int_eq(axv_vcpu_destroy(&g->v), AXV_OK);
    ck_assert_int_eq(axv_percpu_fini(&g->pc), AXV_OK);
    ck_assert_int_eq(axv_host_frames_in_use(), 0);
}

static struct axv_exit guest_run(struct guest *g)
{
    struct axv_exit e;
    enum axv_err err = axv_vcpu_run(&g->v, &e);
    ck_assert_msg(err == AXV_OK, "run failed: %s", axv_err_name(err));
    return e;
}

/* A value every field type accepts under the current constraints' usual shapes. */
static uint64_t plausible(const struct axv_exit_field_desc *d, uint32_t i)
{
    switch (d->type) {
    case AXV_FIELD_ACCESS_WIDTH:
        return 4;
    case AXV_FIELD_BOOL:
    case AXV_FIELD_U8:
    case AXV_FIELD_U16:
    case AXV_FIELD_U32:
    case AXV_FIELD_FLAGS:
        return 1;
    case AXV_FIELD_U64:
    case AXV_FIELD_GPA:
    case AXV_FIELD_HPA:
    case AXV_FIELD_GVA:
    case AXV_FIELD_PORT:
    case AXV_FIELD_SYSREG:
        return 0x100u + i;
    }
    return 0;
}

START_TEST(test_every_exit_kind)
{
    struct axv_sim_insn prog[AXV_EXIT__LIMIT + 1];
    uint32_t len = 0;
    bool seen[AXV_EXIT__LIMIT] = {false};
    struct guest g;

    memset(prog, 0, sizeof(prog));
    for (uint32_t k = 0; k < AXV_EXIT__LIMIT; k++) {
        const struct axv_exit_kind_desc *d = &axv_exit_kinds[k];
        if (!d->name)
            continue;
        struct axv_sim_insn *in = &prog[len++];
        uint32_t n = 0;
        in->op = AXV_SIM_OP_EXIT;
        in->kind = (uint8_t)k;
        for (uint32_t f = 0; f < d->n_fields; f++)
            for (uint32_t i = 0; i < d->fields[f].count && n < AXV_SIM_MAX_VALS; i++)
                in->vals[n] = plausible(&d->fields[f], n), n++;
    }
    prog[len++] = (struct axv_sim_insn)AXV_SIM_JUMP(0);
    guest_start(&g, prog, len);
    for (uint32_t i = 0; i + 1 < len; i++) {
        struct axv_exit e = guest_run(&g);
        char text[256];
        axv_exit_format(&e, text, sizeof(text));
        ck_assert_msg(e.kind == prog[i].kind, "exit %u: expected %s, got %s", i,
                      axv_exit_kind_name((enum axv_exit_kind)prog[i].kind), text);
        ck_assert_int_eq(e.raw.source, AXV_RAW_SOURCE_SIM);
        ck_assert_uint_eq(e.raw.qual, i);
        ck_assert_int_eq(axv_exit_validate(&e, NULL), AXV_OK);
        seen[e.kind] = true;
        if (axv_exit_kinds[e.kind].is_read)
            ck_assert_int_eq(axv_vcpu_complete_read(&g.v, 0), AXV_OK);
    }
    uint32_t kinds = 0;
    for (uint32_t k = 0; k < AXV_EXIT__LIMIT; k++)
        kinds += seen[k];
    ck_assert_uint_eq(kinds, AXV_EXIT__COUNT);
    guest_stop(&g);
}
END_TEST

/* The guest reads MMIO at every width, signed and unsigned, and checks what it got. */
START_TEST(test_mmio_read_widths)
{
    static const struct {
        uint8_t width, reg_width;
        bool sign;
        uint64_t device, want;
    } cases[] = {
        {1, 8, false, 0xa5u, 0xa5u},
        {1, 8, true, 0xa5u, 0xffffffffffffffa5u},
        {1, 4, true, 0xa5u, 0xffffffa5u},
        {2, 8, false, 0xbeefu, 0xbeefu},
        {2, 8, true, 0xbeefu, 0xffffffffffffbeefu},
        {4, 8, false, 0xdeadbeefu, 0xdeadbeefu},
        {4, 8, true, 0xdeadbeefu, 0xffffffffdeadbeefu},
        {4, 8, true, 0x12345678u, 0x12345678u},
        {8, 8, false, 0x0123456789abcdefu, 0x0123456789abcdefu},
    };
    enum { N = sizeof(cases) / sizeof(cases[0]) };
    struct axv_sim_insn prog[2 * N + 1];
    struct guest g;

    memset(prog, 0, sizeof(prog));
    for (uint32_t i = 0; i < N; i++) {
        prog[2 * i] = (struct axv_sim_insn)AXV_SIM_EXIT(AXV_EXIT_MMIO_READ, 0x10000000u + 8u * i, cases[i].width,
                                                        10 + i % 8, cases[i].reg_width, cases[i].sign);
        prog[2 * i + 1] = (struct axv_sim_insn)AXV_SIM_EXPECT(10 + i % 8, cases[i].want);
    }
    prog[2 * N] = (struct axv_sim_insn)AXV_SIM_EXIT(AXV_EXIT_SYSTEM_DOWN);
    guest_start(&g, prog, 2 * N + 1);
    for (uint32_t i = 0; i < N; i++) {
        struct axv_exit e = guest_run(&g);
        ck_assert_int_eq(e.kind, AXV_EXIT_MMIO_READ);
        ck_assert_uint_eq(e.u.mmio_read.width, cases[i].width);
        /* The device holds more bits than the access: the library truncates. */
        ck_assert_int_eq(axv_vcpu_complete_read(&g.v, cases[i].device | 0x7700000000000000u * (cases[i].width < 8)),
                         AXV_OK);
    }
    struct axv_exit e = guest_run(&g);
    char text[160];
    axv_exit_format(&e, text, sizeof(text));
    ck_assert_msg(e.kind == AXV_EXIT_SYSTEM_DOWN, "guest check failed: %s", text);
    guest_stop(&g);
}
END_TEST

/* A wrong answer is noticed by the guest: the check above can fail. */
START_TEST(test_guest_notices_wrong_value)
{
    static const struct axv_sim_insn prog[] = {
        AXV_SIM_EXIT(AXV_EXIT_MMIO_READ, 0x1000, 2, 3, 8, 1),
        AXV_SIM_EXPECT(3, 0xffffffffffff8000u),
        AXV_SIM_EXIT(AXV_EXIT_SYSTEM_DOWN),
    };
    struct guest g;

    guest_start(&g, prog, 3);
    ck_assert_int_eq(guest_run(&g).kind, AXV_EXIT_MMIO_READ);
    ck_assert_int_eq(axv_vcpu_complete_read(&g.v, 0x7fff), AXV_OK);
    struct axv_exit e = guest_run(&g);
    ck_assert_int_eq(e.kind, AXV_EXIT_INTERNAL_ERROR);
    ck_assert_uint_eq(e.u.internal_error.subcode, AXV_INTERNAL_ERROR_SUBCODE_EMULATION_FAILED);
    ck_assert_uint_eq(e.u.internal_error.detail, 0x7fff);
    guest_stop(&g);
}
END_TEST

START_TEST(test_io_read_merges_like_x86)
{
    static const struct axv_sim_insn prog[] = {
        AXV_SIM_MOV(0, 0xaaaaaaaaaaaaaaaau),
        AXV_SIM_EXIT(AXV_EXIT_IO_READ, 0x3f8, 1),
        AXV_SIM_EXPECT(0, 0xaaaaaaaaaaaaaa34u),
        AXV_SIM_EXIT(AXV_EXIT_IO_READ, 0x3f8, 2),
        AXV_SIM_EXPECT(0, 0xaaaaaaaaaaaa5678u),
        AXV_SIM_EXIT(AXV_EXIT_IO_READ, 0xcfc, 4),
        AXV_SIM_EXPECT(0, 0x9abcdef0u),
        AXV_SIM_EXIT(AXV_EXIT_SYSTEM_DOWN),
    };
    static const uint64_t answers[] = {0x1234, 0x5678, 0x123456789abcdef0u};
    struct guest g;

    guest_start(&g, prog, 8);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(guest_run(&g).kind, AXV_EXIT_IO_READ);
        ck_assert_int_eq(axv_vcpu_complete_read(&g.v, answers[i]), AXV_OK);
    }
    ck_assert_int_eq(guest_run(&g).kind, AXV_EXIT_SYSTEM_DOWN);
    guest_stop(&g);
}
END_TEST

START_TEST(test_hypercall_return_value)
{
    static const struct axv_sim_insn prog[] = {
        AXV_SIM_EXIT(AXV_EXIT_HYPERCALL, 7, 1, 2, 3, 4, 5, 6),
        AXV_SIM_EXPECT(0, 0x99),
        AXV_SIM_EXIT(AXV_EXIT_SYSTEM_DOWN),
    };
    struct guest g;

    guest_start(&g, prog, 3);
    struct axv_exit e = guest_run(&g);
    ck_assert_int_eq(e.kind, AXV_EXIT_HYPERCALL);
    ck_assert_uint_eq(e.u.hypercall.nr, 7);
    for (uint32_t i = 0; i < 6; i++)
        ck_assert_uint_eq(e.u.hypercall.args[i], i + 1);
    ck_assert_int_eq(axv_vcpu_set_return_value(&g.v, 0x99), AXV_OK);
    ck_assert_int_eq(guest_run(&g).kind, AXV_EXIT_SYSTEM_DOWN);
    guest_stop(&g);
}
END_TEST

/* Halt, block, inject, unblock: the guest wakes with the vector it was sent. */
START_TEST(test_halt_block_wake)
{
    static const struct axv_sim_insn prog[] = {
        AXV_SIM_WAIT_IRQ(4),
        AXV_SIM_EXPECT(4, 33),
        AXV_SIM_EXIT(AXV_EXIT_SYSTEM_DOWN),
    };
    struct guest g;
    struct axv_exit e;

    guest_start(&g, prog, 3);
    ck_assert_int_eq(guest_run(&g).kind, AXV_EXIT_HALT);
    ck_assert_int_eq(axv_vcpu_block(&g.v), AXV_OK);
    ck_assert_int_eq(axv_vcpu_run(&g.v, &e), AXV_ERR_BAD_STATE);
    ck_assert_int_eq(axv_vcpu_inject_interrupt(&g.v, 33), AXV_OK);
    ck_assert_int_eq(axv_vcpu_unblock(&g.v), AXV_OK);
    ck_assert_int_eq(guest_run(&g).kind, AXV_EXIT_SYSTEM_DOWN);
    ck_assert_int_eq(axv_vcpu_inject_interrupt(&g.v, 256), AXV_ERR_INVALID_INPUT);
    ck_assert_int_eq(axv_vcpu_state(&g.v), AXV_VCPU_READY); /* inject keeps the state on failure */
    guest_stop(&g);
}
END_TEST

/* Misbehaving guests get defined exits; the host keeps running them. */
START_TEST(test_misbehaving_guests)
{
    static const struct axv_sim_insn spin[] = {AXV_SIM_JUMP(0)};
    static const struct axv_sim_insn runaway[] = {AXV_SIM_MOV(1, 2)};
    static const struct axv_sim_insn garbage[] = {{.op = 0xee}};
    static const struct axv_sim_insn bad_kind[] = {AXV_SIM_EXIT(AXV_EXIT__LIMIT + 7)};
    struct guest g;
    struct axv_exit e;

    guest_start(&g, spin, 1);
    ck_assert_int_eq(guest_run(&g).kind, AXV_EXIT_PREEMPTION_TIMER);
    ck_assert_int_eq(guest_run(&g).kind, AXV_EXIT_PREEMPTION_TIMER);
    guest_stop(&g);

    guest_start(&g, runaway, 1);
    e = guest_run(&g);
    ck_assert_int_eq(e.kind, AXV_EXIT_INTERNAL_ERROR);
    ck_assert_uint_eq(e.u.internal_error.subcode, AXV_INTERNAL_ERROR_SUBCODE_UNKNOWN_TRAP);
    ck_assert_int_eq(axv_vcpu_set_entry(&g.v, 0), AXV_OK); /* the VMM restarts it */
    ck_assert_int_eq(guest_run(&g).kind, AXV_EXIT_INTERNAL_ERROR);
    guest_stop(&g);

    guest_start(&g, garbage, 1);
    e = guest_run(&g);
    ck_assert_int_eq(e.kind, AXV_EXIT_INTERNAL_ERROR);
    ck_assert_uint_eq(e.u.internal_error.subcode, AXV_INTERNAL_ERROR_SUBCODE_UNDECODABLE_INSN);
    guest_stop(&g);

    guest_start(&g, bad_kind, 1);
    e = guest_run(&g);
    ck_assert_int_eq(e.kind, AXV_EXIT_INTERNAL_ERROR);
    ck_assert_uint_eq(e.u.internal_error.subcode, AXV_INTERNAL_ERROR_SUBCODE_UNKNOWN_EXIT);
    guest_stop(&g);
}
END_TEST

START_TEST(test_setup_reaches_backend)
{
    struct guest g;
    static const struct axv_sim_insn prog[] = {AXV_SIM_EXIT(AXV_EXIT_HALT), AXV_SIM_EXIT(AXV_EXIT_IDLE)};

    guest_start(&g, prog, 2);
    struct axv_npt_config got = axv_sim_npt(&g.v);
    ck_assert_uint_eq(got.root, npt.root);
    ck_assert_uint_eq(got.levels, 4);
    ck_assert_int_eq(axv_vcpu_set_entry(&g.v, 1), AXV_OK);
    ck_assert_int_eq(guest_run(&g).kind, AXV_EXIT_IDLE);
    ck_assert_int_eq(axv_vcpu_set_gpr(&g.v, 31, 0x5555), AXV_OK);
    ck_assert_uint_eq(axv_sim_gpr(&g.v, 31), 0x5555);
    guest_stop(&g);
}
END_TEST

Suite *axv_sim_suite(void)
{
    Suite *s = suite_create("sim");
    TCase *tc = tcase_create("guests");

    tcase_add_test(tc, test_every_exit_kind);
    tcase_add_test(tc, test_mmio_read_widths);
    tcase_add_test(tc, test_guest_notices_wrong_value);
    tcase_add_test(tc, test_io_read_merges_like_x86);
    tcase_add_test(tc, test_hypercall_return_value);
    tcase_add_test(tc, test_halt_block_wake);
    tcase_add_test(tc, test_misbehaving_guests);
    tcase_add_test(tc, test_setup_reaches_backend);
    suite_add_tcase(s, tc);
    return s;
}
