#!/usr/bin/env bash
# Fidelity against llama-bench: the same llama.cpp build's llama-bench and `llmsweep run --mode split` on the
# smollm2-135m q8_0 preset, pp512 and tg128, mmap off and on. Target: llmsweep's median t/s within 3 % of
# llama-bench's, and its coefficient of variation (CV) no higher.
#
# Each round runs, per load mode, three processes in an order that rotates through all six permutations:
# llama-bench, llmsweep, and llama-bench once more as a control. The control is llama-bench measured against
# itself under the same conditions: it shows how far two runs of one tool differ on this host, the yardstick
# for the difference between the two tools.
#
# --threads N gives both tools N threads (default: each tool's own default, all physical cores); with fewer
# threads than cores, the rest of the machine's work (the kernel, the script, the other tool's start-up) has
# a core of its own instead of preempting a thread that the others wait for at every barrier.
#
# --page-cache decides how the model file sits in the page cache before the first round, which decides how much
# of a mapped model the kernel maps with 2 MiB pages (docs/fidelity.md): as-is (default: as the script finds
# it), written (the file rewritten, so that the cache holds the pages of a write: small folios, nothing
# PMD-mapped) or reread (evicted and read again: large folios, most of the file PMD-mapped). The state is
# printed before the first and after the last round.
#
# --llmsweep-defaults runs llmsweep with its own defaults (request mode, rounds order: a worker per
# repetition) instead of llama-bench's (split mode, grouped order). Request mode decodes right after the
# prompt, so llama-bench then measures tg128 at depth 512 (-d 512), the same test.
#
#   bench/fidelity.sh [--rounds N] [--reps N] [--threads N] [--page-cache as-is|written|reread]
#                     [--llmsweep-defaults] [--keep DIR]
#   bench/fidelity.sh --analyse DIR      the verdict again on what --keep DIR kept
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
rounds=12
reps=5
keep=""
analyse=""
threads=()
page_cache=as-is
llmsweep_order=(--mode split --order grouped)
while [ $# -gt 0 ]; do
    case "$1" in
        --page-cache) page_cache="$2"; shift ;;
        --llmsweep-defaults) llmsweep_order=() ;;
        --rounds) rounds="$2"; shift ;;
        --reps) reps="$2"; shift ;;
        --threads) threads=(-t "$2"); shift ;;
        --keep) keep="$2"; shift ;;
        --analyse) analyse="$2"; shift ;;
        *) echo "usage: $0 [--rounds N] [--reps N] [--threads N] [--page-cache as-is|written|reread]" \
                "[--llmsweep-defaults] [--keep DIR] | --analyse DIR" >&2; exit 2 ;;
    esac
    shift
done

# shellcheck source=../scripts/packages.sh
source "$root/scripts/packages.sh"
install_missing --why "the fidelity verdict's signed-rank test" python3-scipy

analyse() {  # folder
/usr/bin/python3 - "$1" <<'PY'
import json, sqlite3, statistics, sys
from scipy.stats import wilcoxon

work = sys.argv[1]

def cv(values):
    return statistics.stdev(values) / statistics.mean(values) * 100

def llama_bench_rounds(path):
    """Per (test, load mode), one entry per round in order: that round's samples in t/s."""
    rounds = {}
    for line in open(path):
        row = json.loads(line)
        rounds.setdefault(("pp" if row["n_prompt"] else "tg", row["load_mode"]), []).append(row["samples_ts"])
        threads.add(row["n_threads"])
    return rounds

threads = set()

reference = llama_bench_rounds(f"{work}/llama-bench.jsonl")
reps = len(next(iter(reference.values()))[0])
control = llama_bench_rounds(f"{work}/control.jsonl")
ours = {}
db = sqlite3.connect(f"{work}/llmsweep.db")
for result_id, metric, load_mode in db.execute(
        "SELECT id, metric, load_mode FROM results WHERE status = 'ok' ORDER BY run_id"):
    ts = [t for (t,) in db.execute("SELECT ts FROM samples WHERE result_id = ?", (result_id,))]
    ours.setdefault((metric, load_mode), []).append(ts)

def paired_percent(base, other):
    """Each round's median of `other` against the same round's median of `base`, in %: the two ran back to
    back, so drift of the host between rounds cancels."""
    return [(statistics.median(o) - statistics.median(b)) / statistics.median(b) * 100 for b, o in zip(base, other)]

def cv_higher_p(base, other):
    """One-sided Wilcoxon signed-rank test over rounds: is `other`'s CV higher than `base`'s?"""
    return wilcoxon([cv(o) - cv(b) for b, o in zip(base, other)], alternative="greater").pvalue

def spread(values):
    return f"{statistics.median(values):+.2f} % ({min(values):+.1f}..{max(values):+.1f})"

rows, failed = [], False
for key in sorted(reference):
    ref, got, ctl = reference[key], ours.get(key, []), control.get(key, [])
    test = f"{key[0]}{512 if key[0] == 'pp' else 128}"
    if not (len(ref) == len(got) == len(ctl)) or any(len(r) != reps for r in ref + got + ctl):
        print(f"{test} {key[1]}: rounds llama-bench {len(ref)}, llmsweep {len(got)}, control {len(ctl)}: incomplete")
        failed = True
        continue
    paired, paired_control = paired_percent(ref, got), paired_percent(ref, ctl)
    p, p_control = cv_higher_p(ref, got), cv_higher_p(ref, ctl)
    # Within ±3 % of llama-bench, or within 3 points of llama-bench's own second run (the control): the
    # reference run can itself sit apart from both on this host.
    median_ok = (abs(statistics.median(paired)) <= 3
                 or abs(statistics.median(paired) - statistics.median(paired_control)) <= 3)
    cv_ok = p >= 0.05
    failed |= not (median_ok and cv_ok)
    rows.append((test, key[1], ref, got, ctl, paired, paired_control, p, p_control, median_ok and cv_ok))

try:
    print(open(f"{work}/page-cache.txt").read())
except FileNotFoundError:
    pass
print(f"{len(reference[next(iter(reference))])} rounds, {reps} repetitions per process, "
      f"{', '.join(map(str, sorted(threads)))} threads\n")
print("Medians: the paired difference is each round's median against that round's llama-bench median, then "
      "the median over rounds (min..max).\n")
print("| test | load mode | llama-bench t/s | llmsweep t/s | control t/s | llmsweep vs llama-bench | control vs llama-bench |")
print("|---|---|---|---|---|---|---|")
for test, mode, ref, got, ctl, paired, paired_control, *_ in rows:
    pooled = lambda rounds: statistics.median([t for r in rounds for t in r])
    print(f"| {test} | {mode} | {pooled(ref):.2f} | {pooled(got):.2f} | {pooled(ctl):.2f} | {spread(paired)} | {spread(paired_control)} |")
print("\nCV in %: mean and median over rounds of each process's CV over its repetitions; 'higher' counts the "
      "rounds where the CV exceeds that round's llama-bench CV; p is the one-sided signed-rank test of a "
      "higher CV.\n")
print("| test | load mode | llama-bench mean / median | llmsweep mean / median | control mean / median "
      "| llmsweep higher, p | control higher, p | verdict |")
print("|---|---|---|---|---|---|---|---|")
for test, mode, ref, got, ctl, paired, paired_control, p, p_control, ok in rows:
    cvs = lambda rounds: f"{statistics.mean(map(cv, rounds)):.2f} / {statistics.median(map(cv, rounds)):.2f}"
    higher = lambda other: sum(cv(o) > cv(r) for r, o in zip(ref, other))
    print(f"| {test} | {mode} | {cvs(ref)} | {cvs(got)} | {cvs(ctl)} | {higher(got)}/{len(ref)}, {p:.3f} "
          f"| {higher(ctl)}/{len(ref)}, {p_control:.3f} | {'ok' if ok else 'OUT OF TARGET'} |")
# All tests pooled: how often, and by how much, each process's CV exceeds the same round's llama-bench CV.
for name, index in (("llmsweep", 3), ("control", 4)):
    differences = [cv(o) - cv(r) for row in rows for r, o in zip(row[2], row[index])]
    print(f"\nAll tests pooled, {name} against llama-bench: CV higher in {sum(d > 0 for d in differences)} of "
          f"{len(differences)} process pairs, median difference {statistics.median(differences):+.2f} points, "
          f"signed-rank p (higher) {wilcoxon(differences, alternative='greater').pvalue:.3f}.", end="")
print()
# What each tool says mmap does: per round, mmap's median against the same round's none median.
print("\nThe mmap effect (mmap vs none) as each process measures it: per round, its mmap median against its none "
      "median of that round, then the median over rounds (min..max). Agreement: llmsweep's median within the "
      "control's range, and of llama-bench's sign where llama-bench and its control agree on the sign.\n")
print("| test | llama-bench | llmsweep | control | verdict |")
print("|---|---|---|---|---|")
for metric in ("pp", "tg"):
    effects = []
    for source in (reference, ours, control):
        none, mmap = source.get((metric, "none"), []), source.get((metric, "mmap"), [])
        effects.append(paired_percent(none, mmap) if none and len(none) == len(mmap) else [])
    if not all(effects):
        print(f"| {metric}{512 if metric == 'pp' else 128} | - | - | - | incomplete |")
        failed = True
        continue
    reference_effect, our_effect, control_effect = (statistics.median(e) for e in effects)
    sign_settled = (reference_effect > 0) == (control_effect > 0)
    ok = (min(effects[2]) <= our_effect <= max(effects[2])
          and (not sign_settled or (our_effect > 0) == (reference_effect > 0)))
    failed |= not ok
    print(f"| {metric}{512 if metric == 'pp' else 128} | " + " | ".join(map(spread, effects))
          + f" | {'ok' if ok else 'OUT OF TARGET'} |")
# How llmsweep's workers had their memory mapped (schema 3): a mapping that differs between the load modes is a
# candidate for what decides the difference.
columns = [c for (_, c, *_) in db.execute("PRAGMA table_info(loads)")]
if "file_pmd_at_end_kb" in columns:
    print("\nllmsweep's workers' memory at the end of their visits, MiB (mean over loads):\n")
    print("| load mode | loads | anonymous | anonymous on huge pages | file pages mapped huge | THP |")
    print("|---|---|---|---|---|---|")
    for mode, loads, anon, anon_huge, file_pmd, thp in db.execute(
            "SELECT load_mode, count(*), avg(anon_at_end_kb) / 1024.0, avg(anon_huge_at_end_kb) / 1024.0, "
            "avg(file_pmd_at_end_kb) / 1024.0, group_concat(DISTINCT thp_mode) FROM loads WHERE status = 'ok' "
            "GROUP BY load_mode ORDER BY load_mode"):
        fmt = lambda v: "-" if v is None else f"{v:.1f}"
        print(f"| {mode} | {loads} | {fmt(anon)} | {fmt(anon_huge)} | {fmt(file_pmd)} | {thp or '-'} |")
print("\nVerdict: ok when the paired median difference is within ±3 % (or within 3 points of the control's) and "
      "the signed-rank test does not find "
      "llmsweep's CV higher than llama-bench's (p >= 0.05), and the mmap effects agree as above.")
sys.exit(1 if failed else 0)
PY
}
if [ -n "$analyse" ]; then analyse "$analyse"; exit; fi

"$root/scripts/setup.sh" >/dev/null
cmake --build "$root/build" --target llama-bench >/dev/null
llmsweep="$root/build/src/llmsweep"
llama_bench="$root/build/bin/llama-bench"
if [ -n "$keep" ]; then
    mkdir -p "$keep"
    work=$(cd "$keep" && pwd)
    rm -f "$work"/llama-bench.jsonl "$work"/control.jsonl "$work"/llmsweep.db*
else
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
fi

model="$work/smollm2-135m-q8_0.gguf"
[ -f "$model" ] || "$llmsweep" synth --preset smollm2-135m --type q8_0 -o "$model" >/dev/null

page_cache_state() {  # how much of the model a mapping of it gets on 2 MiB pages now, as each tool's would
/usr/bin/python3 - "$model" <<'PY'
import mmap, os, sys
with open(sys.argv[1], "rb") as f:
    size = os.fstat(f.fileno()).st_size
    m = mmap.mmap(f.fileno(), size, prot=mmap.PROT_READ)
    for offset in range(0, size, 4096): m[offset]
    pmd = next(int(l.split()[1]) for l in open("/proc/self/smaps_rollup") if l.startswith("FilePmdMapped:"))
    print(f"{pmd / 1024:.0f} of {size / 2**20:.0f} MiB of the model file PMD-mapped by a fresh mapping")
PY
}
case "$page_cache" in
    as-is) ;;
    written) cp "$model" "$model.new" && mv "$model.new" "$model" ;;
    reread) /usr/bin/python3 -c 'import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY); os.fdatasync(fd); os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
while os.read(fd, 1 << 20): pass' "$model" ;;
    *) echo "--page-cache: as-is, written or reread" >&2; exit 2 ;;
esac
echo "page cache before the first round ($page_cache): $(page_cache_state)" > "$work/page-cache.txt"

run_llama_bench() {  # load mode, output file
    if [ ${#llmsweep_order[@]} -eq 0 ]; then
        # llmsweep's request mode decodes after the prompt: its tg128 is llama-bench's tg128 at depth 512.
        "$llama_bench" -m "$model" -p 512 -n 0 -r "$reps" "${threads[@]}" -lm "$1" -o jsonl >> "$2" 2>/dev/null
        "$llama_bench" -m "$model" -p 0 -n 128 -d 512 -r "$reps" "${threads[@]}" -lm "$1" -o jsonl >> "$2" 2>/dev/null
    else
        "$llama_bench" -m "$model" -p 512 -n 128 -r "$reps" "${threads[@]}" -lm "$1" -o jsonl >> "$2" 2>/dev/null
    fi
}
run_tool() {  # tool, load mode
    case "$1" in
        llama-bench) run_llama_bench "$2" "$work/llama-bench.jsonl" ;;
        control) run_llama_bench "$2" "$work/control.jsonl" ;;
        llmsweep) "$llmsweep" run -m "$model" "${llmsweep_order[@]}" -p 512 -n 128 -r "$reps" "${threads[@]}" \
                      --load-mode "$2" --fresh -q --db "$work/llmsweep.db" >/dev/null ;;
    esac
}
orders=("llama-bench llmsweep control" "llmsweep control llama-bench" "control llama-bench llmsweep"
        "llama-bench control llmsweep" "control llmsweep llama-bench" "llmsweep llama-bench control")
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); $(cat "$work/page-cache.txt")" >&2
for round in $(seq "$rounds"); do
    echo "round $round/$rounds" >&2
    for i in 0 1; do
        load_mode=$([ "$i" -eq 0 ] && echo none || echo mmap)
        for tool in ${orders[$(( (2 * round + i) % 6 ))]}; do run_tool "$tool" "$load_mode"; done
    done
done
echo "page cache after the last round: $(page_cache_state)" >> "$work/page-cache.txt"
analyse "$work"
