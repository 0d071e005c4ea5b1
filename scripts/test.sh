#!/usr/bin/env bash
# Sets up and builds (scripts/setup.sh), then runs the whole test suite with CTest.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
# Test-only: a real headless browser for the HTML report's test, and the Python modules llama.cpp's
# compare-llama-bench.py needs to read an llmsweep database.
missing=()
for package in chromium python3-git python3-tabulate; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "installing (for the tests): ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
ctest --test-dir "${LLMSWEEP_BUILD_DIR:-$root/build}" --output-on-failure -j "$(nproc)"
