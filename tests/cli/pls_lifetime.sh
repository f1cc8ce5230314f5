#!/usr/bin/env bash
# Black-box test of examples/pls_lifetime: tests/cli/pls_lifetime.sh path/to/pls_lifetime
# The deployment stage from the checked-in artifacts (examples/pls_data), its reproducibility,
# its PNGs and log, and clear errors for bad arguments and for truncated or foreign files.
set -u
BIN=${1:?usage: tests/cli/pls_lifetime.sh path/to/pls_lifetime}
. "$(dirname "$0")/lib.bash"
DATA="$(dirname "$0")/../../examples/pls_data"

run
[ "$status" -eq 2 ] && grep -q "usage" "$TMP/err" && ok "no command: usage, status 2" || bad "no command: usage, status 2"
run deploy --env marsworld --data "$DATA"
[ "$status" -eq 2 ] && grep -q "unknown environment" "$TMP/err" && ok "unknown environment" || bad "unknown environment"
usage_error "bad seed" deploy --env gridworld --data "$DATA" --seed -3
run deploy --env gridworld
[ "$status" -eq 2 ] && grep -q -- "--data" "$TMP/err" && ok "deploy needs --data" || bad "deploy needs --data"

# foreign and truncated files
printf 'hello world\n' >"$TMP/foreign.bin"
run check "$TMP/foreign.bin"
[ "$status" -eq 1 ] && grep -q "foreign.bin: not a file of this pipeline" "$TMP/err" && ok "check: foreign file" ||
    bad "check: foreign file" "$(cat "$TMP/err")"
printf '# pls_lifetime log v1\nmethod,evaluation,index,reward_target,cost_target,stage,reward,cost,true_cost\n0,1,2,30,0,1,38.5,0.5,0.4\n0,2,3,30,nan,1,38.5,0.5,0.4\n' >"$TMP/log.csv"
run check "$TMP/log.csv"
[ "$status" -eq 1 ] && grep -q "log.csv:4: field 5 is not a finite number" "$TMP/err" && ok "check: bad log line, file:line" ||
    bad "check: bad log line, file:line" "$(cat "$TMP/err")"
printf '# pls_lifetime log v1\nmethod,evaluation,index,reward_target,cost_target,stage,reward,cost,true_cost\n0,1,2,30,0,1,38.5,0.5,0.4' >"$TMP/log2.csv"
run check "$TMP/log2.csv"
[ "$status" -eq 1 ] && grep -q "log2.csv:3: truncated" "$TMP/err" && ok "check: truncated log" || bad "check: truncated log" "$(cat "$TMP/err")"

if [ -f "$DATA/gridworld.rcsl" ]; then
    run check "$DATA/gridworld.rcsl" "$DATA/gridworld.behaviour" "$DATA/gridworld.csv"
    [ "$status" -eq 0 ] && [ "$(grep -c ': ok' "$TMP/out")" -eq 3 ] && ok "check: the checked-in artifacts" ||
        bad "check: the checked-in artifacts" "$(cat "$TMP/err")"
    run deploy --env gridworld --data "$DATA" --seed 2 --no-finetune --png-dir "$TMP" --log "$TMP/deploy.csv"
    [ "$status" -eq 0 ] && ok "deploy runs" || bad "deploy runs" "status $status: $(cat "$TMP/err")"
    grep -q "truly unsafe" "$TMP/out" && grep -Eq '^PLS +[0-9]+/20 +[0-9]+/400' "$TMP/out" && ok "deploy prints the PLS line" ||
        bad "deploy prints the PLS line" "$(cat "$TMP/out")"
    grep -E '^(PLS +[0-9]|fixed|GP-UCB)' "$TMP/out" >"$TMP/a"
    pct=$(sed -n 's/.*truly unsafe (\([0-9]*\)%).*/\1/p' "$TMP/out")
    [ -n "$pct" ] && [ "$pct" -ge 30 ] && ok "at least 30% of the grid truly unsafe ($pct%)" || bad "at least 30% of the grid truly unsafe" "$pct"
    for f in gridworld_pls_cost_bound gridworld_pls_episodes gridworld_pls_truth; do
        is_png "$TMP/$f.png" && ok "$f.png written" || bad "$f.png written"
    done
    run check "$TMP/deploy.csv"
    [ "$status" -eq 0 ] && ok "the deployment log validates" || bad "the deployment log validates" "$(cat "$TMP/err")"
    run deploy --env gridworld --data "$DATA" --seed 2 --no-finetune --brief
    grep -E '^(PLS +[0-9]|fixed|GP-UCB)' "$TMP/out" >"$TMP/b"
    [ -s "$TMP/a" ] && cmp -s "$TMP/a" "$TMP/b" && ok "same seed, same deployment" || bad "same seed, same deployment"
    # the GP prior fitted before deployment (test-bench runs on targets from the data's box)
    run deploy --env gridworld --data "$DATA" --seed 2 --no-finetune --fitted-prior
    grep -Eq '^ +2  prior fitted on 32 data targets: cost mean -?[0-9.]+, sd [0-9.]+, .*safe set: seed set 4, [0-9]+ before the first evaluation, [0-9]+ at the end' "$TMP/out" &&
        grep -Eq '^PLS +[0-9]+/20' "$TMP/out" && ok "deploy --fitted-prior prints the fitted prior and the safe set" ||
        bad "deploy --fitted-prior prints the fitted prior and the safe set" "status $status: $(cat "$TMP/out" "$TMP/err")"
    grep -E '^( +2  prior|PLS +[0-9]|GP-UCB)' "$TMP/out" >"$TMP/fa"
    run deploy --env gridworld --data "$DATA" --seed 2 --no-finetune --fitted-prior
    grep -E '^( +2  prior|PLS +[0-9]|GP-UCB)' "$TMP/out" >"$TMP/fb"
    [ -s "$TMP/fa" ] && cmp -s "$TMP/fa" "$TMP/fb" && ok "fitted prior: same seed, same fit and deployment" || bad "fitted prior: same seed, same fit and deployment"
    usage_error "--fitted-prior does not apply to regenerate" regenerate --env gridworld --out "$TMP/r" --fitted-prior
    # truncated, foreign and mismatched artifacts
    mkdir -p "$TMP/d"
    cp "$DATA"/gridworld.* "$TMP/d/"
    head -c 1000 "$DATA/gridworld.rcsl" >"$TMP/d/gridworld.rcsl"
    run deploy --env gridworld --data "$TMP/d"
    [ "$status" -eq 1 ] && grep -q "gridworld.rcsl: not a valid conditioned policy" "$TMP/err" && ok "truncated policy rejected" ||
        bad "truncated policy rejected" "$(cat "$TMP/err")"
    cp "$DATA/gridworld.behaviour" "$TMP/d/gridworld.rcsl"
    run deploy --env gridworld --data "$TMP/d"
    [ "$status" -eq 1 ] && grep -q "gridworld.rcsl:" "$TMP/err" && ok "foreign policy rejected" || bad "foreign policy rejected" "$(cat "$TMP/err")"
    cp "$DATA/gridworld.rcsl" "$TMP/d/"
    head -n 30 "$DATA/gridworld.csv" >"$TMP/d/gridworld.csv"
    run deploy --env gridworld --data "$TMP/d"
    [ "$status" -eq 1 ] && grep -q "gridworld.csv:31: truncated: no end line" "$TMP/err" && ok "truncated summary: file:line" ||
        bad "truncated summary: file:line" "$(cat "$TMP/err")"
    sed 's/^budget,.*/budget,7/' "$DATA/gridworld.csv" >"$TMP/d/gridworld.csv"
    run deploy --env gridworld --data "$TMP/d"
    line=$(grep -n '^budget' "$DATA/gridworld.csv" | cut -d: -f1)
    [ "$status" -eq 1 ] && grep -q "gridworld.csv:$line: budget b differs" "$TMP/err" && ok "changed budget: file:line" ||
        bad "changed budget: file:line" "$(cat "$TMP/err")"
    sed 's/^policy,\([0-9]*\),.*/policy,\1,12345/' "$DATA/gridworld.csv" >"$TMP/d/gridworld.csv"
    run deploy --env gridworld --data "$TMP/d"
    [ "$status" -eq 1 ] && grep -q "gridworld.rcsl: does not match its summary" "$TMP/err" && ok "a policy other than the summary's rejected" ||
        bad "a policy other than the summary's rejected" "$(cat "$TMP/err")"
    sed '40s/,[^,]*$/,x/' "$DATA/gridworld.csv" >"$TMP/d/gridworld.csv"
    run check "$TMP/d/gridworld.csv"
    [ "$status" -eq 1 ] && grep -q "gridworld.csv:40:" "$TMP/err" && ok "bad number in the summary: file:line" ||
        bad "bad number in the summary: file:line" "$(cat "$TMP/err")"
    cp "$DATA/gridworld.csv" "$TMP/d/"
    printf 'x' >>"$TMP/d/gridworld.behaviour"
    run deploy --env gridworld --data "$TMP/d"
    [ "$status" -eq 1 ] && grep -q "gridworld.behaviour:" "$TMP/err" && ok "altered behaviour policy rejected" ||
        bad "altered behaviour policy rejected" "$(cat "$TMP/err")"
else
    echo "skip  the artifact tests: no examples/pls_data/gridworld.rcsl"
fi
if [ -f "$DATA/pointgoal.rcsl" ]; then
    run check "$DATA/pointgoal.rcsl" "$DATA/pointgoal.behaviour" "$DATA/pointgoal.csv"
    [ "$status" -eq 0 ] && [ "$(grep -c ': ok' "$TMP/out")" -eq 3 ] && ok "check: the PointGoal artifacts" ||
        bad "check: the PointGoal artifacts" "$(cat "$TMP/err")"
    mkdir -p "$TMP/d" && cp "$DATA/pointgoal.csv" "$TMP/d/gridworld.csv"
    run deploy --env gridworld --data "$TMP/d"
    [ "$status" -eq 1 ] && grep -q "gridworld.csv:[0-9]*: written for another environment" "$TMP/err" &&
        ok "another environment's summary rejected" || bad "another environment's summary rejected" "$(cat "$TMP/err")"
fi
# The committed gridworld artifacts are what today's code makes: regenerate them (seed 1, about
# 7 s of CPU) into build/ and compare bit for bit. Bit for bit because the pipeline is
# deterministic from its seed on one platform (xoshiro streams, fixed summation orders, the AVX2
# copies bit-identical to the portable ones), so any difference is a real numeric change: a
# header's arithmetic (e.g. a new tanh) moves the behaviour policies, then the dataset, the
# conditioned policy and the truth. If the change is intended, regenerate with
#   build/pls_lifetime regenerate --env gridworld --out examples/pls_data
# and commit the files with the change that moved them.
if [ -f "$DATA/gridworld.csv" ]; then
    REGEN="$(dirname "$BIN")/pls_regen/cli"
    rm -rf "$REGEN" && mkdir -p "$REGEN"
    run regenerate --env gridworld --out "$REGEN" --dataset "$REGEN/gridworld.srld"
    if [ "$status" -ne 0 ]; then
        bad "regenerate --env gridworld" "status $status: $(tail -n 3 "$TMP/err")"
    elif cmp -s "$DATA/gridworld.csv" "$REGEN/gridworld.csv" && cmp -s "$DATA/gridworld.rcsl" "$REGEN/gridworld.rcsl" &&
        cmp -s "$DATA/gridworld.behaviour" "$REGEN/gridworld.behaviour"; then
        ok "regenerate --env gridworld reproduces the committed artifacts bit for bit"
    else
        moved=$(diff "$DATA/gridworld.csv" "$REGEN/gridworld.csv" | grep '^>' | cut -c3- | cut -d, -f1 | sort | uniq -c | awk '{printf "%s%s x%s", sep, $2, $1; sep = ", "}')
        bad "regenerate --env gridworld reproduces the committed artifacts bit for bit" \
            "they moved (summary lines that differ, by kind: $moved); compare $REGEN with examples/pls_data"
    fi
    # MTRO's seed box from the regenerated dataset: its corner is the MTRO targets rounded down
    # to the grid (R step 2 from 30, G step 0.5 from 0), and the deployment uses that box
    if [ -f "$REGEN/gridworld.srld" ]; then
        run deploy --env gridworld --data "$DATA" --seed 2 --no-finetune --brief --seed-box mtro --dataset "$REGEN/gridworld.srld"
        line=$(grep '^MTRO targets from 1500 offline episodes (cost <= 1, kappa 10)' "$TMP/out")
        if [ "$status" -eq 0 ] && [ -n "$line" ] && grep -Eq '^PLS +[0-9]+/20' "$TMP/out" && echo "$line" |
            awk -F'[ ,;]+' '{ for (i = 1; i < NF; ++i) { if ($i == "R" && !r) r = $(i + 1); if ($i == "G" && !g) g = $(i + 1) }
                 sub(/.*seed box R <= /, ""); split($0, c, ", G <= ")
                 want_r = 30 + 2 * int((r - 30) / 2); want_g = 0.5 * int(g / 0.5)
                 exit !(c[1] + 0 == want_r && c[2] + 0 == want_g) }'; then
            ok "deploy --seed-box mtro: the box's corner is MTRO's targets rounded down to the grid"
        else
            bad "deploy --seed-box mtro: the box's corner is MTRO's targets rounded down to the grid" \
                "status $status: $line $(cat "$TMP/err")"
        fi
        data_error "--seed-box mtro with a file that is no dataset: exit 1 naming it" "gridworld.rcsl: " \
            deploy --env gridworld --data "$DATA" --seed-box mtro --dataset "$REGEN/gridworld.rcsl"
    fi
fi
# Issue 15: strict arguments, crafted summaries (UBSan float-to-int), failed writes
usage_error "--seed 1.7: usage error" deploy --env gridworld --data "$DATA" --seed 1.7
usage_error "--seeds 5e9: usage error" bench --env gridworld --data "$DATA" --seeds 5e9
usage_error "--seed twice: usage error (was last-wins)" deploy --env gridworld --data "$DATA" --seed 1 --seed 2
usage_error "--relabel does not apply to deploy (the artifacts fix the policy)" deploy --env gridworld --data "$DATA" --relabel
usage_error "--seeds with deploy: usage error (was ignored)" deploy --env gridworld --data "$DATA" --seeds 3
usage_error "--out with deploy: usage error (was ignored)" deploy --env gridworld --data "$DATA" --out "$TMP"
usage_error "--seed-box mtro without --dataset: usage error" deploy --env gridworld --data "$DATA" --seed-box mtro
usage_error "--seed-box other: usage error" deploy --env gridworld --data "$DATA" --seed-box fixed --dataset "$TMP/x"
if [ -f "$DATA/gridworld.csv" ]; then
    for crafted in "policy,1e30,1049876571" "behaviour,1e300,3941294304" "dataset,1500,1e30" "horizon,1e300"; do
        key=${crafted%%,*}
        line=$(grep -n "^$key," "$DATA/gridworld.csv" | head -1 | cut -d: -f1)
        sed "s/^$key,.*/$crafted/" "$DATA/gridworld.csv" >"$TMP/crafted.csv"
        run check "$TMP/crafted.csv"
        if [ "$status" -eq 1 ] && grep -q "crafted.csv:$line: " "$TMP/err"; then ok "crafted summary '$crafted': file:line, no overflow"
        else bad "crafted summary '$crafted'" "status $status $(cat "$TMP/err")"; fi
    done
    printf '\357\273\277' | cat - "$DATA/gridworld.csv" >"$TMP/bom.csv"
    run check "$TMP/bom.csv"
    [ "$status" -eq 0 ] && ok "summary with a BOM" || bad "summary with a BOM" "$(cat "$TMP/err")"
    stdout_full "stdout on /dev/full: exit 1" check "$DATA/gridworld.csv"
    data_error "--log /dev/full: exit 1 with the reason" "/dev/full: No space left on device" \
        deploy --env gridworld --data "$DATA" --seed 2 --no-finetune --brief --log /dev/full
    data_error "--png-dir on a missing folder: exit 1 with the reason" "No such file or directory" \
        deploy --env gridworld --data "$DATA" --seed 2 --no-finetune --brief --png-dir "$TMP/no/such"
    mount_full
    full_disk "--log on a full disk: exit 1, the old log kept" "$FULL/log.csv" \
        deploy --env gridworld --data "$DATA" --seed 2 --no-finetune --brief --log "$FULL/log.csv"
    # regenerate's outputs (about 20 s of CPU in all: each failure comes after the training
    # that precedes it): --dataset, the first file it writes (.behaviour) and the last (.csv,
    # written by its own text writer)
    mkdir -p "$TMP/regen_out"
    data_error "regenerate --dataset /dev/full: exit 1 with the reason" "/dev/full: No space left on device" \
        regenerate --env gridworld --out "$TMP/regen_out" --dataset /dev/full
    full_disk "regenerate --out on a full disk: exit 1, the old .behaviour kept" "$FULL/gridworld.behaviour" \
        regenerate --env gridworld --out "$FULL"
    if [ -n "$FULL" ]; then
        # room for .behaviour and .rcsl (9 pages each) and one page more: the .csv (2 pages) fails
        rm -f "$FULL"/*
        printf 'old content, must survive\n' >"$FULL/gridworld.csv"
        before=$(cksum <"$FULL/gridworld.csv")
        avail=$(stat -f -c "%a * %S" "$FULL")
        head -c $(($avail - 19 * 4096)) /dev/zero >"$FULL/fill"
        run regenerate --env gridworld --out "$FULL"
        if [ "$status" -eq 1 ] && grep -qF "$FULL/gridworld.csv" "$TMP/err" && grep -q 'No space left on device' "$TMP/err" &&
           [ "$(cksum <"$FULL/gridworld.csv")" = "$before" ] && [ -z "$(ls "$FULL" | grep -F '.tmp-')" ] &&
           cmp -s "$FULL/gridworld.rcsl" "$DATA/gridworld.rcsl"; then
            ok "regenerate's .csv on a full disk: exit 1, the old summary kept"
        else
            bad "regenerate's .csv on a full disk: exit 1, the old summary kept" \
                "status $status, stderr '$(tail -c 300 "$TMP/err")', files: $(ls "$FULL" | tr '\n' ' ')"
        fi
        rm -f "$FULL"/*
    fi
fi

# the paper-like task (the runner): its committed files validate and deploy (regenerating them
# takes about 20 s of CPU, so make bench-pls does that, not this test)
if [ -f "$DATA/runner.rcsl" ]; then
    run check "$DATA/runner.rcsl" "$DATA/runner.behaviour" "$DATA/runner.csv"
    [ "$status" -eq 0 ] && [ "$(grep -c ': ok' "$TMP/out")" -eq 3 ] && ok "check: the runner's artifacts" ||
        bad "check: the runner's artifacts" "$(cat "$TMP/err")"
    run deploy --env runner --data "$DATA" --seed 3 --no-finetune
    pct=$(sed -n 's/.*truly unsafe (\([0-9]*\)%).*/\1/p' "$TMP/out")
    [ "$status" -eq 0 ] && grep -Eq '^PLS +[0-9]+/20 +[0-9]+/400' "$TMP/out" && [ -n "$pct" ] && [ "$pct" -ge 30 ] &&
        ok "runner: deploy runs, $pct% of the grid truly unsafe" || bad "runner: deploy runs" "status $status: $(cat "$TMP/err")"
fi

finish
