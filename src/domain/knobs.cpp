#include "domain/knobs.hpp"

#include "core/error.hpp"
#include "core/text.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <regex>

namespace llmsweep::domain {
namespace {

using L = LoadParams;
using C = ContextParams;

// The pieces of `text` between `separators`, each without its surrounding white space.
std::vector<std::string> trimmed_pieces(std::string_view text, std::string_view separators) {
    std::vector<std::string> pieces = split(text, separators);
    for (std::string& piece : pieces) piece = std::string(trim(piece, " \t"));
    return pieces;
}

// A hex CPU mask as llama-bench takes it (0x prefix optional): lower case, with the prefix.
std::string canonical_cpu_mask(std::string_view text) {
    std::string digits(text.substr(0, 2) == "0x" || text.substr(0, 2) == "0X" ? text.substr(2) : text);
    const bool hex = !digits.empty() && digits.size() <= 128 &&
                     std::all_of(digits.begin(), digits.end(), [](char c) { return std::isxdigit(c) != 0; });
    if (!hex) throw UsageError(fmt::format("--cpu-mask: '{}' is not a hex mask of CPUs (0x3: CPUs 0 and 1)", text));
    for (char& c : digits) c = static_cast<char>(std::tolower(c));
    return "0x" + digits;
}

template <size_t N>
std::string one_of(std::string_view text, std::string_view flag, const std::array<std::string_view, N>& names) {
    if (std::find(names.begin(), names.end(), text) != names.end()) return std::string(text);
    throw UsageError(fmt::format("{}: unknown value '{}'; choose from {}", flag, text, fmt::join(names, ", ")));
}

std::string canonical_split_mode(std::string_view text) {
    return one_of(text, "--split-mode", std::array<std::string_view, 4>{"none", "layer", "row", "tensor"});
}
std::string canonical_lazy_mode(std::string_view text) {
    return one_of(text, "--lazy-mode", std::array<std::string_view, 3>{"off", "auto", "on"});
}

// In llama-bench's order of its fields; a key's tags in the order knobs joined it (older keys stay the same).
const std::vector<Knob>& all_knobs() {
    static const std::vector<Knob> table = {
        {"no_kv_offload", "-nkvo", "no_kv_offload", "nkvo", "0,1: keep the KV cache in host memory, not on the GPU",
         "KV offload settings", &C::no_kv_offload},
        {"embeddings", "-embd", "embeddings", "embd", "0,1: the context computes embeddings", "embeddings settings",
         &C::embeddings},
        {"cpu_mask", "-C", "cpu_mask", "cpu_mask", "CPUs the threads may run on, a hex mask (0x0: any)", "CPU masks",
         &C::cpu_mask, 0, 0, canonical_cpu_mask},
        {"cpu_strict", "--cpu-strict", "cpu_strict", "cpu_strict", "0,1: one thread per CPU of the mask, in order",
         "CPU strictness settings", &C::cpu_strict},
        {"poll", "--poll", "poll", "poll", "How much the threads spin-wait for work, 0-100", "polling levels", &C::poll,
         0, 100},
        {"no_op_offload", "-nopo", "no_op_offload", "nopo", "0,1: host tensor operations stay on the host",
         "op offload settings", &C::no_op_offload},
        {"split_mode", "-sm", "split_mode", "sm", "How the model is split over devices: none, layer, row, tensor",
         "split modes", &L::split_mode, 0, 0, canonical_split_mode},
        {"main_gpu", "-mg", "main_gpu", "mg", "The device of split mode none", "main GPUs", &L::main_gpu, 0, 1024},
        {"no_host", "--no-host", "no_host", "no_host", "0,1: bypass host buffers", "host buffer settings", &L::no_host},
        {"lazy_mode", "-lzm", "lazy_mode", "lzm", "Tensors read on demand: off, auto, on", "lazy modes", &L::lazy_mode,
         0, 0, canonical_lazy_mode},
        {"n_cpu_moe", "-ncmoe", "n_cpu_moe", "ncmoe",
         "MoE models: keep the expert tensors of the first N layers on the CPU", "MoE CPU layer counts", &L::n_cpu_moe,
         0, 100000},
        {"devices", "-dev", "devices", "dev",
         "Devices to use: auto, none, or names joined by '/' (CUDA0/CUDA1; llama-bench --list-devices names them)",
         "device lists", &L::devices, 0, 0, canonical_devices},
        {"tensor_split", "-ts", "tensor_split", "ts",
         "How much of the model each device takes, proportions joined by '/' (3/1)", "tensor splits", &L::tensor_split,
         0, 0, canonical_tensor_split},
        {"override_tensor", "-ot", "tensor_buft_overrides", "ot",
         "Tensors whose names match a regular expression go to a buffer type: PATTERN=TYPE, several joined by ';' "
         "(ffn_.*_exps=CPU)",
         "tensor overrides", &L::override_tensor, 0, 0, canonical_overrides},
        {"fit_target", "-fitt", "fit_target", "fitt",
         "Fit the layers and context to free device memory, leaving this many MiB free (0: no fitting)", "fit targets",
         &L::fit_target, 0, 1 << 30, nullptr, false},
        {"fit_min_ctx", "-fitc", "fit_min_ctx", "fitc", "When fitting, the least context size to keep (0: the test's)",
         "fit context sizes", &L::fit_min_ctx, 0, 1 << 30, nullptr, false},
    };
    return table;
}

} // namespace

std::string canonical_devices(std::string_view value) {
    const std::string text(trim(value, " \t"));
    if (text == "auto" || text == "none") return text;
    const auto names = trimmed_pieces(text, "/");
    for (const std::string& name : names)
        if (name.empty() || name == "auto" || name == "none")
            throw UsageError(fmt::format("--devices: '{}' is not auto, none, or device names joined by '/' "
                                         "(CUDA0/CUDA1)",
                                         value));
    return fmt::format("{}", fmt::join(names, "/"));
}

std::string canonical_tensor_split(std::string_view value) {
    std::vector<double> shares;
    for (const std::string& part : trimmed_pieces(value, ";/")) {
        double share = -1;
        const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), share);
        if (part.empty() || ec != std::errc() || end != part.data() + part.size() || !(share >= 0) ||
            !std::isfinite(share))
            throw UsageError(fmt::format("--tensor-split: '{}' is not proportions joined by '/' (3/1: three quarters "
                                         "on the first device)",
                                         value));
        shares.push_back(share);
    }
    if (shares.size() > 128)
        throw UsageError(fmt::format("--tensor-split: '{}' names more devices than llama.cpp has", value));
    while (shares.size() > 1 && shares.back() == 0) shares.pop_back();
    std::vector<std::string> parts;
    for (double share : shares) parts.push_back(fmt::format("{:.2f}", share));
    return fmt::format("{}", fmt::join(parts, "/"));
}

std::string canonical_overrides(std::string_view value) {
    const std::string text(trim(value, " \t"));
    if (text == "none") return text;
    std::vector<std::string> overrides;
    for (const std::string& item : trimmed_pieces(text, ";")) {
        const size_t equals = item.rfind('=');
        if (equals == std::string::npos || equals == 0 || equals + 1 == item.size())
            throw UsageError(fmt::format("--override-tensor: '{}' is not PATTERN=BUFFER_TYPE (ffn_.*_exps=CPU)", item));
        const std::string pattern = item.substr(0, equals);
        try {
            std::regex check(pattern);
        } catch (const std::regex_error& e) {
            throw UsageError(
                fmt::format("--override-tensor: '{}' is not a regular expression ({})", pattern, e.what()));
        }
        overrides.push_back(item);
    }
    return fmt::format("{}", fmt::join(overrides, ";"));
}

Knob::Type Knob::type() const {
    switch (member.index() % 3) {
    case 0: return Type::integer;
    case 1: return Type::boolean;
    default: return Type::text;
    }
}

bool Knob::of_load() const { return member.index() < 3; }

namespace {

template <typename V>
std::string as_text(const V& value) {
    if constexpr (std::is_same_v<V, bool>) return value ? "1" : "0";
    else if constexpr (std::is_same_v<V, int64_t>) return std::to_string(value);
    else return value;
}

} // namespace

std::string Knob::text(const LoadParams& load, const ContextParams& context) const {
    return std::visit(
        [&](auto m) {
            if constexpr (std::is_invocable_v<decltype(m), const LoadParams&>) return as_text(load.*m);
            else return as_text(context.*m);
        },
        member);
}

std::string Knob::default_text() const { return text(LoadParams{}, ContextParams{}); }

namespace {

template <typename Params>
void assign(const Knob::Member& member, Params& params, std::string_view value) {
    std::visit(
        [&](auto m) {
            if constexpr (std::is_invocable_v<decltype(m), Params&>) {
                auto& target = params.*m;
                using V = std::remove_cvref_t<decltype(target)>;
                if constexpr (std::is_same_v<V, bool>) target = value == "1";
                else if constexpr (std::is_same_v<V, int64_t>) {
                    int64_t x = 0;
                    std::from_chars(value.data(), value.data() + value.size(), x);
                    target = x;
                } else target = std::string(value);
            }
        },
        member);
}

} // namespace

void Knob::set(LoadParams& load, std::string_view value) const { assign(member, load, value); }
void Knob::set(ContextParams& context, std::string_view value) const { assign(member, context, value); }

nlohmann::json Knob::json_of(std::string_view value) const {
    switch (type()) {
    case Type::integer: {
        int64_t x = 0;
        std::from_chars(value.data(), value.data() + value.size(), x);
        return x;
    }
    case Type::boolean: return value == "1";
    case Type::text: return std::string(value);
    }
    return nullptr;
}

nlohmann::json Knob::json(const LoadParams& load, const ContextParams& context) const {
    return json_of(text(load, context));
}

std::variant<int64_t, std::string> Knob::column(const Point& point) const {
    const std::string value = text(point);
    if (type() == Type::text) return value;
    int64_t x = 0;
    std::from_chars(value.data(), value.data() + value.size(), x);
    return x;
}

const std::vector<Knob>& knobs() { return all_knobs(); }

const Knob* find_knob(std::string_view name) {
    for (const Knob& knob : all_knobs())
        if (knob.name == name) return &knob;
    return nullptr;
}

} // namespace llmsweep::domain
