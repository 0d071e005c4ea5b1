#include "core/huge_pages.hpp"

#include <cstdint>
#include <sys/mman.h>

namespace llmsweep {

void advise_huge_pages(const void* data, size_t bytes) {
    constexpr uintptr_t huge = uintptr_t{2} << 20;
    const auto begin = (reinterpret_cast<uintptr_t>(data) + huge - 1) & ~(huge - 1);
    const auto end = (reinterpret_cast<uintptr_t>(data) + bytes) & ~(huge - 1);
    // A hint: where it is refused (no transparent huge pages in this kernel), pages stay 4 KiB.
    if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
}

} // namespace llmsweep
