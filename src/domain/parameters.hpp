#pragma once
// The parameters of a measurement that every layer names the same way: how the model is read, whether its
// pages are cached, what a test measures, the KV cache types. Their canonical names (what the store, the
// reports and the worker protocol write) and their parsers live here and nowhere else.

#include "core/error.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <array>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace llmsweep::domain {

// How llama.cpp reads the model file: automatic is llama.cpp's own choice (mmap where every device the model
// uses can map the file, else none), mmap_mlock maps the file and locks its pages in memory.
enum class LoadMode { automatic, none, mmap, mlock, mmap_mlock, dio };
// Whether the model file's pages may be in the page cache before the load (warm) or are evicted first (cold).
enum class CacheState { warm, cold };
// Whether the worker's memory may be mapped with huge pages (transparent huge pages for anonymous memory,
// PMD mappings of the page cache's large folios for a mapped model file):
//   automatic: llmsweep changes nothing, as llama-bench: the kernel's THP mode and the history of the file's
//              pages in the page cache decide;
//   off:       none (prctl PR_SET_THP_DISABLE in the worker before the load);
//   on:        as much as the kernel gives: the file's cached pages re-read into large folios before the load,
//              the weights and buffers collapsed into huge pages after it (madvise MADV_COLLAPSE).
enum class HugePages { automatic, off, on };
// request: prefill n_prompt then decode n_gen in one sequence; split: llama-bench's separate pp and tg tests;
// server: llama-server under concurrent requests of n_prompt tokens that each generate n_gen.
enum class Mode { request, split, server };

std::string_view name(LoadMode value);
std::string_view name(CacheState value);
std::string_view name(Mode value);
std::string_view name(HugePages value);

LoadMode parse_load_mode(std::string_view text); // also "0"/"1" for --mmap
CacheState parse_cache_state(std::string_view text);
Mode parse_mode(std::string_view text);
HugePages parse_huge_pages(std::string_view text);
std::string parse_flash_attn(std::string_view text); // on, off, auto; 0 and 1 as aliases

// n_gpu_layers as llama.cpp counts it for a model of n_layer layers: -1 (all) for a negative value or n_layer + 1
// or more (the output layer counts too), else the value. -ngl 99 and -ngl -1 are then the same setting.
int64_t effective_gpu_layers(int64_t given, int64_t n_layer);

// The KV cache types llama.cpp accepts for K and V.
const std::vector<std::string_view>& cache_type_names();
// A KV cache type's name as given, or UsageError naming the known ones.
std::string canonical_cache_type(std::string_view text);

// The largest token count a setting takes.
inline constexpr int64_t max_tokens = 1 << 20;

// The value of `text` among `choices`; throws UsageError naming `what` and the choices.
template <typename Enum, size_t N>
Enum parse_choice(std::string_view text, const std::array<std::pair<std::string_view, Enum>, N>& choices,
                  std::string_view what) {
    for (const auto& [choice, value] : choices)
        if (choice == text) return value;
    std::vector<std::string_view> names;
    for (const auto& choice : choices) names.push_back(choice.first);
    throw UsageError(fmt::format("{}: unknown value '{}'; choose from {}", what, text, fmt::join(names, ", ")));
}

} // namespace llmsweep::domain
