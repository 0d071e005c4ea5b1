#include "sweep/setting_text.hpp"

#include "core/error.hpp"
#include "core/text.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <charconv>
#include <cmath>

namespace llmsweep::sweep {

std::vector<int64_t> ints(const std::vector<std::string>& texts, std::string_view what, int64_t min_value,
                          int64_t max_value) {
    std::vector<int64_t> values;
    for (const auto& text : texts) {
        if (min_value >= 0) {
            auto more = parse_int_list(text, what, min_value, max_value);
            values.insert(values.end(), more.begin(), more.end());
            continue;
        }
        // A negative value is one number (llama-bench's -ngl -1), not the start of a range.
        for (const std::string& item : split(text, ",")) {
            if (item.empty() || item.front() != '-') {
                auto more = parse_int_list(item, what, 0, max_value);
                values.insert(values.end(), more.begin(), more.end());
                continue;
            }
            int64_t value = 0;
            const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), value);
            if (ec != std::errc() || end != item.data() + item.size() || value < min_value)
                throw UsageError(
                    fmt::format("{}: '{}' is not a number from {} to {}", what, item, min_value, max_value));
            values.push_back(value);
        }
    }
    return values;
}

const std::string& single(const std::vector<std::string>& texts, std::string_view what) {
    if (texts.size() != 1) throw UsageError(fmt::format("{} takes one value, got {}", what, fmt::join(texts, " and ")));
    return texts.front();
}

int64_t single_int(const std::vector<std::string>& texts, std::string_view what, int64_t min_value, int64_t max_value) {
    const auto values = parse_int_list(single(texts, what), what, min_value, max_value);
    if (values.size() != 1) throw UsageError(fmt::format("{} takes one number, got '{}'", what, texts.front()));
    return values.front();
}

double positive_number(const std::string& text, std::string_view what) {
    double value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || !(value > 0) || !std::isfinite(value))
        throw UsageError(fmt::format("{}: '{}' is not a positive number", what, text));
    // Seconds and rates beyond a year are typos, and past 2^63 ns or ms they would not even convert.
    if (value > max_positive_number)
        throw UsageError(fmt::format("{}: {} is more than {:g}; is it a typo?", what, text, max_positive_number));
    return value;
}

} // namespace llmsweep::sweep
