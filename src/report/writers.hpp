#pragma once
// Writers turn the report model into bytes; none touches the disk. Every text from the data goes through
// core/escape.hpp's function for the format.

#include "report/document.hpp"
#include "report/report_model.hpp"

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace llmsweep::report {

class Table;

// RFC 4180: fields with commas, quotes or line breaks are quoted, quotes doubled; CRLF line ends; text that a
// spreadsheet would run as a formula starts with '.
std::string to_csv(const Table& table);
std::string to_markdown(const Table& table);
// raw.csv: every result with every parameter, written row by row (a million results are not first held as
// a table of strings).
std::string raw_csv(const ReportModel& model);
// The same in pieces of about a MiB, handed to `sink` as they are made (a million results make 240 MiB).
void write_raw_csv(const analysis::Dataset& data, const std::function<void(std::string_view)>& sink);

std::string render_markdown(const Document& document);
std::string markdown_report(const ReportModel& model, std::string_view language, const ChartLinks& charts = {});
// One self-contained HTML file: inline CSS, the charts' SVG inlined (read by `svg_of(stem)`; "" when there
// is none), every text escaped, no network.
std::string render_html(const Document& document, std::string_view language,
                        const std::function<std::string(const std::string&)>& svg_of);
// The same content as one JSON document (names and numbers, no prose).
std::string json_report(const ReportModel& model);

// File name -> contents for the requested formats ("md", "csv", "json"), but raw.csv (write_raw_csv).
std::map<std::string, std::string> render(const ReportModel& model, std::string_view language,
                                          const std::vector<std::string>& formats, const ChartLinks& charts = {});

} // namespace llmsweep::report
