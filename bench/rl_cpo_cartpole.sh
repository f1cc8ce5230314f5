#!/usr/bin/env bash
# CPO (ALGO=pcpo: PCPO) on CartPole at d = 10, the RL page's setting (2000 steps an epoch, 35
# epochs), seeds 1-10, under five settings (README.md, "the pair" and "the cost test's bound"):
#   defaults                  cost_lambda 0.95, J_C over the epoch's episodes, the cost test's
#                             bound (cost_test_z 1.645, since saferl_rl.h 0.5.6)
#   no bound (before 0.5.6)   --cost-test-z none: the defaults before 0.5.6
#   the pair                  --cost-lambda 0.5 --cost-estimate window (the last 100 episodes)
#   cost_lambda 0.5 alone     --cost-lambda 0.5
#   the window alone          --cost-estimate window
# (the last three with --cost-test-z none, as they were measured beside the defaults before 0.5.6)
# One line per setting: the runs whose last 100 episodes' mean cost at epoch 35 is over d (and
# those costs), and the range of that window's return and cost over the seeds.
# Run from anywhere: bench/rl_cpo_cartpole.sh (50 runs of rl_train, JOBS (2) at a time, niced;
# about 3 s of CPU a run, two minutes on an idle 2-core machine). Each run's CSV: build/rl_cpo_cartpole/
# (build/rl_pcpo_cartpole/ for ALGO=pcpo).
set -eu
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SEEDS=${SEEDS:-10}
JOBS=${JOBS:-2}
ALGO=${ALGO:-cpo}
case "$ALGO" in cpo|pcpo) ;; *) echo "rl_cpo_cartpole.sh: ALGO must be cpo or pcpo, not '$ALGO'" >&2; exit 2 ;; esac
EPOCHS=35
D=10
OUT=build/rl_${ALGO}_cartpole
make -s build/rl_train
rm -rf "$OUT"
mkdir -p "$OUT"
settings=("defaults|" "no bound (before 0.5.6)|--cost-test-z none"
          "the pair|--cost-lambda 0.5 --cost-estimate window --cost-test-z none"
          "cost_lambda 0.5 alone|--cost-lambda 0.5 --cost-test-z none"
          "the window alone|--cost-estimate window --cost-test-z none")
# every run as one line "FILE FLAGS... --seed S" (no trailing blank: xargs -L would join the next line),
# run JOBS at a time
# shellcheck disable=SC2016 # $ALGO, $D, $STEPS, $f and $@ are the inner sh's
for s in "${!settings[@]}"; do
    for seed in $(seq 1 "$SEEDS"); do
        echo "$OUT/setting$s.seed$seed.csv ${settings[$s]#*|} --seed $seed"
    done
done | ALGO=$ALGO D=$D STEPS=$((EPOCHS * 2000)) xargs -P "$JOBS" -L 1 sh -c 'f=$1; shift
    nice -n 10 build/rl_train --env cartpole --algo "$ALGO" --cost-limit "$D" --steps "$STEPS" --steps-per-epoch 2000 "$@" \
        >"$f.tmp" && mv "$f.tmp" "$f"' sh
echo "$ALGO on CartPole, d = $D, seeds 1-$SEEDS, the last 100 episodes at epoch $EPOCHS: runs over d | return | cost"
for s in "${!settings[@]}"; do
    for seed in $(seq 1 "$SEEDS"); do grep "^$EPOCHS," "$OUT/setting$s.seed$seed.csv"; done |
        sort -t, -k3,3g | awk -F, -v name="${settings[$s]%%|*}" -v d="$D" '
        { ret[NR] = $3; cost = $4 + 0; if (NR == 1 || cost < lo) lo = cost; if (NR == 1 || cost > hi) hi = cost
          if (cost > d) { over++; overs = overs (overs ? ", " : "") $4 } }
        END { median = NR % 2 ? ret[(NR + 1) / 2] : (ret[NR / 2] + ret[NR / 2 + 1]) / 2
              printf "  %-24s | %d%s | %g-%g (median %g) | %g-%g\n", name, over, over ? " (" overs ")" : "",
                     ret[1], ret[NR], median, lo, hi }'
done
