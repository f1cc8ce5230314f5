#!/usr/bin/env bash
# Black-box test of examples/shield_compile: tests/cli/shield_compile.sh path/to/shield_compile
# Expected outputs worked out by hand for small rules (see the comments).
set -u
BIN=${1:?usage: tests/cli/shield_compile.sh path/to/shield_compile}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DATA=$ROOT/tests/data/shield
. "$(dirname "$0")/lib.bash"

expect() { # name expected-stdout
    if [ "$status" -eq 0 ] && [ "$(cat "$TMP/out")" = "$2" ]; then ok "$1"; else bad "$1" "status $status, got '$(head -c 300 "$TMP/out")' $(head -c 200 "$TMP/err")"; fi
}
expect_error() { # name status stderr-fragment
    if [ "$status" -eq "$2" ] && grep -qF -- "$3" "$TMP/err" && [ ! -s "$TMP/out" ]; then ok "$1"; else bad "$1" "status $status, stderr '$(cat "$TMP/err")'"; fi
}

# Spot's monitor for !F(red & X yellow), byte for byte (tutorial tut11)
run -e '!F(red & X(yellow))'
if [ "$(sed -n '/--BODY--/,$p' "$TMP/out")" = "$(sed -n '/--BODY--/,$p' "$DATA/spot_monitor.hoa")" ] &&
   grep -q '^Acceptance: 0 t$' "$TMP/out" && grep -q '^AP: 2 "red" "yellow"$' "$TMP/out"; then
    ok "monitor equals Spot's tutorial output"
else
    bad "monitor equals Spot's tutorial output" "$(cat "$TMP/out")"
fi

# the Spot file read back: the same body
run "$DATA/spot_monitor.hoa"
if [ "$(sed -n '/--BODY--/,$p' "$TMP/out")" = "$(sed -n '/--BODY--/,$p' "$DATA/spot_monitor.hoa")" ]; then ok "HOA file round trip"; else bad "HOA file round trip" "$(cat "$TMP/out" "$TMP/err")"; fi

# G(lava -> X !lava): violated at the second lava in a row (step 3)
printf '\nlava\nlava\n\n' >"$TMP/trace"
run --check "$TMP/trace" -e 'G(lava -> X !lava)'
expect "first violating step" "3"
printf 'lava\n\nlava\n' >"$TMP/trace"
run --check "$TMP/trace" -e 'G(lava -> X !lava)'
expect "a safe trace" "ok"
# bad prefix: G(X p & X !p) is violated at the first step
printf '\n' >"$TMP/trace"
run --check "$TMP/trace" -e 'G(X p & X !p)'
expect "G(X p & X !p) violated at step 1" "1"
# complete form keeps the sink: 3 states
run --complete -e 'G(lava -> X !lava)'
if grep -q '^States: 3$' "$TMP/out" && grep -q 'Acceptance: 1 Inf(0)' "$TMP/out"; then ok "complete HOA keeps the sink"; else bad "complete HOA keeps the sink"; fi
# DOT
run --dot -e 'G(lava -> X !lava)'
if [ "$status" -eq 0 ] && grep -q '^digraph' "$TMP/out" && grep -q 'violation' "$TMP/out"; then ok "DOT"; else bad "DOT"; fi
# past time, recognised by its operators: an alarm before anything armed
printf 'alarm\n' >"$TMP/trace"
run --check "$TMP/trace" -e 'G(alarm -> O armed)'
expect "past-time monitor" "1"
printf 'armed\n\nalarm\n' >"$TMP/trace"
run --check "$TMP/trace" -e 'G(alarm -> O armed)'
expect "past-time monitor, armed first" "ok"
# LTLf: accepted once goal is seen, lava never
printf '\ngoal\n' >"$TMP/trace"
run --ltlf --check "$TMP/trace" -e 'F goal & G !lava'
expect "LTLf accepted" "ok"
printf '\n\n' >"$TMP/trace"
run --ltlf --check "$TMP/trace" -e 'F goal & G !lava'
expect "LTLf not accepted yet" "not accepted"
printf 'goal\nlava\n' >"$TMP/trace"
run --ltlf --check "$TMP/trace" -e 'F goal & G !lava'
expect "LTLf violated" "2"
# reward machine by content; written back in its own format
run --rm "$DATA/office.rm"
if [ "$status" -eq 0 ] && grep -q "^(1,2,'!n&g',ConstantRewardFunction(1))$" "$TMP/out"; then ok "reward machine read and written"; else bad "reward machine read and written" "$(cat "$TMP/out" "$TMP/err")"; fi
printf 'f\nn\n' >"$TMP/trace"
run --check "$TMP/trace" "$DATA/office.rm"
expect "reward machine: no violation sink, all guards covered" "ok"
# errors: file:line:column
run -e 'G(a -> F b)'
expect_error "liveness refused with its place" 1 "-e:1:8: 'F'"
run -e 'G(a -> X b'
expect_error "unbalanced parentheses" 1 "-e:1:2: unbalanced parentheses"
printf 'HOA: v1\nStates: 1\nStart: 0\nAP: 0\nAcceptance: 2 Inf(0)&Inf(1)\n--BODY--\nState: 0\n[t] 0\n--END--\n' >"$TMP/bad.hoa"
run "$TMP/bad.hoa"
expect_error "unsupported HOA acceptance" 1 "bad.hoa:5:1: unsupported acceptance"
printf 'HOA: v1\nStart: 1\nAP: 2 "g" "lava"\nAcceptance: 1 Inf(0)\n--BODY--\nState: 1\n[!0&!1] 0\n[0&!1] 1\n[1] 2\nState: 2 {0}\n[!1] 1\n[1] 2\n--END--\n' >"$TMP/live.hoa"
run "$TMP/live.hoa"
expect_error "Buchi with a liveness obligation refused at the state" 1 "live.hoa:6:8: Inf(0) that is not a safety condition: state 1"
printf 'HOA: v1\nStart: 0\nAP: 0\nAcceptance: 0 t\n--BODY--\nState: 0\n[t] 0\nState: 0\n--END--\n' >"$TMP/twice.hoa"
run "$TMP/twice.hoa"
expect_error "a state declared twice" 1 "twice.hoa:8:8: state 0 is declared twice"
printf 'lava\nfire\n' >"$TMP/trace"
run --check "$TMP/trace" -e 'G(lava -> X !lava)'
expect_error "unknown proposition in a trace" 1 "trace:2:1: unknown proposition 'fire'"
run
if [ "$status" -eq 2 ]; then ok "usage"; else bad "usage"; fi

# Bad arguments (issue 15): conflicting and repeated flags were silently resolved
usage_error "--dot --rm: usage error (was one silently picked)" --dot --rm -e 'G !a'
usage_error "--dot --complete: usage error" --dot --complete -e 'G !a'
usage_error "--check with --dot: usage error" --dot --check "$TMP/trace" -e 'G !a'
usage_error "--dot twice: usage error" --dot --dot -e 'G !a'
usage_error "-e twice: usage error (was last-wins)" -e 'G !a' -e 'G !b'
usage_error "-e and a file: usage error" -e 'G !a' "$DATA/office.rm"
usage_error "two files: usage error" "$DATA/office.rm" "$DATA/office.rm"
usage_error "--check without its file: usage error" -e 'G !a' --check
usage_error "unknown option: usage error" --frob -e 'G !a'
# A UTF-8 byte-order mark starts a file, not a formula
printf '\357\273\277' | cat - "$DATA/office.rm" >"$TMP/bom.rm"
run --rm "$TMP/bom.rm"
if [ "$status" -eq 0 ] && grep -q "^(1,2,'!n&g',ConstantRewardFunction(1))$" "$TMP/out"; then ok "reward machine with a BOM"; else bad "reward machine with a BOM" "$(cat "$TMP/err")"; fi
printf '\357\273\277lava\nlava\n' >"$TMP/bom_trace"
run --check "$TMP/bom_trace" -e 'G(lava -> X !lava)'
expect "trace with a BOM: its first step has lava" "2"
stdout_full "stdout on /dev/full: exit 1" -e 'G(a -> X b)'

finish
