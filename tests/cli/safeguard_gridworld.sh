#!/usr/bin/env bash
# Black-box test of examples/safeguard_gridworld: tests/cli/safeguard_gridworld.sh path/to/binary
# The games are small enough to solve by hand (see the comments); the maps are examples/maps.
set -u
BIN=${1:?usage: tests/cli/safeguard_gridworld.sh path/to/safeguard_gridworld}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$(dirname "$0")/lib.bash"

expect_error() { # name status stderr-fragment
    if [ "$status" -eq "$2" ] && grep -qF -- "$3" "$TMP/err" && [ ! -s "$TMP/out" ]; then ok "$1"; else bad "$1" "status $status, stderr '$(cat "$TMP/err")'"; fi
}

# A corridor 0 - 1 - 2 with lava at 2; action 1 from 1 may slip into it (by hand: state 1
# allows only action 0; state 0 both; (2, sink) has violated, rank 1; (2, safe) cannot stay
# safe, rank 2: W = {(0, 0), (1, 0)}, 2 of 6).
cat >"$TMP/corridor.txt" <<'G'
states 3 actions 2 initial 0
label 2 lava
0 0: 0
0 1: 1
1 0: 0
1 1: 1 2
2 0: 2
2 1: 2
G
run --game "$TMP/corridor.txt" --rule 'G !lava'
if [ "$status" -eq 0 ] && grep -qx 'state 0 0 rank 0 allowed 3' "$TMP/out" && grep -qx 'state 1 0 rank 0 allowed 1' "$TMP/out" &&
   grep -qx 'state 2 1 rank 1 allowed 0' "$TMP/out" && grep -q '^realisable: initial state (abstraction state 0, automaton state 0); 2 of 6' "$TMP/out"; then
    ok "corridor: winning region and masks by hand"
else bad "corridor: winning region and masks by hand" "$(cat "$TMP/out" "$TMP/err")"; fi

# With probabilities: from 1, action 1 stays safe w.p. 0.75 whatever the horizon
sed 's/^1 1: 1 2$/1 1: 1@0.75 2@0.25/' "$TMP/corridor.txt" >"$TMP/corridor_p.txt"
run --game "$TMP/corridor_p.txt" --rule 'G !lava' --horizon 4 --threshold 0.7
if [ "$status" -eq 0 ] && grep -qx 'state 1 0 rank 0 allowed 1 safety 1 probably 3' "$TMP/out"; then
    ok "probabilistic shield allows the 0.75-safe action at threshold 0.7"
else bad "probabilistic shield allows the 0.75-safe action at threshold 0.7" "$(cat "$TMP/out" "$TMP/err")"; fi

# Every move may slip into the lava: unrealisable, exit 2, with where it fails
sed 's/^0 0: 0$/0 0: 0 1/; s/^0 1: 1$/0 1: 1 2/; s/^1 0: 0$/1 0: 0 2/' "$TMP/corridor.txt" >"$TMP/doomed.txt"
run --game "$TMP/doomed.txt" --rule 'G !lava'
if [ "$status" -eq 2 ] && grep -q '^unrealisable' "$TMP/out" && grep -q 'force a violation within 2 steps' "$TMP/out" &&
   grep -qx '  0, 0: 2' "$TMP/out"; then
    ok "unrealisable game reported with its losing states"
else bad "unrealisable game reported with its losing states" "status $status $(cat "$TMP/out" "$TMP/err")"; fi

# Precise errors
printf 'states 2 actions 1 initial 0\n0 0: 1\n1 0: 0 5\n' >"$TMP/dangling.txt"
run --game "$TMP/dangling.txt" --rule 'G !a'
expect_error "dangling successor: file:line:column" 1 "dangling.txt:3:8: dangling successor"
printf '####\n#..#\n####\n' >"$TMP/nostart.txt"
run --map "$TMP/nostart.txt" --seeds 1 --episodes 8
expect_error "map without a start" 1 "nostart.txt:0:0: map: no start cell"
printf '####\n#S?#\n####\n' >"$TMP/badchar.txt"
run --map "$TMP/badchar.txt" --seeds 1 --episodes 8
expect_error "map character outside the legend" 1 "badchar.txt:2:3: map: a character not in the legend: '?'"
/usr/bin/python3 - "$ROOT/examples/maps/minecraft.png" "$TMP/badcolour.png" <<'PY'
import sys, zlib, struct
data = open(sys.argv[1], 'rb').read()
# decode our own 8-bit RGBA, filter-0 PNG, change pixel (x 3, y 2), encode again
idat = data[data.index(b'IDAT') + 4:]
w, h = struct.unpack('>II', data[16:24])
raw = bytearray(zlib.decompress(idat[:struct.unpack('>I', data[data.index(b'IDAT') - 4:data.index(b'IDAT')])[0]]))
raw[2 * (1 + 4 * w) + 1 + 4 * 3] = 7
def chunk(t, d): return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
open(sys.argv[2], 'wb').write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 6, 0, 0, 0)) +
                              chunk(b'IDAT', zlib.compress(bytes(raw))) + chunk(b'IEND', b''))
PY
run --map "$TMP/badcolour.png" --seeds 1 --episodes 8
expect_error "image colour outside the legend" 1 "badcolour.png:3:4: image: colour #07ffff"

# The legend: ten kinds
run --legend
if [ "$status" -eq 0 ] && [ "$(wc -l <"$TMP/out")" -eq 10 ] && grep -q '^L  #e74c3c  lava' "$TMP/out"; then ok "legend"; else bad "legend" "$(cat "$TMP/out")"; fi

# A short training run on the PNG map and on the ASCII one: the same world, the same table
run --map "$ROOT/examples/maps/minecraft.png" --seeds 1 --episodes 200 --png "$TMP/visits.png"
cp "$TMP/out" "$TMP/from_png"
if [ "$status" -eq 0 ] && grep -q '^progressive curriculum' "$TMP/out" && grep -q '^shield + reward' "$TMP/out" &&
   grep -q 'sure shield: unrealisable' "$TMP/out" && [ -s "$TMP/visits.png" ] &&
   [ "$(head -c 8 "$TMP/visits.png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ]; then
    ok "training table and visit-count PNG"
else bad "training table and visit-count PNG" "status $status $(cat "$TMP/out" "$TMP/err")"; fi
run --map "$ROOT/examples/maps/minecraft.txt" --seeds 1 --episodes 200 --png "$TMP/visits2.png"
if [ "$status" -eq 0 ] && diff <(grep -v '^map with' "$TMP/out") <(grep -v '^map with' "$TMP/from_png") >/dev/null; then
    ok "ASCII and PNG maps give the same run"
else bad "ASCII and PNG maps give the same run"; fi
# without slips the sure shield exists, and the shielded agent never violates
run --map "$ROOT/examples/maps/river.txt" --seeds 2 --episodes 200 --slip 0
if [ "$status" -eq 0 ] && grep -q 'sure shield: realisable' "$TMP/out" &&
   grep -Eq '^shield \+ reward +0\.0 \+- +0\.0 ' "$TMP/out"; then
    ok "no slips: realisable, zero violations with the shield"
else bad "no slips: realisable, zero violations with the shield" "$(cat "$TMP/out" "$TMP/err")"; fi

# Bad arguments (issue 15): each once crashed, hung or ran with a wrapped or truncated value
usage_error "--threshold inf: usage error (was a segfault)" --threshold inf --seeds 1 --episodes 8
usage_error "--threshold 2: usage error (was a segfault)" --threshold 2 --seeds 1 --episodes 8
usage_error "--threshold nan: usage error" --threshold nan --seeds 1 --episodes 8
usage_error "--horizon 0: usage error (was a segfault)" --horizon 0 --seeds 1 --episodes 8
usage_error "--seeds -1: usage error (was a hang)" --seeds -1 --episodes 8
usage_error "--horizon -1: usage error (was a hang)" --horizon -1 --seeds 1 --episodes 8
usage_error "--episodes -1: usage error (was 99 episodes and exit 0)" --seeds 1 --episodes -1
usage_error "--episodes 5e9: usage error (was 5)" --seeds 1 --episodes 5e9
usage_error "--episodes 4294967297: usage error (no wrap)" --seeds 1 --episodes 4294967297
usage_error "--seeds 1.7: usage error" --seeds 1.7 --episodes 8
usage_error "--seeds ' 1': usage error" --seeds ' 1' --episodes 8
usage_error "--slip abc: usage error (was 0)" --slip abc --seeds 1 --episodes 8
usage_error "--slip 0.5x: usage error" --slip 0.5x --seeds 1 --episodes 8
usage_error "--seeds twice: usage error" --seeds 1 --seeds 2 --episodes 8
usage_error "--legend with other options: usage error" --legend --seeds 1
usage_error "--game with --map: usage error" --game "$TMP/corridor.txt" --rule 'G !lava' --map "$ROOT/examples/maps/river.txt"
usage_error "--game without --rule: usage error" --game "$TMP/corridor.txt"
usage_error "unknown option: usage error" --seed 1
usage_error "a flag without its value: usage error" --seeds
usage_error "--setup other: usage error" --setup other --seeds 1 --episodes 8
usage_error "--map with --setup official: usage error" --setup official --map "$ROOT/examples/maps/river.txt" --seeds 1 --episodes 8
# The official set-up: its 10x10 layout 1, every row of the table
run --setup official --seeds 1 --episodes 12
if [ "$status" -eq 0 ] && grep -q '^official set-up: map 10x10, slip 0.05, all labels shifted together' "$TMP/out" &&
   [ "$(grep -cE '^(no safeguard|final safeguard reward|shield \+ reward|progressive curriculum|curriculum, (same-rule transfer|replay transfer|no transfer|official learner)|zero-shot, official learner) ' "$TMP/out")" -eq 9 ]; then
    ok "official set-up: its map and nine rows"
else bad "official set-up: its map and nine rows" "status $status $(cat "$TMP/out" "$TMP/err")"; fi
# The held-out runs: seeds from 11, our map and then the moved-items map, eight rows each
run --setup heldout --seeds 1 --episodes 12
if [ "$status" -eq 0 ] && grep -q '^our map: map 12x10' "$TMP/out" && grep -q '^our map with the items moved: map 12x10' "$TMP/out" &&
   [ "$(grep -c '^1 seeds (11\.\.11) x 12 training episodes' "$TMP/out")" -eq 2 ] &&
   [ "$(grep -cE '^(no safeguard|progressive curriculum|curriculum, same-rule transfer|zero-shot, official learner) ' "$TMP/out")" -eq 8 ]; then
    ok "heldout: seeds from 11 on both maps"
else bad "heldout: seeds from 11 on both maps" "status $status $(cat "$TMP/out" "$TMP/err")"; fi
usage_error "--map with --setup heldout: usage error" --setup heldout --map "$ROOT/examples/maps/river.txt" --seeds 1 --episodes 8
# heldout2: the same from seed 31, with the replay transfer's row
run --setup heldout2 --seeds 1 --episodes 12
if [ "$status" -eq 0 ] && grep -q '^our map with the items moved: map 12x10' "$TMP/out" &&
   [ "$(grep -c '^1 seeds (31\.\.31) x 12 training episodes' "$TMP/out")" -eq 2 ] &&
   [ "$(grep -c '^curriculum, replay transfer ' "$TMP/out")" -eq 2 ]; then
    ok "heldout2: seeds from 31 on both maps, with the replay transfer"
else bad "heldout2: seeds from 31 on both maps, with the replay transfer" "status $status $(cat "$TMP/out" "$TMP/err")"; fi
usage_error "--map with --setup heldout2: usage error" --setup heldout2 --map "$ROOT/examples/maps/river.txt" --seeds 1 --episodes 8
# A UTF-8 byte-order mark is not part of the text
printf '\357\273\277' | cat - "$TMP/corridor.txt" >"$TMP/bom.txt"
run --game "$TMP/bom.txt" --rule 'G !lava'
if [ "$status" -eq 0 ] && grep -qx 'state 1 0 rank 0 allowed 1' "$TMP/out"; then ok "game file with a BOM"; else bad "game file with a BOM" "$(cat "$TMP/err")"; fi
printf '\357\273\277' | cat - "$ROOT/examples/maps/river.txt" >"$TMP/bom_map.txt"
run --map "$TMP/bom_map.txt" --seeds 1 --episodes 8 --slip 0
if [ "$status" -eq 0 ] && grep -q 'sure shield: realisable' "$TMP/out"; then ok "map with a BOM"; else bad "map with a BOM" "$(cat "$TMP/err")"; fi
# Failed writes: exit 1 with the path and the reason, the old file kept
stdout_full "stdout on /dev/full: exit 1" --game "$TMP/corridor.txt" --rule 'G !lava'
run --map "$ROOT/examples/maps/river.txt" --seeds 1 --episodes 8 --png /dev/full
if [ "$status" -eq 1 ] && grep -q '/dev/full: No space left on device' "$TMP/err" && [ -c /dev/full ]; then
    ok "--png /dev/full: exit 1, the device left a device"
else bad "--png /dev/full" "status $status $(cat "$TMP/err")"; fi
data_error "--png into a missing folder: exit 1 with the reason" "No such file or directory" --map "$ROOT/examples/maps/river.txt" --seeds 1 --episodes 8 --png "$TMP/no/such/dir/x.png"
mount_full
full_disk "--png on a full disk: exit 1, the old file kept" "$FULL/map.png" --map "$ROOT/examples/maps/river.txt" --seeds 1 --episodes 8 --png "$FULL/map.png"

finish
