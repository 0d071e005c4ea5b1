#include "domain/serving.hpp"

#include "core/error.hpp"
#include "core/text.hpp"
#include "domain/parameters.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

namespace llmsweep::domain {
namespace {

std::optional<int64_t> whole_number(std::string_view text) {
    int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

// "500ms", "0.5s", "500" (ms) as milliseconds.
std::optional<double> milliseconds(std::string_view text) {
    double scale = 1;
    if (text.ends_with("ms")) {
        text.remove_suffix(2);
    } else if (text.ends_with("s")) {
        text.remove_suffix(1);
        scale = 1000;
    }
    double value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value) || value <= 0)
        return std::nullopt;
    return value * scale;
}

} // namespace

std::string Lengths::text() const { return fixed() ? "" : fmt::format("uniform:{}-{}", lo, hi); }

Lengths parse_lengths(std::string_view text, std::string_view flag, int64_t least) {
    const auto fail = [&] {
        return UsageError(fmt::format("{}: '{}' is not a length distribution; write uniform:LO-HI with {} <= LO <= HI "
                                      "(uniform:64-1024)",
                                      flag, text, least));
    };
    if (!text.starts_with("uniform:")) throw fail();
    const std::string_view range = text.substr(8);
    const auto dash = range.find('-');
    if (dash == std::string_view::npos) throw fail();
    const auto lo = whole_number(range.substr(0, dash)), hi = whole_number(range.substr(dash + 1));
    if (!lo || !hi || *lo < least || *hi < *lo || *hi > 1'000'000) throw fail();
    return {*lo, *hi};
}

bool Slo::met(std::optional<double> ttft, std::optional<double> tpot, double e2e) const {
    if (ttft_ms && (!ttft || *ttft > *ttft_ms)) return false;
    if (tpot_ms && tpot && *tpot > *tpot_ms) return false; // one output token has no time per output token
    if (e2e_ms && e2e > *e2e_ms) return false;
    return true;
}

std::string Slo::text() const {
    std::vector<std::string> parts;
    if (ttft_ms) parts.push_back(fmt::format("ttft={}ms", *ttft_ms));
    if (tpot_ms) parts.push_back(fmt::format("tpot={}ms", *tpot_ms));
    if (e2e_ms) parts.push_back(fmt::format("e2e={}ms", *e2e_ms));
    return fmt::format("{}", fmt::join(parts, ","));
}

Slo parse_slo(std::string_view text, std::string_view flag) {
    Slo slo;
    for (const std::string& part : split(text, ",")) {
        const auto equals = part.find('=');
        const std::string_view what = std::string_view(part).substr(0, equals);
        const auto value = equals == std::string::npos ? std::nullopt : milliseconds(part.substr(equals + 1));
        std::optional<double>* bound = what == "ttft"   ? &slo.ttft_ms
                                       : what == "tpot" ? &slo.tpot_ms
                                       : what == "e2e"  ? &slo.e2e_ms
                                                        : nullptr;
        if (!bound || !value)
            throw UsageError(fmt::format("{}: '{}' is not a bound; write ttft=, tpot= or e2e= with a time in ms or s, "
                                         "comma separated (ttft=500ms,tpot=50ms)",
                                         flag, part));
        if (*bound)
            throw UsageError(fmt::format("{}: {} is bounded twice; give each of ttft, tpot and e2e once", flag, what));
        *bound = value;
    }
    return slo;
}

std::string_view name(Api api) { return api == Api::llama ? "llama" : "openai"; }

Api parse_api(std::string_view text) {
    return parse_choice(
        text, std::array<std::pair<std::string_view, Api>, 2>{{{"llama", Api::llama}, {"openai", Api::openai}}},
        "--api");
}

} // namespace llmsweep::domain
