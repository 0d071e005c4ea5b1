// `llmsweep merge`: other databases' runs copied into one, each input whole or not at all; the same run never
// twice (merging again, or a database into itself); older schemas read, newer ones and other files refused with
// nothing written.

#include "faulty_disk.hpp"
#include "run_fixture.hpp"
#include "store/schema.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <thread>

namespace llmsweep {
namespace {

class MergeTest : public RunTest {
protected:
    // A sweep of the tiny model into a database of its own.
    fs::path sweep(const std::string& name, const std::string& flags) {
        const fs::path db = dir_ / name;
        const auto r =
            run_llmsweep("run -m " + model() + " -p 16 -n 8 -r 2 -t 1 -q " + flags + " --db " + shell_quote(db));
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return db;
    }
    static int64_t count_in(const fs::path& db, const std::string& sql) {
        store::Database d(db.string(), store::Database::Mode::existing);
        store::Statement s(d, sql);
        EXPECT_TRUE(s.step()) << sql;
        return s.column_int(0);
    }
    // runs, results, samples, loads, llama_bench rows: what a merge must carry over exactly.
    static std::vector<int64_t> counts(const fs::path& db) {
        std::vector<int64_t> out;
        for (const char* table : {"runs", "results", "samples", "loads", "llama_bench"})
            out.push_back(count_in(db, std::string("SELECT count(*) FROM ") + table));
        return out;
    }
    test::CommandResult merge(const fs::path& out, const std::vector<fs::path>& inputs) {
        std::string command = "merge --db " + shell_quote(out);
        for (const auto& input : inputs) command += " " + shell_quote(input);
        return run_llmsweep(command);
    }
};

TEST_F(MergeTest, CopiesEveryRunOnceWhateverIsMergedAgain) {
    const fs::path a = sweep("a.db", "--mmap 0,1"), b = sweep("b.db", "-t 1 -p 32");
    const fs::path all = dir_ / "all.db";
    ASSERT_EQ(merge(all, {a, b}).exit_code, 0);
    const auto ca = counts(a), cb = counts(b), merged = counts(all);
    for (size_t i = 0; i < merged.size(); ++i) EXPECT_EQ(merged[i], ca[i] + cb[i]) << "table " << i;
    EXPECT_EQ(count_in(all, "SELECT count(*) FROM results WHERE status = 'ok'"), merged[4])
        << "llama_bench shows every ok result, by its triggers";
    // The samples point at the merged database's results and loads.
    EXPECT_EQ(count_in(all, "SELECT count(*) FROM samples s JOIN results r ON r.id = s.result_id JOIN loads l ON "
                            "l.id = s.load_id AND l.run_id = r.run_id"),
              merged[2]);
    // Again, and the merged database into itself: nothing more.
    const auto again = merge(all, {a, b, all});
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_NE(again.out.find("0 runs merged"), std::string::npos) << again.out;
    EXPECT_EQ(counts(all), merged);
    // The report reads the merged runs as one database.
    EXPECT_EQ(
        run_llmsweep("report --no-charts --format md --out " + shell_quote(dir_ / "r") + " --db " + shell_quote(all))
            .exit_code,
        0);
}

// Two machines, simulated by two shard runs of a grid with --mmap 0,1, merged: exactly the points of the same
// sweep run whole, every repetition once, and every pair of the comparison in one shard.
TEST_F(MergeTest, ShardsMergedAreTheWholeSweepWithEveryPairWhole) {
    const std::string grid = "--mmap 0,1 -p 16,32,48 -n 8 --mode split ";
    const fs::path whole = sweep("whole.db", grid), one = sweep("one.db", grid + "--shard 1/2"),
                   two = sweep("two.db", grid + "--shard 2/2");
    const fs::path merged = dir_ / "merged.db";
    ASSERT_EQ(merge(merged, {one, two}).exit_code, 0);
    EXPECT_EQ(count_in(merged, "SELECT count(*) FROM results"), count_in(whole, "SELECT count(*) FROM results"));
    EXPECT_EQ(count_in(merged, "SELECT count(*) FROM samples"), count_in(whole, "SELECT count(*) FROM samples"));
    for (const fs::path& shard : {one, two}) {
        EXPECT_GT(count_in(shard, "SELECT count(*) FROM results"), 0) << "each shard has work";
        // Each test of a shard ran at both load modes: no pair crosses shards.
        EXPECT_EQ(count_in(shard, "SELECT count(*) FROM (SELECT n_prompt, n_gen FROM results GROUP BY n_prompt, n_gen "
                                  "HAVING count(DISTINCT load_mode) != 2)"),
                  0);
    }
    const std::string point_of = "SELECT group_concat(k, '|') FROM (SELECT load_mode || n_prompt || '/' || n_gen || "
                                 "metric AS k FROM results ORDER BY k)";
    store::Database w(whole.string(), store::Database::Mode::existing),
        m(merged.string(), store::Database::Mode::existing);
    store::Statement a(w, point_of), b(m, point_of);
    ASSERT_TRUE(a.step() && b.step());
    EXPECT_EQ(a.column_text(0), b.column_text(0)) << "the same points";
    const fs::path out = dir_ / "merged-report";
    ASSERT_EQ(run_llmsweep("report --compare load_mode --format json --no-charts --out " + shell_quote(out) + " --db " +
                           shell_quote(merged))
                  .exit_code,
              0);
    const auto report = nlohmann::json::parse(test::read_file(out / "report.json"));
    for (const auto& c : report.at("comparisons")) EXPECT_EQ(c.at("unpaired"), 0) << c.dump();
}

// The documented resubmit path: a shard killed mid-sweep and merged, then resumed to its end and merged again.
// The second merge adds what the first lacked (the later samples, results and loads, the run's end) and says so;
// the merged database then holds exactly what the shard holds.
TEST_F(MergeTest, AShardResumedAfterAMergeIsMergedWhole) {
    const fs::path shard = dir_ / "shard-1.db", merged = dir_ / "merged.db";
    const std::string command = shell_quote(LLMSWEEP_BINARY) + " run -m " + model() +
                                " --mmap 0,1 -p 16,32 -n 8 -r 3 -t 1 --shard 1/2 --db " + shell_quote(shard);
    EXPECT_EQ(kill_after(command, 3), 137);
    ASSERT_EQ(merge(merged, {shard}).exit_code, 0);
    const int64_t first = count_in(merged, "SELECT count(*) FROM samples");
    ASSERT_GT(first, 0);
    ASSERT_EQ(run_shell(command + " -q").exit_code, 0);
    const auto whole = counts(shard);
    ASSERT_GT(whole[2], first) << "the resumed shard measured more";
    const auto again = merge(merged, {shard});
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_NE(again.out.find("1 of them extended"), std::string::npos) << again.out;
    EXPECT_EQ(counts(merged), whole);
    EXPECT_EQ(count_in(merged, "SELECT count(*) FROM runs WHERE status = 'finished'"), 1);
    EXPECT_EQ(count_in(merged, "SELECT count(*) FROM results WHERE repetitions = 3"),
              count_in(shard, "SELECT count(*) FROM results WHERE repetitions = 3"));
    // Once more: nothing.
    const auto third = merge(merged, {shard});
    ASSERT_EQ(third.exit_code, 0);
    EXPECT_EQ(third.out.find("extended"), std::string::npos) << third.out;
    EXPECT_EQ(counts(merged), whole);

    // A copy of the run whose stored rows disagree (a sample measured otherwise) is refused, and nothing of it is
    // merged.
    {
        store::Database d(shard.string(), store::Database::Mode::existing);
        d.exec("UPDATE samples SET ns = ns + 1 WHERE id = (SELECT min(id) FROM samples)");
        d.exec("DELETE FROM samples WHERE id = (SELECT max(id) FROM samples)");
    }
    const fs::path other = dir_ / "other.db";
    fs::copy_file(merged, other);
    {
        store::Database d(other.string(), store::Database::Mode::existing);
        d.exec("DELETE FROM samples WHERE id = (SELECT max(id) FROM samples)");
    }
    const auto refused = merge(other, {shard});
    EXPECT_EQ(refused.exit_code, 2) << refused.out;
    EXPECT_NE(refused.err.find("measured otherwise"), std::string::npos) << refused.err;
}

// A database whose table was replaced by a view over a query that never ends, or that holds a table of its own:
// report and merge refuse it at once, naming what it holds, and write nothing.
TEST_F(MergeTest, AHostileDatabaseIsRefusedNotRead) {
    const fs::path good = sweep("good.db", "");
    for (const char* change : {"DROP TABLE samples; CREATE VIEW samples AS WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL "
                               "SELECT x + 1 FROM n) SELECT x AS id, x AS result_id, NULL AS load_id, x AS repetition, "
                               "x AS ns, x AS ts, NULL AS ttft_ms, NULL AS itl_p50_ms, NULL AS itl_p90_ms, NULL AS "
                               "itl_p99_ms, NULL AS server_metrics FROM n",
                               "CREATE TABLE other (x)"}) {
        const fs::path hostile = dir_ / "hostile.db";
        fs::remove(hostile);
        fs::copy_file(good, hostile);
        {
            store::Database d(hostile.string(), store::Database::Mode::existing);
            d.exec(change);
        }
        const auto started = std::chrono::steady_clock::now();
        const auto report = run_llmsweep("report --no-charts --format md --out " + shell_quote(dir_ / "r") + " --db " +
                                         shell_quote(hostile));
        EXPECT_EQ(report.exit_code, 2) << change;
        EXPECT_NE(report.err.find("which no llmsweep database has"), std::string::npos) << report.err;
        const auto merged = merge(dir_ / "out.db", {hostile});
        EXPECT_EQ(merged.exit_code, 2) << change;
        EXPECT_NE(merged.err.find("which no llmsweep database has"), std::string::npos) << merged.err;
        EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(20)) << "refused, not read";
        EXPECT_FALSE(fs::exists(dir_ / "r" / "report.md"));
    }
}

// Runs are known by their uid: an input whose runs lack one or share one is refused, naming them, and nothing of it
// is merged.
TEST_F(MergeTest, AnInputWithoutUidsOrWithTwiceTheSameIsRefused) {
    const fs::path good = sweep("uids.db", "--mmap 0,1");
    for (const char* change : {"UPDATE runs SET uid = NULL",
                               "INSERT INTO runs (uid, spec_key, status, started_at, mode, sweep_order, seed, "
                               "repetitions, warmup, spec_json, llmsweep_version, build_commit) SELECT uid, 'k2', "
                               "status, started_at, mode, sweep_order, seed, repetitions, warmup, spec_json, "
                               "llmsweep_version, build_commit FROM runs"}) {
        const fs::path bad = dir_ / "bad-uids.db";
        fs::remove(bad);
        fs::copy_file(good, bad);
        {
            store::Database d(bad.string(), store::Database::Mode::existing);
            d.exec(change);
        }
        const auto r = merge(dir_ / "uids-out.db", {bad});
        EXPECT_EQ(r.exit_code, 2) << change;
        EXPECT_TRUE(r.err.find("has no uid") != std::string::npos || r.err.find("share the uid") != std::string::npos)
            << r.err;
        EXPECT_NE(r.err.find("nothing of it was merged"), std::string::npos) << r.err;
    }
}

// Rows of a damaged input that refer to a run, load or result it does not hold are left out, and said.
TEST_F(MergeTest, RowsReferringToNothingAreLeftOutAndCounted) {
    const fs::path good = sweep("dangling.db", "--mmap 0,1");
    const fs::path bad = dir_ / "dangling-bad.db";
    fs::copy_file(good, bad);
    const int64_t samples = count_in(good, "SELECT count(*) FROM samples");
    {
        store::Database d(bad.string(), store::Database::Mode::existing);
        d.exec("PRAGMA foreign_keys = OFF");
        d.exec("UPDATE samples SET result_id = 999999 WHERE id IN (SELECT id FROM samples LIMIT 2)");
    }
    const auto r = merge(dir_ / "dangling-out.db", {bad});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("2 rows left out: they refer to a run, load or result the file does not hold"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(count_in(dir_ / "dangling-out.db", "SELECT count(*) FROM samples"), samples - 2);
}

// A fleet merged: the values of a comparison measured on different hosts do not pair, and the report says so.
TEST_F(MergeTest, TheReportWarnsWhenTheValuesCameFromDifferentHosts) {
    const fs::path a = sweep("host-a.db", "--mmap 0"), b = sweep("host-b.db", "--mmap 1");
    {
        store::Database d(b.string(), store::Database::Mode::existing);
        d.exec("UPDATE runs SET hostname = 'host-b'");
    }
    const fs::path fleet = dir_ / "fleet.db";
    ASSERT_EQ(merge(fleet, {a, b}).exit_code, 0);
    const fs::path out = dir_ / "fleet-report";
    ASSERT_EQ(run_llmsweep("report --compare load_mode --lang en --format md,json --no-charts --out " +
                           shell_quote(out) + " --db " + shell_quote(fleet))
                  .exit_code,
              0);
    const std::string md = test::read_file(out / "report.md");
    EXPECT_NE(md.find("The values were measured on different hosts"), std::string::npos) << md;
    EXPECT_NE(md.find("load_mode = mmap: host-b"), std::string::npos) << md;
    for (const auto& c : nlohmann::json::parse(test::read_file(out / "report.json")).at("comparisons"))
        EXPECT_EQ(c.at("pairs"), 0) << "no pair across hosts";
}

// A merge killed in the middle of an input leaves the database as it was before that input.
TEST_F(MergeTest, AKilledMergeLeavesTheDatabaseAsItWas) {
    const fs::path small = sweep("small.db", ""), big = sweep("big.db", "-p 24");
    {
        // Enough samples that copying them takes a while.
        store::Database d(big.string(), store::Database::Mode::existing);
        d.exec("WITH RECURSIVE n(i) AS (SELECT 100 UNION ALL SELECT i + 1 FROM n WHERE i < 800000) "
               "INSERT INTO samples (result_id, repetition, ns, ts) SELECT (SELECT min(id) FROM results), i, 1000, 1.0 "
               "FROM n");
    }
    const fs::path out = dir_ / "out.db";
    ASSERT_EQ(merge(out, {small}).exit_code, 0);
    const auto before = counts(out);
    const int status = run_shell(shell_quote(LLMSWEEP_BINARY) + " merge --db " + shell_quote(out) + " " +
                                 shell_quote(big) + " >/dev/null 2>&1 & pid=$!; sleep 0.5; kill -9 $pid; wait $pid")
                           .exit_code;
    ASSERT_EQ(status, 137) << "the merge finished within 0.5 s: make the input bigger";
    EXPECT_EQ(counts(out), before);
    ASSERT_EQ(merge(out, {big}).exit_code, 0);
    EXPECT_EQ(counts(out)[2], before[2] + counts(big)[2]) << "and the same merge again goes in whole";
}

// A disk that fills at any one of a merge's writes: the merge fails with the store's error, and the target is
// whole and holds what it held (or, where the write came after the merge's commit, the whole merge); with space
// again, the same merge goes in whole.
TEST_F(MergeTest, ADiskThatFillsAtAnyWriteLeavesTheTargetWholeAndTheMergeCanBeDoneAgain) {
    const fs::path small = sweep("small.db", ""), other = sweep("other.db", "--mmap 0,1");
    const fs::path out = dir_ / "out.db";
    ASSERT_EQ(merge(out, {small}).exit_code, 0);
    const auto before = counts(out), adds = counts(other);
    std::vector<int64_t> after;
    for (size_t i = 0; i < before.size(); ++i) after.push_back(before[i] + adds[i]);
    const auto merge_in_process = [&](const fs::path& target) {
        store::Store input(other.string(), store::Store::Access::read_only);
        store::Store into(target.string());
        into.merge_from(input);
    };
    test::FaultyDisk disk;
    const fs::path probe = dir_ / "probe.db";
    fs::copy_file(out, probe);
    merge_in_process(probe);
    const int64_t writes = disk.writes();
    ASSERT_GT(writes, 10);
    for (int64_t write = 1; write <= writes; ++write) {
        SCOPED_TRACE(fmt::format("the disk full at write {} of {}", write, writes));
        const fs::path target = dir_ / fmt::format("full-{}.db", write);
        fs::copy_file(out, target);
        const auto full = disk.attempt_full_at(write, [&] { merge_in_process(target); });
        if (full.failed) EXPECT_NE(full.error.find("the disk is full"), std::string::npos) << full.error;
        EXPECT_GE(full.failed_writes, 1);
        EXPECT_EQ(count_in(target, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check != 'ok'"), 0);
        EXPECT_EQ(counts(target), full.failed ? before : after);
        if (full.failed) {
            merge_in_process(target);
            EXPECT_EQ(counts(target), after) << "and the same merge again goes in whole";
        }
        fs::remove(target);
    }
}

// Older databases are read as this llmsweep's (their runs get ids from what identifies them, so merging one twice
// adds it once); a newer schema and a file that is not llmsweep's are refused before anything is written.
TEST_F(MergeTest, OlderSchemasMergeAndOthersAreRefused) {
    const fs::path old = dir_ / "v1.db";
    {
        store::Database d(old.string(), store::Database::Mode::create);
        d.exec(test::read_file(fs::path(LLMSWEEP_SOURCE_DIR) / "tests/fixtures/schema_v1.sql"));
    }
    const fs::path out = dir_ / "out.db";
    ASSERT_EQ(merge(out, {old}).exit_code, 0);
    const auto once = counts(out);
    EXPECT_EQ(once[0], count_in(old, "SELECT count(*) FROM runs"));
    EXPECT_GT(once[1], 0);
    ASSERT_EQ(merge(out, {old}).exit_code, 0);
    EXPECT_EQ(counts(out), once) << "the old file's runs are the same runs the second time";
    EXPECT_EQ(count_in(old, "SELECT user_version FROM pragma_user_version"), 1) << "the input is never written";

    const fs::path newer = dir_ / "newer.db";
    fs::copy_file(sweep("n.db", ""), newer);
    {
        store::Database d(newer.string(), store::Database::Mode::existing);
        d.exec(fmt::format("PRAGMA user_version = {}", store::schema_version + 1));
    }
    const fs::path fresh = dir_ / "fresh.db";
    expect_usage_error(merge(fresh, {old, newer}), "newer llmsweep");
    EXPECT_FALSE(fs::exists(fresh)) << "nothing is written when an input is refused";
    std::ofstream(dir_ / "notes.txt") << "not a database";
    expect_usage_error(merge(fresh, {dir_ / "notes.txt"}), "notes.txt");
    expect_usage_error(merge(fresh, {dir_ / "missing.db"}), "does not exist");
    EXPECT_FALSE(fs::exists(fresh));
}

} // namespace
} // namespace llmsweep
