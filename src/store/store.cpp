#include "store/store.hpp"

#include "domain/knobs.hpp"

#include "core/error.hpp"
#include "stats/descriptive.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <filesystem>
#include <mutex>
#include <random>
#include <thread>
#include <unistd.h>

namespace llmsweep::store {
namespace {

void check_row(const Table& t, const Row& row) {
    for (const auto& [name, value] : row) {
        bool known = false;
        for (const Column& c : t.columns) known |= c.name == name;
        if (!known) throw Error(fmt::format("internal: table {} has no column {}", t.name, name));
    }
}

} // namespace

std::string utc_now() {
    const auto now = std::chrono::system_clock::now();
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03d}Z", fmt::gmtime(std::chrono::system_clock::to_time_t(now)), ms);
}

Store::Store(const std::string& path, Access access) : access_(access) {
    if (path.empty() || path.front() == ':' || path.rfind("file:", 0) == 0)
        throw UsageError(fmt::format("'{}' is not a database file's name (SQLite's in-memory and URI names keep "
                                     "nothing); name a file with --db",
                                     path));
    if (std::filesystem::is_directory(path))
        throw UsageError(fmt::format("'{}' is a folder; name a database file with --db", path));
    if (access == Access::read_write && std::filesystem::exists(path) && ::access(path.c_str(), W_OK) != 0)
        throw UsageError(fmt::format("'{}' cannot be written ({}); 'llmsweep report' reads it where it is, but a "
                                     "sweep or an import needs a writable --db",
                                     path, errno == EROFS ? "read-only file system" : std::strerror(errno)));
    try {
        db_ = std::make_unique<Database>(path, access == Access::read_only ? Database::Mode::read_only
                                                                           : Database::Mode::create);
        db_->exec("PRAGMA foreign_keys = ON");
        create_or_migrate();
    } catch (const DatabaseError& e) {
        // "file is not a database" and the like; a full disk or a lock says so itself.
        if (e.code() != SQLITE_NOTADB && e.code() != SQLITE_CORRUPT && e.code() != SQLITE_CANTOPEN) throw;
        throw UsageError(
            fmt::format("'{}' cannot be used as an llmsweep database ({}); choose another --db", path, e.what()));
    }
}

Statement& Store::statement(const std::string& sql) {
    auto it = statements_.find(sql);
    if (it == statements_.end()) it = statements_.emplace(sql, std::make_unique<Statement>(*db_, sql)).first;
    return *it->second;
}

void Store::checkpoint() { db_->exec("PRAGMA wal_checkpoint(PASSIVE)"); }

std::optional<Store::RunRef> Store::latest_run(const std::string& spec_key) {
    Statement& s = statement("SELECT id, status, spec_json FROM runs WHERE spec_key = :key ORDER BY id DESC LIMIT 1");
    s.bind("key", spec_key);
    std::optional<RunRef> run;
    if (s.step()) run = RunRef{s.column_int(0), s.column_text(1), s.column_text(2)};
    s.reset();
    return run;
}

int64_t Store::insert(std::string_view table_name, const Row& row) {
    const Table& t = table(table_name);
    check_row(t, row);
    std::vector<std::string_view> columns;
    for (const auto& [name, value] : row) columns.push_back(name);
    Statement& s = statement(insert_sql(t, columns));
    for (const auto& [name, value] : row) s.bind(name, value);
    s.run();
    return db_->last_insert_id();
}

int64_t Store::insert_run(const Row& row) {
    if (std::any_of(row.begin(), row.end(), [](const auto& c) { return c.first == "uid"; })) return insert("runs", row);
    Row with_uid = row;
    with_uid.emplace_back("uid", new_run_uid());
    return insert("runs", with_uid);
}

std::string new_run_uid() {
    std::random_device random;
    std::string uid;
    for (int i = 0; i < 4; ++i) uid += fmt::format("{:08x}", random());
    return uid;
}

void Store::update(std::string_view table_name, int64_t id, const Row& row) {
    const Table& t = table(table_name);
    check_row(t, row);
    std::string assignments;
    for (const auto& [name, value] : row)
        assignments += fmt::format("{}{} = :{}", assignments.empty() ? "" : ", ", name, name);
    Statement& s = statement(fmt::format("UPDATE {} SET {} WHERE id = :id", t.name, assignments));
    for (const auto& [name, value] : row) s.bind(name, value);
    s.bind("id", id);
    s.run();
}

void Store::update_run(int64_t run_id, const Row& row) { update("runs", run_id, row); }

void Store::add_to_run(int64_t run_id, const std::vector<std::pair<std::string, double>>& amounts) {
    const Table& t = table("runs");
    std::string assignments;
    for (const auto& [name, amount] : amounts) {
        check_row(t, {{name, amount}});
        assignments += fmt::format("{}{} = COALESCE({}, 0) + :{}", assignments.empty() ? "" : ", ", name, name, name);
    }
    Statement& s = statement(fmt::format("UPDATE runs SET {} WHERE id = :id", assignments));
    for (const auto& [name, amount] : amounts) s.bind(name, amount);
    s.bind("id", run_id);
    s.run();
}

int64_t Store::insert_load(const Row& row) { return insert("loads", row); }

void Store::update_load(int64_t load_id, const Row& row) { update("loads", load_id, row); }

int64_t Store::ensure_result(int64_t run_id, const std::string& point_key, const std::string& metric, const Row& row) {
    Statement& find = statement("SELECT id FROM results WHERE run_id = :run AND point_key = :key AND metric = :metric");
    find.bind("run", run_id).bind("key", point_key).bind("metric", metric);
    if (find.step()) {
        const int64_t id = find.column_int(0);
        find.reset();
        return id;
    }
    find.reset();
    Row full = row;
    full.insert(full.end(), {{"run_id", run_id},
                             {"point_key", point_key},
                             {"metric", metric},
                             {"status", std::string("running")},
                             {"repetitions", int64_t{0}}});
    return insert("results", full);
}

void Store::update_result(int64_t result_id, const Row& row) { update("results", result_id, row); }

int64_t Store::insert_result(const Row& row) { return insert("results", row); }

std::vector<int64_t> Store::runs_imported_from(const std::string& sha256) {
    Statement& s = statement("SELECT id FROM runs WHERE source_sha256 = :sha ORDER BY id");
    s.bind("sha", sha256);
    std::vector<int64_t> ids;
    while (s.step()) ids.push_back(s.column_int(0));
    s.reset();
    return ids;
}

void Store::insert_sample(const Row& row) { insert("samples", row); }
void Store::insert_request(const Row& row) { insert("requests", row); }

void Store::summarize_result(int64_t result_id, const std::string& status, const std::string& test_time) {
    Statement& read = statement("SELECT ns, ts, ttft_ms, itl_p50_ms, itl_p90_ms, itl_p99_ms FROM samples "
                                "WHERE result_id = :id ORDER BY repetition");
    read.bind("id", result_id);
    std::vector<double> ns, ts;
    std::array<std::vector<double>, 4> latency; // ttft, p50, p90, p99
    while (read.step()) {
        ns.push_back(read.column_double(0));
        ts.push_back(read.column_double(1));
        for (int i = 0; i < 4; ++i)
            if (!read.column_is_null(2 + i)) latency[i].push_back(read.column_double(2 + i));
    }
    read.reset();
    const stats::MeanSd time = stats::mean_sd(ns), speed = stats::mean_sd(ts);
    auto mean_or_null = [](const std::vector<double>& v) -> Value {
        if (v.empty()) return std::monostate{};
        return stats::mean_sd(v).mean;
    };
    Row row{{"repetitions", static_cast<int64_t>(ns.size())},
            {"status", status},
            {"test_time", test_time},
            {"ttft_ms", mean_or_null(latency[0])},
            {"itl_p50_ms", mean_or_null(latency[1])},
            {"itl_p90_ms", mean_or_null(latency[2])},
            {"itl_p99_ms", mean_or_null(latency[3])}};
    if (!ns.empty()) {
        row.insert(row.end(),
                   {{"avg_ns", time.mean}, {"stddev_ns", time.sd}, {"avg_ts", speed.mean}, {"stddev_ts", speed.sd}});
    }
    update("results", result_id, row);
}

Progress Store::progress(int64_t run_id) {
    Progress progress;
    Statement& s = statement("SELECT r.point_key, r.metric, r.status, s.repetition, r.stop_reason FROM results AS r "
                             "LEFT JOIN samples AS s ON s.result_id = r.id WHERE r.run_id = :run");
    s.bind("run", run_id);
    while (s.step()) {
        auto key = std::make_pair(s.column_text(0), s.column_text(1));
        const std::string status = s.column_text(2);
        if ((status != "running" && status != "ok") || (!s.column_is_null(4) && s.column_text(4) == "failed"))
            progress.final_results.insert(key);
        auto& reps = progress.repetitions[key];
        if (!s.column_is_null(3)) reps.insert(s.column_int(3));
    }
    s.reset();
    return progress;
}

std::unordered_map<int64_t, std::string> Store::point_keys(int64_t run_id) {
    Statement& s = statement("SELECT id, point_key FROM results WHERE run_id = :run");
    s.bind("run", run_id);
    std::unordered_map<int64_t, std::string> keys;
    while (s.step()) keys.emplace(s.column_int(0), s.column_text(1));
    s.reset();
    return keys;
}

void Store::set_stop_reason(int64_t run_id, const std::string& point_key, const std::string& reason) {
    Statement& s = statement("UPDATE results SET stop_reason = :reason WHERE run_id = :run AND point_key = :key "
                             "AND status = 'ok' AND (stop_reason IS NULL OR stop_reason != 'failed')");
    s.bind("reason", reason);
    s.bind("run", run_id);
    s.bind("key", point_key);
    s.step();
    s.reset();
}

std::map<std::string, double> Store::mean_load_ms() {
    Statement s(*db_, "SELECT model_filename, avg(load_ms) FROM loads WHERE status = 'ok' AND load_ms > 0 GROUP BY "
                      "model_filename");
    std::map<std::string, double> means;
    while (s.step()) means[s.column_text(0)] = s.column_double(1);
    return means;
}

std::optional<double> Store::measured_ns(const std::string& point_key) {
    Statement& s = statement("SELECT sum(avg_ns) FROM results WHERE point_key = :key AND status = 'ok' "
                             "GROUP BY run_id ORDER BY run_id DESC LIMIT 1");
    s.bind("key", point_key);
    std::optional<double> ns;
    if (s.step()) ns = s.column_double(0);
    s.reset();
    return ns;
}

namespace {

// `name` if `table` has such a column; UsageError otherwise.
const std::string& checked_column(std::string_view table_name, const std::string& name) {
    for (const Column& c : table(table_name).columns)
        if (c.name == name) return name;
    throw UsageError(fmt::format("no column {} in {}", name, table_name));
}

bool has_column(std::string_view table_name, std::string_view name) {
    const auto& columns = table(table_name).columns;
    return std::any_of(columns.begin(), columns.end(), [&](const Column& c) { return c.name == name; });
}

} // namespace

Row point_columns(const domain::Point& p, domain::Mode mode) {
    Row row = {{"model_filename", p.load.model},
               {"n_prompt", p.test.n_prompt},
               {"n_gen", p.test.n_gen},
               {"n_depth", p.test.n_depth},
               {"mode", std::string(name(mode))}};
    // Server mode's knobs are NULL in other modes, where they do not apply.
    const bool server = mode == domain::Mode::server;
    for (const domain::Knob& knob : domain::knobs())
        if (server || !knob.of_server_mode())
            row.emplace_back(knob.name, std::visit([](auto&& v) { return Value(v); }, knob.column(p)));
    if (!p.load.llama_bench.empty()) row.emplace_back("llama_bench", p.load.llama_bench);
    if (server) row.insert(row.end(), {{"concurrency", p.client.concurrency}, {"rate", p.client.rate}});
    return row;
}

std::vector<LlamaBenchRow> Store::read_llama_bench_rows(int64_t run_id, const std::set<int64_t>& except) {
    const Table& lb = table("llama_bench");
    Statement& rows = statement("SELECT lb.* FROM llama_bench AS lb JOIN results AS r ON r.id = lb.result_id "
                                "WHERE r.run_id = :run ORDER BY lb.result_id");
    Statement& samples = statement("SELECT ns, ts FROM samples WHERE result_id = :result ORDER BY repetition");
    std::vector<LlamaBenchRow> found;
    rows.reset();
    rows.bind("run", run_id);
    while (rows.step()) {
        LlamaBenchRow row{.result_id = rows.column_int("result_id")};
        if (except.contains(row.result_id)) continue;
        for (const Column& c : lb.columns) {
            if (c.name == "result_id") continue;
            const int index = rows.column_index(c.name);
            std::string value;
            if (!rows.column_is_null(index)) {
                switch (c.type) {
                case SqlType::integer: value = std::to_string(rows.column_int(index)); break;
                case SqlType::real: value = fmt::format("{:.6f}", rows.column_double(index)); break;
                case SqlType::text: value = rows.column_text(index); break;
                }
            }
            row.fields.emplace_back(c.name, std::move(value));
        }
        samples.reset();
        samples.bind("result", row.result_id);
        while (samples.step()) {
            row.samples_ns.push_back(samples.column_int(0));
            row.samples_ts.push_back(samples.column_double(1));
        }
        found.push_back(std::move(row));
    }
    rows.reset();
    return found;
}

bool Store::has_results() {
    Statement s(*db_, "SELECT EXISTS (SELECT 1 FROM results)");
    return s.step() && s.column_int(0) != 0;
}

size_t Store::count_results(std::optional<int64_t> run_id) {
    Statement s(*db_, run_id ? "SELECT count(*) FROM results WHERE run_id = :run" : "SELECT count(*) FROM results");
    if (run_id) s.bind("run", *run_id);
    return s.step() ? static_cast<size_t>(s.column_int(0)) : 0;
}

std::vector<Respelling> Store::respellings(const std::vector<int64_t>& run_ids) {
    std::vector<Respelling> found;
    for (std::string_view column : effective_columns) {
        Statement s(*db_, fmt::format("SELECT DISTINCT CAST(r.{0} AS TEXT), CAST(r.effective_{0} AS TEXT), r.run_id "
                                      "FROM results AS r WHERE r.effective_{0} IS NOT NULL AND "
                                      "CAST(r.effective_{0} AS TEXT) != CAST(r.{0} AS TEXT) ORDER BY 1, 2",
                                      column));
        while (s.step()) {
            if (!run_ids.empty() && std::find(run_ids.begin(), run_ids.end(), s.column_int(2)) == run_ids.end())
                continue;
            Respelling r{std::string(column), s.column_text(0), s.column_text(1)};
            if (std::find(found.begin(), found.end(), r) == found.end()) found.push_back(std::move(r));
        }
    }
    return found;
}

namespace {

// Batches passed from a thread that reads them out of SQLite to the one that hands them on, a few at a time
// (memory stays bounded whichever is faster), and back to be filled again. Batch has clear().
template <typename Batch>
class Pipe {
public:
    Pipe() {
        for (Batch& batch : batches_) empty_.push_back(&batch);
    }
    // The reader's side: an empty batch to fill (nullptr: the other side stopped), then the filled one handed
    // over, and at the end finished() or fail().
    Batch* to_fill() {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [this] { return !empty_.empty() || stopped_; });
        if (stopped_) return nullptr;
        Batch* batch = empty_.front();
        empty_.pop_front();
        batch->clear();
        return batch;
    }
    void filled(Batch* batch) { put(full_, batch); }
    void finished() { close({}); }
    void fail(std::exception_ptr error) { close(std::move(error)); }
    // The other side: the next filled batch, or nullptr at the end (rethrowing the reader's error), each given
    // back when done with; stop() when done, at the end or early (an exception), so that the reader stops.
    Batch* next() {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [this] { return !full_.empty() || ended_; });
        if (!full_.empty()) {
            Batch* batch = full_.front();
            full_.pop_front();
            return batch;
        }
        if (error_) std::rethrow_exception(error_);
        return nullptr;
    }
    void done_with(Batch* batch) { put(empty_, batch); }
    void stop() {
        std::lock_guard lock(mutex_);
        stopped_ = true;
        changed_.notify_all();
    }

private:
    void put(std::deque<Batch*>& queue, Batch* batch) {
        std::lock_guard lock(mutex_);
        queue.push_back(batch);
        changed_.notify_all();
    }
    void close(std::exception_ptr error) {
        std::lock_guard lock(mutex_);
        ended_ = true;
        error_ = std::move(error);
        changed_.notify_all();
    }
    std::array<Batch, 4> batches_;
    std::deque<Batch*> empty_, full_;
    std::mutex mutex_;
    std::condition_variable changed_;
    bool ended_ = false, stopped_ = false;
    std::exception_ptr error_;
};

// SQLite steps a statement and decodes its rows on a thread of its own (read: fills batches from the pipe, and
// hands each over), while this one hands them on (hand_on: each filled batch, in order): a million results
// (their 70 columns) took 1.1 s less of 8 s. The reader's exception is rethrown here; one here stops the reader.
template <typename Batch, typename Read, typename HandOn>
void pipelined(Read read, HandOn hand_on) {
    Pipe<Batch> pipe;
    std::jthread reader([&] {
        try {
            read(pipe);
            pipe.finished();
        } catch (...) {
            pipe.fail(std::current_exception());
        }
    });
    const struct Stop {
        Pipe<Batch>& pipe;
        ~Stop() { pipe.stop(); } // before the reader is joined
    } stop{pipe};
    while (Batch* batch = pipe.next()) {
        hand_on(*batch);
        pipe.done_with(batch);
    }
}

// Result rows copied out of SQLite's memory: their numbers, and their texts one after another.
struct ResultBatch {
    struct Numbers {
        int64_t id = 0, run_id = 0;
        double avg_ts = 0, stddev_ts = 0;
        int64_t repetitions = 0;
        std::array<std::optional<double>, 4> latencies; // ttft, itl p50, p90, p99
    };
    static constexpr size_t rows_at_most = 512;
    std::vector<Numbers> rows;
    std::string text;
    std::vector<size_t> ends; // per row: the ends in `text` of its model, metric, status, error and columns

    void clear() {
        rows.clear();
        text.clear();
        ends.clear();
    }
};

} // namespace

void Store::read_results(std::optional<int64_t> run_id, const std::vector<ResultColumn>& columns,
                         const std::function<void(ResultRow&&)>& each) {
    std::string sql = "SELECT r.id, r.run_id, r.model_filename, r.metric, r.status, COALESCE(r.error, ''), r.avg_ts, "
                      "r.stddev_ts, r.repetitions, r.ttft_ms, r.itl_p50_ms, r.itl_p90_ms, r.itl_p99_ms";
    bool loads = false;
    for (const ResultColumn& c : columns) {
        using Of = ResultColumn::Of;
        if (c.of == Of::loads) {
            if (c.name != "huge_pages_used") throw UsageError(fmt::format("no column {} of loads", c.name));
            sql += ", COALESCE(huge.used, 'unknown')";
            loads = true;
        } else if (c.of == Of::result && !c.as_given &&
                   std::find(effective_columns.begin(), effective_columns.end(), c.name) != effective_columns.end()) {
            sql += fmt::format(", COALESCE(r.effective_{0}, r.{0})", checked_column("results", c.name));
        } else if (c.of == Of::run && has_column("results", c.name)) {
            // The run's, unless the result has its own (the build of one of a run's llama-bench binaries).
            sql += fmt::format(", COALESCE(r.{0}, runs.{0})", checked_column("runs", c.name));
        } else {
            sql += fmt::format(", {}.{}", c.of == Of::run ? "runs" : "r",
                               checked_column(c.of == Of::run ? "runs" : "results", c.name));
        }
    }
    sql += " FROM results AS r JOIN runs ON runs.id = r.run_id";
    if (loads)
        // Each load's huge-page memory at the end of its visit (else after the load; NULL where not recorded),
        // then per result over the loads of its samples.
        sql += " LEFT JOIN (SELECT s.result_id, CASE WHEN count(l.huge_kb) < count(*) THEN 'unknown' "
               "WHEN min(l.huge_kb) > 0 THEN 'yes' WHEN max(l.huge_kb) = 0 THEN 'no' ELSE 'mixed' END AS used "
               "FROM samples AS s JOIN (SELECT id, COALESCE(anon_huge_at_end_kb, anon_huge_after_load_kb) + "
               "COALESCE(file_pmd_at_end_kb, file_pmd_after_load_kb) AS huge_kb FROM loads) AS l "
               "ON l.id = s.load_id GROUP BY s.result_id) AS huge ON huge.result_id = r.id";
    if (run_id) sql += " WHERE r.run_id = :run";
    sql += " ORDER BY r.id";
    Statement s(*db_, sql);
    if (run_id) s.bind("run", *run_id);
    const size_t n = columns.size();
    const auto read = [&](Pipe<ResultBatch>& pipe) {
        const auto optional = [&](int column) -> std::optional<double> {
            if (s.column_is_null(column)) return std::nullopt;
            return s.column_double(column);
        };
        // Integers are written as text here, each column's once per value it changes to (neighbouring results
        // share most), rather than by SQLite for every row; NULL is "".
        std::vector<std::string> integers(n);
        std::vector<std::optional<int64_t>> last(n);
        ResultBatch* batch = nullptr;
        const auto add = [&](std::string_view text) {
            batch->text += text;
            batch->ends.push_back(batch->text.size());
        };
        while (s.step()) {
            if (!batch && !(batch = pipe.to_fill())) return;
            ResultBatch::Numbers& numbers = batch->rows.emplace_back();
            numbers.id = s.column_int(0);
            numbers.run_id = s.column_int(1);
            numbers.avg_ts = s.column_double(6);
            numbers.stddev_ts = s.column_double(7);
            numbers.repetitions = s.column_int(8);
            for (int i = 0; i < 4; ++i) numbers.latencies[i] = optional(9 + i);
            for (int column = 2; column < 6; ++column) add(s.column_view(column));
            for (size_t i = 0; i < n; ++i) {
                const int column = 13 + static_cast<int>(i);
                if (!s.column_is_integer(column)) {
                    add(s.column_view(column));
                    continue;
                }
                if (const int64_t value = s.column_int(column); last[i] != value)
                    last[i] = value, integers[i] = fmt::format_int(value).str();
                add(integers[i]);
            }
            if (batch->rows.size() == ResultBatch::rows_at_most) pipe.filled(std::exchange(batch, nullptr));
        }
        if (batch) pipe.filled(batch);
    };
    ResultRow row;
    row.values.resize(n);
    pipelined<ResultBatch>(read, [&](const ResultBatch& batch) {
        const std::string_view text = batch.text;
        size_t at = 0, end = 0;
        const auto next_text = [&] {
            const size_t begin = end;
            end = batch.ends[at++];
            return text.substr(begin, end - begin);
        };
        for (const ResultBatch::Numbers& numbers : batch.rows) {
            row.id = numbers.id;
            row.run_id = numbers.run_id;
            row.avg_ts = numbers.avg_ts;
            row.stddev_ts = numbers.stddev_ts;
            row.repetitions = numbers.repetitions;
            row.ttft_ms = numbers.latencies[0];
            row.itl_p50_ms = numbers.latencies[1];
            row.itl_p90_ms = numbers.latencies[2];
            row.itl_p99_ms = numbers.latencies[3];
            row.model_filename = next_text();
            row.metric = next_text();
            row.status = next_text();
            row.error = next_text();
            for (std::string_view& value : row.values) value = next_text();
            each(std::move(row));
        }
    });
}

void Store::read_samples(std::optional<int64_t> run_id, SampleOrder order,
                         const std::function<void(int64_t result_id, int64_t repetition, double ts)>& each) {
    Statement s(*db_, fmt::format("SELECT s.result_id, s.repetition, s.ts FROM samples AS s{} ORDER BY {}",
                                  run_id ? " JOIN results AS r ON r.id = s.result_id WHERE r.run_id = :run" : "",
                                  order == SampleOrder::stored ? "s.id" : "s.result_id, s.repetition"));
    if (run_id) s.bind("run", *run_id);
    // A sample stored as text or NULL (an edited database) is not a number, not the 0 SQLite would make of it.
    // (Read on this thread: handed on through a pipe, as the results are, five million samples took longer.)
    while (s.step()) {
        const Value ts = s.column_value(2);
        each(s.column_int(0), s.column_int(1),
             std::holds_alternative<double>(ts)    ? std::get<double>(ts)
             : std::holds_alternative<int64_t>(ts) ? static_cast<double>(std::get<int64_t>(ts))
                                                   : std::nan(""));
    }
}

void Store::read_image_samples(std::optional<int64_t> run_id, const std::function<void(const ImageSampleRow&)>& each) {
    Statement s(*db_, fmt::format("SELECT s.result_id, s.load_id, s.ns, s.ts, s.image_tokens, s.image_slices, "
                                  "l.first_image_ms, l.first_image_tokens FROM samples AS s JOIN results AS r ON "
                                  "r.id = s.result_id LEFT JOIN loads AS l ON l.id = s.load_id WHERE r.metric = 'img' "
                                  "{} ORDER BY s.result_id, s.repetition",
                                  run_id ? "AND r.run_id = :run" : ""));
    if (run_id) s.bind("run", *run_id);
    while (s.step()) {
        ImageSampleRow row{s.column_int(0)};
        if (!s.column_is_null(1)) row.load_id = s.column_int(1);
        row.ns = s.column_double(2);
        row.ts = s.column_double(3);
        if (!s.column_is_null(4)) row.tokens = s.column_int(4);
        if (!s.column_is_null(5)) row.slices = s.column_int(5);
        if (!s.column_is_null(6)) row.first_image_ms = s.column_double(6);
        if (!s.column_is_null(7)) row.first_image_tokens = s.column_int(7);
        each(row);
    }
}

void Store::read_requests(std::optional<int64_t> run_id, const std::function<void(const RequestRow&)>& each) {
    Statement s(*db_, fmt::format("SELECT q.result_id, q.repetition, q.submit_ms, q.e2e_ms, q.ttft_ms, q.tpot_ms, "
                                  "q.tokens_out, q.status = 'ok' AS ok, q.server_prompt_ms, q.server_gen_ms "
                                  "FROM requests AS q JOIN results AS r ON r.id = q.result_id {} "
                                  "ORDER BY q.result_id, q.repetition, q.seq",
                                  run_id ? "WHERE r.run_id = :run" : ""));
    if (run_id) s.bind("run", *run_id);
    while (s.step()) {
        RequestRow row{s.column_int("result_id"), s.column_int("repetition"), s.column_double("submit_ms"),
                       s.column_double("e2e_ms")};
        row.ttft_ms = s.column_optional<double>("ttft_ms");
        row.tpot_ms = s.column_optional<double>("tpot_ms");
        row.server_prompt_ms = s.column_optional<double>("server_prompt_ms");
        row.server_gen_ms = s.column_optional<double>("server_gen_ms");
        row.tokens_out = s.column_int("tokens_out");
        row.ok = s.column_int("ok") != 0;
        each(row);
    }
}

std::vector<std::string> Store::run_slos() {
    Statement s(*db_, "SELECT DISTINCT json_extract(spec_json, '$.slo') FROM runs WHERE json_valid(spec_json) AND "
                      "json_extract(spec_json, '$.slo') != '' ORDER BY 1");
    std::vector<std::string> slos;
    while (s.step()) slos.push_back(s.column_text(0));
    return slos;
}

std::vector<LoadRow> Store::read_loads(const std::string& value_column) {
    // A load setting the loads table has, or one only the results have (a load knob: -sm, -nr, ...), which is
    // the value of the results measured on the load: read in one pass over the samples.
    const bool own = value_column.empty() || has_column("loads", value_column);
    std::unordered_map<int64_t, std::string> measured;
    if (!own) {
        Statement by_load(*db_, fmt::format("SELECT sm.load_id, CAST(min(r.{}) AS TEXT) FROM samples AS sm JOIN "
                                            "results AS r ON r.id = sm.result_id WHERE sm.load_id IS NOT NULL "
                                            "GROUP BY sm.load_id",
                                            checked_column("results", value_column)));
        while (by_load.step()) measured.emplace(by_load.column_int(0), by_load.column_text(1));
    }
    const std::string value =
        value_column.empty() || !own ? "''" : "CAST(" + checked_column("loads", value_column) + " AS TEXT)";
    Statement s(
        *db_,
        "SELECT id, run_id, model_filename, " + value +
            " AS value, cache_state, load_ms, rss_peak_bytes, major_faults, minor_faults, cache_evicted, "
            "COALESCE(thp_mode, '') AS thp_mode, COALESCE(model_buffers, '') AS model_buffers, "
            "COALESCE(anon_huge_at_end_kb, anon_huge_after_load_kb) AS anon_huge_kb, "
            "COALESCE(file_pmd_at_end_kb, file_pmd_after_load_kb) AS file_pmd_kb, COALESCE(round, 0) AS round, "
            "other_cpu_cores, steal_percent, load_average, rss_anon_peak_kb, rss_file_peak_kb, "
            "resident_before_bytes, resident_after_bytes, mmproj_load_ms, mmproj_rss_bytes, first_image_ms FROM loads "
            "WHERE "
            "status = 'ok' ORDER BY id");
    std::vector<LoadRow> loads;
    while (s.step()) {
        LoadRow row{s.column_int("run_id"), s.column_text("model_filename"), s.column_text("value"),
                    s.column_text("cache_state")};
        if (!own) {
            const auto found = measured.find(s.column_int("id"));
            row.value = found == measured.end() ? "" : found->second;
        }
        row.load_ms = s.column_optional<double>("load_ms");
        row.rss_peak_bytes = s.column_double("rss_peak_bytes");
        row.major_faults = s.column_double("major_faults");
        row.minor_faults = s.column_double("minor_faults");
        row.evicted = s.column_int("cache_evicted") == 1;
        row.thp_mode = s.column_text("thp_mode");
        row.model_buffers = s.column_text("model_buffers");
        row.anon_huge_kb = s.column_optional<double>("anon_huge_kb");
        row.file_pmd_kb = s.column_optional<double>("file_pmd_kb");
        row.round = s.column_int("round");
        row.other_cpu_cores = s.column_optional<double>("other_cpu_cores");
        row.steal_percent = s.column_optional<double>("steal_percent");
        row.load_average = s.column_optional<double>("load_average");
        row.peak_anon_kb = s.column_optional<double>("rss_anon_peak_kb");
        row.peak_file_kb = s.column_optional<double>("rss_file_peak_kb");
        row.resident_before_bytes = s.column_optional<double>("resident_before_bytes");
        row.resident_after_bytes = s.column_optional<double>("resident_after_bytes");
        row.mmproj_load_ms = s.column_optional<double>("mmproj_load_ms");
        row.mmproj_rss_bytes = s.column_optional<double>("mmproj_rss_bytes");
        row.first_image_ms = s.column_optional<double>("first_image_ms");
        loads.push_back(std::move(row));
    }
    return loads;
}

std::vector<ModelRow> Store::read_models() {
    // Over the distinct rows of the four columns (a model's are the same in each of its results), not over every
    // result: no sort of a million rows (a million results: 0.25 s, from 0.48 s).
    Statement s(*db_, "SELECT model_filename, COALESCE(max(model_type), ''), COALESCE(max(model_size), 0), "
                      "COALESCE(max(model_n_params), 0) FROM (SELECT DISTINCT model_filename, model_type, model_size, "
                      "model_n_params FROM results) GROUP BY model_filename ORDER BY model_filename");
    std::vector<ModelRow> models;
    while (s.step()) models.push_back({s.column_text(0), s.column_text(1), s.column_int(2), s.column_int(3)});
    return models;
}

void Store::insert_machine(const Row& row) { insert("machines", row); }

std::vector<nlohmann::json> Store::read_machines() {
    Statement s(*db_,
                "SELECT hostname, COALESCE(cpu_info, '') AS cpu_info, build_commit, threads, measured_at, "
                "read_gbs, COALESCE(triad_gbs, 0) AS triad_gbs, COALESCE(buffer_bytes, 0) AS buffer_bytes, "
                "matmul_gflops, peak_gflops, COALESCE(l1d_bytes, 0) AS l1d_bytes, COALESCE(l2_bytes, 0) AS "
                "l2_bytes, COALESCE(l3_bytes, 0) AS l3_bytes, COALESCE(matmul_buffers, '') AS matmul_buffers FROM "
                "machines ORDER BY id");
    std::vector<nlohmann::json> machines;
    while (s.step()) {
        nlohmann::json machine = nlohmann::json::object();
        for (const char* name : {"hostname", "cpu_info", "build_commit", "measured_at", "matmul_buffers"})
            machine[name] = s.column_text(name);
        for (const char* name : {"threads", "buffer_bytes", "l1d_bytes", "l2_bytes", "l3_bytes"})
            machine[name] = s.column_int(name);
        for (const char* name : {"read_gbs", "triad_gbs"}) machine[name] = s.column_double(name);
        const auto peak = s.column_optional<double>("peak_gflops");
        machine["peak_gflops"] = peak ? nlohmann::json(*peak) : nlohmann::json(nullptr);
        const nlohmann::json matmul = nlohmann::json::parse(s.column_text("matmul_gflops"), nullptr, false);
        machine["matmul_gflops"] = matmul.is_object() ? matmul : nlohmann::json::object();
        machines.push_back(std::move(machine));
    }
    return machines;
}

void Store::save_model_profile(const std::string& model_filename, const domain::ModelProfile& profile) {
    std::error_code ec;
    const auto bytes = std::filesystem::file_size(model_filename, ec);
    Statement& s = statement("INSERT OR IGNORE INTO model_profiles (model_filename, file_bytes, weight_type, "
                             "profile_json) VALUES (:model, :bytes, :type, :profile)");
    s.bind("model", model_filename);
    s.bind("bytes", ec ? int64_t{0} : static_cast<int64_t>(bytes));
    s.bind("type", profile.weight_type);
    s.bind("profile", domain::to_json(profile).dump());
    s.run();
}

std::map<std::string, std::string> Store::read_model_profiles() {
    Statement s(*db_, "SELECT model_filename, profile_json FROM model_profiles ORDER BY rowid");
    std::map<std::string, std::string> profiles;
    while (s.step()) profiles[s.column_text(0)] = s.column_text(1);
    return profiles;
}

std::map<std::string, int64_t> Store::build_numbers() {
    std::map<std::string, int64_t> numbers;
    Statement s(*db_, "SELECT build_commit, max(build_number) FROM llama_bench WHERE typeof(build_number) = 'integer' "
                      "AND build_number > 0 AND build_commit IS NOT NULL GROUP BY build_commit");
    while (s.step()) numbers[s.column_text(0)] = s.column_int(1);
    return numbers;
}

std::vector<RunRow> Store::read_runs() {
    Statement s(
        *db_, "SELECT id, mode, sweep_order, started_at, build_commit, COALESCE(backends, '') AS backends, "
              "COALESCE(cpu_info, '') AS cpu_info, COALESCE(os, '') AS os, repetitions, warmup, "
              "COALESCE(cpu_cores_logical, 0) AS cpu_cores_logical, max_repetitions, target_ci_pct, "
              "margin_pct, COALESCE(decide, '') AS decide, COALESCE(memory_bytes, 0) AS memory_bytes, "
              "COALESCE(source, 'run') AS source, COALESCE(engine, 'native') AS engine, spec_key, spec_json FROM runs "
              "ORDER BY id");
    std::vector<RunRow> runs;
    while (s.step()) {
        RunRow run{s.column_int("id"),
                   s.column_text("mode"),
                   s.column_text("sweep_order"),
                   s.column_text("started_at"),
                   s.column_text("build_commit"),
                   s.column_text("backends"),
                   s.column_text("cpu_info"),
                   s.column_text("os"),
                   s.column_int("repetitions"),
                   s.column_int("warmup"),
                   s.column_int("cpu_cores_logical")};
        run.max_repetitions = s.column_optional<int64_t>("max_repetitions");
        run.target_ci_pct = s.column_optional<double>("target_ci_pct");
        run.margin_pct = s.column_optional<double>("margin_pct");
        run.decide = s.column_text("decide");
        run.memory_bytes = s.column_int("memory_bytes");
        run.source = s.column_text("source");
        run.engine = s.column_text("engine");
        run.spec_key = s.column_text("spec_key");
        run.spec_json = s.column_text("spec_json");
        runs.push_back(std::move(run));
    }
    Statement stops(*db_, "SELECT run_id, stop_reason, count(*), min(repetitions), max(repetitions) FROM results "
                          "WHERE stop_reason IS NOT NULL GROUP BY run_id, stop_reason ORDER BY run_id, stop_reason");
    while (stops.step()) {
        const int64_t id = stops.column_int(0);
        const auto run = std::find_if(runs.begin(), runs.end(), [&](const RunRow& r) { return r.id == id; });
        if (run != runs.end())
            run->stops.push_back({stops.column_text(1), static_cast<size_t>(stops.column_int(2)), stops.column_int(3),
                                  stops.column_int(4)});
    }
    return runs;
}

} // namespace llmsweep::store
