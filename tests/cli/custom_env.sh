#!/usr/bin/env bash
# Black-box test of examples/custom_env: tests/cli/custom_env.sh path/to/custom_env
# A user's own environment (the delivery cart) trained with PPO-Lag: 40 epochs are printed,
# the cart learns to deliver, and the last 10 epochs keep within the limit of 5 speeding steps.
set -u
BIN=${1:?usage: tests/cli/custom_env.sh path/to/custom_env}
. "$(dirname "$0")/lib.bash"

run
[ "$status" -eq 0 ] && ok "trains" || bad "trains" "status $status: $(cat "$TMP/err")"
[ "$(head -n 1 "$TMP/out")" = "epoch,return,speeding_steps,lambda" ] && [ "$(wc -l <"$TMP/out")" -eq 41 ] &&
    ok "a header and 40 epochs" || bad "a header and 40 epochs" "$(head -n 3 "$TMP/out")"
# the track is 5 m long: a delivery's return is the distance covered, just under or at 5; the
# speeding limit holds on the mean of the last 10 epochs within 5% of it, the family's criterion
# for "at the limit" (primal-dual iterates circle the saddle point J_C = d, their average is what
# converges and lies on either side of d: seeds 1-8 end at 4.81-5.19 with the proportional term)
tail -n 10 "$TMP/out" | awk -F, '{ r += $2; c += $3 } END { exit !(r / NR > 4.5 && c / NR <= 1.05 * 5.0) }' &&
    ok "delivers within the speeding limit" || bad "delivers within the speeding limit" "$(tail -n 10 "$TMP/out" | tr '\n' ' ')"
# the first epochs speed more than the limit allows: the multiplier had something to do
awk -F, 'NR > 1 && $3 > 5.0 { found = 1 } END { exit !found }' "$TMP/out" &&
    ok "the constraint was active" || bad "the constraint was active" "$(head -n 10 "$TMP/out")"
usage_error "an argument is a usage error" --epochs 3
finish
