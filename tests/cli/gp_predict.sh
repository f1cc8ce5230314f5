#!/usr/bin/env bash
# Black-box test of examples/gp_predict: tests/cli/gp_predict.sh path/to/gp_predict
# Expected values are scikit-learn's (tests/oracle/gp_sklearn.py wrote tests/data/gp/cli_*),
# compared relative to the largest magnitude of each column, to max(1e-9, 1e-15 cond(K + noise I))
# with cond from tests/data/gp/cli_conditioning.txt (two correct solvers differ by ~eps cond).
set -u
BIN=${1:?usage: tests/cli/gp_predict.sh path/to/gp_predict}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DATA=$ROOT/tests/data/gp
. "$(dirname "$0")/lib.bash"



# close NAME EXPECTED.csv: stdout equals the file's mean,var rows to the problem's tolerance
close() {
    local msg cond
    if [ "$status" -ne 0 ]; then bad "$1" "exit $status: $(head -c 300 "$TMP/err")"; return; fi
    cond=$(awk -v f="$(basename "$2")" '$1 == f { print $2 }' "$DATA/cli_conditioning.txt")
    [ -n "$cond" ] || { bad "$1" "no condition number for $(basename "$2") in cli_conditioning.txt"; return; }
    if msg=$(awk -F, -v cond="$cond" 'BEGIN { tol = 1e-15 * cond; if (tol < 1e-9) tol = 1e-9 }
             NR == FNR { m[FNR] = $1; v[FNR] = $2; n = FNR
                                  if ((($1 < 0) ? -$1 : $1) > tm) tm = ($1 < 0) ? -$1 : $1
                                  if ((($2 < 0) ? -$2 : $2) > tv) tv = ($2 < 0) ? -$2 : $2; next }
             { rows++; if (NF != 2) { print "line " FNR ": " NF " fields"; exit 1 }
               dm = $1 - m[FNR]; dv = $2 - v[FNR]; if (dm < 0) dm = -dm; if (dv < 0) dv = -dv
               if (dm > tol * tm || dv > tol * tv) { print "line " FNR ": " $0 " vs " m[FNR] "," v[FNR]; exit 1 }
               if (length($1) < 15 && $1 != 0) { print "line " FNR ": not 17 significant digits: " $1; exit 1 } }
             END { if (rows != n) { print rows " rows, expected " n; exit 1 } }' "$2" "$TMP/out"); then
        ok "$1"
    else
        bad "$1" "$msg"
    fi
}

expect_status() { if [ "$status" -eq "$2" ]; then ok "$1"; else bad "$1" "exit $status, expected $2; stderr: $(head -c 300 "$TMP/err")"; fi; }
expect_err() { if grep -q -- "$2" "$TMP/err"; then ok "$1"; else bad "$1" "stderr lacks '$2': $(head -c 300 "$TMP/err")"; fi; }

T=$DATA/cli_train.csv
Q=$DATA/cli_query.csv

run --kernel rbf --lengthscale 0.8 --signal-var 1.5 --noise-var 1e-3 "$T" "$Q"
close "rbf, isotropic: sklearn's mean and latent variance" "$DATA/cli_expected_rbf.csv"

run --kernel matern52 --lengthscale 0.7,1.9 --signal-var 2 --noise-var 1e-2 --noisy "$T" "$Q"
close "matern52 ARD with --noisy: variance plus the noise" "$DATA/cli_expected_matern52_ard_noisy.csv"

run --kernel matern32 --lengthscale 1.1 --signal-var 1 --noise-var 1e-4 --normalize "$T" "$Q"
close "matern32 --normalize: sklearn's normalize_y" "$DATA/cli_expected_matern32_normalized.csv"

# --fit from (1, 1, 1e-2): the log marginal likelihood reaches sklearn's from the same start
run --kernel rbf --lengthscale 1 --signal-var 1 --noise-var 1e-2 --fit "$T" "$Q"
if [ "$status" -eq 0 ] && [ "$(grep -c -E '^(signal_var|lengthscale|noise_var|log_marginal_likelihood) ' "$TMP/err")" -eq 4 ]; then
    ok "--fit prints the hyperparameters and the LML on stderr"
else
    bad "--fit prints the hyperparameters and the LML on stderr" "$(head -c 300 "$TMP/err")"
fi
ours=$(sed -n 's/^log_marginal_likelihood //p' "$TMP/err")
theirs=$(cat "$DATA/cli_expected_fit_lml.txt")
if awk -v a="$ours" -v b="$theirs" 'BEGIN { d = (b < 0 ? -b : b); exit !(a != "" && a + 0 >= b - 1e-6 * d) }'; then
    ok "--fit: LML $ours >= sklearn's $theirs (less 1e-6 |LML|)"
else
    bad "--fit: LML" "ours $ours, sklearn $theirs"
fi
if [ "$(wc -l <"$TMP/out")" -eq 7 ]; then ok "--fit then predicts every query row"; else bad "--fit then predicts every query row"; fi

# bad input: file:line:column and exit 1, nothing on stdout
printf '1,2,3\n4,nan,6\n' >"$TMP/nan.csv"
run --kernel rbf --lengthscale 1 --signal-var 1 --noise-var 0.1 "$TMP/nan.csv" "$Q"
expect_status "NaN in the training file: exit 1" 1
expect_err "NaN: file:line:column" "nan.csv:2:3:"
[ -s "$TMP/out" ] && bad "NaN: nothing printed" || ok "NaN: nothing printed"

printf '1,2,3\n4,5\n' >"$TMP/ragged.csv"
run --kernel rbf --lengthscale 1 --signal-var 1 --noise-var 0.1 "$TMP/ragged.csv" "$Q"
expect_status "ragged rows: exit 1" 1
expect_err "ragged rows: the line" "ragged.csv:2:"

printf '1,2,3\n' >"$TMP/q1.csv"
run --kernel rbf --lengthscale 1 --signal-var 1 --noise-var 0.1 "$T" "$TMP/q1.csv"
expect_status "query with the wrong dimension: exit 1" 1

run --kernel rbf --lengthscale 1,2,3 --signal-var 1 --noise-var 0.1 "$T" "$Q"
expect_status "three lengthscales for two inputs: exit 2" 2
run --kernel cubic --lengthscale 1 --signal-var 1 --noise-var 0.1 "$T" "$Q"
expect_status "unknown kernel: exit 2" 2
run --kernel rbf --lengthscale 1 --signal-var -1 --noise-var 0.1 "$T" "$Q"
expect_status "negative signal variance: exit 2" 2
run --kernel rbf --lengthscale 1 --signal-var 1 --noise-var 0.1 "$TMP/missing.csv" "$Q"
expect_status "missing file: exit 1" 1

# duplicate training points with no noise: finite output (jitter), not NaN
printf '0,1\n0,1\n1,2\n' >"$TMP/dup.csv"
printf '0\n0.5\n' >"$TMP/dq.csv"
run --kernel rbf --lengthscale 1 --signal-var 1 --noise-var 0 "$TMP/dup.csv" "$TMP/dq.csv"
if [ "$status" -eq 0 ] && ! grep -qi nan "$TMP/out" && [ "$(wc -l <"$TMP/out")" -eq 2 ]; then
    ok "duplicate points without noise: finite predictions"
else
    bad "duplicate points without noise" "$(cat "$TMP/out" "$TMP/err" | head -c 300)"
fi

# Issue 15: repeated and inapplicable flags, the byte-order mark, failed writes
usage_error "--noise-var twice: usage error (was last-wins)" --kernel rbf --lengthscale 1 --signal-var 1 --noise-var 0.1 --noise-var 0.2 "$T" "$Q"
usage_error "--fit twice: usage error" --kernel rbf --lengthscale 1 --signal-var 1 --noise-var 0.1 --fit --fit "$T" "$Q"
usage_error "--restarts without --fit: usage error (was ignored)" --kernel rbf --lengthscale 1 --signal-var 1 --noise-var 0.1 --restarts 3 "$T" "$Q"
usage_error "--signal-var inf: usage error" --kernel rbf --lengthscale 1 --signal-var inf --noise-var 0.1 "$T" "$Q"
printf '\357\273\277' | cat - "$T" >"$TMP/bom_train.csv"
run --kernel rbf --lengthscale 0.8 --signal-var 1.5 --noise-var 1e-3 "$TMP/bom_train.csv" "$Q"
close "training file with a BOM: the same predictions" "$DATA/cli_expected_rbf.csv"
stdout_full "stdout on /dev/full: exit 1" --kernel rbf --lengthscale 0.8 --signal-var 1.5 --noise-var 1e-3 "$T" "$Q"

finish
