#include "serving/client.hpp"

#include "serving/stream.hpp"

#include "core/error.hpp"
#include "core/escape.hpp"
#include "core/hash.hpp"

#include <curl/curl.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <list>
#include <mutex>
#include <random>

namespace llmsweep::serving {
namespace {

using Clock = std::chrono::steady_clock;

void global_init() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw Error("libcurl could not be initialized");
    });
}

struct EasyDeleter {
    void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
using Easy = std::unique_ptr<CURL, EasyDeleter>;

struct MultiDeleter {
    void operator()(CURLM* multi) const { curl_multi_cleanup(multi); }
};

struct ListDeleter {
    void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

// What a server may send in a GET's body (/props, /v1/models, /metrics), at most; beyond, the GET fails.
constexpr size_t max_body_bytes = 8 << 20;

// A GET's body, bounded by max_body_bytes (libcurl then fails the transfer).
size_t append_to_string(char* data, size_t size, size_t n, void* out) {
    auto* body = static_cast<std::string*>(out);
    if (body->size() + size * n > max_body_bytes) return 0;
    body->append(data, size * n);
    return size * n;
}

// One request in flight: its transfer, and the reading of its answer.
struct Transfer : StreamReader {
    Easy easy;
    std::string url, body;
};

// libcurl's write callback: no exception may cross it, and a false answer from bytes() ends the transfer.
size_t on_stream(char* data, size_t size, size_t n, void* self) {
    auto* t = static_cast<Transfer*>(self);
    try {
        return t->bytes(std::string_view(data, size * n), Clock::now()) ? size * n : 0;
    } catch (const std::exception& e) {
        t->fail(fmt::format("the server's answer could not be read: {}", e.what()));
        return 0;
    }
}

} // namespace

std::map<std::string, double> parse_metrics(std::string_view text) {
    std::map<std::string, double> metrics;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        const std::string_view line = text.substr(start, end - start);
        start = end + 1;
        const size_t space = line.rfind(' ');
        if (line.empty() || line.front() == '#' || space == std::string_view::npos || space == 0) continue;
        const std::string value(line.substr(space + 1));
        char* parsed = nullptr;
        const double number = std::strtod(value.c_str(), &parsed);
        if (parsed == value.c_str() || *parsed != '\0') continue;
        if (!std::isfinite(number)) continue;
        // At most 4096 series, each name valid UTF-8 (it is stored as JSON).
        if (metrics.size() >= 4096) break;
        metrics[escape::valid_utf8(line.substr(0, space))] = number;
    }
    return metrics;
}

nlohmann::json metrics_change(const std::map<std::string, double>& before, const std::map<std::string, double>& after) {
    nlohmann::json change = nlohmann::json::object();
    for (const auto& [name, value] : after) {
        const auto was = before.find(name);
        change[name] = name.ends_with("_total") && was != before.end() ? value - was->second : value;
    }
    return change;
}

std::optional<double> RequestRecord::tpot_ms() const {
    if (!ttft_ms || tokens_out < 2) return std::nullopt;
    return (e2e_ms - *ttft_ms) / static_cast<double>(tokens_out - 1);
}

Client::Client(std::string base_url, domain::Api api, std::string model)
    : base_url_(std::move(base_url)), api_(api), model_(std::move(model)) {
    global_init();
    while (base_url_.ends_with('/')) base_url_.pop_back();
}

Client::~Client() = default;

std::string_view Client::path(const Request& request) const {
    if (api_ == domain::Api::llama) return "/completion";
    return request.has_images() ? "/v1/chat/completions" : "/v1/completions";
}

std::string Client::body(const Request& request) const {
    nlohmann::json j = {
        {"prompt", request.prompt}, {"stream", true}, {"ignore_eos", true}, {"cache_prompt", request.cache_prompt}};
    if (request.has_images()) {
        // llama-server's own form: each image's place in the text marked by the server's marker.
        std::string marked;
        nlohmann::json data = nlohmann::json::array();
        for (const std::string& image : request.images) {
            marked += media_marker_;
            data.push_back(base64(image));
        }
        j["prompt"] = {{"prompt_string", marked + request.text}, {"multimodal_data", std::move(data)}};
        if (api_ != domain::Api::llama) {
            // The OpenAI chat form: one user message of the images, as data URIs, then the text.
            nlohmann::json content = nlohmann::json::array();
            for (const nlohmann::json& image : j["prompt"]["multimodal_data"])
                content.push_back(
                    {{"type", "image_url"},
                     {"image_url",
                      {{"url", "data:image/x-portable-pixmap;base64," + image.get_ref<const std::string&>()}}}});
            content.push_back({{"type", "text"}, {"text", request.text}});
            j.erase("prompt");
            j["messages"] = nlohmann::json::array({{{"role", "user"}, {"content", std::move(content)}}});
        }
    }
    if (api_ == domain::Api::llama) {
        j["n_predict"] = request.n_predict; // its chunks carry their token ids ("tokens") as they are
    } else {
        j["max_tokens"] = request.n_predict;
        j["stream_options"] = {{"include_usage", true}};
        if (!model_.empty()) j["model"] = model_;
    }
    return j.dump();
}

std::pair<long, std::string> Client::get(std::string_view path, double timeout_s) const {
    Easy easy(curl_easy_init());
    if (!easy) throw Error("libcurl could not start a transfer");
    const std::string url = base_url_ + std::string(path);
    std::string body;
    curl_easy_setopt(easy.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(easy.get(), CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_s * 1000));
    curl_easy_setopt(easy.get(), CURLOPT_WRITEFUNCTION, append_to_string);
    curl_easy_setopt(easy.get(), CURLOPT_WRITEDATA, &body);
    long status = 0;
    if (curl_easy_perform(easy.get()) == CURLE_OK) curl_easy_getinfo(easy.get(), CURLINFO_RESPONSE_CODE, &status);
    return {status, body};
}

LoadRun Client::run(const LoadShape& shape, const std::function<Request(size_t)>& request_of,
                    const std::function<bool()>& keep_going, const std::string& stop_reason) const {
    std::unique_ptr<CURLM, MultiDeleter> multi(curl_multi_init());
    if (!multi) throw Error("libcurl could not start its event loop");
    std::unique_ptr<curl_slist, ListDeleter> headers(curl_slist_append(nullptr, "Content-Type: application/json"));

    LoadRun run;
    std::list<Transfer> in_flight;
    std::mt19937_64 rng(shape.seed);
    std::exponential_distribution<double> gap(shape.rate > 0 ? shape.rate : 1);
    const bool open_loop = shape.rate > 0;
    const Clock::time_point start = Clock::now();
    Clock::time_point next_arrival = start, last_end = start;
    const auto limit = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(shape.duration_s));
    size_t submitted = 0;

    const auto more_to_submit = [&](Clock::time_point now) {
        if (shape.requests > 0) return submitted < static_cast<size_t>(shape.requests);
        return now - start < limit;
    };
    const auto submit = [&](Clock::time_point now) {
        Transfer& t = in_flight.emplace_back();
        t.api = api_;
        t.easy.reset(curl_easy_init());
        if (!t.easy) throw Error("libcurl could not start a transfer");
        const Request request = request_of(submitted++);
        t.body = body(request);
        t.chat = api_ != domain::Api::llama && request.has_images();
        t.url = base_url_ + std::string(path(request));
        t.record.tokens_in = static_cast<int64_t>(request.prompt.size());
        t.n_predict = request.n_predict;
        CURL* e = t.easy.get();
        curl_easy_setopt(e, CURLOPT_URL, t.url.c_str());
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers.get());
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, t.body.c_str());
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, static_cast<long>(t.body.size()));
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(shape.request_timeout_s * 1000));
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_stream);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
        curl_easy_setopt(e, CURLOPT_PRIVATE, &t);
        t.submitted = now;
        t.record.submit_ms = ms_between(start, now);
        curl_multi_add_handle(multi.get(), e);
    };
    const auto finish = [&](Transfer& t, CURLcode code, Clock::time_point now) {
        curl_multi_remove_handle(multi.get(), t.easy.get());
        RequestRecord& r = t.record;
        r.e2e_ms = ms_between(t.submitted, now);
        curl_easy_getinfo(t.easy.get(), CURLINFO_RESPONSE_CODE, &r.http_status);
        // The tokens that arrived are what counts; a server's own count may say more (chunks of several tokens
        // without their ids), never beyond what was asked (count_field).
        if (t.server_count) r.tokens_out = std::max(r.tokens_out, *t.server_count);
        if (!t.broken.empty()) {
            r.status = "error";
            r.error = t.broken;
        } else if (code == CURLE_OPERATION_TIMEDOUT) {
            r.status = "timeout";
            r.error = fmt::format("no answer within {} s", shape.request_timeout_s);
        } else if (code != CURLE_OK) {
            r.status = "error";
            r.error = curl_easy_strerror(code);
        } else if (r.http_status != 200) {
            r.status = "error";
            r.error = fmt::format("HTTP {}: {}", r.http_status, t.raw);
        } else if (r.status == "ok" && r.tokens_out == 0) {
            r.status = "error";
            r.error = fmt::format("the answer carried no token: {}", t.raw.substr(0, 200));
        } else if (r.status == "ok" && !t.ended) {
            r.status = "error";
            r.error = fmt::format("the stream ended before its end ({} of {} tokens, no {})", r.tokens_out, t.n_predict,
                                  api_ == domain::Api::llama ? "stop" : "[DONE]");
        }
        r.error = escape::valid_utf8(r.error); // stored: text from a server is made valid UTF-8 first
        last_end = std::max(last_end, now);
        run.requests.push_back(std::move(r));
    };

    Clock::time_point asked{};
    while (true) {
        const Clock::time_point now = Clock::now();
        // Asked every 10 ms at most: the loop turns once per streamed chunk.
        const bool ask = now - asked >= std::chrono::milliseconds(10);
        if (ask) asked = now;
        if (ask && !keep_going()) {
            for (Transfer& t : in_flight) {
                curl_multi_remove_handle(multi.get(), t.easy.get());
                t.record.status = "error";
                t.record.error = stop_reason;
                t.record.e2e_ms = ms_between(t.submitted, now);
                run.requests.push_back(std::move(t.record));
            }
            run.stopped = true;
            break;
        }
        if (open_loop) {
            while (more_to_submit(now) && next_arrival <= now) {
                // At the arrival the seed scheduled, not when this loop got to it: a request's latencies count
                // from when its user came, so a client woken late cannot hide the wait (no coordinated omission).
                submit(next_arrival);
                next_arrival += std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(gap(rng)));
            }
        } else {
            while (more_to_submit(now) &&
                   in_flight.size() < static_cast<size_t>(std::max<int64_t>(1, shape.concurrency)))
                submit(now);
        }
        int running = 0;
        curl_multi_perform(multi.get(), &running);
        int left = 0;
        while (CURLMsg* message = curl_multi_info_read(multi.get(), &left)) {
            if (message->msg != CURLMSG_DONE) continue;
            Transfer* t = nullptr;
            curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &t);
            finish(*t, message->data.result, Clock::now());
            in_flight.remove_if([&](const Transfer& x) { return &x == t; });
        }
        const Clock::time_point after = Clock::now();
        if (in_flight.empty() && !more_to_submit(after)) break;
        // Wake for the next arrival, or at least every 50 ms to ask keep_going.
        int wait_ms = 50;
        if (open_loop && more_to_submit(after))
            wait_ms = static_cast<int>(std::clamp<double>(ms_between(after, next_arrival), 0, 50));
        if (!open_loop && in_flight.size() < static_cast<size_t>(std::max<int64_t>(1, shape.concurrency)) &&
            more_to_submit(after))
            wait_ms = 0;
        if (wait_ms > 0) curl_multi_poll(multi.get(), nullptr, 0, wait_ms, nullptr);
    }
    std::sort(run.requests.begin(), run.requests.end(),
              [](const RequestRecord& a, const RequestRecord& b) { return a.submit_ms < b.submit_ms; });
    run.wall_s = run.requests.empty() ? 0 : ms_between(start, last_end) / 1000 - run.requests.front().submit_ms / 1000;
    return run;
}

} // namespace llmsweep::serving
