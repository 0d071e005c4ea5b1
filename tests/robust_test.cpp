// Reports that are whole or not at all, reports of sweeps where nothing succeeded, and databases shared by
// several processes: a real second process holding the lock, concurrent sweeps and imports, a read-only
// mount, a full file system (a small tmpfs), a report killed with SIGKILL.

#include "core/child_process.hpp"
#include "core/error.hpp"
#include "core/hash.hpp"
#include "core/parallel.hpp"
#include "core/staged_folder.hpp"
#include "report/strings.hpp"
#include "store/store.hpp"
#include "test_support.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <sys/mount.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace llmsweep {
namespace {

namespace fs = std::filesystem;
using test::read_file;
using test::run_llmsweep;
using test::run_shell;
using test::shell_quote;
using test::TempDir;

// Every file under `folder` (names relative) with the SHA-256 of its bytes.
std::map<std::string, std::string> snapshot(const fs::path& folder) {
    std::map<std::string, std::string> files;
    for (const auto& entry : fs::recursive_directory_iterator(folder))
        if (entry.is_regular_file())
            files[fs::relative(entry.path(), folder).string()] = sha256_hex(read_file(entry.path()));
    return files;
}

// `sh -c command` in the background; its pid.
pid_t start(const std::string& command) {
    const pid_t pid = fork();
    if (pid == 0) {
        const std::string exec = "exec " + command; // the pid is the command's, not a shell's
        execl("/bin/sh", "sh", "-c", exec.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    return pid;
}

int wait_for(pid_t pid) {
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Processes named `name` whose working folder is under `folder`.
std::vector<pid_t> processes_in(const std::string& name, const fs::path& folder) {
    std::vector<pid_t> found;
    for (const auto& entry : fs::directory_iterator("/proc")) {
        const std::string pid = entry.path().filename().string();
        if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
        std::string comm = read_file(entry.path() / "comm");
        if (!comm.empty() && comm.back() == '\n') comm.pop_back();
        std::error_code ec;
        const auto cwd = fs::read_symlink(entry.path() / "cwd", ec);
        if (comm == name && !ec && cwd.string().rfind(folder.string(), 0) == 0) found.push_back(std::stoi(pid));
    }
    return found;
}

// A database of `models` models x 2 load modes x 4 points, pp only; every result `status`.
void fill(const std::string& db, int models, const std::string& status = "ok") {
    store::Store store(db);
    const int64_t run = test::insert_test_run(store);
    for (int m = 0; m < models; ++m)
        for (const std::string mode : {"none", "mmap"})
            for (int64_t p = 32; p <= 128; p += 32) {
                const std::string key = fmt::format("{}{}{}", m, mode, p);
                const store::Row row = test::point_row(fmt::format("/m/model-{}.gguf", m), mode, p, 16);
                if (status == "ok") {
                    test::ok_result(store, run, key, "pp", row, 100.0 + m + static_cast<double>(p), 1.0);
                } else {
                    const int64_t id = store.ensure_result(run, key, "pp", row);
                    store.update_result(id, {{"status", status},
                                             {"error", std::string("llama.cpp refused the model: truncated GGUF")}});
                }
            }
}

// A tmpfs of `size` mounted at `where` for the test's life, where this process may mount one.
class Tmpfs {
public:
    Tmpfs(const fs::path& where, const std::string& size) : where_(where) {
        fs::create_directories(where);
        mounted_ = mount("tmpfs", where.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
    }
    ~Tmpfs() {
        if (mounted_) umount2(where_.c_str(), MNT_DETACH);
    }
    bool mounted() const { return mounted_; }
    bool make_read_only() { return mount(nullptr, where_.c_str(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr) == 0; }

private:
    fs::path where_;
    bool mounted_ = false;
};

// One test as llama-bench -o jsonl writes it.
std::string llama_bench_line(int n_prompt) {
    return fmt::format(
        R"({{"build_commit": "80fb11a", "build_number": 1, "cpu_info": "Xeon", "gpu_info": "", "backends": "CPU", )"
        R"("model_filename": "m.gguf", "model_type": "llama ?B Q8_0", "model_size": 385536, "model_n_params": 361088, )"
        R"("n_batch": 2048, "n_ubatch": 512, "n_threads": 1, "cpu_mask": "0x0", "cpu_strict": false, "poll": 50, )"
        R"("type_k": "f16", "type_v": "f16", "n_gpu_layers": 99, "n_cpu_moe": 0, "split_mode": "layer", )"
        R"("main_gpu": 0, "no_kv_offload": false, "flash_attn": -1, "devices": "auto", "tensor_split": "0.00", )"
        R"("tensor_buft_overrides": "none", "load_mode": "mmap", "embeddings": false, "no_op_offload": 0, )"
        R"("no_host": false, "n_prompt": {}, "n_gen": 0, "n_depth": 0, "test_time": "2026-01-01T00:00:00Z", )"
        R"("avg_ns": 409247, "stddev_ns": 17000, "avg_ts": 39131.2, "stddev_ts": 1600.1, )"
        R"("samples_ns": [421501, 396993], "samples_ts": [37959.6, 40302.9]}})",
        n_prompt);
}

bool have_gnuplot() { return run_shell("command -v gnuplot").exit_code == 0; }

// One impossible figure kills nothing. An import refuses it naming the file, the record and the field; a merge
// refuses a database holding one; a report of a database edited to hold them leaves them out and says which.
TEST(ImpossibleFigures, AreRefusedByImportAndMergeAndLeftOutOfTheReport) {
    TempDir dir;
    const auto import = [&](const std::string& name, const std::string& from, const std::string& to) {
        std::string line = llama_bench_line(16);
        line.replace(line.find(from), from.size(), to);
        std::ofstream(dir / name) << line << "\n";
        return run_llmsweep("import " + shell_quote(dir / name) + " --db " + shell_quote(dir / "i.db"));
    };
    struct Case {
        const char* name;
        std::string from, to, says;
    };
    const std::vector<Case> cases = {
        {"huge.jsonl", R"("avg_ts": 39131.2)", R"("avg_ts": 1e308)", "avg_ts: t/s 1e+308 is beyond any machine"},
        {"zero.jsonl", R"("avg_ns": 409247)", R"("avg_ns": 0)", "avg_ns: a time of 0 ns is not above zero"},
        {"contradicts.jsonl", R"("avg_ts": 39131.2)", R"("avg_ts": 391312.0)", "is not the mean of its samples"},
        {"size.jsonl", R"("model_size": 385536)", R"("model_size": 9223372036854775807)", "more than any disk holds"},
        {"sample.jsonl", "37959.6, 40302.9", "37959.6, 1e300", "samples_ts: t/s 1e+300 is beyond any machine"},
    };
    for (const Case& c : cases) {
        const auto r = import(c.name, c.from, c.to);
        EXPECT_NE(r.exit_code, 0) << c.name;
        EXPECT_NE(r.err.find(c.name), std::string::npos) << r.err;
        EXPECT_NE(r.err.find(c.says), std::string::npos) << r.err;
    }
    EXPECT_FALSE(fs::exists(dir / "i.db") && run_shell("sqlite3 -version").exit_code == 0 &&
                 run_shell("test \"$(sqlite3 " + shell_quote(dir / "i.db") + " 'SELECT count(*) FROM results')\" != 0")
                         .exit_code == 0)
        << "nothing stored";

    // A database edited to hold inf and 1e308: merge refuses it, naming the file and the row.
    const std::string db = (dir / "edited.db").string();
    fill(db, 1);
    {
        store::Store store(db);
        const int64_t id = store.ensure_result(1, "0none32", "pp", test::point_row("/m/model-0.gguf", "none", 32, 16));
        store.insert_sample({{"result_id", id}, {"repetition", int64_t{0}}, {"ns", int64_t{1000}}, {"ts", 1e308}});
        store.insert_sample({{"result_id", id}, {"repetition", int64_t{1}}, {"ns", int64_t{1000}}, {"ts", 130.0}});
        store.db().exec("UPDATE results SET avg_ts = 9e999 WHERE id = (SELECT max(id) FROM results)");
        // Zero, negative and text samples of another result: each left out and said, not silently dropped.
        const int64_t other =
            store.ensure_result(1, "0none64", "pp", test::point_row("/m/model-0.gguf", "none", 64, 16));
        int64_t repetition = 0;
        using store::Value;
        for (const Value ts : {Value{0.0}, Value{-5.0}, Value{std::string("fast")}, Value{120.0}})
            store.insert_sample(
                {{"result_id", other}, {"repetition", repetition++}, {"ns", int64_t{1000}}, {"ts", ts}});
    }
    const auto merged = run_llmsweep("merge --db " + shell_quote(dir / "merged.db") + " " + shell_quote(db));
    EXPECT_EQ(merged.exit_code, 2);
    EXPECT_NE(merged.err.find("edited.db"), std::string::npos) << merged.err;
    EXPECT_NE(merged.err.find("results row 8: t/s inf is not a number"), std::string::npos) << merged.err;
    // The report leaves them out, says so, and still compares what is left.
    const fs::path out = dir / "report";
    const auto report = run_llmsweep("report --db " + shell_quote(db) +
                                     " --lang en --format md,csv,json --no-charts --out " + shell_quote(out));
    ASSERT_EQ(report.exit_code, 0) << report.err;
    const std::string md = test::read_file(out / "report.md");
    EXPECT_NE(md.find("Figures no machine can give, left out of every table and comparison"), std::string::npos) << md;
    EXPECT_NE(md.find("repetition 1: t/s 1e+308 is beyond any machine"), std::string::npos) << md;
    EXPECT_NE(md.find("left out: t/s inf is not a number"), std::string::npos) << md;
    for (const char* said : {"repetition 1: t/s 0 is not above zero", "repetition 2: t/s -5 is not above zero",
                             "repetition 3: t/s is not a number"})
        EXPECT_NE(md.find(said), std::string::npos) << said << "\n" << md;
    EXPECT_EQ(md.find("nan"), std::string::npos);
    const std::string raw = test::read_file(out / "raw.csv");
    EXPECT_EQ(raw.find(",inf,"), std::string::npos) << "an impossible number is an empty cell";
    EXPECT_EQ(raw.find("nan"), std::string::npos);
}

TEST(WholeReport, AReportKilledMidwayLeavesThePreviousOneByteForByteAndNoGnuplot) {
    if (!have_gnuplot()) GTEST_SKIP() << "gnuplot is not installed";
    TempDir dir;
    const std::string first = (dir / "first.db").string(), second = (dir / "second.db").string();
    fill(first, 2);
    fill(second, 40); // 40 charts: time to kill it while gnuplot draws
    const fs::path out = dir / "report";
    ASSERT_EQ(run_llmsweep("report --db " + shell_quote(first) + " --out " + shell_quote(out)).exit_code, 0);
    const auto before = snapshot(out);
    ASSERT_GT(before.size(), 10u);

    const pid_t report = start(shell_quote(LLMSWEEP_BINARY) + " report --db " + shell_quote(second) + " --out " +
                               shell_quote(out) + " >/dev/null 2>&1");
    // Kill it once gnuplot has drawn a few charts into the staging folder.
    bool drawing = false;
    for (int i = 0; i < 3000 && !drawing; ++i) {
        for (const auto& entry : fs::directory_iterator(dir.path()))
            if (entry.path().filename().string().rfind(".report.partial-", 0) == 0) {
                size_t pngs = 0;
                std::error_code ec;
                for (const auto& file : fs::directory_iterator(entry.path(), ec))
                    pngs += file.path().extension() == ".png";
                drawing = pngs >= 3 && !processes_in("gnuplot", entry.path()).empty();
            }
        if (!drawing) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    ASSERT_TRUE(drawing) << "the report finished before it could be killed";
    kill(report, SIGKILL);
    EXPECT_EQ(wait_for(report), 128 + SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_TRUE(processes_in("gnuplot", dir.path()).empty()) << "gnuplot outlived the report";
    EXPECT_EQ(snapshot(out), before) << "the previous report changed";

    // The next report replaces it whole and clears what the killed one left.
    ASSERT_EQ(run_llmsweep("report --no-charts --db " + shell_quote(second) + " --out " + shell_quote(out)).exit_code,
              0);
    for (const auto& entry : fs::directory_iterator(dir.path()))
        EXPECT_EQ(entry.path().filename().string().find(".partial-"), std::string::npos) << entry.path();
    for (const auto& entry : fs::directory_iterator(out))
        EXPECT_NE(entry.path().extension(), ".png") << "charts of the old report are gone: " << entry.path();
    EXPECT_NE(read_file(out / "report.md").find("model-39.gguf"), std::string::npos);
}

// raw.csv is written beside the analysis once the results are read: an analysis that then fails (a baseline
// that is no value) waits for it whatever it has written, leaves no staging folder, and leaves the previous report
// as it was.
TEST(WholeReport, AnAnalysisThatFailsBesideRawCsvKeepsThePreviousReport) {
    TempDir dir;
    const std::string small = (dir / "small.db").string(), big = (dir / "big.db").string();
    fill(small, 1);
    fill(big, 400); // 3,200 results
    const fs::path out = dir / "report";
    const auto ok = run_llmsweep("report --no-charts --db " + shell_quote(small) + " --out " + shell_quote(out));
    ASSERT_EQ(ok.exit_code, 0) << ok.err;
    const auto before = snapshot(out);
    ASSERT_TRUE(before.count("raw.csv"));
    const auto failed = run_llmsweep("report --no-charts --compare load_mode --baseline auto --db " + shell_quote(big) +
                                     " --out " + shell_quote(out));
    EXPECT_EQ(failed.exit_code, 2);
    test::expect_one_line_error(failed, "--baseline auto is not a value of load_mode");
    EXPECT_EQ(snapshot(out), before) << "the previous report changed";
    for (const auto& entry : fs::directory_iterator(dir.path()))
        EXPECT_EQ(entry.path().filename().string().find(".partial-"), std::string::npos) << entry.path();
}

TEST(WholeReport, AFullDiskFailsTheReportAndKeepsThePreviousOne) {
    TempDir dir;
    Tmpfs disk(dir / "disk", "96k");
    if (!disk.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root): " << std::strerror(errno);
    const std::string small = (dir / "small.db").string(), big = (dir / "big.db").string();
    fill(small, 1);
    fill(big, 30);
    const fs::path out = dir / "disk" / "report";
    const auto ok =
        run_llmsweep("report --no-charts --format md --db " + shell_quote(small) + " --out " + shell_quote(out));
    ASSERT_EQ(ok.exit_code, 0) << ok.err;
    const auto before = snapshot(out);
    const auto full = run_llmsweep("report --db " + shell_quote(big) + " --out " + shell_quote(out));
    EXPECT_EQ(full.exit_code, 1);
    test::expect_one_line_error(full, "free some space");
    EXPECT_EQ(snapshot(out), before);
    EXPECT_EQ(test::entries_in(dir / "disk"), 1u) << "no staging folder left behind";
}

// A compressed file (raw.csv.gz) that does not fit: the error names it, and the folder is not put in place.
TEST(FullDisk, ACompressedFileThatDoesNotFitNamesItself) {
    TempDir dir;
    Tmpfs disk(dir / "disk", "96k");
    if (!disk.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root): " << std::strerror(errno);
    {
        StagedFolder folder(dir / "disk" / "report", ".llmsweep-report",
                            [](const fs::directory_entry&) { return true; });
        std::mt19937_64 random(7);
        std::string piece(64 << 10, '\0');
        try {
            folder.write_gzip("raw.csv.gz", [&](const StagedFolder::Sink& sink) {
                for (int i = 0; i < 8; ++i) { // 512 KiB that no compressor shrinks
                    for (char& c : piece) c = static_cast<char>(random());
                    sink(piece);
                }
            });
            ADD_FAILURE() << "512 KiB of noise fitted in 96 KiB";
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find("cannot write raw.csv.gz"), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find("free some space"), std::string::npos) << e.what();
        }
    }
    EXPECT_FALSE(fs::exists(dir / "disk" / "report"));
    EXPECT_EQ(test::entries_in(dir / "disk"), 0u) << "no staging folder left behind";
}

TEST(FullDisk, AnImportThatDoesNotFitNamesTheFileAndStoresNothing) {
    TempDir dir;
    Tmpfs disk(dir / "disk", "384k");
    if (!disk.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root): " << std::strerror(errno);
    std::ofstream jsonl(dir / "big.jsonl");
    for (int i = 0; i < 3000; ++i) jsonl << llama_bench_line(16 + i) << "\n";
    jsonl.close();
    const std::string db = shell_quote(dir / "disk" / "i.db");
    const auto r = run_llmsweep("import " + shell_quote(dir / "big.jsonl") + " --db " + db);
    EXPECT_EQ(r.exit_code, 1);
    test::expect_one_line_error(r, "big.jsonl: database");
    EXPECT_NE(r.err.find("disk is full"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("INSERT"), std::string::npos) << "no SQL in messages: " << r.err;
    store::Database check((dir / "disk" / "i.db").string(), store::Database::Mode::read_only);
    store::Statement s(check, "SELECT (SELECT count(*) FROM runs) + (SELECT count(*) FROM results)");
    ASSERT_TRUE(s.step());
    EXPECT_EQ(s.column_int(0), 0);
}

TEST(WholeReport, ARefusedOutFolderIsLeftAlone) {
    TempDir dir;
    const std::string db = (dir / "r.db").string();
    fill(db, 1);
    fs::create_directories(dir / "mine");
    std::ofstream(dir / "mine" / "thesis.tex") << "years of work";
    const auto r = run_llmsweep("report --no-charts --db " + shell_quote(db) + " --out " + shell_quote(dir / "mine"));
    EXPECT_EQ(r.exit_code, 2);
    test::expect_one_line_error(r, "thesis.tex");
    EXPECT_EQ(read_file(dir / "mine" / "thesis.tex"), "years of work");
    EXPECT_EQ(test::entries_in(dir / "mine"), 1u);
}

TEST(NothingSucceeded, TheReportIsWrittenWithTheReasonsAndNoEmptyCharts) {
    TempDir dir;
    const std::string db = (dir / "f.db").string();
    fill(db, 1, "failed");
    const fs::path out = dir / "report";
    const auto r = run_llmsweep("report --lang en --db " + shell_quote(db) + " --out " + shell_quote(out));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string md = read_file(out / "report.md");
    EXPECT_NE(md.find(std::string(report::strings("en").nothing_succeeded).substr(0, 20)), std::string::npos) << md;
    EXPECT_NE(md.find("failed: llama.cpp refused the model: truncated GGUF"), std::string::npos) << md;
    EXPECT_TRUE(fs::is_regular_file(out / "report.html"));
    if (have_gnuplot()) {
        EXPECT_NE(md.find(std::string(report::strings("en").charts_left_out)), std::string::npos) << md;
        for (const auto& entry : fs::directory_iterator(out)) EXPECT_NE(entry.path().extension(), ".png");
    }
}

TEST(SharedDatabase, ASweepWaitsForAnotherProcessHoldingTheLockAndLosesNothing) {
    if (run_shell("command -v python3").exit_code != 0) GTEST_SKIP() << "python3 is not installed";
    TempDir dir;
    ASSERT_EQ(run_llmsweep("synth --preset tiny -o " + shell_quote(dir / "tiny.gguf")).exit_code, 0);
    const std::string db = (dir / "s.db").string();
    fill(db, 1); // the database exists, so the holder can lock it
    // A second process takes the write lock and holds it for 30 s.
    const pid_t holder = start("python3 -c " +
                               shell_quote("import sqlite3, time, sys\n"
                                           "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
                                           "c.execute('BEGIN IMMEDIATE')\n"
                                           "print('locked', flush=True)\n"
                                           "time.sleep(30)\n"
                                           "c.execute('ROLLBACK')\n") +
                               " " + shell_quote(db) + " > " + shell_quote(dir / "holder.log"));
    for (int i = 0; i < 500 && read_file(dir / "holder.log").find("locked") == std::string::npos; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ASSERT_NE(read_file(dir / "holder.log").find("locked"), std::string::npos);
    const auto started = std::chrono::steady_clock::now();
    const auto r = run_llmsweep("run -m " + shell_quote(dir / "tiny.gguf") + " -p 8 -n 4 -r 2 --db " + shell_quote(db));
    const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    EXPECT_EQ(wait_for(holder), 0);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_GT(waited, 25.0) << "the sweep did not wait for the lock";
    EXPECT_NE(r.err.find("waiting for another process to release the lock"), std::string::npos) << r.err;
    store::Database check(db, store::Database::Mode::read_only);
    store::Statement s(check, "SELECT count(*) FROM results JOIN runs ON runs.id = results.run_id "
                              "WHERE runs.status = 'finished' AND results.status = 'ok' AND results.repetitions = 2 "
                              "AND results.model_filename LIKE '%tiny.gguf'");
    ASSERT_TRUE(s.step());
    EXPECT_EQ(s.column_int(0), 2) << "pp and tg, each with both repetitions";
}

TEST(SharedDatabase, OneSweepOfASpecAtATime) {
    TempDir dir;
    ASSERT_EQ(run_llmsweep("synth --preset tiny -o " + shell_quote(dir / "tiny.gguf")).exit_code, 0);
    const std::string db = shell_quote(dir / "c.db");
    const std::string sweep = "run -m " + shell_quote(dir / "tiny.gguf") + " -p 8,16 -n 4 -r 1 --timeout 6 --db " + db;
    // The first sweep's point p16 hangs until its 6 s timeout: time for the others to find the sweep running.
    const pid_t first =
        start("env LLMSWEEP_TEST_FAULT=hang:16 " + shell_quote(LLMSWEEP_BINARY) + " " + sweep + " -q > /dev/null 2>&1");
    bool claimed = false;
    for (int i = 0; i < 1000 && !claimed; ++i) {
        for (const auto& entry : fs::directory_iterator(dir.path()))
            claimed |= entry.path().filename().string().rfind("c.db.claim-", 0) == 0;
        if (!claimed) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_TRUE(claimed);
    const auto second = run_llmsweep(sweep + " -q");
    EXPECT_EQ(second.exit_code, 3) << second.err;
    test::expect_one_line_error(second, fmt::format("by process {} on ", first));
    // The same database named through a symlink is the same claim.
    fs::create_symlink(dir / "c.db", dir / "link.db");
    const auto linked = run_llmsweep("run -m " + shell_quote(dir / "tiny.gguf") +
                                     " -p 8,16 -n 4 -r 1 --timeout 6 --db " + shell_quote(dir / "link.db") + " -q");
    EXPECT_EQ(linked.exit_code, 3) << linked.err;
    fs::remove(dir / "link.db");
    // Another spec runs at the same time; with --wait the same spec waits and then finds the sweep complete.
    const auto other = run_llmsweep("run -m " + shell_quote(dir / "tiny.gguf") + " -p 8 -n 2 -r 1 -q --db " + db);
    EXPECT_EQ(other.exit_code, 0) << other.err;
    const auto waited = run_llmsweep(sweep + " --wait -q");
    EXPECT_EQ(waited.exit_code, 0) << waited.err;
    EXPECT_NE(waited.err.find("waiting: this sweep is being run"), std::string::npos) << waited.err;
    EXPECT_EQ(wait_for(first), 0);
    EXPECT_NE(waited.out.find("already complete"), std::string::npos) << waited.out << waited.err;
    store::Database check((dir / "c.db").string(), store::Database::Mode::read_only);
    store::Statement s(check, "SELECT (SELECT count(*) FROM runs), (SELECT count(*) FROM results), "
                              "(SELECT count(*) FROM samples)");
    ASSERT_TRUE(s.step());
    EXPECT_EQ(s.column_int(0), 2) << "one run per spec";
    EXPECT_EQ(s.column_int(1), 2 * 2 + 2) << "each point's pp and tg once";
    EXPECT_EQ(s.column_int(2), 2 + 2) << "every repetition of the points that did not time out, once";
    for (const auto& entry : fs::directory_iterator(dir.path()))
        EXPECT_EQ(entry.path().filename().string().find(".claim-"), std::string::npos) << "claims are released";
}

TEST(SharedDatabase, TheSameFileImportedTwiceAtOnceGoesInOnce) {
    TempDir dir;
    std::ofstream jsonl(dir / "b.jsonl");
    for (int i = 0; i < 2000; ++i) jsonl << llama_bench_line(16 + i) << "\n";
    jsonl.close();
    const std::string db = shell_quote(dir / "i.db");
    for (int attempt = 0; attempt < 3; ++attempt) {
        const std::string import =
            shell_quote(LLMSWEEP_BINARY) + " import " + shell_quote(dir / "b.jsonl") + " --db " + db;
        const pid_t a = start(import + " > /dev/null 2>&1"), b = start(import + " > /dev/null 2>&1");
        EXPECT_EQ(wait_for(a), 0);
        EXPECT_EQ(wait_for(b), 0);
    }
    store::Database check((dir / "i.db").string(), store::Database::Mode::read_only);
    store::Statement s(check, "SELECT (SELECT count(*) FROM runs), (SELECT count(*) FROM results)");
    ASSERT_TRUE(s.step());
    EXPECT_EQ(s.column_int(0), 1);
    EXPECT_EQ(s.column_int(1), 2000);
}

TEST(ReadOnlyDatabase, AReportReadsADatabaseOnAReadOnlyMountAndNeverWritesOne) {
    TempDir dir;
    // Anywhere: the report leaves the file as it was (SQLite may add its empty -wal and its -shm index beside
    // it, which a reader of a WAL database needs where it can make them).
    const std::string db = (dir / "r.db").string();
    fill(db, 2);
    const std::string before = sha256_hex(read_file(db));
    ASSERT_EQ(
        run_llmsweep("report --no-charts --db " + shell_quote(db) + " --out " + shell_quote(dir / "out")).exit_code, 0);
    fs::remove_all(dir / "out");
    EXPECT_EQ(sha256_hex(read_file(db)), before) << "the report wrote to the database";
    if (fs::exists(dir / "r.db-wal")) EXPECT_EQ(fs::file_size(dir / "r.db-wal"), 0u);
    // A 0-byte file is refused and stays 0 bytes.
    std::ofstream(dir / "empty.db").close();
    const auto empty =
        run_llmsweep("report --db " + shell_quote(dir / "empty.db") + " --out " + shell_quote(dir / "o2"));
    EXPECT_EQ(empty.exit_code, 2);
    test::expect_one_line_error(empty, "is empty");
    EXPECT_EQ(fs::file_size(dir / "empty.db"), 0u);

    Tmpfs mount_point(dir / "ro", "4m");
    if (!mount_point.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root)";
    fs::copy_file(db, dir / "ro" / "r.db");
    ASSERT_TRUE(mount_point.make_read_only());
    const auto r = run_llmsweep("report --no-charts --lang en --db " + shell_quote(dir / "ro" / "r.db") + " --out " +
                                shell_quote(dir / "out"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(read_file(dir / "out" / "report.md").find("model-1.gguf"), std::string::npos);
    // An import there is refused with a one-line error that says what to do.
    std::ofstream(dir / "one.jsonl") << llama_bench_line(16) << "\n";
    const auto write =
        run_llmsweep("import " + shell_quote(dir / "one.jsonl") + " --db " + shell_quote(dir / "ro" / "r.db"));
    EXPECT_NE(write.exit_code, 0);
    test::expect_one_line_error(write, "read-only");
}

// A program's signal mask and dispositions as its /proc/self/status gives them: SigBlk, SigIgn, SigCgt.
std::map<std::string, uint64_t> signal_sets(const std::string& status) {
    std::map<std::string, uint64_t> sets;
    std::istringstream lines(status);
    for (std::string line; std::getline(lines, line);)
        for (const char* name : {"SigBlk", "SigIgn", "SigCgt"})
            if (line.rfind(std::string(name) + ":", 0) == 0) sets[name] = std::stoull(line.substr(7), nullptr, 16);
    return sets;
}

TEST(ChildProcesses, StartWithNoSignalBlockedAndTheUsualDispositionsWhateverThisProcessHandles) {
    // llmsweep ignores SIGPIPE and handles SIGINT and SIGTERM; none of it reaches the programs it starts.
    struct sigaction ignore {
    }, handle{}, pipe_before{}, int_before{};
    ignore.sa_handler = SIG_IGN;
    handle.sa_handler = [](int) {};
    sigaction(SIGPIPE, &ignore, &pipe_before);
    sigaction(SIGINT, &handle, &int_before);
    const ProgramResult result = run_program({"cat", "/proc/self/status"});
    sigaction(SIGPIPE, &pipe_before, nullptr);
    sigaction(SIGINT, &int_before, nullptr);
    ASSERT_TRUE(result.succeeded()) << result.output;
    const auto sets = signal_sets(result.output);
    ASSERT_EQ(sets.size(), 3u) << result.output;
    EXPECT_EQ(sets.at("SigBlk"), 0u);
    EXPECT_EQ(sets.at("SigIgn") & (uint64_t{1} << (SIGPIPE - 1)), 0u) << "SIGPIPE is still ignored";
    EXPECT_EQ(sets.at("SigCgt"), 0u);
}

TEST(ChildProcesses, ManyThreadsStartProgramsAtOnceWhileTheProcessWritesItsMemory) {
    // The programs borrow this process's memory until they exec (vfork): threads that start them at once, and
    // one that writes memory meanwhile, each see their own program's output.
    std::atomic<bool> done{false};
    std::vector<char> memory(64 << 20);
    std::thread writer([&] {
        while (!done)
            for (size_t i = 0; i < memory.size(); i += 4096) ++memory[i];
    });
    std::vector<std::vector<std::string>> outputs(6);
    {
        std::vector<std::jthread> starters;
        for (size_t t = 0; t < outputs.size(); ++t)
            starters.emplace_back([&, t] {
                for (int i = 0; i < 15; ++i) {
                    const std::string word = fmt::format("thread{}-{}", t, i);
                    const ProgramResult r = run_program({"echo", word});
                    outputs[t].push_back(r.succeeded() ? r.output : "failed: " + r.output);
                }
            });
    }
    done = true;
    writer.join();
    for (size_t t = 0; t < outputs.size(); ++t)
        for (int i = 0; i < 15; ++i) EXPECT_EQ(outputs[t][i], fmt::format("thread{}-{}\n", t, i));
    // A program that cannot start says so, and the next one starts.
    EXPECT_THROW(run_program({"/nonexistent/program"}), Error);
    EXPECT_TRUE(run_program({"true"}).succeeded());
}

TEST(Parallel, EveryIndexOnceAndTheLowestFailureAfterAllHaveEnded) {
    for (const unsigned threads : {0u, 1u, 3u, 16u}) {
        std::vector<std::atomic<int>> calls(1000);
        for_each_index(
            calls.size(), [&](size_t i) { ++calls[i]; }, threads);
        for (size_t i = 0; i < calls.size(); ++i) ASSERT_EQ(calls[i].load(), 1) << i << ", " << threads << " threads";
    }
    for_each_index(0, [](size_t) { FAIL() << "called for no index"; });
    std::atomic<int> ran{0};
    try {
        for_each_index(100, [&](size_t i) {
            ++ran;
            if (i == 70 || i == 30) throw Error(fmt::format("index {}", i));
        });
        ADD_FAILURE() << "no exception";
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(), "index 30");
    }
    EXPECT_EQ(ran.load(), 100) << "the calls after a failure still run";
}

} // namespace
} // namespace llmsweep
