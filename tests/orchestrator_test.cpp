// The orchestrator in-process, on scripted fake workers: the order tasks run in, what a resume runs after each
// kind of failure, how failures and progress are counted, and timeouts, in milliseconds and without a model.
// run_test.cpp keeps the end-to-end tests with real workers and a real llama-bench.

#include "analysis/comparison.hpp"
#include "core/error.hpp"
#include "faulty_disk.hpp"
#include "store/store.hpp"
#include "sweep/orchestrator.hpp"
#include "test_support.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <map>
#include <set>
#include <tuple>

namespace llmsweep::sweep {
namespace {

using namespace domain;

// What a fake worker does with a task: (n_prompt, repetition) -> behaviour; anything unscripted succeeds.
enum class Script { ok, fail, crash, hang, interrupt };

struct World {
    std::map<std::pair<int64_t, int64_t>, Script> tasks;
    Script load = Script::ok;
    // What happened, in order.
    std::vector<std::pair<int64_t, int64_t>> ran; // (n_prompt, repetition) of every run request
    std::vector<engine::RunRequest> requests;     // every run request as it came
    size_t workers = 0, loaded = 0, finished = 0, killed = 0;
    std::vector<std::string> log; // "start 0", "load 0", "finish 0": each worker's steps, by its number
    // The pp throughput a task measures, by load mode, n_prompt and repetition (tg: a tenth of it).
    std::function<double(LoadMode, int64_t, int64_t)> pp_ts = [](LoadMode, int64_t, int64_t) { return 1000.0; };
};

class FakeWorker : public Worker {
public:
    explicit FakeWorker(World& world) : world_(world), number_(world.workers++) {
        world_.log.push_back(fmt::format("start {}", number_));
    }

    LoadAnswer load(const LoadParams& load, double) override {
        ++world_.loaded;
        world_.log.push_back(fmt::format("load {}", number_));
        load_mode_ = load.load_mode;
        switch (world_.load) {
        case Script::fail: return {Answer::failed, {}, "llama.cpp could not load it"};
        case Script::crash: return {Answer::crashed, {}, "worker killed by signal 9 (Killed)"};
        case Script::hang: return {Answer::timeout, {}, "loading took more than 1 s"};
        default: return {Answer::ok, {.load_ms = 5.0, .file_bytes = 1000}, {}};
        }
    }

    RunAnswer run(const engine::RunRequest& request, double) override {
        world_.ran.emplace_back(request.test.n_prompt, request.repetition);
        world_.requests.push_back(request);
        const auto it = world_.tasks.find({request.test.n_prompt, request.repetition});
        switch (it == world_.tasks.end() ? Script::ok : it->second) {
        case Script::fail: return {Answer::failed, {}, "injected failure"};
        case Script::crash: return {Answer::crashed, {}, "worker killed by signal 6 (Aborted)"};
        case Script::hang: return {Answer::timeout, {}, "took more than 1 s; the worker was killed"};
        case Script::interrupt: throw Interrupted();
        case Script::ok: break;
        }
        const double ts = world_.pp_ts(load_mode_, request.test.n_prompt, request.repetition);
        engine::Measurement m;
        m.pp_ns = static_cast<int64_t>(1e9 * static_cast<double>(request.test.n_prompt) / ts);
        m.tg_ns = static_cast<int64_t>(1e10 * static_cast<double>(request.test.n_gen) / ts);
        return {Answer::ok, m, {}};
    }

    Exit finish(bool kill) override {
        world_.log.push_back(fmt::format("finish {}", number_));
        ++world_.finished;
        world_.killed += kill ? 1 : 0;
        return {1 << 20, 0.0};
    }

private:
    World& world_;
    size_t number_;
    LoadMode load_mode_ = LoadMode::mmap;
};

struct Events : SweepObserver {
    std::vector<TaskDone> done;
    size_t loads_failed = 0;
    SweepStart start;
    void on_start(const SweepStart& s) override { start = s; }
    void on_task_done(const TaskDone& d) override { done.push_back(d); }
    void on_load_failed(const LoadParams&, const std::string&) override { ++loads_failed; }
    std::vector<RoundAdded> rounds;
    void on_round_added(const RoundAdded& r) override { rounds.push_back(r); }
};

class Orchestrator : public ::testing::Test {
protected:
    Orchestrator() : store_path((dir / "o.db").string()) {
        spec.models = {"/models/fake.gguf"};
        spec.knobs["n_prompt"] = {"8", "16", "32"};
        spec.knobs["n_gen"] = {"4"};
        spec.repetitions = 3;
        spec.timeout_s = 1;
    }

    SweepOutcome run(World& world, Events& events, bool fresh = false) {
        plan = make_plan(spec, 1);
        store::Store store(store_path);
        const auto executor = worker_executor([&world] { return std::make_unique<FakeWorker>(world); }, spec.timeout_s);
        SweepOptions options{.fresh = fresh};
        return run_sweep(spec, plan, store, options, events, *executor);
    }

    int64_t count(const std::string& sql) {
        store::Database db(store_path, store::Database::Mode::read_only);
        store::Statement s(db, sql);
        EXPECT_TRUE(s.step());
        return s.column_int(0);
    }

    test::TempDir dir;
    std::string store_path;
    SweepSpec spec;
    Plan plan;
};

// In rounds order a visit's tests with the same context settings share one context, as large as the largest of
// them needs, and one warm-up, the largest prompt and a token; in grouped order (llama-bench's) each test has its
// own. The run's row says where its time went, its timed part the samples' own times.
TEST_F(Orchestrator, AVisitsTestsShareOneContextInRoundsOrderAndNotInGrouped) {
    spec.knobs["n_threads"] = {"1", "2"};
    spec.knobs["n_depth"] = {"0", "8"};
    World world;
    Events events;
    const SweepOutcome outcome = run(world, events);
    ASSERT_EQ(world.requests.size(), 3u * 2 * 2 * 3);
    for (const engine::RunRequest& r : world.requests) {
        ASSERT_TRUE(r.shared_n_ctx && r.shared_warmup) << "rounds order shares";
        EXPECT_EQ(*r.shared_n_ctx, 8 + 32 + 4) << "the deepest, longest test of the context's";
        EXPECT_EQ(r.shared_warmup->n_prompt, 32);
        EXPECT_EQ(r.shared_warmup->n_gen, 1);
    }
    // Where the time went: the timed part is the samples' own, the loads the workers' (5 ms each here).
    const Phases& p = outcome.phases;
    store::Database db(store_path, store::Database::Mode::read_only);
    store::Statement sums(db, "SELECT (SELECT sum(ns) FROM samples) / 1e9, wall_s, timed_s, load_s FROM runs");
    ASSERT_TRUE(sums.step());
    EXPECT_NEAR(p.timed_s, sums.column_double(0), 1e-6);
    EXPECT_NEAR(sums.column_double(2), p.timed_s, 1e-6);
    EXPECT_NEAR(sums.column_double(1), p.wall_s, 1e-6);
    EXPECT_NEAR(p.load_s, 0.005 * static_cast<double>(plan.visits.size()), 1e-9);
    EXPECT_GT(p.wall_s, 0);
    // The fake's times are made up (seconds of tests in milliseconds of wall time): impossible, and said so; what
    // real sweeps add up to is checked in run_test.
    EXPECT_FALSE(p.possible()) << p.timed_s << " s timed in " << p.wall_s << " s";
    Phases real{.wall_s = 10, .timed_s = 7, .load_s = 2.9};
    EXPECT_TRUE(real.possible());
    real.load_s = 3.2;
    EXPECT_FALSE(real.possible());
    EXPECT_NEAR(sums.column_double(3), p.load_s, 1e-9);

    World grouped;
    spec.order = Order::grouped;
    run(grouped, events, true);
    ASSERT_FALSE(grouped.requests.empty());
    for (const engine::RunRequest& r : grouped.requests)
        EXPECT_FALSE(r.shared_n_ctx || r.shared_warmup) << "llama-bench's context and warm-up per test";
}

TEST_F(Orchestrator, RunsEveryTaskOnceInThePlansOrder) {
    World world;
    Events events;
    const SweepOutcome outcome = run(world, events);
    std::vector<std::pair<int64_t, int64_t>> planned;
    for (const Visit& v : plan.visits)
        for (const Task& t : v.tasks) planned.emplace_back(plan.points[t.point].test.n_prompt, t.repetition);
    EXPECT_EQ(world.ran, planned);
    EXPECT_EQ(outcome.tasks_run, 9u);
    EXPECT_EQ(outcome.failures, 0u);
    EXPECT_EQ(world.loaded, plan.visits.size()) << "one worker per visit";
    EXPECT_EQ(world.finished, world.workers);
    EXPECT_EQ(world.killed, 0u);
    EXPECT_EQ(count("SELECT count(*) FROM samples"), 9 * 2);
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE status = 'ok' AND repetitions = 3"), 6);
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE metric = 'pp' AND avg_ts = 1000"), 3);
    ASSERT_EQ(events.done.size(), 9u);
    for (size_t i = 0; i < events.done.size(); ++i) EXPECT_EQ(events.done[i].tasks_done, i + 1);
    // The rounds order: each round runs repetition r of every point.
    for (size_t i = 0; i < world.ran.size(); ++i) EXPECT_EQ(world.ran[i].second, static_cast<int64_t>(i / 3));
}

// Each visit's worker is started as the visit before it ends (its start runs beside that worker's exit, where
// nothing is timed), and loads once that worker has ended; the one started after the last visit ends unused.
TEST_F(Orchestrator, TheNextVisitsWorkerStartsAsThePreviousOneEnds) {
    World world;
    Events events;
    run(world, events);
    const size_t visits = plan.visits.size();
    ASSERT_GE(visits, 2u);
    ASSERT_EQ(world.workers, visits + 1);
    const auto at = [&](const std::string& step) {
        const auto it = std::find(world.log.begin(), world.log.end(), step);
        EXPECT_NE(it, world.log.end()) << step;
        return it - world.log.begin();
    };
    for (size_t i = 1; i <= visits; ++i) {
        EXPECT_LT(at(fmt::format("load {}", i - 1)), at(fmt::format("start {}", i)));
        EXPECT_LT(at(fmt::format("start {}", i)), at(fmt::format("finish {}", i - 1)));
        if (i < visits) EXPECT_LT(at(fmt::format("finish {}", i - 1)), at(fmt::format("load {}", i)));
    }
    EXPECT_EQ(std::count(world.log.begin(), world.log.end(), fmt::format("load {}", visits)), 0);
    EXPECT_EQ(world.log.back(), fmt::format("finish {}", visits)) << "ended before the run ends";
    EXPECT_EQ(world.killed, 0u);
}

TEST_F(Orchestrator, ACrashCostsItsPointAndANewWorkerTakesTheRest) {
    spec.order = Order::grouped; // one visit: every task on one worker, unless it dies
    World world;
    world.tasks[{16, 0}] = Script::crash;
    Events events;
    const SweepOutcome outcome = run(world, events);
    EXPECT_EQ(outcome.failures, 1u);
    EXPECT_EQ(outcome.tasks_run, 6u);
    EXPECT_EQ(world.loaded, 2u);
    EXPECT_EQ(world.killed, 1u);
    EXPECT_EQ(std::count(world.ran.begin(), world.ran.end(), std::make_pair(int64_t{16}, int64_t{1})), 0)
        << "a crashed point's later repetitions are not run";
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE status = 'crashed' AND error LIKE '%signal 6%'"), 2);
    ASSERT_FALSE(events.done.empty());
    EXPECT_EQ(events.done.back().tasks_done, 9u) << "the crashed point's three tasks count as done";
}

TEST_F(Orchestrator, ATimeoutIsRecordedAsSuchAndAFailureKeepsTheWorker) {
    spec.order = Order::grouped;
    World world;
    world.tasks[{8, 1}] = Script::hang;
    world.tasks[{32, 0}] = Script::fail;
    Events events;
    const SweepOutcome outcome = run(world, events);
    EXPECT_EQ(outcome.failures, 2u);
    EXPECT_EQ(world.loaded, 2u) << "the hang took a worker, the failure did not";
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE status = 'timeout' AND n_prompt = 8"), 2);
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE status = 'failed' AND error = 'injected failure'"), 2);
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE status = 'ok' AND n_prompt = 16 AND repetitions = 3"), 2);
    // A timed-out point keeps the repetition it had: rep 0 of p8 was measured.
    EXPECT_EQ(count("SELECT count(*) FROM samples JOIN results ON results.id = samples.result_id "
                    "WHERE results.n_prompt = 8"),
              2);
}

TEST_F(Orchestrator, AFailedLoadFailsEachPointOnce) {
    for (const Order order : {Order::grouped, Order::rounds}) {
        SCOPED_TRACE(std::string(name(order)));
        spec.order = order;
        World world;
        world.load = Script::fail;
        Events events;
        const SweepOutcome outcome = run(world, events, true);
        EXPECT_EQ(outcome.failures, 3u);
        EXPECT_EQ(outcome.tasks_run, 0u);
        EXPECT_TRUE(world.ran.empty());
        ASSERT_FALSE(events.done.empty());
        EXPECT_EQ(events.done.back().tasks_done, 9u);
        for (const auto& d : events.done) EXPECT_LE(d.tasks_done, d.tasks_total);
        EXPECT_EQ(events.loads_failed, 1u) << "the first load's failure fails every point";
    }
}

TEST_F(Orchestrator, AResumeRunsExactlyWhatIsMissingAfterEachKindOfStop) {
    // Stopped by Ctrl-C at the fourth task, then by a crash of the whole visit's worker, then finished.
    World first;
    first.tasks[{32, 1}] = Script::interrupt;
    Events events;
    EXPECT_THROW(run(first, events), Interrupted);
    EXPECT_EQ(count("SELECT count(*) FROM runs WHERE status = 'interrupted'"), 1);
    const int64_t stored = count("SELECT count(*) FROM samples");
    EXPECT_EQ(stored, static_cast<int64_t>(first.ran.size() - 1) * 2);

    World second;
    Events resumed;
    const SweepOutcome outcome = run(second, resumed);
    EXPECT_TRUE(resumed.start.resumed);
    EXPECT_EQ(resumed.start.tasks_done, first.ran.size() - 1);
    EXPECT_EQ(second.ran.size(), 9 - (first.ran.size() - 1)) << "only the missing tasks run";
    for (const auto& task : second.ran)
        EXPECT_EQ(std::count(first.ran.begin(), first.ran.end() - 1, task), 0) << "no task runs twice";
    EXPECT_EQ(outcome.tasks_run, second.ran.size());
    EXPECT_EQ(count("SELECT count(*) FROM runs"), 1) << "the same run, resumed";
    EXPECT_EQ(count("SELECT count(*) FROM samples"), 9 * 2);
    EXPECT_EQ(count("SELECT count(*) FROM runs WHERE status = 'finished'"), 1);

    // Finished: the same spec again runs nothing.
    World third;
    Events again;
    EXPECT_TRUE(run(third, again).already_complete);
    EXPECT_TRUE(third.ran.empty());
}

// A disk that fills at any one of a sweep's writes (the run's row, a load, a sample, a result's statistics, a
// commit): the sweep stops at once with the store's error, which says what to do, and the database is whole and
// keeps every measurement it had committed; with space again, the same sweep runs exactly the tasks it lacked.
TEST_F(Orchestrator, ADiskThatFillsAtAnyWriteLosesNothingCommittedAndTheSweepResumes) {
    test::FaultyDisk disk;
    {
        World world;
        Events events;
        run(world, events);
    }
    const int64_t writes = disk.writes();
    ASSERT_GT(writes, 20) << "the sweep's writes went through the faulty disk";
    for (int64_t write = 1; write <= writes; ++write) {
        SCOPED_TRACE(fmt::format("the disk full at write {} of {}", write, writes));
        store_path = (dir / fmt::format("full-{}.db", write)).string();
        const auto full = disk.attempt_full_at(write, [&] {
            World first;
            Events events;
            run(first, events);
        });
        if (full.failed)
            EXPECT_NE(full.error.find("the disk is full; free some space"), std::string::npos) << full.error;
        // At once: the failed write, and at most the run's status and the closing checkpoint tried after it (not
        // a wait that retries, as for a lock).
        EXPECT_GE(full.failed_writes, 1);
        EXPECT_LE(full.failed_writes, 3);
        if (!full.failed) {
            // The write came after the sweep's last commit (the checkpoint as the store closed): the WAL keeps
            // what it would have copied, and the database holds the whole sweep.
            EXPECT_EQ(count("SELECT count(*) FROM samples"), 9 * 2);
            EXPECT_EQ(count("SELECT count(*) FROM runs WHERE status = 'finished'"), 1);
            continue;
        }
        if (!std::filesystem::exists(store_path)) continue; // full before the database had a page
        int64_t stored = 0;
        {
            store::Database db(store_path, store::Database::Mode::existing);
            store::Statement check(db, "PRAGMA integrity_check");
            ASSERT_TRUE(check.step());
            EXPECT_EQ(check.column_text(0), "ok");
            store::Statement tables(db, "SELECT count(*) FROM sqlite_master WHERE name = 'samples'");
            if (tables.step() && tables.column_int(0) == 1) {
                store::Statement samples(db, "SELECT count(*) FROM samples");
                if (samples.step()) stored = samples.column_int(0);
            }
        }
        EXPECT_EQ(stored % 2, 0) << "a task's pp and tg samples are stored together or not at all";
        World second;
        Events resumed;
        run(second, resumed);
        EXPECT_EQ(second.ran.size(), static_cast<size_t>(9 - stored / 2)) << "only what was not stored runs again";
        EXPECT_EQ(count("SELECT count(*) FROM samples"), 9 * 2);
        EXPECT_EQ(count("SELECT count(*) FROM results WHERE status = 'ok' AND repetitions = 3"), 6);
        EXPECT_EQ(count("SELECT count(*) FROM runs WHERE status = 'finished'"), 1);
    }
}

TEST_F(Orchestrator, AResumeAfterFailuresDoesNotRetryFinalPoints) {
    World first;
    first.tasks[{8, 0}] = Script::crash;
    first.tasks[{16, 2}] = Script::interrupt;
    Events events;
    EXPECT_THROW(run(first, events), Interrupted);
    World second;
    Events resumed;
    run(second, resumed);
    for (const auto& task : second.ran) EXPECT_NE(task.first, 8) << "the crashed point is final";
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE status = 'crashed'"), 2);
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE status = 'ok' AND repetitions = 3"), 4);
}

TEST_F(Orchestrator, FixedRepetitionsRecordWhyEveryPointStopped) {
    World world;
    Events events;
    run(world, events);
    EXPECT_TRUE(events.rounds.empty());
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE stop_reason = 'repetitions'"), 6);
    EXPECT_EQ(count("SELECT count(*) FROM runs WHERE max_repetitions IS NULL"), 1);
}

// Adaptive rounds for a mean known to +-2 %, 3 to 6 repetitions, where p8 swings 10 % from one repetition to
// the next (it never gets there) and every other point holds still.
class AdaptiveOrchestrator : public Orchestrator {
protected:
    AdaptiveOrchestrator() {
        spec.max_repetitions = 6;
        spec.target_ci_pct = 2;
    }
    static double noisy_p8(LoadMode, int64_t n_prompt, int64_t rep) {
        return n_prompt == 8 ? 1000.0 * (1 + 0.1 * (rep % 2 == 0 ? 1 : -1)) : 1000.0 + static_cast<double>(rep % 2);
    }
};

// Only the noisy point gets more rounds, up to the limit; the quiet ones stop at -r with their rule met.
TEST_F(AdaptiveOrchestrator, AddedRoundsRunOnlyThePointsThatNeedThem) {
    World world;
    world.pp_ts = noisy_p8;
    Events events;
    const SweepOutcome outcome = run(world, events);
    EXPECT_EQ(outcome.tasks_run, 9u + 3u);
    for (const auto& [n_prompt, rep] : world.ran)
        if (rep >= 3) EXPECT_EQ(n_prompt, 8) << "a point already precise runs no added round";
    ASSERT_EQ(events.rounds.size(), 3u);
    EXPECT_EQ(events.rounds[0].round, 3);
    EXPECT_EQ(events.rounds[0].points, 1u);
    EXPECT_EQ(events.rounds.back().tasks_total, 12u);
    EXPECT_EQ(events.done.back().tasks_done, 12u);
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE n_prompt = 8 AND repetitions = 6 AND "
                    "stop_reason = 'max_repetitions'"),
              2);
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE n_prompt != 8 AND repetitions = 3 AND "
                    "stop_reason = 'rule_met'"),
              4);
    EXPECT_EQ(count("SELECT count(*) FROM runs WHERE max_repetitions = 6 AND target_ci_pct = 2 AND decide IS NULL"), 1);
}

// Adaptive rounds to decide a comparison: a clear effect under noise is decided before the limit, on every point
// of the comparison alike, and the report's own analysis of what was stored agrees; no effect under noise far
// beyond the margin is not, and is out of reach by the limit: every point stops within a few looks without it.
TEST_F(Orchestrator, AddedRoundsStopWhenTheComparisonIsDecided) {
    spec.knobs["load_mode"] = {"none", "mmap"};
    spec.decide = {"load_mode"};
    spec.max_repetitions = 12;
    // Visit noise of a few percent, the same for every point of a visit; mmap 15 % faster.
    const auto noise = [](LoadMode mode, int64_t rep) {
        return 1 + 0.04 * std::sin(1.7 * static_cast<double>(rep) + (mode == LoadMode::mmap ? 2.0 : 0.0));
    };
    for (const double effect : {0.15, 0.0}) {
        SCOPED_TRACE(effect);
        World world;
        world.pp_ts = [&](LoadMode mode, int64_t n_prompt, int64_t rep) {
            const double scale = effect == 0 ? 5.0 : 1.0; // no effect: noise far beyond the 2 % margin
            return static_cast<double>(n_prompt) * (mode == LoadMode::mmap ? 1 + effect : 1.0) *
                   (1 + scale * (noise(mode, rep) - 1));
        };
        Events events;
        run(world, events, true);
        const int64_t run_id = count("SELECT max(id) FROM runs");
        const int64_t most = count(fmt::format("SELECT max(repetitions) FROM results WHERE run_id = {}", run_id));
        EXPECT_EQ(count(fmt::format("SELECT min(repetitions) FROM results WHERE run_id = {}", run_id)), most)
            << "every point of the comparison gets every round";
        if (effect > 0) {
            EXPECT_GT(most, 3) << "not decided by the first look";
            EXPECT_LT(most, 12) << "decided before the limit";
            EXPECT_EQ(count(fmt::format("SELECT count(*) FROM results WHERE run_id = {} AND stop_reason = 'rule_met'",
                                        run_id)),
                      12);
            store::Store store(store_path, store::Store::Access::read_only);
            const auto data = analysis::load_dataset(store, {.run_id = run_id});
            const auto looks = analysis::Looks{3, 12};
            for (const auto& c : analysis::compare_paired(data, "load_mode", std::nullopt, 2.0, looks))
                EXPECT_EQ(c.verdict, analysis::Verdict::faster) << c.metric;
        } else {
            EXPECT_LE(most, 5) << "no rounds added for a verdict out of reach";
            EXPECT_EQ(count(fmt::format(
                          "SELECT count(*) FROM results WHERE run_id = {} AND stop_reason = 'out_of_reach'", run_id)),
                      12);
            store::Store store(store_path, store::Store::Access::read_only);
            const auto data = analysis::load_dataset(store, {.run_id = run_id});
            for (const auto& c : analysis::compare_paired(data, "load_mode", std::nullopt, 2.0, analysis::Looks{3, 12}))
                EXPECT_EQ(c.verdict, analysis::Verdict::inconclusive) << c.metric;
        }
    }
}

// Interrupted in an added round, the resumed run makes the same decisions from what was stored: it runs only
// what is missing, and ends where an uninterrupted run ends.
TEST_F(AdaptiveOrchestrator, AResumeInAnAddedRoundRunsTheSameRounds) {
    World first;
    first.pp_ts = noisy_p8;
    first.tasks[{8, 4}] = Script::interrupt;
    Events events;
    EXPECT_THROW(run(first, events), Interrupted);
    World second;
    second.pp_ts = noisy_p8;
    Events resumed;
    run(second, resumed);
    EXPECT_EQ(second.ran, (std::vector<std::pair<int64_t, int64_t>>{{8, 4}, {8, 5}}));
    EXPECT_EQ(count("SELECT count(*) FROM samples"), (9 + 3) * 2);
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE stop_reason = 'max_repetitions'"), 2);
    EXPECT_EQ(count("SELECT count(*) FROM runs WHERE status = 'finished'"), 1);
}

// A failure in an added round ends the point's rounds but keeps what it measured: it stays ok.
TEST_F(AdaptiveOrchestrator, AFailureInAnAddedRoundKeepsThePointsRepetitions) {
    World world;
    world.pp_ts = noisy_p8;
    world.tasks[{8, 4}] = Script::fail;
    Events events;
    run(world, events);
    EXPECT_EQ(std::count(world.ran.begin(), world.ran.end(), std::make_pair(int64_t{8}, int64_t{5})), 0);
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE n_prompt = 8 AND status = 'ok' AND repetitions = 4 AND "
                    "stop_reason = 'failed' AND error LIKE 'repetition 5: failed: injected failure'"),
              2);
}

} // namespace
} // namespace llmsweep::sweep
