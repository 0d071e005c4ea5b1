#pragma once
// Shared fixtures for the tests: temporary folders and running the real llmsweep binary.

#include "store/store.hpp"

#include <filesystem>
#include <string>
#include <vector>

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

// How many entries a folder has (a failed write must leave none behind).
size_t entries_in(const std::filesystem::path& dir);

// One line on stderr that starts with the tool's name and mentions `must_mention`; a non-zero exit.
void expect_one_line_error(const CommandResult& r, const std::string& must_mention);

// llama-bench's test fields at the pinned llama.cpp (tools/llama-bench/llama-bench.cpp, test::get_fields()),
// in its order: the columns of llmsweep's llama_bench table, and of every file llama-bench writes.
const std::vector<std::string>& llama_bench_columns();

// A run row with every required column, for tests that write results through the store.
int64_t insert_test_run(store::Store& store, const std::string& status = "finished");

// A finished, successful result of `metric` at the point `row` (point_row's), with 3 repetitions.
int64_t ok_result(store::Store& store, int64_t run_id, const std::string& point_key, const std::string& metric,
                  const store::Row& row, double avg_ts, double stddev_ts);

// A successful load of `model_filename` in `load_mode` (warm cache, no GPU layers) and the `extra` columns, for
// tests that write loads.
store::Row load_row(int64_t run_id, const std::string& model_filename, const std::string& load_mode,
                    store::Row extra = {});

// A result's point columns: the given model, load mode and sizes, defaults for every other parameter.
store::Row point_row(const std::string& model_filename, const std::string& load_mode, int64_t n_prompt, int64_t n_gen);

// A TCP port on 127.0.0.1 that nothing listens on now (the kernel's choice).
// What a reader would stumble on in a report's Markdown: a setting listed without its value ("parallel , "), a
// count whose noun is plural ("1 points"), a section heading with nothing under it, two warning rows that read
// alike. Empty when none.
std::vector<std::string> report_text_defects(const std::string& markdown);

int free_tcp_port();
// Whether something accepts connections on 127.0.0.1:port within `seconds`.
bool wait_for_tcp_port(int port, double seconds);

} // namespace llmsweep::test
