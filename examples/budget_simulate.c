/* budget_simulate - what-if data and learning curves for saferl_budget.h

     budget_simulate attempts [--prompts P] [--attempts N] [--horizon H] [--mean-tokens M]
                              [--spread S] [--seed K]          > attempts.csv
        rollout logs in budget_report's format: P prompts whose E[T] spread log-normally
        (sd S of ln E[T]) around M, N attempts each, T geometric, cut at the horizon H.

     budget_simulate progress [--prompts P] [--group G] [--horizon H] [--iterations I]
                              [--seed K]
        runs the header's learning-progress simulator at one horizon H from starts in each
        regime (E[T] = H / xi) and prints what each gains per generated token.
        The simulator is our idealized model (see saferl_budget.h), not the paper's theorem.
   Usage errors exit 2. */
#include "cli.h" /* first: it asks for POSIX */
#define SAFERL_BUDGET_IMPLEMENTATION
#include "saferl_budget.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct options {
    uint32_t prompts, attempts, group, iterations, seed;
    double horizon, mean_tokens, spread;
} options;

#define USAGE "attempts|progress [--prompts P] [--attempts N] [--group G] [--horizon H] [--mean-tokens M]" \
              " [--spread S] [--iterations I] [--seed K]"

/* 0, or 2 after the usage message. --attempts, --mean-tokens and --spread shape the attempts;
   --group and --iterations the simulator: giving one to the other command is a usage error. */
static int parse_options(cli *c, int argc, char **argv, int attempts_command, options *o) {
    static const char *const attempts_only[] = {"--attempts", "--mean-tokens", "--spread"};
    static const char *const progress_only[] = {"--group", "--iterations"};
    int i, k;
    for (i = 2; i < argc; ++i) {
        const char *flag = argv[i], *v = NULL;
        int bad;
        if (cli_is(c, &i, "--prompts", &v)) bad = !v || cli_count32(c, flag, v, 1, 1000000, &o->prompts);
        else if (cli_is(c, &i, "--attempts", &v)) bad = !v || cli_count32(c, flag, v, 1, 1000000, &o->attempts);
        else if (cli_is(c, &i, "--group", &v)) bad = !v || cli_count32(c, flag, v, 1, 1000000, &o->group);
        else if (cli_is(c, &i, "--iterations", &v)) bad = !v || cli_count32(c, flag, v, 1, 1000000, &o->iterations);
        else if (cli_is(c, &i, "--seed", &v)) bad = !v || cli_count32(c, flag, v, 0, UINT32_MAX, &o->seed);
        else if (cli_is(c, &i, "--horizon", &v)) bad = !v || cli_real(c, flag, v, 1.0, 2e9, 0, &o->horizon);
        else if (cli_is(c, &i, "--mean-tokens", &v)) bad = !v || cli_real(c, flag, v, 1.0, 1e12, 0, &o->mean_tokens);
        else if (cli_is(c, &i, "--spread", &v)) bad = !v || cli_real(c, flag, v, 0.0, 10.0, 0, &o->spread);
        else return cli_usage_error(c, "unknown option %s", flag);
        if (bad || c->failed) return 2;
    }
    for (k = 0; k < 3 && !attempts_command; ++k)
        if (cli_given(c, attempts_only[k])) return cli_usage_error(c, "%s is for the attempts command", attempts_only[k]);
    for (k = 0; k < 2 && attempts_command; ++k)
        if (cli_given(c, progress_only[k])) return cli_usage_error(c, "%s is for the progress command", progress_only[k]);
    return 0;
}

static int write_attempts(const options *o) {
    saferl_rng rng;
    unsigned p, a;
    saferl_rng_seed(&rng, o->seed);
    printf("prompt_id,horizon,tokens\n");
    for (p = 0; p < o->prompts; ++p) {
        double mean = o->mean_tokens * exp(o->spread * saferl_rng_normal(&rng));
        double hazard = mean > 1.0 ? 1.0 / mean : 1.0;
        for (a = 0; a < o->attempts; ++a) {
            double t = saferl_budget_sample_geometric(&rng, hazard);
            if (t <= o->horizon) printf("p%02u,%.0f,%.0f\n", p + 1, o->horizon, t);
            else printf("p%02u,%.0f,\n", p + 1, o->horizon);
        }
    }
    return 0;
}

/* Runs the simulator from initial relative budget start_xi for the given iterations;
   prints a row, or the trajectory when trajectory is set. */
static int run_simulator(const options *o, double start_xi, unsigned iterations, int trajectory) {
    saferl_budget_sim_desc desc;
    saferl_budget_sim sim;
    saferl_budget_sim_iteration it;
    double informative = 0.0;
    unsigned i;
    saferl_result r;
    memset(&desc, 0, sizeof desc);
    desc.prompts = o->prompts;
    desc.group_size = o->group;
    desc.horizon = o->horizon;
    desc.initial_mean_tokens = o->horizon / start_xi;
    desc.seed = o->seed;
    if ((r = saferl_budget_sim_create(&sim, &desc)) != SAFERL_OK) {
        fprintf(stderr, "budget_simulate: %s\n", saferl_result_string(r));
        return 1;
    }
    if (trajectory) printf("  xi over iterations from %.2f:", start_xi);
    for (i = 1; i <= iterations; ++i) {
        saferl_budget_sim_step(&sim, &it);
        informative += it.informative_fraction / iterations;
        if (trajectory && i % (iterations / 5 ? iterations / 5 : 1) == 0) printf("  %u: %.2f", i, it.mean_xi);
    }
    if (trajectory) printf("\n");
    else
        printf("  %8.2f  %-9s  %11.3f  %7.2f  %7.1f  %18.3f\n", start_xi,
               saferl_budget_regime_name(saferl_budget_regime_of(start_xi, NULL)), informative,
               it.mean_xi - start_xi, sim.tokens_generated / 1e6, (it.mean_xi - start_xi) / (sim.tokens_generated / 1e6));
    saferl_budget_sim_destroy(&sim);
    return 0;
}

static int print_progress(const options *o) {
    static const double start_xi[4] = {0.1, 0.5, 1.5, 5.0};
    int k;
    printf("learning progress in our idealized model (not the paper's theorem): %u prompts, G = %u,\n"
           "H = %.0f tokens, each informative group adds 0.05 to its prompt's xi; first 10 iterations:\n",
           o->prompts, o->group, o->horizon);
    printf("  start xi  regime     informative  xi gain  Mtokens  xi gain per Mtoken\n");
    for (k = 0; k < 4; ++k)
        if (run_simulator(o, start_xi[k], 10, 0)) return 1;
    return run_simulator(o, 0.3, o->iterations, 1);
}

static int run(int argc, char **argv) {
    options o;
    cli c;
    int attempts_command;
    cli_init(&c, argc, argv, USAGE);
    memset(&o, 0, sizeof o);
    o.prompts = 64;
    o.attempts = 16;
    o.group = 8;
    o.iterations = 40;
    o.horizon = 1024;
    o.mean_tokens = 1024;
    o.spread = 0.0;
    if (argc < 2 || (strcmp(argv[1], "attempts") != 0 && strcmp(argv[1], "progress") != 0))
        return cli_usage_error(&c, "the first argument is the command: attempts or progress");
    attempts_command = strcmp(argv[1], "attempts") == 0;
    if (parse_options(&c, argc, argv, attempts_command, &o)) return 2;
    return attempts_command ? write_attempts(&o) : print_progress(&o);
}

int main(int argc, char **argv) { return cli_finish(run(argc, argv)); }
