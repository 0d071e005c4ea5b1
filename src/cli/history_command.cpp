#include "analysis/history.hpp"
#include "chart/gnuplot.hpp"
#include "chart/history_charts.hpp"
#include "cli/command.hpp"
#include "cli/filters.hpp"
#include "cli/format.hpp"
#include "core/error.hpp"
#include "core/escape.hpp"
#include "core/staged_folder.hpp"
#include "report/history.hpp"
#include "report/strings.hpp"
#include "report/tables.hpp"
#include "report/writers.hpp"
#include "store/store.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <filesystem>
#include <memory>
#include <set>

namespace llmsweep::cli {
namespace {

struct HistoryArgs {
    std::string db = "benchmark_results.db";
    std::string out, model, lang, order = "auto";
    std::vector<std::string> where, metrics, fail_on;
    double margin = analysis::default_margin_pct;
    bool no_charts = false;
};

bool history_file(const std::filesystem::directory_entry& entry) {
    static const std::set<std::string> extensions = {".md", ".json", ".csv", ".gp", ".dat", ".png", ".svg"};
    return entry.is_regular_file() && extensions.count(entry.path().extension().string()) > 0;
}

// Each series as the terminal shows it: its title, its builds' table, its steps.
void print_history(const analysis::History& history, const std::string& lang) {
    const report::Strings& s = report::strings(lang);
    const report::Columns<report::HistoryRow> columns = report::history_columns(s);
    for (const auto& series : history.series) {
        say("{}\n", escape::terminal(report::series_title(series, history, lang)));
        const report::Table table = report::shown_table(columns, report::history_rows(series));
        print_table(table.header(), table.rows());
        if (series.steps.empty()) say("{}\n", fmt::format(fmt::runtime(s.history_no_step), history.alpha));
        for (const auto& step : series.steps)
            say("{}{}\n",
                escape::terminal(fmt::format(fmt::runtime(s.history_step_line), step.from, step.to,
                                             report::step_text(step), step.builds_before, step.builds_after,
                                             step.p_value)),
                step.regression ? fmt::format(": {}", s.history_regression) : "");
        say("\n");
    }
    for (const auto& why : history.left_out) say("{} {}\n", s.history_left_out, escape::terminal(why));
}

void run_history(const HistoryArgs& args) {
    if (!std::filesystem::is_regular_file(args.db))
        throw UsageError(fmt::format("no database at '{}'; sweep each build into it (llmsweep run), import "
                                     "llama-bench's files (llmsweep import), or pass --db",
                                     args.db));
    const std::string lang = args.lang.empty() ? language_from_locale() : args.lang;
    analysis::HistoryOptions options;
    options.margin_pct = args.margin;
    options.order = args.order == "number" ? analysis::HistoryOrder::build_number
                    : args.order == "time" ? analysis::HistoryOrder::time
                                           : analysis::HistoryOrder::auto_;
    const analysis::Filters filters = parse_filters(args.model, std::nullopt, args.where);
    analysis::History history = [&] {
        store::Store store(args.db, store::Store::Access::read_only);
        analysis::Dataset data = analysis::load_dataset(store, filters);
        if (!args.metrics.empty())
            std::erase_if(data.records, [&](const analysis::Record& r) {
                return std::find(args.metrics.begin(), args.metrics.end(), r.metric) == args.metrics.end();
            });
        return analysis::build_history(store, data, options);
    }();
    if (history.series.empty())
        throw UsageError(fmt::format(
            "no series with two builds or more in '{}'{}; a history needs each build's results for the same model "
            "and points (runs with different build_commit)",
            args.db, history.left_out.empty() ? "" : fmt::format(" ({})", fmt::join(history.left_out, "; "))));

    std::vector<chart::Figure> figures;
    std::vector<report::ChartImage> images;
    const std::string gnuplot = args.out.empty() || args.no_charts ? "" : chart::find_gnuplot();
    if (!gnuplot.empty()) {
        figures = chart::history_figures(history, lang);
        for (const auto& f : figures) images.push_back({f.stem, f.title, f.caption});
    }
    print_history(history, lang);
    const std::string markdown = report::render_markdown(report::history_document(history, lang, images));
    if (!args.out.empty()) {
        StagedFolder folder(args.out, ".llmsweep-history", history_file);
        folder.write("history.md", markdown);
        folder.write("history.csv", report::history_csv(history));
        folder.write("history.json", report::history_json(history));
        for (const auto& figure : figures) {
            const auto gp = chart::to_gnuplot(figure);
            folder.write(figure.stem + ".gp", gp.script);
            folder.write(figure.stem + ".dat", gp.data);
        }
        if (!gnuplot.empty()) chart::draw(gnuplot, folder.path(), figures);
        folder.commit();
        say(stderr, "wrote history.md, history.csv, history.json and {} chart{} into {}\n", figures.size(),
            figures.size() == 1 ? "" : "s", escape::terminal(folder.target().string()));
    }

    // The gate: one line per regression, then exit 1.
    if (std::find(args.fail_on.begin(), args.fail_on.end(), "regression") == args.fail_on.end()) return;
    size_t regressions = 0;
    for (const auto& series : history.series)
        for (const auto& step : series.steps) {
            if (!step.regression) continue;
            ++regressions;
            say(stderr, "regression: {} {}{}: between build {} and {}: {} (p = {:.3f})\n",
                escape::terminal(series.model), escape::terminal(series.metric),
                series.host.empty() ? "" : " on " + escape::terminal(series.host), escape::terminal(step.from),
                escape::terminal(step.to), report::step_text(step), step.p_value);
        }
    if (regressions > 0)
        throw Error(fmt::format("{} regression{} beyond the margin of {} % (--fail-on regression)", regressions,
                                regressions == 1 ? "" : "s", args.margin));
}

} // namespace

Command add_history_command(CLI::App& app) {
    auto args = std::make_shared<HistoryArgs>();
    CLI::App* sub = app.add_subcommand(
        "history", "Each llama.cpp build's throughput in history order, the builds where it stepped, and a CI gate");
    sub->footer(
        "The builds are the runs' build_commit (native runs, --engine llama-bench, imports of llama-bench's files),\n"
        "in the order of llama.cpp's build number where llama-bench reported one for every build, else of each\n"
        "build's first run. Per model, metric and host, a build's level is the geometric mean over the points every\n"
        "run measured; a step is where a stretch of builds differs from the rest by more than normal noise would,\n"
        "and its size compares the builds after it with those before it (each run a replicate). Run each build more\n"
        "than once to give its level an interval.\n\n"
        "Examples:\n"
        "  llmsweep history --db perf.db\n"
        "  llmsweep history --db perf.db --metric tg --where n_gen=128 --out history/\n"
        "  llmsweep history --db perf.db --margin 3 --fail-on regression      (exit 1 on a slowdown: a CI gate)");
    sub->add_option("--db", args->db, "Database to read")->capture_default_str();
    sub->add_option("--out", args->out, "Folder to write history.md, history.csv, history.json and the charts into");
    sub->add_option("--model", args->model, "Only this model (file name as stored)");
    sub->add_option("--metric", args->metrics, "Only these metrics (pp, tg, pg, ...)")->delimiter(',');
    sub->add_option("--where", args->where, "Only results with PARAM=VALUE (repeatable)")
        ->type_size(1)
        ->allow_extra_args(false);
    sub->add_option("--order-by", args->order,
                    "The builds' order: number (llama.cpp's build number), time (each build's first run), or auto")
        ->check(CLI::IsMember({"auto", "number", "time"}))
        ->capture_default_str();
    sub->add_option("--margin", args->margin, "A step slower than -PCT percent is a regression")
        ->capture_default_str()
        ->check(CLI::Range(0.01, 100.0));
    sub->add_option("--lang", args->lang, "Language: zh or en (default: from the locale)")
        ->check(CLI::IsMember({"zh", "en"}));
    sub->add_flag("--no-charts", args->no_charts, "With --out, do not draw charts (they need gnuplot)");
    sub->add_option("--fail-on", args->fail_on, "Exit 1 when a step is a regression (a CI gate)")
        ->delimiter(',')
        ->check(CLI::IsMember({"regression"}));
    return {sub, [args] { run_history(*args); }};
}

} // namespace llmsweep::cli
