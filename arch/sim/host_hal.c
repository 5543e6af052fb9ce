/* A hosted HAL: frames from aligned_alloc, identity "physical" addresses. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "axv/sim.h"

static _Thread_local uint32_t axv_host_cpu;
static long axv_host_frames;

void axv_host_set_cpu(uint32_t cpu)
{
    axv_host_cpu = cpu;
}

long axv_host_frames_in_use(void)
{
    return __atomic_load_n(&axv_host_frames, __ATOMIC_ACQUIRE);
}

static uint64_t host_alloc_frames(void *ctx, size_t count, size_t align_frames)
{
    (void)ctx;
    size_t align = (align_frames ? align_frames : 1) * AXV_FRAME_SIZE;
    void *p = count ? aligned_alloc(align, count * AXV_FRAME_SIZE) : NULL;
    if (!p)
        return 0;
    memset(p, 0, count * AXV_FRAME_SIZE);
    __atomic_fetch_add(&axv_host_frames, (long)count, __ATOMIC_ACQ_REL);
    return (uint64_t)(uintptr_t)p;
}

static void host_free_frames(void *ctx, uint64_t hpa, size_t count)
{
    (void)ctx;
    __atomic_fetch_sub(&axv_host_frames, (long)count, __ATOMIC_ACQ_REL);
    free((void *)(uintptr_t)hpa);
}

static void *host_phys_to_virt(void *ctx, uint64_t hpa)
{
    (void)ctx;
    return (void *)(uintptr_t)hpa;
}

static uint64_t host_virt_to_phys(void *ctx, const void *va)
{
    (void)ctx;
    return (uint64_t)(uintptr_t)va;
}

uint32_t axv_host_cpu_id(void *ctx)
{
    (void)ctx;
    return axv_host_cpu;
}

static uint64_t host_now_ns(void *ctx)
{
    struct timespec ts;
    (void)ctx;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static const struct axv_hal axv_host_hal_table = {
    .ctx = NULL,
    .alloc_frames = host_alloc_frames,
    .free_frames = host_free_frames,
    .phys_to_virt = host_phys_to_virt,
    .virt_to_phys = host_virt_to_phys,
    .cpu_id = axv_host_cpu_id,
    .now_ns = host_now_ns,
};

const struct axv_hal *axv_host_hal(void)
{
    return &axv_host_hal_table;
}
