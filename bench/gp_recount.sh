#!/bin/sh
# SPDX-License-Identifier: MIT OR Unlicense
# The multiply-pipe count of fit + predict in one run (the load average before and after): the
# 512-bit FMA tiles' peak (bench/gp_overlap.c) and the FMA pipes' peak with the exp alone
# (bench/gp_phases.c), dgemm's rate (BLIS, one thread, the fastest sub-configuration), and the
# AVX-512 copies' multiplies per 8 kernel values counted in their compiled loops
# (bench/gp_count_ops.py ... zmm): the exp (RBF, with the signal variance; its -1/2 is in the input scale), the
# mean, and the solve's FMAs a k step of a tile. The floors: give the rates to bench/gp_floor.py
# (the exp's ns a value: gp_phases' "exp alone" at n = 100, in ms per 10^4 queries, is that number).
set -eu
cd "$(dirname "$0")/.."
mkdir -p build
CC=${CC:-gcc}
PY=${PY:-/usr/bin/python3}
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"
$CC -O3 -mavx2 -mfma -ffp-contract=off -I. bench/gp_overlap.c -o build/bench_gp_overlap -lm
$CC -O3 -march=x86-64-v2 -I. -Ibench bench/gp_phases.c -o build/bench_gp_phases -lm
$CC -std=gnu99 -O3 -march=x86-64-v2 -DSAFERL_USE_BLIS -I. bench/gp.c -o build/bench_gp_blis -lblis -lm
echo "== 512-bit tiles (bench/gp_overlap.c)"
build/bench_gp_overlap | grep -i "wide\|6 x 16\|peak\|GFLOP" || true
echo "== phases (bench/gp_phases.c): the FMA peak and the exp alone"
build/bench_gp_phases | grep "peak\|exp alone" || true
echo "== dgemm (BLIS, one thread)"
best=0
for arch in "" 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
    if [ -z "$arch" ]; then out=$(env -u BLIS_ARCH_TYPE OMP_NUM_THREADS=1 BLIS_NUM_THREADS=1 build/bench_gp_blis --dgemm-rate 2>/dev/null) || continue
    else out=$(BLIS_ARCH_TYPE=$arch OMP_NUM_THREADS=1 BLIS_NUM_THREADS=1 build/bench_gp_blis --dgemm-rate 2>/dev/null) || continue; fi
    rate=$(echo "$out" | tail -1)
    case "$rate" in ''|*[!0-9.]*) continue ;; esac
    echo "  BLIS_ARCH_TYPE=${arch:-default}: $rate GFLOP/s"
    if awk -v a="$rate" -v b="$best" 'BEGIN { exit !(a > b) }'; then best=$rate; fi
done
echo "dgemm's rate: $best GFLOP/s"
echo "== multiplies, adds, other per loop (AVX-512 copies, zmm)"
for f in saferl_gp__rho_row_avx512 saferl_gp__add_rows_avx512 saferl_gp__solve_columns_fused_avx512; do
    echo "$f:"
    $PY bench/gp_count_ops.py build/bench_gp_phases $f zmm | tail -n +2
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
