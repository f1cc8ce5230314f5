#!/usr/bin/env bash
# Black-box test of examples/preference_align: tests/cli/preference_align.sh path/to/preference_align
# SACPO's second step lands nearer the closed-form optimum than its first and the reference,
# the LP's labels cost no more than the naive attack's with at most d fractional,
# the run reproduces from its seed, and bad arguments are usage errors.
set -u
BIN=${1:?usage: tests/cli/preference_align.sh path/to/preference_align}
. "$(dirname "$0")/lib.bash"

run --threshold 0.2 --seed 1 --pairs 20000 --lp-samples 300
[ "$status" -eq 0 ] && ok "runs" || bad "runs" "status $status: $(cat "$TMP/err")"
tv() { sed -n "s/^$1 .*TV to pi\* \([0-9.]*\)\$/\1/p" "$TMP/out"; }
awk -v ref="$(tv reference)" -v s1="$(tv 'step 1: DPO on r')" -v s2="$(tv 'step 2: DPO on g')" \
    'BEGIN { exit !(ref != "" && s2 < s1 && s2 < ref && s1 > 0) }' && ok "step 2 nearest the closed form" ||
    bad "step 2 nearest the closed form" "$(cat "$TMP/out")"
# rows of the LP table: d, attack flips, LP changes, fractional, attack cost, LP cost
# (the LP minimises the cost, not the count: it may change more labels, some fractionally)
awk '$1 ~ /^[0-9]+$/ && NF == 7 { n++; if (!($4 <= $1 && $6 <= $5 + 1e-9)) bad = 1 }
     END { exit !(n == 4 && !bad) }' "$TMP/out" && ok "LP: at most d fractional labels, no dearer than the attack" ||
    bad "LP: at most d fractional labels, no dearer than the attack" "$(cat "$TMP/out")"
grep -v '^ *[0-9]' "$TMP/out" >"$TMP/a"
awk '$1 ~ /^[0-9]+$/ { NF = 6; print }' "$TMP/out" >>"$TMP/a"
run --threshold 0.2 --seed 1 --pairs 20000 --lp-samples 300
grep -v '^ *[0-9]' "$TMP/out" >"$TMP/b"
awk '$1 ~ /^[0-9]+$/ { NF = 6; print }' "$TMP/out" >>"$TMP/b"
cmp -s "$TMP/a" "$TMP/b" && ok "same seed, same figures (timings aside)" || bad "same seed, same figures" "$(diff "$TMP/a" "$TMP/b")"
usage_error "threshold required" --seed 1
usage_error "threshold out of range" --threshold 2
usage_error "NaN beta" --threshold 0.2 --beta nan
usage_error "negative pairs" --threshold 0.2 --pairs -5
usage_error "given twice" --threshold 0.2 --threshold 0.3
usage_error "unknown flag" --threshold 0.2 --frobnicate
run --threshold 0.95 --lp-samples 300
[ "$status" -eq 1 ] && grep -q "cannot be met" "$TMP/err" && ok "an unreachable threshold is refused" ||
    bad "an unreachable threshold is refused" "status $status: $(cat "$TMP/err")"
stdout_full "stdout on /dev/full" --threshold 0.2 --pairs 1000 --lp-samples 100
finish
