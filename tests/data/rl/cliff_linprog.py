#!/usr/bin/python3
"""The cliff CMDP's constrained optimum by scipy.optimize.linprog (HiGHS), from the model that
saferl_rl_cliff_model exports (`build/test_rl --cliff-lp`), against the simplex answers in the
same dump and the checked-in fixture.

    cliff_linprog.py DUMP FIXTURE --check   compare linprog, the simplex and the fixture
    cliff_linprog.py DUMP FIXTURE --write   re-derive the fixture from linprog

The LP is written here from the model alone: variables x(s, a) >= 0, the expected number of
visits to (s, a) in an episode, for every state whose transition rows are not all zero (the
others are terminal); flow conservation sum_a x(s', a) - sum_{s,a} P(s'|s,a) x(s, a) =
1[s' = start]; objective max sum x r; the constraint sum x c <= d (dropped for d < 0).

Tolerance, from the problem: HiGHS stops with each row off by up to its primal feasibility
tolerance and each reduced cost off by up to its dual one (both 1e-10 here), so the optimum
it reports may differ from the true one by eps_p |y|_1 + eps_d |x|_1 (y the rows' duals, x
the visit counts), plus the rounding of the sums sum x r, sum x c (n eps on sum |x r|). The
largest over the limits d is the fixture's `tolerance` line; the return and the cost are both
held to it."""
import sys

import numpy as np
from scipy.optimize import linprog

FEASIBILITY = 1e-10  # HiGHS's primal and dual feasibility tolerances, as set in solve()


def read_dump(path):
    P = r = c = None
    simplex = []
    with open(path) as f:
        for line in f:
            w = line.split()
            if not w:
                continue
            if w[0] == "model":
                S, A, start, goal = map(int, w[1:5])
                P = np.zeros((S, A, S))
                r = np.zeros((S, A))
                c = np.zeros((S, A))
            elif w[0] == "P":
                P[int(w[1]), int(w[2]), int(w[3])] = float(w[4])
            elif w[0] == "r":
                r[int(w[1]), int(w[2])] = float(w[3])
            elif w[0] == "c":
                c[int(w[1]), int(w[2])] = float(w[3])
            elif w[0] == "simplex":
                simplex.append((float(w[1]), float(w[2]), float(w[3])))
    return P, r, c, start, goal, simplex


def solve_with_tolerance(P, r, c, start, d, objective="return"):
    S, A, _ = P.shape
    live = [s for s in range(S) if P[s].sum() > 0.0]
    # the model must be a proper sub-stochastic chain: rows sum to 1 on live states
    assert np.allclose(P[live].sum(axis=2), 1.0), "live rows must be distributions"
    n = len(live) * A
    A_eq = np.zeros((len(live), n))
    b_eq = np.zeros(len(live))
    for i, sp in enumerate(live):
        for k, s in enumerate(live):
            for a in range(A):
                A_eq[i, k * A + a] = (1.0 if s == sp else 0.0) - P[s, a, sp]
        b_eq[i] = 1.0 if sp == start else 0.0
    rv = np.array([r[s, a] for s in live for a in range(A)])
    cv = np.array([c[s, a] for s in live for a in range(A)])
    kw = dict(A_eq=A_eq, b_eq=b_eq, bounds=(0, None), method="highs",
              options=dict(primal_feasibility_tolerance=1e-10, dual_feasibility_tolerance=1e-10))
    if objective == "cost":  # the smallest reachable expected cost: below it, infeasible
        res = linprog(cv, **kw)
    elif d < 0:
        res = linprog(-rv, **kw)
    else:
        res = linprog(-rv, A_ub=cv[None, :], b_ub=[d], **kw)
    if res.status != 0:
        raise SystemExit(f"linprog failed at d = {d}: {res.message}")
    y = np.abs(res.eqlin.marginals).sum() + (np.abs(res.ineqlin.marginals).sum() if d >= 0 and objective != "cost" else 0.0)
    rounding = n * np.finfo(float).eps * max(np.abs(rv * res.x).sum(), np.abs(cv * res.x).sum())
    tolerance = FEASIBILITY * (y + np.abs(res.x).sum()) + rounding
    return float(rv @ res.x), float(cv @ res.x), float(tolerance)


def solve(P, r, c, start, d, objective="return"):
    """(return, cost) at the optimum"""
    return solve_with_tolerance(P, r, c, start, d, objective)[:2]


def main():
    if len(sys.argv) != 4 or sys.argv[3] not in ("--check", "--write"):
        raise SystemExit(__doc__)
    dump, fixture, mode = sys.argv[1:]
    P, r, c, start, goal, simplex = read_dump(dump)
    assert P[goal].sum() == 0.0, "the goal is terminal"
    solved = [(d,) + solve_with_tolerance(P, r, c, start, d) for d, _, _ in simplex]
    rows = [row[:3] for row in solved]
    min_cost = solve(P, r, c, start, 0.0, objective="cost")[1]
    TOLERANCE = max(row[3] for row in solved)
    failed = 0
    print(f"  linprog (HiGHS): smallest reachable expected cost {min_cost:.9f}")
    for (d, ret, cost), (_, s_ret, s_cost) in zip(rows, simplex):
        ok = abs(ret - s_ret) <= TOLERANCE and abs(cost - s_cost) <= TOLERANCE
        failed += not ok
        print(f"  d = {d:5g}: linprog return {ret:.9f} cost {cost:.9f}; simplex {s_ret:.9f} {s_cost:.9f}"
              f"  {'ok' if ok else 'MISMATCH'}")
    if mode == "--write":
        with open(fixture, "w") as f:
            f.write("# cliff CMDP optimum by scipy.optimize.linprog (HiGHS): d return cost "
                    "(d = -1: unconstrained); regenerate with tests/oracle/rl.sh --write\n")
            f.write(f"min_cost {min_cost:.12f}\n")
            f.write(f"tolerance {TOLERANCE:.3g}\n")
            for d, ret, cost in rows:
                f.write(f"{d:g} {ret:.12f} {cost:.12f}\n")
        print(f"  wrote {fixture}")
    else:
        expected = {}
        with open(fixture) as f:
            for line in f:
                w = line.split()
                if w and not w[0].startswith("#"):
                    expected[w[0]] = tuple(map(float, w[1:]))
        ok = abs(expected["min_cost"][0] - min_cost) <= TOLERANCE
        failed += not ok
        for d, ret, cost in rows:
            e = expected.get(f"{d:g}")
            good = e is not None and abs(e[0] - ret) <= TOLERANCE and abs(e[1] - cost) <= TOLERANCE
            failed += not good
            if not good:
                print(f"  d = {d:g}: linprog {ret:.9f} {cost:.9f} differs from the fixture {e}")
        print(f"  linprog against the fixture: {'ok' if failed == 0 else 'MISMATCH'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
