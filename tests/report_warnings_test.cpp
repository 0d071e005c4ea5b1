// What the report says about how the measurements were taken: the loads it counts, compared values measured
// on different huge pages, visits measured beside other work, and a flagged round's busy visit.
#include "chart/charts.hpp"
#include "report/report_model.hpp"
#include "report/strings.hpp"
#include "report/writers.hpp"
#include "store/store.hpp"
#include "test_support.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <tuple>

namespace llmsweep::report {
namespace {

// Two native runs whose loads took 1 and 2 ms, and a llama-bench run whose load llama-bench did not time.
TEST(ReportLoads, OnlyTheReportsRunsCountAndUntimedLoadsAreNotZero) {
    test::TempDir dir;
    const std::string db = (dir / "l.db").string();
    {
        store::Store store(db);
        for (const auto& [engine, load_ms] : std::vector<std::pair<std::string, std::optional<double>>>{
                 {"native", 1.0}, {"native", 2.0}, {"llama-bench", std::nullopt}}) {
            const int64_t run = test::insert_test_run(store);
            store.update_run(run, {{"engine", engine}});
            store::Row load = test::load_row(run, "/m/a.gguf", "mmap",
                                             {{"round", int64_t{0}},
                                              {"rss_peak_bytes", int64_t{1048576}},
                                              {"rss_anon_peak_kb", int64_t{512}},
                                              {"rss_file_peak_kb", int64_t{256}},
                                              {"resident_before_bytes", int64_t{0}},
                                              {"resident_after_bytes", int64_t{2097152}}});
            if (load_ms) load.emplace_back("load_ms", *load_ms);
            store.insert_load(load);
            for (int64_t p : {32, 64}) {
                test::ok_result(store, run, fmt::format("{}{}", run, p), "pp",
                                test::point_row("/m/a.gguf", "mmap", p, 16), 100.0, 1.0);
            }
        }
    }
    store::Store store(db, store::Store::Access::read_only);
    ReportOptions all;
    all.compare = "n_prompt";
    const ReportModel every = build_report(store, db, all);
    ASSERT_EQ(every.loads.size(), 1u);
    EXPECT_EQ(every.loads[0].loads, 3u);
    ASSERT_TRUE(every.loads[0].load_ms_mean.has_value());
    EXPECT_DOUBLE_EQ(*every.loads[0].load_ms_mean, 1.5) << "the untimed load is not a 0 ms load";
    EXPECT_EQ(every.runs.size(), 3u);

    ReportOptions native = all;
    native.filters.where.emplace_back("engine", "native");
    const ReportModel some = build_report(store, db, native);
    ASSERT_EQ(some.loads.size(), 1u);
    EXPECT_EQ(some.loads[0].loads, 2u) << "the filter filters the loads";
    EXPECT_EQ(some.runs.size(), 2u) << "the methodology lists the runs the report shows";

    ReportOptions bench = all;
    bench.filters.where.emplace_back("engine", "llama-bench");
    const ReportModel untimed = build_report(store, db, bench);
    ASSERT_EQ(untimed.loads.size(), 1u);
    EXPECT_FALSE(untimed.loads[0].load_ms_mean.has_value());
    // Its charts show the memory alone: llama-bench does not time its loads, and no 0 ms load is drawn.
    const auto charts = chart::report_charts(untimed, "en");
    const auto is = [](const char* stem) {
        return [stem](const chart::Figure& f) { return f.stem.rfind(stem, 0) == 0; };
    };
    EXPECT_EQ(std::count_if(charts.figures.begin(), charts.figures.end(), is("loads_time")), 0);
    const auto memory = std::find_if(charts.figures.begin(), charts.figures.end(), is("loads_memory"));
    ASSERT_NE(memory, charts.figures.end());
    EXPECT_EQ(memory->ylabel, "peak resident memory (MiB)");
    EXPECT_TRUE(charts.left_out.empty()) << "an untimed load is no result left out";
    const auto timed = chart::report_charts(every, "en").figures;
    EXPECT_EQ(std::count_if(timed.begin(), timed.end(), is("loads_time")), 1) << "timed loads: load time and memory";
    EXPECT_EQ(std::count_if(timed.begin(), timed.end(), is("loads_memory")), 1);
    EXPECT_NE(markdown_report(untimed, "en").find("| a.gguf | - | warm | 1 | - | - |"), std::string::npos)
        << markdown_report(untimed, "en");
    // The JSON says what the loads table says: the memory the peak holds and the page cache before and after.
    const auto loads = nlohmann::json::parse(json_report(every)).at("loads").at(0);
    EXPECT_DOUBLE_EQ(loads.at("peak_anon_mib_mean").get<double>(), 0.5);
    EXPECT_DOUBLE_EQ(loads.at("peak_file_mib_mean").get<double>(), 0.25);
    EXPECT_DOUBLE_EQ(loads.at("cached_before_mib_mean").get<double>(), 0.0);
    EXPECT_DOUBLE_EQ(loads.at("cached_after_mib_mean").get<double>(), 2.0);
}

// mmap's workers had the model on huge pages (PMD-mapped file pages), none's did not: the report says that the
// load modes' difference includes the huge pages' effect, in both languages; when both ran without, it does not.
TEST(ReportHugePages, ComparedValuesWithDifferentHugePagesAreAWarning) {
    test::TempDir dir;
    const std::string db = (dir / "h.db").string();
    auto fill = [&](int64_t mmap_file_pmd_kb) {
        store::Store store(db);
        const int64_t run = test::insert_test_run(store);
        for (const auto& [load_mode, file_pmd_kb] :
             std::vector<std::pair<std::string, int64_t>>{{"none", 0}, {"mmap", mmap_file_pmd_kb}}) {
            const int64_t load = store.insert_load(
                test::load_row(run, "/m/a.gguf", load_mode,
                               {{"anon_huge_at_end_kb", int64_t{0}}, {"file_pmd_at_end_kb", file_pmd_kb}}));
            for (int64_t p : {32, 64}) {
                const int64_t id = test::ok_result(store, run, load_mode + std::to_string(p), "pp",
                                                   test::point_row("/m/a.gguf", load_mode, p, 16), 100.0, 1.0);
                store.insert_sample({{"result_id", id},
                                     {"load_id", load},
                                     {"repetition", int64_t{0}},
                                     {"ns", int64_t{1000}},
                                     {"ts", 100.0}});
            }
        }
    };
    fill(100352);
    {
        store::Store store(db, store::Store::Access::read_only);
        const ReportModel m = build_report(store, db, {});
        ASSERT_EQ(m.huge_pages_differ.size(), 1u);
        EXPECT_EQ(m.huge_pages_differ[0].used,
                  (std::vector<std::pair<std::string, std::string>>{{"none", "no"}, {"mmap", "yes"}}));
        EXPECT_NE(markdown_report(m, "en").find("a.gguf: load_mode=none: no; load_mode=mmap: yes (huge pages used)"),
                  std::string::npos)
            << markdown_report(m, "en");
        EXPECT_NE(markdown_report(m, "zh").find("(是否使用大页)"), std::string::npos);
        ReportOptions within;
        within.compare = "load_mode";
        within.filters.where = {{"huge_pages_used", "no"}};
        EXPECT_THROW(build_report(store, db, within), UsageError) << "only none is left: nothing to compare";
    }
    std::filesystem::remove(db);
    fill(0);
    store::Store store(db, store::Store::Access::read_only);
    EXPECT_TRUE(build_report(store, db, {}).huge_pages_differ.empty());
}

// A visit beside other work (0.9 cores of other processes) and one with the hypervisor stealing 7 % are
// listed, in both languages; a quiet one and one recorded before these columns are not.
TEST(ReportBusyVisits, VisitsBesideOtherWorkAreListed) {
    test::TempDir dir;
    const std::string db = (dir / "b.db").string();
    {
        store::Store store(db);
        const int64_t run = test::insert_test_run(store);
        int64_t round = 0;
        for (const auto& [mode, other, steal] : std::vector<std::tuple<std::string, std::optional<double>, double>>{
                 {"none", 0.9, 0.0}, {"mmap", 0.05, 7.0}, {"none", 0.1, 1.0}, {"mmap", std::nullopt, 0.0}}) {
            store::Row row = test::load_row(run, "/m/a.gguf", mode, {{"round", round++}});
            if (other)
                row.insert(row.end(), {{"other_cpu_cores", *other}, {"steal_percent", steal}, {"load_average", 1.5}});
            store.insert_load(row);
        }
        for (const std::string mode : {"none", "mmap"})
            for (int64_t p : {32, 64})
                test::ok_result(store, run, mode + std::to_string(p), "pp", test::point_row("/m/a.gguf", mode, p, 16),
                                100.0, 1.0);
    }
    store::Store store(db, store::Store::Access::read_only);
    const ReportModel m = build_report(store, db, {});
    ASSERT_EQ(m.busy_visits.size(), 2u);
    EXPECT_EQ(m.busy_visits[0].value, "none");
    EXPECT_EQ(m.busy_visits[0].round, 0);
    EXPECT_EQ(m.busy_visits[1].value, "mmap");
    const std::string en = markdown_report(m, "en");
    EXPECT_NE(en.find("a.gguf load_mode=none, round 0 of run 1: other processes 0.90 cores, steal 0.0 %"),
              std::string::npos)
        << en;
    const std::string zh = markdown_report(m, "zh");
    EXPECT_NE(zh.find("运行 1 的第 1 轮: 其他进程 0.05 个核心, 窃取 7.0 %"), std::string::npos) << zh;
    const auto json = nlohmann::json::parse(json_report(m));
    ASSERT_EQ(json["warnings"]["busy_visits"].size(), 2u);
    EXPECT_EQ(json["warnings"]["busy_visits"][1]["steal_percent"], 7.0);
}

// Six rounds of one point at both load modes, mmap 2 % faster, but round 3's mmap visit ran beside other work
// and read 30 % low: the round is flagged, said to have had a busy visit, and the verdict without it given.
TEST(ReportFlaggedRounds, AFlaggedRoundNamesItsBusyVisit) {
    test::TempDir dir;
    const std::string db = (dir / "f.db").string();
    {
        store::Store store(db);
        const int64_t run = test::insert_test_run(store);
        const std::vector<double> level = {1.00, 0.99, 1.01, 1.00, 0.995, 1.005};
        for (const std::string mode : {"none", "mmap"}) {
            const int64_t id =
                store.ensure_result(run, "p-" + mode, "tg", test::point_row("/m/a.gguf", mode, 512, 128));
            for (int64_t round = 0; round < 6; ++round) {
                const bool disturbed = mode == "mmap" && round == 3;
                const int64_t load = store.insert_load(test::load_row(run, "/m/a.gguf", mode,
                                                                      {{"round", round},
                                                                       {"other_cpu_cores", disturbed ? 0.95 : 0.02},
                                                                       {"steal_percent", 0.0},
                                                                       {"load_average", 1.0}}));
                const double ts = 40.0 * level[round] * (mode == "mmap" ? (disturbed ? 0.70 : 1.02) : 1.0);
                store.insert_sample(
                    {{"result_id", id}, {"load_id", load}, {"repetition", round}, {"ns", int64_t{1000}}, {"ts", ts}});
            }
            store.summarize_result(id, "ok", "2026-01-01T00:00:00Z");
        }
    }
    store::Store store(db, store::Store::Access::read_only);
    const ReportModel m = build_report(store, db, {});
    ASSERT_EQ(m.comparisons.size(), 1u);
    ASSERT_EQ(m.comparisons[0].effect.flagged, (std::vector<size_t>{3}));
    ASSERT_TRUE(m.comparisons[0].verdict_without_flagged.has_value());
    EXPECT_EQ(*m.comparisons[0].verdict_without_flagged, analysis::Verdict::faster);
    EXPECT_NE(m.comparisons[0].verdict, analysis::Verdict::faster) << "with the disturbed round, not decided";
    const std::string en = markdown_report(m, "en");
    EXPECT_NE(en.find("round 3 of run 1: -30.00 %"), std::string::npos) << en;
    EXPECT_NE(en.find(std::string(strings("en").flagged_busy)), std::string::npos) << en;
    EXPECT_NE(markdown_report(m, "zh").find(std::string(strings("zh").flagged_busy)), std::string::npos);
}

} // namespace
} // namespace llmsweep::report
