#pragma once
// A chart as data: panels of series of numbers, and the texts that label them. The report's charts are built
// as Figures (charts.cpp); one writer turns a Figure into gnuplot's script and data (gnuplot.cpp), and it is
// the only code that writes gnuplot text. Every string here may come from data and is escaped there.

#include <optional>
#include <string>
#include <vector>

namespace llmsweep::chart {

struct Point {
    double x = 0, y = 0;
    std::optional<double> error; // drawn as an error bar where the series' style has them
};

struct Series {
    enum class Style { error_bars, lines_points, points, boxes };
    std::string title; // in the key; "" for none
    Style style = Style::points;
    std::vector<Point> points;
};

struct Panel {
    std::string title, xlabel, ylabel;
    std::vector<std::pair<double, std::string>> xtics; // labelled ticks at these x; empty: numbers
    bool y_from_zero = false;
    std::optional<std::string> diagonal; // the line y = x, for paired values, with this title
    bool key = true;                     // show the series' titles
    double x_margin = 0;                 // room left and right of the outermost x, in x units
    std::vector<Series> series;

    bool has_points() const;
};

struct Figure {
    std::string stem;              // file name stem (NAME.gp, .dat, .png, .svg): see safe_stem
    std::string title;             // above the panels, and the report's text for the image
    int width = 800, height = 450; // pixels
    int rows = 1, columns = 1;     // the panels' layout
    std::vector<Panel> panels;

    // Whether anything would be drawn: a figure whose panels have no points is left out of a report.
    bool has_points() const;
};

// A file name stem for any text: the text itself when it is already a plain name (ASCII letters, digits,
// `_`, `-`, `.`, at most 80 bytes, not starting with `-` or `.`), otherwise a slug of it plus a short hash of
// the whole text, so that two names never share a file and no name becomes an option, a path or a long file
// name.
std::string safe_stem(const std::string& text);

} // namespace llmsweep::chart
