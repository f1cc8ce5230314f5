#!/usr/bin/env bash
# Benchmark of saferl_budget.h's estimators against statsmodels and numpy on the same
# 10^7 attempts, single-threaded on both sides; then the coverage grid of the prompt set's
# interval (bench/run_budget_coverage.sh). Run from anywhere: bench/run_budget.sh
set -eu
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mkdir -p build
CC=${CC:-gcc}
PY=${PY:-/usr/bin/python3}
V2="$CC -O3 -march=x86-64-v2 -I."
NATIVE="$CC -O3 -march=native -I."

$V2 bench/budget.c -o build/bench_budget_v2 -lm
$NATIVE bench/budget.c -o build/bench_budget_native -lm

build/bench_budget_v2 --write build/budget_records.bin
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \
    "$PY" bench/budget_statsmodels.py build/budget_records.bin build/budget_peer.txt

echo
echo "== $V2"
build/bench_budget_v2 --peer build/budget_peer.txt --config "$V2, 1 thread"
echo
echo "== $NATIVE (reported separately)"
build/bench_budget_native --peer build/budget_peer.txt --config "$NATIVE, 1 thread"
rm -f build/budget_records.bin

echo
bench/run_budget_coverage.sh
