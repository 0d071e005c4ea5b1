#!/usr/bin/env bash
# The orchestrator's own cost on a 10,000-point plan (n_prompt 1-100 x n_gen 1-100, request mode, one
# repetition) with the tiny model, where the measurements themselves take milliseconds. Reports the
# orchestrator's peak RSS and the time between a worker's answer and the next request (store write included),
# as `llmsweep run` prints them.
# Targets: peak RSS under 64 MiB, time between points under 5 ms.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh" >/dev/null
llmsweep="$root/build/src/llmsweep"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$llmsweep" synth --preset tiny -o "$work/tiny.gguf" >/dev/null
"$llmsweep" run -m "$work/tiny.gguf" -p 1-100 -n 1-100 -r 1 --warmup 0 -t 1 --dry-run --db "$work/plan.db"
start=$(date +%s.%N)
"$llmsweep" -v run -m "$work/tiny.gguf" -p 1-100 -n 1-100 -r 1 --warmup 0 -t 1 -q --db "$work/bench.db" 2>/dev/null | tail -2
end=$(date +%s.%N)
awk -v s="$start" -v e="$end" 'BEGIN { printf "wall time: %.1f s\n", e - s }'
sqlite3 "$work/bench.db" "SELECT 'results stored: ' || count(*) FROM results WHERE status = 'ok'" 2>/dev/null || true
