#pragma once
// The shapes of the decoder-only transformers llmsweep can synthesize, and the tensors they consist of,
// named and laid out exactly as llama.cpp expects them in a GGUF file.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace llmsweep::synth {

struct ModelShape {
    std::string architecture; // GGUF general.architecture: "llama" or "qwen2"
    int64_t n_layer = 0;
    int64_t n_embd = 0;
    int64_t n_head = 0;
    int64_t n_head_kv = 0;
    int64_t n_ff = 0;
    int64_t n_vocab = 0;
    int64_t n_ctx_train = 0;
    float rope_freq_base = 10000.0f;
    float rms_norm_eps = 1e-6f;
    bool qkv_bias = false;       // q/k/v projections carry biases (qwen2)
    bool tied_embeddings = true; // the output projection reuses token_embd

    int64_t head_dim() const { return n_embd / n_head; }
    int64_t n_embd_kv() const { return head_dim() * n_head_kv; }
};

struct Preset {
    std::string_view name;
    std::string_view description;
    ModelShape shape;
};

const std::vector<Preset>& presets();
// Throws UsageError naming the known presets.
const Preset& find_preset(std::string_view name);

// Kinds of tensor, which decide how their random values are drawn and whether they may be quantized.
enum class TensorRole { embedding, matrix, norm, bias };

struct TensorSpec {
    std::string name;
    int64_t ne0 = 1; // row length (ggml's ne[0])
    int64_t ne1 = 1; // number of rows; 1 for vectors
    TensorRole role = TensorRole::matrix;

    int64_t n_elements() const { return ne0 * ne1; }
    bool is_vector() const { return ne1 == 1; }
};

// The tensors of a model of this shape, in file order.
std::vector<TensorSpec> tensor_list(const ModelShape& shape);

// The parameter count, from the architecture's closed-form formula.
int64_t parameter_count(const ModelShape& shape);

// Throws UsageError when the shape cannot form a working model, saying which value to change.
void validate(const ModelShape& shape);

} // namespace llmsweep::synth
