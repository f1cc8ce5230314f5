#!/usr/bin/env bash
# Black-box test of examples/bchg_toy: tests/cli/bchg_toy.sh path/to/bchg_toy
# The exact values of DiscreteToy4 (action 0 at A the leader's better choice), a short run's
# table and curve, the same figures from the same seed, the curve written whole or not at all,
# and bad arguments as usage errors. A few short runs: well under a second.
set -u
BIN=${1:?usage: tests/cli/bchg_toy.sh path/to/bchg_toy}
. "$(dirname "$0")/lib.bash"

SHORT=(--seeds 2 --iterations 20 --batch 8 --follower-draws 16)
run "${SHORT[@]}" --curve "$TMP/curve.csv"
[ "$status" -eq 0 ] && ok "runs" || bad "runs" "status $status: $(cat "$TMP/err")"
# the exact returns: action 0 at A earns the leader about 1 every 3 steps from S (the cycle
# S-A-B: sum of 0.99^(3k), 26.213 over 150 steps, 33.669 unbounded; the soft follower strays
# from it with probability ~e^(-1/tau) a step, so within 1%); action 1 keeps it away from A
awk '/action 0 at A:/ { a0 = $5; a0inf = $9 } /action 1 at A:/ { a1 = $5 }
     END { e150 = (1 - 0.99^150) / (1 - 0.99^3); einf = 1 / (1 - 0.99^3)
           exit !(a1 < 0.01 && a0 > 0.99 * e150 && a0 < 1.01 * e150 && a0inf > 0.99 * einf && a0inf < 1.01 * einf) }' "$TMP/out" &&
    ok "exact returns: action 0 at A the better, near the cycle S-A-B's" ||
    bad "exact returns" "$(head -3 "$TMP/out")"
awk '/action 0 at A:/ { a0 = $5 } /best mix at A:/ { p = $7; best = $8 }
     END { exit !(p + 0 > 0 && p + 0 < 1 && best >= a0) }' "$TMP/out" &&
    ok "the best mix at A is no worse than action 0 alone" || bad "the best mix at A" "$(head -4 "$TMP/out")"
# per seed: pi(0|A) in [0, 1] and returns within [0, 1 / (1 - 0.99^3)] for both methods
awk '$1 ~ /^[0-9]+$/ && NF == 7 { n++; for (i = 2; i <= 7; i += 3) if ($i < 0 || $i > 1) bad = 1
                                   for (i = 3; i <= 7; i++) if (i != 5 && ($i < 0 || $i > 33.67)) bad = 1 }
     END { exit !(n == 2 && !bad) }' "$TMP/out" && ok "a row per seed, probabilities and returns in range" ||
    bad "a row per seed" "$(cat "$TMP/out")"
# the curve: a header, then (20 / 10 + 1) rows per seed and method
[ "$(head -1 "$TMP/curve.csv")" = "method,seed,iteration,pi0_at_A,objective_150,objective" ] &&
    [ "$(wc -l <"$TMP/curve.csv")" -eq 13 ] && ok "curve: header and 12 rows" || bad "curve" "$(cat "$TMP/curve.csv")"
# its last rows agree with the table
awk -F, 'NR > 1 && $3 == 20 { print $1, $2, $4 }' "$TMP/curve.csv" | sort >"$TMP/from_curve"
awk '$1 ~ /^[0-9]+$/ && NF == 7 { printf "baseline %d %.4f\nbchg %d %.4f\n", $1, $5, $1, $2 }' "$TMP/out" | sort >"$TMP/from_table"
awk '{ printf "%s %s %.4f\n", $1, $2, $3 }' "$TMP/from_curve" | cmp -s - "$TMP/from_table" &&
    ok "curve's last rows match the table" || bad "curve's last rows match the table" "$(cat "$TMP/from_curve" "$TMP/from_table")"
cp "$TMP/out" "$TMP/a"
run "${SHORT[@]}"
cmp -s "$TMP/a" "$TMP/out" && ok "same seed, same figures" || bad "same seed, same figures" "$(diff "$TMP/a" "$TMP/out")"
run --seeds 1 --first-seed 1 --iterations 20 --batch 8 --follower-draws 16
grep "^   1 " "$TMP/a" | cmp -s - <(grep "^   1 " "$TMP/out") && ok "a seed's run does not depend on the seeds before it" ||
    bad "a seed's run does not depend on the seeds before it" "$(grep '^   1 ' "$TMP/a" "$TMP/out")"
run "${SHORT[@]}" --curve "$TMP/no/such/folder/c.csv"
[ "$status" -eq 1 ] && grep -q "no/such/folder/c.csv" "$TMP/err" && ok "an unwritable curve path: exit 1 naming it" ||
    bad "an unwritable curve path" "status $status: $(cat "$TMP/err")"
usage_error "zero seeds" --seeds 0
usage_error "negative iterations" --iterations -5
usage_error "fractional batch" --batch 1.5
usage_error "NaN rate" --rate nan
usage_error "infinite bonus" --bonus inf
usage_error "given twice" --seeds 2 --seeds 3
usage_error "unknown flag" --frobnicate
stdout_full "stdout on /dev/full" --seeds 1 --iterations 2 --batch 2
mount_full
full_disk "--curve on a full disk: exit 1, the old file kept" "$FULL/c.csv" "${SHORT[@]}" --curve "$FULL/c.csv"
finish
