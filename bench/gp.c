// SPDX-License-Identifier: MIT OR Unlicense
/* Speed of saferl_gp.h against scikit-learn's GaussianProcessRegressor on the same data, in
   the same run (bench/gp_sklearn.py). bench/run_gp.sh drives it:

     gp --write build/gp_data.bin        the data: 4000 training points (d = 2, y from a smooth
                                         function plus noise) and 10^4 candidates, saferl_rng
                                         seed 2026; the peer reads the same file
     gp --peer FILE --config TEXT        our timings, the table with the peer's and the ratios
     gp --quick                          the PLS-scale and safe-step rows only (WebAssembly)
     gp --dump FILE                      also writes every measurement as "key seconds"
     gp --dgemm-gflops R                 the machine's dgemm rate (BLIS, one thread), for the
                                         lower bounds printed beside the PLS-scale rows
     gp --dgemm-rate                     (built with BLIS) measures that rate and prints it
     gp --dgemm-beside                   (built with BLIS) each PLS-scale row's bound takes dgemm's
                                         rate measured just before and after the row (the faster)
     gp --exp-ops "MUL ADD OTHER"        the exp's FP-pipe operations per value, counted by
                                         bench/gp_count_ops.py in bench_rbf_exp: with them the
                                         PLS-scale rows also get their FP-pipe bound

   With the dgemm rate, each PLS-scale row is followed by where its time goes, the exp and
   the flops in series (their times alone added, not the larger of the two), its fastest
   repeat against the bound (on a busy machine the median is preempted) and, with --exp-ops,
   its FP-pipe bound (the pipes' throughput measured here); the rank-1 rows also by the time
   to read V once, measured alone, and max(that, the FP-pipe bound).

   The portable build links BLIS for that measurement alone with -DBENCH_DGEMM (-lblis); its
   rows still run the header's own code.

   Kernel RBF, lengthscale 0.8, signal variance 1, noise 1e-4 (scikit-learn: alpha). Timings are
   medians of repeats; "fit" is the factorisation with fixed hyperparameters (sklearn's fit with
   optimizer=None), "predict" mean and variance. */
#define _POSIX_C_SOURCE 200809L
#define SAFERL_GP_IMPLEMENTATION
#include "saferl_gp.h"
#if defined(SAFERL_USE_BLIS) || defined(BENCH_DGEMM)
#define BENCH_HAS_DGEMM 1
#include <blis.h> /* the header includes it too under SAFERL_USE_BLIS */
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define N_MAX 4000
#define Z_MAX 10000
#define DIM 2

static double X[N_MAX * DIM], Y[N_MAX], Z[Z_MAX * DIM];
static volatile double sink;

#include "bench_timing.h"

static void generate(void) {
    saferl_rng rng;
    int i;
    saferl_rng_seed(&rng, 2026);
    for (i = 0; i < N_MAX * DIM; ++i) X[i] = 10.0 * saferl_rng_uniform(&rng);
    for (i = 0; i < N_MAX; ++i) Y[i] = sin(X[2 * i]) * cos(0.7 * X[2 * i + 1]) + 0.01 * saferl_rng_normal(&rng);
    for (i = 0; i < Z_MAX * DIM; ++i) Z[i] = 10.0 * saferl_rng_uniform(&rng);
}

static saferl_gp make(uint32_t capacity) {
    double ls = 0.8;
    saferl_gp gp;
    saferl_gp_desc d;
    memset(&d, 0, sizeof d);
    d.dim = DIM;
    d.capacity = capacity;
    d.lengthscale = &ls;
    d.noise_variance = 1e-4;
    if (saferl_gp_create(&gp, &d) < 0) {
        fprintf(stderr, "bench: out of memory\n");
        exit(1);
    }
    return gp;
}

/* ---- the peer's numbers ---------------------------------------------------------------- */

#define MAX_PEER 128
static char peer_key[MAX_PEER][64];
static double peer_value[MAX_PEER];
static int peer_count;

static void read_peer(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return;
    while (peer_count < MAX_PEER && fscanf(f, "%63s %lf", peer_key[peer_count], &peer_value[peer_count]) == 2) ++peer_count;
    fclose(f);
}

static double peer(const char *key) {
    int i;
    for (i = 0; i < peer_count; ++i)
        if (strcmp(peer_key[i], key) == 0) return peer_value[i];
    return -1.0;
}

static FILE *dump_file; /* --dump: every measurement as "key seconds" */

/* A row's lower bound: no code does the row faster than its flops at dgemm's rate, nor than
   its kernel values at the vectorised exp's time per value measured alone. Both from the
   fastest of their repeats: on a busy machine a slow repeat would inflate the bound. */
static double dgemm_gflops;      /* --dgemm-gflops, or the row's (--dgemm-beside); 0: unknown (the flop half
                                    is left out) */
static int dgemm_beside;         /* --dgemm-beside */
static double exp_seconds_per_value; /* the row's: timed just before and after it */

static double lower_bound(double flops, double kernel_values) {
    double by_flops = dgemm_gflops > 0.0 ? flops / (dgemm_gflops * 1e9) : 0.0, by_exp = kernel_values * exp_seconds_per_value;
    return by_flops > by_exp ? by_flops : by_exp;
}

/* ---- the floating-point pipes ---------------------------------------------------------------
   The series limit above assumes the exp and the solve each keep the FP pipes busy. Measured
   instead: the pipes' throughput in 4-double operations per ns (independent chains in inline
   assembly, so that the compiler cannot merge or reorder them), and the operations the exp
   issues per value (bench/gp_count_ops.py counts them in bench_rbf_exp's compiled loops and
   passes them as --exp-ops). A row's instructions cannot run faster than its multiplies on the
   multiply pipes, its adds on the add pipes, or all of them on all the pipes, whatever their
   order; the multi-right-hand-side solve issues one multiply and one subtract (4 doubles each)
   per 8 flops and nothing else on these pipes (its broadcasts are loads). */

/* the RBF exp exactly as the library's kernel rows run it, in a function of its own (a name
   for gp_count_ops.py), built for AVX2 as the dispatched copy is */
#if defined(SAFERL_GP__DISPATCH)
__attribute__((target("avx2")))
#endif
__attribute__((noinline)) void bench_rbf_exp(double signal_variance, double *v, uint32_t count);
#if defined(SAFERL_GP__DISPATCH)
__attribute__((target("avx2")))
#endif
__attribute__((noinline)) void bench_rbf_exp(double signal_variance, double *v, uint32_t count) {
#if defined(SAFERL_GP__DISPATCH)
    saferl_gp__rho_row_body(SAFERL_GP__COPY_AVX2, SAFERL_GP_RBF, signal_variance, v, count);
#else
    saferl_gp__rho_row_body(SAFERL_GP__COPY_BUILD, SAFERL_GP_RBF, signal_variance, v, count);
#endif
}

static double exp_ops[3];   /* --exp-ops: multiplies, adds, other vector ALU operations a value */
static double pipe_rate[4]; /* 4-double operations per ns: multiplies alone, adds alone, all the
                               pipes (multiplies, adds and logic together), FMAs alone; 0: unknown */

/* Do the hot loops run their AVX-512 copies here (8 doubles an operation)? */
static int wide_copies_run(void) {
#if defined(SAFERL_GP__DISPATCH)
    return saferl_gp__have_avx512();
#else
    return 0;
#endif
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(__EMSCRIPTEN__)
#define BENCH_PIPE_INIT                                                                            \
    "vbroadcastsd %0, %%ymm15\n vbroadcastsd %1, %%ymm14\n"                                        \
    "vmovapd %%ymm15, %%ymm0\n vmovapd %%ymm15, %%ymm1\n vmovapd %%ymm15, %%ymm2\n"                \
    "vmovapd %%ymm15, %%ymm3\n vmovapd %%ymm15, %%ymm4\n vmovapd %%ymm15, %%ymm5\n"                \
    "vmovapd %%ymm14, %%ymm6\n vmovapd %%ymm14, %%ymm7\n vmovapd %%ymm14, %%ymm8\n"                \
    "vmovapd %%ymm14, %%ymm9\n vmovapd %%ymm14, %%ymm10\n vmovapd %%ymm14, %%ymm11\n"              \
    "vmovapd %%ymm15, %%ymm12\n vmovapd %%ymm15, %%ymm13\n"
/* six independent chains of op (3-4 cycles of latency, two pipes: 6-8 keep them full); the
   FMA's chains are a = a * 0 + a */
#define BENCH_PIPE_SIX(op, src, a, b, c, d, e, f)                                                  \
    op " " src ", %%ymm" a ", %%ymm" a "\n " op " " src ", %%ymm" b ", %%ymm" b "\n "                \
    op " " src ", %%ymm" c ", %%ymm" c "\n " op " " src ", %%ymm" d ", %%ymm" d "\n "                \
    op " " src ", %%ymm" e ", %%ymm" e "\n " op " " src ", %%ymm" f ", %%ymm" f "\n"
#define BENCH_PIPE_MUL_LOW BENCH_PIPE_SIX("vmulpd", "%%ymm15", "0", "1", "2", "3", "4", "5")
#define BENCH_PIPE_MUL_HIGH BENCH_PIPE_SIX("vmulpd", "%%ymm15", "6", "7", "8", "9", "10", "11")
#define BENCH_PIPE_ADD_LOW BENCH_PIPE_SIX("vaddpd", "%%ymm14", "0", "1", "2", "3", "4", "5")
#define BENCH_PIPE_ADD_HIGH BENCH_PIPE_SIX("vaddpd", "%%ymm14", "6", "7", "8", "9", "10", "11")
#define BENCH_PIPE_FMA_LOW BENCH_PIPE_SIX("vfmadd231pd", "%%ymm14", "0", "1", "2", "3", "4", "5")
#define BENCH_PIPE_FMA_HIGH BENCH_PIPE_SIX("vfmadd231pd", "%%ymm14", "6", "7", "8", "9", "10", "11")
#define BENCH_PIPE_LOGIC "vpand %%ymm15, %%ymm12, %%ymm12\n vpand %%ymm15, %%ymm13, %%ymm13\n"
#define BENCH_PIPE_LOOP(body) "1:\n " body " dec %2\n jnz 1b\n"
/* The mixed loop's rate depends on where it sits in the 64-byte lines the front end fetches
   (measured 12.2 to 14.4 operations per ns over 16 placements): it runs at 16 placements and
   the best counts, since a bound needs what the pipes can do. */
#define BENCH_PIPE_MIXED(skip)                                                                     \
    case skip % 64 / 4:                                                                              \
        __asm__ volatile(BENCH_PIPE_INIT ".p2align 6\n .skip " #skip ", 0x90\n"                    \
                         BENCH_PIPE_LOOP(BENCH_PIPE_MUL_LOW BENCH_PIPE_ADD_HIGH BENCH_PIPE_LOGIC BENCH_PIPE_LOGIC) \
                         : : "m"(one), "m"(zero), "r"(iterations) : BENCH_PIPE_CLOBBERS);           \
        break;
#define BENCH_PIPE_CLOBBERS "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", \
        "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "cc"

/* kind 0: 12 multiplies an iteration, 1: 12 adds, 2: 6 + 6 + 4 logic at placement 4 skip,
   3: 12 FMAs */
__attribute__((target("avx2,fma"), noinline)) static double pipe_seconds(int kind, int skip, long iterations) {
    static const double one = 1.0, zero = 0.0;
    double start = now_seconds();
    if (kind == 2) switch (skip) {
            BENCH_PIPE_MIXED(64) BENCH_PIPE_MIXED(4) BENCH_PIPE_MIXED(8) BENCH_PIPE_MIXED(12)
            BENCH_PIPE_MIXED(16) BENCH_PIPE_MIXED(20) BENCH_PIPE_MIXED(24) BENCH_PIPE_MIXED(28)
            BENCH_PIPE_MIXED(32) BENCH_PIPE_MIXED(36) BENCH_PIPE_MIXED(40) BENCH_PIPE_MIXED(44)
            BENCH_PIPE_MIXED(48) BENCH_PIPE_MIXED(52) BENCH_PIPE_MIXED(56) BENCH_PIPE_MIXED(60)
        }
    else if (kind == 0)
        __asm__ volatile(BENCH_PIPE_INIT BENCH_PIPE_LOOP(BENCH_PIPE_MUL_LOW BENCH_PIPE_MUL_HIGH)
                         : : "m"(one), "m"(zero), "r"(iterations) : BENCH_PIPE_CLOBBERS);
    else if (kind == 1)
        __asm__ volatile(BENCH_PIPE_INIT BENCH_PIPE_LOOP(BENCH_PIPE_ADD_LOW BENCH_PIPE_ADD_HIGH)
                         : : "m"(one), "m"(zero), "r"(iterations) : BENCH_PIPE_CLOBBERS);
    else
        __asm__ volatile(BENCH_PIPE_INIT BENCH_PIPE_LOOP(BENCH_PIPE_FMA_LOW BENCH_PIPE_FMA_HIGH)
                         : : "m"(one), "m"(zero), "r"(iterations) : BENCH_PIPE_CLOBBERS);
    return now_seconds() - start;
}

/* each rate the fastest of 31 short runs (10^6 iterations, about 1-2 ms; the mixed loop 11 at
   each placement): a busy machine only slows a run down */
static void measure_pipes(void) {
    static const double ops[4] = {12.0, 12.0, 16.0, 12.0};
    const long iterations = 1000000;
    int kind, skip, r;
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return;
    if (wide_copies_run()) return; /* these chains are 4-double operations; the loops in use do 8 */
    for (kind = 0; kind < 4; ++kind) {
        double best = 1e30;
        for (skip = 0; skip < (kind == 2 ? 16 : 1); ++skip)
            for (r = 0; r < (kind == 2 ? 11 : 31); ++r) {
                double t = pipe_seconds(kind, skip, iterations);
                if (t < best) best = t;
            }
        pipe_rate[kind] = ops[kind] * (double)iterations / best * 1e-9;
    }
}
#else
static void measure_pipes(void) {}
#endif

/* The least time the FP pipes allow a row: its exp's and its flops' operations on the pipes
   at their measured rates: unfused flops (the mean's, the factor's) a 4-double multiply and a
   4-double add per 8 flops, fused ones (the predictions' variance solve on a CPU with FMA) one
   4-double FMA per 8 flops, on the pipes that multiply. 0 when the pipes or the exp's counts
   are unknown. */
static double pipe_bound(double flops, double fused_flops, double kernel_values) {
    double multiplies = exp_ops[0] * kernel_values + flops / 8.0, adds = exp_ops[1] * kernel_values + flops / 8.0;
    double fmas = fused_flops / 8.0, all = multiplies + adds + fmas + exp_ops[2] * kernel_values, t, capacity;
    if (pipe_rate[0] <= 0.0 || exp_ops[0] <= 0.0) return 0.0;
    /* all the pipes: the multiply and add pipes together (the mixed loop's rate at most: its
       logic takes the same pipes), whichever is larger, so that the bound stays a bound */
    capacity = pipe_rate[0] + pipe_rate[1] > pipe_rate[2] ? pipe_rate[0] + pipe_rate[1] : pipe_rate[2];
    t = multiplies / pipe_rate[0] + fmas / pipe_rate[3];
    if (adds / pipe_rate[1] > t) t = adds / pipe_rate[1];
    if (all / capacity > t) t = all / capacity;
    return t * 1e-9;
}

/* Does saferl_gp_predict's variance solve fuse its multiply-adds in this build, on this CPU? */
static int predict_solve_fuses(void) { /* the PLS-scale rows' n is below SAFERL_GP_BLIS_FROM */
#if defined(SAFERL_GP__DISPATCH)
    return saferl_gp__have_fma();
#else
    return SAFERL_GP__FUSED_BUILD;
#endif
}

/* The kernel's exp alone: s2 rho(r^2) of the RBF kernel (the range reduction and polynomial
   the kernel rows run) over 10^4 squared distances in [0, 30], in place, the copy untimed;
   the library's dispatched row, or (counted) bench_rbf_exp, the copy whose operations
   gp_count_ops.py counts. Fastest of 41, seconds a value. */
static double time_exp_per_value(int counted) {
    enum { COUNT = 10000, REPEATS = 41 };
    static double source[COUNT], work[COUNT];
    double t[REPEATS];
    int i, r;
    for (i = 0; i < COUNT; ++i) source[i] = 30.0 * i / COUNT;
    for (r = 0; r < REPEATS; ++r) {
        double start;
        memcpy(work, source, sizeof work);
        start = now_seconds();
        if (counted) bench_rbf_exp(1.0, work, COUNT);
        else saferl_gp__rho_row(SAFERL_GP_RBF, 1.0, work, COUNT);
        t[r] = now_seconds() - start;
        sink += work[COUNT / 2];
    }
    return median(t, REPEATS) > 0.0 ? t[0] / COUNT : 0.0; /* sorted by median(): t[0] is the fastest */
}

/* Does the exp overlap the solve when they alternate in small pieces? The variance solve of
   64 blocks of 64 candidates at n = 25 and 256 exps a block, in pieces of `piece` columns
   (a 25 x piece solve, then 4 piece exps, alternating), against the same calls with all the
   solves first; fastest of 21 each. Returns interleaved / separate. */
static double interleave_ratio(uint32_t piece) {
    enum { N = 25, COLS = 64, BLOCKS = 64, REPEATS = 21 };
    static double l[N * N], v[BLOCKS * N * COLS], sums[BLOCKS * COLS], values[BLOCKS * 4 * COLS];
    double separate[REPEATS], interleaved[REPEATS];
    saferl_rng rng;
    uint32_t i, k, b, q;
    int r, mode;
    saferl_rng_seed(&rng, 7);
    for (i = 0; i < N; ++i)
        for (k = 0; k <= i; ++k) l[i * N + k] = k == i ? 2.0 + saferl_rng_uniform(&rng) : saferl_rng_uniform(&rng) - 0.5;
    for (r = 0; r < REPEATS; ++r)
        for (mode = 0; mode < 2; ++mode) {
            double start;
            for (i = 0; i < BLOCKS * N * COLS; ++i) v[i] = 1.0;
            for (i = 0; i < BLOCKS * 4 * COLS; ++i) values[i] = 30.0 * (double)(i % 997) / 997.0;
            start = now_seconds();
            for (b = 0; b < BLOCKS; ++b)
                for (q = 0; q < COLS; q += piece) {
                    saferl_gp__solve_columns(l, N, N, v + (size_t)b * N * COLS + q, COLS, piece, sums + b * COLS + q);
                    if (mode) saferl_gp__rho_row(SAFERL_GP_RBF, 1.0, values + (size_t)b * 4 * COLS + 4 * q, 4 * piece);
                }
            if (!mode) /* the same calls, after all the solves */
                for (b = 0; b < BLOCKS; ++b)
                    for (q = 0; q < COLS; q += piece)
                        saferl_gp__rho_row(SAFERL_GP_RBF, 1.0, values + (size_t)b * 4 * COLS + 4 * q, 4 * piece);
            (mode ? interleaved : separate)[r] = now_seconds() - start;
            sink += sums[0] + values[1];
        }
    median(separate, REPEATS);
    median(interleaved, REPEATS);
    return interleaved[0] / separate[0];
}

/* The pipes' rates, dgemm's share of the FMA pipes' peak and the exp's of its operations' */
static void print_pipes(void) {
    double exp_ns, exp_pipes_ns;
    if (pipe_rate[0] <= 0.0) {
        printf("FP pipes: not measured (%s): no FP-pipe bound\n",
               wide_copies_run() ? "the chains are 4-double operations, the AVX-512 copies in use do 8"
                                 : "x86-64 with AVX2 and FMA only");
        return;
    }
    printf("FP pipes, 4-double operations per ns (fastest runs): multiplies %.2f, adds %.2f, both %.2f\n"
           "  (6 + 6 + 4 logic operations an iteration: the logic shares their pipes), FMAs %.2f: peak %.1f GFLOP/s"
           " with FMA", pipe_rate[0], pipe_rate[1], pipe_rate[2], pipe_rate[3], 8.0 * pipe_rate[3]);
    if (dgemm_gflops > 0.0) printf(", dgemm runs at %.0f%% of it", 100.0 * dgemm_gflops / (8.0 * pipe_rate[3]));
    printf(";\n  %.1f GFLOP/s without (a multiply and an add, 4 doubles each, per 8 flops); the bounds take\n"
           "  multiplies + adds, %.2f, as all the pipes' rate\n", 4.0 * (pipe_rate[0] + pipe_rate[1]),
           pipe_rate[0] + pipe_rate[1]);
    if (exp_ops[0] <= 0.0) {
        printf("  the exp's operations: not given (--exp-ops), no pipe bound\n");
        return;
    }
    exp_ns = 1e9 * time_exp_per_value(1);
    exp_pipes_ns = 1e9 * pipe_bound(0.0, 0.0, 1.0);
    printf("  the exp, per value: %.3g multiplies, %.3g adds, %.3g other vector operations (counted in\n"
           "  bench_rbf_exp's compiled loops); at the pipes' rates %.3g ns, measured %.3g ns: %.0f%% of the pipes\n",
           exp_ops[0], exp_ops[1], exp_ops[2], exp_pipes_ns, exp_ns, 100.0 * exp_pipes_ns / exp_ns);
    printf("  the exp and the variance solve alternating in pieces (n = 25; 8, 32 columns a piece with 4 exps a\n"
           "  column) against one after the other: %.3f, %.3f of the time (below 1: they overlap)\n",
           interleave_ratio(8), interleave_ratio(32));
}

#if defined(BENCH_HAS_DGEMM)
/* BLIS dgemm's rate, n = 384, the fastest of 41 (2 n^3 flops each; short runs catch quiet moments). */
static double dgemm_rate(void) {
    const dim_t n = 384;
    double *a = (double *)malloc((size_t)n * n * sizeof(double)), *b = (double *)malloc((size_t)n * n * sizeof(double));
    double *c = (double *)malloc((size_t)n * n * sizeof(double)), one = 1.0, zero = 0.0, t[41];
    size_t k;
    int r;
    for (k = 0; k < (size_t)n * n; ++k) {
        a[k] = (double)(k % 97) / 97.0;
        b[k] = (double)(k % 89) / 89.0;
    }
    for (r = 0; r < 41; ++r) {
        double start = now_seconds();
        bli_dgemm(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, n, n, n, &one, a, n, 1, b, n, 1, &zero, c, n, 1);
        t[r] = now_seconds() - start;
    }
    sink += c[n];
    free(a);
    free(b);
    free(c);
    median(t, 41); /* sorts */
    return 2.0 * (double)n * n * n / t[0] * 1e-9;
}
#endif

/* A row: ours (dumped under key), the peer's figure under the peers' file key theirs_key, the bound. */
static void row_against(const char *what, const char *key, const char *theirs_key, double ours, double bound) {
    double theirs = peer(theirs_key);
    if (dump_file) fprintf(dump_file, "%s %.9g\n", key, ours);
    if (theirs > 0.0)
        printf("  %-44s %11.4g ms %11.4g ms %9.1fx", what, 1e3 * ours, 1e3 * theirs, theirs / ours);
    else
        printf("  %-44s %11.4g ms %14s %10s", what, 1e3 * ours, "-", "-");
    if (bound > 0.0) printf(" %11.4g ms %7.2fx", 1e3 * bound, ours / bound);
    printf("\n");
}

static void row_bound(const char *what, const char *key, double ours, double bound) {
    row_against(what, key, key, ours, bound);
}

static void row(const char *what, const char *key, double ours) { row_bound(what, key, ours, 0.0); }

/* ---- measurements ------------------------------------------------------------------------ */

static double *mean_buf, *var_buf;

static double fastest_fit_predict; /* the last time_fit_predict's fastest repeat */

static double time_fit_predict(uint32_t n, uint32_t m, int repeats) {
    double t[16], middle;
    int r;
    saferl_gp gp = make(n + 1);
    for (r = 0; r < repeats; ++r) {
        double start = now_seconds();
        saferl_gp_set_data(&gp, X, Y, n);
        saferl_gp_predict(&gp, Z, m, mean_buf, var_buf);
        t[r] = now_seconds() - start;
        sink += mean_buf[0];
    }
    saferl_gp_destroy(&gp);
    middle = median(t, repeats); /* sorts: t[0] is the fastest */
    fastest_fit_predict = t[0];
    return middle;
}

static double time_fit(uint32_t n, int repeats) {
    double t[16];
    int r;
    saferl_gp gp = make(n + 1);
    for (r = 0; r < repeats; ++r) {
        double start = now_seconds();
        saferl_gp_set_data(&gp, X, Y, n);
        t[r] = now_seconds() - start;
    }
    saferl_gp_destroy(&gp);
    return median(t, repeats);
}

static double time_predict(uint32_t n, uint32_t m, int repeats) {
    double t[16];
    int r;
    saferl_gp gp = make(n + 1);
    saferl_gp_set_data(&gp, X, Y, n);
    for (r = 0; r < repeats; ++r) {
        double start = now_seconds();
        saferl_gp_predict(&gp, Z, m, mean_buf, var_buf);
        t[r] = now_seconds() - start;
        sink += var_buf[0];
    }
    saferl_gp_destroy(&gp);
    return median(t, repeats);
}

/* the mean alone (kernel rows and k^T alpha): predict minus this is the variance solve */
static double time_predict_mean(uint32_t n, uint32_t m, int repeats) {
    double t[16];
    int r;
    saferl_gp gp = make(n + 1);
    saferl_gp_set_data(&gp, X, Y, n);
    for (r = 0; r < repeats; ++r) {
        double start = now_seconds();
        saferl_gp_predict(&gp, Z, m, mean_buf, NULL);
        t[r] = now_seconds() - start;
        sink += mean_buf[0];
    }
    saferl_gp_destroy(&gp);
    return median(t, repeats);
}

/* A row's FP-pipe bound (fused_flops of its flops on the multiply pipes as FMAs), its ratios,
   and whether it alone puts the goal out of reach. */
static void print_pipe_bound(double ours, double fastest, double bound, double flops, double fused,
                             double kernel_values) {
    double pipes = pipe_bound(flops - fused, fused, kernel_values);
    if (pipes <= 0.0) return;
    printf("      FP pipes (%s solve): the exp's and the flops' operations at the pipes' rates %.4g ms (exp %.4g +"
           " flops %.4g alone):\n      ours / that %.2fx, the fastest repeat %.2fx; that / the bound %.2fx, the least"
           " ratio these instructions allow\n", fused > 0.0 ? "fused" : "unfused",
           1e3 * pipes, 1e3 * pipe_bound(0.0, 0.0, kernel_values), 1e3 * pipe_bound(flops - fused, fused, 0.0),
           ours / pipes, fastest / pipes, pipes / bound);
    if (pipes / bound > 1.5)
        printf("      the goal (1.5x the bound) is out of reach with these instructions: the pipes alone need %.2fx\n",
               pipes / bound);
    else {
        /* Without overlap: the exp as measured alone, then the flops and the squared distances
           at the pipes' rates. The distances at d = 2 are 2 subtracts, 2 multiplies and 2 adds
           a vector of 4 (from coordinates scaled beforehand, 0.4.16; in
           saferl_gp__kernel_rows_avx2's compiled code they are unrolled and gp_count_ops.py,
           which counts loops, does not see them): half a multiply and an add a value, the adds
           the longer. The measured interleavings (print_pipes) found no overlap. */
        double distances = kernel_values * (0.5 / pipe_rate[0] > 1.0 / pipe_rate[1] ? 0.5 / pipe_rate[0]
                                                                                  : 1.0 / pipe_rate[1]) * 1e-9;
        double serial = kernel_values * exp_seconds_per_value + pipe_bound(flops - fused, fused, 0.0) + distances;
        printf("      without overlap: the exp alone %.4g + the flops %.4g + the squared distances %.4g at the pipes'"
               " rates\n      = %.4g ms, %.2fx the bound%s\n", 1e3 * kernel_values * exp_seconds_per_value,
               1e3 * pipe_bound(flops - fused, fused, 0.0), 1e3 * distances, 1e3 * serial, serial / bound,
               serial / bound > 1.5 ? ": the goal needs the exp to overlap the other work" : "");
    }
}

/* The exp alone and the flops at dgemm's rate, one after the other. */
static double series_time(double flops, double kernel_values) {
    return kernel_values * exp_seconds_per_value + (dgemm_gflops > 0.0 ? flops / (dgemm_gflops * 1e9) : 0.0);
}

/* Where a fit + predict row's time goes; the exp and the flops in series (each at its rate
   measured alone, one after the other); and the FP-pipe bound. Both halves run on the same
   floating-point pipes (the exp is multiplies, adds and logic too), so their operations add
   up; but the exp alone leaves some of the pipes idle (the header line above says how many),
   so the series figure is not a bound and the pipe bound, lower, is: its ratio to the goal's
   bound is the closest any order of these instructions can come. */
static void fit_predict_parts(uint32_t n, uint32_t m, double ours, double flops, double kernel_values) {
    double fastest = fastest_fit_predict, bound = lower_bound(flops, kernel_values);
    const double fused = predict_solve_fuses() ? (double)n * n * m : 0.0; /* the variance solve's */
    double fit = time_fit(n, 7), predict = time_predict(n, m, 7), mean_only = time_predict_mean(n, m, 7);
    double series = series_time(flops, kernel_values);
    printf("      parts: fit %.4g, kernel rows + mean %.4g (their exp alone %.4g), variance solve %.4g ms"
           " (%.1f GFLOP/s)\n      exp and flops in series %.4g ms: ours / that %.2fx; the fastest of the row's"
           " repeats %.4g ms, %.2fx the bound\n",
           1e3 * fit, 1e3 * mean_only, 1e3 * kernel_values * exp_seconds_per_value, 1e3 * (predict - mean_only),
           predict > mean_only ? (double)n * n * m / (predict - mean_only) * 1e-9 : 0.0, 1e3 * series, ours / series,
           1e3 * fastest, fastest / bound);
    print_pipe_bound(ours, fastest, bound, flops, fused, kernel_values);
}

/* The grid's rank-1 step reads V (n x |Z| doubles) once for c^T V: a plain sum over a block
   of that size, written just before as the bench's recompute writes V, read alone; fastest
   of 9. Above the caches this is memory bandwidth, which neither bound half counts. */
static double time_read(uint32_t n, uint32_t m) {
    const size_t count = (size_t)n * m;
    double *v = (double *)malloc(count * sizeof(double)), t[9];
    int r;
    size_t i;
    for (r = 0; r < 9; ++r) {
        double s[16] = {0.0}, start; /* 16 partial sums: the adds' latency does not bound the loop */
        int k;
        for (i = 0; i < count; ++i) v[i] = (double)(i & 7);
        start = now_seconds();
        for (i = 0; i + 16 <= count; i += 16)
            for (k = 0; k < 16; ++k) s[k] += v[i + k];
        t[r] = now_seconds() - start;
        for (k = 0; k < 16; ++k) sink += s[k];
    }
    free(v);
    median(t, 9);
    return t[0];
}

/* one observation added to n, then the m candidates' posterior: append + grid rank-1 */
static double time_add_update(uint32_t n, uint32_t m, int repeats) {
    double t[32];
    int r;
    saferl_gp gp = make(n + 1);
    saferl_gp_grid grid;
    size_t size = saferl_gp_grid_memory_size(m, n + 1);
    void *memory = malloc(size);
    saferl_gp_set_data(&gp, X, Y, n);
    saferl_gp_grid_init(&grid, &gp, Z, m, memory, size);
    for (r = 0; r < repeats; ++r) {
        double start = now_seconds();
        saferl_gp_add(&gp, X + (size_t)n * DIM, Y[n]);
        saferl_gp_grid_update(&grid, &gp);
        t[r] = now_seconds() - start;
        sink += grid.mean[0];
        saferl_gp_remove_last(&gp);
        saferl_gp_grid_recompute(&grid, &gp); /* untimed: back to n */
    }
    free(memory);
    saferl_gp_destroy(&gp);
    return median(t, repeats);
}

/* a safe optimiser's step without a grid: the GP holds n - 1 points, the n-th is appended
   (O(n^2), no refactorisation) and the m candidates' posterior is predicted from scratch; the
   point is removed again untimed. Sets fastest_fit_predict as time_fit_predict does. */
static double time_append_predict(uint32_t n, uint32_t m, int repeats) {
    double t[16], middle;
    int r;
    saferl_gp gp = make(n);
    saferl_gp_set_data(&gp, X, Y, n - 1);
    for (r = 0; r < repeats; ++r) {
        double start = now_seconds();
        saferl_gp_add(&gp, X + (size_t)(n - 1) * DIM, Y[n - 1]);
        saferl_gp_predict(&gp, Z, m, mean_buf, var_buf);
        t[r] = now_seconds() - start;
        sink += mean_buf[0];
        saferl_gp_remove_last(&gp);
    }
    saferl_gp_destroy(&gp);
    middle = median(t, repeats);
    fastest_fit_predict = t[0];
    return middle;
}

static double time_append(uint32_t n, int repeats) {
    double t[32];
    int r;
    saferl_gp gp = make(n + 1);
    saferl_gp_set_data(&gp, X, Y, n);
    for (r = 0; r < repeats; ++r) {
        double start = now_seconds();
        saferl_gp_add(&gp, X + (size_t)n * DIM, Y[n]);
        t[r] = now_seconds() - start;
        saferl_gp_remove_last(&gp);
    }
    saferl_gp_destroy(&gp);
    return median(t, repeats);
}

/* The same for an append + predict row (time_append_predict): the append alone, the series
   figure and the pipe bound. */
static void append_predict_parts(uint32_t n, uint32_t m, double ours, double flops, double kernel_values) {
    double fastest = fastest_fit_predict, bound = lower_bound(flops, kernel_values);
    const double fused = predict_solve_fuses() ? (double)n * n * m : 0.0;
    double append = time_append(n - 1, 9), series = series_time(flops, kernel_values);
    printf("      parts: append %.4g ms; exp and flops in series %.4g ms: ours / that %.2fx; the fastest of the"
           " row's\n      repeats %.4g ms, %.2fx the bound\n",
           1e3 * append, 1e3 * series, ours / series, 1e3 * fastest, fastest / bound);
    print_pipe_bound(ours, fastest, bound, flops, fused, kernel_values);
}

/* one safe-optimisation step on m candidates with n observations (reward and cost GPs) */
static double time_safe_step(uint32_t n, uint32_t m, saferl_gp_expander_test test, uint32_t *tests, int repeats) {
    saferl_gp reward = make(n + repeats + 1), cost = make(n + repeats + 1);
    saferl_gp_constraint c;
    saferl_gp_safeopt_desc d;
    saferl_gp_safeopt opt;
    unsigned char *seed = (unsigned char *)calloc(m, 1);
    double t[32], *cost_y = (double *)malloc(n * sizeof(double));
    uint32_t i;
    int r;
    for (i = 0; i < n; ++i) cost_y[i] = 0.3 * X[2 * i] + 0.1 * Y[i];
    for (i = 0; i < m; ++i) seed[i] = Z[2 * i] < 1.0 && Z[2 * i + 1] < 1.0;
    saferl_gp_set_data(&reward, X, Y, n);
    saferl_gp_set_data(&cost, X, cost_y, n);
    c.gp = &cost;
    c.threshold = 1.5;
    c.upper = 1;
    memset(&d, 0, sizeof d);
    d.candidates = Z;
    d.candidate_count = m;
    d.objective = &reward;
    d.constraints = &c;
    d.constraint_count = 1;
    d.seed_set = seed;
    d.rule = SAFERL_GP_STAGEOPT;
    d.expander_test = test;
    d.beta_rule = SAFERL_GP_BETA_FINITE_SET;
    d.stage_tolerance = 1e-9; /* stay in the expansion stage */
    if (saferl_gp_safeopt_create(&opt, &d) < 0) {
        fprintf(stderr, "bench: safeopt setup failed\n");
        exit(1);
    }
    *tests = 0;
    for (r = 0; r < repeats; ++r) {
        saferl_gp_safeopt_step st;
        double start = now_seconds();
        saferl_gp_safeopt_next(&opt, &st);
        t[r] = now_seconds() - start;
        if (st.expander_tests > *tests) *tests = st.expander_tests;
        sink += st.width;
    }
    saferl_gp_safeopt_destroy(&opt);
    saferl_gp_destroy(&reward);
    saferl_gp_destroy(&cost);
    free(seed);
    free(cost_y);
    return median(t, repeats);
}

/* A row's bound takes the exp timed alone just before and just after the row (the faster):
   a shared host runs slower for seconds at a time, and an exp timed once at the start in a
   slow phase raised every bound and flattered every ratio (one run: 1.72 ns a value there,
   1.00 in the same run's counted copy; n = 25 read 1.34-1.41x instead of about 2.4x). With
   --dgemm-beside the flop half too: dgemm's rate measured once at the start read 86 GFLOP/s in
   one run and 102 a few minutes before it, which moved n = 100's rows across the goal. */
typedef struct {
    double exp, dgemm; /* seconds a value; GFLOP/s (0: not measured beside the rows) */
} rates_beside;
static rates_beside fastest_beside, slowest_beside; /* each rate's best and worst over the rows */

static rates_beside time_rates(void) {
    rates_beside r;
    r.exp = time_exp_per_value(0);
    r.dgemm = 0.0;
#if defined(BENCH_HAS_DGEMM)
    if (dgemm_beside) r.dgemm = dgemm_rate();
#endif
    return r;
}

/* after the row: its bound's rates, the faster of before and now */
static void rates_beside_the_row(rates_beside before) {
    const rates_beside after = time_rates();
    exp_seconds_per_value = after.exp < before.exp ? after.exp : before.exp;
    if (fastest_beside.exp == 0.0 || exp_seconds_per_value < fastest_beside.exp) fastest_beside.exp = exp_seconds_per_value;
    if (exp_seconds_per_value > slowest_beside.exp) slowest_beside.exp = exp_seconds_per_value;
    if (!dgemm_beside) return;
    dgemm_gflops = after.dgemm > before.dgemm ? after.dgemm : before.dgemm;
    if (dgemm_gflops > fastest_beside.dgemm) fastest_beside.dgemm = dgemm_gflops;
    if (slowest_beside.dgemm == 0.0 || dgemm_gflops < slowest_beside.dgemm) slowest_beside.dgemm = dgemm_gflops;
}

static void pls_rows(void) {
    static const uint32_t ns[4] = {25, 50, 100, 200}, ms[2] = {1000, 10000};
    char what[96], key[64];
    int a, b;
    double largest = 0.0;
    /* untimed warm-up: WebAssembly engines first run baseline code and switch to optimised
       code only on later calls (V8's Liftoff, then TurboFan); native code is unaffected */
    sink += time_fit_predict(200, 10000, 1) + time_add_update(200, 10000, 1);
    measure_pipes();
    if (dgemm_beside)
        printf("\nlower bound of a row: max(its flops at dgemm's rate, its kernel values at the exp's time a\n"
               "value), each rate measured alone just before and after the row, the faster; the last column\n"
               "is ours / bound\n");
    else
        printf("\nlower bound of a row: max(its flops at dgemm's rate, %s; its kernel values at the exp's\n"
               "time a value, measured alone just before and after the row, the faster); the last column is\n"
               "ours / bound\n", dgemm_gflops > 0.0 ? "given" : "not given: left out");
    if (dgemm_gflops > 0.0) printf("dgemm rate%s: %.2f GFLOP/s\n", dgemm_beside ? " at the start" : "", dgemm_gflops);
    print_pipes();
    printf("\nPLS scale (d = 2)                               ours            sklearn    speed-up      bound   ours/bound\n");
    for (a = 0; a < 4; ++a)
        for (b = 0; b < 2; ++b) {
            /* Cholesky n^3 / 3, the variance solve n^2 |Z|, the mean 2 n |Z|; kernel values
               n (n - 1) / 2 for K and n |Z| for the queries */
            const double n = ns[a], m = ms[b];
            snprintf(what, sizeof what, "fit + predict, n = %u, |Z| = %u", ns[a], ms[b]);
            snprintf(key, sizeof key, "fit_predict_%u_%u", ns[a], ms[b]);
            const double flops = n * n * n / 3.0 + n * n * m + 2.0 * n * m, values = n * (n - 1.0) / 2.0 + n * m;
            rates_beside before = time_rates();
            largest = time_fit_predict(ns[a], ms[b], 7);
            rates_beside_the_row(before);
            row_bound(what, key, largest, lower_bound(flops, values));
            if (dgemm_gflops > 0.0) fit_predict_parts(ns[a], ms[b], largest, flops, values);
            {
                /* A safe optimiser's step adds one point: n - 1 held, the n-th appended (its
                   kernel row n - 1 values, two triangular solves 2 n^2 flops), then the same
                   predict. Not the goal's row (that fits from scratch); sklearn, which has no
                   append, refits: its column is its fit + predict at n. */
                const double append_flops = 2.0 * n * n + n * n * m + 2.0 * n * m, append_values = n - 1.0 + n * m;
                double ours;
                char append_key[64];
                before = time_rates();
                ours = time_append_predict(ns[a], ms[b], 7);
                rates_beside_the_row(before);
                snprintf(what, sizeof what, "append + predict, n = %u, |Z| = %u", ns[a], ms[b]);
                snprintf(append_key, sizeof append_key, "append_predict_%u_%u", ns[a], ms[b]);
                row_against(what, append_key, key, ours, lower_bound(append_flops, append_values));
                if (dgemm_gflops > 0.0) append_predict_parts(ns[a], ms[b], ours, append_flops, append_values);
            }
        }
    {
        /* The ceiling at the large end: both sides must do the triangular solve of the
           variances, n^2 |Z| flops (n (n + 1) / 2 multiply-adds per candidate), plus the
           kernel (n |Z| exps) and the mean (2 n |Z|). */
        double flops = 200.0 * 200.0 * 10000.0, theirs = peer("fit_predict_200_10000");
        printf("  n = 200, |Z| = 10^4: the variance solve is %.1e flops; ours runs at %.2f GFLOP/s over the whole\n"
               "  fit + predict", flops, flops / largest * 1e-9);
        if (theirs > 0.0)
            printf(", sklearn's at %.2f; 20x sklearn would take %.2f GFLOP/s", flops / theirs * 1e-9,
                   20.0 * flops / theirs * 1e-9);
        printf("\n");
    }
    for (a = 0; a < 4; ++a)
        for (b = 0; b < 2; ++b) {
            /* the append's two triangular solves 2 n^2, the grid row c^T V 2 n |Z|; kernel
               values n + |Z| */
            const double n = ns[a], m = ms[b];
            snprintf(what, sizeof what, "add 1 point + update |Z|, n = %u, |Z| = %u", ns[a], ms[b]);
            snprintf(key, sizeof key, "add_update_%u_%u", ns[a], ms[b]);
            const rates_beside before = time_rates();
            const double ours = time_add_update(ns[a], ms[b], 9), flops = 2.0 * n * n + 2.0 * n * m;
            rates_beside_the_row(before);
            row_bound(what, key, ours, lower_bound(flops, n + m));
            if (dgemm_gflops > 0.0) {
                double series = (n + m) * exp_seconds_per_value + flops / (dgemm_gflops * 1e9), read = time_read(ns[a], ms[b]);
                double pipes = pipe_bound(flops, 0.0, n + m), memory = read > pipes ? read : pipes;
                printf("      exp and flops in series %.4g ms (ours / that %.2fx); V (%.3g MB) read alone %.4g ms"
                       " (%.1f GB/s)\n", 1e3 * series, ours / series, 8e-6 * n * m, 1e3 * read, 8e-9 * n * m / read);
                /* the memory's bound: the read of V overlaps the FP work at best, so the larger */
                if (pipes > 0.0)
                    printf("      FP pipes %.4g ms; max(V read, FP pipes) %.4g ms: ours / that %.2fx\n", 1e3 * pipes,
                           1e3 * memory, ours / memory);
                else
                    printf("      ours / V read alone %.2fx\n", ours / read);
            }
        }
    printf("  the exp alone beside the rows: %.3g to %.3g ns a value%s\n", 1e9 * fastest_beside.exp,
           1e9 * slowest_beside.exp,
           slowest_beside.exp > 1.1 * fastest_beside.exp ? " (the host's speed moved during the run)" : "");
    if (dgemm_beside)
        printf("  dgemm beside the rows: %.4g to %.4g GFLOP/s%s\n", slowest_beside.dgemm, fastest_beside.dgemm,
               fastest_beside.dgemm > 1.1 * slowest_beside.dgemm ? " (the host's speed moved during the run)" : "");
    {
        uint32_t tests_pls = 0, tests_gp = 0;
        double pls = time_safe_step(100, 10000, SAFERL_GP_EXPAND_ALL_SAFE, &tests_pls, 9);
        double gp = time_safe_step(100, 10000, SAFERL_GP_EXPAND_GP, &tests_gp, 5);
        if (dump_file) fprintf(dump_file, "safe_step_pls %.9g\nsafe_step_gp %.9g\n", pls, gp);
        printf("\nOne StageOpt step, 10^4 candidates, 100 observations (reward + cost GP)\n");
        printf("  PLS mode (L = 0: every safe point an expander)  %9.4g ms\n", 1e3 * pls);
        printf("  GP-only expanders (rank-1 fantasy)              %9.4g ms, %u expander tests in the step\n", 1e3 * gp,
               tests_gp);
    }
}

int main(int argc, char **argv) {
    const char *config = "";
    int quick = 0, i;
    generate();
    mean_buf = (double *)malloc(Z_MAX * sizeof(double));
    var_buf = (double *)malloc(Z_MAX * sizeof(double));
    for (i = 1; i < argc; ++i) {
        if (strcmp(argv[i], "--write") == 0 && i + 1 < argc) {
            FILE *f = fopen(argv[++i], "wb");
            if (!f || fwrite(X, sizeof X, 1, f) != 1 || fwrite(Y, sizeof Y, 1, f) != 1 || fwrite(Z, sizeof Z, 1, f) != 1) {
                fprintf(stderr, "bench: cannot write\n");
                return 1;
            }
            fclose(f);
            return 0;
        } else if (strcmp(argv[i], "--peer") == 0 && i + 1 < argc) read_peer(argv[++i]);
        else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) config = argv[++i];
        else if (strcmp(argv[i], "--quick") == 0) quick = 1;
        else if (strcmp(argv[i], "--dump") == 0 && i + 1 < argc) dump_file = fopen(argv[++i], "w");
        else if (strcmp(argv[i], "--dgemm-gflops") == 0 && i + 1 < argc) dgemm_gflops = atof(argv[++i]);
        else if (strcmp(argv[i], "--exp-ops") == 0 && i + 1 < argc) {
            if (sscanf(argv[++i], "%lf %lf %lf", &exp_ops[0], &exp_ops[1], &exp_ops[2]) != 3) exp_ops[0] = 0.0;
        }
#if defined(BENCH_HAS_DGEMM)
        else if (strcmp(argv[i], "--dgemm-rate") == 0) {
            printf("%.3f\n", dgemm_rate());
            return 0;
        } else if (strcmp(argv[i], "--dgemm-beside") == 0) {
            dgemm_beside = 1;
            dgemm_gflops = dgemm_rate(); /* the start's, for what is printed before the rows */
        }
#endif
    }
    printf("saferl_gp.h %s, %s; kernel RBF, d = 2; medians\n", saferl_gp_version(), config);
#if defined(SAFERL_USE_BLIS)
    printf("backend: BLIS from n = %u (BLIS_NUM_THREADS=%s), the header's own kernels below", SAFERL_GP_BLIS_FROM,
           getenv("BLIS_NUM_THREADS") ? getenv("BLIS_NUM_THREADS") : "unset");
#else
    printf("backend: portable C");
#endif
    /* which instantiation of the hot loops runs: chosen when built (SAFERL_NO_DISPATCH, a target
       with AVX2 or without x86-64) and, with runtime dispatch, by this CPU */
#if defined(SAFERL_GP__DISPATCH)
    printf("; hot loops dispatched at run time: %s\n",
           wide_copies_run()        ? "AVX-512 (no FMA) in use, the predictions' variance solve fused (FMA)"
           : predict_solve_fuses()  ? "AVX2 (no FMA) in use, the predictions' variance solve fused (FMA)"
           : saferl_gp__have_avx2() ? "AVX2 (no FMA) in use"
                                    : "SSE in use (this CPU has no AVX2)");
#elif defined(__AVX2__) && defined(__FMA__)
    printf("; no runtime dispatch: compiled for the build's target (AVX2 and FMA)\n");
#elif defined(__AVX2__)
    printf("; no runtime dispatch: compiled for the build's target (AVX2)\n");
#else
    printf("; no runtime dispatch: compiled for the build's target, without AVX2\n");
#endif
    pls_rows();
    if (quick) {
        if (dump_file) fclose(dump_file);
        return 0;
    }
    {
        static const uint32_t ns[4] = {500, 1000, 2000, 4000};
        char what[96], key[64];
        int a;
        printf("\nLarge scale, 1000 queries                       ours            sklearn    speed-up\n");
        for (a = 0; a < 4; ++a) {
            int reps = ns[a] >= 2000 ? 1 : 3;
            double fit = time_fit(ns[a] - 1, reps), predict = time_predict(ns[a] - 1, 1000, reps);
            snprintf(what, sizeof what, "fit, n = %u", ns[a]);
            snprintf(key, sizeof key, "fit_%u", ns[a]);
            row(what, key, fit);
            snprintf(what, sizeof what, "predict mean + var, n = %u", ns[a]);
            snprintf(key, sizeof key, "predict_%u", ns[a]);
            row(what, key, predict);
            if (ns[a] == 2000) {
                /* the ceiling: the variance's triangular solve, n^2 |Z| flops, is the same BLAS
                   call on both sides; no predict can beat sklearn's by more than its whole time
                   over this solve alone */
                double mean_only = time_predict_mean(ns[a] - 1, 1000, 3), solve = predict - mean_only;
                double flops = (double)(ns[a] - 1) * (ns[a] - 1) * 1000.0, theirs = peer(key);
                printf("    of which the variance solve %.4g ms (%.2f GFLOP/s), the rest %.4g ms", 1e3 * solve,
                       solve > 0.0 ? flops / solve * 1e-9 : 0.0, 1e3 * mean_only);
                if (theirs > 0.0 && solve > 0.0) printf("; ceiling sklearn / solve = %.2fx", theirs / solve);
                printf("\n");
            }
        }
        printf("\nRank-1 append against a refit (our own factorisation)\n");
        for (a = 0; a < 4; ++a) {
            double append = time_append(ns[a] - 1, 9), refit = time_fit(ns[a], ns[a] >= 2000 ? 1 : 3);
            printf("  n = %-5u append %9.4g ms, refit %9.4g ms, ratio %7.1fx\n", ns[a], 1e3 * append, 1e3 * refit,
                   refit / append);
        }
#if defined(SAFERL_USE_BLIS)
        {
            /* Cholesky rate against BLIS dgemm at n = 4000, one thread */
            uint32_t n = 4000;
            double *a_mat = (double *)malloc((size_t)n * n * sizeof(double)), *b_mat = (double *)malloc((size_t)n * n * sizeof(double));
            double *c_mat = (double *)malloc((size_t)n * n * sizeof(double)), one = 1.0, zero = 0.0, t_chol, t_gemm, start;
            size_t k;
            saferl_gp gp = make(n);
            for (k = 0; k < (size_t)n * n; ++k) {
                a_mat[k] = (double)(k % 97) / 97.0;
                b_mat[k] = (double)(k % 89) / 89.0;
            }
            start = now_seconds();
            bli_dgemm(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, n, n, n, &one, a_mat, n, 1, b_mat, n, 1, &zero, c_mat, n, 1);
            t_gemm = now_seconds() - start;
            t_chol = time_fit(n, 1);
            printf("\nCholesky (incl. forming K) %.2f GFLOP/s vs BLIS dgemm %.2f GFLOP/s at n = 4000: %.2f of dgemm\n",
                   (double)n * n * n / 3.0 / t_chol * 1e-9, 2.0 * n * n * n / t_gemm * 1e-9,
                   ((double)n * n * n / 3.0 / t_chol) / (2.0 * n * n * n / t_gemm));
            free(a_mat); free(b_mat); free(c_mat);
            saferl_gp_destroy(&gp);
        }
#endif
    }
    return 0;
}
