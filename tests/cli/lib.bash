# Shared by the black-box CLI tests (tests/cli/*.sh): source it after setting BIN.
#   ok NAME / bad NAME [WHY]   count a result
#   run ARGS...                runs $BIN: stdout in $TMP/out, stderr in $TMP/err, status in $status
#   is_png FILE                the PNG signature
#   finish                     prints "N passed, N failed"; fails when anything failed
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
passed=0
failed=0
ok() { echo "ok    $1"; passed=$((passed + 1)); }
bad() { echo "FAIL  $1${2:+: $2}"; failed=$((failed + 1)); }
run() { "$BIN" "$@" >"$TMP/out" 2>"$TMP/err"; status=$?; }
is_png() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ]; }
finish() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}
