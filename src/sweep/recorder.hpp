#pragma once
// The only writer of a run's measurements: samples, failures and loads go to the store through here, each in
// its own transaction, and progress goes to the observer. It also knows what is already done (a resumed run's
// stored repetitions, and what this invocation has recorded), which is what the scheduler asks.

#include "engine/host_activity.hpp"
#include "engine/measurement.hpp"
#include "store/store.hpp"
#include "sweep/observer.hpp"
#include "sweep/plan.hpp"

#include <nlohmann/json_fwd.hpp>

#include <algorithm>
#include <chrono>
#include <optional>

#include <string>
#include <vector>

namespace llmsweep::llama_bench {
struct BenchTest;
}
namespace llmsweep::serving {
struct LoadRun;
}

namespace llmsweep::sweep {

// Where a sweep's time went, in seconds, as the recorder sees it: the samples' own timed parts; the models' loads
// (a native worker's load, a llama-server's start until it answers); each test's whole time in its worker, from
// the request to the answer (its context, warm-up and depth's prefill beside its timed part); and the visits'
// whole time (their processes' starts and ends beside their loads and tests). The orchestrator adds the machine's
// measurement and the wall time; what is left is llmsweep's own (plans, the store, waits).
struct Phases {
    double wall_s = 0, timed_s = 0, load_s = 0, test_s = 0, visit_s = 0, machine_s = 0;
    double untimed_s() const { return std::max(0.0, test_s - timed_s); }
    double process_s() const { return std::max(0.0, visit_s - load_s - test_s); }
    double own_s() const { return std::max(0.0, wall_s - visit_s - machine_s); }
    double timed_share() const { return wall_s > 0 ? timed_s / wall_s : 0; }
    // What physics allows: the tests' timed parts and the loads happened within the wall time (1 % and 10 ms for
    // the clocks' grain). An engine whose clock misreports breaks it (llama-bench's own samples, a fake worker's).
    bool possible() const { return timed_s + load_s <= 1.01 * wall_s + 0.01; }
};

class Recorder {
public:
    Recorder(const SweepSpec& spec, const Plan& plan, store::Store& store, SweepObserver& observer, int64_t run_id);

    int64_t run_id() const { return run_id_; }
    const Plan& plan() const { return plan_; }
    const SweepSpec& spec() const { return spec_; }

    const std::vector<std::string>& point_keys() const { return keys_; }

    // Whether every metric of the task's point has this repetition stored, or the point is final.
    bool done(const Task& task) const;
    // Whether the point gets no more repetitions: it failed, or a repetition after its first ones did.
    bool final(size_t point) const;
    // Tasks done before this invocation started; tasks run (ok) and points failed by it.
    size_t done_at_start() const { return done_at_start_; }
    size_t tasks_run() const { return tasks_run_; }
    size_t failures() const { return failures_; }
    // This invocation's time so far, but its wall time and the machine's measurement.
    const Phases& phases() const { return phases_; }

    // Progress events that are not store writes.
    void start(bool resumed);
    void task_started(const Task& task);
    // Adaptive rounds: round `round` added, for `points` points and `tasks` repetitions still to run.
    void round_added(int64_t round, size_t points, size_t tasks);

    // A load of `load` for the visit of `round`. `measured`: the load itself was timed (a native worker's);
    // llama-bench does not report it. Returns the load's id for the samples measured on it.
    int64_t load_started(const domain::LoadParams& load, int64_t round, const engine::LoadOutcome& outcome,
                         bool measured);
    // The end of a load's visit: its peak memory, and its memory's state after the measurements.
    // `resident_after`: the model file's bytes in the page cache then.
    void load_finished(int64_t load_id, uint64_t peak_rss_bytes, const std::optional<engine::MappingState>& end,
                       const engine::VisitActivity& activity, std::optional<uint64_t> resident_after);
    // Server mode: a server ready `ready_ms` after its start, with its command line (none for a server llmsweep
    // did not start) and what it said about itself; `n_layer` the model's layers where known (0: unknown).
    // Returns its load's id.
    int64_t server_started(const domain::LoadParams& load, int64_t round, double ready_ms,
                           const std::vector<std::string>& command, const nlohmann::json& props, int64_t n_layer);
    // Server mode: one repetition of a point, its requests stored with it. Its sample: the time from the first
    // submission to the last answer, and the output tokens per second over it. A repetition whose requests all
    // failed is the point's failure.
    // `server_metrics`: what the server's own counters say of the repetition (null where it has none).
    void server_repetition(const Task& task, int64_t load_id, const serving::LoadRun& run,
                           const nlohmann::json& server_metrics);

    // A load that failed: every remaining point of the visit fails with it (the caller records them).
    void load_failed(const domain::LoadParams& load, int64_t round, const std::string& status,
                     const std::string& error);

    // One repetition measured.
    void sample(const Task& task, int64_t load_id, const engine::Measurement& measurement);
    // The point is finished with this status (failed, timeout, crashed): its later repetitions are not run. A
    // point that already has its first repetitions (a failure in an added round) stays ok with what it has.
    void failure(const Task& task, const std::string& status, const std::string& error);

    // A llama-bench test: its samples as repetitions of `tasks` (the run takes llama-bench's build from the
    // first one), and a failure for the repetitions it did not report.
    void llama_bench_test(size_t point, const std::vector<Task>& tasks, int64_t load_id,
                          const llama_bench::BenchTest& test);

private:
    store::Row point_row(const domain::Point& p) const;

    const SweepSpec& spec_;
    const Plan& plan_;
    store::Store& store_;
    SweepObserver& observer_;
    int64_t run_id_;
    std::vector<std::string> keys_;
    store::Progress progress_;
    engine::LoadOutcome loaded_; // the model's description, from the current load
    size_t total_ = 0, done_ = 0, done_at_start_ = 0, tasks_run_ = 0, failures_ = 0;
    bool build_recorded_ = false;
    Phases phases_;
    std::optional<std::chrono::steady_clock::time_point> task_start_; // the test the worker is running
    void test_answered();                                             // the test's whole time into phases_
};

} // namespace llmsweep::sweep
