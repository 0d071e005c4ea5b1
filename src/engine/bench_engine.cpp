#include "engine/bench_engine.hpp"

#include "core/error.hpp"
#include "engine/memory_map.hpp"
#include "engine/page_cache.hpp"
#include "engine/placement.hpp"
#include "stats/descriptive.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sys/resource.h>
#include <vector>

namespace llmsweep::engine {
namespace {

using Clock = std::chrono::steady_clock;

int64_t ns_since(Clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
}

uint64_t current_rss_bytes() {
    std::ifstream statm("/proc/self/statm");
    uint64_t pages_total = 0, pages_resident = 0;
    statm >> pages_total >> pages_resident;
    return pages_resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

// The page faults this process has taken without reading a file: first touches of memory, above all.
int64_t minor_faults() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_minflt;
}

llama_load_mode to_llama(domain::LoadMode mode) {
    switch (mode) {
    case domain::LoadMode::automatic: return LLAMA_LOAD_MODE_AUTO;
    case domain::LoadMode::none: return LLAMA_LOAD_MODE_NONE;
    case domain::LoadMode::mmap_mlock: return LLAMA_LOAD_MODE_MMAP_MLOCK;
    case domain::LoadMode::mmap: return LLAMA_LOAD_MODE_MMAP;
    case domain::LoadMode::mlock: return LLAMA_LOAD_MODE_MLOCK;
    case domain::LoadMode::dio: return LLAMA_LOAD_MODE_DIRECT_IO;
    }
    return LLAMA_LOAD_MODE_MMAP;
}

ggml_type cache_type(const std::string& name) {
    for (int t = 0; t < GGML_TYPE_COUNT; ++t) {
        const char* type_name = ggml_type_name(static_cast<ggml_type>(t));
        if (type_name && name == type_name) return static_cast<ggml_type>(t);
    }
    throw Error(fmt::format("unknown KV cache type '{}'", name));
}

llama_split_mode split_mode(const std::string& value) {
    if (value == "none") return LLAMA_SPLIT_MODE_NONE;
    if (value == "row") return LLAMA_SPLIT_MODE_ROW;
    if (value == "tensor") return LLAMA_SPLIT_MODE_TENSOR;
    return LLAMA_SPLIT_MODE_LAYER;
}

llama_lazy_mode lazy_mode(const std::string& value) {
    if (value == "on") return LLAMA_LAZY_MODE_ON;
    if (value == "off") return LLAMA_LAZY_MODE_OFF;
    return LLAMA_LAZY_MODE_AUTO;
}

llama_flash_attn_type flash_attn(const std::string& value) {
    if (value == "on") return LLAMA_FLASH_ATTN_TYPE_ENABLED;
    if (value == "off") return LLAMA_FLASH_ATTN_TYPE_DISABLED;
    return LLAMA_FLASH_ATTN_TYPE_AUTO;
}

// Feeds random tokens as llama-bench does, seeded per repetition so that reruns feed the same tokens.
class TokenSource {
public:
    TokenSource(const llama_model* model, uint64_t seed)
        : vocab_(llama_model_get_vocab(model)), rng_(seed), pick_(0, llama_vocab_n_tokens(vocab_) - 1) {}

    llama_token next() { return pick_(rng_); }
    llama_token first() { return llama_vocab_get_add_bos(vocab_) ? llama_vocab_bos(vocab_) : next(); }

private:
    const llama_vocab* vocab_;
    std::mt19937 rng_;
    std::uniform_int_distribution<llama_token> pick_;
};

void decode(llama_context* ctx, std::vector<llama_token>& tokens, int32_t n) {
    const int rc = llama_decode(ctx, llama_batch_get_one(tokens.data(), n));
    if (rc != 0) {
        const std::string why = last_llama_error();
        throw Error(fmt::format("llama_decode failed with code {}{}{}", rc, why.empty() ? "" : ": ", why));
    }
}

// Processes n tokens in batches of n_batch, the first being BOS when `from_start`.
void process_prompt(llama_context* ctx, TokenSource& tokens, int64_t n, int64_t n_batch, bool from_start) {
    std::vector<llama_token> batch(static_cast<size_t>(std::min(n, n_batch)));
    for (int64_t done = 0; done < n;) {
        const auto count = static_cast<int32_t>(std::min(n - done, n_batch));
        for (int32_t i = 0; i < count; ++i)
            batch[i] = (from_start && done == 0 && i == 0) ? tokens.first() : tokens.next();
        decode(ctx, batch, count);
        done += count;
    }
    llama_synchronize(ctx);
}

// Generates n tokens one at a time, returning each step's time.
std::vector<int64_t> generate(llama_context* ctx, TokenSource& tokens, int64_t n, bool from_start) {
    std::vector<int64_t> step_ns;
    step_ns.reserve(static_cast<size_t>(n));
    std::vector<llama_token> token(1, from_start ? tokens.first() : tokens.next());
    for (int64_t i = 0; i < n; ++i) {
        const auto start = Clock::now();
        decode(ctx, token, 1);
        llama_synchronize(ctx);
        step_ns.push_back(ns_since(start));
        token[0] = tokens.next();
    }
    return step_ns;
}

} // namespace

LoadOutcome BenchEngine::load(const LoadRequest& request) {
    init_llama();
    const domain::LoadParams& params = request.params;
    set_up_process(request.numa, request.rpc);
    context_.reset();
    vision_.reset();
    first_image_done_ = false;
    pending_mmproj_load_ms_.reset();
    pending_mmproj_rss_bytes_.reset();
    pending_first_image_.reset();
    model_.reset();

    LoadOutcome outcome;
    std::error_code ec;
    outcome.file_bytes = std::filesystem::file_size(params.model, ec);
    using domain::HugePages;
    if (params.huge_pages == HugePages::off) disable_huge_pages();
    if (params.cache_state == domain::CacheState::cold) {
        // The load reads the file afresh, into large folios where the kernel makes them.
        evict_from_page_cache(params.model);
        outcome.resident_before_bytes = resident_bytes(params.model);
        outcome.cache_evicted = outcome.resident_before_bytes == 0;
    } else {
        if (params.huge_pages == HugePages::on) reread_into_large_folios(params.model);
        else warm_page_cache(params.model);
        outcome.resident_before_bytes = resident_bytes(params.model);
    }

    llama_model_params mparams = llama_model_default_params();
    mparams.load_mode = to_llama(params.load_mode);
    mparams.n_gpu_layers = static_cast<int32_t>(params.n_gpu_layers);
    mparams.split_mode = split_mode(params.split_mode);
    mparams.main_gpu = static_cast<int32_t>(params.main_gpu);
    mparams.no_host = params.no_host;
    mparams.use_extra_bufts = !params.no_repack;
    mparams.lazy_mode = lazy_mode(params.lazy_mode);
    const Placement placement(params);
    placement.apply(mparams);

    rusage before{}, after{};
    getrusage(RUSAGE_SELF, &before);
    const auto start = Clock::now();
    model_ = load_model(params.model, mparams);
    outcome.load_ms = static_cast<double>(ns_since(start)) / 1e6;
    getrusage(RUSAGE_SELF, &after);

    outcome.major_faults = after.ru_majflt - before.ru_majflt;
    outcome.minor_faults = after.ru_minflt - before.ru_minflt;
    load_params_ = params;
    on_gpu_ = uses_gpu(params);
    cpu_only_ = only_cpu_devices();
    if (params.huge_pages == HugePages::on) collapse_into_huge_pages(params.model);
    outcome.rss_after_load_bytes = current_rss_bytes();
    outcome.mapping = mapping_state();
    outcome.thp_mode = transparent_huge_pages_mode();
    outcome.model_buffers_mib = last_model_buffers();
    char description[256] = {};
    llama_model_desc(model_.get(), description, sizeof description);
    outcome.model_type = description;
    outcome.model_size = llama_model_size(model_.get());
    outcome.model_n_params = llama_model_n_params(model_.get());
    outcome.effective_load_mode = effective_load_mode(params);
    outcome.n_layer = llama_model_n_layer(model_.get());
    return outcome;
}

Vision& BenchEngine::vision(int64_t threads) {
    if (load_params_.mmproj.empty())
        throw Error("a test with an image (--image-size, --image) needs the model's vision tower: give its mmproj "
                    "with --mmproj");
    if (!vision_ || vision_->threads() != threads) {
        const bool first = !vision_;
        vision_.reset();
        // The resident memory the mmproj added: its weights (llama.cpp's clip reads them into buffers, whatever
        // the model's load mode) and its warm-up's compute buffers.
        const uint64_t before = current_rss_bytes();
        vision_ = std::make_unique<Vision>(load_params_.mmproj, model_.get(), static_cast<int>(threads),
                                           load_params_.no_mmproj_offload);
        if (first) {
            pending_mmproj_load_ms_ = vision_->load_ms();
            pending_mmproj_rss_bytes_ =
                std::max<int64_t>(0, static_cast<int64_t>(current_rss_bytes()) - static_cast<int64_t>(before));
        }
    }
    return *vision_;
}

ImageTimes BenchEngine::feed_image(int64_t threads, const domain::TestParams& test, uint64_t seed, int64_t n_batch) {
    ImageTimes all;
    int64_t n_past = 0;
    for (int64_t i = 0; i < test.images; ++i) {
        const ImageTimes one =
            vision(threads).feed(context_.get(), {test.image_size, test.image},
                                 seed + static_cast<uint64_t>(i) * 0x9E3779B97F4A7C15ull, n_batch, n_past);
        if (!first_image_done_) pending_first_image_ = one; // the vision tower's first encode in this process
        first_image_done_ = true;
        all.encode_ns += one.encode_ns;
        all.prefill_ns += one.prefill_ns;
        all.tokens += one.tokens;
        all.slices += one.slices;
    }
    return all;
}

void BenchEngine::prepare_context(const RunRequest& request) {
    const auto& own = request.test;
    // The images first take the positions their slices and markers need.
    const int64_t image =
        own.has_image() ? own.images * vision(request.context.threads).positions_of({own.image_size, own.image}) : 0;
    const int64_t n_ctx = std::max<int64_t>(
        std::max(image + own.n_depth + own.n_prompt + own.n_gen, request.shared_n_ctx.value_or(0)), 1);
    if (context_ && context_params_ == request.context && context_n_ctx_ == n_ctx && context_prio_ == request.prio)
        return;

    context_.reset();
    llama_context_params cparams = llama_context_default_params();
    cparams.n_ctx = static_cast<uint32_t>(n_ctx);
    cparams.n_batch = static_cast<uint32_t>(request.context.n_batch);
    cparams.n_ubatch = static_cast<uint32_t>(request.context.n_ubatch);
    cparams.type_k = cache_type(request.context.type_k);
    cparams.type_v = cache_type(request.context.type_v);
    cparams.flash_attn_type = flash_attn(request.context.flash_attn);
    cparams.offload_kqv = !request.context.no_kv_offload;
    cparams.embeddings = request.context.embeddings;
    cparams.op_offload = !request.context.no_op_offload;
    cparams.n_threads = cparams.n_threads_batch = static_cast<int32_t>(request.context.threads);
    cparams.swa_full = false;
    context_ = new_context(model_.get(), cparams);
    threadpool_ = new_threadpool({static_cast<int>(request.context.threads), request.context.cpu_mask,
                                  request.context.cpu_strict, static_cast<int>(request.context.poll), request.prio});
    if (threadpool_) llama_attach_threadpool(context_.get(), threadpool_.get(), nullptr);
    context_params_ = request.context;
    context_prio_ = request.prio;
    context_n_ctx_ = n_ctx;
    // The new context's KV cache and compute buffers join the weights on huge pages.
    if (load_params_.huge_pages == domain::HugePages::on) collapse_into_huge_pages(load_params_.model);

    // Warm-up on every new context, as llama-bench does before its repetitions: the test's shape, or the largest
    // of the tests that share the context. On a GPU, twice each: ggml-cuda runs a graph directly on its first
    // call, captures it as a CUDA graph on the second and replays it from the third, and the capture made the
    // first timed pp512 after one warm-up half as fast as the rest (measured on an H200, docs/benchmarks.md).
    const domain::TestParams& t = request.shared_warmup ? *request.shared_warmup : own;
    const uint64_t seed = request.seed ^ 0x9E3779B97F4A7C15ull;
    const int64_t warmups = request.warmup * (on_gpu_ ? 2 : 1);
    const bool one_ubatch = t.n_prompt <= std::min(request.context.n_batch, request.context.n_ubatch);
    for (int64_t w = 0; w < warmups; ++w) {
        if (cpu_only_ && !own.has_image() && t.n_prompt > 0 && one_ubatch) {
            warm_up_on_cpu(t, seed);
            continue;
        }
        TokenSource tokens(model_.get(), seed);
        // An image's warm-up encodes one too, as the warm-up runs the test's shape; it is the worker's first image,
        // kept apart (loads.first_image_ms) for backends where the first one is slower.
        if (own.has_image()) feed_image(request.context.threads, own, request.seed, request.context.n_batch);
        if (t.n_prompt > 0)
            process_prompt(context_.get(), tokens, t.n_prompt, request.context.n_batch, !own.has_image());
        if (t.n_gen > 0) generate(context_.get(), tokens, 1, t.n_prompt == 0);
        llama_memory_clear(llama_get_memory(context_.get()), false);
    }
}

namespace {

// Whether the file's metadata gives the model experts. What the file holds is read as text and checked: an
// architecture that is not named (or too long to be a name) or an expert count that is not a whole number counts
// as experts, so that the warm-up keeps its longer span.
bool has_experts(const llama_model* model) {
    char arch[64] = {}, experts[32] = {};
    const int32_t named = llama_model_meta_val_str(model, "general.architecture", arch, sizeof arch);
    if (named <= 0 || named >= static_cast<int32_t>(sizeof arch)) return true;
    const std::string key = std::string(arch) + ".expert_count";
    const int32_t length = llama_model_meta_val_str(model, key.c_str(), experts, sizeof experts);
    if (length < 0) return false; // no such key
    int64_t count = 0;
    const char* end = experts + std::min<size_t>(static_cast<size_t>(length), sizeof experts - 1);
    const auto [stop, error] = std::from_chars(experts, end, count);
    return error != std::errc() || stop != end || count != 0;
}

// How many nodes of the warm-up's prompt in a row must fault in no page before it stops: where every layer computes
// the same graph on the same memory, two layers' nodes (a layer's after the first layer's faults, and one more);
// where layers of another kind may come later, a quarter of the graph, within which a layer that needs memory of
// its own faults again and the prompt runs on. Those are the recurrent and hybrid models (an attention layer every
// few recurrent ones), a sliding window (its layers attend a cache of another size than the global ones), experts
// (dense layers may lead, and routing has buffers of its own) and an encoder.
int64_t quiet_span(const llama_model* model, int64_t nodes) {
    const int64_t layers = llama_model_n_layer(model);
    const bool uniform = layers > 0 && !llama_model_is_recurrent(model) && !llama_model_is_hybrid(model) &&
                         llama_model_n_swa(model) == 0 && !llama_model_has_encoder(model) && !has_experts(model);
    return std::max<int64_t>(uniform ? 2 * ((nodes + layers - 1) / layers) : nodes / 4, 8);
}

} // namespace

// What a warm-up leaves behind for the timed tests is memory that has been touched: the weights' pages mapped, and
// the pages of llama.cpp's compute buffers that a batch of the prompt's size uses, which a batch of fewer tokens
// leaves untouched and the first timed prompt would fault in (about 5 us a page on a virtual machine: 3 % of a
// pp256 after a 32-token warm-up; docs/benchmarks.md). The graph lays its tensors out in the compute buffer layer
// by layer, reusing the first layers' places, so the prompt's graph touches all its pages in its first layers and
// the output's at its end. So on the CPU: a token first, which reads every weight, touches the output's pages
// and tells the graph's size; then the prompt, stopped once enough nodes in a row have faulted in no page
// (quiet_span). The prompt's place in the compute buffer is then as warm as after the whole prompt, for a tenth
// to a third of its time.
void BenchEngine::warm_up_on_cpu(const domain::TestParams& test, uint64_t seed) {
    llama_context* ctx = context_.get();
    TokenSource tokens(model_.get(), seed);
    std::vector<llama_token> batch(1, tokens.first());
    int64_t nodes = 0;
    decode_until(ctx, llama_batch_get_one(batch.data(), 1), [&nodes] { return ++nodes, false; });
    llama_memory_clear(llama_get_memory(ctx), false);

    batch.resize(static_cast<size_t>(test.n_prompt));
    batch[0] = tokens.first();
    for (size_t i = 1; i < batch.size(); ++i) batch[i] = tokens.next();
    const int64_t quiet_for = quiet_span(model_.get(), nodes);
    int64_t faults = minor_faults(), quiet = 0;
    decode_until(ctx, llama_batch_get_one(batch.data(), static_cast<int32_t>(batch.size())), [&] {
        const int64_t now = minor_faults();
        quiet = now == faults ? quiet + 1 : 0;
        faults = now;
        return quiet >= quiet_for;
    });
    llama_memory_clear(llama_get_memory(ctx), false);
}

bool BenchEngine::computes_embeddings() const { return context_ && llama_get_embeddings(context_.get()) != nullptr; }

Measurement BenchEngine::run(const RunRequest& request) {
    if (!model_) throw Error("internal: run before load");
    prepare_context(request);
    llama_context* ctx = context_.get();
    const auto& t = request.test;
    const int64_t n_batch = request.context.n_batch;
    TokenSource tokens(model_.get(), request.seed * 1000003ull + static_cast<uint64_t>(request.repetition));

    llama_memory_clear(llama_get_memory(ctx), false);
    Measurement m;
    // Request mode with an image: the image first (its encode and its tokens' prefill timed apart), then the
    // depth, the prompt and the generation after it.
    if (t.has_image() && request.mode == domain::Mode::request) {
        const ImageTimes image =
            feed_image(request.context.threads, t, request.seed * 1000003ull + request.repetition, n_batch);
        m.image_encode_ns = image.encode_ns;
        m.image_prefill_ns = image.prefill_ns;
        m.image_tokens = image.tokens;
        m.image_slices = image.slices;
    }
    // The worker's first mmproj load and first image, once.
    m.mmproj_load_ms = std::exchange(pending_mmproj_load_ms_, std::nullopt);
    m.mmproj_rss_bytes = std::exchange(pending_mmproj_rss_bytes_, std::nullopt);
    if (const auto first = std::exchange(pending_first_image_, std::nullopt)) {
        m.first_image_ms = static_cast<double>(first->encode_ns) / 1e6;
        m.first_image_tokens = first->tokens;
    }
    if (t.n_depth > 0) process_prompt(ctx, tokens, t.n_depth, n_batch, !t.has_image());
    const bool from_start = t.n_depth == 0 && !t.has_image();

    if (request.mode == domain::Mode::split) {
        const auto start = Clock::now();
        if (t.n_prompt > 0 && t.n_gen > 0) {
            // llama-bench's -pg: the prompt, then the generation, timed as one.
            process_prompt(ctx, tokens, t.n_prompt, n_batch, from_start);
            generate(ctx, tokens, t.n_gen, false);
            m.pg_ns = ns_since(start);
        } else if (t.n_prompt > 0) {
            process_prompt(ctx, tokens, t.n_prompt, n_batch, from_start);
            m.pp_ns = ns_since(start);
        } else {
            generate(ctx, tokens, t.n_gen, from_start);
            m.tg_ns = ns_since(start);
        }
        return m;
    }

    // Request: the prompt, then generation continuing the same sequence. The first token's logits are ready
    // when the prompt is processed, so the time to first token is the prefill time.
    const auto start = Clock::now();
    process_prompt(ctx, tokens, t.n_prompt, n_batch, from_start);
    m.pp_ns = ns_since(start);
    m.ttft_ms = static_cast<double>(*m.pp_ns) / 1e6;
    const std::vector<int64_t> steps = generate(ctx, tokens, t.n_gen, false);
    int64_t total = 0;
    std::vector<double> step_ms;
    for (int64_t ns : steps) {
        total += ns;
        step_ms.push_back(static_cast<double>(ns) / 1e6);
    }
    m.tg_ns = total;
    std::sort(step_ms.begin(), step_ms.end());
    m.itl_p50_ms = stats::quantile_sorted(step_ms, 0.50);
    m.itl_p90_ms = stats::quantile_sorted(step_ms, 0.90);
    m.itl_p99_ms = stats::quantile_sorted(step_ms, 0.99);
    return m;
}

} // namespace llmsweep::engine
