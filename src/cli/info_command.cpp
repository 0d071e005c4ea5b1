#include "cli/command.hpp"
#include "cli/format.hpp"
#include "core/escape.hpp"
#include "engine/machine.hpp"
#include "engine/system_info.hpp"
#include "store/store.hpp"
#include "sweep/roofline.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <memory>

namespace llmsweep::cli {
namespace {

void print_build(const engine::BuildInfo& build) {
    say("llmsweep {}\n", build.llmsweep_version);
    say("llama.cpp {} (ggml {}), {}\n", build.llama_commit, build.ggml_version, build.llama_origin);
    say("backends: {}\n", fmt::join(build.backends, ", "));
}

// A cache's size, or "unknown" where the kernel gives none.
std::string cache_size(uint64_t bytes) { return bytes > 0 ? format_bytes(bytes) : "unknown"; }

void print_machine(const domain::MachineFigures& f) {
    std::vector<std::string> matmul;
    for (const auto& [type, gflops] : f.matmul_gflops) matmul.push_back(fmt::format("{} {:.1f}", type, gflops));
    say("roofline: {} thread{}: read {:.1f} GB/s (triad {:.1f}), matrix multiplication {} GFLOP/s{}; caches "
        "L1d {}, L2 {}, L3 {}; measured {}\n",
        f.threads, f.threads == 1 ? "" : "s", f.read_gbs, f.triad_gbs, fmt::join(matmul, ", "),
        f.peak_gflops ? fmt::format(", peak {:.1f} GFLOP/s", *f.peak_gflops) : "", cache_size(f.l1d_bytes),
        cache_size(f.l2_bytes), cache_size(f.l3_bytes), f.measured_at);
}

struct InfoArgs {
    bool json = false;
    bool measure = false;
    std::vector<int64_t> threads;
    std::vector<std::string> types;
    std::string db;
};

} // namespace

Command add_info_command(CLI::App& app) {
    auto args = std::make_shared<InfoArgs>();
    CLI::App* sub = app.add_subcommand(
        "info", "Show the host, the llama.cpp build that benchmarks run on, and the machine's roofs (memory "
                "bandwidth, matrix multiplication) measured for the report's roofline");
    sub->add_flag("--json", args->json, "Print as JSON");
    sub->add_flag("--measure", args->measure,
                  "Measure the roofs again (a second or two per thread count; nothing else should run)");
    sub->add_option("-t,--threads", args->threads, "Thread counts to measure (default: the physical cores)")
        ->check(CLI::Range(1, 4096))
        ->delimiter(',');
    sub->add_option("--type", args->types,
                    "Weight types to multiply besides q8_0, q4_0 and f16 (those of the models a sweep measures for)");
    sub->add_option("--db", args->db,
                    "Also store the measurement in this database, for the roofline of results imported into it");
    sub->footer("Examples:\n  llmsweep info\n  llmsweep info --measure -t 1,4,8 --db benchmark_results.db");
    return {
        sub, [args] {
            const engine::HostInfo host = engine::host_info();
            const engine::BuildInfo build = engine::build_info();
            std::vector<int64_t> threads = args->threads;
            if (threads.empty()) threads.push_back(host.physical_cores);
            std::vector<domain::MachineFigures> machines;
            for (const int64_t n : threads) {
                auto figures =
                    args->measure ? std::nullopt : engine::cached_machine(host.hostname, build.llama_commit, n);
                if (!figures && args->measure) {
                    if (!args->json)
                        say(stderr,
                            "measuring memory bandwidth and matrix multiplication with {} "
                            "thread{}\n",
                            n, n == 1 ? "" : "s");
                    figures =
                        engine::measure_machine(n, engine::roofline_weight_types(args->types), build.llama_commit);
                    engine::remember_machine(*figures);
                }
                if (figures) machines.push_back(std::move(*figures));
            }
            if (!args->db.empty() && !machines.empty()) {
                store::Store store(args->db);
                for (const auto& figures : machines) sweep::store_machine(store, figures);
            }
            if (args->json) {
                nlohmann::json list = nlohmann::json::array();
                for (const auto& figures : machines) list.push_back(domain::to_json(figures));
                say("{}\n", nlohmann::json{{"host", to_json(host)}, {"build", to_json(build)}, {"machines", list}}.dump(
                                2, ' ', false, nlohmann::json::error_handler_t::replace));
                return;
            }
            say("CPU:      {}\n", escape::terminal(host.cpu_model));
            say("cores:    {} physical, {} logical\n", host.physical_cores, host.logical_cores);
            say("memory:   {}\n", format_bytes(host.memory_bytes));
            say("THP:      {}\n", host.thp_mode.empty() ? "unknown" : escape::terminal(host.thp_mode));
            say("OS:       {} ({})\n", escape::terminal(host.os), escape::terminal(host.kernel));
            print_build(build);
            for (const auto& device : build.devices)
                say("device:   {} ({}, {}{})\n", escape::terminal(device.name), escape::terminal(device.description),
                    device.type, device.memory_total_bytes ? ", " + format_bytes(device.memory_total_bytes) : "");
            say("features: {}\n", escape::terminal(build.cpu_features));
            for (const auto& figures : machines) print_machine(figures);
            if (machines.empty())
                say("roofline: not measured yet with {} threads on this build (llmsweep info --measure, "
                    "or any sweep, measures it)\n",
                    fmt::join(threads, ", "));
        }};
}

Command add_version_command(CLI::App& app) {
    auto json = std::make_shared<bool>(false);
    CLI::App* sub = app.add_subcommand("version", "Show llmsweep's version and its llama.cpp build");
    sub->add_flag("--json", *json, "Print as JSON");
    return {sub, [json] {
                const engine::BuildInfo build = engine::build_info();
                if (*json)
                    say("{}\n", nlohmann::json{{"llmsweep", build.llmsweep_version},
                                               {"llama_commit", build.llama_commit},
                                               {"ggml_version", build.ggml_version},
                                               {"llama_origin", build.llama_origin},
                                               {"backends", build.backends}}
                                    .dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
                else print_build(build);
            }};
}

} // namespace llmsweep::cli
