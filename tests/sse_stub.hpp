#pragma once
// A minimal streaming HTTP server for the serving client's tests and benchmark: each POST is answered with
// server-sent events, one token per event, at known times (the first `first_ms` after the request was read,
// then every `gap_ms`), as llama-server's /completion or the OpenAI API's /v1/completions writes them. It
// records when it read each request and when it wrote each token, on the clock the client uses, so that what
// the client measured can be checked against what happened.

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace llmsweep::test {

class SseStub {
public:
    using Clock = std::chrono::steady_clock;
    struct Script {
        double first_ms = 20; // from reading the request to its first token
        double gap_ms = 5;    // between tokens
        int tokens = 8;
        bool openai = false;      // /v1/completions' chunks; else llama-server's
        int status = 200;         // another status: that, with a short JSON error body
        bool error_event = false; // a data: {"error":...} event after the first token
        // A hostile server: these payloads as its events, one per gap, instead of its tokens and its end ...
        std::vector<std::string> events;
        // ... and this body for GET /v1/models (otherwise a GET is answered as a POST).
        std::string models_body;
    };
    struct Served {
        // The whole request read; and when its connection was accepted, before the stub's thread for it started
        // (on a busy machine that start can take milliseconds of the stub's, not of the client's).
        Clock::time_point received, accepted;
        std::vector<Clock::time_point> sent; // each token's event written
        std::vector<double> late_ms;         // how long after it was due each was written: the machine's delay
        std::string request;                 // its body
    };

    explicit SseStub(Script script);
    ~SseStub();
    SseStub(const SseStub&) = delete;
    SseStub& operator=(const SseStub&) = delete;

    std::string url() const;
    std::vector<Served> served() const;
    int most_open() const { return most_open_; } // the most requests it was answering at once

private:
    void accept_loop();
    void answer(int fd, Clock::time_point accepted);

    Script script_;
    int listener_ = -1;
    int port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<int> open_{0}, most_open_{0};
    mutable std::mutex mutex_;
    std::vector<Served> served_;
    std::vector<std::thread> threads_;
    std::thread acceptor_;
};

// How late this machine wakes a sleeping thread now, ms: the 90th percentile of 40 short sleeps' overshoot. On an
// idle machine a few tens of microseconds; with every core busy, a scheduler's slice (milliseconds). No client can
// time a stream more finely than its thread is woken, so the tests' tolerances allow it.
double wake_delay_ms();

// The machine's delay in waking a thread during a run with the stub: the larger of `before` (wake_delay_ms) and
// the 95th percentile of the stub's own lateness in writing its tokens.
double machine_delay_ms(const std::vector<SseStub::Served>& served, double before);

} // namespace llmsweep::test
