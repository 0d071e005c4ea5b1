#include "engine/memory_map.hpp"

#include "core/error.hpp"
#include "core/text.hpp"
#include "engine/page_cache.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <sys/mman.h>
#include <sys/prctl.h>

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

namespace llmsweep::engine {
namespace {

constexpr uintptr_t huge_page = uintptr_t{2} << 20;

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

std::optional<RssSplit> parse_rss_split(const std::string& text) {
    RssSplit split;
    bool anon = false, file = false;
    std::istringstream lines(text);
    for (std::string name; lines >> name;) {
        int64_t kb = 0;
        if (name == "RssAnon:" && lines >> kb) split.anon_kb = kb, anon = true;
        else if (name == "RssFile:" && lines >> kb) split.file_kb = kb, file = true;
        lines.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
    }
    if (!anon || !file) return std::nullopt;
    return split;
}

std::optional<RssSplit> rss_split(const std::string& pid) {
    return parse_rss_split(read_text_file("/proc/" + pid + "/status"));
}

std::optional<MappingState> mapping_state(const std::string& pid) {
    return parse_smaps_rollup(read_text_file("/proc/" + pid + "/smaps_rollup"));
}

void disable_huge_pages() {
    if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) != 0)
        throw Error(
            fmt::format("cannot keep the worker off huge pages (prctl PR_SET_THP_DISABLE): {}", std::strerror(errno)));
}

int64_t collapse_into_huge_pages(const std::string& file) {
    std::error_code ec;
    const std::string target = std::filesystem::weakly_canonical(file, ec).string();
    std::istringstream maps(read_text_file("/proc/self/maps"));
    int64_t collapsed = 0;
    for (std::string line; std::getline(maps, line);) {
        // start-end perms offset dev inode [path]
        std::istringstream fields(line);
        std::string range, perms, offset, device, inode, path;
        fields >> range >> perms >> offset >> device >> inode;
        std::getline(fields >> std::ws, path);
        const bool anonymous =
            inode == "0" && perms.size() == 4 && perms[3] == 'p' && (path.empty() || path == "[heap]");
        if (!anonymous && path != target) continue;
        const auto dash = range.find('-');
        const uintptr_t begin = std::stoull(range.substr(0, dash), nullptr, 16);
        const uintptr_t end = std::stoull(range.substr(dash + 1), nullptr, 16);
        const uintptr_t first = (begin + huge_page - 1) & ~(huge_page - 1), last = end & ~(huge_page - 1);
        if (last <= first) continue;
        void* address = reinterpret_cast<void*>(first);
        if (madvise(address, last - first, MADV_COLLAPSE) == 0) collapsed += static_cast<int64_t>(last - first);
    }
    return collapsed;
}

void reread_into_large_folios(const std::string& file) {
    evict_from_page_cache(file);
    warm_page_cache(file);
}

std::string transparent_huge_pages_mode() {
    const std::string text = read_text_file("/sys/kernel/mm/transparent_hugepage/enabled");
    const auto open = text.find('['), close = text.find(']');
    if (open == std::string::npos || close == std::string::npos || close < open) return "";
    return text.substr(open + 1, close - open - 1);
}

} // namespace llmsweep::engine
