#include "engine/placement.hpp"

#include "core/error.hpp"
#include "core/text.hpp"
#include "engine/llama_runtime.hpp"
#include "engine/model_profile.hpp"

#include <ggml-backend.h>
#include <ggml-cpu.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>
#include <mutex>
#include <regex>

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace llmsweep::engine {
namespace {

std::vector<std::string> device_names(bool with_cpu) {
    std::vector<std::string> names;
    for (size_t i = 0; i < ggml_backend_dev_count(); ++i) {
        ggml_backend_dev_t dev = ggml_backend_dev_get(i);
        if (with_cpu || ggml_backend_dev_type(dev) != GGML_BACKEND_DEVICE_TYPE_CPU)
            names.emplace_back(ggml_backend_dev_name(dev));
    }
    return names;
}

// -dev as llama-bench reads it: auto is llama.cpp's choice, none no device, else the named ones (not the CPU).
std::vector<ggml_backend_dev_t> devices_of(const std::string& text) {
    if (text == "auto") return {};
    if (text == "none") return {nullptr};
    std::vector<ggml_backend_dev_t> devices;
    for (const std::string& name : split(text, "/")) {
        ggml_backend_dev_t dev = ggml_backend_dev_by_name(name.c_str());
        if (!dev || ggml_backend_dev_type(dev) == GGML_BACKEND_DEVICE_TYPE_CPU) {
            const auto known = device_names(false);
            throw Error(fmt::format("no device '{}' in this build of llama.cpp; {}", name,
                                    known.empty() ? std::string("it has none but the CPU (use -dev none or auto)")
                                                  : fmt::format("it has {}", fmt::join(known, ", "))));
        }
        devices.push_back(dev);
    }
    devices.push_back(nullptr);
    return devices;
}

// The devices a load's model uses: those named, or llama.cpp's choice (every GPU).
std::vector<ggml_backend_dev_t> model_devices(const domain::LoadParams& load) {
    std::vector<ggml_backend_dev_t> devices = devices_of(load.devices);
    if (load.devices != "auto") {
        devices.pop_back();
        return devices;
    }
    for (size_t i = 0; i < ggml_backend_dev_count(); ++i) {
        ggml_backend_dev_t dev = ggml_backend_dev_get(i);
        const auto type = ggml_backend_dev_type(dev);
        if (type == GGML_BACKEND_DEVICE_TYPE_GPU || type == GGML_BACKEND_DEVICE_TYPE_IGPU) devices.push_back(dev);
    }
    return devices;
}

bool uses_gpu_device(const std::vector<ggml_backend_dev_t>& devices) {
    return std::any_of(devices.begin(), devices.end(), [](ggml_backend_dev_t dev) {
        if (!dev) return false;
        const auto type = ggml_backend_dev_type(dev);
        return type == GGML_BACKEND_DEVICE_TYPE_GPU || type == GGML_BACKEND_DEVICE_TYPE_IGPU;
    });
}

ggml_backend_buffer_type_t buffer_type(const std::string& name) {
    std::vector<std::string> known;
    for (size_t i = 0; i < ggml_backend_dev_count(); ++i) {
        ggml_backend_buffer_type_t buft = ggml_backend_dev_buffer_type(ggml_backend_dev_get(i));
        if (!buft) continue;
        if (name == ggml_backend_buft_name(buft)) return buft;
        known.emplace_back(ggml_backend_buft_name(buft));
    }
    throw Error(fmt::format("no buffer type '{}' in this build of llama.cpp; it has {}", name, fmt::join(known, ", ")));
}

// Throws Error unless a TCP connection to host:port opens within 5 s.
void check_answers(const std::string& server) {
    const size_t colon = server.rfind(':');
    const std::string host = server.substr(0, colon), port = server.substr(colon + 1);
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (const int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0)
        throw Error(fmt::format("RPC server {}: {}", server, gai_strerror(rc)));
    std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> addresses(found, freeaddrinfo);
    std::string why = "no address";
    for (const addrinfo* a = found; a; a = a->ai_next) {
        const int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) continue;
        int error = 0;
        if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
            error = errno;
            if (error == EINPROGRESS) {
                pollfd p{fd, POLLOUT, 0};
                socklen_t size = sizeof error;
                error = poll(&p, 1, 5000) == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) == 0 ? error
                                                                                                           : ETIMEDOUT;
            }
        }
        close(fd);
        if (error == 0) return;
        why = std::strerror(error);
    }
    throw Error(fmt::format("RPC server {} does not answer ({}); start llama.cpp's rpc-server there, or check --rpc",
                            server, why));
}

} // namespace

void set_up_process(const std::string& numa, const std::string& rpc) {
    static std::once_flag once;
    std::call_once(once, [&] {
        init_llama();
        if (numa != "disabled")
            llama_numa_init(numa == "distribute" ? GGML_NUMA_STRATEGY_DISTRIBUTE
                            : numa == "isolate"  ? GGML_NUMA_STRATEGY_ISOLATE
                                                 : GGML_NUMA_STRATEGY_NUMACTL);
        if (rpc.empty()) return;
        ggml_backend_reg_t reg = ggml_backend_reg_by_name("RPC");
        using AddServer = ggml_backend_reg_t (*)(const char* endpoint);
        auto add =
            reg ? reinterpret_cast<AddServer>(ggml_backend_reg_get_proc_address(reg, "ggml_backend_rpc_add_server"))
                : nullptr;
        if (!add) throw Error("this build of llama.cpp has no RPC backend: build it with -DGGML_RPC=ON for --rpc");
        for (const std::string& server : split(rpc, ",")) {
            check_answers(server); // ggml's RPC client aborts the process when a server does not answer
            ggml_backend_reg_t server_reg = add(server.c_str());
            if (!server_reg) throw Error(fmt::format("RPC server {} could not be added", server));
            ggml_backend_register(server_reg);
        }
    });
}

Placement::Placement(const domain::LoadParams& load) : devices_(devices_of(load.devices)) {
    tensor_split_.assign(llama_max_devices(), 0.0f);
    const auto shares = split(load.tensor_split, "/");
    if (shares.size() > tensor_split_.size())
        throw Error(fmt::format("tensor split {} names {} devices; this build of llama.cpp has at most {}",
                                load.tensor_split, shares.size(), tensor_split_.size()));
    for (size_t i = 0; i < shares.size(); ++i) tensor_split_[i] = std::strtof(shares[i].c_str(), nullptr);

    // The overrides first, then -ncmoe's, as llama-bench merges them.
    std::vector<ggml_backend_buffer_type_t> types;
    if (load.override_tensor != "none") {
        const auto model = read_model_tensors(load.model);
        if (!model) throw Error(fmt::format("'{}' is not a readable GGUF file", load.model));
        std::vector<std::string> tensors;
        for (const domain::TensorInfo& t : model->tensors) tensors.push_back(t.name);
        for (const std::string& item : split(load.override_tensor, ";")) {
            const size_t equals = item.rfind('=');
            patterns_.push_back(item.substr(0, equals));
            types.push_back(buffer_type(item.substr(equals + 1)));
            const std::regex pattern(patterns_.back());
            if (std::none_of(tensors.begin(), tensors.end(),
                             [&](const std::string& name) { return std::regex_search(name, pattern); }))
                throw Error(fmt::format("the override pattern '{}' matches no tensor of the model (its tensors are "
                                        "named like {})",
                                        patterns_.back(), tensors.empty() ? "?" : tensors.front()));
        }
    }
    // -ncmoe: the expert tensors (ffn_up/down/gate/gate_up _exps or _chexps) of blocks 0..N-1 in CPU buffers.
    for (int64_t i = 0; i < load.n_cpu_moe; ++i) {
        patterns_.push_back(fmt::format("blk\\.{}\\.ffn_(up|down|gate|gate_up)_(ch|)exps", i));
        types.push_back(ggml_backend_cpu_buffer_type());
    }
    for (size_t i = 0; i < patterns_.size(); ++i) overrides_.push_back({patterns_[i].c_str(), types[i]});
    if (!overrides_.empty()) overrides_.push_back({nullptr, nullptr});
}

void Placement::apply(llama_model_params& params) const {
    if (!devices_.empty()) params.devices = const_cast<ggml_backend_dev_t*>(devices_.data());
    params.tensor_split = tensor_split_.data();
    params.tensor_buft_overrides = overrides_.empty() ? nullptr : overrides_.data();
}

bool uses_gpu(const domain::LoadParams& load) {
    init_llama();
    return uses_gpu_device(model_devices(load));
}

bool only_cpu_devices() {
    init_llama();
    for (size_t i = 0; i < ggml_backend_dev_count(); ++i)
        if (ggml_backend_dev_type(ggml_backend_dev_get(i)) != GGML_BACKEND_DEVICE_TYPE_CPU) return false;
    return true;
}

std::string effective_load_mode(const domain::LoadParams& load) {
    if (load.load_mode != domain::LoadMode::automatic) return std::string(domain::name(load.load_mode));
    for (ggml_backend_dev_t dev : model_devices(load)) {
        ggml_backend_dev_props props{};
        ggml_backend_dev_get_props(dev, &props);
        if (!props.caps.mmap_support) return "none";
    }
    return "mmap";
}

Effective effective_for_llama_bench(const domain::LoadParams& load, const std::string& backends) {
    Effective effective;
    if (load.load_mode != domain::LoadMode::automatic) {
        effective.load_mode = std::string(domain::name(load.load_mode));
    } else {
        const auto names = split(backends, ",");
        if (std::all_of(names.begin(), names.end(), [](const std::string& b) { return b == "CPU" || b == "BLAS"; }))
            effective.load_mode = "mmap";
    }
    // The model's layers, where its file is here (an import may come from another machine).
    if (const auto model = read_model_tensors(load.model)) effective.n_layer = model->shape.n_layer;
    return effective;
}

} // namespace llmsweep::engine
