/* glue.c - the WebAssembly face of saferl_gp.h for web/gp/.
   Thin wrappers only: every bound, set and choice the page shows comes from the header. The
   page passes the hidden functions as values on the candidate grid (it owns the pictures and
   the drawing); the glue adds the observation noise from a saferl_rng, so a run is a function
   of the page's settings and seed. Exports take and return 32-bit ints, doubles and pointers.
   Memory: one block per run (gp_demo_create), nothing per step. */
#include <stdlib.h>
#include <string.h>
#include <emscripten/emscripten.h>

#define GLUE_EXPORT EMSCRIPTEN_KEEPALIVE
#define SAFERL_GP_IMPLEMENTATION
#include "saferl_gp.h"

typedef struct demo {
    int dim, count, capacity;
    double noise_sd;
    double *points, *objective, *constraint; /* the candidates and the hidden functions */
    unsigned char *seed;
    double *eval_x, *eval_f, *eval_g;        /* evaluations: index as a double, noisy values */
    int evaluations, violations, last_index, last_choice, last_stage;
    double last_beta;
    saferl_gp gp_f, gp_g;
    saferl_gp_constraint constraint_desc;
    saferl_gp_safeopt opt;
    saferl_rng rng;
} demo;

GLUE_EXPORT const char *gp_version(void) { return saferl_gp_version(); }
GLUE_EXPORT const char *gp_result_string(int r) { return saferl_result_string((saferl_result)r); }

/* dim 1: count points on [lo, hi]; dim 2: side x side on [lo, hi]^2 (count = side^2).
   objective, constraint: the hidden functions at the candidates (copied); seed: flags.
   rule 0 SafeOpt, 1 StageOpt, 2 safe UCB; expander 0 all-safe (L = 0), 1 GP, 2 Lipschitz;
   beta > 0 a constant, 0 the finite-set schedule. Lengthscales in the grid's units. Returns
   the demo, or NULL (gp_demo_error tells why). */
static int last_error;
GLUE_EXPORT int gp_demo_error(void) { return last_error; }

GLUE_EXPORT demo *gp_demo_create(int dim, int side, double lo, double hi, const double *objective,
                                 const double *constraint, const unsigned char *seed, int rule, int expander,
                                 double beta, double lengthscale_f, double lengthscale_g, double noise_sd,
                                 double lipschitz, int capacity, int rng_seed) {
    demo *d = (demo *)calloc(1, sizeof(demo));
    int count = dim == 1 ? side : side * side, i;
    saferl_gp_desc gd;
    saferl_gp_safeopt_desc sd;
    saferl_result r;
    last_error = SAFERL_ERR_INVALID_ARGUMENT;
    if (!d || (dim != 1 && dim != 2) || side < 2 || capacity < 1) {
        free(d);
        return NULL;
    }
    d->dim = dim;
    d->count = count;
    d->capacity = capacity;
    d->noise_sd = noise_sd;
    d->points = (double *)malloc((size_t)count * dim * sizeof(double));
    d->objective = (double *)malloc((size_t)count * sizeof(double));
    d->constraint = (double *)malloc((size_t)count * sizeof(double));
    d->seed = (unsigned char *)malloc((size_t)count);
    d->eval_x = (double *)malloc((size_t)capacity * sizeof(double));
    d->eval_f = (double *)malloc((size_t)capacity * sizeof(double));
    d->eval_g = (double *)malloc((size_t)capacity * sizeof(double));
    if (!d->points || !d->objective || !d->constraint || !d->seed || !d->eval_x || !d->eval_f || !d->eval_g) goto fail;
    for (i = 0; i < count; ++i) {
        if (dim == 1) d->points[i] = lo + (hi - lo) * i / (side - 1);
        else {
            d->points[2 * i] = lo + (hi - lo) * (i % side) / (side - 1);
            d->points[2 * i + 1] = lo + (hi - lo) * (i / side) / (side - 1);
        }
    }
    memcpy(d->objective, objective, (size_t)count * sizeof(double));
    memcpy(d->constraint, constraint, (size_t)count * sizeof(double));
    memcpy(d->seed, seed, (size_t)count);
    memset(&gd, 0, sizeof gd);
    gd.dim = (uint32_t)dim;
    gd.capacity = (uint32_t)capacity;
    gd.lengthscale = &lengthscale_f;
    gd.noise_variance = noise_sd > 0 ? noise_sd * noise_sd : 1e-6;
    if ((r = saferl_gp_create(&d->gp_f, &gd)) < 0) { last_error = r; goto fail; }
    gd.lengthscale = &lengthscale_g;
    if ((r = saferl_gp_create(&d->gp_g, &gd)) < 0) { last_error = r; goto fail; }
    d->constraint_desc.gp = &d->gp_g;
    d->constraint_desc.threshold = 0.0;
    d->constraint_desc.upper = 0;
    memset(&sd, 0, sizeof sd);
    sd.candidates = d->points;
    sd.candidate_count = (uint32_t)count;
    sd.objective = &d->gp_f;
    sd.constraints = &d->constraint_desc;
    sd.constraint_count = 1;
    sd.seed_set = d->seed;
    sd.rule = (saferl_gp_safe_rule)rule;
    sd.expander_test = (saferl_gp_expander_test)expander;
    sd.lipschitz = lipschitz;
    sd.beta_rule = beta > 0 ? SAFERL_GP_BETA_CONSTANT : SAFERL_GP_BETA_GAUSSIAN_TAIL;
    sd.beta = beta > 0 ? beta : 2.0;
    sd.full_sets = 1; /* test every expander candidate: the picture shows them all */
    if ((r = saferl_gp_safeopt_create(&d->opt, &sd)) < 0) { last_error = r; goto fail; }
    saferl_rng_seed(&d->rng, (uint32_t)rng_seed);
    d->last_index = -1;
    /* the sets before any evaluation */
    {
        saferl_gp_safeopt_step st;
        saferl_gp_safeopt_next(&d->opt, &st);
        d->last_beta = st.beta;
    }
    last_error = SAFERL_OK;
    return d;
fail:
    saferl_gp_safeopt_destroy(&d->opt);
    saferl_gp_destroy(&d->gp_f);
    saferl_gp_destroy(&d->gp_g);
    free(d->points); free(d->objective); free(d->constraint); free(d->seed);
    free(d->eval_x); free(d->eval_f); free(d->eval_g);
    free(d);
    return NULL;
}

GLUE_EXPORT void gp_demo_destroy(demo *d) {
    if (!d) return;
    saferl_gp_safeopt_destroy(&d->opt);
    saferl_gp_destroy(&d->gp_f);
    saferl_gp_destroy(&d->gp_g);
    free(d->points); free(d->objective); free(d->constraint); free(d->seed);
    free(d->eval_x); free(d->eval_f); free(d->eval_g);
    free(d);
}

/* One evaluation: the next candidate, its noisy values observed, the sets recomputed for the
   picture. Returns the candidate index, or a negative saferl_result (full: capacity reached). */
GLUE_EXPORT int gp_demo_step(demo *d) {
    saferl_gp_safeopt_step st;
    double f, g;
    saferl_result r;
    int i;
    if (d->evaluations >= d->capacity) return SAFERL_ERR_BUFFER_TOO_SMALL;
    /* bounds as of now (after the last observation) */
    if ((r = saferl_gp_safeopt_next(&d->opt, &st)) < 0) return r;
    i = (int)st.index;
    f = d->objective[i] + d->noise_sd * saferl_rng_normal(&d->rng);
    g = d->constraint[i] + d->noise_sd * saferl_rng_normal(&d->rng);
    if ((r = saferl_gp_safeopt_observe(&d->opt, st.index, f, &g)) < 0) return r;
    d->eval_x[d->evaluations] = i;
    d->eval_f[d->evaluations] = f;
    d->eval_g[d->evaluations] = g;
    d->evaluations += 1;
    if (d->constraint[i] < 0.0) d->violations += 1;
    d->last_index = i;
    d->last_choice = (int)st.choice;
    d->last_stage = st.stage;
    /* refresh the sets and bounds with the new point, for drawing */
    saferl_gp_safeopt_next(&d->opt, &st);
    d->last_beta = st.beta;
    return i;
}

GLUE_EXPORT int gp_demo_count(const demo *d) { return d->count; }
GLUE_EXPORT int gp_demo_evaluations(const demo *d) { return d->evaluations; }
GLUE_EXPORT int gp_demo_violations(const demo *d) { return d->violations; }
GLUE_EXPORT int gp_demo_last_choice(const demo *d) { return d->last_choice; }
GLUE_EXPORT int gp_demo_stage(const demo *d) { return (int)d->opt.stage; }
GLUE_EXPORT double gp_demo_beta(const demo *d) { return d->last_beta; }
GLUE_EXPORT int gp_demo_best(const demo *d) { return (int)saferl_gp_safeopt_best(&d->opt); }
GLUE_EXPORT uint32_t gp_demo_model_violations(const demo *d) { return (uint32_t)d->opt.model_violations; }
/* Arrays, count values each: which 0 objective mean, 1 objective var, 2 constraint mean,
   3 constraint var, 4 objective lower, 5 objective upper, 6 constraint lower, 7 constraint
   upper, 8 candidates' coordinates (count * dim), 9 evaluations' indices, 10 their f, 11 g. */
GLUE_EXPORT const double *gp_demo_array(const demo *d, int which) {
    int m = d->count;
    switch (which) {
    case 0: return d->opt.grid[0].mean;
    case 1: return d->opt.grid[0].var;
    case 2: return d->opt.grid[1].mean;
    case 3: return d->opt.grid[1].var;
    case 4: return d->opt.lower;
    case 5: return d->opt.upper;
    case 6: return d->opt.lower + m;
    case 7: return d->opt.upper + m;
    case 8: return d->points;
    case 9: return d->eval_x;
    case 10: return d->eval_f;
    case 11: return d->eval_g;
    default: return NULL;
    }
}
/* Set flags per candidate: SAFERL_GP_SAFE 1, MAXIMIZER 2, EXPANDER 4, TESTED 8. */
GLUE_EXPORT const unsigned char *gp_demo_flags(const demo *d) { return d->opt.flags; }
