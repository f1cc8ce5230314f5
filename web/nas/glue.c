/* glue.c - the WebAssembly face of saferl_nas.h for web/nas/.
   Thin wrappers only: every loss, probability and architecture the page shows comes from the
   header. A run is one strategy searching one task from one seed; the page keeps two side by
   side. The loops are examples/nas_search.c's, step for step (the toy task's rng draws, the
   argmax loss on a fresh batch every 10 iterations, the image search's alternating weight and
   architecture steps with cosine schedules), so a run here is the CLI's run for the same
   settings. Exports take and return 32-bit ints, doubles and pointers.
   Memory: one set of blocks per run (nas_run_create), nothing per step. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <emscripten/emscripten.h>

#define GLUE_EXPORT EMSCRIPTEN_KEEPALIVE
#define SAFERL_NAS_IMPLEMENTATION
#include "saferl_nas.h"

enum { TASK_TOY = 0, TASK_IMAGES = 1 };
#define IMAGE_CLASSES 4
#define IMAGE_NOISE 0.5
#define ARGMAX_EVERY_TOY 10    /* nas_search logs the toy argmax loss every 10 iterations */
#define ARGMAX_EVERY_IMAGES 50 /* and the held-out evaluation every 50 */

typedef struct nas_run {
    int task, kind, edges, ops, iteration, iters, first_hit;
    saferl_rng rng;
    saferl_nas_arch arch;
    /* toy */
    saferl_nas_toy toy;
    void *toy_memory;
    /* images: every other image of each class trains the weights, the rest theta */
    saferl_nas_net net;
    float *train_x, *val_x;
    int *train_y, *val_y;
    int n_train, n_val, per, batch, has_net;
    const saferl_nas_op *candidates;
    double arch_lr;                /* theta's Adam step size (images: before the cosine) */
    double accuracy;               /* the argmax's held-out accuracy at the last evaluation */
    char text[256];
} nas_run;

static const saferl_nas_op glue_image_ops[5] = {SAFERL_NAS_NONE, SAFERL_NAS_SKIP_CONNECT, SAFERL_NAS_NOR_CONV_1X1,
                                                SAFERL_NAS_NOR_CONV_3X3, SAFERL_NAS_AVG_POOL_3X3};
static int last_error;

GLUE_EXPORT const char *nas_version(void) { return saferl_nas_version(); }
GLUE_EXPORT const char *nas_result_string(int r) { return saferl_result_string((saferl_result)r); }
GLUE_EXPORT int nas_last_error(void) { return last_error; }
GLUE_EXPORT const char *nas_strategy_name(int kind) {
    const saferl_nas_strategy *s = saferl_nas_strategy_builtin((saferl_nas_strategy_kind)kind);
    return s ? s->name : "?";
}
GLUE_EXPORT int nas_strategy_from_name(const char *name) { return saferl_nas_strategy_from_name(name); }

GLUE_EXPORT void nas_run_destroy(nas_run *run) {
    if (!run) return;
    saferl_nas_arch_destroy(&run->arch);
    if (run->has_net) saferl_nas_net_destroy(&run->net);
    free(run->toy_memory);
    free(run->train_x);
    free(run->val_x);
    free(run->train_y);
    free(run->val_y);
    free(run);
}

/* A run of strategy kind (saferl_nas_strategy_kind) on task 0 (the paper's toy task, batch
   toy_batch) or 1 (synthetic gratings: image_count images of side x side pixels, 4 classes,
   noise 0.5; a NAS-Bench-201 cell of width channels, batch image_batch). iters is the run's
   length: the GDAS temperature and the image search's cosine schedules span it. with_zero
   adds "none" to the image candidates and, for AdvantageNAS, the zero-operation rule.
   arch_lr is theta's Adam step size (0: the official 1e-3 for the toy, 3e-3 for images).
   Returns the run, or NULL with nas_last_error set. */
GLUE_EXPORT nas_run *nas_run_create(int task, int kind, int seed, int iters, int with_baseline, int with_zero,
                                    int toy_batch, int image_count, int side, int channels, int image_batch,
                                    double arch_lr) {
    nas_run *run;
    saferl_nas_arch_desc ad;
    saferl_result r = SAFERL_ERR_INVALID_ARGUMENT;
    last_error = SAFERL_ERR_INVALID_ARGUMENT;
    if ((task != TASK_TOY && task != TASK_IMAGES) || !saferl_nas_strategy_builtin((saferl_nas_strategy_kind)kind) ||
        iters < 1 || seed < 0 || !(arch_lr >= 0.0 && arch_lr <= 1.0))
        return NULL;
    run = (nas_run *)calloc(1, sizeof *run);
    if (!run) { last_error = SAFERL_ERR_OUT_OF_MEMORY; return NULL; }
    run->task = task;
    run->kind = kind;
    run->iters = iters;
    run->first_hit = -1;
    run->accuracy = NAN;
    run->arch_lr = arch_lr > 0.0 ? arch_lr : task == TASK_TOY ? 1e-3 : 3e-3;
    saferl_rng_seed(&run->rng, (uint32_t)seed);
    memset(&ad, 0, sizeof ad);
    ad.strategy = saferl_nas_strategy_builtin((saferl_nas_strategy_kind)kind);
    ad.with_baseline = with_baseline != 0;
    ad.max_iterations = iters;
    ad.learning_rate = run->arch_lr;
    if (task == TASK_TOY) {
        size_t need = saferl_nas_toy_memory_size(toy_batch);
        run->edges = SAFERL_NAS_TOY_POSITIONS;
        run->ops = SAFERL_NAS_TOY_CANDIDATES;
        run->toy_memory = need ? malloc(need) : NULL;
        if (!run->toy_memory) goto fail;
        r = saferl_nas_toy_init(&run->toy, toy_batch, &run->rng, run->toy_memory, need);
        if (r < 0) goto fail;
    } else {
        saferl_nas_net_desc nd;
        float *pixels = NULL;
        int *labels = NULL, i, j;
        if (image_count < 2 * IMAGE_CLASSES || side < 3 || side > 64 || channels < 1 || channels > 64 || image_batch < 1)
            goto fail;
        run->per = side * side;
        run->candidates = with_zero ? glue_image_ops : glue_image_ops + 1;
        run->edges = SAFERL_NAS_NB201_EDGES;
        run->ops = with_zero ? 5 : 4;
        pixels = (float *)malloc(sizeof(float) * (size_t)image_count * run->per);
        labels = (int *)malloc(sizeof(int) * (size_t)image_count);
        run->train_x = (float *)malloc(sizeof(float) * (size_t)image_count * run->per);
        run->val_x = (float *)malloc(sizeof(float) * (size_t)image_count * run->per);
        run->train_y = (int *)malloc(sizeof(int) * (size_t)image_count);
        run->val_y = (int *)malloc(sizeof(int) * (size_t)image_count);
        r = SAFERL_ERR_OUT_OF_MEMORY;
        if (!pixels || !labels || !run->train_x || !run->val_x || !run->train_y || !run->val_y) {
            free(pixels);
            free(labels);
            goto fail;
        }
        r = saferl_nas_synthetic_images(&run->rng, image_count, 1, side, side, IMAGE_CLASSES, IMAGE_NOISE, pixels, labels);
        for (i = 0; r >= 0 && i < image_count; ++i) { /* every other image of each class, as nas_search */
            int seen = 0, to_train;
            for (j = 0; j < i; ++j) seen += labels[j] == labels[i];
            to_train = seen % 2 == 0;
            memcpy(to_train ? run->train_x + (size_t)run->n_train * run->per : run->val_x + (size_t)run->n_val * run->per,
                   pixels + (size_t)i * run->per, sizeof(float) * run->per);
            if (to_train) run->train_y[run->n_train++] = labels[i];
            else run->val_y[run->n_val++] = labels[i];
        }
        free(pixels);
        free(labels);
        if (r < 0) goto fail;
        run->batch = image_batch < run->n_val ? image_batch : run->n_val;
        memset(&nd, 0, sizeof nd);
        nd.kind = SAFERL_NAS_IMAGES;
        nd.in_channels = 1;
        nd.height = nd.width = side;
        nd.channels = channels;
        nd.classes = IMAGE_CLASSES;
        nd.cell_count = 1;
        nd.max_batch = run->batch;
        nd.nesterov = 1;
        nd.seed = (uint32_t)seed;
        nd.ops = run->candidates;
        nd.op_count = run->ops;
        r = saferl_nas_net_create(&run->net, &nd);
        if (r < 0) goto fail;
        run->has_net = 1;
        /* the NAS-Bench-201 search settings for theta, as nas_search */
        ad.beta1 = 0.5;
        ad.learning_rate = run->arch_lr;
        ad.weight_decay = 3e-3;
        ad.clip_norm = 1.0;
        ad.zero_op_rule = with_zero && kind == SAFERL_NAS_ADVANTAGE;
        ad.zero_op = 0;
    }
    ad.edge_count = run->edges;
    ad.op_count = run->ops;
    r = saferl_nas_arch_create(&run->arch, &ad);
    if (r < 0) goto fail;
    last_error = SAFERL_OK;
    return run;
fail:
    last_error = r < 0 ? r : SAFERL_ERR_INVALID_ARGUMENT;
    nas_run_destroy(run);
    return NULL;
}

static double glue_mean_entropy(const nas_run *run) {
    double h = 0.0;
    int e;
    for (e = 0; e < run->edges; ++e) h += saferl_nas_arch_entropy(&run->arch, e) / run->edges;
    return h;
}

/* The argmax architecture's gates (one-hot), into gates (E,K). */
static void glue_argmax_gates(const nas_run *run, double *gates) {
    int am[SAFERL_NAS_TOY_POSITIONS > SAFERL_NAS_NB201_EDGES ? SAFERL_NAS_TOY_POSITIONS : SAFERL_NAS_NB201_EDGES], e;
    saferl_nas_arch_argmax(&run->arch, am);
    memset(gates, 0, sizeof(double) * (size_t)run->edges * run->ops);
    for (e = 0; e < run->edges; ++e) gates[e * run->ops + am[e]] = 1.0;
}

/* Record size of nas_run_step: loss, argmax loss, mean entropy, then the E*K probabilities. */
GLUE_EXPORT int nas_run_record_size(const nas_run *run) { return 3 + run->edges * run->ops; }

/* Runs count iterations. out gets nas_run_record_size doubles per iteration: the sampled
   architecture's loss (the architecture step's, for images), the argmax architecture's loss
   (toy: on a fresh batch every 10 iterations, before the update; images: on the held-out
   half every 50, after the update; NaN otherwise), as nas_search logs them, the mean entropy per edge
   after the update, and every edge's probabilities after the update. Returns the number
   run (fewer at an error after the first), or a negative saferl_result. */
GLUE_EXPORT int nas_run_step(nas_run *run, int count, double *out) {
    int k, e, record = nas_run_record_size(run);
    double gates[SAFERL_NAS_TOY_POSITIONS * SAFERL_NAS_TOY_CANDIDATES];
    for (k = 0; k < count; ++k) {
        int i = run->iteration;
        double loss = NAN, argmax_loss = NAN, *rec = out + (size_t)k * record;
        saferl_result r = SAFERL_OK;
        if (run->task == TASK_TOY) {
            if (i % ARGMAX_EVERY_TOY == 0) {
                glue_argmax_gates(run, gates);
                saferl_nas_toy_sample(&run->toy, &run->rng);
                argmax_loss = saferl_nas_toy_loss(&run->toy, gates, NULL);
            }
            saferl_nas_toy_sample(&run->toy, &run->rng);
            saferl_nas_arch_draw(&run->arch, &run->rng);
            loss = saferl_nas_toy_arch_loss(&run->toy, &run->arch);
            r = saferl_nas_arch_update(&run->arch, loss);
        } else {
            double wloss, cosine = 0.5 * (1.0 + cos(3.14159265358979 * i / run->iters));
            int start_t = (int)((long)i * run->batch % (run->n_train - run->batch + 1));
            int start_v = (int)((long)i * run->batch % (run->n_val - run->batch + 1));
            run->net.desc.learning_rate = 0.05 * cosine;
            run->arch.desc.learning_rate = run->arch_lr * cosine + 1e-5;
            r = saferl_nas_weight_step(&run->net, &run->arch, &run->rng, run->train_x + (size_t)start_t * run->per,
                                       run->train_y + start_t, run->batch, &wloss);
            if (r >= 0)
                r = saferl_nas_arch_step(&run->net, &run->arch, &run->rng, run->val_x + (size_t)start_v * run->per,
                                         run->val_y + start_v, run->batch, &loss);
            if (r >= 0 && i % ARGMAX_EVERY_IMAGES == 0) { /* after the update, as nas_search; no rng drawn */
                glue_argmax_gates(run, gates);
                r = saferl_nas_net_evaluate(&run->net, run->val_x, run->val_y, run->n_val, gates, &argmax_loss,
                                            &run->accuracy);
            }
        }
        if (r < 0) return k ? k : (int)r;
        run->iteration = i + 1;
        if (run->task == TASK_TOY && run->first_hit < 0 && saferl_nas_toy_argmax_is_teacher(&run->toy, &run->arch))
            run->first_hit = run->iteration;
        rec[0] = loss;
        rec[1] = argmax_loss;
        rec[2] = glue_mean_entropy(run);
        for (e = 0; e < run->edges; ++e) saferl_nas_arch_probabilities(&run->arch, e, rec + 3 + e * run->ops);
    }
    return count;
}

/* out gets 6 ints: task, edges, ops, iteration, first iteration with argmax = teacher (toy;
   -1 before it or for images), the strategy kind. */
GLUE_EXPORT void nas_run_info(const nas_run *run, int *out) {
    out[0] = run->task;
    out[1] = run->edges;
    out[2] = run->ops;
    out[3] = run->iteration;
    out[4] = run->first_hit;
    out[5] = run->kind;
}

/* which 0: argmax, 1: process-best (valid once an update has run), 2: the toy's teacher
   (zeros for images); E ints into out. For images the values index the candidates. */
GLUE_EXPORT void nas_run_architecture(const nas_run *run, int which, int *out) {
    int e;
    if (which == 0) saferl_nas_arch_argmax(&run->arch, out);
    else if (which == 1) memcpy(out, run->arch.best_choice, sizeof(int) * (size_t)run->edges);
    else for (e = 0; e < run->edges; ++e) out[e] = run->task == TASK_TOY ? run->toy.teacher[e] : 0;
}

/* Every edge's probabilities now, E*K doubles. */
GLUE_EXPORT void nas_run_probabilities(const nas_run *run, double *out) {
    int e;
    for (e = 0; e < run->edges; ++e) saferl_nas_arch_probabilities(&run->arch, e, out + e * run->ops);
}

/* The argmax's held-out accuracy at the last evaluation (images; NaN for the toy). */
GLUE_EXPORT double nas_run_accuracy(const nas_run *run) { return run->accuracy; }

/* Images: candidate k's operation name. Toy: "op k" is the page's business; returns "?". */
GLUE_EXPORT const char *nas_run_op_name(const nas_run *run, int k) {
    if (run->task != TASK_IMAGES || k < 0 || k >= run->ops) return "?";
    return saferl_nas_op_name(run->candidates[k]);
}

/* Images: the NAS-Bench-201 string of the argmax (which 0) or process-best (1) cell. */
GLUE_EXPORT const char *nas_run_arch_string(nas_run *run, int which) {
    int choice[SAFERL_NAS_NB201_EDGES], e;
    saferl_nas_op ops[SAFERL_NAS_NB201_EDGES];
    if (run->task != TASK_IMAGES) return "";
    nas_run_architecture(run, which, choice);
    for (e = 0; e < SAFERL_NAS_NB201_EDGES; ++e) ops[e] = run->candidates[choice[e]];
    if (saferl_nas_arch_string_format(ops, SAFERL_NAS_NB201_NODES, run->text, sizeof run->text, NULL) < 0) return "";
    return run->text;
}
