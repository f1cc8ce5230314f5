/* glue.c - the WebAssembly face of the PLS deployment for web/pls/.
   The page fetches the checked-in artifacts (<env>.csv: the summary with the ground truth;
   <env>.rcsl: the conditioned policy) and hands their bytes to pls_create; from then on every
   number it shows comes from examples/pls_loop.h, the same loop examples/pls_lifetime runs:
   one pls_step is one evaluation (20 episodes) of PLS, of the fixed target or of GP-UCB.
   The deployment seeds match the native program's: seed for PLS, seed + 1000 for the fixed
   target, seed + 2000 for GP-UCB (pls_lifetime deploy --seed S prints the same runs).
   Exports take and return 32-bit ints, doubles and pointers. */
#include <stdlib.h>
#include <string.h>
#include <emscripten/emscripten.h>

#define GLUE_EXPORT EMSCRIPTEN_KEEPALIVE
#define SAFERL_RL_IMPLEMENTATION
#include "saferl_rl.h"
#define SAFERL_GP_IMPLEMENTATION
#include "saferl_gp.h"
#include "pls_loop.h"

typedef struct session {
    const env_config *config;
    summary sum;
    conditioned policy;
    grid_state grid;
    method_result result;
    method_run run;
    int kind, finished;
    uint32_t seed;                   /* the method's deployment seed */
    prior_fit prior;                 /* with fitted: the GP prior fitted before deployment */
    int fitted;
} session;

static char message[300];
GLUE_EXPORT const char *pls_error(void) { return message; }
GLUE_EXPORT const char *pls_versions(void) {
    static char text[96];
    snprintf(text, sizeof text, "saferl_rl.h %s, saferl_gp.h %s", saferl_rl_version(), saferl_gp_version());
    return text;
}

GLUE_EXPORT int pls_env_count(void) { return (int)(sizeof env_configs / sizeof env_configs[0]); }
GLUE_EXPORT const char *pls_env_name(int i) { return i >= 0 && i < pls_env_count() ? env_configs[i].name : ""; }

GLUE_EXPORT void pls_destroy(session *s) {
    if (!s) return;
    method_run_free(&s->run);
    conditioned_free(&s->policy);
    free(s->result.log.returns);
    free(s->result.log.costs);
    free(s);
}

/* env: a name of env_configs; summary_text: the summary's bytes (copied); policy: the SRLC
   bytes; method 0 PLS, 1 fixed target, 2 GP-UCB. NULL and pls_error() on failure, which
   names the file and, for the summary, the line. */
GLUE_EXPORT session *pls_create(const char *env, const char *summary_text, int summary_size,
                                const unsigned char *policy, int policy_size, int method, double seed) {
    static const uint32_t offsets[3] = {0u, 1000u, 2000u};
    session *s;
    char *text, why[200];
    const char *reason = NULL;
    int line = 0;
    saferl_rl_builtin state;
    saferl_rl_env e;
    message[0] = 0;
    if (!(seed >= 0 && seed <= 4294967295.0 && seed == (double)(uint32_t)seed) || method < 0 || method > 2 ||
        summary_size < 0 || policy_size < 0) {
        snprintf(message, sizeof message, "bad arguments (seed %.17g, method %d)", seed, method);
        return NULL;
    }
    s = (session *)calloc(1, sizeof *s);
    text = (char *)malloc((size_t)summary_size + 1);
    if (!s || !text) {
        free(s);
        free(text);
        snprintf(message, sizeof message, "out of memory");
        return NULL;
    }
    s->config = config_by_name(env);
    if (!s->config) {
        snprintf(message, sizeof message, "unknown environment \"%s\"", env);
        free(text);
        free(s);
        return NULL;
    }
    memcpy(text, summary_text, (size_t)summary_size);
    text[summary_size] = 0;
    if (!parse_summary(text, (size_t)summary_size, s->config, &s->sum, &line, &reason)) {
        snprintf(message, sizeof message, "%s.csv:%d: %s", s->config->name, line, reason);
        free(text);
        free(s);
        return NULL;
    }
    free(text);
    make_env(s->config, &e, &state);
    if (!conditioned_load(policy, (size_t)policy_size, &s->sum, &e, &s->policy, why, sizeof why)) {
        snprintf(message, sizeof message, "%s.rcsl: %s", s->config->name, why);
        free(s);
        return NULL;
    }
    fill_grid(s->config, &s->grid);
    s->kind = method;
    s->seed = (uint32_t)seed + offsets[method];
    if (!method_run_init(&s->run, (method_kind)method, s->config, &s->sum, &s->policy, s->seed,
                         &s->grid, &s->result, NULL)) {
        snprintf(message, sizeof message, "cannot set up the Gaussian processes");
        pls_destroy(s);
        return NULL;
    }
    return s;
}

/* The GP prior fitted before deployment (fit_prior, as pls_lifetime --fitted-prior: seeded with
   the base seed, the PLS run's), the session's run restarted with it; only before the first
   step. 0 on success. */
GLUE_EXPORT int pls_use_fitted_prior(session *s) {
    static const uint32_t offsets[3] = {0u, 1000u, 2000u};
    if (!s || s->run.done > 0) return 1;
    if (!fit_prior(s->config, &s->sum, &s->policy, s->seed - offsets[s->kind], &s->prior)) {
        snprintf(message, sizeof message, "cannot fit the GP prior");
        return 1;
    }
    method_run_free(&s->run); /* in place: the run's models are not moved */
    if (!method_run_init(&s->run, (method_kind)s->kind, s->config, &s->sum, &s->policy, s->seed, &s->grid, &s->result,
                         &s->prior)) {
        snprintf(message, sizeof message, "cannot set up the Gaussian processes");
        s->run.failed = 1;
        return 1;
    }
    s->fitted = 1;
    return 0;
}

/* One evaluation: its grid index; -1 when all are done; -2 on failure. */
GLUE_EXPORT int pls_step(session *s) {
    int r = method_run_step(&s->run);
    if (r >= 0 && s->run.done == EVALUATIONS) {
        method_result_finish(&s->result, &s->sum, s->config->budget);
        s->finished = 1;
    }
    return r;
}

/* The grid and the settings. */
GLUE_EXPORT int pls_grid_count(const session *s) { return s->grid.count; }
GLUE_EXPORT int pls_r_count(const session *s) { return s->config->r_count; }
GLUE_EXPORT int pls_g_count(const session *s) { return s->config->g_count; }
GLUE_EXPORT double pls_r_min(const session *s) { return s->config->r_min; }
GLUE_EXPORT double pls_r_step(const session *s) { return s->config->r_step; }
GLUE_EXPORT double pls_g_min(const session *s) { return s->config->g_min; }
GLUE_EXPORT double pls_g_step(const session *s) { return s->config->g_step; }
GLUE_EXPORT double pls_budget(const session *s) { return s->config->budget; }
GLUE_EXPORT int pls_evaluations_max(void) { return EVALUATIONS; }
GLUE_EXPORT int pls_episodes_per_evaluation(void) { return EPISODES_PER_EVAL; }
GLUE_EXPORT const double *pls_targets(const session *s) { return s->grid.targets; }
GLUE_EXPORT const unsigned char *pls_seed_set(const session *s) { return s->grid.seed_set; }
GLUE_EXPORT const double *pls_truth_reward(const session *s) { return s->sum.truth_reward; }
GLUE_EXPORT const double *pls_truth_cost(const session *s) { return s->sum.truth_cost; }

/* The run so far. */
GLUE_EXPORT int pls_evaluations(const session *s) { return s->run.done; }
GLUE_EXPORT const int *pls_eval_index(const session *s) { return s->result.eval_index; }
GLUE_EXPORT const double *pls_eval_reward(const session *s) { return s->result.eval_reward; }
GLUE_EXPORT const double *pls_eval_cost(const session *s) { return s->result.eval_cost; }
GLUE_EXPORT const int *pls_eval_stage(const session *s) { return s->result.eval_stage; }
GLUE_EXPORT int pls_episode_count(const session *s) { return s->result.log.count; }
GLUE_EXPORT const double *pls_episode_returns(const session *s) { return s->result.log.returns; }
GLUE_EXPORT const double *pls_episode_costs(const session *s) { return s->result.log.costs; }
GLUE_EXPORT int pls_unsafe_evaluations(const session *s) { return s->result.unsafe_evaluations; }
GLUE_EXPORT int pls_unsafe_episodes(const session *s) { return count_over(&s->result.log, s->config->budget); }
/* PLS's safe set and cost upper bound u_g now (the other methods: the seed set, no bound). */
GLUE_EXPORT const unsigned char *pls_safe(const session *s) { return s->kind == METHOD_PLS ? s->run.safe : s->grid.seed_set; }
GLUE_EXPORT const double *pls_cost_upper(const session *s) { return s->run.upper; }
GLUE_EXPORT double pls_beta(const session *s) { return s->run.beta; }
GLUE_EXPORT int pls_stage(const session *s) { return s->run.stage; }
/* The final target once all evaluations are done, else -1. */
GLUE_EXPORT int pls_final_index(const session *s) { return s->finished ? s->result.final_index : -1; }

/* The same method and seed deployed in one call (method_run_all, as the native program does),
   apart from the session's run: out gets the EVALUATIONS grid indices, then the final target,
   the unsafe evaluations and the unsafe episodes. 0 on success. */
GLUE_EXPORT int pls_deploy_all(const session *s, int *out) {
    grid_state *g = (grid_state *)calloc(1, sizeof *g);
    method_result *m = (method_result *)calloc(1, sizeof *m);
    int ok = g && m, i;
    if (ok) {
        fill_grid(s->config, g);
        ok = method_run_all((method_kind)s->kind, s->config, &s->sum, &s->policy, s->seed, g, m, s->fitted ? &s->prior : NULL);
    }
    if (ok) {
        for (i = 0; i < EVALUATIONS; ++i) out[i] = m->eval_index[i];
        out[EVALUATIONS] = m->final_index;
        out[EVALUATIONS + 1] = m->unsafe_evaluations;
        out[EVALUATIONS + 2] = m->unsafe_episodes;
    }
    if (m) {
        free(m->log.returns);
        free(m->log.costs);
    }
    free(m);
    free(g);
    return ok ? 0 : -1;
}
