#include "analysis/dataset.hpp"

#include "core/error.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <set>

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
    static const std::vector<std::string> names = {
        "load_mode", "cache_state", "n_gpu_layers", "n_threads", "n_batch", "n_ubatch", "type_k", "type_v",
        "flash_attn", "n_prompt", "n_gen", "n_depth", "mode", "build_commit", "hostname"};
    return names;
}

Dataset load_dataset(store::Store& store, const Filters& filters) {
    for (const auto& [name, value] : filters.where) check_parameter(name);
    std::string columns = "r.model_filename, r.metric, r.avg_ts, r.stddev_ts, r.repetitions, r.status";
    for (const auto& name : parameter_names()) {
        const bool from_run = name == "build_commit" || name == "hostname";
        columns += fmt::format(", CAST({}.{} AS TEXT)", from_run ? "runs" : "r", name);
    }
    store::Statement s(store.db(), "SELECT " + columns + " FROM results AS r JOIN runs ON runs.id = r.run_id "
                                                         "ORDER BY r.id");
    Dataset data;
    while (s.step()) {
        Record record;
        record.model = std::filesystem::path(s.column_text(0)).filename().string();
        record.metric = s.column_text(1);
        record.avg_ts = s.column_double(2);
        record.stddev_ts = s.column_double(3);
        record.repetitions = s.column_int(4);
        record.status = s.column_text(5);
        for (size_t i = 0; i < parameter_names().size(); ++i)
            record.params[parameter_names()[i]] = s.column_text(6 + static_cast<int>(i));
        if (filters.model && *filters.model != record.model && *filters.model != s.column_text(0)) continue;
        bool keep = true;
        for (const auto& [name, value] : filters.where) keep &= record.params[name] == value;
        if (keep) data.records.push_back(std::move(record));
    }
    return data;
}

std::vector<std::string> values_of(const Dataset& data, const std::string& parameter) {
    std::vector<std::string> values;
    for (const Record& r : data.records) {
        if (r.status != "ok") continue;
        const auto it = r.params.find(parameter);
        if (it != r.params.end() && std::find(values.begin(), values.end(), it->second) == values.end())
            values.push_back(it->second);
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

std::vector<std::string> varying_parameters(const Dataset& data) {
    std::vector<std::string> varying;
    for (const auto& name : parameter_names())
        if (values_of(data, name).size() > 1) varying.push_back(name);
    return varying;
}

} // namespace llmsweep::analysis
