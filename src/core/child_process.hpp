#pragma once
// Child processes, one implementation for all of them: a worker (`llmsweep worker`) spoken to over pipes in
// JSON lines, a llama-bench whose JSON lines are read as they come, a program run to its end with its output
// (gnuplot, a --help probe). A program is found on PATH like a shell would; the kernel kills it when this
// process dies, however it dies (PR_SET_PDEATHSIG); every answer has a deadline, and Ctrl-C stops a wait. The
// child is killed and reaped when its object goes.

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <string>
#include <sys/resource.h>
#include <sys/types.h>
#include <vector>

namespace llmsweep {

class ChildProcess {
public:
    struct Options {
        bool own_process_group = true; // Ctrl-C reaches only this process, which decides
        bool forward_stderr = false;   // pass the child's stderr on to ours as it comes (-v), not only keep its end
        std::string name;              // for messages; default: the program's file name
        std::filesystem::path folder;  // its working folder; default: ours
        std::string exit_request;      // a line that asks it to exit (a worker's {"op":"exit"}); default: none
        // Its stderr written to this file instead of a pipe: a server that logs while nobody reads its pipe
        // must not block. The tail of its stderr is then the file's.
        std::filesystem::path stderr_file;
    };
    // Starts `argv[0] argv[1] ...`. Throws Error when it cannot be started.
    explicit ChildProcess(const std::vector<std::string>& argv, Options options);
    explicit ChildProcess(const std::vector<std::string>& argv) : ChildProcess(argv, Options{}) {}
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    enum class Outcome { reply, timeout, died, interrupted };
    struct Answer {
        Outcome outcome = Outcome::died;
        nlohmann::json message; // the reply, when outcome == reply
    };
    // Sends one request and waits up to `timeout_s` for its one-line answer; a Ctrl-C stops the wait.
    Answer request(const nlohmann::json& message, double timeout_s);
    // Writes `text` to its stdin as it is; false when it is gone.
    bool send(std::string_view text);
    // Waits up to `timeout_s` for the next line of JSON on its stdout (other lines are skipped); `died` once
    // its stdout is closed.
    Answer read_line(double timeout_s);
    // Everything it writes to stdout until it closes it, or until `timeout_s` has passed.
    std::string read_all(double timeout_s);

    struct Exit {
        int exit_code = -1; // when it exited
        int signal = 0;     // when a signal ended it
        uint64_t peak_rss_bytes = 0;
        double cpu_seconds = 0; // user and system time it used
    };
    // Whether it is still running, without waiting; a child that ended is reaped.
    bool running();

    // Asks the child to exit (its exit request, then its stdin closed), or kills it with `kill`, and reaps it;
    // one that does not exit within 10 s is killed.
    Exit finish(bool kill = false);

    // Why it died, for the stored error: the signal or exit code and the end of its stderr.
    std::string death_reason();
    // The last 2 KiB of what it wrote to stderr.
    const std::string& stderr_tail() const { return stderr_tail_; }

private:
    void drain_stderr();
    // Waits until stdout has more bytes (appended to pending_: reply), closes (died), the deadline passes
    // or Ctrl-C is pressed.
    Outcome read_more(std::chrono::steady_clock::time_point deadline);

    std::string name_; // for messages
    bool forward_stderr_ = false;
    std::string exit_request_;
    pid_t pid_ = -1;
    int to_child_ = -1;
    int from_child_ = -1;
    int errors_from_child_ = -1;
    std::string pending_; // stdout bytes after the last full line
    std::string stderr_tail_;
    std::filesystem::path stderr_file_;
    bool own_group_ = false; // it leads a process group of its own, which ends with it
    bool reaped_ = false;
    // SIGKILL to it, and to its group where it leads one (what a wrapper script started goes too).
    void kill_all() const;
    Exit exit_;
};

// A program run to its end, in this process's group (Ctrl-C reaches both), with its output captured.
struct ProgramResult {
    int exit_code = -1; // when it exited
    int signal = 0;     // when a signal ended it
    std::string output; // stdout and stderr together

    bool succeeded() const { return signal == 0 && exit_code == 0; }
};

// The executable `name` in a folder of PATH, as a shell finds it; "" where there is none.
std::string find_on_path(std::string_view name);

// Runs argv[0] (a path, or a name looked up on PATH) in `folder`. Throws Error when it cannot be started.
ProgramResult run_program(const std::vector<std::string>& argv, const std::filesystem::path& folder = {});

} // namespace llmsweep
