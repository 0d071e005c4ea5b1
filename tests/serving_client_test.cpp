// The serving client against a stub that streams tokens at known times (what it measures, within 1 ms; closed
// and open loops; every way a request fails), llama-server's metrics, and the requests' shapes and spellings.
// `run --mode server` on the real llama-server: serving_test.cpp.

#include "core/escape.hpp"
#include "serving/client.hpp"
#include "serving/llama_server.hpp"
#include "sse_stub.hpp"
#include "sweep/executor.hpp"
#include "sweep/plan.hpp"
#include "test_support.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <set>
#include <thread>

namespace llmsweep {
namespace {

using serving::Client;
using serving::LoadShape;
using serving::Request;
using test::machine_delay_ms;
using test::SseStub;
using test::wake_delay_ms;

double ms_between(SseStub::Clock::time_point a, SseStub::Clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
}

Request small_request(size_t) { return {{1, 2, 3, 4}, 8, false}; }
bool always() { return true; }

// What the client measured against what the stub did: TTFTs and gaps within 1 ms of the stub's own times (a TTFT
// from when the stub accepted the connection, before its thread for it started; the client's figures run a little
// above the stub's, by loopback's latency), plus twice the machine's delay in waking a thread during the run (each
// side's thread is woken once per figure; the larger of wake_delay_ms before the run and the 95th percentile of
// the stub's own lateness in it); 95 % of them (all but one of a few), and none beyond 5 ms more. "" when they are,
// else what is wrong.
std::string timing_error(const serving::LoadRun& run, const std::vector<SseStub::Served>& served, double wake_ms) {
    if (run.requests.size() != served.size())
        return fmt::format("{} requests measured, {} served", run.requests.size(), served.size());
    std::vector<double> ttft_client, ttft_stub, gaps_client, gaps_stub;
    for (const auto& r : run.requests) {
        if (r.status != "ok" || !r.ttft_ms) return fmt::format("a request {}: {}", r.status, r.error);
        ttft_client.push_back(*r.ttft_ms);
        gaps_client.insert(gaps_client.end(), r.gaps_ms.begin(), r.gaps_ms.end());
    }
    for (const auto& s : served) {
        ttft_stub.push_back(ms_between(s.accepted, s.sent.front()));
        for (size_t i = 1; i < s.sent.size(); ++i) gaps_stub.push_back(ms_between(s.sent[i - 1], s.sent[i]));
    }
    // The same multiset of figures, matched in order of size (requests finish in any order).
    for (auto* v : {&ttft_client, &ttft_stub, &gaps_client, &gaps_stub}) std::sort(v->begin(), v->end());
    if (gaps_client.size() != gaps_stub.size()) return "another number of gaps than the stub wrote";
    const double tolerance = 1.0 + 2 * machine_delay_ms(served, wake_ms);
    std::string error;
    const auto check = [&](const std::vector<double>& client, const std::vector<double>& stub, const char* what) {
        // A client that adds latency shifts every figure, the median too; a scheduler that wakes a thread late
        // with every core busy shifts a few. So: the median within the tolerance, at most a third beyond it, and
        // none wildly beyond.
        size_t within = 0, wild = 0;
        std::string differences;
        std::vector<double> absolute;
        for (size_t i = 0; i < client.size(); ++i) {
            absolute.push_back(std::fabs(client[i] - stub[i]));
            within += absolute.back() <= tolerance ? 1 : 0;
            wild += absolute.back() > 5.0 + tolerance ? 1 : 0;
            differences += fmt::format(" {:+.3f}", client[i] - stub[i]);
        }
        std::sort(absolute.begin(), absolute.end());
        const double median = absolute.empty() ? 0 : absolute[absolute.size() / 2];
        if (median > tolerance || within < client.size() - std::max<size_t>(1, client.size() / 3) || wild > 0)
            error += fmt::format("{}: client - stub, ms:{}; tolerance {:.3f} ms. ", what, differences, tolerance);
    };
    check(ttft_client, ttft_stub, "TTFT");
    check(gaps_client, gaps_stub, "gap");
    return error;
}

// Runs `attempt` (a stub, a client's run against it, what the stub served, the wake delay before) up to three
// times, until its figures are within a millisecond (timing_error): a client that adds latency does so every time,
// a machine busy for a moment (every core taken, a woken thread waiting a scheduler's slice) does not. Returns
// the last attempt's run and stub, and each failed attempt's figures.
struct Timed {
    serving::LoadRun run;
    std::vector<SseStub::Served> served;
    double wake_ms = 0;
    std::string errors;
};
template <typename Attempt>
Timed timed_within_a_millisecond(Attempt attempt) {
    Timed t;
    for (int i = 0; i < 3; ++i) {
        const double wake_ms = wake_delay_ms();
        auto [run, served] = attempt();
        const std::string error = timing_error(run, served, wake_ms);
        t = {std::move(run), std::move(served), wake_ms, t.errors};
        if (error.empty()) return t;
        t.errors += fmt::format("attempt {}: {}\n", i + 1, error);
    }
    ADD_FAILURE() << t.errors;
    return t;
}

TEST(ServingClient, MeasuresTimeToFirstTokenAndEveryGapWithinAMillisecond) {
    const Timed t = timed_within_a_millisecond([] {
        SseStub stub({.first_ms = 40, .gap_ms = 15, .tokens = 6});
        const Client client(stub.url(), domain::Api::llama);
        serving::LoadRun run = client.run({.concurrency = 2, .requests = 6}, small_request, always);
        return std::pair{std::move(run), stub.served()};
    });
    const double delay = machine_delay_ms(t.served, t.wake_ms);
    // The stub's own span from first to last token, the shortest of its requests: 75 ms as scripted, less where a
    // first token was written late on a busy machine and the rest on time.
    double span_ms = 5 * 15.0;
    for (const auto& s : t.served)
        if (s.sent.size() == 6)
            span_ms =
                std::min(span_ms, std::chrono::duration<double, std::milli>(s.sent.back() - s.sent.front()).count());
    // A first token the client read late (timing_error lets a few figures be late by up to 5 ms beyond its
    // tolerance: a thread woken late with every core busy) makes the TTFT longer and the rest of the request
    // shorter by as much: its 5 gaps' mean by a fifth of it. A client that ended a request at its first token would
    // be 75 ms short, one that missed a token 15 ms.
    const double late_ms = 5.0 + 1.0 + 2 * delay;
    for (const auto& r : t.run.requests) {
        EXPECT_EQ(r.tokens_out, 6);
        EXPECT_EQ(r.tokens_in, 4); // the server's tokens_evaluated
        EXPECT_EQ(r.gaps_ms.size(), 5u);
        EXPECT_EQ(r.http_status, 200);
        EXPECT_GE(*r.ttft_ms, 40.0);
        ASSERT_TRUE(r.tpot_ms());
        EXPECT_NEAR(*r.tpot_ms(), 15.0, 1.5 + 2 * delay + late_ms / 5);
        EXPECT_GE(r.e2e_ms, *r.ttft_ms + span_ms - late_ms) << "the stub's shortest span " << span_ms << " ms";
    }
    // 6 requests of ~115 ms, 2 at a time: three waves.
    EXPECT_NEAR(t.run.wall_s, 3 * 0.115, 0.05 + 6 * delay / 1000);
}

TEST(ServingClient, ReadsTheOpenAiStreamToo) {
    const Timed t = timed_within_a_millisecond([] {
        SseStub stub({.first_ms = 10, .gap_ms = 5, .tokens = 5, .openai = true});
        const Client client(stub.url(), domain::Api::openai, "some-model");
        serving::LoadRun run = client.run({.concurrency = 1, .requests = 3}, small_request, always);
        return std::pair{std::move(run), stub.served()};
    });
    const auto& run = t.run;
    for (const auto& r : run.requests) EXPECT_EQ(r.tokens_out, 5);
    ASSERT_FALSE(t.served.empty());
    const auto body = nlohmann::json::parse(t.served.front().request);
    EXPECT_EQ(body["model"], "some-model");
    EXPECT_EQ(body["max_tokens"], 8);
    EXPECT_EQ(body["prompt"], nlohmann::json({1, 2, 3, 4}));
    EXPECT_TRUE(body["stream"].get<bool>());
    EXPECT_TRUE(body["ignore_eos"].get<bool>());
}

// A request that begins with images carries them as each API takes them, in order: llama-server's prompt object
// with the server's marker for each image and the files in base64, or an OpenAI chat message of data URIs then the
// text, sent to /v1/chat/completions; a chat completion's deltas are its tokens, and the server's own timings are
// kept.
TEST(ServingClient, ARequestWithImagesCarriesThemInEachApisForm) {
    Request request{{}, 4, false};
    request.images = {std::string("P6\n1 1\n255\n\x01\x02\x03", 14), std::string("\0\xff", 2)};
    request.text = " the of";
    const auto images_b64 = nlohmann::json({"UDYKMSAxCjI1NQoBAgM=", "AP8="}); // RFC 4648, by hand
    {
        SseStub stub({.first_ms = 1, .gap_ms = 1, .tokens = 4});
        Client client(stub.url(), domain::Api::llama);
        EXPECT_EQ(client.path(request), "/completion");
        client.set_media_marker("<__media_q7__>");
        const auto run = client.run(
            {.requests = 1}, [&](size_t) { return request; }, always);
        ASSERT_EQ(run.requests.size(), 1u);
        EXPECT_EQ(run.requests.front().status, "ok") << run.requests.front().error;
        const auto body = nlohmann::json::parse(stub.served().at(0).request);
        EXPECT_EQ(body["prompt"]["prompt_string"], "<__media_q7__><__media_q7__> the of") << body.dump();
        EXPECT_EQ(body["prompt"]["multimodal_data"], images_b64);
        EXPECT_EQ(body["n_predict"], 4);
    }
    const std::vector<std::string> chat = {
        R"({"choices":[{"index":0,"delta":{"role":"assistant","content":null}}]})",
        R"({"choices":[{"index":0,"delta":{"content":" w1"}}]})",
        R"({"choices":[{"index":0,"delta":{"content":" w2"}}]})",
        R"({"choices":[],"usage":{"completion_tokens":2,"prompt_tokens":83},"timings":{"prompt_ms":41.5,"predicted_ms":7.25}})",
        "[DONE]"};
    SseStub stub({.gap_ms = 1, .events = chat});
    const Client client(stub.url(), domain::Api::openai, "vlm");
    EXPECT_EQ(client.path(request), "/v1/chat/completions");
    EXPECT_EQ(client.path(small_request(0)), "/v1/completions");
    const auto run = client.run(
        {.requests = 1}, [&](size_t) { return request; }, always);
    ASSERT_EQ(run.requests.size(), 1u);
    const serving::RequestRecord& r = run.requests.front();
    EXPECT_EQ(r.status, "ok") << r.error;
    EXPECT_EQ(r.tokens_out, 2);
    EXPECT_EQ(r.tokens_in, 83);
    EXPECT_EQ(r.server_prompt_ms, 41.5);
    EXPECT_EQ(r.server_gen_ms, 7.25);
    const auto body = nlohmann::json::parse(stub.served().at(0).request);
    EXPECT_FALSE(body.contains("prompt")) << body.dump();
    const auto& content = body["messages"][0]["content"];
    ASSERT_EQ(content.size(), 3u) << body.dump();
    EXPECT_EQ(content[0]["image_url"]["url"],
              "data:image/x-portable-pixmap;base64," + images_b64[0].get<std::string>());
    EXPECT_EQ(content[1]["image_url"]["url"],
              "data:image/x-portable-pixmap;base64," + images_b64[1].get<std::string>());
    EXPECT_EQ(content[2], nlohmann::json({{"type", "text"}, {"text", " the of"}}));
    EXPECT_EQ(body["max_tokens"], 4);
    EXPECT_EQ(body["model"], "vlm");
}

// A server's timings are checked like its counts: a time that is not a number from 0 to a day fails the request.
TEST(ServingClient, HostileServerTimingsFailTheirRequest) {
    for (const char* timings : {R"("prompt_ms":"fast")", R"("prompt_ms":-1)", R"("predicted_ms":1e300)"}) {
        SseStub stub(
            {.gap_ms = 1,
             .events = {R"({"content":" w","tokens":[5],"stop":false})",
                        fmt::format(R"({{"content":"","tokens":[],"stop":true,"timings":{{{}}}}})", timings)}});
        const auto run = Client(stub.url(), domain::Api::llama).run({.requests = 1}, small_request, always);
        ASSERT_EQ(run.requests.size(), 1u);
        EXPECT_EQ(run.requests.front().status, "error") << timings;
        EXPECT_NE(run.requests.front().error.find("not a time from 0 to a day"), std::string::npos)
            << timings << ": " << run.requests.front().error;
    }
}

TEST(ServingClient, AClosedLoopKeepsExactlyItsClientsBusy) {
    SseStub stub({.first_ms = 30, .gap_ms = 5, .tokens = 3});
    const Client client(stub.url(), domain::Api::llama);
    const serving::LoadRun run = client.run({.concurrency = 4, .requests = 12}, small_request, always);
    ASSERT_EQ(run.requests.size(), 12u);
    EXPECT_EQ(stub.most_open(), 4);
    // The first four leave at once; each later one when one before it ended.
    EXPECT_EQ(std::count_if(run.requests.begin(), run.requests.end(), [](const auto& r) { return r.submit_ms < 5; }),
              4);
}

TEST(ServingClient, AnOpenLoopSendsPoissonArrivalsFromItsSeed) {
    SseStub stub({.first_ms = 5, .gap_ms = 1, .tokens = 2});
    const Client client(stub.url(), domain::Api::llama);
    const LoadShape shape{.rate = 100, .requests = 40, .seed = 7};
    const serving::LoadRun a = client.run(shape, small_request, always);
    const serving::LoadRun b = client.run(shape, small_request, always);
    ASSERT_EQ(a.requests.size(), 40u);
    // 40 arrivals at 100/s: the last near 0.4 s (exponential gaps: within 3 standard deviations, 0.19 s).
    EXPECT_NEAR(a.requests.back().submit_ms, 400, 190);
    // The same seed, the same schedule (each submission within 3 ms of its twin's).
    for (size_t i = 0; i < a.requests.size(); ++i)
        EXPECT_NEAR(a.requests[i].submit_ms, b.requests[i].submit_ms, 3.0) << i;
    // Open: arrivals do not wait for answers, so requests overlap.
    EXPECT_GT(stub.most_open(), 1);
}

TEST(ServingClient, ADurationEndsSubmissionsButNotTheRequestsInFlight) {
    SseStub stub({.first_ms = 20, .gap_ms = 10, .tokens = 4});
    const Client client(stub.url(), domain::Api::llama);
    const serving::LoadRun run = client.run({.concurrency = 2, .duration_s = 0.25}, small_request, always);
    // Each request takes ~50 ms: about 5 waves of 2 start within 0.25 s, and all of them finish.
    EXPECT_GE(run.requests.size(), 6u);
    EXPECT_LE(run.requests.size(), 14u);
    for (const auto& r : run.requests) {
        EXPECT_EQ(r.status, "ok");
        EXPECT_LT(r.submit_ms, 250);
    }
}

// A hostile server's answers fail their request with the reason, never the sweep: fields of the wrong type, counts
// beyond what was asked or below zero, more tokens than asked, a stream cut short, a line that never ends.
// small_request asks for 8 tokens.
TEST(ServingClient, AHostileAnswerFailsItsRequestWithTheReason) {
    const auto token = [](int i) { return fmt::format(R"({{"content":" w{0}","tokens":[{0}],"stop":false}})", i); };
    const auto one = [&](std::vector<std::string> events, domain::Api api = domain::Api::llama) {
        SseStub stub({.gap_ms = 1, .events = std::move(events)});
        const auto run = Client(stub.url(), api).run({.requests = 1}, small_request, always);
        EXPECT_EQ(run.requests.size(), 1u);
        return run.requests.empty() ? serving::RequestRecord{} : run.requests.front();
    };
    struct Case {
        const char* what;
        std::vector<std::string> events;
        const char* reason;
    };
    const std::vector<Case> cases = {
        {"stop as text", {token(1), R"({"content":"","tokens":[],"stop":"yes"})"}, "stop is \"yes\""},
        {"stop null", {token(1), R"({"content":"","tokens":[],"stop":null})"}, "stop is null"},
        {"tokens_predicted INT64_MAX",
         {token(1), R"({"content":"","tokens":[],"stop":true,"tokens_predicted":9223372036854775807})"},
         "tokens_predicted is 9223372036854775807"},
        {"tokens_evaluated negative",
         {token(1), R"({"content":"","tokens":[],"stop":true,"tokens_predicted":1,"tokens_evaluated":-5})"},
         "tokens_evaluated is -5"},
        {"a chunk of 200,000 ids",
         {fmt::format(R"({{"tokens":[{}],"stop":false}})", fmt::join(std::vector<int>(200000, 7), ","))},
         "200000 tokens or more, 8 were asked"},
        {"a stream cut short", {token(1)}, "ended before its end (1 of 8 tokens"},
    };
    for (const Case& c : cases) {
        const auto r = one(c.events);
        EXPECT_EQ(r.status, "error") << c.what;
        EXPECT_NE(r.error.find(c.reason), std::string::npos) << c.what << ": " << r.error;
    }
    // The OpenAI API: usage.completion_tokens of 1e15.
    const auto r = one({R"({"choices":[{"text":" w","index":0}]})",
                        R"({"choices":[],"usage":{"completion_tokens":1000000000000000}})", "[DONE]"},
                       domain::Api::openai);
    EXPECT_EQ(r.status, "error");
    EXPECT_NE(r.error.find("completion_tokens is 1000000000000000"), std::string::npos) << r.error;
    // A line that never ends: the request fails at 1 MiB, without the client scanning it again at every chunk.
    const auto long_line = one({std::string(3 << 20, 'x')});
    EXPECT_EQ(long_line.status, "error");
    EXPECT_NE(long_line.error.find("a line of the answer passed 1 MiB"), std::string::npos) << long_line.error;
    // The server's text stored is valid UTF-8.
    const auto bad_utf8 = one({"{\"error\":{\"message\":\"bad \xff\xfe byte\"}}"});
    EXPECT_EQ(bad_utf8.status, "error");
    EXPECT_EQ(bad_utf8.error, escape::valid_utf8(bad_utf8.error));
    EXPECT_NE(bad_utf8.error.find("bad "), std::string::npos) << bad_utf8.error;
}

TEST(ServingClient, EveryFailureIsARecordWithItsReason) {
    {
        SseStub stub({.status = 503});
        const auto run = Client(stub.url(), domain::Api::llama).run({.requests = 2}, small_request, always);
        ASSERT_EQ(run.requests.size(), 2u);
        EXPECT_EQ(run.requests[0].status, "error");
        EXPECT_EQ(run.requests[0].http_status, 503);
        EXPECT_NE(run.requests[0].error.find("stub says no"), std::string::npos) << run.requests[0].error;
    }
    {
        SseStub stub({.first_ms = 5, .tokens = 4, .error_event = true});
        const auto run = Client(stub.url(), domain::Api::llama).run({.requests = 1}, small_request, always);
        EXPECT_EQ(run.requests[0].status, "error");
        EXPECT_EQ(run.requests[0].error, "stub failed mid-stream");
    }
    {
        SseStub stub({.first_ms = 5, .gap_ms = 400, .tokens = 3});
        const auto run = Client(stub.url(), domain::Api::llama)
                             .run({.requests = 1, .request_timeout_s = 0.2}, small_request, always);
        EXPECT_EQ(run.requests[0].status, "timeout");
        EXPECT_EQ(run.requests[0].tokens_out, 1); // the first token came in time
    }
    {
        // Nothing listens: a connection error, at once.
        const int port = test::free_tcp_port();
        const auto run = Client(fmt::format("http://127.0.0.1:{}", port), domain::Api::llama)
                             .run({.requests = 1}, small_request, always);
        EXPECT_EQ(run.requests[0].status, "error");
        EXPECT_EQ(run.requests[0].http_status, 0);
        EXPECT_FALSE(run.requests[0].error.empty());
    }
    {
        // keep_going says no: the requests in flight fail with the reason given, and the load ends.
        SseStub stub({.first_ms = 5, .gap_ms = 100, .tokens = 20});
        const auto until = SseStub::Clock::now() + std::chrono::milliseconds(150);
        const auto run = Client(stub.url(), domain::Api::llama)
                             .run(
                                 {.concurrency = 2, .requests = 10}, small_request,
                                 [&] { return SseStub::Clock::now() < until; }, "the server died");
        EXPECT_TRUE(run.stopped);
        ASSERT_EQ(run.requests.size(), 2u);
        for (const auto& r : run.requests) EXPECT_EQ(r.error, "the server died");
    }
}

TEST(ServingMetrics, CountersBecomeTheirIncreaseAndGaugesTheirValue) {
    const auto before = serving::parse_metrics("# HELP llamacpp:tokens_predicted_total Tokens\n"
                                               "# TYPE llamacpp:tokens_predicted_total counter\n"
                                               "llamacpp:tokens_predicted_total 100\n"
                                               "llamacpp:requests_processing 0\n"
                                               "not a metric line\n"
                                               "llamacpp:bad nan-ish\n");
    EXPECT_EQ(before.size(), 2u);
    const auto after = serving::parse_metrics("llamacpp:tokens_predicted_total 164\nllamacpp:requests_processing 2\n"
                                              "llamacpp:n_decode_total 9");
    const auto change = serving::metrics_change(before, after);
    EXPECT_EQ(change["llamacpp:tokens_predicted_total"], 64);
    EXPECT_EQ(change["llamacpp:requests_processing"], 2);
    EXPECT_EQ(change["llamacpp:n_decode_total"], 9); // new since before: all of it
}

TEST(ServingRequests, PromptsHaveTheirExactLengthsAndShareTheirPrefix) {
    sweep::SweepSpec spec;
    spec.mode = domain::Mode::server;
    domain::Point point;
    point.test = {64, 16, 0};
    point.client.shared_prefix = 48;
    const Request a = sweep::request_for(spec, point, 3, 0, 0, 512);
    const Request b = sweep::request_for(spec, point, 3, 0, 1, 512);
    const Request again = sweep::request_for(spec, point, 3, 0, 0, 512);
    ASSERT_EQ(a.prompt.size(), 64u);
    EXPECT_EQ(a.n_predict, 16);
    EXPECT_EQ(a.prompt, again.prompt);                                                  // reproducible from the seed
    EXPECT_TRUE(std::equal(a.prompt.begin(), a.prompt.begin() + 48, b.prompt.begin())); // the shared prefix
    EXPECT_NE(std::vector(a.prompt.begin() + 48, a.prompt.end()), std::vector(b.prompt.begin() + 48, b.prompt.end()));
    for (int32_t t : a.prompt) {
        EXPECT_GE(t, 1);
        EXPECT_LT(t, 512);
    }
    point.client.prompt_dist = "uniform:10-20";
    point.client.gen_dist = "uniform:3-5";
    std::set<size_t> lengths;
    for (size_t i = 0; i < 200; ++i) {
        const Request r = sweep::request_for(spec, point, 3, 1, i, 512);
        EXPECT_GE(r.prompt.size(), 10u);
        EXPECT_LE(r.prompt.size(), 20u);
        EXPECT_GE(r.n_predict, 3);
        EXPECT_LE(r.n_predict, 5);
        lengths.insert(r.prompt.size());
    }
    EXPECT_EQ(lengths.size(), 11u); // every length of the range is drawn
}

// A point with images: each request begins with them, each a pixmap of the point's size whose pixels differ from
// every other request's (a server reuses an image it has seen), reproducible from the seed; the prompt is then
// text, a word per token asked for. --image's file is carried as its bytes are.
TEST(ServingRequests, ImagesAreEachRequestsOwnAndThePromptIsText) {
    sweep::SweepSpec spec;
    spec.mode = domain::Mode::server;
    domain::Point point;
    point.test = {12, 4, 0};
    point.test.image_size = 32;
    point.test.images = 2;
    const Request a = sweep::request_for(spec, point, 3, 0, 0, 512);
    const Request b = sweep::request_for(spec, point, 3, 0, 1, 512);
    const Request again = sweep::request_for(spec, point, 3, 0, 0, 512);
    ASSERT_EQ(a.images.size(), 2u);
    const std::string header = "P6\n32 32\n255\n";
    for (const Request* r : {&a, &b})
        for (const std::string& image : r->images) {
            EXPECT_EQ(image.size(), header.size() + 32 * 32 * 3);
            EXPECT_EQ(image.substr(0, header.size()), header);
        }
    EXPECT_NE(a.images[0], a.images[1]);
    EXPECT_NE(a.images[0], b.images[0]);
    EXPECT_EQ(a.images, again.images);
    EXPECT_TRUE(a.prompt.empty());
    EXPECT_EQ(std::count(a.text.begin(), a.text.end(), ' '), 12);
    EXPECT_EQ(a.text, again.text);
    EXPECT_NE(a.text, b.text);
    point.test.image_size = 0;
    point.test.image = "photo.jpg";
    point.test.images = 1;
    const std::string file("\xff\xd8\xff\0jpeg", 8);
    EXPECT_EQ(sweep::request_for(spec, point, 3, 0, 0, 512, file).images, std::vector<std::string>{file});
}

TEST(ServingRequests, ServersGetLlamaServersSpellings) {
    domain::Point point;
    point.load.model = "m.gguf";
    point.load.load_mode = domain::LoadMode::none;
    point.context.threads = 3;
    point.context.flash_attn = "on";
    point.server = {.parallel = 4, .ctx_size = 2048, .cont_batching = false, .cache_reuse = 256};
    point.load.tensor_split = "3/1";
    const auto argv = serving::server_command({.binary = "llama-server", .extra_args = {"--swa-full"}}, point, 8080);
    const std::string line = fmt::format("{}", fmt::join(argv, " "));
    for (const char* part : {"-m m.gguf", "--host 127.0.0.1 --port 8080", "-np 4", "-c 2048", "-nocb",
                             "--cache-reuse 256", "-t 3", "-fa on", "--no-mmap", "-ts 3,1", "--swa-full"})
        EXPECT_NE(line.find(part), std::string::npos) << part << " in " << line;
    for (const char* flag : {"--numa", "--rpc", "--prio", "--delay"})
        EXPECT_EQ(line.find(flag), std::string::npos) << flag << " at its default, in " << line;
    // The sweep's own settings that llama-server has, where they are set; --prio and --delay are llama-bench's.
    point.run = {.prio = 2, .delay = 5, .numa = "distribute", .rpc = "10.0.0.2:50052,10.0.0.3:50052"};
    const std::string placed = fmt::format("{}", fmt::join(serving::server_command({}, point, 8080), " "));
    EXPECT_NE(placed.find("--numa distribute --rpc 10.0.0.2:50052,10.0.0.3:50052"), std::string::npos) << placed;
    for (const char* flag : {"--prio", "--delay"}) EXPECT_EQ(placed.find(flag), std::string::npos) << placed;
    point.load.cache_state = domain::CacheState::cold;
    EXPECT_THROW(serving::server_command({}, point, 8080), UsageError);
}

} // namespace
} // namespace llmsweep
