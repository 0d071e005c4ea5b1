#pragma once
// The storage types `synth` can write matrices in, and what GGUF calls them.

#include <ggml.h>

#include <string_view>

namespace llmsweep::synth {

struct WeightType {
    std::string_view name; // as the user writes it: f32, f16, q8_0, q4_0
    ggml_type type;
    uint32_t file_type; // GGUF general.file_type (llama_ftype)
};

// Throws UsageError listing the supported types.
const WeightType& find_weight_type(std::string_view name);

} // namespace llmsweep::synth
