#include "serving/stream.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <climits>
#include <cmath>

namespace llmsweep::serving {
namespace {

// A count the server gives, as a number in [0, limit]; none when absent; a failure (its reason in `why`) when it
// is there with another type or value.
std::optional<int64_t> count_field(const nlohmann::json& object, const char* name, int64_t limit, std::string& why) {
    const auto it = object.find(name);
    if (it == object.end() || it->is_null()) return std::nullopt;
    if (!it->is_number_integer() || it->get<int64_t>() < 0 || it->get<int64_t>() > limit) {
        why = fmt::format("the server's {} is {}, not a count from 0 to {}", name,
                          it->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).substr(0, 40), limit);
        return std::nullopt;
    }
    return it->get<int64_t>();
}

// A time the server gives, in ms: a finite number from 0 to a day; none when absent; a failure (its reason in `why`)
// when it is there with another type or value.
std::optional<double> time_field(const nlohmann::json& object, const char* name, std::string& why) {
    const auto it = object.find(name);
    if (it == object.end() || it->is_null()) return std::nullopt;
    constexpr double day_ms = 86'400'000;
    if (!it->is_number() || !std::isfinite(it->get<double>()) || it->get<double>() < 0 || it->get<double>() > day_ms) {
        why = fmt::format("the server's {} is {}, not a time from 0 to a day in ms", name,
                          it->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).substr(0, 40));
        return std::nullopt;
    }
    return it->get<double>();
}

} // namespace

void StreamReader::fail(std::string why) {
    if (broken.empty()) broken = std::move(why);
}

// One `data:` event of the stream, received at `now`. Every field is checked for its type and its sense.
void StreamReader::event(std::string_view payload, Clock::time_point now) {
    if (payload == "[DONE]") {
        ended = true;
        return;
    }
    const nlohmann::json j = nlohmann::json::parse(payload, nullptr, false);
    if (!j.is_object()) return;
    if (j.contains("error")) {
        record.status = "error";
        const auto& e = j["error"];
        record.error = e.is_object() && e.contains("message") && e["message"].is_string()
                           ? e["message"].get<std::string>()
                           : e.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        return;
    }
    int64_t tokens = 0;
    std::string why;
    if (api == domain::Api::llama) {
        if (const auto t = j.find("tokens"); t != j.end() && t->is_array()) tokens = static_cast<int64_t>(t->size());
        else if (const auto c = j.find("content"); c != j.end() && c->is_string() && !c->get<std::string>().empty())
            tokens = 1;
        const auto stop = j.find("stop");
        if (stop != j.end() && !stop->is_boolean())
            return fail(
                fmt::format("the server's stop is {}, not true or false",
                            stop->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).substr(0, 40)));
        if (stop != j.end() && stop->get<bool>()) {
            ended = true;
            server_count = count_field(j, "tokens_predicted", n_predict, why);
            if (const auto n = count_field(j, "tokens_evaluated", INT32_MAX, why)) record.tokens_in = *n;
        }
    } else {
        if (const auto c = j.find("choices"); c != j.end() && c->is_array() && !c->empty()) {
            const auto& choice = (*c)[0];
            // A completion's chunk carries its text; a chat completion's, its delta's content.
            const nlohmann::json* holder = &choice;
            if (chat && choice.is_object()) {
                const auto d = choice.find("delta");
                holder = d != choice.end() && d->is_object() ? &*d : nullptr;
            }
            if (holder && holder->is_object())
                if (const auto t = holder->find(chat ? "content" : "text");
                    t != holder->end() && t->is_string() && !t->get<std::string>().empty())
                    tokens = 1;
        }
        if (const auto u = j.find("usage"); u != j.end() && u->is_object()) {
            server_count = count_field(*u, "completion_tokens", n_predict, why);
            if (const auto n = count_field(*u, "prompt_tokens", INT32_MAX, why)) record.tokens_in = *n;
        }
    }
    // llama-server's own timings of the request, on its last event (either API).
    if (const auto t = j.find("timings"); t != j.end() && t->is_object()) {
        record.server_prompt_ms = time_field(*t, "prompt_ms", why);
        record.server_gen_ms = time_field(*t, "predicted_ms", why);
    }
    if (!why.empty()) return fail(why);
    if (tokens == 0) return;
    if (record.tokens_out + tokens > n_predict)
        return fail(fmt::format("the server streamed {} tokens or more, {} were asked for", record.tokens_out + tokens,
                                n_predict));
    if (!record.ttft_ms) record.ttft_ms = ms_between(submitted, now);
    else record.gaps_ms.push_back(ms_between(last_token, now));
    last_token = now;
    record.tokens_out += tokens;
}

// Bytes of the answer: each full line's event, each line's end looked for once (a line of megabytes is not
// scanned again at every chunk), within the bounds.
bool StreamReader::bytes(std::string_view data, Clock::time_point now) {
    received_ += data.size();
    if (received_ > max_stream_bytes)
        return fail(fmt::format("the answer passed {} MiB", max_stream_bytes >> 20)), false;
    if (raw.size() < 512) raw.append(data.substr(0, 512 - raw.size()));
    pending_.append(data);
    size_t start = 0;
    for (size_t newline; (newline = pending_.find('\n', std::max(start, scanned_))) != std::string::npos;
         start = newline + 1) {
        std::string_view line(pending_.data() + start, newline - start);
        if (line.ends_with('\r')) line.remove_suffix(1);
        if (line.starts_with("data:")) {
            line.remove_prefix(5);
            if (line.starts_with(' ')) line.remove_prefix(1);
            event(line, now);
            if (!broken.empty()) return false;
        }
    }
    pending_.erase(0, start);
    scanned_ = pending_.size();
    if (pending_.size() > max_line_bytes)
        return fail(fmt::format("a line of the answer passed {} MiB", max_line_bytes >> 20)), false;
    return true;
}

} // namespace llmsweep::serving
