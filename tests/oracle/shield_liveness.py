"""Formulas written with F, U and M: saferl_shield.h must compile exactly those that are safety
properties (at the size of the minimal monitor derived from lbt) and refuse the others.

Whether a formula is a safety property is decided here with lbt alone: a property is safety iff
it equals its safety closure, i.e. no infinite word has only good prefixes (every prefix leaves
a live state in lbt's automaton of the formula) and yet satisfies the negation (an accepting run
of lbt's automaton of the negation). That is an emptiness check of the product of the subset
construction over the formula's live states with the negation's generalised Buchi automaton.
A formula the library compiles is then checked as in shield_oracle.check_safety (bad prefixes
against lbt, lasso words against the LTL semantics) and its size against the minimal monitor.

Material: the 55 formulas of Dwyer, Avrunin and Corbett's specification patterns (11 patterns
under the five scopes, as in their pattern table: globally, before R, after Q, between Q and R,
after Q until R; propositions p0 .. p4 stand for P, S, T, Z, Q, R in the order below), and
seeded random formulas with F, U and M in any position (--random COUNT [SEED]), and the same
widened to 17-24 propositions (--wide COUNT [SEED]; see check_wide), where the library never
enumerates the 2^k letters. The checks here do not either: oracle.letter_classes gives one
letter per class of letters lbt's guards treat alike.
usage: shield_liveness.py path/to/shield_compile [--random COUNT [SEED] | --wide COUNT [SEED]]"""
import os, random, re, subprocess, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import shield_oracle as oracle  # noqa: E402  (reads BIN from sys.argv[1])
import shield_random  # noqa: E402

# The pattern table, P S T Z the pattern's propositions, Q R the scope's.
PATTERNS = [
    ("absence", ["G(!P)", "F R -> (!P U R)", "G(Q -> G(!P))", "G((Q & !R & F R) -> (!P U R))",
                 "G((Q & !R) -> (!P W R))"]),
    ("existence", ["F(P)", "!R W (P & !R)", "G(!Q) | F(Q & F P)", "G((Q & !R) -> (!R W (P & !R)))",
                   "G((Q & !R) -> (!R U (P & !R)))"]),
    ("bounded existence", [
        "!P W (P W (!P W (P W G !P)))",
        "F R -> ((!P & !R) U (R | ((P & !R) U (R | ((!P & !R) U (R | ((P & !R) U (R | (!P U R)))))))))",
        "F Q -> (!Q U (Q & (!P W (P W (!P W (P W G !P))))))",
        "G((Q & F R) -> ((!P & !R) U (R | ((P & !R) U (R | ((!P & !R) U (R | ((P & !R) U (R | (!P U R))))))))))",
        "G(Q -> ((!P & !R) U (R | ((P & !R) U (R | ((!P & !R) U (R | ((P & !R) U (R | (!P W R) | G P)))))))))"]),
    ("universality", ["G(P)", "F R -> (P U R)", "G(Q -> G(P))", "G((Q & !R & F R) -> (P U R))",
                      "G((Q & !R) -> (P W R))"]),
    ("precedence", ["!P W S", "F R -> (!P U (S | R))", "G !Q | F(Q & (!P W S))",
                    "G((Q & !R & F R) -> (!P U (S | R)))", "G((Q & !R) -> (!P W (S | R)))"]),
    ("response", ["G(P -> F S)", "F R -> ((P -> (!R U (S & !R))) U R)", "G(Q -> G(P -> F S))",
                  "G((Q & !R & F R) -> ((P -> (!R U (S & !R))) U R))",
                  "G((Q & !R) -> ((P -> (!R U (S & !R))) W R))"]),
    ("precedence chain, 2 causes 1 effect", [
        "F P -> (!P U (S & !P & X(!P U T)))",
        "F R -> (!P U (R | (S & !P & X(!P U T))))",
        "G !Q | (!Q U (Q & (F P -> (!P U (S & !P & X(!P U T))))))",
        "G((Q & F R) -> (!P U (R | (S & !P & X(!P U T)))))",
        "G(Q -> ((F P -> (!P U (R | (S & !P & X(!P U T))))) | G !P))"]),
    ("precedence chain, 1 cause 2 effects", [
        "F(S & X F T) -> (!S U P)",
        "F R -> (!(S & !R & X(!R U (T & !R))) U (R | P))",
        "G !Q | (!Q U (Q & (F(S & X F T) -> (!S U P))))",
        "G((Q & F R) -> (!(S & !R & X(!R U (T & !R))) U (R | P)))",
        "G(Q -> ((!(S & !R & X(!R U (T & !R))) U (R | P)) | G !(S & X F T)))"]),
    ("response chain, 1 stimulus 2 responses", [
        "G(P -> F(S & X F T))",
        "F R -> ((P -> (!R U (S & !R & X(!R U T)))) U R)",
        "G(Q -> G(P -> (S & X F T)))",
        "G((Q & F R) -> ((P -> (!R U (S & !R & X(!R U T)))) U R))",
        "G(Q -> ((P -> (!R U (S & !R & X(!R U T)))) U (R | G(P -> (S & X F T)))))"]),
    ("response chain, 2 stimuli 1 response", [
        "G((S & X F T) -> X(F(T & F P)))",
        "F R -> ((S & X(!R U T) -> X(!R U (T & F P))) U R)",
        "G(Q -> G((S & X F T) -> X(!T U (T & F P))))",
        "G((Q & F R) -> ((S & X(!R U T) -> X(!R U (T & F P))) U R))",
        "G(Q -> ((S & X(!R U T) -> X(!R U (T & F P))) U (R | G((S & X(!R U T)) -> X(!R U (T & F P))))))"]),
    ("constrained response chain", [
        "G(P -> F(S & !Z & X(!Z U T)))",
        "F R -> ((P -> (!R U (S & !R & !Z & X((!R & !Z) U T)))) U R)",
        "G(Q -> G(P -> (S & !Z & X(!Z U T))))",
        "G((Q & F R) -> ((P -> (!R U (S & !R & !Z & X((!R & !Z) U T)))) U R))",
        "G(Q -> ((P -> (!R U (S & !R & !Z & X((!R & !Z) U T)))) U (R | G(P -> (S & !Z & X(!Z U T))))))"]),
]
NAMES = {"P": "p0", "S": "p1", "T": "p2", "Z": "p3", "Q": "p4", "R": "p5"}

def dac_formulas():
    out = []
    for name, scopes in PATTERNS:
        for scope, text in zip(["globally", "before R", "after Q", "between Q and R", "after Q until R"], scopes):
            text = re.sub(r"\b([PSTZQR])\b", lambda m: NAMES[m.group(1)], text)  # R is never the operator here
            out.append(("%s, %s" % (name, scope), text))
    return out

def lbt(formula_tree, names):
    text = shield_random.run_lbt(["lbt"], oracle.lbt_prefix(formula_tree, names) + "\n")
    if text is None:
        raise shield_random.ToolFailed("lbt")
    return oracle.parse_lbt(text)

def is_safety(formula):
    """True when the formula equals its safety closure (lbt's automata of it and its negation)."""
    f = oracle.Parser(formula).parse()
    names = oracle.props_of(f, [])
    negation = oracle.Parser("!(%s)" % formula).parse()
    sets, gba = lbt(f, names)
    nsets, ngba = lbt(negation, names)
    live = oracle.live_states(sets, gba)
    try:  # one letter per class of letters both automata's guards treat alike (exact)
        letters = oracle.letter_classes([g for a in (gba, ngba) for q in a for d, g in a[q][2]], len(names))
    except oracle.TooManyClasses:
        raise shield_random.ToolFailed("too many classes of letters")
    moves, nmoves = {}, {}  # per (state, letter): lbt's successors, computed once
    def move(automaton, cache, q, x):
        if (q, x) not in cache:
            cache[(q, x)] = [d for d, g in automaton[q][2] if oracle.eval_guard(g, letters[x])]
        return cache[(q, x)]
    def step(subset, x):
        return frozenset(d for q in subset for d in move(gba, moves, q, x) if d in live)
    start_subset = frozenset(q for q in gba if gba[q][0] and q in live)
    if not start_subset:
        return True  # the formula is false: safety
    start = [(start_subset, b) for b in ngba if ngba[b][0]]
    succ, todo = {}, list(start)
    while todo:
        v = todo.pop()
        if v in succ:
            continue
        subset, b = v
        succ[v] = set()
        for x in range(len(letters)):
            nxt = step(subset, x)
            if nxt:
                succ[v].update((nxt, d) for d in move(ngba, nmoves, b, x))
        todo.extend(succ[v])
        if len(succ) > 200000:
            raise shield_random.ToolFailed("product too large")
    comp = oracle.strongly_connected(succ, list(succ))
    return not oracle.accepting_components(succ, comp, lambda v: ngba[v[1]][1], nsets)

def ours(formula):
    run = subprocess.run([oracle.BIN, "-e", formula], capture_output=True, text=True)
    return run.returncode, run.stderr

def check(label, formula, rng, tally):
    """One formula: the safety decision against ours; a compiled one checked and sized."""
    started = time.time()
    status, err = ours(formula)
    try:
        safety = is_safety(formula)
    except shield_random.ToolFailed:
        tally["skipped"] += 1
        print("%s: lbt crashed, timed out or the product is too large, skipped: %s" % (label, formula))
        return
    oracle.checks += 1
    if not safety:
        tally["liveness"] += 1
        if status == 0:
            oracle.fail("%s: %s is not a safety property (lbt), yet it compiled" % (label, formula))
        elif "no finite prefix can violate" not in err and "which no finite prefix can violate" not in err:
            oracle.fail("%s: %s refused without the message: %s" % (label, formula, err.strip()))
        return
    tally["safety"] += 1
    if status != 0:
        oracle.fail("%s: %s is a safety property (lbt), yet refused: %s" % (label, formula, err.strip()))
        return
    before = oracle.failures
    f = oracle.Parser(formula).parse()
    names = oracle.props_of(f, [])
    try:
        oracle.check_safety(2000 + tally["safety"], formula, rng)
        sets, gba = lbt(f, names)
    except shield_random.ToolFailed:
        tally["skipped"] += 1
        print("%s: lbt crashed on the formula, monitor not checked: %s" % (label, formula))
        return
    if oracle.failures != before:
        print("  (%s)" % label)
        return
    expected = shield_random.minimal_monitor_size(sets, gba, names)
    got = shield_random.our_size(oracle.our_dfa(formula))
    oracle.checks += 1
    if expected is None:
        print("%s: lbt's subset construction too large, size not compared: %s" % (label, formula))
    elif expected != got:
        oracle.fail("%s: %s: %d states, lbt's minimal monitor has %d" % (label, formula, got, expected))
    else:
        tally["minimal"] += 1
    if time.time() - started > 10:
        print("%s took %.0f s" % (label, time.time() - started))

def mixed_safe(rng, props, n):
    """The shapes people write: A W B as (A U B) | G A, absence before R, ..."""
    a = shield_random.safety(rng, props, max(1, (n - 3) // 2))
    b = shield_random.safety(rng, props, max(1, (n - 3) // 2))
    return rng.choice(["((%s) U (%s)) | G(%s)" % (a, b, a), "F(%s) -> ((%s) U (%s))" % (b, a, b),
                       "((%s) M (%s)) | G(%s)" % (a, b, b), "G(%s) | F((%s) & X(%s))" % (a, b, a)])

def mixed(rng, props, n):
    """A random formula of about n nodes with F, U, M anywhere (most are not safety; those that
    are, by their structure or by accident, must compile)."""
    if n <= 1:
        return shield_random.literal(rng, props)
    op = rng.choice(["X", "G", "F", "!", "&", "|", "->", "U", "W", "R", "M", "safe"] if n > 2 else ["X", "G", "F", "!"])
    if op == "safe":
        return mixed_safe(rng, props, n)
    if op in ("X", "G", "F", "!"):
        return "%s(%s)" % (op, mixed(rng, props, n - 1))
    left = rng.randint(1, n - 2)
    return "(%s) %s (%s)" % (mixed(rng, props, left), op, mixed(rng, props, n - 1 - left))

def widen(rng, formula, props, count):
    """The formula with proposition p_i replaced by a conjunction C_i of literals over its own
    fresh propositions, count of them in all: a letter map h from wide labels onto narrow
    letters (h(label)_i = C_i(label)) with formula(h(w)) = wide(w), and h is onto."""
    names = ["p%d" % j for j in range(count)]
    rng.shuffle(names)
    cubes = [[] for _ in props]
    for j, name in enumerate(names):
        cubes[j % len(props)].append((name, rng.random() < 0.7))
    text = re.sub(r"\bp(\d+)\b", lambda m: "q" + m.group(1), formula)
    for i, cube in enumerate(cubes):
        text = text.replace("q%d" % i, "(%s)" % " & ".join(n if positive else "!" + n for n, positive in cube))
    return text, cubes

def wide_label(rng, letter, cubes):
    """A random wide label in h^-1(letter): C_i true exactly where letter_i is."""
    label = {}
    for value, cube in zip(letter, cubes):
        while True:
            bits = {n: (positive if value else rng.random() < 0.5) for n, positive in cube}
            if all(bits[n] == positive for n, positive in cube) == value:
                break
        label.update(bits)
    return label

def check_wide(label, narrow, props, rng, tally):
    """A formula over 17-24 propositions (the compiler's symbolic letters), where lbt cannot
    run (Debian's lbt 1.2.2 crashes on most formulas that wide): its narrow original is checked
    against lbt as usual, and the wide one against ours of the narrow one through the letter
    map h: the same decision, the same minimal size, and on random words w the same
    violations as h(w) (so the wide monitor is as right as the narrow one lbt just checked)."""
    before = oracle.failures
    check(label, narrow, rng, tally)
    if oracle.failures != before:
        return
    wide, cubes = widen(rng, narrow, props, rng.randint(17, 24))
    s1, e1 = ours(narrow)
    s2, e2 = ours(wide)
    oracle.checks += 1
    if (s1 == 0) != (s2 == 0):
        oracle.fail("%s: %s compiled %s, its widening %s %s: %s" % (label, narrow, s1 == 0, wide, s2 == 0, e2.strip()))
        return
    if s1 != 0:
        tally["wide refused"] += 1
        return
    a, b = oracle.our_dfa(narrow), oracle.our_dfa(wide)
    oracle.checks += 1
    if len(a["states"]) != len(b["states"]):
        oracle.fail("%s: %s has %d states, its widening %d: %s" % (label, narrow, len(a["states"]), len(b["states"]), wide))
        return
    for _ in range(200):
        q, r = a["start"], b["start"]
        for _ in range(rng.randint(1, 12)):
            letter = [rng.random() < 0.5 for _ in props]
            q = oracle.dfa_step(a, q, dict(zip(props, letter)))
            r = oracle.dfa_step(b, r, wide_label(rng, letter, cubes))
            oracle.checks += 1
            if (q in a["accepting"]) != (r in b["accepting"]):
                oracle.fail("%s: %s and its widening %s disagree on a word" % (label, narrow, wide))
                return
    tally["wide compiled"] += 1

def main():
    rng = random.Random(20261205)
    oracle.run_tool = shield_random.tool_or_raise
    started = time.time()
    tally = {"safety": 0, "liveness": 0, "minimal": 0, "skipped": 0, "wide compiled": 0, "wide refused": 0}
    mode = "--wide" if "--wide" in sys.argv else "--random" if "--random" in sys.argv else None
    if mode:
        at = sys.argv.index(mode)
        count = int(sys.argv[at + 1])
        seed = int(sys.argv[at + 2]) if len(sys.argv) > at + 2 else 20261205
        rng = random.Random(seed)
        for i in range(count):
            props = ["p%d" % j for j in range(rng.randint(2, 4))]
            formula = mixed(rng, props, rng.randint(4, 14))
            if mode == "--wide":
                check_wide("wide %d" % i, formula, props, rng, tally)
            else:
                check("random %d" % i, formula, rng, tally)
        what = "random formulas with F, U, M (seed %d): %d" % (seed, count)
        if mode == "--wide":
            what += (", widened to 17-24 propositions: %d compiled and %d refused as the narrow ones"
                     % (tally["wide compiled"], tally["wide refused"]))
    else:
        for label, formula in dac_formulas():
            check(label, formula, rng, tally)
        what = "Dwyer et al.'s patterns: 55"
    print("%s; safety %d (compiled at lbt's minimal size: %d), not safety %d (refused), lbt skipped %d; "
          "%d checks, %d failures, %.0f s" % (what, tally["safety"], tally["minimal"], tally["liveness"],
                                            tally["skipped"], oracle.checks, oracle.failures, time.time() - started))
    return 1 if oracle.failures else 0

if __name__ == "__main__":
    sys.exit(main())
