#pragma once
// What a measurement can be. A figure read from outside (an imported file, a merged database, a server's answer)
// is checked against these before it is kept, and the report leaves out what it finds beyond them: no machine
// runs a model at a hundred million tokens a second, a time is never zero, and a size is bounded by what a disk
// holds.

#include <cstdint>
#include <optional>
#include <string>

namespace llmsweep::domain {

inline constexpr double max_tokens_per_second = 1e8;
inline constexpr double min_tokens_per_second = 1e-6; // a token in eleven days
inline constexpr int64_t max_model_bytes = int64_t{1} << 50;  // 1 PiB
inline constexpr int64_t max_model_params = int64_t{1} << 50; // a quadrillion

// Why a throughput is impossible (not finite, not above min_tokens_per_second, beyond max_tokens_per_second); none
// when it is not.
std::optional<std::string> implausible_ts(double ts);
// Why a time in ns is impossible (zero or less); none when it is not.
std::optional<std::string> implausible_ns(double ns);
// Why a mean throughput contradicts the mean of its samples (more than 1 % apart); none when it does not.
std::optional<std::string> contradicts_samples(double avg_ts, double samples_mean_ts);

} // namespace llmsweep::domain
