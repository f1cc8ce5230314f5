#!/usr/bin/env bash
# Black-box test of examples/rl_train: tests/cli/rl_train.sh path/to/rl_train
# Short runs only: the CSV shape, the reproducibility of a seed, the saved policy's format,
# the PNG (only with --png), and clear errors for bad arguments.
set -u
BIN=${1:?usage: tests/cli/rl_train.sh path/to/rl_train}
. "$(dirname "$0")/lib.bash"

run --env cliff --algo ppo-lag --cost-limit 0.2 --seed 3 --steps 4000 --steps-per-epoch 1000 \
    --save "$TMP/p.bin" --png "$TMP/c.png"
[ "$status" -eq 0 ] && ok "cliff ppo-lag runs" || bad "cliff ppo-lag runs" "status $status: $(cat "$TMP/err")"
[ "$(head -1 "$TMP/out")" = "epoch,steps,return,cost,lambda,seconds" ] && ok "CSV header" || bad "CSV header"
[ "$(grep -c '^[0-9]' "$TMP/out")" -eq 4 ] && ok "one line per epoch" || bad "one line per epoch" "$(cat "$TMP/out")"
awk -F, '/^[0-9]/ { if (NF != 6 || $2 != $1 * 1000) bad = 1 } END { exit bad }' "$TMP/out" &&
    ok "epoch lines have 6 fields and the step count" || bad "epoch lines have 6 fields and the step count"
tail -1 "$TMP/out" | grep -Eq '^eval,-?[0-9.]+(e[-+]?[0-9]+)?,[0-9.]+(e[-+]?[0-9]+)?$' && ok "final eval line" ||
    bad "final eval line" "$(tail -1 "$TMP/out")"
[ "$(head -c 4 "$TMP/p.bin")" = "SRLP" ] && ok "saved policy has the SRLP magic" || bad "saved policy has the SRLP magic"
[ "$(head -c 8 "$TMP/c.png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] && ok "PNG written" || bad "PNG written"
cut -d, -f1-5 "$TMP/out" | grep -v '^eval' >"$TMP/a"
run --env cliff --algo ppo-lag --cost-limit 0.2 --seed 3 --steps 4000 --steps-per-epoch 1000 --png "$TMP/c2.png"
cut -d, -f1-5 "$TMP/out" | grep -v '^eval' >"$TMP/b"
cmp -s "$TMP/a" "$TMP/b" && ok "same seed, same curve" || bad "same seed, same curve"
# without --png no file is written (the current directory stays as it was) and stdout is the
# same as with it, the seconds column aside; on-policy and off-policy
BIN_PATH=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
mkdir "$TMP/cwd"
no_png() { # ARGS...: runs $BIN in the empty $TMP/cwd, stdout's first 5 columns in $TMP/nopng
    (cd "$TMP/cwd" && timeout "${CLI_TIMEOUT:-300}" "$BIN_PATH" "$@" >"$TMP/out" 2>"$TMP/err")
    status=$?
    cut -d, -f1-5 "$TMP/out" >"$TMP/nopng"
}
cut -d, -f1-5 "$TMP/out" >"$TMP/with"
no_png --env cliff --algo ppo-lag --cost-limit 0.2 --seed 3 --steps 4000 --steps-per-epoch 1000
[ "$status" -eq 0 ] && [ -z "$(ls -A "$TMP/cwd")" ] && cmp -s "$TMP/with" "$TMP/nopng" &&
    ok "no --png: no file written, the same output" ||
    bad "no --png: no file written, the same output" "status $status, files: $(ls -A "$TMP/cwd"), $(diff "$TMP/with" "$TMP/nopng" | head -3)"
run --env pendulum --algo sac --seed 2 --steps 700 --steps-per-epoch 700 --hidden 16 --png "$TMP/s.png"
cut -d, -f1-5 "$TMP/out" >"$TMP/with"
no_png --env pendulum --algo sac --seed 2 --steps 700 --steps-per-epoch 700 --hidden 16
[ "$status" -eq 0 ] && is_png "$TMP/s.png" && [ -z "$(ls -A "$TMP/cwd")" ] && cmp -s "$TMP/with" "$TMP/nopng" &&
    ok "off-policy, no --png: no file written, the same output" ||
    bad "off-policy, no --png: no file written, the same output" "status $status, files: $(ls -A "$TMP/cwd"), $(diff "$TMP/with" "$TMP/nopng" | head -3)"
run --env cliff --algo ppo --cost-limit 0.2 --seed 4 --steps 2000 --steps-per-epoch 1000 --png "$TMP/c3.png"
awk -F, '/^[0-9]/ { if ($5 != 0) bad = 1 } END { exit bad }' "$TMP/out" && ok "ppo keeps lambda 0" || bad "ppo keeps lambda 0"
run --env pendulum --algo pid-lag --cost-limit 0.5 --seed 1 --steps 800 --steps-per-epoch 400 --envs 2 --png "$TMP/c4.png"
[ "$status" -eq 0 ] && [ "$(grep -c '^[0-9]' "$TMP/out")" -eq 2 ] && ok "continuous actions, 2 environments" ||
    bad "continuous actions, 2 environments" "$(cat "$TMP/err")"
run --env cliff --algo cpo --cost-limit 0.2 --seed 2 --steps 3000 --steps-per-epoch 1000 --png "$TMP/c5.png"
[ "$status" -eq 0 ] && [ "$(grep -c '^[0-9]' "$TMP/out")" -eq 3 ] && tail -1 "$TMP/out" | grep -q '^eval,' &&
    ok "cliff cpo runs" || bad "cliff cpo runs" "status $status: $(cat "$TMP/err")"
awk -F, '/^[0-9]/ { if (NF != 6 || $5 < 0) bad = 1 } END { exit bad }' "$TMP/out" &&
    ok "cpo lines have 6 fields and nu >= 0" || bad "cpo lines have 6 fields and nu >= 0" "$(cat "$TMP/out")"
run --env pendulum --algo cpo --cost-limit 0.5 --seed 1 --steps 800 --steps-per-epoch 400 --envs 2 --png "$TMP/c6.png"
[ "$status" -eq 0 ] && [ "$(grep -c '^[0-9]' "$TMP/out")" -eq 2 ] && ok "cpo with continuous actions" ||
    bad "cpo with continuous actions" "$(cat "$TMP/err")"
for algo in pcpo trpo-lag focops cup; do
    run --env cliff --algo $algo --cost-limit 0.2 --seed 2 --steps 2000 --steps-per-epoch 1000 --png "$TMP/c7.png"
    [ "$status" -eq 0 ] && [ "$(grep -c '^[0-9]' "$TMP/out")" -eq 2 ] && tail -1 "$TMP/out" | grep -q '^eval,' &&
        ok "cliff $algo runs" || bad "cliff $algo runs" "status $status: $(cat "$TMP/err")"
    awk -F, '/^[0-9]/ { if (NF != 6 || $5 < 0) bad = 1 } END { exit bad }' "$TMP/out" &&
        ok "$algo lines have 6 fields and a multiplier >= 0" || bad "$algo lines have 6 fields and a multiplier >= 0" "$(cat "$TMP/out")"
    cut -d, -f1-5 "$TMP/out" | grep -v '^eval' >"$TMP/a"
    run --env cliff --algo $algo --cost-limit 0.2 --seed 2 --steps 2000 --steps-per-epoch 1000 --png "$TMP/c8.png"
    cut -d, -f1-5 "$TMP/out" | grep -v '^eval' >"$TMP/b"
    cmp -s "$TMP/a" "$TMP/b" && ok "$algo: same seed, same curve" || bad "$algo: same seed, same curve"
    run --env pendulum --algo $algo --cost-limit 0.5 --seed 1 --steps 800 --steps-per-epoch 400 --envs 2 --png "$TMP/c9.png"
    [ "$status" -eq 0 ] && [ "$(grep -c '^[0-9]' "$TMP/out")" -eq 2 ] && ok "$algo with continuous actions" ||
        bad "$algo with continuous actions" "$(cat "$TMP/err")"
done
run --env cliff --algo flip --base ppo-lag --cost-limits 0.02,0.3 --cost-limit 50 --seed 1 --steps 2000 \
    --steps-per-epoch 1000 --eval-episodes 200
[ "$status" -eq 0 ] && [ "$(grep -c '^policy,' "$TMP/out")" -eq 2 ] && ok "flip trains one policy per cost limit" ||
    bad "flip trains one policy per cost limit" "status $status: $(cat "$TMP/err")"
if [ "$status" -eq 0 ]; then
    grep -Eq '^mixture,[01],[01],[0-9.e-]+,' "$TMP/out" && ok "flip prints the LP's mixture" || bad "flip prints the LP's mixture" "$(cat "$TMP/out")"
    [ "$(grep -c '^flip,per-episode,\|^flip,per-step,' "$TMP/out")" -eq 2 ] && ok "flip measures both modes" ||
        bad "flip measures both modes" "$(cat "$TMP/out")"
    awk -F, '/^mixture/ { if ($4 < 0 || $4 > 1) bad = 1 } /^flip/ { if ($5 < 0 || $5 > 1) bad = 1 } END { exit bad }' "$TMP/out" &&
        ok "flip weight and violation probabilities in [0, 1]" || bad "flip weight and violation probabilities in [0, 1]"
else
    bad "flip prints the LP's mixture" "not run"
fi
# Off-policy (issue 21): td3, sac, td3-lag, sac-lag on continuous-action environments
for algo in td3 sac td3-lag sac-lag; do
    limit=""
    case $algo in *-lag) limit="--cost-limit 5" ;; esac
    # shellcheck disable=SC2086
    run --env pendulum --algo $algo $limit --seed 2 --steps 1400 --steps-per-epoch 700 --hidden 16 --png "$TMP/o.png"
    [ "$status" -eq 0 ] && [ "$(grep -c '^[0-9]' "$TMP/out")" -eq 2 ] && tail -1 "$TMP/out" | grep -Eq '^eval,-?[0-9.]+(e[-+]?[0-9]+)?,[0-9.]+' &&
        is_png "$TMP/o.png" && ok "pendulum $algo runs: 2 epoch lines, eval, PNG" || bad "pendulum $algo runs" "status $status: $(cat "$TMP/err")"
    awk -F, '/^[0-9]/ { if (NF != 6 || $2 != $1 * 700 || $5 < 0) bad = 1 } END { exit bad }' "$TMP/out" &&
        ok "$algo lines have 6 fields, the step count and lambda >= 0" || bad "$algo lines" "$(cat "$TMP/out")"
    case $algo in *-lag) ;; *) awk -F, '/^[0-9]/ { if ($5 != 0) bad = 1 } END { exit bad }' "$TMP/out" &&
        ok "$algo keeps lambda 0" || bad "$algo keeps lambda 0" ;; esac
    cut -d, -f1-5 "$TMP/out" >"$TMP/a"
    # shellcheck disable=SC2086
    run --env pendulum --algo $algo $limit --seed 2 --steps 1400 --steps-per-epoch 700 --hidden 16 --png "$TMP/o2.png"
    cut -d, -f1-5 "$TMP/out" >"$TMP/b"
    cmp -s "$TMP/a" "$TMP/b" && ok "$algo: same seed, same curve and evaluation" || bad "$algo: same seed, same curve"
done
run --env pendulum-v1 --algo sac --seed 1 --steps 1200 --steps-per-epoch 600 --hidden 8 --png "$TMP/o3.png"
[ "$status" -eq 0 ] && awk -F, '/^[0-9]/ { if ($4 != 0) bad = 1 } END { exit bad }' "$TMP/out" &&
    ok "pendulum-v1 sac runs (no cost)" || bad "pendulum-v1 sac runs" "status $status: $(cat "$TMP/err")"
# M2TD3 and DR-TD3 over Pendulum-v1's mass and length
for algo in m2td3 dr-td3; do
    run --env pendulum-v1 --algo $algo --seed 3 --steps 1400 --steps-per-epoch 700 --hidden 16 --png "$TMP/r.png"
    [ "$status" -eq 0 ] && [ "$(grep -c '^[0-9]' "$TMP/out")" -eq 2 ] && grep -q '^eval,' "$TMP/out" &&
        ok "pendulum-v1 $algo runs" || bad "pendulum-v1 $algo runs" "status $status: $(cat "$TMP/err")"
    tail -1 "$TMP/out" | awk -F, '{ exit !($1 == "grid" && NF == 3 && $2 <= $3 && $2 < 0) }' &&
        ok "$algo: grid line, worst <= mean" || bad "$algo: grid line" "$(tail -1 "$TMP/out")"
    cp "$TMP/out" "$TMP/a"
    run --env pendulum-v1 --algo $algo --seed 3 --steps 1400 --steps-per-epoch 700 --hidden 16 --png "$TMP/r.png"
    cut -d, -f1-5 "$TMP/out" >"$TMP/b"
    cut -d, -f1-5 "$TMP/a" | cmp -s - "$TMP/b" && ok "$algo: same seed, same curve and grid" || bad "$algo: same seed, same curve"
done
# Discrete SAC (Christodoulou 2019) and its Lagrangian form on discrete-action environments
run --env cartpole --algo sac-discrete --seed 4 --steps 1400 --steps-per-epoch 700 --hidden 16 --png "$TMP/d.png"
[ "$status" -eq 0 ] && [ "$(grep -c '^[0-9]' "$TMP/out")" -eq 2 ] && tail -1 "$TMP/out" | grep -Eq '^eval,[0-9.]+,0$' &&
    is_png "$TMP/d.png" && ok "cartpole sac-discrete runs: 2 epoch lines, eval, PNG" ||
    bad "cartpole sac-discrete runs" "status $status: $(cat "$TMP/err")"
run --env gridworld --algo sac-discrete-lag --cost-limit 0.5 --seed 4 --steps 1400 --steps-per-epoch 700 --hidden 16 --png "$TMP/d.png"
cut -d, -f1-5 "$TMP/out" >"$TMP/a"
[ "$status" -eq 0 ] && grep -q '^eval,' "$TMP/out" && awk -F, '/^[0-9]/ { if ($5 < 0) bad = 1 } END { exit bad }' "$TMP/out" &&
    ok "gridworld sac-discrete-lag runs, lambda >= 0" || bad "gridworld sac-discrete-lag runs" "status $status: $(cat "$TMP/err")"
run --env gridworld --algo sac-discrete-lag --cost-limit 0.5 --seed 4 --steps 1400 --steps-per-epoch 700 --hidden 16 --png "$TMP/d.png"
cut -d, -f1-5 "$TMP/out" | cmp -s - "$TMP/a" && ok "sac-discrete-lag: same seed, same curve" || bad "sac-discrete-lag: same seed, same curve"
usage_error "sac-discrete on pendulum (continuous): usage error" --env pendulum --algo sac-discrete --steps 100
usage_error "sac-discrete-lag without --cost-limit: usage error" --env cliff --algo sac-discrete-lag --steps 100
usage_error "m2td3 on pointgoal (no omega): usage error" --env pointgoal --algo m2td3 --steps 100
usage_error "dr-td3 on cartpole (discrete): usage error" --env cartpole --algo dr-td3 --steps 100
usage_error "m2td3 with --cost-limit: usage error" --env pendulum --algo m2td3 --cost-limit 1 --steps 100
usage_error "td3-lag without --cost-limit: usage error (it states the problem)" --env pendulum --algo td3-lag --steps 100
grep -q -- '--cost-limit is required for --algo td3-lag' "$TMP/err" && ok "the error names --cost-limit" || bad "the error names --cost-limit" "$(cat "$TMP/err")"
usage_error "sac-lag without --cost-limit: usage error" --env pendulum --algo sac-lag --steps 100
usage_error "td3 with --cost-limit: usage error (it does not apply)" --env pendulum --algo td3 --cost-limit 1 --steps 100
usage_error "sac on a discrete environment: usage error" --env cliff --algo sac --steps 100
usage_error "sac --save: usage error (on-policy only)" --env pendulum --algo sac --steps 100 --save "$TMP/x.bin"
usage_error "td3 --envs 2: usage error" --env pendulum --algo td3 --steps 100 --envs 2
usage_error "--hidden 0: usage error" --env pendulum --algo td3 --steps 100 --hidden 0
# --gradient-steps G: G updates per environment step (desc.gradient_steps, 1..64), off-policy only
run --env pendulum --algo td3 --seed 2 --steps 1400 --steps-per-epoch 700 --hidden 16 --gradient-steps 2 --png "$TMP/g.png"
cut -d, -f1-5 "$TMP/out" >"$TMP/g2"
[ "$status" -eq 0 ] && [ "$(grep -c '^[0-9]' "$TMP/out")" -eq 2 ] && ok "td3 --gradient-steps 2 runs" ||
    bad "td3 --gradient-steps 2 runs" "status $status: $(cat "$TMP/err")"
run --env pendulum --algo td3 --seed 2 --steps 1400 --steps-per-epoch 700 --hidden 16 --gradient-steps 1 --png "$TMP/g.png"
cut -d, -f1-5 "$TMP/out" >"$TMP/g1"
run --env pendulum --algo td3 --seed 2 --steps 1400 --steps-per-epoch 700 --hidden 16 --png "$TMP/g.png"
cut -d, -f1-5 "$TMP/out" | cmp -s - "$TMP/g1" && ! cmp -s "$TMP/g1" "$TMP/g2" &&
    ok "--gradient-steps 1 is the default's curve, 2 another" || bad "--gradient-steps 1 is the default's curve, 2 another"
usage_error "--gradient-steps 0: usage error" --env pendulum --algo td3 --steps 100 --gradient-steps 0
usage_error "--gradient-steps 65: usage error" --env pendulum --algo td3 --steps 100 --gradient-steps 65
usage_error "ppo-lag --gradient-steps 2: usage error (off-policy only)" --env cliff --algo ppo-lag --cost-limit 1 --steps 100 --gradient-steps 2
usage_error "--hidden with ppo: usage error" --env pendulum --algo ppo --cost-limit 1 --steps 100 --hidden 8
usage_error "--hidden 1.5: usage error" --env pendulum --algo td3 --steps 100 --hidden 1.5
data_error "td3 --png /dev/full: exit 1 with the reason" "/dev/full: No space left on device" --env pendulum --algo td3 --steps 700 --hidden 8 --png /dev/full
for args in "--env mujoco" "--env cliff --algo focops-x" "--env cliff --seed -1" "--env cliff --steps abc" "--env cliff --bogus 1" "--algo ppo" "--env cliff --algo flip" "--env cliff --algo flip --cost-limits 0.1,x" "--env cliff --algo flip --cost-limits 0.1 --constraint odd"; do
    # shellcheck disable=SC2086
    usage_error "rejects: $args" $args --cost-limit 1 --png "$TMP/x.png"
done
# Checkpoints: 2 epochs saved, then resumed up to 5, print the epoch lines (and the eval line)
# of a run never interrupted, for a discrete, a continuous and a PID-controlled run
for args in "--env cartpole --algo ppo-lag --cost-limit 5 --envs 2" "--env pendulum --algo cpo --cost-limit 0.5" \
    "--env cliff --algo pid-lag --cost-limit 0.2 --envs 2"; do
    name=$(echo "$args" | cut -d' ' -f2,4)
    # shellcheck disable=SC2086
    run $args --seed 7 --steps 2500 --steps-per-epoch 500 --png "$TMP/r.png"
    cut -d, -f1-5 "$TMP/out" | grep -v '^epoch' | tail -n +3 >"$TMP/whole"
    # shellcheck disable=SC2086
    run $args --seed 7 --steps 1000 --steps-per-epoch 500 --png "$TMP/r.png" --save-checkpoint "$TMP/c.srlk"
    [ "$status" -eq 0 ] && [ "$(head -c 4 "$TMP/c.srlk")" = "SRLK" ] && ok "$name: checkpoint written" ||
        bad "$name: checkpoint written" "status $status: $(cat "$TMP/err")"
    # shellcheck disable=SC2086
    run $args --seed 7 --steps 2500 --steps-per-epoch 500 --png "$TMP/r.png" --resume "$TMP/c.srlk"
    cut -d, -f1-5 "$TMP/out" | grep -v '^epoch' >"$TMP/resumed"
    [ "$status" -eq 0 ] && [ "$(grep -c '^[0-9]' "$TMP/resumed")" -eq 3 ] && cmp -s "$TMP/whole" "$TMP/resumed" &&
        ok "$name: resumed epochs 3-5 equal the uninterrupted run's" ||
        bad "$name: resumed epochs 3-5 equal the uninterrupted run's" "$(diff "$TMP/whole" "$TMP/resumed" | head -5) $(cat "$TMP/err")"
done
data_error "--resume with another cost limit: exit 1 naming the field" "cost_limits: the checkpoint's differs" \
    --env cliff --algo pid-lag --cost-limit 0.3 --envs 2 --seed 7 --steps 2500 --steps-per-epoch 500 --png "$TMP/r.png" \
    --resume "$TMP/c.srlk"
data_error "--resume from an absent file: exit 1 with the reason" "No such file or directory" \
    --env cliff --algo pid-lag --cost-limit 0.2 --steps 1000 --png "$TMP/r.png" --resume "$TMP/absent.srlk"
data_error "an on-policy checkpoint into an off-policy run: exit 1, which it is" "the OFFP section is missing" \
    --env pendulum --algo td3 --hidden 16 --steps 1000 --png "$TMP/r.png" --resume "$TMP/c.srlk"
printf 'SRLK' | dd of="$TMP/c.srlk" bs=1 seek=100 conv=notrunc 2>/dev/null
data_error "--resume from a damaged file: exit 1, the checksum" "checksum" \
    --env cliff --algo pid-lag --cost-limit 0.2 --envs 2 --seed 7 --steps 2500 --steps-per-epoch 500 --png "$TMP/r.png" \
    --resume "$TMP/c.srlk"
# Off-policy checkpoints: 1000 steps saved (the replay with them), resumed up to 1500
for args in "--algo td3" "--algo sac-lag --cost-limit 5" "--algo m2td3"; do
    name=$(echo "$args" | cut -d' ' -f2)
    # shellcheck disable=SC2086
    run --env pendulum $args --hidden 16 --seed 7 --steps 1500 --steps-per-epoch 500 --png "$TMP/r.png"
    cut -d, -f1-5 "$TMP/out" | grep -v '^epoch' | grep -v '^grid' | tail -n +3 >"$TMP/whole"
    steps=1000
    [ "$name" = m2td3 ] && steps=1500 # omega's schedule spans --steps: saved at the end of the same run
    # shellcheck disable=SC2086
    run --env pendulum $args --hidden 16 --seed 7 --steps $steps --steps-per-epoch 500 --png "$TMP/r.png" --save-checkpoint "$TMP/o.srlk"
    [ "$status" -eq 0 ] && [ "$(head -c 4 "$TMP/o.srlk")" = "SRLK" ] && ok "$name: checkpoint written" ||
        bad "$name: checkpoint written" "status $status: $(cat "$TMP/err")"
    [ "$name" = m2td3 ] && continue
    # shellcheck disable=SC2086
    run --env pendulum $args --hidden 16 --seed 7 --steps 1500 --steps-per-epoch 500 --png "$TMP/r.png" --resume "$TMP/o.srlk"
    cut -d, -f1-5 "$TMP/out" | grep -v '^epoch' >"$TMP/resumed"
    [ "$status" -eq 0 ] && [ "$(grep -c '^[0-9]' "$TMP/resumed")" -eq 1 ] && cmp -s "$TMP/whole" "$TMP/resumed" &&
        ok "$name: resumed steps 1001-1500 equal the uninterrupted run's" ||
        bad "$name: resumed steps 1001-1500 equal the uninterrupted run's" "$(diff "$TMP/whole" "$TMP/resumed" | head -5) $(cat "$TMP/err")"
done
data_error "m2td3 --resume with another --steps: exit 1 naming omega's schedule" "omega_schedule_steps: the checkpoint's differs" \
    --env pendulum --algo m2td3 --hidden 16 --seed 7 --steps 2000 --steps-per-epoch 500 --png "$TMP/r.png" --resume "$TMP/o.srlk"
data_error "--resume into another algorithm: exit 1 naming the field" "algorithm: the checkpoint's differs" \
    --env pendulum --algo dr-td3 --hidden 16 --seed 7 --steps 1500 --png "$TMP/r.png" --resume "$TMP/o.srlk"
usage_error "--resume with --algo flip: usage error" --env cliff --algo flip --cost-limits 0.1 --cost-limit 1 --resume "$TMP/c.srlk"
usage_error "--save-checkpoint twice: usage error" --env cliff --cost-limit 1 --save-checkpoint a --save-checkpoint b
# Bad arguments (issue 15): each was silently ignored, truncated or last-wins
usage_error "--constraint without --algo flip: usage error (was ignored)" --env cliff --cost-limit 1 --constraint violation --steps 1000
usage_error "--seed 1.7: usage error (was seed 1)" --env cliff --cost-limit 1 --seed 1.7 --steps 1000
usage_error "--seed 4294967296: usage error" --env cliff --cost-limit 1 --seed 4294967296 --steps 1000
usage_error "--steps 5e9: usage error" --env cliff --cost-limit 1 --steps 5e9
usage_error "--cost-limit twice: usage error (was last-wins)" --env cliff --cost-limit 1 --cost-limit 2 --steps 1000
usage_error "--cost-limit inf: usage error" --env cliff --cost-limit inf --steps 1000
usage_error "--cost-limit missing: usage error (it states the problem)" --env cliff --steps 1000
usage_error "--save with --algo flip: usage error" --env cliff --algo flip --cost-limits 0.1 --cost-limit 1 --save "$TMP/x.bin"
usage_error "--envs 0: usage error" --env cliff --cost-limit 1 --envs 0
# The cost's GAE lambda and the cost estimate (desc.cost_lambda, desc.cost_estimate and its
# episode_window): the defaults spelled out give the default run bit for bit, other values change
# it (ppo-lag on the cliff: its multiplier acts on J_C), and bad values are usage errors
cost_run() { # NAME ARGS...: a short ppo-lag run's first 5 columns in $TMP/cost.NAME
    local name=$1
    shift
    run --env cliff --algo ppo-lag --cost-limit 0.2 --seed 2 --steps 3000 --steps-per-epoch 1000 "$@"
    [ "$status" -eq 0 ] || bad "cost flags: $name runs" "status $status: $(cat "$TMP/err")"
    cut -d, -f1-5 "$TMP/out" >"$TMP/cost.$name"
}
cost_run default
cost_run lambda95 --cost-lambda 0.95
cost_run epoch --cost-estimate epoch
cost_run lambda5 --cost-lambda 0.5
cost_run window --cost-estimate window
cost_run window100 --cost-estimate window:100
cost_run window5 --cost-estimate window:5
cost_run pair --cost-lambda 0.5 --cost-estimate window
cmp -s "$TMP/cost.default" "$TMP/cost.lambda95" && cmp -s "$TMP/cost.default" "$TMP/cost.epoch" &&
    ok "--cost-lambda 0.95 and --cost-estimate epoch: the defaults' run" || bad "--cost-lambda 0.95 and --cost-estimate epoch: the defaults' run"
cmp -s "$TMP/cost.window" "$TMP/cost.window100" && ok "--cost-estimate window is window:100" || bad "--cost-estimate window is window:100"
for name in lambda5 window window5 pair; do
    ! cmp -s "$TMP/cost.default" "$TMP/cost.$name" && ok "cost flags: $name changes the run" || bad "cost flags: $name changes the run"
done
! cmp -s "$TMP/cost.window" "$TMP/cost.window5" && ! cmp -s "$TMP/cost.lambda5" "$TMP/cost.pair" &&
    ok "window:5 is not window:100, the pair is not cost_lambda alone" || bad "window:5 is not window:100, the pair is not cost_lambda alone"
for value in -0.5 nan inf 0.5x "" " 0.5" 1e999 1.01 0; do # 0 last: in the desc it means "the default", here no value
    usage_error "--cost-lambda '$value': usage error" --env cliff --cost-limit 1 --steps 1000 --cost-lambda "$value"
done
grep -qF -- "--cost-lambda: 0 is outside (0, 1]" "$TMP/err" && ok "the error names --cost-lambda and its range" ||
    bad "the error names --cost-lambda and its range" "$(head -1 "$TMP/err")"
for value in Epoch epochs win windows window: window:0 window:1048577 window:1.5 window:-3 window:5x "" windowx; do
    usage_error "--cost-estimate '$value': usage error" --env cliff --cost-limit 1 --steps 1000 --cost-estimate "$value"
done
grep -qF -- "--cost-estimate: epoch, window or window:EPISODES, not 'windowx'" "$TMP/err" &&
    ok "the error names --cost-estimate and its choices" || bad "the error names --cost-estimate and its choices" "$(head -1 "$TMP/err")"
usage_error "--cost-lambda twice: usage error" --env cliff --cost-limit 1 --steps 1000 --cost-lambda 0.5 --cost-lambda 0.6
usage_error "--cost-estimate with td3: usage error (on-policy only)" --env pendulum --algo td3 --steps 100 --cost-estimate window
usage_error "--cost-lambda with sac-lag: usage error (on-policy only)" --env pendulum --algo sac-lag --cost-limit 1 --steps 100 --cost-lambda 0.5
# --cost-test-z (desc.cost_test_z, CPO and PCPO): 1.645 is the default's run bit for bit, none and
# another Z change it (cpo on CartPole, seed 3: its 9th epoch steps on slack), bad values are usage errors
cpo_run() { # NAME ARGS...: a short cpo run's first 5 columns in $TMP/cpo.NAME
    local name=$1
    shift
    run --env cartpole --algo cpo --cost-limit 10 --seed 3 --steps 18000 --steps-per-epoch 2000 "$@"
    [ "$status" -eq 0 ] || bad "--cost-test-z: $name runs" "status $status: $(cat "$TMP/err")"
    cut -d, -f1-5 "$TMP/out" >"$TMP/cpo.$name"
}
cpo_run default
cpo_run z1645 --cost-test-z 1.645
cpo_run none --cost-test-z none
cpo_run z5 --cost-test-z 5
cmp -s "$TMP/cpo.default" "$TMP/cpo.z1645" && ok "--cost-test-z 1.645: the default's run" || bad "--cost-test-z 1.645: the default's run"
for name in none z5; do
    ! cmp -s "$TMP/cpo.default" "$TMP/cpo.$name" && ok "--cost-test-z: $name changes the run" || bad "--cost-test-z: $name changes the run"
done
for value in -1 nan inf 1x "" " 1" 1001 0 None; do # 0: in the desc it means "the default", here no value
    usage_error "--cost-test-z '$value': usage error" --env cliff --algo cpo --cost-limit 1 --steps 1000 --cost-test-z "$value"
done
usage_error "--cost-test-z with sac-lag: usage error (on-policy only)" --env pendulum --algo sac-lag --cost-limit 1 --steps 100 --cost-test-z 1
run --env cliff --algo cpo --cost-limit 0.2 --seed 2 --steps 1000 --steps-per-epoch 1000 --save-checkpoint "$TMP/z.srlk"
[ "$status" -eq 0 ] || bad "--cost-test-z: checkpoint written" "status $status: $(cat "$TMP/err")"
data_error "--resume with another --cost-test-z: exit 1 naming the field" "cost_test_z: the checkpoint's differs" \
    --env cliff --algo cpo --cost-limit 0.2 --seed 2 --steps 2000 --steps-per-epoch 1000 --cost-test-z none --resume "$TMP/z.srlk"
run --env cliff --algo ppo-lag --cost-limit 0.2 --seed 2 --steps 1000 --steps-per-epoch 1000 --save-checkpoint "$TMP/k.srlk"
[ "$status" -eq 0 ] || bad "cost flags: checkpoint written" "status $status: $(cat "$TMP/err")"
data_error "--resume with another --cost-lambda: exit 1 naming the field" "cost_lambda: the checkpoint's differs" \
    --env cliff --algo ppo-lag --cost-limit 0.2 --seed 2 --steps 2000 --steps-per-epoch 1000 --cost-lambda 0.5 --resume "$TMP/k.srlk"
data_error "--resume with another --cost-estimate: exit 1 naming the field" "cost_estimate: the checkpoint's differs" \
    --env cliff --algo ppo-lag --cost-limit 0.2 --seed 2 --steps 2000 --steps-per-epoch 1000 --cost-estimate window --resume "$TMP/k.srlk"
# Failed writes: exit 1 naming the file and the reason; the old file kept
short="--env cliff --algo ppo-lag --cost-limit 0.2 --seed 3 --steps 1000 --steps-per-epoch 1000"
# shellcheck disable=SC2086
stdout_full "stdout on /dev/full: exit 1" $short --png "$TMP/y.png"
# shellcheck disable=SC2086
data_error "--save /dev/full: exit 1 with the reason" "/dev/full: No space left on device" $short --save /dev/full --png "$TMP/y.png"
# shellcheck disable=SC2086
data_error "--png /dev/full: exit 1 with the reason" "/dev/full: No space left on device" $short --png /dev/full
mount_full
# shellcheck disable=SC2086
full_disk "--save on a full disk: exit 1, the old policy kept (was a truncated file)" "$FULL/p.bin" $short --save "$FULL/p.bin" --png "$TMP/y.png"
# shellcheck disable=SC2086
full_disk "--save-checkpoint on a full disk: exit 1, the old checkpoint kept" "$FULL/c.srlk" $short --save-checkpoint "$FULL/c.srlk" --png "$TMP/y.png"
# shellcheck disable=SC2086
full_disk "--png on a full disk: exit 1, the old file kept" "$FULL/c.png" $short --png "$FULL/c.png"
finish
