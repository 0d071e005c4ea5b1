#!/usr/bin/env bash
# Fidelity against llama-bench: the same llama.cpp build's llama-bench and `llmsweep run --mode split` on the
# smollm2-135m q8_0 preset, pp512 and tg128, mmap off and on, run alternately so that drift falls on both.
# Passes when llmsweep's median t/s is within 3 % of llama-bench's and its CV is not higher.
#
#   bench/fidelity.sh [--rounds N] [--reps N]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
rounds=3
reps=5
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) rounds="$2"; shift ;;
        --reps) reps="$2"; shift ;;
        *) echo "usage: $0 [--rounds N] [--reps N]" >&2; exit 2 ;;
    esac
    shift
done

"$root/scripts/setup.sh" >/dev/null
cmake --build "$root/build" --target llama-bench >/dev/null
llmsweep="$root/build/src/llmsweep"
llama_bench="$root/build/bin/llama-bench"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

model="$work/smollm2-135m-q8_0.gguf"
"$llmsweep" synth --preset smollm2-135m --type q8_0 -o "$model" >/dev/null

run_llama_bench() {
    "$llama_bench" -m "$model" -p 512 -n 128 -r "$reps" -lm "$1" -o jsonl >> "$work/llama-bench.jsonl" 2>/dev/null
}
run_llmsweep() {
    "$llmsweep" run -m "$model" --mode split -p 512 -n 128 -r "$reps" --load-mode "$1" --order grouped \
        --fresh -q --db "$work/llmsweep.db" >/dev/null
}
# One process per tool and load mode, in an ABBA order that changes every round, so that neither tool
# always runs first, after the other, or on a warmer machine.
for round in $(seq "$rounds"); do
    echo "round $round/$rounds" >&2
    for i in 0 1; do
        load_mode=$([ "$i" -eq 0 ] && echo none || echo mmap)
        if [ $(( (round + i) % 2 )) -eq 0 ]; then
            run_llama_bench "$load_mode"; run_llmsweep "$load_mode"
        else
            run_llmsweep "$load_mode"; run_llama_bench "$load_mode"
        fi
    done
done

python3 - "$work/llama-bench.jsonl" "$work/llmsweep.db" <<'PY'
import json, sqlite3, statistics, sys

def cv(values):
    return statistics.stdev(values) / statistics.mean(values) * 100 if len(values) > 1 else 0.0

# Per test and load mode, one entry per round (in order): that round's samples.
reference = {}
for line in open(sys.argv[1]):
    row = json.loads(line)
    reference.setdefault(("pp" if row["n_prompt"] else "tg", row["load_mode"]), []).append(row["samples_ts"])
ours = {}
db = sqlite3.connect(sys.argv[2])
for result_id, metric, load_mode in db.execute(
        "SELECT id, metric, load_mode FROM results WHERE status = 'ok' ORDER BY run_id"):
    ts = [t for (t,) in db.execute("SELECT ts FROM samples WHERE result_id = ?", (result_id,))]
    ours.setdefault((metric, load_mode), []).append(ts)

# The pooled medians compare all rounds at once, so slow drift of the host shows in them; the paired
# difference compares each round's two runs, made back to back in alternating order, and takes the median
# over rounds: drift between rounds cancels. The verdict uses the paired difference.
print("| test | load mode | llama-bench median t/s | llmsweep median t/s | pooled difference | paired difference (median, min..max over rounds) | llama-bench CV % | llmsweep CV % | verdict |")
print("|---|---|---|---|---|---|---|---|---|")
failed = False
for key in sorted(reference):
    ref, got = reference[key], ours.get(key)
    if not got or len(got) != len(ref):
        print(f"| {key[0]} | {key[1]} | llmsweep has {len(got or [])} rounds, llama-bench {len(ref)} |")
        failed = True
        continue
    m_ref = statistics.median([t for r in ref for t in r])
    m_got = statistics.median([t for r in got for t in r])
    pooled = (m_got - m_ref) / m_ref * 100
    per_round = [(statistics.median(g) - statistics.median(r)) / statistics.median(r) * 100 for r, g in zip(ref, got)]
    paired = statistics.median(per_round)
    cv_ref = statistics.mean(cv(r) for r in ref)
    cv_got = statistics.mean(cv(g) for g in got)
    ok = abs(paired) <= 3 and cv_got <= cv_ref
    failed |= not ok
    test = f"{key[0]}{512 if key[0] == 'pp' else 128}"
    print(f"| {test} | {key[1]} | {m_ref:.2f} | {m_got:.2f} | {pooled:+.2f} % | {paired:+.2f} % ({min(per_round):+.1f}..{max(per_round):+.1f}) "
          f"| {cv_ref:.2f} | {cv_got:.2f} | {'ok' if ok else 'OUT OF TARGET'} |")
sys.exit(1 if failed else 0)
PY
