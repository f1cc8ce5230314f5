"""The poisoning LP of saferl_rl.h (saferl_rl_poison_lp) against scipy.optimize.linprog (HiGHS).

Reads the dump of `test_rl --poison-lp`: per case the features Phi (N x d), the original and
attack labels, the flip costs, the header's labels and its optimal cost. linprog solves
    min sum D (u + v)  s.t.  Phi^T (u - v) = Phi^T (attack - original),
                             0 <= u <= 1 - original,  0 <= v <= original
and the header's optimum must equal linprog's to HiGHS's own tolerance (1e-7 primal and dual
feasibility, so 1e-7 relative in the cost), its labels must be feasible to the same relative
tolerance, and lie in [0, 1]. Prints naive flips vs the LP's and both solvers' times.
"""
import sys
import time

import numpy as np
from scipy.optimize import linprog


def cases(path):
    with open(path) as f:
        lines = iter(f.read().splitlines())
    for line in lines:
        if not line.startswith("case "):
            continue
        n, d = map(int, line.split()[1:])
        phi = np.array([[float(t) for t in next(lines).split()] for _ in range(n)])
        vec = {}
        for _ in range(4):
            parts = next(lines).split()
            vec[parts[0]] = np.array([float(t) for t in parts[1:]])
        res = next(lines).split()
        assert res[0] == "result"
        yield n, d, phi, vec, float(res[1]), int(res[2]), int(res[3]), int(res[4]), float(res[5])


def main():
    bad = 0
    count = 0
    for n, d, phi, v, cost, flips, changed, fractional, seconds in cases(sys.argv[1]):
        count += 1
        orig, attack, costs, labels = v["original"], v["attack"], v["costs"], v["labels"]
        c = np.concatenate([costs, costs])
        a_eq = np.hstack([phi.T, -phi.T])
        b_eq = phi.T @ (attack - orig)
        bounds = [(0.0, 1.0 - o) for o in orig] + [(0.0, o) for o in orig]
        start = time.process_time()
        sol = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        peer = time.process_time() - start
        scale = n * np.abs(phi).max()
        residual = np.abs(phi.T @ (labels - attack)).max()
        ok = (sol.status == 0 and abs(sol.fun - cost) <= 1e-7 * max(1.0, sol.fun)
              and residual <= 1e-7 * scale and labels.min() >= 0.0 and labels.max() <= 1.0
              and fractional <= d)
        bad += not ok
        print(f"  N {n:5d} d {d:3d}: cost {cost:.6f} linprog {sol.fun:.6f}; naive attack {flips} labels, "
              f"LP {changed} ({fractional} fractional); residual {residual / scale:.1e} N max|Phi|; "
              f"simplex {seconds:.3f} s (CPU), linprog {peer:.3f} s (CPU)  {'ok' if ok else 'MISMATCH'}")
    if count < 8:
        print("  too few cases")
        bad += 1
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
