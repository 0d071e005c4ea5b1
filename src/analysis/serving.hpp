#pragma once
// Server mode's figures per point, from every request its repetitions sent (table requests): throughput,
// latency percentiles, failures, and goodput under a service-level objective; per model and compared value the
// highest load that meets the objective, and the points on the throughput / tail-latency Pareto front.

#include "analysis/dataset.hpp"
#include "domain/serving.hpp"
#include "store/store.hpp"

#include <array>
#include <optional>
#include <string>
#include <vector>

namespace llmsweep::analysis {

struct ServingPoint {
    const Record* record = nullptr; // the point's serve result
    std::string model, value;       // value: of the compared parameter
    bool open_loop = false;
    double load = 0; // clients (closed loop) or requests per second (open loop)
    // The images each request began with, like the load an axis of its own: a synthetic one's size (0: none)
    // or a file, and how many.
    int64_t image_size = 0, images = 0;
    std::string image;
    bool has_image() const { return image_size > 0 || !image.empty(); }
    size_t requests = 0, failed = 0;
    double request_rate = 0; // requests that succeeded, per second of the repetitions' wall time
    double output_tps = 0;   // the serve result's mean: output tokens per second
    // Over the requests that succeeded, ms: the mean and percentiles of the time to first token, the time per
    // output token after the first, and end to end.
    std::optional<double> ttft_mean, ttft_p50, ttft_p90, ttft_p95, ttft_p99;
    std::optional<double> tpot_mean, tpot_p50, tpot_p90, tpot_p95, tpot_p99;
    std::optional<double> e2e_mean, e2e_p50, e2e_p90, e2e_p95, e2e_p99;
    // The gaps between streamed tokens, ms: the median and 99th percentile over each repetition's gaps, averaged
    // over the repetitions (the serve result's).
    std::optional<double> itl_p50, itl_p99;
    // The server's own timings (llama-server's), the medians over the requests that succeeded, ms: its prompt
    // (with the images' encoding) beside the client's TTFT, its generation beside the client's E2E - TTFT.
    std::optional<double> server_prompt_p50, server_gen_p50;
    double slo_met = 0;             // share of the requests that met the objective (a failed one did not)
    double goodput = 0;             // requests per second that met it
    bool pareto = false;            // no other point of its model and images has more throughput at a lower p99 TTFT
    std::vector<double> stream_tps; // per repetition: the mean of its requests' 1000 / TPOT
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

// One client's generation speed on the server (1000 / TPOT, per request, averaged per repetition) against
// llmsweep's own token generation (request or split mode) of the same model, settings and output length: what
// serving costs a single stream. Speeds are geometric means over the repetitions; the difference is their ratio,
// with Welch's 95 % interval of the difference of the mean log speeds.
struct SingleStream {
    std::string model, value; // value: the server point's, of the compared parameter
    int64_t n_prompt = 0, n_gen = 0;
    std::string native_mode; // request or split
    double server_tps = 0, native_tps = 0;
    size_t server_repetitions = 0, native_repetitions = 0;
    double difference_pct = 0;
    std::optional<double> low_pct, high_pct; // none with fewer than two repetitions of either
};

// The settings on which a server point and a native tg result must agree to be compared: the output length and
// every knob but server mode's (the load mode's auto agrees with what auto came to).
const std::vector<std::string_view>& single_stream_settings();

struct Serving {
    domain::Slo slo;
    std::vector<ServingPoint> points;        // by model, value, loop kind (closed first), load
    std::vector<ServingCapacity> capacities; // empty without an objective
    std::vector<SingleStream> single_stream; // server points of one client that have a native tg to compare with
};

// The server-mode results (metric serve) of `data` that succeeded, with their requests.
Serving summarize_serving(store::Store& store, const Dataset& data, const std::string& compare, const domain::Slo& slo);

} // namespace llmsweep::analysis
