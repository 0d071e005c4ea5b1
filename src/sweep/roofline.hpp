#pragma once
// Before a sweep's first point, outside every timed region: what a token costs each swept model (read from its
// GGUF file) and how fast this machine can go at each swept thread count (measured once per host, build and
// thread count: from the database, else llmsweep's cache folder, else measured now). Both are stored for the
// report's roofline.

#include "engine/machine.hpp"
#include "engine/system_info.hpp"
#include "store/store.hpp"
#include "sweep/plan.hpp"
#include "sweep/spec.hpp"

#include <functional>
#include <string>
#include <vector>

namespace llmsweep::sweep {

// Measures the machine with a thread count for these weight types (engine::measure_machine, in a process of its
// own: `llmsweep info --measure --json`, so that the sweep's own memory stays its own).
using MachineMeasurer =
    std::function<domain::MachineFigures(int64_t threads, const std::vector<std::string>& weight_types)>;
MachineMeasurer measure_in_child(const std::string& llmsweep_executable);

// Calls `measuring(threads)` before each measurement it has to make (a few seconds each).
void prepare_roofline(const SweepSpec& spec, const std::vector<int64_t>& thread_counts, store::Store& store,
                      const engine::HostInfo& host, const std::string& build_commit, const MachineMeasurer& measure,
                      const std::function<void(int64_t threads)>& measuring);

// What a sweep should take, before anything of it was measured: each point's tests (its depth's prefill
// included) at the typical shares of the roofs, its warm-up on each visit, and each visit's worker start and
// load (as earlier loads of the file took, where the store has them).
// Points whose model file or thread count has no figures are left out and counted.
// What a visit costs beside its measurements where nothing of this machine says otherwise: a worker's start and
// each context's creation (about 0.05 s each on 2-core hosts), the rates llama.cpp loads a model file warm
// in the page cache at (read into its buffers, about 0.3 GB/s; mapped, about 1.6 GB/s: the smollm2-135m preset's
// 144 MB in 0.5 s and 0.09 s on a 2-core host), and a llama-server's start until it answers (about 2.5 s, its
// load included).
inline constexpr double per_visit_s = 0.05, per_context_s = 0.05, server_start_s = 2.5;
inline constexpr double load_read_bytes_per_s = 0.3e9, load_map_bytes_per_s = 1.6e9;

// What the plan's visits cost beside their measurements: each a worker's (or server's) start and its model's
// load, as earlier loads of the file took where the store has them, else the file read or mapped at the rates
// above (mapped: a warm load that maps the file, as auto and mmap do).
double visits_seconds(const SweepSpec& spec, const Plan& plan, store::Store* store);

struct RooflineEstimate {
    double seconds = 0;
    size_t points = 0, points_without = 0;
    std::vector<domain::MachineFigures> machines; // the figures used, per thread count
};
// The machine's figures come from `store` (if given) or llmsweep's cache folder; none are measured.
RooflineEstimate estimate_from_roofline(const SweepSpec& spec, const Plan& plan, store::Store* store,
                                        const engine::HostInfo& host, const std::string& build_commit);

// Stores the machine figures in `store` (table machines).
void store_machine(store::Store& store, const engine::MachineFigures& figures);

} // namespace llmsweep::sweep
