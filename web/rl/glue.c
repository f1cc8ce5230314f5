/* glue.c - the WebAssembly face of saferl_rl.h for web/rl/.
   Thin wrappers only: every return, cost, lambda and action the page shows comes from the
   header. Two objects:
     a trainer (in the Web Worker): an agent on one built-in environment, one epoch a call,
       and the current policy saved to a buffer in the versioned SRLP format;
     a player (on the page): a policy loaded from such a buffer, run deterministically on its
       own copy of the environment, one step a call, for the canvas (the replay).
   The off-policy algorithms (TD3, SAC, their Lagrangian forms, discrete SAC) train an
   off-policy agent and a replay buffer instead, one epoch being steps_per_epoch environment
   steps; their "policy buffer" is the actor's float weights, which an off-policy player of the
   same algorithm and width loads and runs deterministically (saferl_rl_offpolicy_act).
   Exports take and return 32-bit ints, doubles and pointers. */
#include <stdlib.h>
#include <string.h>
#include <emscripten/emscripten.h>

#define GLUE_EXPORT EMSCRIPTEN_KEEPALIVE
#define SAFERL_RL_IMPLEMENTATION
#include "saferl_rl.h"

typedef struct rl_trainer {
    saferl_rl_builtin state;
    saferl_rl_env env;
    saferl_rl_agent agent;
    int offpolicy;                   /* 1: the fields below train, agent is unused */
    saferl_rl_offpolicy_agent learner;
    saferl_rl_replay replay;
    void *replay_memory;
    int steps_per_epoch, epoch;
    long total_steps;
} rl_trainer;

typedef struct rl_player {
    saferl_rl_builtin state;
    saferl_rl_env env;
    saferl_rl_policy policy;
    saferl_rl_policy_context context;
    int offpolicy;                   /* 1: actor acts (an off-policy agent's actor), not policy */
    saferl_rl_offpolicy_agent actor;
    void *memory, *context_memory;
    saferl_rng rng;
    float obs[64];
    double episode_return, episode_cost;
    int done;
} rl_player;

static int last_error;
static const char *last_message = "ok"; /* the desc field at fault (saferl_rl_desc_check) */

GLUE_EXPORT const char *rl_version(void) { return saferl_rl_version(); }
GLUE_EXPORT const char *rl_result_string(int r) { return saferl_result_string((saferl_result)r); }
GLUE_EXPORT int rl_last_error(void) { return last_error; }
/* What was wrong with the last trainer asked for, naming the field ("cost_limit: required"). */
GLUE_EXPORT const char *rl_last_message(void) { return last_message; }
GLUE_EXPORT int rl_env_from_name(const char *name) { return saferl_rl_env_kind_from_name(name); }

/* algorithm: saferl_rl_algorithm's value (0 PPO, 1 PPO-Lag, 2 PID-Lag, 3 CPO, 4 PCPO,
   5 TRPO-Lag, 6 FOCOPS, 7 CUP); hidden units per layer (two layers). */
GLUE_EXPORT rl_trainer *rl_trainer_create(int kind, int algorithm, double cost_limit, int seed, int steps_per_epoch,
                                          int hidden) {
    rl_trainer *t = (rl_trainer *)calloc(1, sizeof *t);
    saferl_rl_desc desc;
    saferl_result r;
    last_error = SAFERL_ERR_OUT_OF_MEMORY;
    last_message = saferl_result_string(SAFERL_ERR_OUT_OF_MEMORY);
    if (!t) return NULL;
    last_error = saferl_rl_env_builtin(&t->env, &t->state, (saferl_rl_env_kind)kind);
    if (last_error < 0) {
        last_message = "env: unknown kind";
        free(t);
        return NULL;
    }
    memset(&desc, 0, sizeof desc);
    desc.algorithm = (saferl_rl_algorithm)algorithm;
    desc.cost_count = 1;
    desc.cost_limits[0] = cost_limit; /* 0 means 0 */
    desc.seed = (uint32_t)seed;
    desc.steps_per_epoch = steps_per_epoch;
    desc.hidden[0] = desc.hidden[1] = hidden;
    r = saferl_rl_agent_create(&t->agent, &desc, &t->env, 1);
    if (r < 0) {
        last_error = r;
        last_message = saferl_result_string(r);
        if (r == SAFERL_ERR_INVALID_ARGUMENT) saferl_rl_desc_check(&desc, &t->env, 1, &last_message);
        free(t);
        return NULL;
    }
    last_error = 0;
    last_message = "ok";
    return t;
}

/* The off-policy agent's desc for the page: hidden-hidden ReLU networks, batch 64, 500 random
   steps (a demo's epochs are short), the other fields the header's defaults; the Lagrangian
   forms take the cost limit, discrete SAC the environment's action count and a target entropy
   of 0.3 log(action count): with the paper's 0.98 log(action count) the policy stays near
   uniform and on the lava gridworld never reaches G in 14,000 steps (seed 1); with 0.3 it
   returns about 34 at cost 0.8 after 6,000. */
static saferl_rl_offpolicy_desc offpolicy_desc(const saferl_rl_env *env, int algorithm, double cost_limit, int seed,
                                              int hidden) {
    saferl_rl_offpolicy_desc d;
    memset(&d, 0, sizeof d);
    d.algorithm = (saferl_rl_offpolicy_algorithm)algorithm;
    d.hidden_sizes[0] = d.hidden_sizes[1] = hidden;
    d.batch_size = 64;
    d.random_steps = 500;
    d.action_count = env->action_count;
    if (env->action_count) d.target_entropy = 0.3 * log((double)env->action_count);
    d.cost_count = 1;
    d.cost_limits[0] = cost_limit; /* 0 means 0 */
    d.seed = (uint32_t)seed;
    return d;
}

/* algorithm: saferl_rl_offpolicy_algorithm's value (0 TD3, 1 SAC, 2 TD3-Lag, 3 SAC-Lag,
   6 discrete SAC, 7 discrete SAC-Lag); a replay of up to 50,000 transitions. */
GLUE_EXPORT rl_trainer *rl_offpolicy_trainer_create(int kind, int algorithm, double cost_limit, int seed,
                                                    int steps_per_epoch, int hidden) {
    rl_trainer *t = (rl_trainer *)calloc(1, sizeof *t);
    saferl_rl_offpolicy_desc desc;
    size_t size;
    saferl_result r;
    last_error = SAFERL_ERR_OUT_OF_MEMORY;
    last_message = saferl_result_string(SAFERL_ERR_OUT_OF_MEMORY);
    if (!t) return NULL;
    r = saferl_rl_env_builtin(&t->env, &t->state, (saferl_rl_env_kind)kind);
    if (r >= 0 && steps_per_epoch < 1) r = SAFERL_ERR_INVALID_ARGUMENT;
    desc = offpolicy_desc(&t->env, algorithm, cost_limit, seed, hidden);
    size = saferl_rl_replay_memory_size(50000, t->env.observation_dim, t->env.action_dim, 1);
    if (r >= 0 && !(t->replay_memory = malloc(size))) r = SAFERL_ERR_OUT_OF_MEMORY;
    if (r >= 0) r = saferl_rl_replay_init(&t->replay, 50000, t->env.observation_dim, t->env.action_dim, 1, t->replay_memory, size);
    if (r >= 0) r = saferl_rl_offpolicy_create(&t->learner, &desc, t->env.observation_dim, t->env.action_dim);
    if (r < 0) {
        last_error = r;
        last_message = r == SAFERL_ERR_INVALID_ARGUMENT ? "the algorithm does not fit this environment's actions"
                                                        : saferl_result_string(r);
        free(t->replay_memory);
        free(t);
        return NULL;
    }
    t->offpolicy = 1;
    t->steps_per_epoch = steps_per_epoch;
    last_error = 0;
    last_message = "ok";
    return t;
}

GLUE_EXPORT void rl_trainer_destroy(rl_trainer *t) {
    if (!t) return;
    if (t->offpolicy) saferl_rl_offpolicy_destroy(&t->learner);
    else saferl_rl_agent_destroy(&t->agent);
    free(t->replay_memory);
    free(t);
}

/* An off-policy epoch: steps_per_epoch steps one at a time, so every episode's end is seen. */
static int offpolicy_epoch(rl_trainer *t, double *out) {
    double returns = 0.0, costs = 0.0, lengths = 0.0;
    int k, ended = 0;
    for (k = 0; k < t->steps_per_epoch; ++k) {
        long episodes = t->learner.episodes;
        saferl_result r = saferl_rl_offpolicy_train(&t->learner, &t->env, &t->replay, 1);
        if (r < 0) return r;
        if (t->learner.episodes != episodes) {
            returns += t->learner.last_return;
            costs += t->learner.last_cost[0];
            lengths += (double)t->learner.last_episode_length;
            ended += 1;
        }
    }
    t->epoch += 1;
    t->total_steps += t->steps_per_epoch;
    out[0] = t->epoch;
    out[1] = (double)t->total_steps;
    out[2] = ended ? returns / ended : NAN;
    out[3] = ended ? costs / ended : NAN;
    out[4] = t->learner.lagrange[0];
    out[5] = ended ? costs / lengths : NAN; /* cost a step over the episodes that ended */
    out[6] = ended;
    out[7] = (double)t->learner.critic_steps;
    out[8] = -1.0;
    out[9] = NAN;
    out[10] = NAN; /* no epoch estimate: the Lagrangian forms step on each episode's cost as it ends */
    return 0;
}

/* One epoch; out (11 doubles): epoch, total steps, return, cost (window means; NaN before the
   first episode ends), lambda (CPO: the step's nu; PCPO: the projection's multiplier), cost
   rate, episodes this epoch, update passes, the trust-region case (CPO 0..4, PCPO 1 or 3,
   TRPO-Lag 4; -1 no step or a first-order method), the accepted step fraction, and J_C: the
   cost the update acted on (desc.cost_estimate; by default the mean over the episodes that
   finished this epoch). An off-policy epoch's return and cost are the means over the episodes
   that ended in it; its J_C is NaN. */
GLUE_EXPORT int rl_trainer_epoch(rl_trainer *t, double *out) {
    saferl_rl_epoch_stats st;
    saferl_result r;
    if (t->offpolicy) return offpolicy_epoch(t, out);
    r = saferl_rl_agent_epoch(&t->agent, &st);
    if (r < 0) return r;
    out[0] = st.epoch;
    out[1] = (double)st.total_steps;
    out[2] = st.episode_return;
    out[3] = st.episode_cost;
    out[4] = st.lagrange_multiplier;
    out[5] = st.cost_rate;
    out[6] = st.episodes;
    out[7] = st.update_passes;
    out[8] = st.optim_case;
    out[9] = st.step_fraction;
    out[10] = st.cost_estimates[0];
    return 0;
}

GLUE_EXPORT int rl_trainer_policy_size(rl_trainer *t) {
    return t->offpolicy ? (int)(sizeof(float) * t->learner.actor_count) : (int)saferl_rl_policy_saved_size(&t->agent.actor);
}
GLUE_EXPORT int rl_trainer_policy_save(rl_trainer *t, unsigned char *buffer, int capacity) {
    size_t written = 0;
    saferl_result r;
    if (t->offpolicy) {
        if ((size_t)capacity < sizeof(float) * t->learner.actor_count) return SAFERL_ERR_OUT_OF_MEMORY;
        memcpy(buffer, t->learner.actor, sizeof(float) * t->learner.actor_count);
        return (int)(sizeof(float) * t->learner.actor_count);
    }
    r = saferl_rl_policy_save(&t->agent.actor, buffer, (size_t)capacity, &written);
    return r < 0 ? r : (int)written;
}

/* A player from a policy buffer; NULL with rl_last_error for a bad buffer or a policy that
   does not fit the environment. */
GLUE_EXPORT rl_player *rl_player_create(int kind, const unsigned char *buffer, int size) {
    rl_player *p = (rl_player *)calloc(1, sizeof *p);
    size_t need = 0;
    saferl_result r;
    last_error = SAFERL_ERR_OUT_OF_MEMORY;
    if (!p) return NULL;
    r = saferl_rl_env_builtin(&p->env, &p->state, (saferl_rl_env_kind)kind);
    if (r >= 0) r = saferl_rl_policy_load_size(buffer, (size_t)size, &need);
    if (r >= 0 && !(p->memory = malloc(need))) r = SAFERL_ERR_OUT_OF_MEMORY;
    if (r >= 0) r = saferl_rl_policy_load(&p->policy, buffer, (size_t)size, p->memory, need);
    if (r >= 0) r = saferl_rl_policy_check_env(&p->policy, &p->env);
    if (r >= 0 && !(p->context_memory = malloc(saferl_rl_policy_context_memory_size(&p->policy))))
        r = SAFERL_ERR_OUT_OF_MEMORY;
    if (r >= 0)
        r = saferl_rl_policy_context_init(&p->context, p->context_memory, saferl_rl_policy_context_memory_size(&p->policy));
    if (r < 0) {
        last_error = r;
        free(p->context_memory);
        free(p->memory);
        free(p);
        return NULL;
    }
    last_error = 0;
    return p;
}

/* A player of an off-policy actor: weights as rl_trainer_policy_save wrote them for the same
   algorithm and hidden width (their count must match); acting is the deterministic actor. */
GLUE_EXPORT rl_player *rl_offpolicy_player_create(int kind, int algorithm, int hidden, const unsigned char *buffer,
                                                  int size) {
    rl_player *p = (rl_player *)calloc(1, sizeof *p);
    saferl_rl_offpolicy_desc desc;
    saferl_result r;
    last_error = SAFERL_ERR_OUT_OF_MEMORY;
    if (!p) return NULL;
    r = saferl_rl_env_builtin(&p->env, &p->state, (saferl_rl_env_kind)kind);
    desc = offpolicy_desc(&p->env, algorithm, 0.0, 1, hidden);
    desc.batch_size = 1; /* the player only acts */
    if (r >= 0) r = saferl_rl_offpolicy_create(&p->actor, &desc, p->env.observation_dim, p->env.action_dim);
    if (r >= 0 && (size_t)size != sizeof(float) * p->actor.actor_count) {
        saferl_rl_offpolicy_destroy(&p->actor);
        r = SAFERL_ERR_INVALID_ARGUMENT;
    }
    if (r < 0) {
        last_error = r;
        free(p);
        return NULL;
    }
    memcpy(p->actor.actor, buffer, (size_t)size);
    p->offpolicy = 1;
    last_error = 0;
    return p;
}

GLUE_EXPORT void rl_player_destroy(rl_player *p) {
    if (!p) return;
    if (p->offpolicy) saferl_rl_offpolicy_destroy(&p->actor);
    free(p->context_memory);
    free(p->memory);
    free(p);
}

GLUE_EXPORT int rl_player_reset(rl_player *p, int seed) {
    saferl_rng_seed(&p->rng, (uint32_t)seed);
    p->episode_return = p->episode_cost = 0.0;
    p->done = 0;
    return p->env.reset(p->env.state, &p->rng, p->obs);
}

/* The environment's state for drawing; out (32 doubles): steps, done, episode return,
   episode cost, x[0..3], heading, goal x, goal y, cell, last reward, last cost, hazards
   (8 x 2) from 16. */
static void player_state(const rl_player *p, double *out, double reward, double cost) {
    const saferl_rl_builtin *s = &p->state;
    int i;
    out[0] = s->steps;
    out[1] = p->done;
    out[2] = p->episode_return;
    out[3] = p->episode_cost;
    for (i = 0; i < 4; ++i) out[4 + i] = s->x[i];
    out[8] = s->heading;
    out[9] = s->goal[0];
    out[10] = s->goal[1];
    out[11] = s->cell;
    out[12] = reward;
    out[13] = cost;
    for (i = 0; i < SAFERL_RL_POINTGOAL_HAZARDS; ++i) {
        out[16 + 2 * i] = s->hazards[i][0];
        out[17 + 2 * i] = s->hazards[i][1];
    }
}

GLUE_EXPORT void rl_player_state(rl_player *p, double *out) { player_state(p, out, 0.0, 0.0); }

/* One step of the deterministic policy (nothing once the episode is over). */
GLUE_EXPORT int rl_player_step(rl_player *p, double *out) {
    float action[4], reward = 0.0f, cost = 0.0f;
    int terminated = 0, truncated = 0;
    saferl_result r;
    if (!p->done) {
        r = p->offpolicy ? saferl_rl_offpolicy_act(&p->actor, p->obs, 0, action)
                         : saferl_rl_policy_act(&p->policy, &p->context, p->obs, action, NULL);
        if (r >= 0) r = p->env.step(p->env.state, &p->rng, action, p->obs, &reward, &cost, &terminated, &truncated);
        if (r < 0) return r;
        p->episode_return += reward;
        p->episode_cost += cost;
        p->done = terminated || truncated;
    }
    player_state(p, out, reward, cost);
    return p->done;
}
