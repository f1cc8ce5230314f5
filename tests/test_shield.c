/* Unit tests of saferl_shield.h: automata small enough to check by hand, Spot's published
   monitor written down as text, and the algebra of the operations (a product against the
   conjunction, a complement against the bad prefixes, equivalence with its counterexample).
   The oracle suite (tests/oracle/shield.sh) checks against lbt and MONA on many formulas.
   Runs natively (with the counting allocator), under sanitizers and under node as
   WebAssembly: the same file, the same expectations. */
#include "saferl_test.h"

/* memo_resets_keep_the_automata counts the resets of the compiler's memos (0: progression,
   1: the flat cube lists) */
static unsigned long memo_resets[2];
#define SAFERL_SHIELD__COUNT_MEMO_RESET(which) (++memo_resets[which])
#define SAFERL_SHIELD_IMPLEMENTATION
#include "../saferl_shield.h"

static char text[1 << 16];

static saferl_result compile_logic(const char *formula, saferl_shield_logic logic, saferl_shield_dfa *dfa,
                                   saferl_shield_error *error) {
    saferl_shield_desc desc;
    memset(&desc, 0, sizeof desc);
    desc.logic = logic;
    return saferl_shield_compile(formula, strlen(formula), &desc, dfa, error);
}

/* One vocabulary for the tests that compare or combine automata: the same name must sit at
   the same label bit in both. */
static const char *const names[14] = {"lava", "a", "b", "c", "d", "p", "q", "red", "yellow",
                                      "goal", "alarm", "armed", "Fire", "fire2"};

static saferl_result compile_named(const char *formula, saferl_shield_logic logic, saferl_shield_dfa *dfa) {
    saferl_shield_desc desc;
    saferl_shield_error error;
    saferl_result r;
    memset(&desc, 0, sizeof desc);
    desc.logic = logic;
    desc.vocabulary = names;
    desc.vocabulary_count = 14;
    r = saferl_shield_compile(formula, strlen(formula), &desc, dfa, &error);
    if (r < 0) fprintf(stderr, "compile %s: %u:%u %s\n", formula, error.line, error.column, error.message);
    return r;
}

static saferl_result compile(const char *formula, saferl_shield_dfa *dfa) {
    saferl_shield_error error;
    saferl_result r = compile_logic(formula, SAFERL_SHIELD_LTL, dfa, &error);
    if (r < 0) fprintf(stderr, "compile %s: %u:%u %s\n", formula, error.line, error.column, error.message);
    return r;
}

/* 1-based step at which the monitor first is in the sink, 0 if never. */
static uint32_t first_violation(const saferl_shield_dfa *dfa, const uint32_t *trace, size_t n) {
    saferl_shield_monitor m;
    size_t i;
    saferl_shield_monitor_init(&m, dfa, 0.1, -1.0);
    for (i = 0; i < n; ++i) saferl_shield_monitor_step(&m, trace[i], NULL);
    return m.first_violation;
}

static int equivalent(const saferl_shield_dfa *a, const saferl_shield_dfa *b) {
    int equal = -1;
    CHECK(saferl_shield_equivalent(a, b, &equal, NULL, 0, NULL, NULL) == SAFERL_OK);
    return equal;
}

/* equivalence of two formulas of the same logic */
static int same_language(const char *f, const char *g, saferl_shield_logic logic) {
    saferl_shield_dfa a, b;
    int equal;
    if (compile_named(f, logic, &a) < 0) return -1;
    if (compile_named(g, logic, &b) < 0) {
        saferl_shield_dfa_destroy(&a);
        return -1;
    }
    equal = equivalent(&a, &b);
    saferl_shield_dfa_destroy(&a);
    saferl_shield_dfa_destroy(&b);
    return equal;
}

TEST(never_two_lava_steps) {
    /* G(lava -> X !lava): "last step not lava", "last step lava", the sink */
    saferl_shield_dfa dfa;
    saferl_shield_monitor m;
    const uint32_t trace[4] = {0, 1, 1, 0};
    double rewards[4];
    int i;
    CHECK(compile("G(lava -> X !lava)", &dfa) == SAFERL_OK);
    CHECK(dfa.state_count == 3);
    CHECK(dfa.prop_count == 1 && strcmp(dfa.prop_name[0], "lava") == 0 && dfa.prop_bit[0] == 0);
    CHECK(dfa.semantics == SAFERL_SHIELD_SAFETY);
    CHECK(dfa.sink == 2 && dfa.initial == 0);
    CHECK(dfa.next[0] == 0 && dfa.next[1] == 1 && dfa.next[2] == 0 && dfa.next[3] == 2);
    saferl_shield_monitor_init(&m, &dfa, 0.1, -1.0);
    for (i = 0; i < 4; ++i) saferl_shield_monitor_step(&m, trace[i], &rewards[i]);
    CHECK(m.first_violation == 3 && saferl_shield_monitor_violated(&m));
    CHECK(rewards[0] == 0.1 && rewards[1] == 0.1 && rewards[2] == -1.0 && rewards[3] == 0.0);
    saferl_shield_monitor_reset(&m);
    CHECK(m.state == 0 && m.steps == 0 && !saferl_shield_monitor_violated(&m) && saferl_shield_monitor_accepting(&m));
    saferl_shield_dfa_destroy(&dfa);
}

TEST(bad_prefixes_are_detected_at_once) {
    saferl_shield_dfa dfa;
    const uint32_t p[3] = {1, 1, 1}, none[3] = {0, 0, 0};
    /* G(X p & X !p): every continuation violates before anything is read */
    CHECK(compile("G(X p & X !p)", &dfa) == SAFERL_OK);
    CHECK(dfa.state_count == 1 && dfa.initial == dfa.sink);
    CHECK(first_violation(&dfa, none, 1) == 1);
    saferl_shield_dfa_destroy(&dfa);
    /* p demands q and !q next: violated on the step where p holds, not one later */
    CHECK(compile("G(p -> X q) & G(p -> X !q)", &dfa) == SAFERL_OK);
    CHECK(first_violation(&dfa, none, 3) == 0);
    CHECK(first_violation(&dfa, p, 1) == 1);
    saferl_shield_dfa_destroy(&dfa);
    /* X X a & X X !a: a contradiction two steps ahead is already a violation */
    CHECK(compile("X X a & X X !a", &dfa) == SAFERL_OK);
    CHECK(dfa.initial == dfa.sink);
    saferl_shield_dfa_destroy(&dfa);
    /* true and false */
    CHECK(compile("true", &dfa) == SAFERL_OK);
    CHECK(dfa.state_count == 1 && dfa.sink == SAFERL_SHIELD_NO_STATE && dfa.prop_count == 0);
    saferl_shield_dfa_destroy(&dfa);
    CHECK(compile("0", &dfa) == SAFERL_OK);
    CHECK(dfa.state_count == 1 && dfa.sink == 0);
    saferl_shield_dfa_destroy(&dfa);
}

TEST(spot_monitor_is_reproduced) {
    /* ltl2tgba -D -M '!F(red & X(yellow))' as printed in Spot's tutorial (tut11) */
    static const char *expected =
        "HOA: v1\nStates: 2\nStart: 0\nAP: 2 \"red\" \"yellow\"\nacc-name: all\nAcceptance: 0 t\n"
        "properties: trans-labels explicit-labels state-acc deterministic\n--BODY--\n"
        "State: 0\n[!0] 0\n[0] 1\nState: 1\n[!0&!1] 0\n[0&!1] 1\n--END--\n";
    saferl_shield_dfa dfa;
    size_t length;
    CHECK(compile("!F(red & X(yellow))", &dfa) == SAFERL_OK);
    CHECK(saferl_shield_write_hoa(&dfa, SAFERL_SHIELD_HOA_MONITOR, NULL, text, sizeof text, &length) == SAFERL_OK);
    CHECK(strcmp(text, expected) == 0);
    CHECK(length == strlen(expected));
    CHECK(saferl_shield_write_hoa(&dfa, SAFERL_SHIELD_HOA_MONITOR, NULL, text, 10, &length) == SAFERL_ERR_BUFFER_TOO_SMALL);
    CHECK(length == strlen(expected));
    saferl_shield_dfa_destroy(&dfa);
}

static void expect_error(const char *formula, saferl_shield_logic logic, saferl_result code, uint32_t line,
                         uint32_t column, const char *fragment) {
    saferl_shield_dfa dfa;
    saferl_shield_error error;
    saferl_result r;
    memset(&dfa, 0xAB, sizeof dfa);
    r = compile_logic(formula, logic, &dfa, &error);
    if (r != code || error.line != line || error.column != column || !strstr(error.message, fragment))
        fprintf(stderr, "  '%s': %d %u:%u %s\n", formula, r, error.line, error.column, error.message);
    CHECK(r == code);
    CHECK(error.code == code);
    CHECK(error.line == line && error.column == column);
    CHECK(strstr(error.message, fragment) != NULL);
    { /* nothing half-built */
        unsigned char *bytes = (unsigned char *)&dfa;
        size_t i;
        int untouched = 1;
        for (i = 0; i < sizeof dfa; ++i) untouched &= bytes[i] == 0xAB;
        CHECK(untouched);
    }
}

TEST(errors_point_at_line_and_column) {
    expect_error("G(a -> X b", SAFERL_SHIELD_LTL, SAFERL_ERR_PARSE, 1, 2, "unbalanced parentheses");
    expect_error("a & b)", SAFERL_SHIELD_LTL, SAFERL_ERR_PARSE, 1, 6, "unbalanced parentheses");
    expect_error("G(a ->\n   F b)", SAFERL_SHIELD_LTL, SAFERL_ERR_UNSUPPORTED, 2, 4, "not a safety operator");
    expect_error("G(a -> (b U c))", SAFERL_SHIELD_LTL, SAFERL_ERR_UNSUPPORTED, 1, 11, "eventually");
    expect_error("!G a", SAFERL_SHIELD_LTL, SAFERL_ERR_UNSUPPORTED, 1, 2, "'F'");
    expect_error("G(a &)", SAFERL_SHIELD_LTL, SAFERL_ERR_PARSE, 1, 6, "unexpected ')': expected an operand");
    expect_error("G(a -> Y b)", SAFERL_SHIELD_LTL, SAFERL_ERR_UNSUPPORTED, 1, 8, "past operator");
    expect_error("G(a -> X b)", SAFERL_SHIELD_PAST_LTL, SAFERL_ERR_UNSUPPORTED, 1, 8, "future operator");
    expect_error("F[3..1] a", SAFERL_SHIELD_LTL, SAFERL_ERR_PARSE, 1, 2, "empty interval");
    /* bounds expand into chains of next-steps: a long chain once overflowed the stack */
    expect_error("F[55551..] a", SAFERL_SHIELD_LTL, SAFERL_ERR_UNSUPPORTED, 1, 2, "more than 2000 steps");
    expect_error("G[0..1500] a & F[0..600] b", SAFERL_SHIELD_LTL, SAFERL_ERR_UNSUPPORTED, 1, 17, "more than 2000 steps");
    expect_error("G a #", SAFERL_SHIELD_LTL, SAFERL_ERR_PARSE, 1, 5, "unexpected '#'");
    expect_error("", SAFERL_SHIELD_LTL, SAFERL_ERR_PARSE, 1, 1, "formula ends");
    {   /* more propositions than the label width */
        char many[400];
        size_t n = 0;
        int i;
        for (i = 0; i < 33; ++i) n += (size_t)sprintf(many + n, "%sp%d", i ? " | " : "", i);
        expect_error(many, SAFERL_SHIELD_LTL, SAFERL_ERR_UNSUPPORTED, 1, 183, "label width (32)");
        expect_error("H(p0 & p1 & p2 & p3 & p4 & p5 & p6 & p7 & p8 & p9 & p10 & p11 & p12 & p13 & p14 & p15 & p16)",
                     SAFERL_SHIELD_PAST_LTL, SAFERL_ERR_UNSUPPORTED, 0, 0, "at most 16 propositions");
    }
    {
        saferl_shield_desc desc;
        saferl_shield_dfa dfa;
        saferl_shield_error error;
        static const char *const vocabulary[3] = {"wood", "creeper", "lava"};
        const char *rule = "G(creeper -> X !lava)\n & G !diamond";
        memset(&desc, 0, sizeof desc);
        desc.vocabulary = vocabulary;
        desc.vocabulary_count = 3;
        CHECK(saferl_shield_compile(rule, strlen(rule), &desc, &dfa, &error) == SAFERL_ERR_PARSE);
        CHECK(error.line == 2 && error.column == 7 && strstr(error.message, "unknown proposition 'diamond'"));
        rule = "G(creeper -> X !lava)";
        CHECK(saferl_shield_compile(rule, strlen(rule), &desc, &dfa, &error) == SAFERL_OK);
        /* the vocabulary fixes the label bits: creeper is bit 1, lava bit 2 */
        CHECK(dfa.prop_count == 2 && dfa.prop_bit[0] == 1 && dfa.prop_bit[1] == 2);
        CHECK(strcmp(dfa.prop_name[0], "creeper") == 0 && strcmp(dfa.prop_name[1], "lava") == 0);
        CHECK(saferl_shield_next(&dfa, dfa.initial, 1u << 1) != dfa.sink);
        CHECK(saferl_shield_next(&dfa, saferl_shield_next(&dfa, dfa.initial, 1u << 1), 1u << 2) == dfa.sink);
        CHECK(saferl_shield_next(&dfa, saferl_shield_next(&dfa, dfa.initial, 1u << 1), 1u << 0) != dfa.sink);
        saferl_shield_dfa_destroy(&dfa);
    }
    {   /* 32 distinct names are fine for the vocabulary but the 33rd is not */
        char many[600];
        size_t n = 0;
        int i;
        saferl_shield_dfa dfa;
        saferl_shield_error error;
        saferl_shield_desc desc;
        memset(&desc, 0, sizeof desc);
        for (i = 0; i < 33; ++i) n += (size_t)sprintf(many + n, "%s(p%d & false)", i ? " | " : "", i);
        CHECK(saferl_shield_compile(many, n, &desc, &dfa, &error) < 0);
    }
}


/* ---- 32 propositions: symbolic automata against direct evaluation ---------------------- */

/* G(p0 -> X !p1) & G !(p30 & p31) & G(p7 -> X X p20): bad prefix at step i (1-based) of a
   random trace, evaluated from the formula itself. */
static uint32_t spec32_violation(const uint32_t *trace, int n) {
    int i;
    for (i = 0; i < n; ++i) {
        uint32_t l = trace[i];
        if ((l >> 30 & 1u) && (l >> 31 & 1u)) return (uint32_t)i + 1;
        if (i >= 1 && (trace[i - 1] & 1u) && (l >> 1 & 1u)) return (uint32_t)i + 1;
        if (i >= 2 && (trace[i - 2] >> 7 & 1u) && !(l >> 20 & 1u)) return (uint32_t)i + 1;
    }
    return 0;
}

/* the conjunction of 16 invariants G !(p_2i & p_2i+1) */
static uint32_t pairs32_violation(const uint32_t *trace, int n) {
    int i, j;
    for (i = 0; i < n; ++i)
        for (j = 0; j < 16; ++j)
            if ((trace[i] >> (2 * j) & 1u) && (trace[i] >> (2 * j + 1) & 1u)) return (uint32_t)i + 1;
    return 0;
}

static const char *const props32[32] = {"p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9", "p10",
                                        "p11", "p12", "p13", "p14", "p15", "p16", "p17", "p18", "p19", "p20",
                                        "p21", "p22", "p23", "p24", "p25", "p26", "p27", "p28", "p29", "p30", "p31"};

static saferl_result compile32(const char *formula, saferl_shield_logic logic, saferl_shield_dfa *dfa) {
    saferl_shield_desc desc;
    saferl_shield_error error;
    saferl_result r;
    memset(&desc, 0, sizeof desc);
    desc.logic = logic;
    desc.vocabulary = props32;
    desc.vocabulary_count = 32;
    r = saferl_shield_compile(formula, strlen(formula), &desc, dfa, &error);
    if (r < 0) fprintf(stderr, "compile %s: %u:%u %s\n", formula, error.line, error.column, error.message);
    return r;
}

/* sparse random labels: each proposition true with probability 1/4 */
static uint32_t sparse_label(saferl_rng *rng) { return saferl_rng_u32(rng) & saferl_rng_u32(rng); }

TEST(thirty_two_propositions_compile_symbolically) {
    char pairs[1024];
    size_t n = 0;
    int i, t, k;
    uint32_t trace[12];
    saferl_shield_dfa spec, conj;
    saferl_rng rng;
    for (i = 0; i < 16; ++i) n += (size_t)sprintf(pairs + n, "%sG !(p%d & p%d)", i ? " & " : "", 2 * i, 2 * i + 1);
    CHECK(compile32("G(p0 -> X !p1) & G !(p30 & p31) & G(p7 -> X X p20) & G(p5 | !p5 | p25 | p26 | p27 | p28 | p29 | "
                    "p2 | p3 | p4 | p6 | p8 | p9 | p10 | p11 | p12 | p13 | p14 | p15 | p16 | p17 | p18 | p19 | p21 | "
                    "p22 | p23 | p24)", SAFERL_SHIELD_LTL, &spec) == SAFERL_OK);
    CHECK(compile32(pairs, SAFERL_SHIELD_LTL, &conj) == SAFERL_OK);
    CHECK(spec.prop_count == 32 && spec.node != NULL && conj.prop_count == 32 && conj.node != NULL);
    CHECK(conj.state_count == 2 && conj.letter_count == 2); /* safe, sink; two classes of labels */
    CHECK(spec.letter_count <= 64); /* at most the valuations of p0 p1 p7 p20 p30 p31 */
    saferl_rng_seed(&rng, 32);
    for (t = 0; t < 3000; ++t) {
        for (k = 0; k < 12; ++k) trace[k] = sparse_label(&rng);
        if (t % 3 == 0) trace[0] &= 0x5555u; /* long safe runs of the conjunction */
        CHECK(first_violation(&spec, trace, 12) == spec32_violation(trace, 12));
        for (k = 0; k < 12; ++k)
            if (t % 2 == 0) trace[k] &= 0x55555555u | (k == 11 ? 0x2u : 0u);
        CHECK(first_violation(&conj, trace, 12) == pairs32_violation(trace, 12));
    }
    {   /* minimising again changes nothing; the automaton checks out */
        saferl_shield_dfa again, copy = spec;
        CHECK(saferl_shield_dfa_finish(&copy) == SAFERL_OK);
        CHECK(saferl_shield_minimize(&spec, &again, NULL) == SAFERL_OK);
        CHECK(again.state_count == spec.state_count && equivalent(&again, &spec) == 1);
        saferl_shield_dfa_destroy(&again);
    }
    saferl_shield_dfa_destroy(&spec);
    saferl_shield_dfa_destroy(&conj);
}

TEST(thirty_two_propositions_product_complement_equivalence) {
    saferl_shield_dfa a, b, both, either, bad, same, other;
    saferl_rng rng;
    uint32_t trace[10], cex[16];
    size_t length = 0;
    int t, k, equal = -1;
    CHECK(compile32("G(p0 -> X !p1) & G !(p30 & p31)", SAFERL_SHIELD_LTL, &a) == SAFERL_OK);
    CHECK(compile32("G(p2 -> X p3) & G(p17 -> X !p18) & G(p9 | p10 | p11 | p12 | p13 | p14 | p15 | p16 | p19 | "
                    "p20 | p21 | p22 | p23 | p24 | p25 | p26 | p27 | p28 | p29 | !p4 | !p5 | !p6 | !p7 | !p8)",
                    SAFERL_SHIELD_LTL, &b) == SAFERL_OK);
    CHECK(a.node == NULL && b.node != NULL); /* 4 propositions: dense; 28: symbolic */
    CHECK(saferl_shield_product(&a, &b, SAFERL_SHIELD_INTERSECTION, &both, NULL) == SAFERL_OK);
    CHECK(saferl_shield_product(&a, &b, SAFERL_SHIELD_UNION, &either, NULL) == SAFERL_OK);
    CHECK(saferl_shield_complement(&both, &bad, NULL) == SAFERL_OK);
    CHECK(both.prop_count == 32 && both.node != NULL && bad.semantics == SAFERL_SHIELD_FINITE);
    saferl_rng_seed(&rng, 33);
    for (t = 0; t < 3000; ++t) { /* brute force on random words, each prefix */
        saferl_shield_monitor ma, mb, mboth, meither, mbad;
        saferl_shield_monitor_init(&ma, &a, 0, 0);
        saferl_shield_monitor_init(&mb, &b, 0, 0);
        saferl_shield_monitor_init(&mboth, &both, 0, 0);
        saferl_shield_monitor_init(&meither, &either, 0, 0);
        saferl_shield_monitor_init(&mbad, &bad, 0, 0);
        for (k = 0; k < 10; ++k) {
            trace[k] = saferl_rng_u32(&rng) | (t % 2 ? 0x1FE00000u : 0u);
            saferl_shield_monitor_step(&ma, trace[k], NULL);
            saferl_shield_monitor_step(&mb, trace[k], NULL);
            saferl_shield_monitor_step(&mboth, trace[k], NULL);
            saferl_shield_monitor_step(&meither, trace[k], NULL);
            saferl_shield_monitor_step(&mbad, trace[k], NULL);
            CHECK(saferl_shield_monitor_violated(&mboth) ==
                  (saferl_shield_monitor_violated(&ma) || saferl_shield_monitor_violated(&mb)));
            CHECK(saferl_shield_monitor_violated(&meither) ==
                  (saferl_shield_monitor_violated(&ma) && saferl_shield_monitor_violated(&mb)));
            CHECK(saferl_shield_monitor_accepting(&mbad) == saferl_shield_monitor_violated(&mboth));
        }
    }
    /* equivalence: the same rule written another way; a different one, with a counterexample
       that separates them */
    CHECK(compile32("G !(p30 & p31) & G(p0 -> X !p1) & G(p17 -> X !p18) & G(!p2 | X p3) & "
                    "G(p9 | p10 | p11 | p12 | p13 | p14 | p15 | p16 | p19 | p20 | p21 | p22 | p23 | p24 | p25 | p26 | "
                    "p27 | p28 | p29 | !(p4 & p5 & p6 & p7 & p8))", SAFERL_SHIELD_LTL, &same) == SAFERL_OK);
    CHECK(saferl_shield_equivalent(&both, &same, &equal, cex, 16, &length, NULL) == SAFERL_OK && equal == 1);
    CHECK(compile32("G !(p30 & p31) & G(p0 -> X !p1) & G(p17 -> X X !p18)", SAFERL_SHIELD_LTL, &other) == SAFERL_OK);
    CHECK(saferl_shield_equivalent(&both, &other, &equal, cex, 16, &length, NULL) == SAFERL_OK && equal == 0);
    CHECK(length >= 1 && length <= 16);
    {
        saferl_shield_monitor m1, m2;
        size_t i;
        saferl_shield_monitor_init(&m1, &both, 0, 0);
        saferl_shield_monitor_init(&m2, &other, 0, 0);
        for (i = 0; i < length; ++i) {
            saferl_shield_monitor_step(&m1, cex[i], NULL);
            saferl_shield_monitor_step(&m2, cex[i], NULL);
        }
        CHECK(saferl_shield_monitor_accepting(&m1) != saferl_shield_monitor_accepting(&m2));
    }
    saferl_shield_dfa_destroy(&a);
    saferl_shield_dfa_destroy(&b);
    saferl_shield_dfa_destroy(&both);
    saferl_shield_dfa_destroy(&either);
    saferl_shield_dfa_destroy(&bad);
    saferl_shield_dfa_destroy(&same);
    saferl_shield_dfa_destroy(&other);
}

/* Two automata with the same tables (the canonical form minimisation gives). */
static int same_tables(const saferl_shield_dfa *a, const saferl_shield_dfa *b) {
    size_t edges = (size_t)a->state_count << a->letter_bits;
    if (a->state_count != b->state_count || a->letter_count != b->letter_count || a->letter_bits != b->letter_bits ||
        a->initial != b->initial || a->sink != b->sink || (a->node == NULL) != (b->node == NULL))
        return 0;
    if (memcmp(a->next, b->next, edges * sizeof(uint32_t)) != 0 || memcmp(a->flags, b->flags, a->state_count) != 0) return 0;
    if (!a->node) return 1;
    return a->node_count == b->node_count && a->node_bits == b->node_bits && a->root == b->root &&
           memcmp(a->node, b->node, ((size_t)a->node_count << a->node_bits) * sizeof(uint32_t)) == 0 &&
           memcmp(a->node_shift, b->node_shift, a->node_count) == 0 &&
           memcmp(a->letter_label, b->letter_label, a->letter_count * sizeof(uint32_t)) == 0;
}

TEST(thirty_two_propositions_hoa_round_trip_and_canonical_tables) {
    static char hoa_text[1 << 19], again[1 << 19];
    const char *rules[4] = {
        "G(p0 -> X !p1) & G !(p30 & p31) & G(p17 -> X !p18) & G(p20 -> X p21) & "
        "G !(p2 & p3 & p4 & p5 & p6 & p7 & p8 & p9 & p10 & p11 & p12 & p13)",
        "G !(p0 & p1 & p2 & p3 & p4 & p5 & p6 & p7 & p8 & p9 & p10 & p11 & p12 & p13 & p14 & p15) & "
        "G(p16 -> X !(p17 | p18 | p19 | p20 | p21 | p22 | p23 | p24 | p25 | p26 | p27 | p28 | p29 | p30 | p31))",
        "G(p3 -> X[2] p29) & G(p16 -> F[0..2] p15) & "
        "G !(p0 & p1 & p2 & p4 & p5 & p6 & p7 & p8 & p9 & p10 & p11 & p12 & p13 & p14 & p17)",
        /* 2^16 disjoint cubes per guard (10 MB of HOA) before guards were factored */
        "G !(p0 & p1) & G !(p2 & p3) & G !(p4 & p5) & G !(p6 & p7) & G !(p8 & p9) & G !(p10 & p11) & "
        "G !(p12 & p13) & G !(p14 & p15) & G !(p16 & p17) & G !(p18 & p19) & G !(p20 & p21) & "
        "G !(p22 & p23) & G !(p24 & p25) & G !(p26 & p27) & G !(p28 & p29) & G !(p30 & p31)"};
    saferl_shield_desc desc;
    saferl_shield_error error;
    int style, i;
    memset(&desc, 0, sizeof desc);
    desc.vocabulary = props32;
    desc.vocabulary_count = 32;
    for (i = 0; i < 4; ++i)
        for (style = 0; style < 2; ++style) {
            saferl_shield_dfa spec, back, product;
            size_t length = 0, length2 = 0;
            CHECK(compile32(rules[i], SAFERL_SHIELD_LTL, &spec) == SAFERL_OK);
            CHECK(spec.node != NULL && spec.node_bits >= 4); /* small diagrams: wide rows */
            CHECK(saferl_shield_write_hoa(&spec, (saferl_shield_hoa_style)style, "r", hoa_text, sizeof hoa_text, &length) == SAFERL_OK);
            if (i == 3) {
                size_t dot_length = 0;
                CHECK(length < 1200); /* (!0 | !1)&(!2 | !3)&... : linear in the pairs */
                CHECK(strstr(hoa_text, "[(!0 | !1)&(!2 | !3)&") != NULL);
                CHECK(saferl_shield_write_dot(&spec, NULL, again, sizeof again, &dot_length) == SAFERL_OK && dot_length < 1600);
            }
            CHECK(saferl_shield_read_hoa(hoa_text, length, &desc, &back, &error) == SAFERL_OK);
            CHECK(back.prop_count == spec.prop_count && back.node != NULL && equivalent(&spec, &back) == 1);
            CHECK(same_tables(&spec, &back)); /* equal languages, identical tables */
            CHECK(saferl_shield_write_hoa(&back, (saferl_shield_hoa_style)style, "r", again, sizeof again, &length2) == SAFERL_OK);
            CHECK(length == length2 && memcmp(hoa_text, again, length) == 0); /* byte-identical */
            /* the same language built another way: a product with "true" */
            saferl_shield_dfa_destroy(&back);
            CHECK(compile32("G(p0 | !p0)", SAFERL_SHIELD_LTL, &back) == SAFERL_OK);
            CHECK(saferl_shield_product(&spec, &back, SAFERL_SHIELD_INTERSECTION, &product, NULL) == SAFERL_OK);
            CHECK(same_tables(&spec, &product));
            saferl_shield_dfa_destroy(&product);
            saferl_shield_dfa_destroy(&back);
            saferl_shield_dfa_destroy(&spec);
        }
    {   /* a hand-written 20-proposition file: guards read as diagrams; a second edge on a
           shared letter is refused with its place */
        const char *hoa20 = "HOA: v1\nStates: 2\nStart: 0\nAP: 20 \"a0\" \"a1\" \"a2\" \"a3\" \"a4\" \"a5\" \"a6\" \"a7\" "
                            "\"a8\" \"a9\" \"a10\" \"a11\" \"a12\" \"a13\" \"a14\" \"a15\" \"a16\" \"a17\" \"a18\" \"a19\"\n"
                            "Acceptance: 0 t\n--BODY--\nState: 0\n[!0 & !19] 0\n[0 & !19] 1\nState: 1\n[!19 & !0] 0\n--END--\n";
        const char *bad20 = "HOA: v1\nStates: 2\nStart: 0\nAP: 20 \"a0\" \"a1\" \"a2\" \"a3\" \"a4\" \"a5\" \"a6\" \"a7\" "
                            "\"a8\" \"a9\" \"a10\" \"a11\" \"a12\" \"a13\" \"a14\" \"a15\" \"a16\" \"a17\" \"a18\" \"a19\"\n"
                            "Acceptance: 0 t\n--BODY--\nState: 0\n[!19] 0\n[18 & 3 & !1] 0\n[19 & 3] 0\n[2 | 19 & 4] 1\n"
                            "State: 1\n[t] 1\n--END--\n";
        saferl_shield_dfa dfa;
        const uint32_t ok_trace[3] = {0, 1, 0}, bad_trace[3] = {1, 1, 0}, late[2] = {0, 1u << 19};
        CHECK(saferl_shield_read_hoa(hoa20, strlen(hoa20), NULL, &dfa, &error) == SAFERL_OK);
        CHECK(dfa.prop_count == 20 && dfa.node != NULL && dfa.letter_count <= 4);
        CHECK(first_violation(&dfa, ok_trace, 3) == 0 && first_violation(&dfa, bad_trace, 3) == 2);
        CHECK(first_violation(&dfa, late, 2) == 2);
        saferl_shield_dfa_destroy(&dfa);
        CHECK(saferl_shield_read_hoa(bad20, strlen(bad20), NULL, &dfa, &error) == SAFERL_ERR_UNSUPPORTED);
        CHECK(error.line == 11 && error.column == 1 && strstr(error.message, "non-deterministic") != NULL);
    }
}

TEST(precedence_is_spots) {
    CHECK(same_language("a | b & c", "a | (b & c)", SAFERL_SHIELD_LTL) == 1);
    CHECK(same_language("[](a -> X !a)", "G(a -> X !a)", SAFERL_SHIELD_LTL) == 1); /* Spot's [] and <> */
    CHECK(same_language("[]!<>(a & X a)", "G !F(a & X a)", SAFERL_SHIELD_LTL) == 1);
    CHECK(same_language("<>a & []b", "F a & G b", SAFERL_SHIELD_LTLF) == 1);
    CHECK(same_language("a <-> b", "(a & b) | (!a & !b)", SAFERL_SHIELD_LTL) == 1);
    CHECK(same_language("a | b & c", "(a | b) & c", SAFERL_SHIELD_LTL) == 0);
    CHECK(same_language("a xor b & c", "a xor (b & c)", SAFERL_SHIELD_LTL) == 1);
    CHECK(same_language("a | b xor c", "a | (b xor c)", SAFERL_SHIELD_LTL) == 1);
    CHECK(same_language("a -> b -> c", "a -> (b -> c)", SAFERL_SHIELD_LTL) == 1);
    CHECK(same_language("a -> b -> c", "(a -> b) -> c", SAFERL_SHIELD_LTL) == 0);
    CHECK(same_language("a W b W c", "a W (b W c)", SAFERL_SHIELD_LTL) == 1);
    CHECK(same_language("a W b W c", "(a W b) W c", SAFERL_SHIELD_LTL) == 0);
    CHECK(same_language("!a W b", "(!a) W b", SAFERL_SHIELD_LTL) == 1);
    CHECK(same_language("X a & b", "(X a) & b", SAFERL_SHIELD_LTL) == 1);
    CHECK(same_language("G a W b", "(G a) W b", SAFERL_SHIELD_LTL) == 1);
    CHECK(same_language("a & b <-> c", "(a & b) <-> c", SAFERL_SHIELD_LTL) == 1);
    CHECK(same_language("XXp", "X X p", SAFERL_SHIELD_LTL) == 1);
    CHECK(same_language("X[2] p", "X X p", SAFERL_SHIELD_LTL) == 1);
    CHECK(same_language("G!a", "G(!a)", SAFERL_SHIELD_LTL) == 1);
    CHECK(same_language("a && b || c", "a & b | c", SAFERL_SHIELD_LTL) == 1);
    CHECK(same_language("a R b", "!(!a U !b)", SAFERL_SHIELD_LTL) == 1);
    CHECK(same_language("a W b", "b R (a | b)", SAFERL_SHIELD_LTL) == 1);
    CHECK(same_language("G[2..4] a", "X X (a & X a & X X a)", SAFERL_SHIELD_LTL) == 1);
    CHECK(same_language("G[1:2] a", "G[1,2] a", SAFERL_SHIELD_LTL) == 1);
    CHECK(same_language("F[0..2] a", "a | X a | X X a", SAFERL_SHIELD_LTL) == 1);
    CHECK(same_language("G[2..] a", "X X G a", SAFERL_SHIELD_LTL) == 1);
    CHECK(same_language("\"Fire\" -> X !\"Fire\"", "fire2 -> X !fire2", SAFERL_SHIELD_LTL) == 0); /* names differ */
    CHECK(same_language("true", "1", SAFERL_SHIELD_LTL) == 1);
    CHECK(same_language("G(a -> X !a)", "G(!a | X !a)", SAFERL_SHIELD_LTL) == 1);
}

TEST(bounded_response) {
    /* G(a -> F[0..2] b): after an a, a b within the step or the next two */
    saferl_shield_dfa dfa;
    const uint32_t late[4] = {1, 0, 0, 0}, in_time[4] = {1, 0, 2, 0};
    CHECK(compile("G(a -> F[0..2] b)", &dfa) == SAFERL_OK);
    CHECK(dfa.state_count == 4);
    CHECK(first_violation(&dfa, late, 4) == 3);
    CHECK(first_violation(&dfa, in_time, 4) == 0);
    saferl_shield_dfa_destroy(&dfa);
}

/* Formulas that used to run into the work limit (issue 16): persistent operands of W and R,
   pending deadlines, and both. Sizes are lbt's minimal monitors (tests/oracle/shield_random.py
   derives them), plus the sink. */
TEST(every_formula_closes_at_the_minimal_size) {
    static const struct { const char *formula; uint32_t states; } cases[] = {
        {"G(a) W G(a)", 2}, {"G(b) R G(b)", 2}, {"G b W G b", 2}, {"G(a) R G(b)", 2},
        {"(a W b) R (a W b)", 3}, {"G(a) W !F(b)", 4}, {"(!a W (a R X(a)))", 4},
        {"(!a W ((!b R c) R (a W b)))", 7}, {"((!a W (a R X(a))) W (!a W ((!b R c) R (a W b))))", 7},
        {"G(p -> F[0..20] s)", 22}, {"G(p -> F[0..10] s) & G(q -> F[0..10] r)", 122},
        {"G(p -> F[0..3] s) & G(q -> F[0..3] r)", 17},
        /* overlapping F windows over a disjunction under G: the cubes of its successors recur */
        {"G(G[2..3](G((!(X(X(X(F[2..4]((p1) -> (G[1..3]((p2) -> (!p0))))))))) -> (X((p0) -> (X(p3)))))))", 180}};
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
        saferl_shield_dfa dfa;
        CHECK(compile(cases[i].formula, &dfa) == SAFERL_OK);
        if (dfa.state_count != cases[i].states)
            fprintf(stderr, "%s: %u states, expected %u\n", cases[i].formula, dfa.state_count, cases[i].states);
        CHECK(dfa.state_count == cases[i].states);
        saferl_shield_dfa_destroy(&dfa);
    }
}

/* The generator's chain (bench/shield.c random_formula draws it at every size from 5 nodes):
   G(p0 -> G[2..2](...G[2..2](X p1)...)) with m windows, m + 5 nodes, says p0 at step t forces p1
   at t + d, d = 2m + 1. A monitor must know which of the last d steps had p0: histories that
   differ at lag j are told apart by a suffix without p0 whose p1 fails only where lag j's
   obligation falls due. All 2^d pending sets are reachable without a violation, and the pending
   sets plus the sink are a monitor, so the minimal one has exactly 2^d + 1 states (the sink
   counted): no construction of an explicit automaton makes it smaller. */
static void chain_formula(int windows, char *out, size_t capacity) {
    size_t len = (size_t)snprintf(out, capacity, "G((p0) -> (");
    int i;
    for (i = 0; i < windows; ++i) len += (size_t)snprintf(out + len, capacity - len, "G[2..2](");
    len += (size_t)snprintf(out + len, capacity - len, "X(p1)");
    for (i = 0; i < windows; ++i) len += (size_t)snprintf(out + len, capacity - len, ")");
    snprintf(out + len, capacity - len, "))");
}

static uint32_t label_bit(const saferl_shield_dfa *dfa, const char *name) {
    uint32_t j;
    for (j = 0; j < dfa->prop_count; ++j)
        if (strcmp(dfa->prop_name[j], name) == 0) return 1u << dfa->prop_bit[j];
    return 0;
}

/* Every word over {p0, p1} that extends `word` (n letters so far, the monitor after them) up to
   `longest` letters: the monitor's first violation is the definition's, the first step t + d + 1
   (1-based) with p0 at t and no p1 at t + d. */
static void chain_words_agree(const saferl_shield_monitor *m, unsigned *word, int n, int longest, int d,
                              uint32_t p0, uint32_t p1, int *ok) {
    unsigned letter;
    if (n == longest) return;
    for (letter = 0; letter < 4 && *ok; ++letter) {
        saferl_shield_monitor next = *m;
        uint32_t expected = m->first_violation;
        word[n] = letter;
        saferl_shield_monitor_step(&next, ((letter & 1u) ? p0 : 0) | ((letter & 2u) ? p1 : 0), NULL);
        if (!expected && n >= d && (word[n - d] & 1u) && !(letter & 2u)) expected = (uint32_t)n + 1;
        if (next.first_violation != expected) {
            fprintf(stderr, "chain, d = %d: word of %d letters, monitor %u, definition %u\n", d, n + 1,
                    next.first_violation, expected);
            *ok = 0;
        }
        chain_words_agree(&next, word, n + 1, longest, d, p0, p1, ok);
    }
}

TEST(the_generators_chain_needs_two_to_the_d_states) {
    char formula[256];
    unsigned word[16];
    int windows;
    for (windows = 0; windows <= 5; ++windows) {
        saferl_shield_dfa dfa;
        int d = 2 * windows + 1, ok = 1;
        chain_formula(windows, formula, sizeof formula);
        CHECK(compile(formula, &dfa) == SAFERL_OK);
        if (dfa.state_count != (1u << d) + 1)
            fprintf(stderr, "%s: %u states, expected 2^%d + 1\n", formula, dfa.state_count, d);
        CHECK(dfa.state_count == (1u << d) + 1);
        CHECK(dfa.sink != SAFERL_SHIELD_NO_STATE);
        if (windows <= 3) { /* every word of up to d + 3 letters: 1.4 M at d = 7 */
            saferl_shield_monitor m;
            uint32_t p0 = label_bit(&dfa, "p0"), p1 = label_bit(&dfa, "p1");
            CHECK(p0 && p1 && p0 != p1);
            saferl_shield_monitor_init(&m, &dfa, 0.0, -1.0);
            chain_words_agree(&m, word, 0, d + 3, d, p0, p1, &ok);
            CHECK(ok);
        }
        saferl_shield_dfa_destroy(&dfa);
    }
}

/* A random safety formula of about n nodes over propositions a..(a + props - 1): every
   operator, F U M only under a negation or left of an implication (safety again). */
static void random_formula(saferl_rng *rng, int n, int props, int safety, char *out, size_t capacity) {
    static const char *const safe_ops[] = {"X", "G", "W", "R", "F[]", "G[]", "!", "&", "|", "->"};
    static const char *const guarantee_ops[] = {"X", "F", "U", "M", "F[]", "!", "&", "|"};
    char left[512], right[512];
    const char *op;
    int split;
    /* A node adds at most 16 characters ("F[1..4](" ... ")", "() -> ()"): a formula of n nodes
       fits in 16 n; the children's buffers (512) hold any n the tests draw. */
    if (n <= 1 || capacity < (size_t)16 * (size_t)n) { /* one draw a statement: the same formulas on every compiler */
        int negated = saferl_rng_bounded(rng, 3) == 0;
        snprintf(out, capacity, "%s%c", negated ? "!" : "", 'a' + (int)saferl_rng_bounded(rng, (uint32_t)props));
        return;
    }
    op = safety ? safe_ops[saferl_rng_bounded(rng, n == 2 ? 2 : 10)] : guarantee_ops[saferl_rng_bounded(rng, n == 2 ? 2 : 8)];
    if (op[0] == '!' || n == 2 || op[1] == '[' || ((op[0] == 'X' || op[0] == 'G' || op[0] == 'F') && op[1] == 0)) {
        random_formula(rng, n - 1, props, op[0] == '!' ? !safety : safety, left, sizeof left);
        if (op[1] == '[') {
            uint32_t lo = saferl_rng_bounded(rng, 2), hi = lo + saferl_rng_bounded(rng, 3);
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

/* The implications between atoms (G a & a = G a, (a R b) & b = a R b, merged deadlines,
   absorption across cubes) against the canonical form alone, on seeded random formulas: the
   same language, and after minimisation the same table. */
TEST(simplifications_keep_the_language) {
    saferl_rng rng;
    char formula[2048];
    int i, compared = 0;
    saferl_rng_seed(&rng, 16);
    for (i = 0; i < 150; ++i) {
        saferl_shield_dfa plain, simplified;
        saferl_shield_error error;
        saferl_shield_desc desc;
        saferl_result r1, r2;
        int n = 4 + (int)saferl_rng_bounded(&rng, 10), props = 2 + (int)saferl_rng_bounded(&rng, 3);
        memset(&desc, 0, sizeof desc);
        desc.logic = (i % 3 == 2) ? SAFERL_SHIELD_LTLF : SAFERL_SHIELD_LTL;
        desc.vocabulary = names + 1;
        desc.vocabulary_count = 4;
        random_formula(&rng, n, props, 1, formula, sizeof formula);
        r1 = saferl_shield__compile(formula, strlen(formula), &desc, &simplified, &error, SAFERL_SHIELD__SIMPLIFY);
        r2 = saferl_shield__compile(formula, strlen(formula), &desc, &plain, &error, 0);
        CHECK(r1 == r2);
        if (r1 < 0 || r2 < 0) {
            fprintf(stderr, "%s: %s\n", formula, error.message);
            if (r1 >= 0) saferl_shield_dfa_destroy(&simplified);
            if (r2 >= 0) saferl_shield_dfa_destroy(&plain);
            continue;
        }
        if (!equivalent(&plain, &simplified) || plain.state_count != simplified.state_count ||
            memcmp(plain.next, simplified.next, (size_t)plain.state_count * plain.letter_count * sizeof(uint32_t)) != 0) {
            fprintf(stderr, "simplified and plain differ: %s\n", formula);
            CHECK(0);
        }
        ++compared;
        saferl_shield_dfa_destroy(&plain);
        saferl_shield_dfa_destroy(&simplified);
    }
    CHECK(compared == 150);
}

/* The compiler drops its progression memo past SAFERL_SHIELD_MEMO_RESET (a million) entries
   and its flat cube lists past as many words; only the bench's largest formulas get there.
   With both dropped past 64 instead, seeded random formulas (LTL and LTLf, safety and not,
   300 of 3-14 nodes and 100 of 20-31) give the same HOA text, or the same refusal, byte for
   byte, and both resets are taken. */
TEST(memo_resets_keep_the_automata) {
    static char plain_text[1 << 18], small_text[1 << 18];
    saferl_rng rng;
    char formula[2048];
    int i, refused = 0, reached = 0;
    saferl_rng_seed(&rng, 64);
    memo_resets[0] = memo_resets[1] = 0;
    for (i = 0; i < 400; ++i) {
        saferl_shield_dfa plain, small;
        saferl_shield_error plain_error, small_error;
        saferl_shield_desc desc;
        saferl_result r1, r2;
        size_t plain_length = 0, small_length = 0;
        unsigned long before = memo_resets[0] + memo_resets[1];
        int n = i < 300 ? 3 + (int)saferl_rng_bounded(&rng, 12) : 20 + (int)saferl_rng_bounded(&rng, 12);
        int props = 2 + (int)saferl_rng_bounded(&rng, 4);
        memset(&desc, 0, sizeof desc);
        desc.logic = (i % 3 == 2) ? SAFERL_SHIELD_LTLF : SAFERL_SHIELD_LTL;
        desc.vocabulary = names + 1;
        desc.vocabulary_count = 5;
        random_formula(&rng, n, props, i % 4 != 3, formula, sizeof formula);
        r1 = saferl_shield__compile(formula, strlen(formula), &desc, &plain, &plain_error,
                                    SAFERL_SHIELD__SIMPLIFY | SAFERL_SHIELD__EMPTY_SINK);
        r2 = saferl_shield__compile(formula, strlen(formula), &desc, &small, &small_error,
                                    SAFERL_SHIELD__SIMPLIFY | SAFERL_SHIELD__EMPTY_SINK | SAFERL_SHIELD__SMALL_MEMO);
        reached += memo_resets[0] + memo_resets[1] > before;
        CHECK(r1 == r2);
        if (r1 < 0 || r2 < 0) {
            if (r1 != r2 || strcmp(plain_error.message, small_error.message) != 0 ||
                plain_error.line != small_error.line || plain_error.column != small_error.column) {
                fprintf(stderr, "refusals differ on %s: \"%s\" vs \"%s\"\n", formula, plain_error.message, small_error.message);
                CHECK(0);
            }
            if (r1 >= 0) saferl_shield_dfa_destroy(&plain);
            if (r2 >= 0) saferl_shield_dfa_destroy(&small);
            ++refused;
            continue;
        }
        CHECK(saferl_shield_write_hoa(&plain, SAFERL_SHIELD_HOA_COMPLETE, NULL, plain_text, sizeof plain_text, &plain_length) == SAFERL_OK);
        CHECK(saferl_shield_write_hoa(&small, SAFERL_SHIELD_HOA_COMPLETE, NULL, small_text, sizeof small_text, &small_length) == SAFERL_OK);
        if (plain_length != small_length || memcmp(plain_text, small_text, plain_length) != 0) {
            fprintf(stderr, "automata differ with the memos reset at 64 entries: %s (%u vs %u states)\n", formula,
                    plain.state_count, small.state_count);
            CHECK(0);
        }
        saferl_shield_dfa_destroy(&plain);
        saferl_shield_dfa_destroy(&small);
    }
    printf("memo resets: %lu of progression, %lu of cube lists, on %d of 400 formulas (%d refused)\n",
           memo_resets[0], memo_resets[1], reached, refused);
    CHECK(memo_resets[0] > 0);
    CHECK(memo_resets[1] > 0);
    CHECK(refused > 0 && refused < 400);
}

/* Safety properties written with F, U and M compile (to the automaton of the same property
   written with W and R), the others are refused with the liveness message. On seeded random
   safety formulas A and B: (A U B) | G A = A W B, (A M B) | G B = A R B, and Dwyer's
   "absence before" shape F p -> (A U p) = (A W p) | G !p for a proposition p. */
TEST(safety_formulas_written_with_eventualities) {
    static const char *const refused[] = {"a U b", "F a", "G F a", "G(a -> F b)", "(a U b) | G c", "X F a | G b"};
    static const struct { const char *with, *without; } same[] = {
        {"F p -> (!a U p)", "(!a W p) | G !p"}, {"(F a) & G !a", "false"}, {"F a | G !a", "true"},
        {"X(G a & F !a) | b", "b"}, {"(G a | F b) & G !b", "G a & G !b"}};
    saferl_rng rng;
    char a[1300], b[1300], with[4000], without[4000];
    int i, j, compared = 0;
    saferl_shield_dfa x, y;
    saferl_shield_error error;
    for (i = 0; i < (int)(sizeof refused / sizeof refused[0]); ++i) {
        CHECK(compile_logic(refused[i], SAFERL_SHIELD_LTL, &x, &error) == SAFERL_ERR_UNSUPPORTED);
        CHECK(strstr(error.message, "no finite prefix can violate") != NULL && error.line == 1 && error.column > 0);
    }
    for (i = 0; i < (int)(sizeof same / sizeof same[0]); ++i) {
        CHECK(compile_named(same[i].with, SAFERL_SHIELD_LTL, &x) == SAFERL_OK);
        CHECK(compile_named(same[i].without, SAFERL_SHIELD_LTL, &y) == SAFERL_OK);
        if (equivalent(&x, &y) != 1) fprintf(stderr, "%s differs from %s\n", same[i].with, same[i].without);
        CHECK(equivalent(&x, &y) == 1 && x.state_count == y.state_count);
        saferl_shield_dfa_destroy(&x);
        saferl_shield_dfa_destroy(&y);
    }
    saferl_rng_seed(&rng, 17);
    for (i = 0; i < 60; ++i) {
        random_formula(&rng, 2 + (int)saferl_rng_bounded(&rng, 6), 3, 1, a, sizeof a);
        random_formula(&rng, 2 + (int)saferl_rng_bounded(&rng, 6), 3, 1, b, sizeof b);
        for (j = 0; j < 3; ++j) {
            if (j == 0) snprintf(with, sizeof with, "((%s) U (%s)) | G(%s)", a, b, a);
            if (j == 0) snprintf(without, sizeof without, "(%s) W (%s)", a, b);
            if (j == 1) snprintf(with, sizeof with, "((%s) M (%s)) | G(%s)", a, b, b);
            if (j == 1) snprintf(without, sizeof without, "(%s) R (%s)", a, b);
            if (j == 2) { /* B a proposition: G !B is then safety too */
                char p = (char)('a' + saferl_rng_bounded(&rng, 3));
                snprintf(with, sizeof with, "F(%c) -> ((%s) U (%c))", p, a, p);
                snprintf(without, sizeof without, "((%s) W (%c)) | G !(%c)", a, p, p);
            }
            if (compile_named(with, SAFERL_SHIELD_LTL, &x) != SAFERL_OK) {
                CHECK(0);
                continue;
            }
            CHECK(compile_named(without, SAFERL_SHIELD_LTL, &y) == SAFERL_OK);
            if (equivalent(&x, &y) != 1 || x.state_count != y.state_count) {
                fprintf(stderr, "%s: %u states, %s: %u\n", with, x.state_count, without, y.state_count);
                CHECK(0);
            }
            compared += 1;
            saferl_shield_dfa_destroy(&x);
            saferl_shield_dfa_destroy(&y);
        }
    }
    CHECK(compared == 180);
}

/* Symbolic letters (guards split into diagrams, as above 16 propositions) against the dense
   construction over every letter, where both apply: seeded random formulas over 2-4
   propositions, safety ones, guarantees (refused), their mixtures through U, M, F and the
   shapes of Dwyer's patterns, in LTL and LTLf. The same result, and when compiled the same
   language at the same minimal size. */
TEST(symbolic_letters_agree_with_the_dense_construction) {
    saferl_rng rng;
    char a[1300], b[1300], formula[5400];
    int i, compiled = 0, refused = 0;
    saferl_rng_seed(&rng, 18);
    for (i = 0; i < 240; ++i) {
        saferl_shield_dfa dense, symbolic;
        saferl_shield_error e1, e2;
        saferl_shield_desc desc;
        saferl_result r1, r2;
        int props = 2 + (int)saferl_rng_bounded(&rng, 3), n, safety;
        memset(&desc, 0, sizeof desc);
        desc.logic = (i % 4 == 3) ? SAFERL_SHIELD_LTLF : SAFERL_SHIELD_LTL;
        desc.vocabulary = names + 1;
        desc.vocabulary_count = 4;
        n = 2 + (int)saferl_rng_bounded(&rng, 8); /* one draw a statement: the same formulas on every compiler */
        safety = (int)saferl_rng_bounded(&rng, 2);
        random_formula(&rng, n, props, safety, a, sizeof a);
        n = 2 + (int)saferl_rng_bounded(&rng, 8);
        safety = (int)saferl_rng_bounded(&rng, 2);
        random_formula(&rng, n, props, safety, b, sizeof b);
        switch (saferl_rng_bounded(&rng, 5)) {
        case 0: snprintf(formula, sizeof formula, "%s", a); break;
        case 1: snprintf(formula, sizeof formula, "((%s) U (%s)) | G(%s)", a, b, a); break;
        case 2: snprintf(formula, sizeof formula, "F(%s) -> ((%s) U (%s))", b, a, b); break;
        case 3: snprintf(formula, sizeof formula, "((%s) M (%s)) | G(%s) | (%s)", a, b, b, a); break;
        default: snprintf(formula, sizeof formula, "(%s) & !(%s)", a, b); break;
        }
        r1 = saferl_shield__compile(formula, strlen(formula), &desc, &dense, &e1, SAFERL_SHIELD__SIMPLIFY);
        r2 = saferl_shield__compile(formula, strlen(formula), &desc, &symbolic, &e2,
                                    SAFERL_SHIELD__SIMPLIFY | SAFERL_SHIELD__SYMBOLIC);
        if (r1 != r2) fprintf(stderr, "%s: dense %d (%s), symbolic %d (%s)\n", formula, r1, e1.message, r2, e2.message);
        CHECK(r1 == r2);
        if (r1 < 0 || r2 < 0) {
            CHECK(r1 != SAFERL_ERR_UNSUPPORTED || strcmp(e1.message, e2.message) == 0);
            refused += r1 == SAFERL_ERR_UNSUPPORTED;
            if (r1 >= 0) saferl_shield_dfa_destroy(&dense);
            if (r2 >= 0) saferl_shield_dfa_destroy(&symbolic);
            continue;
        }
        CHECK(dense.node == NULL && symbolic.node != NULL);
        if (equivalent(&dense, &symbolic) != 1 || dense.state_count != symbolic.state_count) {
            fprintf(stderr, "%s: dense %u states, symbolic %u\n", formula, dense.state_count, symbolic.state_count);
            CHECK(0);
        }
        ++compiled;
        saferl_shield_dfa_destroy(&dense);
        saferl_shield_dfa_destroy(&symbolic);
    }
    fprintf(stderr, "  %d compiled, %d refused as not safety\n", compiled, refused);
    CHECK(compiled >= 150 && refused >= 20); /* both outcomes exercised (167 and 73 with this seed) */
}

TEST(equivalence_gives_a_shortest_counterexample) {
    saferl_shield_dfa a, b;
    uint32_t trace[8];
    size_t length = 99;
    int equal = -1;
    CHECK(compile("G(a -> X !a)", &a) == SAFERL_OK);
    CHECK(compile("G(a -> X X !a)", &b) == SAFERL_OK);
    CHECK(saferl_shield_equivalent(&a, &b, &equal, trace, 8, &length, NULL) == SAFERL_OK);
    CHECK(equal == 0 && length == 2 && trace[0] == 1 && trace[1] == 1);
    CHECK(first_violation(&a, trace, length) == 2 && first_violation(&b, trace, length) == 0);
    CHECK(saferl_shield_equivalent(&a, &a, &equal, trace, 8, &length, NULL) == SAFERL_OK);
    CHECK(equal == 1 && length == 0);
    saferl_shield_dfa_destroy(&a);
    saferl_shield_dfa_destroy(&b);
}

TEST(product_and_complement) {
    saferl_shield_dfa a, b, both, either, conj, disj, bad, bad_again, safe_again, min;
    CHECK(compile_named("G(a -> X !a)", SAFERL_SHIELD_LTL, &a) == SAFERL_OK);
    CHECK(compile_named("G(b -> X b)", SAFERL_SHIELD_LTL, &b) == SAFERL_OK);
    CHECK(saferl_shield_product(&a, &b, SAFERL_SHIELD_INTERSECTION, &both, NULL) == SAFERL_OK);
    CHECK(compile_named("G(a -> X !a) & G(b -> X b)", SAFERL_SHIELD_LTL, &conj) == SAFERL_OK);
    CHECK(equivalent(&both, &conj) == 1);
    CHECK(both.state_count == conj.state_count && memcmp(both.next, conj.next, (size_t)conj.state_count * 4 * 4) == 0);
    CHECK(saferl_shield_product(&a, &b, SAFERL_SHIELD_UNION, &either, NULL) == SAFERL_OK);
    CHECK(compile_named("G(a -> X !a) | G(b -> X b)", SAFERL_SHIELD_LTL, &disj) == SAFERL_OK);
    CHECK(equivalent(&either, &disj) == 1);
    CHECK(equivalent(&either, &conj) == 0);
    /* the complement accepts exactly the bad prefixes */
    CHECK(saferl_shield_complement(&a, &bad, NULL) == SAFERL_OK);
    CHECK(bad.semantics == SAFERL_SHIELD_FINITE);
    {
        saferl_shield_monitor m;
        const uint32_t labels[5] = {0, 2, 0, 2, 2}; /* a is bit 1 */
        int i;
        saferl_shield_monitor_init(&m, &bad, 0, 0);
        for (i = 0; i < 5; ++i) {
            saferl_shield_monitor_step(&m, labels[i], NULL);
            CHECK(saferl_shield_monitor_accepting(&m) == (i == 4));
        }
    }
    CHECK(saferl_shield_complement(&bad, &bad_again, NULL) == SAFERL_OK);
    CHECK(saferl_shield_minimize(&a, &min, NULL) == SAFERL_OK);
    CHECK(min.state_count == a.state_count && memcmp(min.next, a.next, (size_t)a.state_count * 2 * 4) == 0);
    /* complementing twice gives the good prefixes back (as a finite-trace language) */
    (void)safe_again;
    CHECK(equivalent(&bad_again, &a) == 1);
    saferl_shield_dfa_destroy(&a);
    saferl_shield_dfa_destroy(&b);
    saferl_shield_dfa_destroy(&both);
    saferl_shield_dfa_destroy(&either);
    saferl_shield_dfa_destroy(&conj);
    saferl_shield_dfa_destroy(&disj);
    saferl_shield_dfa_destroy(&bad);
    saferl_shield_dfa_destroy(&bad_again);
    saferl_shield_dfa_destroy(&min);
}

TEST(product_prunes_joint_dead_ends) {
    /* each alone can go on forever; together the step after a has no safe letter */
    saferl_shield_dfa a, b, both;
    const uint32_t trace[1] = {2};
    CHECK(compile_named("G(a -> X b)", SAFERL_SHIELD_LTL, &a) == SAFERL_OK);
    CHECK(compile_named("G(a -> X !b)", SAFERL_SHIELD_LTL, &b) == SAFERL_OK);
    CHECK(saferl_shield_product(&a, &b, SAFERL_SHIELD_INTERSECTION, &both, NULL) == SAFERL_OK);
    CHECK(first_violation(&both, trace, 1) == 1);
    saferl_shield_dfa_destroy(&a);
    saferl_shield_dfa_destroy(&b);
    saferl_shield_dfa_destroy(&both);
}

static int round_trip(const saferl_shield_dfa *dfa, saferl_shield_hoa_style style) {
    saferl_shield_dfa back;
    saferl_shield_error error;
    size_t length;
    int equal;
    if (saferl_shield_write_hoa(dfa, style, "round trip", text, sizeof text, &length) != SAFERL_OK) return 0;
    if (saferl_shield_read_hoa(text, length, NULL, &back, &error) != SAFERL_OK) {
        fprintf(stderr, "%u:%u %s\n%s", error.line, error.column, error.message, text);
        return 0;
    }
    equal = equivalent(dfa, &back) && back.state_count == dfa->state_count && back.semantics == dfa->semantics;
    saferl_shield_dfa_destroy(&back);
    return equal;
}

TEST(hoa_round_trips) {
    static const char *formulas[5] = {"G(lava -> X !lava)", "!F(red & X yellow)", "G(a -> F[0..2] b) & G(c -> X X !a)",
                                      "a W (b & X !c)", "G(X p & X !p)"};
    int i;
    for (i = 0; i < 5; ++i) {
        saferl_shield_dfa dfa;
        CHECK(compile(formulas[i], &dfa) == SAFERL_OK);
        CHECK(round_trip(&dfa, SAFERL_SHIELD_HOA_MONITOR) || i == 4); /* a monitor cannot say "bad before any step" */
        CHECK(round_trip(&dfa, SAFERL_SHIELD_HOA_COMPLETE));
        saferl_shield_dfa_destroy(&dfa);
    }
    {
        saferl_shield_dfa dfa;
        saferl_shield_error error;
        CHECK(compile_logic("F goal & G !lava", SAFERL_SHIELD_LTLF, &dfa, &error) == SAFERL_OK);
        CHECK(round_trip(&dfa, SAFERL_SHIELD_HOA_COMPLETE));
        CHECK(saferl_shield_write_hoa(&dfa, SAFERL_SHIELD_HOA_MONITOR, NULL, text, sizeof text, NULL) == SAFERL_ERR_UNSUPPORTED);
        saferl_shield_dfa_destroy(&dfa);
    }
}

static saferl_result read_hoa(const char *hoa, saferl_shield_dfa *dfa, saferl_shield_error *error) {
    return saferl_shield_read_hoa(hoa, strlen(hoa), NULL, dfa, error);
}

TEST(hoa_reader_accepts_other_tools_and_refuses_clearly) {
    saferl_shield_dfa dfa, ours;
    saferl_shield_error error;
    /* implicit labels, comments, a state name, tool and name headers */
    const char *implicit =
        "HOA: v1 /* a /* nested */ comment */\ntool: \"by hand\"\nname: \"G(lava -> X !lava)\"\nStates: 2\nStart: 0\n"
        "AP: 1 \"lava\"\nacc-name: all\nAcceptance: 0 t\nproperties: implicit-labels deterministic\n--BODY--\n"
        "State: 0 \"calm\"\n0 1\nState: 1\n0 2\n"
        "--END--\n";
    CHECK(read_hoa(implicit, &dfa, &error) == SAFERL_ERR_PARSE); /* target 2 is not a state */
    CHECK(error.line == 0 || error.line >= 1);
    implicit = "HOA: v1\nStates: 3\nStart: 0\nAP: 1 \"lava\"\nAcceptance: 1 Inf(0)\n--BODY--\n"
               "State: 0 {0}\n0 1\nState: 1 {0}\n0 2\nState: 2\n2 2\n--END--\n";
    CHECK(read_hoa(implicit, &dfa, &error) == SAFERL_OK);
    CHECK(compile("G(lava -> X !lava)", &ours) == SAFERL_OK);
    CHECK(equivalent(&dfa, &ours) == 1);
    saferl_shield_dfa_destroy(&dfa);
    saferl_shield_dfa_destroy(&ours);
    CHECK(read_hoa("HOA: v1\nStates: 1\nStart: 0\nAP: 1 \"a\"\nAcceptance: 2 Inf(0) & Inf(1)\n--BODY--\nState: 0\n[t] 0\n--END--\n",
                   &dfa, &error) == SAFERL_ERR_UNSUPPORTED);
    CHECK(error.line == 5 && strstr(error.message, "unsupported acceptance '2 Inf(0) & Inf(1)'"));
    CHECK(read_hoa("HOA: v1\nStates: 1\nStart: 0\nAP: 1 \"a\"\nAcceptance: 1 Fin(0)\n--BODY--\nState: 0\n[t] 0\n--END--\n",
                   &dfa, &error) == SAFERL_ERR_UNSUPPORTED);
    CHECK(read_hoa("HOA: v1\nStates: 2\nStart: 0\nAP: 1 \"a\"\nAcceptance: 0 t\n--BODY--\nState: 0\n[t] 0\n[0] 1\nState: 1\n--END--\n",
                   &dfa, &error) == SAFERL_ERR_UNSUPPORTED);
    CHECK(error.line == 9 && strstr(error.message, "non-deterministic"));
    CHECK(read_hoa("HOA: v1\nStates: 1\nStart: 0\nAP: 1 \"a\"\nAcceptance: 0 t\n--BODY--\nState: 0\n[0 & (1] 0\n--END--\n",
                   &dfa, &error) == SAFERL_ERR_PARSE);
    CHECK(error.line == 8 && error.column == 7);
    CHECK(read_hoa("HOA: v2\n", &dfa, &error) == SAFERL_ERR_VERSION);
    /* Buchi that is not a safety condition: GF a */
    CHECK(read_hoa("HOA: v1\nStates: 1\nStart: 0\nAP: 1 \"a\"\nAcceptance: 1 Inf(0)\n--BODY--\nState: 0\n[0] 0 {0}\n[!0] 0\n--END--\n",
                   &dfa, &error) == SAFERL_ERR_UNSUPPORTED);
    CHECK(strstr(error.message, "not a safety condition") != NULL && error.line == 7 && error.column == 8);
    /* Buchi (g & !lava)* lava lava^w: state 1 loops on unmarked edges yet can still reach the
       accepting state 2, so every prefix of (g & !lava)^w is extendable but the word is
       rejected: a liveness obligation (found by fuzzing; once read as "lava lava*") */
    CHECK(read_hoa("HOA: v1\nStates: 3\nStart: 1\nAP: 2 \"g\" \"lava\"\nAcceptance: 1 Inf(0)\n--BODY--\n"
                   "State: 1\n[!0&!1] 0\n[0&!1] 1\n[1] 2\nState: 2 {0}\n[!1] 1\n[1] 2\n--END--\n",
                   &dfa, &error) == SAFERL_ERR_UNSUPPORTED);
    CHECK(strstr(error.message, "not a safety condition") != NULL && strstr(error.message, "state 1") != NULL);
    CHECK(error.line == 7 && error.column == 8); /* at "State: 1" */
    /* the same states as a safety language (state 1 marked too) is accepted: G(!g -> lava)
       until lava, then lava forever */
    CHECK(read_hoa("HOA: v1\nStates: 3\nStart: 1\nAP: 2 \"g\" \"lava\"\nAcceptance: 1 Inf(0)\n--BODY--\n"
                   "State: 1 {0}\n[!0&!1] 0\n[0&!1] 1\n[1] 2\nState: 2 {0}\n[!1] 0\n[1] 2\n--END--\n",
                   &dfa, &error) == SAFERL_OK);
    CHECK(compile("(g & !lava) W (lava & X G lava)", &ours) == SAFERL_OK);
    CHECK(equivalent(&dfa, &ours) == 1);
    saferl_shield_dfa_destroy(&dfa);
    saferl_shield_dfa_destroy(&ours);
    /* a state has one section */
    CHECK(read_hoa("HOA: v1\nStates: 1\nStart: 0\nAP: 1 \"a\"\nAcceptance: 0 t\n--BODY--\nState: 0\n[0] 0\n"
                   "State: [t] 0\n--END--\n", &dfa, &error) == SAFERL_ERR_PARSE);
    CHECK(error.line == 9 && error.column == 12 && strstr(error.message, "declared twice") != NULL);
}

TEST(reward_machines_keep_edges_by_source_and_guard) {
    /* coffee (f) then office (g), never a decoration (n); two exits to two terminal states
       with different rewards, and two edges between the same pair of states */
    const char *rm =
        "0  # initial state\n"
        "[2, 3]  # terminal states\n"
        "(0,0,'!f&!n',ConstantRewardFunction(0))\n"
        "(0,1,'f&!n',ConstantRewardFunction(0))\n"
        "(0,3,'n',ConstantRewardFunction(-1))\n"
        "(1,1,'!g&!n&!f',ConstantRewardFunction(0))\n"
        "(1,1,'f&!g&!n',ConstantRewardFunction(0.25))\n"
        "(1,2,'g&!n',ConstantRewardFunction(1))\n"
        "(1,3,'n',ConstantRewardFunction(-1))\n";
    saferl_shield_dfa dfa, back;
    saferl_shield_error error;
    saferl_shield_monitor m;
    size_t length = 0;
    double r;
    uint32_t f, g, n;
    CHECK(saferl_shield_detect_format(rm, strlen(rm)) == SAFERL_SHIELD_REWARD_MACHINE);
    CHECK(saferl_shield_read_rm(rm, strlen(rm), NULL, &dfa, &error) == SAFERL_OK);
    CHECK(dfa.prop_count == 3 && dfa.state_count == 4 && dfa.sink == SAFERL_SHIELD_NO_STATE);
    f = 1u << 0; /* f, n, g in order of appearance */
    n = 1u << 1;
    g = 1u << 2;
    CHECK(dfa.prop_name[0][0] == 'f' && dfa.prop_name[1][0] == 'n' && dfa.prop_name[2][0] == 'g');
    saferl_shield_monitor_init(&m, &dfa, 0, 0);
    saferl_shield_monitor_step(&m, f, &r);
    CHECK(m.state == 1 && r == 0.0 && dfa.stage[m.state] == 1);
    saferl_shield_monitor_step(&m, f, &r);
    CHECK(m.state == 1 && r == 0.25);
    saferl_shield_monitor_step(&m, 0, &r);
    CHECK(m.state == 1 && r == 0.0);
    saferl_shield_monitor_step(&m, g, &r);
    CHECK(dfa.stage[m.state] == 2 && r == 1.0 && (dfa.flags[m.state] & SAFERL_SHIELD_TERMINAL));
    saferl_shield_monitor_reset(&m);
    saferl_shield_monitor_step(&m, n | g, &r);
    CHECK(dfa.stage[m.state] == 3 && r == -1.0 && (dfa.flags[m.state] & SAFERL_SHIELD_TERMINAL));
    /* written back and read again: the same machine, edge by edge */
    CHECK(saferl_shield_write_rm(&dfa, text, sizeof text, &length) == SAFERL_OK);
    CHECK(saferl_shield_read_rm(text, length, NULL, &back, &error) == SAFERL_OK);
    CHECK(back.state_count == dfa.state_count && back.reward != NULL);
    {
        uint32_t q, l, ok = 1;
        for (q = 0; q < dfa.state_count; ++q)
            for (l = 0; l < 8; ++l) {
                uint32_t label = saferl_shield_label_of_letter(&dfa, l);
                size_t i1 = ((size_t)q << 3) | l;
                uint32_t q2 = q; /* state ids follow first appearance in both files */
                size_t i2 = ((size_t)q2 << back.prop_count) | saferl_shield_letter(&back, label);
                ok &= dfa.next[i1] == back.next[i2] && dfa.reward[i1] == back.reward[i2];
            }
        CHECK(ok);
    }
    saferl_shield_dfa_destroy(&back);
    saferl_shield_dfa_destroy(&dfa);
    /* a letter no guard covers falls off the machine into the sink */
    rm = "0\n[]\n(0,0,'a',ConstantRewardFunction(1))\n";
    CHECK(saferl_shield_read_rm(rm, strlen(rm), NULL, &dfa, &error) == SAFERL_OK);
    CHECK(dfa.state_count == 2 && dfa.sink == 1 && saferl_shield_next(&dfa, 0, 0) == 1 && saferl_shield_next(&dfa, 0, 1) == 0);
    saferl_shield_dfa_destroy(&dfa);
    rm = "0\n[]\n(0,0,'a',RewardControl())\n";
    CHECK(saferl_shield_read_rm(rm, strlen(rm), NULL, &dfa, &error) == SAFERL_ERR_UNSUPPORTED);
    CHECK(error.line == 3 && error.column == 10);
    rm = "0\n[]\n(0,0,'ab',ConstantRewardFunction(1))\n";
    CHECK(saferl_shield_read_rm(rm, strlen(rm), NULL, &dfa, &error) == SAFERL_ERR_PARSE);
    CHECK(error.line == 3 && error.column == 7);
    { /* a NUL byte as a proposition (found by fuzzing; was refused at 0:0) */
        static const char nul[] = "0\n[]\n(0,0,'!f&!\0',ConstantRewardFunction(1))\n";
        CHECK(saferl_shield_read_rm(nul, sizeof nul - 1, NULL, &dfa, &error) == SAFERL_ERR_PARSE);
        CHECK(error.line == 3 && error.column == 11 && strstr(error.message, "printable") != NULL);
    }
    /* state numbers up to 999999999 (leading zeros are fine); a longer one is refused where
       it starts (it was cut after nine digits and refused at the tenth) */
    rm = "0\n[]\n(0, 999999999,'a',ConstantRewardFunction(1))\n(0000000000999999999,0,'!a',ConstantRewardFunction(2))\n";
    CHECK(saferl_shield_read_rm(rm, strlen(rm), NULL, &dfa, &error) == SAFERL_OK);
    CHECK(dfa.state_count == 3 && dfa.stage[1] == 65535); /* 0, 999999999 and the sink */
    saferl_shield_dfa_destroy(&dfa);
    rm = "0\n[]\n(0, 1000000000,'a',ConstantRewardFunction(1))\n";
    CHECK(saferl_shield_read_rm(rm, strlen(rm), NULL, &dfa, &error) == SAFERL_ERR_PARSE);
    CHECK(error.line == 3 && error.column == 5 && strstr(error.message, "below 1000000000") != NULL);
}

TEST(past_time_monitors) {
    saferl_shield_dfa dfa;
    saferl_shield_error error;
    const uint32_t alarm_first[2] = {1, 0}, armed_then_alarm[3] = {2, 0, 1}, p_only[1] = {1};
    CHECK(compile_logic("G(alarm -> O armed)", SAFERL_SHIELD_PAST_LTL, &dfa, &error) == SAFERL_OK);
    CHECK(first_violation(&dfa, alarm_first, 2) == 1);
    CHECK(first_violation(&dfa, armed_then_alarm, 3) == 0);
    saferl_shield_dfa_destroy(&dfa);
    /* Y is false at the first step, Z true */
    CHECK(compile_logic("G(p -> Y q)", SAFERL_SHIELD_PAST_LTL, &dfa, &error) == SAFERL_OK);
    CHECK(first_violation(&dfa, p_only, 1) == 1);
    saferl_shield_dfa_destroy(&dfa);
    CHECK(compile_logic("G(p -> Z q)", SAFERL_SHIELD_PAST_LTL, &dfa, &error) == SAFERL_OK);
    CHECK(first_violation(&dfa, p_only, 1) == 0);
    saferl_shield_dfa_destroy(&dfa);
    /* since: every b since the last a */
    CHECK(same_language("G(c -> (b S a))", "G(c -> (b S a))", SAFERL_SHIELD_PAST_LTL) == 1);
    CHECK(same_language("G(H p)", "G p", SAFERL_SHIELD_PAST_LTL) == 1);
    CHECK(same_language("G(O p | !p)", "G(true)", SAFERL_SHIELD_PAST_LTL) == 1);
    CHECK(same_language("O p", "true S p", SAFERL_SHIELD_PAST_LTL) == 1);
    /* AUTO_PAST picks the past mode when a past operator appears */
    CHECK(compile_logic("G(alarm -> Y armed)", SAFERL_SHIELD_AUTO_PAST, &dfa, &error) == SAFERL_OK);
    saferl_shield_dfa_destroy(&dfa);
    /* a bare past formula is a finite-trace language: accepted where it holds at the end */
    CHECK(compile_logic("p S q", SAFERL_SHIELD_PAST_LTL, &dfa, &error) == SAFERL_OK);
    CHECK(dfa.semantics == SAFERL_SHIELD_FINITE);
    {
        saferl_shield_monitor m;
        saferl_shield_monitor_init(&m, &dfa, 0, 0);
        CHECK(!saferl_shield_monitor_accepting(&m)); /* the empty trace is not in the language */
        saferl_shield_monitor_step(&m, 2, NULL);
        CHECK(saferl_shield_monitor_accepting(&m));
        saferl_shield_monitor_step(&m, 1, NULL);
        CHECK(saferl_shield_monitor_accepting(&m));
        saferl_shield_monitor_step(&m, 0, NULL);
        CHECK(!saferl_shield_monitor_accepting(&m) && !saferl_shield_monitor_violated(&m)); /* q may come again */
    }
    saferl_shield_dfa_destroy(&dfa);
}

TEST(ltlf_mode) {
    saferl_shield_dfa dfa;
    saferl_shield_error error;
    saferl_shield_monitor m;
    CHECK(compile_logic("F goal & G !lava", SAFERL_SHIELD_LTLF, &dfa, &error) == SAFERL_OK);
    CHECK(dfa.semantics == SAFERL_SHIELD_FINITE && dfa.state_count == 3);
    saferl_shield_monitor_init(&m, &dfa, 0, 0);
    saferl_shield_monitor_step(&m, 0, NULL);
    CHECK(!saferl_shield_monitor_accepting(&m) && !saferl_shield_monitor_violated(&m));
    saferl_shield_monitor_step(&m, 1, NULL);
    CHECK(saferl_shield_monitor_accepting(&m));
    saferl_shield_monitor_step(&m, 2, NULL);
    CHECK(!saferl_shield_monitor_accepting(&m) && saferl_shield_monitor_violated(&m));
    saferl_shield_dfa_destroy(&dfa);
    /* X is strong, N weak: on a one-step trace X p fails and N p holds */
    CHECK(compile_logic("X p", SAFERL_SHIELD_LTLF, &dfa, &error) == SAFERL_OK);
    saferl_shield_monitor_init(&m, &dfa, 0, 0);
    saferl_shield_monitor_step(&m, 1, NULL);
    CHECK(!saferl_shield_monitor_accepting(&m));
    saferl_shield_dfa_destroy(&dfa);
    CHECK(compile_logic("N p", SAFERL_SHIELD_LTLF, &dfa, &error) == SAFERL_OK);
    saferl_shield_monitor_init(&m, &dfa, 0, 0);
    saferl_shield_monitor_step(&m, 0, NULL);
    CHECK(saferl_shield_monitor_accepting(&m));
    saferl_shield_dfa_destroy(&dfa);
    CHECK(same_language("X[!] p", "X p", SAFERL_SHIELD_LTLF) == 1);
    CHECK(same_language("!X p", "N !p", SAFERL_SHIELD_LTLF) == 1);
    CHECK(same_language("a U b", "!(!a R !b)", SAFERL_SHIELD_LTLF) == 1);
    CHECK(same_language("F G a", "F(a & N false)", SAFERL_SHIELD_LTLF) == 1); /* both: a at the last step */
    CHECK(same_language("F G a", "G F a & a", SAFERL_SHIELD_LTLF) == 0);
    CHECK(same_language("G F a", "F(a & !X true)", SAFERL_SHIELD_LTLF) == 1); /* a at the last step */
}

/* A random LTLf formula of n nodes over a, b, c.. (props of them): every future operator,
   strong X and weak N, windows with lo in 0..2. */
static void random_ltlf_formula(saferl_rng *rng, int n, int props, char *out, size_t capacity) {
    static const char *const unary[] = {"X", "N", "F", "G", "!", "F[]", "G[]"};
    static const char *const binary[] = {"U", "W", "R", "M", "&", "|", "->"};
    char left[400], right[400]; /* 15 nodes write under 200 characters */
    if (n <= 1) {
        snprintf(out, capacity, "%s%c", saferl_rng_bounded(rng, 3) == 0 ? "!" : "", 'a' + (int)saferl_rng_bounded(rng, (uint32_t)props));
    } else if (n == 2 || saferl_rng_bounded(rng, 2) == 0) {
        const char *op = unary[saferl_rng_bounded(rng, 7)];
        random_ltlf_formula(rng, n - 1, props, left, sizeof left);
        if (op[1] == '[') {
            uint32_t lo = saferl_rng_bounded(rng, 3), hi = lo + saferl_rng_bounded(rng, 3);
            snprintf(out, capacity, "%c[%u..%u](%s)", op[0], lo, hi, left);
        } else {
            snprintf(out, capacity, "%s(%s)", op, left);
        }
    } else {
        int split = 1 + (int)saferl_rng_bounded(rng, (uint32_t)(n - 2));
        random_ltlf_formula(rng, split, props, left, sizeof left);
        random_ltlf_formula(rng, n - 1 - split, props, right, sizeof right);
        snprintf(out, capacity, "(%s) %s (%s)", left, binary[saferl_rng_bounded(rng, 7)], right);
    }
}

/* LTLf: a residual with no model on finite traces (by the syntactic check: G X a, a rule
   that always leaves a strong next pending) is the rejecting sink at once. Against the
   construction without the check on seeded random formulas: the same tables wherever both
   finish, and empty languages among them, so the rule is exercised. */
TEST(ltlf_empty_languages_go_to_the_sink) {
    static const char *const empty[] = {
        "G X p", "X G F[1..2] a", "G(a -> X b) & G a", "G(G(X((X(p0)) -> (X(F[2..2](X(F[2..4](F[0..2](X(!(X(X(X(X(X(X(X(X(p2)))))))))))))))))))"};
    saferl_rng rng;
    char formula[2048];
    int i, compared = 0, empties = 0;
    for (i = 0; i < (int)(sizeof empty / sizeof empty[0]); ++i) {
        saferl_shield_dfa dfa;
        saferl_shield_error error;
        CHECK(compile_logic(empty[i], SAFERL_SHIELD_LTLF, &dfa, &error) == SAFERL_OK);
        CHECK(dfa.state_count == 1 && !(dfa.flags[0] & SAFERL_SHIELD_ACCEPTING));
        saferl_shield_dfa_destroy(&dfa);
    }
    CHECK(same_language("G(p -> X q)", "G(p -> X q) & F !p", SAFERL_SHIELD_LTLF) == 1); /* not empty: ends on !p */
    saferl_rng_seed(&rng, 41);
    for (i = 0; i < 600; ++i) {
        saferl_shield_dfa checked, plain;
        saferl_shield_error error;
        saferl_shield_desc desc;
        saferl_result r1, r2;
        int n = 4 + (int)saferl_rng_bounded(&rng, 12), props = 1 + (int)saferl_rng_bounded(&rng, 3);
        memset(&desc, 0, sizeof desc);
        desc.logic = SAFERL_SHIELD_LTLF;
        desc.max_states = 4096;
        random_ltlf_formula(&rng, n, props, formula, sizeof formula);
        r1 = saferl_shield__compile(formula, strlen(formula), &desc, &checked, &error,
                                    SAFERL_SHIELD__SIMPLIFY | SAFERL_SHIELD__EMPTY_SINK);
        r2 = saferl_shield__compile(formula, strlen(formula), &desc, &plain, &error, SAFERL_SHIELD__SIMPLIFY);
        CHECK(r1 == SAFERL_OK || r2 != SAFERL_OK); /* the check never refuses what finished */
        if (r1 == SAFERL_OK && r2 == SAFERL_OK) {
            if (checked.state_count != plain.state_count ||
                memcmp(checked.next, plain.next, (size_t)plain.state_count * plain.letter_count * sizeof(uint32_t)) != 0 ||
                memcmp(checked.flags, plain.flags, plain.state_count) != 0) {
                fprintf(stderr, "the empty-language sink changed the language of %s\n", formula);
                CHECK(0);
            }
            empties += plain.state_count == 1 && !(plain.flags[0] & SAFERL_SHIELD_ACCEPTING);
            ++compared;
        }
        if (r1 == SAFERL_OK) saferl_shield_dfa_destroy(&checked);
        if (r2 == SAFERL_OK) saferl_shield_dfa_destroy(&plain);
    }
    CHECK(compared >= 590 && empties >= 5);
    if (compared < 590 || empties < 5) fprintf(stderr, "compared %d, empty %d\n", compared, empties);
}

/* LTLf: the lengths a residual can hold on. The window and U W R M set rules against their
   definitions, length by length up to 400 (a set's bit 62 read as every length from 63 on, as the header reads
   it); then a residual that is empty only by its lengths: G(N F[0..3] X X G[2..4] X X c | X X
   b) holds on one-step traces alone (its body cannot hold two steps before the end), so every
   residual after the first step is the sink. 0.5.6 explored 2,307 residuals for it; at
   max_states 16 it compiles now. */
static int has_length_set(uint64_t set, int length) {
    return length <= 62 ? (int)((set >> (length - 1)) & 1u) : (int)((set >> 62) & 1u);
}

static uint64_t length_set_of(const int *holds, int longest) {
    uint64_t set = 0;
    int n;
    for (n = 1; n <= longest; ++n)
        if (holds[n]) set |= n <= 62 ? 1ull << (n - 1) : 1ull << 62;
    return set;
}

static uint64_t random_length_set(saferl_rng *rng) {
    uint64_t set = ((uint64_t)saferl_rng_u32(rng) << 32 | saferl_rng_u32(rng)) & ((1ull << 63) - 1);
    uint32_t kind = saferl_rng_bounded(rng, 5);
    if (kind == 0) set &= (uint64_t)saferl_rng_u32(rng) << 32 | saferl_rng_u32(rng); /* sparse */
    if (kind == 1) set = (1ull << saferl_rng_bounded(rng, 63)) - 1;                   /* 1 .. k */
    if (kind == 2) set &= ~((1ull << saferl_rng_bounded(rng, 63)) - 1);                /* k on */
    return set;
}

TEST(ltlf_lengths_follow_the_finite_trace_semantics) {
    enum { LONGEST = 400 };
    static int holds[LONGEST + 1];
    const char *one_step = "G((X(!(F[0..3](X(X(G[2..4](X(X((X(!(X(G(c))))) -> (!c)))))))))) -> (X(X(b))))";
    saferl_shield_desc desc;
    saferl_shield_dfa dfa;
    saferl_shield_error error;
    saferl_rng rng;
    saferl_result r;
    int i, n, t, op, wrong = 0;
    saferl_rng_seed(&rng, 16);
    for (i = 0; i < 3000; ++i) {
        uint64_t a = random_length_set(&rng), b = random_length_set(&rng);
        int lo = (int)saferl_rng_bounded(&rng, i % 2 ? 8 : 70);
        int hi = lo + (int)saferl_rng_bounded(&rng, i % 3 ? 6 : 150);
        for (n = 1; n <= LONGEST; ++n) { /* F[lo..hi]: a at some step lo .. hi before the end */
            holds[n] = 0;
            for (t = lo; t <= hi && t < n; ++t) holds[n] |= has_length_set(a, n - t);
        }
        wrong += saferl_shield__lengths_window_f(a, lo, hi) != length_set_of(holds, LONGEST);
        for (n = 1; n <= LONGEST; ++n) { /* G[lo..hi]: a at every such step */
            holds[n] = 1;
            for (t = lo; t <= hi && t < n; ++t) holds[n] &= has_length_set(a, n - t);
        }
        if (lo < 62) wrong += saferl_shield__lengths_window_g(a, lo, hi) != length_set_of(holds, LONGEST);
        else wrong += (length_set_of(holds, LONGEST) & ~saferl_shield__lengths_window_g(a, lo, hi)) != 0; /* a superset */
        for (op = 0; op < 4; ++op) { /* U W R M, one step at a time */
            static const uint32_t ops[4] = {SAFERL_SHIELD__UNTIL, SAFERL_SHIELD__WEAK_UNTIL, SAFERL_SHIELD__RELEASE,
                                            SAFERL_SHIELD__STRONG_RELEASE};
            for (n = 1; n <= LONGEST; ++n) {
                int x = has_length_set(a, n), y = has_length_set(b, n), later = n > 1 && holds[n - 1];
                holds[n] = op == 0 ? y || (x && later)
                         : op == 1 ? y || (x && (n == 1 || later))
                         : op == 2 ? y && (x || n == 1 || later)
                                   : y && (x || later);
            }
            wrong += saferl_shield__lengths_unfolded(ops[op], a, b) != length_set_of(holds, LONGEST);
        }
    }
    CHECK(wrong == 0);
    CHECK(same_language(one_step, "!X(b | !b)", SAFERL_SHIELD_LTLF) == 1);
    memset(&desc, 0, sizeof desc);
    desc.logic = SAFERL_SHIELD_LTLF;
    desc.max_states = 16;
    r = saferl_shield_compile(one_step, strlen(one_step), &desc, &dfa, &error);
    CHECK(r == SAFERL_OK && dfa.state_count == 3);
    if (r == SAFERL_OK) saferl_shield_dfa_destroy(&dfa);
}

/* LTLf: the sure implications between windows over one G p or F p, against their finite-trace
   semantics on every trace of 1 to 9 steps over p. In LTLf F[i..k] G p and G[i..k] F p stay
   windows (in LTL they are one step), so a rule comparing first steps alone is wrong there:
   0.5.7 took F[1..2] G p to imply G[1..1] G p, and the formula below lost the trace of ten
   steps without p and one with it (MONA accepts it; 0.5.7's 15-state automaton did not, 0.5.8's
   has 21 states). */
static int window_holds(int is_f, int lo, int hi, int inner_g, unsigned trace, int n) {
    int t, k, any = 0, all = 1;
    for (t = lo; t <= hi && t < n; ++t) {
        int inner = inner_g;
        for (k = t; k < n; ++k) inner = inner_g ? inner && ((trace >> k) & 1u) : inner || ((trace >> k) & 1u);
        any |= inner;
        all &= inner;
    }
    return is_f ? any : all;
}

TEST(ltlf_window_implications_hold_on_every_trace) {
    const char *lost = "X((!(X(X(X(X(F[1..2](F[1..3](X(G(p3)))))))))) -> (X(X(X(X(G[1..2]((X(X(X(F(!p3))))) -> (G(p2)))))))))";
    static const uint32_t lost_trace[11] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}; /* p3 at the last step */
    saferl_shield_desc desc;
    saferl_result r;
    saferl_shield_error error;
    saferl_shield_dfa dfa;
    saferl_shield__formulas f;
    uint32_t node[2][5][5][2], p, inner[2], q;
    int kind, lo, hi, g, kind2, lo2, hi2, n, unsound = 0, rules = 0;
    unsigned trace;
    memset(&desc, 0, sizeof desc);
    desc.logic = SAFERL_SHIELD_LTLF;
    CHECK(saferl_shield__formulas_start(&f, &desc, &error, &desc.allocator) == 0);
    f.finite = 1;
    p = saferl_shield__make(&f, SAFERL_SHIELD__PROP, 0, 0, 0, 0, 1, 1);
    inner[0] = saferl_shield__make(&f, SAFERL_SHIELD__EVENTUALLY, p, 0, 0, 0, 1, 1);
    inner[1] = saferl_shield__make(&f, SAFERL_SHIELD__ALWAYS, p, 0, 0, 0, 1, 1);
    for (kind = 0; kind < 2; ++kind) /* kind 1: F[lo..hi], 0: G[lo..hi]; over F p (g = 0) or G p */
        for (lo = 1; lo < 5; ++lo)
            for (hi = lo; hi < 5; ++hi)
                for (g = 0; g < 2; ++g) node[kind][lo][hi][g] = saferl_shield__window(&f, kind, lo, hi, inner[g], 1, 1);
    for (kind = 0; kind < 2; ++kind)
        for (lo = 1; lo < 5; ++lo)
            for (hi = lo; hi < 5; ++hi)
                for (g = 0; g < 2; ++g)
                    for (kind2 = 0; kind2 < 2; ++kind2)
                        for (lo2 = 1; lo2 < 5; ++lo2)
                            for (hi2 = lo2; hi2 < 5; ++hi2) {
                                uint32_t x = node[kind][lo][hi][g], y = node[kind2][lo2][hi2][g];
                                if (x == y || !saferl_shield__implies(&f, x, y)) continue;
                                ++rules;
                                for (n = 1; n <= 9; ++n)
                                    for (trace = 0; trace < (1u << n); ++trace)
                                        unsound += window_holds(kind, lo, hi, g, trace, n) &&
                                                   !window_holds(kind2, lo2, hi2, g, trace, n);
                            }
    saferl_shield__formulas_free(&f);
    CHECK(rules > 0);
    CHECK(unsound == 0);
    r = saferl_shield_compile(lost, strlen(lost), &desc, &dfa, &error); /* p3 is bit 0, p2 bit 1 */
    CHECK(r == SAFERL_OK);
    if (r == SAFERL_OK) {
        for (q = dfa.initial, n = 0; n < 11; ++n) q = saferl_shield_next(&dfa, q, lost_trace[n]);
        CHECK((dfa.flags[q] & SAFERL_SHIELD_ACCEPTING) != 0);
        CHECK(dfa.state_count == 21);
        saferl_shield_dfa_destroy(&dfa);
    }
}

TEST(safeguards_by_hand_keep_stable_ids_and_stages) {
    /* minecraft_2 of the Progressive Safeguards code: 0 --wood--> 1; creeper or lava: the
       sink. Built on caller memory, stage = the task level. */
    static unsigned char memory[4096];
    saferl_shield_dfa dfa, min;
    uint32_t q, letter;
    size_t size = saferl_shield_dfa_memory_size(3, 3, 0);
    CHECK(size > 0 && size <= sizeof memory);
    CHECK(saferl_shield_dfa_init(&dfa, 3, 3, 0, memory, sizeof memory) == SAFERL_OK);
    CHECK(saferl_shield_dfa_set_prop(&dfa, 0, "wood", 4) == SAFERL_OK);
    CHECK(saferl_shield_dfa_set_prop(&dfa, 1, "creeper", 9) == SAFERL_OK);
    CHECK(saferl_shield_dfa_set_prop(&dfa, 2, "lava", 30) == SAFERL_OK);
    dfa.sink = 2;
    dfa.flags[2] = 0;
    for (q = 0; q < 2; ++q)
        for (letter = 0; letter < 8; ++letter) {
            uint32_t next = q;
            if (letter & 6u) next = 2;
            else if (q == 0 && (letter & 1u)) next = 1;
            dfa.next[(q << 3) | letter] = next;
        }
    dfa.stage[1] = 1;
    CHECK(saferl_shield_dfa_finish(&dfa) == SAFERL_OK);
    CHECK(saferl_shield_next(&dfa, 0, 1u << 4) == 1);
    CHECK(saferl_shield_next(&dfa, 1, (1u << 4) | (1u << 30)) == 2);
    CHECK(saferl_shield_next(&dfa, 1, (1u << 4) | (1u << 7)) == 1); /* bits it does not read */
    CHECK(saferl_shield_minimize(&dfa, &min, NULL) == SAFERL_OK);
    CHECK(min.state_count == 3 && min.stage[saferl_shield_next(&min, 0, 1u << 4)] == 1);
    saferl_shield_dfa_destroy(&min);
    /* merging states of different stages is refused by minimisation: same language, 2 stages */
    dfa.next[(1 << 3) | 0] = 1;
    CHECK(saferl_shield_minimize(&dfa, &min, NULL) == SAFERL_OK);
    CHECK(min.state_count == 3);
    saferl_shield_dfa_destroy(&min);
    dfa.stage[1] = 0;
    CHECK(saferl_shield_minimize(&dfa, &min, NULL) == SAFERL_OK);
    CHECK(min.state_count == 2);
    saferl_shield_dfa_destroy(&min);
    /* finish refuses a sink that leaves, or out-of-range successors */
    dfa.next[(2 << 3) | 1] = 0;
    CHECK(saferl_shield_dfa_finish(&dfa) == SAFERL_ERR_INVALID_ARGUMENT);
    dfa.next[(2 << 3) | 1] = 7;
    CHECK(saferl_shield_dfa_finish(&dfa) == SAFERL_ERR_INVALID_ARGUMENT);
    dfa.next[(2 << 3) | 1] = 2;
    CHECK(saferl_shield_dfa_finish(&dfa) == SAFERL_OK);
    CHECK(saferl_shield_dfa_init(&dfa, 3, 3, 0, memory, 10) == SAFERL_ERR_BUFFER_TOO_SMALL);
    CHECK(saferl_shield_dfa_init(&dfa, 3, 17, 0, memory, sizeof memory) == SAFERL_ERR_INVALID_ARGUMENT);
}

TEST(dot_export) {
    saferl_shield_dfa dfa;
    size_t length;
    CHECK(compile("G(lava -> X !lava)", &dfa) == SAFERL_OK);
    CHECK(saferl_shield_write_dot(&dfa, "rule", text, sizeof text, &length) == SAFERL_OK);
    CHECK(strstr(text, "digraph") != NULL && strstr(text, "violation") != NULL);
    CHECK(strstr(text, "q0 -> q1 [label=\"lava\"]") != NULL);
    CHECK(strstr(text, "q1 -> q2 [label=\"lava\", color=") != NULL);
    CHECK(strstr(text, "q0 -> q0 [label=\"!lava\"]") != NULL);
    saferl_shield_dfa_destroy(&dfa);
}

TEST(monitors_share_tables_and_never_allocate) {
    saferl_shield_dfa dfa;
    saferl_shield_monitor monitors[8];
    saferl_rng rng;
    uint32_t i, k, violations = 0;
#ifdef SAFERL_TEST_COUNTING_ALLOCATOR
    long before;
#endif
    CHECK(compile("G(a -> X !a) & G(b -> X[2] c) & G(d -> F[1..3] !d)", &dfa) == SAFERL_OK);
    for (k = 0; k < 8; ++k) saferl_shield_monitor_init(&monitors[k], &dfa, 0.1, -0.1);
    saferl_rng_seed(&rng, 5);
#ifdef SAFERL_TEST_COUNTING_ALLOCATOR
    before = saferl_test_allocations;
#endif
    for (i = 0; i < 100000; ++i)
        for (k = 0; k < 8; ++k) {
            double reward;
            saferl_shield_monitor_step(&monitors[k], saferl_rng_u32(&rng), &reward);
            if (saferl_shield_monitor_violated(&monitors[k])) {
                ++violations;
                saferl_shield_monitor_reset(&monitors[k]);
            }
        }
#ifdef SAFERL_TEST_COUNTING_ALLOCATOR
    CHECK(saferl_test_allocations == before);
#endif
    CHECK(violations > 1000);
    saferl_shield_dfa_destroy(&dfa);
}

/* ---- part 2: shields -------------------------------------------------------------------------- */

/* A random automaton over 2 propositions with a sink, and a random abstraction, on static
   memory: small enough to decide the game by its definition. */
typedef struct small_game {
    saferl_shield_dfa dfa;
    saferl_shield_abstraction abstraction;
    uint32_t label[8], offset[8 * 3 + 1], successor[8 * 3 * 8];
    double probability[8 * 3 * 8];
    unsigned char dfa_memory[1024];
} small_game;

static void random_small_game(small_game *g, saferl_rng *rng, int probabilistic) {
    uint32_t Q = 2 + saferl_rng_bounded(rng, 3), S = 1 + saferl_rng_bounded(rng, 7), A = 1 + saferl_rng_bounded(rng, 3);
    uint32_t q, letter, s, a, e = 0;
    CHECK(saferl_shield_dfa_init(&g->dfa, Q, 2, 0, g->dfa_memory, sizeof g->dfa_memory) == SAFERL_OK);
    g->dfa.sink = Q - 1;
    g->dfa.flags[Q - 1] = 0;
    for (q = 0; q + 1 < Q; ++q)
        for (letter = 0; letter < 4; ++letter)
            g->dfa.next[(q << 2) | letter] = saferl_rng_bounded(rng, 5) == 0 ? Q - 1 : saferl_rng_bounded(rng, Q - 1);
    CHECK(saferl_shield_dfa_finish(&g->dfa) == SAFERL_OK);
    memset(&g->abstraction, 0, sizeof g->abstraction);
    for (s = 0; s < S; ++s) {
        g->label[s] = saferl_rng_bounded(rng, 4);
        for (a = 0; a < A; ++a) {
            uint32_t first = e, t;
            g->offset[s * A + a] = e;
            for (t = 0; t < S; ++t)
                if (saferl_rng_bounded(rng, 3) == 0) g->successor[e++] = t;
            if (probabilistic && e == first) g->successor[e++] = saferl_rng_bounded(rng, S);
            for (t = first; t < e; ++t) g->probability[t] = 1.0 / (e - first);
        }
    }
    g->offset[S * A] = e;
    g->abstraction.state_count = S;
    g->abstraction.action_count = A;
    g->abstraction.initial = saferl_rng_bounded(rng, S);
    g->abstraction.label = g->label;
    g->abstraction.offset = g->offset;
    g->abstraction.successor = g->successor;
    g->abstraction.probability = probabilistic ? g->probability : NULL;
}

/* The definition: survive_k(s, q) = q is not the sink and, for k > 0, some available action
   has every successor surviving k - 1 more steps; W = survive_{|G|} (the sequence is
   decreasing, so it is constant from |G| steps on). */
static void brute_force_winning(const small_game *g, unsigned char *win) {
    const saferl_shield_abstraction *ab = &g->abstraction;
    uint32_t Q = g->dfa.state_count, S = ab->state_count, A = ab->action_count, k, s, q, a, e;
    unsigned char previous[64];
    for (s = 0; s < S; ++s)
        for (q = 0; q < Q; ++q) win[s * Q + q] = q != g->dfa.sink;
    for (k = 1; k <= S * Q + 1; ++k) {
        memcpy(previous, win, (size_t)S * Q);
        for (s = 0; s < S; ++s)
            for (q = 0; q < Q; ++q) {
                int some = 0;
                for (a = 0; a < A && !some; ++a) {
                    int all = ab->offset[s * A + a + 1] > ab->offset[s * A + a];
                    for (e = ab->offset[s * A + a]; e < ab->offset[s * A + a + 1]; ++e) {
                        uint32_t t = ab->successor[e];
                        if (!previous[t * Q + saferl_shield_next(&g->dfa, q, ab->label[t])]) all = 0;
                    }
                    some = all;
                }
                win[s * Q + q] = q != g->dfa.sink && some;
            }
    }
}

TEST(preemptive_shield_is_the_winning_strategies_by_brute_force) {
    static small_game g;
    static unsigned char memory[1 << 16];
    saferl_rng rng;
    uint32_t trial, games_with_losing = 0, games_winning = 0, blocked_checked = 0;
    saferl_rng_seed(&rng, 11);
    for (trial = 0; trial < 600; ++trial) {
        saferl_shield_game game;
        saferl_shield_error error;
        unsigned char win[64];
        uint32_t Q, S, A, s, q, a, e, winning = 0;
        saferl_result r;
        random_small_game(&g, &rng, 0);
        Q = g.dfa.state_count;
        S = g.abstraction.state_count;
        A = g.abstraction.action_count;
        CHECK(saferl_shield_game_memory_size(&g.abstraction, &g.dfa, NULL) <= sizeof memory);
        r = saferl_shield_game_init(&game, &g.abstraction, &g.dfa, NULL, memory, sizeof memory, &error);
        brute_force_winning(&g, win);
        for (s = 0; s < S; ++s)
            for (q = 0; q < Q; ++q) {
                uint32_t expected = 0;
                winning += win[s * Q + q];
                CHECK((game.losing_rank[s * Q + q] == 0) == win[s * Q + q]);
                if (win[s * Q + q])
                    for (a = 0; a < A; ++a) {
                        int all = g.offset[s * A + a + 1] > g.offset[s * A + a];
                        for (e = g.offset[s * A + a]; e < g.offset[s * A + a + 1]; ++e) {
                            uint32_t t = g.successor[e];
                            if (!win[t * Q + saferl_shield_next(&g.dfa, q, g.label[t])]) all = 0;
                        }
                        if (all) expected |= 1u << a;
                    }
                CHECK(saferl_shield_game_allowed(&game, s, q) == expected); /* blocks no safe action */
                blocked_checked += expected != 0;
            }
        CHECK(game.winning_count == winning);
        CHECK(r == SAFERL_OK && error.message[0] == '\0'); /* unrealisable is a result, not an error */
        CHECK(saferl_shield_game_realisable(&game, &error) == game.initial_winning);
        CHECK(game.initial_winning == !game.losing_rank[game.initial]);
        CHECK(game.initial_winning || strstr(error.message, "unrealisable") != NULL);
        games_with_losing += winning < S * Q - 1;
        games_winning += (uint32_t)game.initial_winning;
    }
    CHECK(games_with_losing > 100 && games_winning > 100); /* both kinds were exercised */
    CHECK(blocked_checked > 1000);
}

TEST(shielded_play_never_violates_on_small_games) {
    static small_game g;
    static unsigned char memory[1 << 16];
    saferl_rng rng;
    uint32_t trial, steps = 0;
    saferl_rng_seed(&rng, 12);
    for (trial = 0; trial < 300; ++trial) {
        saferl_shield_game game;
        uint32_t s, q, i;
        random_small_game(&g, &rng, 0);
        if (saferl_shield_game_init(&game, &g.abstraction, &g.dfa, NULL, memory, sizeof memory, NULL) != SAFERL_OK ||
            !saferl_shield_game_realisable(&game, NULL))
            continue;
        s = g.abstraction.initial;
        q = saferl_shield_next(&g.dfa, g.dfa.initial, g.label[s]);
        for (i = 0; i < 200; ++i) {
            uint32_t mask = saferl_shield_game_allowed(&game, s, q), a, n, pair;
            CHECK(mask != 0);
            if (!mask) break;
            do a = saferl_rng_bounded(&rng, g.abstraction.action_count);
            while (!((mask >> a) & 1u));
            pair = s * g.abstraction.action_count + a;
            n = g.offset[pair + 1] - g.offset[pair];
            s = g.successor[g.offset[pair] + saferl_rng_bounded(&rng, n)]; /* any successor: the adversary */
            q = saferl_shield_next(&g.dfa, q, g.label[s]);
            CHECK(q != g.dfa.sink);
            ++steps;
        }
    }
    CHECK(steps > 10000);
}

/* A corridor 0 - 1 - 2 with lava at 2: from 1, "right" may slip into the lava. */
static void corridor(saferl_shield_abstraction *ab, uint32_t *label, uint32_t *offset, uint32_t *successor,
                     double *probability) {
    /* actions: 0 left, 1 right; state 1 right: 2 with 0.25, 1 with 0.75 */
    static const uint32_t off[7] = {0, 1, 2, 3, 5, 6, 7};
    static const uint32_t succ[7] = {0, 1, 0, 1, 2, 2, 2};
    static const double prob[7] = {1, 1, 1, 0.75, 0.25, 1, 1};
    memcpy(offset, off, sizeof off);
    memcpy(successor, succ, sizeof succ);
    memcpy(probability, prob, sizeof prob);
    label[0] = 0;
    label[1] = 0;
    label[2] = 1; /* lava at bit 0 */
    memset(ab, 0, sizeof *ab);
    ab->state_count = 3;
    ab->action_count = 2;
    ab->initial = 0;
    ab->label = label;
    ab->offset = offset;
    ab->successor = successor;
    ab->probability = probability;
}

TEST(post_posed_and_probabilistic_shields) {
    saferl_shield_abstraction ab;
    saferl_shield_dfa dfa;
    saferl_shield_game game;
    saferl_shield_game_desc desc;
    uint32_t label[3], offset[7], successor[7], ranked[2];
    double probability[7];
    int corrected;
    CHECK(compile("G !lava", &dfa) == SAFERL_OK); /* q0 safe, q1 sink */
    corridor(&ab, label, offset, successor, probability);
    memset(&desc, 0, sizeof desc);
    desc.horizon = 3;
    desc.threshold = 0.7;
    CHECK(saferl_shield_game_create(&game, &ab, &dfa, &desc, NULL, NULL) == SAFERL_OK);
    CHECK(game.winning_count == 2 && game.losing_rank[2 * 2 + 1] == 1);
    CHECK(saferl_shield_game_allowed(&game, 0, 0) == 3u);  /* right from 0 reaches 1: safe */
    CHECK(saferl_shield_game_allowed(&game, 1, 0) == 1u);  /* right from 1 may slip into lava */
    /* post-posed: the agent prefers right; the shield substitutes its next choice, left */
    ranked[0] = 1;
    ranked[1] = 0;
    CHECK(saferl_shield_game_correct(&game, NULL, 1, 0, ranked, 2, &corrected) == 0 && corrected == 1);
    CHECK(saferl_shield_game_correct(&game, NULL, 0, 0, ranked, 2, &corrected) == 1 && corrected == 0);
    /* a ranking of unsafe actions only: the fixed fallback, the lowest allowed action */
    CHECK(saferl_shield_game_correct(&game, NULL, 1, 0, ranked, 1, &corrected) == 0 && corrected == 1);
    /* out of W nothing is safe */
    CHECK(saferl_shield_game_correct(&game, NULL, 2, 1, ranked, 2, &corrected) == 1 && corrected == -1);
    /* probabilistic, by hand: right from 1 stays safe for one step w.p. 0.75, then (left, the
       safest) surely: 0.75 over any horizon; 0.75 >= 0.7 allows it, 0.8 would not */
    CHECK_NEAR(game.safety[1 * 2 + 0], 1.0, 1e-15);
    CHECK(game.allowed_probably[1 * 2 + 0] == 3u);
    saferl_shield_game_destroy(&game);
    desc.threshold = 0.8;
    CHECK(saferl_shield_game_create(&game, &ab, &dfa, &desc, NULL, NULL) == SAFERL_OK);
    /* below the threshold everywhere: (2, 0), lava with a safe automaton state, unreachable */
    CHECK(game.allowed_probably[1 * 2 + 0] == 1u && game.below_threshold == 1);
    saferl_shield_game_destroy(&game);
    /* a horizon-1 shield from 1 under "right" forced: 0.75; safest only, when nothing passes */
    offset[2] = 1; /* state 1 "left" now empty: not available */
    offset[1] = 1;
    {
        static const uint32_t off2[7] = {0, 1, 2, 2, 4, 5, 6};
        static const uint32_t succ2[6] = {0, 1, 1, 2, 2, 2};
        static const double prob2[6] = {1, 1, 0.75, 0.25, 1, 1};
        memcpy(offset, off2, sizeof off2);
        memcpy(successor, succ2, sizeof succ2);
        memcpy(probability, prob2, sizeof prob2);
    }
    desc.horizon = 1;
    CHECK(saferl_shield_game_create(&game, &ab, &dfa, &desc, NULL, NULL) == SAFERL_OK);
    CHECK(game.losing_rank[1 * 2 + 0] == 2 && game.allowed[1 * 2 + 0] == 0);
    CHECK(game.allowed[0] == 1u); /* from 0 only left: right leads to a losing state */
    CHECK_NEAR(game.safety[1 * 2 + 0], 0.75, 1e-15);
    CHECK(game.allowed_probably[1 * 2 + 0] == 2u && game.below_threshold == 2);
    saferl_shield_game_destroy(&game);
    saferl_shield_dfa_destroy(&dfa);
}

/* Counts what is taken from and given back to the allocator; refuses every request once
   "budget" allocations have been made (-1: never), and the one request numbered fail_at
   (counted from 1 in attempts; 0: none). */
typedef struct counting {
    long allocations, releases, budget, fail_at, attempts, built;
} counting;
static void *counting_allocate(size_t size, void *user_data) {
    counting *c = (counting *)user_data;
    if (++c->attempts == c->fail_at) return NULL;
    if (c->budget >= 0 && c->allocations >= c->budget) return NULL;
    ++c->allocations;
    return malloc(size);
}
static void counting_release(void *pointer, void *user_data) {
    ++((counting *)user_data)->releases;
    free(pointer);
}

/* The family rule: a negative result changes nothing. Every refused create (a bad threshold,
   a dangling successor, probabilities that do not sum to 1, no memory) leaves the game's
   bytes as they were and gives back everything it took; an unrealisable game is SAFERL_OK,
   owns its memory, and destroy returns it. */
TEST(a_refused_game_leaves_nothing) {
    saferl_shield_abstraction ab;
    saferl_shield_dfa dfa;
    saferl_shield_game game, before;
    saferl_shield_game_desc desc;
    saferl_shield_error error;
    saferl_allocator allocator;
    counting count = {0, 0, -1, 0, 0, 0};
    uint32_t label[3], offset[7], successor[7], kase;
    double probability[7];
    CHECK(compile("G !lava", &dfa) == SAFERL_OK);
    allocator.allocate = counting_allocate;
    allocator.release = counting_release;
    allocator.user_data = &count;
    for (kase = 0; kase < 4; ++kase) {
        corridor(&ab, label, offset, successor, probability);
        memset(&desc, 0, sizeof desc);
        desc.horizon = 2;
        desc.threshold = 0.5;
        if (kase == 0) desc.threshold = -0.25;
        if (kase == 1) successor[3] = 9;
        if (kase == 2) probability[3] = 0.5;
        count.budget = kase == 3 ? 0 : -1;
        memset(&game, 0x5A, sizeof game);
        before = game;
        CHECK(saferl_shield_game_create(&game, &ab, &dfa, &desc, &allocator, &error) < 0);
        CHECK(memcmp(&game, &before, sizeof game) == 0 && error.message[0] != '\0');
        CHECK(count.allocations == count.releases);
    }
    /* unrealisable: the start is lava; a usable game, released by destroy */
    corridor(&ab, label, offset, successor, probability);
    ab.initial = 2;
    count.budget = -1;
    CHECK(saferl_shield_game_create(&game, &ab, &dfa, &desc, &allocator, &error) == SAFERL_OK);
    CHECK(count.allocations == count.releases + 1 && !saferl_shield_game_realisable(&game, NULL));
    CHECK(game.allowed_probably != NULL && game.safety[game.initial] == 0.0);
    saferl_shield_game_destroy(&game);
    CHECK(count.allocations == count.releases);
    saferl_shield_dfa_destroy(&dfa);
}

TEST(unrealisable_specifications_say_where) {
    saferl_shield_abstraction ab;
    saferl_shield_dfa dfa;
    saferl_shield_game game;
    saferl_shield_error error;
    uint32_t label[3], offset[7], successor[7];
    double probability[7];
    size_t length;
    CHECK(compile("G !lava", &dfa) == SAFERL_OK);
    corridor(&ab, label, offset, successor, probability);
    ab.probability = NULL;
    ab.initial = 2; /* starting in the lava */
    CHECK(saferl_shield_game_create(&game, &ab, &dfa, NULL, NULL, &error) == SAFERL_OK);
    CHECK(saferl_shield_game_realisable(&game, NULL) == 0);
    CHECK(saferl_shield_game_realisable(&game, &error) == 0);
    CHECK(strstr(error.message, "unrealisable") != NULL && strstr(error.message, "abstraction state 2") != NULL);
    CHECK(game.initial_winning == 0 && game.winning_count == 2);
    CHECK(saferl_shield_game_explain(&game, text, sizeof text, &length) == SAFERL_OK);
    CHECK(strncmp(text, "unrealisable", 12) == 0 && strstr(text, "within 0 steps") != NULL);
    saferl_shield_game_destroy(&game);
    /* a slip everywhere into the lava: W is empty, and the explanation lists where it fails */
    successor[0] = 2;
    successor[1] = 2;
    successor[2] = 2;
    successor[3] = 2;
    ab.initial = 0;
    CHECK(saferl_shield_game_create(&game, &ab, &dfa, NULL, NULL, &error) == SAFERL_OK);
    CHECK(game.winning_count == 0 && !saferl_shield_game_realisable(&game, &error));
    CHECK(strstr(error.message, "within 1 steps") != NULL);
    CHECK(saferl_shield_game_explain(&game, text, sizeof text, &length) == SAFERL_OK);
    CHECK(strstr(text, "within 1 steps") != NULL && strstr(text, "  0, 0: 1") != NULL);
    saferl_shield_game_destroy(&game);
    /* a dangling successor is refused, naming it */
    successor[4] = 7;
    CHECK(saferl_shield_game_create(&game, &ab, &dfa, NULL, NULL, &error) == SAFERL_ERR_INVALID_ARGUMENT);
    CHECK(strstr(error.message, "state 1 action 1: successor 7 is not a state (0 .. 2)") != NULL);
    saferl_shield_dfa_destroy(&dfa);
}

TEST(abstraction_text) {
    const char *good = "# a corridor\nstates 3 actions 2 initial 0\nlabel 2 lava\n0 0: 0\n0 1: 1\n1 0: 0\n"
                       "1 1: 1@0.75 2@0.25\n2 0: 2\n2 1: 2\n";
    saferl_shield_abstraction ab;
    saferl_shield_error error;
    saferl_shield_dfa dfa;
    saferl_shield_game game;
    saferl_shield_game_desc desc;
    CHECK(saferl_shield_read_abstraction(good, strlen(good), NULL, &ab, &error) == SAFERL_OK);
    CHECK(ab.state_count == 3 && ab.action_count == 2 && ab.label[2] == 1u && strcmp(ab.prop_name[0], "lava") == 0);
    CHECK(ab.offset[3] == 3 && ab.offset[4] == 5 && ab.offset[6] == 7 && ab.successor[4] == 2 && ab.probability[4] == 0.25);
    CHECK(compile("G !lava", &dfa) == SAFERL_OK);
    memset(&desc, 0, sizeof desc);
    desc.horizon = 2;
    desc.threshold = 0.7;
    CHECK(saferl_shield_game_create(&game, &ab, &dfa, &desc, NULL, NULL) == SAFERL_OK);
    CHECK(game.allowed[1 * 2] == 1u && game.allowed_probably[1 * 2] == 3u); /* 0.75 >= 0.7 */
    saferl_shield_game_destroy(&game);
    saferl_shield_dfa_destroy(&dfa);
    saferl_shield_abstraction_destroy(&ab);
#define REFUSED(t, l, c, fragment)                                                                       \
    do {                                                                                                 \
        CHECK(saferl_shield_read_abstraction(t, strlen(t), NULL, &ab, &error) == SAFERL_ERR_PARSE);      \
        CHECK(error.line == (l) && error.column == (c) && strstr(error.message, fragment) != NULL);      \
    } while (0)
    REFUSED("states 2 actions 1 initial 0\n0 0: 1\n1 0: 0 5\n", 3, 8, "dangling successor");
    REFUSED("states 2 actions 1 initial 0\n0 0: 1\n0 0: 0\n", 3, 5, "already");
    REFUSED("states 2 actions 1 initial 0\n0 0: 1@0.5 0@0.4\n", 2, 17, "sum to 1");
    REFUSED("states 2 actions 1 initial 0\n0 0: 1@0.5 0\n", 2, 13, "every successor of a line");
    REFUSED("states 2 actions 1 initial 0\n0 0: 1 0\n1 0: 1@1\n", 2, 6, "without probabilities");
    REFUSED("states 2 actions 40 initial 0\n", 1, 18, "actions A");
    REFUSED("label 0 a\n", 1, 1, "states N");
    REFUSED("states 2 actions 1 initial 0\n0 1: 1\n", 2, 3, "action");
#undef REFUSED
}

TEST(gridworlds_from_text_and_pixels) {
    uint32_t legend_count, x, y;
    const saferl_shield_legend_entry *legend = saferl_shield_minecraft_legend(&legend_count);
    const char *map = saferl_shield_minecraft_map();
    saferl_shield_grid grid, image_grid;
    saferl_shield_error error;
    static uint8_t pixels[12 * 10 * 4];
    CHECK(saferl_shield_grid_read_text(map, strlen(map), legend, legend_count, &grid, NULL, &error) == SAFERL_OK);
    CHECK(grid.width == 12 && grid.height == 10 && grid.start == 1 * 12 + 1);
    CHECK(grid.label[1 * 12 + 8] == 1u && grid.label[1 * 12 + 10] == (1u << 6) && grid.label[1 * 12 + 4] == (1u << 2));
    /* moves: walls stop, up from the start is a wall */
    CHECK(saferl_shield_grid_move(&grid, grid.start, SAFERL_SHIELD_UP) == grid.start);
    CHECK(saferl_shield_grid_move(&grid, grid.start, SAFERL_SHIELD_RIGHT) == grid.start + 1);
    CHECK(saferl_shield_grid_move(&grid, grid.start, SAFERL_SHIELD_DOWN) == grid.start + 12);
    /* the same map as an image */
    for (y = 0; y < 10; ++y)
        for (x = 0; x < 12; ++x) memcpy(pixels + 4 * (y * 12 + x), legend[grid.kind[y * 12 + x]].rgba, 4);
    CHECK(saferl_shield_grid_read_rgba(pixels, 12, 10, legend, legend_count, &image_grid, NULL, &error) == SAFERL_OK);
    CHECK(memcmp(image_grid.label, grid.label, 120 * sizeof(uint32_t)) == 0 && image_grid.start == grid.start);
    saferl_shield_grid_destroy(&image_grid);
    pixels[4 * (3 * 12 + 5) + 1] = 1; /* a colour outside the legend at x 5, y 3 */
    CHECK(saferl_shield_grid_read_rgba(pixels, 12, 10, legend, legend_count, &image_grid, NULL, &error) == SAFERL_ERR_PARSE);
    CHECK(error.line == 4 && error.column == 6 && strstr(error.message, "#ff01ff") != NULL);
    CHECK(saferl_shield_grid_read_text("##\n#.\n", 6, legend, legend_count, &image_grid, NULL, &error) == SAFERL_ERR_PARSE);
    CHECK(strstr(error.message, "no start") != NULL);
    CHECK(saferl_shield_grid_read_text("#S.\n#.?\n", 8, legend, legend_count, &image_grid, NULL, &error) == SAFERL_ERR_PARSE);
    CHECK(error.line == 2 && error.column == 3 && strstr(error.message, "'?'") != NULL);
    CHECK(saferl_shield_grid_read_text("SS\n..\n", 6, legend, legend_count, &image_grid, NULL, &error) == SAFERL_ERR_PARSE);
    CHECK(error.line == 1 && error.column == 2 && strstr(error.message, "second start") != NULL);
    saferl_shield_grid_destroy(&grid);
}

/* The four safeguards: stable ids, nested behaviour, the relaxations of the code. */
TEST(minecraft_safeguards_follow_the_code) {
    static unsigned char memory[4][4096];
    saferl_shield_dfa level[4];
    uint32_t k, lava = 1, creeper = 2, wood = 4, bench = 8, iron = 16, smith = 32;
    for (k = 0; k < 4; ++k) CHECK(saferl_shield_minecraft_safeguard(k, &level[k], memory[k], sizeof memory[k]) == SAFERL_OK);
    CHECK(saferl_shield_next(&level[0], 0, wood) == 0 && saferl_shield_next(&level[0], 0, lava) == 5);
    CHECK(saferl_shield_next(&level[1], 0, wood) == 1 && saferl_shield_next(&level[1], 1, bench) == 1);
    CHECK(saferl_shield_next(&level[2], 1, bench) == 2 && saferl_shield_next(&level[2], 2, lava) == 2);
    CHECK(saferl_shield_next(&level[2], 2, creeper) == 5 && saferl_shield_next(&level[2], 1, iron) == 1);
    CHECK(saferl_shield_next(&level[3], 1, iron) == 3 && saferl_shield_next(&level[3], 3, smith) == 4);
    CHECK(saferl_shield_next(&level[3], 4, creeper) == 4 && saferl_shield_next(&level[3], 4, lava) == 5);
    CHECK(saferl_shield_next(&level[3], 3, lava) == 5 && saferl_shield_next(&level[3], 2, iron) == 2);
    CHECK(saferl_shield_minecraft_states(0) == 1 && saferl_shield_minecraft_states(3) == 5);
    for (k = 0; k < 4; ++k) CHECK(level[k].sink == 5 && level[k].stage[4] == 4);
}

/* A shielded agent on the Minecraft world with item placement: never a violation of the
   final safeguard, on every seed, and no allocation inside the loop (the game is solved again
   on its own memory each episode, after the items moved). With SlipperyGrid's slips (any
   direction) the sure game is unrealisable on this map, and says so: the environment can
   walk the agent into the lava one slip at a time. */
TEST(shielded_agent_never_violates_on_the_gridworld) {
    static unsigned char dfa_memory[4096], base_memory[2048], grid_memory[2048], table_memory[40000],
        game_memory[1 << 18];
    static uint32_t offset[120 * 5 + 1], successor[120 * 25];
    static double probability[120 * 25];
    uint32_t legend_count, seed, violations = 0, episodes = 0, goals = 0, steps_total = 0;
    const saferl_shield_legend_entry *legend = saferl_shield_minecraft_legend(&legend_count);
    const char *map = saferl_shield_minecraft_map();
    saferl_shield_grid parsed, base, grid;
    saferl_shield_dfa final_rule;
    saferl_shield_abstraction ab;
    saferl_shield_qtable table;
    saferl_shield_game game;
    saferl_shield_error error;
#ifdef SAFERL_TEST_COUNTING_ALLOCATOR
    long before;
#endif
    CHECK(saferl_shield_grid_read_text(map, strlen(map), legend, legend_count, &parsed, NULL, NULL) == SAFERL_OK);
    CHECK(saferl_shield_grid_init(&base, 12, 10, legend, legend_count, base_memory, sizeof base_memory) == SAFERL_OK);
    memcpy(base.kind, parsed.kind, 120);
    CHECK(saferl_shield_grid_finish(&base, NULL) == SAFERL_OK);
    saferl_shield_grid_destroy(&parsed);
    CHECK(saferl_shield_grid_init(&grid, 12, 10, legend, legend_count, grid_memory, sizeof grid_memory) == SAFERL_OK);
    CHECK(saferl_shield_minecraft_safeguard(3, &final_rule, dfa_memory, sizeof dfa_memory) == SAFERL_OK);
    saferl_shield_grid_place_items(&grid, &base, 0.0, NULL);
    saferl_shield_grid_abstraction(&grid, SAFERL_SHIELD_MINECRAFT_SLIP, &ab, offset, successor, probability);
    CHECK(saferl_shield_game_memory_size(&ab, &final_rule, NULL) <= sizeof game_memory);
    CHECK(saferl_shield_game_init(&game, &ab, &final_rule, NULL, game_memory, sizeof game_memory, &error) ==
          SAFERL_OK);
    CHECK(!saferl_shield_game_realisable(&game, &error));
    CHECK(strstr(error.message, "unrealisable") != NULL && game.losing_rank[game.initial] > 2);
    saferl_shield_grid_abstraction(&grid, 0.0, &ab, offset, successor, probability);
    CHECK(saferl_shield_game_solve(&game, &ab, &final_rule, NULL) == SAFERL_OK);
    /* the cells next to the lava lose in state 0 (no wood yet) only if a move must enter it:
       with exact moves, stepping beside lava is safe */
    CHECK(saferl_shield_game_allowed(&game, 1 * 12 + 7, 0) == ((1u << SAFERL_SHIELD_UP) | (1u << SAFERL_SHIELD_LEFT) |
                                                              (1u << SAFERL_SHIELD_DOWN) | (1u << SAFERL_SHIELD_STAY)));
    CHECK(saferl_shield_game_allowed(&game, 1 * 12 + 7, 2) == 31u); /* wood and bench: lava allowed */
    CHECK(saferl_shield_qtable_init(&table, 120, 6, 5, table_memory, sizeof table_memory) == SAFERL_OK);
#ifdef SAFERL_TEST_COUNTING_ALLOCATOR
    before = saferl_test_allocations;
#endif
    for (seed = 1; seed <= 8; ++seed) {
        saferl_rng rng;
        uint32_t episode;
        saferl_rng_seed(&rng, seed);
        for (episode = 0; episode < 60; ++episode) {
            uint32_t s, q, t;
            saferl_shield_grid_place_items(&grid, &base, SAFERL_SHIELD_MINECRAFT_SHIFT, &rng);
            if (saferl_shield_game_solve(&game, &ab, &final_rule, NULL) != SAFERL_OK ||
                !saferl_shield_game_realisable(&game, NULL)) {
                CHECK(0); /* the start is winning on every placement of this map */
                continue;
            }
            ++episodes;
            s = grid.start;
            q = saferl_shield_next(&final_rule, final_rule.initial, grid.label[s]);
            for (t = 0; t < 100; ++t) {
                uint32_t a = saferl_shield_qtable_act(&table, s, q, saferl_shield_game_allowed(&game, s, q), 0.3, &rng);
                uint32_t s2 = saferl_shield_grid_step(&grid, s, a, 0.0, &rng);
                uint32_t q2 = saferl_shield_next(&final_rule, q, grid.label[s2]);
                int goal = (legend[grid.kind[s2]].flags & SAFERL_SHIELD_CELL_GOAL) != 0;
                saferl_shield_qtable_update_crm(&table, &final_rule, 5, s, a, s2, grid.label[s2], goal ? 1.0 : 0.0, goal);
                ++steps_total;
                if (q2 == final_rule.sink) ++violations;
                s = s2;
                q = q2;
                if (goal) {
                    ++goals;
                    break;
                }
            }
        }
    }
#ifdef SAFERL_TEST_COUNTING_ALLOCATOR
    CHECK(saferl_test_allocations == before);
#endif
    CHECK(episodes == 480 && violations == 0);
    CHECK(steps_total > 10000);
    CHECK(goals > 0); /* the shield lets it cross the lava once allowed */
}

TEST(crm_updates_every_automaton_state_and_transfer_averages) {
    static unsigned char memory[4096], table_memory[8192];
    saferl_shield_dfa rule;
    saferl_shield_qtable table;
    uint32_t ranked[5];
    CHECK(saferl_shield_minecraft_safeguard(3, &rule, memory, sizeof memory) == SAFERL_OK);
    CHECK(saferl_shield_qtable_init(&table, 4, 6, 5, table_memory, sizeof table_memory) == SAFERL_OK);
    table.alpha = 1.0;
    table.gamma = 0.5;
    /* one real step onto lava: a violation for u = 0, 1, 3, 4's rule... not for 2 (wood + bench) */
    CHECK(saferl_shield_qtable_update_crm(&table, &rule, 5, 0, 1, 1, 1u /* lava */, 0.0, 0) == SAFERL_OK);
    CHECK(table.value[(0 * 6 + 0) * 5 + 1] == -1.0 && table.value[(0 * 6 + 1) * 5 + 1] == -1.0);
    CHECK(table.value[(0 * 6 + 2) * 5 + 1] == 0.0 && table.value[(0 * 6 + 3) * 5 + 1] == -1.0);
    CHECK(table.value[(0 * 6 + 4) * 5 + 1] == -1.0 && table.seen[0 * 6 + 2] == 1 && table.seen[0 * 6 + 5] == 0);
    /* only the active states of a stage learn */
    CHECK(saferl_shield_qtable_update_crm(&table, &rule, 2, 2, 3, 1, 0u, 1.0, 1) == SAFERL_OK);
    CHECK(table.value[(2 * 6 + 0) * 5 + 3] == 1.0 && table.value[(2 * 6 + 1) * 5 + 3] == 1.0);
    CHECK(table.value[(2 * 6 + 2) * 5 + 3] == 0.0 && table.seen[2 * 6 + 2] == 0);
    /* transfer to 3 states: (2, 2) gets the mean of (2, 0) and (2, 1); (0, 2) was seen: kept */
    table.value[(2 * 6 + 1) * 5 + 0] = 0.5;
    saferl_shield_qtable_transfer(&table, &rule, 2, 3);
    CHECK(table.value[(2 * 6 + 2) * 5 + 3] == 1.0 && table.value[(2 * 6 + 2) * 5 + 0] == 0.25);
    CHECK(table.value[(0 * 6 + 2) * 5 + 1] == 0.0);
    CHECK(saferl_shield_qtable_rank(&table, 2, 2, ranked) == 5 && ranked[0] == 3 && ranked[1] == 0);
}

/* Bad steps are refused and leave the table as it was: seeded random steps, each index out
   of range, or the reward not finite, or a table with fewer automaton states than the rule
   (a successor would have no place). Good steps between them still learn. */
TEST(qtable_updates_refuse_bad_steps_and_change_nothing) {
    static unsigned char memory[4096], table_memory[8192], small_memory[8192], before[8192];
    saferl_shield_dfa rule;
    saferl_shield_qtable table, small;
    saferl_rng rng;
    uint32_t trial, refused = 0;
    CHECK(saferl_shield_minecraft_safeguard(3, &rule, memory, sizeof memory) == SAFERL_OK);
    CHECK(saferl_shield_qtable_init(&table, 4, 6, 5, table_memory, sizeof table_memory) == SAFERL_OK);
    CHECK(saferl_shield_qtable_init(&small, 4, 3, 5, small_memory, sizeof small_memory) == SAFERL_OK);
    CHECK(rule.state_count > 3);
    saferl_rng_seed(&rng, 41);
    for (trial = 0; trial < 400; ++trial) {
        uint32_t s = saferl_rng_bounded(&rng, 4), a = saferl_rng_bounded(&rng, 5), s2 = saferl_rng_bounded(&rng, 4);
        uint32_t q = saferl_rng_bounded(&rng, 6), q2 = saferl_rng_bounded(&rng, 6), fault = saferl_rng_bounded(&rng, 6);
        uint32_t label2 = saferl_rng_bounded(&rng, 8);
        double r = saferl_rng_uniform(&rng) - 0.5;
        saferl_result want = fault == 0 || fault == 5 ? SAFERL_OK : fault == 4 ? SAFERL_ERR_NOT_FINITE : SAFERL_ERR_INVALID_ARGUMENT;
        if (fault == 1) s = 4 + saferl_rng_bounded(&rng, 1000);
        if (fault == 2) s2 = 4 + saferl_rng_bounded(&rng, 1000);
        if (fault == 3) a = 5 + saferl_rng_bounded(&rng, 1000);
        if (fault == 4) r = saferl_rng_bounded(&rng, 2) ? NAN : -INFINITY;
        memcpy(before, table_memory, sizeof before);
        CHECK(saferl_shield_qtable_update_crm(&table, &rule, 5, s, a, s2, label2, r, 0) == want);
        if (want != SAFERL_OK) CHECK(memcmp(before, table_memory, sizeof before) == 0);
        if (fault == 5) q2 = 6 + saferl_rng_bounded(&rng, 1000);
        if (fault == 5) want = SAFERL_ERR_INVALID_ARGUMENT;
        memcpy(before, table_memory, sizeof before);
        CHECK(saferl_shield_qtable_update(&table, s, q, a, r, s2, q2, 0) == want);
        if (want != SAFERL_OK) CHECK(memcmp(before, table_memory, sizeof before) == 0);
        refused += want != SAFERL_OK;
        memcpy(before, small_memory, sizeof before); /* the rule does not fit this table */
        CHECK(saferl_shield_qtable_update_crm(&small, &rule, 3, 0, 0, 1, label2, 0.0, 0) ==
              SAFERL_ERR_INVALID_ARGUMENT);
        CHECK(memcmp(before, small_memory, sizeof before) == 0);
    }
    CHECK(refused > 250 && refused < 400); /* both kinds of step were drawn */
}

/* Greedy choice breaks near-ties at random. Values a few discounted violations away
   (-1e-57 .. -1e-7 of the largest reward) are ties, drawn uniformly: each action's share of
   5000 draws within 5 binomial standard deviations of 1/5. Exact-equality ties would pick
   the one exact maximum every time. A real difference (1e-2 of a reward) is not a tie, the
   rule does not depend on the reward's unit, and tie_tolerance = 0 restores exact ties. */
TEST(greedy_breaks_near_ties_at_random) {
    static unsigned char table_memory[2048];
    saferl_shield_qtable table;
    saferl_rng values, rng;
    uint32_t trial, a, draw, count[5];
    const uint32_t draws = 5000;
    const double share = 0.2, spread = 5.0 * sqrt(share * (1.0 - share) / draws);
    saferl_rng_seed(&values, 17);
    for (trial = 0; trial < 6; ++trial) {
        double unit = trial % 3 == 0 ? 1e-3 : trial % 3 == 1 ? 1.0 : 1e3; /* the reward's unit */
        uint32_t best = saferl_rng_bounded(&values, 5), worse = (best + 1 + saferl_rng_bounded(&values, 4)) % 5;
        CHECK(saferl_shield_qtable_init(&table, 2, 1, 5, table_memory, sizeof table_memory) == SAFERL_OK);
        table.alpha = 1.0;
        saferl_shield_qtable_update(&table, 1, 0, 0, -unit, 0, 0, 1); /* a violation elsewhere */
        CHECK(table.reward_scale == unit);
        for (a = 0; a < 5; ++a) /* -u 10^-e with e uniform in [7, 57] */
            table.value[a] = a == best ? 0.0 : -unit * saferl_rng_uniform(&values) *
                                                   pow(10.0, -7.0 - 50.0 * saferl_rng_uniform(&values));
        saferl_rng_seed(&rng, 100 + trial);
        memset(count, 0, sizeof count);
        for (draw = 0; draw < draws; ++draw) ++count[saferl_shield_qtable_act(&table, 0, 0, 0, 0.0, &rng)];
        for (a = 0; a < 5; ++a) CHECK(fabs((double)count[a] / draws - share) < spread);
        /* a real difference is not a tie; masked actions are never drawn */
        table.value[worse] = -1e-2 * unit;
        for (draw = 0; draw < 1000; ++draw) {
            uint32_t pick = saferl_shield_qtable_act(&table, 0, 0, 0, 0.0, &rng);
            CHECK(pick != worse);
            CHECK(saferl_shield_qtable_act(&table, 0, 0, 1u << worse, 0.0, &rng) == worse);
        }
        table.tie_tolerance = 0.0; /* exact ties: the one exact maximum */
        for (draw = 0; draw < 100; ++draw) CHECK(saferl_shield_qtable_act(&table, 0, 0, 0, 0.0, &rng) == best);
    }
}

/* Strictness between automaton states: minecraft_7's rules by hand (0, 1 and 3 forbid lava
   and creepers, 2 only creepers, 4 only lava), then random automata against the definition
   read through labels (not letters). The transfer into minecraft_7's new states 3 and 4
   averages states 0 and 1 only: state 2 learned to cross lava, which 3 and 4 forbid. */
TEST(transfer_copies_only_from_states_at_least_as_strict) {
    static unsigned char memory[4096], random_memory[4096], table_memory[4096];
    static const uint32_t forbids[5] = {3, 3, 2, 3, 1}; /* bit 0 lava, bit 1 creeper */
    saferl_shield_dfa rule, random_rule;
    saferl_shield_qtable table;
    saferl_rng rng;
    uint32_t i, j, trial, donors[4] = {0, 1, 2, 3}, a;
    CHECK(saferl_shield_minecraft_safeguard(3, &rule, memory, sizeof memory) == SAFERL_OK);
    for (i = 0; i < 6; ++i)
        for (j = 0; j < 6; ++j)
            CHECK(saferl_shield_dfa_at_least_as_strict(&rule, i, j) ==
                  (i < 5 && j < 5 && (forbids[i] & forbids[j]) == forbids[j]));
    saferl_rng_seed(&rng, 5);
    for (trial = 0; trial < 50; ++trial) {
        uint32_t states = 2 + saferl_rng_bounded(&rng, 6), letter, label;
        CHECK(saferl_shield_dfa_init(&random_rule, states, 3, 0, random_memory, sizeof random_memory) == SAFERL_OK);
        random_rule.sink = states - 1;
        random_rule.flags[states - 1] = 0;
        for (i = 0; i + 1 < states; ++i) /* sink with probability 1/4, else any live state */
            for (letter = 0; letter < 8; ++letter)
                random_rule.next[(i << 3) | letter] =
                    saferl_rng_bounded(&rng, 4) == 0 ? states - 1 : saferl_rng_bounded(&rng, states - 1);
        CHECK(saferl_shield_dfa_finish(&random_rule) == SAFERL_OK);
        for (i = 0; i < states; ++i)
            for (j = 0; j < states; ++j) {
                int expected = i + 1 < states && j + 1 < states;
                for (label = 0; label < 8; ++label)
                    if (saferl_shield_next(&random_rule, j, label) == random_rule.sink &&
                        saferl_shield_next(&random_rule, i, label) != random_rule.sink)
                        expected = 0;
                CHECK(saferl_shield_dfa_at_least_as_strict(&random_rule, i, j) == expected);
            }
    }
    CHECK(saferl_shield_qtable_init(&table, 2, 6, 5, table_memory, sizeof table_memory) == SAFERL_OK);
    for (i = 0; i < 3; ++i) { /* seen: Q(0, 0) = -1, Q(0, 1) = -0.5, Q(0, 2) = 4 (crossing lava) */
        table.seen[0 * 6 + i] = 1;
        for (a = 0; a < 5; ++a) table.value[(0 * 6 + i) * 5 + a] = i == 0 ? -1.0 : i == 1 ? -0.5 : 4.0 + a;
    }
    table.seen[1 * 6 + 4] = 1; /* seen states keep their values */
    table.value[(1 * 6 + 4) * 5 + 2] = 7.0;
    saferl_shield_qtable_transfer(&table, &rule, 3, 5);
    for (a = 0; a < 5; ++a) {
        CHECK(table.value[(0 * 6 + 3) * 5 + a] == -0.75 && table.value[(0 * 6 + 4) * 5 + a] == -0.75);
        CHECK(table.value[(1 * 6 + 3) * 5 + a] == 0.0); /* no seen donor: unchanged */
    }
    CHECK(table.value[(1 * 6 + 4) * 5 + 2] == 7.0 && table.seen[0 * 6 + 3] == 0);
    /* exactly as strict: 3 from 0 and 1 (the same rule), 4 from none */
    for (a = 0; a < 5; ++a) table.value[(0 * 6 + 3) * 5 + a] = table.value[(0 * 6 + 4) * 5 + a] = 0.0;
    table.transfer_donors = SAFERL_SHIELD_DONORS_SAME_RULE;
    table.value[(0 * 6 + 1) * 5 + 4] = -0.25;
    saferl_shield_qtable_transfer(&table, &rule, 3, 5);
    CHECK(table.value[(0 * 6 + 3) * 5 + 0] == -0.75 && table.value[(0 * 6 + 3) * 5 + 4] == -0.625);
    CHECK(table.value[(0 * 6 + 4) * 5 + 0] == 0.0 && table.value[(0 * 6 + 4) * 5 + 4] == 0.0);
    /* the lazy rule of the official code: any donors given, the seen ones averaged */
    CHECK(saferl_shield_qtable_transfer_state(&table, 0, 5, donors, 4) == 3);
    CHECK_NEAR(table.value[(0 * 6 + 5) * 5 + 4], (-1.0 - 0.25 + 8.0) / 3.0, 1e-15);
    CHECK(saferl_shield_qtable_transfer_state(&table, 1, 4, donors, 4) == 0);
}

/* Transfer by replay. By hand: one real step onto lava while states 0 and 1 were active
   (alpha 0.5: -0.5 there); replayed into minecraft_7's new states, 2 (lava allowed with wood
   and a bench) learns 0, 3 and 4 (lava forbidden) learn -0.5; the stricter donors' copy would
   give 2 the -0.5. Then random steps (labels over all 7 propositions, some task rewards and
   ends, a ring smaller than the steps in half the trials) against Q-learning written out
   here on the same steps for the new states only (they lead only to new states or the
   sink, so one pass is exact): equal within the rounding of a few hundred updates of values
   bounded by max|r| / (1 - gamma). Bad input is refused with table and store unchanged. */
TEST(transfer_by_replay_equals_q_learning_on_the_same_steps) {
    enum { CELLS = 6, STATES = 6, ACTIONS = 5, STEPS = 300 };
    static unsigned char memory[4096], table_memory[8192], before[8192];
    static saferl_shield_step steps[STEPS];
    static double expected[CELLS][STATES][ACTIONS];
    saferl_shield_dfa rule;
    saferl_shield_qtable table;
    saferl_shield_replay replay;
    saferl_rng rng;
    uint32_t trial, s, u, a;
    size_t k, size = saferl_shield_qtable_memory_size(CELLS, STATES, ACTIONS);
    CHECK(size <= sizeof table_memory && saferl_shield_replay_memory_size(STEPS) == sizeof steps);
    CHECK(saferl_shield_minecraft_safeguard(3, &rule, memory, sizeof memory) == SAFERL_OK);
    CHECK(saferl_shield_qtable_init(&table, CELLS, STATES, ACTIONS, table_memory, size) == SAFERL_OK);
    CHECK(saferl_shield_replay_init(&replay, STEPS, steps, sizeof steps) == SAFERL_OK);
    table.gamma = 0.5;
    saferl_shield_qtable_update_crm(&table, &rule, 2, 0, 1, 1, 1u /* lava */, 0.0, 0);
    saferl_shield_replay_push(&replay, 0, 1, 1, 1u, 0.0, 0);
    CHECK(saferl_shield_qtable_transfer_replay(&table, &rule, 2, 5, &replay) == SAFERL_OK);
    CHECK(table.value[(0 * 6 + 0) * 5 + 1] == -0.5 && table.value[(0 * 6 + 1) * 5 + 1] == -0.5);
    CHECK(table.value[(0 * 6 + 2) * 5 + 1] == 0.0 && table.seen[0 * 6 + 2] == 1);
    CHECK(table.value[(0 * 6 + 3) * 5 + 1] == -0.5 && table.value[(0 * 6 + 4) * 5 + 1] == -0.5);
    CHECK(table.seen[0 * 6 + 5] == 0 && table.seen[1 * 6 + 2] == 0);

    saferl_rng_seed(&rng, 23);
    for (trial = 0; trial < 40; ++trial) {
        uint32_t from = 2 + saferl_rng_bounded(&rng, 2), pushed = 1 + saferl_rng_bounded(&rng, STEPS);
        size_t capacity = trial % 2 ? 1 + saferl_rng_bounded(&rng, pushed) : (size_t)STEPS, kept;
        double bound, gamma = 0.5 + 0.45 * saferl_rng_uniform(&rng);
        CHECK(saferl_shield_qtable_init(&table, CELLS, STATES, ACTIONS, table_memory, size) == SAFERL_OK);
        CHECK(saferl_shield_replay_init(&replay, capacity, steps, sizeof steps) == SAFERL_OK);
        table.alpha = 0.1 + 0.9 * saferl_rng_uniform(&rng);
        table.gamma = gamma;
        for (s = 0; s < CELLS; ++s) /* the old states hold values; the replay leaves them */
            for (u = 0; u < from; ++u) {
                table.seen[s * STATES + u] = 1;
                for (a = 0; a < ACTIONS; ++a) table.value[(s * STATES + u) * ACTIONS + a] = saferl_rng_uniform(&rng) - 0.5;
            }
        memcpy(before, table_memory, size);
        memset(expected, 0, sizeof expected);
        for (k = 0; k < pushed; ++k)
            saferl_shield_replay_push(&replay, saferl_rng_bounded(&rng, CELLS), saferl_rng_bounded(&rng, ACTIONS),
                                      saferl_rng_bounded(&rng, CELLS), saferl_rng_bounded(&rng, 128),
                                      saferl_rng_bounded(&rng, 4) == 0 ? 1.0 : 0.0, saferl_rng_bounded(&rng, 10) == 0);
        kept = pushed < capacity ? pushed : capacity;
        CHECK(replay.count == kept);
        for (k = pushed - kept; k < pushed; ++k) { /* the kept steps, oldest first */
            const saferl_shield_step *step = &steps[k % capacity];
            for (u = from; u < 5; ++u) {
                uint32_t u2 = saferl_shield_next(&rule, u, step->label2);
                int violated = u2 == rule.sink, done = step->task_done || violated;
                double r = step->task_reward + (violated ? -1.0 : 0.0), best = expected[step->s2][u2][0];
                for (a = 1; a < ACTIONS; ++a) best = expected[step->s2][u2][a] > best ? expected[step->s2][u2][a] : best;
                CHECK(violated || u2 >= from);
                r += done ? 0.0 : gamma * best;
                expected[step->s][u][step->a] += table.alpha * (r - expected[step->s][u][step->a]);
            }
        }
        CHECK(saferl_shield_qtable_transfer_replay(&table, &rule, from, 5, &replay) == SAFERL_OK);
        bound = 1.0 / (1.0 - gamma);
        for (s = 0; s < CELLS; ++s)
            for (u = 0; u < STATES; ++u)
                for (a = 0; a < ACTIONS; ++a) {
                    size_t at = (s * STATES + u) * ACTIONS + a;
                    if (u < from || u == rule.sink)
                        CHECK(memcmp(&table.value[at], before + at * sizeof(double), sizeof(double)) == 0);
                    else
                        CHECK_NEAR(table.value[at], expected[s][u][a], 1e-13 * kept * bound);
                }
    }

    /* refused, nothing changed: a state already learned, ranges, a step out of range, NaN */
    CHECK(saferl_shield_qtable_init(&table, CELLS, STATES, ACTIONS, table_memory, size) == SAFERL_OK);
    CHECK(saferl_shield_replay_init(&replay, 4, steps, sizeof steps) == SAFERL_OK);
    saferl_shield_replay_push(&replay, 1, 2, 3, 1u, 1.0, 0);
    table.seen[4 * STATES + 3] = 1;
    memcpy(before, table_memory, size);
    CHECK(saferl_shield_qtable_transfer_replay(&table, &rule, 2, 5, &replay) == SAFERL_ERR_INVALID_ARGUMENT);
    table.seen[4 * STATES + 3] = 0;
    CHECK(saferl_shield_qtable_transfer_replay(&table, &rule, 3, 3, &replay) == SAFERL_ERR_INVALID_ARGUMENT);
    CHECK(saferl_shield_qtable_transfer_replay(&table, &rule, 3, 7, &replay) == SAFERL_ERR_INVALID_ARGUMENT);
    table.automaton_state_count = 5; /* the rule's sink, 5, would have no place */
    CHECK(saferl_shield_qtable_transfer_replay(&table, &rule, 2, 4, &replay) == SAFERL_ERR_INVALID_ARGUMENT);
    table.automaton_state_count = STATES;
    saferl_shield_replay_push(&replay, CELLS, 0, 0, 0u, 0.0, 0);
    CHECK(saferl_shield_qtable_transfer_replay(&table, &rule, 2, 5, &replay) == SAFERL_ERR_INVALID_ARGUMENT);
    steps[1].s = 0;
    steps[1].a = ACTIONS;
    CHECK(saferl_shield_qtable_transfer_replay(&table, &rule, 2, 5, &replay) == SAFERL_ERR_INVALID_ARGUMENT);
    steps[1].a = 0;
    steps[1].task_reward = NAN;
    CHECK(saferl_shield_qtable_transfer_replay(&table, &rule, 2, 5, &replay) == SAFERL_ERR_NOT_FINITE);
    steps[1].task_reward = -INFINITY;
    CHECK(saferl_shield_qtable_transfer_replay(&table, &rule, 2, 5, &replay) == SAFERL_ERR_NOT_FINITE);
    table.seen[4 * STATES + 3] = 1;
    CHECK(memcmp(before, table_memory, size) == 0 && replay.count == 2);
    CHECK(saferl_shield_replay_init(&replay, 0, steps, sizeof steps) == SAFERL_ERR_INVALID_ARGUMENT);
    CHECK(saferl_shield_replay_init(&replay, 4, steps, 4 * sizeof steps[0] - 1) == SAFERL_ERR_BUFFER_TOO_SMALL);
    CHECK(saferl_shield_replay_init(&replay, 4, (unsigned char *)steps + 4, 4 * sizeof steps[0]) ==
          SAFERL_ERR_INVALID_ARGUMENT);
}

/* A text with a UTF-8 byte-order mark in front (an editor's, not the text's). */
static const char *with_bom(const char *plain, char *buffer, size_t capacity) {
    snprintf(buffer, capacity, "\xEF\xBB\xBF%s", plain);
    return buffer;
}

/* Issue 15: every marked reader skips a byte-order mark, and positions stay those of the marked. */
TEST(every_reader_skips_a_byte_order_mark) {
    static char buffer[4096];
    const char *hoa = "HOA: v1\nStates: 1\nStart: 0\nAP: 1 \"a\"\nacc-name: all\nAcceptance: 0 t\n--BODY--\n"
                      "State: 0\n[0] 0\n--END--\n";
    const char *rm = "0\n[1]\n(0,0,'!a',ConstantRewardFunction(0))\n(0,1,'a',ConstantRewardFunction(1))\n";
    const char *abstraction = "states 2 actions 1 initial 0\nlabel 1 lava\n0 0: 1\n1 0: 0\n";
    const char *map = "#####\n#S..#\n#####\n";
    uint32_t legend_count;
    const saferl_shield_legend_entry *legend = saferl_shield_minecraft_legend(&legend_count);
    saferl_shield_dfa a, b;
    saferl_shield_abstraction ab;
    saferl_shield_grid grid;
    saferl_shield_error error;
    const char *marked;
    /* formula: same automaton, and an error column counted after the mark */
    marked = with_bom("G(a -> X !a)", buffer, sizeof buffer);
    CHECK(compile_named(marked, SAFERL_SHIELD_LTL, &a) == SAFERL_OK);
    CHECK(compile_named("G(a -> X !a)", SAFERL_SHIELD_LTL, &b) == SAFERL_OK);
    CHECK(equivalent(&a, &b) == 1);
    saferl_shield_dfa_destroy(&a);
    saferl_shield_dfa_destroy(&b);
    marked = with_bom("G(a & )", buffer, sizeof buffer);
    CHECK(compile_logic(marked, SAFERL_SHIELD_LTL, &a, &error) == SAFERL_ERR_PARSE && error.line == 1 && error.column == 7);
    /* HOA, reward machine, and the format detector */
    marked = with_bom(hoa, buffer, sizeof buffer);
    CHECK(saferl_shield_detect_format(marked, strlen(marked)) == SAFERL_SHIELD_HOA);
    CHECK(saferl_shield_read_hoa(marked, strlen(marked), NULL, &a, &error) == SAFERL_OK);
    CHECK(a.prop_count == 1 && strcmp(a.prop_name[0], "a") == 0);
    saferl_shield_dfa_destroy(&a);
    marked = with_bom(rm, buffer, sizeof buffer);
    CHECK(saferl_shield_detect_format(marked, strlen(marked)) == SAFERL_SHIELD_REWARD_MACHINE);
    CHECK(saferl_shield_read_rm(marked, strlen(marked), NULL, &a, &error) == SAFERL_OK);
    CHECK(a.prop_count == 1);
    saferl_shield_dfa_destroy(&a);
    CHECK(saferl_shield_load(marked, strlen(marked), NULL, &a, &error) == SAFERL_OK);
    saferl_shield_dfa_destroy(&a);
    /* abstraction marked and gridworld marked */
    marked = with_bom(abstraction, buffer, sizeof buffer);
    CHECK(saferl_shield_read_abstraction(marked, strlen(marked), NULL, &ab, &error) == SAFERL_OK);
    CHECK(ab.state_count == 2 && ab.label[1] == 1u);
    saferl_shield_abstraction_destroy(&ab);
    marked = with_bom("states 2 actions 1 initial 0\n0 0: 7\n", buffer, sizeof buffer);
    CHECK(saferl_shield_read_abstraction(marked, strlen(marked), NULL, &ab, &error) == SAFERL_ERR_PARSE);
    CHECK(error.line == 2 && error.column == 6);
    marked = with_bom(map, buffer, sizeof buffer);
    CHECK(saferl_shield_grid_read_text(marked, strlen(marked), legend, legend_count, &grid, NULL, &error) == SAFERL_OK);
    CHECK(grid.width == 5 && grid.height == 3 && grid.start == 6);
    saferl_shield_grid_destroy(&grid);
}

/* Issue 15: a 38-byte file may not make the reader allocate gigabytes; thresholds are
   probabilities; limits say where. */
TEST(readers_bound_what_they_allocate) {
    const char *huge = "states 16777215 actions 32 initial 0\n";
    const char *hoa = "HOA: v1\nStates: 16000000\nStart: 0\nAP: 16 \"a\" \"b\" \"c\" \"d\" \"e\" \"f\" \"g\" \"h\" \"i\" "
                      "\"j\" \"k\" \"l\" \"m\" \"n\" \"o\" \"p\"\nAcceptance: 0 t\n--BODY--\n--END--\n";
    saferl_shield_abstraction ab;
    saferl_shield_error error;
    saferl_shield_dfa dfa;
    saferl_shield_desc desc;
    saferl_shield_game game;
    saferl_shield_game_desc game_desc;
    static unsigned char memory[1 << 16];
    const char *corridor = "states 2 actions 1 initial 0\nlabel 1 lava\n0 0: 0@0.5 1@0.5\n1 0: 1\n";
    const double bad[4] = {NAN, -0.1, 1.5, INFINITY};
    int i;
    CHECK(saferl_shield_read_abstraction(huge, strlen(huge), NULL, &ab, &error) == SAFERL_ERR_PARSE);
    CHECK(error.line == 1 && error.column == 8 && strstr(error.message, "desc.max_states") != NULL);
    CHECK(saferl_shield_read_hoa(hoa, strlen(hoa), NULL, &dfa, &error) == SAFERL_ERR_UNSUPPORTED);
    CHECK(error.line == 2 && error.column == 9 && strstr(error.message, "desc.max_states") != NULL);
    /* the formula's state limit points at the formula, not 0:0 */
    memset(&desc, 0, sizeof desc);
    desc.max_states = 5;
    CHECK(saferl_shield_compile(" G(p -> F[0..20] s)", 19, &desc, &dfa, &error) == SAFERL_ERR_UNSUPPORTED);
    CHECK(error.line == 1 && error.column == 2 && strstr(error.message, "max_states") != NULL);
    /* thresholds: NaN, negative, above 1 and infinity refused, the game untouched; 0 and 1 taken */
    CHECK(saferl_shield_read_abstraction(corridor, strlen(corridor), NULL, &ab, &error) == SAFERL_OK);
    CHECK(compile("G !lava", &dfa) == SAFERL_OK);
    memset(&game_desc, 0, sizeof game_desc);
    game_desc.horizon = 3;
    for (i = 0; i < 4; ++i) {
        memset(&game, 0xAB, sizeof game);
        game_desc.threshold = bad[i];
        CHECK(saferl_shield_game_init(&game, &ab, &dfa, &game_desc, memory, sizeof memory, &error) ==
              SAFERL_ERR_INVALID_ARGUMENT);
        CHECK(strstr(error.message, "threshold") != NULL && game.env_state_count == 0xABABABABu);
    }
    game_desc.threshold = 0.0; /* 0 means 0: every available action */
    CHECK(saferl_shield_game_init(&game, &ab, &dfa, &game_desc, memory, sizeof memory, &error) == SAFERL_OK);
    CHECK(game.allowed_probably[0 * dfa.state_count + dfa.initial] == 1u);
    game_desc.threshold = 1.0;
    CHECK(saferl_shield_game_init(&game, &ab, &dfa, &game_desc, memory, sizeof memory, &error) == SAFERL_OK);
    saferl_shield_dfa_destroy(&dfa);
    saferl_shield_abstraction_destroy(&ab);
}

/* "Fire" reads as F(ire), as in Spot; with a vocabulary the error says to quote it, at the F. */
TEST(a_name_read_as_an_operator_suggests_quotes) {
    saferl_shield_desc desc;
    saferl_shield_dfa dfa;
    saferl_shield_error error;
    const char *rule = "G(a -> X !Fire)";
    memset(&desc, 0, sizeof desc);
    desc.vocabulary = names;
    desc.vocabulary_count = 14;
    CHECK(saferl_shield_compile(rule, strlen(rule), &desc, &dfa, &error) == SAFERL_ERR_PARSE);
    CHECK(error.line == 1 && error.column == 11);
    CHECK(strstr(error.message, "'ire'") != NULL && strstr(error.message, "\"Fire\"") != NULL &&
          strstr(error.message, "quote") != NULL);
    rule = "G(a -> X !GFire2)"; /* two operator letters, a name not in the vocabulary at all */
    CHECK(saferl_shield_compile(rule, strlen(rule), &desc, &dfa, &error) == SAFERL_ERR_PARSE);
    CHECK(error.column == 11 && strstr(error.message, "\"GFire2\"") != NULL);
    rule = "G(a -> X !ire)"; /* nothing glued: the plain message */
    CHECK(saferl_shield_compile(rule, strlen(rule), &desc, &dfa, &error) == SAFERL_ERR_PARSE);
    CHECK(error.column == 11 && strstr(error.message, "quote") == NULL);
    rule = "G(a -> X !\"Fire\")";
    CHECK(saferl_shield_compile(rule, strlen(rule), &desc, &dfa, &error) == SAFERL_OK);
    saferl_shield_dfa_destroy(&dfa);
}

/* game_explain lists where the play can go: state 2 must walk into lava (state 1), but no
   play from the start reaches either. */
TEST(explain_lists_only_reachable_losing_states) {
    const char *corridor = "states 4 actions 1 initial 0\nlabel 1 lava\n0 0: 3\n3 0: 0\n1 0: 1\n2 0: 1\n";
    saferl_shield_abstraction ab;
    saferl_shield_dfa dfa;
    saferl_shield_game game;
    saferl_shield_error error;
    static char explained[2048];
    size_t length = 0;
    CHECK(saferl_shield_read_abstraction(corridor, strlen(corridor), NULL, &ab, &error) == SAFERL_OK);
    CHECK(compile("G !lava", &dfa) == SAFERL_OK);
    CHECK(saferl_shield_game_create(&game, &ab, &dfa, NULL, NULL, &error) == SAFERL_OK);
    CHECK(game.losing_rank[saferl_shield_game_state(&game, 2, dfa.initial)] == 2); /* it does lose */
    CHECK(game.reachable[game.initial] && !game.reachable[saferl_shield_game_state(&game, 2, dfa.initial)]);
    CHECK(saferl_shield_game_explain(&game, explained, sizeof explained, &length) == SAFERL_OK);
    CHECK(strstr(explained, "realisable") != NULL && strstr(explained, "losing states") == NULL);
    saferl_shield_game_destroy(&game);
    saferl_shield_dfa_destroy(&dfa);
    saferl_shield_abstraction_destroy(&ab);
}

/* A build with request k refused must say OUT_OF_MEMORY and give back all it took. */
static int refused_cleanly(const char *what, long k, saferl_result r, const counting *count) {
    if (r == SAFERL_ERR_OUT_OF_MEMORY && count->allocations == count->releases) return 1;
    fprintf(stderr, "%s: request %ld refused: result %d, %ld of %ld allocations not released\n", what, k, (int)r,
            count->allocations - count->releases, count->allocations);
    CHECK(0);
    return 0;
}

/* A compile whose allocator refuses the k-th request, for k = 1, 2, ... until a compile
   makes fewer than k requests: every compile that met the refusal returns
   SAFERL_ERR_OUT_OF_MEMORY (not success, not another error) and gives back all it took
   (LSan checks the same under the sanitizers); the first that did not meet it is the
   unfailed compile byte for byte (its complete HOA). Only the k-th request fails, so a NULL
   ignored on the way shows as a success or a wrong automaton later. Seeded random formulas
   in LTL and LTLf, unions of cubes under G (states of several cubes: the memo of junctions),
   and one symbolic compile (the decision diagrams' tables). */
static void compile_failing_each_allocation(const char *formula, saferl_shield_logic logic, int options) {
    static char expected[1 << 16], got[1 << 16];
    saferl_shield_desc desc;
    saferl_shield_dfa dfa;
    saferl_shield_error error;
    counting count;
    size_t expected_length = 0, got_length = 0;
    long k;
    memset(&desc, 0, sizeof desc);
    desc.logic = logic;
    if (saferl_shield__compile(formula, strlen(formula), &desc, &dfa, &error, options) < 0) {
        fprintf(stderr, "%s: %s\n", formula, error.message);
        CHECK(0);
        return;
    }
    CHECK(saferl_shield_write_hoa(&dfa, SAFERL_SHIELD_HOA_COMPLETE, "f", expected, sizeof expected, &expected_length) == SAFERL_OK);
    saferl_shield_dfa_destroy(&dfa);
    desc.allocator.allocate = counting_allocate;
    desc.allocator.release = counting_release;
    desc.allocator.user_data = &count;
    for (k = 1; k < 100000; ++k) {
        saferl_result r;
        memset(&count, 0, sizeof count);
        count.budget = -1;
        count.fail_at = k;
        r = saferl_shield__compile(formula, strlen(formula), &desc, &dfa, &error, options);
        if (count.attempts < k) { /* the refusal was never met: the unfailed compile */
            CHECK(r == SAFERL_OK && k > 1);
            if (r < 0) return;
            count.fail_at = 0; /* the writer's scratch comes from the automaton's allocator */
            CHECK(saferl_shield_write_hoa(&dfa, SAFERL_SHIELD_HOA_COMPLETE, "f", got, sizeof got, &got_length) == SAFERL_OK);
            CHECK(got_length == expected_length && memcmp(got, expected, expected_length) == 0);
            saferl_shield_dfa_destroy(&dfa);
            CHECK(count.allocations == count.releases);
            return;
        }
        if (!refused_cleanly(formula, k, r, &count)) {
            if (r >= 0) saferl_shield_dfa_destroy(&dfa);
            return;
        }
    }
    CHECK(0); /* 100,000 requests: not a small formula */
}

TEST(compile_survives_every_failed_allocation) {
    /* unions of cubes under G; conjuncts over disjoint propositions (compiled apart and
       joined by products); a safety formula written with U (marks of put-off eventualities);
       past time; two random formulas that once failed here (a cube list cut short by a
       failed push, read on; a symbolic state key cut short, taken for a new state) */
    static const struct { const char *formula; saferl_shield_logic logic; } fixed[] = {
        {"G((a & X b) | (b & X c) | (c & X a))", SAFERL_SHIELD_LTL},
        {"G((a & X b) | (b & X c) | (c & X a))", SAFERL_SHIELD_LTLF},
        {"G(a -> X(b | c)) & G(b -> X((a & c) | (!a & X c)))", SAFERL_SHIELD_LTL},
        {"G(a -> X(b | c)) & G(b -> X((a & c) | (!a & X c)))", SAFERL_SHIELD_LTLF},
        {"G(a -> X(b W !a)) & G((c & X d) | (d & X c))", SAFERL_SHIELD_LTL},
        {"G(a -> X(b W !a)) & G((c & X d) | (d & X c))", SAFERL_SHIELD_LTLF},
        {"F p -> (!a U p)", SAFERL_SHIELD_LTL},
        {"G((a -> Y(b S c)) & (d -> O c))", SAFERL_SHIELD_PAST_LTL},
        {"G(G[0..3]((X(!(G(X(G(G(p4))))))) -> (G[2..5](G[2..5](X(X(X(G[0..1](X(X(X(G[1..1](X((!(p1)) -> (!p1)))))))))))))))",
         SAFERL_SHIELD_LTLF}};
    static const char *const symbolic = "X(X(X(G[1..1](G(X(X(X(X(X(X(F[1..3](X(X(X(G[2..5](X(!p0)))))))))))))))))";
    saferl_rng rng;
    char formula[2048];
    size_t i;
    for (i = 0; i < sizeof fixed / sizeof fixed[0]; ++i)
        compile_failing_each_allocation(fixed[i].formula, fixed[i].logic, SAFERL_SHIELD__SIMPLIFY | SAFERL_SHIELD__EMPTY_SINK);
    compile_failing_each_allocation(fixed[2].formula, SAFERL_SHIELD_LTL,
                                    SAFERL_SHIELD__SIMPLIFY | SAFERL_SHIELD__EMPTY_SINK | SAFERL_SHIELD__SYMBOLIC);
    compile_failing_each_allocation(symbolic, SAFERL_SHIELD_LTL,
                                    SAFERL_SHIELD__SIMPLIFY | SAFERL_SHIELD__EMPTY_SINK | SAFERL_SHIELD__SYMBOLIC);
    saferl_rng_seed(&rng, 1610);
    for (i = 0; i < 8; ++i) {
        int n = 8 + (int)saferl_rng_bounded(&rng, 10), props = 2 + (int)saferl_rng_bounded(&rng, 3);
        random_formula(&rng, n, props, 1, formula, sizeof formula);
        compile_failing_each_allocation(formula, i % 2 ? SAFERL_SHIELD_LTLF : SAFERL_SHIELD_LTL,
                                        SAFERL_SHIELD__SIMPLIFY | SAFERL_SHIELD__EMPTY_SINK);
    }
}

/* The same sweep for everything else that takes an allocator: the readers (reward machines,
   HOA and formulas through saferl_shield_load, abstractions, ASCII and RGBA maps), the game
   (create and its solve), and the operations on automata (minimize, product, complement,
   equivalent). Each item is built with request k refused, k = 1, 2, ... until a build makes
   fewer than k requests: every refused build returns SAFERL_ERR_OUT_OF_MEMORY and gives back
   all it took; the first unrefused build dumps byte for byte what the default allocator's
   build dumps. */
typedef enum oom_kind {
    OOM_LOAD, OOM_ABSTRACTION, OOM_GRID_TEXT, OOM_GRID_RGBA, OOM_GAME, OOM_MINIMIZE, OOM_PRODUCT, OOM_COMPLEMENT,
    OOM_EQUIVALENT
} oom_kind;
typedef struct oom_item {
    oom_kind kind;
    const char *text;                      /* load, abstraction, ASCII map */
    const uint8_t *pixels;                 /* RGBA map */
    uint32_t width, height;
    const saferl_shield_dfa *a, *b;        /* operations, game */
    const saferl_shield_abstraction *abstraction;
    saferl_shield_game_desc game;
} oom_item;

static void oom_put(char *dump, size_t capacity, size_t *length, const char *format, double value) {
    int n = snprintf(dump + *length, capacity - *length, format, value);
    if (n > 0) *length += (size_t)n < capacity - *length ? (size_t)n : capacity - *length - 1;
}
static void oom_put_dfa(const saferl_shield_dfa *dfa, char *dump, size_t capacity, size_t *length) {
    size_t n = 0;
    CHECK(saferl_shield_write_hoa(dfa, SAFERL_SHIELD_HOA_COMPLETE, "x", dump + *length, capacity - *length, &n) == SAFERL_OK);
    *length += n;
    if (dfa->reward && dfa->prop_count <= 8) { /* reward machines: the rewards HOA does not carry */
        uint32_t q, letter;
        for (q = 0; q < dfa->state_count; ++q)
            for (letter = 0; letter < (1u << dfa->prop_count); ++letter) {
                double r;
                uint32_t label = saferl_shield_label_of_letter(dfa, letter), next = saferl_shield_next(dfa, q, label);
                r = dfa->reward[((size_t)q << dfa->letter_bits) | saferl_shield_letter(dfa, label)];
                oom_put(dump, capacity, length, " %.17g", r);
                oom_put(dump, capacity, length, ">%.0f", (double)next);
            }
        for (q = 0; q < dfa->state_count; ++q) oom_put(dump, capacity, length, " s%.0f", (double)dfa->stage[q]);
    }
}
static void oom_put_words(const char *name, const uint32_t *w, size_t count, char *dump, size_t capacity, size_t *length) {
    size_t i;
    int n = snprintf(dump + *length, capacity - *length, "\n%s", name);
    if (n > 0) *length += (size_t)n < capacity - *length ? (size_t)n : capacity - *length - 1;
    for (i = 0; i < count && w; ++i) oom_put(dump, capacity, length, " %.0f", (double)w[i]);
}

/* Builds the item with allocator, dumps it into dump (requests from then on are not
   refused: c->built holds the requests the build made) and frees it. */
static saferl_result oom_build(const oom_item *it, const saferl_allocator *allocator, counting *c, char *dump,
                               size_t capacity, size_t *length) {
    saferl_shield_desc desc;
    saferl_shield_error error;
    saferl_shield_dfa dfa;
    saferl_shield_abstraction ab;
    saferl_shield_grid grid;
    saferl_shield_game game;
    uint32_t legend_count, trace[64];
    const saferl_shield_legend_entry *legend = saferl_shield_minecraft_legend(&legend_count);
    saferl_result r = SAFERL_ERR_INVALID_ARGUMENT;
    size_t i, trace_length = 0;
    int equal = -1;
    memset(&desc, 0, sizeof desc);
    if (allocator) desc.allocator = *allocator;
    *length = 0;
    dump[0] = '\0';
    switch (it->kind) {
    case OOM_LOAD: r = saferl_shield_load(it->text, strlen(it->text), &desc, &dfa, &error); break;
    case OOM_ABSTRACTION: r = saferl_shield_read_abstraction(it->text, strlen(it->text), &desc, &ab, &error); break;
    case OOM_GRID_TEXT:
        r = saferl_shield_grid_read_text(it->text, strlen(it->text), legend, legend_count, &grid, allocator, &error);
        break;
    case OOM_GRID_RGBA:
        r = saferl_shield_grid_read_rgba(it->pixels, it->width, it->height, legend, legend_count, &grid, allocator, &error);
        break;
    case OOM_GAME: r = saferl_shield_game_create(&game, it->abstraction, it->a, &it->game, allocator, &error); break;
    case OOM_MINIMIZE: r = saferl_shield_minimize(it->a, &dfa, allocator); break;
    case OOM_PRODUCT: r = saferl_shield_product(it->a, it->b, SAFERL_SHIELD_INTERSECTION, &dfa, allocator); break;
    case OOM_COMPLEMENT: r = saferl_shield_complement(it->a, &dfa, allocator); break;
    case OOM_EQUIVALENT:
        r = saferl_shield_equivalent(it->a, it->b, &equal, trace, 64, &trace_length, allocator);
        break;
    }
    if (c) {
        c->built = c->attempts;
        c->fail_at = 0;
    }
    if (r < 0) return r;
    switch (it->kind) {
    case OOM_LOAD: case OOM_MINIMIZE: case OOM_PRODUCT: case OOM_COMPLEMENT:
        oom_put_dfa(&dfa, dump, capacity, length);
        saferl_shield_dfa_destroy(&dfa);
        break;
    case OOM_ABSTRACTION:
        oom_put(dump, capacity, length, "%.0f", (double)ab.state_count);
        oom_put(dump, capacity, length, " %.0f", (double)ab.action_count);
        oom_put(dump, capacity, length, " %.0f", (double)ab.initial);
        oom_put_words("label", ab.label, ab.state_count, dump, capacity, length);
        oom_put_words("offset", ab.offset, (size_t)ab.state_count * ab.action_count + 1, dump, capacity, length);
        oom_put_words("successor", ab.successor, ab.offset[(size_t)ab.state_count * ab.action_count], dump, capacity, length);
        for (i = 0; ab.probability && i < ab.offset[(size_t)ab.state_count * ab.action_count]; ++i)
            oom_put(dump, capacity, length, " %.17g", ab.probability[i]);
        for (i = 0; i < ab.prop_count; ++i) {
            size_t n = strlen(ab.prop_name[i]);
            if (*length + n + 2 < capacity) {
                dump[(*length)++] = ' ';
                memcpy(dump + *length, ab.prop_name[i], n + 1);
                *length += n;
            }
        }
        saferl_shield_abstraction_destroy(&ab);
        break;
    case OOM_GRID_TEXT: case OOM_GRID_RGBA:
        oom_put(dump, capacity, length, "%.0f", (double)grid.width);
        oom_put(dump, capacity, length, " %.0f", (double)grid.height);
        oom_put(dump, capacity, length, " %.0f", (double)grid.start);
        oom_put_words("label", grid.label, (size_t)grid.width * grid.height, dump, capacity, length);
        for (i = 0; i < (size_t)grid.width * grid.height; ++i) oom_put(dump, capacity, length, " %.0f", (double)grid.kind[i]);
        saferl_shield_grid_destroy(&grid);
        break;
    case OOM_GAME: {
        size_t n = 0;
        long before = c ? c->attempts : 0;
        CHECK(saferl_shield_game_solve(&game, it->abstraction, it->a, &error) == r); /* solving again asks for nothing */
        CHECK(!c || c->attempts == before);
        oom_put_words("allowed", game.allowed, game.game_state_count, dump, capacity, length);
        oom_put_words("rank", game.losing_rank, game.game_state_count, dump, capacity, length);
        oom_put_words("probably", game.allowed_probably, game.allowed_probably ? game.game_state_count : 0, dump,
                      capacity, length);
        for (i = 0; game.safety && i < game.game_state_count; ++i) oom_put(dump, capacity, length, " %.17g", game.safety[i]);
        for (i = 0; i < game.game_state_count; ++i) oom_put(dump, capacity, length, " %.0f", (double)game.reachable[i]);
        oom_put(dump, capacity, length, "\n", 0.0);
        CHECK(saferl_shield_game_explain(&game, dump + *length, capacity - *length, &n) == SAFERL_OK);
        *length += n;
        saferl_shield_game_destroy(&game);
        break;
    }
    case OOM_EQUIVALENT:
        oom_put(dump, capacity, length, "%.0f", (double)equal);
        oom_put_words("trace", trace, trace_length < 64 ? trace_length : 64, dump, capacity, length);
        break;
    }
    return r;
}

static void oom_sweep(const oom_item *it, const char *what) {
    static char expected[1 << 16], got[1 << 16];
    saferl_allocator allocator;
    counting count;
    size_t expected_length = 0, got_length = 0;
    long k;
    if (oom_build(it, NULL, NULL, expected, sizeof expected, &expected_length) < 0) {
        fprintf(stderr, "%s: not built with the default allocator\n", what);
        CHECK(0);
        return;
    }
    CHECK(expected_length + 1 < sizeof expected); /* the dump was not cut short */
    allocator.allocate = counting_allocate;
    allocator.release = counting_release;
    allocator.user_data = &count;
    for (k = 1; k < 100000; ++k) {
        saferl_result r;
        memset(&count, 0, sizeof count);
        count.budget = -1;
        count.fail_at = k;
        r = oom_build(it, &allocator, &count, got, sizeof got, &got_length);
        if (count.built < k) { /* the refusal was never met: the unrefused build */
            CHECK(r >= 0 && k > 1);
            CHECK(got_length == expected_length && memcmp(got, expected, expected_length) == 0);
            CHECK(count.allocations == count.releases);
            return;
        }
        if (!refused_cleanly(what, k, r, &count)) return;
    }
    CHECK(0); /* 100,000 requests: not a small item */
}

/* A random reward machine over a, b, c: states 0 .. n-1 numbered in the file (or spread out),
   random terminal states, guards as conjunctions of literals, rewards in quarters. */
static void random_reward_machine(saferl_rng *rng, int spread, char *out, size_t capacity) {
    uint32_t n = 2 + saferl_rng_bounded(rng, 4), edges = 1 + saferl_rng_bounded(rng, 8), i, q;
    size_t at = 0;
    at += (size_t)snprintf(out + at, capacity - at, "0\n[");
    for (q = 1, i = 0; q < n; ++q)
        if (saferl_rng_bounded(rng, 3) == 0) at += (size_t)snprintf(out + at, capacity - at, "%s%u", i++ ? "," : "", q * (spread ? 7 : 1));
    at += (size_t)snprintf(out + at, capacity - at, "]\n");
    for (i = 0; i < edges; ++i) {
        uint32_t from = saferl_rng_bounded(rng, n), to = saferl_rng_bounded(rng, n), p, literals = 0;
        char guard[32];
        size_t g = 0;
        for (p = 0; p < 3; ++p) {
            uint32_t how = saferl_rng_bounded(rng, 3);
            if (how == 0) continue;
            if (literals++) guard[g++] = '&';
            if (how == 2) guard[g++] = '!';
            guard[g++] = (char)('a' + p);
        }
        if (!literals) guard[g++] = 'a';
        guard[g] = '\0';
        at += (size_t)snprintf(out + at, capacity - at, "(%u,%u,'%s',ConstantRewardFunction(%g))\n", from * (spread ? 7 : 1),
                               to * (spread ? 7 : 1), guard, (double)saferl_rng_bounded(rng, 9) / 4.0 - 1.0);
    }
}

/* A random abstraction text: sets or distributions, labels over up to three names. */
static void random_abstraction_text(saferl_rng *rng, int probabilistic, char *out, size_t capacity) {
    static const char *const words[3] = {"lava", "goal", "wet"};
    uint32_t S = 1 + saferl_rng_bounded(rng, 6), A = 1 + saferl_rng_bounded(rng, 3), s, a, t;
    size_t at = (size_t)snprintf(out, capacity, "states %u actions %u initial %u\n", S, A, saferl_rng_bounded(rng, S));
    for (s = 0; s < S; ++s) {
        uint32_t p;
        if (saferl_rng_bounded(rng, 2)) {
            at += (size_t)snprintf(out + at, capacity - at, "label %u", s);
            for (p = 0; p < 3; ++p)
                if (saferl_rng_bounded(rng, 2)) at += (size_t)snprintf(out + at, capacity - at, " %s", words[p]);
            at += (size_t)snprintf(out + at, capacity - at, "\n");
        }
        for (a = 0; a < A; ++a) {
            uint32_t n = 1 + saferl_rng_bounded(rng, probabilistic ? 3 : 2);
            if (saferl_rng_bounded(rng, 4) == 0) continue; /* not available */
            at += (size_t)snprintf(out + at, capacity - at, "%u %u:", s, a);
            for (t = 0; t < n; ++t) {
                if (probabilistic) at += (size_t)snprintf(out + at, capacity - at, " %u@%g", saferl_rng_bounded(rng, S), n == 3 ? (t ? 0.25 : 0.5) : 1.0 / n);
                else at += (size_t)snprintf(out + at, capacity - at, " %u", saferl_rng_bounded(rng, S));
            }
            at += (size_t)snprintf(out + at, capacity - at, "\n");
        }
    }
}

TEST(readers_and_games_survive_every_failed_allocation) {
    static const char *const loads[] = {
        ("0\n[2,3]\n(0,0,'!f&!n',ConstantRewardFunction(0))\n(0,1,'f&!g&!n',ConstantRewardFunction(0))\n"
        "(0,2,'g&!n',ConstantRewardFunction(1))\n(0,3,'n',ConstantRewardFunction(-1))\n"
        "(1,1,'!g&!n',ConstantRewardFunction(0))\n(1,1,'f&!g&!n',ConstantRewardFunction(0.25))\n"
        "(1,2,'g&!n',ConstantRewardFunction(1))\n(1,3,'n',ConstantRewardFunction(-1))\n"),
        "0\n[]\n(0,0,'a',ConstantRewardFunction(1))\n",
        "0\n[]\n(0, 999999999,'a',ConstantRewardFunction(1))\n(0000000000999999999,0,'!a',ConstantRewardFunction(2))\n",
        ("HOA: v1\nStates: 2\nStart: 0\nAP: 2 \"a\" \"b\"\nacc-name: Buchi\nAcceptance: 1 Inf(0)\n--BODY--\n"
        "State: 0 {0}\n[!0] 0\n[0&!1] 1\n[0&1] 0\nState: 1\n[t] 1\n--END--\n"),
        "G(lava -> X !lava) & G(a -> F[0..2] b)"};
    static const char *const abstraction = "# a corridor\nstates 3 actions 2 initial 0\nlabel 2 lava\n0 0: 0\n0 1: 1\n1 0: 0\n"
                                           "1 1: 1@0.75 2@0.25\n2 0: 2\n2 1: 2\n";
    static uint8_t pixels[12 * 10 * 4];
    static char texts[8][4096];
    static small_game games[4];
    uint32_t legend_count, i;
    const saferl_shield_legend_entry *legend = saferl_shield_minecraft_legend(&legend_count);
    const char *map = saferl_shield_minecraft_map();
    saferl_shield_grid grid;
    saferl_shield_dfa spec, mine[2];
    saferl_shield_abstraction corridor;
    saferl_rng rng;
    oom_item it;
    char what[600];
    memset(&it, 0, sizeof it);
    it.kind = OOM_LOAD;
    for (i = 0; i < sizeof loads / sizeof loads[0]; ++i) {
        it.text = loads[i];
        snprintf(what, sizeof what, "load %u", i);
        oom_sweep(&it, what);
    }
    saferl_rng_seed(&rng, 1620);
    for (i = 0; i < 6; ++i) { /* random reward machines, and HOA written from random formulas */
        random_reward_machine(&rng, i % 2, texts[i], sizeof texts[i]);
        it.text = texts[i];
        snprintf(what, sizeof what, "reward machine %u", i);
        oom_sweep(&it, what);
    }
    for (i = 0; i < 2; ++i) {
        char formula[512];
        random_formula(&rng, 8, 3, 1, formula, sizeof formula);
        CHECK(compile(formula, &spec) == SAFERL_OK);
        CHECK(saferl_shield_write_hoa(&spec, SAFERL_SHIELD_HOA_COMPLETE, "r", texts[i], sizeof texts[i], NULL) == SAFERL_OK);
        saferl_shield_dfa_destroy(&spec);
        it.text = texts[i];
        snprintf(what, sizeof what, "HOA of %s", formula);
        oom_sweep(&it, what);
    }
    it.kind = OOM_ABSTRACTION;
    it.text = abstraction;
    oom_sweep(&it, "corridor");
    for (i = 0; i < 4; ++i) {
        random_abstraction_text(&rng, i % 2, texts[i], sizeof texts[i]);
        it.text = texts[i];
        snprintf(what, sizeof what, "abstraction %u", i);
        oom_sweep(&it, what);
    }
    it.kind = OOM_GRID_TEXT;
    it.text = map;
    oom_sweep(&it, "minecraft map");
    it.text = "#S.\n#..\n";
    oom_sweep(&it, "small map");
    CHECK(saferl_shield_grid_read_text(map, strlen(map), legend, legend_count, &grid, NULL, NULL) == SAFERL_OK);
    for (i = 0; i < 120; ++i) memcpy(pixels + 4 * i, legend[grid.kind[i]].rgba, 4);
    it.kind = OOM_GRID_RGBA;
    it.pixels = pixels;
    it.width = 12;
    it.height = 10;
    oom_sweep(&it, "minecraft image");
    saferl_shield_grid_destroy(&grid);
    /* games: the corridor (sure and probabilistic), random small games */
    CHECK(saferl_shield_read_abstraction(abstraction, strlen(abstraction), NULL, &corridor, NULL) == SAFERL_OK);
    CHECK(compile("G !lava", &spec) == SAFERL_OK);
    it.kind = OOM_GAME;
    it.abstraction = &corridor;
    it.a = &spec;
    oom_sweep(&it, "corridor game");
    it.game.horizon = 2;
    it.game.threshold = 0.7;
    oom_sweep(&it, "corridor probabilistic game");
    saferl_shield_dfa_destroy(&spec);
    saferl_shield_abstraction_destroy(&corridor);
    for (i = 0; i < 4; ++i) {
        random_small_game(&games[i], &rng, (int)(i % 2));
        it.abstraction = &games[i].abstraction;
        it.a = &games[i].dfa;
        it.game.horizon = i % 2 ? 3 : 0;
        it.game.threshold = 0.5;
        snprintf(what, sizeof what, "small game %u", i);
        oom_sweep(&it, what);
    }
    /* operations on automata */
    CHECK(compile("G(a -> X b) & G(c -> X X !a)", &mine[0]) == SAFERL_OK);
    CHECK(compile("G(a -> X(b | !c))", &mine[1]) == SAFERL_OK);
    it.a = &mine[0];
    it.b = &mine[1];
    it.kind = OOM_MINIMIZE;
    oom_sweep(&it, "minimize");
    it.a = &games[0].dfa;
    oom_sweep(&it, "minimize a small game's automaton");
    it.a = &mine[0];
    it.kind = OOM_PRODUCT;
    oom_sweep(&it, "product");
    it.kind = OOM_COMPLEMENT;
    oom_sweep(&it, "complement");
    it.kind = OOM_EQUIVALENT;
    oom_sweep(&it, "equivalent (differ)");
    it.b = &mine[0];
    oom_sweep(&it, "equivalent (same)");
    saferl_shield_dfa_destroy(&mine[0]);
    saferl_shield_dfa_destroy(&mine[1]);
}

TEST(allocations_are_all_released) {
#ifdef SAFERL_TEST_COUNTING_ALLOCATOR
    CHECK(saferl_test_allocations > 0);
    CHECK(saferl_test_allocations == saferl_test_releases);
    printf("        %ld allocations, all released\n", saferl_test_allocations);
#endif
}

/* Inf(0) HOA files on random deterministic automata (seeded): the reader's verdict and its
   monitor against the textbook fixpoint, the greatest Z whose states all reach a marked edge
   into Z, iterated here as written; and a chain of 100,000 states (2.6 MB) that the iterated
   fixpoint inside the reader took about a minute for (one round per state removed). */
static void buchi_fixpoint(int n, const int next[][2], const int mark[][2], int *good) {
    int changed = 1, q, a, grew;
    int seen[8];
    for (q = 0; q < n; ++q) good[q] = 1;
    while (changed) {
        changed = 0;
        for (q = 0; q < n; ++q) seen[q] = 0;
        do {
            grew = 0;
            for (q = 0; q < n; ++q)
                for (a = 0; a < 2 && !seen[q]; ++a)
                    if ((mark[q][a] && good[next[q][a]]) || seen[next[q][a]]) seen[q] = 1, grew = 1;
        } while (grew);
        for (q = 0; q < n; ++q)
            if (good[q] != seen[q]) good[q] = seen[q], changed = 1;
    }
}

TEST(hoa_buchi_check_agrees_with_the_fixpoint_in_linear_time) {
    saferl_rng rng;
    int round, accepted = 0, refused = 0;
    saferl_rng_seed(&rng, 15u);
    for (round = 0; round < 300; ++round) {
        int n = 1 + (int)saferl_rng_bounded(&rng, 7), next[8][2], mark[8][2], good[8], q, a, len = 0, changed;
        int reach[8] = {0}, cyclic = 0, left[8];
        saferl_shield_dfa dfa;
        saferl_shield_error error;
        saferl_result r;
        len += sprintf(text + len, "HOA: v1\nStates: %d\nStart: 0\nAP: 1 \"a\"\nAcceptance: 1 Inf(0)\n--BODY--\n", n);
        for (q = 0; q < n; ++q) {
            len += sprintf(text + len, "State: %d\n", q);
            for (a = 0; a < 2; ++a) {
                next[q][a] = (int)saferl_rng_bounded(&rng, (uint32_t)n);
                mark[q][a] = saferl_rng_bounded(&rng, 3) != 0;
                len += sprintf(text + len, "[%s0] %d%s\n", a ? "" : "!", next[q][a], mark[q][a] ? " {0}" : "");
            }
        }
        len += sprintf(text + len, "--END--\n");
        buchi_fixpoint(n, (const int(*)[2])next, (const int(*)[2])mark, good);
        /* safety iff no unmarked cycle among the reachable good states (peeling sources) */
        reach[0] = 1;
        for (changed = 1; changed;)
            for (changed = 0, q = 0; q < n; ++q)
                for (a = 0; a < 2; ++a)
                    if (reach[q] && !reach[next[q][a]]) reach[next[q][a]] = 1, changed = 1;
        for (q = 0; q < n; ++q) left[q] = reach[q] && good[q];
        for (changed = 1; changed;)
            for (changed = 0, q = 0; q < n; ++q) {
                int has_in = 0, p;
                if (!left[q]) continue;
                for (p = 0; p < n; ++p)
                    for (a = 0; a < 2; ++a) has_in |= left[p] && !mark[p][a] && next[p][a] == q;
                if (!has_in) left[q] = 0, changed = 1;
            }
        for (q = 0; q < n; ++q) cyclic |= left[q];
        r = saferl_shield_read_hoa(text, (size_t)len, NULL, &dfa, &error);
        CHECK(r == (cyclic ? SAFERL_ERR_UNSUPPORTED : SAFERL_OK));
        if (r != SAFERL_OK) {
            refused += 1;
            continue;
        }
        accepted += 1;
        { /* every word of length 6: the monitor is in its sink exactly when the run left good */
            uint32_t word;
            int t;
            for (word = 0; word < 64; ++word) {
                saferl_shield_monitor m;
                saferl_shield_monitor_init(&m, &dfa, 0.0, -1.0);
                for (q = 0, t = 0; t < 6; ++t) {
                    a = (int)((word >> t) & 1u);
                    saferl_shield_monitor_step(&m, (uint32_t)a, NULL);
                    q = next[q][a];
                    CHECK(saferl_shield_monitor_violated(&m) == !good[q]);
                }
            }
        }
        saferl_shield_dfa_destroy(&dfa);
    }
    CHECK(accepted > 30 && refused > 30); /* both verdicts exercised */
    {
        const int n = 100000;
        size_t cap = (size_t)n * 32 + 256, len = 0;
        char *chain = (char *)malloc(cap);
        saferl_shield_dfa dfa;
        saferl_shield_error error;
        saferl_result r;
        int q;
        CHECK(chain != NULL);
        if (!chain) return;
        len += (size_t)sprintf(chain, "HOA: v1\nStates: %d\nStart: 0\nAP: 1 \"a\"\nAcceptance: 1 Inf(0)\n--BODY--\n", n);
        for (q = 0; q + 1 < n; ++q) len += (size_t)sprintf(chain + len, "State: %d\n[t] %d {0}\n", q, q + 1);
        len += (size_t)sprintf(chain + len, "State: %d\n[t] %d\n--END--\n", n - 1, n - 1);
        /* no accepting run anywhere: the empty language, a monitor violated at once */
        r = saferl_shield_read_hoa(chain, len, NULL, &dfa, &error);
        CHECK(r == SAFERL_OK);
        if (r == SAFERL_OK) saferl_shield_dfa_destroy(&dfa);
        free(chain);
    }
}

/* The dead-state pruning (saferl_shield__alive_states, a worklist) against the sweep it
   replaced (repeat until nothing changes), both fixpoints, on random automata (seeded): 1 to
   12 states, 1 or 2 propositions, random accepting sets. */
TEST(alive_states_agree_with_the_sweep) {
    static unsigned char memory[1 << 14];
    saferl_rng rng;
    int round, differ = 0, pruned = 0;
    saferl_rng_seed(&rng, 1515u);
    for (round = 0; round < 2000; ++round) {
        const uint32_t n = 1 + saferl_rng_bounded(&rng, 12), props = 1 + saferl_rng_bounded(&rng, 2);
        const int prune_dead = (int)(round & 1);
        unsigned char fast[12], slow[12], start[12];
        saferl_shield_dfa dfa;
        uint32_t q, letter;
        int changed = 1;
        if (saferl_shield_dfa_init(&dfa, n, props, 0, memory, sizeof memory) != SAFERL_OK) {
            CHECK(0);
            return;
        }
        for (q = 0; q < n; ++q) {
            fast[q] = slow[q] = start[q] = saferl_rng_bounded(&rng, 3) != 0;
            for (letter = 0; letter < dfa.letter_count; ++letter)
                dfa.next[((size_t)q << dfa.letter_bits) | letter] = saferl_rng_bounded(&rng, n);
        }
        while (changed) { /* the sweep */
            changed = 0;
            for (q = 0; q < n; ++q) {
                int any = 0;
                if (prune_dead ? !slow[q] : slow[q]) continue;
                for (letter = 0; letter < dfa.letter_count; ++letter) any |= slow[dfa.next[((size_t)q << dfa.letter_bits) | letter]];
                if (prune_dead ? !any : any) slow[q] = (unsigned char)!prune_dead, changed = 1;
            }
        }
        CHECK(saferl_shield__alive_states(&dfa, prune_dead, fast, NULL) == 0);
        differ += memcmp(fast, slow, n) != 0;
        for (q = 0; q < n; ++q) pruned += fast[q] != start[q];
    }
    CHECK(differ == 0);
    CHECK(pruned > 500); /* the fixpoints moved states, in both directions */
}

/* Minimisation by Hopcroft's refinement against Moore's rounds it replaced (kept here as the
   reference: a state's signature is its class, its successors' classes and its edge rewards,
   interned into the next partition until the number of classes stays), on 2000 seeded random
   automata: 1 to 40 states, 1 to 3 propositions, random flags, stages, sink and rewards from a
   small set (so that classes merge), half of them blown up from a smaller automaton (many
   equivalent states). Both go through the same finish phases; the tables must be identical. */
static saferl_result moore_refine(saferl_shield__minimize *z) {
    const saferl_shield_dfa *d = z->d;
    uint32_t letters = d->letter_count, letter, old_count, *sig, *fresh;
    size_t sig_len = 1 + (size_t)letters * (d->reward ? 3 : 1), i;
    saferl_shield__index first;
    saferl_result r = SAFERL_ERR_OUT_OF_MEMORY;
    z->table_capacity = 64;
    while (z->table_capacity < 2 * (size_t)z->m || z->table_capacity < 2 * (size_t)letters) z->table_capacity *= 2;
    z->cls = (uint32_t *)saferl_shield__allocate(z->allocator, (size_t)z->m * sizeof(uint32_t));
    z->table = (uint32_t *)saferl_shield__allocate(z->allocator, z->table_capacity * sizeof(uint32_t));
    if (!z->cls || !z->table || (size_t)z->m > ((size_t)-1) / sizeof(uint32_t) / sig_len) return r;
    fresh = (uint32_t *)saferl_shield__allocate(z->allocator, (size_t)z->m * sizeof(uint32_t));
    sig = (uint32_t *)saferl_shield__allocate(z->allocator, (size_t)z->m * sig_len * sizeof(uint32_t));
    saferl_shield__index_start(&first, z->allocator);
    if (!fresh || !sig) goto done;
    for (i = 0; i < z->m; ++i) {
        uint32_t s = z->order[i];
        uint64_t key = (uint64_t)(d->flags[s] & (SAFERL_SHIELD_ACCEPTING | SAFERL_SHIELD_TERMINAL)) |
                       ((uint64_t)d->stage[s] << 8) | ((uint64_t)(s == d->sink) << 24);
        if (saferl_shield__index_get(&first, key, &z->cls[i], NULL) < 0) goto done;
    }
    z->class_count = (uint32_t)first.keys.count;
    do {
        old_count = z->class_count;
        for (i = 0; i < z->m; ++i) {
            uint32_t *w = sig + i * sig_len;
            size_t base = (size_t)z->order[i] << d->letter_bits;
            w[0] = z->cls[i];
            for (letter = 0; letter < letters; ++letter) {
                w[1 + letter] = z->cls[z->id[d->next[base + letter]]];
                if (d->reward) memcpy(&w[1 + letters + 2 * (size_t)letter], &d->reward[base + letter], sizeof(double));
            }
        }
        saferl_shield__number_rows(sig, z->m, sig_len, z->table, z->table_capacity, fresh, &z->class_count);
        memcpy(z->cls, fresh, (size_t)z->m * sizeof(uint32_t));
    } while (z->class_count != old_count);
    r = SAFERL_OK;
done:
    saferl_shield__index_free(&first);
    saferl_shield__release(z->allocator, fresh);
    saferl_shield__release(z->allocator, sig);
    return r;
}

static saferl_result minimize_by_moore(const saferl_shield_dfa *d, saferl_shield_dfa *out) {
    saferl_shield__minimize z;
    saferl_result r;
    memset(&z, 0, sizeof z);
    z.d = d;
    z.dd_root = SAFERL_SHIELD_LEAF;
    r = saferl_shield__minimize_reach(&z);
    if (r == SAFERL_OK) r = moore_refine(&z);
    if (r == SAFERL_OK) r = saferl_shield__minimize_finish(&z, out);
    saferl_shield__minimize_free(&z);
    return r;
}

/* same_tables, and the stages and edge rewards (bit for bit) too */
static int same_tables_and_rewards(const saferl_shield_dfa *a, const saferl_shield_dfa *b) {
    size_t edges = (size_t)a->state_count << a->letter_bits;
    if (!same_tables(a, b) || (a->reward == NULL) != (b->reward == NULL)) return 0;
    if (memcmp(a->stage, b->stage, a->state_count * sizeof(uint16_t)) != 0) return 0;
    return !a->reward || memcmp(a->reward, b->reward, edges * sizeof(double)) == 0;
}

TEST(hopcroft_refinement_equals_moore) {
    static unsigned char memory[1 << 16];
    saferl_rng rng;
    int round, differ = 0, merged = 0, failed = 0;
    saferl_rng_seed(&rng, 2026u);
    for (round = 0; round < 2000; ++round) {
        const uint32_t n = 1 + saferl_rng_bounded(&rng, 40), props = 1 + saferl_rng_bounded(&rng, 3);
        const uint32_t kinds = 1 + saferl_rng_bounded(&rng, n < 6 ? n : 6), blown = round & 1, rewards = (round >> 1) & 1;
        uint32_t kind[40], kind_next[6][8], q, letter;
        saferl_shield_dfa dfa, fast, slow;
        if (saferl_shield_dfa_init(&dfa, n, props, (int)rewards, memory, sizeof memory) != SAFERL_OK) {
            CHECK(0);
            return;
        }
        for (q = 0; q < kinds; ++q)
            for (letter = 0; letter < dfa.letter_count; ++letter) kind_next[q][letter] = saferl_rng_bounded(&rng, kinds);
        for (q = 0; q < n; ++q) kind[q] = q < kinds ? q : saferl_rng_bounded(&rng, kinds);
        for (q = 0; q < n; ++q) {
            uint32_t k = blown ? kind[q] : q;
            dfa.flags[q] = (uint8_t)(blown ? (k & 1 ? SAFERL_SHIELD_ACCEPTING : 0) | (k == 3 ? SAFERL_SHIELD_TERMINAL : 0)
                                           : saferl_rng_bounded(&rng, 4));
            dfa.stage[q] = (uint16_t)(blown ? k % 2 : saferl_rng_bounded(&rng, 2));
            for (letter = 0; letter < dfa.letter_count; ++letter) {
                size_t at = ((size_t)q << dfa.letter_bits) | letter;
                if (blown) { /* any state of the successor's kind */
                    uint32_t t;
                    do t = saferl_rng_bounded(&rng, n); while (kind[t] != kind_next[k][letter]);
                    dfa.next[at] = t;
                } else {
                    dfa.next[at] = saferl_rng_bounded(&rng, n);
                }
                if (rewards) dfa.reward[at] = blown ? (double)((k + letter) % 3) : (double)saferl_rng_bounded(&rng, 2);
            }
        }
        dfa.initial = saferl_rng_bounded(&rng, n);
        dfa.sink = saferl_rng_bounded(&rng, 3) == 0 ? saferl_rng_bounded(&rng, n) : SAFERL_SHIELD_NO_STATE;
        if (saferl_shield_minimize(&dfa, &fast, NULL) != SAFERL_OK) {
            failed += 1;
            continue;
        }
        if (minimize_by_moore(&dfa, &slow) != SAFERL_OK) {
            failed += 1;
            saferl_shield_dfa_destroy(&fast);
            continue;
        }
        differ += !same_tables_and_rewards(&fast, &slow);
        merged += fast.state_count + 1 < n;
        saferl_shield_dfa_destroy(&fast);
        saferl_shield_dfa_destroy(&slow);
    }
    CHECK(failed == 0);
    CHECK(differ == 0);
    CHECK(merged > 500); /* classes merged often, not only identity partitions */
}

/* The same comparison on structured families (seeded, 120 automata each): the random ones
   above pass even when a waiting block that splits puts only its smaller half back in the
   worklist (both halves must wait: the block itself has not split anything yet); with this
   seed each family below fails then (counters by 1 automaton of 120). Chains and cycles of 100 to 2000 states with periodic accepting and reward
   patterns and one defect (family 1 also periodic stages), counters mod k1 x k2 with 2
   propositions, products of 2 or 3 small random automata (up to 1728 states) and automata of
   100 to 2000 states blown up from 2 to 32 kinds. */
static void structured_automaton(saferl_rng *rng, int family, saferl_shield_dfa *dfa, int *ok) {
    uint32_t props = 1 + saferl_rng_bounded(rng, 2), rewards = saferl_rng_bounded(rng, 2), n = 0, q, letter;
    uint32_t period = 2 + saferl_rng_bounded(rng, 11), pattern = saferl_rng_u32(rng);
    uint32_t stage_period = 1 + saferl_rng_bounded(rng, 3);
    uint32_t k1 = 0, k2 = 0, size[3] = {0, 0, 0}, part_next[3][12][4], part_accepting[3][12], verdict = 0;
    static uint32_t kind[2000];
    uint32_t kinds = 0, kind_next[32][4], defect, variant = saferl_rng_bounded(rng, 4), parts = 0, i;
    switch (family) {
    case 0: /* chains and cycles */
    case 1:
        n = 100 + saferl_rng_bounded(rng, 1901);
        break;
    case 2: /* counters mod k1 x k2 */
        props = 2;
        k1 = 2 + saferl_rng_bounded(rng, 40), k2 = 2 + saferl_rng_bounded(rng, 40), n = k1 * k2;
        break;
    case 3: /* products of 2 or 3 small automata */
        parts = 2 + saferl_rng_bounded(rng, 2), n = 1, verdict = saferl_rng_u32(rng);
        for (i = 0; i < parts; ++i) {
            size[i] = 3 + saferl_rng_bounded(rng, 10), n *= size[i];
            for (q = 0; q < size[i]; ++q) {
                part_accepting[i][q] = saferl_rng_bounded(rng, 2);
                for (letter = 0; letter < 4; ++letter) part_next[i][q][letter] = saferl_rng_bounded(rng, size[i]);
            }
        }
        break;
    default: /* large, blown up from few kinds */
        n = 100 + saferl_rng_bounded(rng, 1901), kinds = 2 + saferl_rng_bounded(rng, 31);
        for (q = 0; q < kinds; ++q)
            for (letter = 0; letter < 4; ++letter) kind_next[q][letter] = saferl_rng_bounded(rng, kinds);
        break;
    }
    defect = saferl_rng_bounded(rng, n);
    *ok = saferl_shield_dfa_create(dfa, n, props, (int)rewards, NULL) == SAFERL_OK;
    if (!*ok) return;
    if (family == 4)
        for (q = 0; q < n; ++q) kind[q] = q < kinds ? q : saferl_rng_bounded(rng, kinds);
    for (q = 0; q < n; ++q) {
        uint32_t phase = q % period, mark = (pattern >> phase) & 1u, i1 = 0, j1 = 0;
        if (family <= 1) mark ^= q == defect;
        if (family == 2) {
            i1 = q / k2, j1 = q % k2;
            mark = variant == 0   ? i1 == j1
                   : variant == 1 ? (i1 + j1) % period == 0
                   : variant == 2 ? i1 < j1
                                  : (i1 * j1) % period == 1;
        } else if (family == 3) {
            uint32_t rest = q, combo = 0;
            for (i = 0; i < parts; ++i) combo |= part_accepting[i][rest % size[i]] << i, rest /= size[i];
            mark = (verdict >> combo) & 1u;
        } else if (family == 4) {
            mark = kind[q] & 1u;
        }
        dfa->flags[q] = (uint8_t)(mark ? SAFERL_SHIELD_ACCEPTING : 0);
        dfa->stage[q] = (uint16_t)(family == 4 ? kind[q] % 2 : family == 1 ? (q / period) % stage_period : 0);
        for (letter = 0; letter < dfa->letter_count; ++letter) {
            size_t at = ((size_t)q << dfa->letter_bits) | letter;
            uint32_t t = 0;
            switch (family) {
            case 0: /* letter 0 steps on (the last state stays or wraps), others reset, stay or skip */
            case 1:
                if (letter == 0) t = q + 1 < n ? q + 1 : (variant & 1) ? 0 : q;
                else if (letter == 1) t = variant < 2 ? 0 : q;
                else t = (letter == 2 ? q + period : 2 * q + 1) % n;
                break;
            case 2: /* bit 0 counts mod k1, bit 1 mod k2 */
                t = ((i1 + (letter & 1u)) % k1) * k2 + (j1 + (letter >> 1)) % k2;
                break;
            case 3: {
                uint32_t rest = q, scale = 1;
                for (i = 0; i < parts; ++i) {
                    t += part_next[i][rest % size[i]][letter] * scale;
                    scale *= size[i], rest /= size[i];
                }
                break;
            }
            default:
                do t = saferl_rng_bounded(rng, n); while (kind[t] != kind_next[kind[q]][letter]);
                break;
            }
            dfa->next[at] = t;
            if (rewards)
                dfa->reward[at] = family == 4 ? (double)((kind[q] + letter) % 3)
                                  : letter == 0 ? (double)((pattern >> (q % period + 11)) & 1u) + (q == defect) : 0.0;
        }
    }
    dfa->initial = family <= 1 ? 0 : saferl_rng_bounded(rng, n);
    dfa->sink = SAFERL_SHIELD_NO_STATE;
}

/* Memory handed out zeroed: a partition that is not a congruence leaves classes that the
   write phase never reaches, and reading their queue slots then gives a wrong table, not a
   read of uninitialised memory. */
static void *zeroed_allocate(size_t size, void *user_data) {
    (void)user_data;
    return calloc(1, size ? size : 1);
}

static void zeroed_release(void *pointer, void *user_data) {
    (void)user_data;
    free(pointer);
}

TEST(hopcroft_refinement_equals_moore_on_structured_families) {
    static const saferl_allocator zeroed = {zeroed_allocate, zeroed_release, NULL};
    static const char *const name[5] = {"chains", "chains with stages", "counters", "products", "blown up"};
    saferl_rng rng;
    int round, family, failed = 0, large = 0;
    saferl_rng_seed(&rng, 2027u);
    for (family = 0; family < 5; ++family) {
        int differ = 0;
        for (round = 0; round < 120; ++round) {
            saferl_shield_dfa dfa, fast, slow;
            int ok;
            structured_automaton(&rng, family, &dfa, &ok);
            if (!ok) {
                failed += 1;
                continue;
            }
            if (saferl_shield_minimize(&dfa, &fast, &zeroed) != SAFERL_OK) {
                failed += 1;
                saferl_shield_dfa_destroy(&dfa);
                continue;
            }
            if (minimize_by_moore(&dfa, &slow) != SAFERL_OK) {
                failed += 1;
                saferl_shield_dfa_destroy(&fast);
                saferl_shield_dfa_destroy(&dfa);
                continue;
            }
            differ += !same_tables_and_rewards(&fast, &slow);
            large += fast.state_count >= 100;
            saferl_shield_dfa_destroy(&fast);
            saferl_shield_dfa_destroy(&slow);
            saferl_shield_dfa_destroy(&dfa);
        }
        if (differ) fprintf(stderr, "        %s: %d of 120 differ from Moore's\n", name[family], differ);
        CHECK(differ == 0);
    }
    CHECK(failed == 0);
    CHECK(large > 100); /* many minimal automata of 100 states or more */
}

int main(void) {
    RUN(never_two_lava_steps);
    RUN(bad_prefixes_are_detected_at_once);
    RUN(spot_monitor_is_reproduced);
    RUN(errors_point_at_line_and_column);
    RUN(precedence_is_spots);
    RUN(bounded_response);
    RUN(every_formula_closes_at_the_minimal_size);
    RUN(the_generators_chain_needs_two_to_the_d_states);
    RUN(simplifications_keep_the_language);
    RUN(memo_resets_keep_the_automata);
    RUN(safety_formulas_written_with_eventualities);
    RUN(equivalence_gives_a_shortest_counterexample);
    RUN(product_and_complement);
    RUN(product_prunes_joint_dead_ends);
    RUN(hoa_round_trips);
    RUN(hoa_reader_accepts_other_tools_and_refuses_clearly);
    RUN(reward_machines_keep_edges_by_source_and_guard);
    RUN(past_time_monitors);
    RUN(ltlf_mode);
    RUN(ltlf_empty_languages_go_to_the_sink);
    RUN(ltlf_lengths_follow_the_finite_trace_semantics);
    RUN(ltlf_window_implications_hold_on_every_trace);
    RUN(safeguards_by_hand_keep_stable_ids_and_stages);
    RUN(thirty_two_propositions_compile_symbolically);
    RUN(symbolic_letters_agree_with_the_dense_construction);
    RUN(thirty_two_propositions_product_complement_equivalence);
    RUN(thirty_two_propositions_hoa_round_trip_and_canonical_tables);
    RUN(dot_export);
    RUN(monitors_share_tables_and_never_allocate);
    RUN(preemptive_shield_is_the_winning_strategies_by_brute_force);
    RUN(shielded_play_never_violates_on_small_games);
    RUN(post_posed_and_probabilistic_shields);
    RUN(unrealisable_specifications_say_where);
    RUN(a_refused_game_leaves_nothing);
    RUN(abstraction_text);
    RUN(gridworlds_from_text_and_pixels);
    RUN(minecraft_safeguards_follow_the_code);
    RUN(shielded_agent_never_violates_on_the_gridworld);
    RUN(crm_updates_every_automaton_state_and_transfer_averages);
    RUN(qtable_updates_refuse_bad_steps_and_change_nothing);
    RUN(greedy_breaks_near_ties_at_random);
    RUN(transfer_copies_only_from_states_at_least_as_strict);
    RUN(transfer_by_replay_equals_q_learning_on_the_same_steps);
    RUN(a_name_read_as_an_operator_suggests_quotes);
    RUN(every_reader_skips_a_byte_order_mark);
    RUN(explain_lists_only_reachable_losing_states);
    RUN(readers_bound_what_they_allocate);
    RUN(hoa_buchi_check_agrees_with_the_fixpoint_in_linear_time);
    RUN(alive_states_agree_with_the_sweep);
    RUN(hopcroft_refinement_equals_moore);
    RUN(hopcroft_refinement_equals_moore_on_structured_families);
    RUN(compile_survives_every_failed_allocation);
    RUN(readers_and_games_survive_every_failed_allocation);
    RUN(allocations_are_all_released);
    return saferl_test_finish();
}
