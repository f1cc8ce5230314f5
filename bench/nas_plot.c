// SPDX-License-Identifier: MIT OR Unlicense
/* bench/nas_plot.c - the toy-task figure of bench/run_nas.sh, drawn the way the AdvantageNAS
   paper's plot script draws it: per strategy the median over seeds of the argmax
   architecture's loss x 100 against iterations 0-600, with the 25th-75th percentile band.

   nas_plot SUMMARY PNG     SUMMARY: lines "strategy iteration q25 median q75" */
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#include "examples/plot.h"

#define MAX_STRATEGIES 12
#define MAX_POINTS 64

typedef struct series {
    char name[32];
    int n;
    double x[MAX_POINTS], q25[MAX_POINTS], median[MAX_POINTS], q75[MAX_POINTS];
} series;

static const char *label_of(const char *name) {
    static const char *const pairs[][2] = {
        {"advantage", "AdvantageNAS"}, {"advantage_b", "AdvantageNAS/w-b"}, {"reinforce", "REINFORCE"},
        {"parsec", "PARSEC"}, {"gdas", "GDAS"}, {"proxyless", "ProxylessNAS"},
        {"proxyless_official", "ProxylessNAS (official)"}, {"darts", "DARTS"}, {"snas", "SNAS"}, {"nasp", "NASP"}};
    size_t i;
    for (i = 0; i < sizeof pairs / sizeof pairs[0]; ++i)
        if (strcmp(pairs[i][0], name) == 0) return pairs[i][1];
    return name;
}

int main(int argc, char **argv) {
    static series all[MAX_STRATEGIES];
    static const int palette[MAX_STRATEGIES][3] = {{214, 39, 40}, {255, 127, 14}, {31, 119, 180}, {44, 160, 44},
                                                   {148, 103, 189}, {140, 86, 75}, {227, 119, 194}, {127, 127, 127},
                                                   {188, 189, 34}, {23, 190, 207}, {0, 0, 0}, {100, 100, 200}};
    plot_legend_entry legend[MAX_STRATEGIES];
    plot_canvas canvas;
    plot_axes ax;
    char name[32];
    double it, a, b, c, y_max = 0.0;
    int count = 0, s, i;
    FILE *f;
    if (argc != 3) { fprintf(stderr, "usage: nas_plot SUMMARY PNG\n"); return 2; }
    f = fopen(argv[1], "r");
    if (!f) { perror(argv[1]); return 1; }
    while (fscanf(f, "%31s %lf %lf %lf %lf", name, &it, &a, &b, &c) == 5) {
        for (s = 0; s < count && strcmp(all[s].name, name) != 0; ++s) {}
        if (s == count) {
            if (count == MAX_STRATEGIES) break;
            snprintf(all[count++].name, sizeof all[0].name, "%s", name);
        }
        if (all[s].n == MAX_POINTS) continue;
        i = all[s].n++;
        all[s].x[i] = it; all[s].q25[i] = a; all[s].median[i] = b; all[s].q75[i] = c;
        if (c > y_max) y_max = c;
    }
    fclose(f);
    if (count == 0) { fprintf(stderr, "%s: no data\n", argv[1]); return 1; }
    if (!plot_canvas_init(&canvas, 1100, 640, plot_rgb(255, 255, 255))) return 1;
    plot_axes_init(&ax, &canvas, 90, 80, 760, 570);
    plot_axes_range(&ax, 0.0, 600.0, 0.0, y_max * 1.05, PLOT_LINEAR);
    plot_axes_draw(&ax, "iteration", "argmax architecture's loss x 100",
                   "toy task: median over seeds, 25-75% band");
    plot_axes_clip(&ax);
    for (s = 0; s < count; ++s) { /* bands first, lines over them */
        plot_color band = plot_rgba(palette[s][0], palette[s][1], palette[s][2], 40);
        for (i = 0; i + 1 < all[s].n; ++i) {
            double x0 = plot_px(&ax, all[s].x[i]), x1 = plot_px(&ax, all[s].x[i + 1]), x;
            for (x = x0; x < x1; x += 1.0) {
                double t = (x - x0) / (x1 - x0);
                double lo = all[s].q25[i] + t * (all[s].q25[i + 1] - all[s].q25[i]);
                double hi = all[s].q75[i] + t * (all[s].q75[i + 1] - all[s].q75[i]);
                plot_fill_rect(&canvas, x, plot_py(&ax, hi), x + 1.0, plot_py(&ax, lo), band);
            }
        }
    }
    for (s = 0; s < count; ++s) {
        plot_color line = plot_rgb(palette[s][0], palette[s][1], palette[s][2]);
        plot_polyline(&ax, all[s].x, all[s].median, (size_t)all[s].n, 2.0, line);
        legend[s].label = label_of(all[s].name);
        legend[s].kind = PLOT_LEGEND_LINE;
        legend[s].color = line;
        legend[s].marker = (plot_marker)0;
    }
    plot_clip_reset(&canvas);
    plot_legend_at(&ax, 780, 80, legend, (size_t)count);
    if (!plot_write_png(&canvas, argv[2])) { fprintf(stderr, "%s: cannot write\n", argv[2]); plot_canvas_free(&canvas); return 1; }
    plot_canvas_free(&canvas);
    return 0;
}
