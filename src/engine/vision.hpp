#pragma once
// A vision-language model's image path, through llama.cpp's mtmd: its mmproj's vision tower, and a synthetic
// image of a given size cut into slices as the model's own preprocessing cuts it, each slice encoded into
// tokens and those tokens prefilled into the decoder's context, the two timed apart.

#include <cstdint>
#include <map>
#include <memory>
#include <string>

struct llama_context;
struct llama_model;
struct mtmd_context;

namespace llmsweep::engine {

struct ImageTimes {
    int64_t encode_ns = 0;  // every slice through the vision tower and connector
    int64_t prefill_ns = 0; // their tokens decoded into the context
    int64_t tokens = 0;     // the image's tokens (the slices' embeddings, not the markers between them)
    int64_t slices = 0;
};

class Vision {
public:
    // Loads the mmproj for `model`, its vision tower encoding with `threads` threads (on a GPU unless
    // `on_cpu`). Throws Error naming the file when llama.cpp cannot load it or it has no vision tower.
    Vision(const std::string& mmproj, const llama_model* model, int threads, bool on_cpu);
    ~Vision();
    Vision(const Vision&) = delete;
    Vision& operator=(const Vision&) = delete;

    int threads() const { return threads_; }
    double load_ms() const { return load_ms_; } // mtmd_init_from_file's wall time
    // An image: the file `file`, or (none given) a synthetic one of size x size pixels.
    struct Image {
        int64_t size = 0;
        std::string file;
    };
    // The positions an image takes in a context, its markers included. Throws Error for a file that is not an
    // image llama.cpp reads.
    int64_t positions_of(const Image& image);
    // Feeds an image (a synthetic one's pixels drawn from `seed`) into `ctx`'s sequence 0 at position `n_past`
    // (0: the sequence must be empty), which it advances: its slices encoded and prefilled, the markers between
    // them decoded untimed.
    ImageTimes feed(llama_context* ctx, const Image& image, uint64_t seed, int64_t n_batch, int64_t& n_past);

private:
    struct Free {
        void operator()(mtmd_context* ctx) const;
    };
    std::unique_ptr<mtmd_context, Free> ctx_;
    int threads_ = 1;
    double load_ms_ = 0;
    std::map<std::pair<int64_t, std::string>, int64_t> positions_; // preprocessing a large image takes a while
};

} // namespace llmsweep::engine
