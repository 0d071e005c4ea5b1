#include "chart/charts.hpp"

#include "core/error.hpp"
#include "report/strings.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <unordered_map>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

namespace llmsweep::chart {
namespace {

// Font with CJK glyphs (Debian: fonts-wqy-microhei); gnuplot falls back to its default where it is missing.
constexpr const char* font = "WenQuanYi Micro Hei,10";

std::string quoted(const std::string& text) {
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

// Both terminals, the same plot: the script renders it twice.
std::string with_terminals(const std::string& stem, const std::string& size, const std::string& plot) {
    // noenhanced: names from the data (load_mode, qwen2_5_0_5b) must not turn '_' into subscripts.
    return fmt::format("set encoding utf8\n"
                       "set terminal pngcairo noenhanced size {} font \"{}\"\nset output \"{}.png\"\n{}\n"
                       "set terminal svg noenhanced size {} dynamic font \"{}\"\nset output \"{}.svg\"\n{}\n",
                       size, font, stem, plot, size, font, stem, plot);
}

double number(const std::string& text) { return std::strtod(text.c_str(), nullptr); }

} // namespace

std::string file_stem(const std::string& text) {
    std::string stem;
    for (char c : text) stem += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.') ? c : '_';
    return stem;
}

ChartFiles chart_files(const report::ReportModel& m, std::string_view language) {
    const bool zh = language == "zh";
    ChartFiles out;
    const std::string& compare = m.compare;

    // Per model x metric: every point with its repetitions' sd, one series per value; then the matched pairs.
    // Beyond max_points points a chart shows every k-th, and says so: a scatter of a million points is a
    // blot, and its SVG would be hundreds of megabytes.
    constexpr size_t max_points = 2000;
    for (const auto& model : m.models)
        for (const auto& metric : m.metrics) {
            const std::string stem = file_stem(fmt::format("{}_{}_{}_comparison", model, metric, compare));
            std::map<std::string, std::unordered_map<std::string, double>> by_value;   // value -> point -> t/s
            std::unordered_map<std::string, size_t> labels;   // point (every other parameter) -> x position
            std::map<std::string, std::vector<std::pair<size_t, const analysis::Record*>>> rows;
            for (const auto& value : m.values)
                for (const auto& r : m.data.records) {
                    if (r.model != model || r.metric != metric || r.status != "ok" || r.params.at(compare) != value) continue;
                    std::string label;
                    r.params.for_each([&](std::string_view name, const std::string& v) {
                        if (name != compare && name != "build_commit" && name != "hostname" && name != "mode")
                            label.append(v).append("/");
                    });
                    const size_t x = labels.emplace(label, labels.size()).first->second;
                    by_value[value][label] = r.avg_ts;
                    rows[value].emplace_back(x, &r);
                }
            if (labels.empty()) continue;
            const size_t stride = (labels.size() + max_points - 1) / max_points;
            std::ostringstream dat;
            for (const auto& value : m.values) {
                dat << "# " << compare << " = " << value << "\n# index label n_prompt n_gen avg_ts sd_ts\n";
                for (const auto& [x, r] : rows[value])
                    if (x % stride == 0)
                        dat << x << " p" << r->params.at("n_prompt") << "n" << r->params.at("n_gen") << " "
                            << r->params.at("n_prompt") << " " << r->params.at("n_gen") << " " << r->avg_ts << " "
                            << r->stddev_ts << "\n";
                dat << "\n\n";
            }
            // The pairs: baseline (first value) against each other value.
            dat << "# pairs: baseline_ts value_ts value\n";
            const std::string& base = m.values.front();
            for (size_t v = 1; v < m.values.size(); ++v) {
                for (const auto& [label, ts] : by_value[base])
                    if (labels[label] % stride == 0 && by_value[m.values[v]].count(label))
                        dat << ts << " " << by_value[m.values[v]][label] << " " << m.values[v] << "\n";
            }
            out.files[stem + ".dat"] = dat.str();

            const std::string sampled =
                stride <= 1 ? std::string()
                : zh        ? fmt::format(" (每 {} 个点取 1 个, 共 {} 个)", stride, labels.size())
                            : fmt::format(" (every {}th of {} points)", stride, labels.size());
            const bool paired = m.compares();  // one value: its points, and no pairs to plot
            std::string plot = fmt::format("set multiplot layout 1,{} title ", paired ? 2 : 1) +
                               quoted(fmt::format("{} {} — {}{}", model, metric, compare, sampled)) + "\n";
            plot += "set grid\nset key top left\nset xlabel " + quoted(zh ? "数据点" : "point") +
                    "\nset ylabel \"tokens/s\"\n";
            plot += "set offsets 0.5, 0.5, 0, 0\nplot ";
            for (size_t v = 0; v < m.values.size(); ++v)
                plot += fmt::format("{}\"{}.dat\" index {} using ($1+{:.2f}):5:6 with yerrorbars title {}",
                                    v ? ", " : "", stem, v, 0.15 * static_cast<double>(v),
                                    quoted(compare + " = " + m.values[v]));
            if (paired) {
                plot += "\nset offsets 0, 0, 0, 0\nset xlabel " + quoted(compare + " = " + base + " (tokens/s)") +
                        "\nset ylabel " + quoted(zh ? "其他取值 (tokens/s)" : "other value (tokens/s)") + "\n";
                plot += fmt::format("plot \"{}.dat\" index {} using 1:2 with points pt 7 title {}, x with lines dt 2 "
                                    "title {}",
                                    stem, m.values.size(), quoted(zh ? "配对" : "pairs"), quoted(zh ? "对角线" : "diagonal"));
            }
            plot += "\nunset multiplot";
            out.files[stem + ".gp"] = with_terminals(stem, paired ? "1200,450" : "800,450", plot);
            out.figures.push_back({stem, fmt::format("{} {} {}", model, metric, compare)});
        }

    // Per metric: throughput and CV against n_prompt and n_gen, one line per value (means over the points).
    for (const auto& metric : m.metrics) {
        const std::string stem = file_stem(fmt::format("{}_{}_aggregate", metric, compare));
        std::ostringstream dat;
        for (const auto& value : m.values) {
            for (const char* axis : {"n_prompt", "n_gen"}) {
                std::map<double, std::pair<std::vector<double>, std::vector<double>>> at;   // x -> (ts, cv)
                for (const auto& r : m.data.records)
                    if (r.metric == metric && r.status == "ok" && r.params.at(compare) == value) {
                        at[number(r.params.at(axis))].first.push_back(r.avg_ts);
                        at[number(r.params.at(axis))].second.push_back(r.cv_percent());
                    }
                dat << "# " << compare << " = " << value << ", by " << axis << ": x mean_ts mean_cv\n";
                for (const auto& [x, v] : at) {
                    double ts = 0, cv = 0;
                    for (double t : v.first) ts += t;
                    for (double c : v.second) cv += c;
                    dat << x << " " << ts / static_cast<double>(v.first.size()) << " "
                        << cv / static_cast<double>(v.second.size()) << "\n";
                }
                dat << "\n\n";
            }
        }
        out.files[stem + ".dat"] = dat.str();
        std::string plot = "set multiplot layout 2,2 title " + quoted(fmt::format("{} — {}", metric, compare)) +
                           "\nset grid\nset key top left\n";
        const std::string cv_label = "CV (%)";
        for (const char* axis : {"n_prompt", "n_gen"})
            for (int column : {2, 3}) {
                plot += "set xlabel " + quoted(axis) + "\nset ylabel " + quoted(column == 2 ? "tokens/s" : cv_label) + "\nplot ";
                for (size_t v = 0; v < m.values.size(); ++v)
                    plot += fmt::format("{}\"{}.dat\" index {} using 1:{} with linespoints title {}", v ? ", " : "", stem,
                                        v * 2 + (std::string(axis) == "n_gen" ? 1 : 0), column,
                                        quoted(compare + " = " + m.values[v]));
                plot += "\n";
            }
        plot += "unset multiplot";
        out.files[stem + ".gp"] = with_terminals(stem, "1100,800", plot);
        out.figures.push_back({stem, fmt::format("{} {}", metric, compare)});
    }

    // Loads: time and peak RSS per model and value.
    if (!m.loads.empty()) {
        const std::string stem = file_stem(fmt::format("loads_{}", compare));
        std::ostringstream dat;
        dat << "# label load_ms_mean load_ms_sd rss_peak_mib\n";
        for (const auto& l : m.loads)
            dat << quoted(fmt::format("{} {} {}", l.model, l.value.empty() ? "" : l.value, l.cache_state)) << " "
                << l.load_ms_mean << " " << l.load_ms_sd << " " << l.rss_peak_mib_mean << "\n";
        out.files[stem + ".dat"] = dat.str();
        std::string plot = "set multiplot layout 1,2\nset grid y\nset style fill solid 0.6\nset boxwidth 0.6\n"
                           "set yrange [0:*]\n"
                           "set xtics rotate by -20\nset key off\n";
        plot += "set ylabel " + quoted(zh ? "加载耗时 (ms)" : "load time (ms)") +
                fmt::format("\nplot \"{}.dat\" using 0:2:xtic(1) with boxes, \"\" using 0:2:3 with yerrorbars\n", stem);
        plot += "set ylabel " + quoted(zh ? "峰值 RSS (MiB)" : "peak RSS (MiB)") +
                fmt::format("\nplot \"{}.dat\" using 0:4:xtic(1) with boxes\nunset multiplot", stem);
        out.files[stem + ".gp"] = with_terminals(stem, "1100,450", plot);
        out.figures.push_back({stem, zh ? "加载耗时与内存" : "load time and memory"});
    }
    return out;
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

void draw(const std::string& gnuplot, const std::string& folder, const std::vector<Figure>& figures) {
    for (const Figure& figure : figures) {
        int out[2];
        if (pipe(out) != 0) throw Error("cannot run gnuplot: no pipe");
        const std::string script = figure.name + ".gp";
        const pid_t pid = fork();
        if (pid == 0) {
            dup2(out[1], STDOUT_FILENO);
            dup2(out[1], STDERR_FILENO);
            close(out[0]);
            if (chdir(folder.c_str()) == 0) execl(gnuplot.c_str(), "gnuplot", script.c_str(), static_cast<char*>(nullptr));
            _exit(127);
        }
        close(out[1]);
        std::string output;
        char buffer[512];
        for (ssize_t n; (n = read(out[0], buffer, sizeof buffer)) > 0;) output.append(buffer, static_cast<size_t>(n));
        close(out[0]);
        int status = 0;
        waitpid(pid, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            throw Error(fmt::format("gnuplot failed on {} in {}: {}", script, folder, output));
    }
}

} // namespace llmsweep::chart
