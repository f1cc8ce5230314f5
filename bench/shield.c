// SPDX-License-Identifier: MIT OR Unlicense
/* bench/shield.c - saferl_shield.h speed: monitor step, compile time and minimal-DFA size by
   formula size. bench/run_shield.sh runs it natively and as WebAssembly, and times MONA on
   the same LTLf formulas in the same run.
   usage: bench_shield [--formulas | --random COUNT SEED [MS] | --chain [M]]   (--formulas: print the LTLf
   family for MONA, one a line; --random: the random safety formulas section alone, COUNT of
   them, and with MS every formula slower than MS ms, one a line: index, ms, states, letters;
   --chain: the generator's chain section alone, m = 0..M windows, 8 by default) */
#define _POSIX_C_SOURCE 200809L /* clock_gettime (bench_timing.h) under -std=c99 */

#define SAFERL_SHIELD_IMPLEMENTATION
#include "saferl_shield.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_timing.h"

/* The family: n bounded-response rules over props a_i, b_i (formula size grows with n). */
static void family(char *out, size_t cap, int n, int k) {
    size_t len = 0;
    int i;
    out[0] = '\0';
    for (i = 0; i < n; ++i)
        len += (size_t)snprintf(out + len, cap - len, "%sG(a%d -> F[0..%d] b%d)", i ? " & " : "", i, k, i);
}

/* The family's sizes: n rules with deadline k, every minimal DFA up to about 500 states
   ((k + 1)^n + 1 of them). */
static const int family_sizes[][2] = {{1, 1}, {1, 2}, {1, 4}, {1, 8}, {1, 16}, {1, 32}, {1, 64}, {1, 128},
                                      {1, 256}, {1, 498}, {2, 1}, {2, 2}, {2, 4}, {2, 8}, {2, 12}, {2, 16},
                                      {2, 21}, {3, 1}, {3, 2}, {3, 3}, {3, 4}, {3, 5}, {3, 6}, {4, 1}, {4, 2},
                                      {4, 3}};
#define FAMILY_SIZES ((int)(sizeof family_sizes / sizeof family_sizes[0]))

/* A random safety formula of about n nodes over p0 .. p(props - 1), the generator of
   tests/oracle/shield_random.py: every operator, F U M only under a negation or left of an
   implication (safety again), bounds up to [2..5]. */
static void random_formula(saferl_rng *rng, int n, int props, int safety, char *out, size_t capacity) {
    static const char *const safe_ops[] = {"X", "G", "!", "W", "R", "F[]", "G[]", "&", "|", "->", "&", "|"};
    static const char *const guarantee_ops[] = {"X", "F", "!", "U", "M", "F[]", "&", "|", "&", "|"};
    char left[2048], right[2048];
    const char *op;
    int split;
    if (n <= 1) {
        snprintf(out, capacity, "%sp%u", saferl_rng_bounded(rng, 5) < 2 ? "!" : "", saferl_rng_bounded(rng, (uint32_t)props));
        return;
    }
    op = safety ? safe_ops[saferl_rng_bounded(rng, n == 2 ? 3 : 12)] : guarantee_ops[saferl_rng_bounded(rng, n == 2 ? 3 : 10)];
    if (n == 2 || op[0] == '!' || op[1] == '[' || op[1] == '\0') {
        if (op[0] == '&' || op[0] == '|' || op[0] == 'W' || op[0] == 'R' || op[0] == 'U' || op[0] == 'M') op = "X";
        random_formula(rng, n - 1, props, op[0] == '!' ? !safety : safety, left, sizeof left);
        if (op[1] == '[') {
            uint32_t lo = saferl_rng_bounded(rng, 3), hi = lo + saferl_rng_bounded(rng, 4);
            snprintf(out, capacity, "%c[%u..%u](%s)", op[0], lo, hi, left);
        } else {
            snprintf(out, capacity, "%s(%s)", op, left);
        }
        return;
    }
    split = 1 + (int)saferl_rng_bounded(rng, (uint32_t)(n - 2));
    random_formula(rng, split, props, op[0] == '-' ? 0 : safety, left, sizeof left);
    random_formula(rng, n - 1 - split, props, safety, right, sizeof right);
    snprintf(out, capacity, "(%s) %s (%s)", left, op, right);
}

/* 2b. every random safety formula of 5 to 25 nodes, 2 to 6 propositions: compile time in
       process (best of 3 per formula, one run past 100 ms), its distribution and the five
       slowest formulas with their minimal sizes. */
typedef struct slow_formula { double ms; uint32_t states; char text[8192]; } slow_formula;

static void random_formulas_bench(int count, uint32_t seed, double list_over_ms) {
    static char formula[8192];
    static slow_formula slowest[5];
    double *t = (double *)malloc((size_t)count * sizeof(double));
    saferl_shield_desc desc;
    saferl_shield_dfa dfa;
    saferl_shield_error error;
    saferl_rng rng;
    int i, j, rep, refused = 0, over_5ms = 0;
    uint32_t largest = 0;
    if (!t) return;
    memset(&desc, 0, sizeof desc);
    memset(slowest, 0, sizeof slowest);
    for (j = 0; j < 5; ++j) slowest[j].ms = -1.0;
    saferl_rng_seed(&rng, seed);
    for (i = 0; i < count; ++i) {
        int nodes = 5 + (int)saferl_rng_bounded(&rng, 21), props = 2 + (int)saferl_rng_bounded(&rng, 5);
        double best = 1e30;
        uint32_t states = 0, letters = 0;
        random_formula(&rng, nodes, props, 1, formula, sizeof formula);
        for (rep = 0; rep < 3 && (rep == 0 || best < 100.0); ++rep) {
            double start = now_seconds(), elapsed;
            saferl_result r = saferl_shield_compile(formula, strlen(formula), &desc, &dfa, &error);
            elapsed = (now_seconds() - start) * 1e3;
            if (elapsed < best) best = elapsed;
            if (r < 0) {
                if (rep == 0) {
                    ++refused;
                    printf("  refused: %s: %s\n", formula, error.message);
                }
                break;
            }
            states = dfa.state_count;
            letters = dfa.letter_count;
            saferl_shield_dfa_destroy(&dfa);
        }
        if (states > largest) largest = states;
        if (list_over_ms >= 0 && best > list_over_ms)
            printf("  over %g ms: %d\t%.3f\t%u\t%u\t%s\n", list_over_ms, i, best, states, letters, formula);
        t[i] = best;
        if (best > 5.0) ++over_5ms;
        for (j = 5; j > 0 && best > slowest[j - 1].ms; --j) /* the five slowest, slowest first */
            if (j < 5) slowest[j] = slowest[j - 1];
        if (j < 5) {
            slowest[j].ms = best;
            slowest[j].states = states;
            memcpy(slowest[j].text, formula, sizeof formula);
        }
    }
    qsort(t, (size_t)count, sizeof(double), compare_doubles);
    printf("\nrandom safety formulas (seed %u, %d formulas of 5-25 nodes, 2-6 propositions), compile ms:\n", seed, count);
    printf("  median %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f   over 5 ms: %d, refused: %d, largest %u states\n",
           t[count / 2], t[count * 9 / 10], t[count * 99 / 100], t[count * 999 / 1000], t[count - 1], over_5ms, refused, largest);
    for (j = 0; j < 5 && slowest[j].ms >= 0; ++j)
        printf("  slowest %d: %.3f ms, %u states: %s\n", j + 1, slowest[j].ms, slowest[j].states, slowest[j].text);
    free(t);
}

/* 2c. the generator's chain G(p0 -> G[2..2](...G[2..2](X p1)...)), m windows, m + 5 nodes: p0 at
       t forces p1 at t + d, d = 2m + 1, so the minimal monitor has 2^d states plus the sink
       (tests/test_shield.c checks it). One compile each: the size, not the construction, sets the
       time, and at 25 nodes (m = 20) 2^41 states fit in no table. */
static void chain_bench(int largest_windows) {
    static char formula[1024];
    saferl_shield_desc desc;
    saferl_shield_dfa dfa;
    saferl_shield_error error;
    int m, i;
    memset(&desc, 0, sizeof desc);
    printf("\nthe generator's chain G((p0) -> (G[2..2](... X(p1)))), m windows, d = 2m + 1: 2^d states and the sink, one compile each:\n");
    for (m = 0; m <= largest_windows; ++m) {
        size_t len = (size_t)snprintf(formula, sizeof formula, "G((p0) -> (");
        double start, elapsed;
        for (i = 0; i < m; ++i) len += (size_t)snprintf(formula + len, sizeof formula - len, "G[2..2](");
        len += (size_t)snprintf(formula + len, sizeof formula - len, "X(p1)");
        for (i = 0; i < m; ++i) len += (size_t)snprintf(formula + len, sizeof formula - len, ")");
        len += (size_t)snprintf(formula + len, sizeof formula - len, "))");
        start = now_seconds();
        if (saferl_shield_compile(formula, len, &desc, &dfa, &error) < 0) {
            printf("  m = %d refused: %s\n", m, error.message);
            continue;
        }
        elapsed = (now_seconds() - start) * 1e3;
        printf("  m = %d, %2d nodes, d = %2d: %7u states (%s), %9.3f ms\n", m, m + 5, 2 * m + 1, dfa.state_count,
               dfa.state_count == (1u << (2 * m + 1)) + 1 ? "= 2^d + 1" : "NOT 2^d + 1", elapsed);
        saferl_shield_dfa_destroy(&dfa);
    }
}

/* A setup call that failed (memory, or sizes this bench got wrong) ends the bench: the timings
   after it would read structures the call did not fill. */
static void require_ok(saferl_result result, const char *call) {
    if (result < 0) {
        fprintf(stderr, "bench_shield: %s failed (%d)\n", call, (int)result);
        exit(1);
    }
}

/* 3. shields: a 128x128 gridworld (10% lava, 20% water, walls around) against an 8-state
      rule ("never lava, at most 6 water steps in a row": states count the water steps, 7 is
      the sink); synthesis with exact moves and with slips (5 successors an action), the
      preemptive query, and a tabular agent's environment steps. */
static void shield_bench(void) {
    enum { SIDE = 128, CELLS = SIDE * SIDE, QUERIES = 1 << 24 };
    static const saferl_shield_legend_entry legend[4] = {{'.', {255, 255, 255, 255}, 0, 0, "floor"},
                                                         {'#', {0, 0, 0, 255}, SAFERL_SHIELD_CELL_WALL, 0, "wall"},
                                                         {'L', {255, 0, 0, 255}, 0, 1, "lava"},
                                                         {'~', {0, 0, 255, 255}, 0, 2, "water"}};
    static unsigned char rule_memory[1 << 14];
    static uint32_t offset[CELLS * 5 + 1], successor[CELLS * 25];
    static double probability[CELLS * 25];
    saferl_shield_grid grid;
    saferl_shield_dfa rule;
    saferl_shield_abstraction ab;
    saferl_shield_game game;
    saferl_shield_qtable table;
    saferl_rng rng;
    void *grid_memory, *game_memory, *table_memory;
    size_t size;
    double t[7], checksum = 0;
    uint32_t q, letter, i, cell;
    int rep, slipping;
    size = saferl_shield_grid_memory_size(SIDE, SIDE);
    grid_memory = malloc(size);
    require_ok(saferl_shield_grid_init(&grid, SIDE, SIDE, legend, 4, grid_memory, size), "grid_init");
    saferl_rng_seed(&rng, 3);
    for (cell = 0; cell < CELLS; ++cell) {
        uint32_t x = cell % SIDE, y = cell / SIDE, u = saferl_rng_bounded(&rng, 10);
        grid.kind[cell] = (uint8_t)(x == 0 || y == 0 || x == SIDE - 1 || y == SIDE - 1 ? 1 : u == 0 ? 2 : u <= 2 ? 3 : 0);
    }
    grid.kind[SIDE + 1] = 0;
    {
        static saferl_shield_legend_entry with_start[5];
        memcpy(with_start, legend, sizeof legend);
        with_start[4] = legend[0];
        with_start[4].flags = SAFERL_SHIELD_CELL_START;
        grid.legend = with_start;
        grid.legend_count = 5;
        grid.kind[SIDE + 1] = 4;
        saferl_shield_grid_finish(&grid, NULL);
    }
    require_ok(saferl_shield_dfa_init(&rule, 8, 2, 0, rule_memory, sizeof rule_memory), "dfa_init");
    saferl_shield_dfa_set_prop(&rule, 0, "lava", 0);
    saferl_shield_dfa_set_prop(&rule, 1, "water", 1);
    rule.sink = 7;
    rule.flags[7] = 0;
    for (q = 0; q < 8; ++q)
        for (letter = 0; letter < 4; ++letter)
            rule.next[(q << 2) | letter] = q == 7 || (letter & 1u) ? 7 : (letter & 2u) ? (q + 1 > 6 ? 7 : q + 1) : 0;
    saferl_shield_dfa_finish(&rule);
    printf("\nshield synthesis, %dx%d gridworld x %u-state rule (%u game states), 1 thread:\n", SIDE, SIDE,
           rule.state_count, CELLS * rule.state_count);
    for (slipping = 0; slipping < 2; ++slipping) {
        saferl_shield_game_desc desc;
        memset(&desc, 0, sizeof desc);
        saferl_shield_grid_abstraction(&grid, slipping ? 0.05 : 0.0, &ab, offset, successor, probability);
        size = saferl_shield_game_memory_size(&ab, &rule, NULL);
        game_memory = malloc(size);
        for (rep = 0; rep < 7; ++rep) {
            double start = now_seconds();
            saferl_shield_game_init(&game, &ab, &rule, NULL, game_memory, size, NULL);
            t[rep] = (now_seconds() - start) * 1e3;
        }
        printf("  %-34s median %8.2f ms  (%u game edges, %u winning)\n",
               slipping ? "sure game, slips (5 successors):" : "sure game, exact moves:", median(t, 7),
               ab.offset[CELLS * 5] * rule.state_count, game.winning_count);
        free(game_memory);
        if (slipping) {
            desc.horizon = 10;
            size = saferl_shield_game_memory_size(&ab, &rule, &desc);
            game_memory = malloc(size);
            for (rep = 0; rep < 7; ++rep) {
                double start = now_seconds();
                saferl_shield_game_init(&game, &ab, &rule, &desc, game_memory, size, NULL);
                t[rep] = (now_seconds() - start) * 1e3;
            }
            printf("  %-34s median %8.2f ms\n", "+ probabilistic shield, horizon 10:", median(t, 7));
            free(game_memory);
        }
    }
    printf("  published peer: Alshiekh et al.'s BDD tool (CUDD), 9x9 grid: 2 s (not run here: not packaged)\n");
    /* the query: a dependent chain through the mask table */
    saferl_shield_grid_abstraction(&grid, 0.0, &ab, offset, successor, probability);
    size = saferl_shield_game_memory_size(&ab, &rule, NULL);
    game_memory = malloc(size);
    saferl_shield_game_init(&game, &ab, &rule, NULL, game_memory, size, NULL);
    for (rep = 0; rep < 7; ++rep) {
        uint32_t s = grid.start, mask = 0;
        double start = now_seconds();
        q = 0;
        for (i = 0; i < QUERIES; ++i) {
            mask = saferl_shield_game_allowed(&game, s, q);
            s = (s + (mask & 7u) * 131u + 1u) & (CELLS - 1); /* the next query depends on this one */
            q = (q + mask) & 3u;
        }
        t[rep] = (now_seconds() - start) / QUERIES * 1e9;
        checksum += s + q;
    }
    printf("shield query (preemptive mask, dependent chain): median %.2f ns   [checksum %.0f]\n", median(t, 7), checksum);
    /* a tabular agent: epsilon-greedy under the mask, a slippery step, the rule, a CRM update */
    size = saferl_shield_qtable_memory_size(CELLS, 8, 5);
    table_memory = malloc(size);
    require_ok(saferl_shield_qtable_init(&table, CELLS, 8, 5, table_memory, size), "qtable_init");
    for (rep = 0; rep < 5; ++rep) {
        uint32_t s = grid.start, steps = 0, n = 1u << 21;
        double start = now_seconds();
        q = saferl_shield_next(&rule, rule.initial, grid.label[s]);
        while (steps < n) {
            uint32_t a = saferl_shield_qtable_act(&table, s, q, saferl_shield_game_allowed(&game, s, q), 0.1, &rng);
            uint32_t s2 = saferl_shield_grid_step(&grid, s, a, 0.05, &rng);
            uint32_t q2 = saferl_shield_next(&rule, q, grid.label[s2]);
            saferl_shield_qtable_update(&table, s, q, a, q2 == rule.sink ? -1.0 : 0.0, s2, q2, q2 == rule.sink);
            ++steps;
            s = s2;
            q = q2;
            if (q == rule.sink || !game.allowed[(size_t)s * 8 + q]) {
                s = grid.start;
                q = saferl_shield_next(&rule, rule.initial, grid.label[s]);
            }
        }
        t[rep] = steps / (now_seconds() - start) / 1e6;
    }
    printf("agent steps (shielded tabular Q-learning, 16384 cells x 8 states): median %.2f M steps/s\n", median(t, 5));
    free(table_memory);
    free(game_memory);
    free(grid_memory);
}

int main(int argc, char **argv) {
    static char formula[4096];
    saferl_shield_desc desc;
    saferl_shield_dfa dfa;
    saferl_shield_error error;
    int n, k, rep, i;
    if (argc > 1 && strcmp(argv[1], "--formulas") == 0) {
        for (i = 0; i < FAMILY_SIZES; ++i) {
            family(formula, sizeof formula, family_sizes[i][0], family_sizes[i][1]);
            printf("%d %d %s\n", family_sizes[i][0], family_sizes[i][1], formula);
        }
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "--chain") == 0) { /* --chain [M]: that section alone, m = 0..M */
        chain_bench(argc > 2 ? atoi(argv[2]) : 8);
        return 0;
    }
    if (argc > 3 && strcmp(argv[1], "--random") == 0) { /* --random COUNT SEED: that section alone */
        random_formulas_bench(atoi(argv[2]), (uint32_t)strtoul(argv[3], NULL, 10), argc > 4 ? atof(argv[4]) : -1.0);
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
    {   /* 1b. a symbolic automaton: 32 propositions (16 invariants G !(p_2i & p_2i+1)) */
        enum { LABELS = 1 << 16, STEPS = 1 << 24 };
        static uint32_t labels[LABELS];
        char pairs[1024];
        size_t len = 0;
        saferl_rng rng;
        double t[7], sum = 0;
        for (i = 0; i < 16; ++i) len += (size_t)snprintf(pairs + len, sizeof pairs - len, "%sG !(p%d & p%d)", i ? " & " : "", 2 * i, 2 * i + 1);
        if (saferl_shield_compile(pairs, len, &desc, &dfa, &error) < 0) return 1;
        saferl_rng_seed(&rng, 2);
        for (i = 0; i < LABELS; ++i) labels[i] = saferl_rng_u32(&rng) & 0x55555555u; /* safe: the walk goes deep */
        for (rep = 0; rep < 7; ++rep) {
            uint32_t q = dfa.initial;
            double start = now_seconds();
            for (i = 0; i < STEPS; ++i) q = saferl_shield_next(&dfa, q, labels[i & (LABELS - 1)]);
            t[rep] = (now_seconds() - start) / STEPS * 1e9;
            sum += q;
        }
        printf("symbolic saferl_shield_next (32 props, %u label classes, %u rows): median %.2f ns   [checksum %.0f]\n",
               dfa.letter_count, dfa.node_count, median(t, 7), sum);
        saferl_shield_dfa_destroy(&dfa);
    }
    /* 2. compile time and minimal size by formula size, safety LTL and LTLf */
    printf("\n%-4s %-3s %-7s %-12s %-12s %-12s %-12s\n", "n", "k", "length", "LTL states", "LTL ms", "LTLf states", "LTLf ms");
    for (i = 0; i < FAMILY_SIZES; ++i) {
            double t_ltl[5], t_ltlf[5];
            uint32_t s_ltl = 0, s_ltlf = 0;
            n = family_sizes[i][0];
            k = family_sizes[i][1];
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
    random_formulas_bench(1000, 20261204, -1.0);
    chain_bench(8);
    shield_bench();
    return 0;
}
