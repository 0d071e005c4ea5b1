#include "cli/command.hpp"
#include "cli/format.hpp"
#include "core/error.hpp"
#include "core/interrupt.hpp"
#include "synth/gguf_model_writer.hpp"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <unistd.h>

namespace llmsweep::cli {
namespace {

struct SynthArgs {
    std::string preset;
    std::string output;
    std::string type = "q8_0";
    uint64_t seed = 42;
    bool force = false;
    bool list = false;
    std::optional<int64_t> layers, n_embd, heads, kv_heads, n_ff, vocab;
    bool untied = false;
};

void list_presets() {
    for (const auto& preset : synth::presets()) {
        const auto& s = preset.shape;
        say("{:<14} {}\n{:<14} {} layers, n_embd {}, {} heads, {} KV heads, n_ff {}, vocab {}, {} parameters\n",
            preset.name, preset.description, "", s.n_layer, s.n_embd, s.n_head, s.n_head_kv, s.n_ff, s.n_vocab,
            format_count(synth::parameter_count(s)));
    }
}

// Redraws one status line on a terminal; silent otherwise, so logs stay clean.
class ProgressLine {
public:
    explicit ProgressLine(std::string label) : label_(std::move(label)), enabled_(isatty(STDERR_FILENO)) {}
    void update(uint64_t done, uint64_t total) {
        if (!enabled_) return;
        const int percent = total ? static_cast<int>(done * 100 / total) : 100;
        if (percent == last_percent_) return;
        last_percent_ = percent;
        say(stderr, "\r{} {:3d}% ({} of {})", label_, percent, format_bytes(done), format_bytes(total));
    }
    ~ProgressLine() {
        if (enabled_ && last_percent_ >= 0) say(stderr, "\r\033[K");
    }

private:
    std::string label_;
    bool enabled_;
    int last_percent_ = -1;
};

void run_synth(const SynthArgs& args) {
    if (args.list) return list_presets();
    if (args.preset.empty())
        throw UsageError("choose a model shape with --preset (tiny, smollm2-135m, qwen2.5-0.5b); "
                         "--list-presets describes them");
    const synth::Preset& preset = synth::find_preset(args.preset);
    synth::SynthOptions options{.model_name = std::string(preset.name),
                                .shape = preset.shape,
                                .weight_type = &synth::find_weight_type(args.type),
                                .seed = args.seed};
    auto override_with = [&](const std::optional<int64_t>& value, int64_t& field) {
        if (value) {
            field = *value;
            options.model_name = std::string(preset.name) + "-custom";
        }
    };
    override_with(args.layers, options.shape.n_layer);
    override_with(args.n_embd, options.shape.n_embd);
    override_with(args.heads, options.shape.n_head);
    override_with(args.kv_heads, options.shape.n_head_kv);
    override_with(args.n_ff, options.shape.n_ff);
    override_with(args.vocab, options.shape.n_vocab);
    if (args.untied) options.shape.tied_embeddings = false;
    synth::validate(options);

    const std::filesystem::path output =
        args.output.empty() ? fmt::format("{}-{}.gguf", options.model_name, args.type) : args.output;
    if (std::filesystem::is_directory(output))
        throw UsageError(fmt::format("'{}' is a folder; give --output a file name", output.string()));
    if (std::filesystem::exists(output) && !args.force)
        throw UsageError(fmt::format("'{}' already exists; pass --force to replace it", output.string()));

    install_interrupt_handler();
    const auto start = std::chrono::steady_clock::now();
    synth::SynthResult result;
    {
        ProgressLine progress("writing " + output.string());
        result =
            synth::write_model(options, output, [&](uint64_t done, uint64_t total) { progress.update(done, total); });
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const auto& s = options.shape;
    say("wrote {}: {} {}, {} layers, n_embd {}, {} heads / {} KV, n_ff {}, vocab {}; {} parameters in {} "
        "tensors, {} in {:.1f} s (seed {})\n",
        output.string(), s.architecture, args.type, s.n_layer, s.n_embd, s.n_head, s.n_head_kv, s.n_ff, s.n_vocab,
        format_count(result.n_params), result.n_tensors, format_bytes(result.file_bytes), seconds, args.seed);
}

} // namespace

Command add_synth_command(CLI::App& app) {
    auto args = std::make_shared<SynthArgs>();
    CLI::App* sub = app.add_subcommand(
        "synth", "Write a GGUF model with random weights in a real architecture (throughput does not depend on "
                 "the weights' values)");
    sub->footer("Examples:\n"
                "  llmsweep synth --preset smollm2-135m --type q8_0\n"
                "  llmsweep synth --preset qwen2.5-0.5b --type q4_0 -o qwen.gguf\n"
                "  llmsweep synth --preset tiny --layers 4 --n-embd 128 --type f16");
    sub->add_option("-p,--preset", args->preset, "Architecture and shape: tiny, smollm2-135m, qwen2.5-0.5b");
    sub->add_flag("--list-presets", args->list, "Describe the presets and exit");
    sub->add_option("-o,--output", args->output, "Output file (default: <preset>-<type>.gguf)");
    sub->add_option("-t,--type", args->type, "Weight type of the matrices: f32, f16, q8_0, q4_0")
        ->capture_default_str();
    sub->add_option("--seed", args->seed, "Random seed; the same seed writes the same bytes")->capture_default_str();
    sub->add_flag("-f,--force", args->force, "Replace the output file if it exists");
    auto* shape = sub->add_option_group("shape", "Override the preset's shape");
    shape->add_option("--layers", args->layers, "Number of transformer blocks");
    shape->add_option("--n-embd", args->n_embd, "Embedding width");
    shape->add_option("--heads", args->heads, "Attention heads");
    shape->add_option("--kv-heads", args->kv_heads, "Key/value heads (grouped-query attention)");
    shape->add_option("--n-ff", args->n_ff, "Feed-forward width");
    shape->add_option("--vocab", args->vocab, "Vocabulary size");
    shape->add_flag("--untied", args->untied, "A separate output matrix instead of the token embedding's");
    return {sub, [args] { run_synth(*args); }};
}

} // namespace llmsweep::cli
