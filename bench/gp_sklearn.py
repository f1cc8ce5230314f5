#!/usr/bin/python3
"""scikit-learn's side of bench/gp.c: the same data (read from the file bench/gp.c wrote), the
same kernel (C(1) * RBF(0.8), alpha 1e-4, optimizer=None), the same tasks; medians.
usage: gp_sklearn.py DATA.bin OUT.txt [--quick]   (threads: set by the caller's environment)"""
import sys
import time
import warnings
import numpy as np
from sklearn.gaussian_process import GaussianProcessRegressor as GPR
from sklearn.gaussian_process.kernels import RBF, ConstantKernel as C

warnings.filterwarnings("ignore")
N_MAX, Z_MAX, D = 4000, 10000, 2


def gpr():
    return GPR(kernel=C(1.0, "fixed") * RBF(0.8, "fixed"), alpha=1e-4, optimizer=None)


def median_time(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main():
    data = np.fromfile(sys.argv[1], dtype="<f8")
    X = data[:N_MAX * D].reshape(N_MAX, D)
    y = data[N_MAX * D:N_MAX * D + N_MAX]
    Z = data[N_MAX * D + N_MAX:].reshape(Z_MAX, D)
    quick = "--quick" in sys.argv
    out = []
    for n in (25, 50, 100, 200):
        for m in (1000, 10000):
            out.append(("fit_predict_%d_%d" % (n, m),
                        median_time(lambda: gpr().fit(X[:n], y[:n]).predict(Z[:m], return_std=True), 7)))
    for n in (25, 50, 100, 200):
        for m in (1000, 10000):
            # no incremental update in sklearn: refit on n + 1 and predict the candidates
            out.append(("add_update_%d_%d" % (n, m),
                        median_time(lambda: gpr().fit(X[:n + 1], y[:n + 1]).predict(Z[:m], return_std=True), 7)))
    if not quick:
        for n in (500, 1000, 2000, 4000):
            reps = 1 if n >= 2000 else 3
            out.append(("fit_%d" % n, median_time(lambda: gpr().fit(X[:n], y[:n]), reps)))
            g = gpr().fit(X[:n], y[:n])
            out.append(("predict_%d" % n, median_time(lambda: g.predict(Z[:1000], return_std=True), reps)))
    with open(sys.argv[2], "w") as f:
        for k, v in out:
            f.write("%s %.9g\n" % (k, v))


if __name__ == "__main__":
    main()
