#!/usr/bin/env bash
# Benchmarks of saferl_nas.h. Run from anywhere: bench/run_nas.sh
#  1. The AdvantageNAS paper's toy task with the official settings fixed before running
#     (Adam alpha 1e-3, beta1 0.9, batch 100, 2000 iterations, EMA coefficient 0.05; seeds
#     1..10): per strategy the median iteration at which the argmax architecture first equals
#     the teacher's (censored at 2001 = never), and the median iteration from which it stays
#     equal. Two strategies run at a time (2 cores).
#  2. Supernet samples per second, forward + backward through one fixed NAS-Bench-201 cell,
#     against PyTorch on the same shapes (one thread on both sides), and the architecture
#     update time per step; the same program compiled to WebAssembly and run under node, for
#     the WebAssembly/native ratio.
set -eu
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mkdir -p build
CC=${CC:-gcc}
PY=${PY:-/usr/bin/python3}
SEEDS=${SEEDS:-10}
ITERS=${ITERS:-2000}
V2="$CC -std=gnu99 -O3 -march=x86-64-v2 -I."
$V2 bench/nas.c -o build/bench_nas -lm
$CC -std=gnu99 -O3 -march=x86-64-v2 -DSAFERL_USE_BLIS -I. bench/nas.c -o build/bench_nas_blis -lblis -lm 2>/dev/null || true

echo "== toy task, $SEEDS seeds x $ITERS iterations, official hyperparameters ($V2)"
rm -f build/bench_nas_toy_*.txt
pids=()
for s in advantage reinforce parsec advantage_b; do
    build/bench_nas toy $s "$SEEDS" "$ITERS" >build/bench_nas_toy_$s.txt &
    pids+=($!)
    if [ ${#pids[@]} -ge 2 ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
done
for p in "${pids[@]}"; do wait "$p"; done
"$PY" - "$ITERS" build/bench_nas_toy_{advantage,reinforce,parsec,advantage_b}.txt <<'PY'
import statistics, sys
iters = int(sys.argv[1])
names = {"advantage": "AdvantageNAS", "reinforce": "REINFORCE", "parsec": "PARSEC", "advantage_b": "AdvantageNAS/w-b"}
print("| strategy | median first hit | median stays from | found (of seeds) | first hits per seed |")
print("|---|---|---|---|---|")
for path in sys.argv[2:]:
    rows = [line.split() for line in open(path)]
    hits = [int(r[2]) for r in rows]
    stays = [int(r[3]) for r in rows]
    fmt = lambda v: ">%d" % iters if v > iters else "%g" % v
    print("| %s | %s | %s | %d / %d | %s |" % (names[rows[0][0]], fmt(statistics.median(hits)), fmt(statistics.median(stays)),
          sum(h <= iters for h in hits), len(hits), " ".join(fmt(h) for h in hits)))
PY

echo
echo "== supernet speed: batch 32, 3x16x16 inputs, C = 16, one sampled cell, 1 thread"
build/bench_nas speed 32 20 | sed 's/^/saferl (portable):  /'
[ -x build/bench_nas_blis ] && BLIS_NUM_THREADS=1 build/bench_nas_blis speed 32 20 | head -1 | sed 's/^/saferl (BLIS):      /'
if command -v emcc >/dev/null; then
    NODE_PATH=/usr/share/nodejs emcc -O3 -std=gnu99 -I. bench/nas.c -o build/bench_nas.js \
        -sENVIRONMENT=node -sSINGLE_FILE=1 -sALLOW_MEMORY_GROWTH=1
    node build/bench_nas.js speed 32 20 | sed 's/^/saferl (wasm, node): /'
fi
if "$PY" -c "import torch" 2>/dev/null; then
    OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 "$PY" bench/nas_torch.py 32 20 | sed 's/^/peer:               /'
else
    echo "peer: python3-torch not installed (tools/deps.sh bench installs it)"
fi
