#!/usr/bin/python3
"""The random tabular CMDPs of tests/test_rl.c (`build/test_rl --cmdp-lp`: seeds 1..6 at cost
scales 1, 10, 100) re-solved by scipy.optimize.linprog (HiGHS) with the LP written in
cliff_linprog.py from the model alone, against the simplex answers in the dump.

    cmdp_linprog.py DUMP

Tolerance: the one cliff_linprog.solve derives for each LP (HiGHS's feasibility tolerance
times the LP's duals and visit counts, plus rounding), as for the cliff."""
import sys

import numpy as np

from cliff_linprog import solve_with_tolerance as solve


def read_models(path):
    models = []
    with open(path) as f:
        for line in f:
            w = line.split()
            if not w:
                continue
            if w[0] == "model":
                S, A, start, end = map(int, w[1:5])
                m = dict(P=np.zeros((S, A, S)), r=np.zeros((S, A)), c=np.zeros((S, A)), start=start, end=end,
                         name=" ".join(w[5:]), simplex=[], min_cost=None)
                models.append(m)
            elif w[0] == "P":
                m["P"][int(w[1]), int(w[2]), int(w[3])] = float(w[4])
            elif w[0] == "r":
                m["r"][int(w[1]), int(w[2])] = float(w[3])
            elif w[0] == "c":
                m["c"][int(w[1]), int(w[2])] = float(w[3])
            elif w[0] == "min_cost":
                m["min_cost"] = float(w[1])
            elif w[0] == "simplex":
                m["simplex"].append(tuple(map(float, w[1:4])))
    return models


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    models = read_models(sys.argv[1])
    failed = 0
    for m in models:
        assert m["P"][m["end"]].sum() == 0.0, "the end state is terminal"
        _, min_cost, tol = solve(m["P"], m["r"], m["c"], m["start"], 0.0, objective="cost")
        ok = abs(min_cost - m["min_cost"]) <= tol
        line = [f"min cost {min_cost:.6f}"]
        for d, s_ret, s_cost in m["simplex"]:
            ret, cost, tol = solve(m["P"], m["r"], m["c"], m["start"], d)
            good = abs(ret - s_ret) <= tol and abs(cost - s_cost) <= tol
            ok = ok and good
            line.append(f"d {d:.6g}: return {ret:.9f} cost {cost:.6f} (tolerance {tol:.1e})")
        failed += not ok
        print(f"  {m['name']:18s} {'; '.join(line)}  {'ok' if ok else 'MISMATCH'}")
    if len(models) < 18:
        print("  too few models in the dump")
        failed += 1
    print(f"  {len(models) - failed} of {len(models)} instances equal to linprog's")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
