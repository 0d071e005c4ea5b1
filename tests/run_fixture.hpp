#pragma once
// The fixtures of the end-to-end tests of `llmsweep run` (run_test, settings_test, llama_bench_engine_test): the
// synthetic tiny model, made once per suite, a database per test, and queries on it.

#include "store/sqlite.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace llmsweep {

using test::run_llmsweep;
using test::run_shell;
using test::shell_quote;
using test::TempDir;
namespace fs = std::filesystem;

class RunTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        models_ = new TempDir;
        const auto r = run_llmsweep("synth --preset tiny -o " + shell_quote(*models_ / "tiny.gguf"));
        ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    static void TearDownTestSuite() { delete models_; }

    std::string model() const { return shell_quote(*models_ / "tiny.gguf"); }
    std::string db_arg() const { return " --db " + shell_quote(db_path()); }
    fs::path db_path() const { return dir_ / "bench.db"; }

    int64_t count(const std::string& sql) const {
        store::Database db(db_path().string(), store::Database::Mode::existing);
        store::Statement s(db, sql);
        EXPECT_TRUE(s.step()) << sql;
        return s.column_int(0);
    }
    std::string text(const std::string& sql) const {
        store::Database db(db_path().string(), store::Database::Mode::existing);
        store::Statement s(db, sql);
        EXPECT_TRUE(s.step()) << sql;
        return s.column_text(0);
    }

    // Runs `command` in the background and kills it with SIGKILL once it has printed `lines` progress lines;
    // returns the shell's exit status for it (137 when it was killed, not finished).
    int kill_after(const std::string& command, int lines) const {
        const std::string log = shell_quote(dir_ / "log");
        return run_shell(": >" + log + "; " + command + " 2>" + log + " & pid=$!; " + "while [ $(grep -c '^\\[' " +
                         log + ") -lt " + std::to_string(lines) +
                         " ]; do kill -0 $pid 2>/dev/null || break; sleep 0.005; done; kill -9 $pid; wait $pid")
            .exit_code;
    }

    // After a sweep of --cache cold,warm over one point: each load says what the page cache held.
    void expect_one_cold_and_one_warm_load() const {
        EXPECT_EQ(count("SELECT count(*) FROM loads WHERE cache_state = 'cold' AND cache_evicted IS NOT NULL"), 1);
        EXPECT_EQ(count("SELECT count(*) FROM loads WHERE cache_state = 'warm' AND cache_evicted IS NULL "
                        "AND resident_before_bytes > 0"),
                  1);
    }

    static inline TempDir* models_ = nullptr;
    TempDir dir_;
};

inline void expect_usage_error(const test::CommandResult& r, const std::string& must_mention) {
    EXPECT_EQ(r.exit_code, 2) << r.err;
    test::expect_one_line_error(r, must_mention);
}

// The llama-bench engine, on the real llama-bench built from the same llama.cpp source.
class LlamaBenchEngineTest : public RunTest {
protected:
    void SetUp() override {
        if (std::string(LLMSWEEP_LLAMA_BENCH).empty())
            GTEST_SKIP() << "no llama-bench: llama.cpp is an installed one without it on PATH";
    }
    static std::string engine(const std::string& binary = LLMSWEEP_LLAMA_BENCH) {
        return " --mode split --engine llama-bench --llama-bench " + shell_quote(binary) + " ";
    }
};

} // namespace llmsweep
