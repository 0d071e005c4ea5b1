#include "chart/labels.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <vector>

namespace llmsweep::chart {

std::string clipped(const std::string& text, size_t max) {
    size_t points = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue; // inside a code point
        if (points++ == max) return text.substr(0, i) + "…";
    }
    return text;
}

std::string color_of_value(const report::ReportModel& m, const std::string& value) {
    const auto at = std::find(m.values.begin(), m.values.end(), value) - m.values.begin();
    return palette[static_cast<size_t>(at) % std::size(palette)];
}

void label_x_values(Figure& f, const std::set<double>& xs) {
    const std::vector<double> sorted(xs.begin(), xs.end());
    f.log2_x = sorted.size() >= 3 && sorted.front() > 0;
    for (size_t i = 1; f.log2_x && i < sorted.size(); ++i) f.log2_x = sorted[i] == 2 * sorted[i - 1];
    if (f.log2_x || sorted.size() <= 8)
        for (double v : sorted) f.xtics.emplace_back(v, fmt::format("{}", v));
    if (!f.log2_x) f.x_margin = sorted.size() > 1 ? (sorted.back() - sorted.front()) * 0.05 : 0.5;
}

} // namespace llmsweep::chart
