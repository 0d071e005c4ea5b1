#pragma once
// Writes a synthetic model: a GGUF file with random weights in a real architecture, which llama.cpp loads and
// runs (and a vision-language model's mmproj file, which its mtmd library loads). The tensors are generated, quantized and written one chunk of rows at a time, so memory stays small
// whatever the model's size, and the file appears under its name only once it is complete.

#include "synth/architecture.hpp"
#include "synth/weight_type.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

namespace llmsweep::synth {

struct SynthOptions {
    std::string model_name; // GGUF general.name
    ModelShape shape;
    const WeightType* weight_type = nullptr;
    uint64_t seed = 42;
};

struct SynthResult {
    uint64_t file_bytes = 0;
    int64_t n_tensors = 0;
    int64_t n_params = 0;
};

// Called with the bytes written so far and the file's final size.
using ProgressFn = std::function<void(uint64_t written_bytes, uint64_t total_bytes)>;

// Checks the options (shape, and row lengths against the weight type's block size) and throws UsageError when
// they cannot form a working model.
void validate(const SynthOptions& options);

// Writes the model to `path`. On any failure or interrupt, nothing is left at `path` or beside it.
SynthResult write_model(const SynthOptions& options, const std::filesystem::path& path,
                        const ProgressFn& progress = {});

// A vision-language model's mmproj file: its vision tower and connector, the matrices in f16 and the
// embeddings, norms and biases in f32, as llama.cpp's converter writes them by default.
struct MmprojOptions {
    std::string model_name;
    VisionShape shape;
    uint64_t seed = 42;
};

SynthResult write_mmproj(const MmprojOptions& options, const std::filesystem::path& path,
                         const ProgressFn& progress = {});

} // namespace llmsweep::synth
