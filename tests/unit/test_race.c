/* Two CPUs race on one vCPU: exactly one wins each time. */
#include <pthread.h>
#include <string.h>

#include "fixture.h"

enum { ROUNDS = 300 };

static const struct axv_npt_config npt = {.root = 0x200000, .levels = 4, .gpa_bits = 48};

struct race {
    struct axv_vcpu v;
    struct axv_sim_config cfg;
    struct axv_percpu pcs[2];
    pthread_barrier_t start;
    enum axv_err results[2];
    int loser_done;     /* run race: the loser has returned; atomic */
};

struct racer {
    struct race *r;
    uint32_t slot;
    uint32_t cpu;
    int bind;           /* 1: race on bind, 0: race on run */
};

static void *racer_main(void *arg)
{
    struct racer *me = arg;
    struct axv_exit e;

    axv_host_set_cpu(me->cpu);
    pthread_barrier_wait(&me->r->start);
    enum axv_err err = me->bind ? axv_vcpu_bind(&me->r->v) : axv_vcpu_run(&me->r->v, &e);
    me->r->results[me->slot] = err;
    if (err)
        __atomic_store_n(&me->r->loser_done, 1, __ATOMIC_RELEASE);
    return NULL;
}

/* The winner's guest stays Running until the loser has had its try. */
static void hold_until_loser(struct axv_vcpu *v, uint64_t id, void *ctx)
{
    struct race *r = ctx;

    (void)v;
    (void)id;
    for (long spins = 0; spins < 200000000L && !__atomic_load_n(&r->loser_done, __ATOMIC_ACQUIRE); spins++)
        __asm__ volatile("" ::: "memory");
}

static void expect_one_winner(const struct race *r, int round)
{
    int ok0 = r->results[0] == AXV_OK, ok1 = r->results[1] == AXV_OK;

    ck_assert_msg(ok0 + ok1 == 1, "round %d: %s / %s", round, axv_err_name(r->results[0]),
                  axv_err_name(r->results[1]));
    enum axv_err loser = ok0 ? r->results[1] : r->results[0];
    ck_assert_msg(loser == AXV_ERR_BAD_STATE || loser == AXV_ERR_RESOURCE_BUSY, "round %d: loser got %s", round,
                  axv_err_name(loser));
}

static const struct axv_sim_insn prog[] = {AXV_SIM_HOOK(0), AXV_SIM_EXIT(AXV_EXIT_HALT), AXV_SIM_JUMP(0)};

static void race_setup(struct race *r)
{
    memset(r, 0, sizeof(*r));
    for (uint32_t c = 0; c < 2; c++) {
        ck_assert_int_eq(axv_percpu_init(&r->pcs[c], c, axv_fx_ops, axv_host_hal()), AXV_OK);
        ck_assert_int_eq(axv_percpu_enable(&r->pcs[c]), AXV_OK);
    }
    r->cfg = (struct axv_sim_config){.prog = prog, .len = 3, .hook = hold_until_loser, .hook_ctx = r};
    struct axv_vcpu_config vc = {.vm_id = 3, .arch_config = &r->cfg};
    ck_assert_int_eq(axv_vcpu_create(&r->v, &vc, axv_fx_ops, axv_host_hal()), AXV_OK);
    ck_assert_int_eq(axv_vcpu_setup(&r->v, 0, &npt, NULL), AXV_OK);
}

static void race_teardown(struct race *r)
{
    ck_assert_int_eq(axv_vcpu_destroy(&r->v), AXV_OK);
    for (uint32_t c = 0; c < 2; c++)
        ck_assert_int_eq(axv_percpu_fini(&r->pcs[c]), AXV_OK);
}

static void race_once(struct race *r, int bind, const uint32_t cpus[2])
{
    pthread_t t[2];
    struct racer racers[2] = {{r, 0, cpus[0], bind}, {r, 1, cpus[1], bind}};

    r->loser_done = 0;
    pthread_barrier_init(&r->start, NULL, 2);
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, racer_main, &racers[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&r->start);
}

START_TEST(test_bind_race)
{
    static struct race r;
    static const uint32_t cpus[2] = {0, 1};
    int wins[2] = {0, 0};

    race_setup(&r);
    for (int round = 0; round < ROUNDS; round++) {
        race_once(&r, 1, cpus);
        expect_one_winner(&r, round);
        int ok0 = r.results[0] == AXV_OK, ok1 = r.results[1] == AXV_OK;
        (void)ok1;
        ck_assert_int_eq(axv_vcpu_state(&r.v), AXV_VCPU_READY);
        uint32_t winner = ok0 ? 0 : 1;
        wins[winner]++;
        ck_assert_uint_eq(r.pcs[winner].bound, 1);
        ck_assert_uint_eq(r.pcs[1 - winner].bound, 0);
        axv_host_set_cpu(winner);
        ck_assert_int_eq(axv_vcpu_unbind(&r.v), AXV_OK);
    }
    axv_host_set_cpu(0);
    race_teardown(&r);
}
END_TEST

START_TEST(test_run_race)
{
    static struct race r;
    /* Both threads act as CPU 0 (two schedulers sharing it by mistake). */
    static const uint32_t cpus[2] = {0, 0};

    race_setup(&r);
    ck_assert_int_eq(axv_vcpu_bind(&r.v), AXV_OK);
    for (int round = 0; round < ROUNDS; round++) {
        race_once(&r, 0, cpus);
        expect_one_winner(&r, round);
        ck_assert_int_eq(axv_vcpu_state(&r.v), AXV_VCPU_READY);
    }
    ck_assert_int_eq(axv_vcpu_unbind(&r.v), AXV_OK);
    race_teardown(&r);
}
END_TEST

Suite *axv_race_suite(void)
{
    Suite *s = suite_create("race");
    TCase *tc = tcase_create("two_cpus");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_bind_race);
    tcase_add_test(tc, test_run_race);
    suite_add_tcase(s, tc);
    return s;
}
