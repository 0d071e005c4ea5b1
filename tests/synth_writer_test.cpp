#include "core/error.hpp"
#include "engine/model_check.hpp"
#include "synth/gguf_model_writer.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <gguf.h>

namespace llmsweep::synth {
namespace {

using test::TempDir;
namespace fs = std::filesystem;

SynthOptions tiny(std::string_view type = "q8_0", uint64_t seed = 7) {
    return SynthOptions{
        .model_name = "tiny", .shape = find_preset("tiny").shape, .weight_type = &find_weight_type(type), .seed = seed};
}

using test::entries_in;

class WrittenModel : public ::testing::TestWithParam<std::string> {};

TEST_P(WrittenModel, LoadsInLlamaCppAndDecodesToFiniteLogits) {
    TempDir dir;
    const fs::path path = dir / "tiny.gguf";
    const SynthOptions options = tiny(GetParam());
    const SynthResult written = write_model(options, path);
    EXPECT_EQ(fs::file_size(path), written.file_bytes);
    EXPECT_EQ(entries_in(dir.path()), 1u) << "no temporary file may remain";

    const engine::CheckReport report = engine::check_model({.model_path = path.string(), .n_tokens = 16});
    EXPECT_EQ(report.n_params, static_cast<uint64_t>(parameter_count(options.shape)));
    EXPECT_EQ(report.n_vocab, options.shape.n_vocab);
    EXPECT_EQ(report.n_layer, options.shape.n_layer);
    EXPECT_EQ(report.description.rfind("llama ", 0), 0u) << report.description;
    EXPECT_EQ(report.n_tokens, 16);
    EXPECT_TRUE(report.logits_finite);
}

INSTANTIATE_TEST_SUITE_P(EveryWeightType, WrittenModel, ::testing::Values("f32", "f16", "q8_0", "q4_0"));

TEST(WriteModel, MetadataDescribesTheShape) {
    TempDir dir;
    const fs::path path = dir / "tiny.gguf";
    const SynthOptions options = tiny("f16");
    write_model(options, path);
    gguf_init_params params{.no_alloc = true, .ctx = nullptr};
    gguf_context* ctx = gguf_init_from_file(path.c_str(), params);
    ASSERT_NE(ctx, nullptr);
    EXPECT_STREQ(gguf_get_val_str(ctx, gguf_find_key(ctx, "general.architecture")), "llama");
    EXPECT_EQ(gguf_get_val_u32(ctx, gguf_find_key(ctx, "llama.block_count")), options.shape.n_layer);
    EXPECT_EQ(gguf_get_val_u32(ctx, gguf_find_key(ctx, "general.file_type")), 1u);
    EXPECT_EQ(gguf_get_arr_n(ctx, gguf_find_key(ctx, "tokenizer.ggml.tokens")),
              static_cast<size_t>(options.shape.n_vocab));
    EXPECT_EQ(gguf_get_n_tensors(ctx), static_cast<int64_t>(tensor_list(options.shape).size()));
    // Norms stay f32 even when matrices are f16.
    EXPECT_EQ(gguf_get_tensor_type(ctx, gguf_find_tensor(ctx, "blk.0.attn_norm.weight")), GGML_TYPE_F32);
    EXPECT_EQ(gguf_get_tensor_type(ctx, gguf_find_tensor(ctx, "blk.0.attn_q.weight")), GGML_TYPE_F16);
    gguf_free(ctx);
}

TEST(WriteModel, Qwen2ShapeWithBiasesLoads) {
    // The qwen2 architecture at a small size: exercises the q/k/v bias tensors llama.cpp expects.
    TempDir dir;
    SynthOptions options = tiny("q8_0");
    options.shape.architecture = "qwen2";
    options.shape.qkv_bias = true;
    const fs::path path = dir / "qwen2.gguf";
    write_model(options, path);
    const auto report = engine::check_model({.model_path = path.string(), .n_tokens = 8});
    EXPECT_EQ(report.description.rfind("qwen2 ", 0), 0u) << report.description;
    EXPECT_EQ(report.n_params, static_cast<uint64_t>(parameter_count(options.shape)));
    EXPECT_TRUE(report.logits_finite);
}

TEST(WriteModel, SameSeedSameBytesOtherSeedOtherBytes) {
    TempDir dir;
    write_model(tiny("q4_0", 1), dir / "a.gguf");
    write_model(tiny("q4_0", 1), dir / "b.gguf");
    write_model(tiny("q4_0", 2), dir / "c.gguf");
    const std::string a = test::read_file(dir / "a.gguf");
    EXPECT_EQ(a, test::read_file(dir / "b.gguf"));
    const std::string c = test::read_file(dir / "c.gguf");
    ASSERT_EQ(a.size(), c.size());
    EXPECT_NE(a, c);
}

TEST(WriteModel, UnwritableFolderFailsCleanly) {
    EXPECT_THROW(write_model(tiny(), "/nonexistent-llmsweep-folder/model.gguf"), Error);
}

TEST(WriteModel, InvalidShapeWritesNothing) {
    TempDir dir;
    SynthOptions options = tiny();
    options.shape.n_head_kv = 3;
    EXPECT_THROW(write_model(options, dir / "bad.gguf"), UsageError);
    EXPECT_EQ(entries_in(dir.path()), 0u);
}

} // namespace
} // namespace llmsweep::synth
