// SPDX-License-Identifier: MIT OR Unlicense
/* One build of saferl_gp.h for bench/gp_ab.c: compiled twice, once per header version, as
   VARIANT = A and B (saferl_gp.h is included with SAFERL_GP_STATIC, so the two builds do not
   clash in one program). Each exposes its setup and one timed call. */
#define _POSIX_C_SOURCE 200809L
#define SAFERL_GP_IMPLEMENTATION
#define SAFERL_GP_STATIC
#include "saferl_gp.h"

#include "bench_timing.h"

#define NAME2(a, b) a##b
#define NAME(a, b) NAME2(a, b)

void NAME(VARIANT, _setup)(const double *x, const double *y, const double *z);
double NAME(VARIANT, _call)(int fit, uint32_t n, uint32_t m);

static const double *X, *Y, *Z;
static double means[10000], variances[10000];
static saferl_gp gp;
static uint32_t fitted_n;

/* bench/gp.c's settings: RBF, d = 2, lengthscale 0.8, noise 1e-4; capacity 200 */
void NAME(VARIANT, _setup)(const double *x, const double *y, const double *z) {
    double lengthscale = 0.8;
    saferl_gp_desc d;
    X = x;
    Y = y;
    Z = z;
    memset(&d, 0, sizeof d);
    d.dim = 2;
    d.capacity = 200;
    d.lengthscale = &lengthscale;
    d.noise_variance = 1e-4;
    if (saferl_gp_create(&gp, &d) < 0) abort();
}

/* seconds of one predict of m queries with n training points (mode 0), fit + predict (1) or
   the fit alone (2) */
double NAME(VARIANT, _call)(int mode, uint32_t n, uint32_t m) {
    double start;
    if (fitted_n != n) {
        saferl_gp_set_data(&gp, X, Y, n);
        fitted_n = n;
    }
    start = now_seconds();
    if (mode) saferl_gp_set_data(&gp, X, Y, n);
    if (mode < 2) saferl_gp_predict(&gp, Z, m, means, variances);
    return now_seconds() - start;
}
