#include "domain/point.hpp"

#include "core/hash.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace llmsweep::domain {
namespace {

std::string model_identity(const std::string& path) {
    std::error_code ec;
    const auto absolute = std::filesystem::weakly_canonical(path, ec);
    const auto size = std::filesystem::file_size(path, ec);
    return fmt::format("{}:{}", ec ? path : absolute.string(), ec ? 0 : size);
}

} // namespace

std::string Point::key(Mode mode) const {
    // huge_pages joined the key later: at its default it is left out, so that older runs resume.
    // So did the settings after it: each only where it is not llama-bench's default.
    std::string huge_pages =
        load.huge_pages == HugePages::automatic ? "" : fmt::format(";huge_pages={}", name(load.huge_pages));
    if (context.no_kv_offload) huge_pages += ";nkvo=1";
    if (context.embeddings) huge_pages += ";embd=1";
    if (context.cpu_mask != "0x0") huge_pages += ";cpu_mask=" + context.cpu_mask;
    if (context.cpu_strict) huge_pages += ";cpu_strict=1";
    if (context.poll != 50) huge_pages += fmt::format(";poll={}", context.poll);
    if (context.no_op_offload) huge_pages += ";nopo=1";
    if (load.split_mode != "layer") huge_pages += ";sm=" + load.split_mode;
    if (load.main_gpu != 0) huge_pages += fmt::format(";mg={}", load.main_gpu);
    if (load.no_host) huge_pages += ";no_host=1";
    if (load.lazy_mode != "auto") huge_pages += ";lzm=" + load.lazy_mode;
    if (load.n_cpu_moe != 0) huge_pages += fmt::format(";ncmoe={}", load.n_cpu_moe);
    return fmt::format("mode={};model={};load_mode={};cache={};ngl={};threads={};n_batch={};n_ubatch={};"
                       "type_k={};type_v={};fa={};n_prompt={};n_gen={};n_depth={}{}",
                       name(mode), model_identity(load.model), name(load.load_mode), name(load.cache_state),
                       load.n_gpu_layers, context.threads, context.n_batch, context.n_ubatch, context.type_k,
                       context.type_v, context.flash_attn, test.n_prompt, test.n_gen, test.n_depth, huge_pages);
}

std::string model_fingerprint(const std::string& path) {
    constexpr size_t head = 8 << 20, tail = 1 << 20;
    std::ifstream file(path, std::ios::binary | std::ios::ate);
    if (!file) return "unreadable";
    const auto size = static_cast<size_t>(file.tellg());
    std::string bytes(std::min(size, head), '\0');
    file.seekg(0);
    file.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (size > head) {
        std::string end(std::min(size - head, tail), '\0');
        file.seekg(static_cast<std::streamoff>(size - end.size()));
        file.read(end.data(), static_cast<std::streamsize>(end.size()));
        bytes += end;
    }
    return fmt::format("{} bytes, sha256 {}", size, sha256_hex(bytes).substr(0, 16));
}

std::vector<std::string> metrics_of(const Point& point, Mode mode) {
    if (mode == Mode::request) return {"pp", "tg"};
    if (point.test.n_prompt > 0 && point.test.n_gen > 0) return {"pg"};
    return {point.test.n_prompt > 0 ? "pp" : "tg"};
}

} // namespace llmsweep::domain
