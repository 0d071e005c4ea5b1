#pragma once
// What a llama-bench test's fields mean: the fields every llama-bench version has written, their types, and a
// test checked and typed from them. Older versions' fields (use_mmap, use_direct_io, boolean flash_attn, ...)
// are read into today's meaning.

#include "domain/point.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace llmsweep::llama_bench {

enum class FieldType { text, integer, boolean, real, flash_attn, list };

struct Field {
    std::string_view name;
    FieldType type;
};

// Every field llama-bench writes now or wrote before; any other is refused.
const std::vector<Field>& llama_bench_fields();

struct BenchTest {
    // The build and machine.
    std::string build_commit, cpu_info, gpu_info, backends;
    // The test.
    std::string model_filename, model_type;
    int64_t model_size = 0, model_n_params = 0;
    int64_t n_batch = 2048, n_ubatch = 512, n_threads = 0, n_gpu_layers = 99;
    std::string type_k = "f16", type_v = "f16";
    std::string flash_attn = "off"; // on, off or auto
    bool no_kv_offload = false, embeddings = false;
    std::string cpu_mask = "0x0";
    bool cpu_strict = false;
    int64_t poll = 50;
    bool no_op_offload = false, no_host = false;
    std::string split_mode = "layer", lazy_mode = "auto";
    int64_t main_gpu = 0, n_cpu_moe = 0;
    std::string load_mode = "mmap"; // as llama-bench names it: auto, none, mmap, mlock, mmap+mlock, dio
    int64_t n_prompt = 0, n_gen = 0, n_depth = 0;
    std::string test_time;
    // The measurement.
    double avg_ns = 0, stddev_ns = 0, avg_ts = 0, stddev_ts = 0;
    std::vector<int64_t> samples_ns;
    std::vector<double> samples_ts;
    // The other fields, as typed values (cpu_mask, poll, split_mode, ...).
    nlohmann::json extra = nlohmann::json::object();

    // pp, tg, or pg for llama-bench's combined -pg test.
    std::string metric() const;
    // Its settings as a point's: what a context was made with, and the test.
    domain::ContextParams context() const;
    domain::TestParams test() const { return {n_prompt, n_gen, n_depth}; }
};

// Throws FormatError naming the field and the problem: an unknown or missing field, a wrong type, a number
// out of range, a negative time.
BenchTest to_bench_test(const nlohmann::json& fields);

} // namespace llmsweep::llama_bench
