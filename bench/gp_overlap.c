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

   Where the CPU has AVX-512, the same in 512-bit registers, as the header's AVX-512 copies run:
     wide tiles alone 6 x 16 and 4 x 16 fused tiles (two 8-double vectors a row; 6 x 16 is the
                      header's saferl_gp__solve_tile16_fused), 12 or 8 FMAs a k step
     wide exp alone   the same exp, 8 values a vector
     wide interleaved the 6 x 16 tiles (32 registers leave room for the exp beside 12
                      accumulators) and the 4 x 16 ones, with one exp vector every 1, 2 or 4 k
                      steps: every 1 is the ratio of n = 25 (n / 2 FMAs of 8 doubles per 8
                      kernel values: 12.5), every 2 that of n = 50, every 4 of n = 100
   and beside each, the multiply pipes' floor: the tile's FMAs plus the exp's multiplies
   (EXP_MULTIPLIES a vector, counted in the compiled exp) at the FMA rate the tiles alone reach,
   as a fraction of the two in series. The exp's multiplies go to the same two pipes as the
   FMAs (Zen 5: two FMA/multiply pipes, two add pipes), so that floor, not the four pipes, is
   what an interleave can reach.

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
/* saferl_gp__exp_reduce's k bits for k = 0 (the shifter 1.5 * 2^52's bits): T[0] 2^0, a scale of 1 */
#define K_BITS_OF_ZERO ((uint64_t)0x4338000000000000u)

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* four exp values from arguments + e into results + e: the whole exp, or its polynomial on
   arguments already reduced (|r| <= ln2 / 32, k = 0: scale 1) */
static inline __attribute__((always_inline)) void exp4(uint32_t e, const int whole) {
    double r[4];
    uint64_t scale[4];
    int j;
    for (j = 0; j < 4; ++j) {
        if (whole) r[j] = saferl_gp__exp_reduce(arguments[e + j], &scale[j]);
        else {
            r[j] = arguments[e + j];
            scale[j] = K_BITS_OF_ZERO;
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

/* ---- the same in AVX-512 ---------------------------------------------------------------- */

#define WIDE __attribute__((target("avx512f,avx2,fma")))
#define EXP_MULTIPLIES 11 /* multiplies in one 8-double exp vector, counted in this program's compiled loop (objdump; 17 before 0.4.9's exp) */
#define POLYNOMIAL_MULTIPLIES 7 /* of which the polynomial's (its scale is the constant 1 here, so s q is folded to q) */

/* eight exp values from arguments + e into results + e (GCC makes them one 8-double vector) */
static inline __attribute__((always_inline)) WIDE void exp8(uint32_t e, const int whole) {
    double r[8];
    uint64_t scale[8];
    int j;
    for (j = 0; j < 8; ++j) {
        if (whole) r[j] = saferl_gp__exp_reduce(arguments[e + j], &scale[j]);
        else {
            r[j] = arguments[e + j];
            scale[j] = K_BITS_OF_ZERO;
        }
    }
    for (j = 0; j < 8; ++j) results[e + j] = saferl_gp__exp_finish(r[j], scale[j]);
}
static __attribute__((noinline)) WIDE void wide_exps_alone(uint32_t vectors, int whole) {
    uint32_t i, e = 0;
    if (whole)
        for (i = 0; i < vectors; ++i, e = (e + 8) % VALUES) exp8(e, 1);
    else
        for (i = 0; i < vectors; ++i, e = (e + 8) % VALUES) exp8(e, 0);
}
/* the whole exp as the header runs it (saferl_gp__rho_block): 64 values reduced, then 64
   finished, through arrays; the two passes break the ~50-cycle chain of one value */
static __attribute__((noinline)) WIDE void wide_exps_two_passes(uint32_t vectors) {
    uint32_t i, j, e = 0;
    double r[64];
    uint64_t scale[64];
    for (i = 0; i < vectors; i += 8, e = (e + 64) % VALUES) {
        for (j = 0; j < 64; ++j) r[j] = saferl_gp__exp_reduce(arguments[e + j], &scale[j]);
        for (j = 0; j < 64; ++j) results[e + j] = saferl_gp__exp_finish(r[j], scale[j]);
    }
}

/* rows x 16 fused tiles, with one 8-value exp vector every `every` k steps (0: none) */
static inline __attribute__((always_inline)) WIDE void wide_tiles(uint32_t count, const int rows, const int every,
                                                                  const int whole) {
    uint32_t t, e = 0, held = 0;
    int k, r;
    double reduced[8] = {0.0};
    uint64_t scale[8] = {0};
    for (t = 0; t < count; ++t) {
        const uint32_t q = (t % 4) * 16;
        __m512d a[6], b[6];
        for (r = 0; r < rows; ++r) a[r] = b[r] = _mm512_setzero_pd();
        for (k = 0; k < K; ++k) {
            const __m512d x = _mm512_loadu_pd(v_rows + k * COLUMNS + q), y = _mm512_loadu_pd(v_rows + k * COLUMNS + q + 8);
            for (r = 0; r < rows; ++r) {
                const __m512d l = _mm512_set1_pd(l_rows[r * K + k]);
                a[r] = _mm512_fnmadd_pd(l, x, a[r]);
                b[r] = _mm512_fnmadd_pd(l, y, b[r]);
            }
            if (every && k % every == 0) {
                if (whole == 2) { /* pipelined: finish the vector reduced last time, reduce the next */
                    int j;
                    for (j = 0; j < 8; ++j) results[held + j] = saferl_gp__exp_finish(reduced[j], scale[j]);
                    for (j = 0; j < 8; ++j) reduced[j] = saferl_gp__exp_reduce(arguments[e + j], &scale[j]);
                    held = e;
                } else
                    exp8(e, whole);
                e = (e + 8) % VALUES;
            }
        }
        for (r = 0; r < rows; ++r) {
            _mm512_storeu_pd(tile_out + r * COLUMNS + q, a[r]);
            _mm512_storeu_pd(tile_out + r * COLUMNS + q + 8, b[r]);
        }
    }
}
/* one function per (rows, every, whole): each a loop the compiler sees whole */
#define WIDE_TILES(rows, every, whole)                                                                             \
    static __attribute__((noinline)) WIDE void wide_tiles_##rows##_##every##_##whole(uint32_t count) {             \
        wide_tiles(count, rows, every, whole);                                                                     \
    }
WIDE_TILES(6, 0, 0) WIDE_TILES(4, 0, 0)
WIDE_TILES(6, 1, 0) WIDE_TILES(6, 2, 0) WIDE_TILES(6, 4, 0) WIDE_TILES(6, 1, 1) WIDE_TILES(6, 2, 1) WIDE_TILES(6, 4, 1)
WIDE_TILES(4, 1, 0) WIDE_TILES(4, 2, 0) WIDE_TILES(4, 4, 0) WIDE_TILES(4, 1, 1) WIDE_TILES(4, 2, 1) WIDE_TILES(4, 4, 1)
WIDE_TILES(6, 1, 2) WIDE_TILES(6, 2, 2) WIDE_TILES(6, 4, 2) WIDE_TILES(4, 1, 2) WIDE_TILES(4, 2, 2) WIDE_TILES(4, 4, 2)
typedef void (*wide_tiles_fn)(uint32_t);
/* [rows 6, 4][polynomial, whole exp, whole exp pipelined][every 1, 2, 4] */
static const wide_tiles_fn wide_interleaved[2][3][3] = {
    {{wide_tiles_6_1_0, wide_tiles_6_2_0, wide_tiles_6_4_0},
     {wide_tiles_6_1_1, wide_tiles_6_2_1, wide_tiles_6_4_1},
     {wide_tiles_6_1_2, wide_tiles_6_2_2, wide_tiles_6_4_2}},
    {{wide_tiles_4_1_0, wide_tiles_4_2_0, wide_tiles_4_4_0},
     {wide_tiles_4_1_1, wide_tiles_4_2_1, wide_tiles_4_4_1},
     {wide_tiles_4_1_2, wide_tiles_4_2_2, wide_tiles_4_4_2}}};

static double timed(void (*f)(uint32_t), uint32_t count) {
    double t = seconds();
    f(count);
    return seconds() - t;
}

/* the AVX-512 measurements: tiles alone, exp alone (one pass a vector, and the header's two
   passes), interleaved (the exp one vector at a time, or pipelined), the fastest of 15 rounds */
static void measure_wide(saferl_rng *rng) {
    static const char *const modes[3] = {"the exp's polynomial", "the whole exp", "the whole exp, pipelined"};
    const uint32_t wide_count = TILES * 2; /* 16-column tiles: as many FMAs as the 8-column rows above */
    double alone[2] = {1e30, 1e30}, exp_alone[2][3], two_passes[3], both[2][3][3], t;
    int round, rows, mode, s;
    uint32_t i;
    for (s = 0; s < 3; ++s) {
        exp_alone[0][s] = exp_alone[1][s] = two_passes[s] = 1e30;
        for (mode = 0; mode < 3; ++mode) both[0][mode][s] = both[1][mode][s] = 1e30;
    }
    for (round = 0; round < 15; ++round) {
        if ((t = timed(wide_tiles_6_0_0, wide_count)) < alone[0]) alone[0] = t;
        if ((t = timed(wide_tiles_4_0_0, wide_count)) < alone[1]) alone[1] = t;
        for (mode = 0; mode < 3; ++mode) {
            const int whole = mode > 0;
            if (mode < 2)
                for (i = 0; i < VALUES; ++i)
                    arguments[i] = whole ? -40.0 * saferl_rng_uniform(rng) : 0.69 * (saferl_rng_uniform(rng) - 0.5);
            for (s = 0; s < 3; ++s) {
                const uint32_t vectors = wide_count * ((K + (1 << s) - 1) / (1 << s));
                if (mode < 2) {
                    t = seconds();
                    wide_exps_alone(vectors, whole);
                    t = seconds() - t;
                    if (t < exp_alone[whole][s]) exp_alone[whole][s] = t;
                } else {
                    t = seconds();
                    wide_exps_two_passes(vectors);
                    t = seconds() - t;
                    if (t < two_passes[s]) two_passes[s] = t;
                }
                for (rows = 0; rows < 2; ++rows)
                    if ((t = timed(wide_interleaved[rows][mode][s], wide_count)) < both[rows][mode][s])
                        both[rows][mode][s] = t;
            }
        }
    }
    {
        const double fmas = (double)wide_count * K * 12, rate = fmas / alone[0]; /* 8-double FMAs a second */
        printf("AVX-512: %u tiles of 6 x 16 and %d k steps alone %.3f ms (%.2f 8-double FMAs a ns, %.1f GFLOP/s); "
               "4 x 16 tiles (2/3 of the FMAs) %.3f ms\n",
               wide_count, K, 1e3 * alone[0], 1e-9 * rate, 16e-9 * rate, 1e3 * alone[1]);
        printf("  series: the tiles alone + the exp alone (one vector at a time; for the whole exp also the\n"
               "  header's two passes); floor: the tiles' FMAs and the exp's multiplies at the tiles' FMA rate\n");
        for (mode = 0; mode < 3; ++mode)
            for (s = 0; s < 3; ++s) {
                const double vectors = (double)wide_count * ((K + (1 << s) - 1) / (1 << s));
                const double e = mode ? exp_alone[1][s] : exp_alone[0][s], e2 = two_passes[s];
                const double multiplies = mode ? EXP_MULTIPLIES : POLYNOMIAL_MULTIPLIES;
                printf("  %s, a vector every %d k steps (%d FMAs of the 6-row tile a vector; %.3f ns a value alone",
                       modes[mode], 1 << s, 12 << s, 1e9 * e / (8.0 * vectors));
                if (mode) printf(", two passes %.3f", 1e9 * e2 / (8.0 * vectors));
                printf(")\n");
                for (rows = 0; rows < 2; ++rows) {
                    const double tiles = alone[rows], floor = (fmas * (rows ? 2.0 / 3.0 : 1.0) + multiplies * vectors) / rate;
                    printf("      %d x 16 interleaved %.3f ms = %.2f of the series", rows ? 4 : 6, 1e3 * both[rows][mode][s],
                           both[rows][mode][s] / (tiles + e));
                    if (mode) printf(", %.2f of the series with two passes", both[rows][mode][s] / (tiles + e2));
                    printf("; floor %.2f of that series\n", floor / (tiles + (mode ? e2 : e)));
                }
            }
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
    if (__builtin_cpu_supports("avx512f")) {
        measure_wide(&rng);
        for (t = 0.0, i = 0; i < VALUES; ++i) t += results[i] + (i < 6 * COLUMNS ? tile_out[i] : 0.0);
        printf("  (the fastest of 15 alternating rounds; checksum %.6g)\n", t);
    } else
        printf("this CPU lacks AVX-512: the 512-bit part is not measured\n");
    return 0;
}
