#include "sweep/roofline.hpp"

#include "core/child_process.hpp"
#include "core/error.hpp"
#include "engine/machine.hpp"
#include "engine/model_profile.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <optional>

namespace llmsweep::sweep {
using namespace domain;

void store_machine(store::Store& store, const engine::MachineFigures& f) {
    const nlohmann::json json = domain::to_json(f);
    store.insert_machine({{"hostname", f.hostname},
                          {"cpu_info", f.cpu_info},
                          {"build_commit", f.build_commit},
                          {"threads", f.threads},
                          {"measured_at", f.measured_at},
                          {"read_gbs", f.read_gbs},
                          {"triad_gbs", f.triad_gbs},
                          {"buffer_bytes", static_cast<int64_t>(f.buffer_bytes)},
                          {"matmul_gflops", json.at("matmul_gflops").dump()},
                          {"peak_gflops", f.peak_gflops ? store::Value(*f.peak_gflops) : store::Value()},
                          {"l1d_bytes", static_cast<int64_t>(f.l1d_bytes)},
                          {"l2_bytes", static_cast<int64_t>(f.l2_bytes)},
                          {"l3_bytes", static_cast<int64_t>(f.l3_bytes)},
                          {"matmul_buffers", f.matmul_buffers}});
}

namespace {

// The measurement of this host, build and thread count among the store's (store::read_machines), if any.
std::optional<domain::MachineFigures> stored_machine(const std::vector<nlohmann::json>& stored,
                                                     const std::string& hostname, const std::string& build_commit,
                                                     int64_t threads) {
    // One measured before the weights' buffer types were is measured again (its roofs are too low).
    for (const nlohmann::json& m : stored)
        if (m.at("hostname") == hostname && m.at("build_commit") == build_commit && m.at("threads") == threads &&
            !m.value("matmul_buffers", std::string()).empty())
            return domain::machine_figures_from_json(m);
    return std::nullopt;
}

} // namespace

double visits_seconds(const SweepSpec& spec, const Plan& plan, store::Store* store) {
    // Earlier loads of the same file on this database's machine, where the store has them; else typical figures.
    std::map<std::string, double> load_seconds;
    if (store)
        for (const auto& [model, load_ms] : store->mean_load_ms()) load_seconds[model] = load_ms / 1e3;
    const double start_s = spec.mode == domain::Mode::server ? server_start_s : per_visit_s;
    double seconds = 0;
    for (const Visit& visit : plan.visits) {
        const domain::LoadParams& load = plan.points[plan.groups[visit.group].front()].load;
        if (const auto known = load_seconds.find(load.model); known != load_seconds.end()) {
            seconds += start_s + known->second;
        } else {
            std::error_code ec;
            const auto bytes = std::filesystem::file_size(load.model, ec);
            const bool mapped =
                load.cache_state == domain::CacheState::warm &&
                (load.load_mode == domain::LoadMode::automatic || load.load_mode == domain::LoadMode::mmap);
            seconds +=
                start_s +
                (ec ? 0.0 : static_cast<double>(bytes) / (mapped ? load_map_bytes_per_s : load_read_bytes_per_s));
        }
    }
    return seconds;
}

RooflineEstimate estimate_from_roofline(const SweepSpec& spec, const Plan& plan, store::Store* store,
                                        const engine::HostInfo& host, const std::string& build_commit) {
    RooflineEstimate estimate;
    std::map<std::string, std::optional<domain::ModelProfile>> profiles;
    for (const std::string& model : spec.models) profiles[model] = engine::read_model_profile(model);
    std::map<int64_t, std::optional<domain::MachineFigures>> machines;
    const auto stored = store ? store->read_machines() : std::vector<nlohmann::json>{};
    const auto machine = [&](int64_t threads) -> const std::optional<domain::MachineFigures>& {
        auto it = machines.find(threads);
        if (it != machines.end()) return it->second;
        std::optional<domain::MachineFigures> found = stored_machine(stored, host.hostname, build_commit, threads);
        if (!found) found = engine::cached_machine(host.hostname, build_commit, threads);
        if (found) estimate.machines.push_back(*found);
        return machines.emplace(threads, std::move(found)).first->second;
    };
    std::vector<size_t> visits_of(plan.groups.size());
    for (const Visit& visit : plan.visits) ++visits_of[visit.group];
    estimate.seconds += visits_seconds(spec, plan, store);
    for (size_t g = 0; g < plan.groups.size(); ++g) {
        for (const size_t index : plan.groups[g]) {
            const Point& p = plan.points[index];
            const auto& profile = profiles[p.load.model];
            const auto& figures = machine(p.context.threads);
            if (!profile || !figures) {
                ++estimate.points_without;
                continue;
            }
            const double bw = figures->read_gbs, compute = figures->compute_gflops(profile->weight_type);
            const std::string &k = p.context.type_k, &v = p.context.type_v;
            const int64_t batch =
                std::max<int64_t>(std::min(p.context.n_ubatch, std::max<int64_t>(p.test.n_prompt, 1)), 1);
            const auto prompt_s = [&](int64_t before, int64_t tokens) {
                return tokens > 0 ? domain::seconds_at_roofs(
                                        static_cast<double>(tokens),
                                        domain::pp_cost(*profile, domain::mean_context(before, tokens), batch, k, v),
                                        bw, compute)
                                  : 0.0;
            };
            const auto generate_s = [&](int64_t before, int64_t tokens) {
                return tokens > 0
                           ? domain::seconds_at_roofs(
                                 static_cast<double>(tokens),
                                 domain::tg_cost(*profile, domain::mean_context(before, tokens), k, v), bw, compute)
                           : 0.0;
            };
            // A repetition: the depth's prefill (untimed, but it takes its time), then the test.
            const TestParams& t = p.test;
            if (spec.mode == domain::Mode::server) {
                // Each request's prompt; the generation of the requests decoded together (as many as the clients
                // and the slots allow) in steps that each cost one sequence's step and a share of it per added
                // sequence; or as slow as the arrivals.
                const auto requests = static_cast<double>(spec.serving.requests_of(p.client));
                const int64_t slots = p.server.parallel > 0 ? p.server.parallel : 4;
                const double together = static_cast<double>(
                    std::max<int64_t>(1, p.client.open_loop() ? slots : std::min(slots, p.client.concurrency)));
                const double step = 1 + (together - 1) * domain::typical_added_sequence_share;
                double repetition = requests * prompt_s(0, t.n_prompt) +
                                    std::ceil(requests / together) * step * generate_s(t.n_prompt, t.n_gen);
                if (p.client.open_loop()) repetition = std::max(repetition, requests / p.client.rate);
                estimate.seconds += repetition * static_cast<double>(spec.repetitions);
                ++estimate.points;
                continue;
            }
            const double repetition =
                prompt_s(0, t.n_depth) + prompt_s(t.n_depth, t.n_prompt) + generate_s(t.n_depth + t.n_prompt, t.n_gen);
            // The warm-up runs on each new context, so once per visit: the prompt, and a token where the test
            // generates.
            const double warmup = prompt_s(0, t.n_prompt) + (t.n_gen > 0 ? generate_s(t.n_prompt, 1) : 0.0);
            estimate.seconds += repetition * static_cast<double>(spec.repetitions) +
                                warmup * static_cast<double>(spec.warmup * visits_of[g]) +
                                per_context_s * static_cast<double>(visits_of[g]);
            ++estimate.points;
        }
    }
    return estimate;
}

MachineMeasurer measure_in_child(const std::string& llmsweep_executable) {
    return [llmsweep_executable](int64_t threads, const std::vector<std::string>& weight_types) {
        std::vector<std::string> command = {llmsweep_executable,    "info", "--measure", "--json", "-t",
                                            std::to_string(threads)};
        for (const std::string& type : weight_types) command.insert(command.end(), {"--type", type});
        ChildProcess child(command);
        const std::string out = child.read_all(600);
        const ChildProcess::Exit exit = child.finish();
        const auto json = nlohmann::json::parse(out, nullptr, false);
        if (exit.exit_code != 0 || !json.is_object() || !json.contains("machines") || json["machines"].empty())
            throw Error(fmt::format("measuring the machine with {} threads failed: {}", threads, child.death_reason()));
        return domain::machine_figures_from_json(json["machines"][0]);
    };
}

void prepare_roofline(const SweepSpec& spec, const std::vector<int64_t>& thread_counts, store::Store& store,
                      const engine::HostInfo& host, const std::string& build_commit, const MachineMeasurer& measure,
                      const std::function<void(int64_t threads)>& measuring) {
    std::vector<std::string> weight_types;
    for (const std::string& model : spec.models) {
        const auto profile = engine::read_model_profile(model);
        if (!profile) continue;
        store.save_model_profile(model, *profile);
        weight_types.push_back(profile->weight_type);
    }
    const auto stored = store.read_machines();
    for (const int64_t threads : thread_counts) {
        if (stored_machine(stored, host.hostname, build_commit, threads)) continue;
        auto figures = engine::cached_machine(host.hostname, build_commit, threads);
        if (!figures) {
            measuring(threads);
            figures = measure(threads, weight_types); // remembered in the cache folder by the measuring process
        }
        store_machine(store, *figures);
    }
}

} // namespace llmsweep::sweep
