// SPDX-License-Identifier: MIT OR Unlicense
/* preference_align - safe alignment in miniature with saferl_rl.h: SACPO's two DPO steps on a
   tabular "language model" against the closed-form constrained optimum, and the cost-minimal
   label-flip poisoning LP against a naive attack.

   preference_align --threshold B [--seed S] [--beta BETA] [--pairs N] [--lp-samples N]

   The model: 4 prompts x 5 responses, reference logits N(0, 0.25), reward r and safety g
   uniform in [-1, 1] (seeded). The problem: max E[r] - beta KL(pi || pi_ref) s.t. E[g] >= B
   (B has no default; E[g] of the safest policy is printed when B cannot be met). Bradley-Terry
   preference data, N pairs for r and N for g (default 32000), give SACPO's policy: DPO with
   beta (default 0.5) on r, then DPO with beta / lambda on g, lambda the multiplier of the
   closed form pi* ∝ pi_ref exp((r + lambda g) / beta). P-SACPO merges the two steps at
   q = 0.5. Printed: E[r], E[g] and the total variation to pi* of each policy.

   The LP: N (default 2000) preference labels drawn Bradley-Terry from a random linear reward
   over d = 8, 16, 32, 64 Gaussian features, a naive attack flipping a random quarter of them,
   unit flip costs; printed: labels the attack changes, labels the LP's labels change (and how
   many of those are fractional), both costs, the CPU seconds of the solve.
   Errors: a usage error exits 2 with the usage line. */
#include "cli.h" /* first: it asks for POSIX */
#define SAFERL_RL_IMPLEMENTATION
#include "saferl_rl.h"
#include <time.h>

enum { P = 4, K = 5, MAX_PAIRS = 1000000, MAX_D = 64 };

static void print_policy(const char *name, const double *logits, const double *reward, const double *safety,
                         const double *optimum) {
    printf("%-22s E[r] %7.4f  E[g] %7.4f  TV to pi* %.4f\n", name, saferl_rl_tabular_expectation(logits, reward, P, K),
           saferl_rl_tabular_expectation(logits, safety, P, K), saferl_rl_tabular_total_variation(logits, optimum, P, K));
}

static int run_sacpo(uint32_t seed, double beta, double threshold, long pairs) {
    double reference[P * K], reward[P * K], safety[P * K], optimum[P * K], logits[P * K], reward_logits[P * K];
    double merged[P * K], best = 0.0, lambda;
    double scratch[2 * P * K + 2 * K * K + 3 * K];
    saferl_rl_preference *reward_data, *safety_data;
    saferl_rng rng;
    saferl_result r;
    int j, x;
    saferl_rng_seed(&rng, seed);
    for (j = 0; j < P * K; ++j) {
        reference[j] = 0.5 * saferl_rng_normal(&rng);
        reward[j] = 2.0 * saferl_rng_uniform(&rng) - 1.0;
        safety[j] = 2.0 * saferl_rng_uniform(&rng) - 1.0;
    }
    r = saferl_rl_preference_multiplier(reference, reward, safety, P, K, beta, threshold, &lambda);
    if (r == SAFERL_ERR_INFEASIBLE) {
        for (x = 0; x < P; ++x) {
            double m = safety[x * K];
            for (j = 1; j < K; ++j) m = safety[x * K + j] > m ? safety[x * K + j] : m;
            best += m / P;
        }
        fprintf(stderr, "preference_align: --threshold %g cannot be met: E[g] stays below %.4f\n", threshold, best);
        return 1;
    }
    if (r < 0) return fprintf(stderr, "preference_align: multiplier: %s\n", saferl_result_string(r)), 1;
    reward_data = (saferl_rl_preference *)malloc(sizeof *reward_data * (size_t)pairs);
    safety_data = (saferl_rl_preference *)malloc(sizeof *safety_data * (size_t)pairs);
    if (!reward_data || !safety_data) {
        free(reward_data), free(safety_data);
        return fprintf(stderr, "preference_align: out of memory\n"), 1;
    }
    saferl_rl_preferences_sample(reward_data, pairs, reward, P, K, &rng);
    saferl_rl_preferences_sample(safety_data, pairs, safety, P, K, &rng);
    saferl_rl_preference_optimum(optimum, reference, reward, safety, P, K, beta, lambda);
    r = saferl_rl_sacpo(logits, reward_logits, reference, P, K, reward_data, pairs, safety_data, pairs, beta, lambda,
                        scratch, sizeof scratch / sizeof scratch[0]);
    free(reward_data), free(safety_data);
    if (r < 0) return fprintf(stderr, "preference_align: SACPO: %s\n", saferl_result_string(r)), 1;
    saferl_rl_weight_merge(merged, reward_logits, logits, P * K, 0.5);
    printf("SACPO (Wachi et al. 2024): %d prompts x %d responses, beta %g, E[g] >= %g: lambda %.4f; %ld pairs each for r and g\n",
           P, K, beta, threshold, lambda, pairs);
    print_policy("reference", reference, reward, safety, optimum);
    print_policy("step 1: DPO on r", reward_logits, reward, safety, optimum);
    print_policy("step 2: DPO on g", logits, reward, safety, optimum);
    print_policy("P-SACPO q = 0.5", merged, reward, safety, optimum);
    print_policy("closed form pi*", optimum, reward, safety, optimum);
    return 0;
}

static int run_poison_lp(uint32_t seed, int n) {
    static const int dims[] = {8, 16, 32, 64};
    double *features = (double *)malloc(sizeof(double) * (size_t)n * MAX_D);
    double *labels = (double *)malloc(sizeof(double) * 3 * (size_t)n), *original = labels + n, *attack = original + n;
    void *memory = malloc(saferl_rl_poison_lp_memory_size(n, MAX_D));
    int status = 0, c;
    printf("poisoning LP (arXiv 2511.09105): N %d, unit flip costs, a naive attack flipping a random quarter\n", n);
    printf("%4s %14s %14s %12s %11s %10s %8s\n", "d", "attack flips", "LP changes", "fractional", "attack cost",
           "LP cost", "seconds");
    for (c = 0; c < 4 && features && labels && memory; ++c) {
        const int d = dims[c];
        double w[MAX_D], cost, seconds;
        int k, i, flips = 0, changed = 0, fractional = 0;
        clock_t start;
        saferl_rng rng;
        saferl_result r;
        saferl_rng_seed(&rng, seed + 1000u * (uint32_t)(c + 1));
        for (i = 0; i < d; ++i) w[i] = saferl_rng_normal(&rng);
        for (k = 0; k < n; ++k) {
            double z = 0.0;
            for (i = 0; i < d; ++i) z += (features[k * d + i] = saferl_rng_normal(&rng)) * w[i];
            original[k] = saferl_rng_uniform(&rng) < 1.0 / (1.0 + exp(-z)) ? 1.0 : 0.0;
            attack[k] = saferl_rng_uniform(&rng) < 0.25 ? 1.0 - original[k] : original[k];
            flips += attack[k] != original[k];
        }
        start = clock();
        r = saferl_rl_poison_lp(labels, &cost, features, original, attack, NULL, n, d, memory,
                                saferl_rl_poison_lp_memory_size(n, MAX_D));
        seconds = (double)(clock() - start) / CLOCKS_PER_SEC;
        if (r < 0) {
            fprintf(stderr, "preference_align: poisoning LP: %s\n", saferl_result_string(r));
            status = 1;
            break;
        }
        for (k = 0; k < n; ++k) changed += labels[k] != original[k], fractional += labels[k] > 0.0 && labels[k] < 1.0;
        printf("%4d %14d %14d %12d %11d %10.3f %8.3f\n", d, flips, changed, fractional, flips, cost, seconds);
    }
    if (!features || !labels || !memory) status = 1, fprintf(stderr, "preference_align: out of memory\n");
    free(features), free(labels), free(memory);
    return status;
}

int main(int argc, char **argv) {
    cli c;
    uint32_t seed = 1;
    uint64_t pairs = 32000;
    int i, lp_samples = 2000, status;
    double beta = 0.5, threshold = 0.0;
    cli_init(&c, argc, argv, "--threshold B [--seed S] [--beta BETA] [--pairs N] [--lp-samples N]");
    for (i = 1; i < argc; ++i) {
        const char *flag = argv[i], *v;
        int bad = 0;
        if (cli_is(&c, &i, "--threshold", &v)) bad = !v || cli_real(&c, flag, v, -1.0, 1.0, 0, &threshold);
        else if (cli_is(&c, &i, "--seed", &v)) bad = !v || cli_count32(&c, flag, v, 0, UINT32_MAX, &seed);
        else if (cli_is(&c, &i, "--beta", &v)) bad = !v || cli_real(&c, flag, v, 1e-3, 1e3, 0, &beta);
        else if (cli_is(&c, &i, "--pairs", &v)) bad = !v || cli_count(&c, flag, v, 100, MAX_PAIRS, &pairs);
        else if (cli_is(&c, &i, "--lp-samples", &v)) bad = !v || cli_count_int(&c, flag, v, 10, 20000, &lp_samples);
        else return cli_usage_error(&c, "unknown option %s", flag);
        if (bad || c.failed) return 2;
    }
    if (!cli_given(&c, "--threshold")) return cli_usage_error(&c, "--threshold: required (E[g] >= B, g in [-1, 1])");
    status = run_sacpo(seed, beta, threshold, (long)pairs);
    if (status == 0) status = run_poison_lp(seed, lp_samples);
    return cli_finish(status);
}
