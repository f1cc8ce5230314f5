#!/usr/bin/env bash
# The family's shared block (saferl_result, saferl_allocator, saferl_rng) must be
# byte-identical in every saferl header.
#   tools/common_block.sh extract saferl_budget.h   print the block
#   tools/common_block.sh check                     fail when two headers differ
#   tools/common_block.sh sync saferl_budget.h      copy that header's block into the others
set -euo pipefail
cd "$(dirname "$0")/.."
begin='^/\* ==== saferl common block'
end='^/\* ==== end of the saferl common block'

extract() {
    local n
    n=$(grep -c -E "$begin|$end" "$1" || true)
    if [ "$n" != 2 ]; then
        echo "$1: expected one common block between its two marker lines, found $n markers" >&2
        return 1
    fi
    sed -n -E "\%$begin%,\%$end%p" "$1"
}

case "${1:-}" in
extract) extract "$2" ;;
check)
    first=
    status=0
    for h in saferl_*.h; do
        extract "$h" >/dev/null || { status=1; continue; }
        if [ -z "$first" ]; then
            first=$h
        elif ! cmp -s <(extract "$first") <(extract "$h"); then
            echo "$h: common block differs from $first:" >&2
            diff <(extract "$first") <(extract "$h") | head -20 >&2
            status=1
        fi
    done
    [ $status = 0 ] && echo "common block identical in: $(ls saferl_*.h | tr '\n' ' ')"
    exit $status
    ;;
sync)
    block=$(mktemp)
    extract "$2" >"$block"
    for h in saferl_*.h; do
        [ "$h" = "$2" ] && continue
        extract "$h" >/dev/null
        awk -v blockfile="$block" -v b="$begin" -v e="$end" '
            $0 ~ b { while ((getline line < blockfile) > 0) print line; skip = 1; next }
            $0 ~ e { skip = 0; next }
            !skip { print }' "$h" >"$h.tmp" && mv "$h.tmp" "$h"
        echo "synced $h"
    done
    rm -f "$block"
    ;;
*)
    echo "usage: tools/common_block.sh extract HEADER | check | sync HEADER" >&2
    exit 2
    ;;
esac
