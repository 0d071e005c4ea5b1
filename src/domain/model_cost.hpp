#pragma once
// What a token costs a model: the bytes it reads and the floating-point operations it does, from the model's
// tensors (as the GGUF file lists them) and shape. The roofline compares these with what the machine can do:
// token generation at batch 1 reads every active weight once per token (memory bound); prompt processing
// reuses each weight over a batch (compute bound).

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace llmsweep::domain {

// One tensor of a model file: its name, elements, bytes, and its first two dimensions (a matrix is ne0 x ne1:
// ne0 inputs, ne1 outputs; a vector has ne1 1).
struct TensorInfo {
    std::string name;
    std::string type; // ggml's name of its type: q8_0, f16, ...
    int64_t ne0 = 0, ne1 = 1;
    int64_t elements = 0;
    uint64_t bytes = 0;
};

// The shape attention costs depend on.
struct AttentionShape {
    int64_t n_layer = 0, n_head = 0, n_head_kv = 0, head_dim_k = 0, head_dim_v = 0;
    int64_t n_expert = 0, n_expert_used = 0; // MoE: experts per layer, and used per token (0: dense)
};

// A model's costs per token that do not depend on the context.
struct ModelProfile {
    AttentionShape shape;
    // The weights read to generate one token: every tensor of the blocks (experts: the used share), the output
    // norm and matrix, and one row of the token embedding (all of it when it is the output matrix too).
    double weight_bytes_per_token = 0;
    // Parameters of the matrix multiplications one token goes through (experts: the used share; the token
    // embedding is a lookup, not a multiplication, unless it is the output matrix too).
    double matmul_params_per_token = 0;
    // Of them, the output matrix's (the token embedding's when tied): a prompt's tokens skip it, all but the
    // last of each batch (only that one's logits are asked for, as llama-bench does).
    double output_params = 0;
    uint64_t weight_bytes = 0; // every tensor's bytes: what the model occupies
    std::string weight_type;   // the type of most of the matrices' bytes (q8_0, q4_0, ...)
    bool tied_embeddings = false;
};

ModelProfile profile_of(const std::vector<TensorInfo>& tensors, const AttentionShape& shape);

nlohmann::json to_json(const ModelProfile& profile);
ModelProfile profile_from_json(const nlohmann::json& json);

// Bytes per element of a KV cache type (quantized types by their blocks: q8_0 is 34 bytes per 32); 0 for a type
// this table does not know.
double kv_bytes_per_element(std::string_view type);

// Bytes the KV cache holds per token of context: layers x KV heads x (K and V head sizes at their types).
double kv_bytes_per_token(const AttentionShape& shape, std::string_view type_k, std::string_view type_v);

// One token's reads and operations.
struct TokenCost {
    double bytes = 0;
    double flops = 0;
    double intensity() const { return bytes > 0 ? flops / bytes : 0; } // FLOP per byte
};

// A test's mean context per token: the tokens already in the cache, on average, when each of its tokens is
// computed. pp of n at depth d: d + (n - 1) / 2. tg of n after a context c: c + (n - 1) / 2 (the first token
// generated sees c).
double mean_context(int64_t before, int64_t tokens);

// Generating one token at a mean context: the weights, and the KV cache read up to it; operations: 2 per
// matrix parameter, and attention's 2 x heads x (head_dim_k + head_dim_v) per context token and layer.
TokenCost tg_cost(const ModelProfile& model, double context, std::string_view type_k, std::string_view type_v);
// Processing one prompt token in batches of `batch` tokens: the operations as for tg but the output matrix's, which
// only the batch's last token goes through; the weights read once per batch (shared by its tokens), and the KV
// cache once per batch too.
TokenCost pp_cost(const ModelProfile& model, double context, int64_t batch, std::string_view type_k,
                  std::string_view type_v);

// The shares of the roofs that llama.cpp's CPU kernels typically reach (docs/benchmarks.md: 44-60 % of the read
// bandwidth in token generation, 87-96 % of the matrix multiplication in prompt processing), for estimates made
// before anything is measured.
inline constexpr double typical_bandwidth_share = 0.5, typical_compute_share = 0.9;
// What a decoding step of several sequences at once (llama-server's slots) costs beyond one sequence's step, per
// added sequence, as a share of that step: the weights are read once for all, but on a CPU the step is mostly
// the per-token work (docs/benchmarks.md: 2 and 4 streams on 2 cores gave 1.04x and 1.29x one stream's tokens/s,
// 0.92 and 0.70 of a step each).
inline constexpr double typical_added_sequence_share = 0.8;

// Seconds to process `tokens` tokens at a cost each, at the typical shares of a machine's roofs (GB/s, GFLOP/s):
// whichever of the memory and the compute takes longer.
double seconds_at_roofs(double tokens, const TokenCost& cost, double read_gbs, double compute_gflops);

} // namespace llmsweep::domain
