#include "engine/worker.hpp"

#include "engine/llama_runtime.hpp"
#include "engine/memory_map.hpp"

#include "core/error.hpp"
#include "engine/bench_engine.hpp"
#include "engine/protocol.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <sys/prctl.h>
#include <thread>

namespace llmsweep::engine {
namespace {

// Test-only fault injection, to exercise the orchestrator's failure paths with a real worker:
// LLMSWEEP_TEST_FAULT="crash:N", "hang:N" or "fail:N" misbehaves on runs whose n_prompt is N.
void maybe_inject_fault(const RunRequest& request) {
    const char* spec = std::getenv("LLMSWEEP_TEST_FAULT");
    if (!spec) return;
    const std::string text(spec);
    const auto colon = text.find(':');
    if (colon == std::string::npos || std::to_string(request.test.n_prompt) != text.substr(colon + 1)) return;
    const std::string kind = text.substr(0, colon);
    if (kind == "crash") std::abort();
    if (kind == "hang") std::this_thread::sleep_for(std::chrono::hours(1));
    if (kind == "fail") throw Error("injected failure");
}

} // namespace

void run_worker(std::istream& in, std::ostream& out) {
    // Die with the orchestrator, whatever kills it.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    // Ctrl-C reaches the whole process group; the orchestrator decides what happens to this worker.
    std::signal(SIGINT, SIG_IGN);
    BenchEngine engine;
    // The visit's largest anonymous and file-backed memory, sampled after the load and after each measurement
    // (outside every timed region).
    std::optional<RssSplit> peak;
    const auto note_memory = [&] {
        const auto now = rss_split();
        if (!now) return;
        if (!peak) peak = now;
        peak->anon_kb = std::max(peak->anon_kb, now->anon_kb);
        peak->file_kb = std::max(peak->file_kb, now->file_kb);
    };
    std::string line;
    while (std::getline(in, line)) {
        nlohmann::json reply;
        try {
            const auto request = nlohmann::json::parse(line);
            const std::string op = request.at("op");
            if (op == "exit") break;
            if (op == "load") {
                reply = to_json(engine.load(load_request_from_json(request)));
                reply["event"] = "loaded";
                note_memory();
            } else if (op == "run") {
                const RunRequest run = run_request_from_json(request);
                maybe_inject_fault(run);
                reply = to_json(engine.run(run));
                reply["event"] = "sample";
                note_memory();
            } else if (op == "state") {
                // The memory's state at the end of a visit, after the measurements.
                reply = {{"event", "state"}, {"thp_mode", transparent_huge_pages_mode()}};
                if (auto mapping = mapping_state()) {
                    if (peak) mapping->peak_anon_kb = peak->anon_kb, mapping->peak_file_kb = peak->file_kb;
                    reply["mapping"] = to_json(*mapping);
                }
            } else {
                reply = {{"event", "failed"}, {"error", "unknown op " + op}};
            }
        } catch (const std::exception& e) {
            reply = {{"event", "failed"}, {"error", e.what()}};
        }
        out << reply.dump() << '\n' << std::flush;
    }
    // The kernel takes back the model's memory at once; llama.cpp's own freeing of it (the vocabulary's many
    // small allocations among it) took 10-30 ms of every visit, between its last figure and the next load.
    out.flush();
    std::_Exit(0);
}

std::vector<std::string> worker_command(const std::string& executable) {
    if (llama_log_verbose()) return {executable, "-v", "worker"};
    return {executable, "worker"};
}

bool worker_log_shown() { return llama_log_verbose(); }

} // namespace llmsweep::engine
