"""Random safety formulas against lbt: saferl_shield.h's monitor must be right and minimal.

A seeded generator writes safety formulas in Spot's syntax (2-6 propositions, 5-40 nodes, every
operator: ! & | -> X G W R bounded F[a..b] G[a..b], and F U M under a negation or on the left
of an implication, where they are safety again). Each formula goes through the checks of
shield_oracle.py (lbt's bad prefixes with the emptiness check of the continuation, lasso words
by the LTL semantics), and its size is compared with the minimal monitor derived from lbt: the
subset construction over lbt's live states (a prefix is bad when no live state remains), then
Moore's minimisation. Equal sizes mean our automaton is minimal too.
With --ltlf the same formulas are read as LTLf and checked against MONA's minimal DFA of the
same property (language equivalence over non-empty traces, as shield_oracle.py does).
usage: shield_random.py path/to/shield_compile COUNT [SEED] [--ltlf]"""
import os, random, subprocess, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
LTLF = "--ltlf" in sys.argv
sys.argv = [a for a in sys.argv if a != "--ltlf"]
import shield_oracle as oracle  # noqa: E402  (reads BIN from sys.argv[1])

def run_lbt(args, stdin):
    """lbt on the formula, no fixture (the formulas are generated afresh); None when lbt crashes
    or runs out of time (Debian's lbt 1.2.2 segfaults on some formulas)."""
    try:
        run = subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        return None
    return run.stdout if run.returncode == 0 else None

class ToolFailed(Exception):
    pass

def tool_or_raise(name, args, stdin, fixture):
    """shield_oracle's run_tool without fixtures: a crash or a time-out skips the formula."""
    out = run_lbt(args, stdin)
    if out is None:
        raise ToolFailed(name)
    return out

def literal(rng, props):
    p = rng.choice(props)
    return ("!" + p) if rng.random() < 0.4 else p

def bound(rng):
    lo = rng.randint(0, 2)
    return lo, lo + rng.randint(0, 3)

def safety(rng, props, n):
    """A safety formula of about n nodes."""
    if n <= 1:
        return literal(rng, props)
    if n == 2:
        op = rng.choice(["X", "G", "!g"])
    else:  # Boolean operators weigh as much as temporal ones, as in Spot's randltl
        op = rng.choice(["X", "G", "W", "R", "F[]", "G[]", "!g", "&", "|", "->", "&", "|"])
    if op == "X":
        return "X(%s)" % safety(rng, props, n - 1)
    if op == "G":
        return "G(%s)" % safety(rng, props, n - 1)
    if op == "!g":
        return "!(%s)" % guarantee(rng, props, n - 1)
    if op in ("F[]", "G[]"):
        lo, hi = bound(rng)
        return "%s[%d..%d](%s)" % (op[0], lo, hi, safety(rng, props, n - 1))
    left = rng.randint(1, n - 2)
    if op == "->":
        return "(%s) -> (%s)" % (guarantee(rng, props, left), safety(rng, props, n - 1 - left))
    return "(%s) %s (%s)" % (safety(rng, props, left), op, safety(rng, props, n - 1 - left))

def guarantee(rng, props, n):
    """A guarantee (co-safety) formula of about n nodes: its negation is safety."""
    if n <= 1:
        return literal(rng, props)
    if n == 2:
        op = rng.choice(["X", "F", "!s"])
    else:
        op = rng.choice(["X", "F", "U", "M", "F[]", "!s", "&", "|", "&", "|"])
    if op in ("X", "F"):
        return "%s(%s)" % (op, guarantee(rng, props, n - 1))
    if op == "!s":
        return "!(%s)" % safety(rng, props, n - 1)
    if op == "F[]":
        lo, hi = bound(rng)
        return "F[%d..%d](%s)" % (lo, hi, guarantee(rng, props, n - 1))
    left = rng.randint(1, n - 2)
    return "(%s) %s (%s)" % (guarantee(rng, props, left), op, guarantee(rng, props, n - 1 - left))

def minimal_monitor_size(sets, gba, names):
    """States of the minimal bad-prefix monitor from lbt's automaton, the sink excluded."""
    live = oracle.live_states(sets, gba)
    try:  # one letter per class of letters lbt's guards treat alike (exact; never 2^k of them)
        letters = oracle.letter_classes([g for q in live for d, g in gba[q][2]], len(names))
    except oracle.TooManyClasses:
        return None
    step = {q: [frozenset(d for d, g in gba[q][2] if d in live and oracle.eval_guard(g, list(bits)))
                for bits in letters] for q in live}
    start = frozenset(q for q in gba if gba[q][0] and q in live)
    index, order, delta = {start: 0}, [start], []
    while len(delta) < len(order):
        current = order[len(delta)]
        row = []
        for x in range(len(letters)):
            nxt = frozenset().union(*[step[q][x] for q in current])
            if nxt not in index:
                index[nxt] = len(order)
                order.append(nxt)
            row.append(index[nxt])
        delta.append(row)
        if len(order) > 20000:
            return None
    block = [1 if s else 0 for s in order]  # Moore: bad (empty) versus good
    while True:
        signature = [(block[s],) + tuple(block[t] for t in delta[s]) for s in range(len(order))]
        ids = {}
        refined = [ids.setdefault(sig, len(ids)) for sig in signature]
        if len(ids) == len(set(block)):
            break
        block = refined
    good = set(block[s] for s in range(len(order)) if order[s])
    return len(good)

def our_size(ours):
    return len(ours["accepting"])

def main():
    count = int(sys.argv[2])
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 20261204
    rng = random.Random(seed)
    oracle.run_tool = tool_or_raise
    skipped = 0
    sizes_equal = 0
    started = time.time()
    if LTLF:
        for i in range(count):
            k = rng.randint(2, 6)
            props = ["p%d" % j for j in range(k)]
            formula = safety(rng, props, rng.randint(5, 25))
            before = oracle.failures
            try:
                oracle.check_mona(1000 + i, formula, "ltlf", rng)
            except ToolFailed:
                skipped += 1
                print("formula %d: MONA crashed or took over 60 s, skipped: %s" % (i, formula))
                continue
            if oracle.failures != before:
                print("formula %d: %s" % (i, formula))
        print("random LTLf formulas (seed %d) against MONA: %d, MONA skipped %d; %d checks, %d failures, %.0f s"
              % (seed, count, skipped, oracle.checks, oracle.failures, time.time() - started))
        return 1 if oracle.failures else 0
    for i in range(count):
        k = rng.randint(2, 6)
        props = ["p%d" % j for j in range(k)]
        formula = safety(rng, props, rng.randint(5, 40))
        before = oracle.failures
        t0 = time.time()
        f = oracle.Parser(formula).parse()
        names = oracle.props_of(f, [])
        text = run_lbt(["lbt"], oracle.lbt_prefix(f, names) + "\n")
        if text is None:
            skipped += 1
            print("formula %d: lbt crashed or took over 60 s, skipped: %s" % (i, formula))
            continue
        try:
            oracle.check_safety(1000 + i, formula, rng)
        except ToolFailed:
            skipped += 1
            continue
        if oracle.failures != before:
            print("formula %d: %s" % (i, formula))
            continue
        sets, gba = oracle.parse_lbt(text)
        expected = minimal_monitor_size(sets, gba, names)
        got = our_size(oracle.our_dfa(formula))
        oracle.checks += 1
        if expected is None:
            print("formula %d: lbt's subset construction too large, size not compared" % i)
        elif expected != got:
            oracle.fail("%s: %d states, lbt's minimal monitor has %d" % (formula, got, expected))
        else:
            sizes_equal += 1
        if time.time() - t0 > 5:
            print("formula %d took %.1f s: %s" % (i, time.time() - t0, formula))
    print("random safety formulas (seed %d): %d, lbt skipped %d, sizes equal to lbt's minimal monitor: %d; "
          "%d checks, %d failures, %.0f s" % (seed, count, skipped, sizes_equal, oracle.checks, oracle.failures,
                                             time.time() - started))
    return 1 if oracle.failures else 0

if __name__ == "__main__":
    sys.exit(main())
