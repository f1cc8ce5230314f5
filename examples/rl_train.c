// SPDX-License-Identifier: MIT OR Unlicense
/* rl_train - train a policy with saferl_rl.h on a built-in constrained MDP.

   rl_train --env cartpole|pointgoal|gridworld|pendulum|cliff
            --algo ppo|ppo-lag|pid-lag|cpo|pcpo|trpo-lag|focops|cup
            --cost-limit D --seed S --steps N [--save policy.bin] [--png curves.png]
            [--envs K] [--steps-per-epoch M]
   rl_train --env E --algo flip --cost-limits d1,d2,... --cost-limit D [--base ALGO]
            [--constraint cost|violation] [--eval-episodes N] --seed S --steps N

   Prints one CSV line per epoch (epoch,steps,return,cost,lambda,seconds; return and cost are
   the mean undiscounted episodic values of the last 100 episodes of the stochastic training
   policy; for cpo the lambda column is the constraint's dual variable nu of the step, for
   pcpo the projection's multiplier, for trpo-lag, focops and cup the Lagrange multiplier as
   for ppo-lag),
   then "eval,return,cost" for the deterministic policy over 10 episodes, and writes
   a PNG of the learning curves with the cost limit drawn (default rl_train.png).

   --algo flip trains one policy per cost limit d_i with --base (default cpo), evaluates each
   deterministic policy over --eval-episodes episodes (default 1000), solves the mixture LP
   for the best mixture whose expected cost (or, with --constraint violation, probability of
   an episode with any cost) is at most D, and measures the mixture flipped per episode (the
   LP's mixture) and per step (the paper's Algorithm 2). Output lines:
      policy,index,cost_limit,return,cost,violation
      mixture,first,second,first_weight,return,constraint      (the LP's prediction)
      flip,per-episode|per-step,return,cost,violation          (measured) */
#define SAFERL_RL_IMPLEMENTATION
#include "saferl_rl.h"
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#include "plot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int usage(const char *msg) {
    fprintf(stderr, "rl_train: %s\nusage: rl_train --env cartpole|pointgoal|gridworld|pendulum|cliff "
                    "--algo ppo|ppo-lag|pid-lag|cpo|pcpo|trpo-lag|focops|cup --cost-limit D --seed S --steps N [--save policy.bin] "
                    "[--png curves.png] [--envs K] [--steps-per-epoch M]\n", msg);
    return 2;
}

static int parse_number(const char *s, double *out);

#define FLIP_MAX 16

/* saferl_rl_flip_evaluate (deterministic actions) through a context sized for the larger of
   the two policies: acting writes only the context, never the policies. */
static saferl_result flip_evaluate(saferl_rl_flip_policy *flip, const saferl_rl_env *env, int episodes, uint32_t seed,
                                   double *ret, double *cost, double *violation) {
    size_t a = saferl_rl_policy_context_memory_size(flip->first), b = saferl_rl_policy_context_memory_size(flip->second);
    size_t size = a > b ? a : b;
    saferl_rl_policy_context context;
    void *memory = malloc(size);
    saferl_result res = memory ? saferl_rl_policy_context_init(&context, memory, size) : SAFERL_ERR_OUT_OF_MEMORY;
    flip->context = &context;
    if (res == SAFERL_OK) res = saferl_rl_flip_evaluate(flip, env, episodes, 0, 1, seed, ret, cost, violation);
    flip->context = NULL;
    free(memory);
    return res;
}

/* --algo flip: train at each cost limit, evaluate, solve the mixture LP, measure both modes. */
static int run_flip(saferl_rl_desc desc, saferl_rl_env *envs, int env_count, const double *limits, int count,
                    double cost_limit, int epochs, int by_violation, int eval_episodes) {
    static saferl_rl_agent agents[FLIP_MAX];
    double ret[FLIP_MAX], cost[FLIP_MAX], violation[FLIP_MAX], r, c, v;
    saferl_rl_flip_policy flip;
    saferl_rl_mixture m;
    saferl_result res;
    int i, e, mode, status = 0;
    for (i = 0; i < count; ++i) {
        saferl_rl_epoch_stats st;
        desc.cost_limit = limits[i] > 0.0 ? limits[i] : 1e-9;
        res = saferl_rl_agent_create(&agents[i], &desc, envs, env_count);
        if (res < 0) {
            fprintf(stderr, "rl_train: %s\n", saferl_result_string(res));
            while (i-- > 0) saferl_rl_agent_destroy(&agents[i]);
            return 1;
        }
        for (e = 0; e < epochs && res >= 0; ++e) res = saferl_rl_agent_epoch(&agents[i], &st);
        flip.first = flip.second = &agents[i].actor;
        flip.first_weight = 1.0;
        flip.mode = SAFERL_RL_FLIP_PER_EPISODE;
        flip.current = 0;
        if (res >= 0)
            res = flip_evaluate(&flip, &envs[0], eval_episodes, desc.seed + 1000u, &ret[i], &cost[i], &violation[i]);
        if (res < 0) {
            fprintf(stderr, "rl_train: policy %d: %s\n", i, saferl_result_string(res));
            status = 1;
            count = i + 1;
            goto done;
        }
        printf("policy,%d,%g,%.6g,%.6g,%.6g\n", i, limits[i], ret[i], cost[i], violation[i]);
        fflush(stdout);
    }
    res = saferl_rl_mixture_solve(ret, by_violation ? violation : cost, count, cost_limit, &m);
    if (res < 0) {
        fprintf(stderr, "rl_train: mixture: %s (no policy meets %g)\n", saferl_result_string(res), cost_limit);
        status = 1;
        goto done;
    }
    printf("mixture,%d,%d,%.6g,%.6g,%.6g\n", m.first, m.second, m.first_weight, m.value, m.constraint);
    for (mode = 0; mode < 2; ++mode) {
        flip.first = &agents[m.first].actor;
        flip.second = &agents[m.second].actor;
        flip.first_weight = m.first_weight;
        flip.mode = mode ? SAFERL_RL_FLIP_PER_STEP : SAFERL_RL_FLIP_PER_EPISODE;
        res = flip_evaluate(&flip, &envs[0], eval_episodes, desc.seed + 2000u, &r, &c, &v);
        if (res < 0) {
            fprintf(stderr, "rl_train: flip: %s\n", saferl_result_string(res));
            status = 1;
            goto done;
        }
        printf("flip,%s,%.6g,%.6g,%.6g\n", mode ? "per-step" : "per-episode", r, c, v);
    }
done:
    for (i = 0; i < count; ++i) saferl_rl_agent_destroy(&agents[i]);
    return status;
}

static int parse_number(const char *s, double *out) {
    char *end;
    double v;
    if (!s || !*s) return 0;
    v = strtod(s, &end);
    if (*end || v != v) return 0;
    *out = v;
    return 1;
}

int main(int argc, char **argv) {
    const char *env_name = NULL, *algo = "ppo-lag", *save = NULL, *png = "rl_train.png", *base = "cpo";
    const char *constraint = "cost";
    double limits[FLIP_MAX], eval_episodes = 1000.0;
    int limit_count = 0, flip_mode = 0;
    double cost_limit = 25.0, seed = 0.0, steps = 100000.0, env_count = 1.0, per_epoch = 0.0;
    saferl_rl_builtin states[SAFERL_RL_MAX_ENVS];
    saferl_rl_env envs[SAFERL_RL_MAX_ENVS];
    saferl_rl_desc desc;
    saferl_rl_agent agent;
    saferl_rl_epoch_stats st;
    double *xs, *rets, *costs, *lambdas, ymin = 0.0, ymax = 1.0, eval_ret = 0.0, eval_cost = 0.0;
    int i, kind, epochs, n = 0;
    clock_t start = clock();
    saferl_result r;
    for (i = 1; i < argc; ++i) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int ok = 1;
        if (!strcmp(a, "--env")) env_name = v;
        else if (!strcmp(a, "--algo")) algo = v;
        else if (!strcmp(a, "--save")) save = v;
        else if (!strcmp(a, "--base")) base = v;
        else if (!strcmp(a, "--constraint")) {
            constraint = v;
            ok = v && (!strcmp(v, "cost") || !strcmp(v, "violation"));
        }
        else if (!strcmp(a, "--eval-episodes")) ok = parse_number(v, &eval_episodes) && eval_episodes >= 1 && eval_episodes <= 1e7;
        else if (!strcmp(a, "--cost-limits")) {
            char buf[512], *tok;
            limit_count = 0;
            ok = v && strlen(v) < sizeof buf;
            if (ok) {
                strcpy(buf, v);
                for (tok = strtok(buf, ","); tok && ok; tok = strtok(NULL, ",")) {
                    ok = limit_count < FLIP_MAX && parse_number(tok, &limits[limit_count]) && limits[limit_count] >= 0.0;
                    ++limit_count;
                }
                ok = ok && limit_count >= 1;
            }
        }
        else if (!strcmp(a, "--png")) png = v;
        else if (!strcmp(a, "--cost-limit")) ok = parse_number(v, &cost_limit) && cost_limit >= 0.0;
        else if (!strcmp(a, "--seed")) ok = parse_number(v, &seed) && seed >= 0.0 && seed <= 4294967295.0;
        else if (!strcmp(a, "--steps")) ok = parse_number(v, &steps) && steps >= 1.0 && steps <= 1e9;
        else if (!strcmp(a, "--envs")) ok = parse_number(v, &env_count) && env_count >= 1 && env_count <= SAFERL_RL_MAX_ENVS;
        else if (!strcmp(a, "--steps-per-epoch")) ok = parse_number(v, &per_epoch) && per_epoch >= 1 && per_epoch <= 1e6;
        else return usage("unknown option");
        if (!ok || !v) {
            char msg[200];
            snprintf(msg, sizeof msg, "bad value for %s: %s", a, v ? v : "(missing)");
            return usage(msg);
        }
        ++i;
    }
    if (!env_name) return usage("--env is required");
    kind = saferl_rl_env_kind_from_name(env_name);
    if (kind < 0) return usage("unknown environment");
    memset(&desc, 0, sizeof desc);
    if (!strcmp(algo, "flip")) {
        if (limit_count < 1) return usage("--algo flip needs --cost-limits d1,d2,...");
        algo = base;
        flip_mode = 1;
    }
    if (!strcmp(algo, "flip")) return usage("--base flip: the base must be a training algorithm");
    else if (!strcmp(algo, "ppo")) desc.algorithm = SAFERL_RL_PPO;
    else if (!strcmp(algo, "ppo-lag")) desc.algorithm = SAFERL_RL_PPO_LAG;
    else if (!strcmp(algo, "pid-lag")) desc.algorithm = SAFERL_RL_PID_LAG;
    else if (!strcmp(algo, "cpo")) desc.algorithm = SAFERL_RL_CPO;
    else if (!strcmp(algo, "pcpo")) desc.algorithm = SAFERL_RL_PCPO;
    else if (!strcmp(algo, "trpo-lag")) desc.algorithm = SAFERL_RL_TRPO_LAG;
    else if (!strcmp(algo, "focops")) desc.algorithm = SAFERL_RL_FOCOPS;
    else if (!strcmp(algo, "cup")) desc.algorithm = SAFERL_RL_CUP;
    else return usage("unknown algorithm");
    desc.cost_limit = cost_limit > 0.0 ? cost_limit : 1e-9;
    desc.seed = (uint32_t)seed;
    desc.steps_per_epoch = per_epoch > 0 ? (int)per_epoch : 2000;
    desc.steps_per_epoch -= desc.steps_per_epoch % (int)env_count;
    if (desc.steps_per_epoch < 1) return usage("--steps-per-epoch below --envs");
    for (i = 0; i < (int)env_count; ++i) saferl_rl_env_builtin(&envs[i], &states[i], (saferl_rl_env_kind)kind);
    epochs = (int)((steps + desc.steps_per_epoch - 1) / desc.steps_per_epoch);
    if (flip_mode)
        return run_flip(desc, envs, (int)env_count, limits, limit_count, cost_limit, epochs,
                        !strcmp(constraint, "violation"), (int)eval_episodes);
    r = saferl_rl_agent_create(&agent, &desc, envs, (int)env_count);
    if (r < 0) {
        fprintf(stderr, "rl_train: %s\n", saferl_result_string(r));
        return 1;
    }
    xs = (double *)malloc(sizeof(double) * 4 * (size_t)epochs);
    if (!xs) return 1;
    rets = xs + epochs;
    costs = rets + epochs;
    lambdas = costs + epochs;
    printf("epoch,steps,return,cost,lambda,seconds\n");
    for (i = 0; i < epochs; ++i) {
        r = saferl_rl_agent_epoch(&agent, &st);
        if (r < 0) {
            fprintf(stderr, "rl_train: epoch %d: %s\n", i + 1, saferl_result_string(r));
            return 1;
        }
        printf("%d,%ld,%.6g,%.6g,%.6g,%.3f\n", st.epoch, st.total_steps, st.episode_return, st.episode_cost,
               st.lagrange_multiplier, (double)(clock() - start) / CLOCKS_PER_SEC);
        fflush(stdout);
        if (st.episode_return == st.episode_return) {
            xs[n] = (double)st.total_steps;
            rets[n] = st.episode_return;
            costs[n] = st.episode_cost;
            lambdas[n] = st.lagrange_multiplier;
            if (n == 0 || rets[n] < ymin) ymin = rets[n];
            if (n == 0 || rets[n] > ymax) ymax = rets[n];
            if (costs[n] < ymin) ymin = costs[n];
            if (costs[n] > ymax) ymax = costs[n];
            ++n;
        }
    }
    {
        saferl_rl_flip_policy one = {0};
        one.first = one.second = &agent.actor;
        one.first_weight = 1.0;
        flip_evaluate(&one, &envs[0], 10, desc.seed + 1000u, &eval_ret, &eval_cost, NULL);
    }
    printf("eval,%.6g,%.6g\n", eval_ret, eval_cost);
    if (save && saferl_rl_policy_save_file(&agent.actor, save) < 0) {
        fprintf(stderr, "rl_train: cannot write %s\n", save);
        return 1;
    }
    if (png && n > 0) {
        plot_canvas canvas;
        plot_axes ax;
        double lx[2], ly[2];
        char title[160];
        if (cost_limit < ymin) ymin = cost_limit;
        if (cost_limit > ymax) ymax = cost_limit;
        if (ymax <= ymin) ymax = ymin + 1.0;
        if (plot_canvas_init(&canvas, 900, 560, plot_rgb(255, 255, 255))) {
            plot_legend_entry legend[3];
            plot_axes_init(&ax, &canvas, 80, 50, 860, 500);
            plot_axes_range(&ax, 0.0, xs[n - 1] > 0 ? xs[n - 1] : 1.0, ymin, ymax + 0.05 * (ymax - ymin), PLOT_LINEAR);
            snprintf(title, sizeof title, "%s, %s, d = %g, seed %u", env_name, algo, cost_limit, desc.seed);
            plot_axes_draw(&ax, "environment steps", "episodic return / cost", title);
            plot_polyline(&ax, xs, rets, (size_t)n, 2.0, plot_rgb(30, 90, 200));
            plot_polyline(&ax, xs, costs, (size_t)n, 2.0, plot_rgb(210, 60, 30));
            lx[0] = 0.0; lx[1] = xs[n - 1];
            ly[0] = ly[1] = cost_limit;
            plot_polyline(&ax, lx, ly, 2, 1.5, plot_rgb(90, 90, 90));
            memset(legend, 0, sizeof legend);
            legend[0].label = "return"; legend[0].color = plot_rgb(30, 90, 200);
            legend[1].label = "cost"; legend[1].color = plot_rgb(210, 60, 30);
            legend[2].label = "cost limit d"; legend[2].color = plot_rgb(90, 90, 90);
            plot_legend(&ax, legend, 3, 1);
            if (!plot_write_png(&canvas, png)) fprintf(stderr, "rl_train: cannot write %s\n", png);
            plot_canvas_free(&canvas);
        }
    }
    (void)lambdas;
    free(xs);
    saferl_rl_agent_destroy(&agent);
    return 0;
}
