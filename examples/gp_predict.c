// SPDX-License-Identifier: MIT OR Unlicense
/* gp_predict - Gaussian-process regression from CSV files

   usage: gp_predict --kernel rbf|matern32|matern52 --lengthscale L[,L...] --signal-var S
                     --noise-var N [--fit] [--noisy] [--normalize] [--restarts R] [--seed S]
                     train.csv query.csv

   train.csv rows are x1,..,xd,y; query.csv rows are x1,..,xd (an optional header line, '#'
   comments and blank lines are skipped). One lengthscale is the isotropic kernel, d of them
   the ARD kernel. Prints "mean,var" per query row with 17 significant digits; var is the
   latent function's variance (scikit-learn's with the noise given as alpha); --noisy adds the
   noise variance. --normalize standardises y as scikit-learn's normalize_y. --fit first
   maximises the log marginal likelihood over signal variance, lengthscales and noise (Rprop
   in log space within [1e-5, 1e5], the given values as the first start, then R random
   restarts) and prints the hyperparameters and the log marginal likelihood on stderr.

   Exit status: 0 printed, 1 bad input (file:line:column: reason on stderr), 2 usage error.

   Build: cc -std=c99 -O2 -I. examples/gp_predict.c -o gp_predict -lm
*/
#include "cli.h" /* first: it asks for POSIX */
#define SAFERL_GP_IMPLEMENTATION
#include "saferl_gp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out) {
    fprintf(out,
            "usage: gp_predict --kernel rbf|matern32|matern52 --lengthscale L[,L...] --signal-var S\n"
            "                  --noise-var N [--fit] [--noisy] [--normalize] [--restarts R] [--seed S]\n"
            "                  train.csv query.csv\n"
            "  train.csv: x1,..,xd,y per row; query.csv: x1,..,xd per row\n"
            "  prints mean,var per query row (var of the latent f; --noisy adds the noise)\n");
}

static int parse_double(const char *text, double *out) {
    char *end;
    double v;
    errno = 0;
    v = strtod(text, &end);
    if (end == text || *end != '\0' || errno == ERANGE || !(v == v) || v > 1.7976931348623157e308 ||
        v < -1.7976931348623157e308)
        return 0;
    *out = v;
    return 1;
}

static char *read_file(const char *path, size_t *length) {
    FILE *f = fopen(path, "rb");
    char *buffer = NULL;
    size_t capacity = 0, used = 0, got;
    if (!f) return NULL;
    do {
        if (used + 4096 > capacity) {
            char *grown;
            capacity = capacity ? 2 * capacity : 65536;
            grown = (char *)realloc(buffer, capacity);
            if (!grown) {
                free(buffer);
                fclose(f);
                return NULL;
            }
            buffer = grown;
        }
        got = fread(buffer + used, 1, capacity - used, f);
        used += got;
    } while (got > 0);
    fclose(f);
    { /* a UTF-8 byte-order mark is not part of the first field */
        size_t bom = cli_bom_length(buffer, used);
        memmove(buffer, buffer + bom, used - bom);
        used -= bom;
    }
    *length = used;
    return buffer;
}

/* Reads a numeric CSV into a fresh array; reports file:line:column on failure. */
static double *load_csv(const char *path, uint32_t *rows, uint32_t *columns) {
    size_t length = 0;
    char *text = read_file(path, &length);
    saferl_gp_csv_error error;
    saferl_result r;
    double *values;
    if (!text) {
        fprintf(stderr, "%s: cannot read: %s\n", path, strerror(errno));
        return NULL;
    }
    r = saferl_gp_csv_parse(text, length, NULL, 0, rows, columns, &error);
    if (r != SAFERL_ERR_BUFFER_TOO_SMALL && r != SAFERL_OK) {
        if (r == SAFERL_ERR_NO_DATA) fprintf(stderr, "%s:%u: no data rows\n", path, (unsigned)error.line + 1);
        else fprintf(stderr, "%s:%u:%u: %s\n", path, (unsigned)error.line, (unsigned)error.column, error.reason);
        free(text);
        return NULL;
    }
    values = (double *)malloc((size_t)*rows * *columns * sizeof(double));
    if (!values || saferl_gp_csv_parse(text, length, values, (size_t)*rows * *columns, rows, columns, &error) != SAFERL_OK) {
        fprintf(stderr, "%s: out of memory\n", path);
        free(values);
        values = NULL;
    }
    free(text);
    return values;
}

static int run(int argc, char **argv) {
    const char *kernel_name = NULL, *paths[2] = {NULL, NULL};
    double lengthscale[64], signal = -1.0, noise = -1.0;
    int lengthscale_count = 0, fit = 0, noisy = 0, normalize = 0, path_count = 0, i;
    unsigned long restarts = 0, seed = 0;
    uint32_t train_rows, train_columns, query_rows, query_columns, d, q;
    double *train = NULL, *query = NULL, *x = NULL, *y = NULL, *mean = NULL, *var = NULL;
    saferl_gp_desc desc;
    saferl_gp gp;
    saferl_result r;
    int status = 1;
    cli c; /* the repeated-flag check; the other messages here are this program's own */
    cli_init(&c, argc, argv, "--kernel K --lengthscale L[,L...] --signal-var S --noise-var N [options] train.csv query.csv");

    for (i = 1; i < argc; ++i) {
        const char *a = argv[i];
        if (a[0] == '-' && a[1] == '-' && cli_once(&c, a)) return 2;
        if (strcmp(a, "--fit") == 0) fit = 1;
        else if (strcmp(a, "--noisy") == 0) noisy = 1;
        else if (strcmp(a, "--normalize") == 0) normalize = 1;
        else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (a[0] == '-' && a[1] == '-' && i + 1 < argc) {
            const char *v = argv[++i];
            if (strcmp(a, "--kernel") == 0) kernel_name = v;
            else if (strcmp(a, "--signal-var") == 0) {
                if (!parse_double(v, &signal) || !(signal > 0.0)) {
                    fprintf(stderr, "gp_predict: --signal-var must be a positive number\n");
                    usage(stderr);
                    return 2;
                }
            } else if (strcmp(a, "--noise-var") == 0) {
                if (!parse_double(v, &noise) || noise < 0.0) {
                    fprintf(stderr, "gp_predict: --noise-var must be a number >= 0\n");
                    usage(stderr);
                    return 2;
                }
            } else if (strcmp(a, "--lengthscale") == 0) {
                char buffer[2048], *token, *rest;
                if (strlen(v) >= sizeof buffer) return cli_usage_error(&c, "--lengthscale: too long");
                strcpy(buffer, v);
                for (token = buffer; token; token = rest) {
                    rest = strchr(token, ',');
                    if (rest) *rest++ = '\0';
                    if (lengthscale_count >= 64 || !parse_double(token, &lengthscale[lengthscale_count]) ||
                        !(lengthscale[lengthscale_count] > 0.0)) {
                        fprintf(stderr, "gp_predict: --lengthscale takes up to 64 positive numbers, comma-separated\n");
                        usage(stderr);
                        return 2;
                    }
                    ++lengthscale_count;
                }
            } else if (strcmp(a, "--restarts") == 0 || strcmp(a, "--seed") == 0) {
                char *end;
                unsigned long n = strtoul(v, &end, 10);
                if (*end || end == v || n > 1000000ul) {
                    fprintf(stderr, "gp_predict: %s takes a whole number\n", a);
                    usage(stderr);
                    return 2;
                }
                if (a[2] == 'r') restarts = n;
                else seed = n;
            } else {
                fprintf(stderr, "gp_predict: unknown option %s\n", a);
                usage(stderr);
                return 2;
            }
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "gp_predict: unknown or incomplete option %s\n", a);
            usage(stderr);
            return 2;
        } else if (path_count < 2) {
            paths[path_count++] = a;
        } else {
            usage(stderr);
            return 2;
        }
    }
    memset(&desc, 0, sizeof desc);
    if (!kernel_name || strcmp(kernel_name, "rbf") == 0) desc.kernel = SAFERL_GP_RBF;
    else if (strcmp(kernel_name, "matern32") == 0) desc.kernel = SAFERL_GP_MATERN32;
    else if (strcmp(kernel_name, "matern52") == 0) desc.kernel = SAFERL_GP_MATERN52;
    else {
        fprintf(stderr, "gp_predict: --kernel is rbf, matern32 or matern52\n");
        usage(stderr);
        return 2;
    }
    if (!kernel_name || lengthscale_count == 0 || signal < 0.0 || noise < 0.0 || path_count != 2) {
        usage(stderr);
        return 2;
    }
    if (!fit && (cli_given(&c, "--restarts") || cli_given(&c, "--seed")))
        return cli_usage_error(&c, "--restarts and --seed shape --fit: give --fit, or neither");

    train = load_csv(paths[0], &train_rows, &train_columns);
    if (!train) goto done;
    query = load_csv(paths[1], &query_rows, &query_columns);
    if (!query) goto done;
    if (train_columns < 2) {
        fprintf(stderr, "%s:1: a training row needs x1..xd and y (at least 2 columns)\n", paths[0]);
        goto done;
    }
    d = train_columns - 1;
    if (query_columns != d) {
        fprintf(stderr, "%s:1: query rows have %u columns, the training inputs %u\n", paths[1], (unsigned)query_columns,
                (unsigned)d);
        goto done;
    }
    if (lengthscale_count != 1 && (uint32_t)lengthscale_count != d) {
        fprintf(stderr, "gp_predict: %d lengthscales for %u input columns (give 1 or %u)\n", lengthscale_count,
                (unsigned)d, (unsigned)d);
        status = 2;
        goto done;
    }
    x = (double *)malloc((size_t)train_rows * d * sizeof(double));
    y = (double *)malloc((size_t)train_rows * sizeof(double));
    mean = (double *)malloc((size_t)query_rows * sizeof(double));
    var = (double *)malloc((size_t)query_rows * sizeof(double));
    if (!x || !y || !mean || !var) {
        fprintf(stderr, "gp_predict: out of memory\n");
        goto done;
    }
    for (q = 0; q < train_rows; ++q) {
        memcpy(x + (size_t)q * d, train + (size_t)q * train_columns, d * sizeof(double));
        y[q] = train[(size_t)q * train_columns + d];
    }
    desc.dim = d;
    desc.capacity = train_rows;
    desc.ard = lengthscale_count > 1;
    desc.lengthscale = lengthscale;
    desc.signal_variance = signal;
    desc.noise_variance = noise;
    r = saferl_gp_create(&gp, &desc);
    if (r < 0) {
        fprintf(stderr, "gp_predict: %s\n", saferl_result_string(r));
        goto done;
    }
    if (noise == 0.0) saferl_gp_set_hyperparameters(&gp, signal, lengthscale, 0.0);
    r = saferl_gp_set_data(&gp, x, y, train_rows);
    if (r == SAFERL_OK && normalize) r = saferl_gp_normalize_from_data(&gp);
    if (r < 0) {
        fprintf(stderr, "%s: %s\n", paths[0], saferl_result_string(r));
        saferl_gp_destroy(&gp);
        goto done;
    }
    if (fit) {
        saferl_gp_fit_desc fd;
        saferl_gp_fit_report report;
        uint32_t k;
        memset(&fd, 0, sizeof fd);
        fd.restarts = (uint32_t)restarts;
        fd.seed = (uint32_t)seed;
        fd.noise_bounds[0] = 1e-10;
        fd.noise_bounds[1] = 1e5;
        r = saferl_gp_fit(&gp, &fd, &report);
        if (r < 0) {
            fprintf(stderr, "gp_predict: fit: %s\n", saferl_result_string(r));
            saferl_gp_destroy(&gp);
            goto done;
        }
        fprintf(stderr, "signal_var %.17g\nlengthscale", gp.signal_variance);
        for (k = 0; k < gp.lengthscale_count; ++k) fprintf(stderr, "%c%.17g", k ? ',' : ' ', gp.lengthscale[k]);
        fprintf(stderr, "\nnoise_var %.17g\nlog_marginal_likelihood %.17g\n", gp.noise_variance,
                report.log_marginal_likelihood);
    }
    if (gp.jitter > 0.0) fprintf(stderr, "gp_predict: note: jitter %.3g added to the diagonal\n", gp.jitter);
    r = saferl_gp_predict(&gp, query, query_rows, mean, var);
    if (r < 0) { /* a posterior that overflowed is an error, never printed as numbers */
        fprintf(stderr, "gp_predict: predict: %s\n", saferl_result_string(r));
        saferl_gp_destroy(&gp);
        goto done;
    }
    for (q = 0; q < query_rows; ++q) {
        double v = var[q] + (noisy ? gp.noise_variance * gp.y_scale * gp.y_scale : 0.0);
        printf("%.17g,%.17g\n", mean[q], v);
    }
    saferl_gp_destroy(&gp);
    status = 0;
done:
    free(train);
    free(query);
    free(x);
    free(y);
    free(mean);
    free(var);
    return status;
}

int main(int argc, char **argv) { return cli_finish(run(argc, argv)); }
