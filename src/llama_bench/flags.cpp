#include "llama_bench/flags.hpp"

#include <array>
#include <utility>

namespace llmsweep::llama_bench {
namespace {

// (setting, llama-bench's flag), as tools/llama-bench/llama-bench.cpp spells them.
constexpr std::array<std::pair<std::string_view, std::string_view>, 22> spellings{
    {{"model", "-m"},         {"n_cpu_moe", "-ncmoe"}, {"no_op_offload", "-nopo"}, {"split_mode", "-sm"},
     {"main_gpu", "-mg"},     {"lazy_mode", "-lzm"},   {"cpu_mask", "-C"},         {"no_kv_offload", "-nkvo"},
     {"embeddings", "-embd"}, {"n_pg", "-pg"},         {"n_prompt", "-p"},         {"n_gen", "-n"},
     {"n_depth", "-d"},       {"threads", "-t"},       {"n_batch", "-b"},          {"n_ubatch", "-ub"},
     {"type_k", "-ctk"},      {"type_v", "-ctv"},      {"flash_attn", "-fa"},      {"n_gpu_layers", "-ngl"},
     {"repetitions", "-r"},   {"mmap", "-mmp"}}};

} // namespace

std::string_view flag_for(std::string_view setting) {
    for (const auto& [key, flag] : spellings)
        if (key == setting) return flag;
    return {};
}

std::optional<std::string> as_long_flag(std::string_view argument) {
    for (const auto& [key, flag] : spellings) {
        if (flag != argument || flag.size() <= 2) continue; // -m, -p, ... are short options already
        if (key == "mmap") return std::string("--mmap");
        return "-" + std::string(flag);
    }
    return std::nullopt;
}

} // namespace llmsweep::llama_bench
