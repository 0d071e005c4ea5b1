#pragma once
// The effect of one setting against another, estimated as the sweep's design ran it: a randomized block
// design (docs/statistics.md). Each block (a round: every load group visited once, in a random order) holds
// one measurement of each point at both settings; the effect within a block is the mean over its points of
// log(value t/s) - log(baseline t/s), and the blocks are the independent replicates: a visit's noise (its
// load, the machine's state) is shared by all of its points, so points are not. Pure functions.

#include "stats/descriptive.hpp"

#include <cstddef>
#include <optional>
#include <span>
#include <vector>

namespace llmsweep::stats {

// What the replicates were.
enum class Unit {
    blocks, // two or more blocks: the effect per block, then across blocks (t with blocks - 1 df)
    points, // one block: points treated as independent (a visit's noise cannot be told from the effect)
    runs,   // separate runs of each setting (two builds, two hosts, two imports): each run's level is a replicate,
            // compared between the settings by Welch's t (Student's pooled t where one side has a single run)
    none    // fewer than two replicates: an estimate without an interval
};

struct BlockedEstimate {
    Unit unit = Unit::none;
    size_t replicates = 0; // blocks (or points, for Unit::points; runs of both settings, for Unit::runs)
    size_t runs_value = 0, runs_baseline = 0; // Unit::runs, and a `none` of runs: the runs of each setting
    double df = 0;                            // degrees of freedom of its t (replicates - 1, or Welch's)
    double estimate = 0;                      // percent: exp(mean log ratio) - 1
    Interval ci95, ci90;                      // percent; equal to the estimate when there is no interval
    double p_value = 1;                       // two-sided t test of no effect
    double log_mean = 0, log_se = 0;          // on the log scale, for the number of blocks a decision needs

    // The t interval at another confidence (percent): a sequential design's adjusted level; ci95 at 0.95.
    Interval interval(double confidence) const;
};

struct BlockedEffect {
    BlockedEstimate all;
    size_t points = 0; // points with at least one block at both settings
    // How much the effect varies across points: each point's effect (its mean log ratio over the blocks),
    // smallest, quartiles and largest, in percent.
    double point_min = 0, point_q1 = 0, point_median = 0, point_q3 = 0, point_max = 0;
    // Blocks whose effect departs from the others' far beyond their spread (robust z above flag_z, with
    // four or more blocks), and the estimate without them.
    std::vector<size_t> flagged;
    std::optional<BlockedEstimate> without_flagged;
    std::vector<double> block_effects; // percent, per block given (NaN for a block without a pair)
};

// Robust z (|effect - median| / (1.4826 MAD), the MAD floored at 0.25 %) above which a block is flagged.
inline constexpr double flag_z = 4.0;

// `log_ratios[k][p]`: log(value / baseline) of point p in block k, or none where the block lacks it at
// either setting. Blocks and points with no ratio at all are ignored.
BlockedEffect blocked_effect(const std::vector<std::vector<std::optional<double>>>& log_ratios);
// Its estimate and intervals alone, `all` without the p-value (NaN): a heatmap's cells, a grid of a hundred
// thousand of them.
BlockedEstimate blocked_interval(std::span<const std::vector<std::optional<double>>> log_ratios);

// Estimate, intervals and test from replicate log ratios (means of blocks, or points).
BlockedEstimate estimate_from_replicates(const std::vector<double>& replicates, Unit unit);

// Separate runs: `value_runs` and `baseline_runs` are the runs' levels (mean log t/s over their points, centred
// per point); the effect is the difference of the settings' means. One run of each gives an estimate without an
// interval (Unit::none): the spread between runs, which separate runs always have, is then unknown.
BlockedEstimate estimate_from_runs(const std::vector<double>& value_runs, const std::vector<double>& baseline_runs);

// The replicates (blocks) a t interval of this spread would need for its half-width at `confidence` to reach
// `half_width_log` on the log scale; none when the spread is zero or unknown. For Unit::runs: the runs of each
// setting, at the spread between runs observed.
std::optional<size_t> replicates_needed(const BlockedEstimate& e, double half_width_log, double confidence = 0.95);

} // namespace llmsweep::stats
