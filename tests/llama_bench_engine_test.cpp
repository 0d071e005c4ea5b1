// `llmsweep run --engine llama-bench` on the real llama-bench built from the same llama.cpp source: what is
// stored, every setting it passes, failures, resume, and docs/llama-bench-options.md against its --help.

#include "run_fixture.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <signal.h>
#include <sstream>
#include <sys/wait.h>

namespace llmsweep {
namespace {

// docs/llama-bench-options.md has a row for every option the pinned llama-bench offers.
TEST_F(LlamaBenchEngineTest, TheOptionsTableMissesNoOption) {
    const auto help = run_shell(shell_quote(LLMSWEEP_LLAMA_BENCH) + " --help");
    const std::string doc = test::read_file(fs::path(LLMSWEEP_SOURCE_DIR) / "docs" / "llama-bench-options.md");
    std::istringstream lines(help.out + help.err);
    size_t options = 0;
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("  -", 0) != 0) continue;
        std::string flag = line.substr(2, line.find_first_of(" ,", 2) - 2);
        ++options;
        EXPECT_NE(doc.find("`" + flag), std::string::npos) << flag << " has no row";
    }
    EXPECT_GT(options, 40u) << "llama-bench --help as parsed: " << help.out;
}

TEST_F(LlamaBenchEngineTest, ABareNameIsFoundOnPath) {
    const std::string folder = fs::path(LLMSWEEP_LLAMA_BENCH).parent_path().string();
    const std::string name = fs::path(LLMSWEEP_LLAMA_BENCH).filename().string();
    const auto r = run_shell("PATH=" + shell_quote(folder) + ":\"$PATH\" " + shell_quote(LLMSWEEP_BINARY) + " run -m " +
                             model() + engine(name) + "-p 8 -n 0 -t 1 -r 1 -q" + db_arg());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE status = 'ok'"), 1);
}

TEST_F(LlamaBenchEngineTest, StoresEveryPlannedRowWithLlamaBenchsBuild) {
    const auto r = run_llmsweep("run -m " + model() + engine() + "--mmap 0,1 -p 8,16 -n 4 -t 1 -r 2 -q" + db_arg());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // 2 load modes x (pp8, pp16, tg4), 2 repetitions each, as the native engine would store them.
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE status = 'ok' AND repetitions = 2 AND avg_ts > 0"), 6);
    EXPECT_EQ(count("SELECT count(*) FROM samples WHERE ns > 0 AND load_id IS NOT NULL"), 12);
    // Rounds: one llama-bench per load group and round, running the group's three tests.
    EXPECT_EQ(count("SELECT count(*) FROM loads WHERE status = 'ok' AND rss_peak_bytes > 0 AND load_ms IS NULL"), 4);
    EXPECT_EQ(text("SELECT engine FROM runs"), "llama-bench");
    const std::string commit = text("SELECT build_commit FROM runs");
    EXPECT_EQ(commit.size(), 7u) << "llama-bench's own build, not '" << commit << "'";
    EXPECT_EQ(text("SELECT group_concat(DISTINCT model_type) FROM results"), "llama ?B Q8_0");
    EXPECT_EQ(count("SELECT count(*) FROM llama_bench WHERE build_commit = '" + commit + "'"), 6);
    // The same command again finds the sweep finished.
    const auto again = run_llmsweep("run -m " + model() + engine() + "--mmap 0,1 -p 8,16 -n 4 -t 1 -r 2" + db_arg());
    EXPECT_NE(again.out.find("already complete"), std::string::npos) << again.out;
}

// Two builds compared with real replication: --llama-bench A,B sweeps the binaries like a load setting, each round
// running each once in a random order, so that the rounds are the blocks of their comparison. The same binary
// under two paths stands for two builds: each result keeps its binary and its build.
TEST_F(LlamaBenchEngineTest, SeveralBinariesAreInterleavedInRoundsAndComparedByRound) {
    const fs::path a = dir_ / "a" / "llama-bench", b = dir_ / "b" / "llama-bench";
    for (const auto& copy : {a, b}) {
        fs::create_directories(copy.parent_path());
        fs::copy_file(LLMSWEEP_LLAMA_BENCH, copy);
        // llama-bench finds its shared libraries beside the original.
        for (const auto& entry : fs::directory_iterator(fs::path(LLMSWEEP_LLAMA_BENCH).parent_path()))
            if (entry.path().extension() == ".so" || entry.path().string().find(".so.") != std::string::npos)
                fs::copy(entry.path(), copy.parent_path() / entry.path().filename(), fs::copy_options::skip_existing);
    }
    const std::string binaries = shell_quote(a) + "," + shell_quote(b);
    const auto r = run_llmsweep("run -m " + model() + " --engine llama-bench --mode split --llama-bench " + binaries +
                                " -p 8 -n 4 -t 1 -r 3 -q" + db_arg());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(count("SELECT count(*) FROM runs"), 1);
    EXPECT_EQ(count("SELECT count(DISTINCT llama_bench) FROM results WHERE status = 'ok'"), 2);
    EXPECT_EQ(
        count("SELECT count(*) FROM results WHERE status = 'ok' AND repetitions = 3 AND length(build_commit) = 7"), 4);
    // One llama-bench process per binary and round: 6 visits.
    EXPECT_EQ(count("SELECT count(*) FROM loads WHERE status = 'ok'"), 6);
    EXPECT_EQ(count("SELECT count(DISTINCT round) FROM loads"), 3);

    const fs::path out = dir_ / "report";
    const auto report = run_llmsweep("report --format json --no-charts --out " + shell_quote(out) + db_arg());
    ASSERT_EQ(report.exit_code, 0) << report.err;
    const auto json = nlohmann::json::parse(test::read_file(out / "report.json"));
    EXPECT_EQ(json.at("compare"), "llama_bench") << "the binaries: their builds share a commit";
    ASSERT_EQ(json.at("comparisons").size(), 2u); // pp and tg
    for (const auto& c : json["comparisons"]) {
        EXPECT_EQ(c.at("design"), "within runs") << c.dump();
        EXPECT_EQ(c.at("replicates_are"), "blocks") << c.dump();
        EXPECT_EQ(c.at("blocks"), 3) << "a block per round";
    }
}

// The settings llama-bench takes besides the points' (-pg, -nkvo, -C, ...), and any other argument handed on:
// each reaches the real llama-bench, whose output pairs with the points.
TEST_F(LlamaBenchEngineTest, PassesEveryLlamaBenchSettingItHas) {
    const auto r =
        run_llmsweep("run -m " + model() + engine() + "-p 8 -n 4 -pg 8,4 -nkvo 1 -embd 1 -C 0x1 " +
                     "--poll 0 -nopo 1 -sm none -lzm on -dev none -ts 1 -ot 'blk\\.0\\.=CPU' -fitt 512 -fitc 64 " +
                     "--numa distribute --delay 1 --llama-bench-arg=--progress -t 1 -r 1 -q" + db_arg());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // Each row is llama-bench's own report of a test: it ran them with these settings.
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE status = 'ok' AND no_kv_offload = 1 AND embeddings = 1 AND "
                    "cpu_mask = '0x1' AND poll = 0 AND no_op_offload = 1 AND split_mode = 'none' AND "
                    "lazy_mode = 'on' AND devices = 'none' AND tensor_split = '1.00' AND "
                    "override_tensor = 'blk\\.0\\.=CPU' AND fit_target = 512 AND fit_min_ctx = 64"),
              3);
    EXPECT_NE(text("SELECT spec_json FROM runs").find(R"("numa":"distribute")"), std::string::npos);
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE metric = 'pg'"), 1);
    EXPECT_NE(text("SELECT spec_json FROM runs").find(R"("llama_bench_args":["--progress"])"), std::string::npos);
}

TEST_F(LlamaBenchEngineTest, ColdLoadsEvictTheModelBeforeLlamaBenchStarts) {
    const auto r = run_llmsweep("run -m " + model() + engine() + "--cache cold,warm -p 8 -n 4 -t 1 -r 1 -q" + db_arg());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    expect_one_cold_and_one_warm_load();
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE status = 'ok'"), 4);
}

TEST_F(LlamaBenchEngineTest, APointLlamaBenchRefusesFailsAloneWithItsError) {
    // A quantized V cache without flash attention: llama-bench cannot create that context and exits.
    const auto r =
        run_llmsweep("run -m " + model() + engine() + "-p 8 -n 4 -t 1 -r 2 --ctv f16,q4_0 --fa off -q" + db_arg());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE type_v = 'f16' AND status = 'ok' AND repetitions = 2"), 2);
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE type_v = 'q4_0' AND status = 'failed' "
                    "AND error LIKE 'llama-bench exited with code 1: %failed to create context%'"),
              2);
}

TEST_F(LlamaBenchEngineTest, ACrashingLlamaBenchCostsOnlyItsPoint) {
    // The real llama-bench, but one that dies of SIGSEGV whenever it is asked for pp16.
    const fs::path wrapper = dir_ / "llama-bench";
    std::ofstream(wrapper) << "#!/bin/sh\ncase \" $* \" in *\" -p 16 \"*|*\" -p 8,16 \"*) kill -SEGV $$ ;; esac\n"
                           << "exec " << shell_quote(LLMSWEEP_LLAMA_BENCH) << " \"$@\"\n";
    fs::permissions(wrapper, fs::perms::owner_all);
    const auto r =
        run_llmsweep("run -m " + model() + engine(wrapper.string()) + "-p 8,16 -n 4 -t 1 -r 2 -q" + db_arg());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE status = 'ok' AND repetitions = 2"), 2);
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE n_prompt = 16 AND status = 'crashed' "
                    "AND error LIKE 'llama-bench killed by signal 11%'"),
              1);
}

TEST_F(LlamaBenchEngineTest, ResumesAfterSigkillWithEveryPointExactlyOnce) {
    const std::string command =
        shell_quote(LLMSWEEP_BINARY) + " run -m " + model() + engine() + "-p 8-64+8 -n 4,8 -t 1 -r 5" + db_arg();
    // 8 pp and 2 tg points, 5 repetitions: killed after 1 and 12 more stored measurements, then finished. (With
    // 3, a busy machine's late reader of the output let a run store all 30 before its kill landed.)
    for (int lines : {1, 12}) EXPECT_EQ(kill_after(command, lines), 137) << "the run ended before it could be killed";
    EXPECT_LT(count("SELECT count(*) FROM samples"), 50);
    const auto finish = run_shell(command + " 2>&1");
    ASSERT_EQ(finish.exit_code, 0) << finish.out;
    EXPECT_NE(finish.out.find("resuming run 1"), std::string::npos) << finish.out;
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE status = 'ok' AND repetitions = 5"), 10);
    EXPECT_EQ(count("SELECT count(*) FROM samples"), 50);
    EXPECT_EQ(count("SELECT count(*) FROM (SELECT result_id FROM samples GROUP BY result_id "
                    "HAVING count(*) = 5 AND min(repetition) = 0 AND max(repetition) = 4)"),
              10);
}

TEST_F(LlamaBenchEngineTest, DryRunShowsTheFirstLlamaBenchCommand) {
    const auto r =
        run_llmsweep("run -m " + model() + engine() + "-p 8,16 -n 4 -t 1 -r 3 --order grouped --dry-run" + db_arg());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("the first llama-bench: " + std::string(LLMSWEEP_LLAMA_BENCH) + " -m "), std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find(" -o jsonl -r 3 -lm auto -p 8,16 -n 4 -d 0 -ngl -1 -t 1 "), std::string::npos) << r.out;
    EXPECT_FALSE(fs::exists(db_path()));
}

TEST_F(LlamaBenchEngineTest, BadInputFailsBeforeAnyBenchmark) {
    const std::string base = "run -m " + model() + db_arg() + " -p 8 -n 4 ";
    expect_usage_error(run_llmsweep(base + "--engine llama-bench --mode split"), "--llama-bench");
    expect_usage_error(run_llmsweep(base + "--engine llama-bench --llama-bench " + shell_quote(LLMSWEEP_LLAMA_BENCH)),
                       "--mode split");
    expect_usage_error(run_llmsweep(base + engine() + "--warmup 3"), "--warmup 3");
    expect_usage_error(run_llmsweep(base + engine() + "-nr 0,1"), "-nr (no_repack) is not an option of llama-bench");
    expect_usage_error(run_llmsweep(base + engine("/bin/true")), "not a llama-bench");
    expect_usage_error(run_llmsweep(base + engine("/nonexistent/llama-bench")), "cannot be started");
    expect_usage_error(run_llmsweep(base + "--llama-bench " + shell_quote(LLMSWEEP_LLAMA_BENCH)),
                       "--engine llama-bench");
    EXPECT_FALSE(fs::exists(db_path())) << "nothing may be written before the spec is valid";
}

TEST_F(LlamaBenchEngineTest, ReportComparesTheTwoEnginesOnMatchedPoints) {
    const std::string sweep = " -p 8,16,24,32,40,48 -n 0 -t 1 -r 2 -q --mode split" + db_arg();
    ASSERT_EQ(run_llmsweep("run -m " + model() + sweep).exit_code, 0);
    ASSERT_EQ(run_llmsweep("run -m " + model() + sweep + " --engine llama-bench --llama-bench " +
                           shell_quote(LLMSWEEP_LLAMA_BENCH))
                  .exit_code,
              0);
    const auto r =
        run_llmsweep("report --compare engine --format json --no-charts --out " + shell_quote(dir_ / "r") + db_arg());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto report = nlohmann::json::parse(test::read_file(dir_ / "r" / "report.json"));
    ASSERT_EQ(report.at("comparisons").size(), 1u) << report.dump(2);
    const auto& c = report["comparisons"][0];
    EXPECT_EQ(c.at("baseline"), "llama-bench") << "the reference llmsweep is held to";
    EXPECT_EQ(c.at("value"), "native");
    EXPECT_EQ(c.at("pairs"), 6) << "every pp point of one engine pairs with the other's";
    EXPECT_EQ(c.at("unpaired"), 0);
}

// llama-bench and llmsweep at their defaults measure the same points: llama-bench's file, imported, pairs point for
// point with a split-mode sweep. -ngl 99 and --load-mode mmap, which on this model and build mean what -ngl -1 and
// auto mean, pair too, on the values they came to, and the report says so.
TEST_F(LlamaBenchEngineTest, ImportedDefaultsPairWithASweepAtLlmsweepsDefaults) {
    const std::string file = shell_quote(dir_ / "defaults.jsonl");
    ASSERT_EQ(run_shell(shell_quote(LLMSWEEP_LLAMA_BENCH) + " -m " + model() + " -o jsonl > " + file + " 2>/dev/null")
                  .exit_code,
              0);
    const auto pairs_with_import = [&](const std::string& sweep, const std::string& db) {
        const std::string at = " --db " + shell_quote(dir_ / db);
        EXPECT_EQ(run_llmsweep("run -m " + model() + " --mode split -q" + sweep + at).exit_code, 0);
        EXPECT_EQ(run_llmsweep("import " + file + at).exit_code, 0);
        const fs::path out = dir_ / (db + "-report");
        const auto r = run_llmsweep("report --compare engine --format json,md --no-charts --lang en --out " +
                                    shell_quote(out) + at);
        EXPECT_EQ(r.exit_code, 0) << r.err;
        const auto report = nlohmann::json::parse(test::read_file(out / "report.json"));
        EXPECT_EQ(report.at("comparisons").size(), 2u) << "pp and tg";
        for (const auto& c : report.at("comparisons")) {
            EXPECT_EQ(c.at("pairs"), 1) << c.dump();
            EXPECT_EQ(c.at("unpaired"), 0) << c.dump();
        }
        return test::read_file(out / "report.md");
    };
    const std::string at_defaults = pairs_with_import("", "defaults.db");
    EXPECT_EQ(at_defaults.find("n_gpu_layers 99 →"), std::string::npos);
    const std::string respelled = pairs_with_import(" -ngl 99 --load-mode mmap", "respelled.db");
    EXPECT_NE(respelled.find("are paired on what they came to"), std::string::npos) << respelled;
    EXPECT_NE(respelled.find("- n_gpu_layers 99 → -1 (all layers)"), std::string::npos) << respelled;
    EXPECT_NE(respelled.find("- load_mode auto → mmap"), std::string::npos) << respelled;
}

} // namespace
} // namespace llmsweep
