#include "synth/gguf_model_writer.hpp"

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/interrupt.hpp"
#include "synth/vocabulary.hpp"

#include <gguf.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <sys/statvfs.h>
#include <unistd.h>

namespace llmsweep::synth {
namespace {

namespace fs = std::filesystem;

using GgufContext = std::unique_ptr<gguf_context, decltype(&gguf_free)>;
using GgmlContext = std::unique_ptr<ggml_context, decltype(&ggml_free)>;

// Rows are generated and quantized this many values at a time: 4 MiB of f32, whatever the tensor's size.
constexpr int64_t chunk_values = 1 << 20;

// Standard deviation of the random matrices, as in common initialisations of transformer weights; the values do
// not affect throughput, only that activations stay finite.
constexpr float weight_std = 0.02f;

// Vectors (norms, biases) stay f32 whatever the weight type, as llama.cpp's own quantizer leaves them.
ggml_type storage_type(const TensorSpec& tensor, ggml_type matrices) {
    return tensor.is_vector() || tensor.keep_f32 ? GGML_TYPE_F32 : matrices;
}

void set_metadata(gguf_context* ctx, const SynthOptions& options, const Vocabulary& vocab) {
    const ModelShape& s = options.shape;
    auto key = [&](std::string_view name) { return fmt::format("{}.{}", s.architecture, name); };
    auto u32 = [](int64_t value) { return static_cast<uint32_t>(value); };

    gguf_set_val_str(ctx, "general.architecture", s.architecture.c_str());
    gguf_set_val_str(ctx, "general.name", options.model_name.c_str());
    gguf_set_val_u32(ctx, "general.file_type", options.weight_type->file_type);
    gguf_set_val_u32(ctx, "general.quantization_version", GGML_QNT_VERSION);
    gguf_set_val_u32(ctx, key("context_length").c_str(), u32(s.n_ctx_train));
    gguf_set_val_u32(ctx, key("embedding_length").c_str(), u32(s.n_embd));
    gguf_set_val_u32(ctx, key("block_count").c_str(), u32(s.n_layer));
    gguf_set_val_u32(ctx, key("feed_forward_length").c_str(), u32(s.n_ff));
    gguf_set_val_u32(ctx, key("attention.head_count").c_str(), u32(s.n_head));
    gguf_set_val_u32(ctx, key("attention.head_count_kv").c_str(), u32(s.n_head_kv));
    gguf_set_val_f32(ctx, key("attention.layer_norm_rms_epsilon").c_str(), s.rms_norm_eps);
    gguf_set_val_f32(ctx, key("rope.freq_base").c_str(), s.rope_freq_base);
    gguf_set_val_u32(ctx, key("rope.dimension_count").c_str(), u32(s.head_dim()));
    gguf_set_val_u32(ctx, key("vocab_size").c_str(), u32(s.n_vocab));

    std::vector<const char*> token_ptrs;
    token_ptrs.reserve(vocab.tokens.size());
    for (const auto& token : vocab.tokens) token_ptrs.push_back(token.c_str());
    gguf_set_val_str(ctx, "tokenizer.ggml.model", "llama");
    gguf_set_arr_str(ctx, "tokenizer.ggml.tokens", token_ptrs.data(), token_ptrs.size());
    gguf_set_arr_data(ctx, "tokenizer.ggml.scores", GGUF_TYPE_FLOAT32, vocab.scores.data(), vocab.scores.size());
    gguf_set_arr_data(ctx, "tokenizer.ggml.token_type", GGUF_TYPE_INT32, vocab.token_types.data(),
                      vocab.token_types.size());
    gguf_set_val_u32(ctx, "tokenizer.ggml.bos_token_id", Vocabulary::bos_id);
    gguf_set_val_u32(ctx, "tokenizer.ggml.eos_token_id", Vocabulary::eos_id);
    gguf_set_val_u32(ctx, "tokenizer.ggml.unknown_token_id", Vocabulary::unknown_id);
    gguf_set_val_bool(ctx, "tokenizer.ggml.add_bos_token", true);

    // Provenance, so that a synthetic file is never mistaken for a trained one.
    gguf_set_val_bool(ctx, "llmsweep.synthetic", true);
    gguf_set_val_u64(ctx, "llmsweep.seed", options.seed);
}

// Fills `values` with the next random values of a tensor: matrices ~ U(-a, a) with sd weight_std, norms
// around 1, biases small.
class TensorValues {
public:
    TensorValues(uint64_t seed, size_t tensor_index, TensorRole role) {
        std::seed_seq seeds{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32),
                            static_cast<uint32_t>(tensor_index)};
        engine_.seed(seeds);
        // U(-a, a) has standard deviation a / sqrt(3).
        const float a = weight_std * std::sqrt(3.0f);
        offset_ = role == TensorRole::norm ? 1.0f : 0.0f;
        scale_ = role == TensorRole::norm ? 0.1f : a;
    }

    void fill(float* values, size_t n) {
        // Two 24-bit uniforms per 64-bit draw: exactly representable floats in [0, 1).
        constexpr float to_unit = 1.0f / 16777216.0f;
        size_t i = 0;
        for (; i + 1 < n; i += 2) {
            const uint64_t bits = engine_();
            values[i] = map(static_cast<float>(bits & 0xFFFFFF) * to_unit);
            values[i + 1] = map(static_cast<float>((bits >> 32) & 0xFFFFFF) * to_unit);
        }
        if (i < n) values[i] = map(static_cast<float>(engine_() & 0xFFFFFF) * to_unit);
    }

private:
    float map(float unit) const { return offset_ + scale_ * (2.0f * unit - 1.0f); }

    std::mt19937_64 engine_;
    float offset_ = 0.0f;
    float scale_ = 0.0f;
};

uint64_t padded(uint64_t bytes, uint64_t alignment) { return (bytes + alignment - 1) / alignment * alignment; }

void check_free_space(const fs::path& folder, uint64_t needed_bytes, const fs::path& target) {
    struct statvfs info {};
    if (statvfs(folder.c_str(), &info) != 0) return; // the open that follows reports the real problem
    const uint64_t available = static_cast<uint64_t>(info.f_bavail) * info.f_frsize;
    if (available < needed_bytes)
        throw Error(fmt::format("not enough space for '{}': it needs {:.1f} MiB and {:.1f} MiB are free; free some "
                                "space or write elsewhere",
                                target.string(), needed_bytes / 1048576.0, available / 1048576.0));
}

} // namespace

void validate(const SynthOptions& options) {
    validate(options.shape);
    const WeightType& wt = *options.weight_type;
    const int64_t block = ggml_blck_size(static_cast<ggml_type>(wt.type));
    for (const TensorSpec& tensor : tensor_list(options.shape)) {
        if (!tensor.is_vector() && tensor.ne0 % block != 0)
            throw UsageError(fmt::format("{} stores rows in blocks of {} values, but {} has rows of {}; choose "
                                         "--n-embd and --n-ff as multiples of {}, or --type f16",
                                         wt.name, block, tensor.name, tensor.ne0, block));
    }
}

namespace {

// Streams the tensors' random values after the metadata already in `gguf`, one chunk of rows at a time.
SynthResult write_gguf(gguf_context* gguf, const std::vector<TensorSpec>& tensors, ggml_type matrices, uint64_t seed,
                       const fs::path& path, const ProgressFn& progress) {
    // Tensor descriptions only (no_alloc): the data is streamed after the metadata.
    ggml_init_params params{
        .mem_size = ggml_tensor_overhead() * (tensors.size() + 1), .mem_buffer = nullptr, .no_alloc = true};
    GgmlContext meta(ggml_init(params), ggml_free);
    for (const TensorSpec& spec : tensors) {
        ggml_tensor* t =
            ggml_new_tensor_4d(meta.get(), storage_type(spec, matrices), spec.ne0, spec.ne1, spec.ne2, spec.ne3);
        ggml_set_name(t, spec.name.c_str());
        gguf_add_tensor(gguf, t);
    }

    const uint64_t alignment = gguf_get_alignment(gguf);
    const uint64_t meta_bytes = gguf_get_meta_size(gguf);
    uint64_t total_bytes = meta_bytes;
    for (const TensorSpec& spec : tensors)
        total_bytes += padded(ggml_row_size(storage_type(spec, matrices), spec.ne0) * spec.rows(), alignment);

    const fs::path folder = path.parent_path().empty() ? fs::path(".") : path.parent_path();
    check_free_space(folder, total_bytes, path);
    AtomicFile out(path);

    std::vector<uint8_t> meta_data(meta_bytes);
    gguf_get_meta_data(gguf, meta_data.data());
    out.write(meta_data.data(), meta_data.size());
    uint64_t written = meta_bytes;

    std::vector<float> values;
    std::vector<uint8_t> encoded;
    const std::vector<uint8_t> zeros(alignment, 0);
    for (size_t index = 0; index < tensors.size(); ++index) {
        const TensorSpec& spec = tensors[index];
        const ggml_type type = storage_type(spec, matrices);
        const size_t row_bytes = ggml_row_size(type, spec.ne0);
        const int64_t rows_per_chunk = std::max<int64_t>(1, chunk_values / spec.ne0);
        TensorValues generator(seed, index, spec.role);

        for (int64_t row = 0; row < spec.rows(); row += rows_per_chunk) {
            throw_if_interrupted();
            const int64_t rows = std::min(rows_per_chunk, spec.rows() - row);
            values.resize(static_cast<size_t>(rows * spec.ne0));
            generator.fill(values.data(), values.size());
            if (type == GGML_TYPE_F32) {
                out.write(values.data(), values.size() * sizeof(float));
            } else {
                encoded.resize(rows * row_bytes);
                ggml_quantize_chunk(type, values.data(), encoded.data(), 0, rows, spec.ne0, nullptr);
                out.write(encoded.data(), encoded.size());
            }
            written += rows * row_bytes;
            if (progress) progress(written, total_bytes);
        }
        const uint64_t tensor_bytes = row_bytes * spec.rows();
        const uint64_t padding = padded(tensor_bytes, alignment) - tensor_bytes;
        out.write(zeros.data(), padding);
        written += padding;
    }
    out.commit();
    if (progress) progress(written, total_bytes);

    int64_t n_params = 0;
    for (const TensorSpec& spec : tensors) n_params += spec.n_elements();
    return SynthResult{.file_bytes = written, .n_tensors = static_cast<int64_t>(tensors.size()), .n_params = n_params};
}

void set_vision_metadata(gguf_context* ctx, const MmprojOptions& options) {
    const VisionShape& v = options.shape;
    auto u32 = [](int64_t value) { return static_cast<uint32_t>(value); };
    gguf_set_val_str(ctx, "general.architecture", "clip");
    gguf_set_val_str(ctx, "general.name", options.model_name.c_str());
    gguf_set_val_u32(ctx, "general.file_type", 1); // mostly f16
    gguf_set_val_str(ctx, "clip.projector_type", v.projector.c_str());
    gguf_set_val_bool(ctx, "clip.has_vision_encoder", true);
    gguf_set_val_bool(ctx, "clip.use_gelu", true);
    gguf_set_val_u32(ctx, "clip.vision.image_size", u32(v.image_size));
    gguf_set_val_u32(ctx, "clip.vision.patch_size", u32(v.patch_size));
    gguf_set_val_u32(ctx, "clip.vision.embedding_length", u32(v.n_embd));
    gguf_set_val_u32(ctx, "clip.vision.feed_forward_length", u32(v.n_ff));
    gguf_set_val_u32(ctx, "clip.vision.block_count", u32(v.n_layer));
    gguf_set_val_u32(ctx, "clip.vision.attention.head_count", u32(v.n_head));
    gguf_set_val_f32(ctx, "clip.vision.attention.layer_norm_epsilon", v.layer_norm_eps);
    gguf_set_val_u32(ctx, "clip.vision.projection_dim", u32(v.projection_dim));
    gguf_set_val_u32(ctx, "clip.vision.projector.scale_factor", u32(v.scale_factor));
    gguf_set_val_u32(ctx, "clip.vision.preproc_image_size", u32(v.preproc_image_size));
    // SigLIP's normalisation: every colour to [-1, 1].
    const float half[3] = {0.5f, 0.5f, 0.5f};
    gguf_set_arr_data(ctx, "clip.vision.image_mean", GGUF_TYPE_FLOAT32, half, 3);
    gguf_set_arr_data(ctx, "clip.vision.image_std", GGUF_TYPE_FLOAT32, half, 3);
    gguf_set_val_bool(ctx, "llmsweep.synthetic", true);
    gguf_set_val_u64(ctx, "llmsweep.seed", options.seed);
}

} // namespace

SynthResult write_model(const SynthOptions& options, const fs::path& path, const ProgressFn& progress) {
    validate(options);
    GgufContext gguf(gguf_init_empty(), gguf_free);
    set_metadata(gguf.get(), options,
                 make_vocabulary(options.shape.n_vocab, options.shape.image_tokens, options.shape.image_pieces));
    return write_gguf(gguf.get(), tensor_list(options.shape), static_cast<ggml_type>(options.weight_type->type),
                      options.seed, path, progress);
}

SynthResult write_mmproj(const MmprojOptions& options, const fs::path& path, const ProgressFn& progress) {
    GgufContext gguf(gguf_init_empty(), gguf_free);
    set_vision_metadata(gguf.get(), options);
    return write_gguf(gguf.get(), vision_tensor_list(options.shape), GGML_TYPE_F16, options.seed, path, progress);
}

} // namespace llmsweep::synth
