/* glue.c - the WebAssembly face of saferl_rl.h for web/rl/.
   Thin wrappers only: every return, cost, lambda and action the page shows comes from the
   header. Two objects:
     a trainer (in the Web Worker): an agent on one built-in environment, one epoch a call,
       and the current policy saved to a buffer in the versioned SRLP format;
     a player (on the page): a policy loaded from such a buffer, run deterministically on its
       own copy of the environment, one step a call, for the canvas (the replay).
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
} rl_trainer;

typedef struct rl_player {
    saferl_rl_builtin state;
    saferl_rl_env env;
    saferl_rl_policy policy;
    saferl_rl_policy_context context;
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

GLUE_EXPORT void rl_trainer_destroy(rl_trainer *t) {
    if (!t) return;
    saferl_rl_agent_destroy(&t->agent);
    free(t);
}

/* One epoch; out (10 doubles): epoch, total steps, return, cost (window means; NaN before the
   first episode ends), lambda (CPO: the step's nu; PCPO: the projection's multiplier), cost
   rate, episodes this epoch, update passes, the trust-region case (CPO 0..4, PCPO 1 or 3,
   TRPO-Lag 4; -1 no step or a first-order method), the accepted step fraction. */
GLUE_EXPORT int rl_trainer_epoch(rl_trainer *t, double *out) {
    saferl_rl_epoch_stats st;
    saferl_result r = saferl_rl_agent_epoch(&t->agent, &st);
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
    return 0;
}

GLUE_EXPORT int rl_trainer_policy_size(rl_trainer *t) { return (int)saferl_rl_policy_saved_size(&t->agent.actor); }
GLUE_EXPORT int rl_trainer_policy_save(rl_trainer *t, unsigned char *buffer, int capacity) {
    size_t written = 0;
    saferl_result r = saferl_rl_policy_save(&t->agent.actor, buffer, (size_t)capacity, &written);
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

GLUE_EXPORT void rl_player_destroy(rl_player *p) {
    if (!p) return;
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
        r = saferl_rl_policy_act(&p->policy, &p->context, p->obs, action, NULL);
        if (r >= 0) r = p->env.step(p->env.state, &p->rng, action, p->obs, &reward, &cost, &terminated, &truncated);
        if (r < 0) return r;
        p->episode_return += reward;
        p->episode_cost += cost;
        p->done = terminated || truncated;
    }
    player_state(p, out, reward, cost);
    return p->done;
}
