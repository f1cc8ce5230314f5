// SPDX-License-Identifier: MIT OR Unlicense
/* Where saferl_gp_predict's time goes, phase by phase, on a busy machine: each phase of one
   block of 64 queries (the block predict works on) timed alone, the fastest of many repeats,
   scaled to 10^4 queries. A whole fit + predict row takes milliseconds and is preempted on a
   loaded machine; a block takes microseconds and some repeats run undisturbed, so the
   minima stay comparable between builds run side by side (bench/run_gp.sh's rows are the
   idle figures). The data are bench/gp.c's (d = 2, RBF, lengthscale 0.8, noise 1e-4).

     gcc -O3 -march=x86-64-v2 -Wall -Wextra -Werror -I. bench/gp_phases.c -o build/bench_gp_phases -lm
     build/bench_gp_phases [repeats] [n ...]      default: 3000 repeats, n = 25 50 100 200

   Phases: the kernel block (squared distances and the exp), the squared distances alone (with
   their copy of the block's points by dimension), the exp alone on as many values, the mean
   (k^T alpha, added inside the kernel rows since 0.4.8: the kernel block with it less
   without), the variance solve (with its sums), the whole predict of the block, and the fit
   (saferl_gp_set_data, n points) with its parts: the kernel matrix, the Cholesky factor and
   the two substitutions of the targets, each beside its floor (the matrix's kernel values at
   the exp's time alone; n^3 / 3 and 2 n^2 flops at the FMA peak), and the factor's own parts
   (transposes, solves, the diagonal blocks' update and their unblocked factor). */
#define _POSIX_C_SOURCE 200809L
#define SAFERL_GP_IMPLEMENTATION
#include "saferl_gp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_timing.h"

#define DIM 2
#define N_MAX 200 /* the largest n timed */
#define WIDTH SAFERL_GP_BLOCK

/* bench/gp.c's data, drawn in its order: 4000 training points, their targets, 10^4 candidates */
static double X[4000 * DIM], Y[4000], Z[10000 * DIM];
static double block[N_MAX * WIDTH], source[N_MAX * WIDTH], mean[WIDTH], sums[WIDTH];
static double kernel_matrix[(N_MAX + 1) * N_MAX], factor[(N_MAX + 1) * N_MAX], factor_work[16 * N_MAX];
static volatile double sink;

/* The squared distances of the kernel block alone, as saferl_gp__kernel_rows_body computes
   them (the points copied by dimension and scaled, then one row a training point, scaled
   once), in the copy the library's dispatch runs on this CPU. */
#define R2_ROWS_BODY                                                                                                   \
    {                                                                                                                  \
        double columns[DIM * 64], xs[DIM];                                                                             \
        uint32_t r, k;                                                                                                 \
        saferl_gp__scaled_columns(points, WIDTH, WIDTH, scale, DIM, columns);                            \
        for (r = 0; r < rows; ++r) {                                                                                   \
            for (k = 0; k < DIM; ++k) xs[k] = x[(size_t)r * DIM + k] * scale[k];                         \
            saferl_gp__r2_columns(xs, columns, WIDTH, DIM, out + (size_t)r * WIDTH);                                   \
        }                                                                                                              \
    }
__attribute__((noinline)) static void r2_rows_portable(const double *scale, const double *x, uint32_t rows,
                                                       const double *points, double *out) R2_ROWS_BODY
#if defined(SAFERL_GP__DISPATCH)
__attribute__((target("avx2"), noinline)) static void r2_rows_avx2(const double *scale, const double *x,
                                                                   uint32_t rows, const double *points, double *out) R2_ROWS_BODY
__attribute__((target("avx512f"), noinline)) static void r2_rows_avx512(const double *scale,
                                                                        const double *x, uint32_t rows,
                                                                        const double *points, double *out) R2_ROWS_BODY
#endif
/* The fit's kernel matrix as saferl_gp__factor builds it (no row skipped), and the diagonal:
   from 0.4.15 where the factor is blocked, each block of the factor's rows from the block's
   first point on (the rows above a block then hold its rows left of it, transposed); before,
   16 rows a call, each up to its group's last point. */
#if SAFERL_GP_VERSION_PATCH >= 15
#define CHOLESKY_UPPER(n) ((n) > SAFERL_GP__CHOLESKY_ROWS)
#define CHOLESKY(a, n, ld, work) saferl_gp__cholesky(a, n, ld, work, CHOLESKY_UPPER(n))
#else
#define CHOLESKY_UPPER(n) 0
#define CHOLESKY(a, n, ld, work) saferl_gp__cholesky(a, n, ld, work)
#endif
static void build_kernel_matrix(const saferl_gp *gp, const double *x, uint32_t n, double *out) {
    const size_t ld = gp->capacity;
    uint32_t i;
    if (CHOLESKY_UPPER(n)) {
        const uint32_t first = SAFERL_GP__CHOLESKY_ROWS + n % SAFERL_GP__CHOLESKY_ROWS;
        for (i = 0; i < n; i += i ? SAFERL_GP__CHOLESKY_ROWS : first)
            saferl_gp__kernel_block(gp, x + (size_t)i * DIM, i ? SAFERL_GP__CHOLESKY_ROWS : first, x + (size_t)i * DIM,
                                    n - i, out + (size_t)i * ld + i, ld, NULL, NULL);
        for (i = 0; i < n; ++i) out[(size_t)i * ld + i] = gp->signal_variance + gp->noise_variance;
        return;
    }
    for (i = 0; i < n; i += 16) {
        const uint32_t group = n - i < 16 ? n - i : 16;
        saferl_gp__kernel_block(gp, x + (size_t)i * DIM, group, x, i + group, out + (size_t)i * ld, ld, NULL, NULL);
    }
    for (i = 0; i < n; ++i) out[(size_t)i * ld + i] = gp->signal_variance + gp->noise_variance;
}

/* The blocked Cholesky's parts (saferl_gp__cholesky's loop, each part between two clock
   reads; the fastest of the repeats per part): the two transposes of each block's rows, the
   tiled solve of the rows left of the diagonal block, the diagonal block's update from them
   (0.4.13) and the unblocked factor of the diagonal blocks. Every clock read adds its own
   cost (tens of ns, about 1 us in all at n = 100) to the parts. */
typedef struct cholesky_parts {
    double transposes, solves, update, diagonal;
} cholesky_parts;
#if SAFERL_GP_VERSION_PATCH >= 13
static void time_cholesky_parts(const double *matrix, uint32_t n, size_t ld, int repeats, cholesky_parts *best) {
    int r;
    best->transposes = best->solves = best->update = best->diagonal = 1e30;
    for (r = 0; r < repeats; ++r) {
        cholesky_parts t = {0.0, 0.0, 0.0, 0.0};
        uint32_t k, b;
        double start;
        memcpy(factor, matrix, sizeof(double) * n * ld);
        for (k = 0; k < n; k += b) {
            b = k ? SAFERL_GP__CHOLESKY_ROWS : SAFERL_GP__CHOLESKY_ROWS + n % SAFERL_GP__CHOLESKY_ROWS;
            if (n <= SAFERL_GP__CHOLESKY_ROWS) b = n;
            if (k) {
                double *w = CHOLESKY_UPPER(n) ? factor + k : factor_work;
                const size_t ldw = CHOLESKY_UPPER(n) ? ld : b;
                if (!CHOLESKY_UPPER(n)) {
                    start = now_seconds();
                    saferl_gp__transpose(factor + (size_t)k * ld, ld, b, k, factor_work, b);
                    t.transposes += now_seconds() - start;
                }
                start = now_seconds();
                saferl_gp__solve_columns(factor, ld, k, w, ldw, b, NULL);
                t.solves += now_seconds() - start;
                start = now_seconds();
                saferl_gp__transpose(w, ldw, k, b, factor + (size_t)k * ld, ld);
                t.transposes += now_seconds() - start;
                start = now_seconds();
#if SAFERL_GP_VERSION_PATCH >= 15
                saferl_gp__cholesky_update_block(factor + (size_t)k * ld + k, ld, w, ldw, k);
#else
                saferl_gp__cholesky_update_block(factor + (size_t)k * ld + k, ld, w, k);
#endif
                t.update += now_seconds() - start;
            }
            start = now_seconds();
            if (saferl_gp__cholesky_rows(factor + (size_t)k * ld + k, ld, 0, b)) exit(1);
            t.diagonal += now_seconds() - start;
        }
        if (t.transposes < best->transposes) best->transposes = t.transposes;
        if (t.solves < best->solves) best->solves = t.solves;
        if (t.update < best->update) best->update = t.update;
        if (t.diagonal < best->diagonal) best->diagonal = t.diagonal;
    }
}
#else
static void time_cholesky_parts(const double *matrix, uint32_t n, size_t ld, int repeats, cholesky_parts *best) {
    (void)matrix, (void)n, (void)ld, (void)repeats;
    best->transposes = best->solves = best->update = best->diagonal = 0.0; /* not timed before 0.4.13 */
}
#endif

/* Kernel values the fit's matrix computes: 16 rows a call, each up to the group's last point. */
static double kernel_matrix_values(uint32_t n) {
    double values = 0.0;
    uint32_t i;
    for (i = 0; i < n; i += 16) values += (double)(n - i < 16 ? n - i : 16) * (i + (n - i < 16 ? n - i : 16));
    return values;
}

/* Flops of the blocked factor's solves: k^2 for each of a block's 16 rows, k the rows before it. */
static double cholesky_solve_flops(uint32_t n) {
    double flops = 0.0;
    uint32_t k;
    if (n <= SAFERL_GP__CHOLESKY_ROWS) return 0.0;
    for (k = SAFERL_GP__CHOLESKY_ROWS + n % SAFERL_GP__CHOLESKY_ROWS; k < n; k += SAFERL_GP__CHOLESKY_ROWS)
        flops += (double)SAFERL_GP__CHOLESKY_ROWS * k * k;
    return flops;
}

static void r2_rows(const double *scale, const double *x, uint32_t rows, const double *points, double *out) {
#if defined(SAFERL_GP__DISPATCH)
    if (saferl_gp__have_avx512()) r2_rows_avx512(scale, x, rows, points, out);
    else if (saferl_gp__have_avx2()) r2_rows_avx2(scale, x, rows, points, out);
    else
#endif
        r2_rows_portable(scale, x, rows, points, out);
}

/* the fastest of `repeats` runs of a statement, in seconds */
#define FASTEST(repeats, statement)                                                                                    \
    do {                                                                                                               \
        int r_;                                                                                                        \
        best = 1e30;                                                                                                   \
        for (r_ = 0; r_ < (repeats); ++r_) {                                                                           \
            double start_ = now_seconds(), t_;                                                                         \
            statement;                                                                                                 \
            t_ = now_seconds() - start_;                                                                               \
            if (t_ < best) best = t_;                                                                                  \
        }                                                                                                              \
    } while (0)

/* The FMA pipes' peak for 8-double operations: 12 independent chains a = a * 1 + 0 (4-cycle
   latency, two pipes: 8 or more keep them full), the fastest of 41 runs of 2 10^5 steps.
   GFLOP/s, or 0 without AVX-512. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define PEAK_STEP(a) a = _mm512_fmadd_pd(a, one, zero)
__attribute__((target("avx512f"), noinline)) static double fma_peak_avx512(void) {
    __m512d a0 = _mm512_set1_pd(1.0), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0;
    __m512d a10 = a0, a11 = a0, one = a0, zero = _mm512_setzero_pd();
    double best = 1e30, lanes[8];
    const long steps = 200000;
    long k;
    int r;
    for (r = 0; r < 41; ++r) {
        double start = now_seconds(), t;
        for (k = 0; k < steps; ++k) {
            PEAK_STEP(a0); PEAK_STEP(a1); PEAK_STEP(a2); PEAK_STEP(a3); PEAK_STEP(a4); PEAK_STEP(a5);
            PEAK_STEP(a6); PEAK_STEP(a7); PEAK_STEP(a8); PEAK_STEP(a9); PEAK_STEP(a10); PEAK_STEP(a11);
            /* the chains stay in registers and cannot be folded away */
            __asm__ volatile("" : "+v"(a0), "+v"(a1), "+v"(a2), "+v"(a3), "+v"(a4), "+v"(a5), "+v"(a6), "+v"(a7),
                             "+v"(a8), "+v"(a9), "+v"(a10), "+v"(a11));
        }
        t = now_seconds() - start;
        if (t < best) best = t;
    }
    _mm512_storeu_pd(lanes, _mm512_add_pd(_mm512_add_pd(a0, a11), _mm512_add_pd(a5, a6)));
    sink += lanes[0];
    return 12.0 * 16.0 * (double)steps / best * 1e-9;
}
static double fma_peak(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") ? fma_peak_avx512() : 0.0;
}
#else
static double fma_peak(void) { return 0.0; }
#endif

static double peak_gflops; /* the FMA pipes' 8-double peak, 0 where not measured */

static void phases(uint32_t n, int repeats) {
    const double per = 1e4 / WIDTH * 1e3; /* a block's seconds -> ms per 10^4 queries */
    double ls = 0.8, best, copy, kernel, distances, exp_alone, mean_rows, solve, predict, fit;
    double matrix, matrix_copy, cholesky, targets, exp_per_value, flop_seconds;
    cholesky_parts parts;
    saferl_gp gp;
    saferl_gp_desc d;
    size_t i;
    memset(&d, 0, sizeof d);
    d.dim = DIM;
    d.capacity = n + 1;
    d.lengthscale = &ls;
    d.noise_variance = 1e-4;
    if (saferl_gp_create(&gp, &d) < 0 || saferl_gp_set_data(&gp, X, Y, n) < 0) {
        fprintf(stderr, "gp_phases: setup failed\n");
        exit(1);
    }
    saferl_gp__kernel_block(&gp, gp.x, n, Z, WIDTH, source, WIDTH, NULL, NULL);
    FASTEST(repeats, memcpy(block, source, sizeof(double) * n * WIDTH));
    copy = best; /* the solve and the exp work in place: each repeat restores its input first */
    FASTEST(repeats, saferl_gp__kernel_block(&gp, gp.x, n, Z, WIDTH, block, WIDTH, NULL, NULL));
    kernel = best;
    FASTEST(repeats, r2_rows(gp.input_scale, gp.x, n, Z, block));
    distances = best;
    /* the mean is added inside the kernel rows (predict's way): with it, less without */
    for (i = 0; i < WIDTH; ++i) mean[i] = 0.0;
    FASTEST(repeats, saferl_gp__kernel_block(&gp, gp.x, n, Z, WIDTH, block, WIDTH, gp.alpha, mean));
    mean_rows = best - kernel;
    FASTEST(repeats, (memcpy(block, source, sizeof(double) * n * WIDTH),
                      saferl_gp__solve_columns_fused(gp.cholesky, gp.capacity, n, block, WIDTH, WIDTH, sums)));
    solve = best - copy;
    FASTEST(repeats, saferl_gp_predict(&gp, Z, WIDTH, mean, sums));
    predict = best;
    FASTEST(repeats, saferl_gp_set_data(&gp, X, Y, n));
    fit = best;
    /* the fit's parts, as saferl_gp__factor and saferl_gp__commit_factor run them */
    FASTEST(repeats, build_kernel_matrix(&gp, X, n, kernel_matrix));
    matrix = best;
    FASTEST(repeats, memcpy(factor, kernel_matrix, sizeof(double) * n * gp.capacity));
    matrix_copy = best;
    FASTEST(repeats, (memcpy(factor, kernel_matrix, sizeof(double) * n * gp.capacity),
                      CHOLESKY(factor, n, gp.capacity, factor_work)));
    cholesky = best - matrix_copy;
    FASTEST(repeats, saferl_gp__solve_targets(&gp, gp.cholesky, Y, n, n, gp.scratch, gp.scratch + gp.capacity));
    targets = best;
    time_cholesky_parts(kernel_matrix, n, gp.capacity, repeats, &parts);
    for (i = 0; i < (size_t)n * WIDTH; ++i) source[i] = 30.0 * (double)(i % 1000) / 1000.0; /* r^2 in [0, 30) */
    FASTEST(repeats, (memcpy(block, source, sizeof(double) * n * WIDTH),
                      saferl_gp__rho_row(SAFERL_GP_RBF, 1.0, block, n * WIDTH)));
    exp_alone = best - copy;
    printf("n = %3u: predict %.4f = kernel %.4f (exp alone %.4f, the rest %.4f; the distances alone %.4f) + mean %.4f"
           " + solve %.4f (%.1f GFLOP/s) + %.4f\n"
           "         fit %.5f ms = kernel matrix %.5f + Cholesky %.5f (%.1f GFLOP/s) + targets' substitutions %.5f"
           " + %.5f\n",
           n, per * predict, per * kernel, per * exp_alone, per * (kernel - exp_alone), per * distances,
           per * mean_rows, per * solve, (double)n * n * WIDTH / solve * 1e-9,
           per * (predict - kernel - mean_rows - solve), 1e3 * fit, 1e3 * matrix, 1e3 * cholesky,
           (double)n * n * n / 3.0 / cholesky * 1e-9, 1e3 * targets, 1e3 * (fit - matrix - cholesky - targets));
    /* each part of the fit against its floor: the kernel matrix's values at the exp's time per
       value alone, the factor's n^3 / 3 and the substitutions' 2 n^2 flops at the FMA peak */
    exp_per_value = exp_alone / ((double)n * WIDTH);
    flop_seconds = peak_gflops > 0.0 ? 1e-9 / peak_gflops : 0.0;
    printf("         floors: kernel matrix %.5f (%.0f values), Cholesky %.5f, substitutions %.5f\n",
           1e3 * kernel_matrix_values(n) * exp_per_value, kernel_matrix_values(n),
           1e3 * (double)n * n * n / 3.0 * flop_seconds, 1e3 * 2.0 * n * n * flop_seconds);
    if (parts.solves > 0.0)
        printf("         Cholesky's parts: transposes %.5f, solves %.5f (%.1f GFLOP/s), diagonal blocks' update"
               " %.5f, diagonal blocks %.5f\n",
               1e3 * parts.transposes, 1e3 * parts.solves,
               cholesky_solve_flops(n) / parts.solves * 1e-9, 1e3 * parts.update,
               1e3 * parts.diagonal);
    sink += mean[0] + sums[0] + block[0];
    saferl_gp_destroy(&gp);
}

int main(int argc, char **argv) {
    static const uint32_t defaults[4] = {25, 50, 100, 200};
    int repeats = argc > 1 ? atoi(argv[1]) : 3000, a;
    saferl_rng rng;
    (void)median; /* bench_timing.h's, not needed here: minima, not medians */
    saferl_rng_seed(&rng, 2026);
    for (a = 0; a < 4000 * DIM; ++a) X[a] = 10.0 * saferl_rng_uniform(&rng);
    for (a = 0; a < 4000; ++a) Y[a] = sin(X[2 * a]) * cos(0.7 * X[2 * a + 1]) + 0.01 * saferl_rng_normal(&rng);
    for (a = 0; a < 10000 * DIM; ++a) Z[a] = 10.0 * saferl_rng_uniform(&rng);
    if (repeats < 1) repeats = 1;
    printf("saferl_gp.h %s: phases of saferl_gp_predict, blocks of %u queries, fastest of %d, ms per 10^4 queries\n",
           saferl_gp_version(), WIDTH, repeats);
    peak_gflops = fma_peak();
    if (peak_gflops > 0.0) printf("the FMA pipes' peak with 8-double operations: %.1f GFLOP/s\n", peak_gflops);
    if (argc > 2)
        for (a = 2; a < argc; ++a) {
            uint32_t n = (uint32_t)atoi(argv[a]);
            if (n >= 1 && n <= N_MAX) phases(n, repeats);
        }
    else
        for (a = 0; a < 4; ++a) phases(defaults[a], repeats);
    return 0;
}
