#include "stats/sequential.hpp"

#include "stats/tests.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>

namespace llmsweep::stats {
namespace {

// Null sequences simulated: the levels' Monte Carlo error is then about 1 % of each look's share.
constexpr size_t paths = 200000;
constexpr uint64_t seed = 20261130;

} // namespace

std::vector<double> sequential_t_levels(int64_t first, int64_t last, const std::vector<double>& spent) {
    if (first < 2 || last < first || spent.size() != static_cast<size_t>(last - first + 1))
        throw std::invalid_argument("sequential_t_levels: looks from 2 or more replicates, one spent error each");
    const size_t looks = spent.size();
    // |t| of each path at each look.
    std::vector<float> t(paths * looks);
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> normal;
    for (size_t p = 0; p < paths; ++p) {
        double sum = 0, sum_sq = 0;
        for (int64_t n = 1; n <= last; ++n) {
            const double x = normal(rng);
            sum += x;
            sum_sq += x * x;
            if (n < first) continue;
            const double nd = static_cast<double>(n), mean = sum / nd;
            const double sd = std::sqrt(std::max(0.0, (sum_sq - nd * mean * mean) / (nd - 1)));
            t[p * looks + static_cast<size_t>(n - first)] = static_cast<float>(std::fabs(mean) / (sd / std::sqrt(nd)));
        }
    }
    std::vector<double> levels;
    std::vector<size_t> alive(paths);
    for (size_t p = 0; p < paths; ++p) alive[p] = p;
    double previous = 0;
    for (size_t k = 0; k < looks; ++k) {
        // The boundary that this look's share of paths crosses, among those that have not stopped.
        const auto crossing = static_cast<size_t>(std::llround(std::max(0.0, spent[k] - previous) * paths));
        previous = spent[k];
        const double df = static_cast<double>(first + static_cast<int64_t>(k) - 1);
        if (crossing == 0 || alive.empty()) {
            levels.push_back(0);
            continue;
        }
        const size_t m = std::min(crossing, alive.size());
        std::nth_element(alive.begin(), alive.begin() + static_cast<std::ptrdiff_t>(m - 1), alive.end(),
                         [&](size_t a, size_t b) { return t[a * looks + k] > t[b * looks + k]; });
        const double boundary = t[alive[m - 1] * looks + k];
        alive.erase(alive.begin(), alive.begin() + static_cast<std::ptrdiff_t>(m));
        levels.push_back(student_t_two_sided_p(boundary, df));
    }
    return levels;
}

} // namespace llmsweep::stats
