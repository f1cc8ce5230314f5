#!/usr/bin/env bash
# web_snippets.sh - the C program on each demo page (web/*/index.html, <code data-snippet>) is the
# code behind the page's figure: it must compile as C99 with the strict flags against the
# headers of this tree (gcc; the compile suite covers clang and C++ for the headers), and run to exit 0, unless marked data-compile-only (a
# training run too slow for the test). Programs that read a page's data file run in
# examples/pls_data. Usage: tests/web_snippets.sh [page ...]
set -u
cd "$(dirname "$0")/.."
C_STRICT=(-std=c99 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Werror)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
pages=("$@")
[ ${#pages[@]} -eq 0 ] && pages=($(ls web/*/index.html | sed 's|web/\(.*\)/index.html|\1|'))
failed=0
for page in "${pages[@]}"; do
    html=web/$page/index.html
    # the snippet's text, HTML entities decoded; "compile" or "run" first
    if ! /usr/bin/python3 - "$html" "$out/$page.c" >"$out/$page.mode" <<'PY'
import html, re, sys
text = open(sys.argv[1], encoding='utf-8').read()
found = re.findall(r'<code[^>]*data-snippet="[^"]*"([^>]*)>(.*?)</code>', text, re.S)
if len(found) != 1:
    sys.exit(f'{sys.argv[1]}: {len(found)} snippets, expected one')
attrs, body = found[0]
open(sys.argv[2], 'w', encoding='utf-8').write(html.unescape(body) + '\n')
print('compile' if 'data-compile-only' in attrs else 'run')
PY
    then failed=1; continue; fi
    mode=$(cat "$out/$page.mode")
    ok=1
    gcc "${C_STRICT[@]}" -O0 -I. -o "$out/$page.bin" "$out/$page.c" -lm 2>"$out/$page.err" \
        || { echo "FAIL $page: the snippet does not compile"; cat "$out/$page.err"; ok=0; }
    if [ $ok = 1 ] && [ "$mode" = run ]; then
        (cd examples/pls_data && timeout 60 "$out/$page.bin" >"$out/$page.log" 2>&1) \
            || { echo "FAIL $page: the snippet's program did not exit 0"; cat "$out/$page.log"; ok=0; }
    fi
    [ $ok = 1 ] && echo "ok   $page: snippet compiles$([ "$mode" = run ] && echo ' and runs')" || failed=1
done
exit $failed
