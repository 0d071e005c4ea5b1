#include "engine/llama_runtime.hpp"

#include "core/error.hpp"
#include "core/text.hpp"

#include <ggml-cpu.h>

#include <fmt/format.h>

#include <cstdio>
#include <mutex>

namespace llmsweep::engine {
namespace {

struct LogState {
    std::mutex mutex;
    bool verbose = false;
    std::string errors; // error lines since the last successful call
};

LogState& log_state() {
    static LogState state;
    return state;
}

void on_llama_log(ggml_log_level level, const char* text, void* /*user_data*/) {
    LogState& state = log_state();
    std::lock_guard lock(state.mutex);
    if (state.verbose) std::fputs(text, stderr);
    if (level == GGML_LOG_LEVEL_ERROR) {
        state.errors += text;
        // Keep only the latest lines: they explain the failure at hand.
        if (state.errors.size() > 4096) state.errors.erase(0, state.errors.size() - 4096);
    }
}

void clear_errors() {
    std::lock_guard lock(log_state().mutex);
    log_state().errors.clear();
}

} // namespace

void set_llama_log_verbose(bool verbose) {
    std::lock_guard lock(log_state().mutex);
    log_state().verbose = verbose;
}

bool llama_log_verbose() {
    std::lock_guard lock(log_state().mutex);
    return log_state().verbose;
}

void init_llama() {
    static std::once_flag once;
    std::call_once(once, [] {
        llama_log_set(on_llama_log, nullptr);
        llama_backend_init();
        ggml_backend_load_all();
    });
}

std::string last_llama_error() {
    std::lock_guard lock(log_state().mutex);
    return std::string(trim(log_state().errors));
}

ThreadpoolHandle new_threadpool(int n_threads) {
    // Through the CPU backend's registry, as llama-bench does, so that a build with dynamically loaded
    // backends works too.
    ggml_backend_reg_t cpu = ggml_backend_reg_by_name("CPU");
    if (!cpu) return ThreadpoolHandle(nullptr, ThreadpoolDeleter{});
    auto* create =
        reinterpret_cast<decltype(ggml_threadpool_new)*>(ggml_backend_reg_get_proc_address(cpu, "ggml_threadpool_new"));
    auto* destroy = reinterpret_cast<decltype(ggml_threadpool_free)*>(
        ggml_backend_reg_get_proc_address(cpu, "ggml_threadpool_free"));
    if (!create || !destroy) return ThreadpoolHandle(nullptr, ThreadpoolDeleter{});
    ggml_threadpool_params params = ggml_threadpool_params_default(n_threads);
    return ThreadpoolHandle(create(&params), ThreadpoolDeleter{destroy});
}

ModelHandle load_model(const std::string& path, const llama_model_params& params) {
    clear_errors();
    ModelHandle model(llama_model_load_from_file(path.c_str(), params));
    if (!model) {
        const std::string why = last_llama_error();
        throw Error(fmt::format("llama.cpp could not load '{}'{}{}", path, why.empty() ? "" : ": ", why));
    }
    return model;
}

ContextHandle new_context(llama_model* model, const llama_context_params& params) {
    clear_errors();
    ContextHandle context(llama_init_from_model(model, params));
    if (!context) {
        const std::string why = last_llama_error();
        throw Error(fmt::format("llama.cpp could not create a context{}{}", why.empty() ? "" : ": ", why));
    }
    return context;
}

} // namespace llmsweep::engine
