/*
 * The harness's own tests that hold on every platform: printf, the frame
 * allocator, the clock, cleanups. Platform-specific ones (exception level,
 * nested page tables, the timer's rate) stay in tests/baremetal/<arch>/main.c.
 */
#include "bm.h"
#include "bm_test.h"

BM_TEST(harness_printf)
{
    char buf[160];
    size_t n = bm_snprintf(buf, sizeof(buf), "%d|%5d|%-5d|%05d|%u|%x|%08X|%lx|%llx|%zu|%s|%-4s|%3s|%c|%%|%i",
                           -42, 7, 7, -7, 4000000000u, 0xbeefu, 0xabcu, 0x123456789abcdefUL,
                           0xfedcba9876543210ULL, (size_t)12345, "str", "ab", "x", 'Z', -2147483647 - 1);
    const char *want = "-42|    7|7    |-0007|4000000000|beef|00000ABC|123456789abcdef|fedcba9876543210|12345|str|"
                       "ab  |  x|Z|%|-2147483648";
    BM_CHECK(bm_strcmp(buf, want) == 0, "got \"%s\"", buf);
    BM_CHECK_EQ(n, bm_strlen(want));
    bm_snprintf(buf, sizeof(buf), "%p %p", (void *)0x12345000, (void *)0);
    BM_CHECK(bm_strcmp(buf, "0x0000000012345000 0x0000000000000000") == 0, "got \"%s\"", buf);
    char small[5];
    BM_CHECK_EQ(bm_snprintf(small, sizeof(small), "%s", "abcdefgh"), 8);
    BM_CHECK(bm_strcmp(small, "abcd") == 0, "got \"%s\"", small);
}

/* The platform clock (bm_now_ns, the HAL's now_ns) moves forward, never back. */
BM_TEST(harness_clock)
{
    uint64_t t0 = bm_now_ns(), prev = t0, t1 = t0;
    for (unsigned i = 0; i < 1000000 && t1 - t0 < 1000000; i++) {
        t1 = bm_now_ns();
        BM_CHECK(t1 >= prev, "time went back: %llu after %llu", (unsigned long long)t1, (unsigned long long)prev);
        prev = t1;
    }
    BM_CHECK(t1 - t0 >= 1000000, "less than 1 ms passed in a million reads (%llu ns)",
             (unsigned long long)(t1 - t0));
    BM_CHECK_EQ(bm_hal()->now_ns(bm_hal()->ctx) >= t1, 1);
}

BM_TEST(harness_alloc)
{
    const struct axv_hal *hal = bm_hal();
    size_t before = bm_frames_in_use();

    BM_CHECK(bm_frames_total() >= 4096, "heap of %zu frames", bm_frames_total());
    BM_CHECK_EQ(hal->alloc_frames(hal->ctx, 0, 1), 0);
    BM_CHECK_EQ(hal->alloc_frames(hal->ctx, bm_frames_total() + 1, 1), 0);

    uint64_t a = hal->alloc_frames(hal->ctx, 1, 0);
    BM_CHECK_NE(a, 0);
    BM_CHECK_EQ(a % AXV_FRAME_SIZE, 0);
    BM_CHECK(a >= (uintptr_t)__bm_heap_start && a < (uintptr_t)__bm_heap_end, "0x%llx outside the heap",
             (unsigned long long)a);
    BM_CHECK_EQ(hal->phys_to_virt(hal->ctx, a), (uintptr_t)a);
    BM_CHECK_EQ(hal->virt_to_phys(hal->ctx, (void *)(uintptr_t)a), a);
    uint64_t *p = hal->phys_to_virt(hal->ctx, a);
    for (unsigned i = 0; i < AXV_FRAME_SIZE / 8; i++)
        BM_CHECK_EQ(p[i], 0);
    p[0] = 0x1122334455667788ull;
    p[511] = 0x99;

    uint64_t b = hal->alloc_frames(hal->ctx, 4, 4); /* a G-stage root: 16 KiB, 16 KiB aligned */
    BM_CHECK_NE(b, 0);
    BM_CHECK_EQ(b % (4 * AXV_FRAME_SIZE), 0);
    uint64_t c = hal->alloc_frames(hal->ctx, 512, 512);
    BM_CHECK_NE(c, 0);
    BM_CHECK_EQ(c % 0x200000, 0);
    BM_CHECK(b + 4 * AXV_FRAME_SIZE <= c || c + 512 * AXV_FRAME_SIZE <= b, "overlap");
    BM_CHECK(a + AXV_FRAME_SIZE <= b || b + 4 * AXV_FRAME_SIZE <= a, "overlap");
    BM_CHECK_EQ(bm_frames_in_use(), before + 517);

    /* Misuse is refused and reported, and changes nothing. */
    BM_CHECK(!bm_hal_take_error(), "stale HAL error");
    hal->free_frames(hal->ctx, b, 2);
    BM_CHECK(bm_hal_take_error(), "freeing part of an allocation was accepted");
    hal->free_frames(hal->ctx, b + AXV_FRAME_SIZE, 1);
    BM_CHECK(bm_hal_take_error(), "freeing from the middle of an allocation was accepted");
    hal->free_frames(hal->ctx, a, 2);
    BM_CHECK(bm_hal_take_error(), "freeing more than the allocation was accepted");
    hal->free_frames(hal->ctx, (uint64_t)(uintptr_t)__bm_heap_start - AXV_FRAME_SIZE, 1);
    BM_CHECK(bm_hal_take_error(), "freeing outside the heap was accepted");
    BM_CHECK_EQ(bm_frames_in_use(), before + 517);

    hal->free_frames(hal->ctx, b, 4);
    hal->free_frames(hal->ctx, c, 512);
    hal->free_frames(hal->ctx, a, 1);
    BM_CHECK(!bm_hal_take_error(), "a correct free was refused");
    BM_CHECK_EQ(bm_frames_in_use(), before);
    hal->free_frames(hal->ctx, a, 1);
    BM_CHECK(bm_hal_take_error(), "a double free was accepted");

    /* Freed frames come back zeroed. */
    uint64_t again = hal->alloc_frames(hal->ctx, 1, 1);
    BM_CHECK_EQ(again, a); /* first fit */
    BM_CHECK_EQ(p[0], 0);
    BM_CHECK_EQ(p[511], 0);
    hal->free_frames(hal->ctx, again, 1);

    void *q = bm_alloc_frames(2, 2);
    BM_CHECK(q && ((uintptr_t)q & 0x1fff) == 0, "bm_alloc_frames gave %p", q);
    bm_free_frames(q, 2);
    BM_CHECK_EQ(bm_frames_in_use(), before);
}

/* Cleanups run after the test, last first, and a later test sees their effect. */
static unsigned cleanup_log;
static void cleanup_push(void *arg)
{
    cleanup_log = cleanup_log * 10 + (unsigned)(uintptr_t)arg;
}

BM_TEST(harness_cleanup)
{
    cleanup_log = 0;
    bm_cleanup(cleanup_push, (void *)1);
    bm_cleanup(cleanup_push, (void *)2);
    BM_CHECK_EQ(cleanup_log, 0);
}

BM_TEST(harness_cleanup_ran)
{
    BM_CHECK_EQ(cleanup_log, 21);
}
