// The hostile strings (hostile.cpp) as models, values and host fields, end to end through the real binary:
// nothing they say runs, and every report format shows them as text with the right numbers.

#include "chart/figure.hpp"
#include "core/escape.hpp"
#include "domain/model_cost.hpp"
#include "hostile.hpp"
#include "store/store.hpp"
#include "test_support.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace llmsweep {
namespace {

namespace fs = std::filesystem;
using test::hostile_strings;
using test::read_file;
using test::run_llmsweep;
using test::run_shell;
using test::shell_quote;
using test::shown_as_text;

// Anything named pwned* anywhere under `root`: the mark of a command that ran (chart files made from such a
// name start with their model's slug, never with "pwned").
std::vector<fs::path> pwned_files(const fs::path& root) {
    std::vector<fs::path> found;
    for (const auto& entry : fs::recursive_directory_iterator(root))
        if (entry.path().filename().string().rfind("pwned", 0) == 0) found.push_back(entry.path());
    return found;
}

// A report names a model by its file name.
std::string model_name(const std::string& path) { return fs::path(path).filename().string(); }

// The y values of one block (gnuplot's index) of a chart's data file, sorted.
std::vector<double> block_values(const std::string& dat, size_t index) {
    std::vector<double> values;
    std::istringstream lines(dat);
    size_t block = 0, blank = 0;
    for (std::string line; std::getline(lines, line);) {
        if (line.empty()) {
            if (++blank == 2) ++block;
            continue;
        }
        blank = 0;
        if (line[0] == '#' || block != index) continue;
        double x = 0, y = 0;
        std::istringstream(line) >> x >> y;
        values.push_back(y);
    }
    std::sort(values.begin(), values.end());
    return values;
}

// Every model is a hostile string, and so are the run's host and build fields and each model's CPU mask (a text
// setting an import takes as the file has it: it labels every point of the charts); mmap is 10 % faster. Each
// model's mmap visit had its file on huge pages and ran beside other work, so the warnings name every model.
class HostileReport : public ::testing::Test {
protected:
    HostileReport() : db((dir / "h.db").string()) {
        store::Store store(db);
        const int64_t run = test::insert_test_run(store);
        store.update_run(run, {{"build_commit", hostile_strings()[0].text},
                               {"hostname", hostile_strings()[2].text},
                               {"cpu_info", hostile_strings()[2].text},
                               {"backends", hostile_strings()[13].text},
                               {"os", hostile_strings()[27].text}});
        // The roofline's too: a measurement of the hostile host, and each hostile model's cost per token.
        store.insert_machine({{"hostname", hostile_strings()[2].text},
                              {"cpu_info", hostile_strings()[2].text},
                              {"build_commit", hostile_strings()[0].text},
                              {"threads", int64_t{2}},
                              {"measured_at", std::string("2026-01-01T00:00:00Z")},
                              {"read_gbs", 20.0},
                              {"matmul_gflops", std::string(R"({"q8_0": 100.0})")},
                              {"l3_bytes", int64_t{1} << 20}});
        domain::ModelProfile profile;
        profile.shape = {.n_layer = 2, .n_head = 4, .n_head_kv = 2, .head_dim_k = 32, .head_dim_v = 32};
        profile.weight_bytes_per_token = 4e6;
        profile.matmul_params_per_token = 4e6;
        profile.weight_bytes = 4000000;
        profile.weight_type = "q8_0";
        for (const auto& h : hostile_strings()) store.save_model_profile(h.text, profile);
        for (size_t m = 0; m < hostile_strings().size(); ++m)
            for (const std::string mode : {"none", "mmap"}) {
                const bool mmap = mode == "mmap";
                const int64_t load =
                    store.insert_load(test::load_row(run, hostile_strings()[m].text, mode,
                                                     {{"anon_huge_at_end_kb", int64_t{0}},
                                                      {"file_pmd_at_end_kb", int64_t{mmap ? 98304 : 0}},
                                                      {"other_cpu_cores", mmap ? 0.9 : 0.0},
                                                      {"steal_percent", 0.0},
                                                      {"load_average", 1.0}}));
                for (int64_t p = 32; p <= 128; p += 32) {
                    const double ts = ts_of(m, mode, p);
                    store::Row point = test::point_row(hostile_strings()[m].text, mode, p, 16);
                    point.emplace_back("cpu_mask", hostile_strings()[(m + 5) % hostile_strings().size()].text);
                    const int64_t id =
                        test::ok_result(store, run, fmt::format("{}{}{}", m, mode, p), "pp", point, ts, ts * 0.01);
                    store.insert_sample({{"result_id", id},
                                         {"load_id", load},
                                         {"repetition", int64_t{0}},
                                         {"ns", int64_t{1000}},
                                         {"ts", ts}});
                }
                // Server mode's too, at 1 and 2 clients, each with its requests: the serving section, its charts
                // and serving.csv name every model.
                for (const int64_t clients : {1, 2}) {
                    domain::Point server;
                    server.load.model = hostile_strings()[m].text;
                    server.load.load_mode = domain::parse_load_mode(mode);
                    server.load.n_gpu_layers = 0;
                    server.context.threads = 2;
                    server.test = {32, 16, 0};
                    server.client.concurrency = clients;
                    const double ts = serve_ts_of(m, mode, clients);
                    const int64_t id =
                        test::ok_result(store, run, fmt::format("{}{}serve{}", m, mode, clients), "serve",
                                        store::point_columns(server, domain::Mode::server), ts, ts * 0.01);
                    store.insert_sample({{"result_id", id},
                                         {"load_id", load},
                                         {"repetition", int64_t{0}},
                                         {"ns", int64_t{1000}},
                                         {"ts", ts}});
                    for (int64_t q = 0; q < 4; ++q)
                        store.insert_request({{"result_id", id},
                                              {"load_id", load},
                                              {"repetition", int64_t{0}},
                                              {"seq", q},
                                              {"submit_ms", 10.0 * static_cast<double>(q)},
                                              {"ttft_ms", 20.0 + static_cast<double>(q)},
                                              {"e2e_ms", 200.0},
                                              {"tpot_ms", 12.0},
                                              {"tokens_in", int64_t{32}},
                                              {"tokens_out", int64_t{16}},
                                              {"http_status", int64_t{200}},
                                              {"status", std::string("ok")}});
                }
            }
    }

    static double serve_ts_of(size_t model, const std::string& mode, int64_t clients) {
        return (50.0 + static_cast<double>(model)) * static_cast<double>(clients) * (mode == "mmap" ? 1.2 : 1.0);
    }

    static double ts_of(size_t model, const std::string& mode, int64_t p) {
        return (100.0 + static_cast<double>(model) + static_cast<double>(p) / 8) * (mode == "mmap" ? 1.1 : 1.0);
    }

    test::TempDir dir;
    std::string db;
};

TEST_F(HostileReport, NothingRunsAndEveryChartDrawsItsNumbersUnderItsName) {
    if (run_shell("command -v gnuplot").exit_code != 0) GTEST_SKIP() << "gnuplot is not installed";
    const fs::path out = dir / "report";
    const auto r =
        run_llmsweep("report --compare load_mode --lang en --db " + shell_quote(db) + " --out " + shell_quote(out));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(pwned_files(dir.path()).empty()) << "a name ran as a command: " << pwned_files(dir.path()).front();
    // Re-plotting as docs/usage.md says runs nothing either.
    for (const auto& entry : fs::directory_iterator(out))
        if (entry.path().extension() == ".gp")
            EXPECT_EQ(
                run_shell("cd " + shell_quote(out) + " && gnuplot ./" + entry.path().filename().string()).exit_code, 0);
    EXPECT_TRUE(pwned_files(dir.path()).empty());
    // Every text file of the report, whichever writer made it: valid UTF-8, no control character but line ends
    // and tabs (nothing that drives a terminal when the file is shown with cat).
    for (const auto& entry : fs::directory_iterator(out)) {
        if (entry.path().extension() == ".png") continue;
        const std::string text = read_file(entry.path());
        EXPECT_EQ(escape::valid_utf8(text), text) << entry.path();
        for (const char c : text)
            if ((static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\r' && c != '\t') || c == 0x7F) {
                ADD_FAILURE() << entry.path() << " holds the control character " << static_cast<int>(c);
                break;
            }
    }

    for (size_t m = 0; m < hostile_strings().size(); ++m) {
        const auto& h = hostile_strings()[m];
        SCOPED_TRACE(h.name);
        const std::string stem = chart::safe_stem(model_name(h.text) + "_pp_load_mode_comparison");
        ASSERT_TRUE(fs::is_regular_file(out / (stem + ".png")));
        // The headline, drawn under the model's name too.
        const std::string forest = chart::safe_stem(model_name(h.text) + "_load_mode_forest");
        EXPECT_EQ(read_file(out / (forest + ".png")).substr(1, 3), "PNG");
        EXPECT_EQ(read_file(out / (stem + ".png")).substr(1, 3), "PNG");
        const std::string svg = test::unescape_html(read_file(out / (stem + ".svg")));
        // A long name is cut, with an ellipsis, to fit the chart's width (the caption under it has it whole).
        std::string title = model_name(h.text);
        size_t code_points = 0;
        for (size_t i = 0; i < title.size(); ++i)
            if ((static_cast<unsigned char>(title[i]) & 0xC0) != 0x80 && code_points++ == 28) {
                title = title.substr(0, i) + "…";
                break;
            }
        EXPECT_NE(svg.find(shown_as_text(title) + " pp — load_mode"), std::string::npos) << "the title names the model";
        // The data: block 0 is none's points, block 1 mmap's, each with the stored throughputs.
        const std::string dat = read_file(out / (stem + ".dat"));
        for (const auto& [index, mode] : std::vector<std::pair<size_t, std::string>>{{0, "none"}, {1, "mmap"}}) {
            std::vector<double> expected;
            for (int64_t p = 32; p <= 128; p += 32) expected.push_back(ts_of(m, mode, p));
            const auto got = block_values(dat, index);
            ASSERT_EQ(got.size(), expected.size()) << dat;
            for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected[i], 1e-9);
        }
        // The serving chart of throughput by clients: each load mode's line with its stored throughputs.
        const std::string serving = chart::safe_stem("serving_" + model_name(h.text) + "_throughput_concurrency");
        EXPECT_EQ(read_file(out / (serving + ".png")).substr(1, 3), "PNG");
        const std::string serving_dat = read_file(out / (serving + ".dat"));
        for (const auto& [index, mode] : std::vector<std::pair<size_t, std::string>>{{0, "none"}, {1, "mmap"}}) {
            const auto got = block_values(serving_dat, index);
            ASSERT_EQ(got.size(), 2u) << serving_dat;
            EXPECT_NEAR(got[0], serve_ts_of(m, mode, 1), 1e-9);
            EXPECT_NEAR(got[1], serve_ts_of(m, mode, 2), 1e-9);
        }
    }
}

TEST_F(HostileReport, MarkdownCsvJsonAndHtmlShowEveryNameAsText) {
    const fs::path out = dir / "report";
    const auto r = run_llmsweep("report --compare load_mode --lang zh --no-charts --db " + shell_quote(db) + " --out " +
                                shell_quote(out));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // The warnings that name models are there for every one of them (and so face the checks below).
    const auto json_warnings = nlohmann::json::parse(read_file(out / "report.json")).at("warnings");
    const size_t model_count = nlohmann::json::parse(read_file(out / "report.json")).at("models").size();
    EXPECT_EQ(json_warnings.at("huge_pages_differ").size(), model_count);
    EXPECT_EQ(json_warnings.at("busy_visits").size(), hostile_strings().size()) << "one busy visit per load";

    // JSON: every name, as valid UTF-8.
    const auto json = nlohmann::json::parse(read_file(out / "report.json"));
    std::set<std::string> models(json.at("models").begin(), json.at("models").end());
    for (const auto& h : hostile_strings()) EXPECT_TRUE(models.count(escape::valid_utf8(model_name(h.text)))) << h.name;

    // Markdown, rendered by GitHub's renderer with raw HTML allowed: no element but the report's own.
    if (run_shell("command -v cmark-gfm").exit_code == 0) {
        const auto html =
            run_shell("cmark-gfm --unsafe -e table -e autolink -e strikethrough " + shell_quote(out / "report.md"));
        ASSERT_EQ(html.exit_code, 0);
        const std::regex tag("<([a-zA-Z][a-zA-Z0-9]*)");
        const std::set<std::string> ours = {"h1",    "h2",    "h3", "p",  "ul", "li", "table",
                                            "thead", "tbody", "tr", "th", "td", "a"};
        for (auto it = std::sregex_iterator(html.out.begin(), html.out.end(), tag); it != std::sregex_iterator(); ++it)
            EXPECT_TRUE(ours.count((*it)[1].str())) << "an element from the data: " << (*it)[0].str();
        const std::regex href("href=\"([^\"]*)\"");
        for (auto it = std::sregex_iterator(html.out.begin(), html.out.end(), href); it != std::sregex_iterator(); ++it)
            EXPECT_TRUE(fs::is_regular_file(out / (*it)[1].str())) << "a link from the data: " << (*it)[0].str();
        for (const auto& h : hostile_strings())
            if (h.text.find_first_of("<&\"'") == std::string::npos &&
                shown_as_text(h.text).find_first_not_of(' ') != std::string::npos)
                EXPECT_NE(test::unescape_html(html.out).find(shown_as_text(model_name(h.text))), std::string::npos)
                    << h.name;
    }

    // CSV: no text cell a spreadsheet would run.
    // roofline.csv too: a row per pp point of every hostile model, none a formula.
    const std::string roofline = read_file(out / "roofline.csv");
    EXPECT_EQ(static_cast<size_t>(std::count(roofline.begin(), roofline.end(), '\n')),
              1 + hostile_strings().size() * 8);
    std::istringstream roofline_lines(roofline);
    for (std::string line; std::getline(roofline_lines, line);)
        if (!line.empty()) EXPECT_EQ(std::string("=+@\t").find(line.front()), std::string::npos) << line;
    EXPECT_NE(read_file(out / "report.md").find("## 距离机器极限有多远"), std::string::npos);
    // serving.csv: a row per server-mode load of every hostile model (2 load modes x 2 loads), none a formula.
    const std::string serving = read_file(out / "serving.csv");
    size_t serving_rows = 0;
    std::istringstream serving_lines(serving);
    for (std::string line; std::getline(serving_lines, line);) {
        ++serving_rows;
        if (!line.empty()) EXPECT_EQ(std::string("=+@\t").find(line.front()), std::string::npos) << line;
    }
    EXPECT_GE(serving_rows, 1 + hostile_strings().size() * 4);
    EXPECT_NE(read_file(out / "report.md").find("## 服务性能"), std::string::npos);
    const std::string csv = read_file(out / "raw.csv");
    size_t rows = 0; // physical lines: a quoted cell may hold a line break
    std::istringstream lines(csv);
    for (std::string line; std::getline(lines, line);) {
        ++rows;
        if (!line.empty()) EXPECT_EQ(std::string("=+@\t").find(line.front()), std::string::npos) << line;
    }
    for (const auto& h : hostile_strings()) {
        const std::string valid = shown_as_text(model_name(h.text));
        const auto first = valid.find_first_not_of(' ');
        if (first != std::string::npos && std::string("=+-@").find(valid[first]) != std::string::npos)
            EXPECT_NE(csv.find("'" + valid.substr(0, 5)), std::string::npos) << h.name;
    }
    EXPECT_GT(rows, hostile_strings().size() * 8);

    // HTML: nothing from the data is markup.
    const std::string page = read_file(out / "report.html");
    EXPECT_EQ(page.find("<img"), std::string::npos);
    EXPECT_EQ(page.find("<script"), std::string::npos);
    EXPECT_EQ(page.find("\x1b"), std::string::npos);
    EXPECT_NE(page.find("&lt;img src=x onerror=alert(1)&gt;"), std::string::npos);
}

// --fail-on prints a line per comparison on the terminal: every model name in it escaped.
TEST_F(HostileReport, TheCiGatesLinesShowEveryNameEscaped) {
    const auto r = run_llmsweep("report --compare load_mode --lang en --no-charts --format md --fail-on faster --db " +
                                shell_quote(db) + " --out " + shell_quote(dir / "gate"));
    EXPECT_EQ(r.exit_code, 1) << r.err;
    std::set<std::string> models; // as the report names them: file names
    for (const auto& h : hostile_strings()) models.insert(escape::valid_utf8(model_name(h.text)));
    // Three comparisons per model: its pp results, and its serve results at each of the two loads (one point each,
    // too few to decide).
    EXPECT_NE(r.err.find(fmt::format("{} of {} comparisons are faster", models.size(), 3 * models.size())),
              std::string::npos)
        << r.err;
    for (const char c : r.err)
        EXPECT_FALSE((static_cast<unsigned char>(c) < 0x20 && c != '\n') || c == 0x7F)
            << "a control character reached the terminal: " << static_cast<int>(c);
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), static_cast<long>(models.size()) + 1)
        << "one line per comparison and the summary: no name broke a line";
}

// The attack as a user meets it: someone else's llama-bench file, imported and reported.
TEST(HostileImport, ACraftedLlamaBenchFileRunsNothingWhenReported) {
    if (run_shell("command -v gnuplot").exit_code != 0) GTEST_SKIP() << "gnuplot is not installed";
    test::TempDir dir;
    nlohmann::json test = nlohmann::json::parse(
        R"({"build_commit": "80fb11a", "build_number": 1, "cpu_info": "Xeon", "gpu_info": "", "backends": "CPU",
            "model_filename": "m.gguf", "model_type": "llama ?B Q8_0", "model_size": 385536, "model_n_params": 361088,
            "n_batch": 2048, "n_ubatch": 512, "n_threads": 1, "cpu_mask": "0x0", "cpu_strict": false, "poll": 50,
            "type_k": "f16", "type_v": "f16", "n_gpu_layers": 99, "n_cpu_moe": 0, "split_mode": "layer",
            "main_gpu": 0, "no_kv_offload": false, "flash_attn": -1, "devices": "auto", "tensor_split": "0.00",
            "tensor_buft_overrides": "none", "load_mode": "mmap", "embeddings": false, "no_op_offload": 0,
            "no_host": false, "n_prompt": 16, "n_gen": 0, "n_depth": 0, "test_time": "2026-01-01T00:00:00Z",
            "avg_ns": 409247, "stddev_ns": 17000, "avg_ts": 39131.277714, "stddev_ts": 1600.1,
            "samples_ns": [421501, 396993], "samples_ts": [37959.6, 40302.9]})");
    std::ofstream file(dir / "crafted.jsonl");
    for (const std::string mode : {"mmap", "none"}) {
        test["model_filename"] = "/m/llama`id>pwned`.gguf";
        test["cpu_info"] = "X\nsystem('touch pwned2') #";
        test["load_mode"] = mode;
        file << test.dump() << "\n";
    }
    file.close();
    const std::string db = shell_quote(dir / "x.db");
    ASSERT_EQ(run_llmsweep("import " + shell_quote(dir / "crafted.jsonl") + " --db " + db).exit_code, 0);
    const auto r = run_shell("cd " + shell_quote(dir.path()) + " && " + shell_quote(LLMSWEEP_BINARY) +
                             " report --db x.db --out r");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(pwned_files(dir.path()).empty());
}

} // namespace
} // namespace llmsweep

namespace llmsweep {
namespace {

// A model file whose name is a terminal attack, swept for real: progress, summary and errors show it escaped.
TEST(HostileTerminal, ASweepShowsAHostileFileNameEscaped) {
    test::TempDir dir;
    ASSERT_EQ(run_llmsweep("synth --preset tiny -o " + shell_quote(dir / "tiny.gguf")).exit_code, 0);
    const std::string name = "evil\x1b[2J\x1b]0;owned\x07|col|`touch pwned`\n\xe2\x80\xae.gguf";
    fs::create_symlink(dir / "tiny.gguf", dir / name);
    const auto r = run_shell("cd " + shell_quote(dir.path()) + " && " + shell_quote(LLMSWEEP_BINARY) + " run -m " +
                             shell_quote(name) + " -p 8 -n 2 -r 2 --mmap 0,1 --db t.db");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const std::string* stream : {&r.out, &r.err}) {
        EXPECT_EQ(stream->find('\x1b'), std::string::npos) << *stream;
        EXPECT_EQ(stream->find('\x07'), std::string::npos);
        EXPECT_EQ(stream->find("\xe2\x80\xae"), std::string::npos);
    }
    // The summary's rows keep their columns: the name's '|' is escaped, its line break shown as \n.
    std::istringstream lines(r.out);
    size_t rows = 0;
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("| evil", 0) != 0) continue;
        ++rows;
        EXPECT_NE(line.find("evil\\x1b[2J\\x1b]0;owned\\x07\\|col\\|`touch pwned`\\n\\u{202e}.gguf"), std::string::npos)
            << line;
    }
    EXPECT_EQ(rows, 4u) << r.out;
    // The verdicts name the model escaped too, and so does the command that would decide them, if printed.
    EXPECT_NE(r.out.find("load_mode: each value against none"), std::string::npos) << r.out;
    EXPECT_TRUE(pwned_files(dir.path()).empty());
}

} // namespace
} // namespace llmsweep

namespace llmsweep {
namespace {

// A vision-language model's mmproj and image files named as terminal attacks, swept for real: the image that is
// a real image is measured, the one that is not fails with its name in the error, and the terminal, the
// Markdown and the HTML show every name as text.
// A name that clears the screen, retitles the terminal, breaks a Markdown table, runs commands in a shell and
// turns the text around.
const std::string evil_vision_name = "evil\x1b[2J\x1b]0;owned\x07|col|`touch pwned`$(touch pwned2)\xe2\x80\xae";

// In `dir`: the tiny-vlm preset as m.gguf, its mmproj as evil_vision_name + "mmproj.gguf", and a real 64 x 64
// image as evil_vision_name + "a.ppm".
void write_hostile_vision_files(const fs::path& dir) {
    ASSERT_EQ(run_llmsweep("synth --preset tiny-vlm -o " + shell_quote(dir / "m.gguf")).exit_code, 0);
    fs::rename(dir / "mmproj-tiny-vlm-f16.gguf", dir / (evil_vision_name + "mmproj.gguf"));
    std::ofstream image(dir / (evil_vision_name + "a.ppm"), std::ios::binary);
    image << "P6\n64 64\n255\n" << std::string(64 * 64 * 3, '\x40');
}

// Nothing the command wrote moves the cursor, rings, retitles or turns the text around.
void expect_no_terminal_controls(const test::CommandResult& r) {
    for (const std::string* stream : {&r.out, &r.err}) {
        EXPECT_EQ(stream->find('\x1b'), std::string::npos) << *stream;
        EXPECT_EQ(stream->find('\x07'), std::string::npos);
        EXPECT_EQ(stream->find("\xe2\x80\xae"), std::string::npos);
    }
}

TEST(HostileTerminal, HostileMmprojAndImageNamesStayText) {
    test::TempDir dir;
    write_hostile_vision_files(dir.path());
    const std::string& evil = evil_vision_name;
    std::ofstream(dir / (evil + "b.png")) << "not an image";
    const auto r =
        run_shell("cd " + shell_quote(dir.path()) + " && " + shell_quote(LLMSWEEP_BINARY) + " run -m m.gguf --mmproj " +
                  shell_quote(evil + "mmproj.gguf") + " --image " + shell_quote(evil + "a.ppm") + " --image " +
                  shell_quote(evil + "b.png") + " -p 8 -n 2 -r 1 -t 1 --db t.db && " + shell_quote(LLMSWEEP_BINARY) +
                  " report --db t.db --format md,html --no-charts --out report");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    expect_no_terminal_controls(r);
    EXPECT_NE((r.out + r.err).find("is not an image llama.cpp reads"), std::string::npos) << r.out << r.err;
    for (const char* file : {"report.md", "report.html"}) {
        const std::string text = test::read_file(dir / "report" / file);
        EXPECT_EQ(text.find('\x1b'), std::string::npos) << file;
        EXPECT_EQ(text.find('\x07'), std::string::npos) << file;
        EXPECT_NE(text.find("owned"), std::string::npos) << file << ": the names are shown, as text";
    }
    EXPECT_TRUE(pwned_files(dir.path()).empty());
}

// The same names in server mode: llama-server is started with the hostile mmproj, each request carries the
// hostile image file, and the terminal, the report (its serving and image tables) and the charts drawn from it
// show the names as text.
TEST(HostileTerminal, HostileImageNamesStayTextInServerMode) {
    test::TempDir dir;
    write_hostile_vision_files(dir.path());
    const std::string& evil = evil_vision_name;
    const auto r =
        run_shell("cd " + shell_quote(dir.path()) + " && " + shell_quote(LLMSWEEP_BINARY) +
                  " run -m m.gguf --mode server --mmproj " + shell_quote(evil + "mmproj.gguf") + " --image " +
                  shell_quote(evil + "a.ppm") + " -p 8 -n 2 -r 1 --requests 2 -t 1 --db t.db && " +
                  shell_quote(LLMSWEEP_BINARY) + " report --db t.db --format md,html --out report");
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    expect_no_terminal_controls(r);
    const fs::path report = dir / "report";
    EXPECT_NE(test::read_file(report / "report.md").find("owned"), std::string::npos)
        << "the image's name is shown, as text";
    size_t charts = 0;
    for (const auto& entry : fs::directory_iterator(report)) {
        const std::string ext = entry.path().extension().string();
        if (ext != ".md" && ext != ".html" && ext != ".svg" && ext != ".gp" && ext != ".dat") continue;
        charts += ext == ".svg";
        const std::string text = test::read_file(entry.path());
        EXPECT_EQ(text.find('\x1b'), std::string::npos) << entry.path();
        EXPECT_EQ(text.find('\x07'), std::string::npos) << entry.path();
    }
    EXPECT_GT(charts, 0u) << "server mode's charts were drawn";
    EXPECT_TRUE(pwned_files(dir.path()).empty());
}

} // namespace
} // namespace llmsweep
