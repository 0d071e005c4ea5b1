#pragma once
// What the orchestrator asks of a worker and what it answers: a load and its outcome, a run of a test and its
// measurement. Plain data, without llama.cpp's types: the layers above the engine see these alone.

#include "domain/point.hpp"
#include "engine/memory_map.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace llmsweep::engine {

struct LoadOutcome {
    double load_ms = 0;
    uint64_t file_bytes = 0;
    uint64_t resident_before_bytes = 0;
    std::optional<bool> cache_evicted; // for cold loads
    uint64_t rss_after_load_bytes = 0;
    int64_t major_faults = 0;
    int64_t minor_faults = 0;
    std::string model_type;
    uint64_t model_size = 0;
    uint64_t model_n_params = 0;
    std::optional<MappingState> mapping;                           // the worker's memory right after the load
    std::string thp_mode;                                          // the host's transparent-huge-page mode
    std::vector<std::pair<std::string, double>> model_buffers_mib; // where the weights went: buffer type, MiB
    // What the given settings came to: the load mode llama.cpp used (auto resolved to mmap or none), and the
    // model's layers (n_gpu_layers of n_layer + 1 or more, or negative, offloads all of them).
    std::string effective_load_mode;
    int64_t n_layer = 0;
};

// A load, and the settings of the whole sweep that the worker process applies before it.
struct LoadRequest {
    domain::LoadParams params;
    std::string numa = "disabled"; // llama_numa_init's strategy: disabled, distribute, isolate, numactl
    std::string rpc;               // RPC servers (host:port, comma-separated) whose devices join the local ones
};

struct RunRequest {
    domain::ContextParams context;
    domain::TestParams test;
    domain::Mode mode = domain::Mode::request;
    int64_t repetition = 0;
    int64_t warmup = 1;
    uint64_t seed = 1;
    int prio = 0; // the threadpool's threads' priority: -1 low, 0 normal, 1 medium, 2 high, 3 realtime
    // The context a visit's tests share (rounds order): its size, enough for each of them, and the warm-up run
    // once on it, the largest prompt of them and a token. Not given (grouped order, llama-bench's): a context of
    // the test's own size and a warm-up of the test's own shape, for each test, as llama-bench.
    std::optional<int64_t> shared_n_ctx;
    std::optional<domain::TestParams> shared_warmup;
};

// One repetition. Request mode fills both phases and the latencies; split mode one phase.
struct Measurement {
    std::optional<int64_t> pp_ns;
    std::optional<int64_t> tg_ns;
    std::optional<int64_t> pg_ns; // split mode's combined test (llama-bench -pg): the prompt, then the generation
    std::optional<double> ttft_ms;
    std::optional<double> itl_p50_ms, itl_p90_ms, itl_p99_ms;
    // Request mode with an image (--image-size): its slices encoded through the vision tower, their tokens
    // prefilled, how many tokens and slices, before the prompt.
    std::optional<int64_t> image_encode_ns, image_prefill_ns, image_tokens, image_slices;
    // Once per worker, on the run that loaded the mmproj and encoded the first image (in its warm-up, or
    // measured): the mmproj's load, ms, and the resident memory it added, bytes; that first image's encode with the
    // vision tower cold, ms, and tokens.
    std::optional<double> mmproj_load_ms, first_image_ms;
    std::optional<int64_t> mmproj_rss_bytes, first_image_tokens;
};

} // namespace llmsweep::engine
