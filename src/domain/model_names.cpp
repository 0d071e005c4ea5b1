#include "domain/model_names.hpp"

#include <algorithm>
#include <filesystem>

namespace llmsweep::domain {
namespace {

// The path's parts, last first: a/b/x.gguf is x.gguf, b, a.
std::vector<std::string> parts_last_first(const std::string& path) {
    std::vector<std::string> parts;
    for (const auto& part : std::filesystem::path(path).lexically_normal())
        if (!part.empty() && part != "/") parts.push_back(part.string());
    std::reverse(parts.begin(), parts.end());
    return parts;
}

// Its last `n` parts, joined with '/'.
std::string suffix(const std::vector<std::string>& parts, size_t n) {
    std::string text;
    for (size_t i = std::min(n, parts.size()); i-- > 0;) text += (text.empty() ? "" : "/") + parts[i];
    return text;
}

} // namespace

std::map<std::string, std::string> short_model_names(const std::vector<std::string>& paths) {
    std::map<std::string, std::vector<std::string>> parts;
    for (const auto& path : paths) parts.emplace(path, parts_last_first(path));
    std::map<std::string, std::string> names;
    for (const auto& entry : parts) {
        const std::string& path = entry.first; // not a structured binding: clang 14 cannot capture one
        const std::vector<std::string>& mine = entry.second;
        size_t n = 1;
        // One more folder while another path ends the same way.
        while (n < mine.size() && std::any_of(parts.begin(), parts.end(), [&](const auto& other) {
                   return other.first != path && suffix(other.second, n) == suffix(mine, n);
               }))
            ++n;
        names[path] = mine.empty() ? path : suffix(mine, n);
    }
    return names;
}

} // namespace llmsweep::domain
