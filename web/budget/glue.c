/* glue.c - the WebAssembly face of saferl_budget.h for web/budget/.
   Thin wrappers only: every number the page shows comes from the header's functions. The
   exports take and return 32-bit ints, doubles and pointers (see CONVENTIONS.md, section 4).
   Memory: the page allocates its output arrays once at start; the CSV buffers here grow with
   the text (one malloc per load, never per frame), and the simulator lives in one block. */
#include <stdlib.h>
#include <string.h>
#include <emscripten/emscripten.h>

#define GLUE_EXPORT EMSCRIPTEN_KEEPALIVE

/* First the declarations; then a few of the header's own functions re-declared as exported
   (the browser test calls them directly, to check the page against the library with no glue
   in between); then the implementation, which must come after those attributes. */
#include "saferl_budget.h"

GLUE_EXPORT double saferl_budget_model_success_probability(const saferl_budget_tokens_model *model,
                                                           double horizon);
GLUE_EXPORT double saferl_budget_reward_variance(double p);
GLUE_EXPORT double saferl_budget_informative_probability(double p, int group_size);
GLUE_EXPORT double saferl_budget_samples_for_success(double p, double delta);
GLUE_EXPORT saferl_budget_regime saferl_budget_regime_of(double xi, const saferl_budget_desc *desc);
GLUE_EXPORT const char *saferl_budget_regime_name(saferl_budget_regime regime);

#define SAFERL_BUDGET_IMPLEMENTATION
#include "saferl_budget.h"

static saferl_budget_tokens_model glue_model(int law, double mean_tokens, double log_sigma) {
    saferl_budget_tokens_model model;
    model.law = law == 1 ? SAFERL_BUDGET_LOGNORMAL : SAFERL_BUDGET_GEOMETRIC;
    model.mean_tokens = mean_tokens;
    model.log_sigma = log_sigma;
    return model;
}

static saferl_budget_desc glue_desc(double balanced_low, double balanced_high, double horizon) {
    saferl_budget_desc desc;
    memset(&desc, 0, sizeof desc);
    desc.balanced_low = balanced_low;
    desc.balanced_high = balanced_high;
    desc.horizon = horizon;
    return saferl_budget_desc_defaults(&desc);
}

GLUE_EXPORT const char *budget_version(void) { return saferl_budget_version(); }

GLUE_EXPORT const char *budget_regime_name(int regime) {
    return saferl_budget_regime_name((saferl_budget_regime)regime);
}

/* What a prompt set's row and its pooled hazard estimate, named as the header names them. */
GLUE_EXPORT const char *budget_set_estimand(void) { return SAFERL_BUDGET_SET_ESTIMAND; }
GLUE_EXPORT const char *budget_pooled_hazard_estimand(void) { return SAFERL_BUDGET_POOLED_HAZARD_ESTIMAND; }

GLUE_EXPORT const char *budget_result_string(int result) {
    return saferl_result_string((saferl_result)result);
}

/* Curves against xi, log-spaced on [xi_min, xi_max] with n points. out holds 5 n doubles:
   xi, p(xi) for the law (horizon = xi E[T]), p (1 - p), P(informative group of G), and the
   model's progress per token divided by its largest value on the grid. */
GLUE_EXPORT int budget_curves(int law, double mean_tokens, double log_sigma, int group_size,
                              double xi_min, double xi_max, int n, double *out) {
    saferl_budget_tokens_model model = glue_model(law, mean_tokens, log_sigma);
    double *xs = out, *ps = out + n, *vs = out + 2 * n, *is = out + 3 * n, *gs = out + 4 * n;
    double top = 0.0, step;
    int i;
    if (n < 2 || !(xi_min > 0.0) || !(xi_max > xi_min)) return SAFERL_ERR_INVALID_ARGUMENT;
    step = log(xi_max / xi_min) / (double)(n - 1);
    for (i = 0; i < n; ++i) {
        double xi = xi_min * exp(step * (double)i);
        double p = saferl_budget_model_success_probability(&model, xi * mean_tokens);
        xs[i] = xi;
        ps[i] = p;
        vs[i] = saferl_budget_reward_variance(p);
        is[i] = saferl_budget_informative_probability(p, group_size);
        gs[i] = saferl_budget_sim_progress_per_token(xi, group_size);
        if (gs[i] > top) top = gs[i];
    }
    if (top > 0.0)
        for (i = 0; i < n; ++i) gs[i] /= top;
    return SAFERL_OK;
}

/* What follows from xi and p = p(H): out holds 5 doubles: p (1 - p), P_inf for G, samples
   for one success at delta, the regime of xi in the band, the model's progress per token. */
GLUE_EXPORT void budget_readout(double xi, double p, int group_size, double balanced_low,
                                double balanced_high, double delta, double *out) {
    saferl_budget_desc desc = glue_desc(balanced_low, balanced_high, 0.0);
    out[0] = saferl_budget_reward_variance(p);
    out[1] = saferl_budget_informative_probability(p, group_size);
    out[2] = saferl_budget_samples_for_success(p, delta);
    out[3] = (double)saferl_budget_regime_of(xi, &desc);
    out[4] = saferl_budget_sim_progress_per_token(xi, group_size);
}

/* The readout of a model of T at horizon H. out holds 9 doubles: xi = H / E[T], p(H), then
   budget_readout's five, then the horizons xi E[T] at the band's lower and upper edges. */
GLUE_EXPORT int budget_point(int law, double mean_tokens, double log_sigma, double horizon,
                             int group_size, double balanced_low, double balanced_high,
                             double delta, double *out) {
    saferl_budget_tokens_model model = glue_model(law, mean_tokens, log_sigma);
    saferl_budget_desc desc = glue_desc(balanced_low, balanced_high, 0.0);
    double xi = horizon / mean_tokens;
    double p = saferl_budget_model_success_probability(&model, horizon);
    out[0] = xi;
    out[1] = p;
    budget_readout(xi, p, group_size, balanced_low, balanced_high, delta, out + 2);
    out[7] = desc.balanced_low * mean_tokens;
    out[8] = desc.balanced_high * mean_tokens;
    return p == p ? SAFERL_OK : SAFERL_ERR_INVALID_ARGUMENT;
}

/* ---- CSV of attempts ------------------------------------------------------------------- */

/* Fields written per prompt (and once more for the prompt set) by budget_csv_*: 18 of the
   summary, then the pooled hazard's xi, unsolved prompts, extrapolated (0/1) and the fitted
   spread (NaN for a prompt); then the set's posterior_lo, posterior_hi, spread_lo, spread_hi,
   spread_zero_probability, and whether the boundary interval raised the upper end (1/0). As
   budget_report has them: the spreads NaN unless the interval was widened, the probability
   NaN unless the atom prior was used, "raised" NaN unless the interval is the boundary one,
   all only where a spread was fitted; all six NaN for a prompt. Which interval xi_lo, xi_hi
   hold comes by name from budget_csv_set_interval. */
#define GLUE_SUMMARY_FIELDS 28

typedef struct glue_csv {
    saferl_budget_csv_row *rows;
    saferl_budget_csv_error *errors;
    saferl_budget_attempt *attempts, *sorted;
    saferl_budget_summary *summaries;
    size_t *prompt_start, *first_row;
    void *work;
    size_t row_count, error_count, prompt_count, max_horizon;
    int status;
    /* the set's estimate at the data's largest horizon, kept until the CSV, the confidence,
       the interval or the prior changes: another H only rescales xi (E[T_i] does not depend
       on it), and the estimate costs seconds at 10^4 prompts */
    saferl_budget_set_summary set;
    saferl_result set_result;
    double set_confidence;
    saferl_budget_interval set_interval;
    saferl_budget_spread_prior set_spread_prior;
    const char *set_interval_held; /* budget_report --json's "interval" of the last set written */
} glue_csv;

static glue_csv glue_csv_state;

static void glue_csv_release(void) {
    glue_csv *c = &glue_csv_state;
    free(c->rows);
    free(c->errors);
    free(c->attempts);
    free(c->sorted);
    free(c->summaries);
    free(c->prompt_start);
    free(c->first_row);
    free(c->work);
    memset(c, 0, sizeof *c);
}

/* Parses text (length bytes of UTF-8) with saferl_budget_csv_parse. Returns its result; the
   errors and rows stay here for the getters below. At most max_errors errors are kept. */
GLUE_EXPORT int budget_csv_parse(const char *text, int length, int max_errors) {
    glue_csv *c = &glue_csv_state;
    size_t rows = 0, errors = 0, i;
    saferl_result r;
    glue_csv_release();
    if (length < 0 || max_errors < 1) return SAFERL_ERR_INVALID_ARGUMENT;
    c->errors = (saferl_budget_csv_error *)malloc((size_t)max_errors * sizeof *c->errors);
    if (!c->errors) return c->status = SAFERL_ERR_OUT_OF_MEMORY;
    r = saferl_budget_csv_parse(text, (size_t)length, NULL, 0, &rows, c->errors,
                                (size_t)max_errors, &errors);
    c->error_count = errors;
    if (r < 0 && r != SAFERL_ERR_BUFFER_TOO_SMALL) return c->status = r;
    c->rows = (saferl_budget_csv_row *)malloc((rows ? rows : 1) * sizeof *c->rows);
    if (!c->rows) return c->status = SAFERL_ERR_OUT_OF_MEMORY;
    r = saferl_budget_csv_parse(text, (size_t)length, c->rows, rows, &c->row_count, c->errors,
                                (size_t)max_errors, &errors);
    c->error_count = errors;
    if (r < 0) return c->status = r;
    for (i = 0; i < c->row_count; ++i)
        if ((size_t)c->rows[i].horizon > c->max_horizon) c->max_horizon = (size_t)c->rows[i].horizon;
    return c->status = r;
}

GLUE_EXPORT int budget_csv_error_count(void) { return (int)glue_csv_state.error_count; }
GLUE_EXPORT int budget_csv_row_count(void) { return (int)glue_csv_state.row_count; }
GLUE_EXPORT int budget_csv_max_horizon(void) { return (int)glue_csv_state.max_horizon; }

/* Error i (of those kept): out gets line, column and the result code; returns the reason. */
GLUE_EXPORT const char *budget_csv_error(int i, int *out) {
    const saferl_budget_csv_error *e = &glue_csv_state.errors[i];
    out[0] = (int)e->line;
    out[1] = (int)e->column;
    out[2] = (int)e->code;
    return e->reason ? e->reason : saferl_result_string(e->code);
}

static void glue_write_summary(const saferl_budget_summary *s, int result,
                               const saferl_budget_desc *desc, double *out) {
    out[0] = (double)s->attempts;
    out[1] = (double)s->successes;
    out[2] = s->xi;
    out[3] = s->xi_lo;
    out[4] = s->xi_hi;
    out[5] = (double)s->xi_is_upper_bound;
    out[6] = (double)s->regime;
    out[7] = (double)s->regime_is_certain;
    out[8] = s->success_rate;
    out[9] = s->model_success_probability;
    out[10] = s->mean_tokens;
    out[11] = s->mean_tokens_lo;
    out[12] = s->mean_tokens_hi;
    out[13] = s->hazard;
    out[14] = s->horizon;
    out[15] = (double)result;
    out[16] = saferl_budget_horizon_for_xi(s, desc->balanced_low);
    out[17] = saferl_budget_horizon_for_xi(s, desc->balanced_high);
    out[18] = out[21] = NAN;
    out[19] = out[20] = 0.0;
    out[22] = out[23] = out[24] = out[25] = out[26] = out[27] = NAN;
}

/* The set's interval fields (see GLUE_SUMMARY_FIELDS). Which interval xi_lo, xi_hi hold is the
   header's set->interval (the posterior's where no spread is fitted, whatever desc asked).
   Raised is the header's upper_raised. */
static const char *glue_write_set_interval(const saferl_budget_set_summary *set, const saferl_budget_desc *desc,
                                           double *out) {
    const int fitted = set->prior_a > 0.0;
    const int widened = set->interval == SAFERL_BUDGET_INTERVAL_WIDENED;
    const int boundary = set->interval == SAFERL_BUDGET_INTERVAL_BOUNDARY;
    out[22] = set->posterior_lo;
    out[23] = set->posterior_hi;
    out[24] = widened ? set->spread_lo : NAN;
    out[25] = widened ? set->spread_hi : NAN;
    out[26] = fitted && desc->spread_prior == SAFERL_BUDGET_SPREAD_ATOM_AND_HALF_CAUCHY
                  ? set->spread_zero_probability : NAN;
    out[27] = boundary ? (double)set->upper_raised : NAN;
    return saferl_budget_interval_name(set->interval);
}

/* The prompt set's summary: the pooled hazard's counts and means over prompts, with xi,
   E[T] and the regime of saferl_budget_set_estimate (H / mean_i E[T_i]). */
static saferl_result glue_set_summary(glue_csv *c, const saferl_budget_desc *desc, double *out) {
    saferl_budget_summary pooled;
    saferl_budget_set_summary set;
    saferl_result r = saferl_budget_pool(c->summaries, c->prompt_count, desc, &pooled);
    double scale;
    if (r < 0) return r;
    out[18] = pooled.xi_is_upper_bound ? NAN : pooled.xi;
    if (!c->set.method || c->set_confidence != desc->confidence || c->set_interval != desc->interval ||
        c->set_spread_prior != desc->spread_prior) {
        saferl_budget_desc at_data = *desc;
        size_t size = saferl_budget_set_memory_size(desc, c->prompt_count);
        void *work = size ? malloc(size) : NULL;
        if (!work) return SAFERL_ERR_OUT_OF_MEMORY;
        at_data.horizon = 0.0;
        c->set_result = saferl_budget_set_estimate(c->summaries, c->prompt_count, &at_data, work, size, &c->set);
        free(work);
        if (c->set_result < 0) {
            r = c->set_result;
            memset(&c->set, 0, sizeof c->set);
            return r;
        }
        c->set_confidence = desc->confidence;
        c->set_interval = desc->interval;
        c->set_spread_prior = desc->spread_prior;
    }
    r = c->set_result;
    set = c->set;
    scale = (desc->horizon > 0.0 ? desc->horizon : set.horizon) / set.horizon;
    set.horizon *= scale;
    set.xi *= scale;
    set.xi_lo *= scale;
    set.xi_hi *= scale;
    set.posterior_lo *= scale;
    set.posterior_hi *= scale;
    set.regime = saferl_budget_regime_of(set.xi, desc);
    set.regime_is_certain = saferl_budget_regime_of(set.xi_lo, desc) == saferl_budget_regime_of(set.xi_hi, desc);
    {
        double hazard_xi = out[18];
        pooled.xi = set.xi;
        pooled.xi_lo = set.xi_lo;
        pooled.xi_hi = set.xi_hi;
        pooled.xi_is_upper_bound = set.xi_is_upper_bound;
        pooled.hazard = set.xi / set.horizon;
        pooled.hazard_lo = set.xi_lo / set.horizon;
        pooled.hazard_hi = set.xi_hi / set.horizon;
        pooled.mean_tokens = set.mean_tokens;
        pooled.mean_tokens_lo = set.mean_tokens_lo;
        pooled.mean_tokens_hi = set.mean_tokens_hi;
        pooled.regime = set.regime;
        pooled.regime_is_certain = set.regime_is_certain;
        glue_write_summary(&pooled, r, desc, out);
        out[18] = hazard_xi;
        out[19] = (double)set.unsolved_prompts;
        out[20] = (double)set.extrapolated;
        out[21] = set.prior_a > 0.0 ? set.spread : NAN;
        c->set_interval_held = glue_write_set_interval(&set, desc, out);
    }
    return r;
}

/* Summarises the parsed rows at reference horizon H (0: the largest among the attempts):
   saferl_budget_index_prompts, _group_by_prompt, _summarize per prompt and _pool. Returns
   the number of prompts or a negative saferl_result. */
GLUE_EXPORT int budget_csv_summarize(const char *text, double horizon, double balanced_low,
                                     double balanced_high, double confidence) {
    glue_csv *c = &glue_csv_state;
    saferl_budget_desc desc = glue_desc(balanced_low, balanced_high, horizon);
    size_t n = c->row_count, work_size, p;
    saferl_result r;
    desc.confidence = confidence > 0.0 ? confidence : desc.confidence;
    if (!c->rows || n == 0) return SAFERL_ERR_NO_DATA;
    if (!c->attempts) {
        work_size = saferl_budget_index_prompts_memory_size(n);
        c->work = malloc(work_size ? work_size : 1);
        c->attempts = (saferl_budget_attempt *)malloc(n * sizeof *c->attempts);
        c->sorted = (saferl_budget_attempt *)malloc(n * sizeof *c->sorted);
        c->first_row = (size_t *)malloc(n * sizeof *c->first_row);
        c->prompt_start = (size_t *)malloc((n + 1) * sizeof *c->prompt_start);
        c->summaries = (saferl_budget_summary *)malloc((n + 1) * sizeof *c->summaries);
        if (!c->work || !c->attempts || !c->sorted || !c->first_row || !c->prompt_start ||
            !c->summaries) {
            glue_csv_release();
            return SAFERL_ERR_OUT_OF_MEMORY;
        }
        r = saferl_budget_index_prompts(text, c->rows, n, c->work, work_size, c->attempts,
                                        &c->prompt_count, c->first_row);
        if (r < 0) return r;
        r = saferl_budget_group_by_prompt(c->attempts, n, c->prompt_count, c->sorted,
                                          c->prompt_start);
        if (r < 0) return r;
    }
    for (p = 0; p < c->prompt_count; ++p) {
        size_t start = c->prompt_start[p];
        r = saferl_budget_summarize(c->sorted + start, c->prompt_start[p + 1] - start, &desc,
                                    &c->summaries[p]);
        if (r < 0) return r;
    }
    return (int)c->prompt_count;
}

/* The set's interval and spread prior by budget_report's names (--interval, --spread-prior);
   0 when the name is not one of them. */
static int glue_interval_named(const char *name, saferl_budget_interval *interval) {
    int i;
    if (!name) return 0;
    for (i = SAFERL_BUDGET_INTERVAL_BOUNDARY; i <= SAFERL_BUDGET_INTERVAL_POSTERIOR; ++i)
        if (strcmp(name, saferl_budget_interval_name((saferl_budget_interval)i)) == 0) {
            *interval = (saferl_budget_interval)i;
            return 1;
        }
    return 0;
}

static int glue_spread_prior_named(const char *name, saferl_budget_spread_prior *prior) {
    if (!name) return 0;
    if (strcmp(name, "half-cauchy") == 0) *prior = SAFERL_BUDGET_SPREAD_HALF_CAUCHY;
    else if (strcmp(name, "atom") == 0) *prior = SAFERL_BUDGET_SPREAD_ATOM_AND_HALF_CAUCHY;
    else return 0;
    return 1;
}

/* Prompt i's summary (i == prompt count: the prompt set's) into out (GLUE_SUMMARY_FIELDS
   doubles); name gets the byte offset and length of its prompt_id in the text. interval and
   spread_prior name the set's, as budget_report's --interval and --spread-prior do. */
GLUE_EXPORT int budget_csv_prompt(int i, double balanced_low, double balanced_high, double horizon,
                                  double confidence, const char *interval, const char *spread_prior,
                                  double *out, int *name) {
    glue_csv *c = &glue_csv_state;
    saferl_budget_desc desc = glue_desc(balanced_low, balanced_high, horizon);
    saferl_result r;
    desc.confidence = confidence > 0.0 ? confidence : desc.confidence;
    if (!glue_interval_named(interval, &desc.interval) || !glue_spread_prior_named(spread_prior, &desc.spread_prior))
        return SAFERL_ERR_INVALID_ARGUMENT;
    if (i < 0 || (size_t)i > c->prompt_count || !c->summaries) return SAFERL_ERR_INVALID_ARGUMENT;
    if ((size_t)i == c->prompt_count) {
        r = glue_set_summary(c, &desc, out);
        name[0] = name[1] = 0;
        return r;
    }
    glue_write_summary(&c->summaries[i], c->summaries[i].xi_is_upper_bound ? SAFERL_BOUND_ONLY
                                                                           : SAFERL_OK,
                       &desc, out);
    name[0] = (int)c->rows[c->first_row[i]].name_offset;
    name[1] = (int)c->rows[c->first_row[i]].name_length;
    return SAFERL_OK;
}

/* Which interval the set's xi_lo, xi_hi hold, named as budget_report --json's "interval",
   after the last budget_csv_prompt of the set ("" before one). */
GLUE_EXPORT const char *budget_csv_set_interval(void) {
    return glue_csv_state.set_interval_held ? glue_csv_state.set_interval_held : "";
}

/* ---- learning-progress simulator (our model, not the paper's theorem) ------------------ */

static saferl_budget_sim glue_sim;
static void *glue_sim_memory;
static size_t glue_sim_memory_size;

GLUE_EXPORT int budget_sim_reset(int prompts, int group_size, double horizon,
                                 double initial_mean_tokens, double prompt_spread,
                                 double learning_rate, unsigned seed) {
    saferl_budget_sim_desc desc;
    size_t size;
    memset(&desc, 0, sizeof desc);
    desc.prompts = (uint32_t)prompts;
    desc.group_size = (uint32_t)group_size;
    desc.horizon = horizon;
    desc.initial_mean_tokens = initial_mean_tokens;
    desc.prompt_spread = prompt_spread;
    desc.learning_rate = learning_rate;
    desc.seed = seed;
    size = saferl_budget_sim_memory_size(&desc);
    if (size > glue_sim_memory_size) {
        void *m = realloc(glue_sim_memory, size);
        if (!m) return SAFERL_ERR_OUT_OF_MEMORY;
        glue_sim_memory = m;
        glue_sim_memory_size = size;
    }
    return saferl_budget_sim_init(&glue_sim, &desc, glue_sim_memory, glue_sim_memory_size);
}

/* Runs count iterations; out gets 4 doubles per iteration: iteration, mean xi, informative
   fraction, success rate. Returns the number run or a negative saferl_result. */
GLUE_EXPORT int budget_sim_step(int count, double *out) {
    saferl_budget_sim_iteration it;
    int k;
    if (!glue_sim_memory) return SAFERL_ERR_INVALID_ARGUMENT;
    for (k = 0; k < count; ++k) {
        saferl_result r = saferl_budget_sim_step(&glue_sim, &it);
        if (r < 0) return k ? k : r;
        out[4 * k + 0] = (double)it.iteration;
        out[4 * k + 1] = it.mean_xi;
        out[4 * k + 2] = it.informative_fraction;
        out[4 * k + 3] = it.success_rate;
    }
    return count;
}

/* Mean xi of the simulator now (before any step: the initial one), from its hazards. */
GLUE_EXPORT double budget_sim_mean_xi(void) {
    double sum = 0.0;
    uint32_t i;
    if (!glue_sim_memory || glue_sim.desc.prompts == 0) return 0.0;
    for (i = 0; i < glue_sim.desc.prompts; ++i) sum += glue_sim.hazard[i];
    return sum * glue_sim.desc.horizon / (double)glue_sim.desc.prompts;
}
