#include "stats/changepoint.hpp"

#include <algorithm>
#include <cmath>
#include <random>

namespace llmsweep::stats {
namespace {

// The part of a segment most unlike the rest: [begin, end), the rest the levels before and after it (one of them
// empty for a step, both non-empty for a stretch that stepped and came back).
struct Split {
    size_t begin = 0, end = 0;
    double statistic = 0;
};

// Over every stretch [i, j) of `x`: Welch-free two-sample t of the stretch against the rest, with the pooled
// spread of both about their own means (n - 2 degrees of freedom). Prefix sums of the levels and their squares
// make each stretch constant time.
Split best_split(std::span<const double> x, std::vector<double>& sum, std::vector<double>& squares) {
    const size_t n = x.size();
    sum.assign(n + 1, 0.0);
    squares.assign(n + 1, 0.0);
    for (size_t i = 0; i < n; ++i) {
        sum[i + 1] = sum[i] + x[i];
        squares[i + 1] = squares[i] + x[i] * x[i];
    }
    const double total = sum[n], total_squares = squares[n], size = static_cast<double>(n);
    Split best;
    for (size_t i = 0; i < n; ++i)
        for (size_t j = i + 1; j <= n; ++j) {
            if (j - i == n) continue;
            const auto a = static_cast<double>(j - i), b = size - a;
            const double in = sum[j] - sum[i], out = total - in;
            // Within both parts: the total sum of squares less each part's mean times its sum.
            const double within = total_squares - in * in / a - out * out / b;
            if (within <= 1e-300) continue; // no spread to measure a difference by
            const double sd = std::sqrt(within / (size - 2));
            const double statistic = std::fabs(in / a - out / b) / (sd * std::sqrt(1 / a + 1 / b));
            if (statistic > best.statistic) best = {i, j, statistic};
        }
    return best;
}

void search(std::span<const double> levels, size_t offset, const ChangePointOptions& options, std::mt19937_64& rng,
            std::vector<ChangePoint>& found) {
    if (levels.size() < 3) return;
    std::vector<double> sum, squares;
    const Split observed = best_split(levels, sum, squares);
    if (observed.statistic <= 0) return; // every level the same
    // The statistic does not change with the levels' location or scale: its distribution with nothing changed is
    // that of as many independent standard normal levels.
    std::normal_distribution<double> normal;
    std::vector<double> null(levels.size());
    size_t as_large = 0;
    for (size_t i = 0; i < options.simulations; ++i) {
        for (double& x : null) x = normal(rng);
        if (best_split(null, sum, squares).statistic >= observed.statistic) ++as_large;
    }
    const double p = static_cast<double>(as_large + 1) / static_cast<double>(options.simulations + 1);
    if (p >= options.alpha) return;
    // Each end of the stretch that is inside the segment is a change point; the parts are searched again.
    if (observed.begin > 0) found.push_back({offset + observed.begin, p, observed.statistic});
    if (observed.end < levels.size()) found.push_back({offset + observed.end, p, observed.statistic});
    search(levels.first(observed.begin), offset, options, rng, found);
    search(levels.subspan(observed.begin, observed.end - observed.begin), offset + observed.begin, options, rng, found);
    search(levels.subspan(observed.end), offset + observed.end, options, rng, found);
}

} // namespace

std::vector<ChangePoint> change_points(std::span<const double> levels, const ChangePointOptions& options) {
    std::vector<ChangePoint> found;
    if (std::any_of(levels.begin(), levels.end(), [](double x) { return !std::isfinite(x); })) return found;
    std::mt19937_64 rng(options.seed);
    search(levels, 0, options, rng, found);
    std::sort(found.begin(), found.end(), [](const ChangePoint& a, const ChangePoint& b) { return a.at < b.at; });
    return found;
}

} // namespace llmsweep::stats
