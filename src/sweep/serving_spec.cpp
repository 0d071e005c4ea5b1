#include "sweep/serving_spec.hpp"

#include "core/error.hpp"
#include "core/escape.hpp"
#include "domain/parameter_names.hpp"
#include "sweep/setting_text.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>

namespace llmsweep::sweep {
using namespace domain;

const std::vector<Setting>& serving_settings() {
    static const std::vector<Setting> settings = {
        {"requests", "Server mode: requests per repetition of a point (default 4 per client, at least 8; open loop 16)",
         false, [](SweepSpec& s, const auto& t) { s.serving.requests = single_int(t, "--requests", 1, 1'000'000); }},
        {"duration", "Server mode: seconds per repetition of a point, instead of --requests", false,
         [](SweepSpec& s, const auto& t) {
             s.serving.duration_s = positive_number(single(t, "--duration"), "--duration");
         }},
        {"slo",
         "Server mode: the objective a request must meet to count towards goodput: ttft=, tpot=, e2e= in ms or s "
         "(ttft=500ms,tpot=50ms)",
         false, [](SweepSpec& s, const auto& t) { s.serving.slo = parse_slo(single(t, "--slo"), "--slo"); }},
        {"llama_server", "Server mode: the llama-server binary (default: the one built with llmsweep, else PATH's)",
         false, [](SweepSpec& s, const auto& t) { s.serving.llama_server = single(t, "--llama-server"); }},
        {"llama_server_arg",
         "Server mode: an argument handed as it is to every llama-server; repeat it for several, a flag's value "
         "after '=': --llama-server-arg=--swa-full",
         true,
         [](SweepSpec& s, const auto& t) {
             s.serving.llama_server_args.insert(s.serving.llama_server_args.end(), t.begin(), t.end());
         }},
        {"url",
         "Server mode: a server that is already running, http://127.0.0.1:PORT (llmsweep starts and stops none; its "
         "settings are its own)",
         false, [](SweepSpec& s, const auto& t) { s.serving.url = single(t, "--url"); }},
        {"api", "Server mode: llama (llama.cpp's /completion; default) or openai (/v1/completions, any engine)", false,
         [](SweepSpec& s, const auto& t) { s.serving.api = parse_api(single(t, "--api")); }},
    };
    return settings;
}

std::vector<ClientLoad> SweepSpec::client_loops() const {
    const Knob &clients = *find_parameter(param::concurrency), &rates = *find_parameter(param::rate);
    std::vector<ClientLoad> loops;
    if (gives(clients) || !gives(rates))
        for (int64_t n : integers_of(clients)) loops.push_back({.concurrency = n});
    if (gives(rates))
        for (double rate : reals_of(rates)) loops.push_back({.concurrency = 0, .rate = rate});
    return loops;
}

int64_t SweepSpec::Serving::requests_of(const ClientLoad& load) const {
    if (requests > 0) return requests;
    return load.open_loop() ? 16 : std::max<int64_t>(8, 4 * load.concurrency);
}

namespace {

// Whether the sweep sets a parameter of `scope` to anything but its default, or gives the client loop's any value.
bool sets_any(const SweepSpec& spec, std::initializer_list<Knob::Scope> scopes) {
    return std::any_of(parameters().begin(), parameters().end(), [&](const Knob& knob) {
        return std::find(scopes.begin(), scopes.end(), knob.scope()) != scopes.end() &&
               (spec.sets(knob) || (knob.client_loop() && spec.gives(knob)));
    });
}

} // namespace

void validate_serving(const SweepSpec& spec) {
    const SweepSpec::Serving& s = spec.serving;
    if (spec.mode != Mode::server) {
        const bool touched = sets_any(spec, {Knob::Scope::server, Knob::Scope::client}) || s.requests != 0 ||
                             s.duration_s != 0 || !s.slo.empty() || !s.llama_server.empty() ||
                             !s.llama_server_args.empty() || !s.url.empty() || s.api != domain::Api::llama;
        if (touched)
            throw UsageError("the serving settings (--parallel, --concurrency, --rate, --url, ...) are those of "
                             "llama-server under load: add --mode server");
        return;
    }
    if (spec.engine != Engine::native)
        throw UsageError("--mode server runs llama-server, not llama-bench: drop --engine llama-bench");
    const Knob &prompt = *find_parameter(param::n_prompt), &gen = *find_parameter(param::n_gen);
    if (spec.sets(*find_parameter(param::n_depth)))
        throw UsageError("--n-depth has no meaning in server mode: a request's context is its prompt; use "
                         "--shared-prefix for prompts that begin alike");
    const std::vector<int64_t> prompts = spec.integers_of(prompt), gens = spec.integers_of(gen);
    for (int64_t n : prompts)
        if (n < 1) throw UsageError("--n-prompt: a request of server mode has a prompt of 1 token or more");
    for (int64_t n : gens)
        if (n < 1) throw UsageError("--n-gen: a request of server mode generates 1 token or more");
    const Knob &shared_prefix = *find_knob("shared_prefix"), &prompt_dist = *find_knob("prompt_dist"),
               &gen_dist = *find_knob("gen_dist");
    for (const std::string& prefix_text : spec.values_of(shared_prefix))
        for (int64_t n : prompts)
            if (const int64_t prefix = std::stoll(prefix_text); prefix >= n && !spec.sets(prompt_dist))
                throw UsageError(fmt::format("--shared-prefix {} is not shorter than the prompt (-p {}): a prompt is "
                                             "its shared prefix and then tokens of its own",
                                             prefix, n));
    if (spec.sets(prompt_dist) && prompts.size() > 1)
        throw UsageError("--prompt-dist draws the prompt lengths that -p would fix: drop the -p list");
    if (spec.sets(gen_dist) && gens.size() > 1)
        throw UsageError("--gen-dist draws the output lengths that -n would fix: drop the -n list");
    if (s.requests > 0 && s.duration_s > 0)
        throw UsageError("--requests and --duration both say how long a repetition is: give one");
    // Where a server listens is llmsweep's to choose (a free port on 127.0.0.1, found for each server): a server
    // told otherwise would never answer where it is waited for.
    for (const std::string& arg : s.llama_server_args)
        for (const char* flag : {"--port", "--host", "--api-key", "--path"})
            if (arg == flag || arg.starts_with(std::string(flag) + "="))
                throw UsageError(fmt::format("--llama-server-arg {}: llmsweep chooses where each server listens; drop "
                                             "it (for a server of your own, give --url)",
                                             escape::terminal(arg)));
    if (!s.url.empty()) {
        if (!s.url.starts_with("http://"))
            throw UsageError(
                fmt::format("--url '{}': give the server's base URL, http://HOST:PORT", escape::terminal(s.url)));
        // A password in the URL would be stored with the run and printed in every report.
        if (const size_t at = s.url.find('@'); at != std::string::npos && at < s.url.find('/', 7))
            throw UsageError("--url: a user or password in the URL would be stored in the database and shown in every "
                             "report; give a URL without them");
        const bool server_settings =
            sets_any(spec, {Knob::Scope::server}) || !s.llama_server.empty() || !s.llama_server_args.empty();
        if (server_settings)
            throw UsageError("--url names a server that is already running: its settings are its own; drop "
                             "--parallel, --ctx-size, --cont-batching, --cache-reuse, --llama-server and "
                             "--llama-server-arg");
    }
}

nlohmann::json serving_json(const SweepSpec& spec) {
    const SweepSpec::Serving& s = spec.serving;
    nlohmann::json json;
    // Every value as a number (booleans 0 or 1) or a text, as the runs' spec_key has always had them; the client
    // loop's as given (none where none is).
    for (const Knob& knob : parameters()) {
        if (!knob.of_server_mode()) continue;
        nlohmann::json values = nlohmann::json::array();
        if (!knob.client_loop() || spec.gives(knob))
            for (const std::string& value : spec.values_of(knob))
                values.push_back(knob.type() == Knob::Type::text   ? nlohmann::json(value)
                                 : knob.type() == Knob::Type::real ? nlohmann::json(std::stod(value))
                                                                   : nlohmann::json(std::stoll(value)));
        json[std::string(knob.name)] = std::move(values);
    }
    json["requests"] = s.requests;
    json["duration"] = s.duration_s;
    json["slo"] = s.slo.text();
    json["llama_server"] = s.llama_server;
    json["llama_server_args"] = s.llama_server_args;
    json["url"] = s.url;
    json["api"] = name(s.api);
    return json;
}

} // namespace llmsweep::sweep
