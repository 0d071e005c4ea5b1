#pragma once
// Expansion of a spec into points, and the order in which they run.

#include "sweep/spec.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace llmsweep::sweep {

// What a worker needs to load a model: points that share these share a load.
struct LoadParams {
    std::string model;
    LoadMode load_mode = LoadMode::mmap;
    CacheState cache_state = CacheState::warm;
    int64_t n_gpu_layers = 99;
    bool operator==(const LoadParams&) const = default;
};

// What a context is created with.
struct ContextParams {
    int64_t threads = 1;
    int64_t n_batch = 2048;
    int64_t n_ubatch = 512;
    std::string type_k = "f16";
    std::string type_v = "f16";
    std::string flash_attn = "auto";
    bool operator==(const ContextParams&) const = default;
};

// One test: in request mode both n_prompt and n_gen are set; in split mode exactly one is.
struct TestParams {
    int64_t n_prompt = 0;
    int64_t n_gen = 0;
    int64_t n_depth = 0;
    bool operator==(const TestParams&) const = default;
};

struct Point {
    LoadParams load;
    ContextParams context;
    TestParams test;

    // Stable across runs and machines: the model file's identity (absolute path and size) and every value.
    // A resumed sweep skips the points whose key is already finished.
    std::string key(Mode mode) const;
};

// The metrics a point yields: pp and tg in request mode; pp or tg in split mode.
std::vector<std::string> metrics_of(const Point& point, Mode mode);

struct Task {
    size_t point = 0;
    int64_t repetition = 0;
};

// One worker process: a load of one load group, and the tasks it runs on that load.
struct Visit {
    size_t group = 0;
    int64_t round = 0;
    std::vector<Task> tasks;
};

struct Plan {
    std::vector<Point> points;
    std::vector<std::vector<size_t>> groups;  // point indices, by load group
    std::vector<Visit> visits;                // in execution order
    size_t n_tasks() const;
};

// Expands `spec` into points (threads defaulting to `default_threads`) and orders them.
Plan make_plan(const SweepSpec& spec, int64_t default_threads);

// What identifies a model file's content, cheaply: its size and a hash of its first 8 MiB (the GGUF header,
// metadata and tensor table) and last 1 MiB. A resumed run checks that its models are the files it started with.
std::string model_fingerprint(const std::string& path);

} // namespace llmsweep::sweep
