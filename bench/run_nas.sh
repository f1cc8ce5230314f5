#!/usr/bin/env bash
# Benchmarks of saferl_nas.h. Run from anywhere: bench/run_nas.sh
#  1. The AdvantageNAS paper's toy task with the official settings fixed before running
#     (Adam alpha 1e-3, beta1 0.9, batch 100, EMA coefficient 0.05, GDAS's and SNAS's
#     temperatures over toy.py's 2000 iterations; seeds 1..10, paired: a seed fixes the teacher
#     and the frozen weights), every strategy the paper compares, run for the 600 iterations
#     the paper's figure shows (the first 600 of a 2000-iteration run, identically). The paper's metric (its plot script): the argmax architecture's loss x 100,
#     median and quartiles over seeds, iterations 0-600; the paired comparison with
#     AdvantageNAS; first hits as a secondary column; the figure build/bench_nas_toy.png.
#     Two strategies run at a time (2 cores).
#  2. NAS-Bench-201 as a tabular stand-in (bench/nas.c nb201; needs ../shared/data/
#     nb201_accuracy.csv, skipped without it): every strategy's architecture updates against
#     the tabulated CIFAR-10 accuracies (a cell's loss is its test error plus noise), the
#     argmax cell's test accuracy over the updates, 10 seeds. No shared weights: not the
#     paper's supernet-on-CIFAR setting.
#  3. Supernet samples per second, forward + backward through one fixed NAS-Bench-201 cell,
#     against PyTorch on the same shapes (one thread on both sides), and the architecture
#     update time per step; the same program compiled to WebAssembly and run under node, for
#     the WebAssembly/native ratio.
set -eu
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mkdir -p build
CC=${CC:-gcc}
PY=${PY:-/usr/bin/python3}
SEEDS=${SEEDS:-10}
ITERS=${ITERS:-600}        # the paper's figure shows iterations 0-600 of its 2000-iteration runs
SCHEDULE=${SCHEDULE:-2000} # toy.py's niter: GDAS's and SNAS's temperature schedules
PARTS=${PARTS:-toy nb201 speed}   # a subset runs only those parts
part() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }
strategies_all="advantage advantage_b reinforce parsec gdas proxyless proxyless_official darts snas nasp"
V2="$CC -std=gnu99 -O3 -march=x86-64-v2 -I."
$V2 bench/nas.c -o build/bench_nas -lm
$CC -std=gnu99 -O3 -march=x86-64-v2 -DSAFERL_USE_BLIS -I. bench/nas.c -o build/bench_nas_blis -lblis -lm 2>/dev/null || true

if part toy; then
echo "== toy task, $SEEDS paired seeds x $ITERS iterations (schedules over $SCHEDULE), official hyperparameters ($V2)"
echo "   the paper's metric: the argmax architecture's loss x 100, median [25%, 75%] over seeds"
strategies=$strategies_all
pids=()
for s in $strategies; do
    build/bench_nas toy $s "$SEEDS" "$ITERS" "$SCHEDULE" >build/bench_nas_toy_$s.txt &
    pids+=($!)
    if [ ${#pids[@]} -ge 2 ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
done
for p in "${pids[@]}"; do wait "$p"; done
"$PY" bench/nas_toy_summary.py "$ITERS" build/bench_nas_toy_summary.txt $(for s in $strategies; do echo build/bench_nas_toy_$s.txt; done)
if $CC -std=c99 -O2 -I. -I/usr/include/stb bench/nas_plot.c -o build/bench_nas_plot -lm 2>/dev/null; then
    build/bench_nas_plot build/bench_nas_toy_summary.txt build/bench_nas_toy.png && echo "figure: build/bench_nas_toy.png"
else
    echo "figure skipped: stb headers missing (libstb-dev)"
fi
fi

if part nb201; then
echo
NB201_TABLE=${NB201_TABLE:-../shared/data/nb201_accuracy.csv}
NB201_STEPS=${NB201_STEPS:-10000}
NB201_SIGMA=${NB201_SIGMA:-0.005}
if [ -f "$NB201_TABLE" ]; then
echo "== NAS-Bench-201 as a tabular stand-in (no shared weights): $SEEDS seeds x $NB201_STEPS updates,"
echo "   a cell's loss its tabulated CIFAR-10 test error + N(0, $NB201_SIGMA^2) per cell and update;"
echo "   Adam 3e-4 cosine, beta1 0.5, weight decay 3e-3, clip 1 (the official search's settings)"
pids=()
for s in $strategies_all; do
    build/bench_nas nb201 $s "$SEEDS" "$NB201_STEPS" "$NB201_SIGMA" "$NB201_TABLE" >build/bench_nas_nb201_$s.txt &
    pids+=($!)
    if [ ${#pids[@]} -ge 2 ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
done
for p in "${pids[@]}"; do wait "$p"; done
"$PY" bench/nas_nb201_summary.py "$NB201_STEPS" $(for s in $strategies_all; do echo build/bench_nas_nb201_$s.txt; done)
else
    echo "NAS-Bench-201 table $NB201_TABLE not found: stand-in skipped"
fi
fi

if part speed; then
echo
echo "== supernet speed: batch 32, 3x16x16 inputs, C = 16, one sampled cell, 1 thread; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "   medians of wall time and of the process's CPU time (the machine may be shared: the CPU time"
echo "   leaves out the time others held the core); GFLOP/s of CPU time"
cpu_ms() { sed -n 's/.*(CPU \([0-9.]*\) ms).*/\1/p' | head -1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
ours=$(build/bench_nas speed 32 20)
echo "$ours" | sed 's/^/saferl (portable):  /'
blis=""
if [ -x build/bench_nas_blis ]; then
    blis=$(BLIS_NUM_THREADS=1 build/bench_nas_blis speed 32 20 | head -1)
    echo "$blis" | sed 's/^/saferl (BLIS):      /'
fi
if command -v emcc >/dev/null; then
    # the page's flags (mk/nas.mk NAS_WASM_SPEED)
    NODE_PATH=/usr/share/nodejs emcc -O3 -msimd128 -mllvm -no-stack-coloring -fno-inline-functions -std=gnu99 -I. \
        bench/nas.c -o build/bench_nas.js \
        -sENVIRONMENT=node -sSINGLE_FILE=1 -sALLOW_MEMORY_GROWTH=1
    wasm=$(node build/bench_nas.js speed 32 20 | head -1)
    echo "$wasm" | sed 's/^/saferl (wasm, node): /'
    echo "WebAssembly / native (portable build), CPU time: $(ratio "$(echo "$wasm" | cpu_ms)" "$(echo "$ours" | cpu_ms)") (goal <= 2)"
fi
if "$PY" -c "import torch" 2>/dev/null; then
    torch=$(OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 "$PY" bench/nas_torch.py 32 20)
    echo "$torch" | sed 's/^/peer:               /'
    t=$(echo "$torch" | cpu_ms); o=$(echo "$ours" | cpu_ms)
    line="PyTorch / saferl, CPU time: portable $(ratio "$t" "$o") (goal >= 1)"
    [ -n "$blis" ] && line="$line, BLIS $(ratio "$t" "$(echo "$blis" | cpu_ms)") (goal >= 1.5)"
    echo "$line"
    if [ -x build/bench_nas_blis ]; then
        # The ceiling: if PyTorch ran above 2/3 of the one-thread peak, no code could be 1.5x it.
        peak=$(BLIS_NUM_THREADS=1 build/bench_nas_blis peak 5)
        echo "$peak" | sed 's/^/ceiling, one thread, CPU time: /'
        p=$(echo "$peak" | sed -n 's/^bli_sgemm 1024^3: \([0-9.]*\) GFLOP.*/\1/p')
        shapes=$(echo "$peak" | sed -n 's/^bli_sgemm 16x256x144.*: \([0-9.]*\) GFLOP.*/\1/p')
        mflop=$(echo "$ours" | sed -n 's/.*(\([0-9.]*\) MFLOP a step)/\1/p')
        awk -v p="$p" -v s="$shapes" -v t="$t" -v m="$mflop" 'BEGIN {
            g = m / t; need = 1.5 * g
            printf "bound: PyTorch runs at %.1f GFLOP/s = %.0f%% of the sgemm peak %.1f; 1.5x PyTorch needs %.1f GFLOP/s = %.0f%% of peak", g, 100 * g / p, p, need, 100 * need / p
            printf " (%.0f%% of what bli_sgemm reaches on one image'"'"'s 3x3 convolution, %.1f): ", 100 * need / s, s
            if (g > 2 * p / 3) print "impossible (PyTorch above 2/3 of peak)"
            else print "not ruled out by the peak"
        }'
    fi
else
    echo "peer: python3-torch not installed (tools/deps.sh bench installs it)"
fi
fi
