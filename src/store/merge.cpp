// Store::merge_from: another llmsweep database's runs, with what belongs to them, copied into this one.

#include "store/store.hpp"

#include "core/error.hpp"
#include "core/escape.hpp"
#include "domain/knobs.hpp"
#include "domain/plausible.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <tuple>

namespace llmsweep::store {
namespace {

using Ids = std::map<int64_t, int64_t>; // id in the other database -> id in this one

std::vector<std::string_view> columns_but_id(std::string_view table_name) {
    std::vector<std::string_view> names;
    for (const Column& c : table(table_name).columns)
        if (c.name != "id") names.push_back(c.name);
    return names;
}

const Value* value_of(const Row& row, std::string_view column) {
    for (const auto& [name, value] : row)
        if (name == column) return &value;
    return nullptr;
}

std::string text_of(const Row& row, std::string_view column) {
    const Value* v = value_of(row, column);
    if (!v) return {};
    if (const auto* s = std::get_if<std::string>(v)) return *s;
    if (const auto* i = std::get_if<int64_t>(v)) return std::to_string(*i);
    return {};
}

// A row of `table_name` read from `s` (its columns but id, from index `first`), with its references to runs, loads
// and results turned into this database's ids; none when one refers to a row not copied.
std::optional<Row> mapped_row(Statement& s, std::string_view table_name, int first,
                              const std::map<std::string_view, const Ids*>& references) {
    Row row;
    const auto names = columns_but_id(table_name);
    for (size_t i = 0; i < names.size(); ++i) {
        Value value = s.column_value(first + static_cast<int>(i));
        if (const auto r = references.find(names[i]); r != references.end())
            if (const auto* id = std::get_if<int64_t>(&value)) {
                const auto mapped = r->second->find(*id);
                if (mapped == r->second->end()) return std::nullopt;
                value = mapped->second;
            }
        row.emplace_back(names[i], std::move(value));
    }
    return row;
}

// What a run is, whatever became of it later: a run of another database with the same uid and other values of
// these is another run, and merging it is refused.
constexpr std::array<std::string_view, 6> run_identity = {"started_at", "hostname",    "seed",
                                                          "mode",       "sweep_order", "source"};

// What a load was when it started (its visit fills the rest in later): a load of another database's copy of a run
// with the same values of these is the same load: its settings (domain::Knob::per_load) and what its start measured.
const std::vector<std::string_view>& load_identity() {
    static const std::vector<std::string_view> columns = [] {
        std::vector<std::string_view> all = {"round", "model_filename", "load_ms", "rss_after_load_bytes",
                                             "major_faults"};
        for (const domain::Knob& knob : domain::knobs())
            if (knob.per_load) all.push_back(knob.name);
        return all;
    }();
    return columns;
}

// Refuses an input whose measurements physics does not allow (a t/s of inf or 1e308, a time of zero): a merged
// database feeds reports, and one impossible figure would poison every mean it is in.
void check_plausible(std::string_view table_name, int64_t rowid, const Row& row) {
    std::optional<std::string> why;
    const auto number = [&](std::string_view column) -> std::optional<double> {
        const Value* v = value_of(row, column);
        if (!v) return std::nullopt;
        if (const auto* d = std::get_if<double>(v)) return *d;
        if (const auto* i = std::get_if<int64_t>(v)) return static_cast<double>(*i);
        return std::nullopt;
    };
    if (table_name == "samples") {
        if (const auto ts = number("ts")) why = domain::implausible_ts(*ts);
        if (const auto ns = number("ns"); !why && ns) why = domain::implausible_ns(*ns);
    } else if (table_name == "results" && text_of(row, "status") == "ok") {
        if (const auto ts = number("avg_ts")) why = domain::implausible_ts(*ts);
    }
    if (why) throw UsageError(fmt::format("{} row {}: {}", table_name, rowid, *why));
}

} // namespace

MergeOutcome Store::merge_from(Store& other) {
    MergeOutcome out;
    Transaction tx(*db_);
    // Copies the rows of a table of `other` that `keep` accepts, their references to runs, loads and results
    // turned into this database's ids (a row that refers to a row not copied is left out); returns how many.
    const auto copy = [&](std::string_view table_name, const std::map<std::string_view, const Ids*>& references,
                          const std::function<bool(const Row&)>& keep, Ids* ids) {
        const auto names = columns_but_id(table_name);
        const bool has_id = table(table_name).columns.front().name == "id";
        Statement rows(other.db(), fmt::format("SELECT {}{} FROM {} ORDER BY rowid", has_id ? "id, " : "",
                                               fmt::join(names, ", "), table_name));
        size_t copied = 0;
        const int first = has_id ? 1 : 0;
        while (rows.step()) {
            Row row;
            bool dangling = false;
            for (size_t i = 0; i < names.size() && !dangling; ++i) {
                Value value = rows.column_value(first + static_cast<int>(i));
                if (const auto r = references.find(names[i]); r != references.end()) {
                    if (const auto* id = std::get_if<int64_t>(&value)) {
                        const auto mapped = r->second->find(*id);
                        if (mapped == r->second->end()) dangling = true;
                        else value = mapped->second;
                    }
                }
                row.emplace_back(names[i], std::move(value));
            }
            if (dangling || !keep(row)) continue;
            check_plausible(table_name, has_id ? rows.column_int(0) : static_cast<int64_t>(copied), row);
            const int64_t id = insert(table_name, row);
            if (ids && has_id) (*ids)[rows.column_int(0)] = id;
            ++copied;
        }
        return copied;
    };

    // A run is known by its uid: an input whose runs lack one, or share one, is not llmsweep's to merge.
    {
        Statement s(other.db(), "SELECT id FROM runs WHERE uid IS NULL OR uid = '' ORDER BY id LIMIT 1");
        if (s.step()) throw UsageError(fmt::format("runs row {} has no uid", s.column_int(0)));
        Statement twice(other.db(), "SELECT uid, group_concat(id, ', ') FROM runs GROUP BY uid HAVING count(*) > 1 "
                                    "LIMIT 1");
        if (twice.step())
            throw UsageError(
                fmt::format("runs {} share the uid {}", twice.column_text(1), escape::terminal(twice.column_text(0))));
    }
    // Rows that refer to a run, load or result the input does not hold are left out, and counted.
    {
        Statement s(other.db(),
                    "SELECT (SELECT count(*) FROM loads WHERE run_id NOT IN (SELECT id FROM runs)) + "
                    "(SELECT count(*) FROM results WHERE run_id NOT IN (SELECT id FROM runs)) + "
                    "(SELECT count(*) FROM samples WHERE result_id NOT IN (SELECT id FROM results) OR (load_id IS NOT "
                    "NULL AND load_id NOT IN (SELECT id FROM loads))) + "
                    "(SELECT count(*) FROM requests WHERE result_id NOT IN (SELECT id FROM results) OR (load_id IS NOT "
                    "NULL AND load_id NOT IN (SELECT id FROM loads)))");
        if (s.step()) out.dangling = static_cast<size_t>(s.column_int(0));
    }
    std::set<std::string> uids;
    {
        Statement s(*db_, "SELECT uid FROM runs");
        while (s.step()) uids.insert(s.column_text(0));
    }
    Ids runs, loads, results;
    const auto all = [](const Row&) { return true; };
    out.runs = copy(
        "runs", {},
        [&](const Row& row) {
            const bool present = uids.count(text_of(row, "uid")) > 0;
            out.runs_present += present ? 1 : 0;
            return !present;
        },
        &runs);
    out.loads = copy("loads", {{"run_id", &runs}}, all, &loads);
    out.results = copy("results", {{"run_id", &runs}}, all, &results);
    out.samples = copy("samples", {{"result_id", &results}, {"load_id", &loads}}, all, nullptr);
    out.requests = copy("requests", {{"result_id", &results}, {"load_id", &loads}}, all, nullptr);
    extend_present_runs(other, uids, out);

    // Machines and model profiles this database does not have yet.
    std::set<std::tuple<std::string, std::string, std::string, std::string>> machines;
    {
        Statement s(*db_, "SELECT hostname, build_commit, threads, measured_at FROM machines");
        while (s.step()) machines.emplace(s.column_text(0), s.column_text(1), s.column_text(2), s.column_text(3));
    }
    out.machines = copy(
        "machines", {},
        [&](const Row& row) {
            return machines
                .emplace(text_of(row, "hostname"), text_of(row, "build_commit"), text_of(row, "threads"),
                         text_of(row, "measured_at"))
                .second;
        },
        nullptr);
    std::set<std::pair<std::string, std::string>> profiles;
    {
        Statement s(*db_, "SELECT model_filename, file_bytes FROM model_profiles");
        while (s.step()) profiles.emplace(s.column_text(0), s.column_text(1));
    }
    out.model_profiles = copy(
        "model_profiles", {},
        [&](const Row& row) {
            return profiles.emplace(text_of(row, "model_filename"), text_of(row, "file_bytes")).second;
        },
        nullptr);
    tx.commit();
    return out;
}

// The runs of `other` this database has already (the same uid) may have gone on since they were merged (a shard
// killed, merged, resumed to its end): what this database lacks of them is copied (loads, results, samples,
// requests), a result's summary and the run's end are taken from the copy that has more, and a copy whose stored
// rows disagree with this one's (another run under the same uid, a sample measured twice) is refused.
void Store::extend_present_runs(Store& other, const std::set<std::string>& uids, MergeOutcome& out) {
    const auto run_names = columns_but_id("runs");
    Statement other_runs(other.db(), fmt::format("SELECT id, {} FROM runs ORDER BY id", fmt::join(run_names, ", ")));
    while (other_runs.step()) {
        const auto row = mapped_row(other_runs, "runs", 1, {});
        if (!row || !uids.count(text_of(*row, "uid"))) continue;
        const int64_t other_id = other_runs.column_int(0);
        Statement mine(*db_, fmt::format("SELECT id, {} FROM runs WHERE uid = :uid", fmt::join(run_names, ", ")));
        mine.bind("uid", text_of(*row, "uid"));
        if (!mine.step()) continue;
        const int64_t run_id = mine.column_int(0);
        const Row target = *mapped_row(mine, "runs", 1, {});
        for (std::string_view column : run_identity)
            if (text_of(*row, column) != text_of(target, column))
                throw UsageError(fmt::format("run {} ({}) has {} '{}' there and '{}' here: it is not the same run",
                                             other_id, text_of(*row, "uid"), column, text_of(*row, column),
                                             text_of(target, column)));
        const size_t before = out.loads + out.results + out.samples + out.requests;
        Ids runs{{other_id, run_id}}, loads, results;

        // Loads: the same load where its identity matches, else a new one.
        const auto load_names = columns_but_id("loads");
        Statement other_loads(other.db(), fmt::format("SELECT id, {} FROM loads WHERE run_id = :run ORDER BY id",
                                                      fmt::join(load_names, ", ")));
        other_loads.bind("run", other_id);
        std::string match = "SELECT id FROM loads WHERE run_id = :run_id";
        for (std::string_view column : load_identity()) match += fmt::format(" AND {0} IS :{0}", column);
        while (other_loads.step()) {
            const auto load = mapped_row(other_loads, "loads", 1, {{"run_id", &runs}});
            if (!load) continue;
            Statement found(*db_, match);
            found.bind("run_id", run_id);
            for (std::string_view column : load_identity()) found.bind(column, *value_of(*load, column));
            if (found.step()) {
                loads[other_loads.column_int(0)] = found.column_int(0);
                continue;
            }
            loads[other_loads.column_int(0)] = insert("loads", *load);
            ++out.loads;
        }

        // Results: by point and metric; the summary of the copy with more repetitions.
        const auto result_names = columns_but_id("results");
        Statement other_results(other.db(), fmt::format("SELECT id, {} FROM results WHERE run_id = :run ORDER BY id",
                                                        fmt::join(result_names, ", ")));
        other_results.bind("run", other_id);
        while (other_results.step()) {
            const auto result = mapped_row(other_results, "results", 1, {{"run_id", &runs}});
            if (!result) continue;
            Statement found(*db_, "SELECT id, repetitions FROM results WHERE run_id = :run AND point_key = :key AND "
                                  "metric = :metric");
            found.bind("run", run_id)
                .bind("key", *value_of(*result, "point_key"))
                .bind("metric", *value_of(*result, "metric"));
            check_plausible("results", other_results.column_int(0), *result);
            if (!found.step()) {
                results[other_results.column_int(0)] = insert("results", *result);
                ++out.results;
                continue;
            }
            const int64_t id = found.column_int(0);
            results[other_results.column_int(0)] = id;
            const Value* repetitions = value_of(*result, "repetitions");
            const auto* theirs = repetitions ? std::get_if<int64_t>(repetitions) : nullptr;
            if (theirs && *theirs > found.column_int(1)) {
                Row summary;
                for (const auto& [name, value] : *result)
                    if (name != "run_id" && name != "point_key" && name != "metric") summary.emplace_back(name, value);
                update("results", id, summary);
            }
        }

        // Samples and requests: those this database lacks; one it has with another time is a disagreement.
        const auto copy_missing = [&](std::string_view table_name, const std::vector<std::string_view>& key,
                                      std::string_view measured, size_t& counter) {
            const auto names = columns_but_id(table_name);
            Statement rows(other.db(),
                           fmt::format("SELECT {} FROM {} WHERE result_id IN (SELECT id FROM results WHERE run_id = "
                                       ":run) ORDER BY rowid",
                                       fmt::join(names, ", "), table_name));
            rows.bind("run", other_id);
            std::string where;
            for (std::string_view column : key)
                where += fmt::format("{}{} = :{}", where.empty() ? "" : " AND ", column, column);
            while (rows.step()) {
                const auto row = mapped_row(rows, table_name, 0, {{"result_id", &results}, {"load_id", &loads}});
                if (!row) continue;
                Statement found(*db_, fmt::format("SELECT {} FROM {} WHERE {}", measured, table_name, where));
                for (std::string_view column : key) found.bind(column, *value_of(*row, column));
                if (!found.step()) {
                    check_plausible(table_name, 0, *row);
                    insert(table_name, *row);
                    ++counter;
                } else if (found.column_value(0) != *value_of(*row, measured)) {
                    throw UsageError(fmt::format("run {} ({}) has a {} measured otherwise there than here (the same "
                                                 "repetition, {} {}): the copies disagree",
                                                 other_id, text_of(target, "uid"),
                                                 table_name == "samples" ? "sample" : "request", measured,
                                                 text_of(*row, measured)));
                }
            }
        };
        copy_missing("samples", {"result_id", "repetition"}, "ns", out.samples);
        copy_missing("requests", {"result_id", "repetition", "seq"}, "submit_ms", out.requests);

        // The run's end, and what it learned as it went (a llama-bench's build), from a copy that ended.
        if (text_of(*row, "status") == "finished" && text_of(target, "status") != "finished") {
            Row end;
            for (const auto& [name, value] : *row)
                if (name != "uid" && std::find(run_identity.begin(), run_identity.end(), name) == run_identity.end())
                    end.emplace_back(name, value);
            update("runs", run_id, end);
        }
        if (out.loads + out.results + out.samples + out.requests > before) ++out.runs_extended;
    }
}

} // namespace llmsweep::store
