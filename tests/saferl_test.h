/* saferl_test.h - the few macros every saferl unit test uses.

   TEST(name) { CHECK(x); CHECK_NEAR(a, b, tolerance); }   and in main:
   RUN(name); ... return saferl_test_finish();
   Each test prints one line; the program ends with "N passed, N failed" and exits non-zero
   when a test failed. Optional: SAFERL_TEST_COUNTING_ALLOCATOR routes SAFERL_MALLOC/FREE
   through counters (include this file before the header under test). */
#ifndef SAFERL_TEST_H
#define SAFERL_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int saferl_test_failed_checks;
static int saferl_test_passed;
static int saferl_test_failed;

#ifdef SAFERL_TEST_COUNTING_ALLOCATOR
static long saferl_test_allocations;
static long saferl_test_releases;
static void *saferl_test_allocate(size_t size) {
    ++saferl_test_allocations;
    return malloc(size);
}
static void saferl_test_release(void *pointer) {
    if (pointer) ++saferl_test_releases;
    free(pointer);
}
#define SAFERL_MALLOC(size, ctx) ((void)(ctx), saferl_test_allocate(size))
#define SAFERL_FREE(pointer, ctx) ((void)(ctx), saferl_test_release(pointer))
#endif

/* A test's reference loops round every product, as the headers' own code does (the "bits"
   note of each header): a fused multiply-add the compiler contracted from a * b + c (gcc
   -std=gnu99 or clang >= 14 with -march=x86-64-v3) would round once. Write
   SAFERL_TEST_ROUND_EVERY_PRODUCT after the header's #include, so the header itself is still
   compiled under the build's flags and its own pragmas. */
#if defined(__clang__)
#define SAFERL_TEST_ROUND_EVERY_PRODUCT _Pragma("clang fp contract(off)")
#elif defined(__GNUC__)
#define SAFERL_TEST_ROUND_EVERY_PRODUCT _Pragma("GCC optimize(\"fp-contract=off\")")
#else
#define SAFERL_TEST_ROUND_EVERY_PRODUCT
#endif

/* Each test is a function of its own in the binary: static functions called once are inlined,
   and all of them inlined into main made one function of a whole test file, which the
   optimisers and the sanitizers' passes took superlinear time over (test_rl.c under ASan and
   UBSan: 96 s of CPU, 42 of them main's) */
#if defined(__GNUC__) || defined(__clang__)
#define SAFERL_TEST_NOINLINE __attribute__((noinline))
#else
#define SAFERL_TEST_NOINLINE
#endif
#define TEST(name) static SAFERL_TEST_NOINLINE void name(void)

/* The headers switch contraction off around their own code only: a * b + c written after the
   #include must still fuse where the build contracts. Write SAFERL_TEST_CONTRACTION_AFTER_THE_HEADER
   after the header's #include and RUN_CONTRACTION_AFTER_THE_HEADER() in main; both are empty
   unless SAFERL_TEST_BUILD_FUSES marks a build that contracts (tests/run.sh's bit tests under
   FMA: gcc -std=gnu99 and clang -std=c99, both -march=x86-64-v3). */
#ifdef SAFERL_TEST_BUILD_FUSES
#define SAFERL_TEST_CONTRACTION_AFTER_THE_HEADER                                              \
    static double saferl_test_multiply_add(double a, double b, double c) { return a * b + c; } \
    TEST(contraction_after_the_header_is_the_builds) {                                        \
        /* (1 + 2^-30)(1 - 2^-30) - 1 = -2^-60 fused; the product rounded first gives 0 */     \
        volatile double a = 1.0 + 1.0 / 1073741824.0, b = 1.0 - 1.0 / 1073741824.0, c = -1.0; \
        const double fused = -1.0 / 1073741824.0 / 1073741824.0;                              \
        /* called through a pointer: inlined into main, after the test file's own pragma, it   \
           would take main's flags */                                                         \
        double (*volatile multiply_add)(double, double, double) = saferl_test_multiply_add;    \
        CHECK(multiply_add(a, b, c) == fused);                                                \
    }
#define RUN_CONTRACTION_AFTER_THE_HEADER() RUN(contraction_after_the_header_is_the_builds)
#else
#define SAFERL_TEST_CONTRACTION_AFTER_THE_HEADER
#define RUN_CONTRACTION_AFTER_THE_HEADER() ((void)0)
#endif

#define CHECK(condition)                                                                      \
    do {                                                                                      \
        if (!(condition)) {                                                                   \
            ++saferl_test_failed_checks;                                                      \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #condition);     \
        }                                                                                     \
    } while (0)

/* |actual - expected| <= tolerance * max(1, |expected|): relative for large values. */
#define CHECK_NEAR(actual, expected, tolerance)                                               \
    do {                                                                                      \
        double saferl_test_a = (actual), saferl_test_e = (expected);                         \
        double saferl_test_scale = fabs(saferl_test_e) > 1.0 ? fabs(saferl_test_e) : 1.0;    \
        if (!(fabs(saferl_test_a - saferl_test_e) <= (tolerance) * saferl_test_scale)) {     \
            ++saferl_test_failed_checks;                                                      \
            fprintf(stderr, "%s:%d: %s = %.17g, expected %.17g (tolerance %g)\n", __FILE__,   \
                    __LINE__, #actual, saferl_test_a, saferl_test_e, (double)(tolerance));    \
        }                                                                                     \
    } while (0)

/* SAFERL_TEST_ONLY="name other_name" runs only the tests named (whole names, separated by
   spaces or commas); unset or empty runs them all. */
static int saferl_test_selected(const char *name) {
    const char *only = getenv("SAFERL_TEST_ONLY"), *p;
    size_t length = strlen(name);
    if (!only || !*only) return 1;
    for (p = only; (p = strstr(p, name)) != NULL; p += length) {
        int starts = p == only || p[-1] == ' ' || p[-1] == ',';
        int ends = p[length] == '\0' || p[length] == ' ' || p[length] == ',';
        if (starts && ends) return 1;
    }
    return 0;
}

#define RUN(name)                                                                             \
    do {                                                                                      \
        int saferl_test_before = saferl_test_failed_checks;                                   \
        if (!saferl_test_selected(#name)) break;                                              \
        name();                                                                               \
        if (saferl_test_failed_checks == saferl_test_before) {                                \
            ++saferl_test_passed;                                                             \
            printf("ok      %s\n", #name);                                                    \
        } else {                                                                              \
            ++saferl_test_failed;                                                             \
            printf("FAILED  %s\n", #name);                                                    \
        }                                                                                     \
        fflush(stdout);                                                                       \
    } while (0)

/* RUN_LONG_TRAINING(name): a test that trains until it meets an optimum (seconds natively, and
   most of a unit run's time). The native build runs it. Builds compiled with
   SAFERL_TEST_LONG_TRAINING_NATIVE_ONLY (the sanitizers, WebAssembly) report it skipped: the
   updates it repeats are the code the short trainings of the other tests run there, and the
   recorded fingerprints hold those builds to the native bits. SAFERL_TEST_ONLY naming it runs
   it anyway. */
#ifdef SAFERL_TEST_LONG_TRAINING_NATIVE_ONLY
static int saferl_test_skipped;
#define RUN_LONG_TRAINING(name)                                                               \
    do {                                                                                      \
        const char *saferl_test_only = getenv("SAFERL_TEST_ONLY");                            \
        if (saferl_test_only && *saferl_test_only) {                                          \
            RUN(name);                                                                        \
        } else {                                                                              \
            ++saferl_test_skipped;                                                            \
            printf("skipped %s (a long training: the native build runs it)\n", #name);        \
        }                                                                                     \
    } while (0)
#else
#define RUN_LONG_TRAINING(name) RUN(name)
#endif

static int saferl_test_finish(void) {
#ifdef SAFERL_TEST_LONG_TRAINING_NATIVE_ONLY
    if (saferl_test_skipped) printf("%d long trainings skipped (the native build runs them)\n", saferl_test_skipped);
#endif
    printf("%d passed, %d failed\n", saferl_test_passed, saferl_test_failed);
    if (saferl_test_passed + saferl_test_failed == 0) {
        printf("no test ran: SAFERL_TEST_ONLY names none of this program's tests\n");
        return 1;
    }
    return saferl_test_failed ? 1 : 0;
}

#endif
