#pragma once
// Server mode's charts (report::ReportModel::serving): per model, output t/s and p99 TTFT against the load, one
// line per compared value, and the throughput / p99 TTFT plane with its Pareto front.

#include "chart/figure.hpp"
#include "report/report_model.hpp"

#include <string_view>
#include <vector>

namespace llmsweep::chart {

std::vector<Figure> serving_figures(const report::ReportModel& m, std::string_view language);

} // namespace llmsweep::chart
