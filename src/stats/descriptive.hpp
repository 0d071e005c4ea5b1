#pragma once
// Descriptive statistics: pure functions over samples.

#include <span>

namespace llmsweep::stats {

struct Interval {
    double low = 0;
    double high = 0;
};

struct MeanSd {
    double mean = 0;
    double sd = 0; // sample standard deviation (n - 1); 0 for fewer than two values
    size_t n = 0;
};

// Welford's online algorithm (Knuth, TAOCP vol. 2, 4.2.2): stable where the naive sum of squares cancels.
MeanSd mean_sd(std::span<const double> values);

// Quantile by linear interpolation between order statistics (Hyndman & Fan type 7, R's default).
// `sorted` must be sorted ascending and non-empty; p in [0, 1].
double quantile_sorted(std::span<const double> sorted, double p);

} // namespace llmsweep::stats
