#pragma once
// Percentile bootstrap confidence interval of a mean (Efron & Tibshirani 1993, ch. 13), reproducible from
// its seed.

#include "stats/descriptive.hpp"

#include <cstdint>
#include <span>

namespace llmsweep::stats {

// Resamples `values` with replacement `resamples` times and returns the (1-confidence)/2 and
// (1+confidence)/2 quantiles of the resampled means. `values` must not be empty.
Interval bootstrap_mean_ci(std::span<const double> values, double confidence, int resamples, uint64_t seed);

} // namespace llmsweep::stats
