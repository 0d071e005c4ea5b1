#include "stats/bootstrap.hpp"

#include "stats/descriptive.hpp"

#include <algorithm>
#include <random>
#include <stdexcept>
#include <vector>

namespace llmsweep::stats {

Interval bootstrap_mean_ci(std::span<const double> values, double confidence, int resamples, uint64_t seed) {
    if (values.empty() || resamples < 1) throw std::invalid_argument("bootstrap needs values and resamples");
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<size_t> pick(0, values.size() - 1);
    std::vector<double> means(static_cast<size_t>(resamples));
    for (double& mean : means) {
        double sum = 0;
        for (size_t i = 0; i < values.size(); ++i) sum += values[pick(rng)];
        mean = sum / static_cast<double>(values.size());
    }
    std::sort(means.begin(), means.end());
    return {quantile_sorted(means, (1 - confidence) / 2), quantile_sorted(means, (1 + confidence) / 2)};
}

} // namespace llmsweep::stats
