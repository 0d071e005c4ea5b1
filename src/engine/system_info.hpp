#pragma once
// What a benchmark ran on: the host, and the llama.cpp build llmsweep is linked to. Both are stored with every
// run and shown by `llmsweep info`.

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace llmsweep::engine {

struct HostInfo {
    std::string cpu_model;
    int physical_cores = 0;
    int logical_cores = 0;
    uint64_t memory_bytes = 0;
    std::string os;     // distribution, e.g. "Debian GNU/Linux 12 (bookworm)"
    std::string kernel; // uname: sysname release machine
    std::string hostname;
    std::string thp_mode; // transparent huge pages: always, madvise or never ("" where unknown)
};

struct DeviceInfo {
    std::string name;
    std::string description;
    std::string type; // cpu, gpu, igpu, accel
    uint64_t memory_total_bytes = 0;
    uint64_t memory_free_bytes = 0;
};

struct BuildInfo {
    std::string llmsweep_version;
    std::string llama_commit; // as compiled into ggml
    std::string ggml_version;
    std::string llama_origin; // where the build took llama.cpp from
    std::vector<std::string> backends;
    std::vector<DeviceInfo> devices;
    std::string cpu_features; // llama_print_system_info()
};

HostInfo host_info();
// Initialises llama.cpp if it was not yet.
BuildInfo build_info();
// The backends a run used, as llama-bench writes them (so that its tools pair llmsweep's rows with its own): the
// registered ones but the CPU and RPC, then RPC where the run had RPC servers; "CPU" when none.
std::string backends_used(const BuildInfo& build, bool rpc_servers);

nlohmann::json to_json(const HostInfo& host);
nlohmann::json to_json(const BuildInfo& build);

} // namespace llmsweep::engine
