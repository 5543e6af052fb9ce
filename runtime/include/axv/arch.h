/*
 * The one table through which a backend plugs in. The generic layer only
 * ever calls these; it includes no arch header. Several backends can live in
 * one process (sim and kvm in the host tests), each with its own table.
 *
 * Operations return AXV_OK or an error; a failure during a transition moves
 * the vCPU to the spec's arch-failure state (Invalid).
 */
#ifndef AXV_ARCH_H
#define AXV_ARCH_H

#include <stdbool.h>
#include <stdint.h>

#include "axv/gen/errors.h"
#include "axv/gen/exits.h"

struct axv_vcpu;
struct axv_percpu;
struct axv_exit_verdict;

/* Nested paging: the root and geometry a backend programs (EPT, VTTBR, hgatp). */
struct axv_npt_config {
    uint64_t root;      /* host-physical address of the top-level table */
    uint8_t levels;     /* 3 or 4 (5 where supported) */
    uint8_t gpa_bits;   /* guest-physical address width */
};

struct axv_arch_ops {
    const char *name;
    uint32_t num_gprs;  /* set_gpr accepts register numbers below this */
    /*
     * The backend builds every exit with the generated constructors from
     * values its decoders already checked, so the runtime need not run
     * axv_exit_validate() on the exit path. Leave false while developing.
     */
    bool trusted_exits;

    /* Per physical CPU. */
    enum axv_err (*percpu_init)(struct axv_percpu *pc);
    enum axv_err (*hardware_enable)(struct axv_percpu *pc);
    enum axv_err (*hardware_disable)(struct axv_percpu *pc);
    bool (*is_enabled)(const struct axv_percpu *pc);
    /* Releases what percpu_init allocated (after disable); may be NULL. */
    void (*percpu_fini)(struct axv_percpu *pc);

    /* Per vCPU; `create` sets vcpu->arch. */
    enum axv_err (*create)(struct axv_vcpu *v, const void *config);
    enum axv_err (*set_entry)(struct axv_vcpu *v, uint64_t gpa);
    enum axv_err (*set_npt)(struct axv_vcpu *v, const struct axv_npt_config *npt);
    enum axv_err (*setup)(struct axv_vcpu *v, const void *config);
    enum axv_err (*bind)(struct axv_vcpu *v);
    enum axv_err (*unbind)(struct axv_vcpu *v);
    /*
     * Runs until the next exit and fills *exit (kind, payload, raw).
     * Build hints, like AXV_HAL_CPU_ID_HINT (hal.h): -DAXV_RUN_HINT=fn and
     * -DAXV_COMPLETE_READ_HINT=fn name the extern run and complete_read of
     * the backend a program mostly uses; the runtime then calls them
     * directly when a vCPU's ops have them.
     */
    enum axv_err (*run)(struct axv_vcpu *v, struct axv_exit *exit);
    /*
     * Optional (NULL: the runtime calls run and the handler itself). run
     * for a vCPU with an exit handler (v->on_exit), called only while the
     * vCPU is untraced and its exits trusted. The backend may call the
     * handler from its own exit path, for exits it finishes there, and on
     * an ANSWER to a hypercall write the return value and enter the guest
     * again without returning, as KVM's fast-path exits stay in the kernel's
     * run loop. It returns, as run does, with *exit filled and *verdict
     * either what the handler said of that exit, not yet carried out (the
     * runtime does that and does not ask again), or untouched
     * (AXV_EXIT_UNASKED: the runtime asks). A handler that itself returns
     * AXV_EXIT_UNASKED is passed on as AXV_EXIT_DELIVER. Once v->run_checks
     * is set (a handler may attach a trace) the backend stops carrying
     * verdicts out and returns the one it has.
     */
    enum axv_err (*run_handled)(struct axv_vcpu *v, struct axv_exit *exit, struct axv_exit_verdict *verdict);
    enum axv_err (*set_gpr)(struct axv_vcpu *v, uint32_t reg, uint64_t value);
    /* May be called from another thread while run() is in progress. */
    enum axv_err (*inject_interrupt)(struct axv_vcpu *v, uint32_t vector);
    enum axv_err (*set_return_value)(struct axv_vcpu *v, uint64_t value);
    /*
     * Delivers the value of the last read exit: already truncated to the
     * access width, sign-extended and cut to the register width per `shape`.
     * The backend writes it where the guest expects it (a GPR, or al/ax/eax).
     */
    enum axv_err (*complete_read)(struct axv_vcpu *v, const struct axv_exit_read_shape *shape, uint64_t value);
    enum axv_err (*destroy)(struct axv_vcpu *v);
};

#endif /* AXV_ARCH_H */
