#include "synth/weight_type.hpp"

#include "core/error.hpp"

#include <ggml.h>

#include <array>
#include <fmt/format.h>

namespace llmsweep::synth {

const WeightType& find_weight_type(std::string_view name) {
    // file_type values are llama.h's LLAMA_FTYPE_ALL_F32, MOSTLY_F16, MOSTLY_Q8_0, MOSTLY_Q4_0.
    static const std::array<WeightType, 4> types = {{
        {"f32", int{GGML_TYPE_F32}, 0},
        {"f16", int{GGML_TYPE_F16}, 1},
        {"q8_0", int{GGML_TYPE_Q8_0}, 7},
        {"q4_0", int{GGML_TYPE_Q4_0}, 2},
    }};
    for (const auto& type : types)
        if (type.name == name) return type;
    throw UsageError(fmt::format("unknown weight type '{}'; choose one of: f32, f16, q8_0, q4_0", name));
}

} // namespace llmsweep::synth
