"""Safety games of saferl_shield.h (examples/safeguard_gridworld --game) against their
definition, by brute force on small random games.

The rules' meanings are written here as monitors over label histories, not as automata, and
the game is decided by bounded survival: from (s, m) the agent survives k steps when the rule
holds there and, for k > 0, some available action has every successor surviving k - 1 steps;
winning = surviving |S| * |M| + 1 steps. Checked per game: the verdict (realisable or not), the
allowed actions at the initial state (maximally permissive: exactly the actions all of whose
successors win), and for distributions the probability of no violation over the horizon
under the safest play, with the probabilistic shield's allowed set.
usage: shield_games.py path/to/safeguard_gridworld [games]"""
import random
import subprocess
import sys
import tempfile

RULES = {
    # rule: (memory after reading a label given the previous memory, violated?)
    "G !a": lambda m, lab: (0, "a" in lab),
    "G(a -> X !a)": lambda m, lab: (1 if "a" in lab else 0, m == 1 and "a" in lab),
    "G(a -> X b)": lambda m, lab: (1 if "a" in lab else 0, m == 1 and "b" not in lab),
}
MEMORY = 2


def random_game(rng, probabilistic):
    while True:
        S, A = rng.randint(2, 6), rng.randint(1, 3)
        labels = [set(p for p in "ab" if rng.random() < 0.35) for _ in range(S)]
        if any("a" in l for l in labels) and any("b" in l for l in labels):
            break
    succ = {}
    for s in range(S):
        for a in range(A):
            targets = sorted(set(t for t in range(S) if rng.random() < 0.35))
            if probabilistic and not targets:
                targets = [rng.randrange(S)]
            if targets:
                weights = [rng.randint(1, 4) for _ in targets]
                total = sum(weights)
                succ[s, a] = [(t, w / total) for t, w in zip(targets, weights)]
    return S, A, rng.randrange(S), labels, succ


def game_text(S, A, initial, labels, succ, probabilistic):
    lines = ["states %d actions %d initial %d" % (S, A, initial)]
    for s, l in enumerate(labels):
        if l:
            lines.append("label %d %s" % (s, " ".join(sorted(l))))
    for (s, a), ts in sorted(succ.items()):
        if probabilistic:
            lines.append("%d %d: %s" % (s, a, " ".join("%d@%.17g" % (t, p) for t, p in ts)))
        else:
            lines.append("%d %d: %s" % (s, a, " ".join(str(t) for t, _ in ts)))
    return "\n".join(lines) + "\n"


def solve(S, A, initial, labels, succ, rule):
    step = RULES[rule]
    # game state (s, m, violated): m the memory after reading s's label
    survive = {}
    states = [(s, m) for s in range(S) for m in range(MEMORY)]
    alive = {}
    for s, m in states:
        survive[s, m] = True  # k = 0: the rule holds (a violated step is never a state here)

    def move(m, t):
        m2, bad = step(m, labels[t])
        return m2, bad

    for _ in range(S * MEMORY + 1):
        new = {}
        for s, m in states:
            ok = False
            for a in range(A):
                ts = succ.get((s, a), [])
                if ts and all((not move(m, t)[1]) and survive[t, move(m, t)[0]] for t, _ in ts):
                    ok = True
                    break
            new[s, m] = ok
        survive = new
    m0, bad0 = step(0, labels[initial])
    if bad0:
        return False, 0, (initial, m0)
    mask = 0
    for a in range(A):
        ts = succ.get((initial, a), [])
        if ts and all((not move(m0, t)[1]) and survive[t, move(m0, t)[0]] for t, _ in ts):
            mask |= 1 << a
    return survive[initial, m0], (mask if survive[initial, m0] else 0), (initial, m0)


def safety(S, A, labels, succ, rule, s, m, horizon):
    """max over strategies of P(no violation within horizon steps) from (s, m)."""
    step = RULES[rule]
    memo = {}

    def value(s, m, h):
        if h == 0:
            return 1.0
        if (s, m, h) in memo:
            return memo[s, m, h]
        best = 0.0
        for a in range(A):
            ts = succ.get((s, a), [])
            if not ts:
                continue
            v = 0.0
            for t, p in ts:
                m2, bad = step(m, labels[t])
                if not bad:
                    v += p * value(t, m2, h - 1)
            best = max(best, v)
        memo[s, m, h] = best
        return best

    actions = {}
    for a in range(A):
        ts = succ.get((s, a), [])
        if ts:
            actions[a] = sum(p * value(t, step(m, labels[t])[0], horizon - 1)
                             for t, p in ts if not step(m, labels[t])[1])
    return value(s, m, horizon), actions


def main():
    binary = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 150
    rng = random.Random(20261128)
    checked = failures = realisable = 0
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as f:
        for trial in range(count):
            probabilistic = trial % 3 == 2
            S, A, initial, labels, succ = random_game(rng, probabilistic)
            rule = list(RULES)[trial % len(RULES)]
            f.seek(0)
            f.truncate()
            f.write(game_text(S, A, initial, labels, succ, probabilistic))
            f.flush()
            out = subprocess.run([binary, "--game", f.name, "--rule", rule, "--horizon", "3",
                                  "--threshold", "0.6"], capture_output=True, text=True)
            win, mask, _ = solve(S, A, initial, labels, succ, rule)
            lines = out.stdout.splitlines()
            head = [l for l in lines if l.startswith("realisable") or l.startswith("unrealisable")]
            problems = []
            if out.returncode != (0 if win else 2) or not head:
                problems.append("exit %d, expected %s" % (out.returncode, "realisable" if win else "unrealisable"))
            else:
                q0 = int(head[0].split("automaton state ")[1].split(")")[0])
                row = [l.split() for l in lines if l.startswith("state %d %d " % (initial, q0))][0]
                if int(row[6]) != mask:
                    problems.append("initial mask %s, expected %d" % (row[6], mask))
                if probabilistic and (rule != "G !a" or "a" not in labels[initial]):
                    m0 = RULES[rule](0, labels[initial])[0]
                    v, actions = safety(S, A, labels, succ, rule, initial, m0, 3)
                    # a value over H steps is H nested sums of <= S products p * value, each
                    # with a rounding of at most eps on a number <= 1 (plus the library's
                    # normalisation of each row): both sides within H (S + 2) eps; twice that.
                    tol = 2 * 3 * (S + 2) * sys.float_info.epsilon
                    if abs(float(row[8]) - v) > tol:
                        problems.append("safety %s, expected %.17g" % (row[8], v))
                    expected = sum(1 << a for a, x in actions.items() if x >= 0.6 - tol)
                    if not expected and actions:
                        best = max(actions.values())
                        expected = sum(1 << a for a, x in actions.items() if x >= best - tol)
                    if int(row[10]) != expected:
                        problems.append("probably %s, expected %d" % (row[10], expected))
            checked += 1
            realisable += win
            if problems:
                failures += 1
                print("FAIL game %d (%s): %s\n%s" % (trial, rule, "; ".join(problems), game_text(S, A, initial, labels, succ, probabilistic)))
    print("games against their definition: %d checked (%d realisable), %d failed" % (checked, realisable, failures))
    return 1 if failures or realisable < checked // 5 or realisable > checked - checked // 5 else 0


if __name__ == "__main__":
    sys.exit(main())
