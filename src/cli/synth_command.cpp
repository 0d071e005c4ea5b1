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
    std::string mmproj_output;
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
        if (const auto& v = preset.vision)
            say("{:<14} mmproj: {} {} px, patch {}, {} layers, n_embd {}, {} heads, n_ff {}; {} tokens per image\n", "",
                v->projector, v->image_size, v->patch_size, v->n_layer, v->n_embd, v->n_head, v->n_ff,
                v->tokens_per_image());
    }
}

std::string preset_names() {
    std::string names;
    for (const auto& preset : synth::presets()) names += (names.empty() ? "" : ", ") + std::string(preset.name);
    return names;
}

void check_output(const std::filesystem::path& output, bool force, std::string_view flag) {
    if (std::filesystem::is_directory(output))
        throw UsageError(fmt::format("'{}' is a folder; give {} a file name", output.string(), flag));
    if (std::filesystem::exists(output) && !force)
        throw UsageError(fmt::format("'{}' already exists; pass --force to replace it", output.string()));
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

// Writes `path` through `write`, drawing the progress on a terminal; the seconds it took.
template <typename Write>
double written(const std::filesystem::path& path, Write write) {
    const auto start = std::chrono::steady_clock::now();
    ProgressLine progress("writing " + path.string());
    write([&](uint64_t done, uint64_t total) { progress.update(done, total); });
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void run_synth(const SynthArgs& args) {
    if (args.list) return list_presets();
    if (args.preset.empty())
        throw UsageError(
            fmt::format("choose a model shape with --preset ({}); --list-presets describes them", preset_names()));
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
    check_output(output, args.force, "--output");
    // A vision-language model's mmproj beside it, named as llama.cpp's converter names one.
    std::optional<synth::MmprojOptions> mmproj;
    std::filesystem::path mmproj_output;
    if (preset.vision) {
        mmproj = synth::MmprojOptions{.model_name = options.model_name, .shape = *preset.vision, .seed = args.seed};
        mmproj->shape.projection_dim = options.shape.n_embd; // the decoder's width, overridden or not
        mmproj_output = args.mmproj_output.empty()
                            ? output.parent_path() / fmt::format("mmproj-{}-f16.gguf", options.model_name)
                            : std::filesystem::path(args.mmproj_output);
        check_output(mmproj_output, args.force, "--mmproj-output");
    } else if (!args.mmproj_output.empty()) {
        throw UsageError(fmt::format("--mmproj-output: the preset {} has no vision tower; the vision-language presets "
                                     "write one (smolvlm2-256m)",
                                     preset.name));
    }

    install_interrupt_handler();
    synth::SynthResult result;
    const double seconds = written(
        output, [&](const synth::ProgressFn& progress) { result = synth::write_model(options, output, progress); });
    const auto& s = options.shape;
    say("wrote {}: {} {}, {} layers, n_embd {}, {} heads / {} KV, n_ff {}, vocab {}; {} parameters in {} "
        "tensors, {} in {:.1f} s (seed {})\n",
        output.string(), s.architecture, args.type, s.n_layer, s.n_embd, s.n_head, s.n_head_kv, s.n_ff, s.n_vocab,
        format_count(result.n_params), result.n_tensors, format_bytes(result.file_bytes), seconds, args.seed);
    if (!mmproj) return;
    const double mmproj_seconds = written(mmproj_output, [&](const synth::ProgressFn& progress) {
        result = synth::write_mmproj(*mmproj, mmproj_output, progress);
    });
    const auto& v = mmproj->shape;
    say("wrote {}: clip {} f16, {} px in patches of {}, {} layers, n_embd {}, {} heads, n_ff {}, {} tokens per "
        "image of n_embd {}; {} parameters in {} tensors, {} in {:.1f} s\n",
        mmproj_output.string(), v.projector, v.image_size, v.patch_size, v.n_layer, v.n_embd, v.n_head, v.n_ff,
        v.tokens_per_image(), v.projection_dim, format_count(result.n_params), result.n_tensors,
        format_bytes(result.file_bytes), mmproj_seconds);
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
                "  llmsweep synth --preset tiny --layers 4 --n-embd 128 --type f16\n"
                "  llmsweep synth --preset smolvlm2-256m   (the decoder and mmproj-smolvlm2-256m-f16.gguf)");
    sub->add_option("-p,--preset", args->preset, "Architecture and shape: " + preset_names());
    sub->add_flag("--list-presets", args->list, "Describe the presets and exit");
    sub->add_option("-o,--output", args->output, "Output file (default: <preset>-<type>.gguf)");
    sub->add_option("--mmproj-output", args->mmproj_output,
                    "A vision-language preset's mmproj file (default: mmproj-<preset>-f16.gguf beside the model)");
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
