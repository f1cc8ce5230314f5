// SPDX-License-Identifier: MIT OR Unlicense
/* bench/shield_floor.c - how far a formula's compile time is from a floor that any
   explicit-state construction of its minimal monitor pays (issue 16's 5 ms goal).
   Per formula (one a line on stdin; Spot syntax, safety LTL):
     - our compile, best of 3 in process, and its ns per output transition (minimal states x
       letters);
     - the probe floor: one successor-key probe per transition of the minimal monitor, in the
       monitor's own breadth-first order, into an open-addressing table (64-bit keys, load at
       most 1/2) that holds one key per minimal state: a construction has to find each
       successor among the states it has made at least once; best of 5 passes;
     - saferl_shield_minimize run again on the minimal monitor (Hopcroft, median of 5): the cost
       of minimisation at that size, which a construction pays unless it knows its states
       are language-distinct;
     - our compile of the same formula read as LTLf (the reading MONA is given).
   bench/run_shield_floor.sh feeds it the bench's formulas over 5 ms and times MONA and lbt on
   them in the same run.
   usage: bench_shield_floor < formulas.txt */
#define _POSIX_C_SOURCE 199309L
#define SAFERL_SHIELD_IMPLEMENTATION
#include "saferl_shield.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_timing.h"

/* Murmur3's 64-bit finaliser: a hash whose cost is a few multiplies, as a state table's. */
static uint64_t mix64(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ (x >> 33);
}

/* ns per transition of one probe per transition of dfa (best of passes). */
static double probe_ns(const saferl_shield_dfa *dfa, int passes) {
    uint32_t n = dfa->state_count, letters = dfa->letter_count, s, l;
    size_t capacity = 64, h;
    uint64_t *key = (uint64_t *)malloc((size_t)n * sizeof *key);
    uint32_t *table, total = 0;
    double best = 1e30;
    int pass;
    while ((size_t)(n + 1) * 2 > capacity) capacity *= 2;
    table = (uint32_t *)calloc(capacity, sizeof *table);
    if (!key || !table) {
        free(key);
        free(table);
        return -1.0;
    }
    for (s = 0; s < n; ++s) { /* distinct keys, spread like node ids shifted with a flag bit */
        key[s] = ((uint64_t)(s * 2654435761u + 12345u) << 1) | 1u;
        for (h = (size_t)mix64(key[s]) & (capacity - 1); table[h]; h = (h + 1) & (capacity - 1)) {}
        table[h] = s + 1;
    }
    for (pass = 0; pass < passes; ++pass) {
        double start = now_seconds(), ns;
        for (s = 0; s < n; ++s)
            for (l = 0; l < letters; ++l) {
                uint64_t k = key[dfa->next[(size_t)s * letters + l]];
                for (h = (size_t)mix64(k) & (capacity - 1); key[table[h] - 1] != k; h = (h + 1) & (capacity - 1)) {}
                total += table[h];
            }
        ns = (now_seconds() - start) * 1e9 / ((double)n * letters);
        if (ns < best) best = ns;
    }
    if (total == 0xFFFFFFFFu) printf("(checksum)\n"); /* keeps the loop */
    free(key);
    free(table);
    return best;
}

/* Best of reps compiles in ms (negative: refused); the last automaton stays in *dfa when kept. */
static double compile_ms(const char *formula, saferl_shield_logic logic, int reps, saferl_shield_dfa *kept) {
    saferl_shield_desc desc;
    saferl_shield_dfa dfa;
    saferl_shield_error error;
    double best = 1e30;
    int rep;
    memset(&desc, 0, sizeof desc);
    desc.logic = logic;
    for (rep = 0; rep < reps; ++rep) {
        double start = now_seconds(), ms;
        if (saferl_shield_compile(formula, strlen(formula), &desc, &dfa, &error) < 0) return -1.0;
        ms = (now_seconds() - start) * 1e3;
        if (ms < best) best = ms;
        if (kept && rep == reps - 1) *kept = dfa;
        else saferl_shield_dfa_destroy(&dfa);
    }
    return best;
}

int main(void) {
    static char formula[8192];
    printf("%-6s %-7s %-10s %-8s %-7s %-9s %-9s %-9s %-10s %s\n", "states", "letters", "ours ms", "ns/tr",
           "probe ns", "floor ms", "min ms", "floor+min", "LTLf ms", "formula");
    while (fgets(formula, sizeof formula, stdin)) {
        saferl_shield_dfa dfa, again;
        double ours, probe, transitions, minimize, ltlf, runs[5];
        int rep;
        formula[strcspn(formula, "\r\n")] = '\0';
        if (!formula[0]) continue;
        ours = compile_ms(formula, SAFERL_SHIELD_LTL, 3, &dfa);
        if (ours < 0) {
            printf("refused: %s\n", formula);
            continue;
        }
        for (rep = 0; rep < 5; ++rep) {
            double start = now_seconds();
            runs[rep] = saferl_shield_minimize(&dfa, &again, NULL) < 0 ? 1e30 : (now_seconds() - start) * 1e3;
            if (runs[rep] < 1e30) saferl_shield_dfa_destroy(&again);
        }
        minimize = median(runs, 5);
        transitions = (double)dfa.state_count * dfa.letter_count;
        probe = probe_ns(&dfa, 5);
        ltlf = compile_ms(formula, SAFERL_SHIELD_LTLF, 3, NULL);
        printf("%-6u %-7u %-10.3f %-8.1f %-8.2f %-9.3f %-9.3f %-9.3f %-10.3f %s\n", dfa.state_count, dfa.letter_count,
               ours, ours * 1e6 / transitions, probe, probe * transitions * 1e-6, minimize,
               probe * transitions * 1e-6 + minimize, ltlf, formula);
        saferl_shield_dfa_destroy(&dfa);
    }
    return 0;
}
