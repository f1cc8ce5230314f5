#!/usr/bin/env bash
# Black-box test of examples/policy_in_engine: tests/cli/policy_in_engine.sh path/to/policy_in_engine
# A trained policy runs in the frame loop with zero allocations; the buffer it ships as loads
# back from a file and gives the same run; bad policy files are refused with a clear error.
set -u
BIN=${1:?usage: tests/cli/policy_in_engine.sh path/to/policy_in_engine}
. "$(dirname "$0")/lib.bash"

run --agents 8 --frames 300 --seed 2 --write-policy "$TMP/p.bin"
[ "$status" -eq 0 ] && ok "trains and runs" || bad "trains and runs" "status $status: $(cat "$TMP/err")"
grep -qx "allocations during the frames: 0" "$TMP/out" && ok "no allocation in the frames" ||
    bad "no allocation in the frames" "$(cat "$TMP/out")"
grep -q "^environment: cartpole, 8 agents, fixed step 20 ms, 300 frames" "$TMP/out" && ok "frame loop summary" ||
    bad "frame loop summary" "$(cat "$TMP/out")"
calls=$(sed -n 's/^physics steps \([0-9]*\), policy calls \([0-9]*\),.*/\1 \2/p' "$TMP/out")
# 300 frames of 1/60 s +- 25 % is 5 s +- a little: about 250 steps of 20 ms, 8 calls each
awk -v s="${calls% *}" -v c="${calls#* }" 'BEGIN { exit !(s >= 230 && s <= 270 && c == 8 * s) }' &&
    ok "fixed timestep: ~250 steps, one call per agent and step" || bad "fixed timestep" "$calls"
[ "$(head -c 4 "$TMP/p.bin")" = "SRLP" ] && ok "the buffer is an SRLP policy" || bad "the buffer is an SRLP policy"
grep -v '^trained' "$TMP/out" | sed 's/, [0-9.]* us a call.*//' >"$TMP/a"
run --policy "$TMP/p.bin" --agents 8 --frames 300 --seed 2
grep -v '^trained' "$TMP/out" | sed 's/, [0-9.]* us a call.*//' >"$TMP/b"
[ "$status" -eq 0 ] && cmp -s "$TMP/a" "$TMP/b" && ok "loaded from a file: the same run" ||
    bad "loaded from a file: the same run" "$(diff "$TMP/a" "$TMP/b")"
# a continuous policy from rl_train, if it was built next to this binary
RL_TRAIN=$(dirname "$BIN")/rl_train
if [ -x "$RL_TRAIN" ]; then
    "$RL_TRAIN" --env pendulum --algo ppo --cost-limit 1 --seed 1 --steps 400 --steps-per-epoch 400 --save "$TMP/pend.bin" \
        --png "$TMP/pend.png" >/dev/null 2>&1
    run --policy "$TMP/pend.bin" --agents 4 --frames 120
    [ "$status" -eq 0 ] && grep -q "^environment: pendulum" "$TMP/out" && grep -qx "allocations during the frames: 0" "$TMP/out" &&
        ok "a Gaussian policy from rl_train picks the pendulum" || bad "a Gaussian policy from rl_train" "$(cat "$TMP/out" "$TMP/err")"
fi
size=$(wc -c <"$TMP/p.bin")
head -c $((size - 9)) "$TMP/p.bin" >"$TMP/truncated.bin"
cp "$TMP/p.bin" "$TMP/flipped.bin"
printf '\x55' | dd of="$TMP/flipped.bin" bs=1 seek=100 conv=notrunc 2>/dev/null
{ printf 'SRLP\x02\x00\x00\x00'; tail -c +9 "$TMP/p.bin"; } >"$TMP/future.bin"
printf '\x89PNG\r\n\x1a\n0000000000000000000000000000' >"$TMP/foreign.bin"
: >"$TMP/empty.bin"
for case in "truncated:corrupt data" "flipped:corrupt data" "future:unsupported format version" \
            "foreign:corrupt data" "empty:corrupt data" "missing:cannot read"; do
    name=${case%%:*}
    run --policy "$TMP/$name.bin" --frames 10
    if [ "$status" -eq 1 ] && grep -q "policy_in_engine: .*${case#*:}" "$TMP/err" && [ ! -s "$TMP/out" ]; then
        ok "rejects a $name policy"
    else
        bad "rejects a $name policy" "status $status: $(cat "$TMP/err")"
    fi
done
for args in "--agents 0" "--agents 5000" "--frames x" "--bogus 1" "--policy"; do
    # shellcheck disable=SC2086
    run $args
    if [ "$status" -eq 2 ] && grep -q "policy_in_engine:" "$TMP/err"; then ok "rejects: $args"; else bad "rejects: $args" "status $status"; fi
done
# Issue 15: signs, fractions, repeats; failed writes
usage_error "--agents -1: usage error" --agents -1
usage_error "--agents +4: usage error" --agents +4
usage_error "--seed 1.7: usage error" --seed 1.7
usage_error "--frames 5e9: usage error" --frames 5e9
usage_error "--agents twice: usage error" --agents 2 --agents 3
stdout_full "stdout on /dev/full: exit 1" --frames 10
data_error "--write-policy /dev/full: exit 1 with the reason" "/dev/full: No space left on device" --frames 10 --write-policy /dev/full
mount_full
full_disk "--write-policy on a full disk: exit 1, the old file kept" "$FULL/p.bin" --frames 10 --write-policy "$FULL/p.bin"

finish
