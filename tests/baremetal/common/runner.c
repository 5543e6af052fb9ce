/* The in-image test runner; see bm_test.h. */
#include "bm_test.h"

#define BM_MAX_TESTS 512u
#define BM_MAX_CLEANUPS 16u
#define BM_STACK_GUARD_BYTES 512u
#define BM_STACK_GUARD_WORD 0x5a5aa5a5c0ffee00ull

/* Section bounds, provided by the linker for the section name "bm_tests". */
extern const struct bm_test *const __start_bm_tests[];
extern const struct bm_test *const __stop_bm_tests[];

struct bm_cleanup_rec {
    void (*fn)(void *arg);
    void *arg;
};

static struct {
    const struct bm_test *test;   /* running, or NULL */
    bm_jmp_buf jb;
    volatile bool armed;          /* jb is valid: aborts longjmp there */
    bool failed;
    bool allow_leak;
    char msg[256];
    struct bm_cleanup_rec cleanups[BM_MAX_CLEANUPS];
    unsigned ncleanups;
    volatile unsigned in_exception; /* nesting of bm_unexpected_exception */
} bm_run;

static const struct bm_test *bm_sorted[BM_MAX_TESTS];

const char *bm_current_test(void)
{
    return bm_run.test ? bm_run.test->name : NULL;
}

void bm_allow_leak(void)
{
    bm_run.allow_leak = true;
}

void bm_cleanup(void (*fn)(void *arg), void *arg)
{
    if (bm_run.ncleanups == BM_MAX_CLEANUPS)
        BM_FAIL("more than %u cleanups", BM_MAX_CLEANUPS);
    bm_run.cleanups[bm_run.ncleanups].fn = fn;
    bm_run.cleanups[bm_run.ncleanups].arg = arg;
    bm_run.ncleanups++;
}

/* Records msg as the test's failure unless one is already recorded. */
static void bm_record(const char *fmt, ...) BM_PRINTF(1, 2);
static void bm_record(const char *fmt, ...)
{
    va_list ap;
    if (bm_run.failed)
        return;
    bm_run.failed = true;
    va_start(ap, fmt);
    bm_vsnprintf(bm_run.msg, sizeof(bm_run.msg), fmt, ap);
    va_end(ap);
}

static const char *bm_base(const char *file)
{
    const char *b = file;
    for (const char *p = file; *p; p++)
        if (*p == '/')
            b = p + 1;
    return b;
}

_Noreturn static void bm_abort_test(void)
{
    if (bm_run.armed) {
        bm_run.armed = false;
        bm_longjmp(bm_run.jb, 1);
    }
    /* A check outside a test: report and stop. */
    bm_printf("FAIL %s: %s\nbm: aborted\n", bm_run.test ? bm_run.test->name : "(harness)", bm_run.msg);
    bm_exit(3);
}

static void bm_vfail(const char *file, unsigned line, const char *prefix, const char *fmt, va_list ap)
{
    char tmp[200];
    bm_vsnprintf(tmp, sizeof(tmp), fmt, ap);
    bm_record("%s:%u: %s%s", bm_base(file), line, prefix, tmp);
}

void bm_fail(const char *file, unsigned line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bm_vfail(file, line, "", fmt, ap);
    va_end(ap);
    bm_abort_test();
}

void bm_fail_check(const char *file, unsigned line, const char *cond, const char *fmt, ...)
{
    if (fmt[0] == '\001')
        fmt++; /* BM_CHECK's marker */
    if (fmt[0]) {
        va_list ap;
        va_start(ap, fmt);
        bm_vfail(file, line, "", fmt, ap);
        va_end(ap);
    } else {
        bm_record("%s:%u: check failed: %s", bm_base(file), line, cond);
    }
    bm_abort_test();
}

void bm_fail_eq(const char *file, unsigned line, const char *a_txt, uint64_t a, const char *op,
                const char *b_txt, uint64_t b)
{
    bm_record("%s:%u: %s %s %s: 0x%llx vs 0x%llx", bm_base(file), line, a_txt, op, b_txt, (unsigned long long)a,
              (unsigned long long)b);
    bm_abort_test();
}

void bm_fail_err(const char *file, unsigned line, const char *txt, enum axv_err got, enum axv_err want)
{
    bm_record("%s:%u: %s returned %s (%s), expected %s", bm_base(file), line, txt, axv_err_name(got),
              axv_err_message(got), axv_err_name(want));
    bm_abort_test();
}

void bm_fail_exit(const char *file, unsigned line, const struct axv_exit *e, enum axv_exit_kind want)
{
    char buf[160];
    axv_exit_format(e, buf, sizeof(buf));
    bm_record("%s:%u: exit %s, expected %s: %s", bm_base(file), line, axv_exit_kind_name(e->kind),
              axv_exit_kind_name(want), buf);
    bm_abort_test();
}

void bm_unexpected_exception(const char *what)
{
    unsigned depth = ++bm_run.in_exception;
    if (depth == 1 && bm_run.armed) {
        bm_record("unexpected exception: %s", what);
        bm_arch_trap_recover();
        bm_run.in_exception = 0;
        bm_run.armed = false;
        bm_longjmp(bm_run.jb, 2);
    }
    if (depth <= 2)
        bm_printf("FAIL %s: unexpected exception%s: %s\nbm: aborted\n",
                  bm_run.test ? bm_run.test->name : "(harness)", depth == 2 ? " while reporting one" : "",
                  what);
    bm_exit(3);
}

/* Calls fn(arg) under the runner's jump buffer; false if it aborted. */
static bool bm_guarded(void (*fn)(void *), void *arg)
{
    if (bm_setjmp(bm_run.jb) == 0) {
        bm_run.armed = true;
        fn(arg);
        bm_run.armed = false;
        return true;
    }
    return false;
}

static void bm_call_test(void *arg)
{
    const struct bm_test *t = arg;
    t->fn();
}

static void bm_guard_fill(void)
{
    uint64_t *g = (uint64_t *)(void *)__bm_stack_bottom;
    for (unsigned i = 0; i < BM_STACK_GUARD_BYTES / 8; i++)
        g[i] = BM_STACK_GUARD_WORD;
}

static bool bm_guard_intact(void)
{
    const uint64_t *g = (const uint64_t *)(const void *)__bm_stack_bottom;
    for (unsigned i = 0; i < BM_STACK_GUARD_BYTES / 8; i++)
        if (g[i] != BM_STACK_GUARD_WORD)
            return false;
    return true;
}

static bool bm_before(const struct bm_test *a, const struct bm_test *b)
{
    int c = bm_strcmp(a->file, b->file);
    return c < 0 || (c == 0 && a->line < b->line);
}

static size_t bm_collect(void)
{
    size_t n = 0;
    for (const struct bm_test *const *p = __start_bm_tests; p < __stop_bm_tests; p++) {
        if (n == BM_MAX_TESTS) {
            bm_printf("bm: more than %u tests; raise BM_MAX_TESTS\n", BM_MAX_TESTS);
            bm_exit(3);
        }
        /* Insertion sort by (file, line): source order, independent of link order. */
        size_t i = n++;
        while (i && bm_before(*p, bm_sorted[i - 1])) {
            bm_sorted[i] = bm_sorted[i - 1];
            i--;
        }
        bm_sorted[i] = *p;
    }
    return n;
}

void bm_run_all(void)
{
    unsigned passed = 0, failed = 0;

    bm_hal_init();
    bm_guard_fill();
    size_t n = bm_collect();
    bm_printf("bm: %s, %zu tests, heap %zu KiB\n", bm_platform_name, n, bm_frames_total() * 4u);

    for (size_t k = 0; k < n; k++) {
        const struct bm_test *t = bm_sorted[k];
        size_t frames_before = bm_frames_in_use();

        bm_run.test = t;
        bm_run.failed = false;
        bm_run.allow_leak = false;
        bm_run.ncleanups = 0;
        bm_run.msg[0] = '\0';
        (void)bm_hal_take_error();

        bm_guarded(bm_call_test, (void *)(uintptr_t)t);
        while (bm_run.ncleanups) {
            struct bm_cleanup_rec c = bm_run.cleanups[--bm_run.ncleanups];
            bm_guarded(c.fn, c.arg);
        }

        /* The current-vCPU pointer is only set while an arch operation runs. */
        struct axv_vcpu *cur = axv_current_get(0);
        if (cur) {
            bm_record("vCPU %p is still current on CPU 0 after the test", (void *)cur);
            axv_current_clear(0, cur);
        }
        const char *herr = bm_hal_take_error();
        if (herr)
            bm_record("HAL misuse: %s", herr);
        size_t frames_after = bm_frames_in_use();
        if (!bm_run.failed && !bm_run.allow_leak && frames_after > frames_before)
            bm_record("leaked %zu frames (%zu in use before, %zu after)", frames_after - frames_before,
                      frames_before, frames_after);
        if (!bm_guard_intact()) {
            bm_record("stack overflow: the guard at %p is overwritten", (void *)__bm_stack_bottom);
            bm_guard_fill();
        }

        if (bm_run.failed) {
            bm_printf("FAIL %s: %s\n", t->name, bm_run.msg);
            failed++;
        } else {
            bm_printf("ok   %s\n", t->name);
            passed++;
        }
        bm_run.test = NULL;
    }

    bm_printf("%u passed, %u failed\n", passed, failed);
    bm_exit(failed ? 1 : 0);
}
