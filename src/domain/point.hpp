#pragma once
// A point of a sweep: what a worker loads (LoadParams), what it creates a context with (ContextParams), and
// the test it runs (TestParams), with the key that identifies the point across runs and machines.

#include "domain/parameters.hpp"
#include "domain/serving.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace llmsweep::domain {

// What a worker needs to load a model: points that share these share a load.
struct LoadParams {
    std::string model;
    LoadMode load_mode = LoadMode::automatic; // llama-bench's default: mmap where every device can map the file
    CacheState cache_state = CacheState::warm;
    int64_t n_gpu_layers = -1; // all layers, as llama-bench
    HugePages huge_pages = HugePages::automatic;
    // Where the weights go, as llama-bench sets it (it matters with GPUs): how the model is split over devices
    // (none, layer, row, tensor), the device of split none, host buffers bypassed, and tensors read on demand
    // (off, auto, on).
    std::string split_mode = "layer";
    int64_t main_gpu = 0;
    bool no_host = false;
    std::string lazy_mode = "auto";
    int64_t n_cpu_moe = 0; // llama-bench -ncmoe: the expert tensors of the first N layers kept on the CPU
    // The devices used ("auto": all but the CPU; "none"; names joined by '/'), how the layers are shared among
    // them (proportions joined by '/'), and which tensors go to which buffer type (pattern=TYPE;...).
    std::string devices = "auto";
    std::string tensor_split = "0.00";
    std::string override_tensor = "none";
    // llama-bench -fitt/-fitc: fit the layers and the context to free device memory, leaving MiB free, with a
    // context of at least N tokens (0, 0: no fitting).
    int64_t fit_target = 0;
    int64_t fit_min_ctx = 0;
    bool no_repack = false; // llama-server -nr: the weights stay as the file has them, not repacked for the CPU
    // A vision-language model's mmproj file ("": text only), and whether its vision tower stays on the CPU.
    std::string mmproj;
    bool no_mmproj_offload = false;
    // The llama-bench binary of this load where a sweep runs several (run --llama-bench A,B); empty: the sweep's
    // only one, or llmsweep's own workers.
    std::string llama_bench;
    bool operator==(const LoadParams&) const = default;
};

// What a context is created with.
struct ContextParams {
    int64_t threads = 1;
    int64_t n_batch = 2048;
    int64_t n_ubatch = 512;
    std::string type_k = "f16";
    std::string type_v = "f16";
    std::string flash_attn = "auto";
    bool no_kv_offload = false; // llama-bench -nkvo: the KV cache stays in host memory
    bool embeddings = false;    // llama-bench -embd: the context computes embeddings
    // The CPU threadpool's placement, as llama-bench sets it: the CPUs its threads may run on (a hex mask, 0x0
    // for any), one thread per CPU of the mask in order (strict), and how much its threads spin-wait (0-100).
    std::string cpu_mask = "0x0";
    bool cpu_strict = false;
    int64_t poll = 50;
    bool no_op_offload = false; // llama-bench -nopo: host tensor operations stay on the host
    bool operator==(const ContextParams&) const = default;
};

// One test: in request mode both n_prompt and n_gen are set (and an image may come first); in split mode exactly
// one is.
struct TestParams {
    int64_t n_prompt = 0;
    int64_t n_gen = 0;
    int64_t n_depth = 0;
    int64_t image_size = 0; // an image of image_size x image_size pixels before the prompt; 0: none
    std::string image;      // or this image file before the prompt; "": none
    int64_t images = 1;     // how many such images (each with pixels of its own), one after another
    bool has_image() const { return image_size > 0 || !image.empty(); }
    bool operator==(const TestParams&) const = default;
};

// The sweep's own settings, the same in every point (llama-bench's --prio, --delay, --numa, -rpc): how its
// processes run, not what a point measures, so in no point's key.
struct RunParams {
    int64_t prio = 0;              // the threads' priority: -1 low, 0 normal, 1 medium, 2 high, 3 realtime
    int64_t delay = 0;             // seconds to cool off before each test (a point's repetitions, untimed)
    std::string numa = "disabled"; // llama_numa_init's strategy: disabled, distribute, isolate, numactl
    std::string rpc;               // RPC servers whose devices join the local ones: host:port joined by ','
    bool operator==(const RunParams&) const = default;
};

struct Point {
    LoadParams load;
    ContextParams context;
    TestParams test;
    // Server mode only: the server's own settings, and the load its clients put on it.
    ServerParams server;
    ClientLoad client;
    RunParams run; // the sweep's, the same in every point of it

    // Stable across runs and machines: the model file's identity (absolute path and size) and every value.
    // A resumed sweep skips the points whose key is already finished.
    std::string key(Mode mode) const;
    // Every value after the model's, as the key has them: an imported test's key, whose model file is not here,
    // names the file as the test did beside these.
    std::string settings_key(Mode mode) const;
};

// The metrics a point yields: pp and tg in request mode (after img and ipp, an image's encode and its tokens'
// prefill, for a test with an image); pp or tg in split mode; in server mode `serve`, the
// output tokens per second of the whole server under the point's load.
std::vector<std::string> metrics_of(const Point& point, Mode mode);

// What identifies a model file's content, cheaply: its size and a hash of its first 8 MiB (the GGUF header,
// metadata and tensor table) and last 1 MiB. A resumed run checks that its models are the files it started with.
std::string model_fingerprint(const std::string& path);

} // namespace llmsweep::domain
