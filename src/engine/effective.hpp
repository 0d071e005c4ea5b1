#pragma once
// What a llama-bench run's settings came to where llama.cpp decides them (the automatic load mode, all layers),
// without llama.cpp's types: the recorder and the importer use it.

#include "domain/point.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace llmsweep::engine {

// What a llama-bench run of `load` on a build with `backends` (its comma list) came to, where llmsweep can
// tell: auto is mmap on a build of CPU (and BLAS) alone; the model's layers from its GGUF file, when readable.
struct Effective {
    std::optional<std::string> load_mode;
    std::optional<int64_t> n_layer;
};
Effective effective_for_llama_bench(const domain::LoadParams& load, const std::string& backends);

} // namespace llmsweep::engine
