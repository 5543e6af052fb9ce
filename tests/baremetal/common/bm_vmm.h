/*
 * A tiny VMM for backend tests, the same on every arch: guest memory, a
 * per-CPU object, up to two vCPUs, the test device at GUEST_MMIO and the
 * guest's failure call turned into a test failure.
 *
 *   static const struct bm_backend be = {&axv_aarch64_ops, 0xc6000001, axv_aarch64_get_pc};
 *   struct bm_vmm *m = bm_vmm_start(&be, "mmio", NULL, NULL);
 *   struct axv_exit e = bm_vmm_run_until_event(m, 0);
 */
#ifndef BM_VMM_H
#define BM_VMM_H

#include <stdint.h>

#include "axv/axv.h"
#include "bm_vm.h"

#define BM_TESTDEV 0x0a000000u             /* GUEST_MMIO of every arch's guest.h */
#define BM_TESTDEV_VALUE 0x8081828384858687u /* what reads at offset 0..7 return */
#define BM_VMM_VCPUS 2
#define BM_VMM_WRITES 16

struct bm_backend {
    const struct axv_arch_ops *ops;
    uint64_t fail_nr;                      /* the hypercall nr of the guests' GUEST_FAIL */
    uint64_t (*pc)(const struct axv_vcpu *v);
};

struct bm_vmm {
    const struct bm_backend *be;
    struct bm_vm vm;
    struct axv_percpu pc;
    struct axv_vcpu v[BM_VMM_VCPUS];
    int nvcpus;
    struct {
        uint64_t addr, data;
        uint8_t width;
    } writes[BM_VMM_WRITES];               /* test-device writes, in order */
    int nwrites;
    int nhandled;                          /* test-device exits bm_vmm_testdev_handler absorbed */
    axv_exit_handler on_exit;              /* given to every vCPU bm_vmm_add_vcpu creates */
    void *on_exit_ctx;
};

/* The machine with `guest` loaded and vCPU 0 bound at its entry; registers teardown. */
struct bm_vmm *bm_vmm_start(const struct bm_backend *be, const char *guest, const void *arch_config,
                            const void *setup);
/* bm_vmm_start, with `on_exit` as every vCPU's exit handler (ctx: the bm_vmm when NULL). */
struct bm_vmm *bm_vmm_start_handled(const struct bm_backend *be, const char *guest, const void *arch_config,
                                    const void *setup, axv_exit_handler on_exit, void *ctx);
/* An exit handler that answers the test device as bm_vmm_run does, inside
 * the run (ctx: the bm_vmm); every other exit is delivered. */
struct axv_exit_verdict bm_vmm_testdev_handler(void *ctx, struct axv_vcpu *v, const struct axv_exit *e);
/* Runs `guest` to its end twice, with the test device answered by the VMM
 * loop and then by bm_vmm_testdev_handler, and checks both saw the same. */
void bm_vmm_check_exit_handler(const struct bm_backend *be, const char *guest, const void *arch_config,
                               const void *setup);
/* Six rounds of vCPUs 0 and 1 taking turns (round_fn(m, k, round) runs
 * vCPU k once), both unbound and bound again after rounds 1..3, with the
 * CPU disabled and enabled in between once: what time-sharing tests do. */
void bm_vmm_timeshare(struct bm_vmm *m, void (*round_fn)(struct bm_vmm *m, int k, uint64_t round));
/* Another vCPU (id = the next index), set up at entry and bound. */
void bm_vmm_add_vcpu(struct bm_vmm *m, uint64_t entry, const void *arch_config, const void *setup);
/* Runs vCPU i once: answers the test device, fails the test on GUEST_FAIL. */
struct axv_exit bm_vmm_run(struct bm_vmm *m, int i);
/* Runs vCPU i until an exit that is not a test-device access. */
struct axv_exit bm_vmm_run_until_event(struct bm_vmm *m, int i);

#endif /* BM_VMM_H */
