#include "engine/llama_runtime.hpp"

#include "core/error.hpp"
#include "core/text.hpp"

#include <ggml-cpu.h>

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string_view>
#include <utility>
#include <vector>

namespace llmsweep::engine {
namespace {

struct LogState {
    std::mutex mutex;
    bool verbose = false;
    bool muted = false; // not shown, verbose or not: while a decode may be stopped on purpose (decode_until)
    std::string errors; // error lines since the last successful call
    std::vector<std::pair<std::string, double>> model_buffers; // of the last load: buffer type, MiB
};

// "load_tensors:   CPU_REPACK model buffer size =    12.00 MiB": the model's weights in a buffer of that type.
void note_model_buffer(LogState& state, std::string_view line) {
    const auto at = line.find(" model buffer size =");
    if (at == std::string_view::npos) return;
    // After the function's name and its colon; a device's name may hold colons (RPC0[127.0.0.1:50052]).
    std::string_view before = trim(line.substr(0, at));
    if (const auto colon = before.find(": "); colon != std::string_view::npos) before = trim(before.substr(colon + 1));
    const auto space = before.find_last_of(' ');
    const std::string type(space == std::string_view::npos ? before : before.substr(space + 1));
    const std::string value(trim(line.substr(at + std::string_view(" model buffer size =").size())));
    state.model_buffers.emplace_back(type, std::strtod(value.c_str(), nullptr));
}

LogState& log_state() {
    static LogState state;
    return state;
}

void on_llama_log(ggml_log_level level, const char* text, void* /*user_data*/) {
    LogState& state = log_state();
    std::lock_guard lock(state.mutex);
    if (state.verbose && !state.muted) std::fputs(text, stderr);
    note_model_buffer(state, text);
    if (level == GGML_LOG_LEVEL_ERROR) {
        state.errors += text;
        // Keep only the latest lines: they explain the failure at hand.
        if (state.errors.size() > 4096) state.errors.erase(0, state.errors.size() - 4096);
    }
}

void clear_errors() {
    std::lock_guard lock(log_state().mutex);
    log_state().errors.clear();
    log_state().model_buffers.clear();
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

std::vector<std::pair<std::string, double>> last_model_buffers() {
    std::lock_guard lock(log_state().mutex);
    return log_state().model_buffers;
}

std::string last_llama_error() {
    std::lock_guard lock(log_state().mutex);
    // llama.cpp says a failure in a line per function it unwinds, the cause first: one line, joined by "; ", so
    // that it reads as one in a terminal's line, a table's cell and a log.
    std::string joined;
    std::string_view rest = log_state().errors;
    while (!rest.empty()) {
        const size_t end = rest.find('\n');
        const std::string_view line = trim(rest.substr(0, end));
        if (!line.empty()) joined += joined.empty() ? std::string(line) : fmt::format("; {}", line);
        rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    }
    return joined;
}

bool parse_cpu_mask(std::string_view mask, bool* cpus, size_t n_cpus) {
    if (mask.substr(0, 2) == "0x" || mask.substr(0, 2) == "0X") mask.remove_prefix(2);
    if (mask.empty() || mask.size() * 4 > n_cpus) return false;
    for (size_t i = 0; i < mask.size(); ++i) {
        const char c = mask[mask.size() - 1 - i]; // the last digit holds CPUs 0-3
        int digit = 0;
        if (c >= '0' && c <= '9') digit = c - '0';
        else if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
        else return false;
        for (int bit = 0; bit < 4; ++bit)
            if (digit & (1 << bit)) cpus[4 * i + static_cast<size_t>(bit)] = true;
    }
    return true;
}

ThreadpoolHandle new_threadpool(const ThreadpoolSettings& settings) {
    // Through the CPU backend's registry, as llama-bench does, so that a build with dynamically loaded
    // backends works too.
    ggml_backend_reg_t cpu = ggml_backend_reg_by_name("CPU");
    if (!cpu) return ThreadpoolHandle(nullptr, ThreadpoolDeleter{});
    auto* create =
        reinterpret_cast<decltype(ggml_threadpool_new)*>(ggml_backend_reg_get_proc_address(cpu, "ggml_threadpool_new"));
    auto* destroy = reinterpret_cast<decltype(ggml_threadpool_free)*>(
        ggml_backend_reg_get_proc_address(cpu, "ggml_threadpool_free"));
    if (!create || !destroy) return ThreadpoolHandle(nullptr, ThreadpoolDeleter{});
    ggml_threadpool_params params = ggml_threadpool_params_default(settings.n_threads);
    if (!parse_cpu_mask(settings.cpu_mask, params.cpumask, GGML_MAX_N_THREADS))
        throw Error(
            fmt::format("CPU mask '{}' is not a hex mask of at most {} CPUs", settings.cpu_mask, GGML_MAX_N_THREADS));
    params.strict_cpu = settings.strict;
    params.poll = static_cast<uint32_t>(settings.poll);
    params.prio = static_cast<ggml_sched_priority>(settings.prio);
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

bool decode_until(llama_context* context, llama_batch batch, const std::function<bool()>& stop) {
    const auto ask = [](void* data) { return (*static_cast<const std::function<bool()>*>(data))(); };
    std::string errors_before;
    {
        std::lock_guard lock(log_state().mutex);
        log_state().muted = true;
        errors_before = log_state().errors;
    }
    llama_set_abort_callback(context, ask, const_cast<std::function<bool()>*>(&stop));
    const int rc = llama_decode(context, batch);
    llama_synchronize(context);
    llama_set_abort_callback(context, nullptr, nullptr);
    std::lock_guard lock(log_state().mutex);
    log_state().muted = false;
    if (rc == 0) return true;
    if (rc == 2) { // stopped: what llama.cpp said of it is no error
        log_state().errors = errors_before;
        return false;
    }
    const std::string said = log_state().errors.substr(std::min(errors_before.size(), log_state().errors.size()));
    const std::string_view why = trim(said);
    throw Error(fmt::format("llama_decode failed with code {}{}{}", rc, why.empty() ? "" : ": ", why));
}

} // namespace llmsweep::engine
