#include "analysis/history.hpp"

#include "stats/changepoint.hpp"
#include "stats/descriptive.hpp"
#include "stats/tests.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <tuple>

namespace llmsweep::analysis {
namespace {

// What a point is across builds: every parameter but the run's (the build, the machine, the binary), the
// model's (the series has one) and what the processes recorded.
std::vector<size_t> point_parameters() {
    std::vector<size_t> kept;
    const auto& names = parameter_list();
    for (size_t i = 0; i < names.size(); ++i) {
        const std::string_view name = names[i];
        if (std::find(run_parameters.begin(), run_parameters.end(), name) != run_parameters.end() ||
            is_model_parameter(name) || is_recorded_state(name) || name == "llama_bench")
            continue;
        kept.push_back(i);
    }
    return kept;
}

using SeriesKey = std::tuple<std::string, std::string, std::string>; // model, metric, host
using PointKey = std::vector<uint32_t>;

struct SeriesData {
    std::map<int64_t, std::string> build_of_run;
    std::map<int64_t, std::map<PointKey, double>> run_points; // run -> point -> mean log throughput
};

// The 95 % interval of exp(mean) over `levels` (two or more that differ), from the t distribution.
std::pair<std::optional<double>, std::optional<double>> interval_of(const std::vector<double>& levels) {
    const stats::MeanSd m = stats::mean_sd(levels);
    if (levels.size() < 2 || m.sd <= 0) return {};
    const double half =
        stats::student_t_critical(0.95, static_cast<double>(levels.size() - 1)) * m.sd / std::sqrt(levels.size());
    return {std::exp(m.mean - half), std::exp(m.mean + half)};
}

// The builds in [after_begin, after_end) against those in [before_begin, before_end), as HistoryStep's figures.
void size_step(const std::vector<HistoryBuild>& builds, size_t before_begin, size_t at, size_t after_end,
               HistoryStep& step) {
    std::vector<double> before, after;
    for (size_t i = before_begin; i < at; ++i) before.push_back(builds[i].level);
    for (size_t i = at; i < after_end; ++i) after.push_back(builds[i].level);
    step.builds_before = before.size();
    step.builds_after = after.size();
    const stats::MeanSd b = stats::mean_sd(before), a = stats::mean_sd(after);
    const auto pct = [](double log_ratio) { return 100 * std::expm1(log_ratio); };
    step.pct = pct(a.mean - b.mean);
    if (before.size() >= 2 && after.size() >= 2 && (a.sd > 0 || b.sd > 0)) {
        const stats::WelchInterval w = stats::welch_interval(after, before, 0.95);
        step.low_pct = pct(w.low);
        step.high_pct = pct(w.high);
    } else if (before.size() + after.size() >= 3) {
        // One build on a side: the other side's spread stands for both.
        const stats::MeanSd& many = before.size() >= 2 ? b : a;
        const size_t n = std::max(before.size(), after.size());
        if (many.sd <= 0) return;
        const double half =
            stats::student_t_critical(0.95, static_cast<double>(n - 1)) * many.sd *
            std::sqrt(1.0 / static_cast<double>(before.size()) + 1.0 / static_cast<double>(after.size()));
        step.low_pct = pct(a.mean - b.mean - half);
        step.high_pct = pct(a.mean - b.mean + half);
    }
}

} // namespace

History build_history(store::Store& store, const Dataset& data, const HistoryOptions& options) {
    History out;
    out.order = options.order;
    out.margin_pct = options.margin_pct;
    out.alpha = options.alpha;
    const std::vector<size_t> kept = point_parameters();
    std::map<SeriesKey, SeriesData> all;
    for (const Record& r : data.records) {
        if (r.status != "ok") continue;
        double sum = 0;
        size_t n = 0;
        for (const Sample& s : data.samples_of(r))
            if (std::isfinite(s.ts) && s.ts > 0) sum += std::log(static_cast<double>(s.ts)), ++n;
        if (n == 0) continue;
        PointKey point;
        point.reserve(kept.size());
        for (size_t i : kept) point.push_back(r.params.id(i));
        SeriesData& series = all[{std::string(r.model), std::string(r.metric), r.params.at("hostname")}];
        series.build_of_run[r.run_id] = r.params.at("build_commit");
        series.run_points[r.run_id][std::move(point)] = sum / static_cast<double>(n);
    }
    std::map<int64_t, std::string> started;
    for (const store::RunRow& run : store.read_runs()) started[run.id] = run.started_at;
    const std::map<std::string, int64_t> numbers = store.build_numbers();

    for (auto& [key, d] : all) {
        const auto& [model, metric, host] = key;
        const std::string name = fmt::format("{} {} on {}", model, metric, host.empty() ? "an unnamed host" : host);
        // The points every run measured.
        std::set<PointKey> common;
        for (const auto& [point, level] : d.run_points.begin()->second) common.insert(point);
        for (const auto& [run, points] : d.run_points)
            std::erase_if(common, [&](const PointKey& p) { return !points.count(p); });
        if (common.empty()) {
            out.left_out.push_back(name + ": no point that every run measured");
            continue;
        }
        std::map<std::string, std::vector<int64_t>> runs_of_build;
        for (const auto& [run, build] : d.build_of_run) runs_of_build[build].push_back(run);
        if (runs_of_build.size() < 2) {
            out.left_out.push_back(name + ": one build");
            continue;
        }
        HistorySeries series{model, metric, host, common.size(), {}, {}};
        for (const auto& [build, runs] : runs_of_build) {
            HistoryBuild b{build};
            if (const auto found = numbers.find(build); found != numbers.end()) b.build_number = found->second;
            std::vector<double> levels;
            for (int64_t run : runs) {
                double sum = 0;
                for (const PointKey& p : common) sum += d.run_points.at(run).at(p);
                levels.push_back(sum / static_cast<double>(common.size()));
                const std::string& at = started[run];
                if (b.first_run_at.empty() || at < b.first_run_at) b.first_run_at = at;
            }
            b.runs = runs;
            b.level = stats::mean_sd(levels).mean;
            b.tps = std::exp(b.level);
            std::tie(b.low_tps, b.high_tps) = interval_of(levels);
            series.builds.push_back(std::move(b));
        }
        const bool numbered = std::all_of(series.builds.begin(), series.builds.end(),
                                          [](const HistoryBuild& b) { return b.build_number > 0; });
        const bool by_number =
            options.order == HistoryOrder::build_number || (options.order == HistoryOrder::auto_ && numbered);
        std::stable_sort(series.builds.begin(), series.builds.end(), [&](const HistoryBuild& a, const HistoryBuild& b) {
            return by_number ? std::tie(a.build_number, a.first_run_at) < std::tie(b.build_number, b.first_run_at)
                             : std::tie(a.first_run_at, a.build_number) < std::tie(b.first_run_at, b.build_number);
        });
        std::vector<double> levels;
        for (const HistoryBuild& b : series.builds) levels.push_back(b.level);
        const auto found = stats::change_points(levels, {.alpha = options.alpha});
        for (size_t i = 0; i < found.size(); ++i) {
            const size_t at = found[i].at;
            HistoryStep step{at - 1, series.builds[at - 1].build, series.builds[at].build, found[i].p_value};
            size_step(series.builds, i == 0 ? 0 : found[i - 1].at, at,
                      i + 1 < found.size() ? found[i + 1].at : series.builds.size(), step);
            step.regression = step.pct < -options.margin_pct;
            series.steps.push_back(std::move(step));
        }
        out.series.push_back(std::move(series));
    }
    return out;
}

} // namespace llmsweep::analysis
