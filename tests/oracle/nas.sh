#!/usr/bin/env bash
# saferl_nas.h against brute force and, when installed, PyTorch:
#  1. brute force: on a small vector supernet (3 nodes, 5 ops: 125 architectures) the exact
#     gradient of J(theta) = sum_a p(a) L(a) by enumeration; the per-edge exact-difference
#     advantage (L(a) - L(a with edge d zeroed)) (a_d - pi_d) averaged over samples must
#     match it (it is unbiased), as must REINFORCE without a baseline; AdvantageNAS's
#     first-order proxy is printed beside them (it is a biased approximation off the
#     separable case).
#  2. NAS-Bench-201's own strings: every cell string of ../shared/data/nb201_accuracy.csv
#     (when present) parses, prints back byte for byte and gets a distinct code; the
#     checked-in strings of the NAS-Bench-201 README always.
#  3. PyTorch (python3-torch, when installed): one image cell's forward, its input, weight
#     and gate gradients recomputed by torch.autograd from the values the C code dumps.
#  4. NumPy: the official ProxylessNAS rescale (util.py rescale, whose fancy indexing mixes
#     rows) applied by NumPy itself to 200 random cases the C code dumps, against
#     "proxyless_official"'s result.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p build/oracle
cat >build/oracle/nas_oracle.c <<'C'
#define SAFERL_NAS_IMPLEMENTATION
#include "saferl_nas.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;
#define EXPECT(cond, ...) do { if (!(cond)) { ++failures; printf("FAIL  " __VA_ARGS__); printf("\n"); } } while (0)

static double loss_of(saferl_nas_net *net, const float *x, const int *y, int b, const double *gates) {
    double l = 0.0;
    if (saferl_nas_net_forward(net, x, y, b, gates, &l, NULL) < 0) { printf("forward failed\n"); exit(1); }
    return l;
}

static void brute_force(void) {
    enum { E = 3, K = 5, B = 8, S = 40000 };
    static unsigned char mem[1 << 20], amem[1 << 14];
    saferl_nas_net net;
    saferl_nas_net_desc d;
    saferl_nas_arch arch;
    saferl_nas_arch_desc ad;
    saferl_rng rng;
    float x[B * 4];
    int y[B], a[E], i, e, k, s;
    double table[125], exact[E * K], p[E][K], gates[E * K];
    double mean_diff[E * K] = {0}, sq_diff[E * K] = {0}, mean_rf[E * K] = {0}, sq_rf[E * K] = {0}, mean_fo[E * K] = {0};
    double worst_diff = 0, worst_rf = 0, dot = 0, n1 = 0, n2 = 0;
    memset(&d, 0, sizeof d);
    d.kind = SAFERL_NAS_VECTORS; d.node_count = 3; d.input_dim = 4; d.channels = 5; d.classes = 3; d.max_batch = B; d.seed = 7;
    if (saferl_nas_net_init(&net, &d, mem, sizeof mem) < 0) { printf("init failed\n"); exit(1); }
    memset(&ad, 0, sizeof ad);
    ad.edge_count = E; ad.op_count = K;
    saferl_nas_arch_init(&arch, &ad, amem, sizeof amem);
    saferl_rng_seed(&rng, 3);
    for (i = 0; i < B * 4; ++i) x[i] = (float)saferl_rng_normal(&rng);
    for (i = 0; i < B; ++i) y[i] = i % 3;
    for (i = 0; i < E * K; ++i) arch.theta[i] = 0.7 * saferl_rng_normal(&rng);
    for (e = 0; e < E; ++e) saferl_nas_arch_probabilities(&arch, e, p[e]);
    /* enumerate */
    memset(exact, 0, sizeof exact);
    for (i = 0; i < 125; ++i) {
        double pa = 1.0;
        a[0] = i % 5; a[1] = i / 5 % 5; a[2] = i / 25;
        memset(gates, 0, sizeof gates);
        for (e = 0; e < E; ++e) { gates[e * K + a[e]] = 1.0; pa *= p[e][a[e]]; }
        table[i] = loss_of(&net, x, y, B, gates);
        for (e = 0; e < E; ++e)
            for (k = 0; k < K; ++k) exact[e * K + k] += pa * table[i] * ((k == a[e]) - p[e][k]);
    }
    /* sample */
    for (s = 0; s < S; ++s) {
        double l, g_fo[E * K];
        saferl_nas_arch_draw(&arch, &rng);
        l = loss_of(&net, x, y, B, arch.gates);
        saferl_nas_net_backward(&net, g_fo);
        for (e = 0; e < E; ++e) {
            double removed, adv;
            int c = arch.choice[e];
            arch.gates[e * K + c] = 0.0;
            removed = loss_of(&net, x, y, B, arch.gates);
            arch.gates[e * K + c] = 1.0;
            adv = l - removed;
            for (k = 0; k < K; ++k) {
                double score = (k == c) - p[e][k], gd = adv * score, gr = l * score;
                mean_diff[e * K + k] += gd; sq_diff[e * K + k] += gd * gd;
                mean_rf[e * K + k] += gr; sq_rf[e * K + k] += gr * gr;
                mean_fo[e * K + k] += g_fo[e * K + c] * score;
            }
        }
    }
    for (i = 0; i < E * K; ++i) {
        double md = mean_diff[i] / S, vd = sq_diff[i] / S - md * md, mr = mean_rf[i] / S, vr = sq_rf[i] / S - mr * mr;
        double zd = fabs(md - exact[i]) / sqrt(vd / S + 1e-30), zr = fabs(mr - exact[i]) / sqrt(vr / S + 1e-30);
        if (zd > worst_diff) worst_diff = zd;
        if (zr > worst_rf) worst_rf = zr;
        dot += exact[i] * mean_fo[i] / S; n1 += exact[i] * exact[i]; n2 += (mean_fo[i] / S) * (mean_fo[i] / S);
    }
    printf("brute force over 125 architectures, %d samples: exact-difference advantage worst z %.2f, "
           "REINFORCE worst z %.2f; first-order proxy's cosine with the exact gradient %.3f\n",
           S, worst_diff, worst_rf, dot / sqrt(n1 * n2));
    EXPECT(worst_diff < 4.5, "exact-difference advantage is biased (z %.2f)", worst_diff);
    EXPECT(worst_rf < 4.5, "REINFORCE is biased (z %.2f)", worst_rf);
}

static void strings(const char *path) {
    static const char *readme[] = {
        "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|",
        "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|",
        "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|"};
    static unsigned char seen[15625];
    char line[4096], out[256];
    saferl_nas_op ops[6];
    int n, i, count = 0, distinct = 0;
    FILE *f;
    for (i = 0; i < 3; ++i) {
        EXPECT(saferl_nas_arch_string_parse(readme[i], strlen(readme[i]), ops, 6, &n, NULL) == SAFERL_OK && n == 4,
               "README string %d does not parse", i);
        saferl_nas_arch_string_format(ops, 4, out, sizeof out, NULL);
        EXPECT(strcmp(out, readme[i]) == 0, "README string %d prints back as %s", i, out);
    }
    f = path ? fopen(path, "r") : NULL;
    if (!f) { printf("nb201 table not found: README strings only\n"); return; }
    if (!fgets(line, sizeof line, f)) { fclose(f); return; }
    while (fgets(line, sizeof line, f)) {
        char *arch = line;
        int32_t code;
        for (i = 0; i < 3 && arch; ++i) { arch = strchr(arch, ','); if (arch) ++arch; }
        if (!arch) continue;
        arch[strcspn(arch, ",\r\n")] = '\0';
        ++count;
        if (saferl_nas_arch_string_parse(arch, strlen(arch), ops, 6, &n, NULL) != SAFERL_OK || n != 4) {
            EXPECT(0, "row %d: %s does not parse", count, arch);
            continue;
        }
        saferl_nas_arch_string_format(ops, 4, out, sizeof out, NULL);
        EXPECT(strcmp(out, arch) == 0, "row %d prints back differently", count);
        code = saferl_nas_nb201_code(ops);
        if (code >= 0 && !seen[code]) { seen[code] = 1; ++distinct; }
    }
    fclose(f);
    printf("nb201 table: %d cells parsed, %d distinct codes\n", count, distinct);
    EXPECT(count == 15625 && distinct == 15625, "expected 15625 distinct cells");
}

/* one image cell with every op evaluated: dump for torch */
static void dump_cell(const char *path) {
    static unsigned char mem[1 << 20];
    saferl_nas_net net;
    saferl_nas_net_desc d;
    saferl_rng rng;
    float x[2 * 2 * 5 * 5];
    int y[2] = {0, 2}, i;
    double gates[30], gg[30], loss;
    FILE *f = fopen(path, "w");
    memset(&d, 0, sizeof d);
    d.kind = SAFERL_NAS_IMAGES; d.in_channels = 2; d.height = 5; d.width = 5; d.channels = 3; d.classes = 3;
    d.max_batch = 2; d.cell_count = 2; d.seed = 5;
    saferl_nas_net_init(&net, &d, mem, sizeof mem);
    saferl_rng_seed(&rng, 8);
    for (i = 0; i < 100; ++i) x[i] = (float)saferl_rng_normal(&rng);
    for (i = 0; i < 30; ++i) gates[i] = 0.1 + 0.05 * (i % 7);
    saferl_nas_net_forward(&net, x, y, 2, gates, &loss, NULL);
    saferl_nas_net_backward(&net, gg);
    fprintf(f, "loss %.9g\n", loss);
    fprintf(f, "x"); for (i = 0; i < 100; ++i) fprintf(f, " %.9g", x[i]); fprintf(f, "\n");
    fprintf(f, "gates"); for (i = 0; i < 30; ++i) fprintf(f, " %.17g", gates[i]); fprintf(f, "\n");
    fprintf(f, "gate_grad"); for (i = 0; i < 30; ++i) fprintf(f, " %.9g", gg[i]); fprintf(f, "\n");
    fprintf(f, "params"); for (i = 0; i < (int)net.param_count; ++i) fprintf(f, " %.9g", net.params[i]); fprintf(f, "\n");
    fprintf(f, "grads"); for (i = 0; i < (int)net.param_count; ++i) fprintf(f, " %.9g", net.grads[i]); fprintf(f, "\n");
    fclose(f);
}

/* random rescale cases: E K, the sampled pair per edge, theta before and after a move, and
   the C result of the official rescale */
static void dump_rescale(const char *path) {
    static unsigned char amem[1 << 14];
    FILE *f = fopen(path, "w");
    saferl_rng rng;
    int c, i;
    saferl_rng_seed(&rng, 17);
    for (c = 0; c < 200; ++c) {
        saferl_nas_arch arch;
        saferl_nas_arch_desc ad;
        int E = 1 + (int)saferl_rng_bounded(&rng, 6), K = 2 + (int)saferl_rng_bounded(&rng, 5), e;
        double before[6 * 6];
        memset(&ad, 0, sizeof ad);
        ad.edge_count = E; ad.op_count = K;
        ad.strategy = saferl_nas_strategy_builtin(SAFERL_NAS_PROXYLESS_OFFICIAL);
        saferl_nas_arch_init(&arch, &ad, amem, sizeof amem);
        for (i = 0; i < E * K; ++i) { before[i] = saferl_rng_normal(&rng); arch.theta[i] = before[i] + 0.1 * saferl_rng_normal(&rng); }
        for (e = 0; e < E; ++e) {
            arch.choice[e] = (int)saferl_rng_bounded(&rng, (uint32_t)K);
            arch.choice2[e] = (arch.choice[e] + 1 + (int)saferl_rng_bounded(&rng, (uint32_t)K - 1)) % K;
        }
        fprintf(f, "%d %d", E, K);
        for (e = 0; e < E; ++e) fprintf(f, " %d %d", arch.choice[e], arch.choice2[e]);
        for (i = 0; i < E * K; ++i) fprintf(f, " %.17g", before[i]);
        for (i = 0; i < E * K; ++i) fprintf(f, " %.17g", arch.theta[i]);
        arch.desc.strategy->after_step(&arch, before);
        for (i = 0; i < E * K; ++i) fprintf(f, " %.17g", arch.theta[i]);
        fprintf(f, "\n");
    }
    fclose(f);
}

int main(int argc, char **argv) {
    brute_force();
    strings(argc > 1 ? argv[1] : NULL);
    if (argc > 2) dump_cell(argv[2]);
    if (argc > 3) dump_rescale(argv[3]);
    printf("%s\n", failures ? "oracle nas: FAILED" : "oracle nas: ok");
    return failures ? 1 : 0;
}
C
gcc -std=c99 -O2 -Wall -Wextra -Werror -I. build/oracle/nas_oracle.c -o build/oracle/nas_oracle -lm
table=../shared/data/nb201_accuracy.csv
[ -f "$table" ] || table=
build/oracle/nas_oracle "${table:-/nonexistent}" build/oracle/nas_cell.txt build/oracle/nas_rescale.txt
if /usr/bin/python3 -c "import numpy" 2>/dev/null; then
    /usr/bin/python3 - build/oracle/nas_rescale.txt <<'PY'
# util.py's rescale as the official code writes it, run by NumPy (float64 here: the C code is
# double; the official ran float32 on CuPy, whose repeated-index assignment order is not
# specified). A mismatch beyond rounding (1e-12 on values of order 1) fails.
import sys
import numpy as np
worst = 0.0
for line in open(sys.argv[1]):
    v = line.split()
    E, K = int(v[0]), int(v[1])
    pairs = np.array([int(t) for t in v[2:2 + 2 * E]]).reshape(E, 2)
    nums = np.array([float(t) for t in v[2 + 2 * E:]])
    oarc, narc, c_result = nums[:E * K].reshape(E, K), nums[E * K:2 * E * K].reshape(E, K).copy(), nums[2 * E * K:].reshape(E, K)
    mask = np.zeros((E, K))
    mask[np.arange(E), pairs[:, 0]] = 1
    mask[np.arange(E), pairs[:, 1]] = 1
    inx = np.where(mask != 0)[1].reshape((E, 2))
    inx1, inx2 = inx[:, 0], inx[:, 1]
    ratio = np.sum(np.exp(narc), axis=1) / np.sum(np.exp(oarc), axis=1)
    offset = np.log(ratio + 0.0001)
    narc[:, inx1] -= offset
    narc[:, inx2] -= offset
    worst = max(worst, float(np.abs(narc - c_result).max()))
print("numpy's official ProxylessNAS rescale on 200 random cases: worst difference %.2g" % worst)
sys.exit(0 if worst < 1e-12 else 1)
PY
else
    echo "python3-numpy not installed: the rescale cross-check is skipped"
fi
if /usr/bin/python3 -c "import torch" 2>/dev/null; then
    /usr/bin/python3 - build/oracle/nas_cell.txt <<'PY'
# The same two-cell image supernet in torch: stem conv3x3+bias, cells of 4 nodes with
# none / skip / relu-conv1x1 / relu-conv3x3 / avgpool3x3 (count_include_pad=False), every op
# gated, global average pool, linear head, mean cross-entropy.
import sys, torch
torch.set_num_threads(1)
d = {}
for line in open(sys.argv[1]):
    k, *v = line.split()
    d[k] = [float(t) for t in v]
x = torch.tensor(d["x"], dtype=torch.float64).reshape(2, 2, 5, 5)
g = torch.tensor(d["gates"], dtype=torch.float64).reshape(6, 5).requires_grad_(True)
P = torch.tensor(d["params"], dtype=torch.float64).requires_grad_(True)
C, off = 3, 0
def take(n, shape):
    global off
    t = P[off:off + n].reshape(shape); off += n; return t
stem_w, stem_b = take(C * 2 * 9, (C, 2, 3, 3)), take(C, (C,))
cells = []
for l in range(2):
    edges = []
    for e in range(6):
        edges.append({2: take(C * C, (C, C, 1, 1)), 3: take(C * C * 9, (C, C, 3, 3))})
    cells.append(edges)
head_w, head_b = take(3 * C, (3, C)), take(3, (3,))
F = torch.nn.functional
def op(k, h, w):
    if k == 1: return h
    if k == 2: return F.conv2d(F.relu(h), w[2])
    if k == 3: return F.conv2d(F.relu(h), w[3], padding=1)
    if k == 4: return F.avg_pool2d(h, 3, 1, 1, count_include_pad=False)
    return None
h = F.conv2d(x, stem_w, stem_b, padding=1)
for l in range(2):
    nodes = [h]
    for to in range(1, 4):
        s = 0
        for fr in range(to):
            e = to * (to - 1) // 2 + fr
            for k in range(1, 5):
                s = s + g[e, k] * op(k, nodes[fr], cells[l][e])
        nodes.append(s)
    h = nodes[3]
logits = F.linear(h.mean(dim=(2, 3)), head_w, head_b)
loss = F.cross_entropy(logits, torch.tensor([0, 2]))
loss.backward()
# The C code runs in float32 (unit roundoff u = 2^-24), torch in float64 from the same values.
# A float32 result carries at most about n u relative error, n the longest chain of roundings
# that feed it (Higham's gamma_n, on the scale of the values): per node a conv3x3 dot product
# (9 C terms) then the gated sum over its incoming edges and ops (3 x 4); three nodes per
# cell, two cells, the stem's dot (9 x 2), the 25-pixel mean, the head (C) and the softmax's
# few; the backward pass walks the chain again (2 n). Relative to max(1, |value|).
u = 2.0 ** -24
n = 9 * 2 + 2 * 3 * (9 * C + 3 * 4) + 25 + C + 8
tolerance = {"loss": n * u, "gate_grad": 2 * n * u, "grads": 2 * n * u}
def gap(a, b):
    a, b = torch.as_tensor(a, dtype=torch.float64).flatten(), torch.as_tensor(b, dtype=torch.float64).flatten()
    return float((a - b).abs().max() / max(1.0, float(b.abs().max())))
got = {"loss": gap(d["loss"], [loss.item()]), "gate_grad": gap(d["gate_grad"], g.grad),  # 'none': 0 on both sides
       "grads": gap(d["grads"], P.grad)}
ok = all(got[k] <= tolerance[k] for k in got)
# the check can fail: the loss moved by twice its tolerance is caught
assert gap([d["loss"][0] * (1 + 2 * tolerance["loss"]) + 2 * tolerance["loss"]], [loss.item()]) > tolerance["loss"]
print("torch cross-check of a two-cell supernet: loss %.6f vs %.6f; worst gap / tolerance (n = %d roundings): %s; %s"
      % (d["loss"][0], loss.item(), n, ", ".join("%s %.2g / %.2g" % (k, got[k], tolerance[k]) for k in got),
         "agree" if ok else "DISAGREE"))
sys.exit(0 if ok else 1)
PY
else
    echo "python3-torch not installed: the torch cross-check is skipped"
fi
