#!/usr/bin/env bash
# The roofline's figures, checked and used:
#  1. llmsweep's memory read bandwidth against likwid-bench's load kernel (the widest vectors the CPU has, 2 GB
#     working set, Debian's likwid package) at 1 and 2 threads, several times each, interleaved: the ratio and
#     each tool's spread from run to run. Target: within 15 % of likwid-bench, and stable within 10 %.
#     STREAM's triad too (likwid-bench's triad kernel), for comparison.
#  2. The synthetic smollm2-135m and qwen2.5-0.5b q8_0 models swept at 1 and 2 threads (llama-bench's pp512 and
#     tg128): each result's share of the roof that binds it, from the report's JSON.
#
#   bench/roofline.sh [--runs N] [--keep DIR] [--part bandwidth|shares|all]
# Needs a built llmsweep (scripts/setup.sh) and likwid-bench (apt-get install likwid); prints Markdown tables.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
llmsweep="${LLMSWEEP_BUILD_DIR:-$root/build}/src/llmsweep"
runs=5
keep=""
part=all
while [ $# -gt 0 ]; do
    case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --keep) keep="$2"; shift 2 ;;
    --part) part="$2"; shift 2 ;;
    *) echo "usage: bench/roofline.sh [--runs N] [--keep DIR] [--part bandwidth|shares|all]" >&2; exit 2 ;;
    esac
done
command -v likwid-bench >/dev/null || { echo "likwid-bench is missing: apt-get install likwid" >&2; exit 2; }
work=${keep:-$(mktemp -d)}
mkdir -p "$work"
[ -n "$keep" ] || trap 'rm -rf "$work"' EXIT
export LLMSWEEP_CACHE_DIR="$work/cache"

# likwid-bench's load kernel for the widest vectors the CPU has.
if grep -qw avx512f /proc/cpuinfo; then suffix=_avx512; elif grep -qw avx /proc/cpuinfo; then suffix=_avx; else suffix=""; fi

if [ "$part" != shares ]; then
echo "## Memory bandwidth: llmsweep against likwid-bench (GB/s, $runs runs each, interleaved)"
echo
echo "| threads | llmsweep read | likwid-bench load$suffix | ratio | llmsweep triad | likwid-bench triad$suffix | read spread llmsweep / likwid |"
echo "|---|---|---|---|---|---|---|"
for threads in 1 2; do
    : >"$work/ours-$threads" && : >"$work/theirs-$threads" && : >"$work/triad-$threads" && : >"$work/ltriad-$threads"
    for _ in $(seq "$runs"); do
        "$llmsweep" info --measure --json -t "$threads" 2>/dev/null |
            python3 -c 'import json,sys; m=json.load(sys.stdin)["machines"][0]; print(m["read_gbs"], m["triad_gbs"])' |
            while read -r read triad; do echo "$read" >>"$work/ours-$threads"; echo "$triad" >>"$work/triad-$threads"; done
        likwid-bench -t "load$suffix" -W "N:2GB:$threads" 2>/dev/null | awk '/^MByte\/s/ {print $2 / 1000}' >>"$work/theirs-$threads"
        likwid-bench -t "triad$suffix" -W "N:2GB:$threads" 2>/dev/null | awk '/^MByte\/s/ {print $2 / 1000}' >>"$work/ltriad-$threads"
    done
    python3 - "$work" "$threads" <<'EOF'
import statistics, sys
work, t = sys.argv[1], sys.argv[2]
read = lambda name: [float(x) for x in open(f"{work}/{name}-{t}") if x.strip()]
ours, theirs, triad, ltriad = read("ours"), read("theirs"), read("triad"), read("ltriad")
spread = lambda xs: 100 * (max(xs) - min(xs)) / statistics.median(xs)
print(f"| {t} | {statistics.median(ours):.1f} | {statistics.median(theirs):.1f} | "
      f"{statistics.median(ours) / statistics.median(theirs):.3f} | {statistics.median(triad):.1f} | "
      f"{statistics.median(ltriad):.1f} | {spread(ours):.1f} % / {spread(theirs):.1f} % |")
EOF
done
echo
echo "Medians; spread: (max - min) / median over the runs."
echo
fi
[ "$part" = bandwidth ] && exit 0

echo "## Shares of the roof: llama-bench's tests on the synthetic models"
echo
echo "| model | threads | test | GB/s | share of read bandwidth | GFLOP/s | share of matmul |"
echo "|---|---|---|---|---|---|---|"
for preset in smollm2-135m qwen2.5-0.5b; do
    model="$work/$preset-q8_0.gguf"
    [ -f "$model" ] || "$llmsweep" synth --preset "$preset" --type q8_0 -o "$model" >/dev/null
    db="$work/$preset.db"
    "$llmsweep" run -m "$model" --mode split -p 512 -n 128 -t 1,2 -r 3 -q --db "$db" >/dev/null
    "$llmsweep" report --db "$db" --format json --no-charts --out "$work/$preset-report" >/dev/null
    python3 - "$work/$preset-report/report.json" "$preset" <<'EOF'
import json, sys
report = json.load(open(sys.argv[1]))
for g in report["roofline"]["groups"]:
    test = "pp512" if g["metric"] == "pp" else "tg128"
    print(f"| {sys.argv[2]} q8_0 | {g['threads']} | {test} | {g['achieved_gbs']:.2f} | "
          f"{100 * g['bandwidth_share']:.0f} % | {g['achieved_gflops']:.1f} | {100 * g['compute_share']:.0f} % |")
EOF
done
