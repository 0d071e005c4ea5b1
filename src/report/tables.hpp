#pragma once
// The report's tables as rows of cells, built once from the report model; the Markdown and CSV writers only
// format them. Every row has exactly as many cells as the header (checked when a row is added).

#include "report/report_model.hpp"
#include "report/strings.hpp"

#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

namespace llmsweep::report {

class Table {
public:
    explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
    // Throws Error if the row's width differs from the header's.
    void add(std::vector<std::string> row);
    const std::vector<std::string>& header() const { return header_; }
    const std::vector<std::vector<std::string>>& rows() const { return rows_; }

private:
    std::vector<std::string> header_;
    std::vector<std::vector<std::string>> rows_;
};

// A table described once: per column its name for programs (CSV header; JSON field, unless `json_key` names it
// otherwise), its heading for people, how a row reads in the report (rounded, in the report's language) and its
// value for programs (full precision; null where absent). The report's Markdown and HTML, its CSV and its JSON
// are all written from the description, so that they cannot drift. A column without `shown` is for programs
// alone, one without `value` for people alone; `only` keeps a value to the one of CSV (flat: an interval's two
// ends) and JSON (nested: the interval as a pair) whose form it has.
enum class Only { no, csv, json };
template <typename Row>
struct Column {
    std::string key, heading;
    std::function<std::string(const Row&)> shown;
    std::function<nlohmann::json(const Row&)> value;
    std::string json_key = {};
    Only only = Only::no;
};
template <typename Row>
using Columns = std::vector<Column<Row>>;

// The columns people read: those a row shows (one without `shown` is for programs alone).
template <typename Row>
Table shown_table(const Columns<Row>& columns, const std::vector<Row>& rows) {
    std::vector<std::string> header;
    for (const auto& c : columns)
        if (c.shown) header.push_back(c.heading);
    Table t(std::move(header));
    for (const Row& row : rows) {
        std::vector<std::string> cells;
        for (const auto& c : columns)
            if (c.shown) cells.push_back(c.shown(row));
        t.add(std::move(cells));
    }
    return t;
}
// A value for CSV: numbers in full precision, booleans 1 or 0, null empty.
std::string csv_value(const nlohmann::json& value);
template <typename Row>
Table csv_table(const Columns<Row>& columns, const std::vector<Row>& rows) {
    std::vector<std::string> header;
    for (const auto& c : columns)
        if (c.value && c.only != Only::json) header.push_back(c.key);
    Table t(std::move(header));
    for (const Row& row : rows) {
        std::vector<std::string> cells;
        for (const auto& c : columns)
            if (c.value && c.only != Only::json) cells.push_back(csv_value(c.value(row)));
        t.add(std::move(cells));
    }
    return t;
}
template <typename Row>
nlohmann::json json_rows(const Columns<Row>& columns, const std::vector<Row>& rows) {
    nlohmann::json all = nlohmann::json::array();
    for (const Row& row : rows) {
        nlohmann::json object = nlohmann::json::object();
        for (const auto& c : columns)
            if (c.value && c.only != Only::csv) object[c.json_key.empty() ? c.key : c.json_key] = c.value(row);
        all.push_back(std::move(object));
    }
    return all;
}
template <typename Row>
Columns<Row> joined(Columns<Row> first, const Columns<Row>& second) {
    first.insert(first.end(), second.begin(), second.end());
    return first;
}

std::string verdict_text(analysis::Verdict verdict, const Strings& s);

// The name of a group of comparisons (analysis::group_of): its model, or "all models" when the models are what
// is compared.
std::string group_label(const std::string& group, const Strings& s);
// The verdict with what qualifies it: the blocks an inconclusive one needs, the verdict without flagged blocks.
std::string verdict_cell(const analysis::PairedComparison& c, const Strings& s);
// The verdict's short name for a comparison: verdict_text, but "one run of each" where separate runs are too few.
std::string verdict_label(const analysis::PairedComparison& c, const Strings& s);
// What a comparison's replicates were: blocks, points or none.
std::string_view unit_name(stats::Unit unit);

// For people (labels in the report's language).
Table counts_table(const ReportModel& m, const Strings& s);
Table models_table(const ReportModel& m, const Strings& s);
// Described once (Column): per model, metric and value the points' throughput (report.json's summaries, and
// summary.csv); per comparison its difference, interval and verdict (report.json's comparisons, difference.csv).
Columns<analysis::GroupSummary> summary_columns(const ReportModel& m, const Strings& s);
Columns<analysis::PairedComparison> comparison_columns(const ReportModel& m, const Strings& s);
Table performance_table(const ReportModel& m, const std::string& metric, const Strings& s);
Table differences_table(const ReportModel& m, const Strings& s);
// Described once (Column): the loads per model, value and cache state; request mode's latencies.
Columns<analysis::LoadSummary> loads_columns(const ReportModel& m, const Strings& s);
Columns<analysis::LatencySummary> latency_columns(const ReportModel& m, const Strings& s);
Table loads_table(const ReportModel& m, const Strings& s);
Table latency_table(const ReportModel& m, const Strings& s);
// The roofs per thread count, and per model, metric, value and thread count the achieved rates and shares.
// Server mode: every load with its requests' figures; the highest load that met the objective.
// Described once (Column): which load (model, value, loop, load), what it served, and how long its requests waited.
Columns<analysis::ServingPoint> serving_load_columns(const ReportModel& m, const Strings& s);
Columns<analysis::ServingPoint> serving_throughput_columns(const Strings& s);
Columns<analysis::ServingPoint> serving_latency_columns(const Strings& s);
// Every column of the three: serving.csv and report.json's serving points.
Columns<analysis::ServingPoint> serving_columns(const ReportModel& m, const Strings& s);
Table serving_table(const ReportModel& m, const Strings& s);
Table serving_latency_table(const ReportModel& m, const Strings& s);
Table capacity_table(const ReportModel& m, const Strings& s);
Table single_stream_table(const ReportModel& m, const Strings& s);
// Described once (Column): a vision-language model's images per point (vision.csv, report.json's vision).
Columns<analysis::VisionPoint> vision_columns(const ReportModel& m, const Strings& s);
Table vision_table(const ReportModel& m, const Strings& s);
// llmsweep history: a build of a series, described once (history.md, history.csv, history.json).
struct HistoryRow {
    const analysis::HistorySeries* series = nullptr;
    size_t index = 0;                            // of the build, in history order
    const analysis::HistoryStep* step = nullptr; // the step that begins at this build, if any
    const analysis::HistoryBuild& build() const { return series->builds[index]; }
};
std::vector<HistoryRow> history_rows(const analysis::HistorySeries& series);
Columns<HistoryRow> history_columns(const Strings& s);
// A step as the history says it: "-7.3 % [-9.0, -5.6]".
std::string step_text(const analysis::HistoryStep& step);
// The load of a server-mode point as the report writes it: "4 clients", "2 req/s".
std::string load_text(bool open_loop, double load, const Strings& s);
// The images a server-mode point's requests began with: "2 × 512 px", a file's name, "" for none.
std::string image_text(const analysis::ServingPoint& point, const Strings& s);
// Described once (Column): the machine's roofs per thread count (report.json's roofline machines), its figures
// for people the threads, rates, roofs and last-level cache.
Columns<domain::MachineFigures> machine_columns(const Strings& s);
std::vector<domain::MachineFigures> machine_rows(const ReportModel& m);
Table roofline_machine_table(const ReportModel& m, const Strings& s);
// Described once (Column): per model, metric, value and thread count the achieved rates and shares.
Columns<analysis::RooflineGroup> roofline_columns(const ReportModel& m, const Strings& s);
Table roofline_table(const ReportModel& m, const Strings& s);

// For programs (stable English column names, full precision).
// roofline.csv: every point with its cost per token, achieved rates, roofs and shares.
Table roofline_csv_table(const ReportModel& m);

} // namespace llmsweep::report
