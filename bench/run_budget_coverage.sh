#!/usr/bin/env bash
# Coverage of saferl_budget_set_estimate's 95% interval for a prompt set's H / mean_i E[T_i]:
# the grid of (prompts, attempts, spread, censoring) where the model holds, then cells where
# it does not. 1000 fixed-seed replications a cell, 2000 posterior draws each (the default).
# Run from anywhere: bench/run_budget_coverage.sh [prompt counts...] (default 16 64: about an
# hour on a loaded 2-core machine, less as two runs side by side, one for 16 and one for 64;
# 256 takes four times the 64 rows, 10^4 about 9 CPU hours). ATTEMPTS="32" (default "8 32")
# runs only those attempt counts; a cell's seeds follow its position in the run, so rows
# from such a run are other replications than the full run's. SPREAD_PRIOR=atom
# (default half-cauchy, the library's) runs the prior with an atom at spread 0 on the same data,
# INTERVAL=widened or posterior (default boundary, the library's) that interval (desc.interval).
# Every 100 replications of a cell a "# partial" line goes to stderr (the counts so far), so
# keep stderr with the log (2>&1): a run stopped mid-cell keeps that cell's first replications.
set -eu
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mkdir -p build
CC=${CC:-gcc}
# built under a private name, then renamed: a second run started beside this one (say with
# other prompt counts) does not write over a running binary
$CC -O3 -march=x86-64-v2 -I. bench/budget_coverage.c -o build/bench_budget_coverage.$$ -lm
mv -f build/bench_budget_coverage.$$ build/bench_budget_coverage
prompts=${*:-16 64}
echo "== the model holds: hazards Beta, T geometric (uptime: $(uptime | sed 's/.*load/load/'))"
cells=()
for p in $prompts; do
    for n in ${ATTEMPTS:-8 32}; do
        for spread in 0 0.6 1.0; do
            for censored in 0 0.3 0.6 0.9; do cells+=(--cell "$p,$n,beta,$spread,$censored"); done
        done
    done
done
build/bench_budget_coverage --replications 1000 --spread-prior "${SPREAD_PRIOR:-half-cauchy}" \
    --interval "${INTERVAL:-boundary}" "${cells[@]}"
echo
echo "== the model does not hold (64 prompts, 8 attempts)"
cells=()
for censored in 0.3 0.6 0.9; do
    cells+=(--cell "64,8,lognormal,0.6,$censored" --cell "64,8,lognormal,1.0,$censored")
    cells+=(--cell "64,8,lntokens,0.6,$censored" --cell "64,8,mixture,0.6,$censored")
done
build/bench_budget_coverage --replications 1000 --spread-prior "${SPREAD_PRIOR:-half-cauchy}" \
    --interval "${INTERVAL:-boundary}" "${cells[@]}"
echo "(uptime: $(uptime | sed 's/.*load/load/'))"
