#include "chart/charts.hpp"
#include "chart/figure.hpp"
#include "core/error.hpp"
#include "domain/machine.hpp"
#include "domain/model_names.hpp"
#include "report/report_model.hpp"
#include "report/strings.hpp"
#include "report/tables.hpp"
#include "report/writers.hpp"
#include "store/store.hpp"
#include "test_support.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <tuple>

#include <zlib.h>

namespace llmsweep::report {
namespace {

using test::run_llmsweep;
using test::shell_quote;
namespace fs = std::filesystem;

// A database with two models (one with a comma and a quote in its name), pp and tg, two load modes, mmap
// 10 % faster on 16 matched points: enough pairs for the difference to survive Holm across 4 comparisons.
class ReportTest : public ::testing::Test {
protected:
    ReportTest() : db_path((dir / "r.db").string()) {
        store::Store store(db_path);
        const int64_t run = test::insert_test_run(store);
        int i = 0;
        for (const std::string model : {"plain.gguf", "odd, \"name\".gguf"})
            for (const std::string metric : {"pp", "tg"})
                for (const std::string mode : {"none", "mmap"})
                    for (int64_t p = 32; p <= 512; p += 32) {
                        const double ts = (metric == "pp" ? 400.0 : 50.0) * (mode == "mmap" ? 1.1 : 1.0) *
                                          (1.0 + 0.003 * ((i++ * 7) % 5));
                        test::ok_result(store, run, model + mode + std::to_string(p), metric,
                                        test::point_row("/m/" + model, mode, p, 32), ts, ts * 0.01);
                    }
    }

    ReportModel model(ReportOptions options = {}) {
        store::Store store(db_path);
        return build_report(store, db_path, options);
    }

    test::TempDir dir;
    std::string db_path;
};

// Splits RFC 4180 text into records of fields.
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
    std::vector<std::vector<std::string>> records(1, std::vector<std::string>(1));
    bool quoted = false;
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (quoted) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') records.back().back() += '"', ++i;
            else if (c == '"') quoted = false;
            else records.back().back() += c;
        } else if (c == '"') quoted = true;
        else if (c == ',') records.back().emplace_back();
        else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
            ++i;
            records.emplace_back(1);
        } else records.back().back() += c;
    }
    if (records.back().size() == 1 && records.back()[0].empty()) records.pop_back();
    return records;
}

TEST_F(ReportTest, CountsAddUpAndNamesComeFromTheData) {
    const ReportModel m = model();
    EXPECT_EQ(m.compare, "load_mode");
    size_t sum = 0;
    for (const auto& c : m.counts) sum += c.records;
    EXPECT_EQ(sum, m.total_records());
    EXPECT_EQ(m.total_records(), 2u * 2u * 2u * 16u);
    EXPECT_EQ(m.models, (std::vector<std::string>{"odd, \"name\".gguf", "plain.gguf"})) << "by name, everywhere";
    const std::string md = markdown_report(m, "en");
    EXPECT_NE(md.find("- Results: 128"), std::string::npos);
    EXPECT_NE(md.find("odd, \"name\".gguf"), std::string::npos);
}

TEST_F(ReportTest, EveryMarkdownTableRowHasAsManyCellsAsItsHeader) {
    for (const char* lang : {"en", "zh"}) {
        const std::string md = markdown_report(model(), lang);
        std::istringstream lines(md);
        std::string line;
        long header_cells = -1;
        while (std::getline(lines, line)) {
            if (line.rfind("|", 0) != 0) {
                header_cells = -1;
                continue;
            }
            // Cells are separated by unescaped pipes.
            long cells = 0;
            for (size_t i = 0; i < line.size(); ++i)
                if (line[i] == '|' && (i == 0 || line[i - 1] != '\\')) ++cells;
            if (header_cells < 0) header_cells = cells;
            EXPECT_EQ(cells, header_cells) << lang << ": " << line;
        }
    }
}

// Strings holds nothing but string_views, so it can be read as an array of them: every one is set in both
// languages (the compiler's missing-initializer warning is off for strings.cpp, so nothing else checks it).
TEST(ReportStrings, EveryStringIsSetInBothLanguages) {
    static_assert(sizeof(Strings) % sizeof(std::string_view) == 0);
    constexpr size_t count = sizeof(Strings) / sizeof(std::string_view);
    for (const char* language : {"zh", "en"}) {
        const auto* all = reinterpret_cast<const std::string_view*>(&strings(language));
        for (size_t i = 0; i < count; ++i) EXPECT_FALSE(all[i].empty()) << language << " string number " << i;
    }
}

TEST_F(ReportTest, ChineseAndEnglishReportsSayTheSame) {
    const ReportModel m = model();
    const std::string zh = markdown_report(m, "zh"), en = markdown_report(m, "en");
    EXPECT_NE(zh.find("## 数据概览"), std::string::npos);
    EXPECT_NE(zh.find("## 差异分析"), std::string::npos);
    EXPECT_NE(en.find("## Data overview"), std::string::npos);
    EXPECT_EQ(std::count(zh.begin(), zh.end(), '\n'), std::count(en.begin(), en.end(), '\n'));
    EXPECT_NE(zh.find(std::string(strings("zh").faster)), std::string::npos); // mmap is 10 % faster
    EXPECT_EQ(test::report_text_defects(en), std::vector<std::string>{});
    EXPECT_EQ(test::report_text_defects(zh), std::vector<std::string>{});
}

TEST_F(ReportTest, CsvFilesAreRfc4180AndMatchTheModel) {
    const ReportModel m = model();
    const auto raw = parse_csv(raw_csv(m));
    ASSERT_EQ(raw.size(), m.total_records() + 1);
    for (const auto& record : raw) EXPECT_EQ(record.size(), raw.front().size());
    bool odd_seen = false;
    for (const auto& record : raw) odd_seen |= record[0] == "odd, \"name\".gguf";
    EXPECT_TRUE(odd_seen);
    // Each record's throughput, in the records' order, to seven significant digits.
    const auto avg_ts = std::find(raw.front().begin(), raw.front().end(), "avg_ts") - raw.front().begin();
    ASSERT_LT(static_cast<size_t>(avg_ts), raw.front().size());
    for (size_t i = 0; i < m.data.records.size(); ++i) {
        const double stored = m.data.records[i].avg_ts;
        const std::string& cell = raw[i + 1][avg_ts];
        if (!std::isfinite(stored)) {
            EXPECT_EQ(cell, "");
            continue;
        }
        EXPECT_NEAR(std::stod(cell), stored, 5e-7 * std::abs(stored)) << cell;
        const std::string mantissa = cell.substr(0, cell.find('e'));
        EXPECT_LE(std::count_if(mantissa.begin(), mantissa.end(), [](char c) { return std::isdigit(c) != 0; }), 7)
            << cell;
    }
    const auto difference = parse_csv(to_csv(csv_table(comparison_columns(m, strings("en")), m.comparisons)));
    ASSERT_EQ(difference.size(), m.comparisons.size() + 1);
    const auto& header = difference.front();
    const auto verdict = std::find(header.begin(), header.end(), "verdict") - header.begin();
    ASSERT_LT(static_cast<size_t>(verdict), header.size());
    EXPECT_EQ(difference[1][verdict], "faster");
    const auto summary = parse_csv(to_csv(csv_table(summary_columns(m, strings("en")), m.summaries)));
    EXPECT_EQ(summary.size(), m.summaries.size() + 1);
    // Described once: every field of the description that difference.csv and report.json both have (not one that
    // has a form of its own in each, as an interval's ends and pair) says the same in both.
    const auto json = nlohmann::json::parse(json_report(m));
    size_t shared = 0;
    for (const auto& c : comparison_columns(m, strings("en"))) {
        if (!c.value || c.only != Only::no) continue;
        const auto column = std::find(header.begin(), header.end(), c.key) - header.begin();
        ASSERT_LT(static_cast<size_t>(column), header.size()) << c.key;
        for (size_t row = 1; row < difference.size(); ++row, ++shared)
            EXPECT_EQ(csv_value(json.at("comparisons").at(row - 1).at(c.key)), difference[row][column]) << c.key;
    }
    EXPECT_GE(shared, 15 * m.comparisons.size());
}

// A machine's figures in report.json are what the store and the cache keep of it (domain::to_json), every field,
// written from the same description as the report's table of roofs.
TEST(ReportMachines, TheJsonHasEveryFigureTheMachineHas) {
    domain::MachineFigures f{.hostname = "host \"x\"",
                             .cpu_info = "cpu",
                             .build_commit = "abc1234",
                             .threads = 4,
                             .measured_at = "2026-01-01T00:00:00Z",
                             .read_gbs = 41.5,
                             .triad_gbs = 40.25,
                             .buffer_bytes = 1 << 30,
                             .matmul_gflops = {{"q8_0", 165.5}, {"f16", 153.0}},
                             .matmul_buffers = "CPU, CPU_REPACK",
                             .peak_gflops = 512.0,
                             .l1d_bytes = 32768,
                             .l2_bytes = 1 << 20,
                             .l3_bytes = 32 << 20};
    const auto rows = json_rows(machine_columns(strings("en")), std::vector{f});
    EXPECT_EQ(rows.at(0), domain::to_json(f));
    f.peak_gflops.reset();
    EXPECT_EQ(json_rows(machine_columns(strings("en")), std::vector{f}).at(0), domain::to_json(f));
    const Table shown = shown_table(machine_columns(strings("en")), std::vector{f});
    EXPECT_EQ(shown.header().size(), 6u) << "threads, read, triad, matrix multiplication, peak, L3";
    EXPECT_EQ(shown.rows().at(0).at(3), "q8_0 165.5, f16 153.0");
    EXPECT_EQ(shown.rows().at(0).at(4), "-");
    EXPECT_EQ(shown.rows().at(0).at(5), "32.0");
}

TEST_F(ReportTest, JsonSaysWhatTheTablesSay) {
    const ReportModel m = model();
    const auto json = nlohmann::json::parse(json_report(m));
    EXPECT_EQ(json.at("results").get<size_t>(), m.total_records());
    EXPECT_EQ(json.at("compare"), "load_mode");
    EXPECT_EQ(json.at("summaries").size(), m.summaries.size());
    EXPECT_EQ(json.at("comparisons").size(), m.comparisons.size());
    EXPECT_EQ(json.at("comparisons")[0].at("verdict"), "faster");
    EXPECT_EQ(json.at("models")[0], "odd, \"name\".gguf");
    size_t sum = 0;
    for (const auto& c : json.at("counts")) sum += c.at("results").get<size_t>();
    EXPECT_EQ(sum, m.total_records());
}

// --raw-csv gzip writes raw.csv.gz, the same rows as raw.csv once unpacked, and the report links it; none writes
// neither and links neither.
TEST_F(ReportTest, RawCsvIsPlainCompressedOrLeftOut) {
    const auto report = [&](const std::string& raw) {
        const fs::path out = dir / ("report-" + raw);
        const auto r = run_llmsweep("report --db " + shell_quote(db_path) + " --out " + shell_quote(out.string()) +
                                    " --lang en --no-charts --raw-csv " + raw);
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return out;
    };
    const fs::path plain = report("plain"), gzip = report("gzip"), none = report("none");
    const std::string rows = test::read_file(plain / "raw.csv");
    ASSERT_GT(rows.size(), 1000u);
    EXPECT_FALSE(fs::exists(gzip / "raw.csv"));
    std::unique_ptr<gzFile_s, int (*)(gzFile)> file(gzopen((gzip / "raw.csv.gz").c_str(), "rb"), &gzclose);
    ASSERT_TRUE(file);
    std::string unpacked(rows.size() + 1, '\0');
    const int read = gzread(file.get(), unpacked.data(), static_cast<unsigned>(unpacked.size()));
    ASSERT_GE(read, 0);
    unpacked.resize(static_cast<size_t>(read));
    EXPECT_EQ(unpacked, rows);
    EXPECT_LT(fs::file_size(gzip / "raw.csv.gz"), rows.size() / 3);
    EXPECT_NE(test::read_file(gzip / "report.md").find("(raw.csv.gz)"), std::string::npos);
    EXPECT_EQ(test::read_file(gzip / "report.md").find("(raw.csv)"), std::string::npos);
    EXPECT_FALSE(fs::exists(none / "raw.csv") || fs::exists(none / "raw.csv.gz"));
    EXPECT_EQ(test::read_file(none / "report.md").find("raw.csv"), std::string::npos);
    EXPECT_TRUE(fs::exists(none / "summary.csv"));
    EXPECT_NE(test::read_file(plain / "report.md").find("(raw.csv)"), std::string::npos);
}

TEST_F(ReportTest, CommandWritesTheFilesAndRefusesImpossibleRequests) {
    const std::string out = (dir / "report").string();
    const auto r = run_llmsweep("report --db " + shell_quote(db_path) + " --out " + shell_quote(out) + " --lang zh");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const char* name : {"report.md", "report.json", "raw.csv", "summary.csv", "difference.csv"})
        EXPECT_TRUE(std::filesystem::is_regular_file(dir / "report" / name)) << name;
    const std::string before = test::read_file(dir / "report" / "report.md");

    auto fails = [&](const std::string& args, const std::string& mention) {
        const auto f = run_llmsweep("report " + args);
        EXPECT_EQ(f.exit_code, 2) << args << "\n" << f.err;
        EXPECT_NE(f.err.find(mention), std::string::npos) << args << "\n" << f.err;
    };
    const std::string db = " --db " + shell_quote(db_path) + " --out " + shell_quote(out);
    fails(db + " --compare type_k", "one value");
    fails(db + " --compare bogus", "unknown parameter");
    fails(db + " --where n_prompt=7", "no results match");
    fails(db + " --baseline dio", "--baseline dio");
    fails(" --db " + shell_quote(dir / "missing.db"), "no database");
    test::TempDir empty;
    { store::Store create((empty / "e.db").string()); }
    fails(" --db " + shell_quote(empty / "e.db"), "has no results");
    {
        store::Database foreign((empty / "f.db").string(), store::Database::Mode::create);
        foreign.exec("CREATE TABLE orders (id INTEGER)");
    }
    fails(" --db " + shell_quote(empty / "f.db"), "not llmsweep's");
    EXPECT_EQ(test::read_file(dir / "report" / "report.md"), before) << "a failed report must not touch the last one";

    std::ofstream(dir / "afile") << "x";
    const auto blocked = run_llmsweep("report --db " + shell_quote(db_path) + " --out " + shell_quote(dir / "afile"));
    EXPECT_EQ(blocked.exit_code, 2) << blocked.err;
    EXPECT_NE(blocked.err.find("choose another --out"), std::string::npos) << blocked.err;
}

// A native sweep and a llama-bench run of the same points, on other builds and hosts: the report's pairs and
// the chart's are the same pairs.
TEST(ReportPairs, ChartsDrawThePairsTheAnalysisMade) {
    test::TempDir dir;
    const std::string db = (dir / "e.db").string();
    {
        store::Store store(db);
        for (const auto& [engine, build, factor] : std::vector<std::tuple<std::string, std::string, double>>{
                 {"native", "abc1234", 1.0}, {"llama-bench", "def5678", 1.05}}) {
            const int64_t run = test::insert_test_run(store);
            // llama-bench names the CPU its own way: the run's other attributes differ with the engine.
            store.update_run(run, {{"engine", engine},
                                   {"build_commit", build},
                                   {"hostname", engine + "-host"},
                                   {"cpu_info", engine + " CPU"},
                                   {"source", engine == "native" ? "run" : "import"}});
            for (int64_t p = 32; p <= 256; p += 32) {
                test::ok_result(store, run, engine + std::to_string(p), "pp",
                                test::point_row("/m/a.gguf", "mmap", p, 16), factor * (100.0 + static_cast<double>(p)),
                                1.0);
            }
        }
    }
    store::Store store(db, store::Store::Access::read_only);
    ReportOptions options;
    options.compare = "engine";
    const ReportModel m = build_report(store, db, options);
    ASSERT_EQ(m.comparisons.size(), 1u);
    EXPECT_EQ(m.comparisons[0].n_pairs, 8u);
    ASSERT_EQ(m.comparisons[0].pairs.size(), 8u);
    const chart::ReportCharts charts = chart::report_charts(m, "en");
    const auto find = [&](const std::string& suffix) {
        const auto it = std::find_if(charts.figures.begin(), charts.figures.end(), [&](const chart::Figure& f) {
            return f.stem.size() >= suffix.size() &&
                   f.stem.compare(f.stem.size() - suffix.size(), suffix.size(), suffix) == 0;
        });
        EXPECT_NE(it, charts.figures.end()) << suffix;
        return it;
    };
    const auto pairs = find("_pairs");
    ASSERT_NE(pairs, charts.figures.end());
    ASSERT_EQ(pairs->series.size(), 1u);
    const auto& drawn = pairs->series[0].points;
    ASSERT_EQ(drawn.size(), 8u) << "the chart pairs what the analysis paired";
    for (size_t i = 0; i < drawn.size(); ++i) {
        EXPECT_DOUBLE_EQ(drawn[i].x, m.comparisons[0].pairs[i].baseline_ts);
        EXPECT_DOUBLE_EQ(drawn[i].y, m.comparisons[0].pairs[i].value_ts);
    }
    // And the points chart puts a point's two values at the same x.
    const auto points = find("_comparison");
    ASSERT_NE(points, charts.figures.end());
    std::set<double> xs;
    for (const auto& series : points->series)
        for (const auto& point : series.points) xs.insert(std::round(point.x));
    EXPECT_EQ(xs.size(), 8u);
}

TEST_F(ReportTest, ChartsAreDrawnByGnuplotWithTheirDataAndScripts) {
    if (test::run_shell("command -v gnuplot").exit_code != 0) GTEST_SKIP() << "gnuplot is not installed";
    const auto out = dir / "charts";
    const auto r = run_llmsweep("report --lang zh --db " + shell_quote(db_path) + " --out " + shell_quote(out));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // Per model, per model x metric, per model x metric x test size (none here: the database has no loads).
    const std::vector<std::string> stems = {"plain.gguf_pp_load_mode_comparison", "plain.gguf_tg_load_mode_comparison",
                                            chart::safe_stem("odd, \"name\".gguf_pp_load_mode_comparison"),
                                            "plain.gguf_pp_load_mode_by_n_prompt", "plain.gguf_load_mode_forest"};
    const std::string md = test::read_file(out / "report.md");
    for (const auto& stem : stems) {
        EXPECT_EQ(test::read_file(out / (stem + ".png")).substr(1, 3), "PNG") << stem;
        const std::string svg = test::read_file(out / (stem + ".svg"));
        EXPECT_NE(svg.find("<svg"), std::string::npos) << stem;
        // Labels from the data are printed as they are, not as gnuplot's enhanced text (load_mode, not load_{m}ode).
        EXPECT_NE(svg.find(stem.find("forest") == std::string::npos ? "load_mode = mmap" : "— load_mode"),
                  std::string::npos)
            << stem;
        EXPECT_TRUE(std::filesystem::is_regular_file(out / (stem + ".dat"))) << stem;
        EXPECT_NE(md.find("(" + stem + ".png)"), std::string::npos) << stem;
    }
    // A user can re-plot from the files next to the images.
    std::filesystem::remove(out / (stems[3] + ".png"));
    EXPECT_EQ(test::run_shell("cd " + shell_quote(out) + " && gnuplot " + stems[3] + ".gp").exit_code, 0);
    EXPECT_TRUE(std::filesystem::is_regular_file(out / (stems[3] + ".png")));
}

// Models compared: one group of every model, the baseline given as a path, and what the models are.
TEST_F(ReportTest, ModelsAreComparedLikeAnyParameter) {
    const auto out = dir / "models";
    const auto r = run_llmsweep("report --lang en --no-charts --compare model --baseline /m/plain.gguf --db " +
                                shell_quote(db_path) + " --out " + shell_quote(out));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string md = test::read_file(out / "report.md");
    EXPECT_NE(md.find("| all models | pp | plain.gguf | odd, \"name\".gguf | 32 |"), std::string::npos) << md;
    const auto json = nlohmann::json::parse(test::read_file(out / "report.json"));
    EXPECT_EQ(json.at("compare"), "model");
    ASSERT_EQ(json.at("comparisons").size(), 2u); // pp and tg
    EXPECT_EQ(json.at("comparisons")[0].at("baseline"), "plain.gguf");
    EXPECT_EQ(run_llmsweep("report --no-charts --compare model --baseline other.gguf --db " + shell_quote(db_path) +
                           " --out " + shell_quote(dir / "bad"))
                  .exit_code,
              2);
}

// A serving objective stored with the runs that is not one (an edited database) is ignored and said; it is not
// blamed on a --slo that was never given.
TEST_F(ReportTest, AStoredObjectiveThatIsNoneIsIgnoredAndSaid) {
    {
        store::Store store(db_path);
        store.db().exec("UPDATE runs SET spec_json = json_set(spec_json, '$.slo', 'ttft=banana')");
    }
    const auto r = run_llmsweep("report --lang en --no-charts --format md --db " + shell_quote(db_path) + " --out " +
                                shell_quote(dir / "slo"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err.find("--slo"), std::string::npos) << r.err;
    const std::string md = test::read_file(dir / "slo" / "report.md");
    EXPECT_NE(md.find("The serving objective stored with the runs, 'ttft=banana', is not one"), std::string::npos)
        << md;
}

// Two files of one name in two folders are two models, each named by the folder that tells it apart; a path
// alone is named by its file.
TEST(ReportModelNames, FilesOfOneNameInTwoFoldersAreTwoModels) {
    EXPECT_EQ(domain::short_model_names({"/h/orgA/x.gguf", "/h/orgB/x.gguf", "/h/orgA/y.gguf"}),
              (std::map<std::string, std::string>{
                  {"/h/orgA/x.gguf", "orgA/x.gguf"}, {"/h/orgB/x.gguf", "orgB/x.gguf"}, {"/h/orgA/y.gguf", "y.gguf"}}));
    EXPECT_EQ(domain::short_model_names({"a/b/x.gguf", "c/b/x.gguf"}).at("c/b/x.gguf"), "c/b/x.gguf");
    test::TempDir dir;
    const std::string db = (dir / "m.db").string();
    {
        store::Store store(db);
        const int64_t run = test::insert_test_run(store);
        int i = 0;
        for (const std::string org : {"orgA", "orgB"})
            for (int64_t p = 32; p <= 128; p += 32)
                test::ok_result(store, run, org + std::to_string(p), "pp",
                                test::point_row("/h/" + org + "/x.gguf", "mmap", p, 32),
                                org == "orgA" ? 100 : 200 + i++, 1);
    }
    const auto r = run_llmsweep("report --lang en --no-charts --compare model --db " + shell_quote(db) + " --out " +
                                shell_quote(dir / "out"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto json = nlohmann::json::parse(test::read_file(dir / "out" / "report.json"));
    EXPECT_EQ(json.at("models"), (nlohmann::json{"orgA/x.gguf", "orgB/x.gguf"})) << json.at("models");
    ASSERT_EQ(json.at("comparisons").size(), 1u);
    EXPECT_EQ(json.at("comparisons")[0].at("baseline"), "orgA/x.gguf");
}

// --fail-on: the report is written, each offending comparison has its line, and the exit code is 1; a
// verdict not named passes.
TEST_F(ReportTest, FailOnIsAGateThatWritesTheReportFirst) {
    const std::string base = "report --lang en --no-charts --format md --db " + shell_quote(db_path) + " --out " +
                             shell_quote(dir / "gate") + " --baseline mmap";
    const auto slower = run_llmsweep(base + " --fail-on slower");
    EXPECT_EQ(slower.exit_code, 1) << slower.err;
    EXPECT_TRUE(std::filesystem::exists(dir / "gate" / "report.md"));
    EXPECT_NE(slower.err.find("slower: plain.gguf pp load_mode=none vs mmap: -9."), std::string::npos) << slower.err;
    EXPECT_NE(slower.err.find("4 of 4 comparisons are slower (--fail-on slower)"), std::string::npos) << slower.err;
    const auto faster = run_llmsweep(base + " --fail-on faster,equivalent");
    EXPECT_EQ(faster.exit_code, 0) << faster.err;
    EXPECT_EQ(faster.err.find("faster:"), std::string::npos) << faster.err;
    // A margin wider than the effect makes the 10 % equivalent.
    const auto wide = run_llmsweep(base + " --margin 50 --fail-on equivalent");
    EXPECT_EQ(wide.exit_code, 1) << wide.err;
    EXPECT_EQ(run_llmsweep(base + " --fail-on sometimes").exit_code, 2);
}

TEST_F(ReportTest, ResultsOfOneSettingGetAReportWithoutComparisons) {
    // Only the test sizes vary among the load_mode=none results: a report of one group.
    const auto out = dir / "single";
    const auto r = run_llmsweep("report --lang en --where load_mode=none --db " + shell_quote(db_path) + " --out " +
                                shell_quote(out));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string md = test::read_file(out / "report.md");
    EXPECT_EQ(md.rfind("# Benchmark report\n", 0), 0u) << md;
    EXPECT_NE(md.find(std::string(strings("en").nothing_to_compare)), std::string::npos);
    EXPECT_EQ(md.find("| Baseline |"), std::string::npos) << "no differences table";
    EXPECT_NE(md.find("| request | plain.gguf | pp | 16 |"), std::string::npos) << md; // the counts
    const auto json = nlohmann::json::parse(test::read_file(out / "report.json"));
    EXPECT_TRUE(json.at("comparisons").empty());
    EXPECT_EQ(json.at("results").get<size_t>(), 64u);
    if (test::run_shell("command -v gnuplot").exit_code != 0) GTEST_SKIP() << "gnuplot is not installed";
    for (const char* stem : {"plain.gguf_pp_mode_comparison", "plain.gguf_pp_mode_by_n_prompt"})
        EXPECT_EQ(test::read_file(out / (std::string(stem) + ".png")).substr(1, 3), "PNG") << stem;
}

TEST_F(ReportTest, HtmlIsSelfContainedEscapedAndLoadsInARealBrowser) {
    const auto out = dir / "html";
    const auto r = run_llmsweep("report --lang en --db " + shell_quote(db_path) + " --out " + shell_quote(out));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string html = test::read_file(out / "report.html");
    EXPECT_NE(html.find("odd, &quot;name&quot;.gguf"), std::string::npos);
    // Outside the inlined SVG (XML, where quotes in text are legal), every string is escaped.
    std::string text = html;
    for (size_t at; (at = text.find("<svg")) != std::string::npos;) text.erase(at, text.find("</svg>", at) + 6 - at);
    EXPECT_EQ(text.find("odd, \"name\".gguf"), std::string::npos) << "every string is escaped";
    EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org")) << "no network references but SVG namespaces";
    EXPECT_EQ(html.find("<img"), std::string::npos) << "charts are inlined";

    if (test::run_shell("command -v chromium").exit_code != 0) GTEST_SKIP() << "chromium is not installed";
    const auto browser = test::run_shell(
        "timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
        "--disable-background-networking --disable-component-update --disable-sync --enable-logging=stderr --v=0 "
        "--user-data-dir=" +
        shell_quote(dir / "profile") + " --dump-dom " + shell_quote("file://" + (out / "report.html").string()));
    ASSERT_EQ(browser.exit_code, 0) << browser.err;
    EXPECT_EQ(browser.err.find("CONSOLE"), std::string::npos) << browser.err;
    const std::string& dom = browser.out;
    // The tables (counts, two performance tables, differences; this database has no loads, which the page says
    // instead of showing an empty table) and the charts are in the rendered page.
    size_t tables = 0, svgs = 0;
    for (size_t at = dom.find("<table"); at != std::string::npos; at = dom.find("<table", at + 1)) ++tables;
    for (size_t at = dom.find("<svg"); at != std::string::npos; at = dom.find("<svg", at + 1)) ++svgs;
    EXPECT_EQ(tables, 4u);
    EXPECT_NE(dom.find(std::string(strings("en").no_loads).substr(0, 30)), std::string::npos);
    if (test::run_shell("command -v gnuplot").exit_code == 0) EXPECT_GE(svgs, 5u);
    EXPECT_NE(dom.find("load_mode comparison report"), std::string::npos);
}

TEST_F(ReportTest, WithoutGnuplotTheReportSaysSoAndIsStillWritten) {
    const auto out = dir / "nocharts";
    const auto r = test::run_shell("PATH=/nonexistent " + shell_quote(LLMSWEEP_BINARY) + " report --lang en --db " +
                                   shell_quote(db_path) + " --out " + shell_quote(out));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string md = test::read_file(out / "report.md");
    EXPECT_NE(md.find("No charts: gnuplot is not installed"), std::string::npos) << md;
    for (const auto& entry : std::filesystem::directory_iterator(out))
        EXPECT_NE(entry.path().extension(), ".gp") << "no chart script without gnuplot: " << entry.path();
}

// gnuplot draws the figures side by side, one per core, each gnuplot one figure after another: one that fails
// fails the report with gnuplot's own words and the figure's name, whichever gnuplot ends first.
TEST_F(ReportTest, AGnuplotThatFailsOnOneFigureSaysWhichAndWhy) {
    const auto real = test::run_shell("command -v gnuplot");
    if (real.exit_code != 0) GTEST_SKIP() << "gnuplot is not installed";
    const auto bin = dir / "bin";
    std::filesystem::create_directories(bin);
    {
        // The real gnuplot, but for the forest plot, whose script it refuses as gnuplot refuses a bad one: given
        // as an argument, or loaded by a gnuplot that reads its commands.
        const std::string gnuplot = shell_quote(real.out.substr(0, real.out.find('\n')));
        std::ofstream script(bin / "gnuplot");
        script << "#!/bin/sh\ncase \"$1\" in *forest*) echo 'line 3: unexpected token' >&2; exit 1;; esac\n"
               << "if [ $# -eq 0 ]; then sed -u '/forest/s/^load .*/load \"refused.gp\"/' | " << gnuplot
               << "; exit $?; fi\nexec " << gnuplot << " \"$@\"\n";
    }
    std::filesystem::permissions(bin / "gnuplot", std::filesystem::perms::owner_all);
    const auto r =
        test::run_shell("PATH=" + shell_quote(bin) + ":$PATH " + shell_quote(LLMSWEEP_BINARY) +
                        " report --lang en --db " + shell_quote(db_path) + " --out " + shell_quote(dir / "failing"));
    EXPECT_NE(r.exit_code, 0);
    // The first failing figure in the report's order: the first model's forest plot.
    EXPECT_NE(r.err.find("gnuplot failed on odd_name_.gguf_load_mode_forest-"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("line 3: unexpected token"), std::string::npos) << "gnuplot's own words: " << r.err;
}

// A run with adaptive rounds that decided load_mode looked after every round: its verdicts are judged at the
// look's level, its intervals widened to it, and the methodology says how it ran and why its points stopped.
TEST(ReportAdaptiveRounds, VerdictsAreJudgedAtTheLooksLevel) {
    test::TempDir dir;
    const std::string db = (dir / "a.db").string();
    int64_t run = 0;
    {
        store::Store store(db);
        run = test::insert_test_run(store);
        const std::vector<double> level = {1.00, 0.97, 1.02, 1.01, 0.98, 1.00};
        for (const std::string mode : {"none", "mmap"}) {
            const int64_t id =
                store.ensure_result(run, "p-" + mode, "tg", test::point_row("/m/a.gguf", mode, 512, 128));
            for (int64_t round = 0; round < 6; ++round) {
                const double ts = 40.0 * level[round] * (mode == "mmap" ? 1.05 + 0.01 * (round % 3 - 1) : 1.0);
                store.insert_sample({{"result_id", id}, {"repetition", round}, {"ns", int64_t{1000}}, {"ts", ts}});
            }
            store.summarize_result(id, "ok", "2026-01-01T00:00:00Z");
        }
    }
    const auto report = [&] {
        store::Store store(db, store::Store::Access::read_only);
        return build_report(store, db, {});
    };
    const ReportModel fixed = report();
    ASSERT_EQ(fixed.comparisons.size(), 1u);
    EXPECT_FALSE(fixed.looks.has_value());
    EXPECT_EQ(fixed.comparisons[0].level, 0.05);

    {
        store::Store store(db);
        store.update_run(run,
                         {{"max_repetitions", int64_t{10}}, {"decide", std::string("load_mode")}, {"margin_pct", 2.0}});
        store.set_stop_reason(run, "p-none", "rule_met");
        store.set_stop_reason(run, "p-mmap", "rule_met");
    }
    const ReportModel adaptive = report();
    ASSERT_TRUE(adaptive.looks.has_value());
    EXPECT_EQ(adaptive.looks->first, 3);
    EXPECT_EQ(adaptive.looks->last, 10);
    const auto& c = adaptive.comparisons.at(0);
    EXPECT_EQ(c.level, analysis::look_levels({3, 10})[6 - 3]);
    EXPECT_LT(c.level, 0.05);
    EXPECT_LT(c.interval.low, fixed.comparisons[0].interval.low) << "widened to the look's level";
    EXPECT_GT(c.interval.high, fixed.comparisons[0].interval.high);
    const std::string en = markdown_report(adaptive, "en");
    EXPECT_NE(en.find("adaptive rounds: 3 to 10 repetitions per point"), std::string::npos) << en;
    EXPECT_NE(en.find("2 results met the rule (6 repetitions)"), std::string::npos) << en;
    EXPECT_NE(en.find(std::string(strings("en").looks_intro)), std::string::npos);
    const std::string zh = markdown_report(adaptive, "zh");
    EXPECT_NE(zh.find("自适应轮次: 每个数据点 3 到 10 次重复"), std::string::npos) << zh;
    const auto json = nlohmann::json::parse(json_report(adaptive));
    EXPECT_EQ(json["runs"][0]["max_repetitions"], 10);
    EXPECT_EQ(json["runs"][0]["stop_reasons"]["rule_met"]["results"], 2);
}

} // namespace
} // namespace llmsweep::report
