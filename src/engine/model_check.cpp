#include "engine/model_check.hpp"

#include "core/error.hpp"
#include "engine/llama_runtime.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <random>
#include <vector>

namespace llmsweep::engine {
namespace {

double elapsed_ms(std::chrono::steady_clock::time_point since) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since).count();
}

} // namespace

CheckReport check_model(const CheckOptions& options) {
    if (options.n_tokens < 1) throw UsageError("the batch needs at least one token; pass -n 1 or more");
    init_llama();

    CheckReport report;
    const auto load_start = std::chrono::steady_clock::now();
    ModelHandle model = load_model(options.model_path, llama_model_default_params());
    report.load_ms = elapsed_ms(load_start);

    char description[256] = {};
    llama_model_desc(model.get(), description, sizeof description);
    report.description = description;
    report.n_params = llama_model_n_params(model.get());
    report.model_bytes = llama_model_size(model.get());
    report.n_layer = llama_model_n_layer(model.get());
    const llama_vocab* vocab = llama_model_get_vocab(model.get());
    report.n_vocab = llama_vocab_n_tokens(vocab);

    llama_context_params cparams = llama_context_default_params();
    cparams.n_ctx = static_cast<uint32_t>(options.n_tokens);
    cparams.n_batch = static_cast<uint32_t>(options.n_tokens);
    cparams.n_ubatch = static_cast<uint32_t>(options.n_tokens);
    if (options.threads > 0) cparams.n_threads = cparams.n_threads_batch = options.threads;
    ContextHandle context = new_context(model.get(), cparams);

    // Random token ids, as llama-bench feeds them, after a BOS where the vocabulary asks for one.
    std::mt19937 rng(options.seed);
    std::uniform_int_distribution<llama_token> pick(0, report.n_vocab - 1);
    std::vector<llama_token> tokens(options.n_tokens);
    for (auto& token : tokens) token = pick(rng);
    if (llama_vocab_get_add_bos(vocab)) tokens[0] = llama_vocab_bos(vocab);

    const auto decode_start = std::chrono::steady_clock::now();
    const int rc = llama_decode(context.get(), llama_batch_get_one(tokens.data(), options.n_tokens));
    llama_synchronize(context.get());
    report.decode_ms = elapsed_ms(decode_start);
    if (rc != 0)
        throw Error(fmt::format("llama_decode failed with code {} on '{}'{}", rc, options.model_path,
                                last_llama_error().empty() ? "" : ": " + last_llama_error()));
    report.n_tokens = options.n_tokens;

    const float* logits = llama_get_logits_ith(context.get(), -1);
    report.logits_finite = logits != nullptr;
    for (int32_t i = 0; logits && i < report.n_vocab; ++i)
        if (!std::isfinite(logits[i])) {
            report.logits_finite = false;
            break;
        }
    return report;
}

} // namespace llmsweep::engine
