// SPDX-License-Identifier: MIT OR Unlicense
/* SAC on Gym's Pendulum-v1 with saferl_rl.h, one thread: the settings of RLtools' Pendulum
   figure as far as this header states them (10,000 environment steps, 64-64 networks). Run
   through bench/run_rl_offpolicy.sh, which puts bench/rl_sac_torch.py (the same algorithm and
   settings in PyTorch) beside it.

   bench_rl_offpolicy SEED   one run; prints
       sac_pendulum_seconds S        wall time of the 10,000 steps (environment + updates)
       sac_pendulum_cpu_seconds S    the process's CPU time for them (steadier on a shared machine)
       sac_pendulum_eval_return R    mean return of 10 deterministic episodes afterwards
   Settings, fixed before any run: SAC (automatic temperature, initial alpha 1, target entropy
   -1), actor and twin critics 64-64 ReLU, Adam 3e-4 everywhere, batch 100, gamma 0.99, tau
   0.005, 1000 uniformly random steps, then one update per step (9,000 updates), replay
   holding all 10,000 steps. */
#define _POSIX_C_SOURCE 200809L
#define SAFERL_RL_IMPLEMENTATION
#include "saferl_rl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STEPS 10000

static double clock_seconds(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

int main(int argc, char **argv) {
    saferl_rl_offpolicy_desc d;
    saferl_rl_offpolicy_agent agent;
    saferl_rl_builtin state;
    saferl_rl_env env;
    saferl_rl_replay replay;
    void *memory;
    double start, cpu_start, seconds, cpu_seconds, total = 0.0;
    int episode;
    uint32_t seed = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 1;
    memset(&d, 0, sizeof d);
    d.algorithm = SAFERL_RL_SAC;
    d.hidden_count = 2;
    d.hidden_sizes[0] = d.hidden_sizes[1] = 64;
    d.batch_size = 100;
    d.random_steps = 1000;
    d.seed = seed;
    saferl_rl_env_builtin(&env, &state, SAFERL_RL_ENV_PENDULUM_V1);
    memory = malloc(saferl_rl_replay_memory_size(STEPS, 3, 1, 1));
    if (!memory || saferl_rl_replay_init(&replay, STEPS, 3, 1, 1, memory, saferl_rl_replay_memory_size(STEPS, 3, 1, 1)) != SAFERL_OK ||
        saferl_rl_offpolicy_create(&agent, &d, 3, 1) != SAFERL_OK)
        return 1;
    start = clock_seconds(CLOCK_MONOTONIC);
    cpu_start = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
    if (saferl_rl_offpolicy_train(&agent, &env, &replay, STEPS) != SAFERL_OK) return 1;
    seconds = clock_seconds(CLOCK_MONOTONIC) - start;
    cpu_seconds = clock_seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu_start;
    for (episode = 0; episode < 10; ++episode) { /* deterministic evaluation */
        float obs[3], action, reward, cost;
        int terminated = 0, truncated = 0;
        env.reset(env.state, &agent.rng, obs);
        while (!terminated && !truncated) {
            saferl_rl_offpolicy_act(&agent, obs, 0, &action);
            env.step(env.state, &agent.rng, &action, obs, &reward, &cost, &terminated, &truncated);
            total += reward;
        }
    }
    printf("sac_pendulum_seconds %.4f\nsac_pendulum_cpu_seconds %.4f\nsac_pendulum_eval_return %.1f\n", seconds,
           cpu_seconds, total / 10.0);
    saferl_rl_offpolicy_destroy(&agent);
    free(memory);
    return 0;
}
