/* Unit tests of saferl_gp.h: scikit-learn values written down as literals, closed forms,
   identities between the incremental and the batch paths, finite differences, bad input, and
   fixed-seed Monte-Carlo runs of the safe optimisers on functions drawn from the GP prior
   (the well-specified case) with stated tolerances. Runs natively (with
   the counting allocator), under sanitizers and under node as WebAssembly: the same expectations.
   The larger sklearn comparison (48 random problems, fitting) is tests/oracle/gp.sh. */
#include "saferl_test.h"
#if defined(SAFERL_USE_BLIS)
#include <float.h> /* LDBL_EPSILON: the BLIS build's solve is checked in long double */
#endif

/* predict's pipelined AVX-512 block in every build of the tests, clang's (the sanitizers') too,
   where the header leaves it out by default (it ran slower there) */
#define SAFERL_GP__PIPELINED 1
#define SAFERL_GP_IMPLEMENTATION
#include "../saferl_gp.h"
SAFERL_TEST_CONTRACTION_AFTER_THE_HEADER
SAFERL_TEST_ROUND_EVERY_PRODUCT

#define SAFEOPT_FINGERPRINT_0_4_16 0xdbbebea67a59808aull

/* six points in 2-D, three queries: the problem of the sklearn literals below */
static const double X6[12] = {0.0, 0.5, 1.0, 1.5, 2.0, 0.2, 3.0, 2.5, 1.5, 3.0, 0.4, 2.2};
static const double Y6[6] = {0.3, -0.2, 0.9, 1.4, -0.7, 0.1};
static const double Q3[6] = {0.5, 0.5, 2.5, 2.0, 4.0, 4.0};

typedef struct sklearn_case {
    saferl_gp_kernel kernel;
    int ard, normalize;
    double lengthscale[2];
    double mean[3], var[3], lml, gradient[4];
} sklearn_case;

/* GaussianProcessRegressor(C(1.7) * K, alpha=0.01, normalize_y) from Debian's sklearn 1.2.1;
   LML and gradient of C * K + WhiteKernel(0.01), alpha=0, theta = log(s2, l.., noise). */
static const sklearn_case SKLEARN[6] = {
    {SAFERL_GP_RBF, 0, 0, {0.9, 0.0},
     {0.27257563764593185, 0.86700156111066773, 0.20753359827783313},
     {0.32848716150872809, 0.69038196760123538, 1.6688166153107864},
     -8.0343795720405993, {-1.7146632526743029, 0.185429002791344, -0.011442698488163126, 0.0}},
    {SAFERL_GP_RBF, 0, 1, {0.9, 0.0},
     {0.25970386393944928, 0.88232606419849824, 0.47170475302745762},
     {0.15657888031916042, 0.32908207122325556, 0.79546925329814167},
     -8.9624891721066682, {-0.79477939501819928, -0.9288414752966383, -0.0032169560781984317, 0.0}},
    {SAFERL_GP_MATERN32, 1, 0, {0.8, 1.7},
     {0.17570127647464986, 0.91833309397440233, 0.35472084042358021},
     {0.62626333476338536, 0.79147812277679963, 1.586432472362393},
     -7.7467450783488898, {-1.8859936242746729, 0.32624710849942518, 0.56864513886014889, -0.016295324886987005}},
    {SAFERL_GP_MATERN32, 1, 1, {0.8, 1.7},
     {0.19297550739466687, 0.9250525696186187, 0.58568862411018685},
     {0.29851885623721375, 0.37727123852360783, 0.7561994784927405},
     -8.5587713647189858, {-1.0796447571466103, -0.12517132488579924, 0.51681849954807335, -0.010617905644954972}},
    {SAFERL_GP_MATERN52, 1, 0, {1.2, 0.6},
     {0.38480724055704496, 0.72577274023794125, 0.028902817162960583},
     {0.35032025073602652, 1.060732264035168, 1.6933181393200547},
     -8.2039815748635299, {-1.7209678043536156, -0.14697387990859129, 0.035022759721266873, -0.0097264547143589165}},
    {SAFERL_GP_MATERN52, 1, 1, {1.2, 0.6},
     {0.37243882009051354, 0.78814705910723626, 0.30816212608269383},
     {0.16698598618417268, 0.50561571252343007, 0.80714831307589263},
     -9.2774026721818537, {-0.65679011119601449, -0.89320866551941747, -0.27175537132875294, -0.00048305055363597783}},
};

static saferl_gp make_gp(uint32_t dim, uint32_t capacity, saferl_gp_kernel kernel, int ard, const double *lengthscale,
                         double signal_variance, double noise_variance) {
    saferl_gp gp;
    saferl_gp_desc desc;
    memset(&desc, 0, sizeof desc);
    desc.dim = dim;
    desc.capacity = capacity;
    desc.kernel = kernel;
    desc.ard = ard;
    desc.lengthscale = lengthscale;
    desc.signal_variance = signal_variance;
    desc.noise_variance = noise_variance;
    memset(&gp, 0, sizeof gp);
    CHECK(saferl_gp_create(&gp, &desc) == SAFERL_OK);
    return gp;
}

/* ---- GP regression --------------------------------------------------------------------- */

static double exp_relative_error(double x) {
    double e = exp(x);
    return fabs(saferl_gp__exp_nonpositive(x) - e) / e;
}

/* The kernels' exp (a vectorisable polynomial form) against libm over the domain the kernels
   use, [-708, 0], and its ends: relative error at most 6e-16 (4.33e-16 measured on 2 10^8
   points; the polynomial's own error is 3.1e-18, the rest is rounding: 2 ulp of libm's value
   and libm's half ulp, 2.5 ulp < 6e-16). Evenly spaced points, seeded uniform ones, and both
   sides of every range-reduction boundary (x = -(k + 1/2) ln2, where |r| is largest). */
TEST(kernel_exp_matches_libm) {
    double worst = 0.0;
    saferl_rng rng;
    int i;
    saferl_rng_seed(&rng, 24);
    for (i = 0; i <= 200000; ++i) {
        double d = exp_relative_error(-708.0 * i / 200000.0);
        if (d > worst) worst = d;
    }
    for (i = 0; i < 800000; ++i) { /* 3/4 densely where the kernel values live */
        double d = exp_relative_error((i % 4 ? -5.0 : -708.0) * saferl_rng_uniform(&rng));
        if (d > worst) worst = d;
    }
    for (i = 0; i < 1021; ++i) {
        double x = -(i + 0.5) * 0.69314718055994530942, d = exp_relative_error(nextafter(x, 0.0));
        if (d > worst) worst = d;
        d = exp_relative_error(nextafter(x, -1.0));
        if (d > worst) worst = d;
    }
    printf("        largest relative error against libm: %.3g\n", worst);
    CHECK(worst <= 6e-16);
    CHECK(saferl_gp__exp_nonpositive(0.0) == 1.0);
    CHECK(saferl_gp__exp_nonpositive(-0.0) == 1.0);
    CHECK(fabs(saferl_gp__exp_nonpositive(-708.0) - exp(-708.0)) <= 6e-16 * exp(-708.0));
    CHECK(saferl_gp__exp_nonpositive(-708.5) == 0.0); /* e^-708.5 < 2.1e-308: documented as 0 */
    CHECK(saferl_gp__exp_nonpositive(-1e300) == 0.0);
    CHECK(saferl_gp__exp_nonpositive(-HUGE_VAL) == 0.0);
}

TEST(kernels_match_closed_forms) {
    double ls = 2.0, a[1] = {0.0}, b[1] = {3.0}, r = 1.5;
    saferl_gp rbf = make_gp(1, 4, SAFERL_GP_RBF, 0, &ls, 1.7, 0.0);
    saferl_gp m32 = make_gp(1, 4, SAFERL_GP_MATERN32, 0, &ls, 1.7, 0.0);
    saferl_gp m52 = make_gp(1, 4, SAFERL_GP_MATERN52, 0, &ls, 1.7, 0.0);
    CHECK_NEAR(saferl_gp_kernel_value(&rbf, a, b), 1.7 * exp(-0.5 * r * r), 1e-15);
    CHECK_NEAR(saferl_gp_kernel_value(&m32, a, b), 1.7 * (1 + sqrt(3.0) * r) * exp(-sqrt(3.0) * r), 1e-15);
    CHECK_NEAR(saferl_gp_kernel_value(&m52, a, b), 1.7 * (1 + sqrt(5.0) * r + 5 * r * r / 3) * exp(-sqrt(5.0) * r), 1e-15);
    CHECK(saferl_gp_kernel_value(&m52, a, a) == 1.7);
    CHECK(rbf.noise_variance == 0.0 || rbf.noise_variance == 1e-10); /* 0 in the desc means the default */
    saferl_gp_destroy(&rbf);
    saferl_gp_destroy(&m32);
    saferl_gp_destroy(&m52);
}

TEST(posterior_lml_and_gradient_match_sklearn) {
    int c, i;
    for (c = 0; c < 6; ++c) {
        const sklearn_case *s = &SKLEARN[c];
        double mean[3], var[3], lml, grad[4];
        saferl_gp gp = make_gp(2, 8, s->kernel, s->ard, s->lengthscale, 1.7, 0.01);
        uint32_t p = saferl_gp_parameter_count(&gp);
        CHECK(saferl_gp_set_data(&gp, X6, Y6, 6) == SAFERL_OK);
        if (s->normalize) CHECK(saferl_gp_normalize_from_data(&gp) == SAFERL_OK);
        CHECK(gp.jitter == 0.0);
        CHECK(saferl_gp_predict(&gp, Q3, 3, mean, var) == SAFERL_OK);
        CHECK(saferl_gp_log_marginal_likelihood_gradient(&gp, &lml, grad) == SAFERL_OK);
        for (i = 0; i < 3; ++i) {
            CHECK_NEAR(mean[i], s->mean[i], 1e-12);
            CHECK_NEAR(var[i], s->var[i], 1e-12);
        }
        CHECK_NEAR(lml, s->lml, 1e-12);
        for (i = 0; i < (int)p; ++i) CHECK_NEAR(grad[i], s->gradient[i], 1e-12);
        saferl_gp_destroy(&gp);
    }
}

TEST(gradient_matches_finite_differences) {
    int kernel, ard, i;
    for (kernel = 0; kernel < 3; ++kernel)
        for (ard = 0; ard < 2; ++ard) {
            double ls[2] = {0.9, 1.4}, theta[4], grad[4], lml, up, down;
            saferl_gp gp = make_gp(2, 8, (saferl_gp_kernel)kernel, ard, ls, 1.3, 0.05);
            uint32_t p = saferl_gp_parameter_count(&gp);
            CHECK(saferl_gp_set_data(&gp, X6, Y6, 6) == SAFERL_OK);
            saferl_gp_log_marginal_likelihood_gradient(&gp, &lml, grad);
            saferl_gp_get_log_parameters(&gp, theta);
            for (i = 0; i < (int)p; ++i) {
                double h = 1e-5, t = theta[i];
                theta[i] = t + h;
                saferl_gp_set_log_parameters(&gp, theta);
                saferl_gp_log_marginal_likelihood(&gp, &up);
                theta[i] = t - h;
                saferl_gp_set_log_parameters(&gp, theta);
                saferl_gp_log_marginal_likelihood(&gp, &down);
                theta[i] = t;
                saferl_gp_set_log_parameters(&gp, theta);
                CHECK_NEAR(grad[i], (up - down) / (2 * h), 1e-7);
            }
            saferl_gp_destroy(&gp);
        }
}

TEST(append_equals_batch_factor) {
    double ls[2] = {0.8, 1.1}, mean_a[3], var_a[3], mean_b[3], var_b[3], lml_a, lml_b;
    saferl_gp a = make_gp(2, 8, SAFERL_GP_MATERN52, 1, ls, 1.2, 1e-3);
    saferl_gp b = make_gp(2, 8, SAFERL_GP_MATERN52, 1, ls, 1.2, 1e-3);
    int i, j;
    CHECK(saferl_gp_set_data(&a, X6, Y6, 6) == SAFERL_OK);
    for (i = 0; i < 6; ++i) CHECK(saferl_gp_add(&b, X6 + 2 * i, Y6[i]) == SAFERL_OK);
    CHECK(b.count == 6);
    for (i = 0; i < 6; ++i)
        for (j = 0; j <= i; ++j) CHECK_NEAR(b.cholesky[i * 8 + j], a.cholesky[i * 8 + j], 1e-12);
    saferl_gp_predict(&a, Q3, 3, mean_a, var_a);
    saferl_gp_predict(&b, Q3, 3, mean_b, var_b);
    saferl_gp_log_marginal_likelihood(&a, &lml_a);
    saferl_gp_log_marginal_likelihood(&b, &lml_b);
    for (i = 0; i < 3; ++i) {
        CHECK_NEAR(mean_b[i], mean_a[i], 1e-12);
        CHECK_NEAR(var_b[i], var_a[i], 1e-12);
    }
    CHECK_NEAR(lml_b, lml_a, 1e-12);
    /* remove_last and remove(i) against a refit on the remaining points */
    {
        double x5[10], y5[5], mean_c[3], var_c[3];
        saferl_gp c = make_gp(2, 8, SAFERL_GP_MATERN52, 1, ls, 1.2, 1e-3);
        CHECK(saferl_gp_remove_last(&b) == SAFERL_OK);
        CHECK(saferl_gp_set_data(&c, X6, Y6, 5) == SAFERL_OK);
        saferl_gp_predict(&b, Q3, 3, mean_b, var_b);
        saferl_gp_predict(&c, Q3, 3, mean_c, var_c);
        for (i = 0; i < 3; ++i) {
            CHECK_NEAR(mean_b[i], mean_c[i], 1e-12);
            CHECK_NEAR(var_b[i], var_c[i], 1e-12);
        }
        CHECK(saferl_gp_remove(&a, 2) == SAFERL_OK);
        for (i = 0, j = 0; i < 6; ++i)
            if (i != 2) {
                x5[2 * j] = X6[2 * i];
                x5[2 * j + 1] = X6[2 * i + 1];
                y5[j++] = Y6[i];
            }
        CHECK(saferl_gp_set_data(&c, x5, y5, 5) == SAFERL_OK);
        saferl_gp_predict(&a, Q3, 3, mean_a, var_a);
        saferl_gp_predict(&c, Q3, 3, mean_c, var_c);
        for (i = 0; i < 3; ++i) {
            CHECK_NEAR(mean_a[i], mean_c[i], 1e-12);
            CHECK_NEAR(var_a[i], var_c[i], 1e-12);
        }
        saferl_gp_destroy(&c);
    }
    saferl_gp_destroy(&a);
    saferl_gp_destroy(&b);
}

/* A model built by appends (saferl_gp_add: L's new row L^-1 k, its diagonal
   sqrt(k(x, x) - |L^-1 k|^2)) on seeded random problems: every kernel, d = 1..3, n = 2..40,
   noise 1e-6..1e-1, part of the points factored first. Up to one block of the factor's rows
   (the unblocked, row-by-row factor does the same operations in the same order) it is the
   refit's factor, alpha and whitened targets bit for bit; at every n the appended L meets
   Cholesky's backward-error bound |L L^T - A| <= gamma_{n+1} |L| |L^T| entrywise (Higham,
   Accuracy and Stability of Numerical Algorithms, thm. 10.3), A = K + noise I. */
/* gp->x_scaled (read by the AVX-512 predict) holds x times the kernel's input scale, bit for
   bit, after every change of the points or the lengthscales, a refused one included. */
static int scaled_points_are_current(const saferl_gp *gp) {
    uint32_t i, k;
    for (k = 0; k < gp->dim; ++k) {
        const double l = gp->lengthscale[gp->lengthscale_count == 1 ? 0 : k];
        if (gp->input_scale[k] != (gp->kernel == SAFERL_GP_RBF ? 0.70710678118654752440 / l : 1.0 / l)) return 0;
    }
    for (i = 0; i < gp->count; ++i)
        for (k = 0; k < gp->dim; ++k)
            if (gp->x_scaled[i * gp->dim + k] != gp->x[i * gp->dim + k] * gp->input_scale[k]) return 0;
    return 1;
}

TEST(scaled_points_follow_every_change) {
    int kernel;
    for (kernel = 0; kernel < 3; ++kernel) {
        double ls[2] = {0.8, 1.3}, ls2[2] = {0.5, 2.0}, bad[2] = {0.0, NAN}, x_new[2] = {0.7, 2.9};
        saferl_gp gp = make_gp(2, 8, (saferl_gp_kernel)kernel, 1, ls, 1.2, 1e-3);
        saferl_gp_fit_desc fd;
        CHECK(saferl_gp_set_data(&gp, X6, Y6, 6) == SAFERL_OK && scaled_points_are_current(&gp));
        CHECK(saferl_gp_add(&gp, x_new, 0.4) == SAFERL_OK && scaled_points_are_current(&gp));
        CHECK(saferl_gp_remove(&gp, 2) == SAFERL_OK && scaled_points_are_current(&gp));
        CHECK(saferl_gp_remove_last(&gp) == SAFERL_OK && scaled_points_are_current(&gp));
        CHECK(saferl_gp_set_hyperparameters(&gp, 0.9, ls2, 1e-2) == SAFERL_OK && scaled_points_are_current(&gp));
        CHECK(saferl_gp_set_data(&gp, bad, Y6, 1) == SAFERL_ERR_NOT_FINITE && gp.count == 5);
        CHECK(scaled_points_are_current(&gp));
        memset(&fd, 0, sizeof fd);
        fd.restarts = 1;
        fd.seed = 3;
        saferl_gp_fit(&gp, &fd, NULL);
        CHECK(gp.lengthscale[0] != ls2[0] && scaled_points_are_current(&gp));
        saferl_gp_destroy(&gp);
    }
}

TEST(append_is_the_refit_on_seeded_problems) {
    enum { PROBLEMS = 40, N_MAX = 40 };
#if defined(SAFERL_USE_BLIS)
    const uint32_t same_order = SAFERL_GP__CHOLESKY_BLOCK;
#else
    const uint32_t same_order = SAFERL_GP__CHOLESKY_ROWS;
#endif
    const double u = 1.1102230246251565e-16;
    static double x[N_MAX * 3], y[N_MAX];
    saferl_rng rng;
    uint32_t t, i, j, k, bad_bits = 0, bad_bound = 0, compared_bits = 0;
    saferl_rng_seed(&rng, 4242);
    for (t = 0; t < PROBLEMS; ++t) {
        const uint32_t d = 1 + saferl_rng_bounded(&rng, 3), n = 2 + saferl_rng_bounded(&rng, N_MAX - 1);
        const uint32_t first = saferl_rng_bounded(&rng, n), p = (t & 1) ? d : 1;
        const saferl_gp_kernel kernel = (saferl_gp_kernel)(t % 3);
        const double noise = exp(log(1e-6) + saferl_rng_uniform(&rng) * (log(1e-1) - log(1e-6)));
        const double s2 = 0.5 + 2.5 * saferl_rng_uniform(&rng), gamma = (n + 1) * u / (1.0 - (n + 1) * u);
        double ls[3];
        saferl_gp refit, appended;
        for (k = 0; k < p; ++k) ls[k] = 0.3 + 2.7 * saferl_rng_uniform(&rng);
        for (i = 0; i < n * d; ++i) x[i] = 5.0 * saferl_rng_uniform(&rng);
        for (i = 0; i < n; ++i) y[i] = sin(x[i * d]) + 0.1 * saferl_rng_normal(&rng);
        refit = make_gp(d, n, kernel, p > 1, ls, s2, noise);
        appended = make_gp(d, n, kernel, p > 1, ls, s2, noise);
        CHECK(saferl_gp_set_data(&refit, x, y, n) == SAFERL_OK);
        CHECK(saferl_gp_set_data(&appended, x, y, first) == SAFERL_OK);
        for (i = first; i < n; ++i) CHECK(saferl_gp_add(&appended, x + i * d, y[i]) == SAFERL_OK);
        CHECK(appended.count == n && refit.jitter == 0.0 && appended.jitter == 0.0);
        if (n <= same_order) {
            compared_bits += 1;
            for (i = 0; i < n; ++i)
                bad_bits += memcmp(appended.cholesky + i * n, refit.cholesky + i * n, (i + 1) * sizeof(double)) != 0;
            bad_bits += memcmp(appended.alpha, refit.alpha, n * sizeof(double)) != 0;
            bad_bits += memcmp(appended.whitened, refit.whitened, n * sizeof(double)) != 0;
        }
        for (i = 0; i < n; ++i)
            for (j = 0; j <= i; ++j) {
                const double *l = appended.cholesky;
                double a = saferl_gp_kernel_value(&appended, x + i * d, x + j * d) + (i == j ? noise : 0.0);
                double s = 0.0, bound = 0.0;
                for (k = 0; k <= j; ++k) {
                    s += l[i * n + k] * l[j * n + k];
                    bound += fabs(l[i * n + k] * l[j * n + k]);
                }
                bad_bound += !(fabs(s - a) <= gamma * bound);
            }
        saferl_gp_destroy(&refit);
        saferl_gp_destroy(&appended);
    }
    CHECK(compared_bits >= 5); /* the seed gives some problems within one block */
    CHECK(bad_bits == 0);
    CHECK(bad_bound == 0);
}

TEST(duplicate_points_stay_finite) {
    double ls = 1.0, x[3] = {0.5, 0.5, 1.0}, q[2] = {0.5, 0.75}, mean[2], var[2];
    saferl_gp gp = make_gp(1, 8, SAFERL_GP_RBF, 0, &ls, 1.0, 1e-3);
    int i;
    /* with noise: the floor d^2 >= noise keeps the append exact: two equal observations of
       one point are one observation with half the noise */
    CHECK(saferl_gp_add(&gp, x, 1.0) == SAFERL_OK);
    CHECK(saferl_gp_add(&gp, x + 1, 1.0) == SAFERL_OK);
    CHECK(gp.jitter == 0.0);
    saferl_gp_predict(&gp, q, 1, mean, var);
    CHECK_NEAR(mean[0], 1.0 / (1.0 + 0.5e-3), 1e-12);
    CHECK_NEAR(var[0], 1.0 - 1.0 / (1.0 + 0.5e-3), 1e-12);
    saferl_gp_destroy(&gp);
    /* without noise: the append refactors with jitter instead of dividing by ~0 */
    gp = make_gp(1, 8, SAFERL_GP_RBF, 0, &ls, 1.0, 1e-10);
    CHECK(saferl_gp_set_hyperparameters(&gp, 1.0, &ls, 0.0) == SAFERL_OK);
    for (i = 0; i < 3; ++i) CHECK(saferl_gp_add(&gp, x + i, 2.0) == SAFERL_OK);
    CHECK(gp.count == 3);
    CHECK(gp.jitter > 0.0 && gp.jitter < 1e-6);
    saferl_gp_predict(&gp, q, 2, mean, var);
    for (i = 0; i < 2; ++i) CHECK(isfinite(mean[i]) && isfinite(var[i]) && var[i] >= 0.0);
    CHECK_NEAR(mean[0], 2.0, 1e-6);
    saferl_gp_destroy(&gp);
}

TEST(covariance_agrees_with_variance_and_grid) {
    double ls[2] = {0.7, 1.2}, mean[3], var[3], cov[9], mean2[3], work[3 * 6], row[3];
    saferl_gp gp = make_gp(2, 8, SAFERL_GP_RBF, 1, ls, 2.0, 0.01);
    saferl_gp_grid grid;
    void *memory;
    size_t size;
    int i;
    saferl_gp_set_data(&gp, X6, Y6, 6);
    CHECK(saferl_gp_predict(&gp, Q3, 3, mean, var) == SAFERL_OK);
    CHECK(saferl_gp_predict_covariance(&gp, Q3, 3, mean2, cov, work, 3 * 5) == SAFERL_ERR_BUFFER_TOO_SMALL);
    CHECK(saferl_gp_predict_covariance(&gp, Q3, 3, mean2, cov, work, 3 * 6) == SAFERL_OK);
    for (i = 0; i < 3; ++i) {
        CHECK_NEAR(cov[i * 3 + i], var[i], 1e-13);
        CHECK_NEAR(mean2[i], mean[i], 1e-13);
    }
    CHECK(cov[1] == cov[3]);
    size = saferl_gp_grid_memory_size(3, gp.capacity);
    memory = malloc(size);
    CHECK(saferl_gp_grid_init(&grid, &gp, Q3, 3, memory, size) == SAFERL_OK);
    for (i = 0; i < 3; ++i) {
        CHECK_NEAR(grid.mean[i], mean[i], 1e-13);
        CHECK_NEAR(grid.var[i], var[i], 1e-13);
    }
    CHECK(saferl_gp_grid_covariance_row(&grid, &gp, 1, row) == SAFERL_OK);
    for (i = 0; i < 3; ++i) CHECK_NEAR(row[i], cov[3 + i], 1e-13);
    free(memory);
    saferl_gp_destroy(&gp);
}

/* A block of queries whose width is not a whole number of the solve's tiles is padded with
   zero columns to whole tiles (saferl_gp_predict_with_work): each query's mean and variance
   must be the bits it gets alone (one query: no pad, the columns-one-at-a-time path), for
   every number of columns left over from the tiles (m = 1..40, 64 + 1..17, 1000), sizes with
   and without the solve's head rows, three kernels, 1-3 dimensions, and the caller's work
   as wide as the block or narrower than a whole tile. On a CPU with AVX-512 the RBF batches
   of n >= 6 go through the pipelined predict (its kernel values from gp->x_scaled), the single
   queries through the kernel rows: there this checks the one against the other, in 1 and 2
   dimensions. BLIS's trsm may sum a batch in another order: there, agreement to 1e-12. */
TEST(padded_blocks_predict_the_bits_of_single_queries) {
    static const uint32_t sizes[5] = {5, 25, 37, 100, 50}, dims[5] = {1, 2, 3, 1, 2};
    static const uint32_t counts[6] = {17, 29, 40, 65, 81, 1000};
    static double x[100 * 3], y[100], q[1000 * 3], mean[1000], var[1000], work[SAFERL_GP_BLOCK * 100];
    saferl_rng rng;
    uint32_t t, c, i, checked = 0, mismatches = 0;
    saferl_rng_seed(&rng, 2041);
    for (i = 0; i < 300; ++i) x[i] = 3.0 * saferl_rng_uniform(&rng);
    for (i = 0; i < 100; ++i) y[i] = saferl_rng_normal(&rng);
    for (i = 0; i < 3000; ++i) q[i] = -0.5 + 4.0 * saferl_rng_uniform(&rng);
    for (t = 0; t < 5; ++t) {
        const uint32_t n = sizes[t], dim = dims[t];
        const saferl_gp_kernel kernel = t < 3 ? (saferl_gp_kernel)t : SAFERL_GP_RBF;
        const double lengthscale = 0.7;
        saferl_gp gp = make_gp(dim, n + 2, kernel, 0, &lengthscale, 1.4, 1e-3);
        CHECK(saferl_gp_set_data(&gp, x, y, n) == SAFERL_OK);
        for (c = 0; c < 6 + 40; ++c) {
            const uint32_t m = c < 6 ? counts[c] : c - 5; /* then m = 1..40 */
            const size_t widths[2] = {(size_t)SAFERL_GP_BLOCK * n, (size_t)(m % 16 + 2) * n};
            uint32_t w, j;
            for (w = 0; w < 2; ++w) {
                CHECK(saferl_gp_predict_with_work(&gp, q, m, mean, var, work, widths[w]) == SAFERL_OK);
                for (j = 0; j < m; ++j) {
                    double one_mean, one_var;
                    CHECK(saferl_gp_predict(&gp, q + (size_t)j * dim, 1, &one_mean, &one_var) == SAFERL_OK);
#if defined(SAFERL_USE_BLIS)
                    mismatches += !(fabs(one_mean - mean[j]) <= 1e-12 && fabs(one_var - var[j]) <= 1e-12);
#else
                    mismatches += memcmp(&one_mean, &mean[j], sizeof one_mean) != 0 ||
                                  memcmp(&one_var, &var[j], sizeof one_var) != 0;
#endif
                    checked += 1;
                }
            }
        }
        saferl_gp_destroy(&gp);
    }
    printf("        %u queries, %u differ from the query alone\n", checked, mismatches);
    CHECK(mismatches == 0);
}

/* The batched solve works on register tiles of 4 rows by 4 or 8 queries, in chunks of 64
   queries: sizes that leave rows and columns over (n = 1, 3, 6, 9, 70; 1, 7 and 133 queries)
   against a textbook Cholesky and one forward substitution per query, written here. */
TEST(batched_solve_matches_textbook_per_query) {
    static const uint32_t sizes[5] = {1, 3, 6, 9, 70}, batches[3] = {1, 7, 133};
    static double x[70], y[70], a[70 * 70], q[133], mean[133], var[133], v[70];
    const double lengthscale = 0.6, s2 = 1.3, noise = 0.05;
    saferl_rng rng;
    uint32_t t, b, i, j, k;
    saferl_rng_seed(&rng, 11);
    for (i = 0; i < 70; ++i) {
        x[i] = 4.0 * saferl_rng_uniform(&rng);
        y[i] = sin(2.0 * x[i]) + 0.1 * saferl_rng_normal(&rng);
    }
    for (i = 0; i < 133; ++i) q[i] = -0.5 + 5.0 * saferl_rng_uniform(&rng);
    for (t = 0; t < 5; ++t) {
        uint32_t n = sizes[t];
        double worst = 0.0, alpha[70];
        saferl_gp gp = make_gp(1, n, SAFERL_GP_RBF, 0, &lengthscale, s2, noise);
        saferl_gp_grid grid;
        size_t size = saferl_gp_grid_memory_size(133, n);
        void *memory = malloc(size);
        CHECK(saferl_gp_set_data(&gp, x, y, n) == SAFERL_OK);
        for (i = 0; i < n; ++i) /* A = K + noise I, then its lower Cholesky factor in place */
            for (j = 0; j <= i; ++j) {
                double d = (x[i] - x[j]) / lengthscale;
                a[i * n + j] = s2 * exp(-0.5 * d * d) + (i == j ? noise : 0.0);
            }
        for (j = 0; j < n; ++j) {
            for (k = 0; k < j; ++k) a[j * n + j] -= a[j * n + k] * a[j * n + k];
            a[j * n + j] = sqrt(a[j * n + j]);
            for (i = j + 1; i < n; ++i) {
                for (k = 0; k < j; ++k) a[i * n + j] -= a[i * n + k] * a[j * n + k];
                a[i * n + j] /= a[j * n + j];
            }
        }
        for (i = 0; i < n; ++i) { /* alpha = A^-1 y by two substitutions */
            alpha[i] = y[i];
            for (k = 0; k < i; ++k) alpha[i] -= a[i * n + k] * alpha[k];
            alpha[i] /= a[i * n + i];
        }
        for (i = n; i-- > 0;) {
            for (k = i + 1; k < n; ++k) alpha[i] -= a[k * n + i] * alpha[k];
            alpha[i] /= a[i * n + i];
        }
        CHECK(saferl_gp_grid_init(&grid, &gp, q, 133, memory, size) == SAFERL_OK);
        for (b = 0; b < 3; ++b) {
            CHECK(saferl_gp_predict(&gp, q, batches[b], mean, var) == SAFERL_OK);
            for (j = 0; j < batches[b]; ++j) {
                double m = 0.0, reduction = 0.0;
                for (i = 0; i < n; ++i) {
                    double d = (x[i] - q[j]) / lengthscale;
                    v[i] = s2 * exp(-0.5 * d * d);
                    m += v[i] * alpha[i];
                }
                for (i = 0; i < n; ++i) {
                    for (k = 0; k < i; ++k) v[i] -= a[i * n + k] * v[k];
                    v[i] /= a[i * n + i];
                    reduction += v[i] * v[i];
                }
                if (fabs(mean[j] - m) > worst) worst = fabs(mean[j] - m);
                if (fabs(var[j] - (s2 - reduction)) > worst) worst = fabs(var[j] - (s2 - reduction));
                if (b == 2) {
                    if (fabs(grid.mean[j] - m) > worst) worst = fabs(grid.mean[j] - m);
                    if (fabs(grid.var[j] - (s2 - reduction)) > worst) worst = fabs(grid.var[j] - (s2 - reduction));
                }
            }
        }
        CHECK(worst < 1e-12);
        if (!(worst < 1e-12)) printf("  n = %u: worst difference %.3g\n", n, worst);
        free(memory);
        saferl_gp_destroy(&gp);
    }
}

#if defined(SAFERL_USE_BLIS)
/* BLIS's trsm sums in its own order (blocked, its micro-kernel multiplies by a stored 1 / l_ii),
   so the BLIS build's solve is held to the backward-error bound instead of to bits: the computed
   X of L X = B satisfies |B - L X| <= gamma_(n+1) |L| |X| entrywise (Higham, Accuracy and
   Stability of Numerical Algorithms, thm. 8.5, one rounding more for the reciprocal); the
   residual is formed in long double, whose own rounding the bound leaves room for (2 u_ld n).
   The column sums of squares are the sums of the solved columns' squares to gamma_n. Returns
   the number of entries (and sums) outside their bounds. */
static uint32_t blis_solve_violations(const double *l, size_t ld, uint32_t n, const double *b, const double *x,
                                      size_t ldv, uint32_t m, const double *sumsq) {
    const double u = 1.1102230246251565e-16, gamma = (n + 1) * u / (1.0 - (n + 1) * u);
    const long double u_ld = LDBL_EPSILON / 2;
    uint32_t i, k, q, bad = 0;
    for (q = 0; q < m; ++q) {
        long double squares = 0.0L;
        for (i = 0; i < n; ++i) {
            long double residual = b[(size_t)i * ldv + q], scale = 0.0L;
            for (k = 0; k <= i; ++k) {
                residual -= (long double)l[(size_t)i * ld + k] * x[(size_t)k * ldv + q];
                scale += fabsl((long double)l[(size_t)i * ld + k] * x[(size_t)k * ldv + q]);
            }
            bad += !(fabsl(residual) <= (gamma + 2 * n * u_ld) * scale + 2 * n * u_ld * fabsl((long double)b[(size_t)i * ldv + q]));
            squares += (long double)x[(size_t)i * ldv + q] * x[(size_t)i * ldv + q];
        }
        if (sumsq) bad += !(fabsl(sumsq[q] - squares) <= (n * u / (1.0 - n * u) + 2 * n * u_ld) * squares);
    }
    return bad;
}
#endif

TEST(grid_rank1_update_equals_recompute) {
    enum { M = 200, N = 40 };
    static double z[M * 2], x[N * 2], y[N], mean[M], var[M];
    double ls[2] = {1.5, 0.8};
    saferl_gp gp = make_gp(2, N, SAFERL_GP_MATERN32, 1, ls, 1.3, 1e-4);
    saferl_gp_grid grid;
    saferl_rng rng;
    void *memory;
    size_t size;
    int i, worst_mean = 0, worst_var = 0;
    saferl_rng_seed(&rng, 3);
    for (i = 0; i < M * 2; ++i) z[i] = 5.0 * saferl_rng_uniform(&rng);
    for (i = 0; i < N * 2; ++i) x[i] = 5.0 * saferl_rng_uniform(&rng);
    for (i = 0; i < N; ++i) y[i] = sin(x[2 * i]) + x[2 * i + 1] + 0.01 * saferl_rng_normal(&rng);
    size = saferl_gp_grid_memory_size(M, N);
    memory = malloc(size);
    CHECK(saferl_gp_grid_init(&grid, &gp, z, M, memory, size) == SAFERL_OK);
    for (i = 0; i < N; ++i) {
        CHECK(saferl_gp_add(&gp, x + 2 * i, y[i]) == SAFERL_OK);
        CHECK(saferl_gp_grid_update(&grid, &gp) == SAFERL_OK);
    }
    CHECK(grid.rank1_updates == N);
    CHECK(grid.full_updates == 1);
    saferl_gp_predict(&gp, z, M, mean, var);
    for (i = 0; i < M; ++i) {
        if (fabs(grid.mean[i] - mean[i]) > 1e-9) ++worst_mean;
        if (fabs(grid.var[i] - var[i]) > 1e-9) ++worst_var;
    }
    CHECK(worst_mean == 0 && worst_var == 0);
    { /* V itself: each appended row has the bits a recompute gives it (same sums, same 1 / d) */
        saferl_gp_grid fresh;
        void *fresh_memory = malloc(size);
        CHECK(saferl_gp_grid_init(&fresh, &gp, z, M, fresh_memory, size) == SAFERL_OK);
#if defined(SAFERL_USE_BLIS) /* the recompute is BLIS's trsm: both meet the solve's error bound */
        {
            static double kernel[N * M];
            saferl_gp__kernel_block(&gp, gp.x, N, z, M, kernel, M, NULL, NULL);
            CHECK(blis_solve_violations(gp.cholesky, gp.capacity, N, kernel, fresh.projection, M, M, NULL) == 0);
            CHECK(blis_solve_violations(gp.cholesky, gp.capacity, N, kernel, grid.projection, M, M, NULL) == 0);
        }
#else
        CHECK(memcmp(fresh.projection, grid.projection, (size_t)N * M * sizeof(double)) == 0);
#endif
        free(fresh_memory);
    }
    /* a refit changes the epoch: the next update recomputes */
    CHECK(saferl_gp_refit(&gp) == SAFERL_OK);
    CHECK(saferl_gp_grid_update(&grid, &gp) == SAFERL_OK);
    CHECK(grid.full_updates == 2);
    free(memory);
    saferl_gp_destroy(&gp);
}

TEST(fantasy_update_equals_adding_the_point) {
    /* the expander test's rank-1 conditioning against an actual add of (z_j, y~) */
    enum { M = 30 };
    double z[M], ls = 0.6, cov[M], mean[M], var[M], fantasy_y = 1.7, noise = 0.01;
    saferl_gp gp = make_gp(1, 16, SAFERL_GP_RBF, 0, &ls, 1.5, noise);
    saferl_gp_grid grid;
    void *memory;
    size_t size;
    int i, j = 11;
    double xs[3] = {0.4, 1.9, 2.6}, ys[3] = {0.2, -0.4, 0.8};
    for (i = 0; i < M; ++i) z[i] = 0.1 * i;
    saferl_gp_set_data(&gp, xs, ys, 3);
    size = saferl_gp_grid_memory_size(M, 16);
    memory = malloc(size);
    saferl_gp_grid_init(&grid, &gp, z, M, memory, size);
    saferl_gp_grid_covariance_row(&grid, &gp, (uint32_t)j, cov);
    for (i = 0; i < M; ++i) {
        double s2 = grid.var[j] + noise;
        mean[i] = grid.mean[i] + cov[i] * (fantasy_y - grid.mean[j]) / s2;
        var[i] = grid.var[i] - cov[i] * cov[i] / s2;
    }
    CHECK(saferl_gp_add(&gp, z + j, fantasy_y) == SAFERL_OK);
    saferl_gp_grid_update(&grid, &gp);
    for (i = 0; i < M; ++i) {
        CHECK_NEAR(grid.mean[i], mean[i], 1e-12);
        CHECK_NEAR(grid.var[i], var[i], 1e-12);
    }
    free(memory);
    saferl_gp_destroy(&gp);
}

TEST(fit_raises_the_likelihood_to_a_stationary_point) {
    double ls = 0.3, before, grad[3];
    saferl_gp gp = make_gp(2, 8, SAFERL_GP_RBF, 0, &ls, 0.2, 0.5);
    saferl_gp_fit_desc fd;
    saferl_gp_fit_report report;
    saferl_gp_set_data(&gp, X6, Y6, 6);
    saferl_gp_log_marginal_likelihood(&gp, &before);
    memset(&fd, 0, sizeof fd);
    fd.restarts = 3;
    fd.seed = 1;
    fd.noise_bounds[0] = 1e-4;
    fd.noise_bounds[1] = 10.0;
    CHECK(saferl_gp_fit(&gp, &fd, &report) == SAFERL_OK);
    printf("        LML %.6f -> %.6f (s2 %.4g, l %.4g, noise %.4g)\n", before, report.log_marginal_likelihood,
           gp.signal_variance, gp.lengthscale[0], gp.noise_variance);
    CHECK(report.starts == 4);
    CHECK(report.log_marginal_likelihood > before);
    {
        /* no point of a 24^3 grid over the bounds' box does better */
        double theta[3], grid_best = -1e300, v;
        saferl_gp probe = make_gp(2, 8, SAFERL_GP_RBF, 0, &ls, 1.0, 0.1);
        int a, b, c;
        saferl_gp_set_data(&probe, X6, Y6, 6);
        for (a = 0; a < 24; ++a)
            for (b = 0; b < 24; ++b)
                for (c = 0; c < 24; ++c) {
                    theta[0] = -5.0 + 10.0 * a / 23.0;
                    theta[1] = -5.0 + 10.0 * b / 23.0;
                    theta[2] = log(1e-4) + (log(10.0) - log(1e-4)) * c / 23.0;
                    if (saferl_gp_set_log_parameters(&probe, theta) != SAFERL_OK || probe.jitter != 0.0) continue;
                    saferl_gp_log_marginal_likelihood(&probe, &v);
                    if (v > grid_best) grid_best = v;
                }
        CHECK(report.log_marginal_likelihood >= grid_best - 1e-9);
        saferl_gp_destroy(&probe);
    }
    saferl_gp_log_marginal_likelihood_gradient(&gp, NULL, grad);
    /* interior parameters end at a zero of the gradient */
    if (gp.noise_variance > 1.1e-4 && gp.noise_variance < 9.9) CHECK(fabs(grad[2]) < 1e-4);
    CHECK(fabs(grad[0]) < 1e-4 && fabs(grad[1]) < 1e-4);
    saferl_gp_destroy(&gp);
}

TEST(bad_input_is_rejected_and_changes_nothing) {
    double ls[2] = {1.0, 1.0}, bad_ls[2] = {1.0, -1.0}, nan_x[2] = {0.0, 0.0}, mean[3], var[3], mean2[3], var2[3];
    double huge = 1e308, zero = 0.0;
    saferl_gp gp = make_gp(2, 6, SAFERL_GP_RBF, 1, ls, 1.0, 0.01);
    saferl_gp_desc desc;
    uint32_t epoch;
    int i;
    saferl_gp_set_data(&gp, X6, Y6, 5);
    saferl_gp_predict(&gp, Q3, 3, mean, var);
    epoch = gp.factor_epoch;
    nan_x[1] = zero / zero;
    CHECK(saferl_gp_add(&gp, nan_x, 1.0) == SAFERL_ERR_NOT_FINITE);
    CHECK(saferl_gp_add(&gp, X6, huge * 10.0) == SAFERL_ERR_NOT_FINITE);
    CHECK(saferl_gp_set_data(&gp, nan_x, Y6, 1) == SAFERL_ERR_NOT_FINITE);
    CHECK(saferl_gp_set_hyperparameters(&gp, -1.0, ls, 0.01) == SAFERL_ERR_INVALID_ARGUMENT);
    CHECK(saferl_gp_set_hyperparameters(&gp, 1.0, bad_ls, 0.01) == SAFERL_ERR_INVALID_ARGUMENT);
    CHECK(saferl_gp_set_hyperparameters(&gp, 1.0, ls, -0.01) == SAFERL_ERR_INVALID_ARGUMENT);
    /* overflowing variances: not positive definite after every jitter, parameters kept */
    CHECK(saferl_gp_set_hyperparameters(&gp, huge, ls, huge) == SAFERL_ERR_NOT_POSITIVE_DEFINITE);
    CHECK(gp.signal_variance == 1.0 && gp.noise_variance == 0.01);
    CHECK(saferl_gp_predict(&gp, nan_x, 1, mean2, var2) == SAFERL_ERR_NOT_FINITE);
    {
        double queries[6] = {0.5, 0.5, 1.0, 1.0, 2.0, 2.0}; /* the check is on the bits: both infinities, late */
        queries[5] = huge * 10.0;
        CHECK(saferl_gp_predict(&gp, queries, 3, mean2, var2) == SAFERL_ERR_NOT_FINITE);
        queries[5] = -huge * 10.0;
        CHECK(saferl_gp_predict(&gp, queries, 3, mean2, var2) == SAFERL_ERR_NOT_FINITE);
        queries[5] = huge;
        CHECK(saferl_gp_predict(&gp, queries, 3, mean2, var2) == SAFERL_OK);
    }
    CHECK(gp.count == 5 && gp.factor_epoch == epoch);
    saferl_gp_predict(&gp, Q3, 3, mean2, var2);
    for (i = 0; i < 3; ++i) CHECK(mean2[i] == mean[i] && var2[i] == var[i]);
    /* the fixed-memory cap */
    CHECK(saferl_gp_add(&gp, X6 + 10, Y6[5]) == SAFERL_OK);
    CHECK(saferl_gp_add(&gp, Q3, 0.0) == SAFERL_ERR_BUFFER_TOO_SMALL);
    CHECK(gp.count == 6);
    CHECK(saferl_gp_set_data(&gp, X6, Y6, 7) == SAFERL_ERR_BUFFER_TOO_SMALL);
    CHECK(saferl_gp_remove(&gp, 6) == SAFERL_ERR_INVALID_ARGUMENT);
    /* descs */
    memset(&desc, 0, sizeof desc);
    CHECK(saferl_gp_memory_size(&desc) == 0); /* dim 0 */
    desc.dim = 2;
    desc.lengthscale = bad_ls;
    desc.ard = 1;
    CHECK(saferl_gp_init(&gp, &desc, NULL, 0) == SAFERL_ERR_INVALID_ARGUMENT);
    saferl_gp_destroy(&gp);
}

/* Issue 15: y_scale = 1e-320 was accepted and predict returned OK with a NaN mean. Every scale
   (signal variance, lengthscales, y_scale, a non-zero noise) must be a normal double. */
TEST(subnormal_scales_are_refused) {
    const double tiny = 1e-320, ls[2] = {1.0, 1.0}, tiny_ls[2] = {1.0, 1e-320};
    saferl_gp_desc desc;
    saferl_gp gp;
    double q[2] = {0.5, 0.5}, mean, var;
    memset(&desc, 0, sizeof desc);
    desc.dim = 2;
    desc.capacity = 8;
    desc.ard = 1;
    desc.lengthscale = ls;
    desc.y_scale = tiny;
    CHECK(saferl_gp_create(&gp, &desc) == SAFERL_ERR_INVALID_ARGUMENT);
    desc.y_scale = 1.0;
    desc.signal_variance = tiny;
    CHECK(saferl_gp_create(&gp, &desc) == SAFERL_ERR_INVALID_ARGUMENT);
    desc.signal_variance = 1.0;
    desc.noise_variance = tiny;
    CHECK(saferl_gp_create(&gp, &desc) == SAFERL_ERR_INVALID_ARGUMENT);
    desc.noise_variance = 0.0;
    desc.lengthscale = tiny_ls;
    CHECK(saferl_gp_create(&gp, &desc) == SAFERL_ERR_INVALID_ARGUMENT);
    desc.lengthscale = ls;
    CHECK(saferl_gp_create(&gp, &desc) == SAFERL_OK);
    CHECK(saferl_gp_set_data(&gp, X6, Y6, 6) == SAFERL_OK);
    CHECK(saferl_gp_set_normalization(&gp, 0.0, tiny) == SAFERL_ERR_INVALID_ARGUMENT);
    CHECK(saferl_gp_set_hyperparameters(&gp, tiny, ls, 0.01) == SAFERL_ERR_INVALID_ARGUMENT);
    CHECK(saferl_gp_set_hyperparameters(&gp, 1.0, tiny_ls, 0.01) == SAFERL_ERR_INVALID_ARGUMENT);
    CHECK(gp.y_scale == 1.0 && gp.signal_variance == 1.0);
    CHECK(saferl_gp_predict(&gp, q, 1, &mean, &var) == SAFERL_OK && isfinite(mean) && isfinite(var));
    saferl_gp_destroy(&gp);
}

/* A value of a random magnitude: ordinary, tiny, subnormal, huge, zero, negative, NaN, inf. */
static double random_magnitude(saferl_rng *rng) {
    static const double menu[] = {1.0, 1e-3, 1e3, 1e-150, 1e-300, 1e-310, 1e150, 1e300, 1.7e308, 0.0, -1.0};
    uint32_t pick = saferl_rng_bounded(rng, 13);
    double zero = 0.0;
    if (pick == 11) return zero / zero;
    if (pick == 12) return 1.0 / zero;
    return menu[pick] * (0.5 + saferl_rng_uniform(rng));
}

/* The contract under a seeded generator of bad and extreme inputs: each call returns an error
   (and the model keeps its count and factor) or a success whose every number is finite. */
TEST(random_extreme_inputs_never_give_a_nonfinite_success) {
    saferl_rng rng;
    int trial, created = 0, predicted = 0;
    saferl_rng_seed(&rng, 15);
    for (trial = 0; trial < 400; ++trial) {
        double ls[2], x[12], y[6], q[6], mean[3], var[3], lml, grad[5], extra[2], scale, offset;
        unsigned char memory[8192];
        saferl_gp_desc desc;
        saferl_gp_grid grid;
        saferl_gp gp;
        uint32_t i, count, epoch;
        memset(&desc, 0, sizeof desc);
        desc.dim = 2;
        desc.capacity = 8;
        desc.ard = 1;
        ls[0] = random_magnitude(&rng);
        ls[1] = saferl_rng_uniform(&rng) < 0.5 ? 1.0 : random_magnitude(&rng);
        desc.lengthscale = ls;
        desc.signal_variance = saferl_rng_uniform(&rng) < 0.5 ? 1.0 : random_magnitude(&rng);
        desc.noise_variance = saferl_rng_uniform(&rng) < 0.5 ? 1e-2 : random_magnitude(&rng);
        desc.y_scale = saferl_rng_uniform(&rng) < 0.3 ? 1.0 : random_magnitude(&rng);
        desc.y_offset = saferl_rng_uniform(&rng) < 0.5 ? 0.0 : random_magnitude(&rng);
        scale = random_magnitude(&rng);
        for (i = 0; i < 12; ++i) x[i] = 3.0 * saferl_rng_uniform(&rng);
        for (i = 0; i < 6; ++i) y[i] = scale * (saferl_rng_uniform(&rng) - 0.5);
        for (i = 0; i < 6; ++i) q[i] = 3.0 * saferl_rng_uniform(&rng);
        if (saferl_gp_create(&gp, &desc) != SAFERL_OK) continue;
        created += 1;
        if (saferl_gp_set_data(&gp, x, y, 5) < 0) CHECK(gp.count == 0);
        count = gp.count;
        epoch = gp.factor_epoch;
        extra[0] = 1.5;
        extra[1] = 1.5;
        if (saferl_gp_add(&gp, extra, random_magnitude(&rng)) < 0) CHECK(gp.count == count && gp.factor_epoch == epoch);
        if (saferl_gp_predict(&gp, q, 3, mean, var) == SAFERL_OK) {
            predicted += 1;
            for (i = 0; i < 3; ++i) CHECK(isfinite(mean[i]) && isfinite(var[i]) && var[i] >= 0.0);
        }
        if (saferl_gp_log_marginal_likelihood(&gp, &lml) == SAFERL_OK) CHECK(isfinite(lml));
        if (saferl_gp_log_marginal_likelihood_gradient(&gp, &lml, grad) == SAFERL_OK)
            for (i = 0; i < 4; ++i) CHECK(isfinite(grad[i]));
        offset = random_magnitude(&rng);
        count = gp.count;
        epoch = gp.factor_epoch;
        if (saferl_gp_set_normalization(&gp, offset, random_magnitude(&rng)) < 0)
            CHECK(gp.count == count && gp.factor_epoch == epoch);
        if (saferl_gp_grid_memory_size(3, 8) <= sizeof memory &&
            saferl_gp_grid_init(&grid, &gp, q, 3, memory, sizeof memory) == SAFERL_OK)
            for (i = 0; i < 3; ++i) CHECK(isfinite(grid.mean[i]) && isfinite(grid.var[i]));
        saferl_gp_destroy(&gp);
    }
    CHECK(created > 50 && predicted > 50); /* the generator reaches the calls it means to test */
}

TEST(empty_model_predicts_the_prior) {
    double ls = 1.0, q = 0.3, mean, var;
    saferl_gp_desc desc;
    saferl_gp gp;
    memset(&desc, 0, sizeof desc);
    desc.dim = 1;
    desc.capacity = 4;
    desc.lengthscale = &ls;
    desc.signal_variance = 2.0;
    desc.y_offset = 5.0;
    desc.y_scale = 3.0;
    CHECK(saferl_gp_create(&gp, &desc) == SAFERL_OK);
    CHECK(saferl_gp_predict(&gp, &q, 1, &mean, &var) == SAFERL_OK);
    CHECK(mean == 5.0 && var == 18.0);
    saferl_gp_destroy(&gp);
}

/* ---- safe optimisation -------------------------------------------------------------------- */

TEST(finite_set_beta_matches_the_table) {
    /* research notes, section 1.4: |Z| = 100, delta = 0.05: 4.02 at j = 1, 5.64 at j = 50 */
    double ls = 1.0, z[100];
    unsigned char seed[100] = {0};
    saferl_gp gp = make_gp(1, 4, SAFERL_GP_RBF, 0, &ls, 1.0, 0.01);
    saferl_gp_safeopt_desc d;
    saferl_gp_safeopt opt;
    int i;
    for (i = 0; i < 100; ++i) z[i] = i;
    seed[3] = 1;
    memset(&d, 0, sizeof d);
    d.candidates = z;
    d.candidate_count = 100;
    d.objective = &gp;
    d.seed_set = seed;
    d.beta_rule = SAFERL_GP_BETA_FINITE_SET;
    CHECK(saferl_gp_safeopt_create(&opt, &d) == SAFERL_OK);
    CHECK_NEAR(saferl_gp_safeopt_beta(&opt), sqrt(2 * log(100 * 3.14159265358979 * 3.14159265358979 / (6 * 0.05))), 1e-12);
    CHECK(fabs(saferl_gp_safeopt_beta(&opt) - 4.02) < 0.005);
    opt.evaluations = 49;
    CHECK(fabs(saferl_gp_safeopt_beta(&opt) - 5.64) < 0.005);
    saferl_gp_safeopt_destroy(&opt);
    /* an empty seed set is refused */
    seed[3] = 0;
    CHECK(saferl_gp_safeopt_create(&opt, &d) == SAFERL_ERR_INVALID_ARGUMENT);
    saferl_gp_destroy(&gp);
}

/* The default beta (zero desc): the one-sided Gaussian tail of the finite-set union bound,
   against Debian's scipy 1.10 norm.isf(6 delta / (pi^2 t^2 |Z| k)). A relative error e in
   libm's erfc moves the quantile c by e Q(c) / phi(c) < e / c: 1e-13 leaves room for libms
   a few hundred ulps off. */
TEST(default_beta_is_the_gaussian_tail_schedule) {
    static const struct { uint32_t z, k, t; double delta, scipy, finite_set; } cases[5] = {
        {100, 1, 1, 0.05, 3.4280528486526807, 4.0245751979588675},
        {100, 1, 50, 0.05, 5.162886311827531, 5.643163788668395},
        {2500, 1, 1, 0.05, 4.221046428406264, 4.757620957344338},
        {10000, 2, 20, 0.1, 5.659311163879495, 6.00034837564436},
        {961, 1, 60, 0.05, 5.634348076355367, 6.0909927121019},
    };
    static double z[10000];
    unsigned char *seed = (unsigned char *)calloc(10000, 1);
    double ls = 1.0;
    saferl_gp gp = make_gp(1, 4, SAFERL_GP_RBF, 0, &ls, 1.0, 0.01);
    saferl_gp_constraint c[2];
    int i;
    for (i = 0; i < 10000; ++i) z[i] = i;
    seed[0] = 1;
    c[0].gp = c[1].gp = &gp;
    c[0].threshold = c[1].threshold = 0.0;
    c[0].upper = c[1].upper = 0;
    for (i = 0; i < 5; ++i) {
        saferl_gp_safeopt_desc d;
        saferl_gp_safeopt opt;
        memset(&d, 0, sizeof d); /* beta_rule 0: the default */
        d.candidates = z;
        d.candidate_count = cases[i].z;
        d.objective = &gp;
        d.constraints = c;
        d.constraint_count = cases[i].k;
        d.seed_set = seed;
        d.delta = cases[i].delta == 0.05 ? 0.0 : cases[i].delta; /* 0 -> 0.05 */
        CHECK(saferl_gp_safeopt_create(&opt, &d) == SAFERL_OK);
        opt.evaluations = cases[i].t - 1;
        CHECK_NEAR(saferl_gp_safeopt_beta(&opt), cases[i].scipy, 1e-13);
        if (cases[i].k == 1) {
            opt.desc.beta_rule = SAFERL_GP_BETA_FINITE_SET;
            CHECK_NEAR(saferl_gp_safeopt_beta(&opt), cases[i].finite_set, 1e-13);
        }
        opt.desc.beta_rule = SAFERL_GP_BETA_CONSTANT; /* the heuristic, by name: 0 -> 2 */
        CHECK(saferl_gp_safeopt_beta(&opt) == 2.0);
        saferl_gp_safeopt_destroy(&opt);
    }
    {
        /* the per-step risk schedule (no |Z|), scipy's norm.isf(6 delta / (pi^2 t^2 k)); it
           needs fresh bounds and safe sets, and says so */
        static const struct { uint32_t t, k; double scipy; } risk[3] = {
            {1, 1, 1.8750000970042433}, {60, 1, 4.302517091988706}, {10, 2, 3.6118984938522245}};
        saferl_gp_safeopt_desc d;
        saferl_gp_safeopt opt;
        memset(&d, 0, sizeof d);
        d.candidates = z;
        d.candidate_count = 500;
        d.objective = &gp;
        d.constraints = c;
        d.seed_set = seed;
        d.beta_rule = SAFERL_GP_BETA_PER_STEP_RISK;
        for (i = 0; i < 3; ++i) {
            d.constraint_count = risk[i].k;
            d.no_intersection = 0;
            d.recompute_safe_set = 1;
            CHECK(saferl_gp_safeopt_create(&opt, &d) == SAFERL_ERR_INVALID_ARGUMENT);
            d.no_intersection = 1;
            d.recompute_safe_set = 0;
            CHECK(saferl_gp_safeopt_create(&opt, &d) == SAFERL_ERR_INVALID_ARGUMENT);
            d.recompute_safe_set = 1;
            CHECK(saferl_gp_safeopt_create(&opt, &d) == SAFERL_OK);
            opt.evaluations = risk[i].t - 1;
            CHECK_NEAR(saferl_gp_safeopt_beta(&opt), risk[i].scipy, 1e-13);
            saferl_gp_safeopt_destroy(&opt);
        }
    }
    saferl_gp_destroy(&gp);
    free(seed);
}

/* The constrained-BO closed forms against Debian's scipy 1.10 (norm.cdf differences and
   (mu - b) Phi(u) + sd phi(u)), with far tails where a careless difference cancels to 0, and
   EI against its integral E[max(f - b, 0)] = int_b^inf (f - b) N(f; mu, sd^2) df by Simpson's
   rule on [b, mu + 12 sd] (smooth there; 4000 panels: error below 1e-12 of sd). The forms go
   through erfc: a few ulps, 1e-13 relative after the differences. */
TEST(constrained_bo_closed_forms) {
    static const struct { double mean, var, lower, upper, scipy; } between[5] = {
        {0.3, 0.49, -0.2, 1.1, 0.6359257834994658},
        {2.0, 0.04, -1e300, 1.5, 0.006209665325776132},
        {-1.0, 4.0, 0.5, 1e300, 0.2266273523768682},
        {40.0, 1.0, 0.0, 30.0, 7.61985302416047e-24}, /* Phi(-10) - Phi(-40) */
        {-40.0, 1.0, -30.0, 0.0, 7.61985302416047e-24}, /* the mirror image: upper tails */
    };
    static const struct { double mean, var, best, scipy; } improvement[4] = {
        {0.3, 0.49, 0.5, 0.1905810357413501},
        {1.0, 0.01, 0.2, 0.8},
        {-3.0, 1.0, 2.0, 5.346165533833177e-08}, /* u = -5: u Phi(u) + phi(u) cancels 1.5 digits */
        {0.0, 4.0, 0.0, 0.7978845608028654},
    };
    int i, k;
    for (i = 0; i < 5; ++i) {
        double p = saferl_gp_probability_between(between[i].mean, between[i].var, between[i].lower, between[i].upper);
        CHECK(fabs(p - between[i].scipy) <= 1e-13 * between[i].scipy);
    }
    CHECK(saferl_gp_probability_between(1.0, 0.0, 0.0, 2.0) == 1.0 && saferl_gp_probability_between(3.0, 0.0, 0.0, 2.0) == 0.0);
    CHECK(saferl_gp_probability_between(1.0, 1.0, 2.0, 0.0) == 0.0); /* empty interval */
    for (i = 0; i < 4; ++i) {
        const double mu = improvement[i].mean, sd = sqrt(improvement[i].var), b = improvement[i].best;
        const double ei = saferl_gp_expected_improvement(mu, improvement[i].var, b);
        const double top = mu + 12.0 * sd > b ? mu + 12.0 * sd : b, h = (top - b) / 4000.0;
        double integral = 0.0;
        CHECK(fabs(ei - improvement[i].scipy) <= 1e-13 * improvement[i].scipy);
        for (k = 0; k <= 4000; ++k) {
            double f = b + k * h, w = (k == 0 || k == 4000) ? 1.0 : (k % 2 ? 4.0 : 2.0);
            integral += w * (f - b) * exp(-0.5 * (f - mu) * (f - mu) / (sd * sd)) / (sd * 2.5066282746310002);
        }
        integral *= h / 3.0;
        CHECK(fabs(ei - integral) <= 1e-12 * sd);
    }
    CHECK(saferl_gp_expected_improvement(1.5, 0.0, 1.0) == 0.5 && saferl_gp_expected_improvement(0.5, 0.0, 1.0) == 0.0);
}

/* The constrained-EI rules pick what their definitions say, recomputed here from the grids'
   posteriors and the closed forms: first (nothing known feasible) the most likely feasible
   candidate, then EI x P(feasible) or EI over the known-feasible candidates; no seed needed. */
TEST(constrained_ei_rules_choose_by_their_definitions) {
    enum { M = 61 };
    double ls = 0.15, z[M];
    int rule, t;
    for (t = 0; t < M; ++t) z[t] = t / 60.0;
    for (rule = SAFERL_GP_CONSTRAINED_EI; rule <= SAFERL_GP_CHANCE_CONSTRAINED_EI; ++rule) {
        saferl_gp f = make_gp(1, 32, SAFERL_GP_RBF, 0, &ls, 1.0, 1e-4), g = make_gp(1, 32, SAFERL_GP_RBF, 0, &ls, 1.0, 1e-4);
        saferl_gp_constraint c;
        saferl_gp_safeopt_desc d;
        saferl_gp_safeopt opt;
        int saw_feasibility = 0, saw_improvement = 0;
        c.gp = &g;
        c.threshold = 0.3; /* g >= 0.3: at the prior (mean 0, sd 1) nothing is known feasible */
        c.upper = 0;
        memset(&d, 0, sizeof d);
        d.candidates = z;
        d.candidate_count = M;
        d.objective = &f;
        d.constraints = &c;
        d.constraint_count = 1;
        d.rule = (saferl_gp_safe_rule)rule;
        CHECK(saferl_gp_safeopt_create(&opt, &d) == SAFERL_OK); /* seed_set NULL */
        for (t = 0; t < 12; ++t) {
            saferl_gp_safeopt_step st;
            const saferl_gp_grid *fg = &opt.grid[0], *gg = &opt.grid[1];
            double incumbent = -HUGE_VAL, best_value = -1.0, x, fv, gv;
            uint32_t k, expected = M;
            CHECK(saferl_gp_safeopt_next(&opt, &st) == SAFERL_OK);
            for (k = 0; k < M; ++k) {
                double p = saferl_gp_probability_between(gg->mean[k], gg->var[k], 0.3, HUGE_VAL);
                if (p >= 0.95 && fg->mean[k] > incumbent) incumbent = fg->mean[k];
            }
            for (k = 0; k < M; ++k) {
                double p = saferl_gp_probability_between(gg->mean[k], gg->var[k], 0.3, HUGE_VAL), a;
                if (incumbent == -HUGE_VAL) a = p;
                else if (rule == SAFERL_GP_CONSTRAINED_EI) a = p * saferl_gp_expected_improvement(fg->mean[k], fg->var[k], incumbent);
                else a = p >= 0.95 ? saferl_gp_expected_improvement(fg->mean[k], fg->var[k], incumbent) : -1.0;
                if (a > best_value) {
                    best_value = a;
                    expected = k;
                }
            }
            CHECK(st.index == expected);
            CHECK(st.choice == (incumbent == -HUGE_VAL ? SAFERL_GP_CHOSE_FEASIBILITY : SAFERL_GP_CHOSE_EXPECTED_IMPROVEMENT));
            saw_feasibility += st.choice == SAFERL_GP_CHOSE_FEASIBILITY;
            saw_improvement += st.choice == SAFERL_GP_CHOSE_EXPECTED_IMPROVEMENT;
            if (rule == SAFERL_GP_CHANCE_CONSTRAINED_EI && st.choice == SAFERL_GP_CHOSE_EXPECTED_IMPROVEMENT)
                CHECK(st.feasibility >= 0.95);
            x = z[st.index];
            fv = sin(6.0 * x);
            gv = 1.0 - 4.0 * (x - 0.5) * (x - 0.5);
            CHECK(saferl_gp_safeopt_observe(&opt, st.index, fv, &gv) == SAFERL_OK);
        }
        CHECK(saw_feasibility >= 1 && saw_improvement >= 5);
        saferl_gp_safeopt_destroy(&opt);
        saferl_gp_destroy(&g);
        saferl_gp_destroy(&f);
    }
}

/* A function drawn (approximately) from the RBF prior of lengthscale ls on R^dim: random
   Fourier features (Rahimi and Recht 2007), sqrt(2 / M) sum_j w_j cos(omega_j . x + b_j). */
typedef struct fourier_function {
    int dim, features;
    double omega[400 * 8], phase[400], weight[400];
} fourier_function;

static void fourier_draw(fourier_function *f, int dim, double ls, saferl_rng *rng) {
    int j, k;
    f->dim = dim;
    f->features = 400;
    for (j = 0; j < f->features; ++j) {
        for (k = 0; k < dim; ++k) f->omega[j * dim + k] = saferl_rng_normal(rng) / ls;
        f->phase[j] = 6.283185307179586 * saferl_rng_uniform(rng);
        f->weight[j] = saferl_rng_normal(rng);
    }
}

static double fourier_value(const fourier_function *f, const double *x) {
    double s = 0.0;
    int j, k;
    for (j = 0; j < f->features; ++j) {
        double a = f->phase[j];
        for (k = 0; k < f->dim; ++k) a += f->omega[j * f->dim + k] * x[k];
        s += f->weight[j] * cos(a);
    }
    return sqrt(2.0 / f->features) * s;
}

/* The continuous-domain optimiser on 2-D prior draws with the safe beta: no evaluation where
   the true g < 0, every proposal in the box and on the lattice (or a known-safe point), the
   safe set growing past the seed; bad descs refused. */
TEST(swarm_stays_safe_in_a_continuous_box) {
    static fourier_function f, g;
    const double lower[2] = {0.0, 0.0}, upper[2] = {1.0, 1.0};
    double ls = 0.2;
    int draw, violations = 0, moved = 0;
    for (draw = 0; draw < 3; ++draw) {
        saferl_gp fgp = make_gp(2, 24, SAFERL_GP_RBF, 0, &ls, 1.0, 0.0025), ggp = make_gp(2, 24, SAFERL_GP_RBF, 0, &ls, 1.0, 0.0025);
        saferl_gp_constraint c;
        saferl_gp_swarm_desc d;
        saferl_gp_swarm swarm;
        saferl_rng rng;
        double seed[2], x[2], best[2];
        int t, k;
        saferl_rng_seed(&rng, (uint32_t)(300 + draw));
        fourier_draw(&f, 2, ls, &rng);
        do {
            fourier_draw(&g, 2, ls, &rng);
            for (t = 0; t < 200; ++t) {
                seed[0] = saferl_rng_uniform(&rng);
                seed[1] = saferl_rng_uniform(&rng);
                if (fourier_value(&g, seed) >= 1.0) break;
            }
        } while (t == 200);
        c.gp = &ggp;
        c.threshold = 0.0;
        c.upper = 0;
        memset(&d, 0, sizeof d);
        d.objective = &fgp;
        d.constraints = &c;
        d.constraint_count = 1;
        d.lower = lower;
        d.upper = upper;
        d.seeds = seed;
        d.seed_count = 1;
        d.samples = 300;
        d.expander_test = SAFERL_GP_EXPAND_GP;
        d.seed = (uint32_t)draw;
        CHECK(saferl_gp_swarm_create(&swarm, &d) == SAFERL_OK);
        for (t = 0; t < 20; ++t) {
            double fv, gv;
            CHECK(saferl_gp_swarm_next(&swarm, x, NULL) == SAFERL_OK);
            {
                int on_lattice = 1;
                for (k = 0; k < 2; ++k) {
                    double cell = x[k] * 1023.0;
                    CHECK(x[k] >= 0.0 && x[k] <= 1.0);
                    on_lattice &= fabs(cell - floor(cell + 0.5)) < 1e-9;
                }
                CHECK(on_lattice || (x[0] == seed[0] && x[1] == seed[1]));
            }
            violations += fourier_value(&g, x) < 0.0;
            moved += x[0] != seed[0] || x[1] != seed[1];
            fv = fourier_value(&f, x) + 0.05 * saferl_rng_normal(&rng);
            gv = fourier_value(&g, x) + 0.05 * saferl_rng_normal(&rng);
            CHECK(saferl_gp_swarm_observe(&swarm, fv, &gv) == SAFERL_OK);
        }
        CHECK(saferl_gp_swarm_best(&swarm, best) == SAFERL_OK && fourier_value(&g, best) >= 0.0);
        CHECK(swarm.safe_count == 21);
        saferl_gp_swarm_destroy(&swarm);
        /* bad descs */
        {
            double outside[2] = {1.5, 0.5};
            d.seeds = outside;
            CHECK(saferl_gp_swarm_create(&swarm, &d) == SAFERL_ERR_INVALID_ARGUMENT);
            d.seeds = seed;
            d.lower = upper;
            CHECK(saferl_gp_swarm_create(&swarm, &d) == SAFERL_ERR_INVALID_ARGUMENT);
            d.lower = lower;
            d.lattice = 1;
            CHECK(saferl_gp_swarm_create(&swarm, &d) == SAFERL_ERR_INVALID_ARGUMENT);
        }
        saferl_gp_destroy(&ggp);
        saferl_gp_destroy(&fgp);
    }
    printf("        swarm, 2-D prior draws: 3 runs of 20 evaluations, %d violations, %d evaluations away from the seed\n",
           violations, moved);
    CHECK(violations == 0);
    CHECK(moved > 10);
}

/* Issue 24: with one GP as objective and constraint, observe kept the objective value and
   dropped the constraint value. One GP is one function: differing values are refused. */
TEST(one_gp_as_objective_and_constraint_takes_one_value) {
    double ls = 1.0, z[5] = {0.0, 1.0, 2.0, 3.0, 4.0}, same = 0.7, other = 0.2, pair[2];
    unsigned char seed[5] = {0, 0, 1, 0, 0};
    saferl_gp gp = make_gp(1, 8, SAFERL_GP_RBF, 0, &ls, 1.0, 0.01), cost = make_gp(1, 8, SAFERL_GP_RBF, 0, &ls, 1.0, 0.01);
    saferl_gp_constraint c[3];
    saferl_gp_safeopt_desc d;
    saferl_gp_safeopt opt;
    c[0].gp = &gp;
    c[0].threshold = 0.0;
    c[0].upper = 0;
    c[1].gp = &cost;
    c[1].threshold = 1.0;
    c[1].upper = 1;
    c[2] = c[1];
    c[2].threshold = 2.0;
    memset(&d, 0, sizeof d);
    d.candidates = z;
    d.candidate_count = 5;
    d.objective = &gp;
    d.constraints = c;
    d.constraint_count = 1;
    d.seed_set = seed;
    CHECK(saferl_gp_safeopt_create(&opt, &d) == SAFERL_OK);
    CHECK(saferl_gp_safeopt_observe(&opt, 2, same, &other) == SAFERL_ERR_INVALID_ARGUMENT);
    CHECK(gp.count == 0 && opt.evaluations == 0);
    CHECK(saferl_gp_safeopt_observe(&opt, 2, same, &same) == SAFERL_OK);
    CHECK(gp.count == 1 && gp.y[0] == same && opt.evaluations == 1);
    saferl_gp_safeopt_destroy(&opt);
    /* two constraints on one cost GP: one cost value */
    d.constraints = c + 1;
    d.constraint_count = 2;
    CHECK(saferl_gp_safeopt_create(&opt, &d) == SAFERL_OK);
    pair[0] = 0.5;
    pair[1] = 0.6;
    CHECK(saferl_gp_safeopt_observe(&opt, 2, same, pair) == SAFERL_ERR_INVALID_ARGUMENT);
    CHECK(cost.count == 0 && gp.count == 1);
    pair[1] = 0.5;
    CHECK(saferl_gp_safeopt_observe(&opt, 2, same, pair) == SAFERL_OK);
    CHECK(cost.count == 1 && cost.y[0] == 0.5 && gp.count == 2);
    saferl_gp_safeopt_destroy(&opt);
    saferl_gp_destroy(&cost);
    saferl_gp_destroy(&gp);
}

/* FNV-1a over bytes: the fingerprint of a sequence of choices and sets. */
static uint64_t fingerprint(uint64_t h, const void *data, size_t size) {
    const unsigned char *p = (const unsigned char *)data;
    size_t i;
    for (i = 0; i < size; ++i) h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

/* Every rule, expander test and option of the safe optimiser on 1-D and 2-D grids, with
   values computed from + and * only and uniform noise (bit-identical on every platform), and
   constant betas: the fingerprint of every step's choice, counts and set flags. First
   recorded from saferl_gp.h 0.3.0, before saferl_gp_safeopt_next was split into the paper's
   sets; the split kept every choice. Re-recorded for 0.4.2, whose exp (a degree-11 minimax
   polynomial in place of Taylor's degree 13) moves the kernel's last bits: 15 of the 144
   configurations then choose the other one of two mirror-image candidates (1-D: 0.6 and 1.8,
   0.5 and 1.9, 0.4 and 2.0 about the constraint's centre 1.2; two 2-D pairs) whose widths are
   equal in exact arithmetic and agree to 13-15 digits in floating point. The paper's argmax
   allows either; a per-step trace of the two versions agrees everywhere before those ties, and
   the other 129 configurations agree at every step. Re-recorded for 0.4.9, whose exp (Tang's
   table of 2^(i/16) and a degree-6 polynomial) moves the last bits again: 16 configurations
   meet such a tie (1-D: 1.1 and 1.3, 0.5 and 1.9; 2-D: two pairs whose widths agree to 14
   digits) and take the other candidate, or mark the other one of the pair as an expander or
   maximiser; a per-step trace (choices, counts, set flags) agrees before the tie, and the
   other 128 configurations agree at every step. Re-recorded for 0.4.16, whose kernel scales
   each coordinate before the difference (RBF by 1 / (l sqrt 2)) and so moves the distances'
   last bits: 19 configurations, all 1-D, meet such a tie (0.4 and 2.0, 0.5 and 1.9, 0.6 and
   1.8, 1.1 and 1.3, whose posterior standard deviations agree to 2e-13 relative in both
   versions) and take the other candidate, or test or mark the other one of the pair; a
   per-step trace agrees before the tie, and the other 125 configurations agree at every
   step. Any later change must keep this value. */
static uint64_t safeopt_choices_fingerprint(uint32_t *chosen) {
    enum { SIDE = 9, M2 = SIDE * SIDE, M1 = 41, STEPS = 14 };
    static double z1[M1], z2[2 * M2];
    uint64_t h = 14695981039346656037ull;
    int i, config;
    for (i = 0; i < M1; ++i) z1[i] = 0.1 * i;
    for (i = 0; i < M2; ++i) {
        z2[2 * i] = 0.25 * (i % SIDE);
        z2[2 * i + 1] = 0.25 * (i / SIDE);
    }
    for (config = 0; config < 2 * 3 * 3 * 8; ++config) {
        const int dim = 1 + config % 2, rule = (config / 2) % 3, test = (config / 6) % 3, options = config / 18;
        const uint32_t m = dim == 1 ? M1 : M2;
        const double *z = dim == 1 ? z1 : z2;
        double ls = dim == 1 ? 0.6 : 0.8;
        unsigned char seed[M2];
        saferl_gp f = make_gp((uint32_t)dim, STEPS + 1, SAFERL_GP_RBF, 0, &ls, 1.0, 1e-3);
        saferl_gp g = make_gp((uint32_t)dim, STEPS + 1, SAFERL_GP_MATERN52, 0, &ls, 1.0, 1e-3);
        saferl_gp_constraint c[2];
        saferl_gp_safeopt_desc d;
        saferl_gp_safeopt opt;
        saferl_rng rng;
        int t;
        saferl_rng_seed(&rng, (uint32_t)config);
        for (i = 0; i < (int)m; ++i) {
            const double *x = z + (size_t)i * dim;
            double r2 = (x[0] - 1.2) * (x[0] - 1.2) + (dim == 2 ? (x[1] - 1.0) * (x[1] - 1.0) : 0.0);
            seed[i] = r2 < 0.05;
        }
        c[0].gp = &g; /* g(x) = 1 - |x - (1.2, 1)|^2 >= 0.2 */
        c[0].threshold = 0.2;
        c[0].upper = 0;
        c[1].gp = (options & 4) ? &f : &g; /* a cost on the objective's GP, or a second bound on g */
        c[1].threshold = (options & 4) ? 1.5 : 0.9;
        c[1].upper = 1;
        memset(&d, 0, sizeof d);
        d.candidates = z;
        d.candidate_count = m;
        d.objective = &f;
        d.constraints = c;
        d.constraint_count = 1 + ((options & 4) != 0);
        d.seed_set = seed;
        d.rule = (saferl_gp_safe_rule)rule;
        d.expander_test = (saferl_gp_expander_test)test;
        d.lipschitz = 2.0;
        d.beta_rule = SAFERL_GP_BETA_CONSTANT;
        d.beta = (options & 1) ? 3.0 : 2.0;
        d.no_intersection = (options & 2) != 0;
        d.recompute_safe_set = (options & 2) != 0;
        d.full_sets = (config % 5) == 0;
        d.stage_tolerance = 0.2;
        d.stage1_steps = (options & 1) ? 6 : 0;
        CHECK(saferl_gp_safeopt_create(&opt, &d) == SAFERL_OK);
        for (t = 0; t < STEPS; ++t) {
            saferl_gp_safeopt_step st;
            const double *x;
            double r2, fv, gv[2];
            CHECK(saferl_gp_safeopt_next(&opt, &st) == SAFERL_OK);
            chosen[st.choice] += 1;
            h = fingerprint(h, &st.index, sizeof st.index);
            h = fingerprint(h, &st.choice, sizeof st.choice);
            h = fingerprint(h, &st.stage, sizeof st.stage);
            h = fingerprint(h, &st.safe_count, 4 * sizeof st.safe_count); /* safe, maximizer, expander counts, tests */
            h = fingerprint(h, opt.flags, m);
            x = z + (size_t)st.index * dim;
            r2 = (x[0] - 1.2) * (x[0] - 1.2) + (dim == 2 ? (x[1] - 1.0) * (x[1] - 1.0) : 0.0);
            fv = x[0] * (2.0 - x[0]) + 0.05 * (saferl_rng_uniform(&rng) - 0.5);
            gv[0] = 1.0 - r2 + 0.05 * (saferl_rng_uniform(&rng) - 0.5);
            gv[1] = (options & 4) ? fv : gv[0];
            CHECK(saferl_gp_safeopt_observe(&opt, st.index, fv, gv) == SAFERL_OK);
        }
        saferl_gp_safeopt_destroy(&opt);
        saferl_gp_destroy(&g);
        saferl_gp_destroy(&f);
    }
    return h;
}

TEST(safeopt_choices_are_the_recorded_ones) {
    uint32_t chosen[4] = {0, 0, 0, 0};
    uint64_t h = safeopt_choices_fingerprint(chosen);
    printf("        fingerprint of 144 configurations x 14 steps: %016llx (%u expanders, %u maximisers, %u UCB)\n",
           (unsigned long long)h, chosen[0], chosen[1], chosen[2]);
    CHECK(chosen[0] > 100 && chosen[1] > 100 && chosen[2] > 100); /* every kind of choice is covered */
    CHECK(h == SAFEOPT_FINGERPRINT_0_4_16);
}

/* A function drawn from the GP prior on the grid (the model is then well specified). */
static void draw_prior(const saferl_gp *gp, const double *z, int m, saferl_rng *rng, double *f, double *work) {
    int i, j;
    for (i = 0; i < m; ++i)
        for (j = 0; j <= i; ++j)
            work[i * m + j] = saferl_gp_kernel_value(gp, z + i * gp->dim, z + j * gp->dim) + (i == j ? 1e-9 : 0.0);
    CHECK(saferl_gp__cholesky_rows(work, (size_t)m, 0, (uint32_t)m) == 0);
    for (i = 0; i < m; ++i) f[m + i] = saferl_rng_normal(rng);
    for (i = 0; i < m; ++i) {
        double s = 0.0;
        for (j = 0; j <= i; ++j) s += work[i * m + j] * f[m + j];
        f[i] = s;
    }
}

typedef struct safe_run_stats {
    int runs, evaluations, violations, within_tolerance;
    double worst_regret;
} safe_run_stats;

/* SafeOpt's own setting: f is objective and constraint, f(x) >= h. Seeds: a point with
   f >= h + 1.2. Regret against the best point of the region connected to the seed where
   f >= h + 0.5. beta is a schedule with the theory's guarantee (delta = 0.05): the default
   (Gaussian tail, 3.37 to 5.19 here) or Srinivas' finite-set one (3.97 to 5.67): with a
   smaller seed margin the seed's neighbours can never be certified, and SafeOpt rightly
   stays put. */
static void run_safe_1d(saferl_gp_safe_rule rule, saferl_gp_expander_test test, saferl_gp_beta_rule beta_rule, int seeds,
                        int steps, safe_run_stats *stats) {
    enum { M = 81 };
    static double z[M], f[2 * M], work[M * M];
    double ls = 1.0, noise = 0.0025, h = -0.8;
    unsigned char seed[M];
    int s, i;
    memset(stats, 0, sizeof *stats);
    for (i = 0; i < M; ++i) z[i] = 0.125 * i;
    for (s = 0; s < seeds; ++s) {
        saferl_rng rng;
        saferl_gp gp = make_gp(1, (uint32_t)steps, SAFERL_GP_RBF, 0, &ls, 1.0, noise);
        saferl_gp_constraint c;
        saferl_gp_safeopt_desc d;
        saferl_gp_safeopt opt;
        int start = -1, lo, hi, t, best;
        double reachable = -1e300;
        saferl_rng_seed(&rng, (uint32_t)(1000 + s));
        draw_prior(&gp, z, M, &rng, f, work);
        for (i = M / 4; i < 3 * M / 4 && start < 0; ++i)
            if (f[i] >= h + 1.2) start = i;
        if (start < 0) {
            saferl_gp_destroy(&gp);
            continue;
        }
        /* reachable: the region around the seed where f clears h by a margin (a dip that
           touches h cannot be crossed in finite time: the theory's R_epsilon) */
        for (lo = start; lo > 0 && f[lo - 1] >= h + 0.5; --lo) {}
        for (hi = start; hi < M - 1 && f[hi + 1] >= h + 0.5; ++hi) {}
        for (i = lo; i <= hi; ++i)
            if (f[i] > reachable) reachable = f[i];
        memset(seed, 0, sizeof seed);
        seed[start] = 1;
        c.gp = &gp;
        c.threshold = h;
        c.upper = 0;
        memset(&d, 0, sizeof d);
        d.candidates = z;
        d.candidate_count = M;
        d.objective = &gp;
        d.constraints = &c;
        d.constraint_count = 1;
        d.seed_set = seed;
        d.rule = rule;
        d.expander_test = test;
        d.lipschitz = 3.0;
        d.beta_rule = beta_rule; /* a schedule with the theory's guarantee: a constant 3 did violate */
        d.delta = 0.05;
        d.stage_tolerance = 0.3;
        CHECK(saferl_gp_safeopt_create(&opt, &d) == SAFERL_OK);
        for (t = 0; t < steps; ++t) {
            saferl_gp_safeopt_step st;
            double value;
            CHECK(saferl_gp_safeopt_next(&opt, &st) == SAFERL_OK);
            CHECK(st.index < M && (opt.flags[st.index] & SAFERL_GP_SAFE));
            value = f[st.index] + sqrt(noise) * saferl_rng_normal(&rng);
            stats->evaluations += 1;
            if (f[st.index] < h) stats->violations += 1;
            CHECK(saferl_gp_safeopt_observe(&opt, st.index, value, &value) == SAFERL_OK);
        }
        {
            saferl_gp_safeopt_step st;
            saferl_gp_safeopt_next(&opt, &st);
        }
        best = (int)saferl_gp_safeopt_best(&opt);
        if (reachable - f[best] > stats->worst_regret) stats->worst_regret = reachable - f[best];
        if (reachable - f[best] <= 0.1) stats->within_tolerance += 1;
        stats->runs += 1;
        saferl_gp_safeopt_destroy(&opt);
        saferl_gp_destroy(&gp);
    }
}

TEST(safeopt_never_violates_and_finds_the_safe_optimum) {
    safe_run_stats st;
    run_safe_1d(SAFERL_GP_SAFEOPT, SAFERL_GP_EXPAND_GP, SAFERL_GP_BETA_GAUSSIAN_TAIL, 100, 60, &st); /* the default */
    printf("        SafeOpt (GP expanders, the default beta): %d runs, %d evaluations, %d violations, %d within 0.1 of the best "
           "reachable (worst regret %.3f)\n", st.runs, st.evaluations, st.violations, st.within_tolerance, st.worst_regret);
    CHECK(st.runs >= 60);
    CHECK(st.violations == 0);
    CHECK(st.within_tolerance * 10 >= st.runs * 9);
}

TEST(stageopt_safe_ucb_and_lipschitz_never_violate) {
    safe_run_stats st;
    run_safe_1d(SAFERL_GP_STAGEOPT, SAFERL_GP_EXPAND_GP, SAFERL_GP_BETA_FINITE_SET, 50, 40, &st);
    printf("        StageOpt (GP expanders): %d runs, %d violations, %d within 0.1\n", st.runs, st.violations,
           st.within_tolerance);
    CHECK(st.runs >= 30 && st.violations == 0);
    CHECK(st.within_tolerance * 10 >= st.runs * 8);
    run_safe_1d(SAFERL_GP_STAGEOPT, SAFERL_GP_EXPAND_ALL_SAFE, SAFERL_GP_BETA_FINITE_SET, 50, 40, &st);
    printf("        StageOpt (L = 0 reading): %d runs, %d violations, %d within 0.1\n", st.runs, st.violations,
           st.within_tolerance);
    CHECK(st.runs >= 30 && st.violations == 0);
    run_safe_1d(SAFERL_GP_SAFE_UCB, SAFERL_GP_EXPAND_GP, SAFERL_GP_BETA_FINITE_SET, 50, 40, &st);
    printf("        safe UCB: %d runs, %d violations, %d within 0.1\n", st.runs, st.violations, st.within_tolerance);
    CHECK(st.runs >= 30 && st.violations == 0);
    run_safe_1d(SAFERL_GP_SAFEOPT, SAFERL_GP_EXPAND_LIPSCHITZ, SAFERL_GP_BETA_FINITE_SET, 30, 30, &st);
    printf("        SafeOpt (Lipschitz 3): %d runs, %d violations, %d within 0.1\n", st.runs, st.violations,
           st.within_tolerance);
    CHECK(st.runs >= 18 && st.violations == 0);
}

/* ---- PLS ---------------------------------------------------------------------------------- */

typedef struct pls_world {
    saferl_rng rng;
    int calls;
} pls_world;

/* Synthetic returns of a return-conditioned policy: the reward return follows the reward
   target up to a saturation, the cost return overshoots the cost target a little. Averages
   of 20 episodes: noise sd 0.3 on the cost, 1 on the reward. */
static double true_reward(const double *z) { return 100.0 - 0.02 * (z[0] - 80.0) * (z[0] - 80.0) + 0.5 * z[1]; }
static double true_cost(const double *z) { return 1.25 * z[1] + 0.05 * (z[0] - 40.0) + 2.0; }

static int pls_evaluate(const double *z, double *reward, double *cost, void *user) {
    pls_world *w = (pls_world *)user;
    w->calls += 1;
    *reward = true_reward(z) + 1.0 * saferl_rng_normal(&w->rng);
    *cost = true_cost(z) + 0.3 * saferl_rng_normal(&w->rng);
    return 0;
}

static int constant_world(const double *target, double *reward_return, double *cost_return, void *user_data) {
    (void)user_data;
    *reward_return = target[0];
    *cost_return = 0.5 * target[0];
    return 0;
}

/* The PLS desc's zero GP parameters mean the defaults (signal variance 1): sizing once took the
   raw zero for a scale and refused the desc (make demo failed). */
TEST(pls_with_default_gp_parameters_runs) {
    double targets[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    unsigned char seed[10] = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    saferl_gp_pls_desc d;
    saferl_gp_pls pls;
    uint32_t count = 0;
    memset(&d, 0, sizeof d);
    d.targets = targets;
    d.target_count = 10;
    d.dim = 1;
    d.seed_set = seed;
    d.cost_limit = 2.0;
    d.iterations = 5;
    d.evaluate = constant_world;
    CHECK(saferl_gp_pls_memory_size(&d) > 0);
    CHECK(saferl_gp_pls_create(&pls, &d) == SAFERL_OK);
    CHECK(saferl_gp_pls_run(&pls, NULL, 0, &count) == SAFERL_OK && count == 5);
    saferl_gp_pls_destroy(&pls);
}

TEST(pls_online_stage_stays_within_the_budget) {
    enum { NR = 21, NG = 21, M = NR * NG };
    static double targets[M * 2];
    unsigned char seed[M];
    saferl_gp_pls_record log[30];
    double reward_ls[2] = {30.0, 30.0}, cost_ls[2] = {40.0, 8.0};
    int i, j, runs, violations = 0, evaluations = 0, near = 0;
    for (i = 0; i < NR; ++i)
        for (j = 0; j < NG; ++j) {
            targets[2 * (i * NG + j)] = 5.0 * i;   /* R in [0, 100] */
            targets[2 * (i * NG + j) + 1] = 1.0 * j; /* G in [0, 20] */
        }
    for (runs = 0; runs < 10; ++runs) {
        saferl_gp_pls_desc d;
        saferl_gp_pls pls;
        pls_world world;
        uint32_t count = 0, rec;
        double best_safe = -1e300, got;
        memset(&d, 0, sizeof d);
        memset(seed, 0, sizeof seed);
        for (i = 0; i < M; ++i) /* the known-safe box: R in [30, 50], G in [0, 3] */
            seed[i] = targets[2 * i] >= 30 && targets[2 * i] <= 50 && targets[2 * i + 1] <= 3;
        d.targets = targets;
        d.target_count = M;
        d.dim = 2;
        d.seed_set = seed;
        d.cost_limit = 20.0;
        d.reward.lengthscale = reward_ls;
        d.reward.signal_variance = 1.0;
        d.reward.noise_variance = 0.01;
        d.reward.y_offset = 80.0;
        d.reward.y_scale = 20.0;
        d.cost.lengthscale = cost_ls;
        d.cost.signal_variance = 1.0;
        d.cost.noise_variance = 0.01;
        d.cost.y_offset = 15.0;
        d.cost.y_scale = 10.0;
        d.iterations = 30;
        d.evaluate = pls_evaluate;
        d.user_data = &world;
        saferl_rng_seed(&world.rng, (uint32_t)(77 + runs));
        world.calls = 0;
        CHECK(saferl_gp_pls_create(&pls, &d) == SAFERL_OK);
        CHECK(saferl_gp_pls_run(&pls, log, 30, &count) == SAFERL_OK);
        CHECK(count == 30 && world.calls == 30);
        for (rec = 0; rec < count; ++rec) {
            CHECK(log[rec].cost_upper <= d.cost_limit);
            CHECK(log[rec].iteration == rec + 1);
            if (true_cost(targets + 2 * log[rec].index) > d.cost_limit) ++violations;
            ++evaluations;
        }
        for (i = 0; i < M; ++i)
            if (true_cost(targets + 2 * i) <= d.cost_limit && true_reward(targets + 2 * i) > best_safe)
                best_safe = true_reward(targets + 2 * i);
        got = true_reward(targets + 2 * saferl_gp_pls_recommendation(&pls));
        if (best_safe - got <= 5.0) ++near;
        saferl_gp_pls_destroy(&pls);
    }
    printf("        PLS: %d evaluations, %d with a true cost over the budget, %d of 10 runs within 5 of the best safe reward\n",
           evaluations, violations, near);
    CHECK(violations == 0);
    CHECK(near >= 8);
}

/* ---- runtime dispatch: the SSE and AVX2 instantiations give the same bits ------------------ */

/* Every hot loop has one body compiled twice (portable, AVX2) when SAFERL_GP__DISPATCH is on.
   Both instantiations are called directly on random data with many shapes (remainders of the
   four-row blocks, of the 4- and 8-column tiles and of the 64-column chunks) and must agree
   with each other and with a textbook reference bit for bit (memcmp). Without dispatch (wasm,
   -mavx2 builds, SAFERL_NO_DISPATCH) the one path is checked against the reference. The
   predictions' solve fuses its multiply-adds where the CPU has FMA: its copies are checked
   against the reference with fused rounding (C99's fma) there, and with the plain one
   elsewhere. */
static int dispatch_have_avx2(void) {
#if defined(SAFERL_GP__DISPATCH)
    return saferl_gp__have_avx2();
#else
    return 0;
#endif
}

/* c + a b, rounded once (C99's fma) when fused */
static double reference_multiply_add(double a, double b, double c, int fused) {
    volatile double product = a * b; /* volatile: the compiler may not contract c + a b */
    return fused ? fma(a, b, c) : c + product;
}

/* the textbook forward substitution, summed k = 0..i-1 and multiplied by 1 / l_ii, and the
   variance sums grouped as the solve adds them: the first n % 6 rows one by one, then
   ((((v0^2 + v1^2) + v2^2) + v3^2) + v4^2) + v5^2; fused: every multiply-add rounded once */
static void reference_solve(const double *l, size_t ld, uint32_t n, double *v, size_t ldv, uint32_t m, double *sumsq,
                            int fused) {
    uint32_t i, k, q, r, head = n % 6;
    for (q = 0; q < m; ++q) {
        for (i = 0; i < n; ++i) {
            double x = v[(size_t)i * ldv + q];
            for (k = 0; k < i; ++k) x = reference_multiply_add(-l[(size_t)i * ld + k], v[(size_t)k * ldv + q], x, fused);
            v[(size_t)i * ldv + q] = x * (1.0 / l[(size_t)i * ld + i]);
        }
        if (!sumsq) continue;
        sumsq[q] = 0.0;
        for (i = 0; i < head; ++i)
            sumsq[q] = reference_multiply_add(v[(size_t)i * ldv + q], v[(size_t)i * ldv + q], sumsq[q], fused);
        for (; i < n; i += 6) {
            double group = v[(size_t)i * ldv + q] * v[(size_t)i * ldv + q];
            for (r = 1; r < 6; ++r)
                group = reference_multiply_add(v[(size_t)(i + r) * ldv + q], v[(size_t)(i + r) * ldv + q], group, fused);
            sumsq[q] += group;
        }
    }
}

/* does the predictions' solve run its AVX-512 copy here? */
static int dispatch_have_wide_solve(void) {
#if defined(SAFERL_GP__DISPATCH)
    return saferl_gp__have_avx512() && saferl_gp__have_fma();
#else
    return 0;
#endif
}

/* does the predictions' solve fuse here? */
static int dispatch_have_fused_solve(void) {
#if defined(SAFERL_GP__DISPATCH)
    return saferl_gp__have_fma();
#else
    return SAFERL_GP__FUSED_BUILD;
#endif
}

/* The portable build's row-blocked Cholesky (the off-diagonal blocks by the tiled solve)
   against Higham's backward-error bound (Accuracy and Stability, Thm 10.3): the computed L
   satisfies |L L^T - A| <= gamma_(n+2) |L| |L|^T entrywise, one rounding more than the
   theorem's n + 1 for the reciprocal the solve multiplies by. Random SPD matrices B B^T + c I
   from well to badly conditioned (c = n down to 1e-8), and RBF kernel matrices of random points
   in 2-D plus 1e-6 I (such matrices: condition numbers about 1e6 at n = 37 to 6e7 at 200),
   sizes around multiples of the block of 16 rows up to 200; and the same failing row as the
   unblocked factor when one pivot is made negative. */
TEST(blocked_cholesky_meets_the_backward_error_bound) {
    static const uint32_t sizes[8] = {17, 31, 32, 65, 97, 100, 150, 200};
    static const double shifts[3] = {1.0, 1e-4, 1e-8};
    static double b[200 * 200], a[200 * 203], f[200 * 203], g[200 * 203], h[200 * 203], work[SAFERL_GP_BLOCK * 200];
    const double u = 1.1102230246251565e-16;
    saferl_rng rng;
    uint32_t t, c, i, j, k, bad = 0, unlike = 0;
    saferl_rng_seed(&rng, 2033);
    for (t = 0; t < 8; ++t)
        for (c = 0; c < 4; ++c) {
            const uint32_t n = sizes[t];
            const size_t ld = n + 3;
            const double gamma = (n + 2) * u / (1.0 - (n + 2) * u);
            for (i = 0; i < n; ++i)
                for (k = 0; k < n; ++k) b[i * n + k] = c < 3 ? saferl_rng_normal(&rng) / sqrt((double)n) : 4.0 * saferl_rng_uniform(&rng);
            for (i = 0; i < n; ++i)
                for (j = 0; j <= i; ++j) {
                    double s;
                    if (c == 3) { /* exp(-|x_i - x_j|^2 / 2), lengthscale 1, two coordinates a point */
                        const double d0 = b[i * n] - b[j * n], d1 = b[i * n + 1] - b[j * n + 1];
                        s = exp(-0.5 * (d0 * d0 + d1 * d1)) + (i == j ? 1e-6 : 0.0);
                    } else {
                        s = i == j ? shifts[c] * (c == 0 ? n : 1.0) : 0.0;
                        for (k = 0; k < n / 2; ++k) s += b[i * n + k] * b[j * n + k]; /* rank n/2 + shift */
                    }
                    a[i * ld + j] = f[i * ld + j] = g[i * ld + j] = h[i * ld + j] = h[j * ld + i] = s;
                }
            CHECK(saferl_gp__cholesky(f, n, ld, work, 0) == 0);
            /* the factor from both triangles (saferl_gp__factor's way) has the same bits */
            CHECK(saferl_gp__cholesky(h, n, ld, work, 1) == 0);
            for (i = 0; i < n; ++i) unlike += memcmp(h + i * ld, f + i * ld, sizeof(double) * (i + 1)) != 0;
            for (i = 0; i < n; ++i)
                for (j = 0; j <= i; ++j) {
                    double s = 0.0, bound = 0.0;
                    for (k = 0; k <= j; ++k) {
                        s += f[i * ld + k] * f[j * ld + k];
                        bound += fabs(f[i * ld + k] * f[j * ld + k]);
                    }
                    bad += !(fabs(s - a[i * ld + j]) <= gamma * bound);
                }
            /* a negative pivot at row p: both factors stop there */
            {
                const uint32_t p = (uint32_t)(saferl_rng_uniform(&rng) * n);
                memcpy(f, a, sizeof(double) * ld * n);
                f[p * ld + p] = g[p * ld + p] = -1.0;
                CHECK(saferl_gp__cholesky(f, n, ld, work, 0) == p + 1);
                CHECK(saferl_gp__cholesky_rows(g, ld, 0, n) == p + 1);
            }
        }
    CHECK(bad == 0);
    CHECK(unlike == 0);
}

/* The blocked factor's update of its diagonal block, C -= W^T W on the lower triangle, in every
   copy the dispatch has: each entry the sum over j = 0, 1, ..., k - 1 from 0, then subtracted,
   bit for bit; the entries above the diagonal untouched. */
TEST(cholesky_update_block_is_the_ordered_sum) {
    enum { B = SAFERL_GP__CHOLESKY_ROWS, LD = B + 3 };
    static double w[200 * B], c0[B * LD], c1[B * LD], expected[B * LD];
    static const uint32_t ks[6] = {0, 1, 5, 16, 83, 200};
    saferl_rng rng;
    uint32_t t, i, r, s, j, mismatches = 0, copies = 1;
    saferl_rng_seed(&rng, 2041);
    for (i = 0; i < 200 * B; ++i) w[i] = saferl_rng_normal(&rng);
    for (t = 0; t < 6; ++t) {
        const uint32_t k = ks[t];
        for (i = 0; i < B * LD; ++i) expected[i] = c0[i] = saferl_rng_normal(&rng);
        for (r = 0; r < B; ++r)
            for (s = 0; s <= r; ++s) {
                double sum = 0.0;
                for (j = 0; j < k; ++j) sum += w[j * B + r] * w[j * B + s];
                expected[r * LD + s] -= sum;
            }
        memcpy(c1, c0, sizeof c1);
        saferl_gp__cholesky_update_block(c1, LD, w, B, k);
        mismatches += memcmp(c1, expected, sizeof c1) != 0;
#if defined(SAFERL_GP__DISPATCH)
        memcpy(c1, c0, sizeof c1);
        saferl_gp__cholesky_update_block_portable(c1, LD, w, B, k);
        mismatches += memcmp(c1, expected, sizeof c1) != 0;
        if (dispatch_have_avx2()) {
            memcpy(c1, c0, sizeof c1);
            saferl_gp__cholesky_update_block_avx2(c1, LD, w, B, k);
            mismatches += memcmp(c1, expected, sizeof c1) != 0;
            copies += t == 0;
        }
        if (saferl_gp__have_avx512()) {
            memcpy(c1, c0, sizeof c1);
            saferl_gp__cholesky_update_block_avx512(c1, LD, w, B, k);
            mismatches += memcmp(c1, expected, sizeof c1) != 0;
            copies += t == 0;
        }
#endif
    }
    printf("        %u copies besides the dispatched one against the ordered sum\n", copies);
    CHECK(mismatches == 0);
}

TEST(dispatch_solve_is_bit_identical) {
    static const uint32_t ns[10] = {1, 3, 4, 5, 6, 7, 11, 12, 26, 41};
    static const uint32_t ms[12] = {1, 3, 4, 5, 7, 8, 9, 17, 63, 64, 71, 133};
    static double l[41 * 45], v0[41 * 140], v1[41 * 140], v2[41 * 140], v3[41 * 140], f0[41 * 140], f1[41 * 140];
    static double f2[41 * 140], s0[140], s1[140], s2[140], s3[140], t0[140], t1[140], t2[140];
#if defined(SAFERL_USE_BLIS)
    static double b1[41 * 140], u1[140];
    uint32_t blis_violations = 0;
#endif
    const int avx2 = dispatch_have_avx2(), fused = dispatch_have_fused_solve(), wide = dispatch_have_wide_solve();
    saferl_rng rng;
    uint32_t a, b, i, k, checked = 0, mismatches = 0, fused_mismatches = 0;
    int with_sums;
    saferl_rng_seed(&rng, 2027);
#if defined(SAFERL_USE_BLIS)
    printf("        SAFERL_USE_BLIS: BLIS's trsm too, checked against its backward-error bound\n");
#endif
#if defined(SAFERL_GP__DISPATCH)
    printf("        dispatch compiled in; this CPU %s AVX2%s\n", avx2 ? "has" : "lacks",
           avx2 ? "" : ": only the portable instantiation is checked");
#else
    printf("        dispatch not compiled in (wasm, -mavx2 or SAFERL_NO_DISPATCH): one path, checked against the reference\n");
#endif
    for (a = 0; a < 10; ++a)
        for (b = 0; b < 12; ++b)
            for (with_sums = 0; with_sums < 2; ++with_sums) {
                const uint32_t n = ns[a], m = ms[b];
                const size_t ld = n + 4, ldv = m + (b % 3); /* strides wider than the rows too */
                size_t bytes = ((size_t)(n - 1) * ldv + m) * sizeof(double);
                for (i = 0; i < n; ++i)
                    for (k = 0; k <= i; ++k)
                        l[(size_t)i * ld + k] = k == i ? 1.0 + saferl_rng_uniform(&rng) : saferl_rng_uniform(&rng) - 0.5;
                for (i = 0; i < n * ldv; ++i)
                    v0[i] = v1[i] = v2[i] = v3[i] = f0[i] = f1[i] = f2[i] = 2.0 * saferl_rng_uniform(&rng) - 1.0;
#if defined(SAFERL_USE_BLIS) /* BLIS's trsm against the bound, v0 still B */
                memcpy(b1, v0, n * ldv * sizeof(double));
                saferl_gp__blis_solve_columns(l, ld, n, b1, ldv, m, with_sums ? u1 : NULL);
                blis_violations += blis_solve_violations(l, ld, n, v0, b1, ldv, m, with_sums ? u1 : NULL);
#endif
                reference_solve(l, ld, n, v0, ldv, m, with_sums ? s0 : NULL, 0);
                saferl_gp__solve_columns(l, ld, n, v1, ldv, m, with_sums ? s1 : NULL);
                mismatches += memcmp(v0, v1, bytes) != 0 || (with_sums && memcmp(s0, s1, m * sizeof(double)) != 0);
                reference_solve(l, ld, n, f0, ldv, m, with_sums ? t0 : NULL, fused);
                saferl_gp__solve_columns_fused(l, ld, n, f1, ldv, m, with_sums ? t1 : NULL);
                fused_mismatches += memcmp(f0, f1, bytes) != 0 || (with_sums && memcmp(t0, t1, m * sizeof(double)) != 0);
#if defined(SAFERL_GP__DISPATCH)
                saferl_gp__solve_columns_portable(l, ld, n, v2, ldv, m, with_sums ? s2 : NULL);
                mismatches += memcmp(v0, v2, bytes) != 0 || (with_sums && memcmp(s0, s2, m * sizeof(double)) != 0);
                if (avx2) {
                    saferl_gp__solve_columns_avx2(l, ld, n, v3, ldv, m, with_sums ? s3 : NULL);
                    mismatches += memcmp(v0, v3, bytes) != 0 || (with_sums && memcmp(s0, s3, m * sizeof(double)) != 0);
                }
                if (wide) { /* the fused solve above ran the AVX-512 copy; the AVX2 one, called directly */
                    saferl_gp__solve_columns_fused_avx2(l, ld, n, f2, ldv, m, with_sums ? t2 : NULL);
                    fused_mismatches += memcmp(f0, f2, bytes) != 0 || (with_sums && memcmp(t0, t2, m * sizeof(double)) != 0);
                }
#else
                (void)v2;
                (void)v3;
                (void)f2;
                (void)t2;
                (void)wide;
                (void)s2;
                (void)s3;
                (void)avx2;
#endif
                checked += 1;
            }
    printf("        the predictions' solve: %s\n", wide ? "fused (FMA), AVX-512 and AVX2 copies" : fused ? "fused (FMA)" : "not fused");
    CHECK(checked == 240);
    CHECK(mismatches == 0);
    CHECK(fused_mismatches == 0);
#if defined(SAFERL_USE_BLIS)
    CHECK(blis_violations == 0);
#endif
}

/* the kernels' rows: s2 rho(r^2) for all three kernels over squared distances
   that cover 0, the polynomial's range and the clamp (r^2 beyond which exp underflows to 0:
   1416 for RBF, 708^2 / 3 for Matern 3/2, 708^2 / 5 for Matern 5/2), in rows of odd lengths;
   also values no sum of squares takes (infinity, NaN, -1: the AVX-512 exp computes garbage
   below the clamp and masks it off, 0.4.14), held to the same bits all the same */
TEST(dispatch_kernel_rows_are_bit_identical) {
    static const double special[15] = {0.0, 1e-300, 1e-17, 0.25, 1.0, 1415.9, 1416.0, 1416.1,
                                       167088.0, 100253.0, 1e6, 1e300, HUGE_VAL, NAN, -1.0};
    static const uint32_t dims[7] = {1, 2, 3, 4, 5, 9, 17};
    static double r2[203], out0[203], out1[203], out2[203], points[135 * 17], k0[3 * 131], k1[3 * 131], k2[3 * 131];
    double inverse_lengthscale[17];
    const int avx2 = dispatch_have_avx2();
    saferl_rng rng;
    uint32_t i, count, d, mismatches = 0;
    int kernel;
    saferl_rng_seed(&rng, 2028);
    for (i = 0; i < 203; ++i) {
        double u = saferl_rng_uniform(&rng);
        r2[i] = i < 15 ? special[i] : i % 3 == 0 ? 60.0 * u : i % 3 == 1 ? u * u : 2e5 * u;
    }
    for (i = 0; i < 135 * 17; ++i) points[i] = 8.0 * saferl_rng_uniform(&rng) - 4.0;
    for (i = 0; i < 17; ++i) inverse_lengthscale[i] = 0.3 + 2.0 * saferl_rng_uniform(&rng);
    for (kernel = 0; kernel < 3; ++kernel)
        for (count = 1; count <= 203; count += 101 - (count % 50)) {
            memcpy(out0, r2, sizeof r2);
            memcpy(out1, r2, sizeof r2);
            memcpy(out2, r2, sizeof r2);
            for (i = 0; i < count; ++i) out0[i] = 1.7 * saferl_gp__rho((saferl_gp_kernel)kernel, r2[i]); /* scalar */
            saferl_gp__rho_row((saferl_gp_kernel)kernel, 1.7, out1, count);
            mismatches += memcmp(out0, out1, sizeof out0) != 0;
#if defined(SAFERL_GP__DISPATCH)
            saferl_gp__rho_row_portable((saferl_gp_kernel)kernel, 1.7, out1, 0); /* count 0 writes nothing */
            memcpy(out1, r2, sizeof r2);
            saferl_gp__rho_row_portable((saferl_gp_kernel)kernel, 1.7, out1, count);
            mismatches += memcmp(out0, out1, sizeof out0) != 0;
            if (avx2) {
                saferl_gp__rho_row_avx2((saferl_gp_kernel)kernel, 1.7, out2, count);
                mismatches += memcmp(out0, out2, sizeof out0) != 0;
            }
#else
            (void)avx2;
            (void)out2;
            (void)k2;
#endif
        }
    CHECK(out0[0] == 1.7 && out0[10] == 0.0 && out0[11] == 0.0); /* Matern 5/2: s2 at r = 0, 0 beyond the clamp */
    for (kernel = 0; kernel < 3; ++kernel) /* whole kernel rows: d 1-4 unrolled, 5 and 9 by dimension, 17 strided */
        for (d = 0; d < 7; ++d)
            for (count = 1; count <= 130; count += 43) {
                const uint32_t dim = dims[d];
                const double s2 = 0.8, *queries = points + 131 * dim;
                uint32_t r;
                for (r = 0; r < 3; ++r)
                    for (i = 0; i < count; ++i)
                        k0[r * 131 + i] = s2 * saferl_gp__rho((saferl_gp_kernel)kernel,
                                                              saferl_gp__r2(queries + r * dim, points + (size_t)i * dim,
                                                                            inverse_lengthscale, dim));
                saferl_gp__kernel_rows((saferl_gp_kernel)kernel, s2, inverse_lengthscale, dim, queries, 3, points, count,
                                       k1, 131, NULL, NULL);
                for (r = 0; r < 3; ++r) mismatches += memcmp(k0 + r * 131, k1 + r * 131, count * sizeof(double)) != 0;
                { /* with the mean: the rows as before, the mean as add_rows makes it from them */
                    static const double alpha[3] = {0.3, -1.7, 0.9};
                    double mean0[131], mean1[131];
                    for (i = 0; i < count; ++i) mean0[i] = mean1[i] = 0.25;
                    saferl_gp__add_rows(mean0, k0, 131, alpha, 1, 1.0, 3, count);
                    saferl_gp__kernel_rows((saferl_gp_kernel)kernel, s2, inverse_lengthscale, dim, queries, 3, points,
                                           count, k1, 131, alpha, mean1);
                    for (r = 0; r < 3; ++r) mismatches += memcmp(k0 + r * 131, k1 + r * 131, count * sizeof(double)) != 0;
                    mismatches += memcmp(mean0, mean1, count * sizeof(double)) != 0;
                }
#if defined(SAFERL_GP__DISPATCH)
                saferl_gp__kernel_rows_portable((saferl_gp_kernel)kernel, s2, inverse_lengthscale, dim, queries, 3, points,
                                                count, k1, 131, NULL, NULL);
                for (r = 0; r < 3; ++r) mismatches += memcmp(k0 + r * 131, k1 + r * 131, count * sizeof(double)) != 0;
                if (avx2) {
                    saferl_gp__kernel_rows_avx2((saferl_gp_kernel)kernel, s2, inverse_lengthscale, dim, queries, 3, points,
                                                count, k2, 131, NULL, NULL);
                    for (r = 0; r < 3; ++r) mismatches += memcmp(k0 + r * 131, k2 + r * 131, count * sizeof(double)) != 0;
                }
#endif
            }
    CHECK(mismatches == 0);
}

/* the rest of the dispatched loops: rows added to a row (as sequential axpys), the Cholesky
   factor, and the two single-vector substitutions */
TEST(dispatch_dense_loops_are_bit_identical) {
    static double rows[9 * 75], y0[75], y1[75], y2[75], c[9 * 3], a[30 * 31], f0[30 * 31], f1[30 * 31], f2[30 * 31];
    static double b0[30], b1[30], b2[30];
    const int avx2 = dispatch_have_avx2();
    saferl_rng rng;
    uint32_t count, n, i, j, mismatches = 0, r0, r1, r2;
    size_t len;
    saferl_rng_seed(&rng, 2029);
    for (i = 0; i < 9 * 75; ++i) rows[i] = saferl_rng_uniform(&rng) - 0.5;
    for (i = 0; i < 9 * 3; ++i) c[i] = saferl_rng_uniform(&rng) - 0.5;
    for (count = 0; count <= 9; ++count)
        for (len = 1; len <= 75; len += 37) {
            for (i = 0; i < 75; ++i) y0[i] = y1[i] = y2[i] = (double)i;
            for (i = 0; i < count; ++i) saferl_gp__axpy(-c[3 * i], rows + (size_t)i * 75, y0, len);
            saferl_gp__add_rows(y1, rows, 75, c, 3, -1.0, count, len);
            mismatches += memcmp(y0, y1, sizeof y0) != 0;
#if defined(SAFERL_GP__DISPATCH)
            for (i = 0; i < 75; ++i) y1[i] = (double)i;
            saferl_gp__add_rows_portable(y1, rows, 75, c, 3, -1.0, count, len);
            mismatches += memcmp(y0, y1, sizeof y0) != 0;
            if (avx2) {
                saferl_gp__add_rows_avx2(y2, rows, 75, c, 3, -1.0, count, len);
                mismatches += memcmp(y0, y2, sizeof y0) != 0;
            }
#endif
        }
    for (n = 1; n <= 30; n += 7) { /* A = B B^T + n I, positive definite */
        const size_t ld = 31;
        for (i = 0; i < n; ++i)
            for (j = 0; j <= i; ++j) a[i * ld + j] = saferl_rng_uniform(&rng);
        for (i = 0; i < n; ++i)
            for (j = 0; j <= i; ++j) {
                double s = i == j ? (double)n : 0.0;
                uint32_t k;
                for (k = 0; k <= j; ++k) s += a[i * ld + k] * a[j * ld + k];
                f0[i * ld + j] = f1[i * ld + j] = f2[i * ld + j] = s;
            }
        r0 = saferl_gp__cholesky_rows(f0, ld, 0, n);
        for (i = 0; i < n; ++i) b0[i] = b1[i] = b2[i] = saferl_rng_uniform(&rng) - 0.5;
        saferl_gp__solve_lower(f0, ld, n, b0);
        saferl_gp__solve_upper(f0, ld, n, b0);
        CHECK(r0 == 0);
#if defined(SAFERL_GP__DISPATCH)
        r1 = saferl_gp__cholesky_rows_portable(f1, ld, 0, n);
        saferl_gp__solve_lower_portable(f1, ld, n, b1);
        saferl_gp__solve_upper_portable(f1, ld, n, b1);
        mismatches += r1 != r0 || memcmp(f0, f1, sizeof f0) != 0 || memcmp(b0, b1, sizeof b0) != 0;
        if (avx2) {
            r2 = saferl_gp__cholesky_rows_avx2(f2, ld, 0, n);
            saferl_gp__solve_lower_avx2(f2, ld, n, b2);
            saferl_gp__solve_upper_avx2(f2, ld, n, b2);
            mismatches += r2 != r0 || memcmp(f0, f2, sizeof f0) != 0 || memcmp(b0, b2, sizeof b0) != 0;
        }
#else
        (void)r1;
        (void)r2;
        (void)avx2;
#endif
    }
    CHECK(mismatches == 0);
}

/* ---- the hot loops do not allocate --------------------------------------------------------- */

TEST(hot_loops_do_not_allocate) {
    enum { M = 50 };
    double z[M], ls = 1.0, mean[M], var[M];
    unsigned char seed[M] = {0};
    saferl_gp gp = make_gp(1, 20, SAFERL_GP_MATERN52, 0, &ls, 1.0, 0.01);
    saferl_gp_constraint c;
    saferl_gp_safeopt_desc d;
    saferl_gp_safeopt opt;
    int i;
#ifdef SAFERL_TEST_COUNTING_ALLOCATOR
    long before;
#endif
    for (i = 0; i < M; ++i) z[i] = 0.2 * i;
    seed[20] = 1;
    c.gp = &gp;
    c.threshold = -0.5;
    c.upper = 0;
    memset(&d, 0, sizeof d);
    d.candidates = z;
    d.candidate_count = M;
    d.objective = &gp;
    d.constraints = &c;
    d.constraint_count = 1;
    d.seed_set = seed;
    d.expander_test = SAFERL_GP_EXPAND_GP;
    CHECK(saferl_gp_safeopt_create(&opt, &d) == SAFERL_OK);
#ifdef SAFERL_TEST_COUNTING_ALLOCATOR
    before = saferl_test_allocations;
#endif
    for (i = 0; i < 15; ++i) {
        saferl_gp_safeopt_step st;
        double v;
        CHECK(saferl_gp_safeopt_next(&opt, &st) == SAFERL_OK);
        v = sin(z[st.index]);
        CHECK(saferl_gp_safeopt_observe(&opt, st.index, v, &v) == SAFERL_OK);
        CHECK(saferl_gp_predict(&gp, z, M, mean, var) == SAFERL_OK);
    }
#ifdef SAFERL_TEST_COUNTING_ALLOCATOR
    CHECK(saferl_test_allocations == before);
#endif
    saferl_gp_safeopt_destroy(&opt);
    {
        /* the continuous-domain step: memory from create, none per step */
        saferl_gp cont = make_gp(1, 20, SAFERL_GP_RBF, 0, &ls, 1.0, 0.01);
        const double lower = 0.0, upper = 10.0, start = 1.0; /* sin(1) >= -0.5: safe */
        saferl_gp_swarm_desc sd;
        saferl_gp_swarm swarm;
        memset(&sd, 0, sizeof sd);
        sd.objective = &cont;
        sd.constraints = &c;
        sd.constraint_count = 1;
        c.gp = &cont;
        sd.lower = &lower;
        sd.upper = &upper;
        sd.seeds = &start;
        sd.seed_count = 1;
        sd.samples = 64;
        CHECK(saferl_gp_swarm_create(&swarm, &sd) == SAFERL_OK);
#ifdef SAFERL_TEST_COUNTING_ALLOCATOR
        before = saferl_test_allocations;
#endif
        for (i = 0; i < 10; ++i) {
            double x, v;
            CHECK(saferl_gp_swarm_next(&swarm, &x, NULL) == SAFERL_OK);
            v = sin(x);
            CHECK(saferl_gp_swarm_observe(&swarm, v, &v) == SAFERL_OK);
        }
#ifdef SAFERL_TEST_COUNTING_ALLOCATOR
        CHECK(saferl_test_allocations == before);
#endif
        saferl_gp_swarm_destroy(&swarm);
        saferl_gp_destroy(&cont);
    }
    saferl_gp_destroy(&gp);
#ifdef SAFERL_TEST_COUNTING_ALLOCATOR
    CHECK(saferl_test_releases == saferl_test_allocations);
#endif
}

/* ---- numeric CSV ----------------------------------------------------------------------------- */

TEST(csv_reads_numbers_and_reports_line_and_column) {
    const char *good = "x1,x2,y\r\n# comment\n1.5, 2,3e-1\n\n-4,5.25,6\n";
    const char *ragged = "1,2\n3\n";
    const char *word = "1,2\n3,abc\n";
    const char *nan_text = "1,nan\n";
    const char *big = "1,1e400\n";
    double v[6];
    uint32_t rows = 0, cols = 0;
    saferl_gp_csv_error e;
    CHECK(saferl_gp_csv_parse(good, strlen(good), NULL, 0, &rows, &cols, &e) == SAFERL_ERR_BUFFER_TOO_SMALL);
    CHECK(rows == 2 && cols == 3);
    CHECK(saferl_gp_csv_parse(good, strlen(good), v, 6, &rows, &cols, &e) == SAFERL_OK);
    CHECK(v[0] == 1.5 && v[1] == 2.0 && v[2] == 0.3 && v[3] == -4.0 && v[5] == 6.0);
    CHECK(saferl_gp_csv_parse(ragged, strlen(ragged), v, 6, &rows, &cols, &e) == SAFERL_ERR_PARSE);
    CHECK(e.line == 2);
    CHECK(saferl_gp_csv_parse(word, strlen(word), v, 6, &rows, &cols, &e) == SAFERL_ERR_PARSE);
    CHECK(e.line == 2 && e.column == 3);
    CHECK(saferl_gp_csv_parse(nan_text, strlen(nan_text), v, 6, &rows, &cols, &e) == SAFERL_ERR_PARSE);
    CHECK(e.line == 1 && e.column == 3);
    CHECK(saferl_gp_csv_parse(big, strlen(big), v, 6, &rows, &cols, &e) == SAFERL_ERR_NOT_FINITE);
    CHECK(saferl_gp_csv_parse("", 0, v, 6, &rows, &cols, &e) == SAFERL_ERR_NO_DATA);
}

int main(void) {
    RUN_CONTRACTION_AFTER_THE_HEADER();
    RUN(kernel_exp_matches_libm);
    RUN(kernels_match_closed_forms);
    RUN(posterior_lml_and_gradient_match_sklearn);
    RUN(gradient_matches_finite_differences);
    RUN(append_equals_batch_factor);
    RUN(scaled_points_follow_every_change);
    RUN(append_is_the_refit_on_seeded_problems);
    RUN(duplicate_points_stay_finite);
    RUN(covariance_agrees_with_variance_and_grid);
    RUN(batched_solve_matches_textbook_per_query);
    RUN(padded_blocks_predict_the_bits_of_single_queries);
    RUN(grid_rank1_update_equals_recompute);
    RUN(fantasy_update_equals_adding_the_point);
    RUN(fit_raises_the_likelihood_to_a_stationary_point);
    RUN(bad_input_is_rejected_and_changes_nothing);
    RUN(subnormal_scales_are_refused);
    RUN(random_extreme_inputs_never_give_a_nonfinite_success);
    RUN(empty_model_predicts_the_prior);
    RUN(finite_set_beta_matches_the_table);
    RUN(default_beta_is_the_gaussian_tail_schedule);
    RUN(constrained_bo_closed_forms);
    RUN(constrained_ei_rules_choose_by_their_definitions);
    RUN(one_gp_as_objective_and_constraint_takes_one_value);
    RUN(swarm_stays_safe_in_a_continuous_box);
    RUN(safeopt_choices_are_the_recorded_ones);
    RUN(safeopt_never_violates_and_finds_the_safe_optimum);
    RUN(stageopt_safe_ucb_and_lipschitz_never_violate);
    RUN(pls_online_stage_stays_within_the_budget);
    RUN(pls_with_default_gp_parameters_runs);
    RUN(blocked_cholesky_meets_the_backward_error_bound);
    RUN(cholesky_update_block_is_the_ordered_sum);
    RUN(dispatch_solve_is_bit_identical);
    RUN(dispatch_kernel_rows_are_bit_identical);
    RUN(dispatch_dense_loops_are_bit_identical);
    RUN(hot_loops_do_not_allocate);
    RUN(csv_reads_numbers_and_reports_line_and_column);
    return saferl_test_finish();
}
