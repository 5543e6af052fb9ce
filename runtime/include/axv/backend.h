/*
 * Helpers backends share: memory from the HAL and the pending-interrupt
 * set every backend keeps for axv_vcpu_inject_interrupt(). Portable and
 * freestanding; backends include this, the generic layer does not need it.
 */
#ifndef AXV_BACKEND_H
#define AXV_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "axv/hal.h"

/* Zeroed frames for size bytes, 4 KiB aligned; NULL when the HAL has none. */
void *axv_backend_alloc(const struct axv_hal *hal, size_t size, uint64_t *hpa);
void axv_backend_free(const struct axv_hal *hal, uint64_t hpa, size_t size);

/* Interrupt vectors 0..255 waiting for delivery; safe from any thread. */
struct axv_irq_pending {
    uint64_t bits[4];
};

/* Marks vector pending; returns AXV_ERR_INVALID_INPUT above 255. */
int axv_irq_pending_set(struct axv_irq_pending *p, uint32_t vector);
/* Takes the lowest pending vector, or -1 when none is. */
int axv_irq_pending_take(struct axv_irq_pending *p);
/* Inline: checked on every guest entry. */
static inline int axv_irq_pending_any(const struct axv_irq_pending *p)
{
    return (__atomic_load_n(&p->bits[0], __ATOMIC_ACQUIRE) | __atomic_load_n(&p->bits[1], __ATOMIC_ACQUIRE) |
            __atomic_load_n(&p->bits[2], __ATOMIC_ACQUIRE) | __atomic_load_n(&p->bits[3], __ATOMIC_ACQUIRE)) != 0;
}

#endif /* AXV_BACKEND_H */
