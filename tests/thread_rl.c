// SPDX-License-Identifier: MIT OR Unlicense
/* Four threads act with one saferl_rl_policy (and one conditioned policy) at once, each with
   its own context: every action must equal the one a single thread computed first, and
   ThreadSanitizer (mk/rl.mk builds this with clang -fsanitize=thread) must find no race.
   A policy is read-only while acting; only the caller's context is written. */
#define _POSIX_C_SOURCE 200809L
#define SAFERL_RL_IMPLEMENTATION
#include "saferl_rl.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THREADS 4
#define OBSERVATIONS 256
#define ROUNDS 20
#define OBS 35
#define ACT 3

typedef struct shared {
    const saferl_rl_policy *policy;          /* Gaussian, 35-64-64-3 tanh */
    const saferl_rl_policy *discrete;        /* 35-32-5 relu */
    const saferl_rl_rcsl_policy *conditioned; /* the Gaussian net over (obs[0..32], R, C) */
    const float *observations;
    const float *expected;          /* deterministic Gaussian actions, OBSERVATIONS x ACT */
    const float *expected_sampled;  /* sampled with the seed-1 stream, OBSERVATIONS x ACT */
    const float *expected_discrete; /* OBSERVATIONS */
    const float *expected_conditioned; /* OBSERVATIONS x ACT */
} shared;

typedef struct worker {
    const shared *s;
    long wrong, errors;
} worker;

/* Every action of one pass over the observations; returns the number that differ. */
static long one_pass(const shared *s, saferl_rl_policy_context *context, saferl_rl_rcsl_context *rcsl, long *errors) {
    long wrong = 0;
    float action[ACT];
    saferl_rng rng;
    int i, j;
    saferl_rng_seed(&rng, 1);
    for (i = 0; i < OBSERVATIONS; ++i) {
        const float *obs = s->observations + (size_t)i * OBS;
        if (saferl_rl_policy_act(s->policy, context, obs, action, NULL) != SAFERL_OK) ++*errors;
        for (j = 0; j < ACT; ++j) wrong += action[j] != s->expected[i * ACT + j];
        if (saferl_rl_policy_act(s->policy, context, obs, action, &rng) != SAFERL_OK) ++*errors;
        for (j = 0; j < ACT; ++j) wrong += action[j] != s->expected_sampled[i * ACT + j];
        if (saferl_rl_policy_act(s->discrete, context, obs, action, NULL) != SAFERL_OK) ++*errors;
        wrong += action[0] != s->expected_discrete[i];
        if (saferl_rl_rcsl_act(s->conditioned, rcsl, obs, 10.0 - i, 0.5 * i, action, NULL) != SAFERL_OK) ++*errors;
        for (j = 0; j < ACT; ++j) wrong += action[j] != s->expected_conditioned[i * ACT + j];
    }
    return wrong;
}

static void *run(void *arg) {
    worker *w = (worker *)arg;
    saferl_rl_policy_context context;
    saferl_rl_rcsl_context rcsl;
    size_t a = saferl_rl_policy_context_memory_size(w->s->policy), b = saferl_rl_policy_context_memory_size(w->s->discrete);
    size_t c = saferl_rl_rcsl_context_memory_size(w->s->conditioned);
    void *memory = malloc(a > b ? a : b), *rcsl_memory = malloc(c);
    int round;
    if (!memory || !rcsl_memory || saferl_rl_policy_context_init(&context, memory, a > b ? a : b) != SAFERL_OK ||
        saferl_rl_rcsl_context_init(&rcsl, w->s->conditioned, rcsl_memory, c) != SAFERL_OK) {
        w->errors = 1;
    } else {
        for (round = 0; round < ROUNDS; ++round) w->wrong += one_pass(w->s, &context, &rcsl, &w->errors);
    }
    free(memory);
    free(rcsl_memory);
    return NULL;
}

static float *fill(size_t n) {
    float *p = (float *)calloc(n, sizeof(float));
    if (!p) exit(2);
    return p;
}

int main(void) {
    static const int hidden[2] = {64, 64}, narrow[1] = {32};
    saferl_rl_policy policy, discrete;
    saferl_rl_rcsl_policy conditioned;
    saferl_rng rng;
    shared s;
    worker workers[THREADS];
    pthread_t threads[THREADS];
    saferl_rl_policy_context context;
    saferl_rl_rcsl_context rcsl;
    float *observations = fill((size_t)OBSERVATIONS * OBS), *expected = fill(OBSERVATIONS * ACT);
    float *expected_sampled = fill(OBSERVATIONS * ACT), *expected_discrete = fill(OBSERVATIONS);
    float *expected_conditioned = fill(OBSERVATIONS * ACT), *obs_mean = fill(OBS + 2), *obs_std = fill(OBS + 2);
    long errors = 0, wrong = 0;
    size_t i;
    int t;
    saferl_rng_seed(&rng, 7);
    memset(&policy, 0, sizeof policy);
    memset(&discrete, 0, sizeof discrete);
    memset(&conditioned, 0, sizeof conditioned);
    if (saferl_rl_mlp_define(&policy.net, OBS, hidden, 2, ACT, SAFERL_RL_TANH) != SAFERL_OK ||
        saferl_rl_mlp_define(&discrete.net, OBS, narrow, 1, 5, SAFERL_RL_RELU) != SAFERL_OK)
        return 2;
    policy.action_kind = SAFERL_RL_GAUSSIAN;
    policy.observation_dim = OBS;
    policy.action_dim = ACT;
    policy.params = fill(saferl_rl_policy_param_count(&policy));
    saferl_rl_mlp_init_params(&policy.net, policy.params, &rng, 1.0f);
    policy.obs_mean = obs_mean;
    policy.obs_std = obs_std;
    for (i = 0; i < OBS + 2; ++i) {
        obs_mean[i] = 0.1f * (float)i;
        obs_std[i] = 1.0f + 0.05f * (float)i;
    }
    discrete.action_kind = SAFERL_RL_DISCRETE;
    discrete.observation_dim = OBS;
    discrete.action_dim = 5;
    discrete.params = fill(saferl_rl_policy_param_count(&discrete));
    saferl_rl_mlp_init_params(&discrete.net, discrete.params, &rng, 1.0f);
    /* the conditioned policy: the Gaussian network read as (33 observations, R, C) */
    conditioned.policy = policy;
    conditioned.observation_dim = OBS - 2;
    conditioned.reward_scale = obs_std[OBS - 2];
    conditioned.cost_scale = obs_std[OBS - 1];
    for (i = 0; i < (size_t)OBSERVATIONS * OBS; ++i) observations[i] = (float)saferl_rng_normal(&rng);

    /* the single-threaded reference */
    {
        size_t size = saferl_rl_policy_context_memory_size(&policy), rcsl_size = saferl_rl_rcsl_context_memory_size(&conditioned);
        void *memory = malloc(size), *rcsl_memory = malloc(rcsl_size);
        saferl_rng sampler;
        if (!memory || !rcsl_memory || saferl_rl_policy_context_init(&context, memory, size) != SAFERL_OK ||
            saferl_rl_rcsl_context_init(&rcsl, &conditioned, rcsl_memory, rcsl_size) != SAFERL_OK)
            return 2;
        saferl_rng_seed(&sampler, 1);
        for (t = 0; t < OBSERVATIONS; ++t) {
            const float *obs = observations + (size_t)t * OBS;
            errors += saferl_rl_policy_act(&policy, &context, obs, expected + t * ACT, NULL) != SAFERL_OK;
            errors += saferl_rl_policy_act(&policy, &context, obs, expected_sampled + t * ACT, &sampler) != SAFERL_OK;
            errors += saferl_rl_policy_act(&discrete, &context, obs, expected_discrete + t, NULL) != SAFERL_OK;
            errors += saferl_rl_rcsl_act(&conditioned, &rcsl, obs, 10.0 - t, 0.5 * t, expected_conditioned + t * ACT, NULL) !=
                      SAFERL_OK;
        }
        free(memory);
        free(rcsl_memory);
    }
    s.policy = &policy;
    s.discrete = &discrete;
    s.conditioned = &conditioned;
    s.observations = observations;
    s.expected = expected;
    s.expected_sampled = expected_sampled;
    s.expected_discrete = expected_discrete;
    s.expected_conditioned = expected_conditioned;
    for (t = 0; t < THREADS; ++t) {
        workers[t].s = &s;
        workers[t].wrong = workers[t].errors = 0;
        if (pthread_create(&threads[t], NULL, run, &workers[t]) != 0) return 2;
    }
    for (t = 0; t < THREADS; ++t) {
        pthread_join(threads[t], NULL);
        wrong += workers[t].wrong;
        errors += workers[t].errors;
    }
    printf("%d threads x %d rounds x %d observations x 4 calls: %ld wrong, %ld errors\n", THREADS, ROUNDS, OBSERVATIONS,
           wrong, errors);
    free(observations);
    free(expected);
    free(expected_sampled);
    free(expected_discrete);
    free(expected_conditioned);
    free(obs_mean);
    free(obs_std);
    free(policy.params);
    free(discrete.params);
    return wrong == 0 && errors == 0 ? 0 : 1;
}
