// SPDX-License-Identifier: MIT OR Unlicense
/* budget_report - the relative budget xi = H / E[T] of a set of prompts, from a CSV of attempts

   usage: budget_report [--json] [--png out.png] [--confidence 0.95] [--band 1.5,2.0]
                        [--horizon H] [--spread-prior half-cauchy|atom]
                        [--interval boundary|widened|posterior] file.csv

   file.csv has one row per sampled attempt:  prompt_id,horizon,tokens
   (tokens empty or -1 when no correct solution appeared within the horizon; an optional
   header line; '#' comments and blank lines are skipped; RFC 4180 quotes; CRLF is fine).

   Prints, per prompt and for the prompt set: xi with its interval, the regime, the success
   rate p, the reward variance p(1 - p), P(informative group) for G = 4, 8, 16 (the model
   value from p and the unbiased estimate from the counts), E[T] with its standard error and
   the horizons that would put the prompt (or the set) in the balanced band. The set's xi
   is H / mean_i E[T_i] (saferl_budget_set_estimate: hierarchical Bayes over the prompts'
   hazards; prompts that never succeeded are extrapolated by the fit, and the report says
   so; --spread-prior atom gives "all prompts alike" prior probability 1/2 and reports its
   posterior probability, the default half-cauchy is the header's; the interval is by default
   the posterior's with its upper end raised to the all-alike interval's when a test does not
   reject "all prompts alike" (--interval boundary, the header's), --interval widened joins the
   interval given each spread the data do not rule out (conservative), --interval posterior
   is the posterior's alone); the earlier pooled
   hazard follows under its own name. --json prints the same as one
   JSON object ("pooled" is the set, with its "estimand", its "posterior_interval" (the one
   "xi_lo", "xi_hi" hold with --interval posterior), its "interval", the "spread_range"
   it was widened over and "upper_raised" (whether the boundary interval raised the upper
   end; null under the other intervals); "pooled_hazard" the pooled hazard); --png draws the
   theory curves with the prompts on them.

   Exit status: 0 report printed, 1 bad or unreadable input (every bad line is listed as
   file:line: reason), 2 usage error.

   Build: cc -std=c99 -O2 -I. -I/usr/include/stb examples/budget_report.c -o budget_report -lm
*/
#include "cli.h" /* first: it asks for POSIX */
#define _POSIX_C_SOURCE 200809L

#define SAFERL_BUDGET_IMPLEMENTATION
#include "saferl_budget.h"

#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#include "plot.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GROUP_SIZES 3
static const int group_sizes[GROUP_SIZES] = {4, 8, 16};

typedef struct options {
    int json;
    const char *png_path;
    double confidence;
    double band_low, band_high;
    double horizon; /* 0: the largest horizon among the attempts */
    saferl_budget_spread_prior spread_prior;
    saferl_budget_interval interval;
    const char *path;
} options;

/* One line of the report: a prompt, or the pooled set. */
typedef struct report_entry {
    char *name;                 /* prompt_id, unquoted; NULL for the pooled set */
    saferl_budget_summary summary;
    saferl_result result;       /* SAFERL_OK or SAFERL_BOUND_ONLY */
    double informative[GROUP_SIZES];          /* model value from p */
    double informative_estimate[GROUP_SIZES]; /* unbiased estimate; NaN when n < G */
    double horizon_band[2];     /* horizons for xi = band_low and band_high (INFINITY: unknown) */
    const saferl_budget_set_summary *set; /* the prompt set's estimate (NULL for a prompt) */
    saferl_budget_spread_prior spread_prior; /* the prior behind set */
    saferl_budget_interval interval;         /* and its interval */
} report_entry;

/* The --spread-prior word for a prior, as the JSON reports it. */
static const char *spread_prior_name(saferl_budget_spread_prior prior) {
    return prior == SAFERL_BUDGET_SPREAD_ATOM_AND_HALF_CAUCHY ? "atom" : "half-cauchy";
}

static void usage(FILE *out) {
    fprintf(out,
            "usage: budget_report [--json] [--png out.png] [--confidence 0.95] [--band 1.5,2.0]\n"
            "                     [--horizon H] [--spread-prior half-cauchy|atom]\n"
            "                     [--interval boundary|widened|posterior] file.csv\n"
            "  file.csv: prompt_id,horizon,tokens per attempt (tokens empty or -1: not solved)\n"
            "  --json          print one JSON object instead of the text report\n"
            "  --png FILE      also draw p, reward variance and P(informative) against xi\n"
            "  --confidence C  interval level in (0, 1) (default 0.95)\n"
            "  --band LO,HI    the balanced band of xi (default 1.5,2.0, the paper's)\n"
            "  --horizon H     reference horizon of xi (default: the largest in the data)\n"
            "  --spread-prior P  prior on the spread of the prompts' ln E[T_i] behind the set's xi:\n"
            "                  half-cauchy (default) or atom (probability 1/2 that all prompts are\n"
            "                  alike, else half-Cauchy; prints that probability's posterior)\n"
            "  --interval I    the set's interval: boundary (default: the posterior's, its upper end\n"
            "                  raised to the all-alike interval's when the data do not reject that\n"
            "                  all prompts are alike), widened (also holds the interval given each\n"
            "                  spread the data do not rule out; conservative) or posterior (alone)\n");
}

static int parse_double(const char *text, double *out) {
    char *end;
    double v;
    errno = 0;
    v = strtod(text, &end);
    if (end == text || *end != '\0' || errno == ERANGE || !isfinite(v)) return 0;
    *out = v;
    return 1;
}

/* Returns 0 on success, 2 on a usage error (after printing why), -1 for --help. */
static int parse_options(int argc, char **argv, options *opt) {
    int i, only_files = 0;
    cli c; /* only for the repeated-flag check; the messages here are this program's own */
    cli_init(&c, argc, argv, "[--json] [--png out.png] [--confidence 0.95] [--band 1.5,2.0] [--horizon H] [--spread-prior half-cauchy|atom] [--interval boundary|widened|posterior] file.csv");
    memset(opt, 0, sizeof *opt);
    opt->confidence = 0.95;
    opt->band_low = 1.5;
    opt->band_high = 2.0;
    for (i = 1; i < argc; ++i) {
        const char *a = argv[i];
        if (!only_files && a[0] == '-' && a[1] == '-' && a[2] != '\0' && cli_once(&c, a)) return 2;
        if (!only_files && strcmp(a, "--") == 0) {
            only_files = 1;
        } else if (!only_files && (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)) {
            return -1;
        } else if (!only_files && strcmp(a, "--json") == 0) {
            opt->json = 1;
        } else if (!only_files && (strcmp(a, "--png") == 0 || strcmp(a, "--confidence") == 0 ||
                                   strcmp(a, "--band") == 0 || strcmp(a, "--horizon") == 0 ||
                                   strcmp(a, "--spread-prior") == 0 || strcmp(a, "--interval") == 0)) {
            const char *v;
            if (i + 1 >= argc) {
                fprintf(stderr, "budget_report: %s needs a value\n", a);
                return 2;
            }
            v = argv[++i];
            if (strcmp(a, "--png") == 0) {
                if (!*v) {
                    fprintf(stderr, "budget_report: --png needs a file name\n");
                    return 2;
                }
                opt->png_path = v;
            } else if (strcmp(a, "--confidence") == 0) {
                if (!parse_double(v, &opt->confidence) || !(opt->confidence > 0.0 && opt->confidence < 1.0)) {
                    fprintf(stderr, "budget_report: --confidence must be a number in (0, 1), not '%s'\n", v);
                    return 2;
                }
            } else if (strcmp(a, "--band") == 0) {
                char buf[128], *comma;
                if (strlen(v) >= sizeof buf || !(comma = strchr(strcpy(buf, v), ','))) {
                    fprintf(stderr, "budget_report: --band must be LO,HI, not '%s'\n", v);
                    return 2;
                }
                *comma = '\0';
                if (!parse_double(buf, &opt->band_low) || !parse_double(comma + 1, &opt->band_high) ||
                    !(opt->band_low > 0.0 && opt->band_low < opt->band_high)) {
                    fprintf(stderr, "budget_report: --band must be LO,HI with 0 < LO < HI, not '%s'\n", v);
                    return 2;
                }
            } else if (strcmp(a, "--interval") == 0) {
                int k = SAFERL_BUDGET_INTERVAL_BOUNDARY; /* by the header's own names */
                while (k <= SAFERL_BUDGET_INTERVAL_POSTERIOR && strcmp(v, saferl_budget_interval_name((saferl_budget_interval)k)) != 0) ++k;
                if (k > SAFERL_BUDGET_INTERVAL_POSTERIOR) {
                    fprintf(stderr, "budget_report: --interval must be boundary, widened or posterior, not '%s'\n", v);
                    return 2;
                }
                opt->interval = (saferl_budget_interval)k;
            } else if (strcmp(a, "--spread-prior") == 0) {
                if (strcmp(v, "half-cauchy") == 0) {
                    opt->spread_prior = SAFERL_BUDGET_SPREAD_HALF_CAUCHY;
                } else if (strcmp(v, "atom") == 0) {
                    opt->spread_prior = SAFERL_BUDGET_SPREAD_ATOM_AND_HALF_CAUCHY;
                } else {
                    fprintf(stderr, "budget_report: --spread-prior must be half-cauchy or atom, not '%s'\n", v);
                    return 2;
                }
            } else {
                if (!parse_double(v, &opt->horizon) || !(opt->horizon > 0.0)) {
                    fprintf(stderr, "budget_report: --horizon must be a number > 0, not '%s'\n", v);
                    return 2;
                }
            }
        } else if (!only_files && a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "budget_report: unknown option '%s'\n", a);
            return 2;
        } else {
            if (opt->path) {
                fprintf(stderr, "budget_report: one input file only ('%s' and '%s')\n", opt->path, a);
                return 2;
            }
            opt->path = a;
        }
    }
    if (!opt->path) {
        fprintf(stderr, "budget_report: no input file\n");
        return 2;
    }
    return 0;
}

/* Reads a whole file; returns 0, or 1 after printing "file: cannot open: reason". */
static int read_file(const char *path, char **text, size_t *length) {
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t size = 0, cap = 0;
    if (!f) {
        fprintf(stderr, "%s: cannot open: %s\n", path, strerror(errno));
        return 1;
    }
    for (;;) {
        size_t got;
        if (size == cap) {
            char *grown;
            cap = cap ? 2 * cap : 65536;
            grown = (char *)realloc(buf, cap + 1);
            if (!grown) {
                fprintf(stderr, "%s: cannot read: out of memory\n", path);
                free(buf);
                fclose(f);
                return 1;
            }
            buf = grown;
        }
        got = fread(buf + size, 1, cap - size, f);
        size += got;
        if (got == 0) break;
    }
    if (ferror(f)) {
        int e = errno;
        fprintf(stderr, "%s: cannot open: %s\n", path, e ? strerror(e) : "read error");
        free(buf);
        fclose(f);
        return 1;
    }
    fclose(f);
    { /* a UTF-8 byte-order mark is not part of the first prompt's name */
        size_t bom = cli_bom_length(buf, size);
        memmove(buf, buf + bom, size - bom);
        size -= bom;
    }
    buf[size] = '\0';
    *text = buf;
    *length = size;
    return 0;
}

/* The prompt_id of a row, with RFC 4180 quoting undone: the parser gives the span inside
   the quotes, where a quote character is written twice. */
static char *row_name(const char *text, const saferl_budget_csv_row *row) {
    const char *s = text + row->name_offset;
    int quoted = row->name_offset > 0 && text[row->name_offset - 1] == '"';
    char *out = (char *)malloc((size_t)row->name_length + 1);
    size_t i, n = 0;
    if (!out) return NULL;
    for (i = 0; i < row->name_length; ++i) {
        out[n++] = s[i];
        if (quoted && s[i] == '"' && i + 1 < row->name_length && s[i + 1] == '"') ++i;
    }
    out[n] = '\0';
    return out;
}

static void fill_theory(report_entry *e, const options *opt) {
    int g;
    const saferl_budget_summary *s = &e->summary;
    for (g = 0; g < GROUP_SIZES; ++g) {
        e->informative[g] = saferl_budget_informative_probability(s->success_rate, group_sizes[g]);
        e->informative_estimate[g] =
            (s->attempts >= (size_t)group_sizes[g] && s->attempts <= (size_t)INT_MAX)
                ? saferl_budget_informative_estimate((int)s->attempts, (int)s->successes, group_sizes[g])
                : NAN;
    }
    e->horizon_band[0] = saferl_budget_horizon_for_xi(s, opt->band_low);
    e->horizon_band[1] = saferl_budget_horizon_for_xi(s, opt->band_high);
}

/* ---- text report ------------------------------------------------------------------------- */

/* -0 (as 1 - 1 - 0 can come out) prints as 0. */
static double no_negative_zero(double v) { return v == 0.0 ? 0.0 : v; }

static void print_number_or_dash(double v) {
    if (isfinite(v)) printf("%.4g", no_negative_zero(v));
    else printf("-");
}

static void print_entry_text(const report_entry *e, const options *opt, size_t prompt_count) {
    const saferl_budget_summary *s = &e->summary;
    int g;
    if (e->name)
        printf("prompt \"%s\": %zu attempts, %zu solved, horizon %.6g\n", e->name, s->attempts, s->successes,
               s->horizon);
    else
        printf("prompt set of %zu prompt%s, xi = " SAFERL_BUDGET_SET_ESTIMAND
               ": %zu attempts, %zu solved, horizon %.6g\n",
               prompt_count, prompt_count == 1 ? "" : "s", s->attempts, s->successes, s->horizon);
    if (s->xi_is_upper_bound || e->result == SAFERL_BOUND_ONLY)
        printf("  xi             <= %.4g (no success: only an upper bound, %.3g%% confidence)\n", s->xi_hi,
               100.0 * opt->confidence);
    else
        printf("  xi             %.4g  [%.4g, %.4g] (%.3g%% interval)\n", s->xi, s->xi_lo, s->xi_hi,
               100.0 * opt->confidence);
    printf("  regime         %s (%s; band [%.4g, %.4g])\n", saferl_budget_regime_name(s->regime),
           s->regime_is_certain ? "the whole interval lies in it" : "the interval crosses a band edge",
           opt->band_low, opt->band_high);
    printf("  p              %.4g  (success rate within the horizon)\n", s->success_rate);
    printf("  reward var     %.4g  (p (1 - p))\n", s->reward_variance);
    printf("  P(informative) %s", e->name ? "" : "mean over prompts, ");
    for (g = 0; g < GROUP_SIZES; ++g) {
        printf("%sG=%d: ", g ? ", " : "", group_sizes[g]);
        print_number_or_dash(e->informative[g]);
        printf(" (estimate ");
        print_number_or_dash(e->informative_estimate[g]);
        printf(")");
    }
    printf("\n");
    if (isfinite(s->mean_tokens) && e->set)
        printf("  mean E[T]      %.4g tokens (%.3g%% interval [%.4g, %.4g])\n", s->mean_tokens,
               100.0 * opt->confidence, s->mean_tokens_lo, s->mean_tokens_hi);
    else if (isfinite(s->mean_tokens))
        printf("  E[T]           %.4g tokens (SE %.3g; %.3g%% interval [%.4g, %.4g])\n", s->mean_tokens,
               s->mean_tokens_se, 100.0 * opt->confidence, s->mean_tokens_lo, s->mean_tokens_hi);
    else if (isfinite(s->mean_tokens_lo) && s->mean_tokens_lo > 0.0)
        printf("  E[T]           >= %.4g tokens (no success: only a lower bound)\n", s->mean_tokens_lo);
    else
        printf("  E[T]           unknown (no success)\n");
    if (isfinite(e->horizon_band[0]) && isfinite(e->horizon_band[1]))
        printf("  horizon for xi in [%.4g, %.4g]: %.0f .. %.0f tokens\n", opt->band_low, opt->band_high,
               e->horizon_band[0], e->horizon_band[1]);
    else if (s->hazard_hi > 0.0 && isfinite(s->hazard_hi))
        printf("  horizon for xi in [%.4g, %.4g]: at least %.0f tokens (no success: unknown above)\n",
               opt->band_low, opt->band_high, opt->band_low / s->hazard_hi);
    else
        printf("  horizon for xi in [%.4g, %.4g]: unknown (no success)\n", opt->band_low, opt->band_high);
    if (e->set) {
        const saferl_budget_set_summary *t = e->set;
        printf("  method         %s\n", t->method);
        if (t->prior_a > 0.0)
            printf("  spread         sd of ln E[T_i] across prompts %.3g (fitted Beta(%.4g, %.4g) of the hazards)\n",
                   t->spread, t->prior_a, t->prior_b);
        if (t->interval == SAFERL_BUDGET_INTERVAL_WIDENED)
            printf("  interval       widened over the spreads %.3g .. %.3g, which the data do not rule out\n"
                   "                 (likelihood ratio); the posterior's alone: [%.4g, %.4g]\n",
                   t->spread_lo, t->spread_hi, t->posterior_lo, t->posterior_hi);
        if (t->interval == SAFERL_BUDGET_INTERVAL_BOUNDARY)
            printf("  interval       %s; the posterior's alone: [%.4g, %.4g]\n",
                   t->upper_raised ? "upper end raised to the all-alike interval's (the data do not reject "
                                                "that all prompts are alike)"
                                              : "the posterior's (not raised: all alike is rejected, or its interval "
                                                "lies within)",
                   t->posterior_lo, t->posterior_hi);
        if (e->spread_prior == SAFERL_BUDGET_SPREAD_ATOM_AND_HALF_CAUCHY && t->prior_a > 0.0)
            printf("  all alike      posterior probability %.3g that every prompt has the same E[T] (prior 1/2)\n",
                   t->spread_zero_probability);
        if (t->extrapolated)
            printf("  unsolved       %zu prompt%s never succeeded: the data bound %s E[T_i] only from below; the\n"
                   "                 estimate extrapolates %s from the fitted spread\n",
                   t->unsolved_prompts, t->unsolved_prompts == 1 ? "" : "s", t->unsolved_prompts == 1 ? "its" : "their",
                   t->unsolved_prompts == 1 ? "it" : "them");
    }
}

/* The earlier pooled quantity, under its own name. */
static void print_hazard_text(const report_entry *e, const options *opt) {
    const saferl_budget_summary *s = &e->summary;
    printf("pooled hazard  (successes per token at risk, each prompt weighing the same; under censoring\n"
           "               not " SAFERL_BUDGET_SET_ESTIMAND " but H sum p_i / sum E[min(T_i, H)])\n");
    if (s->xi_is_upper_bound || e->result == SAFERL_BOUND_ONLY)
        printf("  H x hazard     <= %.4g\n", s->xi_hi);
    else
        printf("  H x hazard     %.4g  [%.4g, %.4g] (%.3g%% interval)\n", s->xi, s->xi_lo, s->xi_hi,
               100.0 * opt->confidence);
}

/* ---- JSON -------------------------------------------------------------------------------- */

static void json_string(const char *s) {
    const unsigned char *p = (const unsigned char *)s;
    putchar('"');
    for (; *p; ++p) {
        switch (*p) {
        case '"': fputs("\\\"", stdout); break;
        case '\\': fputs("\\\\", stdout); break;
        case '\n': fputs("\\n", stdout); break;
        case '\r': fputs("\\r", stdout); break;
        case '\t': fputs("\\t", stdout); break;
        case '\b': fputs("\\b", stdout); break;
        case '\f': fputs("\\f", stdout); break;
        default:
            if (*p < 0x20 || *p == 0x7f) printf("\\u%04x", *p);
            else putchar(*p); /* UTF-8 passes through; JSON allows it raw */
        }
    }
    putchar('"');
}

/* A JSON number, or null for NaN and the infinities (JSON has no token for them). */
static void json_number(double v) {
    char buf[40];
    int precision;
    if (!isfinite(v)) {
        fputs("null", stdout);
        return;
    }
    v = no_negative_zero(v);
    /* the shortest of 15, 16, 17 significant digits that reads back as the same double */
    for (precision = 15; precision < 17; ++precision) {
        snprintf(buf, sizeof buf, "%.*g", precision, v);
        if (strtod(buf, NULL) == v) break;
    }
    if (precision == 17) snprintf(buf, sizeof buf, "%.17g", v);
    fputs(buf, stdout);
}

static void json_bool(int v) { fputs(v ? "true" : "false", stdout); }

static void print_entry_json(const report_entry *e, const char *indent) {
    const saferl_budget_summary *s = &e->summary;
    int bound_only = s->xi_is_upper_bound || e->result == SAFERL_BOUND_ONLY;
    int g;
    printf("%s{\"prompt_id\": ", indent);
    if (e->name) json_string(e->name);
    else fputs("null", stdout);
    printf(", \"n\": %zu, \"successes\": %zu", s->attempts, s->successes);
    if (!e->name) printf(", \"prompt_count\": %zu", s->prompts);
    /* Without a success the data bound E[T] from below and so xi only from above: xi is
       then null (no point estimate), xi_hi the bound, xi_is_upper_bound true. The key
       xi_is_lower_bound belongs to the requested interface and is kept, but it is always
       false: these data never bound xi from below only. */
    fputs(", \"xi\": ", stdout);
    json_number(bound_only ? NAN : s->xi);
    fputs(", \"xi_lo\": ", stdout);
    json_number(s->xi_lo);
    fputs(", \"xi_hi\": ", stdout);
    json_number(s->xi_hi);
    fputs(", \"xi_is_lower_bound\": false, \"xi_is_upper_bound\": ", stdout);
    json_bool(bound_only);
    fputs(", \"regime\": ", stdout);
    json_string(saferl_budget_regime_name(s->regime));
    fputs(", \"regime_is_certain\": ", stdout);
    json_bool(s->regime_is_certain);
    fputs(", \"p\": ", stdout);
    json_number(s->success_rate);
    fputs(", \"reward_variance\": ", stdout);
    json_number(s->reward_variance);
    fputs(", \"informative\": {", stdout);
    for (g = 0; g < GROUP_SIZES; ++g) {
        printf("%s\"%d\": ", g ? ", " : "", group_sizes[g]);
        json_number(e->informative[g]);
    }
    fputs("}, \"informative_estimate\": {", stdout);
    for (g = 0; g < GROUP_SIZES; ++g) {
        printf("%s\"%d\": ", g ? ", " : "", group_sizes[g]);
        json_number(e->informative_estimate[g]);
    }
    fputs("}, \"mean_tokens\": ", stdout);
    json_number(s->mean_tokens);
    fputs(", \"mean_tokens_se\": ", stdout);
    json_number(s->mean_tokens_se);
    fputs(", \"horizon\": ", stdout);
    json_number(s->horizon);
    fputs(", \"horizon_for_band\": [", stdout);
    json_number(e->horizon_band[0]);
    fputs(", ", stdout);
    json_number(e->horizon_band[1]);
    fputs("]", stdout);
    if (e->set) {
        const int widened = e->set->interval == SAFERL_BUDGET_INTERVAL_WIDENED;
        const int boundary = e->set->interval == SAFERL_BUDGET_INTERVAL_BOUNDARY;
        fputs(", \"estimand\": \"" SAFERL_BUDGET_SET_ESTIMAND "\", \"method\": ", stdout);
        json_string(e->set->method);
        printf(", \"unsolved_prompts\": %zu, \"extrapolated\": ", e->set->unsolved_prompts);
        json_bool(e->set->extrapolated);
        fputs(", \"spread\": ", stdout);
        json_number(e->set->prior_a > 0.0 ? e->set->spread : NAN);
        printf(", \"spread_prior\": \"%s\", \"spread_zero_probability\": ", spread_prior_name(e->spread_prior));
        json_number(e->spread_prior == SAFERL_BUDGET_SPREAD_ATOM_AND_HALF_CAUCHY && e->set->prior_a > 0.0
                        ? e->set->spread_zero_probability
                        : NAN);
        fputs(", \"posterior_interval\": [", stdout);
        json_number(e->set->posterior_lo);
        fputs(", ", stdout);
        json_number(e->set->posterior_hi);
        printf("], \"interval\": \"%s\", \"spread_range\": [", saferl_budget_interval_name(e->set->interval));
        json_number(widened ? e->set->spread_lo : NAN);
        fputs(", ", stdout);
        json_number(widened ? e->set->spread_hi : NAN);
        fputs("], \"upper_raised\": ", stdout);
        if (boundary) json_bool(e->set->upper_raised);
        else fputs("null", stdout);
    } else {
        fputs(", \"estimand\": \"H / E[T]\"", stdout);
    }
    fputs("}", stdout);
}

static void print_hazard_json(const report_entry *e) {
    const saferl_budget_summary *s = &e->summary;
    int bound_only = s->xi_is_upper_bound || e->result == SAFERL_BOUND_ONLY;
    fputs("{\"estimand\": \"" SAFERL_BUDGET_POOLED_HAZARD_ESTIMAND "\", \"xi\": ", stdout);
    json_number(bound_only ? NAN : s->xi);
    fputs(", \"xi_lo\": ", stdout);
    json_number(s->xi_lo);
    fputs(", \"xi_hi\": ", stdout);
    json_number(s->xi_hi);
    fputs(", \"xi_is_upper_bound\": ", stdout);
    json_bool(bound_only);
    fputs("}", stdout);
}

/* ---- PNG --------------------------------------------------------------------------------- */

static const char *base_name(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static int write_png(const char *png_path, const options *opt, const report_entry *prompts, size_t prompt_count,
                     const report_entry *pooled) {
    enum { W = 1320, H = 760, CURVE_POINTS = 600 };
    plot_canvas canvas;
    plot_axes ax;
    plot_color c_p = plot_rgb(31, 119, 180), c_var = plot_rgb(230, 120, 20), c_inf = plot_rgb(44, 160, 44);
    plot_color c_prompt = plot_rgba(120, 30, 140, 210), c_bound = plot_rgba(200, 30, 60, 220);
    plot_color c_pool = plot_rgb(30, 30, 30);
    plot_color b_def = plot_rgba(230, 90, 70, 30), b_bal = plot_rgba(60, 180, 75, 70), b_amp = plot_rgba(70, 120, 230, 26);
    double xs[CURVE_POINTS], y_p[CURVE_POINTS], y_var[CURVE_POINTS], y_inf[CURVE_POINTS];
    double x_min = 0.05, x_max = 20.0, legend_w, legend_h;
    char title[256], note[160], pooled_note[160];
    size_t i, bound_count = 0;
    int ok;
    plot_legend_entry legend[9];

    /* widen the default 0.05 .. 20 when prompts lie outside it */
    for (i = 0; i < prompt_count; ++i) {
        const saferl_budget_summary *s = &prompts[i].summary;
        double x = (s->xi_is_upper_bound || prompts[i].result == SAFERL_BOUND_ONLY) ? s->xi_hi : s->xi;
        if (!(x > 0.0) || !isfinite(x)) continue;
        if (x < x_min * 1.3) x_min = x / 1.3;
        if (x > x_max / 1.3) x_max = x * 1.3;
    }
    if (x_min < 1e-4) x_min = 1e-4;
    if (x_max > 1e5) x_max = 1e5;

    if (!plot_canvas_init(&canvas, W, H, plot_rgb(255, 255, 255))) return 0;
    plot_axes_init(&ax, &canvas, 110, 96, 900, 676);
    plot_axes_range(&ax, x_min, x_max, 0.0, 1.0, PLOT_LOG);

    plot_vband(&ax, x_min, opt->band_low, b_def);
    plot_vband(&ax, opt->band_low, opt->band_high, b_bal);
    plot_vband(&ax, opt->band_high, x_max, b_amp);
    snprintf(title, sizeof title, "Relative budget of %s: %zu prompt%s, %zu attempts", base_name(opt->path),
             prompt_count, prompt_count == 1 ? "" : "s", pooled->summary.attempts);
    plot_axes_draw(&ax, "relative budget  xi = H / E[T]   (log scale)", "probability", title);
    {
        double a = plot_px(&ax, x_min), b = plot_px(&ax, opt->band_low), d = plot_px(&ax, opt->band_high),
               e = plot_px(&ax, x_max);
        plot_color t = plot_rgba(90, 90, 90, 255);
        if (b - a > 120) plot_text_aligned(&canvas, 0.5 * (a + b), ax.top - 8, "deficient", 2.0, 1, 2, t);
        if (e - d > 90) plot_text_aligned(&canvas, 0.5 * (d + e), ax.top - 8, "ample", 2.0, 1, 2, t);
        /* rotated inside the narrow band, halfway up where the curves leave it free */
        plot_text_ex(&canvas, 0.5 * (b + d) - 7, plot_py(&ax, 0.4) + 0.5 * plot_text_width("balanced", 2.0),
                     "balanced", 2.0, 1, t);
    }

    for (i = 0; i < CURVE_POINTS; ++i) {
        double xi = exp(log(x_min) + (log(x_max) - log(x_min)) * (double)i / (CURVE_POINTS - 1));
        double p = saferl_budget_success_probability_from_xi(xi);
        xs[i] = xi;
        y_p[i] = p;
        y_var[i] = saferl_budget_reward_variance(p);
        y_inf[i] = saferl_budget_informative_probability(p, 8);
    }
    plot_polyline(&ax, xs, y_var, CURVE_POINTS, 3.0, c_var);
    plot_polyline(&ax, xs, y_inf, CURVE_POINTS, 3.0, c_inf);
    plot_polyline(&ax, xs, y_p, CURVE_POINTS, 3.0, c_p);

    /* prompts: interval of xi as a thin bar, the estimate as a disc at the observed p;
       prompts without a success as an arrow pointing left from their upper bound */
    for (i = 0; i < prompt_count; ++i) {
        const report_entry *e = &prompts[i];
        const saferl_budget_summary *s = &e->summary;
        double size = prompt_count > 200 ? 6.0 : 11.0;
        if (s->xi_is_upper_bound || e->result == SAFERL_BOUND_ONLY) {
            double px = plot_px(&ax, s->xi_hi), py = plot_py(&ax, s->success_rate);
            ++bound_count;
            if (px >= ax.left && px <= ax.right) {
                plot_clip_set(&canvas, ax.left, ax.top - 20, ax.right, ax.bottom + 20);
                plot_marker_at(&canvas, px, py, PLOT_MARKER_LEFT_ARROW, size, c_bound);
                plot_clip_reset(&canvas);
            }
            continue;
        }
        if (prompt_count <= 200)
            plot_xerror(&ax, s->xi_lo, s->xi_hi, s->success_rate, 1.5, plot_rgba(120, 30, 140, 90));
        plot_points(&ax, &s->xi, &s->success_rate, 1, PLOT_MARKER_DISC, size, c_prompt);
    }

    /* pooled xi */
    {
        const saferl_budget_summary *s = &pooled->summary;
        int bound = s->xi_is_upper_bound || pooled->result == SAFERL_BOUND_ONLY;
        double x = bound ? s->xi_hi : s->xi;
        plot_vline(&ax, x, 2.5, 1, c_pool);
        if (bound && plot_px(&ax, x) > ax.left + 30 && plot_px(&ax, x) <= ax.right) /* "this or less" */
            plot_marker_at(&canvas, plot_px(&ax, x) - 2, ax.top + 24, PLOT_MARKER_LEFT_ARROW, 12.0, c_pool);
        if (bound) snprintf(pooled_note, sizeof pooled_note, "set xi <= %.3g", s->xi_hi);
        else snprintf(pooled_note, sizeof pooled_note, "set xi = %.3g [%.3g, %.3g]", s->xi, s->xi_lo, s->xi_hi);
    }

    {
        const plot_legend_entry entries[9] = {
            {"p = 1 - exp(-xi)", PLOT_LEGEND_LINE, c_p, PLOT_MARKER_DISC},
            {"reward variance p(1-p)", PLOT_LEGEND_LINE, c_var, PLOT_MARKER_DISC},
            {"P(informative), G = 8", PLOT_LEGEND_LINE, c_inf, PLOT_MARKER_DISC},
            {"prompt: (xi, observed p)", PLOT_LEGEND_MARKER, c_prompt, PLOT_MARKER_DISC},
            {"no success: xi <= bound", PLOT_LEGEND_MARKER, c_bound, PLOT_MARKER_LEFT_ARROW},
            {"set: H / mean E[T_i]", PLOT_LEGEND_DASHED, c_pool, PLOT_MARKER_DISC},
            {"deficient", PLOT_LEGEND_BAND, b_def, PLOT_MARKER_DISC},
            {"balanced", PLOT_LEGEND_BAND, b_bal, PLOT_MARKER_DISC},
            {"ample", PLOT_LEGEND_BAND, b_amp, PLOT_MARKER_DISC}};
        memcpy(legend, entries, sizeof legend);
    }
    plot_legend_size(&ax, legend, 9, &legend_w, &legend_h);
    plot_legend_at(&ax, ax.right + 24, ax.top, legend, 9);
    {
        double y = ax.top + legend_h + 24;
        plot_color t = plot_rgb(70, 70, 70);
        plot_text(&canvas, ax.right + 26, y, pooled_note, 2.0, c_pool);
        snprintf(note, sizeof note, "balanced band [%.3g, %.3g]", opt->band_low, opt->band_high);
        plot_text(&canvas, ax.right + 26, y + 22, note, 2.0, t);
        plot_text(&canvas, ax.right + 26, y + 54, "curves: T geometric, so", 2.0, t);
        plot_text(&canvas, ax.right + 26, y + 76, "p(H) = 1 - exp(-xi)", 2.0, t);
        snprintf(note, sizeof note, "bars: %.3g%% intervals of xi", 100.0 * opt->confidence);
        if (prompt_count <= 200 && bound_count < prompt_count) plot_text(&canvas, ax.right + 26, y + 108, note, 2.0, t);
        if (bound_count) {
            snprintf(note, sizeof note, "%zu prompt%s without a success", bound_count, bound_count == 1 ? "" : "s");
            plot_text(&canvas, ax.right + 26, y + 130, note, 2.0, t);
        }
    }
    ok = plot_write_png(&canvas, png_path);
    plot_canvas_free(&canvas);
    return ok;
}

/* ---- main -------------------------------------------------------------------------------- */

static int run(int argc, char **argv) {
    options opt;
    char *text = NULL;
    size_t length = 0, row_count = 0, error_count = 0, prompt_count = 0, i, work_size;
    saferl_budget_csv_row *rows = NULL;
    saferl_budget_csv_error *errors = NULL;
    saferl_budget_attempt *attempts = NULL, *sorted = NULL;
    size_t *first_row = NULL, *prompt_start = NULL;
    void *work = NULL;
    report_entry *entries = NULL, pooled, hazard;
    saferl_budget_summary *summaries = NULL;
    saferl_budget_set_summary set;
    void *set_work = NULL;
    saferl_budget_desc desc;
    saferl_result r;
    int status = 1, u = parse_options(argc, argv, &opt);

    if (u == -1) {
        usage(stdout);
        return 0;
    }
    if (u) {
        usage(stderr);
        return 2;
    }
    if (read_file(opt.path, &text, &length)) return 1;

    /* first pass: sizes only */
    r = saferl_budget_csv_parse(text, length, NULL, 0, &row_count, NULL, 0, &error_count);
    if (error_count > 0) {
        errors = (saferl_budget_csv_error *)calloc(error_count, sizeof *errors);
        if (!errors) goto out_of_memory;
        saferl_budget_csv_parse(text, length, NULL, 0, &row_count, errors, error_count, &error_count);
        for (i = 0; i < error_count; ++i)
            fprintf(stderr, "%s:%u: column %u: %s\n", opt.path, (unsigned)errors[i].line, (unsigned)errors[i].column,
                    errors[i].reason ? errors[i].reason : saferl_result_string(errors[i].code));
        goto done;
    }
    if (r == SAFERL_ERR_NO_DATA || row_count == 0) {
        fprintf(stderr, "%s: no attempts\n", opt.path);
        goto done;
    }
    if (r < 0 && r != SAFERL_ERR_BUFFER_TOO_SMALL) {
        fprintf(stderr, "%s: %s\n", opt.path, saferl_result_string(r));
        goto done;
    }
    rows = (saferl_budget_csv_row *)malloc(row_count * sizeof *rows);
    if (!rows) goto out_of_memory;
    r = saferl_budget_csv_parse(text, length, rows, row_count, &row_count, NULL, 0, &error_count);
    if (r < 0) {
        fprintf(stderr, "%s: %s\n", opt.path, saferl_result_string(r));
        goto done;
    }

    work_size = saferl_budget_index_prompts_memory_size(row_count);
    work = malloc(work_size ? work_size : 1);
    attempts = (saferl_budget_attempt *)malloc(row_count * sizeof *attempts);
    sorted = (saferl_budget_attempt *)malloc(row_count * sizeof *sorted);
    first_row = (size_t *)malloc(row_count * sizeof *first_row);
    if (!work || !attempts || !sorted || !first_row) goto out_of_memory;
    r = saferl_budget_index_prompts(text, rows, row_count, work, work_size, attempts, &prompt_count, first_row);
    if (r < 0) {
        fprintf(stderr, "%s: indexing the prompts: %s\n", opt.path, saferl_result_string(r));
        goto done;
    }
    prompt_start = (size_t *)malloc((prompt_count + 1) * sizeof *prompt_start);
    entries = (report_entry *)calloc(prompt_count ? prompt_count : 1, sizeof *entries);
    summaries = (saferl_budget_summary *)malloc((prompt_count ? prompt_count : 1) * sizeof *summaries);
    if (!prompt_start || !entries || !summaries) goto out_of_memory;
    r = saferl_budget_group_by_prompt(attempts, row_count, prompt_count, sorted, prompt_start);
    if (r < 0) {
        fprintf(stderr, "%s: grouping by prompt: %s\n", opt.path, saferl_result_string(r));
        goto done;
    }

    memset(&desc, 0, sizeof desc);
    desc.confidence = opt.confidence;
    desc.balanced_low = opt.band_low;
    desc.balanced_high = opt.band_high;
    desc.horizon = opt.horizon;
    desc.spread_prior = opt.spread_prior;
    desc.interval = opt.interval;

    for (i = 0; i < prompt_count; ++i) {
        report_entry *e = &entries[i];
        e->name = row_name(text, &rows[first_row[i]]);
        if (!e->name) goto out_of_memory;
        e->result = saferl_budget_summarize(sorted + prompt_start[i], prompt_start[i + 1] - prompt_start[i], &desc,
                                            &e->summary);
        if (e->result < 0) {
            fprintf(stderr, "%s: prompt \"%s\": %s\n", opt.path, e->name, saferl_result_string(e->result));
            goto done;
        }
        fill_theory(e, &opt);
        summaries[i] = e->summary;
    }
    memset(&hazard, 0, sizeof hazard);
    hazard.result = saferl_budget_pool(summaries, prompt_count, &desc, &hazard.summary);
    if (hazard.result < 0) {
        fprintf(stderr, "%s: pooling: %s\n", opt.path, saferl_result_string(hazard.result));
        goto done;
    }
    /* the set's xi = H / mean_i E[T_i]; the pooled entry keeps the pooled hazard's counts and
       means over prompts, and takes xi, E[T] and the regime from the set's estimate */
    set_work = malloc(saferl_budget_set_memory_size(&desc, prompt_count));
    if (!set_work) goto out_of_memory;
    memset(&pooled, 0, sizeof pooled);
    pooled.result = saferl_budget_set_estimate(summaries, prompt_count, &desc, set_work,
                                               saferl_budget_set_memory_size(&desc, prompt_count), &set);
    if (pooled.result < 0) {
        fprintf(stderr, "%s: the prompt set's estimate: %s\n", opt.path, saferl_result_string(pooled.result));
        goto done;
    }
    pooled.set = &set;
    pooled.spread_prior = desc.spread_prior;
    pooled.interval = desc.interval;
    pooled.summary = hazard.summary;
    pooled.summary.xi = set.xi;
    pooled.summary.xi_lo = set.xi_lo;
    pooled.summary.xi_hi = set.xi_hi;
    pooled.summary.xi_is_upper_bound = set.xi_is_upper_bound;
    pooled.summary.hazard = set.xi / set.horizon;
    pooled.summary.hazard_lo = set.xi_lo / set.horizon;
    pooled.summary.hazard_hi = set.xi_hi / set.horizon;
    pooled.summary.mean_tokens = set.mean_tokens;
    pooled.summary.mean_tokens_lo = set.mean_tokens_lo;
    pooled.summary.mean_tokens_hi = set.mean_tokens_hi;
    pooled.summary.mean_tokens_se = NAN; /* a posterior interval, no standard error */
    pooled.summary.regime = set.regime;
    pooled.summary.regime_is_certain = set.regime_is_certain;
    fill_theory(&pooled, &opt);
    /* A set's chance of an informative group is the mean over its prompts (groups are drawn
       per prompt), not the value at the mean p, which Jensen's inequality would overstate. */
    {
        int g;
        for (g = 0; g < GROUP_SIZES; ++g) {
            double m = 0.0, me = 0.0;
            for (i = 0; i < prompt_count; ++i) {
                m += entries[i].informative[g];
                me += entries[i].informative_estimate[g]; /* NaN if any prompt has n < G */
            }
            pooled.informative[g] = m / (double)prompt_count;
            pooled.informative_estimate[g] = me / (double)prompt_count;
        }
    }

    if (opt.json) {
        printf("{\"prompts\": [");
        for (i = 0; i < prompt_count; ++i) {
            printf(i ? ",\n" : "\n");
            print_entry_json(&entries[i], "  ");
        }
        printf("\n],\n\"pooled\": ");
        print_entry_json(&pooled, "");
        printf(",\n\"pooled_hazard\": ");
        print_hazard_json(&hazard);
        printf(",\n\"band\": [");
        json_number(opt.band_low);
        printf(", ");
        json_number(opt.band_high);
        printf("], \"confidence\": ");
        json_number(opt.confidence);
        printf("}\n");
    } else {
        printf("%s: %zu attempts, %zu prompt%s; band [%.4g, %.4g], %.3g%% intervals\n\n", opt.path, row_count,
               prompt_count, prompt_count == 1 ? "" : "s", opt.band_low, opt.band_high, 100.0 * opt.confidence);
        for (i = 0; i < prompt_count; ++i) {
            print_entry_text(&entries[i], &opt, prompt_count);
            printf("\n");
        }
        print_entry_text(&pooled, &opt, prompt_count);
        printf("\n");
        print_hazard_text(&hazard, &opt);
    }
    if (opt.png_path) {
        if (!write_png(opt.png_path, &opt, entries, prompt_count, &pooled)) {
            fprintf(stderr, "%s: cannot write the PNG\n", opt.png_path);
            goto done;
        }
    }
    status = fflush(stdout) == 0 ? 0 : 1;
    goto done;

out_of_memory:
    fprintf(stderr, "%s: out of memory\n", opt.path);
done:
    if (entries)
        for (i = 0; i < prompt_count; ++i) free(entries[i].name);
    free(entries);
    free(summaries);
    free(set_work);
    free(prompt_start);
    free(first_row);
    free(sorted);
    free(attempts);
    free(work);
    free(rows);
    free(errors);
    free(text);
    return status;
}

int main(int argc, char **argv) { return cli_finish(run(argc, argv)); }
