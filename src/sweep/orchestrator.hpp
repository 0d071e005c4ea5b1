#pragma once
// Runs a plan: finds the run to resume (or starts one), then schedules its visits, each with the tasks not yet
// stored, on an executor (sweep/executor.hpp) whose outcomes the recorder stores; failures are data, and an
// interrupted run resumes where it stopped.

#include "engine/system_info.hpp"
#include "llama_bench/command.hpp"
#include "store/store.hpp"
#include "sweep/executor.hpp"
#include "sweep/observer.hpp"
#include "sweep/plan.hpp"
#include "sweep/recorder.hpp"

#include <string>
#include <vector>

namespace llmsweep::sweep {

struct SweepOptions {
    bool fresh = false;            // a new run even if this spec was run before
    std::string worker_executable; // the llmsweep binary, started as `worker`
    engine::HostInfo host;
    engine::BuildInfo build;
    // What each llama-bench of --engine llama-bench understands, in the spec's order.
    std::vector<llama_bench::LlamaBenchCli> llama_bench;
    serving::ServerSettings server; // server mode: how each llama-server is started
    // After the last point: the models' costs per token and the machine's roofs (sweep/roofline.hpp).
    bool roofline = false;
};

struct SweepOutcome {
    int64_t run_id = 0;
    bool already_complete = false; // the same spec had finished before: nothing was run
    size_t tasks_run = 0;
    size_t failures = 0;
    // The orchestrator's own cost: time from a worker's answer to the next request on the same worker
    // (storing the measurement included), and its peak resident memory.
    double gap_median_ms = 0;
    double gap_p99_ms = 0;
    double gap_max_ms = 0;
    uint64_t peak_rss_bytes = 0;
    Phases phases; // where this invocation's time went
};

// The key under which a spec's run is found again to be resumed.
std::string spec_key(const SweepSpec& spec);

// Throws Interrupted on Ctrl-C, after marking the run interrupted; what was stored stays. The executor is the
// spec's engine's: native workers, or llama-bench.
SweepOutcome run_sweep(const SweepSpec& spec, const Plan& plan, store::Store& store, const SweepOptions& options,
                       SweepObserver& observer);
// The same on a given executor (the tests' fake workers).
SweepOutcome run_sweep(const SweepSpec& spec, const Plan& plan, store::Store& store, const SweepOptions& options,
                       SweepObserver& observer, Executor& executor);

} // namespace llmsweep::sweep
