#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks for a make target, and nothing twice.
#   tools/deps.sh demo | test | web | bench
# As root with apt-get it installs; otherwise it prints the exact command to run and fails.
set -euo pipefail
cd "$(dirname "$0")/.."

profile=${1:-test}
packages=(gcc make libstb-dev)
case "$profile" in
demo) ;;
web) packages+=(emscripten chromium) ;;
test | bench)
    packages+=(g++ clang libclang-rt-14-dev pkg-config emscripten chromium libblis-dev python3-numpy python3-scipy
        python3-sklearn python3-statsmodels mona lbt)
    ;;
*)
    echo "usage: tools/deps.sh demo|test|web|bench" >&2
    exit 2
    ;;
esac
[ "$profile" = bench ] && packages+=(python3-torch) # the NAS benchmark's peer only
case "$profile" in web | test | bench) command -v node >/dev/null || packages+=(nodejs) ;; esac
case "$profile" in web | test | bench) command -v npm >/dev/null || packages+=(npm) ;; esac

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "deps: installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "deps: missing Debian packages; run:" >&2
        echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
fi

# The web demos' npm packages, pinned by web/package-lock.json (no browser is downloaded:
# playwright-core drives Debian's chromium).
case "$profile" in
web | test | bench)
    if [ ! -f web/node_modules/.package-lock.json ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
        echo "deps: npm ci in web/"
        (cd web && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    fi
    ;;
esac
exit 0
