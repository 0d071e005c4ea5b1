#pragma once
// RAII handles for llama.cpp's objects (its process-wide state: engine/llama_process.hpp).

#include "engine/llama_process.hpp"

#include <llama.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace llmsweep::engine {

struct ModelDeleter {
    void operator()(llama_model* model) const noexcept { llama_model_free(model); }
};
struct ContextDeleter {
    void operator()(llama_context* context) const noexcept { llama_free(context); }
};
using ModelHandle = std::unique_ptr<llama_model, ModelDeleter>;
using ContextHandle = std::unique_ptr<llama_context, ContextDeleter>;

// A CPU threadpool as llama-bench makes one (default parameters: polling level 50). Attached to a context,
// it spares every graph computation the start of a disposable pool. Null when the CPU backend has none.
struct ThreadpoolDeleter {
    void (*free_fn)(ggml_threadpool*) = nullptr;
    void operator()(ggml_threadpool* pool) const noexcept {
        if (free_fn) free_fn(pool);
    }
};
using ThreadpoolHandle = std::unique_ptr<ggml_threadpool, ThreadpoolDeleter>;
// The CPU threadpool as llama-bench makes it: n threads, on the CPUs of a hex mask (0x0: any), one per CPU in
// order when strict, spin-waiting `poll` (0-100), at a priority (-1 low .. 3 realtime). None where the CPU
// backend offers no threadpool. Throws Error for a mask that is not hex.
struct ThreadpoolSettings {
    int n_threads = 1;
    std::string cpu_mask = "0x0";
    bool strict = false;
    int poll = 50;
    int prio = 0;
};
ThreadpoolHandle new_threadpool(const ThreadpoolSettings& settings);

// The CPUs of a hex mask (0x prefix optional), into llama.cpp's per-CPU flags; false for a character that is
// not hex or a mask longer than the flags.
bool parse_cpu_mask(std::string_view mask, bool* cpus, size_t n_cpus);

// Throws Error with llama.cpp's own explanation when the file cannot be loaded.
ModelHandle load_model(const std::string& path, const llama_model_params& params);
ContextHandle new_context(llama_model* model, const llama_context_params& params);

// Decodes `batch` (at most one ubatch) on `context`, asking `stop` after each node of the graph that the CPU
// backend computes: true when it ran to the end, false when `stop` ended it (llama.cpp then removes the batch's
// positions from the KV cache; what it logs of the stop is neither shown nor kept as an error). Throws Error for
// any other failure. Only the CPU backend asks; on other backends the batch runs whole.
bool decode_until(llama_context* context, llama_batch batch, const std::function<bool()>& stop);

} // namespace llmsweep::engine
