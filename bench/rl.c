// SPDX-License-Identifier: MIT OR Unlicense
/* Benchmarks of saferl_rl.h, one thread. Run through bench/run_rl.sh, which puts the
   PyTorch figures (bench/rl_torch.py, same networks and loss) beside ours.

   bench_rl envs            environment steps per second of every built-in (uniformly random
                            actions, reset at the end of an episode; median of 5 runs)
   bench_rl nets            per call, median of 5 runs: policy forward (normalise, actor MLP,
                            Gaussian sample; batch 1 through saferl_rl_policy_act on the policy
                            saved and loaded, which packs its weights, as a game acts; the
                            _in_memory row acts with the policy as built) and forward
                            + backward of the actor (PPO clip loss on the Gaussian
                            log-likelihood) and the two critics (MSE), batches 1, 64, 1024;
                            PointGoal's shapes: 35 inputs, 64-64 tanh, 2 Gaussian actions;
                            wall time, or CPU time with NETS_CPU_TIME=1
   bench_rl rcsl            RCSL training samples per second (bench_rcsl below)
   bench_rl cpo [DIR]       one CPO policy update on a fixed batch of 4000 steps, Gaussian
                            (PointGoal's actor) and categorical (CartPole's); DIR receives
                            the batches for bench/rl_torch.py (bench_cpo below)
   bench_rl solve SEED...   wall-clock seconds until CartPole is "solved" (mean return of the
                            last 100 episodes >= 475) with PPO and the defaults; a cap of
                            MAX_SOLVE_STEPS steps reports "unsolved"
   bench_rl limit RULE SEED...  the RL page's default CartPole run at d = 10 (PPO-Lag, the
                            defaults, one environment, 15 epochs of 2000 steps, 64-64 tanh):
                            per epoch the window's mean cost (what the page plots), J_C (the
                            cost the multiplier acted on), lambda and the episodes finished;
                            RULE epoch or window (desc.cost_estimate; bench_page_cartpole below)
   bench_rl proportional KP SEED...  the same run (J_C by the default rule) with lambda_kp KP
                            (0: none, the plain dual ascent)
   bench_rl lambda VALUE FROM EPOCHS SEED...  the same run with lambda held: 0 until the
                            update of epoch FROM, VALUE from it on (FROM 1: from the start),
                            EPOCHS epochs; the same lines (bench_page_cartpole below)
   bench_rl diagnose VARIANT HELD FROM EPOCHS SEED...  the same run (HELD < 0: the default
                            multiplier; else lambda held as above) with, per epoch, what the
                            diagnosis of README.md's "CartPole at d = 10" reads: the cost
                            critic against Monte-Carlo cost returns, the size of the two terms
                            of the mixed advantage, the cost advantage of pushes outward and
                            inward, PPO's passes, KL and clipped rows, the normaliser; VARIANT
                            default, mc (cost_lambda 1) or iters40 (bench_diagnose below)
   Output: one "key value" line per figure (seconds unless said). */
#define _POSIX_C_SOURCE 200809L
#define SAFERL_RL_IMPLEMENTATION
#include "saferl_rl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REPEATS 5
#define OBS 35
#define HID 64
#define ACT 2
#define MAX_BATCH 1024
#define MAX_SOLVE_STEPS 400000

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* the process's CPU seconds: on a loaded machine closer to the work done than wall time */
static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static volatile float sink;

/* ---- environments -------------------------------------------------------------------- */

static void bench_envs(void) {
    int kind, rep;
    for (kind = 0; kind < SAFERL_RL_ENV_KIND_COUNT; ++kind) {
        double rates[REPEATS];
        for (rep = 0; rep < REPEATS; ++rep) {
            saferl_rl_builtin state;
            saferl_rl_env env;
            saferl_rng rng;
            float obs[64], action[2], reward, cost;
            long steps = 0, target = kind == SAFERL_RL_ENV_POINTGOAL ? 200000 : 2000000;
            double t0;
            saferl_rl_env_builtin(&env, &state, (saferl_rl_env_kind)kind);
            saferl_rng_seed(&rng, (uint32_t)rep + 1u);
            env.reset(env.state, &rng, obs);
            t0 = now();
            for (steps = 0; steps < target; ++steps) {
                int terminated, truncated;
                if (env.action_count) action[0] = (float)saferl_rng_bounded(&rng, (uint32_t)env.action_count);
                else action[0] = (float)(2.0 * saferl_rng_uniform(&rng) - 1.0), action[1] = (float)(2.0 * saferl_rng_uniform(&rng) - 1.0);
                env.step(env.state, &rng, action, obs, &reward, &cost, &terminated, &truncated);
                if (terminated || truncated) env.reset(env.state, &rng, obs);
            }
            rates[rep] = (double)target / (now() - t0);
            sink = obs[0];
        }
        printf("env_steps_per_s_%s %.0f\n", saferl_rl_env_kind_name((saferl_rl_env_kind)kind), median(rates, REPEATS));
    }
}

/* ---- networks ------------------------------------------------------------------------- */

typedef struct nets {
    saferl_rl_mlp actor, critic;
    float *actor_params, *actor_grads, *log_std, *dlog_std, *critic_params[2], *critic_grads[2];
    float *obs, *obs_mean, *obs_std, *norm, *acts_actor, *acts_critic[2], *scratch;
    float *actions, *logp, *logp_old, *adv, *dlogp, *dhead, *targets[2], *dvalue;
    saferl_rl_policy policy, loaded; /* built in memory; saved and loaded (a game's path) */
    saferl_rl_policy_context context;
    int act_in_memory;                /* batch 1 through `policy` instead of `loaded` */
} nets;

static float *fresh(size_t n) {
    float *p = (float *)calloc(n, sizeof(float));
    if (!p) {
        fprintf(stderr, "bench_rl: out of memory\n");
        exit(1);
    }
    return p;
}

static void nets_init(nets *n) {
    static const int hidden[2] = {HID, HID};
    saferl_rng rng;
    int i, k;
    saferl_rl_mlp_define(&n->actor, OBS, hidden, 2, ACT, SAFERL_RL_TANH);
    saferl_rl_mlp_define(&n->critic, OBS, hidden, 2, 1, SAFERL_RL_TANH);
    saferl_rng_seed(&rng, 7);
    n->actor_params = fresh(saferl_rl_mlp_param_count(&n->actor) + ACT);
    n->actor_grads = fresh(saferl_rl_mlp_param_count(&n->actor) + ACT);
    n->log_std = n->actor_params + saferl_rl_mlp_param_count(&n->actor);
    n->dlog_std = n->actor_grads + saferl_rl_mlp_param_count(&n->actor);
    saferl_rl_mlp_init_params(&n->actor, n->actor_params, &rng, 0.01f);
    for (k = 0; k < 2; ++k) {
        n->critic_params[k] = fresh(saferl_rl_mlp_param_count(&n->critic));
        n->critic_grads[k] = fresh(saferl_rl_mlp_param_count(&n->critic));
        saferl_rl_mlp_init_params(&n->critic, n->critic_params[k], &rng, 1.0f);
        n->acts_critic[k] = fresh(saferl_rl_mlp_activation_count(&n->critic, MAX_BATCH));
        n->targets[k] = fresh(MAX_BATCH);
    }
    n->obs = fresh((size_t)MAX_BATCH * OBS);
    n->norm = fresh((size_t)MAX_BATCH * OBS);
    n->obs_mean = fresh(OBS);
    n->obs_std = fresh(OBS);
    n->acts_actor = fresh(saferl_rl_mlp_activation_count(&n->actor, MAX_BATCH));
    n->scratch = fresh(2 * (size_t)MAX_BATCH * HID);
    n->actions = fresh((size_t)MAX_BATCH * ACT);
    n->logp = fresh(MAX_BATCH);
    n->logp_old = fresh(MAX_BATCH);
    n->adv = fresh(MAX_BATCH);
    n->dlogp = fresh(MAX_BATCH);
    n->dhead = fresh((size_t)MAX_BATCH * ACT);
    n->dvalue = fresh(MAX_BATCH);
    for (i = 0; i < MAX_BATCH * OBS; ++i) n->obs[i] = (float)saferl_rng_normal(&rng);
    for (i = 0; i < OBS; ++i) {
        n->obs_mean[i] = 0.1f;
        n->obs_std[i] = 1.5f;
    }
    for (i = 0; i < MAX_BATCH * ACT; ++i) n->actions[i] = (float)(0.5 * saferl_rng_normal(&rng));
    for (i = 0; i < MAX_BATCH; ++i) {
        n->logp_old[i] = (float)(-2.0 + 0.1 * saferl_rng_normal(&rng));
        n->adv[i] = (float)saferl_rng_normal(&rng);
        n->targets[0][i] = (float)saferl_rng_normal(&rng);
        n->targets[1][i] = (float)saferl_rng_uniform(&rng);
    }
    memset(&n->policy, 0, sizeof n->policy);
    n->policy.net = n->actor;
    n->policy.action_kind = SAFERL_RL_GAUSSIAN;
    n->policy.observation_dim = OBS;
    n->policy.action_dim = ACT;
    n->policy.params = n->actor_params;
    n->policy.obs_mean = n->obs_mean;
    n->policy.obs_std = n->obs_std;
    saferl_rl_policy_context_init(&n->context, fresh(saferl_rl_policy_context_memory_size(&n->policy) / sizeof(float)),
                                  saferl_rl_policy_context_memory_size(&n->policy));
    { /* the same policy through its file format: loading packs the weights for batch 1 */
        size_t size = saferl_rl_policy_saved_size(&n->policy), need = 0;
        unsigned char *buffer = (unsigned char *)fresh(size / sizeof(float) + 1);
        saferl_rl_policy_save(&n->policy, buffer, size, NULL);
        saferl_rl_policy_load_size(buffer, size, &need);
        if (saferl_rl_policy_load(&n->loaded, buffer, size, fresh(need / sizeof(float) + 1), need) != SAFERL_OK) {
            fprintf(stderr, "bench_rl: cannot load the policy\n");
            exit(1);
        }
        free(buffer);
    }
    n->act_in_memory = 0;
}

static void normalize(nets *n, int B) {
    int i, j;
    for (i = 0; i < B; ++i)
        for (j = 0; j < OBS; ++j) {
            float v = (n->obs[i * OBS + j] - n->obs_mean[j]) / n->obs_std[j];
            n->norm[i * OBS + j] = v < -10.0f ? -10.0f : (v > 10.0f ? 10.0f : v);
        }
}

/* policy forward: what a rollout does per step (the actions are the sample) */
static void policy_forward(nets *n, int B, saferl_rng *rng) {
    const float *mean;
    int i, j;
    if (B == 1) {
        saferl_rl_policy_act(n->act_in_memory ? &n->policy : &n->loaded, &n->context, n->obs, n->actions, rng);
        return;
    }
    normalize(n, B);
    mean = saferl_rl_mlp_forward(&n->actor, n->actor_params, n->norm, n->acts_actor, B);
    for (i = 0; i < B; ++i)
        for (j = 0; j < ACT; ++j) {
            float a = mean[i * ACT + j] + expf(n->log_std[j]) * (float)saferl_rng_normal(rng);
            n->actions[i * ACT + j] = a < -1.0f ? -1.0f : (a > 1.0f ? 1.0f : a);
        }
}

/* forward + backward of the PPO loss (actor) and the two value losses (critics) */
static void train_step(nets *n, int B) {
    const float *head;
    int k;
    memset(n->actor_grads, 0, sizeof(float) * (saferl_rl_mlp_param_count(&n->actor) + ACT));
    head = saferl_rl_mlp_forward(&n->actor, n->actor_params, n->norm, n->acts_actor, B);
    saferl_rl_gaussian_logprob_forward(n->logp, head, n->log_std, n->actions, B, ACT);
    sink = saferl_rl_ppo_clip_forward(n->logp, n->logp_old, n->adv, 0.2f, B);
    memset(n->dlogp, 0, sizeof(float) * (size_t)B);
    saferl_rl_ppo_clip_backward(n->dlogp, n->logp, n->logp_old, n->adv, 0.2f, 1.0f, B);
    memset(n->dhead, 0, sizeof(float) * (size_t)B * ACT);
    saferl_rl_gaussian_logprob_backward(n->dhead, n->dlog_std, head, n->log_std, n->actions, n->dlogp, B, ACT);
    saferl_rl_mlp_backward(&n->actor, n->actor_params, n->actor_grads, n->norm, n->acts_actor, n->dhead, NULL,
                           n->scratch, B);
    for (k = 0; k < 2; ++k) {
        const float *v;
        memset(n->critic_grads[k], 0, sizeof(float) * saferl_rl_mlp_param_count(&n->critic));
        v = saferl_rl_mlp_forward(&n->critic, n->critic_params[k], n->norm, n->acts_critic[k], B);
        sink = saferl_rl_value_loss_forward(v, n->targets[k], B);
        memset(n->dvalue, 0, sizeof(float) * (size_t)B);
        saferl_rl_value_loss_backward(n->dvalue, v, n->targets[k], 1.0f, B);
        saferl_rl_mlp_backward(&n->critic, n->critic_params[k], n->critic_grads[k], n->norm, n->acts_critic[k],
                               n->dvalue, NULL, n->scratch, B);
    }
}

/* the `nets` clock: wall time, or with NETS_CPU_TIME=1 in the environment the process's CPU
   time (bench/rl_torch.py reads the same variable), for a machine other jobs share */
static double nets_now(void) {
    const char *clock = getenv("NETS_CPU_TIME");
    return clock && !strcmp(clock, "1") ? cpu_now() : now();
}

static void bench_nets(void) {
    static const int batches[3] = {1, 64, 1024};
    nets n;
    saferl_rng rng;
    int bi, rep, what;
    nets_init(&n);
    saferl_rng_seed(&rng, 3);
    normalize(&n, MAX_BATCH);
    /* what 0: policy forward (batch 1: a loaded policy, as a game acts); 1: forward + backward;
       2: batch 1 through the policy built in memory (no packed weights) */
    for (what = 0; what < 3; ++what)
        for (bi = 0; bi < (what == 2 ? 1 : 3); ++bi) {
            int B = batches[bi];
            double per_call[REPEATS];
            long calls = 1;
            n.act_in_memory = what == 2;
            /* calibrate: enough calls for ~0.1 s a repeat */
            for (;;) {
                double t0 = nets_now();
                long c;
                for (c = 0; c < calls; ++c) {
                    if (what != 1) policy_forward(&n, B, &rng);
                    else train_step(&n, B);
                }
                if (nets_now() - t0 > 0.05) break;
                calls *= 2;
            }
            calls *= 2;
            for (rep = 0; rep < REPEATS; ++rep) {
                double t0 = nets_now();
                long c;
                for (c = 0; c < calls; ++c) {
                    if (what != 1) policy_forward(&n, B, &rng);
                    else train_step(&n, B);
                }
                per_call[rep] = (nets_now() - t0) / (double)calls;
            }
            printf("%s_b%d %.4g\n", what == 0 ? "policy_forward" : (what == 1 ? "fwd_bwd_actor_2critics" : "policy_forward_in_memory"),
                   B, median(per_call, REPEATS));
        }
}

/* ---- time to solve CartPole ------------------------------------------------------------- */

static void bench_solve(uint32_t seed) {
    saferl_rl_builtin state;
    saferl_rl_env env;
    saferl_rl_desc desc;
    saferl_rl_agent agent;
    saferl_rl_epoch_stats st;
    long episodes = 0;
    double t0;
    memset(&desc, 0, sizeof desc);
    desc.algorithm = SAFERL_RL_PPO;
    desc.seed = seed;
    saferl_rl_env_builtin(&env, &state, SAFERL_RL_ENV_CARTPOLE);
    t0 = now();
    if (saferl_rl_agent_create(&agent, &desc, &env, 1) < 0) {
        fprintf(stderr, "bench_rl: cannot create the agent\n");
        exit(1);
    }
    for (;;) {
        if (saferl_rl_agent_epoch(&agent, &st) < 0) {
            fprintf(stderr, "bench_rl: epoch failed\n");
            exit(1);
        }
        episodes += st.episodes;
        if (episodes >= 100 && st.episode_return >= 475.0) {
            printf("solve_seed_%u %.3f %ld\n", seed, now() - t0, st.total_steps);
            break;
        }
        if (st.total_steps >= MAX_SOLVE_STEPS) {
            printf("solve_seed_%u unsolved %ld (return %.1f after %.3f s)\n", seed, st.total_steps, st.episode_return,
                   now() - t0);
            break;
        }
    }
    fflush(stdout);
    saferl_rl_agent_destroy(&agent);
}

/* ---- one CPO policy update ---------------------------------------------------------------- */

/* The policy half of a CPO epoch on a fixed batch, through the agent's own routine: g and b
   (the surrogates' gradients), x = F^-1 g and p = F^-1 b by conjugate gradient (cg_iters 15
   Fisher-vector products each, closed form), the dual, and the backtracking line search with
   its KL and surrogate evaluations. The critics' passes that follow in an epoch are PPO's
   (the `nets` figures) and are not timed. Shapes: "gaussian" PointGoal's 35-64-64-2 actor,
   "categorical" CartPole's 4-64-64-2; N = CPO_BATCH steps of N(0, 1) network inputs, actions
   drawn from the policy, advantages N(0, 1) (reward standardised, cost centred), the scaled
   violation c = CPO_C. The agent's defaults otherwise (minibatch 64: the batch is walked in
   chunks of 64). Medians of 5 updates, each from the same theta_old, of wall-clock and of
   process CPU seconds. With a path, the batch
   and theta_old are written there for bench/rl_torch.py (the same update in PyTorch). */
#define CPO_BATCH 4000
#define CPO_C 0.002
static void bench_cpo(const char *batch_dir) {
    int shape;
    for (shape = 0; shape < 2; ++shape) {
        const char *name = shape == 0 ? "gaussian" : "categorical";
        saferl_rl_builtin state;
        saferl_rl_env env;
        saferl_rl_desc desc;
        saferl_rl_agent a;
        saferl_rl__update st; /* the private update record the routine fills */
        saferl_rng rng;
        double times[REPEATS], cpu[REPEATS], mean;
        float *theta_old;
        int O, H, Ad, N = CPO_BATCH, i, j, rep, start;
        size_t n;
        memset(&desc, 0, sizeof desc);
        desc.algorithm = SAFERL_RL_CPO;
        desc.cost_count = 1;
        desc.cost_limits[0] = 25.0; /* the limit this row always ran with */
        desc.steps_per_epoch = N;
        desc.seed = 5;
        desc.cost_test_z = SAFERL_RL_NONE; /* the papers' cost test, as bench/rl_torch.py's line search */
        saferl_rl_env_builtin(&env, &state, shape == 0 ? SAFERL_RL_ENV_POINTGOAL : SAFERL_RL_ENV_CARTPOLE);
        if (saferl_rl_agent_create(&a, &desc, &env, 1) != SAFERL_OK) exit(1);
        O = a.actor.observation_dim;
        H = a.networks.head_width;
        Ad = a.networks.stored_action_dim;
        n = a.networks.actor_count;
        saferl_rng_seed(&rng, 11);
        /* a trained-looking actor: every layer at gain 1 (the agent starts the head at 0.01) */
        saferl_rl_mlp_init_params(&a.actor.net, a.networks.params, &rng, 1.0f);
        if (shape == 0)
            for (j = 0; j < H; ++j) a.networks.params[saferl_rl_mlp_param_count(&a.actor.net) + j] = -0.5f;
        for (i = 0; i < N * O; ++i) a.rollout.observations[i] = (float)saferl_rng_normal(&rng);
        for (start = 0; start < N; start += a.networks.batch_max) {
            int B = N - start < a.networks.batch_max ? N - start : a.networks.batch_max, b;
            const float *head = saferl_rl_mlp_forward(&a.actor.net, a.networks.params, a.rollout.observations + (size_t)start * O, a.work.acts_actor, B);
            memcpy(a.rollout.old_heads + (size_t)start * H, head, sizeof(float) * (size_t)B * H);
            for (b = 0; b < B; ++b) {
                const float *z = head + (size_t)b * H;
                float *act = a.rollout.actions + (size_t)(start + b) * Ad;
                if (shape == 0) {
                    const float *log_std = a.networks.params + saferl_rl_mlp_param_count(&a.actor.net);
                    for (j = 0; j < H; ++j) act[j] = z[j] + expf(log_std[j]) * (float)saferl_rng_normal(&rng);
                } else { /* a draw from the softmax */
                    double u = saferl_rng_uniform(&rng), total = 0.0, cum = 0.0;
                    for (j = 0; j < H; ++j) total += exp((double)z[j]);
                    act[0] = (float)(H - 1);
                    for (j = 0; j < H; ++j) {
                        cum += exp((double)z[j]) / total;
                        if (u < cum) {
                            act[0] = (float)j;
                            break;
                        }
                    }
                }
            }
            if (shape == 0)
                saferl_rl_gaussian_logprob_forward(a.rollout.logp_old + start, head,
                                                   a.networks.params + saferl_rl_mlp_param_count(&a.actor.net),
                                                   a.rollout.actions + (size_t)start * Ad, B, H);
            else
                saferl_rl_categorical_logprob_forward(a.rollout.logp_old + start, head, a.rollout.actions + (size_t)start * Ad, B, H);
        }
        if (shape == 0) memcpy(a.rollout.old_log_std, a.networks.params + saferl_rl_mlp_param_count(&a.actor.net), sizeof(float) * H);
        for (mean = 0.0, i = 0; i < N; ++i) mean += (a.rollout.reward_advantages[i] = (float)saferl_rng_normal(&rng));
        for (i = 0; i < N; ++i) a.rollout.reward_advantages[i] -= (float)(mean / N); /* unit variance by construction */
        for (mean = 0.0, i = 0; i < N; ++i) mean += (a.rollout.cost_advantages[i] = (float)saferl_rng_normal(&rng));
        for (i = 0; i < N; ++i) a.rollout.cost_advantages[i] -= (float)(mean / N);
        theta_old = fresh(n);
        memcpy(theta_old, a.networks.params, sizeof(float) * n);
        if (batch_dir) {
            char path[1024];
            FILE *f;
            int header[6];
            double c = CPO_C;
            header[0] = O, header[1] = H, header[2] = shape == 1, header[3] = N, header[4] = (int)n, header[5] = Ad;
            snprintf(path, sizeof path, "%s/cpo_batch_%s.bin", batch_dir, name);
            f = fopen(path, "wb");
            if (!f || fwrite(header, sizeof header, 1, f) != 1 || fwrite(&c, sizeof c, 1, f) != 1 ||
                fwrite(theta_old, sizeof(float), n, f) != n ||
                fwrite(a.rollout.observations, sizeof(float), (size_t)N * O, f) != (size_t)N * O ||
                fwrite(a.rollout.actions, sizeof(float), (size_t)N * Ad, f) != (size_t)N * Ad ||
                fwrite(a.rollout.logp_old, sizeof(float), (size_t)N, f) != (size_t)N ||
                fwrite(a.rollout.reward_advantages, sizeof(float), (size_t)N, f) != (size_t)N ||
                fwrite(a.rollout.cost_advantages, sizeof(float), (size_t)N, f) != (size_t)N || fclose(f) != 0) {
                fprintf(stderr, "bench_rl: cannot write %s\n", path);
                exit(1);
            }
        }
        for (rep = 0; rep < REPEATS; ++rep) {
            double t0, c0;
            memcpy(a.networks.params, theta_old, sizeof(float) * n);
            t0 = now();
            c0 = cpu_now();
            memset(&st, 0, sizeof st);
            saferl_rl__trust_region_update(&a, &saferl_rl__cpo_rule, CPO_C, &st); /* the agent's routine (private) */
            cpu[rep] = cpu_now() - c0;
            times[rep] = now() - t0;
        }
        printf("cpo_update_%s %.4g\n", name, median(times, REPEATS));
        printf("cpo_update_cpu_%s %.4g\n", name, median(cpu, REPEATS));
        printf("cpo_info_%s case=%d fraction=%.4g kl=%.4g nu=%.4g params=%zu\n", name, st.optim_case, st.step_fraction,
               st.kl, st.multiplier, n);
        free(theta_old);
        saferl_rl_agent_destroy(&a);
    }
}

/* RCSL training: Adam steps on minibatches of 256 from a fixed random dataset of N samples,
   the {64, 64} tanh MLP over observation + (R, C); "gridworld": 63 + 2 inputs, 4 actions,
   cross-entropy; "pointgoal": 35 + 2 inputs, 2 Gaussian actions, Gaussian NLL. Samples per
   second (steps x 256 / seconds), median of 5 runs of RCSL_STEPS steps.
   "transformer_gridworld": the transformer form on the gridworld data (context 10, 2 layers,
   2 heads, d_model 32, GELU MLP 128, minibatch 64 windows, cross-entropy over each window's
   valid steps); a sample is a window of up to 10 steps (windows per second), median of 5
   runs of CDT_STEPS steps. */
#define RCSL_SAMPLES 20000
#define RCSL_STEPS 200
#define CDT_STEPS 40
static void bench_rcsl(void) {
    int shape;
    for (shape = 0; shape < 3; ++shape) {
        const int O = shape != 1 ? 63 : 35, count = shape != 1 ? 4 : 0, A = shape != 1 ? 1 : 2;
        const int steps = shape == 2 ? CDT_STEPS : RCSL_STEPS, batch = shape == 2 ? 64 : 256;
        saferl_rl_dataset_desc d;
        saferl_rl_dataset ds;
        saferl_rl_rcsl_desc td;
        saferl_rl_rcsl_trainer tr;
        saferl_rng rng;
        double rates[REPEATS];
        long e, t;
        int r, j;
        memset(&d, 0, sizeof d);
        d.observation_dim = O;
        d.action_dim = A;
        d.action_count = count;
        d.max_steps = RCSL_SAMPLES;
        d.max_episodes = RCSL_SAMPLES / 50;
        if (saferl_rl_dataset_create(&ds, &d) != SAFERL_OK) exit(1);
        saferl_rng_seed(&rng, 3);
        for (e = 0; e < d.max_episodes; ++e) { /* episodes of 50 random steps */
            static float obs[50 * 63], act[50 * 2], rew[50], cst[50];
            for (t = 0; t < 50 * O; ++t) obs[t] = (float)saferl_rng_normal(&rng);
            for (t = 0; t < 50; ++t) {
                for (j = 0; j < A; ++j)
                    act[t * A + j] = count ? (float)saferl_rng_bounded(&rng, 4) : (float)(2.0 * saferl_rng_uniform(&rng) - 1.0);
                rew[t] = (float)saferl_rng_uniform(&rng);
                cst[t] = (float)(saferl_rng_uniform(&rng) < 0.2);
            }
            saferl_rl_dataset_append_episode(&ds, obs, act, rew, cst, 50, 0);
        }
        memset(&td, 0, sizeof td);
        td.seed = 1;
        td.hidden[0] = td.hidden[1] = HID;
        td.hidden_count = 2;
        td.minibatch = batch;
        if (shape == 2) td.architecture = SAFERL_RL_RCSL_TRANSFORMER; /* the header's defaults */
        if (saferl_rl_rcsl_trainer_create(&tr, &td, &ds) != SAFERL_OK) exit(1);
        saferl_rl_rcsl_train(&tr, shape == 2 ? 5 : 20, NULL); /* warm up */
        for (r = 0; r < REPEATS; ++r) {
            double t0 = now();
            saferl_rl_rcsl_train(&tr, steps, NULL);
            rates[r] = (double)steps * batch / (now() - t0);
        }
        sink = tr.policy.policy.params[0];
        printf("rcsl_train_samples_per_s_%s %.0f\n", shape == 0 ? "gridworld" : (shape == 1 ? "pointgoal" : "transformer_gridworld"),
               median(rates, REPEATS));
        saferl_rl_rcsl_trainer_destroy(&tr);
        saferl_rl_dataset_destroy(&ds);
    }
}

/* The page's CartPole run at d = 10: settings fixed before any run, copied from web/rl (app.js
   DEFAULTS, DEFAULT_D; worker.js: hidden 64). */
static void page_cartpole_desc(saferl_rl_desc *d, uint32_t seed) {
    memset(d, 0, sizeof *d);
    d->algorithm = SAFERL_RL_PPO_LAG;
    d->cost_count = 1;
    d->cost_limits[0] = 10.0;
    d->seed = seed;
    d->steps_per_epoch = 2000;
    d->hidden[0] = d->hidden[1] = 64;
}

/* The page's CartPole run, `epochs` epochs. held < 0: with the defaults' multiplier and J_C by
   `rule` (bench_rl limit). held >= 0: lambda held, to find the multiplier that would hold the
   limit and how late it may come (bench_rl lambda): lambda_lr is the smallest step (1e-300
   leaves any lambda >= 1e-284 where it is), lambda 0 until epoch `from`'s update, `held` from
   it on. */
static void bench_page_cartpole(saferl_rl_cost_estimate rule, double kp, double held, int from, int epochs, uint32_t seed) {
    saferl_rl_builtin state;
    saferl_rl_env env;
    saferl_rl_desc d;
    saferl_rl_agent agent;
    saferl_rl_epoch_stats st;
    char label[64];
    int e;
    saferl_rl_env_builtin(&env, &state, SAFERL_RL_ENV_CARTPOLE);
    page_cartpole_desc(&d, seed);
    d.cost_estimate = rule;
    d.lambda_kp = kp;
    if (held >= 0.0) {
        d.lagrange_init = SAFERL_RL_NONE;
        d.lambda_lr = 1e-300;
        d.lambda_kp = SAFERL_RL_NONE;
        snprintf(label, sizeof label, "lambda %g from %d", held, from);
    } else if (kp != 0.0) {
        snprintf(label, sizeof label, "limit lambda_kp %g", kp == SAFERL_RL_NONE ? 0.0 : kp);
    } else {
        snprintf(label, sizeof label, "limit %s", rule == SAFERL_RL_COST_WINDOW ? "window" : "epoch");
    }
    if (saferl_rl_agent_create(&agent, &d, &env, 1) != SAFERL_OK) {
        printf("%s failed %u\n", label, seed);
        return;
    }
    for (e = 1; e <= epochs; ++e) {
        if (held >= 0.0 && e == from) agent.multiplier.value[0] = held;
        if (saferl_rl_agent_epoch(&agent, &st) != SAFERL_OK) break;
        printf("%s seed %u epoch %d window_cost %.4g j_c %.4g lambda %.4g episodes %d return %.4g\n", label, seed,
               st.epoch, st.episode_cost, st.cost_estimates[0], st.lagrange_multiplier, st.episodes, st.episode_return);
    }
    saferl_rl_agent_destroy(&agent);
}

/* ---- why a large lambda does not move the CartPole policy off the cost (bench_rl diagnose) ---- */

#define DIAG_STEPS 2000 /* the page's steps_per_epoch */

/* The page's CartPole environment with a log of what the agent does not keep: the cart position
   before each step and how each step ended (1 terminated with |x| > 2.4, 2 by the pole, 3
   truncated). One environment, so step i of an epoch is rollout row i. */
typedef struct diag_env {
    saferl_rl_builtin cart;
    saferl_rl_env inner;
    long steps;
    float x[DIAG_STEPS];
    unsigned char end[DIAG_STEPS];
} diag_env;

static saferl_result diag_reset(void *state, saferl_rng *rng, float *obs) {
    diag_env *e = (diag_env *)state;
    return e->inner.reset(e->inner.state, rng, obs);
}

static saferl_result diag_step(void *state, saferl_rng *rng, const float *action, float *obs, float *reward,
                               float *cost, int *terminated, int *truncated) {
    diag_env *e = (diag_env *)state;
    const int i = (int)(e->steps++ % DIAG_STEPS);
    saferl_result r;
    e->x[i] = (float)e->cart.x[0];
    r = e->inner.step(e->inner.state, rng, action, obs, reward, cost, terminated, truncated);
    e->end[i] = (unsigned char)(*terminated ? (fabs(e->cart.x[0]) > 2.4 ? 1 : 2) : (*truncated ? 3 : 0));
    return r;
}

/* The cost critic as the rollout saw it (before this epoch's fit) against the Monte-Carlo
   discounted cost-to-go, over the steps of episodes that terminated in this epoch (their
   return is exact: no bootstrap); and how the epoch's episodes ended. */
static void diag_critic(const saferl_rl_agent *a, const diag_env *e) {
    const float *cost = a->rollout.costs, *vc = a->rollout.cost_values;
    double g = 0.0, sum_v = 0.0, sum_g = 0.0, sv2 = 0.0, sg2 = 0.0, svg = 0.0;
    int i, n = 0, exact = 0, ends[4] = {0, 0, 0, 0};
    for (i = DIAG_STEPS - 1; i >= 0; --i) {
        if (e->end[i]) {
            g = 0.0;
            exact = e->end[i] != 3;
            ends[e->end[i]] += 1;
        }
        g = cost[i] + a->desc.cost_gamma * g;
        if (exact) {
            sum_v += vc[i], sum_g += g, sv2 += vc[i] * (double)vc[i], sg2 += g * g, svg += vc[i] * g;
            ++n;
        }
    }
    printf(" ends cart %d pole %d limit %d", ends[1], ends[2], ends[3]);
    if (n > 1) {
        const double mv = sum_v / n, mg = sum_g / n, cov = svg / n - mv * mg;
        const double sdv = sqrt(sv2 / n - mv * mv), sdg = sqrt(sg2 / n - mg * mg);
        printf(" critic_rows %d mean_vc %.3g mean_mc %.3g corr %.3f", n, mv, mg, sdv > 0 && sdg > 0 ? cov / (sdv * sdg) : 0.0);
    }
}

/* The advantages as the update saw them (PPO-Lag: A = (A_R - lambda A_C) / (1 + lambda), A_R
   and A_C standardised): the spread of each term, and the cost advantage of pushes away from
   the centre against pushes towards it, in the cost region (|x| > 1) and before it (0.5 < |x|
   <= 1): the part of A_C that depends on the action, which is all the gradient can use. */
static void diag_advantages(const saferl_rl_agent *a, const diag_env *e, double lambda) {
    const float *ac = a->rollout.cost_advantages, *ar = a->rollout.reward_advantages, *act = a->rollout.actions;
    double var_r = 0.0, var_c = 0.0, sum[2][2] = {{0.0, 0.0}, {0.0, 0.0}};
    int i, count[2][2] = {{0, 0}, {0, 0}};
    for (i = 0; i < DIAG_STEPS; ++i) {
        const double a_c = ac[i], a_r = ar[i] * (1.0 + lambda) + lambda * a_c, x = e->x[i];
        const int outward = (x > 0.0) == (act[i] >= 0.5f), region = fabs(x) > 1.0 ? 0 : 1;
        var_r += a_r * a_r / ((1.0 + lambda) * (1.0 + lambda));
        var_c += lambda * lambda * a_c * a_c / ((1.0 + lambda) * (1.0 + lambda));
        if (fabs(x) > 0.5) {
            sum[region][outward] += a_c;
            count[region][outward] += 1;
        }
    }
    printf(" sd_reward_term %.3f sd_cost_term %.3f", sqrt(var_r / DIAG_STEPS), sqrt(var_c / DIAG_STEPS));
    printf(" ac_in_cost out %.3f(%d) in %.3f(%d) ac_near out %.3f(%d) in %.3f(%d)",
           count[0][1] ? sum[0][1] / count[0][1] : 0.0, count[0][1], count[0][0] ? sum[0][0] / count[0][0] : 0.0,
           count[0][0], count[1][1] ? sum[1][1] / count[1][1] : 0.0, count[1][1],
           count[1][0] ? sum[1][0] / count[1][0] : 0.0, count[1][0]);
}

/* PPO's clip after the update: the rows whose ratio pi / pi_old left [1 - clip, 1 + clip] (the
   clipped surrogate gives them no more gradient) and the mean |ratio - 1|; and the observation
   normaliser: where x = 1 lands in the networks' input, and the inputs at its clip of 10. */
static void diag_step_size(saferl_rl_agent *a) {
    const int Bm = a->networks.batch_max;
    int start, b, outside = 0, clipped = 0;
    double moved = 0.0;
    for (start = 0; start < DIAG_STEPS; start += Bm) {
        const int B = DIAG_STEPS - start < Bm ? DIAG_STEPS - start : Bm;
        const float *x = a->rollout.observations + (size_t)start * 4;
        const float *head = saferl_rl_mlp_forward(&a->actor.net, a->networks.params, x, a->work.acts_actor, B);
        for (b = 0; b < B; ++b) {
            const int row = start + b, taken = a->rollout.actions[row] >= 0.5f;
            const double logp = head[2 * b + taken] - saferl_rl__logsumexp(head + 2 * b, 2);
            const double ratio = exp(logp - a->rollout.logp_old[row]);
            outside += fabs(ratio - 1.0) > a->desc.clip;
            moved += fabs(ratio - 1.0);
            clipped += fabsf(x[(size_t)b * 4]) >= 9.999f;
        }
    }
    printf(" clipped_rows %d mean_abs_ratio_change %.4f x_mean %.3f x_std %.3f x1_input %.2f x_clipped %d", outside,
           moved / DIAG_STEPS, a->actor.obs_mean[0], a->actor.obs_std[0],
           (1.0 - a->actor.obs_mean[0]) / a->actor.obs_std[0], clipped);
}

/* The page's CartPole run with the figures above after each epoch. held < 0: the default
   multiplier; held >= 0: lambda held at `held` from epoch `from` (as bench_rl lambda).
   Variants (diagnosis only, not candidates): "default"; "mc" (cost_lambda 1: Monte-Carlo cost
   advantages, which do not lean on the lagging cost critic); "iters40" (update_iters 40,
   OmniSafe's, for the critics and the actor). */
static void bench_diagnose(const char *variant, double held, int from, int epochs, uint32_t seed) {
    diag_env *e = (diag_env *)calloc(1, sizeof *e);
    saferl_rl_env env;
    saferl_rl_desc d;
    saferl_rl_agent agent;
    saferl_rl_epoch_stats st;
    int k;
    if (!e || (strcmp(variant, "default") && strcmp(variant, "mc") && strcmp(variant, "iters40"))) {
        fprintf(stderr, "bench_rl diagnose: variant default, mc or iters40\n");
        exit(2);
    }
    saferl_rl_env_builtin(&e->inner, &e->cart, SAFERL_RL_ENV_CARTPOLE);
    env = e->inner;
    env.state = e;
    env.reset = diag_reset;
    env.step = diag_step;
    env.step_batch = NULL; /* one step at a time, so the log sees each (the same results) */
    page_cartpole_desc(&d, seed);
    if (!strcmp(variant, "mc")) d.cost_lambda = 1.0;
    if (!strcmp(variant, "iters40")) d.update_iters = 40;
    if (held >= 0.0) {
        d.lagrange_init = SAFERL_RL_NONE;
        d.lambda_lr = 1e-300;
        d.lambda_kp = SAFERL_RL_NONE;
    }
    if (saferl_rl_agent_create(&agent, &d, &env, 1) != SAFERL_OK) {
        printf("diagnose failed %u\n", seed);
        free(e);
        return;
    }
    for (k = 1; k <= epochs; ++k) {
        if (held >= 0.0 && k == from) agent.multiplier.value[0] = held;
        if (saferl_rl_agent_epoch(&agent, &st) != SAFERL_OK) break;
        printf("diagnose %s held %g from %d seed %u epoch %d window_cost %.4g j_c %.4g lambda %.4g passes %d kl %.3g",
               variant, held, from, seed, st.epoch, st.episode_cost, st.cost_estimates[0], st.lagrange_multiplier,
               st.update_passes, st.kl);
        diag_critic(&agent, e);
        diag_advantages(&agent, e, st.lagrange_multiplier);
        diag_step_size(&agent);
        printf("\n");
    }
    saferl_rl_agent_destroy(&agent);
    free(e);
}

int main(int argc, char **argv) {
    int i;
    if (argc < 2) {
        fprintf(stderr, "usage: bench_rl envs | nets | rcsl | cpo [DIR] | solve SEED... | limit epoch|window SEED... | proportional KP SEED... | lambda VALUE FROM EPOCHS SEED... | diagnose VARIANT HELD FROM EPOCHS SEED...\n");
        return 2;
    }
    if (!strcmp(argv[1], "envs")) bench_envs();
    else if (!strcmp(argv[1], "nets")) bench_nets();
    else if (!strcmp(argv[1], "rcsl")) bench_rcsl();
    else if (!strcmp(argv[1], "cpo")) bench_cpo(argc > 2 ? argv[2] : NULL);
    else if (!strcmp(argv[1], "solve"))
        for (i = 2; i < argc; ++i) bench_solve((uint32_t)strtoul(argv[i], NULL, 10));
    else if (!strcmp(argv[1], "lambda") && argc > 5)
        for (i = 5; i < argc; ++i)
            bench_page_cartpole(SAFERL_RL_COST_ESTIMATE_DEFAULT, 0.0, atof(argv[2]), atoi(argv[3]), atoi(argv[4]),
                                (uint32_t)strtoul(argv[i], NULL, 10));
    else if (!strcmp(argv[1], "diagnose") && argc > 6)
        for (i = 6; i < argc; ++i)
            bench_diagnose(argv[2], atof(argv[3]), atoi(argv[4]), atoi(argv[5]), (uint32_t)strtoul(argv[i], NULL, 10));
    else if (!strcmp(argv[1], "limit") && argc > 2)
        for (i = 3; i < argc; ++i)
            bench_page_cartpole(!strcmp(argv[2], "window") ? SAFERL_RL_COST_WINDOW : SAFERL_RL_COST_EPOCH, 0.0, -1.0, 0, 15,
                                (uint32_t)strtoul(argv[i], NULL, 10));
    else if (!strcmp(argv[1], "proportional") && argc > 2) /* lambda_kp KP (0: none), the rest default */
        for (i = 3; i < argc; ++i)
            bench_page_cartpole(SAFERL_RL_COST_ESTIMATE_DEFAULT, atof(argv[2]) > 0.0 ? atof(argv[2]) : SAFERL_RL_NONE, -1.0, 0,
                                15, (uint32_t)strtoul(argv[i], NULL, 10));
    else {
        fprintf(stderr, "bench_rl: unknown mode %s\n", argv[1]);
        return 2;
    }
    return 0;
}
