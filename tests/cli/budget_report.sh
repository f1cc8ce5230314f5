#!/usr/bin/env bash
# Black-box test of examples/budget_report: tests/cli/budget_report.sh path/to/budget_report
# Expected values are closed forms worked out by hand for the small files in tests/data/budget/
# (censored geometric MLE: D successes, S tokens at risk, xi = H D / S, E[T] = S / D).
set -u
BIN=${1:?usage: tests/cli/budget_report.sh path/to/budget_report}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DATA=$ROOT/tests/data/budget
PY=/usr/bin/python3
. "$(dirname "$0")/lib.bash"



# jcheck NAME PYTHON: loads $TMP/out as strict JSON (a bare NaN/Infinity token fails) and runs
# the Python statements (asserts) with d the document and close(a, b[, rel]) at hand.
jcheck() {
    local name=$1 code=$2 msg
    if msg=$("$PY" - "$TMP/out" "$code" 2>&1 <<'EOF'
import json, math, sys
def bare(token):
    raise ValueError("bare JSON token " + token)
with open(sys.argv[1]) as f:
    d = json.load(f, parse_constant=bare)
def close(a, b, rel=1e-12):
    return a is not None and b is not None and abs(a - b) <= rel * max(abs(a), abs(b), 1e-300)
def by_id(name):
    return [p for p in d["prompts"] if p["prompt_id"] == name][0]
try:
    exec(sys.argv[2])
except AssertionError as e:
    import traceback
    line = traceback.extract_tb(e.__traceback__)[-1].lineno
    print("assertion on line %d of the check: %s" % (line, sys.argv[2].splitlines()[line - 1].strip()))
    sys.exit(1)
EOF
    ); then ok "$name"; else bad "$name" "$msg"; fi
}

# expect_status NAME WANT
expect_status() {
    if [ "$status" -eq "$2" ]; then ok "$1"; else bad "$1" "exit status $status, expected $2; stderr: $(head -c 300 "$TMP/err")"; fi
}

# expect_lines NAME FILE LINE...: stderr has exactly one "FILE:LINE: reason" per listed line
# and nothing else, and stdout is empty (no report)
expect_lines() {
    local name=$1 file=$2 got want
    shift 2
    got=$(sed -n "s|^$file:\([0-9][0-9]*\): ..*|\1|p" "$TMP/err" | tr '\n' ' ')
    want="$* "
    if [ "$status" -ne 1 ]; then
        bad "$name" "exit status $status, expected 1"
    elif [ "$got" != "$want" ]; then
        bad "$name" "reported lines '$got', expected '$want'; stderr: $(head -c 400 "$TMP/err")"
    elif [ "$(wc -l <"$TMP/err")" -ne $# ]; then
        bad "$name" "extra stderr lines: $(head -c 400 "$TMP/err")"
    elif [ -s "$TMP/out" ]; then
        bad "$name" "printed a report for bad input"
    else
        ok "$name"
    fi
}

# expect_err_match NAME REGEX: stderr matches the extended regex
expect_err_match() {
    if grep -Eq "$2" "$TMP/err"; then ok "$1"; else bad "$1" "stderr does not match /$2/: $(head -c 300 "$TMP/err")"; fi
}

if [ ! -x "$BIN" ]; then
    echo "FAIL  $BIN is not an executable"
    echo "0 passed, 1 failed"
    exit 1
fi
if ! "$PY" -c 'import json' 2>/dev/null; then
    echo "FAIL  $PY not found"
    echo "0 passed, 1 failed"
    exit 1
fi

# ---- good files ----------------------------------------------------------------------------

# one prompt, horizon 1000: tokens 100, 300, censored -> D = 2, S = 100 + 300 + 1000 = 1400
run --json "$DATA/one_prompt.csv"
expect_status "one_prompt: exit 0" 0
jcheck "one_prompt: xi = 1000*2/1400, E[T] = 700, SE = sqrt(S(S-D)/D^3), horizons 1.5*700 .. 2*700" '
p = d["prompts"][0]
assert len(d["prompts"]) == 1 and p["prompt_id"] == "p"
assert p["n"] == 3 and p["successes"] == 2
assert close(p["xi"], 1000 * 2 / 1400)
assert p["xi_lo"] < p["xi"] < p["xi_hi"]
assert p["xi_is_upper_bound"] is False and p["xi_is_lower_bound"] is False
assert close(p["mean_tokens"], 700)
assert close(p["mean_tokens_se"], math.sqrt(1400 * 1398 / 8))
assert close(p["p"], 2 / 3) and close(p["reward_variance"], 2 / 9)
assert close(p["informative"]["8"], 1 - (2 / 3) ** 8 - (1 / 3) ** 8)
assert close(p["informative"]["4"], 1 - (2 / 3) ** 4 - (1 / 3) ** 4)
assert all(p["informative_estimate"][g] is None for g in ("4", "8", "16"))  # n = 3 < G
assert close(p["horizon"], 1000)
assert close(p["horizon_for_band"][0], 1050) and close(p["horizon_for_band"][1], 1400)
assert p["regime"] == "deficient"  # 1.43 < 1.5
assert d["band"] == [1.5, 2.0] and d["confidence"] == 0.95
assert close(d["pooled"]["xi"], 1000 * 2 / 1400)
'

run --json --band 1.0,1.4 --confidence 0.9 "$DATA/one_prompt.csv"
jcheck "one_prompt: --band 1.0,1.4 moves the regime to ample, --confidence narrows the interval" '
p = d["prompts"][0]
assert p["regime"] == "ample"
assert d["band"] == [1.0, 1.4] and d["confidence"] == 0.9
assert close(p["horizon_for_band"][0], 700) and close(p["horizon_for_band"][1], 980)
'
lo90=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["prompts"][0]["xi_lo"])' "$TMP/out" 2>/dev/null || echo -1)
run --json "$DATA/one_prompt.csv"
jcheck "one_prompt: the 95% interval is wider than the 90% one" "assert d['prompts'][0]['xi_lo'] < $lo90"

run "$DATA/one_prompt.csv"
expect_status "one_prompt text: exit 0" 0
if grep -q "xi  *1.429  \[" "$TMP/out" && grep -q "1050 \.\. 1400 tokens" "$TMP/out"; then
    ok "one_prompt text: xi 1.429 with an interval, horizons 1050 .. 1400"
else
    bad "one_prompt text: xi 1.429 with an interval, horizons 1050 .. 1400" "$(head -c 600 "$TMP/out")"
fi

# header line, CRLF, RFC 4180 quotes (a comma and doubled quotes inside the name)
# a: horizon 500, tokens 50, 150, -1, (empty) -> D = 2, S = 1200, xi = 500*2/1200
# b: horizon 800, tokens 200, 200, 400 -> D = 3, S = 800, xi = 3; "b" and b are one prompt
run --json "$DATA/quoted_crlf.csv"
expect_status "quoted_crlf: exit 0" 0
jcheck "quoted_crlf: names unquoted, xi per prompt and pooled" '
assert [p["prompt_id"] for p in d["prompts"]] == ["a, \"quoted\" b", "b"]
a, b = d["prompts"]
assert a["n"] == 4 and a["successes"] == 2 and b["n"] == 3 and b["successes"] == 3
assert close(a["xi"], 500 * 2 / 1200) and close(b["xi"], 3.0)
assert close(a["mean_tokens"], 600) and close(b["mean_tokens"], 800 / 3)
assert a["informative_estimate"]["4"] == 1  # n = 4, c = 2: every group of 4 has both
assert b["informative_estimate"]["4"] is None
assert d["pooled"]["n"] == 7 and d["pooled"]["successes"] == 5
assert d["pooled"]["estimand"] == "H / mean_i E[T_i]" and a["estimand"] == "H / E[T]"
# the pooled hazard, each prompt weighing the same: q = sum(D_i/n_i) / sum(S_i/n_i), xi = q * largest H
assert close(d["pooled_hazard"]["xi"], 800 * (2 / 4 + 3 / 3) / (1200 / 4 + 800 / 3))
assert close(d["pooled"]["horizon"], 800)
pool = d["pooled"]
assert pool["xi_lo"] < pool["xi"] < pool["xi_hi"]
assert close(pool["mean_tokens"], 800 / pool["xi"]) and pool["unsolved_prompts"] == 0
'

# with a common reference horizon of 1000: xi = 1000 D / S; pooled hazard as above
run --json --horizon 1000 "$DATA/quoted_crlf.csv"
jcheck "quoted_crlf --horizon 1000: xi = 1000 D/S, pooled hazard q, set horizons for the band" '
a, b = d["prompts"]
assert close(a["xi"], 1000 * 2 / 1200) and close(b["xi"], 1000 * 3 / 800)
q = (2 / 4 + 3 / 3) / (1200 / 4 + 800 / 3)
assert close(d["pooled_hazard"]["xi"], 1000 * q)
pool = d["pooled"]
assert close(pool["horizon"], 1000)
# the set'"'"'s horizons for the band are 1.5 and 2 times its mean E[T]
assert close(pool["horizon_for_band"][0], 1.5 * pool["mean_tokens"], 1e-9)
assert close(pool["horizon_for_band"][1], 2.0 * pool["mean_tokens"], 1e-9)
assert pool["regime"] == "ample"
'

# n = 8, c = 5, horizon 100: tokens 10..50 and three censored -> D = 5, S = 150 + 300 = 450
run --json "$DATA/estimate.csv"
jcheck "estimate: xi = 100*5/450; unbiased P(informative) 1 - C(5,4)/C(8,4) for G = 4, 1 for G = 8" '
p = d["prompts"][0]
assert close(p["xi"], 100 * 5 / 450)
assert close(p["informative_estimate"]["4"], 1 - 5 / 70)
assert close(p["informative_estimate"]["8"], 1.0)
assert p["informative_estimate"]["16"] is None
assert close(p["informative"]["16"], 1 - (5 / 8) ** 16 - (3 / 8) ** 16)
'

# prompt "never": 4 attempts, none solved, S = 4000 -> only an upper bound on xi; the exact
# (Clopper-Pearson, two-sided) bound on the hazard is 1 - 0.025^(1/4000)
run --json "$DATA/censored_prompt.csv"
expect_status "censored_prompt: exit 0" 0
jcheck "censored_prompt: xi null, xi_is_upper_bound true, xi_hi the exact bound" '
never = by_id("never")
assert never["xi"] is None
assert never["xi_is_upper_bound"] is True and never["xi_is_lower_bound"] is False
assert close(never["xi_hi"], 1000 * (1 - 0.025 ** (1 / 4000)), 1e-9)
assert never["mean_tokens"] is None and never["mean_tokens_se"] is None
assert never["horizon_for_band"] == [None, None]
assert never["p"] == 0 and never["informative_estimate"]["4"] == 0
solved = by_id("solved")
assert close(solved["xi"], 1000 * 2 / 300) and solved["xi_is_upper_bound"] is False
assert d["pooled"]["xi_is_upper_bound"] is False  # one prompt had successes
'
run "$DATA/censored_prompt.csv"
if grep -q "<= 0.9218 (no success: only an upper bound" "$TMP/out"; then
    ok "censored_prompt text: xi printed as '<= bound (no success: only an upper bound'"
else
    bad "censored_prompt text: xi printed as '<= bound (no success: only an upper bound'" "$(head -c 800 "$TMP/out")"
fi

run --json "$DATA/all_censored.csv"
expect_status "all_censored: exit 0" 0
jcheck "all_censored: every prompt and the pool are upper bounds with xi null" '
assert len(d["prompts"]) == 2
for p in d["prompts"] + [d["pooled"]]:
    assert p["xi"] is None and p["xi_is_upper_bound"] is True and p["xi_is_lower_bound"] is False
    assert p["xi_hi"] is not None and p["xi_hi"] > 0
assert close(by_id("x")["xi_hi"], 2000 * (1 - 0.025 ** (1 / 4000)), 1e-9)
'
run "$DATA/all_censored.csv"
if grep -q "pooled" "$TMP/out" && [ "$(grep -c "only an upper bound" "$TMP/out")" -eq 3 ]; then
    ok "all_censored text: three upper bounds (two prompts and the pool)"
else
    bad "all_censored text: three upper bounds (two prompts and the pool)" "$(head -c 800 "$TMP/out")"
fi

# ---- PNG -----------------------------------------------------------------------------------

run --png "$TMP/plot.png" "$DATA/censored_prompt.csv"
if [ "$status" -eq 0 ] && [ -s "$TMP/plot.png" ] &&
    [ "$(head -c 8 "$TMP/plot.png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ]; then
    ok "--png writes a PNG (magic bytes)"
else
    bad "--png writes a PNG (magic bytes)" "status $status"
fi
if [ -s "$TMP/out" ]; then ok "--png still prints the report"; else bad "--png still prints the report"; fi
run --png "$TMP/no/such/dir/plot.png" "$DATA/one_prompt.csv"
expect_status "--png into a missing folder: exit 1" 1

# ---- bad input -----------------------------------------------------------------------------

run "$DATA/bad_negative.csv"
expect_lines "bad_negative: line 2 reported" "$DATA/bad_negative.csv" 2
run "$DATA/bad_above_horizon.csv"
expect_lines "bad_above_horizon: line 2 reported" "$DATA/bad_above_horizon.csv" 2
expect_err_match "bad_above_horizon: says 'above the horizon' with the column" "bad_above_horizon.csv:2: column [0-9]+: .*above the horizon"
run "$DATA/bad_horizon.csv"
expect_lines "bad_horizon: horizon 0 and -3 (lines 1, 2) reported" "$DATA/bad_horizon.csv" 1 2
run "$DATA/bad_nan.csv"
expect_lines "bad_nan: nan tokens, NaN and inf horizons (lines 1-3)" "$DATA/bad_nan.csv" 1 2 3
run "$DATA/bad_malformed.csv"
expect_lines "bad_malformed: 2 and 4 fields, non-numeric, 3.5 (lines 1-5)" "$DATA/bad_malformed.csv" 1 2 3 4 5
run "$DATA/mixed.csv"
expect_lines "mixed: only the bad lines 3, 5, 8, 9 are reported, no report printed" "$DATA/mixed.csv" 3 5 8 9
run --json "$DATA/mixed.csv"
expect_lines "mixed --json: no JSON printed for bad input" "$DATA/mixed.csv" 3 5 8 9

run "$DATA/empty.csv"
expect_status "empty: exit 1" 1
if [ "$(cat "$TMP/err")" = "$DATA/empty.csv: no attempts" ] && [ ! -s "$TMP/out" ]; then
    ok "empty: 'file: no attempts'"
else
    bad "empty: 'file: no attempts'" "$(cat "$TMP/err")"
fi
run "$DATA/header_only.csv"
if [ "$status" -eq 1 ] && [ "$(cat "$TMP/err")" = "$DATA/header_only.csv: no attempts" ]; then
    ok "header and comment only: 'file: no attempts'"
else
    bad "header and comment only: 'file: no attempts'" "status $status: $(cat "$TMP/err")"
fi

run "$TMP/does_not_exist.csv"
if [ "$status" -eq 1 ] && [ "$(cat "$TMP/err")" = "$TMP/does_not_exist.csv: cannot open: No such file or directory" ]; then
    ok "missing file: 'file: cannot open: No such file or directory'"
else
    bad "missing file: 'file: cannot open: No such file or directory'" "status $status: $(cat "$TMP/err")"
fi

# --spread-prior: the set's estimate under the prior with an atom at spread 0. The posterior
# probability of "all prompts alike" against scipy's nested quadrature (eb_no_spread_atom.csv,
# written by tests/oracle/budget_beta_geometric.py), to the unit test's tolerance: 0.0035,
# the Monte-Carlo resolution of a 2.5% tail with 2000 draws (tests/test_budget_oracle.c)
atom_p=$(sed -n 2p "$DATA/eb_no_spread_atom.csv" | cut -d, -f3)
run --json --spread-prior atom "$DATA/eb_no_spread_input.csv"
expect_status "--spread-prior atom: exit 0" 0
jcheck "--spread-prior atom: P(all alike | data) as scipy's quadrature, keys kept" "
s = d['pooled']
assert s['spread_prior'] == 'atom'
assert abs(s['spread_zero_probability'] - $atom_p) <= 0.0035
assert s['estimand'] == 'H / mean_i E[T_i]' and 'spread' in s and 'xi_lo' in s and 'xi_hi' in s
assert 'spread_prior' not in d['prompts'][0]
"
atom_xi=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["pooled"]["xi"])' "$TMP/out" 2>/dev/null || echo -1)
run --json "$DATA/eb_no_spread_input.csv"
jcheck "default prior: half-cauchy named, no probability of spread 0, another estimate" "
s = d['pooled']
assert s['spread_prior'] == 'half-cauchy' and s['spread_zero_probability'] is None
assert s['xi'] != $atom_xi
# by default the posterior interval, its upper end raised where all alike is not rejected
assert s['interval'] == 'boundary' and s['spread_range'] == [None, None]
assert s['xi_lo'] == s['posterior_interval'][0] and s['posterior_interval'][1] <= s['xi_hi']
# all alike (spread 0) is not rejected here and its upper end is the higher: raised, and said so
assert s['upper_raised'] is True and s['xi_hi'] > s['posterior_interval'][1]
assert 'upper end raised' in s['method']
"
posterior=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["pooled"]["posterior_interval"])' "$TMP/out" 2>/dev/null || echo -1)
default_pooled=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["pooled"])' "$TMP/out" 2>/dev/null || echo -1)
run --json --interval posterior "$DATA/eb_no_spread_input.csv"
expect_status "--interval posterior: exit 0" 0
jcheck "--interval posterior: xi_lo, xi_hi hold the posterior interval alone" "
s = d['pooled']
assert s['interval'] == 'posterior' and s['posterior_interval'] == $posterior
assert s['posterior_interval'] == [s['xi_lo'], s['xi_hi']] and s['spread_range'] == [None, None]
assert s['upper_raised'] is None and 'raised' not in s['method']
"
run --json --interval widened "$DATA/eb_no_spread_input.csv"
expect_status "--interval widened: exit 0" 0
jcheck "--interval widened: xi_lo, xi_hi hold the posterior interval and more, over a range of spreads" "
s = d['pooled']
assert s['interval'] == 'widened' and s['posterior_interval'] == $posterior
assert s['xi_lo'] <= s['posterior_interval'][0] and s['posterior_interval'][1] <= s['xi_hi']
assert s['xi_hi'] - s['xi_lo'] > s['posterior_interval'][1] - s['posterior_interval'][0]
assert 0 <= s['spread_range'][0] <= s['spread'] <= s['spread_range'][1]
assert s['upper_raised'] is None
"
run --json --interval boundary "$DATA/eb_no_spread_input.csv"
expect_status "--interval boundary: exit 0" 0
jcheck "--interval boundary: the default's set, key for key" "
assert d['pooled'] == $default_pooled
"
run --json "$DATA/eb_spread_input.csv"
jcheck "--interval boundary where prompts differ: not raised, the posterior interval" "
s = d['pooled']
assert s['interval'] == 'boundary' and s['upper_raised'] is False and 'raised' not in s['method']
assert [s['xi_lo'], s['xi_hi']] == s['posterior_interval']
"
run --spread-prior atom "$DATA/eb_no_spread_input.csv"
if [ "$status" -eq 0 ] && grep -q "all alike .*posterior probability 0\.7" "$TMP/out"; then
    ok "--spread-prior atom text: the posterior probability of all alike"
else
    bad "--spread-prior atom text: the posterior probability of all alike" "$(tail -c 600 "$TMP/out")"
fi
run --spread-prior half-cauchy "$DATA/eb_no_spread_input.csv"
if [ "$status" -eq 0 ] && ! grep -q "all alike" "$TMP/out"; then ok "--spread-prior half-cauchy text: no such line"
else bad "--spread-prior half-cauchy text: no such line" "$(tail -c 600 "$TMP/out")"; fi
run --spread-prior cauchy "$DATA/one_prompt.csv"
if [ "$status" -eq 2 ] && [ "$(head -1 "$TMP/err")" = "budget_report: --spread-prior must be half-cauchy or atom, not 'cauchy'" ] &&
    grep -q '^usage: ' "$TMP/err" &&
    [ ! -s "$TMP/out" ]; then ok "--spread-prior cauchy: exit 2 naming the value"
else bad "--spread-prior cauchy: exit 2 naming the value" "status $status: $(cat "$TMP/err")"; fi
run --spread-prior "$DATA/one_prompt.csv"
expect_status "--spread-prior with a file name for a value: exit 2" 2
run "$DATA/one_prompt.csv" --spread-prior
expect_status "--spread-prior without a value: exit 2" 2
run --interval wide "$DATA/one_prompt.csv"
if [ "$status" -eq 2 ] && [ "$(head -1 "$TMP/err")" = "budget_report: --interval must be boundary, widened or posterior, not 'wide'" ] &&
    [ ! -s "$TMP/out" ]; then ok "--interval wide: exit 2 naming the value"
else bad "--interval wide: exit 2 naming the value" "status $status: $(cat "$TMP/err")"; fi
usage_error "--interval twice: usage error" --interval widened --interval posterior "$DATA/one_prompt.csv"
usage_error "--spread-prior twice: usage error" --spread-prior atom --spread-prior atom "$DATA/one_prompt.csv"

# ---- usage -----------------------------------------------------------------------------------

run
expect_status "no arguments: exit 2" 2
run --frobnicate "$DATA/one_prompt.csv"
expect_status "unknown option: exit 2" 2
run --confidence 1.5 "$DATA/one_prompt.csv"
expect_status "--confidence 1.5: exit 2" 2
run --band 2.0,1.5 "$DATA/one_prompt.csv"
expect_status "--band 2.0,1.5: exit 2" 2
run --band 1.5 "$DATA/one_prompt.csv"
expect_status "--band without a comma: exit 2" 2
run --horizon -5 "$DATA/one_prompt.csv"
expect_status "--horizon -5: exit 2" 2
run --png
expect_status "--png without a value: exit 2" 2
run "$DATA/one_prompt.csv" "$DATA/estimate.csv"
expect_status "two input files: exit 2" 2
run --help
expect_status "--help: exit 0" 0

# Issue 15: repeated flags, the byte-order mark, failed writes
usage_error "--json twice: usage error" --json --json "$DATA/one_prompt.csv"
usage_error "--confidence twice: usage error (was last-wins)" --confidence 0.9 --confidence 0.8 "$DATA/one_prompt.csv"
usage_error "--confidence nan: usage error" --confidence nan "$DATA/one_prompt.csv"
printf '\357\273\277a,100,5\na,100,\n' >"$TMP/bom.csv"
run "$TMP/bom.csv"
if [ "$status" -eq 0 ] && head -1 "$TMP/out" | grep -q '2 attempts, 1 prompt;'; then ok "BOM + \"a\" and \"a\" are one prompt (were two)"
else bad "BOM + \"a\" and \"a\" are one prompt" "$(head -1 "$TMP/out") $(cat "$TMP/err")"; fi
printf '\357\273\277prompt_id,horizon,tokens\na,100,5\n' >"$TMP/bom_header.csv"
run "$TMP/bom_header.csv"
if [ "$status" -eq 0 ] && head -1 "$TMP/out" | grep -q '1 attempts\?, 1 prompt;'; then ok "BOM before the header line"
else bad "BOM before the header line" "$(head -1 "$TMP/out") $(cat "$TMP/err")"; fi
stdout_full "stdout on /dev/full: exit 1" "$DATA/one_prompt.csv"
data_error "--png /dev/full: exit 1 with the reason" "/dev/full: No space left on device" --png /dev/full "$DATA/one_prompt.csv"
mount_full
full_disk "--png on a full disk: exit 1, the old file kept" "$FULL/r.png" --png "$FULL/r.png" "$DATA/one_prompt.csv"

finish
