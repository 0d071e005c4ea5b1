#pragma once
// Serving: what a point of `run --mode server` sets besides the load and context settings. The server's own
// settings (llama-server's slots, context, batching; one server process each), the client load put on it
// (closed loop of N clients, or open-loop Poisson arrivals), the lengths of its requests, and the service-level
// objective that goodput counts against.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace llmsweep::domain {

// llama-server's settings that are neither a load's nor a context's, with llama-server's defaults.
struct ServerParams {
    int64_t parallel = -1;     // -np: slots; -1: llama-server's auto (4 slots, one KV cache for all)
    int64_t ctx_size = 0;      // -c: the KV cache's tokens over all slots; 0: the model's training context
    bool cont_batching = true; // -cb / -nocb: new requests join the running batch
    int64_t cache_reuse = 0;   // --cache-reuse: the least chunk of a cached prompt reused by shifting; 0: off
    bool operator==(const ServerParams&) const = default;
};

// Lengths of prompts or outputs: every request `lo` tokens when fixed, else drawn uniformly from [lo, hi].
struct Lengths {
    int64_t lo = 0, hi = 0;
    bool fixed() const { return lo == hi; }
    double mean() const { return (static_cast<double>(lo) + static_cast<double>(hi)) / 2; }
    // "uniform:64-1024", or "" for a fixed length (the point's n_prompt or n_gen).
    std::string text() const;
};
// Reads "uniform:LO-HI" (LO <= HI, both at least `least`). Throws UsageError naming `flag`.
Lengths parse_lengths(std::string_view text, std::string_view flag, int64_t least);

// The load the clients put on a server during one repetition of a point.
struct ClientLoad {
    int64_t concurrency = 1;   // closed loop: this many clients, each sending its next request when the last ends
    double rate = 0;           // open loop: requests per second arriving as a Poisson process (then concurrency 0)
    int64_t shared_prefix = 0; // tokens that every prompt of the point begins with (prompt caching)
    bool cache_prompt = false; // the request lets the server reuse a slot's cached prompt
    std::string prompt_dist;   // "": every prompt n_prompt tokens; else Lengths::text()
    std::string gen_dist;      // "": every output n_gen tokens; else Lengths::text()
    bool open_loop() const { return rate > 0; }
    bool operator==(const ClientLoad&) const = default;
};

// The service-level objective a request must meet to count towards goodput; an unset bound always holds.
struct Slo {
    std::optional<double> ttft_ms, tpot_ms, e2e_ms;
    bool empty() const { return !ttft_ms && !tpot_ms && !e2e_ms; }
    bool met(std::optional<double> ttft, std::optional<double> tpot, double e2e) const;
    std::string text() const; // "ttft=500ms,tpot=50ms", "" when empty
};
// Reads "ttft=500ms,tpot=50ms,e2e=2s" (units ms or s). Throws UsageError naming `flag`.
Slo parse_slo(std::string_view text, std::string_view flag);

// How a server is spoken to: llama.cpp's own /completion, or the OpenAI-compatible /v1/completions that every
// serving engine has.
enum class Api { llama, openai };
std::string_view name(Api api);
Api parse_api(std::string_view text);

} // namespace llmsweep::domain
