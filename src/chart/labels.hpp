#pragma once
// What every chart of the report labels alike: cut texts, the colour of a compared value, an axis of swept values.

#include "chart/figure.hpp"
#include "report/report_model.hpp"

#include <set>
#include <string>

namespace llmsweep::chart {

// `text` cut to `max` code points, an ellipsis marking the cut: a tic label of a long model name would run
// over the next ones and off the image.
std::string clipped(const std::string& text, size_t max);
// A compared value's colour: the palette's, in the values' order.
std::string color_of_value(const report::ReportModel& m, const std::string& value);
// An x axis of a few swept values: doubling grids (64-1024*2, 1-8*2 clients) on a log2 axis, and a few values
// (or a doubling grid) labelled themselves, not with round numbers between them.
void label_x_values(Figure& f, const std::set<double>& xs);

} // namespace llmsweep::chart
