#!/usr/bin/env bash
# saferl_shield.h against lbt (safety LTL, with lasso-word brute force) and MONA (past-time
# LTL and LTLf): the checked-in tool outputs always, a fresh run when the tools are installed.
set -euo pipefail
cd "$(dirname "$0")/../.."
make -s build/shield_compile
/usr/bin/python3 tests/oracle/shield_oracle.py build/shield_compile "$@"
