#include "analysis/dataset.hpp"

#include "core/error.hpp"
#include "stats/descriptive.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <map>
#include <set>
#include <tuple>

namespace llmsweep::analysis {
namespace {

bool is_number(const std::string& text, double& value) {
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    return ec == std::errc() && end == text.data() + text.size();
}

void check_parameter(const std::string& name) {
    const auto& known = parameter_names();
    if (std::find(known.begin(), known.end(), name) == known.end())
        throw UsageError(fmt::format("unknown parameter '{}'; choose from {}", name, fmt::join(known, ", ")));
}

} // namespace

const std::vector<std::string>& parameter_names() {
    static const std::vector<std::string> names(parameter_list.begin(), parameter_list.end());
    return names;
}

const std::string& Params::at(std::string_view name) const {
    for (size_t i = 0; i < parameter_list.size(); ++i)
        if (parameter_list[i] == name) return *values_[i];
    throw std::out_of_range(fmt::format("no parameter {}", name));
}

Dataset load_dataset(store::Store& store, const Filters& filters) {
    for (const auto& [name, value] : filters.where) check_parameter(name);
    std::string columns = "r.model_filename, r.metric, r.avg_ts, r.stddev_ts, r.repetitions, r.status, "
                          "r.ttft_ms, r.itl_p50_ms, r.itl_p90_ms, r.itl_p99_ms, COALESCE(r.error, ''), r.run_id";
    for (const auto& name : parameter_names()) {
        const bool from_run = std::find(run_parameters.begin(), run_parameters.end(), name) != run_parameters.end();
        columns += fmt::format(", CAST(COALESCE({}.{}, '') AS TEXT)", from_run ? "runs" : "r", name);
    }
    const std::string of_run = filters.run_id ? " WHERE r.run_id = :run" : "";
    store::Statement s(store.db(), "SELECT " + columns + " FROM results AS r JOIN runs ON runs.id = r.run_id" +
                                       of_run + " ORDER BY r.id");
    Dataset data;
    {
        store::Statement count(store.db(), "SELECT count(*) FROM results AS r" + of_run);
        if (filters.run_id) count.bind("run", *filters.run_id);
        if (count.step()) data.records.reserve(static_cast<size_t>(count.column_int(0)));
    }
    if (filters.run_id) s.bind("run", *filters.run_id);
    while (s.step()) {
        Record record;
        record.model = std::filesystem::path(s.column_text(0)).filename().string();
        record.metric = s.column_text(1);
        record.avg_ts = s.column_double(2);
        record.stddev_ts = s.column_double(3);
        record.repetitions = s.column_int(4);
        record.status = s.column_text(5);
        auto optional = [&](int column) -> std::optional<double> {
            if (s.column_is_null(column)) return std::nullopt;
            return s.column_double(column);
        };
        record.ttft_ms = optional(6);
        record.itl_p50_ms = optional(7);
        record.itl_p90_ms = optional(8);
        record.itl_p99_ms = optional(9);
        record.error = s.column_text(10);
        record.run_id = s.column_int(11);
        for (size_t i = 0; i < parameter_list.size(); ++i)
            record.params.set(i, &*data.values->insert(s.column_text(12 + static_cast<int>(i))).first);
        if (filters.model && *filters.model != record.model && *filters.model != s.column_text(0)) continue;
        bool keep = true;
        for (const auto& [name, value] : filters.where) keep &= record.params.at(name) == value;
        if (keep) data.records.push_back(std::move(record));
    }
    return data;
}

std::vector<int64_t> Dataset::run_ids() const {
    std::set<int64_t> ids;
    for (const Record& r : records) ids.insert(r.run_id);
    return {ids.begin(), ids.end()};
}

std::vector<std::string> values_of(const Dataset& data, const std::string& parameter, Among among) {
    std::vector<std::string> values;
    for (const Record& r : data.records) {
        if (among == Among::ok && r.status != "ok") continue;
        const std::string& value = r.params.at(parameter);
        if (std::find(values.begin(), values.end(), value) == values.end()) values.push_back(value);
    }
    // Settings with a natural order put the "off" or default state first, so that it is the baseline.
    static const std::map<std::string, std::vector<std::string>> natural = {
        {"load_mode", {"none", "mmap", "mlock", "dio"}},
        {"cache_state", {"warm", "cold"}},
        {"flash_attn", {"off", "on", "auto"}},
        {"engine", {"llama-bench", "native"}},  // llama-bench is the reference llmsweep's engine is held to
        {"mode", {"request", "split"}}};
    if (const auto order = natural.find(parameter); order != natural.end()) {
        auto rank = [&](const std::string& v) {
            return std::find(order->second.begin(), order->second.end(), v) - order->second.begin();
        };
        std::stable_sort(values.begin(), values.end(),
                         [&](const std::string& x, const std::string& y) { return rank(x) < rank(y); });
        return values;
    }
    double a = 0, b = 0;
    if (std::all_of(values.begin(), values.end(), [&](const std::string& v) { return is_number(v, a); }))
        std::sort(values.begin(), values.end(), [&](const std::string& x, const std::string& y) {
            is_number(x, a);
            is_number(y, b);
            return a < b;
        });
    return values;
}

std::vector<LoadSummary> summarize_loads(store::Store& store, const Dataset& data, const std::string& compare) {
    const bool by_value = compare == "load_mode" || compare == "cache_state" || compare == "n_gpu_layers";
    const std::string value_column = by_value ? "CAST(" + compare + " AS TEXT)" : "''";
    store::Statement s(store.db(), "SELECT model_filename, " + value_column + ", cache_state, load_ms, "
                                   "rss_peak_bytes, major_faults, minor_faults, cache_evicted, run_id FROM loads "
                                   "WHERE status = 'ok' ORDER BY id");
    std::set<std::string> models;
    for (const Record& r : data.records) models.insert(r.model);
    const std::vector<int64_t> runs = data.run_ids();
    struct Samples {
        size_t loads = 0;
        std::vector<double> load_ms, rss_mib, major, minor;
        size_t evicted = 0;
    };
    std::vector<std::tuple<std::string, std::string, std::string>> order;
    std::map<std::tuple<std::string, std::string, std::string>, Samples> groups;
    while (s.step()) {
        const std::string model = std::filesystem::path(s.column_text(0)).filename().string();
        if (!models.count(model) || !std::binary_search(runs.begin(), runs.end(), s.column_int(8))) continue;
        const auto key = std::make_tuple(model, s.column_text(1), s.column_text(2));
        if (!groups.count(key)) order.push_back(key);
        Samples& g = groups[key];
        ++g.loads;
        if (!s.column_is_null(3)) g.load_ms.push_back(s.column_double(3));
        g.rss_mib.push_back(s.column_double(4) / 1048576.0);
        g.major.push_back(s.column_double(5));
        g.minor.push_back(s.column_double(6));
        g.evicted += s.column_int(7) == 1 ? 1 : 0;
    }
    std::vector<LoadSummary> summaries;
    for (const auto& key : order) {
        const Samples& g = groups[key];
        LoadSummary summary{std::get<0>(key), std::get<1>(key), std::get<2>(key), g.loads};
        if (!g.load_ms.empty()) {
            const auto load = stats::mean_sd(g.load_ms);
            summary.load_ms_mean = load.mean, summary.load_ms_sd = load.sd;
        }
        summary.rss_peak_mib_mean = stats::mean_sd(g.rss_mib).mean;
        summary.major_faults_mean = stats::mean_sd(g.major).mean;
        summary.minor_faults_mean = stats::mean_sd(g.minor).mean;
        summary.evicted = g.evicted;
        summaries.push_back(std::move(summary));
    }
    return summaries;
}

bool metric_before(const std::string& a, const std::string& b) {
    static const std::vector<std::string> order = {"pp", "tg", "pg"};
    auto rank = [](const std::string& m) { return std::find(order.begin(), order.end(), m) - order.begin(); };
    return std::make_tuple(rank(a), a) < std::make_tuple(rank(b), b);
}

std::vector<std::string> varying_parameters(const Dataset& data) {
    std::vector<std::string> varying;
    for (const auto& name : parameter_names())
        if (values_of(data, name).size() > 1) varying.push_back(name);
    return varying;
}

} // namespace llmsweep::analysis
