#!/usr/bin/env bash
# The main job on the embedded default: set up and build, synthesize the smollm2-135m preset (q8_0), check that
# llama.cpp loads it, sweep mmap off and on over a small grid into demo/benchmark_results.db, and report on
# it in demo/report/.
# Running it again finds the sweep complete (or resumes it, if it was interrupted).
#   --docs   also copy two of its charts over docs/images, which docs/usage.md shows (the project's own docs)
set -euo pipefail

docs=0
for arg in "$@"; do
    case "$arg" in
    --docs) docs=1 ;;
    *)
        echo "demo.sh: unknown argument '$arg'; it takes --docs (copy two charts into docs/images) or nothing" >&2
        exit 2
        ;;
    esac
done

root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/demo"
if [ -e "$out" ] && [ ! -d "$out" ]; then
    echo "demo.sh writes into the folder $out, but a file has that name: move it away and run again" >&2
    exit 1
fi
"$root/scripts/setup.sh" llmsweep # the tool alone: the test command builds the rest
llmsweep="${LLMSWEEP_BUILD_DIR:-$root/build}/src/llmsweep"
mkdir -p "$out"

"$llmsweep" --version
model="$out/smollm2-135m-q8_0.gguf"
# The same seed writes the same bytes, so an existing file is the one this would write.
[ -f "$model" ] || "$llmsweep" synth --preset smollm2-135m --type q8_0 --seed 42 -o "$model"
"$llmsweep" check "$model" -n 64
"$llmsweep" run -m "$model" --mmap 0,1 -p 64,256 -n 32,64 -r 3 --db "$out/benchmark_results.db" | tee "$out/run.txt"
"$llmsweep" report --db "$out/benchmark_results.db" --compare load_mode --out "$out/report"
# docs/usage.md shows the report's headline and one heatmap: with --docs, this run's.
if [ "$docs" = 1 ]; then
    mkdir -p "$root/docs/images"
    cp "$out/report/smollm2-135m-q8_0.gguf_load_mode_forest.png" "$root/docs/images/demo-forest.png"
    cp "$out/report/smollm2-135m-q8_0.gguf_tg_load_mode_mmap_heatmap.png" "$root/docs/images/demo-heatmap.png"
fi
echo "report: $out/report/report.md"
# The answer last: what mmap did to throughput (or the command whose rounds would decide it).
echo
sed -n '/^load_mode: each value/,/ run [0-9]*: /p' "$out/run.txt" | sed '$d'
