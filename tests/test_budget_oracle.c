// SPDX-License-Identifier: MIT OR Unlicense
/* Kaplan-Meier of saferl_budget.h against statsmodels' SurvfuncRight, and the fit behind
   saferl_budget_set_estimate against scipy (see check_beta_fit below).

   build/test_budget_oracle [data_folder [name ...]]

   For each name (default: the fixtures tests/oracle/budget_statsmodels.py writes) it reads
   data_folder/km_<name>_input.csv (attempts: prompt_id,horizon,tokens) through the header's own
   CSV parser, runs saferl_budget_kaplan_meier and compares every step with
   data_folder/km_<name>_expected.csv (time,n_risk,n_events,surv_prob,surv_prob_se):
   times, risk sets and event counts exactly; S(t) and its Greenwood standard error to
   8 (k + 1) eps relative, k the number of steps (S is a product of k rounded factors, each
   side's; the SE a sum of k positive terms under a root, times S). Where S reaches 0 statsmodels' Greenwood term is 0/0 (written
   "nan"); there the header may answer NaN or 0. Prints one line per dataset and
   "N passed, N failed" last; exits 1 on any failure. */
#define SAFERL_BUDGET_IMPLEMENTATION
#include "saferl_budget.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *default_names[] = {"geometric_mixed", "ties", "all_events", "heavy_censoring", "hand"};

static char *read_text(const char *path, size_t *length) {
    FILE *f = fopen(path, "rb");
    char *buf;
    long size;
    if (!f) return NULL;
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return NULL;
    }
    buf = (char *)malloc((size_t)size + 1);
    if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[size] = '\0';
        *length = (size_t)size;
    }
    return buf;
}

typedef struct expected_step {
    double time, n_risk, n_events, surv_prob, surv_prob_se;
} expected_step;

/* Reads the expected table; returns the row count or -1. "nan" parses through strtod. */
static long read_expected(const char *path, expected_step **out) {
    size_t length, cap = 64;
    long n = 0;
    char *text = read_text(path, &length), *line, *next;
    expected_step *steps;
    if (!text) return -1;
    steps = (expected_step *)malloc(cap * sizeof *steps);
    if (!steps) {
        free(text);
        return -1;
    }
    for (line = text; line && *line; line = next) {
        double v[5];
        char *p = line, *end;
        int k;
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        if (strncmp(line, "time", 4) == 0 || *line == '\0') continue;
        for (k = 0; k < 5; ++k) {
            v[k] = strtod(p, &end);
            if (end == p) break;
            p = end + (*end == ',');
        }
        if (k < 5) {
            fprintf(stderr, "%s: bad line '%s'\n", path, line);
            free(steps);
            free(text);
            return -1;
        }
        if ((size_t)n == cap) {
            expected_step *grown = (expected_step *)realloc(steps, 2 * cap * sizeof *steps);
            if (!grown) {
                free(steps);
                free(text);
                return -1;
            }
            steps = grown;
            cap *= 2;
        }
        steps[n].time = v[0];
        steps[n].n_risk = v[1];
        steps[n].n_events = v[2];
        steps[n].surv_prob = v[3];
        steps[n].surv_prob_se = v[4];
        ++n;
    }
    free(text);
    *out = steps;
    return n;
}

/* Reads attempts through the header's parser; returns the count or -1. */
static long read_attempts(const char *path, saferl_budget_attempt **out) {
    size_t length, rows_n = 0, errors_n = 0, prompts = 0, work_size;
    char *text = read_text(path, &length);
    saferl_budget_csv_row *rows;
    saferl_budget_attempt *attempts;
    void *work;
    saferl_result r;
    if (!text) return -1;
    saferl_budget_csv_parse(text, length, NULL, 0, &rows_n, NULL, 0, &errors_n);
    if (errors_n || rows_n == 0) {
        fprintf(stderr, "%s: %zu bad lines, %zu rows\n", path, errors_n, rows_n);
        free(text);
        return -1;
    }
    rows = (saferl_budget_csv_row *)malloc(rows_n * sizeof *rows);
    attempts = (saferl_budget_attempt *)malloc(rows_n * sizeof *attempts);
    work_size = saferl_budget_index_prompts_memory_size(rows_n);
    work = malloc(work_size ? work_size : 1);
    r = (rows && attempts && work)
            ? saferl_budget_csv_parse(text, length, rows, rows_n, &rows_n, NULL, 0, &errors_n)
            : SAFERL_ERR_OUT_OF_MEMORY;
    if (r == SAFERL_OK)
        r = saferl_budget_index_prompts(text, rows, rows_n, work, work_size, attempts, &prompts, NULL);
    free(work);
    free(rows);
    free(text);
    if (r != SAFERL_OK) {
        fprintf(stderr, "%s: %s\n", path, saferl_result_string(r));
        free(attempts);
        return -1;
    }
    *out = attempts;
    return (long)rows_n;
}

static int close_rel(double got, double want, double rel) {
    double scale = fmax(fabs(got), fabs(want));
    return fabs(got - want) <= rel * (scale > 1e-300 ? scale : 1e-300);
}

/* Returns 1 when the dataset matches; prints one line either way. */
static int check_dataset(const char *folder, const char *name) {
    char in_path[1024], exp_path[1024];
    saferl_budget_attempt *attempts = NULL;
    expected_step *expected = NULL;
    saferl_budget_km_step *steps = NULL;
    long n, m;
    size_t work_size, step_count = 0, j;
    void *work = NULL;
    saferl_result r;
    int ok = 1, nan_se = 0, zero_se = 0;
    double worst_s = 0.0, worst_se = 0.0, km_tolerance;

    snprintf(in_path, sizeof in_path, "%s/km_%s_input.csv", folder, name);
    snprintf(exp_path, sizeof exp_path, "%s/km_%s_expected.csv", folder, name);
    n = read_attempts(in_path, &attempts);
    m = read_expected(exp_path, &expected);
    if (n < 0 || m < 0) {
        printf("FAIL  %s: cannot read %s\n", name, n < 0 ? in_path : exp_path);
        free(attempts);
        free(expected);
        return 0;
    }
    work_size = saferl_budget_kaplan_meier_memory_size(attempts, (size_t)n);
    work = malloc(work_size ? work_size : 1);
    steps = (saferl_budget_km_step *)malloc((size_t)n * sizeof *steps);
    if (!work || !steps) {
        printf("FAIL  %s: out of memory\n", name);
        ok = 0;
        goto done;
    }
    r = saferl_budget_kaplan_meier(attempts, (size_t)n, work, work_size, steps, (size_t)n, &step_count);
    if (r != SAFERL_OK) {
        printf("FAIL  %s: saferl_budget_kaplan_meier returned %s\n", name, saferl_result_string(r));
        ok = 0;
        goto done;
    }
    if ((long)step_count != m) {
        printf("FAIL  %s: %zu steps, statsmodels has %ld\n", name, step_count, m);
        ok = 0;
        goto done;
    }
    km_tolerance = 8.0 * (double)(step_count + 1) * DBL_EPSILON;
    for (j = 0; j < step_count; ++j) {
        const saferl_budget_km_step *s = &steps[j];
        const expected_step *e = &expected[j];
        double ds = fabs(s->survival - e->surv_prob);
        if (s->time != e->time || s->at_risk != e->n_risk || s->events != e->n_events) {
            printf("FAIL  %s: step %zu is (t %g, n %g, d %g), statsmodels (t %g, n %g, d %g)\n", name, j, s->time,
                   s->at_risk, s->events, e->time, e->n_risk, e->n_events);
            ok = 0;
            break;
        }
        if (!close_rel(s->survival, e->surv_prob, km_tolerance)) {
            printf("FAIL  %s: S(%g) = %.17g, statsmodels %.17g\n", name, s->time, s->survival, e->surv_prob);
            ok = 0;
            break;
        }
        if (ds > worst_s) worst_s = ds;
        if (isnan(e->surv_prob_se)) {
            /* S = 0 here: Greenwood's d/(n(n-d)) is a division by zero */
            if (isnan(s->survival_se)) ++nan_se;
            else if (s->survival_se == 0.0) ++zero_se;
            else {
                printf("FAIL  %s: SE at t %g where S = 0 is %g (expected NaN or 0)\n", name, s->time, s->survival_se);
                ok = 0;
                break;
            }
            continue;
        }
        if (!close_rel(s->survival_se, e->surv_prob_se, km_tolerance)) {
            printf("FAIL  %s: SE(%g) = %.17g, statsmodels %.17g\n", name, s->time, s->survival_se, e->surv_prob_se);
            ok = 0;
            break;
        }
        if (fabs(s->survival_se - e->surv_prob_se) > worst_se) worst_se = fabs(s->survival_se - e->surv_prob_se);
    }
    if (ok)
        printf("ok    %s: %ld attempts, %zu steps; max |dS| %.2g, max |dSE| %.2g%s\n", name, n, step_count, worst_s,
               worst_se,
               nan_se ? " (SE NaN where S = 0, as statsmodels)" : zero_se ? " (SE 0 where S = 0; statsmodels NaN)" : "");
done:
    free(steps);
    free(work);
    free(attempts);
    free(expected);
    return ok;
}

/* ---- the beta-geometric marginal likelihood against scipy -------------------------------- */

static const char *beta_names[] = {"spread", "heavy_censoring", "no_spread", "varied"};

/* eb_<name>_input.csv through the header's parser and per-prompt summaries; the fit and
   the log-likelihood at a fixed point against scipy's (eb_<name>_expected.csv: the maximum,
   then the fixed point). The fixed point's value to 8 eps times the magnitudes that cancel
   in it (each prompt's three ln Gamma(x + n) - ln Gamma(x) differences: either side's ln B
   rounds on that scale); the maxima to that plus what L-BFGS-B's stopping rule (projected
   gradient below gtol = 1e-9) may leave short of the maximum (stopping_gap). Returns 1 when
   they match. */
static double cancelling_scale(const saferl_budget_summary *per_prompt, size_t prompts, double a, double b) {
    double scale = 0.0;
    size_t i;
    for (i = 0; i < prompts; ++i) {
        const double d = (double)per_prompt[i].successes, s = per_prompt[i].exposure;
        scale += fabs(lgamma(a + d)) + fabs(lgamma(a)) + fabs(lgamma(b + s - d)) + fabs(lgamma(b)) +
                 fabs(lgamma(a + b + s)) + fabs(lgamma(a + b));
    }
    return scale;
}

static double stopping_gap(const saferl_budget__beta_fit *fit) {
    /* scipy minimises over x = (ln a, ln(b / a)) with only ln a bounded, and stops when each
       projected gradient component is below gtol: the value can then be short of the maximum
       by |g|^2 / (2 lambda) <= (free coordinates) gtol^2 / (2 lambda), lambda the smallest
       curvature of -loglik in x: J^T (-H) J with ln b = x0 + x1 */
    const double gtol = 1e-9, lo = SAFERL_BUDGET__LOG_A_MIN, hi = SAFERL_BUDGET__LOG_A_MAX;
    const double m00 = -fit->hessian[0], m01 = -fit->hessian[1], m11 = -fit->hessian[2];
    const double x00 = m00 + 2.0 * m01 + m11, x01 = m01 + m11, x11 = m11;
    double lambda, tr, det;
    if (!(fit->log_a > lo && fit->log_a < hi)) return x11 > 0.0 ? gtol * gtol / (2.0 * x11) : HUGE_VAL;
    tr = x00 + x11;
    det = x00 * x11 - x01 * x01;
    lambda = 0.5 * (tr - sqrt(fmax(tr * tr - 4.0 * det, 0.0)));
    return lambda > 0.0 ? 2.0 * gtol * gtol / (2.0 * lambda) : HUGE_VAL;
}
/* The posterior probability of spread 0 (the atom, SAFERL_BUDGET_SPREAD_ATOM_AND_HALF_CAUCHY)
   against scipy's nested quadrature (eb_<name>_atom.csv). The header integrates on a 40 x 24
   grid; what matters is the probability, which weighs the atom's draws against the grid's:
   an error below the draws' own Monte-Carlo resolution of a 2.5% tail (sqrt(0.025 0.975 /
   2000) = 0.0035 at the default 2000 draws) cannot move the interval beyond its noise. */
static int check_atom(const char *folder, const char *name, const saferl_budget_summary *summaries, size_t prompts) {
    char path[1024];
    double want[3], work[2000 + SAFERL_BUDGET_SET_GRID_DOUBLES + SAFERL_BUDGET_SET_PROMPT_DOUBLES * 64];
    const double tolerance = 0.0035;
    SAFERL_ASSERT(prompts <= 64);
    saferl_budget_set_summary set;
    saferl_budget_desc desc;
    int ok;
    FILE *f;
    snprintf(path, sizeof path, "%s/eb_%s_atom.csv", folder, name);
    f = fopen(path, "r");
    ok = f && fscanf(f, "%*[^\n]\n") == 0 && fscanf(f, "%lf,%lf,%lf", &want[0], &want[1], &want[2]) == 3;
    if (f) fclose(f);
    if (!ok) {
        printf("FAIL  eb_%s: cannot read %s\n", name, path);
        return 0;
    }
    memset(&desc, 0, sizeof desc);
    desc.spread_prior = SAFERL_BUDGET_SPREAD_ATOM_AND_HALF_CAUCHY;
    if (saferl_budget_set_estimate(summaries, prompts, &desc, work, sizeof work, &set) != SAFERL_OK ||
        !(fabs(set.spread_zero_probability - want[2]) <= tolerance)) {
        printf("FAIL  eb_%s: P(spread 0 | data) %.6g, scipy %.6g (tolerance %.2g)\n", name, set.spread_zero_probability,
               want[2], tolerance);
        return 0;
    }
    printf("ok    eb_%s: P(spread 0 | data) %.6g, scipy %.6g (tolerance %.2g)\n", name, set.spread_zero_probability,
           want[2], tolerance);
    return 1;
}

static int check_beta_fit(const char *folder, const char *name) {
    char in_path[1024], exp_path[1024];
    saferl_budget_attempt *attempts = NULL, *sorted = NULL;
    saferl_budget_summary *summaries = NULL;
    double *patterns = NULL;
    size_t *start = NULL, prompts = 0, i, pattern_count;
    double want[2][3], successes = 0.0, exposure = 0.0, value_tolerance, max_tolerance;
    saferl_budget__beta_fit fit, fixed;
    long n;
    int ok = 0, k;
    FILE *f;
    snprintf(in_path, sizeof in_path, "%s/eb_%s_input.csv", folder, name);
    snprintf(exp_path, sizeof exp_path, "%s/eb_%s_expected.csv", folder, name);
    n = read_attempts(in_path, &attempts);
    f = fopen(exp_path, "r");
    if (n < 0 || !f || fscanf(f, "%*[^\n]\n") != 0 ||
        fscanf(f, "%lf,%lf,%lf\n%lf,%lf,%lf", &want[0][0], &want[0][1], &want[0][2], &want[1][0], &want[1][1],
               &want[1][2]) != 6) {
        printf("FAIL  eb_%s: cannot read the fixtures\n", name);
        goto done;
    }
    for (i = 0; i < (size_t)n; ++i)
        if (attempts[i].prompt + 1 > prompts) prompts = attempts[i].prompt + 1;
    sorted = (saferl_budget_attempt *)malloc((size_t)n * sizeof *sorted);
    start = (size_t *)malloc((prompts + 1) * sizeof *start);
    summaries = (saferl_budget_summary *)malloc(prompts * sizeof *summaries);
    patterns = (double *)malloc(6 * prompts * sizeof *patterns);
    if (!sorted || !start || !summaries || !patterns ||
        saferl_budget_group_by_prompt(attempts, (size_t)n, prompts, sorted, start) != SAFERL_OK) {
        printf("FAIL  eb_%s: grouping\n", name);
        goto done;
    }
    for (i = 0; i < prompts; ++i) {
        saferl_budget_summarize(sorted + start[i], start[i + 1] - start[i], NULL, &summaries[i]);
        successes += (double)summaries[i].successes;
        exposure += summaries[i].exposure;
    }
    pattern_count = saferl_budget__group_patterns(summaries, prompts, patterns);
    fixed.log_a = want[1][0];
    fixed.log_b = want[1][1];
    saferl_budget__beta_loglik(patterns, pattern_count, &fixed);
    value_tolerance = 8.0 * DBL_EPSILON * cancelling_scale(summaries, prompts, exp(fixed.log_a), exp(fixed.log_b));
    if (!(fabs(fixed.loglik - want[1][2]) <= value_tolerance)) {
        printf("FAIL  eb_%s: log-likelihood at (%g, %g) %.17g, scipy %.17g\n", name, want[1][0], want[1][1],
               fixed.loglik, want[1][2]);
        goto done;
    }
    k = saferl_budget__fit_beta(patterns, pattern_count, successes, exposure, &fit);
    max_tolerance = k ? 8.0 * DBL_EPSILON * cancelling_scale(summaries, prompts, exp(fit.log_a), exp(fit.log_b)) +
                            stopping_gap(&fit)
                      : 0.0;
    if (!k || !(fabs(fit.loglik - want[0][2]) <= max_tolerance)) {
        printf("FAIL  eb_%s: maximum %.17g at a = %g, b = %g (converged %d); scipy %.17g at a = %g, b = %g\n", name,
               fit.loglik, exp(fit.log_a), exp(fit.log_b), k, want[0][2], exp(want[0][0]), exp(want[0][1]));
        goto done;
    }
    if (!check_atom(folder, name, summaries, prompts)) goto done;
    printf("ok    eb_%s: %zu prompts; maximum %.12g at a = %.5g, b = %.5g (scipy %.12g at a = %.5g, b = %.5g); "
           "differences %.2g (fixed point, tolerance %.2g), %.2g (maximum, tolerance %.2g)\n", name, prompts, fit.loglik,
           exp(fit.log_a), exp(fit.log_b), want[0][2], exp(want[0][0]), exp(want[0][1]), fabs(fixed.loglik - want[1][2]),
           value_tolerance, fabs(fit.loglik - want[0][2]), max_tolerance);
    ok = 1;
done:
    if (f) fclose(f);
    free(patterns);
    free(summaries);
    free(start);
    free(sorted);
    free(attempts);
    return ok;
}

int main(int argc, char **argv) {
    const char *folder = argc > 1 ? argv[1] : "tests/data/budget";
    int i, passed = 0, failed = 0;
    if (argc > 2) {
        for (i = 2; i < argc; ++i) check_dataset(folder, argv[i]) ? ++passed : ++failed;
    } else {
        for (i = 0; i < (int)(sizeof default_names / sizeof default_names[0]); ++i)
            check_dataset(folder, default_names[i]) ? ++passed : ++failed;
        for (i = 0; i < (int)(sizeof beta_names / sizeof beta_names[0]); ++i)
            check_beta_fit(folder, beta_names[i]) ? ++passed : ++failed;
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
