// How a file becomes a database of this schema: what it is checked for before anything is read (llmsweep's, of a
// schema this llmsweep knows, holding nothing llmsweep does not make), and each older schema brought up to date,
// on disk for a database written to, in a copy in memory for one only read.

#include "store/store.hpp"

#include "core/error.hpp"
#include "core/escape.hpp"
#include "core/interrupt.hpp"
#include "domain/knobs.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sqlite3.h>

#include <algorithm>
#include <set>

namespace llmsweep::store {

void Store::create_or_migrate() {
    int64_t app = 0, version = 0, objects = 0;
    {
        Statement pragmas(*db_, "SELECT (SELECT application_id FROM pragma_application_id), "
                                "(SELECT user_version FROM pragma_user_version), "
                                "(SELECT count(*) FROM sqlite_schema)");
        pragmas.step();
        app = pragmas.column_int(0), version = pragmas.column_int(1), objects = pragmas.column_int(2);
    }

    if (app != application_id && objects > 0)
        throw UsageError(fmt::format("'{}' is an SQLite database but not llmsweep's; choose another --db, or import "
                                     "llama-bench results with 'llmsweep import'",
                                     db_->path()));
    if (version > schema_version)
        throw UsageError(fmt::format("'{}' was written by a newer llmsweep (schema {}; this one knows up to {}); "
                                     "upgrade llmsweep or choose another --db",
                                     db_->path(), version, schema_version));
    if (objects > 0) check_shape(version);
    if (access_ == Access::read_only) {
        if (objects == 0)
            throw UsageError(fmt::format("'{}' is empty: it holds no llmsweep results; run a sweep into it with "
                                         "'llmsweep run', or choose another --db",
                                         db_->path()));
        if (version == schema_version) return;
        // An older schema is brought up to date in a copy in memory: reading never writes the file.
        auto copy = std::make_unique<Database>();
        copy->copy_from(*db_);
        statements_.clear();
        db_ = std::move(copy);
        db_->exec("PRAGMA foreign_keys = ON");
        Transaction tx(*db_);
        migrate(version);
        recreate_triggers();
        db_->exec(fmt::format("PRAGMA user_version = {}", schema_version));
        tx.commit();
        return;
    }
    {
        // Switching to WAL takes the write lock; a database already in WAL mode is opened without waiting for
        // another process's write (a sweep's or an import's).
        Statement mode(*db_, "PRAGMA journal_mode");
        if (!mode.step() || mode.column_text(0) != "wal") {
            mode.reset();
            // SQLite does not wait for the lock this needs (another process creating the same new database
            // holds it for a moment): wait here.
            for (int attempt = 0;; ++attempt) {
                try {
                    db_->exec("PRAGMA journal_mode = WAL");
                    break;
                } catch (const DatabaseError& e) {
                    // Only a lock is worth waiting for: a full disk or a read-only file fails at once.
                    const bool locked = e.code() == SQLITE_BUSY || e.code() == SQLITE_LOCKED;
                    if (!locked || attempt >= 500 || interrupt_requested()) throw;
                    sqlite3_sleep(10);
                }
            }
        }
    }
    // In WAL mode NORMAL loses no committed transaction on a crash of the process, only on power loss.
    db_->exec("PRAGMA synchronous = NORMAL");
    // Checkpoints copy the WAL into the database with an fsync: a sweep asks for one between worker
    // processes (checkpoint()), where no point is being timed, and SQLite's own only after 16 MB.
    db_->exec("PRAGMA wal_autocheckpoint = 4000");
    if (version == schema_version) return;

    Transaction tx(*db_);
    // Another process may have created or migrated the schema while this one waited for the lock.
    {
        Statement again(*db_, "SELECT user_version FROM pragma_user_version");
        again.step();
        version = again.column_int(0);
    }
    if (version == schema_version) {
        tx.commit();
        return;
    }
    if (version == 0) {
        for (const Table& t : tables()) db_->exec(create_table_sql(t));
        db_->exec("CREATE INDEX results_by_run ON results (run_id, status)");
        db_->exec("CREATE INDEX samples_by_result ON samples (result_id)");
    } else {
        migrate(version);
    }
    recreate_triggers();
    db_->exec(fmt::format("PRAGMA application_id = {}", application_id));
    db_->exec(fmt::format("PRAGMA user_version = {}", schema_version));
    tx.commit();
}

namespace {

// The triggers that keep the llama_bench and result_values tables.
bool is_our_trigger(std::string_view name) {
    return name.starts_with("llama_bench_") || name.starts_with("result_values_");
}

} // namespace

// A database is read as llmsweep's only if it holds nothing but what llmsweep makes: its tables (a view under a
// table's name could be a query that never ends; schema 1's llama_bench view excepted), indexes on them, and the
// llama_bench and result_values tables' triggers. Nothing
// in its schema runs a function with side effects either (trusted_schema off, set when it was opened).
void Store::check_shape(int64_t version) {
    Statement objects(*db_, "SELECT type, name, tbl_name FROM sqlite_schema ORDER BY rowid");
    while (objects.step()) {
        const std::string type = objects.column_text(0), name = objects.column_text(1), of = objects.column_text(2);
        const auto ours = [](const std::string& table_name) {
            return table_name.rfind("sqlite_", 0) == 0 ||
                   std::any_of(tables().begin(), tables().end(), [&](const Table& t) { return t.name == table_name; });
        };
        // Schema 1's llama_bench was a view, which its migration drops unread.
        const bool fits = (type == "table" && ours(name)) || (type == "index" && ours(of)) ||
                          (type == "trigger" && is_our_trigger(name) && ours(of)) ||
                          (type == "view" && name == "llama_bench" && version == 1);
        if (!fits)
            throw UsageError(fmt::format("'{}' holds {} {} ({}), which no llmsweep database has: it is not read",
                                         db_->path(), type == "index" ? "an" : "a", type, escape::terminal(name)));
    }
}

// Each step brings a database written by an older llmsweep to the next schema version, keeping every row.
// The llama_bench and result_values tables' triggers as this version writes them: an older database's are
// replaced.
void Store::recreate_triggers() {
    std::vector<std::string> old;
    {
        Statement s(*db_, "SELECT name FROM sqlite_schema WHERE type = 'trigger'");
        while (s.step())
            if (is_our_trigger(s.column_text(0))) old.push_back(s.column_text(0));
    }
    for (const auto& name : old) db_->exec(fmt::format("DROP TRIGGER \"{}\"", name));
    for (const std::string& trigger : llama_bench_trigger_sql()) db_->exec(trigger);
    for (const std::string& trigger : result_values_trigger_sql()) db_->exec(trigger);
}

// One walk of the results (a million: a few seconds; a SELECT DISTINCT per setting took a minute).
void Store::fill_result_values() {
    const auto& names = value_kept_columns();
    std::vector<std::set<std::string, std::less<>>> values(names.size());
    std::vector<std::string> last(names.size());
    Statement rows(*db_, result_values_select_sql());
    for (bool first = true; rows.step(); first = false)
        for (size_t i = 0; i < names.size(); ++i) {
            const std::string_view value = rows.column_view(static_cast<int>(i));
            if (first || value != last[i]) last[i] = value, values[i].emplace(value);
        }
    Statement insert(*db_, "INSERT OR IGNORE INTO result_values (name, value) VALUES (:name, :value)");
    for (size_t i = 0; i < names.size(); ++i)
        for (const std::string& value : values[i]) {
            insert.bind("name", std::string(names[i])).bind("value", value);
            insert.run();
        }
}

void Store::migrate(int64_t from_version) {
    // First every version's new columns, so that what fills the data below may read any of them (the llama_bench
    // table of version 2 is filled from columns added later).
    for (int64_t version = from_version + 1; version <= schema_version; ++version) {
        for (const Table& t : tables()) {
            if (t.name == "llama_bench" || t.since > version) continue;
            if (t.since == version) {
                // As that version had it: the columns added later are added by their own versions below.
                Table then = t;
                std::erase_if(then.columns, [&](const Column& c) { return c.since > version; });
                db_->exec(create_table_sql(then));
                continue;
            }
            for (const Column& c : t.columns)
                if (c.since == version)
                    // A column that has a default keeps its constraint (SQLite fills the rows with the default).
                    db_->exec(fmt::format("ALTER TABLE {} ADD COLUMN {} {}{}", t.name, c.name, sql_type_name(c.type),
                                          c.constraint.find("DEFAULT") == std::string_view::npos
                                              ? std::string()
                                              : " " + std::string(c.constraint)));
        }
    }
    for (int64_t version = from_version + 1; version <= schema_version; ++version) {
        if (version == 2) {
            // 1 → 2: imports (run source, llama-bench's extra fields), and llama_bench becomes a table kept by
            // triggers instead of a view, because llama.cpp's compare-llama-bench.py lists tables only.
            db_->exec("UPDATE runs SET source = 'run', engine = 'native'");
            db_->exec("DROP VIEW IF EXISTS llama_bench");
            db_->exec(create_table_sql(table("llama_bench")));
            db_->exec(llama_bench_fill_sql());
        }
        // 2 → 3: each load's memory mapping (transparent huge pages, huge-page-mapped file pages): columns only.
        // 3 → 4: the huge-page setting of loads and results (`auto` for everything before it): columns only.
        // 4 → 5: adaptive rounds (the run's stopping rule, each result's stop reason); -nkvo and -embd as columns,
        // filled for imports from the fields they kept.
        // 5 → 6: -dev, -ts, -ot, -fitt, -fitc as columns, likewise; the effective load mode and GPU layers.
        if (version == 5 || version == 6) {
            // The version's settings with a default (llama-bench settings that had no column) move out of the
            // fields imports kept: each takes its field's value, or its default where the file had none.
            std::vector<std::string> moved;
            for (const Column& c : table("results").columns) {
                const auto at = c.constraint.find("DEFAULT ");
                if (c.since != version || at == std::string_view::npos) continue;
                const domain::Knob* knob = domain::find_knob(c.name);
                moved.push_back(fmt::format("{} = COALESCE(json_extract(llama_bench_json, '$.{}'), {})", c.name,
                                            knob ? knob->field : c.name, c.constraint.substr(at + 8)));
            }
            db_->exec(fmt::format("UPDATE results SET {} WHERE llama_bench_json IS NOT NULL", fmt::join(moved, ", ")));
        }
        // 7 → 8: a result's own llama-bench binary and build, for runs of several binaries: columns only.
        // 8 → 9: -nr (no_repack) as a column, and the buffer types of the machines' products: columns only.
        // 9 → 10: where a run's wall time went (runs.wall_s and its phases): columns only.
        // 10 → 11: a vision-language model's mmproj and images (the knobs, the loads' first image): columns only.
        // 11 → 12: each image sample's tokens and slices: columns only.
        // 12 → 13: a server's own timings of each request: columns only.
        // 13 → 14: each setting's distinct values (result_values): below.
        // An older run's unique id is made from what identifies it, not drawn: an older database read (and so
        // migrated in memory) twice gives its runs the same ids, and merging it twice adds nothing.
        if (version == 6)
            db_->exec("UPDATE runs SET uid = printf('legacy:%s:%d:%s:%s', started_at, id, COALESCE(hostname, ''), "
                      "COALESCE(source_sha256, spec_key)) WHERE uid IS NULL");
    }
    // Each setting's distinct values, after every migration of a database written to: a setting a later version
    // adds has its values (its default in every older result) there before its first result is written. One
    // only read (migrated in memory, each time) leaves the table as it was, empty before 14: its reports read
    // the settings it lacks.
    if (access_ != Access::read_only) fill_result_values();
}

} // namespace llmsweep::store
