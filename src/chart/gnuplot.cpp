#include "chart/gnuplot.hpp"

#include "core/child_process.hpp"
#include "core/error.hpp"
#include "core/escape.hpp"
#include "core/hash.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <memory>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace llmsweep::chart {
namespace {

// Font with CJK glyphs (Debian: fonts-wqy-microhei); gnuplot falls back to its default where it is missing.
constexpr const char* font = "WenQuanYi Micro Hei";
constexpr int font_size = 15;

bool plain_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == '.';
}

std::string quoted(const std::string& text) { return escape::gnuplot(text); }

const char* style_of(Series::Style style) {
    switch (style) {
    case Series::Style::error_bars: return "yerrorbars pt 7 ps 0.8";
    case Series::Style::lines: return "lines lw 2";
    case Series::Style::lines_points: return "linespoints pt 7 ps 0.8";
    case Series::Style::lines_error_bars: return "yerrorlines pt 7 ps 0.8";
    case Series::Style::points: return "points pt 7 ps 0.8";
    case Series::Style::boxes: return "boxes";
    case Series::Style::x_intervals: return "xerrorbars pt 7 ps 1.2 lw 2";
    case Series::Style::image: return "image";
    case Series::Style::labels: return "labels center";
    }
    return "points";
}

// "lc rgb '#rrggbb'" for a colour of the palette's form; anything else is not a colour and is left out.
std::string color_of(const Series& s) {
    const bool valid = s.color.size() == 7 && s.color[0] == '#' &&
                       std::all_of(s.color.begin() + 1, s.color.end(), [](char c) { return std::isxdigit(c) != 0; });
    return valid ? fmt::format(" lc rgb \"{}\"", s.color) : "";
}

bool has_errors(const Series& s) {
    if (s.style == Series::Style::x_intervals) return true;
    return (s.style == Series::Style::error_bars || s.style == Series::Style::lines_error_bars) &&
           std::any_of(s.points.begin(), s.points.end(),
                       [](const Point& p) { return p.error && std::isfinite(*p.error); });
}

bool drawable(const Point& p) { return std::isfinite(p.x) && std::isfinite(p.y); }

bool has_drawable(const Series& s) { return std::any_of(s.points.begin(), s.points.end(), drawable); }

std::string tics(const char* axis, const std::vector<std::pair<double, std::string>>& labels, bool rotate) {
    if (labels.empty()) return fmt::format("set {}tics autofreq norotate\n", axis);
    std::string out = fmt::format("set {}tics {}(", axis, rotate ? "rotate by -35 " : "norotate ");
    for (size_t i = 0; i < labels.size(); ++i)
        out += fmt::format("{}{} {}", i ? ", " : "", escape::gnuplot_tic_label(labels[i].second), labels[i].first);
    return out + ")\n";
}

// The commands that draw the figure once, into whatever terminal is set.
std::string plot_commands(const Figure& f, const std::string& data_file) {
    std::string out = "set grid\n";
    out += "set title " + quoted(f.title) + "\n";
    out += "set xlabel " + quoted(f.xlabel) + "\n";
    out += "set ylabel " + quoted(f.ylabel) + "\n";
    // Below, clear of the x label; gnuplot's estimate of a title's width runs short of what cairo draws, so a key
    // with a long title (a value and the images it was measured with) gets one column rather than a clipped one.
    // A title's width in the characters drawn: an invalid byte is drawn as U+FFFD, one character.
    const auto width = [](const std::string& title) {
        const std::string text = escape::valid_utf8(title);
        return std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; });
    };
    const bool long_title =
        std::any_of(f.series.begin(), f.series.end(), [&](const Series& s) { return width(s.title) > 20; });
    out += f.key ? fmt::format("set key below left Left reverse height 1.5{}\n", long_title ? " maxcols 1" : "")
                 : "unset key\n";
    out += fmt::format("set offsets {}, {}, {}, {}\n", f.x_margin, f.x_margin, f.y_margin, f.y_margin);
    out += f.log2_x ? "set logscale x 2\n" : f.log_xy ? "set logscale x 10\n" : "unset logscale x\n";
    out += f.log_xy ? "set logscale y 10\n" : "unset logscale y\n";
    // On a log axis the offsets do not apply: a quarter of a doubling of room each side, by the range.
    if (f.log2_x && !f.xtics.empty()) {
        const auto [low, high] = std::minmax_element(f.xtics.begin(), f.xtics.end());
        out += fmt::format("set xrange [{}:{}]\n", low->first / 1.19, high->first * 1.19);
    } else {
        // The data's own range, then the margins: gnuplot would otherwise round the range out to the next tic.
        out += "set xrange [*:*]\nset autoscale xfix\n";
    }
    out += f.y_from_zero ? "set yrange [0:*]\n" : "set yrange [*:*]\n";
    // Long tic labels turn so that they do not run into each other.
    // (About 8 px per character at 15 px, and 120 px of the width for the y axis and its label.)
    size_t longest = 0;
    for (const auto& [x, label] : f.xtics) longest = std::max(longest, label.size());
    const double room = f.xtics.empty() ? 0 : (f.width - 120.0) / static_cast<double>(f.xtics.size());
    out += tics("x", f.xtics, 8.0 * static_cast<double>(longest) > room);
    out += tics("y", f.ytics, false);
    out += f.compact_x ? "set format x \"%.0s%c\"\n" : "set format x \"% h\"\n";
    if (f.x_band)
        out += fmt::format("set object 1 rect from {0}, graph 0 to {1}, graph 1 behind fc rgb \"#dce9f5\" "
                           "fs solid 1.0 noborder\n",
                           -*f.x_band, *f.x_band);
    if (f.x_zero_line) out += "set arrow 1 from 0, graph 0 to 0, graph 1 nohead dt 2 lc rgb \"#555555\"\n";
    if (f.color_range)
        out += fmt::format("set palette defined (-1 \"#2166ac\", 0 \"#f7f7f7\", 1 \"#b2182b\")\n"
                           "set cbrange [{0}:{1}]\nset cblabel {2}\nset colorbox\n",
                           -*f.color_range, *f.color_range, quoted(f.color_label));
    if (std::any_of(f.series.begin(), f.series.end(), [](const Series& s) { return s.style == Series::Style::boxes; }))
        out += fmt::format("set style fill solid 0.7\nset boxwidth {}\n", f.box_width);
    std::vector<std::string> plots;
    size_t index = 0;
    for (const Series& s : f.series) {
        if (!has_drawable(s)) continue;
        const std::string title = s.title.empty() ? "notitle" : "title " + quoted(s.title);
        const char* columns = s.style == Series::Style::x_intervals ? "1:2:3:4"
                              : has_errors(s) || s.style == Series::Style::image || s.style == Series::Style::labels
                                  ? "1:2:3"
                                  : "1:2";
        plots.push_back(fmt::format("\"{}\" index {} using {} with {}{} {}", data_file, index++, columns,
                                    style_of(s.style), color_of(s), title));
    }
    if (f.diagonal) plots.push_back("x with lines dt 2 lc rgb \"#555555\" title " + quoted(*f.diagonal));
    out += "plot ";
    for (size_t i = 0; i < plots.size(); ++i) out += (i ? ", \\\n     " : "") + plots[i];
    return out + "\n";
}

} // namespace

bool Figure::has_points() const { return std::any_of(series.begin(), series.end(), has_drawable); }

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
    for (const Series& s : figure.series) {
        if (!has_drawable(s)) continue;
        // The comment is escaped as a gnuplot string: one line, whatever the title holds.
        data << "# index " << index++ << ": " << quoted(s.title) << "\n";
        const bool errors = has_errors(s);
        // The positions as they are (a category's number, a token count); the values drawn to six significant
        // digits, a millionth of the axis or the colour scale (a heatmap of 125,000 cells: 2.0 MB, not 3.3).
        for (const Point& p : s.points) {
            if (!drawable(p)) continue;
            data << fmt::format("{} {:.6g}", p.x, p.y);
            if (s.style == Series::Style::image) data << fmt::format(" {:.6g}", p.z);
            else if (s.style == Series::Style::labels) data << " " << quoted(p.label);
            else if (s.style == Series::Style::x_intervals)
                data << fmt::format(" {} {}", p.x_range ? p.x_range->first : p.x, p.x_range ? p.x_range->second : p.x);
            else if (errors) data << fmt::format(" {:.6g}", p.error && std::isfinite(*p.error) ? *p.error : 0.0);
            data << "\n";
        }
        data << "\n\n";
    }
    files.data = data.str();
    const std::string& stem = figure.stem;
    const std::string commands = plot_commands(figure, stem + ".dat");
    const std::string size = fmt::format("{},{}", figure.width, figure.height);
    // noenhanced: text from the data (qwen2_5_0_5b, load_mode) must not turn '_' into subscripts.
    // The PNG at twice the size (sharp on a high-density screen, the same proportions); the SVG as it is.
    const std::string png_size = fmt::format("{},{}", 2 * figure.width, 2 * figure.height);
    files.script = fmt::format("# {0}.gp: draws {0}.png and {0}.svg from {0}.dat (run: gnuplot {0}.gp)\n"
                               "set encoding utf8\n"
                               "set terminal pngcairo noenhanced size {5} font \"{2},{6}\" linewidth 2\n"
                               "set output \"{0}.png\"\n{3}"
                               "set terminal svg noenhanced size {1} dynamic font \"{2},{4}\"\n"
                               "set output \"{0}.svg\"\n{3}"
                               "unset output\n",
                               stem, size, font, commands, font_size, png_size, font_size * 3 / 2);
    return files;
}

std::string find_gnuplot() { return find_on_path("gnuplot"); }

namespace {

// gnuplot on one figure's script: what went wrong, or nothing.
std::string draw_one(const std::string& gnuplot, const std::filesystem::path& folder, const std::string& stem) try {
    const std::string script = "./" + stem + ".gp"; // never taken for an option
    const ProgramResult result = run_program({gnuplot, script}, folder);
    std::string complaint;
    std::istringstream lines(result.output);
    for (std::string line; complaint.empty() && std::getline(lines, line);)
        if (line.find_first_not_of(" \t^") != std::string::npos) complaint = line;
    if (!result.succeeded())
        return fmt::format("gnuplot failed on {}.gp in {}: {}", stem, folder.string(),
                           complaint.empty() ? "no message" : complaint);
    for (const char* extension : {".png", ".svg"}) {
        std::error_code ec;
        const auto image = folder / (stem + extension);
        if (std::filesystem::file_size(image, ec) == 0 || ec)
            return fmt::format("gnuplot drew no {}{}; if the disk is full, free some space or choose another --out",
                               image.string(), complaint.empty() ? "" : " (" + complaint + ")");
    }
    return {};
} catch (const std::exception& e) {
    return e.what();
}

} // namespace

// A gnuplot kept running, which draws one figure after another, each from a fresh session: it starts once, not
// once per figure (twenty starts were about a quarter of a million results' charts' time). A figure that fails
// in it, or that it draws no image of, is drawn again by a gnuplot of its own, for its complaint.
class Drawing::Session {
public:
    Session(const std::string& gnuplot, const std::filesystem::path& folder)
        : gnuplot_(gnuplot), folder_(folder),
          process_({gnuplot}, {.own_process_group = false, .name = "gnuplot", .folder = folder}) {}
    ~Session() { process_.finish(); }

    // What went wrong, or nothing. A gnuplot that does not answer within answer_within_s (one that reads no
    // command from its stdin) is left, and the figure drawn by another.
    std::string draw(const std::string& stem, bool& usable) {
        const bool sent = process_.send(
            fmt::format("reset session\nreset errors\nset print \"-\"\nload \"./{}.gp\"\n"
                        "print exists(\"GPVAL_ERRNO\") ? sprintf('{{\"errno\": %d}}', GPVAL_ERRNO) : '{{}}'\n",
                        stem));
        const ChildProcess::Answer answer = sent ? process_.read_line(answer_within_s) : ChildProcess::Answer{};
        if (answer.outcome == ChildProcess::Outcome::interrupted) return "interrupted while gnuplot drew " + stem;
        bool drawn = sent && answer.outcome == ChildProcess::Outcome::reply && answer.message.value("errno", -1) == 0;
        for (const char* extension : {".png", ".svg"}) {
            std::error_code ec;
            drawn = drawn && std::filesystem::file_size(folder_ / (stem + extension), ec) > 0 && !ec;
        }
        if (drawn) return {};
        usable = false; // in a state not known: the next figure gets a new one
        return draw_one(gnuplot_, folder_, stem);
    }

private:
    static constexpr double answer_within_s = 300;
    std::string gnuplot_;
    std::filesystem::path folder_;
    ChildProcess process_;
};

Drawing::Drawing(std::string gnuplot, std::filesystem::path folder)
    : gnuplot_(std::move(gnuplot)), folder_(std::move(folder)) {
    const unsigned n = std::clamp(std::thread::hardware_concurrency(), 1u, 32u);
    for (unsigned w = 0; w < n; ++w) workers_.emplace_back([this] { work(); });
}

Drawing::~Drawing() {
    {
        std::lock_guard lock(mutex_);
        closed_ = true;
        next_ = stems_.size(); // what is not under way is not started
    }
    more_.notify_all();
    workers_.clear(); // joins
}

void Drawing::add(const Figure& figure) {
    {
        std::lock_guard lock(mutex_);
        if (closed_) throw std::logic_error("Drawing::add after finish");
        stems_.push_back(figure.stem);
        errors_.emplace_back();
    }
    more_.notify_one();
}

void Drawing::work() {
    std::unique_ptr<Session> session;
    std::unique_lock lock(mutex_);
    for (;;) {
        more_.wait(lock, [this] { return next_ < stems_.size() || closed_; });
        if (next_ == stems_.size()) return; // closed, and nothing left
        const size_t i = next_++;
        const std::string stem = stems_[i];
        lock.unlock();
        std::string error;
        try {
            if (!session) session = std::make_unique<Session>(gnuplot_, folder_);
            bool usable = true;
            error = session->draw(stem, usable);
            if (!usable) session.reset();
        } catch (const std::exception& e) {
            session.reset();
            error = draw_one(gnuplot_, folder_, stem);
        }
        lock.lock();
        errors_[i] = std::move(error);
    }
}

void Drawing::finish() {
    {
        std::lock_guard lock(mutex_);
        closed_ = true;
    }
    more_.notify_all();
    workers_.clear(); // joins once every stem is drawn
    // The first figure's failure, in the order added, whichever gnuplot ended first.
    for (const std::string& error : errors_)
        if (!error.empty()) throw Error(error);
}

void draw(const std::string& gnuplot, const std::filesystem::path& folder, const std::vector<Figure>& figures) {
    Drawing drawing(gnuplot, folder);
    for (const Figure& figure : figures) drawing.add(figure);
    drawing.finish();
}

} // namespace llmsweep::chart
