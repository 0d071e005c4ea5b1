#include "test_support.hpp"

#include "core/text.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <set>
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

size_t entries_in(const std::filesystem::path& dir) {
    return static_cast<size_t>(
        std::distance(std::filesystem::directory_iterator(dir), std::filesystem::directory_iterator()));
}

void expect_one_line_error(const CommandResult& r, const std::string& must_mention) {
    EXPECT_NE(r.exit_code, 0);
    EXPECT_EQ(r.err.rfind("llmsweep: error: ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(must_mention), std::string::npos) << r.err;
}

const std::vector<std::string>& llama_bench_columns() {
    static const std::vector<std::string> columns = {"build_commit",   "build_number",
                                                     "cpu_info",       "gpu_info",
                                                     "backends",       "model_filename",
                                                     "model_type",     "model_size",
                                                     "model_n_params", "n_batch",
                                                     "n_ubatch",       "n_threads",
                                                     "cpu_mask",       "cpu_strict",
                                                     "poll",           "type_k",
                                                     "type_v",         "n_gpu_layers",
                                                     "n_cpu_moe",      "split_mode",
                                                     "main_gpu",       "no_kv_offload",
                                                     "flash_attn",     "devices",
                                                     "tensor_split",   "tensor_buft_overrides",
                                                     "load_mode",      "lazy_mode",
                                                     "embeddings",     "no_op_offload",
                                                     "no_host",        "fit_target",
                                                     "fit_min_ctx",    "n_prompt",
                                                     "n_gen",          "n_depth",
                                                     "test_time",      "avg_ns",
                                                     "stddev_ns",      "avg_ts",
                                                     "stddev_ts"};
    return columns;
}

int64_t insert_test_run(store::Store& store, const std::string& status) {
    return store.insert_run({{"spec_key", std::string("k")},
                             {"status", status},
                             {"started_at", store::utc_now()},
                             {"mode", std::string("request")},
                             {"sweep_order", std::string("rounds")},
                             {"seed", int64_t{1}},
                             {"repetitions", int64_t{3}},
                             {"warmup", int64_t{1}},
                             {"spec_json", std::string("{}")},
                             {"llmsweep_version", std::string("t")},
                             {"build_commit", std::string("abc")},
                             {"hostname", std::string("h")}});
}

int64_t ok_result(store::Store& store, int64_t run_id, const std::string& point_key, const std::string& metric,
                  const store::Row& row, double avg_ts, double stddev_ts) {
    const int64_t id = store.ensure_result(run_id, point_key, metric, row);
    store.update_result(
        id, {{"avg_ts", avg_ts}, {"stddev_ts", stddev_ts}, {"repetitions", int64_t{3}}, {"status", std::string("ok")}});
    return id;
}

store::Row load_row(int64_t run_id, const std::string& model_filename, const std::string& load_mode, store::Row extra) {
    store::Row row{{"run_id", run_id},           {"model_filename", model_filename},
                   {"load_mode", load_mode},     {"cache_state", std::string("warm")},
                   {"n_gpu_layers", int64_t{0}}, {"status", std::string("ok")}};
    row.insert(row.end(), extra.begin(), extra.end());
    return row;
}

store::Row point_row(const std::string& model_filename, const std::string& load_mode, int64_t n_prompt, int64_t n_gen) {
    domain::Point point;
    point.load.model = model_filename;
    point.load.load_mode = domain::parse_load_mode(load_mode);
    point.load.n_gpu_layers = 0;
    point.context.threads = 2;
    point.test = {n_prompt, n_gen, 0};
    return store::point_columns(point, domain::Mode::request);
}

std::vector<std::string> report_text_defects(const std::string& markdown) {
    std::vector<std::string> defects;
    const std::regex empty_value(R"(\b[a-z_]+ (,|\.$))");
    const std::regex one_plural(
        R"((^|[^0-9.,+-])1 (points|pairs|comparisons|results|runs|clients|load groups|blocks|repetitions|measurements|cells|loads)\b)");
    std::istringstream lines(markdown);
    std::string line, open_heading;
    int open_level = 0;
    std::set<std::string> items; // the nested list items (warning rows): no two may read alike
    while (std::getline(lines, line)) {
        if (line.starts_with("  - ") && !items.insert(line).second)
            defects.push_back("the same row twice: " + line.substr(0, 200));
        const bool table = line.starts_with("|");
        if (!table && std::regex_search(line, empty_value) && (line.find("Settings") != std::string::npos || line.find("设置") != std::string::npos))
            defects.push_back("a setting without its value: " + line.substr(0, 200));
        if (std::regex_search(line, one_plural)) defects.push_back("one with a plural noun: " + line.substr(0, 200));
        if (line.starts_with("#")) {
            const int level = static_cast<int>(line.find_first_not_of('#'));
            if (!open_heading.empty() && level <= open_level)
                defects.push_back("a heading with nothing under it: " + open_heading);
            open_heading = line, open_level = level;
        } else if (!trim(line).empty()) {
            open_heading.clear();
        }
    }
    if (!open_heading.empty()) defects.push_back("a heading with nothing under it: " + open_heading);
    return defects;
}

int free_tcp_port() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    int port = 0;
    if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) == 0)
        port = ntohs(address.sin_port);
    close(fd);
    return port;
}

bool wait_for_tcp_port(int port, double seconds) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < until) {
        const int fd = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(static_cast<uint16_t>(port));
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        const bool open = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
        close(fd);
        if (open) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
}

} // namespace llmsweep::test
