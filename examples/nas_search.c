// SPDX-License-Identifier: MIT OR Unlicense
/* nas_search - one-shot architecture search with saferl_nas.h

   nas_search --task toy|synthetic|images DIR --strategy advantage|reinforce|parsec|gdas|
              proxyless|darts|snas|nasp|proxyless_official [--seed S] [--iters N] [--batch B]
              [--png FILE] [--resize N] [--gray] [--channels C] [--cells L] [--with-zero]
              [--with-baseline]

   Prints the learning curve as CSV on stdout (iteration, the sampled architecture's loss,
   the argmax architecture's loss, the mean entropy per edge), then the final architecture
   as '#' lines: the argmax and process-best architectures (NAS-Bench-201 strings for image
   searches), and for the toy task the first iteration at which the argmax equals the
   teacher. --png writes the operation probabilities of every edge over the search.

   toy        the AdvantageNAS paper's teacher-student task (10 edges x 10 ops; Adam 1e-3,
              beta1 0.9, batch 100 by default), as in the authors' toy.py
   synthetic  800 synthetic 12x12 grating images of 4 classes (saferl_nas_synthetic_images)
   images DIR one sub-folder per class of PNG/JPEG files (see nas_images.h)
   The image searches alternate a weight step on a training batch and an architecture step
   on a validation batch (every other image is held out), with the NAS-Bench-201 search
   settings for theta (Adam beta1 0.5, weight decay 3e-3, clip 1) and SGD with Nesterov
   momentum for the weights, both cosine-annealed. The candidates are NAS-Bench-201's four
   without "none", the official search's default; --with-zero adds "none" and, for
   AdvantageNAS, the zero-operation rule (without it "none" always gets advantage 0, which
   wins whenever the other operations still raise the loss).

   Build: cc -std=c99 -O2 -I. -I/usr/include/stb examples/nas_search.c -o nas_search -lm */
#include "cli.h" /* first: it asks for POSIX */
#define _POSIX_C_SOURCE 200809L

#define SAFERL_NAS_IMPLEMENTATION
#include "saferl_nas.h"

#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#include "plot.h"

#define STB_IMAGE_IMPLEMENTATION
#include "nas_images.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SNAPSHOTS 101

static int usage(const char *why) {
    if (why) fprintf(stderr, "nas_search: %s\n", why);
    fprintf(stderr, "usage: nas_search --task toy|synthetic|images DIR --strategy advantage|reinforce|parsec|gdas|"
                    "proxyless|darts|snas|nasp|proxyless_official [--seed S] [--iters N] [--batch B] [--png FILE] [--resize N] [--gray] "
                    "[--channels C] [--cells L] [--with-zero] [--with-baseline]\n");
    return 2;
}

/* digits only (no sign, blank or fraction), in [lo, hi] */
static int parse_int(const char *text, int lo, int hi, int *out) {
    char *end;
    long v;
    if (*text < '0' || *text > '9') return 0;
    errno = 0;
    v = strtol(text, &end, 10);
    if (*end != '\0' || errno == ERANGE || v < lo || v > hi) return 0;
    *out = (int)v;
    return 1;
}

static const unsigned char palette[10][3] = {{31, 119, 180}, {255, 127, 14}, {44, 160, 44}, {214, 39, 40},
                                            {148, 103, 189}, {140, 86, 75}, {227, 119, 194}, {127, 127, 127},
                                            {188, 189, 34}, {23, 190, 207}};

/* one panel per edge: probability of every op against the iteration */
static int write_png(const char *path, const double *history, int snapshots, const int *snapshot_iter, int edges,
                     int ops, const char *const *op_names, const char *title) {
    int columns = edges > 6 ? 5 : 3, rows = (edges + columns - 1) / columns, e, k, s;
    int pw = 360, ph = 300, width = columns * pw, height = rows * ph + 210;
    plot_canvas canvas;
    plot_axes ax;
    double xs[SNAPSHOTS], ys[SNAPSHOTS];
    plot_legend_entry legend[SAFERL_NAS_MAX_OPS];
    if (!plot_canvas_init(&canvas, width, height, plot_rgb(255, 255, 255))) return 0;
    plot_text_aligned(&canvas, width / 2.0, 22, title, 2.2, 1, 1, plot_rgb(30, 30, 30));
    for (e = 0; e < edges; ++e) {
        char label[32];
        int x0 = (e % columns) * pw, y0 = 50 + (e / columns) * ph;
        /* room above each panel for its title, below for the x label */
        plot_axes_init(&ax, &canvas, x0 + 60, y0 + 45, x0 + pw - 15, y0 + ph - 75);
        ax.text_scale = 1.4;
        plot_axes_range(&ax, 0, snapshot_iter[snapshots - 1] > 0 ? snapshot_iter[snapshots - 1] : 1, 0, 1, PLOT_LINEAR);
        snprintf(label, sizeof label, "edge %d", e);
        plot_axes_draw(&ax, "iteration", "p", label);
        for (k = 0; k < ops; ++k) {
            for (s = 0; s < snapshots; ++s) {
                xs[s] = snapshot_iter[s];
                ys[s] = history[((size_t)s * edges + e) * ops + k];
            }
            plot_polyline(&ax, xs, ys, (size_t)snapshots, 2.0,
                          plot_rgb(palette[k % 10][0], palette[k % 10][1], palette[k % 10][2]));
        }
    }
    for (k = 0; k < ops; ++k) {
        legend[k].label = op_names[k];
        legend[k].kind = PLOT_LEGEND_LINE;
        legend[k].color = plot_rgb(palette[k % 10][0], palette[k % 10][1], palette[k % 10][2]);
        legend[k].marker = (plot_marker)0;
    }
    ax.text_scale = 1.4;
    {
        double lw, lh;
        plot_legend_size(&ax, legend, (size_t)(ops > 5 ? 5 : ops), &lw, &lh);
        plot_legend_at(&ax, 10, height - lh - 5, legend, (size_t)(ops > 5 ? 5 : ops));
        if (ops > 5) plot_legend_at(&ax, 20 + lw, height - lh - 5, legend + 5, (size_t)(ops - 5));
    }
    s = plot_write_png(&canvas, path);
    plot_canvas_free(&canvas);
    return s;
}

static int run(int argc, char **argv) {
    const char *task = NULL, *folder = NULL, *strategy_name = "advantage", *png = NULL;
    int seed = 1, iters = -1, batch = 0, resize = 0, gray = 0, channels = 8, cells = 1, zero_rule = 0, with_baseline = 0;
    int i, kind, edges, ops, snapshots = 0, snapshot_iter[SNAPSHOTS], status = 0;
    char names_buffer[SAFERL_NAS_MAX_OPS][24];
    const char *op_names[SAFERL_NAS_MAX_OPS];
    double *history;
    saferl_rng rng;
    saferl_nas_arch arch;
    saferl_nas_arch_desc ad;
    cli c; /* the repeated-flag check */
    cli_init(&c, argc, argv, "--task toy|synthetic|images DIR --strategy S [options] (see the top of nas_search.c)");
    memset(&ad, 0, sizeof ad);
    for (i = 1; i < argc; ++i) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (a[0] == '-' && a[1] == '-' && cli_once(&c, a)) return 2;
        if (strcmp(a, "--task") == 0 && v) {
            task = v;
            ++i;
            if (strcmp(v, "images") == 0) {
                if (i + 1 >= argc) return usage("--task images needs a folder");
                folder = argv[++i];
            }
        } else if (strcmp(a, "--strategy") == 0 && v) { strategy_name = v; ++i; }
        else if (strcmp(a, "--seed") == 0 && v) { if (!parse_int(v, 0, 2147483647, &seed)) return usage("bad --seed"); ++i; }
        else if (strcmp(a, "--iters") == 0 && v) { if (!parse_int(v, 0, 10000000, &iters)) return usage("bad --iters"); ++i; }
        else if (strcmp(a, "--batch") == 0 && v) { if (!parse_int(v, 1, 100000, &batch)) return usage("bad --batch"); ++i; }
        else if (strcmp(a, "--resize") == 0 && v) { if (!parse_int(v, 1, 512, &resize)) return usage("bad --resize"); ++i; }
        else if (strcmp(a, "--channels") == 0 && v) { if (!parse_int(v, 1, 256, &channels)) return usage("bad --channels"); ++i; }
        else if (strcmp(a, "--cells") == 0 && v) { if (!parse_int(v, 1, 16, &cells)) return usage("bad --cells"); ++i; }
        else if (strcmp(a, "--png") == 0 && v) { png = v; ++i; }
        else if (strcmp(a, "--gray") == 0) gray = 1;
        else if (strcmp(a, "--with-zero") == 0) zero_rule = 1;
        else if (strcmp(a, "--with-baseline") == 0) with_baseline = 1;
        else return usage(a);
    }
    if (!task) return usage("--task is required");
    kind = saferl_nas_strategy_from_name(strategy_name);
    if (kind < 0) return usage("unknown --strategy");
    saferl_rng_seed(&rng, (uint32_t)seed);
    ad.strategy = saferl_nas_strategy_builtin((saferl_nas_strategy_kind)kind);
    ad.with_baseline = with_baseline;

    if (strcmp(task, "toy") == 0) {
        saferl_nas_toy toy;
        void *memory;
        int hit = -1, teacher_ops[SAFERL_NAS_TOY_POSITIONS];
        if (iters < 0) iters = 2000;
        if (batch == 0) batch = 100;
        edges = SAFERL_NAS_TOY_POSITIONS;
        ops = SAFERL_NAS_TOY_CANDIDATES;
        for (i = 0; i < ops; ++i) { snprintf(names_buffer[i], sizeof names_buffer[i], "op %d", i); op_names[i] = names_buffer[i]; }
        memory = malloc(saferl_nas_toy_memory_size(batch));
        history = (double *)malloc(sizeof(double) * SNAPSHOTS * edges * ops);
        ad.edge_count = edges;
        ad.op_count = ops;
        ad.max_iterations = iters > 0 ? iters : 1;
        if (!memory || !history || saferl_nas_toy_init(&toy, batch, &rng, memory, saferl_nas_toy_memory_size(batch)) < 0 ||
            saferl_nas_arch_create(&arch, &ad) < 0) {
            fprintf(stderr, "nas_search: out of memory\n");
            return 1;
        }
        printf("iteration,loss,argmax_loss,mean_entropy\n");
        for (i = 0; i <= iters; ++i) {
            double loss = NAN, argmax_loss = NAN, entropy = 0.0;
            int e;
            saferl_result r;
            if (i % 10 == 0 || i == iters) { /* the argmax's loss on a fresh batch, as toy.py logs it */
                int am[SAFERL_NAS_TOY_POSITIONS];
                double gates[SAFERL_NAS_TOY_POSITIONS * SAFERL_NAS_TOY_CANDIDATES];
                saferl_nas_arch_argmax(&arch, am);
                memset(gates, 0, sizeof gates);
                for (e = 0; e < edges; ++e) gates[e * ops + am[e]] = 1.0;
                saferl_nas_toy_sample(&toy, &rng);
                argmax_loss = saferl_nas_toy_loss(&toy, gates, NULL);
            }
            if (i < iters) {
                saferl_nas_toy_sample(&toy, &rng);
                saferl_nas_arch_draw(&arch, &rng);
                loss = saferl_nas_toy_arch_loss(&toy, &arch);
                r = saferl_nas_arch_update(&arch, loss);
                if (r < 0) {
                    fprintf(stderr, "nas_search: iteration %d: %s\n", i, saferl_result_string(r));
                    return 1;
                }
                if (hit < 0 && saferl_nas_toy_argmax_is_teacher(&toy, &arch)) hit = i + 1;
            }
            if (snapshots < SNAPSHOTS && (long)i * (SNAPSHOTS - 1) >= (long)snapshots * (iters > 0 ? iters : 1)) {
                for (e = 0; e < edges; ++e) saferl_nas_arch_probabilities(&arch, e, history + ((size_t)snapshots * edges + e) * ops);
                snapshot_iter[snapshots++] = i;
            }
            for (e = 0; e < edges; ++e) entropy += saferl_nas_arch_entropy(&arch, e) / edges;
            if (i % 10 == 0 || i == iters) printf("%d,%.9g,%.9g,%.6f\n", i, loss, argmax_loss, entropy);
        }
        saferl_nas_arch_argmax(&arch, teacher_ops);
        printf("# argmax:");
        for (i = 0; i < edges; ++i) printf(" %d", teacher_ops[i]);
        printf("\n# teacher:");
        for (i = 0; i < edges; ++i) printf(" %d", toy.teacher[i]);
        printf("\n# process-best:");
        for (i = 0; i < edges; ++i) printf(" %d", arch.best_choice[i]);
        printf("\n# first iteration with argmax = teacher: %d\n", hit < 0 ? iters + 1 : hit);
        if (png && !write_png(png, history, snapshots, snapshot_iter, edges, ops, op_names, "toy task: operation probabilities per edge")) {
            fprintf(stderr, "nas_search: cannot write %s\n", png);
            status = 1;
        }
        saferl_nas_arch_destroy(&arch);
        free(memory);
        free(history);
        return status;
    }

    if (strcmp(task, "synthetic") == 0 || strcmp(task, "images") == 0) {
        nas_image_set set;
        saferl_nas_net net;
        saferl_nas_net_desc nd;
        float *train_x, *val_x;
        int *train_y, *val_y, n_train = 0, n_val = 0, per, e, am[SAFERL_NAS_NB201_EDGES];
        static const saferl_nas_op with_zero[5] = {SAFERL_NAS_NONE, SAFERL_NAS_SKIP_CONNECT, SAFERL_NAS_NOR_CONV_1X1,
                                                   SAFERL_NAS_NOR_CONV_3X3, SAFERL_NAS_AVG_POOL_3X3};
        const saferl_nas_op *candidates = zero_rule ? with_zero : with_zero + 1;
        saferl_nas_op cell_ops[SAFERL_NAS_NB201_EDGES];
        char text[256];
        double final_loss = 0.0, final_accuracy = 0.0, gates[SAFERL_NAS_NB201_EDGES * 5];
        size_t bad;
        saferl_result r;
        if (iters < 0) iters = 300;
        if (batch == 0) batch = 32;
        if (strcmp(task, "synthetic") == 0) {
            memset(&set, 0, sizeof set);
            set.count = 800; set.channels = 1; set.height = set.width = 12; set.classes = 4;
            set.pixels = (float *)malloc(sizeof(float) * 800 * 144);
            set.labels = (int *)malloc(sizeof(int) * 800);
            if (!set.pixels || !set.labels) { fprintf(stderr, "nas_search: out of memory\n"); return 1; }
            saferl_nas_synthetic_images(&rng, 800, 1, 12, 12, 4, 0.5, set.pixels, set.labels);
        } else if (nas_image_set_load(&set, folder, resize, gray) < 0) {
            fprintf(stderr, "nas_search: %s\n", set.error);
            return 1;
        }
        per = set.channels * set.height * set.width;
        r = saferl_nas_check_data(set.pixels, (size_t)set.count * per, set.labels, (size_t)set.count, set.classes, &bad);
        if (r < 0) { fprintf(stderr, "nas_search: bad data at %zu: %s\n", bad, saferl_result_string(r)); return 1; }
        /* every other image is held out for the architecture steps */
        train_x = (float *)malloc(sizeof(float) * (size_t)set.count * per);
        val_x = (float *)malloc(sizeof(float) * (size_t)set.count * per);
        train_y = (int *)malloc(sizeof(int) * (size_t)set.count);
        val_y = (int *)malloc(sizeof(int) * (size_t)set.count);
        history = (double *)malloc(sizeof(double) * SNAPSHOTS * SAFERL_NAS_NB201_EDGES * 5);
        if (!train_x || !val_x || !train_y || !val_y || !history) { fprintf(stderr, "nas_search: out of memory\n"); return 1; }
        for (i = 0; i < set.count; ++i) { /* every other image of each class */
            int to_train, seen_of_class = 0, j;
            for (j = 0; j < i; ++j) seen_of_class += set.labels[j] == set.labels[i];
            to_train = seen_of_class % 2 == 0;
            memcpy((to_train ? train_x + (size_t)n_train * per : val_x + (size_t)n_val * per), set.pixels + (size_t)i * per,
                   sizeof(float) * per);
            if (to_train) train_y[n_train++] = set.labels[i]; else val_y[n_val++] = set.labels[i];
        }
        if (batch > n_val) batch = n_val;
        memset(&nd, 0, sizeof nd);
        nd.kind = SAFERL_NAS_IMAGES;
        nd.in_channels = set.channels; nd.height = set.height; nd.width = set.width;
        nd.channels = channels; nd.classes = set.classes; nd.cell_count = cells; nd.max_batch = batch;
        nd.nesterov = 1; nd.seed = (uint32_t)seed;
        edges = SAFERL_NAS_NB201_EDGES;
        ops = zero_rule ? 5 : 4;
        nd.ops = candidates; nd.op_count = ops;
        for (i = 0; i < ops; ++i) op_names[i] = saferl_nas_op_name(candidates[i]);
        ad.edge_count = edges; ad.op_count = ops; ad.beta1 = 0.5; ad.learning_rate = 3e-3;
        ad.weight_decay = 3e-3; ad.clip_norm = 1.0; ad.max_iterations = iters > 0 ? iters : 1;
        ad.zero_op_rule = zero_rule && kind == SAFERL_NAS_ADVANTAGE; ad.zero_op = 0;
        if (saferl_nas_net_create(&net, &nd) < 0 || saferl_nas_arch_create(&arch, &ad) < 0) {
            fprintf(stderr, "nas_search: cannot build the supernet (out of memory or sizes too large)\n");
            return 1;
        }
        printf("iteration,loss,argmax_loss,mean_entropy\n");
        for (i = 0; i <= iters; ++i) {
            double loss = NAN, wloss, entropy = 0.0, cosine = 0.5 * (1.0 + cos(3.14159265358979 * i / (iters > 0 ? iters : 1)));
            int start_t = (int)((long)i * batch % (n_train - batch + 1)), start_v = (int)((long)i * batch % (n_val - batch + 1));
            if (i < iters) {
                net.desc.learning_rate = 0.05 * cosine;
                arch.desc.learning_rate = 3e-3 * cosine + 1e-5;
                r = saferl_nas_weight_step(&net, &arch, &rng, train_x + (size_t)start_t * per, train_y + start_t, batch, &wloss);
                if (r >= 0) r = saferl_nas_arch_step(&net, &arch, &rng, val_x + (size_t)start_v * per, val_y + start_v, batch, &loss);
                if (r < 0) {
                    fprintf(stderr, "nas_search: iteration %d: %s (loss %g)\n", i, saferl_result_string(r), loss);
                    return 1;
                }
            }
            if (snapshots < SNAPSHOTS && (long)i * (SNAPSHOTS - 1) >= (long)snapshots * (iters > 0 ? iters : 1)) {
                for (e = 0; e < edges; ++e) saferl_nas_arch_probabilities(&arch, e, history + ((size_t)snapshots * edges + e) * ops);
                snapshot_iter[snapshots++] = i;
            }
            for (e = 0; e < edges; ++e) entropy += saferl_nas_arch_entropy(&arch, e) / edges;
            if (i % 10 == 0 || i == iters) {
                double argmax_loss = NAN;
                if (i % 50 == 0 || i == iters) {
                    saferl_nas_arch_argmax(&arch, am);
                    memset(gates, 0, sizeof gates);
                    for (e = 0; e < edges; ++e) gates[e * ops + am[e]] = 1.0;
                    saferl_nas_net_evaluate(&net, val_x, val_y, n_val, gates, &argmax_loss, &final_accuracy);
                    final_loss = argmax_loss;
                }
                printf("%d,%.9g,%.9g,%.6f\n", i, loss, argmax_loss, entropy);
            }
        }
        saferl_nas_arch_argmax(&arch, am);
        for (e = 0; e < edges; ++e) cell_ops[e] = candidates[am[e]];
        saferl_nas_arch_string_format(cell_ops, 4, text, sizeof text, NULL);
        printf("# argmax: %s\n", text);
        for (e = 0; e < edges; ++e) cell_ops[e] = candidates[arch.best_choice[e]];
        saferl_nas_arch_string_format(cell_ops, 4, text, sizeof text, NULL);
        printf("# process-best: %s\n", text);
        printf("# argmax on the held-out half (supernet weights): loss %.4f, accuracy %.3f (%d classes, %d images)\n",
               final_loss, final_accuracy, set.classes, set.count);
        if (png && !write_png(png, history, snapshots, snapshot_iter, edges, ops, op_names,
                              "operation probabilities per edge (NAS-Bench-201 cell)")) {
            fprintf(stderr, "nas_search: cannot write %s\n", png);
            status = 1;
        }
        saferl_nas_net_destroy(&net);
        saferl_nas_arch_destroy(&arch);
        nas_image_set_free(&set);
        free(train_x); free(val_x); free(train_y); free(val_y); free(history);
        return status;
    }
    return usage("unknown --task");
}

int main(int argc, char **argv) { return cli_finish(run(argc, argv)); }
