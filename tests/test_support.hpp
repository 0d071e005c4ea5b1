#pragma once
// Shared fixtures for the tests: temporary folders and running the real llmsweep binary.

#include <filesystem>
#include <string>

namespace llmsweep::test {

// A fresh folder under the system's temporary directory, removed with everything in it.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

struct CommandResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};

// Runs `sh -c command` with stdout and stderr captured.
CommandResult run_shell(const std::string& command);

// Runs the llmsweep binary under test with the given arguments (already shell-quoted where needed).
CommandResult run_llmsweep(const std::string& arguments);

std::string read_file(const std::filesystem::path& path);
std::string shell_quote(const std::string& text);

} // namespace llmsweep::test
