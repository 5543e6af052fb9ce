/*
 * The bare-metal HAL: a first-fit bitmap page allocator over the linker's
 * heap region, identity address translation, one physical CPU.
 *
 * Two bitmaps: `used` (frame allocated) and `head` (frame starts an
 * allocation), so free_frames can check that it gets exactly one whole
 * allocation back.
 */
#include "bm.h"

#define BM_HEAP_MAX_FRAMES 16384u /* 64 MiB; link.ld may give less */
#define BM_WORD_BITS 64u

static uint64_t bm_used[BM_HEAP_MAX_FRAMES / BM_WORD_BITS];
static uint64_t bm_head[BM_HEAP_MAX_FRAMES / BM_WORD_BITS];
static uint64_t bm_heap_base; /* physical address of frame 0 */
static size_t bm_heap_frames;
static size_t bm_in_use;
static char bm_hal_err[160];
static bool bm_hal_err_set;

static bool bm_bit(const uint64_t *map, size_t i)
{
    return (map[i / BM_WORD_BITS] >> (i % BM_WORD_BITS)) & 1u;
}

static void bm_bit_set(uint64_t *map, size_t i, bool v)
{
    uint64_t m = (uint64_t)1 << (i % BM_WORD_BITS);
    if (v)
        map[i / BM_WORD_BITS] |= m;
    else
        map[i / BM_WORD_BITS] &= ~m;
}

void bm_hal_init(void)
{
    uint64_t start = ((uint64_t)(uintptr_t)__bm_heap_start + AXV_FRAME_SIZE - 1) & ~(uint64_t)(AXV_FRAME_SIZE - 1);
    uint64_t end = (uint64_t)(uintptr_t)__bm_heap_end & ~(uint64_t)(AXV_FRAME_SIZE - 1);
    size_t frames = end > start ? (size_t)((end - start) / AXV_FRAME_SIZE) : 0;

    if (frames > BM_HEAP_MAX_FRAMES)
        frames = BM_HEAP_MAX_FRAMES;
    bm_heap_base = start;
    bm_heap_frames = frames;
    bm_in_use = 0;
    memset(bm_used, 0, sizeof(bm_used));
    memset(bm_head, 0, sizeof(bm_head));
    bm_hal_err_set = false;
}

static void bm_hal_error(const char *fmt, ...) BM_PRINTF(1, 2);
static void bm_hal_error(const char *fmt, ...)
{
    va_list ap;
    if (bm_hal_err_set)
        return; /* keep the first */
    va_start(ap, fmt);
    bm_vsnprintf(bm_hal_err, sizeof(bm_hal_err), fmt, ap);
    va_end(ap);
    bm_hal_err_set = true;
}

const char *bm_hal_take_error(void)
{
    if (!bm_hal_err_set)
        return NULL;
    bm_hal_err_set = false;
    return bm_hal_err;
}

static bool bm_range_free(size_t first, size_t count)
{
    for (size_t i = first; i < first + count; i++)
        if (bm_bit(bm_used, i))
            return false;
    return true;
}

static uint64_t bm_hal_alloc(void *ctx, size_t count, size_t align_frames)
{
    (void)ctx;
    if (!align_frames)
        align_frames = 1;
    if (!count || count > bm_heap_frames)
        return 0;
    /* Frame index i is at physical bm_heap_base + i * 4 KiB; align the address. */
    uint64_t base_pfn = bm_heap_base / AXV_FRAME_SIZE;
    size_t i = (size_t)((align_frames - base_pfn % align_frames) % align_frames);
    for (; i + count <= bm_heap_frames; i += align_frames) {
        if (!bm_range_free(i, count))
            continue;
        for (size_t j = i; j < i + count; j++)
            bm_bit_set(bm_used, j, true);
        bm_bit_set(bm_head, i, true);
        bm_in_use += count;
        uint64_t pa = bm_heap_base + (uint64_t)i * AXV_FRAME_SIZE;
        memset((void *)(uintptr_t)pa, 0, count * AXV_FRAME_SIZE);
        return pa;
    }
    return 0;
}

static void bm_hal_free(void *ctx, uint64_t hpa, size_t count)
{
    (void)ctx;
    if (hpa % AXV_FRAME_SIZE || hpa < bm_heap_base || !count ||
        (hpa - bm_heap_base) / AXV_FRAME_SIZE + count > bm_heap_frames) {
        bm_hal_error("free_frames(0x%llx, %zu): not a heap range", (unsigned long long)hpa, count);
        return;
    }
    size_t first = (size_t)((hpa - bm_heap_base) / AXV_FRAME_SIZE);
    if (!bm_bit(bm_head, first)) {
        bm_hal_error("free_frames(0x%llx, %zu): not the start of an allocation%s", (unsigned long long)hpa,
                     count, bm_bit(bm_used, first) ? "" : " (double free?)");
        return;
    }
    for (size_t i = first; i < first + count; i++) {
        if (!bm_bit(bm_used, i) || (i != first && bm_bit(bm_head, i))) {
            bm_hal_error("free_frames(0x%llx, %zu): count larger than the allocation", (unsigned long long)hpa,
                         count);
            return;
        }
    }
    if (first + count < bm_heap_frames && bm_bit(bm_used, first + count) && !bm_bit(bm_head, first + count)) {
        bm_hal_error("free_frames(0x%llx, %zu): count smaller than the allocation", (unsigned long long)hpa,
                     count);
        return;
    }
    for (size_t i = first; i < first + count; i++)
        bm_bit_set(bm_used, i, false);
    bm_bit_set(bm_head, first, false);
    bm_in_use -= count;
}

static void *bm_hal_p2v(void *ctx, uint64_t hpa)
{
    (void)ctx;
    return (void *)(uintptr_t)hpa;
}

static uint64_t bm_hal_v2p(void *ctx, const void *va)
{
    (void)ctx;
    return (uint64_t)(uintptr_t)va;
}

static uint32_t bm_hal_cpu_id(void *ctx)
{
    (void)ctx;
    return 0;
}

static uint64_t bm_hal_now_ns(void *ctx)
{
    (void)ctx;
    return bm_now_ns();
}

static const struct axv_hal bm_hal_table = {
    .ctx = NULL,
    .alloc_frames = bm_hal_alloc,
    .free_frames = bm_hal_free,
    .phys_to_virt = bm_hal_p2v,
    .virt_to_phys = bm_hal_v2p,
    .cpu_id = bm_hal_cpu_id,
    .now_ns = bm_hal_now_ns,
};

const struct axv_hal *bm_hal(void)
{
    return &bm_hal_table;
}

size_t bm_frames_in_use(void)
{
    return bm_in_use;
}

size_t bm_frames_total(void)
{
    return bm_heap_frames;
}

void *bm_alloc_frames(size_t count, size_t align_frames)
{
    uint64_t pa = bm_hal_alloc(NULL, count, align_frames);
    return pa ? (void *)(uintptr_t)pa : NULL;
}

void bm_free_frames(void *p, size_t count)
{
    bm_hal_free(NULL, (uint64_t)(uintptr_t)p, count);
}
