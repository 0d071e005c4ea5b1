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

// Expands `spec` into points (threads defaulting to `default_threads`) and orders them; with --shard K/N, only
// the points of shard K.
Plan make_plan(const SweepSpec& spec, int64_t default_threads);

// The spec's tests (prompt, generation and depth sizes), each with every load and context setting.
std::vector<domain::TestParams> tests_of(const SweepSpec& spec);

// The shards of a sweep (run --shard K/N): its tests, each whole with every value of every other parameter, so
// that no comparison's pair is split (a pair always has one test's sizes); dealt out by estimated work, the
// largest first, each to the shard with the least so far. A generated token counts as `generated_token_weight`
// prompt tokens (about the ratio of pp to tg throughput on a CPU). Returns the tests' indices per shard.
inline constexpr double generated_token_weight = 25;
double test_work(const domain::TestParams& test);
// Throws UsageError, naming what was given (--shard 2/5, --shards 5), when there are more shards than tests.
void check_shard_count(int64_t shards, size_t tests, const std::string& given);
std::vector<std::vector<size_t>> shard_tests(const std::vector<domain::TestParams>& tests, int64_t shards);

} // namespace llmsweep::sweep
