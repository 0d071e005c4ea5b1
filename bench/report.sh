#!/usr/bin/env bash
# Report throughput: a generated database of N results (default 1,000,000; two models, load_mode none/mmap,
# pp and tg, 5 samples each), then `llmsweep report` on it, all formats with charts: wall time and peak RSS.
# Target: at most 5 s and 512 MiB for 1,000,000 results on 2 cores, and 10x faster than the same tables and
# charts with pandas + matplotlib (bench/pandas_report.py), run after it for the ratio.
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

# The baseline: the same tables and charts with pandas + matplotlib (Debian's python3-pandas, python3-scipy,
# python3-matplotlib), where they are installed.
if /usr/bin/python3 -c "import pandas, scipy, matplotlib" 2>/dev/null; then
    /usr/bin/time -f "pandas + matplotlib, same tables and charts: %e s wall, %M KiB peak RSS" \
        /usr/bin/python3 "$root/bench/pandas_report.py" "$work/bench.db" "$work/pandas" >/dev/null
else
    echo "pandas + matplotlib baseline skipped: apt-get install python3-pandas python3-scipy python3-matplotlib"
fi
