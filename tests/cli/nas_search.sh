#!/usr/bin/env bash
# Black-box test of examples/nas_search: tests/cli/nas_search.sh path/to/nas_search
# Expected values: the CSV's shape, the toy teacher found by AdvantageNAS and DARTS on a fixed
# seed, architecture strings that NAS-Bench-201's grammar accepts, PNG signatures, the same
# output for the same seed, and a clear error (file named, non-zero exit) for each bad input.
set -u
BIN=${1:?usage: tests/cli/nas_search.sh path/to/nas_search}
PY=/usr/bin/python3
. "$(dirname "$0")/lib.bash"


# toy task: AdvantageNAS finds the teacher; the curve is CSV every 10 iterations
run --task toy --strategy advantage --seed 1 --iters 600 --batch 50 --png "$TMP/toy.png"
if [ $status -eq 0 ] && head -1 "$TMP/out" | grep -qx 'iteration,loss,argmax_loss,mean_entropy' &&
    [ "$(grep -c '^[0-9]' "$TMP/out")" -eq 61 ]; then ok "toy: CSV header and 61 rows"; else bad "toy: CSV" "$(head -3 "$TMP/out")"; fi
am=$(sed -n 's/^# argmax: //p' "$TMP/out")
teacher=$(sed -n 's/^# teacher: //p' "$TMP/out")
hit=$(sed -n 's/^# first iteration with argmax = teacher: //p' "$TMP/out")
if [ -n "$am" ] && [ "$am" = "$teacher" ] && [ "$hit" -le 600 ]; then ok "toy: advantage finds the teacher (iteration $hit)"; else bad "toy: teacher" "$am vs $teacher, hit $hit"; fi
last=$(grep '^600,' "$TMP/out" | cut -d, -f3)
if "$PY" -c "import sys; sys.exit(0 if float('$last') == 0.0 else 1)"; then ok "toy: argmax loss 0 at the end"; else bad "toy: argmax loss" "$last"; fi
if is_png "$TMP/toy.png"; then ok "toy: PNG written"; else bad "toy: PNG"; fi
cp "$TMP/out" "$TMP/first"
run --task toy --strategy advantage --seed 1 --iters 600 --batch 50
if cmp -s "$TMP/out" "$TMP/first"; then ok "toy: same seed, same output"; else bad "toy: not deterministic"; fi
run --task toy --strategy advantage --seed 2 --iters 100 --batch 50
if ! cmp -s "$TMP/out" "$TMP/first"; then ok "toy: another seed, another run"; else bad "toy: seed ignored"; fi
for s in reinforce parsec gdas proxyless darts snas nasp proxyless_official; do
    run --task toy --strategy $s --seed 3 --iters 100 --batch 20
    if [ $status -eq 0 ] && grep -q '^# argmax:' "$TMP/out" && ! grep -qi 'nan,nan' "$TMP/out"; then ok "toy: $s runs"; else bad "toy: $s" "$(tail -2 "$TMP/err")"; fi
done
run --task toy --strategy advantage --with-baseline --seed 1 --iters 50 --batch 20
if [ $status -eq 0 ]; then ok "toy: advantage with baseline runs"; else bad "toy: with baseline"; fi

# synthetic images: the NAS-Bench-201 strings parse (checked by a regular expression of the grammar)
run --task synthetic --strategy advantage --seed 1 --iters 30 --batch 16 --channels 4 --png "$TMP/syn.png"
re='^\|[a-z_0-9]+~0\|\+\|[a-z_0-9]+~0\|[a-z_0-9]+~1\|\+\|[a-z_0-9]+~0\|[a-z_0-9]+~1\|[a-z_0-9]+~2\|$'
arch=$(sed -n 's/^# argmax: //p' "$TMP/out")
if [ $status -eq 0 ] && [[ "$arch" =~ $re ]] && ! [[ "$arch" =~ none ]]; then ok "synthetic: argmax is a NAS-Bench-201 string without none"; else bad "synthetic" "$arch $(cat "$TMP/err")"; fi
if is_png "$TMP/syn.png"; then ok "synthetic: PNG written"; else bad "synthetic: PNG"; fi
run --task synthetic --strategy darts --with-zero --seed 1 --iters 10 --batch 8 --channels 2
if [ $status -eq 0 ] && grep -q '^# process-best: |' "$TMP/out"; then ok "synthetic: darts with the zero op"; else bad "synthetic darts" "$(cat "$TMP/err")"; fi

# an image folder: PNGs written with python's zlib (no third-party module), two classes
"$PY" - "$TMP/imgs" <<'PY'
import os, struct, sys, zlib, random
def png(path, w, h, seed):
    r = random.Random(seed)
    raw = b"".join(b"\x00" + bytes(r.randrange(256) if (x // 2 + seed) % 2 else 40 for x in range(w)) for y in range(h))
    def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    open(path, "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) +
                           chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
root = sys.argv[1]
for c, name in enumerate(["a_stripes", "b_other"]):
    os.makedirs(os.path.join(root, name))
    for i in range(8):
        png(os.path.join(root, name, "%02d.png" % i), 8, 8, c + 2 * i)
PY
run --task images "$TMP/imgs" --gray --strategy advantage --seed 1 --iters 20 --batch 4 --channels 2
if [ $status -eq 0 ] && grep -q '(2 classes, 16 images)' "$TMP/out"; then ok "images: a folder of PNGs"; else bad "images" "$(cat "$TMP/err")"; fi

# bad input: clear errors naming the problem, non-zero exit
printf 'not an image' >"$TMP/imgs/a_stripes/99.png"
run --task images "$TMP/imgs" --gray --strategy advantage --iters 5
if [ $status -ne 0 ] && grep -q 'a_stripes/99.png: cannot decode' "$TMP/err"; then ok "images: broken file reported"; else bad "images: broken file" "$(cat "$TMP/err")"; fi
rm "$TMP/imgs/a_stripes/99.png"
"$PY" - "$TMP/imgs/b_other/big.png" <<'PY'
import struct, sys, zlib
w, h = 9, 8
raw = b"".join(b"\x00" + bytes(w) for _ in range(h))
def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
open(sys.argv[1], "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) +
                              chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
PY
run --task images "$TMP/imgs" --gray --strategy advantage --iters 5
if [ $status -ne 0 ] && grep -q 'big.png: image is 9x8, expected 8x8' "$TMP/err"; then ok "images: mismatched size reported"; else bad "images: size" "$(cat "$TMP/err")"; fi
run --task images "$TMP/imgs" --gray --resize 6 --strategy advantage --iters 5 --batch 4 --channels 2
if [ $status -eq 0 ]; then ok "images: --resize accepts mixed sizes"; else bad "images: resize" "$(cat "$TMP/err")"; fi
run --task images "$TMP/nonexistent" --strategy advantage
if [ $status -ne 0 ] && grep -q 'nonexistent: cannot open' "$TMP/err"; then ok "images: missing folder"; else bad "images: missing folder"; fi
run --task toy --strategy simulated_annealing
if [ $status -eq 2 ] && grep -q 'unknown --strategy' "$TMP/err"; then ok "unknown strategy"; else bad "unknown strategy"; fi
# the usage line names every strategy the header's table has
usage_line=$(grep '^usage:' "$TMP/err")
missing=""
for s in $(sed -n '/saferl_nas__strategies\[SAFERL_NAS_STRATEGY_KINDS\] = {/,/};/p' "$(dirname "$0")/../../saferl_nas.h" | grep -o '{"[a-z_]*"' | tr -d '{"'); do
    case "$usage_line" in *"|$s|"*|*"|$s "*|*" $s|"*) ;; *) missing="$missing $s" ;; esac
done
if [ -n "$usage_line" ] && [ -z "$missing" ]; then ok "usage lists every strategy"; else bad "usage lacks:$missing"; fi
run --task toy --iters -5
if [ $status -eq 2 ] && grep -q 'bad --iters' "$TMP/err"; then ok "bad --iters"; else bad "bad --iters"; fi
run --strategy advantage
if [ $status -eq 2 ] && grep -q -- '--task is required' "$TMP/err"; then ok "missing --task"; else bad "missing --task"; fi
run --task toy --strategy advantage --iters 5 --png /nonexistent/dir/x.png
if [ $status -ne 0 ] && grep -q 'cannot write /nonexistent/dir/x.png' "$TMP/err"; then ok "unwritable PNG"; else bad "unwritable PNG"; fi

# Issue 15: signs, fractions, repeats; failed writes
usage_error "--seed 1.7: usage error" --task toy --strategy advantage --iters 5 --seed 1.7
usage_error "--iters +5: usage error" --task toy --strategy advantage --iters +5
usage_error "--iters 5e9: usage error" --task toy --strategy advantage --iters 5e9
usage_error "--strategy twice: usage error (was last-wins)" --task toy --strategy advantage --strategy darts --iters 5
stdout_full "stdout on /dev/full: exit 1" --task toy --strategy advantage --iters 5
data_error "--png /dev/full: exit 1 with the reason" "/dev/full: No space left on device" --task toy --strategy advantage --iters 5 --png /dev/full
mount_full
full_disk "--png on a full disk: exit 1, the old file kept" "$FULL/n.png" --task toy --strategy advantage --iters 5 --png "$FULL/n.png"

finish
