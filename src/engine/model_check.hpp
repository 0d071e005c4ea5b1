#pragma once
// Loads a model with llama.cpp and decodes one batch of random tokens: the quickest proof that a GGUF file
// works with this build, and what it costs to load and run.

#include <cstdint>
#include <string>

namespace llmsweep::engine {

struct CheckOptions {
    std::string model_path;
    int n_tokens = 32;
    int threads = 0;   // 0: llama.cpp's default
    uint32_t seed = 1; // for the random token ids
};

struct CheckReport {
    std::string description; // llama_model_desc: architecture, size class, type
    uint64_t n_params = 0;
    uint64_t model_bytes = 0;
    int32_t n_vocab = 0;
    int32_t n_layer = 0;
    int n_tokens = 0;
    double load_ms = 0;
    double decode_ms = 0;
    bool logits_finite = false;

    double tokens_per_second() const { return decode_ms > 0 ? n_tokens * 1000.0 / decode_ms : 0.0; }
};

// Throws Error when the model cannot be loaded or the batch cannot be decoded.
CheckReport check_model(const CheckOptions& options);

} // namespace llmsweep::engine
