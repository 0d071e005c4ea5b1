#pragma once
// The error hierarchy: every failure that reaches main() is one of these, and main() maps it to an exit code.
// Messages say what was wrong and what to do; they never start with "error:" (main adds that).

#include <stdexcept>
#include <string>

namespace llmsweep {

enum class ExitCode : int {
    ok = 0,
    failure = 1,       // the command could not do its work (I/O, llama.cpp refused a model, ...)
    usage = 2,         // the command line or a spec was wrong
    busy = 3,          // another process is running the same sweep into the database
    interrupted = 130, // SIGINT, as shells report it
    terminated = 143   // SIGTERM, as shells report it
};

class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message, ExitCode code = ExitCode::failure)
        : std::runtime_error(message), code_(code) {}
    ExitCode code() const noexcept { return code_; }

private:
    ExitCode code_;
};

// Bad input from the user: a value out of range, a shape that cannot work, an unknown name.
class UsageError : public Error {
public:
    explicit UsageError(const std::string& message) : Error(message, ExitCode::usage) {}
};

// The user (Ctrl-C) or the system (SIGTERM) asked us to stop; whatever was half-done has been cleaned up.
// The exit code is the shell's for the signal: 130 for SIGINT, 143 for SIGTERM.
class Interrupted : public Error {
public:
    Interrupted();
};

// Ends the command with this exit code and nothing printed: where the code is the answer itself (a step of
// llmsweep bisect tells git bisect run good, bad or skip).
struct QuietExit {
    int code = 0;
};

} // namespace llmsweep
