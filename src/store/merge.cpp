// Store::merge_from: another llmsweep database's runs, with what belongs to them, copied into this one.

#include "store/store.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <functional>
#include <map>
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
            const int64_t id = insert(table_name, row);
            if (ids && has_id) (*ids)[rows.column_int(0)] = id;
            ++copied;
        }
        return copied;
    };

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

} // namespace llmsweep::store
