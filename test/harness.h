/* harness.h - the test harness of `make test`.
 *
 * A test is a function declared with TEST(name) in any test/<subsystem>/test_*.c file; it
 * registers itself at start-up. The runner (test/main.c) runs every test (or those whose name
 * contains one of the arguments), prints PASS/FAIL/SKIP per test, and ends with the line
 * "N passed, N failed, N skipped"; it exits non-zero on any failure.
 *
 * Checks record a failure and continue; REQUIRE returns from the test on failure; SKIP ends the
 * test as skipped with a reason (never counted as passed).
 * Paths: tests run from the repository root. test_shared(rel) gives "../shared/<rel>" (or
 * $SARC_SHARED/<rel>) if it exists, else NULL -> SKIP. test_tmp(name) gives a path inside this
 * run's scratch folder. test_sarc() is the path of the sarc binary under test ($SARC_BIN). */
#ifndef SARC_TEST_HARNESS_H
#define SARC_TEST_HARNESS_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

void test_register(const char *name, void (*fn)(void), const char *file);
void test_fail_at(const char *file, int line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
void test_skip(const char *reason);
int test_failed(void); /* has the current test failed so far */

const char *test_shared(const char *rel); /* static buffer, NULL if absent */
const char *test_tmp(const char *name);   /* static ring of buffers */
const char *test_sarc(void);
/* Runs a shell command line; returns its exit status (0..255), or -1 if it died by a signal.
 * stdout+stderr go to test_tmp("last_cmd.out"); test_last_output() returns them (up to 64 KiB). */
int test_system(const char *cmdline);
/* test_system of a printf-formatted command line (up to 8 KiB). */
int test_systemf(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
const char *test_last_output(void);
/* Relative L2 distance |a - b| / |b| of n floats (|a - b| when b is all zero). */
double test_rel_l2(const float *a, const float *b, int64_t n);

#define TEST(name)                                                                      \
    static void test_fn_##name(void);                                                   \
    __attribute__((constructor)) static void test_reg_##name(void)                      \
    {                                                                                   \
        test_register(#name, test_fn_##name, __FILE__);                                 \
    }                                                                                   \
    static void test_fn_##name(void)

#define CHECK(cond)                                                                     \
    do {                                                                                \
        if (!(cond))                                                                    \
            test_fail_at(__FILE__, __LINE__, "CHECK(%s)", #cond);                       \
    } while (0)

#define CHECK_MSG(cond, ...)                                                            \
    do {                                                                                \
        if (!(cond))                                                                    \
            test_fail_at(__FILE__, __LINE__, __VA_ARGS__);                              \
    } while (0)

#define REQUIRE(cond)                                                                   \
    do {                                                                                \
        if (!(cond)) {                                                                  \
            test_fail_at(__FILE__, __LINE__, "REQUIRE(%s)", #cond);                     \
            return;                                                                     \
        }                                                                               \
    } while (0)

#define REQUIRE_MSG(cond, ...)                                                          \
    do {                                                                                \
        if (!(cond)) {                                                                  \
            test_fail_at(__FILE__, __LINE__, __VA_ARGS__);                              \
            return;                                                                     \
        }                                                                               \
    } while (0)

#define CHECK_INT(a, b)                                                                 \
    do {                                                                                \
        long long a_ = (long long)(a), b_ = (long long)(b);                             \
        if (a_ != b_)                                                                   \
            test_fail_at(__FILE__, __LINE__, "%s = %lld, expected %s = %lld", #a, a_, #b, b_); \
    } while (0)

/* |a - b| <= atol + rtol * |b|; NaN equals NaN. */
#define CHECK_CLOSE(a, b, rtol, atol)                                                   \
    do {                                                                                \
        double a_ = (double)(a), b_ = (double)(b);                                      \
        int ok_ = (isnan(a_) && isnan(b_)) || fabs(a_ - b_) <= (atol) + (rtol) * fabs(b_); \
        if (!ok_)                                                                       \
            test_fail_at(__FILE__, __LINE__, "%s = %.17g, expected %s = %.17g (rtol %g, atol %g)", #a, a_, #b, b_, (double)(rtol), (double)(atol)); \
    } while (0)

#define CHECK_STR(a, b)                                                                 \
    do {                                                                                \
        const char *a_ = (a), *b_ = (b);                                                \
        if (!a_ || !b_ || strcmp(a_, b_) != 0)                                          \
            test_fail_at(__FILE__, __LINE__, "%s = \"%s\", expected \"%s\"", #a, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
    } while (0)

#define SKIP(reason)                                                                    \
    do {                                                                                \
        test_skip(reason);                                                              \
        return;                                                                         \
    } while (0)

/* Fails with the error message if rc != 0 (for library calls with a struct sarc_err). */
#define CHECK_OK(rc, err)                                                               \
    do {                                                                                \
        int rc_ = (rc);                                                                 \
        if (rc_ != 0)                                                                   \
            test_fail_at(__FILE__, __LINE__, "%s returned %d: %s", #rc, rc_, (err).msg); \
    } while (0)

#define REQUIRE_OK(rc, err)                                                             \
    do {                                                                                \
        int rc_ = (rc);                                                                 \
        if (rc_ != 0) {                                                                 \
            test_fail_at(__FILE__, __LINE__, "%s returned %d: %s", #rc, rc_, (err).msg); \
            return;                                                                     \
        }                                                                               \
    } while (0)

#endif
