#include "cli/command.hpp"
#include "cli/format.hpp"
#include "core/error.hpp"
#include "core/escape.hpp"
#include "engine/model_check.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <memory>

namespace llmsweep::cli {
namespace {

struct CheckArgs {
    engine::CheckOptions options;
    bool json = false;
};

void run_check(const CheckArgs& args) {
    const auto& path = args.options.model_path;
    if (!std::filesystem::is_regular_file(path))
        throw UsageError(fmt::format("model file '{}' does not exist; pass the path of a GGUF file", path));
    const engine::CheckReport r = engine::check_model(args.options);
    if (args.json) {
        say("{}\n", nlohmann::json{{"model", path},
                                   {"description", r.description},
                                   {"n_params", r.n_params},
                                   {"model_bytes", r.model_bytes},
                                   {"n_layer", r.n_layer},
                                   {"n_vocab", r.n_vocab},
                                   {"n_tokens", r.n_tokens},
                                   {"load_ms", r.load_ms},
                                   {"decode_ms", r.decode_ms},
                                   {"avg_ts", r.tokens_per_second()},
                                   {"logits_finite", r.logits_finite}}
                        .dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
    } else {
        // The path and the model's own description (from its metadata) are shown escaped.
        say("loaded {} in {:.1f} ms: {}, {} parameters, {} layers, vocab {}, {}\n", escape::terminal(path), r.load_ms,
            escape::terminal(r.description), format_count(r.n_params), r.n_layer, r.n_vocab,
            format_bytes(r.model_bytes));
        say("decoded a batch of {} tokens in {:.1f} ms ({:.1f} tokens/s); logits {}\n", r.n_tokens, r.decode_ms,
            r.tokens_per_second(), r.logits_finite ? "finite" : "NOT FINITE");
    }
    if (!r.logits_finite) throw Error("the model produced non-finite logits");
}

} // namespace

Command add_check_command(CLI::App& app) {
    auto args = std::make_shared<CheckArgs>();
    CLI::App* sub = app.add_subcommand("check", "Load a model with llama.cpp and decode one batch of random tokens");
    sub->footer("Example:\n  llmsweep check smollm2-135m-q8_0.gguf -n 64");
    sub->add_option("model", args->options.model_path, "GGUF model file")->required();
    sub->add_option("-n,--tokens", args->options.n_tokens, "Tokens in the batch")
        ->capture_default_str()
        ->check(CLI::Range(1, 1 << 16));
    sub->add_option("-t,--threads", args->options.threads, "CPU threads (default: llama.cpp's choice)")
        ->check(CLI::Range(1, 4096));
    sub->add_flag("--json", args->json, "Print as JSON");
    return {sub, [args] { run_check(*args); }};
}

} // namespace llmsweep::cli
