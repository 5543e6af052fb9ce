/* Runtime-private helpers shared by the runtime sources; not public API. */
#ifndef AXV_RUNTIME_INTERNAL_H
#define AXV_RUNTIME_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "atomic.h"
#include "axv/gen/errors.h"
#include "axv/percpu.h"

/* The current vCPU of each physical CPU (percpu.c). Inline users below:
 * they sit on every on-CPU event. */
extern struct axv_vcpu *axv_currents[AXV_MAX_CPUS];

/*
 * Makes v current on cpu_id; nesting is refused. cpu_id is in range and is
 * the caller's own CPU: only code on that CPU touches the slot, and an
 * interrupt handler that nests here clears what it set before we resume, so
 * a load and a store suffice (no atomic read-modify-write on the exit path).
 */
static inline enum axv_err axv_current_claim(uint32_t cpu_id, struct axv_vcpu *v)
{
    if (__atomic_load_n(&axv_currents[cpu_id], __ATOMIC_RELAXED))
        return AXV_ERR_RESOURCE_BUSY;
    __atomic_store_n(&axv_currents[cpu_id], v, __ATOMIC_RELAXED);
    return AXV_OK;
}

/* Clears the current vCPU of cpu_id, which the caller claimed itself:
 * only that CPU clears it, so a plain store does. */
static inline void axv_current_release(uint32_t cpu_id)
{
    __atomic_store_n(&axv_currents[cpu_id], NULL, __ATOMIC_RELEASE);
}

#endif /* AXV_RUNTIME_INTERNAL_H */
