#pragma once
// A sweep specification: the lists of values to sweep, and how to run them. It comes from flags, a TOML file,
// or both (flags win), and expands into points (see plan.hpp).

#include "domain/knobs.hpp"
#include "domain/parameters.hpp"
#include "domain/serving.hpp"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace llmsweep::sweep {

// rounds: repetitions spread over rounds in a seeded random order; grouped: llama-bench's back-to-back order.
enum class Order { rounds, grouped };
// native: llmsweep's workers on the llama.cpp it is linked to; llama_bench: a llama-bench binary (any build).
enum class Engine { native, llama_bench };

std::string_view name(Order value);
std::string_view name(Engine value);

struct SweepSpec {
    std::vector<std::string> models;
    // The parameters (domain/knobs.hpp), by name, as canonical texts; one not here keeps its default. The load's
    // (each distinct combination loaded in a worker process of its own), the context's, the tests' (their sizes
    // among them), and server mode's (llama-server's own settings and the requests').
    std::map<std::string_view, std::vector<std::string>> knobs;
    // A parameter's values: those given, else its default (one whose default is the host's: `host` where given).
    std::vector<std::string> values_of(const domain::Knob& knob, std::optional<int64_t> host = {}) const;
    // An integer parameter's values (a test size's: the prompts, ...), a real one's (the request rates).
    std::vector<int64_t> integers_of(const domain::Knob& knob) const;
    std::vector<double> reals_of(const domain::Knob& knob) const;
    // Whether the sweep gives the parameter any value, its default too.
    bool gives(const domain::Knob& knob) const { return knobs.count(knob.name) > 0; }
    // Server mode's client loops: a closed loop per client count given, then an open loop per rate given; one
    // client where neither is given.
    std::vector<domain::ClientLoad> client_loops() const;
    // Whether the sweep gives the knob anything but its default alone.
    bool sets(const domain::Knob& knob) const;
    // The sweep's own settings (--prio, --delay, --numa, --rpc), as every point has them.
    domain::RunParams run() const;
    // Split mode: llama-bench's combined tests (-pg pp,tg), each the prompt then the generation, timed as one.
    std::vector<std::pair<int64_t, int64_t>> n_pg;

    // run --shard K/N: shard K (from 1) of N (sweep/plan.hpp, shard_tests); none: the whole sweep.
    std::optional<std::pair<int64_t, int64_t>> shard;
    int64_t repetitions = 5;
    // Adaptive rounds (sweep/stopping.hpp): above `repetitions`, rounds are added for the points that still need
    // them until the rule holds: each result's mean known to +-target_ci_pct at 95 %, and/or every comparison of
    // the `decide` parameters decided at +-margin_pct. 0: a fixed number of repetitions.
    int64_t max_repetitions = 0;
    double target_ci_pct = 0;
    std::vector<std::string> decide;
    std::optional<double> margin_pct; // the report's default when none is given
    bool adaptive() const { return max_repetitions > repetitions; }
    int64_t warmup = 1;
    domain::Mode mode = domain::Mode::request;
    Order order = Order::rounds;
    uint64_t seed = 1;
    double timeout_s = 600;
    Engine engine = Engine::native;
    // The llama-bench binaries, for Engine::llama_bench. Several are a load setting swept like any other: each
    // round runs each binary once, in a random order, so that each round is a block of their comparison.
    std::vector<std::string> llama_bench;
    std::vector<std::string> llama_bench_args; // handed to it as they are (a newer build's flags)

    // Server mode (--mode server): llama-server under concurrent requests. -p and -n are each request's prompt
    // and output tokens.
    struct Serving {
        // The client loops (--concurrency, --rate) and the requests' settings are parameters (knobs above).
        // Each repetition of a point: this many requests (0: 4 per client, at least 8; open loops 16), or the
        // requests that start within duration_s; the warmup requests before a server's first point, untimed.
        int64_t requests = 0;
        double duration_s = 0;
        domain::Slo slo;
        std::string llama_server;                   // the binary; "": the one built with llmsweep, or PATH's
        std::vector<std::string> llama_server_args; // handed to every server as they are
        // A server that is already running (llmsweep starts and stops none): its base URL, and its API.
        std::string url;
        domain::Api api = domain::Api::llama;
        // The requests of one repetition of `load`.
        int64_t requests_of(const domain::ClientLoad& load) const;
    } serving;
};

Order parse_order(std::string_view text);

// Reads a TOML sweep file into `spec`, over its defaults. Throws UsageError naming the file, key and problem.
void read_toml(const std::string& path, SweepSpec& spec);

// How many values the spec sweeps of a point parameter (its name in the results, e.g. load_mode, n_threads);
// 0 for a name that is not one.
size_t swept_values(const SweepSpec& spec, std::string_view parameter);

// Checks what expansion cannot: models given, files exist and are GGUF, values in range.
void validate(const SweepSpec& spec);

nlohmann::json to_json(const SweepSpec& spec);

} // namespace llmsweep::sweep

namespace llmsweep::sweep {

// One setting of the spec, as the TOML file and the command line name it. Every list-valued setting accepts
// several texts (repeated flags, TOML arrays), each a comma list or a range.
struct Setting {
    std::string_view key; // TOML key; the long flag is the same with '-' for '_'
    std::string help;
    bool is_list = true;
    std::function<void(SweepSpec& spec, const std::vector<std::string>& texts)> assign;
    std::string_view alias = {}; // an older name, taken as a TOML key and a long flag too
    bool named(std::string_view name) const { return name == key || (!alias.empty() && name == alias); }
};

const std::vector<Setting>& settings();
// Throws UsageError for an unknown key, naming the known ones.
const Setting& find_setting(std::string_view key);

} // namespace llmsweep::sweep
