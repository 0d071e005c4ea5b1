#pragma once
// llama-bench's list syntax for numeric parameters: comma lists of values and ranges.
//   64,128,512      the values
//   32-128          every value from 32 to 128
//   32-128+32       32, 64, 96, 128
//   64-1024*2       64, 128, 256, 512, 1024

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace llmsweep::sweep {

// Throws UsageError naming `what` (the option) and the part of `text` that is wrong.
std::vector<int64_t> parse_int_list(std::string_view text, std::string_view what, int64_t min_value = 0,
                                    int64_t max_value = INT32_MAX);

// Splits a comma list of names, trimming spaces; empty items are an error.
std::vector<std::string> parse_name_list(std::string_view text, std::string_view what);

} // namespace llmsweep::sweep
