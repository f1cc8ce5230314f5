// SPDX-License-Identifier: MIT OR Unlicense
/* libFuzzer target: the checkpoint loaders (saferl_rl_agent_checkpoint_load and
   saferl_rl_offpolicy_checkpoint_load). An input whose first section is DESC is offered to one
   of three small on-policy agents (PPO-Lag on the cliff, CPO on the pendulum, PID-Lag on a
   two-cost environment of this file: the one its algorithm field names), one whose first
   section is OFFP to one of four off-policy runs (TD3 on the pendulum, SAC-Lag on a two-cost
   continuous environment, M2TD3 on Pendulum-v1, discrete SAC-Lag on the two-cost environment
   with its multipliers in log space, each with a 64-transition replay); a refused
   buffer must return a documented error and leave the agent's struct, memory, replay and
   environments byte for byte as they were; an accepted one must save back to the same bytes.
   An on-policy epoch trained from it must succeed with finite parameters or fail cleanly; 20
   off-policy steps must run without a sanitizer's report (their update does not check for
   NaN: the loader cannot bound weights on unbounded observations).

   Built also with -DFUZZ_REPAIR_CRC (build/fuzz_<name>_crc): see fuzz_crc_repair.h.
   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. tests/fuzz/fuzz_rl_checkpoint.c \
         -o build/fuzz_rl_checkpoint -lm
   The seed corpus (tests/fuzz/corpus/rl_checkpoint: each on-policy agent after 0 and 2
   epochs, each off-policy run after 0 and 90 steps, its replay's ring wrapped; the log-space
   run's log multipliers lie inside their bounds, 18 Adam steps from log lambda_0 after 90
   steps, so mutations reach both sides of the bounds check), regenerated from the header:
   cc -DFUZZ_WRITE_CORPUS -I. tests/fuzz/fuzz_rl_checkpoint.c -o corpus_writer -lm &&
   ./corpus_writer tests/fuzz/corpus/rl_checkpoint */
#ifndef FUZZ_LINKED_IMPLEMENTATION /* the Makefile links it in, compiled once per header */
#define SAFERL_RL_IMPLEMENTATION
#endif
#include "saferl_rl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(x)                    \
    do {                            \
        if (!(x)) __builtin_trap(); \
    } while (0)

/* Two costs over 5-step episodes: position moves by the action (0 or 1), cost 0 when it is
   odd, cost 1 a coin. */
typedef struct two_costs {
    int position, steps;
} two_costs;

static saferl_result two_costs_reset(void *state, saferl_rng *rng, float *observation) {
    two_costs *t = (two_costs *)state;
    (void)rng;
    t->position = t->steps = 0;
    observation[0] = 0.0f;
    return SAFERL_OK;
}

static saferl_result two_costs_step(void *state, saferl_rng *rng, const float *action, float *observation,
                                    float *reward, float *cost, int *terminated, int *truncated) {
    two_costs *t = (two_costs *)state;
    t->position += action[0] > 0.5f;
    t->steps += 1;
    observation[0] = (float)t->position;
    *reward = (float)t->position;
    cost[0] = (float)(t->position & 1);
    cost[1] = saferl_rng_uniform(rng) < 0.5 ? 1.0f : 0.0f;
    *terminated = 0;
    *truncated = t->steps >= 5;
    return SAFERL_OK;
}

typedef struct fuzz_agent {
    saferl_rl_builtin builtins[2];
    two_costs users[2];
    saferl_rl_env envs[2];
    saferl_rl_agent agent;
    size_t memory_size;
} fuzz_agent;

static int fuzz_agent_make(fuzz_agent *f, int which) {
    saferl_rl_desc d;
    int e, count = which == 1 ? 1 : 2;
    memset(f, 0, sizeof *f);
    memset(&d, 0, sizeof d);
    d.seed = 5;
    d.hidden[0] = 8;
    d.hidden_count = 1;
    d.steps_per_epoch = 32;
    d.update_iters = 2;
    d.minibatch = 16;
    d.episode_window = 10;
    d.cost_count = 1;
    d.cost_limits[0] = 1.0;
    for (e = 0; e < count; ++e) {
        if (which == 2) {
            f->envs[e].observation_dim = 1;
            f->envs[e].action_dim = 1;
            f->envs[e].action_count = 2;
            f->envs[e].state = &f->users[e];
            f->envs[e].reset = two_costs_reset;
            f->envs[e].step = two_costs_step;
            f->envs[e].cost_count = 2;
        } else {
            saferl_rl_env_builtin(&f->envs[e], &f->builtins[e], which == 0 ? SAFERL_RL_ENV_CLIFF : SAFERL_RL_ENV_PENDULUM);
        }
    }
    d.algorithm = which == 0 ? SAFERL_RL_PPO_LAG : which == 1 ? SAFERL_RL_CPO : SAFERL_RL_PID_LAG;
    if (which == 2) {
        d.cost_count = 2;
        d.cost_limits[1] = 2.0;
        d.pid_delay = 3;
        d.pid_ema_alpha = 0.9;
    }
    f->memory_size = saferl_rl_agent_memory_size(&d, f->envs, count);
    return saferl_rl_agent_create(&f->agent, &d, f->envs, count) == SAFERL_OK;
}

/* Two costs on a continuous action: position += action, cost 0 when above 1, cost 1 a coin. */
static saferl_result two_costs_step_continuous(void *state, saferl_rng *rng, const float *action, float *observation,
                                               float *reward, float *cost, int *terminated, int *truncated) {
    two_costs *t = (two_costs *)state;
    float moved = (float)t->position + action[0];
    t->position = moved > 3.0f ? 3 : moved < -3.0f ? -3 : (int)moved;
    t->steps += 1;
    observation[0] = (float)t->position;
    *reward = (float)t->position;
    cost[0] = t->position > 1 ? 1.0f : 0.0f;
    cost[1] = saferl_rng_uniform(rng) < 0.5 ? 1.0f : 0.0f;
    *terminated = 0;
    *truncated = t->steps >= 7;
    return SAFERL_OK;
}

typedef struct fuzz_offpolicy {
    saferl_rl_offpolicy_agent agent;
    saferl_rl_replay replay;
    float replay_memory[64 * 16];
    saferl_rl_builtin builtin;
    two_costs user;
    saferl_rl_env env;
    size_t memory_size;
} fuzz_offpolicy;

/* which: 0 TD3 on the pendulum, 1 SAC-Lag on the two costs, 2 M2TD3 on Pendulum-v1, 3 discrete
   SAC-Lag on the two costs with lagrange_space LOG (its bounds on nu are log 0.5 +- log 1e4, not
   the 0 and 0 of the others, so only this run loads a nonzero log multiplier). */
static int fuzz_offpolicy_make(fuzz_offpolicy *f, int which) {
    saferl_rl_offpolicy_desc d;
    int W = which == 2 ? 2 : 0;
    memset(f, 0, sizeof *f);
    memset(&d, 0, sizeof d);
    d.algorithm = which == 0   ? SAFERL_RL_TD3
                  : which == 1 ? SAFERL_RL_SAC_LAG
                  : which == 2 ? SAFERL_RL_M2TD3
                               : SAFERL_RL_SAC_DISCRETE_LAG;
    d.hidden_count = 1;
    d.hidden_sizes[0] = 8;
    d.batch_size = 8;
    d.random_steps = 10;
    d.seed = 5;
    if (which == 1 || which == 3) {
        d.cost_count = 2;
        d.cost_limits[0] = 1.0;
        d.cost_limits[1] = 2.0;
        f->env.observation_dim = 1;
        f->env.action_dim = 1;
        f->env.state = &f->user;
        f->env.reset = two_costs_reset;
        f->env.step = which == 1 ? two_costs_step_continuous : two_costs_step;
        f->env.cost_count = 2;
    } else {
        saferl_rl_env_builtin(&f->env, &f->builtin, which == 0 ? SAFERL_RL_ENV_PENDULUM : SAFERL_RL_ENV_PENDULUM_V1);
    }
    if (which == 3) {
        d.action_count = 2;
        f->env.action_count = 2;
        d.lagrange_space = SAFERL_RL_LAGRANGE_LOG;
        d.lagrange_init = 0.5; /* bounds off-centre from 0 */
    }
    if (which == 2) {
        d.omega_dim = saferl_rl_builtin_omega_box(SAFERL_RL_ENV_PENDULUM_V1, d.omega_lower, d.omega_upper, NULL);
        d.omega_schedule_steps = 200;
        d.restart_probability = 0.3;
    }
    if (saferl_rl_replay_init(&f->replay, 64, f->env.observation_dim + W, 1, f->env.cost_count, f->replay_memory,
                              sizeof f->replay_memory) != SAFERL_OK)
        return 0;
    f->memory_size = saferl_rl_offpolicy_memory_size(&d, f->env.observation_dim, 1);
    return saferl_rl_offpolicy_create(&f->agent, &d, f->env.observation_dim, 1) == SAFERL_OK;
}

static saferl_result fuzz_offpolicy_train(fuzz_offpolicy *f, long steps) {
    return saferl_rl_offpolicy_train_robust(&f->agent, &f->env,
                                            f->agent.desc.algorithm == SAFERL_RL_M2TD3 ? saferl_rl_builtin_omega_hook : NULL,
                                            &f->replay, steps);
}

#ifndef FUZZ_WRITE_CORPUS
/* The agent for an input: the one whose algorithm its DESC section names (offset 16), so most
   inputs reach the checks behind the desc; another value goes to agent 0, which refuses it. */
static int fuzz_pick(const uint8_t *data, size_t size) {
    uint32_t algorithm = size >= 20 ? (uint32_t)data[16] | (uint32_t)data[17] << 8 | (uint32_t)data[18] << 16 |
                                          (uint32_t)data[19] << 24
                                    : 0;
    return algorithm == SAFERL_RL_CPO ? 1 : algorithm == SAFERL_RL_PID_LAG ? 2 : 0;
}

/* An OFFP input: the run its algorithm names (the field sits where DESC's does). */
static int fuzz_offpolicy_target(const uint8_t *data, size_t size) {
    fuzz_offpolicy *f = (fuzz_offpolicy *)calloc(1, sizeof *f), *before_struct = (fuzz_offpolicy *)malloc(sizeof *f);
    uint32_t algorithm = (uint32_t)data[16] | (uint32_t)data[17] << 8 | (uint32_t)data[18] << 16 | (uint32_t)data[19] << 24;
    unsigned char *before_memory = NULL;
    const char *why = NULL;
    saferl_result r;
    if (!f || !before_struct ||
        !fuzz_offpolicy_make(f, algorithm == SAFERL_RL_SAC_LAG            ? 1
                                : algorithm == SAFERL_RL_M2TD3            ? 2
                                : algorithm == SAFERL_RL_SAC_DISCRETE_LAG ? 3
                                                                          : 0) ||
        !(before_memory = (unsigned char *)malloc(f->memory_size))) {
        if (f && f->agent.memory) saferl_rl_offpolicy_destroy(&f->agent);
        free(f);
        free(before_struct);
        return 0;
    }
    memcpy(before_struct, f, sizeof *f);
    memcpy(before_memory, f->agent.memory, f->memory_size);
    r = saferl_rl_offpolicy_checkpoint_load(&f->agent, &f->replay, &f->env, data, size, &why);
    CHECK(why != NULL);
    if (r != SAFERL_OK) {
        CHECK(r == SAFERL_ERR_CORRUPT || r == SAFERL_ERR_VERSION || r == SAFERL_ERR_NOT_FINITE ||
              r == SAFERL_ERR_INVALID_ARGUMENT);
        CHECK(memcmp(before_struct, f, sizeof *f) == 0); /* the agent's struct, the replay, the environments */
        CHECK(memcmp(before_memory, f->agent.memory, f->memory_size) == 0);
    } else {
        size_t again_size = saferl_rl_offpolicy_checkpoint_size(&f->agent, &f->replay, &f->env), written = 0;
        unsigned char *again = (unsigned char *)malloc(again_size);
        CHECK(again_size == size);
        if (again) {
            CHECK(saferl_rl_offpolicy_checkpoint_save(&f->agent, &f->replay, &f->env, again, again_size, &written) == SAFERL_OK);
            CHECK(written == size && memcmp(again, data, size) == 0); /* a faithful round trip */
            free(again);
        }
        (void)fuzz_offpolicy_train(f, 20);
    }
    saferl_rl_offpolicy_destroy(&f->agent);
    free(f);
    free(before_struct);
    free(before_memory);
    return 0;
}

static int fuzz_target(const uint8_t *data, size_t size) {
    fuzz_agent *f = (fuzz_agent *)calloc(1, sizeof *f), *before_struct = (fuzz_agent *)malloc(sizeof *f);
    unsigned char *before_memory = NULL;
    const char *why = NULL;
    saferl_result r;
    if (size >= 20 && memcmp(data + 8, "OFFP", 4) == 0) {
        free(f);
        free(before_struct);
        return fuzz_offpolicy_target(data, size);
    }
    if (!f || !before_struct || !fuzz_agent_make(f, fuzz_pick(data, size)) ||
        !(before_memory = (unsigned char *)malloc(f->memory_size))) {
        if (f && f->agent.owned_memory) saferl_rl_agent_destroy(&f->agent);
        free(f);
        free(before_struct);
        return 0;
    }
    memcpy(before_struct, f, sizeof *f);
    memcpy(before_memory, f->agent.owned_memory, f->memory_size);
    r = saferl_rl_agent_checkpoint_load(&f->agent, data, size, &why);
    CHECK(why != NULL);
    if (r != SAFERL_OK) {
        CHECK(r == SAFERL_ERR_CORRUPT || r == SAFERL_ERR_VERSION || r == SAFERL_ERR_NOT_FINITE ||
              r == SAFERL_ERR_INVALID_ARGUMENT);
        /* nothing written: the struct, its memory and the environments' states */
        CHECK(memcmp(before_struct, f, sizeof *f) == 0);
        CHECK(memcmp(before_memory, f->agent.owned_memory, f->memory_size) == 0);
    } else {
        size_t again_size = saferl_rl_agent_checkpoint_size(&f->agent), written = 0, i;
        unsigned char *again = (unsigned char *)malloc(again_size);
        CHECK(again_size == size);
        if (again) {
            CHECK(saferl_rl_agent_checkpoint_save(&f->agent, again, again_size, &written) == SAFERL_OK);
            CHECK(written == size && memcmp(again, data, size) == 0); /* a faithful round trip */
            free(again);
        }
        if (saferl_rl_agent_epoch(&f->agent, NULL) == SAFERL_OK)
            for (i = 0; i < f->agent.networks.param_total; ++i) {
                float v = f->agent.networks.params[i];
                CHECK(v - v == 0.0f); /* finite */
            }
    }
    saferl_rl_agent_destroy(&f->agent);
    free(f);
    free(before_struct);
    free(before_memory);
    return 0;
}

#include "fuzz_crc_repair.h" /* the entry point; -DFUZZ_REPAIR_CRC repairs the CRC first */
#else
int main(int argc, char **argv) {
    static unsigned char buffer[1 << 20];
    int which, epochs;
    if (argc != 2) return 2;
    for (which = 0; which < 3; ++which)
        for (epochs = 0; epochs <= 2; epochs += 2) {
            fuzz_agent f;
            char path[512];
            size_t size = 0;
            FILE *out;
            int e;
            if (!fuzz_agent_make(&f, which)) return 1;
            for (e = 0; e < epochs; ++e)
                if (saferl_rl_agent_epoch(&f.agent, NULL) != SAFERL_OK) return 1;
            if (saferl_rl_agent_checkpoint_save(&f.agent, buffer, sizeof buffer, &size) != SAFERL_OK) return 1;
            snprintf(path, sizeof path, "%s/%s_%d.srlk", argv[1], which == 0 ? "cliff" : which == 1 ? "pendulum" : "two_costs",
                     epochs);
            out = fopen(path, "wb");
            if (!out || fwrite(buffer, 1, size, out) != size || fclose(out) != 0) return 1;
            saferl_rl_agent_destroy(&f.agent);
        }
    for (which = 0; which < 4; ++which)
        for (epochs = 0; epochs <= 90; epochs += 90) {
            static fuzz_offpolicy f;
            char path[512];
            size_t size = 0;
            FILE *out;
            if (!fuzz_offpolicy_make(&f, which) || fuzz_offpolicy_train(&f, epochs) != SAFERL_OK) return 1;
            if (saferl_rl_offpolicy_checkpoint_save(&f.agent, &f.replay, &f.env, buffer, sizeof buffer, &size) != SAFERL_OK)
                return 1;
            snprintf(path, sizeof path, "%s/offpolicy_%s_%d.srlk", argv[1],
                     which == 0 ? "td3" : which == 1 ? "sac_lag" : which == 2 ? "m2td3" : "sac_discrete_lag_log", epochs);
            out = fopen(path, "wb");
            if (!out || fwrite(buffer, 1, size, out) != size || fclose(out) != 0) return 1;
            saferl_rl_offpolicy_destroy(&f.agent);
        }
    return 0;
}
#endif
