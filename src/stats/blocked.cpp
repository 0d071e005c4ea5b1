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
    const double t = student_t_critical(confidence, static_cast<double>(replicates - 1));
    return {percent(log_mean - t * log_se), percent(log_mean + t * log_se)};
}

BlockedEstimate estimate_from_replicates(const std::vector<double>& replicates, Unit unit) {
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
    e.log_se = m.sd / std::sqrt(static_cast<double>(replicates.size()));
    if (e.log_se == 0) {
        // Identical replicates: the effect is what they all say.
        e.p_value = m.mean == 0 ? 1.0 : 0.0;
        return e;
    }
    e.ci95 = e.interval(0.95);
    e.ci90 = e.interval(0.90);
    const boost::math::students_t dist(df);
    e.p_value = 2 * boost::math::cdf(boost::math::complement(dist, std::fabs(m.mean / e.log_se)));
    return e;
}

BlockedEffect blocked_effect(const std::vector<std::vector<std::optional<double>>>& log_ratios) {
    BlockedEffect effect;
    size_t n_points = 0;
    for (const auto& block : log_ratios) n_points = std::max(n_points, block.size());

    // Per block: the mean over its points; per point: the mean over its blocks.
    std::vector<double> block_means;
    std::vector<size_t> block_of; // index into log_ratios of each mean
    std::vector<double> point_sum(n_points, 0.0);
    std::vector<size_t> point_n(n_points, 0);
    for (size_t k = 0; k < log_ratios.size(); ++k) {
        double sum = 0;
        size_t n = 0;
        for (size_t p = 0; p < log_ratios[k].size(); ++p) {
            if (!log_ratios[k][p]) continue;
            sum += *log_ratios[k][p];
            ++n;
            point_sum[p] += *log_ratios[k][p];
            ++point_n[p];
        }
        effect.block_effects.push_back(n ? percent(sum / static_cast<double>(n))
                                         : std::numeric_limits<double>::quiet_NaN());
        if (n == 0) continue;
        block_means.push_back(sum / static_cast<double>(n));
        block_of.push_back(k);
    }
    std::vector<double> point_effects;
    for (size_t p = 0; p < n_points; ++p)
        if (point_n[p] > 0) point_effects.push_back(point_sum[p] / static_cast<double>(point_n[p]));
    effect.points = point_effects.size();
    if (!point_effects.empty()) {
        std::vector<double> sorted = point_effects;
        std::sort(sorted.begin(), sorted.end());
        effect.point_min = percent(sorted.front());
        effect.point_q1 = percent(quantile_sorted(sorted, 0.25));
        effect.point_median = percent(quantile_sorted(sorted, 0.5));
        effect.point_q3 = percent(quantile_sorted(sorted, 0.75));
        effect.point_max = percent(sorted.back());
    }

    if (block_means.size() >= 2) {
        effect.all = estimate_from_replicates(block_means, Unit::blocks);
    } else {
        // One block: the points are all there is (their shared visit noise is not separable from the effect).
        effect.all = estimate_from_replicates(point_effects, point_effects.size() >= 2 ? Unit::points : Unit::none);
        return effect;
    }

    // A disturbed block: far from the others by a robust measure of their spread.
    if (block_means.size() >= 4) {
        const double center = median_of(block_means);
        std::vector<double> deviations;
        for (double d : block_means) deviations.push_back(std::fabs(d - center));
        const double robust_sd = std::max(1.4826 * median_of(deviations), min_robust_sd);
        std::vector<double> kept;
        for (size_t i = 0; i < block_means.size(); ++i) {
            if (std::fabs(block_means[i] - center) / robust_sd > flag_z) effect.flagged.push_back(block_of[i]);
            else kept.push_back(block_means[i]);
        }
        if (!effect.flagged.empty()) effect.without_flagged = estimate_from_replicates(kept, Unit::blocks);
    }
    return effect;
}

std::optional<size_t> replicates_needed(const BlockedEstimate& e, double half_width_log, double confidence) {
    if (e.unit == Unit::none || e.log_se <= 0 || half_width_log <= 0) return std::nullopt;
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
