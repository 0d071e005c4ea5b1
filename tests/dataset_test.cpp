// Reading a database into a dataset: the settings, the runs' and models' facts, the models' paths and the samples,
// as stored whatever wrote them.
#include "analysis_fixture.hpp"

namespace llmsweep::analysis {
namespace {

using store::Row;

TEST_F(AnalysisTest, DatasetKeepsTheDatasOwnNames) {
    fill();
    const Dataset data = load_dataset(store, {});
    EXPECT_EQ(data.records.size(), 16u * 4u + 8u);
    EXPECT_EQ(data.records.front().model, "a.gguf");
    EXPECT_EQ(values_of(data, "load_mode"), (std::vector<std::string>{"none", "mmap"}));
    EXPECT_EQ(values_of(data, "n_prompt").front(), "64");
    EXPECT_EQ(values_of(data, "n_prompt").back(), "512"); // numeric order, not text order
    EXPECT_EQ(varying_parameters(data), (std::vector<std::string>{"model", "load_mode", "n_prompt", "n_gen"}));
    EXPECT_EQ(values_of(data, "model"), (std::vector<std::string>{"a.gguf", "b.gguf"})) << "the file's name";
}

// A setting that has one value among all results is taken from result_values, not read from each row: the
// records are the same as where every setting is read (the table emptied), after results are updated to a new
// value of a setting (an integer, a real, a text), and the table is not trusted where a trigger that keeps it is
// gone.
TEST_F(AnalysisTest, SettingsOfOneValueAreReadAsEveryResultHasThem) {
    fill();
    const auto texts = [&] {
        std::vector<std::string> out;
        for (const Record& r : load_dataset(store, {}).records) {
            std::string line = std::string(r.model) + " " + std::string(r.metric);
            for (const std::string& name : parameter_names()) line += " " + name + "=" + r.params.at(name);
            out.push_back(line);
        }
        return out;
    };
    const auto every_setting_read = [&] {
        store.db().exec("CREATE TEMP TABLE kept AS SELECT * FROM result_values; DELETE FROM result_values");
        EXPECT_TRUE(store.single_values().empty());
        auto out = texts();
        store.db().exec("INSERT INTO result_values SELECT * FROM kept; DROP TABLE kept");
        return out;
    };
    auto single = store.single_values();
    EXPECT_EQ(single.at("type_k"), "f16");
    EXPECT_EQ(single.at("n_batch"), "2048");
    EXPECT_EQ(single.at("rate"), "") << "NULL, a server setting in request mode";
    for (const char* varies : {"model_filename", "load_mode", "n_prompt", "n_gen"}) EXPECT_FALSE(single.count(varies));
    EXPECT_EQ(texts(), every_setting_read());

    // One value still, another than before: a real where there was NULL, a text, an integer.
    store.db().exec("UPDATE results SET rate = 2.5, type_k = 'q8_0', n_batch = 512");
    store.db().exec("DELETE FROM result_values WHERE (name, value) IN (VALUES ('rate', ''), ('type_k', 'f16'), "
                    "('n_batch', '2048'))");
    single = store.single_values();
    EXPECT_EQ(single.at("rate"), "2.5");
    EXPECT_EQ(single.at("type_k"), "q8_0");
    EXPECT_EQ(texts(), every_setting_read());
    EXPECT_NE(texts().front().find(" n_batch=512 "), std::string::npos) << texts().front();
    // Two values: both read.
    store.db().exec("UPDATE results SET n_ubatch = 256 WHERE id = (SELECT min(id) FROM results)");
    EXPECT_FALSE(store.single_values().count("n_ubatch"));
    const auto two = texts();
    EXPECT_EQ(two, every_setting_read());
    EXPECT_NE(two.front().find(" n_ubatch=256 "), std::string::npos) << two.front();
    EXPECT_NE(two.back().find(" n_ubatch=512 "), std::string::npos) << two.back();
    // A trigger dropped by hand: what the table says is no longer known to hold, and every setting is read.
    store.db().exec("DROP TRIGGER result_values_updated");
    EXPECT_TRUE(store.single_values().empty());
    store.db().exec("UPDATE results SET type_v = 'q4_0' WHERE id = (SELECT max(id) FROM results)");
    EXPECT_NE(texts().back().find(" type_v=q4_0 "), std::string::npos) << texts().back();
}

// What a report says of the runs and the models (each model's facts, each run's stop reasons, the settings given
// in one spelling that came to another) is gathered as the results are read, and says what reading every result
// again says: of whole runs whatever --model filters, of the one run --run reads, and where result_values is not
// trusted (the models' paths then read from the results).
TEST_F(AnalysisTest, WhatTheRunsAndModelsSayComesFromTheOneReadOfTheResults) {
    fill();
    const int64_t second = test::insert_test_run(store);
    for (const std::string mode : {"none", "auto"}) {
        const int64_t id = store.ensure_result(second, "c-" + mode, "tg", test::point_row("/m/c.gguf", mode, 64, 32));
        store.update_result(id, {{"avg_ts", 50.0}, {"stddev_ts", 1.0}, {"repetitions", int64_t{4}}, {"status", "ok"}});
    }
    store.db().exec("UPDATE results SET effective_load_mode = 'mmap', effective_n_gpu_layers = 99, n_gpu_layers = -1 "
                    "WHERE point_key = 'c-auto'");
    store.db().exec("UPDATE results SET model_type = 'qwen2 0.5B', model_size = 1000 + id % 7, model_n_params = "
                    "500 - id % 5 WHERE model_filename LIKE '%a.gguf'");
    store.db().exec("UPDATE results SET model_type = CASE WHEN id % 2 THEN 'b1' ELSE 'b2' END WHERE model_filename "
                    "LIKE '%b.gguf'");
    store.db().exec("UPDATE results SET stop_reason = CASE WHEN id % 3 THEN 'rule_met' ELSE 'max_repetitions' END, "
                    "repetitions = 3 + id % 4 WHERE id % 5 != 0");
    // What reading every result again says.
    const auto rows = [&](const std::string& sql, int columns) {
        std::vector<std::string> out;
        store::Statement s(store.db(), sql);
        while (s.step()) {
            std::string line;
            for (int c = 0; c < columns; ++c) line += (c ? " | " : "") + s.column_text(c);
            out.push_back(line);
        }
        return out;
    };
    const auto models_of = [](const Dataset& data) {
        std::vector<std::string> out;
        for (const store::ModelRow& m : data.models)
            out.push_back(
                fmt::format("{} | {} | {} | {}", m.model_filename, m.model_type, m.model_size, m.model_n_params));
        return out;
    };
    const auto stops_of = [](const Dataset& data) {
        std::vector<std::string> out;
        for (const auto& [run, stops] : data.stops)
            for (const store::StopCount& s : stops)
                out.push_back(fmt::format("{} | {} | {} | {} | {}", run, s.reason, s.results, s.min_repetitions,
                                          s.max_repetitions));
        return out;
    };
    const auto respellings_of = [](const Dataset& data) {
        std::vector<std::string> out;
        for (const store::Respelling& r : data.respellings)
            out.push_back(fmt::format("{} | {} | {}", r.column, r.given, r.effective));
        return out;
    };
    const std::string models = "SELECT model_filename, COALESCE(max(model_type), ''), COALESCE(max(model_size), 0), "
                               "COALESCE(max(model_n_params), 0) FROM results {} GROUP BY model_filename ORDER BY 1";
    const std::string stops = "SELECT run_id, stop_reason, count(*), min(repetitions), max(repetitions) FROM results "
                              "WHERE stop_reason IS NOT NULL {} GROUP BY run_id, stop_reason ORDER BY run_id, 2";
    const auto check = [&](const Filters& filters, const std::string& where, const std::string& and_where,
                           const std::vector<std::string>& respellings) {
        const Dataset data = load_dataset(store, filters);
        EXPECT_EQ(models_of(data), rows(fmt::format(fmt::runtime(models), where), 4));
        EXPECT_EQ(stops_of(data), rows(fmt::format(fmt::runtime(stops), and_where), 5));
        EXPECT_EQ(respellings_of(data), respellings);
        EXPECT_EQ(data.model_names.size(), 3u) << "every path's short name, whatever the filters";
    };
    const std::vector<std::string> respelled = {"load_mode | auto | mmap", "n_gpu_layers | -1 | 99"};
    ASSERT_EQ(rows(fmt::format(fmt::runtime(stops), ""), 5).size(), 3u) << "two reasons in one run, one in the other";
    check({}, "", "", respelled);
    Filters a;
    a.model = "a.gguf"; // its run's stops, b.gguf's too; of its models, a.gguf's; no respelling in its run
    const Dataset only_a = load_dataset(store, a);
    EXPECT_EQ(stops_of(only_a), rows(fmt::format(fmt::runtime(stops), fmt::format("AND run_id = {}", run_id)), 5));
    EXPECT_TRUE(respellings_of(only_a).empty());
    Filters c;
    c.run_id = second;
    check(c, fmt::format("WHERE run_id = {}", second), fmt::format("AND run_id = {}", second), respelled);
    // The paths from the results themselves, where result_values is not kept by llmsweep's triggers.
    store.db().exec("DROP TRIGGER result_values_inserted");
    ASSERT_TRUE(store.single_values().empty()) << "result_values is no longer trusted";
    check({}, "", "", respelled);
}

// A database only read is migrated in a copy in memory, with result_values' triggers but not its values (an older
// schema's): two models of one file name in two folders are still told apart by their folders.
TEST_F(AnalysisTest, AnEmptyResultValuesTableIsNotTakenForTheModelsPaths) {
    for (const std::string folder : {"/x/", "/y/"})
        for (const std::string mode : {"none", "mmap"}) {
            const int64_t id =
                store.ensure_result(run_id, folder + mode, "tg", test::point_row(folder + "one.gguf", mode, 512, 128));
            store.update_result(id, {{"avg_ts", 50.0}, {"stddev_ts", 1.0}, {"repetitions", int64_t{3}}});
        }
    const auto models = [&] {
        std::set<std::string> names;
        for (const Record& r : load_dataset(store, {}).records) names.emplace(r.model);
        return names;
    };
    const std::set<std::string> both = models();
    EXPECT_EQ(both.size(), 2u);
    store.db().exec("DELETE FROM result_values");
    EXPECT_EQ(models(), both);
}

// Samples are read as stored, where llmsweep writes each result's together and in order; a database whose
// samples were stored in another order (written by hand, or by another tool) is read as if sorted, and a sample
// left out is counted once.
TEST_F(AnalysisTest, SamplesStoredInAnyOrderAreReadInRepetitionOrder) {
    std::vector<int64_t> ids;
    for (const std::string mode : {"none", "mmap"})
        ids.push_back(
            store.ensure_result(run_id, "p-" + mode, "tg", test::point_row("/models/one.gguf", mode, 512, 128)));
    const auto sample = [&](size_t result, int64_t repetition, double ts) {
        store.insert_sample(
            {{"result_id", ids[result]}, {"repetition", repetition}, {"ns", int64_t{1000}}, {"ts", ts}});
    };
    // Interleaved, and the second result's repetitions backwards; one impossible figure among them.
    sample(1, 2, 52.0);
    sample(0, 1, 41.0);
    sample(1, 1, -1.0);
    sample(0, 0, 40.0);
    sample(1, 0, 50.0);
    sample(0, 2, 42.0);
    const Dataset data = load_dataset(store, {});
    ASSERT_EQ(data.records.size(), 2u);
    const auto read = [&](const Record& r) { return repetitions_of(data, r); };
    EXPECT_EQ(read(data.records[0]), (std::vector<std::pair<int32_t, float>>{{0, 40.0f}, {1, 41.0f}, {2, 42.0f}}));
    EXPECT_EQ(read(data.records[1]), (std::vector<std::pair<int32_t, float>>{{0, 50.0f}, {2, 52.0f}}));
    EXPECT_EQ(data.left_out, 1u);
    ASSERT_EQ(data.left_out_samples.size(), 1u);
    EXPECT_NE(data.left_out_samples[0].find("repetition 2"), std::string::npos) << data.left_out_samples[0];
}

// Samples stored in order are read on a thread of their own while the results load; one whose figure no machine
// gives (beyond any machine, stored as text) is left out there too, and said with the figure as stored. The
// samples of a result filtered out are not kept.
TEST_F(AnalysisTest, ImpossibleSamplesStoredInOrderAreLeftOutAndSaid) {
    std::vector<int64_t> ids;
    for (const std::string mode : {"none", "mmap", "mlock"})
        ids.push_back(
            store.ensure_result(run_id, "p-" + mode, "tg", test::point_row("/models/one.gguf", mode, 512, 128)));
    const auto sample = [&](size_t result, int64_t repetition, store::Value ts) {
        store.insert_sample(
            {{"result_id", ids[result]}, {"repetition", repetition}, {"ns", int64_t{1000}}, {"ts", ts}});
    };
    for (int64_t repetition = 0; repetition < 3; ++repetition) sample(0, repetition, 40.0 + repetition);
    sample(1, 0, 50.0);
    sample(1, 1, 3e12);
    sample(1, 2, std::string("fast"));
    sample(1, 3, 53.0);
    for (int64_t repetition = 0; repetition < 2; ++repetition) sample(2, repetition, 70.0);
    const Dataset data = load_dataset(store, {.where = {{"load_mode", "none"}}});
    ASSERT_EQ(data.records.size(), 1u);
    EXPECT_EQ(data.samples.size(), 3u) << "the other results' samples are not kept";
    EXPECT_EQ(data.left_out, 0u);
    const Dataset all = load_dataset(store, {});
    ASSERT_EQ(all.records.size(), 3u);
    const auto read = [&](const Record& r) { return repetitions_of(all, r); };
    EXPECT_EQ(read(all.records[0]), (std::vector<std::pair<int32_t, float>>{{0, 40.0f}, {1, 41.0f}, {2, 42.0f}}));
    EXPECT_EQ(read(all.records[1]), (std::vector<std::pair<int32_t, float>>{{0, 50.0f}, {3, 53.0f}}));
    EXPECT_EQ(read(all.records[2]), (std::vector<std::pair<int32_t, float>>{{0, 70.0f}, {1, 70.0f}}));
    EXPECT_EQ(all.left_out, 2u);
    ASSERT_EQ(all.left_out_samples.size(), 2u);
    EXPECT_NE(all.left_out_samples[0].find("repetition 2: t/s 3e+12 is beyond any machine"), std::string::npos)
        << all.left_out_samples[0];
    EXPECT_NE(all.left_out_samples[1].find("repetition 3: t/s is not a number"), std::string::npos)
        << all.left_out_samples[1];
}

} // namespace
} // namespace llmsweep::analysis
