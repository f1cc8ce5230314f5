// SPDX-License-Identifier: MIT OR Unlicense
/* pls_lifetime - lifetime-safe RL end to end: PLS (Wachi et al., NeurIPS 2025) from offline data to
   a safe deployment, with saferl_rl.h and saferl_gp.h.

   pls_lifetime run        --env gridworld|pointgoal|runner [--seed S] [--out DIR] [--png-dir D] [--relabel]
   pls_lifetime regenerate --env gridworld|pointgoal|runner [--seed S] --out DIR [--dataset FILE] [--relabel]
   pls_lifetime deploy     --env gridworld|pointgoal|runner --data DIR [--seed S] [--png-dir D] [--log FILE]
                           [--no-finetune] [--brief]
   pls_lifetime bench      --env gridworld|pointgoal|runner --data DIR [--seeds N] [--no-finetune]
   pls_lifetime check      FILE...

   The pipeline:
   1. offline data: PPO-Lag behaviour policies trained at several cost limits, each rolled out
      with epsilon-random actions at several epsilons (a mix of varying safety), plus a random
      policy, into one saferl_rl_dataset;
   2. a return-conditioned policy (RCSL: an MLP on observation, reward to go, cost to go) trained
      on it by supervised learning; where env_config sets cost_input_scale (PointGoal, the runner: b) the
      network sees the cost to go over it, CDT's cost normaliser, else over the data's largest;
      --relabel adds CDT's return relabelling (saferl_rl.h's RCSL notes; 20% more episodes, as
      CDT's code), which the committed artifacts are made without;
   3. ground truth: every point z = (R, G) of the target grid run for 200 episodes, its true
      expected reward and cost; at least 30% of the grid must be truly unsafe (cost > b);
   4. deployment: the PLS online stage over the grid (examples/pls_loop.h, shared with web/pls),
      20 evaluations of 20 episodes each, beta from the finite-set schedule sqrt(2 log(|Z| t^2 pi^2 / (6 delta))),
      delta 0.05; baselines in the same run: a fixed hand-picked target (the best return the data
      show, with the budget as cost target), unconstrained GP-UCB over the same grid, and online
      fine-tuning of the best-return behaviour policy with PPO-Lag for the same 400 episodes.
   Counted per method: (a) evaluations whose target is truly unsafe, (b) deployment episodes
   with cost > b; the final target's (or fine-tuned policy's) true reward and cost. bench also
   measures every target again with 2000 fresh episodes and a 95% interval on its cost, and counts
   (a) only for targets whose interval lies above b, the undecided ones beside it.

   deploy and bench --seed-box mtro --dataset FILE place PLS's seed set from the offline data
   instead of env_configs' hand-set corner: FILE is the dataset behind the artifacts (regenerate
   --dataset FILE writes it), MTRO's targets at cost limit b (saferl_rl_dataset_mtro_targets,
   kappa 10) rounded down to the grid give the corner R <= R_mtro, G <= G_mtro. The default and
   the artifacts are unchanged by it.

   The environments: the lava gridworld, PointGoal with hazards, and the runner (saferl_rl.h's
   velocity-cost task, the one most like the paper's Safety-Gymnasium velocity tasks).

   Every setting (grid, b, seed set, GP hyperparameters, episodes) is fixed in env_configs (pls_loop.h),
   before anything runs. regenerate writes DIR/<env>.rcsl (the conditioned policy, "SRLC"),
   DIR/<env>.behaviour (the fine-tuning baseline's start, "SRLP") and DIR/<env>.csv (the dataset
   summary, the GP scales taken from the offline data, the other two files' sizes and FNV-1a
   hashes, and the ground truth), then loads them
   back and validates them. Every file is validated on load: a truncated or foreign file gives
   "file:line: reason" (or "file: reason" for binary files) and exit status 1. */
#include "cli.h" /* first: it asks for POSIX */
#define SAFERL_RL_IMPLEMENTATION
#include "saferl_rl.h"
#define SAFERL_GP_IMPLEMENTATION
#include "saferl_gp.h"
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#include "plot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pls_loop.h"

/* Whole file into memory; NULL and a message when it cannot be read. */
static unsigned char *read_file(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    unsigned char *data = NULL;
    long n;
    if (!f) return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        data = (unsigned char *)malloc((size_t)n + 1);
        if (data && fread(data, 1, (size_t)n, f) != (size_t)n) {
            free(data);
            data = NULL;
        }
        if (data) { /* a UTF-8 byte-order mark is not part of a text file's first line */
            size_t bom = cli_bom_length((const char *)data, (size_t)n);
            memmove(data, data + bom, (size_t)n - bom);
            data[(size_t)n - bom] = 0;
            *size = (size_t)n - bom;
        }
    }
    fclose(f);
    return data;
}

/* A saved policy or dataset, written whole or not at all: 1, or 0 after a message naming the path. */
static int write_saved(const char *path, unsigned char *buffer, size_t size, saferl_result saved) {
    int ok = saved == SAFERL_OK && cli_write_file(path, buffer, size) == 0;
    if (saved != SAFERL_OK) fprintf(stderr, "%s: %s\n", path, buffer ? saferl_result_string(saved) : "out of memory");
    free(buffer);
    return ok;
}

static int save_policy_file(const saferl_rl_policy *policy, const char *path) {
    size_t size = saferl_rl_policy_saved_size(policy), written = 0;
    unsigned char *buffer = (unsigned char *)malloc(size);
    saferl_result r = buffer ? saferl_rl_policy_save(policy, buffer, size, &written) : SAFERL_ERR_OUT_OF_MEMORY;
    return write_saved(path, buffer, written, r);
}

static int save_dataset_file(const saferl_rl_dataset *dataset, const char *path) {
    size_t size = saferl_rl_dataset_saved_size(dataset), written = 0;
    unsigned char *buffer = (unsigned char *)malloc(size);
    saferl_result r = buffer ? saferl_rl_dataset_save(dataset, buffer, size, &written) : SAFERL_ERR_OUT_OF_MEMORY;
    return write_saved(path, buffer, written, r);
}

/* Written whole or not at all (examples/cli.h); 1 on success, 0 after a message naming the path. */
static int write_summary(const char *path, const env_config *c, const summary *s) {
    cli_output out;
    FILE *f;
    int i;
    if (cli_output_open(&out, path, 0)) return 0;
    f = out.file;
    fprintf(f, "%s\n", SUMMARY_MAGIC);
    fprintf(f, "env,%s\nseed,%u\nhorizon,%d\nbudget,%.17g\n", s->env, s->seed, s->horizon, s->budget);
    fprintf(f, "dataset,%ld,%ld\n", s->dataset_episodes, s->dataset_steps);
    fprintf(f, "# episode_reward / episode_cost: mean, sd over the dataset, median over the mixes of the sd within a mix\n");
    fprintf(f, "episode_reward,%.17g,%.17g,%.17g\nepisode_cost,%.17g,%.17g,%.17g\n", s->reward_mean, s->reward_sd,
            s->reward_noise_sd, s->cost_mean, s->cost_sd, s->cost_noise_sd);
    fprintf(f, "policy,%u,%u\nbehaviour,%u,%u\n", s->policy_bytes, s->policy_hash, s->behaviour_bytes, s->behaviour_hash);
    fprintf(f, "# mix,cost_limit (-1: random policy),epsilon,mean_return,mean_cost\n");
    for (i = 0; i < s->behaviour_rows; ++i)
        fprintf(f, "mix,%.17g,%.17g,%.17g,%.17g\n", s->mix[i][0], s->mix[i][1], s->mix[i][2], s->mix[i][3]);
    fprintf(f, "# truth,index,reward_target,cost_target,true_reward,true_cost (%d episodes each)\n", TRUTH_EPISODES);
    for (i = 0; i < s->truth_count; ++i) {
        double z[2];
        grid_target(c, i, z);
        fprintf(f, "truth,%d,%.17g,%.17g,%.17g,%.17g\n", i, z[0], z[1], s->truth_reward[i], s->truth_cost[i]);
    }
    fprintf(f, "end,%d\n", s->truth_count);
    return cli_output_commit(&out) == 0;
}

/* Reads and validates a summary written for config c; prints path:line: reason on failure. */
static int load_summary(const char *path, const env_config *c, summary *s) {
    size_t size = 0;
    char *text = (char *)read_file(path, &size);
    const char *why = NULL;
    int line = 0, ok;
    if (!text) {
        fprintf(stderr, "%s: cannot read the file\n", path);
        return 0;
    }
    ok = parse_summary(text, size, c, s, &line, &why);
    free(text);
    if (!ok) fprintf(stderr, "%s:%d: %s\n", path, line, why);
    return ok;
}

/* Loads and validates a conditioned policy file against the summary's size and hash. */
static int load_conditioned(const char *path, const summary *s, const saferl_rl_env *env, conditioned *p) {
    size_t size = 0;
    unsigned char *data = read_file(path, &size);
    char why[200];
    int ok;
    memset(p, 0, sizeof *p);
    if (!data) {
        fprintf(stderr, "%s: cannot read the file\n", path);
        return 0;
    }
    ok = conditioned_load(data, size, s, env, p, why, sizeof why);
    free(data);
    if (!ok) fprintf(stderr, "%s: %s\n", path, why);
    return ok;
}

/* An environment wrapper that logs every finished episode's return and cost (fine-tuning). */
typedef struct logging_env {
    saferl_rl_env inner;
    double episode_return, episode_cost;
    episode_log *log;
    int limit;
} logging_env;

static saferl_result logging_reset(void *state, saferl_rng *rng, float *obs) {
    logging_env *l = (logging_env *)state;
    l->episode_return = l->episode_cost = 0.0;
    return l->inner.reset(l->inner.state, rng, obs);
}

static saferl_result logging_step(void *state, saferl_rng *rng, const float *action, float *obs, float *reward,
                                  float *cost, int *terminated, int *truncated) {
    logging_env *l = (logging_env *)state;
    saferl_result r = l->inner.step(l->inner.state, rng, action, obs, reward, cost, terminated, truncated);
    if (r < 0) return r;
    l->episode_return += *reward;
    l->episode_cost += *cost;
    if ((*terminated || *truncated) && l->log->count < l->limit && log_reserve(l->log, 1)) {
        l->log->returns[l->log->count] = l->episode_return;
        l->log->costs[l->log->count] = l->episode_cost;
        l->log->count += 1;
    }
    if (*terminated || *truncated) l->episode_return = l->episode_cost = 0.0;
    return SAFERL_OK;
}

static saferl_rl_desc behaviour_desc(const env_config *c, double cost_limit, uint32_t seed) {
    saferl_rl_desc d;
    memset(&d, 0, sizeof d);
    d.algorithm = SAFERL_RL_PPO_LAG;
    d.cost_count = 1;
    d.cost_limits[0] = cost_limit;
    d.seed = seed;
    d.steps_per_epoch = c->kind == SAFERL_RL_ENV_GRIDWORLD ? 2000 : 4 * c->horizon;
    d.no_obs_normalize = 1; /* the weights alone are the policy: fine-tuning starts from them */
    /* the artifacts' behaviour policies were trained with the multiplier per unit of cost; the
       scale-free default (saferl_rl.h 0.5) trains other policies and would move every file */
    d.multiplier_scale = SAFERL_RL_MULTIPLIER_COST_UNITS;
    return d;
}

/* PPO-Lag from the best-return behaviour policy, cost limit b, for the same number of
   episodes as the GP methods deploy. */
static int run_finetune(const env_config *c, const saferl_rl_policy *start, uint32_t seed, method_result *m) {
    saferl_rl_builtin state;
    logging_env wrap;
    saferl_rl_env env, plain;
    saferl_rl_desc d = behaviour_desc(c, c->budget, seed);
    saferl_rl_agent agent;
    int total = EVALUATIONS * EPISODES_PER_EVAL, guard = 0;
    double ret = 0.0, cost = 0.0;
    memset(&wrap, 0, sizeof wrap);
    make_env(c, &wrap.inner, &state);
    wrap.log = &m->log;
    wrap.limit = total;
    env = wrap.inner;
    env.state = &wrap;
    env.reset = logging_reset;
    env.step = logging_step;
    d.steps_per_epoch = EPISODES_PER_EVAL * (c->kind == SAFERL_RL_ENV_GRIDWORLD ? 20 : c->horizon);
    if (saferl_rl_agent_create(&agent, &d, &env, 1) < 0) return 0;
    if (saferl_rl_policy_param_count(&agent.actor) != saferl_rl_policy_param_count(start)) {
        fprintf(stderr, "pls_lifetime: the behaviour policy's shape differs from the fine-tuning agent's\n");
        saferl_rl_agent_destroy(&agent);
        return 0;
    }
    memcpy(agent.actor.params, start->params, sizeof(float) * saferl_rl_policy_param_count(start));
    m->name = "PPO-Lag fine-tuning";
    m->unsafe_evaluations = -1;
    while (m->log.count < total && guard++ < 10000)
        if (saferl_rl_agent_epoch(&agent, NULL) < 0) break;
    make_env(c, &plain, &state);
    {
        saferl_rl_policy_context context;
        size_t size = saferl_rl_policy_context_memory_size(&agent.actor);
        void *memory = malloc(size);
        if (memory && saferl_rl_policy_context_init(&context, memory, size) == SAFERL_OK)
            saferl_rl_evaluate(&agent.actor, &context, &plain, TRUTH_EPISODES, 0, 0, seed ^ 0x9e3779b9u, &ret, &cost);
        free(memory);
    }
    m->final_reward = ret;
    m->final_cost = cost;
    m->final_index = -1;
    saferl_rl_agent_destroy(&agent);
    return m->log.count >= total;
}

/* ---- pictures ------------------------------------------------------------------------------ */

static plot_color heat_color(double t) {
    static const int stops[5][3] = {{68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}};
    double x = (t < 0 ? 0 : t > 1 ? 1 : t) * 4.0;
    int i = x >= 4.0 ? 3 : (int)x;
    double f = x - i;
    return plot_rgb((int)(stops[i][0] + f * (stops[i + 1][0] - stops[i][0])),
                    (int)(stops[i][1] + f * (stops[i + 1][1] - stops[i][1])),
                    (int)(stops[i][2] + f * (stops[i + 1][2] - stops[i][2])));
}

/* A heat map of values over the grid into axes (R on x, G on y), colour range [lo, hi]. */
static void draw_heat(plot_axes *ax, const env_config *c, const double *values, double lo, double hi) {
    int j;
    for (j = 0; j < grid_count(c); ++j) {
        double z[2];
        grid_target(c, j, z);
        plot_fill_rect(ax->canvas, plot_px(ax, z[0] - 0.5 * c->r_step), plot_py(ax, z[1] + 0.5 * c->g_step),
                       plot_px(ax, z[0] + 0.5 * c->r_step), plot_py(ax, z[1] - 0.5 * c->g_step),
                       heat_color((values[j] - lo) / (hi - lo > 0 ? hi - lo : 1.0)));
    }
}

static void grid_axes(plot_axes *ax, plot_canvas *canvas, const env_config *c, int left, int top, int right, int bottom,
                      const char *title) {
    plot_axes_init(ax, canvas, left, top, right, bottom);
    plot_axes_range(ax, c->r_min - 0.5 * c->r_step, c->r_min + (c->r_count - 0.5) * c->r_step, c->g_min - 0.5 * c->g_step,
                    c->g_min + (c->g_count - 0.5) * c->g_step, PLOT_LINEAR);
    plot_axes_draw(ax, "reward target R", "cost target G", title);
}

static void color_bar(plot_canvas *canvas, int x, int top, int bottom, double lo, double hi) {
    int y;
    char buf[32];
    for (y = top; y < bottom; ++y)
        plot_fill_rect(canvas, x, y, x + 14, y + 1, heat_color(1.0 - (double)(y - top) / (bottom - top)));
    snprintf(buf, sizeof buf, "%.3g", hi);
    plot_text(canvas, x + 18, top - 3, buf, 1.5, plot_rgb(30, 30, 30));
    snprintf(buf, sizeof buf, "%.3g", lo);
    plot_text(canvas, x + 18, bottom - 8, buf, 1.5, plot_rgb(30, 30, 30));
}

static int png_cost_bound(const char *path, const env_config *c, const summary *s, const grid_state *g,
                           const method_result *m) {
    plot_canvas canvas;
    int ok;
    plot_axes ax;
    double lo, hi, shown[MAX_GRID];
    int j, i;
    char title[200];
    plot_legend_entry legend[4];
    if (!plot_canvas_init(&canvas, 900, 800, plot_rgb(255, 255, 255))) {
        fprintf(stderr, "%s: out of memory\n", path);
        return 0;
    }
    lo = 0.0;
    hi = 3.0 * c->budget; /* the interesting range: up to 3 b */
    for (j = 0; j < g->count; ++j) shown[j] = g->cost_upper[j];
    for (j = 0; j < g->count; ++j)
        if (shown[j] > hi) shown[j] = hi;
    snprintf(title, sizeof title, "%s: cost bound u_g, b = %g", c->name, c->budget);
    grid_axes(&ax, &canvas, c, 80, 90, 720, 600, title);
    draw_heat(&ax, c, shown, lo, hi);
    for (j = 0; j < g->count; ++j) {
        double z[2];
        grid_target(c, j, z);
        if (g->safe[EVALUATIONS][j]) /* the safe set: white frame */
            plot_circle(&canvas, plot_px(&ax, z[0]), plot_py(&ax, z[1]), 0.32 * (plot_px(&ax, c->r_step) - plot_px(&ax, 0)),
                        0, 2.0, plot_rgb(255, 255, 255));
        if (s->truth_cost[j] > c->budget) /* truly unsafe: a small red square */
            plot_marker_at(&canvas, plot_px(&ax, z[0]) + 14, plot_py(&ax, z[1]) - 14, PLOT_MARKER_SQUARE, 7,
                           plot_rgb(220, 40, 40));
    }
    for (i = 0; i < EVALUATIONS; ++i) {
        double z[2];
        char num[8];
        grid_target(c, m->eval_index[i], z);
        plot_marker_at(&canvas, plot_px(&ax, z[0]), plot_py(&ax, z[1]), PLOT_MARKER_DISC, 9, plot_rgb(0, 0, 0));
        if (i == EVALUATIONS - 1 || m->eval_index[i] != m->eval_index[i + 1]) {
            snprintf(num, sizeof num, "%d", i + 1);
            plot_text(&canvas, plot_px(&ax, z[0]) + 6, plot_py(&ax, z[1]) + 4, num, 1.3, plot_rgb(0, 0, 0));
        }
    }
    {
        double z[2];
        grid_target(c, m->final_index, z);
        plot_marker_at(&canvas, plot_px(&ax, z[0]), plot_py(&ax, z[1]), PLOT_MARKER_TRIANGLE, 16, plot_rgb(255, 120, 0));
    }
    color_bar(&canvas, 740, 90, 580, lo, hi);
    memset(legend, 0, sizeof legend);
    legend[0].label = "safe set (ring)"; legend[0].kind = PLOT_LEGEND_MARKER; legend[0].marker = PLOT_MARKER_RING;
    legend[0].color = plot_rgb(160, 160, 160);
    legend[1].label = "evaluated (number = order)"; legend[1].kind = PLOT_LEGEND_MARKER;
    legend[1].marker = PLOT_MARKER_DISC; legend[1].color = plot_rgb(0, 0, 0);
    legend[2].label = "truly unsafe (200 episodes)"; legend[2].kind = PLOT_LEGEND_MARKER;
    legend[2].marker = PLOT_MARKER_SQUARE; legend[2].color = plot_rgb(220, 40, 40);
    legend[3].label = "final target"; legend[3].kind = PLOT_LEGEND_MARKER; legend[3].marker = PLOT_MARKER_TRIANGLE;
    legend[3].color = plot_rgb(255, 120, 0);
    plot_legend_at(&ax, 80, 670, legend, 4);
    ok = plot_write_png(&canvas, path);
    plot_canvas_free(&canvas);
    return ok;
}

static int png_truth(const char *path, const env_config *c, const summary *s) {
    plot_canvas canvas;
    int ok;
    plot_axes ax;
    double lo = 1e300, hi = -1e300;
    int j;
    char title[160];
    if (!plot_canvas_init(&canvas, 1300, 590, plot_rgb(255, 255, 255))) {
        fprintf(stderr, "%s: out of memory\n", path);
        return 0;
    }
    for (j = 0; j < s->truth_count; ++j) {
        if (s->truth_reward[j] < lo) lo = s->truth_reward[j];
        if (s->truth_reward[j] > hi) hi = s->truth_reward[j];
    }
    snprintf(title, sizeof title, "%s: true reward", c->name);
    grid_axes(&ax, &canvas, c, 70, 80, 560, 530, title);
    draw_heat(&ax, c, s->truth_reward, lo, hi);
    color_bar(&canvas, 575, 90, 520, lo, hi);
    lo = 1e300;
    hi = -1e300;
    for (j = 0; j < s->truth_count; ++j) {
        if (s->truth_cost[j] < lo) lo = s->truth_cost[j];
        if (s->truth_cost[j] > hi) hi = s->truth_cost[j];
    }
    snprintf(title, sizeof title, "true cost (red: > b = %g)", c->budget);
    grid_axes(&ax, &canvas, c, 720, 80, 1210, 530, title);
    draw_heat(&ax, c, s->truth_cost, lo, hi);
    for (j = 0; j < s->truth_count; ++j)
        if (s->truth_cost[j] > c->budget) {
            double z[2];
            grid_target(c, j, z);
            plot_marker_at(&canvas, plot_px(&ax, z[0]), plot_py(&ax, z[1]), PLOT_MARKER_SQUARE, 7, plot_rgb(220, 40, 40));
        }
    color_bar(&canvas, 1225, 90, 520, lo, hi);
    ok = plot_write_png(&canvas, path);
    plot_canvas_free(&canvas);
    return ok;
}

static int png_episodes(const char *path, const env_config *c, const method_result *methods, int count) {
    static const int colors[4][3] = {{30, 90, 200}, {120, 120, 120}, {210, 60, 30}, {40, 160, 70}};
    plot_canvas canvas;
    int ok;
    plot_axes ax;
    plot_legend_entry legend[5];
    double rmin = 1e300, rmax = -1e300, cmax = c->budget, xs[2], ys[2];
    int k, i, n = 0;
    char title[160];
    if (!plot_canvas_init(&canvas, 1000, 840, plot_rgb(255, 255, 255))) {
        fprintf(stderr, "%s: out of memory\n", path);
        return 0;
    }
    for (k = 0; k < count; ++k) {
        for (i = 0; i < methods[k].log.count; ++i) {
            if (methods[k].log.returns[i] < rmin) rmin = methods[k].log.returns[i];
            if (methods[k].log.returns[i] > rmax) rmax = methods[k].log.returns[i];
            if (methods[k].log.costs[i] > cmax) cmax = methods[k].log.costs[i];
        }
        if (methods[k].log.count > n) n = methods[k].log.count;
    }
    if (rmax <= rmin) rmax = rmin + 1.0;
    for (k = 0; k < 2; ++k) {
        plot_axes_init(&ax, &canvas, 80, k == 0 ? 80 : 500, 960, k == 0 ? 360 : 780);
        if (k == 0) {
            plot_axes_range(&ax, 0, n, rmin, rmax + 0.05 * (rmax - rmin), PLOT_LINEAR);
            snprintf(title, sizeof title, "%s: episode returns (lines: evaluation means)", c->name);
            plot_axes_draw(&ax, "deployment episode", "episode return", title);
        } else {
            plot_axes_range(&ax, 0, n, 0, cmax * 1.05, PLOT_LINEAR);
            snprintf(title, sizeof title, "episode cost against the budget b = %g", c->budget);
            plot_axes_draw(&ax, "deployment episode", "episode cost", title);
        }
        for (i = 0; i < count; ++i) {
            double *xv = (double *)malloc(sizeof(double) * (size_t)(methods[i].log.count + 1));
            int e;
            if (!xv) continue;
            for (e = 0; e < methods[i].log.count; ++e) xv[e] = e + 0.5;
            plot_points(&ax, xv, k == 0 ? methods[i].log.returns : methods[i].log.costs, (size_t)methods[i].log.count,
                        PLOT_MARKER_DISC, 3.0, plot_rgba(colors[i][0], colors[i][1], colors[i][2], 110));
            {   /* the mean of each block of EPISODES_PER_EVAL episodes */
                double bx[EVALUATIONS * 2], by[EVALUATIONS * 2];
                int blocks = 0, b0;
                for (b0 = 0; b0 + EPISODES_PER_EVAL <= methods[i].log.count && blocks < EVALUATIONS * 2; b0 += EPISODES_PER_EVAL) {
                    double sum = 0;
                    for (e = 0; e < EPISODES_PER_EVAL; ++e)
                        sum += (k == 0 ? methods[i].log.returns : methods[i].log.costs)[b0 + e];
                    bx[blocks] = b0 + 0.5 * EPISODES_PER_EVAL;
                    by[blocks++] = sum / EPISODES_PER_EVAL;
                }
                plot_polyline(&ax, bx, by, (size_t)blocks, 2.5, plot_rgb(colors[i][0], colors[i][1], colors[i][2]));
            }
            free(xv);
        }
        if (k == 1) {
            xs[0] = 0;
            xs[1] = n;
            ys[0] = ys[1] = c->budget;
            plot_polyline(&ax, xs, ys, 2, 2.0, plot_rgb(0, 0, 0));
        }
    }
    memset(legend, 0, sizeof legend);
    for (i = 0; i < count; ++i) {
        legend[i].label = methods[i].name;
        legend[i].kind = PLOT_LEGEND_MARKER;
        legend[i].marker = PLOT_MARKER_DISC;
        legend[i].color = plot_rgb(colors[i][0], colors[i][1], colors[i][2]);
    }
    legend[count].label = "budget b";
    legend[count].kind = PLOT_LEGEND_LINE;
    legend[count].color = plot_rgb(0, 0, 0);
    plot_legend(&ax, legend, (size_t)count + 1, 1);
    ok = plot_write_png(&canvas, path);
    plot_canvas_free(&canvas);
    return ok;
}

/* ---- ground truth and the grid's checks --------------------------------------------------- */

static int compute_truth(const env_config *c, const conditioned *p, uint32_t seed, summary *s) {
    saferl_rl_builtin state;
    saferl_rl_env env;
    double returns[TRUTH_EPISODES], costs[TRUTH_EPISODES];
    int j, e;
    make_env(c, &env, &state);
    for (j = 0; j < grid_count(c); ++j) {
        double z[2], sr = 0.0, sc = 0.0;
        saferl_rng rng;
        grid_target(c, j, z);
        saferl_rng_seed(&rng, seed * 7919u + 1000003u * (uint32_t)j + 17u);
        if (conditioned_evaluate(p, &env, z, TRUTH_EPISODES, c->horizon, &rng, returns, costs) < 0)
            return 0;
        for (e = 0; e < TRUTH_EPISODES; ++e) {
            sr += returns[e];
            sc += costs[e];
        }
        s->truth_reward[j] = sr / TRUTH_EPISODES;
        s->truth_cost[j] = sc / TRUTH_EPISODES;
    }
    s->truth_count = grid_count(c);
    return 1;
}

/* Ground truth with error bars, for the bench's counts: each target's cost from
   INTERVAL_EPISODES fresh episodes (a stream apart from the summary's 200-episode truth) and its
   95% normal interval, mean +- 1.96 sd / sqrt(n) (n = 2000 makes the CLT fair even for PointGoal's
   bimodal costs). A target is certainly unsafe when the interval lies above b, certainly safe when
   it lies at or below b, and undecided otherwise. One fixed n, no sequential looks, so the 95% is
   per target as stated (not corrected for the 64 targets). */
#define INTERVAL_EPISODES 2000
enum { TRUTH_SAFE = -1, TRUTH_UNDECIDED = 0, TRUTH_UNSAFE = 1 };
typedef struct truth_intervals {
    double reward[MAX_GRID], cost[MAX_GRID], cost_half_width[MAX_GRID];
    int verdict[MAX_GRID]; /* TRUTH_SAFE, TRUTH_UNDECIDED or TRUTH_UNSAFE */
} truth_intervals;

static int compute_truth_intervals(const env_config *c, const conditioned *p, uint32_t seed, truth_intervals *t) {
    saferl_rl_builtin state;
    saferl_rl_env env;
    double returns[TRUTH_EPISODES], costs[TRUTH_EPISODES];
    int j, e, batch;
    make_env(c, &env, &state);
    for (j = 0; j < grid_count(c); ++j) {
        double z[2], sr = 0.0, sc = 0.0, scc = 0.0, n = INTERVAL_EPISODES, var;
        saferl_rng rng;
        grid_target(c, j, z);
        saferl_rng_seed(&rng, seed * 7919u + 1000003u * (uint32_t)j + 0x2545f491u);
        for (batch = 0; batch < INTERVAL_EPISODES / TRUTH_EPISODES; ++batch) {
            if (conditioned_evaluate(p, &env, z, TRUTH_EPISODES, c->horizon, &rng, returns, costs) < 0) return 0;
            for (e = 0; e < TRUTH_EPISODES; ++e) {
                sr += returns[e];
                sc += costs[e];
                scc += costs[e] * costs[e];
            }
        }
        var = (scc - sc * sc / n) / (n - 1);
        t->reward[j] = sr / n;
        t->cost[j] = sc / n;
        t->cost_half_width[j] = 1.96 * sqrt(var > 0 ? var : 0.0) / sqrt(n);
        t->verdict[j] = t->cost[j] - t->cost_half_width[j] > c->budget    ? TRUTH_UNSAFE
                        : t->cost[j] + t->cost_half_width[j] <= c->budget ? TRUTH_SAFE
                                                                          : TRUTH_UNDECIDED;
    }
    return 1;
}

/* Evaluations of a method whose target is certainly unsafe (*unsafe) or undecided (*undecided). */
static void count_by_interval(const method_result *m, const truth_intervals *t, int *unsafe, int *undecided) {
    int i;
    *unsafe = *undecided = 0;
    if (m->unsafe_evaluations < 0) return;
    for (i = 0; i < EVALUATIONS; ++i) {
        *unsafe += t->verdict[m->eval_index[i]] == TRUTH_UNSAFE;
        *undecided += t->verdict[m->eval_index[i]] == TRUTH_UNDECIDED;
    }
}

static double correlation(const double *x, const double *y, int n) {
    double mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0;
    int i;
    for (i = 0; i < n; ++i) {
        mx += x[i] / n;
        my += y[i] / n;
    }
    for (i = 0; i < n; ++i) {
        sxy += (x[i] - mx) * (y[i] - my);
        sxx += (x[i] - mx) * (x[i] - mx);
        syy += (y[i] - my) * (y[i] - my);
    }
    return sxx > 0 && syy > 0 ? sxy / sqrt(sxx * syy) : 0.0;
}

/* Prints the grid facts; returns 0 when the grid fails the 30%-unsafe rule or the seed set
   contains a truly unsafe target. best: the best truly safe target. */
static int grid_facts(const env_config *c, const summary *s, const grid_state *g, int print, int *best) {
    double targets_r[MAX_GRID], targets_g[MAX_GRID];
    int j, unsafe = 0, seeds = 0, seed_unsafe = 0;
    *best = -1;
    for (j = 0; j < g->count; ++j) {
        targets_r[j] = g->targets[2 * j];
        targets_g[j] = g->targets[2 * j + 1];
        if (s->truth_cost[j] > c->budget) unsafe += 1;
        else if (*best < 0 || s->truth_reward[j] > s->truth_reward[*best]) *best = j;
        seeds += g->seed_set[j];
        seed_unsafe += g->seed_set[j] && s->truth_cost[j] > c->budget;
    }
    if (print) {
        printf("settings (fixed before the run): b = %g; grid R %g..%g step %g x G %g..%g step %g (%d targets); "
               "%d evaluations x %d episodes; beta: finite-set schedule, delta 0.05; seed set R <= %g, G <= %g "
               "(%d targets)\n",
               c->budget, c->r_min, c->r_min + (c->r_count - 1) * c->r_step, c->r_step, c->g_min,
               c->g_min + (c->g_count - 1) * c->g_step, c->g_step, g->count, EVALUATIONS, EPISODES_PER_EVAL, c->seed_r_max,
               c->seed_g_max, seeds);
        printf("ground truth (%d episodes a target): %d of %d targets truly unsafe (%.0f%%)", TRUTH_EPISODES, unsafe,
               g->count, 100.0 * unsafe / g->count);
        if (*best >= 0)
            printf("; best truly safe target (R %g, G %g): reward %.3f, cost %.3f\n", g->targets[2 * *best],
                   g->targets[2 * *best + 1], s->truth_reward[*best], s->truth_cost[*best]);
        else
            printf("; no truly safe target\n");
        printf("the conditioned policy follows its targets: corr(R target, true reward) = %.2f, "
               "corr(G target, true cost) = %.2f\n",
               correlation(targets_r, s->truth_reward, g->count), correlation(targets_g, s->truth_cost, g->count));
    }
    if (unsafe * 10 < 3 * g->count) {
        fprintf(stderr, "pls_lifetime: only %d of %d targets are truly unsafe (< 30%%): choose b and the grid again\n",
                unsafe, g->count);
        return 0;
    }
    if (seed_unsafe) {
        fprintf(stderr, "pls_lifetime: %d seed-set targets are truly unsafe: the seed set is not known-safe\n", seed_unsafe);
        return 0;
    }
    return *best >= 0;
}

/* ---- the offline stage: behaviour policies, dataset, conditioned policy, truth ------------- */

typedef struct pipeline {
    const env_config *config;
    summary sum;
    conditioned policy;
    saferl_rl_policy behaviour;        /* the fine-tuning baseline's start */
    void *behaviour_memory;
    int have_behaviour_file;
    int fitted_prior;                  /* fit the GP prior before each deployment (fit_prior) */
    prior_fit prior;                   /* the last fit */
    int relabel;                       /* train the conditioned policy with CDT's return relabelling */
} pipeline;

static void pipeline_free(pipeline *p) {
    conditioned_free(&p->policy);
    if (p->have_behaviour_file) saferl_rl_policy_free_file(&p->behaviour, NULL);
    free(p->behaviour_memory);
}

static int file_checksum(const char *path, uint32_t *bytes, uint32_t *hash) {
    size_t size = 0;
    unsigned char *data = read_file(path, &size);
    if (!data) return 0;
    *bytes = (uint32_t)size;
    *hash = artifact_hash(data, size);
    free(data);
    return 1;
}

static int load_behaviour(const char *path, const summary *s, const env_config *c, pipeline *p) {
    saferl_rl_builtin state;
    saferl_rl_env env;
    uint32_t bytes = 0, hash = 0;
    saferl_result r;
    if (!file_checksum(path, &bytes, &hash)) {
        fprintf(stderr, "%s: cannot read the file\n", path);
        return 0;
    }
    if ((r = saferl_rl_policy_load_file(&p->behaviour, path, NULL)) < 0) {
        fprintf(stderr, "%s: %s%s\n", path, r == SAFERL_ERR_IO ? "cannot read: " : "not a valid policy: ",
                r == SAFERL_ERR_IO ? strerror(errno) : saferl_result_string(r));
        return 0;
    }
    p->have_behaviour_file = 1;
    make_env(c, &env, &state);
    if (bytes != s->behaviour_bytes || hash != s->behaviour_hash || saferl_rl_policy_check_env(&p->behaviour, &env) < 0) {
        fprintf(stderr, "%s: does not match its summary or environment: regenerate the artifacts\n", path);
        return 0;
    }
    return 1;
}

static void path_join(char *out, size_t size, const char *dir, const char *name, const char *ext) {
    snprintf(out, size, "%s/%s%s", dir, name, ext);
}

/* Collect, train, measure the truth; write the artifacts into out_dir (NULL: keep in memory). */
static int offline_stage(const env_config *c, uint32_t seed, const char *out_dir, const char *dataset_path, pipeline *p) {
    saferl_rl_builtin states[MAX_BEHAVIOURS], state;
    saferl_rl_env envs[MAX_BEHAVIOURS], env;
    saferl_rl_agent agents[MAX_BEHAVIOURS];
    saferl_rl_dataset dataset;
    saferl_rl_dataset_desc dd;
    saferl_rl_rcsl_trainer trainer;
    saferl_rl_rcsl_desc rd;
    long mixes = (long)c->behaviour_count * c->epsilon_count + 1, episodes = mixes * c->episodes_per_mix, e;
    double *ep_return = (double *)malloc(sizeof(double) * (size_t)episodes * 2), *ep_cost;
    double best_return = -1e300;
    int i, k, row = 0, best = 0, ok = 1;
    char path[1024];
    summary *s = &p->sum;
    if (!ep_return) return 0;
    ep_cost = ep_return + episodes;
    memset(s, 0, sizeof *s);
    snprintf(s->env, sizeof s->env, "%s", c->name);
    s->seed = seed;
    s->horizon = c->horizon;
    s->budget = c->budget;
    /* 1. behaviour policies of varying safety: PPO-Lag at several cost limits */
    for (i = 0; i < c->behaviour_count; ++i) {
        saferl_rl_desc d = behaviour_desc(c, c->behaviour_limits[i], seed * 31u + (uint32_t)i);
        int epochs = (c->behaviour_steps + d.steps_per_epoch - 1) / d.steps_per_epoch, ep;
        saferl_rl_epoch_stats st;
        make_env(c, &envs[i], &states[i]);
        if (saferl_rl_agent_create(&agents[i], &d, &envs[i], 1) < 0) return 0;
        for (ep = 0; ep < epochs; ++ep)
            if (saferl_rl_agent_epoch(&agents[i], &st) < 0) return 0;
        printf("behaviour %d: PPO-Lag, cost limit %g, %d steps: return %.2f, cost %.2f\n", i + 1, c->behaviour_limits[i],
               epochs * d.steps_per_epoch, st.episode_return, st.episode_cost);
    }
    /* 2. the offline dataset: each behaviour with epsilon-random actions, plus a random policy */
    make_env(c, &env, &state);
    dd = saferl_rl_dataset_desc_for_env(&env, episodes * c->horizon, episodes);
    if (saferl_rl_dataset_create(&dataset, &dd) < 0) return 0;
    {
        saferl_rng rng;
        saferl_rng_seed(&rng, seed ^ 0xda7a5e7u);
        for (i = 0; i <= c->behaviour_count; ++i)
            for (k = 0; k < (i < c->behaviour_count ? c->epsilon_count : 1); ++k) {
                const saferl_rl_policy *pol = i < c->behaviour_count ? &agents[i].actor : NULL;
                double eps = i < c->behaviour_count ? c->epsilons[k] : 1.0, sr = 0, sc = 0;
                double *rr = ep_return + (long)row * c->episodes_per_mix, *cc = ep_cost + (long)row * c->episodes_per_mix;
                int n;
                saferl_rl_policy_context context;
                size_t size = pol ? saferl_rl_policy_context_memory_size(pol) : 0;
                void *memory = pol ? malloc(size) : NULL;
                saferl_result r = pol && !memory ? SAFERL_ERR_OUT_OF_MEMORY : SAFERL_OK;
                if (memory) saferl_rl_policy_context_init(&context, memory, size);
                if (r == SAFERL_OK)
                    r = saferl_rl_dataset_collect(&dataset, pol, pol ? &context : NULL, &env, c->episodes_per_mix,
                                                  c->horizon, 0, eps, &rng, rr, cc);
                free(memory);
                if (r < 0) return 0;
                for (n = 0; n < c->episodes_per_mix; ++n) {
                    sr += rr[n];
                    sc += cc[n];
                }
                s->mix[row][0] = pol ? c->behaviour_limits[i] : -1.0;
                s->mix[row][1] = eps;
                s->mix[row][2] = sr / c->episodes_per_mix;
                s->mix[row][3] = sc / c->episodes_per_mix;
                if (pol && k == 0 && s->mix[row][2] > best_return) {
                    best_return = s->mix[row][2];
                    best = i;
                }
                ++row;
            }
    }
    s->behaviour_rows = row;
    {
        double sr = 0, sc = 0, vr = 0, vc = 0, wr[MAX_BEHAVIOURS * MAX_EPSILONS + 1], wc[MAX_BEHAVIOURS * MAX_EPSILONS + 1];
        for (k = 0; k < row; ++k) { /* each mix's episode spread; the median over mixes */
            double ar = 0, ac = 0, t;
            int a, b2;
            for (e = 0; e < c->episodes_per_mix; ++e) {
                double dr = ep_return[(long)k * c->episodes_per_mix + e] - s->mix[k][2];
                double dc = ep_cost[(long)k * c->episodes_per_mix + e] - s->mix[k][3];
                ar += dr * dr;
                ac += dc * dc;
            }
            wr[k] = sqrt(ar / c->episodes_per_mix);
            wc[k] = sqrt(ac / c->episodes_per_mix);
            for (a = k; a > 0; --a)
                for (b2 = 0; b2 < 2; ++b2) {
                    double *w = b2 ? wc : wr;
                    if (w[a - 1] > w[a]) { t = w[a]; w[a] = w[a - 1]; w[a - 1] = t; }
                }
        }
        s->reward_noise_sd = wr[row / 2] > 1e-3 ? wr[row / 2] : 1e-3;
        s->cost_noise_sd = wc[row / 2] > 1e-3 ? wc[row / 2] : 1e-3;
        for (e = 0; e < episodes; ++e) {
            sr += ep_return[e];
            sc += ep_cost[e];
        }
        sr /= episodes;
        sc /= episodes;
        for (e = 0; e < episodes; ++e) {
            vr += (ep_return[e] - sr) * (ep_return[e] - sr);
            vc += (ep_cost[e] - sc) * (ep_cost[e] - sc);
        }
        s->reward_mean = sr;
        s->cost_mean = sc;
        s->reward_sd = sqrt(vr / episodes) > 1e-6 ? sqrt(vr / episodes) : 1.0;
        s->cost_sd = sqrt(vc / episodes) > 1e-6 ? sqrt(vc / episodes) : 1.0;
        s->dataset_episodes = episodes;
    }
    printf("dataset: %ld episodes from %d mixes (behaviours x epsilon %g..%g, and a random policy); "
           "episode return %.2f +- %.2f (median within a mix %.2f), cost %.2f +- %.2f (median within a mix %.2f)\n",
           episodes, row, c->epsilons[0], c->epsilons[c->epsilon_count - 1], s->reward_mean, s->reward_sd, s->reward_noise_sd,
           s->cost_mean, s->cost_sd, s->cost_noise_sd);
    /* the fine-tuning baseline starts from the best-return behaviour policy */
    if (out_dir) {
        path_join(path, sizeof path, out_dir, c->name, ".behaviour");
        if (!save_policy_file(&agents[best].actor, path)) return 0;
        if (!file_checksum(path, &s->behaviour_bytes, &s->behaviour_hash)) {
            fprintf(stderr, "%s: cannot read back\n", path);
            return 0;
        }
    }
    {
        size_t size = saferl_rl_policy_saved_size(&agents[best].actor), need = 0, written = 0;
        unsigned char *buf = (unsigned char *)malloc(size);
        if (!buf || saferl_rl_policy_save(&agents[best].actor, buf, size, &written) < 0 ||
            saferl_rl_policy_load_size(buf, size, &need) < 0 || !(p->behaviour_memory = malloc(need)) ||
            saferl_rl_policy_load(&p->behaviour, buf, size, p->behaviour_memory, need) < 0)
            ok = 0;
        if (!out_dir) {
            s->behaviour_bytes = (uint32_t)size;
            s->behaviour_hash = buf ? artifact_hash(buf, size) : 0;
        }
        free(buf);
        if (!ok) return 0;
    }
    s->dataset_steps = dataset.step_count;
    if (dataset_path) {
        saferl_rl_dataset check;
        if (!save_dataset_file(&dataset, dataset_path)) return 0;
        if (saferl_rl_dataset_load_file(&check, dataset_path, NULL) < 0) {
            fprintf(stderr, "%s: cannot read back the dataset\n", dataset_path);
            return 0;
        }
        saferl_rl_dataset_destroy(&check);
    }
    /* 3. the return-conditioned policy by supervised learning */
    memset(&rd, 0, sizeof rd);
    rd.seed = seed;
    rd.hidden[0] = rd.hidden[1] = 64;
    rd.hidden_count = 2;
    rd.cost_scale = c->cost_input_scale;
    /* --relabel: CDT's return relabelling at the fraction of CDT's code (OSRL's augment_percent
       0.2), the reward ceiling the header's default (the data's largest return); fixed before
       its first run. The committed artifacts are made without it. */
    rd.relabel_fraction = p->relabel ? 0.2 : 0.0;
    if (saferl_rl_rcsl_trainer_create(&trainer, &rd, &dataset) < 0) return 0;
    {
        double loss = 0.0;
        int done;
        for (done = 0; done < c->rcsl_steps; done += 1000)
            if (saferl_rl_rcsl_train(&trainer, c->rcsl_steps - done < 1000 ? c->rcsl_steps - done : 1000, &loss) < 0) return 0;
        printf("conditioned policy: MLP (obs, R, G) -> action, 64-64, %d Adam steps on %ld steps of data", c->rcsl_steps,
               dataset.step_count);
        if (trainer.relabelled_episodes > 0)
            printf(" and %ld steps of %ld relabelled episodes (CDT's return relabelling)", trainer.sample_count - dataset.step_count,
                   trainer.relabelled_episodes);
        printf(": loss %.4f\n", loss);
    }
    saferl_rl_dataset_destroy(&dataset);
    {
        size_t size = saferl_rl_rcsl_saved_size(&trainer.policy), written = 0;
        unsigned char *buf = (unsigned char *)malloc(size);
        if (!buf || saferl_rl_rcsl_save(&trainer.policy, buf, size, &written) < 0) return 0;
        s->policy_bytes = (uint32_t)size;
        s->policy_hash = artifact_hash(buf, size);
        if (out_dir) {
            path_join(path, sizeof path, out_dir, c->name, ".rcsl");
            if (cli_write_file(path, buf, size)) {
                free(buf);
                return 0;
            }
            free(buf);
            if (!load_conditioned(path, s, &env, &p->policy)) return 0; /* validate what we wrote */
        } else {
            size_t need = 0;
            memset(&p->policy, 0, sizeof p->policy);
            if (saferl_rl_rcsl_load_size(buf, size, &need) < 0 || !(p->policy.memory = malloc(need)) ||
                saferl_rl_rcsl_load(&p->policy.rcsl, buf, size, p->policy.memory, need) < 0)
                return 0;
            free(buf);
        }
    }
    saferl_rl_rcsl_trainer_destroy(&trainer);
    for (i = 0; i < c->behaviour_count; ++i) saferl_rl_agent_destroy(&agents[i]);
    free(ep_return);
    /* 4. the ground truth of every target */
    if (!compute_truth(c, &p->policy, seed, s)) return 0;
    if (out_dir) {
        summary back;
        path_join(path, sizeof path, out_dir, c->name, ".csv");
        if (!write_summary(path, c, s)) {
            fprintf(stderr, "%s: cannot write\n", path);
            return 0;
        }
        if (!load_summary(path, c, &back)) return 0;
        printf("artifacts: %s/%s.{rcsl,behaviour,csv} written and validated\n", out_dir, c->name);
    }
    return 1;
}

static int load_artifacts(const env_config *c, const char *dir, pipeline *p) {
    char path[1024];
    saferl_rl_builtin state;
    saferl_rl_env env;
    path_join(path, sizeof path, dir, c->name, ".csv");
    if (!load_summary(path, c, &p->sum)) return 0;
    path_join(path, sizeof path, dir, c->name, ".behaviour");
    if (!load_behaviour(path, &p->sum, c, p)) return 0;
    make_env(c, &env, &state);
    path_join(path, sizeof path, dir, c->name, ".rcsl");
    return load_conditioned(path, &p->sum, &env, &p->policy);
}

/* ---- deployment of all methods, one seed -------------------------------------------------- */

#define METHOD_COUNT 4

static void free_methods(method_result *m) {
    int i;
    for (i = 0; i < METHOD_COUNT; ++i) {
        free(m[i].log.returns);
        free(m[i].log.costs);
    }
}

/* Written whole or not at all; 1 on success, 0 after a message naming the path. */
static int write_log(const char *path, const env_config *c, const summary *s, const method_result *m, int count) {
    cli_output out;
    FILE *f;
    int k, i;
    if (cli_output_open(&out, path, 0)) return 0;
    f = out.file;
    fprintf(f, "# pls_lifetime log v1\nmethod,evaluation,index,reward_target,cost_target,stage,reward,cost,true_cost\n");
    for (k = 0; k < count; ++k) {
        if (m[k].unsafe_evaluations < 0) continue;
        for (i = 0; i < EVALUATIONS; ++i) {
            double z[2];
            grid_target(c, m[k].eval_index[i], z);
            fprintf(f, "%d,%d,%d,%.17g,%.17g,%d,%.17g,%.17g,%.17g\n", k, i + 1, m[k].eval_index[i], z[0], z[1],
                    m[k].eval_stage[i], m[k].eval_reward[i], m[k].eval_cost[i], s->truth_cost[m[k].eval_index[i]]);
        }
    }
    return cli_output_commit(&out) == 0;
}

static int deploy_all(pipeline *p, uint32_t seed, int finetune, grid_state *g, method_result *m) {
    const env_config *c = p->config;
    const prior_fit *prior = p->fitted_prior ? &p->prior : NULL;
    memset(m, 0, sizeof(method_result) * METHOD_COUNT);
    fill_grid(c, g);
    if (p->fitted_prior && !fit_prior(c, &p->sum, &p->policy, seed, &p->prior)) return 0;
    if (!method_run_all(METHOD_PLS, c, &p->sum, &p->policy, seed, g, &m[0], prior)) return 0;
    if (!method_run_all(METHOD_FIXED, c, &p->sum, &p->policy, seed + 1000u, g, &m[1], prior)) return 0;
    if (!method_run_all(METHOD_GP_UCB, c, &p->sum, &p->policy, seed + 2000u, g, &m[2], prior)) return 0;
    if (finetune) {
        if (!run_finetune(c, &p->behaviour, seed + 3000u, &m[3])) return 0;
    } else {
        m[3].name = "PPO-Lag fine-tuning (skipped)";
        m[3].unsafe_evaluations = -1;
        m[3].final_index = -2;
    }
    if (finetune) method_result_finish(&m[3], &p->sum, c->budget);
    return 1;
}

static void print_methods(const env_config *c, const method_result *m, const grid_state *g) {
    int k;
    printf("%-30s %14s %16s %12s %10s %s\n", "method", "(a) unsafe evals", "(b) episodes > b", "final reward",
           "final cost", "final target");
    for (k = 0; k < METHOD_COUNT; ++k) {
        char a[16], target[48];
        if (m[k].final_index == -2) continue;
        if (m[k].unsafe_evaluations < 0) snprintf(a, sizeof a, "-");
        else snprintf(a, sizeof a, "%d/%d", m[k].unsafe_evaluations, EVALUATIONS);
        if (m[k].final_index >= 0)
            snprintf(target, sizeof target, "(R %g, G %g)", g->targets[2 * m[k].final_index],
                     g->targets[2 * m[k].final_index + 1]);
        else
            snprintf(target, sizeof target, "(policy, %d episodes)", TRUTH_EPISODES);
        printf("%-30s %14s %12d/%-3d %12.3f %10.3f %s\n", m[k].name, a, m[k].unsafe_episodes, m[k].episodes,
               m[k].final_reward, m[k].final_cost, target);
    }
    (void)c;
}

/* The prior used (fitted or hand-set) and PLS's safe set: the seed set, what the prior alone
   certifies before the first evaluation, and the end. Growth is the end against the second: the
   targets the evaluations certified. */
static void print_prior_and_growth(const pipeline *p, const grid_state *g, int seed) {
    const env_config *c = p->config;
    int j, start = 0, prior = 0, end = 0, lowest = -1;
    for (j = 0; j < g->count; ++j) {
        start += g->seed_set[j];
        prior += g->safe[0][j];
        end += g->safe[EVALUATIONS][j];
    }
    if (p->fitted_prior)
        printf("%4d  prior fitted on %d data targets: cost mean %.3f, sd %.3f, lengthscales (%.3g, %.3g); "
               "reward mean %.3f, sd %.3f, lengthscales (%.3g, %.3g)",
               seed, p->prior.points, p->prior.offset[1], p->prior.scale[1] * sqrt(p->prior.signal_variance[1]),
               p->prior.lengthscale[1][0], p->prior.lengthscale[1][1], p->prior.offset[0],
               p->prior.scale[0] * sqrt(p->prior.signal_variance[0]), p->prior.lengthscale[0][0], p->prior.lengthscale[0][1]);
    else
        printf("%4d  hand-set prior: cost sd %g, lengthscales (%g, %g)", seed, c->cost_deviation_sd, c->cost_lengthscale[0],
               c->cost_lengthscale[1]);
    printf("; PLS's safe set: seed set %d, %d before the first evaluation, %d at the end (grew by %d)", start, prior, end,
           end - prior);
    for (j = 0; j < g->count; ++j) /* why it stopped: the nearest bound to b outside it */
        if (!g->safe[EVALUATIONS][j] && (lowest < 0 || g->cost_upper[j] < g->cost_upper[lowest])) lowest = j;
    if (lowest >= 0)
        printf("; lowest cost bound outside it %.3g at (R %g, G %g), true cost %.3g", g->cost_upper[lowest],
               g->targets[2 * lowest], g->targets[2 * lowest + 1], p->sum.truth_cost[lowest]);
    printf("\n");
}

static int command_deploy(pipeline *p, uint32_t seed, const char *png_dir, const char *log_path, int finetune, int brief) {
    const env_config *c = p->config;
    grid_state *g = (grid_state *)calloc(1, sizeof *g);
    method_result m[METHOD_COUNT];
    int best, k, ok;
    if (!g) return 1;
    fill_grid(c, g);
    if (!grid_facts(c, &p->sum, g, !brief, &best)) {
        free(g);
        return 1;
    }
    ok = deploy_all(p, seed, finetune, g, m);
    if (!ok) {
        fprintf(stderr, "pls_lifetime: deployment failed\n");
        free_methods(m);
        free(g);
        return 1;
    }
    if (!brief) {
        printf("PLS deployment, seed %u:\n", seed);
        printf(" eval  R      G     stage  reward    cost    truly unsafe\n");
        for (k = 0; k < EVALUATIONS; ++k)
            printf(" %4d  %5g  %5g  %4d  %8.3f  %7.3f  %s\n", k + 1, g->targets[2 * m[0].eval_index[k]],
                   g->targets[2 * m[0].eval_index[k] + 1], m[0].eval_stage[k], m[0].eval_reward[k], m[0].eval_cost[k],
                   p->sum.truth_cost[m[0].eval_index[k]] > c->budget ? "yes" : "no");
    }
    if (!brief) print_prior_and_growth(p, g, (int)seed);
    printf("%s, seed %u, b = %g, %d evaluations x %d episodes:\n", c->name, seed, c->budget, EVALUATIONS, EPISODES_PER_EVAL);
    print_methods(c, m, g);
    printf("PLS's final target: true reward %.3f vs the best truly safe target's %.3f (%s 10%%)\n", m[0].final_reward,
           p->sum.truth_reward[best],
           fabs(p->sum.truth_reward[best] - m[0].final_reward) <= 0.1 * fabs(p->sum.truth_reward[best]) ? "within" : "NOT within");
    if (png_dir) {
        char path[1024];
        path_join(path, sizeof path, png_dir, c->name, "_pls_cost_bound.png");
        ok &= png_cost_bound(path, c, &p->sum, g, &m[0]);
        printf("figures: %s", path);
        path_join(path, sizeof path, png_dir, c->name, "_pls_episodes.png");
        ok &= png_episodes(path, c, m, finetune ? METHOD_COUNT : METHOD_COUNT - 1);
        printf(" %s", path);
        path_join(path, sizeof path, png_dir, c->name, "_pls_truth.png");
        ok &= png_truth(path, c, &p->sum);
        printf(" %s\n", path);
    }
    if (log_path && !write_log(log_path, c, &p->sum, m, METHOD_COUNT)) ok = 0;
    free_methods(m);
    free(g);
    return ok ? 0 : 1;
}

static int command_bench(pipeline *p, int seeds, int finetune) {
    const env_config *c = p->config;
    grid_state *g = (grid_state *)calloc(1, sizeof *g);
    method_result m[METHOD_COUNT];
    double sum_a[METHOD_COUNT] = {0}, sum_b[METHOD_COUNT] = {0}, sum_r[METHOD_COUNT] = {0}, sum_c[METHOD_COUNT] = {0};
    double sum_u[METHOD_COUNT] = {0}, sum_d[METHOD_COUNT] = {0};
    int max_a[METHOD_COUNT] = {0}, max_b[METHOD_COUNT] = {0}, max_u[METHOD_COUNT] = {0}, max_d[METHOD_COUNT] = {0};
    int within = 0, within_certified = 0, seed, k, j, best, best_certified = -1, verdicts[3] = {0};
    truth_intervals *t = (truth_intervals *)calloc(1, sizeof *t);
    if (!g || !t) {
        free(g);
        free(t);
        return 1;
    }
    fill_grid(c, g);
    if (!grid_facts(c, &p->sum, g, 1, &best) || !compute_truth_intervals(c, &p->policy, p->sum.seed, t)) {
        free(g);
        free(t);
        return 1;
    }
    for (j = 0; j < g->count; ++j) {
        verdicts[t->verdict[j] + 1] += 1;
        if (t->verdict[j] == TRUTH_SAFE && (best_certified < 0 || t->reward[j] > t->reward[best_certified])) best_certified = j;
    }
    printf("truth with intervals (%d fresh episodes a target, cost mean +- 1.96 sd/sqrt(n)): %d certainly unsafe, "
           "%d certainly safe, %d undecided",
           INTERVAL_EPISODES, verdicts[2], verdicts[0], verdicts[1]);
    if (best_certified >= 0)
        printf("; best certainly safe target (R %g, G %g): reward %.3f, cost %.3f +- %.3f\n", g->targets[2 * best_certified],
               g->targets[2 * best_certified + 1], t->reward[best_certified], t->cost[best_certified],
               t->cost_half_width[best_certified]);
    else
        printf("; no certainly safe target\n");
    printf("seed  method                         (a)  (b)   final_reward  final_cost  (a, interval)  undecided\n");
    for (seed = 1; seed <= seeds; ++seed) {
        if (!deploy_all(p, (uint32_t)seed, finetune, g, m)) {
            fprintf(stderr, "pls_lifetime: deployment failed (seed %d)\n", seed);
            free_methods(m);
            free(g);
            return 1;
        }
        print_prior_and_growth(p, g, seed);
        for (k = 0; k < METHOD_COUNT; ++k) {
            if (m[k].final_index == -2) continue;
            int certainly_unsafe, undecided;
            count_by_interval(&m[k], t, &certainly_unsafe, &undecided);
            printf("%4d  %-30s %3d  %3d   %12.3f  %10.3f  %13d  %9d\n", seed, m[k].name, m[k].unsafe_evaluations,
                   m[k].unsafe_episodes, m[k].final_reward, m[k].final_cost, certainly_unsafe, undecided);
            sum_u[k] += certainly_unsafe;
            sum_d[k] += undecided;
            if (certainly_unsafe > max_u[k]) max_u[k] = certainly_unsafe;
            if (undecided > max_d[k]) max_d[k] = undecided;
            sum_a[k] += m[k].unsafe_evaluations;
            sum_b[k] += m[k].unsafe_episodes;
            sum_r[k] += m[k].final_reward;
            sum_c[k] += m[k].final_cost;
            if (m[k].unsafe_evaluations > max_a[k]) max_a[k] = m[k].unsafe_evaluations;
            if (m[k].unsafe_episodes > max_b[k]) max_b[k] = m[k].unsafe_episodes;
        }
        within += fabs(p->sum.truth_reward[best] - m[0].final_reward) <= 0.1 * fabs(p->sum.truth_reward[best]);
        if (best_certified >= 0 && m[0].final_index >= 0)
            within_certified += fabs(t->reward[best_certified] - t->reward[m[0].final_index]) <=
                                0.1 * fabs(t->reward[best_certified]);
        fflush(stdout);
        free_methods(m);
    }
    printf("\n%s over %d seeds (b = %g; %d evaluations x %d episodes = %d deployment episodes per method and seed)\n",
           c->name, seeds, c->budget, EVALUATIONS, EPISODES_PER_EVAL, EVALUATIONS * EPISODES_PER_EVAL);
    printf("| method | (a) unsafe evaluations, mean (max) | (a) certainly unsafe (interval above b), mean (max) | "
           "undecided evaluations, mean (max) | (b) episodes with cost > b, mean (max) | final true reward | final true cost |\n");
    printf("|---|---|---|---|---|---|---|\n");
    for (k = 0; k < METHOD_COUNT; ++k) {
        char a[48], u[96];
        if (m[k].final_index == -2 || !m[k].name) continue;
        if (m[k].unsafe_evaluations < 0) snprintf(a, sizeof a, "-");
        else snprintf(a, sizeof a, "%.1f (%d)", sum_a[k] / seeds, max_a[k]);
        if (m[k].unsafe_evaluations < 0) snprintf(u, sizeof u, "- | -");
        else snprintf(u, sizeof u, "%.1f (%d) | %.1f (%d)", sum_u[k] / seeds, max_u[k], sum_d[k] / seeds, max_d[k]);
        printf("| %s | %s | %s | %.1f (%d) | %.3f | %.3f |\n", m[k].name, a, u, sum_b[k] / seeds, max_b[k],
               sum_r[k] / seeds, sum_c[k] / seeds);
    }
    printf("best truly safe target: reward %.3f, cost %.3f; PLS's final target within 10%% of it in %d of %d seeds; "
           "PLS's worst (a) = %d (the paper's worst case: 5)\n",
           p->sum.truth_reward[best], p->sum.truth_cost[best], within, seeds, max_a[0]);
    if (best_certified >= 0)
        printf("by the intervals: PLS's final target within 10%% of the best certainly safe target's reward in %d of %d "
               "seeds; PLS's worst certainly-unsafe count = %d\n",
               within_certified, seeds, max_u[0]);
    free(g);
    free(t);
    return 0;
}

/* ---- check: validate any file of the pipeline --------------------------------------------- */

static int check_log(const char *path, const char *text, size_t size) {
    size_t pos = 0;
    int line = 0;
    while (pos < size) {
        const char *l = text + pos, *eol = memchr(l, '\n', size - pos);
        char buf[512], *f[12];
        int n, i;
        double v;
        ++line;
        if (!eol) {
            fprintf(stderr, "%s:%d: truncated: the last line has no end\n", path, line);
            return 0;
        }
        pos = (size_t)(eol - text) + 1;
        if (line <= 2) continue; /* magic (checked by the caller) and the header */
        if ((size_t)(eol - l) >= sizeof buf) {
            fprintf(stderr, "%s:%d: line too long\n", path, line);
            return 0;
        }
        memcpy(buf, l, (size_t)(eol - l));
        buf[eol - l] = 0;
        n = split_fields(buf, f, 9);
        if (n != 9) {
            fprintf(stderr, "%s:%d: expected 9 fields, found %d\n", path, line, n > 9 ? 10 : n);
            return 0;
        }
        for (i = 0; i < 9; ++i)
            if (!parse_double(f[i], &v)) {
                fprintf(stderr, "%s:%d: field %d is not a finite number\n", path, line, i + 1);
                return 0;
            }
    }
    if (line < 3) {
        fprintf(stderr, "%s:%d: no evaluations\n", path, line + 1);
        return 0;
    }
    printf("%s: deployment log, %d evaluations: ok\n", path, line - 2);
    return 1;
}

static int check_file(const char *path) {
    size_t size = 0;
    unsigned char *data = read_file(path, &size);
    saferl_result r = SAFERL_OK;
    int ok = 1;
    if (!data) {
        fprintf(stderr, "%s: cannot read the file\n", path);
        return 0;
    }
    if (size >= 4 && memcmp(data, "SRLP", 4) == 0) {
        size_t need = 0;
        if ((r = saferl_rl_policy_load_size(data, size, &need)) >= 0) printf("%s: policy (SRLP): ok\n", path);
    }
    else if (size >= 4 && memcmp(data, "SRLC", 4) == 0) {
        size_t need = 0;
        if ((r = saferl_rl_rcsl_load_size(data, size, &need)) >= 0) printf("%s: conditioned policy (SRLC): ok\n", path);
    } else if (size >= 4 && memcmp(data, "SRLD", 4) == 0) {
        saferl_rl_dataset_desc dd;
        if ((r = saferl_rl_dataset_load_info(data, size, &dd)) >= 0)
            printf("%s: dataset (SRLD): %ld episodes, %ld steps: ok\n", path, dd.max_episodes, dd.max_steps);
    }
    else if (size >= strlen(SUMMARY_MAGIC) && memcmp(data, SUMMARY_MAGIC, strlen(SUMMARY_MAGIC)) == 0) {
        const char *env = strstr((const char *)data, "\nenv,");
        char name[32] = {0};
        const env_config *c;
        summary s;
        if (env) sscanf(env + 5, "%31[a-z]", name);
        c = config_by_name(name);
        if (!c) {
            fprintf(stderr, "%s: no known env line\n", path);
            ok = 0;
        } else if ((ok = load_summary(path, c, &s)) != 0)
            printf("%s: summary for %s, %d targets: ok\n", path, c->name, s.truth_count);
    } else if (size >= 21 && memcmp(data, "# pls_lifetime log v1", 21) == 0) {
        ok = check_log(path, (const char *)data, size);
    } else {
        fprintf(stderr, "%s: not a file of this pipeline (unknown magic)\n", path);
        ok = 0;
    }
    if (r < 0) {
        fprintf(stderr, "%s: %s\n", path, saferl_result_string(r));
        ok = 0;
    }
    free(data);
    return ok;
}

/* ---- command line --------------------------------------------------------------------------- */

#define USAGE "run        --env gridworld|pointgoal|runner [--seed S] [--out DIR] [--png-dir D] [--no-finetune] [--relabel]\n" \
              "       pls_lifetime regenerate --env gridworld|pointgoal|runner [--seed S] --out DIR [--dataset FILE] [--relabel]\n" \
              "       pls_lifetime deploy     --env gridworld|pointgoal|runner --data DIR [--seed S] [--png-dir D] [--log FILE]\n" \
              "                               [--no-finetune] [--brief] [--fitted-prior] [--seed-box mtro --dataset FILE]\n" \
              "       pls_lifetime bench      --env gridworld|pointgoal|runner --data DIR [--seeds N] [--no-finetune] [--fitted-prior]\n" \
              "                               [--seed-box mtro --dataset FILE]\n" \
              "       pls_lifetime check      FILE..."

/* The flags each command takes: any other is a usage error, never silently ignored. */
static const char *const command_flags[4][11] = {
    {"run", "--env", "--seed", "--out", "--png-dir", "--no-finetune", "--log", "--dataset", "--relabel"},
    {"regenerate", "--env", "--seed", "--out", "--dataset", "--relabel"},
    {"deploy", "--env", "--data", "--seed", "--png-dir", "--log", "--no-finetune", "--brief", "--fitted-prior", "--seed-box",
     "--dataset"},
    {"bench", "--env", "--data", "--seeds", "--no-finetune", "--fitted-prior", "--seed-box", "--dataset"}};

/* The largest grid value <= v (the grid's first value when v is below it): a seed box never
   reaches past the target that placed it. */
static double grid_floor(double v, double first, double step, int count) {
    double k = floor((v - first) / step + 1e-9);
    return first + step * (k < 0.0 ? 0.0 : k > count - 1 ? count - 1 : k);
}

/* MTRO's seed box (--seed-box mtro): the targets chosen from the offline dataset at path alone
   (saferl_rl_dataset_mtro_targets at cost limit b, kappa 10 as in Multi-Game Decision
   Transformers) give the box's corner R <= R_mtro, G <= G_mtro, each rounded down to the grid.
   The dataset must be the one behind the loaded artifacts (same episode and step counts as the
   summary's). Everything else in c stays. 1, or 0 after a message. */
static int mtro_seed_box(const env_config *c, const summary *sum, const char *path, env_config *out) {
    saferl_rl_builtin state;
    saferl_rl_env env;
    saferl_rl_dataset ds;
    double reward, cost;
    long episodes;
    saferl_result r = saferl_rl_dataset_load_file(&ds, path, NULL);
    if (r != SAFERL_OK) {
        fprintf(stderr, "%s: %s\n", path, r == SAFERL_ERR_IO ? strerror(errno) : saferl_result_string(r));
        return 0;
    }
    make_env(c, &env, &state);
    episodes = ds.episode_count;
    if (ds.observation_dim != env.observation_dim || ds.action_count != env.action_count ||
        ds.episode_count != sum->dataset_episodes || ds.step_count != sum->dataset_steps)
        r = SAFERL_ERR_INVALID_ARGUMENT;
    else r = saferl_rl_dataset_mtro_targets(&ds, c->budget, 10.0, &reward, &cost);
    saferl_rl_dataset_destroy(&ds);
    if (r != SAFERL_OK) {
        fprintf(stderr, "%s: %s\n", path, r == SAFERL_ERR_INVALID_ARGUMENT ? "not the dataset behind these artifacts"
                                          : r == SAFERL_ERR_INFEASIBLE ? "no episode within the budget"
                                                                       : saferl_result_string(r));
        return 0;
    }
    *out = *c;
    out->seed_r_max = grid_floor(reward, c->r_min, c->r_step, c->r_count);
    out->seed_g_max = grid_floor(cost, c->g_min, c->g_step, c->g_count);
    printf("MTRO targets from %ld offline episodes (cost <= %g, kappa 10): R %.3f, G %.3f; seed box R <= %g, G <= %g\n",
           episodes, c->budget, reward, cost, out->seed_r_max, out->seed_g_max);
    return 1;
}

static int run(int argc, char **argv) {
    const char *command, *env_name = NULL, *out = NULL, *data = NULL, *png_dir = NULL, *log_path = NULL, *dataset = NULL;
    uint32_t seed = 1, seeds = 10;
    int finetune = 1, brief = 0, fitted = 0, mtro = 0, relabel = 0, i, k, status, which;
    const env_config *c;
    env_config mtro_config;
    pipeline p;
    cli cl;
    cli_init(&cl, argc, argv, USAGE);
    if (argc < 2) return cli_usage_error(&cl, "a command is required");
    command = argv[1];
    if (!strcmp(command, "check")) {
        int ok = 1;
        if (argc < 3) return cli_usage_error(&cl, "check needs files");
        for (i = 2; i < argc; ++i) ok &= check_file(argv[i]);
        return ok ? 0 : 1;
    }
    for (which = 0; which < 4 && strcmp(command, command_flags[which][0]) != 0; ++which) {}
    if (which == 4) return cli_usage_error(&cl, "unknown command %s", command);
    for (i = 2; i < argc; ++i) {
        const char *flag = argv[i], *v = NULL;
        int bad = 0, allowed = 0;
        if (cli_is(&cl, &i, "--no-finetune", NULL)) finetune = 0;
        else if (cli_is(&cl, &i, "--brief", NULL)) brief = 1;
        else if (cli_is(&cl, &i, "--fitted-prior", NULL)) fitted = 1;
        else if (cli_is(&cl, &i, "--relabel", NULL)) relabel = 1;
        else if (cli_is(&cl, &i, "--env", &v)) env_name = v;
        else if (cli_is(&cl, &i, "--out", &v)) out = v;
        else if (cli_is(&cl, &i, "--data", &v)) data = v;
        else if (cli_is(&cl, &i, "--png-dir", &v)) png_dir = v;
        else if (cli_is(&cl, &i, "--log", &v)) log_path = v;
        else if (cli_is(&cl, &i, "--dataset", &v)) dataset = v;
        else if (cli_is(&cl, &i, "--seed-box", &v)) {
            if (v && strcmp(v, "mtro") != 0) return cli_usage_error(&cl, "--seed-box: mtro, not '%s'", v);
            bad = !v, mtro = 1;
        }        else if (cli_is(&cl, &i, "--seed", &v)) bad = !v || cli_count32(&cl, flag, v, 0, UINT32_MAX, &seed);
        else if (cli_is(&cl, &i, "--seeds", &v)) bad = !v || cli_count32(&cl, flag, v, 1, 1000, &seeds);
        else return cli_usage_error(&cl, "unknown option %s", flag);
        if (bad || cl.failed) return 2;
        for (k = 1; k < 11 && command_flags[which][k]; ++k) allowed |= !strcmp(command_flags[which][k], flag);
        if (!allowed) return cli_usage_error(&cl, "%s does not apply to %s", flag, command);
    }
    c = config_by_name(env_name);
    if (!c) return cli_usage_error(&cl, env_name ? "unknown environment %s" : "--env is required", env_name);
    memset(&p, 0, sizeof p);
    p.config = c;
    p.fitted_prior = fitted;
    p.relabel = relabel;
    if (!strcmp(command, "run") || !strcmp(command, "regenerate")) {
        if (!strcmp(command, "regenerate") && !out) return cli_usage_error(&cl, "regenerate needs --out DIR");
        printf("== %s: offline stage (seed %u)\n", c->name, (uint32_t)seed);
        if (!offline_stage(c, (uint32_t)seed, out, dataset, &p)) {
            fprintf(stderr, "pls_lifetime: the offline stage failed\n");
            pipeline_free(&p);
            return 1;
        }
        status = 0;
        if (!strcmp(command, "run")) {
            printf("== %s: deployment (seed %u)\n", c->name, (uint32_t)seed);
            status = command_deploy(&p, (uint32_t)seed, png_dir, log_path, finetune, 0);
        } else {
            grid_state *g = (grid_state *)calloc(1, sizeof *g);
            int best;
            if (!g) return 1;
            fill_grid(c, g);
            status = grid_facts(c, &p.sum, g, 1, &best) ? 0 : 1;
            free(g);
        }
        pipeline_free(&p);
        return status;
    }
    if (!strcmp(command, "deploy") || !strcmp(command, "bench")) {
        if (!data) return cli_usage_error(&cl, "--data DIR is required");
        if (mtro != (dataset != NULL)) return cli_usage_error(&cl, "--seed-box mtro and --dataset FILE go together");
        if (!load_artifacts(c, data, &p) || (mtro && !mtro_seed_box(c, &p.sum, dataset, &mtro_config))) {
            pipeline_free(&p);
            return 1;
        }
        if (mtro) p.config = &mtro_config;
        status = !strcmp(command, "deploy") ? command_deploy(&p, (uint32_t)seed, png_dir, log_path, finetune, brief)
                                            : command_bench(&p, (int)seeds, finetune);
        pipeline_free(&p);
        return status;
    }
    return cli_usage_error(&cl, "unknown command %s", command);
}

int main(int argc, char **argv) { return cli_finish(run(argc, argv)); }
