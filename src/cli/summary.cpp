#include "cli/summary.hpp"
#include "cli/format.hpp"

#include "analysis/dataset.hpp"
#include "core/escape.hpp"
#include "domain/parameter_names.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <map>
#include <tuple>
#include <vector>

namespace llmsweep::cli {
namespace {

// Columns shown only when the run swept them: the settings, but the model (a table of its own) and the test
// sizes (the rows).
bool optional_column(std::string_view name) {
    constexpr std::array<std::string_view, 5> not_shown = {"model", "model_type", param::n_prompt, param::n_gen,
                                                           "mode"};
    return std::find(not_shown.begin(), not_shown.end(), name) == not_shown.end() &&
           !analysis::is_recorded_state(name) &&
           std::find(analysis::run_parameters.begin(), analysis::run_parameters.end(), name) ==
               analysis::run_parameters.end();
}

} // namespace

void print_summary(store::Store& store, int64_t run_id) {
    analysis::Filters filters;
    filters.run_id = run_id;
    const analysis::Dataset data = analysis::load_dataset(store, filters);

    // The columns the run swept, failed points included, each with its values in their natural order.
    std::vector<std::string> shown;
    std::vector<std::vector<std::string>> orders;
    for (std::string_view column : analysis::parameter_list()) {
        if (!optional_column(column)) continue;
        auto values = analysis::values_of(data, std::string(column), analysis::Among::all);
        if (values.size() < 2) continue;
        shown.emplace_back(column);
        orders.push_back(std::move(values));
    }
    auto rank = [](const std::vector<std::string>& values, const std::string& value) {
        return std::find(values.begin(), values.end(), value) - values.begin();
    };
    const auto depths = analysis::values_of(data, param::n_depth, analysis::Among::all);
    const auto prompts = analysis::values_of(data, param::n_prompt, analysis::Among::all);
    const auto gens = analysis::values_of(data, param::n_gen, analysis::Among::all);
    // Per model and swept value: by depth, split mode's pp tests before its tg tests, then by size.
    auto key = [&](const analysis::Record& r) {
        std::vector<std::ptrdiff_t> ranks;
        for (size_t i = 0; i < shown.size(); ++i) ranks.push_back(rank(orders[i], r.params.at(shown[i])));
        return std::make_tuple(r.model, ranks, rank(depths, r.params.at(param::n_depth)),
                               r.params.at(param::n_prompt) == "0", rank(prompts, r.params.at(param::n_prompt)),
                               rank(gens, r.params.at(param::n_gen)));
    };
    std::vector<std::pair<decltype(key(data.records.front())), const analysis::Record*>> sorted;
    for (const auto& record : data.records) sorted.emplace_back(key(record), &record);
    std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
        return a.first != b.first ? a.first < b.first : analysis::metric_before(a.second->metric, b.second->metric);
    });

    // llama-bench's columns beside the model: its size, parameters, the run's backends and the threads (unless
    // swept, when they are a column of their own).
    std::map<std::string, std::pair<std::string, std::string>, std::less<>> facts; // short name -> size, params
    for (const store::ModelRow& row : data.models)
        facts[data.model_name(row.model_filename)] = {
            row.model_size <= 0 ? "-" // not known: a server's model
            : row.model_size >= (int64_t{1} << 30)
                ? fmt::format("{:.2f} GiB", static_cast<double>(row.model_size) / (1 << 30))
                : fmt::format("{:.2f} MiB", static_cast<double>(row.model_size) / (1 << 20)),
            row.model_n_params <= 0 ? "-"
            : row.model_n_params >= 1'000'000'000
                ? fmt::format("{:.2f} B", static_cast<double>(row.model_n_params) / 1e9)
                : fmt::format("{:.2f} M", static_cast<double>(row.model_n_params) / 1e6)};
    std::string backend;
    for (const store::RunRow& run : store.read_runs())
        if (run.id == run_id) backend = run.backends;
    const bool threads_swept = std::find(shown.begin(), shown.end(), param::n_threads) != shown.end();
    std::vector<std::string> header = {"model", "size", "params", "backend"};
    if (!threads_swept) header.push_back("threads");
    header.insert(header.end(), shown.begin(), shown.end());
    header.insert(header.end(), {"test", "t/s", "CV %", "n", "status"});
    std::vector<std::vector<std::string>> rows;
    for (const auto& entry : sorted) {
        const analysis::Record* r = entry.second;
        const auto fact = facts.find(r->model);
        const auto& [size, params] = fact != facts.end() ? fact->second : facts[std::string(r->model)];
        std::vector<std::string> row = {std::string(r->model), size, params, backend};
        if (!threads_swept) row.push_back(r->params.at(param::n_threads));
        for (const auto& column : shown) row.push_back(r->params.at(column));
        // Split mode: llama-bench's pp512 / tg128. Request mode: the request, then the phase.
        const std::string& n_prompt = r->params.at(param::n_prompt);
        const std::string& n_gen = r->params.at(param::n_gen);
        if (r->metric == "pg") row.push_back(fmt::format("pp{}+tg{}", n_prompt, n_gen)); // llama-bench's name
        else if (n_prompt != "0" && n_gen != "0") row.push_back(fmt::format("p{}+n{} {}", n_prompt, n_gen, r->metric));
        else row.push_back(fmt::format("{}{}", r->metric, r->metric == "pp" ? n_prompt : n_gen));
        // One repetition has no spread: "-", not "± 0.00" and a CV of 0.
        const bool has = r->repetitions > 0, spread = r->repetitions > 1;
        row.push_back(!has     ? ""
                      : spread ? fmt::format("{:.2f} ± {:.2f}", r->avg_ts, r->stddev_ts)
                               : fmt::format("{:.2f} ± -", r->avg_ts));
        row.push_back(spread && r->avg_ts > 0 ? fmt::format("{:.1f}", r->cv_percent()) : "-");
        row.push_back(std::to_string(r->repetitions));
        row.emplace_back(r->status);
        rows.push_back(std::move(row));
    }
    if (!rows.empty()) print_table(header, std::move(rows));
    if (const auto busy = analysis::busy_visits(store, data, ""); !busy.empty())
        say("{} visit{} ran beside other work (other processes {} cores or more, or {} % steal): their "
            "rounds may be disturbed; the report lists them\n",
            busy.size(), busy.size() == 1 ? "" : "s", analysis::busy_other_cores, analysis::busy_steal_percent);
    // Adaptive rounds: why the points stopped.
    for (const store::RunRow& run : store.read_runs()) {
        if (run.id != run_id || !run.max_repetitions) continue;
        std::vector<std::string> stops;
        for (const auto& stop : run.stops) {
            const std::string_view why = stop.reason == "rule_met"          ? "met the rule"
                                         : stop.reason == "max_repetitions" ? "reached --max-repetitions unmet"
                                         : stop.reason == "failed"          ? "stopped at a failed repetition"
                                         : stop.reason == "out_of_reach"    ? "stopped with no verdict in reach"
                                                                            : "";
            if (!why.empty())
                stops.push_back(fmt::format(
                    "{} result{} {} ({}{} repetitions)", stop.results, stop.results == 1 ? "" : "s", why,
                    stop.min_repetitions,
                    stop.max_repetitions == stop.min_repetitions ? "" : fmt::format("-{}", stop.max_repetitions)));
        }
        say("adaptive rounds, {} to {} repetitions: {}\n", run.repetitions, *run.max_repetitions,
            fmt::join(stops, "; "));
    }
}

} // namespace llmsweep::cli
