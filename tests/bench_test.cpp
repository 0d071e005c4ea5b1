// llmsweep bench against the real llama-bench built from the same source: the same command line gives the same
// tests and the same output, field for field, in every format; each row is written as its test ends, and is
// the stored result.

#include "hostile.hpp"
#include "llama_bench/output.hpp"
#include "run_fixture.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

namespace llmsweep {
namespace {

class BenchTest : public RunTest {
protected:
    void SetUp() override {
        if (std::string(LLMSWEEP_LLAMA_BENCH).empty()) GTEST_SKIP() << "no llama-bench was built or found on PATH";
    }
    // The same tests by both: two prompt lengths and a generation, two repetitions, one thread.
    static constexpr const char* tests = " -p 8,16 -n 4 -r 2 -t 1 ";
    test::CommandResult ours(const std::string& format) const {
        return run_llmsweep("bench -m " + model() + tests + "-o " + format + db_arg());
    }
    test::CommandResult theirs(const std::string& format) const {
        return run_shell(shell_quote(LLMSWEEP_LLAMA_BENCH) + " -m " + model() + tests + "-o " + format);
    }
    static std::vector<std::string> lines(const std::string& text) {
        std::vector<std::string> all;
        std::istringstream in(text);
        for (std::string line; std::getline(in, line);) all.push_back(line);
        return all;
    }
};

TEST_F(BenchTest, CsvHasLlamaBenchsColumnsAndTests) {
    const auto a = ours("csv"), b = theirs("csv");
    ASSERT_EQ(a.exit_code, 0) << a.err;
    ASSERT_EQ(b.exit_code, 0) << b.err;
    const auto x = lines(a.out), y = lines(b.out);
    ASSERT_EQ(x.size(), 4u) << a.out; // the header and pp8, pp16, tg4
    ASSERT_EQ(y.size(), 4u) << b.out;
    EXPECT_EQ(x[0], y[0]);
    // Field by field, the settings and test sizes agree; only the build number, the time and the figures differ.
    std::vector<std::vector<std::string>> ours_rows, theirs_rows;
    for (const auto& [from, to] : {std::pair{&x, &ours_rows}, std::pair{&y, &theirs_rows}})
        llama_bench::parse_csv(from->front() + "\n" + (*from)[1] + "\n" + (*from)[2] + "\n" + (*from)[3] + "\n",
                               [&](llama_bench::RawTest&& t) {
                                   std::vector<std::string> kept;
                                   for (const auto& [name, value] : t.fields.items())
                                       if (name != "build_number" && name != "test_time" && !name.starts_with("avg") &&
                                           !name.starts_with("stddev"))
                                           kept.push_back(name + "=" + value.get<std::string>());
                                   to->push_back(kept);
                               });
    EXPECT_EQ(ours_rows, theirs_rows);
}

TEST_F(BenchTest, JsonAndJsonlHaveLlamaBenchsFieldsInItsOrder) {
    for (const std::string format : {"json", "jsonl"}) {
        const auto a = ours(format), b = theirs(format);
        ASSERT_EQ(a.exit_code, 0) << a.err;
        ASSERT_EQ(b.exit_code, 0) << b.err;
        auto tests_of = [&](const std::string& text) {
            std::vector<nlohmann::json> all;
            if (format == "json") all = nlohmann::json::parse(text).get<std::vector<nlohmann::json>>();
            else
                for (const auto& line : lines(text)) all.push_back(nlohmann::json::parse(line));
            return all;
        };
        const auto x = tests_of(a.out), y = tests_of(b.out);
        ASSERT_EQ(x.size(), 3u) << a.out;
        ASSERT_EQ(y.size(), 3u) << b.out;
        for (size_t i = 0; i < x.size(); ++i) {
            std::vector<std::string> names_x, names_y;
            for (const auto& [name, value] : x[i].items()) names_x.push_back(name);
            for (const auto& [name, value] : y[i].items()) names_y.push_back(name);
            EXPECT_EQ(names_x, names_y) << format;
            for (const char* same : {"n_prompt", "n_gen", "n_depth", "n_threads", "type_k", "flash_attn", "model_type",
                                     "model_size", "model_n_params", "cpu_strict"})
                EXPECT_EQ(x[i].at(same), y[i].at(same)) << format << " " << same;
            EXPECT_EQ(x[i].at("samples_ns").size(), 2u);
            EXPECT_EQ(x[i].at("test_time").get<std::string>().size(), y[i].at("test_time").get<std::string>().size());
        }
    }
}

TEST_F(BenchTest, MarkdownAndSqlAreLlamaBenchs) {
    const auto a = ours("md"), b = theirs("md");
    ASSERT_EQ(a.exit_code, 0) << a.err;
    const auto x = lines(a.out), y = lines(b.out);
    ASSERT_EQ(x.size(), y.size()) << a.out << b.out;
    EXPECT_EQ(x[0], y[0]); // the headings, widths and alignment
    EXPECT_EQ(x[1], y[1]);
    for (size_t i = 2; i < 5; ++i) {
        // Every column but t/s, whose figures differ; the t/s column lines up with llama-bench's.
        EXPECT_EQ(x[i].substr(0, x[i].rfind('|', x[i].size() - 2)), y[i].substr(0, y[i].rfind('|', y[i].size() - 2)));
        EXPECT_EQ(x[i].size(), y[i].size()) << x[i] << "\n" << y[i];
    }
    EXPECT_TRUE(x.back().starts_with("build: ")) << a.out;

    const auto s = ours("sql"), t = theirs("sql");
    ASSERT_EQ(s.exit_code, 0) << s.err;
    EXPECT_EQ(s.out.substr(0, s.out.find("INSERT")), t.out.substr(0, t.out.find("INSERT"))) << "the CREATE TABLE";
    // SQLite runs it: three rows, of the tests asked.
    store::Database db((dir_ / "from-sql.db").string(), store::Database::Mode::create);
    db.exec(s.out);
    store::Statement rows(db, "SELECT count(*), sum(n_prompt), sum(n_gen) FROM llama_bench");
    ASSERT_TRUE(rows.step());
    EXPECT_EQ(rows.column_int(0), 3);
    EXPECT_EQ(rows.column_int(1), 24);
    EXPECT_EQ(rows.column_int(2), 4);
}

// The rows are the stored results: the figures on stdout are the database's, and a file of them imports.
TEST_F(BenchTest, RowsAreTheStoredResults) {
    const auto r = ours("json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto tests = nlohmann::json::parse(r.out);
    ASSERT_EQ(tests.size(), 3u);
    for (const auto& t : tests)
        EXPECT_EQ(count(fmt::format("SELECT count(*) FROM llama_bench WHERE n_prompt = {} AND n_gen = {} AND "
                                    "abs(avg_ts - {}) < 1e-6 * avg_ts",
                                    t.at("n_prompt").get<int64_t>(), t.at("n_gen").get<int64_t>(),
                                    t.at("avg_ts").get<double>())),
                  1)
            << t.dump();
    EXPECT_EQ(count("SELECT count(*) FROM runs WHERE mode = 'split' AND sweep_order = 'grouped' AND warmup = 1"), 1);
    EXPECT_EQ(count("SELECT count(*) FROM samples"), 6);
    // A second bench is a new run, as a second llama-bench is a new measurement.
    ASSERT_EQ(ours("none").exit_code, 0);
    EXPECT_EQ(count("SELECT count(*) FROM runs"), 2);
    const std::string file = (dir_ / "bench.json").string();
    std::ofstream(file) << r.out;
    const auto imported = run_llmsweep("import " + shell_quote(file) + " --db " + shell_quote(dir_ / "imported.db"));
    EXPECT_EQ(imported.exit_code, 0) << imported.err;
}

// Each row is written when its test ends: with the progress on the same pipe, the first test's row comes before
// the second test's repetitions.
TEST_F(BenchTest, EachRowIsWrittenAsItsTestEnds) {
    const auto r = run_shell(shell_quote(LLMSWEEP_BINARY) + " bench -m " + model() + tests + "-o jsonl --progress" +
                             db_arg() + " 2>&1");
    ASSERT_EQ(r.exit_code, 0) << r.out;
    const auto all = lines(r.out);
    std::vector<size_t> rows, progress;
    for (size_t i = 0; i < all.size(); ++i) (all[i].starts_with("{") ? rows : progress).push_back(i);
    ASSERT_EQ(rows.size(), 3u) << r.out;
    ASSERT_GE(progress.size(), 6u) << r.out; // two repetitions of each of three tests
    EXPECT_LT(rows[0], progress.back()) << r.out;
    EXPECT_GT(rows[0], progress.front()) << r.out;
}

// A model file named by the hostile strings: each format stays its format, and JSON and SQL give the name back
// byte for byte where it is UTF-8 (SQL for any bytes but NUL).
TEST_F(BenchTest, HostileFileNamesStayInTheirPlace) {
    size_t tried = 0;
    for (const test::Hostile& h : test::hostile_strings()) {
        if (h.text.find('/') != std::string::npos || h.text.find('\0') != std::string::npos || h.text.empty() ||
            h.text.size() > 200)
            continue; // not a file name
        const fs::path file = dir_ / (h.text + ".gguf");
        std::error_code ec;
        fs::copy_file(*models_ / "tiny.gguf", file, fs::copy_options::overwrite_existing, ec);
        if (ec) continue;
        const std::string base = "bench -m " + shell_quote(file) + " -p 8 -n 0 -r 1 -t 1 --db " +
                                 shell_quote(dir_ / "hostile.db") + " -o ";
        const auto sql = run_llmsweep(base + "sql");
        if (sql.err.find("is not valid UTF-8") != std::string::npos) continue; // refused, as run refuses it
        ASSERT_EQ(sql.exit_code, 0) << h.name << ": " << sql.err;
        ++tried;
        EXPECT_EQ(sql.out.find('\x1b'), std::string::npos) << h.name;
        store::Database db((dir_ / (h.name + ".db")).string(), store::Database::Mode::create);
        db.exec(sql.out);
        store::Statement name(db, "SELECT model_filename FROM llama_bench");
        ASSERT_TRUE(name.step()) << h.name;
        EXPECT_EQ(name.column_text(0), file.string()) << h.name;
        const auto json = run_llmsweep(base + "json");
        ASSERT_EQ(json.exit_code, 0) << h.name;
        const auto parsed = nlohmann::json::parse(json.out, nullptr, false);
        ASSERT_FALSE(parsed.is_discarded()) << h.name << ": " << json.out;
        if (test::shown_as_text(h.text) == h.text) EXPECT_EQ(parsed[0].at("model_filename"), file.string()) << h.name;
        for (const char* format : {"csv", "md", "jsonl"}) {
            const auto r = run_llmsweep(base + format);
            ASSERT_EQ(r.exit_code, 0) << h.name << " " << format;
            EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << h.name << " " << format;
            EXPECT_EQ(lines(r.out).size(), std::string(format) == "md" ? 5u : std::string(format) == "csv" ? 2u : 1u)
                << h.name << " " << format << ": " << r.out;
        }
    }
    EXPECT_GE(tried, 5u) << "most of the hostile strings are file names";
}

// A setting given several values ends with its verdicts, on stderr: stdout stays llama-bench's format.
TEST_F(BenchTest, ASweptSettingEndsWithItsVerdictsOnStderr) {
    const auto r = run_llmsweep("bench -m " + model() + " -p 8 -n 4 -r 3 -t 1 -b 16,32 -o json" + db_arg());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto tests = nlohmann::json::parse(r.out);
    EXPECT_EQ(tests.size(), 4u);
    EXPECT_NE(r.err.find("n_batch: each value against 16"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("a block is a repetition index"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("pp n_batch = 32: "), std::string::npos) << r.err;
    // A command to decide, where one is needed, measures again in rounds.
    if (const size_t at = r.err.find("to decide"); at != std::string::npos)
        EXPECT_NE(r.err.find("--order rounds --max-repetitions", at), std::string::npos) << r.err;
}

TEST_F(BenchTest, LlamaBenchsOptionsAndRefusals) {
    const auto r = run_llmsweep("bench -m " + model() + " -p 8 -n 0 -r 1 -t 1 --no-warmup -o csv" + db_arg());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(count("SELECT warmup FROM runs"), 0);
    EXPECT_EQ(lines(r.out).size(), 2u) << "-n 0: no generation test, as llama-bench";
    expect_usage_error(run_llmsweep("bench -m " + model() + " -o xml" + db_arg()), "md, csv, json, jsonl, sql");
    expect_usage_error(run_llmsweep("bench -m " + model() + " --mode server" + db_arg()), "llmsweep run --mode");
    expect_usage_error(run_llmsweep("bench -m " + model() + " --no-warmup --warmup 2" + db_arg()), "--no-warmup");
    // run points a llama-bench user to it.
    const auto hint = run_llmsweep("run -m " + model() + " -o json" + db_arg());
    EXPECT_NE(hint.err.find("llmsweep bench"), std::string::npos) << hint.err;
}

} // namespace
} // namespace llmsweep
