#include "stats/changepoint.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace llmsweep::stats {
namespace {

struct Split {
    size_t at = 0;
    double statistic = 0;
};

// The split of `x` with the largest standardized difference of means (prefix sums: linear in its length).
Split best_split(std::span<const double> x) {
    const size_t n = x.size();
    const double total = std::accumulate(x.begin(), x.end(), 0.0);
    Split best;
    double left = 0;
    for (size_t k = 1; k < n; ++k) {
        left += x[k - 1];
        const auto a = static_cast<double>(k), b = static_cast<double>(n - k);
        const double statistic = std::fabs(left / a - (total - left) / b) * std::sqrt(a * b / static_cast<double>(n));
        if (statistic > best.statistic) best = {k, statistic};
    }
    return best;
}

void search(std::span<const double> levels, size_t offset, const ChangePointOptions& options, std::mt19937_64& rng,
            std::vector<ChangePoint>& found) {
    if (levels.size() < 3) return;
    const Split observed = best_split(levels);
    if (observed.statistic <= 0) return; // every level the same
    std::vector<double> shuffled(levels.begin(), levels.end());
    size_t as_large = 0;
    for (size_t i = 0; i < options.permutations; ++i) {
        std::shuffle(shuffled.begin(), shuffled.end(), rng);
        // A reordering ties the observed one within rounding: counted as large, as it is.
        if (best_split(shuffled).statistic >= observed.statistic * (1 - 1e-12)) ++as_large;
    }
    const double p = static_cast<double>(as_large + 1) / static_cast<double>(options.permutations + 1);
    if (p >= options.alpha) return;
    found.push_back({offset + observed.at, p, observed.statistic});
    search(levels.first(observed.at), offset, options, rng, found);
    search(levels.subspan(observed.at), offset + observed.at, options, rng, found);
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
