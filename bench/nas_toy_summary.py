"""The AdvantageNAS paper's toy-task metric from bench/nas.c toy output (run by bench/run_nas.sh).

The paper's plot script (toy/toy.py plot_acc) takes, per strategy, the argmax architecture's
loss x 100 logged every 10 iterations, over 10 trials, and draws the median with the 25th and
75th percentiles over iterations 0-600. We print that median (quartiles) at iterations 100,
300 and 600; the per-seed mean of the logged values over 0-600 (one number per run: the area
under its curve), median and quartiles over seeds; and the paired comparison with
AdvantageNAS on that per-seed mean (same seed = same teacher and frozen weights): in how
many seeds AdvantageNAS's is lower, with a two-sided sign-test p-value. First hits (the first iteration at which the argmax equals the
teacher, within the run) stay as a secondary column.
Usage: nas_toy_summary.py ITERS SUMMARY_OUT FILE...   (FILE: one strategy's lines)"""
import math, statistics, sys

iters, summary_out, paths = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
labels = {"advantage": "AdvantageNAS", "advantage_b": "AdvantageNAS/w-b", "reinforce": "REINFORCE",
          "parsec": "PARSEC", "gdas": "GDAS", "proxyless": "ProxylessNAS (per-edge rescale)",
          "proxyless_official": "ProxylessNAS (official rescale)", "darts": "DARTS (dense)",
          "snas": "SNAS (dense)", "nasp": "NASP"}
LAST = 60  # logged index of iteration 600


def quantile(v, q):  # numpy's default (linear) percentile, as the plot script's np.percentile
    v = sorted(v)
    pos = (len(v) - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


def sign_test(wins, losses):  # two-sided, ties dropped
    n = wins + losses
    if n == 0:
        return 1.0
    k = min(wins, losses)
    p = sum(math.comb(n, i) for i in range(k + 1)) / 2 ** n
    return min(1.0, 2 * p)


runs = {}
for path in paths:
    for line in open(path):
        f = line.split()
        runs.setdefault(f[0], {})[int(f[1])] = (int(f[2]), [100.0 * float(x) for x in f[3:]])
ref = runs.get("advantage", {})
fmt = lambda q: "—" if q is None else "%.3f [%.3f, %.3f]" % (q[1], q[0], q[2])
print("| strategy | median loss x100 at 100 | at 300 | at 600 | per-seed mean over 0-600 | "
      "AdvantageNAS lower (paired seeds, sign test) | median first hit within %d (found) |" % iters)
print("|---|---|---|---|---|---|---|")
with open(summary_out, "w") as out:
    for name, seeds in runs.items():
        curves = [seeds[s][1] for s in sorted(seeds)]
        last = min(LAST, min(len(c) for c in curves) - 1)  # a shorter run: up to its end
        at = lambda i: [quantile([c[i] for c in curves], q) for q in (0.25, 0.5, 0.75)] if i <= last else None
        means = {s: statistics.fmean(seeds[s][1][:last + 1]) for s in seeds}
        m = [quantile(list(means.values()), q) for q in (0.25, 0.5, 0.75)]
        if name == "advantage":
            paired = "—"
        else:
            common = [s for s in means if s in ref]
            ref_means = {s: statistics.fmean(ref[s][1][:last + 1]) for s in common}
            wins = sum(ref_means[s] < means[s] for s in common)  # AdvantageNAS lower
            losses = sum(ref_means[s] > means[s] for s in common)
            paired = "%d of %d (p = %.2g)" % (wins, len(common), sign_test(wins, losses))
        hits = [seeds[s][0] for s in seeds]
        med = statistics.median(hits)
        print("| %s | %s | %s | %s | %s | %s | %s (%d/%d) |" % (
            labels.get(name, name), fmt(at(10)), fmt(at(30)), fmt(at(60)), fmt(m), paired,
            ">%d" % iters if med > iters else "%g" % med, sum(h <= iters for h in hits), len(hits)))
        for i in range(last + 1):
            q = at(i)
            out.write("%s %d %.6g %.6g %.6g\n" % (name, 10 * i, q[0], q[1], q[2]))
