#include "chart/vision_charts.hpp"

#include "chart/labels.hpp"
#include "report/strings.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <tuple>

namespace llmsweep::chart {
namespace {

// Per model: each compared value's (and setting's) encode time per image at every synthetic image size, with
// the repetitions' sd; the caption says what the largest size cost, per image and per slice.
Figure encode_figure(const report::ReportModel& m, const report::Strings& s, const std::string& model) {
    Figure f{.stem = safe_stem(fmt::format("vision_{}_encode", model)),
             .title = fmt::format(fmt::runtime(s.vision_chart_title), clipped(model, 28))};
    f.xlabel = std::string(s.vision_chart_xlabel);
    f.ylabel = std::string(s.vision_chart_ylabel);
    f.y_from_zero = true;
    std::set<double> sizes;
    std::string found;
    // One line per compared value, setting and count of images per request, in the points' order.
    std::vector<std::tuple<std::string, std::string, int64_t>> lines;
    for (const analysis::VisionPoint& p : m.vision)
        if (p.model == model && p.image.empty() &&
            std::find(lines.begin(), lines.end(), std::tuple(p.value, p.settings, p.per_request)) == lines.end())
            lines.emplace_back(p.value, p.settings, p.per_request);
    for (const auto& [value, settings, per_request] : lines) {
        Series line{.title = m.compares() ? m.compare + " = " + value : model,
                    .style = Series::Style::lines_error_bars,
                    .color = color_of_value(m, value)};
        if (!settings.empty()) line.title += ", " + settings;
        if (per_request > 1) line.title += fmt::format(", images={}", per_request);
        const analysis::VisionPoint* largest = nullptr;
        for (const analysis::VisionPoint& p : m.vision) {
            if (p.model != model || !p.image.empty() || p.value != value || p.settings != settings ||
                p.per_request != per_request)
                continue;
            const auto size = static_cast<double>(p.image_size);
            line.points.push_back({size, p.encode_ms, p.encode_ms_sd});
            sizes.insert(size);
            if (!largest || p.image_size > largest->image_size) largest = &p;
        }
        if (largest && largest->slice_ms)
            found += fmt::format(fmt::runtime(s.chart_vision_found), line.title, largest->encode_ms,
                                 largest->image_size, *largest->slice_ms);
        f.series.push_back(std::move(line));
    }
    label_x_values(f, sizes);
    f.caption = fmt::format(fmt::runtime(s.chart_vision_caption), model, m.compares() ? m.compare : "model", found);
    return f;
}

} // namespace

std::vector<Figure> vision_figures(const report::ReportModel& m, std::string_view language) {
    const report::Strings& s = report::strings(language);
    std::vector<Figure> all;
    for (const auto& model : m.models) {
        std::set<int64_t> sizes;
        for (const auto& p : m.vision)
            if (p.model == model && p.image.empty()) sizes.insert(p.image_size);
        if (sizes.size() >= 2) all.push_back(encode_figure(m, s, model)); // one size has no trend
    }
    return all;
}

} // namespace llmsweep::chart
