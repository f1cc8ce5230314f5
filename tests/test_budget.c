/* Unit tests of saferl_budget.h: closed forms, brute force on small cases, values from
   scipy/statsmodels written down as literals, and fixed-seed Monte-Carlo with stated
   tolerances. Runs natively (with the counting allocator), under sanitizers and under node
   as WebAssembly: the same file, the same expectations. */
#include "saferl_test.h"

#include <float.h>

#define SAFERL_BUDGET_IMPLEMENTATION
#include "../saferl_budget.h"

static const double z95 = 1.959963984540054; /* scipy.stats.norm.ppf(0.975) */

/* ---- the shared block ------------------------------------------------------------------ */

TEST(rng_matches_reference_streams) {
    /* splitmix64 from 0 and xoshiro256** from {1, 2, 3, 4}: the published first outputs */
    uint64_t state = 0;
    saferl_rng rng;
    CHECK(saferl_rng_splitmix64(&state) == 0xE220A8397B1DCDAFull);
    CHECK(saferl_rng_splitmix64(&state) == 0x6E789E6AA1B965F4ull);
    CHECK(saferl_rng_splitmix64(&state) == 0x06C45D188009454Full);
    rng.s[0] = 1; rng.s[1] = 2; rng.s[2] = 3; rng.s[3] = 4;
    CHECK(saferl_rng_u64(&rng) == 11520ull);
    CHECK(saferl_rng_u64(&rng) == 0ull);
    CHECK(saferl_rng_u64(&rng) == 1509978240ull);
    CHECK(saferl_rng_u64(&rng) == 1215971899390074240ull);
}

TEST(rng_streams_are_pinned_per_seed) {
    /* golden values: the same bits natively and in WebAssembly */
    saferl_rng rng;
    saferl_rng_seed(&rng, 42);
    {
        uint32_t a = saferl_rng_u32(&rng), b = saferl_rng_u32(&rng);
        double u = saferl_rng_uniform(&rng);
        uint32_t bounded = saferl_rng_bounded(&rng, 1000);
        printf("        rng seed 42: %08x %08x %.17g %u\n", (unsigned)a, (unsigned)b, u, (unsigned)bounded);
        CHECK(a == 0x15780b2eu);
        CHECK(b == 0x6104d986u);
        CHECK(u == 0.68004341102813937);
        CHECK(bounded == 924u);
    }
}

TEST(rng_distributions) {
    saferl_rng rng;
    int i, buckets[10] = {0};
    double sum = 0.0, sum_sq = 0.0, weights[4] = {0.1, 0.0, 0.6, 0.3};
    int picks[4] = {0, 0, 0, 0};
    const int n = 200000;
    saferl_rng_seed(&rng, 7);
    for (i = 0; i < n; ++i) {
        double u = saferl_rng_uniform(&rng);
        CHECK(u >= 0.0 && u < 1.0);
        ++buckets[saferl_rng_bounded(&rng, 10)];
    }
    for (i = 0; i < 10; ++i) CHECK(fabs(buckets[i] - n / 10.0) < 5.0 * sqrt(n * 0.09)); /* 5 sigma */
    for (i = 0; i < n; ++i) {
        double x = saferl_rng_normal(&rng);
        sum += x;
        sum_sq += x * x;
    }
    CHECK(fabs(sum / n) < 5.0 / sqrt((double)n));
    CHECK(fabs(sum_sq / n - 1.0) < 5.0 * sqrt(2.0 / n));
    for (i = 0; i < n; ++i) ++picks[saferl_rng_categorical(&rng, weights, 4)];
    CHECK(picks[1] == 0);
    for (i = 0; i < 4; ++i)
        CHECK(fabs(picks[i] - n * weights[i]) <= 5.0 * sqrt(n * weights[i] * (1 - weights[i])));
    CHECK(saferl_rng_bounded(&rng, 1) == 0);
    CHECK(saferl_rng_bounded(&rng, 0) == 0);
    weights[0] = weights[1] = weights[2] = weights[3] = 0.0;
    CHECK(saferl_rng_categorical(&rng, weights, 4) == 4);
    weights[2] = -1.0;
    CHECK(saferl_rng_categorical(&rng, weights, 4) == 4);
}

TEST(result_strings_are_distinct) {
    const char *names[14];
    int a, b;
    for (a = 0; a < 14; ++a) names[a] = saferl_result_string((saferl_result)(a - 12));
    for (a = 0; a < 14; ++a) {
        CHECK(names[a] != NULL && strcmp(names[a], "unknown result") != 0);
        for (b = a + 1; b < 14; ++b) CHECK(strcmp(names[a], names[b]) != 0);
    }
    CHECK(strcmp(saferl_result_string((saferl_result)-99), "unknown result") == 0);
    CHECK(strcmp(saferl_budget_version(), SAFERL_BUDGET_VERSION_STRING) == 0);
}

/* ---- attempts and CSV ------------------------------------------------------------------ */

TEST(attempt_validation) {
    saferl_budget_attempt a = {0, 100, 50};
    const char *reason = "unset";
    CHECK(saferl_budget_check_attempt(&a, &reason) == SAFERL_OK && reason == NULL);
    a.tokens = SAFERL_BUDGET_CENSORED;
    CHECK(saferl_budget_check_attempt(&a, NULL) == SAFERL_OK);
    a.tokens = 101;
    CHECK(saferl_budget_check_attempt(&a, &reason) == SAFERL_ERR_INVALID_ARGUMENT);
    CHECK(strcmp(reason, "tokens above the horizon") == 0);
    a.tokens = -5;
    CHECK(saferl_budget_check_attempt(&a, &reason) < 0 && strcmp(reason, "negative tokens") == 0);
    a.tokens = 0;
    CHECK(saferl_budget_check_attempt(&a, &reason) < 0);
    a.tokens = 10;
    a.horizon = 0;
    CHECK(saferl_budget_check_attempt(&a, &reason) < 0 && strcmp(reason, "horizon must be positive") == 0);
}

static const char *good_csv =
    "prompt_id,horizon,tokens\r\n"
    "# a comment\n"
    "alpha,1000,100\n"
    "\n"
    "\"be,ta\",1000,\n"
    "alpha, 1000 , -1\r\n"
    "\"be,ta\",500,500\n"
    "gamma,64,1";

TEST(csv_parses_good_rows) {
    saferl_budget_csv_row rows[8];
    saferl_budget_csv_error errors[4];
    size_t row_count = 99, error_count = 99;
    saferl_result r = saferl_budget_csv_parse(good_csv, strlen(good_csv), rows, 8, &row_count, errors, 4,
                                              &error_count);
    CHECK(r == SAFERL_OK);
    CHECK(row_count == 5 && error_count == 0);
    CHECK(rows[0].line == 3 && rows[0].horizon == 1000 && rows[0].tokens == 100);
    CHECK(rows[0].name_length == 5 && memcmp(good_csv + rows[0].name_offset, "alpha", 5) == 0);
    CHECK(rows[1].line == 5 && rows[1].tokens == SAFERL_BUDGET_CENSORED);
    CHECK(rows[1].name_length == 5 && memcmp(good_csv + rows[1].name_offset, "be,ta", 5) == 0);
    CHECK(rows[2].tokens == SAFERL_BUDGET_CENSORED && rows[2].horizon == 1000);
    CHECK(rows[3].horizon == 500 && rows[3].tokens == 500);
    CHECK(rows[4].line == 8 && rows[4].horizon == 64 && rows[4].tokens == 1);
    /* sizing call: no buffer, the count comes back */
    r = saferl_budget_csv_parse(good_csv, strlen(good_csv), NULL, 0, &row_count, NULL, 0, &error_count);
    CHECK(r == SAFERL_ERR_BUFFER_TOO_SMALL && row_count == 5);
    r = saferl_budget_csv_parse(good_csv, strlen(good_csv), rows, 2, &row_count, NULL, 0, &error_count);
    CHECK(r == SAFERL_ERR_BUFFER_TOO_SMALL && row_count == 5 && rows[1].line == 5);
}

TEST(csv_reports_every_bad_line) {
    static const char *bad =
        "p,100,10\n"          /* 1 good */
        "p,100,-3\n"          /* 2 negative tokens */
        "p,100,101\n"         /* 3 tokens above the horizon */
        "p,0,1\n"             /* 4 horizon must be positive */
        "p,100,nan\n"         /* 5 NaN */
        "p,100\n"             /* 6 wrong number of fields */
        "p,100,1,2\n"         /* 7 too many fields */
        "p,abc,1\n"           /* 8 not a number */
        "p,100,2.5\n"         /* 9 not a whole number */
        "\"p,100,1\n"         /* 10 unterminated quote */
        ",100,1\n"            /* 11 empty prompt_id */
        "p,99999999999,1\n"   /* 12 too large */
        "p,100,0\n"           /* 13 tokens must be at least 1 */
        "q,100,\n";           /* 14 good */
    saferl_budget_csv_row rows[4];
    saferl_budget_csv_error errors[16];
    size_t row_count, error_count, i;
    static const uint32_t lines[12] = {2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13};
    saferl_result r = saferl_budget_csv_parse(bad, strlen(bad), rows, 4, &row_count, errors, 16, &error_count);
    CHECK(r == SAFERL_ERR_PARSE);
    CHECK(row_count == 2 && error_count == 12);
    for (i = 0; i < 12 && i < error_count; ++i) CHECK(errors[i].line == lines[i]);
    CHECK(strcmp(errors[0].reason, "negative tokens") == 0 && errors[0].column == 7);
    CHECK(strcmp(errors[1].reason, "tokens above the horizon") == 0);
    CHECK(strcmp(errors[2].reason, "horizon must be positive") == 0 && errors[2].column == 3);
    CHECK(errors[3].code == SAFERL_ERR_NOT_FINITE);
    CHECK(strcmp(errors[6].reason, "not a number") == 0);
    CHECK(strcmp(errors[7].reason, "not a whole number") == 0);
    CHECK(strcmp(errors[9].reason, "empty prompt_id") == 0);
    CHECK(strcmp(errors[10].reason, "number too large") == 0);
    CHECK(rows[0].line == 1 && rows[1].line == 14 && rows[1].tokens == SAFERL_BUDGET_CENSORED);
    /* more errors than room: the count is still complete */
    r = saferl_budget_csv_parse(bad, strlen(bad), rows, 4, &row_count, errors, 3, &error_count);
    CHECK(r == SAFERL_ERR_PARSE && error_count == 12);
}

TEST(csv_empty_and_header_only) {
    size_t rows, errors;
    CHECK(saferl_budget_csv_parse("", 0, NULL, 0, &rows, NULL, 0, &errors) == SAFERL_ERR_NO_DATA);
    CHECK(saferl_budget_csv_parse(NULL, 0, NULL, 0, &rows, NULL, 0, &errors) == SAFERL_ERR_NO_DATA);
    CHECK(saferl_budget_csv_parse("prompt_id,horizon,tokens\n", 25, NULL, 0, &rows, NULL, 0, &errors) ==
          SAFERL_ERR_NO_DATA);
    CHECK(rows == 0 && errors == 0);
    /* a header that is not first is a bad row, not a header */
    CHECK(saferl_budget_csv_parse("a,1,1\nprompt_id,horizon,tokens\n", 31, NULL, 0, &rows, NULL, 0, &errors) ==
          SAFERL_ERR_PARSE);
    CHECK(errors == 1);
}

TEST(prompts_are_indexed_and_grouped) {
    saferl_budget_csv_row rows[8];
    saferl_budget_attempt attempts[8], sorted[8];
    size_t row_count, error_count, prompt_count = 0, first_row[8], start[4];
    size_t work_size = saferl_budget_index_prompts_memory_size(8);
    void *work = malloc(work_size);
    saferl_budget_csv_parse(good_csv, strlen(good_csv), rows, 8, &row_count, NULL, 0, &error_count);
    CHECK(saferl_budget_index_prompts(good_csv, rows, row_count, work, work_size - 1, attempts, &prompt_count,
                                      first_row) == SAFERL_ERR_BUFFER_TOO_SMALL);
    CHECK(saferl_budget_index_prompts(good_csv, rows, row_count, work, work_size, attempts, &prompt_count,
                                      first_row) == SAFERL_OK);
    CHECK(prompt_count == 3);
    CHECK(attempts[0].prompt == 0 && attempts[1].prompt == 1 && attempts[2].prompt == 0);
    CHECK(attempts[3].prompt == 1 && attempts[4].prompt == 2);
    CHECK(first_row[0] == 0 && first_row[1] == 1 && first_row[2] == 4);
    CHECK(saferl_budget_group_by_prompt(attempts, row_count, prompt_count, sorted, start) == SAFERL_OK);
    CHECK(start[0] == 0 && start[1] == 2 && start[2] == 4 && start[3] == 5);
    CHECK(sorted[0].tokens == 100 && sorted[1].tokens == SAFERL_BUDGET_CENSORED); /* stable */
    CHECK(sorted[2].horizon == 1000 && sorted[3].horizon == 500 && sorted[4].horizon == 64);
    CHECK(saferl_budget_group_by_prompt(attempts, row_count, 2, sorted, start) == SAFERL_ERR_INVALID_ARGUMENT);
    free(work);
}

TEST(many_prompts_index_like_brute_force) {
    /* 3000 rows over 700 names: the hash table against a quadratic search */
    enum { N = 3000 };
    static char text[N * 16];
    static saferl_budget_csv_row rows[N];
    static saferl_budget_attempt attempts[N];
    size_t length = 0, row_count, error_count, prompts, i, j;
    size_t work_size = saferl_budget_index_prompts_memory_size(N);
    void *work = malloc(work_size);
    saferl_rng rng;
    int mismatches = 0;
    saferl_rng_seed(&rng, 3);
    for (i = 0; i < N; ++i)
        length += (size_t)sprintf(text + length, "n%u,10,%u\n", (unsigned)saferl_rng_bounded(&rng, 700),
                                  1u + (unsigned)saferl_rng_bounded(&rng, 10));
    CHECK(saferl_budget_csv_parse(text, length, rows, N, &row_count, NULL, 0, &error_count) == SAFERL_OK);
    CHECK(saferl_budget_index_prompts(text, rows, row_count, work, work_size, attempts, &prompts, NULL) ==
          SAFERL_OK);
    for (i = 0; i < N; ++i) {
        for (j = 0; j < i; ++j) {
            int same_name = rows[i].name_length == rows[j].name_length &&
                            memcmp(text + rows[i].name_offset, text + rows[j].name_offset, rows[i].name_length) == 0;
            if (same_name != (attempts[i].prompt == attempts[j].prompt)) ++mismatches;
        }
    }
    CHECK(mismatches == 0);
    CHECK(prompts <= 700 && prompts > 600);
    free(work);
}

/* ---- estimators: closed forms ---------------------------------------------------------- */

TEST(proportion_interval_matches_scipy) {
    /* Clopper-Pearson below 10 successes: scipy.stats.beta.ppf values */
    double lo, hi;
    CHECK(saferl_budget_proportion_interval(1, 50, 0.95, &lo, &hi) == SAFERL_OK);
    CHECK_NEAR(lo, 0.0005062279830408291, 1e-12);
    CHECK_NEAR(hi, 0.1064695457114999, 1e-12);
    saferl_budget_proportion_interval(3, 1400, 0.95, &lo, &hi);
    CHECK_NEAR(lo / 0.00044212685394752314, 1.0, 1e-9);
    CHECK_NEAR(hi / 0.006249450708395235, 1.0, 1e-9);
    saferl_budget_proportion_interval(9, 20000, 0.95, &lo, &hi);
    CHECK_NEAR(lo / 0.00020578864186616606, 1.0, 1e-9);
    CHECK_NEAR(hi / 0.0008540675189145951, 1.0, 1e-9);
    saferl_budget_proportion_interval(5, 5, 0.95, &lo, &hi);
    CHECK_NEAR(lo, 0.4781762498950185, 1e-12);
    CHECK(hi == 1.0);
    saferl_budget_proportion_interval(0, 1400, 0.95, &lo, &hi);
    CHECK(lo == 0.0);
    CHECK_NEAR(hi / 0.0026314455571032464, 1.0, 1e-9);
    saferl_budget_proportion_interval(40, 1000, 0.95, &lo, &hi);
    CHECK_NEAR(lo / 0.028727625285890797, 1.0, 1e-9);
    CHECK_NEAR(hi / 0.0540726968193685, 1.0, 1e-9);
    saferl_budget_proportion_interval(99, 5000, 0.95, &lo, &hi);
    CHECK_NEAR(lo / 0.01612086376950669, 1.0, 1e-9);
    CHECK_NEAR(hi / 0.024053716007288447, 1.0, 1e-9);
    /* Wilson from 100 successes on: the closed form */
    saferl_budget_proportion_interval(400, 10000, 0.95, &lo, &hi);
    {
        double p = 0.04, n = 10000, d = 1 + z95 * z95 / n, c = (p + z95 * z95 / (2 * n)) / d;
        double h = z95 * sqrt(p * (1 - p) / n + z95 * z95 / (4 * n * n)) / d;
        CHECK_NEAR(lo, c - h, 1e-14);
        CHECK_NEAR(hi, c + h, 1e-14);
    }
    CHECK(saferl_budget_proportion_interval(3, 2, 0.95, &lo, &hi) == SAFERL_ERR_INVALID_ARGUMENT);
    CHECK(saferl_budget_proportion_interval(1.5, 2, 0.95, &lo, &hi) == SAFERL_ERR_INVALID_ARGUMENT);
    CHECK(saferl_budget_proportion_interval(1, 2, 1.0, &lo, &hi) == SAFERL_ERR_INVALID_ARGUMENT);
    CHECK(saferl_budget_proportion_interval(1, NAN, 0.95, &lo, &hi) == SAFERL_ERR_NOT_FINITE);
}

TEST(normal_quantile_matches_scipy) {
    CHECK_NEAR(saferl_budget__normal_quantile(0.975), 1.959963984540054, 1e-14);
    CHECK_NEAR(saferl_budget__normal_quantile(0.995), 2.5758293035489004, 1e-14);
    CHECK_NEAR(saferl_budget__normal_quantile(0.3), -0.5244005127080409, 1e-14);
    CHECK_NEAR(saferl_budget__normal_quantile(1e-10), -6.361340902404056, 1e-12);
}

TEST(summary_closed_form) {
    /* horizon 1000: solved at 100 and 300 tokens, once not at all: D = 2, S = 1400 */
    saferl_budget_attempt a[3] = {{0, 1000, 100}, {0, 1000, 300}, {0, 1000, SAFERL_BUDGET_CENSORED}};
    saferl_budget_summary s;
    double lo, hi;
    CHECK(saferl_budget_summarize(a, 3, NULL, &s) == SAFERL_OK);
    CHECK(s.attempts == 3 && s.successes == 2 && s.prompts == 1);
    CHECK(s.exposure == 1400.0 && s.horizon == 1000.0);
    CHECK_NEAR(s.mean_tokens, 700.0, 1e-12);
    CHECK_NEAR(s.mean_tokens_se, sqrt(1400.0 * 1398.0 / 8.0), 1e-12);
    CHECK_NEAR(s.xi, 1000.0 * 2.0 / 1400.0, 1e-14);
    saferl_budget_proportion_interval(2, 1400, 0.95, &lo, &hi);
    CHECK_NEAR(s.xi_lo, 1000.0 * lo, 1e-12);
    CHECK_NEAR(s.xi_hi, 1000.0 * hi, 1e-12);
    CHECK_NEAR(s.mean_tokens_lo, 1.0 / hi, 1e-9);
    CHECK_NEAR(s.mean_tokens_hi, 1.0 / lo, 1e-9);
    CHECK(!s.xi_is_upper_bound);
    CHECK_NEAR(s.success_rate, 2.0 / 3.0, 1e-15);
    CHECK_NEAR(s.reward_variance, 2.0 / 9.0, 1e-15);
    CHECK_NEAR(s.model_success_probability, 1.0 - pow(1.0 - 2.0 / 1400.0, 1000.0), 1e-12);
    CHECK(s.regime == SAFERL_BUDGET_DEFICIENT && !s.regime_is_certain);
    CHECK_NEAR(saferl_budget_horizon_for_xi(&s, 1.5), 1050.0, 1e-9);
    CHECK_NEAR(saferl_budget_horizon_for_xi(&s, 2.0), 1400.0, 1e-9);
}

TEST(summary_reference_horizon_and_band) {
    saferl_budget_attempt a[4] = {{0, 500, 100}, {0, 1000, 300}, {0, 2000, 250}, {0, 2000, 50}};
    saferl_budget_desc desc = {0};
    saferl_budget_summary s;
    CHECK(saferl_budget_summarize(a, 4, &desc, &s) == SAFERL_OK);
    CHECK(s.horizon == 2000.0); /* the largest by default */
    CHECK_NEAR(s.xi, 2000.0 * 4.0 / 700.0, 1e-12);
    desc.horizon = 700.0;
    desc.balanced_low = 3.0;
    desc.balanced_high = 5.0;
    CHECK(saferl_budget_summarize(a, 4, &desc, &s) == SAFERL_OK);
    CHECK_NEAR(s.xi, 4.0, 1e-12);
    CHECK(s.regime == SAFERL_BUDGET_BALANCED);
}

TEST(all_censored_is_an_upper_bound_only) {
    saferl_budget_attempt a[2] = {{0, 700, SAFERL_BUDGET_CENSORED}, {0, 700, SAFERL_BUDGET_CENSORED}};
    saferl_budget_summary s, pooled;
    CHECK(saferl_budget_summarize(a, 2, NULL, &s) == SAFERL_BOUND_ONLY);
    CHECK(s.xi_is_upper_bound && s.xi == 0.0 && s.xi_lo == 0.0);
    /* Clopper-Pearson with no success: (1 - q)^S = alpha/2 */
    CHECK_NEAR(s.xi_hi, 700.0 * (1.0 - pow(0.025, 1.0 / 1400.0)), 1e-9);
    CHECK(isinf(s.mean_tokens) && isinf(s.mean_tokens_hi));
    CHECK(s.success_rate == 0.0 && s.reward_variance == 0.0);
    CHECK(saferl_budget_pool(&s, 1, NULL, &pooled) == SAFERL_BOUND_ONLY);
    CHECK(pooled.xi_is_upper_bound && pooled.xi_hi == s.xi_hi);
    {
        saferl_budget_summary two[2];
        two[0] = two[1] = s;
        CHECK(saferl_budget_pool(two, 2, NULL, &pooled) == SAFERL_BOUND_ONLY);
        CHECK(pooled.xi_is_upper_bound && pooled.xi == 0.0);
        CHECK_NEAR(pooled.xi_hi, 700.0 * (1.0 - pow(0.025, 1.0 / 2800.0)), 1e-9);
    }
}

TEST(bad_input_changes_nothing) {
    saferl_budget_attempt a[2] = {{0, 100, 10}, {0, 100, 101}};
    saferl_budget_summary s, before;
    saferl_budget_desc desc = {0};
    memset(&s, 0x5A, sizeof s);
    before = s;
    CHECK(saferl_budget_summarize(a, 2, NULL, &s) == SAFERL_ERR_INVALID_ARGUMENT);
    CHECK(saferl_budget_summarize(a, 0, NULL, &s) == SAFERL_ERR_NO_DATA);
    a[1].tokens = 50;
    desc.confidence = NAN;
    CHECK(saferl_budget_summarize(a, 2, &desc, &s) == SAFERL_ERR_NOT_FINITE);
    desc.confidence = 1.5;
    CHECK(saferl_budget_summarize(a, 2, &desc, &s) == SAFERL_ERR_INVALID_ARGUMENT);
    desc.confidence = 0.9;
    desc.balanced_low = 3.0;
    desc.balanced_high = 2.0;
    CHECK(saferl_budget_summarize(a, 2, &desc, &s) == SAFERL_ERR_INVALID_ARGUMENT);
    CHECK(memcmp(&s, &before, sizeof s) == 0);
    CHECK(saferl_budget_pool(&s, 0, NULL, &s) == SAFERL_ERR_NO_DATA);
    CHECK(isnan(saferl_budget_reward_variance(NAN)) && isnan(saferl_budget_pass_at_k(3, 4, 1)));
    CHECK(isnan(saferl_budget_informative_probability(1.5, 4)));
}

TEST(pool_weighs_prompts_equally) {
    /* prompt 0: 2 attempts, solved at 100 and 300; prompt 1: 4 attempts, one solved at 500 */
    saferl_budget_attempt p0[2] = {{0, 1000, 100}, {0, 1000, 300}};
    saferl_budget_attempt p1[4] = {{1, 1000, SAFERL_BUDGET_CENSORED}, {1, 1000, 500},
                                   {1, 1000, SAFERL_BUDGET_CENSORED}, {1, 1000, SAFERL_BUDGET_CENSORED}};
    saferl_budget_summary s[2], pooled;
    double a0 = 2.0 / 2, b0 = 400.0 / 2, a1 = 1.0 / 4, b1 = 3500.0 / 4, q = (a0 + a1) / (b0 + b1);
    double r0 = (1 - q * 100) * (1 - q * 100) + (1 - q * 300) * (1 - q * 300);
    double r1 = 3 * (q * 1000) * (q * 1000) + (1 - q * 500) * (1 - q * 500);
    double sd = sqrt(r0 / 4 + r1 / 16) / (b0 + b1);
    saferl_budget_summarize(p0, 2, NULL, &s[0]);
    saferl_budget_summarize(p1, 4, NULL, &s[1]);
    CHECK(saferl_budget_pool(s, 2, NULL, &pooled) == SAFERL_OK);
    CHECK(pooled.prompts == 2 && pooled.attempts == 6 && pooled.successes == 3);
    CHECK_NEAR(pooled.xi, 1000.0 * q, 1e-12);
    CHECK_NEAR(pooled.xi_lo, q - z95 * sd > 0 ? 1000.0 * (q - z95 * sd) : 0.0, 1e-12);
    CHECK_NEAR(pooled.xi_hi, 1000.0 * (q + z95 * sd), 1e-12);
    CHECK_NEAR(pooled.mean_tokens, 1.0 / q, 1e-9);
    CHECK_NEAR(pooled.success_rate, (1.0 + 0.25) / 2.0, 1e-15);
    CHECK_NEAR(pooled.reward_variance, (0.0 + 0.1875) / 2.0, 1e-15);
    CHECK_NEAR(saferl_budget_horizon_for_xi(&pooled, 1.5), 1.5 / q, 1e-9);
    /* without censoring, 1/q is the mean of T over the prompt set */
    {
        saferl_budget_attempt c0[2] = {{0, 5000, 100}, {0, 5000, 300}}, c1[2] = {{1, 5000, 900}, {1, 5000, 1100}};
        saferl_budget_summarize(c0, 2, NULL, &s[0]);
        saferl_budget_summarize(c1, 2, NULL, &s[1]);
        saferl_budget_pool(s, 2, NULL, &pooled);
        CHECK_NEAR(pooled.mean_tokens, (200.0 + 1000.0) / 2.0, 1e-12);
    }
}

/* ---- Kaplan-Meier ------------------------------------------------------------------------ */

TEST(kaplan_meier_by_hand) {
    /* times 2, 3 (censored at its horizon 3), 3, 5, 5, 8 (censored): events processed first */
    saferl_budget_attempt a[6] = {{0, 10, 2}, {0, 3, SAFERL_BUDGET_CENSORED}, {0, 10, 3},
                                  {0, 10, 5}, {0, 10, 5}, {0, 8, SAFERL_BUDGET_CENSORED}};
    saferl_budget_km_step steps[6];
    size_t count = 0, size = saferl_budget_kaplan_meier_memory_size(a, 6);
    void *work = malloc(size);
    double s1 = 5.0 / 6.0, s2 = s1 * 4.0 / 5.0, s3 = s2 * 1.0 / 3.0, mean, se;
    CHECK(size == 2 * 11 * sizeof(double));
    CHECK(saferl_budget_kaplan_meier(a, 6, work, size, steps, 2, &count) == SAFERL_ERR_BUFFER_TOO_SMALL);
    CHECK(count == 3);
    CHECK(saferl_budget_kaplan_meier(a, 6, work, size, steps, 6, &count) == SAFERL_OK && count == 3);
    CHECK(steps[0].time == 2 && steps[0].at_risk == 6 && steps[0].events == 1);
    CHECK(steps[1].time == 3 && steps[1].at_risk == 5 && steps[1].events == 1);
    CHECK(steps[2].time == 5 && steps[2].at_risk == 3 && steps[2].events == 2);
    CHECK_NEAR(steps[0].survival, s1, 1e-15);
    CHECK_NEAR(steps[1].survival, s2, 1e-15);
    CHECK_NEAR(steps[2].survival, s3, 1e-15);
    CHECK_NEAR(steps[2].survival_se, s3 * sqrt(1.0 / 30 + 1.0 / 20 + 2.0 / 3), 1e-15);
    CHECK(saferl_budget_km_survival(steps, count, 1.9) == 1.0);
    CHECK(saferl_budget_km_survival(steps, count, 3.0) == steps[1].survival);
    CHECK_NEAR(saferl_budget_km_survival(steps, count, 100.0), s3, 1e-15);
    CHECK(saferl_budget_km_restricted_mean(steps, count, 6.0, &mean, &se) == SAFERL_OK);
    CHECK_NEAR(mean, 2.0 + s1 * 1.0 + s2 * 2.0 + s3 * 1.0, 1e-14);
    {
        /* A_j = integral from t_j to 6 of S */
        double a3 = s3 * 1.0, a2 = s2 * 2.0 + a3, a1 = s1 * 1.0 + a2;
        CHECK_NEAR(se, sqrt(a1 * a1 / 30 + a2 * a2 / 20 + a3 * a3 * 2.0 / 3), 1e-14);
    }
    a[1].tokens = 4; /* now invalid: above its horizon 3 */
    CHECK(saferl_budget_kaplan_meier_memory_size(a, 6) == 0);
    CHECK(saferl_budget_kaplan_meier(a, 6, work, size, steps, 6, &count) == SAFERL_ERR_INVALID_ARGUMENT);
    free(work);
}

TEST(restricted_mean_without_censoring_is_the_sample_mean) {
    enum { N = 500 };
    saferl_budget_attempt a[N];
    saferl_budget_km_step steps[N];
    saferl_rng rng;
    size_t count, i, size;
    double sum_min = 0.0, mean;
    void *work;
    saferl_rng_seed(&rng, 11);
    for (i = 0; i < N; ++i) {
        a[i].prompt = 0;
        a[i].horizon = 300;
        a[i].tokens = 1 + (int32_t)saferl_rng_bounded(&rng, 300);
        sum_min += a[i].tokens < 120 ? a[i].tokens : 120;
    }
    size = saferl_budget_kaplan_meier_memory_size(a, N);
    work = malloc(size);
    CHECK(saferl_budget_kaplan_meier(a, N, work, size, steps, N, &count) == SAFERL_OK);
    saferl_budget_km_restricted_mean(steps, count, 120.0, &mean, NULL);
    CHECK_NEAR(mean, sum_min / N, 1e-11); /* E[min(T, tau)] */
    CHECK(steps[count - 1].survival == 0.0 && steps[count - 1].survival_se == 0.0);
    free(work);
}

/* ---- theory helpers against brute force -------------------------------------------------- */

/* Counts k-subsets of {0..n-1} (the first c successes) with at least one success, with all
   successes, and with both a success and a failure. */
static void enumerate_subsets(int n, int c, int k, double *any, double *all, double *mixed) {
    unsigned mask, total = 0;
    *any = *all = *mixed = 0.0;
    for (mask = 0; mask < (1u << n); ++mask) {
        int size = 0, good = 0, i;
        for (i = 0; i < n; ++i)
            if (mask & (1u << i)) {
                ++size;
                good += i < c;
            }
        if (size != k) continue;
        ++total;
        *any += good > 0;
        *all += good == k;
        *mixed += good > 0 && good < k;
    }
    *any /= total;
    *all /= total;
    *mixed /= total;
}

TEST(pass_at_k_matches_enumeration) {
    int n, c, k;
    for (n = 1; n <= 12; ++n)
        for (c = 0; c <= n; ++c)
            for (k = 1; k <= n; ++k) {
                double any, all, mixed;
                enumerate_subsets(n, c, k, &any, &all, &mixed);
                CHECK_NEAR(saferl_budget_pass_at_k(n, c, k), any, 1e-13);
                CHECK_NEAR(saferl_budget_pass_all_k(n, c, k), all, 1e-13);
                CHECK_NEAR(saferl_budget_informative_estimate(n, c, k), mixed, 1e-13);
            }
    CHECK_NEAR(saferl_budget_pass_at_k(10, 3, 2), 0.5333333333333333, 1e-15);
    /* large n stays finite and inside [0, 1] where factorials would overflow */
    CHECK(saferl_budget_pass_at_k(10000, 37, 100) > 0.0 && saferl_budget_pass_at_k(10000, 37, 100) < 1.0);
}

TEST(informative_probability_closed_forms) {
    int g;
    /* the reference table of the research notes, p = 1 - exp(-xi) */
    CHECK_NEAR(saferl_budget_informative_probability(saferl_budget_success_probability_from_xi(1.5), 8), 0.8673,
               1e-4);
    CHECK_NEAR(saferl_budget_informative_probability(saferl_budget_success_probability_from_xi(0.1), 16), 0.7981,
               1e-4);
    CHECK_NEAR(saferl_budget_informative_probability(0.5, 8), 1.0 - 2.0 / 256.0, 1e-15);
    for (g = 1; g <= 32; ++g) {
        double p = 0.37;
        CHECK_NEAR(saferl_budget_informative_probability(p, g), 1.0 - pow(p, g) - pow(1 - p, g), 1e-14);
    }
    /* tiny p keeps its digits: 1 - (1-p)^G - p^G ~ G p */
    CHECK_NEAR(saferl_budget_informative_probability(1e-12, 8) / 8e-12, 1.0, 1e-9);
    CHECK(saferl_budget_informative_probability(0.3, 1) == 0.0);
    CHECK(!signbit(saferl_budget_informative_probability(1.0, 8)));
    CHECK_NEAR(saferl_budget_reward_variance(0.25), 0.1875, 1e-16);
}

TEST(samples_for_success_is_minimal) {
    static const double ps[5] = {0.5, 0.1, 0.01, 0.3333, 0.9};
    static const double deltas[3] = {0.05, 0.01, 0.5};
    int i, j;
    for (i = 0; i < 5; ++i)
        for (j = 0; j < 3; ++j) {
            double n = 1, miss = 1.0 - ps[i];
            while (miss > deltas[j]) {
                miss *= 1.0 - ps[i];
                n += 1;
            }
            CHECK(saferl_budget_samples_for_success(ps[i], deltas[j]) == n);
        }
    CHECK(isinf(saferl_budget_samples_for_success(0.0, 0.05)));
    CHECK(saferl_budget_samples_for_success(1.0, 0.05) == 1.0);
}

TEST(samples_for_success_returns_at_the_extremes) {
    /* The count is ln(1/delta) / -ln(1 - p); for tiny p, -ln(1 - p) = p (1 + p/2 + ...), so
       ln(1/delta) / p is the answer to relative p/2 plus the closed form's rounding
       (a few ulp). These calls never returned before the search was bounded. */
    static const double tiny[4] = {1e-300, 1e-17, 3e-16, 1e-13};
    const double delta = 0.05;
    int i;
    for (i = 0; i < 4; ++i) {
        double n = saferl_budget_samples_for_success(tiny[i], delta), expected = -log(delta) / tiny[i];
        CHECK(isfinite(n));
        CHECK(fabs(n / expected - 1.0) <= tiny[i] + 8.0 * DBL_EPSILON);
    }
    /* below 2^53 the count is still the exact minimum, checked in long double */
    {
        double n = saferl_budget_samples_for_success(1e-13, delta);
        long double miss = log1pl(-(long double)1e-13);
        CHECK(n < 9007199254740992.0);
        CHECK(expl((long double)n * miss) <= (long double)delta);
        CHECK(expl(((long double)n - 1.0L) * miss) > (long double)delta);
    }
    /* the budget page's case: log-normal T with mean 1e6 tokens, sigma 1, H = 16 */
    {
        saferl_budget_tokens_model model = {SAFERL_BUDGET_LOGNORMAL, 1e6, 1.0};
        double p = saferl_budget_model_success_probability(&model, 16.0);
        double n = saferl_budget_samples_for_success(p, delta);
        CHECK(p > 0.0 && p < 3e-16);
        CHECK(isfinite(n) && n > 1e16);
    }
    /* p so small that the count exceeds the largest double: +infinity, "more than 1.8e308" */
    CHECK(isinf(saferl_budget_samples_for_success(4.9406564584124654e-324, delta)));
    /* p = 1 - 1e-16 (the double just below 1): one sample is enough */
    CHECK(saferl_budget_samples_for_success(1.0 - 1e-16, delta) == 1.0);
    CHECK(saferl_budget_samples_for_success(1.0 - 1e-16, 1e-300) == 19.0); /* (1.1e-16)^19 <= 1e-300 */
    CHECK(isnan(saferl_budget_samples_for_success(NAN, delta)));
    CHECK(isnan(saferl_budget_samples_for_success(0.5, NAN)));
    CHECK(isnan(saferl_budget_samples_for_success(0.5, 0.0)));
}

TEST(nan_in_is_an_error_out) {
    saferl_budget_attempt a[4] = {{0, 100, 10}, {0, 100, 40}, {0, 100, SAFERL_BUDGET_CENSORED}, {0, 100, 70}};
    saferl_budget_km_step steps[4], bad[4];
    saferl_budget_summary s[2], pooled, before;
    saferl_rng rng, rng_before;
    double work[202], mean = -1.0, se = -1.0;
    size_t count;
    CHECK(saferl_budget_kaplan_meier(a, 4, work, sizeof work, steps, 4, &count) == SAFERL_OK && count == 3);
    /* S(NaN) is no number: it used to be 1 ("before every event") */
    CHECK(isnan(saferl_budget_km_survival(steps, count, NAN)));
    CHECK(saferl_budget_km_survival(steps, count, 0.5) == 1.0);
    CHECK(saferl_budget_km_survival(steps, count, INFINITY) == steps[2].survival);
    /* steps whose numbers are not finite are refused, not integrated into an OK NaN */
    memcpy(bad, steps, sizeof bad);
    bad[1].time = NAN;
    CHECK(saferl_budget_km_restricted_mean(bad, count, 80.0, &mean, &se) == SAFERL_ERR_NOT_FINITE);
    CHECK(mean == -1.0 && se == -1.0);
    bad[1].time = steps[1].time;
    bad[1].survival = INFINITY;
    CHECK(saferl_budget_km_restricted_mean(bad, count, 80.0, &mean, &se) == SAFERL_ERR_NOT_FINITE);
    bad[1].survival = 1.5; /* finite but not a probability */
    CHECK(saferl_budget_km_restricted_mean(bad, count, 80.0, &mean, &se) == SAFERL_ERR_INVALID_ARGUMENT);
    CHECK(saferl_budget_km_restricted_mean(steps, count, 80.0, &mean, &se) == SAFERL_OK && mean > 0.0);
    /* a regime needs a number */
    CHECK(saferl_budget_regime_of(NAN, NULL) == SAFERL_BUDGET_UNDETERMINED);
    CHECK(strcmp(saferl_budget_regime_name(SAFERL_BUDGET_UNDETERMINED), "undetermined") == 0);
    /* pooling summaries with a NaN anywhere: an error, and the output untouched */
    saferl_budget_summarize(a, 2, NULL, &s[0]);
    saferl_budget_summarize(a + 2, 2, NULL, &s[1]);
    memset(&pooled, 0x5A, sizeof pooled);
    before = pooled;
    s[1].success_tokens = NAN;
    CHECK(saferl_budget_pool(s, 2, NULL, &pooled) == SAFERL_ERR_NOT_FINITE);
    s[1].success_tokens = 70.0;
    s[0].success_rate = NAN;
    CHECK(saferl_budget_pool(s, 2, NULL, &pooled) == SAFERL_ERR_NOT_FINITE);
    CHECK(memcmp(&pooled, &before, sizeof pooled) == 0);
    s[0].success_rate = 1.0;
    CHECK(saferl_budget_pool(s, 2, NULL, &pooled) == SAFERL_OK && isfinite(pooled.xi_hi));
    /* the pure functions answer NaN to NaN or to an infinity that has no answer */
    CHECK(isnan(saferl_budget_horizon_for_xi(&pooled, NAN)));
    CHECK(isnan(saferl_budget_horizon_for_xi(&pooled, INFINITY)));
    CHECK(isnan(saferl_budget_geometric_success_probability(NAN, 100.0)));
    CHECK(isnan(saferl_budget_geometric_success_probability(0.01, NAN)));
    CHECK(saferl_budget_geometric_success_probability(0.0, INFINITY) == 0.0);
    CHECK(isnan(saferl_budget_xi_from_success_probability(NAN)));
    CHECK(isnan(saferl_budget_success_probability_from_xi(NAN)));
    CHECK(isnan(saferl_budget_markov_success_lower_bound(NAN)));
    CHECK(isnan(saferl_budget_sim_progress_per_token(NAN, 8)));
    CHECK(isnan(saferl_budget_sim_progress_per_token(INFINITY, 8)));
    {
        saferl_budget_tokens_model model = {SAFERL_BUDGET_LOGNORMAL, NAN, 1.0};
        CHECK(isnan(saferl_budget_model_success_probability(&model, 10.0)));
        model.mean_tokens = 100.0;
        CHECK(isnan(saferl_budget_model_success_probability(&model, NAN)));
    }
    /* a hazard outside (0, 1] draws nothing and answers NaN */
    saferl_rng_seed(&rng, 4);
    rng_before = rng;
    CHECK(isnan(saferl_budget_sample_geometric(&rng, NAN)));
    CHECK(isnan(saferl_budget_sample_geometric(&rng, 0.0)));
    CHECK(memcmp(&rng, &rng_before, sizeof rng) == 0);
}

TEST(csv_skips_a_byte_order_mark) {
    /* with and without the header line: "a" after a BOM is the same prompt as "a" */
    static const char *texts[2] = {"\xEF\xBB\xBF" "a,10,5\na,10,\n", "\xEF\xBB\xBF" "prompt_id,horizon,tokens\na,10,5\na,10,\n"};
    int k;
    for (k = 0; k < 2; ++k) {
        saferl_budget_csv_row rows[2];
        saferl_budget_attempt attempts[2];
        size_t row_count, error_count, prompts = 0, work[16];
        CHECK(saferl_budget_csv_parse(texts[k], strlen(texts[k]), rows, 2, &row_count, NULL, 0, &error_count) ==
              SAFERL_OK);
        CHECK(row_count == 2 && error_count == 0);
        CHECK(rows[0].name_length == 1 && texts[k][rows[0].name_offset] == 'a');
        CHECK(saferl_budget_index_prompts(texts[k], rows, 2, work, sizeof work, attempts, &prompts, NULL) ==
              SAFERL_OK);
        CHECK(prompts == 1);
    }
    {
        /* columns on line 1 count from after the mark */
        const char *bad = "\xEF\xBB\xBF" "a,x,5\n";
        saferl_budget_csv_error error;
        size_t row_count, error_count;
        CHECK(saferl_budget_csv_parse(bad, strlen(bad), NULL, 0, &row_count, &error, 1, &error_count) ==
              SAFERL_ERR_PARSE);
        CHECK(error.line == 1 && error.column == 3);
        /* a mark anywhere else is ordinary text */
        bad = "a,1,1\n\xEF\xBB\xBF" "a,1,1\n";
        CHECK(saferl_budget_csv_parse(bad, strlen(bad), NULL, 0, &row_count, NULL, 0, &error_count) ==
              SAFERL_ERR_BUFFER_TOO_SMALL);
        CHECK(row_count == 2);
    }
}

TEST(success_probabilities_and_regimes) {
    saferl_budget_tokens_model model = {SAFERL_BUDGET_GEOMETRIC, 100.0, 0.0};
    double q = 0.01, direct = 0.0;
    int t;
    for (t = 1; t <= 150; ++t) direct += pow(1 - q, t - 1) * q;
    CHECK_NEAR(saferl_budget_geometric_success_probability(q, 150), direct, 1e-13);
    CHECK_NEAR(saferl_budget_model_success_probability(&model, 150), direct, 1e-13);
    CHECK_NEAR(saferl_budget_xi_from_success_probability(saferl_budget_success_probability_from_xi(1.7)), 1.7,
               1e-14);
    CHECK(saferl_budget_markov_success_lower_bound(2.0) == 0.5 && saferl_budget_markov_success_lower_bound(0.5) == 0);
    model.law = SAFERL_BUDGET_LOGNORMAL;
    model.mean_tokens = 1000.0;
    model.log_sigma = 0.8;
    CHECK_NEAR(saferl_budget_model_success_probability(&model, 500.0), 0.3204524483928812, 1e-13); /* scipy */
    model.log_sigma = 0.0;
    CHECK(isnan(saferl_budget_model_success_probability(&model, 500.0)));
    CHECK(saferl_budget_regime_of(1.49, NULL) == SAFERL_BUDGET_DEFICIENT);
    CHECK(saferl_budget_regime_of(1.5, NULL) == SAFERL_BUDGET_BALANCED);
    CHECK(saferl_budget_regime_of(2.0, NULL) == SAFERL_BUDGET_BALANCED);
    CHECK(saferl_budget_regime_of(2.01, NULL) == SAFERL_BUDGET_AMPLE);
    CHECK(strcmp(saferl_budget_regime_name(SAFERL_BUDGET_AMPLE), "ample") == 0);
}

/* ---- Monte-Carlo coverage of the intervals ---------------------------------------------- */

static void sample_prompt(saferl_rng *rng, double q, int horizon, int n, saferl_budget_attempt *out) {
    int i;
    for (i = 0; i < n; ++i) {
        double t = saferl_budget_sample_geometric(rng, q);
        out[i].prompt = 0;
        out[i].horizon = horizon;
        out[i].tokens = t <= horizon ? (int32_t)t : SAFERL_BUDGET_CENSORED;
    }
}

TEST(xi_interval_coverage) {
    /* 1000 replications at nominal 95% per (xi, n) cell, seeds fixed. Where at least ten
       successes are expected the Wilson interval must cover in [0.93, 0.97]; below that the
       exact interval is used and coverage must be >= 0.93 (it is conservative there). */
    static const double xis[6] = {0.05, 0.1, 0.5, 1.0, 2.0, 5.0};
    static const int ns[5] = {5, 10, 30, 100, 1000};
    static saferl_budget_attempt attempts[1000];
    const int horizon = 1000, replications = 1000;
    int i, j, r;
    saferl_rng rng;
    saferl_rng_seed(&rng, 2026);
    for (i = 0; i < 6; ++i)
        for (j = 0; j < 5; ++j) {
            double q = xis[i] / horizon, covered = 0.0, expected_successes;
            expected_successes = ns[j] * saferl_budget_geometric_success_probability(q, horizon);
            for (r = 0; r < replications; ++r) {
                saferl_budget_summary s;
                sample_prompt(&rng, q, horizon, ns[j], attempts);
                saferl_budget_summarize(attempts, (size_t)ns[j], NULL, &s);
                covered += s.xi_lo <= xis[i] && xis[i] <= s.xi_hi;
            }
            covered /= replications;
            if (expected_successes >= 10.0) {
                if (!(covered >= 0.93 && covered <= 0.97))
                    printf("        xi %.2f n %d: coverage %.3f\n", xis[i], ns[j], covered);
                CHECK(covered >= 0.93 && covered <= 0.97);
            } else {
                if (!(covered >= 0.93)) printf("        xi %.2f n %d: coverage %.3f\n", xis[i], ns[j], covered);
                CHECK(covered >= 0.93);
            }
        }
}

TEST(pooled_interval_coverage) {
    /* 40 prompts whose hazards spread log-normally around xi = 1, 8 attempts each: the
       pooled interval covers H sum p_i / sum E[min(T_i, H)] in [0.93, 0.97] of 1000
       replications */
    enum { P = 40, N = 8 };
    static saferl_budget_attempt attempts[N];
    saferl_budget_summary summaries[P], pooled;
    double q[P], true_mean, covered = 0.0, success = 0.0, exposure = 0.0;
    const int horizon = 2048, replications = 1000;
    int i, r;
    saferl_rng rng;
    saferl_rng_seed(&rng, 99);
    for (i = 0; i < P; ++i) {
        double p;
        q[i] = exp(0.7 * saferl_rng_normal(&rng)) / horizon;
        p = saferl_budget_geometric_success_probability(q[i], horizon);
        success += p;
        exposure += p / q[i]; /* E[min(T, H)] = (1 - (1 - q)^H) / q */
    }
    true_mean = horizon * success / exposure;
    for (r = 0; r < replications; ++r) {
        for (i = 0; i < P; ++i) {
            sample_prompt(&rng, q[i], horizon, N, attempts);
            saferl_budget_summarize(attempts, N, NULL, &summaries[i]);
        }
        saferl_budget_pool(summaries, P, NULL, &pooled);
        covered += pooled.xi_lo <= true_mean && true_mean <= pooled.xi_hi;
    }
    covered /= replications;
    printf("        pooled coverage %.3f\n", covered);
    CHECK(covered >= 0.93 && covered <= 0.97);
}

TEST(geometric_mle_is_consistent) {
    /* the research notes' check: q = 0.002, H = 1000 (xi = 2), n = 20000 */
    static saferl_budget_attempt attempts[20000];
    saferl_budget_summary s;
    saferl_rng rng;
    saferl_rng_seed(&rng, 5);
    sample_prompt(&rng, 0.002, 1000, 20000, attempts);
    saferl_budget_summarize(attempts, 20000, NULL, &s);
    CHECK(fabs(s.mean_tokens - 500.0) < 4.0 * s.mean_tokens_se);
    CHECK(fabs(s.xi - 2.0) < 0.06);
    CHECK(s.regime_is_certain == 0 || s.regime == SAFERL_BUDGET_BALANCED);
}

/* ---- the prompt set's xi = H / mean_i E[T_i] ------------------------------------------- */

TEST(special_functions_match_their_sums) {
    /* ln Gamma(x + n) - ln Gamma(x), psi(x + n) - psi(x) and psi'(x + n) - psi'(x) are the
       sums of log(x + j), 1/(x + j) and -1/(x + j)^2 over j < n: summed here in long double,
       against the header's series path (n > 24) and its short path */
    static const double xs[7] = {1e-3, 0.37, 1.0, 7.5, 15.0, 2345.6, 3e7};
    static const double ns[5] = {3.0, 25.0, 100.0, 5000.0, 200000.0};
    int i, k;
    for (i = 0; i < 7; ++i)
        for (k = 0; k < 5; ++k) {
            long double sum[3] = {0.0L, 0.0L, 0.0L}, j;
            double out[3];
            for (j = 0.0L; j < ns[k]; j += 1.0L) {
                long double y = (long double)xs[i] + j;
                sum[0] += logl(y);
                sum[1] += 1.0L / y;
                sum[2] -= 1.0L / (y * y);
            }
            saferl_budget__rising(xs[i], ns[k], out);
            /* the series is good to 1e-14 relative; the sums' rounding is far below */
            CHECK(fabs(out[0] - (double)sum[0]) <= 1e-13 * fabs((double)sum[0]) + 1e-13);
            CHECK(fabs(out[1] - (double)sum[1]) <= 1e-12 * fabs((double)sum[1]));
            CHECK(fabs(out[2] - (double)sum[2]) <= 1e-12 * fabs((double)sum[2]));
        }
}

TEST(polygamma_and_the_spread_prior) {
    /* psi' and psi'' against closed forms (psi'(1) = pi^2/6, psi'(1/2) = pi^2/2, psi''(1) =
       -2 zeta(3), psi''(1/2) = -14 zeta(3)) and psi'' against a central difference of psi';
       then the prior on ln a: exp(log_prior) must integrate to the half-Cauchy's mass,
       (2/pi) atan(sigma) between the range's ends (the Jacobian and normalization check) */
    const double zeta3 = 1.2020569031595943, pi = 3.14159265358979324;
    static const double xs[6] = {1e-3, 0.37, 7.5, 15.0, 2345.6, 3e7};
    double tri, tetra, up, down, ignored, total = 0.0, u, s_low, s_high;
    int i;
    saferl_budget__polygamma(1.0, &tri, &tetra);
    CHECK_NEAR(tri, pi * pi / 6.0, 1e-14);
    CHECK_NEAR(tetra, -2.0 * zeta3, 1e-14);
    saferl_budget__polygamma(0.5, &tri, &tetra);
    CHECK_NEAR(tri, pi * pi / 2.0, 5e-14);
    CHECK_NEAR(tetra, -14.0 * zeta3, 1e-13);
    for (i = 0; i < 6; ++i) {
        double h = 1e-4 * xs[i];
        saferl_budget__polygamma(xs[i], &tri, &tetra);
        saferl_budget__polygamma(xs[i] + h, &up, &ignored);
        saferl_budget__polygamma(xs[i] - h, &down, &ignored);
        /* the difference's truncation error is h^2 times psi's 4th derivative over 6:
           relative about 1e-8; its rounding about 1e-16 / 1e-4 */
        CHECK_NEAR(tetra, (up - down) / (2.0 * h), 1e-6 * fabs(tetra));
    }
    for (u = -20.0; u <= 40.0; u += 1e-3) total += exp(saferl_budget__log_prior(u)) * 1e-3;
    saferl_budget__polygamma(exp(-20.0), &s_high, &ignored);
    saferl_budget__polygamma(exp(40.0), &s_low, &ignored);
    CHECK_NEAR(total, 2.0 / pi * (atan(sqrt(s_high)) - atan(sqrt(s_low))), 1e-4);
}

/* Kolmogorov-Smirnov distance of n sorted values u in [0, 1] (their CDF values) from uniform. */
static double ks_distance(const double *sorted, int n) {
    double distance = 0.0;
    int m;
    for (m = 0; m < n; ++m) {
        double above = (m + 1.0) / n - sorted[m], below = sorted[m] - (double)m / n;
        if (above > distance) distance = above;
        if (below > distance) distance = below;
    }
    return distance;
}

TEST(ziggurat_normal_follows_the_normal_law) {
    /* The law against the closed form Phi(x) = erfc(-x / sqrt 2) / 2: KS distance of 200,000
       draws below its 1% critical value 1.628 / sqrt(n); the tail beyond the ziggurat's base
       (|x| > r = 3.4426, its own sampler) and beyond 4 counted in 10^6 draws within 4.5
       binomial sd of 2 Phi(-r) and 2 Phi(-4) (values from scipy.stats.norm.sf). Power: the
       same draws scaled by 1.03 fail the KS test, by 1.05 the count beyond 4 (expected 139
       against 63: 9.5 sd). Same seed, same stream
       everywhere but the 1.2% of draws that reach exp or log. */
    enum { KS_DRAWS = 200000, COUNT_DRAWS = 1000000 };
    static double u[KS_DRAWS], planted[KS_DRAWS];
    const double r = 3.4426198558966521, p_r = 5.761085123966413e-4, p_4 = 6.334248366623996e-05;
    const double critical = 1.628 / sqrt((double)KS_DRAWS);
    double beyond_r = 0.0, beyond_4 = 0.0, planted_4 = 0.0, sd_r = sqrt(COUNT_DRAWS * p_r), sd_4 = sqrt(COUNT_DRAWS * p_4);
    double distance, planted_distance;
    saferl_rng rng;
    int i;
    saferl_rng_seed(&rng, 2000);
    for (i = 0; i < KS_DRAWS; ++i) {
        double x = saferl_budget__normal(&rng);
        u[i] = 0.5 * erfc(-x / sqrt(2.0));
        planted[i] = 0.5 * erfc(-1.03 * x / sqrt(2.0));
    }
    saferl_budget__sort(u, KS_DRAWS);
    saferl_budget__sort(planted, KS_DRAWS);
    distance = ks_distance(u, KS_DRAWS);
    planted_distance = ks_distance(planted, KS_DRAWS);
    for (i = 0; i < COUNT_DRAWS; ++i) {
        double x = fabs(saferl_budget__normal(&rng));
        beyond_r += x > r;
        beyond_4 += x > 4.0;
        planted_4 += 1.05 * x > 4.0;
    }
    printf("        KS %.5f, planted 3%% sd error %.5f (1%% critical %.5f); beyond r %.0f (expected %.0f), "
           "beyond 4 %.0f (%.0f), planted 5%% %.0f\n", distance, planted_distance, critical, beyond_r, COUNT_DRAWS * p_r,
           beyond_4, COUNT_DRAWS * p_4, planted_4);
    CHECK(distance < critical);
    CHECK(planted_distance > critical);
    CHECK(fabs(beyond_r - COUNT_DRAWS * p_r) < 4.5 * sd_r);
    CHECK(fabs(beyond_4 - COUNT_DRAWS * p_4) < 4.5 * sd_4);
    CHECK(fabs(planted_4 - COUNT_DRAWS * p_4) > 4.5 * sd_4);
}

TEST(gamma_sampler_moments) {
    /* Gamma(k, 1): mean k, variance k, third central moment 2k; 5-sigma bands */
    static const double shapes[5] = {0.05, 0.3, 1.0, 4.5, 1e6};
    const int n = 200000;
    saferl_rng rng;
    int i, k;
    saferl_rng_seed(&rng, 8);
    for (k = 0; k < 5; ++k) {
        double shape = shapes[k], sum = 0.0, sum2 = 0.0, sum3 = 0.0, mean, var, skew;
        for (i = 0; i < n; ++i) {
            double x = saferl_budget__sample_gamma(&rng, shape) - shape;
            CHECK(x + shape >= 0.0);
            sum += x;
            sum2 += x * x;
            sum3 += x * x * x;
        }
        mean = sum / n;
        var = sum2 / n - mean * mean;
        skew = sum3 / n;
        CHECK(fabs(mean) <= 5.0 * sqrt(shape / n));
        CHECK(fabs(var / shape - 1.0) <= 5.0 * sqrt((2.0 + 6.0 / shape) / n)); /* kurtosis 6/k */
        if (shape >= 1.0) CHECK(fabs(skew - 2.0 * shape) <= 0.1 * 2.0 * shape + 5.0 * sqrt(15.0 * shape * shape * shape / n));
    }
}

/* P prompts with hazards q_i ~ Beta(a, b) (b set so the median E[T] is about 700) and n
   geometric attempts each, censored at horizon; returns the set's H / mean_i E[T_i]. */
static double make_prompt_set(saferl_rng *rng, int prompts, int n, double a, int horizon,
                              saferl_budget_summary *summaries) {
    static saferl_budget_attempt attempts[4096];
    double inverse_sum = 0.0;
    int i;
    for (i = 0; i < prompts; ++i) {
        double x = saferl_budget__sample_gamma(rng, a), y = saferl_budget__sample_gamma(rng, (a - 1.0 / 3.0) * 700.0);
        double q = x / (x + y);
        inverse_sum += 1.0 / q;
        sample_prompt(rng, q, horizon, n, attempts);
        saferl_budget_summarize(attempts, (size_t)n, NULL, &summaries[i]);
    }
    return (double)horizon * prompts / inverse_sum;
}

TEST(marginal_likelihood_derivatives_and_maximum) {
    /* the gradient and hessian in (ln a, ln b) against central differences of the
       log-likelihood (step 1e-4: truncation about 1e-8 relative), and the fit a maximum */
    static saferl_budget_summary summaries[40];
    static double patterns[3 * 2 * 40];
    saferl_budget__beta_fit fit, plus, minus;
    double successes = 0.0, exposure = 0.0, h = 1e-4;
    saferl_rng rng;
    size_t pattern_count;
    int i, k;
    saferl_rng_seed(&rng, 31);
    make_prompt_set(&rng, 40, 8, 3.0, 900, summaries);
    pattern_count = saferl_budget__group_patterns(summaries, 40, patterns);
    for (i = 0; i < 40; ++i) {
        successes += (double)summaries[i].successes;
        exposure += summaries[i].exposure;
    }
    fit.log_a = 0.7;
    fit.log_b = 7.2;
    saferl_budget__beta_loglik(patterns, pattern_count, &fit);
    for (k = 0; k < 2; ++k) {
        plus = minus = fit;
        if (k == 0) { plus.log_a += h; minus.log_a -= h; }
        else { plus.log_b += h; minus.log_b -= h; }
        saferl_budget__beta_loglik(patterns, pattern_count, &plus);
        saferl_budget__beta_loglik(patterns, pattern_count, &minus);
        CHECK_NEAR(fit.gradient[k], (plus.loglik - minus.loglik) / (2 * h), 1e-6 * fabs(fit.gradient[k]) + 1e-6);
        CHECK_NEAR(fit.hessian[k], (plus.gradient[0] - minus.gradient[0]) / (2 * h), 1e-6 * fabs(fit.hessian[k]));
        CHECK_NEAR(fit.hessian[k + 1], (plus.gradient[1] - minus.gradient[1]) / (2 * h), 1e-6 * fabs(fit.hessian[k + 1]));
    }
    CHECK(saferl_budget__fit_beta(patterns, pattern_count, successes, exposure, &fit));
    CHECK(fabs(fit.gradient[0]) < 1e-4 && fabs(fit.gradient[1]) < 1e-4);
    for (k = 0; k < 8; ++k) { /* every neighbour 0.01 away is lower */
        saferl_budget__beta_fit near = fit;
        near.log_a += 0.01 * cos(k * 0.785398163397448);
        near.log_b += 0.01 * sin(k * 0.785398163397448);
        saferl_budget__beta_loglik(patterns, pattern_count, &near);
        CHECK(near.loglik < fit.loglik);
    }
}

TEST(grouped_likelihood_matches_prompt_by_prompt) {
    /* 40 seeded sets: 50-400 prompts of 1-40 attempts, hazards log-uniform, horizons from a
       few values, so that (D, F) pairs repeat; at random (ln a, ln b) the grouped sums must
       equal the prompt-by-prompt ones up to summation order: both sum the same rounded
       terms, so they may differ by at most 2 (P + 2) eps sum_i |term_i| (Higham's bound for
       a recursive sum, twice, and the products by the counts; for the hessian's diagonal,
       a^2 h_aa + a g_a, the terms of both sums). The likelihood takes the series at b and
       a + b once for all patterns, and the grid's nodes take its value alone (orders 1):
       both must give, to the bit, the sum of saferl_budget__rising's terms taken one
       pattern at a time in the same order, or the grid's weights, hence the draws, move. */
    static saferl_budget_summary summaries[400];
    static double grouped[3 * 2 * 400], single[3 * 400];
    static saferl_budget_attempt attempts[40];
    saferl_rng rng;
    int r, i, k, worse = 0, grouped_fewer = 0, value_differs = 0;
    saferl_rng_seed(&rng, 2718);
    for (r = 0; r < 40; ++r) {
        int prompts = 50 + (int)saferl_rng_bounded(&rng, 351);
        int32_t horizons[3];
        size_t pattern_count;
        for (k = 0; k < 3; ++k) horizons[k] = 1 + (int32_t)saferl_rng_bounded(&rng, 300);
        for (i = 0; i < prompts; ++i) {
            int n = 1 + (int)saferl_rng_bounded(&rng, 40);
            double q = exp(-9.0 * saferl_rng_uniform(&rng));
            for (k = 0; k < n; ++k) {
                double t = saferl_budget_sample_geometric(&rng, q);
                attempts[k].prompt = 0;
                attempts[k].horizon = horizons[saferl_rng_bounded(&rng, 3)];
                attempts[k].tokens = t <= attempts[k].horizon ? (int32_t)t : SAFERL_BUDGET_CENSORED;
            }
            saferl_budget_summarize(attempts, (size_t)n, NULL, &summaries[i]);
            single[3 * i] = (double)summaries[i].successes;
            single[3 * i + 1] = summaries[i].exposure - single[3 * i];
            single[3 * i + 2] = 1.0;
        }
        pattern_count = saferl_budget__group_patterns(summaries, (size_t)prompts, grouped);
        grouped_fewer += pattern_count < (size_t)prompts;
        for (k = 0; k < 5; ++k) {
            saferl_budget__beta_fit a, b, term, value;
            double magnitude[6] = {0, 0, 0, 0, 0, 0}, got[6], want[6];
            int j;
            a.log_a = b.log_a = term.log_a = value.log_a = -6.0 + 19.0 * saferl_rng_uniform(&rng);
            a.log_b = b.log_b = term.log_b = value.log_b = a.log_a + 10.0 * saferl_rng_uniform(&rng);
            saferl_budget__beta_loglik(grouped, pattern_count, &a);
            saferl_budget__beta_loglik(single, (size_t)prompts, &b);
            saferl_budget__beta_loglik_orders(grouped, pattern_count, 1, &value);
            {
                double by_terms = 0.0, ra[3], rb[3], rab[3], x = exp(a.log_a), y = exp(a.log_b);
                size_t p;
                for (p = 0; p < pattern_count; ++p) {
                    const double d = grouped[3 * p], f = grouped[3 * p + 1];
                    saferl_budget__rising(x, d, ra);
                    saferl_budget__rising(y, f, rb);
                    saferl_budget__rising(x + y, d + f, rab);
                    by_terms += grouped[3 * p + 2] * (ra[0] + rb[0] - rab[0]);
                }
                value_differs += memcmp(&value.loglik, &by_terms, sizeof by_terms) != 0;
                value_differs += memcmp(&a.loglik, &by_terms, sizeof by_terms) != 0;
            }
            for (i = 0; i < prompts; ++i) {
                saferl_budget__beta_loglik(single + 3 * i, 1, &term);
                magnitude[0] += fabs(term.loglik);
                for (j = 0; j < 2; ++j) magnitude[1 + j] += fabs(term.gradient[j]);
                /* the diagonal is a^2 h_aa + a g_a (b alike): both sums' sizes count */
                magnitude[3] += fabs(term.hessian[0] - term.gradient[0]) + fabs(term.gradient[0]);
                magnitude[4] += fabs(term.hessian[1]);
                magnitude[5] += fabs(term.hessian[2] - term.gradient[1]) + fabs(term.gradient[1]);
            }
            got[0] = a.loglik;
            want[0] = b.loglik;
            for (j = 0; j < 2; ++j) got[1 + j] = a.gradient[j], want[1 + j] = b.gradient[j];
            for (j = 0; j < 3; ++j) got[3 + j] = a.hessian[j], want[3 + j] = b.hessian[j];
            for (j = 0; j < 6; ++j)
                worse += !(fabs(got[j] - want[j]) <= 2.0 * (prompts + 2) * DBL_EPSILON * magnitude[j]);
        }
        /* the comparison can fail: one prompt fewer in a pattern is far outside it */
        grouped[2] -= 1.0;
        {
            saferl_budget__beta_fit a, b;
            a.log_a = b.log_a = 0.5;
            a.log_b = b.log_b = 6.0;
            saferl_budget__beta_loglik(grouped, pattern_count, &a);
            saferl_budget__beta_loglik(single, (size_t)prompts, &b);
            worse += fabs(a.loglik - b.loglik) <= 2.0 * (prompts + 2) * DBL_EPSILON * fabs(b.loglik) * 10.0;
        }
    }
    printf("        40 sets, 200 points: %d outside the summation bound; %d sets had repeated pairs; "
           "the value differs from the terms' sum at %d of 400\n",
           worse, grouped_fewer, value_differs);
    CHECK(worse == 0);
    CHECK(value_differs == 0);
    CHECK(grouped_fewer >= 20);
}

TEST(spread_atom_draws_follow_beta) {
    /* under the atom (all prompts alike) q's posterior is Beta(D, F) and xi = H q: with the
       atom's probability set to 1, the draws' values u = P(Beta(D, F) <= xi / H) must look
       uniform. The Beta CDF through the binomial, P(Beta(D, F) <= x) = P(Bin(D + F - 1, x)
       >= D). 20 seeds of 4000 draws, each's Kolmogorov-Smirnov distance against its 1%
       critical value 1.628 / sqrt(n): at most 3 of 20 above it (P(4 or more) = 0.001 under
       the right law). Power: a planted error, D + 0.6 successes for D (xi 5% high), must put
       at least 15 of 20 above. */
    enum { DRAWS = 4000, SEEDS = 20 };
    static double xi[DRAWS];
    const double d = 12.0, f = 6000.0, horizon = 1000.0, critical = 1.628 / sqrt((double)DRAWS);
    saferl_budget__grid unused;
    saferl_rng rng;
    double last, worst = 0.0;
    int seed, m, above = 0, planted_above = 0;
    memset(&unused, 0, sizeof unused);
    for (seed = 0; seed < 2 * SEEDS; ++seed) {
        const int planted = seed >= SEEDS;
        double distance;
        saferl_rng_seed(&rng, 99 + (uint32_t)(seed % SEEDS));
        saferl_budget__draw_xi(NULL, 0, 0.0, &unused, -1, horizon, 1.0, d + (planted ? 0.6 : 0.0), f, &rng, xi, DRAWS);
        for (m = 0; m < DRAWS; ++m)
            xi[m] = 1.0 - saferl_budget__binomial_cdf(d - 1.0, d + f - 1.0, xi[m] / horizon, &last);
        saferl_budget__sort(xi, DRAWS);
        distance = ks_distance(xi, DRAWS);
        if (planted) planted_above += distance > critical;
        else above += distance > critical, worst = distance > worst ? distance : worst;
    }
    printf("        %d of %d seeds above the 1%% KS critical value %.4f (largest %.4f); planted error: %d of %d\n",
           above, SEEDS, critical, worst, planted_above, SEEDS);
    CHECK(above <= 3);
    CHECK(planted_above >= 15);
}

TEST(set_estimate_is_consistent) {
    /* 2000 attempts a prompt: each E[T_i] is nearly known, the estimate must sit on the set's
       value and the interval must be narrow; with 8 attempts it is wide but still covers */
    static saferl_budget_summary summaries[32];
    static double work[2000 + SAFERL_BUDGET_SET_GRID_DOUBLES + SAFERL_BUDGET_SET_PROMPT_DOUBLES * 32];
    saferl_budget_set_summary set;
    saferl_budget_desc desc;
    saferl_rng rng;
    double truth;
    memset(&desc, 0, sizeof desc);
    saferl_rng_seed(&rng, 41);
    truth = make_prompt_set(&rng, 32, 2000, 3.0, 1500, summaries);
    CHECK(saferl_budget_set_estimate(summaries, 32, &desc, work, sizeof work, &set) == SAFERL_OK);
    printf("        32 prompts x 2000: xi %.4f [%.4f, %.4f], truth %.4f, spread %.3f\n", set.xi, set.xi_lo,
           set.xi_hi, truth, set.spread);
    CHECK(set.xi_lo <= truth && truth <= set.xi_hi);
    CHECK((set.xi_hi - set.xi_lo) / truth < 0.1);
    CHECK(fabs(set.xi / truth - 1.0) < 0.03);
    CHECK(set.prompts == 32 && set.attempts == 64000 && set.unsolved_prompts == 0 && !set.extrapolated);
    CHECK(fabs(set.spread - 0.67) < 0.25); /* sqrt(trigamma(3)) = 0.63 */
    CHECK_NEAR(set.mean_tokens, set.horizon / set.xi, 1e-12);
}

/* Coverage of the set's intervals over `replications` prompt sets of P = 16 prompts x 8
   attempts drawn from the model (hazards Beta(a, (a - 1/3) 700), T geometric, horizon H), 500
   draws each, `interval` asked for (the posterior's draws come first, so its interval is
   the posterior's whichever is asked for); the truth is each set's H / mean_i E[T_i]. */
static void set_coverage(int seed, double a, int horizon, int replications, saferl_budget_interval interval,
                         int *posterior, int *widened, int *pooled_covered) {
    enum { P = 16, N = 8 };
    static saferl_budget_summary summaries[P];
    static double work[500 + SAFERL_BUDGET_SET_GRID_DOUBLES + SAFERL_BUDGET_SET_PROMPT_DOUBLES * P];
    saferl_budget_set_summary set;
    saferl_budget_desc desc;
    saferl_rng rng;
    int r;
    memset(&desc, 0, sizeof desc);
    desc.draws = 500;
    desc.interval = interval;
    saferl_rng_seed(&rng, (uint32_t)seed);
    *posterior = *widened = *pooled_covered = 0;
    for (r = 0; r < replications; ++r) {
        saferl_budget_summary pooled;
        double truth = make_prompt_set(&rng, P, N, a, horizon, summaries);
        desc.seed = (uint32_t)r;
        if (saferl_budget_set_estimate(summaries, P, &desc, work, sizeof work, &set) < 0) continue;
        *posterior += set.posterior_lo <= truth && truth <= set.posterior_hi;
        *widened += set.xi_lo <= truth && truth <= set.xi_hi;
        saferl_budget_pool(summaries, P, NULL, &pooled);
        *pooled_covered += pooled.xi_lo <= truth && truth <= pooled.xi_hi;
    }
}

TEST(set_estimate_interval_coverage) {
    /* the model holds: spread of ln q 0.6, about 30% of attempts censored, 1000 replications */
    int posterior, boundary, pooled;
    set_coverage(2027, 3.3, 900, 1000, SAFERL_BUDGET_INTERVAL_BOUNDARY, &posterior, &boundary, &pooled);
    printf("        set coverage %.3f, posterior alone %.3f (pooled hazard: %.3f)\n", boundary / 1000.0,
           posterior / 1000.0, pooled / 1000.0);
    CHECK(posterior >= 930 && posterior <= 970);
    CHECK(boundary >= 930 && boundary <= 970); /* the default */
    CHECK(boundary >= posterior);
}

TEST(set_estimate_widened_interval_covers_at_spread_zero) {
    /* all prompts alike (a = 1e6: a spread of 0.001) and about 90% of attempts censored
       (H = 74 at E[T] = 700): the posterior interval falls short there (about 0.88, the
       boundary README.md describes), the interval widened over the spreads the data allow
       must not; 500 replications (binomial sd 0.010 at 0.95) */
    int posterior, widened, boundary, pooled;
    set_coverage(2029, 1e6, 74, 500, SAFERL_BUDGET_INTERVAL_WIDENED, &posterior, &widened, &pooled);
    set_coverage(2029, 1e6, 74, 500, SAFERL_BUDGET_INTERVAL_BOUNDARY, &posterior, &boundary, &pooled);
    printf("        posterior %.3f, widened %.3f, boundary %.3f\n", posterior / 500.0, widened / 500.0,
           boundary / 500.0);
    CHECK(widened >= 465);
    CHECK(boundary >= 465);
}

/* P(Beta(d, f) <= x) for a whole d >= 1, by the closed form
   1 - (1 - x)^f sum_{j < d} Gamma(f + j) / (Gamma(f) j!) x^j. */
static double beta_cdf_whole_d(int d, double f, double x) {
    double term = pow(1.0 - x, f), sum = term;
    int j;
    for (j = 1; j < d; ++j) {
        term *= (f + j - 1.0) / j * x;
        sum += term;
    }
    return 1.0 - sum;
}

TEST(set_estimate_boundary_interval) {
    /* the posterior interval with its upper end raised to the all-alike interval's when the
       data do not reject "all prompts alike". Twelve prompts of one data pattern (1 success
       and 999 failed tokens each) cannot reject it: the upper end is then the 0.975 quantile
       of Beta(D, F) = Beta(12, 11988) times H, checked against the closed form; the draws'
       0.975 order statistic of 20000 lies within 4 of its binomial sd (0.0011) in
       probability. Prompts 1 to 4 orders of magnitude apart, uncensored, reject it: the
       interval is the posterior's, bit for bit. */
    enum { DRAWS = 20000 };
    static double work[DRAWS + SAFERL_BUDGET_SET_GRID_DOUBLES + SAFERL_BUDGET_SET_PROMPT_DOUBLES * 12];
    saferl_budget_summary alike[12], apart[12];
    saferl_budget_set_summary set, posterior;
    saferl_budget_desc desc;
    double p;
    int i;
    memset(&desc, 0, sizeof desc);
    desc.draws = DRAWS;
    desc.interval = SAFERL_BUDGET_INTERVAL_POSTERIOR;
    for (i = 0; i < 12; ++i) {
        saferl_budget_attempt attempts[10];
        int k;
        for (k = 0; k < 10; ++k) { /* one success at the horizon, nine censored */
            attempts[k].prompt = 0;
            attempts[k].horizon = 100;
            attempts[k].tokens = k == 0 ? 100 : SAFERL_BUDGET_CENSORED;
        }
        saferl_budget_summarize(attempts, 10, NULL, &alike[i]);
        for (k = 0; k < 10; ++k) { /* all solved, in about 10^(i mod 4) tokens */
            attempts[k].horizon = 1000000;
            attempts[k].tokens = (int32_t)((1 + k) * pow(10.0, i % 4) / 5.5);
            if (attempts[k].tokens < 1) attempts[k].tokens = 1;
        }
        saferl_budget_summarize(attempts, 10, NULL, &apart[i]);
    }
    CHECK(saferl_budget_set_estimate(alike, 12, &desc, work, sizeof work, &posterior) == SAFERL_OK);
    desc.interval = SAFERL_BUDGET_INTERVAL_BOUNDARY;
    CHECK(desc.interval == 0); /* the default */
    CHECK(saferl_budget_set_estimate(alike, 12, &desc, work, sizeof work, &set) == SAFERL_OK);
    p = beta_cdf_whole_d(12, 11988.0, set.xi_hi / set.horizon);
    printf("        all alike: posterior [%.4f, %.4f], boundary [%.4f, %.4f], P(Beta <= hi) %.4f\n", posterior.xi_lo,
           posterior.xi_hi, set.xi_lo, set.xi_hi, p);
    CHECK(set.xi == posterior.xi && set.xi_lo == posterior.xi_lo && set.posterior_hi == posterior.xi_hi);
    CHECK(set.xi_hi >= posterior.xi_hi);
    CHECK(set.xi_hi == posterior.xi_hi || fabs(p - 0.975) < 4.0 * sqrt(0.975 * 0.025 / DRAWS));
    CHECK(set.spread_lo == 0.0 && set.spread_hi == 0.0);
    /* kept, and the posterior's upper end lies below the all-alike one: raised, and said so */
    CHECK(set.xi_hi > posterior.xi_hi && set.upper_raised == 1 && posterior.upper_raised == 0);
    CHECK(set.interval == SAFERL_BUDGET_INTERVAL_BOUNDARY && posterior.interval == SAFERL_BUDGET_INTERVAL_POSTERIOR);
    CHECK(strstr(set.method, "raised") != NULL && strstr(posterior.method, "raised") == NULL);
    desc.interval = SAFERL_BUDGET_INTERVAL_POSTERIOR;
    CHECK(saferl_budget_set_estimate(apart, 12, &desc, work, sizeof work, &posterior) == SAFERL_OK);
    desc.interval = SAFERL_BUDGET_INTERVAL_BOUNDARY;
    CHECK(saferl_budget_set_estimate(apart, 12, &desc, work, sizeof work, &set) == SAFERL_OK);
    CHECK(posterior.spread > 1.0);
    CHECK(set.xi_lo == posterior.xi_lo && set.xi_hi == posterior.xi_hi);
    /* rejected: not raised, and the method is the posterior's */
    CHECK(set.upper_raised == 0 && strcmp(set.method, posterior.method) == 0);
}

TEST(set_estimate_on_random_sets_is_sane) {
    /* 300 prompt sets from a seeded generator, hazards log-uniform in [1e-5, 1], horizons
       1 .. 2000 per attempt, 1 .. 10 attempts a prompt: whatever comes out is finite,
       ordered and inside [0, H] (E[T] >= 1), or an error; nothing NaN reported as OK;
       upper_raised (and the method's mention of it) exactly where the boundary interval's
       xi_hi lies above the posterior's */
    static saferl_budget_attempt attempts[10];
    static saferl_budget_summary summaries[20];
    static double work[400 + SAFERL_BUDGET_SET_GRID_DOUBLES + SAFERL_BUDGET_SET_PROMPT_DOUBLES * 20];
    saferl_budget_desc desc;
    saferl_rng rng;
    int r, i, k, bad = 0, errors = 0, raised = 0;
    memset(&desc, 0, sizeof desc);
    desc.draws = 200;
    saferl_rng_seed(&rng, 77);
    for (r = 0; r < 300; ++r) {
        int prompts = 2 + (int)saferl_rng_bounded(&rng, 19);
        saferl_budget_set_summary set;
        saferl_result result;
        for (i = 0; i < prompts; ++i) {
            int n = 1 + (int)saferl_rng_bounded(&rng, 10);
            double q = exp(-11.5 * saferl_rng_uniform(&rng));
            for (k = 0; k < n; ++k) {
                int32_t horizon = 1 + (int32_t)saferl_rng_bounded(&rng, 2000);
                double t = saferl_budget_sample_geometric(&rng, q);
                attempts[k].prompt = 0;
                attempts[k].horizon = horizon;
                attempts[k].tokens = t <= horizon ? (int32_t)t : SAFERL_BUDGET_CENSORED;
            }
            saferl_budget_summarize(attempts, (size_t)n, NULL, &summaries[i]);
        }
        desc.seed = (uint32_t)r;
        desc.interval = (saferl_budget_interval)(r % 3); /* posterior, widened, boundary */
        result = saferl_budget_set_estimate(summaries, (size_t)prompts, &desc, work, sizeof work, &set);
        if (result < 0) {
            ++errors;
            continue;
        }
        if (!(set.xi_lo >= 0.0 && set.xi_lo <= set.xi && set.xi <= set.xi_hi && set.xi_hi <= set.horizon) ||
            !isfinite(set.xi_hi) || !(set.mean_tokens >= 1.0 || isinf(set.mean_tokens)) ||
            (result == SAFERL_OK && !(set.xi > 0.0)) || isnan(set.spread) || isnan(set.log_likelihood) ||
            !(set.posterior_lo >= set.xi_lo && set.posterior_lo <= set.posterior_hi && set.posterior_hi <= set.xi_hi) ||
            !(set.spread_lo >= 0.0 && set.spread_lo <= set.spread_hi && isfinite(set.spread_hi)) ||
            (desc.interval == SAFERL_BUDGET_INTERVAL_POSTERIOR &&
             (set.xi_lo != set.posterior_lo || set.xi_hi != set.posterior_hi || set.spread_hi != 0.0)) ||
            (desc.interval == SAFERL_BUDGET_INTERVAL_BOUNDARY &&
             (set.xi_lo != set.posterior_lo || set.xi_hi < set.posterior_hi || set.spread_hi != 0.0)) ||
            set.upper_raised != (desc.interval == SAFERL_BUDGET_INTERVAL_BOUNDARY && set.xi_hi > set.posterior_hi) ||
            set.interval != (set.prior_a > 0.0 ? desc.interval : SAFERL_BUDGET_INTERVAL_POSTERIOR) ||
            (strstr(set.method, "upper end raised") != NULL) != set.upper_raised) {
            printf("        set %d: result %d xi %g [%g, %g] H %g a %g b %g\n", r, (int)result, set.xi, set.xi_lo,
                   set.xi_hi, set.horizon, set.prior_a, set.prior_b);
            ++bad;
        }
        raised += set.upper_raised;
    }
    printf("        300 random sets: %d errors, %d insane, %d upper ends raised\n", errors, bad, raised);
    CHECK(bad == 0);
    CHECK(errors <= 3); /* a fit that does not converge is an error, and should be rare */
}

TEST(set_estimate_special_cases) {
    saferl_budget_attempt a[3] = {{0, 1000, 100}, {0, 1000, 300}, {0, 1000, SAFERL_BUDGET_CENSORED}};
    saferl_budget_attempt none[2] = {{0, 1000, SAFERL_BUDGET_CENSORED}, {0, 700, SAFERL_BUDGET_CENSORED}};
    saferl_budget_summary s[3], pooled;
    saferl_budget_set_summary set, before, again;
    saferl_budget_desc desc;
    static double work[2000 + SAFERL_BUDGET_SET_GRID_DOUBLES + SAFERL_BUDGET_SET_PROMPT_DOUBLES * 24];
    static saferl_budget_summary many[24];
    saferl_rng rng;
    memset(&desc, 0, sizeof desc);
    CHECK(saferl_budget_set_memory_size(&desc, 24) ==
          (2000 + SAFERL_BUDGET_SET_GRID_DOUBLES + SAFERL_BUDGET_SET_PROMPT_DOUBLES * 24) * sizeof(double));
    /* one prompt: its own estimate */
    saferl_budget_summarize(a, 3, NULL, &s[0]);
    CHECK(saferl_budget_set_estimate(s, 1, &desc, work, sizeof work, &set) == SAFERL_OK);
    CHECK(set.xi == s[0].xi && set.xi_lo == s[0].xi_lo && set.xi_hi == s[0].xi_hi);
    CHECK_NEAR(set.mean_tokens, 700.0, 1e-12);
    /* the default asks for the boundary interval; with no spread fitted it holds the exact one */
    CHECK(desc.interval == SAFERL_BUDGET_INTERVAL_BOUNDARY && set.interval == SAFERL_BUDGET_INTERVAL_POSTERIOR);
    desc.interval = SAFERL_BUDGET_INTERVAL_WIDENED;
    CHECK(saferl_budget_set_estimate(s, 1, &desc, work, sizeof work, &set) == SAFERL_OK);
    CHECK(set.interval == SAFERL_BUDGET_INTERVAL_POSTERIOR && set.xi_hi == s[0].xi_hi);
    desc.interval = SAFERL_BUDGET_INTERVAL_BOUNDARY;
    /* nothing solved anywhere: the bound of the pooled hazard, which Jensen makes a bound
       on the set's xi too */
    saferl_budget_summarize(none, 1, NULL, &s[1]);
    saferl_budget_summarize(none + 1, 1, NULL, &s[2]);
    CHECK(saferl_budget_set_estimate(s + 1, 2, &desc, work, sizeof work, &set) == SAFERL_BOUND_ONLY);
    CHECK(saferl_budget_pool(s + 1, 2, NULL, &pooled) == SAFERL_BOUND_ONLY);
    CHECK(set.xi_is_upper_bound && set.xi == 0.0 && set.xi_hi == pooled.xi_hi);
    CHECK(set.interval == SAFERL_BUDGET_INTERVAL_POSTERIOR);
    CHECK(isinf(set.mean_tokens) && isinf(set.mean_tokens_hi));
    /* every attempt solved at its first token: no spread to fit, the pooled exact interval */
    {
        saferl_budget_attempt ones[4] = {{0, 10, 1}, {0, 10, 1}, {0, 10, 1}, {0, 10, 1}};
        saferl_budget_summary first[2];
        saferl_budget_summarize(ones, 2, NULL, &first[0]);
        saferl_budget_summarize(ones + 2, 2, NULL, &first[1]);
        CHECK(saferl_budget_set_estimate(first, 2, &desc, work, sizeof work, &set) == SAFERL_OK);
        CHECK(set.xi == 10.0 && set.xi_hi == 10.0 && set.xi_lo > 0.0 && set.xi_lo < 10.0 && set.prior_a == 0.0);
        CHECK(set.interval == SAFERL_BUDGET_INTERVAL_POSTERIOR);
    }
    /* unsolved prompts among solved ones: estimated by extrapolation, and said so */
    CHECK(saferl_budget_set_estimate(s, 3, &desc, work, sizeof work, &set) == SAFERL_OK);
    CHECK(set.unsolved_prompts == 2 && set.extrapolated && set.interval == SAFERL_BUDGET_INTERVAL_BOUNDARY);
    /* bad input: an error, the output untouched */
    memset(&set, 0x5A, sizeof set);
    before = set;
    CHECK(saferl_budget_set_estimate(s, 3, &desc, work, saferl_budget_set_memory_size(&desc, 3) - 1, &set) ==
          SAFERL_ERR_BUFFER_TOO_SMALL);
    CHECK(saferl_budget_set_estimate(s, 0, &desc, work, sizeof work, &set) == SAFERL_ERR_NO_DATA);
    s[2].exposure = NAN;
    CHECK(saferl_budget_set_estimate(s, 3, &desc, work, sizeof work, &set) == SAFERL_ERR_NOT_FINITE);
    s[2].exposure = 0.5;
    CHECK(saferl_budget_set_estimate(s, 3, &desc, work, sizeof work, &set) == SAFERL_ERR_INVALID_ARGUMENT);
    desc.confidence = 2.0;
    CHECK(saferl_budget_set_estimate(many, 3, &desc, work, sizeof work, &set) == SAFERL_ERR_INVALID_ARGUMENT);
    CHECK(memcmp(&set, &before, sizeof set) == 0);
    /* deterministic from the seed */
    desc.confidence = 0.0;
    saferl_rng_seed(&rng, 5);
    make_prompt_set(&rng, 24, 8, 2.0, 600, many);
    CHECK(saferl_budget_set_estimate(many, 24, &desc, work, sizeof work, &set) == SAFERL_OK);
    CHECK(saferl_budget_set_estimate(many, 24, &desc, work, sizeof work, &again) == SAFERL_OK);
    CHECK(set.xi == again.xi && set.xi_lo == again.xi_lo && set.xi_hi == again.xi_hi);
    CHECK(set.xi_lo < set.xi && set.xi < set.xi_hi && set.prior_a > 0.0 && set.prior_b > 0.0);
    CHECK(isfinite(set.spread) && isfinite(set.log_likelihood) && set.method != NULL);
    CHECK(set.spread_zero_probability == 0.0);
    /* the prior with an atom at spread 0: a probability, and another stream of draws */
    desc.spread_prior = SAFERL_BUDGET_SPREAD_ATOM_AND_HALF_CAUCHY;
    CHECK(saferl_budget_set_estimate(many, 24, &desc, work, sizeof work, &again) == SAFERL_OK);
    CHECK(again.spread_zero_probability >= 0.0 && again.spread_zero_probability <= 1.0);
    CHECK(again.xi_lo < again.xi && again.xi < again.xi_hi && strcmp(again.method, set.method) != 0);
    CHECK(again.prior_a == set.prior_a && again.prior_b == set.prior_b);
    memset(&set, 0x5A, sizeof set);
    before = set;
    desc.spread_prior = (saferl_budget_spread_prior)2;
    CHECK(saferl_budget_set_estimate(many, 24, &desc, work, sizeof work, &set) == SAFERL_ERR_INVALID_ARGUMENT);
    CHECK(memcmp(&set, &before, sizeof set) == 0);
    desc.spread_prior = SAFERL_BUDGET_SPREAD_HALF_CAUCHY;
    desc.interval = (saferl_budget_interval)3;
    CHECK(saferl_budget_set_estimate(many, 24, &desc, work, sizeof work, &set) == SAFERL_ERR_INVALID_ARGUMENT);
    CHECK(memcmp(&set, &before, sizeof set) == 0);
    /* the widened interval: the posterior's draws come first, so its estimate and posterior
       interval are the default's, and it holds that interval */
    desc.interval = SAFERL_BUDGET_INTERVAL_WIDENED;
    CHECK(saferl_budget_set_estimate(many, 24, &desc, work, sizeof work, &set) == SAFERL_OK);
    desc.interval = SAFERL_BUDGET_INTERVAL_POSTERIOR;
    CHECK(saferl_budget_set_estimate(many, 24, &desc, work, sizeof work, &again) == SAFERL_OK);
    CHECK(set.xi == again.xi && set.posterior_lo == again.xi_lo && set.posterior_hi == again.xi_hi);
    CHECK(set.xi_lo <= again.xi_lo && again.xi_hi <= set.xi_hi && set.xi_hi - set.xi_lo > again.xi_hi - again.xi_lo);
    CHECK(set.spread_lo <= set.spread && set.spread <= set.spread_hi && again.spread_hi == 0.0);
    CHECK(set.interval == SAFERL_BUDGET_INTERVAL_WIDENED && again.interval == SAFERL_BUDGET_INTERVAL_POSTERIOR);
    CHECK(strcmp(saferl_budget_interval_name(SAFERL_BUDGET_INTERVAL_BOUNDARY), "boundary") == 0);
    CHECK(strcmp(saferl_budget_interval_name(SAFERL_BUDGET_INTERVAL_WIDENED), "widened") == 0);
    CHECK(strcmp(saferl_budget_interval_name(SAFERL_BUDGET_INTERVAL_POSTERIOR), "posterior") == 0);
    CHECK(strcmp(saferl_budget_interval_name((saferl_budget_interval)3), "unknown") == 0);
}

/* ---- simulator --------------------------------------------------------------------------- */

TEST(simulator_is_deterministic_and_learns) {
    saferl_budget_sim_desc desc = {0};
    saferl_budget_sim a, b;
    saferl_budget_sim_iteration ia, ib;
    double memory_a[64], memory_b[64], first_xi = 0.0;
    int i, same = 1;
    desc.seed = 17;
    desc.horizon = 1024;
    desc.initial_mean_tokens = 1024; /* xi starts at 1 */
    CHECK(saferl_budget_sim_memory_size(&desc) == sizeof memory_a);
    CHECK(saferl_budget_sim_init(&a, &desc, memory_a, sizeof memory_a) == SAFERL_OK);
    CHECK(saferl_budget_sim_init(&b, &desc, memory_b, sizeof memory_b - 1) == SAFERL_ERR_BUFFER_TOO_SMALL);
    CHECK(saferl_budget_sim_init(&b, &desc, memory_b, sizeof memory_b) == SAFERL_OK);
    for (i = 0; i < 50; ++i) {
        saferl_budget_sim_step(&a, &ia);
        saferl_budget_sim_step(&b, &ib);
        same &= ia.iteration == ib.iteration && ia.mean_xi == ib.mean_xi && ia.tokens == ib.tokens &&
                ia.informative_fraction == ib.informative_fraction && ia.success_rate == ib.success_rate &&
                ia.xi_gain == ib.xi_gain;
        if (i == 0) first_xi = ia.mean_xi;
    }
    CHECK(same);
    CHECK(ia.iteration == 50);
    CHECK(ia.mean_xi > first_xi + 1.0); /* about 0.05 * P_inf per iteration from xi = 1 */
    CHECK(ia.informative_fraction >= 0.0 && ia.informative_fraction <= 1.0);
    desc.learning_rate = -1.0;
    CHECK(saferl_budget_sim_init(&b, &desc, memory_b, sizeof memory_b) == SAFERL_ERR_INVALID_ARGUMENT);
}

TEST(simulator_informative_rate_matches_theory) {
    /* with a learning rate too small to move xi, the informative fraction estimates
       P_inf(p(xi), G) for geometric T */
    saferl_budget_sim_desc desc = {0};
    saferl_budget_sim sim;
    static double memory[1000];
    saferl_budget_sim_iteration it;
    double fraction = 0.0, expected, p;
    int i;
    desc.prompts = 1000;
    desc.group_size = 8;
    desc.horizon = 1000;
    desc.initial_mean_tokens = 500; /* xi = 2 */
    desc.learning_rate = 1e-12;
    saferl_budget_sim_init(&sim, &desc, memory, sizeof memory);
    for (i = 0; i < 20; ++i) {
        saferl_budget_sim_step(&sim, &it);
        fraction += it.informative_fraction / 20.0;
    }
    p = saferl_budget_geometric_success_probability(1.0 / 500.0, 1000);
    expected = saferl_budget_informative_probability(p, 8);
    CHECK(fabs(fraction - expected) < 5.0 * sqrt(expected * (1 - expected) / 20000.0));
}

TEST(progress_per_token_peak) {
    /* our model's claim, checked on a grid: for G = 8 the peak lies near xi = 1.55 */
    double best = 0.0, best_xi = 0.0, xi;
    for (xi = 0.05; xi < 10.0; xi += 0.001) {
        double v = saferl_budget_sim_progress_per_token(xi, 8);
        if (v > best) {
            best = v;
            best_xi = xi;
        }
    }
    printf("        progress per token peaks at xi = %.3f for G = 8\n", best_xi);
    CHECK(best_xi > 1.45 && best_xi < 1.65);
}

TEST(allocation_happens_only_in_create) {
    /* the custom allocator of the desc is used by create, and nothing else allocates */
    saferl_budget_sim_desc desc = {0};
    saferl_budget_sim sim;
    saferl_budget_sim_iteration it;
    int i;
#ifdef SAFERL_TEST_COUNTING_ALLOCATOR
    long before = saferl_test_allocations;
    CHECK(saferl_budget_sim_create(&sim, &desc) == SAFERL_OK);
    CHECK(saferl_test_allocations == before + 1);
    for (i = 0; i < 10; ++i) saferl_budget_sim_step(&sim, &it);
    {
        saferl_budget_attempt a[3] = {{0, 1000, 100}, {0, 1000, 300}, {0, 1000, SAFERL_BUDGET_CENSORED}};
        saferl_budget_summary s;
        size_t rows, errors;
        saferl_budget_summary two[2];
        saferl_budget_set_summary set;
        static double set_work[2000 + SAFERL_BUDGET_SET_GRID_DOUBLES + SAFERL_BUDGET_SET_PROMPT_DOUBLES * 2];
        saferl_budget_summarize(a, 3, NULL, &s);
        saferl_budget_summarize(a, 2, NULL, &two[0]);
        saferl_budget_summarize(a + 1, 2, NULL, &two[1]);
        CHECK(saferl_budget_set_estimate(two, 2, NULL, set_work, sizeof set_work, &set) >= 0);
        saferl_budget_pool(&s, 1, NULL, &s);
        saferl_budget_csv_parse(good_csv, strlen(good_csv), NULL, 0, &rows, NULL, 0, &errors);
    }
    CHECK(saferl_test_allocations == before + 1);
    saferl_budget_sim_destroy(&sim);
    CHECK(saferl_test_releases == saferl_test_allocations);
#else
    CHECK(saferl_budget_sim_create(&sim, &desc) == SAFERL_OK);
    for (i = 0; i < 10; ++i) saferl_budget_sim_step(&sim, &it);
    saferl_budget_sim_destroy(&sim);
    CHECK(sim.owned_memory == NULL);
    saferl_budget_sim_destroy(&sim); /* twice is harmless */
#endif
}

int main(void) {
    RUN(rng_matches_reference_streams);
    RUN(rng_streams_are_pinned_per_seed);
    RUN(rng_distributions);
    RUN(result_strings_are_distinct);
    RUN(attempt_validation);
    RUN(csv_parses_good_rows);
    RUN(csv_reports_every_bad_line);
    RUN(csv_empty_and_header_only);
    RUN(prompts_are_indexed_and_grouped);
    RUN(many_prompts_index_like_brute_force);
    RUN(proportion_interval_matches_scipy);
    RUN(normal_quantile_matches_scipy);
    RUN(summary_closed_form);
    RUN(summary_reference_horizon_and_band);
    RUN(all_censored_is_an_upper_bound_only);
    RUN(bad_input_changes_nothing);
    RUN(pool_weighs_prompts_equally);
    RUN(kaplan_meier_by_hand);
    RUN(restricted_mean_without_censoring_is_the_sample_mean);
    RUN(pass_at_k_matches_enumeration);
    RUN(informative_probability_closed_forms);
    RUN(samples_for_success_is_minimal);
    RUN(samples_for_success_returns_at_the_extremes);
    RUN(nan_in_is_an_error_out);
    RUN(csv_skips_a_byte_order_mark);
    RUN(success_probabilities_and_regimes);
    RUN(xi_interval_coverage);
    RUN(pooled_interval_coverage);
    RUN(geometric_mle_is_consistent);
    RUN(special_functions_match_their_sums);
    RUN(polygamma_and_the_spread_prior);
    RUN(ziggurat_normal_follows_the_normal_law);
    RUN(gamma_sampler_moments);
    RUN(marginal_likelihood_derivatives_and_maximum);
    RUN(grouped_likelihood_matches_prompt_by_prompt);
    RUN(spread_atom_draws_follow_beta);
    RUN(set_estimate_is_consistent);
    RUN(set_estimate_interval_coverage);
    RUN(set_estimate_widened_interval_covers_at_spread_zero);
    RUN(set_estimate_boundary_interval);
    RUN(set_estimate_special_cases);
    RUN(set_estimate_on_random_sets_is_sane);
    RUN(simulator_is_deterministic_and_learns);
    RUN(simulator_informative_rate_matches_theory);
    RUN(progress_per_token_peak);
    RUN(allocation_happens_only_in_create);
    return saferl_test_finish();
}
