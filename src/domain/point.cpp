#include "domain/point.hpp"

#include "core/hash.hpp"
#include "domain/knobs.hpp"

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
    return fmt::format("mode={};model={};{}", name(mode), model_identity(load.model), settings_key(mode));
}

std::string Point::settings_key(Mode mode) const {
    // The settings llmsweep had from its start are always in the key: the load's (its load mode and cache state
    // first), then the context's (the threads first), then the test sizes. Those that joined it later are in it
    // only where they are not llama-bench's default, so that older runs resume. Server mode's are in each of its
    // keys: the server's, the client loop, the requests'.
    std::string load_always, others_always, later, server_part, client_part;
    for (const Knob& knob : parameters()) {
        const std::string value = knob.text(*this);
        const std::string tagged = fmt::format(";{}={}", knob.key_tag, value);
        switch (knob.scope()) {
        case Knob::Scope::load:
        case Knob::Scope::context:
        case Knob::Scope::test:
            if (knob.always) (knob.of_load() ? load_always : others_always) += tagged;
            else if (value != knob.default_text()) later += tagged;
            break;
        case Knob::Scope::server: server_part += tagged; break;
        case Knob::Scope::client: client_part += tagged; break;
        case Knob::Scope::run: break; // how the sweep's processes run, not what the point measures
        }
    }
    if (!load.llama_bench.empty()) later += fmt::format(";llama_bench={}", load.llama_bench);
    if (mode == Mode::server) later += server_part + client_part; // the client loop's first
    // The load's first (from load_mode=), without the ';' before it.
    return fmt::format("{}{}{}", std::string_view(load_always).substr(1), others_always, later);
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
    // An image before the prompt: its encode through the vision tower and its tokens' prefill, as metrics of
    // their own (img, ipp), before the prompt's and the generation's.
    if (mode == Mode::request)
        return point.test.has_image() ? std::vector<std::string>{"img", "ipp", "pp", "tg"}
                                      : std::vector<std::string>{"pp", "tg"};
    if (mode == Mode::server) return {"serve"};
    if (point.test.n_prompt > 0 && point.test.n_gen > 0) return {"pg"};
    return {point.test.n_prompt > 0 ? "pp" : "tg"};
}

} // namespace llmsweep::domain
