// SPDX-License-Identifier: MIT OR Unlicense
/* saferl_gp.h - v0.4.20 - Gaussian processes and safe Bayesian optimisation (SafeOpt,
                          StageOpt, safe UCB, the PLS online stage, continuous boxes,
                          constrained EI)
                          public domain or MIT; see the end of the file

   Safe Bayesian optimisation tunes the parameters of a system that must never violate a
   constraint while it is being tuned. Here: exact GP regression with an O(n^2) Cholesky
   append, the O(n |Z|) update of a candidate grid's posterior, and SafeOpt / StageOpt /
   safe-UCB over a finite candidate set, plus the online stage of PLS ("Provably Lifetime
   Safe RL", Wachi et al., NeurIPS 2025): StageOpt over a grid of target returns z = (R, G)
   with one GP for the reward return and one for the cost return.

   Do this:
      #define SAFERL_GP_IMPLEMENTATION   (or SAFERL_IMPLEMENTATION for every saferl header)
   before you include this file in *one* C or C++ file to create the implementation.

   Optional, before the implementation include:
      #define SAFERL_ASSERT(x)        your assert, for programmer errors only (default: assert)
      #define SAFERL_MALLOC(sz,ctx)   default allocation   (default: malloc(sz))
      #define SAFERL_FREE(p,ctx)      default release      (default: free(p))
      #define SAFERL_GP_API           declaration prefix   (default: extern)
      #define SAFERL_GP_STATIC        every function static: a private copy per translation unit
      #define SAFERL_USE_BLIS         Cholesky blocks and triangular solves of GPs with
                                      SAFERL_GP_BLIS_FROM points or more on BLIS (native only;
                                      link -lblis). blis.h is not strict C99: compile that
                                      translation unit with -std=gnu99 (or define
                                      _POSIX_C_SOURCE=200809L before any include). Both paths
                                      give the same numbers to rounding (tests/oracle/gp.sh).
      #define SAFERL_GP_BLIS_FROM 1024  with SAFERL_USE_BLIS, the fewest points whose factor and
                                      solves go to BLIS; smaller GPs keep this header's own
                                      kernels (the portable build's bits). BLIS's trsm ran 3-30
                                      times slower than them at n = 25-200 (README).
      #define SAFERL_NO_DISPATCH      no runtime AVX2 dispatch (see SPEED below): the hot loops
                                      are compiled once, for the build's target

   QUICK START
      #define SAFERL_GP_IMPLEMENTATION
      #include "saferl_gp.h"
      #include <stdio.h>
      int main(void) {
          double x[4] = {0.0, 1.0, 2.0, 3.0}, y[4] = {0.0, 0.8, 0.9, 0.1};
          double q = 1.5, mean, var, lengthscale = 1.0;
          saferl_gp gp;
          saferl_gp_desc desc = {0};                  // zero = the documented defaults (C++: = {})
          desc.dim = 1;
          desc.capacity = 16;
          desc.lengthscale = &lengthscale;
          desc.noise_variance = 1e-4;
          if (saferl_gp_create(&gp, &desc) < 0) return 1;
          if (saferl_gp_set_data(&gp, x, y, 4) < 0) return 1;
          saferl_gp_predict(&gp, &q, 1, &mean, &var);
          printf("f(1.5) ~ %.4f +- %.4f\n", mean, 2.0 * sqrt(var));
          saferl_gp_destroy(&gp);
          return 0;
      }

   WHAT IS HERE, top to bottom
      GP regression          saferl_gp_*: RBF, Matern 3/2 and 5/2, isotropic or ARD; set data,
                             add a point (rank-1 Cholesky append), remove, refit; predict mean,
                             variance, covariance; log marginal likelihood and its gradient;
                             hyperparameter fitting (Rprop in log space, bounds, restarts)
      candidate grids        saferl_gp_grid_*: posterior over a fixed set Z kept up to date in
                             O(n |Z|) per added point; fantasy covariances for expander tests
      safe optimisation      saferl_gp_safeopt_*: SafeOpt, StageOpt, safe UCB; one objective GP,
                             any number of constraint GPs with thresholds; safe by default
                             (the beta schedule with the theory's guarantee); beside them
                             constrained EI and EI under P(feasible) >= 1 - delta
      continuous domains     saferl_gp_swarm_*: the same step on points sampled around the
                             safe set in a box, d up to ~10
      PLS online stage       saferl_gp_pls_*: the ready routine with a log of evaluations
      numeric CSV            saferl_gp_csv_parse: rows of numbers from a memory buffer

   NUMERICAL CHOICES
      * Kernels: k = s2 * rho(r), r^2 = sum_k (x_k - x'_k)^2 / l_k^2 (ARD) or with one l.
        RBF rho = exp(-r^2/2); Matern 3/2 (1 + sqrt3 r) exp(-sqrt3 r); Matern 5/2
        (1 + sqrt5 r + 5 r^2/3) exp(-sqrt5 r): scikit-learn's ConstantKernel * RBF / Matern.
        r^2 is summed from differences (never |x|^2 + |x'|^2 - 2 x.x', which goes negative)
        of coordinates scaled first, as scikit-learn's cdist(X / l, Y / l) (0.4.16): each
        coordinate times the kernel's input scale gp->input_scale (RBF 1 / (l sqrt2), which
        folds the -1/2 in, so exp's argument is -r'^2; Matern 1 / l), rounded, then
        differenced. The training points are kept scaled too (gp->x_scaled, current through
        every add, remove, set-data and hyperparameter change) and each block of queries is
        scaled once, so a pair costs a subtraction, a square and an add per dimension. Every
        path computes the same products and differences (the same bits); scaling before the
        difference adds rounding of |x| / |x - x'| ulps to the difference where points are
        close relative to their magnitude.
        exp is evaluated by saferl_gp__exp_nonpositive, Tang's table-driven method (a range
        reduction by ln2 / 16, a table of 2^(i/16), a degree-6 minimax polynomial) that the
        compiler vectorises (kernel rows hold millions of them at |Z| = 10^4; the AVX-512
        copy looks the table up with one permute): within 2.3e-16 relative (1 ulp) of libm's
        exp on [-708, 0] (2 10^8 points), and 0 below -708 (< 3.3e-308).
        Kernel rows go 64 points at a time, copied by dimension first (d <= 16), in three
        passes (squared distances, the exp's range reduction, the rest of the exp) so that every
        loop vectorises and none is a dependency chain longer than the out-of-order window
        covers; every value has the bits of the scalar saferl_gp_kernel_value.
      * The model: y = y_offset + y_scale * (f(x) + noise), f ~ GP(0, k), noise ~ N(0, noise
        variance). y_offset is the constant prior mean, y_scale a FIXED normalisation (PLS needs
        it fixed: refitting the scale as data arrive would move the safety thresholds).
        saferl_gp_normalize_from_data sets them once like scikit-learn's normalize_y (mean, std
        with ddof 0, std 0 -> 1). Hyperparameters and the log marginal likelihood live in the
        normalised space, as in scikit-learn.
      * Variances are the latent f's (scikit-learn's with noise as `alpha`); the noisy variance
        adds noise_variance * y_scale^2.
      * A = K + (noise + jitter) I is factored as L L^T. jitter starts at 0; when the factor
        fails it becomes 1e-10 * mean diag(K) and grows x10 up to 6 times; gp->jitter records it
        (jitter is not noise: it widens the variances a little). Still not positive definite:
        SAFERL_ERR_NOT_POSITIVE_DEFINITE and the model stays as it was.
      * Append: c = L^-1 k(X, x), d^2 = k(x, x) + noise + jitter - c.c. In exact arithmetic
        d^2 >= noise + jitter, so d^2 is floored there (a duplicate point gives d^2 ~ 0 by
        rounding, which makes peers take sqrt of a negative). Without noise or jitter, a tiny
        d^2 (< 1e-12 k(x,x)) triggers a refactor with jitter instead.
      * Log marginal likelihood -1/2 w.w - sum log L_ii - n/2 log 2pi with w = L^-1 (y - m);
        gradient 1/2 tr((a a^T - A^-1) dA/dtheta) for theta = (log s2, log l_1.., log noise),
        scikit-learn's order for C * K + WhiteKernel.
      * Fitting maximises the log marginal likelihood with iRprop+ (Igel and Huesken 2000) in
        log space, clipped to the bounds. Why Rprop and not L-BFGS-B: it needs only gradient
        signs, which makes it robust to the badly scaled LML surfaces of GPs, it is ~60 lines
        with no line search, and it is what libgp and limbo ship. Restarts are drawn
        log-uniformly inside the bounds from the fit's seed (scikit-learn's scheme), or given.
      * Prediction and grids solve V = L^-1 K(X, Z) for many candidates at once, the
        O(n^2 |Z|) part. Portable: the first n % 6 rows one by one, then register tiles of 6
        rows of V by 4 (SSE2, wasm) or 8 (AVX, AVX2) candidates, GCC/clang generic vectors
        (plain arrays elsewhere), in chunks of 64 candidates so the solved rows stay in
        cache. The same solve makes the portable Cholesky's off-diagonal blocks (16 rows at
        a time: the row's entries left of the block are L^-1 of the row; the first block is
        16 + n % 16 rows, unblocked); the 16 x 16 block on the diagonal is then updated
        from those rows as a matrix product (register tiles, each entry's sum in the order
        of the columns on every path) and factored alone with dot products at most 16 long
        (0.4.13; before, the block's rows took dot products as long as the row). In the
        solve every entry is the forward substitution's, summed k = 0, 1, .., i-1, then
        multiplied by 1 / L_ii as BLAS trsm kernels do (at most an ulp from the quotient; a
        vector division costs as much as a whole short sum). The variance sums sum_i V_iq^2
        are added while each tile is in registers, the mean k^T alpha four kernel rows at a
        time (in predict, inside the kernel rows: every four rows, while they are in the L1
        cache). A block of queries that is not a whole number of tiles wide (the last block,
        or a small m) and leaves at least 2 columns over is stored padded to whole tiles with
        zero columns: the columns left over would otherwise go one at a time (at n = 100 a
        block of 40 queries took 15.4 us, padded to 48 8.3 us); each column's operations are
        its own, so the same bits. On BLIS (SAFERL_USE_BLIS and n >= SAFERL_GP_BLIS_FROM): one
        trsm over blocks as wide as gp->spare holds (capacity^2 / n candidates: all 1000
        queries at n = 2000), then a contiguous column sum.
      * Grid: V = L^-1 K(X, Z) (n x |Z|), mean and variance of every candidate. One appended
        point adds one row v = (k(x, Z) - c^T V) / d, then mean += v w_n, var -= v^2: O(n |Z|)
        (v: the bits of a recompute's last row, 1 / d included).
        Anything else (refit, new hyperparameters, a removed point) recomputes, O(n^2 |Z|).
      * Fantasy (the GP-only expander test of SafeOpt-MC): observing y~ at candidate j moves
        the posterior to mean' = mean + Cov(j, z) (y~ - mean_j) / s^2 and
        var' = var - Cov(j, z)^2 / s^2 with s^2 = var_j + noise: a rank-1 update, O(n |Z|),
        not the refit befelix/SafeOpt does.

   SPEED: RUNTIME DISPATCH
      The default portable build (x86-64 with GCC or clang, no -mavx2) compiles each hot loop
      three times from one body, for the build's target (SSE), with target("avx2") (under clang
      also tuned for x86-64-v3, since 0.4.20) and with target("avx512f"), and picks one per call
      by the CPU (__builtin_cpu_supports, which also checks the operating system's support; AVX2
      doubles the vector width, AVX-512 doubles it again). What is dispatched: the kernel rows
      (squared distances and s2 rho(r) of all three kernels, with the exp), the
      multi-right-hand-side triangular solve with its variance sums, the rows added for means
      and the grid's rank-1 row, the Cholesky's dot-product rows (small factors and the diagonal
      blocks of the blocked ones) and the update of those blocks (since 0.4.13; 8 x 8 tiles in
      its AVX-512 copy), the single-vector substitutions, and the safe-optimisation step's
      bounds and widths. The unfused multi-right-hand-side solve (the factor's and the grids')
      has an AVX-512 copy of 16-column tiles since 0.4.6; the Cholesky's rows and the forward
      substitution have none: their short dot products ran slower in one (the unblocked factor
      at n = 100: 0.046 against 0.031 ms). No a * b + c is ever fused in these copies: the AVX2
      target has no FMA, and the AVX-512 one, which implies FMA in both GCC and clang, is kept
      from contracting by the header's fp-contract pragmas (BITS below; without them the bit
      tests fail). Every lane does the same multiplies and adds in the same order at any width,
      and the results are bit-identical on every x86-64 CPU (tests/test_gp.c calls the
      instantiations and compares bits). One exception: saferl_gp_predict's variance solve has a
      copy for CPUs with AVX2 and FMA, which rounds each of its multiply-adds once (explicit FMA
      instructions, whatever the compiler flags), and of that copy one with 16-column AVX-512
      tiles on CPUs with AVX-512, the same FMAs per column in the same order (the same bits as
      the AVX2 fused copy; the tests compare them). In that copy, for the RBF kernel, the kernel
      values of each 6-row group (distances, exp, mean terms) are computed inside the k loops of
      the group before it, beside the FMAs (0.4.11; the same operations, the same bits; 1-2%
      faster). Fused, it runs 1.1-1.3x faster than unfused at the same width (n = 200 down to
      25), since the unfused inner loop's instructions fill the core's dispatch width. So on
      such a CPU predicted variances differ from the SSE and WebAssembly ones by rounding
      (within the substitution's error bound); the factor, the grids and the safe optimisers'
      steps stay bit-identical across CPUs and with WebAssembly (saferl_gp_swarm_best ranks the
      safe points by saferl_gp_predict, so where two lower bounds tie to rounding its pick may
      differ). SAFERL_NO_DISPATCH, a target that has AVX2 already (-march=x86-64-v3, -mavx2,
      -march=native), another architecture or WebAssembly: one instantiation for the build's
      target. With FMA in the target (-march=native) the compiler may fuse in GNU C modes:
      results then differ from the portable build's by rounding. The exp and the fused solve run
      one after the other, not interleaved: on a CPU with two FMA/multiply pipes and two add
      pipes (Zen 5, 512 bits wide), the exp's 17 multiplies per 8 values need the pipes the
      solve's FMAs fill, and the two-pass exp alone already keeps them 81% busy, so at most 12%
      (n = 25), 8% (50) and 5% (100) of the two in series could be hidden; the measured
      interleaves hide 0-5% (bench/gp_overlap.c; README's gp speed section has the figures and
      the count that puts n = 25 and 50 above 1.5x of the speed goal's bound on such a CPU,
      whatever the schedule).

   SAFE OPTIMISATION (saferl_gp_safeopt_*)
      Constraint i is g_i(x) >= h_i, or g_i(x) <= h_i for costs (flag upper). Bounds are
      mean -+ beta sd; with intersect (default) they are intersected over time (SafeOpt's C_t,
      PLS's Lambda_N) and start at [h_i, inf) on the seed set; an empty intersection is a
      model violation (counted, the fresh interval is kept). The safe set is the seed set, and
      every candidate whose bounds certify every constraint (GP-only), or with a Lipschitz
      constant L every candidate within reach of a safe point: l_i(x) - L |x - x'| >= h_i.
      It only grows unless recompute_safe_set is set (befelix/SafeOpt recomputes).
      Maximisers: safe points with u_0 >= max over the safe set of l_0.
      Expanders, by expander_test:
         SAFERL_GP_EXPAND_ALL_SAFE   every safe point while some candidate is unsafe: the
                                     workable reading of PLS's L = 0 (their set formulas
                                     degenerate there); stage 1 is uncertainty sampling
         SAFERL_GP_EXPAND_GP         fantasy: x is an expander if observing the optimistic end
                                     of every constraint at x would certify some unsafe point
         SAFERL_GP_EXPAND_LIPSCHITZ  u_i(x) - L |x - x'| >= h_i for some unsafe x'
      Widths are scaled by sqrt(signal variance) * y_scale of their GP (befelix's 'auto').
      Rules:
         SAFERL_GP_SAFEOPT   argmax over expanders and maximisers of the largest scaled width
                             (objective and constraints)
         SAFERL_GP_STAGEOPT  stage 1: argmax over expanders of the largest constraint width,
                             until the widest expander is within stage_tolerance (zeta) or
                             stage1_steps are done; then stage 2 for ever: safe UCB
         SAFERL_GP_SAFE_UCB  argmax over the safe set of u_0
      and, beside them, constrained Bayesian optimisation (not safe exploration: these may
      evaluate where a constraint only probably holds). P(feasible) is, per GP, the normal
      probability that its function lies between its constraints' thresholds, multiplied
      over the GPs; "known feasible" is P(feasible) >= 1 - feasibility_delta (0 -> 0.05); the
      incumbent is the best objective posterior mean among known-feasible candidates:
         SAFERL_GP_CONSTRAINED_EI         argmax EI x P(feasible) (Gardner et al. 2014)
         SAFERL_GP_CHANCE_CONSTRAINED_EI  argmax EI over the known-feasible candidates
                                          (Gelbart, Snoek and Adams 2014)
      While nothing is known feasible there is no incumbent: both take the candidate most
      likely feasible (SAFERL_GP_CHOSE_FEASIBILITY), looking for a feasible region first.
      They need no seed set.
      Expander tests are pruned as befelix/SafeOpt does: candidates by decreasing width, the
      first confirmed one wins (full_sets tests them all, for pictures).
      beta multiplies sd (it is beta^1/2 of the papers); t = evaluations + 1, k = the number of
      constraints (1 without any), delta = desc.delta (0 -> 0.05). SAFE BY DEFAULT: the zero
      desc takes SAFERL_GP_BETA_GAUSSIAN_TAIL,
            beta_t = Q^-1(6 delta / (pi^2 t^2 |Z| k)),   Q(c) = P(N(0, 1) > c),
      which keeps every evaluation safe with probability at least 1 - delta when the model is
      right (f drawn from the GP prior with these hyperparameters, Gaussian noise of the
      model's variance). Why: given the data, f(x) ~ N(mean_{t-1}(x), sd_{t-1}(x)^2) at each
      fixed candidate and step, so P(f(x) < mean - beta_t sd) = Q(beta_t) exactly; the union
      over the |Z| candidates, the k constraints and the steps (sum of 6 / (pi^2 t^2) = 1) is
      at most delta. Only that pessimistic side certifies safety (the safe set reads l for a
      g >= h constraint, u for a cost); the optimistic side only steers expansion. This is
      Srinivas et al. 2010's Lemma 5.1 argument (the finite-set schedule SafeOpt and PLS
      use), with the exact one-sided tail where they bound the two-sided one by e^(-beta^2/2):
      beta 3.43 instead of 4.02 at |Z| = 100, t = 1, delta = 0.05; 5.63 instead of 6.09 at
      |Z| = 961, t = 60. The Lipschitz safe set needs, besides, a true Lipschitz constant.
      SAFERL_GP_BETA_PER_STEP_RISK, Q^-1(6 delta / (pi^2 t^2 k)), drops |Z|: the point x_t
      evaluated at step t is a function of the data so far, so given the data g(x_t) is
      normal with the posterior's mean and sd, and P(g(x_t) < h | data) <= Q(beta_t) / k per
      constraint when its fresh lower bound certifies it; summed over the steps, P(some
      evaluation is unsafe) <= delta (the per-step risk of Schreiter et al. 2015, "Safe
      exploration for active learning with Gaussian processes"). It holds only when every
      evaluated point is certified by the current posterior, so it requires no_intersection
      and recompute_safe_set (the seeds and, in saferl_gp_swarm, points evaluated before stay
      safe: re-evaluating adds no new risk). beta 1.87 at t = 1, 4.30 at t = 60 (delta 0.05).
      SAFERL_GP_BETA_FINITE_SET is Srinivas et al.'s, sqrt(2 log(|Z| t^2 pi^2 / (6 delta)))
      (PLS's alpha_j; saferl_gp_pls keeps it, the paper's). SAFERL_GP_BETA_CONSTANT (desc.beta,
      0 -> 2, befelix/SafeOpt's) and the callback carry no guarantee: with a heuristic beta
      the "provable" part does not hold (Fiedler et al. 2024); safety is then as good as luck
      (bench/run_gp.sh counts violations of each rule on prior-drawn functions).

   PLS (saferl_gp_pls_*), where the paper leaves room
      * L = 0: default SAFERL_GP_EXPAND_ALL_SAFE (GP-only safe set, uncertainty sampling in it);
        SAFERL_GP_EXPAND_GP is the principled alternative. Stage 1 widths: the cost GP's.
      * Lambda_0 = [0, b] on the seed set only (SafeOpt's convention), unbounded elsewhere:
        the literal reading (every z safe at start) would void the guarantee.
      * The seed is a set (a mask; the paper's tables give ranges), and must be non-empty.
      * beta: the paper's alpha_N with delta = 0.05 by default.
      * Observations are used as they come (y_offset/y_scale of the desc, fixed).
      * The GP prior (signal variance, lengthscales, y_offset/y_scale) is the caller's and stays
        fixed while deploying (the paper sets it by hand). To fit it, fit it before deployment
        on offline material only, never on deployment data: saferl_gp_normalize_from_data, then
        saferl_gp_fit with the noise fixed, on test-bench evaluations of the conditioned policy
        (examples/pls_loop.h, fit_prior: 32 targets drawn in the box the data's behaviour mixes
        span). The prior alone certifies every target whose G + mean + beta sd is <= b before
        the first evaluation, so count growth from there, not from the seed set. Measured,
        seeds 1-10: on the gridworld the fitted prior certifies 16 of 64 targets in 8 seeds (8
        in 2; hand-set: 8 in all 10) and the runs add none; PLS then spends 4.3 evaluations a
        run (max 8) on targets whose cost's 95% interval contains b, 0 on certainly unsafe ones:
        a few dozen points often fit a confident prior (cost sd 0.025-0.08 in 8 seeds) with a
        lengthscale at its bound. On the runner (a velocity-cost task) it certifies only the 6
        seed targets and the evaluations grow the set to 11-31 of 96, none truly unsafe (the
        paper's prior scaled by b certifies 32 before the first evaluation and adds none). A
        fitted prior is an assumption like a hand-set one, not a guarantee.

   MEMORY, THREADS, ERRORS
      Objects live in caller memory: *_memory_size(desc) + *_init(obj, desc, memory, size), or
      *_create / *_destroy through the desc's allocator (or SAFERL_MALLOC). Nothing else
      allocates; prediction, append, grid updates and safe-optimisation steps never do. No
      global state: different objects may be used from different threads at once (with BLIS,
      BLIS's own threading is yours to set: BLIS_NUM_THREADS). A function taking a const
      object only reads it: threads may call saferl_gp_predict_with_work (each with its own
      work), saferl_gp_predict_covariance, saferl_gp_kernel_value and the grid functions on
      one GP at once while nothing changes it (tests/tsan/gp_threads.c runs under
      ThreadSanitizer). saferl_gp_predict batches in the GP's own block, so it takes the GP
      non-const: one GP from several threads through it needs your lock.
      A saferl_gp_safeopt points at its GPs and a saferl_gp_pls at its own members: do not move
      them after init. Bad data returns a negative saferl_result and leaves the object as it
      was; NaN and infinities are rejected. Finite but huge inputs (|x|, |y| near 1e300) may
      still overflow inside the algebra; results stay within the documented codes.

   BITS
      The dispatched kernels (the dense loops, the solves) give the same bits as the
      portable and WebAssembly builds, and SafeOpt replays its recorded choices on every
      build.
      That needs every a * b + c in the code rounded twice, as written. A compiler allowed to
      contract it into one fused multiply-add does so wherever the target has FMA
      (-march=x86-64-v3, -march=native): gcc in GNU modes (-std=gnu99, -ffp-contract=fast by
      default) and clang >= 14 (on by default). So the implementation turns contraction off
      for its own code (#pragma clang fp contract(off) or GCC optimize("fp-contract=off"),
      pushed before it and popped after it: code after the #include keeps its own setting;
      MSVC 2022 does not contract under its default /fp:precise; WebAssembly has no fused
      multiply-add). clang can push the setting only on x86: on other targets (ARM64) it
      keeps the build's, so build with -ffp-contract=off there for the same bits. The fused
      solve of saferl_gp_predict's variances keeps its explicit FMA instructions. clang's
      -ffp-contract=fast ignores every pragma by its definition: use on or fast-honor-pragmas.
      tests/run.sh runs the bit tests built with -march=x86-64-v3 under gcc -std=gnu99 and
      clang -std=c99.

   REVISION HISTORY
      0.4.20 (2026-12-08) same bits: under clang the AVX2 copies (the fused variance solve's
                          included) are tuned for x86-64-v3; clang 14's generic tuning split
                          every 256-bit load and store of unknown alignment in halves, and its
                          AVX2 fit + predict took 1.10-1.27x GCC's time (now 0.94-1.04x; n =
                          25-200, the AVX2 copies forced on a Zen 5). The AVX-512 copies keep
                          the build's tuning
      0.4.19 (2026-12-07) SAFERL_USE_BLIS puts only GPs of SAFERL_GP_BLIS_FROM points or more
                          (default 1024) on BLIS; smaller ones factor, solve and predict with
                          this header's own kernels, the portable build's bits. At n = 25-200
                          BLIS's trsm ran at 2.7-31 GFLOP/s where the own tiles ran at 79-114,
                          so that the BLIS build's fit + predict took 2.8-9.7 times the
                          portable build's there (Zen 5, one thread, bench/run_gp.sh). Same
                          bits: clang builds leave out predict's pipelined AVX-512 block
                          (SAFERL_GP__PIPELINED), which clang 14 compiles with accumulators
                          on the stack: its fit + predict 10-43% less time at n = 25-200.
      0.4.18 (2026-12-07) same bits: a build whose target has AVX2 (-march=x86-64-v3, native;
                          no dispatch there) runs the AVX2 exp row too, where it ran GCC's
                          vectorised scalar code: the exp alone 21-25% less, predict 3-11%
                          less at n = 25-100 (Zen 3, gcc 12 -O3 -march=x86-64-v3), level with
                          the dispatching build.
      0.4.17 (2026-12-07) same bits: the AVX2 copies' exp is written for AVX2 as the AVX-512
                          one is (saferl_gp__exp_row_avx2: no clamp, a mask); its table lookup
                          reads the indices back from memory with integer loads instead of
                          GCC 12's vector-to-integer moves (6 vector operations fewer per 4
                          values). The exp alone on Zen 3 (bench/gp_phases.c): 1.22-1.25 ->
                          1.00-1.05 ns a value built with gcc 12, 1.74-1.84 -> 1.30-1.32 with
                          clang 14. The range reduction is written once for the scalar, AVX2
                          and AVX-512 code (SAFERL_GP__EXP_REDUCE), as the tail already was.
      0.4.16 (2026-12-07) new bits (the same on every dispatch path): the kernel scales each
                          coordinate before the difference, as scikit-learn's cdist(X / l,
                          Y / l): gp->input_scale (RBF 1 / (l sqrt2), the -1/2 folded in;
                          Matern 1 / l) and the training points stored scaled (gp->x_scaled,
                          capacity x dim more doubles of caller memory), queries scaled once a
                          block. Per 8 kernel values the AVX-512 predict issues 15 multiplies
                          besides the solve's n / 2 FMAs, 18 before (the -1/2 and the 2
                          per-pair scale multiplies at d = 2 gone). Kernel values against
                          0.4.15's on 300 seeded random GPs (3 kernels, d 1-5, ARD, 8.4e5
                          pairs): where r^2 <= 13.8 at most 67 ulps apart (RBF; Matern 23),
                          and both versions within 0.38 of 8 eps + 4 eps r^2 max_k (|x_k| +
                          |x'_k|) / |x_k - x'_k| of a long double reference everywhere. The
                          SafeOpt fingerprint re-recorded (19 of 144 configurations meet a
                          mirror-image tie, tests/test_gp.c).
      0.4.15 (2026-12-06) same bits (a hash of factors, alpha, w, means and variances of 400
                          random GPs, three kernels, n 1-210, d 1-5, then a remove and an add,
                          equal to 0.4.14's under five gcc and clang builds): the fit's kernel
                          matrix is computed in blocks of the factor's rows, each from the
                          block's first point on, so the rows above a block hold its rows left of
                          it, transposed (k(a, b) and k(b, a) have the same bits), and the
                          blocked Cholesky solves each panel in place there (no first
                          transpose); the other transpose in AVX2 shuffles; predict's AVX-512
                          distances start at their first squares. Fit + predict, idle
                          (bench/gp_ab.c, both orders, three rounds, load 0.3-0.5): 0.985x at
                          n = 100, 0.990x at n = 50 (|Z| = 10^3); the fit alone 0.96-0.98x.
      0.4.14 (2026-12-06) same bits (every path, every input; 2e8 points of [-708, 0] and the
                          kernel rows' tests): the AVX-512 exp issues 4 fewer vector operations
                          per 8 values: no clamp in its reduction (a mask of the lanes >= -708
                          zeroes the last multiply instead of k's bits), and a table of T[i]'s
                          bits less i << 48, so 2^(k >> 4) is added without a mask (the scalar
                          code uses that table too: one and fewer in the AVX2 copy). The RBF
                          row alone 0.369-0.376 -> 0.330-0.337 ns a value (0.89-0.90x, AVX2
                          copy 0.98x); fit + predict (bench/gp_ab.c, both orders, three rounds,
                          load 2.9-3.5) 0.93x at n = 50, 0.98x at n = 100, 0.90x at n = 25,
                          1.00x at n = 200; the Matern rows level (0.99-1.01x).
      0.4.13 (2026-12-06) new bits where n >= 32 (the same on every path; below 32 the factor
                          is unblocked, as before): the blocked Cholesky updates each 16-row
                          diagonal block from the rows left of it as a matrix product in
                          register tiles (saferl_gp__cholesky_update_block) and factors the
                          block alone, where its rows took dot products as long as the row;
                          its two transposes go in 4 x 4 blocks. set_data at n = 50 5.6 ->
                          4.8-5.2 us, 100 18.8-18.9 -> 14.9-15.8, 200 78-80 -> 63-64
                          (bench/gp_phases.c, fastest of 2000, three pairs, load 1.4-1.7);
                          backward error on RBF kernel matrices (cond 7e5 to 1e10, n 37-200)
                          0.07-0.15 of Higham's bound (0.08-0.15 before), |LL^T - A| / |A|
                          1.2-3.3e-16 (LAPACK's dpotrf 0.7-1.7e-16).
      0.4.12 (2026-12-06) same bits: compiles under g++ 12 with -O1 and above and -Werror; the
                          AVX-512 exp's shift is the zero-masked form with every lane on
                          (vpsllq as before), since g++ 12 warned (-Wmaybe-uninitialized)
                          inside the unmasked intrinsic (GCC bug 105593). tests/run.sh now
                          compiles every header alone as C++11 at -O2.
      0.4.11 (2026-12-06) same bits: saferl_gp_predict on a CPU with AVX-512 and FMA (RBF
                          kernel, the dispatching build) computes each 6-row group's kernel
                          values, exp and mean terms inside the variance solve's k loops of
                          the group before it (a row every max(4, i / 7) k steps, pipelined
                          one row deep), not in a pass of their own. Means, variances and
                          factors of 120 random GPs (n up to 200, d 1-6) hash alike. Old and
                          new in one process, alternating call by call, both slot orders,
                          three rounds (load 3.4-3.8 on 2 cores): fit + predict n = 100
                          -1.6% (|Z| = 10^3) and -2.1% (10^4), n = 50 -0.8% and -0.7%;
                          predict n = 37 to 200 -1.1% to -2.4%.
      0.4.10 (2026-12-06) same bits: the unblocked Cholesky rows go eight at a time (four
                          before), as one routine for groups of 8, 4, 2 and 1 rows; the factor
                          at n = 25 1.30 -> 1.05 us, n = 50 2.99 -> 2.83 us (fastest of 2000,
                          load 2), unchanged at n = 100 and 200; fit + predict at n = 100 is
                          not measurably faster (180.5 -> 180.1 us, |Z| = 10^3).
      0.4.9 (2026-12-06)  new bits in the kernel values (the same on every dispatch path): the
                          exp is Tang's table-driven method (x = k ln2 / 16 + r, a table of
                          2^(i/16), a degree-6 minimax polynomial on |r| <= ln2 / 32) in place
                          of the degree-11 polynomial on |r| <= ln2 / 2: 8 multiplies and 6
                          adds after the reduction instead of 14 and 11, the table looked up
                          by one AVX-512 permute in the AVX-512 copies. Max relative error
                          against libm's exp on 2 10^8 points of [-708, 0]: 2.22e-16 (1 ulp;
                          4.33e-16 before). The exp alone 0.446 -> 0.39 ns a value (AVX-512,
                          load 7); fit + predict at n = 100, |Z| = 10^3 about 4% faster. The
                          SafeOpt fingerprint re-recorded (16 ties between candidates whose
                          widths agree to 13-15 digits break the other way). GCC 12 builds
                          bench/gp_phases.c with -Werror (the multi-column solve's last tile
                          boundary written so that it sees the bound).
      0.4.8 (2026-12-06)  saferl_gp_predict pads a block of queries that is not a whole number
                          of the solve's tiles wide (2 or more columns left over) with zero
                          columns, so the solve runs whole tiles; the same bits (each query's
                          mean and variance are those it gets alone: a new test). n = 100:
                          predict of 1000 queries ~7 us faster (the last block of 40: 15.4 ->
                          8.3 us), of 10 queries 12.7 -> 4.2 us; fit + predict at n = 100,
                          |Z| = 10^3 189.7 -> 176.9 us (fastest of 1000, load 5-6). The
                          mean k^T alpha is added inside the kernel rows, four rows at a time
                          while they are in the L1 cache, not in a second pass over the block
                          (the same sums in the same order: the same bits; about 1%).
      0.4.7 (2026-12-06)  the portable Cholesky's first row block takes the n % 16 rows left
                          over (unblocked) besides its 16, so every solved block is 16 wide
                          (before, the last one was narrower and the slowest). Bits change
                          where n > 16 is not a multiple of 16 (those rows' entries are now
                          dot products and divisions, not the tiled solve's sums and
                          reciprocal); the same bits on every path. Cholesky at n = 100
                          15.2 -> 11.2 us, 181 58 -> 42 (fastest of 3000, load 9-10).
                          tests/test_gp.c builds and passes with SAFERL_USE_BLIS
      0.4.6 (2026-12-05)  an AVX-512 copy of the unfused multi-right-hand-side solve (the
                          blocked factor's off-diagonal rows, the grids' recompute):
                          16-column tiles, then an 8-column one for the rest; the factor's
                          unblocked rows go four at a time (four chains of divisions). The
                          same operations per entry in the same order: the same bits on
                          every path. saferl_gp_set_data at n = 25 2.42 -> 2.16 us, 50
                          6.8 -> 6.3, 200 100 -> 82 (fastest of 2000, load 6-9)
      0.4.5 (2026-12-05)  AVX-512 copies of the dispatched loops (kernel rows and their exp,
                          rows added for means and grids, the backward substitution, the
                          safe-step bounds and widths) and of the predictions' fused
                          variance solve (16-column tiles), picked at run time on CPUs with
                          AVX-512; the same bits as before on every path. Where the FP
                          pipes are 512 bits wide, predict at |Z| = 10^4: 0.415 -> 0.251 ms
                          at n = 25, 2.86 -> 1.53 at 100, 9.05 -> 4.76 at 200
                          (bench/gp_phases.c, load 28). The Cholesky's rows and the forward
                          substitution keep their SSE and AVX2 copies only (slower in
                          AVX-512)
      0.4.4 (2026-12-05)  the factor's unblocked rows go two at a time (two chains of
                          divisions side by side) and its kernel matrix 16 rows a call, the
                          same operations per entry and the same bits: set_data 0.0039 ->
                          0.0028 ms at n = 25, 0.0109 -> 0.0079 at 50, 0.0367 -> 0.0295 at
                          100, 0.138 -> 0.116 at 200
      0.4.3 (2026-12-05)  the bits hold under -march=x86-64-v3 and -march=native too: no
                          contraction into fused multiply-adds in the header's code (BITS)
      0.4.2 (2026-12-05)  the kernel's exp is a degree-11 minimax polynomial (was Taylor's
                          degree 13): 0.94 against 1.04 ns a value, one thread, the same
                          accuracy (4.33e-16 against libm's exp). Its last bits break 15
                          exact ties in the recorded SafeOpt choices the other way
                          (mirror-image candidates of equal width, either right by the
                          paper's argmax); every other choice is unchanged, and
                          tests/test_gp.c holds the re-recorded fingerprint
      0.4.1 (2026-12-05)  saferl_gp_predict's variance solve runs fused (explicit FMA) on
                          CPUs with AVX2 and FMA: its variances differ from the SSE and
                          WebAssembly copies by rounding there (the factor, grids and safe
                          optimisers keep the unfused solve and their bits); the kernel's exp
                          takes -|x| by one sign-bit OR (same bits); the PLS notes separate
                          what the prior certifies before the first evaluation from growth
      0.4.0 (2026-12-04)  safe by default: the zero desc's beta is SAFERL_GP_BETA_GAUSSIAN_TAIL
                          (the finite-set union bound, exact one-sided tail; the constant is
                          SAFERL_GP_BETA_CONSTANT, now 3, by name); saferl_gp_predict takes a
                          non-const GP, saferl_gp_predict_with_work is the const, thread-safe
                          one; scales must be normal doubles and overflowing targets,
                          posteriors and likelihoods are refused (SAFERL_ERR_NOT_FINITE);
                          safeopt_observe refuses differing values for one GP;
                          saferl_gp_safeopt_next split into the paper's sets (choices
                          bit-identical); constrained-EI rules and their closed forms;
                          saferl_gp_swarm_* for continuous boxes; the portable Cholesky
                          blocked by 16 rows on the tiled solve (same results to rounding;
                          up to 16 points the factor's bits are 0.3.0's)
      0.3.0 (2026-11-22)  runtime AVX2 dispatch of the hot loops in the portable build (no
                          FMA: bit-identical to the SSE code; SAFERL_NO_DISPATCH turns it
                          off); kernel rows from points copied by dimension, the exp in two
                          passes, vectorised sqrt for the Matern kernels and the bounds; the
                          solve's tiles 6 rows high, its leftover rows first, its divisions by
                          L's diagonal as multiplications by the reciprocal (as BLAS trsm);
                          means, grid rows and fantasy rows add four rows a pass; same
                          results to rounding
      0.2.0 (2026-11-21)  faster prediction and grid recomputes: register-tiled solve of many
                          right-hand sides with the variance sums fused, vectorisable kernel
                          exp, BLIS predict in one wide trsm; same results to rounding
      0.1.0 (2026-11-21)  first release
*/
#ifndef SAFERL_GP_H
#define SAFERL_GP_H

#define SAFERL_GP_VERSION_MAJOR 0
#define SAFERL_GP_VERSION_MINOR 4
#define SAFERL_GP_VERSION_PATCH 20
#define SAFERL_GP_VERSION_STRING "0.4.20"

#if defined(SAFERL_IMPLEMENTATION) && !defined(SAFERL_GP_IMPLEMENTATION)
#define SAFERL_GP_IMPLEMENTATION
#endif

#ifndef SAFERL_GP_API
#  if defined(SAFERL_GP_STATIC) && (defined(__GNUC__) || defined(__clang__))
#    define SAFERL_GP_API static __attribute__((unused)) /* no warning for what you don't call */
#  elif defined(SAFERL_GP_STATIC)
#    define SAFERL_GP_API static
#  else
#    define SAFERL_GP_API extern
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

/* ---- GP regression ----------------------------------------------------------------------- */

typedef enum saferl_gp_kernel {
    SAFERL_GP_RBF = 0,       /* squared exponential */
    SAFERL_GP_MATERN32 = 1,
    SAFERL_GP_MATERN52 = 2
} saferl_gp_kernel;

typedef struct saferl_gp_desc {
    uint32_t dim;              /* input dimension d >= 1 */
    uint32_t capacity;         /* most points the model holds (fixed memory); 0 -> 128 */
    saferl_gp_kernel kernel;   /* 0 -> RBF */
    int ard;                   /* 1: one lengthscale per input dimension; 0: one for all */
    const double *lengthscale; /* ard ? dim values : 1 value, > 0; NULL -> 1.0 */
    double signal_variance;    /* s2 > 0; 0 -> 1 */
    double noise_variance;     /* >= 0, in normalised units; 0 -> 1e-10 (scikit-learn's alpha) */
    double y_offset;           /* constant prior mean; 0 -> 0 */
    double y_scale;            /* fixed output scale > 0; 0 -> 1 */
    saferl_allocator allocator;/* for saferl_gp_create; zero -> SAFERL_MALLOC */
} saferl_gp_desc;

typedef struct saferl_gp {
    uint32_t dim, capacity, count;  /* count: points held */
    uint32_t lengthscale_count;     /* 1, or dim with ard */
    saferl_gp_kernel kernel;
    double signal_variance, noise_variance;
    double jitter;                  /* added to the diagonal beyond the noise (see the notes) */
    double y_offset, y_scale;
    double *lengthscale;            /* lengthscale_count values */
    double *inverse_lengthscale;    /* dim values: 1 / l per input dimension */
    double *input_scale;            /* dim values: RBF 1 / (l sqrt 2), Matern 1 / l (see the notes) */
    double *x;                      /* count rows of dim */
    double *x_scaled;               /* count rows of dim: x times input_scale, kept current */
    double *y;                      /* count raw targets */
    double *cholesky;               /* L, lower, row-major with stride capacity */
    double *spare;                  /* capacity^2 scratch: trial factors, A^-1, BLIS predict */
    double *alpha;                  /* A^-1 (y - m) in normalised units */
    double *whitened;               /* w = L^-1 (y - m) */
    double *scratch;                /* 3 capacity + SAFERL_GP_BLOCK */
    double *block;                  /* SAFERL_GP_BLOCK x capacity: batched queries (on BLIS: spare) */
    uint32_t factor_epoch;          /* bumped whenever L is rebuilt (not by appends) */
    void *owned_memory;
    saferl_allocator allocator;
} saferl_gp;

#define SAFERL_GP_BLOCK 64 /* queries per batch in prediction */

SAFERL_GP_API saferl_gp_desc saferl_gp_desc_defaults(const saferl_gp_desc *desc);
SAFERL_GP_API size_t saferl_gp_memory_size(const saferl_gp_desc *desc);
SAFERL_GP_API saferl_result saferl_gp_init(saferl_gp *gp, const saferl_gp_desc *desc, void *memory,
                                           size_t memory_size);
SAFERL_GP_API saferl_result saferl_gp_create(saferl_gp *gp, const saferl_gp_desc *desc);
SAFERL_GP_API void saferl_gp_destroy(saferl_gp *gp);

/* Replaces every point (n <= capacity, n may be 0) and factors. */
SAFERL_GP_API saferl_result saferl_gp_set_data(saferl_gp *gp, const double *x, const double *y, uint32_t n);
/* Adds one point with the O(n^2) append. SAFERL_ERR_BUFFER_TOO_SMALL when full. */
SAFERL_GP_API saferl_result saferl_gp_add(saferl_gp *gp, const double *x, double y);
/* Removes the last point (O(1): its row of L drops off) or any point (refactors). */
SAFERL_GP_API saferl_result saferl_gp_remove_last(saferl_gp *gp);
SAFERL_GP_API saferl_result saferl_gp_remove(saferl_gp *gp, uint32_t index);
/* Factors again from scratch (jitter restarts from 0). */
SAFERL_GP_API saferl_result saferl_gp_refit(saferl_gp *gp);
/* Hyperparameters in natural units; lengthscale has lengthscale_count values. Refactors. */
SAFERL_GP_API saferl_result saferl_gp_set_hyperparameters(saferl_gp *gp, double signal_variance,
                                                          const double *lengthscale, double noise_variance);
/* theta = (log s2, log l_1 .. log l_p, log noise): parameter_count = lengthscale_count + 2. */
SAFERL_GP_API uint32_t saferl_gp_parameter_count(const saferl_gp *gp);
SAFERL_GP_API void saferl_gp_get_log_parameters(const saferl_gp *gp, double *theta);
SAFERL_GP_API saferl_result saferl_gp_set_log_parameters(saferl_gp *gp, const double *theta);
/* y_offset = mean(y), y_scale = std(y) (ddof 0; 0 -> 1), as scikit-learn's normalize_y; refactors. */
SAFERL_GP_API saferl_result saferl_gp_normalize_from_data(saferl_gp *gp);
SAFERL_GP_API saferl_result saferl_gp_set_normalization(saferl_gp *gp, double y_offset, double y_scale);

/* The kernel k(a, b) in normalised units (no noise). */
SAFERL_GP_API double saferl_gp_kernel_value(const saferl_gp *gp, const double *a, const double *b);
/* Posterior of the latent f at m query rows, in raw units; var may be NULL. Never allocates.
   Batches the queries in the GP's own block, so it writes the GP: one GP from several
   threads needs saferl_gp_predict_with_work. SAFERL_ERR_NOT_FINITE for a NaN/inf query, or
   when a mean or variance overflowed (mean and var then hold no meaning). */
SAFERL_GP_API saferl_result saferl_gp_predict(saferl_gp *gp, const double *x, uint32_t m, double *mean, double *var);
/* The same with the caller's work (work_count doubles; saferl_gp_predict_work_count(gp) is
   one full batch, any n = count doubles or more work in narrower batches; a GP on BLIS
   takes more, as wider batches). Writes only mean, var and work: threads may predict from
   one GP at once, each with its own work, while nothing changes the GP. */
SAFERL_GP_API size_t saferl_gp_predict_work_count(const saferl_gp *gp);
SAFERL_GP_API saferl_result saferl_gp_predict_with_work(const saferl_gp *gp, const double *x, uint32_t m, double *mean,
                                                        double *var, double *work, size_t work_count);
/* Full m x m posterior covariance (row-major); work holds m * count doubles. */
SAFERL_GP_API saferl_result saferl_gp_predict_covariance(const saferl_gp *gp, const double *x, uint32_t m,
                                                         double *mean, double *covariance,
                                                         double *work, size_t work_count);
/* log p(y | theta) of the normalised targets; with gradient (parameter_count values, d/d theta).
   The gradient uses gp->spare as scratch (so it is not const), the model is unchanged. */
SAFERL_GP_API saferl_result saferl_gp_log_marginal_likelihood(const saferl_gp *gp, double *lml);
SAFERL_GP_API saferl_result saferl_gp_log_marginal_likelihood_gradient(saferl_gp *gp, double *lml,
                                                                       double *gradient);

typedef struct saferl_gp_fit_desc {
    uint32_t restarts;         /* starts drawn log-uniformly in the bounds besides the current
                                  parameters; 0 -> none */
    uint32_t seed;
    uint32_t max_iterations;   /* Rprop iterations per start; 0 -> 300 */
    double signal_bounds[2];   /* natural units; {0, 0} -> {1e-5, 1e5} (scikit-learn's) */
    double lengthscale_bounds[2];
    double noise_bounds[2];
    int fix_signal, fix_noise; /* 1: keep that parameter */
    const double *starts;      /* optional: start_count vectors of log parameters, used instead
                                  of the current one and the random restarts */
    uint32_t start_count;
} saferl_gp_fit_desc;

typedef struct saferl_gp_fit_report {
    double log_marginal_likelihood; /* at the result */
    uint32_t starts, evaluations, best_start;
    uint32_t failed_starts;         /* starts where every evaluation failed */
} saferl_gp_fit_report;

/* Maximises the log marginal likelihood; on success the model holds the best parameters
   (factored). Uses gp->cholesky and gp->spare as scratch; on failure restores the model. */
SAFERL_GP_API saferl_result saferl_gp_fit(saferl_gp *gp, const saferl_gp_fit_desc *desc,
                                          saferl_gp_fit_report *report);

/* ---- candidate grids ---------------------------------------------------------------------- */

typedef struct saferl_gp_grid {
    const double *points;      /* count rows of dim (the caller's; kept) */
    uint32_t count, dim, capacity;
    double *projection;        /* V = L^-1 K(X, Z): rows 0..data_count-1 of count values */
    double *mean, *var;        /* raw units, latent f */
    double *row;               /* count values of scratch */
    uint32_t data_count, epoch;/* the GP state the grid reflects */
    uint64_t full_updates, rank1_updates;
} saferl_gp_grid;

/* Memory for a grid of count points on a GP of the given capacity. */
SAFERL_GP_API size_t saferl_gp_grid_memory_size(uint32_t count, uint32_t capacity);
SAFERL_GP_API saferl_result saferl_gp_grid_init(saferl_gp_grid *grid, const saferl_gp *gp,
                                                const double *points, uint32_t count, void *memory,
                                                size_t memory_size);
/* Brings the grid up to the GP: O(n |Z|) after one saferl_gp_add, a full recompute otherwise. */
SAFERL_GP_API saferl_result saferl_gp_grid_update(saferl_gp_grid *grid, const saferl_gp *gp);
SAFERL_GP_API saferl_result saferl_gp_grid_recompute(saferl_gp_grid *grid, const saferl_gp *gp);
/* Cov(z_j, z) for every grid point z, raw units, into out (count values). O(n |Z|). */
SAFERL_GP_API saferl_result saferl_gp_grid_covariance_row(const saferl_gp_grid *grid, const saferl_gp *gp,
                                                          uint32_t j, double *out);

/* ---- safe optimisation --------------------------------------------------------------------- */

typedef enum saferl_gp_safe_rule {
    SAFERL_GP_SAFEOPT = 0,
    SAFERL_GP_STAGEOPT = 1,
    SAFERL_GP_SAFE_UCB = 2,
    /* constrained BO, not safe exploration: they may evaluate outside the safe set */
    SAFERL_GP_CONSTRAINED_EI = 3,        /* argmax EI x P(feasible) (Gardner et al. 2014) */
    SAFERL_GP_CHANCE_CONSTRAINED_EI = 4  /* argmax EI over P(feasible) >= 1 - feasibility_delta
                                            (Gelbart et al. 2014's probabilistic constraints) */
} saferl_gp_safe_rule;

typedef enum saferl_gp_expander_test {
    SAFERL_GP_EXPAND_ALL_SAFE = 0,
    SAFERL_GP_EXPAND_GP = 1,
    SAFERL_GP_EXPAND_LIPSCHITZ = 2
} saferl_gp_expander_test;

/* How beta (the multiple of sd in the bounds) is chosen; see SAFE OPTIMISATION in the notes. */
typedef enum saferl_gp_beta_rule {
    SAFERL_GP_BETA_GAUSSIAN_TAIL = 0, /* the default: Q^-1(6 delta / (pi^2 t^2 |Z| k)), one-sided
                                         Gaussian tail; the theory's guarantee, tighter */
    SAFERL_GP_BETA_FINITE_SET = 1,    /* sqrt(2 log(|Z| t^2 pi^2 / (6 delta))) (Srinivas; PLS) */
    SAFERL_GP_BETA_CALLBACK = 2,
    SAFERL_GP_BETA_CONSTANT = 3,      /* the heuristic: desc.beta (befelix/SafeOpt's 2); no
                                         guarantee (it was the zero value before 0.4) */
    SAFERL_GP_BETA_PER_STEP_RISK = 4  /* Q^-1(6 delta / (pi^2 t^2 k)): the same guarantee
                                         without |Z|, for fresh bounds and safe sets only
                                         (no_intersection and recompute_safe_set set) */
} saferl_gp_beta_rule;

typedef struct saferl_gp_constraint {
    saferl_gp *gp;
    double threshold;
    int upper;                 /* 1: g(x) <= threshold (a cost); 0: g(x) >= threshold */
} saferl_gp_constraint;

typedef struct saferl_gp_safeopt_desc {
    const double *candidates;  /* candidate_count rows of the GPs' dim; kept */
    uint32_t candidate_count;
    saferl_gp *objective;      /* required; may also appear as a constraint */
    const saferl_gp_constraint *constraints; /* copied */
    uint32_t constraint_count; /* 0 .. SAFERL_GP_MAX_CONSTRAINTS */
    const unsigned char *seed_set; /* candidate_count flags, known safe; at least one set */
    saferl_gp_safe_rule rule;
    saferl_gp_expander_test expander_test;
    double lipschitz;          /* for SAFERL_GP_EXPAND_LIPSCHITZ, > 0 */
    saferl_gp_beta_rule beta_rule; /* 0 -> SAFERL_GP_BETA_GAUSSIAN_TAIL (safe with prob. 1 - delta) */
    double beta;               /* SAFERL_GP_BETA_CONSTANT's; 0 -> 2 */
    double delta;              /* the schedules' failure probability, in (0, 1); 0 -> 0.05 */
    double (*beta_callback)(uint32_t t, void *user_data);
    void *beta_user_data;
    int no_intersection;       /* 1: bounds recomputed each step (befelix) instead of intersected */
    int recompute_safe_set;    /* 1: the safe set may shrink (befelix); 0: only grows */
    double stage_tolerance;    /* StageOpt's zeta on scaled widths; 0 -> 0.1 */
    uint32_t stage1_steps;     /* StageOpt's T_0; 0 -> no limit */
    uint32_t max_expander_tests; /* per step for SAFERL_GP_EXPAND_GP; 0 -> no limit */
    int full_sets;             /* 1: test every expander candidate (for pictures) */
    double feasibility_delta;  /* the constrained-EI rules: "known feasible" is P(every
                                  constraint holds) >= 1 - feasibility_delta; 0 -> 0.05 */
    saferl_allocator allocator;
} saferl_gp_safeopt_desc;

#define SAFERL_GP_MAX_CONSTRAINTS 8

typedef enum saferl_gp_choice {
    SAFERL_GP_CHOSE_EXPANDER = 0,  /* widest expander */
    SAFERL_GP_CHOSE_MAXIMIZER = 1, /* widest maximiser */
    SAFERL_GP_CHOSE_UCB = 2,       /* largest upper bound of the objective in the safe set */
    SAFERL_GP_CHOSE_SAFE_WIDEST = 3,/* no expander and no maximiser left: widest safe point */
    SAFERL_GP_CHOSE_EXPECTED_IMPROVEMENT = 4, /* the constrained-EI rules' choice */
    SAFERL_GP_CHOSE_FEASIBILITY = 5 /* no candidate known feasible yet: the most likely one */
} saferl_gp_choice;

typedef struct saferl_gp_safeopt_step {
    uint32_t index;            /* the candidate to evaluate next */
    saferl_gp_choice choice;
    int stage;                 /* StageOpt: 1 or 2; others 0 */
    double beta;
    double width;              /* scaled width that decided (0 for UCB) */
    double objective_upper;    /* u_0 at the choice */
    uint32_t safe_count, maximizer_count, expander_count, expander_tests;
    uint32_t model_violations; /* empty interval intersections at this step */
    double acquisition;        /* the constrained-EI rules: the value that decided */
    double feasibility;        /* the constrained-EI rules: P(feasible) at the choice */
} saferl_gp_safeopt_step;

/* Set flags per candidate: bit SAFE, MAXIMIZER, EXPANDER (confirmed), TESTED (expander test run). */
#define SAFERL_GP_SAFE 1u
#define SAFERL_GP_MAXIMIZER 2u
#define SAFERL_GP_EXPANDER 4u
#define SAFERL_GP_TESTED 8u

typedef struct saferl_gp_safeopt {
    saferl_gp_safeopt_desc desc;      /* defaults filled in */
    saferl_gp_constraint constraint[SAFERL_GP_MAX_CONSTRAINTS];
    saferl_gp *model[1 + SAFERL_GP_MAX_CONSTRAINTS]; /* distinct GPs */
    uint32_t model_count;
    uint32_t constraint_model[SAFERL_GP_MAX_CONSTRAINTS]; /* index into model[] */
    saferl_gp_grid grid[1 + SAFERL_GP_MAX_CONSTRAINTS];
    double *lower, *upper;     /* (1 + constraint_count) x candidate_count: objective first,
                                  then each constraint, in the constraint's own units */
    unsigned char *flags;      /* candidate_count */
    double *width;             /* candidate_count: the deciding scaled width */
    double *fantasy;           /* constraint_count x candidate_count: covariance rows */
    double *feasibility;       /* candidate_count: P(every constraint holds) (constrained EI) */
    uint32_t *order;           /* candidate_count: expander candidates by width */
    uint32_t evaluations, stage, stage1_done;
    uint32_t last_index;
    uint64_t model_violations;
    void *owned_memory;
} saferl_gp_safeopt;

SAFERL_GP_API size_t saferl_gp_safeopt_memory_size(const saferl_gp_safeopt_desc *desc);
SAFERL_GP_API saferl_result saferl_gp_safeopt_init(saferl_gp_safeopt *opt, const saferl_gp_safeopt_desc *desc,
                                                   void *memory, size_t memory_size);
SAFERL_GP_API saferl_result saferl_gp_safeopt_create(saferl_gp_safeopt *opt, const saferl_gp_safeopt_desc *desc);
SAFERL_GP_API void saferl_gp_safeopt_destroy(saferl_gp_safeopt *opt);
/* Computes bounds and sets, and the next candidate. Never allocates. */
SAFERL_GP_API saferl_result saferl_gp_safeopt_next(saferl_gp_safeopt *opt, saferl_gp_safeopt_step *step);
/* Adds the evaluation of candidate index to every GP (constraint_values in constraint order)
   and updates the grids in O(n |Z|). Bad values change nothing. A GP that is the objective
   and a constraint (SafeOpt's f(x) >= h), or two constraints, models one function: the values
   given for it must be equal, or SAFERL_ERR_INVALID_ARGUMENT. */
SAFERL_GP_API saferl_result saferl_gp_safeopt_observe(saferl_gp_safeopt *opt, uint32_t index,
                                                      double objective_value, const double *constraint_values);
/* The candidate with the best lower bound of the objective among the safe ones. */
SAFERL_GP_API uint32_t saferl_gp_safeopt_best(const saferl_gp_safeopt *opt);
/* The beta the next step uses. */
SAFERL_GP_API double saferl_gp_safeopt_beta(const saferl_gp_safeopt *opt);

/* Closed forms of constrained Bayesian optimisation, for f ~ N(mean, var) (raw units).
   P(lower <= f <= upper); either end may be infinite; var 0: 1 inside, 0 outside. */
SAFERL_GP_API double saferl_gp_probability_between(double mean, double var, double lower, double upper);
/* E[max(f - best, 0)] = (mean - best) Phi(u) + sd phi(u), u = (mean - best) / sd (maximising);
   var 0: max(mean - best, 0). */
SAFERL_GP_API double saferl_gp_expected_improvement(double mean, double var, double best);

/* ---- continuous domains ------------------------------------------------------------------- */
/* Safe optimisation in a box of dimension up to ~10, where no grid fits (7^8 points already
   take 5.7 M): SafeOptSwarm's idea (Duivenvoorden et al. 2017) of looking for maximisers and
   expanders only near the safe set, done by sampling. Every step draws `samples` points around
   the known-safe points (the seeds and every evaluation so far) at radii from 1/20 to 2
   lengthscales, snapped to a lattice of `lattice` points per dimension, and runs the grid
   version's step on them plus the known-safe points: the same bounds, safety test, sets and
   choice, with the known-safe points as the seed set (so the safe set only grows). beta is the
   grid version's schedule with |Z| = lattice^d: every point evaluated, the seeds aside, is a
   lattice point, so the finite-set union bound holds over the lattice without enumerating
   it (d = 8, lattice 1024: |Z| = 1.2e24, beta_1 = 10.55 at delta 0.05, against 4.21 for a
   7^4 grid; SAFERL_GP_BETA_PER_STEP_RISK drops |Z| altogether). */
typedef struct saferl_gp_swarm_desc {
    saferl_gp *objective;      /* required; may also appear as a constraint */
    const saferl_gp_constraint *constraints; /* copied */
    uint32_t constraint_count; /* 0 .. SAFERL_GP_MAX_CONSTRAINTS */
    const double *lower, *upper; /* the box: dim values each, lower < upper */
    const double *seeds;       /* seed_count known-safe points (rows of dim), inside the box */
    uint32_t seed_count;       /* at least 1 */
    uint32_t samples;          /* points drawn per step; 0 -> 1000 */
    uint32_t lattice;          /* points per dimension, >= 2; 0 -> 1024 */
    saferl_gp_safe_rule rule;  /* SafeOpt, StageOpt or safe UCB (0: SafeOpt) */
    saferl_gp_expander_test expander_test; /* as the grid version's (0: every safe point) */
    double lipschitz;          /* for SAFERL_GP_EXPAND_LIPSCHITZ, > 0 */
    saferl_gp_beta_rule beta_rule; /* 0 -> SAFERL_GP_BETA_GAUSSIAN_TAIL over the lattice; not
                                      the callback */
    double beta, delta;        /* as the grid version's: 0 -> 2, 0 -> 0.05 */
    double stage_tolerance;    /* StageOpt's zeta; 0 -> 0.1 */
    uint32_t seed;             /* of the sampling */
    saferl_allocator allocator;
} saferl_gp_swarm_desc;

typedef struct saferl_gp_swarm {
    saferl_gp_swarm_desc desc;
    saferl_gp_constraint constraint[SAFERL_GP_MAX_CONSTRAINTS];
    saferl_rng rng;
    double *safe_points;       /* safe_count rows of dim: the seeds, then each evaluation */
    uint32_t safe_count, safe_capacity;
    double *candidates;        /* this step's: the safe points, then the samples */
    unsigned char *known_safe; /* candidate flags: the first safe_count */
    uint32_t candidate_count;
    saferl_gp_safeopt step_opt;/* the grid version's step on this step's candidates */
    void *step_memory;
    size_t step_memory_size;
    uint32_t evaluations, stage;
    double *last_point;        /* dim values: what saferl_gp_swarm_next proposed */
    void *owned_memory;
} saferl_gp_swarm;

SAFERL_GP_API saferl_result saferl_gp_swarm_create(saferl_gp_swarm *swarm, const saferl_gp_swarm_desc *desc);
SAFERL_GP_API void saferl_gp_swarm_destroy(saferl_gp_swarm *swarm);
/* Samples this step's candidates, computes the sets and writes the point to evaluate (dim
   values) into x; step as the grid version's (index: into this step's candidates). */
SAFERL_GP_API saferl_result saferl_gp_swarm_next(saferl_gp_swarm *swarm, double *x, saferl_gp_safeopt_step *step);
/* Adds the evaluation of the point the last saferl_gp_swarm_next proposed to every GP (the
   grid version's rules for values) and keeps the point as known safe. */
SAFERL_GP_API saferl_result saferl_gp_swarm_observe(saferl_gp_swarm *swarm, double objective_value,
                                                    const double *constraint_values);
/* The known-safe point with the best lower bound of the objective (dim values into x). */
SAFERL_GP_API saferl_result saferl_gp_swarm_best(saferl_gp_swarm *swarm, double *x);

/* ---- the PLS online stage ------------------------------------------------------------------ */

typedef struct saferl_gp_pls_gp {
    saferl_gp_kernel kernel;   /* 0 -> RBF */
    const double *lengthscale; /* dim values (ARD); NULL -> the paper's cost/reward values
                                  do not apply to your units: NULL -> 1.0 */
    double signal_variance;    /* 0 -> 1 */
    double noise_variance;     /* 0 -> 1e-2 (in the GP's normalised units) */
    double y_offset, y_scale;  /* fixed prior mean and scale; 0 -> 0 and 1 */
} saferl_gp_pls_gp;

/* Runs the deployed policy with target z for the configured episodes; writes the averaged
   reward and cost returns. Returns 0, or non-zero to stop the run. */
typedef int (*saferl_gp_pls_evaluate)(const double *target, double *reward_return, double *cost_return,
                                      void *user_data);

typedef struct saferl_gp_pls_desc {
    const double *targets;     /* candidate target returns z, target_count rows of dim */
    uint32_t target_count, dim;
    const unsigned char *seed_set; /* known-safe targets (flags), at least one */
    double cost_limit;         /* b */
    saferl_gp_pls_gp reward, cost;
    uint32_t iterations;       /* evaluations in all; 0 -> 20 (the paper's "at most 20") */
    double stage_tolerance;    /* zeta on the cost GP's scaled width; 0 -> 0.1 */
    saferl_gp_beta_rule beta_rule; /* 0 -> the paper's finite-set schedule with delta */
    double beta, delta;        /* constant beta (0 -> 2); delta (0 -> 0.05) */
    saferl_gp_expander_test expander_test; /* 0: SAFERL_GP_EXPAND_ALL_SAFE (see the notes) */
    saferl_gp_pls_evaluate evaluate;
    void *user_data;
    saferl_allocator allocator;
} saferl_gp_pls_desc;

typedef struct saferl_gp_pls_record {
    uint32_t iteration;        /* 1-based */
    uint32_t index;            /* into targets */
    int stage;                 /* 1 expansion, 2 reward maximisation */
    double beta;
    double cost_upper;         /* u_g(z) when chosen (<= b by construction) */
    double reward_upper;
    double reward_return, cost_return; /* what the evaluation returned */
    int violated;              /* cost_return > cost_limit */
} saferl_gp_pls_record;

typedef struct saferl_gp_pls {
    saferl_gp_pls_desc desc;
    saferl_gp reward_gp, cost_gp;
    saferl_gp_safeopt opt;
    uint32_t iteration, violations, last_index;
    void *owned_memory;
} saferl_gp_pls;

SAFERL_GP_API size_t saferl_gp_pls_memory_size(const saferl_gp_pls_desc *desc);
SAFERL_GP_API saferl_result saferl_gp_pls_init(saferl_gp_pls *pls, const saferl_gp_pls_desc *desc,
                                               void *memory, size_t memory_size);
SAFERL_GP_API saferl_result saferl_gp_pls_create(saferl_gp_pls *pls, const saferl_gp_pls_desc *desc);
SAFERL_GP_API void saferl_gp_pls_destroy(saferl_gp_pls *pls);
/* One evaluation: picks z, calls evaluate, updates. SAFERL_ERR_INVALID_ARGUMENT when the
   callback stops or returns non-finite returns (nothing is added then). */
SAFERL_GP_API saferl_result saferl_gp_pls_step(saferl_gp_pls *pls, saferl_gp_pls_record *record);
/* Steps until desc.iterations evaluations are done; records (may be NULL) gets one per step. */
SAFERL_GP_API saferl_result saferl_gp_pls_run(saferl_gp_pls *pls, saferl_gp_pls_record *records,
                                              uint32_t record_capacity, uint32_t *record_count);
/* The target to keep deploying: the best reward lower bound among the safe targets. */
SAFERL_GP_API uint32_t saferl_gp_pls_recommendation(const saferl_gp_pls *pls);

/* ---- numeric CSV ---------------------------------------------------------------------------- */
/* Rows of comma-separated finite numbers, all with the same number of fields. Blank lines and
   lines starting with '#' are skipped; a first row whose first field starts with a letter or a
   quote is a header; CRLF is accepted. values (row-major, up to capacity) may be NULL to size. */

typedef struct saferl_gp_csv_error {
    uint32_t line, column;     /* 1-based */
    saferl_result code;
    const char *reason;        /* static text */
} saferl_gp_csv_error;

SAFERL_GP_API saferl_result saferl_gp_csv_parse(const char *text, size_t length, double *values,
                                                size_t capacity, uint32_t *rows, uint32_t *columns,
                                                saferl_gp_csv_error *error);

SAFERL_GP_API const char *saferl_gp_version(void);

#ifdef __cplusplus
}
#endif
#endif /* SAFERL_GP_H */

/* ======================================================================================== */
/*                                    IMPLEMENTATION                                        */
/* ======================================================================================== */
#ifdef SAFERL_GP_IMPLEMENTATION
#ifndef SAFERL_GP_IMPLEMENTATION_ONCE
#define SAFERL_GP_IMPLEMENTATION_ONCE

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
#include <stdlib.h> /* strtod */
#if defined(__SSE2__) && (defined(__GNUC__) || defined(__clang__))
#include <emmintrin.h> /* sqrtpd: see saferl_gp__sqrt_row */
#endif

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
#  include <blis.h> /* needs -std=gnu99 (or _POSIX_C_SOURCE) for this translation unit; -lblis */
#endif

#define SAFERL_GP__INF HUGE_VAL
#define SAFERL_GP__DOUBLE_MAX 1.7976931348623157e308
#define SAFERL_GP__LOG_2PI 1.8378770664093454836
#define SAFERL_GP__SQRT_HALF 0.70710678118654752440 /* RBF's input scale times l */
#define SAFERL_GP__MAX_CAPACITY 16384u /* 2 capacity^2 doubles stay addressable on wasm32 */
#define SAFERL_GP__CHOLESKY_BLOCK 96u  /* BLIS path: block columns of this width */
#if !defined(SAFERL_GP_BLIS_FROM)
#  define SAFERL_GP_BLIS_FROM 1024u     /* SAFERL_USE_BLIS: the fewest points on BLIS (above) */
#endif
#define SAFERL_GP__CHOLESKY_ROWS 16u   /* portable path: rows per block (SAFERL_GP_BLOCK at most) */
#define SAFERL_GP__MAX_ARD 64u         /* most lengthscales of an ARD kernel */
#define SAFERL_GP__SOLVE_CHUNK 64u     /* portable multi-right-hand-side solve: columns per pass */
#if !defined(SAFERL_GP__PAD_FROM)
#  define SAFERL_GP__PAD_FROM 2u       /* predict: fewest columns left over from the tiles worth a pad */
#endif
#if defined(__AVX__)
#  define SAFERL_GP__TILE 8u            /* columns per register tile: 6 x 8 = 12 ymm registers */
#else
#  define SAFERL_GP__TILE 4u            /* 6 x 4 = 12 of the 16 xmm registers (SSE2, wasm simd128) */
#endif

/* Runtime dispatch. A portable x86-64 build (no -mavx2) compiles each hot loop three times
   from one body: for the build's target, with target("avx2") and with target("avx512f"); a
   CPU check picks one per call. No contraction of a * b + c in these copies: the AVX2 target
   has no FMA, and the AVX-512 one (which implies FMA) is under the fp-contract pragmas above,
   so every lane does the same multiplies and adds in the same order at any width and the
   results are bit-identical on every x86-64 CPU. One exception, for saferl_gp_predict's
   variances only: a copy of the multi-right-hand-side solve for CPUs with AVX2 and FMA (and
   its AVX-512 copy) rounds each multiply-add once by explicit FMA instructions (never by the
   compiler's contraction, which depends on its flags). SAFERL_NO_DISPATCH turns dispatch
   off. A body's helpers must be inlined into it (SAFERL_GP__INLINE), or they would run at
   the build's target. */
/* which copy of a dispatched body is running (a constant once inlined): the build's target,
   the AVX2 copy or the AVX-512 one */
enum { SAFERL_GP__COPY_BUILD, SAFERL_GP__COPY_AVX2, SAFERL_GP__COPY_AVX512 };
#if !defined(SAFERL_NO_DISPATCH) && defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && \
    !defined(__AVX2__) && !defined(__EMSCRIPTEN__)
#  define SAFERL_GP__DISPATCH 1
#  define SAFERL_GP__BODY static inline __attribute__((always_inline))
#else
#  define SAFERL_GP__BODY static
#endif
#if defined(__GNUC__) || defined(__clang__)
#  define SAFERL_GP__INLINE static inline __attribute__((always_inline))
#else
#  define SAFERL_GP__INLINE static inline
#endif
/* The fused solve (saferl_gp_predict's variances): a copy in a dispatching build, the one
   solve of predict in a build whose target has AVX2 and FMA (-march=x86-64-v3, native). */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(__EMSCRIPTEN__) && \
    (defined(SAFERL_GP__DISPATCH) || (defined(__AVX2__) && defined(__FMA__)))
#  include <immintrin.h>
#  define SAFERL_GP__FUSED_TILE 1
#  if defined(__AVX2__) && defined(__FMA__)
#    define SAFERL_GP__FUSED_BUILD 1
#  endif
#  if defined(SAFERL_GP__DISPATCH)
#    define SAFERL_GP__WIDE_TILE 1 /* and a copy of it for CPUs with AVX-512 */
#  endif
#endif
#if !defined(SAFERL_GP__FUSED_BUILD)
#  define SAFERL_GP__FUSED_BUILD 0
#endif
/* saferl_gp_predict's pipelined AVX-512 block (saferl_gp__predict_block_pipelined) is GCC's:
   clang 14 keeps four of the tile's twelve accumulators on the stack in its k loop there, and
   without the block its build's fit + predict takes 10-43% less time at n = 25-200 (Zen 5,
   0.4.19; GCC's 0-7% more without it). The unit tests set it to 1, so that every build of
   them, the sanitizers' (clang) included, runs the block. */
#if !defined(SAFERL_GP__PIPELINED)
#  if defined(__clang__)
#    define SAFERL_GP__PIPELINED 0
#  else
#    define SAFERL_GP__PIPELINED 1 /* where SAFERL_GP__WIDE_TILE is defined */
#  endif
#endif
/* A build whose target has AVX2 (-march=x86-64-v3, native) runs the AVX2 copies' exp row
   (saferl_gp__exp_row_avx2: the same bits) in place of the compiler's vectorised scalar code. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(__EMSCRIPTEN__) && \
    defined(__AVX2__)
#  include <immintrin.h>
#  define SAFERL_GP__AVX2_BUILD 1
#else
#  define SAFERL_GP__AVX2_BUILD 0
#endif
/* The AVX2 copies' attributes (with FMA: the fused variance solve's). clang (14) keeps a
   dispatching build's tuning there, whose generic x86-64 splits every 256-bit load and store of
   unknown alignment in two 128-bit halves; tuned for the AVX2 CPUs (x86-64-v3) it does not, and
   its AVX2 fit + predict takes 0.94-1.04x GCC's time instead of 1.10-1.27x (n = 25-200). Tuning
   does not change what is computed. The AVX-512 copies keep the build's tuning: x86-64-v4's
   made clang's 5-10% slower. */
#if defined(SAFERL_GP__DISPATCH) && defined(__clang__) && __clang_major__ >= 14
#  define SAFERL_GP__TARGET_AVX2 __attribute__((target("avx2,tune=x86-64-v3")))
#  define SAFERL_GP__TARGET_AVX2_FMA __attribute__((target("avx2,fma,tune=x86-64-v3")))
#else
#  define SAFERL_GP__TARGET_AVX2 __attribute__((target("avx2")))
#  define SAFERL_GP__TARGET_AVX2_FMA __attribute__((target("avx2,fma")))
#endif

#if defined(SAFERL_GP__DISPATCH)
/* libgcc / compiler-rt fill the CPU model in a constructor; __builtin_cpu_init makes the check
   valid even when called from another constructor (it returns at once after the first call).
   Both checks include the operating system's support for the registers. */
static int saferl_gp__have_avx2(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
}
static int saferl_gp__have_avx512(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("avx512f");
}
/* name(params) from its body name_body: the portable copy name_portable, the AVX2 copy
   name_avx2, the AVX-512 copy name_avx512 (8 doubles a vector; the same operations per
   element, so the same bits) and the choice per call (args: params' names, parenthesised). */
#  define SAFERL_GP__DISPATCHED(type, name, params, args)                                                          \
    static type name##_portable params { return name##_body args; }                                                \
    SAFERL_GP__TARGET_AVX2 static type name##_avx2 params { return name##_body args; }                             \
    __attribute__((target("avx512f"))) static type name##_avx512 params { return name##_body args; }               \
    static type name params {                                                                                      \
        return saferl_gp__have_avx512() ? name##_avx512 args                                                       \
               : saferl_gp__have_avx2() ? name##_avx2 args                                                         \
                                        : name##_portable args;                                                    \
    }
#  define SAFERL_GP__DISPATCHED_VOID(name, params, args)                                                           \
    static void name##_portable params { name##_body args; }                                                       \
    SAFERL_GP__TARGET_AVX2 static void name##_avx2 params { name##_body args; }                                    \
    __attribute__((target("avx512f"))) static void name##_avx512 params { name##_body args; }                      \
    static void name params {                                                                                      \
        if (saferl_gp__have_avx512()) name##_avx512 args;                                                          \
        else if (saferl_gp__have_avx2()) name##_avx2 args;                                                         \
        else name##_portable args;                                                                                 \
    }
/* The same without the AVX-512 copy, for the loops of short dot products (the Cholesky's
   rows, the forward substitution): their four partial sums fill one AVX2 vector, and the
   AVX-512 copies ran slower (unblocked factor at n = 100: 0.046 against 0.031 ms). */
#  define SAFERL_GP__DISPATCHED_AVX2(type, name, params, args)                                                     \
    static type name##_portable params { return name##_body args; }                                                \
    SAFERL_GP__TARGET_AVX2 static type name##_avx2 params { return name##_body args; }                             \
    static type name params { return saferl_gp__have_avx2() ? name##_avx2 args : name##_portable args; }
#  define SAFERL_GP__DISPATCHED_AVX2_VOID(name, params, args)                                                      \
    static void name##_portable params { name##_body args; }                                                       \
    SAFERL_GP__TARGET_AVX2 static void name##_avx2 params { name##_body args; }                                    \
    static void name params {                                                                                      \
        if (saferl_gp__have_avx2()) name##_avx2 args;                                                              \
        else name##_portable args;                                                                                 \
    }
/* The same for a body whose first parameter, copy, says which copy it is: there it may run
   code written for that copy's vectors (saferl_gp__exp_row_avx2, saferl_gp__exp_row_wide)
   with the same bits. */
#  define SAFERL_GP__ARGS_NARROW(...) (SAFERL_GP__COPY_BUILD, __VA_ARGS__)
#  define SAFERL_GP__ARGS_AVX2(...) (SAFERL_GP__COPY_AVX2, __VA_ARGS__)
#  define SAFERL_GP__ARGS_WIDE(...) (SAFERL_GP__COPY_AVX512, __VA_ARGS__)
#  define SAFERL_GP__DISPATCHED_WIDE_VOID(name, params, args)                                                      \
    static void name##_portable params { name##_body SAFERL_GP__ARGS_NARROW args; }                                \
    SAFERL_GP__TARGET_AVX2 static void name##_avx2 params { name##_body SAFERL_GP__ARGS_AVX2 args; }               \
    __attribute__((target("avx512f"))) static void name##_avx512 params { name##_body SAFERL_GP__ARGS_WIDE args; } \
    static void name params {                                                                                      \
        if (saferl_gp__have_avx512()) name##_avx512 args;                                                          \
        else if (saferl_gp__have_avx2()) name##_avx2 args;                                                         \
        else name##_portable args;                                                                                 \
    }
#else
#  define SAFERL_GP__ARGS_NARROW(...) (SAFERL_GP__COPY_BUILD, __VA_ARGS__)
#  define SAFERL_GP__DISPATCHED_WIDE_VOID(name, params, args) static void name params { name##_body SAFERL_GP__ARGS_NARROW args; }
#  define SAFERL_GP__DISPATCHED(type, name, params, args) static type name params { return name##_body args; }
#  define SAFERL_GP__DISPATCHED_VOID(name, params, args) static void name params { name##_body args; }
#  define SAFERL_GP__DISPATCHED_AVX2(type, name, params, args) SAFERL_GP__DISPATCHED(type, name, params, args)
#  define SAFERL_GP__DISPATCHED_AVX2_VOID(name, params, args) SAFERL_GP__DISPATCHED_VOID(name, params, args)
#endif

static int saferl_gp__is_finite(double x) {
    return x == x && x <= SAFERL_GP__DOUBLE_MAX && x >= -SAFERL_GP__DOUBLE_MAX;
}

/* On the bits (all exponent bits set: NaN or an infinity), so that the loop vectorises: the
   queries of a prediction are checked on every call. */
static int saferl_gp__all_finite(const double *v, size_t n) {
    const uint64_t exponent = 0x7FF0000000000000ull;
    uint64_t bits, bad = 0;
    size_t i;
    for (i = 0; i < n; ++i) {
        memcpy(&bits, v + i, sizeof bits);
        bad |= (bits & exponent) == exponent;
    }
    return bad == 0;
}

/* A scale (a variance, a lengthscale, y_scale) must be a positive normal double: a subnormal
   one (below 2.2e-308) overflows when divided into anything (issue: y_scale = 1e-320 gave
   NaN means). */
static int saferl_gp__is_scale(double x) {
    return x >= 2.2250738585072014e-308 && x <= SAFERL_GP__DOUBLE_MAX;
}

SAFERL_GP_API const char *saferl_gp_version(void) { return SAFERL_GP_VERSION_STRING; }

/* ---- memory ------------------------------------------------------------------------------ */

/* Bump allocation of caller memory, 64-byte aligned pieces. A NULL base only measures. */
typedef struct saferl_gp__arena {
    unsigned char *base;
    size_t used;
    int overflow;
} saferl_gp__arena;

static void *saferl_gp__take(saferl_gp__arena *arena, size_t count, size_t size) {
    size_t start = (arena->used + 63u) & ~(size_t)63u, bytes;
    if (count != 0 && size > ((size_t)-1 - 64u) / count) {
        arena->overflow = 1;
        return NULL;
    }
    bytes = count * size;
    if (start < arena->used || bytes > (size_t)-1 - 64u - start) {
        arena->overflow = 1;
        return NULL;
    }
    arena->used = start + bytes;
    return arena->base ? arena->base + start : NULL;
}

static void *saferl_gp__allocate(const saferl_allocator *allocator, size_t size) {
    if (allocator->allocate) return allocator->allocate(size, allocator->user_data);
    return SAFERL_MALLOC(size, allocator->user_data);
}

static void saferl_gp__release(const saferl_allocator *allocator, void *memory) {
    if (!memory) return;
    if (allocator->release) allocator->release(memory, allocator->user_data);
    else SAFERL_FREE(memory, allocator->user_data);
}

/* ---- dense kernels (the only place SAFERL_USE_BLIS changes, for GPs of SAFERL_GP_BLIS_FROM
   points or more) -------------------------------------------------------------------------- */

/* Dot product with four partial sums: the compiler vectorises it without -ffast-math. */
SAFERL_GP__INLINE double saferl_gp__dot(const double *a, const double *b, size_t n) {
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += a[i] * b[i];
        s1 += a[i + 1] * b[i + 1];
        s2 += a[i + 2] * b[i + 2];
        s3 += a[i + 3] * b[i + 3];
    }
    for (; i < n; ++i) s0 += a[i] * b[i];
    return (s0 + s1) + (s2 + s3);
}

SAFERL_GP__INLINE void saferl_gp__axpy(double alpha, const double *x, double *y, size_t n) {
    size_t i;
    for (i = 0; i < n; ++i) y[i] += alpha * x[i];
}

/* out[i] = sqrt(in[i]). libm's sqrt may set errno, which keeps compilers from vectorising a
   loop that calls it; SSE2's sqrtpd is the same correctly rounded IEEE square root, two at a
   time (AVX2 code gets the VEX form). Other targets: the plain loop. */
SAFERL_GP__INLINE void saferl_gp__sqrt_row(double *out, const double *in, uint32_t count) {
    uint32_t i = 0;
#if defined(__SSE2__) && (defined(__GNUC__) || defined(__clang__))
    for (; i + 2 <= count; i += 2) _mm_storeu_pd(out + i, _mm_sqrt_pd(_mm_loadu_pd(in + i)));
#endif
    for (; i < count; ++i) out[i] = sqrt(in[i]);
}

/* c + a b: rounded twice, or once (fused: C99's fma, one instruction where the function's
   target has FMA; fused is a constant once inlined, so the other branch compiles away) */
SAFERL_GP__INLINE double saferl_gp__multiply_add(double a, double b, double c, const int fused) {
    return fused ? fma(a, b, c) : c + a * b;
}

/* y += sum_i (scale c_i) x_i over count rows x_i = rows + i ld with c_i = coefficients[i
   stride], added in the order i = 0, 1, ..., count - 1 exactly as count axpys would (scale is
   1 or -1, exact), but four rows per pass over y: a quarter of the loads and stores of y. */
SAFERL_GP__BODY void saferl_gp__add_rows_body(double *y, const double *rows, size_t ld, const double *coefficients,
                                              size_t stride, double scale, uint32_t count, size_t n) {
    uint32_t i = 0;
    size_t z;
    for (; i + 4 <= count; i += 4) {
        const double *x0 = rows + (size_t)i * ld, *x1 = x0 + ld, *x2 = x1 + ld, *x3 = x2 + ld;
        const double c0 = scale * coefficients[(size_t)i * stride], c1 = scale * coefficients[(size_t)(i + 1) * stride];
        const double c2 = scale * coefficients[(size_t)(i + 2) * stride], c3 = scale * coefficients[(size_t)(i + 3) * stride];
        for (z = 0; z < n; ++z) y[z] = (((y[z] + c0 * x0[z]) + c1 * x1[z]) + c2 * x2[z]) + c3 * x3[z];
    }
    for (; i < count; ++i) saferl_gp__axpy(scale * coefficients[(size_t)i * stride], rows + (size_t)i * ld, y, n);
}

/* Unblocked Cholesky of the lower triangle of the row-major a (stride ld), in place, for
   rows first..n-1 from column first on: row by row, each entry a dot product of two
   contiguous rows. The rows before first and the entries left of column first must be
   final already (first = 0: the whole factor). Returns 0, or the 1-based row of the first
   non-positive pivot. */
/* L_ij of a row from the finished row j of L */
SAFERL_GP__INLINE double saferl_gp__cholesky_entry(const double *row, const double *other, uint32_t j) {
    return (row[j] - saferl_gp__dot(row, other, j)) / other[j];
}

/* The pivot of row i, written as L_ii; 0 when it is not positive (or not finite). */
SAFERL_GP__INLINE int saferl_gp__cholesky_pivot(double *row, uint32_t i) {
    const double d = row[i] - saferl_gp__dot(row, row, i);
    if (!(d > 0.0) || !saferl_gp__is_finite(d)) return 0;
    row[i] = sqrt(d);
    return 1;
}

/* Rows i..i+rows-1 (rows <= 8, a constant once inlined) side by side: entry j of each needs
   only the finished row j, so the rows are independent chains (each entry waits for the one
   before it in its row: its dot product, then a division); then the triangle, each row's
   pivot before the entries below it. Returns as saferl_gp__cholesky_rows_body. */
SAFERL_GP__INLINE uint32_t saferl_gp__cholesky_row_group(double *a, size_t ld, uint32_t first, uint32_t i,
                                                         const uint32_t rows) {
    double *row[8];
    uint32_t t, u, j;
    for (t = 0; t < rows; ++t) row[t] = a + (size_t)(i + t) * ld;
    for (j = first; j < i; ++j) {
        const double *other = a + (size_t)j * ld;
        for (t = 0; t < rows; ++t) row[t][j] = saferl_gp__cholesky_entry(row[t], other, j);
    }
    for (t = 0; t < rows; ++t) {
        if (!saferl_gp__cholesky_pivot(row[t], i + t)) return i + t + 1;
        for (u = t + 1; u < rows; ++u) row[u][i + t] = saferl_gp__cholesky_entry(row[u], row[t], i + t);
    }
    return 0;
}

/* Eight rows at a time, then the rows left four, two and one at a time. Eight from 0.4.10
   (the factor at n = 25 1.30 -> 1.05 us, 50 2.99 -> 2.83, no change at 100 and 200, whose
   factor is blocked in 16-row groups: bench/gp_phases.c), four from 0.4.6 (1.22 and 4.0 us
   against 0.95 and 3.4 with two). The operations per entry are unchanged: the same bits. */
SAFERL_GP__BODY uint32_t saferl_gp__cholesky_rows_body(double *a, size_t ld, uint32_t first, uint32_t n) {
    uint32_t i = first, failed = 0;
    for (; !failed && i + 8 <= n; i += 8) failed = saferl_gp__cholesky_row_group(a, ld, first, i, 8);
    for (; !failed && i + 4 <= n; i += 4) failed = saferl_gp__cholesky_row_group(a, ld, first, i, 4);
    for (; !failed && i + 2 <= n; i += 2) failed = saferl_gp__cholesky_row_group(a, ld, first, i, 2);
    if (!failed && i < n) failed = saferl_gp__cholesky_row_group(a, ld, first, i, 1);
    return failed;
}

/* The diagonal block's share of the rows left of it, before the blocked factor (below)
   factors the block: C -= W^T W on the lower triangle of the SAFERL_GP__CHOLESKY_ROWS-square
   block c (stride ld), W (k x that many, row-major) holding the block's rows left of it, one
   row of L a column. As a matrix product the k terms of each entry are independent sums; in
   the unblocked rows they were dot products as long as the row, each waiting for the entry
   before it (at n = 100 half the factor's time for a tenth of its flops). Each entry's terms
   are added in the order j = 0, 1, ..., k - 1 from 0 and the sum then subtracted, on every
   path (the same bits); with GCC or clang in register tiles of 8 columns (8 independent sums
   a tile): 4 rows of two 4-double vectors, or 8 rows of one 8-double vector in the AVX-512
   copy, the tiles covering the triangle. */
#if defined(__GNUC__) || defined(__clang__)
/* the compilers' generic vectors: the update below and the solve's register tiles */
typedef double saferl_gp__vector2 __attribute__((vector_size(16)));
typedef double saferl_gp__vector4 __attribute__((vector_size(32)));
#if defined(SAFERL_GP__WIDE_TILE)
typedef double saferl_gp__vector8 __attribute__((vector_size(64)));
#endif

/* c's rows r..r + rows - 1, columns q..q + 7 up to the diagonal, less their sums */
SAFERL_GP__INLINE void saferl_gp__subtract_tile(double *c, size_t ld, const double (*sum)[8], uint32_t r, uint32_t q,
                                                const uint32_t rows) {
    uint32_t t, s;
    for (t = 0; t < rows; ++t)
        for (s = q; s < q + 8 && s <= r + t; ++s) c[(size_t)(r + t) * ld + s] -= sum[t][s - q];
}

SAFERL_GP__BODY void saferl_gp__cholesky_update_block_body(const int copy, double *c, size_t ld, const double *w,
                                                           size_t ldw, uint32_t k) {
    enum { WIDTH = SAFERL_GP__CHOLESKY_ROWS };
    double sum[8][8];
    uint32_t r, q, j;
#if defined(SAFERL_GP__WIDE_TILE)
    if (copy == SAFERL_GP__COPY_AVX512) {
        uint32_t t;
        for (r = 0; r < WIDTH; r += 8)
            for (q = 0; q <= r; q += 8) {
                const saferl_gp__vector8 zero = {0.0};
                saferl_gp__vector8 a[8], x;
                for (t = 0; t < 8; ++t) a[t] = zero;
                for (j = 0; j < k; ++j) {
                    const double *wj = w + (size_t)j * ldw;
                    memcpy(&x, wj + q, sizeof x);
                    for (t = 0; t < 8; ++t) a[t] += wj[r + t] * x;
                }
                memcpy(sum, a, sizeof sum);
                saferl_gp__subtract_tile(c, ld, (const double (*)[8])sum, r, q, 8);
            }
        return;
    }
#endif
    (void)copy;
    for (r = 0; r < WIDTH; r += 4)
        for (q = 0; q < r + 4; q += 8) {
            saferl_gp__vector4 a0 = {0.0}, a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0, x, y;
            for (j = 0; j < k; ++j) {
                const double *wj = w + (size_t)j * ldw;
                memcpy(&x, wj + q, sizeof x);
                memcpy(&y, wj + q + 4, sizeof y);
                a0 += wj[r] * x;
                b0 += wj[r] * y;
                a1 += wj[r + 1] * x;
                b1 += wj[r + 1] * y;
                a2 += wj[r + 2] * x;
                b2 += wj[r + 2] * y;
                a3 += wj[r + 3] * x;
                b3 += wj[r + 3] * y;
            }
            memcpy(sum[0], &a0, sizeof a0);
            memcpy(sum[0] + 4, &b0, sizeof b0);
            memcpy(sum[1], &a1, sizeof a1);
            memcpy(sum[1] + 4, &b1, sizeof b1);
            memcpy(sum[2], &a2, sizeof a2);
            memcpy(sum[2] + 4, &b2, sizeof b2);
            memcpy(sum[3], &a3, sizeof a3);
            memcpy(sum[3] + 4, &b3, sizeof b3);
            saferl_gp__subtract_tile(c, ld, (const double (*)[8])sum, r, q, 4);
        }
}
#else
SAFERL_GP__BODY void saferl_gp__cholesky_update_block_body(const int copy, double *c, size_t ld, const double *w,
                                                           size_t ldw, uint32_t k) {
    uint32_t r, s, j;
    (void)copy;
    for (r = 0; r < SAFERL_GP__CHOLESKY_ROWS; ++r)
        for (s = 0; s <= r; ++s) {
            double sum = 0.0;
            for (j = 0; j < k; ++j) sum += w[(size_t)j * ldw + r] * w[(size_t)j * ldw + s];
            c[(size_t)r * ld + s] -= sum;
        }
}
#endif

/* b := L^-1 b (forward substitution, contiguous dot products). */
SAFERL_GP__BODY void saferl_gp__solve_lower_body(const double *l, size_t ld, uint32_t n, double *b) {
    uint32_t i;
    for (i = 0; i < n; ++i) {
        const double *row = l + (size_t)i * ld;
        b[i] = (b[i] - saferl_gp__dot(row, b, i)) / row[i];
    }
}

/* b := L^-T b (backward, as axpys on the rows of L). */
SAFERL_GP__BODY void saferl_gp__solve_upper_body(const double *l, size_t ld, uint32_t n, double *b) {
    uint32_t i;
    for (i = n; i-- > 0;) {
        const double *row = l + (size_t)i * ld;
        b[i] /= row[i];
        saferl_gp__axpy(-b[i], row, b, i);
    }
}

SAFERL_GP__DISPATCHED_VOID(saferl_gp__add_rows,
                           (double *y, const double *rows, size_t ld, const double *coefficients, size_t stride,
                            double scale, uint32_t count, size_t n),
                           (y, rows, ld, coefficients, stride, scale, count, n))
SAFERL_GP__DISPATCHED_AVX2(uint32_t, saferl_gp__cholesky_rows, (double *a, size_t ld, uint32_t first, uint32_t n),
                           (a, ld, first, n))
SAFERL_GP__DISPATCHED_WIDE_VOID(saferl_gp__cholesky_update_block,
                                (double *c, size_t ld, const double *w, size_t ldw, uint32_t k), (c, ld, w, ldw, k))
SAFERL_GP__DISPATCHED_AVX2_VOID(saferl_gp__solve_lower, (const double *l, size_t ld, uint32_t n, double *b),
                                (l, ld, n, b))
SAFERL_GP__DISPATCHED_VOID(saferl_gp__solve_upper, (const double *l, size_t ld, uint32_t n, double *b), (l, ld, n, b))

#if defined(SAFERL_USE_BLIS)
/* Right-looking blocked Cholesky: factor a diagonal block, solve the panel below it against
   the block (trsm), update the trailing lower triangle (syrk). Row-major is BLIS's general
   stride (rs = ld, cs = 1). */
static uint32_t saferl_gp__blis_cholesky(double *a, uint32_t n, size_t ld) {
    uint32_t k;
    double one = 1.0, minus_one = -1.0;
    if (n <= SAFERL_GP__CHOLESKY_BLOCK) return saferl_gp__cholesky_rows(a, ld, 0, n);
    for (k = 0; k < n; k += SAFERL_GP__CHOLESKY_BLOCK) {
        uint32_t jb = n - k < SAFERL_GP__CHOLESKY_BLOCK ? n - k : SAFERL_GP__CHOLESKY_BLOCK;
        uint32_t rest = n - k - jb, failed;
        double *a11 = a + (size_t)k * ld + k;
        failed = saferl_gp__cholesky_rows(a11, ld, 0, jb);
        if (failed) return k + failed;
        if (rest) {
            double *a21 = a11 + (size_t)jb * ld, *a22 = a21 + jb;
            bli_dtrsm(BLIS_RIGHT, BLIS_LOWER, BLIS_TRANSPOSE, BLIS_NONUNIT_DIAG, (dim_t)rest, (dim_t)jb,
                      &one, a11, (inc_t)ld, 1, a21, (inc_t)ld, 1);
            bli_dsyrk(BLIS_LOWER, BLIS_NO_TRANSPOSE, (dim_t)rest, (dim_t)jb, &minus_one, a21, (inc_t)ld, 1,
                      &one, a22, (inc_t)ld, 1);
        }
    }
    return 0;
}

/* rows x n block B (row-major, stride ldb) := B L^-T: each row becomes L^-1 of itself. */
static void saferl_gp__blis_solve_rows(const double *l, size_t ld, uint32_t n, double *b, size_t ldb, uint32_t rows) {
    double one = 1.0;
    if (!n || !rows) return;
    bli_dtrsm(BLIS_RIGHT, BLIS_LOWER, BLIS_TRANSPOSE, BLIS_NONUNIT_DIAG, (dim_t)rows, (dim_t)n, &one,
              (double *)l, (inc_t)ld, 1, b, (inc_t)ldb, 1);
}

/* n x m block V (row-major, stride ldv) := L^-1 V; with sumsq, also sumsq[q] = sum_i V_iq^2,
   a column sum over the rows of the solved block (contiguous, so it vectorises). BLIS's trsm
   fuses as its kernels do. */
static void saferl_gp__blis_solve_columns(const double *l, size_t ld, uint32_t n, double *v, size_t ldv, uint32_t m,
                                          double *sumsq) {
    double one = 1.0;
    uint32_t i, q;
    if (n && m)
        bli_dtrsm(BLIS_LEFT, BLIS_LOWER, BLIS_NO_TRANSPOSE, BLIS_NONUNIT_DIAG, (dim_t)n, (dim_t)m, &one,
                  (double *)l, (inc_t)ld, 1, v, (inc_t)ldv, 1);
    if (!sumsq) return;
    for (q = 0; q < m; ++q) sumsq[q] = 0.0;
    for (i = 0; i < n; ++i) {
        const double *vi = v + (size_t)i * ldv;
        for (q = 0; q < m; ++q) sumsq[q] += vi[q] * vi[q];
    }
}
#endif

/* Does a GP of n points factor and solve on BLIS (SAFERL_USE_BLIS, n >= SAFERL_GP_BLIS_FROM)? */
static int saferl_gp__on_blis(uint32_t n) {
#if defined(SAFERL_USE_BLIS)
    return n >= SAFERL_GP_BLIS_FROM;
#else
    (void)n;
    return 0;
#endif
}

static void saferl_gp__solve_rows(const double *l, size_t ld, uint32_t n, double *b, size_t ldb, uint32_t rows) {
    uint32_t r;
#if defined(SAFERL_USE_BLIS)
    if (saferl_gp__on_blis(n)) {
        saferl_gp__blis_solve_rows(l, ld, n, b, ldb, rows);
        return;
    }
#endif
    for (r = 0; r < rows; ++r) saferl_gp__solve_lower(l, ld, n, b + (size_t)r * ldb);
}

/* One register tile of the multi-right-hand-side solve below: rows i..i+5 of V, columns
   q..q+2h-1 (h doubles a vector), with l0 = row i of L and inverse the six rows' 1 / L_jj.
   With GCC or clang the tile is two vectors a row (the compiler's generic vectors), which
   keeps the 6 x 2 accumulators in registers: 16-byte vectors (SSE2, wasm simd128) make a
   6 x 4 tile (12 of the 16 xmm registers), 32-byte ones (AVX) a 6 x 8 tile. Six rows, not
   four: each k then takes 6 broadcasts and 2 loads for 24 multiplies and subtractions
   (measured 15% faster per multiply-add with AVX2 than 4 x 8). The tile is written once, in
   this macro, and stamped out for both vector types (C has no other way to make one body
   generic over a type). Other compilers get the same arithmetic on arrays of
   SAFERL_GP__TILE columns, in the same order. */
#if defined(__GNUC__) || defined(__clang__)
#define SAFERL_GP__SOLVE_TILE(name, vector, prefix, MS, MA)                                                        \
    SAFERL_GP__SOLVE_TILE_STEPPING(name, vector, prefix, MS, MA, , , SAFERL_GP__NO_STEP, SAFERL_GP__NO_STEP)
#define SAFERL_GP__NO_STEP(k)
/* STEP(k) runs after each k step of the tile and END(i) after the last, with the parameters
   EXTRA (empty, or a comma and more parameters) and the local declarations START: predict's
   AVX-512 copy computes the next row group's kernel values there
   (saferl_gp__predict_block_pipelined). */
#define SAFERL_GP__SOLVE_TILE_STEPPING(name, vector, prefix, MS, MA, EXTRA, START, STEP, END)                      \
    prefix void name(const double *l0, size_t ld, uint32_t i, const double *inverse, double *v,                    \
                     size_t ldv, uint32_t q, double *sumsq EXTRA) {                                                \
        const size_t h = sizeof(vector) / sizeof(double);                                                          \
        const double *l1 = l0 + ld, *l2 = l1 + ld, *l3 = l2 + ld, *l4 = l3 + ld, *l5 = l4 + ld;                    \
        double *v0 = v + (size_t)i * ldv + q, *v1 = v0 + ldv, *v2 = v1 + ldv, *v3 = v2 + ldv, *v4 = v3 + ldv;      \
        double *v5 = v4 + ldv;                                                                                     \
        vector a0, a1, a2, a3, a4, a5, b0, b1, b2, b3, b4, b5, x, y;                                               \
        uint32_t k;                                                                                                \
        START                                                                                                      \
        memcpy(&a0, v0, sizeof a0);                                                                                \
        memcpy(&b0, v0 + h, sizeof b0);                                                                            \
        memcpy(&a1, v1, sizeof a1);                                                                                \
        memcpy(&b1, v1 + h, sizeof b1);                                                                            \
        memcpy(&a2, v2, sizeof a2);                                                                                \
        memcpy(&b2, v2 + h, sizeof b2);                                                                            \
        memcpy(&a3, v3, sizeof a3);                                                                                \
        memcpy(&b3, v3 + h, sizeof b3);                                                                            \
        memcpy(&a4, v4, sizeof a4);                                                                                \
        memcpy(&b4, v4 + h, sizeof b4);                                                                            \
        memcpy(&a5, v5, sizeof a5);                                                                                \
        memcpy(&b5, v5 + h, sizeof b5);                                                                            \
        for (k = 0; k < i; ++k) {                                                                                  \
            const double *vk = v + (size_t)k * ldv + q;                                                            \
            memcpy(&x, vk, sizeof x);                                                                              \
            memcpy(&y, vk + h, sizeof y);                                                                          \
            a0 = MS(a0, l0[k], x);                                                                                 \
            b0 = MS(b0, l0[k], y);                                                                                 \
            a1 = MS(a1, l1[k], x);                                                                                 \
            b1 = MS(b1, l1[k], y);                                                                                 \
            a2 = MS(a2, l2[k], x);                                                                                 \
            b2 = MS(b2, l2[k], y);                                                                                 \
            a3 = MS(a3, l3[k], x);                                                                                 \
            b3 = MS(b3, l3[k], y);                                                                                 \
            a4 = MS(a4, l4[k], x);                                                                                 \
            b4 = MS(b4, l4[k], y);                                                                                 \
            a5 = MS(a5, l5[k], x);                                                                                 \
            b5 = MS(b5, l5[k], y);                                                                                 \
            STEP(k)                                                                                                \
        }                                                                                                          \
        END(i)                                                                                                     \
        /* the 6 x 6 triangle on the diagonal */                                                                   \
        a0 *= inverse[0];                                                                                          \
        b0 *= inverse[0];                                                                                          \
        a1 = MS(a1, l1[i], a0) * inverse[1];                                                                       \
        b1 = MS(b1, l1[i], b0) * inverse[1];                                                                       \
        a2 = MS(MS(a2, l2[i], a0), l2[i + 1], a1) * inverse[2];                                                    \
        b2 = MS(MS(b2, l2[i], b0), l2[i + 1], b1) * inverse[2];                                                    \
        a3 = MS(MS(MS(a3, l3[i], a0), l3[i + 1], a1), l3[i + 2], a2) * inverse[3];                                 \
        b3 = MS(MS(MS(b3, l3[i], b0), l3[i + 1], b1), l3[i + 2], b2) * inverse[3];                                 \
        a4 = MS(MS(MS(MS(a4, l4[i], a0), l4[i + 1], a1), l4[i + 2], a2), l4[i + 3], a3) * inverse[4];              \
        b4 = MS(MS(MS(MS(b4, l4[i], b0), l4[i + 1], b1), l4[i + 2], b2), l4[i + 3], b3) * inverse[4];              \
        a5 = MS(MS(MS(MS(MS(a5, l5[i], a0), l5[i + 1], a1), l5[i + 2], a2), l5[i + 3], a3), l5[i + 4], a4) * inverse[5];   \
        b5 = MS(MS(MS(MS(MS(b5, l5[i], b0), l5[i + 1], b1), l5[i + 2], b2), l5[i + 3], b3), l5[i + 4], b4) * inverse[5];   \
        memcpy(v0, &a0, sizeof a0);                                                                                \
        memcpy(v0 + h, &b0, sizeof b0);                                                                            \
        memcpy(v1, &a1, sizeof a1);                                                                                \
        memcpy(v1 + h, &b1, sizeof b1);                                                                            \
        memcpy(v2, &a2, sizeof a2);                                                                                \
        memcpy(v2 + h, &b2, sizeof b2);                                                                            \
        memcpy(v3, &a3, sizeof a3);                                                                                \
        memcpy(v3 + h, &b3, sizeof b3);                                                                            \
        memcpy(v4, &a4, sizeof a4);                                                                                \
        memcpy(v4 + h, &b4, sizeof b4);                                                                            \
        memcpy(v5, &a5, sizeof a5);                                                                                \
        memcpy(v5 + h, &b5, sizeof b5);                                                                            \
        if (sumsq) {                                                                                               \
            memcpy(&x, sumsq + q, sizeof x);                                                                       \
            memcpy(&y, sumsq + q + h, sizeof y);                                                                   \
            x += MA(MA(MA(MA(MA(a0 * a0, a1, a1), a2, a2), a3, a3), a4, a4), a5, a5);                              \
            y += MA(MA(MA(MA(MA(b0 * b0, b1, b1), b2, b2), b3, b3), b4, b4), b5, b5);                              \
            memcpy(sumsq + q, &x, sizeof x);                                                                       \
            memcpy(sumsq + q + h, &y, sizeof y);                                                                   \
        }                                                                                                          \
    }
#define SAFERL_GP__MS(acc, l, x) ((acc) - (l) * (x))
#define SAFERL_GP__MA(acc, a, b) ((acc) + (a) * (b))
SAFERL_GP__SOLVE_TILE(saferl_gp__solve_tile4, saferl_gp__vector2, SAFERL_GP__INLINE, SAFERL_GP__MS, SAFERL_GP__MA)
SAFERL_GP__SOLVE_TILE(saferl_gp__solve_tile8, saferl_gp__vector4, SAFERL_GP__INLINE, SAFERL_GP__MS, SAFERL_GP__MA)
#if defined(SAFERL_GP__FUSED_TILE)
/* the fused tile: each multiply-add one FMA instruction (one rounding), written out so that
   no compiler flag changes which ones fuse. Not always_inline: the copies without FMA may not
   inline it (they never call it); the fused copy does. */
#define SAFERL_GP__MS_FUSED(acc, l, x) _mm256_fnmadd_pd(_mm256_set1_pd(l), (x), (acc))
#define SAFERL_GP__MA_FUSED(acc, a, b) _mm256_fmadd_pd((a), (b), (acc))
#define SAFERL_GP__FUSED_PREFIX SAFERL_GP__TARGET_AVX2_FMA static inline
SAFERL_GP__SOLVE_TILE(saferl_gp__solve_tile8_fused, saferl_gp__vector4, SAFERL_GP__FUSED_PREFIX, SAFERL_GP__MS_FUSED,
                      SAFERL_GP__MA_FUSED)
#endif
#if defined(SAFERL_GP__WIDE_TILE)
/* The same fused tile, 16 columns wide in AVX-512 registers, for a dispatching build on a CPU
   with AVX-512: each column does the same FMAs in the same order as in the 8-column tile, so
   its bits are the AVX2 fused copy's (tests/test_gp.c compares them); where the FP pipes are
   512 bits wide it does twice the flops an instruction. */
#define SAFERL_GP__MS_WIDE(acc, l, x) _mm512_fnmadd_pd(_mm512_set1_pd(l), (x), (acc))
#define SAFERL_GP__MA_WIDE(acc, a, b) _mm512_fmadd_pd((a), (b), (acc))
#define SAFERL_GP__WIDE_PREFIX __attribute__((target("avx512f,avx2,fma"))) static inline
SAFERL_GP__SOLVE_TILE(saferl_gp__solve_tile16_fused, saferl_gp__vector8, SAFERL_GP__WIDE_PREFIX, SAFERL_GP__MS_WIDE,
                      SAFERL_GP__MA_WIDE)
/* and unfused (the factor's and the grids' solve): the plain tile's multiplies and
   subtractions, 16 columns wide, kept apart by the fp-contract pragmas (the same bits as the
   4- and 8-column tiles) */
#define SAFERL_GP__WIDE_PLAIN_PREFIX __attribute__((target("avx512f,avx2"))) static inline
SAFERL_GP__SOLVE_TILE(saferl_gp__solve_tile16, saferl_gp__vector8, SAFERL_GP__WIDE_PLAIN_PREFIX, SAFERL_GP__MS,
                      SAFERL_GP__MA)
#endif
#else
static void saferl_gp__solve_tile(const double *l0, size_t ld, uint32_t i, const double *inverse, double *v,
                                  size_t ldv, uint32_t q, double *sumsq) {
    double a[6][SAFERL_GP__TILE];
    uint32_t k, c, r, j;
    for (r = 0; r < 6; ++r)
        for (c = 0; c < SAFERL_GP__TILE; ++c) a[r][c] = v[(size_t)(i + r) * ldv + q + c];
    for (k = 0; k < i; ++k) {
        const double *x = v + (size_t)k * ldv + q;
        for (r = 0; r < 6; ++r)
            for (c = 0; c < SAFERL_GP__TILE; ++c) a[r][c] -= l0[(size_t)r * ld + k] * x[c];
    }
    for (c = 0; c < SAFERL_GP__TILE; ++c) {
        double s = 0.0;
        for (r = 0; r < 6; ++r) {
            for (j = 0; j < r; ++j) a[r][c] -= l0[(size_t)r * ld + i + j] * a[j][c];
            a[r][c] *= inverse[r];
            v[(size_t)(i + r) * ldv + q + c] = a[r][c];
            s = r == 0 ? a[0][c] * a[0][c] : s + a[r][c] * a[r][c];
        }
        if (sumsq) sumsq[q + c] += s;
    }
}
#endif

/* The first head rows of saferl_gp__solve_columns_tiled (the n % 6 before its 6-row tiles),
   one by one over columns c0..end-1 */
SAFERL_GP__INLINE void saferl_gp__solve_head_rows(const double *l, size_t ld, uint32_t head, double *v, size_t ldv,
                                                  uint32_t c0, uint32_t end, double *sumsq, const int fused) {
    uint32_t i, k, q;
    for (i = 0; i < head; ++i) {
        const double *row = l + (size_t)i * ld, inverse = 1.0 / row[i];
        double *vi = v + (size_t)i * ldv;
        for (k = 0; k < i; ++k) {
            const double *vk = v + (size_t)k * ldv;
            const double b = row[k];
            for (q = c0; q < end; ++q) vi[q] = saferl_gp__multiply_add(-b, vk[q], vi[q], fused);
        }
        for (q = c0; q < end; ++q) {
            vi[q] *= inverse;
            if (sumsq) sumsq[q] = saferl_gp__multiply_add(vi[q], vi[q], sumsq[q], fused);
        }
    }
}

/* n x m block V (row-major, stride ldv) := L^-1 V, like a trsm with many right-hand sides;
   with sumsq, also sumsq[q] = sum_i V_iq^2 (the variance reduction of column q), added while
   each finished value is still in a register. The first n % 6 rows go one by one (their sums
   are short), then register tiles of 6 rows of V by tile columns: for each finished row k,
   six entries of L and one tile row of V give 6 x tile multiply-adds, so the loads no
   longer bound the loop as in a row-by-row axpy. Columns go in chunks of
   SAFERL_GP__SOLVE_CHUNK so that the rows already solved stay in the L2 cache. Every entry
   is the forward substitution's, summed in the order k = 0, 1, ..., i - 1 and then
   multiplied by 1 / L_ii as BLAS trsm kernels do (one rounding more than a division, at
   most an ulp; a vector division costs as much as the whole sum at n = 25). fused: every
   multiply-add (the sums and the variance sums) rounded once, by FMA instructions, which
   halves the inner loop's instructions: its 12 multiplies, 12 subtractions and 8 loads a
   step otherwise fill the core's dispatch (measured at n = 25: 41 GFLOP/s fused, 32 not). */
SAFERL_GP__INLINE void saferl_gp__solve_columns_tiled(const double *l, size_t ld, uint32_t n, double *v, size_t ldv,
                                                      uint32_t m, double *sumsq, const uint32_t tile, const int fused) {
    uint32_t c0, i, j, k, q, r, head = n % 6;
    if (sumsq)
        for (q = 0; q < m; ++q) sumsq[q] = 0.0;
    for (c0 = 0; c0 < m; c0 += SAFERL_GP__SOLVE_CHUNK) {
        uint32_t end = m - c0 < SAFERL_GP__SOLVE_CHUNK ? m : c0 + SAFERL_GP__SOLVE_CHUNK;
        uint32_t tiled = end - (end - c0) % tile; /* so that end - tiled < tile is plain to the compiler */
        saferl_gp__solve_head_rows(l, ld, head, v, ldv, c0, end, sumsq, fused);
        for (i = head; i < n; i += 6) {
            const double *l0 = l + (size_t)i * ld;
            double inverse[6];
            for (r = 0; r < 6; ++r) inverse[r] = 1.0 / l0[(size_t)r * ld + i + r];
            for (q = c0; q < tiled; q += tile) {
#if defined(SAFERL_GP__WIDE_TILE)
                if (tile == 16 && fused) saferl_gp__solve_tile16_fused(l0, ld, i, inverse, v, ldv, q, sumsq);
                else if (tile == 16) saferl_gp__solve_tile16(l0, ld, i, inverse, v, ldv, q, sumsq);
                else
#endif
#if defined(SAFERL_GP__FUSED_TILE)
                if (fused) saferl_gp__solve_tile8_fused(l0, ld, i, inverse, v, ldv, q, sumsq);
                else
#endif
#if defined(__GNUC__) || defined(__clang__)
                if (tile == 8) saferl_gp__solve_tile8(l0, ld, i, inverse, v, ldv, q, sumsq);
                else saferl_gp__solve_tile4(l0, ld, i, inverse, v, ldv, q, sumsq);
#else
                saferl_gp__solve_tile(l0, ld, i, inverse, v, ldv, q, sumsq);
#endif
            }
#if defined(SAFERL_GP__WIDE_TILE)
            /* unfused 16-column tiles leave up to 15 columns: 8 of them still go as a tile (the
               Cholesky's last block of rows is often narrower than 16). Not in the fused copy:
               predict's blocks are 64 wide, and there this path made GCC 12 keep one
               accumulator on the stack (twice the solve's time at n = 200). */
            if (tile == 16 && !fused && end - tiled >= 8) { /* not q + 8 <= end: GCC cannot bound q there */
                saferl_gp__solve_tile8(l0, ld, i, inverse, v, ldv, tiled, sumsq);
                q = tiled + 8;
            }
#endif
            for (; q < end; ++q) { /* columns left over from the tiles: one at a time, same order */
                double a[6], s = 0.0;
                for (r = 0; r < 6; ++r) a[r] = v[(size_t)(i + r) * ldv + q];
                for (k = 0; k < i; ++k) {
                    const double x = v[(size_t)k * ldv + q];
                    for (r = 0; r < 6; ++r) a[r] = saferl_gp__multiply_add(-l0[(size_t)r * ld + k], x, a[r], fused);
                }
                for (r = 0; r < 6; ++r) {
                    for (j = 0; j < r; ++j)
                        a[r] = saferl_gp__multiply_add(-l0[(size_t)r * ld + i + j], a[j], a[r], fused);
                    a[r] *= inverse[r];
                    v[(size_t)(i + r) * ldv + q] = a[r];
                    s = r == 0 ? a[0] * a[0] : saferl_gp__multiply_add(a[r], a[r], s, fused);
                }
                if (sumsq) sumsq[q] += s;
            }
        }
    }
}

#if defined(SAFERL_GP__DISPATCH)
static void saferl_gp__solve_columns_portable(const double *l, size_t ld, uint32_t n, double *v, size_t ldv,
                                              uint32_t m, double *sumsq) {
    saferl_gp__solve_columns_tiled(l, ld, n, v, ldv, m, sumsq, 4, 0);
}
SAFERL_GP__TARGET_AVX2 static void saferl_gp__solve_columns_avx2(const double *l, size_t ld, uint32_t n, double *v,
                                                                 size_t ldv, uint32_t m, double *sumsq) {
    saferl_gp__solve_columns_tiled(l, ld, n, v, ldv, m, sumsq, 8, 0);
}
SAFERL_GP__TARGET_AVX2_FMA static void saferl_gp__solve_columns_fused_avx2(const double *l, size_t ld, uint32_t n,
                                                                           double *v, size_t ldv, uint32_t m,
                                                                           double *sumsq) {
    saferl_gp__solve_columns_tiled(l, ld, n, v, ldv, m, sumsq, 8, 1);
}
__attribute__((target("avx512f,avx2"))) static void saferl_gp__solve_columns_avx512(const double *l, size_t ld,
                                                                                    uint32_t n, double *v, size_t ldv,
                                                                                    uint32_t m, double *sumsq) {
    saferl_gp__solve_columns_tiled(l, ld, n, v, ldv, m, sumsq, 16, 0);
}
static void saferl_gp__solve_columns(const double *l, size_t ld, uint32_t n, double *v, size_t ldv, uint32_t m,
                                     double *sumsq) {
    if (saferl_gp__have_avx512()) saferl_gp__solve_columns_avx512(l, ld, n, v, ldv, m, sumsq);
    else if (saferl_gp__have_avx2()) saferl_gp__solve_columns_avx2(l, ld, n, v, ldv, m, sumsq);
    else saferl_gp__solve_columns_portable(l, ld, n, v, ldv, m, sumsq);
}
__attribute__((target("avx512f,avx2,fma"))) static void saferl_gp__solve_columns_fused_avx512(const double *l, size_t ld,
                                                                                             uint32_t n, double *v,
                                                                                             size_t ldv, uint32_t m,
                                                                                             double *sumsq) {
    saferl_gp__solve_columns_tiled(l, ld, n, v, ldv, m, sumsq, 16, 1);
}
/* saferl_gp_predict's variances: fused on a CPU with AVX2 and FMA, 16 columns a tile where it
   also has AVX-512 (the same bits) */
static int saferl_gp__have_fma(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
static void saferl_gp__solve_columns_fused(const double *l, size_t ld, uint32_t n, double *v, size_t ldv, uint32_t m,
                                           double *sumsq) {
    if (saferl_gp__have_avx512() && saferl_gp__have_fma()) saferl_gp__solve_columns_fused_avx512(l, ld, n, v, ldv, m, sumsq);
    else if (saferl_gp__have_fma()) saferl_gp__solve_columns_fused_avx2(l, ld, n, v, ldv, m, sumsq);
    else saferl_gp__solve_columns(l, ld, n, v, ldv, m, sumsq);
}
#else
static void saferl_gp__solve_columns(const double *l, size_t ld, uint32_t n, double *v, size_t ldv, uint32_t m,
                                     double *sumsq) {
    saferl_gp__solve_columns_tiled(l, ld, n, v, ldv, m, sumsq, SAFERL_GP__TILE, 0);
}
static void saferl_gp__solve_columns_fused(const double *l, size_t ld, uint32_t n, double *v, size_t ldv, uint32_t m,
                                           double *sumsq) {
    saferl_gp__solve_columns_tiled(l, ld, n, v, ldv, m, sumsq, SAFERL_GP__TILE, SAFERL_GP__FUSED_BUILD);
}
#endif

/* V := L^-1 V (and sumsq) for a GP of n points: on BLIS (saferl_gp__on_blis) BLIS's trsm, else
   the tiles above, fused for saferl_gp_predict's variances. */
static void saferl_gp__solve_block(const double *l, size_t ld, uint32_t n, double *v, size_t ldv, uint32_t m,
                                   double *sumsq, int fused) {
#if defined(SAFERL_USE_BLIS)
    if (saferl_gp__on_blis(n)) {
        saferl_gp__blis_solve_columns(l, ld, n, v, ldv, m, sumsq);
        return;
    }
#endif
    if (fused) saferl_gp__solve_columns_fused(l, ld, n, v, ldv, m, sumsq);
    else saferl_gp__solve_columns(l, ld, n, v, ldv, m, sumsq);
}

/* Columns a register tile of saferl_gp__solve_columns_fused takes on this CPU. The columns left
   over from the tiles go one at a time, several times slower a column (n = 100: a block of 40
   queries took 15.5 us, one of 48 8.9 us). */
static uint32_t saferl_gp__fused_solve_tile(void) {
#if defined(SAFERL_GP__DISPATCH)
    if (saferl_gp__have_avx512()) return 16;
    return saferl_gp__have_avx2() ? 8 : 4;
#else
    return SAFERL_GP__TILE;
#endif
}
/* Cholesky, blocked by rows (the header's own; BLIS's above). The entries of rows k..k+b-1
   left of column k are the solutions of L[0:k, 0:k] x = a, one right-hand side a row: the tiled
   multi-right-hand-side solve does them at close to its peak rate (the unblocked factor's
   dot products run at a fifth of it at n = 200: each waits for the entry before it). The
   rows are transposed into work (k x b, one right-hand side a column), solved, and copied
   back; the b x b block on the diagonal is then updated from them as a matrix product
   (saferl_gp__cholesky_update_block) and factored alone by the unblocked rows, whose dot
   products are then at most b long (0.4.13; before, they ran over the whole row). The
   first block takes the n % 16 rows left over besides its 16 (unblocked, no solve), so that
   every solved block is 16 wide: a narrower last block was the costliest, solved against
   the most rows at a fraction of the tile's rate (0.4.7: n = 100 15.2 -> 11.2 us). work
   holds SAFERL_GP__CHOLESKY_ROWS x n doubles. */
/* dst (cols x rows, stride ldd) := the transpose of src (rows x cols, stride lds), in 4 x 4
   blocks: each block reads four cache lines and writes four, where a row at a time writes a
   line per value (the factor's two transposes at n = 100: 2.4 -> 1.5 us, 200: 11.1 -> 6.6;
   with vector shuffles in the SSE2 build 1.8 and 7.9) */
#if defined(SAFERL_GP__DISPATCH)
/* a 4 x 4 block in four loads, eight shuffles and four stores, where the loop below does 16
   loads and 16 stores */
SAFERL_GP__TARGET_AVX2 static void saferl_gp__transpose_avx2(const double *src, size_t lds, uint32_t rows,
                                                             uint32_t cols, double *dst, size_t ldd) {
    uint32_t r, j;
    for (r = 0; r + 4 <= rows; r += 4)
        for (j = 0; j + 4 <= cols; j += 4) {
            const double *s = src + (size_t)r * lds + j;
            double *d = dst + (size_t)j * ldd + r;
            const __m256d r0 = _mm256_loadu_pd(s), r1 = _mm256_loadu_pd(s + lds), r2 = _mm256_loadu_pd(s + 2 * lds),
                          r3 = _mm256_loadu_pd(s + 3 * lds);
            const __m256d t0 = _mm256_unpacklo_pd(r0, r1), t1 = _mm256_unpackhi_pd(r0, r1),
                          t2 = _mm256_unpacklo_pd(r2, r3), t3 = _mm256_unpackhi_pd(r2, r3);
            _mm256_storeu_pd(d, _mm256_permute2f128_pd(t0, t2, 0x20));
            _mm256_storeu_pd(d + ldd, _mm256_permute2f128_pd(t1, t3, 0x20));
            _mm256_storeu_pd(d + 2 * ldd, _mm256_permute2f128_pd(t0, t2, 0x31));
            _mm256_storeu_pd(d + 3 * ldd, _mm256_permute2f128_pd(t1, t3, 0x31));
        }
}
#endif
static void saferl_gp__transpose(const double *src, size_t lds, uint32_t rows, uint32_t cols, double *dst, size_t ldd) {
    uint32_t r = 0, j, u, t;
#if defined(SAFERL_GP__DISPATCH)
    const int vectors = saferl_gp__have_avx2();
    if (vectors) saferl_gp__transpose_avx2(src, lds, rows, cols, dst, ldd);
#else
    const int vectors = 0;
#endif
    const uint32_t done = vectors ? cols - cols % 4 : 0; /* the columns the AVX2 copy's 4 x 4 blocks took */
    for (; r + 4 <= rows; r += 4) {
        for (j = done; j + 4 <= cols; j += 4)
            for (u = 0; u < 4; ++u)
                for (t = 0; t < 4; ++t) dst[(size_t)(j + u) * ldd + r + t] = src[(size_t)(r + t) * lds + j + u];
        for (; j < cols; ++j)
            for (t = 0; t < 4; ++t) dst[(size_t)j * ldd + r + t] = src[(size_t)(r + t) * lds + j];
    }
    for (; r < rows; ++r)
        for (j = 0; j < cols; ++j) dst[(size_t)j * ldd + r] = src[(size_t)r * lds + j];
}

static uint32_t saferl_gp__cholesky(double *a, uint32_t n, size_t ld, double *work, const int upper) {
    uint32_t k, b, failed;
#if defined(SAFERL_USE_BLIS)
    if (saferl_gp__on_blis(n)) return saferl_gp__blis_cholesky(a, n, ld); /* upper is 0 there */
#endif
    if (n <= SAFERL_GP__CHOLESKY_ROWS) return saferl_gp__cholesky_rows(a, ld, 0, n);
    for (k = 0; k < n; k += b) {
        b = k ? SAFERL_GP__CHOLESKY_ROWS : SAFERL_GP__CHOLESKY_ROWS + n % SAFERL_GP__CHOLESKY_ROWS;
        if (k) {
            /* upper: the block's rows left of it are already there, transposed, right of the
               diagonal of rows 0..k-1 (A symmetric): solved in place */
            double *w = upper ? a + k : work;
            const size_t ldw = upper ? ld : b;
            if (!upper) saferl_gp__transpose(a + (size_t)k * ld, ld, b, k, work, b);
            saferl_gp__solve_columns(a, ld, k, w, ldw, b, NULL);
            saferl_gp__transpose(w, ldw, k, b, a + (size_t)k * ld, ld);
            saferl_gp__cholesky_update_block(a + (size_t)k * ld + k, ld, w, ldw, k);
        }
        failed = saferl_gp__cholesky_rows(a + (size_t)k * ld + k, ld, 0, b);
        if (failed) return k + failed;
    }
    return 0;
}

/* ---- kernels ------------------------------------------------------------------------------ */

/* e^x for x <= 0 (callers pass -r^2/2 or -r), in a branch-free form the compiler vectorises:
   libm's exp is one call per element, and at |Z| = 10^4 candidates the kernel rows hold
   millions of them. Tang's table-driven method with 16 entries: x = k ln2 / 16 + r with
   k = round(16 x / ln2): adding 1.5 * 2^52 rounds and leaves k in the low mantissa bits;
   ln2 / 16 is split into a high part with trailing zero bits (k ln2_hi / 16 is exact for
   |k| < 2^21) and a low part, so |r| <= ln2 / 32. Then e^x = 2^(k >> 4) T[k & 15] e^r with
   T[i] = 2^(i / 16) rounded to doubles, and e^r = 1 + q(r), q of degree 6 with q(0) = 0,
   q'(0) = 1 and the least maximum relative error 1.2e-17 on that interval (Remez exchange
   in 50-digit arithmetic, bench/gp_exp_minimax.py, which also prints T). The result is
   s + s q with s = 2^(k >> 4) T[k & 15] (the power of two added to T's exponent bits as an
   integer: the result is normal down to the clamp; the table holds T[i]'s bits less i << 48,
   so that k's bits shifted by 48 add 2^(k >> 4) with no mask: k's low 4 bits land on the i
   subtracted, 0.4.14), so T's rounding and the last add are
   the only roundings of size: 8 multiplies and 6 adds after the reduction, against 14 and
   11 of the degree-11 polynomial on |r| <= ln2 / 2 it replaced (0.4.9). The 16 entries fit
   one AVX-512 two-register permute (saferl_gp__exp_row_wide); the AVX2 copy loads them by
   indices read from memory (saferl_gp__exp_row_avx2); elsewhere the compiler loads them. The
   clamp at -708 and the zero below it are done on the bits as integers: floating-point compares
   would keep GCC from vectorising (they may trap). Max relative error against libm's exp over
   [-708, 0]: 2.22e-16 on 2 10^8 points (1 ulp; 4.33e-16 with the degree-11 polynomial);
   tests/test_gp.c checks 6e-16 on 10^6 points and the ends. Below -708 (e^x < 3.3e-308) the
   result is 0. saferl_gp__exp_reduce returns r and the bits of k (0 below the clamp). */
/* T[i]'s bits - (i << 48), T[i] = 2^(i / 16) rounded to doubles: 1.0, 1.0442737824274138,
   1.0905077326652577, 1.1387886347566916, 1.189207115002721, 1.241857812073484,
   1.2968395546510096, 1.3542555469368927, 1.4142135623730951, 1.4768261459394993,
   1.5422108254079407, 1.6104903319492543, 1.681792830507429, 1.7562521603732995,
   1.8340080864093424, 1.9152065613971474 (bench/gp_exp_minimax.py prints both) */
static const uint64_t saferl_gp__exp2_sixteenths_less_index[16] = {
    0x3ff0000000000000u, 0x3fefb5586cf9890fu, 0x3fef72b83c7d517bu, 0x3fef387a6e756238u,
    0x3fef06fe0a31b715u, 0x3feedea64c123422u, 0x3feebfdad5362a27u, 0x3feeab07dd485429u,
    0x3feea09e667f3bcdu, 0x3feea11473eb0187u, 0x3feeace5422aa0dbu, 0x3feec49182a3f090u,
    0x3feee89f995ad3adu, 0x3fef199bdd85529cu, 0x3fef5818dcfba487u, 0x3fefa4afa2a490dau};
#define SAFERL_GP__EXP_Q2 0.49999999999999606
#define SAFERL_GP__EXP_Q3 0.16666666664417962
#define SAFERL_GP__EXP_Q4 0.041666666693250587
#define SAFERL_GP__EXP_Q5 0.0083334719210538914
#define SAFERL_GP__EXP_Q6 0.0013888594053175015
/* the range reduction's constants, for the scalar code and the AVX-512 copy alike */
#define SAFERL_GP__EXP_SHIFTER 6755399441055744.0 /* 1.5 * 2^52 */
#define SAFERL_GP__EXP_LOWEST (-4573933187176071168) /* the bits of -708.0 as a signed integer */
#define SAFERL_GP__EXP_SIXTEEN_BY_LN2 23.083120654223414
#define SAFERL_GP__EXP_LN2_HIGH_16 (6.93147180369123816490e-01 / 16)
#define SAFERL_GP__EXP_LN2_LOW_16 (1.90821492927058770002e-10 / 16)

/* t = y 16/ln2 + 1.5 2^52 (k in t's low bits), k = t - 1.5 2^52, r = y - k ln2/16 in two parts:
   written once for the scalar, AVX2 and AVX-512 code (the same operations in the same order,
   so the same bits) */
#define SAFERL_GP__EXP_REDUCE(MUL, ADD, SUB, C, y, t, k, r)                                                         \
    {                                                                                                               \
        t = ADD(MUL(y, C(SAFERL_GP__EXP_SIXTEEN_BY_LN2)), C(SAFERL_GP__EXP_SHIFTER));                               \
        k = SUB(t, C(SAFERL_GP__EXP_SHIFTER));                                                                      \
        r = SUB(SUB(y, MUL(k, C(SAFERL_GP__EXP_LN2_HIGH_16))), MUL(k, C(SAFERL_GP__EXP_LN2_LOW_16)));               \
    }
#define SAFERL_GP__MUL(a, b) ((a) * (b))
#define SAFERL_GP__ADD(a, b) ((a) + (b))
#define SAFERL_GP__SUB(a, b) ((a) - (b))
#define SAFERL_GP__SCALAR(c) (c)

SAFERL_GP__INLINE double saferl_gp__exp_reduce(double x, uint64_t *k_bits) {
    const int64_t lowest = SAFERL_GP__EXP_LOWEST;
    double y, t, k, r;
    int64_t bits_x;
    uint64_t bits, keep;
    memcpy(&bits, &x, sizeof bits);
    bits |= (uint64_t)1 << 63; /* -|x| in one operation (-0.0 for 0): negative doubles order like their bits as signed integers */
    memcpy(&bits_x, &bits, sizeof bits_x);
    keep = bits_x > lowest ? 0u : ~(uint64_t)0;
    bits_x = bits_x > lowest ? lowest : bits_x;
    memcpy(&y, &bits_x, sizeof y);
    SAFERL_GP__EXP_REDUCE(SAFERL_GP__MUL, SAFERL_GP__ADD, SAFERL_GP__SUB, SAFERL_GP__SCALAR, y, t, k, r)
    memcpy(&bits, &t, sizeof bits);
    *k_bits = bits & keep; /* k in the low bits (two's complement), or 0 below the clamp */
    return r;
}

/* q(r) and s + s q, written once for the scalar and the AVX-512 code (the same operations in
   the same order, so the same bits) */
#define SAFERL_GP__EXP_TAIL(MUL, ADD, C, r, s)                                                                      \
    {                                                                                                               \
        r2 = MUL(r, r);                                                                                             \
        r4 = MUL(r2, r2);                                                                                           \
        q = ADD(ADD(r, MUL(r2, ADD(C(SAFERL_GP__EXP_Q2), MUL(C(SAFERL_GP__EXP_Q3), r)))),                           \
                MUL(r4, ADD(ADD(C(SAFERL_GP__EXP_Q4), MUL(C(SAFERL_GP__EXP_Q5), r)), MUL(r2, C(SAFERL_GP__EXP_Q6))))); \
        e = ADD(s, MUL(s, q));                                                                                      \
    }

SAFERL_GP__INLINE double saferl_gp__exp_finish(double r, uint64_t k_bits) {
    const uint64_t keep = k_bits ? ~(uint64_t)0 : 0u;
    /* indexing the array itself: GCC 12 vectorises this load, not one through a pointer */
    uint64_t bits = (saferl_gp__exp2_sixteenths_less_index[k_bits & 15] + (k_bits << 48)) & keep; /* T 2^(k >> 4) */
    double s, r2, r4, q, e;
    memcpy(&s, &bits, sizeof s);
    SAFERL_GP__EXP_TAIL(SAFERL_GP__MUL, SAFERL_GP__ADD, SAFERL_GP__SCALAR, r, s)
    return e;
}

#if defined(SAFERL_GP__DISPATCH)
/* The AVX-512 copies' exp, 8 values a vector, with saferl_gp__exp_reduce's and _finish's
   floating-point operations in their order (the same bits on every input) and fewer others
   (0.4.14; here each vector operation saved, a multiply or a logic one, is 2-4% of the exp
   alone, bench/experiments/gp_exp_variants.c): the reduction does not clamp but keeps t's bits as they
   are and a mask of the lanes at or above -708; a lane below it computes garbage (inf, NaN)
   that the last multiply, zero-masked, drops. The table lookup is one two-register permute
   (its index k's low 4 bits as they are), which the compilers do not find from the scalar code
   (GCC 12 loads the 8 entries one by one: 0.55 against 0.35 ns a value). Called by the AVX-512
   copies of the kernel rows and by saferl_gp_predict's pipelined block. */
#define SAFERL_GP__MUL_WIDE(a, b) _mm512_mul_pd((a), (b))
#define SAFERL_GP__ADD_WIDE(a, b) _mm512_add_pd((a), (b))
#define SAFERL_GP__SUB_WIDE(a, b) _mm512_sub_pd((a), (b))
/* r of e^-|x| for 8 values, t's bits (k in the low bits) and the lanes to keep */
__attribute__((target("avx512f"))) SAFERL_GP__INLINE __m512d saferl_gp__exp_reduce_vector(__m512d x, __m512i *t_bits,
                                                                                          __mmask8 *keep) {
    const __m512i bits = _mm512_or_si512(_mm512_castpd_si512(x), _mm512_set1_epi64((long long)((uint64_t)1 << 63)));
    const __m512d y = _mm512_castsi512_pd(bits);
    __m512d t, k, r;
    SAFERL_GP__EXP_REDUCE(SAFERL_GP__MUL_WIDE, SAFERL_GP__ADD_WIDE, SAFERL_GP__SUB_WIDE, _mm512_set1_pd, y, t, k, r)
    *keep = _mm512_cmple_epi64_mask(bits, _mm512_set1_epi64(SAFERL_GP__EXP_LOWEST)); /* -708 <= y (NaN: no) */
    *t_bits = _mm512_castpd_si512(t);
    return r;
}
/* factor e^x of 8 values from their r, t bits and keep mask (the table's two halves in low
   and high) */
__attribute__((target("avx512f"))) SAFERL_GP__INLINE __m512d saferl_gp__exp_finish_vector(__m512d r, __m512i t_bits,
                                                                                          __mmask8 keep, __m512d low,
                                                                                          __m512d high, __m512d factor) {
    /* the zero-masked shift with every lane on is vpsllq as _mm512_slli_epi64 is; g++ 12 at -O1
       and above warns (-Wmaybe-uninitialized, an error under -Werror) inside the unmasked one's
       _mm512_undefined_epi32 (GCC bug 105593) */
    const __m512d s = _mm512_castsi512_pd(_mm512_add_epi64(_mm512_castpd_si512(_mm512_permutex2var_pd(low, t_bits, high)),
                                                           _mm512_maskz_slli_epi64((__mmask8)0xff, t_bits, 48)));
    __m512d r2, r4, q, e;
    SAFERL_GP__EXP_TAIL(SAFERL_GP__MUL_WIDE, SAFERL_GP__ADD_WIDE, _mm512_set1_pd, r, s)
    return _mm512_maskz_mul_pd(keep, factor, e);
}
/* the table's two halves, as doubles for the permute */
__attribute__((target("avx512f"))) SAFERL_GP__INLINE void saferl_gp__exp_table_wide(__m512d *low, __m512d *high) {
    *low = _mm512_castsi512_pd(_mm512_loadu_si512((const void *)saferl_gp__exp2_sixteenths_less_index));
    *high = _mm512_castsi512_pd(_mm512_loadu_si512((const void *)(saferl_gp__exp2_sixteenths_less_index + 8)));
}
/* out[j] = factor e^-|x_j| for count <= 64 values (out may be x), in two passes through
   arrays on the stack (one pass is a chain the out-of-order window cannot overlap, 0.4.10) */
__attribute__((target("avx512f"))) static inline void saferl_gp__exp_row_wide(const double *x, double factor,
                                                                              double *out, uint32_t count) {
    double reduced[64];
    uint64_t t_bits[64];
    __mmask8 keep[8];
    __m512d low, high;
    uint32_t j;
    for (j = 0; j + 8 <= count; j += 8) {
        __m512i t;
        _mm512_storeu_pd(reduced + j, saferl_gp__exp_reduce_vector(_mm512_loadu_pd(x + j), &t, &keep[j / 8]));
        _mm512_storeu_si512((void *)(t_bits + j), t);
    }
    for (; j < count; ++j) reduced[j] = saferl_gp__exp_reduce(x[j], &t_bits[j]);
    saferl_gp__exp_table_wide(&low, &high);
    for (j = 0; j + 8 <= count; j += 8)
        _mm512_storeu_pd(out + j, saferl_gp__exp_finish_vector(_mm512_loadu_pd(reduced + j),
                                                               _mm512_loadu_si512((const void *)(t_bits + j)),
                                                               keep[j / 8], low, high, _mm512_set1_pd(factor)));
    for (; j < count; ++j) out[j] = factor * saferl_gp__exp_finish(reduced[j], t_bits[j]);
}

#endif

#if defined(SAFERL_GP__DISPATCH) || SAFERL_GP__AVX2_BUILD
/* The AVX2 copies' exp, 4 values a vector: the AVX-512 copy's operations (no clamp, the lanes
   below -708 zeroed at the end by a mask), the mask a vector compare. Compiled from the scalar
   code, GCC 12 does the table lookup by moving each index from a vector register to an integer
   one (vmovq, vpextrq, vextracti128: 6 operations on the pipes the polynomial needs for 4
   values) before the 4 loads; here the indices are read back from the stored t bits by
   integer loads, and only the 4 entries' inserts are vector operations. AVX2's own lookups,
   measured beside it on Zen 3 (ns a value; the scalar code's row, with a copy of its input,
   1.45-1.54): 4 vpermd and 3 blends 1.40-1.50, vpgatherqq 1.32-1.41, these loads 1.04-1.12. */
#define SAFERL_GP__MUL_AVX2(a, b) _mm256_mul_pd((a), (b))
#define SAFERL_GP__ADD_AVX2(a, b) _mm256_add_pd((a), (b))
#define SAFERL_GP__SUB_AVX2(a, b) _mm256_sub_pd((a), (b))
/* r of e^-|x| for 4 values, t's bits (k in the low bits) and the lanes to keep (all ones) */
SAFERL_GP__TARGET_AVX2 SAFERL_GP__INLINE __m256d saferl_gp__exp_reduce_avx2(__m256d x, __m256i *t_bits, __m256i *keep) {
    const __m256i bits = _mm256_or_si256(_mm256_castpd_si256(x), _mm256_set1_epi64x((long long)((uint64_t)1 << 63)));
    const __m256d y = _mm256_castsi256_pd(bits);
    __m256d t, k, r;
    SAFERL_GP__EXP_REDUCE(SAFERL_GP__MUL_AVX2, SAFERL_GP__ADD_AVX2, SAFERL_GP__SUB_AVX2, _mm256_set1_pd, y, t, k, r)
    *keep = _mm256_cmpgt_epi64(_mm256_set1_epi64x(SAFERL_GP__EXP_LOWEST + 1), bits); /* -708 <= y (NaN: no) */
    *t_bits = _mm256_castpd_si256(t);
    return r;
}
/* factor e^x of 4 values from their r, t bits (stored: the lookup reads the indices from
   memory) and keep mask */
SAFERL_GP__TARGET_AVX2 SAFERL_GP__INLINE __m256d saferl_gp__exp_finish_avx2(__m256d r, const uint64_t *t_bits,
                                                                            __m256i keep, __m256d factor) {
    const uint64_t *table = saferl_gp__exp2_sixteenths_less_index;
    const __m256i entries = _mm256_set_epi64x((long long)table[t_bits[3] & 15], (long long)table[t_bits[2] & 15],
                                              (long long)table[t_bits[1] & 15], (long long)table[t_bits[0] & 15]);
    const __m256i t = _mm256_loadu_si256((const __m256i *)t_bits);
    const __m256d s = _mm256_castsi256_pd(_mm256_add_epi64(entries, _mm256_slli_epi64(t, 48)));
    __m256d r2, r4, q, e;
    SAFERL_GP__EXP_TAIL(SAFERL_GP__MUL_AVX2, SAFERL_GP__ADD_AVX2, _mm256_set1_pd, r, s)
    return _mm256_and_pd(_mm256_mul_pd(factor, e), _mm256_castsi256_pd(keep));
}
/* out[j] = factor e^-|x_j| for count <= 64 values (out may be x), in saferl_gp__exp_row's two
   passes */
SAFERL_GP__TARGET_AVX2 static inline void saferl_gp__exp_row_avx2(const double *x, double factor, double *out,
                                                                  uint32_t count) {
    double reduced[64];
    uint64_t t_bits[64];
    __m256i keep[16];
    uint32_t j;
    for (j = 0; j + 4 <= count; j += 4) {
        __m256i t;
        _mm256_storeu_pd(reduced + j, saferl_gp__exp_reduce_avx2(_mm256_loadu_pd(x + j), &t, &keep[j / 4]));
        _mm256_storeu_si256((__m256i *)(t_bits + j), t);
    }
    for (; j < count; ++j) reduced[j] = saferl_gp__exp_reduce(x[j], &t_bits[j]);
    for (j = 0; j + 4 <= count; j += 4)
        _mm256_storeu_pd(out + j, saferl_gp__exp_finish_avx2(_mm256_loadu_pd(reduced + j), t_bits + j, keep[j / 4],
                                                             _mm256_set1_pd(factor)));
    for (; j < count; ++j) out[j] = factor * saferl_gp__exp_finish(reduced[j], t_bits[j]);
}
#endif

SAFERL_GP__INLINE double saferl_gp__exp_nonpositive(double x) {
    uint64_t k_bits;
    double r = saferl_gp__exp_reduce(x, &k_bits);
    return saferl_gp__exp_finish(r, k_bits);
}

/* The squared distance of a and b scaled by the kernel's input scale: each coordinate scaled
   and rounded first, then differenced, the operations of every other path (where one side's
   scaled coordinates are stored or computed once for many pairs), so the same bits. */
static double saferl_gp__r2(const double *a, const double *b, const double *scale, uint32_t dim) {
    double s = 0.0;
    uint32_t k;
    for (k = 0; k < dim; ++k) {
        double t = a[k] * scale[k] - b[k] * scale[k];
        s += t * t;
    }
    return s;
}

/* rho of a squared distance r2 in the kernel's input scale (RBF: e^-r2, the -1/2 being in
   the scale; Matern: of r = sqrt(r2) in units of l) */
static double saferl_gp__rho(saferl_gp_kernel kernel, double r2) {
    double r;
    switch (kernel) {
    case SAFERL_GP_MATERN32:
        r = 1.7320508075688772 * sqrt(r2);
        return (1.0 + r) * saferl_gp__exp_nonpositive(-r);
    case SAFERL_GP_MATERN52:
        r = 2.2360679774997897 * sqrt(r2);
        return (1.0 + r + r * r / 3.0) * saferl_gp__exp_nonpositive(-r);
    default:
        return saferl_gp__exp_nonpositive(-r2);
    }
}

/* out[j] := factor e^-|x_j| for count <= 64 values (out may be x). The exp goes in two
   passes, the range reduction and then the rest, through arrays on the stack: one loop with
   the whole exp is a dependency chain of some 50 cycles that the out-of-order window cannot
   overlap enough (measured 6.2 cycles an element with AVX2, 4.6 in two passes; the AVX-512
   copy fused, 0.486 against 0.376 ns a value, 0.4.10). copy: the AVX2 and AVX-512 copies
   run their own rows (saferl_gp__exp_row_avx2, saferl_gp__exp_row_wide) with these bits. */
SAFERL_GP__INLINE void saferl_gp__exp_row(const int copy, const double *x, double factor, double *out, uint32_t count) {
    double reduced[64];
    uint64_t k_bits[64];
    uint32_t j;
#if defined(SAFERL_GP__DISPATCH)
    if (copy == SAFERL_GP__COPY_AVX512) {
        saferl_gp__exp_row_wide(x, factor, out, count);
        return;
    }
#endif
#if defined(SAFERL_GP__DISPATCH) || SAFERL_GP__AVX2_BUILD
    if (copy == SAFERL_GP__COPY_AVX2 || SAFERL_GP__AVX2_BUILD) {
        saferl_gp__exp_row_avx2(x, factor, out, count);
        return;
    }
#endif
    (void)copy;
    for (j = 0; j < count; ++j) reduced[j] = saferl_gp__exp_reduce(x[j], &k_bits[j]);
    for (j = 0; j < count; ++j) out[j] = factor * saferl_gp__exp_finish(reduced[j], k_bits[j]);
}

/* w[j] := s2 * rho(w[j]) for count <= 64 squared distances of one kernel (a constant once
   inlined, so each kernel's loops vectorise); the operations and their order are those of
   saferl_gp__rho. The Matern kernels' sqrt is a loop of its own (saferl_gp__sqrt_row). */
SAFERL_GP__INLINE void saferl_gp__rho_block(const int copy, const saferl_gp_kernel kernel, double signal_variance,
                                            double *w, uint32_t count) {
    double r[64], e[64];
    uint32_t j;
    if (kernel == SAFERL_GP_RBF) {
        saferl_gp__exp_row(copy, w, signal_variance, w, count); /* the distances hold the -1/2 */
        return;
    }
    const double c = kernel == SAFERL_GP_MATERN32 ? 1.7320508075688772 : 2.2360679774997897;
    saferl_gp__sqrt_row(r, w, count);
    for (j = 0; j < count; ++j) r[j] *= c;
    saferl_gp__exp_row(copy, r, 1.0, e, count);
    if (kernel == SAFERL_GP_MATERN32)
        for (j = 0; j < count; ++j) w[j] = signal_variance * ((1.0 + r[j]) * e[j]);
    else
        for (j = 0; j < count; ++j) w[j] = signal_variance * ((1.0 + r[j] + r[j] * r[j] / 3.0) * e[j]);
}

/* v[i] := s2 * rho(v[i]) over a row of squared distances, in blocks of 64. */
SAFERL_GP__BODY void saferl_gp__rho_row_body(const int copy, saferl_gp_kernel kernel, double signal_variance, double *v,
                                             uint32_t count) {
    uint32_t i;
    for (i = 0; i < count; i += 64) {
        uint32_t block = count - i < 64 ? count - i : 64;
        switch (kernel) {
        case SAFERL_GP_MATERN32: saferl_gp__rho_block(copy, SAFERL_GP_MATERN32, signal_variance, v + i, block); break;
        case SAFERL_GP_MATERN52: saferl_gp__rho_block(copy, SAFERL_GP_MATERN52, signal_variance, v + i, block); break;
        default: saferl_gp__rho_block(copy, SAFERL_GP_RBF, signal_variance, v + i, block);
        }
    }
}

/* d rho / d log l for a squared difference D in the kernel's input scale (r2 for the
   isotropic kernel): rho' per unit of D, so that dk/dlog l_k = s2 * saferl_gp__rho_slope(r2)
   * D_k (RBF: rho = e^-r2 with D_k = (x_k - x'_k)^2 / (2 l_k^2), so the slope is 2 rho). */
static double saferl_gp__rho_slope(saferl_gp_kernel kernel, double r2) {
    double r;
    switch (kernel) {
    case SAFERL_GP_MATERN32:
        r = 1.7320508075688772 * sqrt(r2);
        return 3.0 * saferl_gp__exp_nonpositive(-r);
    case SAFERL_GP_MATERN52:
        r = 2.2360679774997897 * sqrt(r2);
        return (5.0 / 3.0) * (1.0 + r) * saferl_gp__exp_nonpositive(-r);
    default:
        return 2.0 * saferl_gp__exp_nonpositive(-r2);
    }
}

/* out[i] = squared scaled distance from x to points[i] (both unscaled; dim > 16), summed over
   the dimensions in order from 0 (saferl_gp__r2's order, so the same bits): one pass per
   dimension over contiguous outputs, so that the loop over points vectorises. */
SAFERL_GP__INLINE void saferl_gp__r2_row(const double *x, const double *points, uint32_t count,
                                         const double *scale, uint32_t dim, double *out) {
    uint32_t i, k;
    for (i = 0; i < count; ++i) out[i] = 0.0;
    for (k = 0; k < dim; ++k) {
        const double sk = scale[k], xk = x[k] * sk;
        const double *column = points + k;
        for (i = 0; i < count; ++i) {
            double t = xk - column[(size_t)i * dim] * sk;
            out[i] += t * t;
        }
    }
}

/* The same from scaled coordinates: x and at most 64 points stored by dimension
   (columns[k 64 + i] = scaled coordinate k of point i), so that every load is contiguous and
   each pair costs a subtraction, a square and an add a dimension. For dim 1 to 4, a constant
   once inlined, each distance stays in a register; beyond, one pass per dimension. */
SAFERL_GP__INLINE void saferl_gp__r2_columns(const double *x, const double *columns, uint32_t count, const uint32_t dim,
                                             double *out) {
    uint32_t i, k;
    if (dim > 4) {
        for (i = 0; i < count; ++i) out[i] = 0.0;
        for (k = 0; k < dim; ++k) {
            const double xk = x[k], *column = columns + k * 64;
            for (i = 0; i < count; ++i) {
                double t = xk - column[i];
                out[i] += t * t;
            }
        }
        return;
    }
    for (i = 0; i < count; ++i) {
        double s = 0.0;
        for (k = 0; k < dim; ++k) {
            double t = x[k] - columns[k * 64 + i];
            s += t * t;
        }
        out[i] = s;
    }
}

/* columns[k 64 + i] := scale[k] points[i][k] for count <= 64 points (rows of dim <= 16), and
   zeros for the pad up to `padded` */
SAFERL_GP__INLINE void saferl_gp__scaled_columns(const double *points, uint32_t count, uint32_t padded,
                                                 const double *scale, uint32_t dim, double *columns) {
    uint32_t i, k;
    for (k = 0; k < dim; ++k) {
        const double sk = scale[k];
        for (i = 0; i < count; ++i) columns[k * 64 + i] = points[(size_t)i * dim + k] * sk;
        for (; i < padded; ++i) columns[k * 64 + i] = 0.0;
    }
}

/* Rows of the kernel matrix: out + r ldo = k(x_r, points) for rows query rows x_r (rows of
   dim), count points, both unscaled (scale: the kernel's input scale): the mean and variance
   paths' kernel blocks in one call. 64 points at a time; for d <= 16 they are first copied by
   dimension and scaled (interleaved coordinates would cost shuffles or strided loads on every
   row), each row scaled once, then each row's distances and kernel values are computed while
   in the L1 cache. */
SAFERL_GP__BODY void saferl_gp__kernel_rows_body(const int copy, saferl_gp_kernel kernel, double signal_variance,
                                                 const double *scale, uint32_t dim, const double *x, uint32_t rows,
                                                 const double *points, uint32_t count, double *out, size_t ldo,
                                                 const double *alpha, double *mean) {
    double columns[16 * 64], xs[16];
    uint32_t r, c0, k;
    for (c0 = 0; c0 < count; c0 += 64) {
        const uint32_t block = count - c0 < 64 ? count - c0 : 64;
        const double *p = points + (size_t)c0 * dim;
        if (dim <= 16) saferl_gp__scaled_columns(p, block, block, scale, dim, columns);
        for (r = 0; r < rows; ++r) {
            const double *xr = x + (size_t)r * dim;
            double *row = out + (size_t)r * ldo + c0;
            if (dim <= 16)
                for (k = 0; k < dim; ++k) xs[k] = xr[k] * scale[k];
            switch (dim) {
            case 1: saferl_gp__r2_columns(xs, columns, block, 1, row); break;
            case 2: saferl_gp__r2_columns(xs, columns, block, 2, row); break;
            case 3: saferl_gp__r2_columns(xs, columns, block, 3, row); break;
            case 4: saferl_gp__r2_columns(xs, columns, block, 4, row); break;
            default:
                if (dim <= 16) saferl_gp__r2_columns(xs, columns, block, dim, row);
                else saferl_gp__r2_row(xr, p, block, scale, dim, row);
            }
            saferl_gp__rho_row_body(copy, kernel, signal_variance, row, block);
            /* the mean: every four rows, and the rows left at the end, while in the L1 cache */
            if (mean && (r % 4 == 3 || r + 1 == rows)) {
                const uint32_t first = r - r % 4;
                saferl_gp__add_rows_body(mean + c0, out + (size_t)first * ldo + c0, ldo, alpha + first, 1, 1.0,
                                         r + 1 - first, block);
            }
        }
    }
}

SAFERL_GP__DISPATCHED_WIDE_VOID(saferl_gp__rho_row, (saferl_gp_kernel kernel, double signal_variance, double *v, uint32_t count),
                           (kernel, signal_variance, v, count))
SAFERL_GP__DISPATCHED_WIDE_VOID(saferl_gp__kernel_rows,
                           (saferl_gp_kernel kernel, double signal_variance, const double *scale, uint32_t dim,
                            const double *x, uint32_t rows, const double *points, uint32_t count, double *out,
                            size_t ldo, const double *alpha, double *mean),
                           (kernel, signal_variance, scale, dim, x, rows, points, count, out, ldo, alpha, mean))

#if defined(SAFERL_GP__WIDE_TILE) && SAFERL_GP__PIPELINED
/* saferl_gp_predict's AVX-512 path for the RBF kernel: the kernel block's values computed
   inside the variance solve's k loops, so that the exp's operations issue beside the tiles'
   FMAs instead of in a pass of their own (0.4.11: 1-2% faster at n = 25 to 200; the multiply
   pipes the exp needs are the ones the FMAs fill, so little more can be hidden). The next
   row group's kernel values in the 16 columns of a tile, a row (two vectors of 8) at a
   time. */
typedef struct {
    const double *points;              /* the group's first training point, scaled (rows of dim) */
    const double *columns;             /* the tile's scaled queries by dimension (stride 64), the pad's zero */
    const double *alpha;               /* the group's first */
    double *out, *mean;                /* the group's first row of V and the mean, at the tile */
    size_t ldv;
    double signal_variance;
    uint32_t dim, rows, lanes;         /* rows: 6 or 0; lanes: the tile's real queries (<= 16) */
} saferl_gp__next_rows;

/* row j's two vectors reduced: saferl_gp__r2_columns' and saferl_gp__rho_block's operations
   (RBF) */
__attribute__((target("avx512f"))) SAFERL_GP__INLINE void saferl_gp__next_reduce(const saferl_gp__next_rows *g,
                                                                                 uint32_t j, __m512d *r,
                                                                                 __m512i *t_bits, __mmask8 *keep) {
    const double *x = g->points + (size_t)j * g->dim;
    /* the sums start at their first squares: 0 + t^2 is t^2 (t^2 is not -0), so the same bits
       as the other paths' sums from 0, an add fewer a vector */
    __m512d xk = _mm512_set1_pd(x[0]);
    __m512d t = _mm512_sub_pd(xk, _mm512_loadu_pd(g->columns));
    __m512d u = _mm512_sub_pd(xk, _mm512_loadu_pd(g->columns + 8));
    __m512d low = _mm512_mul_pd(t, t), high = _mm512_mul_pd(u, u);
    uint32_t k;
    for (k = 1; k < g->dim; ++k) {
        xk = _mm512_set1_pd(x[k]);
        t = _mm512_sub_pd(xk, _mm512_loadu_pd(g->columns + k * 64));
        u = _mm512_sub_pd(xk, _mm512_loadu_pd(g->columns + k * 64 + 8));
        low = _mm512_add_pd(low, _mm512_mul_pd(t, t));
        high = _mm512_add_pd(high, _mm512_mul_pd(u, u));
    }
    /* e^-r2: the exp's reduction takes -|x|, and the scale holds the -1/2 */
    r[0] = saferl_gp__exp_reduce_vector(low, &t_bits[0], &keep[0]);
    r[1] = saferl_gp__exp_reduce_vector(high, &t_bits[1], &keep[1]);
}

/* the mask of a tile's real queries among the 8 from c on */
SAFERL_GP__INLINE __mmask8 saferl_gp__next_lanes(const saferl_gp__next_rows *g, uint32_t c) {
    const uint32_t count = g->lanes >= c + 8 ? 8 : g->lanes > c ? g->lanes - c : 0;
    return (__mmask8)((1u << count) - 1u);
}

/* row j finished: its kernel values into V (the real queries' lanes; the pad's stay zero)
   and their terms added to the tile's mean, held in two registers (a masked store does not
   forward to the next load) */
__attribute__((target("avx512f"))) SAFERL_GP__INLINE void saferl_gp__next_finish(const saferl_gp__next_rows *g,
                                                                                 uint32_t j, const __m512d *r,
                                                                                 const __m512i *t_bits, const __mmask8 *keep,
                                                                                 __mmask8 lanes_low, __mmask8 lanes_high,
                                                                                 __m512d *mean_low, __m512d *mean_high) {
    const __m512d s2 = _mm512_set1_pd(g->signal_variance), a = _mm512_set1_pd(g->alpha[j]);
    __m512d table_low, table_high, low, high;
    saferl_gp__exp_table_wide(&table_low, &table_high);
    low = saferl_gp__exp_finish_vector(r[0], t_bits[0], keep[0], table_low, table_high, s2);
    high = saferl_gp__exp_finish_vector(r[1], t_bits[1], keep[1], table_low, table_high, s2);
    double *out = g->out + (size_t)j * g->ldv;
    _mm512_mask_storeu_pd(out, lanes_low, low);
    _mm512_mask_storeu_pd(out + 8, lanes_high, high);
    *mean_low = _mm512_add_pd(*mean_low, _mm512_mul_pd(a, low));
    *mean_high = _mm512_add_pd(*mean_high, _mm512_mul_pd(a, high));
}

/* Pipelined: a step (every SAFERL_GP__NEXT_EVERY k steps) finishes the row reduced at the step
   before and reduces the next, so that the exp's chain of some 50 cycles is not waited for;
   the rows left when the k loop ends go in two passes. Rows go in order, so each query's mean
   gets its terms in the order r = 0, 1, ... as in the kernel rows (the same bits). */
#define SAFERL_GP__NEXT_EVERY 4 /* k steps at least between two (2: n = 50 2-5% slower) */
#define SAFERL_GP__NEXT_ROWS_PARAMETER , const saferl_gp__next_rows *next
#define SAFERL_GP__NEXT_ROWS_START                                                                                 \
    __m512d held_r[2], mean_low, mean_high;                                                                        \
    __m512i held_t[2];                                                                                             \
    __mmask8 held_keep[2] = {0, 0};                                                                                \
    /* the 6 rows spread over the i k steps */                                                                    \
    uint32_t row = 0, spacing = i / 7 > SAFERL_GP__NEXT_EVERY ? i / 7 : SAFERL_GP__NEXT_EVERY,                    \
             step_at = spacing - 1;                                                                                \
    const __mmask8 lanes_low = saferl_gp__next_lanes(next, 0), lanes_high = saferl_gp__next_lanes(next, 8);        \
    held_r[0] = held_r[1] = _mm512_setzero_pd(); /* read before written only in GCC's eyes */                     \
    held_t[0] = held_t[1] = _mm512_setzero_si512();                                                                \
    mean_low = _mm512_maskz_loadu_pd(lanes_low, next->mean);                                                       \
    mean_high = _mm512_maskz_loadu_pd(lanes_high, next->mean + 8);
#define SAFERL_GP__NEXT_ROWS_STEP(k)                                                                               \
    if ((k) == step_at && row < next->rows) {                                                                      \
        step_at += spacing;                                                                                        \
        __m512d r[2];                                                                                              \
        __m512i t_bits[2];                                                                                         \
        __mmask8 keep[2];                                                                                          \
        saferl_gp__next_reduce(next, row, r, t_bits, keep);                                                        \
        if (row)                                                                                                   \
            saferl_gp__next_finish(next, row - 1, held_r, held_t, held_keep, lanes_low, lanes_high, &mean_low,     \
                                   &mean_high);                                                                    \
        held_r[0] = r[0];                                                                                          \
        held_r[1] = r[1];                                                                                          \
        held_t[0] = t_bits[0];                                                                                     \
        held_t[1] = t_bits[1];                                                                                     \
        held_keep[0] = keep[0];                                                                                    \
        held_keep[1] = keep[1];                                                                                    \
        ++row;                                                                                                     \
    }
#define SAFERL_GP__NEXT_ROWS_END(i)                                                                                \
    {                                                                                                              \
        __m512d reduced[12];                                                                                       \
        __m512i t_bits[12];                                                                                        \
        __mmask8 keep[12];                                                                                         \
        uint32_t j;                                                                                                \
        for (j = row; j < next->rows; ++j)                                                                         \
            saferl_gp__next_reduce(next, j, reduced + 2 * j, t_bits + 2 * j, keep + 2 * j);                        \
        if (row)                                                                                                   \
            saferl_gp__next_finish(next, row - 1, held_r, held_t, held_keep, lanes_low, lanes_high, &mean_low,     \
                                   &mean_high);                                                                    \
        for (j = row; j < next->rows; ++j)                                                                         \
            saferl_gp__next_finish(next, j, reduced + 2 * j, t_bits + 2 * j, keep + 2 * j, lanes_low, lanes_high,  \
                                   &mean_low, &mean_high);                                                         \
        if (next->rows) {                                                                                          \
            _mm512_mask_storeu_pd(next->mean, lanes_low, mean_low);                                                \
            _mm512_mask_storeu_pd(next->mean + 8, lanes_high, mean_high);                                          \
        }                                                                                                          \
    }
/* always inlined, so that dim is a constant in the callers that make it one */
#define SAFERL_GP__WIDE_INLINE_PREFIX __attribute__((target("avx512f,avx2,fma"))) SAFERL_GP__INLINE
SAFERL_GP__SOLVE_TILE_STEPPING(saferl_gp__solve_tile16_fused_next, saferl_gp__vector8, SAFERL_GP__WIDE_INLINE_PREFIX,
                               SAFERL_GP__MS_WIDE, SAFERL_GP__MA_WIDE, SAFERL_GP__NEXT_ROWS_PARAMETER,
                               SAFERL_GP__NEXT_ROWS_START, SAFERL_GP__NEXT_ROWS_STEP, SAFERL_GP__NEXT_ROWS_END)

/* saferl_gp_predict's block for the RBF kernel on a CPU with AVX-512 and FMA: V := L^-1 K
   with sums[q] = sum_i V_iq^2 and mean[q] += sum_i alpha_i K_iq (unscaled), K = k(points,
   queries) of cols queries (dim <= 16) in rows padded to ldv, a multiple of 16, with zeros.
   The same operations as saferl_gp__kernel_rows and saferl_gp__solve_columns_fused, in
   another order: the rows of each 6-row group are computed during the tiles of the group
   before it (each tile its own columns), which read only the rows above them. */
__attribute__((target("avx512f,avx2,fma"))) SAFERL_GP__INLINE void saferl_gp__predict_block_pipelined_body(
    const double *l, size_t ld, uint32_t n, const double *points, const double *scaled_points, const double *queries,
    uint32_t cols, const uint32_t dim, const double *scale, double signal_variance, const double *alpha, double *v,
    size_t ldv, double *mean, double *sums) {
    double columns[16 * 64];
    saferl_gp__next_rows next;
    uint32_t i, q, r, head = n % 6, first = head + 6 < n ? head + 6 : n;
    saferl_gp__scaled_columns(queries, cols, (uint32_t)ldv, scale, dim, columns);
    for (r = 0; r < n; ++r) memset(v + (size_t)r * ldv + cols, 0, (ldv - cols) * sizeof(double));
    for (q = 0; q < ldv; ++q) sums[q] = 0.0;
    saferl_gp__kernel_rows_body(1, SAFERL_GP_RBF, signal_variance, scale, dim, points, first, queries, cols, v, ldv,
                                alpha, mean);
    saferl_gp__solve_head_rows(l, ld, head, v, ldv, 0, (uint32_t)ldv, sums, 1);
    next.ldv = ldv;
    next.signal_variance = signal_variance;
    next.dim = dim;
    for (i = head; i < n; i += 6) {
        const double *l0 = l + (size_t)i * ld;
        double inverse[6];
        for (r = 0; r < 6; ++r) inverse[r] = 1.0 / l0[(size_t)r * ld + i + r];
        next.points = scaled_points + (size_t)(i + 6) * dim;
        next.alpha = alpha + i + 6;
        next.rows = i + 6 < n ? 6 : 0;
        for (q = 0; q < ldv; q += 16) {
            next.columns = columns + q;
            next.out = v + (size_t)(i + 6) * ldv + q;
            next.mean = mean + q;
            next.lanes = cols > q + 16 ? 16 : cols > q ? cols - q : 0;
            saferl_gp__solve_tile16_fused_next(l0, ld, i, inverse, v, ldv, q, sums, &next);
        }
    }
}
/* the body with dim 1 to 4 a constant (each distance then a few vector operations) */
__attribute__((target("avx512f,avx2,fma"))) static void saferl_gp__predict_block_pipelined(
    const double *l, size_t ld, uint32_t n, const double *points, const double *scaled_points, const double *queries,
    uint32_t cols, uint32_t dim, const double *scale, double signal_variance, const double *alpha, double *v,
    size_t ldv, double *mean, double *sums) {
#define SAFERL_GP__PIPELINED_FOR(d)                                                                                \
    saferl_gp__predict_block_pipelined_body(l, ld, n, points, scaled_points, queries, cols, d, scale,               \
                                            signal_variance, alpha, v, ldv, mean, sums)
    switch (dim) {
    case 1: SAFERL_GP__PIPELINED_FOR(1); break;
    case 2: SAFERL_GP__PIPELINED_FOR(2); break;
    case 3: SAFERL_GP__PIPELINED_FOR(3); break;
    case 4: SAFERL_GP__PIPELINED_FOR(4); break;
    default: SAFERL_GP__PIPELINED_FOR(dim);
    }
#undef SAFERL_GP__PIPELINED_FOR
}
#endif

SAFERL_GP_API double saferl_gp_kernel_value(const saferl_gp *gp, const double *a, const double *b) {
    return gp->signal_variance * saferl_gp__rho(gp->kernel, saferl_gp__r2(a, b, gp->input_scale, gp->dim));
}

/* out[r ldo + i] = k(x_r, points[i]) for rows query points x_r and count points; with mean,
   also mean[i] += sum_r alpha_r out[r ldo + i], added in the order r = 0, 1, .. as
   saferl_gp__add_rows would (the same bits), each row while it is in the L1 cache. */
static void saferl_gp__kernel_block(const saferl_gp *gp, const double *x, uint32_t rows, const double *points,
                                    uint32_t count, double *out, size_t ldo, const double *alpha, double *mean) {
    saferl_gp__kernel_rows(gp->kernel, gp->signal_variance, gp->input_scale, gp->dim, x, rows, points, count, out, ldo,
                           alpha, mean);
}

/* out[i] = k(x, points[i]) for count points. */
static void saferl_gp__kernel_row(const saferl_gp *gp, const double *x, const double *points, uint32_t count,
                                  double *out) {
    saferl_gp__kernel_block(gp, x, 1, points, count, out, count, NULL, NULL);
}

/* ---- the GP --------------------------------------------------------------------------------- */

SAFERL_GP_API saferl_gp_desc saferl_gp_desc_defaults(const saferl_gp_desc *desc) {
    saferl_gp_desc d;
    if (desc) d = *desc;
    else memset(&d, 0, sizeof d);
    if (d.capacity == 0) d.capacity = 128;
    if (d.signal_variance == 0.0) d.signal_variance = 1.0;
    if (d.noise_variance == 0.0) d.noise_variance = 1e-10;
    if (d.y_scale == 0.0) d.y_scale = 1.0;
    return d;
}

static saferl_result saferl_gp__check_desc(const saferl_gp_desc *d) {
    uint32_t i, count;
    if (d->dim == 0 || d->dim > 1000000u) return SAFERL_ERR_INVALID_ARGUMENT;
    if (d->ard && d->dim > SAFERL_GP__MAX_ARD) return SAFERL_ERR_UNSUPPORTED;
    if (d->capacity > SAFERL_GP__MAX_CAPACITY) return SAFERL_ERR_INVALID_ARGUMENT;
    if ((int)d->kernel < 0 || (int)d->kernel > 2) return SAFERL_ERR_INVALID_ARGUMENT;
    if (!saferl_gp__is_finite(d->signal_variance) || !saferl_gp__is_finite(d->noise_variance) ||
        !saferl_gp__is_finite(d->y_offset) || !saferl_gp__is_finite(d->y_scale))
        return SAFERL_ERR_NOT_FINITE;
    if (!saferl_gp__is_scale(d->signal_variance) || !saferl_gp__is_scale(d->y_scale) ||
        !(d->noise_variance == 0.0 || saferl_gp__is_scale(d->noise_variance)))
        return SAFERL_ERR_INVALID_ARGUMENT;
    count = d->ard ? d->dim : 1;
    if (d->lengthscale)
        for (i = 0; i < count; ++i) {
            if (!saferl_gp__is_finite(d->lengthscale[i])) return SAFERL_ERR_NOT_FINITE;
            if (!saferl_gp__is_scale(d->lengthscale[i])) return SAFERL_ERR_INVALID_ARGUMENT;
        }
    return SAFERL_OK;
}

static void saferl_gp__layout(saferl_gp *gp, saferl_gp__arena *arena, uint32_t dim, uint32_t capacity) {
    size_t cap = capacity;
    gp->lengthscale = (double *)saferl_gp__take(arena, dim, sizeof(double));
    gp->inverse_lengthscale = (double *)saferl_gp__take(arena, dim, sizeof(double));
    gp->input_scale = (double *)saferl_gp__take(arena, dim, sizeof(double));
    gp->x = (double *)saferl_gp__take(arena, cap, (size_t)dim * sizeof(double));
    gp->x_scaled = (double *)saferl_gp__take(arena, cap, (size_t)dim * sizeof(double));
    gp->y = (double *)saferl_gp__take(arena, cap, sizeof(double));
    gp->cholesky = (double *)saferl_gp__take(arena, cap * cap, sizeof(double));
    gp->spare = (double *)saferl_gp__take(arena, cap * cap, sizeof(double));
    gp->alpha = (double *)saferl_gp__take(arena, cap, sizeof(double));
    gp->whitened = (double *)saferl_gp__take(arena, cap, sizeof(double));
    gp->scratch = (double *)saferl_gp__take(arena, 3 * cap + SAFERL_GP_BLOCK, sizeof(double));
    gp->block = (double *)saferl_gp__take(arena, (size_t)SAFERL_GP_BLOCK * cap, sizeof(double));
}

SAFERL_GP_API size_t saferl_gp_memory_size(const saferl_gp_desc *desc) {
    saferl_gp_desc d = saferl_gp_desc_defaults(desc);
    saferl_gp scratch;
    saferl_gp__arena arena = {NULL, 0, 0};
    if (saferl_gp__check_desc(&d) < 0) return 0;
    saferl_gp__layout(&scratch, &arena, d.dim, d.capacity);
    return arena.overflow ? 0 : arena.used + 64u;
}

/* x_scaled's rows first .. first + count - 1 from x's */
static void saferl_gp__scale_points(saferl_gp *gp, uint32_t first, uint32_t count) {
    uint32_t i, k;
    for (i = first; i < first + count; ++i) {
        const double *x = gp->x + (size_t)i * gp->dim;
        double *scaled = gp->x_scaled + (size_t)i * gp->dim;
        for (k = 0; k < gp->dim; ++k) scaled[k] = x[k] * gp->input_scale[k];
    }
}

/* After the lengthscales change: 1 / l, the kernel's input scale (RBF: -1/2 folded in as
   1 / sqrt 2, so that exp's argument is minus the scaled squared distance) and the scaled
   points. */
static void saferl_gp__set_input_scale(saferl_gp *gp) {
    uint32_t k;
    for (k = 0; k < gp->dim; ++k) {
        const double l = gp->lengthscale[gp->lengthscale_count == 1 ? 0 : k];
        gp->inverse_lengthscale[k] = 1.0 / l;
        gp->input_scale[k] = gp->kernel == SAFERL_GP_RBF ? SAFERL_GP__SQRT_HALF / l : 1.0 / l;
    }
    saferl_gp__scale_points(gp, 0, gp->count);
}

SAFERL_GP_API saferl_result saferl_gp_init(saferl_gp *gp, const saferl_gp_desc *desc, void *memory,
                                           size_t memory_size) {
    saferl_gp_desc d = saferl_gp_desc_defaults(desc);
    saferl_gp__arena arena;
    saferl_result r;
    uint32_t k;
    uintptr_t misalign;
    SAFERL_ASSERT(gp != NULL);
    if ((r = saferl_gp__check_desc(&d)) < 0) return r;
    if (!memory || memory_size < saferl_gp_memory_size(&d)) return SAFERL_ERR_BUFFER_TOO_SMALL;
    memset(gp, 0, sizeof *gp);
    misalign = (uintptr_t)memory & 63u;
    arena.base = (unsigned char *)memory + (misalign ? 64u - misalign : 0u);
    arena.used = 0;
    arena.overflow = 0;
    saferl_gp__layout(gp, &arena, d.dim, d.capacity);
    gp->dim = d.dim;
    gp->capacity = d.capacity;
    gp->kernel = d.kernel;
    gp->lengthscale_count = d.ard ? d.dim : 1;
    for (k = 0; k < gp->lengthscale_count; ++k) gp->lengthscale[k] = d.lengthscale ? d.lengthscale[k] : 1.0;
    saferl_gp__set_input_scale(gp);
    gp->signal_variance = d.signal_variance;
    gp->noise_variance = d.noise_variance;
    gp->y_offset = d.y_offset;
    gp->y_scale = d.y_scale;
    gp->allocator = d.allocator;
    return SAFERL_OK;
}

SAFERL_GP_API saferl_result saferl_gp_create(saferl_gp *gp, const saferl_gp_desc *desc) {
    saferl_gp_desc d = saferl_gp_desc_defaults(desc);
    size_t size = saferl_gp_memory_size(&d);
    void *memory;
    saferl_result r;
    SAFERL_ASSERT(gp != NULL);
    if ((r = saferl_gp__check_desc(&d)) < 0) return r;
    if (size == 0) return SAFERL_ERR_INVALID_ARGUMENT;
    memory = saferl_gp__allocate(&d.allocator, size);
    if (!memory) return SAFERL_ERR_OUT_OF_MEMORY;
    r = saferl_gp_init(gp, &d, memory, size);
    if (r < 0) {
        saferl_gp__release(&d.allocator, memory);
        return r;
    }
    gp->owned_memory = memory;
    return SAFERL_OK;
}

SAFERL_GP_API void saferl_gp_destroy(saferl_gp *gp) {
    if (!gp || !gp->owned_memory) return;
    saferl_gp__release(&gp->allocator, gp->owned_memory);
    memset(gp, 0, sizeof *gp);
}

/* Builds A = K + (noise + jitter) I from n points (skipping row `skip`, or none when skip >= n)
   into dst and factors it; on failure grows the jitter (retries of them). Writes the jitter
   used. gp->block is the blocked factor's work. */
static saferl_result saferl_gp__factor(saferl_gp *gp, const double *x, uint32_t n, uint32_t skip, double *dst,
                                       double jitter, int retries, double *jitter_used) {
    size_t ld = gp->capacity;
    uint32_t i, j, rows = skip < n ? n - 1 : n, attempt;
    /* no row skipped and a blocked factor: each of its row blocks computed from the block's
       first point on, so that the rows above a block hold its rows left of it, transposed,
       as the blocked factor wants them (saferl_gp__cholesky, upper); k(a, b) and k(b, a)
       have the same bits: (a - b) and (b - a) differ in sign only */
    const int upper = skip >= n && n > SAFERL_GP__CHOLESKY_ROWS && !saferl_gp__on_blis(n);
    const uint32_t first_block = SAFERL_GP__CHOLESKY_ROWS + n % SAFERL_GP__CHOLESKY_ROWS;
    for (attempt = 0;; ++attempt) {
        uint32_t ri = 0;
        for (i = 0; i < n; ++i) {
            uint32_t rj = 0;
            double *row;
            if (i == skip) continue;
            row = dst + (size_t)ri * ld;
            if (upper) {
                if (i == 0 || (i >= first_block && (i - first_block) % SAFERL_GP__CHOLESKY_ROWS == 0)) {
                    const uint32_t group = i ? SAFERL_GP__CHOLESKY_ROWS : first_block;
                    saferl_gp__kernel_block(gp, x + (size_t)i * gp->dim, group, x + (size_t)i * gp->dim, n - i,
                                            row + i, ld, NULL, NULL);
                }
                rj = i;
            } else if (skip >= n) {
                /* no row skipped: rows i..i+15 in one call (one copy of the points, no call
                   a row), each up to the group's last point; the few values right of the
                   diagonal are never read (L is read as a lower triangle) */
                if (i % 16 == 0) {
                    const uint32_t group = n - i < 16 ? n - i : 16;
                    saferl_gp__kernel_block(gp, x + (size_t)i * gp->dim, group, x, i + group, row, ld, NULL, NULL);
                }
                rj = i;
            } else if (skip >= i) {
                saferl_gp__kernel_row(gp, x + (size_t)i * gp->dim, x, i, row);
                rj = i;
            } else {
                for (j = 0; j < i; ++j)
                    if (j != skip)
                        row[rj++] = saferl_gp__r2(x + (size_t)i * gp->dim, x + (size_t)j * gp->dim, gp->input_scale,
                                                  gp->dim);
                saferl_gp__rho_row(gp->kernel, gp->signal_variance, row, rj);
            }
            row[rj] = gp->signal_variance + gp->noise_variance + jitter;
            ++ri;
        }
        if (saferl_gp__cholesky(dst, rows, ld, gp->block, upper) == 0) break;
        if ((int)attempt >= retries) return SAFERL_ERR_NOT_POSITIVE_DEFINITE;
        jitter = jitter > 0.0 ? 10.0 * jitter : 1e-10 * gp->signal_variance;
    }
    *jitter_used = jitter;
    return SAFERL_OK;
}

/* w = L^-1 (y - m) / scale and alpha = L^-T w for the first n points. */
static void saferl_gp__solve_targets(saferl_gp *gp, const double *l, const double *y, uint32_t n, uint32_t skip,
                                     double *whitened, double *alpha) {
    uint32_t i, k = 0;
    for (i = 0; i < n; ++i)
        if (i != skip) whitened[k++] = (y[i] - gp->y_offset) / gp->y_scale;
    saferl_gp__solve_lower(l, gp->capacity, k, whitened);
    memcpy(alpha, whitened, (size_t)k * sizeof(double));
    saferl_gp__solve_upper(l, gp->capacity, k, alpha);
}

/* Makes the factor in spare (of the n targets y, without row skip) the model's, if the targets
   it whitens are finite: w and alpha are solved into scratch first, so that targets that
   overflow in the normalised units (|y - y_offset| / y_scale beyond 1e308, or a solve that
   does) are refused and the model stays as it was. */
static saferl_result saferl_gp__commit_factor(saferl_gp *gp, const double *y, uint32_t n, uint32_t skip, double jitter) {
    uint32_t rows = skip < n ? n - 1 : n;
    double *whitened = gp->scratch, *alpha = gp->scratch + gp->capacity, *t;
    saferl_gp__solve_targets(gp, gp->spare, y, n, skip, whitened, alpha);
    if (!saferl_gp__all_finite(whitened, rows) || !saferl_gp__all_finite(alpha, rows)) return SAFERL_ERR_NOT_FINITE;
    t = gp->cholesky;
    gp->cholesky = gp->spare;
    gp->spare = t;
    gp->jitter = jitter;
    memcpy(gp->whitened, whitened, (size_t)rows * sizeof(double));
    memcpy(gp->alpha, alpha, (size_t)rows * sizeof(double));
    gp->factor_epoch += 1;
    return SAFERL_OK;
}

/* Factors the current points with the current parameters into spare and commits: the model
   is untouched when it fails. */
static saferl_result saferl_gp__refactor(saferl_gp *gp, double jitter_start) {
    double jitter = 0.0;
    saferl_result r = saferl_gp__factor(gp, gp->x, gp->count, gp->count, gp->spare, jitter_start, 6, &jitter);
    if (r < 0) return r;
    return saferl_gp__commit_factor(gp, gp->y, gp->count, gp->count, jitter);
}

SAFERL_GP_API saferl_result saferl_gp_refit(saferl_gp *gp) {
    SAFERL_ASSERT(gp != NULL && gp->x != NULL);
    return saferl_gp__refactor(gp, 0.0);
}

SAFERL_GP_API saferl_result saferl_gp_set_data(saferl_gp *gp, const double *x, const double *y, uint32_t n) {
    double jitter = 0.0;
    saferl_result r;
    SAFERL_ASSERT(gp != NULL && gp->x != NULL);
    if (n > gp->capacity) return SAFERL_ERR_BUFFER_TOO_SMALL;
    if (n && (!x || !y)) return SAFERL_ERR_INVALID_ARGUMENT;
    if (!saferl_gp__all_finite(x, (size_t)n * gp->dim) || !saferl_gp__all_finite(y, n)) return SAFERL_ERR_NOT_FINITE;
    r = saferl_gp__factor(gp, x, n, n, gp->spare, 0.0, 6, &jitter);
    if (r < 0) return r;
    if ((r = saferl_gp__commit_factor(gp, y, n, n, jitter)) < 0) return r;
    if (n) {
        memmove(gp->x, x, (size_t)n * gp->dim * sizeof(double));
        memmove(gp->y, y, (size_t)n * sizeof(double));
        saferl_gp__scale_points(gp, 0, n);
    }
    gp->count = n;
    return SAFERL_OK;
}

SAFERL_GP_API saferl_result saferl_gp_add(saferl_gp *gp, const double *x, double y) {
    uint32_t n;
    size_t ld;
    double *c, *row, *alpha, kappa, d2, floor_d2, w;
    SAFERL_ASSERT(gp != NULL && gp->x != NULL && x != NULL);
    n = gp->count;
    ld = gp->capacity;
    if (n >= gp->capacity) return SAFERL_ERR_BUFFER_TOO_SMALL;
    if (!saferl_gp__all_finite(x, gp->dim) || !saferl_gp__is_finite(y)) return SAFERL_ERR_NOT_FINITE;
    c = gp->scratch;
    saferl_gp__kernel_row(gp, x, gp->x, n, c);
    saferl_gp__solve_lower(gp->cholesky, ld, n, c);
    kappa = gp->signal_variance + gp->noise_variance + gp->jitter;
    d2 = kappa - saferl_gp__dot(c, c, n);
    floor_d2 = gp->noise_variance + gp->jitter;
    if (d2 < floor_d2) d2 = floor_d2;
    memcpy(gp->x + (size_t)n * gp->dim, x, gp->dim * sizeof(double));
    saferl_gp__scale_points(gp, n, 1);
    gp->y[n] = y;
    if (!(d2 > 1e-12 * kappa)) {
        /* a (near-)duplicate without noise: refactor with jitter rather than divide by ~0 */
        saferl_result r;
        gp->count = n + 1;
        r = saferl_gp__refactor(gp, gp->jitter);
        if (r < 0) gp->count = n;
        return r;
    }
    row = gp->cholesky + (size_t)n * ld; /* past the factor until the count grows */
    memcpy(row, c, (size_t)n * sizeof(double));
    row[n] = sqrt(d2);
    /* alpha into scratch first: a target that overflows in normalised units changes nothing */
    alpha = gp->scratch + ld;
    memcpy(alpha, gp->whitened, (size_t)n * sizeof(double));
    alpha[n] = ((y - gp->y_offset) / gp->y_scale - saferl_gp__dot(c, gp->whitened, n)) / row[n];
    w = alpha[n];
    saferl_gp__solve_upper(gp->cholesky, ld, n + 1, alpha);
    if (!saferl_gp__is_finite(w) || !saferl_gp__all_finite(alpha, n + 1)) return SAFERL_ERR_NOT_FINITE;
    gp->whitened[n] = w;
    memcpy(gp->alpha, alpha, (size_t)(n + 1) * sizeof(double));
    gp->count = n + 1;
    return SAFERL_OK;
}

SAFERL_GP_API saferl_result saferl_gp_remove_last(saferl_gp *gp) {
    SAFERL_ASSERT(gp != NULL);
    if (gp->count == 0) return SAFERL_ERR_NO_DATA;
    gp->count -= 1;
    memcpy(gp->alpha, gp->whitened, (size_t)gp->count * sizeof(double));
    saferl_gp__solve_upper(gp->cholesky, gp->capacity, gp->count, gp->alpha);
    gp->factor_epoch += 1; /* grids recompute: they do not downdate */
    return SAFERL_OK;
}

SAFERL_GP_API saferl_result saferl_gp_remove(saferl_gp *gp, uint32_t index) {
    double jitter = 0.0;
    saferl_result r;
    uint32_t n;
    SAFERL_ASSERT(gp != NULL);
    n = gp->count;
    if (index >= n) return SAFERL_ERR_INVALID_ARGUMENT;
    if (index == n - 1) return saferl_gp_remove_last(gp);
    r = saferl_gp__factor(gp, gp->x, n, index, gp->spare, gp->jitter, 6, &jitter);
    if (r < 0) return r;
    if ((r = saferl_gp__commit_factor(gp, gp->y, n, index, jitter)) < 0) return r;
    memmove(gp->x + (size_t)index * gp->dim, gp->x + (size_t)(index + 1) * gp->dim,
            (size_t)(n - 1 - index) * gp->dim * sizeof(double));
    memmove(gp->x_scaled + (size_t)index * gp->dim, gp->x_scaled + (size_t)(index + 1) * gp->dim,
            (size_t)(n - 1 - index) * gp->dim * sizeof(double));
    memmove(gp->y + index, gp->y + index + 1, (size_t)(n - 1 - index) * sizeof(double));
    gp->count = n - 1;
    return SAFERL_OK;
}

static saferl_result saferl_gp__check_hyperparameters(const saferl_gp *gp, double signal_variance,
                                                      const double *lengthscale, double noise_variance) {
    uint32_t k;
    if (!saferl_gp__is_finite(signal_variance) || !saferl_gp__is_finite(noise_variance)) return SAFERL_ERR_NOT_FINITE;
    if (!saferl_gp__is_scale(signal_variance) || !(noise_variance == 0.0 || saferl_gp__is_scale(noise_variance)))
        return SAFERL_ERR_INVALID_ARGUMENT;
    if (lengthscale)
        for (k = 0; k < gp->lengthscale_count; ++k) {
            if (!saferl_gp__is_finite(lengthscale[k])) return SAFERL_ERR_NOT_FINITE;
            if (!saferl_gp__is_scale(lengthscale[k])) return SAFERL_ERR_INVALID_ARGUMENT;
        }
    return SAFERL_OK;
}

/* Sets parameters (lengthscale may be NULL: unchanged) and refactors; restores on failure. */
static saferl_result saferl_gp__apply(saferl_gp *gp, double signal_variance, const double *lengthscale,
                                      double noise_variance, double y_offset, double y_scale) {
    double old_ls[SAFERL_GP__MAX_ARD], old_s2 = gp->signal_variance, old_noise = gp->noise_variance;
    double old_offset = gp->y_offset, old_scale = gp->y_scale;
    uint32_t k, keep = gp->lengthscale_count;
    saferl_result r;
    for (k = 0; k < keep; ++k) old_ls[k] = gp->lengthscale[k];
    if (lengthscale)
        for (k = 0; k < gp->lengthscale_count; ++k) gp->lengthscale[k] = lengthscale[k];
    gp->signal_variance = signal_variance;
    gp->noise_variance = noise_variance;
    gp->y_offset = y_offset;
    gp->y_scale = y_scale;
    saferl_gp__set_input_scale(gp);
    r = saferl_gp__refactor(gp, 0.0);
    if (r < 0) {
        for (k = 0; k < keep; ++k) gp->lengthscale[k] = old_ls[k];
        gp->signal_variance = old_s2;
        gp->noise_variance = old_noise;
        gp->y_offset = old_offset;
        gp->y_scale = old_scale;
        saferl_gp__set_input_scale(gp);
    }
    return r;
}

SAFERL_GP_API saferl_result saferl_gp_set_hyperparameters(saferl_gp *gp, double signal_variance,
                                                          const double *lengthscale, double noise_variance) {
    saferl_result r;
    SAFERL_ASSERT(gp != NULL);
    if ((r = saferl_gp__check_hyperparameters(gp, signal_variance, lengthscale, noise_variance)) < 0) return r;
    return saferl_gp__apply(gp, signal_variance, lengthscale, noise_variance, gp->y_offset, gp->y_scale);
}

SAFERL_GP_API uint32_t saferl_gp_parameter_count(const saferl_gp *gp) { return gp->lengthscale_count + 2; }

SAFERL_GP_API void saferl_gp_get_log_parameters(const saferl_gp *gp, double *theta) {
    uint32_t k;
    theta[0] = log(gp->signal_variance);
    for (k = 0; k < gp->lengthscale_count; ++k) theta[1 + k] = log(gp->lengthscale[k]);
    theta[1 + gp->lengthscale_count] = log(gp->noise_variance);
}

SAFERL_GP_API saferl_result saferl_gp_set_log_parameters(saferl_gp *gp, const double *theta) {
    double ls[SAFERL_GP__MAX_ARD];
    uint32_t k, p = gp->lengthscale_count;
    if (!saferl_gp__all_finite(theta, p + 2)) return SAFERL_ERR_NOT_FINITE;
    for (k = 0; k < p; ++k) ls[k] = exp(theta[1 + k]);
    return saferl_gp_set_hyperparameters(gp, exp(theta[0]), ls, exp(theta[1 + p]));
}

SAFERL_GP_API saferl_result saferl_gp_set_normalization(saferl_gp *gp, double y_offset, double y_scale) {
    if (!saferl_gp__is_finite(y_offset) || !saferl_gp__is_finite(y_scale)) return SAFERL_ERR_NOT_FINITE;
    if (!saferl_gp__is_scale(y_scale)) return SAFERL_ERR_INVALID_ARGUMENT;
    return saferl_gp__apply(gp, gp->signal_variance, NULL, gp->noise_variance, y_offset, y_scale);
}

SAFERL_GP_API saferl_result saferl_gp_normalize_from_data(saferl_gp *gp) {
    double mean = 0.0, var = 0.0, sd;
    uint32_t i, n = gp->count;
    if (n == 0) return SAFERL_ERR_NO_DATA;
    for (i = 0; i < n; ++i) mean += gp->y[i];
    mean /= n;
    for (i = 0; i < n; ++i) var += (gp->y[i] - mean) * (gp->y[i] - mean);
    sd = sqrt(var / n);
    if (!(sd > 10.0 * 2.220446049250313e-16 * (fabs(mean) > 1.0 ? fabs(mean) : 1.0))) sd = 1.0;
    return saferl_gp_set_normalization(gp, mean, sd);
}

/* ---- prediction ----------------------------------------------------------------------------- */

SAFERL_GP_API size_t saferl_gp_predict_work_count(const saferl_gp *gp) {
    return (size_t)SAFERL_GP_BLOCK * gp->capacity;
}

SAFERL_GP_API saferl_result saferl_gp_predict_with_work(const saferl_gp *gp, const double *x, uint32_t m, double *mean,
                                                        double *var, double *work, size_t work_count) {
    uint32_t start, q, n, dim, tile;
    size_t ld, width;
    double padded_sums[SAFERL_GP_BLOCK];
    const double scale2 = gp->y_scale * gp->y_scale;
    SAFERL_ASSERT(gp != NULL && gp->x != NULL);
    if (m && (!x || !mean)) return SAFERL_ERR_INVALID_ARGUMENT;
    n = gp->count;
    dim = gp->dim;
    ld = gp->capacity;
    if (!saferl_gp__all_finite(x, (size_t)m * dim)) return SAFERL_ERR_NOT_FINITE;
    /* Queries in blocks of `width`, stored transposed (row i = k(x_i, block)) so that the
       triangular solve runs along contiguous rows for every query of the block at once.
       Own tiles: at most SAFERL_GP_BLOCK a block (the solve keeps them in cache). On BLIS:
       as wide as the work holds, so that trsm reads L once for many queries. The mean is
       accumulated while each kernel row is in cache; the variance reduction comes out of the
       solve (saferl_gp__solve_columns' column sums). */
    width = n ? work_count / n : SAFERL_GP_BLOCK;
    if (width > SAFERL_GP_BLOCK && !saferl_gp__on_blis(n)) width = SAFERL_GP_BLOCK;
    if (m && (width == 0 || !work)) return SAFERL_ERR_BUFFER_TOO_SMALL;
    tile = saferl_gp__fused_solve_tile();
    for (start = 0; start < m; start += (uint32_t)width) {
        uint32_t cols = (size_t)(m - start) < width ? m - start : (uint32_t)width;
        double *mean_block = mean + start, *sums;
        /* A block narrower than a whole number of the solve's tiles (the last one, or all of a
           small m) is stored with its rows padded to whole tiles, the pad zero: the solve then
           runs its tiles over the pad instead of taking the real columns left over one at a
           time. Each column's operations do not depend on the others', so the same bits. */
        size_t ldw = (cols + tile - 1) / tile * tile;
        if (!var || ldw > width || ldw > SAFERL_GP_BLOCK || cols % tile < SAFERL_GP__PAD_FROM) ldw = cols;
        for (q = 0; q < cols; ++q) mean_block[q] = 0.0;
        sums = NULL; /* set when the kernel block and the solve went as one (AVX-512, RBF) */
#if defined(SAFERL_GP__WIDE_TILE) && SAFERL_GP__PIPELINED
        if (var && !saferl_gp__on_blis(n) && tile == 16 && ldw % 16 == 0 && gp->kernel == SAFERL_GP_RBF &&
            dim <= 16 && n >= 6 && saferl_gp__have_fma()) {
            saferl_gp__predict_block_pipelined(gp->cholesky, ld, n, gp->x, gp->x_scaled, x + (size_t)start * dim, cols,
                                               dim, gp->input_scale, gp->signal_variance, gp->alpha, work, ldw,
                                               mean_block, padded_sums);
            sums = padded_sums;
        }
#endif
        if (!sums) saferl_gp__kernel_block(gp, gp->x, n, x + (size_t)start * dim, cols, work, ldw, gp->alpha, mean_block);
        for (q = 0; q < cols; ++q) mean_block[q] = gp->y_offset + gp->y_scale * mean_block[q];
        if (!var) continue;
        if (!sums) {
            sums = var + start;
            if (ldw > cols) {
                for (q = 0; q < n; ++q) memset(work + (size_t)q * ldw + cols, 0, (ldw - cols) * sizeof(double));
                sums = padded_sums;
            }
            saferl_gp__solve_block(gp->cholesky, ld, n, work, ldw, (uint32_t)ldw, sums, 1);
        }
        for (q = 0; q < cols; ++q) {
            double s = gp->signal_variance - sums[q];
            var[start + q] = s > 0.0 ? scale2 * s : 0.0;
        }
    }
    /* finite inputs can still overflow on the way (|y| near 1e308 with a small y_scale...) */
    if (!saferl_gp__all_finite(mean, m) || (var && !saferl_gp__all_finite(var, m))) return SAFERL_ERR_NOT_FINITE;
    return SAFERL_OK;
}

SAFERL_GP_API saferl_result saferl_gp_predict(saferl_gp *gp, const double *x, uint32_t m, double *mean, double *var) {
    SAFERL_ASSERT(gp != NULL && gp->x != NULL);
#if defined(SAFERL_USE_BLIS)
    /* spare is the wider buffer: one trsm for more queries */
    if (gp->capacity > SAFERL_GP_BLOCK && saferl_gp__on_blis(gp->count))
        return saferl_gp_predict_with_work(gp, x, m, mean, var, gp->spare, (size_t)gp->capacity * gp->capacity);
#endif
    return saferl_gp_predict_with_work(gp, x, m, mean, var, gp->block, saferl_gp_predict_work_count(gp));
}

SAFERL_GP_API saferl_result saferl_gp_predict_covariance(const saferl_gp *gp, const double *x, uint32_t m,
                                                         double *mean, double *covariance, double *work,
                                                         size_t work_count) {
    uint32_t a, b, n, dim;
    double s2;
    SAFERL_ASSERT(gp != NULL);
    n = gp->count;
    dim = gp->dim;
    if (m && (!x || !covariance)) return SAFERL_ERR_INVALID_ARGUMENT;
    if (work_count < (size_t)m * n || (m && n && !work)) return SAFERL_ERR_BUFFER_TOO_SMALL;
    if (!saferl_gp__all_finite(x, (size_t)m * dim)) return SAFERL_ERR_NOT_FINITE;
    for (a = 0; a < m; ++a) {
        double *v = work + (size_t)a * n;
        saferl_gp__kernel_row(gp, x + (size_t)a * dim, gp->x, n, v);
        if (mean) mean[a] = gp->y_offset + gp->y_scale * saferl_gp__dot(v, gp->alpha, n);
    }
    saferl_gp__solve_rows(gp->cholesky, gp->capacity, n, work, n, m);
    s2 = gp->y_scale * gp->y_scale;
    for (a = 0; a < m; ++a)
        for (b = 0; b <= a; ++b) {
            double c = saferl_gp_kernel_value(gp, x + (size_t)a * dim, x + (size_t)b * dim) -
                       saferl_gp__dot(work + (size_t)a * n, work + (size_t)b * n, n);
            if (a == b && c < 0.0) c = 0.0;
            covariance[(size_t)a * m + b] = covariance[(size_t)b * m + a] = s2 * c;
        }
    return SAFERL_OK;
}

/* ---- log marginal likelihood ------------------------------------------------------------------ */

static double saferl_gp__lml_of_factor(const saferl_gp *gp) {
    uint32_t i, n = gp->count;
    double s = -0.5 * saferl_gp__dot(gp->whitened, gp->whitened, n) - 0.5 * n * SAFERL_GP__LOG_2PI;
    for (i = 0; i < n; ++i) s -= log(gp->cholesky[(size_t)i * gp->capacity + i]);
    return s;
}

SAFERL_GP_API saferl_result saferl_gp_log_marginal_likelihood(const saferl_gp *gp, double *lml) {
    SAFERL_ASSERT(gp != NULL && lml != NULL);
    *lml = saferl_gp__lml_of_factor(gp);
    return saferl_gp__is_finite(*lml) ? SAFERL_OK : SAFERL_ERR_NOT_FINITE; /* w.w overflowed */
}

/* Gradient of the LML for the current factor. spare receives A^-1 (lower), computed as
   L^-1 then row by row of L^-T L^-1, each row written over the L^-1 row it no longer needs. */
static void saferl_gp__lml_gradient_of_factor(saferl_gp *gp, double *gradient) {
    uint32_t n = gp->count, p = gp->lengthscale_count, dim = gp->dim, a, b, k;
    size_t ld = gp->capacity;
    double *inv = gp->spare, *tmp = gp->scratch, dsum[SAFERL_GP__MAX_ARD];
    const double *l = gp->cholesky, *alpha = gp->alpha;
    double g_signal = 0.0, g_noise = 0.0;
    /* L^-1, row by row: row_i = (e_i - sum_k<i L_ik row_k) / L_ii */
    for (a = 0; a < n; ++a) {
        double *row = inv + (size_t)a * ld;
        const double *lrow = l + (size_t)a * ld;
        memset(row, 0, (size_t)(a + 1) * sizeof(double));
        row[a] = 1.0;
        for (k = 0; k < a; ++k) saferl_gp__axpy(-lrow[k], inv + (size_t)k * ld, row, k + 1);
        for (k = 0; k <= a; ++k) row[k] /= lrow[a];
    }
    /* A^-1[a][b] = sum_{k >= a} Linv[k][a] Linv[k][b], b <= a */
    for (a = 0; a < n; ++a) {
        memset(tmp, 0, (size_t)(a + 1) * sizeof(double));
        for (k = a; k < n; ++k) {
            const double *row = inv + (size_t)k * ld;
            saferl_gp__axpy(row[a], row, tmp, a + 1);
        }
        memcpy(inv + (size_t)a * ld, tmp, (size_t)(a + 1) * sizeof(double));
    }
    for (k = 0; k < p; ++k) gradient[1 + k] = 0.0;
    for (a = 0; a < n; ++a) {
        const double *xa = gp->x + (size_t)a * dim;
        const double *inv_row = inv + (size_t)a * ld;
        for (b = 0; b < a; ++b) {
            const double *xb = gp->x + (size_t)b * dim;
            double w = 2.0 * (alpha[a] * alpha[b] - inv_row[b]); /* off-diagonal counts twice */
            double r2 = saferl_gp__r2(xa, xb, gp->input_scale, dim);
            double kab = gp->signal_variance * saferl_gp__rho(gp->kernel, r2);
            double slope = gp->signal_variance * saferl_gp__rho_slope(gp->kernel, r2) * w;
            g_signal += w * kab;
            if (p == 1) {
                gradient[1] += slope * r2;
            } else {
                for (k = 0; k < dim; ++k) {
                    double t = xa[k] * gp->input_scale[k] - xb[k] * gp->input_scale[k];
                    dsum[k] = t * t;
                }
                for (k = 0; k < dim; ++k) gradient[1 + k] += slope * dsum[k];
            }
        }
        {
            double w = alpha[a] * alpha[a] - inv_row[a];
            g_signal += w * gp->signal_variance;
            g_noise += w;
        }
    }
    gradient[0] = 0.5 * g_signal;
    for (k = 0; k < p; ++k) gradient[1 + k] *= 0.5;
    gradient[1 + p] = 0.5 * g_noise * gp->noise_variance;
}

SAFERL_GP_API saferl_result saferl_gp_log_marginal_likelihood_gradient(saferl_gp *gp, double *lml,
                                                                       double *gradient) {
    double value;
    SAFERL_ASSERT(gp != NULL && gradient != NULL);
    value = saferl_gp__lml_of_factor(gp);
    if (lml) *lml = value;
    saferl_gp__lml_gradient_of_factor(gp, gradient);
    return saferl_gp__is_finite(value) && saferl_gp__all_finite(gradient, gp->lengthscale_count + 2)
               ? SAFERL_OK
               : SAFERL_ERR_NOT_FINITE;
}

/* ---- fitting (iRprop+ in log space) -------------------------------------------------------------- */

/* Evaluates the LML and gradient at theta, factoring into gp->cholesky (no jitter: a jittered
   likelihood is another function). The parameters are left set to theta. */
static int saferl_gp__fit_evaluate(saferl_gp *gp, const double *theta, double *lml, double *gradient) {
    uint32_t k, p = gp->lengthscale_count;
    double jitter = 0.0;
    gp->signal_variance = exp(theta[0]);
    for (k = 0; k < p; ++k) gp->lengthscale[k] = exp(theta[1 + k]);
    gp->noise_variance = exp(theta[1 + p]);
    saferl_gp__set_input_scale(gp);
    if (saferl_gp__factor(gp, gp->x, gp->count, gp->count, gp->cholesky, 0.0, -1, &jitter) < 0) return 0;
    gp->jitter = 0.0;
    saferl_gp__solve_targets(gp, gp->cholesky, gp->y, gp->count, gp->count, gp->whitened, gp->alpha);
    *lml = saferl_gp__lml_of_factor(gp);
    saferl_gp__lml_gradient_of_factor(gp, gradient);
    return saferl_gp__is_finite(*lml) && saferl_gp__all_finite(gradient, p + 2);
}

SAFERL_GP_API saferl_result saferl_gp_fit(saferl_gp *gp, const saferl_gp_fit_desc *desc, saferl_gp_fit_report *report) {
    enum { MAX_P = SAFERL_GP__MAX_ARD + 2 };
    double lower[MAX_P], upper[MAX_P], theta[MAX_P], start_theta[MAX_P], best_theta[MAX_P], original[MAX_P];
    double grad[MAX_P], prev_grad[MAX_P], step[MAX_P], delta[MAX_P], last_good[MAX_P], last_grad[MAX_P];
    double best = -SAFERL_GP__INF, original_jitter, original_noise;
    unsigned char free_param[MAX_P];
    saferl_gp_fit_desc d;
    saferl_gp_fit_report rep;
    saferl_rng rng;
    uint32_t p, np, s, starts, it, k;
    saferl_result r;
    SAFERL_ASSERT(gp != NULL);
    if (desc) d = *desc;
    else memset(&d, 0, sizeof d);
    memset(&rep, 0, sizeof rep);
    p = gp->lengthscale_count;
    np = p + 2;
    if (np > MAX_P) return SAFERL_ERR_UNSUPPORTED;
    if (gp->count == 0) return SAFERL_ERR_NO_DATA;
    if (d.max_iterations == 0) d.max_iterations = 300;
    {
        const double *bounds[3];
        double defaults[2] = {1e-5, 1e5};
        bounds[0] = d.signal_bounds;
        bounds[1] = d.lengthscale_bounds;
        bounds[2] = d.noise_bounds;
        for (k = 0; k < 3; ++k) {
            const double *bk = (bounds[k][0] == 0.0 && bounds[k][1] == 0.0) ? defaults : bounds[k];
            if (!saferl_gp__is_finite(bk[0]) || !saferl_gp__is_finite(bk[1])) return SAFERL_ERR_NOT_FINITE;
            if (!(bk[0] > 0.0) || !(bk[1] >= bk[0])) return SAFERL_ERR_INVALID_ARGUMENT;
            if (k == 0) { lower[0] = log(bk[0]); upper[0] = log(bk[1]); }
            if (k == 1) for (s = 0; s < p; ++s) { lower[1 + s] = log(bk[0]); upper[1 + s] = log(bk[1]); }
            if (k == 2) { lower[1 + p] = log(bk[0]); upper[1 + p] = log(bk[1]); }
        }
    }
    if (d.starts && !saferl_gp__all_finite(d.starts, (size_t)d.start_count * np)) return SAFERL_ERR_NOT_FINITE;
    saferl_gp_get_log_parameters(gp, original);
    original_noise = gp->noise_variance;
    if (gp->noise_variance == 0.0) original[1 + p] = lower[1 + p];
    original_jitter = gp->jitter;
    for (k = 0; k < np; ++k) free_param[k] = 1;
    if (d.fix_signal) free_param[0] = 0;
    if (d.fix_noise) free_param[1 + p] = 0;
    memcpy(best_theta, original, sizeof(double) * np);
    saferl_rng_seed(&rng, d.seed);
    starts = d.starts ? d.start_count : 1 + d.restarts;
    for (s = 0; s < starts; ++s) {
        double lml = -SAFERL_GP__INF, last_lml;
        int have_good = 0;
        if (d.starts) memcpy(start_theta, d.starts + (size_t)s * np, sizeof(double) * np);
        else if (s == 0) memcpy(start_theta, original, sizeof(double) * np);
        else
            for (k = 0; k < np; ++k)
                start_theta[k] = lower[k] + (upper[k] - lower[k]) * saferl_rng_uniform(&rng);
        for (k = 0; k < np; ++k) {
            if (!free_param[k]) start_theta[k] = original[k];
            theta[k] = start_theta[k] < lower[k] ? lower[k] : start_theta[k] > upper[k] ? upper[k] : start_theta[k];
            prev_grad[k] = 0.0;
            step[k] = 0.0;
            delta[k] = 0.1;
        }
        last_lml = -SAFERL_GP__INF;
        for (it = 0; it < d.max_iterations; ++it) {
            int ok = saferl_gp__fit_evaluate(gp, theta, &lml, grad);
            int moving = 0;
            rep.evaluations += 1;
            if (!ok) {
                if (!have_good) break;
                /* back to the last good point with smaller steps */
                memcpy(theta, last_good, sizeof(double) * np);
                memcpy(grad, last_grad, sizeof(double) * np);
                lml = last_lml;
                for (k = 0; k < np; ++k) {
                    delta[k] *= 0.5;
                    prev_grad[k] = 0.0;
                }
            } else {
                if (lml > best) {
                    best = lml;
                    memcpy(best_theta, theta, sizeof(double) * np);
                    rep.best_start = s;
                }
                memcpy(last_good, theta, sizeof(double) * np);
                memcpy(last_grad, grad, sizeof(double) * np);
                have_good = 1;
            }
            for (k = 0; k < np; ++k) {
                double g = free_param[k] ? grad[k] : 0.0, sign;
                if (g * prev_grad[k] > 0.0) {
                    delta[k] = delta[k] * 1.2 < 1.0 ? delta[k] * 1.2 : 1.0;
                } else if (g * prev_grad[k] < 0.0) {
                    delta[k] *= 0.5;
                    if (ok && lml < last_lml) theta[k] -= step[k]; /* iRprop+: undo a step that hurt */
                    step[k] = 0.0;
                    prev_grad[k] = 0.0;
                    if (delta[k] > 1e-10) moving = 1;
                    continue;
                }
                sign = g > 0.0 ? 1.0 : g < 0.0 ? -1.0 : 0.0;
                step[k] = sign * delta[k];
                {
                    double next = theta[k] + step[k];
                    if (next < lower[k]) next = lower[k];
                    if (next > upper[k]) next = upper[k];
                    step[k] = next - theta[k];
                    theta[k] = next;
                }
                prev_grad[k] = g;
                if (step[k] != 0.0 && delta[k] > 1e-10) moving = 1;
            }
            if (ok) last_lml = lml;
            if (!moving) break;
        }
        if (!have_good) rep.failed_starts += 1;
    }
    rep.starts = starts;
    if (best > -SAFERL_GP__INF) {
        gp->signal_variance = exp(best_theta[0]);
        for (k = 0; k < p; ++k) gp->lengthscale[k] = exp(best_theta[1 + k]);
        gp->noise_variance = exp(best_theta[1 + p]);
        saferl_gp__set_input_scale(gp);
        r = saferl_gp__refactor(gp, 0.0);
        if (r == SAFERL_OK) {
            rep.log_marginal_likelihood = saferl_gp__lml_of_factor(gp);
            if (report) *report = rep;
            return SAFERL_OK;
        }
    }
    /* nothing worked: put the model back as it was */
    gp->signal_variance = exp(original[0]);
    for (k = 0; k < p; ++k) gp->lengthscale[k] = exp(original[1 + k]);
    gp->noise_variance = original_noise;
    saferl_gp__set_input_scale(gp);
    r = saferl_gp__refactor(gp, original_jitter);
    (void)r;
    rep.log_marginal_likelihood = saferl_gp__lml_of_factor(gp);
    if (report) *report = rep;
    return SAFERL_ERR_DID_NOT_CONVERGE;
}

/* ---- candidate grids ------------------------------------------------------------------------- */

static void saferl_gp__grid_layout(saferl_gp_grid *grid, saferl_gp__arena *arena, uint32_t count, uint32_t capacity) {
    grid->projection = (double *)saferl_gp__take(arena, (size_t)capacity * count, sizeof(double));
    grid->mean = (double *)saferl_gp__take(arena, count, sizeof(double));
    grid->var = (double *)saferl_gp__take(arena, count, sizeof(double));
    grid->row = (double *)saferl_gp__take(arena, count, sizeof(double));
}

SAFERL_GP_API size_t saferl_gp_grid_memory_size(uint32_t count, uint32_t capacity) {
    saferl_gp_grid scratch;
    saferl_gp__arena arena = {NULL, 0, 0};
    if (count == 0) return 0;
    saferl_gp__grid_layout(&scratch, &arena, count, capacity ? capacity : 1);
    return arena.overflow ? 0 : arena.used + 64u;
}

SAFERL_GP_API saferl_result saferl_gp_grid_init(saferl_gp_grid *grid, const saferl_gp *gp, const double *points,
                                                uint32_t count, void *memory, size_t memory_size) {
    saferl_gp__arena arena;
    uintptr_t misalign;
    size_t need;
    SAFERL_ASSERT(grid != NULL && gp != NULL);
    if (!points || count == 0) return SAFERL_ERR_INVALID_ARGUMENT;
    need = saferl_gp_grid_memory_size(count, gp->capacity);
    if (need == 0) return SAFERL_ERR_INVALID_ARGUMENT;
    if (!memory || memory_size < need) return SAFERL_ERR_BUFFER_TOO_SMALL;
    if (!saferl_gp__all_finite(points, (size_t)count * gp->dim)) return SAFERL_ERR_NOT_FINITE;
    memset(grid, 0, sizeof *grid);
    misalign = (uintptr_t)memory & 63u;
    arena.base = (unsigned char *)memory + (misalign ? 64u - misalign : 0u);
    arena.used = 0;
    arena.overflow = 0;
    saferl_gp__grid_layout(grid, &arena, count, gp->capacity);
    grid->points = points;
    grid->count = count;
    grid->dim = gp->dim;
    grid->capacity = gp->capacity;
    return saferl_gp_grid_recompute(grid, gp);
}

/* A posterior that overflowed (finite data of extreme size) is not reported as one: the grid
   is marked stale, so that the next update recomputes it, and the caller gets an error. */
static saferl_result saferl_gp__grid_check(saferl_gp_grid *grid, const saferl_gp *gp) {
    if (saferl_gp__all_finite(grid->mean, grid->count) && saferl_gp__all_finite(grid->var, grid->count))
        return SAFERL_OK;
    grid->epoch = gp->factor_epoch + 1u;
    return SAFERL_ERR_NOT_FINITE;
}

SAFERL_GP_API saferl_result saferl_gp_grid_recompute(saferl_gp_grid *grid, const saferl_gp *gp) {
    uint32_t z, n = gp->count, m = grid->count;
    double scale2 = gp->y_scale * gp->y_scale;
    if (gp->capacity != grid->capacity || gp->dim != grid->dim) return SAFERL_ERR_INVALID_ARGUMENT;
    saferl_gp__kernel_block(gp, gp->x, n, grid->points, m, grid->projection, m, NULL, NULL);
    saferl_gp__solve_block(gp->cholesky, gp->capacity, n, grid->projection, m, m, grid->var, 0);
    for (z = 0; z < m; ++z) grid->mean[z] = 0.0;
    saferl_gp__add_rows(grid->mean, grid->projection, m, gp->whitened, 1, 1.0, n, m);
    for (z = 0; z < m; ++z) {
        double s = gp->signal_variance - grid->var[z];
        grid->mean[z] = gp->y_offset + gp->y_scale * grid->mean[z];
        grid->var[z] = s > 0.0 ? scale2 * s : 0.0;
    }
    grid->data_count = n;
    grid->epoch = gp->factor_epoch;
    grid->full_updates += 1;
    return saferl_gp__grid_check(grid, gp);
}

/* The rank-1 step of a grid after one appended point: the new row of V is
   v = (k(x, Z) - c^T V) (1 / d) with c, d the new row of L (the solve's reciprocal: the
   same bits as a recompute's last row); then mean += y_scale w v and
   var -= (y_scale v)^2, floored at 0. In chunks of 256 candidates so that each piece of v
   stays in the L1 cache from its kernel values to the posterior. */
SAFERL_GP__BODY void saferl_gp__grid_append_body(const int copy, saferl_gp_grid *grid, const saferl_gp *gp) {
    const uint32_t n = gp->count, m = grid->count, dim = gp->dim;
    const double *c = gp->cholesky + (size_t)(n - 1) * gp->capacity, *x = gp->x + (size_t)(n - 1) * dim;
    const double inverse = 1.0 / c[n - 1], w = gp->whitened[n - 1], scale2 = gp->y_scale * gp->y_scale;
    double *v = grid->projection + (size_t)(n - 1) * m;
    uint32_t z0, z;
    for (z0 = 0; z0 < m; z0 += 256) {
        const uint32_t cols = m - z0 < 256 ? m - z0 : 256;
        double *vz = v + z0, *mean = grid->mean + z0, *var = grid->var + z0;
        saferl_gp__kernel_rows_body(copy, gp->kernel, gp->signal_variance, gp->input_scale, dim, x, 1,
                                    grid->points + (size_t)z0 * dim, cols, vz, cols, NULL, NULL);
        saferl_gp__add_rows_body(vz, grid->projection + z0, m, c, 1, -1.0, n - 1, cols);
        for (z = 0; z < cols; ++z) {
            double s;
            vz[z] *= inverse;
            mean[z] += gp->y_scale * w * vz[z];
            s = var[z] - scale2 * vz[z] * vz[z];
            var[z] = s > 0.0 ? s : 0.0;
        }
    }
}

SAFERL_GP__DISPATCHED_WIDE_VOID(saferl_gp__grid_append, (saferl_gp_grid *grid, const saferl_gp *gp), (grid, gp))

SAFERL_GP_API saferl_result saferl_gp_grid_update(saferl_gp_grid *grid, const saferl_gp *gp) {
    if (gp->capacity != grid->capacity || gp->dim != grid->dim) return SAFERL_ERR_INVALID_ARGUMENT;
    if (grid->epoch == gp->factor_epoch && grid->data_count == gp->count) return SAFERL_OK;
    if (grid->epoch != gp->factor_epoch || gp->count != grid->data_count + 1) return saferl_gp_grid_recompute(grid, gp);
    saferl_gp__grid_append(grid, gp);
    grid->data_count = gp->count;
    grid->rank1_updates += 1;
    return saferl_gp__grid_check(grid, gp);
}

SAFERL_GP_API saferl_result saferl_gp_grid_covariance_row(const saferl_gp_grid *grid, const saferl_gp *gp, uint32_t j,
                                                          double *out) {
    uint32_t z, n = grid->data_count, m = grid->count;
    double scale2 = gp->y_scale * gp->y_scale;
    if (j >= m) return SAFERL_ERR_INVALID_ARGUMENT;
    if (grid->epoch != gp->factor_epoch || grid->data_count != gp->count) return SAFERL_ERR_INVALID_ARGUMENT;
    saferl_gp__kernel_row(gp, grid->points + (size_t)j * grid->dim, grid->points, m, out);
    saferl_gp__add_rows(out, grid->projection, m, grid->projection + j, m, -1.0, n, m);
    for (z = 0; z < m; ++z) out[z] *= scale2;
    return SAFERL_OK;
}

/* ---- safe optimisation ------------------------------------------------------------------------ */

static saferl_gp_safeopt_desc saferl_gp__safeopt_defaults(const saferl_gp_safeopt_desc *desc) {
    saferl_gp_safeopt_desc d = *desc;
    if (d.beta == 0.0) d.beta = 2.0;
    if (d.delta == 0.0) d.delta = 0.05;
    if (d.stage_tolerance == 0.0) d.stage_tolerance = 0.1;
    if (d.feasibility_delta == 0.0) d.feasibility_delta = 0.05;
    return d;
}

/* Scale of a GP's widths: sqrt(k(x, x)) in raw units. */
static double saferl_gp__width_scale(const saferl_gp *gp) { return sqrt(gp->signal_variance) * gp->y_scale; }

static saferl_result saferl_gp__safeopt_check(const saferl_gp_safeopt_desc *d) {
    uint32_t i, seeds = 0;
    if (!d->candidates || d->candidate_count == 0 || !d->objective || !d->objective->x) return SAFERL_ERR_INVALID_ARGUMENT;
    /* widths are divided by it: sqrt(1e-300) * 1e-300 underflows to 0 */
    if (!saferl_gp__is_scale(saferl_gp__width_scale(d->objective))) return SAFERL_ERR_INVALID_ARGUMENT;
    if (d->constraint_count > SAFERL_GP_MAX_CONSTRAINTS || (d->constraint_count && !d->constraints))
        return SAFERL_ERR_INVALID_ARGUMENT;
    if ((int)d->rule < 0 || (int)d->rule > 4 || (int)d->expander_test < 0 || (int)d->expander_test > 2 ||
        (int)d->beta_rule < 0 || (int)d->beta_rule > 4)
        return SAFERL_ERR_INVALID_ARGUMENT;
    for (i = 0; i < d->constraint_count; ++i) {
        const saferl_gp_constraint *c = &d->constraints[i];
        if (!c->gp || !c->gp->x || c->gp->dim != d->objective->dim) return SAFERL_ERR_INVALID_ARGUMENT;
        if (!saferl_gp__is_scale(saferl_gp__width_scale(c->gp))) return SAFERL_ERR_INVALID_ARGUMENT;
        if (!saferl_gp__is_finite(c->threshold)) return SAFERL_ERR_NOT_FINITE;
    }
    if (!saferl_gp__all_finite(d->candidates, (size_t)d->candidate_count * d->objective->dim)) return SAFERL_ERR_NOT_FINITE;
    if (!saferl_gp__is_finite(d->beta) || !saferl_gp__is_finite(d->delta) || !saferl_gp__is_finite(d->lipschitz) ||
        !saferl_gp__is_finite(d->stage_tolerance))
        return SAFERL_ERR_NOT_FINITE;
    if (!(d->beta > 0.0) || !(d->delta > 0.0 && d->delta < 1.0) || d->stage_tolerance < 0.0)
        return SAFERL_ERR_INVALID_ARGUMENT;
    if (d->expander_test == SAFERL_GP_EXPAND_LIPSCHITZ && !(d->lipschitz > 0.0)) return SAFERL_ERR_INVALID_ARGUMENT;
    if (d->beta_rule == SAFERL_GP_BETA_CALLBACK && !d->beta_callback) return SAFERL_ERR_INVALID_ARGUMENT;
    /* its guarantee is about the posterior at the point chosen now: bounds kept from earlier
       steps would certify with older posteriors */
    if (d->beta_rule == SAFERL_GP_BETA_PER_STEP_RISK && !(d->no_intersection && d->recompute_safe_set))
        return SAFERL_ERR_INVALID_ARGUMENT;
    if (!saferl_gp__is_finite(d->feasibility_delta)) return SAFERL_ERR_NOT_FINITE;
    if (!(d->feasibility_delta > 0.0 && d->feasibility_delta < 1.0)) return SAFERL_ERR_INVALID_ARGUMENT;
    if (!d->seed_set) /* the constrained-EI rules may go without: their safe set starts empty */
        return d->rule >= SAFERL_GP_CONSTRAINED_EI ? SAFERL_OK : SAFERL_ERR_INVALID_ARGUMENT;
    for (i = 0; i < d->candidate_count; ++i) seeds += d->seed_set[i] != 0;
    if (seeds == 0 && d->rule < SAFERL_GP_CONSTRAINED_EI) return SAFERL_ERR_INVALID_ARGUMENT; /* a safe seed is required */
    return SAFERL_OK;
}

static int saferl_gp__is_seed(const saferl_gp_safeopt_desc *d, uint32_t z) { return d->seed_set && d->seed_set[z]; }

/* The distinct GPs: the objective, then each constraint's unless already listed. */
static uint32_t saferl_gp__safeopt_models(const saferl_gp_safeopt_desc *d, saferl_gp **model, uint32_t *constraint_model) {
    uint32_t count = 0, i, j;
    model[count++] = d->objective;
    for (i = 0; i < d->constraint_count; ++i) {
        for (j = 0; j < count; ++j)
            if (model[j] == d->constraints[i].gp) break;
        if (j == count) model[count++] = d->constraints[i].gp;
        if (constraint_model) constraint_model[i] = j;
    }
    return count;
}

static void saferl_gp__safeopt_layout(saferl_gp_safeopt *opt, saferl_gp__arena *arena, const saferl_gp_safeopt_desc *d,
                                      void **grid_memory, size_t *grid_size) {
    saferl_gp *model[1 + SAFERL_GP_MAX_CONSTRAINTS];
    uint32_t count = saferl_gp__safeopt_models(d, model, NULL), i, m = d->candidate_count, rows = 1 + d->constraint_count;
    for (i = 0; i < count; ++i) {
        grid_size[i] = saferl_gp_grid_memory_size(m, model[i]->capacity);
        if (grid_size[i] == 0) arena->overflow = 1;
        grid_memory[i] = saferl_gp__take(arena, grid_size[i], 1);
    }
    opt->lower = (double *)saferl_gp__take(arena, (size_t)rows * m, sizeof(double));
    opt->upper = (double *)saferl_gp__take(arena, (size_t)rows * m, sizeof(double));
    opt->width = (double *)saferl_gp__take(arena, m, sizeof(double));
    opt->fantasy = (double *)saferl_gp__take(arena, (size_t)(d->constraint_count ? d->constraint_count : 1) * m, sizeof(double));
    opt->order = (uint32_t *)saferl_gp__take(arena, m, sizeof(uint32_t));
    opt->feasibility = (double *)saferl_gp__take(arena, m, sizeof(double));
    opt->flags = (unsigned char *)saferl_gp__take(arena, m, 1);
}

SAFERL_GP_API size_t saferl_gp_safeopt_memory_size(const saferl_gp_safeopt_desc *desc) {
    saferl_gp_safeopt scratch;
    saferl_gp__arena arena = {NULL, 0, 0};
    void *grid_memory[1 + SAFERL_GP_MAX_CONSTRAINTS];
    size_t grid_size[1 + SAFERL_GP_MAX_CONSTRAINTS];
    saferl_gp_safeopt_desc d;
    if (!desc) return 0;
    d = saferl_gp__safeopt_defaults(desc);
    if (saferl_gp__safeopt_check(&d) < 0) return 0;
    saferl_gp__safeopt_layout(&scratch, &arena, &d, grid_memory, grid_size);
    return arena.overflow ? 0 : arena.used + 64u;
}

SAFERL_GP_API saferl_result saferl_gp_safeopt_init(saferl_gp_safeopt *opt, const saferl_gp_safeopt_desc *desc,
                                                   void *memory, size_t memory_size) {
    saferl_gp__arena arena;
    void *grid_memory[1 + SAFERL_GP_MAX_CONSTRAINTS];
    size_t grid_size[1 + SAFERL_GP_MAX_CONSTRAINTS], need;
    saferl_gp_safeopt_desc d;
    uintptr_t misalign;
    uint32_t i, z, m;
    saferl_result r;
    SAFERL_ASSERT(opt != NULL && desc != NULL);
    d = saferl_gp__safeopt_defaults(desc);
    if ((r = saferl_gp__safeopt_check(&d)) < 0) return r;
    need = saferl_gp_safeopt_memory_size(&d);
    if (need == 0) return SAFERL_ERR_INVALID_ARGUMENT;
    if (!memory || memory_size < need) return SAFERL_ERR_BUFFER_TOO_SMALL;
    memset(opt, 0, sizeof *opt);
    misalign = (uintptr_t)memory & 63u;
    arena.base = (unsigned char *)memory + (misalign ? 64u - misalign : 0u);
    arena.used = 0;
    arena.overflow = 0;
    saferl_gp__safeopt_layout(opt, &arena, &d, grid_memory, grid_size);
    for (i = 0; i < d.constraint_count; ++i) opt->constraint[i] = d.constraints[i];
    d.constraints = opt->constraint;
    opt->desc = d;
    opt->model_count = saferl_gp__safeopt_models(&d, opt->model, opt->constraint_model);
    for (i = 0; i < opt->model_count; ++i) {
        r = saferl_gp_grid_init(&opt->grid[i], opt->model[i], d.candidates, d.candidate_count, grid_memory[i], grid_size[i]);
        if (r < 0) return r;
    }
    m = d.candidate_count;
    for (z = 0; z < (1 + d.constraint_count) * m; ++z) {
        opt->lower[z] = -SAFERL_GP__INF;
        opt->upper[z] = SAFERL_GP__INF;
    }
    for (z = 0; z < m; ++z) {
        opt->flags[z] = saferl_gp__is_seed(&d, z) ? SAFERL_GP_SAFE : 0;
        if (!saferl_gp__is_seed(&d, z)) continue;
        for (i = 0; i < d.constraint_count; ++i) {
            /* C_0 = [h, inf) on the seed set (PLS: Lambda_0 = [., b]) */
            if (d.constraints[i].upper) opt->upper[(size_t)(1 + i) * m + z] = d.constraints[i].threshold;
            else opt->lower[(size_t)(1 + i) * m + z] = d.constraints[i].threshold;
        }
    }
    opt->stage = d.rule == SAFERL_GP_STAGEOPT ? 1 : 0;
    opt->last_index = m;
    return SAFERL_OK;
}

SAFERL_GP_API saferl_result saferl_gp_safeopt_create(saferl_gp_safeopt *opt, const saferl_gp_safeopt_desc *desc) {
    size_t size;
    void *memory;
    saferl_result r;
    SAFERL_ASSERT(opt != NULL && desc != NULL);
    size = saferl_gp_safeopt_memory_size(desc);
    if (size == 0) {
        saferl_gp_safeopt_desc d = saferl_gp__safeopt_defaults(desc);
        r = saferl_gp__safeopt_check(&d);
        return r < 0 ? r : SAFERL_ERR_INVALID_ARGUMENT;
    }
    memory = saferl_gp__allocate(&desc->allocator, size);
    if (!memory) return SAFERL_ERR_OUT_OF_MEMORY;
    r = saferl_gp_safeopt_init(opt, desc, memory, size);
    if (r < 0) {
        saferl_gp__release(&desc->allocator, memory);
        return r;
    }
    opt->owned_memory = memory;
    return SAFERL_OK;
}

SAFERL_GP_API void saferl_gp_safeopt_destroy(saferl_gp_safeopt *opt) {
    if (!opt || !opt->owned_memory) return;
    saferl_gp__release(&opt->desc.allocator, opt->owned_memory);
    memset(opt, 0, sizeof *opt);
}

/* The c with Q(c) = P(N(0, 1) > c) = erfc(c / sqrt 2) / 2 = p, for p in (0, 1/2]: bisection on
   [0, 40] (Q(40) < 1e-300), 64 halvings (an interval of 2e-18, below one ulp of c >= 1). */
static double saferl_gp__normal_upper_quantile(double p) {
    double lo = 0.0, hi = 40.0;
    int i;
    for (i = 0; i < 64; ++i) {
        double mid = 0.5 * (lo + hi);
        if (0.5 * erfc(mid * 0.70710678118654752440) > p) lo = mid;
        else hi = mid;
    }
    return 0.5 * (lo + hi);
}

/* beta at evaluation t (1-based) for a candidate set of set_size points and k constraints. */
static double saferl_gp__beta_schedule(const saferl_gp_safeopt_desc *d, uint32_t t, double set_size) {
    const double tt = (double)t, k = d->constraint_count ? (double)d->constraint_count : 1.0;
    switch (d->beta_rule) {
    case SAFERL_GP_BETA_GAUSSIAN_TAIL:
        return saferl_gp__normal_upper_quantile(d->delta / (1.6449340668482264 * tt * tt * set_size * k));
    case SAFERL_GP_BETA_PER_STEP_RISK:
        return saferl_gp__normal_upper_quantile(d->delta / (1.6449340668482264 * tt * tt * k));
    case SAFERL_GP_BETA_FINITE_SET:
        return sqrt(2.0 * log(set_size * tt * tt * 1.6449340668482264 / d->delta));
    case SAFERL_GP_BETA_CALLBACK:
        return d->beta_callback(t, d->beta_user_data);
    default:
        return d->beta;
    }
}

SAFERL_GP_API double saferl_gp_safeopt_beta(const saferl_gp_safeopt *opt) {
    return saferl_gp__beta_schedule(&opt->desc, opt->evaluations + 1, (double)opt->desc.candidate_count);
}


/* Bounds of one GP over the candidates: [mean - beta sd, mean + beta sd], intersected with
   the previous ones (intersect) where the intersection is not empty; an empty one keeps the
   fresh interval and counts as a model violation (returned). sd: count values of scratch. */
SAFERL_GP__BODY uint32_t saferl_gp__bounds_body(const double *mean, const double *var, double *lower, double *upper,
                                                double *sd, uint32_t count, double beta, int intersect) {
    uint32_t z, violations = 0;
    saferl_gp__sqrt_row(sd, var, count);
    if (!intersect) {
        for (z = 0; z < count; ++z) {
            lower[z] = mean[z] - beta * sd[z];
            upper[z] = mean[z] + beta * sd[z];
        }
        return 0;
    }
    for (z = 0; z < count; ++z) {
        const double lo = mean[z] - beta * sd[z], hi = mean[z] + beta * sd[z];
        const double nlo = lower[z] > lo ? lower[z] : lo, nhi = upper[z] < hi ? upper[z] : hi;
        const int empty = nlo > nhi; /* the model contradicts its own past bounds */
        violations += (uint32_t)empty;
        lower[z] = empty ? lo : nlo;
        upper[z] = empty ? hi : nhi;
    }
    return violations;
}

/* width[z] = max(width[z], (upper[z] - lower[z]) / scale): one GP's scaled widths. */
SAFERL_GP__BODY void saferl_gp__widen_body(double *width, const double *lower, const double *upper, double scale,
                                           uint32_t count) {
    uint32_t z;
    for (z = 0; z < count; ++z) {
        const double w = (upper[z] - lower[z]) / scale;
        width[z] = w > width[z] ? w : width[z];
    }
}

SAFERL_GP__DISPATCHED(uint32_t, saferl_gp__bounds,
                      (const double *mean, const double *var, double *lower, double *upper, double *sd, uint32_t count,
                       double beta, int intersect),
                      (mean, var, lower, upper, sd, count, beta, intersect))
SAFERL_GP__DISPATCHED_VOID(saferl_gp__widen,
                           (double *width, const double *lower, const double *upper, double scale, uint32_t count),
                           (width, lower, upper, scale, count))

/* Whether constraint i holds at candidate z with the bounds lo/hi of that constraint. */
static int saferl_gp__certified(const saferl_gp_constraint *c, double lo, double hi) {
    return c->upper ? hi <= c->threshold : lo >= c->threshold;
}

static double saferl_gp__distance(const double *a, const double *b, uint32_t dim) {
    double s = 0.0;
    uint32_t k;
    for (k = 0; k < dim; ++k) s += (a[k] - b[k]) * (a[k] - b[k]);
    return sqrt(s);
}

/* Expander test of candidate j; returns 1 if observing the optimistic end of every constraint
   there would certify some candidate outside the safe set. */
static int saferl_gp__is_expander(saferl_gp_safeopt *opt, uint32_t j, double beta) {
    const saferl_gp_safeopt_desc *d = &opt->desc;
    uint32_t m = d->candidate_count, k = d->constraint_count, i, z, dim = d->objective->dim;
    if (k == 0) return 0;
    if (d->expander_test == SAFERL_GP_EXPAND_ALL_SAFE) {
        for (z = 0; z < m; ++z)
            if (!(opt->flags[z] & SAFERL_GP_SAFE)) return 1;
        return 0;
    }
    if (d->expander_test == SAFERL_GP_EXPAND_LIPSCHITZ) {
        const double *xj = d->candidates + (size_t)j * dim;
        for (z = 0; z < m; ++z) {
            double dist;
            int all = 1;
            if (opt->flags[z] & SAFERL_GP_SAFE) continue;
            dist = d->lipschitz * saferl_gp__distance(xj, d->candidates + (size_t)z * dim, dim);
            for (i = 0; i < k && all; ++i) {
                const saferl_gp_constraint *c = &d->constraints[i];
                size_t at = (size_t)(1 + i) * m + j;
                all = c->upper ? opt->lower[at] + dist <= c->threshold : opt->upper[at] - dist >= c->threshold;
            }
            if (all) return 1;
        }
        return 0;
    }
    /* GP fantasy: condition each constraint's GP on its optimistic value at j, rank-1 */
    for (i = 0; i < k; ++i) {
        const saferl_gp_grid *grid = &opt->grid[opt->constraint_model[i]];
        const saferl_gp *gp = opt->model[opt->constraint_model[i]];
        saferl_gp_grid_covariance_row(grid, gp, j, opt->fantasy + (size_t)i * m);
    }
    for (z = 0; z < m; ++z) {
        int all = 1;
        if (opt->flags[z] & SAFERL_GP_SAFE) continue;
        for (i = 0; i < k && all; ++i) {
            const saferl_gp_constraint *c = &d->constraints[i];
            const saferl_gp_grid *grid = &opt->grid[opt->constraint_model[i]];
            const saferl_gp *gp = opt->model[opt->constraint_model[i]];
            size_t row = (size_t)(1 + i) * m;
            double noise = (gp->noise_variance + gp->jitter) * gp->y_scale * gp->y_scale;
            double s2 = grid->var[j] + noise, cov = opt->fantasy[(size_t)i * m + z];
            double optimistic = c->upper ? opt->lower[row + j] : opt->upper[row + j];
            double mean, var;
            if (!(s2 > 0.0)) { all = 0; break; }
            mean = grid->mean[z] + cov * (optimistic - grid->mean[j]) / s2;
            var = grid->var[z] - cov * cov / s2;
            if (var < 0.0) var = 0.0;
            if (c->upper) {
                double hi = mean + beta * sqrt(var);
                if (d->no_intersection == 0 && opt->upper[row + z] < hi) hi = opt->upper[row + z];
                all = hi <= c->threshold;
            } else {
                double lo = mean - beta * sqrt(var);
                if (d->no_intersection == 0 && opt->lower[row + z] > lo) lo = opt->lower[row + z];
                all = lo >= c->threshold;
            }
        }
        if (all) return 1;
    }
    return 0;
}

/* ---- the safe optimiser's step, set by set -------------------------------------------------
   SafeOpt's sets (Sui et al. 2015, section 3) in the order the step computes them: bounds
   C_t, safe set S_t, maximisers M_t, expanders G_t, the choice. Each is one function named
   with the paper's word; saferl_gp_safeopt_next calls them in turn. */

/* A private flag beside the public ones: "was safe" marks S_{t-1} while the Lipschitz safe
   set S_t is built from it (the public bits are recomputed from scratch every step). */
#define SAFERL_GP__WAS_SAFE 16u

/* Bounds: Q_t = [mean - beta sd, mean + beta sd] of the objective and of every constraint,
   intersected into C_t unless no_intersection. Returns the model violations (empty
   intersections). opt->width is the scratch for the standard deviations. */
static uint32_t saferl_gp__bounds_of_every_gp(saferl_gp_safeopt *opt, double beta) {
    const saferl_gp_safeopt_desc *d = &opt->desc;
    uint32_t r, m = d->candidate_count, violations = 0;
    for (r = 0; r < 1 + d->constraint_count; ++r) {
        const saferl_gp_grid *grid = &opt->grid[r == 0 ? 0 : opt->constraint_model[r - 1]];
        violations += saferl_gp__bounds(grid->mean, grid->var, opt->lower + (size_t)r * m, opt->upper + (size_t)r * m,
                                        opt->width, m, beta, !d->no_intersection);
    }
    return violations;
}

/* Whether every constraint certifies candidate z from its own bounds (the GP-only test). */
static int saferl_gp__certified_everywhere(const saferl_gp_safeopt *opt, uint32_t z) {
    const saferl_gp_safeopt_desc *d = &opt->desc;
    uint32_t i, m = d->candidate_count;
    for (i = 0; i < d->constraint_count; ++i)
        if (!saferl_gp__certified(&d->constraints[i], opt->lower[(size_t)(1 + i) * m + z],
                                  opt->upper[(size_t)(1 + i) * m + z]))
            return 0;
    return 1;
}

/* Safe set with a Lipschitz constant: S_t = seeds, S_{t-1} (unless recompute_safe_set), and
   every z with l_i(x) - L |x - z| >= h_i for all i at some x of S_{t-1}. */
static void saferl_gp__safe_set_lipschitz(saferl_gp_safeopt *opt) {
    const saferl_gp_safeopt_desc *d = &opt->desc;
    uint32_t z, x, i, m = d->candidate_count, k = d->constraint_count, dim = d->objective->dim;
    for (z = 0; z < m; ++z) opt->flags[z] = (unsigned char)((opt->flags[z] & SAFERL_GP_SAFE) ? SAFERL_GP__WAS_SAFE : 0);
    for (z = 0; z < m; ++z) {
        int safe = saferl_gp__is_seed(d, z) || (!d->recompute_safe_set && (opt->flags[z] & SAFERL_GP__WAS_SAFE));
        for (x = 0; x < m && !safe; ++x) {
            double dist;
            int all = 1;
            if (!(opt->flags[x] & SAFERL_GP__WAS_SAFE)) continue;
            dist = d->lipschitz * saferl_gp__distance(d->candidates + (size_t)x * dim, d->candidates + (size_t)z * dim, dim);
            for (i = 0; i < k && all; ++i) {
                const saferl_gp_constraint *c = &d->constraints[i];
                size_t at = (size_t)(1 + i) * m + x;
                all = c->upper ? opt->upper[at] + dist <= c->threshold : opt->lower[at] - dist >= c->threshold;
            }
            safe = all;
        }
        if (safe) opt->flags[z] |= SAFERL_GP_SAFE;
    }
    for (z = 0; z < m; ++z) opt->flags[z] &= SAFERL_GP_SAFE;
}

/* Safe set S_t: the seeds, S_{t-1} (unless recompute_safe_set), and what the bounds certify
   (GP-only, SafeOpt-MC) or reach (Lipschitz). Counts it into step; returns 1 if some
   candidate is outside it. */
static int saferl_gp__safe_set(saferl_gp_safeopt *opt, saferl_gp_safeopt_step *step) {
    const saferl_gp_safeopt_desc *d = &opt->desc;
    uint32_t z, m = d->candidate_count;
    int unsafe_exists = 0;
    if (d->expander_test == SAFERL_GP_EXPAND_LIPSCHITZ) {
        saferl_gp__safe_set_lipschitz(opt);
    } else {
        for (z = 0; z < m; ++z) {
            int safe = saferl_gp__is_seed(d, z) || (!d->recompute_safe_set && (opt->flags[z] & SAFERL_GP_SAFE)) ||
                       saferl_gp__certified_everywhere(opt, z);
            opt->flags[z] = safe ? SAFERL_GP_SAFE : 0;
        }
    }
    for (z = 0; z < m; ++z) {
        if (opt->flags[z] & SAFERL_GP_SAFE) step->safe_count += 1;
        else unsafe_exists = 1;
    }
    return unsafe_exists;
}

/* Widths w_t = u_t - l_t, scaled by each GP's sqrt(k(x, x)), the largest over the objective
   and the constraints (SafeOpt), or over the constraints alone (StageOpt's stage 1). */
static void saferl_gp__widths(saferl_gp_safeopt *opt) {
    const saferl_gp_safeopt_desc *d = &opt->desc;
    uint32_t z, r, m = d->candidate_count, k = d->constraint_count;
    const int stage1 = d->rule == SAFERL_GP_STAGEOPT && opt->stage == 1;
    for (z = 0; z < m; ++z) opt->width[z] = -1.0;
    for (r = (stage1 && k > 0) ? 1 : 0; r < 1 + k; ++r) {
        const saferl_gp *gp = r == 0 ? d->objective : d->constraints[r - 1].gp;
        saferl_gp__widen(opt->width, opt->lower + (size_t)r * m, opt->upper + (size_t)r * m, saferl_gp__width_scale(gp), m);
    }
}

/* Maximisers M_t = {x in S_t : u_0(x) >= max over S_t of l_0}. Returns the widest one's width
   (-1 when there is none). */
static double saferl_gp__maximizers(saferl_gp_safeopt *opt, saferl_gp_safeopt_step *step) {
    uint32_t z, m = opt->desc.candidate_count;
    double best_lower = -SAFERL_GP__INF, widest = -1.0;
    for (z = 0; z < m; ++z)
        if ((opt->flags[z] & SAFERL_GP_SAFE) && opt->lower[z] > best_lower) best_lower = opt->lower[z];
    for (z = 0; z < m; ++z) {
        if (!(opt->flags[z] & SAFERL_GP_SAFE) || !(opt->upper[z] >= best_lower)) continue;
        opt->flags[z] |= SAFERL_GP_MAXIMIZER;
        step->maximizer_count += 1;
        if (opt->width[z] > widest) widest = opt->width[z];
    }
    return widest;
}

/* Expanders G_t: safe candidates tested by decreasing width (befelix/SafeOpt's pruning); the
   first confirmed one is the widest and ends the search, unless full_sets. SafeOpt skips
   maximisers and stops where a maximiser is at least as wide (neither could win the choice).
   Returns the widest expander, or candidate_count when none was found. */
static uint32_t saferl_gp__expanders(saferl_gp_safeopt *opt, double beta, double widest_maximizer, int unsafe_exists,
                                     saferl_gp_safeopt_step *step) {
    const saferl_gp_safeopt_desc *d = &opt->desc;
    const int pruned = !d->full_sets, safeopt = d->rule == SAFERL_GP_SAFEOPT;
    uint32_t z, m = d->candidate_count, found = m;
    if (!unsafe_exists || d->constraint_count == 0) return m;
    for (;;) {
        uint32_t pick = m;
        double w = -1.0;
        for (z = 0; z < m; ++z) {
            unsigned char f = opt->flags[z];
            if (!(f & SAFERL_GP_SAFE) || (f & SAFERL_GP_TESTED)) continue;
            if (safeopt && pruned && (f & SAFERL_GP_MAXIMIZER)) continue;
            if (opt->width[z] > w) {
                w = opt->width[z];
                pick = z;
            }
        }
        if (pick == m) break;
        if (pruned && ((safeopt && w <= widest_maximizer) || (d->max_expander_tests && step->expander_tests >= d->max_expander_tests)))
            break;
        opt->flags[pick] |= SAFERL_GP_TESTED;
        step->expander_tests += 1;
        if (!saferl_gp__is_expander(opt, pick, beta)) continue;
        opt->flags[pick] |= SAFERL_GP_EXPANDER;
        step->expander_count += 1;
        if (found == m) found = pick;
        if (pruned) break;
        if (d->expander_test == SAFERL_GP_EXPAND_ALL_SAFE) {
            /* every safe point is one: no need to test them one by one */
            for (z = 0; z < m; ++z)
                if ((opt->flags[z] & SAFERL_GP_SAFE) && !(opt->flags[z] & SAFERL_GP_EXPANDER)) {
                    opt->flags[z] |= SAFERL_GP_EXPANDER | SAFERL_GP_TESTED;
                    step->expander_count += 1;
                }
            break;
        }
    }
    return found;
}

/* The choice: SafeOpt the widest of G_t and M_t; StageOpt's stage 1 the widest expander; else
   (safe UCB, StageOpt's stage 2, or nothing to choose from) argmax over S_t of u_0. */
static uint32_t saferl_gp__choice(saferl_gp_safeopt *opt, uint32_t widest_expander, saferl_gp_safeopt_step *step) {
    const saferl_gp_safeopt_desc *d = &opt->desc;
    uint32_t z, m = d->candidate_count, best = 0;
    int have_best = 0;
    if (d->rule == SAFERL_GP_SAFEOPT) {
        for (z = 0; z < m; ++z) {
            unsigned char f = opt->flags[z];
            if (!(f & (SAFERL_GP_MAXIMIZER | SAFERL_GP_EXPANDER))) continue;
            if (!have_best || opt->width[z] > step->width) {
                have_best = 1;
                best = z;
                step->width = opt->width[z];
                step->choice = (f & SAFERL_GP_EXPANDER) && !(f & SAFERL_GP_MAXIMIZER) ? SAFERL_GP_CHOSE_EXPANDER
                                                                                     : SAFERL_GP_CHOSE_MAXIMIZER;
            }
        }
        if (have_best) return best;
    } else if (d->rule == SAFERL_GP_STAGEOPT && opt->stage == 1) {
        step->width = opt->width[widest_expander];
        step->choice = SAFERL_GP_CHOSE_EXPANDER;
        return widest_expander;
    }
    for (z = 0; z < m; ++z) {
        if (!(opt->flags[z] & SAFERL_GP_SAFE)) continue;
        if (!have_best || opt->upper[z] > opt->upper[best]) {
            have_best = 1;
            best = z;
        }
    }
    step->choice = SAFERL_GP_CHOSE_UCB;
    step->width = 0.0;
    return best;
}

/* ---- constrained Bayesian optimisation ---------------------------------------------------- */

/* Phi(x) = P(N(0, 1) <= x) through erfc: accurate in both tails. */
static double saferl_gp__normal_cdf(double x) { return 0.5 * erfc(-x * 0.70710678118654752440); }

SAFERL_GP_API double saferl_gp_probability_between(double mean, double var, double lower, double upper) {
    double sd, p;
    if (!(lower <= upper) || mean != mean || !(var >= 0.0)) return 0.0;
    if (var == 0.0) return mean >= lower && mean <= upper ? 1.0 : 0.0;
    sd = sqrt(var);
    /* a difference of the two lower tails, or of the two upper ones when the interval lies
       above the mean: both terms tiny, so the difference keeps its digits far out */
    if (mean <= lower) p = saferl_gp__normal_cdf((mean - lower) / sd) - saferl_gp__normal_cdf((mean - upper) / sd);
    else p = saferl_gp__normal_cdf((upper - mean) / sd) - saferl_gp__normal_cdf((lower - mean) / sd);
    return p > 0.0 ? p : 0.0;
}

SAFERL_GP_API double saferl_gp_expected_improvement(double mean, double var, double best) {
    double sd, u;
    if (!(var > 0.0)) return mean > best ? mean - best : 0.0;
    sd = sqrt(var);
    u = (mean - best) / sd;
    return sd * (u * saferl_gp__normal_cdf(u) + 0.3989422804014326779 * exp(-0.5 * u * u));
}

/* P(every constraint holds) at each candidate into opt->feasibility: per GP the probability
   that its function lies between its constraints' thresholds (a g >= h raises the lower end, a
   cost g <= b lowers the upper one: exact for several constraints on one GP), multiplied over
   the GPs (independent models). */
static void saferl_gp__feasibility(saferl_gp_safeopt *opt) {
    const saferl_gp_safeopt_desc *d = &opt->desc;
    uint32_t z, i, j, m = d->candidate_count;
    for (z = 0; z < m; ++z) opt->feasibility[z] = 1.0;
    for (j = 0; j < opt->model_count; ++j) {
        const saferl_gp_grid *grid = &opt->grid[j];
        double lower = -SAFERL_GP__INF, upper = SAFERL_GP__INF;
        int constrained = 0;
        for (i = 0; i < d->constraint_count; ++i) {
            const saferl_gp_constraint *c = &d->constraints[i];
            if (opt->constraint_model[i] != j) continue;
            constrained = 1;
            if (c->upper && c->threshold < upper) upper = c->threshold;
            if (!c->upper && c->threshold > lower) lower = c->threshold;
        }
        if (!constrained) continue;
        for (z = 0; z < m; ++z) opt->feasibility[z] *= saferl_gp_probability_between(grid->mean[z], grid->var[z], lower, upper);
    }
}

/* The constrained-EI choice. The incumbent is the best posterior mean of the objective among
   the candidates known feasible (P(feasible) >= 1 - feasibility_delta), as Gelbart et al.
   (2014) define it for probabilistic constraints; noisy observations make the best observed
   value a poor incumbent. SAFERL_GP_CONSTRAINED_EI maximises EI x P(feasible) over every
   candidate (Gardner et al. 2014); SAFERL_GP_CHANCE_CONSTRAINED_EI maximises EI over the
   known-feasible candidates only. When no candidate is known feasible yet there is no
   incumbent: both look for feasibility first and take the candidate most likely feasible
   (Gelbart et al.'s rule), SAFERL_GP_CHOSE_FEASIBILITY. */
static uint32_t saferl_gp__constrained_choice(saferl_gp_safeopt *opt, saferl_gp_safeopt_step *step) {
    const saferl_gp_safeopt_desc *d = &opt->desc;
    const saferl_gp_grid *objective = &opt->grid[0];
    const double known = 1.0 - d->feasibility_delta;
    const int weighted = d->rule == SAFERL_GP_CONSTRAINED_EI;
    uint32_t z, m = d->candidate_count, best = m;
    double incumbent = -SAFERL_GP__INF, value = -1.0;
    saferl_gp__feasibility(opt);
    for (z = 0; z < m; ++z)
        if (opt->feasibility[z] >= known && objective->mean[z] > incumbent) incumbent = objective->mean[z];
    if (incumbent == -SAFERL_GP__INF) {
        for (z = 0; z < m; ++z)
            if (opt->feasibility[z] > value) value = opt->feasibility[(best = z)];
        step->choice = SAFERL_GP_CHOSE_FEASIBILITY;
    } else {
        for (z = 0; z < m; ++z) {
            double a;
            if (!weighted && !(opt->feasibility[z] >= known)) continue;
            a = saferl_gp_expected_improvement(objective->mean[z], objective->var[z], incumbent);
            if (weighted) a *= opt->feasibility[z];
            if (a > value) {
                value = a;
                best = z;
            }
        }
        step->choice = SAFERL_GP_CHOSE_EXPECTED_IMPROVEMENT;
    }
    step->acquisition = value;
    step->feasibility = opt->feasibility[best];
    return best;
}

SAFERL_GP_API saferl_result saferl_gp_safeopt_next(saferl_gp_safeopt *opt, saferl_gp_safeopt_step *out) {
    const saferl_gp_safeopt_desc *d;
    saferl_gp_safeopt_step step;
    uint32_t i, widest_expander;
    double beta, widest_maximizer;
    int unsafe_exists, stageopt;
    saferl_result res;
    SAFERL_ASSERT(opt != NULL && opt->flags != NULL);
    d = &opt->desc;
    stageopt = d->rule == SAFERL_GP_STAGEOPT;
    memset(&step, 0, sizeof step);
    for (i = 0; i < opt->model_count; ++i)
        if ((res = saferl_gp_grid_update(&opt->grid[i], opt->model[i])) < 0) return res;
    beta = saferl_gp_safeopt_beta(opt);
    if (!saferl_gp__is_finite(beta) || !(beta >= 0.0)) return SAFERL_ERR_INVALID_ARGUMENT;
    step.beta = beta;
    step.model_violations = saferl_gp__bounds_of_every_gp(opt, beta);
    opt->model_violations += step.model_violations;
    unsafe_exists = saferl_gp__safe_set(opt, &step);
    saferl_gp__widths(opt);
    widest_maximizer = saferl_gp__maximizers(opt, &step);
    if (stageopt && opt->stage == 1 && d->stage1_steps && opt->evaluations >= d->stage1_steps) opt->stage = 2;
    widest_expander = d->candidate_count;
    if (d->rule == SAFERL_GP_SAFEOPT || (stageopt && opt->stage == 1) || d->full_sets) {
        widest_expander = saferl_gp__expanders(opt, beta, widest_maximizer, unsafe_exists, &step);
        if (stageopt && opt->stage == 1 &&
            (widest_expander == d->candidate_count || !(opt->width[widest_expander] > d->stage_tolerance)))
            opt->stage = 2; /* the widest expander is within zeta: exploit from now on */
    }
    step.index = d->rule >= SAFERL_GP_CONSTRAINED_EI ? saferl_gp__constrained_choice(opt, &step)
                                                     : saferl_gp__choice(opt, widest_expander, &step);
    step.stage = stageopt ? (int)opt->stage : 0;
    step.objective_upper = opt->upper[step.index];
    opt->last_index = step.index;
    if (out) *out = step;
    return SAFERL_OK;
}

SAFERL_GP_API saferl_result saferl_gp_safeopt_observe(saferl_gp_safeopt *opt, uint32_t index, double objective_value,
                                                      const double *constraint_values) {
    const saferl_gp_safeopt_desc *d;
    double value[1 + SAFERL_GP_MAX_CONSTRAINTS];
    int given[1 + SAFERL_GP_MAX_CONSTRAINTS];
    uint32_t i, added = 0;
    const double *x;
    saferl_result r = SAFERL_OK;
    SAFERL_ASSERT(opt != NULL);
    d = &opt->desc;
    if (index >= d->candidate_count) return SAFERL_ERR_INVALID_ARGUMENT;
    if (d->constraint_count && !constraint_values) return SAFERL_ERR_INVALID_ARGUMENT;
    if (!saferl_gp__is_finite(objective_value) || !saferl_gp__all_finite(constraint_values, d->constraint_count))
        return SAFERL_ERR_NOT_FINITE;
    /* one GP models one function: every value given for it (the objective's, a constraint's)
       must be the same number, or the call is refused (it once kept the first silently) */
    value[0] = objective_value;
    for (i = 0; i < opt->model_count; ++i) given[i] = i == 0;
    for (i = 0; i < d->constraint_count; ++i) {
        const uint32_t model = opt->constraint_model[i];
        if (given[model] && value[model] != constraint_values[i]) return SAFERL_ERR_INVALID_ARGUMENT;
        value[model] = constraint_values[i];
        given[model] = 1;
    }
    for (i = 0; i < opt->model_count; ++i)
        if (opt->model[i]->count >= opt->model[i]->capacity) return SAFERL_ERR_BUFFER_TOO_SMALL;
    x = d->candidates + (size_t)index * d->objective->dim;
    for (i = 0; i < opt->model_count; ++i) {
        r = saferl_gp_add(opt->model[i], x, value[i]);
        if (r < 0) break;
        added += 1;
    }
    if (r < 0) {
        while (added-- > 0) saferl_gp_remove_last(opt->model[added]);
        return r;
    }
    for (i = 0; i < opt->model_count && r >= 0; ++i) r = saferl_gp_grid_update(&opt->grid[i], opt->model[i]);
    if (r < 0) { /* a posterior that overflowed: the evaluation is not taken */
        for (i = 0; i < opt->model_count; ++i) saferl_gp_remove_last(opt->model[i]);
        for (i = 0; i < opt->model_count; ++i) saferl_gp_grid_update(&opt->grid[i], opt->model[i]);
        return r;
    }
    opt->evaluations += 1;
    return SAFERL_OK;
}

SAFERL_GP_API uint32_t saferl_gp_safeopt_best(const saferl_gp_safeopt *opt) {
    const saferl_gp_grid *grid = &opt->grid[0];
    uint32_t z, best = 0;
    double beta = saferl_gp_safeopt_beta(opt), best_value = -SAFERL_GP__INF;
    for (z = 0; z < opt->desc.candidate_count; ++z) {
        double v;
        if (!(opt->flags[z] & SAFERL_GP_SAFE)) continue;
        v = grid->mean[z] - beta * sqrt(grid->var[z]);
        if (v > best_value) {
            best_value = v;
            best = z;
        }
    }
    return best;
}

/* ---- continuous domains --------------------------------------------------------------------- */

/* The grid version's desc for this step's candidates: the known-safe points are its seed set
   (the safe set grows through them), fresh bounds each step, beta given. */
static saferl_gp_safeopt_desc saferl_gp__swarm_step_desc(const saferl_gp_swarm *swarm, uint32_t candidate_count,
                                                         double beta) {
    const saferl_gp_swarm_desc *d = &swarm->desc;
    saferl_gp_safeopt_desc sd;
    memset(&sd, 0, sizeof sd);
    sd.candidates = swarm->candidates;
    sd.candidate_count = candidate_count;
    sd.objective = d->objective;
    sd.constraints = swarm->constraint;
    sd.constraint_count = d->constraint_count;
    sd.seed_set = swarm->known_safe;
    sd.rule = d->rule;
    sd.expander_test = d->expander_test;
    sd.lipschitz = d->lipschitz;
    sd.beta_rule = SAFERL_GP_BETA_CONSTANT;
    sd.beta = beta;
    sd.delta = d->delta;
    sd.no_intersection = 1;
    sd.recompute_safe_set = 1;
    sd.stage_tolerance = d->stage_tolerance;
    return sd;
}

static saferl_result saferl_gp__swarm_check(const saferl_gp_swarm_desc *d) {
    uint32_t i, k, dim;
    if (!d->objective || !d->objective->x || !d->lower || !d->upper || !d->seeds || d->seed_count == 0 ||
        d->constraint_count > SAFERL_GP_MAX_CONSTRAINTS || (d->constraint_count && !d->constraints))
        return SAFERL_ERR_INVALID_ARGUMENT;
    dim = d->objective->dim;
    if ((int)d->rule < 0 || (int)d->rule > 2 || d->lattice < 2 || d->beta_rule == SAFERL_GP_BETA_CALLBACK)
        return SAFERL_ERR_INVALID_ARGUMENT;
    if (!saferl_gp__all_finite(d->lower, dim) || !saferl_gp__all_finite(d->upper, dim) ||
        !saferl_gp__all_finite(d->seeds, (size_t)d->seed_count * dim))
        return SAFERL_ERR_NOT_FINITE;
    for (k = 0; k < dim; ++k)
        if (!(d->lower[k] < d->upper[k])) return SAFERL_ERR_INVALID_ARGUMENT;
    for (i = 0; i < d->seed_count; ++i)
        for (k = 0; k < dim; ++k)
            if (!(d->seeds[(size_t)i * dim + k] >= d->lower[k] && d->seeds[(size_t)i * dim + k] <= d->upper[k]))
                return SAFERL_ERR_INVALID_ARGUMENT;
    return SAFERL_OK;
}

SAFERL_GP_API saferl_result saferl_gp_swarm_create(saferl_gp_swarm *swarm, const saferl_gp_swarm_desc *desc) {
    saferl_gp_swarm_desc d;
    saferl_gp_safeopt_desc sd;
    saferl_gp__arena arena = {NULL, 0, 0};
    uint32_t dim, i, candidate_capacity;
    saferl_result r;
    SAFERL_ASSERT(swarm != NULL && desc != NULL);
    d = *desc;
    if (d.samples == 0) d.samples = 1000;
    if (d.lattice == 0) d.lattice = 1024;
    if ((r = saferl_gp__swarm_check(&d)) < 0) return r;
    memset(swarm, 0, sizeof *swarm);
    for (i = 0; i < d.constraint_count && i < SAFERL_GP_MAX_CONSTRAINTS; ++i) swarm->constraint[i] = d.constraints[i];
    dim = d.objective->dim;
    swarm->safe_capacity = d.seed_count + d.objective->capacity;
    candidate_capacity = swarm->safe_capacity + d.samples;
    if (candidate_capacity < d.samples) return SAFERL_ERR_INVALID_ARGUMENT;
    /* measure, allocate, lay out: the points and flags, then the step's memory separately
       (its size is measured on real candidates) */
    saferl_gp__take(&arena, (size_t)swarm->safe_capacity * dim, sizeof(double));
    saferl_gp__take(&arena, (size_t)candidate_capacity * dim, sizeof(double));
    saferl_gp__take(&arena, candidate_capacity, 1);
    saferl_gp__take(&arena, dim, sizeof(double));
    if (arena.overflow) return SAFERL_ERR_INVALID_ARGUMENT;
    swarm->owned_memory = saferl_gp__allocate(&d.allocator, arena.used + 64u);
    if (!swarm->owned_memory) return SAFERL_ERR_OUT_OF_MEMORY;
    arena.base = (unsigned char *)swarm->owned_memory + (64u - ((uintptr_t)swarm->owned_memory & 63u)) % 64u;
    arena.used = 0;
    swarm->safe_points = (double *)saferl_gp__take(&arena, (size_t)swarm->safe_capacity * dim, sizeof(double));
    swarm->candidates = (double *)saferl_gp__take(&arena, (size_t)candidate_capacity * dim, sizeof(double));
    swarm->known_safe = (unsigned char *)saferl_gp__take(&arena, candidate_capacity, 1);
    swarm->last_point = (double *)saferl_gp__take(&arena, dim, sizeof(double));
    swarm->desc = d;
    swarm->desc.constraints = swarm->constraint;
    memcpy(swarm->safe_points, d.seeds, (size_t)d.seed_count * dim * sizeof(double));
    swarm->safe_count = d.seed_count;
    for (i = 0; i < candidate_capacity; ++i) memcpy(swarm->candidates + (size_t)i * dim, d.seeds, dim * sizeof(double));
    memset(swarm->known_safe, 0, candidate_capacity);
    swarm->known_safe[0] = 1;
    sd = saferl_gp__swarm_step_desc(swarm, candidate_capacity, 1.0);
    sd.beta_rule = d.beta_rule; /* checked as the grid version checks it */
    sd.beta = d.beta == 0.0 ? 2.0 : d.beta;
    sd.delta = d.delta == 0.0 ? 0.05 : d.delta;
    sd.stage_tolerance = d.stage_tolerance == 0.0 ? 0.1 : d.stage_tolerance;
    swarm->desc.beta = sd.beta;
    swarm->desc.delta = sd.delta;
    swarm->desc.stage_tolerance = sd.stage_tolerance;
    sd = saferl_gp__safeopt_defaults(&sd);
    if ((r = saferl_gp__safeopt_check(&sd)) < 0 || !(swarm->step_memory_size = saferl_gp_safeopt_memory_size(&sd))) {
        saferl_gp_swarm_destroy(swarm);
        return r < 0 ? r : SAFERL_ERR_INVALID_ARGUMENT;
    }
    swarm->step_memory = saferl_gp__allocate(&d.allocator, swarm->step_memory_size);
    if (!swarm->step_memory) {
        saferl_gp_swarm_destroy(swarm);
        return SAFERL_ERR_OUT_OF_MEMORY;
    }
    saferl_rng_seed(&swarm->rng, d.seed);
    swarm->stage = d.rule == SAFERL_GP_STAGEOPT ? 1 : 0;
    return SAFERL_OK;
}

SAFERL_GP_API void saferl_gp_swarm_destroy(saferl_gp_swarm *swarm) {
    if (!swarm) return;
    if (swarm->step_memory) saferl_gp__release(&swarm->desc.allocator, swarm->step_memory);
    if (swarm->owned_memory) saferl_gp__release(&swarm->desc.allocator, swarm->owned_memory);
    memset(swarm, 0, sizeof *swarm);
}

/* One sample: a known-safe point moved by a radius drawn log-uniformly in [1/20, 2]
   lengthscales (near: the boundary's fine structure; far: the next bump), along a Gaussian
   direction, kept in the box and snapped to the lattice. */
static void saferl_gp__swarm_sample(saferl_gp_swarm *swarm, double *x) {
    const saferl_gp_swarm_desc *d = &swarm->desc;
    const saferl_gp *gp = d->objective;
    const uint32_t dim = gp->dim, from = saferl_rng_bounded(&swarm->rng, swarm->safe_count);
    const double radius = 0.05 * exp(3.6888794541139363 * saferl_rng_uniform(&swarm->rng)); /* log(40) */
    uint32_t k;
    for (k = 0; k < dim; ++k) {
        const double lengthscale = gp->lengthscale[gp->lengthscale_count == 1 ? 0 : k];
        const double span = d->upper[k] - d->lower[k], cells = (double)(d->lattice - 1);
        double v = swarm->safe_points[(size_t)from * dim + k] + radius * lengthscale * saferl_rng_normal(&swarm->rng);
        v = v < d->lower[k] ? d->lower[k] : v > d->upper[k] ? d->upper[k] : v;
        x[k] = d->lower[k] + floor((v - d->lower[k]) / span * cells + 0.5) * (span / cells);
        if (x[k] > d->upper[k]) x[k] = d->upper[k];
    }
}

SAFERL_GP_API saferl_result saferl_gp_swarm_next(saferl_gp_swarm *swarm, double *x, saferl_gp_safeopt_step *step) {
    const saferl_gp_swarm_desc *d;
    saferl_gp_safeopt_desc sd;
    saferl_gp_safeopt_step st;
    uint32_t i, dim, count;
    double beta;
    saferl_result r;
    SAFERL_ASSERT(swarm != NULL && swarm->candidates != NULL && x != NULL);
    d = &swarm->desc;
    dim = d->objective->dim;
    sd = saferl_gp__swarm_step_desc(swarm, 1, d->beta);
    sd.beta_rule = d->beta_rule;
    beta = saferl_gp__beta_schedule(&sd, swarm->evaluations + 1, pow((double)d->lattice, (double)dim));
    if (!saferl_gp__is_finite(beta) || !(beta > 0.0)) return SAFERL_ERR_INVALID_ARGUMENT;
    count = swarm->safe_count + d->samples;
    memcpy(swarm->candidates, swarm->safe_points, (size_t)swarm->safe_count * dim * sizeof(double));
    memset(swarm->known_safe, 0, count);
    memset(swarm->known_safe, 1, swarm->safe_count);
    for (i = swarm->safe_count; i < count; ++i) saferl_gp__swarm_sample(swarm, swarm->candidates + (size_t)i * dim);
    sd = saferl_gp__swarm_step_desc(swarm, count, beta);
    if ((r = saferl_gp_safeopt_init(&swarm->step_opt, &sd, swarm->step_memory, swarm->step_memory_size)) < 0) return r;
    swarm->step_opt.stage = swarm->stage;
    swarm->step_opt.evaluations = swarm->evaluations;
    if ((r = saferl_gp_safeopt_next(&swarm->step_opt, &st)) < 0) return r;
    swarm->stage = swarm->step_opt.stage;
    memcpy(swarm->last_point, swarm->candidates + (size_t)st.index * dim, dim * sizeof(double));
    memcpy(x, swarm->last_point, dim * sizeof(double));
    swarm->candidate_count = count;
    if (step) *step = st;
    return SAFERL_OK;
}

SAFERL_GP_API saferl_result saferl_gp_swarm_observe(saferl_gp_swarm *swarm, double objective_value,
                                                    const double *constraint_values) {
    const uint32_t dim = swarm->desc.objective->dim;
    saferl_result r;
    SAFERL_ASSERT(swarm != NULL);
    if (swarm->candidate_count == 0) return SAFERL_ERR_INVALID_ARGUMENT; /* nothing proposed yet */
    if (swarm->safe_count >= swarm->safe_capacity) return SAFERL_ERR_BUFFER_TOO_SMALL;
    r = saferl_gp_safeopt_observe(&swarm->step_opt, swarm->step_opt.last_index, objective_value, constraint_values);
    if (r < 0) return r;
    /* it was in the safe set when chosen: safe for good, as the grid version's S_t */
    memcpy(swarm->safe_points + (size_t)swarm->safe_count * dim, swarm->last_point, dim * sizeof(double));
    swarm->safe_count += 1;
    swarm->evaluations += 1;
    swarm->candidate_count = 0;
    return SAFERL_OK;
}

SAFERL_GP_API saferl_result saferl_gp_swarm_best(saferl_gp_swarm *swarm, double *x) {
    const uint32_t dim = swarm->desc.objective->dim;
    saferl_gp_safeopt_desc sd = saferl_gp__swarm_step_desc(swarm, 1, swarm->desc.beta);
    double beta, best = -SAFERL_GP__INF;
    uint32_t i, at = 0;
    sd.beta_rule = swarm->desc.beta_rule;
    beta = saferl_gp__beta_schedule(&sd, swarm->evaluations + 1, pow((double)swarm->desc.lattice, (double)dim));
    for (i = 0; i < swarm->safe_count; ++i) {
        double mean, var, lower;
        saferl_result r = saferl_gp_predict(swarm->desc.objective, swarm->safe_points + (size_t)i * dim, 1, &mean, &var);
        if (r < 0) return r;
        lower = mean - beta * sqrt(var);
        if (lower > best) {
            best = lower;
            at = i;
        }
    }
    memcpy(x, swarm->safe_points + (size_t)at * dim, dim * sizeof(double));
    return SAFERL_OK;
}

/* ---- PLS ---------------------------------------------------------------------------------------- */

static saferl_gp_desc saferl_gp__pls_gp_desc(const saferl_gp_pls_desc *d, const saferl_gp_pls_gp *g) {
    saferl_gp_desc gd;
    memset(&gd, 0, sizeof gd);
    gd.dim = d->dim;
    gd.capacity = d->iterations ? d->iterations : 20;
    gd.kernel = g->kernel;
    gd.ard = g->lengthscale != NULL;
    gd.lengthscale = g->lengthscale;
    gd.signal_variance = g->signal_variance;
    gd.noise_variance = g->noise_variance ? g->noise_variance : 1e-2;
    gd.y_offset = g->y_offset;
    gd.y_scale = g->y_scale;
    gd.allocator = d->allocator;
    return gd;
}

static saferl_gp_safeopt_desc saferl_gp__pls_safeopt_desc(saferl_gp_pls *pls, const saferl_gp_pls_desc *d,
                                                         saferl_gp_constraint *cost) {
    saferl_gp_safeopt_desc sd;
    memset(&sd, 0, sizeof sd);
    cost->gp = &pls->cost_gp;
    cost->threshold = d->cost_limit;
    cost->upper = 1;
    sd.candidates = d->targets;
    sd.candidate_count = d->target_count;
    sd.objective = &pls->reward_gp;
    sd.constraints = cost;
    sd.constraint_count = 1;
    sd.seed_set = d->seed_set;
    sd.rule = SAFERL_GP_STAGEOPT;
    sd.expander_test = d->expander_test;
    sd.beta_rule = d->beta > 0.0 ? SAFERL_GP_BETA_CONSTANT : SAFERL_GP_BETA_FINITE_SET;
    sd.beta = d->beta > 0.0 ? d->beta : 2.0;
    sd.delta = d->delta;
    sd.stage_tolerance = d->stage_tolerance;
    sd.allocator = d->allocator;
    return sd;
}

static saferl_result saferl_gp__pls_check(const saferl_gp_pls_desc *d) {
    if (!d->targets || d->target_count == 0 || d->dim == 0 || !d->seed_set || !d->evaluate) return SAFERL_ERR_INVALID_ARGUMENT;
    if (!saferl_gp__is_finite(d->cost_limit) || !saferl_gp__is_finite(d->beta)) return SAFERL_ERR_NOT_FINITE;
    if (d->beta < 0.0 || d->expander_test == SAFERL_GP_EXPAND_LIPSCHITZ) return SAFERL_ERR_INVALID_ARGUMENT;
    return SAFERL_OK;
}

SAFERL_GP_API size_t saferl_gp_pls_memory_size(const saferl_gp_pls_desc *desc) {
    saferl_gp_desc rd, cd;
    size_t a, b, c;
    if (!desc || saferl_gp__pls_check(desc) < 0) return 0;
    rd = saferl_gp__pls_gp_desc(desc, &desc->reward);
    cd = saferl_gp__pls_gp_desc(desc, &desc->cost);
    rd = saferl_gp_desc_defaults(&rd); /* the scratch GPs below need the defaulted scales */
    cd = saferl_gp_desc_defaults(&cd);
    a = saferl_gp_memory_size(&rd);
    b = saferl_gp_memory_size(&cd);
    {
        /* the safe-optimisation size depends only on the GPs' capacity and the candidates */
        saferl_gp_safeopt_desc sd;
        saferl_gp_constraint cost;
        saferl_gp_pls scratch;
        memset(&scratch, 0, sizeof scratch);
        scratch.reward_gp.x = scratch.cost_gp.x = (double *)desc->targets; /* only looked at, not used */
        scratch.reward_gp.dim = scratch.cost_gp.dim = desc->dim;
        scratch.reward_gp.capacity = scratch.cost_gp.capacity = rd.capacity;
        scratch.reward_gp.signal_variance = rd.signal_variance;
        scratch.reward_gp.y_scale = rd.y_scale;
        scratch.cost_gp.signal_variance = cd.signal_variance;
        scratch.cost_gp.y_scale = cd.y_scale;
        sd = saferl_gp__pls_safeopt_desc(&scratch, desc, &cost);
        c = saferl_gp_safeopt_memory_size(&sd);
    }
    if (!a || !b || !c) return 0;
    return a + b + c + 192u;
}

SAFERL_GP_API saferl_result saferl_gp_pls_init(saferl_gp_pls *pls, const saferl_gp_pls_desc *desc, void *memory,
                                               size_t memory_size) {
    saferl_gp_desc rd, cd;
    saferl_gp_safeopt_desc sd;
    saferl_gp_constraint cost;
    unsigned char *p = (unsigned char *)memory;
    size_t a, b, c;
    saferl_result r;
    SAFERL_ASSERT(pls != NULL && desc != NULL);
    if ((r = saferl_gp__pls_check(desc)) < 0) return r;
    if (!memory || memory_size < saferl_gp_pls_memory_size(desc)) return SAFERL_ERR_BUFFER_TOO_SMALL;
    memset(pls, 0, sizeof *pls);
    pls->desc = *desc;
    if (pls->desc.iterations == 0) pls->desc.iterations = 20;
    rd = saferl_gp__pls_gp_desc(desc, &desc->reward);
    cd = saferl_gp__pls_gp_desc(desc, &desc->cost);
    a = saferl_gp_memory_size(&rd);
    b = saferl_gp_memory_size(&cd);
    if ((r = saferl_gp_init(&pls->reward_gp, &rd, p, a)) < 0) return r;
    if ((r = saferl_gp_init(&pls->cost_gp, &cd, p + a, b)) < 0) return r;
    sd = saferl_gp__pls_safeopt_desc(pls, desc, &cost);
    c = memory_size - a - b;
    if ((r = saferl_gp_safeopt_init(&pls->opt, &sd, p + a + b, c)) < 0) return r;
    pls->last_index = desc->target_count;
    return SAFERL_OK;
}

SAFERL_GP_API saferl_result saferl_gp_pls_create(saferl_gp_pls *pls, const saferl_gp_pls_desc *desc) {
    size_t size;
    void *memory;
    saferl_result r;
    SAFERL_ASSERT(pls != NULL && desc != NULL);
    if ((r = saferl_gp__pls_check(desc)) < 0) return r;
    size = saferl_gp_pls_memory_size(desc);
    if (size == 0) return SAFERL_ERR_INVALID_ARGUMENT;
    memory = saferl_gp__allocate(&desc->allocator, size);
    if (!memory) return SAFERL_ERR_OUT_OF_MEMORY;
    r = saferl_gp_pls_init(pls, desc, memory, size);
    if (r < 0) {
        saferl_gp__release(&desc->allocator, memory);
        return r;
    }
    pls->owned_memory = memory;
    return SAFERL_OK;
}

SAFERL_GP_API void saferl_gp_pls_destroy(saferl_gp_pls *pls) {
    if (!pls || !pls->owned_memory) return;
    saferl_gp__release(&pls->desc.allocator, pls->owned_memory);
    memset(pls, 0, sizeof *pls);
}

SAFERL_GP_API saferl_result saferl_gp_pls_step(saferl_gp_pls *pls, saferl_gp_pls_record *record) {
    saferl_gp_safeopt_step step;
    saferl_gp_pls_record rec;
    double reward = 0.0, cost = 0.0;
    const double *z;
    saferl_result r;
    SAFERL_ASSERT(pls != NULL);
    if (pls->reward_gp.count >= pls->reward_gp.capacity) return SAFERL_ERR_BUFFER_TOO_SMALL;
    if ((r = saferl_gp_safeopt_next(&pls->opt, &step)) < 0) return r;
    z = pls->desc.targets + (size_t)step.index * pls->desc.dim;
    if (pls->desc.evaluate(z, &reward, &cost, pls->desc.user_data) != 0) return SAFERL_ERR_INVALID_ARGUMENT;
    if (!saferl_gp__is_finite(reward) || !saferl_gp__is_finite(cost)) return SAFERL_ERR_NOT_FINITE;
    if ((r = saferl_gp_safeopt_observe(&pls->opt, step.index, reward, &cost)) < 0) return r;
    pls->iteration += 1;
    pls->last_index = step.index;
    memset(&rec, 0, sizeof rec);
    rec.iteration = pls->iteration;
    rec.index = step.index;
    rec.stage = step.stage;
    rec.beta = step.beta;
    rec.cost_upper = pls->opt.upper[(size_t)pls->desc.target_count + step.index];
    rec.reward_upper = step.objective_upper;
    rec.reward_return = reward;
    rec.cost_return = cost;
    rec.violated = cost > pls->desc.cost_limit;
    pls->violations += (uint32_t)rec.violated;
    if (record) *record = rec;
    return SAFERL_OK;
}

SAFERL_GP_API saferl_result saferl_gp_pls_run(saferl_gp_pls *pls, saferl_gp_pls_record *records,
                                              uint32_t record_capacity, uint32_t *record_count) {
    uint32_t done = 0;
    saferl_result r = SAFERL_OK;
    while (pls->iteration < pls->desc.iterations) {
        saferl_gp_pls_record rec;
        r = saferl_gp_pls_step(pls, &rec);
        if (r < 0) break;
        if (records && done < record_capacity) records[done] = rec;
        done += 1;
    }
    if (record_count) *record_count = done;
    return r;
}

SAFERL_GP_API uint32_t saferl_gp_pls_recommendation(const saferl_gp_pls *pls) {
    return saferl_gp_safeopt_best(&pls->opt);
}

/* ---- numeric CSV ---------------------------------------------------------------------------------- */

static int saferl_gp__csv_blank(char c) { return c == ' ' || c == '\t'; }

SAFERL_GP_API saferl_result saferl_gp_csv_parse(const char *text, size_t length, double *values, size_t capacity,
                                                uint32_t *rows, uint32_t *columns, saferl_gp_csv_error *error) {
    size_t pos = 0, stored = 0;
    uint32_t line = 0, row_count = 0, cols = 0;
    int first_row = 1;
    saferl_gp_csv_error err;
    memset(&err, 0, sizeof err);
    if (!text && length) return SAFERL_ERR_INVALID_ARGUMENT;
    while (pos < length) {
        size_t start = pos, end = pos, p;
        uint32_t fields = 0;
        ++line;
        while (end < length && text[end] != '\n') ++end;
        pos = end < length ? end + 1 : end;
        if (end > start && text[end - 1] == '\r') --end;
        p = start;
        while (p < end && saferl_gp__csv_blank(text[p])) ++p;
        if (p == end || text[p] == '#') continue;
        if (first_row && ((text[p] >= 'a' && text[p] <= 'z') || (text[p] >= 'A' && text[p] <= 'Z') || text[p] == '"')) {
            first_row = 0; /* a header */
            continue;
        }
        first_row = 0;
        for (;;) {
            char field[64];
            size_t f = p, flen;
            double v;
            char *stop;
            while (p < end && text[p] != ',') ++p;
            /* trim */
            {
                size_t a = f, b = p;
                while (a < b && saferl_gp__csv_blank(text[a])) ++a;
                while (b > a && saferl_gp__csv_blank(text[b - 1])) --b;
                flen = b - a;
                f = a;
            }
            if (flen == 0 || flen >= sizeof field) {
                err.line = line;
                err.column = (uint32_t)(f - start + 1);
                err.code = SAFERL_ERR_PARSE;
                err.reason = flen == 0 ? "empty field" : "field too long for a number";
                goto fail;
            }
            memcpy(field, text + f, flen);
            field[flen] = '\0';
            v = strtod(field, &stop);
            if (stop != field + flen || (field[0] != '-' && field[0] != '+' && field[0] != '.' &&
                                         !(field[0] >= '0' && field[0] <= '9'))) {
                err.line = line;
                err.column = (uint32_t)(f - start + 1);
                err.code = SAFERL_ERR_PARSE;
                err.reason = "not a number";
                goto fail;
            }
            {
                /* strtod also reads "0x..", "infinity", "nan(...)": only plain decimals pass */
                size_t q;
                for (q = 0; q < flen; ++q) {
                    char ch = field[q];
                    if (!((ch >= '0' && ch <= '9') || ch == '.' || ch == 'e' || ch == 'E' || ch == '-' || ch == '+')) {
                        err.line = line;
                        err.column = (uint32_t)(f - start + 1 + q);
                        err.code = SAFERL_ERR_PARSE;
                        err.reason = "not a decimal number";
                        goto fail;
                    }
                }
            }
            if (!saferl_gp__is_finite(v)) {
                err.line = line;
                err.column = (uint32_t)(f - start + 1);
                err.code = SAFERL_ERR_NOT_FINITE;
                err.reason = "number out of the double range";
                goto fail;
            }
            if (values && stored < capacity) values[stored] = v;
            ++stored;
            ++fields;
            if (p >= end) break;
            ++p; /* the comma */
        }
        if (row_count == 0) cols = fields;
        else if (fields != cols) {
            err.line = line;
            err.column = 1;
            err.code = SAFERL_ERR_PARSE;
            err.reason = fields < cols ? "fewer fields than the first row" : "more fields than the first row";
            goto fail;
        }
        ++row_count;
    }
    if (rows) *rows = row_count;
    if (columns) *columns = cols;
    if (error) *error = err;
    if (row_count == 0) return SAFERL_ERR_NO_DATA;
    if (stored > capacity || !values) return SAFERL_ERR_BUFFER_TOO_SMALL;
    return SAFERL_OK;
fail:
    if (rows) *rows = row_count;
    if (columns) *columns = cols;
    if (error) *error = err;
    return err.code;
}

#if defined(__clang__) && (defined(__x86_64__) || defined(__i386__))
#  pragma float_control(pop)
#elif defined(__GNUC__) && !defined(__clang__)
#  pragma GCC pop_options
#endif

#endif /* SAFERL_GP_IMPLEMENTATION_ONCE */
#endif /* SAFERL_GP_IMPLEMENTATION */

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
