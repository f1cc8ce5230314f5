// SPDX-License-Identifier: MIT OR Unlicense
/* bench/experiments/shield_dd_key.c - the decision-diagram state key prototype
   (shield_dd_key.h) against saferl_shield.h's antichain key, in one build: the header with
   SAFERL_SHIELD_EXPERIMENT_DD_KEY, switched per compile. Run by shield_dd_key.sh.
   usage:
     shield_dd_key compare COUNT SEED ltl|ltlf   the bench's random formulas (bench/shield.c's
                                                generator and sequence): HOA (complete form)
                                                and refusals of both keys compared, residuals
                                                explored by each, per formula and in total
     shield_dd_key one antichain|dd|hybrid ltl|ltlf [MAX_STATES]
                                                each formula of stdin (one a line) compiled
                                                once with that key (for callgrind with
                                                --toggle-collect=measured_compile); prints
                                                residuals, states, the result and a hash of
                                                the HOA text per formula
     shield_dd_key time ltl|ltlf REPS           each formula of stdin: fastest of REPS compiles
                                                per key, the keys alternated */
#define SAFERL_SHIELD_EXPERIMENT_DD_KEY
#define main bench_shield_main
#include "../shield.c"
#undef main
#include "shield_dd_key.h"

typedef struct outcome {
    saferl_result code;
    size_t residuals;
    uint32_t states;
    char *text; /* HOA, or the error */
} outcome;

static char hoa_buffer[1 << 24];

/* The compile callgrind counts (--toggle-collect=measured_compile): never inlined. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static saferl_result measured_compile(const char *formula, const saferl_shield_desc *desc, saferl_shield_dfa *dfa,
                                      saferl_shield_error *error) {
    saferl_result r = saferl_shield_compile(formula, strlen(formula), desc, dfa, error);
    if (r == DK_SWITCH_RESULT) { /* the hybrid's per-formula switch: again with the diagram key */
        int key = saferl_shield__dd_key_on;
        saferl_shield__dd_key_on = 1;
        r = saferl_shield_compile(formula, strlen(formula), desc, dfa, error);
        saferl_shield__dd_key_on = key;
    }
    return r;
}

static uint32_t max_states; /* desc.max_states of every compile (0: the default) */
static int variant = 1;       /* the key compare and time set against the antichain: 1 dd, 2 hybrid */

static void compile_with(const char *formula, int finite, int dd_key, outcome *o) {
    saferl_shield_desc desc;
    saferl_shield_dfa dfa;
    saferl_shield_error error;
    size_t length = 0;
    memset(&desc, 0, sizeof desc);
    desc.logic = finite ? SAFERL_SHIELD_LTLF : SAFERL_SHIELD_LTL;
    desc.max_states = max_states;
    saferl_shield__dd_key_on = dd_key;
    saferl_shield__experiment_residuals = 0;
    o->code = measured_compile(formula, &desc, &dfa, &error);
    o->residuals = saferl_shield__experiment_residuals;
    o->states = 0;
    if (o->code < 0) {
        snprintf(hoa_buffer, sizeof hoa_buffer, "error %d %u:%u %s", (int)o->code, error.line, error.column, error.message);
    } else {
        o->states = dfa.state_count;
        if (saferl_shield_write_hoa(&dfa, SAFERL_SHIELD_HOA_COMPLETE, "f", hoa_buffer, sizeof hoa_buffer, &length) < 0)
            snprintf(hoa_buffer, sizeof hoa_buffer, "(HOA over the buffer)");
        saferl_shield_dfa_destroy(&dfa);
    }
    o->text = (char *)malloc(strlen(hoa_buffer) + 1);
    if (o->text) strcpy(o->text, hoa_buffer);
}

static int compare(int count, uint32_t seed, int finite) {
    static char formula[8192];
    saferl_rng rng;
    size_t old_total = 0, new_total = 0, old_both = 0, new_both = 0;
    int i, differ = 0, more = 0, fewer = 0, refused_old = 0, refused_new = 0;
    const char *key = variant == 2 ? "hybrid" : "dd";
    saferl_rng_seed(&rng, seed);
    for (i = 0; i < count; ++i) {
        int nodes = 5 + (int)saferl_rng_bounded(&rng, 21), props = 2 + (int)saferl_rng_bounded(&rng, 5);
        outcome a, b;
        random_formula(&rng, nodes, props, 1, formula, sizeof formula);
        compile_with(formula, finite, 0, &a);
        compile_with(formula, finite, variant, &b);
        old_total += a.residuals, new_total += b.residuals;
        refused_old += a.code < 0, refused_new += b.code < 0;
        if (a.code >= 0 && b.code >= 0) {
            old_both += a.residuals, new_both += b.residuals;
            more += b.residuals > a.residuals, fewer += b.residuals < a.residuals;
        }
        if (!a.text || !b.text || strcmp(a.text, b.text) != 0) {
            ++differ;
            printf("  differ %d: %s\n    antichain: %.200s\n    dd: %.200s\n", i, formula, a.text ? a.text : "?", b.text ? b.text : "?");
        }
        printf("row\t%d\t%zu\t%zu\t%u\t%d\t%d\t%s\n", i, a.residuals, b.residuals, a.states, (int)a.code, (int)b.code, formula);
        free(a.text);
        free(b.text);
    }
    printf("seed %u, %d formulas as %s: outputs differ on %d; refused %d (antichain) and %d (%s); residuals "
           "%zu (antichain) and %zu (%s) in all, %zu and %zu where both compile (%s more on %d formulas, fewer on %d)\n",
           seed, count, finite ? "LTLf" : "LTL", differ, refused_old, refused_new, key, old_total, new_total, key, old_both,
           new_both, key, more, fewer);
    return differ != 0;
}

static char *read_line(char *line, size_t capacity) {
    size_t n;
    if (!fgets(line, (int)capacity, stdin)) return NULL;
    n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
    return line;
}

static int one(int dd_key, int finite) {
    static char formula[8192];
    while (read_line(formula, sizeof formula)) {
        outcome o;
        if (!formula[0]) continue;
        uint64_t hash = 0xcbf29ce484222325ull; /* FNV-1a of the HOA text (or the error) */
        const char *c;
        compile_with(formula, finite, dd_key, &o);
        for (c = o.text ? o.text : ""; *c; ++c) hash = (hash ^ (unsigned char)*c) * 0x100000001b3ull;
        printf("%zu\t%u\t%d\t%016llx\t%s\n", o.residuals, o.states, (int)o.code, (unsigned long long)hash, formula);
        if (dk_cube_stats) { /* DK_CUBE_STATS=1: the antichain phase's cube histogram, then reset */
            int b;
            printf("  cubes: sum %zu; by 2^b:", dk_cube_sum);
            for (b = 0; b < 16; ++b) printf(" %zu", dk_cube_histogram[b]), dk_cube_histogram[b] = 0;
            printf("; first with 3+ cubes at %zu, 65th with 2+ at %zu\n", dk_cube_first_three, dk_cube_many_65);
            dk_cube_sum = dk_cube_first_three = dk_cube_many = dk_cube_many_65 = 0;
        }
        free(o.text);
    }
    return 0;
}

static double best_of(const char *formula, int finite, int dd_key, int reps, outcome *o) {
    double best = 1e30;
    int rep;
    for (rep = 0; rep < reps; ++rep) {
        saferl_shield_desc desc;
        saferl_shield_dfa dfa;
        saferl_shield_error error;
        double start, elapsed;
        memset(&desc, 0, sizeof desc);
        desc.logic = finite ? SAFERL_SHIELD_LTLF : SAFERL_SHIELD_LTL;
        saferl_shield__dd_key_on = dd_key;
        saferl_shield__experiment_residuals = 0;
        start = now_seconds();
        o->code = measured_compile(formula, &desc, &dfa, &error);
        elapsed = (now_seconds() - start) * 1e3;
        o->residuals = saferl_shield__experiment_residuals;
        if (o->code >= 0) saferl_shield_dfa_destroy(&dfa);
        if (elapsed < best) best = elapsed;
    }
    return best;
}

static int timed(int finite, int reps) {
    static char formula[8192];
    printf("antichain ms\tdd ms\tantichain residuals\tdd residuals\tformula\n");
    while (read_line(formula, sizeof formula)) {
        outcome a, b;
        double ta = 1e30, tb = 1e30, t;
        int round;
        if (!formula[0]) continue;
        for (round = 0; round < 3; ++round) { /* the keys alternated, fastest of reps each time */
            if ((t = best_of(formula, finite, 0, reps, &a)) < ta) ta = t;
            if ((t = best_of(formula, finite, variant, reps, &b)) < tb) tb = t;
        }
        printf("%.3f\t%.3f\t%zu\t%zu\t%s\n", ta, tb, a.residuals, b.residuals, formula);
    }
    return 0;
}

/* The key set against the antichain: "dd" (default) or "hybrid" (DK_KEY), the hybrid's most
   cubes an antichain-keyed residual may have (DK_CUBES, default 1), and whether a diagram
   successor that is one cube goes back to the antichain (DK_BACK=1); DK_ALIKE=1: a diagram
   state's letters that differ only in bits its atoms do not read are not computed again;
   DK_CACHE=1: the operation cache scaled by the letters (dk_cache_for); DK_TUPLES=1: a diagram
   state's successors made once per distinct tuple of its atoms' progressions (dk_successors);
   DK_ORDER=atom: the diagram variables ordered by the atoms' formula node ids; DK_SWITCH=T with
   hybrid: the antichain alone until more than T many-cube residuals, then the diagram key for
   the whole formula (DK_FRESH=1: compiled again from the text, a fresh compiler). Round 3:
   DK_IMPLIED=0: the diagram key without the implied atoms (dk_key_implied); DK_STEP_MEMO=1:
   an atom's step memoised per (var, letter); DK_ORDER=time|timedown: the variables ordered by
   the step an atom speaks about, ascending or descending; DK_CUBE_STATS=1 (with one): the
   hybrid's antichain phase's cube counts per formula, after its row. Round 4: DK_RACE=1 (with
   DK_SWITCH, without DK_FRESH): at the switch the diagram races the antichain over its prefix
   and gives up if dearer (dk_race; DK_RACE=2 prints the race's figures); DK_RACE_RATE=1: held
   to the antichain's cost per state from a quarter of the prefix on. Round 5: DK_CARRY=1 (with
   DK_SWITCH, without DK_RACE and DK_FRESH): at the switch the states met so far are re-keyed by
   their diagrams and the exploration goes on (dk_carry); DK_CARRY=2: the same, given up back to
   the antichain's kept exploration when dearer than its cost per state over the last
   1/DK_CARRY_FLOOR (default 4) of the prefix; DK_CARRY_LOG=1: the switch's figures on stderr;
   DK_SWITCH_WORK=W: the switch waits until the antichain has spent W work units. */
static int key_named(const char *name) { return strcmp(name, "hybrid") == 0 ? 2 : strcmp(name, "dd") == 0; }

int main(int argc, char **argv) {
    int finite;
    if (getenv("DK_KEY")) variant = key_named(getenv("DK_KEY"));
    if (getenv("DK_FRESH")) dk_switch_fresh = atoi(getenv("DK_FRESH"));
    if (getenv("DK_SWITCH")) dk_switch_after = (size_t)strtoul(getenv("DK_SWITCH"), NULL, 10);
    if (getenv("DK_ORDER")) dk_order_by_atom = strcmp(getenv("DK_ORDER"), "atom") == 0;
    if (getenv("DK_ORDER")) dk_order_by_time = strcmp(getenv("DK_ORDER"), "time") == 0 ? 1 : strcmp(getenv("DK_ORDER"), "timedown") == 0 ? 2 : 0;
    if (getenv("DK_TUPLES")) dk_letter_tuples = atoi(getenv("DK_TUPLES"));
    if (getenv("DK_CACHE")) dk_cache_scaled = atoi(getenv("DK_CACHE"));
    if (getenv("DK_ALIKE")) dk_letters_alike = atoi(getenv("DK_ALIKE"));
    if (getenv("DK_BACK")) dk_hybrid_back = atoi(getenv("DK_BACK"));
    if (getenv("DK_IMPLIED")) dk_key_implied = atoi(getenv("DK_IMPLIED"));
    if (getenv("DK_STEP_MEMO")) dk_step_memo = atoi(getenv("DK_STEP_MEMO"));
    if (getenv("DK_CUBE_STATS")) dk_cube_stats = atoi(getenv("DK_CUBE_STATS"));
    if (getenv("DK_RACE")) dk_race = atoi(getenv("DK_RACE"));
    if (getenv("DK_RACE_RATE")) dk_race_rate = atoi(getenv("DK_RACE_RATE"));
    if (getenv("DK_CARRY")) dk_carry = atoi(getenv("DK_CARRY"));
    if (getenv("DK_SWITCH_WORK")) dk_switch_work = (size_t)strtoul(getenv("DK_SWITCH_WORK"), NULL, 10);
    if (getenv("DK_CARRY_FLOOR")) dk_carry_floor = (size_t)strtoul(getenv("DK_CARRY_FLOOR"), NULL, 10);
    if (getenv("DK_CARRY_LOG")) dk_carry_log = atoi(getenv("DK_CARRY_LOG"));
    if (getenv("DK_CUBES")) dk_hybrid_cubes = (uint32_t)strtoul(getenv("DK_CUBES"), NULL, 10);
    if (argc >= 5 && strcmp(argv[1], "compare") == 0)
        return compare(atoi(argv[2]), (uint32_t)strtoul(argv[3], NULL, 10), strcmp(argv[4], "ltlf") == 0);
    if (argc >= 5 && strcmp(argv[1], "one") == 0) max_states = (uint32_t)strtoul(argv[4], NULL, 10);
    if (argc >= 4 && strcmp(argv[1], "one") == 0) return one(key_named(argv[2]), strcmp(argv[3], "ltlf") == 0);
    if (argc >= 4 && strcmp(argv[1], "time") == 0) {
        finite = strcmp(argv[2], "ltlf") == 0;
        return timed(finite, atoi(argv[3]));
    }
    fprintf(stderr, "usage: shield_dd_key compare COUNT SEED ltl|ltlf | one antichain|dd|hybrid ltl|ltlf | time ltl|ltlf REPS\n");
    return 2;
}
