// SPDX-License-Identifier: MIT OR Unlicense
/* Coverage of saferl_budget_set_estimate's interval for a prompt set's xi = H / mean_i E[T_i].

   build/bench_budget_coverage [--replications R] [--draws M] [--spread-prior atom|half-cauchy]
                               [--interval posterior|widened|boundary]
                               [--position K] [--progress EVERY]
                               [--cell P,N,LAW,SPREAD,CENSORED]...

   A cell: P prompts with N attempts each; LAW how the prompts' hazards q_i and the tokens T
   are drawn:
     beta       q_i ~ Beta(a, b), T geometric: the model holds. SPREAD is the sd of ln q_i
                (a solves trigamma(a) = SPREAD^2; 0: all prompts alike)
     lognormal  ln q_i normal with sd SPREAD, T geometric: another law of the spread
     lntokens   E[T_i] as in beta, but T log-normal with sd 1 in log: T not geometric
     mixture    E[T_i] as in beta, T a half-half mixture of two geometrics whose means are
                E[T_i] / 4 and 7 E[T_i] / 4: T not geometric
   The median E[T_i] is 700 tokens; H is set so that a fraction CENSORED of attempts fails
   within the horizon on average (0: H = 2^31 - 1, nothing censored in practice). Each
   replication draws a new prompt set and its attempts; the truth is that set's
   H / mean_i E[T_i]. Prints one line per cell: coverage of the 95% interval, its binomial
   standard error, the median interval width relative to the truth, the median ratio of
   the estimate to the truth, and the same coverage for the pooled-hazard interval
   (saferl_budget_pool) on the same data; then, to diagnose a miss, how many intervals lay
   below the truth and how many above, and the median and 90th percentile of the fitted
   spread squared (the marginal-likelihood mode's sd of ln q_i, squared), and the median
   posterior probability of spread 0 (0 under the half-Cauchy prior alone). Seeds are fixed
   per cell: the cell's place on the command line (--position K: the next cell's place is K,
   so that one cell of a longer run can be rerun alone). --spread-prior picks desc.spread_prior
   (default half-cauchy, the library's; atom: SAFERL_BUDGET_SPREAD_ATOM_AND_HALF_CAUCHY),
   --interval desc.interval (default boundary, the library's: SAFERL_BUDGET_INTERVAL_BOUNDARY;
   widened: SAFERL_BUDGET_INTERVAL_WIDENED; posterior: SAFERL_BUDGET_INTERVAL_POSTERIOR), and
   the last two columns are the posterior interval's coverage and median width whichever
   interval the first columns describe.
   A cell's line comes when its last replication ends; so that a run stopped before that is
   not lost, every EVERY replications (--progress, default 100; 0: none) a partial line goes
   to stderr, "# partial", the cell, its position, the replications done and the counts so
   far: covered, below, above, the posterior interval's covered, and the coverage with its
   binomial standard error. The first R replications of a cell are the same whatever R, so
   a partial line is the coverage of a shorter run of that cell. */
#define SAFERL_BUDGET_IMPLEMENTATION
#include "saferl_budget.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum law { LAW_BETA, LAW_LOGNORMAL, LAW_LNTOKENS, LAW_MIXTURE } law;
static const char *law_names[4] = {"beta", "lognormal", "lntokens", "mixture"};

typedef struct cell {
    unsigned prompts, attempts;
    law law;
    double spread, censored;
} cell;

/* trigamma(a) = spread^2 by bisection on ln a (trigamma falls from +inf to 0). */
static double shape_for_spread(double spread) {
    double lo = -7.0, hi = 14.0, t[3];
    int i;
    for (i = 0; i < 200; ++i) {
        double mid = 0.5 * (lo + hi), a = exp(mid);
        saferl_budget__rising(a, 1e9, t);
        if (1e-9 - t[2] > spread * spread) lo = mid;
        else hi = mid;
    }
    return exp(0.5 * (lo + hi));
}

/* One prompt's hazard: median 1/700 on the scale of q. */
static double draw_hazard(saferl_rng *rng, const cell *c, double a) {
    double q;
    if (c->spread == 0.0) return 1.0 / 700.0;
    if (c->law == LAW_LOGNORMAL) {
        q = exp(c->spread * saferl_rng_normal(rng)) / 700.0;
    } else { /* Beta(a, b) with b fixed so that the median of q is about 1/700 */
        double x = saferl_budget__sample_gamma(rng, a), y = saferl_budget__sample_gamma(rng, (a - 1.0 / 3.0) * 700.0);
        q = x / (x + y);
    }
    return q < 1.0 ? (q > 0.0 ? q : 1e-300) : 1.0;
}

/* Tokens until success for a prompt of mean E[T] = 1/q under the cell's law of T. */
static double draw_tokens(saferl_rng *rng, const cell *c, double q) {
    if (c->law == LAW_LNTOKENS) { /* ln T ~ N(ln(1/q) - 1/2, 1): E[T] = 1/q */
        double t = ceil(exp(-log(q) - 0.5 + saferl_rng_normal(rng)));
        return t >= 1.0 ? t : 1.0;
    }
    if (c->law == LAW_MIXTURE) {
        double mean = (saferl_rng_uniform(rng) < 0.5 ? 0.25 : 1.75) / q;
        return saferl_budget_sample_geometric(rng, mean > 1.0 ? 1.0 / mean : 1.0);
    }
    return saferl_budget_sample_geometric(rng, q);
}

/* H with mean_i P(T_i > H) = censored over a large sample of prompts. */
static double horizon_for(const cell *c, double a) {
    enum { SAMPLE = 4000, PER = 50 };
    static double tokens[SAMPLE * PER];
    saferl_rng rng;
    size_t i, k;
    double lo = 1.0, hi = 2147483647.0;
    int it;
    if (c->censored == 0.0) return hi;
    saferl_rng_seed(&rng, 12345);
    for (i = 0; i < SAMPLE; ++i) {
        double q = draw_hazard(&rng, c, a);
        for (k = 0; k < PER; ++k) tokens[i * PER + k] = draw_tokens(&rng, c, q);
    }
    for (it = 0; it < 60; ++it) {
        double mid = sqrt(lo * hi), above = 0.0;
        for (i = 0; i < SAMPLE * PER; ++i) above += tokens[i] > floor(mid);
        if (above / (SAMPLE * PER) > c->censored) lo = mid;
        else hi = mid;
    }
    return floor(sqrt(lo * hi));
}

/* The counts so far, to stderr: what a stopped run keeps of a cell it did not finish. */
static void print_partial(const cell *c, unsigned position, unsigned done, unsigned replications, unsigned used,
                          unsigned covered, unsigned low, unsigned high, unsigned posterior_covered) {
    double cov = used ? (double)covered / used : 0.0;
    fprintf(stderr, "# partial %u,%u,%s,%.2f,%.2f position %u: %u of %u replications, covered %u, below %u, above %u, "
                    "posterior covered %u; coverage %.3f (se %.3f)\n",
            c->prompts, c->attempts, law_names[c->law], c->spread, c->censored, position, done, replications, covered,
            low, high, posterior_covered, cov, used ? sqrt(cov * (1 - cov) / used) : 0.0);
    fflush(stderr);
}

static int run_cell(const cell *c, unsigned replications, unsigned draws, saferl_budget_spread_prior prior,
                    saferl_budget_interval interval, unsigned position, unsigned progress) {
    unsigned seed = 1000u + 7919u * position;
    double a = c->spread > 0.0 ? shape_for_spread(c->spread) : 0.0, horizon = horizon_for(c, a);
    saferl_budget_attempt *attempts = malloc(sizeof *attempts * c->attempts);
    saferl_budget_summary *summaries = malloc(sizeof *summaries * c->prompts), pooled;
    double *width = malloc(sizeof(double) * replications), *ratio = malloc(sizeof(double) * replications);
    double *fitted = malloc(sizeof(double) * replications); /* the fit's spread^2 */
    double *atom = malloc(sizeof(double) * replications);   /* P(spread = 0 | data) */
    double *posterior_width = malloc(sizeof(double) * replications);
    saferl_budget_desc desc;
    size_t work_size;
    void *work;
    saferl_rng rng;
    unsigned r, i, k, covered = 0, posterior_covered = 0, low = 0, high = 0, pooled_covered = 0, used = 0, censored_count = 0, bound_only = 0;
    memset(&desc, 0, sizeof desc);
    desc.draws = draws;
    desc.spread_prior = prior;
    desc.interval = interval;
    work_size = saferl_budget_set_memory_size(&desc, c->prompts);
    work = malloc(work_size);
    if (!attempts || !summaries || !width || !ratio || !fitted || !atom || !posterior_width || !work) return 1;
    saferl_rng_seed(&rng, seed);
    for (r = 0; r < replications; ++r) {
        double inverse_sum = 0.0, truth;
        saferl_budget_set_summary set;
        saferl_result result;
        for (i = 0; i < c->prompts; ++i) {
            double q = draw_hazard(&rng, c, a);
            inverse_sum += 1.0 / q;
            for (k = 0; k < c->attempts; ++k) {
                double t = draw_tokens(&rng, c, q);
                attempts[k].prompt = 0;
                attempts[k].horizon = (int32_t)horizon;
                attempts[k].tokens = t <= horizon ? (int32_t)t : SAFERL_BUDGET_CENSORED;
                censored_count += t > horizon;
            }
            saferl_budget_summarize(attempts, c->attempts, NULL, &summaries[i]);
        }
        truth = horizon * c->prompts / inverse_sum;
        desc.seed = seed + r;
        result = saferl_budget_set_estimate(summaries, c->prompts, &desc, work, work_size, &set);
        if (result < 0) {
            fprintf(stderr, "replication %u: %s\n", r, saferl_result_string(result));
            continue;
        }
        bound_only += result == SAFERL_BOUND_ONLY;
        covered += set.xi_lo <= truth && truth <= set.xi_hi;
        posterior_covered += set.posterior_lo <= truth && truth <= set.posterior_hi;
        posterior_width[used] = (set.posterior_hi - set.posterior_lo) / truth;
        low += set.xi_hi < truth;
        high += set.xi_lo > truth;
        fitted[used] = set.spread * set.spread;
        atom[used] = set.spread_zero_probability;
        width[used] = (set.xi_hi - set.xi_lo) / truth;
        ratio[used] = set.xi / truth;
        ++used;
        saferl_budget_pool(summaries, c->prompts, NULL, &pooled);
        pooled_covered += pooled.xi_lo <= truth && truth <= pooled.xi_hi;
        if (progress && (r + 1) % progress == 0 && r + 1 < replications)
            print_partial(c, position, r + 1, replications, used, covered, low, high, posterior_covered);
    }
    saferl_budget__sort(width, used);
    saferl_budget__sort(ratio, used);
    saferl_budget__sort(fitted, used);
    saferl_budget__sort(atom, used);
    saferl_budget__sort(posterior_width, used);
    {
        double cov = (double)covered / used;
        printf("%6u %4u %-9s %5.2f %5.2f %8.0f %6.3f | %5.3f %5.3f %6.3f %6.3f | %5.3f %u | %u %u | %5.3f %5.3f | %5.3f | %5.3f %6.3f\n", c->prompts,
               c->attempts, law_names[c->law], c->spread, c->censored, horizon,
               (double)censored_count / ((double)replications * c->prompts * c->attempts), cov,
               sqrt(cov * (1 - cov) / used), saferl_budget__quantile(width, used, 0.5),
               saferl_budget__quantile(ratio, used, 0.5), (double)pooled_covered / used, bound_only,
               low, high, saferl_budget__quantile(fitted, used, 0.5), saferl_budget__quantile(fitted, used, 0.9),
               saferl_budget__quantile(atom, used, 0.5), (double)posterior_covered / used,
               saferl_budget__quantile(posterior_width, used, 0.5));
    }
    fflush(stdout);
    free(attempts);
    free(summaries);
    free(width);
    free(ratio);
    free(fitted);
    free(atom);
    free(posterior_width);
    free(work);
    return 0;
}

int main(int argc, char **argv) {
    unsigned replications = 1000, draws = 2000, cells = 0, progress = 100;
    saferl_budget_spread_prior prior = SAFERL_BUDGET_SPREAD_HALF_CAUCHY;
    saferl_budget_interval interval = SAFERL_BUDGET_INTERVAL_BOUNDARY; /* the library's default */
    int i;
    printf("prompts  n  law       spread cens        H  c.obs | cover  se    width  est/true | pooled-hazard cover, bound-only | low high | fit s^2 q50 q90 | P(s=0) q50 | posterior: cover width\n");
    for (i = 1; i < argc; ++i) {
        if (strcmp(argv[i], "--replications") == 0 && i + 1 < argc) {
            replications = (unsigned)atoi(argv[++i]);
        } else if (strcmp(argv[i], "--draws") == 0 && i + 1 < argc) {
            draws = (unsigned)atoi(argv[++i]);
        } else if (strcmp(argv[i], "--spread-prior") == 0 && i + 1 < argc) {
            ++i;
            if (strcmp(argv[i], "atom") == 0) prior = SAFERL_BUDGET_SPREAD_ATOM_AND_HALF_CAUCHY;
            else if (strcmp(argv[i], "half-cauchy") == 0) prior = SAFERL_BUDGET_SPREAD_HALF_CAUCHY;
            else return 2;
        } else if (strcmp(argv[i], "--interval") == 0 && i + 1 < argc) {
            ++i;
            if (strcmp(argv[i], "widened") == 0) interval = SAFERL_BUDGET_INTERVAL_WIDENED;
            else if (strcmp(argv[i], "posterior") == 0) interval = SAFERL_BUDGET_INTERVAL_POSTERIOR;
            else if (strcmp(argv[i], "boundary") == 0) interval = SAFERL_BUDGET_INTERVAL_BOUNDARY;
            else return 2;
        } else if (strcmp(argv[i], "--progress") == 0 && i + 1 < argc) {
            progress = (unsigned)atoi(argv[++i]);
        } else if (strcmp(argv[i], "--position") == 0 && i + 1 < argc) {
            int position = atoi(argv[++i]);
            if (position < 1) return 2;
            cells = (unsigned)position - 1;
        } else if (strcmp(argv[i], "--cell") == 0 && i + 1 < argc) {
            cell c;
            char name[16];
            int l;
            if (sscanf(argv[++i], "%u,%u,%15[a-z],%lf,%lf", &c.prompts, &c.attempts, name, &c.spread, &c.censored) != 5)
                return 2;
            for (l = 0; l < 4 && strcmp(name, law_names[l]) != 0; ++l) {}
            if (l == 4) return 2;
            c.law = (law)l;
            if (run_cell(&c, replications, draws, prior, interval, ++cells, progress)) return 1;
        } else {
            fprintf(stderr, "usage: %s [--replications R] [--draws M] [--spread-prior atom|half-cauchy] "
                            "[--interval posterior|widened|boundary] [--position K] [--progress EVERY] "
                            "[--cell P,N,LAW,SPREAD,CENSORED]...\n", argv[0]);
            return 2;
        }
    }
    return 0;
}
