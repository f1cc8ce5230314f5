// SPDX-License-Identifier: MIT OR Unlicense
/* rl_train - train a policy with saferl_rl.h on a built-in constrained MDP.

   rl_train --env cartpole|pointgoal|gridworld|pendulum|cliff|runner
            --algo ppo|ppo-lag|pid-lag|cpo|pcpo|trpo-lag|focops|cup
            --cost-limit D --seed S --steps N [--save policy.bin] [--png curves.png]
            [--envs K] [--steps-per-epoch M] [--save-checkpoint FILE] [--resume FILE]
            [--cost-lambda X] [--cost-estimate epoch|window[:EPISODES]] [--cost-test-z Z|none]
   rl_train --env pendulum|pendulum-v1|pointgoal --algo td3|sac|td3-lag|sac-lag|m2td3|dr-td3 [--cost-limit D]
            [--hidden H] [--gradient-steps G] --seed S --steps N [--steps-per-epoch M]
            [--png curves.png] [--save-checkpoint FILE] [--resume FILE]
   rl_train --env cartpole|gridworld|cliff --algo sac-discrete|sac-discrete-lag [--cost-limit D] [...as above]
   rl_train --env E --algo flip --cost-limits d1,d2,... --cost-limit D [--base ALGO]
            [--constraint cost|violation] [--eval-episodes N] --seed S --steps N

   Prints one CSV line per epoch (epoch,steps,return,cost,lambda,seconds; return and cost are
   the mean undiscounted episodic values of the last 100 episodes of the stochastic training
   policy; for cpo the lambda column is the constraint's dual variable nu of the step, for
   pcpo the projection's multiplier, for trpo-lag, focops and cup the Lagrange multiplier as
   for ppo-lag),
   then "eval,return,cost" for the deterministic policy over 10 episodes; --png FILE also
   writes a PNG of the learning curves with the cost limit drawn (no file without it).

   --cost-lambda X (in (0, 1], default 0.95) is the cost's GAE lambda (desc.cost_lambda).
   --cost-estimate chooses what J_C, the cost the constraint's update acts on, is the mean of
   (desc.cost_estimate): epoch (the default) is the episodes finished in this epoch; window is
   the last 100 finished episodes, window:EPISODES the last EPISODES (1 to 1048576). EPISODES
   is desc.episode_window, which also sets how many episodes the return and cost columns
   average. Both apply to the on-policy algorithms and to --algo flip's training.
   --cost-test-z Z|none (Z in (0, 1000], default 1.645) is desc.cost_test_z: CPO's and PCPO's
   line search tests a step that may spend slack on the predicted change of J_C plus Z
   standard errors; none tests the change itself (the rule before saferl_rl.h 0.5.6).

   --save-checkpoint FILE writes the agent's whole training state after the last epoch;
   --resume FILE loads one into an agent made from the same flags and trains from the epoch
   after it up to --steps in all, printing the same epoch lines as a run never interrupted
   (the seconds column aside). A checkpoint from other flags is refused with the field that
   differs. The off-policy algorithms save and resume the same way (the checkpoint holds the
   replay too; a resumed run carries on from its step, and for m2td3, whose omega schedule
   spans --steps, --steps must be the same).

   --algo flip trains one policy per cost limit d_i with --base (default cpo), evaluates each
   deterministic policy over --eval-episodes episodes (default 1000), solves the mixture LP
   for the best mixture whose expected cost (or, with --constraint violation, probability of
   an episode with any cost) is at most D, and measures the mixture flipped per episode (the
   LP's mixture) and per step (the paper's Algorithm 2). Output lines:
      policy,index,cost_limit,return,cost,violation
      mixture,first,second,first_weight,return,constraint      (the LP's prediction)
      flip,per-episode|per-step,return,cost,violation          (measured)

   --algo td3|sac|td3-lag|sac-lag trains saferl_rl_offpolicy_agent (hidden layers H-H, default
   256-256 as in both papers; replay of 10^6 transitions; 1000 random steps, then one
   update per step, or G with --gradient-steps G, 1 to 64: desc.gradient_steps) on a continuous-action environment (pendulum-v1 is Gym's Pendulum-v1).
   One line per M steps (default 2000): epoch,steps,return,cost,lambda,seconds with the mean
   return and cost of the episodes that ended in those steps (nan if none did); then
   "eval,return,cost" of the deterministic actor over 10 episodes. --cost-limit is required for
   the -lag forms and does not apply to the others; --save and --envs are on-policy only.
   sac-discrete and sac-discrete-lag (Christodoulou 2019: a softmax policy, a Q per action, the
   expectations over actions taken exactly) do the same on a discrete-action environment; the
   deterministic actor is then the policy's most likely action.
   m2td3 (worst-case robust TD3) and dr-td3 (TD3 with omega uniform at every reset) train over
   the environment's uncertainty box Omega (pendulum, pendulum-v1: mass and length in
   [0.5, 1.5]); eval is at the nominal omega, and a last line "grid,worst_return,mean_return"
   evaluates the deterministic actor on a 3 x 3 grid over Omega (2 episodes a point).

   --cost-limit has no default (it states the problem). Usage errors (a bad, repeated or
   inapplicable flag) exit 2; failures exit 1. Files are written whole or not at all. */
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

#define USAGE "--env cartpole|pointgoal|gridworld|pendulum|cliff|runner --algo ppo|ppo-lag|pid-lag|cpo|pcpo|trpo-lag|focops|cup" \
              " --cost-limit D [--seed S] [--steps N] [--save policy.bin] [--png curves.png] [--envs K]" \
              " [--steps-per-epoch M] [--save-checkpoint FILE] [--resume FILE] [--cost-lambda X]" \
              " [--cost-estimate epoch|window[:EPISODES]] [--cost-test-z Z|none]  |  --env E --algo flip --cost-limits d1,d2,... --cost-limit D [--base ALGO]" \
              " [--constraint cost|violation] [--eval-episodes N] [--seed S] [--steps N]" \
              "  |  --env pendulum|pendulum-v1|pointgoal --algo td3|sac|td3-lag|sac-lag|m2td3|dr-td3 [--cost-limit D]" \
              " [--hidden H] [--gradient-steps G] [--seed S] [--steps N] [--steps-per-epoch M] [--png curves.png] [--save-checkpoint FILE] [--resume FILE]" \
              "  |  --env cartpole|gridworld|cliff --algo sac-discrete|sac-discrete-lag [--cost-limit D] [as above]"

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
        desc.cost_count = 1;
        desc.cost_limits[0] = limits[i];
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

/* A saved buffer (saved: the save succeeded) written whole or not at all, then freed. 0, or 1
   after a message naming the path. */
static int write_saved(const char *path, void *buffer, size_t written, int saved, const char *what) {
    int failed;
    if (!saved) {
        fprintf(stderr, "%s: %s\n", path, buffer ? what : "out of memory");
        free(buffer);
        return 1;
    }
    failed = cli_write_file(path, buffer, written);
    free(buffer);
    return failed;
}

/* The policy file. */
static int save_policy(const saferl_rl_policy *policy, const char *path) {
    size_t size = saferl_rl_policy_saved_size(policy), written = 0;
    void *buffer = malloc(size);
    int saved = buffer && saferl_rl_policy_save(policy, buffer, size, &written) == SAFERL_OK;
    return write_saved(path, buffer, written, saved, "the policy cannot be saved");
}

/* The agent's training state. */
static int save_checkpoint(const saferl_rl_agent *agent, const char *path) {
    size_t size = saferl_rl_agent_checkpoint_size(agent), written = 0;
    void *buffer = malloc(size);
    int saved = buffer && saferl_rl_agent_checkpoint_save(agent, buffer, size, &written) == SAFERL_OK;
    return write_saved(path, buffer, written, saved, "the checkpoint cannot be saved");
}

/* A checkpoint load's outcome: 0, or 1 after "path: the OS's reason" or "path: what is wrong". */
static int resumed(saferl_result r, const char *path, const char *why) {
    if (r == SAFERL_OK) return 0;
    if (r == SAFERL_ERR_IO) fprintf(stderr, "%s: %s\n", path, strerror(errno ? errno : EIO));
    else fprintf(stderr, "%s: %s (%s)\n", path, why ? why : "cannot be loaded", saferl_result_string(r));
    return 1;
}

/* Loads path into agent. 0, or 1 after the reason. */
static int resume(saferl_rl_agent *agent, const char *path) {
    const char *why = NULL;
    saferl_result r;
    errno = 0;
    r = saferl_rl_agent_checkpoint_load_file(agent, path, &why);
    return resumed(r, path, why);
}

/* The off-policy run's training state: the agent, its replay, the environment's state. */
static int save_offpolicy_checkpoint(const saferl_rl_offpolicy_agent *agent, const saferl_rl_replay *replay,
                                     const saferl_rl_env *env, const char *path) {
    size_t size = saferl_rl_offpolicy_checkpoint_size(agent, replay, env), written = 0;
    void *buffer = malloc(size);
    int saved = buffer && saferl_rl_offpolicy_checkpoint_save(agent, replay, env, buffer, size, &written) == SAFERL_OK;
    return write_saved(path, buffer, written, saved, "the checkpoint cannot be saved");
}

/* --cost-limits d1,d2,...: at most FLIP_MAX finite limits >= 0. 0, or 2 after the usage message. */
static int parse_limits(const cli *c, const char *text, double *limits, int *count) {
    char buf[512], *tok;
    if (strlen(text) >= sizeof buf) return cli_usage_error(c, "--cost-limits: too long");
    strcpy(buf, text);
    *count = 0;
    for (tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        if (*count == FLIP_MAX) return cli_usage_error(c, "--cost-limits: at most %d limits", FLIP_MAX);
        if (cli_real(c, "--cost-limits", tok, 0.0, HUGE_VAL, 0, &limits[(*count)++])) return 2;
    }
    return *count ? 0 : cli_usage_error(c, "--cost-limits: no limit given");
}

/* --cost-estimate epoch|window[:EPISODES]: the desc's cost_estimate and, for window:EPISODES,
   its episode_window (which the reported return and cost average over too). 0, or 2 after
   the usage message. */
static int parse_cost_estimate(const cli *c, const char *text, saferl_rl_cost_estimate *estimate, uint32_t *window) {
    static const char window_name[] = "window";
    const size_t n = sizeof window_name - 1;
    if (!strcmp(text, "epoch")) {
        *estimate = SAFERL_RL_COST_EPOCH;
        return 0;
    }
    if (strncmp(text, window_name, n) != 0 || (text[n] != '\0' && text[n] != ':'))
        return cli_usage_error(c, "--cost-estimate: epoch, window or window:EPISODES, not '%s'", text);
    *estimate = SAFERL_RL_COST_WINDOW;
    return text[n] == ':' ? cli_count32(c, "--cost-estimate window:EPISODES", text + n + 1, 1, 1u << 20, window) : 0;
}

/* Flags of one mode given in the other are usage errors, not silently ignored. */
static int check_mode(const cli *c, int flip_mode) {
    static const char *const flip_only[] = {"--cost-limits", "--base", "--constraint", "--eval-episodes"};
    static const char *const train_only[] = {"--save", "--png", "--save-checkpoint", "--resume"};
    int k;
    for (k = 0; k < 4 && !flip_mode; ++k)
        if (cli_given(c, flip_only[k])) return cli_usage_error(c, "%s needs --algo flip", flip_only[k]);
    for (k = 0; k < 4 && flip_mode; ++k)
        if (cli_given(c, train_only[k])) return cli_usage_error(c, "%s does not apply to --algo flip", train_only[k]);
    return 0;
}

/* The learning curves as a PNG (the cost limit drawn when has_limit). 0, or 1 when the write failed. */
static int write_curves(const char *png, const double *xs, const double *rets, const double *costs, int n, double ymin,
                        double ymax, double cost_limit, int has_limit, const char *env_name, const char *algo,
                        uint32_t seed) {
    plot_canvas canvas;
    plot_axes ax;
    plot_legend_entry legend[3];
    double lx[2], ly[2];
    char title[160];
    int status;
    if (has_limit && cost_limit < ymin) ymin = cost_limit;
    if (has_limit && cost_limit > ymax) ymax = cost_limit;
    if (ymax <= ymin) ymax = ymin + 1.0;
    if (!plot_canvas_init(&canvas, 900, 560, plot_rgb(255, 255, 255))) return 0;
    plot_axes_init(&ax, &canvas, 80, 50, 860, 500);
    plot_axes_range(&ax, 0.0, xs[n - 1] > 0 ? xs[n - 1] : 1.0, ymin, ymax + 0.05 * (ymax - ymin), PLOT_LINEAR);
    if (has_limit) snprintf(title, sizeof title, "%s, %s, d = %g, seed %u", env_name, algo, cost_limit, seed);
    else snprintf(title, sizeof title, "%s, %s, seed %u", env_name, algo, seed);
    plot_axes_draw(&ax, "environment steps", "episodic return / cost", title);
    plot_polyline(&ax, xs, rets, (size_t)n, 2.0, plot_rgb(30, 90, 200));
    plot_polyline(&ax, xs, costs, (size_t)n, 2.0, plot_rgb(210, 60, 30));
    lx[0] = 0.0; lx[1] = xs[n - 1];
    ly[0] = ly[1] = cost_limit;
    if (has_limit) plot_polyline(&ax, lx, ly, 2, 1.5, plot_rgb(90, 90, 90));
    memset(legend, 0, sizeof legend);
    legend[0].label = "return"; legend[0].color = plot_rgb(30, 90, 200);
    legend[1].label = "cost"; legend[1].color = plot_rgb(210, 60, 30);
    legend[2].label = "cost limit d"; legend[2].color = plot_rgb(90, 90, 90);
    plot_legend(&ax, legend, has_limit ? 3 : 2, 1);
    status = !plot_write_png(&canvas, png);
    plot_canvas_free(&canvas);
    return status;
}

/* The off-policy algorithms' names, in saferl_rl_offpolicy_algorithm's order. */
static const char *const offpolicy_names[] = {"td3",    "sac",          "td3-lag",         "sac-lag",
                                              "m2td3",  "dr-td3",       "sac-discrete",    "sac-discrete-lag"};
#define OFFPOLICY_COUNT ((int)(sizeof offpolicy_names / sizeof offpolicy_names[0]))

static int offpolicy_index(const char *algo) {
    int k;
    for (k = 0; k < OFFPOLICY_COUNT; ++k)
        if (!strcmp(algo, offpolicy_names[k])) return k;
    return -1;
}

/* The deterministic actor's mean return and cost over `episodes` episodes (its own RNG, so
   training's stream is untouched), at omega if not NULL. */
static saferl_result offpolicy_evaluate(saferl_rl_offpolicy_agent *agent, const saferl_rl_env *env, const double *omega,
                                        int episodes, uint32_t seed, double *ret, double *cost) {
    float obs[SAFERL_RL_MAX_WIDTH], action[SAFERL_RL_MAX_WIDTH], reward, costs[SAFERL_RL_MAX_COSTS];
    saferl_rng rng;
    saferl_result r;
    int e;
    saferl_rng_seed(&rng, seed);
    if (omega && (r = saferl_rl_builtin_set_omega((saferl_rl_builtin *)env->state, omega)) != SAFERL_OK) return r;
    *ret = *cost = 0.0;
    for (e = 0; e < episodes; ++e) {
        int terminated = 0, truncated = 0;
        if ((r = env->reset(env->state, &rng, obs)) != SAFERL_OK) return r;
        while (!terminated && !truncated) {
            if ((r = saferl_rl_offpolicy_act(agent, obs, 0, action)) != SAFERL_OK) return r;
            r = env->step(env->state, &rng, action, obs, &reward, costs, &terminated, &truncated);
            if (r != SAFERL_OK) return r;
            *ret += reward / episodes;
            *cost += costs[0] / episodes;
        }
    }
    return SAFERL_OK;
}

/* The robust forms: the deterministic actor's return on a 3 x 3 grid over Omega (corners,
   edges' midpoints, centre), 2 episodes a point: "grid,worst_return,mean_return". */
static int grid_evaluate(saferl_rl_offpolicy_agent *agent, const saferl_rl_env *env, uint32_t seed) {
    double lower[SAFERL_RL_MAX_OMEGA], upper[SAFERL_RL_MAX_OMEGA], omega[SAFERL_RL_MAX_OMEGA], ret, cost;
    double worst = HUGE_VAL, mean = 0.0;
    int g, points = 9;
    saferl_result r;
    saferl_rl_builtin_omega_box(((saferl_rl_builtin *)env->state)->kind, lower, upper, NULL);
    for (g = 0; g < points; ++g) {
        omega[0] = lower[0] + 0.5 * (g % 3) * (upper[0] - lower[0]);
        omega[1] = lower[1] + 0.5 * (g / 3) * (upper[1] - lower[1]);
        if ((r = offpolicy_evaluate(agent, env, omega, 2, seed + 2000u + (uint32_t)g, &ret, &cost)) != SAFERL_OK) {
            fprintf(stderr, "rl_train: grid evaluation: %s\n", saferl_result_string(r));
            return 1;
        }
        worst = ret < worst ? ret : worst;
        mean += ret / points;
    }
    printf("grid,%.6g,%.6g\n", worst, mean);
    return 0;
}

static int offpolicy_lagrangian(int algorithm) {
    return algorithm == SAFERL_RL_TD3_LAG || algorithm == SAFERL_RL_SAC_LAG || algorithm == SAFERL_RL_SAC_DISCRETE_LAG;
}

/* --algo td3|sac|td3-lag|sac-lag|sac-discrete|sac-discrete-lag|m2td3|dr-td3: one line per
   --steps-per-epoch steps with the mean return and cost of the episodes that ended in it, then
   the deterministic actor's evaluation. A resumed run carries on from the checkpoint's step. */
static int run_offpolicy(const cli *c, int algorithm, saferl_rl_env_kind kind, const char *env_name, double cost_limit,
                         uint32_t seed, uint64_t steps, uint32_t per_epoch, uint32_t hidden, uint32_t gradient_steps,
                         const char *png, const char *checkpoint, const char *resume_from) {
    saferl_rl_offpolicy_desc desc;
    saferl_rl_offpolicy_agent agent;
    saferl_rl_builtin state;
    saferl_rl_env env;
    saferl_rl_replay replay;
    const size_t capacity = 1000000; /* the papers' replay size, whatever --steps (a resumed run's replay is the same);
                                        the pages of a shorter run are never touched */
    void *memory;
    double *xs, *rets, *costs, ymin = 0.0, ymax = 1.0, eval_ret, eval_cost;
    uint64_t t = 0;
    int epoch, n = 0, status = 0, lag = offpolicy_lagrangian(algorithm);
    int discrete = algorithm == SAFERL_RL_SAC_DISCRETE || algorithm == SAFERL_RL_SAC_DISCRETE_LAG;
    int robust = algorithm == SAFERL_RL_M2TD3 || algorithm == SAFERL_RL_DR_TD3, W = 0;
    double nominal[SAFERL_RL_MAX_OMEGA] = {1.0, 1.0};
    clock_t start = clock();
    saferl_result r;
    saferl_rl_env_builtin(&env, &state, kind);
    if (env.action_count != 0 && !discrete)
        return cli_usage_error(c, "--algo %s needs continuous actions (--env pendulum, pendulum-v1 or pointgoal)",
                               offpolicy_names[algorithm]);
    if (env.action_count == 0 && discrete)
        return cli_usage_error(c, "--algo %s needs discrete actions (--env cartpole, gridworld or cliff)",
                               offpolicy_names[algorithm]);
    memset(&desc, 0, sizeof desc);
    desc.action_count = env.action_count;
    if (robust) { /* Omega: the environment's documented box */
        desc.omega_dim = saferl_rl_builtin_omega_box(kind, desc.omega_lower, desc.omega_upper, nominal);
        if (desc.omega_dim <= 0)
            return cli_usage_error(c, "--algo %s needs uncertainty parameters (--env pendulum or pendulum-v1)",
                                   offpolicy_names[algorithm]);
        desc.omega_schedule_steps = (long)steps;
        W = algorithm == SAFERL_RL_M2TD3 ? desc.omega_dim : 0;
    }
    desc.algorithm = (saferl_rl_offpolicy_algorithm)algorithm;
    desc.hidden_sizes[0] = desc.hidden_sizes[1] = (int)hidden;
    desc.gradient_steps = (int)gradient_steps;
    desc.seed = seed;
    if (lag) {
        desc.cost_count = 1;
        desc.cost_limits[0] = cost_limit;
    }
    memory = malloc(saferl_rl_replay_memory_size((int)capacity, env.observation_dim + W, env.action_dim, env.cost_count));
    xs = (double *)malloc(sizeof(double) * 3 * (size_t)((steps + per_epoch - 1) / per_epoch));
    r = memory && xs ? saferl_rl_replay_init(&replay, (int)capacity, env.observation_dim + W, env.action_dim, env.cost_count, memory,
                                             saferl_rl_replay_memory_size((int)capacity, env.observation_dim + W, env.action_dim, env.cost_count))
                     : SAFERL_ERR_OUT_OF_MEMORY;
    if (r == SAFERL_OK) r = saferl_rl_offpolicy_create(&agent, &desc, env.observation_dim, env.action_dim);
    if (r != SAFERL_OK) {
        fprintf(stderr, "rl_train: %s\n", saferl_result_string(r));
        free(memory);
        free(xs);
        return 1;
    }
    rets = xs + (steps + per_epoch - 1) / per_epoch;
    costs = rets + (steps + per_epoch - 1) / per_epoch;
    if (resume_from) {
        const char *why = NULL;
        errno = 0;
        r = saferl_rl_offpolicy_checkpoint_load_file(&agent, &replay, &env, resume_from, &why);
        status = resumed(r, resume_from, why);
        t = (uint64_t)agent.env_steps;
    }
    if (status == 0) printf("epoch,steps,return,cost,lambda,seconds\n");
    for (epoch = (int)(t / per_epoch) + 1; t < steps && status == 0; ++epoch) {
        double sum_ret = 0.0, sum_cost = 0.0;
        long ended = 0, episodes;
        uint64_t end = (uint64_t)epoch * per_epoch < steps ? (uint64_t)epoch * per_epoch : steps; /* a whole epoch's end */
        for (; t < end && status == 0; ++t) { /* step by step to see every episode's end */
            episodes = agent.episodes;
            r = saferl_rl_offpolicy_train_robust(&agent, &env, robust ? saferl_rl_builtin_omega_hook : NULL, &replay, 1);
            if (r != SAFERL_OK) {
                fprintf(stderr, "rl_train: step %lu: %s\n", (unsigned long)t + 1, saferl_result_string(r));
                status = 1;
            } else if (agent.episodes != episodes) {
                sum_ret += agent.last_return;
                sum_cost += agent.last_cost[0];
                ended += 1;
            }
        }
        if (status) break;
        printf("%d,%lu,%.6g,%.6g,%.6g,%.3f\n", epoch, (unsigned long)t, ended ? sum_ret / ended : NAN,
               ended ? sum_cost / ended : NAN, (double)agent.lagrange[0], (double)(clock() - start) / CLOCKS_PER_SEC);
        fflush(stdout);
        if (ended) {
            xs[n] = (double)t;
            rets[n] = sum_ret / ended;
            costs[n] = sum_cost / ended;
            if (n == 0 || rets[n] < ymin) ymin = rets[n];
            if (n == 0 || rets[n] > ymax) ymax = rets[n];
            if (costs[n] < ymin) ymin = costs[n];
            if (costs[n] > ymax) ymax = costs[n];
            ++n;
        }
    }
    /* before the evaluation, which steps env: the checkpoint holds the state training left */
    if (status == 0 && checkpoint) status = save_offpolicy_checkpoint(&agent, &replay, &env, checkpoint);
    if (status == 0 && (r = offpolicy_evaluate(&agent, &env, robust ? nominal : NULL, 10, seed + 1000u, &eval_ret,
                                               &eval_cost)) != SAFERL_OK) {
        fprintf(stderr, "rl_train: evaluation: %s\n", saferl_result_string(r));
        status = 1;
    }
    if (status == 0) printf("eval,%.6g,%.6g\n", eval_ret, eval_cost);
    if (status == 0 && robust) status = grid_evaluate(&agent, &env, seed);
    if (status == 0 && png && n > 0)
        status = write_curves(png, xs, rets, costs, n, ymin, ymax, cost_limit, lag, env_name, offpolicy_names[algorithm], seed);
    saferl_rl_offpolicy_destroy(&agent);
    free(memory);
    free(xs);
    return status;
}

/* The off-policy path's flags: --cost-limit states the -lag forms' problem (required) and does
   not apply to the others; flags of the on-policy path are usage errors. */
static int offpolicy_args(const cli *c, const char *algo, const char *env_name, double cost_limit, uint32_t seed,
                          uint64_t steps, uint32_t per_epoch, uint32_t hidden, uint32_t gradient_steps, const char *png,
                          const char *checkpoint, const char *resume_from) {
    static const char *const not_here[] = {"--save",       "--envs",          "--cost-limits", "--base",
                                           "--constraint", "--eval-episodes", "--cost-lambda", "--cost-estimate",
                                           "--cost-test-z"};
    int algorithm = offpolicy_index(algo), lag = offpolicy_lagrangian(algorithm), k, kind;
    for (k = 0; k < (int)(sizeof not_here / sizeof not_here[0]); ++k)
        if (cli_given(c, not_here[k])) return cli_usage_error(c, "%s does not apply to --algo %s", not_here[k], algo);
    if (lag && !cli_given(c, "--cost-limit"))
        return cli_usage_error(c, "--cost-limit is required for --algo %s (it states the problem)", algo);
    if (!lag && cli_given(c, "--cost-limit")) return cli_usage_error(c, "--cost-limit does not apply to --algo %s", algo);
    kind = saferl_rl_env_kind_from_name(env_name);
    if (kind < 0) return cli_usage_error(c, "unknown environment %s", env_name);
    return run_offpolicy(c, algorithm, (saferl_rl_env_kind)kind, env_name, cost_limit, seed, steps,
                         per_epoch ? per_epoch : 2000, hidden, gradient_steps, png, checkpoint, resume_from);
}

static int run(int argc, char **argv) {
    const char *env_name = NULL, *algo = "ppo-lag", *save = NULL, *png = NULL, *base = "cpo";
    const char *constraint = "cost", *checkpoint = NULL, *resume_from = NULL;
    double limits[FLIP_MAX], cost_limit = 0.0, cost_lambda = 0.0, cost_test_z = 0.0; /* 0: the desc's default */
    int limit_count = 0, flip_mode = 0, status = 0;
    uint32_t seed = 0, eval_episodes = 1000, env_count = 1, per_epoch = 0, hidden = 256, episode_window = 0;
    uint32_t gradient_steps = 1;
    saferl_rl_cost_estimate cost_estimate = SAFERL_RL_COST_ESTIMATE_DEFAULT;
    uint64_t steps = 100000;
    cli c;
    saferl_rl_builtin states[SAFERL_RL_MAX_ENVS];
    saferl_rl_env envs[SAFERL_RL_MAX_ENVS];
    saferl_rl_desc desc;
    saferl_rl_agent agent;
    saferl_rl_epoch_stats st;
    double *xs, *rets, *costs, *lambdas, ymin = 0.0, ymax = 1.0, eval_ret = 0.0, eval_cost = 0.0;
    int i, kind, epochs, n = 0;
    clock_t start = clock();
    saferl_result r;
    cli_init(&c, argc, argv, USAGE);
    for (i = 1; i < argc; ++i) {
        const char *flag = argv[i], *v = NULL;
        int bad;
        if (cli_is(&c, &i, "--env", &v)) bad = !v || !(env_name = v);
        else if (cli_is(&c, &i, "--algo", &v)) bad = !v || !(algo = v);
        else if (cli_is(&c, &i, "--save", &v)) bad = !v || !(save = v);
        else if (cli_is(&c, &i, "--png", &v)) bad = !v || !(png = v);
        else if (cli_is(&c, &i, "--save-checkpoint", &v)) bad = !v || !(checkpoint = v);
        else if (cli_is(&c, &i, "--resume", &v)) bad = !v || !(resume_from = v);
        else if (cli_is(&c, &i, "--base", &v)) bad = !v || !(base = v);
        else if (cli_is(&c, &i, "--constraint", &v)) {
            bad = !v || (strcmp(v, "cost") != 0 && strcmp(v, "violation") != 0);
            if (v && bad) cli_usage_error(&c, "--constraint: cost or violation, not '%s'", v);
            constraint = v;
        } else if (cli_is(&c, &i, "--eval-episodes", &v)) bad = !v || cli_count32(&c, flag, v, 1, 10000000, &eval_episodes);
        else if (cli_is(&c, &i, "--cost-limits", &v)) bad = !v || parse_limits(&c, v, limits, &limit_count);
        else if (cli_is(&c, &i, "--cost-limit", &v)) bad = !v || cli_real(&c, flag, v, 0.0, HUGE_VAL, 0, &cost_limit);
        else if (cli_is(&c, &i, "--cost-lambda", &v)) {
            bad = !v || cli_real(&c, flag, v, -HUGE_VAL, HUGE_VAL, 0, &cost_lambda);
            if (!bad && !(cost_lambda > 0.0 && cost_lambda <= 1.0)) /* the header's range: 0 would mean its default */
                bad = cli_usage_error(&c, "--cost-lambda: %s is outside (0, 1]", v);
        } else if (cli_is(&c, &i, "--cost-test-z", &v)) {
            if (v && strcmp(v, "none") == 0) cost_test_z = SAFERL_RL_NONE, bad = 0;
            else bad = !v || cli_real(&c, flag, v, 1e-300, 1000.0, 0, &cost_test_z); /* 0 would mean the default */
        } else if (cli_is(&c, &i, "--cost-estimate", &v))
            bad = !v || parse_cost_estimate(&c, v, &cost_estimate, &episode_window);
        else if (cli_is(&c, &i, "--seed", &v)) bad = !v || cli_count32(&c, flag, v, 0, UINT32_MAX, &seed);
        else if (cli_is(&c, &i, "--steps", &v)) bad = !v || cli_count(&c, flag, v, 1, 1000000000, &steps);
        else if (cli_is(&c, &i, "--envs", &v)) bad = !v || cli_count32(&c, flag, v, 1, SAFERL_RL_MAX_ENVS, &env_count);
        else if (cli_is(&c, &i, "--steps-per-epoch", &v)) bad = !v || cli_count32(&c, flag, v, 1, 1000000, &per_epoch);
        else if (cli_is(&c, &i, "--hidden", &v)) bad = !v || cli_count32(&c, flag, v, 1, SAFERL_RL_MAX_WIDTH, &hidden);
        else if (cli_is(&c, &i, "--gradient-steps", &v)) bad = !v || cli_count32(&c, flag, v, 1, 64, &gradient_steps);
        else return cli_usage_error(&c, "unknown option %s", flag);
        if (bad || c.failed) return 2;
    }
    if (!env_name) return cli_usage_error(&c, "--env is required");
    if (offpolicy_index(algo) >= 0)
        return offpolicy_args(&c, algo, env_name, cost_limit, seed, steps, per_epoch, hidden, gradient_steps, png, checkpoint,
                              resume_from);
    if (cli_given(&c, "--hidden")) return cli_usage_error(&c, "--hidden applies to the off-policy algorithms");
    if (cli_given(&c, "--gradient-steps")) return cli_usage_error(&c, "--gradient-steps applies to the off-policy algorithms");
    if (!cli_given(&c, "--cost-limit")) return cli_usage_error(&c, "--cost-limit is required (it states the problem)");
    if (check_mode(&c, !strcmp(algo, "flip"))) return 2;
    kind = saferl_rl_env_kind_from_name(env_name);
    if (kind < 0) return cli_usage_error(&c, "unknown environment %s", env_name);
    memset(&desc, 0, sizeof desc);
    if (!strcmp(algo, "flip")) {
        if (limit_count < 1) return cli_usage_error(&c, "--algo flip needs --cost-limits d1,d2,...");
        algo = base;
        flip_mode = 1;
    }
    if (!strcmp(algo, "flip")) return cli_usage_error(&c, "--base flip: the base must be a training algorithm");
    else if (!strcmp(algo, "ppo")) desc.algorithm = SAFERL_RL_PPO;
    else if (!strcmp(algo, "ppo-lag")) desc.algorithm = SAFERL_RL_PPO_LAG;
    else if (!strcmp(algo, "pid-lag")) desc.algorithm = SAFERL_RL_PID_LAG;
    else if (!strcmp(algo, "cpo")) desc.algorithm = SAFERL_RL_CPO;
    else if (!strcmp(algo, "pcpo")) desc.algorithm = SAFERL_RL_PCPO;
    else if (!strcmp(algo, "trpo-lag")) desc.algorithm = SAFERL_RL_TRPO_LAG;
    else if (!strcmp(algo, "focops")) desc.algorithm = SAFERL_RL_FOCOPS;
    else if (!strcmp(algo, "cup")) desc.algorithm = SAFERL_RL_CUP;
    else return cli_usage_error(&c, "unknown algorithm %s", algo);
    desc.cost_count = 1;
    desc.cost_limits[0] = cost_limit;
    desc.cost_lambda = cost_lambda;
    desc.cost_test_z = cost_test_z;
    desc.cost_estimate = cost_estimate;
    desc.episode_window = (int)episode_window;
    desc.seed = seed;
    desc.steps_per_epoch = per_epoch > 0 ? (int)per_epoch : 2000;
    desc.steps_per_epoch -= desc.steps_per_epoch % (int)env_count;
    if (desc.steps_per_epoch < 1) return cli_usage_error(&c, "--steps-per-epoch below --envs");
    for (i = 0; i < (int)env_count; ++i) saferl_rl_env_builtin(&envs[i], &states[i], (saferl_rl_env_kind)kind);
    epochs = (int)((steps + (uint64_t)desc.steps_per_epoch - 1) / (uint64_t)desc.steps_per_epoch);
    if (flip_mode)
        return run_flip(desc, envs, (int)env_count, limits, limit_count, cost_limit, epochs,
                        !strcmp(constraint, "violation"), (int)eval_episodes);
    r = saferl_rl_agent_create(&agent, &desc, envs, (int)env_count);
    if (r < 0) {
        const char *why = saferl_result_string(r);
        if (r == SAFERL_ERR_INVALID_ARGUMENT) saferl_rl_desc_check(&desc, envs, (int)env_count, &why);
        fprintf(stderr, "rl_train: %s\n", why);
        return 1;
    }
    if (resume_from && resume(&agent, resume_from)) {
        saferl_rl_agent_destroy(&agent);
        return 1;
    }
    xs = (double *)malloc(sizeof(double) * 4 * (size_t)epochs);
    if (!xs) return 1;
    rets = xs + epochs;
    costs = rets + epochs;
    lambdas = costs + epochs;
    printf("epoch,steps,return,cost,lambda,seconds\n");
    for (i = agent.epoch; i < epochs; ++i) { /* a resumed agent carries on from its epoch */
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
    /* before the evaluation, which steps envs[0]: the checkpoint holds the state training left */
    if (checkpoint && save_checkpoint(&agent, checkpoint)) {
        free(xs);
        saferl_rl_agent_destroy(&agent);
        return 1;
    }
    {
        saferl_rl_flip_policy one = {0};
        one.first = one.second = &agent.actor;
        one.first_weight = 1.0;
        flip_evaluate(&one, &envs[0], 10, desc.seed + 1000u, &eval_ret, &eval_cost, NULL);
    }
    printf("eval,%.6g,%.6g\n", eval_ret, eval_cost);
    if (save && save_policy(&agent.actor, save)) {
        free(xs);
        saferl_rl_agent_destroy(&agent);
        return 1;
    }
    if (png && n > 0) status = write_curves(png, xs, rets, costs, n, ymin, ymax, cost_limit, 1, env_name, algo, desc.seed);
    (void)lambdas;
    free(xs);
    saferl_rl_agent_destroy(&agent);
    return status;
}

int main(int argc, char **argv) { return cli_finish(run(argc, argv)); }
