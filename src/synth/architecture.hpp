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
    // Tokens a vision-language model's vocabulary has for its images, which llama.cpp's mtmd looks up by their
    // text: control tokens, and plain pieces.
    std::vector<std::string> image_tokens, image_pieces;

    int64_t head_dim() const { return n_embd / n_head; }
    int64_t n_embd_kv() const { return head_dim() * n_head_kv; }
};

// The vision tower and connector of a vision-language model, as llama.cpp's clip (tools/mtmd) loads them from
// an mmproj file: a SigLIP vision transformer over patch_size patches of an image_size image, then the
// connector's pixel shuffle (scale_factor^2 neighbouring patches become one token) and its projection to the
// decoder's embedding width.
struct VisionShape {
    std::string projector; // clip.projector_type: "idefics3"
    int64_t image_size = 0;
    int64_t patch_size = 0;
    int64_t n_embd = 0;
    int64_t n_head = 0;
    int64_t n_ff = 0;
    int64_t n_layer = 0;
    int64_t scale_factor = 1;
    int64_t projection_dim = 0;     // the decoder's n_embd
    int64_t preproc_image_size = 0; // the longest edge an image is resized to before it is sliced
    float layer_norm_eps = 1e-6f;

    int64_t patches() const { return (image_size / patch_size) * (image_size / patch_size); }
    int64_t tokens_per_image() const { return patches() / (scale_factor * scale_factor); }
};

struct Preset {
    std::string_view name;
    std::string_view description;
    ModelShape shape;
    std::optional<VisionShape> vision; // a vision-language model: its mmproj file too
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
    // Higher dimensions (a convolution's kernel: ne0 x ne1 x ne2 x ne3), and whether it stays f32 whatever the
    // weight type, as llama.cpp's converter keeps a vision tower's embeddings.
    int64_t ne2 = 1, ne3 = 1;
    bool keep_f32 = false;

    int64_t rows() const { return ne1 * ne2 * ne3; }
    int64_t n_elements() const { return ne0 * rows(); }
    bool is_vector() const { return rows() == 1; }
};

// The tensors of a model of this shape, in file order.
std::vector<TensorSpec> tensor_list(const ModelShape& shape);

// The tensors of an mmproj file of this vision shape, in file order, named as llama.cpp's converter names them.
std::vector<TensorSpec> vision_tensor_list(const VisionShape& shape);

// The parameter count, from the architecture's closed-form formula.
int64_t parameter_count(const ModelShape& shape);

// Throws UsageError when the shape cannot form a working model, saying which value to change.
void validate(const ModelShape& shape);

} // namespace llmsweep::synth
