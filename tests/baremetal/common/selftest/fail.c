/*
 * Deliberately failing tests, linked only into the harness self-check image
 * (host-selftest-fail.elf, run by tests/baremetal/selftest.sh): each failure
 * mode must be reported as a FAIL line and the run must go on to the end,
 * print the summary and exit non-zero.
 */
#include "bm_test.h"

static int selftest_cleanups;
static uint8_t *selftest_leak;

static void selftest_count(void *arg)
{
    (void)arg;
    selftest_cleanups++;
}

BM_TEST(selftest_fail_check_eq)
{
    bm_cleanup(selftest_count, NULL);
    BM_CHECK_EQ(1 + 1, 3);
}

static void selftest_helper(int v)
{
    BM_CHECK(v == 0, "helper got %d", v);
}

BM_TEST(selftest_fail_in_helper)
{
    bm_cleanup(selftest_count, NULL);
    selftest_helper(42);
    BM_FAIL("not reached");
}

BM_TEST(selftest_fail_err)
{
    BM_CHECK_OK(AXV_ERR_BAD_STATE);
}

BM_TEST(selftest_fail_exception)
{
    bm_cleanup(selftest_count, NULL);
    __builtin_trap();
}

BM_TEST(selftest_fail_exception_bad_sp)
{
    bm_cleanup(selftest_count, NULL);
#if defined(__aarch64__)
    /* A corrupt SP, then a fault: reported from the trap stack. */
    __asm__ volatile("mov x9, #0x1234\n\tmov sp, x9\n\tbrk #1" : : : "x9", "memory");
#elif defined(__riscv)
    __asm__ volatile("li t0, 0x1234\n\tmv sp, t0\n\tebreak" : : : "t0", "memory");
#elif defined(__x86_64__)
    __asm__ volatile("mov $0x1234, %%rsp\n\tud2" : : : "memory");
#else
    __builtin_trap();
#endif
}

BM_TEST(selftest_fail_cleanup_traps)
{
    bm_cleanup(selftest_count, NULL);
    bm_cleanup((void (*)(void *))(uintptr_t)0x8, NULL); /* jumps to address 8: an exception in the cleanup */
}

BM_TEST(selftest_fail_leak)
{
    selftest_leak = bm_alloc_frames(3, 1);
    BM_CHECK(selftest_leak, "no memory");
}

BM_TEST(selftest_fail_hal_misuse)
{
    void *p = bm_alloc_frames(1, 1);
    BM_CHECK(p, "no memory");
    bm_free_frames(p, 1);
    bm_free_frames(p, 1);
}

BM_TEST(selftest_fail_stack_guard)
{
    /* What an overflow leaves behind. */
    ((volatile uint64_t *)(void *)__bm_stack_bottom)[3] = 0;
}

BM_TEST(selftest_zz_still_running)
{
    /* Every cleanup above ran: 4 tests + the one before the trapping cleanup. */
    BM_CHECK_EQ(selftest_cleanups, 5);
    bm_free_frames(selftest_leak, 3);
}
