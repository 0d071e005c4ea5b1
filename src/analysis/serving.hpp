#pragma once
// Server mode's figures per point, from every request its repetitions sent (table requests): throughput,
// latency percentiles, failures, and goodput under a service-level objective; per model and compared value the
// highest load that meets the objective, and the points on the throughput / tail-latency Pareto front.

#include "analysis/dataset.hpp"
#include "domain/serving.hpp"
#include "store/store.hpp"

#include <optional>
#include <string>
#include <vector>

namespace llmsweep::analysis {

struct ServingPoint {
    const Record* record = nullptr; // the point's serve result
    std::string model, value;       // value: of the compared parameter
    bool open_loop = false;
    double load = 0; // clients (closed loop) or requests per second (open loop)
    size_t requests = 0, failed = 0;
    double request_rate = 0; // requests that succeeded, per second of the repetitions' wall time
    double output_tps = 0;   // the serve result's mean: output tokens per second
    // Percentiles over the requests that succeeded, ms: time to first token, time per output token after the
    // first, end to end.
    std::optional<double> ttft_p50, ttft_p90, ttft_p99, tpot_p50, tpot_p99, e2e_p50, e2e_p99;
    double slo_met = 0;  // share of the requests that met the objective (a failed one did not)
    double goodput = 0;  // requests per second that met it
    bool pareto = false; // no other point of its model has more throughput at a lower p99 TTFT
};

// A load meets the objective when this share of its requests does.
inline constexpr double slo_share = 0.9;

// Per model, loop kind and compared value: the highest load that met the objective.
struct ServingCapacity {
    std::string model, value;
    bool open_loop = false;
    std::optional<double> load; // none: not even the lightest load met it
    double goodput = 0;         // there
};

struct Serving {
    domain::Slo slo;
    std::vector<ServingPoint> points;        // by model, value, loop kind (closed first), load
    std::vector<ServingCapacity> capacities; // empty without an objective
};

// The server-mode results (metric serve) of `data` that succeeded, with their requests.
Serving summarize_serving(store::Store& store, const Dataset& data, const std::string& compare, const domain::Slo& slo);

} // namespace llmsweep::analysis
