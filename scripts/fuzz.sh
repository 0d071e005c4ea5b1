#!/usr/bin/env bash
# Fuzzes each llama-bench importer (json, jsonl, csv, sql) with libFuzzer for a bounded time, SECONDS each
# (default 60). An input that crashes one is kept as fuzz/regressions/FORMAT-crash-*, where the unit tests
# (import_test) replay it from then on. Also: cmake --build build --target fuzz.
#   scripts/fuzz.sh [SECONDS]        LLMSWEEP_FUZZ_BUILD_DIR: build folder (default: build-fuzz)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
build="${LLMSWEEP_FUZZ_BUILD_DIR:-$root/build-fuzz}"

# shellcheck source=scripts/packages.sh
. "$root/scripts/packages.sh"
install_missing clang libclang-rt-14-dev cmake ninja-build nlohmann-json3-dev libfmt-dev libcsv-dev

cmake -S "$root/fuzz" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build"
status=0
for format in json jsonl csv sql; do
    mkdir -p "$build/corpus/$format"
    echo "fuzzing the $format importer for $seconds s"
    # The first folder receives what libFuzzer finds; the second holds real llama-bench output as seeds.
    "$build/fuzz_$format" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$root/fuzz/regressions/$format-" "$build/corpus/$format" "$root/fuzz/corpus/$format" \
        2> "$build/fuzz_$format.log" || { status=1; echo "the $format importer failed: see $build/fuzz_$format.log"; }
    grep -E "^stat::(number_of_executed_units|peak_rss_mb)" "$build/fuzz_$format.log" | tr '\n' ' '
    echo
done
exit $status
