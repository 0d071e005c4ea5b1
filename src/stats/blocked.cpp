#include "stats/blocked.hpp"

#include "stats/descriptive.hpp"
#include "stats/tests.hpp"

#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

namespace llmsweep::stats {
namespace {

double percent(double log_ratio) { return 100.0 * std::expm1(log_ratio); }

double median_of(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return quantile_sorted(values, 0.5);
}

// Floor of the spread that flags a block: below 0.25 % a machine's run-to-run noise is not resolved, and a
// perfectly quiet set of blocks would flag any difference at all.
constexpr double min_robust_sd = 0.0025;

} // namespace

Interval BlockedEstimate::interval(double confidence) const {
    if (unit == Unit::none || log_se <= 0) return {estimate, estimate};
    const double t = student_t_critical(confidence, df > 0 ? df : static_cast<double>(replicates - 1));
    return {percent(log_mean - t * log_se), percent(log_mean + t * log_se)};
}

namespace {

// estimate_from_replicates, with its p-value or without (NaN).
BlockedEstimate estimate(const std::vector<double>& replicates, Unit unit, bool p_value) {
    BlockedEstimate e;
    e.replicates = replicates.size();
    if (replicates.empty()) return e;
    const MeanSd m = mean_sd(replicates);
    e.log_mean = m.mean;
    e.estimate = percent(m.mean);
    e.ci95 = e.ci90 = {e.estimate, e.estimate};
    if (replicates.size() < 2) return e;
    e.unit = unit;
    const double df = static_cast<double>(replicates.size() - 1);
    e.df = df;
    e.log_se = m.sd / std::sqrt(static_cast<double>(replicates.size()));
    if (e.log_se == 0) {
        // Identical replicates: the effect is what they all say.
        e.p_value = m.mean == 0 ? 1.0 : 0.0;
        return e;
    }
    e.ci95 = e.interval(0.95);
    e.ci90 = e.interval(0.90);
    e.p_value = p_value ? student_t_two_sided_p(m.mean / e.log_se, df) : std::numeric_limits<double>::quiet_NaN();
    return e;
}

// blocked_effect; with `whole` false, its estimate and intervals alone (no p-value, block effects, points'
// spread or flagged blocks).
BlockedEffect effect_of(std::span<const std::vector<std::optional<double>>> log_ratios, bool whole) {
    BlockedEffect effect;
    size_t n_points = 0;
    for (const auto& block : log_ratios) n_points = std::max(n_points, block.size());

    // Per block: the mean over its points.
    std::vector<double> block_means;
    std::vector<size_t> block_of; // index into log_ratios of each mean
    for (size_t k = 0; k < log_ratios.size(); ++k) {
        double sum = 0;
        size_t n = 0;
        for (const std::optional<double>& ratio : log_ratios[k])
            if (ratio) sum += *ratio, ++n;
        if (whole)
            effect.block_effects.push_back(n ? percent(sum / static_cast<double>(n))
                                             : std::numeric_limits<double>::quiet_NaN());
        if (n == 0) continue;
        block_means.push_back(sum / static_cast<double>(n));
        if (whole) block_of.push_back(k);
    }
    if (!whole && block_means.size() >= 2) {
        effect.all = estimate(block_means, Unit::blocks, false);
        return effect;
    }
    // Per point: the mean over its blocks.
    std::vector<double> point_sum(n_points, 0.0);
    std::vector<size_t> point_n(n_points, 0);
    for (const auto& block : log_ratios)
        for (size_t p = 0; p < block.size(); ++p)
            if (block[p]) point_sum[p] += *block[p], ++point_n[p];
    std::vector<double> point_effects;
    for (size_t p = 0; p < n_points; ++p)
        if (point_n[p] > 0) point_effects.push_back(point_sum[p] / static_cast<double>(point_n[p]));
    effect.points = point_effects.size();
    if (whole && !point_effects.empty()) {
        std::vector<double> sorted = point_effects;
        std::sort(sorted.begin(), sorted.end());
        effect.point_min = percent(sorted.front());
        effect.point_q1 = percent(quantile_sorted(sorted, 0.25));
        effect.point_median = percent(quantile_sorted(sorted, 0.5));
        effect.point_q3 = percent(quantile_sorted(sorted, 0.75));
        effect.point_max = percent(sorted.back());
    }

    if (block_means.size() >= 2) {
        effect.all = estimate(block_means, Unit::blocks, whole);
    } else {
        // One block: the points are all there is (their shared visit noise is not separable from the effect).
        effect.all = estimate(point_effects, point_effects.size() >= 2 ? Unit::points : Unit::none, whole);
        return effect;
    }

    // A disturbed block: far from the others by a robust measure of their spread.
    if (whole && block_means.size() >= 4) {
        const double center = median_of(block_means);
        std::vector<double> deviations;
        for (double d : block_means) deviations.push_back(std::fabs(d - center));
        const double robust_sd = std::max(1.4826 * median_of(deviations), min_robust_sd);
        std::vector<double> kept;
        for (size_t i = 0; i < block_means.size(); ++i) {
            if (std::fabs(block_means[i] - center) / robust_sd > flag_z) effect.flagged.push_back(block_of[i]);
            else kept.push_back(block_means[i]);
        }
        if (!effect.flagged.empty()) effect.without_flagged = estimate(kept, Unit::blocks, true);
    }
    return effect;
}

} // namespace

BlockedEstimate estimate_from_replicates(const std::vector<double>& replicates, Unit unit) {
    return estimate(replicates, unit, true);
}

BlockedEffect blocked_effect(const std::vector<std::vector<std::optional<double>>>& log_ratios) {
    return effect_of(log_ratios, true);
}

BlockedEstimate blocked_interval(std::span<const std::vector<std::optional<double>>> log_ratios) {
    return effect_of(log_ratios, false).all;
}

BlockedEstimate estimate_from_runs(const std::vector<double>& value_runs, const std::vector<double>& baseline_runs) {
    BlockedEstimate e;
    e.runs_value = value_runs.size();
    e.runs_baseline = baseline_runs.size();
    e.replicates = value_runs.size() + baseline_runs.size();
    if (value_runs.empty() || baseline_runs.empty()) return e;
    const MeanSd v = mean_sd(value_runs), b = mean_sd(baseline_runs);
    e.log_mean = v.mean - b.mean;
    e.estimate = percent(e.log_mean);
    e.ci95 = e.ci90 = {e.estimate, e.estimate};
    if (e.replicates < 3) return e; // one run of each
    const double nv = static_cast<double>(value_runs.size()), nb = static_cast<double>(baseline_runs.size());
    if (value_runs.size() >= 2 && baseline_runs.size() >= 2) {
        // Welch: the settings' runs may vary unequally (one build steadier than another).
        const double sv = v.sd * v.sd / nv, sb = b.sd * b.sd / nb;
        e.log_se = std::sqrt(sv + sb);
        e.df = sv + sb > 0 ? (sv + sb) * (sv + sb) / (sv * sv / (nv - 1) + sb * sb / (nb - 1)) : nv + nb - 2;
    } else {
        // One side has a single run: its spread is the other side's (Student's pooled two-sample t).
        const double pooled = ((nv - 1) * v.sd * v.sd + (nb - 1) * b.sd * b.sd) / (nv + nb - 2);
        e.log_se = std::sqrt(pooled * (1 / nv + 1 / nb));
        e.df = nv + nb - 2;
    }
    e.unit = Unit::runs;
    if (e.log_se == 0) {
        e.p_value = e.log_mean == 0 ? 1.0 : 0.0;
        return e;
    }
    e.ci95 = e.interval(0.95);
    e.ci90 = e.interval(0.90);
    e.p_value = student_t_two_sided_p(e.log_mean / e.log_se, e.df);
    return e;
}

std::optional<size_t> replicates_needed(const BlockedEstimate& e, double half_width_log, double confidence) {
    if (e.unit == Unit::none || e.log_se <= 0 || half_width_log <= 0) return std::nullopt;
    if (e.unit == Unit::runs) {
        // n runs of each setting at the spread of one run's level (the larger side's, as Welch's se has it):
        // se = sd * sqrt(2 / n), with 2n - 2 degrees of freedom.
        const double nv = static_cast<double>(e.runs_value), nb = static_cast<double>(e.runs_baseline);
        const double sd = e.log_se / std::sqrt(1 / nv + 1 / nb);
        constexpr size_t limit = 100000;
        for (size_t n = 2; n < limit; ++n)
            if (student_t_critical(confidence, 2.0 * static_cast<double>(n) - 2) * sd *
                    std::sqrt(2.0 / static_cast<double>(n)) <=
                half_width_log)
                return n;
        return limit;
    }
    const double sd = e.log_se * std::sqrt(static_cast<double>(e.replicates));
    // The normal quantile gives a lower bound (t > z); from there, the first count whose t interval is narrow
    // enough.
    const auto half_width = [&](size_t n) {
        return student_t_critical(confidence, static_cast<double>(n - 1)) * sd / std::sqrt(static_cast<double>(n));
    };
    const double z = boost::math::quantile(boost::math::normal(), 0.5 + confidence / 2);
    size_t n = std::max<size_t>(2, static_cast<size_t>(std::ceil(std::pow(z * sd / half_width_log, 2))));
    constexpr size_t limit = 1000000;
    while (n < limit && half_width(n) > half_width_log) ++n;
    return n;
}

} // namespace llmsweep::stats
