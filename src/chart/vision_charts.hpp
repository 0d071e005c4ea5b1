#pragma once
// A vision-language model's chart (report::ReportModel::vision): per model, the time to encode an image against
// the image's size, one line per compared value and setting.

#include "chart/figure.hpp"
#include "report/report_model.hpp"

#include <string_view>
#include <vector>

namespace llmsweep::chart {

std::vector<Figure> vision_figures(const report::ReportModel& m, std::string_view language);

} // namespace llmsweep::chart
