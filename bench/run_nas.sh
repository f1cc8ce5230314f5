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
#  3. Supernet step time, forward + backward through one fixed NAS-Bench-201 cell, against
#     PyTorch on the same shapes (one thread on both sides), in ROUNDS alternating rounds of
#     our portable build, our BLIS build (its convolutions run on the header's own kernel; BLIS
#     does the linear layers), PyTorch, an SSE-only native build and the same program compiled
#     to WebAssembly under node and in Debian's chromium, where the pages run (bench/
#     nas_browser.mjs; a page has no CPU clock, so the renderer's CPU time is read from outside);
#     the WebAssembly/native ratio for both, and node against native at the same 4-float vector
#     width; the architecture update time per step. Then the step's
#     phases alone (bench/nas.c phases: a 3x3 convolution's forward, weight gradient, input
#     gradient and padded copies, and the poolings) in the portable, SSE-only and WebAssembly
#     builds, alternating in the same rounds, with WebAssembly's time over each native build
#     phase by phase.
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
ROUNDS=${ROUNDS:-3}
echo "== supernet speed: batch 32, 3x16x16 inputs, C = 16, one sampled cell, 1 thread; $ROUNDS alternating rounds"
echo "   each line a median of 20 steps' CPU time (the machine may be shared: the CPU time leaves out"
echo "   the time others held the core; wall time in brackets), GFLOP/s of that CPU time"
$CC -std=gnu99 -O3 -march=x86-64-v2 -DSAFERL_NO_DISPATCH -I. bench/nas.c -o build/bench_nas_sse -lm
have_wasm=0
if command -v emcc >/dev/null; then
    # the page's flags (mk/nas.mk NAS_WASM_SPEED)
    NODE_PATH=/usr/share/nodejs emcc -O3 -msimd128 -mllvm -no-stack-coloring -fno-inline-functions -std=gnu99 -I. \
        bench/nas.c -o build/bench_nas.js \
        -sENVIRONMENT=node -sSINGLE_FILE=1 -sALLOW_MEMORY_GROWTH=1 && have_wasm=1
fi
# the same program for the browser (bench/nas_browser.mjs runs it in Debian's chromium through
# playwright-core from web/node_modules: npm ci in web/)
have_chromium=0
if [ $have_wasm = 1 ] && [ -x "${CHROMIUM:-/usr/bin/chromium}" ] && [ -d web/node_modules/playwright-core ]; then
    mkdir -p build/bench_nas_web
    NODE_PATH=/usr/share/nodejs emcc -O3 -msimd128 -mllvm -no-stack-coloring -fno-inline-functions -std=gnu99 -I. \
        bench/nas.c -o build/bench_nas_web/bench_nas.js \
        -sENVIRONMENT=web -sALLOW_MEMORY_GROWTH=1 -sEXPORTED_RUNTIME_METHODS=callMain && have_chromium=1
fi
have_torch=0
"$PY" -c "import torch" 2>/dev/null && have_torch=1
cpu_ms() { sed -n 's/.*(CPU \([0-9.]*\) ms).*/\1/p' | head -1; }
wall_ms() { sed -n 's/.* median \([0-9.]*\) ms.*/\1/p' | head -1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
show() { # label, the program's first line
    printf '%-34s %s ms (wall %s ms)\n' "$1" "$(echo "$2" | cpu_ms)" "$(echo "$2" | wall_ms)"
}
declare -A all
declare -a phase
PHASES=$(build/bench_nas phases 1 1 | wc -l)
for r in $(seq "$ROUNDS"); do
    echo "round $r, load average $(cut -d' ' -f1-3 /proc/loadavg):"
    ours=$(build/bench_nas speed 32 20)
    [ "$r" = 1 ] && mflop=$(echo "$ours" | sed -n 's/.*(\([0-9.]*\) MFLOP a step)/\1/p') && arch=$(echo "$ours" | sed -n 2p)
    show "  saferl portable (AVX2 at run time)" "$ours"; all[portable]+=" $(echo "$ours" | cpu_ms)"
    if [ -x build/bench_nas_blis ]; then
        blis=$(BLIS_NUM_THREADS=1 build/bench_nas_blis speed 32 20 | head -1)
        show "  saferl BLIS" "$blis"; all[blis]+=" $(echo "$blis" | cpu_ms)"
    fi
    if [ $have_torch = 1 ]; then
        torch=$(OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 "$PY" bench/nas_torch.py 32 20)
        [ "$r" = 1 ] && torch_version=$(echo "$torch" | cut -d' ' -f2)
        show "  PyTorch" "$torch"; all[torch]+=" $(echo "$torch" | cpu_ms)"
        all[torch_portable]+=" $(ratio "$(echo "$torch" | cpu_ms)" "$(echo "$ours" | cpu_ms)")"
        [ -n "${blis:-}" ] && all[torch_blis]+=" $(ratio "$(echo "$torch" | cpu_ms)" "$(echo "$blis" | cpu_ms)")"
    fi
    sse=$(build/bench_nas_sse speed 32 20 | head -1)
    show "  saferl SSE only (SAFERL_NO_DISPATCH)" "$sse"; all[sse]+=" $(echo "$sse" | cpu_ms)"
    if [ $have_wasm = 1 ]; then
        wasm=$(node build/bench_nas.js speed 32 20 | head -1)
        show "  saferl WebAssembly (node, simd128)" "$wasm"; all[wasm]+=" $(echo "$wasm" | cpu_ms)"
        all[wasm_portable]+=" $(ratio "$(echo "$wasm" | cpu_ms)" "$(echo "$ours" | cpu_ms)")"
        all[wasm_sse]+=" $(ratio "$(echo "$wasm" | cpu_ms)" "$(echo "$sse" | cpu_ms)")"
    fi
    if [ $have_chromium = 1 ]; then
        # the renderer's CPU time per step: medians of seven 13- and 3-step runs, their difference over 10
        web=$(node bench/nas_browser.mjs build/bench_nas_web 32 3 13 2>/dev/null | grep '^supernet' || true)
        if [ -n "$web" ]; then
            [ "$r" = 1 ] && chromium_version=$(echo "$web" | sed 's/.*chromium //')
            show "  saferl WebAssembly (chromium)" "$web"; all[chromium]+=" $(echo "$web" | cpu_ms)"
            all[chromium_portable]+=" $(ratio "$(echo "$web" | cpu_ms)" "$(echo "$ours" | cpu_ms)")"
        fi
    fi
    # the phases: one line each, "name, batch 32: CPU t ms"
    phases_portable=$(build/bench_nas phases 32 20)
    phases_sse=$(build/bench_nas_sse phases 32 20)
    [ $have_wasm = 1 ] && phases_wasm=$(node build/bench_nas.js phases 32 20)
    for p in $(seq "$PHASES"); do
        for build in portable sse wasm; do
            v=phases_$build
            [ -n "${!v:-}" ] || continue
            phase[$p]=$(echo "${!v}" | sed -n "${p}p" | sed 's/, batch.*//')
            all[phase${p}_$build]+=" $(echo "${!v}" | sed -n "${p}p" | sed 's/.*CPU \([0-9.]*\) ms.*/\1/')"
        done
    done
done
gflops() { awk -v m="$mflop" -v t="$1" 'BEGIN { printf "%.1f", m / t }'; }
echo "medians over the rounds, CPU time per step ($mflop MFLOP):"
for k in portable blis torch sse wasm chromium; do
    [ -n "${all[$k]:-}" ] || continue
    t=$(echo "${all[$k]}" | median)
    echo "  $k: $t ms, $(gflops "$t") GFLOP/s (rounds:${all[$k]})"
done
[ -n "${all[torch_portable]:-}" ] && echo "PyTorch $torch_version / saferl portable, per round:${all[torch_portable]}, median $(echo "${all[torch_portable]}" | median) (goal >= 1)"
[ -n "${all[torch_blis]:-}" ] && echo "PyTorch / saferl BLIS, per round:${all[torch_blis]}, median $(echo "${all[torch_blis]}" | median) (goal >= 1.5)"
[ -n "${all[wasm_portable]:-}" ] && echo "WebAssembly in node $(node --version) / native portable, per round:${all[wasm_portable]}, median $(echo "${all[wasm_portable]}" | median) (goal <= 2)"
[ -n "${all[chromium_portable]:-}" ] && echo "WebAssembly in chromium $chromium_version / native portable, per round:${all[chromium_portable]}, median $(echo "${all[chromium_portable]}" | median) (goal <= 2)"
[ -n "${all[wasm_sse]:-}" ] && echo "WebAssembly / native SSE only (4 lanes on both sides), per round:${all[wasm_sse]}, median $(echo "${all[wasm_sse]}" | median)"
echo "the phases alone, median CPU ms over the rounds (portable / SSE only / WebAssembly), WebAssembly over each:"
declare -A phase_median
for p in $(seq "$PHASES"); do
    for build in portable sse wasm; do phase_median[$build]=$(echo "${all[phase${p}_$build]:-}" | median); done
    line=$(printf '  %-40s %s / %s' "${phase[$p]}:" "${phase_median[portable]}" "${phase_median[sse]}")
    if [ $have_wasm = 1 ]; then
        line="$line / ${phase_median[wasm]}: $(ratio "${phase_median[wasm]}" "${phase_median[portable]}")x portable, $(ratio "${phase_median[wasm]}" "${phase_median[sse]}")x SSE only"
    fi
    echo "$line"
done
echo "$arch"
if [ $have_torch = 1 ] && [ -x build/bench_nas_blis ]; then
    # The ceiling: if PyTorch ran above 2/3 of the one-thread peak, no code could be 1.5x it.
    peak=$(BLIS_NUM_THREADS=1 build/bench_nas_blis peak 5)
    echo "$peak" | sed 's/^/ceiling, one thread, CPU time: /'
    p=$(echo "$peak" | sed -n 's/^bli_sgemm 1024^3: \([0-9.]*\) GFLOP.*/\1/p')
    shapes=$(echo "$peak" | sed -n 's/^bli_sgemm 16x256x144.*: \([0-9.]*\) GFLOP.*/\1/p')
    t=$(echo "${all[torch]}" | median)
    awk -v p="$p" -v s="$shapes" -v t="$t" -v m="$mflop" 'BEGIN {
        g = m / t; need = 1.5 * g
        printf "bound: PyTorch runs at %.1f GFLOP/s = %.0f%% of the sgemm peak %.1f; 1.5x PyTorch needs %.1f GFLOP/s = %.0f%% of peak", g, 100 * g / p, p, need, 100 * need / p
        printf " (%.0f%% of what bli_sgemm reaches on one image'"'"'s 3x3 convolution, %.1f): ", 100 * need / s, s
        if (g > 2 * p / 3) print "impossible (PyTorch above 2/3 of peak)"
        else print "not ruled out by the peak"
    }'
fi
[ $have_torch = 1 ] || echo "peer: python3-torch not installed (tools/deps.sh bench installs it)"
fi
