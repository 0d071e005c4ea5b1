#pragma once
// Charts of a report, drawn by gnuplot: for each figure a data file and a .gp script are written next to the
// images, so that a user can re-plot (`gnuplot NAME.gp` in the report folder) or change the styling.

#include "report/report_model.hpp"

#include <map>
#include <string>
#include <vector>

namespace llmsweep::chart {

struct Figure {
    std::string name;      // file stem: NAME.gp, NAME.dat, NAME.png, NAME.svg
    std::string title;     // for the report's image link
};

struct ChartFiles {
    std::map<std::string, std::string> files;   // data files and scripts, by file name
    std::vector<Figure> figures;
};

// The scripts and data for every figure of the report, labels in `language`.
ChartFiles chart_files(const report::ReportModel& model, std::string_view language);

// gnuplot's path, or "" if it is not installed.
std::string find_gnuplot();

// Runs each figure's script in `folder` (where chart_files' files were written). Throws Error with gnuplot's
// message if a script fails.
void draw(const std::string& gnuplot, const std::string& folder, const std::vector<Figure>& figures);

// A file-name-safe form of a model or value name.
std::string file_stem(const std::string& text);

} // namespace llmsweep::chart
