// SPDX-License-Identifier: MIT OR Unlicense
/* bench/nas.c - saferl_nas.h benchmarks (run through bench/run_nas.sh)

   nas toy STRATEGY SEEDS ITERS SCHEDULE
                                    the paper's toy task with the official settings (Adam 1e-3,
                                    beta1 0.9, batch 100, EMA 0.05; GDAS and SNAS temperatures
                                    over SCHEDULE iterations) for seeds 1..SEEDS, ITERS updates:
                                    one line per seed: the first iteration at which the argmax
                                    equals the teacher (ITERS + 1 = not within ITERS), then the
                                    argmax architecture's loss every 10 iterations
   nas nb201 STRATEGY SEEDS STEPS SIGMA CSV
                                    NAS-Bench-201 as a tabular stand-in (see nb201 below): the
                                    argmax cell's CIFAR-10 test accuracy over the updates
   nas speed BATCH REPS             forward + backward of the supernet through one fixed cell
                                    (the same one bench/nas_torch.py builds), median time and
                                    GFLOP/s, and the AdvantageNAS architecture update per step
   nas steps BATCH REPS             the same steps without the architecture update: a browser has
                                    no CPU clock, so bench/nas_browser.mjs reads the page's CPU
                                    time from outside over runs of two lengths
   nas phases BATCH REPS            the step's main phases alone on its shapes: a 3x3
                                    convolution 16 -> 16 forward, its weight gradient, its
                                    input gradient, the padded copies and the poolings (median
                                    CPU ms each), to compare builds phase by phase
   nas peak REPS                    (BLIS build) the machine's one-thread ceiling: bli_sgemm and
                                    bli_dgemm GFLOP/s on 1024^3, median of REPS, and bli_sgemm
                                    on the supernet's own product shapes */
#define _POSIX_C_SOURCE 200809L
#define SAFERL_NAS_IMPLEMENTATION
#include "saferl_nas.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__EMSCRIPTEN__)
#  include <emscripten.h>
#endif

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

/* CPU time of the process: on a shared machine it leaves out the time other programs held
   the core (the caches they disturbed stay in). WebAssembly has no CPU clock: the wall clock
   there (the output says which). */
#if defined(__EMSCRIPTEN__)
/* node's process.cpuUsage(), user + system, in seconds; -1 outside node */
EM_JS(double, node_cpu_seconds, (void), {
    if (typeof process === 'undefined' || !process.cpuUsage) return -1;
    var u = process.cpuUsage();
    return (u.user + u.system) * 1e-6;
});
#endif
static double cpu_now(void) {
    struct timespec t;
#if defined(__EMSCRIPTEN__)
    if (node_cpu_seconds() >= 0) return node_cpu_seconds();
#endif
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t) != 0) return now();
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static const char *cpu_clock_name(void) {
    struct timespec t;
#if defined(__EMSCRIPTEN__)
    if (node_cpu_seconds() >= 0) return "CPU";
#endif
    return clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t) == 0 ? "CPU" : "wall, no CPU clock";
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The toy task for seeds 1..seeds through saferl_nas_toy_run, which logs the argmax
   architecture's loss every 10 iterations on a fresh batch as toy.py does. Seed s draws the
   same frozen weights and teacher for every strategy (the runs are paired). One line per
   seed: name, seed, first hit (iters + 1 = never), then the iters / 10 + 1 logged losses. */
static int toy(const char *name, int seeds, int iters, int schedule) {
    static unsigned char memory[1 << 22], arch_memory[1 << 16];
    int kind = saferl_nas_strategy_from_name(name), seed, with_baseline = 0, i;
    double *curve = (double *)malloc(sizeof(double) * (size_t)(iters / 10 + 1));
    if (strcmp(name, "advantage_b") == 0) { kind = SAFERL_NAS_ADVANTAGE; with_baseline = 1; }
    if (kind < 0 || !curve) { fprintf(stderr, "unknown strategy %s\n", name); free(curve); return 2; }
    for (seed = 1; seed <= seeds; ++seed) {
        saferl_nas_toy toy_task;
        saferl_nas_arch arch;
        saferl_nas_arch_desc d;
        saferl_rng rng;
        int hit;
        memset(&d, 0, sizeof d);
        d.edge_count = SAFERL_NAS_TOY_POSITIONS;
        d.op_count = SAFERL_NAS_TOY_CANDIDATES;
        d.strategy = saferl_nas_strategy_builtin((saferl_nas_strategy_kind)kind);
        d.with_baseline = with_baseline;
        d.max_iterations = schedule; /* toy.py's niter (2000): GDAS's and SNAS's temperature schedules */
        saferl_rng_seed(&rng, (uint32_t)seed);
        if (saferl_nas_toy_init(&toy_task, 100, &rng, memory, sizeof memory) < 0 ||
            saferl_nas_arch_init(&arch, &d, arch_memory, sizeof arch_memory) < 0 ||
            saferl_nas_toy_run(&toy_task, &arch, &rng, iters, &hit, curve) < 0) {
            free(curve);
            return 1;
        }
        printf("%s %d %d", name, seed, hit);
        for (i = 0; i <= iters / 10; ++i) printf(" %.9g", curve[i]);
        printf("\n");
        fflush(stdout);
    }
    free(curve);
    return 0;
}

/* ---- NAS-Bench-201 as a tabular stand-in ------------------------------------------------
   No shared weights: a step's loss surface is L(a) = (100 - acc(a)) / 100 + sigma eps_a, the
   tabulated CIFAR-10 test error of cell a plus fresh N(0, sigma^2) noise per cell and step
   (the noise a supernet's minibatch estimate would add). The search space is the paper's
   without the zero op: 4 candidates per edge (skip, conv 1x1, conv 3x3, avg pool); a gate
   set to 0 stands for "none" (zeroing the edge), which the table also holds. Gates reach
   the table through its multilinear extension
       f(g) = sum_a prod_e q_e(a_e) L(a),  q_e(none) = 1 - sum_k g_ek,  q_e(k) = g_ek,
   equal to L(a) at a one-hot gate setting, with df/dg_ek = sum over the other edges of
   prod q (L(.., k, ..) - L(.., none, ..)): at one-hot gates exactly AdvantageNAS's
   L(a) - L(a with edge e zeroed). Every strategy reads f and these partial derivatives. */
#define NB201_CELLS 15625
#define NB201_K 4

typedef struct nb201_table {
    double error[NB201_CELLS];    /* (100 - CIFAR-10 test accuracy) / 100, by saferl_nas_nb201_code */
    double noisy[NB201_CELLS];    /* this update's surface, filled on first read */
    long stamp[NB201_CELLS];      /* the update whose value noisy[] holds (0 = none) */
    long update;                  /* the current update, from 1 */
    double sigma;
    saferl_rng *rng;              /* draws the noise: N(0, sigma^2) per cell read, in reading order */
} nb201_table;

static double nb201_value(nb201_table *t, int code) {
    if (t->stamp[code] != t->update) {
        t->stamp[code] = t->update;
        t->noisy[code] = t->error[code] + (t->sigma > 0.0 ? t->sigma * saferl_rng_normal(t->rng) : 0.0);
    }
    return t->noisy[code];
}

static int nb201_load(nb201_table *t, const char *path) {
    char line[4096];
    int loaded = 0, i;
    FILE *f = fopen(path, "r");
    if (!f) { perror(path); return -1; }
    for (i = 0; i < NB201_CELLS; ++i) t->error[i] = -1.0;
    if (!fgets(line, sizeof line, f)) { fclose(f); return -1; }
    while (fgets(line, sizeof line, f)) {
        char *arch = line;
        saferl_nas_op ops[6];
        int nodes, code;
        double accuracy = strtod(line, NULL);
        for (i = 0; i < 3 && arch; ++i) { arch = strchr(arch, ','); if (arch) ++arch; }
        if (!arch) continue;
        arch[strcspn(arch, ",\r\n")] = '\0';
        if (saferl_nas_arch_string_parse(arch, strlen(arch), ops, 6, &nodes, NULL) != SAFERL_OK) continue;
        code = saferl_nas_nb201_code(ops);
        if (code < 0 || t->error[code] >= 0.0) continue;
        t->error[code] = (100.0 - accuracy) / 100.0;
        ++loaded;
    }
    fclose(f);
    if (loaded != NB201_CELLS) { fprintf(stderr, "%s: %d of %d cells\n", path, loaded, NB201_CELLS); return -1; }
    return 0;
}

/* f(gates) and df/dgates (6 x 4): d[e][j] sums, over the cells with a_e = j, the product
   of the other edges' weights times L. A cell with two zero-weight edges adds nothing to
   either, so the walk over the 5^6 cells (edge 5's op the slowest digit) skips those
   subtrees: a one-hot setting reads 25 cells, DARTS's 10,240, and only those get noise. */
static double nb201_extension(nb201_table *t, const double *gates, double *gate_grad) {
    double q[6][5], d[6][5], f = 0.0, prefix[7];
    int e, k, a[6], zeros[7], level = 5;
    for (e = 0; e < 6; ++e) {
        q[e][0] = 1.0;
        for (k = 0; k < NB201_K; ++k) { q[e][k + 1] = gates[e * NB201_K + k]; q[e][0] -= q[e][k + 1]; }
        for (k = 0; k < 5; ++k) d[e][k] = 0.0;
    }
    /* depth-first from edge 5 down to edge 0; prefix[e] and zeros[e] cover edges e..5 */
    prefix[6] = 1.0;
    zeros[6] = 0;
    a[5] = -1;
    while (level < 6) {
        if (++a[level] == 5) { ++level; continue; }
        zeros[level] = zeros[level + 1] + (q[level][a[level]] == 0.0);
        prefix[level] = prefix[level + 1] * q[level][a[level]];
        if (zeros[level] > 1) continue;
        if (level > 0) { --level; a[level] = -1; continue; }
        {
            int code = 0, scale = 1;
            double L;
            for (e = 0; e < 6; ++e, scale *= 5) code += a[e] * scale;
            L = nb201_value(t, code);
            if (zeros[0] == 0) {
                double suffix = 1.0; /* the other edges' product without dividing by q */
                for (e = 0; e < 6; ++e) {
                    double others = suffix, rest = 1.0;
                    int j;
                    for (j = e + 1; j < 6; ++j) rest *= q[j][a[j]];
                    d[e][a[e]] += others * rest * L;
                    suffix *= q[e][a[e]];
                }
                f += prefix[0] * L;
            } else {
                double w = 1.0;
                int zero_edge = 0;
                for (e = 0; e < 6; ++e) {
                    if (q[e][a[e]] == 0.0) zero_edge = e;
                    else w *= q[e][a[e]];
                }
                d[zero_edge][a[zero_edge]] += w * L;
            }
        }
    }
    for (e = 0; e < 6; ++e)
        for (k = 0; k < NB201_K; ++k) gate_grad[e * NB201_K + k] = d[e][k + 1] - d[e][0];
    return f;
}

/* The same by brute force over all 5^6 cells, for the check below. */
static double nb201_extension_brute(nb201_table *t, const double *gates, double *gate_grad) {
    double q[6][5], d[6][5], f = 0.0;
    int e, k, j, code;
    for (e = 0; e < 6; ++e) {
        q[e][0] = 1.0;
        for (k = 0; k < NB201_K; ++k) { q[e][k + 1] = gates[e * NB201_K + k]; q[e][0] -= q[e][k + 1]; }
        for (k = 0; k < 5; ++k) d[e][k] = 0.0;
    }
    for (code = 0; code < NB201_CELLS; ++code) {
        int a[6], c = code;
        double w = 1.0, L = nb201_value(t, code);
        for (e = 0; e < 6; ++e, c /= 5) { a[e] = c % 5; w *= q[e][a[e]]; }
        f += w * L;
        for (e = 0; e < 6; ++e) {
            double others = 1.0;
            for (j = 0; j < 6; ++j) if (j != e) others *= q[j][a[j]];
            d[e][a[e]] += others * L;
        }
    }
    for (e = 0; e < 6; ++e)
        for (k = 0; k < NB201_K; ++k) gate_grad[e * NB201_K + k] = d[e][k + 1] - d[e][0];
    return f;
}

/* f is affine in each gate, so central differences of the brute-force sum are its derivative
   up to rounding; the pruned walk must agree with both, and at one-hot gates f is the cell's
   value. Checked on random settings (dense, one-hot, one-hot with a mixed edge) before a run,
   on the noise-free table. */
static int nb201_extension_check(nb201_table *t, saferl_rng *rng) {
    double gates[24], grad[24], brute[24], scratch[24], worst = 0.0, sigma = t->sigma;
    int trial, i, e;
    t->sigma = 0.0;
    ++t->update;
    for (trial = 0; trial < 4; ++trial) {
        saferl_nas_op ops[6];
        double f, fb;
        for (i = 0; i < 24; ++i) gates[i] = trial < 2 ? saferl_rng_uniform(rng) - 0.2 : 0.0;
        if (trial >= 2) {
            for (e = 0; e < 6; ++e) { int k = (int)saferl_rng_bounded(rng, NB201_K); gates[e * NB201_K + k] = 1.0; ops[e] = (saferl_nas_op)(k + 1); }
            if (trial == 2 && fabs(nb201_extension(t, gates, grad) - t->error[saferl_nas_nb201_code(ops)]) > 1e-12) return -1;
            if (trial == 3) gates[2 * NB201_K + 1] += 0.5; /* a second op on edge 2 (ProxylessNAS-like) */
        }
        f = nb201_extension(t, gates, grad);
        fb = nb201_extension_brute(t, gates, brute);
        if (fabs(f - fb) > worst) worst = fabs(f - fb);
        for (i = 0; i < 24; ++i) {
            double keep = gates[i], up, down;
            gates[i] = keep + 0.5; up = nb201_extension_brute(t, gates, scratch);
            gates[i] = keep - 0.5; down = nb201_extension_brute(t, gates, scratch);
            gates[i] = keep;
            if (fabs(up - down - brute[i]) > worst) worst = fabs(up - down - brute[i]);
            if (fabs(grad[i] - brute[i]) > worst) worst = fabs(grad[i] - brute[i]);
        }
    }
    t->sigma = sigma;
    return worst < 1e-9 ? 0 : -1; /* sums of 15625 terms of size <= 1: rounding ~1e-12 */
}

/* the argmax cell's code (candidate k is NB201 op k + 1) */
static int nb201_argmax_code(const saferl_nas_arch *arch) {
    saferl_nas_op ops[6];
    int argmax[6], e;
    saferl_nas_arch_argmax(arch, argmax);
    for (e = 0; e < 6; ++e) ops[e] = (saferl_nas_op)(argmax[e] + 1);
    return saferl_nas_nb201_code(ops);
}

/* One line per seed: name, seed, then the argmax cell's CIFAR-10 test accuracy every
   steps / 50 updates (51 values), then the final argmax cell's string. Settings of the
   official NAS-Bench-201 search: Adam 3e-4 with a cosine schedule over the updates, beta1
   0.5, weight decay 3e-3, clip 1, EMA 0.05; GDAS and SNAS schedules over the updates. */
static int nb201(const char *name, int seeds, int steps, double sigma, const char *path) {
    static nb201_table table;
    static unsigned char arch_memory[1 << 16];
    int kind = saferl_nas_strategy_from_name(name), seed, every = steps / 50 > 0 ? steps / 50 : 1, with_baseline = 0;
    if (strcmp(name, "advantage_b") == 0) { kind = SAFERL_NAS_ADVANTAGE; with_baseline = 1; }
    if (kind < 0) { fprintf(stderr, "unknown strategy %s\n", name); return 2; }
    if (nb201_load(&table, path) < 0) return 1;
    {
        saferl_rng check_rng;
        saferl_rng_seed(&check_rng, 99);
        table.rng = &check_rng;
        if (nb201_extension_check(&table, &check_rng) < 0) { fprintf(stderr, "nb201: extension check failed\n"); return 1; }
    }
    table.sigma = sigma;
    for (seed = 1; seed <= seeds; ++seed) {
        saferl_nas_arch arch;
        saferl_nas_arch_desc d;
        saferl_rng rng;
        saferl_nas_op ops[6];
        char text[256];
        int i, e, argmax[6];
        memset(&d, 0, sizeof d);
        d.edge_count = 6;
        d.op_count = NB201_K;
        d.strategy = saferl_nas_strategy_builtin((saferl_nas_strategy_kind)kind);
        d.learning_rate = 3e-4;
        d.beta1 = 0.5;
        d.weight_decay = 3e-3;
        d.clip_norm = 1.0;
        d.max_iterations = steps;
        d.with_baseline = with_baseline;
        saferl_rng_seed(&rng, (uint32_t)seed);
        table.rng = &rng;
        if (saferl_nas_arch_init(&arch, &d, arch_memory, sizeof arch_memory) < 0) return 1;
        printf("%s %d", name, seed);
        for (i = 0; i <= steps; ++i) {
            double loss;
            if (i % every == 0) printf(" %.2f", 100.0 - 100.0 * table.error[nb201_argmax_code(&arch)]);
            if (i == steps) break;
            arch.desc.learning_rate = 3e-4 * 0.5 * (1.0 + cos(3.14159265358979323846 * i / steps));
            ++table.update; /* a fresh noisy surface */
            saferl_nas_arch_draw(&arch, &rng);
            loss = nb201_extension(&table, arch.gates, arch.gate_grad);
            if (saferl_nas_arch_update(&arch, loss) < 0) return 1;
        }
        saferl_nas_arch_argmax(&arch, argmax);
        for (e = 0; e < 6; ++e) ops[e] = (saferl_nas_op)(argmax[e] + 1);
        saferl_nas_arch_string_format(ops, 4, text, sizeof text, NULL);
        printf(" %s\n", text);
        fflush(stdout);
    }
    return 0;
}

/* Floating-point operations of one supernet step (forward + backward of the speed cell),
   counted the usual way, 2 per multiply-add of the convolutions; the pooling, ReLU, skip,
   head and loss add under 0.5% and are left out. A convolution (B images, OC x C x k x k,
   Ho x Wo outputs) is B Ho Wo OC C k k multiply-adds forward, as many for the weight gradient
   and as many again for the input gradient, which the stem (its input is data) skips. The
   cell: three 3x3 convolutions and one 1x1, 16 -> 16 channels. PyTorch's profiler
   (with_flops) counts the forward half the same: 124,518,400 at batch 32. */
static double speed_flops(int batch) {
    const double pixels = (double)batch * 16 * 16, stem = pixels * 16 * 3 * 9, conv3 = pixels * 16 * 16 * 9,
                 conv1 = pixels * 16 * 16;
    return 2.0 * (2 * stem + 3 * 3 * conv3 + 3 * conv1);
}

/* One step, kept out of line (called through a volatile pointer, which neither the C compiler
   nor binaryen's inliner can see through): V8 runs a WebAssembly function in its baseline
   compiler until the function has been called often enough, and never replaces a running
   call, so a step inlined into the timing loop (which runs once) would be timed in baseline
   code throughout. */
static int supernet_step(saferl_nas_net *net, const float *x, const int *y, int batch, const double *gates,
                         double *loss) {
    if (saferl_nas_net_forward(net, x, y, batch, gates, loss, NULL) < 0) return -1;
    return saferl_nas_net_backward(net, NULL) < 0 ? -1 : 0;
}

static int speed(int batch, int reps, int time_arch) {
    /* 3 x 16 x 16 inputs, C = 16, one cell, 10 classes; the cell
       |nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2| */
    static const char *cell = "|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|";
    saferl_nas_net net;
    saferl_nas_net_desc d;
    saferl_nas_arch arch;
    saferl_nas_arch_desc ad;
    saferl_nas_op ops[6];
    saferl_rng rng;
    float *x;
    int *y, i, nodes, e;
    double gates[30], loss, t0;
    double *times = (double *)malloc(sizeof(double) * reps), *cpu_times = (double *)malloc(sizeof(double) * reps);
    int (*volatile step)(saferl_nas_net *, const float *, const int *, int, const double *, double *) = supernet_step;
    memset(&d, 0, sizeof d);
    d.kind = SAFERL_NAS_IMAGES; d.in_channels = 3; d.height = d.width = 16; d.channels = 16; d.classes = 10;
    d.max_batch = batch;
    if (saferl_nas_net_create(&net, &d) < 0) return 1;
    x = (float *)malloc(sizeof(float) * batch * 3 * 256);
    y = (int *)malloc(sizeof(int) * batch);
    saferl_rng_seed(&rng, 1);
    for (i = 0; i < batch * 3 * 256; ++i) x[i] = (float)saferl_rng_normal(&rng);
    for (i = 0; i < batch; ++i) y[i] = i % 10;
    saferl_nas_arch_string_parse(cell, strlen(cell), ops, 6, &nodes, NULL);
    memset(gates, 0, sizeof gates);
    for (e = 0; e < 6; ++e) gates[e * 5 + ops[e]] = 1.0;
    for (i = 0; i < reps + 3; ++i) {
        double c0 = cpu_now();
        t0 = now();
        if (step(&net, x, y, batch, gates, &loss) < 0) return 1;
        if (i >= 3) times[i - 3] = now() - t0, cpu_times[i - 3] = cpu_now() - c0;
    }
    qsort(times, (size_t)reps, sizeof *times, compare);
    qsort(cpu_times, (size_t)reps, sizeof *cpu_times, compare);
    printf("supernet forward+backward, batch %d: median %.3f ms (%s %.3f ms), %.0f samples/s, %.1f GFLOP/s of that "
           "time (%.1f MFLOP a step)\n",
           batch, 1e3 * times[reps / 2], cpu_clock_name(), 1e3 * cpu_times[reps / 2], batch / times[reps / 2],
           1e-9 * speed_flops(batch) / cpu_times[reps / 2], 1e-6 * speed_flops(batch));
    if (!time_arch) reps = 0;
    memset(&ad, 0, sizeof ad);
    ad.edge_count = 6; ad.op_count = 5;
    saferl_nas_arch_create(&arch, &ad);
    for (i = 0; i < reps; ++i) {
        int k, rep;
        t0 = now();
        for (rep = 0; rep < 1000; ++rep) {
            saferl_nas_arch_draw(&arch, &rng);
            for (k = 0; k < 30; ++k) arch.gate_grad[k] = 1e-3 * (k % 7 - 3);
            saferl_nas_arch_update(&arch, 1.0);
        }
        times[i] = (now() - t0) / 1000;
    }
    qsort(times, (size_t)reps, sizeof *times, compare);
    if (time_arch) printf("architecture draw+update (AdvantageNAS, 6 x 5): median %.3f us\n", 1e6 * times[reps / 2]);
    saferl_nas_arch_destroy(&arch);
    saferl_nas_net_destroy(&net);
    free(x); free(y); free(times); free(cpu_times);
    return 0;
}

/* One 3x3 convolution of the speed cell (16 -> 16 channels, 16 x 16, batch B, ReLU in front)
   forward, backward without and with the input gradient, the two padded copies it makes of a
   batch, and the step's two poolings (the cell's 3x3 average pool and the head's global
   average, each forward and backward): median CPU ms of REPS calls each. The cell runs three
   of these convolutions; the products are the first three lines, the rest is not a product. */
static int phases(int batch, int reps) {
    enum { C = 16, HW = 16, K = 3, PHASES = 5 };
    const size_t n = (size_t)batch * C * HW * HW;
    float *x = (float *)malloc(n * sizeof(float)), *y = (float *)malloc(n * sizeof(float));
    float *dx = (float *)calloc(n, sizeof(float)), *w = (float *)malloc(C * C * K * K * sizeof(float));
    float *dw = (float *)calloc(C * C * K * K, sizeof(float)), *pooled = (float *)malloc(batch * C * sizeof(float));
    float *scratch = (float *)malloc(saferl_nas__conv_scratch_floats(C, HW, HW, C, K) * sizeof(float));
    int *offsets = (int *)malloc(saferl_nas__conv_offset_count(C, HW, HW, C, K) * sizeof(int));
    double *t = (double *)malloc(PHASES * sizeof(double) * reps);
    const char *names[PHASES] = {"conv3x3 forward", "weight gradient", "weight + input gradient",
                                 "padded copies, with and without ReLU", "poolings, forward + backward"};
    saferl_rng rng;
    size_t i;
    int r, p;
    saferl_rng_seed(&rng, 2);
    for (i = 0; i < n; ++i) x[i] = (float)saferl_rng_normal(&rng), y[i] = (float)saferl_rng_normal(&rng);
    for (i = 0; i < C * C * K * K; ++i) w[i] = 0.1f * (float)saferl_rng_normal(&rng);
    for (r = 0; r < reps + 2; ++r)
        for (p = 0; p < PHASES; ++p) {
            double c0 = cpu_now();
            if (p == 0) saferl_nas__conv2d_forward(y, x, w, NULL, batch, C, HW, HW, C, K, 1, scratch, offsets);
            else if (p < 3)
                saferl_nas__conv2d_backward(p == 2 ? dx : NULL, dw, NULL, y, x, w, batch, C, HW, HW, C, K, 1, scratch,
                                            offsets);
            else if (p == 3)
                for (saferl_nas__pad_border(scratch, C, HW, HW, 1), i = 0; i < (size_t)batch; ++i) {
                    saferl_nas__pad_image(scratch, x + i * C * HW * HW, C, HW, HW, 1, 1);
                    saferl_nas__pad_image(scratch, y + i * C * HW * HW, C, HW, HW, 1, 0);
                }
            else {
                saferl_nas__avgpool_forward(y, x, batch, C, HW, HW);
                saferl_nas__avgpool_backward(dx, y, batch, C, HW, HW, scratch);
                saferl_nas__global_avgpool_forward(pooled, y, batch, C, HW * HW);
                saferl_nas__global_avgpool_backward(dx, pooled, batch, C, HW * HW);
            }
            if (r >= 2) t[p * reps + r - 2] = cpu_now() - c0;
        }
    for (p = 0; p < PHASES; ++p) {
        qsort(t + p * reps, (size_t)reps, sizeof *t, compare);
        printf("%s, batch %d: CPU %.3f ms\n", names[p], batch, 1e3 * t[p * reps + reps / 2]);
    }
    free(x); free(y); free(dx); free(w); free(dw); free(pooled); free(scratch); free(offsets); free(t);
    return 0;
}

#if defined(SAFERL_USE_BLIS)
/* Median GFLOP/s of bli_sgemm (or bli_dgemm) C (m,n) = A (m,k) B (k,n) over reps calls, each
   call repeated until it has run 20 ms of CPU time. */
static double gemm_gflops(int dgemm, int m, int n, int k, int reps) {
    size_t sa = (size_t)m * k, sb = (size_t)k * n, sc = (size_t)m * n, i;
    size_t bytes = dgemm ? sizeof(double) : sizeof(float);
    void *a = malloc(sa * bytes), *b = malloc(sb * bytes), *c = malloc(sc * bytes);
    double *times = (double *)malloc(sizeof(double) * reps), t0, gflops;
    int r, calls;
    for (i = 0; i < sa; ++i) dgemm ? (((double *)a)[i] = 1e-3 * (i % 17)) : (((float *)a)[i] = 1e-3f * (i % 17));
    for (i = 0; i < sb; ++i) dgemm ? (((double *)b)[i] = 1e-3 * (i % 13)) : (((float *)b)[i] = 1e-3f * (i % 13));
    for (r = 0; r < reps; ++r) {
        t0 = cpu_now();
        calls = 0;
        do {
            if (dgemm) {
                double one = 1.0, zero = 0.0;
                bli_dgemm(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, m, n, k, &one, (double *)a, k, 1, (double *)b, n, 1,
                          &zero, (double *)c, n, 1);
            } else {
                float one = 1.0f, zero = 0.0f;
                bli_sgemm(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, m, n, k, &one, (float *)a, k, 1, (float *)b, n, 1,
                          &zero, (float *)c, n, 1);
            }
            ++calls;
        } while (cpu_now() - t0 < 0.02);
        times[r] = (cpu_now() - t0) / calls;
    }
    qsort(times, (size_t)reps, sizeof *times, compare);
    gflops = 2e-9 * m * n * k / times[reps / 2];
    free(a); free(b); free(c); free(times);
    return gflops;
}

static int peak(int reps) {
    printf("bli_sgemm 1024^3: %.1f GFLOP/s\n", gemm_gflops(0, 1024, 1024, 1024, reps));
    printf("bli_dgemm 1024^3: %.1f GFLOP/s\n", gemm_gflops(1, 1024, 1024, 1024, reps));
    /* the step's products per image: a 3x3 convolution forward (16 x 256 x 144) and its
       input gradient (144 x 256 x 16); all 32 images as one product (16 x 8192 x 144) */
    printf("bli_sgemm 16x256x144 (one image's 3x3 conv): %.1f GFLOP/s\n", gemm_gflops(0, 16, 256, 144, reps));
    printf("bli_sgemm 144x256x16 (its input gradient): %.1f GFLOP/s\n", gemm_gflops(0, 144, 256, 16, reps));
    printf("bli_sgemm 16x8192x144 (the batch's 3x3 conv as one product): %.1f GFLOP/s\n",
           gemm_gflops(0, 16, 8192, 144, reps));
    return 0;
}
#endif

int main(int argc, char **argv) {
    if (argc == 6 && strcmp(argv[1], "toy") == 0) return toy(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
    if (argc == 4 && strcmp(argv[1], "speed") == 0) return speed(atoi(argv[2]), atoi(argv[3]), 1);
    if (argc == 4 && strcmp(argv[1], "steps") == 0) return speed(atoi(argv[2]), atoi(argv[3]), 0);
    if (argc == 4 && strcmp(argv[1], "phases") == 0) return phases(atoi(argv[2]), atoi(argv[3]));
#if defined(SAFERL_USE_BLIS)
    if (argc == 3 && strcmp(argv[1], "peak") == 0) return peak(atoi(argv[2]));
#endif
    if (argc == 7 && strcmp(argv[1], "nb201") == 0)
        return nb201(argv[2], atoi(argv[3]), atoi(argv[4]), atof(argv[5]), argv[6]);
    fprintf(stderr, "usage: nas toy STRATEGY SEEDS ITERS SCHEDULE | nas nb201 STRATEGY SEEDS STEPS SIGMA CSV | "
                    "nas speed BATCH REPS | nas steps BATCH REPS | nas phases BATCH REPS | nas peak REPS (BLIS build)\n");
    return 2;
}
