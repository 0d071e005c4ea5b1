// The report's charts checked against the data they draw (no chart pools models, points labelled by their
// parameters, the forest plot's rows and the heatmap's cells), and the HTML page laid out by a real browser.

#include "chart/charts.hpp"
#include "chart/figure.hpp"
#include "chart/gnuplot.hpp"
#include "chart/serving_charts.hpp"
#include "report/report_model.hpp"
#include "report/strings.hpp"
#include "report/tables.hpp"
#include "store/store.hpp"
#include "test_support.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace llmsweep::report {
namespace {

using test::run_llmsweep;
using test::shell_quote;

// Two models ten times apart in throughput, a doubling n_prompt grid and two n_gen: what the charts draw, checked
// against the data.
class ReportCharts : public ::testing::Test {
protected:
    ReportCharts() : db_path((dir / "c.db").string()) {
        store::Store store(db_path);
        const int64_t run = test::insert_test_run(store);
        int i = 0;
        for (const std::string model : {"fast.gguf", "slow.gguf"})
            for (const std::string metric : {"pp", "tg"})
                for (const std::string mode : {"none", "mmap"})
                    for (int64_t p = 32; p <= 256; p *= 2)
                        for (int64_t g : {16, 32}) {
                            const double ts = (model == "fast.gguf" ? 1000.0 : 100.0) * (mode == "mmap" ? 1.05 : 1.0) *
                                              (1.0 + 0.01 * ((i++ * 7) % 5)) * (1.0 - 0.001 * static_cast<double>(p));
                            test::ok_result(store, run, fmt::format("{}{}{}-{}", model, mode, p, g), metric,
                                            test::point_row("/m/" + model, mode, p, g), ts, ts * 0.02);
                        }
        m = build_report(store, db_path, {});
    }

    test::TempDir dir;
    std::string db_path;
    ReportModel m;
};

TEST_F(ReportCharts, NoChartPoolsModels) {
    const auto charts = chart::report_charts(m, "en");
    size_t checked = 0;
    for (const auto& f : charts.figures) {
        if (f.stem.rfind("loads_", 0) == 0 || f.stem.find("_forest") != std::string::npos) continue;
        const bool fast = f.title.rfind("fast.gguf", 0) == 0;
        ASSERT_TRUE(fast || f.title.rfind("slow.gguf", 0) == 0) << f.title;
        if (f.stem.find("_heatmap") != std::string::npos) continue; // percentages of one model, by its title
        for (const auto& series : f.series)
            for (const auto& p : series.points) {
                // Every value drawn is one model's: fast's are 700-1100 t/s, slow's 70-110; a mean of both would
                // fall between.
                const double y = f.stem.find("_pairs") != std::string::npos ? std::max(p.x, p.y) : p.y;
                EXPECT_TRUE(fast ? y > 600 : y < 120) << f.title << ": " << y;
                ++checked;
            }
    }
    EXPECT_GT(checked, 100u);
}

TEST_F(ReportCharts, PointsAreOrderedAndLabelledByTheirParameters) {
    const auto charts = chart::report_charts(m, "en");
    const auto points = std::find_if(charts.figures.begin(), charts.figures.end(),
                                     [](const auto& f) { return f.stem == "fast.gguf_pp_load_mode_comparison"; });
    ASSERT_NE(points, charts.figures.end());
    ASSERT_EQ(points->xtics.size(), 8u);
    const std::vector<std::string> labels = {"p32 n16",  "p32 n32",  "p64 n16",  "p64 n32",
                                             "p128 n16", "p128 n32", "p256 n16", "p256 n32"};
    for (size_t i = 0; i < labels.size(); ++i) {
        EXPECT_EQ(points->xtics[i].first, static_cast<double>(i));
        EXPECT_EQ(points->xtics[i].second, labels[i]);
    }
    // Each drawn point is the record its tick names.
    ASSERT_EQ(points->series.size(), 2u);
    for (size_t v = 0; v < 2; ++v) {
        const std::string mode = v == 0 ? "none" : "mmap";
        EXPECT_EQ(points->series[v].title, "load_mode = " + mode);
        ASSERT_EQ(points->series[v].points.size(), 8u);
        for (const auto& p : points->series[v].points) {
            const std::string& label = labels.at(static_cast<size_t>(std::lround(p.x)));
            const auto r = std::find_if(m.data.records.begin(), m.data.records.end(), [&](const analysis::Record& r) {
                return r.model == "fast.gguf" && r.metric == "pp" && r.params.at("load_mode") == mode &&
                       fmt::format("p{} n{}", r.params.at("n_prompt"), r.params.at("n_gen")) == label;
            });
            ASSERT_NE(r, m.data.records.end()) << label;
            EXPECT_DOUBLE_EQ(p.y, r->avg_ts) << label;
        }
    }
    // The doubling grid is drawn on a log2 axis.
    const auto trend = std::find_if(charts.figures.begin(), charts.figures.end(),
                                    [](const auto& f) { return f.stem == "fast.gguf_pp_load_mode_by_n_prompt"; });
    ASSERT_NE(trend, charts.figures.end());
    EXPECT_TRUE(trend->log2_x);
    EXPECT_EQ(trend->xtics.size(), 4u);
    EXPECT_NE(trend->caption.find("error bars the repetitions' sd"), std::string::npos) << trend->caption;
}

TEST_F(ReportCharts, TheForestPlotDrawsTheComparisonsOfDifferenceCsv) {
    const auto charts = chart::report_charts(m, "en");
    const Table csv = csv_table(comparison_columns(m, strings("en")), m.comparisons);
    const auto& header = csv.header();
    const auto column = [&](const char* name) {
        return std::find(header.begin(), header.end(), name) - header.begin();
    };
    size_t rows = 0;
    for (const std::string model : {"fast.gguf", "slow.gguf"}) {
        const auto forest = std::find_if(charts.figures.begin(), charts.figures.end(),
                                         [&](const auto& f) { return f.stem == model + "_load_mode_forest"; });
        ASSERT_NE(forest, charts.figures.end()) << model;
        EXPECT_TRUE(forest->headline);
        EXPECT_EQ(forest->x_band, m.margin_pct);
        std::vector<chart::Point> drawn;
        for (const auto& series : forest->series) drawn.insert(drawn.end(), series.points.begin(), series.points.end());
        std::sort(drawn.begin(), drawn.end(), [](const auto& a, const auto& b) { return a.y > b.y; }); // top first
        std::vector<std::vector<std::string>> expected;
        for (const auto& row : csv.rows())
            if (row[column("model")] == model) expected.push_back(row);
        ASSERT_EQ(drawn.size(), expected.size()) << model;
        for (size_t i = 0; i < drawn.size(); ++i) {
            const auto& row = expected[i];
            EXPECT_NEAR(drawn[i].x, std::stod(row[column("difference_percent")]), 1e-9);
            ASSERT_TRUE(drawn[i].x_range.has_value());
            EXPECT_NEAR(drawn[i].x_range->first, std::stod(row[column("ci95_low_percent")]), 1e-9);
            EXPECT_NEAR(drawn[i].x_range->second, std::stod(row[column("ci95_high_percent")]), 1e-9);
            EXPECT_EQ(forest->ytics.at(i).second, row[column("metric")] + " " + row[column("value")]);
            ++rows;
        }
        EXPECT_NE(forest->caption.find(model), std::string::npos) << forest->caption;
    }
    EXPECT_EQ(rows, m.comparisons.size());
    const auto zh = chart::report_charts(m, "zh");
    EXPECT_NE(zh.figures.front().caption.find("项比较"), std::string::npos) << zh.figures.front().caption;
}

// The heatmap's cells are the relative differences at each n_prompt x n_gen; without samples there is no
// interval, so every number is in parentheses.
TEST_F(ReportCharts, TheHeatmapShowsTheDifferenceInEachCell) {
    const auto charts = chart::report_charts(m, "en");
    const auto heatmap = std::find_if(charts.figures.begin(), charts.figures.end(),
                                      [](const auto& f) { return f.stem == "slow.gguf_tg_load_mode_mmap_heatmap"; });
    ASSERT_NE(heatmap, charts.figures.end());
    ASSERT_EQ(heatmap->series.size(), 2u);
    const auto& cells = heatmap->series[0].points;
    const auto& labels = heatmap->series[1].points;
    ASSERT_EQ(cells.size(), 8u); // 4 n_prompt x 2 n_gen
    ASSERT_TRUE(heatmap->color_range.has_value());
    const auto ts = [&](const std::string& mode, const std::string& p, const std::string& g) {
        for (const auto& r : m.data.records)
            if (r.model == "slow.gguf" && r.metric == "tg" && r.params.at("load_mode") == mode &&
                r.params.at("n_prompt") == p && r.params.at("n_gen") == g)
                return r.avg_ts;
        ADD_FAILURE() << mode << p << g;
        return 0.0;
    };
    for (size_t i = 0; i < cells.size(); ++i) {
        const std::string p = heatmap->xtics.at(static_cast<size_t>(cells[i].x)).second;
        const std::string g = heatmap->ytics.at(static_cast<size_t>(cells[i].y)).second;
        const double expected = 100.0 * (ts("mmap", p, g) / ts("none", p, g) - 1);
        EXPECT_NEAR(cells[i].z, expected, 1e-9) << p << " " << g;
        EXPECT_EQ(labels[i].label, fmt::format("({:+.1f})", expected));
        EXPECT_LE(std::fabs(cells[i].z), *heatmap->color_range);
    }
    EXPECT_NE(heatmap->caption.find("(8 of 8)"), std::string::npos) << heatmap->caption;
}

// Sizes that are not numbers (a database edited by hand: "nan", "x") sort apart from the others and from each
// other, and the heatmap is still drawn, its other cells as before.
TEST_F(ReportCharts, AHeatmapOfSizesThatAreNotNumbersIsStillDrawn) {
    {
        store::Store store(db_path);
        store.db().exec("UPDATE results SET n_prompt = CASE WHEN n_prompt = 32 THEN 'nan' ELSE 'x' END "
                        "WHERE n_prompt IN (32, 64) AND n_gen = 16");
    }
    store::Store store(db_path, store::Store::Access::read_only);
    const ReportModel edited = build_report(store, db_path, {});
    const auto charts = chart::report_charts(edited, "en");
    const auto heatmap = std::find_if(charts.figures.begin(), charts.figures.end(),
                                      [](const auto& f) { return f.stem == "slow.gguf_tg_load_mode_mmap_heatmap"; });
    ASSERT_NE(heatmap, charts.figures.end());
    const auto& cells = heatmap->series[0].points;
    EXPECT_EQ(cells.size(), 8u) << "128 and 256 with both n_gen, 32 and 64 with 32, nan and x with 16";
    for (const auto& cell : cells) EXPECT_TRUE(std::isfinite(cell.z));
}

// A key whose longest title is over 20 characters, as drawn, gets one column (gnuplot's estimate of a title's width
// runs short of what cairo draws). A byte that is not UTF-8 is drawn as one character, U+FFFD, and counts as one:
// a title of 21 stray continuation bytes is as wide as one of 21 letters (found by fuzz/fuzz_chart.cpp).
TEST(Gnuplot, AKeysTitlesAreAsWideAsTheCharactersDrawn) {
    const auto one_column = [](const std::string& title) {
        chart::Figure figure;
        figure.stem = "key";
        figure.key = true;
        figure.series.push_back({.title = title, .points = {{1, 2, std::nullopt}}});
        return chart::to_gnuplot(figure).script.find(" maxcols 1\n") != std::string::npos;
    };
    EXPECT_FALSE(one_column(std::string(20, 'x')));
    EXPECT_TRUE(one_column(std::string(21, 'x')));
    std::string accents;
    for (int i = 0; i < 20; ++i) accents += "\xC3\xA9"; // é, two bytes each
    EXPECT_FALSE(one_column(accents)) << "20 characters of 40 bytes";
    EXPECT_TRUE(one_column(accents + "\xC3\xA9"));
    EXPECT_FALSE(one_column(std::string(20, '\x85')));
    EXPECT_TRUE(one_column(std::string(21, '\x85'))) << "21 invalid bytes, 21 U+FFFD drawn";
}

// The Pareto chart's caption speaks of the grey line only where one is drawn: a front of one load draws none.
TEST(ServingCharts, TheParetoCaptionSpeaksOfALineOnlyWhereOneIsDrawn) {
    ReportModel m;
    m.models = {"a.gguf"};
    m.compare = "parallel";
    m.values = {"1", "2"};
    const auto point = [](const std::string& value, double load, double tps, double ttft, bool pareto) {
        analysis::ServingPoint p;
        p.model = "a.gguf", p.value = value, p.load = load, p.output_tps = tps, p.ttft_p99 = ttft, p.pareto = pareto;
        return p;
    };
    for (const std::string lang : {"en", "zh"}) {
        const Strings& s = strings(lang);
        // The second load has less throughput at a higher latency: the front is the first alone.
        m.serving.points = {point("1", 1, 100, 50, true), point("2", 1, 80, 60, false)};
        auto figures = chart::serving_figures(m, lang);
        ASSERT_EQ(figures.size(), 1u) << "one load: the Pareto chart alone";
        EXPECT_EQ(figures[0].caption, fmt::format(fmt::runtime(s.chart_pareto_caption_unjoined), "a.gguf", 1));
        EXPECT_EQ(std::count_if(figures[0].series.begin(), figures[0].series.end(),
                                [](const chart::Series& x) { return x.style == chart::Series::Style::lines; }),
                  0);
        // Two loads on the front: a line joins them, and the caption says so.
        m.serving.points = {point("1", 1, 100, 50, true), point("2", 1, 120, 70, true)};
        figures = chart::serving_figures(m, lang);
        ASSERT_EQ(figures.size(), 1u);
        EXPECT_EQ(figures[0].caption, fmt::format(fmt::runtime(s.chart_pareto_caption), "a.gguf", 2));
    }
}

// The HTML page laid out by a real browser at a phone's, a laptop's and a desktop's width
// (tests/fixtures/layout_probe.js measures it from the DOM).
TEST_F(ReportCharts, TheHtmlPageWorksAtEveryWidth) {
    if (test::run_shell("command -v chromium").exit_code != 0) GTEST_SKIP() << "chromium is not installed";
    if (test::run_shell("command -v gnuplot").exit_code != 0) GTEST_SKIP() << "gnuplot is not installed";
    const auto out = dir / "html";
    const auto r = run_llmsweep("report --lang zh --db " + shell_quote(db_path) + " --out " + shell_quote(out));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::filesystem::copy_file(std::filesystem::path(LLMSWEEP_SOURCE_DIR) / "tests/fixtures/layout_probe.js",
                               out / "layout_probe.js");
    for (const int width : {390, 1280, 1920}) {
        SCOPED_TRACE(width);
        // A frame as wide as the screen and taller than the page: no scroll bar of its own takes width.
        std::ofstream(out / "harness.html")
            << fmt::format("<!DOCTYPE html><html><head><script src=\"layout_probe.js\"></script></head>"
                           "<body style=\"margin:0\"><iframe src=\"report.html\" onload=\"probe(this)\" "
                           "style=\"width:{}px;height:100000px;border:0\"></iframe></body></html>",
                           width);
        const auto browser = test::run_shell(
            "timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
            "--disable-background-networking --disable-component-update --disable-sync --allow-file-access-from-files "
            "--enable-logging=stderr --v=0 --window-size=2000,2000 --user-data-dir=" +
            shell_quote(dir / "profile") + " --dump-dom " + shell_quote("file://" + (out / "harness.html").string()));
        ASSERT_EQ(browser.exit_code, 0) << browser.err;
        EXPECT_EQ(browser.err.find("CONSOLE"), std::string::npos) << browser.err;
        const auto start = browser.out.find("<pre id=\"probe\">");
        ASSERT_NE(start, std::string::npos) << browser.out.substr(0, 2000);
        const auto end = browser.out.find("</pre>", start);
        // The JSON as the DOM's text: only &, < and > are escaped there.
        std::string text = browser.out.substr(start + 16, end - start - 16);
        for (const auto& [entity, c] : {std::pair{"&lt;", "<"}, {"&gt;", ">"}, {"&amp;", "&"}})
            for (size_t at; (at = text.find(entity)) != std::string::npos;) text.replace(at, std::strlen(entity), c);
        const auto probe = nlohmann::json::parse(text);
        EXPECT_EQ(probe.at("width"), width);
        EXPECT_EQ(probe.at("page"), width) << "the page itself never scrolls sideways";
        EXPECT_TRUE(probe.at("wide").empty()) << probe.at("wide").dump();
        ASSERT_FALSE(probe.at("tables").empty());
        for (const auto& table : probe.at("tables")) {
            EXPECT_LE(table.at("right").get<double>(), width) << table.dump();
            // The last column is in view, or reachable by scrolling the table's own box.
            EXPECT_TRUE(table.at("content").get<double>() <= table.at("shown").get<double>() ||
                        table.at("scrolls").get<bool>())
                << table.dump();
        }
        size_t svgs = 0;
        for (const auto& entry : std::filesystem::directory_iterator(out)) svgs += entry.path().extension() == ".svg";
        EXPECT_EQ(probe.at("charts").get<size_t>(), svgs);
        EXPECT_GE(probe.at("smallest_chart_text_px").get<double>(), 11.0);
    }
}

} // namespace
} // namespace llmsweep::report
