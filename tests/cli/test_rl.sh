#!/usr/bin/env bash
# The modes of the unit-test binary (tests/test_rl.c) that bench/run_rl.sh and the README run:
# tests/cli/test_rl.sh path/to/test_rl. Each grid flag is matched whole, its =X (the cost's GAE
# lambda) is a number in (0, 1]; anything else exits 1 with "test_rl: FLAG: reason" and runs
# nothing (a mistyped flag ran a grid, or the whole unit suite, before). A good flag is run on
# an empty grid (CMDPs 1..0), which trains nothing and prints the summary lines.
set -u
BIN=${1:?usage: tests/cli/test_rl.sh path/to/test_rl}
. "$(dirname "$0")/lib.bash"

for flag in --cmdp-grid --cmdp-grid-window --cmdp-grid-window=0.5 --cmdp-grid-window=1 --cmdp-grid-window=5e-1 \
    --cmdp-grid-cost-lambda=0.5 --cmdp-grid-cost-units --cmdp-grid-proportional --cmdp-grid-integral \
    --cmdp-grid-relative-damping; do
    run "$flag" 1 0 1 cpo
    [ "$status" -eq 0 ] && grep -q '^cpo  *0 of 0 runs within the target' "$TMP/out" && ok "$flag: the grid" ||
        bad "$flag: the grid" "status $status: $(head -c 300 "$TMP/err")"
done
# refused: exit 1, the flag and the reason on stderr, nothing on stdout
refused() { # FLAG FRAGMENT
    run "$1" 1 0 1 cpo
    if [ "$status" -eq 1 ] && [ ! -s "$TMP/out" ] && grep -qF -- "test_rl: $1: $2" "$TMP/err"; then ok "refused: '$1'"
    else bad "refused: '$1'" "status $status, stdout $(head -c 100 "$TMP/out"), stderr $(head -c 300 "$TMP/err")"; fi
}
for flag in --cmdp-grid-windowJUNK --cmdp-grid-window-x --cmdp-gridX --cmdp-grid-cost-lambda0.5 --cmdp-grid- --bogus; do
    refused "$flag" "unknown option"
done
for flag in --cmdp-grid-window= --cmdp-grid-window=abc --cmdp-grid-window=0.5x "--cmdp-grid-window= 0.5" \
    --cmdp-grid-window=nan --cmdp-grid-window=inf --cmdp-grid-window=0 --cmdp-grid-window=-0.5 --cmdp-grid-window=1.01 \
    --cmdp-grid-cost-lambda --cmdp-grid-cost-lambda= --cmdp-grid-cost-lambda=2; do
    refused "$flag" "=X, the cost's GAE lambda, must be a number in (0, 1]"
done
finish
