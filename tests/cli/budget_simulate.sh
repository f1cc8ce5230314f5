#!/usr/bin/env bash
# Black-box test of examples/budget_simulate: tests/cli/budget_simulate.sh path/to/budget_simulate
set -u
BIN=${1:?usage: tests/cli/budget_simulate.sh path/to/budget_simulate}
. "$(dirname "$0")/lib.bash"

run attempts --prompts 3 --attempts 4 --horizon 100 --mean-tokens 50 --seed 7
if [ "$status" -eq 0 ] && [ "$(wc -l <"$TMP/out")" -eq 13 ] && head -1 "$TMP/out" | grep -qx 'prompt_id,horizon,tokens' &&
   [ "$(grep -c '^p0[123],100,' "$TMP/out")" -eq 12 ]; then ok "attempts: 3 prompts x 4 attempts"
else bad "attempts: 3 prompts x 4 attempts" "status $status $(head -c 300 "$TMP/err")"; fi
cp "$TMP/out" "$TMP/first"
run attempts --seed 7 --prompts 3 --attempts 4 --horizon 100 --mean-tokens 50
if cmp -s "$TMP/out" "$TMP/first"; then ok "the same seed, the same file"; else bad "the same seed, the same file"; fi
run progress --prompts 8 --group 4 --iterations 5 --seed 1
if [ "$status" -eq 0 ] && grep -q 'xi over iterations' "$TMP/out"; then ok "progress runs"; else bad "progress runs" "$(head -c 300 "$TMP/err")"; fi
# Bad arguments (issue 15): --prompts 5e9 overflowed a float-to-int conversion (UBSan)
usage_error "--prompts 5e9: usage error (was UB)" attempts --prompts 5e9
usage_error "--prompts 1.5: usage error" attempts --prompts 1.5
usage_error "--prompts -1: usage error" attempts --prompts -1
usage_error "--seed 1.7: usage error" attempts --seed 1.7
usage_error "--horizon inf: usage error" attempts --horizon inf
usage_error "--spread nan: usage error" attempts --spread nan
usage_error "--prompts twice: usage error" attempts --prompts 2 --prompts 3
usage_error "--group with attempts: usage error (it would be ignored)" attempts --group 4
usage_error "--attempts with progress: usage error (it would be ignored)" progress --attempts 4
usage_error "no command: usage error" --prompts 3
usage_error "unknown option: usage error" attempts --frob 1
stdout_full "stdout on /dev/full: exit 1" attempts --prompts 3 --attempts 4
finish
