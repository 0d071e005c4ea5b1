#include "chart/gnuplot.hpp"

#include "core/child_process.hpp"
#include "core/error.hpp"
#include "core/escape.hpp"
#include "core/hash.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <unistd.h>

namespace llmsweep::chart {
namespace {

// Font with CJK glyphs (Debian: fonts-wqy-microhei); gnuplot falls back to its default where it is missing.
constexpr const char* font = "WenQuanYi Micro Hei,10";

bool plain_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == '.';
}

std::string quoted(const std::string& text) { return escape::gnuplot(text); }

const char* style_of(Series::Style style) {
    switch (style) {
    case Series::Style::error_bars: return "yerrorbars";
    case Series::Style::lines_points: return "linespoints";
    case Series::Style::points: return "points pt 7";
    case Series::Style::boxes: return "boxes";
    }
    return "points";
}

bool has_errors(const Series& s) {
    return s.style != Series::Style::lines_points && std::any_of(s.points.begin(), s.points.end(), [](const Point& p) {
               return p.error && std::isfinite(*p.error);
           });
}

bool drawable(const Point& p) { return std::isfinite(p.x) && std::isfinite(p.y); }

bool has_drawable(const Series& s) { return std::any_of(s.points.begin(), s.points.end(), drawable); }

// The commands that draw every panel once, into whatever terminal is set; `index` numbers the data blocks.
std::string plot_commands(const Figure& figure, const std::string& data_file) {
    std::string out;
    const bool multiplot = figure.panels.size() > 1 || !figure.title.empty();
    if (multiplot)
        out += fmt::format("set multiplot layout {},{}{}\n", figure.rows, figure.columns,
                           figure.title.empty() ? "" : " title " + quoted(figure.title));
    size_t index = 0;
    for (const Panel& panel : figure.panels) {
        if (!panel.has_points()) continue;
        out += "set grid\n";
        out += "set title " + quoted(panel.title) + "\n";
        out += "set xlabel " + quoted(panel.xlabel) + "\n";
        out += "set ylabel " + quoted(panel.ylabel) + "\n";
        out += panel.key ? "set key top left\n" : "unset key\n";
        out += fmt::format("set offsets {}, {}, 0, 0\n", panel.x_margin, panel.x_margin);
        out += panel.y_from_zero ? "set yrange [0:*]\n" : "set yrange [*:*]\n";
        if (panel.xtics.empty()) {
            out += "set xtics autofreq norotate\n";
        } else {
            out += "set xtics rotate by -20 (";
            for (size_t i = 0; i < panel.xtics.size(); ++i)
                out += fmt::format("{}{} {}", i ? ", " : "", escape::gnuplot_tic_label(panel.xtics[i].second),
                                   panel.xtics[i].first);
            out += ")\n";
        }
        if (std::any_of(panel.series.begin(), panel.series.end(),
                        [](const Series& s) { return s.style == Series::Style::boxes; }))
            out += "set style fill solid 0.6\nset boxwidth 0.6\n";
        std::vector<std::string> plots;
        for (const Series& s : panel.series) {
            if (!has_drawable(s)) continue;
            const std::string title = s.title.empty() ? "notitle" : "title " + quoted(s.title);
            plots.push_back(fmt::format("\"{}\" index {} using 1:2{} with {} {}", data_file, index++,
                                        has_errors(s) ? ":3" : "", style_of(s.style), title));
        }
        if (panel.diagonal) plots.push_back("x with lines dt 2 title " + quoted(*panel.diagonal));
        out += "plot ";
        for (size_t i = 0; i < plots.size(); ++i) out += (i ? ", \\\n     " : "") + plots[i];
        out += "\n";
    }
    if (multiplot) out += "unset multiplot\n";
    return out;
}

} // namespace

bool Panel::has_points() const { return std::any_of(series.begin(), series.end(), has_drawable); }

bool Figure::has_points() const {
    return std::any_of(panels.begin(), panels.end(), [](const Panel& p) { return p.has_points(); });
}

std::string safe_stem(const std::string& text) {
    constexpr size_t longest = 80;
    const bool plain = !text.empty() && text.size() <= longest && text.front() != '-' && text.front() != '.' &&
                       std::all_of(text.begin(), text.end(), plain_name_char);
    if (plain) return text;
    std::string slug;
    for (const char c : text) {
        if (slug.size() >= 48) break;
        const char kept = plain_name_char(c) ? c : '_';
        if (kept == '_' && !slug.empty() && slug.back() == '_') continue;
        slug += kept;
    }
    if (slug.empty() || slug.front() == '-' || slug.front() == '.') slug.insert(0, 1, 'x');
    return slug + "-" + sha256_hex(text).substr(0, 10);
}

GnuplotFiles to_gnuplot(const Figure& figure) {
    if (figure.stem.empty() || safe_stem(figure.stem) != figure.stem)
        throw Error(fmt::format("internal: chart file name '{}' is not a safe stem", figure.stem));
    GnuplotFiles files;
    std::ostringstream data;
    size_t index = 0;
    for (const Panel& panel : figure.panels)
        for (const Series& s : panel.series) {
            if (!panel.has_points() || !has_drawable(s)) continue;
            // The comment is escaped as a gnuplot string: one line, whatever the title holds.
            data << "# index " << index++ << ": " << quoted(s.title) << "\n";
            const bool errors = has_errors(s);
            for (const Point& p : s.points) {
                if (!drawable(p)) continue;
                data << fmt::format("{} {}", p.x, p.y);
                if (errors) data << fmt::format(" {}", p.error && std::isfinite(*p.error) ? *p.error : 0.0);
                data << "\n";
            }
            data << "\n\n";
        }
    files.data = data.str();
    const std::string& stem = figure.stem;
    const std::string commands = plot_commands(figure, stem + ".dat");
    const std::string size = fmt::format("{},{}", figure.width, figure.height);
    // noenhanced: text from the data (qwen2_5_0_5b, load_mode) must not turn '_' into subscripts.
    files.script = fmt::format("# {0}.gp: draws {0}.png and {0}.svg from {0}.dat (run: gnuplot {0}.gp)\n"
                               "set encoding utf8\n"
                               "set terminal pngcairo noenhanced size {1} font \"{2}\"\nset output \"{0}.png\"\n{3}"
                               "set terminal svg noenhanced size {1} dynamic font \"{2}\"\nset output \"{0}.svg\"\n{3}"
                               "unset output\n",
                               stem, size, font, commands);
    return files;
}

std::string find_gnuplot() {
    const char* path = std::getenv("PATH");
    std::stringstream dirs(path ? path : "");
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
        const auto candidate = std::filesystem::path(dir) / "gnuplot";
        if (!dir.empty() && access(candidate.c_str(), X_OK) == 0) return candidate.string();
    }
    return {};
}

void draw(const std::string& gnuplot, const std::filesystem::path& folder, const std::vector<Figure>& figures) {
    for (const Figure& figure : figures) {
        const std::string script = "./" + figure.stem + ".gp"; // never taken for an option
        const ProgramResult result = run_program({gnuplot, script}, folder);
        std::string complaint;
        std::istringstream lines(result.output);
        for (std::string line; complaint.empty() && std::getline(lines, line);)
            if (line.find_first_not_of(" \t^") != std::string::npos) complaint = line;
        if (!result.succeeded())
            throw Error(fmt::format("gnuplot failed on {}.gp in {}: {}", figure.stem, folder.string(),
                                    complaint.empty() ? "no message" : complaint));
        for (const char* extension : {".png", ".svg"}) {
            std::error_code ec;
            const auto image = folder / (figure.stem + extension);
            if (std::filesystem::file_size(image, ec) == 0 || ec)
                throw Error(fmt::format("gnuplot drew no {}{}; if the disk is full, free some space or choose "
                                        "another --out",
                                        image.string(), complaint.empty() ? "" : " (" + complaint + ")"));
        }
    }
}

} // namespace llmsweep::chart
