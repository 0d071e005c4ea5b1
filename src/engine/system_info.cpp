#include "engine/system_info.hpp"

#include "build_config.hpp"
#include "core/text.hpp"
#include "engine/llama_runtime.hpp"
#include "engine/memory_map.hpp"

#include <ggml-backend.h>
#include <ggml.h>
#include <llama.h>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <set>
#include <sys/utsname.h>
#include <unistd.h>
#include <utility>

namespace llmsweep::engine {
namespace {

std::string value_after_colon(const std::string& line) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) return {};
    const auto start = line.find_first_not_of(" \t", colon + 1);
    return start == std::string::npos ? std::string{} : line.substr(start);
}

// Physical cores are the distinct (physical id, core id) pairs of /proc/cpuinfo.
void read_cpuinfo(HostInfo& host) {
    std::ifstream in("/proc/cpuinfo");
    std::set<std::pair<std::string, std::string>> cores;
    std::string line, physical_id = "0";
    while (std::getline(in, line)) {
        if (line.rfind("model name", 0) == 0 && host.cpu_model.empty()) host.cpu_model = value_after_colon(line);
        else if (line.rfind("physical id", 0) == 0) physical_id = value_after_colon(line);
        else if (line.rfind("core id", 0) == 0) cores.emplace(physical_id, value_after_colon(line));
    }
    host.physical_cores = static_cast<int>(cores.size());
}

std::string os_pretty_name() {
    std::ifstream in("/etc/os-release");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("PRETTY_NAME=", 0) == 0) {
            std::string value = line.substr(12);
            if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
                value = value.substr(1, value.size() - 2);
            return value;
        }
    }
    return {};
}

const char* device_type_name(enum ggml_backend_dev_type kind) {
    switch (kind) {
    case GGML_BACKEND_DEVICE_TYPE_CPU: return "cpu";
    case GGML_BACKEND_DEVICE_TYPE_GPU: return "gpu";
    case GGML_BACKEND_DEVICE_TYPE_IGPU: return "igpu";
    case GGML_BACKEND_DEVICE_TYPE_ACCEL: return "accel";
    default: return "unknown";
    }
}

} // namespace

HostInfo host_info() {
    HostInfo host;
    read_cpuinfo(host);
    host.logical_cores = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
    if (host.physical_cores == 0) host.physical_cores = host.logical_cores; // no topology in /proc/cpuinfo
    host.memory_bytes = static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
    host.os = os_pretty_name();
    utsname names{};
    if (uname(&names) == 0) {
        host.kernel = std::string(names.sysname) + " " + names.release + " " + names.machine;
        host.hostname = names.nodename;
    }
    host.thp_mode = transparent_huge_pages_mode();
    return host;
}

std::string backends_used(const BuildInfo& build, bool rpc_servers) {
    std::vector<std::string> used;
    for (const std::string& backend : build.backends)
        if (backend != "CPU" && backend.rfind("RPC", 0) != 0) used.push_back(backend);
    if (rpc_servers) used.emplace_back("RPC");
    return used.empty() ? "CPU" : fmt::format("{}", fmt::join(used, ","));
}

BuildInfo build_info() {
    init_llama();
    BuildInfo build;
    build.llmsweep_version = config::version;
    build.llama_commit = ggml_commit();
    build.ggml_version = ggml_version();
    build.llama_origin = config::llama_origin;
    for (size_t i = 0; i < ggml_backend_reg_count(); ++i)
        build.backends.emplace_back(ggml_backend_reg_name(ggml_backend_reg_get(i)));
    for (size_t i = 0; i < ggml_backend_dev_count(); ++i) {
        ggml_backend_dev_t dev = ggml_backend_dev_get(i);
        DeviceInfo device{.name = ggml_backend_dev_name(dev),
                          .description = ggml_backend_dev_description(dev),
                          .type = device_type_name(ggml_backend_dev_type(dev))};
        size_t free = 0, total = 0;
        ggml_backend_dev_memory(dev, &free, &total);
        device.memory_free_bytes = free;
        device.memory_total_bytes = total;
        build.devices.push_back(std::move(device));
    }
    build.cpu_features = std::string(trim(llama_print_system_info(), " \n|"));
    return build;
}

nlohmann::json to_json(const HostInfo& host) {
    return {{"cpu_model", host.cpu_model},
            {"physical_cores", host.physical_cores},
            {"logical_cores", host.logical_cores},
            {"memory_bytes", host.memory_bytes},
            {"os", host.os},
            {"kernel", host.kernel},
            {"hostname", host.hostname},
            {"thp_mode", host.thp_mode}};
}

nlohmann::json to_json(const BuildInfo& build) {
    nlohmann::json devices = nlohmann::json::array();
    for (const auto& d : build.devices)
        devices.push_back({{"name", d.name},
                           {"description", d.description},
                           {"type", d.type},
                           {"memory_total_bytes", d.memory_total_bytes},
                           {"memory_free_bytes", d.memory_free_bytes}});
    return {{"llmsweep_version", build.llmsweep_version},
            {"llama_commit", build.llama_commit},
            {"ggml_version", build.ggml_version},
            {"llama_origin", build.llama_origin},
            {"backends", build.backends},
            {"devices", devices},
            {"cpu_features", build.cpu_features}};
}

} // namespace llmsweep::engine
