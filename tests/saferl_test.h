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

#define TEST(name) static void name(void)

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

#define RUN(name)                                                                             \
    do {                                                                                      \
        int saferl_test_before = saferl_test_failed_checks;                                   \
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

static int saferl_test_finish(void) {
    printf("%d passed, %d failed\n", saferl_test_passed, saferl_test_failed);
    return saferl_test_failed ? 1 : 0;
}

#endif
