/* saferl_gp.h against scikit-learn's GaussianProcessRegressor, through the fixtures that
   tests/oracle/gp_sklearn.py wrote (tests/data/gp/). Run by tests/oracle/gp.sh, twice: built
   portable and built on BLIS.

      test_gp_oracle DIR       checks DIR/posterior.txt and DIR/fit.txt
      test_gp_oracle --dump    prints a fixed larger problem's numbers (%.17g), for comparing
                               the two builds

   Each posterior problem also builds the model the way a safe optimiser does (half the
   points factored, the rest appended one at a time) and checks its mean and variance the
   same way. Posterior mean and variance, log marginal likelihood and gradient: to
   max(1e-9, 1e-15 cond(K + noise I)) relative to the largest magnitude of each quantity (two
   correct solvers differ by about eps cond). Fitting: on at least 95% of the problems the best
   of our restarts reaches sklearn's best LML from the same starts, less 1e-6 |LML|. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define SAFERL_GP_IMPLEMENTATION
#include "saferl_gp.h"

static int failures;

static double *read_doubles(FILE *f, size_t n) {
    double *v = (double *)malloc((n ? n : 1) * sizeof(double));
    size_t i;
    for (i = 0; i < n; ++i)
        if (fscanf(f, "%lf", &v[i]) != 1) {
            fprintf(stderr, "fixture truncated\n");
            exit(2);
        }
    return v;
}

static double max_abs(const double *v, size_t n) {
    double m = 0.0;
    size_t i;
    for (i = 0; i < n; ++i)
        if (fabs(v[i]) > m) m = fabs(v[i]);
    return m;
}

/* worst |a - b| / (tolerance * scale) over the vector; > 1 fails */
static double compare(const char *what, int id, const double *got, const double *want, size_t n, double tolerance) {
    double scale = max_abs(want, n), worst = 0.0;
    size_t i;
    if (scale == 0.0) scale = 1.0;
    for (i = 0; i < n; ++i) {
        double e = fabs(got[i] - want[i]) / (tolerance * scale);
        if (!(e <= worst)) worst = e;
    }
    if (!(worst <= 1.0)) {
        ++failures;
        fprintf(stderr, "problem %d: %s off by %.3g x the tolerance %.3g\n", id, what, worst, tolerance);
    }
    return worst;
}

static saferl_gp make_gp(int kind, int ard, int d, int n, const double *ls, double s2, double noise) {
    saferl_gp gp;
    saferl_gp_desc desc;
    memset(&desc, 0, sizeof desc);
    desc.dim = (uint32_t)d;
    desc.capacity = (uint32_t)(n > 0 ? n : 1);
    desc.kernel = (saferl_gp_kernel)kind;
    desc.ard = ard;
    desc.lengthscale = ls;
    desc.signal_variance = s2;
    desc.noise_variance = noise;
    if (saferl_gp_create(&gp, &desc) < 0) {
        fprintf(stderr, "create failed\n");
        exit(2);
    }
    return gp;
}

/* The same problem's model built as a safe optimiser builds it: the first half of the points
   factored, the rest appended one at a time (saferl_gp_add, O(n^2) each), with sklearn's
   normalisation (mean and standard deviation of all the targets) set before the appends.
   Its posterior against sklearn's, to the same tolerance. */
static double check_appended(int id, int kind, int ard, int normalize, int d, int n, int m, const double *ls,
                             double s2, double noise, const double *x, const double *y, const double *q,
                             const double *mean, const double *var, double tolerance) {
    saferl_gp gp = make_gp(kind, ard, d, n, ls, s2, noise);
    double *got_mean = (double *)malloc(m * sizeof(double)), *got_var = (double *)malloc(m * sizeof(double));
    double worst = 0.0, offset = 0.0, spread = 0.0, w;
    const int half = n / 2;
    int i, ok;
    for (i = 0; i < n; ++i) offset += y[i] / n;
    for (i = 0; i < n; ++i) spread += (y[i] - offset) * (y[i] - offset) / n;
    ok = saferl_gp_set_data(&gp, x, y, (uint32_t)half) == SAFERL_OK;
    if (ok && normalize) ok = saferl_gp_set_normalization(&gp, offset, sqrt(spread)) == SAFERL_OK;
    for (i = half; ok && i < n; ++i) ok = saferl_gp_add(&gp, x + (size_t)i * d, y[i]) == SAFERL_OK;
    if (!ok || gp.jitter != 0.0 || saferl_gp_predict(&gp, q, (uint32_t)m, got_mean, got_var) != SAFERL_OK) {
        fprintf(stderr, "problem %d: the appended model failed\n", id);
        ++failures;
    } else {
        worst = compare("appended mean", id, got_mean, mean, m, tolerance);
        w = compare("appended variance", id, got_var, var, m, tolerance);
        if (w > worst) worst = w;
    }
    saferl_gp_destroy(&gp);
    free(got_mean);
    free(got_var);
    return worst;
}

static int check_posterior(const char *dir) {
    char path[1024];
    FILE *f;
    int count, t;
    double worst_all = 0.0;
    snprintf(path, sizeof path, "%s/posterior.txt", dir);
    f = fopen(path, "r");
    if (!f || fscanf(f, "%d", &count) != 1) {
        fprintf(stderr, "%s: cannot read\n", path);
        return 1;
    }
    for (t = 0; t < count; ++t) {
        int id, kind, ard, normalize, d, n, m, p;
        double s2, noise, cond, lml, tolerance, got_lml, worst;
        double *ls, *x, *y, *q, *mean, *var, *grad, *got_mean, *got_var, *got_grad;
        saferl_gp gp;
        if (fscanf(f, " problem %d %d %d %d %d %d %d %lf %lf %lf", &id, &kind, &ard, &normalize, &d, &n, &m, &s2, &noise,
                   &cond) != 10) {
            fprintf(stderr, "%s: bad problem header\n", path);
            return 1;
        }
        p = ard ? d : 1;
        ls = read_doubles(f, (size_t)p);
        x = read_doubles(f, (size_t)n * d);
        y = read_doubles(f, (size_t)n);
        q = read_doubles(f, (size_t)m * d);
        mean = read_doubles(f, (size_t)m);
        var = read_doubles(f, (size_t)m);
        if (fscanf(f, "%lf", &lml) != 1) return 1;
        grad = read_doubles(f, (size_t)p + 2);
        tolerance = 1e-15 * cond > 1e-9 ? 1e-15 * cond : 1e-9;
        gp = make_gp(kind, ard, d, n, ls, s2, noise);
        got_mean = (double *)malloc(m * sizeof(double));
        got_var = (double *)malloc(m * sizeof(double));
        got_grad = (double *)malloc((p + 2) * sizeof(double));
        if (saferl_gp_set_data(&gp, x, y, (uint32_t)n) < 0 || (normalize && saferl_gp_normalize_from_data(&gp) < 0)) {
            fprintf(stderr, "problem %d: factor failed\n", id);
            ++failures;
        } else if (gp.jitter != 0.0) {
            fprintf(stderr, "problem %d: needed jitter\n", id);
            ++failures;
        } else {
            saferl_gp_predict(&gp, q, (uint32_t)m, got_mean, got_var);
            worst = compare("mean", id, got_mean, mean, m, tolerance);
            if (worst > worst_all) worst_all = worst;
            worst = compare("variance", id, got_var, var, m, tolerance);
            if (worst > worst_all) worst_all = worst;
            saferl_gp_log_marginal_likelihood_gradient(&gp, &got_lml, got_grad);
            worst = compare("log marginal likelihood", id, &got_lml, &lml, 1, tolerance);
            if (worst > worst_all) worst_all = worst;
            worst = compare("gradient", id, got_grad, grad, (size_t)p + 2, tolerance);
            if (worst > worst_all) worst_all = worst;
        }
        saferl_gp_destroy(&gp);
        worst = check_appended(id, kind, ard, normalize, d, n, m, ls, s2, noise, x, y, q, mean, var, tolerance);
        if (worst > worst_all) worst_all = worst;
        free(ls); free(x); free(y); free(q); free(mean); free(var); free(grad);
        free(got_mean); free(got_var); free(got_grad);
    }
    fclose(f);
    printf("posterior: %d problems (every kernel, iso/ARD, normalize_y on/off), factored and half appended; worst"
           " error %.3g of the tolerance\n",
           count, worst_all);
    return 0;
}

static int check_fit(const char *dir) {
    char path[1024];
    FILE *f;
    int count, t, reached = 0;
    snprintf(path, sizeof path, "%s/fit.txt", dir);
    f = fopen(path, "r");
    if (!f || fscanf(f, "%d", &count) != 1) {
        fprintf(stderr, "%s: cannot read\n", path);
        return 1;
    }
    for (t = 0; t < count; ++t) {
        int id, kind, ard, d, n, p;
        double *x, *y, *starts, best, one = 1.0;
        double ls[3] = {1.0, 1.0, 1.0};
        saferl_gp gp;
        saferl_gp_fit_desc fd;
        saferl_gp_fit_report report;
        saferl_result r;
        (void)one;
        if (fscanf(f, " fit %d %d %d %d %d", &id, &kind, &ard, &d, &n) != 5) {
            fprintf(stderr, "%s: bad header\n", path);
            return 1;
        }
        p = ard ? d : 1;
        x = read_doubles(f, (size_t)n * d);
        y = read_doubles(f, (size_t)n);
        starts = read_doubles(f, 3 * ((size_t)p + 2));
        if (fscanf(f, "%lf", &best) != 1) return 1;
        gp = make_gp(kind, ard, d, n, ls, 1.0, 1e-2);
        saferl_gp_set_data(&gp, x, y, (uint32_t)n);
        memset(&fd, 0, sizeof fd);
        fd.starts = starts;
        fd.start_count = 3;
        fd.signal_bounds[0] = fd.lengthscale_bounds[0] = fd.noise_bounds[0] = 1e-3;
        fd.signal_bounds[1] = fd.lengthscale_bounds[1] = fd.noise_bounds[1] = 1e3;
        fd.max_iterations = 500;
        r = saferl_gp_fit(&gp, &fd, &report);
        if (r == SAFERL_OK && report.log_marginal_likelihood >= best - 1e-6 * fabs(best)) ++reached;
        else
            printf("  fit problem %d (%s, ard %d, d %d, n %d): ours %.10g, sklearn %.10g\n", id,
                   kind == 0 ? "rbf" : kind == 1 ? "matern32" : "matern52", ard, d, n, report.log_marginal_likelihood, best);
        saferl_gp_destroy(&gp);
        free(x); free(y); free(starts);
    }
    fclose(f);
    printf("fit: %d of %d problems reach sklearn's best LML from the same starts (need >= 95%%)\n", reached, count);
    if (reached * 100 < 95 * count) ++failures;
    return 0;
}

/* A fixed problem bigger than a Cholesky block, for portable vs BLIS. */
static void dump(void) {
    enum { N = 300, M = 500, D = 2 };
    static double x[N * D], y[N], q[M * D], mean[M], var[M], grad[4], cov[16], work[4 * N];
    const double s2 = 1.5, noise = 1e-3;
    double ls[2] = {0.7, 1.3}, lml;
    saferl_gp gp;
    saferl_gp_grid grid;
    saferl_rng rng;
    void *memory;
    size_t size;
    int i;
    saferl_rng_seed(&rng, 5);
    for (i = 0; i < N * D; ++i) x[i] = 10.0 * saferl_rng_uniform(&rng);
    for (i = 0; i < N; ++i) y[i] = sin(x[2 * i]) * cos(0.5 * x[2 * i + 1]) + 0.05 * saferl_rng_normal(&rng);
    for (i = 0; i < M * D; ++i) q[i] = 10.0 * saferl_rng_uniform(&rng);
    gp = make_gp(SAFERL_GP_MATERN52, 1, D, N + 10, ls, s2, noise);
    saferl_gp_set_data(&gp, x, y, N - 10);
    size = saferl_gp_grid_memory_size(M, gp.capacity);
    memory = malloc(size);
    saferl_gp_grid_init(&grid, &gp, q, M, memory, size);
    for (i = N - 10; i < N; ++i) {
        saferl_gp_add(&gp, x + D * i, y[i]);
        saferl_gp_grid_update(&grid, &gp);
    }
    saferl_gp_predict(&gp, q, M, mean, var);
    printf("mean");
    for (i = 0; i < M; ++i) printf(" %.17g", mean[i]);
    printf("\nvar");
    for (i = 0; i < M; ++i) printf(" %.17g", var[i]);
    printf("\ngrid_mean");
    for (i = 0; i < M; ++i) printf(" %.17g", grid.mean[i]);
    printf("\ngrid_var");
    for (i = 0; i < M; ++i) printf(" %.17g", grid.var[i]);
    saferl_gp_log_marginal_likelihood_gradient(&gp, &lml, grad);
    printf("\nlml %.17g\ngradient %.17g %.17g %.17g %.17g\n", lml, grad[0], grad[1], grad[2], grad[3]);
    saferl_gp_predict_covariance(&gp, q, 4, NULL, cov, work, 4 * N);
    printf("covariance");
    for (i = 0; i < 16; ++i) printf(" %.17g", cov[i]);
    /* cond(K + noise I) <= (N s2 + noise) / noise: |k(x, x')| <= s2 bounds the largest
       eigenvalue by a row sum (Gershgorin), and K is positive semidefinite */
    printf("\ncond_bound %.17g\n", (N * s2 + noise) / noise);
    free(memory);
    saferl_gp_destroy(&gp);
}

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "--dump") == 0) {
        dump();
        return 0;
    }
    if (argc != 2) {
        fprintf(stderr, "usage: test_gp_oracle DIR | --dump\n");
        return 2;
    }
    if (check_posterior(argv[1]) || check_fit(argv[1])) return 2;
    printf("%s\n", failures ? "FAILED" : "ok");
    return failures ? 1 : 0;
}
