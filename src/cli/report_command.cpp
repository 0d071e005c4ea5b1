#include "analysis/dataset.hpp"
#include "chart/charts.hpp"
#include "cli/command.hpp"
#include "core/error.hpp"
#include "report/report_model.hpp"
#include "report/writers.hpp"
#include "store/store.hpp"
#include "sweep/range.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <filesystem>
#include <memory>

namespace llmsweep::cli {
namespace {

struct ReportArgs {
    std::string db = "benchmark_results.db";
    std::string out = "report";
    std::string compare, baseline, model, lang, formats = "md,html,csv,json";
    std::vector<std::string> where;
    bool no_charts = false;
};

// zh for a Chinese locale (LC_ALL, LC_MESSAGES or LANG starting with zh), en otherwise.
std::string language_from_locale() {
    for (const char* name : {"LC_ALL", "LC_MESSAGES", "LANG"}) {
        const char* value = std::getenv(name);
        if (value && *value) return std::string_view(value).substr(0, 2) == "zh" ? "zh" : "en";
    }
    return "en";
}

std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void run_report(const ReportArgs& args) {
    if (!std::filesystem::is_regular_file(args.db))
        throw UsageError(fmt::format("no database at '{}'; run a sweep into it with 'llmsweep run', or pass --db",
                                     args.db));
    const std::string lang = args.lang.empty() ? language_from_locale() : args.lang;
    report::ReportOptions options;
    if (!args.compare.empty()) options.compare = args.compare;
    if (!args.baseline.empty()) options.baseline = args.baseline;
    if (!args.model.empty()) options.filters.model = args.model;
    for (const auto& condition : args.where) {
        const auto equals = condition.find('=');
        if (equals == std::string::npos || equals == 0)
            throw UsageError(fmt::format("--where '{}' is not PARAM=VALUE", condition));
        options.filters.where.emplace_back(condition.substr(0, equals), condition.substr(equals + 1));
    }
    std::vector<std::string> formats = sweep::parse_name_list(args.formats, "--format");
    // HTML inlines the charts' SVG, so it is written after gnuplot has drawn them.
    const auto html = std::find(formats.begin(), formats.end(), "html");
    const bool want_html = html != formats.end();
    if (want_html) formats.erase(html);

    store::Store store(args.db);
    const report::ReportModel model = report::build_report(store, args.db, options);
    // Charts, when gnuplot is there: data files and scripts go with the report, then gnuplot draws.
    report::ChartLinks links;
    chart::ChartFiles charts;
    const std::string gnuplot = args.no_charts ? "" : chart::find_gnuplot();
    if (args.no_charts) links.unavailable = "--no-charts";
    else if (gnuplot.empty()) links.unavailable = "gnuplot is not installed (Debian: apt-get install gnuplot-nox)";
    else {
        charts = chart::chart_files(model, lang);
        for (const auto& figure : charts.figures) links.images.emplace_back(figure.name, figure.title);
    }
    auto files = report::render(model, lang, formats, links);
    files.insert(charts.files.begin(), charts.files.end());
    report::write_report_files(args.out, files);
    if (!gnuplot.empty()) chart::draw(gnuplot, args.out, charts.figures);
    const auto out = std::filesystem::path(args.out);
    if (want_html) {
        const auto svg_of = [&](const std::string& stem) { return read_text(out / (stem + ".svg")); };
        const std::string page = report::render_html(report::build_document(model, lang, links), lang, svg_of);
        report::write_report_files(out, {{"report.html", page}});
        files["report.html"] = page;
        fmt::print("wrote {}\n", (out / "report.html").string());
    }
    if (files.count("report.md")) fmt::print("wrote {}\n", (out / "report.md").string());
    fmt::print("wrote {} files and {} charts into {}{}\n", files.size(), charts.figures.size(), out.string(),
               links.unavailable.empty() ? "" : " (no charts: " + links.unavailable + ")");
}

} // namespace

Command add_report_command(CLI::App& app) {
    auto args = std::make_shared<ReportArgs>();
    CLI::App* sub = app.add_subcommand("report", "Turn a database into a report: tables, paired differences with "
                                                 "tests and verdicts, CSV files");
    std::vector<std::string_view> of_point;
    for (std::string_view name : analysis::parameter_list)
        if (std::find(analysis::run_parameters.begin(), analysis::run_parameters.end(), name) == analysis::run_parameters.end())
            of_point.push_back(name);
    sub->footer(fmt::format("--compare and --where take a point's parameter:\n  {}\n"
                            "or the run's, to compare llama.cpp builds, llmsweep with llama-bench, or machines:\n  {}\n\n"
                            "Examples:\n"
                            "  llmsweep report --db benchmark_results.db --compare load_mode --out report/ --lang zh\n"
                            "  llmsweep report --compare n_threads --baseline 1 --where n_gen=128 --format csv\n"
                            "  llmsweep report --compare build_commit --baseline 80fb11a",
                            fmt::join(of_point, ", "), fmt::join(analysis::run_parameters, ", ")));
    sub->add_option("--db", args->db, "Database to read")->capture_default_str();
    sub->add_option("-o,--out", args->out, "Folder to write the report into")->capture_default_str();
    sub->add_option("--compare", args->compare,
                    "Parameter whose values are compared (default: the only two-valued swept one; when only "
                    "n_prompt, n_gen or n_depth vary, a report of the results without comparisons)");
    sub->add_option("--baseline", args->baseline, "Value the others are compared with (default: the first)");
    sub->add_option("--model", args->model, "Only this model (file name as stored)");
    sub->add_option("--where", args->where, "Only results with PARAM=VALUE (repeatable)")->type_size(1)
        ->allow_extra_args(false);
    sub->add_option("--lang", args->lang, "Language of the report: zh or en (default: from the locale)")
        ->check(CLI::IsMember({"zh", "en"}));
    sub->add_option("--format", args->formats, "Formats to write: md, html, csv, json")->capture_default_str();
    sub->add_flag("--no-charts", args->no_charts, "Do not draw charts (they need gnuplot)");
    return {sub, [args] { run_report(*args); }};
}

} // namespace llmsweep::cli
