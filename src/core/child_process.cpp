#include "core/child_process.hpp"

#include "core/error.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace llmsweep {

ProgramResult run_program(const std::vector<std::string>& command, const std::filesystem::path& folder) {
    if (command.empty()) throw Error("internal: run_program without a program");
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) throw Error(fmt::format("cannot run {}: {}", command.front(), std::strerror(errno)));
    std::vector<char*> argv;
    for (const std::string& arg : command) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    const std::string cwd = folder.string();
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid < 0) {
        const int error = errno;
        close(out[0]);
        close(out[1]);
        throw Error(fmt::format("cannot run {}: {}", command.front(), std::strerror(error)));
    }
    if (pid == 0) {
        // Only async-signal-safe calls from here to exec.
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(127);   // the parent died before prctl
        dup2(out[1], STDOUT_FILENO);
        dup2(out[1], STDERR_FILENO);
        if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(126);
        execvp(argv[0], argv.data());
        _exit(127);
    }
    close(out[1]);
    ProgramResult result;
    char buffer[4096];
    while (true) {
        const ssize_t n = read(out[0], buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        result.output.append(buffer, static_cast<size_t>(n));
    }
    close(out[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
    if (result.exit_code == 127 && result.output.empty())
        throw Error(fmt::format("cannot start {}: not found or not executable", command.front()));
    return result;
}

} // namespace llmsweep
