#!/usr/bin/env bash
# saferl_gp.h against scikit-learn: the checked-in fixtures always (built portable and built on
# BLIS), the two builds against each other on a larger problem (to 1e-15 cond(K + noise I),
# with cond from the dump's bound: two correct solvers differ by about eps cond), and the
# fixtures re-derived when sklearn is installed (Debian's python3-sklearn, /usr/bin/python3).
set -euo pipefail
cd "$(dirname "$0")/../.."
make -s build/test_gp_oracle build/test_gp_oracle_blis
echo "== portable"
build/test_gp_oracle tests/data/gp
echo "== SAFERL_USE_BLIS (one thread)"
BLIS_NUM_THREADS=1 build/test_gp_oracle_blis tests/data/gp
echo "== portable vs BLIS on n = 300 (blocked Cholesky), 500 queries"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
build/test_gp_oracle --dump >"$tmp/portable"
BLIS_NUM_THREADS=1 build/test_gp_oracle_blis --dump >"$tmp/blis"
# relative to the larger of the two values (floored at 1e-6 of the row's largest magnitude)
compare_builds() { # portable blis
    awk 'NR == FNR { for (i = 2; i <= NF; ++i) a[$1, i] = $i; n[$1] = NF; if ($1 == "cond_bound") tol = 1e-15 * $2; next }
         $1 == "cond_bound" { next }
         {
             if (!(tol > 0)) { print "no cond_bound line"; bad = 1; exit }
             if (n[$1] != NF) { print $1 ": different lengths"; bad = 1; next }
             top = 0
             for (i = 2; i <= NF; ++i) { v = $i < 0 ? -$i : $i; if (v > top) top = v }
             worst = 0
             for (i = 2; i <= NF; ++i) {
                 x = a[$1, i]; y = $i; d = x - y; if (d < 0) d = -d
                 s = (x < 0 ? -x : x); t = (y < 0 ? -y : y); if (t > s) s = t; if (1e-6 * top > s) s = 1e-6 * top
                 if (s > 0 && d / s > worst) worst = d / s
             }
             printf "  %-12s %4d values, worst relative difference %.3g (tolerance %.3g)\n", $1, NF - 1, worst, tol
             if (worst > tol) bad = 1
         }
         END { exit bad }' "$1" "$2"
}
compare_builds "$tmp/portable" "$tmp/blis"
# the comparison can fail: one mean off by three tolerances is caught
awk -v CONVFMT=%.17g 'NR == FNR { if ($1 == "cond_bound") tol = 1e-15 * $2; next } $1 == "mean" { $2 = $2 * (1 + 3 * tol) } { print }' \
    "$tmp/blis" "$tmp/blis" >"$tmp/perturbed"
if compare_builds "$tmp/portable" "$tmp/perturbed" >/dev/null; then
    echo "a mean perturbed by 3 tolerances passed the comparison"
    exit 1
fi
if /usr/bin/python3 -c "import sklearn" 2>/dev/null; then
    echo "== re-deriving the fixtures with sklearn"
    /usr/bin/python3 tests/oracle/gp_sklearn.py --check tests/data/gp
else
    echo "sklearn not installed: checked-in fixtures only (apt-get install python3-sklearn)"
fi
