// SPDX-License-Identifier: MIT OR Unlicense
/* bench/shield.c - saferl_shield.h speed: monitor step, compile time and minimal-DFA size by
   formula size. bench/run_shield.sh runs it natively and as WebAssembly, and times MONA on
   the same LTLf formulas in the same run.
   usage: bench_shield [--formulas]   (--formulas: print the LTLf family for MONA, one a line) */
#define SAFERL_SHIELD_IMPLEMENTATION
#include "saferl_shield.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, compare_doubles);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* The family: n bounded-response rules over props a_i, b_i (formula size grows with n). */
static void family(char *out, size_t cap, int n, int k) {
    size_t len = 0;
    int i;
    out[0] = '\0';
    for (i = 0; i < n; ++i)
        len += (size_t)snprintf(out + len, cap - len, "%sG(a%d -> F[0..%d] b%d)", i ? " & " : "", i, k, i);
}

int main(int argc, char **argv) {
    static char formula[4096];
    saferl_shield_desc desc;
    saferl_shield_dfa dfa;
    saferl_shield_error error;
    int n, k, rep;
    if (argc > 1 && strcmp(argv[1], "--formulas") == 0) {
        for (n = 1; n <= 3; ++n)
            for (k = 1; k <= 4; k += 1) {
                family(formula, sizeof formula, n, k);
                printf("%d %d %s\n", n, k, formula);
            }
        return 0;
    }
    memset(&desc, 0, sizeof desc);
    /* 1. monitor step: a dependent chain of lookups over random labels, 8 monitors sharing
          one automaton (64 states, 4 propositions) */
    family(formula, sizeof formula, 2, 3);
    if (saferl_shield_compile(formula, strlen(formula), &desc, &dfa, &error) < 0) {
        fprintf(stderr, "%s\n", error.message);
        return 1;
    }
    {
        enum { LABELS = 1 << 16, STEPS = 1 << 26 };
        static uint32_t labels[LABELS];
        saferl_shield_monitor m;
        saferl_rng rng;
        double t[7], sink_sum = 0;
        int i;
        saferl_rng_seed(&rng, 1);
        for (i = 0; i < LABELS; ++i) labels[i] = saferl_rng_u32(&rng) & saferl_rng_u32(&rng) & 0x0F0Fu; /* mostly safe */
        saferl_shield_monitor_init(&m, &dfa, 0.1, -1.0);
        for (rep = 0; rep < 7; ++rep) {
            double start = now_seconds(), reward, total = 0;
            for (i = 0; i < STEPS; ++i) {
                saferl_shield_monitor_step(&m, labels[i & (LABELS - 1)], &reward);
                total += reward;
                if (m.state == dfa.sink) saferl_shield_monitor_reset(&m);
            }
            t[rep] = (now_seconds() - start) / STEPS * 1e9;
            sink_sum += total;
        }
        printf("monitor step (state, violation, reward; %u states, %u props): median %.2f ns   [checksum %.0f]\n",
               dfa.state_count, dfa.prop_count, median(t, 7), sink_sum);
        for (rep = 0; rep < 7; ++rep) {
            uint32_t q = dfa.initial;
            double start = now_seconds();
            for (i = 0; i < STEPS; ++i) q = saferl_shield_next(&dfa, q, labels[i & (LABELS - 1)]) ;
            t[rep] = (now_seconds() - start) / STEPS * 1e9;
            sink_sum += q;
        }
        printf("bare saferl_shield_next:                                    median %.2f ns   [checksum %.0f]\n",
               median(t, 7), sink_sum);
    }
    saferl_shield_dfa_destroy(&dfa);
    /* 2. compile time and minimal size by formula size, safety LTL and LTLf */
    printf("\n%-4s %-3s %-7s %-12s %-12s %-12s %-12s\n", "n", "k", "length", "LTL states", "LTL ms", "LTLf states", "LTLf ms");
    for (n = 1; n <= 3; ++n)
        for (k = 1; k <= 4; k += 1) {
            double t_ltl[5], t_ltlf[5];
            uint32_t s_ltl = 0, s_ltlf = 0;
            family(formula, sizeof formula, n, k);
            for (rep = 0; rep < 5; ++rep) {
                double start = now_seconds();
                desc.logic = SAFERL_SHIELD_LTL;
                if (saferl_shield_compile(formula, strlen(formula), &desc, &dfa, &error) < 0) return 1;
                t_ltl[rep] = (now_seconds() - start) * 1e3;
                s_ltl = dfa.state_count;
                saferl_shield_dfa_destroy(&dfa);
                start = now_seconds();
                desc.logic = SAFERL_SHIELD_LTLF;
                if (saferl_shield_compile(formula, strlen(formula), &desc, &dfa, &error) < 0) return 1;
                t_ltlf[rep] = (now_seconds() - start) * 1e3;
                s_ltlf = dfa.state_count;
                saferl_shield_dfa_destroy(&dfa);
            }
            printf("%-4d %-3d %-7u %-12u %-12.3f %-12u %-12.3f\n", n, k, (unsigned)strlen(formula), s_ltl, median(t_ltl, 5),
                   s_ltlf, median(t_ltlf, 5));
        }
    return 0;
}
