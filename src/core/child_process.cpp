#include "core/child_process.hpp"

#include "core/error.hpp"
#include "core/interrupt.hpp"
#include "core/text.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <limits>
#include <poll.h>
#include <pthread.h>
#include <sstream>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utility>

namespace llmsweep {
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

ChildProcess::ChildProcess(const std::vector<std::string>& command, Options options)
    : name_(options.name.empty() ? std::filesystem::path(command.front()).filename().string() : options.name),
      forward_stderr_(options.forward_stderr), exit_request_(options.exit_request), stderr_file_(options.stderr_file) {
    int in[2], out[2], err[2], exec_status[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0 ||
        pipe2(exec_status, O_CLOEXEC) != 0)
        throw Error(fmt::format("cannot create pipes for {}: {}", name_, std::strerror(errno)));
    if (!stderr_file_.empty()) {
        // A new file, never one that is there (a link planted in a shared folder would send the log elsewhere).
        const int file = open(stderr_file_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (file < 0)
            throw Error(
                fmt::format("cannot write {}'s log {}: {}", name_, stderr_file_.string(), std::strerror(errno)));
        close(err[1]);
        err[1] = file;
    }
    std::vector<char*> argv;
    for (const std::string& arg : command) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    const std::string folder = options.folder.string();
    const pid_t parent = getpid();
    // vfork: the child borrows this process's memory until it execs, rather than a copy of its page tables. A
    // fork of a report holding 500 MiB cost every page the report wrote afterwards a fault (1.6 s per fork to
    // write them all, on a virtual machine); a vfork costs none. Signals are blocked around it (a handler must
    // not run in the child on this process's memory), and the child sets every handled one back to its default
    // before it unblocks them.
    sigset_t all, before;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &before);
    pid_ = vfork();
    if (pid_ == 0) {
        // Only system calls from here to exec, writing none of this process's memory but these locals.
        for (int signo = 1; signo < NSIG; ++signo) {
            struct sigaction action {};
            if (sigaction(signo, nullptr, &action) != 0) continue;
            // llmsweep ignores SIGPIPE; the program it runs gets the usual one.
            if (action.sa_handler == SIG_DFL || (action.sa_handler == SIG_IGN && signo != SIGPIPE)) continue;
            action.sa_handler = SIG_DFL;
            action.sa_flags = 0;
            sigaction(signo, &action, nullptr);
        }
        sigprocmask(SIG_SETMASK, &before, nullptr);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(127); // the parent died before prctl
        if (options.own_process_group) setpgid(0, 0);
        if (!folder.empty() && chdir(folder.c_str()) != 0) _exit(126);
        dup2(in[0], STDIN_FILENO);
        dup2(out[1], STDOUT_FILENO);
        dup2(err[1], STDERR_FILENO);
        execvp(argv[0], argv.data());
        // A failed exec is reported through exec_status (a successful one closes it).
        const int error = errno;
        [[maybe_unused]] const ssize_t n = write(exec_status[1], &error, sizeof error);
        _exit(127);
    }
    const int fork_error = errno;
    pthread_sigmask(SIG_SETMASK, &before, nullptr);
    // Also here, so that no kill of the group can come before the child has made it.
    if (pid_ > 0 && options.own_process_group) {
        setpgid(pid_, pid_);
        own_group_ = true;
    }
    close(exec_status[1]);
    close(in[0]);
    close(out[1]);
    close(err[1]);
    to_child_ = in[1];
    from_child_ = out[0];
    errors_from_child_ = err[0];
    if (!stderr_file_.empty()) close_fd(errors_from_child_); // nothing writes to the pipe
    int exec_error = 0;
    ssize_t n = 0;
    if (pid_ > 0)
        while ((n = read(exec_status[0], &exec_error, sizeof exec_error)) < 0 && errno == EINTR) {}
    close(exec_status[0]);
    if (pid_ < 0 || n == static_cast<ssize_t>(sizeof exec_error)) {
        const int error = pid_ < 0 ? fork_error : exec_error;
        if (pid_ > 0) waitpid(pid_, nullptr, 0);
        reaped_ = true;
        pid_ = -1;
        close_fd(to_child_);
        close_fd(from_child_);
        close_fd(errors_from_child_);
        throw Error(fmt::format("cannot start {}: {}", command.front(), std::strerror(error)));
    }
}

void ChildProcess::kill_all() const {
    if (own_group_) ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
}

ChildProcess::~ChildProcess() {
    if (!reaped_ && pid_ > 0) finish(true);
    close_fd(to_child_);
    close_fd(from_child_);
    close_fd(errors_from_child_);
}

void ChildProcess::drain_stderr() {
    if (!stderr_file_.empty()) {
        std::ifstream log(stderr_file_, std::ios::binary | std::ios::ate);
        const std::streamoff size = log ? static_cast<std::streamoff>(log.tellg()) : 0;
        const std::streamoff from = std::max<std::streamoff>(0, size - 2048);
        stderr_tail_.assign(static_cast<size_t>(size - from), '\0');
        log.seekg(from);
        log.read(stderr_tail_.data(), static_cast<std::streamsize>(stderr_tail_.size()));
        return;
    }
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
        if (forward_stderr_) std::fwrite(buffer, 1, static_cast<size_t>(n), stderr);
        stderr_tail_.append(buffer, static_cast<size_t>(n));
        if (stderr_tail_.size() > 2048) stderr_tail_.erase(0, stderr_tail_.size() - 2048);
    }
}

bool ChildProcess::send(std::string_view text) {
    for (size_t written = 0; written < text.size();) {
        const ssize_t n = write(to_child_, text.data() + written, text.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false; // EPIPE: it is gone
        written += static_cast<size_t>(n);
    }
    return true;
}

ChildProcess::Answer ChildProcess::request(const nlohmann::json& message, double timeout_s) {
    if (!send(message.dump() + "\n")) return {Outcome::died, {}};
    return read_line(timeout_s);
}

ChildProcess::Outcome ChildProcess::read_more(std::chrono::steady_clock::time_point deadline) {
    char buffer[65536];
    while (true) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return Outcome::timeout;
        pollfd fds[2] = {{from_child_, POLLIN, 0}, {errors_from_child_, POLLIN, 0}};
        const int ready =
            poll(fds, errors_from_child_ >= 0 ? 2 : 1, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
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

ChildProcess::Answer ChildProcess::read_line(double timeout_s) {
    const auto deadline = deadline_in(timeout_s);
    while (true) {
        if (const auto newline = pending_.find('\n'); newline != std::string::npos) {
            const std::string reply = pending_.substr(0, newline);
            pending_.erase(0, newline + 1);
            try {
                return {Outcome::reply, nlohmann::json::parse(reply)};
            } catch (const nlohmann::json::exception&) {
                continue; // a stray line (a library printing to stdout): not ours
            }
        }
        if (const Outcome outcome = read_more(deadline); outcome != Outcome::reply) return {outcome, {}};
    }
}

std::string ChildProcess::read_all(double timeout_s) {
    const auto deadline = deadline_in(timeout_s);
    while (read_more(deadline) == Outcome::reply) {}
    return std::exchange(pending_, {});
}

bool ChildProcess::running() {
    if (reaped_) return false;
    if (stderr_file_.empty()) drain_stderr(); // a log file is read once, when it has ended
    int status = 0;
    rusage usage{};
    if (wait4(pid_, &status, WNOHANG, &usage) != pid_) return true;
    if (own_group_) ::kill(-pid_, SIGKILL); // what it left behind in its group
    reaped_ = true;
    drain_stderr();
    exit_.peak_rss_bytes = static_cast<uint64_t>(usage.ru_maxrss) * 1024;
    if (WIFEXITED(status)) exit_.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) exit_.signal = WTERMSIG(status);
    return false;
}

ChildProcess::Exit ChildProcess::finish(bool kill_it) {
    if (reaped_) return exit_;
    if (kill_it) {
        kill_all();
    } else if (!exit_request_.empty()) {
        [[maybe_unused]] const ssize_t ignored = write(to_child_, exit_request_.data(), exit_request_.size());
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
        if (std::chrono::steady_clock::now() > deadline) kill_all();
        usleep(2000);
    }
    // What it left behind in its group (a wrapper script's llama-server): a group's id is not given to a new
    // process while any member lives, so this reaches only them.
    if (own_group_) ::kill(-pid_, SIGKILL);
    drain_stderr();
    reaped_ = true;
    exit_.peak_rss_bytes = static_cast<uint64_t>(usage.ru_maxrss) * 1024;
    exit_.cpu_seconds = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                        static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
    if (WIFEXITED(status)) exit_.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) exit_.signal = WTERMSIG(status);
    return exit_;
}

std::string ChildProcess::death_reason() {
    if (!reaped_) finish(true);
    drain_stderr();
    std::string reason = exit_.signal
                             ? fmt::format("{} killed by signal {} ({})", name_, exit_.signal, strsignal(exit_.signal))
                             : fmt::format("{} exited with code {}", name_, exit_.exit_code);
    if (exit_.signal == SIGKILL) reason += ", possibly out of memory";
    std::string_view tail = trim(stderr_tail_);
    if (const auto last_line = tail.rfind('\n'); last_line != std::string::npos) tail = tail.substr(last_line + 1);
    if (!tail.empty()) reason += ": " + std::string(tail);
    return reason;
}

ProgramResult run_program(const std::vector<std::string>& command, const std::filesystem::path& folder) {
    ChildProcess child(command, {.own_process_group = false, .folder = folder});
    ProgramResult result;
    result.output = child.read_all(std::numeric_limits<double>::infinity());
    const ChildProcess::Exit exit = child.finish();
    result.exit_code = exit.exit_code;
    result.signal = exit.signal;
    result.output += child.stderr_tail();
    return result;
}

std::string find_on_path(std::string_view name) {
    const char* path = std::getenv("PATH");
    std::stringstream dirs(path ? path : "");
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
        const auto candidate = std::filesystem::path(dir) / name;
        if (!dir.empty() && access(candidate.c_str(), X_OK) == 0) return candidate.string();
    }
    return {};
}

} // namespace llmsweep
