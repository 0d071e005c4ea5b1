#include "domain/machine.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace llmsweep::domain {

double MachineFigures::compute_gflops(const std::string& weight_type) const {
    double best = 0;
    for (const auto& [type, gflops] : matmul_gflops) {
        if (type == weight_type) return gflops;
        best = std::max(best, gflops);
    }
    return best;
}

nlohmann::json to_json(const MachineFigures& f) {
    nlohmann::json matmul = nlohmann::json::object();
    for (const auto& [type, gflops] : f.matmul_gflops) matmul[type] = gflops;
    nlohmann::json j = {{"hostname", f.hostname},   {"cpu_info", f.cpu_info},         {"build_commit", f.build_commit},
                        {"threads", f.threads},     {"measured_at", f.measured_at},   {"read_gbs", f.read_gbs},
                        {"triad_gbs", f.triad_gbs}, {"buffer_bytes", f.buffer_bytes}, {"matmul_gflops", matmul},
                        {"l1d_bytes", f.l1d_bytes}, {"l2_bytes", f.l2_bytes},         {"l3_bytes", f.l3_bytes}};
    j["peak_gflops"] = f.peak_gflops ? nlohmann::json(*f.peak_gflops) : nlohmann::json(nullptr);
    j["matmul_buffers"] = f.matmul_buffers;
    return j;
}

MachineFigures machine_figures_from_json(const nlohmann::json& j) {
    MachineFigures f;
    f.hostname = j.at("hostname").get<std::string>();
    f.cpu_info = j.at("cpu_info").get<std::string>();
    f.build_commit = j.at("build_commit").get<std::string>();
    f.threads = j.at("threads").get<int64_t>();
    f.measured_at = j.at("measured_at").get<std::string>();
    f.read_gbs = j.at("read_gbs").get<double>();
    f.triad_gbs = j.at("triad_gbs").get<double>();
    f.buffer_bytes = j.value("buffer_bytes", uint64_t{0});
    for (const auto& [type, gflops] : j.at("matmul_gflops").items())
        f.matmul_gflops.emplace_back(type, gflops.get<double>());
    if (j.contains("peak_gflops") && !j.at("peak_gflops").is_null()) f.peak_gflops = j.at("peak_gflops").get<double>();
    f.l1d_bytes = j.value("l1d_bytes", uint64_t{0});
    f.l2_bytes = j.value("l2_bytes", uint64_t{0});
    f.l3_bytes = j.value("l3_bytes", uint64_t{0});
    if (j.contains("matmul_buffers") && j.at("matmul_buffers").is_string())
        f.matmul_buffers = j.at("matmul_buffers").get<std::string>();
    return f;
}

} // namespace llmsweep::domain
