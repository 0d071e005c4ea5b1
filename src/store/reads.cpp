// The store's reads of what was measured, in bulk, for the analysis and the reports: results (read on a thread
// of their own), samples, requests, loads, and llama-bench's rows. The rest of Store is in store.cpp.
#include "store/store.hpp"

#include "core/error.hpp"
#include "domain/parameter_names.hpp"
#include "store/schema.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace llmsweep::store {
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

size_t Store::count_samples(std::optional<int64_t> run_id) {
    Statement s(*db_, run_id ? "SELECT count(*) FROM samples AS s JOIN results AS r ON r.id = s.result_id "
                               "WHERE r.run_id = :run"
                             : "SELECT count(*) FROM samples");
    if (run_id) s.bind("run", *run_id);
    return s.step() ? static_cast<size_t>(s.column_int(0)) : 0;
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

bool Store::result_values_kept() {
    // Only where the triggers that keep the table are this llmsweep's own: a table no trigger kept is not trusted.
    std::vector<std::string> triggers;
    Statement s(*db_, "SELECT sql FROM sqlite_schema WHERE type = 'trigger' AND name LIKE 'result\\_values\\_%' "
                      "ESCAPE '\\' ORDER BY name");
    while (s.step()) triggers.push_back(s.column_text(0));
    if (triggers != result_values_trigger_sql()) return false;
    // Nor an empty one beside results: an older database only read, migrated in a copy in memory, has the
    // triggers but not the values.
    Statement empty(*db_, "SELECT EXISTS (SELECT 1 FROM results) AND NOT EXISTS (SELECT 1 FROM result_values)");
    return empty.step() && empty.column_int(0) == 0;
}

std::vector<std::string> Store::model_paths() {
    Statement s(*db_, result_values_kept()
                          ? "SELECT value FROM result_values WHERE name = 'model_filename' ORDER BY value"
                          : "SELECT DISTINCT COALESCE(CAST(model_filename AS TEXT), '') FROM results ORDER BY 1");
    std::vector<std::string> paths;
    while (s.step()) paths.push_back(s.column_text(0));
    return paths;
}

std::map<std::string, std::string, std::less<>> Store::single_values() {
    if (!result_values_kept()) return {};
    std::map<std::string, std::string, std::less<>> single;
    Statement s(*db_, "SELECT name, min(value) FROM result_values GROUP BY name HAVING count(*) = 1");
    while (s.step()) single.emplace(s.column_text(0), s.column_text(1));
    return single;
}

void Store::read_results(std::optional<int64_t> run_id, const std::vector<ResultColumn>& columns,
                         const std::function<void(ResultRow&&)>& each) {
    std::string sql = "SELECT r.id, r.run_id, r.model_filename, r.metric, r.status, COALESCE(r.error, ''), r.avg_ts, "
                      "r.stddev_ts, r.repetitions, r.ttft_ms, r.itl_p50_ms, r.itl_p90_ms, r.itl_p99_ms";
    bool loads = false;
    // A setting every result has the same value of is not read row by row (about a third of a million results'
    // reading time, where five of fifty settings vary); a run's settings are read once per run.
    const auto single = single_values();
    const size_t n = columns.size();
    enum class From { constant, row, run, row_else_run };
    struct Source {
        From from = From::row;
        int column = 0; // in the SELECT
        size_t run = 0; // in a run's values
    };
    std::vector<Source> sources(n);
    std::vector<std::optional<std::string>> constant(n);
    std::vector<std::string> run_columns;
    int selected = 13;
    for (size_t i = 0; i < n; ++i) {
        const ResultColumn& c = columns[i];
        using Of = ResultColumn::Of;
        if (const auto found = single.find(c.name); c.of == Of::result && !c.as_given && found != single.end()) {
            sources[i] = {From::constant};
            constant[i] = found->second;
            continue;
        }
        if (c.of == Of::respelled) {
            if (!has_effective_value(c.name)) throw UsageError(fmt::format("{} has no effective value", c.name));
            sources[i] = {From::row, selected++};
            sql += fmt::format(", CASE WHEN r.effective_{0} IS NOT NULL AND CAST(r.effective_{0} AS TEXT) != "
                               "CAST(r.{0} AS TEXT) THEN CAST(r.{0} AS TEXT) END",
                               checked_column("results", c.name));
            continue;
        }
        if (c.of == Of::run) {
            // The run's, unless the result has its own (the build of one of a run's llama-bench binaries).
            const bool own = has_column("results", c.name);
            sources[i] = {own ? From::row_else_run : From::run, own ? selected++ : 0, run_columns.size()};
            run_columns.push_back(checked_column("runs", c.name));
            if (own) sql += fmt::format(", r.{}", c.name);
            continue;
        }
        sources[i] = {From::row, selected++};
        if (c.of == Of::loads) {
            if (c.name != "huge_pages_used") throw UsageError(fmt::format("no column {} of loads", c.name));
            sql += ", COALESCE(huge.used, 'unknown')";
            loads = true;
        } else if (!c.as_given && has_effective_value(c.name)) {
            sql += fmt::format(", COALESCE(r.effective_{0}, r.{0})", checked_column("results", c.name));
        } else {
            sql += fmt::format(", r.{}", checked_column("results", c.name));
        }
    }
    // Each run's values of its settings, as text (NULL is ""); a result of no run is not read, as by a join.
    std::unordered_map<int64_t, std::vector<std::string>> runs;
    {
        Statement r(*db_, fmt::format("SELECT id{}{} FROM runs", run_columns.empty() ? "" : ", ",
                                      fmt::join(run_columns, ", ")));
        while (r.step()) {
            auto& values = runs[r.column_int(0)];
            for (size_t k = 0; k < run_columns.size(); ++k)
                values.push_back(r.column_is_integer(static_cast<int>(k + 1))
                                     ? fmt::format_int(r.column_int(static_cast<int>(k + 1))).str()
                                     : std::string(r.column_view(static_cast<int>(k + 1))));
        }
    }
    sql += " FROM results AS r";
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
        std::optional<int64_t> last_run;
        const std::vector<std::string>* run_values = nullptr;
        while (s.step()) {
            if (const int64_t run = s.column_int(1); run != last_run) {
                const auto found = runs.find(run);
                run_values = found == runs.end() ? nullptr : &found->second;
                last_run = run;
            }
            if (!run_values) continue;
            if (!batch && !(batch = pipe.to_fill())) return;
            ResultBatch::Numbers& numbers = batch->rows.emplace_back();
            numbers.id = s.column_int(0);
            numbers.run_id = *last_run;
            numbers.avg_ts = s.column_double(6);
            numbers.stddev_ts = s.column_double(7);
            numbers.repetitions = s.column_int(8);
            for (int i = 0; i < 4; ++i) numbers.latencies[i] = optional(9 + i);
            for (int column = 2; column < 6; ++column) add(s.column_view(column));
            for (size_t i = 0; i < n; ++i) {
                const Source source = sources[i];
                if (source.from == From::constant) continue;
                if (source.from == From::run) {
                    add((*run_values)[source.run]);
                    continue;
                }
                const int column = source.column;
                if (source.from == From::row_else_run && s.column_is_null(column)) {
                    add((*run_values)[source.run]);
                    continue;
                }
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
    for (size_t i = 0; i < n; ++i) row.same_for_all.push_back(constant[i].has_value());
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
            for (size_t i = 0; i < n; ++i) row.values[i] = constant[i] ? std::string_view(*constant[i]) : next_text();
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
                    s.column_text(param::cache_state)};
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

} // namespace llmsweep::store
