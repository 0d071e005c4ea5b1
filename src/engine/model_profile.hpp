#pragma once
// A model file's costs per token (domain/model_cost.hpp), read from its GGUF header: the tensors' names, shapes
// and bytes, and the attention's shape from the architecture's keys. Reads metadata only, not the weights.

#include "domain/model_cost.hpp"

#include <optional>
#include <string>
#include <vector>

namespace llmsweep::engine {

// The file's tensors and attention shape; nothing for a file that is not a readable GGUF with the keys of a
// transformer (block_count, attention.head_count).
struct ModelTensors {
    std::vector<domain::TensorInfo> tensors;
    domain::AttentionShape shape;
};
std::optional<ModelTensors> read_model_tensors(const std::string& path);

std::optional<domain::ModelProfile> read_model_profile(const std::string& path);

} // namespace llmsweep::engine
