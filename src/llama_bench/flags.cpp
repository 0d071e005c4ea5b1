#include "llama_bench/flags.hpp"

#include "domain/knobs.hpp"

#include <array>
#include <utility>
#include <vector>

namespace llmsweep::llama_bench {
namespace {

// (setting, llama-bench's flag), as tools/llama-bench/llama-bench.cpp spells them; the parameters' (the test
// sizes' -p, -n, -d, -rpc, and llama-server's -np, -c and -cb among them) come from their table
// (domain/knobs.hpp).
constexpr std::array<std::pair<std::string_view, std::string_view>, 4> spellings{
    {{"model", "-m"}, {"n_pg", "-pg"}, {"repetitions", "-r"}, {"mmap", "-mmp"}}};

// llama-bench's one-dash spellings: its long options (--poll, --no-host) are llmsweep's own already.
std::vector<std::pair<std::string_view, std::string_view>> all_spellings() {
    std::vector<std::pair<std::string_view, std::string_view>> all(spellings.begin(), spellings.end());
    for (const domain::Knob& knob : domain::parameters())
        if (knob.flag.substr(0, 2) != "--") all.emplace_back(knob.name, knob.flag);
    return all;
}

} // namespace

std::string_view flag_for(std::string_view setting) {
    for (const auto& [key, flag] : all_spellings())
        if (key == setting) return flag;
    return {};
}

std::optional<std::string> as_long_flag(std::string_view argument) {
    for (const auto& [key, flag] : all_spellings()) {
        if (flag != argument || flag.size() <= 2) continue; // -m, -p, ... are short options already
        if (key == "mmap") return std::string("--mmap");
        return "-" + std::string(flag);
    }
    return std::nullopt;
}

} // namespace llmsweep::llama_bench
