/* Per-CPU registry, hardware enable/disable and the current-vCPU pointer. */
#include <stddef.h>

#include "atomic.h"
#include "axv/percpu.h"
#include "internal.h"

/* Heads of the per-CPU lists (one object per backend) and current vCPUs. */
static struct axv_percpu *axv_percpus[AXV_MAX_CPUS];
struct axv_vcpu *axv_currents[AXV_MAX_CPUS];
static uint32_t axv_registry_lock;

static void axv_registry_acquire(void)
{
    while (!axv_cas(&axv_registry_lock, 0, 1))
        ;
}

static void axv_registry_release(void)
{
    axv_store(&axv_registry_lock, 0);
}

struct axv_percpu *axv_percpu_find(uint32_t cpu_id, const struct axv_arch_ops *ops)
{
    if (cpu_id >= AXV_MAX_CPUS)
        return NULL;
    for (struct axv_percpu *pc = __atomic_load_n(&axv_percpus[cpu_id], __ATOMIC_ACQUIRE); pc; pc = pc->next)
        if (pc->ops == ops)
            return pc;
    return NULL;
}

enum axv_err axv_percpu_init(struct axv_percpu *pc, uint32_t cpu_id, const struct axv_arch_ops *ops,
                             const struct axv_hal *hal)
{
    if (!pc || !ops || !hal || cpu_id >= AXV_MAX_CPUS)
        return AXV_ERR_INVALID_INPUT;
    if (axv_load(&pc->flags) & AXV_PERCPU_INITIALIZED)
        return AXV_ERR_BAD_STATE;

    axv_registry_acquire();
    if (axv_percpu_find(cpu_id, ops)) {
        axv_registry_release();
        return AXV_ERR_ALREADY_EXISTS;
    }
    pc->cpu_id = cpu_id;
    pc->bound = 0;
    pc->ops = ops;
    pc->hal = hal;
    pc->arch = NULL;
    pc->current = &axv_currents[cpu_id];
    enum axv_err err = ops->percpu_init ? ops->percpu_init(pc) : AXV_OK;
    if (err == AXV_OK) {
        pc->next = axv_percpus[cpu_id];
        axv_store(&pc->flags, AXV_PERCPU_INITIALIZED);
        __atomic_store_n(&axv_percpus[cpu_id], pc, __ATOMIC_RELEASE);
    }
    axv_registry_release();
    return err;
}

enum axv_err axv_percpu_enable(struct axv_percpu *pc)
{
    if (!pc)
        return AXV_ERR_INVALID_INPUT;
    uint32_t flags = axv_load(&pc->flags);

    if (!(flags & AXV_PERCPU_INITIALIZED))
        return AXV_ERR_BAD_STATE;
    if (flags & AXV_PERCPU_ENABLED)
        return AXV_ERR_RESOURCE_BUSY; /* like VMXON twice */
    enum axv_err err = pc->ops->hardware_enable(pc);
    if (err == AXV_OK)
        axv_store(&pc->flags, flags | AXV_PERCPU_ENABLED);
    return err;
}

enum axv_err axv_percpu_disable(struct axv_percpu *pc)
{
    if (!pc)
        return AXV_ERR_INVALID_INPUT;
    uint32_t flags = axv_load(&pc->flags);

    if (!(flags & AXV_PERCPU_ENABLED))
        return AXV_ERR_BAD_STATE;
    if (axv_load(&pc->bound))
        return AXV_ERR_RESOURCE_BUSY;
    enum axv_err err = pc->ops->hardware_disable(pc);
    if (err == AXV_OK)
        axv_store(&pc->flags, flags & ~AXV_PERCPU_ENABLED);
    return err;
}

bool axv_percpu_is_enabled(const struct axv_percpu *pc)
{
    if (!pc || !(axv_load(&pc->flags) & AXV_PERCPU_INITIALIZED))
        return false;
    /* Ask the hardware too: the flag alone would hide a backend that lost it. */
    return (axv_load(&pc->flags) & AXV_PERCPU_ENABLED) && pc->ops->is_enabled(pc);
}

enum axv_err axv_percpu_fini(struct axv_percpu *pc)
{
    if (!pc)
        return AXV_ERR_INVALID_INPUT;
    uint32_t flags = axv_load(&pc->flags);

    if (!(flags & AXV_PERCPU_INITIALIZED))
        return AXV_ERR_BAD_STATE;
    if (axv_load(&pc->bound))
        return AXV_ERR_RESOURCE_BUSY;
    if (flags & AXV_PERCPU_ENABLED) {
        enum axv_err err = axv_percpu_disable(pc);
        if (err)
            return err;
    }
    if (pc->ops->percpu_fini)
        pc->ops->percpu_fini(pc);
    axv_registry_acquire();
    for (struct axv_percpu **pp = &axv_percpus[pc->cpu_id]; *pp; pp = &(*pp)->next) {
        if (*pp == pc) {
            __atomic_store_n(pp, pc->next, __ATOMIC_RELEASE);
            break;
        }
    }
    axv_store(&pc->flags, 0);
    axv_registry_release();
    return AXV_OK;
}

struct axv_vcpu *axv_current_get(uint32_t cpu_id)
{
    return cpu_id < AXV_MAX_CPUS ? __atomic_load_n(&axv_currents[cpu_id], __ATOMIC_ACQUIRE) : NULL;
}

enum axv_err axv_current_set(uint32_t cpu_id, struct axv_vcpu *v)
{
    if (cpu_id >= AXV_MAX_CPUS || !v)
        return AXV_ERR_INVALID_INPUT;
    return axv_current_claim(cpu_id, v);
}

void axv_current_clear(uint32_t cpu_id, struct axv_vcpu *v)
{
    if (cpu_id < AXV_MAX_CPUS)
        axv_cas_ptr((void **)&axv_currents[cpu_id], v, NULL);
}
