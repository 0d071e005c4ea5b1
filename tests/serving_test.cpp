// `run --mode server` on the real llama-server with the synthetic tiny model: concurrency, a rate, a server that
// does not start, one killed mid-point, Ctrl-C and kill -9 of llmsweep, a server started by somebody else, a
// hostile one, and the report. The client alone, against a stub: serving_client_test.cpp.

#include "run_fixture.hpp"
#include "sse_stub.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <future>

namespace llmsweep {
namespace {

using test::machine_delay_ms;
using test::SseStub;
using test::wake_delay_ms;

// `run --mode server` with the real llama-server.
class ServerRunTest : public RunTest {
protected:
    void SetUp() override {
        // A model file of this test's own: the processes that use it are this test's.
        fs::copy_file(*models_ / "tiny.gguf", dir_ / "served.gguf");
        // The servers' logs that a sweep with a failed point keeps go to this test's folder, not the host's /tmp
        // (each test is a process of its own: its environment is the test's alone).
        fs::create_directories(dir_ / "tmp");
        setenv("TMPDIR", (dir_ / "tmp").c_str(), 1);
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
    // The sweep's one point failed: nothing was measured, which is the exit status 1, in llama-server's words, after
    // the line that names the logs kept.
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("llama-server's logs are kept in " + (dir_ / "tmp").string()), std::string::npos) << r.err;
    const std::string last = r.err.substr(r.err.rfind('\n', r.err.size() - 2) + 1);
    EXPECT_EQ(last.rfind("llmsweep: error: nothing was measured", 0), 0u) << r.err;
    EXPECT_NE(last.find("--no-such-flag"), std::string::npos) << r.err;
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
    const std::string sweep = "TMPDIR=" + shell_quote(tmp) + " " + shell_quote(LLMSWEEP_BINARY) + " run -m " +
                              served() + " --mode server -p 8 -n 4 -r 1 --requests 2 -q";
    auto r = run_shell(sweep + db_arg());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(folders().empty()) << "removed after a sweep that measured every point";
    r = run_shell(sweep + " --llama-server-arg=--no-such-flag --db " + shell_quote(dir_ / "failed.db"));
    ASSERT_EQ(r.exit_code, 1) << r.err; // nothing measured
    const auto kept = folders();
    ASSERT_EQ(kept.size(), 1u);
    EXPECT_EQ(fs::status(kept[0]).permissions() & fs::perms::all, fs::perms::owner_all);
    EXPECT_NE(r.err.find(kept[0].string()), std::string::npos) << "named: " << r.err;
    ASSERT_FALSE(fs::is_empty(kept[0]));
    for (const auto& log : fs::directory_iterator(kept[0]))
        EXPECT_EQ(fs::status(log.path()).permissions() & fs::perms::all,
                  fs::perms::owner_read | fs::perms::owner_write);
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
// those requests and points with the reason, and goes on to the end (a finished run, every point stored), which,
// having measured nothing, exits with status 1.
TEST_F(ServerRunTest, AHostileServerFailsItsPointsNotTheSweep) {
    for (const char* models :
         {R"({"data":["a string"]})", R"({"data":[null]})", R"({"data":[{"meta":{"n_vocab":4611686018427387904}}]})"}) {
        SseStub stub(
            {.gap_ms = 1,
             .events = {R"({"content":" w","tokens":[1],"stop":false})", R"({"content":"","tokens":[],"stop":"yes"})"},
             .models_body = models});
        fs::remove(db_path());
        const auto r = run_llmsweep("run --mode server --url " + stub.url() + " -m x -p 8 -n 4 -r 1 " +
                                    "--concurrency 1,2 --requests 2 -q" + db_arg());
        EXPECT_EQ(r.exit_code, 1) << models << ": " << r.err;
        EXPECT_NE(r.err.find("nothing was measured"), std::string::npos) << models << ": " << r.err;
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
    // expect_within_a_millisecond: with every core busy a process of its own is woken several milliseconds late),
    // and for the stub's own delay in starting to read a request it had accepted, which its first token waits for.
    const auto served = stub.served();
    double slowest_start_ms = 0;
    for (const auto& s : served)
        slowest_start_ms =
            std::max(slowest_start_ms, std::chrono::duration<double, std::milli>(s.received - s.accepted).count());
    const double late = 2 * machine_delay_ms(served, before) + slowest_start_ms;
    EXPECT_EQ(count(fmt::format("SELECT count(*) FROM requests WHERE ttft_ms BETWEEN 25 AND {}", 35 + late)), 8)
        << "TTFTs " << text("SELECT group_concat(round(ttft_ms, 2), ' ') FROM requests") << "; allowed 25 to "
        << 35 + late << " ms (the machine's delay " << before << " ms before the run, the stub's slowest start "
        << slowest_start_ms << " ms)";
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
