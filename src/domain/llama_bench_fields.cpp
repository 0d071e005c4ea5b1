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
        {"n_batch", integer, {}, 7},
        {"n_ubatch", integer, {}, 8},
        {"n_threads", integer, "threads", 7},
        {"cpu_mask", text},
        {"cpu_strict", boolean},
        {"poll", integer},
        {"type_k", text, {}, 6},
        {"type_v", text, {}, 6},
        {"n_gpu_layers", integer, "ngl", 3},
        {"n_cpu_moe", integer},
        {"split_mode", text, "sm", 6},
        {"main_gpu", integer},
        {"no_kv_offload", boolean, "nkvo"},
        {"flash_attn", flash_attn, "fa", 3},
        {"devices", text, "dev", -12},
        {"tensor_split", text, "ts"},
        {"tensor_buft_overrides", text, "ot"},
        {"load_mode", text, "lm", 10},
        {"lazy_mode", text},
        {"embeddings", boolean, "embd"},
        {"no_op_offload", integer, "nopo", 4},
        {"no_host", boolean, "noh", 4},
        {"fit_target", integer, "fitt"},
        {"fit_min_ctx", integer, "fitc"},
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

std::span<const LlamaBenchField> llama_bench_output_fields() {
    const auto& fields = all_fields();
    return {fields.data(), llama_bench_field_index("samples_ns")};
}

const std::vector<std::string_view>& llama_bench_markdown_settings() {
    static const std::vector<std::string_view> settings = {"n_gpu_layers",
                                                           "n_cpu_moe",
                                                           "n_threads",
                                                           "cpu_mask",
                                                           "cpu_strict",
                                                           "poll",
                                                           "n_batch",
                                                           "n_ubatch",
                                                           "type_k",
                                                           "type_v",
                                                           "main_gpu",
                                                           "split_mode",
                                                           "no_kv_offload",
                                                           "flash_attn",
                                                           "devices",
                                                           "tensor_split",
                                                           "tensor_buft_overrides",
                                                           "load_mode",
                                                           "lazy_mode",
                                                           "embeddings",
                                                           "no_op_offload",
                                                           "no_host",
                                                           "fit_target",
                                                           "fit_min_ctx"};
    return settings;
}

const LlamaBenchField* find_llama_bench_field(std::string_view name) {
    const size_t index = llama_bench_field_index(name);
    return index < all_fields().size() ? &all_fields()[index] : nullptr;
}

size_t llama_bench_field_index(std::string_view name) {
    const auto& fields = all_fields();
    return static_cast<size_t>(
        std::find_if(fields.begin(), fields.end(), [&](const LlamaBenchField& f) { return f.name == name; }) -
        fields.begin());
}

} // namespace llmsweep::domain
