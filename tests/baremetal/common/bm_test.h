/*
 * The in-image test runner.
 *
 *   BM_TEST(name) { ... }      defines and registers a test: a pointer to its
 *                              record goes into the linker section "bm_tests",
 *                              so tests in any linked file are found without a
 *                              list. Tests run sorted by (file, line).
 *
 *   BM_CHECK(cond)             on failure, record "file:line: check failed: cond"
 *   BM_CHECK(cond, fmt, ...)   ... or the formatted message, and abort the
 *                              test (longjmp back to the runner: works from
 *                              helpers too). The runner then runs the test's
 *                              cleanups and goes on with the next test.
 *   BM_CHECK_EQ(a, b)          both as uint64_t; prints the values in hex
 *   BM_CHECK_NE(a, b)
 *   BM_CHECK_OK(expr)          expr is an enum axv_err; prints its name
 *   BM_CHECK_ERR(expr, err)    expr returns exactly err
 *   BM_CHECK_EXIT(exitp, kind) exit kind (AXV_EXIT_*); prints the whole exit
 *   BM_FAIL(fmt, ...)          unconditional failure
 *
 * Per test, the runner also fails a test that
 *   - leaves more HAL frames allocated than before it (unless it called
 *     bm_allow_leak()),
 *   - misused the HAL (see bm_hal_take_error()),
 *   - overwrote the guard at the bottom of the stack,
 *   - took an unexpected exception. The platform's exception handler calls
 *     bm_unexpected_exception(); inside a test (or a cleanup) that records
 *     "unexpected exception: ...", calls bm_arch_trap_recover() and CONTINUES
 *     with the test's cleanups and the next test. Outside a test (harness
 *     code, or a second exception while reporting one) it prints the report
 *     and "bm: aborted", and exits with status 3 without the summary line.
 *
 * Output: "ok   name" or "FAIL name: file:line: message" per test, then
 * exactly "N passed, M failed", then bm_exit(M ? 1 : 0).
 */
#ifndef BM_TEST_H
#define BM_TEST_H

#include <stdint.h>

#include "axv/axv.h"
#include "bm.h"

struct bm_test {
    const char *name;
    void (*fn)(void);
    const char *file;
    unsigned line;
};

#define BM_TEST(tname)                                                                         \
    static void bm_test_fn_##tname(void);                                                      \
    static const struct bm_test bm_test_rec_##tname = {#tname, bm_test_fn_##tname, __FILE__,   \
                                                       __LINE__};                              \
    static const struct bm_test *const bm_test_ptr_##tname                                     \
        __attribute__((used, section("bm_tests"))) = &bm_test_rec_##tname;                     \
    static void bm_test_fn_##tname(void)

/* Records the failure (the first one of the test wins) and aborts the test. */
_Noreturn void bm_fail(const char *file, unsigned line, const char *fmt, ...) BM_PRINTF(3, 4);
_Noreturn void bm_fail_check(const char *file, unsigned line, const char *cond, const char *fmt, ...)
    BM_PRINTF(4, 5);
_Noreturn void bm_fail_eq(const char *file, unsigned line, const char *a_txt, uint64_t a, const char *op,
                          const char *b_txt, uint64_t b);
_Noreturn void bm_fail_err(const char *file, unsigned line, const char *txt, enum axv_err got,
                           enum axv_err want);
_Noreturn void bm_fail_exit(const char *file, unsigned line, const struct axv_exit *e,
                            enum axv_exit_kind want);

/*
 * `"\001" __VA_ARGS__`: the optional message must be a string literal (or
 * absent); the \001 marker keeps the format non-empty for -Wformat.
 */
#define BM_CHECK(cond, ...)                                                                     \
    do {                                                                                        \
        if (!(cond))                                                                            \
            bm_fail_check(__FILE__, __LINE__, #cond, "\001" __VA_ARGS__);                       \
    } while (0)

#define BM_FAIL(...) bm_fail(__FILE__, __LINE__, __VA_ARGS__)

#define BM_CHECK_EQ(a, b)                                                                       \
    do {                                                                                        \
        uint64_t bm_a_ = (uint64_t)(a), bm_b_ = (uint64_t)(b);                                  \
        if (bm_a_ != bm_b_)                                                                     \
            bm_fail_eq(__FILE__, __LINE__, #a, bm_a_, "==", #b, bm_b_);                         \
    } while (0)

#define BM_CHECK_NE(a, b)                                                                       \
    do {                                                                                        \
        uint64_t bm_a_ = (uint64_t)(a), bm_b_ = (uint64_t)(b);                                  \
        if (bm_a_ == bm_b_)                                                                     \
            bm_fail_eq(__FILE__, __LINE__, #a, bm_a_, "!=", #b, bm_b_);                         \
    } while (0)

#define BM_CHECK_ERR(expr, want)                                                                \
    do {                                                                                        \
        enum axv_err bm_e_ = (expr);                                                            \
        if (bm_e_ != (want))                                                                    \
            bm_fail_err(__FILE__, __LINE__, #expr, bm_e_, (want));                              \
    } while (0)

#define BM_CHECK_OK(expr) BM_CHECK_ERR(expr, AXV_OK)

#define BM_CHECK_EXIT(exitp, want_kind)                                                         \
    do {                                                                                        \
        const struct axv_exit *bm_x_ = (exitp);                                                 \
        if (bm_x_->kind != (want_kind))                                                         \
            bm_fail_exit(__FILE__, __LINE__, bm_x_, (want_kind));                               \
    } while (0)

/*
 * Runs fn(arg) after the test ends, however it ends (pass, failed check,
 * unexpected exception), last registered first. Up to 16 per test. `arg`
 * must outlive the test function (static or HAL memory, not the test's
 * stack): e.g. a static struct axv_percpu to axv_percpu_fini.
 */
void bm_cleanup(void (*fn)(void *arg), void *arg);
/* This test may keep HAL frames allocated (no leak check). */
void bm_allow_leak(void);
/* The running test's name, or NULL between tests. */
const char *bm_current_test(void);

/*
 * Platform exception handlers call this with a one-line description. Never
 * returns: it aborts the running test (longjmp to the runner) or exits.
 */
_Noreturn void bm_unexpected_exception(const char *what);

/* Runs every registered test and exits; main() calls this. */
_Noreturn void bm_run_all(void);

/*
 * setjmp/longjmp for the runner (platform hook, in assembly): saves the
 * callee-saved integer registers, SP and the return address. No FP state:
 * every bare-metal image is built with -mgeneral-regs-only or equivalent.
 */
typedef uint64_t bm_jmp_buf[32];
__attribute__((returns_twice)) int bm_setjmp(bm_jmp_buf env);
_Noreturn void bm_longjmp(bm_jmp_buf env, int val);

#endif /* BM_TEST_H */
