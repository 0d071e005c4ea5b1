#!/bin/sh
# Writes the real llama-bench's output in every format it has, on the synthetic tiny model, for the import
# tests: a pp, a tg and a pg test at two depths and two thread counts, two repetitions each.
#   make_llama_bench_output.sh LLMSWEEP LLAMA_BENCH OUT_DIR
set -eu
llmsweep=$1 llama_bench=$2 out=$3
rm -rf "$out.partial"
mkdir -p "$out.partial"
cd "$out.partial"
"$llmsweep" synth --preset tiny -o tiny.gguf >/dev/null
for format in json jsonl csv sql md; do
    "$llama_bench" -m tiny.gguf -p 16 -n 8 -pg 8,4 -d 0,8 -t 1,2 -r 2 -o "$format" > "out.$format" 2>"err.$format"
done
cd ..
rm -rf "$out"
mv "$out.partial" "$out"
