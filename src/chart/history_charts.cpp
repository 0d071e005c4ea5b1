#include "chart/history_charts.hpp"

#include "report/history.hpp"
#include "report/strings.hpp"
#include "report/tables.hpp"

#include <fmt/format.h>

#include <cmath>

namespace llmsweep::chart {
namespace {

Figure timeline(const analysis::History& history, const analysis::HistorySeries& series, std::string_view language) {
    const report::Strings& s = report::strings(language);
    Figure f{.stem = safe_stem(fmt::format("history_{}_{}_{}", series.model, series.metric, series.host)),
             .title = report::series_title(series, history, language)};
    f.width = 640;
    f.ylabel = series.metric + " t/s";
    f.y_from_zero = true;
    f.x_margin = 0.5;
    Series builds{.title = "", .style = Series::Style::error_bars, .color = palette[0]};
    for (size_t i = 0; i < series.builds.size(); ++i) {
        const analysis::HistoryBuild& b = series.builds[i];
        Point p{static_cast<double>(i + 1), b.tps};
        // The interval is of a geometric mean: drawn by its larger half, so that it hides no part of it.
        if (b.low_tps) p.error = std::max(b.tps - *b.low_tps, *b.high_tps - b.tps);
        builds.points.push_back(p);
        f.xtics.emplace_back(static_cast<double>(i + 1), b.build.substr(0, 9));
    }
    // The mean between steps, as a grey line over its builds.
    size_t begin = 0;
    std::string found;
    for (size_t k = 0; k <= series.steps.size(); ++k) {
        const size_t end = k < series.steps.size() ? series.steps[k].after + 1 : series.builds.size();
        double sum = 0;
        for (size_t i = begin; i < end; ++i) sum += series.builds[i].level;
        const double mean = std::exp(sum / static_cast<double>(end - begin));
        f.series.push_back(
            {.title = k == 0 ? std::string(s.history_segment_mean) : "",
             .style = Series::Style::lines,
             .color = "#7f7f7f",
             .points = {{static_cast<double>(begin) + 0.6, mean}, {static_cast<double>(end) + 0.4, mean}}});
        if (k < series.steps.size())
            found += " " +
                     fmt::format(fmt::runtime(s.history_step_line), series.steps[k].from, series.steps[k].to,
                                 report::step_text(series.steps[k]), series.steps[k].builds_before,
                                 series.steps[k].builds_after, series.steps[k].p_value) +
                     ".";
        begin = end;
    }
    f.series.push_back(std::move(builds));
    f.caption = fmt::format(fmt::runtime(s.history_chart_caption), series.model, found);
    return f;
}

} // namespace

std::vector<Figure> history_figures(const analysis::History& history, std::string_view language) {
    std::vector<Figure> all;
    for (const auto& series : history.series) all.push_back(timeline(history, series, language));
    return all;
}

} // namespace llmsweep::chart
