#include "report/writers.hpp"

#include "core/error.hpp"
#include "report/strings.hpp"
#include "report/tables.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <unistd.h>

namespace llmsweep::report {
namespace {

namespace fs = std::filesystem;

std::string csv_field(const std::string& field) {
    if (field.find_first_of(",\"\r\n") == std::string::npos) return field;
    std::string quoted = "\"";
    for (char c : field) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
}

// Markdown table cells: a '|' would end the cell, a line break the row.
std::string md_cell(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c == '|') out += "\\|";
        else if (c == '\n' || c == '\r') out += ' ';
        else out += c;
    }
    return out;
}

std::string range(const analysis::Range& r) { return fmt::format("{} - {}", r.min, r.max); }

} // namespace

std::string to_csv(const Table& table) {
    std::string out;
    auto line = [&](const std::vector<std::string>& cells) {
        for (size_t i = 0; i < cells.size(); ++i) out += (i ? "," : "") + csv_field(cells[i]);
        out += "\r\n";
    };
    line(table.header());
    for (const auto& row : table.rows()) line(row);
    return out;
}

std::string to_markdown(const Table& table) {
    std::string out;
    auto line = [&](const std::vector<std::string>& cells) {
        out += "|";
        for (const auto& cell : cells) out += " " + md_cell(cell) + " |";
        out += "\n";
    };
    line(table.header());
    out += "|";
    for (size_t i = 0; i < table.header().size(); ++i) out += "---|";
    out += "\n";
    for (const auto& row : table.rows()) line(row);
    return out;
}

std::string markdown_report(const ReportModel& m, std::string_view language, const ChartLinks& charts) {
    const Strings& s = strings(language);
    std::string md;
    md += fmt::format("# {} {}\n\n", m.compare, s.title_suffix);
    md += fmt::format("- {}: {}\n- {}: {}\n\n", s.generated_at, m.generated_at, s.source, m.source);

    md += fmt::format("## {}\n\n", s.overview);
    md += fmt::format("- {}: {}\n", s.records, m.total_records());
    md += fmt::format("- {}: {}\n", s.models, fmt::join(m.models, ", "));
    md += fmt::format("- {}: {}\n", s.metrics, fmt::join(m.metrics, ", "));
    md += fmt::format("- {} {}: {}\n", m.compare, s.values_of, fmt::join(m.values, ", "));
    md += fmt::format("- {}: {}\n- {}: {}\n\n", s.n_prompt_range, range(m.n_prompt), s.n_gen_range, range(m.n_gen));

    md += fmt::format("## {}\n\n{}\n", s.counts, to_markdown(counts_table(m, s)));

    md += fmt::format("## {}\n\n", s.performance);
    for (const auto& metric : m.metrics) {
        const std::string_view name = metric == "pp" ? s.pp_name : metric == "tg" ? s.tg_name : metric;
        md += fmt::format("### {}\n\n{}\n", name, to_markdown(performance_table(m, metric, s)));
    }

    md += fmt::format("## {}\n\n{}\n\n{}\n", s.differences, s.differences_intro, to_markdown(differences_table(m, s)));

    md += fmt::format("## {}\n\n", s.charts);
    if (!charts.unavailable.empty()) md += fmt::format("{} {}\n\n", s.charts_unavailable, charts.unavailable);
    for (const auto& [stem, title] : charts.images)
        md += fmt::format("![{}]({}.png)\n\n[SVG]({}.svg) · [{}]({}.dat) · [{}]({}.gp)\n\n", title, stem, stem,
                          s.chart_data, stem, s.chart_script, stem);

    md += fmt::format("## {}\n\n{}\n\n{}\n", s.beyond, s.loads_intro, to_markdown(loads_table(m, s)));
    if (!m.latencies.empty()) md += fmt::format("{}\n\n{}\n", s.latency_intro, to_markdown(latency_table(m, s)));

    md += fmt::format("## {}\n\n", s.warnings);
    bool any = false;
    if (!m.high_cv.empty()) {
        any = true;
        md += fmt::format("- {} {}%:\n", s.high_cv_intro, m.cv_warning_percent);
        for (const auto* r : m.high_cv)
            md += fmt::format("  - {} {} {}={} n_prompt={} n_gen={}: CV {:.2f}%\n", r->model, r->metric, m.compare,
                              r->params.at(m.compare), r->params.at("n_prompt"), r->params.at("n_gen"),
                              r->cv_percent());
    }
    if (!m.not_ok.empty()) {
        any = true;
        md += fmt::format("- {}: {}\n", s.not_ok_intro, m.not_ok.size());
        for (const auto* r : m.not_ok)
            md += fmt::format("  - {} {} {}={} n_prompt={} n_gen={}: {}\n", r->model, r->metric, m.compare,
                              r->params.at(m.compare), r->params.at("n_prompt"), r->params.at("n_gen"), r->status);
    }
    for (const auto& c : m.comparisons) {
        if (c.verdict == analysis::Verdict::too_few_pairs) {
            any = true;
            md += fmt::format("- {}: {} {} {} vs {} ({})\n", s.too_few_intro, c.model, c.metric, c.value, c.baseline,
                              c.n_pairs);
        }
        if (c.unpaired > 0) {
            any = true;
            md += fmt::format("- {}: {} {} {} vs {} ({})\n", s.unpaired_intro, c.model, c.metric, c.value, c.baseline,
                              c.unpaired);
        }
    }
    if (!any) md += fmt::format("{}\n", s.no_warnings);

    md += fmt::format("\n## {}\n\n{}\n\n", s.methodology, s.methodology_intro);
    for (const auto& run : m.runs)
        md += fmt::format("- {} {} ({}): {} {}, {} {}, {} {}, {} {}; {} {} ({}); {}: {}, {}\n", s.run, run.id,
                          run.started_at, s.mode, run.mode, s.order, run.order, s.repetitions, run.repetitions,
                          s.warmup, run.warmup, s.build, run.build_commit, run.backends, s.host, run.cpu, run.os);

    md += fmt::format("\n## {}\n\n- [{}](raw.csv)\n- [{}](summary.csv)\n- [{}](difference.csv)\n\n{}\n", s.data_files,
                      s.raw_csv, s.summary_csv, s.difference_csv, s.closing);
    return md;
}

std::string json_report(const ReportModel& m) {
    using nlohmann::json;
    json summaries = json::array(), comparisons = json::array(), loads = json::array(), latencies = json::array(),
         counts = json::array(), runs = json::array(), not_ok = json::array(), high_cv = json::array();
    for (const auto& c : m.counts)
        counts.push_back({{"value", c.value}, {"model", c.model}, {"metric", c.metric}, {"results", c.records}});
    for (const auto& g : m.summaries)
        summaries.push_back({{"model", g.model}, {"metric", g.metric}, {"value", g.value}, {"points", g.n},
                             {"mean_ts", g.mean}, {"sd_ts", g.sd}, {"min_ts", g.min}, {"max_ts", g.max},
                             {"median_ts", g.median}, {"mean_cv_percent", g.mean_cv}, {"max_cv_percent", g.max_cv},
                             {"n_prompt", {g.n_prompt.min, g.n_prompt.max}}, {"n_gen", {g.n_gen.min, g.n_gen.max}},
                             {"not_ok", g.not_ok}});
    for (const auto& c : m.comparisons)
        comparisons.push_back({{"model", c.model}, {"metric", c.metric}, {"baseline", c.baseline}, {"value", c.value},
                               {"pairs", c.n_pairs}, {"unpaired", c.unpaired}, {"mean_diff_ts", c.mean_diff_ts},
                               {"mean_rel_diff_percent", c.mean_rel_diff_pct},
                               {"ci95_percent", {c.ci_low_pct, c.ci_high_pct}}, {"wilcoxon_p", c.wilcoxon_p},
                               {"t_test_p", c.t_p}, {"wilcoxon_p_holm", c.wilcoxon_p_holm},
                               {"verdict", verdict_text(c.verdict, strings("en"))}});
    for (const auto& l : m.loads)
        loads.push_back({{"model", l.model}, {"value", l.value}, {"cache_state", l.cache_state}, {"loads", l.loads},
                         {"load_ms_mean", l.load_ms_mean}, {"load_ms_sd", l.load_ms_sd},
                         {"rss_peak_mib_mean", l.rss_peak_mib_mean}, {"major_faults_mean", l.major_faults_mean},
                         {"minor_faults_mean", l.minor_faults_mean}, {"evicted", l.evicted}});
    for (const auto& l : m.latencies)
        latencies.push_back({{"model", l.model}, {"value", l.value}, {"points", l.points}, {"ttft_ms", l.ttft_ms},
                             {"itl_p50_ms", l.itl_p50_ms}, {"itl_p90_ms", l.itl_p90_ms}, {"itl_p99_ms", l.itl_p99_ms}});
    auto point = [&](const analysis::Record* r) {
        return json{{"model", r->model}, {"metric", r->metric}, {"status", r->status}, {"parameters", r->params},
                    {"cv_percent", r->cv_percent()}};
    };
    for (const auto* r : m.not_ok) not_ok.push_back(point(r));
    for (const auto* r : m.high_cv) high_cv.push_back(point(r));
    for (const auto& r : m.runs)
        runs.push_back({{"id", r.id}, {"mode", r.mode}, {"order", r.order}, {"started_at", r.started_at},
                        {"repetitions", r.repetitions}, {"warmup", r.warmup}, {"build_commit", r.build_commit},
                        {"backends", r.backends}, {"cpu", r.cpu}, {"os", r.os}});
    const json report = {{"source", m.source}, {"generated_at", m.generated_at}, {"compare", m.compare},
                         {"values", m.values}, {"models", m.models}, {"metrics", m.metrics},
                         {"results", m.total_records()}, {"n_prompt", {m.n_prompt.min, m.n_prompt.max}},
                         {"n_gen", {m.n_gen.min, m.n_gen.max}}, {"counts", counts}, {"summaries", summaries},
                         {"comparisons", comparisons}, {"loads", loads}, {"latencies", latencies},
                         {"warnings", {{"cv_threshold_percent", m.cv_warning_percent}, {"high_cv", high_cv},
                                       {"not_ok", not_ok}}},
                         {"runs", runs}};
    return report.dump(2) + "\n";
}

std::map<std::string, std::string> render(const ReportModel& m, std::string_view language,
                                          const std::vector<std::string>& formats, const ChartLinks& charts) {
    std::map<std::string, std::string> files;
    for (const auto& format : formats) {
        if (format == "md") {
            files["report.md"] = markdown_report(m, language, charts);
        } else if (format == "csv") {
            files["raw.csv"] = to_csv(raw_csv_table(m));
            files["summary.csv"] = to_csv(summary_csv_table(m));
            files["difference.csv"] = to_csv(difference_csv_table(m));
        } else if (format == "json") {
            files["report.json"] = json_report(m);
        } else {
            throw UsageError(fmt::format("unknown report format '{}'; choose from md, csv, json", format));
        }
    }
    return files;
}

void write_report_files(const fs::path& folder, const std::map<std::string, std::string>& files) {
    std::error_code ec;
    fs::create_directories(folder, ec);
    if (ec || !fs::is_directory(folder))
        throw Error(fmt::format("cannot create the report folder '{}': {}; choose another --out", folder.string(),
                                ec ? ec.message() : "it is not a folder"));
    std::vector<std::pair<fs::path, fs::path>> pending;
    auto clean_up = [&] {
        for (const auto& [temp, final_path] : pending) fs::remove(temp, ec);
    };
    for (const auto& [name, contents] : files) {
        const fs::path final_path = folder / name;
        const fs::path temp = folder / fmt::format(".{}.{}.partial", name, getpid());
        pending.emplace_back(temp, final_path);
        std::ofstream out(temp, std::ios::binary);
        out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
        out.close();
        if (!out) {
            const std::string why = std::strerror(errno);
            clean_up();
            throw Error(fmt::format("cannot write into '{}': {}; choose another --out", folder.string(), why));
        }
    }
    for (const auto& [temp, final_path] : pending) {
        fs::rename(temp, final_path, ec);
        if (ec) {
            clean_up();
            throw Error(fmt::format("cannot write '{}': {}", final_path.string(), ec.message()));
        }
    }
}

} // namespace llmsweep::report
