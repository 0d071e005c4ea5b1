#include "analysis/roofline.hpp"

#include "domain/parameter_names.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <tuple>

namespace llmsweep::analysis {
namespace {

int64_t integer(const Record& r, std::string_view name) { return std::strtoll(r.params.at(name).c_str(), nullptr, 10); }

// The measurement of the record's host (its name, or for imports without one its CPU) at its thread count:
// of the same build where there is one, else the latest of another.
const nlohmann::json* machine_of(const Record& r, int64_t threads, const std::vector<nlohmann::json>& machines,
                                 bool& other_build) {
    const std::string& host = r.params.at("hostname");
    const std::string& cpu = r.params.at("cpu_info");
    const nlohmann::json* found = nullptr;
    bool same_build = false;
    for (const nlohmann::json& m : machines) {
        const bool same_host = host.empty() ? m.at("cpu_info") == cpu : m.at("hostname") == host;
        if (!same_host || m.at("threads") != threads) continue;
        const bool build = m.at("build_commit") == r.params.at("build_commit");
        if (build || !same_build) found = &m, same_build = build;
    }
    if (found && !same_build) other_build = true;
    return found;
}

} // namespace

bool ran_on_gpu(const Record& r) {
    if (r.params.at("gpu_info").empty()) return false;
    if (integer(r, param::n_gpu_layers) != 0) return true;
    constexpr int64_t op_offload_batch = 32; // ggml-cuda's smallest batch worth the weights' copy
    return r.metric == "pp" && integer(r, param::no_op_offload) == 0 &&
           std::min(integer(r, param::n_prompt), std::max<int64_t>(integer(r, param::n_ubatch), 1)) >= op_offload_batch;
}

double RooflinePoint::attainable_gflops() const { return std::min(roof_gflops, roof_gbs * cost.intensity()); }

std::optional<domain::TokenCost> token_cost(const Record& r, const domain::ModelProfile& profile) {
    const int64_t prompt = integer(r, param::n_prompt), gen = integer(r, param::n_gen),
                  depth = integer(r, param::n_depth);
    const bool request = r.params.at("mode") == "request";
    const std::string &type_k = r.params.at(param::type_k), &type_v = r.params.at(param::type_v);
    if (r.metric == "pp")
        return domain::pp_cost(profile, domain::mean_context(depth, prompt),
                               std::min(prompt, std::max<int64_t>(integer(r, param::n_ubatch), 1)), type_k, type_v);
    if (r.metric == "tg")
        return domain::tg_cost(profile, domain::mean_context(depth + (request ? prompt : 0), gen), type_k, type_v);
    return std::nullopt;
}

Roofline roofline(const Dataset& data, const std::string& compare, const std::map<std::string, std::string>& profiles,
                  const std::vector<nlohmann::json>& machines) {
    Roofline out;
    std::map<std::string, domain::ModelProfile, std::less<>> by_name; // by the name the report gives the model
    for (const auto& [path, json] : profiles) {
        const auto parsed = nlohmann::json::parse(json, nullptr, false);
        if (parsed.is_object()) by_name[data.model_name(path)] = domain::profile_from_json(parsed);
    }
    const auto note = [](auto& list, auto item) {
        if (std::find(list.begin(), list.end(), item) == list.end()) list.push_back(std::move(item));
    };
    for (const Record& r : data.records) {
        if (r.status != "ok" || (r.metric != "pp" && r.metric != "tg")) continue;
        if (ran_on_gpu(r)) {
            note(out.offloaded, fmt::format("{} ({} {}={})", r.model, r.metric, compare, r.params.at(compare)));
            continue;
        }
        const auto profile = by_name.find(r.model);
        if (profile == by_name.end()) {
            note(out.models_without_profile, std::string(r.model));
            continue;
        }
        const int64_t threads = integer(r, param::n_threads);
        const nlohmann::json* m = machine_of(r, threads, machines, out.other_build);
        if (!m) {
            const std::string& host = r.params.at("hostname");
            note(out.without_machine, std::pair{host.empty() ? r.params.at("cpu_info") : host, threads});
            continue;
        }
        const domain::MachineFigures figures = domain::machine_figures_from_json(*m);
        out.machines.emplace(threads, figures);
        const domain::TokenCost cost = *token_cost(r, profile->second);
        RooflinePoint p{&r, r.params.at(compare), threads, cost, profile->second.weight_type};
        p.gbs = r.avg_ts * cost.bytes / 1e9;
        p.gflops = r.avg_ts * cost.flops / 1e9;
        p.roof_gbs = figures.read_gbs;
        p.roof_gflops = figures.compute_gflops(profile->second.weight_type);
        p.bandwidth_share = p.roof_gbs > 0 ? p.gbs / p.roof_gbs : 0;
        p.compute_share = p.roof_gflops > 0 ? p.gflops / p.roof_gflops : 0;
        if (figures.l3_bytes > 0 && profile->second.weight_bytes_per_token <= static_cast<double>(figures.l3_bytes))
            note(out.fit_in_cache, std::string(r.model));
        out.points.push_back(p);
    }
    // Means per model, metric, value and thread count, in the points' order of first appearance.
    for (const RooflinePoint& p : out.points) {
        const auto key = std::tie(p.record->model, p.record->metric, p.value, p.threads);
        auto it = std::find_if(out.groups.begin(), out.groups.end(), [&](const RooflineGroup& g) {
            return std::tie(g.model, g.metric, g.value, g.threads) == key;
        });
        if (it == out.groups.end()) {
            out.groups.push_back({std::string(p.record->model), std::string(p.record->metric), p.value, p.threads});
            it = std::prev(out.groups.end());
        }
        RooflineGroup& g = *it;
        const double n = static_cast<double>(++g.points);
        const auto running_mean = [n](double& mean, double x) { mean += (x - mean) / n; };
        running_mean(g.gbs, p.gbs);
        running_mean(g.bandwidth_share, p.bandwidth_share);
        running_mean(g.gflops, p.gflops);
        running_mean(g.compute_share, p.compute_share);
        g.roof_gbs = p.roof_gbs;
        g.roof_gflops = p.roof_gflops;
    }
    std::stable_sort(out.groups.begin(), out.groups.end(), [](const RooflineGroup& a, const RooflineGroup& b) {
        if (a.model != b.model) return a.model < b.model;
        if (a.metric != b.metric) return metric_before(a.metric, b.metric);
        return a.threads < b.threads;
    });
    return out;
}

} // namespace llmsweep::analysis
