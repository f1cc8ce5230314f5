"""How large the HOA guards saferl_shield.h writes are, against the same writing rules applied to
each guard's own reduced ordered BDD. A measurement run by hand, not a test.

Over more than 16 propositions the writer factors a guard along the automaton's classifier
diagram, whose nodes tell letter classes apart; two children that are different classes but
both inside (or both outside) the guard are still split there, and a shared part is written
once per path into it. This script reads each guard of a HOA file into a ROBDD (variables in
AP order, the label bit order of a compiled formula), rewrites it with the header's rules (a
node every path to true passes: (f with it := 1) & it; every path to false: (f with it := 0) |
it; else a Shannon split with constant halves folded), checks that the rewritten guard is the
same function, and prints both sizes.
usage: shield_guard_size.py file.hoa ...      (e.g. build/shield_compile --complete -e '...')"""
import os, re, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import shield_guards  # noqa: E402
from shield_guards import evaluate  # noqa: E402

sys.setrecursionlimit(100000)

class Diagram:
    """Hash-consed ROBDD nodes: 0 false, 1 true, else (variable, low, high)."""
    def __init__(self):
        self.nodes, self.unique, self.memo = [None, None], {}, {}

    def node(self, v, low, high):
        if low == high:
            return low
        key = (v, low, high)
        if key not in self.unique:
            self.unique[key] = len(self.nodes)
            self.nodes.append(key)
        return self.unique[key]

    def apply(self, op, a, b):
        if a > b:
            a, b = b, a
        if a < 2:
            return (b if a == 1 else 0) if op == "&" else (1 if a == 1 else b)
        if a == b:
            return a
        key = (op, a, b)
        if key not in self.memo:
            (va, a0, a1), (vb, b0, b1) = self.nodes[a], self.nodes[b]
            v = min(va, vb)
            a0, a1 = (a0, a1) if va == v else (a, a)
            b0, b1 = (b0, b1) if vb == v else (b, b)
            self.memo[key] = self.node(v, self.apply(op, a0, b0), self.apply(op, a1, b1))
        return self.memo[key]

    def negate(self, a):
        if a < 2:
            return 1 - a
        key = ("!", a, a)
        if key not in self.memo:
            v, low, high = self.nodes[a]
            self.memo[key] = self.node(v, self.negate(low), self.negate(high))
        return self.memo[key]

    def read(self, text):
        """A HOA label expression as a diagram (variable j: AP j)."""
        def value(t):
            return {"t": 1, "f": 0}[t] if t in ("t", "f") else self.node(int(t), 0, 1)
        return evaluate(shield_guards.tokens_of(text, shield_guards.HOA_TOKEN), value,
                        lambda a, b: self.apply("&", a, b), lambda a, b: self.apply("|", a, b), self.negate)

    def below(self, f):
        seen, stack = set(), [f]
        while stack:
            n = stack.pop()
            if n >= 2 and n not in seen:
                seen.add(n)
                stack.extend(self.nodes[n][1:])
        return seen

    def cut(self, f, leaf):
        """The nearest node below f (smallest variable) that every path from f to leaf passes."""
        for m in sorted(self.below(f) - {f}, key=lambda n: self.nodes[n][0]):
            stack, seen, passes = [f], set(), True
            while stack and passes:
                for child in self.nodes[stack.pop()][1:]:
                    if child == leaf:
                        passes = False
                    elif child >= 2 and child != m and child not in seen:
                        seen.add(child)
                        stack.append(child)
            if passes:
                return m
        return None

    def replace(self, f, m, value, memo):
        if f == m or f < 2:
            return value if f == m else f
        if f not in memo:
            v, low, high = self.nodes[f]
            memo[f] = self.node(v, self.replace(low, m, value, memo), self.replace(high, m, value, memo))
        return memo[f]

    def write(self, f, in_and=False):
        """The guard in the header's HOA style (0&!1 | 2), by the header's rules."""
        if f < 2:
            return "t" if f else "f"
        for leaf, join in ((1, "&"), (0, " | ")):
            m = self.cut(f, leaf)
            if m is not None:
                text = self.write(self.replace(f, m, leaf, {}), leaf == 1) + join + self.write(m, leaf == 1)
                return "(%s)" % text if in_and and leaf == 0 else text
        v, low, high = self.nodes[f]
        if 0 in (low, high):
            other = high if low == 0 else low
            return ("" if low == 0 else "!") + str(v) + ("" if other == 1 else "&" + self.write(other, True))
        if 1 in (low, high):
            other = high if low == 1 else low
            text = ("!" if low != 1 else "") + str(v) + " | " + self.write(other)
        else:
            text = "!%d&%s | %d&%s" % (v, self.write(low, True), v, self.write(high, True))
        return "(%s)" % text if in_and else text

def main():
    for path in sys.argv[1:]:
        d, written, rewritten = Diagram(), 0, 0
        guards = re.findall(r"^\[(.*)\] \d+$", open(path).read(), re.M)
        for guard in guards:
            f = d.read(guard)
            text = d.write(f)
            assert d.read(text) == f, "the rewritten guard is another function: %s" % guard
            written += len(guard)
            rewritten += len(text)
        print("%s: %d guards, %d bytes written; the same rules on each guard's ROBDD: %d bytes (%.1fx)"
              % (path, len(guards), written, rewritten, written / max(rewritten, 1)))

if __name__ == "__main__":
    main()
