#include "sweep/roofline.hpp"

#include "engine/machine.hpp"
#include "engine/model_profile.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>

namespace llmsweep::sweep {

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
                          {"l3_bytes", static_cast<int64_t>(f.l3_bytes)}});
}

void prepare_roofline(const SweepSpec& spec, const std::vector<int64_t>& thread_counts, store::Store& store,
                      const engine::HostInfo& host, const std::string& build_commit,
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
        const bool have = std::any_of(stored.begin(), stored.end(), [&](const nlohmann::json& m) {
            return m.at("hostname") == host.hostname && m.at("build_commit") == build_commit &&
                   m.at("threads") == threads;
        });
        if (have) continue;
        auto figures = engine::cached_machine(host.hostname, build_commit, threads);
        if (!figures) {
            measuring(threads);
            figures = engine::measure_machine(threads, engine::roofline_weight_types(weight_types), build_commit);
            engine::remember_machine(*figures);
        }
        store_machine(store, *figures);
    }
}

} // namespace llmsweep::sweep
