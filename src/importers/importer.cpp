#include "importers/importer.hpp"

#include "engine/model_profile.hpp"
#include "engine/effective.hpp"

#include "build_config.hpp"
#include "core/error.hpp"
#include "core/hash.hpp"
#include "llama_bench/fields.hpp"
#include "llama_bench/output.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

namespace llmsweep::importers {
using namespace llama_bench;

namespace {

// The file's bytes; "-" is standard input (llama-bench piped in).
std::string read_whole_file(const std::string& path) {
    std::ostringstream content;
    if (path == "-") {
        content << std::cin.rdbuf();
        if (std::cin.bad()) throw Error("reading standard input failed");
        return std::move(content).str();
    }
    if (std::filesystem::is_directory(path))
        throw UsageError(fmt::format("'{}' is a folder; pass the files llama-bench wrote", path));
    std::ifstream in(path, std::ios::binary);
    if (!in) throw UsageError(fmt::format("cannot read '{}'; pass the path of a file llama-bench wrote", path));
    content << in.rdbuf();
    if (in.bad()) throw Error(fmt::format("reading '{}' failed", path));
    return std::move(content).str();
}

// The build and machine a test ran on: each distinct one gets a run of its own.
using Origin = std::tuple<std::string, std::string, std::string, std::string>;

Origin origin_of(const BenchTest& t) { return {t.build_commit, t.cpu_info, t.gpu_info, t.backends}; }

store::Row run_row(const std::string& path, const std::string& sha, size_t index, Format format,
                   const std::vector<const BenchTest*>& tests) {
    const BenchTest& first = *tests.front();
    size_t repetitions = 0;
    std::string started = first.test_time, finished = first.test_time;
    for (const BenchTest* t : tests) {
        repetitions = std::max(repetitions, t->samples_ns.size());
        if (!t->test_time.empty()) {
            if (started.empty() || t->test_time < started) started = t->test_time;
            finished = std::max(finished, t->test_time);
        }
    }
    const nlohmann::json spec = {{"import", {{"file", path}, {"format", name(format)}, {"tests", tests.size()}}}};
    return {{"spec_key", fmt::format("import {} {}", sha, index)},
            {"source", std::string("import")},
            {"engine", std::string("llama-bench")},
            {"source_file", path},
            {"source_sha256", sha},
            {"status", std::string("finished")},
            {"started_at", started.empty() ? store::utc_now() : started},
            {"finished_at", finished.empty() ? store::utc_now() : finished},
            {"mode", std::string("split")},
            {"sweep_order", std::string("grouped")},
            {"seed", int64_t{0}},
            {"repetitions", static_cast<int64_t>(repetitions)},
            {"warmup", int64_t{1}},
            {"spec_json", spec.dump()},
            {"llmsweep_version", std::string(config::version)},
            {"build_commit", first.build_commit},
            {"backends", first.backends},
            {"gpu_info", first.gpu_info},
            {"cpu_info", first.cpu_info}};
}

// The results columns of the file's test number `index` (llama-bench's split semantics, warm cache). The
// index is part of the key because the same test may appear more than once in a file (llama-bench appending).
store::Row result_row(const BenchTest& t, size_t index) {
    const domain::Point& p = t.point;
    store::Row row{
        {"point_key", fmt::format("llama-bench;model={};{};test={}", p.load.model,
                                  p.settings_key(domain::Mode::split), index)},
        {"metric", t.metric()},
        {"repetitions", static_cast<int64_t>(t.samples_ns.size())},
        {"avg_ns", t.avg_ns},
        {"stddev_ns", t.stddev_ns},
        {"avg_ts", t.avg_ts},
        {"stddev_ts", t.stddev_ts},
        {"status", std::string("ok")},
        {"llama_bench_json", t.extra.dump()}};
    const store::Row point = store::point_columns(p, domain::Mode::split);
    row.insert(row.end(), point.begin(), point.end());
    if (!t.model_type.empty()) row.emplace_back("model_type", t.model_type);
    if (t.model_size > 0) row.emplace_back("model_size", t.model_size);
    if (t.model_n_params > 0) row.emplace_back("model_n_params", t.model_n_params);
    if (!t.test_time.empty()) row.emplace_back("test_time", t.test_time);
    // What the settings came to, where the file's build and the model file tell.
    const engine::Effective effective = engine::effective_for_llama_bench(p.load, t.backends);
    if (effective.load_mode) row.emplace_back("effective_load_mode", *effective.load_mode);
    if (effective.n_layer)
        row.emplace_back("effective_n_gpu_layers",
                         domain::effective_gpu_layers(p.load.n_gpu_layers, *effective.n_layer));
    return row;
}

} // namespace

ImportOutcome import_file(store::Store& store, const std::string& path) {
    const std::string content = read_whole_file(path);
    const std::string sha = sha256_hex(content);
    ImportOutcome outcome;
    if (auto runs = store.runs_imported_from(sha); !runs.empty()) {
        outcome.run_ids = std::move(runs);
        outcome.already_imported = true;
        return outcome;
    }

    // Everything is read and checked before the first write; each test is typed as soon as it is read.
    Format format = Format::json;
    std::vector<BenchTest> tests;
    try {
        format = read_llama_bench_output(content, [&](RawTest&& raw) {
            try {
                tests.push_back(to_bench_test(raw.fields));
            } catch (const FormatError& e) {
                throw FormatError(fmt::format("{}: {}", raw.where, e.what()));
            }
        });
    } catch (const FormatError& e) {
        throw Error(fmt::format("{}: {}; nothing was imported from it", path, e.what()));
    }
    if (tests.empty()) throw Error(fmt::format("{}: no tests in it; nothing was imported", path));
    outcome.format = std::string(name(format));
    outcome.tests = tests.size();

    std::vector<Origin> origins;
    std::map<Origin, std::vector<const BenchTest*>> by_origin;
    for (const BenchTest& t : tests) {
        auto& group = by_origin[origin_of(t)];
        if (group.empty()) origins.push_back(origin_of(t));
        group.push_back(&t);
    }

    store::Transaction tx(store.db());
    // Another import of the same file may have committed while this one read it: the check again, under the
    // write lock, makes a file go in exactly once whatever the timing.
    if (auto runs = store.runs_imported_from(sha); !runs.empty()) {
        outcome.run_ids = std::move(runs);
        outcome.already_imported = true;
        return outcome;
    }
    // What a token costs each model, where its file is readable here (the report's roofline).
    std::set<std::string> models;
    for (const BenchTest& t : tests) models.insert(t.point.load.model);
    for (const std::string& model : models)
        if (const auto profile = engine::read_model_profile(model)) store.save_model_profile(model, *profile);
    for (size_t g = 0; g < origins.size(); ++g) {
        const auto& group = by_origin[origins[g]];
        const int64_t run_id = store.insert_run(run_row(path, sha, g, format, group));
        outcome.run_ids.push_back(run_id);
        for (size_t i = 0; i < group.size(); ++i) {
            const BenchTest& t = *group[i];
            store::Row row = result_row(t, i);
            row.emplace_back("run_id", run_id);
            const int64_t result_id = store.insert_result(row);
            for (size_t k = 0; k < t.samples_ns.size(); ++k)
                store.insert_sample({{"result_id", result_id},
                                     {"repetition", static_cast<int64_t>(k)},
                                     {"ns", t.samples_ns[k]},
                                     {"ts", t.samples_ts[k]}});
        }
    }
    tx.commit();
    return outcome;
}

} // namespace llmsweep::importers
