#pragma once
// --model, --run and --where, as report and history take them: which results a command reads.

#include "analysis/dataset.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace llmsweep::cli {

// Throws UsageError for a condition that is not PARAM=VALUE, or a run that is not a positive number or differs
// from `run`. The parameter's name may be its flag's (threads, flash-attn); the analysis checks it is known.
analysis::Filters parse_filters(const std::string& model, std::optional<int64_t> run,
                                const std::vector<std::string>& where);

} // namespace llmsweep::cli
