#include "domain/plausible.hpp"

#include <fmt/format.h>

#include <cmath>

namespace llmsweep::domain {

std::optional<std::string> implausible_ts(double ts) {
    if (std::isnan(ts)) return std::string("t/s is not a number");
    if (!std::isfinite(ts)) return fmt::format("t/s {} is not a number", ts);
    if (ts <= 0) return fmt::format("t/s {} is not above zero", ts);
    if (ts < min_tokens_per_second)
        return fmt::format("t/s {:g} is below any measurement ({:g})", ts, min_tokens_per_second);
    if (ts > max_tokens_per_second)
        return fmt::format("t/s {:g} is beyond any machine ({:g})", ts, max_tokens_per_second);
    return std::nullopt;
}

std::optional<std::string> implausible_ns(double ns) {
    if (!std::isfinite(ns) || ns <= 0) return fmt::format("a time of {} ns is not above zero", ns);
    return std::nullopt;
}

std::optional<std::string> contradicts_samples(double avg_ts, double samples_mean_ts) {
    if (std::fabs(avg_ts - samples_mean_ts) <= 0.01 * std::max(avg_ts, samples_mean_ts)) return std::nullopt;
    return fmt::format("its mean t/s {:g} is not the mean of its samples, {:g}", avg_ts, samples_mean_ts);
}

} // namespace llmsweep::domain
