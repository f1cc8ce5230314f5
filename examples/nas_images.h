// SPDX-License-Identifier: MIT OR Unlicense
/* nas_images.h - reads a folder of images for examples/nas_search (not part of the library)

   The layout is one sub-folder per class, PNG or JPEG files inside:
      DIR/cat/001.png  DIR/cat/002.jpg  DIR/dog/...
   Classes are the sub-folders in name order; files are read in name order. Every image is
   decoded with stb_image (Debian's libstb-dev) to 1 or 3 channels, then either required to
   have the first image's size or, with resize > 0, resized to resize x resize (bilinear).
   Pixels become planar floats (channels, height, width) scaled to [-1, 1].

   A file that cannot be decoded, an image of another size (without resize) or a folder with
   fewer than two classes is an error naming the file: nothing is skipped silently. Files
   whose names start with '.' are ignored. In the one translation unit that includes this,
   define STB_IMAGE_IMPLEMENTATION first (the example does). POSIX (dirent.h). */
#ifndef SAFERL_EXAMPLES_NAS_IMAGES_H
#define SAFERL_EXAMPLES_NAS_IMAGES_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__) || defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#endif
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#include "stb_image.h"
#if defined(__GNUC__) || defined(__clang__)
#pragma GCC diagnostic pop
#endif

typedef struct nas_image_set {
    int count, channels, height, width, classes;
    float *pixels;        /* (count, channels, height, width) */
    int *labels;          /* (count) */
    char class_names[64][64];
    char error[1200];     /* set when a load fails */
} nas_image_set;

static int nas__compare_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* sorted entry names of a folder (dirs or files), NULL on error; *n the count */
static char **nas__list(const char *path, int want_dirs, int *n) {
    DIR *dir = opendir(path);
    struct dirent *entry;
    char **names = NULL, full[1024];
    int cap = 0;
    *n = 0;
    if (!dir) return NULL;
    while ((entry = readdir(dir)) != NULL) {
        DIR *probe;
        int is_dir;
        if (entry->d_name[0] == '.') continue;
        snprintf(full, sizeof full, "%s/%s", path, entry->d_name);
        probe = opendir(full);
        is_dir = probe != NULL;
        if (probe) closedir(probe);
        if (is_dir != want_dirs) continue;
        if (*n == cap) {
            char **grown;
            cap = cap ? 2 * cap : 16;
            grown = (char **)realloc(names, (size_t)cap * sizeof *names);
            if (!grown) break;
            names = grown;
        }
        names[(*n)++] = strdup(entry->d_name);
    }
    closedir(dir);
    if (!names) names = (char **)calloc(1, sizeof *names);
    qsort(names, (size_t)*n, sizeof *names, nas__compare_names);
    return names;
}

static void nas__free_list(char **names, int n) {
    int i;
    for (i = 0; i < n; ++i) free(names[i]);
    free(names);
}

/* bilinear resize of interleaved 8-bit pixels into planar floats in [-1, 1] */
static void nas__resize_into(const unsigned char *src, int sw, int sh, int channels, float *dst, int dw, int dh) {
    int c, y, x;
    for (c = 0; c < channels; ++c)
        for (y = 0; y < dh; ++y)
            for (x = 0; x < dw; ++x) {
                double fy = dh > 1 ? (double)y * (sh - 1) / (dh - 1) : 0.0, fx = dw > 1 ? (double)x * (sw - 1) / (dw - 1) : 0.0;
                int y0 = (int)fy, x0 = (int)fx, y1 = y0 + 1 < sh ? y0 + 1 : y0, x1 = x0 + 1 < sw ? x0 + 1 : x0;
                double wy = fy - y0, wx = fx - x0;
                double v = (1 - wy) * ((1 - wx) * src[(y0 * sw + x0) * channels + c] + wx * src[(y0 * sw + x1) * channels + c]) +
                           wy * ((1 - wx) * src[(y1 * sw + x0) * channels + c] + wx * src[(y1 * sw + x1) * channels + c]);
                dst[((size_t)c * dh + y) * dw + x] = (float)(v / 127.5 - 1.0);
            }
}

/* Loads DIR; gray = 1 decodes to one channel, else three. Returns 0 or -1 with set->error. */
static int nas_image_set_load(nas_image_set *set, const char *root, int resize, int gray) {
    char **classes, **files, path[1024];
    int n_classes, c, i, cap = 0;
    memset(set, 0, sizeof *set);
    set->channels = gray ? 1 : 3;
    classes = nas__list(root, 1, &n_classes);
    if (!classes) { snprintf(set->error, sizeof set->error, "%s: cannot open the folder", root); return -1; }
    if (n_classes < 2 || n_classes > 64) {
        snprintf(set->error, sizeof set->error, "%s: need 2 to 64 class sub-folders, found %d", root, n_classes);
        nas__free_list(classes, n_classes);
        return -1;
    }
    set->classes = n_classes;
    for (c = 0; c < n_classes; ++c) {
        int n_files;
        snprintf(set->class_names[c], sizeof set->class_names[c], "%s", classes[c]);
        snprintf(path, sizeof path, "%s/%s", root, classes[c]);
        files = nas__list(path, 0, &n_files);
        for (i = 0; files && i < n_files; ++i) {
            int w, h, got;
            unsigned char *data;
            snprintf(path, sizeof path, "%s/%s/%s", root, classes[c], files[i]);
            data = stbi_load(path, &w, &h, &got, set->channels);
            if (!data) {
                snprintf(set->error, sizeof set->error, "%s: cannot decode image (%s)", path, stbi_failure_reason());
                goto fail;
            }
            if (set->count == 0) {
                set->width = resize > 0 ? resize : w;
                set->height = resize > 0 ? resize : h;
            } else if (resize <= 0 && (w != set->width || h != set->height)) {
                snprintf(set->error, sizeof set->error, "%s: image is %dx%d, expected %dx%d like the first (use --resize N)",
                         path, w, h, set->width, set->height);
                stbi_image_free(data);
                goto fail;
            }
            if (set->count == cap) {
                size_t per = (size_t)set->channels * set->width * set->height;
                float *grown_pixels;
                int *grown_labels;
                cap = cap ? 2 * cap : 64;
                grown_pixels = (float *)realloc(set->pixels, (size_t)cap * per * sizeof(float));
                grown_labels = (int *)realloc(set->labels, (size_t)cap * sizeof(int));
                if (grown_pixels) set->pixels = grown_pixels;
                if (grown_labels) set->labels = grown_labels;
                if (!grown_pixels || !grown_labels) {
                    snprintf(set->error, sizeof set->error, "%s: out of memory", path);
                    stbi_image_free(data);
                    goto fail;
                }
            }
            nas__resize_into(data, w, h, set->channels,
                             set->pixels + (size_t)set->count * set->channels * set->width * set->height, set->width,
                             set->height);
            set->labels[set->count++] = c;
            stbi_image_free(data);
        }
        if (files) nas__free_list(files, n_files);
        files = NULL;
        continue;
    fail:
        if (files) nas__free_list(files, n_files);
        nas__free_list(classes, n_classes);
        return -1;
    }
    nas__free_list(classes, n_classes);
    if (set->count < 4) {
        snprintf(set->error, sizeof set->error, "%s: fewer than 4 images", root);
        return -1;
    }
    return 0;
}

static void nas_image_set_free(nas_image_set *set) {
    free(set->pixels);
    free(set->labels);
    set->pixels = NULL;
    set->labels = NULL;
}

#endif
