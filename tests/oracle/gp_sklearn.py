#!/usr/bin/python3
"""scikit-learn's GaussianProcessRegressor as the oracle of saferl_gp.h.

    gp_sklearn.py --write DIR    writes DIR/posterior.txt, DIR/fit.txt and DIR/cli_*
    gp_sklearn.py --check DIR    re-derives them and compares with the checked-in ones, each
                                 number to a tolerance from its problem (see solver_rel)

posterior.txt: random problems (every kernel, isotropic and ARD, with and without
normalize_y) with sklearn's posterior mean and sd^2 at query points, and its log marginal
likelihood and gradient in log-parameters (C * K + WhiteKernel, sklearn's theta order:
log s2, log l_1.., log noise). fit.txt: problems with three starting points each and the best
log marginal likelihood sklearn's L-BFGS-B reaches from them within the bounds.
The files are whitespace-separated tokens, read by tests/test_gp_oracle.c."""
import sys
import warnings
import numpy as np
from sklearn.gaussian_process import GaussianProcessRegressor as GPR
from sklearn.gaussian_process.kernels import RBF, Matern, ConstantKernel as C, WhiteKernel

warnings.filterwarnings("ignore")
KERNELS = ["rbf", "matern32", "matern52"]
BOUNDS = (1e-3, 1e3)


def base_kernel(kind, ls, bounds):
    if kind == 0:
        return RBF(ls, length_scale_bounds=bounds)
    return Matern(ls, nu=1.5 if kind == 1 else 2.5, length_scale_bounds=bounds)


def problem(rng, kind, ard, normalize):
    d = int(rng.integers(1, 4))
    n = int(rng.integers(4, 41))
    m = 8
    X = rng.uniform(0, 5, size=(n, d))
    y = np.sin(X).sum(axis=1) * rng.uniform(0.5, 3) + 0.1 * rng.standard_normal(n) + rng.uniform(-2, 2)
    Q = rng.uniform(-0.5, 5.5, size=(m, d))
    p = d if ard else 1
    ls = np.exp(rng.uniform(np.log(0.3), np.log(3.0), size=p))
    s2 = float(np.exp(rng.uniform(np.log(0.5), np.log(3.0))))
    noise = float(np.exp(rng.uniform(np.log(1e-6), np.log(1e-1))))
    return d, n, m, X, y, Q, ls, s2, noise


def fmt(v):
    return " ".join("%.17g" % x for x in np.ravel(v))


def posterior_text(seed=20261121):
    rng = np.random.default_rng(seed)
    out = []
    count = 0
    blocks = []
    for kind in range(3):
        for ard in (0, 1):
            for normalize in (0, 1):
                for rep in range(4):
                    d, n, m, X, y, Q, ls, s2, noise = problem(rng, kind, ard, normalize)
                    lsk = list(ls) if ard else float(ls[0])
                    k_fixed = C(s2, "fixed") * base_kernel(kind, lsk, "fixed")
                    gp = GPR(kernel=k_fixed, alpha=noise, optimizer=None, normalize_y=bool(normalize)).fit(X, y)
                    mu, sd = gp.predict(Q, return_std=True)
                    K = k_fixed(X) + noise * np.eye(n)
                    cond = np.linalg.cond(K)
                    k_free = C(s2, (1e-5, 1e5)) * base_kernel(kind, lsk, (1e-5, 1e5)) + WhiteKernel(noise, (1e-12, 1e5))
                    gp2 = GPR(kernel=k_free, alpha=0.0, optimizer=None, normalize_y=bool(normalize)).fit(X, y)
                    lml, grad = gp2.log_marginal_likelihood(gp2.kernel_.theta, eval_gradient=True)
                    blocks.append("\n".join([
                        "problem %d %d %d %d %d %d %d" % (count, kind, ard, normalize, d, n, m),
                        "%.17g %.17g %.17g" % (s2, noise, cond),
                        fmt(ls), fmt(X), fmt(y), fmt(Q), fmt(mu), fmt(sd ** 2),
                        "%.17g" % lml, fmt(grad)]))
                    count += 1
    return "%d\n" % count + "\n".join(blocks) + "\n"


def fit_text(seed=7):
    rng = np.random.default_rng(seed)
    blocks = []
    count = 0
    for kind in range(3):
        for ard in (0, 1):
            for rep in range(7):
                d, n, m, X, y, Q, ls, s2, noise = problem(rng, kind, ard, 0)
                n = min(n, 30)
                X, y = X[:n], y[:n]
                p = d if ard else 1
                lo, hi = np.log(BOUNDS[0]), np.log(BOUNDS[1])
                starts = rng.uniform(lo, hi, size=(3, p + 2))
                starts[:, 0] = rng.uniform(np.log(0.1), np.log(10), size=3)   # signal
                starts[:, 1:1 + p] = rng.uniform(np.log(0.1), np.log(10), size=(3, p))
                starts[:, -1] = rng.uniform(np.log(1e-3), np.log(1e-1), size=3)
                best = -np.inf
                for s in starts:
                    e = np.exp(s)
                    lsk = list(e[1:1 + p]) if ard else float(e[1])
                    k = C(e[0], BOUNDS) * base_kernel(kind, lsk, BOUNDS) + WhiteKernel(e[-1], BOUNDS)
                    gp = GPR(kernel=k, alpha=0.0, normalize_y=False, n_restarts_optimizer=0).fit(X, y)
                    best = max(best, gp.log_marginal_likelihood_value_)
                blocks.append("\n".join([
                    "fit %d %d %d %d %d" % (count, kind, ard, d, n),
                    fmt(X), fmt(y), fmt(starts), "%.17g" % best]))
                count += 1
    return "%d\n" % count + "\n".join(blocks) + "\n"


def cli_files(seed=11):
    """Small files for tests/cli/gp_predict.sh: a 2-D training set, queries, and sklearn's
    answers for the commands the test runs."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(0, 4, size=(15, 2))
    y = np.sin(X[:, 0]) * np.cos(X[:, 1]) * 3 + 0.05 * rng.standard_normal(15) + 1.0
    Q = rng.uniform(-0.5, 4.5, size=(7, 2))
    files = {}
    files["cli_train.csv"] = "x1,x2,y\n" + "".join("%.17g,%.17g,%.17g\n" % (a, b, c) for (a, b), c in zip(X, y))
    files["cli_query.csv"] = "# queries\n" + "".join("%.17g,%.17g\n" % (a, b) for a, b in Q)
    conditioning = []

    def run(kernel, noise, normalize, noisy):
        gp = GPR(kernel=kernel, alpha=noise, optimizer=None, normalize_y=normalize).fit(X, y)
        conditioning.append(np.linalg.cond(kernel(X) + noise * np.eye(len(X))))
        mu, sd = gp.predict(Q, return_std=True)
        var = sd ** 2 + (noise * (gp._y_train_std ** 2 if normalize else 1.0) if noisy else 0.0)
        return "".join("%.17g,%.17g\n" % (m, v) for m, v in zip(mu, var))
    files["cli_expected_rbf.csv"] = run(C(1.5, "fixed") * RBF(0.8, "fixed"), 1e-3, False, False)
    files["cli_expected_matern52_ard_noisy.csv"] = run(
        C(2.0, "fixed") * Matern([0.7, 1.9], "fixed", nu=2.5), 1e-2, False, True)
    files["cli_expected_matern32_normalized.csv"] = run(
        C(1.0, "fixed") * Matern(1.1, "fixed", nu=1.5), 1e-4, True, False)
    # --fit from the given start: sklearn's L-BFGS-B from the same start, bounds 1e-5..1e5
    k = C(1.0, (1e-5, 1e5)) * RBF(1.0, (1e-5, 1e5)) + WhiteKernel(1e-2, (1e-10, 1e5))
    gp = GPR(kernel=k, alpha=0.0, n_restarts_optimizer=0).fit(X, y)
    files["cli_expected_fit_lml.txt"] = "%.17g\n" % gp.log_marginal_likelihood_value_
    # cond(K + noise I) of each expected file: the tolerance tests/cli/gp_predict.sh holds it to
    names = ["cli_expected_rbf.csv", "cli_expected_matern52_ard_noisy.csv", "cli_expected_matern32_normalized.csv"]
    files["cli_conditioning.txt"] = "".join("%s %.17g\n" % (n, c) for n, c in zip(names, conditioning))
    return files


def cli_tolerance(name, conditioning_text):
    """The relative tolerance of one of the cli_* files (see cli_files)."""
    conds = dict((w[0], float(w[1])) for w in (l.split() for l in conditioning_text.splitlines()) if len(w) == 2)
    if name in conds:
        return lambda i, lines: solver_rel(conds[name])
    if name == "cli_conditioning.txt":
        return lambda i, lines: solver_rel(float(lines[i].split()[1]))
    if name == "cli_expected_fit_lml.txt":
        return lambda i, lines: FIT_REL
    return lambda i, lines: INPUT_REL


EPS = np.finfo(float).eps
# Inputs come from numpy's generator and its elementwise sin/exp, which differ by a few ulps
# between numpy builds (SIMD or not): 16 eps relative to a line's largest magnitude.
INPUT_REL = 16 * EPS


def solver_rel(cond):
    """Two correct Cholesky solves of K differ by about eps cond(K) relative to the largest
    magnitude of a result (numpy's BLAS and LAPACK vary from machine to machine: reference,
    OpenBLAS, BLIS); 1e-15 cond with a floor of 1e-9, as tests/test_gp_oracle.c holds the C
    code to the same fixtures."""
    return max(1e-9, 1e-15 * cond)


# The optimiser's end point is defined only to L-BFGS-B's stopping rule (scipy's ftol, 2.2e-9
# relative per iteration), and two runs whose rounding differs stop at different iterates. The
# fixture's best LML is consumed as "reach it, less 1e-6 |LML|" (tests/test_gp_oracle.c and
# tests/cli/gp_predict.sh), so it has to reproduce to that and no better.
FIT_REL = 1e-6


def tokens(line):
    out = []
    for t in line.replace(",", " ").split():
        try:
            out.append(float(t))
        except ValueError:
            out.append(t)
    return out


def lines_close(a, b, rel):
    """One line (one quantity) against another: words equal, every number within rel of the
    line's largest magnitude."""
    x, y = tokens(a), tokens(b)
    if len(x) != len(y):
        return False
    top = max([abs(v) for v in x + y if isinstance(v, float)] + [0.0])
    for p, q in zip(x, y):
        if isinstance(p, float) != isinstance(q, float):
            return False
        if (p != q) if not isinstance(p, float) else abs(p - q) > rel * top:
            return False
    return True


def compare(path, text, tolerance_of):
    """The checked-in file against a fresh derivation, line by line; tolerance_of(i, old_lines)
    gives line i's relative tolerance (see INPUT_REL, solver_rel, FIT_REL)."""
    old = open(path).read().splitlines()
    new = text.splitlines()
    if len(old) != len(new):
        print("%s: %d lines, the oracle now gives %d" % (path, len(old), len(new)))
        return False
    bad = [i + 1 for i, (a, b) in enumerate(zip(old, new)) if a != b and not lines_close(a, b, tolerance_of(i, old))]
    if bad:
        print("%s: lines %s differ from a fresh sklearn run beyond their tolerance" % (path, bad[:10]))
    return not bad


def posterior_tolerance(i, lines):
    """posterior.txt: a block is a 'problem' line, 's2 noise cond', ls, X, y, Q (inputs), mean,
    variance, LML, gradient (solver results; cond itself is an SVD ratio, good to eps cond)."""
    start = max(j for j in range(i + 1) if lines[j].startswith("problem"))
    offset = i - start
    if offset == 0 or offset in (2, 3, 4, 5):
        return INPUT_REL
    return solver_rel(float(lines[start + 1].split()[2]))


def fit_tolerance(i, lines):
    """fit.txt: a 'fit' line, X, y, starts (inputs), the best LML (optimiser result)."""
    start = max(j for j in range(i + 1) if lines[j].startswith("fit"))
    return FIT_REL if i - start == 4 else INPUT_REL


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("--write", "--check"):
        print(__doc__)
        sys.exit(2)
    directory = sys.argv[2]
    post, fit = posterior_text(), fit_text()
    cli = cli_files()
    if sys.argv[1] == "--write":
        open(directory + "/posterior.txt", "w").write(post)
        open(directory + "/fit.txt", "w").write(fit)
        for name, text in cli.items():
            open(directory + "/" + name, "w").write(text)
        return
    ok = compare(directory + "/posterior.txt", post, posterior_tolerance)
    for name, text in cli.items():
        ok = compare(directory + "/" + name, text, cli_tolerance(name, cli["cli_conditioning.txt"])) and ok
    ok = compare(directory + "/fit.txt", fit, fit_tolerance) and ok
    print("sklearn fixtures re-derived: %s" % ("same" if ok else "DIFFERENT"))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
