#include "cli/command.hpp"
#include "cli/format.hpp"
#include "core/escape.hpp"
#include "engine/system_info.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <memory>

namespace llmsweep::cli {
namespace {

void print_build(const engine::BuildInfo& build) {
    fmt::print("llmsweep {}\n", build.llmsweep_version);
    fmt::print("llama.cpp {} (ggml {}), {}\n", build.llama_commit, build.ggml_version, build.llama_origin);
    fmt::print("backends: {}\n", fmt::join(build.backends, ", "));
}

} // namespace

Command add_info_command(CLI::App& app) {
    auto json = std::make_shared<bool>(false);
    CLI::App* sub = app.add_subcommand("info", "Show the host and the llama.cpp build that benchmarks run on");
    sub->add_flag("--json", *json, "Print as JSON");
    return {sub, [json] {
                const engine::HostInfo host = engine::host_info();
                const engine::BuildInfo build = engine::build_info();
                if (*json) {
                    fmt::print("{}\n", nlohmann::json{{"host", to_json(host)}, {"build", to_json(build)}}.dump(
                                           2, ' ', false, nlohmann::json::error_handler_t::replace));
                    return;
                }
                fmt::print("CPU:      {}\n", escape::terminal(host.cpu_model));
                fmt::print("cores:    {} physical, {} logical\n", host.physical_cores, host.logical_cores);
                fmt::print("memory:   {}\n", format_bytes(host.memory_bytes));
                fmt::print("THP:      {}\n", host.thp_mode.empty() ? "unknown" : escape::terminal(host.thp_mode));
                fmt::print("OS:       {} ({})\n", escape::terminal(host.os), escape::terminal(host.kernel));
                print_build(build);
                for (const auto& device : build.devices)
                    fmt::print("device:   {} ({}, {}{})\n", escape::terminal(device.name),
                               escape::terminal(device.description), device.type,
                               device.memory_total_bytes ? ", " + format_bytes(device.memory_total_bytes) : "");
                fmt::print("features: {}\n", escape::terminal(build.cpu_features));
            }};
}

Command add_version_command(CLI::App& app) {
    auto json = std::make_shared<bool>(false);
    CLI::App* sub = app.add_subcommand("version", "Show llmsweep's version and its llama.cpp build");
    sub->add_flag("--json", *json, "Print as JSON");
    return {sub, [json] {
                const engine::BuildInfo build = engine::build_info();
                if (*json)
                    fmt::print("{}\n", nlohmann::json{{"llmsweep", build.llmsweep_version},
                                                      {"llama_commit", build.llama_commit},
                                                      {"ggml_version", build.ggml_version},
                                                      {"llama_origin", build.llama_origin},
                                                      {"backends", build.backends}}
                                           .dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
                else print_build(build);
            }};
}

} // namespace llmsweep::cli
