#!/usr/bin/env bash
# Sets up and builds (scripts/setup.sh), then runs the whole test suite with CTest.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
# Test-only: a real headless browser for the HTML report's test, GitHub's Markdown renderer (cmark-gfm) for
# the escaping tests, and the Python modules llama.cpp's compare-llama-bench.py needs to read an llmsweep
# database (Python also holds a database's lock in the concurrency tests), a single-node Slurm for the
# test of `llmsweep slurm`, and clang's libFuzzer for the fuzz targets' replay (scripts/fuzz.sh --replay).
# shellcheck source=scripts/packages.sh
. "$root/scripts/packages.sh"
install_missing --why "for the tests" chromium cmark-gfm python3-git python3-tabulate slurmctld slurmd munge \
    slurm-client clang libclang-rt-14-dev libcsv-dev libssl-dev zlib1g-dev libboost-dev
ctest --test-dir "${LLMSWEEP_BUILD_DIR:-$root/build}" --output-on-failure -j "$(nproc)"
