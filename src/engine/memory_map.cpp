#include "engine/memory_map.hpp"

#include <fstream>
#include <sstream>

namespace llmsweep::engine {
namespace {

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

} // namespace

std::optional<MappingState> parse_smaps_rollup(const std::string& text) {
    MappingState state;
    bool any = false;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        std::istringstream fields(line);
        std::string name;
        int64_t kb = 0;
        if (!(fields >> name >> kb)) continue;
        int64_t* target = name == "Rss:"             ? &state.rss_kb
                          : name == "Anonymous:"     ? &state.anon_kb
                          : name == "AnonHugePages:" ? &state.anon_huge_kb
                          : name == "FilePmdMapped:" ? &state.file_pmd_kb
                                                     : nullptr;
        if (target) *target = kb, any = true;
    }
    if (!any) return std::nullopt;
    return state;
}

std::optional<MappingState> mapping_state(const std::string& pid) {
    return parse_smaps_rollup(read_text("/proc/" + pid + "/smaps_rollup"));
}

std::string transparent_huge_pages_mode() {
    const std::string text = read_text("/sys/kernel/mm/transparent_hugepage/enabled");
    const auto open = text.find('['), close = text.find(']');
    if (open == std::string::npos || close == std::string::npos || close < open) return "";
    return text.substr(open + 1, close - open - 1);
}

} // namespace llmsweep::engine
