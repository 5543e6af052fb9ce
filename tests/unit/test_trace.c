/* The trace ring: what is recorded, per-point enables, wrap-around, export. */
#include <string.h>

#include "fixture.h"

START_TEST(test_trace_records_transitions_and_exits)
{
    struct axv_fx f;
    struct axv_trace_rec recs[16];
    struct axv_exit e;
    char line[160];

    axv_fx_begin(&f, AXV_VCPU_FREE);
    ck_assert_int_eq(axv_trace_attach(&f.v, recs, 16), AXV_OK);
    ck_assert_int_eq(axv_vcpu_bind(&f.v), AXV_OK);
    ck_assert_int_eq(axv_vcpu_bind(&f.v), AXV_ERR_BAD_STATE);
    ck_assert_int_eq(axv_vcpu_run(&f.v, &e), AXV_OK);
    ck_assert_uint_eq(axv_trace_count(&f.v), 4);

    const struct axv_trace_rec *r = axv_trace_get(&f.v, 0);
    ck_assert_uint_eq(r->tp, AXV_TP_BIND);
    ck_assert_uint_eq(r->from, AXV_VCPU_FREE);
    ck_assert_uint_eq(r->to, AXV_VCPU_READY);
    ck_assert_uint_eq(r->err, AXV_OK);
    r = axv_trace_get(&f.v, 1);
    ck_assert_uint_eq(r->tp, AXV_TP_BIND);
    ck_assert_uint_eq(r->from, AXV_VCPU_READY);
    ck_assert_uint_eq(r->to, AXV_VCPU_READY);
    ck_assert_uint_eq(r->err, AXV_ERR_BAD_STATE);
    axv_trace_format(r, line, sizeof(line));
    ck_assert_ptr_nonnull(strstr(line, " bind ready->ready bad_state"));
    ck_assert_uint_eq(axv_trace_get(&f.v, 2)->tp, AXV_TP_RUN);
    r = axv_trace_get(&f.v, 3);
    ck_assert_uint_eq(r->tp, AXV_TP_EXIT_HALT);
    ck_assert_str_eq(axv_trace_point_name(r->tp), "exit.halt");
    for (uint32_t i = 1; i < 4; i++)
        ck_assert_uint_le(axv_trace_get(&f.v, i - 1)->ts, axv_trace_get(&f.v, i)->ts);
    ck_assert_ptr_null(axv_trace_get(&f.v, 4));
    axv_fx_end(&f);
}
END_TEST

START_TEST(test_trace_enable_mask_and_wrap)
{
    struct axv_fx f;
    struct axv_trace_rec recs[4];
    struct axv_exit e;

    axv_fx_begin(&f, AXV_VCPU_READY);
    ck_assert_int_eq(axv_trace_attach(&f.v, recs, 3), AXV_ERR_INVALID_INPUT);
    ck_assert_int_eq(axv_trace_attach(&f.v, recs, 4), AXV_OK);
    axv_trace_enable(&f.v, AXV_TP_RUN, 0);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(axv_vcpu_run(&f.v, &e), AXV_OK);
    /* 5 exits recorded, no run transitions; the ring keeps the newest 4. */
    ck_assert_uint_eq(axv_trace_count(&f.v), 4);
    for (uint32_t i = 0; i < 4; i++)
        ck_assert_uint_eq(axv_trace_get(&f.v, i)->tp, AXV_TP_EXIT_HALT);
    ck_assert_uint_eq(f.v.trace.head, 5);
    axv_trace_enable_all(&f.v, 0);
    ck_assert_int_eq(axv_vcpu_block(&f.v), AXV_OK);
    ck_assert_uint_eq(f.v.trace.head, 5);
    axv_trace_enable(&f.v, AXV_TP_UNBLOCK, 1);
    ck_assert_int_eq(axv_vcpu_unblock(&f.v), AXV_OK);
    ck_assert_uint_eq(axv_trace_get(&f.v, 3)->tp, AXV_TP_UNBLOCK);
    axv_fx_end(&f);
}
END_TEST

START_TEST(test_trace_json_export)
{
    struct axv_fx f;
    struct axv_trace_rec recs[8];
    char json[4096];

    axv_fx_begin(&f, AXV_VCPU_CREATED);
    size_t empty = axv_trace_export_json(&f.v, json, sizeof(json));
    ck_assert_str_eq(json, "[]");
    ck_assert_uint_eq(empty, 2);
    ck_assert_int_eq(axv_trace_attach(&f.v, recs, 8), AXV_OK);
    ck_assert_int_eq(axv_vcpu_set_gpr(&f.v, 2, 0x77), AXV_OK);
    size_t n = axv_trace_export_json(&f.v, json, sizeof(json));
    ck_assert_uint_eq(n, strlen(json));
    ck_assert_ptr_nonnull(strstr(json, "\"name\":\"set_gpr\""));
    ck_assert_ptr_nonnull(strstr(json, "\"ph\":\"i\""));
    ck_assert_ptr_nonnull(strstr(json, "\"pid\":1,\"tid\":0"));
    ck_assert_ptr_nonnull(strstr(json, "\"a0\":\"0x77\""));
    ck_assert_int_eq(json[0], '[');
    ck_assert_int_eq(json[n - 1], ']');
    axv_fx_end(&f);
}
END_TEST

Suite *axv_trace_suite(void)
{
    Suite *s = suite_create("trace");
    TCase *tc = tcase_create("ring");

    tcase_add_test(tc, test_trace_records_transitions_and_exits);
    tcase_add_test(tc, test_trace_enable_mask_and_wrap);
    tcase_add_test(tc, test_trace_json_export);
    suite_add_tcase(s, tc);
    return s;
}
