#pragma once
// The report as a sequence of blocks (headings, paragraphs, lists, tables, figures, links), built once from
// the report model in one language. Markdown and HTML render the same document, so they cannot disagree.

#include "report/report_model.hpp"
#include "report/tables.hpp"

#include <optional>
#include <string>
#include <vector>

namespace llmsweep::report {

struct ListItem {
    std::string text;
    std::vector<std::string> children;
};

struct Block {
    enum class Kind { heading, paragraph, list, table, figure, links };
    Kind kind = Kind::paragraph;
    int level = 1;                                          // heading
    std::string text;                                       // heading, paragraph; figure title
    std::vector<ListItem> items;                            // list
    std::optional<Table> table;                             // table
    std::string stem;                                       // figure: NAME.png, NAME.svg, NAME.dat, NAME.gp
    std::string caption;                                    // figure: what it shows and found
    std::vector<std::pair<std::string, std::string>> links; // links: href, text
};

// The charts a report links to: image stems and titles, or why there are none.
struct ChartImage {
    std::string stem, title, caption;
    bool headline = false; // at the top of the report
};

struct ChartLinks {
    std::vector<ChartImage> images;
    std::string unavailable;           // non-empty: no charts, and why
    std::vector<std::string> left_out; // titles of charts with nothing to draw
    bool data_files = true;            // the CSV files are written beside the report (--format csv)
    std::string raw_csv = "raw.csv";   // its every result, by that name (raw.csv.gz); empty: not written
};

using Document = std::vector<Block>;

Document build_document(const ReportModel& model, std::string_view language, const ChartLinks& charts);

} // namespace llmsweep::report
