#pragma once
// How the orchestrator reports progress: events to an observer, which the CLI turns into a progress bar,
// plain lines or nothing. The orchestrator itself never prints.

#include "sweep/plan.hpp"

#include <optional>
#include <string>

namespace llmsweep::sweep {

struct SweepStart {
    int64_t run_id = 0;
    bool resumed = false;
    size_t tasks_total = 0; // repetitions in the plan
    size_t tasks_done = 0;  // already stored by an earlier, interrupted invocation
};

struct TaskDone {
    const domain::Point* point = nullptr;
    int64_t repetition = 0;
    std::string status; // ok, failed, timeout, crashed
    std::string error;
    std::optional<double> pp_ts, tg_ts, pg_ts;
    size_t tasks_done = 0; // including this one
    size_t tasks_total = 0;
    std::optional<double> serve_ts; // server mode: output tokens per second of the whole server
    size_t request_errors = 0;      // server mode: requests that failed or timed out
};

// Adaptive rounds: a round added for the points that still need one.
struct RoundAdded {
    int64_t round = 0;       // from 0
    size_t points = 0;       // that need it
    size_t points_total = 0; // in the plan
    size_t tasks_total = 0;  // repetitions now planned, this round's included
};

class SweepObserver {
public:
    virtual ~SweepObserver() = default;
    virtual void on_start(const SweepStart&) {}
    virtual void on_task_start(const domain::Point&, int64_t /*repetition*/) {}
    virtual void on_task_done(const TaskDone&) {}
    virtual void on_load_failed(const domain::LoadParams&, const std::string& /*error*/) {}
    virtual void on_round_added(const RoundAdded&) {}
    // After the last point: the machine's roofs measured for a thread count (sweep/roofline.hpp).
    virtual void on_measuring_machine(int64_t /*threads*/) {}
};

} // namespace llmsweep::sweep
