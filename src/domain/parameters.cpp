#include "domain/parameters.hpp"

#include "core/error.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

namespace llmsweep::domain {
namespace {

constexpr std::array<std::pair<std::string_view, LoadMode>, 8> load_mode_names{{{"auto", LoadMode::automatic},
                                                                                {"none", LoadMode::none},
                                                                                {"mmap", LoadMode::mmap},
                                                                                {"mlock", LoadMode::mlock},
                                                                                {"mmap+mlock", LoadMode::mmap_mlock},
                                                                                {"dio", LoadMode::dio},
                                                                                {"0", LoadMode::none},
                                                                                {"1", LoadMode::mmap}}};
constexpr std::array<std::pair<std::string_view, CacheState>, 2> cache_state_names{
    {{"warm", CacheState::warm}, {"cold", CacheState::cold}}};
constexpr std::array<std::pair<std::string_view, Mode>, 3> mode_names{
    {{"request", Mode::request}, {"split", Mode::split}, {"server", Mode::server}}};
constexpr std::array<std::pair<std::string_view, HugePages>, 3> huge_pages_names{
    {{"auto", HugePages::automatic}, {"off", HugePages::off}, {"on", HugePages::on}}};

} // namespace

std::string_view name(LoadMode value) {
    for (const auto& [text, v] : load_mode_names)
        if (v == value) return text;
    return "?";
}
std::string_view name(CacheState value) { return value == CacheState::warm ? "warm" : "cold"; }
std::string_view name(Mode value) {
    for (const auto& [text, mode] : mode_names)
        if (mode == value) return text;
    return "request";
}
std::string_view name(HugePages value) {
    for (const auto& [text, v] : huge_pages_names)
        if (v == value) return text;
    return "?";
}

LoadMode parse_load_mode(std::string_view text) { return parse_choice(text, load_mode_names, "--load-mode"); }
CacheState parse_cache_state(std::string_view text) { return parse_choice(text, cache_state_names, "--cache"); }
Mode parse_mode(std::string_view text) { return parse_choice(text, mode_names, "--mode"); }
HugePages parse_huge_pages(std::string_view text) { return parse_choice(text, huge_pages_names, "--huge-pages"); }

std::string parse_flash_attn(std::string_view text) {
    if (text == "1" || text == "on" || text == "true") return "on";
    if (text == "0" || text == "off" || text == "false") return "off";
    if (text == "auto") return "auto";
    throw UsageError(fmt::format("--flash-attn: unknown value '{}'; choose from on, off, auto, 1, 0", text));
}

int64_t effective_gpu_layers(int64_t given, int64_t n_layer) { return given < 0 || given > n_layer ? -1 : given; }

const std::vector<std::string_view>& cache_type_names() {
    static const std::vector<std::string_view> names = {"f32",  "f16",    "bf16", "q8_0", "q4_0",
                                                        "q4_1", "iq4_nl", "q5_0", "q5_1"};
    return names;
}

std::string canonical_cache_type(std::string_view text) {
    const auto& known = cache_type_names();
    if (std::find(known.begin(), known.end(), text) == known.end())
        throw UsageError(fmt::format("unknown KV cache type '{}'; choose from {}", text, fmt::join(known, ", ")));
    return std::string(text);
}

} // namespace llmsweep::domain
