#pragma once
// What a sweep found, printed when it ends: the verdict of each comparison the sweep was built for (the
// parameter it swept with several values, or --compare), with its interval, and for an inconclusive one the
// command that adds the rounds that would decide it.

#include "store/store.hpp"

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace llmsweep::cli {

// `word` as a shell reads it: as it is where it is plain (letters, digits, _./,=:+-@%), else quoted.
std::string shell_word(std::string_view word);

// `command`: the sweep's own command line, to which the deciding flags are added.
void print_verdicts(store::Store& store, const std::string& db, int64_t run_id,
                    const std::optional<std::string>& compare, const std::string& command,
                    std::FILE* out = stdout);

} // namespace llmsweep::cli
