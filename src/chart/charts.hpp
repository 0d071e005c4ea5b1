#pragma once
// The report's charts as Figures (chart/figure.hpp), in the report's language: gnuplot.hpp writes and draws
// them. Every name and value in them is the data's, unescaped: the writer escapes.

#include "chart/figure.hpp"
#include "report/report_model.hpp"

#include <string_view>
#include <vector>

namespace llmsweep::chart {

struct ReportCharts {
    std::vector<Figure> figures;       // those with something to draw
    std::vector<std::string> left_out; // titles of the charts that had nothing to draw (no ok result)
};

// Per model: a forest plot of its comparisons (the headline); per model x metric: every point of each value with
// its repetitions' sd, labelled and ordered by its parameters, the matched pairs, and the throughput against
// each test size that varies, one line per value; the loads' time and memory. No chart pools models.
// `ready`, where given, is handed each figure kept as soon as it is made (its files written and drawn while the
// next is made).
ReportCharts report_charts(const report::ReportModel& model, std::string_view language,
                           const std::function<void(const Figure&)>& ready = {});

} // namespace llmsweep::chart
