#include "domain/model_cost.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <utility>

namespace llmsweep::domain {
namespace {

bool has(const std::string& name, std::string_view part) { return name.find(part) != std::string::npos; }

} // namespace

ModelProfile profile_of(const std::vector<TensorInfo>& tensors, const AttentionShape& shape) {
    ModelProfile p;
    p.shape = shape;
    p.tied_embeddings =
        std::none_of(tensors.begin(), tensors.end(), [](const TensorInfo& t) { return t.name == "output.weight"; });
    const double used_experts = shape.n_expert > 0 && shape.n_expert_used > 0
                                    ? static_cast<double>(shape.n_expert_used) / static_cast<double>(shape.n_expert)
                                    : 1.0;
    std::vector<std::pair<std::string, uint64_t>> matrix_bytes; // per type
    for (const TensorInfo& t : tensors) {
        p.weight_bytes += t.bytes;
        if (t.ne1 > 1) {
            auto it = std::find_if(matrix_bytes.begin(), matrix_bytes.end(),
                                   [&](const auto& e) { return e.first == t.type; });
            if (it == matrix_bytes.end()) matrix_bytes.emplace_back(t.type, t.bytes);
            else it->second += t.bytes;
        }
        const auto bytes = static_cast<double>(t.bytes), elements = static_cast<double>(t.elements);
        const bool matrix = t.ne1 > 1;
        if (t.name == "token_embd.weight") {
            if (p.tied_embeddings) {
                // The output matrix too: read whole, and multiplied, for every token.
                p.weight_bytes_per_token += bytes;
                p.matmul_params_per_token += elements;
                p.output_params = elements;
            } else {
                p.weight_bytes_per_token += bytes / static_cast<double>(std::max<int64_t>(t.ne1, 1)); // one row
            }
            continue;
        }
        // A token goes through the used share of a layer's experts (ffn_up_exps, ...), all of the rest.
        const double share = has(t.name, "_exps") ? used_experts : 1.0;
        if (t.name == "output.weight") p.output_params = elements;
        p.weight_bytes_per_token += bytes * share;
        if (matrix) p.matmul_params_per_token += elements * share;
    }
    const auto most = std::max_element(matrix_bytes.begin(), matrix_bytes.end(),
                                       [](const auto& a, const auto& b) { return a.second < b.second; });
    if (most != matrix_bytes.end()) p.weight_type = most->first;
    return p;
}

nlohmann::json to_json(const ModelProfile& p) {
    const AttentionShape& s = p.shape;
    return {{"n_layer", s.n_layer},
            {"n_head", s.n_head},
            {"n_head_kv", s.n_head_kv},
            {"head_dim_k", s.head_dim_k},
            {"head_dim_v", s.head_dim_v},
            {"n_expert", s.n_expert},
            {"n_expert_used", s.n_expert_used},
            {"weight_bytes_per_token", p.weight_bytes_per_token},
            {"matmul_params_per_token", p.matmul_params_per_token},
            {"output_params", p.output_params},
            {"weight_bytes", p.weight_bytes},
            {"weight_type", p.weight_type},
            {"tied_embeddings", p.tied_embeddings}};
}

ModelProfile profile_from_json(const nlohmann::json& j) {
    ModelProfile p;
    p.shape = {j.at("n_layer").get<int64_t>(),      j.at("n_head").get<int64_t>(),     j.at("n_head_kv").get<int64_t>(),
               j.at("head_dim_k").get<int64_t>(),   j.at("head_dim_v").get<int64_t>(), j.at("n_expert").get<int64_t>(),
               j.at("n_expert_used").get<int64_t>()};
    p.weight_bytes_per_token = j.at("weight_bytes_per_token").get<double>();
    p.matmul_params_per_token = j.at("matmul_params_per_token").get<double>();
    p.output_params = j.value("output_params", 0.0);
    p.weight_bytes = j.at("weight_bytes").get<uint64_t>();
    p.weight_type = j.value("weight_type", "");
    p.tied_embeddings = j.at("tied_embeddings").get<bool>();
    return p;
}

double kv_bytes_per_element(std::string_view type) {
    // ggml's block layouts: (bytes per block, elements per block).
    constexpr std::array<std::pair<std::string_view, std::pair<double, double>>, 9> sizes{{{"f32", {4, 1}},
                                                                                           {"f16", {2, 1}},
                                                                                           {"bf16", {2, 1}},
                                                                                           {"q8_0", {34, 32}},
                                                                                           {"q4_0", {18, 32}},
                                                                                           {"q4_1", {20, 32}},
                                                                                           {"iq4_nl", {18, 32}},
                                                                                           {"q5_0", {22, 32}},
                                                                                           {"q5_1", {24, 32}}}};
    for (const auto& [name, size] : sizes)
        if (name == type) return size.first / size.second;
    return 0;
}

double kv_bytes_per_token(const AttentionShape& s, std::string_view type_k, std::string_view type_v) {
    return static_cast<double>(s.n_layer * s.n_head_kv) *
           (static_cast<double>(s.head_dim_k) * kv_bytes_per_element(type_k) +
            static_cast<double>(s.head_dim_v) * kv_bytes_per_element(type_v));
}

double mean_context(int64_t before, int64_t tokens) {
    return static_cast<double>(before) + static_cast<double>(std::max<int64_t>(tokens, 1) - 1) / 2.0;
}

namespace {

// Operations of one token attending `attended` tokens (itself included), and of its matrix products.
double token_flops(const ModelProfile& m, double attended) {
    const AttentionShape& s = m.shape;
    return 2.0 * m.matmul_params_per_token +
           2.0 * static_cast<double>(s.n_layer * s.n_head * (s.head_dim_k + s.head_dim_v)) * attended;
}

} // namespace

TokenCost tg_cost(const ModelProfile& m, double context, std::string_view type_k, std::string_view type_v) {
    const double attended = context + 1;
    return {m.weight_bytes_per_token + kv_bytes_per_token(m.shape, type_k, type_v) * attended,
            token_flops(m, attended)};
}

TokenCost pp_cost(const ModelProfile& m, double context, int64_t batch, std::string_view type_k,
                  std::string_view type_v) {
    const double attended = context + 1, tokens = static_cast<double>(std::max<int64_t>(batch, 1));
    return {(m.weight_bytes_per_token + kv_bytes_per_token(m.shape, type_k, type_v) * attended) / tokens,
            token_flops(m, attended) - 2.0 * m.output_params * (1.0 - 1.0 / tokens)};
}

double seconds_at_roofs(double tokens, const TokenCost& cost, double read_gbs, double compute_gflops) {
    const double memory = read_gbs > 0 ? cost.bytes / (read_gbs * 1e9 * typical_bandwidth_share) : 0;
    const double compute = compute_gflops > 0 ? cost.flops / (compute_gflops * 1e9 * typical_compute_share) : 0;
    return tokens * std::max(memory, compute);
}

} // namespace llmsweep::domain
