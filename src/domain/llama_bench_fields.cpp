#include "domain/llama_bench_fields.hpp"

#include <algorithm>

namespace llmsweep::domain {
namespace {

using enum LlamaBenchFieldType;

// llama-bench's fields (tools/llama-bench/llama-bench.cpp, test::get_fields()), today's and those of older
// versions: per-backend booleans before `backends`, `use_mmap` and `use_direct_io` before `load_mode`,
// `f16_kv` before `type_k`/`type_v`, boolean `flash_attn` before -1/0/1.
// A function's static: the store's schema, itself static, reads it while it is made.
const std::vector<LlamaBenchField>& all_fields() {
    static const std::vector<LlamaBenchField> fields = {
        {"build_commit", text},
        {"build_number", integer},
        {"cpu_info", text},
        {"gpu_info", text},
        {"backends", text},
        {"model_filename", text},
        {"model_type", text},
        {"model_size", integer},
        {"model_n_params", integer},
        {"n_batch", integer},
        {"n_ubatch", integer},
        {"n_threads", integer},
        {"cpu_mask", text},
        {"cpu_strict", boolean},
        {"poll", integer},
        {"type_k", text},
        {"type_v", text},
        {"n_gpu_layers", integer},
        {"n_cpu_moe", integer},
        {"split_mode", text},
        {"main_gpu", integer},
        {"no_kv_offload", boolean},
        {"flash_attn", flash_attn},
        {"devices", text},
        {"tensor_split", text},
        {"tensor_buft_overrides", text},
        {"load_mode", text},
        {"lazy_mode", text},
        {"embeddings", boolean},
        {"no_op_offload", integer},
        {"no_host", boolean},
        {"fit_target", integer},
        {"fit_min_ctx", integer},
        {"n_prompt", integer},
        {"n_gen", integer},
        {"n_depth", integer},
        {"test_time", text},
        {"avg_ns", integer},
        {"stddev_ns", integer},
        {"avg_ts", real},
        {"stddev_ts", real},
        {"samples_ns", list},
        {"samples_ts", list},
        // Older versions.
        {"use_mmap", boolean},
        {"use_direct_io", boolean},
        {"f16_kv", boolean},
        {"mul_mat_q", boolean},
        {"defrag_thold", real},
        {"cuda", boolean},
        {"opencl", boolean},
        {"vulkan", boolean},
        {"kompute", boolean},
        {"metal", boolean},
        {"sycl", boolean},
        {"rpc", boolean},
        {"gpu_blas", boolean},
        {"blas", boolean},
    };
    return fields;
}

} // namespace

const std::vector<LlamaBenchField>& llama_bench_fields() { return all_fields(); }

size_t llama_bench_field_index(std::string_view name) {
    const auto& fields = all_fields();
    return static_cast<size_t>(
        std::find_if(fields.begin(), fields.end(), [&](const LlamaBenchField& f) { return f.name == name; }) -
        fields.begin());
}

} // namespace llmsweep::domain
