// llmsweep bench: llama-bench's command line and output. Its tests (pp, tg, pg, at each depth), its order and
// warm-up, each test's row on stdout as soon as it is measured, in llama-bench's formats; every repetition is
// stored in the database as a run's are, so that report, compare and merge work on it.

#include "analysis/dataset.hpp"
#include "cli/command.hpp"
#include "cli/format.hpp"
#include "cli/progress.hpp"
#include "cli/sweep_command.hpp"
#include "cli/verdicts.hpp"
#include "core/error.hpp"
#include "core/escape.hpp"
#include "core/interrupt.hpp"
#include "domain/knobs.hpp"
#include "domain/llama_bench_fields.hpp"
#include "domain/parameter_names.hpp"
#include "engine/system_info.hpp"
#include "llama_bench/writer.hpp"
#include "store/store.hpp"
#include "sweep/orchestrator.hpp"
#include "sweep/plan.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <set>

namespace llmsweep::cli {
namespace {

struct BenchArgs {
    SettingFlags flags;
    std::string db = "benchmark_results.db";
    std::string output = "md";
    std::string output_err = "none";
    bool no_warmup = false;
    bool progress = false;
};

// Writes each result as soon as the store holds it complete (the recorder stores before it tells), to stdout
// and, with -oe, to stderr; errors and progress go to stderr.
class BenchObserver : public sweep::SweepObserver {
public:
    BenchObserver(store::Store& store, std::vector<llama_bench::TestWriter>& writers,
                  std::unique_ptr<sweep::SweepObserver> progress)
        : store_(store), writers_(writers), progress_(std::move(progress)) {}

    int64_t run_id() const { return run_id_; }

    void on_start(const sweep::SweepStart& start) override {
        run_id_ = start.run_id;
        if (progress_) progress_->on_start(start);
    }
    void on_task_start(const domain::Point& point, int64_t repetition) override {
        if (progress_) progress_->on_task_start(point, repetition);
    }
    void on_task_done(const sweep::TaskDone& done) override {
        if (progress_) progress_->on_task_done(done);
        if (done.status != "ok") {
            if (!progress_) say(stderr, "error: {}: {}\n", done.status, escape::terminal(done.error));
            return;
        }
        for (store::LlamaBenchRow& row : store_.read_llama_bench_rows(run_id_, written_)) {
            const llama_bench::WrittenTest test{std::move(row.fields), std::move(row.samples_ns),
                                                std::move(row.samples_ts)};
            for (llama_bench::TestWriter& writer : writers_) writer.write(test);
            written_.insert(row.result_id);
        }
    }
    void on_load_failed(const domain::LoadParams& load, const std::string& error) override {
        if (progress_) progress_->on_load_failed(load, error);
        else say(stderr, "error: the model could not be loaded: {}\n", escape::terminal(error));
    }
    void on_round_added(const sweep::RoundAdded& round) override {
        if (progress_) progress_->on_round_added(round);
    }

private:
    store::Store& store_;
    std::vector<llama_bench::TestWriter>& writers_;
    std::unique_ptr<sweep::SweepObserver> progress_;
    int64_t run_id_ = 0;
    std::set<int64_t> written_;
};

// The settings llama-bench's Markdown table shows: those given several values or one other than the default,
// the threads on a CPU backend and the GPU layers on another.
std::vector<std::string> shown_settings(const sweep::SweepSpec& spec, bool cpu_backend) {
    std::vector<std::string> shown;
    for (const std::string_view field : domain::llama_bench_markdown_settings()) {
        bool show = false;
        if (field == "n_threads") show = cpu_backend || spec.values_of(*domain::find_knob(param::n_threads)).size() > 1;
        else if (field == "n_gpu_layers")
            show = !cpu_backend || spec.values_of(*domain::find_knob(param::n_gpu_layers)).size() > 1;
        else
            for (const domain::Knob& knob : domain::knobs())
                if (knob.field == field) show = spec.values_of(knob) != std::vector{knob.default_text()};
        if (show) shown.emplace_back(field);
    }
    return shown;
}

// Whether the sweep gives a setting (not a test size) several values: then it ends with their verdicts.
bool compares_a_setting(const sweep::SweepSpec& spec) {
    for (const std::string_view name : analysis::parameter_list())
        if (!analysis::is_test_size(name) && sweep::swept_values(spec, name) > 1) return true;
    return false;
}

void bench(const BenchArgs& args) {
    SettingFlags flags = args.flags;
    if (flags.count("mode") && flags.at("mode") != std::vector<std::string>{"split"})
        throw UsageError("bench runs llama-bench's tests; for request or server mode use llmsweep run --mode");
    flags["mode"] = {"split"};
    if (!flags.count("order")) flags["order"] = {"grouped"}; // llama-bench's: each test's repetitions in a row
    if (args.no_warmup) {
        if (flags.count("warmup")) throw UsageError("--no-warmup and --warmup both set the warm-up; give one of them");
        flags["warmup"] = {"0"};
    }
    const auto output = llama_bench::parse_output_format(args.output, "-o");
    const auto output_err = llama_bench::parse_output_format(args.output_err, "-oe");
    const sweep::SweepSpec spec = spec_of("", flags);

    const engine::HostInfo host = engine::host_info();
    const engine::BuildInfo build = engine::build_info();
    const sweep::Plan plan = sweep::make_plan(spec, host.physical_cores);
    const std::string backends = engine::backends_used(build, !spec.run().rpc.empty());
    const bool cpu_backend = backends.find("CPU") != std::string::npos || backends.find("BLAS") != std::string::npos;
    const std::vector<std::string> shown = shown_settings(spec, cpu_backend);

    install_interrupt_handler();
    store::Store store(args.db);
    const auto claim = claim_spec(args.db, false, sweep::spec_key(spec));
    std::vector<llama_bench::TestWriter> writers;
    writers.emplace_back(output, stdout, shown);
    writers.emplace_back(output_err, stderr, shown);
    BenchObserver observer(store, writers,
                           args.progress ? make_progress_observer(ProgressStyle::lines, plan) : nullptr);
    // A new run each time, as each llama-bench is: nothing is resumed, and no roofs are measured before the
    // first test.
    const sweep::SweepOptions options{.fresh = true,
                                      .worker_executable = std::filesystem::read_symlink("/proc/self/exe").string(),
                                      .host = host,
                                      .build = build,
                                      .roofline = false};
    sweep::SweepOutcome outcome;
    try {
        outcome = sweep::run_sweep(spec, plan, store, options, observer);
    } catch (const Interrupted&) {
        for (llama_bench::TestWriter& writer : writers) writer.finish();
        say(stderr, "stopped: the tests measured are in {} (run {})\n", escape::terminal(args.db), observer.run_id());
        throw;
    }
    for (llama_bench::TestWriter& writer : writers) writer.finish();
    if (compares_a_setting(spec) && spec.repetitions > 1)
        print_verdicts(store, args.db, outcome.run_id, std::nullopt, own_command_line(), stderr);
    if (outcome.failures > 0)
        throw Error(fmt::format("{} of the tests failed (their errors are above, and in {} run {})", outcome.failures,
                                args.db, outcome.run_id));
}

} // namespace

Command add_bench_command(CLI::App& app) {
    auto args = std::make_shared<BenchArgs>();
    CLI::App* sub = app.add_subcommand(
        "bench", "llama-bench's command line and output, each test's row as it completes; every repetition stored");
    sub->footer("Takes llama-bench's options, defaults and tests: -p 512 -n 128 are pp512 and tg128 at depth 0, -pg\n"
                "is the combined test, -d the depth; five repetitions of each test in a row after a warm-up.\n"
                "Rows go to stdout in llama-bench's -o format (md, csv, json, jsonl, sql) as each test ends, with\n"
                "its fields and names, so that scripts written for llama-bench read them. Every repetition is also\n"
                "stored in --db, a new run each time: `llmsweep report` compares them with their intervals.\n\n"
                "Examples:\n"
                "  llmsweep bench -m model.gguf\n"
                "  llmsweep bench -m model.gguf -p 512 -n 128 -t 4,8 -o json > bench.json\n"
                "  llmsweep bench -m model.gguf -mmp 0,1 -r 10 --order rounds   (rounds cancel drift)");
    add_setting_options(*sub, std::shared_ptr<SettingFlags>(args, &args->flags));
    sub->add_option("-o,--output", args->output, "Output format on stdout: md, csv, json, jsonl, sql, none")
        ->capture_default_str();
    sub->add_option("--oe,--output-err", args->output_err, "Output format on stderr, as -o")->capture_default_str();
    sub->add_flag("--no-warmup", args->no_warmup, "No untimed run before each test's repetitions (--warmup 0)");
    sub->add_flag("--progress", args->progress, "Each repetition's progress on stderr");
    sub->add_option("--db", args->db, "SQLite database to store every repetition in")->capture_default_str();
    return {sub, [args] { bench(*args); }};
}

} // namespace llmsweep::cli
