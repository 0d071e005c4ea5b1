#include "engine/model_profile.hpp"

#include <ggml.h>
#include <gguf.h>

#include <fmt/format.h>

#include <filesystem>
#include <memory>

namespace llmsweep::engine {
namespace {

std::optional<int64_t> uint_key(const gguf_context* gguf, const std::string& key) {
    const int64_t id = gguf_find_key(gguf, key.c_str());
    if (id < 0) return std::nullopt;
    switch (gguf_get_kv_type(gguf, id)) {
    case GGUF_TYPE_UINT32: return gguf_get_val_u32(gguf, id);
    case GGUF_TYPE_INT32: return gguf_get_val_i32(gguf, id);
    case GGUF_TYPE_UINT64: return static_cast<int64_t>(gguf_get_val_u64(gguf, id));
    default: return std::nullopt; // per-layer arrays and other types: not read here
    }
}

} // namespace

std::optional<ModelTensors> read_model_tensors(const std::string& path) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) return std::nullopt;
    ggml_context* meta = nullptr;
    gguf_init_params params{true, &meta};
    std::unique_ptr<gguf_context, decltype(&gguf_free)> gguf(gguf_init_from_file(path.c_str(), params), gguf_free);
    std::unique_ptr<ggml_context, decltype(&ggml_free)> tensors_of(meta, ggml_free);
    if (!gguf || !meta) return std::nullopt;
    const int64_t arch_id = gguf_find_key(gguf.get(), "general.architecture");
    if (arch_id < 0 || gguf_get_kv_type(gguf.get(), arch_id) != GGUF_TYPE_STRING) return std::nullopt;
    const std::string arch = gguf_get_val_str(gguf.get(), arch_id);
    const auto key = [&](const char* name) { return uint_key(gguf.get(), fmt::format("{}.{}", arch, name)); };
    const auto layers = key("block_count"), heads = key("attention.head_count"), embd = key("embedding_length");
    if (!layers || !heads || !embd || *heads <= 0) return std::nullopt;

    ModelTensors model;
    domain::AttentionShape& s = model.shape;
    s.n_layer = *layers;
    s.n_head = *heads;
    s.n_head_kv = key("attention.head_count_kv").value_or(*heads);
    s.head_dim_k = key("attention.key_length").value_or(*embd / *heads);
    s.head_dim_v = key("attention.value_length").value_or(*embd / *heads);
    s.n_expert = key("expert_count").value_or(0);
    s.n_expert_used = key("expert_used_count").value_or(0);
    for (ggml_tensor* t = ggml_get_first_tensor(meta); t; t = ggml_get_next_tensor(meta, t))
        model.tensors.push_back(
            {ggml_get_name(t), ggml_type_name(t->type), t->ne[0], t->ne[1], ggml_nelements(t), ggml_nbytes(t)});
    return model;
}

std::optional<domain::ModelProfile> read_model_profile(const std::string& path) {
    const auto model = read_model_tensors(path);
    if (!model) return std::nullopt;
    return domain::profile_of(model->tensors, model->shape);
}

} // namespace llmsweep::engine
