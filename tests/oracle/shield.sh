#!/usr/bin/env bash
# saferl_shield.h against lbt (safety LTL, with lasso-word brute force) and MONA (past-time
# LTL and LTLf): the checked-in tool outputs always, a fresh run when the tools are installed;
# random LTLf formulas against MONA when it is installed.
# Guards written over more than 16 propositions against the monitor's successors. Then safety
# games (part 2) against their definition: random small games solved by brute
# force in Python (tests/oracle/shield_games.py), the library through safeguard_gridworld.
set -euo pipefail
cd "$(dirname "$0")/../.."
make -s build/shield_compile build/safeguard_gridworld
/usr/bin/python3 tests/oracle/shield_oracle.py build/shield_compile "$@"
# seeded random formulas read as LTLf against MONA (a few seconds; make bench runs more, and
# the safety ones against lbt, which is slower)
if command -v mona >/dev/null; then
    /usr/bin/python3 tests/oracle/shield_random.py build/shield_compile 40 16 --ltlf | tail -n 1
fi
# formulas written with F, U, M against lbt (a few seconds; make bench runs Dwyer et al.'s 55
# patterns, 300 random ones and 200 widened): compiled exactly when they are safety properties
if command -v lbt >/dev/null; then
    /usr/bin/python3 tests/oracle/shield_liveness.py build/shield_compile --random 10 16 | tail -n 1
    # the same widened to 17-24 propositions (symbolic letters), against the narrow ones
    /usr/bin/python3 tests/oracle/shield_liveness.py build/shield_compile --wide 10 16 | tail -n 1
fi
# guards over 17-22 propositions (the factored HOA and DOT writers) against the monitor's own
# successors, the texts read by the formats' definitions (tests/oracle/shield_guards.py; the
# helper is built here, since no example prints the monitor's successors)
guards=build/oracle/shield_guards
if [ ! -x "$guards" ] || [ tests/oracle/shield_guards.c -nt "$guards" ] || [ saferl_shield.h -nt "$guards" ]; then
    mkdir -p build/oracle
    ${CC:-cc} -std=c99 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Werror -O1 -I. \
        -o "$guards" tests/oracle/shield_guards.c -lm
fi
/usr/bin/python3 tests/oracle/shield_guards.py "$guards" 24
/usr/bin/python3 tests/oracle/shield_games.py build/safeguard_gridworld 150
