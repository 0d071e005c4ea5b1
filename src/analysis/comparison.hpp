#pragma once
// Summaries per model x metric x value of the compared parameter, and differences between values: points
// matched on every other parameter, the effect estimated per block of the design (docs/statistics.md), Holm's
// adjustment across all comparisons, and a verdict with an equivalence margin.

#include "analysis/dataset.hpp"
#include "stats/blocked.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace llmsweep::analysis {

// The parameter to compare: `requested` if it varies; otherwise the only two-valued swept parameter other
// than the test sizes (n_prompt, n_gen, n_depth); "mode", which has one value, when nothing but the test
// sizes varies (a report of one group, without comparisons). Throws UsageError naming the candidates
// otherwise.
std::string choose_compare(const Dataset& data, const std::optional<std::string>& requested);

// The group a record's comparisons and summaries are made in: its model, or "" (every model) when the compared
// parameter is the model itself (model_parameters); in server mode with the load beside it (Record::load), unless
// the load is what is compared.
std::string_view group_of(const Record& r, const std::string& compare);
// Groups in order: by name, a load's number by its value ("· concurrency 2" before "· concurrency 10").
bool group_before(const std::string& a, const std::string& b);

struct Range {
    double min = 0;
    double max = 0;
};

struct GroupSummary {
    std::string model, metric, value;                      // model: the group (group_of)
    size_t n = 0;                                          // points (ok results)
    double mean = 0, sd = 0, min = 0, max = 0, median = 0; // of the points' mean t/s
    double mean_cv = 0, max_cv = 0;                        // of the repetitions, percent
    bool repeated = false; // some point has more than one repetition (else the CVs say nothing)
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
// tables, the charts, the CSV and the JSON all draw from the comparisons made with it. Which parameters make the
// key is decided once, for the many records of a dataset; those with one value in it are equal in every key,
// and left out.
class MatchKey {
public:
    MatchKey(const std::string& compare, const Dataset& data);
    // A 64-bit hash of the key, from the values' numbers in the dataset's table (equal keys, equal hashes):
    // for telling points apart within one dataset, not for ordering them.
    uint64_t hash(const Record& r) const;
    // Whether the two keys are the same (their values' numbers are): what tells two points that share a hash
    // apart.
    bool same(const Record& a, const Record& b) const;
    // The order of a comparison's pairs: whether a's key sorts before b's, value by value in parameter_list
    // order, each value as its text followed by ';' (the order of the keys' texts, where no value holds a ';').
    bool before(const Record& a, const Record& b) const;

private:
    std::vector<size_t> parameters_; // positions in parameter_list
    std::vector<uint32_t> rank_;     // by value number: its place in the order of the values' texts
};

// Numbers the points of records as they come: the same number for every record of one match key, a new one for
// each other key. Keys are found by their hashes and told apart by their values where two hashes meet, so that
// no two points share a number whatever their hashes (`hash`: MatchKey::hash; a test gives another).
class PointNumbers {
public:
    explicit PointNumbers(const MatchKey& key, std::function<uint64_t(const Record&)> hash = {});
    uint32_t operator()(const Record& r);
    uint32_t count() const { return next_; }

private:
    const MatchKey& key_;
    std::function<uint64_t(const Record&)> hash_;
    std::unordered_map<uint64_t, std::pair<const Record*, uint32_t>> first_; // per hash, its first point's
    std::vector<std::pair<const Record*, uint32_t>> met_; // the points whose hash an earlier point had
    uint32_t next_ = 0;
};

// The records of each group (group_of) and metric, every status, in dataset order; the groups in the order the
// report lists them (pp, tg, pg, serve; then by group_before). One walk of the dataset, so that each analysis of
// a group walks its own records, not a million.
struct RecordGroup {
    std::string model, metric; // model: the group
    std::vector<const Record*> records;
};
std::vector<RecordGroup> group_records(const Dataset& data, const std::string& compare);

// The level of every test and interval: 5 % false verdicts, 95 % intervals.
inline constexpr double alpha = 0.05;

// A sweep that added rounds until its comparisons were decided (run --decide) looked at its data after each
// round, from `first` repetitions to `last`. So that looking often cannot make more false verdicts than
// looking once, the looks share alpha as a group-sequential design (stats/sequential.hpp): by the look at n
// blocks, at most alpha * (n / last)^2 may have been spent (Kim and DeMets' power family of spending
// functions), and each look tests at the nominal level that spends exactly its share (docs/statistics.md). A
// design with a first look below 2 blocks looks first at 2.
struct Looks {
    int64_t first = 0, last = 0;
};
inline constexpr double spending_power = 2.0;
// The nominal level of each look: the look at n blocks (first <= n <= last) tests at levels[n - first].
// (`power`: another member of the family, for the simulation study that chose this one.)
std::vector<double> look_levels(const Looks& looks, double power = spending_power);
// The level of the look at `blocks` blocks, from look_levels (a comparison with fewer blocks than the first
// look, a point that failed, is judged as at the first look; one with more, as at the last).
double level_at(const Looks& looks, const std::vector<double>& levels, size_t blocks);

// Futility (stochastic curtailment, Lan, Simon and Halperin 1982): the chance that the comparison reaches a
// verdict at the last look (`last` blocks, tested at `last_level`: a difference, or equivalence at the margin)
// if the effect and the spread are what its blocks so far estimate. A comparison whose chance is below
// futility_chance gets no more rounds: it would most likely end inconclusive. Stopping without a verdict makes
// no false verdict, so the looks' levels stay as they are (a non-binding rule).
double conditional_power(const stats::BlockedEstimate& e, int64_t last, double last_level, double margin_pct);
inline constexpr double futility_chance = 0.02;

// faster / slower: the (1 - level) interval excludes no effect and Holm's adjusted p is below the level, and the
// effect is not within the margin; equivalent: the (1 - 2 level) interval lies inside +-margin (two one-sided
// tests); inconclusive: neither; too_few: a single replicate (one block and one point), no interval at all. The
// level is alpha, or a sequential design's share of it at this look.
enum class Verdict { faster, slower, equivalent, inconclusive, too_few };

// The verdict on an estimate whose (adjusted) p-value is `p`, at +-margin_pct.
Verdict verdict_of(const stats::BlockedEstimate& estimate, double p, double margin_pct, double level = alpha);

// One matched pair: the point (its match key) and its throughput at the baseline and at the value (each the
// mean of its repetitions, over the runs that measured the point).
struct Pair {
    uint64_t key = 0; // MatchKey::hash
    double baseline_ts = 0, value_ts = 0;
};

// What a comparison's replicates are (docs/statistics.md). Within runs: some run measured both values, and its
// rounds (repetition indices) are the blocks, each holding both values; only the runs that measured both count.
// Between runs: no run measured both (two builds, engines or hosts run separately, imports), so the repetitions
// of one run share that run's process, load and memory placement, and the run is the replicate.
enum class Design { within_runs, between_runs };

struct PairedComparison {
    std::string model, metric, baseline, value; // model: the group (group_of)
    Design design = Design::within_runs;
    std::vector<int64_t> runs;          // the runs whose data it used, ascending
    std::vector<int64_t> runs_left_out; // within runs: runs that measured one of the values only
    size_t n_pairs = 0;                 // points measured at both values
    size_t unpaired = 0;                // ok points of either value with no match in the other
    double mean_diff_ts = 0;            // mean over the pairs of value - baseline, t/s
    // The design's estimate (stats/blocked.hpp): within runs, blocks are the rounds of each run (a repetition
    // index of each point is its round); between runs, the runs of each value (Unit::runs).
    stats::BlockedEffect effect;
    struct BlockId {
        int64_t run = 0;
        int64_t repetition = 0; // 0 between runs
    };
    std::vector<BlockId> blocks; // within runs: what effect.block_effects and effect.flagged refer to; between
                                 // runs: the baseline's runs, then the value's
    size_t busy_blocks = 0;      // blocks (or runs) with a visit measured beside other work (set by the report)
    double p_holm = 1;           // effect.all.p_value adjusted across every comparison returned
    // The level its verdict tested at (alpha, or its look's share of it), and the intervals at that level: the
    // interval the report shows (95 % without looks) and the one equivalence is judged on (90 %).
    double level = alpha;
    stats::Interval interval, equivalence_interval;
    Verdict verdict = Verdict::too_few;
    // Inconclusive: the blocks that would probably decide it at this spread (to show a difference as large as
    // the estimate, or equivalence, whichever needs fewer).
    std::optional<size_t> blocks_needed;
    // With flagged (disturbed) blocks: the verdict without them (unadjusted p).
    std::optional<Verdict> verdict_without_flagged;
    std::vector<Pair> pairs; // the n_pairs pairs, as the charts draw them
};

// The margin within which a difference counts as none (percent), when the report is not given one.
inline constexpr double default_margin_pct = 2.0;

// Compares every value of `compare` against `baseline` (default: its first value), per model and metric,
// with equivalence judged at +-margin_pct; with `looks`, each verdict at its look's level.
std::vector<PairedComparison> compare_paired(const Dataset& data, const std::string& compare,
                                             const std::optional<std::string>& baseline,
                                             double margin_pct = default_margin_pct,
                                             const std::optional<Looks>& looks = std::nullopt);

} // namespace llmsweep::analysis
