#!/usr/bin/env bash
# CPO on CartPole at d = 10, the RL page's setting (2000 steps an epoch, 35 epochs), seeds 1-10,
# under four settings of the cost's GAE lambda and the cost estimate (README.md, "the pair"):
#   defaults                  cost_lambda 0.95, J_C over the epoch's episodes
#   the pair                  --cost-lambda 0.5 --cost-estimate window (the last 100 episodes)
#   cost_lambda 0.5 alone     --cost-lambda 0.5
#   the window alone          --cost-estimate window
# One line per setting: the runs whose last 100 episodes' mean cost at epoch 35 is over d (and
# those costs), and the range of that window's return and cost over the seeds.
# Run from anywhere: bench/rl_cpo_cartpole.sh (40 runs of rl_train, JOBS (2) at a time, niced;
# about 3 s of CPU a run, a minute on an idle 2-core machine). Each run's CSV: build/rl_cpo_cartpole/.
set -eu
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SEEDS=${SEEDS:-10}
JOBS=${JOBS:-2}
EPOCHS=35
D=10
OUT=build/rl_cpo_cartpole
make -s build/rl_train
rm -rf "$OUT"
mkdir -p "$OUT"
settings=("defaults|" "the pair|--cost-lambda 0.5 --cost-estimate window" "cost_lambda 0.5 alone|--cost-lambda 0.5"
          "the window alone|--cost-estimate window")
# every run as one line "FILE FLAGS... --seed S" (no trailing blank: xargs -L would join the next line),
# run JOBS at a time
# shellcheck disable=SC2016 # $D, $STEPS, $f and $@ are the inner sh's
for s in "${!settings[@]}"; do
    for seed in $(seq 1 "$SEEDS"); do
        echo "$OUT/setting$s.seed$seed.csv ${settings[$s]#*|} --seed $seed"
    done
done | D=$D STEPS=$((EPOCHS * 2000)) xargs -P "$JOBS" -L 1 sh -c 'f=$1; shift
    nice -n 10 build/rl_train --env cartpole --algo cpo --cost-limit "$D" --steps "$STEPS" --steps-per-epoch 2000 "$@" \
        >"$f.tmp" && mv "$f.tmp" "$f"' sh
echo "CPO on CartPole, d = $D, seeds 1-$SEEDS, the last 100 episodes at epoch $EPOCHS: runs over d | return | cost"
for s in "${!settings[@]}"; do
    for seed in $(seq 1 "$SEEDS"); do grep "^$EPOCHS," "$OUT/setting$s.seed$seed.csv"; done |
        sort -t, -k3,3g | awk -F, -v name="${settings[$s]%%|*}" -v d="$D" '
        { ret[NR] = $3; cost = $4 + 0; if (NR == 1 || cost < lo) lo = cost; if (NR == 1 || cost > hi) hi = cost
          if (cost > d) { over++; overs = overs (overs ? ", " : "") $4 } }
        END { median = NR % 2 ? ret[(NR + 1) / 2] : (ret[NR / 2] + ret[NR / 2 + 1]) / 2
              printf "  %-22s | %d%s | %g-%g (median %g) | %g-%g\n", name, over, over ? " (" overs ")" : "",
                     ret[1], ret[NR], median, lo, hi }'
done
