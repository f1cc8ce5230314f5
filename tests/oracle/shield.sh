#!/usr/bin/env bash
# saferl_shield.h against lbt (safety LTL, with lasso-word brute force) and MONA (past-time
# LTL and LTLf): the checked-in tool outputs always, a fresh run when the tools are installed.
# Then safety games (part 2) against their definition: random small games solved by brute
# force in Python (tests/oracle/shield_games.py), the library through safeguard_gridworld.
set -euo pipefail
cd "$(dirname "$0")/../.."
make -s build/shield_compile build/safeguard_gridworld
/usr/bin/python3 tests/oracle/shield_oracle.py build/shield_compile "$@"
/usr/bin/python3 tests/oracle/shield_games.py build/safeguard_gridworld 150
