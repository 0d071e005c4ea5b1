#pragma once
// Driving a llama-bench binary (any build: CUDA, Vulkan, a fork, an older commit): what its command line
// understands, and the command that runs a set of points as JSON lines.

#include "domain/point.hpp"

#include <string>
#include <vector>

namespace llmsweep::llama_bench {

// What a llama-bench binary accepts, learned from its --help.
struct LlamaBenchCli {
    std::string path;
    bool load_mode_flag = false;   // -lm none|mmap|mlock|dio; older builds have -mmp 0|1 and -dio 0|1
    bool direct_io_flag = false;   // -dio, in older builds
    bool flash_attn_names = false; // -fa on|off|auto; older builds take 0|1
};

// Runs `path --help`; throws UsageError when it does not run or is not a llama-bench that writes JSON lines.
LlamaBenchCli probe_llama_bench(const std::string& path, double timeout_s = 30);

// llama-bench runs every combination of the values it is given: true when that is exactly `points` (which
// share one load), so that one process can run them all.
bool runs_exactly(const std::vector<const domain::Point*>& points);

// How each command runs its tests, beside the points' own settings.
struct CommandSettings {
    int64_t repetitions = 1;
    int64_t warmup = 1;
    std::vector<std::string> extra; // handed to llama-bench as they are, last (--llama-bench-arg)
};

// The command that runs `points` (of one load group, each a pp, tg or pg test) with `-o jsonl`. Throws UsageError
// for a setting this build cannot express (mlock in an older one).
std::vector<std::string> llama_bench_command(const LlamaBenchCli& cli, const std::vector<const domain::Point*>& points,
                                             const CommandSettings& settings);

} // namespace llmsweep::llama_bench
