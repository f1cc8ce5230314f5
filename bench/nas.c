// SPDX-License-Identifier: MIT OR Unlicense
/* bench/nas.c - saferl_nas.h benchmarks (run through bench/run_nas.sh)

   nas toy STRATEGY SEEDS ITERS     the paper's toy task with the official settings (Adam 1e-3,
                                    beta1 0.9, batch 100, EMA 0.05) for seeds 1..SEEDS: one line
                                    per seed: the first iteration at which the argmax equals
                                    the teacher (ITERS + 1 = censored), the iteration from which
                                    it stays equal to the end, and the final argmax's loss
   nas speed BATCH REPS             forward + backward of the supernet through one fixed cell
                                    (the same one bench/nas_torch.py builds), median time, and
                                    the AdvantageNAS architecture update per step */
#define _POSIX_C_SOURCE 200809L
#define SAFERL_NAS_IMPLEMENTATION
#include "saferl_nas.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int toy(const char *name, int seeds, int iters) {
    static unsigned char memory[1 << 22], arch_memory[1 << 16];
    int kind = saferl_nas_strategy_from_name(name), seed, with_baseline = 0;
    if (strcmp(name, "advantage_b") == 0) { kind = SAFERL_NAS_ADVANTAGE; with_baseline = 1; }
    if (kind < 0) { fprintf(stderr, "unknown strategy %s\n", name); return 2; }
    for (seed = 1; seed <= seeds; ++seed) {
        saferl_nas_toy toy_task;
        saferl_nas_arch arch;
        saferl_nas_arch_desc d;
        saferl_rng rng;
        int i, hit = iters + 1, stays = iters + 1, p, ops[SAFERL_NAS_TOY_POSITIONS];
        double gates[100], final_loss;
        memset(&d, 0, sizeof d);
        d.edge_count = SAFERL_NAS_TOY_POSITIONS;
        d.op_count = SAFERL_NAS_TOY_CANDIDATES;
        d.strategy = saferl_nas_strategy_builtin((saferl_nas_strategy_kind)kind);
        d.with_baseline = with_baseline;
        d.max_iterations = iters;
        saferl_rng_seed(&rng, (uint32_t)seed);
        if (saferl_nas_toy_init(&toy_task, 100, &rng, memory, sizeof memory) < 0 ||
            saferl_nas_arch_init(&arch, &d, arch_memory, sizeof arch_memory) < 0)
            return 1;
        for (i = 0; i < iters; ++i) {
            int now_teacher;
            saferl_nas_toy_sample(&toy_task, &rng);
            saferl_nas_arch_draw(&arch, &rng);
            if (saferl_nas_arch_update(&arch, saferl_nas_toy_loss(&toy_task, arch.gates, arch.gate_grad)) < 0) return 1;
            now_teacher = saferl_nas_toy_argmax_is_teacher(&toy_task, &arch);
            if (now_teacher && hit > iters) hit = i + 1;
            if (now_teacher && stays > iters) stays = i + 1;
            if (!now_teacher) stays = iters + 1;
        }
        saferl_nas_arch_argmax(&arch, ops);
        memset(gates, 0, sizeof gates);
        for (p = 0; p < SAFERL_NAS_TOY_POSITIONS; ++p) gates[p * SAFERL_NAS_TOY_CANDIDATES + ops[p]] = 1.0;
        saferl_nas_toy_sample(&toy_task, &rng);
        final_loss = saferl_nas_toy_loss(&toy_task, gates, NULL);
        printf("%s %d %d %d %.6g\n", name, seed, hit, stays, final_loss);
        fflush(stdout);
    }
    return 0;
}

static int speed(int batch, int reps) {
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
    double gates[30], loss, *times = (double *)malloc(sizeof(double) * reps), t0;
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
        t0 = now();
        saferl_nas_net_forward(&net, x, y, batch, gates, &loss, NULL);
        saferl_nas_net_backward(&net, NULL);
        if (i >= 3) times[i - 3] = now() - t0;
    }
    qsort(times, (size_t)reps, sizeof *times, compare);
    printf("supernet forward+backward, batch %d: median %.3f ms, %.0f samples/s\n", batch, 1e3 * times[reps / 2],
           batch / times[reps / 2]);
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
    printf("architecture draw+update (AdvantageNAS, 6 x 5): median %.3f us\n", 1e6 * times[reps / 2]);
    saferl_nas_arch_destroy(&arch);
    saferl_nas_net_destroy(&net);
    free(x); free(y); free(times);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 5 && strcmp(argv[1], "toy") == 0) return toy(argv[2], atoi(argv[3]), atoi(argv[4]));
    if (argc == 4 && strcmp(argv[1], "speed") == 0) return speed(atoi(argv[2]), atoi(argv[3]));
    fprintf(stderr, "usage: nas toy STRATEGY SEEDS ITERS | nas speed BATCH REPS\n");
    return 2;
}
