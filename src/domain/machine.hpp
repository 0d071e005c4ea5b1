#pragma once
// How fast a machine can go (measured by engine/machine.hpp): the roofs of the report's roofline, as data.

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace llmsweep::domain {

struct MachineFigures {
    std::string hostname, cpu_info, build_commit;
    int64_t threads = 1;
    std::string measured_at; // UTC, ISO 8601
    double read_gbs = 0;     // GB/s (1e9 bytes), best pass
    double triad_gbs = 0;    // STREAM triad, counting the two arrays read and the one written
    uint64_t buffer_bytes = 0;
    std::vector<std::pair<std::string, double>> matmul_gflops; // weight type -> GFLOP/s, best pass
    // The buffer types the weights were multiplied in, the best of them the roof ("CPU, CPU_REPACK"); empty for
    // a measurement before they were (the plain CPU buffer alone: below what repacked weights reach).
    std::string matmul_buffers;
    std::optional<double> peak_gflops; // threads x GHz x FP32 FLOP per cycle (2 FMA units of the widest vectors)
    uint64_t l1d_bytes = 0, l2_bytes = 0, l3_bytes = 0;

    // The compute roof for a weight type: its own figure, else the best measured.
    double compute_gflops(const std::string& weight_type) const;
};

nlohmann::json to_json(const MachineFigures& figures);
MachineFigures machine_figures_from_json(const nlohmann::json& json);

} // namespace llmsweep::domain
