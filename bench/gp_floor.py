#!/usr/bin/python3
# SPDX-License-Identifier: MIT OR Unlicense
"""The multiply-pipe floor of fit + predict (RBF, d = 2, the AVX-512 copies) against the goal's
bound, from the rates and counts bench/gp_recount.sh prints:

    gp_floor.py FMA_PER_NS DGEMM_GFLOPS EXP_NS_PER_VALUE MULTIPLIES_PER_8

FMA_PER_NS: 8-double multiply-pipe operations a ns (the 512-bit tiles' peak); MULTIPLIES_PER_8:
multiply-pipe operations per 8 kernel values besides the solve's n / 2 FMAs (exp, distances and
scaling, mean). The fit counts its kernel matrix (n (n - 1) / 2 values at the same operations less
the mean's), the Cholesky's n^3 / 6 FMAs and the substitutions' n^2 at 8 a vector. The bound is
bench/gp.c's: max(flops at dgemm's rate, kernel values x the exp's time alone), flops n^3 / 3 +
n^2 m + 2 n m. Prints floor / bound per row, and the most multiplies per 8 values (besides the
solve's) for which the floor is within 1.5x of the bound."""
import sys


def floor_and_bound(n, m, per_ns, dgemm, exp_ns, extra):
    values = n * m
    fit_values = n * (n - 1) / 2
    ops = values * (extra + n / 2) / 8 + fit_values * (extra - 1) / 8 + n ** 3 / 48 + n * n / 8
    flops = n ** 3 / 3 + n * n * m + 2 * n * m
    bound = max(flops / dgemm, (fit_values + values) * exp_ns)  # ns
    return ops / per_ns, bound


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    per_ns, dgemm, exp_ns, extra = map(float, sys.argv[1:])
    for n, m in ((25, 1000), (25, 10000), (50, 1000), (50, 10000), (100, 1000), (100, 10000)):
        floor, bound = floor_and_bound(n, m, per_ns, dgemm, exp_ns, extra)
        # the floor is linear in the multiplies: solve floor(most) = 1.5 bound
        at_zero = floor_and_bound(n, m, per_ns, dgemm, exp_ns, 0.0)[0]
        slope = floor_and_bound(n, m, per_ns, dgemm, exp_ns, 1.0)[0] - at_zero
        most = (1.5 * bound - at_zero) / slope
        print("n = %3d, |Z| = %5d: floor %.4g ms, bound %.4g ms, floor / bound %.3f; within 1.5x at <= %.2f"
              " multiplies per 8 values besides the solve" % (n, m, floor * 1e-6, bound * 1e-6, floor / bound, most))


if __name__ == "__main__":
    main()
