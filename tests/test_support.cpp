#include "test_support.hpp"

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>

namespace llmsweep::test {

TempDir::TempDir() {
    std::random_device random;
    path_ = std::filesystem::temp_directory_path() / ("llmsweep-test-" + std::to_string(random()));
    std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string shell_quote(const std::string& text) {
    std::string quoted = "'";
    for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return quoted + "'";
}

CommandResult run_shell(const std::string& command) {
    TempDir dir;
    const auto out = dir / "stdout", err = dir / "stderr";
    const std::string full = "( " + command + " ) </dev/null >" + shell_quote(out) + " 2>" + shell_quote(err);
    const int status = std::system(full.c_str());
    if (status == -1) throw std::runtime_error("cannot run: " + command);
    CommandResult result;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    result.out = read_file(out);
    result.err = read_file(err);
    return result;
}

CommandResult run_llmsweep(const std::string& arguments) {
    return run_shell(shell_quote(LLMSWEEP_BINARY) + " " + arguments);
}

} // namespace llmsweep::test
