#pragma once
// How the sweep's settings read their texts (flags and TOML values alike): lists in llama-bench's syntax, single
// values, positive numbers, each error naming the flag. For spec.cpp and the settings of server mode.

#include "domain/parameters.hpp"
#include "sweep/range.hpp"

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace llmsweep::sweep {

using domain::max_tokens; // the largest token count a setting takes

// Each text a comma list of names, each parsed by `parse`.
template <typename Parse>
auto parse_each(const std::vector<std::string>& texts, std::string_view what, Parse parse) {
    std::vector<decltype(parse(std::string_view{}))> values;
    for (const auto& text : texts)
        for (const auto& item : parse_name_list(text, what)) values.push_back(parse(item));
    return values;
}

// Each text an integer list or range, every value in [min_value, max_value].
std::vector<int64_t> ints(const std::vector<std::string>& texts, std::string_view what, int64_t min_value,
                          int64_t max_value);
// The one text given; UsageError for several.
const std::string& single(const std::vector<std::string>& texts, std::string_view what);
int64_t single_int(const std::vector<std::string>& texts, std::string_view what, int64_t min_value, int64_t max_value);
// A positive number, at most max_positive_number (a year of seconds: --timeout, --duration, --rate).
inline constexpr double max_positive_number = 365.0 * 24 * 3600;
double positive_number(const std::string& text, std::string_view what);

// Drops repeated values, keeping the first occurrence: "-p 64,64" sweeps 64 once.
template <typename T>
std::vector<T> unique(std::vector<T> values) {
    std::vector<T> out;
    for (auto&& v : values)
        if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(std::move(v));
    return out;
}

} // namespace llmsweep::sweep
