// SPDX-License-Identifier: MIT OR Unlicense
/* Can the kernel's exp and the variance solve overlap in one loop? At small n, fit + predict
   spends its time in two streams: the exp of the n |Z| kernel values and the fused register
   tiles of the multi-right-hand-side solve. Run one after the other they take the sum of
   their times; this measures whether interleaving them at the finest grain, one exp vector
   (4 values) between the k steps of a tile, lets the core overlap them.

     tiles alone      a 4 x 8 fused tile's k loop (8 FMAs a step, the header's inner loop on
                      4 rows: 6 rows would leave no register for the exp), and the 6 x 8 one
                      for the same FMAs, for reference
     exp alone        the header's exp (saferl_gp__exp_reduce, saferl_gp__exp_finish) over an
                      array, 4 values at a time: the polynomial alone on reduced arguments,
                      and the whole exp
     interleaved      the 4 x 8 tiles with one exp vector every 1, 2 or 4 k steps

   Each is timed 15 times, alternating, and the fastest kept (the machine may be shared).
   bench/run_gp.sh builds it with gcc -O3 -mavx2 -mfma -ffp-contract=off (the exp's
   operations are never fused) and runs it where the CPU has AVX2 and FMA. GCC makes the four
   exp values one vector inside the tile loop; clang 14 leaves them scalar there, so its
   interleaved rows would measure that instead (the program says so). */
#define _POSIX_C_SOURCE 200809L
#define SAFERL_GP_IMPLEMENTATION
#include "saferl_gp.h"
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

#define K 24                  /* k steps a tile: n = 25's tiles have k = 1, 7, 13, 19; n = 50's up to 44 */
#define COLUMNS 64            /* one block of queries */
#define VALUES (1u << 15)     /* exp arguments, cycled through (with the results 512 KB: the L2 cache) */
#define TILES 20000

static double l_rows[6 * K], v_rows[K * COLUMNS], arguments[VALUES], results[VALUES], tile_out[6 * COLUMNS];

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* four exp values from arguments + e into results + e: the whole exp, or its polynomial on
   arguments already reduced (|r| <= ln2 / 2, scale 1) */
static inline __attribute__((always_inline)) void exp4(uint32_t e, const int whole) {
    double r[4];
    uint64_t scale[4];
    int j;
    for (j = 0; j < 4; ++j) {
        if (whole) r[j] = saferl_gp__exp_reduce(arguments[e + j], &scale[j]);
        else {
            r[j] = arguments[e + j];
            scale[j] = (uint64_t)1023 << 52;
        }
    }
    for (j = 0; j < 4; ++j) results[e + j] = saferl_gp__exp_finish(r[j], scale[j]);
}

/* exp vectors alone */
static inline __attribute__((always_inline)) void exps(uint32_t vectors, const int whole) {
    uint32_t i, e = 0;
    for (i = 0; i < vectors; ++i, e = (e + 4) % VALUES) exp4(e, whole);
}
static __attribute__((noinline)) void polynomials_alone(uint32_t vectors) { exps(vectors, 0); }
static __attribute__((noinline)) void exps_alone(uint32_t vectors) { exps(vectors, 1); }

/* rows x 8 fused tiles (rows 4 or 6), with one exp vector every `every` k steps (0: none) */
static inline __attribute__((always_inline)) void tiles(uint32_t count, const int rows, const int every,
                                                        const int whole) {
    uint32_t t, e = 0;
    int k, r;
    for (t = 0; t < count; ++t) {
        const uint32_t q = (t % 8) * 8;
        __m256d a[6], b[6];
        for (r = 0; r < rows; ++r) a[r] = b[r] = _mm256_setzero_pd();
        for (k = 0; k < K; ++k) {
            const __m256d x = _mm256_loadu_pd(v_rows + k * COLUMNS + q), y = _mm256_loadu_pd(v_rows + k * COLUMNS + q + 4);
            for (r = 0; r < rows; ++r) {
                const __m256d l = _mm256_broadcast_sd(l_rows + r * K + k);
                a[r] = _mm256_fnmadd_pd(l, x, a[r]);
                b[r] = _mm256_fnmadd_pd(l, y, b[r]);
            }
            if (every && k % every == 0) {
                exp4(e, whole);
                e = (e + 4) % VALUES;
            }
        }
        for (r = 0; r < rows; ++r) {
            _mm256_storeu_pd(tile_out + r * COLUMNS + q, a[r]);
            _mm256_storeu_pd(tile_out + r * COLUMNS + q + 4, b[r]);
        }
    }
}
static __attribute__((noinline)) void tiles4(uint32_t count) { tiles(count, 4, 0, 0); }
static __attribute__((noinline)) void tiles6(uint32_t count) { tiles(count, 6, 0, 0); }
static __attribute__((noinline)) void interleaved(uint32_t count, int every, int whole) {
    if (whole) {
        if (every == 1) tiles(count, 4, 1, 1);
        else if (every == 2) tiles(count, 4, 2, 1);
        else tiles(count, 4, 4, 1);
    } else {
        if (every == 1) tiles(count, 4, 1, 0);
        else if (every == 2) tiles(count, 4, 2, 0);
        else tiles(count, 4, 4, 0);
    }
}

int main(void) {
    double best[2][3][2], best4 = 1e30, best6 = 1e30, t;
    saferl_rng rng;
    uint32_t i;
    int round, whole, s;
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
        printf("gp_overlap: this CPU lacks AVX2 or FMA; nothing measured\n");
        return 0;
    }
#if defined(__clang__)
    printf("gp_overlap: built with clang, which leaves the interleaved exp scalar: build with gcc to measure the overlap\n");
#endif
    saferl_rng_seed(&rng, 2026);
    for (i = 0; i < 6 * K; ++i) l_rows[i] = saferl_rng_uniform(&rng) - 0.5;
    for (i = 0; i < K * COLUMNS; ++i) v_rows[i] = saferl_rng_uniform(&rng) - 0.5;
    for (whole = 0; whole < 2; ++whole)
        for (s = 0; s < 3; ++s) best[whole][s][0] = best[whole][s][1] = 1e30;
    for (round = 0; round < 15; ++round) {
        t = seconds();
        tiles4(TILES);
        t = seconds() - t;
        if (t < best4) best4 = t;
        t = seconds();
        tiles6(TILES * 2 / 3);
        t = seconds() - t;
        if (t < best6) best6 = t;
        for (whole = 0; whole < 2; ++whole) {
            for (i = 0; i < VALUES; ++i) /* the kernel's arguments, or reduced ones */
                arguments[i] = whole ? -40.0 * saferl_rng_uniform(&rng) : 0.69 * (saferl_rng_uniform(&rng) - 0.5);
            for (s = 0; s < 3; ++s) {
                const int every = 1 << s;
                t = seconds();
                if (whole) exps_alone(TILES * ((K + every - 1) / every));
                else polynomials_alone(TILES * ((K + every - 1) / every));
                t = seconds() - t;
                if (t < best[whole][s][0]) best[whole][s][0] = t;
                t = seconds();
                interleaved(TILES, every, whole);
                t = seconds() - t;
                if (t < best[whole][s][1]) best[whole][s][1] = t;
            }
        }
    }
    printf("%u tiles of %d k steps: 4 x 8 tiles alone %.3f ms (%.2f FMAs a ns); 6 x 8 tiles, the same FMAs, %.3f ms\n",
           TILES, K, 1e3 * best4, TILES * K * 8.0 / best4 * 1e-9, 1e3 * best6);
    for (whole = 0; whole < 2; ++whole)
        for (s = 0; s < 3; ++s) {
            const double e = best[whole][s][0], both = best[whole][s][1];
            printf("  %s, one vector every %d k steps: exp alone %.3f ms, interleaved %.3f ms = %.2f of the two in series "
                   "(%.2f of the longer)\n",
                   whole ? "the whole exp      " : "the exp's polynomial", 1 << s, 1e3 * e, 1e3 * both, both / (best4 + e),
                   both / (best4 > e ? best4 : e));
        }
    for (t = 0.0, i = 0; i < VALUES; ++i) t += results[i] + (i < 6 * COLUMNS ? tile_out[i] : 0.0);
    printf("  (the fastest of 15 alternating rounds; checksum %.6g)\n", t); /* the results are used */
    return 0;
}
