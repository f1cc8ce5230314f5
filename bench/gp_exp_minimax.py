#!/usr/bin/python3
# SPDX-License-Identifier: MIT OR Unlicense
"""The coefficients of saferl_gp.h's exp polynomial: the degree-11 polynomial p of least
maximum relative error |p(r) - e^r| / e^r on |r| <= ln2 / 2 (widened by 1e-6 for the range
reduction's rounding), by Remez exchange in 50-digit arithmetic (mpmath, Debian's
python3-mpmath). Prints the error each round, then the coefficients rounded to doubles as
the header writes them (c0 and c1 round to 1).

    bench/gp_exp_minimax.py"""
import mpmath as mp

mp.mp.dps = 50
DEGREE = 11
HALF_WIDTH = mp.log(2) / 2 * (1 + mp.mpf("1e-6"))
POINTS = DEGREE + 2


def relative_error(c, x):
    return (mp.polyval(c[::-1], x) - mp.exp(x)) / mp.exp(x)


def solve(reference):
    """p(x_i) + (-1)^i E e^(x_i) = e^(x_i) on the reference: the coefficients and the level E."""
    a, b = mp.matrix(POINTS, POINTS), mp.matrix(POINTS, 1)
    for i, x in enumerate(reference):
        for k in range(DEGREE + 1):
            a[i, k] = x ** k
        a[i, DEGREE + 1] = (-1) ** i * mp.exp(x)
        b[i] = mp.exp(x)
    s = mp.lu_solve(a, b)
    return [s[k] for k in range(DEGREE + 1)], s[DEGREE + 1]


def alternating_extrema(grid, errors):
    """Local extrema of |error| (ends included), one per run of equal sign, POINTS of them."""
    last = len(grid) - 1
    picked = []
    for i in range(len(grid)):
        if 0 < i < last and not (abs(errors[i]) >= abs(errors[i - 1]) and abs(errors[i]) >= abs(errors[i + 1])):
            continue
        if picked and mp.sign(errors[i]) == mp.sign(errors[picked[-1]]):
            if abs(errors[i]) > abs(errors[picked[-1]]):
                picked[-1] = i
        else:
            picked.append(i)
    while len(picked) > POINTS:
        picked.pop(0 if abs(errors[picked[0]]) < abs(errors[picked[-1]]) else -1)
    return [grid[i] for i in picked]


def main():
    reference = [HALF_WIDTH * mp.cos(mp.pi * (POINTS - 1 - i) / (POINTS - 1)) for i in range(POINTS)]
    grid = [HALF_WIDTH * mp.cos(mp.pi * (4000 - i) / 4000) for i in range(4001)]
    for round_ in range(10):
        c, level = solve(reference)
        errors = [relative_error(c, x) for x in grid]
        print("round %d: level %s, max relative error on the grid %s"
              % (round_, mp.nstr(abs(level), 6), mp.nstr(max(abs(e) for e in errors), 6)))
        reference = alternating_extrema(grid, errors)
    print(" ".join("%.17g" % float(v) for v in c))


if __name__ == "__main__":
    main()
