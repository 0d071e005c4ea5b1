// The chart writer (chart/gnuplot.cpp) on figures whose every text is arbitrary bytes: a gnuplot script whose
// structure does not depend on the text (every string literal of it blanked, it equals the script of the same
// figure with empty texts), literals made only of plain bytes and octal escapes, data files of numbers and
// one-line comments, and file names that are safe stems. A violation aborts, which libFuzzer reports.

#include "chart/figure.hpp"
#include "chart/gnuplot.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstdlib>
#include <limits>
#include <sstream>
#include <string>

namespace {

using namespace llmsweep::chart;

void check(bool ok) {
    if (!ok) std::abort();
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
    change(f.title);
    for (auto& p : f.panels) {
        change(p.title), change(p.xlabel), change(p.ylabel);
        for (auto& [x, label] : p.xtics) change(label);
        if (p.diagonal) change(*p.diagonal);
        for (auto& s : p.series) change(s.title);
    }
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
    figure.title = text();
    figure.rows = in.ConsumeIntegralInRange(1, 3), figure.columns = in.ConsumeIntegralInRange(1, 3);
    for (int p = in.ConsumeIntegralInRange(0, 3); p > 0; --p) {
        Panel panel{.title = text(), .xlabel = text(), .ylabel = text()};
        panel.y_from_zero = in.ConsumeBool(), panel.key = in.ConsumeBool();
        if (in.ConsumeBool()) panel.diagonal = text();
        for (int t = in.ConsumeIntegralInRange(0, 3); t > 0; --t) panel.xtics.emplace_back(number(), text());
        for (int s = in.ConsumeIntegralInRange(0, 3); s > 0; --s) {
            Series series{.title = text(), .style = static_cast<Series::Style>(in.ConsumeIntegralInRange(0, 3))};
            for (int k = in.ConsumeIntegralInRange(0, 4); k > 0; --k)
                series.points.push_back(
                    {number(), number(), in.ConsumeBool() ? std::optional<double>(number()) : std::nullopt});
            panel.series.push_back(std::move(series));
        }
        figure.panels.push_back(std::move(panel));
    }

    const GnuplotFiles files = to_gnuplot(figure);
    Figure plain = figure;
    each_text(plain, [](std::string& t) { t = t.empty() ? "" : "x"; });
    // Texts decide nothing but the contents of literals (and whether a series has a title at all).
    check(blank_literals(files.script) == blank_literals(to_gnuplot(plain).script));

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
