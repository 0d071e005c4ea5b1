#pragma once
// llama.cpp's process-wide state, without llama.cpp's types: its backends started once, and its log (shown or
// kept for the error messages).

#include <string>
#include <utility>
#include <vector>

namespace llmsweep::engine {

// Initialises llama.cpp's backends once per process.
void init_llama();
// llama.cpp's log goes to stderr only when verbose (-v; workers started by a verbose process are verbose too);
// its last error lines are kept for last_llama_error() either way.
void set_llama_log_verbose(bool verbose);
bool llama_log_verbose();

// The most recent error lines llama.cpp logged, joined by "; " (empty if none), to explain a failed load or decode.
std::string last_llama_error();
// Where the last model load put the weights, as llama.cpp logs it: buffer type (CPU_Mapped for a mapped
// file, CPU for weights read into memory, CPU_REPACK for weights repacked for this CPU's kernels) and MiB.
std::vector<std::pair<std::string, double>> last_model_buffers();

} // namespace llmsweep::engine
