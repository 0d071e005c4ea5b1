#include "domain/knobs.hpp"

#include "core/error.hpp"
#include "core/escape.hpp"
#include "core/text.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <regex>

namespace llmsweep::domain {
namespace {

using L = LoadParams;
using C = ContextParams;
using T = TestParams;
using S = ServerParams;
using K = ClientLoad;
using R = RunParams;

// A member's value as canonical text, and back.
template <typename V>
std::string as_text(const V& value) {
    if constexpr (std::is_same_v<V, bool>) return value ? "1" : "0";
    else if constexpr (std::is_same_v<V, int64_t>) return std::to_string(value);
    else if constexpr (std::is_same_v<V, double>) return fmt::format("{}", value);
    else if constexpr (std::is_enum_v<V>) return std::string(name(value));
    else return value;
}

template <typename V>
void from_text(std::string_view text, V& value) {
    if constexpr (std::is_same_v<V, bool>) value = text == "1";
    else if constexpr (std::is_same_v<V, int64_t> || std::is_same_v<V, double>)
        std::from_chars(text.data(), text.data() + text.size(), value);
    else if constexpr (std::is_same_v<V, LoadMode>) value = parse_load_mode(text);
    else if constexpr (std::is_same_v<V, CacheState>) value = parse_cache_state(text);
    else if constexpr (std::is_same_v<V, HugePages>) value = parse_huge_pages(text);
    else value = std::string(text);
}

template <typename Part>
constexpr Knob::Scope scope_of() {
    if constexpr (std::is_same_v<Part, LoadParams>) return Knob::Scope::load;
    else if constexpr (std::is_same_v<Part, ContextParams>) return Knob::Scope::context;
    else if constexpr (std::is_same_v<Part, TestParams>) return Knob::Scope::test;
    else if constexpr (std::is_same_v<Part, ServerParams>) return Knob::Scope::server;
    else if constexpr (std::is_same_v<Part, ClientLoad>) return Knob::Scope::client;
    else return Knob::Scope::run;
}

// The member `field` of the point's `part`: its type and scope, and how it is read and set.
template <auto part, auto field>
Knob::Member member() {
    using Part = std::remove_cvref_t<decltype(std::declval<Point&>().*part)>;
    using V = std::remove_cvref_t<decltype(std::declval<Part&>().*field)>;
    constexpr Knob::Type type = std::is_same_v<V, bool>      ? Knob::Type::boolean
                                : std::is_same_v<V, int64_t> ? Knob::Type::integer
                                : std::is_same_v<V, double>  ? Knob::Type::real
                                                             : Knob::Type::text;
    return {type, scope_of<Part>(), [](const Point& p) { return as_text((p.*part).*field); },
            [](Point& p, std::string_view text) { from_text(text, (p.*part).*field); }};
}

template <auto field>
Knob::Member load() {
    return member<&Point::load, field>();
}
template <auto field>
Knob::Member context() {
    return member<&Point::context, field>();
}
template <auto field>
Knob::Member test() {
    return member<&Point::test, field>();
}
template <auto field>
Knob::Member server() {
    return member<&Point::server, field>();
}
template <auto field>
Knob::Member client() {
    return member<&Point::client, field>();
}
template <auto field>
Knob::Member run() {
    return member<&Point::run, field>();
}

// The pieces of `text` between `separators`, each without its surrounding white space.
std::vector<std::string> trimmed_pieces(std::string_view text, std::string_view separators) {
    std::vector<std::string> pieces = split(text, separators);
    for (std::string& piece : pieces) piece = std::string(trim(piece, " \t"));
    return pieces;
}

// A hex CPU mask as llama-bench takes it (0x prefix optional): lower case, with the prefix.
std::string canonical_cpu_mask(std::string_view text) {
    std::string digits(text.substr(0, 2) == "0x" || text.substr(0, 2) == "0X" ? text.substr(2) : text);
    const bool hex = !digits.empty() && digits.size() <= 128 &&
                     std::all_of(digits.begin(), digits.end(), [](char c) { return std::isxdigit(c) != 0; });
    if (!hex) throw UsageError(fmt::format("--cpu-mask: '{}' is not a hex mask of CPUs (0x3: CPUs 0 and 1)", text));
    for (char& c : digits) c = static_cast<char>(std::tolower(c));
    return "0x" + digits;
}

template <size_t N>
std::string one_of(std::string_view text, std::string_view flag, const std::array<std::string_view, N>& names) {
    if (std::find(names.begin(), names.end(), text) != names.end()) return std::string(text);
    throw UsageError(fmt::format("{}: unknown value '{}'; choose from {}", flag, text, fmt::join(names, ", ")));
}

std::string canonical_split_mode(std::string_view text) {
    return one_of(text, "--split-mode", std::array<std::string_view, 4>{"none", "layer", "row", "tensor"});
}
std::string canonical_lazy_mode(std::string_view text) {
    return one_of(text, "--lazy-mode", std::array<std::string_view, 3>{"off", "auto", "on"});
}
// An mmproj file as given ("none" for none); that it is an mmproj GGUF the spec's validation checks.
std::string canonical_mmproj(std::string_view text) {
    const std::string path(trim(text, " \t"));
    return path == "none" ? std::string() : path;
}
// An image file as given; that it is a readable file of a bounded size the spec's validation checks.
std::string canonical_image(std::string_view text) { return std::string(trim(text, " \t")); }
// --prio: a plain number (-1 is a value here, not the start of a range).
std::string canonical_prio(std::string_view text) {
    int value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value < -1 || value > 3)
        throw UsageError(fmt::format("--prio: '{}' is not one of -1, 0, 1, 2, 3", escape::terminal(text)));
    return std::to_string(value);
}
std::string canonical_numa(std::string_view text) {
    return one_of(text, "--numa", std::array<std::string_view, 4>{"disabled", "distribute", "isolate", "numactl"});
}
// --rpc: HOST:PORT servers joined by ','.
std::string canonical_rpc(std::string_view text) {
    std::vector<std::string> servers;
    for (std::string& server : trimmed_pieces(text, ",")) {
        const size_t colon = server.rfind(':');
        const bool port = colon != std::string::npos && colon > 0 && colon + 1 < server.size() &&
                          server.find_first_not_of("0123456789", colon + 1) == std::string::npos;
        if (!port)
            throw UsageError(fmt::format("--rpc: '{}' is not HOST:PORT (127.0.0.1:50052)", escape::terminal(server)));
        servers.push_back(std::move(server));
    }
    return fmt::format("{}", fmt::join(servers, ","));
}
std::string canonical_load_mode(std::string_view text) { return std::string(name(parse_load_mode(text))); }
std::string canonical_cache_state(std::string_view text) { return std::string(name(parse_cache_state(text))); }
std::string canonical_huge_pages(std::string_view text) { return std::string(name(parse_huge_pages(text))); }
std::string canonical_prompt_dist(std::string_view text) { return parse_lengths(text, "--prompt-dist", 1).text(); }
std::string canonical_gen_dist(std::string_view text) { return parse_lengths(text, "--gen-dist", 1).text(); }

// The settings llmsweep had from its start first (their key tags in this order), then the others in llama-bench's
// order of its fields; the later ones' key tags in the order they joined (older keys stay the same).
// clang-format off
const std::vector<Knob>& all_knobs() {
    static const std::vector<Knob> table = {
        // How the model is read, and the page cache before the load: the first of every point's key.
        {.name = param::load_mode, .flag = "-lm", .field = "load_mode", .key_tag = "load_mode",
         .help = "How llama.cpp reads the model: auto (mmap where every device can map the file, as llama-bench), "
                 "none, mmap, mlock, mmap+mlock, dio",
         .plural = "load modes", .member = load<&L::load_mode>(), .canonical = canonical_load_mode, .always = true,
         .order = "auto,none,mmap,mlock,mmap+mlock,dio", .per_load = true,
         .effective_help = "The load mode llama.cpp used: `auto` resolved to `mmap` or `none`; NULL where unknown "
                           "(older runs, imports of GPU builds)."},
        {.name = param::cache_state, .flag = "--cache", .key_tag = "cache", .alias = "cache",
         .help = "Page cache before each load: warm, or cold (the model file's pages evicted)",
         .plural = "cache states", .member = load<&L::cache_state>(), .canonical = canonical_cache_state,
         .any_engine = true, .always = true, .order = "warm,cold", .per_load = true},
        {.name = param::n_gpu_layers, .flag = "-ngl", .field = "n_gpu_layers", .server_flag = "-ngl", .key_tag = "ngl",
         .help = "Layers offloaded to the GPU (-1: all, as llama-bench; 99 means all too)",
         .plural = "GPU layer counts", .member = load<&L::n_gpu_layers>(), .min = -1, .max = 1000000, .always = true,
         .per_load = true,
         .effective_help = "The layers offloaded as llama.cpp counts them: -1 for all (a negative value, or n_layer + 1 "
                           "or more); NULL where unknown."},
        {.name = param::n_threads, .flag = "-t", .field = "n_threads", .server_flag = "-t", .key_tag = "threads",
         .alias = "threads", .help = "CPU threads", .plural = "thread counts", .member = context<&C::threads>(),
         .min = 1, .max = 4096, .host_default = true, .always = true},
        {.name = "n_batch", .flag = "-b", .field = "n_batch", .server_flag = "-b", .key_tag = "n_batch",
         .help = "Logical batch size", .plural = "batch sizes", .member = context<&C::n_batch>(), .min = 1, .max = max_tokens,
         .always = true},
        {.name = param::n_ubatch, .flag = "-ub", .field = "n_ubatch", .server_flag = "-ub", .key_tag = "n_ubatch",
         .help = "Physical batch size", .plural = "ubatch sizes", .member = context<&C::n_ubatch>(), .min = 1,
         .max = max_tokens, .always = true},
        {.name = param::type_k, .flag = "-ctk", .field = "type_k", .server_flag = "-ctk", .key_tag = "type_k",
         .help = "KV cache type of K: f16, q8_0, ...", .plural = "K cache types", .member = context<&C::type_k>(),
         .canonical = canonical_cache_type, .always = true},
        {.name = param::type_v, .flag = "-ctv", .field = "type_v", .server_flag = "-ctv", .key_tag = "type_v",
         .help = "KV cache type of V", .plural = "V cache types", .member = context<&C::type_v>(),
         .canonical = canonical_cache_type, .always = true},
        {.name = "flash_attn", .flag = "-fa", .field = "flash_attn", .server_flag = "-fa", .key_tag = "fa",
         .help = "Flash attention: on, off, auto, 1, 0", .plural = "flash attention settings",
         .member = context<&C::flash_attn>(), .canonical = parse_flash_attn, .always = true,
         .llama_bench_sql = "CASE r.flash_attn WHEN 'on' THEN 1 WHEN 'off' THEN 0 ELSE -1 END", .order = "off,on,auto"},
        {.name = param::huge_pages, .flag = "--huge-pages", .key_tag = "huge_pages",
         .help = "Huge pages for the worker's memory: auto (as the kernel's THP mode and the page cache give them, "
                 "as llama-bench), off (none), on (as many as the kernel allows)",
         .plural = "huge-page settings", .member = load<&L::huge_pages>(), .canonical = canonical_huge_pages,
         .since = 4, .order = "auto,off,on", .per_load = true},
        {.name = "no_kv_offload", .flag = "-nkvo", .field = "no_kv_offload", .server_flag = "-nkvo",
         .key_tag = "nkvo", .help = "0,1: keep the KV cache in host memory, not on the GPU",
         .plural = "KV offload settings", .member = context<&C::no_kv_offload>(), .since = 5},
        {.name = "embeddings", .flag = "-embd", .field = "embeddings", .server_flag = "--embeddings",
         .key_tag = "embd", .help = "0,1: the context computes embeddings", .plural = "embeddings settings",
         .member = context<&C::embeddings>(), .since = 5},
        {.name = "cpu_mask", .flag = "-C", .field = "cpu_mask", .server_flag = "-C", .key_tag = "cpu_mask",
         .help = "CPUs the threads may run on, a hex mask (0x0: any)", .plural = "CPU masks", .member = context<&C::cpu_mask>(),
         .canonical = canonical_cpu_mask, .since = 5},
        {.name = "cpu_strict", .flag = "--cpu-strict", .field = "cpu_strict", .server_flag = "--cpu-strict",
         .key_tag = "cpu_strict", .help = "0,1: one thread per CPU of the mask, in order",
         .plural = "CPU strictness settings", .member = context<&C::cpu_strict>(), .since = 5},
        {.name = "poll", .flag = "--poll", .field = "poll", .server_flag = "--poll", .key_tag = "poll",
         .help = "How much the threads spin-wait for work, 0-100", .plural = "polling levels", .member = context<&C::poll>(),
         .min = 0, .max = 100, .since = 5},
        {.name = param::no_op_offload, .flag = "-nopo", .field = "no_op_offload", .server_flag = "--no-op-offload",
         .key_tag = "nopo", .help = "0,1: host tensor operations stay on the host", .plural = "op offload settings",
         .member = context<&C::no_op_offload>(), .since = 5},
        {.name = "split_mode", .flag = "-sm", .field = "split_mode", .server_flag = "-sm", .key_tag = "sm",
         .help = "How the model is split over devices: none, layer, row, tensor", .plural = "split modes",
         .member = load<&L::split_mode>(), .canonical = canonical_split_mode, .since = 5},
        {.name = "main_gpu", .flag = "-mg", .field = "main_gpu", .server_flag = "-mg", .key_tag = "mg",
         .help = "The device of split mode none", .plural = "main GPUs", .member = load<&L::main_gpu>(), .min = 0,
         .max = 1024, .since = 5},
        {.name = "no_host", .flag = "--no-host", .field = "no_host", .server_flag = "--no-host", .key_tag = "no_host",
         .help = "0,1: bypass host buffers", .plural = "host buffer settings", .member = load<&L::no_host>(), .since = 5},
        {.name = "lazy_mode", .flag = "-lzm", .field = "lazy_mode", .server_flag = "-lzm", .key_tag = "lzm",
         .help = "Tensors read on demand: off, auto, on", .plural = "lazy modes", .member = load<&L::lazy_mode>(),
         .canonical = canonical_lazy_mode, .since = 5},
        {.name = "n_cpu_moe", .flag = "-ncmoe", .field = "n_cpu_moe", .server_flag = "-ncmoe", .key_tag = "ncmoe",
         .help = "MoE models: keep the expert tensors of the first N layers on the CPU",
         .plural = "MoE CPU layer counts", .member = load<&L::n_cpu_moe>(), .min = 0, .max = 100000, .since = 5},
        {.name = "devices", .flag = "-dev", .field = "devices", .server_flag = "-dev", .key_tag = "dev",
         .help = "Devices to use: auto, none, or names joined by '/' (CUDA0/CUDA1; llama-bench --list-devices names "
                 "them)",
         .plural = "device lists", .member = load<&L::devices>(), .canonical = canonical_devices, .separator = '/',
         .server_separator = ',', .since = 6},
        {.name = "tensor_split", .flag = "-ts", .field = "tensor_split", .server_flag = "-ts", .key_tag = "ts",
         .help = "How much of the model each device takes, proportions joined by '/' (3/1)",
         .plural = "tensor splits", .member = load<&L::tensor_split>(), .canonical = canonical_tensor_split,
         .separator = '/', .server_separator = ',', .since = 6},
        {.name = "override_tensor", .flag = "-ot", .field = "tensor_buft_overrides", .server_flag = "-ot",
         .key_tag = "ot",
         .help = "Tensors whose names match a regular expression go to a buffer type: PATTERN=TYPE, several joined "
                 "by ';' (ffn_.*_exps=CPU)",
         .plural = "tensor overrides", .member = load<&L::override_tensor>(), .canonical = canonical_overrides,
         .separator = ';', .server_separator = ',', .since = 6},
        {.name = "fit_target", .flag = "-fitt", .field = "fit_target", .server_flag = "-fitt", .key_tag = "fitt",
         .help = "Fit the layers and context to free device memory, leaving this many MiB free (0: no fitting)",
         .plural = "fit targets", .member = load<&L::fit_target>(), .min = 0, .max = 1 << 30, .native = false, .since = 6},
        {.name = "fit_min_ctx", .flag = "-fitc", .field = "fit_min_ctx", .server_flag = "-fitc", .key_tag = "fitc",
         .help = "When fitting, the least context size to keep (0: the test's)", .plural = "fit context sizes",
         .member = load<&L::fit_min_ctx>(), .min = 0, .max = 1 << 30, .native = false, .since = 6},
        {.name = "no_repack", .flag = "-nr", .server_flag = "-nr", .key_tag = "nr",
         .help = "0,1: keep the weights as the file has them, not repacked for this CPU's kernels",
         .plural = "repack settings", .member = load<&L::no_repack>(), .since = 9},
        // The test sizes, combined by the mode: the last of every point's key but server mode's.
        {.name = param::n_prompt, .flag = "-p", .field = "n_prompt", .key_tag = "n_prompt", .help = "Prompt tokens",
         .plural = "prompt sizes", .member = test<&T::n_prompt>(), .min = 0, .max = max_tokens, .always = true,
         .combination = Knob::Combination::test_size, .sweep_default = "512", .llama_bench_sql = "CASE r.metric WHEN 'tg' THEN 0 ELSE r.n_prompt END"},
        {.name = param::n_gen, .flag = "-n", .field = "n_gen", .key_tag = "n_gen", .help = "Generated tokens",
         .plural = "generation sizes", .member = test<&T::n_gen>(), .min = 0, .max = max_tokens, .always = true,
         .combination = Knob::Combination::test_size, .sweep_default = "128", .llama_bench_sql = "CASE r.metric WHEN 'pp' THEN 0 ELSE r.n_gen END"},
        {.name = param::n_depth, .flag = "-d", .field = "n_depth", .key_tag = "n_depth",
         .help = "Tokens already in the context before the test", .plural = "depths", .member = test<&T::n_depth>(),
         .min = 0, .max = max_tokens, .always = true,
         .combination = Knob::Combination::test_size,
         .llama_bench_sql = "CASE WHEN r.metric = 'tg' AND r.mode = 'request' THEN r.n_depth + r.n_prompt ELSE "
                            "r.n_depth END"},
        // A vision-language model's: its mmproj file (the vision tower and connector, llama.cpp's --mmproj), where it
        // runs, and the image each request begins with.
        {.name = param::mmproj, .flag = "--mmproj", .server_flag = "--mmproj", .key_tag = "mmproj",
         .help = "A vision-language model's mmproj file (its vision tower), loaded with the model; none: text only",
         .plural = "mmproj files", .member = load<&L::mmproj>(), .canonical = canonical_mmproj, .since = 11},
        {.name = "no_mmproj_offload", .flag = "--no-mmproj-offload", .server_flag = "--no-mmproj-offload",
         .key_tag = "nmo", .help = "0,1: the vision tower stays on the CPU, not on the GPU",
         .plural = "mmproj offload settings", .member = load<&L::no_mmproj_offload>(), .since = 11},
        {.name = param::image_size, .flag = "--image-size", .key_tag = "image_size",
         .help = "Each request begins with a synthetic image of N x N pixels, encoded through --mmproj's vision "
                 "tower (0: none)",
         .plural = "image sizes", .member = test<&T::image_size>(), .min = 0, .max = 8192, .since = 11},
        {.name = param::image, .flag = "--image", .key_tag = "image",
         .help = "Each request begins with this image file (PNG, JPEG, BMP, GIF, ...), encoded through --mmproj's "
                 "vision tower, instead of a synthetic one",
         .plural = "image files", .member = test<&T::image>(), .canonical = canonical_image, .since = 11},
        {.name = param::images, .flag = "--images", .key_tag = "images",
         .help = "Images each request begins with (--image-size's or --image's, each with pixels of its own), "
                 "encoded and prefilled one after another",
         .plural = "image counts", .member = test<&T::images>(), .min = 1, .max = 64, .since = 12},
        // Server mode's: llama-server's own settings (one server each), then the requests its clients send.
        {.name = "parallel", .flag = "-np", .server_flag = "-np", .key_tag = "np",
         .help = "Server mode: llama-server's slots (-1: its auto, 4 slots)", .plural = "server slot counts",
         .member = server<&S::parallel>(), .min = -1, .max = 4096, .since = 7},
        {.name = "ctx_size", .flag = "-c", .server_flag = "-c", .key_tag = "c",
         .help = "Server mode: llama-server's context over all slots (0: the model's)", .plural = "server contexts",
         .member = server<&S::ctx_size>(), .min = 0, .max = max_tokens * 16, .since = 7},
        {.name = "cont_batching", .flag = "-cb", .server_flag = "-cb", .key_tag = "cb",
         .help = "Server mode: 0,1: continuous batching, new requests joining the running batch",
         .plural = "batching settings", .member = server<&S::cont_batching>(), .since = 7},
        {.name = "cache_reuse", .flag = "--cache-reuse", .server_flag = "--cache-reuse", .key_tag = "cache_reuse",
         .help = "Server mode: the least chunk of a cached prompt reused by shifting (0: off)",
         .plural = "cache reuse settings", .member = server<&S::cache_reuse>(), .min = 0, .max = max_tokens,
         .since = 7},
        {.name = param::concurrency, .flag = "--concurrency", .key_tag = "concurrency",
         .help = "Server mode: closed-loop clients, each sending its next request when the last ends (1,2,4,8 or "
                 "1-8*2 for a sweep); an open loop has 0",
         .plural = "client counts", .member = client<&K::concurrency>(), .min = 1, .max = 4096, .always = true,
         .combination = Knob::Combination::client_loop, .since = 7},
        {.name = param::rate, .flag = "--rate", .key_tag = "rate",
         .help = "Server mode: open-loop requests per second, arriving as a seeded Poisson process (0.5,1,2); a "
                 "closed loop has 0",
         .plural = "request rates", .member = client<&K::rate>(), .always = true,
         .combination = Knob::Combination::client_loop, .since = 7},
        {.name = "shared_prefix", .flag = "--shared-prefix", .key_tag = "prefix",
         .help = "Server mode: tokens every prompt of a point begins with, of its -p", .plural = "shared prefixes",
         .member = client<&K::shared_prefix>(), .min = 0, .max = max_tokens, .since = 7},
        {.name = "cache_prompt", .flag = "--cache-prompt", .key_tag = "cache_prompt",
         .help = "Server mode: 0,1: requests let the server reuse a slot's cached prompt",
         .plural = "cache_prompt settings", .member = client<&K::cache_prompt>(), .since = 7},
        {.name = "prompt_dist", .flag = "--prompt-dist", .key_tag = "prompt_dist",
         .help = "Server mode: prompt lengths drawn per request instead of -p, uniform:LO-HI (n_prompt is their mean)",
         .plural = "prompt distributions", .member = client<&K::prompt_dist>(), .canonical = canonical_prompt_dist,
         .since = 7},
        {.name = "gen_dist", .flag = "--gen-dist", .key_tag = "gen_dist",
         .help = "Server mode: output lengths drawn per request instead of -n, uniform:LO-HI (n_gen is their mean)",
         .plural = "output distributions", .member = client<&K::gen_dist>(), .canonical = canonical_gen_dist,
         .since = 7},
        // The sweep's own, one value each: how its processes run (llama-bench's and llama-server's alike).
        {.name = "prio", .flag = "--prio", .help = "Priority of the threads: -1 low, 0 normal, 1 medium, 2 high, 3 realtime",
         .member = run<&R::prio>(), .min = -1, .max = 3, .canonical = canonical_prio},
        {.name = "delay", .flag = "--delay", .help = "Seconds to cool off before each test (a point's repetitions), untimed",
         .member = run<&R::delay>(), .min = 0, .max = 3600},
        {.name = "numa", .flag = "--numa", .server_flag = "--numa",
         .help = "NUMA placement of the threads and memory: disabled, distribute, isolate, numactl",
         .member = run<&R::numa>(), .canonical = canonical_numa},
        {.name = "rpc", .flag = "-rpc", .server_flag = "--rpc",
         .help = "RPC servers (llama.cpp's rpc-server) whose devices join the local ones, host:port, comma-separated; "
                 "the sweep's load settings then place layers on them (-ngl, -sm, -ts, -dev RPC0/...)",
         .member = run<&R::rpc>(), .canonical = canonical_rpc},
    };
    return table;
}
// clang-format on

} // namespace

std::string canonical_devices(std::string_view value) {
    const std::string text(trim(value, " \t"));
    if (text == "auto" || text == "none") return text;
    const auto names = trimmed_pieces(text, "/");
    for (const std::string& name : names)
        if (name.empty() || name == "auto" || name == "none")
            throw UsageError(fmt::format("--devices: '{}' is not auto, none, or device names joined by '/' "
                                         "(CUDA0/CUDA1)",
                                         value));
    return fmt::format("{}", fmt::join(names, "/"));
}

std::string canonical_tensor_split(std::string_view value) {
    std::vector<double> shares;
    for (const std::string& part : trimmed_pieces(value, ";/")) {
        double share = -1;
        const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), share);
        if (part.empty() || ec != std::errc() || end != part.data() + part.size() || !(share >= 0) ||
            !std::isfinite(share))
            throw UsageError(fmt::format("--tensor-split: '{}' is not proportions joined by '/' (3/1: three quarters "
                                         "on the first device)",
                                         value));
        shares.push_back(share);
    }
    if (shares.size() > 128)
        throw UsageError(fmt::format("--tensor-split: '{}' names more devices than llama.cpp has", value));
    while (shares.size() > 1 && shares.back() == 0) shares.pop_back();
    std::vector<std::string> parts;
    for (double share : shares) parts.push_back(fmt::format("{:.2f}", share));
    return fmt::format("{}", fmt::join(parts, "/"));
}

std::string canonical_overrides(std::string_view value) {
    const std::string text(trim(value, " \t"));
    if (text == "none") return text;
    std::vector<std::string> overrides;
    for (const std::string& item : trimmed_pieces(text, ";")) {
        const size_t equals = item.rfind('=');
        if (equals == std::string::npos || equals == 0 || equals + 1 == item.size())
            throw UsageError(fmt::format("--override-tensor: '{}' is not PATTERN=BUFFER_TYPE (ffn_.*_exps=CPU)", item));
        const std::string pattern = item.substr(0, equals);
        try {
            std::regex check(pattern);
        } catch (const std::regex_error& e) {
            throw UsageError(
                fmt::format("--override-tensor: '{}' is not a regular expression ({})", pattern, e.what()));
        }
        overrides.push_back(item);
    }
    return fmt::format("{}", fmt::join(overrides, ";"));
}

std::string Knob::origin() const {
    if (of_llama_bench() || of_run()) return fmt::format("llama-bench {}", flag);
    if (!server_flag.empty()) return fmt::format("llama-server {}", server_flag);
    return "llmsweep";
}

std::string Knob::default_text() const { return sweep_default.empty() ? text(Point{}) : std::string(sweep_default); }

std::string Knob::default_help() const { return host_default ? "the physical cores" : default_text(); }

nlohmann::json Knob::json_of(std::string_view value) const {
    switch (type()) {
    case Type::integer: {
        int64_t x = 0;
        std::from_chars(value.data(), value.data() + value.size(), x);
        return x;
    }
    case Type::boolean: return value == "1";
    case Type::real: return std::strtod(std::string(value).c_str(), nullptr);
    case Type::text: return std::string(value);
    }
    return nullptr;
}

nlohmann::json Knob::json(const Point& point) const { return json_of(text(point)); }

std::variant<int64_t, double, std::string> Knob::column(const Point& point) const {
    const std::string value = text(point);
    if (type() == Type::text) return value;
    if (type() == Type::real) return std::strtod(value.c_str(), nullptr);
    int64_t x = 0;
    std::from_chars(value.data(), value.data() + value.size(), x);
    return x;
}

const std::vector<Knob>& knobs() {
    static const std::vector<Knob> product = [] {
        std::vector<Knob> rows;
        std::copy_if(all_knobs().begin(), all_knobs().end(), std::back_inserter(rows),
                     [](const Knob& k) { return k.combination == Knob::Combination::product && !k.of_run(); });
        return rows;
    }();
    return product;
}

const std::vector<Knob>& parameters() { return all_knobs(); }

const Knob* find_knob(std::string_view name) {
    const Knob* knob = find_parameter(name);
    return knob && knob->combination == Knob::Combination::product && !knob->of_run() ? knob : nullptr;
}

const Knob* find_parameter(std::string_view name) {
    for (const Knob& knob : all_knobs())
        if (knob.name == name) return &knob;
    return nullptr;
}

} // namespace llmsweep::domain
