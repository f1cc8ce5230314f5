// SPDX-License-Identifier: MIT OR Unlicense
/* libFuzzer target: saferl_gp_csv_parse (what examples/gp_predict and the web page read), and
   a GP built from what it accepts: the last column as y, the others as x.

   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. tests/fuzz/fuzz_gp_csv.c -o build/fuzz_gp_csv -lm
   build/fuzz_gp_csv -max_total_time=15 build/fuzz_corpus/gp_csv tests/fuzz/corpus/gp_csv

   The input is not NUL-terminated, so the sanitizers catch any read past the length. Each
   invariant that fails traps. */
#ifndef FUZZ_LINKED_IMPLEMENTATION /* the Makefile links it in, compiled once per header */
#define SAFERL_GP_IMPLEMENTATION
#endif
#include "saferl_gp.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(x)                    \
    do {                            \
        if (!(x)) __builtin_trap(); \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *text = (const char *)data;
    uint32_t rows = 0, columns = 0, rows2 = 0, columns2 = 0, lines = 1, i;
    saferl_gp_csv_error error, error2;
    saferl_result r, r2;
    double *values = NULL;
    size_t k;
    for (k = 0; k < size; ++k) lines += text[k] == '\n';
    r = saferl_gp_csv_parse(text, size, NULL, 0, &rows, &columns, &error);
    CHECK(r == SAFERL_ERR_BUFFER_TOO_SMALL || r == SAFERL_ERR_NO_DATA || r == SAFERL_ERR_PARSE ||
          r == SAFERL_ERR_NOT_FINITE);
    CHECK(rows <= lines);
    if (r == SAFERL_ERR_PARSE || r == SAFERL_ERR_NOT_FINITE) {
        CHECK(error.line >= 1 && error.line <= lines);
        CHECK(error.column >= 1 && error.column <= size + 1);
        CHECK(error.reason && error.reason[0]);
        CHECK(error.code == r);
        return 0;
    }
    if (r == SAFERL_ERR_NO_DATA) return 0;
    CHECK(rows >= 1 && columns >= 1);
    values = (double *)malloc((size_t)rows * columns * sizeof(double));
    if (!values) return 0;
    r2 = saferl_gp_csv_parse(text, size, values, (size_t)rows * columns, &rows2, &columns2, &error2);
    CHECK(r2 == SAFERL_OK && rows2 == rows && columns2 == columns);
    for (k = 0; k < (size_t)rows * columns; ++k) CHECK(isfinite(values[k]));
    if (columns >= 2 && columns <= 9 && rows <= 48) {
        /* a GP on the parsed numbers: set_data, an append, predictions */
        uint32_t d = columns - 1, n = rows;
        double x[48 * 8], y[48], mean[48], var[48], ls = 1.0, largest = 0.0;
        saferl_gp gp;
        saferl_gp_desc desc;
        for (i = 0; i < n; ++i) {
            memcpy(x + (size_t)i * d, values + (size_t)i * columns, d * sizeof(double));
            y[i] = values[(size_t)i * columns + d];
        }
        for (k = 0; k < (size_t)rows * columns; ++k)
            if (fabs(values[k]) > largest) largest = fabs(values[k]);
        memset(&desc, 0, sizeof desc);
        desc.dim = d;
        desc.capacity = n + 1;
        desc.lengthscale = &ls;
        desc.noise_variance = 1e-6;
        desc.kernel = (saferl_gp_kernel)(size % 3);
        /* huge but finite targets may overflow in the algebra: refused as NOT_FINITE (the
           header's notes), never below 1e100, where alpha stays far inside the double range */
        if (saferl_gp_create(&gp, &desc) == SAFERL_OK) {
            const int huge = largest >= 1e100;
            r = saferl_gp_set_data(&gp, x, y, n);
            CHECK(r == SAFERL_OK || r == SAFERL_ERR_NOT_POSITIVE_DEFINITE || (huge && r == SAFERL_ERR_NOT_FINITE));
            if (r == SAFERL_OK) {
                CHECK(gp.count == n);
                r = saferl_gp_add(&gp, x, y[0]); /* a duplicate of the first point */
                CHECK(r == SAFERL_OK || r == SAFERL_ERR_NOT_POSITIVE_DEFINITE || (huge && r == SAFERL_ERR_NOT_FINITE));
                r = saferl_gp_predict(&gp, x, n, mean, var);
                CHECK(r == SAFERL_OK || (huge && r == SAFERL_ERR_NOT_FINITE));
                for (i = 0; r == SAFERL_OK && i < n; ++i) {
                    CHECK(!(var[i] < 0.0));
                    /* moderate numbers give finite answers */
                    if (largest < 1e100) CHECK(isfinite(mean[i]) && isfinite(var[i]));
                }
            }
            saferl_gp_destroy(&gp);
        }
    }
    free(values);
    return 0;
}
