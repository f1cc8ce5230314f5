// SPDX-License-Identifier: MIT OR Unlicense
/* rl_rcsl - return-conditioned supervised learning with saferl_rl.h: record logged
   trajectories, train a policy conditioned on the remaining reward and cost, and check that
   it follows its targets.

   rl_rcsl collect --env NAME --out data.srld --seed S
                   [--policy policy.srlp] [--epsilon E] [--episodes N] [--deterministic] [--append]
                   [--behaviours]   (gridworld: the built-in mix of behaviours, see below)
   rl_rcsl train   --data data.srld --out policy.srlc --seed S [--steps N] [--hidden 64,64]
                   [--minibatch B] [--lr L] [--arch mlp|transformer] [--cost-scale C]
                   [--relabel F]
                   [--context K] [--layers L] [--heads H] [--d-model D]   (transformer)
   rl_rcsl eval    --policy policy.srlc --env NAME --seed S [--episodes N] [--horizon T]
                   (--reward R --cost C | --grid 5x5 --data data.srld [--png grid.png]
                    | --target mtro --data data.srld --cost B [--kappa K])
   rl_rcsl check   --seeds 1,2,3 [--png check.png] [--arch mlp|transformer]
                   the whole pipeline on the lava gridworld per seed (settings below), printing
                   the Spearman correlations of the achieved returns with the reward targets
                   and of the achieved costs with the cost targets over a 5x5 target grid.

   The built-in behaviours (gridworld): three tabular paths to the goal — straight through
   the lava (6 steps, return 44, cost 3), along row 2 beside the lava (return 42) and along
   row 3 (return 40) — each mixed with epsilon-random actions at epsilon 0, 0.2, 0.4 and 0.6,
   `--episodes` episodes (default 60) per combination.
   The target grid of eval --grid: 5 (or the asked number of) evenly spaced reward targets
   from the 10th to the 90th percentile of the dataset's episode returns, the same for the
   cost; each point is `--episodes` (default 50) stochastic episodes.
   check's settings (fixed before the first run): the behaviours above with 60 episodes each
   (collection seed = the seed), a {64, 64} tanh MLP, minibatch 256, Adam 1e-3, 3000 steps
   (seed = the seed), the 5x5 grid from the dataset, 50 episodes per point (seed = the seed),
   Spearman over the 25 points with average ranks for ties.
   The examples use the MLP unless --arch transformer is given. The transformer (the
   Constrained Decision Transformer's form): context 10 steps, 2 layers, 2 heads, d_model 32,
   GELU MLP 128, minibatch 64 windows, Adam 1e-3; check trains it for 1000 steps, otherwise
   the same settings as the MLP's.

   train --relabel F: CDT's return relabelling (saferl_rl.h's RCSL notes) adds floor(F x episodes)
   relabelled episodes, 0 < F <= 1 (CDT's code: 0.2); none unless given.
   train --cost-scale C: the network sees the cost to go over C (CDT's cost normaliser, as
   pls_lifetime's PointGoal and runner policies, C = b) instead of over the data's largest.
   eval --horizon T: episodes end after T steps (the environment's own cap unless given; set it
   to the horizon the data were logged at, e.g. pls_lifetime's 250 on PointGoal).
   eval --target mtro chooses the targets from the offline data alone (saferl_rl_dataset_mtro_targets,
   after Multi-Game Decision Transformers' expert-return inference): the episodes with cost <= B,
   weighted by exp(K (R - R_low) / (R_high - R_low)), K 10 as in that paper unless --kappa; the
   targets are their weighted mean return and cost. B is the cost limit: it has no default.

   Output is CSV on stdout; errors go to stderr as "rl_rcsl: path: reason" with exit 1 (bad
   files) or 2 (bad arguments). The policies act with the remaining targets, which drop by
   each step's reward and cost (Decision Transformer / CDT). */
#include "cli.h" /* first: it asks for POSIX */
#define SAFERL_RL_IMPLEMENTATION
#include "saferl_rl.h"
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#include "plot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_GRID 9
#define MAX_SEEDS 8

#define USAGE "collect --env NAME --out data.srld [--seed S] [--policy p.srlp] [--epsilon E] [--episodes N]" \
              " [--deterministic] [--append] [--behaviours]\n" \
              "       rl_rcsl train --data data.srld --out p.srlc [--seed S] [--steps N] [--hidden 64,64] [--minibatch B]" \
              " [--lr L] [--arch mlp|transformer] [--context K] [--layers L] [--heads H] [--d-model D] [--cost-scale C]" \
              " [--relabel F]\n" \
              "       rl_rcsl eval --policy p.srlc --env NAME [--seed S] [--episodes N] [--horizon T] (--reward R --cost C | --grid KxK" \
              " --data data.srld [--png grid.png] | --target mtro --data data.srld --cost B [--kappa K])\n" \
              "       rl_rcsl check [--seeds 1,2,3] [--png check.png] [--arch mlp|transformer]"

/* Bytes from a saver, written whole or not at all. 0, or 1 after a message naming the path. */
static int write_saved(const char *path, unsigned char *buffer, size_t size, saferl_result saved) {
    int failed;
    if (saved != SAFERL_OK) {
        fprintf(stderr, "rl_rcsl: %s: %s\n", path, buffer ? saferl_result_string(saved) : "out of memory");
        free(buffer);
        return 1;
    }
    failed = cli_write_file(path, buffer, size);
    free(buffer);
    return failed;
}

static int save_dataset(const saferl_rl_dataset *ds, const char *path) {
    size_t size = saferl_rl_dataset_saved_size(ds), written = 0;
    unsigned char *buffer = (unsigned char *)malloc(size);
    saferl_result r = buffer ? saferl_rl_dataset_save(ds, buffer, size, &written) : SAFERL_ERR_OUT_OF_MEMORY;
    return write_saved(path, buffer, written, r);
}

static int save_rcsl(const saferl_rl_rcsl_policy *policy, const char *path) {
    size_t size = saferl_rl_rcsl_saved_size(policy), written = 0;
    unsigned char *buffer = (unsigned char *)malloc(size);
    saferl_result r = buffer ? saferl_rl_rcsl_save(policy, buffer, size, &written) : SAFERL_ERR_OUT_OF_MEMORY;
    return write_saved(path, buffer, written, r);
}

/* "a,b,c": up to max whole numbers in [lo, hi] into out. 0, or 2 after the usage message. */
static int parse_list(const cli *c, const char *flag, const char *text, int lo, int hi, int max, int *out, int *count) {
    char buf[256], *tok;
    if (strlen(text) >= sizeof buf) return cli_usage_error(c, "%s: too long", flag);
    strcpy(buf, text);
    *count = 0;
    for (tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        if (*count == max) return cli_usage_error(c, "%s: at most %d values", flag, max);
        if (cli_count_int(c, flag, tok, lo, hi, &out[(*count)++])) return 2;
    }
    return *count ? 0 : cli_usage_error(c, "%s: no value given", flag);
}

/* A file error names the OS's reason (the loaders leave errno for SAFERL_ERR_IO). */
static int fail(const char *path, saferl_result r) {
    const char *reason = r == SAFERL_ERR_IO ? strerror(errno) : saferl_result_string(r);
    fprintf(stderr, "rl_rcsl: %s: %s\n", path, reason);
    return 1;
}

/* ---- the built-in behaviours: tabular gridworld paths ------------------------------------ */

#define GRID_CELLS (SAFERL_RL_GRID_ROWS * SAFERL_RL_GRID_COLUMNS)
typedef struct path_policy {
    saferl_rl_policy policy;
    float memory[4 * GRID_CELLS + 4];
    float scratch[GRID_CELLS + 4 + 4]; /* the acting context: observation, logits, action */
    saferl_rl_policy_context context;
} path_policy;

/* One linear layer over the one-hot cell: logit 20 for the path's action, 0 for the rest.
   path_row 1 goes right along row 1 (through the lava); path_row k > 1 goes down to row k,
   right to the goal's column, then up. */
static void path_policy_make(path_policy *p, int path_row) {
    const int C = SAFERL_RL_GRID_COLUMNS;
    int cell;
    memset(p, 0, sizeof *p);
    saferl_rl_mlp_define(&p->policy.net, GRID_CELLS, NULL, 0, 4, SAFERL_RL_TANH);
    p->policy.action_kind = SAFERL_RL_DISCRETE;
    p->policy.observation_dim = GRID_CELLS;
    p->policy.action_dim = 4;
    p->policy.params = p->memory;
    saferl_rl_policy_context_init(&p->context, p->scratch, sizeof p->scratch);
    for (cell = 0; cell < GRID_CELLS; ++cell) {
        int row = cell / C, column = cell % C;
        int action = column == C - 2 ? 0 : (row < path_row ? 2 : (row == path_row ? 1 : 0));
        p->memory[action * GRID_CELLS + cell] = 20.0f;
    }
}

static saferl_result collect_behaviours(saferl_rl_dataset *ds, const saferl_rl_env *env, int episodes, saferl_rng *rng) {
    static const int rows[3] = {1, 2, 3};
    static const double epsilons[4] = {0.0, 0.2, 0.4, 0.6};
    path_policy p;
    int i, j;
    saferl_result r = SAFERL_OK;
    for (i = 0; i < 3 && r == SAFERL_OK; ++i)
        for (j = 0; j < 4 && r == SAFERL_OK; ++j) {
            path_policy_make(&p, rows[i]);
            r = saferl_rl_dataset_collect(ds, &p.policy, &p.context, env, episodes, 0, 1, epsilons[j], rng, NULL, NULL);
        }
    return r;
}

/* ---- statistics ------------------------------------------------------------------------------ */

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : (x > y ? 1 : 0);
}

/* the q-quantile by linear interpolation (numpy's default) of n values, sorted in place */
static double quantile(double *v, int n, double q) {
    double pos;
    int lo;
    qsort(v, (size_t)n, sizeof *v, compare_doubles);
    pos = q * (n - 1);
    lo = (int)pos;
    return lo + 1 < n ? v[lo] + (pos - lo) * (v[lo + 1] - v[lo]) : v[n - 1];
}

/* average ranks (ties share the mean of their positions), 1-based */
static void ranks(const double *v, int n, double *out) {
    int i, j;
    for (i = 0; i < n; ++i) {
        int less = 0, equal = 0;
        for (j = 0; j < n; ++j) {
            less += v[j] < v[i];
            equal += v[j] == v[i];
        }
        out[i] = less + (equal + 1) / 2.0;
    }
}

/* Spearman's rho: Pearson's correlation of the average ranks (NaN if a side is constant). */
static double spearman(const double *x, const double *y, int n) {
    double rx[MAX_GRID * MAX_GRID], ry[MAX_GRID * MAX_GRID], mx = 0.0, my = 0.0, sxy = 0.0, sxx = 0.0, syy = 0.0;
    int i;
    ranks(x, n, rx);
    ranks(y, n, ry);
    for (i = 0; i < n; ++i) {
        mx += rx[i] / n;
        my += ry[i] / n;
    }
    for (i = 0; i < n; ++i) {
        sxy += (rx[i] - mx) * (ry[i] - my);
        sxx += (rx[i] - mx) * (rx[i] - mx);
        syy += (ry[i] - my) * (ry[i] - my);
    }
    return sxy / sqrt(sxx * syy);
}

/* ---- the target grid --------------------------------------------------------------------------- */

typedef struct grid_result {
    int k;                                   /* k x k targets */
    double reward_target[MAX_GRID], cost_target[MAX_GRID];
    double achieved_return[MAX_GRID][MAX_GRID], achieved_cost[MAX_GRID][MAX_GRID]; /* [cost i][reward j] */
    double rho_reward, rho_cost;
} grid_result;

static saferl_result grid_targets(const saferl_rl_dataset *ds, grid_result *g) {
    double *rets, *costs, r_lo, r_hi, c_lo, c_hi;
    long e, E = ds->episode_count;
    int i;
    if (E < 1) return SAFERL_ERR_NO_DATA;
    rets = (double *)malloc(sizeof(double) * (size_t)E);
    costs = (double *)malloc(sizeof(double) * (size_t)E);
    if (!rets || !costs) {
        free(rets);
        free(costs);
        return SAFERL_ERR_OUT_OF_MEMORY;
    }
    for (e = 0; e < E; ++e) saferl_rl_dataset_episode_return(ds, e, &rets[e], &costs[e]);
    r_lo = quantile(rets, (int)E, 0.1);
    r_hi = quantile(rets, (int)E, 0.9);
    c_lo = quantile(costs, (int)E, 0.1);
    c_hi = quantile(costs, (int)E, 0.9);
    for (i = 0; i < g->k; ++i) {
        g->reward_target[i] = r_lo + (r_hi - r_lo) * i / (g->k - 1);
        g->cost_target[i] = c_lo + (c_hi - c_lo) * i / (g->k - 1);
    }
    free(rets);
    free(costs);
    return SAFERL_OK;
}

/* saferl_rl_rcsl_evaluate through a context of its own (acting only reads the policy). */
static saferl_result rcsl_evaluate(const saferl_rl_rcsl_policy *policy, const saferl_rl_env *env, double reward,
                                   double cost, int episodes, saferl_rng *rng, double *mean_return, double *mean_cost) {
    saferl_rl_rcsl_context context;
    size_t size = saferl_rl_rcsl_context_memory_size(policy);
    void *memory = malloc(size);
    saferl_result r = memory ? saferl_rl_rcsl_context_init(&context, policy, memory, size) : SAFERL_ERR_OUT_OF_MEMORY;
    if (r == SAFERL_OK)
        r = saferl_rl_rcsl_evaluate(policy, &context, env, reward, cost, episodes, 0, 0, rng, NULL, NULL, mean_return,
                                    mean_cost);
    free(memory);
    return r;
}

static saferl_result grid_evaluate(const saferl_rl_rcsl_policy *policy, const saferl_rl_env *env, int episodes,
                                   uint32_t seed, grid_result *g) {
    double rt[MAX_GRID * MAX_GRID], ct[MAX_GRID * MAX_GRID], ar[MAX_GRID * MAX_GRID], ac[MAX_GRID * MAX_GRID];
    saferl_rng rng;
    int i, j, n = 0;
    saferl_rng_seed(&rng, seed);
    for (i = 0; i < g->k; ++i)
        for (j = 0; j < g->k; ++j) {
            saferl_result r = rcsl_evaluate(policy, env, g->reward_target[j], g->cost_target[i], episodes, &rng,
                                            &g->achieved_return[i][j], &g->achieved_cost[i][j]);
            if (r != SAFERL_OK) return r;
            rt[n] = g->reward_target[j];
            ct[n] = g->cost_target[i];
            ar[n] = g->achieved_return[i][j];
            ac[n] = g->achieved_cost[i][j];
            ++n;
        }
    g->rho_reward = spearman(rt, ar, n);
    g->rho_cost = spearman(ct, ac, n);
    return SAFERL_OK;
}

static void grid_print(const grid_result *g, const char *prefix) {
    int i, j;
    for (i = 0; i < g->k; ++i)
        for (j = 0; j < g->k; ++j)
            printf("%s%.3f,%.3f,%.3f,%.3f\n", prefix, g->reward_target[j], g->cost_target[i], g->achieved_return[i][j],
                   g->achieved_cost[i][j]);
}

/* A heat map of values[i][j] (cost target i up the y axis, reward target j along x) in
   the box (x0, y0)-(x1, y1), the numbers written in the cells. */
static void heat_map(plot_canvas *c, int x0, int y0, int x1, int y1, const grid_result *g, int costs,
                     const char *title) {
    double lo = 1e300, hi = -1e300, cw = (double)(x1 - x0) / g->k, ch = (double)(y1 - y0) / g->k;
    char text[64];
    int i, j;
    for (i = 0; i < g->k; ++i)
        for (j = 0; j < g->k; ++j) {
            double v = costs ? g->achieved_cost[i][j] : g->achieved_return[i][j];
            if (v < lo) lo = v;
            if (v > hi) hi = v;
        }
    for (i = 0; i < g->k; ++i)
        for (j = 0; j < g->k; ++j) {
            double v = costs ? g->achieved_cost[i][j] : g->achieved_return[i][j];
            double t = hi > lo ? (v - lo) / (hi - lo) : 0.5;
            plot_color col = costs ? plot_rgb(255, (int)(235 - 170 * t), (int)(225 - 190 * t))
                                   : plot_rgb((int)(230 - 190 * t), (int)(240 - 110 * t), 255);
            double cx = x0 + j * cw, cy = y1 - (i + 1) * ch;
            plot_fill_rect(c, cx, cy, cx + cw, cy + ch, col);
            snprintf(text, sizeof text, "%.1f", v);
            plot_text_aligned(c, cx + cw / 2, cy + ch / 2, text, 1.6, 0, 0, plot_rgb(20, 20, 20));
        }
    for (j = 0; j < g->k; ++j) {
        snprintf(text, sizeof text, "%.1f", g->reward_target[j]);
        plot_text_aligned(c, x0 + (j + 0.5) * cw, y1 + 12, text, 1.4, 0, 0, plot_rgb(0, 0, 0));
        snprintf(text, sizeof text, "%.2f", g->cost_target[j]);
        plot_text_aligned(c, x0 - 26, y1 - (j + 0.5) * ch, text, 1.4, 0, 0, plot_rgb(0, 0, 0));
    }
    plot_text_aligned(c, (x0 + x1) / 2.0, y1 + 30, "reward target", 1.5, 0, 0, plot_rgb(0, 0, 0));
    plot_text_ex(c, x0 - 58, (y0 + y1) / 2.0 + 40, "cost target", 1.5, 1, plot_rgb(0, 0, 0));
    plot_text_aligned(c, (x0 + x1) / 2.0, y0 - 14, title, 1.6, 0, 0, plot_rgb(0, 0, 0));
}

static int write_grid_png(const char *path, const grid_result *g, int rows, const int *seeds) {
    plot_canvas c;
    const int panel_h = 330;
    int s, ok;
    char title[128];
    if (!plot_canvas_init(&c, 1000, 40 + rows * panel_h, plot_rgb(255, 255, 255))) return 0;
    for (s = 0; s < rows; ++s) {
        int top = 50 + s * panel_h;
        snprintf(title, sizeof title, "achieved return%s%d (Spearman %.2f)", seeds ? ", seed " : "", seeds ? seeds[s] : 0,
                 g[s].rho_reward);
        if (!seeds) snprintf(title, sizeof title, "achieved return (Spearman %.2f)", g[s].rho_reward);
        heat_map(&c, 90, top, 410, top + 250, &g[s], 0, title);
        snprintf(title, sizeof title, "achieved cost (Spearman %.2f)", g[s].rho_cost);
        heat_map(&c, 540, top, 860, top + 250, &g[s], 1, title);
    }
    ok = plot_write_png(&c, path);
    plot_canvas_free(&c);
    return ok;
}

/* ---- commands ---------------------------------------------------------------------------------- */

typedef struct options {
    const char *env, *out, *data, *policy, *png, *seeds;
    uint32_t seed;
    double epsilon, reward, cost, lr, kappa, cost_scale, relabel;
    int mtro;                       /* --target mtro */
    int episodes, steps, minibatch, deterministic, append, behaviours, grid, has_reward, has_cost, horizon;
    int transformer, context, layers, heads, d_model;
    int hidden[SAFERL_RL_MAX_LAYERS - 1], hidden_count;
    const cli *cli; /* for usage errors */
} options;

static int usage(const options *o, const char *msg) { return cli_usage_error(o->cli, "%s", msg); }

static int env_from_name(const char *name, saferl_rl_env *env, saferl_rl_builtin *state) {
    int kind = name ? saferl_rl_env_kind_from_name(name) : -1;
    if (kind < 0) return 0;
    saferl_rl_env_builtin(env, state, (saferl_rl_env_kind)kind);
    return 1;
}

static int cmd_collect(const options *o) {
    saferl_rl_builtin state;
    saferl_rl_env env;
    saferl_rl_dataset ds;
    saferl_rl_dataset_desc d;
    saferl_rl_policy policy;
    saferl_rng rng;
    saferl_result r;
    long extra_steps, extra_episodes, kept_steps = 0, kept_episodes = 0;
    int episodes = o->episodes > 0 ? o->episodes : 60, has_policy = 0;
    if (!env_from_name(o->env, &env, &state)) return usage(o, "--env: cartpole, pointgoal, gridworld, pendulum or cliff");
    if (!o->out) return usage(o, "--out is required");
    if (o->behaviours && env.observation_dim != GRID_CELLS) return usage(o, "--behaviours needs --env gridworld");
    if (o->behaviours && o->policy) return usage(o, "--behaviours and --policy exclude each other");
    if (o->policy) {
        r = saferl_rl_policy_load_file(&policy, o->policy, NULL);
        if (r != SAFERL_OK) return fail(o->policy, r);
        if (saferl_rl_policy_check_env(&policy, &env) != SAFERL_OK) {
            fprintf(stderr, "rl_rcsl: %s: the policy does not fit --env %s\n", o->policy, o->env);
            saferl_rl_policy_free_file(&policy, NULL);
            return 1;
        }
        has_policy = 1;
    }
    extra_episodes = o->behaviours ? 12L * episodes : episodes;
    extra_steps = extra_episodes * 1000L; /* the built-ins end episodes within 1000 steps */
    if (o->append) {
        saferl_rl_dataset old;
        r = saferl_rl_dataset_load_file(&old, o->out, NULL);
        if (r != SAFERL_OK) return fail(o->out, r);
        kept_steps = old.step_count;
        kept_episodes = old.episode_count;
        saferl_rl_dataset_destroy(&old);
    }
    d = saferl_rl_dataset_desc_for_env(&env, kept_steps + extra_steps, kept_episodes + extra_episodes);
    r = saferl_rl_dataset_create(&ds, &d);
    if (r != SAFERL_OK) return fail(o->out, r);
    if (o->append) {
        saferl_rl_dataset old;
        unsigned char *buf;
        size_t size;
        r = saferl_rl_dataset_load_file(&old, o->out, NULL); /* the file may have changed since */
        if (r != SAFERL_OK) {
            saferl_rl_dataset_destroy(&ds);
            return fail(o->out, r);
        }
        size = saferl_rl_dataset_saved_size(&old);
        buf = (unsigned char *)malloc(size);
        if (!buf) return fail(o->out, SAFERL_ERR_OUT_OF_MEMORY);
        saferl_rl_dataset_save(&old, buf, size, NULL);
        r = saferl_rl_dataset_load(&ds, buf, size);
        free(buf);
        saferl_rl_dataset_destroy(&old);
        if (r != SAFERL_OK) {
            fprintf(stderr, "rl_rcsl: %s: the dataset is not of --env %s\n", o->out, o->env);
            return 1;
        }
    }
    saferl_rng_seed(&rng, (uint32_t)o->seed);
    if (o->behaviours) r = collect_behaviours(&ds, &env, episodes, &rng);
    else {
        saferl_rl_policy_context context;
        size_t size = has_policy ? saferl_rl_policy_context_memory_size(&policy) : 0;
        void *memory = has_policy ? malloc(size) : NULL;
        r = has_policy && !memory ? SAFERL_ERR_OUT_OF_MEMORY : SAFERL_OK;
        if (memory) saferl_rl_policy_context_init(&context, memory, size);
        if (r == SAFERL_OK)
            r = saferl_rl_dataset_collect(&ds, has_policy ? &policy : NULL, has_policy ? &context : NULL, &env, episodes, 0,
                                          o->deterministic, o->epsilon, &rng, NULL, NULL);
        free(memory);
    }
    if (has_policy) saferl_rl_policy_free_file(&policy, NULL);
    if (r != SAFERL_OK) {
        saferl_rl_dataset_destroy(&ds);
        return fail(o->out, r);
    }
    /* the whole dataset (kept episodes first) into a temporary, renamed over the old file */
    if (save_dataset(&ds, o->out)) {
        saferl_rl_dataset_destroy(&ds);
        return 1;
    }
    {
        double mean_r = 0.0, mean_c = 0.0, er, ec;
        long e;
        for (e = kept_episodes; e < ds.episode_count; ++e) {
            saferl_rl_dataset_episode_return(&ds, e, &er, &ec);
            mean_r += er;
            mean_c += ec;
        }
        printf("episodes,steps,new_episodes,mean_return,mean_cost\n%ld,%ld,%ld,%.4f,%.4f\n", ds.episode_count,
               ds.step_count, ds.episode_count - kept_episodes, mean_r / (double)(ds.episode_count - kept_episodes),
               mean_c / (double)(ds.episode_count - kept_episodes));
    }
    saferl_rl_dataset_destroy(&ds);
    return 0;
}

static saferl_rl_rcsl_desc train_desc(const options *o) {
    saferl_rl_rcsl_desc d;
    int i;
    memset(&d, 0, sizeof d);
    d.seed = (uint32_t)o->seed;
    for (i = 0; i < o->hidden_count; ++i) d.hidden[i] = o->hidden[i];
    d.hidden_count = o->hidden_count;
    if (d.hidden_count == 0) { /* the examples' network: {64, 64} tanh */
        d.hidden[0] = d.hidden[1] = 64;
        d.hidden_count = 2;
    }
    d.minibatch = o->minibatch > 0 ? o->minibatch : 256;
    d.cost_scale = o->cost_scale; /* 0 (no --cost-scale): the data's largest cost to go */
    d.relabel_fraction = o->relabel; /* 0 (no --relabel): none */
    d.learning_rate = o->lr > 0.0 ? o->lr : 1e-3;
    if (o->transformer) { /* zero fields: the header's defaults (context 10, 2 layers, 2 heads, d 32) */
        d.architecture = SAFERL_RL_RCSL_TRANSFORMER;
        d.minibatch = o->minibatch > 0 ? o->minibatch : 64;
        d.context = o->context;
        d.layer_count = o->layers;
        d.head_count = o->heads;
        d.d_model = o->d_model;
    }
    return d;
}

static int cmd_train(const options *o) {
    saferl_rl_dataset ds;
    saferl_rl_rcsl_trainer tr;
    saferl_rl_rcsl_desc d = train_desc(o);
    saferl_result r;
    int steps = o->steps > 0 ? o->steps : 3000, done = 0, failed = 0;
    clock_t start;
    if (!o->data || !o->out) return usage(o, "train needs --data and --out");
    r = saferl_rl_dataset_load_file(&ds, o->data, NULL);
    if (r != SAFERL_OK) return fail(o->data, r);
    r = saferl_rl_rcsl_trainer_create(&tr, &d, &ds);
    if (r != SAFERL_OK) { /* the settings, or the dataset's shape: say both */
        fprintf(stderr, "rl_rcsl: cannot train on %s with these settings: %s\n", o->data, saferl_result_string(r));
        saferl_rl_dataset_destroy(&ds);
        return 1;
    }
    printf("step,loss\n");
    start = clock();
    while (done < steps) {
        int chunk = steps - done < 500 ? steps - done : 500;
        double loss;
        r = saferl_rl_rcsl_train(&tr, chunk, &loss);
        if (r != SAFERL_OK) break;
        done += chunk;
        printf("%d,%.5f\n", done, loss);
    }
    if (r == SAFERL_OK) {
        double seconds = (double)(clock() - start) / CLOCKS_PER_SEC;
        printf("samples_per_second,%.0f\n", seconds > 0 ? (double)steps * tr.minibatch / seconds : 0.0);
        if (tr.relabelled_episodes > 0) /* --relabel: what was added */
            printf("relabelled_episodes,%ld\nrelabelled_steps,%ld\n", tr.relabelled_episodes, tr.sample_count - ds.step_count);
        failed = save_rcsl(&tr.policy, o->out);
    }
    saferl_rl_rcsl_trainer_destroy(&tr);
    saferl_rl_dataset_destroy(&ds);
    return r == SAFERL_OK ? failed : fail("training", r);
}

/* MTRO's targets from the dataset at path, for cost limit b; a message naming the path on error. */
static saferl_result mtro_targets(const char *path, double b, double kappa, double *reward, double *cost) {
    saferl_rl_dataset ds;
    saferl_result r = saferl_rl_dataset_load_file(&ds, path, NULL);
    if (r != SAFERL_OK) {
        fail(path, r);
        return r;
    }
    r = saferl_rl_dataset_mtro_targets(&ds, b, kappa, reward, cost);
    saferl_rl_dataset_destroy(&ds);
    if (r == SAFERL_ERR_INFEASIBLE) fprintf(stderr, "rl_rcsl: %s: no episode with cost <= %g\n", path, b);
    else if (r != SAFERL_OK) fail(path, r);
    return r;
}

static int cmd_eval(const options *o) {
    saferl_rl_builtin state;
    saferl_rl_env env;
    saferl_rl_rcsl_policy policy;
    saferl_result r;
    int episodes = o->episodes > 0 ? o->episodes : 50;
    if (!o->policy) return usage(o, "eval needs --policy");
    if (!env_from_name(o->env, &env, &state)) return usage(o, "--env: cartpole, pointgoal, gridworld, pendulum or cliff");
    if (!o->grid && !o->mtro && !(o->has_reward && o->has_cost))
        return usage(o, "eval needs --reward and --cost, --grid, or --target mtro");
    if (o->horizon > 0) state.max_steps = o->horizon;
    if (o->grid && !o->data) return usage(o, "--grid needs --data (the targets span its episodes)");
    r = saferl_rl_rcsl_load_file(&policy, o->policy, NULL);
    if (r != SAFERL_OK) return fail(o->policy, r);
    if (policy.observation_dim != env.observation_dim) {
        fprintf(stderr, "rl_rcsl: %s: the policy does not fit --env %s\n", o->policy, o->env);
        saferl_rl_rcsl_free_file(&policy, NULL);
        return 1;
    }
    if (!o->grid) {
        double mean_r, mean_c, reward = o->reward, cost = o->cost;
        saferl_rng rng;
        if (o->mtro && (r = mtro_targets(o->data, o->cost, o->kappa > 0.0 ? o->kappa : 10.0, &reward, &cost)) != SAFERL_OK) {
            saferl_rl_rcsl_free_file(&policy, NULL);
            return 1;
        }
        saferl_rng_seed(&rng, (uint32_t)o->seed);
        r = rcsl_evaluate(&policy, &env, reward, cost, episodes, &rng, &mean_r, &mean_c);
        if (r == SAFERL_OK) printf("reward_target,cost_target,return,cost\n%.3f,%.3f,%.3f,%.3f\n", reward, cost, mean_r, mean_c);
    } else {
        saferl_rl_dataset ds;
        static grid_result g;
        g.k = o->grid;
        r = saferl_rl_dataset_load_file(&ds, o->data, NULL);
        if (r != SAFERL_OK) {
            saferl_rl_rcsl_free_file(&policy, NULL);
            return fail(o->data, r);
        }
        r = grid_targets(&ds, &g);
        saferl_rl_dataset_destroy(&ds);
        if (r == SAFERL_OK) r = grid_evaluate(&policy, &env, episodes, (uint32_t)o->seed, &g);
        if (r == SAFERL_OK) {
            printf("reward_target,cost_target,return,cost\n");
            grid_print(&g, "");
            printf("spearman_reward,%.4f\nspearman_cost,%.4f\n", g.rho_reward, g.rho_cost);
            if (o->png && !write_grid_png(o->png, &g, 1, NULL)) {
                saferl_rl_rcsl_free_file(&policy, NULL);
                fprintf(stderr, "rl_rcsl: %s: cannot write the PNG\n", o->png);
                return 1;
            }
        }
    }
    saferl_rl_rcsl_free_file(&policy, NULL);
    return r == SAFERL_OK ? 0 : fail(o->policy, r);
}

static int cmd_check(const options *o) {
    static grid_result g[MAX_SEEDS];
    int seeds[MAX_SEEDS], n = 0, s;
    if (parse_list(o->cli, "--seeds", o->seeds ? o->seeds : "1,2,3", 0, 0x7FFFFFFF, MAX_SEEDS, seeds, &n)) return 2;
    printf("seed,reward_target,cost_target,return,cost\n");
    for (s = 0; s < n; ++s) {
        saferl_rl_builtin state;
        saferl_rl_env env;
        saferl_rl_dataset ds;
        saferl_rl_dataset_desc d;
        saferl_rl_rcsl_trainer tr;
        options to = *o;
        saferl_rl_rcsl_desc td;
        saferl_rng rng;
        saferl_result r;
        char prefix[32];
        saferl_rl_env_builtin(&env, &state, SAFERL_RL_ENV_GRIDWORLD);
        d = saferl_rl_dataset_desc_for_env(&env, 12L * 60 * 50, 12L * 60);
        if ((r = saferl_rl_dataset_create(&ds, &d)) != SAFERL_OK) return fail("check", r);
        saferl_rng_seed(&rng, (uint32_t)seeds[s]);
        r = collect_behaviours(&ds, &env, 60, &rng);
        to.seed = seeds[s];
        to.hidden_count = 0;
        to.minibatch = 0;
        to.context = to.layers = to.heads = to.d_model = 0;
        to.lr = 0.0;
        td = train_desc(&to);
        if (r == SAFERL_OK) r = saferl_rl_rcsl_trainer_create(&tr, &td, &ds);
        if (r != SAFERL_OK) {
            saferl_rl_dataset_destroy(&ds);
            return fail("check", r);
        }
        r = saferl_rl_rcsl_train(&tr, o->transformer ? 1000 : 3000, NULL);
        g[s].k = 5;
        if (r == SAFERL_OK) r = grid_targets(&ds, &g[s]);
        if (r == SAFERL_OK) r = grid_evaluate(&tr.policy, &env, 50, (uint32_t)seeds[s], &g[s]);
        saferl_rl_rcsl_trainer_destroy(&tr);
        saferl_rl_dataset_destroy(&ds);
        if (r != SAFERL_OK) return fail("check", r);
        snprintf(prefix, sizeof prefix, "%d,", seeds[s]);
        grid_print(&g[s], prefix);
    }
    printf("seed,spearman_reward,spearman_cost\n");
    for (s = 0; s < n; ++s) printf("%d,%.4f,%.4f\n", seeds[s], g[s].rho_reward, g[s].rho_cost);
    if (o->png && !write_grid_png(o->png, g, n, seeds)) {
        fprintf(stderr, "rl_rcsl: %s: cannot write the PNG\n", o->png);
        return 1;
    }
    return 0;
}

/* The flags each command takes: any other is a usage error, never silently ignored. */
static const char *const command_flags[4][15] = {
    {"collect", "--env", "--out", "--seed", "--policy", "--epsilon", "--episodes", "--deterministic", "--append",
     "--behaviours"},
    {"train", "--data", "--out", "--seed", "--steps", "--hidden", "--minibatch", "--lr", "--arch", "--context",
     "--layers", "--heads", "--d-model", "--cost-scale", "--relabel"},
    {"eval", "--policy", "--env", "--seed", "--episodes", "--reward", "--cost", "--grid", "--data", "--png", "--target",
     "--kappa", "--horizon"},
    {"check", "--seeds", "--png", "--arch"}};

static int flag_allowed(int command, const char *flag) {
    int k;
    for (k = 1; k < 15 && command_flags[command][k]; ++k)
        if (!strcmp(command_flags[command][k], flag)) return 1;
    return 0;
}

/* --grid KxK (2 <= K <= MAX_GRID). 0, or 2 after the usage message. */
static int parse_grid(const cli *c, const char *text, int *k) {
    char buf[32], *x;
    int k2 = 0;
    if (strlen(text) >= sizeof buf || !(x = strchr(strcpy(buf, text), 'x')))
        return cli_usage_error(c, "--grid: KxK with 2 <= K <= %d, not '%s'", MAX_GRID, text);
    *x = '\0';
    if (cli_count_int(c, "--grid", buf, 2, MAX_GRID, k) || cli_count_int(c, "--grid", x + 1, 2, MAX_GRID, &k2)) return 2;
    return k2 == *k ? 0 : cli_usage_error(c, "--grid: a square KxK grid, not '%s'", text);
}

/* One flag at argv[*i] (and its value): 0, or 2 after the usage message. */
static int parse_flag(cli *c, int *i, options *o) {
    const char *flag = c->argv[*i], *v = NULL;
    if (cli_is(c, i, "--deterministic", NULL)) o->deterministic = 1;
    else if (cli_is(c, i, "--append", NULL)) o->append = 1;
    else if (cli_is(c, i, "--behaviours", NULL)) o->behaviours = 1;
    else if (cli_is(c, i, "--env", &v)) o->env = v;
    else if (cli_is(c, i, "--out", &v)) o->out = v;
    else if (cli_is(c, i, "--data", &v)) o->data = v;
    else if (cli_is(c, i, "--policy", &v)) o->policy = v;
    else if (cli_is(c, i, "--png", &v)) o->png = v;
    else if (cli_is(c, i, "--seeds", &v)) o->seeds = v;
    else if (cli_is(c, i, "--seed", &v)) return !v || cli_count32(c, flag, v, 0, UINT32_MAX, &o->seed) ? 2 : 0;
    else if (cli_is(c, i, "--epsilon", &v)) return !v || cli_real(c, flag, v, 0.0, 1.0, 0, &o->epsilon) ? 2 : 0;
    else if (cli_is(c, i, "--reward", &v)) {
        if (!v || cli_real(c, flag, v, -HUGE_VAL, HUGE_VAL, 0, &o->reward)) return 2;
        o->has_reward = 1;
    } else if (cli_is(c, i, "--cost", &v)) {
        if (!v || cli_real(c, flag, v, -HUGE_VAL, HUGE_VAL, 0, &o->cost)) return 2;
        o->has_cost = 1;
    } else if (cli_is(c, i, "--lr", &v)) return !v || cli_real(c, flag, v, 1e-12, 10.0, 0, &o->lr) ? 2 : 0;
    else if (cli_is(c, i, "--episodes", &v)) return !v || cli_count_int(c, flag, v, 1, 1000000, &o->episodes) ? 2 : 0;
    else if (cli_is(c, i, "--steps", &v)) return !v || cli_count_int(c, flag, v, 1, 100000000, &o->steps) ? 2 : 0;
    else if (cli_is(c, i, "--minibatch", &v)) return !v || cli_count_int(c, flag, v, 1, 65536, &o->minibatch) ? 2 : 0;
    else if (cli_is(c, i, "--context", &v))
        return !v || cli_count_int(c, flag, v, 1, SAFERL_RL_CDT_MAX_CONTEXT, &o->context) ? 2 : 0;
    else if (cli_is(c, i, "--layers", &v)) return !v || cli_count_int(c, flag, v, 1, SAFERL_RL_MAX_LAYERS, &o->layers) ? 2 : 0;
    else if (cli_is(c, i, "--heads", &v)) return !v || cli_count_int(c, flag, v, 1, 16, &o->heads) ? 2 : 0;
    else if (cli_is(c, i, "--d-model", &v)) return !v || cli_count_int(c, flag, v, 1, 1024, &o->d_model) ? 2 : 0;
    else if (cli_is(c, i, "--hidden", &v))
        return !v || parse_list(c, flag, v, 1, 4096, SAFERL_RL_MAX_LAYERS - 1, o->hidden, &o->hidden_count) ? 2 : 0;
    else if (cli_is(c, i, "--grid", &v)) return !v || parse_grid(c, v, &o->grid) ? 2 : 0;
    else if (cli_is(c, i, "--cost-scale", &v)) return !v || cli_real(c, flag, v, 1e-12, 1e30, 0, &o->cost_scale) ? 2 : 0;
    else if (cli_is(c, i, "--relabel", &v)) return !v || cli_real(c, flag, v, 1e-12, 1.0, 0, &o->relabel) ? 2 : 0;
    else if (cli_is(c, i, "--horizon", &v)) return !v || cli_count_int(c, flag, v, 1, 100000000, &o->horizon) ? 2 : 0;
    else if (cli_is(c, i, "--kappa", &v)) return !v || cli_real(c, flag, v, 1e-6, 1e6, 0, &o->kappa) ? 2 : 0;
    else if (cli_is(c, i, "--target", &v)) {
        if (!v) return 2;
        if (strcmp(v, "mtro") != 0) return cli_usage_error(c, "--target: mtro, not '%s'", v);
        o->mtro = 1;
    } else if (cli_is(c, i, "--arch", &v)) {
        if (!v) return 2;
        if (strcmp(v, "mlp") != 0 && strcmp(v, "transformer") != 0)
            return cli_usage_error(c, "--arch: mlp or transformer, not '%s'", v);
        o->transformer = !strcmp(v, "transformer");
    } else return cli_usage_error(c, "unknown option %s", flag);
    return c->failed ? 2 : 0;
}

static int run(int argc, char **argv) {
    static int (*const commands[4])(const options *) = {cmd_collect, cmd_train, cmd_eval, cmd_check};
    options o;
    cli c;
    int i, command;
    cli_init(&c, argc, argv, USAGE);
    memset(&o, 0, sizeof o);
    o.cli = &c;
    if (argc < 2) return usage(&o, "a command is required: collect, train, eval or check");
    for (command = 0; command < 4 && strcmp(argv[1], command_flags[command][0]) != 0; ++command) {}
    if (command == 4) return usage(&o, "unknown command (collect, train, eval, check)");
    for (i = 2; i < argc; ++i) {
        const char *flag = argv[i];
        if (parse_flag(&c, &i, &o) || c.failed) return 2;
        if (!flag_allowed(command, flag)) return cli_usage_error(&c, "%s does not apply to %s", flag, argv[1]);
    }
    if (command == 2 && o.grid && (o.has_reward || o.has_cost || o.mtro))
        return cli_usage_error(&c, "--grid excludes --reward, --cost and --target");
    if (command == 2 && o.mtro && (o.has_reward || !o.has_cost || !o.data))
        return cli_usage_error(&c, "--target mtro needs --data and --cost (the cost limit) and no --reward");
    if (command == 2 && o.kappa > 0.0 && !o.mtro) return cli_usage_error(&c, "--kappa applies to --target mtro only");
    return commands[command](&o);
}

int main(int argc, char **argv) { return cli_finish(run(argc, argv)); }
