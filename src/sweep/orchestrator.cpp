#include "sweep/orchestrator.hpp"

#include "sweep/roofline.hpp"

#include "analysis/comparison.hpp"
#include "core/error.hpp"
#include "stats/descriptive.hpp"
#include "sweep/recorder.hpp"
#include "sweep/stopping.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <optional>
#include <set>
#include <string_view>
#include <sys/resource.h>

namespace llmsweep::sweep {
using namespace domain;

namespace {

std::string plan_json(const Plan& plan) {
    nlohmann::json visits = nlohmann::json::array();
    for (const Visit& v : plan.visits) {
        nlohmann::json points = nlohmann::json::array();
        for (const Task& t : v.tasks) points.push_back(t.point);
        visits.push_back({v.group, v.round, points});
    }
    return visits.dump();
}

// The spec as stored with its run: the spec, and what each model file was when the run started.
std::string spec_json(const SweepSpec& spec) {
    nlohmann::json json = to_json(spec);
    for (const auto& model : spec.models) json["model_fingerprints"][model] = model_fingerprint(model);
    return json.dump();
}

// A run is resumed only over the model files it started with: a file replaced in between would put
// measurements of two models under one name.
void check_same_models(const SweepSpec& spec, const store::Store::RunRef& run) {
    const auto stored = nlohmann::json::parse(run.spec_json, nullptr, false);
    if (stored.is_discarded() || !stored.contains("model_fingerprints")) return; // written before fingerprints
    for (const auto& model : spec.models) {
        const auto then = stored["model_fingerprints"].value(model, std::string());
        const std::string now = model_fingerprint(model);
        if (!then.empty() && then != now)
            throw UsageError(
                fmt::format("'{}' is not the file that run {} started with ({} then, {} now); put that "
                            "file back to resume the run, or pass --fresh to measure this one in a new run",
                            model, run.id, then, now));
    }
}

// A sweep's identity apart from its number of repetitions and its stopping rule.
nlohmann::json design_free_key(nlohmann::json spec) {
    for (const char* key : {"repetitions", "max_repetitions", "target_ci", "decide", "margin"}) spec.erase(key);
    return spec;
}

// The run an adaptive spec extends rather than measuring again from the start: the latest run of the same sweep
// with a fixed number of repetitions no larger than this spec's. Its rounds are this spec's first ones; the
// adaptive rounds follow from its stored samples.
std::optional<store::RunRow> run_to_extend(store::Store& store, const SweepSpec& spec) {
    const nlohmann::json wanted = design_free_key(to_json(spec));
    std::optional<store::RunRow> found;
    for (store::RunRow& run : store.read_runs()) {
        if (run.source != "run" || run.max_repetitions || run.repetitions > spec.repetitions) continue;
        const auto stored = nlohmann::json::parse(run.spec_key, nullptr, false);
        if (stored.is_object() && design_free_key(stored) == wanted) found = std::move(run);
    }
    return found;
}

store::Row run_row(const SweepSpec& spec, const Plan& plan, const SweepOptions& o) {
    // A server somebody else started (--url) is neither llmsweep's llama.cpp nor this host's: what it is, its
    // loads' server_props say (what it said of itself); its run claims no build, so that nothing pairs it with one.
    const bool external = spec.mode == domain::Mode::server && !spec.serving.url.empty();
    const bool native = spec.engine == Engine::native && !external;
    store::Row row{
        {"spec_key", spec_key(spec)},
        {"source", std::string("run")},
        {"engine", external ? std::string("external") : std::string(name(spec.engine))},
        {"status", std::string("running")},
        {"started_at", store::utc_now()},
        {"mode", std::string(name(spec.mode))},
        {"sweep_order", std::string(name(spec.order))},
        {"seed", static_cast<int64_t>(spec.seed)},
        {"repetitions", spec.repetitions},
        {"max_repetitions", spec.adaptive() ? store::Value(spec.max_repetitions) : store::Value()},
        {"target_ci_pct", spec.target_ci_pct > 0 ? store::Value(spec.target_ci_pct) : store::Value()},
        {"decide", spec.decide.empty() ? store::Value() : store::Value(fmt::format("{}", fmt::join(spec.decide, ",")))},
        {"margin_pct",
         spec.decide.empty() ? store::Value() : store::Value(spec.margin_pct.value_or(analysis::default_margin_pct))},
        {"warmup", spec.warmup},
        {"spec_json", spec_json(spec)},
        {"plan_json", plan_json(plan)},
        {"llmsweep_version", o.build.llmsweep_version},
        // llama-bench's build is known from its first test (a run that measured nothing says unknown).
        {"build_commit", native ? o.build.llama_commit : std::string("unknown")},
        {"cpu_cores_physical", int64_t{o.host.physical_cores}},
        {"cpu_cores_logical", int64_t{o.host.logical_cores}},
        {"memory_bytes", static_cast<int64_t>(o.host.memory_bytes)},
        {"os", fmt::format("{} ({})", o.host.os, o.host.kernel)},
        {"hostname", o.host.hostname}};
    // Under Slurm, which job and node ran it (a shard of `llmsweep slurm` is a task of a job array).
    const auto env = [](const char* name) -> store::Value {
        const char* value = std::getenv(name);
        return value && *value ? store::Value(std::string(value)) : store::Value();
    };
    if (std::holds_alternative<std::string>(env("SLURM_JOB_ID"))) {
        const store::Value array = env("SLURM_ARRAY_JOB_ID"), task = env("SLURM_ARRAY_TASK_ID");
        row.emplace_back("slurm_job",
                         std::holds_alternative<std::string>(array) && std::holds_alternative<std::string>(task)
                             ? store::Value(std::get<std::string>(array) + "_" + std::get<std::string>(task))
                             : env("SLURM_JOB_ID"));
        row.emplace_back("slurm_node", env("SLURMD_NODENAME"));
    }
    if (native) {
        std::vector<std::string> gpus;
        for (const auto& d : o.build.devices)
            if (d.type != "cpu") gpus.push_back(d.description);
        row.insert(row.end(), {{"ggml_version", o.build.ggml_version},
                               {"backends", engine::backends_used(o.build, !spec.run().rpc.empty())},
                               {"gpu_info", fmt::format("{}", fmt::join(gpus, ", "))},
                               {"cpu_info", o.host.cpu_model}});
    }
    return row;
}

// Adaptive rounds, after the plan's: each round for the points that the samples of the rounds before it say
// still need one (sweep/stopping.hpp), until none does or the limit is reached; then why each point stopped.
void run_added_rounds(const SweepSpec& spec, const Plan& plan, store::Store& store, Recorder& recorder,
                      Executor& executor) {
    RoundNeeds needs;
    std::vector<size_t>& needed = needs.needed;
    int64_t round = spec.repetitions;
    for (;; ++round) {
        needs = points_needing_round(store, recorder.run_id(), spec, recorder.point_keys(), round);
        std::erase_if(needed, [&](size_t point) { return recorder.final(point); });
        if (needed.empty() || round >= spec.max_repetitions) break;
        const std::vector<Visit> visits = added_round(plan, needed, round, spec.seed);
        std::vector<std::vector<Task>> pending;
        size_t tasks = 0;
        for (const Visit& visit : visits) {
            pending.emplace_back();
            for (const Task& task : visit.tasks)
                if (!recorder.done(task)) pending.back().push_back(task);
            tasks += pending.back().size();
        }
        recorder.round_added(round, needed.size(), tasks);
        for (size_t v = 0; v < visits.size(); ++v)
            if (!pending[v].empty()) executor.run_visit(visits[v], pending[v], recorder);
    }
    // The points that still needed a round at the limit did not meet the rule; those whose verdict was out of
    // reach stopped before it without one; every other point met it.
    const auto has = [](const std::vector<size_t>& points, size_t point) {
        return std::binary_search(points.begin(), points.end(), point);
    };
    store::Transaction tx(store.db());
    for (size_t point = 0; point < plan.points.size(); ++point)
        store.set_stop_reason(recorder.run_id(), recorder.point_keys()[point],
                              has(needed, point)               ? "max_repetitions"
                              : has(needs.out_of_reach, point) ? "out_of_reach"
                                                               : "rule_met");
    tx.commit();
}

// A fixed number of repetitions: every point stopped at it.
void record_fixed_stops(const Plan& plan, store::Store& store, const Recorder& recorder) {
    store::Transaction tx(store.db());
    for (size_t point = 0; point < plan.points.size(); ++point)
        store.set_stop_reason(recorder.run_id(), recorder.point_keys()[point], "repetitions");
    tx.commit();
}

// Records how a run ended, on the way out of a failure: if that write fails too (the disk that made the sweep
// fail is still full), the first error is the one the user sees.
// Where this invocation's time went, added to the run's (a resumed run's invocations add up).
void record_phases(store::Store& store, int64_t run_id, const Phases& p) {
    store.add_to_run(run_id, {{"wall_s", p.wall_s},
                              {"timed_s", p.timed_s},
                              {"load_s", p.load_s},
                              {"untimed_s", p.untimed_s()},
                              {"process_s", p.process_s()},
                              {"machine_s", p.machine_s}});
}

void mark_run_ended(store::Store& store, int64_t run_id, const std::string& status,
                    const std::optional<Phases>& phases) noexcept {
    try {
        store.update_run(run_id, {{"status", status}, {"finished_at", store::utc_now()}});
        if (phases) record_phases(store, run_id, *phases);
    } catch (...) {}
}

} // namespace

std::string spec_key(const SweepSpec& spec) { return to_json(spec).dump(); }

SweepOutcome run_sweep(const SweepSpec& spec, const Plan& plan, store::Store& store, const SweepOptions& options,
                       SweepObserver& observer) {
    const std::unique_ptr<Executor> executor =
        spec.mode == domain::Mode::server ? server_executor(options.server)
        : spec.engine == Engine::llama_bench
            ? llama_bench_executor(options.llama_bench, spec.timeout_s)
            : worker_executor(native_workers(options.worker_executable, spec), spec.timeout_s);
    return run_sweep(spec, plan, store, options, observer, *executor);
}

SweepOutcome run_sweep(const SweepSpec& spec, const Plan& plan, store::Store& store, const SweepOptions& options,
                       SweepObserver& observer, Executor& executor) {
    // A worker that dies must not take the orchestrator with it through a write to its pipe.
    std::signal(SIGPIPE, SIG_IGN);
    const auto started = std::chrono::steady_clock::now();
    int64_t run_id = 0;
    bool resumed = false;
    if (!options.fresh) {
        if (const auto previous = store.latest_run(spec_key(spec))) {
            if (previous->status == "finished") return {previous->id, true, 0, 0};
            check_same_models(spec, *previous);
            run_id = previous->id;
            resumed = true;
            store.update_run(run_id, {{"status", std::string("running")}, {"finished_at", std::monostate{}}});
        } else if (spec.adaptive()) {
            if (const auto base = run_to_extend(store, spec)) {
                // Adaptive rounds on a sweep already stored: its run gets the rule and the rounds, so that the
                // report judges one run of one design.
                check_same_models(spec, {base->id, "finished", base->spec_json});
                run_id = base->id;
                resumed = true;
                store::Row row = run_row(spec, plan, options);
                std::erase_if(row, [](const auto& column) {
                    static const std::set<std::string_view> kept = {"spec_key",    "spec_json",       "plan_json",
                                                                    "repetitions", "max_repetitions", "target_ci_pct",
                                                                    "decide",      "margin_pct",      "status"};
                    return !kept.count(column.first);
                });
                row.emplace_back("finished_at", std::monostate{});
                store.update_run(run_id, row);
            }
        }
    }
    if (!resumed) run_id = store.insert_run(run_row(spec, plan, options));

    std::optional<Recorder> recording;
    double machine_s = 0;
    const auto phases = [&] {
        Phases p = recording ? recording->phases() : Phases{};
        p.machine_s = machine_s;
        p.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        return p;
    };
    try {
        // The scheduler: the plan's visits in order, each with the tasks the store does not have yet.
        Recorder& recorder = recording.emplace(spec, plan, store, observer, run_id);
        recorder.start(resumed);
        for (const Visit& visit : plan.visits) {
            std::vector<Task> tasks;
            for (const Task& task : visit.tasks)
                if (!recorder.done(task)) tasks.push_back(task);
            if (!tasks.empty()) executor.run_visit(visit, tasks, recorder);
        }
        if (spec.adaptive()) run_added_rounds(spec, plan, store, recorder, executor);
        else record_fixed_stops(plan, store, recorder);
        executor.idle();
        // The machine's roofs, for the report, once per host, build and thread count: after the points, so that
        // the first figure is not kept waiting, on a machine the sweep has left idle.
        if (options.roofline) {
            const auto measuring = std::chrono::steady_clock::now();
            std::vector<int64_t> threads;
            for (const Point& point : plan.points)
                if (std::find(threads.begin(), threads.end(), point.context.threads) == threads.end())
                    threads.push_back(point.context.threads);
            prepare_roofline(spec, threads, store, options.host, options.build.llama_commit,
                             measure_in_child(options.worker_executable),
                             [&](int64_t n) { observer.on_measuring_machine(n); });
            machine_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - measuring).count();
        }
        SweepOutcome outcome{run_id, false, recorder.tasks_run(), recorder.failures()};
        std::vector<double> gaps = executor.gaps_ms();
        if (!gaps.empty()) {
            std::sort(gaps.begin(), gaps.end());
            outcome.gap_median_ms = stats::quantile_sorted(gaps, 0.5);
            outcome.gap_p99_ms = stats::quantile_sorted(gaps, 0.99);
            outcome.gap_max_ms = gaps.back();
        }
        rusage self{};
        getrusage(RUSAGE_SELF, &self);
        outcome.peak_rss_bytes = static_cast<uint64_t>(self.ru_maxrss) * 1024;
        outcome.phases = phases();
        store::Transaction tx(store.db());
        store.update_run(run_id, {{"status", std::string("finished")}, {"finished_at", store::utc_now()}});
        record_phases(store, run_id, outcome.phases);
        tx.commit();
        return outcome;
    } catch (const Interrupted&) {
        mark_run_ended(store, run_id, "interrupted", phases());
        throw;
    } catch (...) {
        mark_run_ended(store, run_id, "failed", phases());
        throw;
    }
}

} // namespace llmsweep::sweep
