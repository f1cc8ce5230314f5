#!/usr/bin/env bash
# Black-box test of examples/rl_rcsl: tests/cli/rl_rcsl.sh path/to/rl_rcsl
# The issue's check (the return-conditioned policy follows its targets on a 5x5 grid over 3
# seeds: Spearman >= 0.8 for the returns against the reward targets and for the costs against
# the cost targets, settings fixed in the example's comment), then the collect / train / eval
# round trip on files, reproducibility, and clear errors for bad files and arguments.
set -u
BIN=${1:?usage: tests/cli/rl_rcsl.sh path/to/rl_rcsl}
. "$(dirname "$0")/lib.bash"

run check --seeds 1,2,3 --png "$TMP/check.png"
[ "$status" -eq 0 ] && ok "check runs" || bad "check runs" "status $status: $(cat "$TMP/err")"
[ "$(grep -c '^[123],[-0-9.]*,[0-9.]*,[-0-9.]*,[0-9.]*$' "$TMP/out")" -eq 75 ] && ok "25 grid points per seed" ||
    bad "25 grid points per seed"
sed -n '/^seed,spearman_reward,spearman_cost$/,$p' "$TMP/out" | tail -n +2 >"$TMP/rho"
cat "$TMP/rho"
[ "$(wc -l <"$TMP/rho")" -eq 3 ] && awk -F, '{ if (!($2 >= 0.8 && $3 >= 0.8)) bad = 1 } END { exit bad }' "$TMP/rho" &&
    ok "Spearman >= 0.8 for rewards and costs on every seed" || bad "Spearman >= 0.8 for rewards and costs on every seed"
is_png "$TMP/check.png" && ok "check PNG written" || bad "check PNG written"

run collect --env gridworld --behaviours --episodes 10 --seed 4 --out "$TMP/d.srld"
[ "$status" -eq 0 ] && [ "$(head -c 4 "$TMP/d.srld")" = "SRLD" ] && ok "collect writes an SRLD file" ||
    bad "collect writes an SRLD file" "$(cat "$TMP/err")"
tail -1 "$TMP/out" | grep -q '^120,' && ok "120 episodes from 12 behaviours" || bad "120 episodes from 12 behaviours" "$(cat "$TMP/out")"
run collect --env gridworld --epsilon 1 --episodes 5 --seed 5 --out "$TMP/d.srld" --append
tail -1 "$TMP/out" | grep -q '^125,' && ok "--append adds episodes" || bad "--append adds episodes" "$(cat "$TMP/out")"
run train --data "$TMP/d.srld" --out "$TMP/p.srlc" --seed 1 --steps 600 --hidden 32
[ "$status" -eq 0 ] && [ "$(head -c 4 "$TMP/p.srlc")" = "SRLC" ] && ok "train writes an SRLC file" ||
    bad "train writes an SRLC file" "$(cat "$TMP/err")"
awk -F, 'NR == 2 { first = $2 } /^600,/ { last = $2 } END { exit !(last < first) }' "$TMP/out" && ok "the loss falls" ||
    bad "the loss falls" "$(cat "$TMP/out")"
grep -v samples_per_second "$TMP/out" >"$TMP/l1"
run train --data "$TMP/d.srld" --out "$TMP/p2.srlc" --seed 1 --steps 600 --hidden 32
grep -v samples_per_second "$TMP/out" >"$TMP/l2"
cmp -s "$TMP/l1" "$TMP/l2" && cmp -s "$TMP/p.srlc" "$TMP/p2.srlc" && ok "same seed, same losses and policy" ||
    bad "same seed, same losses and policy"
run train --data "$TMP/d.srld" --out "$TMP/p4.srlc" --seed 1 --steps 1 --hidden 32
run train --data "$TMP/d.srld" --out "$TMP/p3.srlc" --seed 1 --steps 1 --hidden 32 --cost-scale 0.5
[ "$status" -eq 0 ] && ! cmp -s "$TMP/p4.srlc" "$TMP/p3.srlc" && ok "train --cost-scale changes the policy's cost input" ||
    bad "train --cost-scale changes the policy's cost input" "$(cat "$TMP/err")"
run train --data "$TMP/d.srld" --out "$TMP/p5.srlc" --seed 1 --steps 1 --hidden 32 --relabel 0.2
[ "$status" -eq 0 ] && grep -q '^relabelled_episodes,25$' "$TMP/out" && ! cmp -s "$TMP/p4.srlc" "$TMP/p5.srlc" &&
    ok "train --relabel 0.2: 25 relabelled episodes for 125" || bad "train --relabel 0.2: 25 relabelled episodes for 125" "$(cat "$TMP/out" "$TMP/err")"
run eval --policy "$TMP/p3.srlc" --env gridworld --seed 2 --episodes 3 --reward 40 --cost 0 --horizon 1
[ "$status" -eq 0 ] && grep -Eq '^40.000,0.000,-?[0-9.]+,[0-9.]+$' "$TMP/out" && ok "eval --horizon" ||
    bad "eval --horizon" "$(cat "$TMP/out" "$TMP/err")"
run eval --policy "$TMP/p.srlc" --env gridworld --seed 2 --episodes 20 --reward 40 --cost 0
[ "$status" -eq 0 ] && grep -Eq '^40.000,0.000,-?[0-9.]+,[0-9.]+$' "$TMP/out" && ok "eval at one target" ||
    bad "eval at one target" "$(cat "$TMP/out" "$TMP/err")"
run eval --policy "$TMP/p.srlc" --env gridworld --seed 2 --episodes 5 --grid 3x3 --data "$TMP/d.srld" --png "$TMP/g.png"
[ "$status" -eq 0 ] && [ "$(grep -c '^[-0-9.]*,[0-9.]*,[-0-9.]*,[0-9.]*$' "$TMP/out")" -eq 9 ] &&
    grep -q '^spearman_cost,' "$TMP/out" && is_png "$TMP/g.png" && ok "eval --grid 3x3 with a PNG" ||
    bad "eval --grid 3x3 with a PNG" "$(cat "$TMP/err")"
# MTRO: with cost limit 0 only cost-0 episodes count, so the cost target is exactly 0
run eval --policy "$TMP/p.srlc" --env gridworld --seed 2 --episodes 5 --target mtro --data "$TMP/d.srld" --cost 0 --kappa 10
[ "$status" -eq 0 ] && grep -Eq '^[0-9]+\.[0-9]{3},0\.000,-?[0-9.]+,[0-9.]+$' "$TMP/out" && ok "eval --target mtro" ||
    bad "eval --target mtro" "$(cat "$TMP/out" "$TMP/err")"
data_error "eval --target mtro below every episode's cost: exit 1 with the reason" "no episode with cost <= -1" \
    eval --policy "$TMP/p.srlc" --env gridworld --target mtro --data "$TMP/d.srld" --cost -1
usage_error "--target mtro without --cost: usage error" eval --policy "$TMP/p.srlc" --env gridworld --target mtro --data "$TMP/d.srld"
usage_error "--target mtro with --reward: usage error" eval --policy "$TMP/p.srlc" --env gridworld --target mtro --data "$TMP/d.srld" --cost 1 --reward 1
usage_error "--target other: usage error" eval --policy "$TMP/p.srlc" --env gridworld --target best --data "$TMP/d.srld" --cost 1
usage_error "--kappa without --target mtro: usage error" eval --policy "$TMP/p.srlc" --env gridworld --reward 1 --cost 1 --kappa 3
usage_error "--kappa 0: usage error" eval --policy "$TMP/p.srlc" --env gridworld --target mtro --data "$TMP/d.srld" --cost 1 --kappa 0

# the transformer form: a tiny one trains quickly, saves as SRLC version 2, evaluates
run train --arch transformer --context 4 --layers 1 --heads 1 --d-model 16 --minibatch 16 --steps 60 \
    --data "$TMP/d.srld" --out "$TMP/t.srlc" --seed 1
[ "$status" -eq 0 ] && [ "$(od -An -tu1 -j4 -N1 "$TMP/t.srlc" | tr -d ' ')" = 2 ] && grep -q '^60,' "$TMP/out" &&
    ok "train --arch transformer writes an SRLC version-2 file" || bad "train --arch transformer writes an SRLC version-2 file" "$(cat "$TMP/err")"
run eval --policy "$TMP/t.srlc" --env gridworld --seed 2 --episodes 5 --reward 40 --cost 0
[ "$status" -eq 0 ] && grep -Eq '^40.000,0.000,-?[0-9.]+,[0-9.]+$' "$TMP/out" && ok "eval a transformer policy" ||
    bad "eval a transformer policy" "$(cat "$TMP/out" "$TMP/err")"
head -c 300 "$TMP/t.srlc" >"$TMP/short_t.srlc"
run eval --policy "$TMP/short_t.srlc" --env gridworld --seed 1 --reward 1 --cost 0
[ "$status" -eq 1 ] && grep -q "short_t.srlc: corrupt data" "$TMP/err" && ok "truncated transformer policy: a clear error" ||
    bad "truncated transformer policy: a clear error" "$(cat "$TMP/err")"

# bad files: truncated, foreign, the wrong environment
head -c 100 "$TMP/d.srld" >"$TMP/short.srld"
run train --data "$TMP/short.srld" --out "$TMP/x.srlc" --seed 1
[ "$status" -eq 1 ] && grep -q "short.srld: corrupt data" "$TMP/err" && ok "truncated dataset: a clear error" ||
    bad "truncated dataset: a clear error" "$(cat "$TMP/err")"
run train --data "$TMP/p.srlc" --out "$TMP/x.srlc" --seed 1
[ "$status" -eq 1 ] && grep -q "p.srlc: corrupt data" "$TMP/err" && ok "a policy is not a dataset" ||
    bad "a policy is not a dataset" "$(cat "$TMP/err")"
head -c 200 "$TMP/p.srlc" >"$TMP/short.srlc"
run eval --policy "$TMP/short.srlc" --env gridworld --seed 1 --reward 1 --cost 0
[ "$status" -eq 1 ] && grep -q "short.srlc: corrupt data" "$TMP/err" && ok "truncated policy: a clear error" ||
    bad "truncated policy: a clear error" "$(cat "$TMP/err")"
run eval --policy "$TMP/p.srlc" --env cliff --seed 1 --reward 1 --cost 0
[ "$status" -eq 1 ] && grep -q "does not fit" "$TMP/err" && ok "wrong environment: a clear error" ||
    bad "wrong environment: a clear error" "$(cat "$TMP/err")"
run collect --env cliff --out "$TMP/d.srld" --seed 1 --append
[ "$status" -eq 1 ] && grep -q "not of --env cliff" "$TMP/err" && ok "append to another environment's data: an error" ||
    bad "append to another environment's data: an error" "$(cat "$TMP/err")"
for args in "" "fly --env cliff" "collect --out $TMP/x" "collect --env mujoco --out $TMP/x" "collect --env cliff --behaviours --out $TMP/x" \
    "train --data $TMP/d.srld" "eval --policy $TMP/p.srlc --env gridworld --grid 5x4 --data $TMP/d.srld" \
    "eval --policy $TMP/p.srlc --env gridworld --reward 1" "check --seeds a,b" "collect --env cliff --out $TMP/x --epsilon 2" \
    "collect --env cliff --out $TMP/x --bogus 1" "train --data $TMP/d.srld --out $TMP/x --arch lstm" \
    "train --data $TMP/d.srld --out $TMP/x --arch transformer --context 65"; do
    # shellcheck disable=SC2086
    run $args
    if [ "$status" -eq 2 ] && grep -q "rl_rcsl:" "$TMP/err"; then ok "rejects: ${args:-no command}"; else bad "rejects: ${args:-no command}" "status $status"; fi
done
# Bad arguments (issue 15)
usage_error "--lr inf: usage error (was blamed on the data file)" train --data "$TMP/d.srld" --out "$TMP/x.srlc" --lr inf
usage_error "--lr nan: usage error" train --data "$TMP/d.srld" --out "$TMP/x.srlc" --lr nan
usage_error "--seed 1.7: usage error" collect --env cliff --out "$TMP/x" --seed 1.7
usage_error "--episodes -1: usage error" collect --env cliff --out "$TMP/x" --episodes -1
usage_error "--episodes 5e9: usage error" collect --env cliff --out "$TMP/x" --episodes 5e9
usage_error "--seed twice: usage error" collect --env cliff --out "$TMP/x" --seed 1 --seed 2
usage_error "--steps with collect: usage error (was ignored)" collect --env cliff --out "$TMP/x" --steps 10
usage_error "--grid with --reward: usage error" eval --policy "$TMP/p.srlc" --env gridworld --grid 3x3 --data "$TMP/d.srld" --reward 1 --cost 0
usage_error "--hidden 32,-1: usage error" train --data "$TMP/d.srld" --out "$TMP/x.srlc" --hidden 32,-1
usage_error "--seeds 1,+2: usage error" check --seeds 1,+2
usage_error "--cost-scale 0: usage error" train --data "$TMP/d.srld" --out "$TMP/x.srlc" --cost-scale 0
usage_error "--relabel 1.5: usage error" train --data "$TMP/d.srld" --out "$TMP/x.srlc" --relabel 1.5
usage_error "--relabel with eval: usage error" eval --policy "$TMP/p.srlc" --env gridworld --reward 1 --cost 1 --relabel 0.2
usage_error "--cost-scale with eval: usage error" eval --policy "$TMP/p.srlc" --env gridworld --reward 1 --cost 1 --cost-scale 2
usage_error "--horizon 0: usage error" eval --policy "$TMP/p.srlc" --env gridworld --reward 1 --cost 1 --horizon 0
usage_error "--horizon with train: usage error" train --data "$TMP/d.srld" --out "$TMP/x.srlc" --horizon 10
# Failed writes: exit 1 naming the file and the reason, the old file kept
stdout_full "stdout on /dev/full: exit 1" eval --policy "$TMP/p.srlc" --env gridworld --seed 2 --episodes 2 --reward 40 --cost 0
data_error "train --out /dev/full: exit 1 with the reason" "/dev/full: No space left on device" \
    train --data "$TMP/d.srld" --out /dev/full --seed 1 --steps 10 --hidden 8
# Failed reads name the OS's reason, not a library code
data_error "eval of an absent policy: the OS's reason" "absent.srlc: No such file or directory" \
    eval --policy "$TMP/absent.srlc" --env gridworld --reward 40 --cost 0
data_error "collect --append to an absent dataset: the OS's reason" "absent.srld: No such file or directory" \
    collect --env gridworld --out "$TMP/absent.srld" --append --episodes 2
mount_full
if [ -n "$FULL" ]; then
    cp "$TMP/d.srld" "$FULL/d.srld"
    before=$(cksum <"$FULL/d.srld")
    head -c 2000000 /dev/zero >"$FULL/fill" 2>/dev/null
    run collect --env gridworld --epsilon 1 --episodes 5 --seed 5 --out "$FULL/d.srld" --append
    if [ "$status" -eq 1 ] && grep -q "d.srld: No space left on device" "$TMP/err" && [ "$(cksum <"$FULL/d.srld")" = "$before" ] &&
       [ -z "$(ls "$FULL" | grep -F '.tmp-')" ]; then
        ok "--append on a full disk: exit 1, the dataset kept (was replaced by a corrupt one)"
    else bad "--append on a full disk" "status $status $(cat "$TMP/err")"; fi
    rm -f "$FULL/fill" "$FULL/d.srld"
fi
full_disk "train --out on a full disk: exit 1, the old policy kept" "$FULL/p.srlc" \
    train --data "$TMP/d.srld" --out "$FULL/p.srlc" --seed 1 --steps 10 --hidden 8
finish
