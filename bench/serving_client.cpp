// The serving client's own capacity, against the streaming stub of the tests (tests/sse_stub.hpp) on loopback:
//   1. how many tokens per second of CPU time it parses: streams that write their tokens as fast as they can,
//      the client's thread's CPU time (the stub's threads are not counted);
//   2. the latency it adds: streams with tokens at known times, the client's TTFT and gaps against the stub's.
// Usage: llmsweep_serving_client [streams...]   (default 1 16 64)

#include "serving/client.hpp"
#include "sse_stub.hpp"
#include "stats/descriptive.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <sys/resource.h>
#include <vector>

using llmsweep::serving::Client;
using llmsweep::serving::Request;
using llmsweep::test::SseStub;

namespace {

double thread_cpu_s() {
    rusage u{};
    getrusage(RUSAGE_THREAD, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double quantile(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    return llmsweep::stats::quantile_sorted(v, p);
}

void parse_capacity(int streams) {
    const int tokens = 2000;
    SseStub stub({.first_ms = 0, .gap_ms = 0, .tokens = tokens});
    const Client client(stub.url(), llmsweep::domain::Api::llama);
    const double cpu = thread_cpu_s();
    const auto run = client.run({.concurrency = streams, .requests = 2 * streams},
                                [](size_t) { return Request{{1, 2, 3}, 2000, false}; }, [] { return true; });
    const double used = thread_cpu_s() - cpu;
    int64_t parsed = 0;
    for (const auto& r : run.requests) parsed += r.tokens_out;
    fmt::print("parse  {:3} streams: {} tokens in {:.2f} s wall, client thread {:.3f} s CPU: {:.0f} tokens/s per "
               "core, {:.0f} tokens/s wall\n",
               streams, parsed, run.wall_s, used, static_cast<double>(parsed) / used,
               static_cast<double>(parsed) / run.wall_s);
}

void added_latency(int streams) {
    SseStub stub({.first_ms = 20, .gap_ms = 10, .tokens = 20});
    const Client client(stub.url(), llmsweep::domain::Api::llama);
    const auto run = client.run({.concurrency = streams, .requests = 4 * streams},
                                [](size_t) { return Request{{1, 2, 3}, 20, false}; }, [] { return true; });
    // Each request's TTFT against the stub's (matched by rank: requests end in any order), and every gap.
    // The stub's TTFT from when its thread for the request had read it, and from when the connection was accepted
    // (before that thread started: on a busy machine its start is the stub's cost, not the client's).
    std::vector<double> ttft_client, ttft_stub, ttft_accepted, gap_client, gap_stub;
    for (const auto& r : run.requests) {
        if (r.ttft_ms) ttft_client.push_back(*r.ttft_ms);
        gap_client.insert(gap_client.end(), r.gaps_ms.begin(), r.gaps_ms.end());
    }
    for (const auto& s : stub.served()) {
        ttft_stub.push_back(std::chrono::duration<double, std::milli>(s.sent.front() - s.received).count());
        ttft_accepted.push_back(std::chrono::duration<double, std::milli>(s.sent.front() - s.accepted).count());
        for (size_t i = 1; i < s.sent.size(); ++i)
            gap_stub.push_back(std::chrono::duration<double, std::milli>(s.sent[i] - s.sent[i - 1]).count());
    }
    std::sort(ttft_client.begin(), ttft_client.end());
    std::sort(ttft_stub.begin(), ttft_stub.end());
    std::sort(ttft_accepted.begin(), ttft_accepted.end());
    std::sort(gap_client.begin(), gap_client.end());
    std::sort(gap_stub.begin(), gap_stub.end());
    std::vector<double> ttft_added, ttft_added_accepted, gap_error;
    for (size_t i = 0; i < std::min(ttft_client.size(), ttft_stub.size()); ++i) {
        ttft_added.push_back(ttft_client[i] - ttft_stub[i]);
        ttft_added_accepted.push_back(ttft_client[i] - ttft_accepted[i]);
    }
    for (size_t i = 0; i < std::min(gap_client.size(), gap_stub.size()); ++i)
        gap_error.push_back(std::abs(gap_client[i] - gap_stub[i]));
    fmt::print("timing {:3} streams: TTFT added median {:.3f} ms, p99 {:.3f} ms (from the stub's acceptance: median "
               "{:.3f} ms, p99 {:.3f} ms); |gap error| median {:.3f} ms, p99 {:.3f} ms, max {:.3f} ms ({} gaps)\n",
               streams, quantile(ttft_added, 0.5), quantile(ttft_added, 0.99), quantile(ttft_added_accepted, 0.5),
               quantile(ttft_added_accepted, 0.99), quantile(gap_error, 0.5), quantile(gap_error, 0.99),
               quantile(gap_error, 1), gap_error.size());
}

} // namespace

int main(int argc, char** argv) {
    std::vector<int> streams;
    for (int i = 1; i < argc; ++i) streams.push_back(std::atoi(argv[i]));
    if (streams.empty()) streams = {1, 16, 64};
    for (int n : streams) parse_capacity(n);
    for (int n : streams) added_latency(n);
}
