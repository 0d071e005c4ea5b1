#pragma once
// llmsweep history's outputs: the document (Markdown and HTML render it), history.csv and history.json, all from
// the history's one description of a build's row (tables.hpp, history_columns).

#include "analysis/history.hpp"
#include "report/document.hpp"

#include <string>
#include <string_view>

namespace llmsweep::report {

// `charts`: each series' chart, in the series' order (an empty stem, or none at all: no chart).
Document history_document(const analysis::History& history, std::string_view language,
                          const std::vector<ChartImage>& charts);
// A series as the history names it: its heading, and its chart's title.
std::string series_title(const analysis::HistorySeries& series, const analysis::History& history,
                         std::string_view language);
std::string history_csv(const analysis::History& history);
std::string history_json(const analysis::History& history);

} // namespace llmsweep::report
