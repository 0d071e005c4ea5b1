#!/usr/bin/env bash
# Benchmark of `llmsweep import`: wall time and peak RSS importing llama-bench output of N tests (default
# 100,000) in each format. The tests are one real llama-bench test (from fuzz/corpus) with n_prompt varied.
# Prints a Markdown table.
#
#   bench/import.sh [--tests N]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
tests=100000
while [ $# -gt 0 ]; do
    case "$1" in
        --tests) tests="$2"; shift ;;
        *) echo "usage: $0 [--tests N]" >&2; exit 2 ;;
    esac
    shift
done
[ -x /usr/bin/time ] || { echo "bench/import.sh needs GNU time: apt-get install time" >&2; exit 1; }

"$root/scripts/setup.sh" >/dev/null
llmsweep="$root/build/src/llmsweep"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

corpus="$root/fuzz/corpus"
line=$(head -n 1 "$corpus/jsonl/llama-bench.jsonl")
csv_header=$(head -n 1 "$corpus/csv/llama-bench.csv")
csv_row=$(sed -n 2p "$corpus/csv/llama-bench.csv")
sql_create=$(sed -n '/^CREATE/,/^);/p' "$corpus/sql/llama-bench.sql")
sql_insert=$(grep -m 1 '^INSERT' "$corpus/sql/llama-bench.sql")
awk -v n="$tests" -v l="$line" 'BEGIN { for (i = 1; i <= n; i++) { s = l; sub(/"n_prompt": [0-9]+/, "\"n_prompt\": " i, s); print s } }' > "$work/t.jsonl"
{ echo "["; awk -v n="$tests" -v l="$line" 'BEGIN { for (i = 1; i <= n; i++) { s = l; sub(/"n_prompt": [0-9]+/, "\"n_prompt\": " i, s); printf "%s%s\n", s, (i < n ? "," : "") } }'; echo "]"; } > "$work/t.json"
{ echo "$csv_header"; awk -v n="$tests" -v l="$csv_row" 'BEGIN { for (i = 1; i <= n; i++) print l }'; } > "$work/t.csv"
{ echo "$sql_create"; awk -v n="$tests" -v l="$sql_insert" 'BEGIN { for (i = 1; i <= n; i++) print l }'; } > "$work/t.sql"

echo "| format | tests | file | wall s | tests/s | peak RSS MiB |"
echo "|---|---|---|---|---|---|"
for format in json jsonl csv sql; do
    rm -f "$work/b.db"*
    /usr/bin/time -f "%e %M" -o "$work/time" "$llmsweep" import "$work/t.$format" --db "$work/b.db" >/dev/null
    read -r seconds rss_kib < "$work/time"
    size=$(du -m "$work/t.$format" | cut -f1)
    awk -v f="$format" -v n="$tests" -v mb="$size" -v s="$seconds" -v k="$rss_kib" \
        'BEGIN { printf "| %s | %d | %d MiB | %.2f | %.0f | %.1f |\n", f, n, mb, s, n / s, k / 1024 }'
done
