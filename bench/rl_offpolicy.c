// SPDX-License-Identifier: MIT OR Unlicense
/* SAC on Gym's Pendulum-v1 with saferl_rl.h, one thread: the settings of RLtools' Pendulum
   figure as far as this header states them (10,000 environment steps, 64-64 networks). Run
   through bench/run_rl_offpolicy.sh, which puts bench/rl_sac_torch.py (the same algorithm and
   settings in PyTorch) beside it.

   bench_rl_offpolicy SEED   one run; prints
       sac_pendulum_seconds S        wall time of the 10,000 steps (environment + updates)
       sac_pendulum_cpu_seconds S    the process's CPU time for them (steadier on a shared machine)
       sac_pendulum_eval_return R    mean return of 10 deterministic episodes afterwards
   bench_rl_offpolicy bound  the flop bound of those 10,000 steps: the multiply-adds of one SAC
                             update counted from the shapes (below), times 9,000 updates, over
                             the one-thread rate of this header's products on those shapes
                             (a 64-64 layer at batch 100, forward and backward, CPU time) and,
                             built with SAFERL_USE_BLIS, over BLIS's sgemm at 1024^3 (the
                             core's practical peak)
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
#if defined(SAFERL_USE_BLIS)
#  include <blis.h>
#endif

#define STEPS 10000
#define UPDATES (STEPS - 1000)
#define BATCH 100
#define HIDDEN 64

static double clock_seconds(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* Multiply-adds of an MLP's forward pass, and of its backward pass (every weight gradient; the
   input gradient of every layer but the first unless input_gradient), at batch B. */
static double mlp_macs(int inputs, int outputs, int B) {
    return (double)B * (inputs * HIDDEN + HIDDEN * HIDDEN + HIDDEN * outputs);
}
static double mlp_backward_macs(int inputs, int outputs, int B, int input_gradient) {
    return mlp_macs(inputs, outputs, B) + (double)B * (HIDDEN * HIDDEN + HIDDEN * outputs) +
           (input_gradient ? (double)B * inputs * HIDDEN : 0.0);
}
/* ... and of the input gradient alone (no weight gradients: the critics in the actor's step) */
static double mlp_input_gradient_macs(int inputs, int outputs, int B) { return mlp_macs(inputs, outputs, B); }

/* One SAC update on Pendulum (3 observations, 1 action; actor outputs mean and log std, critics
   take observation and action): the target (actor on the next observations, two target
   critics), the critic step (two critics forward and backward), the actor step (actor forward,
   two critics forward and back to the action without their weight gradients, actor
   backward). The products are all
   but a few percent of an update's arithmetic (Adam, the squash and the losses are linear in
   the parameters or the batch). */
static double sac_update_macs(void) {
    const double actor = mlp_macs(3, 2, BATCH), critic = mlp_macs(4, 1, BATCH);
    return 2 * actor + 6 * critic + 2 * mlp_backward_macs(4, 1, BATCH, 0) + 2 * mlp_input_gradient_macs(4, 1, BATCH) +
           mlp_backward_macs(3, 2, BATCH, 0);
}

static double median_of(double *v, int n) {
    int i, j;
    for (i = 1; i < n; ++i)
        for (j = i; j > 0 && v[j - 1] > v[j]; --j) {
            double t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    return v[n / 2];
}

/* GFLOP/s of this header's products on a 64 -> 64 layer at batch 100, forward or backward
   (input and weight gradients), CPU time, median of 7 runs */
static double layer_gflops(int backward) {
    static float inp[BATCH * HIDDEN], out[BATCH * HIDDEN], weight[HIDDEN * HIDDEN], grad[HIDDEN * HIDDEN],
        dinp[BATCH * HIDDEN], bias[HIDDEN], dbias[HIDDEN];
    double rates[7];
    int i, r;
    long c, calls = 4000;
    for (i = 0; i < BATCH * HIDDEN; ++i) inp[i] = out[i] = (float)(i % 13) * 0.01f;
    for (i = 0; i < HIDDEN * HIDDEN; ++i) weight[i] = (float)(i % 7) * 0.01f;
    for (r = 0; r < 7; ++r) {
        double t0 = clock_seconds(CLOCK_PROCESS_CPUTIME_ID), macs;
        for (c = 0; c < calls; ++c) {
            if (backward) saferl_rl_linear_backward(dinp, grad, dbias, out, inp, weight, BATCH, HIDDEN, HIDDEN);
            else saferl_rl_linear_forward(out, inp, weight, bias, BATCH, HIDDEN, HIDDEN);
        }
        macs = (double)calls * BATCH * HIDDEN * HIDDEN * (backward ? 2 : 1);
        rates[r] = 2e-9 * macs / (clock_seconds(CLOCK_PROCESS_CPUTIME_ID) - t0);
    }
    return median_of(rates, 7);
}

static int bound(void) {
    const double flops = 2.0 * sac_update_macs() * UPDATES;
    const double forward = layer_gflops(0), backward = layer_gflops(1);
    printf("sac_update_flops %.4g\nsac_total_flops %.4g\n", 2.0 * sac_update_macs(), flops);
    printf("ours_gflops_forward_100x64x64 %.1f\nours_gflops_backward_100x64x64 %.1f\n", forward, backward);
    /* about half the multiply-adds are forward, half backward (the counts above) */
    printf("sac_bound_at_our_rate_seconds %.3f\n", 1e-9 * flops / (2.0 / (1.0 / forward + 1.0 / backward)));
#if defined(SAFERL_USE_BLIS)
    {
        enum { N = 1024 };
        float *a = (float *)calloc((size_t)N * N, sizeof(float)), *b = (float *)calloc((size_t)N * N, sizeof(float)),
              *cc = (float *)calloc((size_t)N * N, sizeof(float));
        float one = 1.0f;
        double rates[5];
        int r;
        if (!a || !b || !cc) return 1;
        for (r = 0; r < 5; ++r) {
            double t0 = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
            bli_sgemm(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, N, N, N, &one, a, N, 1, b, N, 1, &one, cc, N, 1);
            rates[r] = 2e-9 * N * (double)N * N / (clock_seconds(CLOCK_PROCESS_CPUTIME_ID) - t0);
        }
        printf("blis_sgemm_gflops_1024 %.1f\nsac_bound_at_sgemm_peak_seconds %.3f\n", median_of(rates, 5),
               1e-9 * flops / median_of(rates, 5));
        free(a);
        free(b);
        free(cc);
    }
#endif
    return 0;
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
    if (argc > 1 && !strcmp(argv[1], "bound")) return bound();
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
