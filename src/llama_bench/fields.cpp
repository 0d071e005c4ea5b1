#include "llama_bench/fields.hpp"

#include "domain/plausible.hpp"

#include "llama_bench/output.hpp"

#include "core/error.hpp"
#include "domain/knobs.hpp"
#include "domain/llama_bench_fields.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <optional>

namespace llmsweep::llama_bench {
namespace {

using enum domain::LlamaBenchFieldType; // the enum itself: clang 14 takes no alias here

const std::vector<Field>& fields = domain::llama_bench_fields();

// Fields that older versions lack are optional and take the value llama-bench used before they existed.
const std::vector<std::string_view> required = {"model_filename", "n_threads", "n_prompt", "n_gen", "avg_ns", "avg_ts"};

// Fields with a place of their own in BenchTest (the knobs' too); the others go to `extra`.
const std::vector<std::string_view> modelled = {
    "build_commit", "cpu_info",       "gpu_info",   "backends", "model_filename", "model_type",
    "model_size",   "model_n_params", "test_time",  "avg_ns",   "stddev_ns",      "avg_ts",
    "stddev_ts",    "samples_ns",     "samples_ts", "use_mmap", "use_direct_io",  "f16_kv"};

bool is_modelled(std::string_view field) {
    return std::find(modelled.begin(), modelled.end(), field) != modelled.end() ||
           std::any_of(domain::parameters().begin(), domain::parameters().end(),
                       [&](const domain::Knob& k) { return k.field == field; });
}

// Fields read as they are into BenchTest's members.
const std::vector<std::pair<std::string_view, std::string BenchTest::*>> text_members = {
    {"build_commit", &BenchTest::build_commit},
    {"cpu_info", &BenchTest::cpu_info},
    {"gpu_info", &BenchTest::gpu_info},
    {"model_type", &BenchTest::model_type},
    {"test_time", &BenchTest::test_time}};
const std::vector<std::pair<std::string_view, int64_t BenchTest::*>> count_members = {
    {"model_size", &BenchTest::model_size}, {"model_n_params", &BenchTest::model_n_params}};

const std::vector<std::pair<std::string_view, std::string_view>> legacy_backends = {
    {"cuda", "CUDA"},   {"opencl", "OpenCL"}, {"vulkan", "Vulkan"}, {"kompute", "Kompute"},
    {"metal", "Metal"}, {"sycl", "SYCL"},     {"rpc", "RPC"},       {"blas", "BLAS"}};

[[noreturn]] void bad(std::string_view field, const nlohmann::json& value, std::string_view expected) {
    std::string shown = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (shown.size() > 40) shown = shown.substr(0, 37) + "...";
    throw FormatError(fmt::format("{}: {} is not {}", field, shown, expected));
}

int64_t to_integer(std::string_view field, const nlohmann::json& v) {
    if (v.is_number_unsigned()) {
        if (v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
            bad(field, v, "an integer in range");
        return static_cast<int64_t>(v.get<uint64_t>());
    }
    if (v.is_number_integer()) return v.get<int64_t>();
    if (v.is_string()) {
        const std::string& s = v.get_ref<const std::string&>();
        int64_t x = 0;
        const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), x);
        if (ec == std::errc::result_out_of_range) bad(field, v, "an integer in range");
        if (ec == std::errc() && end == s.data() + s.size()) return x;
    }
    bad(field, v, "an integer");
}

double to_real(std::string_view field, const nlohmann::json& v) {
    double x = 0;
    if (v.is_number()) {
        x = v.get<double>();
    } else if (v.is_string()) {
        const std::string& s = v.get_ref<const std::string&>();
        const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), x);
        if (ec != std::errc() || end != s.data() + s.size()) bad(field, v, "a number");
    } else {
        bad(field, v, "a number");
    }
    if (!std::isfinite(x)) bad(field, v, "a finite number");
    return x;
}

bool to_boolean(std::string_view field, const nlohmann::json& v) {
    if (v.is_boolean()) return v.get<bool>();
    if (v.is_number_integer() && (v.get<int64_t>() == 0 || v.get<int64_t>() == 1)) return v.get<int64_t>() == 1;
    if (v.is_string()) {
        const std::string& s = v.get_ref<const std::string&>();
        if (s == "1" || s == "true") return true;
        if (s == "0" || s == "false") return false;
    }
    bad(field, v, "a boolean (0 or 1)");
}

std::string to_text(std::string_view field, const nlohmann::json& v) {
    if (!v.is_string()) bad(field, v, "a string");
    return v.get<std::string>();
}

domain::LoadMode to_load_mode(std::string_view field, const nlohmann::json& v) {
    const std::string text = to_text(field, v);
    try {
        return domain::parse_load_mode(text);
    } catch (const UsageError&) {
        bad(field, v, "a load mode (auto, none, mmap, mlock, mmap+mlock, dio)");
    }
}

// -1 (auto), 0 (off), 1 (on); booleans in versions before flash attention had an auto mode.
std::string to_flash_attn(std::string_view field, const nlohmann::json& v) {
    if (v.is_boolean()) return v.get<bool>() ? "on" : "off";
    if (v.is_string() && (v == "true" || v == "false")) return v == "true" ? "on" : "off";
    const int64_t x = to_integer(field, v);
    if (x < -1 || x > 1) bad(field, v, "-1, 0 or 1");
    return x == 1 ? "on" : x == 0 ? "off" : "auto";
}

int64_t non_negative(std::string_view field, const nlohmann::json& v) {
    const int64_t x = to_integer(field, v);
    if (x < 0) bad(field, v, "zero or more");
    return x;
}

double non_negative_real(std::string_view field, const nlohmann::json& v) {
    const double x = to_real(field, v);
    if (x < 0) bad(field, v, "zero or more");
    return x;
}

// A field's value checked against its type, as JSON (booleans as 0 or 1, like llama-bench's SQL).
nlohmann::json typed(const Field& f, const nlohmann::json& v) {
    switch (f.type) {
    case text: return to_text(f.name, v);
    case integer: return to_integer(f.name, v);
    case boolean: return to_boolean(f.name, v) ? 1 : 0;
    case real: return to_real(f.name, v);
    case FieldType::flash_attn: return to_flash_attn(f.name, v);
    case list:
        if (!v.is_array()) bad(f.name, v, "a list");
        return v;
    }
    return v;
}

} // namespace

domain::Point BenchTest::legacy_point() {
    domain::Point point;
    point.load.n_gpu_layers = 99;
    point.load.load_mode = domain::LoadMode::mmap;
    point.context.flash_attn = "off";
    point.context.threads = 0;
    return point;
}

std::string BenchTest::metric() const {
    if (point.test.n_gen == 0) return "pp";
    if (point.test.n_prompt == 0) return "tg";
    return "pg";
}

BenchTest to_bench_test(const nlohmann::json& raw) {
    if (!raw.is_object()) throw FormatError("expected an object of llama-bench fields");
    for (const auto& item : raw.items()) {
        const std::string& key = item.key();
        if (std::none_of(fields.begin(), fields.end(), [&](const Field& f) { return f.name == key; }))
            throw FormatError(fmt::format("unknown field '{}': not one llama-bench writes", key));
    }
    for (std::string_view name : required)
        if (!raw.contains(name)) throw FormatError(fmt::format("the field '{}' is missing", name));

    auto get = [&](std::string_view name) -> std::optional<nlohmann::json> {
        const auto it = raw.find(name);
        if (it == raw.end()) return std::nullopt;
        return *it;
    };
    BenchTest t;
    domain::LoadParams& load = t.point.load;
    domain::ContextParams& context = t.point.context;
    domain::TestParams& test = t.point.test;
    for (const auto& [name, member] : text_members)
        if (auto v = get(name)) t.*member = to_text(name, *v);
    if (!raw.contains("type_k") && raw.contains("f16_kv"))
        context.type_k = context.type_v = to_boolean("f16_kv", raw["f16_kv"]) ? "f16" : "f32";
    if (t.build_commit.empty()) t.build_commit = "unknown";
    load.model = to_text("model_filename", raw["model_filename"]);
    if (load.model.empty()) throw FormatError("model_filename: empty");
    for (const auto& [name, member] : count_members)
        if (auto v = get(name)) t.*member = non_negative(name, *v);
    for (const domain::Knob& knob : domain::parameters()) {
        const auto v = knob.of_llama_bench() ? get(knob.field) : std::nullopt;
        if (!v || knob.name == "load_mode") continue; // below: older builds wrote use_mmap and use_direct_io
        std::string value;
        switch (knob.type()) {
        case domain::Knob::Type::integer: {
            const int64_t x = to_integer(knob.field, *v);
            if (x < knob.min || x > knob.max) bad(knob.field, *v, fmt::format("from {} to {}", knob.min, knob.max));
            value = std::to_string(x);
            break;
        }
        case domain::Knob::Type::boolean: // -nopo is written as a number, the others as booleans
            value = (v->is_number() ? to_integer(knob.field, *v) != 0 : to_boolean(knob.field, *v)) ? "1" : "0";
            break;
        case domain::Knob::Type::text:
            value = knob.name == "flash_attn" ? to_flash_attn(knob.field, *v) : to_text(knob.field, *v);
            break;
        case domain::Knob::Type::real: value = fmt::format("{}", to_real(knob.field, *v)); break;
        }
        knob.set(t.point, value);
    }
    if (test.n_prompt == 0 && test.n_gen == 0)
        throw FormatError("n_prompt and n_gen are both 0: not a test llama-bench runs");
    if (auto v = get("load_mode")) {
        load.load_mode = to_load_mode("load_mode", *v);
    } else {
        if (auto mmap = get("use_mmap"))
            load.load_mode = to_boolean("use_mmap", *mmap) ? domain::LoadMode::mmap : domain::LoadMode::none;
        if (auto dio = get("use_direct_io"); dio && to_boolean("use_direct_io", *dio))
            load.load_mode = domain::LoadMode::dio;
    }
    if (auto v = get("backends")) {
        t.backends = to_text("backends", *v);
    } else {
        for (const auto& [flag, backend] : legacy_backends)
            if (auto b = get(flag); b && to_boolean(flag, *b))
                t.backends += fmt::format("{}{}", t.backends.empty() ? "" : ",", backend);
        if (t.backends.empty()) t.backends = "CPU";
    }

    t.avg_ns = static_cast<double>(non_negative("avg_ns", raw["avg_ns"]));
    if (auto v = get("stddev_ns")) t.stddev_ns = static_cast<double>(non_negative("stddev_ns", *v));
    t.avg_ts = non_negative_real("avg_ts", raw["avg_ts"]);
    if (auto v = get("stddev_ts")) t.stddev_ts = non_negative_real("stddev_ts", *v);

    const auto ns = get("samples_ns"), ts = get("samples_ts");
    if (ns.has_value() != ts.has_value())
        throw FormatError(
            fmt::format("{} without {}", ns ? "samples_ns" : "samples_ts", ns ? "samples_ts" : "samples_ns"));
    if (ns) {
        if (!ns->is_array()) bad("samples_ns", *ns, "a list");
        if (!ts->is_array()) bad("samples_ts", *ts, "a list");
        if (ns->size() != ts->size())
            throw FormatError(fmt::format("samples_ns has {} values but samples_ts has {}", ns->size(), ts->size()));
        for (const auto& v : *ns) t.samples_ns.push_back(non_negative("samples_ns", v));
        for (const auto& v : *ts) t.samples_ts.push_back(non_negative_real("samples_ts", v));
    }
    // What physics allows, before anything is kept.
    const auto impossible = [](std::string_view field, const std::optional<std::string>& why) {
        if (why) throw FormatError(fmt::format("{}: {}", field, *why));
    };
    impossible("avg_ns", domain::implausible_ns(t.avg_ns));
    impossible("avg_ts", domain::implausible_ts(t.avg_ts));
    for (const int64_t ns_value : t.samples_ns)
        impossible("samples_ns", domain::implausible_ns(static_cast<double>(ns_value)));
    for (const double ts_value : t.samples_ts) impossible("samples_ts", domain::implausible_ts(ts_value));
    if (!t.samples_ts.empty()) {
        double sum = 0;
        for (const double ts_value : t.samples_ts) sum += ts_value;
        impossible("avg_ts", domain::contradicts_samples(t.avg_ts, sum / static_cast<double>(t.samples_ts.size())));
    }
    if (t.model_size > domain::max_model_bytes)
        throw FormatError(fmt::format("model_size: {} bytes is more than any disk holds", t.model_size));
    if (t.model_n_params > domain::max_model_params)
        throw FormatError(fmt::format("model_n_params: {} is more than any model has", t.model_n_params));

    for (const Field& f : fields) {
        if (is_modelled(f.name)) continue;
        if (auto v = get(f.name)) t.extra[std::string(f.name)] = typed(f, *v);
    }
    return t;
}

} // namespace llmsweep::llama_bench
