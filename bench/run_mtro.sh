#!/usr/bin/env bash
# Target returns for a return-conditioned policy: fixed, hand-tuned and MTRO (make bench-mtro).
# Settings fixed before the first run:
#   environment: the gridworld with rl_rcsl's built-in behaviour mix (three paths x epsilon
#     0, 0.2, 0.4, 0.6, 60 episodes each; the only built-in environment with a built-in offline
#     mix), cost limit b = 1 (the PLS gridworld's); seeds 1..SEEDS (10), each its own dataset
#     (collect --seed s) and policy (train --seed s: {64, 64} MLP, 3000 Adam steps);
#   fixed: R 44 (the best return in the data, the lava path) and G = b: the usual "ask for the
#     best, allow the limit" choice;
#   hand-tuned: the 5x5 target grid of eval --grid (50 episodes a point, seed s) searched online,
#     the point with the highest achieved return among those with achieved cost <= b (the lowest
#     achieved cost if none); it spends 1250 online episodes that MTRO and fixed do not;
#   MTRO: eval --target mtro --cost 1 (kappa 10), from the offline data alone;
#   each chosen target then runs 1000 fresh episodes (seed 1000 + s, the same for all three).
# Reported over the seeds: mean and interquartile mean (scipy.stats.trim_mean(x, 0.25): the
# middle 6 of 10) of the achieved return and cost, and the seeds whose achieved cost exceeds b.
# Then PointGoal (settings fixed before its first run):
#   the offline data of pls_lifetime's PointGoal pipeline (regenerate --env pointgoal, seed 1:
#     the data behind the committed examples/pls_data artifacts, 1000 episodes of 250 steps;
#     45 s of CPU), b = 8 (PLS's), episodes capped at 250 steps as in the data;
#   one dataset, SEEDS policies: train --seed s with the PLS pipeline's settings ({64, 64} MLP,
#     4000 Adam steps, the cost input over b: --cost-scale 8), so the spread over seeds is the
#     training seed's and the evaluation's, not the data's (a dataset a seed would cost 50 CPU
#     minutes);
#   fixed: PLS's hand-picked target for PointGoal (env_configs: R 2.5, G 8 = b); hand-tuned and
#     MTRO as above (the grid from this dataset, 50 episodes a point; MTRO at cost limit 8).
# Then the runner, the same way (fixed before its first run): pls_lifetime's runner data (seed 1,
#   1300 episodes of 200 steps, 13 s of CPU), b = 10, policies with its settings (10000 Adam
#   steps, --cost-scale 10), fixed = its hand-picked target (R 180, G = b).
set -eu
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SEEDS=${SEEDS:-10}
ENVS=${ENVS:-gridworld pointgoal runner}
make -s build/rl_rcsl build/pls_lifetime
work=build/bench_mtro
rm -rf "$work" && mkdir -p "$work"

# compare ENV B FIXED_R DATA_OF TRAIN_FLAGS EVAL_FLAGS: fixed, hand-tuned and MTRO a seed, then the table
compare() {
    local env=$1 b=$2 fixed_r=$3 data_of=$4 train_flags=$5 eval_flags=$6 rows="$work/$1.csv" s data tuned
    echo "seed,method,reward_target,cost_target,return,cost" >"$rows"
    for s in $(seq 1 "$SEEDS"); do
        data=$($data_of "$s")
        # shellcheck disable=SC2086
        nice build/rl_rcsl train --data "$data" --out "$work/$env-p$s.srlc" --seed "$s" $train_flags >/dev/null
        eval_at() {
            # shellcheck disable=SC2086
            nice build/rl_rcsl eval --policy "$work/$env-p$s.srlc" --env "$env" --seed $((1000 + s)) --episodes 1000 \
                $eval_flags "$@" | tail -n 1
        }
        echo "$s,fixed,$(eval_at --reward "$fixed_r" --cost "$b")" >>"$rows"
        # shellcheck disable=SC2086
        nice build/rl_rcsl eval --policy "$work/$env-p$s.srlc" --env "$env" --seed "$s" --episodes 50 --grid 5x5 \
            --data "$data" $eval_flags | grep -E '^-?[0-9.]+,-?[0-9.]+,-?[0-9.]+,-?[0-9.]+$' >"$work/$env-grid$s.csv"
        tuned=$(awk -F, -v b="$b" '{ if ($4 <= b && (!safe || $3 > best)) { safe = 1; best = $3; r = $1; g = $2 }
                                      if (!safe && (low == "" || $4 < low)) { low = $4; lr = $1; lg = $2 } }
                                    END { if (safe) print r, g; else print lr, lg }' "$work/$env-grid$s.csv")
        echo "$s,hand-tuned,$(eval_at --reward "${tuned% *}" --cost "${tuned#* }")" >>"$rows"
        echo "$s,MTRO,$(eval_at --target mtro --data "$data" --cost "$b")" >>"$rows"
    done
    echo "== target returns on $env, b = $b, $SEEDS seeds (1000 episodes a chosen target); load: $(uptime | sed 's/.*load average: //')"
    /usr/bin/python3 - "$rows" "$b" <<'EOF'
import csv, sys
from scipy.stats import trim_mean
rows = list(csv.DictReader(open(sys.argv[1])))
b = float(sys.argv[2])
print("| target | return: mean | return: IQM | cost: mean | cost: IQM | seeds with cost > b |")
print("|---|---|---|---|---|---|")
for method in ("fixed", "hand-tuned", "MTRO"):
    r = [float(x["return"]) for x in rows if x["method"] == method]
    c = [float(x["cost"]) for x in rows if x["method"] == method]
    print("| %s | %.2f | %.2f | %.3f | %.3f | %d/%d |" % (method, sum(r) / len(r), trim_mean(r, 0.25), sum(c) / len(c),
                                                       trim_mean(c, 0.25), sum(x > b for x in c), len(c)))
print()
print("per seed (seed, method, reward target, cost target, return, cost):")
for x in rows:
    print("  %s %-10s R %7s G %6s -> return %7s cost %6s" % (x["seed"], x["method"], x["reward_target"], x["cost_target"],
                                                           x["return"], x["cost"]))
EOF
}

gridworld_data() {
    nice build/rl_rcsl collect --env gridworld --behaviours --seed "$1" --out "$work/d$1.srld" >/dev/null
    echo "$work/d$1.srld"
}
case " $ENVS " in *" gridworld "*) compare gridworld 1 44 gridworld_data "" "" && echo ;; esac

# pls_pipeline ENV B FIXED_R STEPS HORIZON: the PLS pipeline's offline data (regenerate, seed 1;
# DATA_<ENV>=FILE names one that regenerate --dataset FILE wrote already), then the comparison
pls_pipeline() {
    local env=$1 var data
    echo " $ENVS " | grep -q " $env " || return 0
    var=DATA_$(echo "$env" | tr '[:lower:]' '[:upper:]')
    data=${!var:-}
    if [ -z "$data" ]; then
        mkdir -p "$work/$env"
        data=$work/$env/$env.srld
        nice build/pls_lifetime regenerate --env "$env" --out "$work/$env" --dataset "$data" >"$work/$env.log"
    fi
    eval "${env}_data() { echo \"$data\"; }"
    compare "$env" "$2" "$3" "${env}_data" "--hidden 64,64 --steps $4 --cost-scale $2" "--horizon $5"
    echo
}
pls_pipeline pointgoal 8 2.5 4000 250
pls_pipeline runner 10 180 10000 200
