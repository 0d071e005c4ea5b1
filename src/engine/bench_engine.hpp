#pragma once
// The measurement itself, inside a worker process: loads a model with the requested load mode and cache
// state, and times prompt processing and token generation as llama-bench does (random tokens, no sampling,
// no tokenization in the timed region).

#include "engine/llama_runtime.hpp"
#include "engine/measurement.hpp"
#include "engine/vision.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace llmsweep::engine {

class BenchEngine {
public:
    // Throws Error if llama.cpp cannot load the model.
    LoadOutcome load(const LoadRequest& request);
    // Throws Error if a context cannot be created or a decode fails.
    Measurement run(const RunRequest& request);
    // Whether the current context computes embeddings, as llama.cpp has it after a decode (-embd).
    bool computes_embeddings() const;

private:
    void prepare_context(const RunRequest& request);
    // The warm-up's prompt on the CPU alone, run only as far as it touches new memory (prepare_context).
    void warm_up_on_cpu(const domain::TestParams& test, uint64_t seed);
    // The load's mmproj, its vision tower encoding with the context's threads (loaded again for other threads).
    Vision& vision(int64_t threads);

    // Destroyed in reverse: the context before the threadpool it uses, both before the model.
    ModelHandle model_;
    domain::LoadParams load_params_;
    bool on_gpu_ = false;   // the model has a GPU among its devices: warm-ups run twice (prepare_context)
    bool cpu_only_ = false; // every device of this build is a CPU: no backend but the CPU's computes a graph
    ThreadpoolHandle threadpool_{nullptr, ThreadpoolDeleter{}};
    ContextHandle context_;
    std::unique_ptr<Vision> vision_; // before the model it was loaded for
    // The worker's first mmproj load and first image, until a measurement carries them.
    bool first_image_done_ = false;
    std::optional<double> pending_mmproj_load_ms_;
    std::optional<int64_t> pending_mmproj_rss_bytes_;
    std::optional<ImageTimes> pending_first_image_;
    // The test's images, one after another from the start of the sequence, their times summed; the process's first
    // one is kept apart (pending_first_image_).
    ImageTimes feed_image(int64_t threads, const domain::TestParams& test, uint64_t seed, int64_t n_batch);
    domain::ContextParams context_params_;
    int64_t context_n_ctx_ = 0;
    int context_prio_ = 0;
};

} // namespace llmsweep::engine
