#pragma once
// The reading of one streamed answer (server-sent events of llama-server's /completion, or the OpenAI API's
// /v1/completions and /v1/chat/completions): each `data:` event's tokens timed as they come, every field checked for its type and its sense,
// every size bounded. A server's answer is hostile: whatever it sends fails the request with the reason, and
// nothing it sends can throw, hang or fill the memory. The serving client feeds it what libcurl hands over; the
// fuzzer of server answers (fuzz/fuzz_stream.cpp) feeds it anything.

#include "domain/serving.hpp"
#include "serving/client.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace llmsweep::serving {

// Milliseconds from one instant to another.
inline double ms_between(std::chrono::steady_clock::time_point from, std::chrono::steady_clock::time_point to) {
    return std::chrono::duration<double, std::milli>(to - from).count();
}

// What a server may send, at most: one line of a stream, and a whole streamed answer.
inline constexpr size_t max_line_bytes = 1 << 20, max_stream_bytes = 256 << 20;

class StreamReader {
public:
    using Clock = std::chrono::steady_clock;

    // Bytes of the answer, received at `now`: each full line's event, each line's end looked for once (a line of
    // megabytes is not scanned again at every chunk). False when the answer is broken (`broken` says why): stop.
    bool bytes(std::string_view data, Clock::time_point now);
    // Fails the answer with `why` (the first reason stays).
    void fail(std::string why);

    domain::Api api = domain::Api::llama;
    bool chat = false;     // OpenAI API: a chat completion's chunks (choices[0].delta.content), not a completion's
    int64_t n_predict = 0; // tokens asked for: more is a broken answer
    Clock::time_point submitted, last_token;
    RequestRecord record;                // tokens, TTFT and gaps as they came; an error event's status
    std::optional<int64_t> server_count; // tokens generated, as the server counted them at the end
    bool ended = false;                  // the stream's own end came (llama: stop; OpenAI: [DONE])
    std::string broken;                  // why the answer cannot be believed; the request fails with it
    std::string raw;                     // the start of the answer (a non-stream error's body)

private:
    void event(std::string_view payload, Clock::time_point now);

    std::string pending_; // bytes after the last full line
    size_t scanned_ = 0;  // of pending_, the bytes known to hold no line's end
    size_t received_ = 0; // bytes of the answer so far
};

} // namespace llmsweep::serving
