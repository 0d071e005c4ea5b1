#include "sweep/executor.hpp"

#include "domain/image.hpp"
#include "domain/knobs.hpp"
#include "domain/parameter_names.hpp"

#include "core/child_process.hpp"
#include "core/error.hpp"
#include "core/interrupt.hpp"
#include "engine/host_activity.hpp"
#include "engine/page_cache.hpp"
#include "engine/protocol.hpp"
#include "engine/worker.hpp"
#include "llama_bench/fields.hpp"
#include "serving/client.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

namespace llmsweep::sweep {
using namespace domain;

namespace {

using Clock = std::chrono::steady_clock;

// The model file's bytes in the page cache at the end of a visit; none where it cannot be read (the tests'
// fake models, a file removed meanwhile).
std::optional<uint64_t> resident_after(const std::string& model) {
    try {
        return engine::resident_bytes(model);
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

// Sleeps `seconds`, untimed, waking for Ctrl-C.
void cool_off(int64_t seconds) {
    const auto until = Clock::now() + std::chrono::seconds(seconds);
    while (Clock::now() < until) {
        if (interrupt_requested()) throw Interrupted();
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

void check_interrupt(ChildProcess::Outcome outcome) {
    if (outcome == ChildProcess::Outcome::interrupted || interrupt_requested()) throw Interrupted();
}

// `llmsweep worker`, spoken to over its pipes.
class NativeWorker : public Worker {
public:
    NativeWorker(const std::string& executable, std::string numa, std::string rpc)
        : process_(
              engine::worker_command(executable),
              {.forward_stderr = engine::worker_log_shown(), .name = "worker", .exit_request = "{\"op\":\"exit\"}\n"}),
          numa_(std::move(numa)), rpc_(std::move(rpc)) {}

    LoadAnswer load(const LoadParams& load, double timeout_s) override {
        const Reply reply = ask(engine::load_request_json({load, numa_, rpc_}), "loaded", timeout_s,
                                fmt::format("loading took more than {} s", timeout_s));
        if (reply.answer != Answer::ok) return {reply.answer, {}, reply.error};
        return {Answer::ok, engine::load_outcome_from_json(reply.message), {}};
    }

    RunAnswer run(const engine::RunRequest& request, double timeout_s) override {
        const Reply reply = ask(engine::run_request_json(request), "sample", timeout_s,
                                fmt::format("took more than {} s; the worker was killed", timeout_s));
        if (reply.answer != Answer::ok) return {reply.answer, {}, reply.error};
        return {Answer::ok, engine::measurement_from_json(reply.message), {}};
    }

    std::optional<engine::MappingState> end_state(double timeout_s) override {
        const auto answer = process_.request({{"op", "state"}}, timeout_s);
        check_interrupt(answer.outcome);
        if (answer.outcome != ChildProcess::Outcome::reply || !answer.message.contains("mapping")) return std::nullopt;
        return engine::mapping_state_from_json(answer.message.at("mapping"));
    }

    Exit finish(bool kill) override {
        const ChildProcess::Exit exit = process_.finish(kill);
        return {exit.peak_rss_bytes, exit.cpu_seconds};
    }

private:
    struct Reply {
        Answer answer = Answer::ok;
        nlohmann::json message; // when ok
        std::string error;      // otherwise
    };

    // Sends `request` and waits for the `event` it should answer with: a timeout kills the worker, a death
    // is a crash, any other answer is the worker's own failure.
    Reply ask(const nlohmann::json& request, std::string_view event, double timeout_s, std::string timed_out) {
        auto answer = process_.request(request, timeout_s);
        check_interrupt(answer.outcome);
        if (answer.outcome == ChildProcess::Outcome::timeout) {
            process_.finish(true);
            return {Answer::timeout, {}, std::move(timed_out)};
        }
        if (answer.outcome == ChildProcess::Outcome::died) return {Answer::crashed, {}, process_.death_reason()};
        if (answer.message.value("event", "") != event)
            return {Answer::failed, {}, answer.message.value("error", "unknown error")};
        return {Answer::ok, std::move(answer.message), {}};
    }

    ChildProcess process_;
    std::string numa_, rpc_;
};

// In rounds order, the tests of a visit with the same context settings share one context and its warm-up
// (engine::RunRequest): its size, enough for each of them, and the warm-up's test, the largest prompt of them and
// a token where any generates. A context's size does not change what a test computes (llama.cpp attends the
// cells in use), and a warm-up of the largest prompt leaves nothing for a smaller one to warm (docs/benchmarks.md,
// "A sweep's time": the control). Grouped order keeps llama-bench's context and warm-up per test: nothing shared.
struct SharedContext {
    ContextParams context;
    int64_t n_ctx = 0;
    TestParams warmup;
};
std::vector<SharedContext> shared_contexts(const SweepSpec& spec, const Plan& plan, const std::vector<Task>& tasks) {
    std::vector<SharedContext> shared;
    if (spec.order != Order::rounds) return shared;
    for (const Task& task : tasks) {
        const Point& p = plan.points[task.point];
        auto it = std::find_if(shared.begin(), shared.end(), [&](const auto& s) { return s.context == p.context; });
        if (it == shared.end()) it = shared.insert(shared.end(), {p.context, 0, {}});
        it->n_ctx = std::max(it->n_ctx, p.test.n_depth + p.test.n_prompt + p.test.n_gen);
        it->warmup.n_prompt = std::max(it->warmup.n_prompt, p.test.n_prompt);
        if (p.test.n_gen > 0) it->warmup.n_gen = 1;
    }
    for (SharedContext& s : shared) s.n_ctx = std::max(s.n_ctx, s.warmup.n_prompt + s.warmup.n_gen); // room for it
    return shared;
}

class WorkerExecutor : public Executor {
public:
    WorkerExecutor(WorkerFactory factory, double timeout_s) : factory_(std::move(factory)), timeout_s_(timeout_s) {}

    void run_visit(const Visit& visit, const std::vector<Task>& tasks, Recorder& recorder) override {
        const Plan& plan = recorder.plan();
        const SweepSpec& spec = recorder.spec();
        const LoadParams& load = plan.points[plan.groups[visit.group].front()].load;
        const std::vector<SharedContext> shared = shared_contexts(spec, plan, tasks);
        size_t next = 0;
        while (next < tasks.size()) {
            const engine::HostSample start = engine::sample_host();
            const std::unique_ptr<Worker> worker = ahead_ ? std::move(ahead_) : factory_();
            const LoadAnswer loaded = worker->load(load, timeout_s_);
            if (loaded.answer != Answer::ok) {
                worker->finish(true);
                recorder.load_failed(load, visit.round, std::string(name(loaded.answer)), loaded.error);
                // Every remaining point of this visit fails with its load.
                for (; next < tasks.size(); ++next)
                    recorder.failure(tasks[next], std::string(name(loaded.answer)), "load failed: " + loaded.error);
                return;
            }
            const int64_t load_id = recorder.load_started(load, visit.round, loaded.outcome, true);
            bool alive = true;
            std::optional<Clock::time_point> last_answer;
            size_t previous_point = SIZE_MAX;
            while (alive && next < tasks.size()) {
                const Task& task = tasks[next++];
                if (recorder.done(task)) continue; // its point failed earlier in this visit
                // Cooling off before each test, as llama-bench's --delay: a point's repetitions are one test.
                const Point& point = plan.points[task.point];
                if (point.run.delay > 0 && task.point != previous_point) cool_off(point.run.delay);
                previous_point = task.point;
                recorder.task_started(task);
                engine::RunRequest request{point.context,
                                           point.test,
                                           spec.mode,
                                           task.repetition,
                                           spec.warmup,
                                           spec.seed,
                                           static_cast<int>(point.run.prio)};
                for (const SharedContext& s : shared)
                    if (s.context == point.context) request.shared_n_ctx = s.n_ctx, request.shared_warmup = s.warmup;
                if (last_answer)
                    gaps_ms_.push_back(std::chrono::duration<double, std::milli>(Clock::now() - *last_answer).count());
                const RunAnswer answer = worker->run(request, timeout_s_);
                last_answer = Clock::now();
                if (answer.answer == Answer::ok) {
                    recorder.sample(task, load_id, answer.measurement);
                    continue;
                }
                recorder.failure(task, std::string(name(answer.answer)), answer.error);
                alive = answer.answer == Answer::failed; // a crash or a timeout took the worker
            }
            const std::optional<engine::MappingState> end = alive ? worker->end_state(timeout_s_) : std::nullopt;
            // The next visit's worker starts while this one ends: its start (exec, llama.cpp's backends) runs
            // beside this worker's exit and the storing, where nothing is timed, and waits for its load. The host's
            // counters of this visit end before it starts, lest its start count as other work beside this visit;
            // the visit's wall time runs on to this worker's exit.
            const engine::HostSample measured = engine::sample_host();
            if (next >= tasks.size()) ahead_ = factory_();
            const Worker::Exit exit = worker->finish(!alive);
            engine::VisitActivity activity = engine::activity_between(start, measured, exit.cpu_seconds);
            activity.wall_s = std::chrono::duration<double>(Clock::now() - start.at).count();
            recorder.load_finished(load_id, exit.peak_rss_bytes, end, activity, resident_after(load.model));
        }
    }

    std::vector<double> gaps_ms() const override { return gaps_ms_; }

    void idle() override {
        if (ahead_) ahead_->finish(false);
        ahead_.reset();
    }

private:
    WorkerFactory factory_;
    double timeout_s_;
    std::vector<double> gaps_ms_;
    std::unique_ptr<Worker> ahead_; // started for the next visit, not loaded yet
};

// The vocabulary's size, as the server says it (llama-server's /v1/models, in props_of); 1000 where it does not
// (every real vocabulary has that many tokens).
int64_t vocabulary_of(const nlohmann::json& props) {
    const nlohmann::json models = props.value("/v1/models", nlohmann::json());
    // Every step checked: a server's answer is anything (data[0] a string or null, n_vocab of 2^62).
    if (models.is_object() && models.contains("data") && models["data"].is_array() && !models["data"].empty() &&
        models["data"][0].is_object()) {
        const auto meta = models["data"][0].find("meta");
        if (meta != models["data"][0].end() && meta->is_object() && meta->contains("n_vocab") &&
            (*meta)["n_vocab"].is_number_integer()) {
            const int64_t n_vocab = (*meta)["n_vocab"].get<int64_t>();
            if (n_vocab >= 2 && n_vocab <= INT32_MAX) return n_vocab; // token ids are 32 bits
        }
    }
    return 1000;
}

// What a server says about itself: /props (llama-server), and /v1/models (any OpenAI-compatible one).
nlohmann::json props_of(const serving::Client& client) {
    nlohmann::json props = nlohmann::json::object();
    for (const char* path : {"/props", "/v1/models"}) {
        const auto [status, body] = client.get(path, 10);
        const nlohmann::json answer = nlohmann::json::parse(body, nullptr, false);
        if (status == 200 && !answer.is_discarded()) props[path] = answer;
    }
    return props;
}

// A synthetic image of `size` x `size` as a request carries it: the pixels of the sweep's seed, made once per size
// (a 2048 px image takes the client's one thread a quarter of a second, which its streams would wait for), then
// its first pixels drawn from the request's own seed, so that no two requests send the same image (a server
// reuses what it has seen) and each costs the server what any other does.
std::string synthetic_image(int64_t size, uint64_t sweep_seed, uint64_t request_seed) {
    static std::mutex mutex;
    static std::map<std::pair<int64_t, uint64_t>, std::string> made;
    std::string image;
    {
        const std::lock_guard lock(mutex);
        auto [it, added] = made.try_emplace({size, sweep_seed});
        if (added) it->second = domain::portable_pixmap(size, size, domain::synthetic_pixels(size, sweep_seed));
        image = it->second;
    }
    const size_t header = image.size() - static_cast<size_t>(size * size * 3);
    std::mt19937_64 rng(request_seed);
    for (size_t i = header; i < std::min(image.size(), header + 48); ++i) image[i] = static_cast<char>(rng());
    return image;
}

// The bytes of a point's --image file ("" for a point without one), or none with the reason in `why`: a file
// that cannot be read, or of more than 256 MiB.
std::optional<std::string> image_file_of(const Point& point, std::string& why) {
    if (point.test.image.empty()) return std::string();
    std::error_code ec;
    const auto bytes = std::filesystem::file_size(point.test.image, ec);
    if (ec || bytes == 0 || bytes > (uintmax_t{256} << 20)) {
        why = fmt::format("the image file '{}' cannot be read or is not between 1 byte and 256 MiB now",
                          point.test.image);
        return std::nullopt;
    }
    std::ifstream in(point.test.image, std::ios::binary);
    std::string content(static_cast<size_t>(bytes), '\0');
    if (!in.read(content.data(), static_cast<std::streamsize>(bytes))) {
        why = fmt::format("the image file '{}' could not be read", point.test.image);
        return std::nullopt;
    }
    return content;
}

// The marker of an image's place in a prompt that llama-server drew (/props' media_marker): a short text, or none.
std::optional<std::string> media_marker_of(const nlohmann::json& props) {
    const auto p = props.find("/props");
    if (p == props.end() || !p->is_object()) return std::nullopt;
    const auto m = p->find("media_marker");
    if (m == p->end() || !m->is_string() || m->get_ref<const std::string&>().empty() ||
        m->get_ref<const std::string&>().size() > 256)
        return std::nullopt;
    return m->get<std::string>();
}

class ServerExecutor : public Executor {
public:
    explicit ServerExecutor(serving::ServerSettings settings) : settings_(std::move(settings)) {}

    void run_visit(const Visit& visit, const std::vector<Task>& tasks, Recorder& recorder) override {
        const Plan& plan = recorder.plan();
        const SweepSpec& spec = recorder.spec();
        const Point& first = plan.points[plan.groups[visit.group].front()];
        const bool external = !spec.serving.url.empty();
        size_t next = 0;
        while (next < tasks.size()) {
            const engine::HostSample start = engine::sample_host();
            const Clock::time_point started = Clock::now();
            std::unique_ptr<serving::ServerProcess> server;
            if (!external) {
                try {
                    server = std::make_unique<serving::ServerProcess>(settings_, first, spec.timeout_s);
                } catch (const Interrupted&) {
                    throw;
                } catch (const UsageError&) {
                    throw;
                } catch (const Error& e) {
                    recorder.load_failed(first.load, visit.round, "failed", e.what());
                    for (; next < tasks.size(); ++next)
                        recorder.failure(tasks[next], "failed",
                                         fmt::format("llama-server did not start: {}", e.what()));
                    return;
                }
            }
            const std::string url = external ? spec.serving.url : server->url();
            serving::Client client(url, spec.serving.api, external ? "" : first.load.model);
            const double ready_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
            const nlohmann::json props = props_of(client);
            if (const std::optional<std::string> marker = media_marker_of(props)) client.set_media_marker(*marker);
            const int64_t load_id = recorder.server_started(
                first.load, visit.round, ready_ms, server ? server->command() : std::vector<std::string>{}, props, 0);
            const int64_t n_vocab = vocabulary_of(props);
            const auto keep_going = [&] { return !interrupt_requested() && (!server || server->running()); };
            // Untimed requests first, one at a time: the server's first batches warm its caches and threads.
            if (spec.warmup > 0 && next < tasks.size()) {
                const Task& task = tasks[next];
                const Point& point = plan.points[task.point];
                std::string why;
                if (const auto image = image_file_of(point, why))
                    client.run(
                        {.concurrency = 1,
                         .requests = spec.warmup,
                         .seed = spec.seed,
                         .request_timeout_s = spec.timeout_s},
                        [&](size_t i) { return request_for(spec, point, task.point, -1, i, n_vocab, *image); },
                        keep_going);
            }
            bool alive = true;
            while (alive && next < tasks.size()) {
                if (interrupt_requested()) throw Interrupted();
                const Task& task = tasks[next++];
                if (recorder.done(task)) continue;
                const Point& point = plan.points[task.point];
                recorder.task_started(task);
                // --image's file, read once for the repetition's requests: one that is gone or grew too large
                // since the sweep began fails its point, not the sweep.
                std::string why;
                const std::optional<std::string> image = image_file_of(point, why);
                if (!image) {
                    recorder.failure(task, "failed", why);
                    continue;
                }
                const serving::LoadShape shape{
                    .concurrency = point.client.concurrency,
                    .rate = point.client.rate,
                    .requests = spec.serving.duration_s > 0 ? 0 : spec.serving.requests_of(point.client),
                    .duration_s = spec.serving.duration_s,
                    .seed = spec.seed + task.point * 7919 + static_cast<uint64_t>(task.repetition),
                    .request_timeout_s = spec.timeout_s};
                // The server's own counters around the load (llama-server's /metrics; none from other servers).
                const auto metrics = [&] {
                    const auto [status, body] = client.get("/metrics", 10);
                    return status == 200 ? serving::parse_metrics(body) : std::map<std::string, double>{};
                };
                const auto before = metrics();
                const serving::LoadRun run = client.run(
                    shape,
                    [&](size_t i) { return request_for(spec, point, task.point, task.repetition, i, n_vocab, *image); },
                    keep_going, "llama-server died");
                if (interrupt_requested()) throw Interrupted();
                if (server && !server->running()) {
                    recorder.failure(task, "crashed", server->death_reason());
                    alive = false;
                    continue;
                }
                const auto after = metrics();
                recorder.server_repetition(task, load_id, run,
                                           after.empty() ? nlohmann::json() : serving::metrics_change(before, after));
            }
            const ChildProcess::Exit exit = server ? server->stop() : ChildProcess::Exit{};
            recorder.load_finished(load_id, exit.peak_rss_bytes, std::nullopt,
                                   engine::activity_between(start, engine::sample_host(), exit.cpu_seconds),
                                   std::nullopt);
        }
    }

private:
    serving::ServerSettings settings_;
};

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
    else
        for (size_t p : points) split.batches.push_back({p});
    return split;
}

// Whether llama-bench's test `t` is the point's: every setting it reports agrees (not the load mode, which it
// reports as what auto came to, nor what llmsweep sets up around it, the page cache: one value per command).
bool is_test_of(const Point& p, const llama_bench::BenchTest& t) {
    return t.point.context == p.context && t.point.test == p.test &&
           std::all_of(knobs().begin(), knobs().end(), [&](const Knob& k) {
               return k.name == param::load_mode || k.any_engine || k.text(t.point) == k.text(p);
           });
}

class LlamaBenchExecutor : public Executor {
public:
    LlamaBenchExecutor(std::vector<llama_bench::LlamaBenchCli> clis, double timeout_s)
        : clis_(std::move(clis)), timeout_s_(timeout_s) {}

    void run_visit(const Visit& visit, const std::vector<Task>& tasks, Recorder& recorder) override {
        const LlamaBenchVisit split = split_for_llama_bench(recorder.plan(), tasks);
        for (const auto& batch : split.batches)
            for (size_t p : run_batch(visit, batch, split.tasks_of, recorder))
                run_batch(visit, {p}, split.tasks_of, recorder);
    }

private:
    // Runs one llama-bench over `batch` and records each test as its line arrives. Returns the points left
    // without a result when a llama-bench running several points failed; a single point's failure is recorded.
    std::vector<size_t> run_batch(const Visit& visit, const std::vector<size_t>& batch,
                                  const std::map<size_t, std::vector<Task>>& tasks_of, Recorder& recorder) {
        const Plan& plan = recorder.plan();
        const LoadParams& load = plan.points[batch.front()].load;
        const std::vector<Task>& first_tasks = tasks_of.at(batch.front());
        const auto command = llama_bench::llama_bench_command(
            llama_bench_of(load, clis_), points_of(plan, batch),
            command_settings(recorder.spec(), static_cast<int64_t>(first_tasks.size())));
        engine::LoadOutcome before;
        before.file_bytes = std::filesystem::file_size(load.model);
        // As the native worker does: cold evicts the file's pages, warm reads them in.
        if (load.cache_state == CacheState::cold) engine::evict_from_page_cache(load.model);
        else engine::warm_page_cache(load.model);
        before.resident_before_bytes = engine::resident_bytes(load.model);
        if (load.cache_state == CacheState::cold) before.cache_evicted = before.resident_before_bytes == 0;
        recorder.task_started(first_tasks.front());

        const engine::HostSample start = engine::sample_host();
        ChildProcess process(command, {.forward_stderr = engine::worker_log_shown()});
        const int64_t load_id = recorder.load_started(load, visit.round, before, false);
        std::vector<size_t> pending = batch;
        using Outcome = ChildProcess::Outcome;
        Outcome outcome = Outcome::reply;
        std::string bad_output;
        while (!pending.empty()) {
            const auto answer = process.read_line(timeout_s_);
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
            const auto it = std::find_if(pending.begin(), pending.end(),
                                         [&](size_t p) { return is_test_of(plan.points[p], test); });
            if (it == pending.end()) continue; // not one of ours (cannot happen with the command we built)
            recorder.llama_bench_test(*it, tasks_of.at(*it), load_id, test);
            pending.erase(it);
        }
        const auto exit = process.finish(outcome == Outcome::timeout || !bad_output.empty());
        recorder.load_finished(load_id, exit.peak_rss_bytes, std::nullopt,
                               engine::activity_between(start, engine::sample_host(), exit.cpu_seconds),
                               resident_after(load.model));
        if (pending.empty()) return {};
        if (batch.size() > 1) return pending;

        std::string status = "failed", error = bad_output;
        if (outcome == Outcome::timeout) {
            status = "timeout";
            error = fmt::format("took more than {} s; llama-bench was killed", timeout_s_);
        } else if (error.empty()) {
            status = exit.signal != 0 ? "crashed" : "failed";
            error = process.death_reason();
        }
        recorder.failure(tasks_of.at(pending.front()).front(), status, error);
        return {};
    }

    std::vector<llama_bench::LlamaBenchCli> clis_;
    double timeout_s_;
};

} // namespace

std::string_view name(Answer answer) {
    switch (answer) {
    case Answer::ok: return "ok";
    case Answer::failed: return "failed";
    case Answer::timeout: return "timeout";
    case Answer::crashed: return "crashed";
    }
    return "failed";
}

serving::Request request_for(const SweepSpec& spec, const Point& point, size_t point_index, int64_t repetition,
                             size_t index, int64_t n_vocab, const std::string& image_file) {
    const auto token = [&](std::mt19937_64& rng) {
        return static_cast<int32_t>(std::uniform_int_distribution<int64_t>(1, n_vocab - 1)(rng));
    };
    const auto length = [&](const std::string& dist, int64_t fixed, std::mt19937_64& rng) {
        if (dist.empty()) return fixed;
        const Lengths lengths = parse_lengths(dist, "", 1);
        return std::uniform_int_distribution<int64_t>(lengths.lo, lengths.hi)(rng);
    };
    // SplitMix64's finalizer: seeds that differ in one input differ everywhere.
    const auto mix = [](uint64_t a, uint64_t b) {
        uint64_t z = a ^ (b + 0x9e3779b97f4a7c15ULL + (a << 6) + (a >> 2));
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    };
    const uint64_t point_seed = mix(spec.seed, point_index);
    std::mt19937_64 rng(mix(mix(point_seed, static_cast<uint64_t>(repetition + 1)), index));
    serving::Request request;
    const int64_t n_prompt = length(point.client.prompt_dist, point.test.n_prompt, rng);
    request.n_predict = length(point.client.gen_dist, point.test.n_gen, rng);
    request.cache_prompt = point.client.cache_prompt;
    std::mt19937_64 prefix_rng(point_seed);
    const int64_t prefix = std::min(point.client.shared_prefix, n_prompt - 1);
    if (point.test.has_image()) {
        // Images, each with pixels of its own (a server reuses the cache of an image it has seen), then the prompt
        // as text: words that are one token each in real models' vocabularies; the server counts them.
        for (int64_t i = 0; i < point.test.images; ++i) {
            if (!point.test.image.empty()) {
                request.images.push_back(image_file);
                continue;
            }
            request.images.push_back(synthetic_image(point.test.image_size, spec.seed, rng()));
        }
        static constexpr std::array<std::string_view, 16> words = {" the",  " of",   " and", " to", " in", " a",
                                                                   " is",   " that", " for", " it", " as", " was",
                                                                   " with", " be",   " on",  " not"};
        std::uniform_int_distribution<size_t> word(0, words.size() - 1);
        for (int64_t i = 0; i < prefix; ++i) request.text += words[word(prefix_rng)];
        for (int64_t i = prefix; i < n_prompt; ++i) request.text += words[word(rng)];
        return request;
    }
    for (int64_t i = 0; i < prefix; ++i) request.prompt.push_back(token(prefix_rng));
    while (static_cast<int64_t>(request.prompt.size()) < n_prompt) request.prompt.push_back(token(rng));
    return request;
}

std::unique_ptr<Executor> server_executor(serving::ServerSettings settings) {
    return std::make_unique<ServerExecutor>(std::move(settings));
}

std::unique_ptr<Executor> worker_executor(WorkerFactory factory, double timeout_s) {
    return std::make_unique<WorkerExecutor>(std::move(factory), timeout_s);
}

WorkerFactory native_workers(const std::string& executable, const SweepSpec& spec) {
    return [executable, run = spec.run()] { return std::make_unique<NativeWorker>(executable, run.numa, run.rpc); };
}

std::unique_ptr<Executor> llama_bench_executor(std::vector<llama_bench::LlamaBenchCli> clis, double timeout_s) {
    return std::make_unique<LlamaBenchExecutor>(std::move(clis), timeout_s);
}

const llama_bench::LlamaBenchCli& llama_bench_of(const LoadParams& load,
                                                 const std::vector<llama_bench::LlamaBenchCli>& clis) {
    if (clis.empty()) throw Error("internal: --engine llama-bench without a binary");
    const auto it = std::find_if(clis.begin(), clis.end(),
                                 [&](const llama_bench::LlamaBenchCli& c) { return c.path == load.llama_bench; });
    return it != clis.end() ? *it : clis.front();
}

std::vector<std::string> first_llama_bench_command(const SweepSpec& spec, const Plan& plan,
                                                   const std::vector<llama_bench::LlamaBenchCli>& clis) {
    const LlamaBenchVisit split = split_for_llama_bench(plan, plan.visits.front().tasks);
    const auto& batch = split.batches.front();
    return llama_bench::llama_bench_command(
        llama_bench_of(plan.points[batch.front()].load, clis), points_of(plan, batch),
        command_settings(spec, static_cast<int64_t>(split.tasks_of.at(batch.front()).size())));
}

llama_bench::CommandSettings command_settings(const SweepSpec& spec, int64_t repetitions) {
    return {repetitions, spec.warmup, spec.llama_bench_args};
}

} // namespace llmsweep::sweep
