#!/usr/bin/env bash
# saferl_rl.h's poisoning LP (saferl_rl_poison_lp, a dense bounded-variable simplex) against
# scipy.optimize.linprog (HiGHS) on seeded random instances, N from 30 to 2000 and d from 2
# to 64, dumped by `test_rl --poison-lp`: equal optima, feasible labels, a vertex (at most d
# fractional labels), and the naive attack's flips beside the LP's. Needs python3-scipy.
set -euo pipefail
cd "$(dirname "$0")/../.."
make -s build/test_rl
if ! /usr/bin/python3 -c "import scipy.optimize, numpy" 2>/dev/null; then
    echo "scipy not installed: skipped (apt-get install python3-scipy)"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
build/test_rl --poison-lp >"$tmp/poison"
echo "== poisoning LP: the header's simplex against scipy.optimize.linprog (load: $(cut -d' ' -f1-3 /proc/loadavg))"
/usr/bin/python3 tests/oracle/rl_poison.py "$tmp/poison"
