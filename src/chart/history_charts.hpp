#pragma once
// llmsweep history's charts: per series, each build's throughput in history order with its interval, and the
// mean between steps.

#include "analysis/history.hpp"
#include "chart/figure.hpp"

#include <string_view>
#include <vector>

namespace llmsweep::chart {

// One figure per series, in the history's order.
std::vector<Figure> history_figures(const analysis::History& history, std::string_view language);

} // namespace llmsweep::chart
