#pragma once
// How a process's memory is mapped, where that can change throughput: how much of it is anonymous (a model
// read into buffers, repacked weights) and how much is mapped with huge pages (transparent huge pages for
// anonymous memory, PMD-mapped large folios of the page cache for a mapped model file), from
// /proc/PID/smaps_rollup; and the host's transparent-huge-page mode.

#include <cstdint>
#include <optional>
#include <string>

namespace llmsweep::engine {

struct MappingState {
    int64_t rss_kb = 0;       // Rss
    int64_t anon_kb = 0;      // Anonymous
    int64_t anon_huge_kb = 0; // AnonHugePages
    int64_t file_pmd_kb = 0;  // FilePmdMapped
};

// The state of process `pid` ("self" for this one); none where /proc does not say (another OS, no access).
std::optional<MappingState> mapping_state(const std::string& pid = "self");

// The parsed form of smaps_rollup text (for the tests).
std::optional<MappingState> parse_smaps_rollup(const std::string& text);

// /sys/kernel/mm/transparent_hugepage/enabled's chosen mode: always, madvise or never; "" where unknown.
std::string transparent_huge_pages_mode();

} // namespace llmsweep::engine
