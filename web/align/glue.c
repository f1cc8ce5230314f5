/* glue.c - the WebAssembly face of saferl_rl.h's preference optimisation for web/align/.
   Thin wrappers only: every number the page shows comes from the header's functions. The
   exports take and return 32-bit ints, doubles and pointers (see CONVENTIONS.md, section 4).
   One prompt with three responses, so every policy is a point of a triangle. Memory: the
   preference buffers are allocated once, at the largest data size the page offers. */
#include <stdlib.h>
#include <string.h>
#include <emscripten/emscripten.h>

#define GLUE_EXPORT EMSCRIPTEN_KEEPALIVE
#define SAFERL_RL_IMPLEMENTATION
#include "saferl_rl.h"

enum { K = 3, MAX_PAIRS = 100000 };

GLUE_EXPORT const char *align_version(void) { return SAFERL_RL_VERSION_STRING; }

GLUE_EXPORT const char *align_result_string(int result) { return saferl_result_string((saferl_result)result); }

/* The problem drawn from the seed: reference logits 0.5 N(0, 1), reward and safety uniform in
   [-1, 1]; out: 3 reference logits, 3 rewards, 3 safeties. */
static void glue_problem(unsigned seed, double *reference, double *reward, double *safety) {
    saferl_rng rng;
    int y;
    saferl_rng_seed(&rng, seed);
    for (y = 0; y < K; ++y) {
        reference[y] = 0.5 * saferl_rng_normal(&rng);
        reward[y] = 2.0 * saferl_rng_uniform(&rng) - 1.0;
        safety[y] = 2.0 * saferl_rng_uniform(&rng) - 1.0;
    }
}

/* SACPO on `pairs` Bradley-Terry pairs for r and as many for g (drawn from the seed + 1), at
   beta and lambda, beside the closed forms. out (27 doubles): probabilities of pi_ref [0..2],
   the closed form at lambda = 0 [3..5] and at lambda [6..8], SACPO's first step [9..11] and
   second step [12..14]; then TV(second step, pi*) [15], E[r] and E[g] of pi* [16, 17] and of
   the second step [18, 19]; r [20..22]; the result [23]; g [24..26] (< 0: the data did not determine a
   step yet, its points are NaN). Returns the result. */
GLUE_EXPORT int align_sacpo(unsigned seed, double beta, double lambda, int pairs, double *out) {
    static saferl_rl_preference *reward_data, *safety_data; /* the page's one allocation */
    double reference[K], reward[K], safety[K], optimum[K], logits[K], reward_logits[K];
    double scratch[2 * K + 2 * K * K + 3 * K];
    saferl_rng rng;
    saferl_result r;
    int y;
    if (pairs < 1 || pairs > MAX_PAIRS) return SAFERL_ERR_INVALID_ARGUMENT;
    if (!reward_data) {
        reward_data = (saferl_rl_preference *)malloc(sizeof *reward_data * MAX_PAIRS);
        safety_data = (saferl_rl_preference *)malloc(sizeof *safety_data * MAX_PAIRS);
        if (!reward_data || !safety_data) return SAFERL_ERR_OUT_OF_MEMORY;
    }
    glue_problem(seed, reference, reward, safety);
    saferl_rl_tabular_probabilities(out, reference, 1, K);
    r = saferl_rl_preference_optimum(optimum, reference, reward, NULL, 1, K, beta, 0.0);
    if (r < 0) return r;
    saferl_rl_tabular_probabilities(out + 3, optimum, 1, K);
    r = saferl_rl_preference_optimum(optimum, reference, reward, safety, 1, K, beta, lambda);
    if (r < 0) return r;
    saferl_rl_tabular_probabilities(out + 6, optimum, 1, K);
    out[16] = saferl_rl_tabular_expectation(optimum, reward, 1, K);
    out[17] = saferl_rl_tabular_expectation(optimum, safety, 1, K);
    for (y = 0; y < K; ++y) out[20 + y] = reward[y], out[24 + y] = safety[y];
    saferl_rng_seed(&rng, seed + 1u);
    saferl_rl_preferences_sample(reward_data, pairs, reward, 1, K, &rng);
    saferl_rl_preferences_sample(safety_data, pairs, safety, 1, K, &rng);
    r = saferl_rl_sacpo(logits, reward_logits, reference, 1, K, reward_data, pairs, safety_data, pairs, beta, lambda,
                        scratch, sizeof scratch / sizeof scratch[0]);
    out[23] = (double)r;
    if (r < 0) {
        for (y = 9; y < 16; ++y) out[y] = NAN;
        out[18] = out[19] = NAN;
        return r;
    }
    saferl_rl_tabular_probabilities(out + 9, reward_logits, 1, K);
    saferl_rl_tabular_probabilities(out + 12, logits, 1, K);
    out[15] = saferl_rl_tabular_total_variation(logits, optimum, 1, K);
    out[18] = saferl_rl_tabular_expectation(logits, reward, 1, K);
    out[19] = saferl_rl_tabular_expectation(logits, safety, 1, K);
    return r;
}

/* The closed form's path as lambda goes from 0 to lambda_max: n points, 3 probabilities each. */
GLUE_EXPORT int align_optimum_path(unsigned seed, double beta, double lambda_max, int n, double *out) {
    double reference[K], reward[K], safety[K], optimum[K];
    int i;
    if (n < 2) return SAFERL_ERR_INVALID_ARGUMENT;
    glue_problem(seed, reference, reward, safety);
    for (i = 0; i < n; ++i) {
        const saferl_result r = saferl_rl_preference_optimum(optimum, reference, reward, safety, 1, K, beta,
                                                             lambda_max * i / (n - 1));
        if (r < 0) return r;
        saferl_rl_tabular_probabilities(out + 3 * i, optimum, 1, K);
    }
    return SAFERL_OK;
}
