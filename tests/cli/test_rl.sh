#!/usr/bin/env bash
# The modes of the unit-test binary (tests/test_rl.c) that bench/run_rl.sh and the README run:
# tests/cli/test_rl.sh path/to/test_rl. Each grid flag is matched whole, its =X (the cost's GAE
# lambda) is a number in (0, 1]; anything else exits 1 with "test_rl: FLAG: reason" and runs
# nothing (a mistyped flag ran a grid, or the whole unit suite, before). The grids' FIRST LAST
# SEEDS are whole integers in range (atoi took "3x" and "abc"), an empty grid (FIRST > LAST) is
# refused (it printed "worst gap -1e300"), and every other argument of the grids and the trace
# is a name or number they read; anything else is refused the same way. A good flag is shown
# accepted by the refusal it reaches next (the empty grid's, after the flag); one real grid
# (CPO on CMDP 1, seed 1: three runs, about a second) shows the summary lines.
set -u
BIN=${1:?usage: tests/cli/test_rl.sh path/to/test_rl}
. "$(dirname "$0")/lib.bash"

for flag in --cmdp-grid --cmdp-grid-window --cmdp-grid-window=0.5 --cmdp-grid-window=1 --cmdp-grid-window=5e-1 \
    --cmdp-grid-cost-lambda=0.5 --cmdp-grid-cost-units --cmdp-grid-proportional --cmdp-grid-integral \
    --cmdp-grid-relative-damping --cmdp-grid-cost-test=1.645 --cmdp-grid-cost-test=none --cmdp-grid-cost-test=2e0; do
    run "$flag" 2 1 1 cpo
    [ "$status" -eq 1 ] && [ ! -s "$TMP/out" ] && grep -qF 'test_rl: 2 1: FIRST LAST, an empty grid' "$TMP/err" &&
        ok "$flag: accepted (then the empty grid refused)" ||
        bad "$flag: accepted (then the empty grid refused)" "status $status: $(head -c 300 "$TMP/err")"
done
run --cmdp-grid 1 1 1 cpo
if [ "$status" -eq 0 ] && [ "$(grep -c '^cpo  *cmdp 1 scale .* seed 1: gap' "$TMP/out")" -eq 3 ] &&
    grep -Eq '^cpo  *3 of 3 runs within the target \(worst gap -?[0-9]+\.[0-9]{3}, worst J_C/d [0-9]+\.[0-9]{3}\)$' "$TMP/out" &&
    grep -q '^cpo  *3 of 3 cells' "$TMP/out" && ! grep -q 'e+\?300\|inf\|nan' "$TMP/out"; then ok "--cmdp-grid 1 1 1 cpo: three runs and the summary"
else bad "--cmdp-grid 1 1 1 cpo: three runs and the summary" "status $status: $(tail -c 300 "$TMP/out") $(head -c 300 "$TMP/err")"; fi
# refused: exit 1, the flag and the reason on stderr, nothing on stdout
refused() { # FLAG FRAGMENT
    run "$1" 1 0 1 cpo
    if [ "$status" -eq 1 ] && [ ! -s "$TMP/out" ] && grep -qF -- "test_rl: $1: $2" "$TMP/err"; then ok "refused: '$1'"
    else bad "refused: '$1'" "status $status, stdout $(head -c 100 "$TMP/out"), stderr $(head -c 300 "$TMP/err")"; fi
}
for flag in --cmdp-grid-windowJUNK --cmdp-grid-window-x --cmdp-gridX --cmdp-grid-cost-lambda0.5 --cmdp-grid- --bogus; do
    refused "$flag" "unknown option"
done
for flag in --cmdp-grid-window= --cmdp-grid-window=abc --cmdp-grid-window=0.5x "--cmdp-grid-window= 0.5" \
    --cmdp-grid-window=nan --cmdp-grid-window=inf --cmdp-grid-window=0 --cmdp-grid-window=-0.5 --cmdp-grid-window=1.01 \
    --cmdp-grid-cost-lambda --cmdp-grid-cost-lambda= --cmdp-grid-cost-lambda=2; do
    refused "$flag" "=X, the cost's GAE lambda, must be a number in (0, 1]"
done
for flag in --cmdp-grid-cost-test= --cmdp-grid-cost-test=abc --cmdp-grid-cost-test=0 --cmdp-grid-cost-test=-1 \
    --cmdp-grid-cost-test=nan --cmdp-grid-cost-test=1x "--cmdp-grid-cost-test= 1" --cmdp-grid-cost-test=101 \
    --cmdp-grid-cost-test=None; do
    refused "$flag" "=Z, the cost test's standard errors, must be a number in (0, 100] or none"
done
refused --cmdp-grid-cost-test "unknown option"
# variant flags combine: the first from the defaults, each later one changing only what it names
# (order free), so the comparisons made before 0.5.6 rerun with CPO's rule then
for flags in "--cmdp-grid-cost-lambda=0.5 --cmdp-grid-cost-test=none" "--cmdp-grid --cmdp-grid-cost-test=1" \
    "--cmdp-grid-window=0.5 --cmdp-grid-cost-test=none --cmdp-grid-relative-damping"; do
    run $flags 2 1 1 cpo
    [ "$status" -eq 1 ] && [ ! -s "$TMP/out" ] && grep -qF 'test_rl: 2 1: FIRST LAST, an empty grid' "$TMP/err" &&
        ok "$flags: accepted together" || bad "$flags: accepted together" "status $status: $(head -c 300 "$TMP/err")"
done
run --cmdp-grid-cost-test=none --cmdp-grid-cost-lambda=0.5 1 1 1 cpo
cp "$TMP/out" "$TMP/one_order"
run --cmdp-grid-cost-lambda=0.5 --cmdp-grid-cost-test=none 1 1 1 cpo
[ "$status" -eq 0 ] && [ -s "$TMP/out" ] && cmp -s "$TMP/out" "$TMP/one_order" &&
    ok "combined flags: the same runs in either order" || bad "combined flags: the same runs in either order" "status $status"
run --cmdp-grid-cost-test=none 1 1 1 cpo
cp "$TMP/out" "$TMP/alone"
run --cmdp-grid --cmdp-grid-cost-test=none 1 1 1 cpo
[ "$status" -eq 0 ] && [ -s "$TMP/out" ] && cmp -s "$TMP/out" "$TMP/alone" &&
    ok "--cmdp-grid then a variant: the variant alone" || bad "--cmdp-grid then a variant: the variant alone" "status $status"
for second in --cmdp-grid --cmdp-grid-sac --cmdp-grid-continuous --cmdp-grid-windowJUNK; do
    run --cmdp-grid-window "$second" 1 1 1 cpo
    [ "$status" -eq 1 ] && [ ! -s "$TMP/out" ] && grep -qF -- "test_rl: $second: not a flag that changes the grid's settings" "$TMP/err" &&
        ok "refused as a second flag: $second" || bad "refused as a second flag: $second" "status $status: $(head -c 300 "$TMP/err")"
done
run --cmdp-grid-window --cmdp-grid-cost-test=abc 1 1 1 cpo
[ "$status" -eq 1 ] && [ ! -s "$TMP/out" ] && grep -qF -- "test_rl: --cmdp-grid-cost-test=abc: =Z" "$TMP/err" &&
    ok "a second flag's bad =Z refused" || bad "a second flag's bad =Z refused" "status $status: $(head -c 300 "$TMP/err")"

# the modes' other arguments: exit 1, "test_rl: ARG: reason" on stderr, nothing on stdout
refused_args() { # FRAGMENT ARGS...
    local fragment=$1
    shift
    run "$@"
    if [ "$status" -eq 1 ] && [ ! -s "$TMP/out" ] && grep -qF -- "test_rl: $fragment" "$TMP/err"; then ok "refused: $*"
    else bad "refused: $*" "status $status, stdout $(head -c 100 "$TMP/out"), stderr $(head -c 300 "$TMP/err")"; fi
}
for grid in --cmdp-grid --cmdp-grid-window=0.5 --cmdp-grid-sac --cmdp-grid-continuous; do
    refused_args "3x: FIRST must be an integer in [1, 1000000]" $grid 3x 3 1
    refused_args "abc: FIRST must be an integer in [1, 1000000]" $grid abc
    refused_args ": FIRST must be an integer in [1, 1000000]" $grid "" 3 1
    refused_args " 1: FIRST must be an integer in [1, 1000000]" $grid " 1" 3 1
    refused_args "+1: FIRST must be an integer in [1, 1000000]" $grid +1 3 1
    refused_args "0: FIRST must be an integer in [1, 1000000]" $grid 0 3 1
    refused_args "1000001: LAST must be an integer in [1, 1000000]" $grid 1 1000001 1
    refused_args "99999999999999999999: LAST must be an integer" $grid 1 99999999999999999999 1
    refused_args "3.0: LAST must be an integer in [1, 1000000]" $grid 1 3.0 1
    refused_args "3 1: FIRST LAST, an empty grid (LAST must be >= FIRST)" $grid 3 1 1
    refused_args "5 3: FIRST LAST, an empty grid (LAST must be >= FIRST)" $grid 5
    refused_args "0: SEEDS must be an integer in [1, 1000]" $grid 1 1 0
    refused_args "-3: SEEDS must be an integer in [1, 1000]" $grid 1 1 -3
    refused_args "1001: SEEDS must be an integer in [1, 1000]" $grid 1 1 1001
    refused_args "5x: SEEDS must be an integer in [1, 1000]" $grid 1 1 5x
done
refused_args "bogus: not a constrained algorithm's name" --cmdp-grid 1 1 1 cpo bogus
refused_args "bogus: RULE must be relative, cost-units" --cmdp-grid-sac 1 1 1 bogus
refused_args "extra: unexpected argument" --cmdp-grid-sac 1 1 1 relative extra
refused_args "3-2: SEEDS FROM-TO must have FROM <= TO" --cmdp-grid-continuous 1 1 3-2
refused_args "1x: SEEDS TO must be an integer" --cmdp-grid-continuous 1 1 1-1x
refused_args "1-1001: SEEDS FROM-TO must have FROM <= TO and at most 1000 seeds" --cmdp-grid-continuous 1 1 1-1001
refused_args "bogus: RULE must be relative" --cmdp-grid-continuous 1 1 1 bogus
refused_args "foo: ALGORITHM must be sac-lag, td3-lag or all" --cmdp-grid-continuous 1 1 1 all foo
refused_args "stepx: MAP must be step or mixture" --cmdp-grid-continuous 1 1 1 all all stepx
refused_args "1x: TARGET_ENTROPY must be a number" --cmdp-grid-continuous 1 1 1 all all step 1x
refused_args "nan: TARGET_ENTROPY must be a number" --cmdp-grid-continuous 1 1 1 all all step nan
refused_args "50: STEPS must be 0 or a multiple of 100 above 10000" --cmdp-grid-continuous 1 1 1 all all step 0 50
refused_args "extra: unexpected argument" --cmdp-grid-continuous 1 1 1 all all step 0 0 extra
refused_args "foo: ALGORITHM must be sac-lag or td3-lag" --cmdp-grid-iterates 1 1 1 foo default
refused_args "bogus: SETTINGS must be default or dev" --cmdp-grid-iterates 1 1 1 sac-lag bogus
refused_args "stepx: MAP must be step or mixture" --cmdp-grid-iterates 1 1 1 sac-lag default stepx
refused_args "1x: TARGET_ENTROPY must be a number" --cmdp-grid-iterates 1 1 1 sac-lag default step 1x
refused_args "10000: STEPS must be 0 or a multiple of 100 above 10000" --cmdp-grid-iterates 1 1 1 td3-lag default step 0 10000
refused_args "extra: unexpected argument" --cmdp-grid-iterates 1 1 1 td3-lag default step 0 0 extra
refused_args "foo: ALGORITHM must be sac-discrete-lag, sac-lag or td3-lag" --cmdp-trace foo relative 1 1 1
refused_args "bogus: RULE must be relative" --cmdp-trace sac-lag bogus 1 1 1
refused_args "1x: CMDP must be an integer" --cmdp-trace sac-lag relative 1x 1 1
refused_args "0: SCALE must be a number" --cmdp-trace sac-lag relative 1 0 1
refused_args "abc: SEED must be an integer" --cmdp-trace sac-lag relative 1 1 abc
refused_args "stepx: MAP must be step or mixture" --cmdp-trace sac-lag relative 1 1 1 stepx
refused_args "foo: ALGORITHM must be an on-policy algorithm's name" --cmdp-trace-trust foo 2 1 1
refused_args "2x: CMDP must be an integer" --cmdp-trace-trust cpo 2x 1 1
refused_args "-1: SCALE must be a number" --cmdp-trace-trust cpo 2 -1 1
refused_args "1.5: SEED must be an integer" --cmdp-trace-trust cpo 2 1 1.5
refused_args "0: FROM must be an integer in [1, 150]" --cmdp-trace-trust cpo 2 1 1 0
refused_args "151: FROM must be an integer in [1, 150]" --cmdp-trace-trust cpo 2 1 1 151
refused_args "2: cost_lambda=X must be a number in [0, 1]" --cmdp-trace-trust cpo 2 1 1 1 cost_lambda=2
refused_args "0.5x: cost_lambda=X must be a number" --cmdp-trace-trust cpo 2 1 1 1 cost_lambda=0.5x
refused_args "0: update_iters=N must be an integer in [1, 1000]" --cmdp-trace-trust cpo 2 1 1 1 update_iters=0
refused_args "abc: critic_lr=X must be a number" --cmdp-trace-trust cpo 2 1 1 1 critic_lr=abc
refused_args "abc: cost_test_z=Z must be a number" --cmdp-trace-trust cpo 2 1 1 1 cost_test_z=abc
refused_args "0: cost_test_z=Z must be a number" --cmdp-trace-trust cpo 2 1 1 1 cost_test_z=0
refused_args "None: cost_test_z=Z must be a number" --cmdp-trace-trust cpo 2 1 1 1 cost_test_z=None
run --cmdp-trace-trust cpo 2 1
[ "$status" -eq 1 ] && [ ! -s "$TMP/out" ] && grep -q '^usage: test_rl --cmdp-trace-trust ALGORITHM' "$TMP/err" &&
    ok "--cmdp-trace-trust, too few arguments: usage" || bad "--cmdp-trace-trust, too few arguments: usage" "status $status"
run --cmdp-trace sac-lag relative 1
[ "$status" -eq 1 ] && [ ! -s "$TMP/out" ] && grep -q '^usage: test_rl --cmdp-trace ALGORITHM' "$TMP/err" &&
    ok "--cmdp-trace, too few arguments: usage" || bad "--cmdp-trace, too few arguments: usage" "status $status"
finish
