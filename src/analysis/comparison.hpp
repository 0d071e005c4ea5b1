#pragma once
// Summaries per model x metric x value of the compared parameter, and paired differences between values:
// points matched on every other parameter, with a bootstrap interval, Wilcoxon and t tests, Holm's
// adjustment across all comparisons, and a verdict.

#include "analysis/dataset.hpp"

#include <optional>
#include <string>
#include <vector>

namespace llmsweep::analysis {

// The parameter to compare: `requested` if it varies; otherwise the only two-valued swept parameter other
// than the test sizes (n_prompt, n_gen, n_depth); "mode", which has one value, when nothing but the test
// sizes varies (a report of one group, without comparisons). Throws UsageError naming the candidates
// otherwise.
std::string choose_compare(const Dataset& data, const std::optional<std::string>& requested);

struct Range {
    double min = 0;
    double max = 0;
};

struct GroupSummary {
    std::string model, metric, value;
    size_t n = 0;                                          // points (ok results)
    double mean = 0, sd = 0, min = 0, max = 0, median = 0; // of the points' mean t/s
    double mean_cv = 0, max_cv = 0;                        // of the repetitions, percent
    Range n_prompt, n_gen;
    size_t not_ok = 0; // failed, timeout, crashed or unfinished results in this group
};

std::vector<GroupSummary> summarize(const Dataset& data, const std::string& compare);

// Request-mode latencies of the tg results, per model and value: means over the points.
struct LatencySummary {
    std::string model, value;
    size_t points = 0;
    double ttft_ms = 0, itl_p50_ms = 0, itl_p90_ms = 0, itl_p99_ms = 0;
};

std::vector<LatencySummary> summarize_latency(const Dataset& data, const std::string& compare);

// The point's identity without the compared parameter: what a pair must share. Comparing something of the
// run's (two builds, two engines, two hosts), the run's other attributes go with it and are not matched: a
// build imported from llama-bench pairs with a build swept natively. The one definition of a pair: the
// tables, the charts, the CSV and the JSON all draw from the comparisons made with it.
std::string match_key(const Record& r, const std::string& compare);

enum class Verdict { faster, slower, no_difference, too_few_pairs };

// One matched pair: the point (its match key) and its throughput at the baseline and at the value (each the
// mean over the runs that measured the point).
struct Pair {
    std::string key;
    double baseline_ts = 0, value_ts = 0;
};

struct PairedComparison {
    std::string model, metric, baseline, value;
    size_t n_pairs = 0;
    size_t unpaired = 0;                    // ok points of either value with no match in the other
    double mean_diff_ts = 0;                // value - baseline, t/s
    double mean_rel_diff_pct = 0;           // mean of (value - baseline) / baseline, percent
    double ci_low_pct = 0, ci_high_pct = 0; // 95 % percentile bootstrap interval of that mean
    double wilcoxon_p = 1, t_p = 1;
    double wilcoxon_p_holm = 1; // adjusted across every comparison returned
    Verdict verdict = Verdict::too_few_pairs;
    std::vector<Pair> pairs; // the n_pairs pairs the numbers above come from
};

// Compares every value of `compare` against `baseline` (default: its first value), per model and metric.
// The bootstrap is seeded, so the same data give the same intervals.
std::vector<PairedComparison> compare_paired(const Dataset& data, const std::string& compare,
                                             const std::optional<std::string>& baseline, uint64_t seed = 1);

// Fewest pairs for which a two-sided Wilcoxon test can reach p < 0.05 (with 5 pairs the smallest p is 0.0625).
inline constexpr size_t min_pairs = 6;

} // namespace llmsweep::analysis
