#include "sweep/recorder.hpp"

#include "engine/effective.hpp"

#include "llama_bench/fields.hpp"
#include "serving/client.hpp"
#include "stats/descriptive.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <nlohmann/json.hpp>

#include <algorithm>

namespace llmsweep::sweep {
using namespace domain;

namespace {

template <typename T>
store::Value optional_value(const std::optional<T>& v) {
    return v ? store::Value(*v) : store::Value(std::monostate{});
}

// What every load row says: the run, the load's settings (those the loads table records, domain::Knob::per_load),
// its round and status.
store::Row load_row(int64_t run_id, const LoadParams& load, int64_t round, const std::string& status) {
    store::Row row = store::load_columns(load);
    row.insert(row.end(), {{"run_id", run_id}, {"round", round}, {"status", status}});
    return row;
}

// What a server said of itself, as stored: valid UTF-8, and at most 1 MiB (a server that says more is noted with how
// much it said).
std::string bounded_props(const nlohmann::json& props) {
    std::string text = props.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    constexpr size_t limit = 1 << 20;
    if (text.size() > limit) text = nlohmann::json{{"too_large_bytes", text.size()}}.dump();
    return text;
}

} // namespace

Recorder::Recorder(const SweepSpec& spec, const Plan& plan, store::Store& store, SweepObserver& observer,
                   int64_t run_id)
    : spec_(spec), plan_(plan), store_(store), observer_(observer), run_id_(run_id) {
    for (const Point& p : plan.points) keys_.push_back(p.key(spec.mode));
    progress_ = store.progress(run_id);
    total_ = plan.n_tasks();
    for (const Visit& visit : plan.visits)
        for (const Task& task : visit.tasks) done_at_start_ += done(task) ? 1 : 0;
    done_ = done_at_start_;
}

bool Recorder::done(const Task& task) const {
    for (const auto& metric : metrics_of(plan_.points[task.point], spec_.mode)) {
        const auto key = std::make_pair(keys_[task.point], metric);
        if (progress_.final_results.count(key)) continue;
        const auto it = progress_.repetitions.find(key);
        if (it == progress_.repetitions.end() || !it->second.count(task.repetition)) return false;
    }
    return true;
}

bool Recorder::final(size_t point) const {
    for (const auto& metric : metrics_of(plan_.points[point], spec_.mode))
        if (progress_.final_results.count({keys_[point], metric})) return true;
    return false;
}

void Recorder::start(bool resumed) { observer_.on_start({run_id_, resumed, total_, done_at_start_}); }

void Recorder::round_added(int64_t round, size_t points, size_t tasks) {
    total_ += tasks;
    observer_.on_round_added({round, points, plan_.points.size(), total_});
}

void Recorder::task_started(const Task& task) {
    task_start_ = std::chrono::steady_clock::now();
    observer_.on_task_start(plan_.points[task.point], task.repetition);
}

void Recorder::test_answered() {
    // Answers that follow each other without a request between them (llama-bench's) count from the one before.
    const auto now = std::chrono::steady_clock::now();
    if (task_start_) phases_.test_s += std::chrono::duration<double>(now - *task_start_).count();
    task_start_ = now;
}

int64_t Recorder::load_started(const LoadParams& load, int64_t round, const engine::LoadOutcome& o, bool measured) {
    loaded_ = o;
    store::Row row = load_row(run_id_, load, round, "ok");
    row.insert(row.end(), {{"model_bytes", static_cast<int64_t>(o.file_bytes)},
                           {"resident_before_bytes", static_cast<int64_t>(o.resident_before_bytes)}});
    if (measured) {
        phases_.load_s += o.load_ms / 1e3;
        row.insert(row.end(), {{"load_ms", o.load_ms},
                               {"rss_after_load_bytes", static_cast<int64_t>(o.rss_after_load_bytes)},
                               {"major_faults", o.major_faults},
                               {"minor_faults", o.minor_faults}});
    }
    if (o.cache_evicted) row.emplace_back("cache_evicted", int64_t{*o.cache_evicted ? 1 : 0});
    if (!o.thp_mode.empty()) row.emplace_back("thp_mode", o.thp_mode);
    if (!o.model_buffers_mib.empty()) {
        std::vector<std::string> buffers;
        for (const auto& [type, mib] : o.model_buffers_mib) buffers.push_back(fmt::format("{} {:.2f}", type, mib));
        row.emplace_back("model_buffers", fmt::format("{}", fmt::join(buffers, ", ")));
    }
    if (o.mapping)
        row.insert(row.end(), {{"anon_after_load_kb", o.mapping->anon_kb},
                               {"anon_huge_after_load_kb", o.mapping->anon_huge_kb},
                               {"file_pmd_after_load_kb", o.mapping->file_pmd_kb}});
    return store_.insert_load(row);
}

void Recorder::load_finished(int64_t load_id, uint64_t peak_rss_bytes, const std::optional<engine::MappingState>& end,
                             const engine::VisitActivity& activity, std::optional<uint64_t> resident_after) {
    phases_.visit_s += activity.wall_s;
    task_start_.reset();
    store::Row row{{"rss_peak_bytes", static_cast<int64_t>(peak_rss_bytes)},
                   {"visit_s", activity.wall_s},
                   {"other_cpu_cores", activity.other_cpu_cores},
                   {"steal_percent", activity.steal_percent},
                   {"load_average", activity.load_average}};
    if (activity.cpu_mhz) row.emplace_back("cpu_mhz", *activity.cpu_mhz);
    if (activity.throttle_events) row.emplace_back("throttle_events", *activity.throttle_events);
    if (resident_after) row.emplace_back("resident_after_bytes", static_cast<int64_t>(*resident_after));
    if (end && end->peak_anon_kb) row.emplace_back("rss_anon_peak_kb", *end->peak_anon_kb);
    if (end && end->peak_file_kb) row.emplace_back("rss_file_peak_kb", *end->peak_file_kb);
    if (end)
        row.insert(row.end(), {{"rss_at_end_kb", end->rss_kb},
                               {"anon_at_end_kb", end->anon_kb},
                               {"anon_huge_at_end_kb", end->anon_huge_kb},
                               {"file_pmd_at_end_kb", end->file_pmd_kb}});
    store_.update_load(load_id, row);
    store_.checkpoint(); // between worker processes: nothing is being timed
}

void Recorder::load_failed(const LoadParams& load, int64_t round, const std::string& status, const std::string& error) {
    store::Row row = load_row(run_id_, load, round, status);
    row.emplace_back("error", error);
    store_.insert_load(row);
    loaded_ = {};
    observer_.on_load_failed(load, error);
}

store::Row Recorder::point_row(const Point& p) const {
    store::Row row = store::point_columns(p, spec_.mode);
    if (!loaded_.model_type.empty())
        row.insert(row.end(), {{"model_type", loaded_.model_type},
                               {"model_size", static_cast<int64_t>(loaded_.model_size)},
                               {"model_n_params", static_cast<int64_t>(loaded_.model_n_params)}});
    if (!loaded_.effective_load_mode.empty()) row.emplace_back("effective_load_mode", loaded_.effective_load_mode);
    if (loaded_.n_layer > 0)
        row.emplace_back("effective_n_gpu_layers", effective_gpu_layers(p.load.n_gpu_layers, loaded_.n_layer));
    return row;
}

void Recorder::sample(const Task& task, int64_t load_id, const engine::Measurement& m) {
    test_answered();
    const Point& point = plan_.points[task.point];
    const std::string now = store::utc_now();
    TaskDone event{&point, task.repetition, "ok", "", {}, {}, {}, 0, total_};
    store::Transaction tx(store_.db());
    for (const auto& metric : metrics_of(point, spec_.mode)) {
        const bool pp = metric == "pp", pg = metric == "pg", image = metric == "img" || metric == "ipp";
        const int64_t ns = image ? (metric == "img" ? m.image_encode_ns : m.image_prefill_ns).value_or(0)
                           : pp  ? m.pp_ns.value_or(0)
                           : pg  ? m.pg_ns.value_or(0)
                                 : m.tg_ns.value_or(0);
        // An image's metrics count its tokens, as many as its slices became.
        const int64_t tokens = image ? m.image_tokens.value_or(0)
                               : pp  ? point.test.n_prompt
                               : pg  ? point.test.n_prompt + point.test.n_gen
                                     : point.test.n_gen;
        const double ts = ns > 0 ? static_cast<double>(tokens) * 1e9 / static_cast<double>(ns) : 0.0;
        phases_.timed_s += static_cast<double>(ns) / 1e9;
        if (!image) (pp ? event.pp_ts : pg ? event.pg_ts : event.tg_ts) = ts;
        const int64_t result_id = store_.ensure_result(run_id_, keys_[task.point], metric, point_row(point));
        store::Row sample{
            {"result_id", result_id}, {"load_id", load_id}, {"repetition", task.repetition}, {"ns", ns}, {"ts", ts}};
        if (image)
            sample.insert(sample.end(), {{"image_tokens", optional_value(m.image_tokens)},
                                         {"image_slices", optional_value(m.image_slices)}});
        if (metric == "tg" && spec_.mode == Mode::request)
            sample.insert(sample.end(), {{"ttft_ms", optional_value(m.ttft_ms)},
                                         {"itl_p50_ms", optional_value(m.itl_p50_ms)},
                                         {"itl_p90_ms", optional_value(m.itl_p90_ms)},
                                         {"itl_p99_ms", optional_value(m.itl_p99_ms)}});
        store_.insert_sample(sample);
        auto& reps = progress_.repetitions[{keys_[task.point], metric}];
        reps.insert(task.repetition);
        const bool complete = static_cast<int64_t>(reps.size()) >= spec_.repetitions;
        store_.summarize_result(result_id, complete ? "ok" : "running", now);
    }
    // A vision-language model's first mmproj load and first image belong to the load.
    store::Row first;
    if (m.mmproj_load_ms) first.emplace_back("mmproj_load_ms", *m.mmproj_load_ms);
    if (m.mmproj_rss_bytes) first.emplace_back("mmproj_rss_bytes", *m.mmproj_rss_bytes);
    if (m.first_image_ms) first.emplace_back("first_image_ms", *m.first_image_ms);
    if (m.first_image_tokens) first.emplace_back("first_image_tokens", *m.first_image_tokens);
    if (!first.empty()) store_.update_load(load_id, first);
    tx.commit();
    ++tasks_run_;
    event.tasks_done = ++done_;
    observer_.on_task_done(event);
}

int64_t Recorder::server_started(const LoadParams& load, int64_t round, double ready_ms,
                                 const std::vector<std::string>& command, const nlohmann::json& props,
                                 int64_t n_layer) {
    loaded_ = {};
    loaded_.n_layer = n_layer;
    phases_.load_s += ready_ms / 1e3;
    store::Row row = load_row(run_id_, load, round, "ok");
    row.insert(row.end(), {{"load_ms", ready_ms}, {"server_props", bounded_props(props)}});
    if (!command.empty()) row.emplace_back("server_command", nlohmann::json(command).dump());
    return store_.insert_load(row);
}

void Recorder::server_repetition(const Task& task, int64_t load_id, const serving::LoadRun& run,
                                 const nlohmann::json& server_metrics) {
    test_answered();
    const auto ok = std::count_if(run.requests.begin(), run.requests.end(),
                                  [](const serving::RequestRecord& r) { return r.status == "ok"; });
    if (ok == 0) {
        const std::string why = run.requests.empty() ? "no request was sent" : run.requests.front().error;
        failure(task, "failed", fmt::format("every request failed: {}", why));
        return;
    }
    const Point& point = plan_.points[task.point];
    std::vector<double> ttft, gaps;
    int64_t tokens = 0;
    for (const serving::RequestRecord& r : run.requests) {
        if (r.status != "ok") continue; // a failed request's tokens are not the server's throughput
        tokens += r.tokens_out;
        if (r.ttft_ms) ttft.push_back(*r.ttft_ms);
        gaps.insert(gaps.end(), r.gaps_ms.begin(), r.gaps_ms.end());
    }
    std::sort(ttft.begin(), ttft.end());
    std::sort(gaps.begin(), gaps.end());
    const auto quantile = [](const std::vector<double>& sorted, double p) {
        return sorted.empty() ? store::Value() : store::Value(stats::quantile_sorted(sorted, p));
    };
    const double ts = run.wall_s > 0 ? static_cast<double>(tokens) / run.wall_s : 0;
    phases_.timed_s += run.wall_s;
    const std::string metric = metrics_of(point, spec_.mode).front();
    store::Transaction tx(store_.db());
    const int64_t result_id = store_.ensure_result(run_id_, keys_[task.point], metric, point_row(point));
    store_.insert_sample({{"result_id", result_id},
                          {"load_id", load_id},
                          {"repetition", task.repetition},
                          {"ns", static_cast<int64_t>(run.wall_s * 1e9)},
                          {"ts", ts},
                          {"ttft_ms", quantile(ttft, 0.5)},
                          {"itl_p50_ms", quantile(gaps, 0.5)},
                          {"itl_p90_ms", quantile(gaps, 0.9)},
                          {"itl_p99_ms", quantile(gaps, 0.99)},
                          {"server_metrics", server_metrics.is_null()
                                                 ? store::Value()
                                                 : store::Value(server_metrics.dump(
                                                       -1, ' ', false, nlohmann::json::error_handler_t::replace))}});
    for (size_t i = 0; i < run.requests.size(); ++i) {
        const serving::RequestRecord& r = run.requests[i];
        std::vector<double> own = r.gaps_ms;
        std::sort(own.begin(), own.end());
        store_.insert_request({{"result_id", result_id},
                               {"load_id", load_id},
                               {"repetition", task.repetition},
                               {"seq", static_cast<int64_t>(i)},
                               {"submit_ms", r.submit_ms},
                               {"ttft_ms", optional_value(r.ttft_ms)},
                               {"e2e_ms", r.e2e_ms},
                               {"tpot_ms", optional_value(r.tpot_ms())},
                               {"itl_p50_ms", quantile(own, 0.5)},
                               {"itl_p90_ms", quantile(own, 0.9)},
                               {"itl_p99_ms", quantile(own, 0.99)},
                               {"itl_max_ms", own.empty() ? store::Value() : store::Value(own.back())},
                               {"tokens_in", r.tokens_in},
                               {"tokens_out", r.tokens_out},
                               {"http_status", static_cast<int64_t>(r.http_status)},
                               {"status", r.status},
                               {"error", r.error.empty() ? store::Value() : store::Value(r.error)},
                               {"server_prompt_ms", optional_value(r.server_prompt_ms)},
                               {"server_gen_ms", optional_value(r.server_gen_ms)}});
    }
    auto& reps = progress_.repetitions[{keys_[task.point], metric}];
    reps.insert(task.repetition);
    store_.summarize_result(result_id, static_cast<int64_t>(reps.size()) >= spec_.repetitions ? "ok" : "running",
                            store::utc_now());
    tx.commit();
    ++tasks_run_;
    TaskDone event{&point, task.repetition, "ok", "", {}, {}, {}, ++done_, total_};
    event.serve_ts = ts;
    event.request_errors = run.requests.size() - static_cast<size_t>(ok);
    observer_.on_task_done(event);
}

void Recorder::failure(const Task& task, const std::string& status, const std::string& error) {
    test_answered();
    if (done(task)) return; // a point already final keeps what it has
    const Point& point = plan_.points[task.point];
    const auto metrics = metrics_of(point, spec_.mode);
    const bool measured = std::all_of(metrics.begin(), metrics.end(), [&](const std::string& metric) {
        const auto it = progress_.repetitions.find({keys_[task.point], metric});
        return it != progress_.repetitions.end() && static_cast<int64_t>(it->second.size()) >= spec_.repetitions;
    });
    store::Transaction tx(store_.db());
    for (const auto& metric : metrics) {
        const int64_t result_id = store_.ensure_result(run_id_, keys_[task.point], metric, point_row(point));
        if (measured) {
            store_.update_result(result_id,
                                 {{"error", fmt::format("repetition {}: {}: {}", task.repetition + 1, status, error)},
                                  {"stop_reason", std::string("failed")}});
        } else {
            store_.summarize_result(result_id, status, store::utc_now());
            store_.update_result(result_id, {{"error", error}});
        }
        progress_.final_results.insert({keys_[task.point], metric});
    }
    tx.commit();
    ++failures_;
    // This task and the point's later repetitions in the plan all count as done.
    ++done_;
    for (const Visit& v : plan_.visits)
        for (const Task& t : v.tasks)
            if (t.point == task.point && t.repetition > task.repetition) ++done_;
    observer_.on_task_done({&point, task.repetition, status, error, {}, {}, {}, done_, total_});
}

void Recorder::llama_bench_test(size_t point, const std::vector<Task>& tasks, int64_t load_id,
                                const llama_bench::BenchTest& test) {
    if (!build_recorded_) {
        store_.update_run(run_id_, {{"build_commit", test.build_commit},
                                    {"backends", test.backends},
                                    {"gpu_info", test.gpu_info},
                                    {"cpu_info", test.cpu_info}});
        build_recorded_ = true;
    }
    loaded_.model_type = test.model_type;
    loaded_.model_size = static_cast<uint64_t>(test.model_size);
    loaded_.model_n_params = static_cast<uint64_t>(test.model_n_params);
    const engine::Effective effective = engine::effective_for_llama_bench(test.point.load, test.backends);
    loaded_.effective_load_mode = effective.load_mode.value_or("");
    loaded_.n_layer = effective.n_layer.value_or(0);
    const std::string metric = metrics_of(plan_.points[point], spec_.mode).front();
    for (size_t k = 0; k < tasks.size() && k < test.samples_ns.size(); ++k) {
        engine::Measurement m;
        (metric == "pp" ? m.pp_ns : metric == "pg" ? m.pg_ns : m.tg_ns) = test.samples_ns[k];
        sample(tasks[k], load_id, m);
    }
    // One of several binaries: the result carries its own build, which the run's is not.
    if (!plan_.points[point].load.llama_bench.empty() && !test.samples_ns.empty())
        store_.update_result(store_.ensure_result(run_id_, keys_[point], metric, point_row(plan_.points[point])),
                             {{"build_commit", test.build_commit}});
    if (test.samples_ns.size() < tasks.size())
        failure(tasks[test.samples_ns.size()], "failed",
                fmt::format("llama-bench reported {} of {} repetitions", test.samples_ns.size(), tasks.size()));
}

} // namespace llmsweep::sweep
