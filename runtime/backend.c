/* Helpers shared by backends; see axv/backend.h. */
#include "axv/backend.h"
#include "axv/gen/errors.h"

static size_t axv_frames_for(size_t size)
{
    return (size + AXV_FRAME_SIZE - 1) / AXV_FRAME_SIZE;
}

void *axv_backend_alloc(const struct axv_hal *hal, size_t size, uint64_t *hpa)
{
    size_t frames = axv_frames_for(size);

    *hpa = hal->alloc_frames(hal->ctx, frames, 1);
    if (!*hpa)
        return NULL;
    unsigned char *p = hal->phys_to_virt(hal->ctx, *hpa);
    for (size_t i = 0; i < frames * AXV_FRAME_SIZE; i++)
        p[i] = 0;
    return p;
}

void axv_backend_free(const struct axv_hal *hal, uint64_t hpa, size_t size)
{
    hal->free_frames(hal->ctx, hpa, axv_frames_for(size));
}

int axv_irq_pending_set(struct axv_irq_pending *p, uint32_t vector)
{
    if (vector > 255)
        return AXV_ERR_INVALID_INPUT;
    __atomic_fetch_or(&p->bits[vector / 64], UINT64_C(1) << (vector % 64), __ATOMIC_ACQ_REL);
    return AXV_OK;
}

/* The index of the one set bit; a loop, so no libgcc helper on bare metal. */
static int axv_bit_index(uint64_t bit)
{
    int n = 0;
    while (!(bit & 1)) {
        bit >>= 1;
        n++;
    }
    return n;
}

int axv_irq_pending_take(struct axv_irq_pending *p)
{
    for (int w = 0; w < 4; w++) {
        uint64_t bits = __atomic_load_n(&p->bits[w], __ATOMIC_ACQUIRE);
        while (bits) {
            uint64_t bit = bits & (~bits + 1);
            if (__atomic_fetch_and(&p->bits[w], ~bit, __ATOMIC_ACQ_REL) & bit)
                return w * 64 + axv_bit_index(bit);
            bits = __atomic_load_n(&p->bits[w], __ATOMIC_ACQUIRE);
        }
    }
    return -1;
}
