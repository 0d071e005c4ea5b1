#include "sweep/range.hpp"

#include "core/error.hpp"
#include "core/text.hpp"

#include <fmt/format.h>

#include <charconv>

namespace llmsweep::sweep {
namespace {

// A range expanding past this many values is surely a typo (64-1024+1 is 961 values, still fine).
constexpr size_t max_values = 100'000;

std::vector<std::string_view> split_commas(std::string_view text) {
    std::vector<std::string_view> items;
    size_t start = 0;
    while (true) {
        const size_t comma = text.find(',', start);
        items.push_back(trim(text.substr(start, comma == std::string_view::npos ? comma : comma - start)));
        if (comma == std::string_view::npos) return items;
        start = comma + 1;
    }
}

// Reads an unsigned decimal number at the front of `s`, advancing it; false if there is none.
bool take_number(std::string_view& s, int64_t& value) {
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc() || end == s.data()) return false;
    s.remove_prefix(static_cast<size_t>(end - s.data()));
    return true;
}

} // namespace

std::vector<int64_t> parse_int_list(std::string_view text, std::string_view what, int64_t min_value,
                                    int64_t max_value) {
    std::vector<int64_t> values;
    for (std::string_view item : split_commas(text)) {
        auto bad = [&](std::string_view why) {
            return UsageError(fmt::format("{}: '{}' {}; write values and ranges like 64,128 or 64-1024*2 or "
                                          "32-128+32",
                                          what, item, why));
        };
        if (item.empty()) throw bad("is empty");
        std::string_view rest = item;
        int64_t first = 0, last = 0, step = 1;
        char op = '+';
        if (rest.front() == '-' || !take_number(rest, first)) throw bad("is not a number or range");
        last = first;
        if (!rest.empty()) {
            if (rest.front() != '-') throw bad("is not a number or range");
            rest.remove_prefix(1);
            if (!take_number(rest, last)) throw bad("has no end after '-'");
            if (!rest.empty()) {
                op = rest.front();
                rest.remove_prefix(1);
                if ((op != '+' && op != '*') || !take_number(rest, step) || !rest.empty())
                    throw bad("has a step that is not +N or *N");
            }
        }
        if (last < first) throw bad("ends before it starts");
        if (op == '+' ? step < 1 : step < 2)
            throw bad(op == '+' ? "steps by less than 1" : "multiplies by less than 2");
        if (op == '*' && first == 0) throw bad("multiplies from 0, which never grows");
        for (int64_t v = first;;) {
            if (v < min_value || v > max_value)
                throw bad(fmt::format("holds {}, outside {}..{}", v, min_value, max_value));
            values.push_back(v);
            if (values.size() > max_values) throw bad(fmt::format("expands to more than {} values", max_values));
            int64_t next = 0; // the next value, unless it would pass the end (or INT64_MAX)
            if (op == '+' ? __builtin_add_overflow(v, step, &next) : __builtin_mul_overflow(v, step, &next)) break;
            if (next > last) break;
            v = next;
        }
    }
    return values;
}

std::vector<std::string> parse_name_list(std::string_view text, std::string_view what) {
    std::vector<std::string> names;
    for (std::string_view item : split_commas(text)) {
        if (item.empty())
            throw UsageError(fmt::format("{}: '{}' has an empty item; separate values with single commas", what, text));
        names.emplace_back(item);
    }
    return names;
}

} // namespace llmsweep::sweep
