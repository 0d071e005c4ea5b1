#pragma once
// The orchestrator's side of a child process: `llmsweep worker`, spoken to over pipes, or a llama-bench whose
// JSON lines are read as they come; a deadline on every answer. The child is killed and reaped when this
// object goes.

#include <nlohmann/json.hpp>

#include <chrono>
#include <string>
#include <vector>
#include <sys/resource.h>
#include <sys/types.h>

namespace llmsweep::engine {

class WorkerProcess {
public:
    // Starts `argv[0] argv[1] ...`, in a process group of its own (Ctrl-C is the orchestrator's to handle).
    explicit WorkerProcess(const std::vector<std::string>& argv);
    // Starts `executable worker` (`executable -v worker` when this process shows llama.cpp's log).
    static std::vector<std::string> worker_command(const std::string& executable);
    ~WorkerProcess();
    WorkerProcess(const WorkerProcess&) = delete;
    WorkerProcess& operator=(const WorkerProcess&) = delete;

    enum class Outcome { reply, timeout, died, interrupted };
    struct Answer {
        Outcome outcome = Outcome::died;
        nlohmann::json message;   // the reply, when outcome == reply
    };
    // Sends one request and waits up to `timeout_s` for its one-line answer; a Ctrl-C stops the wait.
    Answer request(const nlohmann::json& message, double timeout_s);
    // Waits up to `timeout_s` for the next line of JSON on its stdout (other lines are skipped); `died` once
    // its stdout is closed.
    Answer read_line(double timeout_s);
    // Everything it writes to stdout until it closes it, or until `timeout_s` has passed.
    std::string read_all(double timeout_s);

    struct Exit {
        int exit_code = -1;       // when it exited
        int signal = 0;           // when a signal ended it
        uint64_t peak_rss_bytes = 0;
    };
    // Asks the worker to exit (or kills it, with `kill`) and reaps it.
    Exit finish(bool kill = false);

    // Why it died, for the stored error: the signal or exit code and the end of its stderr.
    std::string death_reason();

private:
    void drain_stderr();
    // Waits until stdout has more bytes (appended to pending_: reply), closes (died), the deadline passes
    // or Ctrl-C is pressed.
    Outcome read_more(std::chrono::steady_clock::time_point deadline);

    std::string name_;          // for messages: worker, or the program's file name
    pid_t pid_ = -1;
    int to_child_ = -1;
    int from_child_ = -1;
    int errors_from_child_ = -1;
    std::string pending_;       // stdout bytes after the last full line
    std::string stderr_tail_;
    bool reaped_ = false;
    Exit exit_;
};

} // namespace llmsweep::engine
