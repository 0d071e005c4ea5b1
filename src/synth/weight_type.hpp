#pragma once
// The storage types `synth` can write matrices in, and what GGUF calls them.

#include <cstdint>
#include <string_view>

namespace llmsweep::synth {

struct WeightType {
    std::string_view name; // as the user writes it: f32, f16, q8_0, q4_0
    int type;              // ggml's ggml_type, as its number: ggml.h stays inside synth
    uint32_t file_type;    // GGUF general.file_type (llama_ftype)
};

// Throws UsageError listing the supported types.
const WeightType& find_weight_type(std::string_view name);

} // namespace llmsweep::synth
