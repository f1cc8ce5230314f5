#!/usr/bin/env bash
# The decision-diagram state key prototype (shield_dd_key.h) against saferl_shield.h's antichain
# key, on the bench's random safety formulas of one seed:
#   1. HOA (complete form) and refusals of both keys on 10,000 formulas, as LTL and as LTLf, and
#      the residuals each explores;
#   2. the tail (the formulas over MS ms, default 2, in bench_shield built with gcc -O2): callgrind
#      instructions of one compile with each key, and the residuals;
#   3. the typical formula: callgrind instructions of the first 300 formulas, one compile each.
#   4. wall time of the tail: fastest of 3, the keys alternated three times.
# usage: bench/experiments/shield_dd_key.sh [SEED [MS]]   (outputs in build/dd_key_*)
#   DK_KEY=hybrid [DK_CUBES=N]: the hybrid key (antichain for residuals of at most N cubes, default
#   1) in place of the diagram key; DK_WALL=0 skips step 4; DK_TAIL=FILE takes the tail's formulas
#   from FILE (one a line) instead of timing the bench. The other DK_* switches (DK_BACK, DK_SWITCH,
#   DK_FRESH, DK_ORDER, DK_ALIKE, DK_CACHE, DK_TUPLES; round 3: DK_IMPLIED, DK_STEP_MEMO,
#   DK_ORDER=time|timedown, DK_CUBE_STATS; round 4: DK_RACE, DK_RACE_RATE; round 5: DK_CARRY,
#   DK_CARRY_FLOOR, DK_CARRY_LOG, DK_SWITCH_WORK) reach build/shield_dd_key:
#   see its main.
set -eu
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
seed=${1:-777}
over=${2:-2}
key=${DK_KEY:-dd}
mkdir -p build
CC=${CC:-gcc}
$CC -O2 -I. -Ibench bench/experiments/shield_dd_key.c -o build/shield_dd_key -lm 2>/dev/null
$CC -O2 -I. bench/shield.c -o build/bench_shield_o2 -lm 2>/dev/null
uptime
for logic in ltl ltlf; do
    build/shield_dd_key compare 10000 "$seed" "$logic" >"build/dd_key_compare_${seed}_$logic.txt" || true
    tail -1 "build/dd_key_compare_${seed}_$logic.txt"
done
if [ -n "${DK_TAIL:-}" ]; then # a tail list kept from an earlier run (the 2 ms cut is wall time)
    cp "$DK_TAIL" "build/dd_key_tail_$seed.txt.new" && mv "build/dd_key_tail_$seed.txt.new" "build/dd_key_tail_$seed.txt"
else
    build/bench_shield_o2 --random 10000 "$seed" "$over" | awk -F '\t' '/^  over / { print $5 }' >"build/dd_key_tail_$seed.txt"
fi
echo "== tail of seed $seed ($(wc -l <"build/dd_key_tail_$seed.txt") formulas over $over ms): callgrind instructions of one compile (LTL)"
printf 'antichain Ir\t%s Ir\t%s/antichain\tantichain residuals\t%s residuals\tstates\tformula\n' "$key" "$key" "$key"
count_ir() { # key, formula: instructions of measured_compile, then the residuals line
    local out
    out=$(mktemp)
    printf '%s\n' "$2" | valgrind --tool=callgrind --callgrind-out-file="$out.cg" --toggle-collect=measured_compile \
        build/shield_dd_key one "$1" ltl 2>"$out.err" >"$out"
    printf '%s\t%s\n' "$(sed -n 's/.*refs: *//p' "$out.err" | tr -d ,)" "$(cut -f1,2 "$out")"
    rm -f "$out" "$out.err" "$out.cg"
}
while read -r formula; do
    a=$(count_ir antichain "$formula")
    b=$(count_ir "$key" "$formula")
    awk -F '\t' -v a="$a" -v b="$b" -v f="$formula" 'BEGIN { split(a, x, "\t"); split(b, y, "\t");
        printf "%.0f\t%.0f\t%.3f\t%d\t%d\t%d\t%s\n", x[1], y[1], y[1] / x[1], x[2], y[2], x[3], f }'
done <"build/dd_key_tail_$seed.txt" | tee "build/dd_key_tail_ir_$seed.txt"
awk -F '\t' -v k="$key" '{ a += $1; b += $2 } END { printf "tail total: antichain %.1f M, %s %.1f M instructions (%s/antichain %.3f)\n", a / 1e6, k, b / 1e6, k, b / a }' \
    "build/dd_key_tail_ir_$seed.txt"
grep '^row' "build/dd_key_compare_${seed}_ltl.txt" | head -300 | cut -f8 >"build/dd_key_typical_$seed.txt"
for k in antichain "$key"; do
    valgrind --tool=callgrind --callgrind-out-file="build/dd_key_typical_$k.cg" --toggle-collect=measured_compile \
        build/shield_dd_key one "$k" ltl <"build/dd_key_typical_$seed.txt" 2>&1 >/dev/null | sed -n "s/.*refs: */typical (first 300 formulas, LTL), $k: /p"
    rm -f "build/dd_key_typical_$k.cg"
done
[ "${DK_WALL:-1}" = 0 ] && exit 0
echo "== tail wall time (ms, fastest of 3 per key, keys alternated three times)"
build/shield_dd_key time ltl 3 <"build/dd_key_tail_$seed.txt"
uptime
