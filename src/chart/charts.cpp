#include "chart/charts.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <map>
#include <unordered_map>

namespace llmsweep::chart {
namespace {

// `text` cut to `max` code points, an ellipsis marking the cut: a tic label of a long model name would run
// over the next ones and off the image.
std::string clipped(const std::string& text, size_t max) {
    size_t points = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue; // inside a code point
        if (points++ == max) return text.substr(0, i) + "…";
    }
    return text;
}

double number(const std::string& text) { return std::strtod(text.c_str(), nullptr); }

// Beyond max_points points a chart shows every k-th, and says so: a scatter of a million points is a blot, and
// its SVG would be hundreds of megabytes.
constexpr size_t max_points = 2000;

Figure comparison_figure(const report::ReportModel& m, const std::string& model, const std::string& metric, bool zh) {
    const std::string& compare = m.compare;
    Figure figure;
    figure.stem = safe_stem(fmt::format("{}_{}_{}_comparison", model, metric, compare));
    // x positions: one per point as the analysis matches them (every parameter but the compared one).
    std::unordered_map<std::string, size_t> labels;
    // value -> (x, record)
    std::map<std::string, std::vector<std::pair<size_t, const analysis::Record*>>> rows;
    for (const auto& value : m.values)
        for (const auto& r : m.data.records) {
            if (r.model != model || r.metric != metric || r.status != "ok" || r.params.at(compare) != value) continue;
            rows[value].emplace_back(labels.emplace(analysis::match_key(r, compare), labels.size()).first->second, &r);
        }
    const size_t stride = std::max<size_t>(1, (labels.size() + max_points - 1) / max_points);
    const std::string sampled = stride <= 1 ? std::string()
                                : zh ? fmt::format(" (每 {} 个点取 1 个, 共 {} 个)", stride, labels.size())
                                     : fmt::format(" (every {}th of {} points)", stride, labels.size());
    figure.title = fmt::format("{} {} — {}{}", model, metric, compare, sampled);

    Panel points{.xlabel = zh ? "数据点" : "point", .ylabel = "tokens/s", .x_margin = 0.5};
    for (size_t v = 0; v < m.values.size(); ++v) {
        Series s{.title = compare + " = " + m.values[v], .style = Series::Style::error_bars};
        for (const auto& [x, r] : rows[m.values[v]])
            if (x % stride == 0)
                s.points.push_back({static_cast<double>(x) + 0.15 * static_cast<double>(v), r->avg_ts, r->stddev_ts});
        points.series.push_back(std::move(s));
    }
    figure.panels.push_back(std::move(points));

    if (m.compares()) { // the pairs the comparisons were computed from: the baseline against each other value
        Panel pairs{.xlabel = compare + " = " + m.baseline + " (tokens/s)",
                    .ylabel = zh ? "其他取值 (tokens/s)" : "other value (tokens/s)",
                    .diagonal = std::string(zh ? "对角线" : "diagonal")};
        for (const auto& c : m.comparisons) {
            if (c.model != model || c.metric != metric) continue;
            Series s{.title = (zh ? "配对: " : "pairs: ") + compare + " = " + c.value};
            for (size_t i = 0; i < c.pairs.size(); i += stride)
                s.points.push_back({c.pairs[i].baseline_ts, c.pairs[i].value_ts});
            pairs.series.push_back(std::move(s));
        }
        figure.panels.push_back(std::move(pairs));
        figure.columns = 2;
        figure.width = 1200;
    }
    return figure;
}

Figure aggregate_figure(const report::ReportModel& m, const std::string& metric) {
    const std::string& compare = m.compare;
    Figure figure{.stem = safe_stem(fmt::format("{}_{}_aggregate", metric, compare)),
                  .title = fmt::format("{} — {}", metric, compare),
                  .width = 1100,
                  .height = 800,
                  .rows = 2,
                  .columns = 2};
    for (const char* axis : {"n_prompt", "n_gen"})
        for (const bool cv : {false, true}) {
            Panel panel{.xlabel = axis, .ylabel = cv ? "CV (%)" : "tokens/s"};
            for (const auto& value : m.values) {
                std::map<double, std::pair<double, size_t>> at; // x -> (sum, count)
                for (const auto& r : m.data.records)
                    if (r.metric == metric && r.status == "ok" && r.params.at(compare) == value) {
                        auto& [sum, count] = at[number(r.params.at(axis))];
                        sum += cv ? r.cv_percent() : r.avg_ts;
                        ++count;
                    }
                Series s{.title = compare + " = " + value, .style = Series::Style::lines_points};
                for (const auto& [x, sum_count] : at)
                    s.points.push_back({x, sum_count.first / static_cast<double>(sum_count.second)});
                panel.series.push_back(std::move(s));
            }
            figure.panels.push_back(std::move(panel));
        }
    return figure;
}

Figure loads_figure(const report::ReportModel& m, bool zh) {
    Figure figure{.stem = safe_stem(fmt::format("loads_{}", m.compare)),
                  .title = zh ? "加载耗时与内存" : "load time and memory",
                  .width = 1100,
                  .columns = 2};
    Panel time{.ylabel = zh ? "加载耗时 (ms)" : "load time (ms)", .y_from_zero = true, .key = false, .x_margin = 0.5};
    Panel rss{.ylabel = zh ? "峰值 RSS (MiB)" : "peak RSS (MiB)", .y_from_zero = true, .key = false, .x_margin = 0.5};
    Series times{.style = Series::Style::boxes}, bars{.style = Series::Style::error_bars},
        sizes{.style = Series::Style::boxes};
    for (size_t i = 0; i < m.loads.size(); ++i) {
        const auto& l = m.loads[i];
        const double x = static_cast<double>(i);
        const std::string label = fmt::format("{} {} {}", clipped(l.model, 24), l.value, l.cache_state);
        time.xtics.emplace_back(x, label);
        rss.xtics.emplace_back(x, label);
        if (l.load_ms_mean) { // llama-bench's loads are not timed
            times.points.push_back({x, *l.load_ms_mean});
            bars.points.push_back({x, *l.load_ms_mean, l.load_ms_sd});
        }
        sizes.points.push_back({x, l.rss_peak_mib_mean});
    }
    // A panel needs points: llama-bench's loads have no load time (and imported ones no memory either).
    const bool timed = !times.points.empty();
    const bool measured = std::any_of(sizes.points.begin(), sizes.points.end(), [](const auto& p) { return p.y > 0; });
    time.series = {std::move(times), std::move(bars)};
    rss.series = {std::move(sizes)};
    if (timed) figure.panels.push_back(std::move(time));
    if (measured) figure.panels.push_back(std::move(rss));
    if (!timed) figure.title = zh ? "峰值内存" : "peak memory";
    figure.columns = static_cast<int>(std::max<size_t>(figure.panels.size(), 1));
    return figure;
}

} // namespace

ReportCharts report_charts(const report::ReportModel& m, std::string_view language) {
    const bool zh = language == "zh";
    std::vector<Figure> all;
    for (const auto& model : m.models)
        for (const auto& metric : m.metrics) all.push_back(comparison_figure(m, model, metric, zh));
    for (const auto& metric : m.metrics) all.push_back(aggregate_figure(m, metric));
    if (!m.loads.empty()) all.push_back(loads_figure(m, zh));
    ReportCharts out;
    for (auto& figure : all) {
        if (figure.has_points()) out.figures.push_back(std::move(figure));
        else out.left_out.push_back(figure.title);
    }
    return out;
}

} // namespace llmsweep::chart
