// SPDX-License-Identifier: MIT OR Unlicense
/* Safety and regret of saferl_gp.h's safe optimiser under each beta rule, on functions drawn
   from the GP prior (the model is then right, so the theory's schedules must hold).
   bench/run_gp.sh runs it; alone: gp_safety [--draws N].

   Settings (fixed before any run; the same draws for every rule):
     domain [0, 1]^d on a grid: d = 1: 101 points, d = 2: 31^2, d = 4: 7^4
     kernel RBF, signal variance 1, lengthscale 0.1 (1-D), 0.15 (2-D), 0.3 (4-D)
     objective f and constraint g independent draws from that prior; noise sd 0.05 on both,
     the model's noise variance 0.0025; the constraint g(x) >= 0
     seed: one grid point with g >= 0.5 drawn uniformly (a draw without one is redrawn)
     SafeOpt, GP-only (fantasy) expanders, bounds intersected; 30 / 60 / 100 evaluations
     beta rules: constant 1 and 2, the finite-set and Gaussian-tail schedules (bounds
     intersected, safe set growing), the per-step risk schedule (fresh bounds and safe set)
     regret: max of f over the grid-connected region of g >= 0 around the seed, minus f at
     saferl_gp_safeopt_best after the last evaluation; a violation: an evaluation with g < 0
   The draws: L z with L the Cholesky factor of the grid's kernel matrix plus the least jitter
   (1e-10 x 10^k) that factors, z standard normal (saferl_rng, seed = draw number).

   Then the continuous-domain optimiser (saferl_gp_swarm_*) in 4-D and 8-D, also fixed before
   any run: f and g drawn by 1000 random Fourier features (Rahimi and Recht 2007: the RBF
   prior to within about 1/sqrt(1000) in covariance), lengthscale 0.3 (4-D) and 0.5 (8-D),
   the same noise and constraint; 100 evaluations; 1000 samples a step, lattice 1024; SafeOpt
   with GP expanders; the safe default beta (Gaussian tail over the lattice), the per-step
   risk schedule and the constant 2 for contrast. In 4-D the seed is a point of the 7^4 grid with g >= 0.5 and the grid
   version runs on the same function from the same seed (its beta over 2401 points); the
   "gap to the grid" is f at the grid version's recommendation minus f at the swarm's. In
   8-D the seed is a uniform point with g >= 0.5, no grid. */
#define _POSIX_C_SOURCE 200809L
#define SAFERL_GP_IMPLEMENTATION
#include "saferl_gp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_timing.h"

#define NOISE_SD 0.05
#define RULES 5

typedef struct problem {
    int dim, side, steps;
    uint32_t m;
    double lengthscale;
    double *z, *factor; /* m x dim candidates; the prior's Cholesky factor (m x m) */
    double jitter;
} problem;

typedef struct rule {
    const char *name;
    saferl_gp_beta_rule beta_rule;
    double beta;
    int fresh; /* bounds and safe set recomputed each step (the per-step risk rule needs it) */
} rule;

static saferl_gp make_gp(const problem *p) {
    saferl_gp gp;
    saferl_gp_desc d;
    memset(&d, 0, sizeof d);
    d.dim = (uint32_t)p->dim;
    d.capacity = (uint32_t)p->steps + 1;
    d.lengthscale = &p->lengthscale;
    d.noise_variance = NOISE_SD * NOISE_SD;
    if (saferl_gp_create(&gp, &d) < 0) {
        fprintf(stderr, "gp_safety: out of memory\n");
        exit(1);
    }
    return gp;
}

static void setup(problem *p, int dim, int side, int steps, double lengthscale) {
    saferl_gp gp;
    uint32_t i, j, k;
    p->dim = dim;
    p->side = side;
    p->steps = steps;
    p->lengthscale = lengthscale;
    p->m = 1;
    for (k = 0; k < (uint32_t)dim; ++k) p->m *= (uint32_t)side;
    p->z = (double *)malloc((size_t)p->m * dim * sizeof(double));
    p->factor = (double *)malloc((size_t)p->m * p->m * sizeof(double));
    for (i = 0; i < p->m; ++i) {
        uint32_t rest = i;
        for (k = 0; k < (uint32_t)dim; ++k) {
            p->z[(size_t)i * dim + k] = (double)(rest % (uint32_t)side) / (side - 1);
            rest /= (uint32_t)side;
        }
    }
    gp = make_gp(p);
    for (p->jitter = 1e-10;; p->jitter *= 10.0) {
        for (i = 0; i < p->m; ++i)
            for (j = 0; j <= i; ++j)
                p->factor[(size_t)i * p->m + j] = saferl_gp_kernel_value(&gp, p->z + (size_t)i * dim, p->z + (size_t)j * dim) +
                                                  (i == j ? p->jitter : 0.0);
        if (saferl_gp__cholesky_rows(p->factor, p->m, 0, p->m) == 0) break; /* the unblocked factor: the draws of 0.4.0 */
    }
    saferl_gp_destroy(&gp);
}

static void draw(const problem *p, saferl_rng *rng, double *f, double *normal) {
    uint32_t i, j;
    for (i = 0; i < p->m; ++i) normal[i] = saferl_rng_normal(rng);
    for (i = 0; i < p->m; ++i) {
        double s = 0.0;
        for (j = 0; j <= i; ++j) s += p->factor[(size_t)i * p->m + j] * normal[j];
        f[i] = s;
    }
}

/* The largest f over the grid-connected region where g >= 0 that holds the seed. */
static double reachable_best(const problem *p, const double *f, const double *g, uint32_t seed, uint32_t *queue,
                             unsigned char *seen) {
    uint32_t head = 0, tail = 0, k;
    double best = f[seed];
    memset(seen, 0, p->m);
    queue[tail++] = seed;
    seen[seed] = 1;
    while (head < tail) {
        uint32_t at = queue[head++], stride = 1;
        if (f[at] > best) best = f[at];
        for (k = 0; k < (uint32_t)p->dim; ++k, stride *= (uint32_t)p->side) {
            uint32_t coordinate = (at / stride) % (uint32_t)p->side, next;
            if (coordinate > 0 && !seen[next = at - stride] && g[next] >= 0.0) {
                seen[next] = 1;
                queue[tail++] = next;
            }
            if (coordinate + 1 < (uint32_t)p->side && !seen[next = at + stride] && g[next] >= 0.0) {
                seen[next] = 1;
                queue[tail++] = next;
            }
        }
    }
    return best;
}

typedef struct outcome {
    int violations;
    double regret, seconds;
} outcome;

static outcome run(const problem *p, const rule *r, const double *f, const double *g, uint32_t seed, saferl_rng *noise) {
    saferl_gp objective = make_gp(p), constraint_gp = make_gp(p);
    saferl_gp_constraint c;
    saferl_gp_safeopt_desc d;
    saferl_gp_safeopt opt;
    unsigned char *seed_set = (unsigned char *)calloc(p->m, 1);
    outcome out = {0, 0.0, 0.0};
    double start = now_seconds();
    int t;
    seed_set[seed] = 1;
    c.gp = &constraint_gp;
    c.threshold = 0.0;
    c.upper = 0;
    memset(&d, 0, sizeof d);
    d.candidates = p->z;
    d.candidate_count = p->m;
    d.objective = &objective;
    d.constraints = &c;
    d.constraint_count = 1;
    d.seed_set = seed_set;
    d.rule = SAFERL_GP_SAFEOPT;
    d.expander_test = SAFERL_GP_EXPAND_GP;
    d.beta_rule = r->beta_rule;
    d.beta = r->beta;
    d.no_intersection = d.recompute_safe_set = r->fresh;
    if (saferl_gp_safeopt_create(&opt, &d) < 0) {
        fprintf(stderr, "gp_safety: safeopt setup failed\n");
        exit(1);
    }
    for (t = 0; t < p->steps; ++t) {
        saferl_gp_safeopt_step st;
        double fv, gv;
        if (saferl_gp_safeopt_next(&opt, &st) < 0) break;
        if (g[st.index] < 0.0) out.violations += 1;
        fv = f[st.index] + NOISE_SD * saferl_rng_normal(noise);
        gv = g[st.index] + NOISE_SD * saferl_rng_normal(noise);
        if (saferl_gp_safeopt_observe(&opt, st.index, fv, &gv) < 0) break;
    }
    {
        saferl_gp_safeopt_step st;
        saferl_gp_safeopt_next(&opt, &st); /* the sets after the last evaluation */
    }
    out.regret = -f[saferl_gp_safeopt_best(&opt)];
    out.seconds = now_seconds() - start;
    saferl_gp_safeopt_destroy(&opt);
    saferl_gp_destroy(&objective);
    saferl_gp_destroy(&constraint_gp);
    free(seed_set);
    return out;
}

/* ---- continuous domains ---------------------------------------------------------------- */

typedef struct fourier_function {
    int dim;
    double omega[1000 * 8], phase[1000], weight[1000];
} fourier_function;

static void fourier_draw(fourier_function *f, int dim, double lengthscale, saferl_rng *rng) {
    int j, k;
    f->dim = dim;
    for (j = 0; j < 1000; ++j) {
        for (k = 0; k < dim; ++k) f->omega[j * dim + k] = saferl_rng_normal(rng) / lengthscale;
        f->phase[j] = 6.283185307179586 * saferl_rng_uniform(rng);
        f->weight[j] = saferl_rng_normal(rng);
    }
}

static double fourier_value(const fourier_function *f, const double *x) {
    double s = 0.0;
    int j, k;
    for (j = 0; j < 1000; ++j) {
        double a = f->phase[j];
        for (k = 0; k < f->dim; ++k) a += f->omega[j * f->dim + k] * x[k];
        s += f->weight[j] * cos(a);
    }
    return 0.044721359549995794 * s; /* sqrt(2 / 1000) */
}

/* One swarm run: violations, and f at its recommendation. */
static outcome run_swarm(int dim, double lengthscale, const rule *r, const fourier_function *f, const fourier_function *g,
                         const double *seed, saferl_rng *noise, double *recommended) {
    problem shape;
    saferl_gp objective, constraint_gp;
    saferl_gp_constraint c;
    saferl_gp_swarm_desc d;
    saferl_gp_swarm swarm;
    double lower[8], upper[8], x[8];
    outcome out = {0, 0.0, 0.0};
    double start = now_seconds();
    int t, k;
    shape.dim = dim;
    shape.steps = 100;
    shape.lengthscale = lengthscale;
    objective = make_gp(&shape);
    constraint_gp = make_gp(&shape);
    for (k = 0; k < dim; ++k) {
        lower[k] = 0.0;
        upper[k] = 1.0;
    }
    c.gp = &constraint_gp;
    c.threshold = 0.0;
    c.upper = 0;
    memset(&d, 0, sizeof d);
    d.objective = &objective;
    d.constraints = &c;
    d.constraint_count = 1;
    d.lower = lower;
    d.upper = upper;
    d.seeds = seed;
    d.seed_count = 1;
    d.expander_test = SAFERL_GP_EXPAND_GP;
    d.beta_rule = r->beta_rule;
    d.beta = r->beta;
    d.seed = 1;
    if (saferl_gp_swarm_create(&swarm, &d) < 0) {
        fprintf(stderr, "gp_safety: swarm setup failed\n");
        exit(1);
    }
    for (t = 0; t < shape.steps; ++t) {
        double fv, gv;
        if (saferl_gp_swarm_next(&swarm, x, NULL) < 0) break;
        if (fourier_value(g, x) < 0.0) out.violations += 1;
        fv = fourier_value(f, x) + NOISE_SD * saferl_rng_normal(noise);
        gv = fourier_value(g, x) + NOISE_SD * saferl_rng_normal(noise);
        if (saferl_gp_swarm_observe(&swarm, fv, &gv) < 0) break;
    }
    saferl_gp_swarm_best(&swarm, x);
    *recommended = fourier_value(f, x);
    out.seconds = now_seconds() - start;
    saferl_gp_swarm_destroy(&swarm);
    saferl_gp_destroy(&objective);
    saferl_gp_destroy(&constraint_gp);
    return out;
}

static void swarm_rows(int draws) {
    static const rule rules[3] = {
        {"Gaussian tail over the lattice (default)", SAFERL_GP_BETA_GAUSSIAN_TAIL, 0.0, 1},
        {"constant 2", SAFERL_GP_BETA_CONSTANT, 2.0, 1},
        {"per-step risk, delta 0.05", SAFERL_GP_BETA_PER_STEP_RISK, 0.0, 1},
    };
    static fourier_function f, g;
    static double fz[2401], gz[2401];
    problem grid;
    int dims[2] = {4, 8}, a, s, i;
    setup(&grid, 4, 7, 100, 0.3);
    printf("\nsaferl_gp_swarm (SafeOpt, GP expanders, 1000 samples a step, lattice 1024) on prior draws "
           "(1000 random Fourier features), %d draws\n", draws);
    printf("%-4s %-42s %-10s %-10s %-9s %-9s %-10s %-8s\n", "d", "beta rule", "runs with", "violations", "f(best)",
           "f(seed)", "gap to", "seconds");
    printf("%-4s %-42s %-10s %-10s %-9s %-9s %-10s %-8s\n", "", "", "violation", "in all", "mean", "mean", "the grid",
           "per run");
    for (a = 0; a < 2; ++a) {
        const int dim = dims[a];
        const double lengthscale = dim == 4 ? 0.3 : 0.5;
        int violated_runs[3] = {0, 0, 0}, violations[3] = {0, 0, 0};
        double best_sum[3] = {0.0, 0.0, 0.0}, seed_sum = 0.0, gap_sum = 0.0, seconds[3] = {0.0, 0.0, 0.0};
        int gap_runs = 0;
        for (s = 0; s < draws; ++s) {
            saferl_rng rng;
            double seed[8], recommended;
            uint32_t z, at = 0;
            saferl_rng_seed(&rng, (uint32_t)(5000 + 100 * dim + s));
            fourier_draw(&f, dim, lengthscale, &rng);
            for (;;) {
                int found = 0;
                fourier_draw(&g, dim, lengthscale, &rng);
                if (dim == 4) {
                    uint32_t count = 0;
                    for (z = 0; z < grid.m; ++z) count += (gz[z] = fourier_value(&g, grid.z + (size_t)z * 4)) >= 0.5;
                    if (count) {
                        do at = saferl_rng_bounded(&rng, grid.m);
                        while (!(gz[at] >= 0.5));
                        memcpy(seed, grid.z + (size_t)at * 4, 4 * sizeof(double));
                        found = 1;
                    }
                } else {
                    int tries;
                    for (tries = 0; tries < 100000 && !found; ++tries) {
                        for (i = 0; i < dim; ++i) seed[i] = saferl_rng_uniform(&rng);
                        found = fourier_value(&g, seed) >= 0.5;
                    }
                }
                if (found) break;
            }
            seed_sum += fourier_value(&f, seed);
            for (i = 0; i < 3; ++i) {
                saferl_rng noise;
                outcome o;
                saferl_rng_seed(&noise, (uint32_t)(7919 * (s + 1)));
                o = run_swarm(dim, lengthscale, &rules[i], &f, &g, seed, &noise, &recommended);
                violated_runs[i] += o.violations > 0;
                violations[i] += o.violations;
                best_sum[i] += recommended;
                seconds[i] += o.seconds;
                if (dim == 4 && i == 0) {
                    /* the grid version on the same function, seed and noise */
                    saferl_rng grid_noise;
                    outcome go;
                    for (z = 0; z < grid.m; ++z) fz[z] = fourier_value(&f, grid.z + (size_t)z * 4);
                    saferl_rng_seed(&grid_noise, (uint32_t)(7919 * (s + 1)));
                    go = run(&grid, &rules[0], fz, gz, at, &grid_noise);
                    gap_sum += -go.regret - recommended;
                    gap_runs += 1;
                }
            }
        }
        for (i = 0; i < 3; ++i) {
            char gap[32] = "-";
            if (dim == 4 && i == 0) snprintf(gap, sizeof gap, "%.3f", gap_sum / gap_runs);
            printf("%-4d %-42s %4d/%-5d %-10d %-9.3f %-9.3f %-10s %-8.2f\n", dim, rules[i].name, violated_runs[i], draws,
                   violations[i], best_sum[i] / draws, seed_sum / draws, gap, seconds[i] / draws);
        }
    }
    free(grid.z);
    free(grid.factor);
}

int main(int argc, char **argv) {
    static const rule rules[RULES] = {
        {"constant 1", SAFERL_GP_BETA_CONSTANT, 1.0, 0},
        {"constant 2 (0.3's default)", SAFERL_GP_BETA_CONSTANT, 2.0, 0},
        {"finite set, delta 0.05", SAFERL_GP_BETA_FINITE_SET, 0.0, 0},
        {"Gaussian tail, delta 0.05 (0.4's default)", SAFERL_GP_BETA_GAUSSIAN_TAIL, 0.0, 0},
        {"per-step risk, delta 0.05, fresh sets", SAFERL_GP_BETA_PER_STEP_RISK, 0.0, 1},
    };
    static const struct { int dim, side, steps; double lengthscale; } shapes[3] = {
        {1, 101, 30, 0.1}, {2, 31, 60, 0.15}, {4, 7, 100, 0.3}};
    int draws = 20, swarm_only = 0, s, i, k;
    for (i = 1; i < argc; ++i) {
        if (strcmp(argv[i], "--draws") == 0 && i + 1 < argc) draws = atoi(argv[++i]);
        if (strcmp(argv[i], "--swarm-only") == 0) swarm_only = 1;
    }
    if (draws < 1 || draws > 64) draws = 20;
    printf("saferl_gp.h %s: SafeOpt (GP expanders) on functions drawn from the GP prior, %d draws per "
           "dimension,\nnoise sd %.2f; the same draws and noise for every rule\n", saferl_gp_version(), draws, NOISE_SD);
    printf("%-4s %-6s %-6s %-44s %-10s %-10s %-8s %-8s %-8s\n", "d", "|Z|", "steps", "beta rule", "runs with", "violations",
           "regret", "regret", "seconds");
    printf("%-4s %-6s %-6s %-44s %-10s %-10s %-8s %-8s %-8s\n", "", "", "", "", "violation", "in all", "mean", "median",
           "per run");
    for (k = swarm_only ? 3 : 0; k < 3; ++k) {
        problem p;
        double *f, *g, *normal, regret[RULES][64], seconds[RULES];
        uint32_t *seeds, *queue;
        unsigned char *seen;
        int violated_runs[RULES] = {0}, violations[RULES] = {0};
        setup(&p, shapes[k].dim, shapes[k].side, shapes[k].steps, shapes[k].lengthscale);
        f = (double *)malloc((size_t)draws * p.m * sizeof(double));
        g = (double *)malloc((size_t)draws * p.m * sizeof(double));
        normal = (double *)malloc(p.m * sizeof(double));
        seeds = (uint32_t *)malloc((size_t)draws * sizeof(uint32_t));
        queue = (uint32_t *)malloc(p.m * sizeof(uint32_t));
        seen = (unsigned char *)malloc(p.m);
        memset(seconds, 0, sizeof seconds);
        for (s = 0; s < draws && s < 64; ++s) {
            saferl_rng rng;
            uint32_t candidates = 0, z;
            saferl_rng_seed(&rng, (uint32_t)(1000 * k + s + 1));
            do {
                draw(&p, &rng, f + (size_t)s * p.m, normal);
                draw(&p, &rng, g + (size_t)s * p.m, normal);
                for (candidates = 0, z = 0; z < p.m; ++z) candidates += g[(size_t)s * p.m + z] >= 0.5;
            } while (candidates == 0);
            do seeds[s] = saferl_rng_bounded(&rng, p.m);
            while (!(g[(size_t)s * p.m + seeds[s]] >= 0.5));
        }
        for (s = 0; s < draws && s < 64; ++s) {
            const double *fs = f + (size_t)s * p.m, *gs = g + (size_t)s * p.m;
            double best = reachable_best(&p, fs, gs, seeds[s], queue, seen);
            for (i = 0; i < RULES; ++i) {
                saferl_rng noise;
                outcome o;
                saferl_rng_seed(&noise, (uint32_t)(7919 * (s + 1)));
                o = run(&p, &rules[i], fs, gs, seeds[s], &noise);
                violated_runs[i] += o.violations > 0;
                violations[i] += o.violations;
                regret[i][s] = best + o.regret;
                seconds[i] += o.seconds;
            }
        }
        for (i = 0; i < RULES; ++i) {
            double mean = 0.0;
            int n = draws < 64 ? draws : 64;
            for (s = 0; s < n; ++s) mean += regret[i][s] / n;
            printf("%-4d %-6u %-6d %-44s %4d/%-5d %-10d %-8.3f %-8.3f %-8.3f\n", p.dim, p.m, p.steps, rules[i].name,
                   violated_runs[i], n, violations[i], mean, median(regret[i], n), seconds[i] / n);
        }
        printf("     (prior draws: kernel matrix + %.0e jitter)\n", p.jitter);
        free(f); free(g); free(normal); free(seeds); free(queue); free(seen); free(p.z); free(p.factor);
    }
    swarm_rows(draws);
    return 0;
}
