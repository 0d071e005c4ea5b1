#include "stats/descriptive.hpp"

#include <cmath>

namespace llmsweep::stats {

MeanSd mean_sd(std::span<const double> values) {
    MeanSd result;
    double m2 = 0;
    for (double x : values) {
        ++result.n;
        const double delta = x - result.mean;
        result.mean += delta / static_cast<double>(result.n);
        m2 += delta * (x - result.mean);
    }
    if (result.n > 1) result.sd = std::sqrt(m2 / static_cast<double>(result.n - 1));
    return result;
}

double quantile_sorted(std::span<const double> sorted, double p) {
    const double h = (static_cast<double>(sorted.size()) - 1.0) * p;
    const auto lo = static_cast<size_t>(std::floor(h));
    const size_t hi = lo + 1 < sorted.size() ? lo + 1 : lo;
    return sorted[lo] + (h - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

} // namespace llmsweep::stats
