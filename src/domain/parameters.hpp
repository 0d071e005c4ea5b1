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

// How llama.cpp reads the model file.
enum class LoadMode { none, mmap, mlock, dio };
// Whether the model file's pages may be in the page cache before the load (warm) or are evicted first (cold).
enum class CacheState { warm, cold };
// request: prefill n_prompt then decode n_gen in one sequence; split: llama-bench's separate pp and tg tests.
enum class Mode { request, split };

std::string_view name(LoadMode value);
std::string_view name(CacheState value);
std::string_view name(Mode value);

LoadMode parse_load_mode(std::string_view text); // also "0"/"1" for --mmap
CacheState parse_cache_state(std::string_view text);
Mode parse_mode(std::string_view text);
std::string parse_flash_attn(std::string_view text); // on, off, auto; 0 and 1 as aliases

// The KV cache types llama.cpp accepts for type_k / type_v.
const std::vector<std::string_view>& cache_type_names();

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
