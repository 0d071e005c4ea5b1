#include "chart/serving_charts.hpp"

#include "chart/labels.hpp"
#include "report/strings.hpp"
#include "report/tables.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

namespace llmsweep::chart {
namespace {

// What a serving figure is drawn from: the report, and its language.
struct ServingContext {
    const report::ReportModel& m;
    const report::Strings& s;
};

// Server mode, per model and loop kind: a figure of each compared value's points along the load (clients or
// requests per second), `y` the figure shown (output t/s, p99 TTFT).
Figure serving_load_figure(const ServingContext& x, const std::string& model, bool open_loop, bool latency) {
    const auto& m = x.m;
    const std::string axis = std::string(open_loop ? x.s.per_second : x.s.clients);
    Figure f{.stem = safe_stem(fmt::format("serving_{}_{}_{}", model, latency ? "ttft" : "throughput",
                                           open_loop ? param::rate : param::concurrency)),
             .title = fmt::format(fmt::runtime(latency ? x.s.serving_latency_title : x.s.serving_throughput_title),
                                  clipped(model, 28), open_loop ? param::rate : param::concurrency)};
    f.xlabel = axis;
    f.ylabel = latency ? std::string(x.s.ttft_p99) : "tokens/s";
    f.y_from_zero = true;
    std::set<double> xs;
    for (const auto& value : m.values) {
        // A line per value and images the requests began with (the points are sorted by them): the value's colour
        // for the first, gnuplot's own for the others.
        std::vector<std::string> images;
        for (const analysis::ServingPoint& p : m.serving.points)
            if (p.model == model && p.open_loop == open_loop && p.value == value &&
                std::find(images.begin(), images.end(), report::image_text(p, x.s)) == images.end())
                images.push_back(report::image_text(p, x.s));
        for (const std::string& image : images) {
            Series s{.title = m.compare + " = " + value + (image.empty() ? "" : " · " + image),
                     .style = Series::Style::lines_points,
                     .color = image == images.front() ? color_of_value(m, value) : ""};
            for (const analysis::ServingPoint& p : m.serving.points) {
                if (p.model != model || p.open_loop != open_loop || p.value != value) continue;
                if (report::image_text(p, x.s) != image || (latency && !p.ttft_p99)) continue;
                s.points.push_back({p.load, latency ? *p.ttft_p99 : p.output_tps});
                xs.insert(p.load);
            }
            if (!s.points.empty()) f.series.push_back(std::move(s));
        }
    }
    label_x_values(f, xs);
    // What it found: where each line stops growing (throughput) or where the tail latency jumps.
    std::string found;
    for (const Series& s : f.series) {
        if (s.points.size() < 2) continue;
        const auto best = std::max_element(s.points.begin(), s.points.end(),
                                           [](const Point& a, const Point& b) { return a.y < b.y; });
        found += latency ? fmt::format(fmt::runtime(x.s.chart_latency_at), s.title, s.points.back().y,
                                       report::load_text(open_loop, s.points.back().x, x.s))
                         : fmt::format(fmt::runtime(x.s.chart_throughput_best), s.title, best->y,
                                       report::load_text(open_loop, best->x, x.s));
    }
    f.caption =
        fmt::format(fmt::runtime(x.s.chart_serving_caption), model, open_loop ? x.s.open_loop : x.s.closed_loop,
                    latency ? x.s.chart_serving_latency_what : x.s.chart_serving_throughput_what, m.compare, found);
    return f;
}

// Server mode, per model: every load by its throughput (x) and p99 TTFT (y), one colour per compared value, and
// the Pareto front drawn through the loads no other beats on both.
Figure serving_pareto_figure(const ServingContext& x, const std::string& model) {
    const auto& m = x.m;
    Figure f{.stem = safe_stem(fmt::format("serving_{}_pareto", model)),
             .title = fmt::format(fmt::runtime(x.s.serving_pareto_title), clipped(model, 28))};
    f.xlabel = "tokens/s";
    f.ylabel = std::string(x.s.ttft_p99);
    f.y_from_zero = true;
    // A front per images the requests began with (a request with an image is other work than one without), a
    // series per value and images.
    std::vector<std::string> images;
    for (const analysis::ServingPoint& p : m.serving.points)
        if (p.model == model && std::find(images.begin(), images.end(), report::image_text(p, x.s)) == images.end())
            images.push_back(report::image_text(p, x.s));
    std::vector<Series> fronts;
    for (const std::string& image : images) {
        Series front{.title = fronts.empty() ? std::string(x.s.pareto_front) : "",
                     .style = Series::Style::lines,
                     .color = "#7f7f7f"};
        for (const auto& value : m.values) {
            Series s{.title = m.compare + " = " + value + (image.empty() ? "" : " · " + image),
                     .style = Series::Style::points,
                     .color = image == images.front() ? color_of_value(m, value) : ""};
            for (const analysis::ServingPoint& p : m.serving.points) {
                if (p.model != model || p.value != value || !p.ttft_p99 || report::image_text(p, x.s) != image)
                    continue;
                s.points.push_back({p.output_tps, *p.ttft_p99});
                if (p.pareto) front.points.push_back({p.output_tps, *p.ttft_p99});
            }
            if (!s.points.empty()) f.series.push_back(std::move(s));
        }
        std::sort(front.points.begin(), front.points.end(), [](const Point& a, const Point& b) { return a.x < b.x; });
        fronts.push_back(std::move(front));
    }
    double low = INFINITY, high = -INFINITY;
    for (const Series& s : f.series)
        for (const Point& p : s.points) low = std::min(low, p.x), high = std::max(high, p.x);
    f.x_margin = high > low ? (high - low) * 0.05 : 1;
    size_t on_front = 0, lines = 0;
    for (Series& front : fronts) {
        on_front += front.points.size();
        if (front.points.size() > 1) f.series.push_back(std::move(front)), ++lines;
    }
    // A front of one load draws no line, and the caption does not speak of one.
    f.caption = fmt::format(fmt::runtime(lines ? x.s.chart_pareto_caption : x.s.chart_pareto_caption_unjoined), model,
                            on_front);
    return f;
}

} // namespace

std::vector<Figure> serving_figures(const report::ReportModel& m, std::string_view language) {
    const ServingContext x{m, report::strings(language)};
    std::vector<Figure> all;
    for (const auto& model : m.models) {
        for (const bool open_loop : {false, true}) {
            std::set<double> loads;
            for (const auto& p : m.serving.points)
                if (p.model == model && p.open_loop == open_loop) loads.insert(p.load);
            if (loads.size() < 2) continue; // one load has no trend
            all.push_back(serving_load_figure(x, model, open_loop, false));
            all.push_back(serving_load_figure(x, model, open_loop, true));
        }
        if (std::count_if(m.serving.points.begin(), m.serving.points.end(),
                          [&](const auto& p) { return p.model == model; }) > 1)
            all.push_back(serving_pareto_figure(x, model));
    }
    return all;
}

} // namespace llmsweep::chart
