#!/usr/bin/env bash
# The saferl test runner: every suite, each item pass or fail and timed.
#   tests/run.sh [suite ...]      suites: unit compile oracle cli fuzz web demo (default: all)
#   TEST_JOBS=N tests/run.sh     run N items at a time (default: the cores)
# Tests are found by file name: tests/test_<name>.c (unit), tests/oracle/*.sh, tests/cli/*.sh,
# tests/fuzz/fuzz_*.c, tests/browser/*.test.mjs.
# Logs of every item are kept in build/logs/; the last line is "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
export NODE_PATH=/usr/share/nodejs
BUILD=build
LOGS=$BUILD/logs
mkdir -p "$LOGS"
# Fuzzing in make test is reproducible: a fixed seed and a fixed number of runs (the time is
# only a cap). FUZZ_SEED=0 lets libFuzzer pick a seed; `make fuzz FUZZ_SECONDS=N` runs every
# target randomised (FUZZ_RUNS=-1) for N seconds.
FUZZ_SEED=${FUZZ_SEED:-1}
FUZZ_RUNS=${FUZZ_RUNS:-40000}
# the CRC-repaired builds reach the expensive checks on nearly every input: fewer runs
FUZZ_CRC_RUNS=${FUZZ_CRC_RUNS:-$([ "$FUZZ_RUNS" = -1 ] && echo -1 || echo 8000)}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}

passed=0
failed=0
failures=()
C_STRICT="-std=c99 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Werror"
CXX_STRICT="-std=c++11 -Wall -Wextra -Wpedantic -Werror"
headers=(saferl_*.h)
unit_tests=()
for f in tests/test_*.c; do
    case "$f" in *_oracle.c) ;; *) unit_tests+=("$(basename "$f" .c | sed 's/^test_//')") ;; esac
done

elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
# with_cpu FILE COMMAND...: runs the command in a subshell and writes to FILE the CPU seconds it
# and the processes it waited for took (bash's `times`: processes a daemon re-parents, as
# chromium's helpers are, go uncounted)
with_cpu() {
    local file=$1
    shift
    ( "$@"; status=$?; times >"$file"; exit $status )
}
cpu_seconds() { # FILE written by with_cpu (0 when the command never got to write it)
    [ -s "$1" ] || { echo 0; return; }
    awk '{ for (i = 1; i <= NF; ++i) { split($i, t, "m"); sub("s", "", t[2]); s += t[1] * 60 + t[2] } }
         END { printf "%.1f", s }' "$1"
}

# One pool for every suite: TEST_JOBS items at a time (default: the number of cores). A suite
# is a list of items, not a barrier, so one suite's items start while the last of the suite
# before still run; each item prints its line, with its suite, when it ends. First comes one
# `make -j` of every target the suites' items run (prebuild), while the items that call the
# compilers directly (the compile suite) go on beside it. Every `make` an item starts (directly
# or from a script) takes one lock, so two makes never write the same target at once, while the
# tests themselves run side by side. The prebuild makes the browser tests' targets first (the
# pages and the native programs they compare with), and says so in $SAFERL_FIRST_BUILT: a make
# of those alone then finds them up to date and takes no lock, so the browser tests, beside the
# pool, never wait for the rest of the prebuild.
JOBS=${TEST_JOBS:-$(nproc 2>/dev/null || echo 1)}
results=$LOGS/results
mkdir -p "$BUILD/bin"
cat >"$BUILD/bin/make" <<'SH'
#!/usr/bin/env bash
# make under the test runner's build lock; makes started by a locked make run unlocked
[ -n "${SAFERL_MAKE_LOCKED:-}" ] && exec /usr/bin/make "$@"
if [ -e "$SAFERL_FIRST_BUILT" ]; then
    first=" $(cat "$SAFERL_FIRST_BUILT") " built=1
    for goal; do case "$goal" in -s) ;; *) case "$first" in *" $goal "*) ;; *) built=0 ;; esac ;; esac; done
    [ $built = 1 ] && exec /usr/bin/make "$@"
fi
export SAFERL_MAKE_LOCKED=1
exec flock "$SAFERL_MAKE_LOCK" /usr/bin/make "$@"
SH
chmod +x "$BUILD/bin/make"
export SAFERL_MAKE_LOCK=$PWD/$BUILD/.make.lock
export SAFERL_FIRST_BUILT=$PWD/$BUILD/.first_built
rm -f "$SAFERL_FIRST_BUILT"
export PATH=$PWD/$BUILD/bin:$PATH
rm -rf "$results"
mkdir -p "$results"
item_seq=0
suite_name=

# run_item SEQ NAME COMMAND...: runs the command, logs its output, prints one report (a single
# write, so reports of items ending together do not interleave) and records the result: its
# status, suite, start and end, then its name.
run_item() {
    local seq=$1 name=$2 log start report status=ok cpu
    shift 2
    log="$LOGS/$(echo "$name" | tr ' /:' '___').log"
    cpu=$LOGS/.cpu.$seq
    start=$(date +%s.%N)
    if with_cpu "$cpu" "$@" >"$log" 2>&1; then
        report=$(printf '  ok      %-8s %-60s %6.1f s' "$suite_name" "$name" "$(elapsed "$start")")
    else
        status=failed
        report=$(printf '  FAILED  %-8s %-60s %6.1f s   (log: %s)\n' "$suite_name" "$name" "$(elapsed "$start")" "$log"
                 tail -n 15 "$log" | sed 's/^/          | /')
    fi
    printf '%s\n' "$report"
    printf '%s %s %s %s %s\n%s\n' "$status" "$suite_name" "$start" "$(date +%s.%N)" "$(cpu_seconds "$cpu")" "$name" >"$results/$seq"
    rm -f "$cpu"
}

# items that must not wait for a place (the browser tests, which start as soon as the prebuild
# has made their targets) run beside the pool without taking one
light_pids=" "
running_items() {
    local pid n=0
    for pid in $(jobs -rp); do case "$light_pids" in *" $pid "*) ;; *) n=$((n + 1)) ;; esac; done
    echo "$n"
}
wait_for_a_place() {
    while [ "$(running_items)" -ge "$JOBS" ]; do wait -n; done
}

# item NAME COMMAND...: one test item, run now (TEST_JOBS=1) or in the pool.
item() {
    item_seq=$((item_seq + 1))
    if [ "$JOBS" -le 1 ]; then
        run_item "$item_seq" "$@"
        return
    fi
    wait_for_a_place
    run_item "$item_seq" "$@" &
}

# light_in_order NAME COMMAND [NAME COMMAND ...]: items run one after the other beside the pool,
# without taking a place (COMMAND a string, evaluated: a function of this script or a command)
light_in_order() {
    local first=$((item_seq + 1))
    item_seq=$((item_seq + $# / 2))
    if [ "$JOBS" -gt 1 ]; then
        run_in_order "$first" "$@" &
        light_pids+="$! "
    else
        run_in_order "$first" "$@"
    fi
}
run_in_order() {
    local seq=$1
    shift
    while [ $# -ge 2 ]; do
        run_item "$seq" "$1" eval "$2"
        seq=$((seq + 1))
        shift 2
    done
}

suite() { suite_name=$1; }

# prebuild TARGET...: every target the suites' items will make, TEST_JOBS compilers at once,
# in the pool's first place (errors are left to the items, which run the same make and show
# them in their logs). The targets in first_targets come first, on their own; the longest
# builds are listed first.
first_targets=()
prebuild_pid=
PREBUILD_SPAN=$LOGS/prebuild.span # not in $results: collect reads every file there as an item's
rm -f "$PREBUILD_SPAN"
prebuild() {
    [ $# -gt 0 ] || [ ${#first_targets[@]} -gt 0 ] || return 0
    if [ "$JOBS" -gt 1 ]; then
        make_all_targets "$@" >"$LOGS/prebuild.log" 2>&1 &
        prebuild_pid=$!
    else
        make_all_targets "$@" >"$LOGS/prebuild.log" 2>&1
    fi
}
make_all_targets() {
    local start middle
    rm -f "$LOGS/.cpu.first" "$LOGS/.cpu.rest"
    : >"$PREBUILD_SPAN"
    start=$(date +%s.%N)
    if [ ${#first_targets[@]} -gt 0 ]; then
        with_cpu "$LOGS/.cpu.first" make -s -j"$JOBS" "${first_targets[@]}" &&
            echo "${first_targets[*]}" >"$SAFERL_FIRST_BUILT"
        middle=$(date +%s.%N)
        timeline_line "$start" "$middle" "$(cpu_seconds "$LOGS/.cpu.first")" build "prebuild: what the browser tests run" \
            >>"$PREBUILD_SPAN"
        start=$middle
    fi
    if [ $# -gt 0 ]; then
        with_cpu "$LOGS/.cpu.rest" make -s -k -j"$JOBS" "$@"
        timeline_line "$start" "$(date +%s.%N)" "$(cpu_seconds "$LOGS/.cpu.rest")" build "prebuild: the rest" >>"$PREBUILD_SPAN"
    fi
    rm -f "$LOGS/.cpu.first" "$LOGS/.cpu.rest"
}
# timeline_line START END CPU SUITE NAME: one line of build/logs/timeline
timeline_line() {
    awk -v a="$1" -v b="$2" -v c="$3" -v s="$4" -v n="$5" -v t="$total_start" \
        'BEGIN { printf "%8.1f %8.1f %7.1f  %-8s %s\n", a - t, b - t, c, s, n }'
}

# counts the results once every item has ended, and gives each suite's span: from its first
# item's start to its last item's end (the spans overlap)
collect() {
    local f status suite start end cpu name
    wait
    for f in "$results"/*; do
        [ -e "$f" ] || continue
        read -r status suite start end cpu <"$f"
        name=$(sed -n 2p "$f")
        if [ "$status" = ok ]; then
            passed=$((passed + 1))
        else
            failures+=("$name")
            failed=$((failed + 1))
        fi
        printf '%s %s %s\n' "$suite" "$start" "$end" >>"$results/spans"
        timeline_line "$start" "$end" "$cpu" "$suite" "$name" >>"$results/timeline"
        rm -f "$f"
    done
    # build/logs/timeline: every item's start and end (seconds from the run's start) and CPU
    # seconds, and the prebuild's, in the order they started: where a run's time went
    [ ! -e "$PREBUILD_SPAN" ] || cat "$PREBUILD_SPAN" >>"$results/timeline"
    if [ -e "$results/timeline" ]; then
        sort -n "$results/timeline" >"$LOGS/timeline"
        awk '{ c += $3 } END { printf "   (CPU counted: %.0f s, the prebuild'"'"'s and every item'"'"'s)\n", c }' "$LOGS/timeline"
    fi
    rm -f "$results/timeline" "$PREBUILD_SPAN"
    [ -e "$results/spans" ] || return 0
    awk '{ if (!($1 in a)) { n[++k] = $1; a[$1] = $2; b[$1] = $3 }
           if ($2 < a[$1]) a[$1] = $2; if ($3 > b[$1]) b[$1] = $3 }
         END { for (i = 1; i <= k; ++i) printf "   (%s: %.1f s from its first item'"'"'s start to its last one'"'"'s end)\n", n[i], b[n[i]] - a[n[i]] }' \
        <(sort -k2,2n "$results/spans")
    rm -f "$results/spans"
}

upper() { echo "$1" | tr a-z A-Z; }

# ---- unit ------------------------------------------------------------------------------
# Optional: saferl_gp.h's SAFERL_USE_BLIS build needs BLIS (Debian: libblis-dev); without it
# the BLIS items pass with a message saying they were skipped. Looked at once, before a suite
# starts its items (they run side by side and would share the probe's files).
blis_installed=
check_blis() {
    [ -z "$blis_installed" ] || return 0
    mkdir -p "$BUILD/compile"
    printf '#include <blis.h>\nint main(void) { return bli_info_get_version_str()[0] ? 0 : 1; }\n' >"$BUILD/compile/have_blis.c"
    if gcc -std=gnu99 "$BUILD/compile/have_blis.c" -o "$BUILD/compile/have_blis" -lblis -lm >/dev/null 2>&1; then
        blis_installed=yes
    else
        blis_installed=no
    fi
}
have_blis() { [ "$blis_installed" = yes ]; }
blis_or_skip() { # test binary: built and run on one BLIS thread
    if ! have_blis; then echo "BLIS not installed (apt-get install libblis-dev): skipped"; return 0; fi
    make -s "$1" && BLIS_NUM_THREADS=1 ASAN_OPTIONS=detect_leaks=1 "$1"
}

# the slowest builds first (test_rl.c under the sanitizers, then as WebAssembly)
targets_unit() {
    local t
    echo "$BUILD/sanitize/test_rl $BUILD/wasm/test_rl.js"
    for t in "${unit_tests[@]}"; do
        [ "$t" = rl ] || echo "$BUILD/sanitize/test_$t $BUILD/wasm/test_$t.js"
    done
    for t in "${unit_tests[@]}"; do echo "$BUILD/test_$t"; done
    echo "$BUILD/tsan/thread_rl $BUILD/tsan/gp_threads"
    if have_blis; then echo "$BUILD/blis/test_gp $BUILD/blis/sanitize/test_gp"; fi
}

# the slowest runs first: each test under the sanitizers, then under node
run_unit() {
    suite unit
    local t
    for t in "${unit_tests[@]}"; do
        item "unit $t: ASan+UBSan clang" bash -c "make -s $BUILD/sanitize/test_$t && ASAN_OPTIONS=detect_leaks=1 $BUILD/sanitize/test_$t"
    done
    for t in "${unit_tests[@]}"; do item "unit $t: wasm32 under node" bash -c "make -s $BUILD/wasm/test_$t.js && node $BUILD/wasm/test_$t.js"; done
    for t in "${unit_tests[@]}"; do
        item "unit $t: native gcc, counting allocator" bash -c "make -s $BUILD/test_$t && $BUILD/test_$t"
    done
    item "unit rl: 4 threads act with one policy (ThreadSanitizer)" bash -c "make -s $BUILD/tsan/thread_rl && $BUILD/tsan/thread_rl"
    item "unit gp: threads predicting from one GP, TSan clang" bash -c "make -s $BUILD/tsan/gp_threads && $BUILD/tsan/gp_threads"
    item "unit gp: SAFERL_USE_BLIS, gcc gnu99" blis_or_skip "$BUILD/blis/test_gp"
    item "unit gp: SAFERL_USE_BLIS, ASan+UBSan clang gnu99" blis_or_skip "$BUILD/blis/sanitize/test_gp"
}

# ---- compile and link --------------------------------------------------------------------
compile_alone() { # compiler std header
    local dir=$BUILD/compile h=$3 name
    name=$(basename "$h" .h)
    mkdir -p $dir
    printf '#define %s_IMPLEMENTATION\n#include "%s"\nint main(void) { return 0; }\n' "$(upper "$name")" "$h" >"$dir/alone_${name}_$1.$2"
    if [ "$2" = c ]; then
        "$1" $C_STRICT -I. "$dir/alone_${name}_$1.c" -o "$dir/alone_${name}_$1" -lm
    else # g++ optimised, as a release build is: g++ 12 warns inside some intrinsics only from
        # -O1 on; clang's warnings come from its front end at any level, so clang++ saves the time
        "$1" $CXX_STRICT $(cxx_alone_level "$1") -I. "$dir/alone_${name}_$1.cpp" -o "$dir/alone_${name}_$1" -lm
    fi
}

cxx_alone_level() { if [ "$1" = g++ ]; then echo -O2; else echo -O0; fi; }

# a unit test compiled as C++ (its casts and initialisers kept valid in both languages); the
# unit suite runs it as C
unit_test_as_cxx() { # compiler name
    mkdir -p $BUILD/compile
    "$1" $CXX_STRICT -I. -x c++ -c "tests/test_$2.c" -o "$BUILD/compile/test_$2_$1.o"
}

compile_alone_blis() { # compiler: saferl_gp.h on BLIS, gnu99 (blis.h is not strict C99) or C++11
    local dir=$BUILD/compile ext=c flags
    if ! have_blis; then echo "BLIS not installed (apt-get install libblis-dev): skipped"; return 0; fi
    case "$1" in *++) ext=cpp; flags="$CXX_STRICT" ;; *) flags="${C_STRICT/-std=c99/-std=gnu99}" ;; esac
    printf '#define SAFERL_GP_IMPLEMENTATION\n#include "saferl_gp.h"\nint main(void) { return 0; }\n' >"$dir/alone_gp_blis_$1.$ext"
    "$1" $flags -DSAFERL_USE_BLIS -I. "$dir/alone_gp_blis_$1.$ext" -o "$dir/alone_gp_blis_$1" -lblis -lm
}

all_headers_tu() { # compiler ext [extra define]
    local dir=$BUILD/compile f out
    mkdir -p $dir
    f="$dir/all_headers_$1${3:+_static}.$2"
    out="${f%.*}"
    {
        [ -n "${3:-}" ] && for h in "${headers[@]}"; do echo "#define $(upper "$(basename "$h" .h)")_STATIC"; done
        echo "#define SAFERL_IMPLEMENTATION"
        for h in "${headers[@]}"; do echo "#include \"$h\""; done
        for h in "${headers[@]}"; do echo "#include \"$h\" /* twice: the guards hold */"; done
        echo "int main(void) { return saferl_result_string(SAFERL_OK)[0] == 'o' ? 0 : 1; }"
    } >"$f"
    if [ "$2" = c ]; then "$1" $C_STRICT -I. "$f" -o "$out" -lm; else "$1" $CXX_STRICT -I. "$f" -o "$out" -lm; fi
    "$out"
}

# A second header made of the common block and one function: a header the family does not
# have, for the link test (same version) and the version check (999).
write_probe_header() { # same|999 file
    {
        echo "#ifndef SAFERL_PROBE_H"
        echo "#define SAFERL_PROBE_H"
        if [ "$1" = same ]; then
            tools/common_block.sh extract saferl_budget.h
        else
            tools/common_block.sh extract saferl_budget.h | sed 's/SAFERL_COMMON_VERSION 2$/SAFERL_COMMON_VERSION 999/; s/SAFERL_COMMON_VERSION != 2$/SAFERL_COMMON_VERSION != 999/'
        fi
        echo "#ifdef __cplusplus"
        echo 'extern "C" {'
        echo "#endif"
        echo "const char *saferl_probe_version(void);"
        echo "#ifdef __cplusplus"
        echo "}"
        echo "#endif"
        echo "#endif"
        echo "#ifdef SAFERL_PROBE_IMPLEMENTATION"
        echo 'const char *saferl_probe_version(void) { return "probe"; }'
        echo "#endif"
    } >"$BUILD/compile/$2"
}

# Every header implemented in a translation unit of its own, all linked into one program. TU k
# implements header k, includes every header in an order rotated by k (so each pair meets in
# both orders, either one implemented) and calls into the next TU's header; main's TU includes
# them too and calls every TU. In a directory of its own per compiler (items run side by side).
link_all() { # compiler header...
    local cc=$1 dir=$BUILD/compile/link_$1 n k j name next objs=()
    shift
    local hs=("$@")
    n=${#hs[@]}
    mkdir -p "$dir"
    for ((k = 0; k < n; ++k)); do
        name=$(basename "${hs[k]}" .h)
        next=$(basename "${hs[(k + 1) % n]}" .h)
        {
            echo "#define $(upper "$name")_IMPLEMENTATION"
            for ((j = 0; j < n; ++j)); do echo "#include \"${hs[(k + j) % n]}\""; done
            echo "const char *version_$k(void) { return ${next}_version(); }"
        } >"$dir/tu_$k.c"
        "$cc" $C_STRICT -I. -I"$BUILD/compile" -c "$dir/tu_$k.c" -o "$dir/tu_$k.o" || return 1
        objs+=("$dir/tu_$k.o")
    done
    {
        for ((j = n - 1; j >= 0; --j)); do echo "#include \"${hs[j]}\""; done
        echo "#include <stdio.h>"
        for ((k = 0; k < n; ++k)); do echo "const char *version_$k(void);"; done
        echo "int main(void) {"
        echo "    saferl_rng r;"
        echo "    saferl_rng_seed(&r, 1);"
        for ((k = 0; k < n; ++k)); do echo "    printf(\"%s \", version_$k());"; done
        echo "    printf(\"%u\\n\", (unsigned)saferl_rng_u32(&r));"
        echo "    return 0;"
        echo "}"
    } >"$dir/main.c"
    "$cc" $C_STRICT -I. -I"$BUILD/compile" -c "$dir/main.c" -o "$dir/main.o" &&
        "$cc" "${objs[@]}" "$dir/main.o" -o "$dir/link" -lm && "$dir/link"
}

version_mismatch_is_an_error() {
    local dir=$BUILD/compile
    printf '#include "saferl_budget.h"\n#include "saferl_probe_999.h"\nint main(void) { return 0; }\n' >"$dir/mismatch.c"
    if gcc $C_STRICT -I. -I"$dir" "$dir/mismatch.c" -o "$dir/mismatch" 2>"$dir/mismatch.err"; then
        echo "two common blocks of different versions compiled together"
        return 1
    fi
    grep -q "different versions" "$dir/mismatch.err"
}

quick_start_compiles() { # the README/header quick start, against an installed copy
    local dir=$BUILD/compile prefix
    prefix=$(pwd)/$BUILD/prefix
    # install writes the headers and saferl.pc under the prefix, no build target: no need to
    # wait for the build lock (held by the prebuild while this suite runs)
    SAFERL_MAKE_LOCKED=1 make -s install PREFIX="$prefix" >/dev/null
    sed -n '/   QUICK START/,/^$/p' saferl_budget.h | sed '1d' | sed 's/^      //' >"$dir/quick_start.c"
    gcc $C_STRICT $(PKG_CONFIG_PATH="$prefix/share/pkgconfig" pkg-config --cflags saferl) "$dir/quick_start.c" \
        -o "$dir/quick_start" $(PKG_CONFIG_PATH="$prefix/share/pkgconfig" pkg-config --libs saferl) && "$dir/quick_start"
}

# Each header's own QUICK START, as a user copies it: C99 with gcc and clang (and run), and C++
# with g++ and clang++ after the one change its comment names for C++ (= {0} -> = {}: a desc
# whose first field is an enum cannot take {0} in C++).
header_quick_start() { # compiler header
    local dir=$BUILD/compile name src
    name=$(basename "$2" .h)
    src="$dir/quick_start_${name}_$1"
    sed -n '/   QUICK START/,/^$/p' "$2" | sed '1d' | sed 's/^      //' >"$src.c"
    [ -s "$src.c" ] || { echo "$2: no QUICK START section"; return 1; }
    case $1 in
    gcc | clang) "$1" $C_STRICT -I. "$src.c" -o "$src" -lm && (cd "$dir" && "./quick_start_${name}_$1" >/dev/null) ;;
    *) sed 's/ = {0};/ = {};/' "$src.c" >"$src.cpp" && "$1" $CXX_STRICT -I. "$src.cpp" -o "$src" -lm ;;
    esac
}

# The examples a C or C++ engine copies from compile as C++ too (a game studio pastes them into
# a .cpp file): each with g++ and clang++, -Werror.
engine_examples=(examples/custom_env.c examples/engine_loop.c examples/policy_in_engine.c examples/gp_predict.c
    examples/shield_compile.c examples/preference_align.c examples/budget_simulate.c)
example_as_cpp() { # compiler example
    local out
    out=$BUILD/compile/cpp_$(basename "$2" .c)_$1
    "$1" $CXX_STRICT -x c++ -I. -Iexamples "$2" -o "$out" -lm
}

# Each header's version, said five times: the banner (line 2), MAJOR.MINOR.PATCH, the _STRING,
# its README row and its variable in tools/saferl.pc.in (saferl_<name>_version). All agree.
versions_agree() {
    local h name upper banner major minor patch string readme pc bad=0
    for h in "${headers[@]}"; do
        name=$(basename "$h" .h)
        upper=$(upper "$name")
        banner=$(sed -n '2s/.* - v\([0-9][0-9.]*\) - .*/\1/p' "$h")
        major=$(sed -n "s/^#define ${upper}_VERSION_MAJOR \([0-9]*\)\$/\1/p" "$h")
        minor=$(sed -n "s/^#define ${upper}_VERSION_MINOR \([0-9]*\)\$/\1/p" "$h")
        patch=$(sed -n "s/^#define ${upper}_VERSION_PATCH \([0-9]*\)\$/\1/p" "$h")
        string=$(sed -n "s/^#define ${upper}_VERSION_STRING \"\([0-9.]*\)\"\$/\1/p" "$h")
        readme=$(grep "^| \`$h\` |" README.md | sed -n 's/.*| \([0-9][0-9.]*\) |$/\1/p')
        pc=$(sed -n "s/^${name}_version=\([0-9.]*\)\$/\1/p" tools/saferl.pc.in)
        echo "$h: banner $banner, macros $major.$minor.$patch, string $string, README $readme, saferl.pc.in $pc"
        if [ -z "$banner" ] || [ -z "$string" ] || [ "$banner" != "$major.$minor.$patch" ] || [ "$banner" != "$string" ] ||
           [ "$banner" != "$readme" ] || [ "$banner" != "$pc" ]; then
            echo "  DISAGREE"
            bad=1
        fi
    done
    return $bad
}

# Bits under FMA: nas, rl and gp promise the same bits on every build, which must hold when the
# compiler may contract a * b + c into a fused multiply-add (gcc in GNU modes, clang >= 14 by
# default, given -march=x86-64-v3). Each header's bit tests, built so and run alone; with them,
# a * b + c written after the header's #include must still fuse (the headers' pragmas stay
# inside them: SAFERL_TEST_CONTRACTION_AFTER_THE_HEADER in tests/saferl_test.h).
FMA_FLAGS="-O2 -march=x86-64-v3 -Wall -Wextra -Wpedantic -Werror -DSAFERL_TEST_BUILD_FUSES"
FMA_AFTER_THE_HEADER=contraction_after_the_header_is_the_builds
declare -A FMA_BIT_TESTS=(
    [nas]="$FMA_AFTER_THE_HEADER conv_bits_are_the_same_on_every_build gemm_variants_match_the_definition"
    [rl]="$FMA_AFTER_THE_HEADER every_algorithm_reproduces_its_recorded_fingerprint products_equal_the_textbook_loops_bit_for_bit proportional_term_matches_its_definition policies_that_cannot_act_finitely_are_refused"
    [gp]="$FMA_AFTER_THE_HEADER safeopt_choices_are_the_recorded_ones dispatch_solve_is_bit_identical dispatch_dense_loops_are_bit_identical dispatch_kernel_rows_are_bit_identical append_is_the_refit_on_seeded_problems"
)
cpu_has_fma() {
    grep -qw fma /proc/cpuinfo 2>/dev/null && grep -qw avx2 /proc/cpuinfo 2>/dev/null
}

bits_under_fma() { # name: gcc -std=gnu99 and clang -std=c99 side by side, then the bit tests
    local dir=$BUILD/fma ok=0 cc
    mkdir -p $dir
    gcc -std=gnu99 $FMA_FLAGS -o "$dir/test_$1_gcc" "tests/test_$1.c" -lm &
    clang -std=c99 $FMA_FLAGS -o "$dir/test_$1_clang" "tests/test_$1.c" -lm || ok=1
    wait $! || ok=1
    [ $ok = 0 ] || return 1
    if ! cpu_has_fma; then echo "this CPU has no AVX2+FMA: built, not run"; return 0; fi
    for cc in gcc clang; do
        SAFERL_TEST_ONLY="${FMA_BIT_TESTS[$1]}" "$dir/test_$1_$cc" | tee "$dir/test_$1_$cc.out" || return 1
        grep -q "^ok      $FMA_AFTER_THE_HEADER\$" "$dir/test_$1_$cc.out" || { echo "$FMA_AFTER_THE_HEADER did not run"; return 1; }
    done
}

targets_compile() { :; }
run_compile() {
    suite compile
    item "versions agree: banner, macros, README row, saferl.pc.in" versions_agree
    local h cc ex t
    mkdir -p $BUILD/compile
    item "common block identical in every header" tools/common_block.sh check
    for h in "${headers[@]}"; do
        for cc in gcc clang; do item "$h alone: $cc C99" compile_alone $cc c "$h"; done
        for cc in g++ clang++; do item "$h alone: $cc C++11 $(cxx_alone_level $cc)" compile_alone $cc cpp "$h"; done
        [ "$h" = saferl_gp.h ] || continue
        for cc in gcc clang g++ clang++; do item "$h alone with SAFERL_USE_BLIS: $cc" compile_alone_blis $cc; done
    done
    for cc in gcc clang; do
        item "all headers in one C TU: $cc" all_headers_tu $cc c
        item "all headers in one C TU, STATIC: $cc" all_headers_tu $cc c static
    done
    for cc in g++ clang++; do item "all headers in one C++ TU: $cc" all_headers_tu $cc cpp; done
    for t in shield rl; do
        for cc in g++ clang++; do item "tests/test_$t.c as C++11: $cc" unit_test_as_cxx $cc $t; done
    done
    write_probe_header same saferl_probe.h
    write_probe_header 999 saferl_probe_999.h
    for cc in gcc clang; do
        item "link: every header implemented in its own TU, and a second common-block header: $cc" link_all $cc "${headers[@]}" saferl_probe.h
    done
    for h in nas rl gp; do item "$h under FMA contraction: bit tests, a * b + c after it (gcc, clang)" bits_under_fma $h; done
    item "common blocks of two versions: #error" version_mismatch_is_an_error
    item "quick start compiles against make install + pkg-config" quick_start_compiles
    for h in "${headers[@]}"; do
        for cc in gcc clang g++ clang++; do item "$h: its QUICK START with $cc" header_quick_start $cc "$h"; done
    done
    for ex in "${engine_examples[@]}"; do
        for cc in g++ clang++; do item "$ex as C++: $cc" example_as_cpp $cc "$ex"; done
    done
    item "each demo page's C snippet compiles and runs" tests/web_snippets.sh
}

# ---- oracles, CLIs, fuzzers, browser, demo -------------------------------------------------
# tests/oracle/<name>.sh: each compares a header with a tool no one here wrote.
# what the scripts make (read off their `make -s` lines)
targets_oracle() {
    sed -n 's/.*\bmake -s \(build\/[^;&|)]*\).*/\1/p' tests/oracle/*.sh | sed "s|build/|$BUILD/|g; s/ 2>.*//"
}
run_oracle() {
    suite oracle
    local f
    for f in tests/oracle/*.sh; do item "oracle $(basename "$f" .sh)" "$f"; done
}

# tests/cli/<example>.sh: a black-box test of build/<example>, given its path.
targets_cli() {
    local f
    for f in tests/cli/*.sh; do echo "$BUILD/$(basename "$f" .sh)"; done
}
run_cli() {
    suite cli
    local f name
    for f in tests/cli/*.sh; do
        name=$(basename "$f" .sh)
        item "cli $name" bash -c "make -s $BUILD/$name && $f $BUILD/$name"
    done
}

fuzz_one() { # name [extra corpus]
    local corpus=$BUILD/fuzz_corpus/$1 runs=$FUZZ_RUNS
    case "$1" in *_crc) runs=$FUZZ_CRC_RUNS ;; esac
    mkdir -p "$corpus" "tests/fuzz/corpus/$1"
    mkdir -p "$BUILD/fuzz_artifacts"
    make -s "$BUILD/fuzz_$1" && "$BUILD/fuzz_$1" -seed="$FUZZ_SEED" -runs="$runs" \
        -max_total_time="$FUZZ_SECONDS" -timeout=5 -print_final_stats=1 \
        -artifact_prefix="$BUILD/fuzz_artifacts/$1-" \
        "$corpus" "tests/fuzz/corpus/$1" ${2:+"$2"}
}

# Targets for checksummed formats (they include fuzz_crc_repair.h) run twice: as they are,
# and built with the CRC repaired, on their own corpus plus the plain one.
targets_fuzz() {
    local f name
    for f in tests/fuzz/fuzz_*.c; do
        name=$(basename "$f" .c)
        echo "$BUILD/$name"
        if grep -q fuzz_crc_repair.h "$f"; then echo "$BUILD/${name}_crc"; fi
    done
}
run_fuzz() {
    suite fuzz
    echo "   (fuzz: $FUZZ_RUNS runs each, seed $FUZZ_SEED)"
    local f name
    for f in tests/fuzz/fuzz_*.c; do
        name=$(basename "$f" .c)
        name=${name#fuzz_}
        item "fuzz $name" fuzz_one "$name"
        if grep -q fuzz_crc_repair.h "$f"; then
            item "fuzz $name, CRC repaired" fuzz_one "${name}_crc" "tests/fuzz/corpus/$name"
        fi
    done
}

# The pages and the native programs the browser tests compare with (build/<name> in them) are
# the prebuild's first targets; the browser tests follow them, beside the pool: they start a
# few minutes into the run instead of after the compile suite and the whole prebuild (alone they
# keep two thirds of two cores busy, chromium's processes included).
browser_test_programs() {
    grep -ohE "'build', '[a-z0-9_]+'|'build/[a-z0-9_]+'" tests/browser/*.test.mjs | grep -oE "[a-z0-9_]+'$" |
        tr -d "'" | sort -u | sed "s|^|$BUILD/|"
}
targets_web() { :; } # first_targets
run_web() {
    suite web
    light_in_order "make web and the programs the browser tests run" pages_built "browser tests (chromium)" "node --test tests/browser/"
}
pages_built() { # what the prebuild made first, or (when it failed there, or there is none) make, which shows why
    while [ ! -e "$SAFERL_FIRST_BUILT" ] && [ -n "$prebuild_pid" ] && kill -0 "$prebuild_pid" 2>/dev/null; do sleep 1; done
    if [ -e "$SAFERL_FIRST_BUILT" ]; then echo "made by the prebuild: $(cat "$SAFERL_FIRST_BUILT")"; return 0; fi
    make -s web $(browser_test_programs)
}

# the demo runs the examples: after every other item
targets_demo() { :; }
run_demo() {
    wait
    suite demo
    item "make demo" make -s demo
}

# The browser tests first, beside the pool (they start once the prebuild has made the pages);
# then the compile suite: its items call the compilers themselves and run beside the prebuild.
suites=("$@")
[ ${#suites[@]} -eq 0 ] && suites=(web compile unit oracle cli fuzz demo)
total_start=$(date +%s.%N)
check_blis
echo "== ${suites[*]}: $JOBS items at a time"
case " ${suites[*]} " in *" web "*) first_targets=(web $(browser_test_programs)) ;; esac
prebuild $(for s in "${suites[@]}"; do "targets_$s"; done)
for s in "${suites[@]}"; do "run_$s"; done
collect
printf '== total %.1f s\n' "$(elapsed "$total_start")"
for f in "${failures[@]+"${failures[@]}"}"; do echo "failed: $f"; done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
