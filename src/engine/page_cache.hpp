#pragma once
// The model file's pages in the kernel's page cache: how many are resident, and making a load cold or warm.

#include <cstdint>
#include <string>

namespace llmsweep::engine {

// Bytes of `path` resident in the page cache, measured with mincore on a mapping of the file.
uint64_t resident_bytes(const std::string& path);

// Asks the kernel to drop the file's clean pages (posix_fadvise DONTNEED). Pages that another process has
// mapped stay; the caller checks with resident_bytes().
void evict_from_page_cache(const std::string& path);

// Reads the parts of the file that are not resident, so that all its pages are.
void warm_page_cache(const std::string& path);

} // namespace llmsweep::engine
