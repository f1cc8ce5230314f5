#!/usr/bin/env bash
# Black-box test of examples/safeopt_demo: tests/cli/safeopt_demo.sh path/to/safeopt_demo
# Short runs: the summary lines, then bad arguments and failed writes (issue 15).
set -u
BIN=${1:?usage: tests/cli/safeopt_demo.sh path/to/safeopt_demo}
. "$(dirname "$0")/lib.bash"

run --steps 5 --summary --png "$TMP/s.png"
if [ "$status" -eq 0 ] && grep -q '^1-D SafeOpt .*5 evaluations' "$TMP/out" && is_png "$TMP/s.png"; then ok "1-D SafeOpt, 5 steps, a PNG"
else bad "1-D SafeOpt, 5 steps, a PNG" "status $status $(head -c 300 "$TMP/err")"; fi
run --pls --steps 40 --summary
if [ "$status" -eq 0 ] && grep -q '^PLS online stage: 40 evaluations' "$TMP/out"; then ok "PLS, 40 steps"
else bad "PLS, 40 steps" "status $status $(head -c 300 "$TMP/err")"; fi
usage_error "--seed 1.7: usage error (was seed 1)" --steps 5 --seed 1.7
usage_error "--seed -1: usage error (was 4294967295)" --steps 5 --seed -1
usage_error "--steps 0: usage error" --steps 0
usage_error "--beta inf: usage error" --steps 5 --beta inf
usage_error "--beta nan: usage error" --steps 5 --beta nan
usage_error "--dim 3: usage error" --dim 3
usage_error "--steps twice: usage error (was last-wins)" --steps 5 --steps 6
usage_error "--pls with --rule: usage error (was ignored)" --pls --rule ucb --steps 5
usage_error "--rule unknown: usage error" --rule fast
stdout_full "stdout on /dev/full: exit 1" --steps 5 --summary
data_error "--png /dev/full: exit 1 with the reason" "/dev/full: No space left on device" --steps 5 --summary --png /dev/full
mount_full
full_disk "--png on a full disk: exit 1, the old file kept" "$FULL/s.png" --steps 5 --summary --png "$FULL/s.png"
finish
