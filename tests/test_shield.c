/* Unit tests of saferl_shield.h: automata small enough to check by hand, Spot's published
   monitor written down as text, and the algebra of the operations (a product against the
   conjunction, a complement against the bad prefixes, equivalence with its counterexample).
   The oracle suite (tests/oracle/shield.sh) checks against lbt and MONA on many formulas.
   Runs natively, under sanitizers, with the counting allocator, as STATIC and under node as
   WebAssembly: the same file, the same expectations. */
#include "saferl_test.h"

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
    expect_error("G a #", SAFERL_SHIELD_LTL, SAFERL_ERR_PARSE, 1, 5, "unexpected '#'");
    expect_error("", SAFERL_SHIELD_LTL, SAFERL_ERR_PARSE, 1, 1, "formula ends");
    {   /* more propositions than the label width, and than one automaton reads */
        char many[400];
        size_t n = 0;
        int i;
        for (i = 0; i < 33; ++i) n += (size_t)sprintf(many + n, "%sp%d", i ? " | " : "", i);
        expect_error(many, SAFERL_SHIELD_LTL, SAFERL_ERR_UNSUPPORTED, 1, 87, "17th proposition");
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
        /* the names are all read before the 17th-in-one-automaton check would trip: none are used */
        CHECK(saferl_shield_compile(many, n, &desc, &dfa, &error) < 0);
    }
}

TEST(precedence_is_spots) {
    CHECK(same_language("a | b & c", "a | (b & c)", SAFERL_SHIELD_LTL) == 1);
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
    CHECK(strstr(error.message, "not a safety condition") != NULL);
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

TEST(allocations_are_all_released) {
#ifdef SAFERL_TEST_COUNTING_ALLOCATOR
    CHECK(saferl_test_allocations > 0);
    CHECK(saferl_test_allocations == saferl_test_releases);
    printf("        %ld allocations, all released\n", saferl_test_allocations);
#endif
}

int main(void) {
    RUN(never_two_lava_steps);
    RUN(bad_prefixes_are_detected_at_once);
    RUN(spot_monitor_is_reproduced);
    RUN(errors_point_at_line_and_column);
    RUN(precedence_is_spots);
    RUN(bounded_response);
    RUN(equivalence_gives_a_shortest_counterexample);
    RUN(product_and_complement);
    RUN(product_prunes_joint_dead_ends);
    RUN(hoa_round_trips);
    RUN(hoa_reader_accepts_other_tools_and_refuses_clearly);
    RUN(reward_machines_keep_edges_by_source_and_guard);
    RUN(past_time_monitors);
    RUN(ltlf_mode);
    RUN(safeguards_by_hand_keep_stable_ids_and_stages);
    RUN(dot_export);
    RUN(monitors_share_tables_and_never_allocate);
    RUN(allocations_are_all_released);
    return saferl_test_finish();
}
