#include "engine/vision.hpp"

#include "domain/image.hpp"

#include "core/error.hpp"
#include "engine/llama_process.hpp"

#include <fmt/format.h>
#if LLMSWEEP_HAS_MTMD
#include <mtmd-helper.h>
#include <mtmd.h>
#endif

#include <chrono>
#include <random>
#include <vector>

namespace llmsweep::engine {
#if LLMSWEEP_HAS_MTMD
namespace {

using Clock = std::chrono::steady_clock;

int64_t nanoseconds_since(Clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
}

struct ChunksFree {
    void operator()(mtmd_input_chunks* chunks) const { mtmd_input_chunks_free(chunks); }
};
using Chunks = std::unique_ptr<mtmd_input_chunks, ChunksFree>;

struct BitmapFree {
    void operator()(mtmd_bitmap* bitmap) const { mtmd_bitmap_free(bitmap); }
};

// A file's image, decoded by llama.cpp's helper (stb_image: PNG, JPEG, BMP, GIF, ...), or a synthetic one.
std::unique_ptr<mtmd_bitmap, BitmapFree> bitmap_of(mtmd_context* ctx, const Vision::Image& image, uint64_t seed) {
    if (!image.file.empty()) {
        const mtmd_helper_bitmap_wrapper read =
            mtmd_helper_bitmap_init_from_file(ctx, image.file.c_str(), false, mtmd_helper_init_opt_default());
        if (read.video_ctx) mtmd_helper_video_free(read.video_ctx);
        std::unique_ptr<mtmd_bitmap, BitmapFree> bitmap(read.bitmap);
        if (!bitmap || mtmd_bitmap_is_audio(bitmap.get()))
            throw Error(fmt::format("'{}' is not an image llama.cpp reads (PNG, JPEG, BMP, GIF, ...), or it is "
                                    "truncated or too large",
                                    image.file));
        return bitmap;
    }
    const std::vector<unsigned char> rgb = domain::synthetic_pixels(image.size, seed);
    std::unique_ptr<mtmd_bitmap, BitmapFree> bitmap(
        mtmd_bitmap_init(static_cast<uint32_t>(image.size), static_cast<uint32_t>(image.size), rgb.data()));
    if (!bitmap) throw Error(fmt::format("mtmd cannot hold an image of {} x {} pixels", image.size, image.size));
    return bitmap;
}

// The image's chunks: its markers as text, and each slice as an image chunk.
Chunks tokenize(mtmd_context* ctx, const Vision::Image& image, uint64_t seed) {
    const std::unique_ptr<mtmd_bitmap, BitmapFree> bitmap = bitmap_of(ctx, image, seed);
    Chunks chunks(mtmd_input_chunks_init());
    const std::string marker = mtmd_default_marker();
    const mtmd_input_text text{marker.c_str(), marker.size(), true, true};
    const mtmd_bitmap* bitmaps[] = {bitmap.get()};
    if (const int32_t rc = mtmd_tokenize(ctx, chunks.get(), &text, bitmaps, 1); rc != 0)
        throw Error(fmt::format("mtmd could not preprocess the image of {} x {} pixels (code {})",
                                mtmd_bitmap_get_nx(bitmap.get()), mtmd_bitmap_get_ny(bitmap.get()), rc));
    return chunks;
}

} // namespace

void Vision::Free::operator()(mtmd_context* ctx) const { mtmd_free(ctx); }

Vision::Vision(const std::string& mmproj, const llama_model* model, int threads, bool on_cpu) : threads_(threads) {
    mtmd_context_params params = mtmd_context_params_default();
    params.use_gpu = !on_cpu;
    params.print_timings = false;
    params.n_threads = threads;
    params.warmup = false; // the benchmark's warm-up encodes, as it chooses
    const auto start = Clock::now();
    ctx_.reset(mtmd_init_from_file(mmproj.c_str(), model, params));
    load_ms_ = static_cast<double>(nanoseconds_since(start)) / 1e6;
    if (!ctx_)
        throw Error(fmt::format("llama.cpp could not load the mmproj '{}' for this model{}; is it the model's own "
                                "vision tower?",
                                mmproj, last_llama_error().empty() ? "" : ": " + last_llama_error()));
    if (!mtmd_support_vision(ctx_.get()))
        throw Error(fmt::format("the mmproj '{}' has no vision tower (an audio encoder?)", mmproj));
}

Vision::~Vision() = default;

int64_t Vision::positions_of(const Image& image) {
    const auto key = std::make_pair(image.size, image.file);
    const auto known = positions_.find(key);
    if (known != positions_.end()) return known->second;
    return positions_[key] = static_cast<int64_t>(mtmd_helper_get_n_pos(tokenize(ctx_.get(), image, 0).get()));
}

ImageTimes Vision::feed(llama_context* ctx, const Image& image, uint64_t seed, int64_t n_batch, int64_t& position) {
    const Chunks chunks = tokenize(ctx_.get(), image, seed);
    ImageTimes times;
    auto n_past = static_cast<llama_pos>(position);
    const auto batch = static_cast<int32_t>(n_batch);
    for (size_t i = 0; i < mtmd_input_chunks_size(chunks.get()); ++i) {
        const mtmd_input_chunk* chunk = mtmd_input_chunks_get(chunks.get(), i);
        if (mtmd_input_chunk_get_type(chunk) != MTMD_INPUT_CHUNK_TYPE_IMAGE) {
            if (mtmd_helper_eval_chunk_single(ctx_.get(), ctx, chunk, n_past, 0, batch, false, &n_past) != 0)
                throw Error("decoding an image's markers failed: the model's vocabulary lacks the image tokens its "
                            "mmproj's preprocessing uses; is the mmproj this model's own?");
            continue;
        }
        const auto start = Clock::now();
        if (mtmd_encode_chunk(ctx_.get(), chunk) != 0) throw Error("encoding an image slice failed");
        times.encode_ns += nanoseconds_since(start);
        const auto prefill = Clock::now();
        if (mtmd_helper_decode_image_chunk(ctx_.get(), ctx, chunk, mtmd_get_output_embd(ctx_.get()), n_past, 0, batch,
                                           &n_past, nullptr, nullptr) != 0)
            throw Error("decoding an image slice's tokens failed");
        llama_synchronize(ctx);
        times.prefill_ns += nanoseconds_since(prefill);
        times.tokens += static_cast<int64_t>(mtmd_input_chunk_get_n_tokens(chunk));
        ++times.slices;
    }
    position = n_past;
    return times;
}

#else
// A llama.cpp installed without its mtmd library: no vision tower can be loaded.
void Vision::Free::operator()(mtmd_context*) const {}
Vision::Vision(const std::string& mmproj, const llama_model*, int threads, bool) : threads_(threads) {
    throw Error(fmt::format("this llmsweep was built against a llama.cpp without its mtmd library, so it cannot load "
                            "the mmproj '{}'; build it from llama.cpp's source (the default) for images",
                            mmproj));
}
Vision::~Vision() = default;
int64_t Vision::positions_of(const Image&) { return 0; }
ImageTimes Vision::feed(llama_context*, const Image&, uint64_t, int64_t, int64_t&) { return {}; }
#endif

} // namespace llmsweep::engine
