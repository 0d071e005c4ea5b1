#pragma once
// Expansion of a spec into points, and the order in which they run.

#include "domain/point.hpp"
#include "sweep/spec.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace llmsweep::sweep {

struct Task {
    size_t point = 0;
    int64_t repetition = 0;
};

// One worker process: a load of one load group, and the tasks it runs on that load.
struct Visit {
    size_t group = 0;
    int64_t round = 0;
    std::vector<Task> tasks;
};

struct Plan {
    std::vector<domain::Point> points;
    std::vector<std::vector<size_t>> groups; // point indices, by load group
    std::vector<Visit> visits;               // in execution order
    size_t n_tasks() const;
};

// Expands `spec` into points (threads defaulting to `default_threads`) and orders them.
Plan make_plan(const SweepSpec& spec, int64_t default_threads);

} // namespace llmsweep::sweep
