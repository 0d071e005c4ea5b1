#pragma once
// A chart as data: one panel of series of numbers, the texts that label it, and the caption that says what it
// found. The report's charts are built as Figures (charts.cpp); one writer turns a Figure into gnuplot's script
// and data (gnuplot.cpp), and it is the only code that writes gnuplot text. Every string here may come from
// data and is escaped there.

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace llmsweep::chart {

struct Point {
    double x = 0, y = 0;
    std::optional<double> error;                      // a vertical error bar, for the series' styles that draw them
    std::optional<std::pair<double, double>> x_range; // a horizontal interval (low, high), for x_intervals
    double z = 0;                                     // the colour's value, for image
    std::string label; // the text, for labels (made from numbers by the charts, never from data)
};

// The colours of the report's charts: one per compared value (in the values' order), and one per verdict.
inline constexpr const char* palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e",
                                          "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"};

struct Series {
    enum class Style { error_bars, lines, lines_points, lines_error_bars, points, boxes, x_intervals, image, labels };
    std::string title; // in the key; "" for none
    Style style = Style::points;
    std::string color; // "#rrggbb", or "" for gnuplot's own
    std::vector<Point> points;
};

struct Figure {
    std::string stem;      // file name stem (NAME.gp, .dat, .png, .svg): see safe_stem
    std::string title;     // above the plot, and the report's text for the image
    std::string caption;   // under it in the report: what it shows and what it found, in the report's language
    bool headline = false; // shown at the top of the report
    // Nothing to draw is no result left out (a grid of one row, loads not timed): it is not listed as one.
    bool optional = false;
    // Pixels. 480 wide with 15 px text keeps the text above 11 px where a phone shows the chart 358 px wide.
    int width = 480, height = 360;
    std::string xlabel, ylabel;
    std::vector<std::pair<double, std::string>> xtics, ytics; // labelled ticks at these values; empty: numbers
    bool log2_x = false;                                      // the x values double
    bool log_xy = false;                                      // both axes logarithmic, base 10 (a roofline)
    bool compact_x = false; // x tic numbers with SI prefixes (12k), where they are large and many
    bool y_from_zero = false;
    std::optional<std::string> diagonal; // the line y = x, for paired values, with this title
    std::optional<double> x_band;        // a shaded band from -x_band to +x_band (the equivalence margin)
    bool x_zero_line = false;            // a dashed line at x = 0
    bool key = true;                     // show the series' titles (below the plot, outside the data)
    // image series: a diverging colour scale from -color_range (blue) through 0 (white) to +color_range (red).
    std::optional<double> color_range;
    std::string color_label;
    double x_margin = 0;    // room left and right of the outermost x, in x units
    double box_width = 0.6; // of boxes, in x units
    double y_margin = 0;    // room below and above the outermost y, in y units
    std::vector<Series> series;

    // Whether anything would be drawn: a figure without points is left out of a report.
    bool has_points() const;
};

// A file name stem for any text: the text itself when it is already a plain name (ASCII letters, digits,
// `_`, `-`, `.`, at most 80 bytes, not starting with `-` or `.`), otherwise a slug of it plus a short hash of
// the whole text, so that two names never share a file and no name becomes an option, a path or a long file
// name.
std::string safe_stem(const std::string& text);

} // namespace llmsweep::chart
