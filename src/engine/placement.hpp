#pragma once
// Where a model's weights go, as llama-bench places them: the devices (-dev), the shares of each (-ts), tensors
// sent to buffer types by name (-ot, and -ncmoe's expert patterns), RPC servers whose devices join the local
// ones (-rpc), NUMA placement (--numa); and what llama.cpp's automatic load mode comes to on these devices.

#include "domain/point.hpp"
#include "engine/effective.hpp"

#include <llama.h>

#include <optional>
#include <string>
#include <vector>

namespace llmsweep::engine {

// Once per process, before the first load: NUMA placement (disabled, distribute, isolate, numactl) and the RPC
// servers (host:port, comma-separated; none when empty). Throws Error when this build has no RPC backend.
void set_up_process(const std::string& numa, const std::string& rpc);

// The model parameters of a load's placement, and the storage they point into: keep it alive for the load.
class Placement {
public:
    // Throws Error naming the problem: an unknown device (with the ones this build has), an unknown buffer type
    // (with the known ones), an override pattern that matches no tensor of the model.
    explicit Placement(const domain::LoadParams& load);
    void apply(llama_model_params& params) const;

private:
    std::vector<ggml_backend_dev_t> devices_; // empty: llama.cpp's choice
    std::vector<float> tensor_split_;
    std::vector<std::string> patterns_;
    std::vector<llama_model_tensor_buft_override> overrides_; // ends with {nullptr, nullptr}; empty: none
};

// Whether a load's model has a GPU among its devices (named by -dev, or llama.cpp's choice of every GPU).
bool uses_gpu(const domain::LoadParams& load);
// Whether every device of this build of llama.cpp is a CPU (no GPU, no RPC server, no accelerator such as BLAS).
bool only_cpu_devices();

// The load mode llama.cpp uses for `mode` on the devices of `load` ("auto" is mmap unless one of them cannot
// map a file).
std::string effective_load_mode(const domain::LoadParams& load);

} // namespace llmsweep::engine
