#include "report/tables.hpp"

#include "report/cells.hpp"

#include <fmt/format.h>

#include <cctype>
#include <filesystem>

// The tables of server mode and of vision-language models, each described once (tables.hpp).
namespace llmsweep::report {
using namespace cells;

std::string load_text(bool open_loop, double load, const Strings& s) {
    return fmt::format("{} {}", load, open_loop ? s.per_second : load == 1 ? s.client : s.clients);
}

std::string image_text(const analysis::ServingPoint& p, const Strings& s) {
    if (!p.has_image()) return "";
    const std::string one = p.image.empty() ? fmt::format(fmt::runtime(s.image_px), p.image_size)
                                            : std::filesystem::path(p.image).filename().string();
    return p.images > 1 ? fmt::format("{} × {}", p.images, one) : one;
}

namespace {

using Point = analysis::ServingPoint;

// A latency's column: "TTFT p95 ms" for people, ttft_p95_ms for programs.
Column<Point> latency(std::string_view measure, std::string_view stat, std::string_view stat_shown,
                      std::optional<double> Point::*member) {
    std::string key = fmt::format("{}_{}_ms", measure, stat);
    for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return optional_column<Point>(key, fmt::format("{} {} ms", measure, stat_shown), member, 1);
}

} // namespace

Columns<Point> serving_load_columns(const ReportModel& m, const Strings& s) {
    Columns<Point> columns = {
        text_column<Point>("model", std::string(s.model), &Point::model),
        {m.compare, m.compare, [](const Point& p) { return p.value; }, [](const Point& p) { return p.value; }, "value"},
    };
    // The images a request began with, where any did: "2 x 512 px", a file's name, or none.
    const auto& points = m.serving.points;
    if (std::any_of(points.begin(), points.end(), [](const Point& p) { return p.has_image(); })) {
        const Strings* words = &s;
        columns.insert(columns.end(),
                       {{std::string(param::image), std::string(s.image),
                         [words](const Point& p) { return p.has_image() ? image_text(p, *words) : "-"; },
                         [](const Point& p) { return p.image; }},
                        {std::string(param::image_size), "", {}, [](const Point& p) { return p.image_size; }},
                        {std::string(param::images), "", {}, [](const Point& p) { return p.images; }}});
    }
    columns.insert(columns.end(),
                   {{"loop", std::string(s.load), [&s](const Point& p) { return load_text(p.open_loop, p.load, s); },
                     [](const Point& p) { return p.open_loop ? "open" : "closed"; }},
                    {"load", "", {}, [](const Point& p) { return p.load; }}});
    return columns;
}

Columns<Point> serving_throughput_columns(const Strings& s) {
    return {
        count_column<Point>("requests", std::string(s.requests), &Point::requests),
        count_column<Point>("failed", std::string(s.failed_requests), &Point::failed),
        figure_column<Point>("request_rate", std::string(s.request_rate), &Point::request_rate, 2),
        figure_column<Point>("output_tps", std::string(s.output_tps), &Point::output_tps, 1),
        {"slo_met", std::string(s.slo_met), [](const Point& p) { return fixed(100 * p.slo_met, 1); },
         [](const Point& p) { return p.slo_met; }},
        figure_column<Point>("goodput", std::string(s.goodput), &Point::goodput, 2),
        {"pareto", std::string(s.pareto), [](const Point& p) { return p.pareto ? "✓" : ""; },
         [](const Point& p) { return p.pareto; }},
    };
}

Columns<Point> serving_latency_columns(const Strings& s) {
    Columns<Point> columns;
    const std::string_view mean = s.latency_mean;
    for (const auto& [measure, members] :
         {std::pair{"TTFT", std::array{&Point::ttft_mean, &Point::ttft_p50, &Point::ttft_p90, &Point::ttft_p95,
                                       &Point::ttft_p99}},
          std::pair{"TPOT", std::array{&Point::tpot_mean, &Point::tpot_p50, &Point::tpot_p90, &Point::tpot_p95,
                                       &Point::tpot_p99}},
          std::pair{"E2E", std::array{&Point::e2e_mean, &Point::e2e_p50, &Point::e2e_p90, &Point::e2e_p95,
                                      &Point::e2e_p99}}}) {
        constexpr std::array<std::string_view, 5> stats = {"mean", "p50", "p90", "p95", "p99"};
        for (size_t i = 0; i < stats.size(); ++i)
            columns.push_back(latency(measure, stats[i], i == 0 ? mean : stats[i], members[i]));
    }
    columns.push_back(latency("ITL", "p50", "p50", &Point::itl_p50));
    columns.push_back(latency("ITL", "p99", "p99", &Point::itl_p99));
    columns.push_back(
        optional_column<Point>("server_prompt_p50_ms", std::string(s.server_prompt_p50), &Point::server_prompt_p50, 1));
    columns.push_back(
        optional_column<Point>("server_gen_p50_ms", std::string(s.server_gen_p50), &Point::server_gen_p50, 1));
    return columns;
}

Columns<Point> serving_columns(const ReportModel& m, const Strings& s) {
    return joined(joined(serving_load_columns(m, s), serving_throughput_columns(s)), serving_latency_columns(s));
}

namespace {

// The load columns people read (the load's "4 clients" says the loop too).
Columns<Point> shown_load_columns(const ReportModel& m, const Strings& s) { return serving_load_columns(m, s); }

} // namespace

Columns<analysis::VisionPoint> vision_columns(const ReportModel& m, const Strings& s) {
    using V = analysis::VisionPoint;
    Columns<V> columns{text_column<V>("model", std::string(s.model), &V::model)};
    if (m.compares())
        columns.push_back(
            {m.compare, m.compare, [](const V& v) { return v.value; }, [](const V& v) { return v.value; }, "value"});
    if (std::any_of(m.vision.begin(), m.vision.end(), [](const V& v) { return !v.settings.empty(); }))
        columns.push_back(text_column<V>("settings", std::string(s.settings), &V::settings));
    const Strings* words = &s;
    const bool several = std::any_of(m.vision.begin(), m.vision.end(), [](const V& v) { return v.per_request > 1; });
    columns.insert(columns.end(),
                   {
                       {std::string(param::image), std::string(s.image),
                        [words](const V& v) {
                            return v.image.empty() ? fmt::format(fmt::runtime(words->image_px), v.image_size)
                                                   : std::filesystem::path(v.image).filename().string();
                        },
                        [](const V& v) { return v.image; }},
                       {std::string(param::image_size), "", {}, [](const V& v) { return v.image_size; }},
                       {"per_request", several ? std::string(s.images_per_request) : "",
                        several ? std::function([](const V& v) { return std::to_string(v.per_request); })
                                : std::function<std::string(const V&)>(),
                        [](const V& v) { return v.per_request; }},
                       count_column<V>(std::string(param::images), std::string(s.images_encoded), &V::images),
                       optional_column<V>("slices", std::string(s.slices_per_image), &V::slices, 1),
                       figure_column<V>("tokens", std::string(s.tokens_per_image), &V::tokens, 0),
                       {"encode_ms", std::string(s.encode_ms),
                        [](const V& v) { return fixed(v.encode_ms, 1) + " ± " + fixed(v.encode_ms_sd, 1); },
                        [](const V& v) { return v.encode_ms; }},
                       {"encode_ms_sd", "", {}, [](const V& v) { return v.encode_ms_sd; }},
                       optional_column<V>("slice_ms", std::string(s.encode_ms_per_slice), &V::slice_ms, 1),
                       figure_column<V>("encode_tps", std::string(s.encode_tps), &V::encode_tps, 1),
                       optional_column<V>("prefill_tps", std::string(s.prefill_tps), &V::prefill_tps, 1),
                   });
    if (std::any_of(m.vision.begin(), m.vision.end(), [](const V& v) { return v.first_image_pct.has_value(); })) {
        columns.push_back({"first_image_pct", std::string(s.first_image_pct),
                           [](const V& v) {
                               return v.first_image_pct && std::isfinite(*v.first_image_pct)
                                          ? fmt::format("{:+.1f}", *v.first_image_pct)
                                          : std::string("-");
                           },
                           [](const V& v) { return optional_number(v.first_image_pct); }});
        columns.push_back({"first_images", "", {}, [](const V& v) { return v.first_images; }});
    }
    return columns;
}

Table vision_table(const ReportModel& m, const Strings& s) { return shown_table(vision_columns(m, s), m.vision); }

Table serving_table(const ReportModel& m, const Strings& s) {
    return shown_table(joined(shown_load_columns(m, s), serving_throughput_columns(s)), m.serving.points);
}

Table serving_latency_table(const ReportModel& m, const Strings& s) {
    return shown_table(joined(shown_load_columns(m, s), serving_latency_columns(s)), m.serving.points);
}

Table capacity_table(const ReportModel& m, const Strings& s) {
    Table t(
        {std::string(s.model), m.compare, std::string(s.load), std::string(s.highest_load), std::string(s.goodput)});
    for (const auto& c : m.serving.capacities)
        t.add({c.model, c.value, std::string(c.open_loop ? s.open_loop : s.closed_loop),
               c.load ? load_text(c.open_loop, *c.load, s) : std::string(s.none_met),
               c.load ? fixed(c.goodput, 2) : "-"});
    return t;
}

Table single_stream_table(const ReportModel& m, const Strings& s) {
    Table t({std::string(s.model), m.compare, std::string(param::n_prompt), std::string(param::n_gen),
             std::string(s.mode), std::string(s.server_stream_tps), std::string(s.native_tg_tps),
             std::string(s.diff_pct), std::string(s.ci95)});
    for (const auto& c : m.serving.single_stream)
        t.add({c.model, c.value, std::to_string(c.n_prompt), std::to_string(c.n_gen), c.native_mode,
               fmt::format("{} (n={})", fixed(c.server_tps, 1), c.server_repetitions),
               fmt::format("{} (n={})", fixed(c.native_tps, 1), c.native_repetitions),
               fmt::format("{:+.1f}", c.difference_pct),
               c.low_pct ? fmt::format("[{:+.1f}, {:+.1f}]", *c.low_pct, *c.high_pct) : "-"});
    return t;
}

} // namespace llmsweep::report
