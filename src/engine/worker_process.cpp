#include "engine/worker_process.hpp"

#include "core/error.hpp"
#include "core/interrupt.hpp"
#include "engine/llama_runtime.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <utility>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace llmsweep::engine {
namespace {

void close_fd(int& fd) {
    if (fd >= 0) close(fd);
    fd = -1;
}

std::chrono::steady_clock::time_point deadline_in(double seconds) {
    return std::chrono::steady_clock::now() +
           std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(seconds));
}

} // namespace

WorkerProcess::WorkerProcess(const std::vector<std::string>& command)
    : name_(command.size() > 1 && command.back() == "worker" ? "worker" : std::filesystem::path(command.front()).filename().string()) {
    int in[2], out[2], err[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0)
        throw Error(fmt::format("cannot create pipes for a worker: {}", std::strerror(errno)));
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attributes, 0);
    std::vector<char*> argv;
    for (const std::string& arg : command) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    // spawnp: a bare name (--llama-bench llama-bench) is looked up on PATH, as a shell would.
    const int rc = posix_spawnp(&pid_, command.front().c_str(), &actions, &attributes, argv.data(), environ);
    posix_spawnattr_destroy(&attributes);
    posix_spawn_file_actions_destroy(&actions);
    close(in[0]);
    close(out[1]);
    close(err[1]);
    to_child_ = in[1];
    from_child_ = out[0];
    errors_from_child_ = err[0];
    if (rc != 0) {
        pid_ = -1;
        close_fd(to_child_);
        close_fd(from_child_);
        close_fd(errors_from_child_);
        throw Error(fmt::format("cannot start {}: {}", command.front(), std::strerror(rc)));
    }
}

WorkerProcess::~WorkerProcess() {
    if (!reaped_ && pid_ > 0) finish(true);
    close_fd(to_child_);
    close_fd(from_child_);
    close_fd(errors_from_child_);
}

std::vector<std::string> WorkerProcess::worker_command(const std::string& executable) {
    if (llama_log_verbose()) return {executable, "-v", "worker"};
    return {executable, "worker"};
}

void WorkerProcess::drain_stderr() {
    char buffer[4096];
    while (true) {
        pollfd p{errors_from_child_, POLLIN, 0};
        if (errors_from_child_ < 0 || poll(&p, 1, 0) <= 0 || !(p.revents & (POLLIN | POLLHUP))) return;
        const ssize_t n = read(errors_from_child_, buffer, sizeof buffer);
        if (n <= 0) {
            close_fd(errors_from_child_);
            return;
        }
        // With -v the child's log (llama.cpp's) is the user's to read, passed on as it comes.
        if (llama_log_verbose()) std::fwrite(buffer, 1, static_cast<size_t>(n), stderr);
        stderr_tail_.append(buffer, static_cast<size_t>(n));
        if (stderr_tail_.size() > 2048) stderr_tail_.erase(0, stderr_tail_.size() - 2048);
    }
}

WorkerProcess::Answer WorkerProcess::request(const nlohmann::json& message, double timeout_s) {
    const std::string line = message.dump() + "\n";
    for (size_t written = 0; written < line.size();) {
        const ssize_t n = write(to_child_, line.data() + written, line.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return {Outcome::died, {}};  // EPIPE: it is gone
        written += static_cast<size_t>(n);
    }
    return read_line(timeout_s);
}

WorkerProcess::Outcome WorkerProcess::read_more(std::chrono::steady_clock::time_point deadline) {
    char buffer[65536];
    while (true) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return Outcome::timeout;
        pollfd fds[2] = {{from_child_, POLLIN, 0}, {errors_from_child_, POLLIN, 0}};
        const int ready = poll(fds, errors_from_child_ >= 0 ? 2 : 1, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
        if (interrupt_requested()) return Outcome::interrupted;
        if (ready < 0 && errno != EINTR) return Outcome::died;
        if (ready <= 0) continue;
        if (fds[1].revents) drain_stderr();
        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            const ssize_t n = read(from_child_, buffer, sizeof buffer);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return Outcome::died;
            pending_.append(buffer, static_cast<size_t>(n));
            return Outcome::reply;
        }
    }
}

WorkerProcess::Answer WorkerProcess::read_line(double timeout_s) {
    const auto deadline = deadline_in(timeout_s);
    while (true) {
        if (const auto newline = pending_.find('\n'); newline != std::string::npos) {
            const std::string reply = pending_.substr(0, newline);
            pending_.erase(0, newline + 1);
            try {
                return {Outcome::reply, nlohmann::json::parse(reply)};
            } catch (const nlohmann::json::exception&) {
                continue;  // a stray line (a library printing to stdout): not ours
            }
        }
        if (const Outcome outcome = read_more(deadline); outcome != Outcome::reply) return {outcome, {}};
    }
}

std::string WorkerProcess::read_all(double timeout_s) {
    const auto deadline = deadline_in(timeout_s);
    while (read_more(deadline) == Outcome::reply) {
    }
    return std::exchange(pending_, {});
}

WorkerProcess::Exit WorkerProcess::finish(bool kill_it) {
    if (reaped_) return exit_;
    if (kill_it) {
        ::kill(pid_, SIGKILL);
    } else {
        const std::string bye = "{\"op\":\"exit\"}\n";
        [[maybe_unused]] const ssize_t ignored = write(to_child_, bye.data(), bye.size());
    }
    close_fd(to_child_);
    int status = 0;
    rusage usage{};
    // A worker asked to exit gets a few seconds; then it is killed.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (true) {
        const pid_t done = wait4(pid_, &status, WNOHANG, &usage);
        if (done == pid_) break;
        if (done < 0 && errno != EINTR) break;
        if (std::chrono::steady_clock::now() > deadline) ::kill(pid_, SIGKILL);
        usleep(2000);
    }
    drain_stderr();
    reaped_ = true;
    exit_.peak_rss_bytes = static_cast<uint64_t>(usage.ru_maxrss) * 1024;
    if (WIFEXITED(status)) exit_.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) exit_.signal = WTERMSIG(status);
    return exit_;
}

std::string WorkerProcess::death_reason() {
    if (!reaped_) finish(true);
    drain_stderr();
    std::string reason = exit_.signal ? fmt::format("{} killed by signal {} ({})", name_, exit_.signal, strsignal(exit_.signal))
                                      : fmt::format("{} exited with code {}", name_, exit_.exit_code);
    if (exit_.signal == SIGKILL) reason += ", possibly out of memory";
    std::string tail = stderr_tail_;
    while (!tail.empty() && (tail.back() == '\n' || tail.back() == ' ')) tail.pop_back();
    if (const auto last_line = tail.rfind('\n'); last_line != std::string::npos) tail = tail.substr(last_line + 1);
    if (!tail.empty()) reason += ": " + tail;
    return reason;
}

} // namespace llmsweep::engine
