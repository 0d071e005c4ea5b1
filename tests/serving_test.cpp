// Serving benchmarks: the client against a stub that streams tokens at known times (what it measures, within
// 1 ms; closed and open loops; every way a request fails), the request shapes, and `run --mode server` on the
// real llama-server with the synthetic tiny model (concurrency, a rate, a server that does not start, one killed
// mid-point, Ctrl-C and kill -9 of llmsweep, a server started by somebody else).

#include "run_fixture.hpp"
#include "core/escape.hpp"
#include "serving/client.hpp"
#include "serving/llama_server.hpp"
#include "sse_stub.hpp"
#include "sweep/executor.hpp"
#include "sweep/plan.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <fstream>
#include <future>
#include <set>
#include <thread>

namespace llmsweep {
namespace {

using serving::Client;
using serving::LoadShape;
using serving::Request;
using test::SseStub;

double ms_between(SseStub::Clock::time_point a, SseStub::Clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
}

Request small_request(size_t) { return {{1, 2, 3, 4}, 8, false}; }
bool always() { return true; }

// How late this machine wakes a sleeping thread now, ms: the 90th percentile of 40 short sleeps' overshoot. On an
// idle machine a few tens of microseconds; with every core busy, a scheduler's slice (milliseconds). No client can
// time a stream more finely than its thread is woken, so the tests' tolerances allow it.
double wake_delay_ms() {
    std::vector<double> late;
    for (int i = 0; i < 40; ++i) {
        const auto begin = std::chrono::steady_clock::now();
        std::this_thread::sleep_for(std::chrono::microseconds(500));
        late.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - begin).count() -
                       0.5);
    }
    std::sort(late.begin(), late.end());
    return late[late.size() * 9 / 10];
}

// The machine's delay in waking a thread during a run with the stub: the larger of `before` (wake_delay_ms) and
// the 95th percentile of the stub's own lateness in writing its tokens.
double machine_delay_ms(const std::vector<SseStub::Served>& served, double before) {
    std::vector<double> late;
    for (const auto& s : served) late.insert(late.end(), s.late_ms.begin(), s.late_ms.end());
    std::sort(late.begin(), late.end());
    return late.empty() ? before : std::max(before, late[late.size() * 95 / 100]);
}

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
        size_t within = 0, wild = 0;
        std::string differences;
        for (size_t i = 0; i < client.size(); ++i) {
            within += std::fabs(client[i] - stub[i]) <= tolerance ? 1 : 0;
            wild += std::fabs(client[i] - stub[i]) > 5.0 + tolerance ? 1 : 0;
            differences += fmt::format(" {:+.3f}", client[i] - stub[i]);
        }
        if (within < client.size() - std::max<size_t>(1, client.size() / 20) || wild > 0)
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
            span_ms = std::min(span_ms, std::chrono::duration<double, std::milli>(s.sent.back() - s.sent.front()).count());
    for (const auto& r : t.run.requests) {
        EXPECT_EQ(r.tokens_out, 6);
        EXPECT_EQ(r.tokens_in, 4); // the server's tokens_evaluated
        EXPECT_EQ(r.gaps_ms.size(), 5u);
        EXPECT_EQ(r.http_status, 200);
        EXPECT_GE(*r.ttft_ms, 40.0);
        ASSERT_TRUE(r.tpot_ms());
        EXPECT_NEAR(*r.tpot_ms(), 15.0, 1.5 + 2 * delay);
        EXPECT_GE(r.e2e_ms, *r.ttft_ms + span_ms - 1 - 2 * delay) << "the stub's shortest span " << span_ms << " ms";
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
        {"a chunk of 200,000 ids", {fmt::format(R"({{"tokens":[{}],"stop":false}})", fmt::join(std::vector<int>(200000, 7), ","))},
         "200000 tokens or more, 8 were asked"},
        {"a stream cut short", {token(1)}, "ended before its end (1 of 8 tokens"},
    };
    for (const Case& c : cases) {
        const auto r = one(c.events);
        EXPECT_EQ(r.status, "error") << c.what;
        EXPECT_NE(r.error.find(c.reason), std::string::npos) << c.what << ": " << r.error;
    }
    // The OpenAI API: usage.completion_tokens of 1e15.
    const auto r = one({R"({"choices":[{"text":" w","index":0}]})", R"({"choices":[],"usage":{"completion_tokens":1000000000000000}})", "[DONE]"},
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
    point.load.cache_state = domain::CacheState::cold;
    EXPECT_THROW(serving::server_command({}, point, 8080), UsageError);
}

// `run --mode server` with the real llama-server.
class ServerRunTest : public RunTest {
protected:
    void SetUp() override {
        // A model file of this test's own: the processes that use it are this test's.
        fs::copy_file(*models_ / "tiny.gguf", dir_ / "served.gguf");
    }
    std::string served() const { return shell_quote(dir_ / "served.gguf"); }
    // The llama-server processes serving this test's model.
    std::vector<int> servers() const {
        std::vector<int> pids;
        for (const auto& entry : fs::directory_iterator("/proc")) {
            const std::string name = entry.path().filename().string();
            if (name.find_first_not_of("0123456789") != std::string::npos) continue;
            std::ifstream file(entry.path() / "cmdline");
            std::string cmdline((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
            if (cmdline.find("llama-server") != std::string::npos &&
                cmdline.find((dir_ / "served.gguf").string()) != std::string::npos)
                pids.push_back(std::stoi(name));
        }
        return pids;
    }
    // Waits up to `seconds` for a server of this test's to run; its pid, or 0.
    int wait_for_server(double seconds) const {
        for (auto until = SseStub::Clock::now() + std::chrono::duration<double>(seconds); SseStub::Clock::now() < until;
             std::this_thread::sleep_for(std::chrono::milliseconds(20)))
            if (const auto pids = servers(); !pids.empty()) return pids.front();
        return 0;
    }
    bool no_server_within(double seconds) const {
        for (auto until = SseStub::Clock::now() + std::chrono::duration<double>(seconds); SseStub::Clock::now() < until;
             std::this_thread::sleep_for(std::chrono::milliseconds(20)))
            if (servers().empty()) return true;
        return false;
    }
};

TEST_F(ServerRunTest, StoresEveryRequestAndEachRepetitionsThroughput) {
    const auto r =
        run_llmsweep("run -m " + served() +
                     " --mode server --concurrency 1,4 --rate 40 -p 16 -n 8 -r 2 -t 1 --requests 8 -q" + db_arg());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE metric = 'serve' AND status = 'ok' AND repetitions = 2"), 3);
    EXPECT_EQ(
        count("SELECT count(*) FROM samples WHERE ts > 0 AND ns > 0 AND ttft_ms > 0 AND itl_p99_ms >= itl_p50_ms"), 6);
    EXPECT_EQ(count("SELECT count(*) FROM requests WHERE status = 'ok' AND tokens_out = 8 AND tokens_in = 16 AND "
                    "ttft_ms > 0 AND e2e_ms >= ttft_ms AND tpot_ms > 0 AND http_status = 200"),
              3 * 2 * 8);
    // Rounds: one server per round, each saying what it is.
    EXPECT_EQ(count("SELECT count(*) FROM loads WHERE status = 'ok' AND load_ms > 0 AND "
                    "json_extract(server_props, '$.\"/props\".default_generation_settings') IS NOT NULL AND "
                    "server_command LIKE '%--port%'"),
              2);
    // Four clients leave together; one client's requests follow each other.
    EXPECT_EQ(count("SELECT count(*) FROM requests q JOIN results r ON r.id = q.result_id "
                    "WHERE r.concurrency = 4 AND q.submit_ms < 1"),
              2 * 4);
    EXPECT_EQ(count("SELECT count(*) FROM requests q JOIN results r ON r.id = q.result_id "
                    "WHERE r.concurrency = 1 AND q.submit_ms < 1"),
              2);
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE rate = 40 AND concurrency = 0"), 1);
    // The server's own counters over each repetition: the 8 requests' 8 tokens each, their 16-token prompts.
    EXPECT_EQ(count("SELECT count(*) FROM samples WHERE "
                    "json_extract(server_metrics, '$.\"llamacpp:tokens_predicted_total\"') = 64 AND "
                    "json_extract(server_metrics, '$.\"llamacpp:prompt_tokens_total\"') = 128"),
              6);
    EXPECT_TRUE(servers().empty());
    // merge carries the requests with their results.
    const std::string merged = shell_quote(dir_ / "merged.db");
    ASSERT_EQ(run_llmsweep("merge --db " + merged + " " + shell_quote(db_path())).exit_code, 0);
    store::Database db((dir_ / "merged.db").string(), store::Database::Mode::existing);
    store::Statement requests(db, "SELECT count(*) FROM requests q JOIN results r ON r.id = q.result_id "
                                  "JOIN samples s ON s.result_id = r.id AND s.repetition = q.repetition "
                                  "WHERE q.load_id = s.load_id");
    ASSERT_TRUE(requests.step());
    EXPECT_EQ(requests.column_int(0), 3 * 2 * 8);
}

// Prompt caching, as the server itself counts it: with a shared prefix and cache_prompt, every request after the
// first reuses the prefix a slot holds; without either, none does.
TEST_F(ServerRunTest, ASharedPrefixIsReusedOnlyWhenRequestsLetTheServerCacheIt) {
    const auto r = run_llmsweep("run -m " + served() +
                                " --mode server --shared-prefix 0,48 --cache-prompt 0,1 -p 64 -n 4 -r 1 -t 1 "
                                "--requests 6 -q" +
                                db_arg());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto cached = [&](int prefix, int cache_prompt) {
        return count(
            fmt::format("SELECT CAST(json_extract(s.server_metrics, '$.\"llamacpp:prompt_tokens_cached_total\"') "
                        "AS INTEGER) FROM samples s JOIN results r ON r.id = s.result_id "
                        "WHERE r.shared_prefix = {} AND r.cache_prompt = {}",
                        prefix, cache_prompt));
    };
    EXPECT_EQ(cached(48, 1), 5 * 48);
    EXPECT_EQ(cached(48, 0), 0);
    EXPECT_EQ(cached(0, 1), 0);
    EXPECT_EQ(cached(0, 0), 0);
    // Every prompt is still 64 tokens, as the server counted them.
    EXPECT_EQ(count("SELECT count(*) FROM requests WHERE tokens_in = 64"), 24);
}

TEST_F(ServerRunTest, AServerThatDoesNotStartFailsItsPointsWithItsOwnWords) {
    const auto r =
        run_llmsweep("run -m " + served() +
                     " --mode server -p 8 -n 4 -r 1 --requests 2 -q --llama-server-arg=--no-such-flag" + db_arg());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE status = 'failed'"), 1);
    const std::string error = text("SELECT error FROM results");
    EXPECT_NE(error.find("llama-server did not start"), std::string::npos) << error;
    EXPECT_NE(error.find("--no-such-flag"), std::string::npos) << error;
    EXPECT_EQ(count("SELECT count(*) FROM loads WHERE status = 'failed' AND error LIKE '%no-such-flag%'"), 1);
}

// The servers' logs go to a folder of the sweep's own in $TMPDIR (mkdtemp: its owner's alone, a fresh name no
// other user could plant a link at), removed when every point was measured, kept and named when one failed.
TEST_F(ServerRunTest, TheServersLogsAreTheSweepsOwnAndGoWhenAllWentWell) {
    const fs::path tmp = dir_ / "tmp";
    fs::create_directories(tmp);
    const auto folders = [&] {
        std::vector<fs::path> found;
        for (const auto& entry : fs::directory_iterator(tmp))
            if (entry.path().filename().string().rfind("llmsweep-servers-", 0) == 0) found.push_back(entry.path());
        return found;
    };
    const std::string sweep = "TMPDIR=" + shell_quote(tmp) + " " + shell_quote(LLMSWEEP_BINARY) + " run -m " + served() +
                              " --mode server -p 8 -n 4 -r 1 --requests 2 -q";
    auto r = run_shell(sweep + db_arg());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(folders().empty()) << "removed after a sweep that measured every point";
    r = run_shell(sweep + " --llama-server-arg=--no-such-flag --db " + shell_quote(dir_ / "failed.db"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto kept = folders();
    ASSERT_EQ(kept.size(), 1u);
    EXPECT_EQ(fs::status(kept[0]).permissions() & fs::perms::all, fs::perms::owner_all);
    EXPECT_NE(r.err.find(kept[0].string()), std::string::npos) << "named: " << r.err;
    ASSERT_FALSE(fs::is_empty(kept[0]));
    for (const auto& log : fs::directory_iterator(kept[0]))
        EXPECT_EQ(fs::status(log.path()).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
}

// A --llama-server that is a wrapper script which does not exec: the server is its child, in the group llmsweep
// made for the script, and ends with it; no server is left per visit.
TEST_F(ServerRunTest, AWrapperScriptLeavesNoServerBehind) {
    const fs::path real = fs::path(LLMSWEEP_LLAMA_BENCH).parent_path() / "llama-server";
    if (!fs::exists(real)) GTEST_SKIP() << "no llama-server beside llama-bench at " << real;
    const fs::path wrapper = dir_ / "wrapper.sh";
    std::ofstream(wrapper) << "#!/bin/sh\n" << shell_quote(real) << " \"$@\"\necho wrapper ended >&2\n";
    fs::permissions(wrapper, fs::perms::owner_all);
    const auto r = run_llmsweep("run -m " + served() + " --mode server --llama-server " + shell_quote(wrapper) +
                                " -p 8 -n 4 -r 2 --concurrency 1,2 --requests 2 -q" + db_arg());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE status = 'ok'"), 2);
    EXPECT_EQ(count("SELECT count(*) FROM loads"), 2) << "a server per visit";
    EXPECT_TRUE(no_server_within(2)) << servers().size() << " servers left";
}

TEST_F(ServerRunTest, AServerKilledMidPointCrashesThatPointAndANewOneServesTheRest) {
    const std::string log = shell_quote(dir_ / "log");
    auto run = std::async(std::launch::async, [&] {
        return run_llmsweep("run -m " + served() +
                            " --mode server --concurrency 1,2 --order grouped -p 8 -n 4 -r 1 --duration 1.5 -q" +
                            db_arg());
    });
    const int pid = wait_for_server(30);
    ASSERT_NE(pid, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    kill(pid, SIGKILL);
    const auto r = run.get();
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE status = 'crashed' AND error LIKE '%signal 9%'"), 1);
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE status = 'ok'"), 1);
    EXPECT_EQ(count("SELECT count(*) FROM loads WHERE status = 'ok'"), 2); // the second server
}

TEST_F(ServerRunTest, CtrlCAndKillNineOfLlmsweepLeaveNoServerRunning) {
    for (const int signal : {SIGINT, SIGKILL}) {
        SCOPED_TRACE(signal);
        const std::string command = test::shell_quote(LLMSWEEP_BINARY) + " run -m " + served() +
                                    " --mode server --duration 30 -p 8 -n 4 -r 1 -q --fresh" + db_arg();
        auto run = std::async(std::launch::async, [&] { return run_shell("exec " + command); });
        ASSERT_NE(wait_for_server(30), 0);
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        run_shell(fmt::format("pkill -{} -f -- {}", signal, shell_quote("--mode server --duration 30 -p 8")));
        const auto r = run.get();
        EXPECT_EQ(r.exit_code, signal == SIGINT ? 130 : 128 + SIGKILL) << r.err;
        EXPECT_TRUE(no_server_within(5));
    }
    // What was measured before stays, and the same command resumes.
    EXPECT_EQ(count("SELECT count(*) FROM runs WHERE status = 'interrupted'"), 1);
}

// kill -9 of llmsweep mid-sweep: no server is left, what was stored stays, and the same command finishes the
// sweep without measuring a stored point again.
TEST_F(ServerRunTest, AKilledSweepResumesWhereItStopped) {
    const std::string command = shell_quote(LLMSWEEP_BINARY) + " run -m " + served() +
                                " --mode server --concurrency 1,2,4 --order grouped -p 8 -n 4 -r 1 --requests 40 -t 1" +
                                db_arg();
    EXPECT_EQ(kill_after(command, 1), 137);
    EXPECT_TRUE(no_server_within(5));
    const int64_t stored = count("SELECT count(*) FROM samples");
    ASSERT_GE(stored, 1);
    ASSERT_LT(stored, 3);
    const int64_t first_sample = count("SELECT min(id) FROM samples");
    const auto r = run_shell(command + " 2>&1");
    ASSERT_EQ(r.exit_code, 0) << r.out;
    EXPECT_NE(r.out.find("resuming run 1"), std::string::npos) << r.out;
    EXPECT_EQ(count("SELECT count(*) FROM runs"), 1);
    EXPECT_EQ(count("SELECT count(*) FROM samples"), 3);
    EXPECT_EQ(count("SELECT min(id) FROM samples"), first_sample); // kept, not measured again
    EXPECT_EQ(count("SELECT count(*) FROM requests"), 3 * 40);     // the killed repetition's were never stored
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE status = 'ok'"), 3);
}

// A server whose /v1/models is hostile (data[0] a string, or null) and whose answers are malformed: the sweep fails
// those requests and points with the reason, and goes on; the same command then finds the sweep complete.
TEST_F(ServerRunTest, AHostileServerFailsItsPointsNotTheSweep) {
    for (const char* models : {R"({"data":["a string"]})", R"({"data":[null]})",
                               R"({"data":[{"meta":{"n_vocab":4611686018427387904}}]})"}) {
        SseStub stub({.gap_ms = 1,
                      .events = {R"({"content":" w","tokens":[1],"stop":false})",
                                 R"({"content":"","tokens":[],"stop":"yes"})"},
                      .models_body = models});
        fs::remove(db_path());
        const auto r = run_llmsweep("run --mode server --url " + stub.url() + " -m x -p 8 -n 4 -r 1 " +
                                    "--concurrency 1,2 --requests 2 -q" + db_arg());
        EXPECT_EQ(r.exit_code, 0) << models << ": " << r.err;
        EXPECT_EQ(count("SELECT count(*) FROM results WHERE status = 'failed' AND error LIKE '%stop is \"yes\"%'"), 2)
            << models << ": " << text("SELECT group_concat(error) FROM results");
        EXPECT_EQ(count("SELECT count(*) FROM runs WHERE status = 'finished'"), 1) << models;
    }
}

TEST_F(ServerRunTest, SweepsAServerSomebodyElseStarted) {
    SseStub stub({.first_ms = 25, .gap_ms = 10, .tokens = 4, .openai = true});
    const double before = wake_delay_ms();
    const auto r = run_llmsweep("run --mode server --url " + stub.url() +
                                " --api openai -m engine-x -p 8 -n 4 -r 2 --concurrency 2 --requests 4 -q" + db_arg());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE model_filename = 'engine-x' AND status = 'ok'"), 1);
    EXPECT_EQ(count("SELECT count(*) FROM requests WHERE status = 'ok' AND tokens_out = 4"), 8);
    // Its first tokens, as the stub wrote them (25 ms after each request): never before, and within 10 ms but for
    // the machine's delay in waking a thread (the millisecond is the in-process tests' to check,
    // expect_within_a_millisecond: with every core busy a process of its own is woken several milliseconds late).
    const double late = 2 * machine_delay_ms(stub.served(), before);
    EXPECT_EQ(count(fmt::format("SELECT count(*) FROM requests WHERE ttft_ms BETWEEN 25 AND {}", 35 + late)), 8)
        << "TTFTs " << text("SELECT group_concat(round(ttft_ms, 2), ' ') FROM requests");
    EXPECT_EQ(count("SELECT count(*) FROM loads WHERE server_command IS NULL"), 2);
    // Somebody else's server is neither llmsweep's llama.cpp nor known: its run says so.
    EXPECT_EQ(text("SELECT engine || ' ' || build_commit FROM runs"), "external unknown");
}

// The report of a server sweep beside a native one: the serving section's loads with the stored requests'
// counts, goodput under the objective, the charts as images, and one client on the server against native tg.
TEST_F(ServerRunTest, TheReportShowsEveryLoadAndWhatServingCostsOneStream) {
    ASSERT_EQ(run_llmsweep("run -m " + served() + " -p 16 -n 8 -r 3 -t 1 -q" + db_arg()).exit_code, 0);
    const auto r = run_llmsweep("run -m " + served() +
                                " --mode server -np 1,2 --concurrency 1,2,4 -p 16 -n 8 -r 3 -t 1 --requests 8 -q "
                                "--slo ttft=10s" +
                                db_arg());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const std::string lang : {"en", "zh"}) {
        const fs::path out = dir_ / ("report-" + lang);
        const auto report = run_llmsweep("report --compare parallel --where mode=server --lang " + lang + " --out " +
                                         shell_quote(out) + db_arg());
        ASSERT_EQ(report.exit_code, 0) << report.err;
        const std::string md = test::read_file(out / "report.md");
        EXPECT_NE(md.find(lang == "en" ? "## Serving" : "## 服务性能"), std::string::npos);
        EXPECT_EQ(test::report_text_defects(md), std::vector<std::string>{}) << lang;
        // Each load's row: 8 requests x 3 repetitions, none failed, all within the 10 s objective.
        for (const char* np : {"1", "2"})
            for (const char* clients : {"1", "2", "4"}) {
                const std::string row = fmt::format("| served.gguf | {} | {} {} | 24 | 0 |", np, clients,
                                                    lang == "zh"                       ? "个客户端"
                                                    : std::string_view(clients) == "1" ? "client"
                                                                                       : "clients");
                EXPECT_NE(md.find(row), std::string::npos) << row << "\n" << md;
            }
        for (const char* chart : {"serving_served.gguf_throughput_concurrency.png",
                                  "serving_served.gguf_ttft_concurrency.png", "serving_served.gguf_pareto.png"}) {
            EXPECT_NE(md.find(chart), std::string::npos) << chart;
            EXPECT_GT(fs::file_size(out / chart), 5000u) << chart;
        }
        const auto json = nlohmann::json::parse(test::read_file(out / "report.json"));
        const auto& serving = json.at("serving");
        ASSERT_EQ(serving.at("points").size(), 6u);
        for (const auto& p : serving["points"]) {
            EXPECT_EQ(p["slo_met"], 1.0);
            EXPECT_NEAR(p["goodput"].get<double>(), p["request_rate"].get<double>(), 1e-9);
            EXPECT_GT(p["ttft_p99_ms"].get<double>(), 0);
        }
        // The highest load met: the heaviest, for each slot count.
        ASSERT_EQ(serving.at("capacities").size(), 2u);
        for (const auto& c : serving["capacities"]) EXPECT_EQ(c["highest_load"], 4);
        // --where mode=server leaves the native results out: no single-stream comparison.
        EXPECT_TRUE(serving.at("single_stream").empty());
    }
    // The whole database: one client of each slot count against the native tg of the same settings.
    const fs::path out = dir_ / "report-all";
    ASSERT_EQ(run_llmsweep("report --compare parallel --format json --no-charts --out " + shell_quote(out) + db_arg())
                  .exit_code,
              0);
    const auto json = nlohmann::json::parse(test::read_file(out / "report.json"));
    const auto& single = json.at("serving").at("single_stream");
    ASSERT_EQ(single.size(), 2u) << single.dump(2);
    for (const auto& c : single) {
        EXPECT_EQ(c["native_mode"], "request");
        EXPECT_EQ(c["server_repetitions"], 3);
        EXPECT_EQ(c["native_repetitions"], 3);
        EXPECT_NEAR(c["difference_pct"].get<double>(),
                    100 * (c["server_tps"].get<double>() / c["native_tps"].get<double>() - 1), 1e-6);
        EXPECT_LE(c["low_pct"].get<double>(), c["difference_pct"].get<double>());
        EXPECT_GE(c["high_pct"].get<double>(), c["difference_pct"].get<double>());
    }
    // The requests as stored: 2 slot counts x 3 loads x 3 repetitions x 8.
    EXPECT_EQ(count("SELECT count(*) FROM requests"), 144);
}

TEST_F(ServerRunTest, RefusesWhatServerModeCannotMean) {
    expect_usage_error(run_llmsweep("run -m " + served() + " --concurrency 4" + db_arg()), "--mode server");
    expect_usage_error(run_llmsweep("run -m " + served() + " --mode server -d 64" + db_arg()), "--n-depth");
    expect_usage_error(run_llmsweep("run -m " + served() + " --mode server --shared-prefix 8 -p 8" + db_arg()),
                       "--shared-prefix");
    expect_usage_error(run_llmsweep("run --mode server --url http://127.0.0.1:1 -np 4" + db_arg()), "already running");
    expect_usage_error(run_llmsweep("run -m " + served() + " --mode server --slo ttft=fast" + db_arg()), "--slo");
    expect_usage_error(run_llmsweep("run -m " + served() + " --mode server --prompt-dist normal:4" + db_arg()),
                       "uniform:LO-HI");
}

} // namespace
} // namespace llmsweep
