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
    // The largest anonymous and file-backed resident memory seen over a visit (RssAnon, RssFile of
    // /proc/PID/status, after the load and after each measurement): a mapped model's pages are file-backed, a
    // model read into buffers is anonymous, so peak RSS alone hides what mmap changes. In a visit's end state.
    std::optional<int64_t> peak_anon_kb, peak_file_kb;
};

// Resident memory by kind, from /proc/PID/status.
struct RssSplit {
    int64_t anon_kb = 0; // RssAnon
    int64_t file_kb = 0; // RssFile
};
std::optional<RssSplit> rss_split(const std::string& pid = "self");
// The parsed form of /proc/PID/status text (for the tests).
std::optional<RssSplit> parse_rss_split(const std::string& text);

// The state of process `pid` ("self" for this one); none where /proc does not say (another OS, no access).
std::optional<MappingState> mapping_state(const std::string& pid = "self");

// The parsed form of smaps_rollup text (for the tests).
std::optional<MappingState> parse_smaps_rollup(const std::string& text);

// Keeps this process's memory off huge pages from now on (prctl PR_SET_THP_DISABLE): no transparent huge pages,
// no PMD mappings of the page cache's large folios. Throws Error where the kernel refuses.
void disable_huge_pages();

// Collapses what can be collapsed of this process's memory into huge pages now (madvise MADV_COLLAPSE, Linux
// 6.1+, whatever the THP mode): every private anonymous mapping of 2 MiB or more, and the mappings of
// `file` (which needs a kernel built with READ_ONLY_THP_FOR_FS; elsewhere a mapped file is PMD-mapped only
// where the page cache holds it in 2 MiB folios, see reread_into_large_folios). Returns the bytes collapsed.
int64_t collapse_into_huge_pages(const std::string& file);

// Drops the file's pages from the page cache and reads it again in large sequential reads, so that the
// cache holds it in large folios (up to 2 MiB where the filesystem and read-ahead allow), which a mapping
// aligned to 2 MiB maps with huge pages. Pages that another process has mapped stay as they are.
void reread_into_large_folios(const std::string& file);

// /sys/kernel/mm/transparent_hugepage/enabled's chosen mode: always, madvise or never; "" where unknown.
std::string transparent_huge_pages_mode();

} // namespace llmsweep::engine
