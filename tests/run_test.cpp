// End-to-end tests of `llmsweep run` with real llama.cpp workers on the synthetic tiny model: what is stored,
// resuming after SIGKILL, failing workers, and bad input.

#include "engine/memory_map.hpp"
#include "run_fixture.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <signal.h>
#include <sstream>
#include <sys/wait.h>
#include <tuple>
#include <unistd.h>

namespace llmsweep {
namespace {

TEST_F(RunTest, RequestModeStoresEveryPlannedRow) {
    const auto r = run_llmsweep("run -m " + model() + " --mmap 0,1 -p 8,16 -n 4 -r 2 -q" + db_arg());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // 2 load modes x 2 prompts x 1 gen = 4 points, each with a pp and a tg result of 2 repetitions.
    EXPECT_EQ(count("SELECT count(*) FROM results"), 8);
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE status = 'ok' AND repetitions = 2 AND avg_ts > 0"), 8);
    EXPECT_EQ(count("SELECT count(*) FROM samples"), 16);
    // Rounds: each load group is loaded once per round.
    EXPECT_EQ(count("SELECT count(*) FROM loads WHERE status = 'ok' AND load_ms > 0 AND rss_peak_bytes > 0"), 4);
    EXPECT_EQ(count("SELECT count(DISTINCT round) FROM loads"), 2);
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE metric = 'tg' AND ttft_ms > 0 AND itl_p99_ms >= itl_p50_ms"),
              4);
    EXPECT_EQ(count("SELECT count(*) FROM runs WHERE status = 'finished' AND sweep_order = 'rounds' AND seed = 1"), 1);
    EXPECT_EQ(count("SELECT count(DISTINCT load_mode) FROM results"), 2);
    EXPECT_EQ(count("SELECT count(*) FROM llama_bench"), 8);
    const auto plan = nlohmann::json::parse(text("SELECT plan_json FROM runs"));
    EXPECT_EQ(plan.size(), 4u); // visits
    // Where the time went: the timed part is the samples' own, and the parts add up to no more than the whole.
    EXPECT_EQ(count("SELECT count(*) FROM runs WHERE timed_s > 0 AND load_s > 0 AND untimed_s > 0 AND "
                    "abs(timed_s - (SELECT sum(ns) FROM samples) / 1e9) < 1e-6 AND "
                    "wall_s >= timed_s + load_s + untimed_s + process_s + machine_s"),
              1)
        << text("SELECT json_array(wall_s, timed_s, load_s, untimed_s, process_s, machine_s) FROM runs");
    EXPECT_NE(r.out.find("% of it timed"), std::string::npos) << r.out;
}

TEST_F(RunTest, EachLoadRecordsHowItsMemoryIsMapped) {
    const auto r = run_llmsweep("run -m " + model() + " --mmap 0,1 -p 8 -n 2 -r 1 -q" + db_arg());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // On a failure, the loads as stored: what was measured, not only that a count differs.
    SCOPED_TRACE(text("SELECT group_concat(load_mode || ': anon peak ' || rss_anon_peak_kb || ' KiB, file peak ' || "
                      "rss_file_peak_kb || ' KiB, resident before/after ' || ifnull(resident_before_bytes, 'NULL') || "
                      "'/' || ifnull(resident_after_bytes, 'NULL') || ' of ' || model_bytes || ', thp ' || "
                      "ifnull(thp_mode, 'NULL') || ', buffers ' || ifnull(model_buffers, 'NULL'), '; ') FROM loads"));
    EXPECT_EQ(count("SELECT count(*) FROM loads"), 2);
    EXPECT_EQ(count("SELECT count(*) FROM loads WHERE anon_after_load_kb >= 0 AND anon_huge_after_load_kb >= 0 "
                    "AND file_pmd_after_load_kb >= 0 AND rss_at_end_kb > 0 AND anon_at_end_kb >= 0"),
              2);
    // The peak split: a mapped model is file-backed memory, a model read into buffers anonymous; the file
    // stays in the page cache (warm) before and after, but for a page the kernel's proactive reclaim may take
    // during the visit (DAMON's took the last one of a model read without mmap once, with every core busy).
    EXPECT_EQ(count(fmt::format("SELECT count(*) FROM loads WHERE rss_anon_peak_kb > 0 AND rss_file_peak_kb > 0 "
                                "AND resident_after_bytes BETWEEN model_bytes - {} AND model_bytes AND "
                                "resident_before_bytes = model_bytes",
                                sysconf(_SC_PAGESIZE))),
              2);
    EXPECT_GT(count("SELECT (SELECT rss_anon_peak_kb FROM loads WHERE load_mode = 'none') - "
                    "(SELECT rss_anon_peak_kb FROM loads WHERE load_mode = 'mmap')"),
              0)
        << "reading the model into buffers takes anonymous memory";
    // Where llama.cpp put the weights: the mapped file with mmap, buffers it read them into without.
    EXPECT_EQ(count("SELECT count(*) FROM loads WHERE load_mode = 'mmap' AND model_buffers LIKE 'CPU_Mapped %'"), 1);
    EXPECT_EQ(count("SELECT count(*) FROM loads WHERE load_mode = 'none' AND model_buffers LIKE 'CPU %'"), 1);
    const std::string mode = engine::transparent_huge_pages_mode();
    if (!mode.empty()) EXPECT_EQ(count("SELECT count(*) FROM loads WHERE thp_mode = '" + mode + "'"), 2);
    const auto report = run_llmsweep("report --lang en --no-charts --db " + shell_quote(db_path()) + " --out " +
                                     shell_quote(dir_ / "report"));
    ASSERT_EQ(report.exit_code, 0) << report.err;
    const std::string md = test::read_file(dir_ / "report" / "report.md");
    EXPECT_NE(md.find("| File PMD MiB |"), std::string::npos) << md;
    EXPECT_NE(md.find("| Peak anonymous MiB | Peak file-backed MiB |"), std::string::npos) << md;
    EXPECT_NE(md.find("CPU_Mapped "), std::string::npos) << md;
}

TEST_F(RunTest, ReportOfARealSweepShowsLoadsAndLatencies) {
    ASSERT_EQ(run_llmsweep("run -m " + model() + " --mmap 0,1 -p 8,16 -n 4 -r 2 -q" + db_arg()).exit_code, 0);
    const auto r = run_llmsweep("report --lang en --out " + shell_quote(dir_ / "report") + db_arg());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string md = test::read_file(dir_ / "report" / "report.md");
    EXPECT_NE(md.find("# load_mode comparison report"), std::string::npos);
    // One row per load mode, each loaded once per round.
    EXPECT_NE(md.find("| tiny.gguf | mmap | warm | 2 |"), std::string::npos) << md;
    EXPECT_NE(md.find("| tiny.gguf | none | warm | 2 |"), std::string::npos) << md;
    EXPECT_NE(md.find("TTFT ms"), std::string::npos);
    EXPECT_NE(md.find("- Results: 8"), std::string::npos);
    EXPECT_NE(test::read_file(dir_ / "report" / "raw.csv").find("tiny.gguf,pp,ok,"), std::string::npos);
    // The headline leads with what a load setting changes most, before the throughput verdicts, and says what a
    // block is.
    const size_t glance = md.find("## At a glance"),
                 loads = md.find("tiny.gguf load_mode = mmap against none: load time");
    ASSERT_NE(loads, std::string::npos) << md;
    EXPECT_LT(glance, loads);
    EXPECT_NE(md.find("anonymous memory", loads), std::string::npos);
    EXPECT_LT(loads, md.find("a round (a block) visits every load group once"));
    EXPECT_EQ(test::report_text_defects(md), std::vector<std::string>{});
}

TEST_F(RunTest, SplitModeRunsLlamaBenchsTests) {
    const auto r = run_llmsweep("run -m " + model() + " -p 8,16 -n 4 -r 2 --mode split --order grouped" + db_arg());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE status = 'ok'"), 3);
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE metric = 'pp' AND n_gen = 0"), 2);
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE metric = 'tg' AND n_prompt = 0 AND ttft_ms IS NULL"), 1);
    EXPECT_EQ(count("SELECT count(*) FROM loads"), 1); // grouped: one load for the one group
    // The summary table is printed with ± and CV.
    EXPECT_NE(r.out.find("pp16"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(" ± "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("CV %"), std::string::npos) << r.out;
}

// Adaptive rounds with real workers: a precision no machine reaches takes every point to the limit, in added
// rounds (one worker load per group and round), the summary and the report say why the points stopped, and the
// same command finds the run complete.
TEST_F(RunTest, AdaptiveRoundsRunToTheLimitAndSayWhy) {
    const std::string args = "run -m " + model() + " --mmap 0,1 -p 8 -n 4 -r 2 --max-repetitions 4 " +
                             "--decide load_mode --margin 0.001 --target-ci 0.001 -t 1" + db_arg();
    const auto r = run_llmsweep(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("round 3: 2 of 2 points need another repetition"), std::string::npos) << r.err;
    EXPECT_NE(r.out.find("adaptive rounds, 2 to 4 repetitions: 4 results reached --max-repetitions unmet (4 "
                         "repetitions)"),
              std::string::npos)
        << r.out;
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE repetitions = 4 AND stop_reason = 'max_repetitions'"), 4);
    EXPECT_EQ(count("SELECT count(*) FROM loads WHERE status = 'ok'"), 8) << "one load per group and round";
    EXPECT_EQ(count("SELECT count(*) FROM runs WHERE max_repetitions = 4 AND decide = 'load_mode'"), 1);
    const auto again = run_llmsweep(args);
    EXPECT_NE(again.out.find("already complete"), std::string::npos) << again.out;
    const auto report = run_llmsweep("report --lang en --no-charts --out " + shell_quote(dir_ / "report") + db_arg());
    ASSERT_EQ(report.exit_code, 0) << report.err;
    const std::string md = test::read_file(dir_ / "report" / "report.md");
    EXPECT_NE(md.find("4 results reached the limit without meeting it (4 repetitions)"), std::string::npos) << md;
}

// Adaptive rounds asked of a sweep already stored with a fixed number of repetitions extend its run: its rounds are
// the first ones, and one run of one design is what the report judges.
// A sweep ends with the verdicts it was built for; an inconclusive one comes with the command whose rounds would
// decide it, and that command, run as printed, extends the same run.
TEST_F(RunTest, ASweepEndsWithItsVerdictsAndTheCommandThatDecides) {
    const auto r = run_llmsweep("run -m " + model() + " --mmap 0,1 -p 8,16 -n 4 -t 1 -r 2" + db_arg());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("load_mode: each value against none"), std::string::npos) << r.out;
    for (const char* metric : {" pp load_mode = mmap: ", " tg load_mode = mmap: "})
        EXPECT_NE(r.out.find(metric), std::string::npos) << r.out;
    const size_t decide = r.out.find("to decide, add rounds");
    if (decide == std::string::npos) return; // decided already: nothing to add
    const size_t begin = r.out.find("  llmsweep run ", decide), end = r.out.find('\n', begin);
    ASSERT_NE(begin, std::string::npos) << r.out;
    const std::string command = r.out.substr(begin + 11, end - begin - 11); // after "  llmsweep "
    EXPECT_NE(command.find("--max-repetitions "), std::string::npos) << command;
    EXPECT_NE(command.find("--decide load_mode"), std::string::npos) << command;
    const auto decided = run_llmsweep(command + " -q");
    ASSERT_EQ(decided.exit_code, 0) << command << "\n" << decided.err;
    EXPECT_EQ(count("SELECT count(*) FROM runs"), 1) << "the rounds extend the stored run";
    EXPECT_GT(count("SELECT max(repetition) FROM samples"), 1) << "at least a third round";
}

TEST_F(RunTest, AdaptiveRoundsExtendTheStoredRunOfTheSameSweep) {
    const std::string sweep = "run -m " + model() + " --mmap 0,1 -p 8 -n 4 -t 1 -q" + db_arg();
    ASSERT_EQ(run_llmsweep(sweep + " -r 2").exit_code, 0);
    const int64_t first_sample = count("SELECT min(id) FROM samples");
    // A precision no machine reaches: every point needs the added round.
    const auto r =
        run_llmsweep(sweep + " -r 2 --max-repetitions 3 --decide load_mode --margin 0.001 --target-ci 0.001");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(count("SELECT count(*) FROM runs"), 1);
    EXPECT_EQ(count("SELECT count(*) FROM runs WHERE max_repetitions = 3 AND decide = 'load_mode' AND "
                    "status = 'finished'"),
              1);
    EXPECT_EQ(count("SELECT min(id) FROM samples"), first_sample) << "the stored rounds are kept, not measured again";
    EXPECT_EQ(count("SELECT count(*) FROM samples WHERE repetition = 2"), 4) << "a third round for every point";
}

// Two runs of one sweep of different designs are not pooled silently: the report names them and the choices.
TEST_F(RunTest, RunsOfDifferentDesignsArePooledOnlyWhenAsked) {
    const std::string sweep = "run -m " + model() + " --mmap 0,1 -p 8 -n 4 -t 1 -q" + db_arg();
    ASSERT_EQ(run_llmsweep(sweep + " -r 2").exit_code, 0);
    ASSERT_EQ(run_llmsweep(sweep + " -r 3").exit_code, 0);
    const std::string report =
        "report --lang en --no-charts --format md --out " + shell_quote(dir_ / "report") + db_arg();
    auto r = run_llmsweep(report);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("runs of different designs"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("--run N"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("--pool-runs"), std::string::npos) << r.err;
    r = run_llmsweep(report + " --run 2");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(test::read_file(dir_ / "report" / "report.md").find("Runs used: 2."), std::string::npos);
    ASSERT_EQ(run_llmsweep(report + " --where run=1").exit_code, 0);
    EXPECT_NE(test::read_file(dir_ / "report" / "report.md").find("Runs used: 1."), std::string::npos);
    r = run_llmsweep(report + " --pool-runs");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(test::read_file(dir_ / "report" / "report.md").find("pool the rounds of runs 1, 2"), std::string::npos);
}

// A reader that goes away (`llmsweep run ... | head -1`) ends the output, not the sweep: it runs to its end, stored
// whole and finished, with exit code 0.
TEST_F(RunTest, AClosedPipeEndsTheOutputNotTheSweep) {
    const auto r =
        run_shell("{ " + shell_quote(LLMSWEEP_BINARY) + " run -m " + model() + " --mmap 0,1 -p 8 -n 4 -t 1 -r 2" +
                  db_arg() + " 2>&1; echo $? > " + shell_quote(dir_ / "status") + "; } | head -1");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.size(), r.out.find('\n') + 1) << "one line: " << r.out;
    EXPECT_EQ(test::read_file(dir_ / "status"), "0\n");
    EXPECT_EQ(text("SELECT status FROM runs"), "finished");
    EXPECT_EQ(count("SELECT count(*) FROM samples"), 2 * 2 * 2);
}

TEST_F(RunTest, SummaryListsEveryResultInTheSweptValuesOrder) {
    const auto r =
        run_shell("LLMSWEEP_TEST_FAULT=fail:8 " + shell_quote(LLMSWEEP_BINARY) + " run -m " + model() +
                  " --load-mode mmap,none -p 16,8 -n 4 -r 1 --mode split --order grouped" + db_arg() + " 2>/dev/null");
    ASSERT_EQ(r.exit_code, 0) << r.out;
    // Each row's load mode, test and status: load_mode is shown because it was swept, none before mmap;
    // pp tests by size before the tg test; the failed points listed with the others.
    std::vector<std::string> rows;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("| tiny.gguf", 0) != 0) continue;
        std::vector<std::string> cells;
        std::istringstream row(line);
        for (std::string cell; std::getline(row, cell, '|');) {
            cell.erase(0, cell.find_first_not_of(' '));
            cell.erase(cell.find_last_not_of(' ') + 1);
            cells.push_back(cell);
        }
        // "", model, size, params, backend, threads, load_mode, test, t/s, CV %, n, status: llama-bench's columns
        ASSERT_EQ(cells.size(), 12u) << line;
        EXPECT_TRUE(cells[2].ends_with(" MiB") && cells[3].ends_with(" M")) << line;
        EXPECT_NE(cells[4].find("CPU"), std::string::npos) << line;
        EXPECT_GT(std::atoi(cells[5].c_str()), 0) << line; // the threads, unswept: a column of llama-bench's
        rows.push_back(cells[6] + " " + cells[7] + " " + cells[11]);
    }
    EXPECT_EQ(rows, (std::vector<std::string>{"none pp8 failed", "none pp16 ok", "none tg4 ok", "mmap pp8 failed",
                                              "mmap pp16 ok", "mmap tg4 ok"}))
        << r.out;
}

TEST_F(RunTest, ResumesAfterSigkillWithEveryPointExactlyOnce) {
    const std::string command =
        shell_quote(LLMSWEEP_BINARY) + " run -m " + model() + " -p 8-64+8 -n 4,8 -r 6 -t 1 --timeout 60" + db_arg();
    // Long enough that the kills land mid-sweep on a fast machine too (96 measurements; the kills come after 28,
    // and the few more a busy machine stores before a kill lands).
    const size_t total = 8 * 2 * 6;
    // Kill the orchestrator with SIGKILL after 1, 7 and 20 more stored measurements, then let it finish.
    for (int lines : {1, 7, 20})
        EXPECT_EQ(kill_after(command, lines), 137) << "the run ended before it could be killed";
    EXPECT_LT(count("SELECT count(*) FROM samples"), static_cast<int64_t>(total * 2));
    const auto finish = run_shell(command + " 2>&1");
    ASSERT_EQ(finish.exit_code, 0) << finish.out;
    EXPECT_NE(finish.out.find("resuming run 1"), std::string::npos) << finish.out;

    EXPECT_EQ(count("SELECT count(*) FROM runs"), 1);
    EXPECT_EQ(text("SELECT status FROM runs"), "finished");
    EXPECT_EQ(count("SELECT count(*) FROM results"), 8 * 2 * 2);
    EXPECT_EQ(count("SELECT count(*) FROM (SELECT DISTINCT point_key, metric FROM results)"), 8 * 2 * 2);
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE status = 'ok' AND repetitions = 6"), 8 * 2 * 2);
    EXPECT_EQ(count("SELECT count(*) FROM samples"), static_cast<int64_t>(total * 2));
    EXPECT_EQ(count("SELECT count(*) FROM (SELECT result_id FROM samples GROUP BY result_id "
                    "HAVING count(*) = 6 AND min(repetition) = 0 AND max(repetition) = 5)"),
              8 * 2 * 2);
}

TEST_F(RunTest, CtrlCOrSigtermStopsCleanlyAndTheSameCommandFinishes) {
    // Each signal stops its own sweep (another spec) with the shell's code for it.
    for (const auto& [signal, code, first] :
         std::vector<std::tuple<std::string, int, int>>{{"INT", 130, 8}, {"TERM", 143, 16}}) {
        SCOPED_TRACE(signal);
        const std::string spec = fmt::format(" -p {}-{}+8 -n 4 -r 2 -t 1", first, first + 56);
        const std::string command = shell_quote(LLMSWEEP_BINARY) + " run -m " + model() + spec + db_arg();
        const auto r =
            run_shell(": >" + shell_quote(dir_ / "log") + "; " + command + " 2>" + shell_quote(dir_ / "log") +
                      " & pid=$!; " + "while [ $(grep -c '^\\[' " + shell_quote(dir_ / "log") +
                      ") -lt 3 ]; do kill -0 $pid 2>/dev/null || break; sleep 0.01; done; " + "kill -" + signal +
                      " $pid; wait $pid; rc=$?; cat " + shell_quote(dir_ / "log") + " >&2; exit $rc");
        EXPECT_EQ(r.exit_code, code) << r.err;
        EXPECT_NE(r.err.find("run the same command again"), std::string::npos) << r.err;
        EXPECT_EQ(text("SELECT status FROM runs ORDER BY id DESC LIMIT 1"), "interrupted");
        const int64_t stored = count("SELECT count(*) FROM samples JOIN results ON results.id = samples.result_id "
                                     "WHERE results.run_id = (SELECT max(id) FROM runs)");
        EXPECT_GE(stored, 3 * 2);
        const std::string wall = "SELECT wall_s * 1e6 FROM runs ORDER BY id DESC LIMIT 1";
        const int64_t interrupted_us = count(wall);
        EXPECT_GT(interrupted_us, 0) << "an interrupted run keeps where its time went";
        ASSERT_EQ(run_shell(command + " -q").exit_code, 0);
        EXPECT_GT(count(wall), interrupted_us) << "the resumed invocation's time is added";
        EXPECT_EQ(text("SELECT status FROM runs ORDER BY id DESC LIMIT 1"), "finished");
        EXPECT_EQ(count("SELECT count(*) FROM samples JOIN results ON results.id = samples.result_id "
                        "WHERE results.run_id = (SELECT max(id) FROM runs)"),
                  8 * 2 * 2);
    }
}

TEST_F(RunTest, AFinishedSpecIsNotRunTwiceUnlessFresh) {
    const std::string args = "run -m " + model() + " -p 8 -n 4 -r 1 -q" + db_arg();
    ASSERT_EQ(run_llmsweep(args).exit_code, 0);
    const auto again = run_llmsweep(args);
    EXPECT_EQ(again.exit_code, 0);
    EXPECT_NE(again.out.find("already complete"), std::string::npos) << again.out;
    EXPECT_EQ(count("SELECT count(*) FROM samples"), 2);
    ASSERT_EQ(run_llmsweep(args + " --fresh").exit_code, 0);
    EXPECT_EQ(count("SELECT count(*) FROM runs"), 2);
    EXPECT_EQ(count("SELECT count(*) FROM samples"), 4);
}

TEST_F(RunTest, CrashingWorkerCostsOnlyItsPoint) {
    const auto r = run_shell("LLMSWEEP_TEST_FAULT=crash:16 " + shell_quote(LLMSWEEP_BINARY) + " run -m " + model() +
                             " -p 8,16,24 -n 4 -r 2 -q" + db_arg());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE n_prompt = 16 AND status = 'crashed'"), 2);
    EXPECT_NE(text("SELECT error FROM results WHERE n_prompt = 16").find("signal 6"), std::string::npos);
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE n_prompt != 16 AND status = 'ok' AND repetitions = 2"), 4);
    EXPECT_EQ(text("SELECT status FROM runs"), "finished");
}

TEST_F(RunTest, HangingWorkerIsKilledAtItsTimeout) {
    const auto r = run_shell("LLMSWEEP_TEST_FAULT=hang:16 " + shell_quote(LLMSWEEP_BINARY) + " run -m " + model() +
                             " -p 8,16 -n 4 -r 1 -t 1 --timeout 3 -q" + db_arg());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE n_prompt = 16 AND status = 'timeout'"), 2);
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE n_prompt = 8 AND status = 'ok'"), 2);
}

TEST_F(RunTest, FailedPointIsRecordedWithItsReason) {
    const auto r = run_shell("LLMSWEEP_TEST_FAULT=fail:8 " + shell_quote(LLMSWEEP_BINARY) + " run -m " + model() +
                             " -p 8,16 -n 4 -r 2 -q" + db_arg());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE n_prompt = 8 AND status = 'failed' "
                    "AND error = 'injected failure'"),
              2);
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE n_prompt = 16 AND status = 'ok'"), 2);
    // The report lists the failed points with their reason.
    ASSERT_EQ(run_llmsweep("report --lang en --no-charts --out " + shell_quote(dir_ / "report") + db_arg()).exit_code,
              0);
    EXPECT_NE(test::read_file(dir_ / "report" / "report.md").find(": failed: injected failure"), std::string::npos);
    EXPECT_NE(test::read_file(dir_ / "report" / "raw.csv").find(",injected failure\r\n"), std::string::npos);
}

TEST_F(RunTest, StrictMakesFailedPointsAnErrorAfterTheSweepFinishes) {
    const auto r = run_shell("LLMSWEEP_TEST_FAULT=fail:8 " + shell_quote(LLMSWEEP_BINARY) + " run -m " + model() +
                             " -p 8,16 -n 4 -r 1 -q --strict" + db_arg());
    EXPECT_EQ(r.exit_code, 1);
    test::expect_one_line_error(r, "--strict");
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE n_prompt = 16 AND status = 'ok'"), 2);
    EXPECT_EQ(text("SELECT status FROM runs"), "finished");
    // Without failures --strict changes nothing.
    EXPECT_EQ(run_llmsweep("run -m " + model() + " -p 16 -n 4 -r 1 -q --strict --fresh" + db_arg()).exit_code, 0);
}

TEST_F(RunTest, ModelThatFailsToLoadFailsItsPointsAndTheSweepGoesOn) {
    std::ofstream(dir_ / "broken.gguf") << "GGUF" << std::string(64, '\x7f');
    const auto r = run_llmsweep("run -m " + shell_quote(dir_ / "broken.gguf") + " -m " + model() +
                                " -p 8 -n 4 -r 2 -q" + db_arg());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE model_filename LIKE '%broken.gguf' AND status = 'failed'"), 2);
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE model_filename LIKE '%tiny.gguf' AND status = 'ok'"), 2);
    EXPECT_EQ(count("SELECT count(*) FROM loads WHERE status = 'failed' AND error LIKE '%could not load%'"), 1)
        << "a broken model is loaded once, not once per round";
}

// A sweep that measured nothing at all (its one model cannot be loaded) has failed as a job: it finishes and stores
// every point with its reason, then exits with status 1 in one line that gives the first reason, so that
// `run && report` stops there. Run again, it finds the sweep complete and says the same. One point measured is
// enough for status 0 (ModelThatFailsToLoadFailsItsPointsAndTheSweepGoesOn).
TEST_F(RunTest, ASweepThatMeasuredNothingExitsWithStatusOneAndTheFirstReason) {
    std::ofstream(dir_ / "broken.gguf") << "GGUF" << std::string(64, '\x7f');
    const std::string sweep = "run -m " + shell_quote(dir_ / "broken.gguf") + " -p 8,16 -n 4 -r 2 -q" + db_arg();
    for (int time = 0; time < 2; ++time) {
        const auto r = run_llmsweep(sweep);
        test::expect_one_line_error(r, "nothing was measured: every point of run 1 failed (the first: load failed: ");
        EXPECT_EQ(r.exit_code, 1) << r.err;
        EXPECT_NE(r.err.find("could not load"), std::string::npos) << r.err;
        EXPECT_NE(r.err.find("`llmsweep report --db " + db_path().string() + "` lists each"), std::string::npos)
            << r.err;
        EXPECT_NE(r.out.find(time == 0 ? "0 measurements, 2 failed points" : "already complete"), std::string::npos)
            << r.out;
        EXPECT_EQ(text("SELECT status FROM runs"), "finished");
        EXPECT_EQ(count("SELECT count(*) FROM results WHERE status = 'failed' AND error LIKE '%could not load%'"), 4);
    }
}

TEST_F(RunTest, AFailedLoadInGroupedOrderCountsEachPointOnce) {
    std::ofstream(dir_ / "broken.gguf", std::ios::binary) << "GGUF\x03";
    const auto r = run_llmsweep("run -m " + shell_quote(dir_ / "broken.gguf") +
                                " -p 8,16,32 -n 2 -r 3 --order grouped" + db_arg());
    ASSERT_EQ(r.exit_code, 1) << r.err; // nothing was measured
    EXPECT_NE(r.out.find("0 measurements, 3 failed points"), std::string::npos) << r.out;
    // Progress lines count tasks: never more than the 9 planned, and all 9 by the end.
    std::istringstream lines(r.err);
    int last = 0;
    for (std::string line; std::getline(lines, line);) {
        int done = 0, total = 0;
        if (std::sscanf(line.c_str(), "[%d/%d]", &done, &total) == 2) {
            EXPECT_LE(done, total) << line;
            EXPECT_EQ(total, 9) << line;
            last = done;
        }
    }
    EXPECT_EQ(last, 9) << r.err;
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE status = 'failed'"), 6) << "3 points, pp and tg";
}

TEST_F(RunTest, ColdLoadsSayWhetherTheEvictionWorked) {
    const auto r = run_llmsweep("run -m " + model() + " --cache cold,warm -p 8 -n 4 -r 1 -q" + db_arg());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    expect_one_cold_and_one_warm_load();
}

TEST_F(RunTest, TomlSpecWithFlagsOverriding) {
    std::ofstream(dir_ / "sweep.toml") << "model = " << model() << "\nn_prompt = [8, 16]\nn_gen = 4\n"
                                       << "repetitions = 1\nmode = 'split'\n";
    const auto r = run_llmsweep("run " + shell_quote(dir_ / "sweep.toml") + " -p 24 -q" + db_arg());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE metric = 'pp'"), 1);
    EXPECT_EQ(count("SELECT n_prompt FROM results WHERE metric = 'pp'"), 24);
}

TEST_F(RunTest, DryRunPrintsThePlanAndWritesNothing) {
    const auto r = run_llmsweep("run -m " + model() + " --mmap 0,1 -p 64-1024*2 -n 32,64 -r 5 --dry-run" + db_arg());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("20 points"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("estimated time"), std::string::npos) << r.out;
    EXPECT_FALSE(fs::exists(db_path()));
}

TEST_F(RunTest, BadInputFailsBeforeAnyBenchmark) {
    const std::string base = "run -m " + model() + db_arg() + " ";
    expect_usage_error(run_llmsweep(base + "--n-promt 5"), "--n-promt");
    expect_usage_error(run_llmsweep(base + "-t 0"), "--threads");
    expect_usage_error(run_llmsweep(base + "-p 64-32"), "ends before it starts");
    expect_usage_error(run_llmsweep(base + "--mmap 2"), "--mmap");
    expect_usage_error(run_llmsweep(base + "--load-mode fast"), "fast");
    expect_usage_error(run_llmsweep(base + "--ctk q9"), "q9");
    expect_usage_error(run_llmsweep("run -m /nonexistent.gguf" + db_arg()), "does not exist");
    std::ofstream(dir_ / "notes.txt") << "hello";
    expect_usage_error(run_llmsweep("run -m " + shell_quote(dir_ / "notes.txt") + db_arg()), "not a GGUF");
    expect_usage_error(run_llmsweep("run" + db_arg()), "no model");
    std::ofstream(dir_ / "bad.toml") << "n_prompt = 8\nthreds = 2\n";
    expect_usage_error(run_llmsweep("run " + shell_quote(dir_ / "bad.toml") + " -m " + model() + db_arg()),
                       "bad.toml:2");
    EXPECT_FALSE(fs::exists(db_path())) << "nothing may be written before the spec is valid";
}

TEST_F(RunTest, ImpossibleSweepsAndNamesAreRefusedWithWhatToDo) {
    const std::string base = "run -m " + model() + db_arg() + " ";
    // Sizes: an absurd plan is counted, not built; an empty one is refused (also with the llama-bench engine).
    expect_usage_error(run_llmsweep(base + "-p 1-100000 -n 1-100000 --dry-run"), "more than 1000000 points");
    expect_usage_error(run_llmsweep(base + "--mode split -p 0 -n 0"), "no test");
    expect_usage_error(
        run_llmsweep(base + "--mode split -p 0 -n 0 --engine llama-bench --llama-bench /bin/true --dry-run"),
        "no test");
    // Databases that keep nothing, folders for files, names the store cannot hold.
    expect_usage_error(run_llmsweep("run -m " + model() + " --db ''"), "not a database file's name");
    expect_usage_error(run_llmsweep("run -m " + model() + " --db :memory:"), "not a database file's name");
    expect_usage_error(run_llmsweep(base + shell_quote(dir_.path())), "is a folder");
    expect_usage_error(run_llmsweep("run -m " + shell_quote(dir_.path()) + db_arg()), "is a folder");
    fs::copy_file(*models_ / "tiny.gguf", dir_ / "bad\xff.gguf");
    expect_usage_error(run_llmsweep("run -m " + shell_quote((dir_ / "bad\xff.gguf").string()) + db_arg()),
                       "not valid UTF-8");
    EXPECT_FALSE(fs::exists(db_path()));
    for (const auto& entry : fs::directory_iterator(dir_.path()))
        EXPECT_EQ(entry.path().filename().string().find(".claim-"), std::string::npos) << "no claim was left";
    // The documented maximum seed, and a model whose name has a comma.
    const auto seed = run_llmsweep(base + "--seed 9223372036854775807 --dry-run");
    EXPECT_EQ(seed.exit_code, 0) << seed.err;
    EXPECT_NE(seed.out.find("seed 9223372036854775807"), std::string::npos) << seed.out;
    fs::copy_file(*models_ / "tiny.gguf", dir_ / "a,b.gguf");
    const auto comma = run_llmsweep("run -m " + shell_quote(dir_ / "a,b.gguf") + " -p 8 -n 2 -r 1 -q" + db_arg());
    EXPECT_EQ(comma.exit_code, 0) << comma.err;
    EXPECT_EQ(text("SELECT group_concat(DISTINCT model_filename) FROM results"), (dir_ / "a,b.gguf").string());
}

TEST_F(RunTest, AResumeOverAReplacedModelFileIsRefused) {
    fs::copy_file(*models_ / "tiny.gguf", dir_ / "m.gguf");
    const std::string sweep =
        "run -m " + shell_quote(dir_ / "m.gguf") + " -p 8,16 -n 2 -r 1 --order grouped --timeout 60" + db_arg();
    // Killed with SIGKILL once p8 is stored, while p16 hangs: the run is left unfinished.
    EXPECT_EQ(kill_after("LLMSWEEP_TEST_FAULT=hang:16 " + shell_quote(LLMSWEEP_BINARY) + " " + sweep, 1), 137);
    ASSERT_EQ(count("SELECT count(*) FROM runs WHERE status = 'running'"), 1);
    { // Another file under the same name: same size, other bytes.
        std::string bytes = test::read_file(dir_ / "m.gguf");
        bytes[bytes.size() / 2] ^= 1;
        std::ofstream(dir_ / "m.gguf", std::ios::binary | std::ios::trunc) << bytes;
    }
    expect_usage_error(run_llmsweep(sweep + " -q"), "is not the file that run 1 started with");
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE status = 'ok'"), 2) << "nothing measured over the old run";
    const auto fresh = run_llmsweep(sweep + " --fresh -q");
    EXPECT_EQ(fresh.exit_code, 0) << fresh.err;
    EXPECT_EQ(count("SELECT count(*) FROM runs"), 2);
}

TEST_F(RunTest, ForeignOrNewerDatabasesAreRefusedUntouched) {
    {
        store::Database db(db_path().string(), store::Database::Mode::create);
        db.exec("CREATE TABLE invoices (id INTEGER)");
    }
    expect_usage_error(run_llmsweep("run -m " + model() + " -p 8 -n 4 -r 1" + db_arg()), "not llmsweep's");
    EXPECT_EQ(count("SELECT count(*) FROM sqlite_schema"), 1);

    fs::remove(db_path());
    ASSERT_EQ(run_llmsweep("run -m " + model() + " -p 8 -n 4 -r 1 -q" + db_arg()).exit_code, 0);
    {
        store::Database db(db_path().string(), store::Database::Mode::existing);
        db.exec("PRAGMA user_version = 99");
    }
    expect_usage_error(run_llmsweep("run -m " + model() + " -p 16 -n 4 -r 1" + db_arg()), "newer llmsweep");
    EXPECT_EQ(count("SELECT count(*) FROM samples"), 2);
}

TEST_F(RunTest, LlamaBenchSpellingsOfFlagsWork) {
    const auto r = run_llmsweep("run -m " + model() + " -p 8 -n 4 -r 1 -ngl 0 -ub 64 -ctk q8_0 -fa 1 -q" + db_arg());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE n_ubatch = 64 AND type_k = 'q8_0' AND flash_attn = 'on' "
                    "AND n_gpu_layers = 0 AND status = 'ok'"),
              2);
}

TEST_F(RunTest, VerboseShowsLlamaCppsLogFromTheWorkersAndNothingMoreWithout) {
    const std::string sweep = "run -m " + model() + " -p 8 -n 2 -r 1 -q" + db_arg();
    const auto loud = run_llmsweep("-v " + sweep);
    ASSERT_EQ(loud.exit_code, 0) << loud.err;
    EXPECT_NE(loud.err.find("llama_model_loader"), std::string::npos) << loud.err;
    const auto quiet = run_llmsweep(sweep + " --fresh");
    ASSERT_EQ(quiet.exit_code, 0) << quiet.err;
    EXPECT_EQ(quiet.err.find("llama_model_loader"), std::string::npos) << quiet.err;
}

// --huge-pages off keeps every worker off huge pages; on collapses its anonymous memory (the weights read in,
// with --load-mode none) into them, on kernels with MADV_COLLAPSE (6.1+), whatever the host's THP mode.
TEST_F(RunTest, HugePagesOffAndOnDecideTheWorkersMapping) {
    // Weights of some MiB: 2 MiB pages need regions at least that large.
    const std::string wide = shell_quote(dir_ / "wide.gguf");
    ASSERT_EQ(run_llmsweep("synth --preset tiny --layers 2 --n-embd 512 --n-ff 1536 --type f16 -o " + wide).exit_code,
              0);
    // A machine whose memory a long test run has fragmented may have no 2 MiB pages left to give: the kernel is
    // asked to compact it first, where this may (as root; elsewhere nothing happens).
    std::ofstream("/proc/sys/vm/compact_memory") << "1\n";
    const auto r = run_llmsweep("run -m " + wide +
                                " --huge-pages off,on --load-mode none,mmap --mode split "
                                "-p 64 -n 0 -t 1 -r 2 -q" +
                                db_arg());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE status = 'ok' AND huge_pages IN ('off', 'on')"), 4);
    EXPECT_EQ(count("SELECT count(*) FROM loads WHERE huge_pages = 'off' AND anon_huge_at_end_kb = 0 "
                    "AND file_pmd_at_end_kb = 0 AND anon_huge_after_load_kb = 0 AND file_pmd_after_load_kb = 0"),
              4);
    const std::string kernel = test::read_file("/proc/sys/kernel/osrelease");
    if (std::stoi(kernel) < 6 || (std::stoi(kernel) == 6 && std::stoi(kernel.substr(kernel.find('.') + 1)) < 1))
        GTEST_SKIP() << "kernel " << kernel << " has no MADV_COLLAPSE (6.1+): on cannot collapse";
    EXPECT_EQ(count("SELECT count(*) FROM loads WHERE huge_pages = 'on' AND load_mode = 'none' AND "
                    "anon_huge_after_load_kb >= 2048 AND anon_huge_at_end_kb >= 2048"),
              2);
    // The report and its filters see it, where the kernel gave every mapped-file visit of `on` huge pages too (it
    // gives what it has: on a fragmented or busy machine, a visit may get none).
    if (count("SELECT count(*) FROM loads WHERE huge_pages = 'on' AND load_mode = 'mmap' AND "
              "COALESCE(anon_huge_at_end_kb, 0) + COALESCE(file_pmd_at_end_kb, 0) = 0") > 0)
        GTEST_SKIP() << "the kernel gave a mapped-file visit of --huge-pages on no huge pages this time";
    const auto report = run_llmsweep("report --no-charts --compare load_mode --where huge_pages_used=yes --format "
                                     "json --out " +
                                     shell_quote(dir_ / "report") + db_arg());
    ASSERT_EQ(report.exit_code, 0) << report.err;
    const auto json = nlohmann::json::parse(test::read_file(dir_ / "report" / "report.json"));
    ASSERT_EQ(json.at("comparisons").size(), 1u) << json.dump(2);
    EXPECT_EQ(json["comparisons"][0].at("pairs"), 1) << "only the on points: off used no huge pages";
}

// A process spinning beside the sweep: its visits record the other work, and the summary says so.
TEST_F(RunTest, VisitsBesideOtherWorkAreRecordedAndSummarized) {
    const pid_t spinner = fork();
    ASSERT_GE(spinner, 0);
    if (spinner == 0) {
        for (;;) {}
    }
    // Visits long enough (tenths of a second) for /proc/stat's 10 ms ticks to measure them.
    const auto r = run_llmsweep("run -m " + model() + " --mmap 0,1 -p 512 -n 128 -t 1 -r 2" + db_arg());
    kill(spinner, SIGKILL);
    waitpid(spinner, nullptr, 0);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(count("SELECT count(*) FROM loads WHERE other_cpu_cores >= 0.25 AND visit_s > 0 AND load_average > 0"), 4)
        << "every visit ran beside the spinner";
    EXPECT_NE(r.out.find("4 visits ran beside other work"), std::string::npos) << r.out;
    // The comparison's verdict says so itself, not only the warnings.
    const auto report =
        run_llmsweep("report --lang en --no-charts --format md --out " + shell_quote(dir_ / "report") + db_arg());
    ASSERT_EQ(report.exit_code, 0) << report.err;
    EXPECT_NE(test::read_file(dir_ / "report" / "report.md").find("2 of 2 blocks measured beside other work"),
              std::string::npos);
}

TEST_F(RunTest, TwoFlagsForTheLoadModeAreAUsageError) {
    expect_usage_error(run_llmsweep("run -m " + model() + " --mmap 0 --load-mode mlock" + db_arg()),
                       "both set the load mode");
    std::ofstream(dir_ / "both.toml") << "mmap = [0, 1]\nload_mode = \"mlock\"\n";
    expect_usage_error(run_llmsweep("run " + shell_quote(dir_ / "both.toml") + " -m " + model() + db_arg()),
                       "both.toml:1: mmap and load_mode both set the load mode");
    EXPECT_FALSE(fs::exists(db_path()));
}

} // namespace
} // namespace llmsweep

namespace llmsweep {
namespace {

// --where on a setting with two spellings: load mode auto, which llama.cpp resolved to mmap, is found by either.
TEST_F(RunTest, AFilterMatchesASettingAsGivenAndAsItCameTo) {
    ASSERT_EQ(run_llmsweep("run -m " + model() + " -p 8 -n 4 -r 1 -q" + db_arg()).exit_code, 0);
    ASSERT_EQ(text("SELECT DISTINCT load_mode || ' ' || effective_load_mode FROM results"), "auto mmap");
    for (const std::string value : {"auto", "mmap"}) {
        const fs::path out = dir_ / value;
        const auto r = run_llmsweep("report --where load_mode=" + value + " --format json --no-charts --out " +
                                    shell_quote(out) + db_arg());
        ASSERT_EQ(r.exit_code, 0) << value << ": " << r.err;
        EXPECT_EQ(nlohmann::json::parse(test::read_file(out / "report.json")).at("results"), 2) << value;
    }
    expect_usage_error(
        run_llmsweep("report --where load_mode=none --no-charts --out " + shell_quote(dir_ / "none") + db_arg()),
        "no results match");
}

} // namespace
} // namespace llmsweep
