#include "synth/architecture.hpp"

#include "core/error.hpp"

#include <fmt/format.h>

namespace llmsweep::synth {
namespace {

// SmolVLM's image markers (its tokenizer's added tokens): around each image, the overview's, and each slice's
// place in the grid of at most 6 x 6.
std::vector<std::string> smolvlm_image_tokens() {
    std::vector<std::string> tokens = {"<fake_token_around_image>", "<image>", "<end_of_utterance>", "<global-img>"};
    for (int row = 1; row <= 6; ++row)
        for (int col = 1; col <= 6; ++col) tokens.push_back(fmt::format("<row_{}_col_{}>", row, col));
    return tokens;
}

// SmolLM2-135M, SmolVLM2-256M's decoder.
ModelShape smollm2_135m() {
    return ModelShape{.architecture = "llama",
                      .n_layer = 30,
                      .n_embd = 576,
                      .n_head = 9,
                      .n_head_kv = 3,
                      .n_ff = 1536,
                      .n_vocab = 49280,
                      .n_ctx_train = 8192,
                      .rope_freq_base = 1e5f,
                      .rms_norm_eps = 1e-5f,
                      .qkv_bias = false,
                      .tied_embeddings = true};
}

// A few hundred KB llama for tests.
ModelShape tiny() {
    return ModelShape{.architecture = "llama",
                      .n_layer = 2,
                      .n_embd = 128,
                      .n_head = 4,
                      .n_head_kv = 2,
                      .n_ff = 256,
                      .n_vocab = 512,
                      .n_ctx_train = 2048,
                      .rope_freq_base = 1e4f,
                      .rms_norm_eps = 1e-5f,
                      .qkv_bias = false,
                      .tied_embeddings = true};
}

// A decoder whose vocabulary has SmolVLM's image markers, and the "\n\n" piece its preprocessing looks up.
ModelShape with_smolvlm_image_tokens(ModelShape shape) {
    shape.image_tokens = smolvlm_image_tokens();
    shape.image_pieces = {"\n\n"};
    return shape;
}

} // namespace

const std::vector<Preset>& presets() {
    // Shapes from the models' published configurations (config.json of each Hugging Face repository).
    static const std::vector<Preset> all = {
        {"qwen2.5-0.5b", "Qwen2.5-0.5B: qwen2, 24 layers, 494M parameters",
         ModelShape{.architecture = "qwen2",
                    .n_layer = 24,
                    .n_embd = 896,
                    .n_head = 14,
                    .n_head_kv = 2,
                    .n_ff = 4864,
                    .n_vocab = 151936,
                    .n_ctx_train = 32768,
                    .rope_freq_base = 1e6f,
                    .rms_norm_eps = 1e-6f,
                    .qkv_bias = true,
                    .tied_embeddings = true}},
        {"smollm2-135m", "SmolLM2-135M, the text decoder of SmolVLM2-256M: llama, 30 layers, 135M parameters",
         smollm2_135m()},
        // SmolVLM2-256M-Video-Instruct: SmolLM2-135M's decoder (above) and a SigLIP-B/16 vision tower at 512 px (12
        // layers, hidden 768, 12 heads, feed-forward 3072, layer norm eps 1e-6), whose idefics3 connector shuffles
        // 4 x 4 patches into one token (64 per 512 px image) and projects them to the decoder's 576; images are
        // resized to a longest edge of 4 x 512 and sliced into 512 px tiles (its processor's size and
        // max_image_size).
        {"smolvlm2-256m",
         "SmolVLM2-256M: SmolLM2-135M's decoder and its mmproj (SigLIP-B/16 at 512 px, 64 tokens "
         "per image)",
         with_smolvlm_image_tokens(smollm2_135m()),
         VisionShape{.projector = "idefics3",
                     .image_size = 512,
                     .patch_size = 16,
                     .n_embd = 768,
                     .n_head = 12,
                     .n_ff = 3072,
                     .n_layer = 12,
                     .scale_factor = 4,
                     .projection_dim = 576,
                     .preproc_image_size = 2048,
                     .layer_norm_eps = 1e-6f}},
        {"tiny", "a few hundred KB llama for tests: 2 layers, n_embd 128, head size 32", tiny()},
        // The same, with a vision tower a thousandth the size of SmolVLM2's in the same architecture: 64 px tiles of
        // 16 patches, 4 tokens each, images resized to a longest edge of 128 (a 2 x 2 grid and an overview).
        {"tiny-vlm",
         "tiny with an mmproj of the same architecture as smolvlm2-256m's, for tests: 4 tokens per 64 px tile",
         with_smolvlm_image_tokens(tiny()),
         VisionShape{.projector = "idefics3",
                     .image_size = 64,
                     .patch_size = 16,
                     .n_embd = 64,
                     .n_head = 2,
                     .n_ff = 128,
                     .n_layer = 2,
                     .scale_factor = 2,
                     .projection_dim = 128,
                     .preproc_image_size = 128,
                     .layer_norm_eps = 1e-6f}},
    };
    return all;
}

const Preset& find_preset(std::string_view name) {
    std::string known;
    for (const auto& preset : presets()) {
        if (preset.name == name) return preset;
        known += known.empty() ? "" : ", ";
        known += preset.name;
    }
    throw UsageError(fmt::format("unknown preset '{}'; choose one of: {}", name, known));
}

std::vector<TensorSpec> tensor_list(const ModelShape& s) {
    std::vector<TensorSpec> tensors;
    tensors.push_back({"token_embd.weight", s.n_embd, s.n_vocab, TensorRole::embedding});
    for (int64_t i = 0; i < s.n_layer; ++i) {
        auto blk = [i](std::string_view rest) { return fmt::format("blk.{}.{}", i, rest); };
        tensors.push_back({blk("attn_norm.weight"), s.n_embd, 1, TensorRole::norm});
        tensors.push_back({blk("attn_q.weight"), s.n_embd, s.n_embd, TensorRole::matrix});
        tensors.push_back({blk("attn_k.weight"), s.n_embd, s.n_embd_kv(), TensorRole::matrix});
        tensors.push_back({blk("attn_v.weight"), s.n_embd, s.n_embd_kv(), TensorRole::matrix});
        if (s.qkv_bias) {
            tensors.push_back({blk("attn_q.bias"), s.n_embd, 1, TensorRole::bias});
            tensors.push_back({blk("attn_k.bias"), s.n_embd_kv(), 1, TensorRole::bias});
            tensors.push_back({blk("attn_v.bias"), s.n_embd_kv(), 1, TensorRole::bias});
        }
        tensors.push_back({blk("attn_output.weight"), s.n_embd, s.n_embd, TensorRole::matrix});
        tensors.push_back({blk("ffn_norm.weight"), s.n_embd, 1, TensorRole::norm});
        tensors.push_back({blk("ffn_gate.weight"), s.n_embd, s.n_ff, TensorRole::matrix});
        tensors.push_back({blk("ffn_down.weight"), s.n_ff, s.n_embd, TensorRole::matrix});
        tensors.push_back({blk("ffn_up.weight"), s.n_embd, s.n_ff, TensorRole::matrix});
    }
    tensors.push_back({"output_norm.weight", s.n_embd, 1, TensorRole::norm});
    if (!s.tied_embeddings) tensors.push_back({"output.weight", s.n_embd, s.n_vocab, TensorRole::matrix});
    return tensors;
}

std::vector<TensorSpec> vision_tensor_list(const VisionShape& v) {
    const int64_t e = v.n_embd;
    std::vector<TensorSpec> tensors;
    // The patch embedding is a convolution of patch_size x patch_size over 3 colours into e channels.
    tensors.push_back({.name = "v.patch_embd.weight",
                       .ne0 = v.patch_size,
                       .ne1 = v.patch_size,
                       .role = TensorRole::matrix,
                       .ne2 = 3,
                       .ne3 = e,
                       .keep_f32 = true});
    tensors.push_back({"v.patch_embd.bias", e, 1, TensorRole::bias});
    tensors.push_back({.name = "v.position_embd.weight",
                       .ne0 = e,
                       .ne1 = v.patches(),
                       .role = TensorRole::embedding,
                       .keep_f32 = true});
    for (int64_t i = 0; i < v.n_layer; ++i) {
        auto blk = [i](std::string_view rest) { return fmt::format("v.blk.{}.{}", i, rest); };
        for (const char* projection : {"attn_q", "attn_k", "attn_v"}) {
            tensors.push_back({blk(fmt::format("{}.weight", projection)), e, e, TensorRole::matrix});
            tensors.push_back({blk(fmt::format("{}.bias", projection)), e, 1, TensorRole::bias});
        }
        tensors.push_back({blk("attn_out.weight"), e, e, TensorRole::matrix});
        tensors.push_back({blk("attn_out.bias"), e, 1, TensorRole::bias});
        tensors.push_back({blk("ln1.weight"), e, 1, TensorRole::norm});
        tensors.push_back({blk("ln1.bias"), e, 1, TensorRole::bias});
        tensors.push_back({blk("ffn_up.weight"), e, v.n_ff, TensorRole::matrix});
        tensors.push_back({blk("ffn_up.bias"), v.n_ff, 1, TensorRole::bias});
        tensors.push_back({blk("ffn_down.weight"), v.n_ff, e, TensorRole::matrix});
        tensors.push_back({blk("ffn_down.bias"), e, 1, TensorRole::bias});
        tensors.push_back({blk("ln2.weight"), e, 1, TensorRole::norm});
        tensors.push_back({blk("ln2.bias"), e, 1, TensorRole::bias});
    }
    tensors.push_back({"v.post_ln.weight", e, 1, TensorRole::norm});
    tensors.push_back({"v.post_ln.bias", e, 1, TensorRole::bias});
    // The connector: the shuffled patches (scale_factor^2 of them side by side) projected to the decoder's width.
    tensors.push_back(
        {"mm.model.fc.weight", e * v.scale_factor * v.scale_factor, v.projection_dim, TensorRole::matrix});
    return tensors;
}

int64_t parameter_count(const ModelShape& s) {
    const int64_t e = s.n_embd, kv = s.n_embd_kv();
    const int64_t attention = e * e + 2 * e * kv + e * e + (s.qkv_bias ? e + 2 * kv : 0);
    const int64_t feed_forward = 3 * e * s.n_ff;
    const int64_t norms = 2 * e;
    const int64_t embeddings = s.n_vocab * e * (s.tied_embeddings ? 1 : 2);
    return embeddings + s.n_layer * (attention + feed_forward + norms) + e;
}

void validate(const ModelShape& s) {
    auto require_positive = [](int64_t value, std::string_view name) {
        if (value <= 0) throw UsageError(fmt::format("{} must be positive, got {}", name, value));
    };
    require_positive(s.n_layer, "--layers");
    require_positive(s.n_embd, "--n-embd");
    require_positive(s.n_head, "--heads");
    require_positive(s.n_head_kv, "--kv-heads");
    require_positive(s.n_ff, "--n-ff");
    if (s.n_embd % s.n_head != 0)
        throw UsageError(fmt::format("n_embd {} is not divisible by the {} attention heads; choose --n-embd as a "
                                     "multiple of --heads",
                                     s.n_embd, s.n_head));
    if (s.n_head % s.n_head_kv != 0)
        throw UsageError(fmt::format("{} attention heads are not divisible by {} KV heads; choose --kv-heads as a "
                                     "divisor of --heads",
                                     s.n_head, s.n_head_kv));
    if (s.head_dim() % 2 != 0)
        throw UsageError(fmt::format("the head dimension n_embd/heads = {} is odd, and rotary embeddings need it "
                                     "even; change --n-embd or --heads",
                                     s.head_dim()));
    // The vocabulary holds <unk>, <s>, </s> and the 256 byte tokens before any word piece.
    if (s.n_vocab < 260)
        throw UsageError(fmt::format("vocab {} is too small; --vocab must be at least 260 (3 special tokens, 256 "
                                     "byte tokens and one word)",
                                     s.n_vocab));
}

} // namespace llmsweep::synth
