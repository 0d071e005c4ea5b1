#include "llama_bench/command.hpp"

#include "core/child_process.hpp"
#include "core/error.hpp"
#include "domain/knobs.hpp"
#include "domain/parameter_names.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <set>
#include <type_traits>

namespace llmsweep::llama_bench {
namespace {

// The distinct values of one parameter among the points, in first-seen order.
template <typename F>
auto distinct(const std::vector<const domain::Point*>& points, F value) {
    std::vector<decltype(value(*points.front()))> values;
    for (const domain::Point* p : points)
        if (std::find(values.begin(), values.end(), value(*p)) == values.end()) values.push_back(value(*p));
    return values;
}

std::vector<int64_t> test_sizes(const std::vector<const domain::Point*>& points, bool prompt) {
    std::vector<int64_t> sizes;
    for (const domain::Point* p : points) {
        const int64_t n = prompt ? p->test.n_prompt : p->test.n_gen;
        if (n > 0 && (prompt ? p->test.n_gen : p->test.n_prompt) == 0 &&
            std::find(sizes.begin(), sizes.end(), n) == sizes.end())
            sizes.push_back(n);
    }
    return sizes;
}

// The combined tests (both sizes above 0: llama-bench's -pg), in first-seen order.
std::vector<std::pair<int64_t, int64_t>> combined_tests(const std::vector<const domain::Point*>& points) {
    std::vector<std::pair<int64_t, int64_t>> tests;
    for (const domain::Point* p : points) {
        const std::pair test{p->test.n_prompt, p->test.n_gen};
        if (test.first > 0 && test.second > 0 && std::find(tests.begin(), tests.end(), test) == tests.end())
            tests.push_back(test);
    }
    return tests;
}

std::string comma_list(const auto& values) { return fmt::format("{}", fmt::join(values, ",")); }

} // namespace

LlamaBenchCli probe_llama_bench(const std::string& path, double timeout_s) {
    LlamaBenchCli cli{path};
    std::string help;
    ChildProcess::Exit exit;
    try {
        ChildProcess process({path, "--help"});
        help = process.read_all(timeout_s);
        exit = process.finish(true);
    } catch (const Error& e) {
        throw UsageError(fmt::format("--llama-bench '{}' cannot be started ({}); pass the path of a llama-bench binary",
                                     path, e.what()));
    }
    if (help.find("--output") == std::string::npos || help.find("jsonl") == std::string::npos)
        throw UsageError(fmt::format("--llama-bench '{}' is not a llama-bench that writes JSON lines (its --help does "
                                     "not offer -o jsonl); pass the path of llama.cpp's llama-bench",
                                     path));
    cli.load_mode_flag = help.find("--load-mode") != std::string::npos;
    cli.direct_io_flag = help.find("--direct-io") != std::string::npos;
    cli.flash_attn_names = help.find("<on|off|auto>") != std::string::npos;
    return cli;
}

bool runs_exactly(const std::vector<const domain::Point*>& points) {
    if (points.empty()) return false;
    size_t combinations = distinct(points, [](const domain::Point& p) { return p.test.n_depth; }).size();
    for (const domain::Knob& knob : domain::knobs())
        if (knob.of_context())
            combinations *= distinct(points, [&](const domain::Point& p) { return knob.text(p); }).size();
    combinations *= test_sizes(points, true).size() + test_sizes(points, false).size() + combined_tests(points).size();
    std::set<std::string> keys;
    for (const domain::Point* p : points) keys.insert(p->key(domain::Mode::split));
    return combinations == keys.size() && keys.size() == points.size();
}

std::vector<std::string> llama_bench_command(const LlamaBenchCli& cli, const std::vector<const domain::Point*>& points,
                                             const CommandSettings& settings) {
    const domain::LoadParams& load = points.front()->load;
    std::vector<std::string> command = {
        cli.path, "-m", load.model, "-o", "jsonl", "-r", std::to_string(settings.repetitions)};
    auto add = [&](std::string flag, std::string value) {
        command.push_back(std::move(flag));
        command.push_back(std::move(value));
    };
    const std::string mode(domain::name(load.load_mode));
    using domain::LoadMode;
    if (cli.load_mode_flag) {
        add("-lm", mode);
    } else if (load.load_mode == LoadMode::automatic || load.load_mode == LoadMode::mmap ||
               load.load_mode == LoadMode::none) {
        // Before -lm, llama-bench mapped the file unless told -mmp 0.
        add("-mmp", load.load_mode == LoadMode::none ? "0" : "1");
    } else if (load.load_mode == LoadMode::dio && cli.direct_io_flag) {
        add("-dio", "1");
    } else {
        throw UsageError(fmt::format("this llama-bench ({}) has no load mode '{}'; sweep --load-mode none,mmap with it",
                                     cli.path, mode));
    }
    const auto pp = test_sizes(points, true), tg = test_sizes(points, false);
    add("-p", pp.empty() ? "0" : comma_list(pp));
    add("-n", tg.empty() ? "0" : comma_list(tg));
    for (const auto& [p, g] : combined_tests(points)) add("-pg", fmt::format("{},{}", p, g));
    add("-d", comma_list(distinct(points, [](const domain::Point& p) { return p.test.n_depth; })));
    // The knobs: those llama-bench had from its start always, the others only where they differ from its
    // default (the points' default), so that older builds without their flags still run the rest. A load knob
    // has one value per load group, so per command.
    for (const domain::Knob& knob : domain::knobs()) {
        auto values = distinct(points, [&](const domain::Point& p) { return knob.text(p); });
        // Not llama-bench's: the spec refuses any value but its default, or llmsweep sets it up around llama-bench
        // (the page cache). The load mode is above, as each build spells it.
        if (!knob.of_llama_bench() || knob.name == param::load_mode) continue;
        if (!knob.always && values.size() == 1 && values.front() == knob.default_text()) continue;
        if (knob.name == "flash_attn" && !cli.flash_attn_names) // before on|off|auto, llama-bench took 0|1
            for (std::string& value : values) {
                if (value == "auto")
                    throw UsageError(fmt::format(
                        "this llama-bench ({}) has no flash attention 'auto'; pass --flash-attn on or off", cli.path));
                value = value == "on" ? "1" : "0";
            }
        add(std::string(knob.flag), comma_list(values));
    }
    // The sweep's own settings (--prio, --delay, --numa, -rpc), where they are not the default.
    for (const domain::Knob& knob : domain::parameters())
        if (const std::string value = knob.text(*points.front()); knob.of_run() && value != knob.default_text())
            add(std::string(knob.flag), value);
    if (settings.warmup == 0) command.push_back("--no-warmup");
    command.insert(command.end(), settings.extra.begin(), settings.extra.end());
    return command;
}

} // namespace llmsweep::llama_bench
