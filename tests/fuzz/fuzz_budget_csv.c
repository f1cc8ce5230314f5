// SPDX-License-Identifier: MIT OR Unlicense
/* libFuzzer target: saferl_budget_csv_parse, saferl_budget_index_prompts, group_by_prompt,
   saferl_budget_summarize / _pool / _set_estimate and (for small horizons)
   saferl_budget_kaplan_meier.

   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. tests/fuzz/fuzz_budget_csv.c \
         -o build/fuzz_budget_csv -lm
   mkdir -p build/corpus_budget_csv
   build/fuzz_budget_csv -max_total_time=15 build/corpus_budget_csv tests/fuzz/corpus/budget_csv

   The input is not NUL-terminated, so the sanitizers catch any read past the length. Each
   invariant that fails traps. */
#ifndef FUZZ_LINKED_IMPLEMENTATION /* the Makefile links it in, compiled once per header */
#define SAFERL_BUDGET_IMPLEMENTATION
#endif
#include "saferl_budget.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(x)                       \
    do {                               \
        if (!(x)) __builtin_trap();    \
    } while (0)

static int finite_or_inf(double v) { return !isnan(v); }

static void check_summary(const saferl_budget_summary *s, saferl_result r) {
    CHECK(r == SAFERL_OK || r == SAFERL_BOUND_ONLY);
    CHECK(s->success_rate >= 0.0 && s->success_rate <= 1.0);
    CHECK(s->reward_variance >= 0.0 && s->reward_variance <= 0.25 + 1e-12);
    CHECK(s->successes <= s->attempts && s->attempts > 0);
    CHECK(isfinite(s->horizon) && s->horizon > 0.0);
    CHECK(isfinite(s->xi_hi) && s->xi_hi >= 0.0);
    CHECK(isfinite(s->xi_lo) && s->xi_lo >= 0.0 && s->xi_lo <= s->xi_hi);
    CHECK(finite_or_inf(s->mean_tokens) && finite_or_inf(s->mean_tokens_se));
    CHECK(finite_or_inf(s->mean_tokens_lo) && finite_or_inf(s->mean_tokens_hi));
    CHECK(s->regime == SAFERL_BUDGET_DEFICIENT || s->regime == SAFERL_BUDGET_BALANCED ||
          s->regime == SAFERL_BUDGET_AMPLE);
    if (r == SAFERL_BOUND_ONLY) {
        /* no success: xi is only bounded above, E[T] documented as INFINITY */
        CHECK(s->xi_is_upper_bound);
        CHECK(s->xi == 0.0);
        CHECK(isinf(s->mean_tokens) && s->mean_tokens > 0.0);
    } else {
        CHECK(!s->xi_is_upper_bound);
        CHECK(isfinite(s->xi) && s->xi > 0.0);
        CHECK(s->xi_lo <= s->xi * (1 + 1e-12) && s->xi <= s->xi_hi * (1 + 1e-12));
        CHECK(isfinite(s->mean_tokens) && s->mean_tokens >= 1.0 - 1e-9);
        CHECK(isfinite(s->mean_tokens_se) && s->mean_tokens_se >= 0.0);
        CHECK(isfinite(s->hazard) && s->hazard > 0.0 && s->hazard <= 1.0 + 1e-12);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *text = (const char *)data;
    size_t row_count = 0, error_count = 0, rows2 = 0, errors2 = 0, prompts = 0, i, lines = 1;
    saferl_budget_csv_row *rows = NULL;
    saferl_budget_csv_error *errors = NULL;
    saferl_budget_attempt *attempts = NULL, *sorted = NULL;
    size_t *first_row = NULL, *start = NULL, work_size;
    saferl_budget_summary *summaries = NULL, pooled;
    saferl_budget_desc desc;
    void *work = NULL;
    saferl_result r;
    int32_t max_horizon = 0;

    for (i = 0; i < size; ++i) lines += text[i] == '\n';

    /* sizing pass: the return code must agree with the counts */
    r = saferl_budget_csv_parse(text, size, NULL, 0, &row_count, NULL, 0, &error_count);
    if (error_count) CHECK(r == SAFERL_ERR_PARSE);
    else if (row_count == 0) CHECK(r == SAFERL_ERR_NO_DATA);
    else CHECK(r == SAFERL_ERR_BUFFER_TOO_SMALL);
    CHECK(row_count + error_count <= lines);

    rows = (saferl_budget_csv_row *)malloc((row_count ? row_count : 1) * sizeof *rows);
    errors = (saferl_budget_csv_error *)malloc((error_count ? error_count : 1) * sizeof *errors);
    if (!rows || !errors) goto done;
    r = saferl_budget_csv_parse(text, size, rows, row_count, &rows2, errors, error_count, &errors2);
    CHECK(rows2 == row_count && errors2 == error_count);
    if (error_count) CHECK(r == SAFERL_ERR_PARSE);
    else if (row_count == 0) CHECK(r == SAFERL_ERR_NO_DATA);
    else CHECK(r == SAFERL_OK);

    for (i = 0; i < error_count; ++i) {
        const saferl_budget_csv_error *e = &errors[i];
        CHECK(e->line >= 1 && e->line <= lines);
        CHECK(e->column >= 1 && e->column <= size + 1);
        CHECK(e->reason != NULL && e->reason[0] != '\0');
        CHECK(e->code < 0);
        if (i) CHECK(e->line > errors[i - 1].line); /* one error per bad line, in order */
    }
    for (i = 0; i < row_count; ++i) {
        const saferl_budget_csv_row *w = &rows[i];
        CHECK(w->name_offset <= size && w->name_length <= size - w->name_offset);
        CHECK(w->line >= 1 && w->line <= lines);
        CHECK(w->horizon > 0);
        CHECK(w->tokens == SAFERL_BUDGET_CENSORED || (w->tokens >= 1 && w->tokens <= w->horizon));
        if (i) CHECK(w->line > rows[i - 1].line);
        if (w->horizon > max_horizon) max_horizon = w->horizon;
    }
    /* no line is both a row and an error */
    {
        size_t a = 0, b = 0;
        while (a < row_count && b < error_count) {
            CHECK(rows[a].line != errors[b].line);
            if (rows[a].line < errors[b].line) ++a;
            else ++b;
        }
    }
    if (row_count == 0) goto done;

    work_size = saferl_budget_index_prompts_memory_size(row_count);
    work = malloc(work_size ? work_size : 1);
    attempts = (saferl_budget_attempt *)malloc(row_count * sizeof *attempts);
    sorted = (saferl_budget_attempt *)malloc(row_count * sizeof *sorted);
    first_row = (size_t *)malloc(row_count * sizeof *first_row);
    if (!work || !attempts || !sorted || !first_row) goto done;
    r = saferl_budget_index_prompts(text, rows, row_count, work, work_size, attempts, &prompts, first_row);
    CHECK(r == SAFERL_OK);
    CHECK(prompts >= 1 && prompts <= row_count);
    for (i = 0; i < row_count; ++i) {
        CHECK(attempts[i].prompt < prompts);
        CHECK(attempts[i].horizon == rows[i].horizon && attempts[i].tokens == rows[i].tokens);
        CHECK(saferl_budget_check_attempt(&attempts[i], NULL) == SAFERL_OK);
    }
    for (i = 0; i < prompts; ++i) {
        const saferl_budget_csv_row *w = &rows[first_row[i]];
        CHECK(first_row[i] < row_count);
        CHECK(attempts[first_row[i]].prompt == i);
        if (i) CHECK(first_row[i] > first_row[i - 1]);
        /* rows of the same name get the same prompt (checked against the first few) */
        if (i < 8) {
            size_t k;
            for (k = 0; k < row_count && k < 256; ++k)
                if (rows[k].name_length == w->name_length &&
                    memcmp(text + rows[k].name_offset, text + w->name_offset, w->name_length) == 0)
                    CHECK(attempts[k].prompt == i);
        }
    }

    start = (size_t *)malloc((prompts + 1) * sizeof *start);
    summaries = (saferl_budget_summary *)malloc(prompts * sizeof *summaries);
    if (!start || !summaries) goto done;
    r = saferl_budget_group_by_prompt(attempts, row_count, prompts, sorted, start);
    CHECK(r == SAFERL_OK);
    CHECK(start[0] == 0 && start[prompts] == row_count);
    memset(&desc, 0, sizeof desc);
    for (i = 0; i < prompts; ++i) {
        size_t k;
        CHECK(start[i + 1] > start[i]);
        for (k = start[i]; k < start[i + 1]; ++k) CHECK(sorted[k].prompt == i);
        r = saferl_budget_summarize(sorted + start[i], start[i + 1] - start[i], &desc, &summaries[i]);
        check_summary(&summaries[i], r);
        CHECK(summaries[i].attempts == start[i + 1] - start[i]);
    }
    r = saferl_budget_pool(summaries, prompts, &desc, &pooled);
    check_summary(&pooled, r);
    CHECK(pooled.attempts == row_count);

    /* the set's estimate (few draws: its invariants, not its precision): an error, or
       finite, ordered numbers inside [0, H] */
    if (prompts <= 64) {
        saferl_budget_desc few = desc;
        saferl_budget_set_summary set;
        double set_work[32 + SAFERL_BUDGET_SET_GRID_DOUBLES + SAFERL_BUDGET_SET_PROMPT_DOUBLES * 64];
        few.draws = 32;
        CHECK(saferl_budget_set_memory_size(&few, prompts) <= sizeof set_work);
        r = saferl_budget_set_estimate(summaries, prompts, &few, set_work, sizeof set_work, &set);
        CHECK(r == SAFERL_OK || r == SAFERL_BOUND_ONLY || r == SAFERL_ERR_DID_NOT_CONVERGE);
        if (r >= 0) {
            CHECK(set.attempts == row_count && set.prompts == prompts);
            CHECK(isfinite(set.xi_hi) && set.xi_lo >= 0.0 && set.xi_lo <= set.xi && set.xi <= set.xi_hi);
            CHECK(set.xi_hi <= set.horizon * (1 + 1e-12));
            CHECK(!isnan(set.mean_tokens) && !isnan(set.spread) && !isnan(set.log_likelihood));
            CHECK((r == SAFERL_BOUND_ONLY) == (set.xi_is_upper_bound != 0));
        }
    }

    /* Kaplan-Meier needs counters up to the largest horizon: only for small ones */
    if (max_horizon <= 100000) {
        size_t km_size = saferl_budget_kaplan_meier_memory_size(attempts, row_count), steps_n = 0;
        void *km_work = malloc(km_size ? km_size : 1);
        saferl_budget_km_step *steps = (saferl_budget_km_step *)malloc(row_count * sizeof *steps);
        if (km_work && steps) {
            r = saferl_budget_kaplan_meier(attempts, row_count, km_work, km_size, steps, row_count, &steps_n);
            CHECK(r == SAFERL_OK);
            CHECK(steps_n <= row_count);
            for (i = 0; i < steps_n; ++i) {
                CHECK(steps[i].events >= 1 && steps[i].events <= steps[i].at_risk);
                CHECK(steps[i].survival >= 0.0 && steps[i].survival <= 1.0);
                if (i) {
                    CHECK(steps[i].time > steps[i - 1].time);
                    CHECK(steps[i].survival <= steps[i - 1].survival);
                    CHECK(steps[i].at_risk <= steps[i - 1].at_risk - steps[i - 1].events);
                }
            }
        }
        free(steps);
        free(km_work);
    }

done:
    free(summaries);
    free(start);
    free(first_row);
    free(sorted);
    free(attempts);
    free(work);
    free(errors);
    free(rows);
    return 0;
}
