#pragma once
// The report's tables as rows of cells, built once from the report model; the Markdown and CSV writers only
// format them. Every row has exactly as many cells as the header (checked when a row is added).

#include "report/report_model.hpp"
#include "report/strings.hpp"

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
Table performance_table(const ReportModel& m, const std::string& metric, const Strings& s);
Table differences_table(const ReportModel& m, const Strings& s);
Table loads_table(const ReportModel& m, const Strings& s);
Table latency_table(const ReportModel& m, const Strings& s);
// The roofs per thread count, and per model, metric, value and thread count the achieved rates and shares.
// Server mode: every load with its requests' figures; the highest load that met the objective.
Table serving_table(const ReportModel& m, const Strings& s);
Table capacity_table(const ReportModel& m, const Strings& s);
Table single_stream_table(const ReportModel& m, const Strings& s);
// serving.csv: every server-mode load with its figures, in full precision.
Table serving_csv_table(const ReportModel& m);
// The load of a server-mode point as the report writes it: "4 clients", "2 req/s".
std::string load_text(bool open_loop, double load, const Strings& s);
Table roofline_machine_table(const ReportModel& m, const Strings& s);
Table roofline_table(const ReportModel& m, const Strings& s);

// For programs (stable English column names, full precision).
Table summary_csv_table(const ReportModel& m);
Table difference_csv_table(const ReportModel& m);
// roofline.csv: every point with its cost per token, achieved rates, roofs and shares.
Table roofline_csv_table(const ReportModel& m);

} // namespace llmsweep::report
