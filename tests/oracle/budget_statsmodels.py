#!/usr/bin/python3
"""Kaplan-Meier fixtures for saferl_budget_kaplan_meier, computed by statsmodels.

    /usr/bin/python3 tests/oracle/budget_statsmodels.py            # rewrite the fixtures
    /usr/bin/python3 tests/oracle/budget_statsmodels.py --check    # recompute and compare

For each dataset <name> it writes, under tests/data/budget/:
    km_<name>_input.csv     attempts in the budget_report CSV format: prompt_id,horizon,tokens
                            (tokens empty when no correct solution appeared within the horizon)
    km_<name>_expected.csv  time,n_risk,n_events,surv_prob,surv_prob_se from
                            statsmodels.duration.survfunc.SurvfuncRight

An attempt is a survival observation (time = tokens, event) when solved, and
(time = horizon, censored) otherwise, as saferl_budget_kaplan_meier reads it.

--check reads the checked-in inputs, runs SurvfuncRight on them again and compares with the
checked-in expectations (relative, to the rounding of the product; see same()); it also regenerates the inputs from the seed and
says whether they still come out the same (numpy may change its streams between versions).
Exit status 0 when the expectations match.
"""
import argparse
import math
import os
import sys
import tempfile
import warnings

import numpy as np
from statsmodels.duration.survfunc import SurvfuncRight

SEED = 20261121
HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.normpath(os.path.join(HERE, "..", "data", "budget"))


def geometric_attempts(rng, prompts, per_prompt, hazards, horizons):
    """Rows (prompt, horizon, tokens or None); T ~ Geometric(hazard) on {1, 2, ...}."""
    rows = []
    for p in range(prompts):
        q = hazards[p % len(hazards)]
        for _ in range(per_prompt):
            h = int(horizons[rng.integers(len(horizons))])
            t = int(rng.geometric(q))
            rows.append(("prompt%d" % p, h, t if t <= h else None))
    return rows


def datasets():
    rng = np.random.default_rng(SEED)
    out = {}
    # several prompts, geometric T, horizons that vary from attempt to attempt
    out["geometric_mixed"] = geometric_attempts(rng, 5, 60, [0.004, 0.01, 0.02], [50, 100, 200, 400])
    # short horizon and a high hazard: few distinct times, many ties of events and censorings
    out["ties"] = geometric_attempts(rng, 4, 50, [0.3, 0.15], [6, 10])
    # every attempt solved (P(T > 10000) is about 1e-223)
    out["all_events"] = geometric_attempts(rng, 3, 50, [0.05, 0.02], [10000])
    # about nine attempts in ten censored
    out["heavy_censoring"] = geometric_attempts(rng, 6, 50, [0.001, 0.0005], [100, 150])
    # by hand: an event and a censoring tie at 300 (the event counts first)
    out["hand"] = [("p", 1000, 100), ("p", 1000, 300), ("p", 1000, None), ("p", 300, 300),
                   ("p", 300, None), ("p", 500, 200)]
    return out


def write_input(path, rows):
    with open(path, "w", newline="\n") as f:
        f.write("prompt_id,horizon,tokens\n")
        for name, h, t in rows:
            f.write("%s,%d,%s\n" % (name, h, "" if t is None else str(t)))


def read_input(path):
    rows = []
    with open(path) as f:
        for i, line in enumerate(f):
            line = line.rstrip("\r\n")
            if i == 0 and line.startswith("prompt_id"):
                continue
            name, h, t = line.split(",")
            rows.append((name, int(h), None if t in ("", "-1") else int(t)))
    return rows


def kaplan_meier(rows):
    time = np.array([h if t is None else t for _, h, t in rows], dtype=float)
    status = np.array([0 if t is None else 1 for _, _, t in rows], dtype=int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # 0/0 in Greenwood when S reaches 0
        sf = SurvfuncRight(time, status)
    return np.column_stack([sf.surv_times, sf.n_risk, sf.n_events, sf.surv_prob, sf.surv_prob_se])


def write_expected(path, table):
    with open(path, "w", newline="\n") as f:
        f.write("time,n_risk,n_events,surv_prob,surv_prob_se\n")
        for r in table:
            f.write(",".join("nan" if math.isnan(v) else repr(float(v)) for v in r) + "\n")


def read_expected(path):
    return np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)


def same(a, b):
    """Times, risk sets and event counts are integers: equal. S(t) is a product of k factors
    (1 - d/n) (statsmodels forms it as exp(cumsum(log(...)))): each step adds a few roundings,
    so two evaluations agree to about k eps relative; Greenwood's sum of k positive terms under
    a square root, times S, the same. We allow 8 (k + 1) eps, k = the number of event times."""
    if a.shape != b.shape:
        return False
    rel = 8 * (a.shape[0] + 1) * np.finfo(float).eps
    both_nan = np.isnan(a) & np.isnan(b)
    diff = np.abs(a - b) <= rel * np.maximum(np.abs(a), np.abs(b))
    diff[:, :3] = a[:, :3] == b[:, :3]
    return bool(np.all(both_nan | diff))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare with the checked-in fixtures")
    ap.add_argument("--data", default=DATA, help="fixture folder (default tests/data/budget)")
    args = ap.parse_args()
    sets = datasets()
    if not args.check:
        os.makedirs(args.data, exist_ok=True)
        for name, rows in sets.items():
            write_input(os.path.join(args.data, "km_%s_input.csv" % name), rows)
            table = kaplan_meier(rows)
            write_expected(os.path.join(args.data, "km_%s_expected.csv" % name), table)
            print("km_%s: %d attempts, %d event times" % (name, len(rows), len(table)))
        return 0
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, rows in sets.items():
            inp = os.path.join(args.data, "km_%s_input.csv" % name)
            exp = os.path.join(args.data, "km_%s_expected.csv" % name)
            if not (os.path.exists(inp) and os.path.exists(exp)):
                print("FAIL km_%s: fixture missing" % name)
                failures += 1
                continue
            ok = same(kaplan_meier(read_input(inp)), read_expected(exp))
            fresh = os.path.join(tmp, "in.csv")
            write_input(fresh, rows)
            with open(fresh) as a, open(inp) as b:
                regenerated_same = a.read() == b.read()
            print("%s km_%s: statsmodels %s the checked-in expectation; regenerated input %s"
                  % ("ok  " if ok else "FAIL", name, "reproduces" if ok else "DIFFERS from",
                     "identical" if regenerated_same else "differs (numpy stream changed?)"))
            failures += not ok
    print("%d passed, %d failed" % (len(sets) - failures, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
