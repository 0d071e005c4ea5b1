#!/usr/bin/env bash
# llmsweep bench as a drop-in for llama-bench: the same command line run by both, side by side, on the same
# build and model. Targets: llmsweep bench's wall time within 1.2x of llama-bench's, and its t/s within
# llama-bench's own run-to-run spread.
#
# Each round runs three processes in an order that rotates through all six permutations: llama-bench,
# llmsweep bench, and llama-bench once more as a control (llama-bench against itself under the same conditions:
# the yardstick for the difference between the tools). Wall time is each process's, start to exit; figures are
# each test's avg_ts from -o json.
#
#   bench/drop_in.sh [--rounds N] [--model FILE] [-- LLAMA-BENCH OPTIONS]   (default: -p 512 -n 128 -r 5)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build"
rounds=6
model=""
options=(-p 512 -n 128 -r 5)
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) rounds=$2; shift 2 ;;
        --model) model=$2; shift 2 ;;
        --) shift; options=("$@"); break ;;
        *) echo "usage: bench/drop_in.sh [--rounds N] [--model FILE] [-- LLAMA-BENCH OPTIONS]" >&2; exit 2 ;;
    esac
done
llmsweep="$build/src/llmsweep"
llama_bench="$build/bin/llama-bench"
[ -x "$llmsweep" ] && [ -x "$llama_bench" ] || { echo "build llmsweep and llama-bench first (scripts/test.sh)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -z "$model" ]; then
    model="$work/smollm2-135m-q8_0.gguf"
    "$llmsweep" synth --preset smollm2-135m --type q8_0 -o "$model" > /dev/null
fi
echo "model: $model; options: ${options[*]}; $rounds rounds on $(nproc) CPUs"

run_one() { # tool round
    local out="$work/$1-$2.json" start end
    start=$(date +%s.%N)
    case "$1" in
        llama-bench|control) "$llama_bench" -m "$model" "${options[@]}" -o json > "$out" 2> /dev/null ;;
        llmsweep) "$llmsweep" bench -m "$model" "${options[@]}" -o json --db "$work/bench.db" > "$out" 2> /dev/null ;;
    esac
    end=$(date +%s.%N)
    echo "$1 $2 $(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" >> "$work/times"
}

orders=("llama-bench llmsweep control" "llmsweep control llama-bench" "control llama-bench llmsweep"
        "llama-bench control llmsweep" "control llmsweep llama-bench" "llmsweep llama-bench control")
for ((round = 0; round < rounds; round++)); do
    for tool in ${orders[$((round % 6))]}; do run_one "$tool" "$round"; done
done

python3 - "$work" "$rounds" <<'EOF'
import json, statistics, sys
work, rounds = sys.argv[1], int(sys.argv[2])
times = {}
for line in open(f"{work}/times"):
    tool, _, seconds = line.split()
    times.setdefault(tool, []).append(float(seconds))
median = {tool: statistics.median(values) for tool, values in times.items()}
print(f"wall time, median of {rounds}: llama-bench {median['llama-bench']:.2f} s, llmsweep bench "
      f"{median['llmsweep']:.2f} s ({median['llmsweep'] / median['llama-bench']:.2f}x), llama-bench again "
      f"{median['control']:.2f} s ({median['control'] / median['llama-bench']:.2f}x)")
def tests(tool):
    by_test = {}
    for r in range(rounds):
        for t in json.load(open(f"{work}/{tool}-{r}.json")):
            name = f"pp{t['n_prompt']}" if t["n_gen"] == 0 else f"tg{t['n_gen']}" if t["n_prompt"] == 0 else \
                   f"pp{t['n_prompt']}+tg{t['n_gen']}"
            by_test.setdefault(name + (f" @ d{t['n_depth']}" if t["n_depth"] else ""), []).append(t["avg_ts"])
    return by_test
a, b, c = tests("llama-bench"), tests("llmsweep"), tests("control")
for name in a:
    ma, mb, mc = statistics.median(a[name]), statistics.median(b[name]), statistics.median(c[name])
    spread = 100 * (max(a[name] + c[name]) - min(a[name] + c[name])) / ma
    print(f"{name}: llama-bench {ma:.2f} t/s, llmsweep bench {mb:.2f} ({100 * (mb / ma - 1):+.2f} %), "
          f"llama-bench again {mc:.2f} ({100 * (mc / ma - 1):+.2f} %); llama-bench's own range over its "
          f"{2 * rounds} runs {spread:.1f} %")
EOF
