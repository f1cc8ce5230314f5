// SPDX-License-Identifier: MIT OR Unlicense
/* safeopt_demo - safe Bayesian optimisation of test functions with a constraint

   usage: safeopt_demo [--dim 1|2] [--rule safeopt|stageopt|ucb] [--expander gp|all|lipschitz]
                       [--beta B] [--steps N] [--seed S] [--png out.png] [--summary]
          safeopt_demo --pls [--steps N] [--seed S] [--summary]

   Maximises an objective f subject to g(x) >= 0 over a grid, starting from a known-safe seed,
   with one GP for f and one for g (both RBF, hyperparameters fixed). Observations carry
   Gaussian noise (sd 0.05). Prints one line per evaluation (x, f, g, the choice and the set
   sizes) and the number of evaluations that violated the true constraint; --summary prints
   only the totals. --png draws the GPs' bands, the threshold, the safe set, expanders,
   maximisers and the evaluations (1-D), or the objective's posterior mean as a heat map with
   the safe set and the evaluations (2-D). beta: the library's safe default schedule
   (SAFERL_GP_BETA_GAUSSIAN_TAIL) unless --beta gives a constant.

   --pls runs the PLS online stage (saferl_gp_pls_run) on a synthetic return-conditioned policy:
   targets z = (R, G) on a 21 x 21 grid, cost budget b = 20, the seed box R in [30, 50],
   G in [0, 3].

   Build: cc -std=c99 -O2 -I. -I/usr/include/stb examples/safeopt_demo.c -o safeopt_demo -lm
*/
#include "cli.h" /* first: it asks for POSIX */
#define SAFERL_GP_IMPLEMENTATION
#include "saferl_gp.h"

#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#include "plot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOISE_SD 0.05

/* 1-D on [0, 10]: the objective peaks at 6.5, the constraint holds on about [0.2, 7.8]. */
static double objective_1d(const double *x) { return 2.0 * exp(-0.5 * (x[0] - 6.5) * (x[0] - 6.5)) + 0.3 * sin(2.0 * x[0]); }
static double constraint_1d(const double *x) { return 1.0 - 0.06 * (x[0] - 4.0) * (x[0] - 4.0) + 0.2 * cos(1.5 * x[0]); }
/* 2-D on [0, 5]^2: the objective peaks at (3.5, 3.5), the constraint holds inside a disc
   around (1.5, 1.5) of radius about 2.3. */
static double objective_2d(const double *x) {
    double a = x[0] - 3.5, b = x[1] - 3.5;
    return 2.0 * exp(-0.5 * (a * a + b * b)) + 0.2 * sin(x[0]) * cos(x[1]);
}
static double constraint_2d(const double *x) {
    double a = x[0] - 1.5, b = x[1] - 1.5;
    return 1.0 - 0.19 * (a * a + b * b);
}

typedef struct options {
    int dim, steps, summary, pls;
    uint32_t seed;
    saferl_gp_safe_rule rule;
    saferl_gp_expander_test expander;
    double beta;
    const char *png;
} options;

static void usage(FILE *out) {
    fprintf(out, "usage: safeopt_demo [--dim 1|2] [--rule safeopt|stageopt|ucb] [--expander gp|all|lipschitz]\n"
                 "                    [--beta B] [--steps N] [--seed S] [--png out.png] [--summary]\n"
                 "       safeopt_demo --pls [--steps N] [--seed S] [--summary]\n");
}

/* The draw_* functions return 0, or 1 when the PNG could not be written (after the message). */
static int draw_1d(const options *o, const saferl_gp_safeopt *opt, const double *z, int m, const double *xs,
                    const double *fs, const double *gs, int n) {
    plot_canvas canvas;
    plot_axes top, bottom;
    double *f_true = (double *)malloc(m * sizeof(double)), *g_true = (double *)malloc(m * sizeof(double));
    double *mean_f = (double *)malloc(m * sizeof(double)), *mean_g = (double *)malloc(m * sizeof(double)), zero[2] = {0, 0};
    double ends[2];
    plot_legend_entry legend[6];
    int i, failed;
    if (!f_true || !g_true || !mean_f || !mean_g || !plot_canvas_init(&canvas, 1000, 760, plot_rgb(255, 255, 255))) {
        fprintf(stderr, "safeopt_demo: out of memory\n");
        free(f_true); free(g_true); free(mean_f); free(mean_g);
        return 1;
    }
    for (i = 0; i < m; ++i) {
        f_true[i] = objective_1d(z + i);
        g_true[i] = constraint_1d(z + i);
        mean_f[i] = opt->grid[0].mean[i];
        mean_g[i] = opt->grid[1].mean[i];
    }
    plot_axes_init(&top, &canvas, 90, 70, 970, 390);
    plot_axes_range(&top, z[0], z[m - 1], -1.5, 3.0, PLOT_LINEAR);
    plot_axes_init(&bottom, &canvas, 90, 430, 970, 700);
    plot_axes_range(&bottom, z[0], z[m - 1], -2.0, 2.0, PLOT_LINEAR);
    for (i = 0; i < m; ++i) { /* the safe set as shading, over both panels */
        double half = 0.5 * (z[1] - z[0]);
        if (opt->flags[i] & SAFERL_GP_SAFE) {
            plot_vband(&top, z[i] - half, z[i] + half, plot_rgba(60, 170, 90, 40));
            plot_vband(&bottom, z[i] - half, z[i] + half, plot_rgba(60, 170, 90, 40));
        }
    }
    plot_axes_draw(&top, NULL, "objective f", "1-D test function: GP bands, safe set (green)");
    plot_axes_draw(&bottom, "x", "constraint g >= 0", NULL);
    plot_axes_clip(&top);
    for (i = 0; i < m; ++i) { /* the bands: the optimiser's own bounds */
        double x0 = plot_px(&top, z[i]) - 2.5, x1 = plot_px(&top, z[i]) + 2.5;
        double lo = opt->lower[i] < -1.5 ? -1.5 : opt->lower[i], hi = opt->upper[i] > 3.0 ? 3.0 : opt->upper[i];
        plot_fill_rect(&canvas, x0, plot_py(&top, hi), x1, plot_py(&top, lo), plot_rgba(70, 110, 200, 45));
    }
    plot_axes_clip(&bottom);
    for (i = 0; i < m; ++i) {
        double x0 = plot_px(&bottom, z[i]) - 2.5, x1 = plot_px(&bottom, z[i]) + 2.5;
        double lo = opt->lower[m + i] < -2.0 ? -2.0 : opt->lower[m + i], hi = opt->upper[m + i] > 2.0 ? 2.0 : opt->upper[m + i];
        plot_fill_rect(&canvas, x0, plot_py(&bottom, hi), x1, plot_py(&bottom, lo), plot_rgba(200, 120, 60, 45));
    }
    plot_polyline(&top, z, f_true, (size_t)m, 1.5, plot_rgb(30, 30, 30));
    plot_polyline(&top, z, mean_f, (size_t)m, 2.0, plot_rgb(40, 80, 200));
    plot_polyline(&bottom, z, g_true, (size_t)m, 1.5, plot_rgb(30, 30, 30));
    plot_polyline(&bottom, z, mean_g, (size_t)m, 2.0, plot_rgb(200, 100, 30));
    ends[0] = z[0];
    ends[1] = z[m - 1];
    plot_polyline(&bottom, ends, zero, 2, 1.5, plot_rgb(200, 0, 0));
    plot_points(&top, xs, fs, (size_t)n, PLOT_MARKER_DISC, 7, plot_rgb(20, 20, 20));
    plot_points(&bottom, xs, gs, (size_t)n, PLOT_MARKER_DISC, 7, plot_rgb(20, 20, 20));
    for (i = 0; i < m; ++i) { /* sets of the last step, as markers under the top panel */
        double y = -1.3;
        if (opt->flags[i] & SAFERL_GP_EXPANDER) plot_points(&top, z + i, &y, 1, PLOT_MARKER_TRIANGLE, 8, plot_rgb(150, 40, 180));
        y = -1.1;
        if (opt->flags[i] & SAFERL_GP_MAXIMIZER) plot_points(&top, z + i, &y, 1, PLOT_MARKER_SQUARE, 6, plot_rgb(230, 140, 0));
    }
    legend[0].label = "true function"; legend[0].kind = PLOT_LEGEND_LINE; legend[0].color = plot_rgb(30, 30, 30);
    legend[1].label = "GP mean"; legend[1].kind = PLOT_LEGEND_LINE; legend[1].color = plot_rgb(40, 80, 200);
    legend[2].label = "evaluations"; legend[2].kind = PLOT_LEGEND_MARKER; legend[2].color = plot_rgb(20, 20, 20);
    legend[2].marker = PLOT_MARKER_DISC;
    legend[3].label = "maximisers"; legend[3].kind = PLOT_LEGEND_MARKER; legend[3].color = plot_rgb(230, 140, 0);
    legend[3].marker = PLOT_MARKER_SQUARE;
    legend[4].label = "expanders (tested)"; legend[4].kind = PLOT_LEGEND_MARKER; legend[4].color = plot_rgb(150, 40, 180);
    legend[4].marker = PLOT_MARKER_TRIANGLE;
    legend[5].label = "safe set"; legend[5].kind = PLOT_LEGEND_BAND; legend[5].color = plot_rgba(60, 170, 90, 60);
    plot_legend(&top, legend, 6, 1);
    failed = !plot_write_png(&canvas, o->png);
    plot_canvas_free(&canvas);
    free(f_true); free(g_true); free(mean_f); free(mean_g);
    return failed;
}

static int draw_2d(const options *o, const saferl_gp_safeopt *opt, const double *z, int side, const double *xs, int n) {
    plot_canvas canvas;
    plot_axes ax;
    double lo = 1e300, hi = -1e300, cell;
    int i, m = side * side, failed;
    if (!plot_canvas_init(&canvas, 760, 780, plot_rgb(255, 255, 255))) {
        fprintf(stderr, "safeopt_demo: out of memory\n");
        return 1;
    }
    plot_axes_init(&ax, &canvas, 80, 70, 730, 720);
    plot_axes_range(&ax, z[0], z[2 * (m - 1)], z[1], z[2 * (m - 1) + 1], PLOT_LINEAR);
    for (i = 0; i < m; ++i) {
        if (opt->grid[0].mean[i] < lo) lo = opt->grid[0].mean[i];
        if (opt->grid[0].mean[i] > hi) hi = opt->grid[0].mean[i];
    }
    cell = (double)(ax.right - ax.left) / (side - 1);
    plot_axes_clip(&ax);
    for (i = 0; i < m; ++i) {
        double t = hi > lo ? (opt->grid[0].mean[i] - lo) / (hi - lo) : 0.5, px = plot_px(&ax, z[2 * i]), py = plot_py(&ax, z[2 * i + 1]);
        int safe = (opt->flags[i] & SAFERL_GP_SAFE) != 0;
        plot_color c = plot_rgba((int)(40 + 200 * t), (int)(60 + 120 * t), (int)(200 - 150 * t), safe ? 255 : 90);
        plot_fill_rect(&canvas, px - cell / 2, py - cell / 2, px + cell / 2, py + cell / 2, c);
        if (opt->flags[i] & SAFERL_GP_EXPANDER) plot_marker_at(&canvas, px, py, PLOT_MARKER_TRIANGLE, 6, plot_rgb(150, 40, 180));
    }
    plot_axes_draw(&ax, "x1", "x2", "posterior mean of f; faded: not certified safe");
    for (i = 0; i < 180; ++i) { /* the true constraint boundary */
        double a = 6.283185307179586 * i / 180.0, b = 6.283185307179586 * (i + 1) / 180.0, r = sqrt(1.0 / 0.19);
        plot_axes_clip(&ax);
        plot_line(&canvas, plot_px(&ax, 1.5 + r * cos(a)), plot_py(&ax, 1.5 + r * sin(a)), plot_px(&ax, 1.5 + r * cos(b)),
                  plot_py(&ax, 1.5 + r * sin(b)), 2.0, plot_rgb(200, 0, 0));
    }
    for (i = 0; i < n; ++i) plot_points(&ax, xs + 2 * i, xs + 2 * i + 1, 1, PLOT_MARKER_RING, 9, plot_rgb(0, 0, 0));
    failed = !plot_write_png(&canvas, o->png);
    plot_canvas_free(&canvas);
    return failed;
}

static const char *choice_name(saferl_gp_choice c) {
    switch (c) {
    case SAFERL_GP_CHOSE_EXPANDER: return "expander";
    case SAFERL_GP_CHOSE_MAXIMIZER: return "maximiser";
    case SAFERL_GP_CHOSE_UCB: return "ucb";
    default: return "widest";
    }
}

static int run_safe(const options *o) {
    int side = o->dim == 1 ? 201 : 41, m = o->dim == 1 ? side : side * side, i, t, violations = 0, status = 1;
    int png_failed = 0;
    double *z = (double *)malloc((size_t)m * o->dim * sizeof(double)), *xs = NULL, *fs = NULL, *gs = NULL;
    unsigned char *seed = (unsigned char *)calloc((size_t)m, 1);
    double ls_f = o->dim == 1 ? 1.0 : 1.0, ls_g = o->dim == 1 ? 2.0 : 1.5;
    double (*f)(const double *) = o->dim == 1 ? objective_1d : objective_2d;
    double (*g)(const double *) = o->dim == 1 ? constraint_1d : constraint_2d;
    saferl_gp gp_f, gp_g;
    saferl_gp_desc desc;
    saferl_gp_constraint c;
    saferl_gp_safeopt_desc sd;
    saferl_gp_safeopt opt;
    saferl_rng rng;
    memset(&gp_f, 0, sizeof gp_f);
    memset(&gp_g, 0, sizeof gp_g);
    xs = (double *)malloc((size_t)o->steps * o->dim * sizeof(double));
    fs = (double *)malloc((size_t)o->steps * sizeof(double));
    gs = (double *)malloc((size_t)o->steps * sizeof(double));
    if (!z || !seed || !xs || !fs || !gs) goto done;
    for (i = 0; i < m; ++i) {
        if (o->dim == 1) {
            z[i] = 10.0 * i / (side - 1);
            seed[i] = z[i] >= 3.5 && z[i] <= 4.5;
        } else {
            z[2 * i] = 5.0 * (i % side) / (side - 1);
            z[2 * i + 1] = 5.0 * (i / side) / (side - 1);
            seed[i] = fabs(z[2 * i] - 1.5) <= 0.3 && fabs(z[2 * i + 1] - 1.5) <= 0.3;
        }
    }
    memset(&desc, 0, sizeof desc);
    desc.dim = (uint32_t)o->dim;
    desc.capacity = (uint32_t)o->steps;
    desc.lengthscale = &ls_f;
    desc.signal_variance = 1.0;
    desc.noise_variance = NOISE_SD * NOISE_SD;
    if (saferl_gp_create(&gp_f, &desc) < 0) goto done;
    desc.lengthscale = &ls_g;
    if (saferl_gp_create(&gp_g, &desc) < 0) goto done;
    c.gp = &gp_g;
    c.threshold = 0.0;
    c.upper = 0;
    memset(&sd, 0, sizeof sd);
    sd.candidates = z;
    sd.candidate_count = (uint32_t)m;
    sd.objective = &gp_f;
    sd.constraints = &c;
    sd.constraint_count = 1;
    sd.seed_set = seed;
    sd.rule = o->rule;
    sd.expander_test = o->expander;
    sd.lipschitz = 1.0;
    sd.beta_rule = o->beta > 0.0 ? SAFERL_GP_BETA_CONSTANT : SAFERL_GP_BETA_GAUSSIAN_TAIL;
    sd.beta = o->beta > 0.0 ? o->beta : 2.0;
    sd.full_sets = o->png != NULL && o->dim == 1;
    if (saferl_gp_safeopt_create(&opt, &sd) < 0) goto done;
    saferl_rng_seed(&rng, o->seed);
    if (!o->summary) printf("step  x                      f(x)      g(x)      choice     stage  safe  expanders\n");
    for (t = 0; t < o->steps; ++t) {
        saferl_gp_safeopt_step st;
        const double *x;
        double fv, gv;
        if (saferl_gp_safeopt_next(&opt, &st) < 0) break;
        x = z + (size_t)st.index * o->dim;
        fv = f(x);
        gv = g(x);
        if (gv < 0.0) ++violations;
        memcpy(xs + (size_t)t * o->dim, x, o->dim * sizeof(double));
        fs[t] = fv;
        gs[t] = gv;
        if (!o->summary) {
            char where[64];
            if (o->dim == 1) snprintf(where, sizeof where, "%.3f", x[0]);
            else snprintf(where, sizeof where, "(%.3f, %.3f)", x[0], x[1]);
            printf("%4d  %-20s %8.4f  %8.4f  %-9s  %5d  %4u  %u\n", t + 1, where, fv, gv, choice_name(st.choice), st.stage,
                   st.safe_count, st.expander_count);
        }
        fv += NOISE_SD * saferl_rng_normal(&rng);
        gv += NOISE_SD * saferl_rng_normal(&rng);
        if (saferl_gp_safeopt_observe(&opt, st.index, fv, &gv) < 0) break;
    }
    {
        saferl_gp_safeopt_step st;
        uint32_t best;
        double best_safe = -1e300;
        saferl_gp_safeopt_next(&opt, &st);
        best = saferl_gp_safeopt_best(&opt);
        for (i = 0; i < m; ++i)
            if (g(z + (size_t)i * o->dim) >= 0.0 && f(z + (size_t)i * o->dim) > best_safe) best_safe = f(z + (size_t)i * o->dim);
        printf("%d-D %s (%s expanders, beta %s): %d evaluations, %d violated the constraint; best safe guess f = %.4f "
               "(the best safe grid point: %.4f); certified safe: %u of %d\n",
               o->dim, o->rule == SAFERL_GP_SAFEOPT ? "SafeOpt" : o->rule == SAFERL_GP_STAGEOPT ? "StageOpt" : "safe UCB",
               o->expander == SAFERL_GP_EXPAND_GP ? "GP" : o->expander == SAFERL_GP_EXPAND_ALL_SAFE ? "all-safe" : "Lipschitz",
               o->beta > 0.0 ? "constant" : "safe schedule", t, violations, f(z + (size_t)best * o->dim), best_safe,
               st.safe_count, m);
        if (o->png) png_failed = o->dim == 1 ? draw_1d(o, &opt, z, m, xs, fs, gs, t) : draw_2d(o, &opt, z, side, xs, t);
    }
    saferl_gp_safeopt_destroy(&opt);
    status = png_failed;
done:
    if (status && !png_failed) fprintf(stderr, "safeopt_demo: setup failed\n");
    saferl_gp_destroy(&gp_f);
    saferl_gp_destroy(&gp_g);
    free(z); free(seed); free(xs); free(fs); free(gs);
    return status;
}

/* ---- PLS on a synthetic return-conditioned policy ---------------------------------------- */

typedef struct world {
    saferl_rng rng;
} world;

static double pls_reward(const double *z) { return 100.0 - 0.02 * (z[0] - 80.0) * (z[0] - 80.0) + 0.5 * z[1]; }
static double pls_cost(const double *z) { return 1.25 * z[1] + 0.05 * (z[0] - 40.0) + 2.0; }

static int evaluate(const double *z, double *reward, double *cost, void *user) {
    world *w = (world *)user;
    *reward = pls_reward(z) + 1.0 * saferl_rng_normal(&w->rng); /* a mean of 20 episodes */
    *cost = pls_cost(z) + 0.3 * saferl_rng_normal(&w->rng);
    return 0;
}

static int run_pls(const options *o) {
    enum { NR = 21, NG = 21, M = NR * NG };
    static double targets[2 * M];
    unsigned char seed[M];
    double reward_ls[2] = {30.0, 30.0}, cost_ls[2] = {40.0, 8.0};
    saferl_gp_pls_record *log = (saferl_gp_pls_record *)malloc((size_t)o->steps * sizeof *log);
    saferl_gp_pls_desc d;
    saferl_gp_pls pls;
    world w;
    uint32_t count = 0, i, best;
    saferl_result r;
    if (!log) return 1;
    for (i = 0; i < M; ++i) {
        targets[2 * i] = 5.0 * (i / NG);
        targets[2 * i + 1] = 1.0 * (i % NG);
        seed[i] = targets[2 * i] >= 30 && targets[2 * i] <= 50 && targets[2 * i + 1] <= 3;
    }
    memset(&d, 0, sizeof d);
    d.targets = targets;
    d.target_count = M;
    d.dim = 2;
    d.seed_set = seed;
    d.cost_limit = 20.0;
    d.reward.lengthscale = reward_ls;
    d.reward.y_offset = 80.0;
    d.reward.y_scale = 20.0;
    d.reward.noise_variance = 0.01;
    d.cost.lengthscale = cost_ls;
    d.cost.y_offset = 15.0;
    d.cost.y_scale = 10.0;
    d.cost.noise_variance = 0.01;
    d.iterations = (uint32_t)o->steps;
    d.evaluate = evaluate;
    d.user_data = &w;
    saferl_rng_seed(&w.rng, o->seed);
    if ((r = saferl_gp_pls_create(&pls, &d)) < 0) {
        fprintf(stderr, "safeopt_demo: %s\n", saferl_result_string(r));
        free(log);
        return 1;
    }
    r = saferl_gp_pls_run(&pls, log, (uint32_t)o->steps, &count);
    if (!o->summary) {
        printf("iter  R      G      stage  beta   u_cost  reward   cost    violated\n");
        for (i = 0; i < count; ++i)
            printf("%4u  %5.1f  %5.1f  %5d  %5.2f  %6.2f  %7.2f  %6.2f  %s\n", log[i].iteration, targets[2 * log[i].index],
                   targets[2 * log[i].index + 1], log[i].stage, log[i].beta, log[i].cost_upper, log[i].reward_return,
                   log[i].cost_return, log[i].violated ? "yes" : "no");
    }
    best = saferl_gp_pls_recommendation(&pls);
    printf("PLS online stage: %u evaluations, %u over the budget b = 20 (measured returns); recommended z = (R %.0f, G %.0f): "
           "true reward %.2f, true cost %.2f\n",
           count, pls.violations, targets[2 * best], targets[2 * best + 1], pls_reward(targets + 2 * best),
           pls_cost(targets + 2 * best));
    saferl_gp_pls_destroy(&pls);
    free(log);
    return r < 0;
}

static int run(int argc, char **argv) {
    options o;
    int i;
    cli c;
    uint32_t n = 0;
    cli_init(&c, argc, argv, "[--dim 1|2] [--rule safeopt|stageopt|ucb] [--expander gp|all|lipschitz] [--beta B]"
                             " [--steps N] [--seed S] [--png out.png] [--summary]  |  --pls [--steps N] [--seed S] [--summary]");
    memset(&o, 0, sizeof o);
    o.dim = 1;
    o.steps = 40;
    o.seed = 1;
    o.rule = SAFERL_GP_SAFEOPT;
    o.expander = SAFERL_GP_EXPAND_GP;
    for (i = 1; i < argc; ++i) {
        const char *flag = argv[i], *v = NULL;
        int bad = 0;
        if (cli_is(&c, &i, "--summary", NULL)) o.summary = 1;
        else if (cli_is(&c, &i, "--pls", NULL)) o.pls = 1;
        else if (cli_is(&c, &i, "--help", NULL)) {
            usage(stdout);
            return 0;
        } else if (cli_is(&c, &i, "--dim", &v)) bad = !v || cli_count32(&c, flag, v, 1, 2, &n) || !(o.dim = (int)n);
        else if (cli_is(&c, &i, "--steps", &v)) bad = !v || cli_count32(&c, flag, v, 1, 2000, &n) || !(o.steps = (int)n);
        else if (cli_is(&c, &i, "--seed", &v)) bad = !v || cli_count32(&c, flag, v, 0, UINT32_MAX, &o.seed);
        else if (cli_is(&c, &i, "--beta", &v)) bad = !v || cli_real(&c, flag, v, 1e-12, 1e6, 0, &o.beta);
        else if (cli_is(&c, &i, "--png", &v)) bad = !(o.png = v);
        else if (cli_is(&c, &i, "--rule", &v)) {
            if (!v) bad = 1;
            else if (strcmp(v, "safeopt") == 0) o.rule = SAFERL_GP_SAFEOPT;
            else if (strcmp(v, "stageopt") == 0) o.rule = SAFERL_GP_STAGEOPT;
            else if (strcmp(v, "ucb") == 0) o.rule = SAFERL_GP_SAFE_UCB;
            else return cli_usage_error(&c, "--rule: safeopt, stageopt or ucb, not '%s'", v);
        } else if (cli_is(&c, &i, "--expander", &v)) {
            if (!v) bad = 1;
            else if (strcmp(v, "gp") == 0) o.expander = SAFERL_GP_EXPAND_GP;
            else if (strcmp(v, "all") == 0) o.expander = SAFERL_GP_EXPAND_ALL_SAFE;
            else if (strcmp(v, "lipschitz") == 0) o.expander = SAFERL_GP_EXPAND_LIPSCHITZ;
            else return cli_usage_error(&c, "--expander: gp, all or lipschitz, not '%s'", v);
        } else return cli_usage_error(&c, "unknown option %s", flag);
        if (bad || c.failed) return 2;
    }
    if (o.pls && (cli_given(&c, "--dim") || cli_given(&c, "--rule") || cli_given(&c, "--expander") ||
                  cli_given(&c, "--beta") || cli_given(&c, "--png")))
        return cli_usage_error(&c, "--pls takes only --steps, --seed and --summary");
    return o.pls ? run_pls(&o) : run_safe(&o);
}

int main(int argc, char **argv) { return cli_finish(run(argc, argv)); }
