#pragma once
// Executors run a visit's tasks and report every outcome to the recorder; the scheduler (orchestrator.cpp)
// decides which tasks a visit still has. Three of them: workers (one process per load, a new one after a crash
// or a hang; the native engine's `llmsweep worker`, or the scripted fake workers of the tests), llama-bench (one
// process per visit where its grid of values is exactly the visit's points), and server mode's (one
// llama-server per visit, or a server given by --url, and the clients that load it).

#include "engine/measurement.hpp"
#include "llama_bench/command.hpp"
#include "serving/client.hpp"
#include "serving/llama_server.hpp"
#include "sweep/plan.hpp"
#include "sweep/recorder.hpp"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace llmsweep::sweep {

// A worker's answer to a load or a run.
enum class Answer { ok, failed, timeout, crashed };
std::string_view name(Answer answer); // the result status it stands for: ok, failed, timeout, crashed

struct LoadAnswer {
    Answer answer = Answer::ok;
    engine::LoadOutcome outcome; // when ok
    std::string error;           // otherwise
};

struct RunAnswer {
    Answer answer = Answer::ok;
    engine::Measurement measurement; // when ok
    std::string error;               // otherwise
};

// One process that loads a model and runs tasks on it. After a timeout or a crash it is gone.
class Worker {
public:
    virtual ~Worker() = default;
    virtual LoadAnswer load(const domain::LoadParams& load, double timeout_s) = 0;
    virtual RunAnswer run(const engine::RunRequest& request, double timeout_s) = 0;
    // Its memory's state after the visit's measurements (none where it cannot say).
    virtual std::optional<engine::MappingState> end_state(double /*timeout_s*/) { return std::nullopt; }
    struct Exit {
        uint64_t peak_rss_bytes = 0;
        double cpu_seconds = 0;
    };
    // Ends it (killed with `kill`); its peak resident memory and the CPU time it used.
    virtual Exit finish(bool kill) = 0;
};
using WorkerFactory = std::function<std::unique_ptr<Worker>()>;

class Executor {
public:
    virtual ~Executor() = default;
    // Runs `tasks` (those of `visit` not done yet, in order) and reports each to `recorder`.
    virtual void run_visit(const Visit& visit, const std::vector<Task>& tasks, Recorder& recorder) = 0;
    // The orchestrator's own cost between a worker's answer and its next request (storing included), in ms.
    virtual std::vector<double> gaps_ms() const { return {}; }
    // No visit follows for now: ends what was started ahead of one (a worker), so that nothing of the sweep's
    // runs beside what comes next (the machine's roofs).
    virtual void idle() {}
};

// Workers from `factory`, each answer awaited for at most `timeout_s`: a failed load fails the visit's
// remaining points; a failed task fails its point; a crash or a timeout fails its point and a new worker
// takes the rest. The next visit's worker is started as a visit ends (idle() ends it where none follows).
std::unique_ptr<Executor> worker_executor(WorkerFactory factory, double timeout_s);
// The native engine's workers: `executable worker` processes, with the sweep's process-wide settings (NUMA, RPC
// servers).
WorkerFactory native_workers(const std::string& executable, const SweepSpec& spec);
// The llama-bench engine: each load on its binary (LoadParams::llama_bench, by path), or the first one where the
// load names none. A llama-bench that fails leaves its unreported points to be run one per process, so that a
// failure costs only the point that caused it.
std::unique_ptr<Executor> llama_bench_executor(std::vector<llama_bench::LlamaBenchCli> clis, double timeout_s);

// Server mode: one llama-server per visit (started with `settings`, or the spec's --url, started by nobody),
// each point's repetition one client load on it. A server that does not start fails the visit's points; one
// that dies fails the point it died on and a new one takes the rest.
std::unique_ptr<Executor> server_executor(serving::ServerSettings settings);

// The request of a server-mode point's repetition: request `index` of repetition `repetition`, its token ids
// drawn below `n_vocab` from the spec's seed, the point and the repetition (the shared prefix from the seed
// and the point alone). A point with images begins it with them (synthetic ones as PPM files, each with pixels of
// its own, or `image_file`, the bytes of its --image file) and gives its prompt as text.
serving::Request request_for(const SweepSpec& spec, const domain::Point& point, size_t point_index, int64_t repetition,
                             size_t index, int64_t n_vocab, const std::string& image_file = {});

// The spec's settings of every llama-bench command, each test run `repetitions` times.
llama_bench::CommandSettings command_settings(const SweepSpec& spec, int64_t repetitions);

// The command line of the llama-bench that --engine llama-bench starts first (for --dry-run).
std::vector<std::string> first_llama_bench_command(const SweepSpec& spec, const Plan& plan,
                                                   const std::vector<llama_bench::LlamaBenchCli>& clis);
// The binary of a load among a sweep's: the one its path names, or the first.
const llama_bench::LlamaBenchCli& llama_bench_of(const domain::LoadParams& load,
                                                 const std::vector<llama_bench::LlamaBenchCli>& clis);

} // namespace llmsweep::sweep
