#include "analysis_fixture.hpp"

namespace llmsweep::analysis {
namespace {

using store::Row;

// A setting each model has one value of (a vision-language model's mmproj beside a text model's none) is the
// models', not a second parameter to choose between: the load modes are compared by default. Where one model
// has both values, it is a parameter again, and the report asks which to compare.
TEST_F(AnalysisTest, ASettingEachModelHasOneValueOfIsTheModels) {
    const auto add_point = [&](const std::string& model, const std::string& mmproj, const std::string& mode) {
        domain::Point point;
        point.load.model = "/models/" + model;
        point.load.mmproj = mmproj;
        point.load.load_mode = domain::parse_load_mode(mode);
        point.test = {64, 0, 0};
        const int64_t id =
            store.ensure_result(run_id, model + mmproj + mode, "pp", store::point_columns(point, domain::Mode::split));
        store.update_result(id, {{"avg_ts", 100.0}, {"stddev_ts", 1.0}, {"repetitions", int64_t{1}}, {"status", "ok"}});
    };
    for (const std::string mode : {"none", "mmap"}) {
        add_point("text.gguf", "", mode);
        add_point("vision.gguf", "/models/mmproj.gguf", mode);
    }
    EXPECT_EQ(choose_compare(load_dataset(store, {}), std::nullopt), "load_mode");
    for (const std::string mode : {"none", "mmap"}) add_point("text.gguf", "/models/mmproj.gguf", mode);
    EXPECT_THROW(choose_compare(load_dataset(store, {}), std::nullopt), UsageError);
}

// The model is a parameter like any other when asked for: the comparisons are then across models (one group),
// pairs match on every other parameter, and a sweep of two models still compares its two load modes by default.
TEST_F(AnalysisTest, ModelsAreComparedOnTheirMatchedPoints) {
    fill();
    const Dataset data = load_dataset(store, {});
    EXPECT_EQ(choose_compare(data, std::nullopt), "load_mode") << "the model only when asked";
    const auto c = compare_paired(data, "model", std::string("a.gguf"));
    // pp (b.gguf has 4 points per load mode, all of them at n_gen 32, matching a.gguf's) and tg (b has none).
    ASSERT_EQ(c.size(), 1u);
    EXPECT_EQ(c[0].model, "") << "one group: every model";
    EXPECT_EQ(c[0].metric, "pp");
    EXPECT_EQ(c[0].baseline, "a.gguf");
    EXPECT_EQ(c[0].value, "b.gguf");
    EXPECT_EQ(c[0].n_pairs, 8u) << "4 points x 2 load modes, each matched with a's same point";
    // b is 900/400 = 2.25 times a in pp at none and 990/440 at mmap: +125 %.
    EXPECT_NEAR(c[0].effect.all.estimate, 125.0, 1.0);
    for (const auto& pair : c[0].pairs) EXPECT_GT(pair.value_ts, 2 * pair.baseline_ts);
    const auto summaries = summarize(data, "model");
    for (const auto& g : summaries) EXPECT_EQ(g.model, "");
    EXPECT_EQ(group_of(data.records.front(), "model"), "");
    EXPECT_EQ(group_of(data.records.front(), "load_mode"), "a.gguf");
    // --where model= filters like any parameter.
    EXPECT_EQ(load_dataset(store, {.where = {{"model", "b.gguf"}}}).records.size(), 8u);
}

// Pairs are listed in the order of their points' keys: value by value, each value's text followed by ';'. A
// value that holds a ';' (tensor overrides joined by it) is still ordered, and the order is total: of two
// different keys exactly one comes first.
TEST_F(AnalysisTest, PointsAreOrderedByTheirValuesTextsEvenWhereAValueHoldsASeparator) {
    const std::vector<std::string> overrides = {"none", "b=CPU", "a=CPU;c=CPU", "a=CPU", "a=CPU;b=CPU", "a=CPU!"};
    for (const std::string& ot : overrides) {
        store::Row row = test::point_row("/models/a.gguf", "none", 64, 32);
        for (auto& [name, value] : row)
            if (name == "override_tensor") value = ot;
        test::ok_result(store, run_id, "k" + ot, "pp", row, 100.0, 1.0);
    }
    const Dataset data = load_dataset(store, {});
    ASSERT_EQ(data.records.size(), overrides.size());
    const MatchKey key(std::string("load_mode"), data);
    std::vector<const Record*> sorted;
    for (const Record& r : data.records) sorted.push_back(&r);
    for (const Record* a : sorted)
        for (const Record* b : sorted)
            EXPECT_EQ(key.before(*a, *b) + key.before(*b, *a), a == b ? 0 : 1)
                << a->params.at("override_tensor") << " / " << b->params.at("override_tensor");
    std::sort(sorted.begin(), sorted.end(), [&](const Record* a, const Record* b) { return key.before(*a, *b); });
    std::vector<std::string> order;
    for (const Record* r : sorted) order.push_back(r->params.at("override_tensor"));
    // '!' (0x21) sorts before ';' (0x3b), ';' before letters: "a=CPU!;" < "a=CPU;" < "a=CPU;b=CPU;" < ...
    EXPECT_EQ(order, (std::vector<std::string>{"a=CPU!", "a=CPU", "a=CPU;b=CPU", "a=CPU;c=CPU", "b=CPU", "none"}));
}

// Points are numbered by their keys, not by their keys' hashes: with every hash the same, the records of one
// point still share a number and no two points do.
TEST_F(AnalysisTest, PointNumbersTellPointsApartWhoseHashesMeet) {
    for (const int64_t n_prompt : {16, 32, 64})
        for (const int64_t n_gen : {8, 16})
            for (const char* mode : {"none", "mmap"})
                test::ok_result(store, run_id, fmt::format("k{}-{}-{}", n_prompt, n_gen, mode), "pp",
                                test::point_row("/models/a.gguf", mode, n_prompt, n_gen), 100.0, 1.0);
    const Dataset data = load_dataset(store, {});
    ASSERT_EQ(data.records.size(), 12u);
    const MatchKey key(std::string("load_mode"), data); // a point: its n_prompt and n_gen, both modes alike
    for (const bool collide : {false, true}) {
        PointNumbers number(key, collide ? [](const Record&) { return uint64_t{7}; }
                                         : std::function<uint64_t(const Record&)>{});
        std::map<std::pair<std::string, std::string>, std::set<uint32_t>> numbers_of;
        for (const Record& r : data.records)
            numbers_of[{r.params.at("n_prompt"), r.params.at("n_gen")}].insert(number(r));
        EXPECT_EQ(number.count(), 6u) << (collide ? "every hash the same" : "MatchKey's hash");
        std::set<uint32_t> all;
        for (const auto& [point, numbers] : numbers_of) {
            EXPECT_EQ(numbers.size(), 1u) << point.first << " " << point.second;
            all.insert(numbers.begin(), numbers.end());
        }
        EXPECT_EQ(all.size(), 6u);
    }
}

// huge_pages_used says what the loads of a result's samples recorded: at the end of the visit where the
// worker answered, else right after the load.
TEST_F(AnalysisTest, HugePagesUsedComesFromTheLoadsOfTheResultsSamples) {
    auto load = [&](std::optional<int64_t> file_pmd_after_load, std::optional<int64_t> file_pmd_at_end) {
        Row row = test::load_row(run_id, "/models/a.gguf", "mmap");
        if (file_pmd_after_load)
            row.insert(row.end(),
                       {{"anon_huge_after_load_kb", int64_t{0}}, {"file_pmd_after_load_kb", *file_pmd_after_load}});
        if (file_pmd_at_end)
            row.insert(row.end(), {{"anon_huge_at_end_kb", int64_t{0}}, {"file_pmd_at_end_kb", *file_pmd_at_end}});
        return store.insert_load(row);
    };
    const int64_t huge = load(0, 2048), small = load(0, 0), huge_until_killed = load(4096, std::nullopt),
                  unrecorded = load(std::nullopt, std::nullopt);
    auto result = [&](int64_t n_prompt, std::vector<int64_t> loads) {
        const int64_t id = store.ensure_result(run_id, "k" + std::to_string(n_prompt), "pp",
                                               test::point_row("/models/a.gguf", "mmap", n_prompt, 0));
        for (size_t r = 0; r < loads.size(); ++r)
            store.insert_sample({{"result_id", id},
                                 {"load_id", loads[r]},
                                 {"repetition", static_cast<int64_t>(r)},
                                 {"ns", int64_t{1000}},
                                 {"ts", 100.0}});
        store.summarize_result(id, "ok", "2026-01-01T00:00:00Z");
    };
    result(1, {huge, huge_until_killed});
    result(2, {small, small});
    result(3, {huge, small});
    result(4, {huge, unrecorded});
    result(5, {});
    std::map<std::string, std::string> used;
    for (const Record& r : load_dataset(store, {}).records)
        used[r.params.at("n_prompt")] = r.params.at("huge_pages_used");
    EXPECT_EQ(used, (std::map<std::string, std::string>{
                        {"1", "yes"}, {"2", "no"}, {"3", "mixed"}, {"4", "unknown"}, {"5", "unknown"}}));
    EXPECT_EQ(load_dataset(store, {.where = {{"huge_pages_used", "yes"}}}).records.size(), 1u);
    EXPECT_EQ(values_of(load_dataset(store, {}), "huge_pages"), (std::vector<std::string>{"auto"}));
}

TEST_F(AnalysisTest, LoadModeNoneComesFirstWhateverTheOrderOfTheData) {
    add("a.gguf", "pp", "mmap", 64, 32, 440.0);
    add("a.gguf", "pp", "none", 64, 32, 400.0);
    EXPECT_EQ(values_of(load_dataset(store, {}), "load_mode"), (std::vector<std::string>{"none", "mmap"}));
}

TEST_F(AnalysisTest, FiltersSelectRecords) {
    fill();
    EXPECT_EQ(load_dataset(store, {.model = "b.gguf"}).records.size(), 8u);
    EXPECT_EQ(load_dataset(store, {.where = {{"n_gen", "32"}}}).records.size(), 8u * 4u + 8u);
    EXPECT_THROW(load_dataset(store, {.where = {{"n_gne", "32"}}}), UsageError);
}

TEST_F(AnalysisTest, CompareDefaultsToTheOnlyTwoValuedSettingAndExplainsOtherwise) {
    fill();
    const Dataset data = load_dataset(store, {});
    EXPECT_EQ(choose_compare(data, std::nullopt), "load_mode");
    EXPECT_EQ(choose_compare(data, std::string("n_gen")), "n_gen");
    try {
        choose_compare(data, std::string("type_k"));
        FAIL();
    } catch (const UsageError& e) {
        EXPECT_NE(std::string(e.what()).find("load_mode, n_prompt, n_gen"), std::string::npos) << e.what();
    }
    // Nothing varies but the test sizes: one group, named by its test mode, with nothing to compare.
    EXPECT_EQ(choose_compare(load_dataset(store, {.where = {{"load_mode", "none"}}}), std::nullopt), "mode");
    // A setting with three values, or two settings with two: the user chooses.
    add("a.gguf", "pp", "mlock", 64, 32, 400.0);
    EXPECT_THROW(choose_compare(load_dataset(store, {}), std::nullopt), UsageError);
    // Nor does the clients' load (run --rate 2,8 alone): server mode's axis, not a setting to compare.
    store.db().exec("UPDATE results SET mode = 'server', parallel = 4, rate = CASE WHEN id % 2 = 0 THEN 2 ELSE 8 END "
                    "WHERE load_mode = 'none'");
    EXPECT_EQ(choose_compare(load_dataset(store, {.where = {{"load_mode", "none"}}}), std::nullopt), "mode");
}

TEST_F(AnalysisTest, SummariesAddUpToTheRecords) {
    fill();
    add("a.gguf", "pp", "mmap", 1024, 32, 0.0, "crashed");
    const Dataset data = load_dataset(store, {});
    const auto summaries = summarize(data, "load_mode");
    size_t points = 0, not_ok = 0;
    for (const auto& g : summaries) {
        points += g.n;
        not_ok += g.not_ok;
        EXPECT_LE(g.min, g.mean);
        EXPECT_LE(g.mean, g.max);
    }
    EXPECT_EQ(points + not_ok, data.records.size());
    EXPECT_EQ(not_ok, 1u);
    const auto& first = summaries.front(); // pp of a.gguf with none
    EXPECT_EQ(first.model, "a.gguf");
    EXPECT_EQ(first.metric, "pp");
    EXPECT_EQ(first.value, "none");
    EXPECT_EQ(first.n, 16u);
    EXPECT_NEAR(first.mean_cv, 2.0, 1e-9);
    EXPECT_EQ(first.n_prompt.min, 64);
    EXPECT_EQ(first.n_prompt.max, 512);
}

TEST_F(AnalysisTest, PairedComparisonFindsTheRealDifferenceAndOnlyIt) {
    fill();
    add("a.gguf", "tg", "mmap", 1024, 32, 61.0); // no match with none: unpaired
    const auto comparisons = compare_paired(load_dataset(store, {}), "load_mode", std::nullopt);
    ASSERT_EQ(comparisons.size(), 3u); // a pp, b pp, a tg
    const auto& a_pp = comparisons[0];
    EXPECT_EQ(a_pp.model, "a.gguf");
    EXPECT_EQ(a_pp.metric, "pp");
    EXPECT_EQ(a_pp.baseline, "none");
    EXPECT_EQ(a_pp.n_pairs, 16u);
    // Results stored without samples are one block: the points are the replicates.
    EXPECT_EQ(a_pp.effect.all.unit, stats::Unit::points);
    EXPECT_NEAR(a_pp.effect.all.estimate, 10.0, 1.0);
    EXPECT_LT(a_pp.effect.all.ci95.low, a_pp.effect.all.estimate);
    EXPECT_GT(a_pp.effect.all.ci95.high, a_pp.effect.all.estimate);
    EXPECT_GT(a_pp.effect.all.ci95.low, 2.0);
    EXPECT_EQ(a_pp.verdict, Verdict::faster);

    const auto& b_pp = comparisons[1];
    EXPECT_EQ(b_pp.model, "b.gguf");
    EXPECT_EQ(b_pp.n_pairs, 4u);
    EXPECT_NEAR(b_pp.effect.all.estimate, 10.0, 1e-9) << "990 against 900 at every point";
    EXPECT_EQ(b_pp.verdict, Verdict::faster);

    const auto& a_tg = comparisons[2];
    EXPECT_EQ(a_tg.metric, "tg");
    EXPECT_EQ(a_tg.unpaired, 1u);
    EXPECT_EQ(a_tg.verdict, Verdict::equivalent) << "within +-2 %";
    EXPECT_LT(std::abs(a_tg.effect.all.estimate), 1.0);
    EXPECT_GE(a_tg.p_holm, a_tg.effect.all.p_value);
    // A margin narrower than the points' spread cannot call it equivalent.
    const auto strict = compare_paired(load_dataset(store, {}), "load_mode", std::nullopt, 0.05);
    EXPECT_EQ(strict[2].verdict, Verdict::inconclusive);
    EXPECT_TRUE(strict[2].blocks_needed.has_value());
}

// The sweep's own samples: one point, five repetitions in five rounds, each round's mmap run 3 % above the
// same round's none run though the rounds move by 10 %: the blocks carry the effect, and the one-point
// comparison gets an interval and a verdict.
TEST_F(AnalysisTest, OnePointWithRepetitionsIsComparedRoundByRound) {
    const std::vector<double> wobble = {1.000, 1.004, 0.997, 1.002, 0.998};
    add_rounds({1.00, 0.92, 1.05, 0.97, 1.10}, [&](size_t r) { return 1.03 * wobble[r]; });
    const auto c = compare_paired(load_dataset(store, {}), "load_mode", std::nullopt);
    ASSERT_EQ(c.size(), 1u);
    EXPECT_EQ(c[0].n_pairs, 1u);
    EXPECT_EQ(c[0].effect.all.unit, stats::Unit::blocks);
    EXPECT_EQ(c[0].effect.all.replicates, 5u);
    EXPECT_NEAR(c[0].effect.all.estimate, 3.0, 0.2);
    EXPECT_LT(c[0].effect.all.ci95.low, c[0].effect.all.ci95.high) << "an interval of non-zero width";
    EXPECT_GT(c[0].effect.all.ci95.low, 2.0);
    EXPECT_LT(c[0].effect.all.ci95.high, 4.0);
    EXPECT_EQ(c[0].verdict, Verdict::faster);
}

TEST_F(AnalysisTest, BaselineCanBeChosenAndMustExist) {
    fill();
    const Dataset data = load_dataset(store, {});
    const auto reversed = compare_paired(data, "load_mode", std::string("mmap"));
    EXPECT_EQ(reversed[0].value, "none");
    EXPECT_EQ(reversed[0].verdict, Verdict::slower);
    EXPECT_THROW(compare_paired(data, "load_mode", std::string("dio")), UsageError);
}

// A run's settings are read once per run: a result's own build (one of a run's llama-bench binaries) comes
// before its run's, and a result whose run is not there is not read (as by a join).
TEST_F(AnalysisTest, AResultsOwnBuildComesBeforeItsRunsAndAResultOfNoRunIsNotRead) {
    fill();
    store.update_run(run_id, {{"build_commit", std::string("runs")}, {"hostname", std::string("host")}});
    store.db().exec("UPDATE results SET build_commit = 'own' WHERE id = (SELECT min(id) FROM results)");
    const Dataset data = load_dataset(store, {});
    ASSERT_EQ(data.records.size(), 16u * 4u + 8u);
    EXPECT_EQ(data.records.front().params.at("build_commit"), "own");
    for (size_t i = 1; i < data.records.size(); ++i) EXPECT_EQ(data.records[i].params.at("build_commit"), "runs");
    for (const Record& r : data.records) EXPECT_EQ(r.params.at("hostname"), "host");
    store.db().exec("PRAGMA foreign_keys = OFF; CREATE TEMP TABLE orphan AS SELECT * FROM results LIMIT 1; "
                    "UPDATE orphan SET id = NULL, run_id = 999, point_key = 'orphan'; "
                    "INSERT INTO results SELECT * FROM orphan; PRAGMA foreign_keys = ON");
    EXPECT_EQ(load_dataset(store, {}).records.size(), data.records.size());
}

// Two builds run separately: the repetitions of one run share its process, load and memory placement, so the run
// is the replicate. With one run of each there is an estimate and no verdict, whatever the repetitions say.
TEST_F(AnalysisTest, SeparateRunsOfTwoBuildsAreComparedByRun) {
    // A run of build `commit` with a level, its two points measured 5 times each with a small wobble.
    const auto add_run = [&](const std::string& commit, double level) {
        run_id = test::insert_test_run(store);
        store.update_run(run_id, {{"build_commit", commit}});
        for (int64_t prompt : {64, 128}) {
            const int64_t id = store.ensure_result(run_id, "p" + std::to_string(prompt), "pp",
                                                   test::point_row("/models/c.gguf", "none", prompt, 32));
            for (int64_t r = 0; r < 5; ++r)
                store.insert_sample({{"result_id", id},
                                     {"repetition", r},
                                     {"ns", int64_t{1000}},
                                     {"ts", (prompt == 64 ? 100.0 : 200.0) * level * (1 + 0.001 * (r % 2))}});
            store.summarize_result(id, "ok", "2026-01-01T00:00:00Z");
        }
    };
    store.update_run(run_id, {{"build_commit", std::string("unused")}});
    add_run("abc", 1.00);
    add_run("def", 1.20); // 20 % apart, with repetitions that agree within 0.1 %: one run of each decides nothing
    auto c = compare_paired(load_dataset(store, {}), "build_commit", std::string("abc"));
    ASSERT_EQ(c.size(), 1u);
    EXPECT_EQ(c[0].design, Design::between_runs);
    EXPECT_EQ(c[0].n_pairs, 2u);
    EXPECT_EQ(c[0].effect.all.unit, stats::Unit::none);
    EXPECT_EQ(c[0].effect.all.runs_baseline, 1u);
    EXPECT_EQ(c[0].effect.all.runs_value, 1u);
    EXPECT_NEAR(c[0].effect.all.estimate, 20.0, 0.1);
    EXPECT_EQ(c[0].verdict, Verdict::too_few);

    // Two more runs of each: the runs' levels are the replicates, compared by Welch's t.
    const std::vector<double> abc = {1.00, 1.04, 0.97}, def = {1.20, 1.15, 1.26};
    add_run("abc", abc[1]);
    add_run("abc", abc[2]);
    add_run("def", def[1]);
    add_run("def", def[2]);
    c = compare_paired(load_dataset(store, {}), "build_commit", std::string("abc"));
    ASSERT_EQ(c.size(), 1u);
    const auto& e = c[0].effect.all;
    EXPECT_EQ(e.unit, stats::Unit::runs);
    EXPECT_EQ(e.replicates, 6u);
    EXPECT_EQ(c[0].runs.size(), 6u);
    // Each run's level is its mean log t/s less the points' means: the runs' levels are log(level) + a constant.
    std::vector<double> log_abc, log_def;
    for (double x : abc) log_abc.push_back(std::log(x));
    for (double x : def) log_def.push_back(std::log(x));
    const stats::WelchInterval w = stats::welch_interval(log_def, log_abc, 0.95);
    EXPECT_NEAR(e.log_mean, w.difference, 1e-4);
    EXPECT_NEAR(e.df, w.df, 1e-3);
    EXPECT_NEAR(c[0].interval.low, 100 * std::expm1(w.low), 0.05);
    EXPECT_NEAR(c[0].interval.high, 100 * std::expm1(w.high), 0.05);
    EXPECT_EQ(c[0].verdict, Verdict::faster);
}

// A run that measured both values (two binaries interleaved in rounds, or any swept setting) pairs within itself:
// its rounds are the blocks, and runs that measured one value only are left out, named.
TEST_F(AnalysisTest, ARunThatMeasuredBothValuesPairsWithinItself) {
    add_rounds({1.00, 0.92, 1.05, 0.97}, [](size_t) { return 1.03; });
    const int64_t first = run_id;
    run_id = test::insert_test_run(store); // measured mmap only
    add("one.gguf", "tg", "mmap", 512, 128, 90.0);
    const auto c = compare_paired(load_dataset(store, {}), "load_mode", std::nullopt);
    ASSERT_EQ(c.size(), 1u);
    EXPECT_EQ(c[0].design, Design::within_runs);
    EXPECT_EQ(c[0].runs, std::vector<int64_t>{first});
    EXPECT_EQ(c[0].runs_left_out, std::vector<int64_t>{run_id});
    EXPECT_EQ(c[0].effect.all.unit, stats::Unit::blocks);
    EXPECT_EQ(c[0].effect.all.replicates, 4u);
    EXPECT_NEAR(c[0].effect.all.estimate, 3.0, 1e-6) << "the other run's 90 t/s is not in it";
}

} // namespace
} // namespace llmsweep::analysis

namespace llmsweep {
// Futility: conditional_power is the chance that the last look decides (a difference, or equivalence at the
// margin) if the effect and spread are what the blocks so far show. Checked against continuing the same blocks
// with simulated ones at that effect and spread and judging the last look as the report does.
TEST(ConditionalPower, IsTheChanceThatTheLastLookDecides) {
    constexpr int64_t last = 10;
    constexpr double level = 0.0244, margin_pct = 2.0, sd = 0.04;
    const std::vector<double> deviations = {1.0, -1.0, 0.5, -0.5}; // the first four blocks' spread: sd exactly
    const double scale = sd / std::sqrt((1.0 + 1.0 + 0.25 + 0.25) / 3.0);
    std::mt19937_64 rng(7);
    std::normal_distribution<double> normal(0.0, 1.0);
    double previous = -1;
    for (const double effect : {0.0, 0.02, 0.035, 0.05, 0.1}) {
        SCOPED_TRACE(effect);
        std::vector<std::vector<std::optional<double>>> blocks;
        for (double d : deviations) blocks.push_back({effect + scale * d});
        const double chance = analysis::conditional_power(stats::blocked_effect(blocks).all, last, level, margin_pct);
        int decided = 0;
        constexpr int trials = 4000;
        for (int t = 0; t < trials; ++t) {
            auto more = blocks;
            while (static_cast<int64_t>(more.size()) < last) more.push_back({effect + sd * normal(rng)});
            const auto e = stats::blocked_effect(more).all;
            decided += analysis::verdict_of(e, e.p_value, margin_pct, level) != analysis::Verdict::inconclusive;
        }
        EXPECT_NEAR(chance, static_cast<double>(decided) / trials, 0.08);
        EXPECT_GT(chance, previous) << "a larger effect is more likely decided";
        previous = chance;
    }
    // A spread far beyond the margin, no effect: out of reach. Ten blocks or more: no look is left.
    std::vector<std::vector<std::optional<double>>> noisy;
    for (double d : deviations) noisy.push_back({0.3 * d});
    EXPECT_LT(analysis::conditional_power(stats::blocked_effect(noisy).all, last, level, margin_pct),
              analysis::futility_chance);
    EXPECT_EQ(analysis::conditional_power(stats::blocked_effect(noisy).all, 4, level, margin_pct), 1.0);
}

} // namespace llmsweep
