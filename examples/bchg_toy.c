// SPDX-License-Identifier: MIT OR Unlicense
/* bchg_toy - a leader who shapes what a follower learns, with saferl_rl.h: BC-HG, the Boltzmann
   covariance hypergradient (Kudo et al., ICAPS 2026, arXiv 2603.14867), against the paper's
   baseline (the policy gradient with the follower held fixed, "Naive-PGD") on the paper's
   DiscreteToy4.

   bchg_toy [--seeds N] [--first-seed S] [--iterations N] [--batch N] [--follower-draws N]
            [--rate R] [--bonus R] [--curve FILE]

   Each seed runs both methods from the uniform leader (tabular logits 0): `iterations` (500)
   Adam steps (rate 0.05) up the mean of `batch` (64) sampled hypergradients, the follower's
   soft best response (tau 0.05, gamma 0.99) re-solved after each step, as the paper's "Opt"
   follower. BC-HG's benefit baseline averages `follower-draws` (256) fresh follower actions.
   Printed first: the leader's exact return for each pure action at the key state A and for
   the best mix (a grid over pi_l(0|A)). Then per seed and method: pi_l(0|A), the
   probability of the good action at A, and the leader's discounted return from S, over 150 steps (the paper's episodes and
   its "upper-level objective") and over an infinite horizon, both exact; then how many seeds
   end with action 0 the more likely at A, and the mean and standard deviation over seeds of
   the 150-step return (the paper plots the same, mean +- std over 10 seeds).
   --curve FILE writes method,seed,iteration,pi0_at_A,objective_150,objective as CSV every
   10 iterations (written whole or not at all).
   Errors: a usage error exits 2 with the usage line; a failed write exits 1 naming the path. */
#include "cli.h" /* first: it asks for POSIX */
#define SAFERL_RL_IMPLEMENTATION
#include "saferl_rl.h"

enum { STATES = 3, LEADER = 2, FOLLOWER = 3, X = STATES * LEADER, KEY_STATE = 1, EPISODE = 150 };

typedef struct run_settings {
    int iterations, batch, follower_draws;
    double rate;
} run_settings;

/* The leader's expected discounted return over the first `steps` steps from the initial
   distribution, both policies as the last solve left them: V_{k+1} = r_pi + gamma P_pi V_k. */
static double finite_horizon_return(const saferl_rl_stackelberg *game, int steps) {
    double value[STATES] = {0}, next[STATES], total = 0.0;
    int k, s, l, f, t;
    for (k = 0; k < steps; ++k) {
        for (s = 0; s < STATES; ++s) {
            next[s] = 0.0;
            for (l = 0; l < LEADER; ++l)
                for (f = 0; f < FOLLOWER; ++f) {
                    const int i = (s * LEADER + l) * FOLLOWER + f;
                    double later = 0.0;
                    for (t = 0; t < STATES; ++t) later += game->transition[i * STATES + t] * value[t];
                    next[s] += game->leader_policy[s * LEADER + l] * game->follower_policy[i] *
                               (game->leader_reward[i] + game->discount * later);
                }
        }
        memcpy(value, next, sizeof value);
    }
    for (s = 0; s < STATES; ++s) total += game->initial_state[s] * value[s];
    return total;
}

/* a row of the curve (a failed write shows at the commit, which names the path) */
static void write_curve_row(FILE *curve, const char *method, uint32_t seed, int iteration,
                            const saferl_rl_stackelberg *game) {
    if (curve)
        fprintf(curve, "%s,%u,%d,%.6f,%.6f,%.6f\n", method, (unsigned)seed, iteration,
                game->leader_policy[KEY_STATE * LEADER], finite_horizon_return(game, EPISODE), game->objective);
}

/* One learning run; the game is left solved at the final logits. */
static saferl_result learn(saferl_rl_stackelberg *game, const run_settings *run, int with_guidance, uint32_t seed,
                           FILE *curve) {
    double logits[X] = {0}, first[X] = {0}, second[X] = {0}, gradient[X], one[X];
    const char *method = with_guidance ? "bchg" : "baseline";
    saferl_result r;
    saferl_rng rng;
    int iteration, i, j;
    saferl_rng_seed(&rng, seed);
    memset(game->follower_q, 0, STATES * LEADER * FOLLOWER * sizeof(double)); /* a fresh follower */
    if ((r = saferl_rl_stackelberg_solve(game, logits)) < 0) return r;
    write_curve_row(curve, method, seed, 0, game);
    for (iteration = 1; iteration <= run->iterations; ++iteration) {
        for (j = 0; j < X; ++j) gradient[j] = 0.0;
        for (i = 0; i < run->batch; ++i) {
            r = saferl_rl_stackelberg_sample_hypergradient(game, with_guidance, run->follower_draws, &rng, one);
            if (r < 0) return r;
            for (j = 0; j < X; ++j) gradient[j] += one[j] / run->batch;
        }
        for (j = 0; j < X; ++j) { /* Adam ascent, the usual 0.9 / 0.999 / 1e-8 */
            first[j] = 0.9 * first[j] + 0.1 * gradient[j];
            second[j] = 0.999 * second[j] + 0.001 * gradient[j] * gradient[j];
            logits[j] += run->rate * (first[j] / (1.0 - pow(0.9, iteration))) /
                         (sqrt(second[j] / (1.0 - pow(0.999, iteration))) + 1e-8);
        }
        if ((r = saferl_rl_stackelberg_solve(game, logits)) < 0) return r;
        if (iteration % 10 == 0) write_curve_row(curve, method, seed, iteration, game);
    }
    return SAFERL_OK;
}

/* The two deterministic choices at A (the other states' leader actions change nothing), and
   the best mix at A on a grid of 1000 probabilities (searched coarse, then fine near the best): action 1 now and then sends the follower
   back to S, from where it heads for A again, so the leader's optimum is not deterministic. */
static saferl_result print_exact(saferl_rl_stackelberg *game, double bonus) {
    double logits[X] = {0}, best = -HUGE_VAL, best_infinite = 0.0;
    int action, k, pass, best_k = 0;
    saferl_result r;
    printf("DiscreteToy4 (R = %g, tau = %g, gamma = %g); the leader's return from S, exact:\n", bonus,
           game->temperature, game->discount);
    for (action = 0; action < 2; ++action) {
        logits[KEY_STATE * LEADER] = action == 0 ? 20.0 : -20.0, logits[KEY_STATE * LEADER + 1] = -logits[KEY_STATE * LEADER];
        if ((r = saferl_rl_stackelberg_solve(game, logits)) < 0) return r;
        printf("  action %d at A: %.4f over %d steps, %.4f over an infinite horizon\n", action,
               finite_horizon_return(game, EPISODE), EPISODE, game->objective);
    }
    for (pass = 0; pass < 2; ++pass) { /* every 10th point of the grid, then every point near the best */
        const int from = pass == 0 ? 10 : best_k - 9, to = pass == 0 ? 990 : best_k + 9, step = pass == 0 ? 10 : 1;
        for (k = from < 1 ? 1 : from; k <= to && k < 1000; k += step) {
            double value;
            logits[KEY_STATE * LEADER] = log(k / 1000.0), logits[KEY_STATE * LEADER + 1] = log(1.0 - k / 1000.0);
            if ((r = saferl_rl_stackelberg_solve(game, logits)) < 0) return r;
            if ((value = finite_horizon_return(game, EPISODE)) > best) best = value, best_k = k, best_infinite = game->objective;
        }
    }
    printf("  best mix at A: pi(0|A) = %.3f, %.4f over %d steps (%.4f over an infinite horizon)\n", best_k / 1000.0, best,
           EPISODE, best_infinite);
    return SAFERL_OK;
}

static int run_seeds(const run_settings *run, double bonus, uint32_t first_seed, int seeds, FILE *curve) {
    saferl_rl_discrete_toy4 tables;
    saferl_rl_stackelberg_desc desc = saferl_rl_discrete_toy4_desc(&tables, bonus);
    saferl_rl_stackelberg game;
    static double memory[1024];
    double sum[2] = {0, 0}, squares[2] = {0, 0};
    int found[2] = {0, 0}, k, method;
    saferl_result r;
    if ((r = saferl_rl_stackelberg_init(&game, &desc, memory, sizeof memory)) < 0 || (r = print_exact(&game, bonus)) < 0)
        return fprintf(stderr, "bchg_toy: %s\n", saferl_result_string(r)), 1;
    printf("%d iterations, batch %d, follower draws %d, Adam rate %g, tabular leader\n", run->iterations, run->batch,
           run->follower_draws, run->rate);
    printf("seed  BC-HG pi(0|A)  F_%d     F        baseline pi(0|A)  F_%d     F\n", EPISODE, EPISODE);
    for (k = 0; k < seeds; ++k) {
        const uint32_t seed = first_seed + (uint32_t)k;
        double p[2], f150[2], f[2];
        for (method = 1; method >= 0; --method) {
            if ((r = learn(&game, run, method, seed, curve)) < 0)
                return fprintf(stderr, "bchg_toy: seed %u: %s\n", (unsigned)seed, saferl_result_string(r)), 1;
            p[method] = game.leader_policy[KEY_STATE * LEADER], f[method] = game.objective;
            f150[method] = finite_horizon_return(&game, EPISODE);
            found[method] += p[method] > 0.5;
            sum[method] += f150[method], squares[method] += f150[method] * f150[method];
        }
        printf("%4u  %13.4f  %7.4f  %7.4f  %16.4f  %7.4f  %7.4f\n", (unsigned)seed, p[1], f150[1], f[1], p[0],
               f150[0], f[0]);
    }
    printf("action 0 the more likely at A after %d iterations: BC-HG %d of %d seeds, baseline %d of %d\n",
           run->iterations, found[1], seeds, found[0], seeds);
    for (method = 1; method >= 0; --method) {
        const double mean = sum[method] / seeds;
        const double sd = seeds > 1 ? sqrt(fmax(0.0, (squares[method] - seeds * mean * mean) / (seeds - 1))) : 0.0;
        printf("%-8s F_%d mean %.2f, std %.2f over %d seeds\n", method ? "BC-HG" : "baseline", EPISODE, mean, sd,
               seeds);
    }
    return 0;
}

int main(int argc, char **argv) {
    cli c;
    cli_output curve = {0};
    run_settings run = {500, 64, 256, 0.05};
    uint32_t first_seed = 0;
    int i, seeds = 10, status;
    double bonus = 1.0;
    const char *curve_path = NULL;
    cli_init(&c, argc, argv,
             "[--seeds N] [--first-seed S] [--iterations N] [--batch N] [--follower-draws N] [--rate R] "
             "[--bonus R] [--curve FILE]");
    for (i = 1; i < argc; ++i) {
        const char *flag = argv[i], *v;
        int bad = 0;
        if (cli_is(&c, &i, "--seeds", &v)) bad = !v || cli_count_int(&c, flag, v, 1, 1000, &seeds);
        else if (cli_is(&c, &i, "--first-seed", &v)) bad = !v || cli_count32(&c, flag, v, 0, UINT32_MAX - 1000, &first_seed);
        else if (cli_is(&c, &i, "--iterations", &v)) bad = !v || cli_count_int(&c, flag, v, 0, 1000000, &run.iterations);
        else if (cli_is(&c, &i, "--batch", &v)) bad = !v || cli_count_int(&c, flag, v, 1, 100000, &run.batch);
        else if (cli_is(&c, &i, "--follower-draws", &v)) bad = !v || cli_count_int(&c, flag, v, 1, 100000, &run.follower_draws);
        else if (cli_is(&c, &i, "--rate", &v)) bad = !v || cli_real(&c, flag, v, 1e-9, 10.0, 0, &run.rate);
        else if (cli_is(&c, &i, "--bonus", &v)) bad = !v || cli_real(&c, flag, v, -1e6, 1e6, 0, &bonus);
        else if (cli_is(&c, &i, "--curve", &v)) bad = !v, curve_path = v;
        else return cli_usage_error(&c, "unknown option %s", flag);
        if (bad || c.failed) return 2;
    }
    if (curve_path) {
        if (cli_output_open(&curve, curve_path, 0)) return cli_finish(1);
        fprintf(curve.file, "method,seed,iteration,pi0_at_A,objective_150,objective\n");
    }
    status = run_seeds(&run, bonus, first_seed, seeds, curve_path ? curve.file : NULL);
    if (curve_path) {
        if (status) cli_output_discard(&curve);
        else status = cli_output_commit(&curve) ? 1 : 0;
    }
    return cli_finish(status);
}
