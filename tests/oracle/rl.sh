#!/usr/bin/env bash
# saferl_rl.h's tabular CMDP against scipy.optimize.linprog (HiGHS): the cliff model as
# saferl_rl_cliff_model exports it is dumped by the unit-test binary (`test_rl --cliff-lp`),
# together with the answers of the simplex in tests/test_rl.c at several cost limits d.
#   always:            the simplex answers against the checked-in linprog fixture (to its
#                      tolerance line: HiGHS's feasibility tolerances times the LP's duals and
#                      visit counts, see tests/data/rl/cliff_linprog.py)
#   scipy installed:   linprog re-solves the dumped model, against the simplex and the fixture
#   tests/oracle/rl.sh --write   re-derives the fixtures (needs scipy)
# The same for the flipping mixture's LP (saferl_rl_mixture_solve): the checked-in cases
# tests/data/rl/mixture_lp_cases.txt (random sets of (J_i, J_C,i), infeasible and degenerate
# ones) through `test_rl --mixture-lp`, against linprog's optimum in the fixture (to the
# tolerance beside it, from HiGHS's feasibility tolerance and the case's duals: see
# mixture_linprog.py), and re-solved by tests/data/rl/mixture_linprog.py when scipy is installed.
# And the random tabular CMDPs of tests/test_rl.c (`test_rl --cmdp-lp`: 6 generator seeds x cost
# scales 1, 10, 100), re-solved by tests/data/rl/cmdp_linprog.py with linprog (scipy needed; the
# unit test checks the same LP against brute force over all deterministic policies).
set -euo pipefail
cd "$(dirname "$0")/../.."
FIXTURE=tests/data/rl/cliff_lp_expected.txt
MIX_CASES=tests/data/rl/mixture_lp_cases.txt
MIX_FIXTURE=tests/data/rl/mixture_lp_expected.txt
make -s build/test_rl
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
build/test_rl --cliff-lp >"$tmp/dump"
build/test_rl --mixture-lp <"$MIX_CASES" >"$tmp/mixture"
have_scipy=0
/usr/bin/python3 -c "import scipy.optimize, numpy" 2>/dev/null && have_scipy=1
if [ "${1:-}" = "--write" ]; then
    [ "$have_scipy" = 1 ] || { echo "rl.sh --write needs scipy (apt-get install python3-scipy)" >&2; exit 1; }
    /usr/bin/python3 tests/data/rl/cliff_linprog.py "$tmp/dump" "$FIXTURE" --write
    /usr/bin/python3 tests/data/rl/mixture_linprog.py "$MIX_CASES" "$MIX_FIXTURE" --write
    exit 0
fi
echo "== the unit tests with the products on BLIS (SAFERL_USE_BLIS, one thread)"
if make -s build/test_rl_blis 2>/dev/null; then
    BLIS_NUM_THREADS=1 build/test_rl_blis | tail -n 1
else
    echo "  (libblis-dev missing: skipped)"
fi
echo "== cliff CMDP: the simplex of tests/test_rl.c against the checked-in linprog fixture"
awk 'NR == FNR { if ($1 == "tolerance") tol = $2; else if ($1 !~ /^#/ && $1 != "min_cost") { r[$1] = $2; c[$1] = $3 }; next }
     $1 == "simplex" {
         d = $2; n++
         if (!(tol > 0)) { print "  no tolerance line in the fixture"; bad = 1; exit }
         if (!(d in r)) { printf "  d = %s: not in the fixture\n", d; bad = 1; next }
         dr = $3 - r[d]; dc = $4 - c[d]; if (dr < 0) dr = -dr; if (dc < 0) dc = -dc
         ok = dr <= tol && dc <= tol
         printf "  d = %5s: simplex return %.9f cost %.9f; linprog %.9f %.9f  %s\n", d, $3, $4, r[d], c[d], ok ? "ok" : "MISMATCH"
         if (!ok) bad = 1
     }
     END { if (n < 5) { print "  too few simplex lines"; bad = 1 }; exit bad }' "$FIXTURE" "$tmp/dump"
if [ "$have_scipy" = 1 ]; then
    echo "== re-solving the dumped model with scipy.optimize.linprog"
    /usr/bin/python3 tests/data/rl/cliff_linprog.py "$tmp/dump" "$FIXTURE" --check
else
    echo "scipy not installed: checked-in fixture only (apt-get install python3-scipy)"
fi
echo "== flipping mixture LP: saferl_rl_mixture_solve against the checked-in linprog fixture"
awk 'NR == FNR { if ($1 !~ /^#/) { e[$1] = $2; t[$1] = $3 }; next }
     $1 == "mixture" {
         n++
         if (!($2 in e)) { printf "  %s: not in the fixture\n", $2; bad = 1; next }
         if ($3 == "infeasible" || e[$2] == "infeasible") {
             if ($3 != e[$2]) { printf "  %s: %s, fixture %s  MISMATCH\n", $2, $3, e[$2]; bad = 1 }
             else inf++
             next
         }
         d = $7 - e[$2]; if (d < 0) d = -d
         if ($3 != "ok" || !(t[$2] > 0) || d > t[$2]) { printf "  %s: value %s, fixture %s (tolerance %s)  MISMATCH\n", $2, $7, e[$2], t[$2]; bad = 1 }
         else ok++
     }
     END { printf "  %d cases: %d optima equal to linprog'"'"'s, %d infeasible as linprog says\n", n, ok, inf
           if (n < 40) { print "  too few mixture lines"; bad = 1 }; exit bad }' "$MIX_FIXTURE" "$tmp/mixture"
if [ "$have_scipy" = 1 ]; then
    echo "== re-solving the mixture cases with scipy.optimize.linprog (weights checked, not only values)"
    /usr/bin/python3 tests/data/rl/mixture_linprog.py "$MIX_CASES" "$MIX_FIXTURE" "$tmp/mixture"
fi
echo "== random tabular CMDPs (tests/test_rl.c's generator, 6 seeds x cost scales 1/10/100): the simplex against linprog"
build/test_rl --cmdp-lp >"$tmp/cmdp"
if [ "$have_scipy" = 1 ]; then
    (cd tests/data/rl && /usr/bin/python3 cmdp_linprog.py "$tmp/cmdp")
else
    echo "  scipy not installed: skipped (the unit test checks the LP against brute force)"
fi
