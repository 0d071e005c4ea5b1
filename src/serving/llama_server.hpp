#pragma once
// One llama-server process: the command line that gives it a point's load, context and server settings in
// llama-server's spellings, started on 127.0.0.1 at a free port, ready when /health says so, and stopped with
// its process group (the kernel kills it if llmsweep dies, however it dies).

#include "core/child_process.hpp"
#include "domain/point.hpp"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace llmsweep::serving {

// What every server of a sweep is started with.
struct ServerSettings {
    std::string binary = "llama-server";
    std::vector<std::string> extra_args; // --llama-server-arg, handed over as they are
    std::filesystem::path log_folder;    // each server's log (its stderr) is written here
};

// llama-server's command line for `point`'s settings on `port` (load mode, GPU layers, threads, batches,
// KV cache types, flash attention, the knobs, -np, -c, -cb, --cache-reuse). Throws UsageError for a setting
// llama-server does not have.
std::vector<std::string> server_command(const ServerSettings& settings, const domain::Point& point, int port);

// A TCP port on 127.0.0.1 that nothing listens on now.
int free_port();

class ServerProcess {
public:
    // Starts it and waits until /health answers 200. Throws Error with the server's last log line when it exits
    // first (a bad flag, a model it refuses, a port taken) or is not ready within `timeout_s`.
    ServerProcess(const ServerSettings& settings, const domain::Point& point, double timeout_s);

    const std::string& url() const { return url_; }
    const std::vector<std::string>& command() const { return command_; }
    const std::filesystem::path& log() const { return log_; }
    bool running() { return process_->running(); }
    // Why it is not running: its signal or exit code and its log's last line.
    std::string death_reason() { return process_->death_reason(); }
    // Stops it (SIGKILL: its state is not ours to keep); its peak resident memory.
    ChildProcess::Exit stop() { return process_->finish(true); }

private:
    std::vector<std::string> command_;
    std::filesystem::path log_;
    std::string url_;
    std::unique_ptr<ChildProcess> process_;
};

} // namespace llmsweep::serving
