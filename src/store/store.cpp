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
#include <cstring>
#include <filesystem>
#include <random>
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

std::unique_ptr<Store> Store::another_reader() {
    if (db_->path() == ":memory:") return nullptr;
    return std::make_unique<Store>(db_->path(), Access::read_only);
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

Value column_value(const domain::Knob& knob, const domain::Point& p) {
    return std::visit([](auto&& v) { return Value(v); }, knob.column(p));
}

} // namespace

Row point_columns(const domain::Point& p, domain::Mode mode) {
    Row row = {{"model_filename", p.load.model}, {"mode", std::string(name(mode))}};
    // Server mode's knobs are NULL in other modes, where they do not apply.
    const bool server = mode == domain::Mode::server;
    for (const domain::Knob& knob : domain::parameters())
        if ((server || !knob.of_server_mode()) && !knob.of_run()) row.emplace_back(knob.name, column_value(knob, p));
    if (!p.load.llama_bench.empty()) row.emplace_back("llama_bench", p.load.llama_bench);
    return row;
}

Row load_columns(const domain::LoadParams& load) {
    domain::Point p;
    p.load = load;
    Row row = {{"model_filename", load.model}};
    for (const domain::Knob& knob : domain::knobs())
        if (knob.per_load) row.emplace_back(knob.name, column_value(knob, p));
    return row;
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

std::vector<RunRow> Store::read_runs(Stops counted) {
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
    if (counted == Stops::not_counted) return runs;
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
