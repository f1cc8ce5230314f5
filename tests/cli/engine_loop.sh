#!/usr/bin/env bash
# Black-box test of examples/engine_loop: tests/cli/engine_loop.sh path/to/engine_loop
set -u
BIN=${1:?usage: tests/cli/engine_loop.sh path/to/engine_loop}
. "$(dirname "$0")/lib.bash"

run 4 10
if [ "$status" -eq 0 ] && grep -q '^4 agents x 10 frames: 40 shielded steps' "$TMP/out" &&
   grep -q 'during the frames 0;' "$TMP/out"; then ok "4 agents x 10 frames, nothing allocated in the frames"
else bad "4 agents x 10 frames" "status $status $(cat "$TMP/out" "$TMP/err")"; fi
# Bad arguments (issue 15): -1 and 4000000000 agents crashed, -1 frames hung
usage_error "-1 agents: usage error (was a segfault)" -1 1
usage_error "4000000000 agents: usage error (was a segfault)" 4000000000 1
usage_error "-1 frames: usage error (was a hang)" 1 -1
usage_error "0 agents: usage error" 0 1
usage_error "1.5 agents: usage error" 1.5
usage_error "trailing junk: usage error" 4x 10
usage_error "three arguments: usage error" 1 1 1
stdout_full "stdout on /dev/full: exit 1" 4 10
finish
