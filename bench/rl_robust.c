// SPDX-License-Identifier: MIT OR Unlicense
/* Worst-case robustness on Gym's Pendulum-v1 with uncertain mass and length: TD3 trained at the
   nominal omega, DR-TD3 (omega uniform on Omega at every reset) and M2TD3 (Tanabe et al.,
   NeurIPS 2022), each evaluated on a grid over Omega. Run through bench/run_rl_robust.sh.

   bench_rl_robust td3|dr-td3|m2td3 SEED   one run; prints
       grid M L R       the deterministic actor's mean return at mass M, length L (EPISODES each)
       worst R          the least of the grid's returns
       average R        their mean
       seconds S        the process's CPU time for training

   Settings, fixed before any run (departures from the paper in bench/run_rl_robust.sh):
   Omega = [0.5, 1.5]^2 (mass, length; nominal (1, 1)), STEPS environment steps, RANDOM_STEPS
   uniformly random actions (and, for M2TD3, uniform omega) first, then one update per step;
   actor and twin critics 64-64 ReLU, batch 100, Adam 3e-4, gamma 0.99, tau 0.005, TD3's noises
   0.1 / 0.2 / 0.5 and delay 2; M2TD3 with the paper's code's defaults (5 candidates, lr 3e-4,
   omega std 1 -> 0.1 of the half-width annealed over STEPS, restart at probability 0.05 or
   distance 0.1); replay holding every step. Grid: GRID x GRID evenly spaced points over Omega
   including its corners, EPISODES episodes a point, evaluation seeds fixed per point (the same
   start states for every algorithm). */
#define _POSIX_C_SOURCE 200809L
#define SAFERL_RL_IMPLEMENTATION
#include "saferl_rl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STEPS 20000
#define RANDOM_STEPS 1000
#define GRID 5
#define EPISODES 5

static double cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* The deterministic actor's mean return over EPISODES episodes at omega. */
static double evaluate(saferl_rl_offpolicy_agent *agent, const double *omega, uint32_t seed) {
    saferl_rl_builtin state;
    saferl_rl_env env;
    saferl_rng rng;
    double total = 0.0;
    int e;
    saferl_rl_env_builtin(&env, &state, SAFERL_RL_ENV_PENDULUM_V1);
    saferl_rl_builtin_set_omega(&state, omega);
    saferl_rng_seed(&rng, seed);
    for (e = 0; e < EPISODES; ++e) {
        float obs[3], action, reward, cost;
        int terminated = 0, truncated = 0;
        env.reset(env.state, &rng, obs);
        while (!terminated && !truncated) {
            saferl_rl_offpolicy_act(agent, obs, 0, &action);
            env.step(env.state, &rng, &action, obs, &reward, &cost, &terminated, &truncated);
            total += reward;
        }
    }
    return total / EPISODES;
}

int main(int argc, char **argv) {
    saferl_rl_offpolicy_desc d;
    saferl_rl_offpolicy_agent agent;
    saferl_rl_builtin state;
    saferl_rl_env env;
    saferl_rl_replay replay;
    double nominal[2], start, worst = 1e300, average = 0.0;
    size_t size;
    void *memory;
    int W, i, j;
    uint32_t seed;
    if (argc != 3 || (strcmp(argv[1], "td3") && strcmp(argv[1], "dr-td3") && strcmp(argv[1], "m2td3"))) {
        fprintf(stderr, "usage: %s td3|dr-td3|m2td3 SEED\n", argv[0]);
        return 2;
    }
    seed = (uint32_t)strtoul(argv[2], NULL, 10);
    memset(&d, 0, sizeof d);
    d.algorithm = !strcmp(argv[1], "td3") ? SAFERL_RL_TD3 : !strcmp(argv[1], "dr-td3") ? SAFERL_RL_DR_TD3 : SAFERL_RL_M2TD3;
    d.hidden_count = 2;
    d.hidden_sizes[0] = d.hidden_sizes[1] = 64;
    d.batch_size = 100;
    d.random_steps = RANDOM_STEPS;
    d.seed = seed;
    d.omega_dim = saferl_rl_builtin_omega_box(SAFERL_RL_ENV_PENDULUM_V1, d.omega_lower, d.omega_upper, nominal);
    d.omega_schedule_steps = STEPS;
    W = d.algorithm == SAFERL_RL_M2TD3 ? d.omega_dim : 0;
    saferl_rl_env_builtin(&env, &state, SAFERL_RL_ENV_PENDULUM_V1); /* nominal omega until set */
    size = saferl_rl_replay_memory_size(STEPS, 3 + W, 1, 1);
    memory = malloc(size);
    if (!memory || saferl_rl_replay_init(&replay, STEPS, 3 + W, 1, 1, memory, size) != SAFERL_OK ||
        saferl_rl_offpolicy_create(&agent, &d, 3, 1) != SAFERL_OK)
        return 1;
    start = cpu_seconds();
    if (saferl_rl_offpolicy_train_robust(&agent, &env, d.algorithm == SAFERL_RL_TD3 ? NULL : saferl_rl_builtin_omega_hook,
                                         &replay, STEPS) != SAFERL_OK)
        return 1;
    printf("seconds %.2f\n", cpu_seconds() - start);
    for (i = 0; i < GRID; ++i)
        for (j = 0; j < GRID; ++j) {
            double omega[2], r;
            omega[0] = d.omega_lower[0] + (d.omega_upper[0] - d.omega_lower[0]) * i / (GRID - 1);
            omega[1] = d.omega_lower[1] + (d.omega_upper[1] - d.omega_lower[1]) * j / (GRID - 1);
            r = evaluate(&agent, omega, 1000u + (uint32_t)(i * GRID + j));
            printf("grid %.2f %.2f %.1f\n", omega[0], omega[1], r);
            worst = r < worst ? r : worst;
            average += r / (GRID * GRID);
        }
    printf("worst %.1f\naverage %.1f\n", worst, average);
    if (W) printf("restarts %ld\n", agent.restarts);
    saferl_rl_offpolicy_destroy(&agent);
    free(memory);
    return 0;
}
