#!/usr/bin/env bash
# Benchmark of saferl_shield.h: monitor step, compile time and minimal-DFA size by formula
# size (the bounded-response family up to 500 states; 1000 random safety formulas of up to 25
# nodes, then 10000 more of a second seed: distribution and slowest; the generator's chain
# G(p0 -> X^d p1), whose minimal monitor has 2^d + 1 states, up to d = 17), MONA on the same LTLf formulas in the same run (wall time of the mona process,
# median of 5; MONA's own figure includes its start-up), the WebAssembly/native ratio; shield
# synthesis on a 128x128 gridworld x 8-state rule, the shield query, tabular agent steps/s
# (the reference BDD tool is not packaged: its published 9x9 figure is quoted), and the
# multi-seed safeguard tables (examples/safeguard_gridworld, 10 seeds, our map and the official
# grockious/safeguardedRL set-up side by side; then held-out seeds 11-30 on our map and on
# the moved-items map, and seeds 31-50 with the transfer by replay as well).
# Single-threaded on both sides. Run from anywhere: bench/run_shield.sh
set -eu
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mkdir -p build
CC=${CC:-gcc}
V2="$CC -O3 -march=x86-64-v2 -I."
NATIVE="$CC -O3 -march=native -I."
$V2 bench/shield.c -o build/bench_shield_v2 -lm
$NATIVE bench/shield.c -o build/bench_shield_native -lm

echo "== $V2, 1 thread"
build/bench_shield_v2 | tee build/bench_shield_v2.txt
echo "== 10000 more random safety formulas, a second seed (distribution and the five slowest)"
build/bench_shield_v2 --random 10000 777
echo
echo "== $NATIVE (reported separately)"
build/bench_shield_native | head -2

if command -v mona >/dev/null; then
    echo
    echo "== MONA $(mona 2>&1 | head -1 | awk '{print $2}') on the same formulas read as LTLf (M2L-Str, minimal DFA)"
    make -s build/shield_compile
    printf '%-4s %-3s %-12s %-12s %-12s %s\n' n k "MONA states" "MONA ms" "ours ms" "MONA/ours"
    build/bench_shield_v2 --formulas | while read -r n k formula; do
        prog=$(mktemp --suffix=.mona)
        /usr/bin/python3 - "$formula" >"$prog" <<'PY'
import sys
sys.argv = [sys.argv[0], "build/shield_compile", sys.argv[1]]
sys.path.insert(0, "tests/oracle")
import shield_oracle
print(shield_oracle.mona_program(sys.argv[2], "ltlf")[1])
PY
        # median of 5 runs; one run when it takes over 2 s, none past 120 s (MONA's bounded
        # F expands into a formula that grows with k: k = 498 takes minutes)
        times=()
        for rep in 1 2 3 4 5; do
            start=$(date +%s.%N)
            if ! timeout 120 mona -q -w "$prog" >"$prog.out"; then times=(); break; fi
            end=$(date +%s.%N)
            times+=("$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", (b - a) * 1000 }')")
            awk -v t="${times[-1]}" 'BEGIN { exit !(t > 2000) }' && break
        done
        ours=$(awk -v n="$n" -v k="$k" '$1 == n && $2 == k { print $7 }' build/bench_shield_v2.txt)
        if [ ${#times[@]} -eq 0 ]; then
            printf '%-4s %-3s %-12s %-12s %-12s %s\n' "$n" "$k" "-" "> 120000" "$ours" "> $(awk -v b="$ours" 'BEGIN { printf "%.0f", 120000 / b }')"
        else
            med=$(printf '%s\n' "${times[@]}" | sort -g | sed -n "$(( (${#times[@]} + 1) / 2 ))p")
            states=$(sed -n 's/^Automaton has \([0-9]*\) states.*/\1/p' "$prog.out")
            printf '%-4s %-3s %-12s %-12s %-12s %s\n' "$n" "$k" "$((states - 1))" "$med" "$ours" \
                "$(awk -v a="$med" -v b="$ours" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "-" }')"
        fi
        rm -f "$prog" "$prog.out"
    done
    echo "(MONA's count drops its extra initial state, so both count the same minimal DFA when they agree)"
fi

if command -v emcc >/dev/null; then
    echo
    echo "== WebAssembly (emcc -O3, node) / native -O3 -march=x86-64-v2"
    NODE_PATH=/usr/share/nodejs emcc -O3 -I. -sENVIRONMENT=node -sSINGLE_FILE=1 -sALLOW_MEMORY_GROWTH=1 \
        bench/shield.c -o build/bench_shield.js 2>/dev/null
    node build/bench_shield.js > build/bench_shield_wasm_all.txt
    head -2 build/bench_shield_wasm_all.txt | tee build/bench_shield_wasm.txt
    grep -E '^(shield query|agent steps|  sure game|  \+ prob)' build/bench_shield_wasm_all.txt
    awk 'NR == FNR && /^agent steps/ { for (i = 1; i <= NF; ++i) if ($i == "median") n = $(i + 1) }
         NR != FNR && /^agent steps/ { for (i = 1; i <= NF; ++i) if ($i == "median") w = $(i + 1) }
         END { printf "agent steps: wasm %.2f / native %.2f M steps/s = %.2f\n", w, n, w / n }' \
        build/bench_shield_v2.txt build/bench_shield_wasm_all.txt
    awk 'NR == FNR && /^monitor step/ { for (i = 1; i <= NF; ++i) if ($i == "median") n = $(i + 1) }
         NR != FNR && /^monitor step/ { for (i = 1; i <= NF; ++i) if ($i == "median") w = $(i + 1) }
         END { printf "monitor step: wasm %.2f ns / native %.2f ns = %.2f\n", w, n, w / n }' \
        build/bench_shield_v2.txt build/bench_shield_wasm.txt
fi

if command -v lbt >/dev/null; then
    echo
    echo "== random safety formulas against lbt (correctness and minimal size; tests/oracle/shield_random.py)"
    make -s build/shield_compile
    /usr/bin/python3 tests/oracle/shield_random.py build/shield_compile 120 | tail -n 3
    echo
    echo "== formulas with F, U, M against lbt: safety ones compiled at the minimal size, the rest refused"
    /usr/bin/python3 tests/oracle/shield_liveness.py build/shield_compile | tail -n 3
    /usr/bin/python3 tests/oracle/shield_liveness.py build/shield_compile --random 300 | tail -n 3
    /usr/bin/python3 tests/oracle/shield_liveness.py build/shield_compile --wide 200 | tail -n 3
fi
if command -v mona >/dev/null; then
    /usr/bin/python3 tests/oracle/shield_random.py build/shield_compile 1000 20261204 --ltlf | tail -n 3
fi

echo
echo "== progressive safeguards, 10 seeds: our map and the official set-up (examples/safeguard_gridworld)"
make -s build/safeguard_gridworld
uptime
build/safeguard_gridworld --setup both --seeds 10 --png build/safeguard_gridworld.png
echo "== progressive safeguards, held out: seeds 11-30 on our map and on the moved-items map"
build/safeguard_gridworld --setup heldout
echo "== progressive safeguards, held out again (with the replay transfer): seeds 31-50 on both maps"
build/safeguard_gridworld --setup heldout2
