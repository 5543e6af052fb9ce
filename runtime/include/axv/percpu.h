/*
 * Per physical CPU: hardware enable/disable and the current-vCPU pointer.
 *
 * The caller owns each struct axv_percpu; init registers it so vCPU
 * operations on that CPU find it. One per (CPU, backend).
 */
#ifndef AXV_PERCPU_H
#define AXV_PERCPU_H

#include <stdbool.h>
#include <stdint.h>

#include "axv/arch.h"
#include "axv/hal.h"

#ifndef AXV_MAX_CPUS
#define AXV_MAX_CPUS 64u
#endif

struct axv_vcpu;

struct axv_percpu {
    uint32_t cpu_id;
    uint32_t flags;              /* AXV_PERCPU_* below; atomic */
    uint32_t bound;              /* vCPUs bound here; atomic */
    const struct axv_arch_ops *ops;
    const struct axv_hal *hal;
    void *arch;                  /* backend's per-CPU state */
    struct axv_percpu *next;     /* other backends' objects for this CPU */
    struct axv_vcpu **current;   /* this CPU's current-vCPU slot, for the run path */
};

#define AXV_PERCPU_INITIALIZED 1u
#define AXV_PERCPU_ENABLED 2u

/* AXV_ERR_BAD_STATE on a second init, AXV_ERR_ALREADY_EXISTS if this CPU already has one for ops. */
enum axv_err axv_percpu_init(struct axv_percpu *pc, uint32_t cpu_id, const struct axv_arch_ops *ops,
                             const struct axv_hal *hal);
enum axv_err axv_percpu_enable(struct axv_percpu *pc);
enum axv_err axv_percpu_disable(struct axv_percpu *pc);
bool axv_percpu_is_enabled(const struct axv_percpu *pc);
/* Disables if enabled and unregisters; AXV_ERR_RESOURCE_BUSY while vCPUs are bound here. */
enum axv_err axv_percpu_fini(struct axv_percpu *pc);
/* The registered object for (cpu_id, ops), or NULL. */
struct axv_percpu *axv_percpu_find(uint32_t cpu_id, const struct axv_arch_ops *ops);

/*
 * The vCPU whose arch operation is in progress on a physical CPU. Setting it
 * while another is current is nesting and is refused (AXV_ERR_RESOURCE_BUSY).
 */
struct axv_vcpu *axv_current_get(uint32_t cpu_id);
enum axv_err axv_current_set(uint32_t cpu_id, struct axv_vcpu *v);
void axv_current_clear(uint32_t cpu_id, struct axv_vcpu *v);

#endif /* AXV_PERCPU_H */
