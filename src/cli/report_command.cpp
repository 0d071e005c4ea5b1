#include "analysis/dataset.hpp"
#include "chart/charts.hpp"
#include "chart/gnuplot.hpp"
#include "cli/command.hpp"
#include "cli/filters.hpp"
#include "cli/format.hpp"
#include "core/error.hpp"
#include "core/escape.hpp"
#include "core/staged_folder.hpp"
#include "core/text.hpp"
#include "report/report_model.hpp"
#include "report/strings.hpp"
#include "report/tables.hpp"
#include "report/writers.hpp"
#include "store/store.hpp"
#include "sweep/range.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <malloc.h>
#include <memory>
#include <optional>
#include <set>

namespace llmsweep::cli {
namespace {

struct ReportArgs {
    std::string db = "benchmark_results.db";
    std::string out = "report";
    std::string compare, baseline, model, lang, formats = "md,html,csv,json", slo;
    std::vector<std::string> where;
    bool no_charts = false, pool_runs = false;
    std::string raw_csv = "plain";
    std::optional<int64_t> run;
    double margin = analysis::default_margin_pct;
    std::vector<std::string> fail_on;
};

// Which verdicts --fail-on names: faster, slower, equivalent, inconclusive, or different (faster or slower).
bool fails(analysis::Verdict verdict, const std::vector<std::string>& fail_on) {
    using analysis::Verdict;
    for (const std::string& name : fail_on) {
        if ((name == "faster" || name == "different") && verdict == Verdict::faster) return true;
        if ((name == "slower" || name == "different") && verdict == Verdict::slower) return true;
        if (name == "equivalent" && verdict == Verdict::equivalent) return true;
        if (name == "inconclusive" && (verdict == Verdict::inconclusive || verdict == Verdict::too_few)) return true;
    }
    return false;
}

// A report folder holds only what a report writes: a folder of these, written by an older llmsweep that left
// no marker, may be replaced too.
bool report_file(const std::filesystem::directory_entry& entry) {
    static const std::set<std::string> extensions = {".md", ".html", ".json", ".csv", ".gp", ".dat", ".png", ".svg"};
    return entry.is_regular_file() &&
           (extensions.count(entry.path().extension().string()) > 0 || entry.path().filename() == "raw.csv.gz");
}

void run_report(const ReportArgs& args) {
    if (args.db.empty()) throw UsageError("--db is empty; name the database file to read");
    if (args.out == "-")
        throw UsageError("--out is the folder the report is written into, not stdout: name a folder (--out report); "
                         "'llmsweep run' prints each point's figures as it measures them");
    if (!std::filesystem::is_regular_file(args.db))
        throw UsageError(
            fmt::format("no database at '{}'; run a sweep into it with 'llmsweep run', or pass --db", args.db));
    const std::string lang = args.lang.empty() ? language_from_locale() : args.lang;
    // One malloc arena for the report's threads (the results' reader, the comparisons, raw.csv): memory one
    // phase frees is the next one's, not kept apart in another thread's arena (a million results peaked at
    // 519 MiB with an arena per thread, 489 MiB with one, in the same time). Blocks up to 32 MiB (a growing
    // vector's) come from that heap, grown 64 MiB at a time, rather than each from a mapping of its own whose
    // every page faults anew: a million results in 9.1-9.4 s instead of 9.6-10.0 s, 227,000 page faults instead of
    // 250,000, the same peak.
    mallopt(M_ARENA_MAX, 1);
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TOP_PAD, 64 << 20);
    report::ReportOptions options;
    options.margin_pct = args.margin;
    if (!args.compare.empty()) options.compare = analysis::parameter_named(args.compare);
    if (!args.baseline.empty()) options.baseline = args.baseline;
    if (!args.slo.empty()) options.slo = domain::parse_slo(args.slo, "--slo");
    options.filters = parse_filters(args.model, args.run, args.where);
    options.pool_runs = args.pool_runs;
    std::vector<std::string> formats = sweep::parse_name_list(args.formats, "--format");
    for (const auto& format : formats)
        if (format != "md" && format != "html" && format != "csv" && format != "json")
            throw UsageError(fmt::format("unknown report format '{}'; choose from md, html, csv, json", format));
    // HTML inlines the charts' SVG, so it is written after gnuplot has drawn them.
    const auto html = std::find(formats.begin(), formats.end(), "html");
    const bool want_html = html != formats.end();
    if (want_html) formats.erase(html);

    report::ChartLinks links;
    links.data_files = std::find(formats.begin(), formats.end(), "csv") != formats.end();
    links.raw_csv = !links.data_files || args.raw_csv == "none" ? ""
                    : args.raw_csv == "gzip"                    ? "raw.csv.gz"
                                                                : "raw.csv";
    // Everything is written into a staging folder and put in place at the end: a report that fails or is
    // interrupted leaves the previous one as it was.
    StagedFolder folder(args.out, ".llmsweep-report", report_file);
    report::ReportModel model;
    // raw.csv, its rows alone, is written beside the analysis and the charts once the results are read (a million
    // results: about a second). Declared after the model: an analysis that fails waits for it before the
    // results go.
    std::future<void> raw_written;
    {
        store::Store store(args.db, store::Store::Access::read_only);
        report::build_report(model, store, args.db, options, [&] {
            if (links.raw_csv.empty()) return;
            raw_written = std::async(std::launch::async, [&] {
                const auto raw_rows = [&](const StagedFolder::Sink& sink) { report::write_raw_csv(model.data, sink); };
                if (args.raw_csv == "gzip") folder.write_gzip(links.raw_csv, raw_rows);
                else folder.write(links.raw_csv, raw_rows);
            });
        });
    }
    // Charts, when gnuplot is there: data files and scripts go with the report, then gnuplot draws.
    // Each chart's files are written as it is made, and gnuplot draws it while the next is made.
    chart::ReportCharts charts;
    const std::string gnuplot = args.no_charts ? "" : chart::find_gnuplot();
    if (args.no_charts) links.unavailable = "--no-charts";
    else if (gnuplot.empty()) links.unavailable = "gnuplot is not installed (Debian: apt-get install gnuplot-nox)";
    std::optional<chart::Drawing> drawing;
    if (!gnuplot.empty()) {
        drawing.emplace(gnuplot, folder.path());
        charts = chart::report_charts(model, lang, [&](const chart::Figure& figure) {
            const auto gp = chart::to_gnuplot(figure);
            folder.write(figure.stem + ".gp", gp.script);
            folder.write(figure.stem + ".dat", gp.data);
            drawing->add(figure);
        });
        for (const auto& figure : charts.figures)
            links.images.push_back({figure.stem, figure.title, figure.caption, figure.headline});
        links.left_out = charts.left_out;
    }
    auto files = report::render(model, lang, formats, links);
    for (const auto& [name, contents] : files) folder.write(name, contents);
    if (raw_written.valid()) raw_written.get();
    if (drawing) drawing->finish();
    if (want_html) {
        const auto svg_of = [&](const std::string& stem) { return read_text_file(folder.path() / (stem + ".svg")); };
        files["report.html"] = report::render_html(report::build_document(model, lang, links), lang, svg_of);
        folder.write("report.html", files["report.html"]);
    }
    folder.commit();
    const std::string out = escape::terminal(folder.target().string());
    for (const char* name : {"report.html", "report.md"})
        if (files.count(name)) say("wrote {}/{}\n", out, name);
    const size_t written = files.size() + 2 * charts.figures.size() + (links.raw_csv.empty() ? 0 : 1);
    say("wrote {} file{} and {} chart{} into {}{}\n", written, written == 1 ? "" : "s", charts.figures.size(),
        charts.figures.size() == 1 ? "" : "s", out,
        links.unavailable.empty() ? "" : " (no charts: " + links.unavailable + ")");

    // The gate, once the report is in place: one line per comparison it stops on, then exit 1.
    size_t failing = 0;
    const report::Strings& en = report::strings("en");
    for (const auto& c : model.comparisons) {
        if (!fails(c.verdict, args.fail_on)) continue;
        ++failing;
        const auto& e = c.effect.all;
        say(stderr, "{}: {} {} {}={} vs {}: {:+.2f} % [{:+.2f}, {:+.2f}], {} blocks\n",
            report::verdict_text(c.verdict, en), escape::terminal(report::group_label(c.model, en)),
            escape::terminal(c.metric), escape::terminal(model.compare), escape::terminal(c.value),
            escape::terminal(c.baseline), e.estimate, c.interval.low, c.interval.high, e.replicates);
    }
    if (failing > 0)
        throw Error(fmt::format("{} of {} comparisons {} {} (--fail-on {})", failing, model.comparisons.size(),
                                failing == 1 ? "is" : "are", fmt::join(args.fail_on, " or "),
                                fmt::join(args.fail_on, ",")));
}

} // namespace

Command add_report_command(CLI::App& app) {
    auto args = std::make_shared<ReportArgs>();
    CLI::App* sub = app.add_subcommand("report", "Turn a database into a report: tables, paired differences with "
                                                 "tests and verdicts, CSV files");
    std::vector<std::string_view> of_point;
    for (std::string_view name : analysis::parameter_list())
        if (std::find(analysis::run_parameters.begin(), analysis::run_parameters.end(), name) ==
                analysis::run_parameters.end() &&
            std::find(store::load_derived_columns.begin(), store::load_derived_columns.end(), name) ==
                store::load_derived_columns.end())
            of_point.push_back(name);
    sub->footer(
        fmt::format("--compare and --where take a point's parameter (or its flag's name: threads, flash-attn):\n  {}\n"
                    "or what the worker processes recorded:\n"
                    "  huge_pages_used  yes when every load the result ran on had memory on huge pages (THP, or\n"
                    "                   PMD-mapped model file pages), no when none had, mixed, or unknown\n"
                    "or the run's, to compare llama.cpp builds, llmsweep with llama-bench, or machines:\n  {}\n\n"
                    "Examples:\n"
                    "  llmsweep report --db benchmark_results.db --compare load_mode --out report/ --lang zh\n"
                    "  llmsweep report --compare n_threads --baseline 1 --where n_gen=128 --format csv\n"
                    "  llmsweep report --compare build_commit --baseline 80fb11a\n"
                    "  llmsweep report --compare model --baseline qwen-q8_0.gguf   (which quantization is faster)\n"
                    "  llmsweep report --compare load_mode --where huge_pages_used=no\n"
                    "  llmsweep report --compare build_commit --baseline 80fb11a --margin 3 --fail-on slower",
                    fmt::join(of_point, ", "), fmt::join(analysis::run_parameters, ", ")));
    sub->add_option("--db", args->db, "Database to read")->capture_default_str();
    sub->add_option("--out", args->out, "Folder to write the report into")->capture_default_str();
    sub->add_option("--compare", args->compare,
                    "Parameter whose values are compared (default: the only two-valued swept one; when only "
                    "n_prompt, n_gen or n_depth vary, a report of the results without comparisons)");
    sub->add_option("--baseline", args->baseline, "Value the others are compared with (default: the first)");
    sub->add_option("--model", args->model, "Only this model (file name as stored)");
    sub->add_option("--run", args->run,
                    "Only this run's results (the runs are listed under Methodology; also --where run=N)")
        ->check(CLI::PositiveNumber);
    sub->add_flag("--pool-runs", args->pool_runs,
                  "Let comparisons within runs pool the rounds of runs of different designs (other repetitions, "
                  "adaptive and fixed, other days); without it such a report is refused, naming the runs");
    sub->add_option("--where", args->where, "Only results with PARAM=VALUE (repeatable)")
        ->type_size(1)
        ->allow_extra_args(false);
    sub->add_option("--lang", args->lang, "Language of the report: zh or en (default: from the locale)")
        ->check(CLI::IsMember({"zh", "en"}));
    sub->add_option("--format,-o,--output", args->formats,
                    "Formats to write: md, html, csv, json (-o and --output as llama-bench spells it)")
        ->capture_default_str();
    sub->add_flag("--no-charts", args->no_charts, "Do not draw charts (they need gnuplot)");
    sub->add_option("--raw-csv", args->raw_csv,
                    "With --format csv, every result with every parameter: plain (raw.csv), gzip (raw.csv.gz, about "
                    "a tenth of the size: a million results made 208 MiB of CSV and 21 MiB of gzip) or none")
        ->check(CLI::IsMember({"plain", "gzip", "none"}))
        ->capture_default_str();
    sub->add_option("--margin", args->margin,
                    "Differences within +-PCT percent count as none: a comparison whose 90 % interval lies inside "
                    "is 'equivalent'")
        ->capture_default_str()
        ->check(CLI::Range(0.01, 100.0));
    sub->add_option("--slo", args->slo,
                    "Server mode: the objective goodput counts against, ttft=, tpot=, e2e= in ms or s "
                    "(ttft=500ms,tpot=50ms; default: the one `run --slo` gave)");
    sub->add_option("--fail-on", args->fail_on,
                    "Exit 1 after writing the report when a comparison's verdict is one of these: faster, slower, "
                    "different (faster or slower), equivalent, inconclusive (a CI gate)")
        ->delimiter(',')
        ->check(CLI::IsMember({"faster", "slower", "different", "equivalent", "inconclusive"}));
    return {sub, [args] { run_report(*args); }};
}

} // namespace llmsweep::cli
