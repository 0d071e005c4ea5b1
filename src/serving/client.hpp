#pragma once
// The client side of a serving benchmark: requests streamed from an HTTP server (llama-server's /completion or
// any OpenAI-compatible /v1/completions, and /v1/chat/completions for a request with images) under a closed-loop or open-loop load, each timed token by token.
//
// It is libcurl's multi interface on one thread: every request in flight is one transfer of one event loop, so
// a load of 64 clients needs no 64 threads, arrivals of an open loop are started by the loop's own timeout
// (no sleeping thread per request), each streamed chunk is timed as libcurl hands it over, and connections are
// kept alive between requests as a real client keeps them. libcurl is the most used HTTP client there is, and
// Debian's package.

#include "domain/serving.hpp"

#include <cstdint>
#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace llmsweep::serving {

struct Request {
    std::vector<int32_t> prompt; // token ids: the prompt's length is exact, whatever the tokenizer
    int64_t n_predict = 0;       // tokens to generate, end of sequence ignored
    bool cache_prompt = false;
    // Image files (their bytes: PPM, PNG, JPEG, ...) the request begins with, for a server with an mmproj. Then
    // the prompt is `text`, not `prompt`: llama-server takes no token ids beside an image, and counts the text's
    // tokens itself. On the OpenAI API such a request goes to /v1/chat/completions as image_url data URIs.
    std::vector<std::string> images;
    std::string text;
    bool has_images() const { return !images.empty(); }
};

// What happened to one request. Times in ms: its submission from the load's start, the rest from its
// submission.
struct RequestRecord {
    double submit_ms = 0;
    std::optional<double> ttft_ms; // the first chunk that carried a token; none when no token came
    double e2e_ms = 0;             // the end of its answer
    int64_t tokens_in = 0;         // the prompt's tokens, as the server counted them where it says
    int64_t tokens_out = 0;        // tokens generated
    std::vector<double> gaps_ms;   // between successive chunks that carried tokens (one token each on llama-server)
    // The server's own timings of the request, where it sends them (llama-server's `timings`): its prompt (the
    // images' encoding and the prompt's prefill) and its generation, ms.
    std::optional<double> server_prompt_ms, server_gen_ms;
    long http_status = 0;      // 0: no HTTP answer
    std::string status = "ok"; // ok, error (HTTP, the connection, the server's error event), timeout
    std::string error;         // why, as the server or libcurl said it (text from outside: escape it)
    // Time per output token after the first: (e2e - ttft) / (tokens_out - 1); none for fewer than 2 tokens.
    std::optional<double> tpot_ms() const;
};

struct LoadShape {
    int64_t concurrency = 1; // closed loop: clients
    double rate = 0;         // open loop (above 0): Poisson arrivals per second, from `seed`
    int64_t requests = 0;    // requests in all; 0: as many as start within duration_s
    double duration_s = 0;
    uint64_t seed = 1;
    double request_timeout_s = 600;
};

struct LoadRun {
    std::vector<RequestRecord> requests; // in the order submitted
    double wall_s = 0;                   // the first submission to the last answer
    bool stopped = false;                // keep_going said no: the requests in flight then failed
};

// The counters and gauges of a Prometheus text exposition (llama-server's /metrics), by name; comments and
// lines that are not `name value` are skipped.
std::map<std::string, double> parse_metrics(std::string_view text);
// What changed between two expositions: each counter's increase (names ending in _total), each gauge's value
// after.
nlohmann::json metrics_change(const std::map<std::string, double>& before, const std::map<std::string, double>& after);

class Client {
public:
    // `base_url`: http://HOST:PORT; `model`: the OpenAI API's model field (empty: none sent).
    Client(std::string base_url, domain::Api api, std::string model = {});
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    // GET base_url + path: the HTTP status (0: no answer) and the body.
    std::pair<long, std::string> get(std::string_view path, double timeout_s) const;

    // Puts the load on the server: request i is request_of(i). `keep_going` is asked between events (a server
    // that died, Ctrl-C): when it says no, the requests in flight fail with `stop_reason` and the load ends.
    LoadRun run(const LoadShape& shape, const std::function<Request(size_t)>& request_of,
                const std::function<bool()>& keep_going, const std::string& stop_reason = "stopped") const;

    // The text that marks an image's place in a prompt: llama-server draws one per process and tells it in
    // /props (`media_marker`); mtmd's default before it.
    void set_media_marker(std::string marker) { media_marker_ = std::move(marker); }

    // The JSON body of a request (for the tests and --dry-run), and the path it is sent to.
    std::string body(const Request& request) const;
    std::string_view path(const Request& request) const;

private:
    std::string base_url_;
    domain::Api api_;
    std::string model_;
    std::string media_marker_ = "<__media__>";
};

} // namespace llmsweep::serving
