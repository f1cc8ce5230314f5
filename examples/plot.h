// SPDX-License-Identifier: MIT OR Unlicense
/* plot.h - a small PNG plotting helper for the saferl examples (not part of the library)

   An RGBA canvas with anti-aliased lines, markers, filled rectangles and text; a set of
   axes (linear or log x, linear y) with ticks, grid, labels and a legend; PNG output.
   Text is stb_easy_font's vector font, rasterised here; PNGs go through stb_image_write.
   Both come from Debian's libstb-dev (headers in /usr/include/stb):

      cc ... -I/usr/include/stb my_example.c -lm

   Every function is static: include this file in the one translation unit of an example.
   In that file, before including it:

      #define STB_IMAGE_WRITE_IMPLEMENTATION
      #define STB_IMAGE_WRITE_STATIC          (keeps stb_image_write's functions static too)
      #include "plot.h"

   Minimal use:

      plot_canvas canvas;
      plot_axes ax;
      if (!plot_canvas_init(&canvas, 900, 600, plot_rgb(255, 255, 255))) return 1;
      plot_axes_init(&ax, &canvas, 80, 50, 860, 530);
      plot_axes_range(&ax, 0.1, 10.0, 0.0, 1.0, PLOT_LOG);
      plot_axes_draw(&ax, "x", "y", "title");
      plot_polyline(&ax, xs, ys, n, 2.0, plot_rgb(200, 0, 0));
      plot_write_png(&canvas, "out.png");
      plot_canvas_free(&canvas);
*/
#ifndef SAFERL_EXAMPLES_PLOT_H
#define SAFERL_EXAMPLES_PLOT_H

#include "cli.h" /* the checked, atomic file write; include it (or this file) first */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The stb headers are third-party code compiled with our strict warning flags; silence the
   warnings they trigger (missing braces in an initializer, helpers a program does not use). */
#if defined(__GNUC__) || defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-braces"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#endif
#include "stb_image_write.h"
#include "stb_easy_font.h"
#if defined(__GNUC__) || defined(__clang__)
#pragma GCC diagnostic pop
#endif

/* Every function is static; unused ones draw no warning. */
#if defined(__GNUC__) || defined(__clang__)
#define PLOT_DEF static __attribute__((unused))
#else
#define PLOT_DEF static
#endif

typedef struct plot_color {
    unsigned char r, g, b, a;
} plot_color;

PLOT_DEF plot_color plot_rgba(int r, int g, int b, int a) {
    plot_color c;
    c.r = (unsigned char)r;
    c.g = (unsigned char)g;
    c.b = (unsigned char)b;
    c.a = (unsigned char)a;
    return c;
}

PLOT_DEF plot_color plot_rgb(int r, int g, int b) { return plot_rgba(r, g, b, 255); }

typedef struct plot_canvas {
    int width, height;
    unsigned char *pixels;         /* RGBA, row-major, width * height * 4 bytes */
    int clip_x0, clip_y0, clip_x1, clip_y1; /* drawing is limited to [x0, x1) x [y0, y1) */
} plot_canvas;

PLOT_DEF void plot_clip_reset(plot_canvas *c) {
    c->clip_x0 = 0;
    c->clip_y0 = 0;
    c->clip_x1 = c->width;
    c->clip_y1 = c->height;
}

PLOT_DEF void plot_clip_set(plot_canvas *c, int x0, int y0, int x1, int y1) {
    c->clip_x0 = x0 < 0 ? 0 : x0;
    c->clip_y0 = y0 < 0 ? 0 : y0;
    c->clip_x1 = x1 > c->width ? c->width : x1;
    c->clip_y1 = y1 > c->height ? c->height : y1;
}

/* Returns 1 on success, 0 when out of memory or the size is unreasonable. */
PLOT_DEF int plot_canvas_init(plot_canvas *c, int width, int height, plot_color background) {
    size_t i, n;
    c->pixels = NULL;
    c->width = width;
    c->height = height;
    if (width <= 0 || height <= 0 || width > 16384 || height > 16384) return 0;
    n = (size_t)width * (size_t)height;
    c->pixels = (unsigned char *)malloc(n * 4);
    if (!c->pixels) return 0;
    for (i = 0; i < n; ++i) {
        c->pixels[4 * i + 0] = background.r;
        c->pixels[4 * i + 1] = background.g;
        c->pixels[4 * i + 2] = background.b;
        c->pixels[4 * i + 3] = background.a;
    }
    plot_clip_reset(c);
    return 1;
}

PLOT_DEF void plot_canvas_free(plot_canvas *c) {
    free(c->pixels);
    c->pixels = NULL;
}

/* Blends color over pixel (x, y) with extra coverage in [0, 1]. */
PLOT_DEF void plot_blend(plot_canvas *c, int x, int y, plot_color color, double coverage) {
    unsigned char *p;
    double a;
    if (x < c->clip_x0 || y < c->clip_y0 || x >= c->clip_x1 || y >= c->clip_y1) return;
    if (!(coverage > 0.0)) return;
    if (coverage > 1.0) coverage = 1.0;
    a = coverage * (double)color.a / 255.0;
    p = c->pixels + 4 * ((size_t)y * (size_t)c->width + (size_t)x);
    p[0] = (unsigned char)floor(p[0] + (color.r - p[0]) * a + 0.5);
    p[1] = (unsigned char)floor(p[1] + (color.g - p[1]) * a + 0.5);
    p[2] = (unsigned char)floor(p[2] + (color.b - p[2]) * a + 0.5);
    p[3] = (unsigned char)floor(p[3] + (255 - p[3]) * a + 0.5);
}

PLOT_DEF double plot__clamp01(double v) { return v < 0.0 ? 0.0 : (v > 1.0 ? 1.0 : v); }

/* Filled rectangle with real-valued edges; partly covered edge pixels are blended. */
PLOT_DEF void plot_fill_rect(plot_canvas *c, double x0, double y0, double x1, double y1, plot_color color) {
    int ix, iy, ix0, iy0, ix1, iy1;
    double t;
    if (x1 < x0) { t = x0; x0 = x1; x1 = t; }
    if (y1 < y0) { t = y0; y0 = y1; y1 = t; }
    if (x1 <= c->clip_x0 || y1 <= c->clip_y0 || x0 >= c->clip_x1 || y0 >= c->clip_y1) return;
    if (x0 < c->clip_x0) x0 = c->clip_x0;
    if (y0 < c->clip_y0) y0 = c->clip_y0;
    if (x1 > c->clip_x1) x1 = c->clip_x1;
    if (y1 > c->clip_y1) y1 = c->clip_y1;
    ix0 = (int)floor(x0);
    iy0 = (int)floor(y0);
    ix1 = (int)ceil(x1);
    iy1 = (int)ceil(y1);
    for (iy = iy0; iy < iy1; ++iy) {
        double cy = plot__clamp01((iy + 1 < y1 ? iy + 1 : y1) - (iy > y0 ? iy : y0));
        for (ix = ix0; ix < ix1; ++ix) {
            double cx = plot__clamp01((ix + 1 < x1 ? ix + 1 : x1) - (ix > x0 ? ix : x0));
            plot_blend(c, ix, iy, color, cx * cy);
        }
    }
}

/* Anti-aliased segment of the given width (pixel centres at integer + 0.5), round caps. */
PLOT_DEF void plot_line(plot_canvas *c, double x0, double y0, double x1, double y1, double width,
                      plot_color color) {
    double half = 0.5 * width, dx = x1 - x0, dy = y1 - y0, len2 = dx * dx + dy * dy;
    int ix, iy, bx0, by0, bx1, by1;
    if (!(fabs(x0) < 1e6 && fabs(y0) < 1e6 && fabs(x1) < 1e6 && fabs(y1) < 1e6)) return;
    bx0 = (int)floor((x0 < x1 ? x0 : x1) - half - 1);
    bx1 = (int)ceil((x0 > x1 ? x0 : x1) + half + 1);
    by0 = (int)floor((y0 < y1 ? y0 : y1) - half - 1);
    by1 = (int)ceil((y0 > y1 ? y0 : y1) + half + 1);
    if (bx0 < c->clip_x0) bx0 = c->clip_x0;
    if (by0 < c->clip_y0) by0 = c->clip_y0;
    if (bx1 > c->clip_x1) bx1 = c->clip_x1;
    if (by1 > c->clip_y1) by1 = c->clip_y1;
    for (iy = by0; iy < by1; ++iy) {
        for (ix = bx0; ix < bx1; ++ix) {
            double px = ix + 0.5 - x0, py = iy + 0.5 - y0, t = 0.0, ex, ey, d;
            if (len2 > 0.0) {
                t = (px * dx + py * dy) / len2;
                t = plot__clamp01(t);
            }
            ex = px - t * dx;
            ey = py - t * dy;
            d = sqrt(ex * ex + ey * ey);
            plot_blend(c, ix, iy, color, plot__clamp01(half + 0.5 - d));
        }
    }
}

/* Dashed segment: dash and gap lengths in pixels. */
PLOT_DEF void plot_dashed_line(plot_canvas *c, double x0, double y0, double x1, double y1, double width,
                             double dash, double gap, plot_color color) {
    double len = sqrt((x1 - x0) * (x1 - x0) + (y1 - y0) * (y1 - y0)), s = 0.0;
    if (!(len > 0.0) || !(dash > 0.0)) return;
    while (s < len) {
        double e = s + dash < len ? s + dash : len;
        plot_line(c, x0 + (x1 - x0) * s / len, y0 + (y1 - y0) * s / len, x0 + (x1 - x0) * e / len,
                  y0 + (y1 - y0) * e / len, width, color);
        s = e + gap;
    }
}

/* Disc (filled) or ring (outline of the given width). */
PLOT_DEF void plot_circle(plot_canvas *c, double cx, double cy, double radius, int filled, double width,
                        plot_color color) {
    int ix, iy, x0 = (int)floor(cx - radius - width - 1), x1 = (int)ceil(cx + radius + width + 1);
    int y0 = (int)floor(cy - radius - width - 1), y1 = (int)ceil(cy + radius + width + 1);
    for (iy = y0; iy < y1; ++iy) {
        for (ix = x0; ix < x1; ++ix) {
            double dx = ix + 0.5 - cx, dy = iy + 0.5 - cy, d = sqrt(dx * dx + dy * dy), cov;
            if (filled) cov = plot__clamp01(radius + 0.5 - d);
            else cov = plot__clamp01(0.5 * width + 0.5 - fabs(d - radius));
            plot_blend(c, ix, iy, color, cov);
        }
    }
}

/* Filled triangle (anti-aliased by 4x4 supersampling). */
PLOT_DEF void plot_triangle(plot_canvas *c, double ax, double ay, double bx, double by, double cx, double cy,
                          plot_color color) {
    int ix, iy, sx, sy;
    int x0 = (int)floor(fmin(ax, fmin(bx, cx))), x1 = (int)ceil(fmax(ax, fmax(bx, cx)));
    int y0 = (int)floor(fmin(ay, fmin(by, cy))), y1 = (int)ceil(fmax(ay, fmax(by, cy)));
    double area = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
    if (area == 0.0) return;
    for (iy = y0; iy < y1; ++iy) {
        for (ix = x0; ix < x1; ++ix) {
            int inside = 0;
            for (sy = 0; sy < 4; ++sy) {
                for (sx = 0; sx < 4; ++sx) {
                    double px = ix + (sx + 0.5) / 4.0, py = iy + (sy + 0.5) / 4.0;
                    double w0 = (bx - ax) * (py - ay) - (by - ay) * (px - ax);
                    double w1 = (cx - bx) * (py - by) - (cy - by) * (px - bx);
                    double w2 = (ax - cx) * (py - cy) - (ay - cy) * (px - cx);
                    if (area < 0) { w0 = -w0; w1 = -w1; w2 = -w2; }
                    if (w0 >= 0 && w1 >= 0 && w2 >= 0) ++inside;
                }
            }
            plot_blend(c, ix, iy, color, inside / 16.0);
        }
    }
}

/* ---- text ------------------------------------------------------------------------------ */

/* stb_easy_font draws a 7-pixel-high font; scale 2 suits axis labels, 3 titles. */
#define PLOT__TEXT_BUFFER 65536

PLOT_DEF int plot_text_width(const char *text, double scale) {
    char buf[512];
    size_t n = strlen(text);
    if (n >= sizeof buf) n = sizeof buf - 1;
    memcpy(buf, text, n);
    buf[n] = '\0';
    return (int)ceil(stb_easy_font_width(buf) * scale);
}

PLOT_DEF int plot_text_height(double scale) { return (int)ceil(7.0 * scale); }

/* Draws text whose top-left corner is (x, y). rotate: 0 horizontal, 1 rotated 90 degrees
   counter-clockwise (reads bottom to top; (x, y) is then the bottom-left corner). */
PLOT_DEF void plot_text_ex(plot_canvas *c, double x, double y, const char *text, double scale, int rotate,
                         plot_color color) {
    static const int vertex_bytes = 16; /* x, y, z floats + 4 color bytes */
    char buf[512];
    unsigned char *vertices;
    int quads, q;
    size_t n = strlen(text);
    if (n >= sizeof buf) n = sizeof buf - 1;
    memcpy(buf, text, n);
    buf[n] = '\0';
    vertices = (unsigned char *)malloc(PLOT__TEXT_BUFFER);
    if (!vertices) return;
    quads = stb_easy_font_print(0.0f, 0.0f, buf, NULL, vertices, PLOT__TEXT_BUFFER);
    for (q = 0; q < quads; ++q) {
        float vx[4], vy[4];
        double qx0, qy0, qx1, qy1;
        int k;
        for (k = 0; k < 4; ++k) {
            memcpy(&vx[k], vertices + (size_t)(4 * q + k) * vertex_bytes, sizeof(float));
            memcpy(&vy[k], vertices + (size_t)(4 * q + k) * vertex_bytes + sizeof(float), sizeof(float));
        }
        qx0 = fmin(fmin(vx[0], vx[1]), fmin(vx[2], vx[3]));
        qx1 = fmax(fmax(vx[0], vx[1]), fmax(vx[2], vx[3]));
        qy0 = fmin(fmin(vy[0], vy[1]), fmin(vy[2], vy[3]));
        qy1 = fmax(fmax(vy[0], vy[1]), fmax(vy[2], vy[3]));
        if (!rotate)
            plot_fill_rect(c, x + scale * qx0, y + scale * qy0, x + scale * qx1, y + scale * qy1, color);
        else
            plot_fill_rect(c, x + scale * qy0, y - scale * qx1, x + scale * qy1, y - scale * qx0, color);
    }
    free(vertices);
}

PLOT_DEF void plot_text(plot_canvas *c, double x, double y, const char *text, double scale, plot_color color) {
    plot_text_ex(c, x, y, text, scale, 0, color);
}

/* Text aligned at (x, y): halign 0 left, 1 centre, 2 right; valign 0 top, 1 middle, 2 bottom. */
PLOT_DEF void plot_text_aligned(plot_canvas *c, double x, double y, const char *text, double scale, int halign,
                              int valign, plot_color color) {
    double w = plot_text_width(text, scale), h = plot_text_height(scale);
    plot_text(c, x - w * 0.5 * halign, y - h * 0.5 * valign, text, scale, color);
}

/* ---- axes -------------------------------------------------------------------------------- */

#define PLOT_LINEAR 0
#define PLOT_LOG 1

typedef struct plot_axes {
    plot_canvas *canvas;
    int left, top, right, bottom; /* the plotting area in pixels */
    double x_min, x_max, y_min, y_max;
    int x_scale;                  /* PLOT_LINEAR or PLOT_LOG */
    plot_color frame, grid, text;
    double text_scale;
} plot_axes;

PLOT_DEF void plot_axes_init(plot_axes *ax, plot_canvas *c, int left, int top, int right, int bottom) {
    ax->canvas = c;
    ax->left = left;
    ax->top = top;
    ax->right = right;
    ax->bottom = bottom;
    ax->x_min = 0.0;
    ax->x_max = 1.0;
    ax->y_min = 0.0;
    ax->y_max = 1.0;
    ax->x_scale = PLOT_LINEAR;
    ax->frame = plot_rgb(60, 60, 60);
    ax->grid = plot_rgba(0, 0, 0, 28);
    ax->text = plot_rgb(40, 40, 40);
    ax->text_scale = 2.0;
}

/* A log x range must be positive. */
PLOT_DEF void plot_axes_range(plot_axes *ax, double x_min, double x_max, double y_min, double y_max,
                            int x_scale) {
    ax->x_min = x_min;
    ax->x_max = x_max;
    ax->y_min = y_min;
    ax->y_max = y_max;
    ax->x_scale = x_scale;
}

PLOT_DEF double plot_px(const plot_axes *ax, double x) {
    double f;
    if (ax->x_scale == PLOT_LOG) {
        if (!(x > 0.0)) return -1e9;
        f = (log(x) - log(ax->x_min)) / (log(ax->x_max) - log(ax->x_min));
    } else {
        f = (x - ax->x_min) / (ax->x_max - ax->x_min);
    }
    return ax->left + f * (ax->right - ax->left);
}

PLOT_DEF double plot_py(const plot_axes *ax, double y) {
    double f = (y - ax->y_min) / (ax->y_max - ax->y_min);
    return ax->bottom - f * (ax->bottom - ax->top);
}

/* Formats a tick value compactly: 0.05, 0.5, 1, 2, 10, 1e+06. */
PLOT_DEF void plot_format_tick(char *out, size_t size, double v) {
    if (v == 0.0) v = 0.0; /* no "-0" */
    snprintf(out, size, "%.6g", v);
}

PLOT_DEF double plot__nice_step(double range, int target) {
    double raw = range / target, mag = pow(10.0, floor(log10(raw))), f = raw / mag;
    if (f < 1.5) return mag;
    if (f < 3.5) return 2.0 * mag;
    if (f < 7.5) return 5.0 * mag;
    return 10.0 * mag;
}

PLOT_DEF void plot__x_tick(plot_axes *ax, double v, int major, int labelled) {
    plot_canvas *c = ax->canvas;
    double x = plot_px(ax, v);
    char label[64];
    if (x < ax->left - 0.5 || x > ax->right + 0.5) return;
    x = floor(x) + 0.5;
    plot_line(c, x, ax->top, x, ax->bottom, 1.0, major ? ax->grid : plot_rgba(0, 0, 0, 12));
    plot_line(c, x, ax->bottom, x, ax->bottom + (major ? 7 : 4), 1.0, ax->frame);
    if (labelled) {
        plot_format_tick(label, sizeof label, v);
        plot_text_aligned(c, x, ax->bottom + 11, label, ax->text_scale, 1, 0, ax->text);
    }
}

/* Frame, grid, ticks with labels, axis labels (any may be NULL) and a title above. */
PLOT_DEF void plot_axes_draw(plot_axes *ax, const char *x_label, const char *y_label, const char *title) {
    plot_canvas *c = ax->canvas;
    double s = ax->text_scale, v, step;
    char label[64];
    int widest = 0;
    plot_clip_reset(c);
    if (ax->x_scale == PLOT_LOG) {
        int e, e0 = (int)floor(log10(ax->x_min)), e1 = (int)ceil(log10(ax->x_max));
        double decade_px = (ax->right - ax->left) / (log10(ax->x_max) - log10(ax->x_min));
        int label_25 = decade_px >= 26.0 * ax->text_scale * 3.0; /* room for 1, 2, 5 labels */
        for (e = e0; e <= e1; ++e) {
            int m;
            for (m = 1; m <= 9; ++m) {
                v = m * pow(10.0, e);
                /* label 1 always; 2 and 5 too when the range is short */
                plot__x_tick(ax, v, m == 1, m == 1 || ((m == 2 || m == 5) && label_25));
            }
        }
    } else {
        step = plot__nice_step(ax->x_max - ax->x_min, 8);
        for (v = ceil(ax->x_min / step) * step; v <= ax->x_max + 1e-9 * step; v += step)
            plot__x_tick(ax, fabs(v) < 1e-12 * step ? 0.0 : v, 1, 1);
    }
    step = plot__nice_step(ax->y_max - ax->y_min, 6);
    for (v = ceil(ax->y_min / step) * step; v <= ax->y_max + 1e-9 * step; v += step) {
        double y = floor(plot_py(ax, v)) + 0.5, t = fabs(v) < 1e-12 * step ? 0.0 : v;
        int w;
        plot_line(c, ax->left, y, ax->right, y, 1.0, ax->grid);
        plot_line(c, ax->left - 7, y, ax->left, y, 1.0, ax->frame);
        plot_format_tick(label, sizeof label, t);
        w = plot_text_width(label, s);
        if (w > widest) widest = w;
        plot_text_aligned(c, ax->left - 11, y, label, s, 2, 1, ax->text);
    }
    plot_line(c, ax->left + 0.5, ax->top + 0.5, ax->right - 0.5, ax->top + 0.5, 1.5, ax->frame);
    plot_line(c, ax->left + 0.5, ax->bottom - 0.5, ax->right - 0.5, ax->bottom - 0.5, 1.5, ax->frame);
    plot_line(c, ax->left + 0.5, ax->top + 0.5, ax->left + 0.5, ax->bottom - 0.5, 1.5, ax->frame);
    plot_line(c, ax->right - 0.5, ax->top + 0.5, ax->right - 0.5, ax->bottom - 0.5, 1.5, ax->frame);
    if (x_label)
        plot_text_aligned(c, 0.5 * (ax->left + ax->right), ax->bottom + 16 + plot_text_height(s) + 8, x_label,
                          s, 1, 0, ax->text);
    if (y_label) {
        double w = plot_text_width(y_label, s);
        double x = ax->left - 11 - widest - 14 - plot_text_height(s);
        plot_text_ex(c, x, 0.5 * (ax->top + ax->bottom) + 0.5 * w, y_label, s, 1, ax->text);
    }
    if (title) { /* centred over the plot, but never off the canvas's left edge */
        double w = plot_text_width(title, s * 1.5), x = 0.5 * (ax->left + ax->right);
        if (x - 0.5 * w < 8) x = 8 + 0.5 * w;
        plot_text_aligned(c, x, ax->top - 14 - plot_text_height(s) - 10, title, s * 1.5, 1, 2, ax->text);
    }
}

/* Limits drawing to the plotting area; plot_clip_reset(ax->canvas) undoes it. */
PLOT_DEF void plot_axes_clip(plot_axes *ax) {
    plot_clip_set(ax->canvas, ax->left + 1, ax->top + 1, ax->right - 1, ax->bottom - 1);
}

/* Polyline through (xs[i], ys[i]); points that are not finite (or not positive on a log
   axis) break the line. */
PLOT_DEF void plot_polyline(plot_axes *ax, const double *xs, const double *ys, size_t n, double width,
                          plot_color color) {
    size_t i;
    int have = 0;
    double px = 0, py = 0;
    plot_axes_clip(ax);
    for (i = 0; i < n; ++i) {
        double x, y;
        if (!isfinite(xs[i]) || !isfinite(ys[i]) || (ax->x_scale == PLOT_LOG && !(xs[i] > 0.0))) {
            have = 0;
            continue;
        }
        x = plot_px(ax, xs[i]);
        y = plot_py(ax, ys[i]);
        if (have) plot_line(ax->canvas, px, py, x, y, width, color);
        px = x;
        py = y;
        have = 1;
    }
    plot_clip_reset(ax->canvas);
}

typedef enum plot_marker {
    PLOT_MARKER_DISC = 0,
    PLOT_MARKER_RING = 1,
    PLOT_MARKER_SQUARE = 2,
    PLOT_MARKER_TRIANGLE = 3,
    PLOT_MARKER_LEFT_ARROW = 4 /* "this value or less" */
} plot_marker;

/* A marker centred at pixel (x, y) of the given size (diameter). */
PLOT_DEF void plot_marker_at(plot_canvas *c, double x, double y, plot_marker marker, double size, plot_color color) {
    double r = 0.5 * size;
    switch (marker) {
    case PLOT_MARKER_DISC:
        plot_circle(c, x, y, r, 1, 0.0, color);
        break;
    case PLOT_MARKER_RING:
        plot_circle(c, x, y, r - 1.0, 0, 2.0, color);
        break;
    case PLOT_MARKER_SQUARE:
        plot_fill_rect(c, x - r, y - r, x + r, y + r, color);
        break;
    case PLOT_MARKER_TRIANGLE:
        plot_triangle(c, x, y - r * 1.15, x - r * 1.1, y + r * 0.75, x + r * 1.1, y + r * 0.75, color);
        break;
    case PLOT_MARKER_LEFT_ARROW:
        plot_line(c, x - 1.6 * r, y, x + 0.3 * r, y, 2.0, color);
        plot_triangle(c, x - 2.4 * r, y, x - 1.2 * r, y - 0.7 * r, x - 1.2 * r, y + 0.7 * r, color);
        plot_line(c, x + 0.3 * r, y - 0.8 * r, x + 0.3 * r, y + 0.8 * r, 2.0, color);
        break;
    }
}

/* Markers at data points inside the area. */
PLOT_DEF void plot_points(plot_axes *ax, const double *xs, const double *ys, size_t n, plot_marker marker,
                        double size, plot_color color) {
    size_t i;
    plot_clip_set(ax->canvas, ax->left - (int)size, ax->top - (int)size, ax->right + (int)size,
                  ax->bottom + (int)size);
    for (i = 0; i < n; ++i) {
        double x, y;
        if (!isfinite(xs[i]) || !isfinite(ys[i]) || (ax->x_scale == PLOT_LOG && !(xs[i] > 0.0))) continue;
        x = plot_px(ax, xs[i]);
        y = plot_py(ax, ys[i]);
        if (x < ax->left - 0.5 || x > ax->right + 0.5 || y < ax->top - 0.5 || y > ax->bottom + 0.5) continue;
        plot_marker_at(ax->canvas, x, y, marker, size, color);
    }
    plot_clip_reset(ax->canvas);
}

/* Horizontal error bar from x_lo to x_hi at height y (clipped to the area), with end caps. */
PLOT_DEF void plot_xerror(plot_axes *ax, double x_lo, double x_hi, double y, double width, plot_color color) {
    double a, b, py = plot_py(ax, y);
    if (ax->x_scale == PLOT_LOG) {
        if (!(x_hi > 0.0)) return;
        if (!(x_lo > 0.0)) x_lo = ax->x_min * 1e-3;
    }
    a = plot_px(ax, x_lo);
    b = isfinite(x_hi) ? plot_px(ax, x_hi) : ax->right + 100.0;
    plot_clip_set(ax->canvas, ax->left + 1, ax->top - 8, ax->right - 1, ax->bottom + 8);
    plot_line(ax->canvas, a, py, b, py, width, color);
    plot_line(ax->canvas, a, py - 5, a, py + 5, width, color);
    plot_line(ax->canvas, b, py - 5, b, py + 5, width, color);
    plot_clip_reset(ax->canvas);
}

/* A band over the full height between data x0 and x1 (clipped to the area). */
PLOT_DEF void plot_vband(plot_axes *ax, double x0, double x1, plot_color color) {
    double a, b;
    if (ax->x_scale == PLOT_LOG) {
        if (!(x0 > 0.0)) x0 = ax->x_min;
        if (!(x1 > 0.0)) return;
    }
    a = isfinite(x0) ? plot_px(ax, x0) : ax->left;
    b = isfinite(x1) ? plot_px(ax, x1) : ax->right;
    plot_axes_clip(ax);
    plot_fill_rect(ax->canvas, a, ax->top, b, ax->bottom, color);
    plot_clip_reset(ax->canvas);
}

/* A vertical line at data x over the area; dashed if asked. */
PLOT_DEF void plot_vline(plot_axes *ax, double x, double width, int dashed, plot_color color) {
    double px = plot_px(ax, x);
    if (px < ax->left || px > ax->right) return;
    plot_axes_clip(ax);
    if (dashed) plot_dashed_line(ax->canvas, px, ax->top, px, ax->bottom, width, 10.0, 6.0, color);
    else plot_line(ax->canvas, px, ax->top, px, ax->bottom, width, color);
    plot_clip_reset(ax->canvas);
}

/* ---- legend ------------------------------------------------------------------------------ */

typedef enum plot_legend_kind {
    PLOT_LEGEND_LINE = 0,
    PLOT_LEGEND_DASHED = 1,
    PLOT_LEGEND_MARKER = 2,
    PLOT_LEGEND_BAND = 3
} plot_legend_kind;

typedef struct plot_legend_entry {
    const char *label;
    plot_legend_kind kind;
    plot_color color;
    plot_marker marker; /* PLOT_LEGEND_MARKER only */
} plot_legend_entry;

/* Width and height in pixels of a legend for these entries. */
PLOT_DEF void plot_legend_size(const plot_axes *ax, const plot_legend_entry *entries, size_t n, double *width,
                             double *height) {
    double s = ax->text_scale, row = plot_text_height(s) + 12, swatch = 34, pad = 10, w = 0;
    size_t i;
    for (i = 0; i < n; ++i) {
        double tw = plot_text_width(entries[i].label, s);
        if (tw > w) w = tw;
    }
    *width = w + swatch + 3 * pad;
    *height = n * row + pad;
}

/* A boxed legend with its top-left corner at pixel (x, y), anywhere on the canvas. */
PLOT_DEF void plot_legend_at(plot_axes *ax, double x, double y, const plot_legend_entry *entries, size_t n) {
    plot_canvas *c = ax->canvas;
    double s = ax->text_scale, row = plot_text_height(s) + 12, swatch = 34, pad = 10;
    double w, h;
    size_t i;
    plot_legend_size(ax, entries, n, &w, &h);
    plot_fill_rect(c, x, y, x + w, y + h, plot_rgba(255, 255, 255, 232));
    plot_line(c, x + 0.5, y + 0.5, x + w - 0.5, y + 0.5, 1.0, plot_rgba(0, 0, 0, 90));
    plot_line(c, x + 0.5, y + h - 0.5, x + w - 0.5, y + h - 0.5, 1.0, plot_rgba(0, 0, 0, 90));
    plot_line(c, x + 0.5, y + 0.5, x + 0.5, y + h - 0.5, 1.0, plot_rgba(0, 0, 0, 90));
    plot_line(c, x + w - 0.5, y + 0.5, x + w - 0.5, y + h - 0.5, 1.0, plot_rgba(0, 0, 0, 90));
    for (i = 0; i < n; ++i) {
        double cy = y + pad * 0.5 + row * (i + 0.5), sx = x + pad;
        const plot_legend_entry *e = &entries[i];
        switch (e->kind) {
        case PLOT_LEGEND_LINE:
            plot_line(c, sx, cy, sx + swatch, cy, 3.0, e->color);
            break;
        case PLOT_LEGEND_DASHED:
            plot_dashed_line(c, sx, cy, sx + swatch, cy, 2.5, 8.0, 5.0, e->color);
            break;
        case PLOT_LEGEND_MARKER:
            plot_marker_at(c, sx + swatch * 0.5, cy, e->marker, 11.0, e->color);
            break;
        case PLOT_LEGEND_BAND:
            plot_fill_rect(c, sx, cy - row * 0.35, sx + swatch, cy + row * 0.35, e->color);
            break;
        }
        plot_text_aligned(c, sx + swatch + pad, cy, e->label, s, 0, 1, ax->text);
    }
}

/* A boxed legend inside a corner of the area: corner 0 top-left, 1 top-right, 2 bottom-left,
   3 bottom-right. */
PLOT_DEF void plot_legend(plot_axes *ax, const plot_legend_entry *entries, size_t n, int corner) {
    double w, h;
    plot_legend_size(ax, entries, n, &w, &h);
    plot_legend_at(ax, (corner & 1) ? ax->right - 12 - w : ax->left + 12,
                   (corner & 2) ? ax->bottom - 12 - h : ax->top + 12, entries, n);
}

/* ---- output ------------------------------------------------------------------------------ */

/* Encodes in memory, then writes the file whole or not at all (examples/cli.h). Returns 1 on
   success; on failure a message naming the path is printed and any old file is untouched. */
PLOT_DEF int plot_write_png(const plot_canvas *c, const char *path) {
    int length = 0, failed;
    unsigned char *png = stbi_write_png_to_mem(c->pixels, c->width * 4, c->width, c->height, 4, &length);
    if (!png) {
        fprintf(stderr, "%s: cannot encode the image\n", path);
        return 0;
    }
    failed = cli_write_file(path, png, (size_t)length);
    STBIW_FREE(png);
    return !failed;
}

#endif /* SAFERL_EXAMPLES_PLOT_H */
