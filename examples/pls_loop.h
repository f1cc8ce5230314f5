/* pls_loop.h - the PLS deployment shared by examples/pls_lifetime.c and web/pls/glue.c, so the
   native program and the page run the same code: the fixed settings of each environment, the
   artifact summary's parser, the conditioned policy's loader, and the online loop of PLS and of
   its two GP-grid baselines (a fixed target, unconstrained GP-UCB) as a stepper, one evaluation
   per call. No file input or output here: callers pass memory. Include once, in one translation
   unit, after saferl_rl.h and saferl_gp.h with their implementations. */
#ifndef PLS_LOOP_H
#define PLS_LOOP_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_GRID 256
#define MAX_BEHAVIOURS 4
#define MAX_EPSILONS 3
#define EPISODES_PER_EVAL 20   /* the paper's varpi */
#define EVALUATIONS 20         /* "PLS typically converges within at most 20 GP iterations" */
#define TRUTH_EPISODES 200
#define SUMMARY_MAGIC "# pls_lifetime artifacts v2"

/* ---- the fixed settings -------------------------------------------------------------------- */

typedef struct env_config {
    const char *name;
    saferl_rl_env_kind kind;
    int horizon;                          /* episode length cap */
    int behaviour_count;
    double behaviour_limits[MAX_BEHAVIOURS]; /* PPO-Lag cost limits */
    int behaviour_steps;                  /* PPO-Lag training steps each */
    int epsilon_count;
    double epsilons[MAX_EPSILONS];
    int episodes_per_mix;                 /* episodes per (behaviour, epsilon) and for the random policy */
    int rcsl_steps;                       /* Adam steps */
    double r_min, r_step, g_min, g_step;  /* the target grid */
    int r_count, g_count;
    double budget;                        /* b */
    double seed_r_max, seed_g_max;        /* seed set: R <= seed_r_max and G <= seed_g_max */
    double fixed_r, fixed_g;              /* the hand-picked target */
    double reward_lengthscale[2], cost_lengthscale[2]; /* (R, G) units */
    double reward_deviation_sd, cost_deviation_sd;     /* prior sd of J - z (Theorem 1's F) */
    double stage_tolerance;               /* zeta, on the cost width in units of cost_deviation_sd */
    double cost_input_scale;              /* the conditioned policy sees C / this (0: the dataset's largest cost) */
} env_config;

static const env_config env_configs[] = {
    {"gridworld", SAFERL_RL_ENV_GRIDWORLD, 50,
     3, {0.05, 1.0, 5.0}, 30000,
     3, {0.0, 0.25, 0.6}, 150,
     4000,
     30.0, 2.0, 0.0, 0.5, 8, 8,
     1.0,
     36.0, 0.0,
     44.0, 1.0,
     {6.0, 1.5}, {6.0, 1.5},
     3.0, 0.25, 0.1,
     0.0},
    /* second setting, fixed before its run: the first (60000 PPO-Lag steps, R -2..5 step 1, seed
       R <= 1, lengthscales 3 in R, cost deviation sd 2) failed the program's own checks (2 seed
       targets truly unsafe; no behaviour below cost 15 without random actions). Since then the
       policy sees its cost to go over b (as the runner's), not over the data's largest cost
       (149), which gave it a cost input of 0-0.19 and a policy that ignored its cost target. */
    {"pointgoal", SAFERL_RL_ENV_POINTGOAL, 250,
     3, {2.0, 10.0, 60.0}, 400000,
     3, {0.0, 0.3, 0.7}, 100,
     4000,
     -1.0, 0.5, 0.0, 4.0, 8, 8,
     8.0,
     -0.5, 0.0,
     2.5, 8.0,
     {1.0, 12.0}, {1.0, 12.0},
     1.0, 8.0, 0.1,
     8.0},
    /* the paper-like task, fixed before its first run. b = 10 of 200 steps (the paper: 20 or 40
       of 1000). The grid from a sweep of the environment under a proportional speed controller
       (return 152 at 0.8 m/s with cost 0, 170 at 0.9 m/s with cost 11): R 110..180, G 0..2.75 b.
       (The first setting, G 0..1.75 b, failed the program's 30%-unsafe rule, 14 of 64: the
       policy spends about 0.7 G, so only G >= 1.5 b was unsafe. The G range alone was widened.)
       The paper's seed box G in [0, b / 4], here with R <= 130 (about 0.7 m/s); the fixed
       target the top of the grid at G = b. The hand-set prior is the paper's, scaled by b:
       cost lengthscale 5 of b = 20 -> b / 4 in G, sd 1 of 20 -> b / 20; reward sd 10
       (variance 100). The policy sees the cost to go over b, as CDT's cost normaliser. */
    {"runner", SAFERL_RL_ENV_RUNNER, 200,
     4, {2.0, 10.0, 40.0, 150.0}, 100000,
     3, {0.0, 0.3, 0.7}, 100,
     10000,
     110.0, 10.0, 0.0, 2.5, 8, 12,
     10.0,
     130.0, 2.5,
     180.0, 10.0,
     {30.0, 2.5}, {20.0, 2.5},
     10.0, 0.5, 0.1,
     10.0},
};

static const env_config *config_by_name(const char *name) {
    size_t i;
    for (i = 0; name && i < sizeof env_configs / sizeof env_configs[0]; ++i)
        if (strcmp(env_configs[i].name, name) == 0) return &env_configs[i];
    return NULL;
}

static int grid_count(const env_config *c) { return c->r_count * c->g_count; }
static void grid_target(const env_config *c, int j, double *z) {
    z[0] = c->r_min + c->r_step * (j / c->g_count);
    z[1] = c->g_min + c->g_step * (j % c->g_count);
}

static void make_env(const env_config *c, saferl_rl_env *env, saferl_rl_builtin *state) {
    memset(env, 0, sizeof *env);
    saferl_rl_env_builtin(env, state, c->kind);
    state->max_steps = c->horizon;
}

/* ---- the summary file: dataset facts, GP scales, the artifacts' hashes, the ground truth --- */

typedef struct summary {
    char env[32];
    uint32_t seed;
    int horizon;
    double budget;
    long dataset_episodes, dataset_steps;
    double reward_mean, reward_sd, cost_mean, cost_sd;  /* over the dataset's episodes */
    double reward_noise_sd, cost_noise_sd;              /* median over mixes of the sd within a mix: one policy's episode spread */
    int behaviour_rows;
    double mix[MAX_BEHAVIOURS * MAX_EPSILONS + 1][4];   /* cost limit (-1 random), epsilon, mean return, mean cost */
    uint32_t policy_bytes, policy_hash, behaviour_bytes, behaviour_hash;
    int truth_count;
    double truth_reward[MAX_GRID], truth_cost[MAX_GRID];
} summary;

/* FNV-1a over the whole file. Not a CRC-32: the policy files end with their own CRC-32, which
   makes every intact file's CRC-32 the same constant and useless for telling two apart. */
static uint32_t artifact_hash(const unsigned char *p, size_t n) {
    uint32_t h = 2166136261u;
    size_t i;
    for (i = 0; i < n; ++i) h = (h ^ p[i]) * 16777619u;
    return h;
}

/* Splits a line at commas into at most max fields (in place); max + 1 when there are more. */
static int split_fields(char *line, char **fields, int max) {
    int n = 0;
    char *p = line;
    while (n < max) {
        fields[n++] = p;
        p = strchr(p, ',');
        if (!p) break;
        *p++ = 0;
    }
    return p ? max + 1 : n;
}

static int parse_double(const char *s, double *out) {
    char *end;
    double v;
    if (!*s) return 0;
    v = strtod(s, &end);
    if (*end || !(v == v) || v > 1e300 || v < -1e300) return 0;
    *out = v;
    return 1;
}

/* Parses and validates a summary written for config c from text (size bytes, changed in place).
   On failure returns 0 with *line (1-based) and *why. */
static int parse_summary(char *text, size_t size, const env_config *c, summary *s, int *line_out, const char **why_out) {
    size_t pos = 0;
    int line = 0, ended = 0, i, seen_env = 0, seen_budget = 0, seen_scales = 0, seen_policy = 0;
    const char *why = NULL;
    memset(s, 0, sizeof *s);
    while (pos < size && !why) {
        char *l = text + pos, *eol = (char *)memchr(l, '\n', size - pos), *f[8];
        int n;
        double v[6];
        if (!eol) {
            why = "truncated: the last line has no end";
            ++line;
            break;
        }
        *eol = 0;
        if (eol > l && eol[-1] == '\r') eol[-1] = 0;
        pos = (size_t)(eol - text) + 1;
        ++line;
        if (ended) { why = "text after the end line"; break; }
        if (line == 1) {
            if (strcmp(l, SUMMARY_MAGIC) != 0) why = "not a pls_lifetime summary (the first line must be \"" SUMMARY_MAGIC "\")";
            continue;
        }
        if (l[0] == '#' || l[0] == 0) continue;
        n = split_fields(l, f, 7);
        for (i = 1; i < n && i < 7; ++i)
            if (!parse_double(f[i], &v[i - 1]) && strcmp(f[0], "env") != 0) { why = "a field is not a finite number"; break; }
        if (why) break;
        if (!strcmp(f[0], "env") && n == 2) {
            if (strcmp(f[1], c->name) != 0) why = "written for another environment";
            snprintf(s->env, sizeof s->env, "%s", f[1]);
            seen_env = 1;
        } else if (!strcmp(f[0], "seed") && n == 2 && v[0] >= 0 && v[0] <= 4294967295.0) s->seed = (uint32_t)v[0];
        else if (!strcmp(f[0], "horizon") && n == 2) {
            if (v[0] != c->horizon) why = "horizon differs from this program's setting";
            else s->horizon = c->horizon; /* converted only once known to fit */
        } else if (!strcmp(f[0], "budget") && n == 2) {
            if (v[0] != c->budget) why = "budget b differs from this program's setting";
            s->budget = v[0];
            seen_budget = 1;
        } else if (!strcmp(f[0], "dataset") && n == 3 && v[0] >= 1 && v[1] >= v[0] && v[1] <= 2147483647.0) {
            s->dataset_episodes = (long)v[0];
            s->dataset_steps = (long)v[1];
        } else if (!strcmp(f[0], "episode_reward") && n == 4 && v[1] > 0 && v[2] > 0) {
            s->reward_mean = v[0];
            s->reward_sd = v[1];
            s->reward_noise_sd = v[2];
            seen_scales |= 1;
        } else if (!strcmp(f[0], "episode_cost") && n == 4 && v[1] > 0 && v[2] > 0) {
            s->cost_mean = v[0];
            s->cost_sd = v[1];
            s->cost_noise_sd = v[2];
            seen_scales |= 2;
        } else if (!strcmp(f[0], "policy") && n == 3 && v[0] >= 16 && v[0] <= 4294967295.0 && v[1] >= 0 &&
                   v[1] <= 4294967295.0) {
            s->policy_bytes = (uint32_t)v[0];
            s->policy_hash = (uint32_t)v[1];
            seen_policy |= 1;
        } else if (!strcmp(f[0], "behaviour") && n == 3 && v[0] >= 16 && v[0] <= 4294967295.0 && v[1] >= 0 &&
                   v[1] <= 4294967295.0) {
            s->behaviour_bytes = (uint32_t)v[0];
            s->behaviour_hash = (uint32_t)v[1];
            seen_policy |= 2;
        } else if (!strcmp(f[0], "mix") && n == 5) {
            if (s->behaviour_rows >= MAX_BEHAVIOURS * MAX_EPSILONS + 1) why = "too many mix lines";
            else memcpy(s->mix[s->behaviour_rows++], v, sizeof s->mix[0]);
        } else if (!strcmp(f[0], "truth") && n == 6) {
            double z[2];
            if (v[0] != s->truth_count || s->truth_count >= grid_count(c)) { why = "truth lines out of order or too many"; break; }
            grid_target(c, s->truth_count, z);
            if (fabs(v[1] - z[0]) > 1e-9 || fabs(v[2] - z[1]) > 1e-9) { why = "the target grid differs from this program's"; break; }
            if (v[4] < 0) { why = "a negative cost"; break; }
            s->truth_reward[s->truth_count] = v[3];
            s->truth_cost[s->truth_count] = v[4];
            s->truth_count += 1;
        } else if (!strcmp(f[0], "end") && n == 2) {
            if (v[0] != s->truth_count || s->truth_count != grid_count(c)) why = "the truth table is incomplete";
            ended = 1;
        } else why = "unknown line or wrong number of fields";
    }
    if (!why && !ended) {
        why = "truncated: no end line";
        ++line;
    }
    if (!why && (!seen_env || !seen_budget || seen_scales != 3 || seen_policy != 3 || !s->dataset_episodes))
        why = "a required line (env, budget, dataset, episode_reward, episode_cost, policy, behaviour) is missing";
    *line_out = line;
    *why_out = why;
    return why == NULL;
}

/* ---- the return-conditioned policy (saferl_rl.h's RCSL) ---------------------------------- */

typedef struct conditioned {
    saferl_rl_rcsl_policy rcsl;
    void *memory;
} conditioned;

static void conditioned_free(conditioned *p) {
    free(p->memory);
    p->memory = NULL;
}

/* Loads and validates a conditioned policy from memory: its format, its size and hash against
   the summary s (NULL: not checked), its environment. 0 and a reason in why on failure. */
static int conditioned_load(const unsigned char *data, size_t size, const summary *s, const saferl_rl_env *env,
                            conditioned *p, char *why, size_t why_size) {
    size_t need = 0;
    saferl_result r;
    memset(p, 0, sizeof *p);
    if ((r = saferl_rl_rcsl_load_size(data, size, &need)) < 0) {
        snprintf(why, why_size, "not a valid conditioned policy: %s", saferl_result_string(r));
        return 0;
    }
    if (s && (size != s->policy_bytes || artifact_hash(data, size) != s->policy_hash)) {
        snprintf(why, why_size, "does not match its summary (size or hash differs): regenerate the artifacts");
        return 0;
    }
    p->memory = malloc(need ? need : 1);
    if (!p->memory || (r = saferl_rl_rcsl_load(&p->rcsl, data, size, p->memory, need)) < 0) {
        snprintf(why, why_size, "%s", p->memory ? saferl_result_string(r) : "out of memory");
        conditioned_free(p);
        return 0;
    }
    if (p->rcsl.observation_dim != env->observation_dim ||
        saferl_rl_policy_check_env(&p->rcsl.policy, env) == SAFERL_OK /* the net's input is obs + 2 */) {
        snprintf(why, why_size, "a conditioned policy for another environment");
        conditioned_free(p);
        return 0;
    }
    return 1;
}

/* saferl_rl_rcsl_evaluate through a context of its own (acting only reads the policy). */
static saferl_result conditioned_evaluate(const conditioned *p, const saferl_rl_env *env, const double *z, int episodes,
                                          int horizon, saferl_rng *rng, double *returns, double *costs) {
    saferl_rl_rcsl_context context;
    size_t size = saferl_rl_rcsl_context_memory_size(&p->rcsl);
    void *memory = malloc(size);
    saferl_result r = memory ? saferl_rl_rcsl_context_init(&context, &p->rcsl, memory, size) : SAFERL_ERR_OUT_OF_MEMORY;
    if (r == SAFERL_OK)
        r = saferl_rl_rcsl_evaluate(&p->rcsl, &context, env, z[0], z[1], episodes, horizon, 0, rng, returns, costs, NULL,
                                    NULL);
    free(memory);
    return r;
}

/* ---- deployment: evaluations of a target, each EPISODES_PER_EVAL episodes ---------------- */

typedef struct episode_log {
    double *returns, *costs;
    int count, capacity;
} episode_log;

static int log_reserve(episode_log *log, int more) {
    if (log->count + more > log->capacity) {
        int cap = (log->count + more) * 2;
        double *r = (double *)realloc(log->returns, sizeof(double) * (size_t)cap);
        double *c;
        if (!r) return 0;
        log->returns = r;
        c = (double *)realloc(log->costs, sizeof(double) * (size_t)cap);
        if (!c) return 0;
        log->costs = c;
        log->capacity = cap;
    }
    return 1;
}

typedef struct deployer {
    const env_config *config;
    const conditioned *policy;
    saferl_rl_env env;
    saferl_rl_builtin state;
    saferl_rng rng;
    episode_log *log;
} deployer;

/* EPISODES_PER_EVAL episodes with target z into the log, their means; 0 on failure. */
static int deploy_evaluate(deployer *d, const double *z, double *reward, double *cost) {
    double sr = 0.0, sc = 0.0;
    int i;
    if (!log_reserve(d->log, EPISODES_PER_EVAL)) return 0;
    if (conditioned_evaluate(d->policy, &d->env, z, EPISODES_PER_EVAL, d->config->horizon, &d->rng,
                             d->log->returns + d->log->count, d->log->costs + d->log->count) < 0)
        return 0;
    for (i = 0; i < EPISODES_PER_EVAL; ++i) {
        sr += d->log->returns[d->log->count + i];
        sc += d->log->costs[d->log->count + i];
    }
    d->log->count += EPISODES_PER_EVAL;
    *reward = sr / EPISODES_PER_EVAL;
    *cost = sc / EPISODES_PER_EVAL;
    return 1;
}

/* ---- the GP prior fitted before deployment ------------------------------------------------

   The hand-set prior (env_config's deviation sds and lengthscales) can be fitted instead, from
   offline material only, before the first deployment evaluation: the conditioned policy is run
   on PRIOR_TARGETS targets drawn uniformly in the box the dataset's behaviour mixes span (their
   mean return and cost; the random policy's mix lies far outside every grid and is left out),
   PRIOR_EPISODES episodes each, in a pre-deployment test bench (here: the same simulator with
   a seed of its own, seed + 4000). For each model (reward deviation J_r - R, cost deviation
   J_g - G) the constant prior mean and fixed scale are those points' mean and sd
   (saferl_gp_normalize_from_data), and the signal variance and lengthscales maximise the log
   marginal likelihood (saferl_gp_fit, Rprop, 8 restarts; noise fixed at the measured episode
   spread over PRIOR_EPISODES; lengthscales between one grid step and ten grid spans, signal
   variance 1e-2..1e2). The deployment's own evaluations never enter the fit.
   Why a box and not the mixes' own means: nine points, all near the data's frontier, fitted a
   near-constant deviation (sd 0.02, G lengthscale at its bound) that was far too confident
   elsewhere on the grid. Departure from the paper, which fixes the prior by hand: these
   test-bench runs are extra episodes that a real deployment would have to buy in a simulator,
   and many of the box's targets are unsafe. */

#define PRIOR_TARGETS 32
#define PRIOR_EPISODES 25

typedef struct prior_fit {
    int points;                        /* targets evaluated */
    double offset[2], scale[2];        /* constant prior mean, fixed scale: reward, cost */
    double signal_variance[2];         /* in the scaled units */
    double lengthscale[2][2];          /* (R, G) units */
    double log_marginal_likelihood[2];
} prior_fit;

/* 1 on success. Reads only the summary's mixes, the policy and the seed. */
static int fit_prior(const env_config *c, const summary *s, const conditioned *p, uint32_t seed, prior_fit *f) {
    double z[2 * PRIOR_TARGETS], y[2][PRIOR_TARGETS];
    double returns[PRIOR_EPISODES], costs[PRIOR_EPISODES];
    double span[2], lo[2] = {1e300, 1e300}, hi[2] = {-1e300, -1e300};
    saferl_rl_env env;
    saferl_rl_builtin state;
    saferl_rng rng;
    int i, k, n;
    memset(f, 0, sizeof *f);
    make_env(c, &env, &state);
    saferl_rng_seed(&rng, seed + 4000u);
    for (i = 0; i < s->behaviour_rows; ++i)
        for (k = 0; k < 2 && s->mix[i][0] >= 0; ++k) { /* not the random policy */
            if (s->mix[i][2 + k] < lo[k]) lo[k] = s->mix[i][2 + k];
            if (s->mix[i][2 + k] > hi[k]) hi[k] = s->mix[i][2 + k];
        }
    if (!(lo[0] <= hi[0])) return 0;
    for (n = 0; n < PRIOR_TARGETS; ++n) {
        double sr = 0.0, sc = 0.0;
        int e;
        for (k = 0; k < 2; ++k) z[2 * n + k] = lo[k] + (hi[k] - lo[k]) * saferl_rng_uniform(&rng);
        if (conditioned_evaluate(p, &env, z + 2 * n, PRIOR_EPISODES, c->horizon, &rng, returns, costs) < 0) return 0;
        for (e = 0; e < PRIOR_EPISODES; ++e) {
            sr += returns[e];
            sc += costs[e];
        }
        y[0][n] = sr / PRIOR_EPISODES - z[2 * n];
        y[1][n] = sc / PRIOR_EPISODES - z[2 * n + 1];
    }
    if (n < 3) return 0;
    f->points = n;
    span[0] = c->r_step * (c->r_count - 1);
    span[1] = c->g_step * (c->g_count - 1);
    for (k = 0; k < 2; ++k) {
        saferl_gp gp;
        saferl_gp_desc gd;
        saferl_gp_fit_desc fd;
        saferl_gp_fit_report rep;
        double noise_sd = k ? s->cost_noise_sd : s->reward_noise_sd;
        double ls[2];
        int ok;
        ls[0] = span[0] / 2;
        ls[1] = span[1] / 2;
        memset(&gd, 0, sizeof gd);
        gd.dim = 2;
        gd.capacity = (uint32_t)n;
        gd.ard = 1;
        gd.lengthscale = ls;
        if (saferl_gp_create(&gp, &gd) < 0) return 0;
        memset(&fd, 0, sizeof fd);
        fd.restarts = 8;
        fd.seed = seed;
        fd.signal_bounds[0] = 1e-2;
        fd.signal_bounds[1] = 1e2;
        fd.lengthscale_bounds[0] = c->r_step < c->g_step ? c->r_step : c->g_step;
        fd.lengthscale_bounds[1] = 10.0 * (span[0] > span[1] ? span[0] : span[1]);
        fd.fix_noise = 1;
        ok = saferl_gp_set_data(&gp, z, y[k], (uint32_t)n) >= 0 && saferl_gp_normalize_from_data(&gp) >= 0 &&
             saferl_gp_set_hyperparameters(&gp, 1.0, ls, noise_sd * noise_sd / (gp.y_scale * gp.y_scale) / PRIOR_EPISODES) >= 0 &&
             saferl_gp_fit(&gp, &fd, &rep) >= 0;
        if (ok) {
            f->offset[k] = gp.y_offset;
            f->scale[k] = gp.y_scale;
            f->signal_variance[k] = gp.signal_variance;
            f->lengthscale[k][0] = gp.lengthscale[0];
            f->lengthscale[k][1] = gp.lengthscale[1];
            f->log_marginal_likelihood[k] = rep.log_marginal_likelihood;
        }
        saferl_gp_destroy(&gp);
        if (!ok) return 0;
    }
    return 1;
}

/* What one method did in one deployment. */
typedef struct method_result {
    const char *name;
    int unsafe_evaluations;   /* (a); -1: not applicable */
    int unsafe_episodes;      /* (b) */
    int episodes;
    double final_reward, final_cost; /* true values of the final target / policy */
    int final_index;          /* grid index, -1 for fine-tuning */
    episode_log log;
    int eval_index[EVALUATIONS];
    double eval_reward[EVALUATIONS], eval_cost[EVALUATIONS];
    int eval_stage[EVALUATIONS];
} method_result;

static int count_over(const episode_log *log, double b) {
    int i, n = 0;
    for (i = 0; i < log->count; ++i) n += log->costs[i] > b;
    return n;
}

typedef struct grid_state {
    double targets[2 * MAX_GRID];
    unsigned char seed_set[MAX_GRID];
    double cost_upper[MAX_GRID];     /* the cost GP's u_g after the last evaluation */
    unsigned char safe[EVALUATIONS + 1][MAX_GRID]; /* safe set before each evaluation, and at the end */
    int count;
} grid_state;

static void fill_grid(const env_config *c, grid_state *g) {
    int j;
    g->count = grid_count(c);
    for (j = 0; j < g->count; ++j) {
        grid_target(c, j, g->targets + 2 * j);
        g->seed_set[j] = g->targets[2 * j] <= c->seed_r_max + 1e-9 && g->targets[2 * j + 1] <= c->seed_g_max + 1e-9;
    }
}

/* Clamped in floating point first: a far-off (or NaN) target never reaches an int conversion. */
static int nearest_index(const env_config *c, double r, double g) {
    double x = floor((r - c->r_min) / c->r_step + 0.5), y = floor((g - c->g_min) / c->g_step + 0.5);
    int i = x >= 0.0 ? (x < c->r_count - 1 ? (int)x : c->r_count - 1) : 0;
    int k = y >= 0.0 ? (y < c->g_count - 1 ? (int)y : c->g_count - 1) : 0;
    return i * c->g_count + k;
}

static double finite_set_beta(int count, int t, double delta) {
    return sqrt(2.0 * log((double)count * t * t * 3.14159265358979323846 * 3.14159265358979323846 / (6.0 * delta)));
}

/* ---- the online loop, one evaluation per step ---------------------------------------------

   PLS's online stage (Alg. 1: StageOpt with L = 0 on a grid of targets), with Theorem 1's
   model: J(pi_z) = z + a GP deviation F(z). The GPs hold the deviations J_r - R and J_g - G
   (prior mean 0, the signal scales fixed beforehand), so the bounds are
   u_g(z) = G + mu_F(z) + beta sd_F(z), intersected over time (Lambda_0 = [0, b] on the seed set,
   [0, inf) elsewhere). saferl_gp_pls_* holds one constant prior mean per GP and one constant
   threshold, which cannot state m(z) = z: this loop is the same algorithm on saferl_gp and
   saferl_gp_grid (the GP-only safe set, every safe target an expander while some target is
   unsafe, stage 1 by the widest cost interval, stage 2 safe UCB on the reward). The final
   target is the safe target with the best reward lower bound.
   GP-UCB: the same reward model and beta schedule, no cost model; its final target the best
   reward lower bound. The fixed target: c->fixed_r, c->fixed_g every time. beta before
   evaluation t (1-based) is the finite-set schedule sqrt(2 log(|Z| t^2 pi^2 / (6 delta))),
   delta 0.05. */

typedef enum method_kind { METHOD_PLS, METHOD_FIXED, METHOD_GP_UCB } method_kind;

typedef struct method_run {
    method_kind kind;
    const env_config *config;
    const summary *sum;
    grid_state *grid;
    method_result *result;
    deployer dep;
    saferl_gp gp[2];                 /* 0 reward deviation, 1 cost deviation (PLS only) */
    saferl_gp_grid gpg[2];
    void *gpg_memory[2];
    int models;
    double lower[MAX_GRID], upper[MAX_GRID]; /* the cost interval (PLS) */
    double reward_upper[MAX_GRID], reward_lower[MAX_GRID];
    unsigned char safe[MAX_GRID];    /* PLS's safe set now */
    int done, stage, any_unsafe, failed;
    double beta;                     /* of the bounds now */
    double cost_prior_sd;            /* the cost deviation's prior sd (stage 1's tolerance unit) */
} method_run;

/* The bounds for evaluation done + 1 (after the last one: the final bounds). */
static int method_run_bounds(method_run *run) {
    grid_state *g = run->grid;
    const env_config *c = run->config;
    int j, k;
    if (run->kind == METHOD_FIXED) return 1;
    run->beta = finite_set_beta(g->count, run->done + 1, 0.05);
    for (k = 0; k < run->models; ++k)
        if (saferl_gp_grid_update(&run->gpg[k], &run->gp[k]) < 0) return 0;
    run->any_unsafe = 0;
    for (j = 0; j < g->count; ++j) {
        double sd_r = sqrt(run->gpg[0].var[j] > 0 ? run->gpg[0].var[j] : 0);
        run->reward_upper[j] = g->targets[2 * j] + run->gpg[0].mean[j] + run->beta * sd_r;
        run->reward_lower[j] = g->targets[2 * j] + run->gpg[0].mean[j] - run->beta * sd_r;
        if (run->kind == METHOD_PLS) {
            double sd_c = sqrt(run->gpg[1].var[j] > 0 ? run->gpg[1].var[j] : 0);
            double u = g->targets[2 * j + 1] + run->gpg[1].mean[j] + run->beta * sd_c;
            double l = g->targets[2 * j + 1] + run->gpg[1].mean[j] - run->beta * sd_c;
            double nu = u < run->upper[j] ? u : run->upper[j], nl = l > run->lower[j] ? l : run->lower[j];
            if (nl <= nu) { run->upper[j] = nu; run->lower[j] = nl; }
            else { run->upper[j] = u; run->lower[j] = l < 0 ? 0 : l; } /* an empty intersection: the model was wrong; keep the fresh interval */
            if (run->upper[j] <= c->budget) run->safe[j] = 1;
            run->any_unsafe |= !run->safe[j];
            g->cost_upper[j] = run->upper[j];
        }
    }
    if (run->kind == METHOD_PLS) memcpy(g->safe[run->done], run->safe, (size_t)g->count);
    return 1;
}

static void method_run_free(method_run *run) {
    int k;
    for (k = 0; k < run->models; ++k) {
        saferl_gp_destroy(&run->gp[k]);
        free(run->gpg_memory[k]);
        run->gpg_memory[k] = NULL;
    }
    run->models = 0;
}

/* Sets up a deployment of one method (g filled by fill_grid; m zeroed by the caller, its log
   grows); 0 on failure. */
/* prior: a fitted prior (fit_prior), or NULL for env_config's hand-set one. */
static int method_run_init(method_run *run, method_kind kind, const env_config *c, const summary *s,
                           const conditioned *p, uint32_t seed, grid_state *g, method_result *m, const prior_fit *prior) {
    static const char *const names[3] = {"PLS", "fixed target", "GP-UCB (no constraint)"};
    int j, k;
    memset(run, 0, sizeof *run);
    run->kind = kind;
    run->config = c;
    run->sum = s;
    run->grid = g;
    run->result = m;
    run->stage = 1;
    run->dep.config = c;
    run->dep.policy = p;
    make_env(c, &run->dep.env, &run->dep.state);
    saferl_rng_seed(&run->dep.rng, seed);
    run->dep.log = &m->log;
    m->name = names[kind];
    if (kind == METHOD_FIXED) {
        m->final_index = nearest_index(c, c->fixed_r, c->fixed_g);
        return 1;
    }
    for (k = 0; k < (kind == METHOD_PLS ? 2 : 1); ++k) {
        double noise_sd = k ? s->cost_noise_sd : s->reward_noise_sd, scale = k ? c->cost_deviation_sd : c->reward_deviation_sd;
        size_t size = saferl_gp_grid_memory_size((uint32_t)g->count, EVALUATIONS);
        saferl_gp_desc gd;
        memset(&gd, 0, sizeof gd);
        gd.dim = 2;
        gd.capacity = EVALUATIONS;
        gd.ard = 1;
        gd.lengthscale = k ? c->cost_lengthscale : c->reward_lengthscale;
        if (prior) {
            scale = prior->scale[k];
            gd.lengthscale = prior->lengthscale[k];
            gd.signal_variance = prior->signal_variance[k];
            gd.y_offset = prior->offset[k];
        }
        gd.y_scale = scale;
        if (k) run->cost_prior_sd = scale * sqrt(gd.signal_variance > 0 ? gd.signal_variance : 1.0);
        gd.noise_variance = noise_sd * noise_sd / (scale * scale) / EPISODES_PER_EVAL;
        if (saferl_gp_create(&run->gp[k], &gd) < 0) break;
        run->models = k + 1;
        run->gpg_memory[k] = malloc(size);
        if (!run->gpg_memory[k] ||
            saferl_gp_grid_init(&run->gpg[k], &run->gp[k], g->targets, (uint32_t)g->count, run->gpg_memory[k], size) < 0)
            break;
    }
    if (run->models != (kind == METHOD_PLS ? 2 : 1) || (kind == METHOD_PLS && !run->gpg_memory[1]) ||
        (kind != METHOD_PLS && !run->gpg_memory[0])) {
        method_run_free(run);
        return 0;
    }
    for (j = 0; j < g->count; ++j) {
        run->safe[j] = g->seed_set[j];
        run->lower[j] = 0.0;
        run->upper[j] = g->seed_set[j] ? c->budget : 1e300;
    }
    if (!method_run_bounds(run)) {
        method_run_free(run);
        return 0;
    }
    return 1;
}

/* One evaluation: the method's choice, EPISODES_PER_EVAL episodes there, the models updated.
   Returns the evaluated grid index; -1 after EVALUATIONS (the final target is then in the
   result); -2 on failure. */
static int method_run_step(method_run *run) {
    const env_config *c = run->config;
    grid_state *g = run->grid;
    method_result *m = run->result;
    int i = run->done, j, choice = -1;
    double best = -1e300, reward, cost;
    if (run->failed) return -2;
    if (i >= EVALUATIONS) return -1;
    if (run->kind == METHOD_FIXED) choice = m->final_index;
    else if (run->kind == METHOD_GP_UCB) {
        for (j = 0; j < g->count; ++j)
            if (run->reward_upper[j] > best) {
                best = run->reward_upper[j];
                choice = j;
            }
    } else {
        if (run->stage == 1) { /* expansion: the widest cost interval among the safe targets */
            for (j = 0; j < g->count; ++j)
                if (run->safe[j] && run->upper[j] - run->lower[j] > best) {
                    best = run->upper[j] - run->lower[j];
                    choice = j;
                }
            if (!run->any_unsafe || best <= c->stage_tolerance * run->cost_prior_sd || i >= EVALUATIONS / 2) run->stage = 2;
        }
        if (run->stage == 2) { /* safe UCB on the reward */
            best = -1e300;
            for (j = 0; j < g->count; ++j)
                if (run->safe[j] && run->reward_upper[j] > best) {
                    best = run->reward_upper[j];
                    choice = j;
                }
        }
    }
    if (choice < 0 || !deploy_evaluate(&run->dep, g->targets + 2 * choice, &reward, &cost) ||
        (run->models > 0 && saferl_gp_add(&run->gp[0], g->targets + 2 * choice, reward - g->targets[2 * choice]) < 0) ||
        (run->models > 1 && saferl_gp_add(&run->gp[1], g->targets + 2 * choice, cost - g->targets[2 * choice + 1]) < 0)) {
        run->failed = 1;
        return -2;
    }
    m->eval_index[i] = choice;
    m->eval_reward[i] = reward;
    m->eval_cost[i] = cost;
    m->eval_stage[i] = run->kind == METHOD_PLS ? run->stage : 0;
    m->unsafe_evaluations += run->sum->truth_cost[choice] > c->budget;
    run->done += 1;
    if (!method_run_bounds(run)) {
        run->failed = 1;
        return -2;
    }
    if (run->done == EVALUATIONS && run->kind != METHOD_FIXED) { /* the final target: the best reward lower bound */
        best = -1e300;
        for (j = 0; j < g->count; ++j)
            if ((run->kind == METHOD_GP_UCB || run->safe[j]) && run->reward_lower[j] > best) {
                best = run->reward_lower[j];
                m->final_index = j;
            }
    }
    return choice;
}

/* The counts and the final target's true values once all evaluations are done. */
static void method_result_finish(method_result *m, const summary *s, double budget) {
    m->episodes = m->log.count;
    m->unsafe_episodes = count_over(&m->log, budget);
    if (m->final_index >= 0) {
        m->final_reward = s->truth_reward[m->final_index];
        m->final_cost = s->truth_cost[m->final_index];
    }
}

/* A whole deployment of one method; 0 on failure. */
static int method_run_all(method_kind kind, const env_config *c, const summary *s, const conditioned *p, uint32_t seed,
                          grid_state *g, method_result *m, const prior_fit *prior) {
    method_run *run = (method_run *)malloc(sizeof *run);
    int r = -2;
    if (!run) return 0;
    if (method_run_init(run, kind, c, s, p, seed, g, m, prior)) {
        while ((r = method_run_step(run)) >= 0) {}
        method_run_free(run);
    }
    free(run);
    if (r != -1) return 0;
    method_result_finish(m, s, c->budget);
    return 1;
}

#endif /* PLS_LOOP_H */
