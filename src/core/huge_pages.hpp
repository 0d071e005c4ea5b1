#pragma once
// Large buffers backed by transparent huge pages where the kernel gives them on request.

#include <cstddef>

namespace llmsweep {

// Asks the kernel to back the 2 MiB pages that lie wholly within [data, data + bytes) with transparent huge
// pages, where it is set to give them on request (`madvise`, the default of most distributions), before they
// are first written: a buffer of hundreds of MiB then faults in 2 MiB at a time, not 4 KiB. Nothing where the
// kernel has no such pages or the range holds no whole one.
void advise_huge_pages(const void* data, size_t bytes);

} // namespace llmsweep
