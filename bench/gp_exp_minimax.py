#!/usr/bin/python3
# SPDX-License-Identifier: MIT OR Unlicense
"""The constants of saferl_gp.h's exp (Tang's table-driven method, since 0.4.9): the table
T[i] = 2^(i/16), i = 0..15, rounded to doubles, and the polynomial 1 + r + c2 r^2 + ... + c6 r^6
of least maximum relative error |p(r) - e^r| / e^r on |r| <= ln2 / 32 (widened by 1e-6 for
the range reduction's rounding), c0 = c1 = 1 fixed so that the header adds r without a
multiply. Remez exchange in 50-digit arithmetic (mpmath, Debian's python3-mpmath). Prints
the error each round, the coefficients c2..c(DEGREE) rounded to doubles as the header writes them
with the error after that rounding, then the table and the header's form of it (T[i]'s bits
less i << 48).

    bench/gp_exp_minimax.py [TABLE_BITS DEGREE]    (default 4 6: the header's)

TABLE_BITS 6 and DEGREE 5 give a 64-entry table's candidate (bench/experiments/gp_exp_variants.c)."""
import struct
import sys

import mpmath as mp

mp.mp.dps = 50
TABLE_BITS = int(sys.argv[1]) if len(sys.argv) > 1 else 4
DEGREE = int(sys.argv[2]) if len(sys.argv) > 2 else 6
HALF_WIDTH = mp.log(2) / 2 ** (TABLE_BITS + 1) * (1 + mp.mpf("1e-6"))
POWERS = list(range(2, DEGREE + 1))  # the free coefficients' powers
POINTS = len(POWERS) + 1


def p(c, x):
    return 1 + x + sum(ck * x ** k for ck, k in zip(c, POWERS))


def relative_error(c, x):
    return (p(c, x) - mp.exp(x)) / mp.exp(x)


def solve(reference):
    """p(x_i) + (-1)^i E e^(x_i) = e^(x_i) on the reference: the coefficients and the level E."""
    a, b = mp.matrix(POINTS, POINTS), mp.matrix(POINTS, 1)
    for i, x in enumerate(reference):
        for j, k in enumerate(POWERS):
            a[i, j] = x ** k
        a[i, POINTS - 1] = (-1) ** i * mp.exp(x)
        b[i] = mp.exp(x) - 1 - x
    s = mp.lu_solve(a, b)
    return [s[k] for k in range(POINTS - 1)], s[POINTS - 1]


def alternating_extrema(grid, errors):
    """Local extrema of |error| (ends included), one per run of equal sign, POINTS of them.
    The error is 0 at r = 0 (c0 and c1 are exact): that point is no extremum."""
    last = len(grid) - 1
    picked = []
    for i in range(len(grid)):
        if errors[i] == 0:
            continue
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
    reference = [HALF_WIDTH * mp.cos(mp.pi * (POINTS - 0.5 - i) / POINTS) for i in range(POINTS)]
    grid = [HALF_WIDTH * mp.cos(mp.pi * (4000 - i) / 4000) for i in range(4001)]
    for round_ in range(10):
        c, level = solve(reference)
        errors = [relative_error(c, x) for x in grid]
        print("round %d: level %s, max relative error on the grid %s"
              % (round_, mp.nstr(abs(level), 6), mp.nstr(max(abs(e) for e in errors), 6)))
        reference = alternating_extrema(grid, errors)
    rounded = [mp.mpf(float(v)) for v in c]
    print("c2..c%d: " % DEGREE + " ".join("%.17g" % float(v) for v in c))
    print("max relative error with the coefficients rounded to doubles: %s"
          % mp.nstr(max(abs(relative_error(rounded, x)) for x in grid), 6))
    table = [float(mp.mpf(2) ** (mp.mpf(i) / 2 ** TABLE_BITS)) for i in range(2 ** TABLE_BITS)]
    print("T: " + ", ".join(repr(t) for t in table))
    # the header's table (0.4.14): T[i]'s bits less i << (52 - TABLE_BITS), so that k's bits
    # shifted by 52 - TABLE_BITS add 2^(k >> TABLE_BITS) with no mask
    print("T bits less i << %d: " % (52 - TABLE_BITS) + ", ".join(
        "0x%016xu" % (struct.unpack("<Q", struct.pack("<d", t))[0] - (i << (52 - TABLE_BITS))) for i, t in enumerate(table)))


if __name__ == "__main__":
    main()
