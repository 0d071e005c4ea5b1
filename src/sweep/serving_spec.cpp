#include "sweep/serving_spec.hpp"

#include "core/error.hpp"
#include "core/escape.hpp"
#include "sweep/setting_text.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace llmsweep::sweep {
using namespace domain;

const std::vector<Setting>& serving_settings() {
    static const std::vector<Setting> settings = {
        {"parallel", "Server mode: llama-server's slots, -np (default -1: llama-server's auto, 4 slots)", true,
         [](SweepSpec& s, const auto& t) { s.serving.parallel = unique(ints(t, "--parallel", -1, 4096)); }},
        {"ctx_size", "Server mode: llama-server's context over all slots, -c (default 0: the model's)", true,
         [](SweepSpec& s, const auto& t) { s.serving.ctx_size = unique(ints(t, "--ctx-size", 0, max_tokens * 16)); }},
        {"cont_batching", "Server mode: 0,1: continuous batching, -cb (default 1)", true,
         [](SweepSpec& s, const auto& t) { s.serving.cont_batching = unique(ints(t, "--cont-batching", 0, 1)); }},
        {"cache_reuse",
         "Server mode: the least chunk of a cached prompt reused by shifting, --cache-reuse (default 0: off)", true,
         [](SweepSpec& s, const auto& t) { s.serving.cache_reuse = unique(ints(t, "--cache-reuse", 0, max_tokens)); }},
        {"concurrency",
         "Server mode: closed-loop clients, each sending its next request when the last ends (default 1; 1,2,4,8 or "
         "1-8*2 for a sweep)",
         true, [](SweepSpec& s, const auto& t) { s.serving.concurrency = unique(ints(t, "--concurrency", 1, 4096)); }},
        {"rate", "Server mode: open-loop requests per second, arriving as a seeded Poisson process (0.5,1,2)", true,
         [](SweepSpec& s, const auto& t) {
             s.serving.rate = unique(
                 parse_each(t, "--rate", [](std::string_view v) { return positive_number(std::string(v), "--rate"); }));
         }},
        {"requests", "Server mode: requests per repetition of a point (default 4 per client, at least 8; open loop 16)",
         false, [](SweepSpec& s, const auto& t) { s.serving.requests = single_int(t, "--requests", 1, 1'000'000); }},
        {"duration", "Server mode: seconds per repetition of a point, instead of --requests", false,
         [](SweepSpec& s, const auto& t) {
             s.serving.duration_s = positive_number(single(t, "--duration"), "--duration");
         }},
        {"prompt_dist", "Server mode: prompt lengths drawn per request instead of -p: uniform:LO-HI", true,
         [](SweepSpec& s, const auto& t) {
             s.serving.prompt_dist = unique(parse_each(
                 t, "--prompt-dist", [](std::string_view v) { return parse_lengths(v, "--prompt-dist", 1).text(); }));
         }},
        {"gen_dist", "Server mode: output lengths drawn per request instead of -n: uniform:LO-HI", true,
         [](SweepSpec& s, const auto& t) {
             s.serving.gen_dist = unique(parse_each(
                 t, "--gen-dist", [](std::string_view v) { return parse_lengths(v, "--gen-dist", 1).text(); }));
         }},
        {"shared_prefix", "Server mode: tokens every prompt of a point begins with, of its -p (default 0)", true,
         [](SweepSpec& s, const auto& t) {
             s.serving.shared_prefix = unique(ints(t, "--shared-prefix", 0, max_tokens));
         }},
        {"cache_prompt", "Server mode: 0,1: requests let the server reuse a slot's cached prompt (default 0)", true,
         [](SweepSpec& s, const auto& t) { s.serving.cache_prompt = unique(ints(t, "--cache-prompt", 0, 1)); }},
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

int64_t SweepSpec::Serving::requests_of(const ClientLoad& load) const {
    if (requests > 0) return requests;
    return load.open_loop() ? 16 : std::max<int64_t>(8, 4 * load.concurrency);
}

void validate_serving(const SweepSpec& spec) {
    const SweepSpec::Serving &s = spec.serving, defaults;
    if (spec.mode != Mode::server) {
        const bool touched = s.parallel != defaults.parallel || s.ctx_size != defaults.ctx_size ||
                             s.cont_batching != defaults.cont_batching || s.cache_reuse != defaults.cache_reuse ||
                             !s.concurrency.empty() || !s.rate.empty() || s.shared_prefix != defaults.shared_prefix ||
                             s.cache_prompt != defaults.cache_prompt || s.prompt_dist != defaults.prompt_dist ||
                             s.gen_dist != defaults.gen_dist || s.requests != 0 || s.duration_s != 0 ||
                             !s.slo.empty() || !s.llama_server.empty() || !s.llama_server_args.empty() ||
                             !s.url.empty() || s.api != domain::Api::llama;
        if (touched)
            throw UsageError("the serving settings (--parallel, --concurrency, --rate, --url, ...) are those of "
                             "llama-server under load: add --mode server");
        return;
    }
    if (spec.engine != Engine::native)
        throw UsageError("--mode server runs llama-server, not llama-bench: drop --engine llama-bench");
    if (spec.n_depth != std::vector<int64_t>{0})
        throw UsageError("--n-depth has no meaning in server mode: a request's context is its prompt; use "
                         "--shared-prefix for prompts that begin alike");
    for (int64_t n : spec.n_prompt)
        if (n < 1) throw UsageError("--n-prompt: a request of server mode has a prompt of 1 token or more");
    for (int64_t n : spec.n_gen)
        if (n < 1) throw UsageError("--n-gen: a request of server mode generates 1 token or more");
    for (int64_t prefix : s.shared_prefix)
        for (int64_t n : spec.n_prompt)
            if (prefix >= n && s.prompt_dist == std::vector<std::string>{""})
                throw UsageError(fmt::format("--shared-prefix {} is not shorter than the prompt (-p {}): a prompt is "
                                             "its shared prefix and then tokens of its own",
                                             prefix, n));
    if (s.prompt_dist != defaults.prompt_dist && spec.n_prompt.size() > 1)
        throw UsageError("--prompt-dist draws the prompt lengths that -p would fix: drop the -p list");
    if (s.gen_dist != defaults.gen_dist && spec.n_gen.size() > 1)
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
        const bool server_settings = s.parallel != defaults.parallel || s.ctx_size != defaults.ctx_size ||
                                     s.cont_batching != defaults.cont_batching ||
                                     s.cache_reuse != defaults.cache_reuse || !s.llama_server.empty() ||
                                     !s.llama_server_args.empty();
        if (server_settings)
            throw UsageError("--url names a server that is already running: its settings are its own; drop "
                             "--parallel, --ctx-size, --cont-batching, --cache-reuse, --llama-server and "
                             "--llama-server-arg");
    }
}

nlohmann::json serving_json(const SweepSpec::Serving& s) {
    nlohmann::json json;
    json["parallel"] = s.parallel;
    json["ctx_size"] = s.ctx_size;
    json["cont_batching"] = s.cont_batching;
    json["cache_reuse"] = s.cache_reuse;
    json["concurrency"] = s.concurrency;
    json["rate"] = s.rate;
    json["shared_prefix"] = s.shared_prefix;
    json["cache_prompt"] = s.cache_prompt;
    json["prompt_dist"] = s.prompt_dist;
    json["gen_dist"] = s.gen_dist;
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
