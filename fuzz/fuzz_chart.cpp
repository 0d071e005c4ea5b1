// The chart writer (chart/gnuplot.cpp) on figures whose every text is arbitrary bytes: a gnuplot script whose
// structure does not depend on the text (every string literal of it blanked, it equals the script of the same
// figure with empty texts), literals made only of plain bytes and octal escapes, data files of numbers and
// one-line comments, and file names that are safe stems. A violation aborts, which libFuzzer reports.

#include "chart/figure.hpp"
#include "chart/gnuplot.hpp"
#include "core/escape.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <sstream>
#include <string>

namespace {

using namespace llmsweep::chart;

// A property that failed: says which line of this file checked it, then aborts (libFuzzer keeps the input).
void check(bool ok, int line = __builtin_LINE()) {
    if (ok) return;
    std::fprintf(stderr, "fuzz_chart.cpp:%d: check failed\n", line);
    std::abort();
}

// The script with each "..." literal's content removed; checks each literal on the way.
std::string blank_literals(const std::string& script) {
    std::string out;
    for (size_t i = 0; i < script.size(); ++i) {
        out += script[i];
        if (script[i] != '"') continue;
        for (++i; i < script.size() && script[i] != '"'; ++i) {
            const auto c = static_cast<unsigned char>(script[i]);
            check(c >= 0x20 && c < 0x7F && c != '`' && c != '@' && c != '$' && c != '\'');
            if (c == '\\') {
                check(i + 3 < script.size());
                for (int k = 1; k <= 3; ++k) check(script[i + k] >= '0' && script[i + k] <= '7');
                i += 3;
            }
        }
        check(i < script.size()); // every literal is closed
        out += '"';
    }
    return out;
}

template <typename F>
void each_text(Figure& f, F change) {
    change(f.title), change(f.xlabel), change(f.ylabel), change(f.color_label);
    for (auto& [x, label] : f.xtics) change(label);
    for (auto& [y, label] : f.ytics) change(label);
    if (f.diagonal) change(*f.diagonal);
    for (auto& s : f.series) change(s.title);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    FuzzedDataProvider in(data, size);
    auto text = [&] { return in.ConsumeRandomLengthString(300); };
    auto number = [&] {
        switch (in.ConsumeIntegralInRange(0, 7)) {
        case 0: return std::numeric_limits<double>::quiet_NaN();
        case 1: return std::numeric_limits<double>::infinity();
        case 2: return -1e308;
        default: return in.ConsumeFloatingPoint<double>();
        }
    };
    Figure figure;
    const std::string name = text();
    figure.stem = safe_stem(name);
    check(safe_stem(figure.stem) == figure.stem && !figure.stem.empty() && figure.stem.size() <= 80);
    check(figure.stem.front() != '-' && figure.stem.front() != '.');
    figure.title = text(), figure.xlabel = text(), figure.ylabel = text(), figure.color_label = text();
    figure.y_from_zero = in.ConsumeBool(), figure.key = in.ConsumeBool(), figure.log_xy = in.ConsumeBool();
    if (in.ConsumeBool()) figure.diagonal = text();
    for (int t = in.ConsumeIntegralInRange(0, 3); t > 0; --t) figure.xtics.emplace_back(number(), text());
    for (int t = in.ConsumeIntegralInRange(0, 3); t > 0; --t) figure.ytics.emplace_back(number(), text());
    for (int s = in.ConsumeIntegralInRange(0, 4); s > 0; --s) {
        Series series{.title = text(), .style = static_cast<Series::Style>(in.ConsumeIntegralInRange(0, 4))};
        for (int k = in.ConsumeIntegralInRange(0, 4); k > 0; --k)
            series.points.push_back(
                {number(), number(), in.ConsumeBool() ? std::optional<double>(number()) : std::nullopt});
        figure.series.push_back(std::move(series));
    }

    const GnuplotFiles files = to_gnuplot(figure);
    Figure plain = figure;
    // Each text as as many x's as it has characters (layout may follow a text's length: long tic labels turn).
    each_text(plain, [](std::string& t) {
        size_t characters = 0;
        for (const char c : llmsweep::escape::valid_utf8(t)) characters += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
        t = std::string(t.empty() ? 0 : std::max<size_t>(characters, 1), 'x'); // a title stays a title
    });
    // Texts decide nothing but the contents of literals (and whether a series has a title at all), and the numbers
    // of the layout (a key as wide as its longest title): the commands, with every literal and number blanked,
    // are the same.
    const auto commands = [](const std::string& script) {
        std::string out;
        for (const char c : blank_literals(script))
            if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.') || out.empty() || out.back() != '0')
                out += std::isdigit(static_cast<unsigned char>(c)) || c == '.' ? '0' : c;
        // Whether tic labels turn is layout too (long labels turn).
        for (const std::string turned : {"norotate", "rotate by -0"})
            for (size_t at; (at = out.find(turned)) != std::string::npos;) out.replace(at, turned.size(), "R");
        return out;
    };
    check(commands(files.script) == commands(to_gnuplot(plain).script));

    std::istringstream lines(files.data);
    for (std::string line; std::getline(lines, line);) {
        for (const char c : line) check(static_cast<unsigned char>(c) >= 0x20 || c == '\t');
        if (line.empty()) continue;
        if (line[0] == '#') {
            const auto quote = line.find('"');
            check(quote != std::string::npos && line.back() == '"');
            blank_literals(line.substr(quote));
            continue;
        }
        std::istringstream numbers(line);
        for (std::string field; numbers >> field;) {
            char* end = nullptr;
            std::strtod(field.c_str(), &end);
            check(end && *end == '\0');
        }
    }
    return 0;
}
