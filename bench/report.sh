#!/usr/bin/env bash
# Report throughput: a generated database of N results (default 1,000,000; two models, load_mode none/mmap,
# pp and tg, 5 samples each), then `llmsweep report` on it, all formats with charts: wall time and peak RSS.
# Target: at most 20 s and 1 GiB for 1,000,000 results on 2 cores.
#
#   bench/report.sh [RESULTS]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
results="${1:-1000000}"
"$root/scripts/setup.sh" >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$root/build/bench/llmsweep_generate_db" "$work/bench.db" "$results"
echo "database: $(du -m "$work/bench.db" | cut -f1) MiB"
/usr/bin/time -f "report, all formats with charts: %e s wall, %M KiB peak RSS" \
    "$root/build/src/llmsweep" report --db "$work/bench.db" --out "$work/report" --lang en >/dev/null
echo "report folder: $(du -m "$work/report" | cut -f1) MiB"
