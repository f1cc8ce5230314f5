#!/usr/bin/env bash
# saferl_gp.h against scikit-learn: the checked-in fixtures always (built portable and built on
# BLIS), the two builds against each other on a larger problem (1e-10 relative), and the
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
awk 'NR == FNR { for (i = 2; i <= NF; ++i) a[$1, i] = $i; n[$1] = NF; next }
     {
         if (n[$1] != NF) { print $1 ": different lengths"; bad = 1; next }
         top = 0
         for (i = 2; i <= NF; ++i) { v = $i < 0 ? -$i : $i; if (v > top) top = v }
         worst = 0
         for (i = 2; i <= NF; ++i) {
             x = a[$1, i]; y = $i; d = x - y; if (d < 0) d = -d
             s = (x < 0 ? -x : x); t = (y < 0 ? -y : y); if (t > s) s = t; if (1e-6 * top > s) s = 1e-6 * top
             if (s > 0 && d / s > worst) worst = d / s
         }
         printf "  %-12s %4d values, worst relative difference %.3g\n", $1, NF - 1, worst
         if (worst > 1e-10) bad = 1
     }
     END { exit bad }' "$tmp/portable" "$tmp/blis"
if /usr/bin/python3 -c "import sklearn" 2>/dev/null; then
    echo "== re-deriving the fixtures with sklearn"
    /usr/bin/python3 tests/oracle/gp_sklearn.py --check tests/data/gp
else
    echo "sklearn not installed: checked-in fixtures only (apt-get install python3-sklearn)"
fi
