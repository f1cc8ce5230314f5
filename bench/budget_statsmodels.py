#!/usr/bin/python3
"""Peer timings for bench/budget.c on the same 10^7 attempts.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \
        /usr/bin/python3 bench/budget_statsmodels.py build/budget_records.bin build/budget_peer.txt

Reads the records bench/budget.c --write produced and times, single-threaded (median of
several repeats): statsmodels' SurvfuncRight (Kaplan-Meier + Greenwood) on all records; the
censored geometric MLE as numpy sums (one set) and as np.bincount per prompt; and the unbiased
pass@k in the numpy product form 1 - prod(1 - k / arange(n - c + 1, n + 1)) for n = 10^4,
c = 0..n, k in {1, 10, 100}. Writes the rates and S(t) at a few times, which bench/budget.c
checks its own Kaplan-Meier against.
"""
import os
import platform
import statistics
import sys
import time

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402
import statsmodels  # noqa: E402
from statsmodels.duration.survfunc import SurvfuncRight  # noqa: E402

CHECK_TIMES = [1, 10, 50, 100, 500, 1000, 2000, 3000, 4000, 4096]


def read_records(path):
    with open(path, "rb") as f:
        if f.read(4) != b"SRB1":
            raise SystemExit("%s: not a budget records file" % path)
        count = int(np.frombuffer(f.read(8), dtype="<u8")[0])
        prompts, per_prompt = (int(v) for v in np.frombuffer(f.read(8), dtype="<u4"))
        horizon = int(np.frombuffer(f.read(4), dtype="<i4")[0])
        times = np.frombuffer(f.read(4 * count), dtype="<i4")
        events = np.frombuffer(f.read(count), dtype=np.uint8)
    return times, events, prompts, per_prompt, horizon


def timed(fn, repeats):
    out, seconds = None, []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        seconds.append(time.perf_counter() - t0)
    return out, statistics.median(seconds)


def pass_at_k(n, c, k):
    if n - c < k:
        return 1.0
    return 1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1))


def main():
    if len(sys.argv) != 3:
        raise SystemExit("usage: budget_statsmodels.py records.bin peer.txt")
    times, events, prompts, per_prompt, horizon = read_records(sys.argv[1])
    n = len(times)
    prompt = np.repeat(np.arange(prompts), per_prompt)
    time_f = times.astype(np.float64)
    status = events.astype(np.int64)

    def km():
        return SurvfuncRight(time_f, status)

    sf, km_s = timed(km, 3)
    check = []
    for t in CHECK_TIMES:
        j = np.searchsorted(sf.surv_times, t, side="right") - 1
        check.append((t, 1.0 if j < 0 else float(sf.surv_prob[j])))

    def summarize():
        d = int(events.sum(dtype=np.int64))
        s = int(times.sum(dtype=np.int64))
        return horizon * d / s

    _, sum_s = timed(summarize, 5)

    def per_prompt_xi():
        d = np.bincount(prompt, weights=events, minlength=prompts)
        s = np.bincount(prompt, weights=times, minlength=prompts)
        return float(np.mean(horizon * d / s))

    _, per_s = timed(per_prompt_xi, 5)

    pass_rates = []
    for k in (1, 10, 100):
        def all_c(k=k):
            return sum(pass_at_k(10000, c, k) for c in range(10001))
        _, s = timed(all_c, 3)
        pass_rates.append(10001 / s)

    with open(sys.argv[2], "w") as f:
        f.write("config python %s, numpy %s, statsmodels %s, 1 thread (OMP/OPENBLAS/MKL_NUM_THREADS=1)\n"
                % (platform.python_version(), np.__version__, statsmodels.__version__))
        f.write("km_records_per_second %.6g\n" % (n / km_s))
        f.write("summarize_records_per_second %.6g\n" % (n / sum_s))
        f.write("per_prompt_records_per_second %.6g\n" % (n / per_s))
        f.write("pass_at_k_evaluations_per_second %.6g %.6g %.6g\n" % tuple(pass_rates))
        for t, s in check:
            f.write("km_survival_at %d %.17g\n" % (t, s))
    print("peer: statsmodels SurvfuncRight %.3g s per run on %d records; %d event times" % (km_s, n, len(sf.surv_times)))


if __name__ == "__main__":
    main()
