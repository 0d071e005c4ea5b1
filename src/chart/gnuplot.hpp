#pragma once
// gnuplot's script and data for a Figure, and gnuplot run over them. The script holds no byte of the data's
// text: labels go through escape::gnuplot, numbers are written by the writer, file names are safe stems.

#include "chart/figure.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace llmsweep::chart {

struct GnuplotFiles {
    std::string script; // NAME.gp: draws NAME.png, then NAME.svg, from NAME.dat
    std::string data;   // NAME.dat: one block per series (gnuplot's `index`), columns x y [error]
};

// Throws Error when the figure's stem is not a safe stem (safe_stem(stem) != stem).
GnuplotFiles to_gnuplot(const Figure& figure);

// gnuplot's path, or "" if it is not installed.
std::string find_gnuplot();

// Runs each figure's script in `folder` (where its files were written) and checks that it drew NAME.png and
// NAME.svg, neither empty. gnuplot dies with this process. Throws Error with gnuplot's first line of
// complaint when a script fails or an image is missing.
void draw(const std::string& gnuplot, const std::filesystem::path& folder, const std::vector<Figure>& figures);

} // namespace llmsweep::chart
