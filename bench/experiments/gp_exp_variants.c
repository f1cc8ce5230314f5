// SPDX-License-Identifier: MIT OR Unlicense
/* Candidates for saferl_gp.h's exp measured alone (issue 24): the RBF kernel row
   w[j] := s2 e^(-w[j] / 2) over 10^4 squared distances in [0, 30], two passes per block of 64
   (the range reduction, then the rest) as the header's rows run it. Each candidate is a
   scalar reference (the bits every path must give) and an AVX-512 row (the table lookup as
   two-register permutes). The library's own row and a copy of today's method in this file
   are timed beside them, alternating, fastest of N.

     gcc -O3 -march=x86-64-v2 -ffp-contract=off -I. bench/experiments/gp_exp_variants.c \
         -o build/gp_exp_variants -lm
     build/gp_exp_variants time ROUNDS     ns a value, the fastest of 41 repeats, per round
     build/gp_exp_variants accuracy N      max relative error against libm on N points of
                                           [-708, 0], and the AVX-512 rows' bits against the
                                           scalar references' on the same points
     build/gp_exp_variants sample N        x and each candidate's e^x, for a 50-digit check
     objdump -d build/gp_exp_variants | ... the AVX-512 loops' multiplies (row_<name>)
     bench/gp_count_ops.py build/gp_exp_variants avx2_<name>   the AVX2 copies' counts

   Candidates: table of 2^TABLE_BITS entries (16, 32, 64: one, two or four vpermt2pd and
   blends on k's bits 4 and 5), q of degree 6 or 5 from bench/gp_exp_minimax.py, written as
   today (r^2 and r^4, 8 multiplies after the reduction with s q) or in pairs
   q = r + r^2 ((c2 + c3 r) + r^2 (c4 + c5 r [+ c6 r^2])) (7 or 6). The "lean" rows give a
   candidate's bits with fewer other operations: the keep mask stored as a byte, a table of
   T[i]'s bits less i << (52 - TABLE_BITS) (no and), and optionally no clamp (the mask zeroes
   the last multiply; saferl_gp.h 0.4.14 does this with today's q) or no -|x| (not taken: it
   would change e^x for x > 0, which no kernel row reaches, to 0). */
#define _POSIX_C_SOURCE 200809L
#define SAFERL_GP_IMPLEMENTATION
#include "saferl_gp.h"

#include <immintrin.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#pragma GCC optimize("fp-contract=off")

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static const double T16[16] = {
    1.0, 1.0442737824274138, 1.0905077326652577, 1.1387886347566916, 1.189207115002721, 1.241857812073484,
    1.2968395546510096, 1.3542555469368927, 1.4142135623730951, 1.4768261459394993, 1.5422108254079407,
    1.6104903319492543, 1.681792830507429, 1.7562521603732995, 1.8340080864093424, 1.9152065613971474};
static double T32[32], T64[64]; /* 2^(i/32), 2^(i/64): filled from libm's exp2, checked against the script's */
static const double T64_SCRIPT_LAST = 1.978456026387951;

/* q coefficients, c2.. (bench/gp_exp_minimax.py TABLE_BITS DEGREE) */
static const double Q_4_6[5] = {0.49999999999999606, 0.16666666664417962, 0.041666666693250587,
                                0.0083334719210538914, 0.0013888594053175015};
static const double Q_5_5[4] = {0.49999999999179179, 0.16666666667044086, 0.041666893264336084, 0.008333318136721635};
static const double Q_6_5[4] = {0.49999999999948624, 0.16666666666690202, 0.041666723344761888,
                                0.0083333295551908382};

#define SHIFTER 6755399441055744.0
#define LOWEST (-4573933187176071168)
#define LN2_HIGH 6.93147180369123816490e-01
#define LN2_LOW 1.90821492927058770002e-10
#define EXPONENT_MASK 0xfff0000000000000u

/* form: 0 today's (r^2, r^4), 1 pairs */
typedef struct {
    const char *name;
    int bits, degree, form;
    const double *q;
} variant;

static const variant VARIANTS[] = {
    {"t16d6_today", 4, 6, 0, Q_4_6},
    {"t16d6_pairs", 4, 6, 1, Q_4_6},
    {"t32d5_pairs", 5, 5, 1, Q_5_5},
    {"t64d5_pairs", 6, 5, 1, Q_6_5},
};
#define VARIANT_COUNT 4

static inline __attribute__((always_inline)) double table_entry(int bits, uint64_t k) {
    return bits == 4 ? T16[k & 15] : bits == 5 ? T32[k & 31] : T64[k & 63];
}

static inline __attribute__((always_inline)) double reduce(int bits, double x, uint64_t *k_bits) {
    const double scale = (double)(1 << bits);
    double y, t, k;
    int64_t bits_x;
    uint64_t b, keep;
    memcpy(&b, &x, sizeof b);
    b |= (uint64_t)1 << 63;
    memcpy(&bits_x, &b, sizeof bits_x);
    keep = bits_x > LOWEST ? 0u : ~(uint64_t)0;
    bits_x = bits_x > LOWEST ? LOWEST : bits_x;
    memcpy(&y, &bits_x, sizeof y);
    t = y * (bits == 4 ? 23.083120654223414 : bits == 5 ? 46.166241308446828 : 92.332482616893656) + SHIFTER;
    k = t - SHIFTER;
    memcpy(&b, &t, sizeof b);
    *k_bits = b & keep;
    return (y - k * (LN2_HIGH / scale)) - k * (LN2_LOW / scale);
}

#define MUL_S(a, b) ((a) * (b))
#define ADD_S(a, b) ((a) + (b))
#define C_S(c) (c)
#define MUL_W(a, b) _mm512_mul_pd((a), (b))
#define ADD_W(a, b) _mm512_add_pd((a), (b))
#define C_W(c) _mm512_set1_pd(c)
/* q and e = s + s q; the same operations in the same order for both widths */
#define TAIL(MUL, ADD, C, degree, form, c, r, s, e)                                                                 \
    {                                                                                                               \
        if (form == 0) {                                                                                            \
            r2 = MUL(r, r);                                                                                         \
            r4 = MUL(r2, r2);                                                                                       \
            q = ADD(ADD(r, MUL(r2, ADD(C(c[0]), MUL(C(c[1]), r)))),                                                 \
                    MUL(r4, ADD(ADD(C(c[2]), MUL(C(c[3]), r)), MUL(r2, C(c[4])))));                                 \
        } else {                                                                                                    \
            r2 = MUL(r, r);                                                                                         \
            r4 = degree == 6 ? ADD(ADD(C(c[2]), MUL(C(c[3]), r)), MUL(C(c[4]), r2)) : ADD(C(c[2]), MUL(C(c[3]), r)); \
            q = ADD(r, MUL(r2, ADD(ADD(C(c[0]), MUL(C(c[1]), r)), MUL(r2, r4))));                                   \
        }                                                                                                           \
        e = ADD(s, MUL(s, q));                                                                                      \
    }

static inline __attribute__((always_inline)) double finish(const variant *v, double r, uint64_t k_bits) {
    const uint64_t keep = k_bits ? ~(uint64_t)0 : 0u;
    const double t = table_entry(v->bits, k_bits);
    double s, r2, r4, q, e;
    uint64_t b;
    memcpy(&b, &t, sizeof b);
    b = (b + ((k_bits << (52 - v->bits)) & EXPONENT_MASK)) & keep;
    memcpy(&s, &b, sizeof s);
    TAIL(MUL_S, ADD_S, C_S, v->degree, v->form, v->q, r, s, e)
    return e;
}

static double exp_scalar(const variant *v, double x) {
    uint64_t k;
    double r = reduce(v->bits, x, &k);
    return finish(v, r, k);
}

/* the AVX-512 row: pass 1 auto-vectorised scalar reduction, pass 2 intrinsics */
__attribute__((target("avx512f"))) static inline __attribute__((always_inline)) __m512d lookup(int bits, __m512i k,
                                                                                               const __m512d *t) {
    const __m512d a = _mm512_permutex2var_pd(t[0], k, t[1]);
    __m512d b, c, d;
    __mmask8 m4, m5;
    if (bits == 4) return a;
    m4 = _mm512_test_epi64_mask(k, _mm512_set1_epi64(16));
    b = _mm512_permutex2var_pd(t[2], k, t[3]);
    if (bits == 5) return _mm512_mask_blend_pd(m4, a, b);
    c = _mm512_permutex2var_pd(t[4], k, t[5]);
    d = _mm512_permutex2var_pd(t[6], k, t[7]);
    m5 = _mm512_test_epi64_mask(k, _mm512_set1_epi64(32));
    return _mm512_mask_blend_pd(m5, _mm512_mask_blend_pd(m4, a, b), _mm512_mask_blend_pd(m4, c, d));
}

__attribute__((target("avx512f"))) static inline __attribute__((always_inline)) void
row_body(const variant *v, double factor, double *w, uint32_t count) {
    double reduced[64];
    uint64_t k_bits[64];
    __m512d t[8];
    const double *table = v->bits == 4 ? T16 : v->bits == 5 ? T32 : T64;
    uint32_t start, j, i;
    for (i = 0; i < (1u << v->bits) / 8; ++i) t[i] = _mm512_loadu_pd(table + 8 * i);
    for (start = 0; start < count; start += 64) {
        const uint32_t block = count - start < 64 ? count - start : 64;
        double *out = w + start;
        for (j = 0; j < block; ++j) reduced[j] = reduce(v->bits, -0.5 * out[j], &k_bits[j]);
        for (j = 0; j + 8 <= block; j += 8) {
            const __m512i k = _mm512_loadu_si512((const void *)(k_bits + j));
            const __m512d r = _mm512_loadu_pd(reduced + j);
            __m512i b = _mm512_castpd_si512(lookup(v->bits, k, t));
            __m512d s, r2, r4, q, e;
            b = _mm512_add_epi64(b, _mm512_and_si512(_mm512_maskz_slli_epi64((__mmask8)0xff, k, 52 - v->bits),
                                                     _mm512_set1_epi64((long long)EXPONENT_MASK)));
            s = _mm512_maskz_mov_pd(_mm512_test_epi64_mask(k, k), _mm512_castsi512_pd(b));
            TAIL(MUL_W, ADD_W, C_W, v->degree, v->form, v->q, r, s, e)
            _mm512_storeu_pd(out + j, _mm512_mul_pd(_mm512_set1_pd(factor), e));
        }
        for (; j < block; ++j) out[j] = factor * finish(v, reduced[j], k_bits[j]);
    }
}

/* The lean AVX-512 row: the same bits as row_body's, fewer vector operations. The reduction
   keeps t's bits as they are and stores the keep mask (x >= -708) as a byte: a kmov to memory
   and back uses the load/store units; the finish adds k's bits shifted by 52 - TABLE_BITS to
   an entry of a table whose entries have k's low bits subtracted (T'[i] = T[i]'s bits -
   (i << (52 - TABLE_BITS))), so no and; the keep mask zeroes that add. or_sign: today's
   -|x| (0: x = -w / 2 is <= 0 already for a sum of squares). */
static uint64_t T16_ADJUSTED[16], T32_ADJUSTED[32], T64_ADJUSTED[64];
__attribute__((target("avx512f"))) static inline __attribute__((always_inline)) void
row_lean_body(const variant *v, int or_sign, int clamp, double factor, double *w, uint32_t count) {
    double reduced[64];
    uint64_t k_bits[64];
    __mmask8 keep[8];
    __m512d t[8];
    const uint64_t *table = v->bits == 4 ? T16_ADJUSTED : v->bits == 5 ? T32_ADJUSTED : T64_ADJUSTED;
    const double scale = (double)(1 << v->bits);
    const __m512d c = _mm512_set1_pd(v->bits == 4 ? 23.083120654223414 : v->bits == 5 ? 46.166241308446828 : 92.332482616893656);
    uint32_t start, j, i;
    for (i = 0; i < (1u << v->bits) / 8; ++i) t[i] = _mm512_castsi512_pd(_mm512_loadu_si512((const void *)(table + 8 * i)));
    for (start = 0; start < count; start += 64) {
        const uint32_t block = count - start < 64 ? count - start : 64;
        double *out = w + start;
        for (j = 0; j + 8 <= block; j += 8) {
            const __m512d x = _mm512_mul_pd(_mm512_set1_pd(-0.5), _mm512_loadu_pd(out + j));
            const __m512i lowest = _mm512_set1_epi64(LOWEST);
            const __m512i b = or_sign ? _mm512_or_si512(_mm512_castpd_si512(x), _mm512_set1_epi64((long long)((uint64_t)1 << 63)))
                                      : _mm512_castpd_si512(x);
            const __m512d y = clamp ? _mm512_castsi512_pd(_mm512_min_epi64(b, lowest)) : _mm512_castsi512_pd(b);
            const __m512d tt = _mm512_add_pd(_mm512_mul_pd(y, c), _mm512_set1_pd(SHIFTER));
            const __m512d k = _mm512_sub_pd(tt, _mm512_set1_pd(SHIFTER));
            keep[j / 8] = _mm512_cmple_epi64_mask(b, lowest);
            _mm512_storeu_si512((void *)(k_bits + j), _mm512_castpd_si512(tt));
            _mm512_storeu_pd(reduced + j, _mm512_sub_pd(_mm512_sub_pd(y, _mm512_mul_pd(k, _mm512_set1_pd(LN2_HIGH / scale))),
                                                        _mm512_mul_pd(k, _mm512_set1_pd(LN2_LOW / scale))));
        }
        for (; j < block; ++j) reduced[j] = reduce(v->bits, -0.5 * out[j], &k_bits[j]);
        for (j = 0; j + 8 <= block; j += 8) {
            const __m512i k = _mm512_loadu_si512((const void *)(k_bits + j));
            const __m512d r = _mm512_loadu_pd(reduced + j);
            const __m512i b = _mm512_castpd_si512(lookup(v->bits, k, t));
            __m512d s, r2, r4, q, e;
            if (clamp) {
                s = _mm512_castsi512_pd(_mm512_maskz_add_epi64(keep[j / 8], b, _mm512_maskz_slli_epi64((__mmask8)0xff, k, 52 - v->bits)));
                TAIL(MUL_W, ADD_W, C_W, v->degree, v->form, v->q, r, s, e)
                _mm512_storeu_pd(out + j, _mm512_mul_pd(_mm512_set1_pd(factor), e));
            } else { /* unclamped lanes below -708 hold garbage (inf, NaN): the last multiply zeroes them */
                s = _mm512_castsi512_pd(_mm512_add_epi64(b, _mm512_maskz_slli_epi64((__mmask8)0xff, k, 52 - v->bits)));
                TAIL(MUL_W, ADD_W, C_W, v->degree, v->form, v->q, r, s, e)
                _mm512_storeu_pd(out + j, _mm512_maskz_mul_pd(keep[j / 8], _mm512_set1_pd(factor), e));
            }
        }
        for (; j < block; ++j) out[j] = factor * finish(v, reduced[j], k_bits[j]);
    }
}

/* the AVX2 copies (scalar code the compiler vectorises), for gp_count_ops.py */
static inline __attribute__((always_inline)) void row_scalar_body(const variant *v, double factor, double *w,
                                                                  uint32_t count) {
    double reduced[64];
    uint64_t k_bits[64];
    uint32_t start, j;
    for (start = 0; start < count; start += 64) {
        const uint32_t block = count - start < 64 ? count - start : 64;
        double *out = w + start;
        for (j = 0; j < block; ++j) reduced[j] = reduce(v->bits, -0.5 * out[j], &k_bits[j]);
        for (j = 0; j < block; ++j) out[j] = factor * finish(v, reduced[j], k_bits[j]);
    }
}

#define ROWS(i, name)                                                                                               \
    __attribute__((target("avx512f"), noinline)) void row_##name(double f, double *w, uint32_t n) {                \
        row_body(&VARIANTS[i], f, w, n);                                                                            \
    }                                                                                                               \
    __attribute__((target("avx2"), noinline)) void avx2_##name(double f, double *w, uint32_t n) {                  \
        row_scalar_body(&VARIANTS[i], f, w, n);                                                                     \
    }
ROWS(0, t16d6_today)
ROWS(1, t16d6_pairs)
ROWS(2, t32d5_pairs)
ROWS(3, t64d5_pairs)
#define LEAN(i, or_sign, clamp, name)                                                                               \
    __attribute__((target("avx512f"), noinline)) void lean_##name(double f, double *w, uint32_t n) {               \
        row_lean_body(&VARIANTS[i], or_sign, clamp, f, w, n);                                                        \
    }
LEAN(0, 1, 1, t16d6_today)
LEAN(0, 1, 0, t16d6_today_noclamp)
LEAN(0, 0, 1, t16d6_today_noor)
LEAN(0, 0, 0, t16d6_today_noor_noclamp)
LEAN(1, 1, 0, t16d6_pairs_noclamp)
typedef void (*row_fn)(double, double *, uint32_t);
static const row_fn ROW[VARIANT_COUNT] = {row_t16d6_today, row_t16d6_pairs, row_t32d5_pairs, row_t64d5_pairs};
#define LEAN_COUNT 5
static const row_fn LEAN_ROW[LEAN_COUNT] = {lean_t16d6_today, lean_t16d6_today_noclamp, lean_t16d6_today_noor,
                                           lean_t16d6_today_noor_noclamp, lean_t16d6_pairs_noclamp};
static const char *const LEAN_NAME[LEAN_COUNT] = {"lean", "lean_noclamp", "lean_noor", "lean_noor_noclamp", "lean_pairs_noclamp"};
static const int LEAN_OF[LEAN_COUNT] = {0, 0, 0, 0, 1}; /* the variant whose bits each gives */

static void library_row(double f, double *w, uint32_t n) { saferl_gp__rho_row(SAFERL_GP_RBF, f, w, n); }

static double sink;

static double time_row(row_fn row) {
    enum { COUNT = 10000, REPEATS = 41 };
    static double source[COUNT], work[COUNT];
    double best = 1e30;
    int i, r;
    for (i = 0; i < COUNT; ++i) source[i] = 30.0 * i / COUNT;
    for (r = 0; r < REPEATS; ++r) {
        double start, t;
        memcpy(work, source, sizeof work);
        start = now_seconds();
        row(1.0, work, COUNT);
        t = now_seconds() - start;
        if (t < best) best = t;
        sink += work[COUNT / 2];
    }
    return best / COUNT * 1e9;
}

static void fill_tables(void) {
    int i;
    for (i = 0; i < 32; ++i) T32[i] = exp2(i / 32.0);
    for (i = 0; i < 64; ++i) T64[i] = exp2(i / 64.0);
    for (i = 0; i < 16; ++i)
        if (T64[4 * i] != T16[i]) fprintf(stderr, "table mismatch at %d\n", i), exit(1);
    for (i = 0; i < 64; ++i) {
        uint64_t b;
        if (i < 16) memcpy(&b, &T16[i], 8), T16_ADJUSTED[i] = b - ((uint64_t)i << 48);
        if (i < 32) memcpy(&b, &T32[i], 8), T32_ADJUSTED[i] = b - ((uint64_t)i << 47);
        memcpy(&b, &T64[i], 8), T64_ADJUSTED[i] = b - ((uint64_t)i << 46);
    }
    if (T64[63] != T64_SCRIPT_LAST) fprintf(stderr, "T64[63] differs from the script's\n"), exit(1);
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "time";
    long n = argc > 2 ? atol(argv[2]) : 5;
    int v;
    fill_tables();
    if (!strcmp(mode, "time")) {
        long round;
        double best[VARIANT_COUNT + 1 + LEAN_COUNT];
        for (v = 0; v <= VARIANT_COUNT + LEAN_COUNT; ++v) best[v] = 1e30;
        printf("round  library");
        for (v = 0; v < VARIANT_COUNT; ++v) printf("  %s", VARIANTS[v].name);
        for (v = 0; v < LEAN_COUNT; ++v) printf("  %s", LEAN_NAME[v]);
        printf("   (ns a value, fastest of 41)\n");
        for (round = 0; round < n; ++round) {
            double t = time_row(library_row);
            printf("%5ld  %7.4f", round, t);
            if (t < best[VARIANT_COUNT]) best[VARIANT_COUNT] = t;
            for (v = 0; v < VARIANT_COUNT; ++v) {
                t = time_row(ROW[v]);
                if (t < best[v]) best[v] = t;
                printf("  %*.4f", (int)strlen(VARIANTS[v].name), t);
            }
            for (v = 0; v < LEAN_COUNT; ++v) {
                t = time_row(LEAN_ROW[v]);
                if (t < best[VARIANT_COUNT + 1 + v]) best[VARIANT_COUNT + 1 + v] = t;
                printf("  %*.4f", (int)strlen(LEAN_NAME[v]), t);
            }
            printf("\n");
        }
        printf("best   %7.4f", best[VARIANT_COUNT]);
        for (v = 0; v < VARIANT_COUNT; ++v) printf("  %*.4f", (int)strlen(VARIANTS[v].name), best[v]);
        for (v = 0; v < LEAN_COUNT; ++v) printf("  %*.4f", (int)strlen(LEAN_NAME[v]), best[VARIANT_COUNT + 1 + v]);
        printf("\n");
    } else if (!strcmp(mode, "accuracy")) {
        enum { CHUNK = 4096 };
        static double w[CHUNK], xs[CHUNK];
        double worst[VARIANT_COUNT] = {0}, worst_x[VARIANT_COUNT] = {0};
        long mismatches[VARIANT_COUNT] = {0}, lean_mismatches[LEAN_COUNT] = {0}, i0, i;
        for (i0 = 0; i0 < n; i0 += CHUNK) {
            const long m = n - i0 < CHUNK ? n - i0 : CHUNK;
            for (i = 0; i < m; ++i) xs[i] = -708.0 * (double)(i0 + i) / (double)(n - 1);
            for (v = 0; v < VARIANT_COUNT; ++v) {
                for (i = 0; i < m; ++i) w[i] = -2.0 * xs[i]; /* the row takes w = -2x */
                ROW[v](1.0, w, (uint32_t)m);
                for (i = 0; i < m; ++i) {
                    const double e = exp_scalar(&VARIANTS[v], xs[i]), ref = exp(xs[i]);
                    const double rel = fabs(e - ref) / ref;
                    if (memcmp(&e, &w[i], sizeof e)) ++mismatches[v];
                    if (rel > worst[v]) worst[v] = rel, worst_x[v] = xs[i];
                }
            }
            for (v = 0; v < LEAN_COUNT; ++v) {
                for (i = 0; i < m; ++i) w[i] = -2.0 * xs[i];
                LEAN_ROW[v](1.0, w, (uint32_t)m);
                for (i = 0; i < m; ++i) {
                    const double e = exp_scalar(&VARIANTS[LEAN_OF[v]], xs[i]);
                    if (memcmp(&e, &w[i], sizeof e)) ++lean_mismatches[v];
                }
            }
        }
        for (v = 0; v < VARIANT_COUNT; ++v) {
            double below = exp_scalar(&VARIANTS[v], -708.0000000000001), at = exp_scalar(&VARIANTS[v], -708.0);
            printf("%s: max relative error against libm %.3e (%.3f ulp of 2^-52) at x = %.17g; AVX-512 row bits "
                   "differing from the scalar's: %ld of %ld; e^-708 %.17g (libm %.17g), below: %g\n",
                   VARIANTS[v].name, worst[v], worst[v] / 2.220446049250313e-16, worst_x[v], mismatches[v], n, at,
                   exp(-708.0), below);
        }
        for (v = 0; v < LEAN_COUNT; ++v)
            printf("%s: bits differing from %s's scalar: %ld of %ld\n", LEAN_NAME[v], VARIANTS[LEAN_OF[v]].name,
                   lean_mismatches[v], n);
    } else if (!strcmp(mode, "sample")) {
        uint64_t state = 88172645463325252u;
        long i;
        for (i = 0; i < n; ++i) {
            double x;
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            x = -708.0 * (double)(state >> 11) * (1.0 / 9007199254740992.0);
            if (i % 4 == 1) x = -0.35 * (double)(state >> 11) * (1.0 / 9007199254740992.0); /* near 0 too */
            printf("%.17g", x);
            for (v = 0; v < VARIANT_COUNT; ++v) printf(" %.17g", exp_scalar(&VARIANTS[v], x));
            printf("\n");
        }
    }
    return (int)(sink * 0.0);
}
