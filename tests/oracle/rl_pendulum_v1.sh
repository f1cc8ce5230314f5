#!/usr/bin/env bash
# saferl_rl.h's Pendulum-v1 step by step against Gym's equations written out in numpy
# (tests/oracle/rl_pendulum_v1.py; gymnasium itself is not packaged by Debian).
set -euo pipefail
cd "$(dirname "$0")/../.."
make -s build/test_rl
/usr/bin/python3 -c "import numpy" 2>/dev/null || { echo "numpy missing: apt-get install python3-numpy" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
build/test_rl --pendulum-v1 >"$tmp/dump"
echo "== Pendulum-v1 against Gym's equations (numpy), 8 episodes of 200 steps"
/usr/bin/python3 tests/oracle/rl_pendulum_v1.py "$tmp/dump"
