#include "analysis/comparison.hpp"
#include "analysis/dataset.hpp"
#include "cli/command.hpp"
#include "cli/format.hpp"
#include "cli/progress.hpp"
#include "cli/summary.hpp"
#include "cli/sweep_command.hpp"
#include "cli/verdicts.hpp"
#include "core/child_process.hpp"
#include "core/error.hpp"
#include "core/escape.hpp"
#include "core/interrupt.hpp"
#include "core/text.hpp"
#include "domain/parameter_names.hpp"
#include "engine/llama_process.hpp"
#include "engine/model_profile.hpp"
#include "engine/system_info.hpp"
#include "engine/worker.hpp"
#include "llama_bench/flags.hpp"
#include "store/claim.hpp"
#include "store/store.hpp"
#include "sweep/orchestrator.hpp"
#include "sweep/plan.hpp"
#include "sweep/roofline.hpp"
#include "sweep/spec.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <unistd.h>

namespace llmsweep::cli {
namespace {

struct RunArgs {
    std::string spec_file;
    SettingFlags flags;
    std::string db = "benchmark_results.db";
    bool fresh = false;
    bool dry_run = false;
    bool quiet = false;
    bool strict = false;
    bool wait = false;
    bool no_roofline = false;
    std::string compare; // the parameter whose verdicts the sweep ends with; empty: the one swept
};

} // namespace

// This process's command line, each word quoted for the shell: what the user typed, to add flags to.
std::string own_command_line() {
    const std::string raw = read_text_file("/proc/self/cmdline");
    std::vector<std::string> words = split(raw, std::string_view("\0", 1));
    if (!words.empty() && words.back().empty()) words.pop_back();
    if (!words.empty()) words.front() = "llmsweep";
    std::string line;
    for (const std::string& word : words) line += (line.empty() ? "" : " ") + shell_word(word);
    return line;
}

namespace {

std::string flag_name(std::string_view key) {
    std::string flag(key);
    for (char& c : flag) c = c == '_' ? '-' : c;
    return "--" + flag;
}

// llama-bench's spelling of a setting as a CLI11 name ("-p," or "--ub,": app.cpp reads -ub as --ub), so that
// its command lines carry over.
std::string short_names(std::string_view key) {
    const std::string_view flag = llama_bench::flag_for(key);
    if (flag.empty() || key == "mmap") return ""; // -mmp is read as --mmap itself
    if (flag.size() == 2) return std::string(flag) + ",";
    const std::string long_name = "-" + std::string(flag);
    return long_name == flag_name(key) ? "" : long_name + ","; // -rpc is read as --rpc itself
}

void print_plan(const sweep::SweepSpec& spec, const sweep::Plan& plan, store::Store* store,
                const engine::HostInfo& host) {
    const bool server = spec.mode == domain::Mode::server;
    const size_t visits = plan.visits.size();
    size_t results = 0, with_images = 0;
    for (const domain::Point& point : plan.points) {
        results += domain::metrics_of(point, spec.mode).size();
        with_images += point.test.has_image();
    }
    say("{} ({}) in {}; {} each: {} in {}, {} order, {} mode, seed {}\n", counted(plan.points.size(), "point"),
        counted(results, "result"), counted(plan.groups.size(), "load group"), counted(spec.repetitions, "repetition"),
        counted(plan.n_tasks(), "measurement"),
        !server                    ? counted(visits, "worker load")
        : spec.serving.url.empty() ? counted(visits, "llama-server start")
                                   : counted(visits, "visit of the server at --url", "visits of the server at --url"),
        sweep::name(spec.order), domain::name(spec.mode), spec.seed);
    if (spec.shard) {
        // Every shard's tests and share of the work, so that the N commands can be checked before they run.
        const auto tests = sweep::tests_of(spec);
        const auto shards = sweep::shard_tests(tests, spec.shard->second);
        const auto work = [&](size_t t) { return sweep::test_work(tests[t]); };
        double total = 0;
        for (size_t t = 0; t < tests.size(); ++t) total += work(t);
        for (size_t k = 0; k < shards.size(); ++k) {
            std::vector<std::string> sizes;
            double share = 0;
            for (const size_t t : shards[k]) {
                const auto& test = tests[t];
                sizes.push_back(fmt::format("p{}+n{}{}", test.n_prompt, test.n_gen,
                                            test.n_depth ? fmt::format("@d{}", test.n_depth) : ""));
                share += work(t);
            }
            say("{} shard {}/{}: {} test{} ({}), {:.0f} % of the estimated work\n",
                static_cast<int64_t>(k + 1) == spec.shard->first ? "*" : " ", k + 1, shards.size(), shards[k].size(),
                shards[k].size() == 1 ? "" : "s", fmt::join(sizes, ", "), total > 0 ? 100 * share / total : 0);
        }
    }
    if (spec.adaptive()) {
        std::vector<std::string> rules;
        if (spec.target_ci_pct > 0)
            rules.push_back(fmt::format("each result's mean known to +-{} % (95 % interval)", spec.target_ci_pct));
        if (!spec.decide.empty())
            rules.push_back(fmt::format("every comparison of {} faster, slower or equivalent at +-{} %",
                                        fmt::join(spec.decide, ", "),
                                        spec.margin_pct.value_or(analysis::default_margin_pct)));
        say("then rounds added, up to {} repetitions, for the points that still need them, until {}\n",
            spec.max_repetitions, fmt::join(rules, " and "));
    }
    // Estimated time from earlier measurements of the same points, where the database has them.
    double known_s = 0;
    size_t known = 0;
    if (store) {
        for (const auto& point : plan.points) {
            if (const auto ns = store->measured_ns(point.key(spec.mode))) {
                known_s += *ns / 1e9 * static_cast<double>(spec.repetitions + spec.warmup);
                ++known;
            }
        }
    }
    if (known == plan.points.size()) {
        known_s += sweep::visits_seconds(spec, plan, store);
        say("estimated time: {:.0f} s, from earlier runs of the same points and loads\n", known_s);
    } else if (known > 0) {
        say("estimated time: {:.0f} s for the {} points measured before; {} have no earlier measurement\n", known_s,
            known, plan.points.size() - known);
    } else {
        // None measured before: from the models' costs per token and the machine's roofs.
        const auto estimate = sweep::estimate_from_roofline(spec, plan, store, host, engine::build_info().llama_commit);
        std::vector<std::string> figures;
        for (const auto& m : estimate.machines) {
            std::vector<std::string> matmul;
            for (const auto& [type, gflops] : m.matmul_gflops) matmul.push_back(fmt::format("{} {:.0f}", type, gflops));
            figures.push_back(fmt::format("{} thread{}: read {:.1f} GB/s, matrix multiplication {} GFLOP/s", m.threads,
                                          m.threads == 1 ? "" : "s", m.read_gbs, fmt::join(matmul, ", ")));
        }
        if (estimate.points == 0)
            say("estimated time: unknown (no earlier measurement of these points, and no roofline figures of "
                "this machine yet: the sweep measures them after its last point)\n");
        else
            say("estimated time: about {:.0f} s from the roofline{} (the models' costs per token at {:.0f} % "
                "of the read bandwidth in token generation and {:.0f} % of the matrix multiplication in "
                "prompts, typical shares; {})\n",
                estimate.seconds, estimate.points_without ? fmt::format(" for {} of the points", estimate.points) : "",
                100 * domain::typical_bandwidth_share, 100 * domain::typical_compute_share, fmt::join(figures, "; "));
        if (with_images > 0)
            say("  without the images of {}: the roofline knows the decoder, not the vision tower (an image can "
                "take most of a request: docs/benchmarks.md)\n",
                counted(with_images, "point"));
    }
}

// GPU layer counts that mean the same on a model (-ngl 99 and -1 both offload every layer of a smaller model) are
// one setting: the report pairs on what they came to, so the sweep measures the same thing twice. Said before
// the sweep starts, not refused (the user may mean to).
void warn_same_gpu_layers(const sweep::SweepSpec& spec) {
    const std::vector<std::string> layers = spec.values_of(*domain::find_knob(param::n_gpu_layers));
    if (layers.size() < 2) return;
    for (const std::string& model : spec.models) {
        const auto tensors = engine::read_model_tensors(model);
        if (!tensors) continue;
        std::vector<int64_t> all;
        for (const std::string& n : layers)
            if (domain::effective_gpu_layers(std::stoll(n), tensors->shape.n_layer) == -1) all.push_back(std::stoll(n));
        if (all.size() > 1)
            say(stderr,
                "note: -ngl {} all offload every layer of {} ({} layers and the output): they are one setting, "
                "measured {} times, and the report counts them as one value\n",
                fmt::join(all, ","), escape::terminal(std::filesystem::path(model).filename().string()),
                tensors->shape.n_layer, all.size());
    }
}

// How server mode starts its servers: the binary given, else the llama-server built with llmsweep, else PATH's.
// The folder llama-server's logs go to: made by mkdtemp (its owner's alone, under a name nobody could plant a link
// at), removed when the sweep ends with every point measured, kept and named when one failed or the sweep did.
class ServerLogFolder {
public:
    ServerLogFolder() {
        std::string name = (std::filesystem::temp_directory_path() / "llmsweep-servers-XXXXXX").string();
        if (!mkdtemp(name.data()))
            throw Error(fmt::format("cannot make a folder for llama-server's logs in {}: {}",
                                    std::filesystem::temp_directory_path().string(), std::strerror(errno)));
        path_ = name;
    }
    ~ServerLogFolder() {
        std::error_code ignored;
        if (!keep_) std::filesystem::remove_all(path_, ignored);
        else say(stderr, "llama-server's logs are kept in {}\n", escape::terminal(path_.string()));
    }
    ServerLogFolder(const ServerLogFolder&) = delete;
    ServerLogFolder& operator=(const ServerLogFolder&) = delete;
    const std::filesystem::path& path() const { return path_; }
    void keep() { keep_ = true; }

private:
    std::filesystem::path path_;
    bool keep_ = false;
};

// `log_folder`: where their logs go (none for --dry-run).
serving::ServerSettings server_settings(const sweep::SweepSpec& spec, const std::filesystem::path& log_folder = {}) {
    serving::ServerSettings settings;
    if (spec.mode != domain::Mode::server || !spec.serving.url.empty()) return settings;
    settings.binary = spec.serving.llama_server;
    if (settings.binary.empty() && std::filesystem::exists(LLMSWEEP_LLAMA_SERVER))
        settings.binary = LLMSWEEP_LLAMA_SERVER;
    if (settings.binary.empty()) settings.binary = find_on_path("llama-server");
    if (settings.binary.empty())
        throw UsageError(std::string("--mode server needs llama-server: pass --llama-server /path/to/llama-server, "
                                     "or put it on PATH") +
                         (std::string_view(LLMSWEEP_LLAMA_SERVER).empty()
                              ? ""
                              : fmt::format(", or build it from llmsweep's llama.cpp: cmake --build {} --target "
                                            "llama-server",
                                            escape::shell(LLMSWEEP_BUILD_DIR))));
    settings.extra_args = spec.serving.llama_server_args;
    // Each server's log, for the reason a server failed.
    settings.log_folder = log_folder;
    return settings;
}

// The claim on this spec in the database: taken now, or waited for with --wait; another sweep of the same spec
// running into it is an error that says who runs it.
} // namespace

store::Claim claim_spec(const std::string& db, bool wait, const std::string& key) {
    bool told = false;
    while (true) {
        store::ClaimHolder holder;
        if (auto claim = store::Claim::try_take(db, key, &holder)) return std::move(*claim);
        const std::string who =
            fmt::format("process {} on {} since {}", holder.pid, holder.host.empty() ? "an unknown host" : holder.host,
                        holder.since.empty() ? "an unknown time" : holder.since);
        if (!wait)
            throw Error(fmt::format("this sweep is already being run into {} by {}; let it finish (the same command "
                                    "afterwards reports it complete), or pass --wait to continue when it has",
                                    db, who),
                        ExitCode::busy);
        if (!told)
            say(stderr, "waiting: this sweep is being run into {} by {}\n", escape::terminal(db),
                escape::terminal(who));
        told = true;
        throw_if_interrupted();
        usleep(200 * 1000);
    }
}

sweep::SweepSpec spec_of(const std::string& spec_file, const SettingFlags& flags) {
    sweep::SweepSpec spec;
    if (!spec_file.empty()) {
        if (std::filesystem::is_directory(spec_file))
            throw UsageError(fmt::format("'{}' is a folder; pass a TOML sweep file", spec_file));
        if (!std::filesystem::is_regular_file(spec_file))
            throw UsageError(fmt::format("sweep file '{}' does not exist", spec_file));
        sweep::read_toml(spec_file, spec);
    }
    if (flags.count("mmap") && flags.count(param::load_mode))
        throw UsageError(fmt::format("--mmap {} and --load-mode {} both set the load mode; give one of them "
                                     "(--mmap 0,1 is --load-mode none,mmap)",
                                     fmt::join(flags.at("mmap"), ","), fmt::join(flags.find(param::load_mode)->second, ",")));
    for (const auto& [key, texts] : flags) sweep::find_setting(key).assign(spec, texts);
    // A server that is already running: its model is named by -m where given, else by its URL.
    if (!spec.serving.url.empty() && spec.models.empty()) spec.models = {spec.serving.url};
    sweep::validate(spec);
    warn_same_gpu_layers(spec);
    return spec;
}

void add_setting_options(CLI::App& sub, const std::shared_ptr<SettingFlags>& flags) {
    for (const sweep::Setting& setting : sweep::settings()) {
        // An older name first (--threads, --cache: what llama-bench's users and older scripts type), then the
        // column's.
        const std::string names = short_names(setting.key) +
                                  (setting.alias.empty() ? "" : flag_name(setting.alias) + ",") +
                                  flag_name(setting.key);
        const std::string key(setting.key);
        auto* option = sub.add_option_function<std::vector<std::string>>(
            names,
            [flags, key](const std::vector<std::string>& texts) {
                auto& list = (*flags)[key];
                list.insert(list.end(), texts.begin(), texts.end());
            },
            std::string(setting.help));
        option->type_size(1)->allow_extra_args(false)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
        option->type_name(setting.is_list ? "LIST" : "VALUE");
        if (!setting.is_list) option->multi_option_policy(CLI::MultiOptionPolicy::Throw);
    }
}

namespace {

// "21.8 s, 72 % of it timed; the rest: loads 1.8 s, contexts and warm-ups 3.1 s, ...": where the sweep's time
// went (the run's row in the store keeps it too).
std::string phases_text(const sweep::Phases& p) {
    if (!p.possible())
        return fmt::format("{:.1f} s, but the tests and loads report {:.1f} s of their own: an engine's clock "
                           "misreported, so where the time went is unknown",
                           p.wall_s, p.timed_s + p.load_s);
    std::vector<std::string> rest;
    for (const auto& [what, seconds] : {std::pair{"loads", p.load_s},
                                        {"contexts, warm-ups and depths", p.untimed_s()},
                                        {"process starts", p.process_s()},
                                        {"the machine's roofs", p.machine_s},
                                        {"llmsweep", p.own_s()}})
        if (seconds >= 0.05) rest.push_back(fmt::format("{} {:.1f} s", what, seconds));
    return fmt::format("{:.1f} s, {:.0f} % of it timed{}{}", p.wall_s, 100 * p.timed_share(),
                       rest.empty() ? "" : "; the rest: ", fmt::join(rest, ", "));
}

void run(const RunArgs& args) {
    const sweep::SweepSpec spec = spec_of(args.spec_file, args.flags);

    const engine::HostInfo host = engine::host_info();
    const sweep::Plan plan = sweep::make_plan(spec, host.physical_cores);
    // A llama-bench is asked what it understands before anything else; a setting it cannot express fails
    // here, not mid-sweep.
    std::vector<llama_bench::LlamaBenchCli> llama_bench;
    std::vector<std::string> first_command;
    if (spec.engine == sweep::Engine::llama_bench) {
        for (const std::string& binary : spec.llama_bench)
            llama_bench.push_back(llama_bench::probe_llama_bench(binary));
        for (const auto& point : plan.points)
            llama_bench::llama_bench_command(sweep::llama_bench_of(point.load, llama_bench), {&point},
                                             sweep::command_settings(spec, 1));
        first_command = sweep::first_llama_bench_command(spec, plan, llama_bench);
    }
    const bool db_exists = std::filesystem::exists(args.db);
    if (args.dry_run) {
        std::unique_ptr<store::Store> store;
        if (db_exists) store = std::make_unique<store::Store>(args.db, store::Store::Access::read_only);
        print_plan(spec, plan, store.get(), host);
        if (!first_command.empty())
            say("the first llama-bench: {}\n", escape::terminal(fmt::format("{}", fmt::join(first_command, " "))));
        if (spec.mode == domain::Mode::server && spec.serving.url.empty()) {
            // Its port is drawn when it starts.
            const auto& first = plan.points[plan.groups[plan.visits.front().group].front()];
            say("the first llama-server: {}\n",
                escape::terminal(
                    fmt::format("{}", fmt::join(serving::server_command(server_settings(spec), first, 0), " "))));
        }
        return;
    }

    install_interrupt_handler();
    store::Store store(args.db);
    const auto claim = claim_spec(args.db, args.wait, sweep::spec_key(spec));
    store.db().on_long_lock_wait([&] {
        say(stderr,
            "waiting for another process to release the lock on {}; what is measured is kept "
            "until it can be stored\n",
            escape::terminal(args.db));
    });
    std::optional<ServerLogFolder> server_logs;
    if (spec.mode == domain::Mode::server && spec.serving.url.empty()) server_logs.emplace();
    // Workers are this same binary, started in the worker role.
    const sweep::SweepOptions options{
        .fresh = args.fresh,
        .worker_executable = std::filesystem::read_symlink("/proc/self/exe").string(),
        .host = host,
        .build = engine::build_info(),
        .llama_bench = llama_bench,
        .server = server_settings(spec, server_logs ? server_logs->path() : std::filesystem::path()),
        .roofline = !args.no_roofline && spec.serving.url.empty()};
    auto observer = make_progress_observer(args.quiet              ? ProgressStyle::none
                                           : isatty(STDERR_FILENO) ? ProgressStyle::bar
                                                                   : ProgressStyle::lines,
                                           plan);
    sweep::SweepOutcome outcome;
    try {
        outcome = sweep::run_sweep(spec, plan, store, options, *observer);
    } catch (const Interrupted&) {
        observer.reset();
        say(stderr, "stopped: what was measured is in {}; run the same command again to finish the sweep\n",
            escape::terminal(args.db));
        throw;
    } catch (...) {
        if (server_logs) server_logs->keep();
        throw;
    }
    observer.reset();
    if (server_logs && outcome.failures > 0) server_logs->keep();
    if (outcome.already_complete) {
        say("this sweep is already complete in {} (run {}); pass --fresh to measure it again\n",
            escape::terminal(args.db), outcome.run_id);
    }
    if (!args.quiet) {
        print_summary(store, outcome.run_id);
        print_verdicts(store, args.db, outcome.run_id,
                       args.compare.empty() ? std::nullopt : std::optional<std::string>(args.compare),
                       spec.adaptive() ? std::string() : own_command_line());
    }
    say("{} run {}: {} measurement{}, {} failed point{}{}\n", escape::terminal(args.db), outcome.run_id,
        outcome.tasks_run, outcome.tasks_run == 1 ? "" : "s", outcome.failures, outcome.failures == 1 ? "" : "s",
        outcome.already_complete ? "" : "; " + phases_text(outcome.phases));
    // The orchestrator's own cost is a diagnostic: shown with -v.
    if (engine::llama_log_verbose() && outcome.tasks_run > 0 && spec.engine == sweep::Engine::native &&
        spec.mode != domain::Mode::server)
        say("orchestrator: peak RSS {}; between points median {:.2f} ms, p99 {:.2f} ms, max {:.2f} ms "
            "(store write included)\n",
            format_bytes(outcome.peak_rss_bytes), outcome.gap_median_ms, outcome.gap_p99_ms, outcome.gap_max_ms);
    // Failed points are data, but a run of nothing but failures (a model llama.cpp cannot load, a server that
    // never answers) is a failed job: a script that goes on to `report` would report nothing. The whole run
    // counts, what a resumed invocation found stored included; --strict asks more: that every result succeeded.
    const bool measured_nothing = store.count_samples(outcome.run_id) == 0;
    if (!measured_nothing && !args.strict) return;
    analysis::Filters filters;
    filters.run_id = outcome.run_id;
    const analysis::Dataset data = analysis::load_dataset(store, filters);
    const auto failed = std::find_if(data.records.begin(), data.records.end(),
                                     [](const analysis::Record& r) { return r.status != "ok"; });
    if (failed == data.records.end()) return;
    const std::string reason = failed->error.empty() ? std::string(failed->status) : std::string(failed->error);
    if (measured_nothing)
        throw Error(fmt::format("nothing was measured: every point of run {} failed (the first: {}); `llmsweep report "
                                "--db {}` lists each with its reason",
                                outcome.run_id, reason, shell_word(args.db)));
    const auto count =
        std::count_if(failed, data.records.end(), [](const analysis::Record& r) { return r.status != "ok"; });
    throw Error(fmt::format("{} of run {}'s {} results did not succeed (--strict); `llmsweep report` "
                            "lists them with their reasons",
                            count, outcome.run_id, data.records.size()));
}

} // namespace

Command add_run_command(CLI::App& app) {
    auto args = std::make_shared<RunArgs>();
    CLI::App* sub = app.add_subcommand("run", "Sweep llama.cpp over a parameter grid into an SQLite database");
    sub->footer("Lists take llama-bench's syntax: 64,128 or 64-1024*2 or 32-128+32; a flag may be repeated.\n"
                "A TOML file uses the same names (n_prompt = '64-1024*2', mmap = [0, 1]); flags override it.\n\n"
                "Examples:\n"
                "  llmsweep run -m a.gguf -m b.gguf --mmap 0,1 -p 64-1024*2 -n 32,64,128 -r 5\n"
                "  llmsweep run sweep.toml --dry-run\n"
                "  llmsweep run -m model.gguf --mode split -p 512 -n 128 --order grouped\n"
                "  llmsweep run -m model.gguf --mode split --engine llama-bench --llama-bench ~/cuda/bin/llama-bench "
                "-ngl 0,99\n"
                "  llmsweep run -m model.gguf --mode server -np 1,4 --concurrency 1,2,4,8 -p 512 -n 128 "
                "--slo ttft=500ms\n"
                "  llmsweep run --mode server --url http://127.0.0.1:8000 --api openai -m engine-x --rate 1,2,4\n\n"
                "Ctrl-C stops cleanly; the same command resumes where it stopped.");
    sub->add_option("spec", args->spec_file, "TOML sweep file");
    add_setting_options(*sub, std::shared_ptr<SettingFlags>(args, &args->flags));
    sub->add_option("--db", args->db, "SQLite database to write")->capture_default_str();
    sub->add_flag("--fresh", args->fresh, "Start a new run even if this spec was run into the database before");
    sub->add_flag("--wait", args->wait,
                  "When another process is running this sweep into the database, wait for it instead of exiting "
                  "with status 3");
    sub->add_flag("--no-roofline", args->no_roofline,
                  "Do not read the models' costs per token or measure the machine's memory bandwidth and compute "
                  "after the last point (the report then has no roofline)");
    sub->add_flag("--dry-run", args->dry_run, "Print the plan (points, loads, estimated time) and exit");
    sub->add_flag("-q,--quiet", args->quiet, "No progress and no summary table");
    sub->add_option("--compare", args->compare,
                    "The parameter whose verdicts the sweep ends with (default: the one it swept with several "
                    "values), as report --compare names it");
    sub->add_flag("--strict", args->strict,
                  "Exit with status 1 when a point failed, crashed or timed out (the sweep still finishes and "
                  "stores everything); by default failed points are data, and the exit status is 1 only when "
                  "nothing at all was measured");
    return {sub, [args] { run(*args); }};
}

Command add_worker_command(CLI::App& app) {
    CLI::App* sub = app.add_subcommand("worker", "");
    sub->group(""); // internal: started by `run`, one per model load
    return {sub, [] { engine::run_worker(std::cin, std::cout); }};
}

} // namespace llmsweep::cli
