#!/usr/bin/python3
"""saferl_rl_mixture_solve against scipy.optimize.linprog (HiGHS) on the checked-in cases.

    mixture_linprog.py CASES --make-cases        write the cases (numpy only; fixed seed)
    mixture_linprog.py CASES FIXTURE --write     solve them with linprog into the fixture
    mixture_linprog.py CASES FIXTURE DUMP        compare linprog, the fixture and the dump of
                                                 `build/test_rl --mixture-lp < CASES`

The LP, written here from its statement alone: max sum_i w_i value_i subject to
sum_i w_i constraint_i <= limit, sum_i w_i = 1, w >= 0. Its optimal value is unique, its
weights need not be (ties), so the check is: the same feasibility verdict; the dump's value
equal to linprog's; the dump's weights a valid mixture that meets the limit and gives the
value it claims. Each case's tolerance comes from the problem: HiGHS leaves each row off by
up to its feasibility tolerance 1e-10, which moves the optimum by the row's dual (the value's
slope in the limit, |y_ub|, and in the weights' sum, |y_eq|), plus the dual residual 1e-10
times |w|_1 = 1; the C code rounds w = (limit - c_j) / (c_i - c_j) and the mixed value, a few
eps on the scale max|v| + |y_ub| (|limit| + max|c|). The fixture stores it beside the value. Without scipy tests/oracle/rl.sh compares the dump with the
fixture alone."""
import sys

import numpy as np

FEASIBILITY = 1e-10  # HiGHS's primal and dual feasibility tolerances, as set in solve()


def make_cases(path):
    rng = np.random.RandomState(20241)
    cases = []

    def add(name, limit, pairs):
        cases.append((name, float(limit), [(float(v), float(c)) for v, c in pairs]))

    # the degenerate and infeasible corners
    add("single_feasible", 0.5, [(3.0, 0.2)])
    add("single_infeasible", 0.1, [(3.0, 0.2)])
    add("single_on_limit", 0.2, [(3.0, 0.2)])
    add("all_infeasible", 0.05, [(1.0, 0.1), (2.0, 0.3), (0.5, 0.06)])
    add("all_feasible", 10.0, [(1.0, 0.1), (2.0, 0.3), (0.5, 0.06)])
    add("limit_on_a_vertex", 0.3, [(1.0, 0.1), (2.0, 0.3), (3.0, 0.5)])
    add("duplicates", 0.25, [(1.0, 0.1), (1.0, 0.1), (2.0, 0.4), (2.0, 0.4)])
    add("equal_values", 0.25, [(1.0, 0.1), (1.0, 0.4), (1.0, 0.0)])
    add("equal_constraints", 0.25, [(1.0, 0.3), (2.0, 0.3), (0.5, 0.1), (0.7, 0.1)])
    add("all_on_limit", 0.3, [(1.0, 0.3), (2.0, 0.3), (0.5, 0.3)])
    add("dominant", 0.2, [(5.0, 0.0), (1.0, 0.1), (2.0, 0.5)])
    add("collinear", 0.5, [(0.0, 0.0), (1.0, 0.25), (2.0, 0.5), (3.0, 0.75), (4.0, 1.0)])
    add("negative_values", 12.0, [(-120.0, 5.0), (-80.0, 10.0), (-40.0, 20.0), (-200.0, 0.0)])
    add("negative_limit", -0.5, [(1.0, -1.0), (2.0, 0.0), (3.0, 1.0)])
    add("zero_limit", 0.0, [(1.0, 0.0), (4.0, 0.6), (2.0, 0.2)])
    add("large_scale", 2.5e5, [(1e6, 1e5), (3e6, 4e5), (2e6, 2e5)])
    add("tiny_gap", 0.5, [(1.0, 0.5 - 1e-6), (2.0, 0.5 + 1e-6)])  # linprog tolerates 1e-10
    add("paper_like", 0.17, [(0.87, 0.17), (0.2, 0.0), (2.0, 0.4), (1.5, 0.3)])
    # random sets: probabilities (chance constraints) and expected costs
    for k in range(24):
        n = int(rng.randint(2, 13))
        if k % 2:
            cons = rng.uniform(0.0, 1.0, n)
            vals = rng.normal(0.0, 1.0, n) + 2.0 * cons  # a trade-off: more risk, more reward
            limit = rng.uniform(0.0, 0.6)
        else:
            cons = rng.exponential(10.0, n)
            vals = -100.0 + 3.0 * cons + rng.normal(0.0, 10.0, n)
            limit = rng.uniform(0.0, 25.0)
        cons, vals = np.round(cons, 6), np.round(vals, 6)  # exact in the text file
        add(f"random_{k:02d}", round(limit, 6), zip(vals, cons))
    with open(path, "w") as f:
        f.write("# saferl_rl_mixture_solve cases: case NAME LIMIT N value_1 constraint_1 ...\n")
        f.write("# regenerate with: tests/data/rl/mixture_linprog.py tests/data/rl/mixture_lp_cases.txt --make-cases\n")
        for name, limit, pairs in cases:
            f.write(f"case {name} {limit!r} {len(pairs)} " + " ".join(f"{v!r} {c!r}" for v, c in pairs) + "\n")
    print(f"  wrote {len(cases)} cases to {path}")


def read_cases(path):
    cases = []
    for line in open(path):
        w = line.split()
        if not w or w[0] != "case":
            continue
        n = int(w[3])
        nums = list(map(float, w[4:4 + 2 * n]))
        cases.append((w[1], float(w[2]), np.array(nums[0::2]), np.array(nums[1::2])))
    return cases


def solve(limit, value, constraint):
    from scipy.optimize import linprog
    n = len(value)
    res = linprog(-value, A_ub=constraint[None, :], b_ub=[limit], A_eq=np.ones((1, n)), b_eq=[1.0],
                  bounds=(0, None), method="highs",
                  options=dict(primal_feasibility_tolerance=1e-10, dual_feasibility_tolerance=1e-10))
    if res.status == 2:
        return None
    if res.status != 0:
        raise SystemExit(f"linprog failed: {res.message}")
    y_ub, y_eq = abs(float(res.ineqlin.marginals[0])), abs(float(res.eqlin.marginals[0]))
    tolerance = FEASIBILITY * (1.0 + y_eq + y_ub) + \
        4 * np.finfo(float).eps * (np.abs(value).max() + y_ub * (abs(limit) + np.abs(constraint).max()))
    return float(value @ res.x), float(tolerance)


def close(a, b, tolerance):
    return abs(a - b) <= tolerance


def main():
    if len(sys.argv) == 3 and sys.argv[2] == "--make-cases":
        make_cases(sys.argv[1])
        return 0
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    cases_path, fixture, third = sys.argv[1:]
    cases = read_cases(cases_path)
    answers = {name: solve(limit, v, c) for name, limit, v, c in cases}
    if third == "--write":
        with open(fixture, "w") as f:
            f.write("# the mixture LP's optimum by scipy.optimize.linprog (HiGHS): NAME value tolerance | infeasible;\n")
            f.write("# regenerate with tests/oracle/rl.sh --write\n")
            for name, _, _, _ in cases:
                a = answers[name]
                f.write(f"{name} {'infeasible' if a is None else f'{a[0]!r} {a[1]:.3g}'}\n")
        print(f"  wrote {fixture} ({len(cases)} cases)")
        return 0
    failed = 0
    expected = {}
    for line in open(fixture):
        w = line.split()
        if w and not w[0].startswith("#"):
            expected[w[0]] = None if w[1] == "infeasible" else (float(w[1]), float(w[2]))
    dump = {}
    for line in open(third):
        w = line.split()
        if w and w[0] == "mixture":
            dump[w[1]] = w[2:]
    for name, limit, v, c in cases:
        a, e, d = answers[name], expected.get(name, "missing"), dump.get(name)
        tol = a[1] if a is not None else 0.0
        a = a[0] if a is not None else None
        ok = e != "missing" and ((a is None and e is None) or (a is not None and e is not None and close(a, e[0], tol)))
        if a is not None and close(a + 3 * tol, a, tol):
            raise SystemExit(f"  {name}: a value three tolerances off passes")
        if not ok:
            print(f"  {name}: linprog {a} differs from the fixture {e}")
        if d is None or (a is None) != (d[0] == "infeasible") or (a is not None and d[0] != "ok"):
            print(f"  {name}: linprog {a}, saferl_rl_mixture_solve {d}")
            ok = False
        elif a is not None:
            i, j, w, val, con = int(d[1]), int(d[2]), float(d[3]), float(d[4]), float(d[5])
            mv, mc = w * v[i] + (1 - w) * v[j], w * c[i] + (1 - w) * c[j]
            good = (0.0 <= w <= 1.0 and close(val, a, tol) and close(mv, val, tol) and close(mc, con, tol)
                    and mc <= limit + tol)
            if not good:
                print(f"  {name}: linprog {a!r}, saferl_rl_mixture_solve {d}")
                ok = False
        failed += not ok
    n_inf = sum(a is None for a in answers.values())
    print(f"  {len(cases) - failed} of {len(cases)} cases agree ({n_inf} infeasible): linprog, the fixture and "
          f"saferl_rl_mixture_solve{'' if failed == 0 else '  MISMATCH'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
