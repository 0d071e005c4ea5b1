#include "core/error.hpp"
#include "synth/architecture.hpp"
#include "synth/gguf_model_writer.hpp"

#include <ggml.h>
#include <gtest/gtest.h>

#include <map>

#include <numeric>
#include <set>

namespace llmsweep::synth {
namespace {

int64_t sum_of_tensors(const ModelShape& shape) {
    const auto tensors = tensor_list(shape);
    return std::accumulate(tensors.begin(), tensors.end(), int64_t{0},
                           [](int64_t sum, const TensorSpec& t) { return sum + t.n_elements(); });
}

TEST(Presets, Qwen25HasThePublishedShapeAndParameterCount) {
    const ModelShape& s = find_preset("qwen2.5-0.5b").shape;
    EXPECT_EQ(s.architecture, "qwen2");
    EXPECT_EQ(s.n_layer, 24);
    EXPECT_EQ(s.n_embd, 896);
    EXPECT_EQ(s.n_head, 14);
    EXPECT_EQ(s.n_head_kv, 2);
    EXPECT_EQ(s.n_ff, 4864);
    EXPECT_EQ(s.n_vocab, 151936);
    EXPECT_TRUE(s.qkv_bias);
    EXPECT_TRUE(s.tied_embeddings);
    EXPECT_FLOAT_EQ(s.rope_freq_base, 1e6f);
    // Qwen2.5-0.5B's published size: 494,032,768 parameters (0.49B).
    EXPECT_EQ(parameter_count(s), 494'032'768);
    EXPECT_EQ(sum_of_tensors(s), parameter_count(s));
    // token_embd, 12 per block (q/k/v with biases), output_norm; the output projection is tied.
    EXPECT_EQ(tensor_list(s).size(), 1u + 24u * 12u + 1u);
}

TEST(Presets, SmolLM2HasThePublishedShapeAndParameterCount) {
    const ModelShape& s = find_preset("smollm2-135m").shape;
    EXPECT_EQ(s.architecture, "llama");
    EXPECT_EQ(s.n_layer, 30);
    EXPECT_EQ(s.n_embd, 576);
    EXPECT_EQ(s.n_head, 9);
    EXPECT_EQ(s.n_head_kv, 3);
    EXPECT_EQ(s.n_ff, 1536);
    EXPECT_EQ(s.n_vocab, 49280);
    EXPECT_FALSE(s.qkv_bias);
    EXPECT_FLOAT_EQ(s.rope_freq_base, 1e5f);
    // SmolLM2-135M has 134,515,008 parameters with its 49,152-token vocabulary; SmolVLM2's decoder has 128 more
    // tokens of 576 values each.
    EXPECT_EQ(parameter_count(s), 134'515'008 + 128 * 576);
    EXPECT_EQ(sum_of_tensors(s), parameter_count(s));
    EXPECT_EQ(tensor_list(s).size(), 1u + 30u * 9u + 1u);
}

TEST(Presets, EveryPresetsTensorsMatchTheFormulaAndHaveUniqueNames) {
    for (const Preset& preset : presets()) {
        SCOPED_TRACE(std::string(preset.name));
        EXPECT_NO_THROW(validate(preset.shape));
        EXPECT_EQ(sum_of_tensors(preset.shape), parameter_count(preset.shape));
        std::set<std::string> names;
        for (const auto& t : tensor_list(preset.shape)) EXPECT_TRUE(names.insert(t.name).second) << t.name;
    }
}

TEST(Presets, UntiedEmbeddingsAddAnOutputProjection) {
    ModelShape s = find_preset("tiny").shape;
    const int64_t tied = parameter_count(s);
    s.tied_embeddings = false;
    EXPECT_EQ(parameter_count(s), tied + s.n_vocab * s.n_embd);
    EXPECT_EQ(tensor_list(s).back().name, "output.weight");
    EXPECT_EQ(sum_of_tensors(s), parameter_count(s));
}

TEST(Presets, GroupedQueryAttentionShapesKeyAndValueProjections) {
    const ModelShape& s = find_preset("qwen2.5-0.5b").shape;
    // name -> (ne0, ne1); every one of them must be in the list (a renamed tensor fails, not passes).
    const std::map<std::string, std::pair<int64_t, int64_t>> expected = {
        {"blk.0.attn_k.weight", {896, 128}}, // 2 KV heads of 64
        {"blk.0.attn_v.weight", {896, 128}},
        {"blk.0.ffn_down.weight", {4864, 896}}};
    size_t found = 0;
    for (const auto& t : tensor_list(s)) {
        const auto it = expected.find(t.name);
        if (it == expected.end()) continue;
        ++found;
        EXPECT_EQ(t.ne0, it->second.first) << t.name;
        EXPECT_EQ(t.ne1, it->second.second) << t.name;
    }
    EXPECT_EQ(found, expected.size());
}

TEST(Presets, UnknownPresetNamesTheKnownOnes) {
    try {
        find_preset("llama-7b");
        FAIL() << "expected UsageError";
    } catch (const UsageError& e) {
        EXPECT_NE(std::string(e.what()).find("llama-7b"), std::string::npos);
        EXPECT_NE(std::string(e.what()).find("qwen2.5-0.5b"), std::string::npos);
    }
}

TEST(Validate, RejectsShapesThatCannotWork) {
    ModelShape s = find_preset("tiny").shape;
    s.n_embd = 66; // not divisible by 4 heads
    EXPECT_THROW(validate(s), UsageError);
    s = find_preset("tiny").shape;
    s.n_head_kv = 3; // 4 heads not divisible by 3
    EXPECT_THROW(validate(s), UsageError);
    s = find_preset("tiny").shape;
    s.n_layer = 0;
    EXPECT_THROW(validate(s), UsageError);
    s = find_preset("tiny").shape;
    s.n_vocab = 100;
    EXPECT_THROW(validate(s), UsageError);
}

TEST(Validate, RejectsRowsTheQuantizationCannotHold) {
    SynthOptions options{
        .model_name = "t", .shape = find_preset("tiny").shape, .weight_type = &find_weight_type("q4_0"), .seed = 1};
    options.shape.n_ff = 100; // ffn_down rows of 100 values; q4_0 blocks hold 32
    EXPECT_THROW(validate(options), UsageError);
    options.weight_type = &find_weight_type("f16");
    EXPECT_NO_THROW(validate(options));
}

TEST(WeightTypes, KnownAndUnknown) {
    EXPECT_EQ(find_weight_type("q8_0").type, int{GGML_TYPE_Q8_0});
    EXPECT_EQ(find_weight_type("f16").type, int{GGML_TYPE_F16});
    EXPECT_THROW(find_weight_type("q5_k"), UsageError);
}

} // namespace
} // namespace llmsweep::synth
