/* Several threads predicting from one GP at once, each with its own work: built with
   ThreadSanitizer (mk/gp.mk), so that a write to the shared GP is a reported race, and
   checked bit for bit against the same predictions made one after another.
   saferl_gp_predict_with_work takes a const GP and writes only the caller's arrays. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include "../saferl_test.h"

#define SAFERL_GP_IMPLEMENTATION
#include "../../saferl_gp.h"

enum { THREADS = 4, POINTS = 40, QUERIES = 300, DIM = 3 };

typedef struct job {
    const saferl_gp *gp;
    const double *queries;
    double mean[QUERIES], var[QUERIES];
    double *work;
    size_t work_count;
    saferl_result result;
} job;

static void *predict_job(void *argument) {
    job *j = (job *)argument;
    j->result = saferl_gp_predict_with_work(j->gp, j->queries, QUERIES, j->mean, j->var, j->work, j->work_count);
    return NULL;
}

TEST(threads_predict_from_one_gp) {
    static double x[POINTS * DIM], y[POINTS], queries[QUERIES * DIM], mean[QUERIES], var[QUERIES];
    static job jobs[THREADS];
    pthread_t thread[THREADS];
    double lengthscale = 0.7;
    saferl_gp_desc desc;
    saferl_gp gp;
    saferl_rng rng;
    int i, t;
    saferl_rng_seed(&rng, 24);
    for (i = 0; i < POINTS * DIM; ++i) x[i] = 2.0 * saferl_rng_uniform(&rng);
    for (i = 0; i < POINTS; ++i) y[i] = sin(3.0 * x[i * DIM]) + 0.1 * saferl_rng_normal(&rng);
    for (i = 0; i < QUERIES * DIM; ++i) queries[i] = 2.0 * saferl_rng_uniform(&rng);
    memset(&desc, 0, sizeof desc);
    desc.dim = DIM;
    desc.capacity = 64;
    desc.lengthscale = &lengthscale;
    desc.noise_variance = 1e-3;
    CHECK(saferl_gp_create(&gp, &desc) == SAFERL_OK);
    CHECK(saferl_gp_set_data(&gp, x, y, POINTS) == SAFERL_OK);
    CHECK(saferl_gp_predict(&gp, queries, QUERIES, mean, var) == SAFERL_OK);
    for (t = 0; t < THREADS; ++t) {
        jobs[t].gp = &gp;
        jobs[t].queries = queries;
        /* different widths: whole batches, narrower ones, the least that works (n doubles) */
        jobs[t].work_count = t == 0 ? saferl_gp_predict_work_count(&gp) : (size_t)POINTS * (1 + 7 * (size_t)t);
        jobs[t].work = (double *)malloc(jobs[t].work_count * sizeof(double));
        CHECK(pthread_create(&thread[t], NULL, predict_job, &jobs[t]) == 0);
    }
    for (t = 0; t < THREADS; ++t) CHECK(pthread_join(thread[t], NULL) == 0);
    for (t = 0; t < THREADS; ++t) {
        CHECK(jobs[t].result == SAFERL_OK);
        CHECK(memcmp(jobs[t].mean, mean, sizeof mean) == 0);
        CHECK(memcmp(jobs[t].var, var, sizeof var) == 0);
        free(jobs[t].work);
    }
    {
        double too_small[POINTS - 1];
        CHECK(saferl_gp_predict_with_work(&gp, queries, 1, mean, var, too_small, POINTS - 1) == SAFERL_ERR_BUFFER_TOO_SMALL);
    }
    saferl_gp_destroy(&gp);
}

int main(void) {
    RUN(threads_predict_from_one_gp);
    return saferl_test_finish();
}
