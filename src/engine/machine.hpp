#pragma once
// How fast the machine can go, measured the way llama.cpp's work uses it: the memory read bandwidth (threads
// streaming through a buffer far larger than the last-level cache, best of several passes; and STREAM's triad
// for comparison), and the compute rate of ggml's own matrix multiplication on the CPU backend at a large batch,
// per weight type. With the theoretical peak where the CPU's flags and frequency give it, and the caches. The
// roofline of a sweep's points is drawn against these.

#include "domain/machine.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace llmsweep::engine {

using domain::MachineFigures;

// The weight types measured: those of the swept models where ggml can multiply them, and q8_0, q4_0 and f16.
std::vector<std::string> roofline_weight_types(const std::vector<std::string>& model_weight_types);

// Measures with `threads` threads (about a second or two; nothing else should run). `build_commit` and the
// host's name and CPU label the figures.
MachineFigures measure_machine(int64_t threads, const std::vector<std::string>& weight_types,
                               const std::string& build_commit);

// The figures measured before for this host, build and thread count, in llmsweep's cache folder
// ($LLMSWEEP_CACHE_DIR, else $XDG_CACHE_HOME/llmsweep or ~/.cache/llmsweep), and remembering new ones there.
std::optional<MachineFigures> cached_machine(const std::string& hostname, const std::string& build_commit,
                                             int64_t threads);
void remember_machine(const MachineFigures& figures);

} // namespace llmsweep::engine
