/*
 * make bench: the generated state machine and exit code beside hand-written
 * baselines in the same binary, rounds interleaved, best round reported.
 * Absolute times on shared machines are noisy; the ratios are the result.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "axv/axv.h"
#include "axv/sim.h"

enum { ROUNDS = 9, PAIRS = 4096 };

static volatile uint64_t sink;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ----------------------------------------------------- hand-written baseline */
/* The lifecycle as a person would write it without a spec: a plain switch. */
static uint32_t hand_step(uint32_t s, uint32_t ev)
{
    switch (s) {
    case AXV_VCPU_INVALID:
        return ev == AXV_EVENT_DESTROY ? AXV_VCPU_INVALID : AXV_VCPU_REJECT;
    case AXV_VCPU_CREATED:
        switch (ev) {
        case AXV_EVENT_SETUP: return AXV_VCPU_FREE;
        case AXV_EVENT_DESTROY: return AXV_VCPU_INVALID;
        case AXV_EVENT_SET_ENTRY: case AXV_EVENT_SET_GPR: case AXV_EVENT_SET_RETURN_VALUE:
        case AXV_EVENT_INJECT_INTERRUPT: return AXV_VCPU_CREATED;
        default: return AXV_VCPU_REJECT;
        }
    case AXV_VCPU_FREE:
        switch (ev) {
        case AXV_EVENT_BIND: return AXV_VCPU_READY;
        case AXV_EVENT_DESTROY: return AXV_VCPU_INVALID;
        case AXV_EVENT_SET_ENTRY: case AXV_EVENT_SET_GPR: case AXV_EVENT_SET_RETURN_VALUE:
        case AXV_EVENT_INJECT_INTERRUPT: return AXV_VCPU_FREE;
        default: return AXV_VCPU_REJECT;
        }
    case AXV_VCPU_READY:
        switch (ev) {
        case AXV_EVENT_UNBIND: return AXV_VCPU_FREE;
        case AXV_EVENT_RUN: return AXV_VCPU_READY;
        case AXV_EVENT_BLOCK: return AXV_VCPU_BLOCKED;
        case AXV_EVENT_SET_ENTRY: case AXV_EVENT_SET_GPR: case AXV_EVENT_SET_RETURN_VALUE:
        case AXV_EVENT_INJECT_INTERRUPT: return AXV_VCPU_READY;
        default: return AXV_VCPU_REJECT;
        }
    case AXV_VCPU_RUNNING:
        return ev == AXV_EVENT_INJECT_INTERRUPT ? AXV_VCPU_RUNNING : AXV_VCPU_REJECT;
    case AXV_VCPU_BLOCKED:
        switch (ev) {
        case AXV_EVENT_UNBLOCK: return AXV_VCPU_READY;
        case AXV_EVENT_SET_ENTRY: case AXV_EVENT_SET_GPR: case AXV_EVENT_SET_RETURN_VALUE:
        case AXV_EVENT_INJECT_INTERRUPT: return AXV_VCPU_BLOCKED;
        default: return AXV_VCPU_REJECT;
        }
    default:
        return AXV_VCPU_REJECT;
    }
}

/* The same block/unblock a hand-written VMM would do: one CAS on a switch. */
/* Not inlined: the library call it stands beside is not inlined either. */
__attribute__((noinline)) static enum axv_err hand_block(uint32_t *state, uint32_t ev)
{
    uint32_t cur = __atomic_load_n(state, __ATOMIC_ACQUIRE);
    uint32_t next;

    switch (cur) {
    case AXV_VCPU_READY:
        next = ev == AXV_EVENT_BLOCK ? AXV_VCPU_BLOCKED : AXV_VCPU_REJECT;
        break;
    case AXV_VCPU_BLOCKED:
        next = ev == AXV_EVENT_UNBLOCK ? AXV_VCPU_READY : AXV_VCPU_REJECT;
        break;
    default:
        next = AXV_VCPU_REJECT;
        break;
    }
    if (next == AXV_VCPU_REJECT)
        return AXV_ERR_BAD_STATE;
    return __atomic_compare_exchange_n(state, &cur, next, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE) ? AXV_OK
                                                                                                : AXV_ERR_BAD_STATE;
}

/* Hand-written validate + format of an MMIO read, the exit a VMM sees most. */
static size_t hand_mmio_read(uint64_t addr, uint8_t width, uint8_t reg, char *buf, size_t size)
{
    struct axv_fmt f;

    if ((width != 1 && width != 2 && width != 4 && width != 8) || reg > 31)
        return 0;
    axv_fmt_init(&f, buf, size);
    axv_fmt_str(&f, "mmio_read addr=");
    axv_fmt_hex(&f, addr);
    axv_fmt_str(&f, " width=");
    axv_fmt_dec(&f, width);
    axv_fmt_str(&f, " reg=");
    axv_fmt_dec(&f, reg);
    axv_fmt_str(&f, " reg_width=8 signed_ext=false");
    return axv_fmt_end(&f);
}

/* ------------------------------------------------------------------ kernels */
struct pair {
    uint32_t s, ev;
};
static struct pair legal[PAIRS], rejected[PAIRS];

static uint64_t run_gen(const struct pair *p, long n)
{
    uint64_t acc = 0;
    for (long i = 0; i < n; i++) {
        const struct pair *q = &p[i & (PAIRS - 1)];
        acc += axv_vcpu_sm_step(q->s, (enum axv_vcpu_event)q->ev);
    }
    return acc;
}

static uint64_t run_hand(const struct pair *p, long n)
{
    uint64_t acc = 0;
    for (long i = 0; i < n; i++) {
        const struct pair *q = &p[i & (PAIRS - 1)];
        acc += hand_step(q->s, q->ev);
    }
    return acc;
}

static struct axv_vcpu bench_vcpu;

static uint64_t run_api(long n)
{
    uint64_t acc = 0;
    for (long i = 0; i < n; i += 2) {
        acc += axv_vcpu_block(&bench_vcpu);
        acc += axv_vcpu_unblock(&bench_vcpu);
    }
    return acc;
}

static uint64_t run_api_hand(long n)
{
    static uint32_t state = AXV_VCPU_READY;
    uint64_t acc = 0;
    for (long i = 0; i < n; i += 2) {
        acc += hand_block(&state, AXV_EVENT_BLOCK);
        acc += hand_block(&state, AXV_EVENT_UNBLOCK);
    }
    return acc;
}

static uint64_t run_exit_gen(long n)
{
    char buf[128];
    uint64_t acc = 0;
    struct axv_exit e;

    memset(&e, 0, sizeof(e));
    for (long i = 0; i < n; i++) {
        axv_exit_make_mmio_read(&e, 0x1000u + (uint64_t)(i & 0xff), 4, (uint8_t)(i & 15), 8, false);
        if (axv_exit_validate(&e, NULL) == AXV_OK)
            acc += axv_exit_format(&e, buf, sizeof(buf));
    }
    return acc;
}

static uint64_t run_exit_hand(long n)
{
    char buf[128];
    uint64_t acc = 0;
    for (long i = 0; i < n; i++)
        acc += hand_mmio_read(0x1000u + (uint64_t)(i & 0xff), 4, (uint8_t)(i & 15), buf, sizeof(buf));
    return acc;
}

/* --------------------------------------------------------------- measuring */
enum { K_GEN_LEGAL, K_HAND_LEGAL, K_GEN_REJ, K_HAND_REJ, K_API, K_API_HAND, K_EXIT, K_EXIT_HAND, K_COUNT };

static double time_kernel(int k, long n)
{
    uint64_t t0 = now_ns(), acc = 0;
    switch (k) {
    case K_GEN_LEGAL: acc = run_gen(legal, n); break;
    case K_HAND_LEGAL: acc = run_hand(legal, n); break;
    case K_GEN_REJ: acc = run_gen(rejected, n); break;
    case K_HAND_REJ: acc = run_hand(rejected, n); break;
    case K_API: acc = run_api(n); break;
    case K_API_HAND: acc = run_api_hand(n); break;
    case K_EXIT: acc = run_exit_gen(n); break;
    default: acc = run_exit_hand(n); break;
    }
    sink += acc;
    return (double)(now_ns() - t0) / (double)n;
}

static void fill_pairs(void)
{
    uint32_t seed = 12345, nl = 0, nr = 0;
    while (nl < PAIRS || nr < PAIRS) {
        seed = seed * 1103515245u + 12345u;
        uint32_t s = (seed >> 8) % AXV_VCPU_STATE__LIMIT, ev = (seed >> 20) % AXV_EVENT__COUNT;
        uint32_t next = axv_vcpu_sm_step(s, (enum axv_vcpu_event)ev);
        if (next != hand_step(s, ev)) {
            fprintf(stderr, "bench: baseline disagrees with the spec at (%s, %s)\n", axv_vcpu_state_name(s),
                    axv_vcpu_event_name((enum axv_vcpu_event)ev));
            exit(1);
        }
        if (next != AXV_VCPU_REJECT && nl < PAIRS)
            legal[nl++] = (struct pair){s, ev};
        else if (next == AXV_VCPU_REJECT && nr < PAIRS)
            rejected[nr++] = (struct pair){s, ev};
    }
}

static void setup_vcpu(void)
{
    static struct axv_percpu pc;
    static const struct axv_sim_insn prog[] = {AXV_SIM_EXIT(AXV_EXIT_HALT)};
    static struct axv_sim_config cfg = {.prog = prog, .len = 1};
    static const struct axv_npt_config npt = {.root = 0x1000, .levels = 4, .gpa_bits = 48};
    struct axv_vcpu_config vc = {.arch_config = &cfg};

    if (axv_percpu_init(&pc, 0, &axv_sim_ops, axv_host_hal()) || axv_percpu_enable(&pc) ||
        axv_vcpu_create(&bench_vcpu, &vc, &axv_sim_ops, axv_host_hal()) ||
        axv_vcpu_setup(&bench_vcpu, 0, &npt, NULL) || axv_vcpu_bind(&bench_vcpu)) {
        fprintf(stderr, "bench: cannot set up the sim vCPU\n");
        exit(1);
    }
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 20000000L;
    double best[K_COUNT];

    fill_pairs();
    setup_vcpu();
    for (int k = 0; k < K_COUNT; k++)
        best[k] = 1e9;
    for (int r = 0; r < ROUNDS; r++)
        for (int k = 0; k < K_COUNT; k++) {
            double t = time_kernel(k, k >= K_EXIT ? n / 20 : n);
            if (t < best[k])
                best[k] = t;
        }

    static const char *const names[] = {"legal transition (step)", "rejected transition (step)",
                                        "legal transition (API, CAS)", "exit construct+validate+format"};
    printf("axvcpu core bench: best of %d interleaved rounds, %ld ops per round\n", ROUNDS, n);
    printf("%-34s %12s %12s %8s\n", "", "generated", "hand-written", "ratio");
    for (int i = 0; i < 4; i++) {
        double g = best[2 * i], h = best[2 * i + 1];
        printf("%-34s %9.2f ns %9.2f ns %8.2f\n", names[i], g, h, g / h);
    }
    printf("acceptance: legal-transition ratio %.2f (<= 1.10), %.2f ns per legal transition (<= 3 ns)\n",
           best[K_GEN_LEGAL] / best[K_HAND_LEGAL], best[K_GEN_LEGAL]);
    return 0;
}
