#!/usr/bin/env bash
# The compile-time tail of saferl_shield.h against a floor and the peers, in one run
# (issue 16: every random safety formula of up to 25 nodes under 5 ms). The formulas are the
# bench's formulas over MS ms (default 5) among `bench_shield --random 10000 SEED` (default
# 777). For each: bench/shield_floor.c's figures (ours, the probe floor, minimisation at that
# size, ours as LTLf), then MONA on its LTLf reading (M2L-Str, tests/oracle/shield_oracle.py's
# translation; best of 3 processes, start-up included) and lbt (its generalised Buchi automaton
# only: the bad-prefix monitor needs a subset construction on top, so lbt's time is a lower
# bound for that route), each stopped at 60 s.
# usage: bench/run_shield_floor.sh [SEED [MS]]
set -eu
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seed=${1:-777}
over=${2:-5}
mkdir -p build
CC=${CC:-gcc}
$CC -O3 -march=x86-64-v2 -I. bench/shield.c -o build/bench_shield_v2 -lm
$CC -O3 -march=x86-64-v2 -I. bench/shield_floor.c -o build/bench_shield_floor -lm
uptime
build/bench_shield_v2 --random 10000 "$seed" "$over" | awk -F '\t' '/^  over / { print $5 }' >build/shield_tail.txt
echo "== $(wc -l <build/shield_tail.txt) formulas over $over ms (seed $seed): ours against the floor"
build/bench_shield_floor <build/shield_tail.txt
echo
echo "== the same formulas: MONA (LTLf reading) and lbt (safety LTL, Buchi automaton only), 60 s each"
printf '%-10s %-12s %-12s %-12s\n' "MONA ms" "MONA states" "lbt ms" "lbt states"
while read -r formula; do
    prog=$(mktemp --suffix=.mona)
    /usr/bin/python3 - "$formula" >"$prog" <<'PY'
import sys
sys.path.insert(0, "tests/oracle")
import shield_oracle
print(shield_oracle.mona_program(sys.argv[1], "ltlf")[1])
PY
    mona_ms="" mona_states="-"
    for rep in 1 2 3; do
        start=$(date +%s.%N)
        if ! timeout 60 mona -q -w "$prog" >"$prog.out"; then mona_ms="> 60000"; break; fi
        ms=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", (b - a) * 1000 }')
        if [ -z "$mona_ms" ] || awk -v t="$ms" -v b="$mona_ms" 'BEGIN { exit !(t < b) }'; then mona_ms=$ms; fi
        mona_states=$(sed -n 's/^Automaton has \([0-9]*\) states.*/\1/p' "$prog.out")
    done
    lbt_input=$(/usr/bin/python3 - "$formula" <<'PY'
import sys
sys.path.insert(0, "tests/oracle")
import shield_oracle as oracle
f = oracle.Parser(sys.argv[1]).parse()
print(oracle.lbt_prefix(f, oracle.props_of(f, [])))
PY
)
    start=$(date +%s.%N)
    if timeout 60 lbt <<<"$lbt_input" >"$prog.lbt"; then
        lbt_ms=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", (b - a) * 1000 }')
        lbt_states=$(head -1 "$prog.lbt" | awk '{ print $1 }')
    else
        lbt_ms="> 60000" lbt_states="-"
    fi
    printf '%-10s %-12s %-12s %-12s\n' "$mona_ms" "$mona_states" "$lbt_ms" "$lbt_states"
    rm -f "$prog" "$prog.out" "$prog.lbt"
done <build/shield_tail.txt
uptime
