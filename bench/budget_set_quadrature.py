#!/usr/bin/python3
"""A prompt set's posterior of xi = H / mean_i E[T_i] by brute force, against budget_report's.

    /usr/bin/python3 bench/budget_set_quadrature.py PROMPTS ATTEMPTS SPREAD CENSORED SEED build/budget_report

Draws one prompt set as bench/budget_coverage.c's "beta" cells do (hazards Beta(a, (a - 1/3)
700) with sqrt(trigamma(a)) = SPREAD, or all 1/700 at SPREAD 0; T geometric; H so that a share
CENSORED of attempts is censored), with numpy's generator (other sets than the bench's). The
posterior of (u = ln a, m = ln(b / a)) is evaluated on a 1401 x 801 grid (u over the header's
[ln 1e-3, ln 1e6], m within 4 of the pooled hazard's), by scipy's betaln, under the header's
half-Cauchy(1) prior on sigma = sqrt(trigamma(a)) and under a flat prior on sigma in [0, 3];
4000 draws of (a, b) by the grid's weights, then q_i ~ Beta(a + D_i, b + F_i), give xi's
quantiles. Prints one JSON line: the set, the likelihood of sigma (m integrated out under its
flat prior) relative to its top at a few spreads, each prior's 2.5%, 50%, 97.5% quantiles of
xi / truth and its posterior of sigma, and budget_report's interval / truth on the same data.
Used to ask whether the prior or the likelihood decides the set's interval under heavy
censoring (README.md).
"""
import json, math, os, subprocess, sys, tempfile
import numpy as np
from scipy.special import betaln, polygamma, gammaln

def data(rng, P, n, spread, cens, law_a):
    if spread == 0:
        q = np.full(P, 1 / 700)
    else:
        x = rng.gamma(law_a, size=P); y = rng.gamma((law_a - 1 / 3) * 700, size=P); q = x / (x + y)
    return q

def horizon(spread, cens, law_a, rng):
    q = data(rng, 4000, 0, spread, cens, law_a)
    t = rng.geometric(np.repeat(q, 50))
    return float(np.floor(np.quantile(t, 1 - cens)))

def shape_for_spread(s):
    lo, hi = -7.0, 14.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if polygamma(1, math.exp(mid)) > s * s: lo = mid
        else: hi = mid
    return math.exp((lo + hi) / 2)

def main():
    P, n, spread, cens, seed = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
    rng = np.random.default_rng(seed)
    law_a = shape_for_spread(spread) if spread > 0 else 0
    H = horizon(spread, cens, law_a, rng)
    q = data(rng, P, n, spread, cens, law_a)
    T = rng.geometric(np.repeat(q, n)).reshape(P, n)
    D = (T <= H).sum(1).astype(float)
    S = np.minimum(T, H).sum(1).astype(float)
    F = S - D
    truth = H / np.mean(1 / q)
    if D.sum() == 0: print("no success"); return
    # grid
    U = np.linspace(math.log(1e-3), math.log(1e6), 1401)
    pooled = D.sum() / S.sum(); m0 = math.log((1 - pooled) / pooled)
    M = np.linspace(m0 - 4, m0 + 4, 801)
    uu, mm = np.meshgrid(U, M, indexing="ij")
    a = np.exp(uu); b = np.exp(uu + mm)
    ll = np.zeros_like(a)
    pats, counts = np.unique(np.stack([D, F], 1), axis=0, return_counts=True)
    for (d, f), c in zip(pats, counts):
        ll += c * (betaln(a + d, b + f) - betaln(a, b))
    tri = polygamma(1, np.exp(U)); tet = polygamma(2, np.exp(U)); sig = np.sqrt(tri)
    dsig_du = np.exp(U) * -tet / (2 * sig)            # |d sigma / d u|
    log_hc = np.log(2 / math.pi) - np.log1p(tri) + np.log(dsig_du)
    log_flat = np.where(sig <= 3, np.log(dsig_du / 3), -np.inf)
    # marginal likelihood of sigma: integrate m (flat)
    top = ll.max()
    Lu = np.log(np.exp(ll - top).sum(1))
    out = {"P": P, "n": n, "spread": spread, "cens": cens, "H": H, "D": D.sum(), "unsolved": int((D == 0).sum()), "truth": truth}
    for s0 in (0.05, 0.3, 0.6, 1.0, 1.5):
        j = np.argmin(abs(sig - s0)); out["lik(sigma=%.2g)" % s0] = round(float(np.exp(Lu[j] - Lu.max())), 3)
    for name, lp in (("half-cauchy", log_hc), ("flat-sigma", log_flat)):
        w = np.exp(ll + lp[:, None] - (ll + lp[:, None]).max()); w /= w.sum()
        ps = w.sum(1)
        cs = np.cumsum(ps)
        out[name + " sigma q50"] = round(float(sig[np.searchsorted(cs, 0.5)]), 3)
        out[name + " P(sigma<0.3)"] = round(float(ps[sig < 0.3].sum()), 3)
        idx = rng.choice(w.size, size=4000, p=w.ravel())
        ai, bi = a.ravel()[idx], b.ravel()[idx]
        x = rng.gamma(ai[:, None] + D[None, :]); y = rng.gamma(bi[:, None] + F[None, :])
        xi = H / np.mean(1 + y / x, axis=1)
        lo, med, hi = np.quantile(xi, [0.025, 0.5, 0.975])
        out[name + " xi/truth"] = [round(lo / truth, 3), round(med / truth, 3), round(hi / truth, 3)]
        out[name + " mean/truth"] = round(float(xi.mean() / truth), 3)
    # the library, through budget_report
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
        for i in range(P):
            for k in range(n):
                f.write("p%d,%d,%s\n" % (i, H, int(T[i, k]) if T[i, k] <= H else ""))
    r = json.loads(subprocess.run([sys.argv[6], "--json", f.name], capture_output=True, text=True).stdout)["pooled"]
    os.unlink(f.name)
    out["library xi/truth"] = [round(r["xi_lo"] / truth, 3), round(r["xi"] / truth, 3), round(r["xi_hi"] / truth, 3)]
    print(json.dumps(out))

main()
