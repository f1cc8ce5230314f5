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
# a run that hangs is a failure, not a hung suite
run() { timeout "${CLI_TIMEOUT:-300}" "$BIN" "$@" >"$TMP/out" 2>"$TMP/err"; status=$?; }
is_png() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ]; }
finish() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}

# ---- bad input, full disks -------------------------------------------------------------------
#   usage_error NAME ARGS...       the run exits 2 with "usage:" on stderr and nothing on stdout
#   data_error NAME FRAGMENT ARGS...  exit 1, FRAGMENT on stderr (file:line: reason)
#   stdout_full NAME ARGS...       stdout on /dev/full: exit 1 with a message on stderr
#   full_disk NAME FILE ARGS...    FILE (a path under $FULL, written by the run) holds old
#                                  content on a full tmpfs: exit 1, the message names FILE and
#                                  the OS reason, FILE byte-identical afterwards, no temporary
#                                  left. $FULL is mounted by mount_full (root only; otherwise
#                                  the tests say they are skipped).
usage_error() {
    local name=$1
    shift
    run "$@"
    if [ "$status" -eq 2 ] && grep -q '^usage: ' "$TMP/err" && [ ! -s "$TMP/out" ]; then ok "$name"
    else bad "$name" "status $status, stderr '$(head -c 300 "$TMP/err")'"; fi
}
data_error() {
    local name=$1 fragment=$2
    shift 2
    run "$@"
    if [ "$status" -eq 1 ] && grep -qF -- "$fragment" "$TMP/err"; then ok "$name"
    else bad "$name" "status $status, stderr '$(head -c 300 "$TMP/err")', expected '$fragment'"; fi
}
stdout_full() {
    local name=$1
    shift
    timeout "${CLI_TIMEOUT:-300}" "$BIN" "$@" >/dev/full 2>"$TMP/err"
    status=$?
    if [ "$status" -eq 1 ] && grep -q 'stdout: No space left on device' "$TMP/err"; then ok "$name"
    else bad "$name" "status $status, stderr '$(head -c 300 "$TMP/err")'"; fi
}
FULL=
mount_full() { # a 1 MiB tmpfs at $FULL (call once per test file)
    FULL=$TMP/full
    mkdir -p "$FULL"
    if mount -t tmpfs -o size=1m tmpfs "$FULL" 2>/dev/null; then
        trap 'umount "$FULL" 2>/dev/null; rm -rf "$TMP"' EXIT
    else
        echo "skip  full-disk tests: cannot mount a tmpfs here (they need root)"
        FULL=
    fi
}
full_disk() {
    local name=$1 file=$2 before
    shift 2
    [ -n "$FULL" ] || return 0
    rm -f "$FULL"/fill "$FULL"/*.tmp-*
    printf 'old content, must survive\n' >"$file"
    before=$(cksum <"$file")
    head -c 2000000 /dev/zero >"$FULL/fill" 2>/dev/null
    run "$@"
    if [ "$status" -eq 1 ] && grep -qF -- "$file" "$TMP/err" && grep -q 'No space left on device' "$TMP/err" &&
       [ "$(cksum <"$file")" = "$before" ] && [ -z "$(ls "$FULL" | grep -F '.tmp-')" ]; then ok "$name"
    else bad "$name" "status $status, stderr '$(head -c 300 "$TMP/err")', file now '$(head -c 60 "$file" | tr -d '\0')'"; fi
    rm -f "$FULL/fill"
}
