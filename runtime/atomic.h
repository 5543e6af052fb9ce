/* The few atomics the runtime needs, on GCC/Clang builtins (freestanding-safe). */
#ifndef AXV_RUNTIME_ATOMIC_H
#define AXV_RUNTIME_ATOMIC_H

#include <stdbool.h>
#include <stdint.h>

static inline uint32_t axv_load(const uint32_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void axv_store(uint32_t *p, uint32_t v)
{
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static inline bool axv_cas(uint32_t *p, uint32_t expect, uint32_t desired)
{
    return __atomic_compare_exchange_n(p, &expect, desired, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

static inline bool axv_cas_ptr(void **p, void *expect, void *desired)
{
    return __atomic_compare_exchange_n(p, &expect, desired, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

#endif /* AXV_RUNTIME_ATOMIC_H */
