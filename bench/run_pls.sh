#!/usr/bin/env bash
# The PLS table the README quotes. Run from anywhere: bench/run_pls.sh (make bench-pls).
# Settings fixed before the run (examples/pls_lifetime.c, env_configs): the checked-in artifacts
# examples/pls_data (dataset summary with the 200-episode ground truth, conditioned policy,
# behaviour policy; regenerate with build/pls_lifetime regenerate --env E --out examples/pls_data),
# deployment seeds 1..SEEDS (10), 20 evaluations x 20 episodes per method and seed, b and the
# target grid from env_configs. Per seed and method: (a) evaluations whose target is truly unsafe,
# (b) deployment episodes with cost > b, the final target's (or fine-tuned policy's) true reward
# and cost. There is no peer program for this table: the baselines run in the same process on
# the same policy and seeds.
set -eu
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SEEDS=${SEEDS:-10}
make -s build/pls_lifetime
for env in gridworld pointgoal; do
    if [ -f "examples/pls_data/$env.rcsl" ]; then
        echo "== $env"
        build/pls_lifetime bench --env "$env" --data examples/pls_data --seeds "$SEEDS"
        echo
    else
        echo "== $env: no artifacts in examples/pls_data (build/pls_lifetime regenerate --env $env --out examples/pls_data)"
    fi
done
