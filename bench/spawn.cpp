// What starting a program costs a process that holds a lot of memory and goes on writing it, as a report
// does while gnuplot draws its charts: a fork (every page the parent writes afterwards faults once to be its
// own again) against llmsweep's ChildProcess (vfork: the child borrows the parent's memory until it execs).
//
//   llmsweep_spawn [MiB held, default 500] [programs started, default 20]

#include "core/child_process.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// Writes one byte of every page: what a report does to its memory, at the worst.
double write_every_page(std::vector<char>& memory) {
    const auto start = Clock::now();
    for (size_t i = 0; i < memory.size(); i += 4096) ++memory[i];
    return seconds_since(start);
}

} // namespace

int main(int argc, char** argv) {
    const size_t mib = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 500;
    const int programs = argc > 2 ? std::atoi(argv[2]) : 20;
    std::vector<char> memory(mib << 20);
    std::memset(memory.data(), 1, memory.size());
    fmt::print("{} MiB held, {} programs (/bin/true) started, each followed by a write to every page:\n", mib,
               programs);
    for (const bool by_fork : {true, false}) {
        double writes = 0;
        const auto start = Clock::now();
        for (int i = 0; i < programs; ++i) {
            if (by_fork) {
                const pid_t pid = fork();
                if (pid == 0) {
                    execl("/bin/true", "true", static_cast<char*>(nullptr));
                    _exit(127);
                }
                waitpid(pid, nullptr, 0);
            } else {
                llmsweep::run_program({"/bin/true"});
            }
            writes += write_every_page(memory);
        }
        const double all = seconds_since(start);
        fmt::print("  {:<28} {:8.1f} ms a program, of which the writes {:8.1f} ms\n",
                   by_fork ? "fork + exec" : "ChildProcess (vfork + exec)", 1000 * all / programs,
                   1000 * writes / programs);
    }
    fmt::print("  (the writes alone, no program started: {:.1f} ms)\n", 1000 * write_every_page(memory));
}
