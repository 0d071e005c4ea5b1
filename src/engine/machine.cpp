#include "engine/machine.hpp"

#include "core/atomic_file.hpp"
#include "core/parallel.hpp"
#include "core/text.hpp"
#include "engine/system_info.hpp"

#include <ggml-alloc.h>
#include <ggml-backend.h>
#include <ggml-cpu.h>
#include <ggml.h>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <barrier>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>

#include <sys/mman.h>

namespace llmsweep::engine {
namespace {

using Clock = std::chrono::steady_clock;

// Where the kernel describes the CPUs: /sys/devices/system/cpu, or $LLMSWEEP_CPU_SYSFS (a test hook: a folder of
// the same shape, or an empty one for a kernel that describes no caches).
std::string cpu_sysfs() {
    const char* dir = std::getenv("LLMSWEEP_CPU_SYSFS");
    return dir && *dir ? dir : "/sys/devices/system/cpu";
}

// A cache's size as the kernel gives it for CPU 0; 0 where it gives none (virtual machines often do not).
uint64_t cache_bytes(int level, bool data) {
    uint64_t bytes = 0;
    for (int index = 0; index < 8; ++index) {
        const std::string dir = fmt::format("{}/cpu0/cache/index{}", cpu_sysfs(), index);
        std::ifstream level_file(dir + "/level"), type_file(dir + "/type"), size_file(dir + "/size");
        int found_level = 0;
        std::string type, size;
        if (!(level_file >> found_level) || !(type_file >> type) || !(size_file >> size)) continue;
        if (found_level != level || (data && type == "Instruction")) continue;
        uint64_t value = std::strtoull(size.c_str(), nullptr, 10);
        if (size.back() == 'K') value <<= 10;
        else if (size.back() == 'M') value <<= 20;
        bytes = std::max(bytes, value);
    }
    return bytes;
}

// FP32 operations per cycle and core, and the clock in GHz, from /proc/cpuinfo: two FMA units of the widest
// vectors the flags name. Nothing where either is unknown.
std::optional<double> peak_gflops(int64_t threads) {
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::string line, flags;
    double mhz = 0;
    for (; std::getline(cpuinfo, line);) {
        if (line.rfind("flags", 0) == 0 && flags.empty()) flags = " " + line.substr(line.find(':') + 1) + " ";
        if (line.rfind("cpu MHz", 0) == 0 && mhz == 0)
            mhz = std::strtod(line.substr(line.find(':') + 1).c_str(), nullptr);
    }
    std::ifstream max_freq(cpu_sysfs() + "/cpu0/cpufreq/cpuinfo_max_freq");
    if (double khz = 0; max_freq >> khz) mhz = khz / 1000;
    if (mhz <= 0 || flags.empty()) return std::nullopt;
    const auto has = [&](const char* flag) { return flags.find(fmt::format(" {} ", flag)) != std::string::npos; };
    const double lanes = has("avx512f") ? 16 : has("avx2") || has("avx") ? 8 : has("sse2") ? 4 : 0;
    if (lanes == 0) return std::nullopt;
    const double per_cycle = lanes * (has("fma") || has("avx512f") ? 2 : 1) * 2; // FMA counts 2, two units
    return static_cast<double>(threads) * mhz / 1000 * per_cycle;
}

// Runs `work(thread index)` on n threads started together; returns the seconds from the first thread's start to
// the last one's end, each instant taken by the working thread itself: a main thread that the scheduler wakes late
// (every core busy) cannot shorten a pass, and threads that could not run at once are timed as they ran.
template <typename Work>
double timed_on_threads(int64_t n, Work work) {
    std::barrier start(static_cast<std::ptrdiff_t>(n));
    std::vector<std::pair<Clock::time_point, Clock::time_point>> spans(static_cast<size_t>(n));
    {
        std::vector<std::jthread> threads;
        for (int64_t t = 0; t < n; ++t)
            threads.emplace_back([&, t] {
                start.arrive_and_wait();
                auto& [begin, end] = spans[static_cast<size_t>(t)];
                begin = Clock::now();
                work(t);
                end = Clock::now();
            });
    } // joins
    Clock::time_point first = spans.front().first, last = spans.front().second;
    for (const auto& [begin, end] : spans) first = std::min(first, begin), last = std::max(last, end);
    return std::chrono::duration<double>(last - first).count();
}

// Reads `words` 64-bit words and folds them into one, so that no read is left out: compiled for the widest
// vectors the CPU has (the loads, not the folding, set the pace), chosen when the program starts.
__attribute__((target_clones("avx512f", "avx2", "default"))) uint64_t fold(const uint64_t* p, size_t words) {
    uint64_t folded = 0;
    for (size_t i = 0; i < words; ++i) folded ^= p[i];
    return folded;
}

// A pass lasts at least this long, so that a scheduler's delay of a few milliseconds is a small part of it.
constexpr double min_pass_seconds = 0.2;
// The buffer when the kernel names no last-level cache: beyond the last-level cache a thread can reach on any
// CPU (the largest hold a few hundred MiB per socket).
constexpr uint64_t unknown_cache_buffer = 1ull << 30;

// A buffer of anonymous memory, on huge pages where the kernel allows (as a tool that measures bandwidth would
// have it: the passes then measure the memory, not the page walks of 4 KiB pages), filled so that it is in memory
// and no two of its pages are alike: a page of one repeated byte may be shared by the hypervisor or the kernel
// (same-page merging, the zero page), and reading a few shared pages again and again measures a cache, at
// figures no memory reaches (a hundred GB/s from one thread, and more). Each of n threads fills the part it reads
// with n threads (STREAM's first touch: on a machine of several memory nodes, its pages are then near it).
class Buffer {
public:
    Buffer(uint64_t bytes, int64_t threads) : bytes_(bytes) {
        void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) throw std::bad_alloc();
        madvise(p, bytes, MADV_HUGEPAGE);
        words_ = static_cast<uint64_t*>(p);
        const size_t part = word_count() / static_cast<size_t>(threads);
        timed_on_threads(threads, [&](int64_t t) {
            const size_t from = static_cast<size_t>(t) * part, to = t + 1 == threads ? word_count() : from + part;
            for (size_t i = from; i < to; ++i) words_[i] = (i + 1) * 0x9E3779B97F4A7C15ull; // all distinct
        });
    }
    Buffer(const Buffer&) = delete;
    Buffer& operator=(const Buffer&) = delete;
    ~Buffer() { munmap(words_, bytes_); }
    uint64_t* words() const { return words_; }
    size_t word_count() const { return bytes_ / sizeof(uint64_t); }

private:
    uint64_t bytes_;
    uint64_t* words_ = nullptr;
};

// The best rate (bytes per pass / seconds, in GB/s) of `passes` passes of `pass(repeats)` on n threads, each
// pass repeating its work often enough to last min_pass_seconds (found from a first, untimed pass).
template <typename Pass>
double best_rate(int64_t n, double bytes_per_repeat, int passes, Pass pass) {
    const double first = timed_on_threads(n, [&](int64_t t) { pass(t, 1); });
    const int repeats = std::clamp(static_cast<int>(std::ceil(min_pass_seconds / std::max(first, 1e-6))), 1, 256);
    double best = 0;
    for (int i = 0; i < passes; ++i) {
        const double s = timed_on_threads(n, [&](int64_t t) { pass(t, repeats); });
        best = std::max(best, bytes_per_repeat * repeats / s / 1e9);
    }
    return best;
}

struct Bandwidth {
    double read_gbs = 0, triad_gbs = 0, single_read_gbs = 0;
    uint64_t buffer_bytes = 0;
};

// Reads of the whole buffer, split among n threads; GB/s.
double read_rate(const Buffer& buffer, int64_t n, int passes) {
    const size_t part = buffer.word_count() / static_cast<size_t>(n);
    std::vector<uint64_t> folded(static_cast<size_t>(n));
    const double rate = best_rate(n, static_cast<double>(part * static_cast<size_t>(n) * sizeof(uint64_t)), passes,
                                  [&](int64_t t, int repeats) {
                                      const uint64_t* p = buffer.words() + static_cast<size_t>(t) * part;
                                      for (int r = 0; r < repeats; ++r) folded[static_cast<size_t>(t)] ^= fold(p, part);
                                  });
    volatile uint64_t keep = folded.front(); // the reads are not optimized away
    (void)keep;
    return rate;
}

// STREAM's triad over three arrays of doubles in the buffer, a = b + s * c, counting two reads and a write; GB/s.
double triad_rate(const Buffer& buffer, int64_t n, int passes) {
    const size_t count = buffer.word_count() / 3 / static_cast<size_t>(n) * static_cast<size_t>(n);
    auto* a = reinterpret_cast<double*>(buffer.words());
    double* b = a + count;
    double* c = b + count;
    const size_t part = count / static_cast<size_t>(n);
    timed_on_threads(n, [&](int64_t t) {
        for (size_t i = static_cast<size_t>(t) * part; i < static_cast<size_t>(t + 1) * part; ++i)
            b[i] = static_cast<double>(i), c[i] = 0.5 * static_cast<double>(i); // distinct
    });
    const double rate =
        best_rate(n, static_cast<double>(3 * count * sizeof(double)), passes, [&](int64_t t, int repeats) {
            const size_t from = static_cast<size_t>(t) * part;
            for (int r = 0; r < repeats; ++r)
                for (size_t i = from; i < from + part; ++i) a[i] = b[i] + 3.0 * c[i];
        });
    volatile double keep = a[count / 2];
    (void)keep;
    return rate;
}

// Before a figure is kept, what physics allows: n threads read at most n times what one reads (10 % for the
// clock one thread alone may reach), and the triad's counted traffic at most twice the read rate. A pass the
// machine disturbed is measured again, up to three times; what is still impossible is refused.
Bandwidth measure_bandwidth(int64_t threads, uint64_t l3_bytes, uint64_t memory_bytes) {
    // Far larger than the last-level cache (4x, at least 512 MiB; 1 GiB when it is unknown), within a quarter of
    // the memory.
    uint64_t bytes = l3_bytes > 0 ? std::max<uint64_t>(4 * l3_bytes, 512ull << 20) : unknown_cache_buffer;
    if (memory_bytes > 0) bytes = std::min(bytes, memory_bytes / 4);
    const Buffer buffer(bytes / 4096 * 4096, threads);
    Bandwidth result;
    result.buffer_bytes = bytes;
    std::string why;
    for (int attempt = 0; attempt < 3; ++attempt) {
        result.single_read_gbs = read_rate(buffer, 1, threads == 1 ? 5 : 3);
        result.read_gbs = threads == 1 ? result.single_read_gbs : read_rate(buffer, threads, 5);
        result.triad_gbs = triad_rate(buffer, threads, 3);
        const double read_limit = 1.1 * static_cast<double>(threads) * result.single_read_gbs;
        if (result.read_gbs > read_limit)
            why = fmt::format("{} threads read {:.1f} GB/s, more than {} times one thread's {:.1f} GB/s", threads,
                              result.read_gbs, threads, result.single_read_gbs);
        else if (result.triad_gbs > 2 * result.read_gbs)
            why = fmt::format("the triad's {:.1f} GB/s is more than twice the read rate of {:.1f} GB/s",
                              result.triad_gbs, result.read_gbs);
        else return result;
    }
    throw std::runtime_error(fmt::format("the memory bandwidth measured three times was impossible each time ({}): "
                                         "something else is using the machine; measure again when it is idle",
                                         why));
}

ggml_type type_named(const std::string& name) {
    for (int t = 0; t < GGML_TYPE_COUNT; ++t) {
        const char* type_name = ggml_type_name(static_cast<ggml_type>(t));
        if (type_name && name == type_name) return static_cast<ggml_type>(t);
    }
    return GGML_TYPE_COUNT;
}

// The CPU's buffer types a weight can live in: its own, and the extra ones llama.cpp loads weights into where
// it can (CPU_REPACK: repacked for this CPU's kernels, the default; llama-server -nr turns it off).
std::vector<ggml_backend_buffer_type_t> weight_buffer_types(ggml_backend_dev_t cpu) {
    std::vector<ggml_backend_buffer_type_t> types = {ggml_backend_cpu_buffer_type()};
    if (!cpu) return types;
    const auto extra = reinterpret_cast<ggml_backend_dev_get_extra_bufts_t>(
        ggml_backend_reg_get_proc_address(ggml_backend_dev_backend_reg(cpu), "ggml_backend_dev_get_extra_bufts"));
    if (extra)
        for (ggml_backend_buffer_type_t* t = extra(cpu); t && *t; ++t) types.push_back(*t);
    return types;
}

// The product each weight type is measured with: a K x N weight (a large model's layer) times a batch of B.
constexpr int64_t matmul_k = 4096, matmul_n = 4096, matmul_batch = 512;

using ContextPtr = std::unique_ptr<ggml_context, decltype(&ggml_free)>;
using BufferPtr = std::unique_ptr<ggml_backend_buffer, decltype(&ggml_backend_buffer_free)>;

// ggml's matrix multiplication of a K x N weight of `type`, held in `weight_type`'s buffer, with a batch of B
// activations, as a model's layer computes it; GFLOP/s of the best of five. None where that buffer type does not
// take the weight (a repacked layout for another type).
std::optional<double> matmul_in(ggml_type type, int64_t threads, ggml_backend_t backend, ggml_backend_dev_t cpu,
                                ggml_backend_buffer_type_t weight_type, const std::vector<uint8_t>& weight_bytes,
                                const std::vector<float>& activations) {
    const ggml_init_params params{16 * ggml_tensor_overhead() + ggml_graph_overhead(), nullptr, true};
    ContextPtr weights(ggml_init(params), ggml_free), rest(ggml_init(params), ggml_free);
    if (!weights || !rest) return std::nullopt;
    ggml_tensor* weight = ggml_new_tensor_2d(weights.get(), type, matmul_k, matmul_n);
    ggml_tensor* input = ggml_new_tensor_2d(rest.get(), GGML_TYPE_F32, matmul_k, matmul_batch);
    ggml_tensor* out = ggml_mul_mat(rest.get(), weight, input);
    // As llama.cpp asks before it places a weight: does the device run this product with the weight there?
    if (cpu && weight_type != ggml_backend_cpu_buffer_type()) {
        BufferPtr probe(ggml_backend_buft_alloc_buffer(weight_type, 0), ggml_backend_buffer_free);
        if (!probe) return std::nullopt;
        weight->buffer = probe.get();
        const bool supported = ggml_backend_dev_supports_op(cpu, out);
        weight->buffer = nullptr;
        if (!supported) return std::nullopt;
    }
    BufferPtr weight_buffer(ggml_backend_alloc_ctx_tensors_from_buft(weights.get(), weight_type),
                            ggml_backend_buffer_free);
    BufferPtr rest_buffer(ggml_backend_alloc_ctx_tensors_from_buft(rest.get(), ggml_backend_cpu_buffer_type()),
                          ggml_backend_buffer_free);
    if (!weight_buffer || !rest_buffer) return std::nullopt;
    ggml_backend_buffer_set_usage(weight_buffer.get(), GGML_BACKEND_BUFFER_USAGE_WEIGHTS);
    ggml_backend_tensor_set(weight, weight_bytes.data(), 0, weight_bytes.size()); // repacked here, where it is
    ggml_backend_tensor_set(input, activations.data(), 0, activations.size() * sizeof(float));
    ggml_cgraph* graph = ggml_new_graph(rest.get());
    ggml_build_forward_expand(graph, out);
    ggml_backend_cpu_set_n_threads(backend, static_cast<int>(threads));
    double best = 0;
    for (int pass = 0; pass < 6; ++pass) { // the first warms the caches and the threads
        const auto begin = Clock::now();
        if (ggml_backend_graph_compute(backend, graph) != GGML_STATUS_SUCCESS) return std::nullopt;
        const double s = std::chrono::duration<double>(Clock::now() - begin).count();
        if (pass > 0) best = std::max(best, 2.0 * matmul_k * matmul_n * matmul_batch / s / 1e9);
    }
    return best;
}

// Normal values (as a model's weights and activations roughly are; what they are does not change the rate), drawn
// in pieces of fixed size, each from a seed of its own, on every core: the same values whatever the core count.
std::vector<float> normal_values(size_t count, uint32_t seed) {
    constexpr size_t piece = 1 << 16;
    std::vector<float> values(count);
    for_each_index((count + piece - 1) / piece, [&](size_t i) {
        std::mt19937 rng(seed + static_cast<uint32_t>(i));
        std::normal_distribution<float> normal(0.0f, 0.02f);
        for (size_t v = i * piece; v < std::min(count, (i + 1) * piece); ++v) values[v] = normal(rng);
    });
    return values;
}

// What every product multiplies, made once for all the weight types: a K x N weight's values and B activations.
struct MatmulInputs {
    std::vector<float> weight = normal_values(static_cast<size_t>(matmul_k * matmul_n), 1);
    std::vector<float> activations = normal_values(static_cast<size_t>(matmul_k * matmul_batch), 2);
};

// The roof of a weight type: the fastest of its products over the buffer types a weight can live in (a roof
// is what the machine can do; a model loaded without repacking reaches less of it).
std::optional<double> measure_matmul(const std::string& type_name, int64_t threads, const MatmulInputs& inputs,
                                     std::set<std::string>& buffers) {
    const ggml_type type = type_named(type_name);
    if (type == GGML_TYPE_COUNT || ggml_quantize_requires_imatrix(type)) return std::nullopt;
    // The weight in its type, a few rows at a time on every core (ggml quantizes whole rows; F16 and F32 too).
    constexpr int64_t rows = 64;
    std::vector<uint8_t> weight_bytes(ggml_row_size(type, matmul_k) * matmul_n);
    for_each_index(static_cast<size_t>(matmul_n / rows), [&](size_t i) {
        ggml_quantize_chunk(type, inputs.weight.data(), weight_bytes.data(), static_cast<int64_t>(i) * rows * matmul_k,
                            rows, matmul_k, nullptr);
    });
    const std::vector<float>& activations = inputs.activations;
    std::unique_ptr<ggml_backend, decltype(&ggml_backend_free)> backend(ggml_backend_cpu_init(), ggml_backend_free);
    if (!backend) return std::nullopt;
    ggml_backend_dev_t cpu = ggml_backend_dev_by_type(GGML_BACKEND_DEVICE_TYPE_CPU);
    std::optional<double> best;
    for (ggml_backend_buffer_type_t weight_type : weight_buffer_types(cpu))
        if (const auto gflops = matmul_in(type, threads, backend.get(), cpu, weight_type, weight_bytes, activations)) {
            best = std::max(best.value_or(0.0), *gflops);
            buffers.insert(ggml_backend_buft_name(weight_type));
        }
    return best;
}

std::filesystem::path cache_folder() {
    if (const char* dir = std::getenv("LLMSWEEP_CACHE_DIR"); dir && *dir) return dir;
    if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return std::filesystem::path(xdg) / "llmsweep";
    if (const char* home = std::getenv("HOME"); home && *home)
        return std::filesystem::path(home) / ".cache" / "llmsweep";
    return {};
}

std::vector<MachineFigures> cached_list() {
    std::vector<MachineFigures> list;
    const auto folder = cache_folder();
    if (folder.empty()) return list;
    std::ifstream file(folder / "machines.json");
    if (!file) return list;
    try {
        for (const auto& item : nlohmann::json::parse(file)) list.push_back(domain::machine_figures_from_json(item));
    } catch (const std::exception&) {
        list.clear(); // a damaged cache is measured again
    }
    return list;
}

} // namespace

std::vector<std::string> roofline_weight_types(const std::vector<std::string>& model_weight_types) {
    std::vector<std::string> types = {"q8_0", "q4_0", "f16"};
    for (const std::string& type : model_weight_types)
        if (std::find(types.begin(), types.end(), type) == types.end() && type_named(type) != GGML_TYPE_COUNT)
            types.push_back(type);
    return types;
}

MachineFigures measure_machine(int64_t threads, const std::vector<std::string>& weight_types,
                               const std::string& build_commit) {
    const HostInfo host = host_info();
    MachineFigures f;
    f.hostname = host.hostname;
    f.cpu_info = host.cpu_model;
    f.build_commit = build_commit;
    f.threads = threads;
    f.measured_at = fmt::format("{:%Y-%m-%dT%H:%M:%SZ}",
                                std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()));
    f.l1d_bytes = cache_bytes(1, true);
    f.l2_bytes = cache_bytes(2, false);
    f.l3_bytes = cache_bytes(3, false);
    const Bandwidth bandwidth = measure_bandwidth(threads, f.l3_bytes, host.memory_bytes);
    f.read_gbs = bandwidth.read_gbs;
    f.triad_gbs = bandwidth.triad_gbs;
    f.buffer_bytes = bandwidth.buffer_bytes;
    std::set<std::string> buffers;
    const MatmulInputs inputs;
    for (const std::string& type : weight_types)
        if (const auto gflops = measure_matmul(type, threads, inputs, buffers))
            f.matmul_gflops.emplace_back(type, *gflops);
    f.matmul_buffers = fmt::format("{}", fmt::join(buffers, ", "));
    // The peak is a guess from the flags and the clock /proc/cpuinfo names (a virtual machine's may be its base
    // clock, below what the CPU runs at): a measured rate above it proves the guess wrong, and it is left out.
    f.peak_gflops = peak_gflops(threads);
    for (const auto& [type, gflops] : f.matmul_gflops)
        if (f.peak_gflops && gflops > *f.peak_gflops) f.peak_gflops.reset();
    return f;
}

std::optional<MachineFigures> cached_machine(const std::string& hostname, const std::string& build_commit,
                                             int64_t threads) {
    // One measured before the weights' buffer types were (matmul_buffers empty) is measured again.
    for (MachineFigures& f : cached_list())
        if (f.hostname == hostname && f.build_commit == build_commit && f.threads == threads &&
            !f.matmul_buffers.empty())
            return std::move(f);
    return std::nullopt;
}

void remember_machine(const MachineFigures& figures) {
    const auto folder = cache_folder();
    if (folder.empty()) return;
    try {
        std::filesystem::create_directories(folder);
        nlohmann::json list = nlohmann::json::array();
        for (const MachineFigures& f : cached_list())
            if (!(f.hostname == figures.hostname && f.build_commit == figures.build_commit &&
                  f.threads == figures.threads))
                list.push_back(domain::to_json(f));
        list.push_back(domain::to_json(figures));
        AtomicFile file(folder / "machines.json");
        const std::string text = list.dump(1);
        file.write(text.data(), text.size());
        file.commit();
    } catch (const std::exception&) {
        // A cache that cannot be written costs a measurement next time, nothing else.
    }
}

} // namespace llmsweep::engine
