#!/usr/bin/env bash
# Benchmark of `llmsweep synth`: wall time and peak RSS for the two real presets at q8_0, and, with --build,
# the clean and the cached build time of llama.cpp + llmsweep. Prints a Markdown table.
#
#   bench/synth.sh [--build] [--runs N]
# Target: qwen2.5-0.5b q8_0 in at most 15 s and 1 GiB peak RSS on 2 cores.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
runs=3
measure_build=0
while [ $# -gt 0 ]; do
    case "$1" in
        --build) measure_build=1 ;;
        --runs) runs="$2"; shift ;;
        *) echo "usage: $0 [--build] [--runs N]" >&2; exit 2 ;;
    esac
    shift
done
[ -x /usr/bin/time ] || { echo "bench/synth.sh needs GNU time: apt-get install time" >&2; exit 1; }

"$root/scripts/setup.sh" >/dev/null
llmsweep="$root/build/src/llmsweep"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Prints "seconds peak_rss_kib" for one command.
measure() {
    /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null
    cat "$work/time"
}

echo "| what | runs | wall s (median) | wall s (min-max) | peak RSS MiB (max) |"
echo "|---|---|---|---|---|"
for preset in qwen2.5-0.5b smollm2-135m; do
    : > "$work/samples"
    for _ in $(seq "$runs"); do
        rm -f "$work/model.gguf"
        sync
        measure "$llmsweep" synth --preset "$preset" --type q8_0 -o "$work/model.gguf" >> "$work/samples"
    done
    sort -n "$work/samples" | awk -v what="synth $preset q8_0 ($(du -m "$work/model.gguf" | cut -f1) MiB file)" '
        { t[NR] = $1; if ($2 > rss) rss = $2 }
        END { printf "| %s | %d | %.2f | %.2f-%.2f | %.0f |\n", what, NR, t[int((NR + 1) / 2)], t[1], t[NR], rss / 1024 }'
done

if [ "$measure_build" = 1 ]; then
    # Clean: an empty build folder and an empty ccache. Cached: an empty build folder, a warm ccache.
    for kind in clean cached; do
        rm -rf "$work/build"
        if [ "$kind" = clean ]; then
            export CCACHE_DIR="$work/ccache"
        fi
        start=$(date +%s.%N)
        cmake -S "$root" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
        cmake --build "$work/build" >/dev/null
        end=$(date +%s.%N)
        awk -v k="$kind" -v s="$start" -v e="$end" 'BEGIN { printf "| %s build, llama.cpp + llmsweep | 1 | %.1f | | |\n", k, e - s }'
    done
fi
