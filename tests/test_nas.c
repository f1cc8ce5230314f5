/* Unit tests of saferl_nas.h: every layer's backward against central finite differences,
   the whole supernet's parameter and gate gradients likewise, the strategies' update rules
   against closed forms written out by hand, the advantage estimator's bias and variance on a
   separable loss whose exact gradient is known, and the toy task. Runs natively (with
   the counting allocator), under sanitizers and under node as WebAssembly: the same
   file, the same expectations. */
#include <float.h>

#include "saferl_test.h"

#define SAFERL_NAS_IMPLEMENTATION
#include "../saferl_nas.h"
SAFERL_TEST_CONTRACTION_AFTER_THE_HEADER
SAFERL_TEST_ROUND_EVERY_PRODUCT

/* ---- finite-difference helpers ----------------------------------------------------------- */

static void fill_normal(float *x, size_t n, saferl_rng *rng, double scale) {
    size_t i;
    for (i = 0; i < n; ++i) x[i] = (float)(scale * saferl_rng_normal(rng));
}

static double dot_f(const float *a, const float *b, size_t n) {
    double s = 0.0;
    size_t i;
    for (i = 0; i < n; ++i) s += (double)a[i] * b[i];
    return s;
}

/* the max over entries of |analytic - numeric| / max(1e-2, |numeric|) */
static double worst_relative(const float *analytic, const double *numeric, size_t n) {
    double worst = 0.0;
    size_t i;
    for (i = 0; i < n; ++i) {
        double d = fabs(analytic[i] - numeric[i]) / (fabs(numeric[i]) > 1e-2 ? fabs(numeric[i]) : 1e-2);
        if (d > worst) worst = d;
    }
    return worst;
}

/* ---- operations, strings, cells ----------------------------------------------------------- */

TEST(op_names_round_trip) {
    int i;
    for (i = 0; i < SAFERL_NAS_OP_KINDS; ++i) {
        saferl_nas_op op = (saferl_nas_op)-1; /* not an operation: the parse must write it */
        const char *name = saferl_nas_op_name((saferl_nas_op)i);
        CHECK(saferl_nas_op_from_name(name, strlen(name), &op) == SAFERL_OK);
        CHECK((int)op == i);
    }
    {
        saferl_nas_op op = SAFERL_NAS_SKIP_CONNECT;
        CHECK(saferl_nas_op_from_name("conv_3x3", 8, &op) == SAFERL_ERR_PARSE);
        CHECK(op == SAFERL_NAS_SKIP_CONNECT);
        CHECK(saferl_nas_op_from_name("none_", 4, &op) == SAFERL_OK && op == SAFERL_NAS_NONE);
    }
    CHECK(strcmp(saferl_nas_op_name((saferl_nas_op)99), "?") == 0);
}

TEST(edges_follow_the_nb201_order) {
    int from, to;
    static const int expect_from[6] = {0, 0, 1, 0, 1, 2}, expect_to[6] = {1, 2, 2, 3, 3, 3};
    int e;
    CHECK(saferl_nas_edge_count(4) == 6);
    CHECK(saferl_nas_edge_count(8) == 28);
    CHECK(saferl_nas_edge_count(1) == 0);
    for (e = 0; e < 6; ++e) {
        saferl_nas_edge_nodes(e, &from, &to);
        CHECK(from == expect_from[e] && to == expect_to[e]);
    }
}

TEST(arch_strings_parse_and_print) {
    /* NAS-Bench-201's index-9930 cell, from its README */
    const char *text = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|";
    saferl_nas_op ops[6], back[6];
    char out[256];
    size_t length;
    int nodes = 0;
    saferl_nas_parse_error error = {0, NULL};
    CHECK(saferl_nas_arch_string_parse(text, strlen(text), ops, 6, &nodes, &error) == SAFERL_OK);
    CHECK(nodes == 4);
    CHECK(ops[0] == SAFERL_NAS_NOR_CONV_3X3 && ops[3] == SAFERL_NAS_SKIP_CONNECT && ops[5] == SAFERL_NAS_NOR_CONV_3X3);
    CHECK(saferl_nas_arch_string_format(ops, 4, out, sizeof out, &length) == SAFERL_OK);
    CHECK(strcmp(out, text) == 0 && length == strlen(text));
    /* every code round-trips through the string */
    {
        int32_t code;
        for (code = 0; code < 15625; code += 97) {
            saferl_nas_nb201_decode(code, ops);
            CHECK(saferl_nas_nb201_code(ops) == code);
            saferl_nas_arch_string_format(ops, 4, out, sizeof out, NULL);
            CHECK(saferl_nas_arch_string_parse(out, strlen(out), back, 6, &nodes, NULL) == SAFERL_OK);
            CHECK(memcmp(ops, back, sizeof ops) == 0);
        }
    }
    /* a two-node cell and trailing newline */
    CHECK(saferl_nas_arch_string_parse("|none~0|\n", 9, ops, 6, &nodes, NULL) == SAFERL_OK && nodes == 2 &&
          ops[0] == SAFERL_NAS_NONE);
    /* too small to hold: nothing printed past the capacity */
    CHECK(saferl_nas_arch_string_format(back, 4, out, 10, &length) == SAFERL_ERR_BUFFER_TOO_SMALL);
    CHECK(strlen(out) == 9 && length > 10);
}

TEST(arch_string_errors_have_columns) {
    saferl_nas_op ops[6] = {SAFERL_NAS_SKIP_CONNECT, SAFERL_NAS_SKIP_CONNECT, SAFERL_NAS_SKIP_CONNECT,
                            SAFERL_NAS_SKIP_CONNECT, SAFERL_NAS_SKIP_CONNECT, SAFERL_NAS_SKIP_CONNECT};
    saferl_nas_parse_error error = {0, NULL};
    int nodes = -1;
    const char *unknown = "|nor_conv_3x3~0|+|conv_5x5~0|none~1|";
    CHECK(saferl_nas_arch_string_parse(unknown, strlen(unknown), ops, 6, &nodes, &error) == SAFERL_ERR_PARSE);
    CHECK(error.column == 19 && strstr(error.reason, "unknown operation") != NULL);
    CHECK(nodes == -1 && ops[0] == SAFERL_NAS_SKIP_CONNECT); /* nothing written */
    CHECK(saferl_nas_arch_string_parse("|none~1|", 8, ops, 6, &nodes, &error) == SAFERL_ERR_PARSE);
    CHECK(error.column == 7);
    CHECK(saferl_nas_arch_string_parse("|none~0|+", 9, ops, 6, &nodes, &error) == SAFERL_ERR_PARSE);
    CHECK(error.column == 10);
    CHECK(saferl_nas_arch_string_parse("|none~0|+|none~0|", 17, ops, 6, &nodes, &error) == SAFERL_ERR_PARSE);
    CHECK(saferl_nas_arch_string_parse("none~0|", 7, ops, 6, &nodes, &error) == SAFERL_ERR_PARSE && error.column == 1);
    CHECK(saferl_nas_arch_string_parse("", 0, ops, 6, &nodes, &error) == SAFERL_ERR_PARSE);
    CHECK(saferl_nas_arch_string_parse("|none~0|x", 9, ops, 6, &nodes, &error) == SAFERL_ERR_PARSE && error.column == 9);
    CHECK(saferl_nas_arch_string_parse("|none~0|+|none~0|none~1|", 24, ops, 2, &nodes, &error) ==
          SAFERL_ERR_BUFFER_TOO_SMALL);
}

/* ---- layers against finite differences ------------------------------------------------------ */

/* loss = <r, conv(x)>; checks dweight, dbias and dinp (k odd, stride 1, same padding) */
static void conv_check(int B, int C, int H, int W, int OC, int k, int relu_input) {
    size_t nin = (size_t)B * C * H * W, nw = (size_t)OC * C * k * k, nout = (size_t)B * OC * H * W, i;
    float x[2 * 3 * 7 * 7], w[4 * 3 * 9], bias[4], out[2 * 4 * 7 * 7], r[2 * 4 * 7 * 7];
    float dx[2 * 3 * 7 * 7], dw[4 * 3 * 9], db[4], scratch[4096];
    int offsets[512];
    double num_x[2 * 3 * 7 * 7], num_w[4 * 3 * 9], num_b[4];
    CHECK(saferl_nas__conv_scratch_floats(C, H, W, OC, k) <= 4096 && saferl_nas__conv_offset_count(C, H, W, OC, k) <= 512);
    const float h = 1e-2f;
    saferl_rng rng;
    saferl_rng_seed(&rng, 11);
    fill_normal(x, nin, &rng, 1.0);
    fill_normal(w, nw, &rng, 0.5);
    fill_normal(bias, OC, &rng, 0.5);
    fill_normal(r, nout, &rng, 1.0);
    /* keep inputs away from ReLU's kink so the difference quotient is smooth */
    for (i = 0; i < nin; ++i) if (fabs(x[i]) < 0.05) x[i] = 0.1f;
    memset(dx, 0, sizeof dx); memset(dw, 0, sizeof dw); memset(db, 0, sizeof db);
    saferl_nas__conv2d_forward(out, x, w, bias, B, C, H, W, OC, k, relu_input, scratch, offsets);
    saferl_nas__conv2d_backward(dx, dw, db, r, x, w, B, C, H, W, OC, k, relu_input, scratch, offsets);
#define SAFERL_NAS_TEST_FD(array, count, numeric)                                                       \
    for (i = 0; i < (count); ++i) {                                                                     \
        float keep = array[i];                                                                          \
        double up, down;                                                                                \
        array[i] = keep + h;                                                                            \
        saferl_nas__conv2d_forward(out, x, w, bias, B, C, H, W, OC, k, relu_input, scratch, offsets);  \
        up = dot_f(out, r, nout);                                                                       \
        array[i] = keep - h;                                                                            \
        saferl_nas__conv2d_forward(out, x, w, bias, B, C, H, W, OC, k, relu_input, scratch, offsets);  \
        down = dot_f(out, r, nout);                                                                     \
        array[i] = keep;                                                                                \
        numeric[i] = (up - down) / (2.0 * h);                                                           \
    }
    SAFERL_NAS_TEST_FD(x, nin, num_x)
    SAFERL_NAS_TEST_FD(w, nw, num_w)
    SAFERL_NAS_TEST_FD(bias, (size_t)OC, num_b)
#undef SAFERL_NAS_TEST_FD
    CHECK(worst_relative(dx, num_x, nin) < 2e-2);
    CHECK(worst_relative(dw, num_w, nw) < 2e-2);
    CHECK(worst_relative(db, num_b, (size_t)OC) < 2e-2);
}

TEST(conv2d_backward_matches_finite_differences) {
    conv_check(2, 3, 5, 6, 4, 3, 1);   /* nor_conv_3x3 */
    conv_check(2, 3, 5, 5, 4, 1, 1);   /* nor_conv_1x1 */
    conv_check(1, 2, 7, 7, 3, 3, 0);   /* no ReLU, 7 wide */
    conv_check(2, 3, 4, 4, 2, 3, 0);   /* the stem */
    conv_check(1, 2, 3, 8, 3, 3, 1);   /* a row of 8: the 16-byte tile on its own */
}

TEST(small_layers_match_finite_differences) {
    enum { B = 2, C = 3, H = 4, W = 5, OC = 4, V = 5 };
    float x[B * C * H * W], out[B * C * H * W], r[B * C * H * W], dx[B * C * H * W];
    float w[OC * C], bias[OC], lo[B * OC], lr[B * OC], dw[OC * C], db[OC], dxl[B * C];
    float act[B * C * H * W], dact[B * C * H * W], logits[B * V], dlogits[B * V];
    double num[B * C * H * W];
    const float h = 1e-2f;
    int labels[B] = {3, 1};
    size_t i, n = (size_t)B * C * H * W;
    int kind;
    saferl_rng rng;
    saferl_rng_seed(&rng, 12);
    fill_normal(x, n, &rng, 1.0);
    fill_normal(r, n, &rng, 1.0);
    /* avg pool 3x3 */
    memset(dx, 0, sizeof dx);
    saferl_nas__avgpool_backward(dx, r, B, C, H, W, act); /* act: scratch here */
    for (i = 0; i < n; ++i) {
        float keep = x[i];
        double up, down;
        x[i] = keep + h; saferl_nas__avgpool_forward(out, x, B, C, H, W); up = dot_f(out, r, n);
        x[i] = keep - h; saferl_nas__avgpool_forward(out, x, B, C, H, W); down = dot_f(out, r, n);
        x[i] = keep;
        num[i] = (up - down) / (2.0 * h);
    }
    CHECK(worst_relative(dx, num, n) < 1e-2);
    /* the corner averages 4 values, the middle 9: padding is not counted */
    saferl_nas__avgpool_forward(out, x, B, C, H, W);
    CHECK_NEAR(out[0], (x[0] + x[1] + x[W] + x[W + 1]) / 4.0, 1e-6);
    /* global average pool */
    memset(dx, 0, sizeof dx);
    saferl_nas__global_avgpool_backward(dx, r, B, C, H * W);
    for (i = 0; i < n; ++i) CHECK_NEAR(dx[i], r[i / (H * W)] / (double)(H * W), 1e-7);
    /* linear: loss = <rl, x w^T + b> over (B,C) inputs */
    fill_normal(w, OC * C, &rng, 1.0);
    fill_normal(bias, OC, &rng, 1.0);
    fill_normal(lr, B * OC, &rng, 1.0);
    memset(dw, 0, sizeof dw); memset(db, 0, sizeof db); memset(dxl, 0, sizeof dxl);
    saferl_nas__linear_backward(dxl, dw, db, lr, x, w, B, C, OC);
    for (i = 0; i < (size_t)(B * C); ++i) {
        float keep = x[i];
        double up, down;
        x[i] = keep + h; saferl_nas__linear_forward(lo, x, w, bias, B, C, OC); up = dot_f(lo, lr, B * OC);
        x[i] = keep - h; saferl_nas__linear_forward(lo, x, w, bias, B, C, OC); down = dot_f(lo, lr, B * OC);
        x[i] = keep;
        num[i] = (up - down) / (2.0 * h);
    }
    CHECK(worst_relative(dxl, num, B * C) < 1e-2);
    for (i = 0; i < (size_t)(OC * C); ++i) {
        float keep = w[i];
        double up, down;
        w[i] = keep + h; saferl_nas__linear_forward(lo, x, w, bias, B, C, OC); up = dot_f(lo, lr, B * OC);
        w[i] = keep - h; saferl_nas__linear_forward(lo, x, w, bias, B, C, OC); down = dot_f(lo, lr, B * OC);
        w[i] = keep;
        num[i] = (up - down) / (2.0 * h);
    }
    CHECK(worst_relative(dw, num, OC * C) < 1e-2);
    for (i = 0; i < OC; ++i) CHECK_NEAR(db[i], lr[i] + lr[OC + i], 1e-6);
    /* activations: relu, tanh, sigmoid */
    for (i = 0; i < n; ++i) if (fabs(x[i]) < 0.05) x[i] = 0.2f;
    for (kind = 0; kind < 3; ++kind) {
        memcpy(act, x, sizeof act);
        saferl_nas__activation_forward(act, n, kind);
        saferl_nas__activation_backward(dact, r, act, n, kind);
        for (i = 0; i < n; ++i) {
            float up = x[i] + h, down = x[i] - h;
            saferl_nas__activation_forward(&up, 1, kind);
            saferl_nas__activation_forward(&down, 1, kind);
            num[i] = r[i] * ((double)up - down) / (2.0 * h);
        }
        CHECK(worst_relative(dact, num, n) < 1e-2);
    }
    /* softmax cross-entropy */
    fill_normal(logits, B * V, &rng, 1.0);
    {
        float probs[B * V];
        double base;
        memcpy(probs, logits, sizeof probs);
        base = saferl_nas__softmax_crossentropy_forward(probs, labels, B, V, NULL);
        saferl_nas__softmax_crossentropy_backward(dlogits, probs, labels, B, V);
        for (i = 0; i < (size_t)(B * V); ++i) {
            float keep = logits[i];
            double up, down;
            memcpy(probs, logits, sizeof probs); probs[i] = keep + h;
            up = saferl_nas__softmax_crossentropy_forward(probs, labels, B, V, NULL);
            memcpy(probs, logits, sizeof probs); probs[i] = keep - h;
            down = saferl_nas__softmax_crossentropy_forward(probs, labels, B, V, NULL);
            num[i] = (up - down) / (2.0 * h);
        }
        CHECK(worst_relative(dlogits, num, B * V) < 1e-2);
        CHECK(base > 0.0);
    }
}

/* |computed - exact| <= gamma_(n+2) * sum |terms| for a float sum of n products (Higham
   (3.5); + 2 for the ReLU-masked add into the accumulated gradient); 0 if within, else 1 */
static int outside_sum_bound(float computed, double exact, double magnitude, int n) {
    const double u = 0.5 * FLT_EPSILON, gamma = (n + 2) * u / (1.0 - (n + 2) * u);
    return fabs((double)computed - exact) > gamma * magnitude + 1e-37;
}

TEST(conv2d_matches_exact_sums) {
    /* the direct convolution (forward, weight gradient, input gradient) against sums in
       double over the definition, on 60 seeded random shapes: widths 1-20 (whole 16- and
       8-wide tiles, the flattened rows of other widths, single columns), k 1 or 3, with and
       without the leading ReLU, gradients accumulated onto nonzero values. Each element
       must lie within the rounding bound of its own sum: a wrong tap or pixel is off by a
       whole term. */
    static float x[2 * 5 * 7 * 20], w[5 * 5 * 9], bias[5], out[2 * 5 * 7 * 20], dout[2 * 5 * 7 * 20],
        dx[2 * 5 * 7 * 20], dw[5 * 5 * 9], scratch[8192];
    static double dx0[2 * 5 * 7 * 20], dw0[5 * 5 * 9];
    static int offsets[1024];
    int trial, bad = 0;
    saferl_rng rng;
    saferl_rng_seed(&rng, 24);
    for (trial = 0; trial < 60; ++trial) {
        const int B = 1 + (int)saferl_rng_bounded(&rng, 2), C = 1 + (int)saferl_rng_bounded(&rng, 5);
        const int OC = 1 + (int)saferl_rng_bounded(&rng, 5), H = 1 + (int)saferl_rng_bounded(&rng, 7);
        const int W = 1 + (int)saferl_rng_bounded(&rng, 20), k = saferl_rng_bounded(&rng, 2) ? 3 : 1;
        const int relu = (int)saferl_rng_bounded(&rng, 2), pad = k / 2, HW = H * W;
        int b, o, c, y, xx, ki, kj, i;
        CHECK(saferl_nas__conv_scratch_floats(C, H, W, OC, k) <= 8192 && saferl_nas__conv_offset_count(C, H, W, OC, k) <= 1024);
        fill_normal(x, (size_t)B * C * HW, &rng, 1.0);
        fill_normal(w, (size_t)OC * C * k * k, &rng, 1.0);
        fill_normal(bias, (size_t)OC, &rng, 1.0);
        fill_normal(dout, (size_t)B * OC * HW, &rng, 1.0);
        fill_normal(dx, (size_t)B * C * HW, &rng, 1.0);
        fill_normal(dw, (size_t)OC * C * k * k, &rng, 1.0);
        for (i = 0; i < B * C * HW; ++i) dx0[i] = dx[i];
        for (i = 0; i < OC * C * k * k; ++i) dw0[i] = dw[i];
        saferl_nas__conv2d_forward(out, x, w, bias, B, C, H, W, OC, k, relu, scratch, offsets);
        saferl_nas__conv2d_backward(dx, dw, NULL, dout, x, w, B, C, H, W, OC, k, relu, scratch, offsets);
#define INPUT(b_, c_, y_, x_) (((y_) < 0 || (y_) >= H || (x_) < 0 || (x_) >= W) ? 0.0 : \
        (relu && !(x[(((b_) * C + (c_)) * H + (y_)) * W + (x_)] > 0.0f) ? 0.0 : (double)x[(((b_) * C + (c_)) * H + (y_)) * W + (x_)]))
        for (b = 0; b < B; ++b)
            for (o = 0; o < OC; ++o)
                for (y = 0; y < H; ++y)
                    for (xx = 0; xx < W; ++xx) { /* the output: C k k products, then the bias */
                        double sum = 0.0, mag = 0.0;
                        for (c = 0; c < C; ++c)
                            for (ki = 0; ki < k; ++ki)
                                for (kj = 0; kj < k; ++kj) {
                                    double t = w[((o * C + c) * k + ki) * k + kj] * INPUT(b, c, y + ki - pad, xx + kj - pad);
                                    sum += t, mag += fabs(t);
                                }
                        bad += outside_sum_bound(out[((b * OC + o) * H + y) * W + xx], sum + bias[o], mag + fabs(bias[o]),
                                                 C * k * k + 1);
                    }
        for (o = 0; o < OC; ++o) /* the weight gradient: B H W products onto the old value */
            for (c = 0; c < C; ++c)
                for (ki = 0; ki < k; ++ki)
                    for (kj = 0; kj < k; ++kj) {
                        const int at = ((o * C + c) * k + ki) * k + kj;
                        double sum = dw0[at], mag = fabs(dw0[at]);
                        for (b = 0; b < B; ++b)
                            for (y = 0; y < H; ++y)
                                for (xx = 0; xx < W; ++xx) {
                                    double t = dout[((b * OC + o) * H + y) * W + xx] * INPUT(b, c, y + ki - pad, xx + kj - pad);
                                    sum += t, mag += fabs(t);
                                }
                        bad += outside_sum_bound(dw[at], sum, mag, B * HW + 1);
                    }
        for (b = 0; b < B; ++b) /* the input gradient: OC k k products, masked, onto the old value */
            for (c = 0; c < C; ++c)
                for (y = 0; y < H; ++y)
                    for (xx = 0; xx < W; ++xx) {
                        const int at = ((b * C + c) * H + y) * W + xx;
                        double sum = 0.0, mag = 0.0;
                        for (o = 0; o < OC; ++o)
                            for (ki = 0; ki < k; ++ki)
                                for (kj = 0; kj < k; ++kj) {
                                    const int oy = y - ki + pad, ox = xx - kj + pad;
                                    double t;
                                    if (oy < 0 || oy >= H || ox < 0 || ox >= W) continue;
                                    t = (double)w[((o * C + c) * k + ki) * k + kj] * dout[((b * OC + o) * H + oy) * W + ox];
                                    sum += t, mag += fabs(t);
                                }
                        if (relu && !(x[at] > 0.0f)) sum = mag = 0.0;
                        bad += outside_sum_bound(dx[at], dx0[at] + sum, fabs(dx0[at]) + mag, OC * k * k + 1);
                    }
#undef INPUT
    }
    CHECK(bad == 0);
}

TEST(gemm_variants_match_the_definition) {
    /* the tiled products against the plain loops, bit for bit: each element starts from C
       (beta 0 or 1) and adds a_ip b_pj for p ascending. Shapes straddle the tiles (4 x 8,
       6 x 16) and the 64-row packed panels of the transposed case. With dispatch, the
       portable and the AVX2 instantiations are compared with each other as well. */
    static const int shapes[][3] = {{3, 5, 4}, {16, 256, 144}, {7, 17, 70}, {13, 33, 129}, {1, 1, 1}};
    static float a[200 * 300], b[300 * 300], c[200 * 300], ref[200 * 300];
#if defined(SAFERL_NAS__DISPATCH)
    static float bt[300 * 300];
    static int a_off[300], v_off[300];
#endif
    int s, i, j, p, ta, tb;
    saferl_rng rng;
    saferl_rng_seed(&rng, 5);
    fill_normal(a, sizeof a / sizeof a[0], &rng, 1.0);
    fill_normal(b, sizeof b / sizeof b[0], &rng, 1.0);
    for (s = 0; s < (int)(sizeof shapes / sizeof shapes[0]); ++s) {
        const int m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
        for (ta = 0; ta < 2; ++ta)
            for (tb = 0; tb < 2; ++tb) {
                const int lda = ta ? m + 1 : k + 2, ldb = tb ? k + 3 : n + 1, ldc = n + 2; /* strided */
                int beta, bad = 0;
                for (beta = 0; beta < 2; ++beta) {
                    for (i = 0; i < m; ++i)
                        for (j = 0; j < n; ++j) {
                            float sum = beta ? 0.25f * (float)(i - j) : 0.0f;
                            for (p = 0; p < k; ++p)
                                sum += (ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]);
                            ref[i * ldc + j] = sum;
                            c[i * ldc + j] = beta ? 0.25f * (float)(i - j) : 12345.0f;
                        }
                    saferl_nas__gemm(ta, tb, m, n, k, a, lda, b, ldb, (float)beta, c, ldc);
                    for (i = 0; i < m; ++i)
                        for (j = 0; j < n; ++j) bad += memcmp(&c[i * ldc + j], &ref[i * ldc + j], sizeof(float)) != 0;
#if defined(SAFERL_NAS__DISPATCH)
                    if (saferl_nas__have_avx2()) { /* the other instantiation, called directly */
                        for (i = 0; i < m; ++i)
                            for (j = 0; j < n; ++j) c[i * ldc + j] = beta ? 0.25f * (float)(i - j) : 0.0f;
                        for (p = 0; p < k; ++p) a_off[p] = p * (ta ? lda : 1), v_off[p] = p * (tb ? n : ldb);
                        if (tb) /* B^T written out: the kernel reads rows of V */
                            for (p = 0; p < k; ++p)
                                for (j = 0; j < n; ++j) bt[p * n + j] = b[j * ldb + p];
                        saferl_nas__matmul_acc_portable(c, ldc, a, ta ? 1 : lda, NULL, a_off, tb ? bt : b, v_off, m, k, n, 0);
                        for (i = 0; i < m; ++i)
                            for (j = 0; j < n; ++j) bad += memcmp(&c[i * ldc + j], &ref[i * ldc + j], sizeof(float)) != 0;
                    }
#endif
                }
#if defined(SAFERL_USE_BLIS)
                (void)bad; /* BLIS sums in its own order: the supernet tests bound it */
#else
                CHECK(bad == 0);
#endif
            }
    }
}

/* FNV-1a over the bit patterns of n floats */
static uint64_t float_bits_hash(const float *x, size_t n, uint64_t hash) {
    size_t i, j;
    for (i = 0; i < n; ++i) {
        unsigned char bytes[sizeof(float)];
        memcpy(bytes, &x[i], sizeof bytes);
        for (j = 0; j < sizeof bytes; ++j) hash = (hash ^ bytes[j]) * 1099511628211u;
    }
    return hash;
}

TEST(conv_bits_are_the_same_on_every_build) {
    /* A nor_conv_3x3 forward and backward on the supernet's shape (16 -> 16 channels, 8 x 8,
       2 images), data drawn from the bit-identical uniform stream: the output and both
       gradients hash to one value whether the products ran on SSE, AVX2 or wasm simd128
       tiles (or the plain loops on compilers without vector extensions). No libm is involved,
       so any build that differs sums in a different order. The constants were computed by the
       native build; the wasm32 run of this suite checks them there. The output and the weight
       gradient hash to what the im2col products of 0.2.0's first version gave (the direct
       convolution adds the same terms in the same order); the input gradient is one sum per
       element over (o, ki, kj) now, where col2im added k * k partial sums, so its bits are new
       (conv2d_input_gradient_matches_a_reference bounds it against exact sums). */
    enum { B = 2, C = 16, H = 8, W = 8, OC = 16, K = 3, CKK = C * K * K, HW = H * W };
    static float x[B * C * HW], w[OC * CKK], out[B * OC * HW], dout[B * OC * HW], dx[B * C * HW], dw[OC * CKK],
        scratch[16384];
    static int offsets[1024];
    size_t i;
    uint64_t forward_and_weights = 14695981039346656037u, input_gradient = 14695981039346656037u;
    saferl_rng rng;
    CHECK(saferl_nas__conv_scratch_floats(C, H, W, OC, K) <= 16384 && saferl_nas__conv_offset_count(C, H, W, OC, K) <= 1024);
    saferl_rng_seed(&rng, 20);
    for (i = 0; i < sizeof x / sizeof x[0]; ++i) x[i] = (float)(2.0 * saferl_rng_uniform(&rng) - 1.0);
    for (i = 0; i < sizeof w / sizeof w[0]; ++i) w[i] = (float)(0.2 * saferl_rng_uniform(&rng) - 0.1);
    for (i = 0; i < sizeof dout / sizeof dout[0]; ++i) dout[i] = (float)(saferl_rng_uniform(&rng) - 0.5);
    memset(dx, 0, sizeof dx);
    memset(dw, 0, sizeof dw);
    saferl_nas__conv2d_forward(out, x, w, NULL, B, C, H, W, OC, K, 1, scratch, offsets);
    saferl_nas__conv2d_backward(dx, dw, NULL, dout, x, w, B, C, H, W, OC, K, 1, scratch, offsets);
    forward_and_weights = float_bits_hash(out, sizeof out / sizeof out[0], forward_and_weights);
    forward_and_weights = float_bits_hash(dw, sizeof dw / sizeof dw[0], forward_and_weights);
    input_gradient = float_bits_hash(dx, sizeof dx / sizeof dx[0], input_gradient);
    CHECK(forward_and_weights == 0xc8ff7c327daf3489u);
    CHECK(input_gradient == 0x5a253b404930d95au);
}

/* ---- the supernet -------------------------------------------------------------------------- */

static unsigned char net_memory[1 << 21];

static saferl_nas_net_desc image_desc(void) {
    saferl_nas_net_desc d;
    memset(&d, 0, sizeof d);
    d.kind = SAFERL_NAS_IMAGES;
    d.in_channels = 2;
    d.height = 5;
    d.width = 4;
    d.channels = 3;
    d.classes = 3;
    d.cell_count = 2;
    d.max_batch = 3;
    d.seed = 3;
    return d;
}

/* the supernet's loss as a function of one float of params or one gate */
static double net_loss(saferl_nas_net *net, const float *x, const int *y, int batch, const double *gates) {
    double loss = 0.0;
    saferl_nas_net_forward(net, x, y, batch, gates, &loss, NULL);
    return loss;
}

/* relative error of an analytic derivative against central differences in one gate or one
   parameter; the smaller of two step sizes' errors, since a ReLU kink inside one step
   spoils that quotient but not the other */
static double fd_error(saferl_nas_net *net, const float *x, const int *y, double *gates, double *gate,
                       float *param, double analytic) {
    static const double steps[2] = {1e-2, 2e-3};
    double best = HUGE_VAL;
    int s;
    for (s = 0; s < 2; ++s) {
        double up, down, num, err, h = steps[s];
        if (gate) {
            double keep = *gate;
            *gate = keep + h; up = net_loss(net, x, y, 3, gates);
            *gate = keep - h; down = net_loss(net, x, y, 3, gates);
            *gate = keep;
        } else {
            float keep = *param;
            *param = keep + (float)h; up = net_loss(net, x, y, 3, gates);
            *param = keep - (float)h; down = net_loss(net, x, y, 3, gates);
            *param = keep;
            h = ((double)(keep + (float)h) - (double)(keep - (float)h)) / 2.0; /* the step floats took */
        }
        num = (up - down) / (2.0 * h);
        err = fabs(num - analytic) / (fabs(num) > 1e-2 ? fabs(num) : 1e-2);
        if (err < best) best = err;
    }
    return best;
}

static void supernet_gradient_check(saferl_nas_net_desc desc, int dense) {
    saferl_nas_net net;
    saferl_rng rng;
    float x[3 * 40];
    int y[3] = {0, 2, 1}, e, k, checked = 0;
    double gates[6 * 5], gate_grad[6 * 5], loss, worst_gate = 0.0, worst_param = 0.0;
    size_t i;
    CHECK(saferl_nas_net_init(&net, &desc, net_memory, sizeof net_memory) == SAFERL_OK);
    saferl_rng_seed(&rng, 9);
    fill_normal(x, (size_t)3 * net.sample_size, &rng, 1.0);
    for (e = 0; e < 6; ++e)
        for (k = 0; k < 5; ++k)
            gates[e * 5 + k] = dense ? 0.2 + 0.1 * k : (k == (e + 1) % 5 || (e == 5 && k == 3) ? 1.0 : 0.0);
    CHECK(saferl_nas_net_forward(&net, x, y, 3, gates, &loss, NULL) == SAFERL_OK);
    CHECK(saferl_nas_net_backward(&net, gate_grad) == SAFERL_OK);
    /* gate gradients: central differences in double gates */
    for (i = 0; i < 30; ++i) {
        double keep = gates[i], err;
        if (keep == 0.0 || net.ops[i % 5] == SAFERL_NAS_NONE) continue;
        err = fd_error(&net, x, y, gates, &gates[i], NULL, gate_grad[i]);
        if (err > worst_gate) worst_gate = err;
        ++checked;
    }
    CHECK(checked >= 6);
    /* parameter gradients of every touched parameter, (re-run forward/backward first) */
    saferl_nas_net_forward(&net, x, y, 3, gates, &loss, NULL);
    saferl_nas_net_backward(&net, gate_grad);
    {
        float *analytic = net.grads;
        static float grads_copy[1 << 14];
        CHECK(net.param_count <= sizeof grads_copy / sizeof grads_copy[0]);
        memcpy(grads_copy, analytic, net.param_count * sizeof(float));
        size_t range, offset = 0, count = 0, j;
        for (range = 0; saferl_nas__touched_range(&net, range, &offset, &count); ++range)
            for (j = 0; j < count; j += 3) {
                double err = fd_error(&net, x, y, gates, NULL, &net.params[offset + j], grads_copy[offset + j]);
                if (err > worst_param) worst_param = err;
            }
    }
    printf("        %s %s: worst relative error gates %.2g, params %.2g\n",
           desc.kind == SAFERL_NAS_IMAGES ? "images" : "vectors", dense ? "dense" : "sparse", worst_gate, worst_param);
    CHECK(worst_gate < 3e-2);
    CHECK(worst_param < 5e-2);
}

TEST(supernet_gradients_match_finite_differences) {
    saferl_nas_net_desc d = image_desc();
    supernet_gradient_check(d, 0);
    supernet_gradient_check(d, 1);
    memset(&d, 0, sizeof d);
    d.kind = SAFERL_NAS_VECTORS;
    d.input_dim = 7;
    d.channels = 6;
    d.classes = 3;
    d.cell_count = 2;
    d.max_batch = 3;
    d.seed = 4;
    supernet_gradient_check(d, 0);
    supernet_gradient_check(d, 1);
}

TEST(gate_gradient_approximates_removing_the_edge) {
    /* AdvantageNAS's advantage dL/dgate stands for L(a) - L(a with edge d's output zeroed).
       On the supernet: the quotient (L(gate 1) - L(gate 1 - t)) / t tends to it as t -> 0.
       On the toy task (smooth): over 10 edges x 5 batches the proxy and the exact removal
       differ by second-order terms only, so they correlate above 0.9. */
    saferl_nas_net net;
    saferl_nas_net_desc desc = image_desc();
    saferl_rng rng;
    float x[3 * 40];
    int y[3] = {1, 0, 2}, e;
    double gates[100], grad[100], loss;
    CHECK(saferl_nas_net_init(&net, &desc, net_memory, sizeof net_memory) == SAFERL_OK);
    saferl_rng_seed(&rng, 21);
    fill_normal(x, (size_t)3 * net.sample_size, &rng, 1.0);
    memset(gates, 0, sizeof gates);
    for (e = 0; e < 6; ++e) gates[e * 5 + 1 + e % 4] = 1.0;
    saferl_nas_net_forward(&net, x, y, 3, gates, &loss, NULL);
    saferl_nas_net_backward(&net, grad);
    for (e = 0; e < 6; ++e) {
        int k = 1 + e % 4;
        double small;
        gates[e * 5 + k] = 1.0 - 1e-3;
        small = (loss - net_loss(&net, x, y, 3, gates)) / 1e-3;
        gates[e * 5 + k] = 1.0;
        CHECK(fabs(small - grad[e * 5 + k]) <= 2e-2 * (fabs(small) > 1e-2 ? fabs(small) : 1e-2));
    }
    {
        static unsigned char memory[1 << 18];
        saferl_nas_toy toy;
        double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0, corr;
        int batch, n = 0;
        CHECK(saferl_nas_toy_init(&toy, 10, &rng, memory, sizeof memory) == SAFERL_OK);
        for (batch = 0; batch < 5; ++batch) {
            double base;
            saferl_nas_toy_sample(&toy, &rng);
            memset(gates, 0, sizeof gates);
            for (e = 0; e < 10; ++e) gates[e * 10 + (int)saferl_rng_bounded(&rng, 10)] = 1.0;
            base = saferl_nas_toy_loss(&toy, gates, grad);
            for (e = 0; e < 100; ++e) {
                double removed, a;
                if (gates[e] == 0.0) continue;
                gates[e] = 0.0;
                removed = base - saferl_nas_toy_loss(&toy, gates, NULL);
                gates[e] = 1.0;
                a = grad[e];
                sa += a; sb += removed; saa += a * a; sbb += removed * removed; sab += a * removed;
                ++n;
            }
        }
        corr = (sab / n - sa / n * sb / n) / sqrt((saa / n - sa / n * sa / n) * (sbb / n - sb / n * sb / n));
        printf("        toy: correlation of dL/dgate with the exact removal difference %.3f over %d edges\n", corr, n);
        CHECK(n == 50 && corr > 0.9);
    }
}

TEST(sgd_touches_only_evaluated_operations) {
    saferl_nas_net net;
    saferl_nas_net_desc desc = image_desc();
    saferl_rng rng;
    float x[3 * 40], before[1 << 12];
    int y[3] = {0, 1, 2}, e;
    double gates[30], loss;
    size_t conv3_slot_unused, at;
    CHECK(saferl_nas_net_init(&net, &desc, net_memory, sizeof net_memory) == SAFERL_OK);
    CHECK(net.param_count < sizeof before / sizeof before[0]);
    saferl_rng_seed(&rng, 2);
    fill_normal(x, (size_t)3 * net.sample_size, &rng, 1.0);
    memset(gates, 0, sizeof gates);
    for (e = 0; e < 6; ++e) gates[e * 5 + 2] = 1.0; /* nor_conv_1x1 everywhere */
    memcpy(before, net.params, net.param_count * sizeof(float));
    saferl_nas_net_forward(&net, x, y, 3, gates, &loss, NULL);
    saferl_nas_net_backward(&net, NULL);
    CHECK(saferl_nas_net_sgd_step(&net) == SAFERL_OK);
    conv3_slot_unused = (size_t)(0 * 6 + 2) * 5 + 3; /* cell 0, edge 2, nor_conv_3x3 */
    at = net.op_param_offset[conv3_slot_unused];
    CHECK(at != SAFERL_NAS__NO_PARAMS);
    CHECK(memcmp(before + at, net.params + at, 27 * sizeof(float)) == 0);
    at = net.op_param_offset[(size_t)(1 * 6 + 2) * 5 + 2]; /* cell 1, edge 2, nor_conv_1x1: moved */
    CHECK(memcmp(before + at, net.params + at, 9 * sizeof(float)) != 0);
}

TEST(supernet_learns_synthetic_images) {
    /* 3 classes of gratings; 60 weight steps on a fixed architecture lower the training
       loss well below log 3 */
    static float images[60 * 1 * 8 * 8];
    static int labels[60];
    saferl_nas_net net;
    saferl_nas_net_desc desc;
    saferl_rng rng;
    double gates[30], loss0, loss1, accuracy;
    int e, step;
    memset(&desc, 0, sizeof desc);
    desc.kind = SAFERL_NAS_IMAGES;
    desc.in_channels = 1;
    desc.height = desc.width = 8;
    desc.channels = 4;
    desc.classes = 3;
    desc.max_batch = 20;
    CHECK(saferl_nas_net_init(&net, &desc, net_memory, sizeof net_memory) == SAFERL_OK);
    saferl_rng_seed(&rng, 1);
    CHECK(saferl_nas_synthetic_images(&rng, 60, 1, 8, 8, 3, 0.3, images, labels) == SAFERL_OK);
    CHECK(labels[0] == 0 && labels[4] == 1);
    memset(gates, 0, sizeof gates);
    for (e = 0; e < 6; ++e) gates[e * 5 + (e == 0 ? 3 : 1)] = 1.0;
    CHECK(saferl_nas_net_evaluate(&net, images, labels, 60, gates, &loss0, &accuracy) == SAFERL_OK);
    for (step = 0; step < 60; ++step) {
        int start = (step % 3) * 20;
        double loss;
        saferl_nas_net_forward(&net, images + (size_t)start * 64, labels + start, 20, gates, &loss, NULL);
        saferl_nas_net_backward(&net, NULL);
        saferl_nas_net_sgd_step(&net);
    }
    CHECK(saferl_nas_net_evaluate(&net, images, labels, 60, gates, &loss1, &accuracy) == SAFERL_OK);
    printf("        loss %.3f -> %.3f, accuracy %.2f\n", loss0, loss1, accuracy);
    CHECK(loss1 < 0.6 * loss0 && loss1 < 0.7);
    CHECK(accuracy > 0.7);
}

TEST(bad_data_is_rejected_and_changes_nothing) {
    saferl_nas_net net;
    saferl_nas_net_desc desc = image_desc();
    float x[3 * 40];
    int y[3] = {0, 1, 2};
    double gates[30], loss = 123.0;
    size_t bad = 0;
    memset(x, 0, sizeof x);
    memset(gates, 0, sizeof gates);
    gates[1] = 1.0;
    CHECK(saferl_nas_net_init(&net, &desc, net_memory, sizeof net_memory) == SAFERL_OK);
    y[1] = 3;
    CHECK(saferl_nas_net_forward(&net, x, y, 3, gates, &loss, NULL) == SAFERL_ERR_INVALID_ARGUMENT);
    y[1] = 1;
    CHECK(saferl_nas_net_forward(&net, x, y, 4, gates, &loss, NULL) == SAFERL_ERR_INVALID_ARGUMENT);
    x[17] = (float)HUGE_VAL - (float)HUGE_VAL;
    CHECK(saferl_nas_net_forward(&net, x, y, 3, gates, &loss, NULL) == SAFERL_ERR_NOT_FINITE);
    CHECK(loss == 123.0);
    CHECK(saferl_nas_check_data(x, 120, y, 3, 3, &bad) == SAFERL_ERR_NOT_FINITE && bad == 17);
    x[17] = 0.0f;
    y[2] = -1;
    CHECK(saferl_nas_check_data(x, 120, y, 3, 3, &bad) == SAFERL_ERR_INVALID_ARGUMENT && bad == 2);
    CHECK(saferl_nas_net_backward(&net, NULL) == SAFERL_ERR_INVALID_ARGUMENT); /* no forward yet */
    desc.classes = 1;
    CHECK(saferl_nas_net_memory_size(&desc) == 0);
    CHECK(saferl_nas_net_init(&net, &desc, net_memory, sizeof net_memory) == SAFERL_ERR_INVALID_ARGUMENT);
    desc = image_desc();
    CHECK(saferl_nas_net_init(&net, &desc, net_memory, 100) == SAFERL_ERR_BUFFER_TOO_SMALL);
    {
        saferl_nas_op vector_op = SAFERL_NAS_LINEAR_TANH;
        desc.ops = &vector_op; /* a vector op in an image cell */
        desc.op_count = 1;
        CHECK(saferl_nas_net_memory_size(&desc) == 0);
    }
}

/* ---- the distribution and the strategies ----------------------------------------------------- */

static unsigned char arch_memory[1 << 16];

static void make_arch(saferl_nas_arch *arch, int edges, int ops, saferl_nas_strategy_kind kind) {
    saferl_nas_arch_desc d;
    memset(&d, 0, sizeof d);
    d.edge_count = edges;
    d.op_count = ops;
    d.strategy = saferl_nas_strategy_builtin(kind);
    CHECK(saferl_nas_arch_init(arch, &d, arch_memory, sizeof arch_memory) == SAFERL_OK);
}

TEST(distribution_starts_uniform_and_samples_exactly) {
    saferl_nas_arch arch;
    saferl_rng rng;
    double p[4], expected[4];
    int ops[3], counts[4] = {0, 0, 0, 0}, i, k;
    const int n = 40000;
    make_arch(&arch, 3, 4, SAFERL_NAS_ADVANTAGE);
    CHECK_NEAR(saferl_nas_arch_entropy(&arch, 1), log(4.0), 1e-9);
    saferl_nas_arch_argmax(&arch, ops);
    CHECK(ops[0] == 0 && ops[2] == 0); /* the 1e-6 tie-break */
    arch.theta[4] = 0.0; arch.theta[5] = 1.0; arch.theta[6] = 2.0; arch.theta[7] = -1.0;
    saferl_nas_arch_probabilities(&arch, 1, p);
    {
        double z = exp(0.0) + exp(1.0) + exp(2.0) + exp(-1.0);
        expected[0] = 1.0 / z; expected[1] = exp(1.0) / z; expected[2] = exp(2.0) / z; expected[3] = exp(-1.0) / z;
    }
    for (k = 0; k < 4; ++k) CHECK_NEAR(p[k], expected[k], 1e-12);
    saferl_nas_arch_argmax(&arch, ops);
    CHECK(ops[1] == 2);
    saferl_rng_seed(&rng, 17);
    for (i = 0; i < n; ++i) {
        saferl_nas_arch_draw(&arch, &rng);
        ++counts[arch.choice[1]];
        CHECK(arch.gates[4 + arch.choice[1]] == 1.0);
    }
    for (k = 0; k < 4; ++k) CHECK(fabs(counts[k] - n * expected[k]) < 5.0 * sqrt(n * expected[k] * (1 - expected[k])));
    /* pinned: the same draws in WebAssembly */
    saferl_rng_seed(&rng, 42);
    saferl_nas_arch_draw(&arch, &rng);
    printf("        draw with seed 42: %d %d %d\n", arch.choice[0], arch.choice[1], arch.choice[2]);
    CHECK(arch.choice[0] == 0 && arch.choice[1] == 2 && arch.choice[2] == 2);
}

TEST(adam_matches_chainer_first_steps) {
    /* step 1: m = 0.1 g, v = 0.001 g^2, lr = 1e-3 sqrt(0.001) / 0.1:
       theta -= 1e-3 g / (|g| + 1e-8 / sqrt(0.001)) ~ 1e-3 sign(g) */
    double x[2] = {1.0, -2.0}, g[2] = {0.5, -3.0}, m[2] = {0, 0}, v[2] = {0, 0};
    saferl_nas__adam(x, g, m, v, 2, 1, 1e-3, 0.9, 0.999, 1e-8);
    CHECK_NEAR(x[0], 1.0 - 1e-3 * 0.5 / (0.5 + 1e-8 / sqrt(0.001)), 1e-15);
    CHECK_NEAR(x[1], -2.0 + 1e-3 * 3.0 / (3.0 + 1e-8 / sqrt(0.001)), 1e-15);
    /* step 2 with g again: m = 0.19 g, v = 0.001999 g^2, lr = 1e-3 sqrt(0.001999) / 0.19 */
    saferl_nas__adam(x, g, m, v, 2, 2, 1e-3, 0.9, 0.999, 1e-8);
    CHECK_NEAR(x[0], 1.0 - 2e-3 * 0.5 / (0.5 + 1e-8 / sqrt(0.001)) + 0.0 * 0, 1e-8);
}

/* the separable loss L(a) = sum_d c[d][a_d] + 0.5, exact gradient pi (c - <pi, c>) */
static void separable_setup(saferl_nas_arch *arch, double *c, double *exact, saferl_rng *rng) {
    int d, k, E = arch->edge_count, K = arch->op_count;
    double p[SAFERL_NAS_MAX_OPS];
    for (d = 0; d < E * K; ++d) {
        arch->theta[d] = 0.5 * saferl_rng_normal(rng);
        c[d] = saferl_rng_uniform(rng);
    }
    for (d = 0; d < E; ++d) {
        double mean = 0.0;
        saferl_nas_arch_probabilities(arch, d, p);
        for (k = 0; k < K; ++k) mean += p[k] * c[d * K + k];
        for (k = 0; k < K; ++k) exact[d * K + k] = p[k] * (c[d * K + k] - mean);
    }
}

static double separable_sample(saferl_nas_arch *arch, const double *c, saferl_rng *rng) {
    int d, E = arch->edge_count, K = arch->op_count;
    double loss = 0.5;
    saferl_nas_arch_draw(arch, rng);
    for (d = 0; d < E; ++d) loss += c[d * K + arch->choice[d]];
    for (d = 0; d < E * K; ++d) arch->gate_grad[d] = c[d]; /* dL/dgate of the linear-gate model */
    return loss;
}

TEST(advantage_is_unbiased_with_lower_variance_than_reinforce) {
    enum { E = 10, K = 10, S = 4000 };
    static double c[E * K], exact[E * K], sum_a[E * K], sq_a[E * K], sum_r[E * K], sq_r[E * K], grad[E * K];
    static double sum_n[E * K], sq_n[E * K];
    double var_n = 0.0, bias_n = 0.0;
    saferl_nas_arch adv, rf;
    saferl_rng rng;
    int s, i;
    double bias_a = 0.0, bias_r = 0.0, var_a = 0.0, var_r = 0.0, worst_z = 0.0;
    static unsigned char second[1 << 16];
    saferl_nas_arch_desc d;
    make_arch(&adv, E, K, SAFERL_NAS_ADVANTAGE);
    memset(&d, 0, sizeof d);
    d.edge_count = E;
    d.op_count = K;
    d.strategy = saferl_nas_strategy_builtin(SAFERL_NAS_REINFORCE);
    CHECK(saferl_nas_arch_init(&rf, &d, second, sizeof second) == SAFERL_OK);
    saferl_rng_seed(&rng, 99);
    separable_setup(&adv, c, exact, &rng);
    memcpy(rf.theta, adv.theta, sizeof c);
    /* REINFORCE's baseline warmed on the mean loss, as after many steps */
    rf.loss_baseline = 0.5;
    for (i = 0; i < E; ++i) {
        int k;
        double p[K];
        saferl_nas_arch_probabilities(&rf, i, p);
        for (k = 0; k < K; ++k) rf.loss_baseline += p[k] * c[i * K + k];
    }
    rf.loss_baseline_set = 1;
    for (s = 0; s < S; ++s) {
        double l = separable_sample(&adv, c, &rng);
        adv.desc.strategy->gradient(&adv, l, grad);
        for (i = 0; i < E * K; ++i) { sum_a[i] += grad[i]; sq_a[i] += grad[i] * grad[i]; }
        l = separable_sample(&rf, c, &rng);
        {
            double keep = rf.loss_baseline;
            rf.desc.strategy->gradient(&rf, l, grad);
            rf.loss_baseline = keep; /* hold the baseline fixed: i.i.d. samples */
        }
        for (i = 0; i < E * K; ++i) { sum_r[i] += grad[i]; sq_r[i] += grad[i] * grad[i]; }
        /* REINFORCE without a baseline: L (a - pi) on the same sample */
        memset(grad, 0, sizeof grad);
        saferl_nas__add_score_function(&rf, rf.choice, NULL, l, grad);
        for (i = 0; i < E * K; ++i) { sum_n[i] += grad[i]; sq_n[i] += grad[i] * grad[i]; }
    }
    for (i = 0; i < E * K; ++i) {
        double ma = sum_a[i] / S, va = sq_a[i] / S - ma * ma, mr = sum_r[i] / S, vr = sq_r[i] / S - mr * mr;
        double z = fabs(ma - exact[i]) / sqrt(va / S + 1e-30);
        if (z > worst_z) worst_z = z;
        if (fabs(ma - exact[i]) > bias_a) bias_a = fabs(ma - exact[i]);
        /* the official REINFORCE mixes the current loss into its baseline first:
           reward = 0.95 (L - b_old), so its mean is 0.95 times the exact gradient */
        if (fabs(mr - 0.95 * exact[i]) > bias_r) bias_r = fabs(mr - 0.95 * exact[i]);
        var_a += va / (E * K);
        var_r += vr / (E * K);
        var_n += (sq_n[i] / S - sum_n[i] / S * sum_n[i] / S) / (E * K);
        if (fabs(sum_n[i] / S - exact[i]) > bias_n) bias_n = fabs(sum_n[i] / S - exact[i]);
    }
    printf("        advantage: max bias %.4f (worst z %.2f), variance %.4f; REINFORCE with a warm baseline: "
           "bias %.4f, variance %.4f; without: bias %.4f, variance %.4f\n",
           bias_a, worst_z, var_a, bias_r, var_r, bias_n, var_n);
    CHECK(worst_z < 4.5);
    CHECK(bias_r < 0.03 && bias_n < 5.0 * sqrt(var_n / S));
    CHECK(var_a < 0.75 * var_r);
    CHECK(var_a < var_n / 5.0);
}

TEST(zero_operation_rule_by_hand) {
    /* one edge, three ops, op 2 is the zero op; EMA coefficient 0.05 */
    saferl_nas_arch arch;
    saferl_nas_arch_desc d;
    double grad[3];
    memset(&d, 0, sizeof d);
    d.edge_count = 1;
    d.op_count = 3;
    d.zero_op_rule = 1;
    d.zero_op = 2;
    CHECK(saferl_nas_arch_init(&arch, &d, arch_memory, sizeof arch_memory) == SAFERL_OK);
    arch.theta[0] = arch.theta[1] = arch.theta[2] = 0.0; /* pi = 1/3 each */
    /* sample op 0 with advantage 0.6: E = (0.6, 0, 0); not the zero op: A = 0.6 */
    arch.choice[0] = 0; arch.gate_grad[0] = 0.6; arch.gate_grad[1] = 7.0; arch.gate_grad[2] = 7.0;
    CHECK(arch.desc.strategy->gradient(&arch, 1.0, grad) == 1);
    CHECK_NEAR(grad[0], 0.6 * (1.0 - 1.0 / 3), 1e-15);
    CHECK_NEAR(grad[1], -0.6 / 3, 1e-15);
    CHECK_NEAR(arch.advantage_ema[0], 0.6, 1e-15);
    CHECK(arch.advantage_ema[1] == 0.0);
    /* sample op 1 with -0.4: E = (0.6, 0.05 * -0.4 + 0.95 * 0, 0) = (0.6, -0.02, 0) */
    arch.choice[0] = 1; arch.gate_grad[1] = -0.4;
    arch.desc.strategy->gradient(&arch, 1.0, grad);
    CHECK_NEAR(arch.advantage_ema[1], -0.02, 1e-15);
    CHECK_NEAR(arch.advantage_ema[0], 0.6, 1e-15);
    /* sample the zero op: E[2] = 0.95 * 0 + 0.05 * 0 = 0; A = max E = 0.6 */
    arch.choice[0] = 2; arch.gate_grad[2] = 123.0; /* ignored: x * 0 has no gradient */
    arch.desc.strategy->gradient(&arch, 1.0, grad);
    CHECK_NEAR(grad[2], 0.6 * (1.0 - 1.0 / 3), 1e-15);
    CHECK_NEAR(grad[0], -0.6 / 3, 1e-15);
}

TEST(advantage_with_baseline_by_hand) {
    saferl_nas_arch arch;
    saferl_nas_arch_desc d;
    double grad[2];
    memset(&d, 0, sizeof d);
    d.edge_count = 1;
    d.op_count = 2;
    d.with_baseline = 1;
    CHECK(saferl_nas_arch_init(&arch, &d, arch_memory, sizeof arch_memory) == SAFERL_OK);
    arch.theta[0] = arch.theta[1] = 0.0;
    arch.choice[0] = 0; arch.gate_grad[0] = 2.0;
    arch.desc.strategy->gradient(&arch, 0.0, grad); /* b = 0 before: A = 2; then b = 2 */
    CHECK_NEAR(grad[0], 2.0 * 0.5, 1e-15);
    arch.choice[0] = 1; arch.gate_grad[1] = 1.0;
    arch.desc.strategy->gradient(&arch, 0.0, grad); /* A = 1 - 2 = -1; b = 0.05 + 1.9 = 1.95 */
    CHECK_NEAR(grad[1], -1.0 * 0.5, 1e-15);
    CHECK_NEAR(arch.edge_baseline[0], 1.95, 1e-15);
}

TEST(reinforce_and_parsec_by_hand) {
    saferl_nas_arch arch;
    double grad[2], before[2];
    int i;
    make_arch(&arch, 1, 2, SAFERL_NAS_REINFORCE);
    arch.theta[0] = arch.theta[1] = 0.0;
    arch.choice[0] = 1;
    arch.desc.strategy->gradient(&arch, 3.0, grad); /* first: b = L, reward 0 */
    CHECK(grad[0] == 0.0 && grad[1] == 0.0);
    arch.desc.strategy->gradient(&arch, 5.0, grad); /* b = 0.05 * 5 + 0.95 * 3 = 3.1; reward 1.9 */
    CHECK_NEAR(grad[1], 1.9 * 0.5, 1e-14);
    CHECK_NEAR(grad[0], -1.9 * 0.5, 1e-14);
    /* PARSEC: 8 draws, one step with weights softmax(losses) */
    make_arch(&arch, 1, 2, SAFERL_NAS_PARSEC);
    arch.theta[0] = arch.theta[1] = 0.0;
    memcpy(before, arch.theta, sizeof before);
    for (i = 0; i < 8; ++i) {
        arch.choice[0] = i < 4 ? 0 : 1; /* four samples of op 0 with loss 1, four of op 1 with loss 0 */
        CHECK(saferl_nas_arch_update(&arch, i < 4 ? 1.0 : 0.0) == SAFERL_OK);
        if (i < 7) CHECK(arch.theta[0] == before[0] && arch.adam_steps == 0);
    }
    CHECK(arch.adam_steps == 1);
    {
        double w1 = exp(1.0) / (4 * exp(1.0) + 4), w0 = 1.0 / (4 * exp(1.0) + 4);
        double g0 = 4 * w1 * 0.5 + 4 * w0 * -0.5;
        CHECK_NEAR(arch.theta_grad[0], g0, 1e-14);
        CHECK(g0 > 0.0 && arch.theta[0] < 0.0); /* the high-loss op loses probability */
    }
}

/* GDAS and DARTS: theta's gradient of L = <c, gates(theta)> against finite differences, with
   the same Gumbel noise on both sides */
static double relaxed_loss(saferl_nas_arch *arch, const double *c, uint32_t seed, int use_z) {
    saferl_rng rng;
    double l = 0.0;
    int i;
    saferl_rng_seed(&rng, seed);
    saferl_nas_arch_draw(arch, &rng);
    for (i = 0; i < arch->edge_count * arch->op_count; ++i) l += c[i] * (use_z ? arch->gumbel_z[i] : arch->gates[i]);
    return l;
}

TEST(gdas_darts_and_snas_gradients_match_finite_differences) {
    /* GDAS reads dL/dz through its straight-through gates; DARTS and SNAS use the gates
       themselves (pi, and the relaxed sample z). Central differences of step 1e-5: the
       truncation error is about 1e-10 times the third derivative, which grows as 1/tau^3
       (SNAS at t = 0.75 T has tau = 0.146): the bound is relative to the gradient's size. */
    static const saferl_nas_strategy_kind kinds[3] = {SAFERL_NAS_GDAS, SAFERL_NAS_DARTS, SAFERL_NAS_SNAS};
    int kind;
    for (kind = 0; kind < 3; ++kind) {
        saferl_nas_arch arch;
        saferl_rng rng;
        double c[12], grad[12], worst = 0.0, largest = 0.0;
        int i, use_z = kinds[kind] == SAFERL_NAS_GDAS;
        make_arch(&arch, 3, 4, kinds[kind]);
        arch.iteration = 1500; /* GDAS tau = 10 - 9.9 * 0.75 = 2.575; SNAS (cos(0.75 pi) + 1) / 2 */
        saferl_rng_seed(&rng, 4);
        for (i = 0; i < 12; ++i) { c[i] = saferl_rng_normal(&rng); arch.theta[i] = 0.3 * saferl_rng_normal(&rng); }
        relaxed_loss(&arch, c, 77, use_z);
        memcpy(arch.gate_grad, c, sizeof c);
        CHECK(arch.desc.strategy->gradient(&arch, 0.0, grad) == 1);
        for (i = 0; i < 12; ++i) {
            double keep = arch.theta[i], up, down, num;
            arch.theta[i] = keep + 1e-5; up = relaxed_loss(&arch, c, 77, use_z);
            arch.theta[i] = keep - 1e-5; down = relaxed_loss(&arch, c, 77, use_z);
            arch.theta[i] = keep;
            num = (up - down) / 2e-5;
            if (fabs(num - grad[i]) > worst) worst = fabs(num - grad[i]);
            if (fabs(grad[i]) > largest) largest = fabs(grad[i]);
        }
        CHECK(largest > 1e-3 && worst < 1e-7 * (1.0 + largest));
        if (kinds[kind] == SAFERL_NAS_GDAS) {
            CHECK_NEAR(saferl_nas__gdas_tau(&arch), 2.575, 1e-12);
            for (i = 0; i < 3; ++i) CHECK(arch.gates[i * 4 + arch.choice[i]] == 1.0);
            arch.iteration = 2500; /* past the schedule: held at tau_end */
            CHECK_NEAR(saferl_nas__gdas_tau(&arch), 0.1, 1e-12);
        }
        if (kinds[kind] == SAFERL_NAS_SNAS) {
            double sum = 0.0;
            CHECK_NEAR(saferl_nas__snas_tau(&arch), (1.0 - sqrt(0.5)) / 2.0, 1e-12);
            for (i = 0; i < 4; ++i) sum += arch.gates[i];
            CHECK_NEAR(sum, 1.0, 1e-12);
            for (i = 0; i < 12; ++i) CHECK(arch.gates[i] == arch.gumbel_z[i] && arch.gates[i] > 0.0);
            arch.iteration = 0;
            CHECK(saferl_nas__snas_tau(&arch) == 1.0);
            arch.iteration = 2000; /* held at t = T - 1, never 0 */
            CHECK_NEAR(saferl_nas__snas_tau(&arch), (cos(3.14159265358979323846 * 1999.0 / 2000.0) + 1.0) / 2.0, 1e-15);
            CHECK(saferl_nas__snas_tau(&arch) > 0.0);
        }
    }
}

/* nasp_c2_const written out from the comparison code, row by row */
static void c2_constrain(double *row, int K) {
    double lo = row[0], hi;
    int k;
    for (k = 1; k < K; ++k) lo = row[k] < lo ? row[k] : lo;
    for (k = 0; k < K; ++k) row[k] -= lo < 0.0 ? lo : 0.0;
    hi = row[0];
    for (k = 1; k < K; ++k) hi = row[k] > hi ? row[k] : hi;
    for (k = 0; k < K; ++k) row[k] /= hi > 1.0 ? hi : 1.0;
}

TEST(nasp_steps_on_every_gate_gradient_and_stays_in_the_box) {
    saferl_nas_arch arch;
    saferl_rng rng;
    double row[3] = {-0.5, 2.0, 0.3}, expected[12], g, lr;
    int i, e;
    c2_constrain(row, 3);
    CHECK(row[0] == 0.0 && row[1] == 1.0 && fabs(row[2] - 0.32) < 1e-15);
    make_arch(&arch, 3, 4, SAFERL_NAS_NASP);
    CHECK(arch.desc.strategy->evaluate_all == 1);
    saferl_rng_seed(&rng, 12);
    for (i = 0; i < 12; ++i) arch.theta[i] = 1.5 * saferl_rng_normal(&rng);
    arch.theta[5] = 3.0; /* argmax of edge 1 */
    saferl_nas_arch_draw(&arch, &rng);
    CHECK(arch.choice[1] == 1 && arch.gates[5] == 1.0 && arch.gates[4] == 0.0);
    for (i = 0; i < 12; ++i) arch.gate_grad[i] = 0.1 * (i % 5) - 0.2;
    /* Chainer's first Adam step moves each coordinate by lr m / (sqrt(v) + eps) with
       m = (1 - b1) g, v = (1 - b2) g^2, lr = alpha sqrt(1 - b2) / (1 - b1) */
    lr = 1e-3 * sqrt(1.0 - 0.999) / (1.0 - 0.9);
    for (e = 0; e < 3; ++e) {
        for (i = 0; i < 4; ++i) expected[e * 4 + i] = arch.theta[e * 4 + i];
        c2_constrain(expected + e * 4, 4);
        for (i = 0; i < 4; ++i) {
            g = arch.gate_grad[e * 4 + i];
            expected[e * 4 + i] -= lr * (0.1 * g) / (sqrt(0.001 * g * g) + 1e-8);
        }
        c2_constrain(expected + e * 4, 4);
    }
    CHECK(saferl_nas_arch_update(&arch, 0.5) == SAFERL_OK);
    for (i = 0; i < 12; ++i) {
        CHECK(arch.theta_grad[i] == arch.gate_grad[i]);
        CHECK_NEAR(arch.theta[i], expected[i], 1e-15);
        CHECK(arch.theta[i] >= 0.0 && arch.theta[i] <= 1.0);
    }
}

TEST(every_gate_gradient_when_the_strategy_evaluates_all) {
    /* NASP's evaluate_all: operations with gate 0 are computed, so their gate gradient is the
       partial derivative. On the toy task (double) against central differences to 1e-7; on
       the float supernet against central differences of step 1e-3 to 2% (float rounding and
       the curvature set that bound: a step of 1e-2 is already off by up to 15% on gates that
       feed the second cell). */
    static unsigned char memory[1 << 18];
    saferl_nas_toy toy;
    saferl_nas_arch arch;
    saferl_nas_net net;
    saferl_nas_net_desc desc = image_desc();
    saferl_rng rng;
    float x[3 * 40];
    int y[3] = {2, 1, 0}, i, checked = 0;
    double worst = 0.0, loss, grad[30], gates[30];
    saferl_rng_seed(&rng, 31);
    CHECK(saferl_nas_toy_init(&toy, 6, &rng, memory, sizeof memory) == SAFERL_OK);
    saferl_nas_toy_sample(&toy, &rng);
    {
        saferl_nas_arch_desc d;
        memset(&d, 0, sizeof d);
        d.edge_count = 10;
        d.op_count = 10;
        d.strategy = saferl_nas_strategy_builtin(SAFERL_NAS_NASP);
        CHECK(saferl_nas_arch_init(&arch, &d, arch_memory, sizeof arch_memory) == SAFERL_OK);
    }
    for (i = 0; i < 100; ++i) arch.theta[i] = saferl_rng_uniform(&rng);
    saferl_nas_arch_draw(&arch, &rng);
    saferl_nas_toy_arch_loss(&toy, &arch);
    for (i = 0; i < 100; ++i) {
        double keep = arch.gates[i], up, down;
        arch.gates[i] = keep + 1e-5; up = saferl_nas_toy_loss(&toy, arch.gates, NULL);
        arch.gates[i] = keep - 1e-5; down = saferl_nas_toy_loss(&toy, arch.gates, NULL);
        arch.gates[i] = keep;
        if (fabs((up - down) / 2e-5 - arch.gate_grad[i]) > worst) worst = fabs((up - down) / 2e-5 - arch.gate_grad[i]);
    }
    CHECK(worst < 1e-7);
    CHECK(saferl_nas_net_init(&net, &desc, net_memory, sizeof net_memory) == SAFERL_OK);
    fill_normal(x, (size_t)3 * net.sample_size, &rng, 1.0);
    memset(gates, 0, sizeof gates);
    for (i = 0; i < 6; ++i) gates[i * 5 + 1 + i % 4] = 1.0;
    CHECK(saferl_nas__net_forward(&net, x, y, 3, gates, 1, &loss, NULL) == SAFERL_OK);
    CHECK(saferl_nas_net_backward(&net, grad) == SAFERL_OK);
    for (i = 0; i < 2 * 6 * 5; ++i) CHECK(net.touched[i] == (gates[i % 30] != 0.0)); /* only these are trained */
    for (i = 0; i < 30; ++i) {
        double up, down, num;
        if (gates[i] != 0.0 || i % 5 == 0) continue; /* 'none' has no gradient */
        gates[i] = 1e-3; up = net_loss(&net, x, y, 3, gates);
        gates[i] = -1e-3; down = net_loss(&net, x, y, 3, gates);
        gates[i] = 0.0;
        num = (up - down) / 2e-3;
        CHECK(fabs(num - grad[i]) <= 2e-2 * (fabs(num) > 1e-2 ? fabs(num) : 1e-2));
        ++checked;
    }
    CHECK(checked == 18);
}

TEST(official_proxyless_rescale_mixes_rows) {
    /* two edges, three ops; edge 0 sampled {0, 2}, edge 1 {1, 0}: NumPy's narc[:, [0, 0]] -=
       [o0, o1] leaves column 0 of both rows minus o1 (the last write), then narc[:, [2, 1]]
       -= [o0, o1] subtracts o0 from column 2 and o1 from column 1 of both rows */
    saferl_nas_arch arch;
    double before[6] = {0.1, -0.2, 0.3, 0.0, 0.5, -0.4}, after[6], o[2], expected[6];
    int e, k;
    make_arch(&arch, 2, 3, SAFERL_NAS_PROXYLESS_OFFICIAL);
    arch.choice[0] = 0; arch.choice2[0] = 2;
    arch.choice[1] = 1; arch.choice2[1] = 0;
    for (k = 0; k < 6; ++k) after[k] = before[k] + 0.01 * (k + 1);
    for (e = 0; e < 2; ++e) {
        double so = 0.0, sn = 0.0;
        for (k = 0; k < 3; ++k) { so += exp(before[e * 3 + k]); sn += exp(after[e * 3 + k]); }
        o[e] = log(sn / so + 1e-4);
    }
    for (e = 0; e < 2; ++e) {
        expected[e * 3 + 0] = after[e * 3 + 0] - o[1];
        expected[e * 3 + 1] = after[e * 3 + 1] - o[1];
        expected[e * 3 + 2] = after[e * 3 + 2] - o[0];
    }
    memcpy(arch.theta, after, sizeof after);
    arch.desc.strategy->after_step(&arch, before);
    for (k = 0; k < 6; ++k) CHECK_NEAR(arch.theta[k], expected[k], 1e-15);
    CHECK(saferl_nas_strategy_from_name("proxyless_official") == SAFERL_NAS_PROXYLESS_OFFICIAL);
    CHECK(saferl_nas_strategy_from_name("snas") == SAFERL_NAS_SNAS);
    CHECK(saferl_nas_strategy_from_name("nasp") == SAFERL_NAS_NASP);
}

TEST(proxyless_update_by_hand) {
    saferl_nas_arch arch;
    double grad[4], p0, p1, old[4], sum_old = 0.0, sum_new = 0.0;
    int k;
    saferl_rng rng;
    make_arch(&arch, 1, 4, SAFERL_NAS_PROXYLESS);
    arch.theta[0] = 0.2; arch.theta[1] = -0.1; arch.theta[2] = 0.4; arch.theta[3] = 0.0;
    saferl_rng_seed(&rng, 8);
    saferl_nas_arch_draw(&arch, &rng);
    CHECK(arch.choice[0] != arch.choice2[0]);
    CHECK(arch.gates[arch.choice[0]] == 1.0 && arch.gates[arch.choice2[0]] == 1.0);
    arch.choice[0] = 2; arch.choice2[0] = 0;
    arch.gate_grad[0] = 0.3; arch.gate_grad[2] = -0.5;
    CHECK(arch.desc.strategy->gradient(&arch, 0.0, grad) == 1);
    p0 = exp(0.2) / (exp(0.2) + exp(0.4));
    p1 = 1.0 - p0;
    CHECK_NEAR(grad[0], 0.3 * p0 * (1 - p0) + -0.5 * p1 * (0 - p0), 1e-14);
    CHECK_NEAR(grad[2], 0.3 * p0 * (0 - p1) + -0.5 * p1 * (1 - p1), 1e-14);
    CHECK(grad[1] == 0.0 && grad[3] == 0.0);
    /* the rescale after Adam: sampled entries shifted so sum exp theta barely moves */
    memcpy(old, arch.theta, sizeof old);
    memcpy(arch.theta_grad, grad, sizeof grad);
    saferl_nas__arch_step(&arch);
    for (k = 0; k < 4; ++k) { sum_old += exp(old[k]); sum_new += exp(arch.theta[k]); }
    CHECK(fabs(sum_new - sum_old) < 2e-3);
    CHECK(arch.theta[1] == old[1] && arch.theta[3] == old[3]); /* first Adam step: zero grads stay */
}

TEST(nan_loss_or_gradient_leaves_the_arch_unchanged) {
    saferl_nas_arch arch;
    saferl_rng rng;
    double theta[6];
    volatile double zero = 0.0;
    make_arch(&arch, 2, 3, SAFERL_NAS_ADVANTAGE);
    saferl_rng_seed(&rng, 1);
    saferl_nas_arch_draw(&arch, &rng);
    memcpy(theta, arch.theta, sizeof theta);
    CHECK(saferl_nas_arch_update(&arch, zero / zero) == SAFERL_ERR_NOT_FINITE);
    arch.gate_grad[arch.choice[0]] = 1.0 / zero;
    CHECK(saferl_nas_arch_update(&arch, 1.0) == SAFERL_ERR_NOT_FINITE);
    CHECK(memcmp(theta, arch.theta, sizeof theta) == 0 && arch.adam_steps == 0 && arch.iteration == 0);
    arch.gate_grad[arch.choice[0]] = 1.0;
    CHECK(saferl_nas_arch_update(&arch, 1.0) == SAFERL_OK && arch.adam_steps == 1);
    CHECK(arch.best_loss == 1.0);
}

/* a user strategy: always the last op on every edge; its gradient pushes that op up */
static void last_op_draw(saferl_nas_arch *arch, saferl_rng *rng) {
    int e, K = arch->op_count;
    (void)rng;
    memset(arch->gates, 0, (size_t)arch->edge_count * K * sizeof(double));
    for (e = 0; e < arch->edge_count; ++e) {
        arch->choice[e] = K - 1;
        arch->gates[e * K + K - 1] = 1.0;
    }
}
static int last_op_gradient(saferl_nas_arch *arch, double loss, double *grad) {
    int i;
    (void)loss;
    for (i = 0; i < arch->edge_count * arch->op_count; ++i) grad[i] = (i % arch->op_count == arch->op_count - 1) ? -1.0 : 0.0;
    ++*(int *)arch->desc.strategy->user_data;
    return 1;
}

TEST(user_strategy_through_the_interface) {
    saferl_nas_arch arch;
    saferl_nas_arch_desc d;
    saferl_nas_strategy mine;
    saferl_rng rng;
    int ops[2], calls = 0, i;
    memset(&mine, 0, sizeof mine);
    mine.name = "last";
    mine.draw = last_op_draw;
    mine.gradient = last_op_gradient;
    mine.user_data = &calls;
    memset(&d, 0, sizeof d);
    d.edge_count = 2;
    d.op_count = 3;
    d.strategy = &mine;
    CHECK(saferl_nas_arch_init(&arch, &d, arch_memory, sizeof arch_memory) == SAFERL_OK);
    saferl_rng_seed(&rng, 3);
    for (i = 0; i < 3; ++i) {
        saferl_nas_arch_draw(&arch, &rng);
        CHECK(saferl_nas_arch_update(&arch, 1.0) == SAFERL_OK);
    }
    saferl_nas_arch_argmax(&arch, ops);
    CHECK(calls == 3 && ops[0] == 2 && ops[1] == 2);
    CHECK(saferl_nas_strategy_from_name("proxyless") == SAFERL_NAS_PROXYLESS);
    CHECK(saferl_nas_strategy_from_name("nope") == -1);
    d.strategy = NULL;
    d.op_count = 1; /* fewer than two ops */
    CHECK(saferl_nas_arch_memory_size(&d) == 0);
}

/* ---- the toy task --------------------------------------------------------------------------- */

static unsigned char toy_memory[1 << 20];

TEST(toy_shapes_and_gate_gradient) {
    /* features are the 7x7 stride-2 convolution of the input, written out here; the gate
       gradient matches central differences for every gate, sparse and dense */
    saferl_nas_toy toy;
    saferl_rng rng;
    double gates[100], grad[100], worst = 0.0;
    int i, y = 2, x = 1, ki, kj, dense;
    float s = 0.0f;
    saferl_rng_seed(&rng, 5);
    CHECK(saferl_nas_toy_init(&toy, 4, &rng, toy_memory, sizeof toy_memory) == SAFERL_OK);
    CHECK(saferl_nas_toy_init(&toy, 4, &rng, toy_memory, 64) == SAFERL_ERR_BUFFER_TOO_SMALL);
    CHECK(saferl_nas_toy_init(&toy, 4, &rng, toy_memory, sizeof toy_memory) == SAFERL_OK);
    saferl_nas_toy_sample(&toy, &rng);
    for (i = 0; i < 13 * 13; ++i) CHECK(toy.inputs[i] >= -1.0f && toy.inputs[i] < 1.0f);
    for (ki = 0; ki < 7; ++ki)
        for (kj = 0; kj < 7; ++kj) s += toy.conv1_weight[3][5][ki * 7 + kj] * toy.inputs[(2 * y + ki) * 13 + 2 * x + kj];
    CHECK_NEAR(toy.features[((size_t)(0 * 10 + 3) * 10 + 5) * 16 + y * 4 + x], s, 1e-6);
    for (dense = 0; dense < 2; ++dense) {
        for (i = 0; i < 100; ++i) gates[i] = dense ? 0.1 + 0.01 * (i % 7) : (i % 10 == (i / 10 * 3) % 10 ? 1.0 : 0.0);
        saferl_nas_toy_loss(&toy, gates, grad);
        for (i = 0; i < 100; ++i) {
            double keep = gates[i], up, down, num;
            if (keep == 0.0) continue;
            gates[i] = keep + 1e-5; up = saferl_nas_toy_loss(&toy, gates, NULL);
            gates[i] = keep - 1e-5; down = saferl_nas_toy_loss(&toy, gates, NULL);
            gates[i] = keep;
            num = (up - down) / 2e-5;
            if (fabs(num - grad[i]) > worst) worst = fabs(num - grad[i]);
        }
    }
    CHECK(worst < 1e-7);
    /* the teacher's own gates give zero loss */
    memset(gates, 0, sizeof gates);
    for (i = 0; i < 10; ++i) gates[i * 10 + toy.teacher[i]] = 1.0;
    CHECK(saferl_nas_toy_loss(&toy, gates, NULL) == 0.0);
}

TEST(toy_search_finds_the_teacher) {
    /* a short search per strategy with a fixed seed: AdvantageNAS must find the teacher
       within 2000 iterations; the others run and stay finite (bench/ compares them) */
    int kind;
    for (kind = 0; kind < SAFERL_NAS_STRATEGY_KINDS; ++kind) {
        saferl_nas_toy toy;
        saferl_nas_arch arch;
        saferl_rng rng;
        int hit = -1, iterations = kind == SAFERL_NAS_ADVANTAGE ? 2000 : 100;
        double curve[201];
        saferl_nas_arch_desc d;
        memset(&d, 0, sizeof d);
        d.edge_count = 10;
        d.op_count = 10;
        d.strategy = saferl_nas_strategy_builtin((saferl_nas_strategy_kind)kind);
        saferl_rng_seed(&rng, 1);
        CHECK(saferl_nas_toy_init(&toy, 10, &rng, toy_memory, sizeof toy_memory) == SAFERL_OK);
        CHECK(saferl_nas_arch_init(&arch, &d, arch_memory, sizeof arch_memory) == SAFERL_OK);
        CHECK(saferl_nas_toy_run(&toy, &arch, &rng, iterations, &hit, curve) == SAFERL_OK);
        CHECK(curve[iterations / 10] == curve[iterations / 10]);
        printf("        %-10s first hit %d of %d, argmax loss %.4f -> %.4f\n", arch.desc.strategy->name, hit,
               iterations, curve[0], curve[iterations / 10]);
        if (kind == SAFERL_NAS_ADVANTAGE) CHECK(hit <= 2000);
    }
}

TEST(search_on_the_supernet_runs_without_allocating) {
    /* alternating weight and architecture steps on synthetic images, through create/destroy;
       under the counting allocator the loop allocates nothing */
    saferl_nas_net net;
    saferl_nas_net_desc nd;
    saferl_nas_arch arch;
    saferl_nas_arch_desc ad;
    saferl_rng rng;
    static float images[40 * 64];
    static int labels[40];
    int i, ops[6];
    double loss;
#ifdef SAFERL_TEST_COUNTING_ALLOCATOR
    long before;
#endif
    memset(&nd, 0, sizeof nd);
    nd.kind = SAFERL_NAS_IMAGES;
    nd.in_channels = 1;
    nd.height = nd.width = 8;
    nd.channels = 4;
    nd.classes = 4;
    nd.max_batch = 10;
    memset(&ad, 0, sizeof ad);
    ad.edge_count = 6;
    ad.op_count = 5;
    ad.beta1 = 0.5;
    ad.learning_rate = 3e-2;
    ad.weight_decay = 3e-3;
    ad.clip_norm = 1.0;
    CHECK(saferl_nas_net_create(&net, &nd) == SAFERL_OK);
    CHECK(saferl_nas_arch_create(&arch, &ad) == SAFERL_OK);
    saferl_rng_seed(&rng, 6);
    saferl_nas_synthetic_images(&rng, 40, 1, 8, 8, 4, 0.2, images, labels);
#ifdef SAFERL_TEST_COUNTING_ALLOCATOR
    before = saferl_test_allocations;
#endif
    for (i = 0; i < 20; ++i) {
        int start = (i % 2) * 20;
        CHECK(saferl_nas_weight_step(&net, &arch, &rng, images + (size_t)start * 64, labels + start, 10, &loss) == SAFERL_OK);
        CHECK(saferl_nas_arch_step(&net, &arch, &rng, images + (size_t)(start + 10) * 64, labels + start + 10, 10, &loss) ==
              SAFERL_OK);
    }
#ifdef SAFERL_TEST_COUNTING_ALLOCATOR
    CHECK(saferl_test_allocations == before);
#endif
    CHECK(arch.adam_steps == 20 && arch.best_loss < HUGE_VAL);
    saferl_nas_arch_argmax(&arch, ops);
    for (i = 0; i < 6; ++i) CHECK(ops[i] >= 0 && ops[i] < 5 && saferl_nas_arch_entropy(&arch, i) < log(5.0));
    saferl_nas_net_destroy(&net);
    saferl_nas_arch_destroy(&arch);
    CHECK(net.owned_memory == NULL && arch.owned_memory == NULL);
    saferl_nas_net_destroy(&net); /* twice is harmless */
#ifdef SAFERL_TEST_COUNTING_ALLOCATOR
    CHECK(saferl_test_releases == saferl_test_allocations);
#endif
}

int main(void) {
    RUN_CONTRACTION_AFTER_THE_HEADER();
    RUN(op_names_round_trip);
    RUN(edges_follow_the_nb201_order);
    RUN(arch_strings_parse_and_print);
    RUN(arch_string_errors_have_columns);
    RUN(conv2d_backward_matches_finite_differences);
    RUN(small_layers_match_finite_differences);
    RUN(gemm_variants_match_the_definition);
    RUN(conv_bits_are_the_same_on_every_build);
    RUN(conv2d_matches_exact_sums);
    RUN(supernet_gradients_match_finite_differences);
    RUN(gate_gradient_approximates_removing_the_edge);
    RUN(sgd_touches_only_evaluated_operations);
    RUN(supernet_learns_synthetic_images);
    RUN(bad_data_is_rejected_and_changes_nothing);
    RUN(distribution_starts_uniform_and_samples_exactly);
    RUN(adam_matches_chainer_first_steps);
    RUN(advantage_is_unbiased_with_lower_variance_than_reinforce);
    RUN(zero_operation_rule_by_hand);
    RUN(advantage_with_baseline_by_hand);
    RUN(reinforce_and_parsec_by_hand);
    RUN(gdas_darts_and_snas_gradients_match_finite_differences);
    RUN(nasp_steps_on_every_gate_gradient_and_stays_in_the_box);
    RUN(every_gate_gradient_when_the_strategy_evaluates_all);
    RUN(official_proxyless_rescale_mixes_rows);
    RUN(proxyless_update_by_hand);
    RUN(nan_loss_or_gradient_leaves_the_arch_unchanged);
    RUN(user_strategy_through_the_interface);
    RUN(toy_shapes_and_gate_gradient);
    RUN(toy_search_finds_the_teacher);
    RUN(search_on_the_supernet_runs_without_allocating);
    return saferl_test_finish();
}
