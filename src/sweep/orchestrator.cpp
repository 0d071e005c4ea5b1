#include "sweep/orchestrator.hpp"

#include "core/error.hpp"
#include "core/interrupt.hpp"
#include "engine/page_cache.hpp"
#include "engine/protocol.hpp"
#include "llama_bench/fields.hpp"
#include "engine/worker_process.hpp"
#include "stats/descriptive.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <csignal>
#include <sys/resource.h>

namespace llmsweep::sweep {
using namespace domain;

namespace {

using Clock = std::chrono::steady_clock;
using store::Row;
using store::Value;

Value optional_value(const std::optional<double>& v) { return v ? Value(*v) : Value(std::monostate{}); }

std::vector<const Point*> points_of(const Plan& plan, const std::vector<size_t>& indices) {
    std::vector<const Point*> points;
    for (size_t i : indices) points.push_back(&plan.points[i]);
    return points;
}

// How the llama-bench engine runs a visit's tasks: each point's tasks, and the llama-bench processes for
// them: one for all the points when llama-bench's grid of their values is exactly them and each has as many
// repetitions, else one per point.
struct LlamaBenchVisit {
    std::map<size_t, std::vector<Task>> tasks_of;
    std::vector<std::vector<size_t>> batches;
};

LlamaBenchVisit split_for_llama_bench(const Plan& plan, const std::vector<Task>& tasks) {
    LlamaBenchVisit split;
    std::vector<size_t> points;
    for (const Task& task : tasks) {
        if (!split.tasks_of.count(task.point)) points.push_back(task.point);
        split.tasks_of[task.point].push_back(task);
    }
    const size_t repetitions = split.tasks_of[points.front()].size();
    const bool together =
        std::all_of(points.begin(), points.end(), [&](size_t p) { return split.tasks_of[p].size() == repetitions; }) &&
        llama_bench::runs_exactly(points_of(plan, points));
    if (together) split.batches.push_back(points);
    else for (size_t p : points) split.batches.push_back({p});
    return split;
}

// Everything the orchestrator needs while it runs one plan.
class Sweep {
public:
    Sweep(const SweepSpec& spec, const Plan& plan, store::Store& store, const SweepOptions& options,
          SweepObserver& observer, int64_t run_id)
        : spec_(spec), plan_(plan), store_(store), options_(options), observer_(observer), run_id_(run_id) {
        for (const Point& p : plan.points) keys_.push_back(p.key(spec.mode));
        progress_ = store.progress(run_id);
        total_ = plan.n_tasks();
    }

    bool task_done(const Task& task) const {
        for (const auto& metric : metrics_of(plan_.points[task.point], spec_.mode)) {
            const auto key = std::make_pair(keys_[task.point], metric);
            if (progress_.final_results.count(key)) continue;
            const auto it = progress_.repetitions.find(key);
            if (it == progress_.repetitions.end() || !it->second.count(task.repetition)) return false;
        }
        return true;
    }

    SweepOutcome run(bool resumed) {
        size_t already = 0;
        for (const Visit& visit : plan_.visits)
            for (const Task& task : visit.tasks) already += task_done(task) ? 1 : 0;
        done_ = already;
        observer_.on_start({run_id_, resumed, total_, already});
        for (const Visit& visit : plan_.visits) {
            std::vector<Task> tasks;
            for (const Task& task : visit.tasks)
                if (!task_done(task)) tasks.push_back(task);
            if (tasks.empty()) continue;
            if (spec_.engine == Engine::llama_bench) run_visit_with_llama_bench(visit, tasks);
            else run_visit(visit, tasks);
        }
        SweepOutcome outcome{run_id_, false, tasks_run_, failures_};
        if (!gaps_ms_.empty()) {
            std::sort(gaps_ms_.begin(), gaps_ms_.end());
            outcome.gap_median_ms = stats::quantile_sorted(gaps_ms_, 0.5);
            outcome.gap_p99_ms = stats::quantile_sorted(gaps_ms_, 0.99);
            outcome.gap_max_ms = gaps_ms_.back();
        }
        return outcome;
    }

private:
    // Starts workers until every task of the visit has an outcome: a worker that dies or hangs costs the
    // point it was on, and a new one takes the rest.
    void run_visit(const Visit& visit, const std::vector<Task>& tasks) {
        const LoadParams& load = plan_.points[plan_.groups[visit.group].front()].load;
        size_t next = 0;
        while (next < tasks.size()) {
            engine::WorkerProcess worker(engine::WorkerProcess::worker_command(options_.worker_executable));
            const auto answer = worker.request(engine::load_request_json(load), spec_.timeout_s);
            check_interrupt(answer.outcome);
            if (answer.outcome != engine::WorkerProcess::Outcome::reply || answer.message.value("event", "") != "loaded") {
                std::string status = "failed", error;
                if (answer.outcome == engine::WorkerProcess::Outcome::timeout) {
                    worker.finish(true);
                    status = "timeout";
                    error = fmt::format("loading took more than {} s", spec_.timeout_s);
                } else if (answer.outcome == engine::WorkerProcess::Outcome::died) {
                    status = "crashed";
                    error = worker.death_reason();
                } else {
                    error = answer.message.value("error", "unknown error");
                }
                insert_failed_load(load, visit.round, status, error);
                observer_.on_load_failed(load, error);
                // The load failed: every remaining point of this visit fails with it, once (in grouped order a
                // point's repetitions are all in this visit, and the first failure makes the point final).
                for (; next < tasks.size(); ++next)
                    if (!task_done(tasks[next])) record_failure(tasks[next], status, "load failed: " + error);
                return;
            }
            loaded_ = engine::load_outcome_from_json(answer.message);
            const int64_t load_id = insert_load(load, visit.round, loaded_);

            bool worker_alive = true;
            last_answer_.reset();
            while (worker_alive && next < tasks.size()) {
                const Task& task = tasks[next++];
                if (task_done(task)) continue; // its point failed earlier in this visit
                worker_alive = run_task(worker, task, load_id);
            }
            const auto exit = worker.finish(!worker_alive);
            store_.update_load(load_id, {{"rss_peak_bytes", static_cast<int64_t>(exit.peak_rss_bytes)}});
            store_.checkpoint();
        }
    }

    // The llama-bench engine (see split_for_llama_bench). A llama-bench that fails leaves its unreported points
    // to be run one per process, so that a failure costs only the point that caused it.
    void run_visit_with_llama_bench(const Visit& visit, const std::vector<Task>& tasks) {
        const LlamaBenchVisit split = split_for_llama_bench(plan_, tasks);
        for (const auto& batch : split.batches)
            for (size_t p : run_llama_bench(visit, batch, split.tasks_of)) run_llama_bench(visit, {p}, split.tasks_of);
    }

    // Runs one llama-bench over `batch` and stores each test as its line arrives. Returns the points left
    // without a result when a llama-bench running several points failed; a single point's failure is recorded.
    std::vector<size_t> run_llama_bench(const Visit& visit, const std::vector<size_t>& batch,
                                        const std::map<size_t, std::vector<Task>>& tasks_of) {
        const LoadParams& load = plan_.points[batch.front()].load;
        const std::vector<Task>& first_tasks = tasks_of.at(batch.front());
        const auto command = llama_bench::llama_bench_command(options_.llama_bench, points_of(plan_, batch),
                                                         static_cast<int64_t>(first_tasks.size()), spec_.warmup);
        engine::LoadOutcome before;
        before.file_bytes = std::filesystem::file_size(load.model);
        // As the native worker does: cold evicts the file's pages, warm reads them in.
        if (load.cache_state == CacheState::cold) engine::evict_from_page_cache(load.model);
        else engine::warm_page_cache(load.model);
        before.resident_before_bytes = engine::resident_bytes(load.model);
        if (load.cache_state == CacheState::cold) before.cache_evicted = before.resident_before_bytes == 0;
        observer_.on_task_start(plan_.points[batch.front()], first_tasks.front().repetition);

        engine::WorkerProcess process(command);
        loaded_ = {};
        const int64_t load_id = insert_load(load, visit.round, before, false);
        std::vector<size_t> pending = batch;
        using Outcome = engine::WorkerProcess::Outcome;
        Outcome outcome = Outcome::reply;
        std::string bad_output;
        while (!pending.empty()) {
            const auto answer = process.read_line(spec_.timeout_s);
            check_interrupt(answer.outcome);
            outcome = answer.outcome;
            if (outcome != Outcome::reply) break;
            llama_bench::BenchTest test;
            try {
                test = llama_bench::to_bench_test(answer.message);
            } catch (const Error& e) {
                bad_output = fmt::format("llama-bench wrote a line llmsweep cannot read: {}", e.what());
                break;
            }
            const auto it = std::find_if(pending.begin(), pending.end(), [&](size_t p) { return is_test_of(plan_.points[p], test); });
            if (it == pending.end()) continue;  // not one of ours (cannot happen with the command we built)
            record_llama_bench_test(*it, tasks_of.at(*it), load_id, test);
            pending.erase(it);
        }
        const auto exit = process.finish(outcome == Outcome::timeout || !bad_output.empty());
        store_.update_load(load_id, {{"rss_peak_bytes", static_cast<int64_t>(exit.peak_rss_bytes)}});
        store_.checkpoint();
        if (pending.empty()) return {};
        if (batch.size() > 1) return pending;

        std::string status = "failed", error = bad_output;
        if (outcome == Outcome::timeout) {
            status = "timeout";
            error = fmt::format("took more than {} s; llama-bench was killed", spec_.timeout_s);
        } else if (error.empty()) {
            status = exit.signal != 0 ? "crashed" : "failed";
            error = process.death_reason();
        }
        record_failure(tasks_of.at(pending.front()).front(), status, error);
        return {};
    }

    static bool is_test_of(const Point& p, const llama_bench::BenchTest& t) {
        return t.n_threads == p.context.threads && t.n_batch == p.context.n_batch && t.n_ubatch == p.context.n_ubatch &&
               t.type_k == p.context.type_k && t.type_v == p.context.type_v && t.flash_attn == p.context.flash_attn &&
               t.n_prompt == p.test.n_prompt && t.n_gen == p.test.n_gen && t.n_depth == p.test.n_depth;
    }

    // Each of llama-bench's samples is one repetition, stored as the native engine stores its own.
    void record_llama_bench_test(size_t point, const std::vector<Task>& tasks, int64_t load_id,
                                 const llama_bench::BenchTest& test) {
        if (!build_recorded_) {
            store_.update_run(run_id_, {{"build_commit", test.build_commit}, {"backends", test.backends},
                                        {"gpu_info", test.gpu_info}, {"cpu_info", test.cpu_info}});
            build_recorded_ = true;
        }
        loaded_.model_type = test.model_type;
        loaded_.model_size = static_cast<uint64_t>(test.model_size);
        loaded_.model_n_params = static_cast<uint64_t>(test.model_n_params);
        const bool pp = plan_.points[point].test.n_prompt > 0;
        for (size_t k = 0; k < tasks.size() && k < test.samples_ns.size(); ++k) {
            engine::Measurement m;
            (pp ? m.pp_ns : m.tg_ns) = test.samples_ns[k];
            record_sample(tasks[k], load_id, m);
        }
        if (test.samples_ns.size() < tasks.size())
            record_failure(tasks[test.samples_ns.size()], "failed",
                           fmt::format("llama-bench reported {} of {} repetitions", test.samples_ns.size(), tasks.size()));
    }

    // Returns false when the worker is gone (crashed, or killed for its timeout).
    bool run_task(engine::WorkerProcess& worker, const Task& task, int64_t load_id) {
        const Point& point = plan_.points[task.point];
        observer_.on_task_start(point, task.repetition);
        engine::RunRequest request{point.context, point.test, spec_.mode, task.repetition, spec_.warmup, spec_.seed};
        const nlohmann::json message = engine::run_request_json(request);
        if (last_answer_)
            gaps_ms_.push_back(std::chrono::duration<double, std::milli>(Clock::now() - *last_answer_).count());
        const auto answer = worker.request(message, spec_.timeout_s);
        last_answer_ = Clock::now();
        check_interrupt(answer.outcome);
        using Outcome = engine::WorkerProcess::Outcome;
        if (answer.outcome == Outcome::timeout) {
            worker.finish(true);
            record_failure(task, "timeout", fmt::format("took more than {} s; the worker was killed", spec_.timeout_s));
            return false;
        }
        if (answer.outcome == Outcome::died) {
            record_failure(task, "crashed", worker.death_reason());
            return false;
        }
        if (answer.message.value("event", "") != "sample") {
            record_failure(task, "failed", answer.message.value("error", "unknown error"));
            return true;
        }
        record_sample(task, load_id, engine::measurement_from_json(answer.message));
        return true;
    }

    void check_interrupt(engine::WorkerProcess::Outcome outcome) {
        if (outcome == engine::WorkerProcess::Outcome::interrupted || interrupt_requested()) throw Interrupted();
    }

    Row point_row(const Point& p) const {
        Row row{{"model_filename", p.load.model},
                {"load_mode", std::string(name(p.load.load_mode))},
                {"cache_state", std::string(name(p.load.cache_state))},
                {"n_gpu_layers", p.load.n_gpu_layers},
                {"n_threads", p.context.threads},
                {"n_batch", p.context.n_batch},
                {"n_ubatch", p.context.n_ubatch},
                {"type_k", p.context.type_k},
                {"type_v", p.context.type_v},
                {"flash_attn", p.context.flash_attn},
                {"n_prompt", p.test.n_prompt},
                {"n_gen", p.test.n_gen},
                {"n_depth", p.test.n_depth},
                {"mode", std::string(name(spec_.mode))}};
        if (!loaded_.model_type.empty())
            row.insert(row.end(), {{"model_type", loaded_.model_type},
                                   {"model_size", static_cast<int64_t>(loaded_.model_size)},
                                   {"model_n_params", static_cast<int64_t>(loaded_.model_n_params)}});
        return row;
    }

    void record_sample(const Task& task, int64_t load_id, const engine::Measurement& m) {
        const Point& point = plan_.points[task.point];
        const std::string now = store::utc_now();
        TaskDone event{&point, task.repetition, "ok", "", {}, {}, 0, total_};
        store::Transaction tx(store_.db());
        for (const auto& metric : metrics_of(point, spec_.mode)) {
            const bool pp = metric == "pp";
            const int64_t ns = pp ? m.pp_ns.value_or(0) : m.tg_ns.value_or(0);
            const int64_t tokens = pp ? point.test.n_prompt : point.test.n_gen;
            const double ts = ns > 0 ? static_cast<double>(tokens) * 1e9 / static_cast<double>(ns) : 0.0;
            (pp ? event.pp_ts : event.tg_ts) = ts;
            const int64_t result_id = store_.ensure_result(run_id_, keys_[task.point], metric, point_row(point));
            Row sample{{"result_id", result_id}, {"load_id", load_id}, {"repetition", task.repetition},
                       {"ns", ns}, {"ts", ts}};
            if (!pp && spec_.mode == Mode::request)
                sample.insert(sample.end(), {{"ttft_ms", optional_value(m.ttft_ms)},
                                             {"itl_p50_ms", optional_value(m.itl_p50_ms)},
                                             {"itl_p90_ms", optional_value(m.itl_p90_ms)},
                                             {"itl_p99_ms", optional_value(m.itl_p99_ms)}});
            store_.insert_sample(sample);
            auto& reps = progress_.repetitions[{keys_[task.point], metric}];
            reps.insert(task.repetition);
            const bool complete = static_cast<int64_t>(reps.size()) >= spec_.repetitions;
            store_.summarize_result(result_id, complete ? "ok" : "running", now);
            if (complete) progress_.final_results.insert({keys_[task.point], metric});
        }
        tx.commit();
        ++tasks_run_;
        event.tasks_done = ++done_;
        observer_.on_task_done(event);
    }

    // The point is finished with this status: its later repetitions are not run.
    void record_failure(const Task& task, const std::string& status, const std::string& error) {
        const Point& point = plan_.points[task.point];
        store::Transaction tx(store_.db());
        for (const auto& metric : metrics_of(point, spec_.mode)) {
            const int64_t result_id = store_.ensure_result(run_id_, keys_[task.point], metric, point_row(point));
            store_.summarize_result(result_id, status, store::utc_now());
            store_.update_result(result_id, {{"error", error}});
            progress_.final_results.insert({keys_[task.point], metric});
        }
        tx.commit();
        ++failures_;
        // This task and the point's remaining repetitions all count as done.
        size_t newly_done = 0;
        for (const Visit& v : plan_.visits)
            for (const Task& t : v.tasks)
                if (t.point == task.point && t.repetition >= task.repetition) ++newly_done;
        done_ += newly_done;
        observer_.on_task_done({&point, task.repetition, status, error, {}, {}, done_, total_});
    }

    // `measured`: the worker timed the load itself; llama-bench does not report it.
    int64_t insert_load(const LoadParams& load, int64_t round, const engine::LoadOutcome& o, bool measured = true) {
        Row row{{"run_id", run_id_},
                {"model_filename", load.model},
                {"model_bytes", static_cast<int64_t>(o.file_bytes)},
                {"load_mode", std::string(name(load.load_mode))},
                {"cache_state", std::string(name(load.cache_state))},
                {"resident_before_bytes", static_cast<int64_t>(o.resident_before_bytes)},
                {"n_gpu_layers", load.n_gpu_layers},
                {"round", round},
                {"status", std::string("ok")}};
        if (measured)
            row.insert(row.end(), {{"load_ms", o.load_ms},
                                   {"rss_after_load_bytes", static_cast<int64_t>(o.rss_after_load_bytes)},
                                   {"major_faults", o.major_faults},
                                   {"minor_faults", o.minor_faults}});
        if (o.cache_evicted) row.emplace_back("cache_evicted", int64_t{*o.cache_evicted ? 1 : 0});
        return store_.insert_load(row);
    }

    void insert_failed_load(const LoadParams& load, int64_t round, const std::string& status, const std::string& error) {
        store_.insert_load({{"run_id", run_id_},
                            {"model_filename", load.model},
                            {"load_mode", std::string(name(load.load_mode))},
                            {"cache_state", std::string(name(load.cache_state))},
                            {"n_gpu_layers", load.n_gpu_layers},
                            {"round", round},
                            {"status", status},
                            {"error", error}});
        loaded_ = {};
    }

    const SweepSpec& spec_;
    const Plan& plan_;
    store::Store& store_;
    const SweepOptions& options_;
    SweepObserver& observer_;
    int64_t run_id_;
    std::vector<std::string> keys_;
    store::Progress progress_;
    engine::LoadOutcome loaded_;
    size_t total_ = 0, done_ = 0, tasks_run_ = 0, failures_ = 0;
    std::optional<Clock::time_point> last_answer_;
    bool build_recorded_ = false;
    std::vector<double> gaps_ms_;
};

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
    if (stored.is_discarded() || !stored.contains("model_fingerprints")) return;   // written before fingerprints
    for (const auto& model : spec.models) {
        const auto then = stored["model_fingerprints"].value(model, std::string());
        const std::string now = model_fingerprint(model);
        if (!then.empty() && then != now)
            throw UsageError(fmt::format("'{}' is not the file that run {} started with ({} then, {} now); put that "
                                         "file back to resume the run, or pass --fresh to measure this one in a new run",
                                         model, run.id, then, now));
    }
}

Row run_row(const SweepSpec& spec, const Plan& plan, const SweepOptions& o) {
    const bool native = spec.engine == Engine::native;
    Row row{{"spec_key", spec_key(spec)},
            {"source", std::string("run")},
            {"engine", std::string(name(spec.engine))},
            {"status", std::string("running")},
            {"started_at", store::utc_now()},
            {"mode", std::string(name(spec.mode))},
            {"sweep_order", std::string(name(spec.order))},
            {"seed", static_cast<int64_t>(spec.seed)},
            {"repetitions", spec.repetitions},
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
    if (native) {
        std::vector<std::string> gpus;
        for (const auto& d : o.build.devices)
            if (d.type != "cpu") gpus.push_back(d.description);
        row.insert(row.end(), {{"ggml_version", o.build.ggml_version},
                               {"backends", fmt::format("{}", fmt::join(o.build.backends, ","))},
                               {"gpu_info", fmt::format("{}", fmt::join(gpus, ", "))},
                               {"cpu_info", o.host.cpu_model}});
    }
    return row;
}

// Records how a run ended, on the way out of a failure: if that write fails too (the disk that made the sweep
// fail is still full), the first error is the one the user sees.
void mark_run_ended(store::Store& store, int64_t run_id, const std::string& status) noexcept {
    try {
        store.update_run(run_id, {{"status", status}, {"finished_at", store::utc_now()}});
    } catch (...) {
    }
}

} // namespace

std::string spec_key(const SweepSpec& spec) { return to_json(spec).dump(); }

std::vector<std::string> first_llama_bench_command(const SweepSpec& spec, const Plan& plan,
                                                   const llama_bench::LlamaBenchCli& cli) {
    const LlamaBenchVisit split = split_for_llama_bench(plan, plan.visits.front().tasks);
    const auto& batch = split.batches.front();
    return llama_bench::llama_bench_command(cli, points_of(plan, batch),
                                       static_cast<int64_t>(split.tasks_of.at(batch.front()).size()), spec.warmup);
}

SweepOutcome run_sweep(const SweepSpec& spec, const Plan& plan, store::Store& store, const SweepOptions& options,
                       SweepObserver& observer) {
    // A worker that dies must not take the orchestrator with it through a write to its pipe.
    std::signal(SIGPIPE, SIG_IGN);
    int64_t run_id = 0;
    bool resumed = false;
    if (!options.fresh) {
        if (const auto previous = store.latest_run(spec_key(spec))) {
            if (previous->status == "finished") return {previous->id, true, 0, 0};
            check_same_models(spec, *previous);
            run_id = previous->id;
            resumed = true;
            store.update_run(run_id, {{"status", std::string("running")}, {"finished_at", std::monostate{}}});
        }
    }
    if (!resumed) run_id = store.insert_run(run_row(spec, plan, options));

    Sweep sweep(spec, plan, store, options, observer, run_id);
    try {
        SweepOutcome outcome = sweep.run(resumed);
        rusage self{};
        getrusage(RUSAGE_SELF, &self);
        outcome.peak_rss_bytes = static_cast<uint64_t>(self.ru_maxrss) * 1024;
        store.update_run(run_id, {{"status", std::string("finished")}, {"finished_at", store::utc_now()}});
        return outcome;
    } catch (const Interrupted&) {
        mark_run_ended(store, run_id, "interrupted");
        throw;
    } catch (...) {
        mark_run_ended(store, run_id, "failed");
        throw;
    }
}

} // namespace llmsweep::sweep
