#!/usr/bin/env bash
# Fuzzes each llama-bench importer (json, jsonl, csv, sql), the chart writer (the names and values that reach
# gnuplot), the reading of a server's streamed answer and merge's input database with libFuzzer for a bounded
# time, SECONDS each (default 60). An input that crashes one is kept as fuzz/regressions/TARGET-crash-*; the unit tests (import_test) replay the importers' from then on.
# Also: cmake --build build --target fuzz.
#   scripts/fuzz.sh [SECONDS]        LLMSWEEP_FUZZ_BUILD_DIR: build folder (default: build-fuzz)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
build="${LLMSWEEP_FUZZ_BUILD_DIR:-$root/build-fuzz}"

# shellcheck source=scripts/packages.sh
. "$root/scripts/packages.sh"
install_missing clang libclang-rt-14-dev cmake ninja-build nlohmann-json3-dev libfmt-dev libcsv-dev libssl-dev \
    libsqlite3-dev

cmake -S "$root/fuzz" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build"
status=0
for target in json jsonl csv sql chart stream merge; do
    mkdir -p "$build/corpus/$target"
    what="the $target importer"
    [ "$target" = chart ] && what="the chart writer"
    [ "$target" = stream ] && what="the reading of a server's answer"
    [ "$target" = merge ] && what="merge's input database"
    echo "fuzzing $what for $seconds s"
    # The first folder receives what libFuzzer finds; the second holds the seeds (real llama-bench output for
    # the importers, hostile names for the chart writer).
    "$build/fuzz_$target" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$root/fuzz/regressions/$target-" "$build/corpus/$target" "$root/fuzz/corpus/$target" \
        2> "$build/fuzz_$target.log" || { status=1; echo "$what failed: see $build/fuzz_$target.log"; }
    grep -E "^stat::(number_of_executed_units|peak_rss_mb)" "$build/fuzz_$target.log" | tr '\n' ' '
    echo
done
exit $status
