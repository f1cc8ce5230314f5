/* budget_simulate - what-if data and learning curves for saferl_budget.h

     budget_simulate attempts [--prompts P] [--attempts N] [--horizon H] [--mean-tokens M]
                              [--spread S] [--seed K]          > attempts.csv
        rollout logs in budget_report's format: P prompts whose E[T] spread log-normally
        (sd S of ln E[T]) around M, N attempts each, T geometric, cut at the horizon H.

     budget_simulate progress [--prompts P] [--group G] [--horizon H] [--iterations I]
                              [--seed K]
        runs the header's learning-progress simulator at one horizon H from starts in each
        regime (E[T] = H / xi) and prints what each gains per generated token.
        The simulator is our idealized model (see saferl_budget.h), not the paper's theorem. */
#define SAFERL_BUDGET_IMPLEMENTATION
#include "saferl_budget.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct options {
    unsigned prompts, attempts, group, iterations, seed;
    double horizon, mean_tokens, spread;
} options;

static int usage(void) {
    fprintf(stderr, "usage: budget_simulate attempts|progress [--prompts P] [--attempts N] [--group G]\n"
                    "         [--horizon H] [--mean-tokens M] [--spread S] [--iterations I] [--seed K]\n");
    return 2;
}

static int parse_options(int argc, char **argv, options *o) {
    int i;
    for (i = 2; i < argc; ++i) {
        const char *name = argv[i];
        char *end;
        double value;
        if (i + 1 >= argc) return 0;
        value = strtod(argv[++i], &end);
        if (*end != '\0' || !(value >= 0.0) || value > 1e12) return 0;
        if (strcmp(name, "--prompts") == 0) o->prompts = (unsigned)value;
        else if (strcmp(name, "--attempts") == 0) o->attempts = (unsigned)value;
        else if (strcmp(name, "--group") == 0) o->group = (unsigned)value;
        else if (strcmp(name, "--iterations") == 0) o->iterations = (unsigned)value;
        else if (strcmp(name, "--seed") == 0) o->seed = (unsigned)value;
        else if (strcmp(name, "--horizon") == 0) o->horizon = value;
        else if (strcmp(name, "--mean-tokens") == 0) o->mean_tokens = value;
        else if (strcmp(name, "--spread") == 0) o->spread = value;
        else return 0;
    }
    return o->prompts > 0 && o->attempts > 0 && o->group > 0 && o->horizon >= 1 && o->horizon < 2e9 &&
           o->mean_tokens >= 1;
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

int main(int argc, char **argv) {
    options o;
    memset(&o, 0, sizeof o);
    o.prompts = 64;
    o.attempts = 16;
    o.group = 8;
    o.iterations = 40;
    o.horizon = 1024;
    o.mean_tokens = 1024;
    o.spread = 0.0;
    if (argc < 2 || !parse_options(argc, argv, &o)) return usage();
    if (strcmp(argv[1], "attempts") == 0) return write_attempts(&o);
    if (strcmp(argv[1], "progress") == 0) return print_progress(&o);
    return usage();
}
