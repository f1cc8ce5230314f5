// SPDX-License-Identifier: MIT OR Unlicense
/* saferl_budget.h - v0.6.2 - relative-budget analysis for RL with verifiable rewards
                              public domain or MIT; see the end of the file

   The relative budget of a prompt is  xi = H / E[T]:  H the generation horizon (token
   budget), T the number of tokens until the first correct solution under the base policy.
   "A Relative-Budget Theory for Reinforcement Learning with Verifiable Rewards in Large
   Language Model Reasoning" (arXiv 2602.01523) explains RL's sample efficiency through it:
   xi -> 0 is the deficient regime (informative rollouts are rare), xi = Theta(1) the
   balanced one, xi -> infinity the ample one; empirically xi in [1.5, 2.0] learned fastest.
   This header turns rollout logs into those numbers.

   Do this:
      #define SAFERL_BUDGET_IMPLEMENTATION   (or SAFERL_IMPLEMENTATION for every saferl header)
   before you include this file in *one* C or C++ file to create the implementation.

   Optional, before the implementation include:
      #define SAFERL_ASSERT(x)        your assert, for programmer errors only (default: assert)
      #define SAFERL_MALLOC(sz,ctx)   default allocation   (default: malloc(sz))
      #define SAFERL_FREE(p,ctx)      default release      (default: free(p))
      #define SAFERL_BUDGET_API       declaration prefix   (default: extern)
      #define SAFERL_BUDGET_STATIC    every function static: a private copy per translation unit

   The header does no I/O: it parses text you hand it in memory (read the file yourself, or
   let the browser hand it over); examples/budget_report.c shows the file and PNG side.

   QUICK START
      #define SAFERL_BUDGET_IMPLEMENTATION
      #include "saferl_budget.h"
      #include <stdio.h>
      int main(void) {
          // one prompt, horizon 1024 tokens: solved after 300 and 700 tokens, once not at all
          saferl_budget_attempt a[3] = {{0, 1024, 300}, {0, 1024, 700},
                                        {0, 1024, SAFERL_BUDGET_CENSORED}};
          saferl_budget_desc desc = {0};             // zero = the documented defaults (C++: = {})
          saferl_budget_summary s;
          saferl_result r = saferl_budget_summarize(a, 3, &desc, &s);
          if (r < 0) { printf("%s\n", saferl_result_string(r)); return 1; }
          printf("xi = %.3f [%.3f, %.3f], %s\n", s.xi, s.xi_lo, s.xi_hi,
                 saferl_budget_regime_name(s.regime));
          return 0;
      }

   WHAT IS HERE, top to bottom
      attempts and their validation        saferl_budget_attempt, saferl_budget_check_attempt
      CSV of attempts, from a memory buffer saferl_budget_csv_parse, saferl_budget_index_prompts
      estimators                           saferl_budget_summarize (censored geometric MLE of
                                           E[T], xi and its interval), saferl_budget_pool (the
                                           pooled hazard), saferl_budget_set_estimate (a set's
                                           H / mean_i E[T_i], hierarchical Bayes),
                                           saferl_budget_kaplan_meier (+ Greenwood), restricted mean
      theory helpers                       reward variance, informative-group probability and its
                                           unbiased estimate, pass@k, samples for one success,
                                           regimes, the horizon for a target xi, models of T
      a learning-progress simulator        saferl_budget_sim_* (our idealized model, see below)

   STATISTICAL CHOICES (say what is computed, so results can be checked)
      * T is modelled as geometric on {1, 2, ...} with a per-token success probability q (the
        hazard). An attempt with horizon H_i contributes min(T_i, H_i) tokens at risk. With
        D successes and S tokens at risk the log-likelihood is D log q + (S - D) log(1 - q),
        the binomial one, so  q^ = D / S,  E[T]^ = S / D,  and by the observed information
        SE(E[T]^) = sqrt(S (S - D) / D^3).
      * xi = H q^ (= H / E[T]^), H the reference horizon: desc.horizon, or by default the
        largest horizon among the attempts.
      * Interval for q, hence for xi = H q and E[T] = 1/q: the exact Clopper-Pearson interval
        of D out of S when D < 100, the Wilson score interval from 100 on (where the two agree
        and Clopper-Pearson would cost more). With few successes no interval holds exactly its
        nominal coverage: the exact one is conservative there (coverage >= nominal, up to 0.99
        at 95% in our Monte-Carlo) where Wilson would fall to 0.91. tests/ checks both.
      * No success at all: the data bound E[T] only from below, so xi only from ABOVE. The
        summary then reports xi = 0, xi_lo = 0, xi_hi = the exact upper bound, sets
        xi_is_upper_bound and the call returns SAFERL_BOUND_ONLY (positive: not an error, but
        never a number that looks exact).
      * A prompt set's xi (saferl_budget_set_estimate) is the paper's quantity for a data
        set: H / mean_i E[T_i], E[T_i] = 1 / q_i, H the largest of the prompts' horizons (or
        desc.horizon). With 8 attempts a prompt the per-prompt estimates are too noisy to
        average (a mean of per-prompt xi_i covered 85% at 95%), and prompts that never
        succeed have no estimate at all, so the prompts' hazards get a law of their own:
        q_i ~ Beta(a, b), which is conjugate to the geometric likelihood q^D (1 - q)^(S - D).
        The law's a and b are integrated out, not plugged in (hierarchical Bayes): with u =
        ln a and m = ln(b / a) (about ln E[T]), the prior is flat in m and half-Cauchy with
        scale 1 on the spread sigma = sqrt(psi'(a)), the sd of ln q_i across prompts (Gelman
        2006, "Prior distributions for variance parameters in hierarchical models": weakly
        informative, flat near sigma = 0 so that "all prompts alike" stays possible, scale 1
        = prompts whose E[T] differ e-fold). The posterior of (u, m) is evaluated on a
        deterministic grid: a scan of u over [ln 1e-3, ln 1e6] with m integrated out by
        Laplace's method finds where it lives, then 40 nodes of u there and 24 of m each,
        out to 6 conditional sd around m's conditional mode. The estimate and interval are
        the median and quantiles of posterior draws of H / mean_i (1 / q_i): a grid cell by
        its weight, a uniform point in it, then q_i ~ Beta(a + D_i, b + S_i - D_i). (Until
        0.2.0 (ln a, ln b) were drawn from the normal approximation of their likelihood
        around its maximum, after Kass and Steffey 1989: too narrow when a handful of
        successes decide the spread, covering 0.81-0.93 at 90% censoring with 8 attempts.)
        prior_a, prior_b and log_likelihood still report the maximum of the marginal
        likelihood prod_i B(a + D_i, b + S_i - D_i) / B(a, b) (empirical Bayes; Newton's
        method in (ln a, ln(b/a)), ln a kept in [ln 1e-3, ln 1e6]), which also starts the
        grid's scan. A prompt with no success gets its E[T_i] from the fitted law: the data
        alone bound it only from below, and the summary says so (extrapolated,
        unsolved_prompts). In prompt sets drawn from the model the 95% posterior interval
        covers the set's value in 0.93-0.97 of them in most cells of README.md's grid; it
        falls short when all prompts are alike and most attempts are censored (90%:
        0.89-0.92), where the data cannot rule out a spread and a spread raises
        mean_i E[T_i] (xi comes out low); the default interval (below) repairs that.
        README.md has the tables. When T is not geometric no pooling repairs the
        per-prompt likelihood, and the estimate is biased (a mixture of a fast and a slow
        mode: by half).
      * That shortfall sits at a boundary: the truth "all prompts alike" is spread 0, where
        the half-Cauchy prior has density but no mass, and a Bayesian interval is calibrated
        on average over its prior, not at each point of it. desc.spread_prior =
        SAFERL_BUDGET_SPREAD_ATOM_AND_HALF_CAUCHY gives spread 0 a prior probability of 1/2
        (Jeffreys' convention for a simple hypothesis, Theory of Probability 1961, ch. 5;
        for a variance component, Pauler, Wakefield and Kass 1999, "Bayes factors and
        approximations for variance component models"), the rest the same half-Cauchy.
        Under the atom every q_i is one q = 1 / (1 + e^m), the likelihood q^D (1 - q)^F
        over the set, its integral over the common flat prior in m is B(D, F) and q's
        posterior Beta(D, F); the atom's posterior probability weighs B(D, F) against the
        grid's integral (the prior in m is improper, but common to both, so the ratio is
        defined: Kass and Raftery 1995, "Bayes factors", on parameters common to both
        models). Draws then come from
        the atom (xi = H q) or the grid in that proportion. The frequentist alternative,
        a profile-likelihood interval with the boundary's 50:50 chi2_0 / chi2_1 law (Self
        and Liang 1987; Stram and Lee 1994), was not taken: xi is a function of this set's
        q_i, not of (a, b) alone, so a profile interval for it needs a prediction step of
        its own (0.5.0's widened interval, below, takes that step for the spread). The atom
        fixes the boundary but not for free (README.md has both priors on the same data):
        it pulls xi up where a real spread is hidden by censoring, so the default stays the
        half-Cauchy alone.
      * Both priors leave a Bayesian interval, calibrated on average over its prior; where
        the data barely measure the spread (one success a prompt or none, 90% censored) its
        coverage at a given spread is the prior's choice. Those data rule out few spreads:
        16 prompts x 8 attempts with no spread at all keep the likelihood of spread 1 at
        0.2-0.9 of its top. desc.interval = SAFERL_BUDGET_INTERVAL_WIDENED makes xi_lo, xi_hi
        the posterior interval (still in posterior_lo, posterior_hi) joined with the interval given each spread the data do not rule out (m
        integrated out under its flat prior, an integrated likelihood: Berger, Liseo and
        Wolpert 1999), the spreads whose integrated likelihood ratio to the best lies within
        the chi2_1 quantile at desc.confidence (spread_lo, spread_hi; spread 0 by the atom's
        B(D, F)). That is Berger and Boos 1994 ("P values maximized over a confidence set for
        the nuisance parameter") without their split of alpha: each spread's own interval
        covers at its level when that spread is the truth, so coverage can fall below the
        level only when the truth is outside the set. xi falls as the spread rises, so the
        lower limit is taken at the largest spread in the set and the upper at the smallest
        (spread 0: q ~ Beta(D, F)); on the grid's rows of u. It costs two more rounds of
        draws. README.md has its coverage beside the posterior's: it holds at the boundary
        and is conservative (up to 0.99) where a few prompts leave the spread open, so it is
        not the default. Berger and Boos's own split (the set at 1 - beta, each spread's
        interval at 1 - alpha + beta, beta = 0.001 as they suggest) would only widen it.
      * desc.interval = SAFERL_BUDGET_INTERVAL_BOUNDARY (0.6.0) repairs the posterior
        interval only where it fails: at the boundary, spread 0, where its misses all lie
        below the truth. When the integrated likelihood ratio of spread 0 against the best
        spread is within the 1 - 2 alpha quantile of chi2_1 (2.71 at 95%: the statistic's
        law at the boundary is 1/2 chi2_0 + 1/2 chi2_1, Self and Liang 1987, "Asymptotic
        properties of maximum likelihood estimators and likelihood ratio tests under
        nonstandard conditions"), the upper end is raised to at least the all-alike
        interval's (q ~ Beta(D, F)); the lower end stays the posterior's. At spread 0 it
        covers when the test keeps spread 0 and the all-alike interval covers; elsewhere it
        holds the posterior interval. One more round of draws, of one beta variate each.
        It is the default from 0.6.0 on, by a rule fixed before its grid ran (fewer of the 36
        cells outside [0.93, 0.97] than the posterior interval, none below 0.92): 3 cells
        outside, all above (0.973-0.979, 90% censored with a real spread), against the
        posterior interval's 5 (0.889-0.927 at spread 0, and 0.977); at most 1.13x as wide
        (medians). README.md has the table.
      * The marginal likelihood sees a prompt only through (D_i, F_i): prompts with the
        same pair are grouped and evaluated once (the work's per-prompt doubles). That
        pays under heavy censoring, where most prompts share a few pairs; with exact token
        counts and light censoring the pairs rarely repeat. The posterior draws are per
        prompt either way, and then cost more than the grid (10^4 prompts: README).
      * saferl_budget_pool keeps the earlier pooled hazard under its own name: with
        a_i = D_i / n_i and b_i = S_i / n_i, q = sum a_i / sum b_i, successes per token at
        risk, each prompt weighing the same. Without censoring 1/q is the mean of T over the
        prompts; with censoring it converges to sum_i p_i / sum_i E[min(T_i, H)] instead, a
        harmonic mean of the rates that leans toward the easy prompts, and its interval (the
        delta method's, the prompt set taken as fixed) covers H / mean_i E[T_i] rarely. The
        horizon for a target xi* is xi* / hazard for a prompt and for a pooled summary.
      * Kaplan-Meier: events at a time are processed before censorings at the same time;
        Greenwood's formula gives the standard error of S(t) (as statsmodels' SurvfuncRight).
      * The regime is decided on xi with the band [balanced_low, balanced_high] of the desc
        (default the paper's [1.5, 2.0]): below is deficient, inside balanced, above ample.

   THE SIMULATOR IS OUR MODEL, NOT THE PAPER'S THEOREM
      P prompts with hazards q_i (log-normal spread around 1/initial_mean_tokens). Each
      iteration samples a group of G rollouts per prompt, T ~ Geometric(q_i) cut at H; a group
      with at least one success and one failure is informative and (GRPO normalises
      advantages, so the step has a roughly fixed size) raises that prompt's xi by
      learning_rate: q_i += learning_rate / H. Groups that are all right or all wrong teach
      nothing. In this model progress per generated token is proportional to
      P_inf(xi) xi / p(xi); for G = 8 it peaks near xi = 1.55. That is a consequence of our
      assumptions; it agrees with, but does not reproduce, the paper's empirical band.

   MEMORY, THREADS, ERRORS
      Nothing here allocates except the *_create conveniences, and they only through the
      allocator in the desc (or SAFERL_MALLOC). Functions that need scratch memory take it
      from the caller and say how much with a *_memory_size function. There is no global
      state: different objects may be used from different threads at once; one object from
      several threads needs your own lock. Bad data returns a negative saferl_result and
      leaves outputs untouched; NaN and infinities are rejected, never propagated.

   REVISION HISTORY
      0.6.2 (2026-12-05)  saferl_budget_set_estimate's fit (scan and grid) costs less, the same
                          bits: the grid's nodes evaluate the marginal likelihood's value
                          alone, without its derivatives; the ln Gamma series at b and a + b
                          once an evaluation, not once a pattern; one log1p where two were
                          called. A test holds the value to the pattern-by-pattern sum of
                          saferl_budget__rising's terms to the bit
      0.6.1 (2026-12-05)  saferl_budget_set_estimate's posterior draws cost about a third:
                          normals by a 128-layer ziggurat instead of Box-Muller, a second
                          logarithm-free squeeze in the gamma sampler, prompts drawn pattern
                          by pattern (shared gamma constants). The same law (tests against
                          closed forms), other bits: estimates move within their Monte Carlo
                          error; results without draws (one prompt, no success) are 0.6.0's
      0.6.0 (2026-12-05)  desc.interval = SAFERL_BUDGET_INTERVAL_BOUNDARY, the default: the
                          posterior interval, its upper end raised to the all-alike interval's
                          when a likelihood-ratio test at the boundary keeps "all prompts
                          alike" (xi and xi_lo are 0.5.0's; xi_hi is 0.5.0's or higher).
                          SAFERL_BUDGET_INTERVAL_POSTERIOR, 0.5.0's default, is now 2: code
                          that names it is unchanged, code that relied on 0 gets the new default;
                          the set summary's upper_raised says whether it raised xi_hi (and
                          method says so); SAFERL_BUDGET_SET_ESTIMAND and SAFERL_BUDGET_POOLED_
                          HAZARD_ESTIMAND name the two estimands of a prompt set; the set
                          summary's interval says which interval xi_lo, xi_hi hold (the
                          posterior's where no spread is fitted, whatever desc asked), and
                          saferl_budget_interval_name names it
      0.5.0 (2026-12-05)  desc.interval = SAFERL_BUDGET_INTERVAL_WIDENED widens the set's
                          interval over the spreads the data do not rule out (the summary's
                          spread_lo, spread_hi); the summary keeps the posterior interval in
                          posterior_lo, posterior_hi; the default's draws and results are
                          0.4.0's
      0.4.0 (2026-12-05)  saferl_budget_set_memory_size takes the prompt count (the scratch
                          holds the likelihood's patterns: prompts with the same successes
                          and failed tokens are evaluated once); desc.spread_prior offers a
                          prior with an atom at spread 0 (SAFERL_BUDGET_SPREAD_ATOM_AND_
                          HALF_CAUCHY), the summary its posterior probability
                          (spread_zero_probability); the default prior and its results are
                          0.3.0's
      0.3.0 (2026-12-05)  saferl_budget_set_estimate integrates the beta law's parameters
                          on a grid under a half-Cauchy prior on the spread (hierarchical
                          Bayes) instead of a normal approximation around their maximum;
                          its scratch grows by SAFERL_BUDGET_SET_GRID_DOUBLES doubles
      0.2.0 (2026-12-04)  saferl_budget_set_estimate: a prompt set's H / mean_i E[T_i] under
                          censoring, by empirical Bayes on a beta-geometric model, with
                          posterior intervals; saferl_budget_pool documented as the pooled
                          hazard it is; desc.draws and desc.seed
      0.1.1 (2026-12-04)  samples_for_success returns in constant time at every p (it never
                          returned for 0 < p < 3e-16); NaN in gives NaN or an error out
                          everywhere (km_survival(NaN) was 1, regime_of(NaN) "ample");
                          restricted_mean and pool check the summaries and steps they are
                          given; the CSV parser skips a UTF-8 byte-order mark
      0.1.0 (2026-11-21)  first release
*/
#ifndef SAFERL_BUDGET_H
#define SAFERL_BUDGET_H

#define SAFERL_BUDGET_VERSION_MAJOR 0
#define SAFERL_BUDGET_VERSION_MINOR 6
#define SAFERL_BUDGET_VERSION_PATCH 2
#define SAFERL_BUDGET_VERSION_STRING "0.6.2"

#if defined(SAFERL_IMPLEMENTATION) && !defined(SAFERL_BUDGET_IMPLEMENTATION)
#define SAFERL_BUDGET_IMPLEMENTATION
#endif

#ifndef SAFERL_BUDGET_API
#  if defined(SAFERL_BUDGET_STATIC) && (defined(__GNUC__) || defined(__clang__))
#    define SAFERL_BUDGET_API static __attribute__((unused)) /* no warning for what you don't call */
#  elif defined(SAFERL_BUDGET_STATIC)
#    define SAFERL_BUDGET_API static
#  else
#    define SAFERL_BUDGET_API extern
#  endif
#endif

/* ==== saferl common block: byte-identical in every saferl header ======================== */
#ifndef SAFERL_COMMON_H
#define SAFERL_COMMON_H
#define SAFERL_COMMON_VERSION 2

#include <stddef.h>
#include <stdint.h>
#include <math.h>

/* Every fallible function returns a saferl_result: 0 success, negative an error (the call
   changed nothing), positive a success with a qualification the caller should read. */
typedef enum saferl_result {
    SAFERL_OK = 0,
    SAFERL_BOUND_ONLY = 1,                 /* done, but the data only bound the quantity */
    SAFERL_ERR_INVALID_ARGUMENT = -1,      /* a value out of its documented range */
    SAFERL_ERR_OUT_OF_MEMORY = -2,
    SAFERL_ERR_BUFFER_TOO_SMALL = -3,      /* the caller's buffer is smaller than needed */
    SAFERL_ERR_NOT_FINITE = -4,            /* NaN or infinity in the input */
    SAFERL_ERR_PARSE = -5,                 /* malformed text; the parser says line and column */
    SAFERL_ERR_NO_DATA = -6,               /* nothing to estimate from */
    SAFERL_ERR_NOT_POSITIVE_DEFINITE = -7,
    SAFERL_ERR_DID_NOT_CONVERGE = -8,
    SAFERL_ERR_UNSUPPORTED = -9,           /* valid, but outside what this code handles */
    SAFERL_ERR_INFEASIBLE = -10,           /* no solution exists (unrealisable, infeasible) */
    SAFERL_ERR_VERSION = -11,              /* a file or buffer of another format version */
    SAFERL_ERR_CORRUPT = -12,              /* a binary buffer that fails its checks */
    SAFERL_ERR_IO = -13                    /* reading or writing a file failed: errno says why */
} saferl_result;

static inline const char *saferl_result_string(saferl_result result) {
    switch (result) {
    case SAFERL_OK: return "ok";
    case SAFERL_BOUND_ONLY: return "only a bound: the data do not determine the value";
    case SAFERL_ERR_INVALID_ARGUMENT: return "invalid argument";
    case SAFERL_ERR_OUT_OF_MEMORY: return "out of memory";
    case SAFERL_ERR_BUFFER_TOO_SMALL: return "buffer too small";
    case SAFERL_ERR_NOT_FINITE: return "NaN or infinity in the input";
    case SAFERL_ERR_PARSE: return "parse error";
    case SAFERL_ERR_NO_DATA: return "no data";
    case SAFERL_ERR_NOT_POSITIVE_DEFINITE: return "matrix not positive definite";
    case SAFERL_ERR_DID_NOT_CONVERGE: return "did not converge";
    case SAFERL_ERR_UNSUPPORTED: return "unsupported";
    case SAFERL_ERR_INFEASIBLE: return "infeasible";
    case SAFERL_ERR_VERSION: return "unsupported format version";
    case SAFERL_ERR_CORRUPT: return "corrupt data";
    case SAFERL_ERR_IO: return "input/output error";
    }
    return "unknown result";
}

/* Memory for the *_create conveniences. All zero means SAFERL_MALLOC / SAFERL_FREE. */
typedef struct saferl_allocator {
    void *(*allocate)(size_t size, void *user_data);
    void (*release)(void *pointer, void *user_data);
    void *user_data;
} saferl_allocator;

/* xoshiro256** (Blackman and Vigna), seeded through splitmix64 from a 32-bit seed so that
   JavaScript can pass it. The integer stream and saferl_rng_uniform are bit-identical on
   every platform; saferl_rng_normal goes through libm and agrees to rounding. */
typedef struct saferl_rng {
    uint64_t s[4];
} saferl_rng;

static inline uint64_t saferl_rng_splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline void saferl_rng_seed(saferl_rng *rng, uint32_t seed) {
    uint64_t state = seed;
    int i;
    for (i = 0; i < 4; ++i) rng->s[i] = saferl_rng_splitmix64(&state);
}

static inline uint64_t saferl_rng_u64(saferl_rng *rng) {
    uint64_t *s = rng->s;
    uint64_t x = s[1] * 5u;
    uint64_t result = ((x << 7) | (x >> 57)) * 9u;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);
    return result;
}

static inline uint32_t saferl_rng_u32(saferl_rng *rng) {
    return (uint32_t)(saferl_rng_u64(rng) >> 32);
}

/* Uniform double in [0, 1) with 53 random bits. */
static inline double saferl_rng_uniform(saferl_rng *rng) {
    return (double)(saferl_rng_u64(rng) >> 11) * (1.0 / 9007199254740992.0);
}

/* Uniform integer in [0, bound), unbiased (Lemire's multiply-and-reject); bound 0 gives 0. */
static inline uint32_t saferl_rng_bounded(saferl_rng *rng, uint32_t bound) {
    uint64_t m;
    uint32_t low;
    if (bound == 0) return 0;
    m = (uint64_t)saferl_rng_u32(rng) * bound;
    low = (uint32_t)m;
    if (low < bound) {
        uint32_t threshold = (uint32_t)(0u - bound) % bound;
        while (low < threshold) {
            m = (uint64_t)saferl_rng_u32(rng) * bound;
            low = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

/* Standard normal by Box-Muller; one value a call, no cached spare, so the state alone
   determines the stream. */
static inline double saferl_rng_normal(saferl_rng *rng) {
    double u1 = 1.0 - saferl_rng_uniform(rng); /* (0, 1]: log stays finite */
    double u2 = saferl_rng_uniform(rng);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586476925 * u2);
}

/* Index i with probability weights[i] / sum(weights). Weights must be finite and >= 0 with
   a positive sum; otherwise returns count (no valid index) and draws nothing. */
static inline size_t saferl_rng_categorical(saferl_rng *rng, const double *weights, size_t count) {
    double total = 0.0, target;
    size_t i, last_positive = count;
    for (i = 0; i < count; ++i) {
        if (!(weights[i] >= 0.0) || weights[i] > 1.7976931348623157e308) return count;
        total += weights[i];
        if (weights[i] > 0.0) last_positive = i;
    }
    if (!(total > 0.0) || total > 1.7976931348623157e308) return count;
    target = saferl_rng_uniform(rng) * total;
    for (i = 0; i < count; ++i) {
        if (weights[i] > 0.0 && target < weights[i]) return i;
        target -= weights[i];
    }
    return last_positive; /* rounding left target just above the last weight */
}

#else
#if SAFERL_COMMON_VERSION != 2
#error "saferl headers of different versions in one translation unit: update them together"
#endif
#endif /* SAFERL_COMMON_H */
/* ==== end of the saferl common block ===================================================== */

#ifdef __cplusplus
extern "C" {
#endif

/* ---- attempts ------------------------------------------------------------------------ */

#define SAFERL_BUDGET_CENSORED (-1) /* tokens value: no correct solution within the horizon */

/* One sampled attempt at a prompt. */
typedef struct saferl_budget_attempt {
    uint32_t prompt;  /* prompt index in [0, prompt_count) */
    int32_t horizon;  /* H: the token budget of this attempt, > 0 */
    int32_t tokens;   /* tokens until the first correct solution, in [1, horizon], or
                         SAFERL_BUDGET_CENSORED when none appeared within the horizon */
} saferl_budget_attempt;

/* SAFERL_OK, or SAFERL_ERR_INVALID_ARGUMENT with *reason (optional) saying what is wrong. */
SAFERL_BUDGET_API saferl_result saferl_budget_check_attempt(const saferl_budget_attempt *attempt,
                                                            const char **reason);

/* ---- CSV: prompt_id,horizon,tokens ---------------------------------------------------- */
/* One row per attempt. An optional first line "prompt_id,horizon,tokens" is a header.
   prompt_id is any text (RFC 4180 quotes allowed); horizon a whole number > 0; tokens a
   whole number in [1, horizon], or empty or -1 for "none within the horizon". Blank lines and
   lines starting with '#' are skipped; CRLF is accepted; a UTF-8 byte-order mark at the start
   is skipped. */

typedef struct saferl_budget_csv_row {
    size_t name_offset;   /* prompt_id: byte offset into the parsed text, inside any quotes; */
    uint32_t name_length; /* its length in bytes. The raw text: a quote inside a quoted name
                             stays doubled (""), and names compare as raw text */
    uint32_t line;        /* 1-based line of the row */
    int32_t horizon;
    int32_t tokens;       /* SAFERL_BUDGET_CENSORED when empty or -1 */
} saferl_budget_csv_row;

typedef struct saferl_budget_csv_error {
    uint32_t line;        /* 1-based */
    uint32_t column;      /* 1-based byte column where the bad field starts */
    saferl_result code;
    const char *reason;   /* static text, e.g. "tokens above the horizon" */
} saferl_budget_csv_error;

/* Parses every line; a bad line is recorded in errors (up to error_capacity; *error_count
   gets the total) and the rest of the text is still checked. Good rows go to rows (up to
   row_capacity; *row_count gets the total, so a call with rows = NULL tells the size).
   Returns SAFERL_OK, SAFERL_ERR_PARSE when any line was bad, SAFERL_ERR_BUFFER_TOO_SMALL
   when rows did not fit (errors take precedence), SAFERL_ERR_NO_DATA when there was no row. */
SAFERL_BUDGET_API saferl_result saferl_budget_csv_parse(const char *text, size_t length,
                                                        saferl_budget_csv_row *rows, size_t row_capacity,
                                                        size_t *row_count,
                                                        saferl_budget_csv_error *errors,
                                                        size_t error_capacity, size_t *error_count);

/* Numbers the distinct prompt_ids 0, 1, ... in order of first appearance and writes one
   attempt per row. work is scratch memory of saferl_budget_index_prompts_memory_size(rows)
   bytes (a hash table); first_row (optional, room for row_count entries) receives, per
   prompt, the index of the row where it first appears, from which its name can be read. */
SAFERL_BUDGET_API size_t saferl_budget_index_prompts_memory_size(size_t row_count);
SAFERL_BUDGET_API saferl_result saferl_budget_index_prompts(const char *text,
                                                            const saferl_budget_csv_row *rows,
                                                            size_t row_count, void *work,
                                                            size_t work_size,
                                                            saferl_budget_attempt *attempts,
                                                            size_t *prompt_count, size_t *first_row);

/* Counting sort of attempts by prompt: sorted receives them prompt by prompt (stable), and
   prompt_start[p] .. prompt_start[p + 1] is prompt p's slice (room for prompt_count + 1). */
SAFERL_BUDGET_API saferl_result saferl_budget_group_by_prompt(const saferl_budget_attempt *attempts,
                                                              size_t count, size_t prompt_count,
                                                              saferl_budget_attempt *sorted,
                                                              size_t *prompt_start);

/* ---- estimators ------------------------------------------------------------------------ */

typedef enum saferl_budget_regime {
    SAFERL_BUDGET_DEFICIENT = 0, /* xi below the band: informative rollouts are rare */
    SAFERL_BUDGET_BALANCED = 1,  /* xi inside the band: the paper's most efficient */
    SAFERL_BUDGET_AMPLE = 2,     /* xi above the band: stable, diminishing gains */
    SAFERL_BUDGET_UNDETERMINED = -1 /* xi NaN (or a bad band): no regime */
} saferl_budget_regime;

/* The prior of the spread of the prompts' hazards in saferl_budget_set_estimate (see
   STATISTICAL CHOICES). */
typedef enum saferl_budget_spread_prior {
    SAFERL_BUDGET_SPREAD_HALF_CAUCHY = 0,         /* half-Cauchy with scale 1 (the default) */
    SAFERL_BUDGET_SPREAD_ATOM_AND_HALF_CAUCHY = 1 /* probability 1/2 that all prompts are alike
                                                     (spread 0), else that half-Cauchy */
} saferl_budget_spread_prior;

typedef enum saferl_budget_interval {
    SAFERL_BUDGET_INTERVAL_BOUNDARY = 0,  /* the posterior interval, its upper end raised to the
                                             all-alike interval's when a test at the boundary
                                             does not reject "all prompts alike" (the default,
                                             0.6.0 on; the set summary's upper_raised says
                                             when it was) */
    SAFERL_BUDGET_INTERVAL_WIDENED = 1,   /* also the posterior interval widened over the spreads
                                             the data do not rule out; two more rounds of draws */
    SAFERL_BUDGET_INTERVAL_POSTERIOR = 2  /* the posterior quantiles alone (the default before
                                             0.6.0, when its value was 0) */
} saferl_budget_interval;

typedef struct saferl_budget_desc {
    double confidence;    /* two-sided interval level in (0, 1); 0 -> 0.95 */
    double balanced_low;  /* lower edge of the balanced band; 0 -> 1.5 (the paper's) */
    double balanced_high; /* upper edge; 0 -> 2.0 */
    double horizon;       /* reference horizon H of xi; 0 -> the largest among the attempts */
    uint32_t draws;       /* posterior draws behind saferl_budget_set_estimate's interval;
                             0 -> 2000 (Monte-Carlo error of the 95% limits: about 0.5% of
                             coverage) */
    uint32_t seed;        /* of those draws; 0 is a seed like any other */
    saferl_budget_spread_prior spread_prior; /* of saferl_budget_set_estimate; 0 ->
                             SAFERL_BUDGET_SPREAD_HALF_CAUCHY */
    saferl_budget_interval interval; /* of saferl_budget_set_estimate: which interval xi_lo,
                             xi_hi hold; 0 -> SAFERL_BUDGET_INTERVAL_BOUNDARY */
} saferl_budget_desc;

/* The desc with every zero field replaced by its default. */
SAFERL_BUDGET_API saferl_budget_desc saferl_budget_desc_defaults(const saferl_budget_desc *desc);

typedef struct saferl_budget_summary {
    size_t attempts;          /* n */
    size_t successes;         /* D: attempts solved within their horizon */
    size_t prompts;           /* 1 for a prompt, P for a pooled summary */
    double horizon;           /* H of xi */
    double exposure;          /* S: tokens at risk, sum of min(T_i, H_i) (pooled: sum) */
    double success_tokens;    /* sum of T_i over the successes (for pooling) */
    double exposure_squares;  /* sum of min(T_i, H_i)^2 (for pooling) */
    double hazard;            /* q^ = xi / H, the per-token success probability */
    double hazard_lo, hazard_hi;
    double mean_tokens;       /* E[T]^ = 1 / q^  (INFINITY when D == 0) */
    double mean_tokens_se;    /* by the observed information (INFINITY when D == 0) */
    double mean_tokens_lo, mean_tokens_hi;
    double xi;                /* H / E[T]^ */
    double xi_lo, xi_hi;      /* interval at desc.confidence */
    int xi_is_upper_bound;    /* 1: no success, the data only bound xi from above (xi_hi) */
    saferl_budget_regime regime;      /* of xi */
    int regime_is_certain;    /* 1 when the whole interval lies in that regime */
    double success_rate;      /* p: fraction of attempts solved within their horizon */
    double reward_variance;   /* p (1 - p): the variance of the 0/1 reward */
    double model_success_probability; /* 1 - (1 - q^)^H: p(H) under the geometric fit */
    double markov_success_lower_bound;/* max(0, 1 - 1/xi): p(H) >= this for any T */
} saferl_budget_summary;

/* Summary of one prompt's attempts (the prompt field is not looked at: pass a slice, or
   pass a whole set to treat it as one prompt). Returns SAFERL_OK, SAFERL_BOUND_ONLY when
   no attempt succeeded, or a negative error (an invalid attempt, n == 0, a bad desc). */
SAFERL_BUDGET_API saferl_result saferl_budget_summarize(const saferl_budget_attempt *attempts,
                                                        size_t count,
                                                        const saferl_budget_desc *desc,
                                                        saferl_budget_summary *summary);

/* The names of the two quantities estimated for a prompt set, for reports to label them
   alike: the pooled hazard's (saferl_budget_pool) and the set's (saferl_budget_set_estimate). */
#define SAFERL_BUDGET_POOLED_HAZARD_ESTIMAND "H sum_i(D_i/n_i) / sum_i(S_i/n_i)"
#define SAFERL_BUDGET_SET_ESTIMAND "H / mean_i E[T_i]"

/* The pooled hazard of a prompt set: successes per token at risk, each prompt weighing the
   same, q = sum_i (D_i / n_i) / sum_i (S_i / n_i), with xi = H q. Under censoring this is
   NOT H / mean_i E[T_i]: it converges to H sum_i p_i / sum_i E[min(T_i, H)], which leans
   toward the easy prompts (see STATISTICAL CHOICES); saferl_budget_set_estimate estimates the
   set's H / mean_i E[T_i]. Takes per-prompt summaries made by saferl_budget_summarize with
   the same desc. Pooled fields: success_rate, reward_variance and model_success_probability
   are means over prompts; mean_tokens is 1 / hazard. One prompt pools to its own summary.
   SAFERL_BOUND_ONLY when no prompt had a success. */
SAFERL_BUDGET_API saferl_result saferl_budget_pool(const saferl_budget_summary *per_prompt,
                                                   size_t prompt_count,
                                                   const saferl_budget_desc *desc,
                                                   saferl_budget_summary *pooled);

/* The prompt set's relative budget  xi = H / mean_i E[T_i]  (E[T_i] = 1 / q_i), with an
   interval, by hierarchical Bayes on a beta-geometric model (see STATISTICAL CHOICES). */
typedef struct saferl_budget_set_summary {
    size_t prompts;           /* P */
    size_t attempts;          /* over all prompts */
    size_t successes;
    size_t unsolved_prompts;  /* prompts without a success: the data bound their E[T_i] only
                                 from below; their values here are the fitted model's
                                 extrapolation (extrapolated = 1) */
    int extrapolated;
    const char *method;       /* static text: how the numbers were obtained */
    double horizon;           /* H of xi */
    double prior_a, prior_b;  /* the law q_i ~ Beta(a, b) at the marginal likelihood's maximum
                                 (0 when none was fitted); the interval integrates over a, b */
    double spread;            /* sd of ln E[T_i] across prompts under that law, sqrt(trigamma(a)) */
    double log_likelihood;    /* marginal log-likelihood at the fit */
    double spread_zero_probability; /* posterior probability that all prompts are alike
                                 under SAFERL_BUDGET_SPREAD_ATOM_AND_HALF_CAUCHY (0 under
                                 the half-Cauchy alone, and where no spread is fitted) */
    double mean_tokens;       /* mean_i E[T_i]: the posterior median */
    double mean_tokens_lo, mean_tokens_hi;
    double xi;                /* H / mean_tokens */
    double xi_lo, xi_hi;      /* interval at desc.confidence: by default
                                 (SAFERL_BUDGET_INTERVAL_BOUNDARY) the posterior's with xi_hi
                                 raised where "all alike" is not rejected; the widened one or
                                 the posterior's alone as desc.interval asks */
    saferl_budget_interval interval; /* the interval xi_lo, xi_hi hold: desc.interval, or
                                 SAFERL_BUDGET_INTERVAL_POSTERIOR where no spread is fitted
                                 (one prompt, no success, every attempt solved at its first
                                 token: the exact interval, which nothing widens or raises) */
    double posterior_lo, posterior_hi; /* the posterior quantiles */
    double spread_lo, spread_hi; /* SAFERL_BUDGET_INTERVAL_WIDENED: the spreads the data do
                                 not rule out at desc.confidence (integrated likelihood
                                 ratio), over which the posterior interval was widened
                                 (Berger and Boos 1994); otherwise, and where no spread is
                                 fitted, 0 and 0 */
    int xi_is_upper_bound;    /* 1: no success anywhere, xi only bounded from above (xi_hi) */
    int upper_raised;         /* 1: SAFERL_BUDGET_INTERVAL_BOUNDARY raised xi_hi above
                                 posterior_hi to the all-alike interval's ("all prompts
                                 alike" not rejected, and its upper end the higher); 0
                                 otherwise, and always under the other intervals */
    saferl_budget_regime regime;
    int regime_is_certain;    /* 1 when the whole interval lies in that regime */
} saferl_budget_set_summary;

/* Scratch bytes for saferl_budget_set_estimate on prompt_count prompts: one double per
   posterior draw, SAFERL_BUDGET_SET_GRID_DOUBLES for the hyperparameters' grid and
   SAFERL_BUDGET_SET_PROMPT_DOUBLES per prompt (the likelihood's patterns); 0 when that does
   not fit in a size_t. */
#define SAFERL_BUDGET_SET_GRID_DOUBLES 1024
#define SAFERL_BUDGET_SET_PROMPT_DOUBLES 6
SAFERL_BUDGET_API size_t saferl_budget_set_memory_size(const saferl_budget_desc *desc, size_t prompt_count);
/* From per-prompt summaries made by saferl_budget_summarize (with the same desc). Returns
   SAFERL_OK, SAFERL_BOUND_ONLY when no prompt had a success, or a negative error (the
   output untouched). Deterministic from desc.seed; never allocates; O(K (fit iterations +
   about 1500 grid evaluations) + P draws), K <= P the distinct (successes, failed tokens)
   pairs among the prompts. */
SAFERL_BUDGET_API saferl_result saferl_budget_set_estimate(const saferl_budget_summary *per_prompt,
                                                           size_t prompt_count,
                                                           const saferl_budget_desc *desc, void *work,
                                                           size_t work_size, saferl_budget_set_summary *set);

/* Interval for a binomial proportion of successes out of trials, as the summaries use it:
   Clopper-Pearson when successes < 100, Wilson from 100 on. */
SAFERL_BUDGET_API saferl_result saferl_budget_proportion_interval(double successes, double trials,
                                                                  double confidence, double *lo,
                                                                  double *hi);

/* Kaplan-Meier estimate of S(t) = P(T > t) at the distinct event times. */
typedef struct saferl_budget_km_step {
    double time;          /* an event time t_j */
    double at_risk;       /* n_j: attempts with min(T, H) >= t_j */
    double events;        /* d_j: successes at t_j */
    double survival;      /* S(t_j) */
    double survival_se;   /* Greenwood: S(t_j) sqrt(sum_{i<=j} d_i / (n_i (n_i - d_i))); 0
                             where S reaches 0 (statsmodels reports NaN there) */
} saferl_budget_km_step;

/* Scratch bytes for saferl_budget_kaplan_meier on these attempts (two counters per token
   position up to the largest horizon); 0 when an attempt is invalid. */
SAFERL_BUDGET_API size_t saferl_budget_kaplan_meier_memory_size(const saferl_budget_attempt *attempts,
                                                                size_t count);
/* Writes up to step_capacity steps; *step_count gets the number of distinct event times
   (SAFERL_ERR_BUFFER_TOO_SMALL when more than the capacity; min(count, max horizon) always
   suffices). O(count + max horizon), no sorting. */
SAFERL_BUDGET_API saferl_result saferl_budget_kaplan_meier(const saferl_budget_attempt *attempts,
                                                           size_t count, void *work, size_t work_size,
                                                           saferl_budget_km_step *steps,
                                                           size_t step_capacity, size_t *step_count);
/* S(t) from the steps (a right-continuous step function, 1 before the first event); NaN
   for t NaN. */
SAFERL_BUDGET_API double saferl_budget_km_survival(const saferl_budget_km_step *steps, size_t step_count,
                                                   double t);
/* Restricted mean  integral_0^tau S(u) du = E[min(T, tau)] for integer-valued T, and its
   standard error (the usual Greenwood-type formula); se may be NULL. Steps that are not
   finite, or not as saferl_budget_kaplan_meier makes them (times rising, S falling in
   [0, 1], events <= at risk), are refused. */
SAFERL_BUDGET_API saferl_result saferl_budget_km_restricted_mean(const saferl_budget_km_step *steps,
                                                                 size_t step_count, double tau,
                                                                 double *mean, double *se);

/* ---- theory helpers (pure functions; NaN for arguments out of range) ------------------ */

SAFERL_BUDGET_API double saferl_budget_reward_variance(double p);             /* p (1 - p) */
/* P(a group of G rollouts has a success and a failure) = 1 - p^G - (1 - p)^G. */
SAFERL_BUDGET_API double saferl_budget_informative_probability(double p, int group_size);
/* Its unbiased estimate from n rollouts with c successes, n >= G:
   1 - C(c, G)/C(n, G) - C(n - c, G)/C(n, G), as products. */
SAFERL_BUDGET_API double saferl_budget_informative_estimate(int n, int c, int group_size);
/* Unbiased pass@k (Chen et al. 2021): 1 - C(n - c, k)/C(n, k) in the stable product form. */
SAFERL_BUDGET_API double saferl_budget_pass_at_k(int n, int c, int k);
/* Unbiased pass^k, all of k succeed: C(c, k)/C(n, k). */
SAFERL_BUDGET_API double saferl_budget_pass_all_k(int n, int c, int k);
/* Smallest number of independent samples with P(at least one success) >= 1 - delta:
   ceil(ln delta / ln(1 - p)), exact up to 2^53 samples. Above 2^53 (p below about 4e-16
   ln(1/delta)) it is the closed form to double rounding; when even that exceeds the largest
   double (p below about 1e-308) it is +infinity, read "more than 1.8e308". p = 0: infinity
   (no number suffices). NaN for p outside [0, 1] or delta outside (0, 1). Constant time. */
SAFERL_BUDGET_API double saferl_budget_samples_for_success(double p, double delta);
/* p(H) = 1 - (1 - q)^H for T geometric with hazard q. */
SAFERL_BUDGET_API double saferl_budget_geometric_success_probability(double hazard, double horizon);
/* Memoryless inversion xi = -ln(1 - p) and its converse p = 1 - exp(-xi). */
SAFERL_BUDGET_API double saferl_budget_xi_from_success_probability(double p);
SAFERL_BUDGET_API double saferl_budget_success_probability_from_xi(double xi);
/* Markov: P(T > H) <= E[T]/H, so p(H) >= max(0, 1 - 1/xi) whatever T's law. */
SAFERL_BUDGET_API double saferl_budget_markov_success_lower_bound(double xi);
SAFERL_BUDGET_API saferl_budget_regime saferl_budget_regime_of(double xi, const saferl_budget_desc *desc);
SAFERL_BUDGET_API const char *saferl_budget_regime_name(saferl_budget_regime regime);
/* "boundary", "widened" or "posterior" (the words of budget_report's --interval). */
SAFERL_BUDGET_API const char *saferl_budget_interval_name(saferl_budget_interval interval);
/* Horizon that gives a summary (of a prompt or pooled) the relative budget target_xi, under
   the geometric model: target_xi / hazard. INFINITY when the hazard is 0. */
SAFERL_BUDGET_API double saferl_budget_horizon_for_xi(const saferl_budget_summary *summary,
                                                      double target_xi);

/* Laws of T for what-if curves: p(H) and E[T] of a model. */
typedef enum saferl_budget_tokens_law {
    SAFERL_BUDGET_GEOMETRIC = 0, /* hazard 1 / mean_tokens */
    SAFERL_BUDGET_LOGNORMAL = 1  /* ln T ~ N(m, log_sigma^2) with E[T] = mean_tokens */
} saferl_budget_tokens_law;

typedef struct saferl_budget_tokens_model {
    saferl_budget_tokens_law law;
    double mean_tokens; /* E[T] >= 1 */
    double log_sigma;   /* log-normal only, > 0 */
} saferl_budget_tokens_model;

/* p(H) = P(T <= H) under the model; NaN when the model is invalid. */
SAFERL_BUDGET_API double saferl_budget_model_success_probability(const saferl_budget_tokens_model *model,
                                                                 double horizon);

/* ---- learning-progress simulator (our idealized model; see the notes at the top) ------ */

typedef struct saferl_budget_sim_desc {
    uint32_t prompts;            /* P; 0 -> 64 */
    uint32_t group_size;         /* G rollouts per prompt and iteration; 0 -> 8 */
    double horizon;              /* H tokens; 0 -> 1024 */
    double initial_mean_tokens;  /* geometric mean of the prompts' initial E[T]; 0 -> 2048 */
    double prompt_spread;        /* sd of ln E[T] across prompts; 0 -> 0 (all alike) */
    double learning_rate;        /* xi gained by a prompt per informative group; 0 -> 0.05 */
    uint32_t seed;               /* 0 is a seed like any other */
    saferl_allocator allocator;  /* for saferl_budget_sim_create; zero -> SAFERL_MALLOC */
} saferl_budget_sim_desc;

typedef struct saferl_budget_sim {
    saferl_budget_sim_desc desc; /* with defaults filled in */
    double *hazard;              /* q_i, P entries in the caller's memory */
    saferl_rng rng;
    uint32_t iteration;
    double tokens_generated;     /* over all iterations */
    void *owned_memory;          /* set by saferl_budget_sim_create, released by _destroy */
} saferl_budget_sim;

typedef struct saferl_budget_sim_iteration {
    uint32_t iteration;          /* 1-based */
    double mean_xi;              /* mean of H q_i after the update */
    double informative_fraction; /* informative groups / P */
    double success_rate;         /* successes / (P G) */
    double tokens;               /* generated this iteration: sum of min(T, H) */
    double xi_gain;              /* mean_xi after minus before */
} saferl_budget_sim_iteration;

SAFERL_BUDGET_API saferl_budget_sim_desc saferl_budget_sim_desc_defaults(const saferl_budget_sim_desc *desc);
SAFERL_BUDGET_API size_t saferl_budget_sim_memory_size(const saferl_budget_sim_desc *desc);
SAFERL_BUDGET_API saferl_result saferl_budget_sim_init(saferl_budget_sim *sim,
                                                       const saferl_budget_sim_desc *desc,
                                                       void *memory, size_t memory_size);
/* The same on memory from desc.allocator (or SAFERL_MALLOC); destroy releases it. */
SAFERL_BUDGET_API saferl_result saferl_budget_sim_create(saferl_budget_sim *sim,
                                                         const saferl_budget_sim_desc *desc);
SAFERL_BUDGET_API void saferl_budget_sim_destroy(saferl_budget_sim *sim);
/* One iteration; never allocates. out may be NULL. */
SAFERL_BUDGET_API saferl_result saferl_budget_sim_step(saferl_budget_sim *sim,
                                                       saferl_budget_sim_iteration *out);
/* Tokens until the first success for T ~ Geometric(hazard) on {1, 2, ...}, by inversion
   (one uniform draw); for what-if data. hazard in (0, 1]; otherwise NaN, and no draw. */
SAFERL_BUDGET_API double saferl_budget_sample_geometric(saferl_rng *rng, double hazard);
/* Relative progress per generated token in the model: P_inf(p(xi), G) xi / p(xi). */
SAFERL_BUDGET_API double saferl_budget_sim_progress_per_token(double xi, int group_size);

/* ---- conveniences ---------------------------------------------------------------------- */

SAFERL_BUDGET_API const char *saferl_budget_version(void);

#ifdef __cplusplus
}
#endif
#endif /* SAFERL_BUDGET_H */

/* ======================================================================================== */
/*                                    IMPLEMENTATION                                        */
/* ======================================================================================== */
#ifdef SAFERL_BUDGET_IMPLEMENTATION
#ifndef SAFERL_BUDGET_IMPLEMENTATION_ONCE
#define SAFERL_BUDGET_IMPLEMENTATION_ONCE

#include <string.h>

#ifndef SAFERL_ASSERT
#include <assert.h>
#define SAFERL_ASSERT(x) assert(x)
#endif
#if defined(SAFERL_MALLOC) != defined(SAFERL_FREE)
#error "define both SAFERL_MALLOC and SAFERL_FREE, or neither"
#endif
#ifndef SAFERL_MALLOC
#include <stdlib.h>
#define SAFERL_MALLOC(size, ctx) ((void)(ctx), malloc(size))
#define SAFERL_FREE(pointer, ctx) ((void)(ctx), free(pointer))
#endif

#define SAFERL_BUDGET__INF HUGE_VAL /* +infinity on IEEE 754, which C99's Annex F gives */
#define SAFERL_BUDGET__DOUBLE_MAX 1.7976931348623157e308
#define SAFERL_BUDGET__EXACT_INTEGERS 9007199254740992.0 /* 2^53: every integer below is a double */

static int saferl_budget__is_finite(double x) {
    return x == x && x <= SAFERL_BUDGET__DOUBLE_MAX && x >= -SAFERL_BUDGET__DOUBLE_MAX;
}

static double saferl_budget__nan(void) {
    volatile double zero = 0.0;
    return zero / zero;
}

SAFERL_BUDGET_API const char *saferl_budget_version(void) { return SAFERL_BUDGET_VERSION_STRING; }

/* ---- attempts ------------------------------------------------------------------------ */

SAFERL_BUDGET_API saferl_result saferl_budget_check_attempt(const saferl_budget_attempt *attempt,
                                                            const char **reason) {
    const char *why = NULL;
    SAFERL_ASSERT(attempt != NULL);
    if (attempt->horizon <= 0) why = "horizon must be positive";
    else if (attempt->tokens == SAFERL_BUDGET_CENSORED) why = NULL;
    else if (attempt->tokens < 0) why = "negative tokens";
    else if (attempt->tokens == 0) why = "tokens must be at least 1 (empty or -1: no solution)";
    else if (attempt->tokens > attempt->horizon) why = "tokens above the horizon";
    if (reason) *reason = why;
    return why ? SAFERL_ERR_INVALID_ARGUMENT : SAFERL_OK;
}

/* ---- CSV ------------------------------------------------------------------------------- */

typedef struct saferl_budget__field {
    size_t begin, end;  /* content, without surrounding blanks or quotes */
    size_t start;       /* where the field starts in the line, for the column */
} saferl_budget__field;

static int saferl_budget__is_blank(char c) { return c == ' ' || c == '\t'; }

/* Splits one line [begin, end) into at most max_fields fields; returns the number of fields
   found (more than max_fields means "too many"), or -1 for an unterminated quote. */
static int saferl_budget__split_line(const char *text, size_t begin, size_t end,
                                     saferl_budget__field *fields, int max_fields) {
    size_t i = begin;
    int count = 0;
    for (;;) {
        saferl_budget__field field;
        field.start = i;
        while (i < end && saferl_budget__is_blank(text[i])) ++i;
        if (i < end && text[i] == '"') {
            field.begin = ++i;
            for (;;) {
                if (i >= end) return -1;
                if (text[i] == '"') {
                    if (i + 1 < end && text[i + 1] == '"') { i += 2; continue; }
                    break;
                }
                ++i;
            }
            field.end = i++;
            while (i < end && saferl_budget__is_blank(text[i])) ++i;
            if (i < end && text[i] != ',') return -1; /* text after the closing quote */
        } else {
            field.begin = i;
            while (i < end && text[i] != ',') ++i;
            field.end = i;
            while (field.end > field.begin && saferl_budget__is_blank(text[field.end - 1])) --field.end;
        }
        if (count < max_fields) fields[count] = field;
        ++count;
        if (i >= end) return count;
        ++i; /* the comma */
    }
}

static int saferl_budget__field_is(const char *text, const saferl_budget__field *f, const char *word) {
    size_t n = strlen(word);
    return f->end - f->begin == n && memcmp(text + f->begin, word, n) == 0;
}

/* Parses a whole number into *value; returns NULL or the reason it is not one. */
static const char *saferl_budget__parse_int(const char *text, const saferl_budget__field *f,
                                            int32_t *value, saferl_result *code) {
    size_t i = f->begin;
    int negative = 0;
    int64_t v = 0;
    *code = SAFERL_ERR_PARSE;
    if (i < f->end && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
    if (i == f->end) return "not a number";
    for (; i < f->end; ++i) {
        char c = text[i];
        if (c < '0' || c > '9') {
            size_t k = f->begin;
            char word[4] = {0, 0, 0, 0};
            int w = 0;
            if (text[k] == '-' || text[k] == '+') ++k;
            for (; k < f->end && w < 4; ++k, ++w) word[w] = (char)(text[k] | 0x20);
            if (f->end - f->begin <= 9 && ((w == 3 && memcmp(word, "nan", 3) == 0) ||
                                           (w >= 3 && memcmp(word, "inf", 3) == 0))) {
                *code = SAFERL_ERR_NOT_FINITE;
                return "NaN or infinity where a whole number belongs";
            }
            if (c == '.' || c == 'e' || c == 'E') return "not a whole number";
            return "not a number";
        }
        v = v * 10 + (c - '0');
        if (v > 2147483647) return "number too large";
    }
    *value = (int32_t)(negative ? -v : v);
    return NULL;
}

SAFERL_BUDGET_API saferl_result saferl_budget_csv_parse(const char *text, size_t length,
                                                        saferl_budget_csv_row *rows, size_t row_capacity,
                                                        size_t *row_count,
                                                        saferl_budget_csv_error *errors,
                                                        size_t error_capacity, size_t *error_count) {
    size_t position = 0, good = 0, bad = 0;
    uint32_t line = 0;
    int seen_content = 0;
    SAFERL_ASSERT(row_count != NULL && error_count != NULL);
    SAFERL_ASSERT(text != NULL || length == 0);
    /* a UTF-8 byte-order mark (spreadsheets write one) is not part of the first prompt_id;
       columns on line 1 count from after it */
    if (length >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) position = 3;
    while (position < length) {
        size_t begin = position, end = position, k;
        saferl_budget__field fields[3];
        int field_count;
        const char *reason = NULL;
        size_t reason_at = begin;
        saferl_result code = SAFERL_ERR_PARSE;
        saferl_budget_csv_row row;
        while (end < length && text[end] != '\n') ++end;
        position = end < length ? end + 1 : end;
        ++line;
        if (end > begin && text[end - 1] == '\r') --end;
        k = begin;
        while (k < end && saferl_budget__is_blank(text[k])) ++k;
        if (k == end || text[k] == '#') continue;

        field_count = saferl_budget__split_line(text, begin, end, fields, 3);
        if (!seen_content) {
            seen_content = 1;
            if (field_count == 3 && saferl_budget__field_is(text, &fields[0], "prompt_id") &&
                saferl_budget__field_is(text, &fields[1], "horizon") &&
                saferl_budget__field_is(text, &fields[2], "tokens"))
                continue;
        }
        if (field_count < 0) {
            reason = "unterminated or misplaced quote in prompt_id";
        } else if (field_count != 3) {
            reason = "expected 3 fields: prompt_id,horizon,tokens";
        } else if (fields[0].end == fields[0].begin) {
            reason = "empty prompt_id";
        } else if (fields[0].end - fields[0].begin > 0xFFFFFFFFu) {
            reason = "prompt_id too long";
        } else {
            reason_at = fields[1].start;
            reason = saferl_budget__parse_int(text, &fields[1], &row.horizon, &code);
            if (!reason && row.horizon <= 0) {
                reason = "horizon must be positive";
                code = SAFERL_ERR_INVALID_ARGUMENT;
            }
            if (!reason) {
                reason_at = fields[2].start;
                if (fields[2].end == fields[2].begin) {
                    row.tokens = SAFERL_BUDGET_CENSORED;
                } else {
                    reason = saferl_budget__parse_int(text, &fields[2], &row.tokens, &code);
                }
                if (!reason) {
                    saferl_budget_attempt attempt;
                    attempt.prompt = 0;
                    attempt.horizon = row.horizon;
                    attempt.tokens = row.tokens;
                    if (saferl_budget_check_attempt(&attempt, &reason) != SAFERL_OK)
                        code = SAFERL_ERR_INVALID_ARGUMENT;
                }
            }
        }
        if (reason) {
            if (bad < error_capacity && errors) {
                errors[bad].line = line;
                errors[bad].column = (uint32_t)(reason_at - begin + 1);
                errors[bad].code = code;
                errors[bad].reason = reason;
            }
            ++bad;
            continue;
        }
        row.name_offset = fields[0].begin;
        row.name_length = (uint32_t)(fields[0].end - fields[0].begin);
        row.line = line;
        if (good < row_capacity && rows) rows[good] = row;
        ++good;
    }
    *row_count = good;
    *error_count = bad;
    if (bad) return SAFERL_ERR_PARSE;
    if (good > row_capacity || (good && !rows)) return SAFERL_ERR_BUFFER_TOO_SMALL;
    if (!good) return SAFERL_ERR_NO_DATA;
    return SAFERL_OK;
}

static size_t saferl_budget__table_slots(size_t row_count) {
    size_t slots = 16;
    while (slots < 2 * row_count) {
        if (slots > (size_t)-1 / 4 / sizeof(size_t)) return 0;
        slots *= 2;
    }
    return slots;
}

SAFERL_BUDGET_API size_t saferl_budget_index_prompts_memory_size(size_t row_count) {
    return saferl_budget__table_slots(row_count) * sizeof(size_t);
}

static uint64_t saferl_budget__hash(const char *bytes, size_t length) {
    uint64_t h = 0xCBF29CE484222325ull; /* FNV-1a */
    size_t i;
    for (i = 0; i < length; ++i) h = (h ^ (unsigned char)bytes[i]) * 0x100000001B3ull;
    return h;
}

SAFERL_BUDGET_API saferl_result saferl_budget_index_prompts(const char *text,
                                                            const saferl_budget_csv_row *rows,
                                                            size_t row_count, void *work,
                                                            size_t work_size,
                                                            saferl_budget_attempt *attempts,
                                                            size_t *prompt_count, size_t *first_row) {
    size_t slots = saferl_budget__table_slots(row_count), i, prompts = 0;
    size_t *table = (size_t *)work; /* row index + 1 of a prompt's first row; 0 = empty */
    SAFERL_ASSERT(prompt_count != NULL && (rows != NULL || row_count == 0));
    if (!slots || work_size < slots * sizeof(size_t) || !work) return SAFERL_ERR_BUFFER_TOO_SMALL;
    if (row_count > 0xFFFFFFFFu) return SAFERL_ERR_UNSUPPORTED; /* prompt indices are 32-bit */
    memset(table, 0, slots * sizeof(size_t));
    for (i = 0; i < row_count; ++i) {
        const char *name = text + rows[i].name_offset;
        size_t slot = (size_t)saferl_budget__hash(name, rows[i].name_length) & (slots - 1);
        uint32_t prompt;
        for (;;) {
            size_t first = table[slot];
            if (first == 0) {
                table[slot] = i + 1;
                if (first_row) first_row[prompts] = i;
                prompt = (uint32_t)prompts++;
                break;
            }
            if (rows[first - 1].name_length == rows[i].name_length &&
                memcmp(text + rows[first - 1].name_offset, name, rows[i].name_length) == 0) {
                prompt = attempts[first - 1].prompt;
                break;
            }
            slot = (slot + 1) & (slots - 1);
        }
        attempts[i].prompt = prompt;
        attempts[i].horizon = rows[i].horizon;
        attempts[i].tokens = rows[i].tokens;
    }
    *prompt_count = prompts;
    return SAFERL_OK;
}

SAFERL_BUDGET_API saferl_result saferl_budget_group_by_prompt(const saferl_budget_attempt *attempts,
                                                              size_t count, size_t prompt_count,
                                                              saferl_budget_attempt *sorted,
                                                              size_t *prompt_start) {
    size_t i, p;
    SAFERL_ASSERT((attempts != NULL && sorted != NULL) || count == 0);
    SAFERL_ASSERT(prompt_start != NULL);
    for (i = 0; i < count; ++i)
        if (attempts[i].prompt >= prompt_count) return SAFERL_ERR_INVALID_ARGUMENT;
    for (p = 0; p <= prompt_count; ++p) prompt_start[p] = 0;
    for (i = 0; i < count; ++i) ++prompt_start[attempts[i].prompt + 1];
    for (p = 0; p < prompt_count; ++p) prompt_start[p + 1] += prompt_start[p];
    for (i = 0; i < count; ++i) sorted[prompt_start[attempts[i].prompt]++] = attempts[i];
    /* each start now holds the next prompt's start: shift back by one */
    for (p = prompt_count; p > 0; --p) prompt_start[p] = prompt_start[p - 1];
    prompt_start[0] = 0;
    return SAFERL_OK;
}

/* ---- intervals ------------------------------------------------------------------------- */

/* Inverse of the standard normal CDF: Acklam's rational approximation, then one Halley step
   on erfc, which brings it to about 1e-15. */
static double saferl_budget__normal_quantile(double p) {
    static const double a[6] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                                1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[5] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                                6.680131188771972e+01, -1.328068155288572e+01};
    static const double c[6] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                                -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00};
    static const double d[4] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                                3.754408661907416e+00};
    double q, r, x, e, u;
    if (p < 0.02425) {
        q = sqrt(-2.0 * log(p));
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
    } else if (p > 1.0 - 0.02425) {
        q = sqrt(-2.0 * log(1.0 - p));
        x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
    } else {
        q = p - 0.5;
        r = q * q;
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
    }
    e = 0.5 * erfc(-x / 1.4142135623730950488) - p;
    u = e * 2.5066282746310005024 * exp(x * x / 2.0);
    return x - u / (1.0 + x * u / 2.0);
}

/* P(X <= k) for X ~ Binomial(trials, q), k < trials and small (the sum has k + 1 terms);
   *last gets the last term, P(X = k), from which the derivative in q follows. */
static double saferl_budget__binomial_cdf(double k, double trials, double q, double *last) {
    double term, ratio, sum, j;
    if (q <= 0.0) { *last = k == 0.0 ? 1.0 : 0.0; return 1.0; }
    if (q >= 1.0) { *last = 0.0; return 0.0; }
    term = exp(trials * log1p(-q));
    ratio = q / (1.0 - q);
    sum = term;
    for (j = 0.0; j < k; j += 1.0) {
        term *= (trials - j) / (j + 1.0) * ratio;
        sum += term;
    }
    *last = term;
    return sum < 1.0 ? sum : 1.0;
}

/* The q where P(X <= k | q) = target. The CDF falls as q grows, with derivative
   -(trials - k) P(X = k) / (1 - q): Newton from the guess, kept inside a shrinking bracket. */
static double saferl_budget__binomial_cdf_root(double k, double trials, double target, double guess) {
    double lo = 0.0, hi = 1.0, q = guess > 0.0 && guess < 1.0 ? guess : 0.5;
    int i;
    for (i = 0; i < 200; ++i) {
        double last, f = saferl_budget__binomial_cdf(k, trials, q, &last) - target, next;
        if (f > 0.0) lo = q;
        else hi = q;
        if (fabs(f) <= 1e-15 * target || hi - lo <= 1e-17 * hi) break;
        next = q + f * (1.0 - q) / ((trials - k) * last);
        if (!(next > lo && next < hi)) next = 0.5 * (lo + hi); /* Newton left the bracket */
        if (fabs(next - q) <= 1e-16 * q) break;
        q = next;
    }
    return q;
}

SAFERL_BUDGET_API saferl_result saferl_budget_proportion_interval(double successes, double trials,
                                                                  double confidence, double *lo,
                                                                  double *hi) {
    double alpha = 1.0 - confidence, low, high;
    SAFERL_ASSERT(lo != NULL && hi != NULL);
    if (!saferl_budget__is_finite(successes) || !saferl_budget__is_finite(trials) ||
        !saferl_budget__is_finite(confidence))
        return SAFERL_ERR_NOT_FINITE;
    if (!(trials > 0.0) || successes < 0.0 || successes > trials || !(confidence > 0.0) ||
        !(confidence < 1.0) || successes != floor(successes))
        return SAFERL_ERR_INVALID_ARGUMENT;
    {
        /* Wilson: the answer from 100 successes on, and the starting point below */
        double z = saferl_budget__normal_quantile(1.0 - alpha / 2.0), z2 = z * z;
        double p = successes / trials, denominator = 1.0 + z2 / trials;
        double centre = (p + z2 / (2.0 * trials)) / denominator;
        double half = z * sqrt(p * (1.0 - p) / trials + z2 / (4.0 * trials * trials)) / denominator;
        low = centre - half > 0.0 ? centre - half : 0.0;
        high = centre + half < 1.0 ? centre + half : 1.0;
    }
    if (successes < 100.0) {
        /* Clopper-Pearson: P(X >= D | lo) = alpha/2 and P(X <= D | hi) = alpha/2 */
        low = successes > 0.0
                  ? saferl_budget__binomial_cdf_root(successes - 1.0, trials, 1.0 - alpha / 2.0, low)
                  : 0.0;
        high = successes < trials ? saferl_budget__binomial_cdf_root(successes, trials, alpha / 2.0, high) : 1.0;
    }
    *lo = low;
    *hi = high;
    return SAFERL_OK;
}

/* ---- summaries ------------------------------------------------------------------------- */

SAFERL_BUDGET_API saferl_budget_desc saferl_budget_desc_defaults(const saferl_budget_desc *desc) {
    saferl_budget_desc d;
    memset(&d, 0, sizeof d);
    if (desc) d = *desc;
    if (d.confidence == 0.0) d.confidence = 0.95;
    if (d.balanced_low == 0.0) d.balanced_low = 1.5;
    if (d.balanced_high == 0.0) d.balanced_high = 2.0;
    if (d.draws == 0) d.draws = 2000;
    return d;
}

static saferl_result saferl_budget__check_desc(const saferl_budget_desc *d) {
    if (!saferl_budget__is_finite(d->confidence) || !saferl_budget__is_finite(d->balanced_low) ||
        !saferl_budget__is_finite(d->balanced_high) || !saferl_budget__is_finite(d->horizon))
        return SAFERL_ERR_NOT_FINITE;
    if (!(d->confidence > 0.0 && d->confidence < 1.0) || !(d->balanced_low > 0.0) ||
        !(d->balanced_high >= d->balanced_low) || d->horizon < 0.0)
        return SAFERL_ERR_INVALID_ARGUMENT;
    return SAFERL_OK;
}

SAFERL_BUDGET_API saferl_budget_regime saferl_budget_regime_of(double xi, const saferl_budget_desc *desc) {
    saferl_budget_desc d = saferl_budget_desc_defaults(desc);
    if (xi != xi || saferl_budget__check_desc(&d) != SAFERL_OK) return SAFERL_BUDGET_UNDETERMINED;
    if (xi < d.balanced_low) return SAFERL_BUDGET_DEFICIENT;
    if (xi <= d.balanced_high) return SAFERL_BUDGET_BALANCED;
    return SAFERL_BUDGET_AMPLE;
}

SAFERL_BUDGET_API const char *saferl_budget_regime_name(saferl_budget_regime regime) {
    switch (regime) {
    case SAFERL_BUDGET_DEFICIENT: return "deficient";
    case SAFERL_BUDGET_BALANCED: return "balanced";
    case SAFERL_BUDGET_AMPLE: return "ample";
    case SAFERL_BUDGET_UNDETERMINED: return "undetermined";
    }
    return "unknown";
}

SAFERL_BUDGET_API const char *saferl_budget_interval_name(saferl_budget_interval interval) {
    switch (interval) {
    case SAFERL_BUDGET_INTERVAL_BOUNDARY: return "boundary";
    case SAFERL_BUDGET_INTERVAL_WIDENED: return "widened";
    case SAFERL_BUDGET_INTERVAL_POSTERIOR: return "posterior";
    }
    return "unknown";
}

/* Fills the fields every summary derives the same way from xi, its interval and H. */
static void saferl_budget__finish_summary(saferl_budget_summary *s, const saferl_budget_desc *d) {
    s->hazard = s->xi / s->horizon;
    s->hazard_lo = s->xi_lo / s->horizon;
    s->hazard_hi = s->xi_hi / s->horizon;
    s->mean_tokens_lo = s->hazard_hi > 0.0 ? 1.0 / s->hazard_hi : SAFERL_BUDGET__INF;
    s->mean_tokens_hi = s->hazard_lo > 0.0 ? 1.0 / s->hazard_lo : SAFERL_BUDGET__INF;
    s->regime = saferl_budget_regime_of(s->xi, d);
    s->regime_is_certain = saferl_budget_regime_of(s->xi_lo, d) == saferl_budget_regime_of(s->xi_hi, d);
    s->markov_success_lower_bound = saferl_budget_markov_success_lower_bound(s->xi);
}

SAFERL_BUDGET_API saferl_result saferl_budget_summarize(const saferl_budget_attempt *attempts,
                                                        size_t count,
                                                        const saferl_budget_desc *desc,
                                                        saferl_budget_summary *summary) {
    saferl_budget_desc d = saferl_budget_desc_defaults(desc);
    saferl_budget_summary s;
    double exposure = 0.0, successes = 0.0, max_horizon = 0.0, q_lo, q_hi, q;
    double success_tokens = 0.0, exposure_squares = 0.0;
    saferl_result r;
    size_t i;
    SAFERL_ASSERT(summary != NULL && (attempts != NULL || count == 0));
    if ((r = saferl_budget__check_desc(&d)) != SAFERL_OK) return r;
    if (count == 0) return SAFERL_ERR_NO_DATA;
    for (i = 0; i < count; ++i) {
        const saferl_budget_attempt *a = &attempts[i];
        if (saferl_budget_check_attempt(a, NULL) != SAFERL_OK) return SAFERL_ERR_INVALID_ARGUMENT;
        if (a->tokens == SAFERL_BUDGET_CENSORED) {
            exposure += a->horizon;
            exposure_squares += (double)a->horizon * a->horizon;
        } else {
            exposure += a->tokens;
            exposure_squares += (double)a->tokens * a->tokens;
            success_tokens += a->tokens;
            successes += 1.0;
        }
        if (a->horizon > max_horizon) max_horizon = a->horizon;
    }
    memset(&s, 0, sizeof s);
    s.attempts = count;
    s.successes = (size_t)successes;
    s.prompts = 1;
    s.horizon = d.horizon > 0.0 ? d.horizon : max_horizon;
    s.exposure = exposure;
    s.success_tokens = success_tokens;
    s.exposure_squares = exposure_squares;
    r = saferl_budget_proportion_interval(successes, exposure, d.confidence, &q_lo, &q_hi);
    if (r != SAFERL_OK) return r;
    q = successes / exposure;
    s.xi = s.horizon * q;
    s.xi_lo = s.horizon * q_lo;
    s.xi_hi = s.horizon * q_hi;
    s.xi_is_upper_bound = successes == 0.0;
    if (successes > 0.0) {
        s.mean_tokens = exposure / successes;
        s.mean_tokens_se = sqrt(exposure * (exposure - successes) / (successes * successes * successes));
    } else {
        s.mean_tokens = SAFERL_BUDGET__INF;
        s.mean_tokens_se = SAFERL_BUDGET__INF;
    }
    s.success_rate = successes / (double)count;
    s.reward_variance = saferl_budget_reward_variance(s.success_rate);
    s.model_success_probability = saferl_budget_geometric_success_probability(q, s.horizon);
    saferl_budget__finish_summary(&s, &d);
    *summary = s;
    return successes > 0.0 ? SAFERL_OK : SAFERL_BOUND_ONLY;
}

/* A per-prompt summary as saferl_budget_summarize makes it: finite, counts that agree. */
static saferl_result saferl_budget__check_summary(const saferl_budget_summary *p) {
    double n = (double)p->attempts;
    if (!saferl_budget__is_finite(p->exposure) || !saferl_budget__is_finite(p->exposure_squares) ||
        !saferl_budget__is_finite(p->horizon) || !saferl_budget__is_finite(p->success_tokens) ||
        !saferl_budget__is_finite(p->success_rate) || !saferl_budget__is_finite(p->reward_variance) ||
        !saferl_budget__is_finite(p->model_success_probability))
        return SAFERL_ERR_NOT_FINITE;
    if (p->attempts == 0 || !(p->exposure >= n) || !(p->horizon > 0.0) || (double)p->successes > n ||
        p->success_tokens < (double)p->successes || p->success_tokens > p->exposure ||
        p->exposure != floor(p->exposure))
        return SAFERL_ERR_INVALID_ARGUMENT;
    return SAFERL_OK;
}

SAFERL_BUDGET_API saferl_result saferl_budget_pool(const saferl_budget_summary *per_prompt,
                                                   size_t prompt_count,
                                                   const saferl_budget_desc *desc,
                                                   saferl_budget_summary *pooled) {
    saferl_budget_desc d = saferl_budget_desc_defaults(desc);
    saferl_budget_summary s;
    double z, count = (double)prompt_count, successes_per_attempt = 0.0, exposure_per_attempt = 0.0;
    double variance = 0.0, max_horizon = 0.0, q, sd, q_lo, q_hi;
    double sum_rate = 0.0, sum_reward_variance = 0.0, sum_model_p = 0.0;
    saferl_result r;
    size_t i;
    SAFERL_ASSERT(pooled != NULL && (per_prompt != NULL || prompt_count == 0));
    if ((r = saferl_budget__check_desc(&d)) != SAFERL_OK) return r;
    if (prompt_count == 0) return SAFERL_ERR_NO_DATA;
    if (prompt_count == 1) { /* the delta method would only approximate the prompt's own interval */
        if ((r = saferl_budget__check_summary(&per_prompt[0])) != SAFERL_OK) return r;
        *pooled = per_prompt[0];
        return per_prompt[0].successes > 0 ? SAFERL_OK : SAFERL_BOUND_ONLY;
    }
    memset(&s, 0, sizeof s);
    for (i = 0; i < prompt_count; ++i) {
        const saferl_budget_summary *p = &per_prompt[i];
        double n = (double)p->attempts;
        if ((r = saferl_budget__check_summary(p)) != SAFERL_OK) return r;
        successes_per_attempt += (double)p->successes / n;
        exposure_per_attempt += p->exposure / n;
        if (p->horizon > max_horizon) max_horizon = p->horizon;
        s.attempts += p->attempts;
        s.successes += p->successes;
        s.exposure += p->exposure;
        s.success_tokens += p->success_tokens;
        s.exposure_squares += p->exposure_squares;
        sum_rate += p->success_rate;
        sum_reward_variance += p->reward_variance;
        sum_model_p += p->model_success_probability;
    }
    q = successes_per_attempt / exposure_per_attempt;
    for (i = 0; i < prompt_count; ++i) {
        /* sum_j (d_ij - q t_ij)^2 for prompt i, from its sums */
        const saferl_budget_summary *p = &per_prompt[i];
        double n = (double)p->attempts;
        double residuals = (double)p->successes - 2.0 * q * p->success_tokens + q * q * p->exposure_squares;
        variance += (residuals > 0.0 ? residuals : 0.0) / (n * n);
    }
    sd = sqrt(variance) / exposure_per_attempt;
    z = saferl_budget__normal_quantile(0.5 + d.confidence / 2.0);
    if (s.successes == 0) {
        /* nothing solved anywhere: the exact bound of 0 successes in all tokens at risk */
        r = saferl_budget_proportion_interval(0.0, s.exposure, d.confidence, &q_lo, &q_hi);
        if (r != SAFERL_OK) return r;
        s.xi_is_upper_bound = 1;
    } else {
        q_lo = q - z * sd > 0.0 ? q - z * sd : 0.0;
        q_hi = q + z * sd < 1.0 ? q + z * sd : 1.0;
    }
    s.prompts = prompt_count;
    s.horizon = d.horizon > 0.0 ? d.horizon : max_horizon;
    s.xi = s.horizon * q;
    s.xi_lo = s.horizon * q_lo;
    s.xi_hi = s.horizon * q_hi;
    s.mean_tokens = q > 0.0 ? 1.0 / q : SAFERL_BUDGET__INF;
    s.mean_tokens_se = q > 0.0 ? sd / (q * q) : SAFERL_BUDGET__INF;
    s.success_rate = sum_rate / count;
    s.reward_variance = sum_reward_variance / count;
    s.model_success_probability = sum_model_p / count;
    saferl_budget__finish_summary(&s, &d);
    *pooled = s;
    return s.successes > 0 ? SAFERL_OK : SAFERL_BOUND_ONLY;
}

/* ---- the prompt set's xi = H / mean_i E[T_i] ------------------------------------------- */

/* The asymptotic series of ln Gamma, digamma and trigamma at x >= 15 (error below 1e-14),
   without their leading terms, which the caller differences exactly against cancellation:
   ln Gamma(x) = (x - 1/2) ln x - x + ln sqrt(2 pi) + s[0],  psi(x) = ln x - 1/(2x) + s[1],
   psi'(x) = 1/x + s[2]. orders 1 gives s[0] alone (the likelihood's value without its
   derivatives: the grid's nodes need no more), 3 all three; s[0] is the same either way. */
static void saferl_budget__gamma_series(double x, int orders, double s[3]) {
    double z = 1.0 / x, z2 = z * z;
    s[0] = z * (1.0 / 12.0 - z2 * (1.0 / 360.0 - z2 * (1.0 / 1260.0 - z2 / 1680.0)));
    if (orders < 3) return;
    s[1] = -z2 * (1.0 / 12.0 - z2 * (1.0 / 120.0 - z2 * (1.0 / 252.0 - z2 / 240.0)));
    s[2] = z2 * (0.5 + z * (1.0 / 6.0 - z2 * (1.0 / 30.0 - z2 * (1.0 / 42.0 - z2 / 30.0))));
}

/* For x > 0 and a whole n >= 0: out[0] = ln Gamma(x + n) - ln Gamma(x), out[1] = psi(x + n)
   - psi(x), out[2] = psi'(x + n) - psi'(x); with orders 1 only out[0], by the same
   operations (same bits), in about two thirds of the time. Small n: the n terms of the
   recurrence. Large n: x is raised to y >= 15 by the recurrence (its terms added back), then
   the series at y and y + n. The series at y depends on x alone: a caller that has it for
   this x (saferl_budget__raised_series) passes it as low_given, else NULL. (libm's lgamma is
   not used: it writes the global signgam.) */
#define SAFERL_BUDGET__RISING_TERMS 24 /* n up to this: the recurrence's terms */
static void saferl_budget__rising_orders(double x, double n, int orders, const double *low_given, double out[3]) {
    double y = x, low_here[3], high[3], m, j, log_ratio;
    const double *low = low_here;
    out[0] = out[1] = out[2] = 0.0;
    if (n <= SAFERL_BUDGET__RISING_TERMS) {
        for (j = 0.0; j < n; j += 1.0) {
            double t = 1.0 / (x + j);
            out[0] += log(x + j);
            if (orders < 3) continue;
            out[1] += t;
            out[2] -= t * t;
        }
        return;
    }
    while (y < 15.0) { /* at most 15 steps */
        double t = 1.0 / y, u = 1.0 / (y + n);
        out[0] += log(y / (y + n));
        if (orders >= 3) {
            out[1] += t - u;
            out[2] += u * u - t * t;
        }
        y += 1.0;
    }
    m = y + n;
    if (low_given) low = low_given;
    else saferl_budget__gamma_series(y, orders, low_here);
    saferl_budget__gamma_series(m, orders, high);
    log_ratio = log1p(n / y);
    out[0] += (y - 0.5) * log_ratio + n * (log(m) - 1.0) + high[0] - low[0];
    if (orders < 3) return;
    out[1] += log_ratio + 0.5 * n / (m * y) + high[1] - low[1]; /* -1/(2m) + 1/(2y) */
    out[2] += -n / (m * y) + high[2] - low[2];                    /* 1/m - 1/y */
}

static void saferl_budget__rising(double x, double n, double out[3]) {
    saferl_budget__rising_orders(x, n, 3, NULL, out);
}

/* The series saferl_budget__rising_orders takes at x raised to y >= 15 (as it raises it), for
   a caller with one x and many n. */
static void saferl_budget__raised_series(double x, int orders, double low[3]) {
    while (x < 15.0) x += 1.0;
    saferl_budget__gamma_series(x, orders, low);
}

/* The marginal log-likelihood of the beta-geometric model and its derivatives in
   (ln a, ln b): prompt i has D_i successes and F_i = S_i - D_i failed tokens at risk, so its
   likelihood is q^D_i (1 - q)^F_i and, with q ~ Beta(a, b), its marginal B(a + D_i, b + F_i)
   / B(a, b). A prompt enters only through (D_i, F_i), so prompts with the same pair are one
   pattern, evaluated once and weighed by their count: patterns holds (D, F, count) triples. */
typedef struct saferl_budget__beta_fit {
    double log_a, log_b;
    double loglik;
    double gradient[2]; /* in (ln a, ln b) */
    double hessian[3];  /* aa, ab, bb in (ln a, ln b) */
} saferl_budget__beta_fit;

/* orders 1: fit->loglik alone (gradient and hessian left as they were), the same bits as
   with orders 3, which gives all three. */
static void saferl_budget__beta_loglik_orders(const double *patterns, size_t pattern_count, int orders,
                                              saferl_budget__beta_fit *fit) {
    double a = exp(fit->log_a), b = exp(fit->log_b), g_a = 0.0, g_b = 0.0, h_aa = 0.0, h_bb = 0.0, h_ab = 0.0;
    double loglik = 0.0;
    /* the a side depends on D alone, a small count: each value's terms are summed once, as
       saferl_budget__rising sums them (the same order, so the same bits) */
    double by_successes[SAFERL_BUDGET__RISING_TERMS + 1][3] = {{0.0, 0.0, 0.0}};
    double low_b[3], low_ab[3]; /* b and a + b are the same for every pattern */
    size_t i, filled = 0;
    saferl_budget__raised_series(b, orders, low_b);
    saferl_budget__raised_series(a + b, orders, low_ab);
    for (i = 0; i < pattern_count; ++i) {
        const double d = patterns[3 * i], f = patterns[3 * i + 1], count = patterns[3 * i + 2];
        double ra_far[3], rb[3], rab[3];
        const double *ra = ra_far;
        if (d <= SAFERL_BUDGET__RISING_TERMS) {
            for (; (double)filled < d; ++filled) {
                double t = 1.0 / (a + (double)filled);
                by_successes[filled + 1][0] = by_successes[filled][0] + log(a + (double)filled);
                by_successes[filled + 1][1] = by_successes[filled][1] + t;
                by_successes[filled + 1][2] = by_successes[filled][2] - t * t;
            }
            ra = by_successes[(size_t)d];
        } else {
            saferl_budget__rising_orders(a, d, orders, NULL, ra_far);
        }
        saferl_budget__rising_orders(b, f, orders, low_b, rb);
        saferl_budget__rising_orders(a + b, d + f, orders, low_ab, rab);
        loglik += count * (ra[0] + rb[0] - rab[0]);
        if (orders < 3) continue;
        g_a += count * (ra[1] - rab[1]);
        g_b += count * (rb[1] - rab[1]);
        h_aa += count * (ra[2] - rab[2]);
        h_bb += count * (rb[2] - rab[2]);
        h_ab -= count * rab[2];
    }
    fit->loglik = loglik;
    if (orders < 3) return;
    fit->gradient[0] = a * g_a; /* chain rule: d/d ln a = a d/da */
    fit->gradient[1] = b * g_b;
    fit->hessian[0] = a * a * h_aa + a * g_a;
    fit->hessian[1] = a * b * h_ab;
    fit->hessian[2] = b * b * h_bb + b * g_b;
}

static void saferl_budget__beta_loglik(const double *patterns, size_t pattern_count, saferl_budget__beta_fit *fit) {
    saferl_budget__beta_loglik_orders(patterns, pattern_count, 3, fit);
}

/* Groups the prompts by (D_i, F_i) into (D, F, count) triples at the front of table, which
   has room for 2 P triples: an open-addressed hash table of 2 P slots (half full at most,
   so probes stay short), compacted in slot order. Returns the number of patterns. With 8-64
   attempts a prompt the pairs repeat mostly under heavy censoring (10^4 prompts x 8
   attempts: about 450 patterns at 90% censored, 7200 at 30%). */
static size_t saferl_budget__group_patterns(const saferl_budget_summary *per_prompt, size_t prompt_count,
                                            double *table) {
    const size_t slots = 2 * prompt_count;
    size_t i, count = 0;
    for (i = 0; i < 3 * slots; ++i) table[i] = 0.0;
    for (i = 0; i < prompt_count; ++i) {
        const double d = (double)per_prompt[i].successes, f = per_prompt[i].exposure - d;
        uint64_t key = (uint64_t)f * 0x9E3779B97F4A7C15ull + (uint64_t)per_prompt[i].successes;
        size_t slot = (size_t)((key ^ (key >> 29)) % slots);
        while (table[3 * slot + 2] > 0.0 && (table[3 * slot] != d || table[3 * slot + 1] != f))
            slot = slot + 1 < slots ? slot + 1 : 0;
        table[3 * slot] = d;
        table[3 * slot + 1] = f;
        table[3 * slot + 2] += 1.0;
    }
    for (i = 0; i < slots; ++i) {
        if (table[3 * i + 2] > 0.0) {
            table[3 * count] = table[3 * i];
            table[3 * count + 1] = table[3 * i + 1];
            table[3 * count + 2] = table[3 * i + 2];
            ++count;
        }
    }
    return count;
}

/* ln a is kept in [ln 1e-3, ln 1e6]: a = 1e6 is a spread of ln q of 0.001 (all prompts
   alike), a = 1e-3 one of 30. */
#define SAFERL_BUDGET__LOG_A_MIN (-6.907755278982137)
#define SAFERL_BUDGET__LOG_A_MAX 13.815510557964274

/* Newton's method on the marginal likelihood, started at a = 1 with the prior mean hazard
   at the pooled one; a step that does not raise the likelihood is halved, and where ln a
   sits on a bound with the gradient pointing out only ln(b / a) moves. Returns 1 when it
   converged within 200 iterations: the next step promises a rise of the log-likelihood
   below 1e-11 of its size (far below its statistical resolution, 1/2). */
static int saferl_budget__fit_beta(const double *patterns, size_t pattern_count,
                                   double successes, double exposure, saferl_budget__beta_fit *fit) {
    int iteration;
    fit->log_a = 0.0;
    fit->log_b = log((exposure - successes) / successes);
    saferl_budget__beta_loglik(patterns, pattern_count, fit);
    for (iteration = 0; iteration < 200; ++iteration) {
        const double *g = fit->gradient, *h = fit->hessian;
        /* In (ln a, m = ln(b / a)), m about ln E[T], the two are far less correlated than
           ln a and ln b: gradient gm, minus the hessian n. Where n is not positive definite
           its diagonal is raised until it is (Levenberg-Marquardt). */
        double gm[2], n[3], step[2], largest, rise, t = 1.0, det, lift = 0.0;
        int halvings, pinned = (fit->log_a <= SAFERL_BUDGET__LOG_A_MIN + 1e-9 && g[0] + g[1] < 0.0) ||
                               (fit->log_a >= SAFERL_BUDGET__LOG_A_MAX - 1e-9 && g[0] + g[1] > 0.0);
        gm[0] = g[0] + g[1];
        gm[1] = g[1];
        n[0] = -(h[0] + 2.0 * h[1] + h[2]);
        n[1] = -(h[1] + h[2]);
        n[2] = -h[2];
        if (pinned) {
            step[0] = 0.0;
            step[1] = gm[1] / (n[2] > 0.0 ? n[2] : fabs(n[2]) + 1.0);
        } else {
            double mid = 0.5 * (n[0] + n[2]), radius = sqrt(0.25 * (n[0] - n[2]) * (n[0] - n[2]) + n[1] * n[1]);
            if (mid - radius <= 1e-9 * (fabs(mid) + radius)) lift = radius - mid + 1e-6 * (fabs(mid) + radius) + 1e-12;
            det = (n[0] + lift) * (n[2] + lift) - n[1] * n[1];
            step[0] = ((n[2] + lift) * gm[0] - n[1] * gm[1]) / det;
            step[1] = ((n[0] + lift) * gm[1] - n[1] * gm[0]) / det;
        }
        rise = gm[0] * step[0] + gm[1] * step[1];
        step[1] += step[0]; /* back to (ln a, ln b): ln b = ln a + m */
        largest = fabs(step[0]) > fabs(step[1]) ? fabs(step[0]) : fabs(step[1]);
        /* the rise the step promises, against the rounding of a sum of P log-likelihoods */
        if (rise <= 1e-11 * (1.0 + fabs(fit->loglik))) return 1;
        if (largest > 2.0) t = 2.0 / largest; /* at most a factor e^2 a step */
        /* shortened, not bent, where it would leave [LOG_A_MIN, LOG_A_MAX] */
        if (fit->log_a + t * step[0] > SAFERL_BUDGET__LOG_A_MAX) t = (SAFERL_BUDGET__LOG_A_MAX - fit->log_a) / step[0];
        if (fit->log_a + t * step[0] < SAFERL_BUDGET__LOG_A_MIN) t = (SAFERL_BUDGET__LOG_A_MIN - fit->log_a) / step[0];
        for (halvings = 0; halvings < 40; ++halvings, t *= 0.5) {
            saferl_budget__beta_fit trial = *fit;
            trial.log_a += t * step[0];
            if (trial.log_a < SAFERL_BUDGET__LOG_A_MIN) trial.log_a = SAFERL_BUDGET__LOG_A_MIN;
            if (trial.log_a > SAFERL_BUDGET__LOG_A_MAX) trial.log_a = SAFERL_BUDGET__LOG_A_MAX;
            trial.log_b += t * step[1];
            saferl_budget__beta_loglik(patterns, pattern_count, &trial);
            if (trial.loglik > fit->loglik) {
                *fit = trial;
                break;
            }
        }
        if (halvings == 40) return 0; /* a promised rise that no step finds */
    }
    return 0;
}

/* The ziggurat of the standard normal (Marsaglia and Tsang 2000, "The ziggurat method for
   generating random variables"), 128 layers of equal area v under exp(-x^2 / 2) on x >= 0:
   layer i spans heights f(x[i]) to f(x[i + 1]) with width x[i]; layer 0 is the strip under
   f(r) plus the tail beyond r = x[1], x[0] = v / f(r). x[1..127] by x[i + 1] = f^-1(f(x[i])
   + v / x[i]) from r = 3.44261985589665212, v = 0.00991256303533646108, both solved (40
   digits) so that the top layer closes at x[128] = 0. Doornik (2005), "An improved ziggurat
   method to generate normal random samples", showed the layer and the abscissa must not share
   bits: here one 64-bit word gives the layer (bits 0-6), the sign (bit 7) and |u| (bits 12-63),
   so the law is exact and the stream bit-identical everywhere outside the 2.8% of tries that
   reach the wedges or the tail (libm's exp and log there). */
static const double saferl_budget__ziggurat_x[129] = {
    3.7130862467403634, 3.4426198558966523, 3.2230849845786187, 3.0832288582142136,
    2.9786962526450171, 2.8943440070186708, 2.8231253505459666, 2.7611693723841539,
    2.7061135731187225, 2.6564064112581924, 2.6109722484286131, 2.5690336259216391,
    2.5300096723854666, 2.4934545220919508, 2.4590181774083502, 2.4264206455302118,
    2.3954342780074676, 2.3658713701139877, 2.3375752413355309, 2.310413683695002,
    2.2842740596736566, 2.2590595738653296, 2.2346863955870568, 2.2110814088747279,
    2.1881804320720204, 2.1659267937448408, 2.1442701823562613, 2.1231657086697902,
    2.1025731351849988, 2.0824562379877247, 2.0627822745039635, 2.0435215366506694,
    2.024646973372934, 2.0061338699589668, 1.9879595741230607, 1.9701032608497133,
    1.9525457295488888, 1.9352692282919002, 1.9182573008597321, 1.9014946531003176,
    1.8849670357028692, 1.8686611409895419, 1.8525645117230871, 1.8366654602533841,
    1.8209529965910052, 1.8054167642140488, 1.790046982594619, 1.7748343955807693,
    1.759770224894232, 1.7448461281083765, 1.7300541605582436, 1.7153867407081165,
    1.7008366185643009, 1.6863968467734862, 1.6720607540918522, 1.6578219209482075,
    1.6436741568569826, 1.6296114794646783, 1.6156280950371329, 1.601718380215277,
    1.5878768648844006, 1.5740982160167498, 1.5603772223598407, 1.5467087798535035,
    1.5330878776675561, 1.5195095847593707, 1.5059690368565504, 1.4924614237746154,
    1.4789819769830979, 1.4655259573357946, 1.4520886428822164, 1.4386653166774612,
    1.4252512545068616, 1.4118417124397602, 1.3984319141236063, 1.3850170377251487,
    1.3715922024197322, 1.3581524543224228, 1.344692751745713, 1.3312079496576765,
    1.317692783201343, 1.3041418501204216, 1.2905495919178731, 1.2769102735516997,
    1.2632179614460282, 1.2494664995643336, 1.2356494832544811, 1.2217602305309625,
    1.2077917504067577, 1.1937367078237722, 1.1795873846544607, 1.1653356361550469,
    1.150972842138976, 1.1364898520030755, 1.121876922572254, 1.1071236475235353,
    1.0922188768965537, 1.0771506248819376, 1.0619059636836194, 1.0464709007525803,
    1.0308302360564556, 1.0149673952392995, 0.99886423348064346, 0.98250080350276037,
    0.96585507938813064, 0.94890262549791193, 0.93161619660135386, 0.91396525100880177,
    0.89591535256623855, 0.87742742909771565, 0.85845684317805082, 0.83895221428120748,
    0.8188539066833177, 0.7980920606262748, 0.77658398787614835, 0.75423066443451003,
    0.73091191062188132, 0.70647961131360804, 0.68074791864590423, 0.65347863871504241,
    0.62435859730908827, 0.592962942441978, 0.55869217837551799, 0.52065603872514488,
    0.47743783725378786, 0.42654798630330515, 0.36287143102841829, 0.27232086470466382,
    0.0};

static inline double saferl_budget__normal(saferl_rng *rng) {
    const double *x = saferl_budget__ziggurat_x, r = 3.4426198558966521;
    for (;;) {
        const uint64_t bits = saferl_rng_u64(rng);
        const int layer = (int)(bits & 127u);
        const double sign = (bits & 128u) ? -1.0 : 1.0;
        const double z = ((double)(bits >> 12) + 0.5) * (1.0 / 4503599627370496.0) * x[layer]; /* |u| in (0, 1) */
        if (z < x[layer + 1]) return sign * z; /* inside the layer's rectangle: 97.2% of tries */
        if (layer == 0) { /* the tail beyond r (Marsaglia 1964): E1, E2 exponential, r + E1 / r
                             accepted when 2 E2 > (E1 / r)^2 */
            double e1, e2;
            do {
                e1 = -log(1.0 - saferl_rng_uniform(rng)) / r;
                e2 = -log(1.0 - saferl_rng_uniform(rng));
            } while (2.0 * e2 < e1 * e1);
            return sign * (r + e1);
        } else { /* the wedge between the rectangle and the curve: a uniform height under f(z)? */
            const double low = exp(-0.5 * x[layer] * x[layer]), high = exp(-0.5 * x[layer + 1] * x[layer + 1]);
            if (low + saferl_rng_uniform(rng) * (high - low) < exp(-0.5 * z * z)) return sign * z;
        }
    }
}

/* Gamma(shape, 1) by Marsaglia and Tsang (2000), "A simple method for generating gamma
   variables": a transformed normal, accepted in over 95% of tries for shape >= 1; below 1,
   Gamma(shape + 1) U^(1/shape). Tries are capped at 64 (the chance of needing more is below
   1e-80), after which the last candidate is returned. The constants depend on the shape
   only, so prompts that share a shape share them (saferl_budget__gamma_prepare).
   The paper's squeeze (accept without a logarithm when u < 1 - 0.0331 x^4) leaves about 10%
   of tries to the logarithms at any shape; a second one, exact and tighter as the shape
   grows, leaves about 3 / (108 d): with t = c x the test reads ln u < 3 d R(t), R(t) =
   ln(1 + t) - t + t^2/2 - t^3/3 = -int_0^t s^3 / (1 + s) ds >= -t^4 / (4 (1 + min(t, 0))),
   3 d t^4 / 4 = x^4 / (108 d) (as 9 d c^2 = 1), and ln u <= u - 1, so 1 - u > x^4 / (108 d
   (1 + min(t, 0))) accepts. Both only skip logarithms: the accepted draws are the same. */
typedef struct saferl_budget__gamma_law {
    double d, c;           /* shape - 1/3 and 1 / sqrt(9 d), of the shape raised to >= 1 */
    double inverse_shape;  /* 1 / shape below 1 (then U^(1/shape) scales the draw), else 0 */
} saferl_budget__gamma_law;

static void saferl_budget__gamma_prepare(double shape, saferl_budget__gamma_law *law) {
    law->inverse_shape = shape < 1.0 ? 1.0 / shape : 0.0;
    if (shape < 1.0) shape += 1.0;
    law->d = shape - 1.0 / 3.0;
    law->c = 1.0 / sqrt(9.0 * law->d);
}

static inline double saferl_budget__gamma_draw(saferl_rng *rng, const saferl_budget__gamma_law *law) {
    const double d = law->d, c = law->c;
    double boost = 1.0, v = 1.0;
    int tries;
    if (law->inverse_shape > 0.0) boost = pow(1.0 - saferl_rng_uniform(rng), law->inverse_shape);
    for (tries = 0; tries < 64; ++tries) {
        const double x = saferl_budget__normal(rng), t = c * x, x4 = (x * x) * (x * x);
        double uniform;
        if (t <= -1.0) continue;
        v = (1.0 + t) * (1.0 + t) * (1.0 + t);
        uniform = saferl_rng_uniform(rng); /* the paper's u is 1 - uniform */
        if (uniform > 0.0331 * x4) break; /* the paper's squeeze: no logarithm */
        if (uniform * 108.0 * d * (t < 0.0 ? 1.0 + t : 1.0) > x4) break; /* the squeeze for large shapes */
        if (log(1.0 - uniform) < 0.5 * x * x + d - d * v + d * log(v)) break;
    }
    return boost * d * (v > 0.0 ? v : 1.0);
}

static double saferl_budget__sample_gamma(saferl_rng *rng, double shape) {
    saferl_budget__gamma_law law;
    saferl_budget__gamma_prepare(shape, &law);
    return saferl_budget__gamma_draw(rng, &law);
}

/* In-place heapsort, ascending (the draws' quantiles; no recursion, no allocation). */
static void saferl_budget__sort(double *v, size_t n) {
    size_t start = n / 2, end = n;
    while (end > 1) {
        size_t root, child;
        double top;
        if (start > 0) {
            --start;
        } else {
            --end;
            top = v[end];
            v[end] = v[0];
            v[0] = top;
        }
        root = start;
        top = v[root];
        while ((child = 2 * root + 1) < end) {
            if (child + 1 < end && v[child + 1] > v[child]) ++child;
            if (!(v[child] > top)) break;
            v[root] = v[child];
            root = child;
        }
        v[root] = top;
    }
}

/* The p-quantile of sorted values, interpolating between neighbours. */
static double saferl_budget__quantile(const double *sorted, size_t n, double p) {
    double position = p * (double)(n - 1), below = floor(position);
    size_t k = (size_t)below;
    if (k + 1 >= n) return sorted[n - 1];
    return sorted[k] + (position - below) * (sorted[k + 1] - sorted[k]);
}

/* psi'(x) and psi''(x) for x > 0: the recurrence up to x >= 15, then the series (the
   derivative of the trigamma series for psi''). */
static void saferl_budget__polygamma(double x, double *trigamma, double *tetragamma) {
    double tri = 0.0, tetra = 0.0, s[3], z, z2;
    while (x < 15.0) { /* at most 15 steps */
        double t = 1.0 / x;
        tri += t * t;
        tetra -= 2.0 * t * t * t;
        x += 1.0;
    }
    saferl_budget__gamma_series(x, 3, s);
    z = 1.0 / x;
    z2 = z * z;
    *trigamma = tri + z + s[2];
    *tetragamma = tetra - z2 * (1.0 + z * (1.0 + z * (0.5 - z2 * (1.0 / 6.0 - z2 * (1.0 / 6.0 - z2 * 0.3)))));
}

/* The prior of the hyperparameters, on u = ln a and m = ln(b / a): flat in m (the location,
   about ln E[T]), and half-Cauchy with scale 1 on the spread sigma = sqrt(psi'(a)) (the sd of
   ln q_i; Gelman 2006, "Prior distributions for variance parameters in hierarchical
   models"), carried to u by |d sigma / d u| = a |psi''(a)| / (2 sigma). Both ends are proper:
   the density falls like a^(-1/2) as the spread vanishes and like a as it grows. It is
   normalized (2 / (pi scale) in sigma), since the atom at spread 0 is weighed against it;
   the range of u keeps all but 0.1% of its mass. */
#define SAFERL_BUDGET__SPREAD_SCALE 1.0
static double saferl_budget__log_prior(double log_a) {
    double a = exp(log_a), tri, tetra;
    saferl_budget__polygamma(a, &tri, &tetra);
    return log(2.0 / (3.14159265358979323846 * SAFERL_BUDGET__SPREAD_SCALE)) -
           log1p(tri / (SAFERL_BUDGET__SPREAD_SCALE * SAFERL_BUDGET__SPREAD_SCALE)) +
           log(a * -tetra / (2.0 * sqrt(tri)));
}

/* At fit->log_a fixed, Newton's method in ln b from fit->log_b to the likelihood's mode;
   returns minus the second derivative there (the conditional precision of m = ln(b / a)). */
static double saferl_budget__fit_location(const double *patterns, size_t pattern_count,
                                          saferl_budget__beta_fit *fit) {
    int iteration, halvings;
    saferl_budget__beta_loglik(patterns, pattern_count, fit);
    for (iteration = 0; iteration < 60; ++iteration) {
        double g = fit->gradient[1], c = -fit->hessian[2], step, t = 1.0;
        step = g / (c > 0.0 ? c : fabs(g) + 1.0); /* not concave here: a gradient step */
        if (fabs(step) > 2.0) step = step > 0.0 ? 2.0 : -2.0;
        if (!(g * step > 1e-10 * (1.0 + fabs(fit->loglik)))) break;
        for (halvings = 0; halvings < 40; ++halvings, t *= 0.5) {
            saferl_budget__beta_fit trial = *fit;
            trial.log_b += t * step;
            saferl_budget__beta_loglik(patterns, pattern_count, &trial);
            if (trial.loglik > fit->loglik) {
                *fit = trial;
                break;
            }
        }
        if (halvings == 40) break;
    }
    return -fit->hessian[2] > 1e-8 ? -fit->hessian[2] : 1e-8;
}

/* The posterior of the hyperparameters on a grid (hierarchical Bayes: the interval then
   carries the fit's uncertainty without a normal approximation, which was too narrow where
   a handful of successes decide the spread and wrong where the spread sits at its bound).
   A coarse scan of u = ln a over its whole range, each node's m integrated out by Laplace's
   method, finds where the posterior lives (within e^-20 of its top, one node more each
   side); that range gets GRID_U nodes of u, and each of them GRID_M nodes of m, spaced by
   its conditional sd out to 6 sd around its conditional mode. The weights are the posterior
   density times the cells' areas, kept cumulative for drawing; their sum is the evidence
   of the continuous prior (the marginal likelihood integrated over it and over m). */
#define SAFERL_BUDGET__SCAN 64
#define SAFERL_BUDGET__GRID_U 40
#define SAFERL_BUDGET__GRID_M 24
#define SAFERL_BUDGET__GRID_Z 6.0 /* m nodes span +-6 conditional sd */
typedef struct saferl_budget__grid {
    double u_low, u_step;          /* u nodes: u_low + (j + 1/2) u_step */
    double location[SAFERL_BUDGET__GRID_U], scale[SAFERL_BUDGET__GRID_U]; /* m's mode and sd given u */
    double *cumulative;            /* GRID_U * GRID_M cumulative weights, j major */
    double log_evidence;           /* ln of the integral of likelihood x prior over the grid */
} saferl_budget__grid;

/* The range of u: the coarse scan, from the fit outward so that each node starts Newton at
   its neighbour's mode. scan holds SCAN doubles. */
static void saferl_budget__grid_range(const double *patterns, size_t pattern_count,
                                      const saferl_budget__beta_fit *mode, double *scan, saferl_budget__grid *g) {
    const double width = (SAFERL_BUDGET__LOG_A_MAX - SAFERL_BUDGET__LOG_A_MIN) / SAFERL_BUDGET__SCAN;
    int start = (int)((mode->log_a - SAFERL_BUDGET__LOG_A_MIN) / width), j, direction, top, low, high;
    if (start > SAFERL_BUDGET__SCAN - 1) start = SAFERL_BUDGET__SCAN - 1;
    if (start < 0) start = 0;
    for (direction = 1; direction >= -1; direction -= 2) {
        saferl_budget__beta_fit node = *mode;
        for (j = direction > 0 ? start : start - 1; j >= 0 && j < SAFERL_BUDGET__SCAN; j += direction) {
            double m = node.log_b - node.log_a, c;
            node.log_a = SAFERL_BUDGET__LOG_A_MIN + (j + 0.5) * width;
            node.log_b = node.log_a + m;
            c = saferl_budget__fit_location(patterns, pattern_count, &node);
            scan[j] = node.loglik + saferl_budget__log_prior(node.log_a) - 0.5 * log(c);
            if (!saferl_budget__is_finite(scan[j])) scan[j] = -SAFERL_BUDGET__INF;
        }
    }
    for (top = 0, j = 1; j < SAFERL_BUDGET__SCAN; ++j)
        if (scan[j] > scan[top]) top = j;
    for (low = top; low > 0 && scan[low - 1] > scan[top] - 20.0; --low) {}
    for (high = top; high < SAFERL_BUDGET__SCAN - 1 && scan[high + 1] > scan[top] - 20.0; ++high) {}
    low = low > 0 ? low - 1 : 0;
    high = high < SAFERL_BUDGET__SCAN - 1 ? high + 1 : high;
    g->u_low = SAFERL_BUDGET__LOG_A_MIN + low * width;
    g->u_step = (high + 1 - low) * width / SAFERL_BUDGET__GRID_U;
}

/* Fills the grid; work holds SCAN + GRID_U * GRID_M doubles. Returns 0 when no node has a
   finite positive weight. */
static int saferl_budget__grid_fill(const double *patterns, size_t pattern_count,
                                    const saferl_budget__beta_fit *mode, double *work, saferl_budget__grid *g) {
    const double z_step = 2.0 * SAFERL_BUDGET__GRID_Z / SAFERL_BUDGET__GRID_M;
    saferl_budget__beta_fit node = *mode;
    double top = -SAFERL_BUDGET__INF, total = 0.0;
    int j, k;
    saferl_budget__grid_range(patterns, pattern_count, mode, work, g);
    g->cumulative = work + SAFERL_BUDGET__SCAN;
    for (j = 0; j < SAFERL_BUDGET__GRID_U; ++j) {
        double m = node.log_b - node.log_a, prior;
        node.log_a = g->u_low + (j + 0.5) * g->u_step;
        node.log_b = node.log_a + m;
        g->scale[j] = 1.0 / sqrt(saferl_budget__fit_location(patterns, pattern_count, &node));
        g->location[j] = node.log_b - node.log_a;
        prior = saferl_budget__log_prior(node.log_a) + log(g->scale[j]);
        for (k = 0; k < SAFERL_BUDGET__GRID_M; ++k) {
            saferl_budget__beta_fit at = node;
            double *w = &g->cumulative[j * SAFERL_BUDGET__GRID_M + k];
            at.log_b = at.log_a + g->location[j] + g->scale[j] * (-SAFERL_BUDGET__GRID_Z + (k + 0.5) * z_step);
            saferl_budget__beta_loglik_orders(patterns, pattern_count, 1, &at); /* the value alone */
            *w = at.loglik + prior;
            if (!saferl_budget__is_finite(*w)) *w = -SAFERL_BUDGET__INF;
            if (*w > top) top = *w;
        }
    }
    if (!saferl_budget__is_finite(top)) return 0;
    for (j = 0; j < SAFERL_BUDGET__GRID_U * SAFERL_BUDGET__GRID_M; ++j) {
        total += exp(g->cumulative[j] - top);
        g->cumulative[j] = total;
    }
    g->log_evidence = top + log(total * g->u_step * z_step); /* a cell is u_step x scale z_step */
    return total > 0.0;
}

/* ln B(d, f) for a whole d >= 1 and f > 0, as ln Gamma(d) - (ln Gamma(f + d) - ln Gamma(f)). */
static double saferl_budget__log_beta(double d, double f) {
    double first[3], rise[3];
    saferl_budget__rising(1.0, d - 1.0, first);
    saferl_budget__rising(f, d, rise);
    return first[0] - rise[0];
}

/* The atom at spread 0 (every q_i = q, the limit a -> infinity at b / a = e^m): the
   likelihood is q^D (1 - q)^F over the whole set, and under the same flat prior in m =
   ln((1 - q) / q) its integral is B(D, F) and q's posterior Beta(D, F) (dm = dq / (q (1 -
   q))). With prior probability 1/2 on it, its posterior probability is B(D, F) / (B(D, F) +
   the grid's evidence). The prior in m is improper but common to both, so the ratio is
   defined (Kass and Raftery 1995). */
static double saferl_budget__atom_probability(const saferl_budget__grid *g, double successes, double failures) {
    double log_ratio = g->log_evidence - saferl_budget__log_beta(successes, failures);
    return log_ratio > 700.0 ? 0.0 : 1.0 / (1.0 + exp(log_ratio));
}

/* Posterior draws of xi = H / mean_i E[T_i]. With probability atom_probability from the
   atom: q ~ Beta(D, F), xi = H q. Otherwise a grid cell by its weight and a uniform point
   in it for (ln a, m), then q_i ~ Beta(a + D_i, b + F_i) for each prompt, as X / (X + Y)
   with X, Y gamma variates, so that 1 / q_i = 1 + Y / X stays exact for small q_i. The
   prompts come pattern by pattern (saferl_budget__group_patterns' (D, F, count)): given
   (a, b) they are independent, so the order is free, and a pattern's prompts share the
   gamma laws' constants. At
   atom_probability 0 no draw of the atom's coin is made (0.3.0's stream). row >= 0 keeps
   the cells to that row of u: draws given the spread, m integrated out. */
static void saferl_budget__draw_xi(const double *patterns, size_t pattern_count, double prompt_count,
                                   const saferl_budget__grid *g, int row, double horizon, double atom_probability,
                                   double successes, double failures, saferl_rng *rng, double *xi, size_t draws) {
    const size_t cells = SAFERL_BUDGET__GRID_U * SAFERL_BUDGET__GRID_M;
    const double z_step = 2.0 * SAFERL_BUDGET__GRID_Z / SAFERL_BUDGET__GRID_M;
    const size_t first = row >= 0 ? (size_t)row * SAFERL_BUDGET__GRID_M : 0;
    const size_t last = row >= 0 ? first + SAFERL_BUDGET__GRID_M - 1 : cells - 1;
    const double base = first > 0 ? g->cumulative[first - 1] : 0.0;
    size_t m, i;
    for (m = 0; m < draws; ++m) {
        double target, sum = 0.0, log_a, a, b;
        size_t low = first, high = last, j, k;
        if (atom_probability > 0.0 && saferl_rng_uniform(rng) < atom_probability) {
            double x = saferl_budget__sample_gamma(rng, successes), y = saferl_budget__sample_gamma(rng, failures);
            xi[m] = horizon * x / (x + y);
            continue;
        }
        target = base + saferl_rng_uniform(rng) * (g->cumulative[last] - base);
        while (low < high) { /* the first cell whose cumulative weight exceeds the target */
            size_t mid = low + (high - low) / 2;
            if (g->cumulative[mid] > target) high = mid;
            else low = mid + 1;
        }
        j = low / SAFERL_BUDGET__GRID_M;
        k = low % SAFERL_BUDGET__GRID_M;
        log_a = g->u_low + ((double)j + saferl_rng_uniform(rng)) * g->u_step;
        a = exp(log_a);
        b = exp(log_a + g->location[j] +
                g->scale[j] * (-SAFERL_BUDGET__GRID_Z + ((double)k + saferl_rng_uniform(rng)) * z_step));
        for (i = 0; i < pattern_count; ++i) { /* the prompts of one (D_i, F_i) share their law */
            const double *pattern = patterns + 3 * i;
            saferl_budget__gamma_law solved, failed;
            double n;
            saferl_budget__gamma_prepare(a + pattern[0], &solved);
            saferl_budget__gamma_prepare(b + pattern[1], &failed);
            for (n = 0.0; n < pattern[2]; n += 1.0) {
                double x = saferl_budget__gamma_draw(rng, &solved), y = saferl_budget__gamma_draw(rng, &failed);
                sum += x > 0.0 ? 1.0 + y / x : SAFERL_BUDGET__INF;
            }
        }
        xi[m] = horizon * prompt_count / sum; /* 0 when a draw's E[T] overflowed */
    }
}

/* The spreads the data do not rule out: the rows of u whose likelihood, m integrated out
   under its flat prior (an integrated likelihood: Berger, Liseo and Wolpert 1999,
   "Integrated likelihood methods for eliminating nuisance parameters"), lies within
   critical / 2 of the best, and spread 0 itself (the atom's B(D, F), integrated the same
   way) when it does. The grid's row weights are prior x likelihood x m's measure, so the
   prior comes off again. Sets *low_row (largest spread) and *high_row (smallest), -1 when
   no row is in, and returns 1 when spread 0 is in. */
static int saferl_budget__spread_set(const saferl_budget__grid *g, double log_atom, double critical, int *low_row,
                                     int *high_row) {
    double row_loglik[SAFERL_BUDGET__GRID_U], best = log_atom;
    const double total = g->cumulative[SAFERL_BUDGET__GRID_U * SAFERL_BUDGET__GRID_M - 1];
    const double shift = g->log_evidence - log(total * g->u_step); /* back to likelihood x dm */
    int j;
    for (j = 0; j < SAFERL_BUDGET__GRID_U; ++j) {
        double below = j > 0 ? g->cumulative[j * SAFERL_BUDGET__GRID_M - 1] : 0.0;
        double row = g->cumulative[(j + 1) * SAFERL_BUDGET__GRID_M - 1] - below;
        row_loglik[j] = row > 0.0 ? log(row) + shift - saferl_budget__log_prior(g->u_low + (j + 0.5) * g->u_step)
                                  : -SAFERL_BUDGET__INF;
        if (row_loglik[j] > best) best = row_loglik[j];
    }
    *low_row = *high_row = -1;
    for (j = 0; j < SAFERL_BUDGET__GRID_U; ++j) {
        if (2.0 * (best - row_loglik[j]) <= critical) {
            if (*low_row < 0) *low_row = j;
            *high_row = j;
        }
    }
    return 2.0 * (best - log_atom) <= critical;
}

/* The posterior interval widened to hold, at every spread the data do not rule out, the
   interval given that spread (Berger and Boos 1994, "P values maximized over a confidence
   set for the nuisance parameter"): xi falls as the spread grows (a spread raises
   mean_i E[T_i], Jensen), so the lower limit comes from the largest spread in the set and
   the upper from the smallest, spread 0 by the atom's Beta(D, F). The draws continue the
   posterior's stream into its buffer, whose quantiles are already read. */
static void saferl_budget__widen_interval(const double *patterns, size_t pattern_count, double prompt_count,
                                          const saferl_budget__grid *g, double successes, double failures,
                                          double alpha, saferl_rng *rng, double *draws, size_t draw_count,
                                          saferl_budget_set_summary *s) {
    /* xi_lo, xi_hi start at the posterior's */
    const double z = saferl_budget__normal_quantile(1.0 - alpha / 2.0);
    int low_row, high_row, zero = saferl_budget__spread_set(g, saferl_budget__log_beta(successes, failures), z * z,
                                                            &low_row, &high_row);
    double tri, tetra, limit;
    s->spread_lo = 0.0;
    s->spread_hi = 0.0;
    if (low_row >= 0) {
        saferl_budget__polygamma(exp(g->u_low + (low_row + 0.5) * g->u_step), &tri, &tetra);
        s->spread_hi = sqrt(tri);
        saferl_budget__draw_xi(patterns, pattern_count, prompt_count, g, low_row, s->horizon, 0.0, successes,
                               failures, rng, draws, draw_count);
        saferl_budget__sort(draws, draw_count);
        limit = saferl_budget__quantile(draws, draw_count, alpha / 2.0);
        if (limit < s->xi_lo) s->xi_lo = limit;
    }
    if (!zero && high_row >= 0) {
        saferl_budget__polygamma(exp(g->u_low + (high_row + 0.5) * g->u_step), &tri, &tetra);
        s->spread_lo = sqrt(tri);
    }
    if (zero || high_row >= 0) {
        saferl_budget__draw_xi(patterns, pattern_count, prompt_count, g, zero ? -1 : high_row, s->horizon,
                               zero ? 1.0 : 0.0, successes, failures, rng, draws, draw_count);
        saferl_budget__sort(draws, draw_count);
        limit = saferl_budget__quantile(draws, draw_count, 1.0 - alpha / 2.0);
        if (limit > s->xi_hi) s->xi_hi = limit;
    }
}

/* The posterior interval repaired at the boundary only: the half-Cauchy prior has no mass
   at spread 0, and there (and only there, README.md's grid) the posterior interval misses,
   always below the truth. When the integrated likelihood ratio of spread 0 lies within the
   boundary's critical value, the 1 - 2 alpha quantile of chi2_1 (its law there is
   1/2 chi2_0 + 1/2 chi2_1: Self and Liang 1987), the upper end becomes at least the
   all-alike interval's, q ~ Beta(D, F), and upper_raised says when that moved it. The
   lower end stays the posterior's. */
static void saferl_budget__boundary_interval(const saferl_budget__grid *g, double successes, double failures,
                                             double alpha, saferl_rng *rng, double *draws, size_t draw_count,
                                             saferl_budget_set_summary *s) {
    const double z = saferl_budget__normal_quantile(1.0 - alpha);
    int low_row, high_row;
    double limit;
    if (!saferl_budget__spread_set(g, saferl_budget__log_beta(successes, failures), z * z, &low_row, &high_row))
        return;
    saferl_budget__draw_xi(NULL, 0, 0.0, g, -1, s->horizon, 1.0, successes, failures, rng, draws, draw_count);
    saferl_budget__sort(draws, draw_count);
    limit = saferl_budget__quantile(draws, draw_count, 1.0 - alpha / 2.0);
    if (limit > s->xi_hi) {
        s->xi_hi = limit;
        s->upper_raised = 1;
    }
}

/* the public size is this grid's */
typedef char saferl_budget__grid_doubles_check
    [SAFERL_BUDGET_SET_GRID_DOUBLES == SAFERL_BUDGET__SCAN + SAFERL_BUDGET__GRID_U * SAFERL_BUDGET__GRID_M ? 1 : -1];

SAFERL_BUDGET_API size_t saferl_budget_set_memory_size(const saferl_budget_desc *desc, size_t prompt_count) {
    saferl_budget_desc d = saferl_budget_desc_defaults(desc);
    uint64_t bytes;
    if ((uint64_t)prompt_count > ((uint64_t)1 << 58)) return 0; /* the product below stays in 64 bits */
    bytes = ((uint64_t)d.draws + SAFERL_BUDGET_SET_GRID_DOUBLES +
             SAFERL_BUDGET_SET_PROMPT_DOUBLES * (uint64_t)prompt_count) * sizeof(double);
    return (uint64_t)(size_t)bytes == bytes ? (size_t)bytes : 0; /* 0: too large for size_t */
}

/* Fills the regime and the E[T] side from xi, xi_lo, xi_hi and H. */
static void saferl_budget__finish_set(saferl_budget_set_summary *s, const saferl_budget_desc *d) {
    s->mean_tokens = s->xi > 0.0 ? s->horizon / s->xi : SAFERL_BUDGET__INF;
    s->mean_tokens_lo = s->xi_hi > 0.0 ? s->horizon / s->xi_hi : SAFERL_BUDGET__INF;
    s->mean_tokens_hi = s->xi_lo > 0.0 ? s->horizon / s->xi_lo : SAFERL_BUDGET__INF;
    s->regime = saferl_budget_regime_of(s->xi, d);
    s->regime_is_certain = saferl_budget_regime_of(s->xi_lo, d) == saferl_budget_regime_of(s->xi_hi, d);
}

/* The hierarchical estimate's method: its prior on the spread, and the raise when there was one. */
static const char *saferl_budget__set_method(saferl_budget_spread_prior spread_prior, int upper_raised) {
#define SAFERL_BUDGET__HIERARCHICAL "hierarchical Bayes: prompts' hazards Beta(a, b), (a, b) integrated on a grid"
#define SAFERL_BUDGET__RAISED "; upper end raised to the all-alike interval's (all prompts alike not rejected)"
    static const char *const method[2][2] = {
        {SAFERL_BUDGET__HIERARCHICAL " under a half-Cauchy prior on the spread, posterior draws",
         SAFERL_BUDGET__HIERARCHICAL " under a half-Cauchy prior on the spread, posterior draws" SAFERL_BUDGET__RAISED},
        {SAFERL_BUDGET__HIERARCHICAL "; prior on the spread: 1/2 at 0 (all prompts alike), else half-Cauchy; "
                                     "posterior draws",
         SAFERL_BUDGET__HIERARCHICAL "; prior on the spread: 1/2 at 0 (all prompts alike), else half-Cauchy; "
                                     "posterior draws" SAFERL_BUDGET__RAISED}};
#undef SAFERL_BUDGET__HIERARCHICAL
#undef SAFERL_BUDGET__RAISED
    return method[spread_prior == SAFERL_BUDGET_SPREAD_ATOM_AND_HALF_CAUCHY][upper_raised != 0];
}

SAFERL_BUDGET_API saferl_result saferl_budget_set_estimate(const saferl_budget_summary *per_prompt,
                                                           size_t prompt_count,
                                                           const saferl_budget_desc *desc, void *work,
                                                           size_t work_size, saferl_budget_set_summary *set) {
    saferl_budget_desc d = saferl_budget_desc_defaults(desc);
    saferl_budget_set_summary s;
    saferl_budget__beta_fit fit;
    saferl_budget__grid grid;
    double successes = 0.0, exposure = 0.0, max_horizon = 0.0, alpha, tetragamma, *draws = (double *)work, *patterns;
    saferl_result r;
    saferl_rng rng;
    size_t i, pattern_count;
    SAFERL_ASSERT(set != NULL && (per_prompt != NULL || prompt_count == 0));
    if ((r = saferl_budget__check_desc(&d)) != SAFERL_OK) return r;
    if ((d.spread_prior != SAFERL_BUDGET_SPREAD_HALF_CAUCHY &&
         d.spread_prior != SAFERL_BUDGET_SPREAD_ATOM_AND_HALF_CAUCHY) ||
        (d.interval != SAFERL_BUDGET_INTERVAL_POSTERIOR && d.interval != SAFERL_BUDGET_INTERVAL_WIDENED &&
         d.interval != SAFERL_BUDGET_INTERVAL_BOUNDARY))
        return SAFERL_ERR_INVALID_ARGUMENT; /* checked here only: no other function reads them */
    if (prompt_count == 0) return SAFERL_ERR_NO_DATA;
    memset(&s, 0, sizeof s);
    for (i = 0; i < prompt_count; ++i) {
        const saferl_budget_summary *p = &per_prompt[i];
        if ((r = saferl_budget__check_summary(p)) != SAFERL_OK) return r;
        s.attempts += p->attempts;
        s.successes += p->successes;
        s.unsolved_prompts += p->successes == 0;
        successes += (double)p->successes;
        exposure += p->exposure;
        if (p->horizon > max_horizon) max_horizon = p->horizon;
    }
    if (saferl_budget_set_memory_size(&d, prompt_count) == 0) return SAFERL_ERR_INVALID_ARGUMENT;
    if (!work || work_size < saferl_budget_set_memory_size(&d, prompt_count)) return SAFERL_ERR_BUFFER_TOO_SMALL;
    s.prompts = prompt_count;
    s.horizon = d.horizon > 0.0 ? d.horizon : max_horizon;
    alpha = 1.0 - d.confidence;
    if (successes == 0.0 || prompt_count == 1 || successes == exposure) {
        /* one prompt: its own geometric estimate and exact interval (a spread across one
           prompt cannot be fitted). No success anywhere: mean_i E[T_i] >= 1 / mean_i q_i
           (Jensen), and the exact bound on the pooled q bounds xi from above. Every attempt
           solved at its first token: no failed token to fit a spread on (b -> 0); every
           E[T_i] is near 1, and the pooled q's exact interval says how near */
        double q_lo, q_hi;
        r = saferl_budget_proportion_interval(successes, exposure, d.confidence, &q_lo, &q_hi);
        if (r != SAFERL_OK) return r;
        s.method = successes == 0.0        ? "no success: exact upper bound of xi (Jensen, Clopper-Pearson)"
                   : prompt_count == 1     ? "one prompt: censored geometric MLE, exact interval"
                                           : "every attempt solved at its first token: pooled geometric MLE, "
                                             "exact interval";
        s.xi = s.horizon * successes / exposure;
        s.xi_lo = s.horizon * q_lo;
        s.xi_hi = s.horizon * q_hi;
        s.xi_is_upper_bound = successes == 0.0;
        s.interval = SAFERL_BUDGET_INTERVAL_POSTERIOR;
        s.posterior_lo = s.xi_lo;
        s.posterior_hi = s.xi_hi;
        saferl_budget__finish_set(&s, &d);
        *set = s;
        return successes > 0.0 ? SAFERL_OK : SAFERL_BOUND_ONLY;
    }
    patterns = draws + d.draws + SAFERL_BUDGET_SET_GRID_DOUBLES;
    pattern_count = saferl_budget__group_patterns(per_prompt, prompt_count, patterns);
    if (!saferl_budget__fit_beta(patterns, pattern_count, successes, exposure, &fit))
        return SAFERL_ERR_DID_NOT_CONVERGE;
    if (!saferl_budget__grid_fill(patterns, pattern_count, &fit, draws + d.draws, &grid))
        return SAFERL_ERR_DID_NOT_CONVERGE;
    if (d.spread_prior == SAFERL_BUDGET_SPREAD_ATOM_AND_HALF_CAUCHY)
        s.spread_zero_probability = saferl_budget__atom_probability(&grid, successes, exposure - successes);
    saferl_rng_seed(&rng, d.seed);
    saferl_budget__draw_xi(patterns, pattern_count, (double)prompt_count, &grid, -1, s.horizon,
                           s.spread_zero_probability, successes, exposure - successes, &rng, draws, d.draws);
    saferl_budget__sort(draws, d.draws);
    s.posterior_lo = saferl_budget__quantile(draws, d.draws, alpha / 2.0);
    s.posterior_hi = saferl_budget__quantile(draws, d.draws, 1.0 - alpha / 2.0);
    s.xi = saferl_budget__quantile(draws, d.draws, 0.5);
    s.xi_lo = s.posterior_lo;
    s.xi_hi = s.posterior_hi;
    s.interval = d.interval;
    if (d.interval == SAFERL_BUDGET_INTERVAL_WIDENED)
        saferl_budget__widen_interval(patterns, pattern_count, (double)prompt_count, &grid, successes,
                                      exposure - successes, alpha, &rng, draws, d.draws, &s);
    else if (d.interval == SAFERL_BUDGET_INTERVAL_BOUNDARY)
        saferl_budget__boundary_interval(&grid, successes, exposure - successes, alpha, &rng, draws, d.draws, &s);
    s.method = saferl_budget__set_method(d.spread_prior, s.upper_raised);
    s.extrapolated = s.unsolved_prompts > 0;
    s.prior_a = exp(fit.log_a);
    s.prior_b = exp(fit.log_b);
    saferl_budget__polygamma(s.prior_a, &s.spread, &tetragamma);
    s.spread = sqrt(s.spread);
    s.log_likelihood = fit.loglik;
    saferl_budget__finish_set(&s, &d);
    *set = s;
    return SAFERL_OK;
}

/* ---- Kaplan-Meier ---------------------------------------------------------------------- */

/* The largest horizon, or 0 when an attempt is invalid. */
static int32_t saferl_budget__max_horizon(const saferl_budget_attempt *attempts, size_t count) {
    int32_t max_horizon = 0;
    size_t i;
    for (i = 0; i < count; ++i) {
        if (saferl_budget_check_attempt(&attempts[i], NULL) != SAFERL_OK) return 0;
        if (attempts[i].horizon > max_horizon) max_horizon = attempts[i].horizon;
    }
    return max_horizon;
}

SAFERL_BUDGET_API size_t saferl_budget_kaplan_meier_memory_size(const saferl_budget_attempt *attempts,
                                                                size_t count) {
    size_t slots = (size_t)saferl_budget__max_horizon(attempts, count) + 1;
    if (slots == 1 || slots > (size_t)-1 / (2 * sizeof(double))) return 0;
    return 2 * slots * sizeof(double);
}

SAFERL_BUDGET_API saferl_result saferl_budget_kaplan_meier(const saferl_budget_attempt *attempts,
                                                           size_t count, void *work, size_t work_size,
                                                           saferl_budget_km_step *steps,
                                                           size_t step_capacity, size_t *step_count) {
    int32_t max_horizon, t;
    size_t slots, i, needed = 0, written = 0;
    double *events, *leaving, at_risk, survival = 1.0, greenwood = 0.0;
    SAFERL_ASSERT(step_count != NULL && (attempts != NULL || count == 0));
    if (count == 0) return SAFERL_ERR_NO_DATA;
    max_horizon = saferl_budget__max_horizon(attempts, count);
    if (max_horizon == 0) return SAFERL_ERR_INVALID_ARGUMENT;
    slots = (size_t)max_horizon + 1;
    if (!work || work_size < saferl_budget_kaplan_meier_memory_size(attempts, count))
        return SAFERL_ERR_BUFFER_TOO_SMALL;
    /* events[t]: successes at t; leaving[t]: attempts whose follow-up ends at t */
    events = (double *)work;
    leaving = events + slots;
    memset(work, 0, 2 * slots * sizeof(double));
    for (i = 0; i < count; ++i) {
        int32_t time = attempts[i].tokens == SAFERL_BUDGET_CENSORED ? attempts[i].horizon : attempts[i].tokens;
        if (attempts[i].tokens != SAFERL_BUDGET_CENSORED) events[time] += 1.0;
        leaving[time] += 1.0;
    }
    for (t = 1; t <= max_horizon; ++t) needed += events[t] > 0.0;
    *step_count = needed;
    if (needed > step_capacity || (needed && !steps)) return SAFERL_ERR_BUFFER_TOO_SMALL;
    at_risk = (double)count;
    for (t = 1; t <= max_horizon; ++t) {
        if (events[t] > 0.0) {
            double d = events[t], n = at_risk;
            saferl_budget_km_step *step = &steps[written++];
            survival *= 1.0 - d / n;
            if (n > d) greenwood += d / (n * (n - d));
            step->time = t;
            step->at_risk = n;
            step->events = d;
            step->survival = survival;
            /* at S = 0 Greenwood's sum is infinite and S * sqrt(sum) undefined; report 0 */
            step->survival_se = n > d ? survival * sqrt(greenwood) : 0.0;
        }
        at_risk -= leaving[t];
    }
    return SAFERL_OK;
}

SAFERL_BUDGET_API double saferl_budget_km_survival(const saferl_budget_km_step *steps, size_t step_count,
                                                   double t) {
    size_t lo = 0, hi = step_count;
    if (t != t) return saferl_budget__nan(); /* NaN in, NaN out: no time is "before" NaN */
    /* the number of steps with time <= t */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (steps[mid].time <= t) lo = mid + 1;
        else hi = mid;
    }
    return lo == 0 ? 1.0 : steps[lo - 1].survival;
}

/* Steps as saferl_budget_kaplan_meier writes them: finite, times rising, S in [0, 1]
   falling, 0 <= events <= at_risk. The caller may have built them. */
static saferl_result saferl_budget__check_km_steps(const saferl_budget_km_step *steps, size_t step_count) {
    double previous_time = 0.0, previous_survival = 1.0;
    size_t i;
    for (i = 0; i < step_count; ++i) {
        const saferl_budget_km_step *s = &steps[i];
        if (!saferl_budget__is_finite(s->time) || !saferl_budget__is_finite(s->survival) ||
            !saferl_budget__is_finite(s->at_risk) || !saferl_budget__is_finite(s->events))
            return SAFERL_ERR_NOT_FINITE;
        if (!(s->time > previous_time) || !(s->survival >= 0.0 && s->survival <= previous_survival) ||
            !(s->events >= 0.0 && s->events <= s->at_risk))
            return SAFERL_ERR_INVALID_ARGUMENT;
        previous_time = s->time;
        previous_survival = s->survival;
    }
    return SAFERL_OK;
}

SAFERL_BUDGET_API saferl_result saferl_budget_km_restricted_mean(const saferl_budget_km_step *steps,
                                                                 size_t step_count, double tau,
                                                                 double *mean, double *se) {
    double area = 0.0, previous_time = 0.0, previous_survival = 1.0, tail = 0.0, variance = 0.0;
    size_t i, inside = 0;
    saferl_result r;
    SAFERL_ASSERT(mean != NULL && (steps != NULL || step_count == 0));
    if (!saferl_budget__is_finite(tau)) return SAFERL_ERR_NOT_FINITE;
    if (tau < 0.0) return SAFERL_ERR_INVALID_ARGUMENT;
    if ((r = saferl_budget__check_km_steps(steps, step_count)) != SAFERL_OK) return r;
    for (i = 0; i < step_count && steps[i].time <= tau; ++i) {
        area += previous_survival * (steps[i].time - previous_time);
        previous_time = steps[i].time;
        previous_survival = steps[i].survival;
        inside = i + 1;
    }
    area += previous_survival * (tau - previous_time);
    /* Var = sum_j A_j^2 d_j / (n_j (n_j - d_j)), A_j = integral from t_j to tau of S */
    tail = previous_survival * (tau - previous_time);
    for (i = inside; i-- > 0;) {
        double n = steps[i].at_risk, d = steps[i].events;
        if (n > d) variance += tail * tail * d / (n * (n - d));
        if (i > 0) tail += steps[i - 1].survival * (steps[i].time - steps[i - 1].time);
    }
    if (!saferl_budget__is_finite(area) || !saferl_budget__is_finite(variance)) return SAFERL_ERR_NOT_FINITE;
    *mean = area;
    if (se) *se = sqrt(variance);
    return SAFERL_OK;
}

/* ---- theory helpers -------------------------------------------------------------------- */

SAFERL_BUDGET_API double saferl_budget_reward_variance(double p) {
    if (!(p >= 0.0 && p <= 1.0)) return saferl_budget__nan();
    return p * (1.0 - p);
}

SAFERL_BUDGET_API double saferl_budget_informative_probability(double p, int group_size) {
    double g = group_size;
    if (!(p >= 0.0 && p <= 1.0) || group_size < 1) return saferl_budget__nan();
    /* 1 - p^G - (1-p)^G, with the larger power through expm1 so small p keeps its digits */
    if (p <= 0.5) return -expm1(g * log1p(-p)) - pow(p, g) + 0.0; /* + 0.0: never -0 */
    return -expm1(g * log(p)) - pow(1.0 - p, g) + 0.0;
}

/* C(m, k) / C(n, k) = prod_{i<k} (m - i) / (n - i), 0 when m < k. */
static double saferl_budget__choose_ratio(int m, int n, int k) {
    double ratio = 1.0;
    int i;
    if (m < k) return 0.0;
    for (i = 0; i < k; ++i) ratio *= (double)(m - i) / (double)(n - i);
    return ratio;
}

SAFERL_BUDGET_API double saferl_budget_informative_estimate(int n, int c, int group_size) {
    if (group_size < 1 || n < group_size || c < 0 || c > n) return saferl_budget__nan();
    return 1.0 - saferl_budget__choose_ratio(c, n, group_size) -
           saferl_budget__choose_ratio(n - c, n, group_size);
}

SAFERL_BUDGET_API double saferl_budget_pass_at_k(int n, int c, int k) {
    double miss = 1.0;
    int i;
    if (k < 1 || n < k || c < 0 || c > n) return saferl_budget__nan();
    if (n - c < k) return 1.0;
    /* C(n-c, k)/C(n, k) as a product of factors in [0, 1]: over the c values of i in
       (n-c, n] as 1 - k/i (Chen et al.), or over k values as 1 - c/(n-i); the shorter one */
    if (c <= k) {
        for (i = n - c + 1; i <= n; ++i) miss *= 1.0 - (double)k / (double)i;
    } else {
        for (i = 0; i < k; ++i) miss *= 1.0 - (double)c / (double)(n - i);
    }
    return 1.0 - miss;
}

SAFERL_BUDGET_API double saferl_budget_pass_all_k(int n, int c, int k) {
    if (k < 1 || n < k || c < 0 || c > n) return saferl_budget__nan();
    return saferl_budget__choose_ratio(c, n, k);
}

SAFERL_BUDGET_API double saferl_budget_samples_for_success(double p, double delta) {
    double n, log_miss;
    int step;
    if (!(p >= 0.0 && p <= 1.0) || !(delta > 0.0 && delta < 1.0)) return saferl_budget__nan();
    if (p == 0.0) return SAFERL_BUDGET__INF;
    if (p == 1.0) return 1.0;
    /* smallest n with (1 - p)^n <= delta: the closed form ln(delta) / ln(1 - p), rounded up */
    log_miss = log1p(-p);
    n = ceil(log(delta) / log_miss);
    if (n < 1.0) n = 1.0;
    /* Beyond 2^53 doubles are spaced more than 1 apart: n - 1 == n, and the count is only
       known to the closed form's rounding (relative 1e-15). Past the largest double the
       closed form overflows to +infinity: "more than 1.8e308". */
    if (!(n < SAFERL_BUDGET__EXACT_INTEGERS)) return n;
    /* the division may round across an integer: at most a step each way fixes it */
    for (step = 0; step < 2 && n > 1.0 && exp((n - 1.0) * log_miss) <= delta; ++step) n -= 1.0;
    for (step = 0; step < 2 && exp(n * log_miss) > delta; ++step) n += 1.0;
    return n;
}

SAFERL_BUDGET_API double saferl_budget_geometric_success_probability(double hazard, double horizon) {
    if (!(hazard >= 0.0 && hazard <= 1.0) || !(horizon >= 0.0)) return saferl_budget__nan();
    if (hazard == 1.0) return horizon >= 1.0 ? 1.0 : 0.0;
    if (hazard == 0.0) return 0.0; /* also for H = infinity, where the product is 0 * inf */
    return -expm1(floor(horizon) * log1p(-hazard));
}

SAFERL_BUDGET_API double saferl_budget_xi_from_success_probability(double p) {
    if (!(p >= 0.0 && p <= 1.0)) return saferl_budget__nan();
    return p == 1.0 ? SAFERL_BUDGET__INF : -log1p(-p);
}

SAFERL_BUDGET_API double saferl_budget_success_probability_from_xi(double xi) {
    if (!(xi >= 0.0)) return saferl_budget__nan();
    return -expm1(-xi);
}

SAFERL_BUDGET_API double saferl_budget_markov_success_lower_bound(double xi) {
    if (!(xi >= 0.0)) return saferl_budget__nan();
    return xi > 1.0 ? 1.0 - 1.0 / xi : 0.0;
}

SAFERL_BUDGET_API double saferl_budget_horizon_for_xi(const saferl_budget_summary *summary,
                                                      double target_xi) {
    SAFERL_ASSERT(summary != NULL);
    if (!(target_xi >= 0.0) || !saferl_budget__is_finite(target_xi) || !(summary->hazard >= 0.0) ||
        !(summary->hazard <= 1.0))
        return saferl_budget__nan();
    return summary->hazard > 0.0 ? target_xi / summary->hazard : SAFERL_BUDGET__INF;
}

SAFERL_BUDGET_API double saferl_budget_model_success_probability(const saferl_budget_tokens_model *model,
                                                                 double horizon) {
    SAFERL_ASSERT(model != NULL);
    if (!(model->mean_tokens >= 1.0) || !saferl_budget__is_finite(model->mean_tokens) || !(horizon >= 0.0))
        return saferl_budget__nan();
    if (model->law == SAFERL_BUDGET_GEOMETRIC)
        return saferl_budget_geometric_success_probability(1.0 / model->mean_tokens, horizon);
    if (model->law == SAFERL_BUDGET_LOGNORMAL) {
        double sigma = model->log_sigma, location;
        if (!(sigma > 0.0) || !saferl_budget__is_finite(sigma)) return saferl_budget__nan();
        if (horizon == 0.0) return 0.0;
        location = log(model->mean_tokens) - sigma * sigma / 2.0; /* E[T] = e^(m + s^2/2) */
        return 0.5 * erfc(-(log(horizon) - location) / (sigma * 1.4142135623730950488));
    }
    return saferl_budget__nan();
}

/* ---- simulator ------------------------------------------------------------------------- */

SAFERL_BUDGET_API saferl_budget_sim_desc saferl_budget_sim_desc_defaults(const saferl_budget_sim_desc *desc) {
    saferl_budget_sim_desc d;
    memset(&d, 0, sizeof d);
    if (desc) d = *desc;
    if (d.prompts == 0) d.prompts = 64;
    if (d.group_size == 0) d.group_size = 8;
    if (d.horizon == 0.0) d.horizon = 1024.0;
    if (d.initial_mean_tokens == 0.0) d.initial_mean_tokens = 2048.0;
    if (d.learning_rate == 0.0) d.learning_rate = 0.05;
    return d;
}

SAFERL_BUDGET_API size_t saferl_budget_sim_memory_size(const saferl_budget_sim_desc *desc) {
    saferl_budget_sim_desc d = saferl_budget_sim_desc_defaults(desc);
    uint64_t bytes = (uint64_t)d.prompts * sizeof(double);
    return (uint64_t)(size_t)bytes == bytes ? (size_t)bytes : 0; /* 0: too large for size_t */
}

SAFERL_BUDGET_API saferl_result saferl_budget_sim_init(saferl_budget_sim *sim,
                                                       const saferl_budget_sim_desc *desc,
                                                       void *memory, size_t memory_size) {
    saferl_budget_sim_desc d = saferl_budget_sim_desc_defaults(desc);
    size_t needed = saferl_budget_sim_memory_size(&d);
    uint32_t i;
    SAFERL_ASSERT(sim != NULL);
    if (!saferl_budget__is_finite(d.horizon) || !saferl_budget__is_finite(d.initial_mean_tokens) ||
        !saferl_budget__is_finite(d.prompt_spread) || !saferl_budget__is_finite(d.learning_rate))
        return SAFERL_ERR_NOT_FINITE;
    if (!(d.horizon >= 1.0) || !(d.initial_mean_tokens >= 1.0) || d.prompt_spread < 0.0 ||
        !(d.learning_rate > 0.0))
        return SAFERL_ERR_INVALID_ARGUMENT;
    if (!memory || needed == 0 || memory_size < needed) return SAFERL_ERR_BUFFER_TOO_SMALL;
    memset(sim, 0, sizeof *sim);
    sim->desc = d;
    sim->hazard = (double *)memory;
    saferl_rng_seed(&sim->rng, d.seed);
    for (i = 0; i < d.prompts; ++i) {
        double mean = d.initial_mean_tokens;
        if (d.prompt_spread > 0.0) mean *= exp(d.prompt_spread * saferl_rng_normal(&sim->rng));
        sim->hazard[i] = mean > 1.0 ? 1.0 / mean : 1.0;
    }
    return SAFERL_OK;
}

SAFERL_BUDGET_API saferl_result saferl_budget_sim_create(saferl_budget_sim *sim,
                                                         const saferl_budget_sim_desc *desc) {
    saferl_budget_sim_desc d = saferl_budget_sim_desc_defaults(desc);
    size_t size = saferl_budget_sim_memory_size(&d);
    void *memory;
    saferl_result r;
    SAFERL_ASSERT(sim != NULL);
    if (size == 0) return SAFERL_ERR_INVALID_ARGUMENT;
    memory = d.allocator.allocate ? d.allocator.allocate(size, d.allocator.user_data)
                                  : SAFERL_MALLOC(size, d.allocator.user_data);
    if (!memory) return SAFERL_ERR_OUT_OF_MEMORY;
    r = saferl_budget_sim_init(sim, &d, memory, size);
    if (r != SAFERL_OK) {
        if (d.allocator.release) d.allocator.release(memory, d.allocator.user_data);
        else SAFERL_FREE(memory, d.allocator.user_data);
        return r;
    }
    sim->owned_memory = memory;
    return SAFERL_OK;
}

SAFERL_BUDGET_API void saferl_budget_sim_destroy(saferl_budget_sim *sim) {
    if (!sim || !sim->owned_memory) return;
    if (sim->desc.allocator.release) sim->desc.allocator.release(sim->owned_memory, sim->desc.allocator.user_data);
    else SAFERL_FREE(sim->owned_memory, sim->desc.allocator.user_data);
    sim->owned_memory = NULL;
    sim->hazard = NULL;
}

SAFERL_BUDGET_API double saferl_budget_sample_geometric(saferl_rng *rng, double hazard) {
    double u;
    SAFERL_ASSERT(rng != NULL);
    if (!(hazard > 0.0 && hazard <= 1.0)) return saferl_budget__nan(); /* and draws nothing */
    u = 1.0 - saferl_rng_uniform(rng); /* (0, 1]: the log stays finite */
    if (hazard == 1.0) return 1.0;
    return 1.0 + floor(log(u) / log1p(-hazard));
}

SAFERL_BUDGET_API saferl_result saferl_budget_sim_step(saferl_budget_sim *sim,
                                                       saferl_budget_sim_iteration *out) {
    const saferl_budget_sim_desc *d;
    double before = 0.0, after = 0.0, tokens = 0.0, successes = 0.0, informative = 0.0;
    uint32_t i, g;
    SAFERL_ASSERT(sim != NULL && sim->hazard != NULL);
    d = &sim->desc;
    for (i = 0; i < d->prompts; ++i) {
        double q = sim->hazard[i];
        uint32_t solved = 0;
        before += d->horizon * q;
        for (g = 0; g < d->group_size; ++g) {
            double t = saferl_budget_sample_geometric(&sim->rng, q);
            if (t <= d->horizon) {
                ++solved;
                tokens += t;
            } else {
                tokens += floor(d->horizon);
            }
        }
        successes += solved;
        if (solved > 0 && solved < d->group_size) {
            informative += 1.0;
            q += d->learning_rate / d->horizon;
            sim->hazard[i] = q < 1.0 ? q : 1.0;
        }
        after += d->horizon * sim->hazard[i];
    }
    sim->iteration += 1;
    sim->tokens_generated += tokens;
    if (out) {
        out->iteration = sim->iteration;
        out->mean_xi = after / d->prompts;
        out->informative_fraction = informative / d->prompts;
        out->success_rate = successes / ((double)d->prompts * d->group_size);
        out->tokens = tokens;
        out->xi_gain = (after - before) / d->prompts;
    }
    return SAFERL_OK;
}

SAFERL_BUDGET_API double saferl_budget_sim_progress_per_token(double xi, int group_size) {
    double p;
    if (!(xi > 0.0) || !saferl_budget__is_finite(xi) || group_size < 1) return saferl_budget__nan();
    p = saferl_budget_success_probability_from_xi(xi);
    return saferl_budget_informative_probability(p, group_size) * xi / p;
}

#endif /* SAFERL_BUDGET_IMPLEMENTATION_ONCE */
#endif /* SAFERL_BUDGET_IMPLEMENTATION */

/*
------------------------------------------------------------------------------------------
This software is available under 2 licenses -- choose whichever you prefer.
------------------------------------------------------------------------------------------
ALTERNATIVE A - MIT License
Copyright (c) 2026 the saferl authors
Permission is hereby granted, free of charge, to any person obtaining a copy of this
software and associated documentation files (the "Software"), to deal in the Software
without restriction, including without limitation the rights to use, copy, modify, merge,
publish, distribute, sublicense, and/or sell copies of the Software, and to permit persons
to whom the Software is furnished to do so, subject to the following conditions:
The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.
THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED,
INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR
PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE
FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR
OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER
DEALINGS IN THE SOFTWARE.
------------------------------------------------------------------------------------------
ALTERNATIVE B - Public Domain (www.unlicense.org)
This is free and unencumbered software released into the public domain.
Anyone is free to copy, modify, publish, use, compile, sell, or distribute this software,
either in source code form or as a compiled binary, for any purpose, commercial or
non-commercial, and by any means.
In jurisdictions that recognize copyright laws, the author or authors of this software
dedicate any and all copyright interest in the software to the public domain. We make this
dedication for the benefit of the public at large and to the detriment of our heirs and
successors. We intend this dedication to be an overt act of relinquishment in perpetuity of
all present and future rights to this software under copyright law.
THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED,
INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR
PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS BE LIABLE FOR ANY CLAIM, DAMAGES
OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT
OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
------------------------------------------------------------------------------------------
*/
