#include "core/error.hpp"
#include "stats/descriptive.hpp"
#include "store/schema.hpp"
#include "store/store.hpp"
#include "test_support.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cmath>
#include <fstream>
#include <set>

namespace llmsweep::store {
namespace {

using test::TempDir;

TEST(Schema, DocsSchemaMdIsCurrent) {
    const std::string docs = test::read_file(std::filesystem::path(LLMSWEEP_SOURCE_DIR) / "docs/schema.md");
    EXPECT_EQ(docs, schema_markdown()) << "regenerate with: build/src/llmsweep schema > docs/schema.md";
}

TEST(Schema, EveryColumnIsDocumentedAndUnique) {
    for (const Table& t : tables()) {
        std::set<std::string_view> names;
        for (const Column& c : t.columns) {
            EXPECT_TRUE(names.insert(c.name).second) << t.name << "." << c.name;
            EXPECT_FALSE(c.doc.empty()) << t.name << "." << c.name;
        }
    }
}

TEST(Schema, InsertStatementNamesTheRowsColumns) {
    EXPECT_EQ(insert_sql(table("samples"), {"result_id", "repetition", "ts"}),
              "INSERT INTO samples (result_id, repetition, ts) VALUES (:result_id, :repetition, :ts)");
}

// A column the row leaves out takes its default: huge_pages is `auto` for a writer that predates it.
// Readers name the columns they read: an alias or a column is found wherever the SELECT puts it, and a name the
// statement does not return is an error, not another column's value.
TEST(Store, ColumnsAreReadByName) {
    Database db;
    Statement s(db, "SELECT 2.5 AS share, NULL AS none, 7 AS count, 'x' AS word");
    ASSERT_TRUE(s.step());
    EXPECT_EQ(s.column_int("count"), 7);
    EXPECT_DOUBLE_EQ(s.column_double("share"), 2.5);
    EXPECT_EQ(s.column_text("word"), "x");
    EXPECT_FALSE(s.column_optional<double>("none").has_value());
    EXPECT_EQ(s.column_optional<int64_t>("count"), 7);
    EXPECT_THROW(s.column_int("missing"), Error);
}

TEST(Store, AColumnLeftOutTakesItsDefault) {
    TempDir dir;
    Store store((dir / "d.db").string());
    const int64_t run = test::insert_test_run(store);
    store.insert_load(test::load_row(run, "m.gguf", "mmap"));
    Statement s(store.db(), "SELECT huge_pages FROM loads");
    ASSERT_TRUE(s.step());
    EXPECT_EQ(s.column_text(0), "auto");
}

TEST(Store, CreatesMarksAndReopens) {
    TempDir dir;
    const std::string path = (dir / "b.db").string();
    { Store store(path); }
    Store again(path);
    Statement s(again.db(),
                "SELECT (SELECT application_id FROM pragma_application_id), "
                "(SELECT user_version FROM pragma_user_version), (SELECT journal_mode FROM pragma_journal_mode)");
    ASSERT_TRUE(s.step());
    EXPECT_EQ(s.column_int(0), application_id);
    EXPECT_EQ(s.column_int(1), schema_version);
    EXPECT_EQ(s.column_text(2), "wal");
}

TEST(Store, RefusesAnotherApplicationsDatabase) {
    TempDir dir;
    const std::string path = (dir / "other.db").string();
    {
        Database db(path, store::Database::Mode::create);
        db.exec("CREATE TABLE customers (id INTEGER)");
    }
    try {
        Store store(path);
        FAIL();
    } catch (const UsageError& e) {
        EXPECT_NE(std::string(e.what()).find("not llmsweep's"), std::string::npos) << e.what();
    }
    Database db(path, store::Database::Mode::existing);
    Statement s(db, "SELECT count(*) FROM sqlite_schema");
    s.step();
    EXPECT_EQ(s.column_int(0), 1) << "the foreign database must be left untouched";
}

TEST(Store, RefusesANewerSchema) {
    TempDir dir;
    const std::string path = (dir / "new.db").string();
    {
        Store store(path);
        store.db().exec(fmt::format("PRAGMA user_version = {}", schema_version + 1));
    }
    try {
        Store store(path);
        FAIL();
    } catch (const UsageError& e) {
        EXPECT_NE(std::string(e.what()).find("newer llmsweep"), std::string::npos) << e.what();
    }
}

TEST(Store, RefusesAFileThatIsNotADatabase) {
    TempDir dir;
    std::ofstream(dir / "notes.db") << "these are my notes, not a database, and they are long enough to matter";
    EXPECT_THROW(Store((dir / "notes.db").string()), UsageError);
    EXPECT_EQ(test::read_file(dir / "notes.db").substr(0, 5), "these");
}

class StoreWithRun : public ::testing::Test {
protected:
    StoreWithRun() : store((dir / "s.db").string()) { run_id = test::insert_test_run(store, "running"); }
    Row point() const { return test::point_row("m.gguf", "mmap", 64, 32); }
    TempDir dir;
    Store store;
    int64_t run_id = 0;
};

TEST_F(StoreWithRun, ResultsAreUniquePerPointAndMetric) {
    const int64_t a = store.ensure_result(run_id, "p1", "pp", point());
    EXPECT_EQ(store.ensure_result(run_id, "p1", "pp", point()), a);
    EXPECT_NE(store.ensure_result(run_id, "p1", "tg", point()), a);
}

TEST_F(StoreWithRun, SummaryMatchesTheSamples) {
    const int64_t id = store.ensure_result(run_id, "p1", "pp", point());
    const std::vector<double> ns = {1.0e6, 1.1e6, 0.9e6};
    for (size_t i = 0; i < ns.size(); ++i)
        store.insert_sample({{"result_id", id},
                             {"repetition", static_cast<int64_t>(i)},
                             {"ns", static_cast<int64_t>(ns[i])},
                             {"ts", 64 * 1e9 / ns[i]}});
    store.summarize_result(id, "ok", utc_now());
    Statement s(store.db(), "SELECT repetitions, avg_ns, stddev_ns, avg_ts, status FROM results WHERE id = :id");
    s.bind("id", id);
    ASSERT_TRUE(s.step());
    EXPECT_EQ(s.column_int(0), 3);
    EXPECT_DOUBLE_EQ(s.column_double(1), 1.0e6);
    EXPECT_NEAR(s.column_double(2), 0.1e6, 1e-6); // sample sd of 0.9, 1.0, 1.1 (x 1e6)
    const double ts_mean = (64e9 / 1.0e6 + 64e9 / 1.1e6 + 64e9 / 0.9e6) / 3;
    EXPECT_NEAR(s.column_double(3), ts_mean, 1e-9);
    EXPECT_EQ(s.column_text(4), "ok");
}

TEST_F(StoreWithRun, DuplicateSampleIsRejected) {
    const int64_t id = store.ensure_result(run_id, "p1", "pp", point());
    const Row sample{{"result_id", id}, {"repetition", int64_t{0}}, {"ns", int64_t{5}}, {"ts", 1.0}};
    store.insert_sample(sample);
    EXPECT_THROW(store.insert_sample(sample), Error);
}

TEST_F(StoreWithRun, ProgressReportsRepetitionsAndFinalResults) {
    const int64_t pp = store.ensure_result(run_id, "p1", "pp", point());
    store.insert_sample({{"result_id", pp}, {"repetition", int64_t{1}}, {"ns", int64_t{5}}, {"ts", 1.0}});
    const int64_t tg = store.ensure_result(run_id, "p1", "tg", point());
    store.summarize_result(tg, "crashed", utc_now());
    const Progress progress = store.progress(run_id);
    EXPECT_EQ(progress.repetitions.at({"p1", "pp"}), (std::set<int64_t>{1}));
    EXPECT_TRUE(progress.final_results.count({"p1", "tg"}));
    EXPECT_FALSE(progress.final_results.count({"p1", "pp"}));
}

TEST_F(StoreWithRun, UnknownColumnIsAnInternalError) {
    EXPECT_THROW(store.update_run(run_id, {{"no_such_column", int64_t{1}}}), Error);
}

TEST_F(StoreWithRun, LlamaBenchTableHasLlamaBenchsColumns) {
    std::vector<std::string> expected = test::llama_bench_columns();
    expected.push_back("result_id"); // llmsweep's own: the result the row shows
    Statement s(store.db(), "SELECT name FROM pragma_table_info('llama_bench')");
    std::vector<std::string> columns;
    while (s.step()) columns.push_back(s.column_text(0));
    EXPECT_EQ(columns, expected);
}

TEST_F(StoreWithRun, LlamaBenchTableFollowsTheResults) {
    const int64_t pp = store.ensure_result(run_id, "p1", "pp", point());
    auto rows = [&] {
        Statement s(store.db(), "SELECT count(*), max(avg_ns) FROM llama_bench");
        s.step();
        return std::make_pair(s.column_int(0), s.column_int(1));
    };
    EXPECT_EQ(rows().first, 0) << "a running result is not a llama-bench test yet";
    store.insert_sample({{"result_id", pp}, {"repetition", int64_t{0}}, {"ns", int64_t{1000}}, {"ts", 5.0}});
    store.summarize_result(pp, "ok", utc_now());
    EXPECT_EQ(rows(), std::make_pair(int64_t{1}, int64_t{1000}));
    store.insert_sample({{"result_id", pp}, {"repetition", int64_t{1}}, {"ns", int64_t{3000}}, {"ts", 5.0}});
    store.summarize_result(pp, "ok", utc_now());
    EXPECT_EQ(rows(), std::make_pair(int64_t{1}, int64_t{2000})) << "updated, not duplicated";
    store.update_run(run_id, {{"build_commit", std::string("fedcba9")}});
    Statement commit(store.db(), "SELECT build_commit FROM llama_bench");
    ASSERT_TRUE(commit.step());
    EXPECT_EQ(commit.column_text(0), "fedcba9");
    commit.reset();
    store.summarize_result(pp, "failed", utc_now());
    EXPECT_EQ(rows().first, 0);
}

// Results are read on a thread of their own and handed on in batches: every one in order, and a read stopped
// by either side ends with the error, at once, leaving the store as it was.
TEST_F(StoreWithRun, ResultsAreHandedOnInOrderAndAReadStoppedByEitherSideEndsWithItsError) {
    const int results = 5000; // ten batches
    {
        Transaction transaction(store.db());
        for (int i = 0; i < results; ++i)
            store.ensure_result(run_id, fmt::format("p{}", i), "pp", test::point_row("m.gguf", "mmap", 1 + i, 32));
        transaction.commit();
    }
    const std::vector<ResultColumn> columns = {{"n_prompt"}, {"model_filename"}, {"n_gen"}};
    std::vector<std::pair<int64_t, std::string>> read;
    const auto all = [&] {
        read.clear();
        store.read_results(std::nullopt, columns, [&](ResultRow&& row) {
            EXPECT_EQ(row.values.size(), columns.size());
            EXPECT_EQ(row.values[1], "m.gguf");
            EXPECT_EQ(row.values[2], "32");
            read.emplace_back(row.id, std::string(row.values[0]));
        });
    };
    all();
    ASSERT_EQ(read.size(), static_cast<size_t>(results));
    for (int i = 0; i < results; ++i) {
        EXPECT_EQ(read[i].second, std::to_string(1 + i));
        if (i > 0) EXPECT_GT(read[i].first, read[i - 1].first);
    }
    // This side throws after 100 rows: the reader stops, with more batches to fill.
    size_t handed = 0;
    EXPECT_THROW(store.read_results(std::nullopt, columns,
                                    [&](ResultRow&&) {
                                        if (++handed == 100) throw Error("stop here");
                                    }),
                 Error);
    EXPECT_EQ(handed, 100u);
    // The reader's step fails (SQLite interrupted): the error comes here, after the rows read before it.
    handed = 0;
    try {
        store.read_results(std::nullopt, columns, [&](ResultRow&&) {
            if (++handed == 1) sqlite3_interrupt(store.db().handle());
        });
        ADD_FAILURE() << "an interrupted read ended without an error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("interrupt"), std::string::npos) << e.what();
    }
    EXPECT_LT(handed, static_cast<size_t>(results));
    all();
    EXPECT_EQ(read.size(), static_cast<size_t>(results));
}

TEST(Store, MigratesASchemaVersion1Database) {
    TempDir dir;
    const std::string path = (dir / "v1.db").string();
    {
        Database db(path, store::Database::Mode::create);
        db.exec(test::read_file(std::filesystem::path(LLMSWEEP_SOURCE_DIR) / "tests/fixtures/schema_v1.sql"));
    }
    Store store(path);
    auto one = [&](const std::string& sql) {
        Statement s(store.db(), sql);
        EXPECT_TRUE(s.step()) << sql;
        return s.column_text(0);
    };
    EXPECT_EQ(one("SELECT user_version FROM pragma_user_version"), std::to_string(schema_version));
    EXPECT_EQ(one("SELECT type FROM sqlite_schema WHERE name = 'llama_bench'"), "table");
    EXPECT_EQ(one("SELECT count(*) FROM results"), "2");
    EXPECT_EQ(one("SELECT count(*) FROM llama_bench"), "2") << "filled from the results kept";
    EXPECT_EQ(one("SELECT group_concat(DISTINCT source) FROM runs"), "run");
    EXPECT_EQ(one("SELECT count(*) FROM samples"), one("SELECT count(*) FROM samples WHERE result_id <= 2"));
    // New writes keep the table current.
    const int64_t run = test::insert_test_run(store, "running");
    const int64_t id = store.ensure_result(run, "k", "tg", test::point_row("m.gguf", "mmap", 64, 32));
    store.insert_sample({{"result_id", id}, {"repetition", int64_t{0}}, {"ns", int64_t{1000}}, {"ts", 5.0}});
    store.summarize_result(id, "ok", utc_now());
    EXPECT_EQ(one("SELECT count(*) FROM llama_bench"), "3");
}

// Schema 2 had no mapping columns in loads (3) nor huge-page settings (4): a database of it gains them (the
// setting `auto`, what every earlier run had) and keeps its rows and triggers.
TEST(Store, MigratesASchemaVersion2Database) {
    TempDir dir;
    const std::string path = (dir / "v2.db").string();
    int64_t run = 0;
    {
        Store store(path);
        run = test::insert_test_run(store);
        store.insert_load(test::load_row(run, "m.gguf", "mmap", {{"load_ms", 3.0}}));
        // An import's result, with llama-bench's settings that had no column then kept as its fields.
        const int64_t imported = store.ensure_result(run, "imported", "pp", test::point_row("m.gguf", "mmap", 64, 0));
        store.update_result(imported, {{"llama_bench_json", std::string(R"({"cpu_mask": "0xff", "n_cpu_moe": 3, )"
                                                                        R"("tensor_buft_overrides": "exps=CPU"})")}});
    }
    {
        Database db(path, store::Database::Mode::existing);
        // Version 2's triggers read none of the later columns: today's do, so they go first.
        std::vector<std::string> triggers;
        Statement list(db, "SELECT name FROM sqlite_master WHERE type = 'trigger'");
        while (list.step()) triggers.push_back(list.column_text(0));
        list.reset();
        for (const auto& trigger : triggers) db.exec(fmt::format("DROP TRIGGER \"{}\"", trigger));
        for (const char* name : {"runs", "loads", "results", "samples"})
            for (const Column& c : table(name).columns)
                if (c.since >= 3) db.exec(fmt::format("ALTER TABLE {} DROP COLUMN {}", name, c.name));
        for (const Table& t : tables())
            if (t.since >= 3) db.exec(fmt::format("DROP TABLE {}", t.name));
        db.exec("PRAGMA user_version = 2");
    }
    Store store(path);
    Statement s(store.db(), "SELECT (SELECT user_version FROM pragma_user_version), (SELECT count(*) FROM loads "
                            "WHERE load_ms = 3 AND thp_mode IS NULL AND file_pmd_at_end_kb IS NULL "
                            "AND huge_pages = 'auto') + (SELECT count(*) FROM runs WHERE max_repetitions IS NULL)");
    ASSERT_TRUE(s.step());
    EXPECT_EQ(s.column_int(0), schema_version);
    EXPECT_EQ(s.column_int(1), 2);
    // Versions 5 and 6 move them into columns, each at its default where the file had none; version 6 adds the
    // roofline's tables.
    Statement moved(store.db(), "SELECT count(*) FROM results WHERE point_key = 'imported' AND cpu_mask = '0xff' AND "
                                "n_cpu_moe = 3 AND poll = 50 AND split_mode = 'layer' AND no_kv_offload = 0 AND "
                                "override_tensor = 'exps=CPU' AND devices = 'auto' AND fit_target = 0");
    ASSERT_TRUE(moved.step());
    EXPECT_EQ(moved.column_int(0), 1);
    EXPECT_TRUE(store.read_machines().empty());
    EXPECT_TRUE(store.read_model_profiles().empty());
    // Version 14 found each setting's distinct values (the import's too).
    EXPECT_EQ(store.single_values().at("load_mode"), "mmap");
    EXPECT_EQ(store.single_values().at("n_prompt"), "64");
    EXPECT_EQ(store.single_values().at("n_cpu_moe"), "3") << "the import's, moved into its column by version 6";
    // The triggers were replaced, not doubled: a new result fills llama_bench once, and its values are kept.
    const int64_t id = store.ensure_result(run, "k", "pp", test::point_row("m.gguf", "none", 64, 0));
    EXPECT_FALSE(store.single_values().count("load_mode"));
    store.insert_sample({{"result_id", id}, {"repetition", int64_t{0}}, {"ns", int64_t{1000}}, {"ts", 5.0}});
    store.summarize_result(id, "ok", utc_now());
    Statement rows(store.db(), "SELECT count(*) FROM llama_bench");
    ASSERT_TRUE(rows.step());
    EXPECT_EQ(rows.column_int(0), 1);
}

TEST(StoreReadOnly, AnOlderSchemaIsReadThroughACopyAndTheFileIsNotTouched) {
    test::TempDir dir;
    const std::string path = (dir / "v1.db").string();
    {
        Database db(path, store::Database::Mode::create);
        db.exec(test::read_file(std::filesystem::path(LLMSWEEP_SOURCE_DIR) / "tests/fixtures/schema_v1.sql"));
    }
    const std::string before = test::read_file(path);
    Store store(path, Store::Access::read_only);
    Statement s(store.db(), "SELECT (SELECT count(*) FROM results), (SELECT count(*) FROM llama_bench), "
                            "(SELECT user_version FROM pragma_user_version)");
    ASSERT_TRUE(s.step());
    EXPECT_EQ(s.column_int(0), 2);
    EXPECT_EQ(s.column_int(1), 2) << "the copy is migrated";
    EXPECT_EQ(s.column_int(2), schema_version);
    EXPECT_EQ(test::read_file(path), before) << "reading never writes the file";
}

TEST_F(StoreWithRun, LlamaBenchTableMapsRequestModeToLlamaBenchTests) {
    const int64_t pp = store.ensure_result(run_id, "p1", "pp", point());
    const int64_t tg = store.ensure_result(run_id, "p1", "tg", point());
    for (int64_t id : {pp, tg}) {
        store.insert_sample({{"result_id", id}, {"repetition", int64_t{0}}, {"ns", int64_t{2'000'000}}, {"ts", 5.0}});
        store.summarize_result(id, "ok", utc_now());
    }
    Statement s(store.db(), "SELECT n_prompt, n_gen, n_depth, avg_ns, flash_attn, build_commit FROM llama_bench "
                            "ORDER BY n_gen");
    ASSERT_TRUE(s.step());
    EXPECT_EQ(s.column_int(0), 64); // pp row
    EXPECT_EQ(s.column_int(1), 0);
    EXPECT_EQ(s.column_int(2), 0);
    EXPECT_EQ(s.column_int(3), 2'000'000);
    EXPECT_EQ(s.column_int(4), -1);
    EXPECT_EQ(s.column_text(5), "abc");
    ASSERT_TRUE(s.step());
    EXPECT_EQ(s.column_int(0), 0); // tg row, after the 64-token prompt
    EXPECT_EQ(s.column_int(1), 32);
    EXPECT_EQ(s.column_int(2), 64);
}

} // namespace
} // namespace llmsweep::store
