// SPDX-License-Identifier: MIT OR Unlicense
/* policy_in_engine - how a game ships a policy trained with saferl_rl.h: the policy travels
   as a byte buffer (the versioned "SRLP" format; a game embeds it or reads it from its asset
   pack), is loaded once at load time into memory the engine owns, and is then run inside a
   fixed-timestep loop: frames arrive at a jittery display rate, the simulation advances in
   fixed 20 ms steps (CartPole's tau) with an accumulator, and every agent asks the policy
   for an action each simulation step. A counting allocator behind SAFERL_MALLOC and the
   engine's own allocator prove that the frames allocate nothing.

   policy_in_engine [--policy FILE] [--write-policy FILE] [--agents K] [--frames N] [--seed S]

   Without --policy a tiny CartPole policy (two hidden layers of 32, PPO-Lagrangian with
   d = 10, 24 epochs of 1000 steps, a few seconds) is trained first, saved to a memory buffer
   and the agent released: only the buffer crosses over, as it would from a build step.
   --write-policy also writes that buffer to a file. With --policy the file (e.g. from
   `rl_train --save`) is read into a buffer; the environment is the built-in one whose
   observation and action shapes the policy fits. Exit status 1 on a bad policy, 3 if a
   frame allocated. */
#include "cli.h" /* first: it asks for POSIX */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* the engine's allocator, counted: every allocation of the library goes through it */
static long allocations;
static void *engine_allocate(size_t size, void *user_data) {
    (void)user_data;
    ++allocations;
    return malloc(size);
}
static void engine_release(void *pointer, void *user_data) {
    (void)user_data;
    free(pointer);
}
#define SAFERL_MALLOC(size, ctx) engine_allocate((size), (ctx))
#define SAFERL_FREE(pointer, ctx) engine_release((pointer), (ctx))
#define SAFERL_RL_IMPLEMENTATION
#include "saferl_rl.h"

#define MAX_AGENTS 1024
#define SIM_STEP 0.02 /* seconds of simulated time per physics step */

typedef struct agent {
    saferl_rl_builtin body; /* the environment's state: plain data, no allocation */
    saferl_rl_env env;
    saferl_rng rng;
    float observation[64];     /* the largest built-in observation is 63 */
    double episode_return, episode_cost;
} agent;

static int fail(const char *what, saferl_result r) {
    fprintf(stderr, "policy_in_engine: %s: %s\n", what, saferl_result_string(r));
    return 1;
}

/* Load time, build step: train a tiny CartPole policy and return its saved bytes. */
static unsigned char *train_tiny_policy(uint32_t seed, size_t *size) {
    static saferl_rl_builtin state;
    saferl_rl_env env;
    saferl_rl_desc desc;
    saferl_rl_agent trainer;
    saferl_rl_epoch_stats st;
    saferl_allocator allocator = {engine_allocate, engine_release, NULL};
    unsigned char *bytes = NULL;
    int epoch;
    memset(&desc, 0, sizeof desc);
    desc.algorithm = SAFERL_RL_PPO_LAG;
    desc.cost_count = 1;
    desc.cost_limits[0] = 10.0;
    desc.seed = seed;
    desc.hidden[0] = desc.hidden[1] = 32;
    desc.steps_per_epoch = 1000;
    desc.allocator = allocator;
    saferl_rl_env_builtin(&env, &state, SAFERL_RL_ENV_CARTPOLE);
    if (saferl_rl_agent_create(&trainer, &desc, &env, 1) < 0) return NULL;
    for (epoch = 0; epoch < 24; ++epoch)
        if (saferl_rl_agent_epoch(&trainer, &st) < 0) break;
    printf("trained: CartPole, PPO-Lag d = 10, %ld steps: window return %.1f, cost %.1f\n", st.total_steps,
           st.episode_return, st.episode_cost);
    *size = saferl_rl_policy_saved_size(&trainer.actor);
    bytes = (unsigned char *)engine_allocate(*size, NULL);
    if (bytes && saferl_rl_policy_save(&trainer.actor, bytes, *size, size) < 0) {
        engine_release(bytes, NULL);
        bytes = NULL;
    }
    saferl_rl_agent_destroy(&trainer);
    return bytes;
}

static unsigned char *read_file(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    unsigned char *bytes;
    long length;
    if (!f) return NULL;
    if (fseek(f, 0, SEEK_END) != 0 || (length = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return NULL;
    }
    bytes = (unsigned char *)engine_allocate((size_t)length + 1, NULL);
    if (bytes && fread(bytes, 1, (size_t)length, f) != (size_t)length) {
        engine_release(bytes, NULL);
        bytes = NULL;
    }
    fclose(f);
    *size = (size_t)length;
    return bytes;
}

static int run(int argc, char **argv) {
    const char *policy_path = NULL, *write_path = NULL;
    uint64_t n = 0;
    cli c;
    long agent_count = 16, frames = 600, seed = 1, i, physics_steps = 0, calls = 0, episodes = 0, frame_allocations;
    unsigned char *buffer;
    void *policy_memory, *context_memory;
    size_t buffer_size = 0, memory_size = 0;
    saferl_rl_policy policy;
    saferl_rl_policy_context context; /* the acting thread's scratch (one per thread) */
    saferl_rl_env probe;
    saferl_rl_builtin probe_state;
    saferl_rl_env_kind kind = SAFERL_RL_ENV_CARTPOLE;
    agent *agents;
    saferl_rng clock_rng;
    double accumulator = 0.0, simulated = 0.0, sum_return = 0.0, sum_cost = 0.0, act_seconds = 0.0;
    int k, found = 0;
    saferl_result r;
    cli_init(&c, argc, argv, "[--policy FILE] [--write-policy FILE] [--agents K] [--frames N] [--seed S]");
    for (i = 1; i < argc; ++i) { /* every option takes a value */
        int at = (int)i, bad;
        const char *flag = argv[at], *v = NULL;
        if (cli_is(&c, &at, "--policy", &v)) bad = !(policy_path = v);
        else if (cli_is(&c, &at, "--write-policy", &v)) bad = !(write_path = v);
        else if (cli_is(&c, &at, "--agents", &v)) bad = !v || cli_count(&c, flag, v, 1, MAX_AGENTS, &n);
        else if (cli_is(&c, &at, "--frames", &v)) bad = !v || cli_count(&c, flag, v, 1, 10000000, &n);
        else if (cli_is(&c, &at, "--seed", &v)) bad = !v || cli_count(&c, flag, v, 0, UINT32_MAX, &n);
        else return cli_usage_error(&c, "unknown option %s", flag);
        if (bad || c.failed) return 2;
        if (!strcmp(flag, "--agents")) agent_count = (long)n;
        else if (!strcmp(flag, "--frames")) frames = (long)n;
        else if (!strcmp(flag, "--seed")) seed = (long)n;
        i = at;
    }

    /* ---- load time: everything allocated here ---- */
    if (policy_path) {
        buffer = read_file(policy_path, &buffer_size);
        if (!buffer) {
            fprintf(stderr, "policy_in_engine: cannot read %s\n", policy_path);
            return 1;
        }
    } else {
        buffer = train_tiny_policy((uint32_t)seed, &buffer_size);
        if (!buffer) return fail("training", SAFERL_ERR_OUT_OF_MEMORY);
    }
    if (write_path && cli_write_file(write_path, buffer, buffer_size)) return 1;
    r = saferl_rl_policy_load_size(buffer, buffer_size, &memory_size);
    if (r < 0) return fail(policy_path ? policy_path : "policy buffer", r);
    policy_memory = engine_allocate(memory_size, NULL);
    if (!policy_memory) return fail("policy memory", SAFERL_ERR_OUT_OF_MEMORY);
    r = saferl_rl_policy_load(&policy, buffer, buffer_size, policy_memory, memory_size);
    if (r < 0) return fail("load", r);
    engine_release(buffer, NULL); /* the policy lives in policy_memory now */
    context_memory = engine_allocate(saferl_rl_policy_context_memory_size(&policy), NULL);
    if (!context_memory) return fail("context memory", SAFERL_ERR_OUT_OF_MEMORY);
    saferl_rl_policy_context_init(&context, context_memory, saferl_rl_policy_context_memory_size(&policy));
    for (k = 0; k < SAFERL_RL_ENV_KIND_COUNT && !found; ++k) {
        saferl_rl_env_builtin(&probe, &probe_state, (saferl_rl_env_kind)k);
        if (saferl_rl_policy_check_env(&policy, &probe) == SAFERL_OK) {
            kind = (saferl_rl_env_kind)k;
            found = 1;
        }
    }
    if (!found) { /* every built-in has at most 63 observations and 4 action outputs */
        fprintf(stderr, "policy_in_engine: the policy (%d observations, %d %s actions) fits no built-in environment\n",
                policy.observation_dim, policy.action_dim, policy.action_kind == SAFERL_RL_DISCRETE ? "discrete" : "continuous");
        return 1;
    }
    printf("policy: %d inputs,", policy.observation_dim);
    for (k = 1; k < policy.net.layer_count; ++k) printf(" %d,", policy.net.sizes[k]);
    printf(" %d %s outputs; %lu bytes in the buffer, %lu bytes loaded\n", policy.action_dim,
           policy.action_kind == SAFERL_RL_DISCRETE ? "discrete" : "Gaussian", (unsigned long)buffer_size,
           (unsigned long)memory_size);
    agents = (agent *)engine_allocate(sizeof(agent) * (size_t)agent_count, NULL);
    if (!agents) return fail("agents", SAFERL_ERR_OUT_OF_MEMORY);
    for (i = 0; i < agent_count; ++i) {
        agent *a = &agents[i];
        saferl_rl_env_builtin(&a->env, &a->body, kind);
        saferl_rng_seed(&a->rng, (uint32_t)(seed * 7919 + i));
        a->env.reset(a->env.state, &a->rng, a->observation);
        a->episode_return = a->episode_cost = 0.0;
    }
    saferl_rng_seed(&clock_rng, (uint32_t)seed);

    /* ---- the frames: display time advances 1/60 s +- 25 % jitter; the simulation consumes
       it in fixed SIM_STEP steps (at most 8 a frame: the spiral-of-death guard), and each
       step every agent runs its policy deterministically and steps its body ---- */
    frame_allocations = allocations;
    for (i = 0; i < frames; ++i) {
        int substeps = 0;
        accumulator += (1.0 / 60.0) * (0.75 + 0.5 * saferl_rng_uniform(&clock_rng));
        while (accumulator >= SIM_STEP && substeps < 8) {
            clock_t t0 = clock();
            long j;
            for (j = 0; j < agent_count; ++j) {
                agent *a = &agents[j];
                float action[4], reward = 0.0f, cost = 0.0f;
                int terminated = 0, truncated = 0;
                r = saferl_rl_policy_act(&policy, &context, a->observation, action, NULL);
                if (r < 0) return fail("act", r);
                ++calls;
                r = a->env.step(a->env.state, &a->rng, action, a->observation, &reward, &cost, &terminated, &truncated);
                if (r < 0) return fail("step", r);
                a->episode_return += reward;
                a->episode_cost += cost;
                if (terminated || truncated) {
                    sum_return += a->episode_return;
                    sum_cost += a->episode_cost;
                    ++episodes;
                    a->episode_return = a->episode_cost = 0.0;
                    a->env.reset(a->env.state, &a->rng, a->observation);
                }
            }
            act_seconds += (double)(clock() - t0) / CLOCKS_PER_SEC;
            accumulator -= SIM_STEP;
            simulated += SIM_STEP;
            ++physics_steps;
            ++substeps;
        }
        /* a renderer would draw here, interpolating by accumulator / SIM_STEP */
    }
    frame_allocations = allocations - frame_allocations;

    printf("environment: %s, %ld agents, fixed step %.0f ms, %ld frames at ~60 Hz (%.1f s simulated)\n",
           saferl_rl_env_kind_name(kind), agent_count, SIM_STEP * 1000.0, frames, simulated);
    printf("physics steps %ld, policy calls %ld, %.2f us a call (with the environment step)\n", physics_steps, calls,
           calls ? 1e6 * act_seconds / (double)calls : 0.0);
    if (episodes > 0)
        printf("episodes finished %ld: mean return %.2f, mean cost %.2f\n", episodes, sum_return / (double)episodes,
               sum_cost / (double)episodes);
    else
        printf("episodes finished 0 (every agent still running)\n");
    printf("allocations during the frames: %ld\n", frame_allocations);
    engine_release(agents, NULL);
    engine_release(context_memory, NULL);
    engine_release(policy_memory, NULL);
    return frame_allocations == 0 ? 0 : 3;
}

int main(int argc, char **argv) { return cli_finish(run(argc, argv)); }
