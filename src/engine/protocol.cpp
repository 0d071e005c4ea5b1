#include "engine/protocol.hpp"

#include "domain/knobs.hpp"

namespace llmsweep::engine {
namespace {

template <typename T>
void put(nlohmann::json& json, const char* key, const std::optional<T>& value) {
    if (value) json[key] = *value;
}

template <typename T>
std::optional<T> get(const nlohmann::json& json, const char* key) {
    if (!json.contains(key) || json.at(key).is_null()) return std::nullopt;
    return json.at(key).get<T>();
}

// A knob's JSON value as the text Knob::set reads.
std::string text_of(const nlohmann::json& value) {
    if (value.is_boolean()) return value.get<bool>() ? "1" : "0";
    if (value.is_number_integer()) return std::to_string(value.get<int64_t>());
    return value.get<std::string>();
}

// A test's sizes and its other settings.
nlohmann::json test_json(const domain::TestParams& t) {
    nlohmann::json json = nlohmann::json::object();
    const domain::Point point{.test = t};
    for (const domain::Knob& knob : domain::parameters())
        if (knob.of_test()) json[std::string(knob.name)] = knob.json(point);
    return json;
}

domain::TestParams test_from_json(const nlohmann::json& j) {
    domain::Point point;
    for (const domain::Knob& knob : domain::parameters())
        if (knob.of_test()) knob.set(point, text_of(j.at(std::string(knob.name))));
    return point.test;
}

nlohmann::json context_json(const domain::ContextParams& c) {
    nlohmann::json json = nlohmann::json::object();
    const domain::Point point{.context = c};
    for (const domain::Knob& knob : domain::knobs())
        if (knob.of_context()) json[std::string(knob.name)] = knob.json(point);
    return json;
}

} // namespace

nlohmann::json load_request_json(const LoadRequest& r) {
    const domain::LoadParams& p = r.params;
    nlohmann::json json = {{"op", "load"}, {"model", p.model}, {"numa", r.numa}, {"rpc", r.rpc}};
    const domain::Point point{.load = p};
    for (const domain::Knob& knob : domain::knobs())
        if (knob.of_load()) json[std::string(knob.name)] = knob.json(point);
    return json;
}

LoadRequest load_request_from_json(const nlohmann::json& j) {
    LoadRequest r;
    domain::Point point;
    point.load.model = j.at("model").get<std::string>();
    for (const domain::Knob& knob : domain::knobs())
        if (knob.of_load()) knob.set(point, text_of(j.at(std::string(knob.name))));
    r.params = std::move(point.load);
    r.numa = j.value("numa", "disabled");
    r.rpc = j.value("rpc", "");
    return r;
}

nlohmann::json run_request_json(const RunRequest& r) {
    const auto& c = r.context;
    return {{"op", "run"},
            {"context", context_json(c)},
            {"prio", r.prio},
            {"test", test_json(r.test)},
            {"mode", domain::name(r.mode)},
            {"repetition", r.repetition},
            {"warmup", r.warmup},
            {"seed", r.seed},
            {"shared_n_ctx", r.shared_n_ctx ? nlohmann::json(*r.shared_n_ctx) : nlohmann::json()},
            {"shared_warmup", r.shared_warmup ? test_json(*r.shared_warmup) : nlohmann::json()}};
}

RunRequest run_request_from_json(const nlohmann::json& j) {
    const auto& c = j.at("context");
    RunRequest r;
    domain::Point point;
    for (const domain::Knob& knob : domain::knobs())
        if (knob.of_context()) knob.set(point, text_of(c.at(std::string(knob.name))));
    r.context = std::move(point.context);
    r.prio = j.at("prio").get<int>();
    r.test = test_from_json(j.at("test"));
    r.mode = domain::parse_mode(j.at("mode").get<std::string>());
    r.repetition = j.at("repetition").get<int64_t>();
    r.warmup = j.at("warmup").get<int64_t>();
    r.seed = j.at("seed").get<uint64_t>();
    if (const auto n_ctx = j.find("shared_n_ctx"); n_ctx != j.end() && !n_ctx->is_null())
        r.shared_n_ctx = n_ctx->get<int64_t>();
    if (const auto w = j.find("shared_warmup"); w != j.end() && !w->is_null()) r.shared_warmup = test_from_json(*w);
    return r;
}

nlohmann::json to_json(const LoadOutcome& o) {
    nlohmann::json j = {{"load_ms", o.load_ms},
                        {"file_bytes", o.file_bytes},
                        {"resident_before_bytes", o.resident_before_bytes},
                        {"rss_after_load_bytes", o.rss_after_load_bytes},
                        {"major_faults", o.major_faults},
                        {"minor_faults", o.minor_faults},
                        {"model_type", o.model_type},
                        {"model_size", o.model_size},
                        {"model_n_params", o.model_n_params}};
    put(j, "cache_evicted", o.cache_evicted);
    if (o.mapping) j["mapping"] = to_json(*o.mapping);
    j["thp_mode"] = o.thp_mode;
    j["model_buffers_mib"] = o.model_buffers_mib;
    j["effective_load_mode"] = o.effective_load_mode;
    j["n_layer"] = o.n_layer;
    return j;
}

nlohmann::json to_json(const MappingState& m) {
    nlohmann::json j = {
        {"rss_kb", m.rss_kb}, {"anon_kb", m.anon_kb}, {"anon_huge_kb", m.anon_huge_kb}, {"file_pmd_kb", m.file_pmd_kb}};
    put(j, "peak_anon_kb", m.peak_anon_kb);
    put(j, "peak_file_kb", m.peak_file_kb);
    return j;
}

MappingState mapping_state_from_json(const nlohmann::json& j) {
    MappingState m{j.at("rss_kb").get<int64_t>(), j.at("anon_kb").get<int64_t>(), j.at("anon_huge_kb").get<int64_t>(),
                   j.at("file_pmd_kb").get<int64_t>()};
    m.peak_anon_kb = get<int64_t>(j, "peak_anon_kb");
    m.peak_file_kb = get<int64_t>(j, "peak_file_kb");
    return m;
}

LoadOutcome load_outcome_from_json(const nlohmann::json& j) {
    LoadOutcome o;
    o.load_ms = j.at("load_ms").get<double>();
    o.file_bytes = j.at("file_bytes").get<uint64_t>();
    o.resident_before_bytes = j.at("resident_before_bytes").get<uint64_t>();
    o.rss_after_load_bytes = j.at("rss_after_load_bytes").get<uint64_t>();
    o.major_faults = j.at("major_faults").get<int64_t>();
    o.minor_faults = j.at("minor_faults").get<int64_t>();
    o.model_type = j.at("model_type").get<std::string>();
    o.model_size = j.at("model_size").get<uint64_t>();
    o.model_n_params = j.at("model_n_params").get<uint64_t>();
    o.cache_evicted = get<bool>(j, "cache_evicted");
    if (j.contains("mapping")) o.mapping = mapping_state_from_json(j.at("mapping"));
    o.thp_mode = j.value("thp_mode", "");
    o.effective_load_mode = j.value("effective_load_mode", "");
    o.n_layer = j.value("n_layer", int64_t{0});
    if (j.contains("model_buffers_mib"))
        o.model_buffers_mib = j.at("model_buffers_mib").get<std::vector<std::pair<std::string, double>>>();
    return o;
}

nlohmann::json to_json(const Measurement& m) {
    nlohmann::json j = nlohmann::json::object();
    put(j, "pp_ns", m.pp_ns);
    put(j, "tg_ns", m.tg_ns);
    put(j, "pg_ns", m.pg_ns);
    put(j, "ttft_ms", m.ttft_ms);
    put(j, "itl_p50_ms", m.itl_p50_ms);
    put(j, "itl_p90_ms", m.itl_p90_ms);
    put(j, "itl_p99_ms", m.itl_p99_ms);
    put(j, "image_encode_ns", m.image_encode_ns);
    put(j, "image_prefill_ns", m.image_prefill_ns);
    put(j, "image_tokens", m.image_tokens);
    put(j, "image_slices", m.image_slices);
    put(j, "mmproj_load_ms", m.mmproj_load_ms);
    put(j, "mmproj_rss_bytes", m.mmproj_rss_bytes);
    put(j, "first_image_ms", m.first_image_ms);
    put(j, "first_image_tokens", m.first_image_tokens);
    return j;
}

Measurement measurement_from_json(const nlohmann::json& j) {
    return {.pp_ns = get<int64_t>(j, "pp_ns"),
            .tg_ns = get<int64_t>(j, "tg_ns"),
            .pg_ns = get<int64_t>(j, "pg_ns"),
            .ttft_ms = get<double>(j, "ttft_ms"),
            .itl_p50_ms = get<double>(j, "itl_p50_ms"),
            .itl_p90_ms = get<double>(j, "itl_p90_ms"),
            .itl_p99_ms = get<double>(j, "itl_p99_ms"),
            .image_encode_ns = get<int64_t>(j, "image_encode_ns"),
            .image_prefill_ns = get<int64_t>(j, "image_prefill_ns"),
            .image_tokens = get<int64_t>(j, "image_tokens"),
            .image_slices = get<int64_t>(j, "image_slices"),
            .mmproj_load_ms = get<double>(j, "mmproj_load_ms"),
            .first_image_ms = get<double>(j, "first_image_ms"),
            .mmproj_rss_bytes = get<int64_t>(j, "mmproj_rss_bytes"),
            .first_image_tokens = get<int64_t>(j, "first_image_tokens")};
}

} // namespace llmsweep::engine
