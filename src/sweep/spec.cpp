#include "sweep/spec.hpp"

#include "analysis/comparison.hpp"
#include "core/error.hpp"
#include "core/escape.hpp"
#include "core/text.hpp"
#include "domain/parameter_names.hpp"
#include "sweep/range.hpp"
#include "sweep/serving_spec.hpp"
#include "sweep/setting_text.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <span>

namespace llmsweep::sweep {
using namespace domain;

namespace {

constexpr std::array<std::pair<std::string_view, Order>, 2> order_names{
    {{"rounds", Order::rounds}, {"grouped", Order::grouped}}};

// Model files: a comma list, or one name with commas in it when a file of that whole name exists.
std::vector<std::string> model_paths(const std::vector<std::string>& texts) {
    std::vector<std::string> paths;
    for (const auto& text : texts) {
        std::error_code ec;
        if (text.find(',') != std::string::npos && std::filesystem::is_regular_file(text, ec)) {
            paths.push_back(text);
            continue;
        }
        for (auto& path : parse_name_list(text, "--model")) paths.push_back(std::move(path));
    }
    return paths;
}

// llama-bench's 0|1 (and the words a TOML file may use).
bool parse_bool(std::string_view text) {
    if (text == "1" || text == "true" || text == "on") return true;
    if (text == "0" || text == "false" || text == "off") return false;
    throw UsageError(fmt::format("'{}' is not 0 or 1", shortened(text)));
}

const std::vector<Setting> base_settings = {
    {"model", "GGUF model files", true, [](SweepSpec& s, const auto& t) { s.models = unique(model_paths(t)); }},
    {"mmap", "0,1: alias of --load-mode none,mmap", true,
     [](SweepSpec& s, const auto& t) {
         s.knobs[param::load_mode] = unique(parse_each(t, "--mmap", [](std::string_view v) {
             if (v != "0" && v != "1" && v != "true" && v != "false")
                 throw UsageError(fmt::format("--mmap: '{}' is not 0 or 1", shortened(v)));
             return std::string(v == "1" || v == "true" ? "mmap" : "none");
         }));
     }},
    {"n_pg",
     "Split mode: llama-bench's combined test pp,tg (the prompt, then the generation, timed as one: metric pg); "
     "repeat it for several",
     true,
     [](SweepSpec& s, const auto& t) {
         std::vector<std::pair<int64_t, int64_t>> pairs;
         for (const auto& text : t) {
             const auto values = parse_int_list(text, "--n-pg", 1, max_tokens);
             if (values.size() != 2)
                 throw UsageError(fmt::format("--n-pg takes two numbers, the prompt and the generation (512,128); "
                                              "got '{}'",
                                              text));
             pairs.emplace_back(values[0], values[1]);
         }
         s.n_pg = unique(pairs);
     }},
    {"shard",
     "K/N: run shard K of N (a run of its own, resumed as any): whole tests, with every value of the other "
     "parameters, so that no pair is split; balanced by estimated work. `llmsweep merge` puts the shards together",
     false,
     [](SweepSpec& s, const auto& t) {
         const std::string& text = single(t, "--shard");
         const size_t slash = text.find('/');
         int64_t k = 0, n = 0;
         const auto number = [](std::string_view part, int64_t& value) {
             const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
             return ec == std::errc() && end == part.data() + part.size();
         };
         if (slash == std::string::npos || !number(std::string_view(text).substr(0, slash), k) ||
             !number(std::string_view(text).substr(slash + 1), n) || n < 1 || k < 1 || k > n || n > 100000)
             throw UsageError(fmt::format("--shard: '{}' is not K/N with 1 <= K <= N (2/4: the second of four)",
                                          escape::terminal(text)));
         s.shard = std::pair{k, n};
     }},
    {"repetitions", "Repetitions of each point (default 5)", false,
     [](SweepSpec& s, const auto& t) { s.repetitions = single_int(t, "--repetitions", 1, 10000); }},
    {"max_repetitions",
     "Adaptive rounds: add rounds, only for the points that still need them, up to this many repetitions "
     "(-r is the least), until the rule of --target-ci and/or --decide holds",
     false, [](SweepSpec& s, const auto& t) { s.max_repetitions = single_int(t, "--max-repetitions", 1, 10000); }},
    {"target_ci", "Adaptive rounds: stop when each result's mean is known to +-PCT percent (95 % interval)", false,
     [](SweepSpec& s, const auto& t) { s.target_ci_pct = positive_number(single(t, "--target-ci"), "--target-ci"); }},
    {"decide",
     "Adaptive rounds: stop when every comparison of this parameter (e.g. load_mode; several: a comma list) is "
     "faster, slower or equivalent at --margin",
     true,
     [](SweepSpec& s, const auto& t) { s.decide = unique(parse_each(t, "--decide", analysis::parameter_named)); }},
    {"margin", "Adaptive rounds: the equivalence margin of --decide, percent (default 2)", false,
     [](SweepSpec& s, const auto& t) { s.margin_pct = positive_number(single(t, "--margin"), "--margin"); }},
    {"warmup", "Untimed runs on each new context, before its repetitions (default 1)", false,
     [](SweepSpec& s, const auto& t) { s.warmup = single_int(t, "--warmup", 0, 100); }},
    {"mode",
     "request (prefill then decode, one sequence; default), split (llama-bench's pp and tg tests) or server "
     "(llama-server under concurrent requests)",
     false, [](SweepSpec& s, const auto& t) { s.mode = parse_mode(single(t, "--mode")); }},
    {"order", "rounds (drift-cancelling, default) or grouped (llama-bench's)", false,
     [](SweepSpec& s, const auto& t) { s.order = parse_order(single(t, "--order")); }},
    {"seed", "Seed of the order and of the random tokens (default 1)", false,
     [](SweepSpec& s, const auto& t) { s.seed = static_cast<uint64_t>(single_int(t, "--seed", 0, INT64_MAX)); }},
    {"timeout", "Seconds a load or a repetition may take before its worker is killed (default 600)", false,
     [](SweepSpec& s, const auto& t) { s.timeout_s = positive_number(single(t, "--timeout"), "--timeout"); }},
    {"engine",
     "native (llmsweep's workers on its llama.cpp; default) or llama-bench (a llama-bench binary, any "
     "build: give --llama-bench)",
     false,
     [](SweepSpec& s, const auto& t) {
         const std::string& text = single(t, "--engine");
         if (text != "native" && text != "llama-bench")
             throw UsageError(fmt::format("--engine: unknown value '{}'; choose from native, llama-bench", text));
         s.engine = text == "native" ? Engine::native : Engine::llama_bench;
     }},
    {"llama_bench",
     "The llama-bench binary that --engine llama-bench runs (a CUDA, Vulkan or other build); several (A,B) are "
     "swept like a load setting, each round running each once in a random order, to compare builds with real "
     "replication: report --compare build_commit (or llama_bench, where two builds share a commit)",
     true,
     [](SweepSpec& s, const auto& t) {
         s.llama_bench = unique(parse_each(t, "--llama-bench", [](std::string_view v) { return std::string(v); }));
     }},
    {"llama_bench_arg",
     "An argument handed as it is to --engine llama-bench, after llmsweep's own (a newer build's flags); repeat "
     "it for several, and write a flag's value after '=': --llama-bench-arg=-fitt --llama-bench-arg=512",
     true,
     [](SweepSpec& s, const auto& t) { s.llama_bench_args.insert(s.llama_bench_args.end(), t.begin(), t.end()); }},
};

} // namespace

std::string_view name(Order value) { return value == Order::rounds ? "rounds" : "grouped"; }
std::string_view name(Engine value) { return value == Engine::native ? "native" : "llama-bench"; }

Order parse_order(std::string_view text) { return parse_choice(text, order_names, "--order"); }

namespace {

// A parameter's setting: its values in the sweep's list syntax (numbers and ranges for integers, 0 and 1 for
// booleans, a comma list of texts); the sweep's own settings take one value, a text as a whole.
Setting knob_setting(const Knob& knob) {
    std::string flag = "--" + std::string(knob.alias.empty() ? knob.name : knob.alias);
    std::replace(flag.begin(), flag.end(), '_', '-');
    const std::string fallback = knob.default_help();
    return {knob.name,
            fmt::format("{} ({}{}){}", knob.help, knob.origin(), fallback.empty() ? "" : "; default " + fallback,
                        knob.native ? "" : "; --engine llama-bench only"),
            !knob.of_run(),
            [&knob, flag](SweepSpec& s, const std::vector<std::string>& texts) {
                if (knob.of_run()) {
                    s.knobs[knob.name] = {knob.canonical ? knob.canonical(single(texts, flag))
                                                         : std::to_string(single_int(texts, flag, knob.min, knob.max))};
                    return;
                }
                std::vector<std::string> values;
                switch (knob.type()) {
                case Knob::Type::integer:
                    for (int64_t v : ints(texts, flag, knob.min, knob.max)) values.push_back(std::to_string(v));
                    break;
                case Knob::Type::boolean:
                    for (bool v : parse_each(texts, flag, parse_bool)) values.push_back(v ? "1" : "0");
                    break;
                case Knob::Type::text: values = parse_each(texts, flag, knob.canonical); break;
                case Knob::Type::real:
                    for (double v : parse_each(
                             texts, flag, [&](std::string_view v) { return positive_number(std::string(v), flag); }))
                        values.push_back(fmt::format("{}", v));
                    break;
                }
                s.knobs[knob.name] = unique(std::move(values));
            },
            knob.alias};
}

// The settings in --help's order: the load mode before --mmap, its alias; the cache state, the threads and the
// sweep's own settings where they always were; the other load and context knobs, then the tests' (their sizes
// first), after them; server mode's knobs first among its settings.
std::vector<Setting> all_settings() {
    constexpr std::array<std::string_view, 3> placed = {param::load_mode, param::cache_state, param::n_threads};
    const auto is_placed = [&](const Knob& knob) {
        return std::find(placed.begin(), placed.end(), knob.name) != placed.end() || knob.of_run();
    };
    std::vector<Setting> all;
    for (const Setting& setting : base_settings) {
        if (setting.key == "mmap") all.push_back(knob_setting(*find_knob(param::load_mode)));
        if (setting.key == "n_pg") {
            for (const std::string_view name : std::span(placed).subspan(1)) // the load mode is above
                all.push_back(knob_setting(*find_knob(name)));
            for (const Knob& knob : parameters())
                if (knob.of_run()) all.push_back(knob_setting(knob));
            for (const Knob& knob : parameters())
                if (!knob.of_server_mode() && !is_placed(knob)) all.push_back(knob_setting(knob));
        }
        if (setting.key == "llama_bench_arg") {
            for (const Knob& knob : parameters())
                if (knob.of_server_mode()) all.push_back(knob_setting(knob));
            all.insert(all.end(), serving_settings().begin(), serving_settings().end());
        }
        all.push_back(setting);
    }
    return all;
}

} // namespace

std::vector<std::string> SweepSpec::values_of(const Knob& knob, std::optional<int64_t> host) const {
    const auto it = knobs.find(knob.name);
    if (it != knobs.end()) return it->second;
    return {knob.host_default && host ? std::to_string(*host) : knob.default_text()};
}

std::vector<int64_t> SweepSpec::integers_of(const Knob& knob) const {
    std::vector<int64_t> values;
    for (const std::string& value : values_of(knob)) values.push_back(std::stoll(value));
    return values;
}

RunParams SweepSpec::run() const {
    Point point;
    for (const Knob& knob : parameters())
        if (knob.of_run()) knob.set(point, values_of(knob).front());
    return point.run;
}

std::vector<double> SweepSpec::reals_of(const Knob& knob) const {
    std::vector<double> values;
    for (const std::string& value : values_of(knob)) values.push_back(std::stod(value));
    return values;
}

bool SweepSpec::sets(const Knob& knob) const { return values_of(knob) != std::vector{knob.default_text()}; }

const std::vector<Setting>& settings() {
    static const std::vector<Setting> all = all_settings();
    return all;
}

const Setting& find_setting(std::string_view key) {
    for (const auto& setting : settings())
        if (setting.named(key)) return setting;
    std::vector<std::string_view> keys;
    for (const auto& setting : settings()) keys.push_back(setting.key);
    throw UsageError(fmt::format("unknown setting '{}'; the known ones are {}", key, fmt::join(keys, ", ")));
}

void read_toml(const std::string& path, SweepSpec& spec) {
    toml::table table;
    try {
        table = toml::parse_file(path);
    } catch (const toml::parse_error& e) {
        const auto& where = e.source().begin;
        throw UsageError(fmt::format("{}:{}:{}: {}", path, where.line, where.column, e.description()));
    }
    if (table.contains("mmap") && table.contains(param::load_mode))
        throw UsageError(
            fmt::format("{}:{}: mmap and load_mode both set the load mode; keep one of them (mmap = [0, 1] "
                        "is load_mode = [\"none\", \"mmap\"])",
                        path, table.get("mmap")->source().begin.line));
    for (const auto& [key, node] : table) {
        const std::string key_text(key.str());
        auto bad = [&](std::string_view why) {
            return UsageError(fmt::format("{}:{}: {} {}", path, node.source().begin.line,
                                          escape::terminal(shortened(key_text)), why));
        };
        const auto known = std::find_if(settings().begin(), settings().end(),
                                        [&](const Setting& setting) { return setting.named(key_text); });
        if (known == settings().end()) {
            std::vector<std::string> keys;
            for (const auto& setting : settings()) keys.emplace_back(setting.key);
            if (const auto meant = nearest(key_text, keys))
                throw bad(fmt::format("is not a setting; did you mean {}?", *meant));
            throw bad("is not a setting; the known ones are those of 'llmsweep run --help' (its long flags, with "
                      "'_' for '-')");
        }
        const Setting* setting = &*known;
        std::vector<std::string> texts;
        auto add = [&](const toml::node& item) {
            if (auto s = item.value<std::string>(); s && item.is_string()) texts.push_back(*s);
            else if (auto i = item.value<int64_t>(); i && item.is_integer()) texts.push_back(std::to_string(*i));
            else if (auto f = item.value<double>(); f && item.is_floating_point())
                texts.push_back(fmt::format("{}", *f));
            // A boolean is a word, so that only settings of 0|1 take it (threads = true is no thread count).
            else if (auto b = item.value<bool>(); b && item.is_boolean()) texts.push_back(*b ? "true" : "false");
            else throw bad("must be a string, a number or an array of them");
        };
        if (const toml::array* array = node.as_array()) {
            if (!setting->is_list) throw bad("takes one value, not an array");
            if (array->empty()) throw bad("is an empty array; give at least one value");
            for (const auto& item : *array) add(item);
        } else {
            add(node);
        }
        // Relative model paths are relative to the TOML file.
        if (key_text == "model") {
            const auto base = std::filesystem::path(path).parent_path();
            for (auto& text : texts) {
                std::vector<std::string> models = parse_name_list(text, "model");
                for (auto& model : models)
                    if (std::filesystem::path(model).is_relative()) model = (base / model).string();
                text = fmt::format("{}", fmt::join(models, ","));
            }
        }
        try {
            setting->assign(spec, texts);
        } catch (const UsageError& e) {
            throw UsageError(fmt::format("{}:{}: {}", path, node.source().begin.line, e.what()));
        }
    }
}

namespace {

// A file llama.cpp is to load: valid UTF-8 (the database and the reports need it), readable, and GGUF.
void check_gguf(const std::string& path, std::string_view what, std::string_view flag) {
    if (escape::valid_utf8(path) != path)
        throw UsageError(fmt::format("the {} file name '{}' is not valid UTF-8, which the database and the reports "
                                     "need; rename the file (or link to it under a UTF-8 name)",
                                     what, path));
    if (std::filesystem::is_directory(path))
        throw UsageError(fmt::format("'{}' is a folder; pass a GGUF {} file with {}", path, what, flag));
    std::ifstream file(path, std::ios::binary);
    if (!std::filesystem::is_regular_file(path) || !file)
        throw UsageError(fmt::format("{} file '{}' does not exist or cannot be read; check the path", what, path));
    char magic[4] = {};
    file.read(magic, 4);
    if (std::string_view(magic, 4) != "GGUF")
        throw UsageError(fmt::format("'{}' is not a GGUF file (it does not start with GGUF); llama.cpp loads only "
                                     "GGUF {} files",
                                     path, what));
}

// An image file a worker is to decode: readable, and of a size an image of at most 8192 x 8192 can have (a
// larger file is refused before any worker reads it).
void check_image_file(const std::string& path) {
    constexpr std::uintmax_t most = 256ull << 20;
    if (escape::valid_utf8(path) != path)
        throw UsageError(fmt::format("the image file name '{}' is not valid UTF-8; rename the file", path));
    std::error_code ec;
    const bool regular = std::filesystem::is_regular_file(path, ec);
    const std::uintmax_t bytes = regular ? std::filesystem::file_size(path, ec) : 0;
    if (!regular || ec || !std::ifstream(path, std::ios::binary))
        throw UsageError(fmt::format("--image: '{}' does not exist or cannot be read; check the path", path));
    if (bytes == 0 || bytes > most)
        throw UsageError(
            fmt::format("--image: '{}' is {} bytes; an image file has between 1 byte and 256 MiB", path, bytes));
}

void validate_adaptive(const SweepSpec& spec) {
    const bool rule = spec.target_ci_pct > 0 || !spec.decide.empty();
    if (spec.max_repetitions > 0 && spec.max_repetitions < spec.repetitions)
        throw UsageError(fmt::format("--max-repetitions {} is below --repetitions {}: -r is the least number of "
                                     "repetitions, --max-repetitions the most",
                                     spec.max_repetitions, spec.repetitions));
    if (spec.adaptive() && !rule)
        throw UsageError("--max-repetitions adds rounds until a rule holds: give --target-ci PCT (each result's "
                         "mean known to +-PCT) and/or --decide PARAM (every comparison of PARAM decided)");
    if (rule && !spec.adaptive())
        throw UsageError(
            fmt::format("--target-ci and --decide choose when adaptive rounds stop: add "
                        "--max-repetitions M above --repetitions {} (the most repetitions a point may get)",
                        spec.repetitions));
    if (spec.margin_pct && spec.decide.empty())
        throw UsageError("--margin is the equivalence margin of --decide; add --decide PARAM, or give the margin to "
                         "'llmsweep report --margin'");
    if (spec.adaptive() && spec.order != Order::rounds)
        throw UsageError("adaptive rounds (--max-repetitions) add rounds: use --order rounds");
    for (const std::string& parameter : spec.decide) {
        const size_t values = swept_values(spec, parameter);
        if (values == 0)
            throw UsageError(fmt::format("--decide {}: not a parameter the sweep sets; choose one it sweeps, such as "
                                         "load_mode or n_threads",
                                         parameter));
        if (values < 2)
            throw UsageError(fmt::format("--decide {}: the sweep gives it one value, so there is nothing to decide; "
                                         "sweep two or more values of it",
                                         parameter));
    }
}

} // namespace

size_t swept_values(const SweepSpec& spec, std::string_view parameter) {
    if (parameter == param::concurrency) return spec.client_loops().size();
    if (parameter == "llama_bench") return spec.llama_bench.size(); // the binaries of --engine llama-bench, in rounds
    if (const Knob* knob = find_parameter(parameter)) return spec.values_of(*knob).size();
    return 0;
}

namespace {

// The images a request begins with (--image-size, --image, --images).
void validate_images(const SweepSpec& spec) {
    const Knob &image_size = *find_knob(param::image_size), &image = *find_knob(param::image),
               &images = *find_knob(param::images);
    const bool any = spec.sets(image_size) || spec.sets(image);
    if (any && spec.mode == Mode::split)
        throw UsageError("--image-size and --image: a request begins with its images (an image, then the prompt and "
                         "the generation), in request mode or server mode; drop --mode split");
    if (spec.sets(image_size) && spec.sets(image))
        throw UsageError("--image-size makes a synthetic image and --image reads one: give one of them");
    if (spec.sets(images) && !any)
        throw UsageError("--images counts the images each request begins with: give them with --image-size or --image");
    for (const std::string& file : spec.values_of(image))
        if (!file.empty()) check_image_file(file);
    // A server's request carries its images uncompressed (a synthetic one as a pixmap, 3 bytes a pixel), and
    // base64 makes a third more: bounded as a request that a server takes.
    if (spec.mode == Mode::server)
        for (const std::string& size : spec.values_of(image_size))
            for (const std::string& count : spec.values_of(images))
                if (const int64_t bytes = std::stoll(size) * std::stoll(size) * 3 * std::stoll(count);
                    bytes > (int64_t{192} << 20))
                    throw UsageError(fmt::format("--image-size {} with --images {}: a request would carry {} MiB of "
                                                 "pixels; in server mode a request carries at most 192 MiB",
                                                 size, count, bytes >> 20));
    // An external server's mmproj is its own; a sweep's models are given theirs.
    if (any && !(spec.mode == Mode::server && !spec.serving.url.empty()) && !spec.sets(*find_knob(param::mmproj)))
        throw UsageError("--image-size and --image: an image is encoded by a vision-language model's vision tower; "
                         "give its mmproj file with --mmproj (synth --preset smolvlm2-256m writes one)");
}

} // namespace

void validate(const SweepSpec& spec) {
    validate_serving(spec);
    validate_images(spec);
    if (spec.mode == Mode::server && !spec.serving.url.empty()) {
        validate_adaptive(spec);
        return; // the server's model is its own
    }
    if (spec.models.empty())
        throw UsageError("no model to benchmark; pass -m model.gguf (several -m, or a comma list, sweep several)");
    for (const auto& model : spec.models) check_gguf(model, "model", "-m");
    const Knob& mmproj = *find_knob(param::mmproj);
    for (const std::string& file : spec.values_of(mmproj))
        if (!file.empty()) check_gguf(file, param::mmproj, "--mmproj");
    if (spec.engine == Engine::llama_bench) {
        if (spec.llama_bench.empty())
            throw UsageError("--engine llama-bench needs the binary: pass --llama-bench /path/to/llama-bench");
        if (spec.mode != Mode::split)
            throw UsageError("--engine llama-bench runs llama-bench's own pp and tg tests: add --mode split");
        if (spec.sets(*find_knob(param::huge_pages)))
            throw UsageError("--huge-pages off and on set up llmsweep's own workers; llama-bench leaves huge pages "
                             "to the kernel (auto). Drop --huge-pages, or use --engine native");
        for (const Knob& knob : knobs())
            if (!knob.of_llama_bench() && !knob.any_engine && spec.sets(knob))
                throw UsageError(fmt::format("{} ({}) is not an option of llama-bench; drop it, or use --engine native",
                                             knob.flag, knob.name));
        if (spec.warmup > 1)
            throw UsageError(
                fmt::format("--warmup {}: llama-bench warms up once per test or not at all; use 0 or 1", spec.warmup));
    } else if (const auto only = std::find_if(knobs().begin(), knobs().end(),
                                              [&](const Knob& k) { return !k.native && spec.sets(k); });
               only != knobs().end()) {
        throw UsageError(fmt::format("{} ({}) is llama-bench's own: llmsweep's workers do not run it; add "
                                     "--engine llama-bench --llama-bench PATH",
                                     only->flag, only->name));
    } else if (!spec.llama_bench_args.empty()) {
        throw UsageError("--llama-bench-arg is handed to the llama-bench of --engine llama-bench; add --engine "
                         "llama-bench --llama-bench PATH");
    } else if (!spec.llama_bench.empty()) {
        throw UsageError("--llama-bench is the binary of --engine llama-bench; add --engine llama-bench");
    }
    validate_adaptive(spec);
    if (spec.mode == Mode::request && !spec.n_pg.empty())
        throw UsageError("--n-pg (-pg) is llama-bench's combined test, a split-mode test; add --mode split (request "
                         "mode already times the prompt and the generation of each request)");
    if (spec.mode == Mode::request) {
        for (int64_t n : spec.integers_of(*find_parameter(param::n_prompt)))
            if (n < 1) throw UsageError("--n-prompt 0 has no meaning in request mode; use --mode split for tg alone");
        for (int64_t n : spec.integers_of(*find_parameter(param::n_gen)))
            if (n < 1) throw UsageError("--n-gen 0 has no meaning in request mode; use --mode split for pp alone");
    }
}

nlohmann::json to_json(const SweepSpec& spec) {
    nlohmann::json json = {{"model", spec.models},     {"repetitions", spec.repetitions}, {"warmup", spec.warmup},
                           {"mode", name(spec.mode)},  {"order", name(spec.order)},       {"seed", spec.seed},
                           {"timeout", spec.timeout_s}};
    if (!spec.n_pg.empty()) json["n_pg"] = spec.n_pg;
    // A later knob only when not its default, so that the keys of sweeps without it stay what they were (resume
    // finds them); server mode's in serving_json.
    for (const Knob& knob : parameters()) {
        if (knob.of_server_mode() || (!knob.always && !spec.sets(knob))) continue;
        // A knob whose default is the host's is stored as no value where none was given: the spec is the same on
        // every host.
        const auto values =
            knob.host_default && !spec.knobs.count(knob.name) ? std::vector<std::string>{} : spec.values_of(knob);
        nlohmann::json list = nlohmann::json::array();
        for (const std::string& value : values) list.push_back(knob.json_of(value));
        // The sweep's own settings as one value each.
        json[std::string(knob.alias.empty() ? knob.name : knob.alias)] = knob.of_run() ? list.at(0) : std::move(list);
    }
    if (spec.shard) json["shard"] = fmt::format("{}/{}", spec.shard->first, spec.shard->second);
    if (spec.adaptive()) {
        json["max_repetitions"] = spec.max_repetitions;
        if (spec.target_ci_pct > 0) json["target_ci"] = spec.target_ci_pct;
        if (!spec.decide.empty()) {
            json["decide"] = spec.decide;
            json["margin"] = spec.margin_pct.value_or(analysis::default_margin_pct);
        }
    }
    if (spec.mode == Mode::server) json.update(serving_json(spec));
    if (spec.engine != Engine::native) {
        json["engine"] = name(spec.engine);
        // One binary as a text, as before several could be given: such a run's key is the same.
        json["llama_bench"] =
            spec.llama_bench.size() == 1 ? nlohmann::json(spec.llama_bench.front()) : nlohmann::json(spec.llama_bench);
        if (!spec.llama_bench_args.empty()) json["llama_bench_args"] = spec.llama_bench_args;
    }
    return json;
}

} // namespace llmsweep::sweep
