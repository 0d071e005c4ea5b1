#pragma once
// The worker role: `llmsweep worker`, spawned by the orchestrator for each load. It reads one JSON request
// per line on stdin and answers one JSON line per request on stdout:
//
//   {"op":"load","model":...,"load_mode":...,"cache_state":...,"n_gpu_layers":...,"huge_pages":...}
//       -> {"event":"loaded", load metrics...} or {"event":"failed","error":...}
//   {"op":"run","context":{...},"test":{...},"mode":...,"repetition":...,"warmup":...,"seed":...}
//       -> {"event":"sample", measurement...} or {"event":"failed","error":...}
//   {"op":"state"} -> {"event":"state","mapping":{rss_kb, anon_kb, anon_huge_kb, file_pmd_kb},"thp_mode":...}
//   {"op":"exit"} or end of input -> exits
//
// A crash, a hang or running out of memory is seen by the orchestrator as a dead or silent pipe.

#include <iosfwd>
#include <string>
#include <vector>

namespace llmsweep::engine {

// Ends the process when its input ends or asks it to, without freeing what it loaded (the kernel does).
[[noreturn]] void run_worker(std::istream& in, std::ostream& out);

// The command that starts a worker: `executable worker`, or `executable -v worker` when this process shows
// llama.cpp's log (and so passes on its workers' stderr: worker_log_shown()).
std::vector<std::string> worker_command(const std::string& executable);
bool worker_log_shown();

} // namespace llmsweep::engine
