// SPDX-License-Identifier: MIT OR Unlicense
/* saferl_nas.h - v0.2.2 - one-shot architecture search: AdvantageNAS and its rivals
                           on a weight-sharing supernet; public domain or MIT (end of file)

   AdvantageNAS (Sato, Sakuma, Akimoto, AAAI 2021, arXiv:2012.06138) searches a cell by
   sampling ONE operation per edge (sparse propagation) and updating the per-edge softmax
   distribution with a per-edge advantage: the derivative of the loss with respect to the
   scalar gate that multiplies the sampled operation's output, summed over every cell that
   shares the architecture. One forward and one backward pass give the credit of every edge.
   This header holds the supernet (convolution, pooling, skip, zero and linear operations,
   forward and backward through the sampled operations only), the architecture
   distribution, AdvantageNAS and every rival the paper compares against (REINFORCE,
   PARSEC, GDAS, ProxylessNAS, NASP, and SNAS and DARTS as the dense references) with the
   update rules of the authors' comparison code, and the paper's teacher-student toy task.

   Do this:
      #define SAFERL_NAS_IMPLEMENTATION   (or SAFERL_IMPLEMENTATION for every saferl header)
   before you include this file in *one* C or C++ file to create the implementation.

   Optional, before the implementation include:
      #define SAFERL_ASSERT(x)        your assert, for programmer errors only (default: assert)
      #define SAFERL_MALLOC(sz,ctx)   default allocation   (default: malloc(sz))
      #define SAFERL_FREE(p,ctx)      default release      (default: free(p))
      #define SAFERL_NAS_API          declaration prefix   (default: extern)
      #define SAFERL_NAS_STATIC       every function static: a private copy per translation unit
      #define SAFERL_USE_BLIS         matrix products through BLIS (native only; link -lblis and
                                      compile that one file with -std=gnu99: blis.h is not C99);
                                      the convolutions stay on the header's direct kernel
      #define SAFERL_NO_DISPATCH      no AVX2 copy of the products (see "the products" below)

   The header does no I/O: it takes decoded pixel buffers (float, planar CHW per image) and
   labels; examples/nas_images.h reads a folder of PNG/JPEG files with stb_image.

   QUICK START
      #define SAFERL_NAS_IMPLEMENTATION
      #include "saferl_nas.h"
      #include <stdio.h>
      int main(void) {
          // the paper's toy task: 10 edges x 10 operations, AdvantageNAS, Adam 1e-3, batch 100
          static unsigned char toy_memory[1 << 20], arch_memory[1 << 14];
          saferl_nas_toy toy;
          saferl_nas_arch arch;
          saferl_nas_arch_desc desc = {0};          // zero = the documented defaults (C++: = {})
          saferl_rng rng;
          int i, found = -1;
          saferl_rng_seed(&rng, 1);
          if (saferl_nas_toy_init(&toy, 100, &rng, toy_memory, sizeof toy_memory) < 0) return 1;
          desc.edge_count = SAFERL_NAS_TOY_POSITIONS;
          desc.op_count = SAFERL_NAS_TOY_CANDIDATES;
          desc.strategy = saferl_nas_strategy_builtin(SAFERL_NAS_ADVANTAGE);
          if (saferl_nas_arch_init(&arch, &desc, arch_memory, sizeof arch_memory) < 0) return 1;
          for (i = 0; i < 2000 && found < 0; ++i) {
              double loss;
              saferl_nas_arch_draw(&arch, &rng);
              saferl_nas_toy_sample(&toy, &rng);
              loss = saferl_nas_toy_loss(&toy, arch.gates, arch.gate_grad);
              if (saferl_nas_arch_update(&arch, loss) < 0) return 1;
              if (saferl_nas_toy_argmax_is_teacher(&toy, &arch)) found = i + 1;
          }
          printf("argmax = teacher after %d iterations\n", found);
          return 0;
      }

   WHAT IS HERE, top to bottom
      operations and cells          saferl_nas_op (NAS-Bench-201's five + three vector ops),
                                    edges of a DAG cell, NAS-Bench-201 architecture strings
      the products (internal)       every matrix product on one register-tiled kernel,
                                    compiled also for AVX2 and chosen per call, results
                                    bit-identical to plain loops (or BLIS); for
                                    WebAssembly build with emcc -msimd128 (f32x4 tiles,
                                    the same bits)
      the convolutions (internal)   direct: the kernel reads the padded image through
                                    offset tables (no im2col), forward and both gradients
      the architecture distribution saferl_nas_arch: softmax per edge, exact categorical
                                    sampling, argmax and process-best, entropy per edge,
                                    Adam as in Chainer, and the strategies behind one
                                    interface (saferl_nas_strategy) a user can implement
      the supernet                  saferl_nas_net: stem, cells sharing one architecture,
                                    head; forward/backward through the sampled operations;
                                    gate gradients; SGD with momentum and weight decay;
                                    saferl_nas_weight_step / saferl_nas_arch_step alternate
      data                          saferl_nas_synthetic_images, saferl_nas_check_data
      the toy task                  saferl_nas_toy (teacher-student, 10 x 10, frozen features)

   ALGORITHMIC CHOICES (what is computed, so it can be checked)
      * Distribution: theta is (edges, ops); pi_e = softmax(theta_e) (max subtracted first).
        theta starts at 1 with theta[e][0] += 1e-6, as the official code, so argmax ties
        break towards operation 0. Sampling is exact categorical through saferl_rng (the
        official code's Gumbel-max on log(pi + 0.001) is an implementation artefact we do
        not copy); GDAS alone keeps the official Gumbel relaxation, since its gradient
        flows through it. ProxylessNAS draws two distinct operations per edge, exactly
        without replacement (what the official Gumbel top-2 approximates).
      * Gates: arch.gates[e][k] multiplies operation k's output on edge e; 0 means "not
        evaluated". The gate gradient of an evaluated operation is sum over cells and
        positions of dL/dnode * op output; for an operation that was not evaluated it is the
        sum of dL/dnode (the official toy's constant "a * 1" term that GDAS reads; every
        other strategy multiplies it by a zero gate or ignores it).
      * AdvantageNAS (util.py adv_grad): A_e = dL/dgate of the sampled op; theta grad
        G_e = A_e (onehot(a_e) - pi_e). With the zero-operation rule, E[e][k] is an EMA
        (coefficient 0.05, first value taken as is) of observed A for the sampled entry only
        and a sampled zero op gets A_e = max_k E[e][k]. "With baseline" subtracts b_e, an EMA
        of past A_e (0 before the first). The official code cannot combine the two (its
        with_b branch discards the zero rule); here the zero rule runs first, then the
        baseline: our choice.
      * REINFORCE: G = (L - b)(a - pi), b = EMA_0.05(L) updated with L before use (the
        first reward is 0). PARSEC: 8 samples collected; G = sum_i softmax(L)_i (a_i - pi),
        one Adam step every 8 draws (Chainer skips steps with no gradient, so Adam's t counts
        steps taken). GDAS: z = softmax((log(pi + 0.001) + g) / tau), uniform clipped to
        [0.001, 0.999], tau linear from 10 to 0.1 over max_iterations (then held),
        straight-through gate onehot(argmax z); theta's gradient is the exact chain rule
        through z.
        ProxylessNAS: two ops evaluated with gate 1; grad[i] += sum_j A_j p_j (delta_ij -
        p_i) with p the softmax over the two; after Adam, log(sum exp theta_new / sum exp
        theta_old + 1e-4) is subtracted from the two sampled entries of that edge. (The
        official rescale indexes narc[:, inx] and so mixes rows; "proxyless" applies the
        intended per-edge rule, "proxyless_official" the code's, with NumPy's semantics:
        theta[r][inx[j]] -= offset[j] for every row r, the last j winning on repeated
        columns.) DARTS (Liu, Simonyan, Yang, ICLR 2019, arXiv:1806.09055): gates = pi,
        theta grad = pi (g - <pi, g>) (first order).
      * SNAS (Xie, Zheng, Liu, Lin, ICLR 2019, arXiv:1812.09926): gates = z, the relaxed
        Gumbel sample above (every op evaluated), tau = (cos(pi t / T) + 1) / 2 over
        max_iterations T as in the comparison code (held past T - 1); theta's gradient is
        the exact chain rule through z, as GDAS's. SNAS's resource term is not included.
      * NASP (Yao, Xu, Tu, Zhu, AAAI 2020, arXiv:1905.13577): gates = onehot(argmax theta);
        every operation is evaluated (strategy evaluate_all) so gate_grad holds every
        gate's partial derivative, and theta's gradient is gate_grad itself; after the step
        theta is constrained per edge as the comparison code's nasp_c2_const (shift up by a
        negative minimum, divide by a maximum above 1). Departure from the NASP paper, as
        in the comparison code: Adam instead of plain gradient steps, and that rescaling
        instead of clipping to [0, 1].
      * Optimiser for theta: Chainer's Adam, theta -= alpha sqrt(1 - b2^t)/(1 - b1^t) m /
        (sqrt(v) + eps), after an optional weight decay (grad += wd theta) and an optional
        global-norm clip, in that order (the official hooks' order).
      * Supernet: image cells use NAS-Bench-201's operations: nor_conv = ReLU then a
        convolution (stride 1, same padding, no bias). We omit batch normalisation (the
        official supernet's BN has no affine parameters; we keep the code small and
        exactly differentiable); avg_pool_3x3 is stride 1 with the padding excluded from
        the count. The network is stem (conv 3x3 + bias), cell_count cells at one
        resolution sharing the architecture, global average pooling, a linear head and
        softmax cross-entropy (mean over the batch). Vector cells: linear_relu,
        linear_tanh, linear_sigmoid (each act(W x + b)), skip_connect, none; stem and head
        are linear layers. Weights: SGD with momentum (optionally Nesterov), weight decay,
        global-norm clip; only the operations evaluated in a step are updated, as in
        Chainer where parameters outside the graph get no gradient.
      * Toy task (toy/toy.py): 10 positions x 10 candidates; x ~ U[-1,1]^(13x13); per
        position a frozen conv 7x7 stride 2 (1 -> 10 channels, bias) gives 10 maps of 4x4;
        candidate k takes channel k times its gate, then tanh, then a frozen conv 4x4 to a
        scalar (no bias); y = mean over positions; loss = MSE against the teacher whose
        architecture is the argmax of a U[0,1) matrix. Weights are Chainer's defaults:
        LeCun normal (std 1/sqrt(fan_in)) and zero bias, drawn from saferl_rng.

   MEMORY, THREADS, ERRORS
      Every object offers *_memory_size + *_init on caller memory, and *_create + *_destroy
      through the desc's allocator (or SAFERL_MALLOC). Draws, forward and backward passes
      and updates never allocate. No global state: different objects may be used from
      different threads at once. Bad data (NaN pixels, a label out of range, a NaN loss or
      gradient, an unknown operation name) returns a negative saferl_result and leaves the
      object as it was; parsers report the column.

   BITS
      The matrix products and the convolutions give the same bits in every build: SSE, the
      per-call AVX2 copy and wasm simd128.
      That needs every a * b + c in the code rounded twice, as written. A compiler allowed to
      contract it into one fused multiply-add does so wherever the target has FMA
      (-march=x86-64-v3, -march=native): gcc in GNU modes (-std=gnu99, -ffp-contract=fast by
      default) and clang >= 14 (on by default). So the implementation turns contraction off
      for its own code (#pragma clang fp contract(off) or GCC optimize("fp-contract=off"),
      pushed before it and popped after it: code after the #include keeps its own setting;
      MSVC 2022 does not contract under its default /fp:precise; WebAssembly has no fused
      multiply-add). clang can push the setting only on x86: on other targets (ARM64) it
      keeps the build's, so build with -ffp-contract=off there for the same bits. clang's
      -ffp-contract=fast ignores every pragma by its definition: use on or fast-honor-pragmas.
      tests/run.sh runs the bit tests built with -march=x86-64-v3 under gcc -std=gnu99 and
      clang -std=c99.

   REVISION HISTORY
      0.2.2 (2026-12-08)  the AVX2 copies are tuned for x86-64-v3 under clang, whose generic
                          tuning split every 256-bit load and store in halves: clang 14's
                          supernet step 1.27x gcc's time, now 1.09x (same bits)
      0.2.1 (2026-12-05)  the bits hold under -march=x86-64-v3 and -march=native too: no
                          contraction into fused multiply-adds in the header's code (BITS)
      0.2.0 (2026-12-04)  SNAS, NASP and the official code's ProxylessNAS rescale as
                          strategies; saferl_nas_toy_arch_loss; a strategy may ask for
                          every operation to be evaluated (evaluate_all); the GDAS and SNAS
                          temperatures are held at their last value past max_iterations;
                          the products on register tiles with a per-call AVX2 copy
                          (bit-identical to the plain loops); the convolutions direct on
                          the same kernel (no im2col or col2im; the BLIS build uses it for
                          them too); the input gradient sums each element once over
                          (o, ki, kj), so its last bits differ from the im2col version's
      0.1.0 (2026-11-21)  first release
*/
#ifndef SAFERL_NAS_H
#define SAFERL_NAS_H

#define SAFERL_NAS_VERSION_MAJOR 0
#define SAFERL_NAS_VERSION_MINOR 2
#define SAFERL_NAS_VERSION_PATCH 2
#define SAFERL_NAS_VERSION_STRING "0.2.2"

#if defined(SAFERL_IMPLEMENTATION) && !defined(SAFERL_NAS_IMPLEMENTATION)
#define SAFERL_NAS_IMPLEMENTATION
#endif

#ifndef SAFERL_NAS_API
#  if defined(SAFERL_NAS_STATIC) && (defined(__GNUC__) || defined(__clang__))
#    define SAFERL_NAS_API static __attribute__((unused)) /* no warning for what you don't call */
#  elif defined(SAFERL_NAS_STATIC)
#    define SAFERL_NAS_API static
#  else
#    define SAFERL_NAS_API extern
#  endif
#endif

/* ==== saferl common block: byte-identical in every saferl header ======================== */
#ifndef SAFERL_COMMON_H
#define SAFERL_COMMON_H
#define SAFERL_COMMON_VERSION 2

#include <stddef.h>
#include <stdint.h>
#include <math.h>

/* Every fallible function returns a saferl_result: 0 success, negative an error (the call
   changed nothing), positive a success with a qualification the caller should read. */
typedef enum saferl_result {
    SAFERL_OK = 0,
    SAFERL_BOUND_ONLY = 1,                 /* done, but the data only bound the quantity */
    SAFERL_ERR_INVALID_ARGUMENT = -1,      /* a value out of its documented range */
    SAFERL_ERR_OUT_OF_MEMORY = -2,
    SAFERL_ERR_BUFFER_TOO_SMALL = -3,      /* the caller's buffer is smaller than needed */
    SAFERL_ERR_NOT_FINITE = -4,            /* NaN or infinity in the input */
    SAFERL_ERR_PARSE = -5,                 /* malformed text; the parser says line and column */
    SAFERL_ERR_NO_DATA = -6,               /* nothing to estimate from */
    SAFERL_ERR_NOT_POSITIVE_DEFINITE = -7,
    SAFERL_ERR_DID_NOT_CONVERGE = -8,
    SAFERL_ERR_UNSUPPORTED = -9,           /* valid, but outside what this code handles */
    SAFERL_ERR_INFEASIBLE = -10,           /* no solution exists (unrealisable, infeasible) */
    SAFERL_ERR_VERSION = -11,              /* a file or buffer of another format version */
    SAFERL_ERR_CORRUPT = -12,              /* a binary buffer that fails its checks */
    SAFERL_ERR_IO = -13                    /* reading or writing a file failed: errno says why */
} saferl_result;

static inline const char *saferl_result_string(saferl_result result) {
    switch (result) {
    case SAFERL_OK: return "ok";
    case SAFERL_BOUND_ONLY: return "only a bound: the data do not determine the value";
    case SAFERL_ERR_INVALID_ARGUMENT: return "invalid argument";
    case SAFERL_ERR_OUT_OF_MEMORY: return "out of memory";
    case SAFERL_ERR_BUFFER_TOO_SMALL: return "buffer too small";
    case SAFERL_ERR_NOT_FINITE: return "NaN or infinity in the input";
    case SAFERL_ERR_PARSE: return "parse error";
    case SAFERL_ERR_NO_DATA: return "no data";
    case SAFERL_ERR_NOT_POSITIVE_DEFINITE: return "matrix not positive definite";
    case SAFERL_ERR_DID_NOT_CONVERGE: return "did not converge";
    case SAFERL_ERR_UNSUPPORTED: return "unsupported";
    case SAFERL_ERR_INFEASIBLE: return "infeasible";
    case SAFERL_ERR_VERSION: return "unsupported format version";
    case SAFERL_ERR_CORRUPT: return "corrupt data";
    case SAFERL_ERR_IO: return "input/output error";
    }
    return "unknown result";
}

/* Memory for the *_create conveniences. All zero means SAFERL_MALLOC / SAFERL_FREE. */
typedef struct saferl_allocator {
    void *(*allocate)(size_t size, void *user_data);
    void (*release)(void *pointer, void *user_data);
    void *user_data;
} saferl_allocator;

/* xoshiro256** (Blackman and Vigna), seeded through splitmix64 from a 32-bit seed so that
   JavaScript can pass it. The integer stream and saferl_rng_uniform are bit-identical on
   every platform; saferl_rng_normal goes through libm and agrees to rounding. */
typedef struct saferl_rng {
    uint64_t s[4];
} saferl_rng;

static inline uint64_t saferl_rng_splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline void saferl_rng_seed(saferl_rng *rng, uint32_t seed) {
    uint64_t state = seed;
    int i;
    for (i = 0; i < 4; ++i) rng->s[i] = saferl_rng_splitmix64(&state);
}

static inline uint64_t saferl_rng_u64(saferl_rng *rng) {
    uint64_t *s = rng->s;
    uint64_t x = s[1] * 5u;
    uint64_t result = ((x << 7) | (x >> 57)) * 9u;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);
    return result;
}

static inline uint32_t saferl_rng_u32(saferl_rng *rng) {
    return (uint32_t)(saferl_rng_u64(rng) >> 32);
}

/* Uniform double in [0, 1) with 53 random bits. */
static inline double saferl_rng_uniform(saferl_rng *rng) {
    return (double)(saferl_rng_u64(rng) >> 11) * (1.0 / 9007199254740992.0);
}

/* Uniform integer in [0, bound), unbiased (Lemire's multiply-and-reject); bound 0 gives 0. */
static inline uint32_t saferl_rng_bounded(saferl_rng *rng, uint32_t bound) {
    uint64_t m;
    uint32_t low;
    if (bound == 0) return 0;
    m = (uint64_t)saferl_rng_u32(rng) * bound;
    low = (uint32_t)m;
    if (low < bound) {
        uint32_t threshold = (uint32_t)(0u - bound) % bound;
        while (low < threshold) {
            m = (uint64_t)saferl_rng_u32(rng) * bound;
            low = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

/* Standard normal by Box-Muller; one value a call, no cached spare, so the state alone
   determines the stream. */
static inline double saferl_rng_normal(saferl_rng *rng) {
    double u1 = 1.0 - saferl_rng_uniform(rng); /* (0, 1]: log stays finite */
    double u2 = saferl_rng_uniform(rng);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586476925 * u2);
}

/* Index i with probability weights[i] / sum(weights). Weights must be finite and >= 0 with
   a positive sum; otherwise returns count (no valid index) and draws nothing. */
static inline size_t saferl_rng_categorical(saferl_rng *rng, const double *weights, size_t count) {
    double total = 0.0, target;
    size_t i, last_positive = count;
    for (i = 0; i < count; ++i) {
        if (!(weights[i] >= 0.0) || weights[i] > 1.7976931348623157e308) return count;
        total += weights[i];
        if (weights[i] > 0.0) last_positive = i;
    }
    if (!(total > 0.0) || total > 1.7976931348623157e308) return count;
    target = saferl_rng_uniform(rng) * total;
    for (i = 0; i < count; ++i) {
        if (weights[i] > 0.0 && target < weights[i]) return i;
        target -= weights[i];
    }
    return last_positive; /* rounding left target just above the last weight */
}

#else
#if SAFERL_COMMON_VERSION != 2
#error "saferl headers of different versions in one translation unit: update them together"
#endif
#endif /* SAFERL_COMMON_H */
/* ==== end of the saferl common block ===================================================== */

#ifdef __cplusplus
extern "C" {
#endif

/* ---- operations and cells -------------------------------------------------------------- */

/* The first five are NAS-Bench-201's, in its canonical order (so an architecture's base-5
   code uses these values); the last three are for vector cells. */
typedef enum saferl_nas_op {
    SAFERL_NAS_NONE = 0,          /* zero: outputs 0, the edge is absent */
    SAFERL_NAS_SKIP_CONNECT = 1,  /* identity */
    SAFERL_NAS_NOR_CONV_1X1 = 2,  /* ReLU, conv 1x1 (C -> C, no bias) */
    SAFERL_NAS_NOR_CONV_3X3 = 3,  /* ReLU, conv 3x3 (C -> C, pad 1, no bias) */
    SAFERL_NAS_AVG_POOL_3X3 = 4,  /* 3x3 average, stride 1, pad 1, padding not counted */
    SAFERL_NAS_LINEAR_RELU = 5,   /* vector: relu(W x + b), W is (H,H) */
    SAFERL_NAS_LINEAR_TANH = 6,   /* vector: tanh(W x + b) */
    SAFERL_NAS_LINEAR_SIGMOID = 7,/* vector: sigmoid(W x + b) */
    SAFERL_NAS_OP_KINDS = 8
} saferl_nas_op;

#define SAFERL_NAS_MAX_NODES 8        /* nodes of a cell, node 0 the input */
#define SAFERL_NAS_MAX_OPS 16         /* candidate operations per edge */
#define SAFERL_NAS_NB201_NODES 4
#define SAFERL_NAS_NB201_EDGES 6

/* "none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3", "linear_relu",
   "linear_tanh", "linear_sigmoid"; "?" for anything else. */
SAFERL_NAS_API const char *saferl_nas_op_name(saferl_nas_op op);
/* The op with that exact name (length bytes, not NUL-terminated), or
   SAFERL_ERR_PARSE. */
SAFERL_NAS_API saferl_result saferl_nas_op_from_name(const char *name, size_t length, saferl_nas_op *op);

/* A cell of n nodes has n (n - 1) / 2 edges, node i summing one edge from every j < i. Edges
   are numbered node by node: (1<-0), (2<-0), (2<-1), (3<-0), (3<-1), (3<-2), ... */
SAFERL_NAS_API int saferl_nas_edge_count(int node_count);
SAFERL_NAS_API void saferl_nas_edge_nodes(int edge, int *from, int *to);

typedef struct saferl_nas_parse_error {
    uint32_t column;      /* 1-based byte column of the first bad character */
    const char *reason;   /* static text */
} saferl_nas_parse_error;

/* Parses a NAS-Bench-201 architecture string "|op~0|+|op~0|op~1|+|op~0|op~1|op~2|" (any
   number of nodes up to SAFERL_NAS_MAX_NODES; trailing spaces, tabs and newlines
   allowed) into ops[edge] in the edge order above. Returns SAFERL_OK with *node_count, or
   SAFERL_ERR_PARSE with *error (optional) set, or SAFERL_ERR_BUFFER_TOO_SMALL when the
   cell has more than ops_capacity edges. Nothing is written on error. */
SAFERL_NAS_API saferl_result saferl_nas_arch_string_parse(const char *text, size_t length,
                                                          saferl_nas_op *ops, size_t ops_capacity,
                                                          int *node_count,
                                                          saferl_nas_parse_error *error);
/* The string of ops (edge order above) for a cell of node_count nodes, NUL-terminated.
   *length (optional) gets the length without the NUL; with capacity too small nothing is
   written beyond it and SAFERL_ERR_BUFFER_TOO_SMALL is returned (length still set). */
SAFERL_NAS_API saferl_result saferl_nas_arch_string_format(const saferl_nas_op *ops, int node_count,
                                                           char *out, size_t capacity, size_t *length);
/* NAS-Bench-201 cells only: sum_e ops[e] 5^e (0 .. 15624); -1 if an op is not one of the five.
   (Our code, not the NAS-Bench-201 API's index: map through the strings.) */
SAFERL_NAS_API int32_t saferl_nas_nb201_code(const saferl_nas_op ops[SAFERL_NAS_NB201_EDGES]);
SAFERL_NAS_API void saferl_nas_nb201_decode(int32_t code, saferl_nas_op ops[SAFERL_NAS_NB201_EDGES]);

/* ---- the architecture distribution and the strategies ---------------------------------- */

typedef enum saferl_nas_strategy_kind {
    SAFERL_NAS_ADVANTAGE = 0,  /* AdvantageNAS (official mode "A"; with_baseline: "A2") */
    SAFERL_NAS_REINFORCE = 1,  /* mode "R" */
    SAFERL_NAS_PARSEC = 2,     /* mode "PA" */
    SAFERL_NAS_GDAS = 3,       /* mode "GD" */
    SAFERL_NAS_PROXYLESS = 4,  /* mode "P" */
    SAFERL_NAS_DARTS = 5,      /* mode "D" (dense) */
    SAFERL_NAS_SNAS = 6,       /* mode "S" (dense, relaxed) */
    SAFERL_NAS_NASP = 7,       /* mode "N" (one-hot forward, every gate's gradient) */
    SAFERL_NAS_PROXYLESS_OFFICIAL = 8, /* mode "P" with the official code's rescale */
    SAFERL_NAS_STRATEGY_KINDS = 9
} saferl_nas_strategy_kind;

struct saferl_nas_arch;

/* A strategy: how gates are drawn and how theta's gradient is formed. The built-ins are
   instances; a user strategy fills the same struct (keep its state behind user_data). */
typedef struct saferl_nas_strategy {
    const char *name;
    /* Writes arch->gates (edges x ops; 0 = op not evaluated) and arch->choice (the op of
       each edge, for process-best and the sparse strategies). */
    void (*draw)(struct saferl_nas_arch *arch, saferl_rng *rng);
    /* From the loss and arch->gate_grad, writes theta_grad (edges x ops) whose negative is
       the descent direction. Returns 1: take an optimiser step; 0: no step now (PARSEC
       collecting samples); negative: an error (then the arch must be unchanged). */
    int (*gradient)(struct saferl_nas_arch *arch, double loss, double *theta_grad);
    /* Optional: after the optimiser step, theta_before the values before it. */
    void (*after_step)(struct saferl_nas_arch *arch, const double *theta_before);
    void *user_data;
    /* 1: the network evaluates every operation, gate 0 included, so that gate_grad holds
       the partial derivative of every gate (NASP); 0: operations with gate 0 are skipped. */
    int evaluate_all;
} saferl_nas_strategy;

SAFERL_NAS_API const saferl_nas_strategy *saferl_nas_strategy_builtin(saferl_nas_strategy_kind kind);
/* "advantage", "reinforce", "parsec", "gdas", "proxyless", "darts", "snas", "nasp",
   "proxyless_official" -> kind, or -1. */
SAFERL_NAS_API int saferl_nas_strategy_from_name(const char *name);

#define SAFERL_NAS_PARSEC_MAX_SAMPLES 16

typedef struct saferl_nas_arch_desc {
    int edge_count;               /* > 0 */
    int op_count;                 /* in [2, SAFERL_NAS_MAX_OPS] */
    const saferl_nas_strategy *strategy; /* NULL -> AdvantageNAS */
    double learning_rate;         /* Adam alpha; 0 -> 1e-3 (the toy's) */
    double beta1;                 /* 0 -> 0.9 (the toy's; the supernet searches use 0.5) */
    double beta2;                 /* 0 -> 0.999 */
    double epsilon;               /* 0 -> 1e-8 */
    double weight_decay;          /* grad += wd theta before clipping; 0 -> none (NB201: 3e-3) */
    double clip_norm;             /* global L2 clip of theta's gradient; 0 -> none (NB201: 1) */
    double ema_coefficient;       /* baselines and advantage EMAs; 0 -> 0.05 */
    int with_baseline;            /* AdvantageNAS "with baseline" (mode A2) */
    int zero_op_rule;             /* AdvantageNAS: advantage of the zero op from the EMAs */
    int zero_op;                  /* index of the zero operation, when zero_op_rule */
    int max_iterations;           /* GDAS and SNAS temperature schedule length; 0 -> 2000 */
    double tau_start, tau_end;    /* GDAS temperature; 0 -> 10 and 0.1 */
    int parsec_samples;           /* 0 -> 8, at most SAFERL_NAS_PARSEC_MAX_SAMPLES */
    saferl_allocator allocator;   /* for saferl_nas_arch_create; zero -> SAFERL_MALLOC */
} saferl_nas_arch_desc;

typedef struct saferl_nas_arch {
    saferl_nas_arch_desc desc;    /* with the defaults filled in; learning_rate may be
                                     changed between updates (schedules) */
    int edge_count, op_count;
    double *theta;                /* (E,K) */
    double *gates;                /* (E,K) the last draw */
    double *gate_grad;            /* (E,K) dL/dgate, written by the caller's backward pass */
    double *theta_grad;           /* (E,K) the last gradient */
    double *adam_m, *adam_v;      /* (E,K) */
    double *advantage_ema;        /* (E,K) zero-op rule */
    double *edge_baseline;        /* (E) with_baseline */
    double *gumbel_z;             /* (E,K) GDAS and SNAS relaxed sample */
    double *scratch;              /* (E,K) */
    int *choice;                  /* (E) sampled op per edge */
    int *choice2;                 /* (E) ProxylessNAS's second op */
    int *best_choice;             /* (E) process-best: the sampled architecture with the
                                     lowest loss seen, valid when best_loss is finite */
    int *parsec_choices;          /* (parsec_samples, E) */
    double parsec_losses[SAFERL_NAS_PARSEC_MAX_SAMPLES];
    int parsec_count;
    double best_loss;             /* +inf at start */
    double loss_baseline;         /* REINFORCE's EMA of the loss */
    int loss_baseline_set, advantage_ema_set, edge_baseline_set;
    long adam_steps;              /* t of Adam */
    long iteration;               /* updates seen (GDAS and SNAS schedules) */
    void *user_data;              /* free for a user strategy */
    void *owned_memory;           /* set by saferl_nas_arch_create */
} saferl_nas_arch;

SAFERL_NAS_API saferl_nas_arch_desc saferl_nas_arch_desc_defaults(const saferl_nas_arch_desc *desc);
/* Bytes saferl_nas_arch_init needs; 0 when the desc is invalid. */
SAFERL_NAS_API size_t saferl_nas_arch_memory_size(const saferl_nas_arch_desc *desc);
SAFERL_NAS_API saferl_result saferl_nas_arch_init(saferl_nas_arch *arch, const saferl_nas_arch_desc *desc,
                                                  void *memory, size_t memory_size);
SAFERL_NAS_API saferl_result saferl_nas_arch_create(saferl_nas_arch *arch, const saferl_nas_arch_desc *desc);
SAFERL_NAS_API void saferl_nas_arch_destroy(saferl_nas_arch *arch);

/* pi_e = softmax(theta_e) into probabilities (op_count values). */
SAFERL_NAS_API void saferl_nas_arch_probabilities(const saferl_nas_arch *arch, int edge, double *probabilities);
/* Entropy of pi_e in nats (log K for the uniform distribution). */
SAFERL_NAS_API double saferl_nas_arch_entropy(const saferl_nas_arch *arch, int edge);
/* The most probable op per edge (the first on ties). */
SAFERL_NAS_API void saferl_nas_arch_argmax(const saferl_nas_arch *arch, int *ops);
/* Draws gates and choices with the strategy (reads nothing but theta and rng). */
SAFERL_NAS_API void saferl_nas_arch_draw(saferl_nas_arch *arch, saferl_rng *rng);
/* One architecture update from the loss of the last draw and arch->gate_grad. Returns
   SAFERL_OK, or SAFERL_ERR_NOT_FINITE (NaN/inf loss or gate gradient, or a strategy that
   produced one) with the arch unchanged. Records process-best for the sparse strategies. */
SAFERL_NAS_API saferl_result saferl_nas_arch_update(saferl_nas_arch *arch, double loss);
/* Sets gates to the one-hot of ops (for evaluating a final architecture). */
SAFERL_NAS_API void saferl_nas_arch_set_gates(saferl_nas_arch *arch, const int *ops);

/* ---- the supernet -------------------------------------------------------------------- */

typedef enum saferl_nas_data_kind {
    SAFERL_NAS_IMAGES = 0,        /* inputs (B, in_channels, height, width), conv cells */
    SAFERL_NAS_VECTORS = 1        /* inputs (B, input_dim), vector cells */
} saferl_nas_data_kind;

typedef struct saferl_nas_net_desc {
    saferl_nas_data_kind kind;
    int node_count;               /* 0 -> 4 (NAS-Bench-201); at most SAFERL_NAS_MAX_NODES */
    int op_count;                 /* candidate ops per edge; 0 -> the five of the kind */
    const saferl_nas_op *ops;     /* NULL -> none, skip_connect, nor_conv_1x1, nor_conv_3x3,
                                     avg_pool_3x3 (images) or none, skip_connect,
                                     linear_relu, linear_tanh, linear_sigmoid (vectors) */
    int cell_count;               /* cells sharing the architecture; 0 -> 1 */
    int in_channels, height, width;  /* images */
    int input_dim;                /* vectors */
    int channels;                 /* cell width C (images, 0 -> 8) or hidden size (vectors, 0 -> 32) */
    int classes;                  /* >= 2 */
    int max_batch;                /* 0 -> 32 */
    double learning_rate;         /* SGD; 0 -> 0.05 (change net->desc between steps for schedules) */
    double momentum;              /* 0 -> 0.9 */
    double weight_decay;          /* 0 -> 5e-4 (the official search's) */
    double clip_norm;             /* 0 -> 5 */
    int nesterov;                 /* 1: Nesterov momentum (the official search's) */
    uint32_t seed;                /* weight initialisation */
    saferl_allocator allocator;   /* for saferl_nas_net_create */
} saferl_nas_net_desc;

typedef struct saferl_nas_net {
    saferl_nas_net_desc desc;     /* defaults filled in */
    saferl_nas_op ops[SAFERL_NAS_MAX_OPS];
    int edge_count, op_count;
    int sample_size;              /* floats per input sample */
    int tensor_size;              /* floats of one node for max_batch samples */
    size_t param_count;
    float *params, *grads, *velocity;  /* one block each, the same layout */
    size_t *op_param_offset;      /* (cells, E, K) offset into params, or (size_t)-1 if none */
    unsigned char *touched;       /* (cells, E, K) evaluated in the last forward */
    size_t stem_weight, stem_bias, head_weight, head_bias;  /* offsets */
    float *activations;           /* one block: nodes, op outputs, head, scratch */
    float *nodes;                 /* (cells, N, T) */
    float *op_outputs;            /* (cells, E, K, T) */
    float *node_grad;             /* (N, T) */
    float *scratch, *scratch2;    /* (T) each */
    float *conv_scratch;          /* one convolution's padded images, transposes, staging */
    int *conv_offsets;            /* one convolution's offset tables */
    float *pooled, *pooled_grad;  /* (B, C) */
    float *logits;                /* (B, classes) softmax probabilities after forward */
    double *gates_used;           /* (E, K) copy of the last forward's gates */
    const float *inputs;          /* the last forward's inputs and labels (caller memory) */
    const int *labels;
    int batch;
    int forward_done;
    int evaluated_all;            /* the last forward also evaluated gate-0 operations */
    void *owned_memory;
} saferl_nas_net;

SAFERL_NAS_API saferl_nas_net_desc saferl_nas_net_desc_defaults(const saferl_nas_net_desc *desc);
/* Bytes for saferl_nas_net_init, or 0 for an invalid desc (or a size beyond size_t). */
SAFERL_NAS_API size_t saferl_nas_net_memory_size(const saferl_nas_net_desc *desc);
SAFERL_NAS_API saferl_result saferl_nas_net_init(saferl_nas_net *net, const saferl_nas_net_desc *desc,
                                                 void *memory, size_t memory_size);
SAFERL_NAS_API saferl_result saferl_nas_net_create(saferl_nas_net *net, const saferl_nas_net_desc *desc);
SAFERL_NAS_API void saferl_nas_net_destroy(saferl_nas_net *net);
/* Forward pass of batch samples (inputs and labels stay the caller's and must live until
   backward) with gates (E,K): op k of edge e is evaluated only when gates[e][k] != 0.
   *loss gets the mean cross-entropy, *correct (optional) the count of right argmax
   predictions. SAFERL_ERR_INVALID_ARGUMENT for a label out of range or batch out of
   [1, max_batch], SAFERL_ERR_NOT_FINITE for a NaN input or gate. */
SAFERL_NAS_API saferl_result saferl_nas_net_forward(saferl_nas_net *net, const float *inputs,
                                                    const int *labels, int batch,
                                                    const double *gates, double *loss, int *correct);
/* Backward pass of the last forward: writes the gradient of every evaluated parameter into
   net->grads and, when gate_grad is not NULL, dL/dgate (E,K) summed over the cells. */
SAFERL_NAS_API saferl_result saferl_nas_net_backward(saferl_nas_net *net, double *gate_grad);
/* SGD step (momentum, weight decay, clip) on the parameters the last forward evaluated. */
SAFERL_NAS_API saferl_result saferl_nas_net_sgd_step(saferl_nas_net *net);
/* Mean loss and accuracy of a fixed gate setting over count samples, in batches. */
SAFERL_NAS_API saferl_result saferl_nas_net_evaluate(saferl_nas_net *net, const float *inputs,
                                                     const int *labels, int count, const double *gates,
                                                     double *loss, double *accuracy);

/* Weight step: draw with arch's strategy, forward, backward, SGD step. */
SAFERL_NAS_API saferl_result saferl_nas_weight_step(saferl_nas_net *net, saferl_nas_arch *arch,
                                                    saferl_rng *rng, const float *inputs,
                                                    const int *labels, int batch, double *loss);
/* Architecture step: draw, forward (every operation when the strategy's evaluate_all is set),
   backward into arch->gate_grad, saferl_nas_arch_update. */
SAFERL_NAS_API saferl_result saferl_nas_arch_step(saferl_nas_net *net, saferl_nas_arch *arch,
                                                  saferl_rng *rng, const float *inputs,
                                                  const int *labels, int batch, double *loss);

/* ---- data ---------------------------------------------------------------------------- */

/* A small synthetic classification set: class c is a sinusoidal grating at angle
   pi c / classes, spatial frequency uniform in [0.15, 0.3] cycles per pixel, uniform random
   phase, the same pattern in every channel times a channel weight uniform in [0.5, 1],
   plus N(0, noise^2) pixel noise. Images are planar (count, channels, height, width);
   labels cycle 0, 1, ..., classes - 1. */
SAFERL_NAS_API saferl_result saferl_nas_synthetic_images(saferl_rng *rng, int count, int channels,
                                                         int height, int width, int classes,
                                                         double noise, float *images, int *labels);
/* SAFERL_OK, SAFERL_ERR_NOT_FINITE (with *bad_index the first bad float) or
   SAFERL_ERR_INVALID_ARGUMENT (with *bad_index the first bad label). */
SAFERL_NAS_API saferl_result saferl_nas_check_data(const float *inputs, size_t float_count,
                                                   const int *labels, size_t label_count,
                                                   int classes, size_t *bad_index);

/* ---- the toy task (toy/toy.py) -------------------------------------------------------- */

#define SAFERL_NAS_TOY_POSITIONS 10
#define SAFERL_NAS_TOY_CANDIDATES 10
#define SAFERL_NAS_TOY_SIDE 13       /* input 13 x 13 */
#define SAFERL_NAS_TOY_KERNEL 7      /* first conv 7 x 7, stride 2 */
#define SAFERL_NAS_TOY_MAP 4         /* its output 4 x 4 */

typedef struct saferl_nas_toy {
    float conv1_weight[SAFERL_NAS_TOY_POSITIONS][SAFERL_NAS_TOY_CANDIDATES][SAFERL_NAS_TOY_KERNEL * SAFERL_NAS_TOY_KERNEL];
    float conv1_bias[SAFERL_NAS_TOY_POSITIONS][SAFERL_NAS_TOY_CANDIDATES];
    float conv2_weight[SAFERL_NAS_TOY_POSITIONS][SAFERL_NAS_TOY_MAP * SAFERL_NAS_TOY_MAP];
    int teacher[SAFERL_NAS_TOY_POSITIONS];
    int batch;
    float *inputs;                /* (B, 13, 13) */
    float *features;              /* (B, P, K, 16): the frozen first conv's output */
    double *targets;              /* (B) the teacher's output */
    double *node_grad;            /* (B, P, 16) scratch */
} saferl_nas_toy;

SAFERL_NAS_API size_t saferl_nas_toy_memory_size(int batch);
/* Draws the frozen weights and the teacher from rng. */
SAFERL_NAS_API saferl_result saferl_nas_toy_init(saferl_nas_toy *toy, int batch, saferl_rng *rng,
                                                 void *memory, size_t memory_size);
/* A new batch x ~ U[-1,1], its features and the teacher's outputs. */
SAFERL_NAS_API void saferl_nas_toy_sample(saferl_nas_toy *toy, saferl_rng *rng);
/* MSE of the student with gates (P,K) on the current batch; gate_grad (optional, (P,K))
   gets dL/dgate (see ALGORITHMIC CHOICES for gates that are 0). */
SAFERL_NAS_API double saferl_nas_toy_loss(const saferl_nas_toy *toy, const double *gates, double *gate_grad);
/* The same for arch->gates into arch->gate_grad, evaluating every candidate when the strategy
   asks (evaluate_all: NASP). Use this in a search loop. */
SAFERL_NAS_API double saferl_nas_toy_arch_loss(const saferl_nas_toy *toy, saferl_nas_arch *arch);
SAFERL_NAS_API int saferl_nas_toy_argmax_is_teacher(const saferl_nas_toy *toy, const saferl_nas_arch *arch);
/* Runs a strategy on the toy task: iterations updates; *first_hit gets the number of
   updates after which the argmax first equals the teacher (iterations + 1 if never: the
   censored value); curve (optional, iterations / 10 + 1 values) the argmax architecture's
   loss every 10 iterations on a fresh batch, as the official script logs it. */
SAFERL_NAS_API saferl_result saferl_nas_toy_run(saferl_nas_toy *toy, saferl_nas_arch *arch, saferl_rng *rng,
                                                int iterations, int *first_hit, double *curve);

SAFERL_NAS_API const char *saferl_nas_version(void);

#ifdef __cplusplus
}
#endif
#endif /* SAFERL_NAS_H */

/* ======================================================================================== */
/*                                    IMPLEMENTATION                                        */
/* ======================================================================================== */
#ifdef SAFERL_NAS_IMPLEMENTATION
#ifndef SAFERL_NAS_IMPLEMENTATION_ONCE
#define SAFERL_NAS_IMPLEMENTATION_ONCE

/* BITS (the notes at the top): no contraction of a * b + c into a fused multiply-add in
   this header's code, whatever the build's flags; pushed here, popped at the end. clang
   saves the setting with float_control, which it refuses on targets without strict FP
   (WebAssembly, which has no fused multiply-add to contract into). */
#if defined(__clang__) && (defined(__x86_64__) || defined(__i386__))
#  pragma float_control(push)
#  pragma clang fp contract(off)
#elif defined(__GNUC__) && !defined(__clang__)
#  pragma GCC push_options
#  pragma GCC optimize("fp-contract=off")
#endif

#include <string.h>

#ifndef SAFERL_ASSERT
#include <assert.h>
#define SAFERL_ASSERT(x) assert(x)
#endif
#if defined(SAFERL_MALLOC) != defined(SAFERL_FREE)
#error "define both SAFERL_MALLOC and SAFERL_FREE, or neither"
#endif
#ifndef SAFERL_MALLOC
#include <stdlib.h>
#define SAFERL_MALLOC(size, ctx) ((void)(ctx), malloc(size))
#define SAFERL_FREE(pointer, ctx) ((void)(ctx), free(pointer))
#endif

#if defined(SAFERL_USE_BLIS)
#  if defined(__EMSCRIPTEN__)
#    error "SAFERL_USE_BLIS is native-only"
#  endif
#  include <blis.h>
#endif

#define SAFERL_NAS__DOUBLE_MAX 1.7976931348623157e308
#define SAFERL_NAS__NO_PARAMS ((size_t)-1)

static int saferl_nas__is_finite(double x) {
    return x == x && x <= SAFERL_NAS__DOUBLE_MAX && x >= -SAFERL_NAS__DOUBLE_MAX;
}

SAFERL_NAS_API const char *saferl_nas_version(void) { return SAFERL_NAS_VERSION_STRING; }

/* ---- memory carving: one block, pieces aligned to 16 bytes ---------------------------- */

typedef struct saferl_nas__carver {
    unsigned char *base;  /* NULL: only measure */
    uint64_t used;
} saferl_nas__carver;

static void *saferl_nas__carve(saferl_nas__carver *c, uint64_t count, uint64_t element_size) {
    void *p;
    uint64_t bytes = count * element_size;
    c->used = (c->used + 15u) & ~(uint64_t)15u;
    p = c->base ? (void *)(c->base + c->used) : NULL;
    c->used += bytes;
    return p;
}

static int saferl_nas__size_fits(uint64_t size) {
    return size > 0 && size <= (uint64_t)(size_t)-1 - 16u && size < ((uint64_t)1 << 46);
}

static void *saferl_nas__align(void *memory) {
    uintptr_t p = (uintptr_t)memory;
    return (void *)((p + 15u) & ~(uintptr_t)15u);
}

/* ---- names and cells ------------------------------------------------------------------ */

static const char *const saferl_nas__op_names[SAFERL_NAS_OP_KINDS] = {
    "none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3",
    "linear_relu", "linear_tanh", "linear_sigmoid"};

SAFERL_NAS_API const char *saferl_nas_op_name(saferl_nas_op op) {
    if ((int)op < 0 || (int)op >= SAFERL_NAS_OP_KINDS) return "?";
    return saferl_nas__op_names[op];
}

SAFERL_NAS_API saferl_result saferl_nas_op_from_name(const char *name, size_t length, saferl_nas_op *op) {
    int i;
    SAFERL_ASSERT(op != NULL && (name != NULL || length == 0));
    for (i = 0; i < SAFERL_NAS_OP_KINDS; ++i) {
        size_t n = strlen(saferl_nas__op_names[i]);
        if (n == length && memcmp(name, saferl_nas__op_names[i], n) == 0) {
            *op = (saferl_nas_op)i;
            return SAFERL_OK;
        }
    }
    return SAFERL_ERR_PARSE;
}

SAFERL_NAS_API int saferl_nas_edge_count(int node_count) {
    return node_count < 2 ? 0 : node_count * (node_count - 1) / 2;
}

SAFERL_NAS_API void saferl_nas_edge_nodes(int edge, int *from, int *to) {
    int i = 1;
    SAFERL_ASSERT(edge >= 0 && from != NULL && to != NULL);
    while (edge >= i) { edge -= i; ++i; }
    *to = i;
    *from = edge;
}

SAFERL_NAS_API saferl_result saferl_nas_arch_string_parse(const char *text, size_t length,
                                                          saferl_nas_op *ops, size_t ops_capacity,
                                                          int *node_count,
                                                          saferl_nas_parse_error *error) {
    saferl_nas_op parsed[SAFERL_NAS_MAX_NODES * (SAFERL_NAS_MAX_NODES - 1) / 2];
    size_t pos = 0, end = length;
    int group = 0, edges = 0;
    const char *why = NULL;
    SAFERL_ASSERT(node_count != NULL && (text != NULL || length == 0));
    while (end > 0 && (text[end - 1] == ' ' || text[end - 1] == '\t' || text[end - 1] == '\n' ||
                       text[end - 1] == '\r'))
        --end;
    if (end == 0) { why = "empty architecture string"; goto fail; }
    for (;;) {
        int entry = 0;
        if (group + 2 > SAFERL_NAS_MAX_NODES) { why = "too many nodes"; goto fail; }
        if (pos >= end || text[pos] != '|') { why = "expected '|' to open a node"; goto fail; }
        ++pos;
        for (;;) {
            size_t name_start = pos;
            long from = 0;
            saferl_nas_op op;
            while (pos < end && text[pos] != '~' && text[pos] != '|' && text[pos] != '+') ++pos;
            if (pos >= end || text[pos] != '~') { pos = name_start; why = "expected 'op~index'"; goto fail; }
            if (saferl_nas_op_from_name(text + name_start, pos - name_start, &op) != SAFERL_OK) {
                pos = name_start;
                why = "unknown operation name";
                goto fail;
            }
            ++pos;
            if (pos >= end || text[pos] < '0' || text[pos] > '9') { why = "expected a node index after '~'"; goto fail; }
            {
                size_t digits_start = pos;
                while (pos < end && text[pos] >= '0' && text[pos] <= '9' && from < 1000) from = from * 10 + (text[pos++] - '0');
                if (from != entry) { pos = digits_start; why = "node index out of order (expected 0, 1, ...)"; goto fail; }
            }
            if (pos >= end || text[pos] != '|') { why = "expected '|' after the node index"; goto fail; }
            ++pos;
            parsed[edges++] = op;
            ++entry;
            if (entry > group) break; /* node group+1 has group+1 incoming edges */
        }
        ++group;
        if (pos == end) break;
        if (text[pos] != '+') { why = "expected '+' between nodes or the end"; goto fail; }
        ++pos;
    }
    if ((size_t)edges > ops_capacity) return SAFERL_ERR_BUFFER_TOO_SMALL;
    if (ops) memcpy(ops, parsed, (size_t)edges * sizeof *ops);
    *node_count = group + 1;
    return SAFERL_OK;
fail:
    if (error) {
        error->column = (uint32_t)(pos + 1);
        error->reason = why;
    }
    return SAFERL_ERR_PARSE;
}

SAFERL_NAS_API saferl_result saferl_nas_arch_string_format(const saferl_nas_op *ops, int node_count,
                                                           char *out, size_t capacity, size_t *length) {
    size_t n = 0;
    int to, from, edge = 0;
    char piece[40];
    SAFERL_ASSERT(ops != NULL);
    if (node_count < 2 || node_count > SAFERL_NAS_MAX_NODES) return SAFERL_ERR_INVALID_ARGUMENT;
    for (to = 1; to < node_count; ++to) {
        const char *name;
        size_t m, i;
        for (from = 0; from < to; ++from, ++edge) {
            name = saferl_nas_op_name(ops[edge]);
            if (name[0] == '?') return SAFERL_ERR_INVALID_ARGUMENT;
            m = 0;
            if (to > 1 && from == 0) piece[m++] = '+';
            if (from == 0) piece[m++] = '|';
            for (i = 0; name[i]; ++i) piece[m++] = name[i];
            piece[m++] = '~';
            piece[m++] = (char)('0' + from);
            piece[m++] = '|';
            for (i = 0; i < m; ++i, ++n)
                if (out && n + 1 < capacity) out[n] = piece[i];
        }
    }
    if (length) *length = n;
    if (!out || n + 1 > capacity) {
        if (out && capacity > 0) out[capacity - 1] = '\0';
        return SAFERL_ERR_BUFFER_TOO_SMALL;
    }
    out[n] = '\0';
    return SAFERL_OK;
}

SAFERL_NAS_API int32_t saferl_nas_nb201_code(const saferl_nas_op ops[SAFERL_NAS_NB201_EDGES]) {
    int32_t code = 0, scale = 1;
    int e;
    for (e = 0; e < SAFERL_NAS_NB201_EDGES; ++e, scale *= 5) {
        if ((int)ops[e] < 0 || (int)ops[e] > SAFERL_NAS_AVG_POOL_3X3) return -1;
        code += (int32_t)ops[e] * scale;
    }
    return code;
}

SAFERL_NAS_API void saferl_nas_nb201_decode(int32_t code, saferl_nas_op ops[SAFERL_NAS_NB201_EDGES]) {
    int e;
    for (e = 0; e < SAFERL_NAS_NB201_EDGES; ++e, code /= 5) ops[e] = (saferl_nas_op)(code % 5);
}

/* ---- numeric kernels --------------------------------------------------------------------- */

/* ---- the products: register tiles, dispatched ---------------------------------------------
   Every product of the supernet and the toy task runs through one register-blocked kernel (the
   pattern of saferl_rl.h's layers; with SAFERL_USE_BLIS only the convolutions do, the other
   products go to bli_sgemm). Each output element is one running sum in the textbook
   loop's order: it starts from the value in C (after beta) and adds a_ik b_kj for k ascending.
   So the results are bit-for-bit those of the plain loops, and the same in every
   instantiation. The speed comes from advancing a tile of such sums at once: they are
   independent, so they stay in registers and the column loop becomes SIMD multiplies and adds
   over contiguous memory. With AVX the tile is 6 rows x 16 columns (12 of the 16 registers of
   32 bytes); where vectors are 16 bytes (SSE, wasm simd128) it is 4 x 8, and WebAssembly
   runs 2 x 16 where A's rows are contiguous (see SAFERL_NAS__DISPATCHED).
   Runtime dispatch: a portable build (say -march=x86-64-v2) also compiles the products for
   AVX2 and picks that copy per call when the CPU has it, as PyTorch and BLAS pick kernels at
   run time. Without FMA on purpose: target("avx2") alone cannot contract a * b + c, so every
   lane does the same multiplies and adds in the same order as the SSE code and the results
   are bit-identical on every x86-64 CPU. SAFERL_NO_DISPATCH keeps only the portable copy. */
#if !defined(SAFERL_NO_DISPATCH) && defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && \
    !defined(__AVX2__) && !defined(__EMSCRIPTEN__)
#  define SAFERL_NAS__DISPATCH 1
/* __builtin_cpu_init makes the check valid even when called from a constructor */
static int saferl_nas__have_avx2(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
}
/* The AVX2 copies' attribute. clang (14) keeps the build's tuning there, whose generic x86-64
   splits every 256-bit load and store of unknown alignment in two 128-bit halves; tuned for the
   AVX2 CPUs (x86-64-v3) it does not. GCC's generic tuning does not split them. Tuning does not
   change what is computed. */
#  if defined(__clang__) && __clang_major__ >= 14
#    define SAFERL_NAS__TARGET_AVX2 __attribute__((target("avx2,tune=x86-64-v3")))
#  else
#    define SAFERL_NAS__TARGET_AVX2 __attribute__((target("avx2")))
#  endif
#endif
#if defined(__GNUC__) || defined(__clang__)
#  define SAFERL_NAS__BODY static inline __attribute__((always_inline))
#else
#  define SAFERL_NAS__BODY static
#endif
#define SAFERL_NAS__TILE_COLS 16 /* the widest tile; packed panels are this wide */
#define SAFERL_NAS__MAX_TILE_ROWS 6
#define SAFERL_NAS__PANEL_K 64   /* rows of one packed panel: a 4 KiB stack buffer */
#if defined(__AVX__)
#  define SAFERL_NAS__TILE_ROWS 6
#  define SAFERL_NAS__TILE_WIDTH 16
#else
#  define SAFERL_NAS__TILE_ROWS 4
#  define SAFERL_NAS__TILE_WIDTH 8
#endif

/* One tile: y[i][n0 .. n0 + 2 h - 1] += sum over k of a[i][a_index(k)] V[v_off[k] + n0 ..]
   for i < tile_rows (4 or 6, a constant once inlined), k ascending, h floats a vector; the
   first `rows` rows are stored. a_index(k) is a_off[k], or k where A's rows are contiguous
   (one load less a step: 7% of the supernet step under node). from_zero: the sums start
   from 0 instead of y (C = product, with no pass to clear C first). Each row's sums are two
   named vectors (GCC's and clang's generic vectors), one register each: as an array the
   compilers keep them in memory. Written once in this macro, stamped out for both vector
   widths and both kinds of A. Other compilers get the same arithmetic on arrays, in the
   same order (saferl_nas__matmul_acc_body). */
#if defined(__GNUC__) || defined(__clang__)
typedef float saferl_nas__v4 __attribute__((vector_size(4 * sizeof(float))));
typedef float saferl_nas__v8 __attribute__((vector_size(8 * sizeof(float))));
#define SAFERL_NAS__A_TABLE(k) a_off[k]
#define SAFERL_NAS__A_CONTIGUOUS(k) (k)
#define SAFERL_NAS__MATMUL_TILE(name, vector, a_index)                                                             \
    SAFERL_NAS__BODY void name(float *const *y, int rows, int n0, const float *const *a, const int *a_off,          \
                               const float *V, const int *v_off, int K, const int tile_rows, int from_zero) {      \
        const int h = (int)(sizeof(vector) / sizeof(float));                                                       \
        vector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, v0, v1, zero = {0};                     \
        int k;                                                                                                     \
        (void)a_off;                                                                                               \
        if (from_zero) {                                                                                           \
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = zero;                          \
        } else {                                                                                                   \
            memcpy(&c00, y[0] + n0, sizeof c00);                                                                   \
            memcpy(&c01, y[0] + n0 + h, sizeof c01);                                                               \
            memcpy(&c10, y[1] + n0, sizeof c10);                                                                   \
            memcpy(&c11, y[1] + n0 + h, sizeof c11);                                                               \
            c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = zero;                                                  \
            if (tile_rows >= 4) {                                                                                  \
                memcpy(&c20, y[2] + n0, sizeof c20);                                                               \
                memcpy(&c21, y[2] + n0 + h, sizeof c21);                                                           \
                memcpy(&c30, y[3] + n0, sizeof c30);                                                               \
                memcpy(&c31, y[3] + n0 + h, sizeof c31);                                                           \
            }                                                                                                      \
            if (tile_rows == 6) {                                                                                  \
                memcpy(&c40, y[4] + n0, sizeof c40);                                                               \
                memcpy(&c41, y[4] + n0 + h, sizeof c41);                                                           \
                memcpy(&c50, y[5] + n0, sizeof c50);                                                               \
                memcpy(&c51, y[5] + n0 + h, sizeof c51);                                                           \
            }                                                                                                      \
        }                                                                                                          \
        for (k = 0; k < K; ++k) {                                                                                  \
            const float *v = V + v_off[k] + n0;                                                                    \
            const int at = a_index(k);                                                                             \
            memcpy(&v0, v, sizeof v0);                                                                             \
            memcpy(&v1, v + h, sizeof v1);                                                                         \
            c00 += a[0][at] * v0;                                                                                  \
            c01 += a[0][at] * v1;                                                                                  \
            c10 += a[1][at] * v0;                                                                                  \
            c11 += a[1][at] * v1;                                                                                  \
            if (tile_rows >= 4) {                                                                                  \
                c20 += a[2][at] * v0;                                                                              \
                c21 += a[2][at] * v1;                                                                              \
                c30 += a[3][at] * v0;                                                                              \
                c31 += a[3][at] * v1;                                                                              \
            }                                                                                                      \
            if (tile_rows == 6) {                                                                                  \
                c40 += a[4][at] * v0;                                                                              \
                c41 += a[4][at] * v1;                                                                              \
                c50 += a[5][at] * v0;                                                                              \
                c51 += a[5][at] * v1;                                                                              \
            }                                                                                                      \
        }                                                                                                          \
        memcpy(y[0] + n0, &c00, sizeof c00);                                                                       \
        memcpy(y[0] + n0 + h, &c01, sizeof c01);                                                                   \
        if (rows > 1) memcpy(y[1] + n0, &c10, sizeof c10), memcpy(y[1] + n0 + h, &c11, sizeof c11);               \
        if (tile_rows >= 4 && rows > 2) memcpy(y[2] + n0, &c20, sizeof c20), memcpy(y[2] + n0 + h, &c21, sizeof c21); \
        if (tile_rows >= 4 && rows > 3) memcpy(y[3] + n0, &c30, sizeof c30), memcpy(y[3] + n0 + h, &c31, sizeof c31); \
        if (tile_rows == 6 && rows > 4) memcpy(y[4] + n0, &c40, sizeof c40), memcpy(y[4] + n0 + h, &c41, sizeof c41); \
        if (tile_rows == 6 && rows > 5) memcpy(y[5] + n0, &c50, sizeof c50), memcpy(y[5] + n0 + h, &c51, sizeof c51); \
    }
SAFERL_NAS__MATMUL_TILE(saferl_nas__matmul_tile8, saferl_nas__v4, SAFERL_NAS__A_TABLE)
SAFERL_NAS__MATMUL_TILE(saferl_nas__matmul_tile16, saferl_nas__v8, SAFERL_NAS__A_TABLE)
SAFERL_NAS__MATMUL_TILE(saferl_nas__matmul_tile8_contiguous, saferl_nas__v4, SAFERL_NAS__A_CONTIGUOUS)
SAFERL_NAS__MATMUL_TILE(saferl_nas__matmul_tile16_contiguous, saferl_nas__v8, SAFERL_NAS__A_CONTIGUOUS)

/* one tile of `width` columns (8 or 16) and tile_rows rows, with A through its table or contiguous */
SAFERL_NAS__BODY void saferl_nas__matmul_tile(const int width, const int tile_rows, float *const *y, int rows, int n0,
                                              const float *const *a, const int *a_off, const float *V,
                                              const int *v_off, int K, int from_zero) {
    if (width == 16 && a_off) saferl_nas__matmul_tile16(y, rows, n0, a, a_off, V, v_off, K, tile_rows, from_zero);
    else if (width == 16) saferl_nas__matmul_tile16_contiguous(y, rows, n0, a, a_off, V, v_off, K, tile_rows, from_zero);
    else if (a_off) saferl_nas__matmul_tile8(y, rows, n0, a, a_off, V, v_off, K, tile_rows, from_zero);
    else saferl_nas__matmul_tile8_contiguous(y, rows, n0, a, a_off, V, v_off, K, tile_rows, from_zero);
}
#endif

/* Y (R,N; row stride ldy) += A (R,K) V (K,N), both operands read through offset tables: A's
   element (r,k) is A[row_r + a_off[k]] (A[row_r + k] when a_off is NULL) with row_r =
   a_rows[r] (r * a_row when a_rows is NULL), and V's row k starts at V + v_off[k]. The
   tables let the kernel read a padded image in place: a convolution's rows of V are the image
   shifted by each kernel tap (no im2col copy), and its weight gradient's rows of A are the
   taps, its columns the pixels. Each element of Y adds its terms for k ascending, starting
   from 0 instead of Y's value when from_zero. */
SAFERL_NAS__BODY void saferl_nas__matmul_acc_body(const int tile_rows, const int tile_cols, float *Y, int ldy,
                                                 const float *A, int a_row, const int *a_rows, const int *a_off,
                                                 const float *V, const int *v_off, int R, int K, int N,
                                                 int from_zero) {
    int r0, n0, n, k, i;
    for (r0 = 0; r0 < R; r0 += tile_rows) {
        const int rows = R - r0 < tile_rows ? R - r0 : tile_rows;
        const float *a[SAFERL_NAS__MAX_TILE_ROWS];
        float *y[SAFERL_NAS__MAX_TILE_ROWS];
        /* a tile past the last row repeats it (computed, not stored): fixed-size loops */
        for (i = 0; i < tile_rows; ++i) {
            const int r = r0 + (i < rows ? i : rows - 1);
            a[i] = A + (a_rows ? (size_t)a_rows[r] : (size_t)r * a_row);
            y[i] = Y + (size_t)r * ldy;
        }
        for (n0 = 0; n0 + tile_cols <= N; n0 += tile_cols) {
#if defined(__GNUC__) || defined(__clang__)
            /* a last tile of up to 4 rows runs as 4 (16 output channels: 6 + 6 + 4, not 6 x 3) */
            if (tile_rows > 4 && rows <= 4) saferl_nas__matmul_tile(tile_cols, 4, y, rows, n0, a, a_off, V, v_off, K, from_zero);
            else saferl_nas__matmul_tile(tile_cols, tile_rows, y, rows, n0, a, a_off, V, v_off, K, from_zero);
#else
            float acc[SAFERL_NAS__MAX_TILE_ROWS][SAFERL_NAS__TILE_COLS];
            int j;
            for (i = 0; i < tile_rows; ++i)
                for (j = 0; j < tile_cols; ++j) acc[i][j] = from_zero ? 0.0f : y[i][n0 + j];
            for (k = 0; k < K; ++k) {
                const float *v = V + v_off[k] + n0;
                for (i = 0; i < tile_rows; ++i) {
                    const float s = a[i][a_off ? a_off[k] : k];
                    for (j = 0; j < tile_cols; ++j) acc[i][j] += s * v[j];
                }
            }
            for (i = 0; i < rows; ++i)
                for (j = 0; j < tile_cols; ++j) y[i][n0 + j] = acc[i][j];
#endif
        }
#if defined(__GNUC__) || defined(__clang__)
        /* 8 more columns on the 16-byte tile (an image row of 8, 10 or 12 pixels) */
        if (tile_cols == 16 && N - n0 >= 8) {
            saferl_nas__matmul_tile(8, tile_rows, y, rows, n0, a, a_off, V, v_off, K, from_zero);
            n0 += 8;
        }
#endif
        /* the last columns one at a time, the tile's rows still together */
        for (n = n0; n < N; ++n) {
            float acc[SAFERL_NAS__MAX_TILE_ROWS];
            for (i = 0; i < tile_rows; ++i) acc[i] = from_zero ? 0.0f : y[i][n];
            for (k = 0; k < K; ++k) {
                const float v = V[v_off[k] + n];
                for (i = 0; i < tile_rows; ++i) acc[i] += a[i][a_off ? a_off[k] : k] * v;
            }
            for (i = 0; i < rows; ++i) y[i][n] = acc[i];
        }
    }
}

/* The two instantiations and the choice per call (or the one the build's vectors fit):
   name(params) calls name_body(tile rows, tile columns, args...). */
#if defined(SAFERL_NAS__DISPATCH)
#define SAFERL_NAS__DISPATCHED(name, params, ...)                                                                  \
    static void name##_portable params { name##_body(4, 8, __VA_ARGS__); }                                         \
    SAFERL_NAS__TARGET_AVX2 static void name##_avx2 params { name##_body(6, 16, __VA_ARGS__); }                    \
    static void name params {                                                                                      \
        if (saferl_nas__have_avx2()) name##_avx2(__VA_ARGS__);                                                     \
        else name##_portable(__VA_ARGS__);                                                                         \
    }
#elif defined(__wasm_simd128__)
/* WebAssembly under V8 has 15 vector registers. Where A's rows are contiguous (the
   convolutions' forward pass and input gradient) a tile of 2 rows x 16 columns (8 sums, 4
   operands) beats 4 x 8 by 5-7% under node; through A's offset table (the weight gradient)
   it is 4% slower, so that product keeps 4 x 8. (Natively, SSE keeps 4 x 8: GCC without AVX
   runs 32-byte vectors 17x slower.) The only product here is saferl_nas__matmul_acc, whose
   a_off chooses. Measured slower under node and left out: the weight gradient on 3-row tiles
   whose rows are one tap group read from one pointer (3 x 8 1.07x its time, 3 x 16 1.36x, two
   groups as 6 x 8 1.47x: fewer address sums, but fewer sums per operand load or spills), the
   forward's taps in groups of 3 from one pointer (1.65x), the k loop unrolled 2 or 4 times
   (1.4x, 1.7x), and the weight gradient one image row at a time with A contiguous (1.18x
   under node, 1.28x natively). V8 loads everything a loop body reads before its arithmetic
   (seen in its code under perf), so a longer body spills past 15 vector registers. */
#define SAFERL_NAS__DISPATCHED(name, params, ...)                                                                  \
    static void name params {                                                                                      \
        if (a_off) name##_body(4, 8, __VA_ARGS__);                                                                 \
        else name##_body(2, 16, __VA_ARGS__);                                                                      \
    }
#else
#define SAFERL_NAS__DISPATCHED(name, params, ...)                                                                  \
    static void name params { name##_body(SAFERL_NAS__TILE_ROWS, SAFERL_NAS__TILE_WIDTH, __VA_ARGS__); }
#endif
SAFERL_NAS__DISPATCHED(saferl_nas__matmul_acc,
                       (float *Y, int ldy, const float *A, int a_row, const int *a_rows, const int *a_off,
                        const float *V, const int *v_off, int R, int K, int N, int from_zero),
                       Y, ldy, A, a_row, a_rows, a_off, V, v_off, R, K, N, from_zero)

#if !defined(SAFERL_USE_BLIS) /* with BLIS, saferl_nas__gemm calls bli_sgemm */
/* Y (R,N) += A (R,K) V (K,N) (from 0 when from_zero) for strided operands: A's element (r,k)
   at A[r * a_row + k * a_k], V's rows ldv apart. The offset tables cover 64 values of k at
   a time; Y carries the sums from one block of k to the next, so the order is unchanged. */
static void saferl_nas__matmul_strided(float *Y, int ldy, const float *A, int a_row, int a_k, const float *V,
                                       int ldv, int R, int K, int N, int from_zero) {
    int a_off[SAFERL_NAS__PANEL_K], v_off[SAFERL_NAS__PANEL_K], k0, p;
    for (k0 = 0; k0 < K; k0 += SAFERL_NAS__PANEL_K) {
        const int kn = K - k0 < SAFERL_NAS__PANEL_K ? K - k0 : SAFERL_NAS__PANEL_K;
        for (p = 0; p < kn; ++p) a_off[p] = p * a_k, v_off[p] = p * ldv;
        saferl_nas__matmul_acc(Y, ldy, A + (size_t)k0 * a_k, a_row, NULL, a_k == 1 ? NULL : a_off,
                               V + (size_t)k0 * ldv, v_off, R, kn, N, from_zero && k0 == 0);
    }
}

/* C (m,n) += op(A) B^T with B stored (n,k) (from 0 when from_zero): B^T is packed a panel of
   16 columns by 64 rows at a time (zero padding columns are computed, never stored), k
   ascending across panels. */
static void saferl_nas__matmul_strided_bt(float *c, int ldc, const float *a, int a_row, int a_k, const float *b,
                                          int ldb, int m, int n, int k, int from_zero) {
    enum { PK = SAFERL_NAS__PANEL_K, PN = SAFERL_NAS__TILE_COLS };
    float panel[SAFERL_NAS__PANEL_K * SAFERL_NAS__TILE_COLS];
    int n0, k0, p, j;
    for (n0 = 0; n0 < n; n0 += PN) {
        const int nn = n - n0 < PN ? n - n0 : PN;
        for (k0 = 0; k0 < k; k0 += PK) {
            const int kn = k - k0 < PK ? k - k0 : PK;
            for (p = 0; p < kn; ++p)
                for (j = 0; j < PN; ++j) panel[p * PN + j] = j < nn ? b[(size_t)(n0 + j) * ldb + k0 + p] : 0.0f;
            saferl_nas__matmul_strided(c + n0, ldc, a + (size_t)k0 * a_k, a_row, a_k, panel, PN, m, kn, nn,
                                       from_zero && k0 == 0);
        }
    }
}
#endif

/* Row-major single-precision C = op(A) op(B) + beta C; op(A) is (m,k), op(B) is (k,n).
   trans_a: A is stored (k,m); trans_b: B is stored (n,k). beta is 0 or 1. */
static void saferl_nas__gemm(int trans_a, int trans_b, int m, int n, int k, const float *a, int lda,
                             const float *b, int ldb, float beta, float *c, int ldc) {
#if defined(SAFERL_USE_BLIS)
    float one = 1.0f;
    bli_sgemm(trans_a ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, trans_b ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE,
              (dim_t)m, (dim_t)n, (dim_t)k, &one, (float *)a, (inc_t)lda, 1, (float *)b, (inc_t)ldb, 1,
              &beta, c, (inc_t)ldc, 1);
#else
    int from_zero = beta == 0.0f;
    SAFERL_ASSERT(beta == 0.0f || beta == 1.0f);
    if (from_zero && k == 0) { /* nothing to add: C = 0 */
        int i;
        for (i = 0; i < m; ++i) memset(c + (size_t)i * ldc, 0, (size_t)n * sizeof(float));
        return;
    }
    if (!trans_b) saferl_nas__matmul_strided(c, ldc, a, trans_a ? 1 : lda, trans_a ? lda : 1, b, ldb, m, k, n, from_zero);
    else saferl_nas__matmul_strided_bt(c, ldc, a, trans_a ? 1 : lda, trans_a ? lda : 1, b, ldb, m, n, k, from_zero);
#endif
}

/* im2col of one image without padding: inp is (C,H,W), col is (C*k*k, Ho*Wo) with Ho = (H -
   k) / stride + 1 (the toy's 7x7 stride-2 convolution; the supernet's convolutions are direct) */
static void saferl_nas__im2col(float *col, const float *inp, int C, int H, int W, int k, int stride) {
    const int Ho = (H - k) / stride + 1, Wo = (W - k) / stride + 1;
    int c, ki, kj, y, x;
    for (c = 0; c < C; ++c)
        for (ki = 0; ki < k; ++ki)
            for (kj = 0; kj < k; ++kj) {
                float *row = col + ((size_t)(c * k + ki) * k + kj) * Ho * Wo;
                for (y = 0; y < Ho; ++y)
                    for (x = 0; x < Wo; ++x)
                        row[y * Wo + x] = inp[((size_t)c * H + y * stride + ki) * W + x * stride + kj];
            }
}

/* ---- the convolutions: direct, on the products' kernel ------------------------------------
   A k x k convolution (k odd, stride 1, "same" padding k / 2, the supernet's only kind) runs
   on saferl_nas__matmul_acc without an im2col matrix: the image is copied once with its
   padding (and the leading ReLU), and row (c, ki, kj) of the product's right operand is that
   copy shifted by the tap, read in place through an offset table. Forward and weight
   gradient add the same terms in the same order as an im2col product would (so the bits
   did not change when im2col went); the input gradient is the convolution of the padded
   output gradient with the flipped kernel, each element one sum over (o, ki, kj). */

/* The zero border of a padded (C, H + 2 pad, W + 2 pad) image. A convolution writes it once
   for its batch: the per-image copies (saferl_nas__pad_image) write only the inside. */
static void saferl_nas__pad_border(float *padded, int C, int H, int W, int pad) {
    const int Hp = H + 2 * pad, Wp = W + 2 * pad;
    int c, y, x;
    for (c = 0; c < C; ++c) {
        float *plane = padded + (size_t)c * Hp * Wp;
        memset(plane, 0, (size_t)pad * Wp * sizeof(float));
        memset(plane + (size_t)(pad + H) * Wp, 0, (size_t)pad * Wp * sizeof(float));
        for (y = pad; y < pad + H; ++y)
            for (x = 0; x < pad; ++x) plane[(size_t)y * Wp + x] = plane[(size_t)y * Wp + pad + W + x] = 0.0f;
    }
}

/* the inside of a padded (C, H + 2 pad, W + 2 pad) image = inp (C,H,W), through ReLU if
   relu_input (nor_conv's leading ReLU: x > 0 ? x : 0, so NaN and -0 give +0); the border is
   left as saferl_nas__pad_border wrote it. Where the compiler has vectors, four floats at a
   time, ReLU as a mask (x > 0). The copy without ReLU moves whole vectors too: a loop of
   single floats becomes a call to memcpy per image row, which WebAssembly runs as a function
   of its own (the padded copies twice as slow under node). The rows advance by pointer (node
   computes each row's address from scratch otherwise): the copies 10% faster under node. */
static void saferl_nas__pad_image(float *padded, const float *inp, int C, int H, int W, int pad, int relu_input) {
    const int Hp = H + 2 * pad, Wp = W + 2 * pad;
    int c, y, x;
#if defined(__GNUC__) || defined(__clang__)
    typedef int32_t saferl_nas__v4i __attribute__((vector_size(4 * sizeof(int32_t))));
    const saferl_nas__v4 zero = {0};
#endif
    for (c = 0; c < C; ++c) {
        const float *in = inp + (size_t)c * H * W;
        float *out = padded + ((size_t)c * Hp + pad) * Wp + pad;
        for (y = 0; y < H; ++y, in += W, out += Wp) {
            x = 0;
#if defined(__GNUC__) || defined(__clang__)
            if (relu_input)
                for (; x + 4 <= W; x += 4) {
                    saferl_nas__v4 v;
                    memcpy(&v, in + x, sizeof v);
                    v = (saferl_nas__v4)((saferl_nas__v4i)v & (saferl_nas__v4i)(v > zero));
                    memcpy(out + x, &v, sizeof v);
                }
            else
                for (; x + 4 <= W; x += 4) {
                    saferl_nas__v4 v;
                    memcpy(&v, in + x, sizeof v);
                    memcpy(out + x, &v, sizeof v);
                }
#endif
            for (; x < W; ++x) {
                const float value = in[x];
                out[x] = relu_input && !(value > 0.0f) ? 0.0f : value;
            }
        }
    }
}

/* offsets[(c * k + ki) * k + kj] = where tap (ki, kj) of channel c starts in a padded
   (C, Hp, Wp) image: the weight's order */
static void saferl_nas__tap_offsets(int *offsets, int C, int k, int Hp, int Wp) {
    int c, ki, kj;
    for (c = 0; c < C; ++c)
        for (ki = 0; ki < k; ++ki)
            for (kj = 0; kj < k; ++kj) *offsets++ = (c * Hp + ki) * Wp + kj;
}

/* out (R, H, W) = A (R, K; rows a_row apart, columns contiguous) times the K shifted copies of a
   padded image (copy k starts at padded + taps[k]; image rows Wp apart). An image row whose
   width is a multiple of 8 is its own product of whole tiles. Other widths run as one product
   over the flattened rows, which computes the Wp - W padding columns of each row too and drops
   them on the copy out of staging (R * H * Wp floats). */
static void saferl_nas__conv_product(float *out, const float *A, int a_row, const float *padded, const int *taps,
                                     int R, int K, int H, int W, int Wp, float *staging) {
    int y, r;
    if (W % 8 == 0) {
        for (y = 0; y < H; ++y)
            saferl_nas__matmul_acc(out + (size_t)y * W, H * W, A, a_row, NULL, NULL, padded + (size_t)y * Wp, taps, R,
                                   K, W, 1);
        return;
    }
    saferl_nas__matmul_acc(staging, H * Wp, A, a_row, NULL, NULL, padded, taps, R, K, (H - 1) * Wp + W, 1);
    for (r = 0; r < R; ++r)
        for (y = 0; y < H; ++y)
            memcpy(out + ((size_t)r * H + y) * W, staging + ((size_t)r * H + y) * Wp, (size_t)W * sizeof(float));
}

/* out (cols, rows) = in (rows, cols) transposed; where the compiler has vector shuffles
   (clang, GCC 12), in blocks of 4 x 4: four row loads, two rounds of interleaves, four column
   stores (2.4x faster natively, 1.7x under node, than the loop of single floats, which neither
   compiler vectorises) */
static void saferl_nas__transpose(float *out, const float *in, int rows, int cols) {
    int r = 0, c;
#if defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 12)
    for (; r + 4 <= rows; r += 4) {
        for (c = 0; c + 4 <= cols; c += 4) {
            saferl_nas__v4 r0, r1, r2, r3, t0, t1, t2, t3;
            memcpy(&r0, in + (size_t)r * cols + c, sizeof r0);
            memcpy(&r1, in + (size_t)(r + 1) * cols + c, sizeof r1);
            memcpy(&r2, in + (size_t)(r + 2) * cols + c, sizeof r2);
            memcpy(&r3, in + (size_t)(r + 3) * cols + c, sizeof r3);
            t0 = __builtin_shufflevector(r0, r1, 0, 4, 1, 5);
            t1 = __builtin_shufflevector(r2, r3, 0, 4, 1, 5);
            t2 = __builtin_shufflevector(r0, r1, 2, 6, 3, 7);
            t3 = __builtin_shufflevector(r2, r3, 2, 6, 3, 7);
            r0 = __builtin_shufflevector(t0, t1, 0, 1, 4, 5);
            r1 = __builtin_shufflevector(t0, t1, 2, 3, 6, 7);
            r2 = __builtin_shufflevector(t2, t3, 0, 1, 4, 5);
            r3 = __builtin_shufflevector(t2, t3, 2, 3, 6, 7);
            memcpy(out + (size_t)c * rows + r, &r0, sizeof r0);
            memcpy(out + (size_t)(c + 1) * rows + r, &r1, sizeof r1);
            memcpy(out + (size_t)(c + 2) * rows + r, &r2, sizeof r2);
            memcpy(out + (size_t)(c + 3) * rows + r, &r3, sizeof r3);
        }
        for (; c < cols; ++c) {
            int i;
            for (i = 0; i < 4; ++i) out[(size_t)c * rows + r + i] = in[(size_t)(r + i) * cols + c];
        }
    }
#endif
    for (; r < rows; ++r)
        for (c = 0; c < cols; ++c) out[(size_t)c * rows + r] = in[(size_t)r * cols + c];
}

/* dinp += gradient, where the input was positive if relu_input (ReLU's derivative); gradient
   is overwritten. Two loops of two arrays each, which the compilers vectorise behind an
   overlap check. Both loads come before the select: written as inp > 0 ? gradient : 0, the
   load of gradient is conditional and clang leaves the loop scalar. */
static void saferl_nas__add_gradient(float *dinp, float *gradient, const float *inp, int n, int relu_input) {
    int i;
    if (relu_input)
        for (i = 0; i < n; ++i) {
            const float g = gradient[i], input = inp[i];
            gradient[i] = input > 0.0f ? g : 0.0f;
        }
    for (i = 0; i < n; ++i) dinp[i] += gradient[i];
}

/* The scratch a convolution (C -> OC channels, H x W, k x k) needs: floats for the padded
   image, the transposed weight gradient and output gradient, the flipped kernel, the padded
   output gradient, the input gradient and the staging rows; ints for the offset tables. */
static uint64_t saferl_nas__conv_scratch_floats(uint64_t C, uint64_t H, uint64_t W, uint64_t OC, uint64_t k) {
    const uint64_t Hp = H + k - 1, Wp = W + k - 1, wide = C > OC ? C : OC;
    return C * Hp * Wp + 2 * C * k * k * OC + H * W * OC + OC * Hp * Wp + C * H * W + wide * H * Wp;
}
static uint64_t saferl_nas__conv_offset_count(uint64_t C, uint64_t H, uint64_t W, uint64_t OC, uint64_t k) {
    const uint64_t wide = C > OC ? C : OC;
    return 2 * wide * k * k + 2 * H * W;
}

/* inp is (B,C,H,W), weight is (OC,C,k,k), bias is (OC) or NULL, out is (B,OC,H,W); k odd,
   stride 1, padding k / 2. relu_input: out = conv(relu(inp)). scratch and offsets as
   saferl_nas__conv_scratch_floats and _offset_count say. */
static void saferl_nas__conv2d_forward(float *out, const float *inp, const float *weight, const float *bias,
                                       int B, int C, int H, int W, int OC, int k, int relu_input, float *scratch,
                                       int *offsets) {
    const int pad = k / 2, Hp = H + 2 * pad, Wp = W + 2 * pad, CKK = C * k * k, HW = H * W;
    float *padded = scratch, *staging = scratch + (size_t)C * Hp * Wp;
    int b, o, i;
    saferl_nas__tap_offsets(offsets, C, k, Hp, Wp);
    saferl_nas__pad_border(padded, C, H, W, pad);
    for (b = 0; b < B; ++b) {
        float *outb = out + (size_t)b * OC * HW;
        saferl_nas__pad_image(padded, inp + (size_t)b * C * HW, C, H, W, pad, relu_input);
        saferl_nas__conv_product(outb, weight, CKK, padded, offsets, OC, CKK, H, W, Wp, staging);
        if (bias)
            for (o = 0; o < OC; ++o)
                for (i = 0; i < HW; ++i) outb[(size_t)o * HW + i] += bias[o];
    }
}

/* dout is (B,OC,H,W); accumulates dweight (OC,C,k,k), dbias (OC) if not NULL and dinp
   (B,C,H,W) if not NULL; the shapes and scratch of saferl_nas__conv2d_forward. The weight
   gradient is formed transposed, dweight^T (CKK,OC) += taps (CKK, HW) dout_b^T (HW,OC): the
   product's rows are then the long dimension, A's rows are the taps and its columns the
   pixels of the padded image, and V is a small transpose of dout_b. Each element adds
   images, then pixels, in ascending order. */
static void saferl_nas__conv2d_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                                        const float *inp, const float *weight, int B, int C, int H, int W,
                                        int OC, int k, int relu_input, float *scratch, int *offsets) {
    const int pad = k / 2, Hp = H + 2 * pad, Wp = W + 2 * pad, CKK = C * k * k, OKK = OC * k * k, HW = H * W;
    float *padded = scratch, *dweight_t = padded + (size_t)C * Hp * Wp, *dout_t = dweight_t + (size_t)CKK * OC;
    float *flipped = dout_t + (size_t)HW * OC, *padded_grad = flipped + (size_t)C * OKK;
    float *gradient = padded_grad + (size_t)OC * Hp * Wp, *staging = gradient + (size_t)C * HW;
    int *taps = offsets, *pixels = taps + CKK, *dout_rows = pixels + HW, *grad_taps = dout_rows + HW;
    int b, o, c, i, ki, kj;
    saferl_nas__tap_offsets(taps, C, k, Hp, Wp);
    for (i = 0; i < HW; ++i) pixels[i] = i / W * Wp + i % W, dout_rows[i] = i * OC;
    saferl_nas__transpose(dweight_t, dweight, OC, CKK);
    saferl_nas__pad_border(padded, C, H, W, pad);
    if (dinp) { /* the flipped kernel (C,OC,k,k): flipped[c][o][ki][kj] = weight[o][c][k-1-ki][k-1-kj] */
        saferl_nas__tap_offsets(grad_taps, OC, k, Hp, Wp);
        saferl_nas__pad_border(padded_grad, OC, H, W, pad);
        for (c = 0; c < C; ++c)
            for (o = 0; o < OC; ++o)
                for (ki = 0; ki < k; ++ki)
                    for (kj = 0; kj < k; ++kj)
                        flipped[(((size_t)c * OC + o) * k + ki) * k + kj] =
                            weight[(((size_t)o * C + c) * k + (k - 1 - ki)) * k + (k - 1 - kj)];
    }
    for (b = 0; b < B; ++b) {
        const float *doutb = dout + (size_t)b * OC * HW, *inpb = inp + (size_t)b * C * HW;
        saferl_nas__pad_image(padded, inpb, C, H, W, pad, relu_input);
        saferl_nas__transpose(dout_t, doutb, OC, HW);
        saferl_nas__matmul_acc(dweight_t, OC, padded, 0, taps, pixels, dout_t, dout_rows, CKK, HW, OC, 0);
        if (dbias)
            for (o = 0; o < OC; ++o) {
                float s = 0.0f;
                for (i = 0; i < HW; ++i) s += doutb[(size_t)o * HW + i];
                dbias[o] += s;
            }
        if (dinp) {
            float *dinpb = dinp + (size_t)b * C * HW;
            saferl_nas__pad_image(padded_grad, doutb, OC, H, W, pad, 0);
            saferl_nas__conv_product(gradient, flipped, OKK, padded_grad, grad_taps, C, OKK, H, W, Wp, staging);
            saferl_nas__add_gradient(dinpb, gradient, inpb, C * HW, relu_input);
        }
    }
    saferl_nas__transpose(dweight, dweight_t, CKK, OC);
}

/* t[x] += the 3-wide neighbourhoods of x in rows[0 .. nr - 1] (nr 1 to 3, columns outside
   [0, W) left out), added one at a time in the order (row, column) ascending: the loop both
   3x3 poolings share. The inner columns are one expression a row count, which the compiler
   keeps in registers and vectorises; the two edge columns are added on their own. */
static void saferl_nas__add_3x3(float *t, const float *const *rows, int nr, int W) {
    const float *a = rows[0], *b = rows[nr > 1 ? 1 : 0], *c = rows[nr > 2 ? 2 : 0];
    int x, j;
    for (j = 0; j < nr; ++j) {
        t[0] += rows[j][0];
        if (W > 1) t[0] += rows[j][1];
    }
    if (W > 1)
        for (j = 0; j < nr; ++j) {
            t[W - 1] += rows[j][W - 2];
            t[W - 1] += rows[j][W - 1];
        }
    if (nr == 3)
        for (x = 1; x + 1 < W; ++x)
            t[x] = t[x] + a[x - 1] + a[x] + a[x + 1] + b[x - 1] + b[x] + b[x + 1] + c[x - 1] + c[x] + c[x + 1];
    else if (nr == 2)
        for (x = 1; x + 1 < W; ++x) t[x] = t[x] + a[x - 1] + a[x] + a[x + 1] + b[x - 1] + b[x] + b[x + 1];
    else
        for (x = 1; x + 1 < W; ++x) t[x] = t[x] + a[x - 1] + a[x] + a[x + 1];
}

/* inp is (B,C,H,W), out is (B,C,H,W): 3x3 mean, stride 1, pad 1, padding not counted. Each
   output sums its neighbours from 0 in the order (dy, dx) ascending, then divides by their
   count. */
static void saferl_nas__avgpool_forward(float *out, const float *inp, int B, int C, int H, int W) {
    int p, y, x, yy;
    for (p = 0; p < B * C; ++p) {
        const float *in = inp + (size_t)p * H * W;
        for (y = 0; y < H; ++y) {
            float *o = out + ((size_t)p * H + y) * W;
            const int ylo = y > 0 ? y - 1 : 0, yhi = y < H - 1 ? y + 1 : H - 1;
            const float *rows[3];
            for (yy = ylo; yy <= yhi; ++yy) rows[yy - ylo] = in + (size_t)yy * W;
            for (x = 0; x < W; ++x) o[x] = 0.0f;
            saferl_nas__add_3x3(o, rows, yhi - ylo + 1, W);
            for (x = 0; x < W; ++x) o[x] /= (float)((yhi - ylo + 1) * ((x > 0) + 1 + (x + 1 < W)));
        }
    }
}

/* dout is (B,C,H,W); accumulates dinp (B,C,H,W); share is H*W floats of scratch. Each output
   hands dout / count to its neighbours; each input adds the shares it receives in the order
   (y, x) of their senders ascending. */
static void saferl_nas__avgpool_backward(float *dinp, const float *dout, int B, int C, int H, int W, float *share) {
    int p, y, x, yy;
    for (p = 0; p < B * C; ++p) {
        float *din = dinp + (size_t)p * H * W;
        const float *d = dout + (size_t)p * H * W;
        for (y = 0; y < H; ++y) {
            const int rows = (y > 0) + 1 + (y + 1 < H);
            for (x = 0; x < W; ++x) share[y * W + x] = d[y * W + x] / (float)(rows * ((x > 0) + 1 + (x + 1 < W)));
        }
        for (y = 0; y < H; ++y) {
            const int ylo = y > 0 ? y - 1 : 0, yhi = y < H - 1 ? y + 1 : H - 1;
            const float *rows[3];
            for (yy = ylo; yy <= yhi; ++yy) rows[yy - ylo] = share + (size_t)yy * W;
            saferl_nas__add_3x3(din + (size_t)y * W, rows, yhi - ylo + 1, W);
        }
    }
}

/* inp is (B,C), weight is (OC,C), bias is (OC) or NULL, out is (B,OC). */
static void saferl_nas__linear_forward(float *out, const float *inp, const float *weight, const float *bias,
                                       int B, int C, int OC) {
    int b, o;
    saferl_nas__gemm(0, 1, B, OC, C, inp, C, weight, C, 0.0f, out, OC);
    if (bias)
        for (b = 0; b < B; ++b)
            for (o = 0; o < OC; ++o) out[(size_t)b * OC + o] += bias[o];
}

/* dout is (B,OC); accumulates dinp (B,C) if not NULL, dweight (OC,C), dbias (OC) if not NULL. */
static void saferl_nas__linear_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                                        const float *inp, const float *weight, int B, int C, int OC) {
    int b, o;
    if (dinp) saferl_nas__gemm(0, 0, B, C, OC, dout, OC, weight, C, 1.0f, dinp, C);
    saferl_nas__gemm(1, 0, OC, C, B, dout, OC, inp, C, 1.0f, dweight, C);
    if (dbias)
        for (b = 0; b < B; ++b)
            for (o = 0; o < OC; ++o) dbias[o] += dout[(size_t)b * OC + o];
}

/* Elementwise activation in place on x (n): 0 relu, 1 tanh, 2 sigmoid. */
static void saferl_nas__activation_forward(float *x, size_t n, int kind) {
    size_t i;
    for (i = 0; i < n; ++i) {
        float v = x[i];
        if (kind == 0) x[i] = v > 0.0f ? v : 0.0f;
        else if (kind == 1) x[i] = (float)tanh((double)v);
        else x[i] = (float)(1.0 / (1.0 + exp(-(double)v)));
    }
}

/* From the activation's output out (n): dpre = dout * act'(pre), written (not added). */
static void saferl_nas__activation_backward(float *dpre, const float *dout, const float *out, size_t n, int kind) {
    size_t i;
    for (i = 0; i < n; ++i) {
        float y = out[i];
        float d = kind == 0 ? (y > 0.0f ? 1.0f : 0.0f) : (kind == 1 ? 1.0f - y * y : y * (1.0f - y));
        dpre[i] = dout[i] * d;
    }
}

/* inp is (B,C,HW), out is (B,C): mean over positions. */
static void saferl_nas__global_avgpool_forward(float *out, const float *inp, int B, int C, int HW) {
    int p, i;
    for (p = 0; p < B * C; ++p) {
        float s = 0.0f;
        for (i = 0; i < HW; ++i) s += inp[(size_t)p * HW + i];
        out[p] = s / (float)HW;
    }
}

/* dout is (B,C); accumulates dinp (B,C,HW). */
static void saferl_nas__global_avgpool_backward(float *dinp, const float *dout, int B, int C, int HW) {
    int p, i;
    for (p = 0; p < B * C; ++p) {
        float g = dout[p] / (float)HW;
        for (i = 0; i < HW; ++i) dinp[(size_t)p * HW + i] += g;
    }
}

/* logits is (B,V), overwritten by the softmax probabilities; returns the mean
   cross-entropy -log p[label]; *correct gets the count of argmax == label. */
static double saferl_nas__softmax_crossentropy_forward(float *logits, const int *labels, int B, int V,
                                                       int *correct) {
    int b, v, right = 0;
    double loss = 0.0;
    for (b = 0; b < B; ++b) {
        float *row = logits + (size_t)b * V;
        double maxv = row[0], sum = 0.0;
        int best = 0;
        for (v = 1; v < V; ++v)
            if (row[v] > maxv) { maxv = row[v]; best = v; }
        for (v = 0; v < V; ++v) sum += exp((double)row[v] - maxv);
        loss -= (double)row[labels[b]] - maxv - log(sum);
        for (v = 0; v < V; ++v) row[v] = (float)(exp((double)row[v] - maxv) / sum);
        if (best == labels[b]) ++right;
    }
    if (correct) *correct = right;
    return loss / B;
}

/* probs is (B,V) from the forward; writes dlogits (B,V) of the mean loss. */
static void saferl_nas__softmax_crossentropy_backward(float *dlogits, const float *probs, const int *labels,
                                                      int B, int V) {
    int b, v;
    for (b = 0; b < B; ++b)
        for (v = 0; v < V; ++v)
            dlogits[(size_t)b * V + v] = (probs[(size_t)b * V + v] - (v == labels[b] ? 1.0f : 0.0f)) / (float)B;
}

/* Stable softmax of n values. */
static void saferl_nas__softmax(const double *x, int n, double *out) {
    double m = x[0], s = 0.0;
    int i;
    for (i = 1; i < n; ++i) if (x[i] > m) m = x[i];
    for (i = 0; i < n; ++i) { out[i] = exp(x[i] - m); s += out[i]; }
    for (i = 0; i < n; ++i) out[i] /= s;
}

/* Chainer's Adam on n values; t is the step number after the increment. */
static void saferl_nas__adam(double *x, const double *g, double *m, double *v, int n, long t, double alpha,
                             double beta1, double beta2, double eps) {
    double lr = alpha * sqrt(1.0 - pow(beta2, (double)t)) / (1.0 - pow(beta1, (double)t));
    int i;
    for (i = 0; i < n; ++i) {
        m[i] += (1.0 - beta1) * (g[i] - m[i]);
        v[i] += (1.0 - beta2) * (g[i] * g[i] - v[i]);
        x[i] -= lr * m[i] / (sqrt(v[i]) + eps);
    }
}

/* ---- the architecture distribution ------------------------------------------------------ */

SAFERL_NAS_API saferl_nas_arch_desc saferl_nas_arch_desc_defaults(const saferl_nas_arch_desc *desc) {
    saferl_nas_arch_desc d = *desc;
    if (!d.strategy) d.strategy = saferl_nas_strategy_builtin(SAFERL_NAS_ADVANTAGE);
    if (d.learning_rate == 0.0) d.learning_rate = 1e-3;
    if (d.beta1 == 0.0) d.beta1 = 0.9;
    if (d.beta2 == 0.0) d.beta2 = 0.999;
    if (d.epsilon == 0.0) d.epsilon = 1e-8;
    if (d.ema_coefficient == 0.0) d.ema_coefficient = 0.05;
    if (d.max_iterations == 0) d.max_iterations = 2000;
    if (d.tau_start == 0.0) d.tau_start = 10.0;
    if (d.tau_end == 0.0) d.tau_end = 0.1;
    if (d.parsec_samples == 0) d.parsec_samples = 8;
    return d;
}

static int saferl_nas__arch_desc_valid(const saferl_nas_arch_desc *d) {
    return d->edge_count > 0 && d->edge_count <= 100000 && d->op_count >= 2 && d->op_count <= SAFERL_NAS_MAX_OPS &&
           d->learning_rate > 0.0 && saferl_nas__is_finite(d->learning_rate) && d->beta1 >= 0.0 && d->beta1 < 1.0 &&
           d->beta2 >= 0.0 && d->beta2 < 1.0 && d->epsilon > 0.0 && d->weight_decay >= 0.0 && d->clip_norm >= 0.0 &&
           d->ema_coefficient > 0.0 && d->ema_coefficient <= 1.0 && d->max_iterations > 0 && d->tau_start > 0.0 &&
           d->tau_end > 0.0 && d->parsec_samples >= 1 && d->parsec_samples <= SAFERL_NAS_PARSEC_MAX_SAMPLES &&
           (!d->zero_op_rule || (d->zero_op >= 0 && d->zero_op < d->op_count)) &&
           d->strategy->draw != NULL && d->strategy->gradient != NULL;
}

static uint64_t saferl_nas__arch_layout(saferl_nas_arch *a, const saferl_nas_arch_desc *d, unsigned char *base) {
    saferl_nas__carver c;
    uint64_t ek = (uint64_t)d->edge_count * d->op_count, e = (uint64_t)d->edge_count;
    saferl_nas_arch dummy;
    if (!a) a = &dummy;
    c.base = base;
    c.used = 0;
    a->theta = (double *)saferl_nas__carve(&c, ek, sizeof(double));
    a->gates = (double *)saferl_nas__carve(&c, ek, sizeof(double));
    a->gate_grad = (double *)saferl_nas__carve(&c, ek, sizeof(double));
    a->theta_grad = (double *)saferl_nas__carve(&c, ek, sizeof(double));
    a->adam_m = (double *)saferl_nas__carve(&c, ek, sizeof(double));
    a->adam_v = (double *)saferl_nas__carve(&c, ek, sizeof(double));
    a->advantage_ema = (double *)saferl_nas__carve(&c, ek, sizeof(double));
    a->gumbel_z = (double *)saferl_nas__carve(&c, ek, sizeof(double));
    a->scratch = (double *)saferl_nas__carve(&c, ek, sizeof(double));
    a->edge_baseline = (double *)saferl_nas__carve(&c, e, sizeof(double));
    a->choice = (int *)saferl_nas__carve(&c, e, sizeof(int));
    a->choice2 = (int *)saferl_nas__carve(&c, e, sizeof(int));
    a->best_choice = (int *)saferl_nas__carve(&c, e, sizeof(int));
    a->parsec_choices = (int *)saferl_nas__carve(&c, e * (uint64_t)d->parsec_samples, sizeof(int));
    return c.used + 16u; /* room to align the caller's pointer */
}

SAFERL_NAS_API size_t saferl_nas_arch_memory_size(const saferl_nas_arch_desc *desc) {
    saferl_nas_arch_desc d;
    uint64_t size;
    SAFERL_ASSERT(desc != NULL);
    d = saferl_nas_arch_desc_defaults(desc);
    if (!saferl_nas__arch_desc_valid(&d)) return 0;
    size = saferl_nas__arch_layout(NULL, &d, NULL);
    return saferl_nas__size_fits(size) ? (size_t)size : 0;
}

SAFERL_NAS_API saferl_result saferl_nas_arch_init(saferl_nas_arch *arch, const saferl_nas_arch_desc *desc,
                                                  void *memory, size_t memory_size) {
    saferl_nas_arch_desc d;
    size_t need, i, ek;
    SAFERL_ASSERT(arch != NULL && desc != NULL);
    d = saferl_nas_arch_desc_defaults(desc);
    if (!saferl_nas__arch_desc_valid(&d)) return SAFERL_ERR_INVALID_ARGUMENT;
    need = saferl_nas_arch_memory_size(&d);
    if (need == 0) return SAFERL_ERR_INVALID_ARGUMENT;
    if (!memory || memory_size < need) return SAFERL_ERR_BUFFER_TOO_SMALL;
    memset(arch, 0, sizeof *arch);
    memset(memory, 0, need);
    arch->desc = d;
    arch->edge_count = d.edge_count;
    arch->op_count = d.op_count;
    saferl_nas__arch_layout(arch, &d, (unsigned char *)saferl_nas__align(memory));
    ek = (size_t)d.edge_count * d.op_count;
    for (i = 0; i < ek; ++i) arch->theta[i] = 1.0;
    for (i = 0; i < (size_t)d.edge_count; ++i) {
        arch->theta[i * d.op_count] += 1e-6; /* the official tie-break towards op 0 */
        arch->best_choice[i] = 0;
    }
    arch->best_loss = HUGE_VAL;
    return SAFERL_OK;
}

/* Memory for the *_create conveniences: the desc's allocator, or SAFERL_MALLOC / SAFERL_FREE. */
static void *saferl_nas__allocate(const saferl_allocator *allocator, size_t size) {
    return allocator->allocate ? allocator->allocate(size, allocator->user_data) : SAFERL_MALLOC(size, allocator->user_data);
}

static void saferl_nas__release(const saferl_allocator *allocator, void *memory) {
    if (allocator->release) allocator->release(memory, allocator->user_data);
    else SAFERL_FREE(memory, allocator->user_data);
}

SAFERL_NAS_API saferl_result saferl_nas_arch_create(saferl_nas_arch *arch, const saferl_nas_arch_desc *desc) {
    size_t need;
    void *memory;
    saferl_result r;
    SAFERL_ASSERT(arch != NULL && desc != NULL);
    need = saferl_nas_arch_memory_size(desc);
    if (need == 0) return SAFERL_ERR_INVALID_ARGUMENT;
    memory = saferl_nas__allocate(&desc->allocator, need);
    if (!memory) return SAFERL_ERR_OUT_OF_MEMORY;
    r = saferl_nas_arch_init(arch, desc, memory, need);
    if (r < 0) {
        saferl_nas__release(&desc->allocator, memory);
        return r;
    }
    arch->owned_memory = memory;
    return SAFERL_OK;
}

SAFERL_NAS_API void saferl_nas_arch_destroy(saferl_nas_arch *arch) {
    if (!arch || !arch->owned_memory) return;
    saferl_nas__release(&arch->desc.allocator, arch->owned_memory);
    arch->owned_memory = NULL;
}

SAFERL_NAS_API void saferl_nas_arch_probabilities(const saferl_nas_arch *arch, int edge, double *probabilities) {
    SAFERL_ASSERT(arch != NULL && edge >= 0 && edge < arch->edge_count && probabilities != NULL);
    saferl_nas__softmax(arch->theta + (size_t)edge * arch->op_count, arch->op_count, probabilities);
}

SAFERL_NAS_API double saferl_nas_arch_entropy(const saferl_nas_arch *arch, int edge) {
    double p[SAFERL_NAS_MAX_OPS], h = 0.0;
    int k;
    saferl_nas_arch_probabilities(arch, edge, p);
    for (k = 0; k < arch->op_count; ++k)
        if (p[k] > 0.0) h -= p[k] * log(p[k]);
    return h;
}

SAFERL_NAS_API void saferl_nas_arch_argmax(const saferl_nas_arch *arch, int *ops) {
    int e, k;
    SAFERL_ASSERT(arch != NULL && ops != NULL);
    for (e = 0; e < arch->edge_count; ++e) {
        const double *t = arch->theta + (size_t)e * arch->op_count;
        int best = 0;
        for (k = 1; k < arch->op_count; ++k)
            if (t[k] > t[best]) best = k;
        ops[e] = best;
    }
}

SAFERL_NAS_API void saferl_nas_arch_set_gates(saferl_nas_arch *arch, const int *ops) {
    int e, K = arch->op_count;
    memset(arch->gates, 0, (size_t)arch->edge_count * K * sizeof(double));
    for (e = 0; e < arch->edge_count; ++e) {
        arch->gates[(size_t)e * K + ops[e]] = 1.0;
        arch->choice[e] = ops[e];
    }
}

SAFERL_NAS_API void saferl_nas_arch_draw(saferl_nas_arch *arch, saferl_rng *rng) {
    SAFERL_ASSERT(arch != NULL && rng != NULL);
    arch->desc.strategy->draw(arch, rng);
}

/* decay, clip and Adam on theta_grad; the strategy's after_step */
static void saferl_nas__arch_step(saferl_nas_arch *arch) {
    size_t i, ek = (size_t)arch->edge_count * arch->op_count;
    double *g = arch->theta_grad;
    if (arch->desc.weight_decay > 0.0)
        for (i = 0; i < ek; ++i) g[i] += arch->desc.weight_decay * arch->theta[i];
    if (arch->desc.clip_norm > 0.0) {
        double norm = 0.0;
        for (i = 0; i < ek; ++i) norm += g[i] * g[i];
        norm = sqrt(norm);
        if (norm > arch->desc.clip_norm)
            for (i = 0; i < ek; ++i) g[i] *= arch->desc.clip_norm / norm;
    }
    memcpy(arch->scratch, arch->theta, ek * sizeof(double));
    ++arch->adam_steps;
    saferl_nas__adam(arch->theta, g, arch->adam_m, arch->adam_v, (int)ek, arch->adam_steps, arch->desc.learning_rate,
                     arch->desc.beta1, arch->desc.beta2, arch->desc.epsilon);
    if (arch->desc.strategy->after_step) arch->desc.strategy->after_step(arch, arch->scratch);
}

SAFERL_NAS_API saferl_result saferl_nas_arch_update(saferl_nas_arch *arch, double loss) {
    size_t i, ek;
    int step, e;
    SAFERL_ASSERT(arch != NULL);
    ek = (size_t)arch->edge_count * arch->op_count;
    if (!saferl_nas__is_finite(loss)) return SAFERL_ERR_NOT_FINITE;
    for (i = 0; i < ek; ++i)
        if (!saferl_nas__is_finite(arch->gate_grad[i])) return SAFERL_ERR_NOT_FINITE;
    step = arch->desc.strategy->gradient(arch, loss, arch->theta_grad);
    if (step < 0) return (saferl_result)step;
    ++arch->iteration;
    if (loss < arch->best_loss && arch->desc.strategy != saferl_nas_strategy_builtin(SAFERL_NAS_DARTS) &&
        arch->desc.strategy != saferl_nas_strategy_builtin(SAFERL_NAS_SNAS)) { /* dense: no sampled net */
        arch->best_loss = loss;
        for (e = 0; e < arch->edge_count; ++e) arch->best_choice[e] = arch->choice[e];
    }
    if (step > 0) saferl_nas__arch_step(arch);
    return SAFERL_OK;
}

/* ---- the built-in strategies ---------------------------------------------------------- */

/* one op per edge, exactly from pi_e; gates one-hot */
static void saferl_nas__draw_categorical(saferl_nas_arch *arch, saferl_rng *rng) {
    int e, K = arch->op_count;
    double p[SAFERL_NAS_MAX_OPS];
    memset(arch->gates, 0, (size_t)arch->edge_count * K * sizeof(double));
    for (e = 0; e < arch->edge_count; ++e) {
        size_t k;
        saferl_nas_arch_probabilities(arch, e, p);
        k = saferl_rng_categorical(rng, p, (size_t)K);
        if (k >= (size_t)K) k = 0; /* unreachable: softmax gives a positive finite sum */
        arch->choice[e] = (int)k;
        arch->gates[(size_t)e * K + k] = 1.0;
    }
}

/* G_e = weight_e (onehot(choice_e) - pi_e) added to grad */
static void saferl_nas__add_score_function(const saferl_nas_arch *arch, const int *choice, const double *weight,
                                           double scalar_weight, double *grad) {
    int e, k, K = arch->op_count;
    double p[SAFERL_NAS_MAX_OPS];
    for (e = 0; e < arch->edge_count; ++e) {
        double w = weight ? weight[e] : scalar_weight;
        saferl_nas_arch_probabilities(arch, e, p);
        for (k = 0; k < K; ++k) grad[(size_t)e * K + k] += w * ((k == choice[e] ? 1.0 : 0.0) - p[k]);
    }
}

static int saferl_nas__check_finite_grad(const saferl_nas_arch *arch, const double *grad) {
    size_t i, ek = (size_t)arch->edge_count * arch->op_count;
    for (i = 0; i < ek; ++i)
        if (!saferl_nas__is_finite(grad[i])) return 0;
    return 1;
}

static int saferl_nas__advantage_gradient(saferl_nas_arch *arch, double loss, double *grad) {
    int e, k, K = arch->op_count, E = arch->edge_count;
    double c = arch->desc.ema_coefficient;
    double *adv = arch->scratch, *ema_next = arch->gumbel_z; /* scratch rows, restored below */
    (void)loss;
    for (e = 0; e < E; ++e) adv[e] = arch->gate_grad[(size_t)e * K + arch->choice[e]];
    if (arch->desc.zero_op_rule) {
        /* util.py adv_grad: the EMA takes the raw gradient at the sampled entry and keeps
           the others; the first call takes the values as they are (zero elsewhere) */
        for (e = 0; e < E; ++e) {
            double worst;
            for (k = 0; k < K; ++k) {
                size_t at = (size_t)e * K + k;
                double observed = k == arch->choice[e] ? arch->gate_grad[at] : arch->advantage_ema[at];
                if (k == arch->choice[e] && k == arch->desc.zero_op) observed = 0.0; /* x * 0 has no gradient */
                ema_next[at] = arch->advantage_ema_set ? c * observed + (1.0 - c) * arch->advantage_ema[at]
                                                       : (k == arch->choice[e] ? observed : 0.0);
            }
            worst = ema_next[(size_t)e * K];
            for (k = 1; k < K; ++k) if (ema_next[(size_t)e * K + k] > worst) worst = ema_next[(size_t)e * K + k];
            if (arch->choice[e] == arch->desc.zero_op) adv[e] = worst;
        }
    }
    if (arch->desc.with_baseline)
        for (e = 0; e < E; ++e) adv[e] -= arch->edge_baseline_set ? arch->edge_baseline[e] : 0.0;
    memset(grad, 0, (size_t)E * K * sizeof(double));
    for (e = 0; e < E; ++e) adv[E + e] = adv[e];
    saferl_nas__add_score_function(arch, arch->choice, adv, 0.0, grad);
    if (!saferl_nas__check_finite_grad(arch, grad)) return SAFERL_ERR_NOT_FINITE;
    /* commit the state only now that nothing can fail */
    if (arch->desc.zero_op_rule) {
        memcpy(arch->advantage_ema, ema_next, (size_t)E * K * sizeof(double));
        arch->advantage_ema_set = 1;
    }
    if (arch->desc.with_baseline) {
        for (e = 0; e < E; ++e) {
            double raw = adv[E + e] + (arch->edge_baseline_set ? arch->edge_baseline[e] : 0.0);
            arch->edge_baseline[e] = arch->edge_baseline_set ? c * raw + (1.0 - c) * arch->edge_baseline[e] : raw;
        }
        arch->edge_baseline_set = 1;
    }
    return 1;
}

static int saferl_nas__reinforce_gradient(saferl_nas_arch *arch, double loss, double *grad) {
    double c = arch->desc.ema_coefficient;
    double baseline = arch->loss_baseline_set ? c * loss + (1.0 - c) * arch->loss_baseline : loss;
    memset(grad, 0, (size_t)arch->edge_count * arch->op_count * sizeof(double));
    saferl_nas__add_score_function(arch, arch->choice, NULL, loss - baseline, grad);
    if (!saferl_nas__check_finite_grad(arch, grad)) return SAFERL_ERR_NOT_FINITE;
    arch->loss_baseline = baseline;
    arch->loss_baseline_set = 1;
    return 1;
}

static int saferl_nas__parsec_gradient(saferl_nas_arch *arch, double loss, double *grad) {
    int n = arch->desc.parsec_samples, i, E = arch->edge_count;
    double maxl, sum = 0.0, w[SAFERL_NAS_PARSEC_MAX_SAMPLES];
    memcpy(arch->parsec_choices + (size_t)arch->parsec_count * E, arch->choice, (size_t)E * sizeof(int));
    arch->parsec_losses[arch->parsec_count++] = loss;
    if (arch->parsec_count < n) return 0;
    arch->parsec_count = 0;
    maxl = arch->parsec_losses[0];
    for (i = 1; i < n; ++i) if (arch->parsec_losses[i] > maxl) maxl = arch->parsec_losses[i];
    for (i = 0; i < n; ++i) { w[i] = exp(arch->parsec_losses[i] - maxl); sum += w[i]; }
    memset(grad, 0, (size_t)E * arch->op_count * sizeof(double));
    for (i = 0; i < n; ++i)
        saferl_nas__add_score_function(arch, arch->parsec_choices + (size_t)i * E, NULL, w[i] / sum, grad);
    return 1;
}

/* The relaxed strategies' schedules. GDAS: tau linear from tau_start to tau_end over
   max_iterations, then held at tau_end. SNAS (the official comparison code's): tau =
   (cos(pi t / T) + 1) / 2, held past t = T - 1 (at T it would be 0). */
static double saferl_nas__gdas_tau(const saferl_nas_arch *arch) {
    double f = (double)arch->iteration / (double)arch->desc.max_iterations;
    if (f > 1.0) f = 1.0;
    return arch->desc.tau_start - (arch->desc.tau_start - arch->desc.tau_end) * f;
}

static double saferl_nas__snas_tau(const saferl_nas_arch *arch) {
    long t = arch->iteration < arch->desc.max_iterations ? arch->iteration : arch->desc.max_iterations - 1;
    return (cos(3.14159265358979323846 * (double)t / (double)arch->desc.max_iterations) + 1.0) / 2.0;
}

/* z_e = softmax((log(pi_e + 0.001) + g) / tau) into arch->gumbel_z, g Gumbel noise from a
   uniform clipped to [0.001, 0.999] (util.py gumbel_softmax); choice_e = argmax z_e */
static void saferl_nas__gumbel_softmax(saferl_nas_arch *arch, saferl_rng *rng, double tau) {
    int e, k, K = arch->op_count;
    double p[SAFERL_NAS_MAX_OPS], u[SAFERL_NAS_MAX_OPS];
    for (e = 0; e < arch->edge_count; ++e) {
        double *z = arch->gumbel_z + (size_t)e * K;
        int best = 0;
        saferl_nas_arch_probabilities(arch, e, p);
        for (k = 0; k < K; ++k) {
            double g = saferl_rng_uniform(rng);
            g = g < 0.001 ? 0.001 : (g > 0.999 ? 0.999 : g);
            u[k] = (log(p[k] + 0.001) - log(-log(g))) / tau;
        }
        saferl_nas__softmax(u, K, z);
        for (k = 1; k < K; ++k) if (z[k] > z[best]) best = k;
        arch->choice[e] = best;
    }
}

/* GDAS: straight-through one-hot gates of argmax z */
static void saferl_nas__draw_gdas(saferl_nas_arch *arch, saferl_rng *rng) {
    int e, K = arch->op_count;
    saferl_nas__gumbel_softmax(arch, rng, saferl_nas__gdas_tau(arch));
    memset(arch->gates, 0, (size_t)arch->edge_count * K * sizeof(double));
    for (e = 0; e < arch->edge_count; ++e) arch->gates[(size_t)e * K + arch->choice[e]] = 1.0;
}

/* SNAS: the relaxed sample itself is the gates (every op evaluated) */
static void saferl_nas__draw_snas(saferl_nas_arch *arch, saferl_rng *rng) {
    saferl_nas__gumbel_softmax(arch, rng, saferl_nas__snas_tau(arch));
    memcpy(arch->gates, arch->gumbel_z, (size_t)arch->edge_count * arch->op_count * sizeof(double));
}

/* theta's gradient through z = softmax((log(softmax(theta) + 0.001) + g) / tau), from dL/dz
   = gate_grad (for GDAS the straight-through estimator's dL/dgate) */
static int saferl_nas__gumbel_gradient(saferl_nas_arch *arch, double tau, double *grad) {
    int e, k, K = arch->op_count;
    double p[SAFERL_NAS_MAX_OPS], du[SAFERL_NAS_MAX_OPS], dp[SAFERL_NAS_MAX_OPS];
    for (e = 0; e < arch->edge_count; ++e) {
        const double *z = arch->gumbel_z + (size_t)e * K, *dz = arch->gate_grad + (size_t)e * K;
        double zdz = 0.0, pdp = 0.0;
        saferl_nas_arch_probabilities(arch, e, p);
        for (k = 0; k < K; ++k) zdz += z[k] * dz[k];
        for (k = 0; k < K; ++k) {
            du[k] = z[k] * (dz[k] - zdz);                 /* through softmax(u) */
            dp[k] = du[k] / tau / (p[k] + 0.001);         /* through log(p + 0.001) / tau */
            pdp += p[k] * dp[k];
        }
        for (k = 0; k < K; ++k) grad[(size_t)e * K + k] = p[k] * (dp[k] - pdp); /* through softmax(theta) */
    }
    return saferl_nas__check_finite_grad(arch, grad) ? 1 : SAFERL_ERR_NOT_FINITE;
}

static int saferl_nas__gdas_gradient(saferl_nas_arch *arch, double loss, double *grad) {
    (void)loss;
    return saferl_nas__gumbel_gradient(arch, saferl_nas__gdas_tau(arch), grad);
}

static int saferl_nas__snas_gradient(saferl_nas_arch *arch, double loss, double *grad) {
    (void)loss;
    return saferl_nas__gumbel_gradient(arch, saferl_nas__snas_tau(arch), grad);
}

/* ProxylessNAS: two distinct ops per edge, drawn without replacement from pi_e */
static void saferl_nas__draw_proxyless(saferl_nas_arch *arch, saferl_rng *rng) {
    int e, K = arch->op_count;
    double p[SAFERL_NAS_MAX_OPS];
    memset(arch->gates, 0, (size_t)arch->edge_count * K * sizeof(double));
    for (e = 0; e < arch->edge_count; ++e) {
        size_t first, second;
        saferl_nas_arch_probabilities(arch, e, p);
        first = saferl_rng_categorical(rng, p, (size_t)K);
        if (first >= (size_t)K) first = 0;
        p[first] = 0.0;
        second = saferl_rng_categorical(rng, p, (size_t)K);
        if (second >= (size_t)K) second = first == 0 ? 1 : 0; /* all mass was on first */
        arch->choice[e] = (int)first;
        arch->choice2[e] = (int)second;
        arch->gates[(size_t)e * K + first] = 1.0;
        arch->gates[(size_t)e * K + second] = 1.0;
    }
}

static int saferl_nas__proxyless_gradient(saferl_nas_arch *arch, double loss, double *grad) {
    int e, i, j, K = arch->op_count;
    (void)loss;
    memset(grad, 0, (size_t)arch->edge_count * K * sizeof(double));
    for (e = 0; e < arch->edge_count; ++e) {
        const double *t = arch->theta + (size_t)e * K;
        int idx[2];
        double p[2], a[2], m;
        idx[0] = arch->choice[e] < arch->choice2[e] ? arch->choice[e] : arch->choice2[e];
        idx[1] = arch->choice[e] < arch->choice2[e] ? arch->choice2[e] : arch->choice[e];
        m = t[idx[0]] > t[idx[1]] ? t[idx[0]] : t[idx[1]];
        p[0] = exp(t[idx[0]] - m);
        p[1] = exp(t[idx[1]] - m);
        m = p[0] + p[1];
        p[0] /= m;
        p[1] /= m;
        for (i = 0; i < 2; ++i) a[i] = arch->gate_grad[(size_t)e * K + idx[i]];
        for (i = 0; i < 2; ++i)
            for (j = 0; j < 2; ++j) grad[(size_t)e * K + idx[i]] += a[j] * p[j] * ((i == j ? 1.0 : 0.0) - p[i]);
    }
    return saferl_nas__check_finite_grad(arch, grad) ? 1 : SAFERL_ERR_NOT_FINITE;
}

static void saferl_nas__proxyless_rescale(saferl_nas_arch *arch, const double *theta_before) {
    int e, k, K = arch->op_count;
    for (e = 0; e < arch->edge_count; ++e) {
        double *t = arch->theta + (size_t)e * K;
        const double *o = theta_before + (size_t)e * K;
        double mo = o[0], mn = t[0], so = 0.0, sn = 0.0, offset;
        for (k = 1; k < K; ++k) { if (o[k] > mo) mo = o[k]; if (t[k] > mn) mn = t[k]; }
        for (k = 0; k < K; ++k) { so += exp(o[k] - mo); sn += exp(t[k] - mn); }
        offset = log(exp(mn - mo) * sn / so + 0.0001);
        t[arch->choice[e]] -= offset;
        t[arch->choice2[e]] -= offset;
    }
}

/* The official rescale (util.py rescale): narc[:, inx1] -= offset; narc[:, inx2] -= offset
   with inx1, inx2 the smaller and larger sampled column of every row. NumPy's fancy
   indexing makes that "for every row r and every j: theta[r][inx[j]] = value before the
   statement - offset[j]", the last j winning where columns repeat, so every edge is shifted
   by other edges' offsets at other edges' columns. Kept by name for comparisons. */
static void saferl_nas__proxyless_rescale_official(saferl_nas_arch *arch, const double *theta_before) {
    int e, j, r, pass, K = arch->op_count, E = arch->edge_count;
    double *offset = arch->gumbel_z; /* (E) of this free (E,K) block: proxyless draws no Gumbel */
    for (e = 0; e < E; ++e) {
        double *t = arch->theta + (size_t)e * K;
        const double *o = theta_before + (size_t)e * K;
        double mo = o[0], mn = t[0], so = 0.0, sn = 0.0;
        int k;
        for (k = 1; k < K; ++k) { if (o[k] > mo) mo = o[k]; if (t[k] > mn) mn = t[k]; }
        for (k = 0; k < K; ++k) { so += exp(o[k] - mo); sn += exp(t[k] - mn); }
        offset[e] = log(exp(mn - mo) * sn / so + 0.0001);
    }
    for (pass = 0; pass < 2; ++pass) {
        double shift[SAFERL_NAS_MAX_OPS]; /* per column: the last offset written there */
        int k;
        for (k = 0; k < K; ++k) shift[k] = 0.0;
        for (j = 0; j < E; ++j) {
            int lo = arch->choice[j] < arch->choice2[j] ? arch->choice[j] : arch->choice2[j];
            int hi = arch->choice[j] < arch->choice2[j] ? arch->choice2[j] : arch->choice[j];
            shift[pass == 0 ? lo : hi] = offset[j];
        }
        for (r = 0; r < E; ++r)
            for (k = 0; k < K; ++k) arch->theta[(size_t)r * K + k] -= shift[k];
    }
}

static void saferl_nas__draw_darts(saferl_nas_arch *arch, saferl_rng *rng) {
    int e, K = arch->op_count;
    (void)rng;
    for (e = 0; e < arch->edge_count; ++e) {
        saferl_nas_arch_probabilities(arch, e, arch->gates + (size_t)e * K);
        arch->choice[e] = 0;
    }
    saferl_nas_arch_argmax(arch, arch->choice);
}

static int saferl_nas__darts_gradient(saferl_nas_arch *arch, double loss, double *grad) {
    int e, k, K = arch->op_count;
    (void)loss;
    for (e = 0; e < arch->edge_count; ++e) {
        const double *p = arch->gates + (size_t)e * K, *g = arch->gate_grad + (size_t)e * K;
        double pg = 0.0;
        for (k = 0; k < K; ++k) pg += p[k] * g[k];
        for (k = 0; k < K; ++k) grad[(size_t)e * K + k] = p[k] * (g[k] - pg);
    }
    return saferl_nas__check_finite_grad(arch, grad) ? 1 : SAFERL_ERR_NOT_FINITE;
}

/* NASP (mode "N"): theta is kept in [0, 1] per edge by the comparison code's nasp_c2_const:
   shift the row up by its minimum when that is negative, then divide by its maximum when
   that exceeds 1. */
static void saferl_nas__nasp_constrain(double *row, int K) {
    double lo = row[0], hi;
    int k;
    for (k = 1; k < K; ++k) if (row[k] < lo) lo = row[k];
    if (lo < 0.0) for (k = 0; k < K; ++k) row[k] -= lo;
    hi = row[0];
    for (k = 1; k < K; ++k) if (row[k] > hi) hi = row[k];
    if (hi > 1.0) for (k = 0; k < K; ++k) row[k] /= hi;
}

/* one-hot gates of argmax theta (the constraint keeps the argmax, so theta is read only) */
static void saferl_nas__draw_nasp(saferl_nas_arch *arch, saferl_rng *rng) {
    int e, K = arch->op_count;
    (void)rng;
    saferl_nas_arch_argmax(arch, arch->choice);
    memset(arch->gates, 0, (size_t)arch->edge_count * K * sizeof(double));
    for (e = 0; e < arch->edge_count; ++e) arch->gates[(size_t)e * K + arch->choice[e]] = 1.0;
}

/* theta.grad = a.grad: every gate's partial derivative at the one-hot point */
static int saferl_nas__nasp_gradient(saferl_nas_arch *arch, double loss, double *grad) {
    (void)loss;
    memcpy(grad, arch->gate_grad, (size_t)arch->edge_count * arch->op_count * sizeof(double));
    return saferl_nas__check_finite_grad(arch, grad) ? 1 : SAFERL_ERR_NOT_FINITE;
}

/* The official code constrains theta in draw (before the step) and after it; Adam's move
   does not depend on theta (without weight decay), so theta = c(c(before) + move). */
static void saferl_nas__nasp_after_step(saferl_nas_arch *arch, const double *theta_before) {
    int e, k, K = arch->op_count;
    for (e = 0; e < arch->edge_count; ++e) {
        double *t = arch->theta + (size_t)e * K, before[SAFERL_NAS_MAX_OPS];
        for (k = 0; k < K; ++k) before[k] = theta_before[(size_t)e * K + k];
        saferl_nas__nasp_constrain(before, K);
        for (k = 0; k < K; ++k) t[k] = before[k] + (t[k] - theta_before[(size_t)e * K + k]);
        saferl_nas__nasp_constrain(t, K);
    }
}

static const saferl_nas_strategy saferl_nas__strategies[SAFERL_NAS_STRATEGY_KINDS] = {
    {"advantage", saferl_nas__draw_categorical, saferl_nas__advantage_gradient, NULL, NULL, 0},
    {"reinforce", saferl_nas__draw_categorical, saferl_nas__reinforce_gradient, NULL, NULL, 0},
    {"parsec", saferl_nas__draw_categorical, saferl_nas__parsec_gradient, NULL, NULL, 0},
    {"gdas", saferl_nas__draw_gdas, saferl_nas__gdas_gradient, NULL, NULL, 0},
    {"proxyless", saferl_nas__draw_proxyless, saferl_nas__proxyless_gradient, saferl_nas__proxyless_rescale, NULL, 0},
    {"darts", saferl_nas__draw_darts, saferl_nas__darts_gradient, NULL, NULL, 0},
    {"snas", saferl_nas__draw_snas, saferl_nas__snas_gradient, NULL, NULL, 0},
    {"nasp", saferl_nas__draw_nasp, saferl_nas__nasp_gradient, saferl_nas__nasp_after_step, NULL, 1},
    {"proxyless_official", saferl_nas__draw_proxyless, saferl_nas__proxyless_gradient,
     saferl_nas__proxyless_rescale_official, NULL, 0}};

SAFERL_NAS_API const saferl_nas_strategy *saferl_nas_strategy_builtin(saferl_nas_strategy_kind kind) {
    if ((int)kind < 0 || (int)kind >= SAFERL_NAS_STRATEGY_KINDS) return NULL;
    return &saferl_nas__strategies[kind];
}

SAFERL_NAS_API int saferl_nas_strategy_from_name(const char *name) {
    int i;
    if (!name) return -1;
    for (i = 0; i < SAFERL_NAS_STRATEGY_KINDS; ++i)
        if (strcmp(name, saferl_nas__strategies[i].name) == 0) return i;
    return -1;
}

/* ---- the supernet ------------------------------------------------------------------------ */

static const saferl_nas_op saferl_nas__image_ops[5] = {SAFERL_NAS_NONE, SAFERL_NAS_SKIP_CONNECT,
                                                      SAFERL_NAS_NOR_CONV_1X1, SAFERL_NAS_NOR_CONV_3X3,
                                                      SAFERL_NAS_AVG_POOL_3X3};
static const saferl_nas_op saferl_nas__vector_ops[5] = {SAFERL_NAS_NONE, SAFERL_NAS_SKIP_CONNECT,
                                                       SAFERL_NAS_LINEAR_RELU, SAFERL_NAS_LINEAR_TANH,
                                                       SAFERL_NAS_LINEAR_SIGMOID};

SAFERL_NAS_API saferl_nas_net_desc saferl_nas_net_desc_defaults(const saferl_nas_net_desc *desc) {
    saferl_nas_net_desc d = *desc;
    if (d.node_count == 0) d.node_count = 4;
    if (d.op_count == 0 || !d.ops) {
        d.op_count = 5;
        d.ops = d.kind == SAFERL_NAS_VECTORS ? saferl_nas__vector_ops : saferl_nas__image_ops;
    }
    if (d.cell_count == 0) d.cell_count = 1;
    if (d.channels == 0) d.channels = d.kind == SAFERL_NAS_VECTORS ? 32 : 8;
    if (d.max_batch == 0) d.max_batch = 32;
    if (d.learning_rate == 0.0) d.learning_rate = 0.05;
    if (d.momentum == 0.0) d.momentum = 0.9;
    if (d.weight_decay == 0.0) d.weight_decay = 5e-4;
    if (d.clip_norm == 0.0) d.clip_norm = 5.0;
    return d;
}

static int saferl_nas__net_desc_valid(const saferl_nas_net_desc *d) {
    int k;
    if (d->kind != SAFERL_NAS_IMAGES && d->kind != SAFERL_NAS_VECTORS) return 0;
    if (d->node_count < 2 || d->node_count > SAFERL_NAS_MAX_NODES || d->op_count < 1 ||
        d->op_count > SAFERL_NAS_MAX_OPS || d->cell_count < 1 || d->cell_count > 64 || d->channels < 1 ||
        d->channels > 4096 || d->classes < 2 || d->classes > 100000 || d->max_batch < 1 || d->max_batch > 1000000)
        return 0;
    if (!(d->learning_rate > 0.0) || !(d->momentum >= 0.0 && d->momentum < 1.0) || !(d->weight_decay >= 0.0) ||
        !(d->clip_norm >= 0.0))
        return 0;
    if (d->kind == SAFERL_NAS_IMAGES) {
        if (d->in_channels < 1 || d->in_channels > 64 || d->height < 1 || d->height > 4096 || d->width < 1 ||
            d->width > 4096)
            return 0;
    } else if (d->input_dim < 1 || d->input_dim > 1000000) {
        return 0;
    }
    for (k = 0; k < d->op_count; ++k) {
        saferl_nas_op op = d->ops[k];
        int image_op = op <= SAFERL_NAS_AVG_POOL_3X3, shared = op <= SAFERL_NAS_SKIP_CONNECT;
        if ((int)op < 0 || (int)op >= SAFERL_NAS_OP_KINDS) return 0;
        if (!shared && (d->kind == SAFERL_NAS_IMAGES) != image_op) return 0;
    }
    return 1;
}

static uint64_t saferl_nas__op_param_count(saferl_nas_op op, uint64_t C) {
    switch (op) {
    case SAFERL_NAS_NOR_CONV_1X1: return C * C;
    case SAFERL_NAS_NOR_CONV_3X3: return C * C * 9;
    case SAFERL_NAS_LINEAR_RELU:
    case SAFERL_NAS_LINEAR_TANH:
    case SAFERL_NAS_LINEAR_SIGMOID: return C * C + C;
    default: return 0;
    }
}

/* Lays the net out on base (NULL: measure); returns the bytes needed. */
static uint64_t saferl_nas__net_layout(saferl_nas_net *net, const saferl_nas_net_desc *d, unsigned char *base) {
    saferl_nas__carver c;
    saferl_nas_net dummy; /* measuring: the same carves, into a throwaway struct */
    uint64_t C = (uint64_t)d->channels, B = (uint64_t)d->max_batch, HW, T, params = 0, conv_floats, conv_ints;
    uint64_t E = (uint64_t)saferl_nas_edge_count(d->node_count), K = (uint64_t)d->op_count, slots;
    uint64_t L = (uint64_t)d->cell_count, in_size;
    uint64_t l, e, k;
    int image = d->kind == SAFERL_NAS_IMAGES;
    if (!net) net = &dummy;
    HW = image ? (uint64_t)d->height * d->width : 1u;
    T = B * C * HW;
    in_size = image ? (uint64_t)d->in_channels * HW : (uint64_t)d->input_dim;
    slots = L * E * K;
    c.base = base;
    c.used = 0;
    net->edge_count = (int)E;
    net->op_count = (int)K;
    net->tensor_size = (int)T;
    net->sample_size = (int)in_size;
    net->op_param_offset = (size_t *)saferl_nas__carve(&c, slots, sizeof(size_t));
    net->touched = (unsigned char *)saferl_nas__carve(&c, slots, 1);
    /* parameter layout: stem, every (cell, edge, op), head */
    net->stem_weight = (size_t)params;
    params += image ? C * d->in_channels * 9 : C * in_size;
    net->stem_bias = (size_t)params;
    params += C;
    for (l = 0; l < L; ++l)
        for (e = 0; e < E; ++e)
            for (k = 0; k < K; ++k) {
                uint64_t n = saferl_nas__op_param_count(d->ops[k], C);
                if (base) net->op_param_offset[(l * E + e) * K + k] = n ? (size_t)params : SAFERL_NAS__NO_PARAMS;
                params += n;
            }
    net->head_weight = (size_t)params;
    params += (uint64_t)d->classes * C;
    net->head_bias = (size_t)params;
    params += (uint64_t)d->classes;
    net->param_count = (size_t)params;
    /* the widest convolution: the stem (in_channels -> C) or a cell's 3x3 (C -> C) */
    conv_floats = conv_ints = 1u;
    if (image) {
        uint64_t Cs = (uint64_t)d->in_channels, H = (uint64_t)d->height, W = (uint64_t)d->width;
        uint64_t stem_floats = saferl_nas__conv_scratch_floats(Cs, H, W, C, 3);
        uint64_t stem_ints = saferl_nas__conv_offset_count(Cs, H, W, C, 3);
        conv_floats = saferl_nas__conv_scratch_floats(C, H, W, C, 3);
        conv_ints = saferl_nas__conv_offset_count(C, H, W, C, 3);
        if (stem_floats > conv_floats) conv_floats = stem_floats;
        if (stem_ints > conv_ints) conv_ints = stem_ints;
    }
    net->params = (float *)saferl_nas__carve(&c, params, sizeof(float));
    net->grads = (float *)saferl_nas__carve(&c, params, sizeof(float));
    net->velocity = (float *)saferl_nas__carve(&c, params, sizeof(float));
    net->nodes = (float *)saferl_nas__carve(&c, L * d->node_count * T, sizeof(float));
    net->op_outputs = (float *)saferl_nas__carve(&c, slots * T, sizeof(float));
    net->node_grad = (float *)saferl_nas__carve(&c, (uint64_t)d->node_count * T, sizeof(float));
    net->scratch = (float *)saferl_nas__carve(&c, T, sizeof(float));
    net->scratch2 = (float *)saferl_nas__carve(&c, T, sizeof(float));
    net->conv_scratch = (float *)saferl_nas__carve(&c, conv_floats, sizeof(float));
    net->conv_offsets = (int *)saferl_nas__carve(&c, conv_ints, sizeof(int));
    net->pooled = (float *)saferl_nas__carve(&c, B * C, sizeof(float));
    net->pooled_grad = (float *)saferl_nas__carve(&c, B * C, sizeof(float));
    net->logits = (float *)saferl_nas__carve(&c, B * (uint64_t)d->classes * 2u, sizeof(float));
    net->gates_used = (double *)saferl_nas__carve(&c, E * K, sizeof(double));
    net->activations = net->nodes;
    return c.used + 16u;
}

SAFERL_NAS_API size_t saferl_nas_net_memory_size(const saferl_nas_net_desc *desc) {
    saferl_nas_net_desc d;
    uint64_t size;
    SAFERL_ASSERT(desc != NULL);
    d = saferl_nas_net_desc_defaults(desc);
    if (!saferl_nas__net_desc_valid(&d)) return 0;
    size = saferl_nas__net_layout(NULL, &d, NULL);
    return saferl_nas__size_fits(size) ? (size_t)size : 0;
}

/* He-normal (std sqrt(2 / fan_in)) weights, zero biases. */
static void saferl_nas__init_normal(float *w, size_t n, double std, saferl_rng *rng) {
    size_t i;
    for (i = 0; i < n; ++i) w[i] = (float)(std * saferl_rng_normal(rng));
}

SAFERL_NAS_API saferl_result saferl_nas_net_init(saferl_nas_net *net, const saferl_nas_net_desc *desc,
                                                 void *memory, size_t memory_size) {
    saferl_nas_net_desc d;
    size_t need, slot, slots, C;
    saferl_rng rng;
    int k;
    SAFERL_ASSERT(net != NULL && desc != NULL);
    d = saferl_nas_net_desc_defaults(desc);
    if (!saferl_nas__net_desc_valid(&d)) return SAFERL_ERR_INVALID_ARGUMENT;
    need = saferl_nas_net_memory_size(&d);
    if (need == 0) return SAFERL_ERR_INVALID_ARGUMENT;
    if (!memory || memory_size < need) return SAFERL_ERR_BUFFER_TOO_SMALL;
    memset(net, 0, sizeof *net);
    memset(memory, 0, need);
    net->desc = d;
    for (k = 0; k < d.op_count; ++k) net->ops[k] = d.ops[k];
    net->desc.ops = net->ops;
    saferl_nas__net_layout(net, &d, (unsigned char *)saferl_nas__align(memory));
    C = (size_t)d.channels;
    saferl_rng_seed(&rng, d.seed);
    if (d.kind == SAFERL_NAS_IMAGES)
        saferl_nas__init_normal(net->params + net->stem_weight, C * d.in_channels * 9, sqrt(2.0 / (d.in_channels * 9.0)), &rng);
    else
        saferl_nas__init_normal(net->params + net->stem_weight, C * net->sample_size, sqrt(2.0 / net->sample_size), &rng);
    slots = (size_t)d.cell_count * net->edge_count * net->op_count;
    for (slot = 0; slot < slots; ++slot) {
        saferl_nas_op op = net->ops[slot % net->op_count];
        size_t at = net->op_param_offset[slot];
        if (at == SAFERL_NAS__NO_PARAMS) continue;
        if (op == SAFERL_NAS_NOR_CONV_1X1) saferl_nas__init_normal(net->params + at, C * C, sqrt(2.0 / C), &rng);
        else if (op == SAFERL_NAS_NOR_CONV_3X3) saferl_nas__init_normal(net->params + at, C * C * 9, sqrt(2.0 / (9.0 * C)), &rng);
        else saferl_nas__init_normal(net->params + at, C * C, sqrt(1.0 / C), &rng);
    }
    saferl_nas__init_normal(net->params + net->head_weight, (size_t)d.classes * C, sqrt(1.0 / C), &rng);
    return SAFERL_OK;
}

SAFERL_NAS_API saferl_result saferl_nas_net_create(saferl_nas_net *net, const saferl_nas_net_desc *desc) {
    size_t need;
    void *memory;
    saferl_result r;
    SAFERL_ASSERT(net != NULL && desc != NULL);
    need = saferl_nas_net_memory_size(desc);
    if (need == 0) return SAFERL_ERR_INVALID_ARGUMENT;
    memory = saferl_nas__allocate(&desc->allocator, need);
    if (!memory) return SAFERL_ERR_OUT_OF_MEMORY;
    r = saferl_nas_net_init(net, desc, memory, need);
    if (r < 0) {
        saferl_nas__release(&desc->allocator, memory);
        return r;
    }
    net->owned_memory = memory;
    return SAFERL_OK;
}

SAFERL_NAS_API void saferl_nas_net_destroy(saferl_nas_net *net) {
    if (!net || !net->owned_memory) return;
    saferl_nas__release(&net->desc.allocator, net->owned_memory);
    net->owned_memory = NULL;
}

/* One operation forward: x is (B, C[, H, W]) = n floats, out the same shape. */
static void saferl_nas__op_forward(saferl_nas_net *net, saferl_nas_op op, const float *params, const float *x,
                                   float *out, int B) {
    int C = net->desc.channels, H = net->desc.height, W = net->desc.width;
    size_t n = (size_t)B * C * (net->desc.kind == SAFERL_NAS_IMAGES ? (size_t)H * W : 1u);
    switch (op) {
    case SAFERL_NAS_NONE: memset(out, 0, n * sizeof(float)); break;
    case SAFERL_NAS_SKIP_CONNECT: memcpy(out, x, n * sizeof(float)); break;
    case SAFERL_NAS_NOR_CONV_1X1: saferl_nas__conv2d_forward(out, x, params, NULL, B, C, H, W, C, 1, 1, net->conv_scratch, net->conv_offsets); break;
    case SAFERL_NAS_NOR_CONV_3X3: saferl_nas__conv2d_forward(out, x, params, NULL, B, C, H, W, C, 3, 1, net->conv_scratch, net->conv_offsets); break;
    case SAFERL_NAS_AVG_POOL_3X3: saferl_nas__avgpool_forward(out, x, B, C, H, W); break;
    default:
        saferl_nas__linear_forward(out, x, params, params + (size_t)C * C, B, C, C);
        saferl_nas__activation_forward(out, n, (int)op - SAFERL_NAS_LINEAR_RELU);
        break;
    }
}

/* One operation backward: dout is the gradient of its output; accumulates dx and the
   op's parameter gradients (dparams). */
static void saferl_nas__op_backward(saferl_nas_net *net, saferl_nas_op op, const float *params, float *dparams,
                                    const float *x, const float *out, const float *dout, float *dx, int B) {
    int C = net->desc.channels, H = net->desc.height, W = net->desc.width;
    size_t i, n = (size_t)B * C * (net->desc.kind == SAFERL_NAS_IMAGES ? (size_t)H * W : 1u);
    switch (op) {
    case SAFERL_NAS_NONE: break;
    case SAFERL_NAS_SKIP_CONNECT: for (i = 0; i < n; ++i) dx[i] += dout[i]; break;
    case SAFERL_NAS_NOR_CONV_1X1:
        saferl_nas__conv2d_backward(dx, dparams, NULL, dout, x, params, B, C, H, W, C, 1, 1, net->conv_scratch,
                                    net->conv_offsets);
        break;
    case SAFERL_NAS_NOR_CONV_3X3:
        saferl_nas__conv2d_backward(dx, dparams, NULL, dout, x, params, B, C, H, W, C, 3, 1, net->conv_scratch,
                                    net->conv_offsets);
        break;
    case SAFERL_NAS_AVG_POOL_3X3: saferl_nas__avgpool_backward(dx, dout, B, C, H, W, net->scratch2); break;
    default:
        saferl_nas__activation_backward(net->scratch2, dout, out, n, (int)op - SAFERL_NAS_LINEAR_RELU);
        saferl_nas__linear_backward(dx, dparams, dparams + (size_t)C * C, net->scratch2, x, params, B, C, C);
        break;
    }
}

/* evaluate_all: operations with gate 0 are computed too (for their gate gradient, NASP) but
   add nothing to the node and their weights are not trained */
static saferl_result saferl_nas__net_forward(saferl_nas_net *net, const float *inputs, const int *labels, int batch,
                                             const double *gates, int evaluate_all, double *loss, int *correct) {
    int E, K, N, l, to, from, k, b, image;
    size_t T, n, i, in_floats, HW, C;
    const float *x;
    SAFERL_ASSERT(net != NULL && inputs != NULL && labels != NULL && gates != NULL && loss != NULL);
    E = net->edge_count;
    K = net->op_count;
    N = net->desc.node_count;
    if (batch < 1 || batch > net->desc.max_batch) return SAFERL_ERR_INVALID_ARGUMENT;
    for (b = 0; b < batch; ++b)
        if (labels[b] < 0 || labels[b] >= net->desc.classes) return SAFERL_ERR_INVALID_ARGUMENT;
    for (i = 0; i < (size_t)E * K; ++i)
        if (!saferl_nas__is_finite(gates[i])) return SAFERL_ERR_NOT_FINITE;
    in_floats = (size_t)batch * net->sample_size;
    for (i = 0; i < in_floats; ++i)
        if (!saferl_nas__is_finite((double)inputs[i])) return SAFERL_ERR_NOT_FINITE;
    image = net->desc.kind == SAFERL_NAS_IMAGES;
    C = (size_t)net->desc.channels;
    HW = image ? (size_t)net->desc.height * net->desc.width : 1u;
    T = (size_t)net->tensor_size;
    n = (size_t)batch * C * HW; /* floats of a node for this batch */
    net->inputs = inputs;
    net->labels = labels;
    net->batch = batch;
    memcpy(net->gates_used, gates, (size_t)E * K * sizeof(double));
    memset(net->touched, 0, (size_t)net->desc.cell_count * E * K);
    /* stem into node 0 of cell 0 */
    if (image)
        saferl_nas__conv2d_forward(net->nodes, inputs, net->params + net->stem_weight, net->params + net->stem_bias,
                                   batch, net->desc.in_channels, net->desc.height, net->desc.width, (int)C, 3, 0,
                                   net->conv_scratch, net->conv_offsets);
    else
        saferl_nas__linear_forward(net->nodes, inputs, net->params + net->stem_weight, net->params + net->stem_bias,
                                   batch, net->sample_size, (int)C);
    for (l = 0; l < net->desc.cell_count; ++l) {
        float *nodes = net->nodes + (size_t)l * N * T;
        if (l > 0) memcpy(nodes, nodes - T, n * sizeof(float)); /* the previous cell's output node */
        for (to = 1; to < N; ++to) {
            float *node = nodes + (size_t)to * T;
            memset(node, 0, n * sizeof(float));
            for (from = 0; from < to; ++from) {
                int e = to * (to - 1) / 2 + from;
                for (k = 0; k < K; ++k) {
                    size_t slot = ((size_t)l * E + e) * K + k, at = net->op_param_offset[slot];
                    float g = (float)gates[(size_t)e * K + k], *out = net->op_outputs + slot * T;
                    if (gates[(size_t)e * K + k] == 0.0 && !evaluate_all) continue;
                    if (gates[(size_t)e * K + k] != 0.0) net->touched[slot] = 1;
                    if (net->ops[k] == SAFERL_NAS_NONE) continue;
                    saferl_nas__op_forward(net, net->ops[k], at == SAFERL_NAS__NO_PARAMS ? NULL : net->params + at,
                                           nodes + (size_t)from * T, out, batch);
                    if (g != 0.0f) for (i = 0; i < n; ++i) node[i] += g * out[i];
                }
            }
        }
    }
    x = net->nodes + ((size_t)(net->desc.cell_count - 1) * N + (N - 1)) * T;
    if (image) {
        saferl_nas__global_avgpool_forward(net->pooled, x, batch, (int)C, (int)HW);
        x = net->pooled;
    }
    saferl_nas__linear_forward(net->logits, x, net->params + net->head_weight, net->params + net->head_bias, batch,
                               (int)C, net->desc.classes);
    *loss = saferl_nas__softmax_crossentropy_forward(net->logits, labels, batch, net->desc.classes, correct);
    net->forward_done = 1;
    net->evaluated_all = evaluate_all;
    return saferl_nas__is_finite(*loss) ? SAFERL_OK : SAFERL_ERR_NOT_FINITE;
}

SAFERL_NAS_API saferl_result saferl_nas_net_forward(saferl_nas_net *net, const float *inputs, const int *labels,
                                                    int batch, const double *gates, double *loss, int *correct) {
    return saferl_nas__net_forward(net, inputs, labels, batch, gates, 0, loss, correct);
}

SAFERL_NAS_API saferl_result saferl_nas_net_backward(saferl_nas_net *net, double *gate_grad) {
    int E, K, N, l, to, from, k, batch, image;
    size_t T, n, i, C, HW, slot;
    float *dlogits, *dx;
    const float *x;
    SAFERL_ASSERT(net != NULL);
    if (!net->forward_done) return SAFERL_ERR_INVALID_ARGUMENT;
    E = net->edge_count;
    K = net->op_count;
    N = net->desc.node_count;
    batch = net->batch;
    image = net->desc.kind == SAFERL_NAS_IMAGES;
    C = (size_t)net->desc.channels;
    HW = image ? (size_t)net->desc.height * net->desc.width : 1u;
    T = (size_t)net->tensor_size;
    n = (size_t)batch * C * HW;
    /* zero the gradients of what the forward touched */
    memset(net->grads + net->stem_weight, 0, (net->stem_bias + C - net->stem_weight) * sizeof(float));
    memset(net->grads + net->head_weight, 0, (net->param_count - net->head_weight) * sizeof(float));
    for (slot = 0; slot < (size_t)net->desc.cell_count * E * K; ++slot)
        if (net->touched[slot] && net->op_param_offset[slot] != SAFERL_NAS__NO_PARAMS)
            memset(net->grads + net->op_param_offset[slot], 0,
                   (size_t)saferl_nas__op_param_count(net->ops[slot % K], C) * sizeof(float));
    if (gate_grad) memset(gate_grad, 0, (size_t)E * K * sizeof(double));
    /* head */
    dlogits = net->logits + (size_t)net->desc.max_batch * net->desc.classes;
    saferl_nas__softmax_crossentropy_backward(dlogits, net->logits, net->labels, batch, net->desc.classes);
    dx = net->node_grad + (size_t)(N - 1) * T;
    memset(net->node_grad, 0, (size_t)N * T * sizeof(float));
    x = net->nodes + ((size_t)(net->desc.cell_count - 1) * N + (N - 1)) * T;
    if (image) {
        memset(net->pooled_grad, 0, (size_t)batch * C * sizeof(float));
        saferl_nas__linear_backward(net->pooled_grad, net->grads + net->head_weight, net->grads + net->head_bias,
                                    dlogits, net->pooled, net->params + net->head_weight, batch, (int)C,
                                    net->desc.classes);
        saferl_nas__global_avgpool_backward(dx, net->pooled_grad, batch, (int)C, (int)HW);
    } else {
        saferl_nas__linear_backward(dx, net->grads + net->head_weight, net->grads + net->head_bias, dlogits, x,
                                    net->params + net->head_weight, batch, (int)C, net->desc.classes);
    }
    /* cells, last to first; node_grad holds the current cell's node gradients */
    for (l = net->desc.cell_count - 1; l >= 0; --l) {
        float *nodes = net->nodes + (size_t)l * N * T;
        for (to = N - 1; to >= 1; --to) {
            const float *dnode = net->node_grad + (size_t)to * T;
            double dsum = 0.0;
            if (gate_grad) /* a serial sum in double: only when the gate gradient is asked for */
                for (i = 0; i < n; ++i) dsum += dnode[i];
            for (from = 0; from < to; ++from) {
                int e = to * (to - 1) / 2 + from;
                for (k = 0; k < K; ++k) {
                    double gate = net->gates_used[(size_t)e * K + k];
                    size_t at;
                    const float *out, *dout = dnode;
                    slot = ((size_t)l * E + e) * K + k;
                    if (gate == 0.0 && !net->evaluated_all) {
                        if (gate_grad) gate_grad[(size_t)e * K + k] += dsum; /* the constant a * 1 term */
                        continue;
                    }
                    if (net->ops[k] == SAFERL_NAS_NONE) continue; /* output 0: no gradient at all */
                    out = net->op_outputs + slot * T;
                    if (gate == 0.0) { /* evaluated for its gate gradient only */
                        double s = 0.0;
                        if (!gate_grad) continue;
                        for (i = 0; i < n; ++i) s += (double)dnode[i] * out[i];
                        gate_grad[(size_t)e * K + k] += s;
                        continue;
                    }
                    at = net->op_param_offset[slot];
                    if (gate_grad) {
                        double s = 0.0;
                        for (i = 0; i < n; ++i) s += (double)dnode[i] * out[i];
                        gate_grad[(size_t)e * K + k] += s;
                    }
                    if ((float)gate != 1.0f) { /* a sampled operation's gate is 1: dnode as it is */
                        for (i = 0; i < n; ++i) net->scratch[i] = (float)gate * dnode[i];
                        dout = net->scratch;
                    }
                    saferl_nas__op_backward(net, net->ops[k], at == SAFERL_NAS__NO_PARAMS ? NULL : net->params + at,
                                            at == SAFERL_NAS__NO_PARAMS ? NULL : net->grads + at,
                                            nodes + (size_t)from * T, out, dout,
                                            net->node_grad + (size_t)from * T, batch);
                }
            }
        }
        /* node 0 of this cell is the previous cell's output */
        if (l > 0) {
            memcpy(net->node_grad + (size_t)(N - 1) * T, net->node_grad, n * sizeof(float));
            memset(net->node_grad, 0, (size_t)(N - 1) * T * sizeof(float));
        }
    }
    /* stem */
    if (image)
        saferl_nas__conv2d_backward(NULL, net->grads + net->stem_weight, net->grads + net->stem_bias, net->node_grad,
                                    net->inputs, net->params + net->stem_weight, batch, net->desc.in_channels,
                                    net->desc.height, net->desc.width, (int)C, 3, 0, net->conv_scratch,
                                    net->conv_offsets);
    else
        saferl_nas__linear_backward(NULL, net->grads + net->stem_weight, net->grads + net->stem_bias, net->node_grad,
                                    net->inputs, net->params + net->stem_weight, batch, net->sample_size, (int)C);
    return SAFERL_OK;
}

/* The parameter ranges the last forward used, one per call: index 0 the stem, 1 the head,
   2 + slot the operations; returns 0 past the end, and sets *count = 0 for unused slots. */
static int saferl_nas__touched_range(const saferl_nas_net *net, size_t index, size_t *offset, size_t *count) {
    size_t slots = (size_t)net->desc.cell_count * net->edge_count * net->op_count, slot;
    *count = 0;
    if (index == 0) {
        *offset = net->stem_weight;
        *count = net->stem_bias + (size_t)net->desc.channels - net->stem_weight;
        return 1;
    }
    if (index == 1) {
        *offset = net->head_weight;
        *count = net->param_count - net->head_weight;
        return 1;
    }
    slot = index - 2;
    if (slot >= slots) return 0;
    if (net->touched[slot] && net->op_param_offset[slot] != SAFERL_NAS__NO_PARAMS) {
        *offset = net->op_param_offset[slot];
        *count = (size_t)saferl_nas__op_param_count(net->ops[slot % net->op_count], (uint64_t)net->desc.channels);
    }
    return 1;
}

SAFERL_NAS_API saferl_result saferl_nas_net_sgd_step(saferl_nas_net *net) {
    double norm2 = 0.0, scale = 1.0;
    float lr, mu, wd;
    size_t i, range, offset = 0, count = 0;
    SAFERL_ASSERT(net != NULL);
    if (!net->forward_done) return SAFERL_ERR_INVALID_ARGUMENT;
    lr = (float)net->desc.learning_rate;
    mu = (float)net->desc.momentum;
    wd = (float)net->desc.weight_decay;
    for (range = 0; saferl_nas__touched_range(net, range, &offset, &count); ++range)
        for (i = 0; i < count; ++i) {
            double g = (double)net->grads[offset + i] + wd * net->params[offset + i];
            norm2 += g * g;
        }
    if (!saferl_nas__is_finite(norm2)) return SAFERL_ERR_NOT_FINITE;
    if (net->desc.clip_norm > 0.0 && sqrt(norm2) > net->desc.clip_norm) scale = net->desc.clip_norm / sqrt(norm2);
    for (range = 0; saferl_nas__touched_range(net, range, &offset, &count); ++range)
        for (i = 0; i < count; ++i) {
            float g = (float)(scale * ((double)net->grads[offset + i] + wd * net->params[offset + i]));
            float *v = net->velocity + offset + i;
            *v = mu * *v + g;
            net->params[offset + i] -= lr * (net->desc.nesterov ? g + mu * *v : *v);
        }
    return SAFERL_OK;
}

SAFERL_NAS_API saferl_result saferl_nas_net_evaluate(saferl_nas_net *net, const float *inputs, const int *labels,
                                                     int count, const double *gates, double *loss, double *accuracy) {
    int start;
    double total = 0.0;
    long right = 0;
    SAFERL_ASSERT(net != NULL && loss != NULL);
    if (count < 1) return SAFERL_ERR_NO_DATA;
    for (start = 0; start < count; start += net->desc.max_batch) {
        int b = count - start < net->desc.max_batch ? count - start : net->desc.max_batch, correct = 0;
        double l;
        saferl_result r = saferl_nas_net_forward(net, inputs + (size_t)start * net->sample_size, labels + start, b,
                                                 gates, &l, &correct);
        if (r < 0) return r;
        total += l * b;
        right += correct;
    }
    *loss = total / count;
    if (accuracy) *accuracy = (double)right / count;
    return SAFERL_OK;
}

SAFERL_NAS_API saferl_result saferl_nas_weight_step(saferl_nas_net *net, saferl_nas_arch *arch, saferl_rng *rng,
                                                    const float *inputs, const int *labels, int batch, double *loss) {
    saferl_result r;
    double l;
    SAFERL_ASSERT(net != NULL && arch != NULL && rng != NULL);
    if (arch->edge_count != net->edge_count || arch->op_count != net->op_count) return SAFERL_ERR_INVALID_ARGUMENT;
    saferl_nas_arch_draw(arch, rng);
    r = saferl_nas_net_forward(net, inputs, labels, batch, arch->gates, &l, NULL);
    if (r < 0) return r;
    r = saferl_nas_net_backward(net, NULL);
    if (r < 0) return r;
    r = saferl_nas_net_sgd_step(net);
    if (loss) *loss = l;
    return r;
}

SAFERL_NAS_API saferl_result saferl_nas_arch_step(saferl_nas_net *net, saferl_nas_arch *arch, saferl_rng *rng,
                                                  const float *inputs, const int *labels, int batch, double *loss) {
    saferl_result r;
    double l;
    SAFERL_ASSERT(net != NULL && arch != NULL && rng != NULL);
    if (arch->edge_count != net->edge_count || arch->op_count != net->op_count) return SAFERL_ERR_INVALID_ARGUMENT;
    saferl_nas_arch_draw(arch, rng);
    r = saferl_nas__net_forward(net, inputs, labels, batch, arch->gates, arch->desc.strategy->evaluate_all, &l, NULL);
    if (r < 0) return r;
    r = saferl_nas_net_backward(net, arch->gate_grad);
    if (r < 0) return r;
    if (loss) *loss = l;
    return saferl_nas_arch_update(arch, l);
}

/* ---- data ------------------------------------------------------------------------------- */

SAFERL_NAS_API saferl_result saferl_nas_synthetic_images(saferl_rng *rng, int count, int channels, int height,
                                                         int width, int classes, double noise, float *images,
                                                         int *labels) {
    int s, c, y, x;
    SAFERL_ASSERT(rng != NULL && images != NULL && labels != NULL);
    if (count < 1 || channels < 1 || height < 1 || width < 1 || classes < 2 || !(noise >= 0.0) ||
        !saferl_nas__is_finite(noise))
        return SAFERL_ERR_INVALID_ARGUMENT;
    for (s = 0; s < count; ++s) {
        int label = s % classes;
        double angle = 3.14159265358979323846 * label / classes;
        double frequency = 0.15 + 0.15 * saferl_rng_uniform(rng);
        double phase = 6.28318530717958647692 * saferl_rng_uniform(rng);
        double kx = 6.28318530717958647692 * frequency * cos(angle), ky = 6.28318530717958647692 * frequency * sin(angle);
        labels[s] = label;
        for (c = 0; c < channels; ++c) {
            double weight = 0.5 + 0.5 * saferl_rng_uniform(rng);
            float *plane = images + ((size_t)s * channels + c) * height * width;
            for (y = 0; y < height; ++y)
                for (x = 0; x < width; ++x)
                    plane[y * width + x] = (float)(weight * sin(kx * x + ky * y + phase) + noise * saferl_rng_normal(rng));
        }
    }
    return SAFERL_OK;
}

SAFERL_NAS_API saferl_result saferl_nas_check_data(const float *inputs, size_t float_count, const int *labels,
                                                   size_t label_count, int classes, size_t *bad_index) {
    size_t i;
    for (i = 0; i < float_count; ++i)
        if (!saferl_nas__is_finite((double)inputs[i])) {
            if (bad_index) *bad_index = i;
            return SAFERL_ERR_NOT_FINITE;
        }
    for (i = 0; i < label_count; ++i)
        if (labels[i] < 0 || labels[i] >= classes) {
            if (bad_index) *bad_index = i;
            return SAFERL_ERR_INVALID_ARGUMENT;
        }
    return SAFERL_OK;
}

/* ---- the toy task ------------------------------------------------------------------------- */

#define SAFERL_NAS__TOY_P SAFERL_NAS_TOY_POSITIONS
#define SAFERL_NAS__TOY_K SAFERL_NAS_TOY_CANDIDATES
#define SAFERL_NAS__TOY_F (SAFERL_NAS_TOY_MAP * SAFERL_NAS_TOY_MAP)
#define SAFERL_NAS__TOY_IN (SAFERL_NAS_TOY_SIDE * SAFERL_NAS_TOY_SIDE)

static uint64_t saferl_nas__toy_layout(saferl_nas_toy *toy, uint64_t B, unsigned char *base) {
    saferl_nas__carver c;
    saferl_nas_toy dummy;
    if (!toy) toy = &dummy;
    c.base = base;
    c.used = 0;
    toy->inputs = (float *)saferl_nas__carve(&c, B * SAFERL_NAS__TOY_IN, sizeof(float));
    toy->features = (float *)saferl_nas__carve(&c, B * SAFERL_NAS__TOY_P * SAFERL_NAS__TOY_K * SAFERL_NAS__TOY_F, sizeof(float));
    toy->targets = (double *)saferl_nas__carve(&c, B, sizeof(double));
    toy->node_grad = (double *)saferl_nas__carve(&c, B * SAFERL_NAS__TOY_P * SAFERL_NAS__TOY_F, sizeof(double));
    return c.used + 16u;
}

SAFERL_NAS_API size_t saferl_nas_toy_memory_size(int batch) {
    uint64_t size;
    if (batch < 1 || batch > 1000000) return 0;
    size = saferl_nas__toy_layout(NULL, (uint64_t)batch, NULL);
    return saferl_nas__size_fits(size) ? (size_t)size : 0;
}

SAFERL_NAS_API saferl_result saferl_nas_toy_init(saferl_nas_toy *toy, int batch, saferl_rng *rng, void *memory,
                                                 size_t memory_size) {
    size_t need = saferl_nas_toy_memory_size(batch);
    int p, k, i;
    SAFERL_ASSERT(toy != NULL && rng != NULL);
    if (need == 0) return SAFERL_ERR_INVALID_ARGUMENT;
    if (!memory || memory_size < need) return SAFERL_ERR_BUFFER_TOO_SMALL;
    memset(toy, 0, sizeof *toy);
    toy->batch = batch;
    saferl_nas__toy_layout(toy, (uint64_t)batch, (unsigned char *)saferl_nas__align(memory));
    /* Chainer's default initialisers: LeCun normal weights, zero biases */
    for (p = 0; p < SAFERL_NAS__TOY_P; ++p)
        for (k = 0; k < SAFERL_NAS__TOY_K; ++k)
            saferl_nas__init_normal(toy->conv1_weight[p][k], SAFERL_NAS_TOY_KERNEL * SAFERL_NAS_TOY_KERNEL,
                                    1.0 / SAFERL_NAS_TOY_KERNEL, rng);
    for (p = 0; p < SAFERL_NAS__TOY_P; ++p)
        saferl_nas__init_normal(toy->conv2_weight[p], SAFERL_NAS__TOY_F, 1.0 / SAFERL_NAS_TOY_MAP, rng);
    /* the teacher: argmax of a U[0,1) matrix */
    for (p = 0; p < SAFERL_NAS__TOY_P; ++p) {
        double best = -1.0;
        for (i = 0; i < SAFERL_NAS__TOY_K; ++i) {
            double u = saferl_rng_uniform(rng);
            if (u > best) { best = u; toy->teacher[p] = i; }
        }
    }
    return SAFERL_OK;
}

/* y_b = mean_p sum_j w2[p][j] tanh(h_pj), h_pj = sum_k gate[p][k] feature[b][p][k][j] */
static double saferl_nas__toy_output(const saferl_nas_toy *toy, int b, const double *gates, double *pre) {
    double y = 0.0;
    int p, k, j;
    for (p = 0; p < SAFERL_NAS__TOY_P; ++p) {
        const float *f = toy->features + ((size_t)b * SAFERL_NAS__TOY_P + p) * SAFERL_NAS__TOY_K * SAFERL_NAS__TOY_F;
        for (j = 0; j < SAFERL_NAS__TOY_F; ++j) {
            double h = 0.0;
            for (k = 0; k < SAFERL_NAS__TOY_K; ++k) {
                double g = gates[p * SAFERL_NAS__TOY_K + k];
                if (g != 0.0) h += g * f[k * SAFERL_NAS__TOY_F + j];
            }
            h = tanh(h);
            if (pre) pre[p * SAFERL_NAS__TOY_F + j] = h;
            y += toy->conv2_weight[p][j] * h;
        }
    }
    return y / SAFERL_NAS__TOY_P;
}

SAFERL_NAS_API void saferl_nas_toy_sample(saferl_nas_toy *toy, saferl_rng *rng) {
    int b, p, k, y;
    double teacher_gates[SAFERL_NAS__TOY_P * SAFERL_NAS__TOY_K];
    SAFERL_ASSERT(toy != NULL && rng != NULL);
    for (b = 0; b < toy->batch * SAFERL_NAS__TOY_IN; ++b) toy->inputs[b] = (float)(2.0 * saferl_rng_uniform(rng) - 1.0);
    for (b = 0; b < toy->batch; ++b) {
        /* the 7x7 stride-2 convolution of every position and candidate as one product:
           (P*K, 49) weights times the (49, 16) patches of this input */
        float col[SAFERL_NAS_TOY_KERNEL * SAFERL_NAS_TOY_KERNEL * SAFERL_NAS__TOY_F];
        float *f = toy->features + (size_t)b * SAFERL_NAS__TOY_P * SAFERL_NAS__TOY_K * SAFERL_NAS__TOY_F;
        saferl_nas__im2col(col, toy->inputs + (size_t)b * SAFERL_NAS__TOY_IN, 1, SAFERL_NAS_TOY_SIDE, SAFERL_NAS_TOY_SIDE,
                           SAFERL_NAS_TOY_KERNEL, 2);
        saferl_nas__gemm(0, 0, SAFERL_NAS__TOY_P * SAFERL_NAS__TOY_K, SAFERL_NAS__TOY_F,
                         SAFERL_NAS_TOY_KERNEL * SAFERL_NAS_TOY_KERNEL, &toy->conv1_weight[0][0][0],
                         SAFERL_NAS_TOY_KERNEL * SAFERL_NAS_TOY_KERNEL, col, SAFERL_NAS__TOY_F, 0.0f, f, SAFERL_NAS__TOY_F);
        for (p = 0; p < SAFERL_NAS__TOY_P; ++p)
            for (k = 0; k < SAFERL_NAS__TOY_K; ++k)
                for (y = 0; y < SAFERL_NAS__TOY_F; ++y) f[(p * SAFERL_NAS__TOY_K + k) * SAFERL_NAS__TOY_F + y] += toy->conv1_bias[p][k];
    }
    memset(teacher_gates, 0, sizeof teacher_gates);
    for (p = 0; p < SAFERL_NAS__TOY_P; ++p) teacher_gates[p * SAFERL_NAS__TOY_K + toy->teacher[p]] = 1.0;
    for (b = 0; b < toy->batch; ++b) toy->targets[b] = saferl_nas__toy_output(toy, b, teacher_gates, NULL);
}

/* evaluate_all: candidates with gate 0 are evaluated too (their gate gradient is the partial
   derivative); otherwise they get the official GDAS "a * 1" term */
static double saferl_nas__toy_loss(const saferl_nas_toy *toy, const double *gates, int evaluate_all, double *gate_grad) {
    int b, p, k, j, B;
    double loss = 0.0;
    SAFERL_ASSERT(toy != NULL && gates != NULL);
    B = toy->batch;
    if (gate_grad) memset(gate_grad, 0, SAFERL_NAS__TOY_P * SAFERL_NAS__TOY_K * sizeof(double));
    for (b = 0; b < B; ++b) {
        double *pre = toy->node_grad + (size_t)b * SAFERL_NAS__TOY_P * SAFERL_NAS__TOY_F; /* tanh values */
        double y = saferl_nas__toy_output(toy, b, gates, gate_grad ? pre : NULL), r = y - toy->targets[b];
        loss += r * r;
        if (!gate_grad) continue;
        for (p = 0; p < SAFERL_NAS__TOY_P; ++p) {
            const float *f = toy->features + ((size_t)b * SAFERL_NAS__TOY_P + p) * SAFERL_NAS__TOY_K * SAFERL_NAS__TOY_F;
            double dsum = 0.0;
            for (j = 0; j < SAFERL_NAS__TOY_F; ++j) {
                double t = pre[p * SAFERL_NAS__TOY_F + j];
                /* dL/dh: L = mean_b r^2, y = mean_p sum_j w2 tanh(h) */
                pre[p * SAFERL_NAS__TOY_F + j] = 2.0 * r / B / SAFERL_NAS__TOY_P * toy->conv2_weight[p][j] * (1.0 - t * t);
                dsum += pre[p * SAFERL_NAS__TOY_F + j];
            }
            for (k = 0; k < SAFERL_NAS__TOY_K; ++k) {
                double s = 0.0;
                if (gates[p * SAFERL_NAS__TOY_K + k] == 0.0 && !evaluate_all) {
                    gate_grad[p * SAFERL_NAS__TOY_K + k] += dsum; /* the official GDAS "a * 1" term */
                    continue;
                }
                for (j = 0; j < SAFERL_NAS__TOY_F; ++j) s += pre[p * SAFERL_NAS__TOY_F + j] * f[k * SAFERL_NAS__TOY_F + j];
                gate_grad[p * SAFERL_NAS__TOY_K + k] += s;
            }
        }
    }
    return loss / B;
}

SAFERL_NAS_API double saferl_nas_toy_loss(const saferl_nas_toy *toy, const double *gates, double *gate_grad) {
    return saferl_nas__toy_loss(toy, gates, 0, gate_grad);
}

SAFERL_NAS_API double saferl_nas_toy_arch_loss(const saferl_nas_toy *toy, saferl_nas_arch *arch) {
    SAFERL_ASSERT(toy != NULL && arch != NULL);
    SAFERL_ASSERT(arch->edge_count == SAFERL_NAS__TOY_P && arch->op_count == SAFERL_NAS__TOY_K);
    return saferl_nas__toy_loss(toy, arch->gates, arch->desc.strategy->evaluate_all, arch->gate_grad);
}

SAFERL_NAS_API int saferl_nas_toy_argmax_is_teacher(const saferl_nas_toy *toy, const saferl_nas_arch *arch) {
    int ops[SAFERL_NAS__TOY_P], p;
    if (arch->edge_count != SAFERL_NAS__TOY_P || arch->op_count != SAFERL_NAS__TOY_K) return 0;
    saferl_nas_arch_argmax(arch, ops);
    for (p = 0; p < SAFERL_NAS__TOY_P; ++p)
        if (ops[p] != toy->teacher[p]) return 0;
    return 1;
}

SAFERL_NAS_API saferl_result saferl_nas_toy_run(saferl_nas_toy *toy, saferl_nas_arch *arch, saferl_rng *rng,
                                                int iterations, int *first_hit, double *curve) {
    int i, ops[SAFERL_NAS__TOY_P], hit = iterations + 1;
    SAFERL_ASSERT(toy != NULL && arch != NULL && rng != NULL);
    if (arch->edge_count != SAFERL_NAS__TOY_P || arch->op_count != SAFERL_NAS__TOY_K || iterations < 0)
        return SAFERL_ERR_INVALID_ARGUMENT;
    for (i = 0; i <= iterations; ++i) {
        saferl_result r;
        if (i % 10 == 0 && curve) {
            double gates[SAFERL_NAS__TOY_P * SAFERL_NAS__TOY_K];
            int p;
            saferl_nas_arch_argmax(arch, ops);
            memset(gates, 0, sizeof gates);
            for (p = 0; p < SAFERL_NAS__TOY_P; ++p) gates[p * SAFERL_NAS__TOY_K + ops[p]] = 1.0;
            saferl_nas_toy_sample(toy, rng);
            curve[i / 10] = saferl_nas_toy_loss(toy, gates, NULL);
        }
        if (i == iterations) break;
        saferl_nas_toy_sample(toy, rng);
        saferl_nas_arch_draw(arch, rng);
        r = saferl_nas_arch_update(arch, saferl_nas_toy_arch_loss(toy, arch));
        if (r < 0) return r;
        if (hit > iterations && saferl_nas_toy_argmax_is_teacher(toy, arch)) hit = i + 1;
    }
    if (first_hit) *first_hit = hit;
    return SAFERL_OK;
}

#if defined(__clang__) && (defined(__x86_64__) || defined(__i386__))
#  pragma float_control(pop)
#elif defined(__GNUC__) && !defined(__clang__)
#  pragma GCC pop_options
#endif

#endif /* SAFERL_NAS_IMPLEMENTATION_ONCE */
#endif /* SAFERL_NAS_IMPLEMENTATION */

/*
------------------------------------------------------------------------------------------
This software is available under 2 licenses -- choose whichever you prefer.
------------------------------------------------------------------------------------------
ALTERNATIVE A - MIT License
Copyright (c) 2026 the saferl authors
Permission is hereby granted, free of charge, to any person obtaining a copy of this
software and associated documentation files (the "Software"), to deal in the Software
without restriction, including without limitation the rights to use, copy, modify, merge,
publish, distribute, sublicense, and/or sell copies of the Software, and to permit persons
to whom the Software is furnished to do so, subject to the following conditions:
The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.
THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED,
INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR
PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE
FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR
OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER
DEALINGS IN THE SOFTWARE.
------------------------------------------------------------------------------------------
ALTERNATIVE B - Public Domain (www.unlicense.org)
This is free and unencumbered software released into the public domain.
Anyone is free to copy, modify, publish, use, compile, sell, or distribute this software,
either in source code form or as a compiled binary, for any purpose, commercial or
non-commercial, and by any means.
In jurisdictions that recognize copyright laws, the author or authors of this software
dedicate any and all copyright interest in the software to the public domain. We make this
dedication for the benefit of the public at large and to the detriment of our heirs and
successors. We intend this dedication to be an overt act of relinquishment in perpetuity of
all present and future rights to this software under copyright law.
THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED,
INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR
PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS BE LIABLE FOR ANY CLAIM, DAMAGES
OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT
OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
------------------------------------------------------------------------------------------
*/
