#!/usr/bin/env bash
# Benchmark of saferl_gp.h against scikit-learn on the same data, one thread on both sides,
# then with default threading; the portable path (its hot loops picked at run time: AVX-512, AVX2 or
# SSE) and the BLIS path; the SSE code alone (SAFERL_NO_DISPATCH) and -march=native for the
# PLS-scale rows; WebAssembly against native for those rows; then the safety and regret of the
# safe optimiser's beta rules on prior-drawn functions (bench/gp_safety.c); between them,
# whether the exp and the solve overlap in one loop (bench/gp_overlap.c). The load average
# is printed before and after: the timings mean little on a busy machine. bench/gp_phases.c times
# each phase of predict alone, whose minima stay comparable under load.
# Run from anywhere: bench/run_gp.sh
set -eu
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mkdir -p build
CC=${CC:-gcc}
PY=${PY:-/usr/bin/python3}
V2="$CC -O3 -march=x86-64-v2 -I."
SSE="$CC -O3 -march=x86-64-v2 -DSAFERL_NO_DISPATCH -I."
NATIVE="$CC -O3 -march=native -I."
BLIS="$CC -std=gnu99 -O3 -march=x86-64-v2 -DSAFERL_USE_BLIS -I."

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"
# the portable build links BLIS only to time dgemm beside each PLS-scale row (--dgemm-beside)
$V2 -DBENCH_DGEMM bench/gp.c -o build/bench_gp_v2 -lblis -lm
$V2 bench/gp_safety.c -o build/bench_gp_safety -lm
$SSE bench/gp.c -o build/bench_gp_sse -lm
$NATIVE bench/gp.c -o build/bench_gp_native -lm
$BLIS bench/gp.c -o build/bench_gp_blis -lblis -lm

# dgemm's rate (BLIS, one thread), the flop half of the PLS-scale rows' lower bounds: the fastest
# of BLIS's own pick and of each sub-configuration forced by number (BLIS_ARCH_TYPE; 0.9 numbers
# them, 0 is skx), since BLIS picks 'generic' on a CPU it does not know (seen: 7 GFLOP/s where
# its skx kernels run at 90). One this CPU cannot run fails and is skipped. The one-thread runs
# below then time that sub-configuration again just before and after each row (--dgemm-beside):
# the host's speed moves within minutes (86 and 102 GFLOP/s, minutes apart).
dgemm_rate() { # BLIS_ARCH_TYPE value or "" for BLIS's own pick: prints "rate sub-configuration"
    local out
    if [ -z "$1" ]; then out=$(env -u BLIS_ARCH_TYPE BLIS_ARCH_DEBUG=1 OMP_NUM_THREADS=1 BLIS_NUM_THREADS=1 build/bench_gp_blis --dgemm-rate 2>&1) || return 1
    else out=$(BLIS_ARCH_TYPE=$1 BLIS_ARCH_DEBUG=1 OMP_NUM_THREADS=1 BLIS_NUM_THREADS=1 build/bench_gp_blis --dgemm-rate 2>&1) || return 1; fi
    echo "$(echo "$out" | tail -1) $(echo "$out" | sed -n "s/.*sub-configuration '\(.*\)'.*/\1/p" | head -1)"
}
DGEMM=0
DGEMM_FROM=""
DGEMM_ARCH=""
for arch in "" 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
    line=$(dgemm_rate "$arch" 2>/dev/null) || continue
    rate=${line%% *}
    case "$rate" in ''|*[!0-9.]*) continue ;; esac
    echo "  BLIS dgemm, ${arch:-default}: sub-configuration ${line#* }, $rate GFLOP/s"
    if awk -v a="$rate" -v b="$DGEMM" 'BEGIN { exit !(a > b) }'; then DGEMM=$rate; DGEMM_FROM=${line#* }; DGEMM_ARCH=$arch; fi
done
echo "dgemm for the bounds: BLIS $DGEMM_FROM, $DGEMM GFLOP/s here (the one-thread runs time it again beside each row)"
# numpy's BLAS here is BLIS too: scikit-learn and our BLIS build get the same kernels
if [ -n "${DGEMM_ARCH:-}" ]; then
    export BLIS_ARCH_TYPE=$DGEMM_ARCH
    echo "BLIS_ARCH_TYPE=$BLIS_ARCH_TYPE ($DGEMM_FROM) for every BLIS run below, scikit-learn's included"
fi
# the exp's FP-pipe operations per value, counted in the portable build's AVX2 code (objdump),
# for the FP-pipe bounds; each counted loop is listed for a reader to check
EXP_OPS=""
if command -v objdump >/dev/null && "$PY" bench/gp_count_ops.py build/bench_gp_v2 bench_rbf_exp >build/gp_exp_ops.txt; then
    EXP_OPS=$(head -1 build/gp_exp_ops.txt)
    echo "the exp's operations a value (multiplies, adds, other), from its compiled loops: $EXP_OPS"
    tail -n +2 build/gp_exp_ops.txt | sed 's/^/  /'
fi
build/bench_gp_v2 --write build/gp_data.bin
echo "sklearn, one thread ..."
OMP_NUM_THREADS=1 BLIS_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \
    "$PY" bench/gp_sklearn.py build/gp_data.bin build/gp_peer_1.txt
echo "sklearn, default threading ..."
"$PY" bench/gp_sklearn.py build/gp_data.bin build/gp_peer_default.txt

echo
echo "== portable, $V2, 1 thread; sklearn 1 thread"
BLIS_NUM_THREADS=1 OMP_NUM_THREADS=1 \
    build/bench_gp_v2 --peer build/gp_peer_1.txt --config "$V2, 1 thread" --dgemm-beside --exp-ops "$EXP_OPS"
echo
echo "== the phases of predict, each timed alone on a block of 64 queries (bench/gp_phases.c), 1 thread"
$V2 -Wall -Wextra -Werror bench/gp_phases.c -o build/bench_gp_phases -lm
build/bench_gp_phases
echo
echo "== BLIS, $BLIS, BLIS_NUM_THREADS=1; sklearn 1 thread"
BLIS_NUM_THREADS=1 build/bench_gp_blis --peer build/gp_peer_1.txt --config "BLIS, 1 thread" --dgemm-beside
echo
echo "== BLIS with default threading; sklearn with default threading ($(nproc) cores)"
build/bench_gp_blis --peer build/gp_peer_default.txt --config "BLIS, default threads"
echo
echo "== the SSE code alone: $SSE, 1 thread"
build/bench_gp_sse --peer build/gp_peer_1.txt --config "$SSE, 1 thread" --quick
echo
echo "== $NATIVE (reported separately), 1 thread"
build/bench_gp_native --peer build/gp_peer_1.txt --config "$NATIVE, 1 thread" --quick
if command -v emcc >/dev/null; then
    echo
    echo "== WebAssembly (emcc -O3 -msimd128, node) against native -O3 -march=x86-64-v2, PLS-scale rows"
    NODE_PATH=/usr/share/nodejs emcc -O3 -msimd128 -I. -sENVIRONMENT=node -sSINGLE_FILE=1 -sALLOW_MEMORY_GROWTH=1 \
        -sINITIAL_MEMORY=268435456 -sNODERAWFS=1 bench/gp.c -o build/bench_gp.js
    node build/bench_gp.js --quick --dump build/gp_wasm.txt >/dev/null
    build/bench_gp_v2 --quick --dump build/gp_native_quick.txt >/dev/null
    build/bench_gp_sse --quick --dump build/gp_sse_quick.txt >/dev/null
    echo "  (native: the default portable build, AVX2 picked at run time; SSE: SAFERL_NO_DISPATCH)"
    awk 'FILENAME == ARGV[1] { native[$1] = $2; next }
         FILENAME == ARGV[2] { sse[$1] = $2; next }
         ($1 in native) { printf "  %-24s native %9.4g ms  SSE %9.4g ms  wasm %9.4g ms  wasm/native %5.2f  wasm/SSE %5.2f\n",
                          $1, 1e3 * native[$1], 1e3 * sse[$1], 1e3 * $2, $2 / native[$1], $2 / sse[$1] }' \
        build/gp_native_quick.txt build/gp_sse_quick.txt build/gp_wasm.txt
fi
echo
echo "== can the exp and the variance solve overlap in one loop? (bench/gp_overlap.c, one thread)"
gcc -O3 -mavx2 -mfma -ffp-contract=off -I. bench/gp_overlap.c -o build/bench_gp_overlap -lm # GCC: see the file
build/bench_gp_overlap
echo
echo "== safety and regret of the beta rules on functions drawn from the GP prior"
build/bench_gp_safety --draws 20
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
rm -f build/gp_data.bin
