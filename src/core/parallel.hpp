#pragma once
// Independent pieces of work on the host's cores: a report's comparisons, one group of records each.

#include <cstddef>
#include <functional>

namespace llmsweep {

// Calls each(i) once for every i < n, on up to `threads` threads at once (0: one per core). The exception of
// the lowest i that threw is rethrown once every call has ended; the calls after it still run.
void for_each_index(size_t n, const std::function<void(size_t)>& each, unsigned threads = 0);

} // namespace llmsweep
