#include "report/writers.hpp"

#include "core/error.hpp"
#include "core/escape.hpp"
#include "report/strings.hpp"
#include "report/tables.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <array>
#include <cmath>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <unistd.h>

namespace llmsweep::report {
namespace {

// Token counts are whole numbers: [64, 1024], not [64.0, 1024.0].
nlohmann::json integer_range(const analysis::Range& r) {
    return {static_cast<int64_t>(std::llround(r.min)), static_cast<int64_t>(std::llround(r.max))};
}

using escape::csv;
using escape::markdown;

} // namespace

std::string to_csv(const Table& table) {
    std::string out;
    auto line = [&](const std::vector<std::string>& cells) {
        for (size_t i = 0; i < cells.size(); ++i) out += (i ? "," : "") + csv(cells[i]);
        out += "\r\n";
    };
    line(table.header());
    for (const auto& row : table.rows()) line(row);
    return out;
}

std::string raw_csv(const ReportModel& m) {
    std::string csv;
    write_raw_csv(m.data, [&](std::string_view piece) { csv += piece; });
    return csv;
}

void write_raw_csv(const analysis::Dataset& data, const std::function<void(std::string_view)>& sink) {
    constexpr size_t piece = size_t{1} << 20;
    std::string out = "model,metric,status";
    for (const auto& p : analysis::parameter_names())
        if (p != "model") out += "," + p; // the first column
    out += ",avg_ts,stddev_ts,cv_percent,repetitions,error\r\n";
    // A value is escaped once, where it first comes: records share their values (numbered by the dataset).
    std::vector<std::optional<std::string>> cells(data.values->size());
    const size_t model = analysis::parameter_index("model"), parameters = analysis::parameter_list().size();
    // The record's own texts (views into the dataset's table): neighbours mostly share them.
    struct Escaped {
        std::string_view text;
        std::string cell;
    };
    std::array<Escaped, 4> last; // model, metric, status, error
    const auto escaped = [](Escaped& last, std::string_view text) -> const std::string& {
        if (text.data() != last.text.data() || text.size() != last.text.size() || last.cell.empty())
            last = {text, csv(text)};
        return last.cell;
    };
    const auto number = [&out](double x) {
        if (std::isfinite(x)) fmt::format_to(std::back_inserter(out), "{:.7g}", x);
        out += ',';
    };
    for (const auto& r : data.records) {
        out.append(escaped(last[0], r.model)).append(",").append(escaped(last[1], r.metric)).append(",");
        out.append(escaped(last[2], r.status));
        for (size_t i = 0; i < parameters; ++i) {
            if (i == model) continue;
            auto& cell = cells[r.params.id(i)];
            if (!cell) cell = csv(*r.params.at(i));
            out.append(",").append(*cell);
        }
        // A number that is not one (an impossible figure, left out and said in the error) is an empty cell. Seven
        // significant digits, finer than any timer resolves a throughput: the digits beyond them are noise that
        // no compressor shrinks (a million results: raw.csv.gz 22 MB instead of 38.5).
        out += ',';
        number(r.avg_ts);
        number(r.stddev_ts);
        number(r.cv_percent());
        fmt::format_to(std::back_inserter(out), "{},", r.repetitions);
        out.append(escaped(last[3], r.error)).append("\r\n");
        if (out.size() >= piece) sink(out), out.clear();
    }
    sink(out);
}

std::string to_markdown(const Table& table) {
    std::string out;
    auto line = [&](const std::vector<std::string>& cells) {
        out += "|";
        for (const auto& cell : cells) out += " " + escape::markdown_cell(cell) + " |";
        out += "\n";
    };
    line(table.header());
    out += "|";
    for (size_t i = 0; i < table.header().size(); ++i) out += "---|";
    out += "\n";
    for (const auto& row : table.rows()) line(row);
    return out;
}

std::string render_markdown(const Document& document) {
    std::string md;
    for (const Block& b : document) {
        switch (b.kind) {
        case Block::Kind::heading: md += fmt::format("{} {}\n\n", std::string(b.level, '#'), markdown(b.text)); break;
        case Block::Kind::paragraph: md += markdown(b.text) + "\n\n"; break;
        case Block::Kind::list:
            for (const auto& item : b.items) {
                md += "- " + markdown(item.text) + "\n";
                for (const auto& child : item.children) md += "  - " + markdown(child) + "\n";
            }
            md += "\n";
            break;
        case Block::Kind::table: md += to_markdown(*b.table) + "\n"; break;
        case Block::Kind::figure: {
            md += fmt::format("![{}]({}.png)\n\n", markdown(b.text), b.stem);
            if (!b.caption.empty()) md += fmt::format("{}\n\n", markdown(b.caption));
            std::vector<std::string> links;
            for (const auto& [href, text] : b.links) links.push_back(fmt::format("[{}]({})", markdown(text), href));
            md += fmt::format("{}\n\n", fmt::join(links, " · "));
            break;
        }
        case Block::Kind::links:
            for (const auto& [href, text] : b.links) md += fmt::format("- [{}]({})\n", markdown(text), href);
            md += "\n";
            break;
        }
    }
    return md;
}

std::string markdown_report(const ReportModel& m, std::string_view language, const ChartLinks& charts) {
    return render_markdown(build_document(m, language, charts));
}

std::string json_report(const ReportModel& m) {
    using nlohmann::json;
    json summaries = json::array(), comparisons = json::array(), loads = json::array(), latencies = json::array(),
         counts = json::array(), runs = json::array(), not_ok = json::array(), high_cv = json::array();
    for (const auto& c : m.counts)
        counts.push_back({{"value", c.value}, {"model", c.model}, {"metric", c.metric}, {"results", c.records}});
    summaries = json_rows(summary_columns(m, strings("en")), m.summaries);
    comparisons = json_rows(comparison_columns(m, strings("en")), m.comparisons);
    loads = json_rows(loads_columns(m, strings("en")), m.loads);
    latencies = json_rows(latency_columns(m, strings("en")), m.latencies);
    auto point = [&](const analysis::Record* r) {
        json parameters = json::object();
        r->params.for_each(
            [&](std::string_view name, const std::string& value) { parameters[std::string(name)] = value; });
        json point{{"model", r->model},
                   {"metric", r->metric},
                   {"status", r->status},
                   {"parameters", parameters},
                   {"cv_percent", r->cv_percent()}};
        if (!r->error.empty()) point["error"] = r->error;
        return point;
    };
    json huge_pages_differ = json::array(), busy_visits = json::array();
    for (const auto& d : m.huge_pages_differ) {
        json used = json::object();
        for (const auto& [value, states] : d.used) used[value] = states;
        huge_pages_differ.push_back({{"model", d.model}, {"huge_pages_used", used}});
    }
    for (const auto& v : m.busy_visits)
        busy_visits.push_back({{"model", v.model},
                               {"value", v.value},
                               {"run", v.run_id},
                               {"round", v.round},
                               {"other_cpu_cores", v.other_cpu_cores},
                               {"steal_percent", v.steal_percent},
                               {"load_average", v.load_average}});
    for (const auto* r : m.not_ok) not_ok.push_back(point(r));
    for (const auto* r : m.high_cv) high_cv.push_back(point(r));
    for (const auto& r : m.runs) {
        json stops = json::object();
        for (const auto& stop : r.stops)
            stops[stop.reason] = {{"results", stop.results},
                                  {"repetitions", {stop.min_repetitions, stop.max_repetitions}}};
        const auto optional = [](const auto& v) { return v ? json(*v) : json(nullptr); };
        runs.push_back({{"id", r.id},
                        {"mode", r.mode},
                        {"order", r.order},
                        {"started_at", r.started_at},
                        {"repetitions", r.repetitions},
                        {"max_repetitions", optional(r.max_repetitions)},
                        {"target_ci_percent", optional(r.target_ci_pct)},
                        {"decide", r.decide.empty() ? json(nullptr) : json(r.decide)},
                        {"margin_percent", optional(r.margin_pct)},
                        {"stop_reasons", stops},
                        {"warmup", r.warmup},
                        {"build_commit", r.build_commit},
                        {"backends", r.backends},
                        {"cpu", r.cpu_info},
                        {"os", r.os}});
    }
    json roofline = {{"measured", m.roofline_measured},
                     {"machines", json::array()},
                     {"groups", json::array()},
                     {"models_without_profile", m.roofline.models_without_profile},
                     {"fit_in_cache", m.roofline.fit_in_cache},
                     {"offloaded", m.roofline.offloaded},
                     {"other_build", m.roofline.other_build}};
    roofline["machines"] = json_rows(machine_columns(strings("en")), machine_rows(m));
    for (const auto& [host, threads] : m.roofline.without_machine)
        roofline["without_machine"].push_back({{"host", host}, {"threads", threads}});
    roofline["groups"] = json_rows(roofline_columns(m, strings("en")), m.roofline.groups);
    const auto optional = [](const std::optional<double>& v) { return v ? json(*v) : json(nullptr); };
    json serving = {{"slo", m.serving.slo.text()},
                    {"slo_share", analysis::slo_share},
                    {"points", json::array()},
                    {"capacities", json::array()},
                    {"single_stream", json::array()}};
    serving["points"] = json_rows(serving_columns(m, strings("en")), m.serving.points);
    for (const auto& c : m.serving.capacities)
        serving["capacities"].push_back({{"model", c.model},
                                         {"value", c.value},
                                         {"loop", c.open_loop ? "open" : "closed"},
                                         {"highest_load", optional(c.load)},
                                         {"goodput", c.goodput}});
    for (const auto& c : m.serving.single_stream)
        serving["single_stream"].push_back({{"model", c.model},
                                            {"value", c.value},
                                            {param::n_prompt, c.n_prompt},
                                            {param::n_gen, c.n_gen},
                                            {"native_mode", c.native_mode},
                                            {"server_tps", c.server_tps},
                                            {"native_tps", c.native_tps},
                                            {"server_repetitions", c.server_repetitions},
                                            {"native_repetitions", c.native_repetitions},
                                            {"difference_pct", c.difference_pct},
                                            {"low_pct", optional(c.low_pct)},
                                            {"high_pct", optional(c.high_pct)}});
    const json report = {{"source", m.source},
                         {"generated_at", m.generated_at},
                         {"compare", m.compare},
                         {"values", m.values},
                         {"models", m.models},
                         {"metrics", m.metrics},
                         {"results", m.total_records()},
                         {param::n_prompt, integer_range(m.n_prompt)},
                         {param::n_gen, integer_range(m.n_gen)},
                         {"counts", counts},
                         {"summaries", summaries},
                         {"comparisons", comparisons},
                         {"loads", loads},
                         {"latencies", latencies},
                         {"roofline", roofline},
                         {"serving", serving},
                         {"vision", json_rows(vision_columns(m, strings("en")), m.vision)},
                         {"warnings",
                          {{"cv_threshold_percent", m.cv_warning_percent},
                           {"high_cv_count", m.high_cv_count},
                           {"high_cv_worst", high_cv},
                           {"not_ok_count", m.not_ok_count},
                           {"not_ok_first", not_ok},
                           {"huge_pages_differ", huge_pages_differ},
                           {"busy_visits", busy_visits}}},
                         {"runs", runs}};
    // Invalid UTF-8 in a name (a file name from another system) is replaced, not an error.
    return report.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::map<std::string, std::string> render(const ReportModel& m, std::string_view language,
                                          const std::vector<std::string>& formats, const ChartLinks& charts) {
    std::map<std::string, std::string> files;
    for (const auto& format : formats) {
        if (format == "md") {
            files["report.md"] = markdown_report(m, language, charts);
        } else if (format == "csv") {
            files["summary.csv"] = to_csv(csv_table(summary_columns(m, strings("en")), m.summaries));
            files["difference.csv"] = to_csv(csv_table(comparison_columns(m, strings("en")), m.comparisons));
            if (!m.roofline.points.empty()) files["roofline.csv"] = to_csv(roofline_csv_table(m));
            if (!m.loads.empty()) files["loads.csv"] = to_csv(csv_table(loads_columns(m, strings("en")), m.loads));
            if (!m.serving.points.empty())
                files["serving.csv"] = to_csv(csv_table(serving_columns(m, strings("en")), m.serving.points));
            if (!m.vision.empty()) files["vision.csv"] = to_csv(csv_table(vision_columns(m, strings("en")), m.vision));
        } else if (format == "json") {
            files["report.json"] = json_report(m);
        } else {
            throw UsageError(fmt::format("unknown report format '{}'; choose from md, html, csv, json", format));
        }
    }
    return files;
}

} // namespace llmsweep::report
