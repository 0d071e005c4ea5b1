#!/usr/bin/env bash
# Fuzzes each llama-bench importer (json, jsonl, csv, sql), the chart writer (the names and values that reach
# gnuplot), the reading of a server's streamed answer and merge's input database with libFuzzer for a bounded
# time, SECONDS each (default 60). An input that crashes one is kept as fuzz/regressions/TARGET-crash-*, and
# replayed from then on.
# Also: cmake --build build --target fuzz.
#   scripts/fuzz.sh [SECONDS]        LLMSWEEP_FUZZ_BUILD_DIR: build folder (default: build-fuzz)
#   scripts/fuzz.sh --replay         builds the targets and runs each once on its seeds (fuzz/corpus/TARGET) and on
#                                    every input that once broke it (fuzz/regressions/TARGET-*), without fuzzing;
#                                    the test suite runs this (exit 77, a skip, where clang's libFuzzer is missing)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build="${LLMSWEEP_FUZZ_BUILD_DIR:-$root/build-fuzz}"
targets="json jsonl csv sql chart stream merge"
packages="clang libclang-rt-14-dev cmake ninja-build nlohmann-json3-dev libfmt-dev libcsv-dev libssl-dev zlib1g-dev
    libboost-dev libsqlite3-dev"

# shellcheck source=scripts/packages.sh
. "$root/scripts/packages.sh"
if [ "${1:-}" = "--replay" ]; then
    # shellcheck disable=SC2086 # one word per package
    absent=$(missing_packages $packages | tr '\n' ' ')
    if [ -n "$absent" ]; then
        echo "skipped: not installed: $absent(scripts/test.sh installs them)"
        exit 77
    fi
    cmake -S "$root/fuzz" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build "$build" >/dev/null
    status=0
    for target in $targets; do
        inputs=("$root/fuzz/corpus/$target"/*)
        for regression in "$root/fuzz/regressions/$target"-*; do
            [ -e "$regression" ] && inputs+=("$regression")
        done
        # Given files rather than folders, libFuzzer runs each once and stops.
        if "$build/fuzz_$target" "${inputs[@]}" >"$build/replay_$target.log" 2>&1; then
            echo "fuzz_$target: ${#inputs[@]} inputs replayed"
        else
            status=1
            echo "fuzz_$target failed on one of its ${#inputs[@]} inputs:"
            tail -n 30 "$build/replay_$target.log"
        fi
    done
    exit $status
fi

seconds=${1:-60}
# shellcheck disable=SC2086 # one word per package
install_missing $packages

cmake -S "$root/fuzz" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build"
status=0
for target in $targets; do
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
