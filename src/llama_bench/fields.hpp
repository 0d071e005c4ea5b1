#pragma once
// What a llama-bench test's fields mean: the fields every llama-bench version has written, their types, and a
// test checked and typed from them. Older versions' fields (use_mmap, use_direct_io, boolean flash_attn, ...)
// are read into today's meaning.

#include "domain/llama_bench_fields.hpp"
#include "domain/point.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace llmsweep::llama_bench {

using FieldType = domain::LlamaBenchFieldType;
using Field = domain::LlamaBenchField;

struct BenchTest {
    // The build and machine.
    std::string build_commit, cpu_info, gpu_info, backends;
    // The model, as llama.cpp describes it.
    std::string model_type;
    int64_t model_size = 0, model_n_params = 0;
    // The test's settings as a point's (load.model is the model file as llama-bench names it). Fields that
    // older versions lack have the value those versions used: 99 GPU layers, mmap, flash attention off.
    domain::Point point = legacy_point();
    static domain::Point legacy_point();
    std::string test_time;
    // The measurement.
    double avg_ns = 0, stddev_ns = 0, avg_ts = 0, stddev_ts = 0;
    std::vector<int64_t> samples_ns;
    std::vector<double> samples_ts;
    // The other fields, as typed values (cpu_mask, poll, split_mode, ...).
    nlohmann::json extra = nlohmann::json::object();

    // pp, tg, or pg for llama-bench's combined -pg test.
    std::string metric() const;
};

// Throws FormatError naming the field and the problem: an unknown or missing field, a wrong type, a number
// out of range, a negative time.
BenchTest to_bench_test(const nlohmann::json& fields);

} // namespace llmsweep::llama_bench
