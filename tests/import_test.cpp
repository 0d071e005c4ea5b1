// `llmsweep import`: files written by the real llama-bench (built from the same llama.cpp source) in all four
// formats, read back field by field through the llama_bench table; and hand-made damaged files, each refused
// with its line or record and nothing stored.

#include "faulty_disk.hpp"
#include "importers/importer.hpp"
#include "llama_bench/fields.hpp"
#include "llama_bench/output.hpp"
#include "store/sqlite.hpp"
#include "test_support.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

namespace llmsweep {
namespace {

using test::run_llmsweep;
using test::run_shell;
using test::shell_quote;
using test::TempDir;
namespace fs = std::filesystem;

using test::llama_bench_columns;

using Table = std::vector<std::vector<std::string>>; // rows of llama_bench_columns, as text

Table llama_bench_rows(const fs::path& db_path, int64_t run_id) {
    store::Database db(db_path.string(), store::Database::Mode::existing);
    std::string columns;
    for (const auto& c : llama_bench_columns())
        columns += (columns.empty() ? "" : ", ") + ("CAST(llama_bench." + c + " AS TEXT)");
    store::Statement s(db, "SELECT " + columns +
                               " FROM llama_bench JOIN results ON results.id = llama_bench.result_id "
                               "WHERE results.run_id = " +
                               std::to_string(run_id) + " ORDER BY result_id");
    Table rows;
    while (s.step()) {
        rows.emplace_back();
        for (size_t i = 0; i < llama_bench_columns().size(); ++i)
            rows.back().push_back(s.column_text(static_cast<int>(i)));
    }
    return rows;
}

// A JSON value as llama-bench's SQL output writes it.
std::string as_text(const nlohmann::json& v) {
    if (v.is_boolean()) return v.get<bool>() ? "1" : "0";
    if (v.is_string()) return v.get<std::string>();
    return v.dump();
}

void expect_same_tests(const Table& stored, const Table& written, const std::string& format) {
    ASSERT_EQ(stored.size(), written.size()) << format;
    for (size_t r = 0; r < stored.size(); ++r)
        for (size_t i = 0; i < llama_bench_columns().size(); ++i) {
            const std::string& column = llama_bench_columns()[i];
            if (column == "avg_ts" || column == "stddev_ts")
                EXPECT_NEAR(std::stod(stored[r][i]), std::stod(written[r][i]), 1e-6 * std::stod(written[r][i]) + 1e-6)
                    << format << " test " << r << " " << column;
            else EXPECT_EQ(stored[r][i], written[r][i]) << format << " test " << r << " " << column;
        }
}

class ImportRealLlamaBench : public ::testing::Test {
protected:
    void SetUp() override {
        if (std::string(LLMSWEEP_LLAMA_BENCH).empty())
            GTEST_SKIP() << "no llama-bench: llama.cpp is an installed one without it on PATH";
        // CTest writes it once before these tests (the llama_bench_output fixture); a direct run writes it here.
        if (!fs::exists(output_dir() / "out.md")) {
            const auto r =
                run_shell(shell_quote(LLMSWEEP_MAKE_LLAMA_BENCH_OUTPUT) + " " + shell_quote(LLMSWEEP_BINARY) + " " +
                          shell_quote(LLMSWEEP_LLAMA_BENCH) + " " + shell_quote(output_dir()));
            ASSERT_EQ(r.exit_code, 0) << r.err;
        }
    }

    static fs::path output_dir() { return LLMSWEEP_LLAMA_BENCH_OUTPUT; }
    fs::path file(const std::string& format) const { return output_dir() / ("out." + format); }
    std::string db() const { return shell_quote(db_path()); }
    fs::path db_path() const { return scratch_ / "import.db"; }

    int64_t import(const std::string& format) {
        const auto r = run_llmsweep("import " + shell_quote(file(format)) + " --db " + db());
        EXPECT_EQ(r.exit_code, 0) << r.err;
        store::Database db(db_path().string(), store::Database::Mode::existing);
        store::Statement s(db, "SELECT max(id) FROM runs");
        s.step();
        return s.column_int(0);
    }

    TempDir scratch_;
};

TEST_F(ImportRealLlamaBench, JsonAndJsonlKeepEveryFieldAndEverySample) {
    for (const std::string format : {"json", "jsonl"}) {
        const int64_t run = import(format);
        std::vector<nlohmann::json> tests;
        if (format == "json") {
            for (const auto& t : nlohmann::json::parse(test::read_file(file(format)))) tests.push_back(t);
        } else {
            std::istringstream lines(test::read_file(file(format)));
            for (std::string line; std::getline(lines, line);) tests.push_back(nlohmann::json::parse(line));
        }
        ASSERT_EQ(tests.size(), 12u) << "2 threads x 2 depths x (pp, tg, pg)";
        Table written;
        for (const auto& t : tests) {
            written.emplace_back();
            for (const auto& c : llama_bench_columns()) written.back().push_back(as_text(t.at(c)));
        }
        expect_same_tests(llama_bench_rows(db_path(), run), written, format);

        store::Database db(db_path().string(), store::Database::Mode::existing);
        store::Statement s(db, "SELECT s.ns, s.ts FROM samples AS s JOIN results AS r ON r.id = s.result_id "
                               "WHERE r.run_id = " +
                                   std::to_string(run) + " ORDER BY r.id, s.repetition");
        for (const auto& t : tests)
            for (size_t k = 0; k < t.at("samples_ns").size(); ++k) {
                ASSERT_TRUE(s.step());
                EXPECT_EQ(s.column_int(0), t["samples_ns"][k].get<int64_t>());
                EXPECT_DOUBLE_EQ(s.column_double(1), t["samples_ts"][k].get<double>());
            }
        EXPECT_FALSE(s.step()) << "no sample beyond the file's";
    }
}

TEST_F(ImportRealLlamaBench, CsvAndSqlKeepEveryField) {
    // CSV: a header, then every value quoted.
    {
        const int64_t run = import("csv");
        std::istringstream lines(test::read_file(file("csv")));
        std::string header;
        std::getline(lines, header);
        std::string expected_header;
        for (const auto& c : llama_bench_columns()) expected_header += (expected_header.empty() ? "" : ",") + c;
        EXPECT_EQ(header, expected_header);
        Table written;
        for (std::string line; std::getline(lines, line);) {
            written.emplace_back();
            std::smatch m;
            for (std::string rest = line; std::regex_search(rest, m, std::regex("\"([^\"]*)\"")); rest = m.suffix())
                written.back().push_back(m[1]);
        }
        expect_same_tests(llama_bench_rows(db_path(), run), written, "csv");
    }
    // SQL: one INSERT per test, every value quoted.
    {
        const int64_t run = import("sql");
        std::istringstream lines(test::read_file(file("sql")));
        Table written;
        for (std::string line; std::getline(lines, line);) {
            if (line.rfind("INSERT", 0) != 0) continue;
            written.emplace_back();
            std::smatch m;
            for (std::string rest = line.substr(line.find("VALUES"));
                 std::regex_search(rest, m, std::regex("'([^']*)'")); rest = m.suffix())
                written.back().push_back(m[1]);
        }
        expect_same_tests(llama_bench_rows(db_path(), run), written, "sql");
    }
}

TEST_F(ImportRealLlamaBench, TheSameFileTwiceAddsNothing) {
    import("jsonl");
    const auto r = run_llmsweep("import " + shell_quote(file("jsonl")) + " --db " + db());
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("already imported"), std::string::npos) << r.out;
    store::Database db(db_path().string(), store::Database::Mode::existing);
    store::Statement s(db, "SELECT (SELECT count(*) FROM runs), (SELECT count(*) FROM results), "
                           "(SELECT count(*) FROM samples)");
    s.step();
    EXPECT_EQ(s.column_int(0), 1);
    EXPECT_EQ(s.column_int(1), 12);
    EXPECT_EQ(s.column_int(2), 24);
}

TEST_F(ImportRealLlamaBench, ReadsStandardInputAsAFile) {
    auto r = run_shell(shell_quote(LLMSWEEP_BINARY) + " import - --db " + db() + " < " + shell_quote(file("csv")));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("-: 12 tests (csv) imported as run 1"), std::string::npos) << r.out;
    // The same bytes from the file are recognized as imported already.
    r = run_llmsweep("import " + shell_quote(file("csv")) + " --db " + db());
    EXPECT_NE(r.out.find("already imported (run 1)"), std::string::npos) << r.out;
}

TEST_F(ImportRealLlamaBench, MarkdownIsRefusedWithTheFormatsToUse) {
    const auto r = run_llmsweep("import " + shell_quote(file("md")) + " --db " + db());
    test::expect_one_line_error(r, "-o jsonl");
    EXPECT_NE(r.err.find("out.md"), std::string::npos) << r.err;
}

TEST_F(ImportRealLlamaBench, ImportedResultsAreReported) {
    import("jsonl");
    const auto r = run_llmsweep("report --db " + db() + " --out " + shell_quote(scratch_ / "report") +
                                " --compare n_threads --format md --no-charts --lang en");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string md = test::read_file(scratch_ / "report" / "report.md");
    EXPECT_NE(md.find("n_threads"), std::string::npos);
    EXPECT_NE(md.find("tiny.gguf"), std::string::npos);
    // llama-bench's -pg test is a metric of its own, shown after pp and tg as llama-bench orders them.
    const size_t pp = md.find("### PP"), tg = md.find("### TG"),
                 pg = md.find("### PG (prompt then generation, llama-bench -pg)");
    ASSERT_NE(pg, std::string::npos) << md;
    EXPECT_LT(pp, tg);
    EXPECT_LT(tg, pg);
}

// --compare and --where take the flags' names as well as the results' columns: threads is n_threads, cache is
// cache_state; the report is the same.
TEST_F(ImportRealLlamaBench, TheReportTakesTheFlagsNamesOfParameters) {
    import("jsonl");
    std::string reports[2];
    const char* arguments[2] = {" --compare n_threads --where cache_state=warm",
                                " --compare threads --where cache=warm"};
    for (int i = 0; i < 2; ++i) {
        const fs::path out = scratch_ / fmt::format("report-{}", i);
        const auto r = run_llmsweep("report --db " + db() + " --out " + shell_quote(out) + arguments[i] +
                                    " --format csv --no-charts --lang en");
        ASSERT_EQ(r.exit_code, 0) << r.err;
        reports[i] = test::read_file(out / "summary.csv");
    }
    EXPECT_NE(reports[0].find("n_threads"), std::string::npos) << reports[0];
    EXPECT_EQ(reports[0], reports[1]);
}

// The same llama-bench output imported as two builds (its build_commit edited): one run of each cannot tell a build
// from the variation between runs, so the report gives an estimate and no verdict, saying how to get one. Two more
// files of each (their test times edited, so that they are new files) make three runs of each: the runs are then
// the replicates, and the identical files are still not called different.
TEST_F(ImportRealLlamaBench, OneRunOfEachBuildGetsNoVerdict) {
    const auto as_build = [&](const std::string& commit, int copy) {
        const fs::path edited = scratch_ / fmt::format("{}-{}.jsonl", commit, copy);
        const auto r =
            run_shell("sed -e 's/\"build_commit\": \"[0-9a-f]*\"/\"build_commit\": \"" + commit +
                      "\"/' -e 's/\"test_time\": \"[^\"]*\"/\"test_time\": \"2026-01-0" + std::to_string(copy + 1) +
                      "T00:00:00Z\"/' " + shell_quote(file("jsonl")) + " > " + shell_quote(edited));
        ASSERT_EQ(r.exit_code, 0) << r.err;
        const auto imported = run_llmsweep("import " + shell_quote(edited) + " --db " + db());
        ASSERT_EQ(imported.exit_code, 0) << imported.err;
    };
    const auto report = [&] {
        const fs::path out = scratch_ / "report";
        const auto r =
            run_llmsweep("report --db " + db() + " --out " + shell_quote(out) +
                         " --compare build_commit --baseline aaaaaaa --format json,md --no-charts --lang en");
        EXPECT_EQ(r.exit_code, 0) << r.err;
        const std::string md = test::read_file(out / "report.md");
        EXPECT_EQ(test::report_text_defects(md), std::vector<std::string>{});
        EXPECT_NE(md.find("Imported from llama-bench's output"), std::string::npos) << "not 'measured by llmsweep'";
        return std::pair{nlohmann::json::parse(test::read_file(out / "report.json")), md};
    };
    as_build("aaaaaaa", 0);
    as_build("bbbbbbb", 0);
    auto [json, md] = report();
    ASSERT_FALSE(json.at("comparisons").empty());
    for (const auto& c : json["comparisons"]) {
        EXPECT_EQ(c.at("design"), "between runs") << c.dump();
        EXPECT_EQ(c.at("verdict"), "one run of each, no interval") << c.dump();
        EXPECT_NE(c.at("verdict_explained").get<std::string>().find("one run of each"), std::string::npos);
        EXPECT_NEAR(c.at("difference_percent").get<double>(), 0.0, 1e-6) << "the same file";
    }
    EXPECT_NE(md.find("--llama-bench A,B"), std::string::npos) << "the command that would decide";
    for (int copy : {1, 2}) {
        as_build("aaaaaaa", copy);
        as_build("bbbbbbb", copy);
    }
    std::tie(json, md) = report();
    for (const auto& c : json["comparisons"]) {
        EXPECT_EQ(c.at("replicates_are"), "runs") << c.dump();
        EXPECT_EQ(c.at("runs_of_baseline"), 3);
        EXPECT_EQ(c.at("runs_of_value"), 3);
        EXPECT_NE(c.at("verdict"), "faster") << c.dump();
        EXPECT_NE(c.at("verdict"), "slower") << c.dump();
    }
}

// --- Read by llama.cpp's own tools ------------------------------------------------------------------------------

// llama.cpp's scripts/compare-llama-bench.py reads an llmsweep database holding two builds: a sweep by
// llmsweep, and a llama-bench file imported under another commit (standing for a second llama.cpp build).
TEST(CompareLlamaBench, ReadsAnLlmsweepDatabaseWithTwoBuilds) {
    if (std::string(LLMSWEEP_COMPARE_LLAMA_BENCH).empty() || std::string(LLMSWEEP_LLAMA_BENCH).empty())
        GTEST_SKIP() << "no llama.cpp source tree with scripts/compare-llama-bench.py, or no llama-bench";
    if (run_shell("/usr/bin/python3 -c 'import git, tabulate'").exit_code != 0)
        GTEST_SKIP() << "compare-llama-bench.py needs Python with python3-git and python3-tabulate";
    TempDir dir;
    const std::string cd = "cd " + shell_quote(dir.path()) + " && ";
    ASSERT_EQ(run_llmsweep("synth --preset tiny -o " + shell_quote(dir / "tiny.gguf")).exit_code, 0);
    auto r = run_shell(cd + shell_quote(LLMSWEEP_BINARY) +
                       " run -m tiny.gguf --mode split -p 16 -n 8 -t 1 -r 2 -q --db b.db");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // llama-bench at its defaults, which are llmsweep's (all layers offloaded, load mode auto): the tests match.
    r = run_shell(cd + shell_quote(LLMSWEEP_LLAMA_BENCH) +
                  " -m tiny.gguf -p 16 -n 8 -t 1 -r 2 -o jsonl 2>/dev/null"
                  " | sed 's/\"build_commit\": \"[0-9a-f]*\"/\"build_commit\": \"b2c3d4e\"/' > other.jsonl");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = run_llmsweep("import " + shell_quote(dir / "other.jsonl") + " --db " + shell_quote(dir / "b.db"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    store::Database db((dir / "b.db").string(), store::Database::Mode::existing);
    store::Statement commit(db, "SELECT build_commit FROM runs WHERE source = 'run'");
    ASSERT_TRUE(commit.step());
    const std::string ours = commit.column_text(0);

    r = run_shell("/usr/bin/python3 " + shell_quote(LLMSWEEP_COMPARE_LLAMA_BENCH) + " -i " + shell_quote(dir / "b.db") +
                  " -b " + ours + " -c b2c3d4e");
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    // | Model | Test | t/s <ours> | t/s b2c3d4e | Speedup |, a row per test.
    EXPECT_NE(r.out.find("t/s " + ours), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("t/s b2c3d4e"), std::string::npos) << r.out;
    for (const char* test_name : {"| pp16 ", "| tg8 "}) EXPECT_NE(r.out.find(test_name), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("llama ?B Q8_0"), std::string::npos) << r.out;

    // llmsweep's own comparison of the two builds pairs the same tests across the sweep and the import.
    r = run_llmsweep("report --compare build_commit --baseline " + ours + " --format json --no-charts --out " +
                     shell_quote(dir / "report") + " --db " + shell_quote(dir / "b.db"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto report = nlohmann::json::parse(test::read_file(dir / "report" / "report.json"));
    ASSERT_EQ(report.at("comparisons").size(), 2u) << report.dump(2);
    for (const auto& c : report["comparisons"]) {
        EXPECT_EQ(c.at("value"), "b2c3d4e");
        EXPECT_EQ(c.at("pairs"), 1) << c.dump();
        EXPECT_EQ(c.at("unpaired"), 0) << c.dump();
    }
}

// --- Damaged and foreign files -------------------------------------------------------------------------------

// One test as the pinned llama-bench writes it with -o jsonl.
const char* const good_jsonl =
    R"({"build_commit": "80fb11a", "build_number": 1, "cpu_info": "Xeon", "gpu_info": "", "backends": "CPU", )"
    R"("model_filename": "m.gguf", "model_type": "llama ?B Q8_0", "model_size": 385536, "model_n_params": 361088, )"
    R"("n_batch": 2048, "n_ubatch": 512, "n_threads": 1, "cpu_mask": "0x0", "cpu_strict": false, "poll": 50, )"
    R"("type_k": "f16", "type_v": "f16", "n_gpu_layers": -1, "n_cpu_moe": 0, "split_mode": "layer", )"
    R"("main_gpu": 0, "no_kv_offload": false, "flash_attn": -1, "devices": "auto", "tensor_split": "0.00", )"
    R"("tensor_buft_overrides": "none", "load_mode": "auto", "lazy_mode": "auto", "embeddings": false, )"
    R"("no_op_offload": 0, "no_host": false, "fit_target": 0, "fit_min_ctx": 0, "n_prompt": 16, "n_gen": 0, )"
    R"("n_depth": 0, "test_time": "2026-11-29T18:30:20Z", "avg_ns": 409247, "stddev_ns": 17329, )"
    R"("avg_ts": 39131.277714, "stddev_ts": 1657.033918, "samples_ns": [ 421501, 396993 ],)"
    R"("samples_ts": [ 37959.6, 40303 ]})";

std::string replaced(std::string text, const std::string& from, const std::string& to) {
    const size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return text.replace(at, from.size(), to);
}

const std::string csv_header =
    "build_commit,model_filename,n_threads,n_prompt,n_gen,test_time,avg_ns,stddev_ns,avg_ts,stddev_ts";
const std::string csv_row = R"("abc","m.gguf","4","512","0","2026-01-01T00:00:00Z","1000","10","512000.0","5.0")";
const std::string sql_insert = "INSERT INTO llama_bench (build_commit, model_filename, n_threads, n_prompt, n_gen, "
                               "avg_ns, avg_ts) VALUES ('abc', 'm.gguf', '4', '512', '0', '1000', '512000.0');";

struct Damaged {
    std::string name, content, must_mention;
};

std::vector<Damaged> damaged_files() {
    const std::string line = good_jsonl;
    return {
        {"truncated.json", "[\n  " + line + ",\n  " + line.substr(0, 200), "ends early"},
        {"truncated.jsonl", line + "\n" + line.substr(0, 300) + "\n", "line 2"},
        {"truncated.csv", csv_header + "\n" + csv_row + "\n" + csv_row.substr(0, 30) + "\n", "line 3"},
        {"quote.csv", csv_header + "\n" + csv_row + "\n\"abc\",\"m.gguf", "ends inside a quoted value"},
        {"truncated.sql", sql_insert + "\n" + sql_insert.substr(0, 120), "line 2"},
        {"type.jsonl", line + "\n" + replaced(line, "\"n_prompt\": 16", "\"n_prompt\": \"sixteen\""), "n_prompt"},
        {"unknown.txt", "model,speed\nllama,12\n", "not llama-bench output"},
        {"numbers.json", "[1, 2, 3]", "record 1: expected an object"},
        {"object.json", "[" + line + ", \"x\"]", "record 2"},
        {"missing.csv", replaced(csv_header, ",avg_ts", "") + "\n" + replaced(csv_row, ",\"512000.0\"", "") + "\n",
         "'avg_ts' is missing"},
        {"extra.csv", csv_header + ",speedup\n" + csv_row + ",\"2\"\n", "unknown field 'speedup'"},
        {"drop.sql", sql_insert + "\nDROP TABLE llama_bench;\n", "line 2: only llama-bench's"},
        {"attach.sql", "ATTACH DATABASE '/tmp/x.db' AS x;\n", "only llama-bench's"},
        {"other-table.sql", replaced(sql_insert, "llama_bench", "results"), "llama-bench's table"},
        {"huge.jsonl", replaced(line, "\"n_prompt\": 16", "\"n_prompt\": 99999999999999999999"), "n_prompt"},
        {"overflow.jsonl", replaced(line, "\"avg_ts\": 39131.277714", "\"avg_ts\": 1e400"),
         "number overflow parsing '1e400'"},
        {"huge.csv", csv_header + "\n" + replaced(csv_row, "\"512\"", "\"99999999999999999999\"") + "\n", "in range"},
        {"negative.jsonl", replaced(line, "\"avg_ns\": 409247", "\"avg_ns\": -409247"), "avg_ns"},
        {"negative-sample.jsonl", replaced(line, "421501", "-421501"), "samples_ns"},
        {"infinite.json", "[" + replaced(line, "\"avg_ts\": 39131.277714", "\"avg_ts\": 1e999") + "]", "line 1"},
        {"latin1.jsonl", replaced(line, "m.gguf", "m\xe9.gguf"), "not UTF-8"},
        {"samples.jsonl", replaced(line, "[ 421501, 396993 ]", "[ 421501 ]"), "samples_ns has 1 values"},
        {"empty.json", "", "empty"},
        {"flash.jsonl", replaced(line, "\"flash_attn\": -1", "\"flash_attn\": 7"), "flash_attn"},
        {"duplicate.jsonl", line + "\n" + replaced(line, "\"n_prompt\": 16", "\"n_prompt\": 16, \"n_prompt\": 512"),
         "line 2: the key 'n_prompt' appears twice"},
        {"duplicate.json", "[" + line + ", " + replaced(line, "\"n_gen\": 0", "\"n_gen\": 0, \"n_gen\": 9") + "]",
         "record 2: the key 'n_gen' appears twice"},
        {"nul-escape.jsonl", replaced(line, "m.gguf", "m\\u0000x.gguf"), "NUL character"},
        {"nul-byte.csv", csv_header + "\n" + replaced(csv_row, "m.gguf", std::string("m\0x.gguf", 8)) + "\n",
         "NUL byte"},
    };
}

TEST(ImportDamaged, EachIsRefusedWithWhereAndWhatAndNothingStored) {
    TempDir dir;
    const std::string db = shell_quote(dir / "d.db");
    for (const Damaged& d : damaged_files()) {
        std::ofstream(dir / d.name, std::ios::binary) << d.content;
        const auto r = run_llmsweep("import " + shell_quote(dir / d.name) + " --db " + db);
        SCOPED_TRACE(d.name);
        test::expect_one_line_error(r, d.must_mention);
        EXPECT_NE(r.err.find(d.name), std::string::npos) << "names the file: " << r.err;
        EXPECT_EQ(r.err.find("json.exception"), std::string::npos) << "a library's tag is no message: " << r.err;
    }
    test::expect_one_line_error(run_llmsweep("import " + shell_quote(dir.path()) + " --db " + db), "is a folder");
    test::expect_one_line_error(run_llmsweep("import " + shell_quote(dir / "absent.jsonl") + " --db " + db),
                                "cannot read");
    store::Database database((dir / "d.db").string(), store::Database::Mode::existing);
    store::Statement s(database, "SELECT (SELECT count(*) FROM runs) + (SELECT count(*) FROM results)");
    s.step();
    EXPECT_EQ(s.column_int(0), 0) << "a damaged file imports nothing";
}

TEST(ImportDamaged, AMissingFileIsTheSameErrorAloneOrWithOthers) {
    TempDir dir;
    std::ofstream(dir / "good.jsonl") << good_jsonl << "\n";
    const std::string db = " --db " + shell_quote(dir / "d.db");
    const auto alone = run_llmsweep("import " + shell_quote(dir / "absent.jsonl") + db);
    const auto beside =
        run_llmsweep("import " + shell_quote(dir / "good.jsonl") + " " + shell_quote(dir / "absent.jsonl") + db);
    EXPECT_EQ(alone.exit_code, 2) << alone.err;
    EXPECT_EQ(beside.exit_code, alone.exit_code) << beside.err;
    EXPECT_NE(beside.out.find("good.jsonl: 1 tests"), std::string::npos) << beside.out;
}

TEST(ImportDamaged, GoodFilesGoInWhenAnotherFails) {
    TempDir dir;
    std::ofstream(dir / "good.jsonl") << good_jsonl << "\n";
    std::ofstream(dir / "bad.jsonl") << replaced(good_jsonl, "\"n_gen\": 0", "\"n_gen\": -3") << "\n";
    const auto r = run_llmsweep("import " + shell_quote(dir / "good.jsonl") + " " + shell_quote(dir / "bad.jsonl") +
                                " --db " + shell_quote(dir / "d.db"));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("bad.jsonl: line 1: n_gen"), std::string::npos) << r.err;
    EXPECT_NE(r.out.find("good.jsonl: 1 tests"), std::string::npos) << r.out;
}

// A disk that fills at any one of an import's writes: the import fails naming the file and the full disk, and the
// database is whole and holds what it held (or, where the write came after the commit, the whole file); with
// space again, the same file goes in whole, once.
TEST(ImportFullDisk, AtAnyWriteTheDatabaseKeepsWhatItHeldAndTheFileGoesInLater) {
    TempDir dir;
    std::ofstream(dir / "first.jsonl") << good_jsonl << "\n";
    {
        std::ofstream file(dir / "many.jsonl");
        for (int n = 32; n < 32 + 40; ++n)
            file << replaced(good_jsonl, "\"n_prompt\": 16", fmt::format("\"n_prompt\": {}", n)) << "\n";
    }
    const fs::path base = dir / "base.db";
    {
        store::Store store(base.string());
        importers::import_file(store, (dir / "first.jsonl").string());
    }
    const auto counts = [](const fs::path& db) {
        store::Database d(db.string(), store::Database::Mode::existing);
        std::vector<int64_t> out;
        for (const char* sql :
             {"SELECT count(*) FROM runs", "SELECT count(*) FROM results", "SELECT count(*) FROM samples",
              "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check != 'ok'"}) {
            store::Statement s(d, sql);
            EXPECT_TRUE(s.step());
            out.push_back(s.column_int(0));
        }
        return out;
    };
    const auto import_into = [&](const fs::path& db) {
        store::Store store(db.string());
        return importers::import_file(store, (dir / "many.jsonl").string());
    };
    const std::vector<int64_t> before = counts(base), after = {before[0] + 1, before[1] + 40, before[2] + 80, 0};
    test::FaultyDisk disk;
    const fs::path probe = dir / "probe.db";
    fs::copy_file(base, probe);
    import_into(probe);
    ASSERT_EQ(counts(probe), after);
    const int64_t writes = disk.writes();
    ASSERT_GT(writes, 5);
    for (int64_t write = 1; write <= writes; ++write) {
        SCOPED_TRACE(fmt::format("the disk full at write {} of {}", write, writes));
        const fs::path db = dir / fmt::format("full-{}.db", write);
        fs::copy_file(base, db);
        const auto full = disk.attempt_full_at(write, [&] { import_into(db); });
        if (full.failed) EXPECT_NE(full.error.find("the disk is full"), std::string::npos) << full.error;
        EXPECT_EQ(counts(db), full.failed ? before : after);
        EXPECT_EQ(import_into(db).already_imported, !full.failed);
        EXPECT_EQ(counts(db), after) << "the file in whole, once";
    }
}

// --- What the fuzzers found -----------------------------------------------------------------------------------

// fuzz/corpus holds real llama-bench output (the fuzzers' seeds), which must import; fuzz/regressions holds
// every input that once crashed an importer (scripts/fuzz.sh keeps them), which must now be refused cleanly.
TEST(ImportFuzzInputs, SeedsParseAndCrashersAreRefusedCleanly) {
    const fs::path fuzz = fs::path(LLMSWEEP_SOURCE_DIR) / "fuzz";
    const std::map<std::string, void (*)(std::string_view, const llama_bench::TestSink&)> parsers = {
        {"json", llama_bench::parse_json},
        {"jsonl", llama_bench::parse_jsonl},
        {"csv", llama_bench::parse_csv},
        {"sql", llama_bench::parse_sql}};
    size_t seeds = 0;
    for (const auto& [format, parse] : parsers)
        for (const auto& entry : fs::directory_iterator(fuzz / "corpus" / format)) {
            size_t tests = 0;
            parse(test::read_file(entry.path()), [&](llama_bench::RawTest&& t) {
                EXPECT_NO_THROW(llama_bench::to_bench_test(t.fields)) << entry.path() << " " << t.where;
                ++tests;
            });
            EXPECT_GT(tests, 0u) << entry.path();
            ++seeds;
        }
    EXPECT_EQ(seeds, 4u);
    for (const auto& entry : fs::directory_iterator(fuzz / "regressions")) {
        const std::string name = entry.path().filename().string();
        const auto parser = parsers.find(name.substr(0, name.find('-')));
        if (parser == parsers.end()) continue;
        try {
            parser->second(test::read_file(entry.path()),
                           [](llama_bench::RawTest&& t) { llama_bench::to_bench_test(t.fields); });
        } catch (const llama_bench::FormatError&) {
        } catch (const std::exception& e) {
            ADD_FAILURE() << name << ": " << e.what();
        }
    }
}

// --- Older llama-bench versions ------------------------------------------------------------------------------

TEST(ImportOlderVersions, UseMmapAndBooleanFlashAttentionAndBackendFlags) {
    nlohmann::json old = nlohmann::json::parse(good_jsonl);
    for (const char* gone : {"load_mode", "lazy_mode", "backends", "n_depth", "n_cpu_moe", "no_host", "fit_target",
                             "fit_min_ctx", "devices", "no_op_offload", "tensor_buft_overrides"})
        old.erase(gone);
    old["use_mmap"] = false;
    old["flash_attn"] = true;
    old["cuda"] = true;
    old["metal"] = false;
    const llama_bench::BenchTest t = llama_bench::to_bench_test(old);
    EXPECT_EQ(t.point.load.load_mode, domain::LoadMode::none);
    EXPECT_EQ(t.point.context.flash_attn, "on");
    EXPECT_EQ(t.backends, "CUDA");
    EXPECT_EQ(t.point.test.n_depth, 0);
    old["use_direct_io"] = true;
    EXPECT_EQ(llama_bench::to_bench_test(old).point.load.load_mode, domain::LoadMode::dio);
}

std::vector<llama_bench::RawTest> read_all(std::string_view content) {
    std::vector<llama_bench::RawTest> tests;
    llama_bench::read_llama_bench_output(content, [&](llama_bench::RawTest&& t) { tests.push_back(std::move(t)); });
    return tests;
}

TEST(ImportOlderVersions, SqlWithTheOldTableNameAndCsvWithCrLf) {
    const auto sql = read_all("CREATE TABLE IF NOT EXISTS test (\n  build_commit TEXT,\n  n_prompt INTEGER\n);\n\n"
                              "INSERT INTO test (build_commit, n_prompt) VALUES ('it''s', '512');\n");
    ASSERT_EQ(sql.size(), 1u);
    EXPECT_EQ(sql[0].fields["build_commit"], "it's");
    EXPECT_EQ(sql[0].where, "line 6");
    const auto csv = read_all(csv_header + "\r\n" + csv_row + "\r\n" + csv_row + "\r\n");
    ASSERT_EQ(csv.size(), 2u);
    EXPECT_EQ(csv[1].fields["avg_ts"], "512000.0");
    EXPECT_EQ(csv[1].where, "line 3");
}

} // namespace
} // namespace llmsweep
