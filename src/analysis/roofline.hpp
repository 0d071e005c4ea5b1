#pragma once
// Each throughput's share of the machine's limit (docs/roofline.md): what a token of the point costs the model
// (domain/model_cost.hpp) times the tokens per second gives the bytes per second read and the operations per
// second done; the machine's measured roofs (domain/machine.hpp) of the same host and thread count bound them.
// Token generation is held to the memory's read bandwidth, prompt processing to the matrix multiplication's rate.

#include "analysis/dataset.hpp"
#include "domain/machine.hpp"
#include "domain/model_cost.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace llmsweep::analysis {

struct RooflinePoint {
    const Record* record = nullptr;
    std::string value; // of the compared parameter
    int64_t threads = 0;
    domain::TokenCost cost;               // per token
    std::string weight_type;              // of the model: whose matrix multiplication is its compute roof
    double gbs = 0, gflops = 0;           // achieved: tokens/s x bytes, tokens/s x FLOP
    double roof_gbs = 0, roof_gflops = 0; // the machine's
    double bandwidth_share = 0, compute_share = 0;
    // The roof that binds at this intensity (the lower of the two), and the point's share of it.
    double attainable_gflops() const;
};

// Per model, metric, value and thread count: the means over its points.
struct RooflineGroup {
    std::string model, metric, value;
    int64_t threads = 0;
    size_t points = 0;
    double gbs = 0, bandwidth_share = 0, gflops = 0, compute_share = 0;
    double roof_gbs = 0, roof_gflops = 0;
};

struct Roofline {
    std::vector<RooflinePoint> points;
    std::vector<RooflineGroup> groups;
    // The roofs per thread count, for the chart (the first matching measurement's).
    std::map<int64_t, domain::MachineFigures> machines;
    // What is missing, for the report to say: models without a profile (their files were not readable when
    // measured or imported), hosts and thread counts without a measurement, and models whose weights read per
    // token fit in the last-level cache (the memory's roof does not bound them).
    std::vector<std::string> models_without_profile;
    std::vector<std::pair<std::string, int64_t>> without_machine; // host, threads
    std::vector<std::string> fit_in_cache;
    // Model and value whose work ran on a GPU (layers offloaded, or a prompt's matrix multiplications sent there):
    // the roofs are the CPU's and do not bound them, so they are left out rather than shown above 100 %.
    std::vector<std::string> offloaded;
    bool other_build = false; // a roof measured with another llama.cpp build of the same host was used
};

// `profiles`: model file path -> profile JSON (store::read_model_profiles); `machines`: store::read_machines.
// Only ok pp and tg records count.
Roofline roofline(const Dataset& data, const std::string& compare, const std::map<std::string, std::string>& profiles,
                  const std::vector<nlohmann::json>& machines);

// Whether a record's work ran on a GPU: a build with one, and layers offloaded to it, or a batch of a prompt
// large enough for llama.cpp to send the matrix multiplications of CPU-resident weights to it (32 tokens).
bool ran_on_gpu(const Record& record);

// The cost of one token of a record's test (nothing for a metric other than pp and tg).
std::optional<domain::TokenCost> token_cost(const Record& record, const domain::ModelProfile& profile);

} // namespace llmsweep::analysis
