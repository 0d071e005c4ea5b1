#pragma once
// A program run to its end with its output captured (gnuplot, a program's --help): found on PATH like a
// shell would, started in the caller's process group (Ctrl-C reaches both) and killed by the kernel when the
// caller dies, even by SIGKILL, so that nothing it started outlives it.

#include <filesystem>
#include <string>
#include <vector>

namespace llmsweep {

struct ProgramResult {
    int exit_code = -1;   // when it exited
    int signal = 0;       // when a signal ended it
    std::string output;   // stdout and stderr together

    bool succeeded() const { return signal == 0 && exit_code == 0; }
};

// Runs argv[0] (a path, or a name looked up on PATH) in `folder`. Throws Error when it cannot be started.
ProgramResult run_program(const std::vector<std::string>& argv, const std::filesystem::path& folder = {});

} // namespace llmsweep
