// llmsweep bisect: finds the llama.cpp commit that made llama-bench slower. `git bisect run` drives it over a
// checkout; at each commit llmsweep builds llama-bench (with ccache where there is one), sweeps it interleaved
// in rounds with the good build's (adaptive rounds until the comparison is decided or the limit is reached), and
// answers git from the verdict: slower is bad, faster or equivalent is good, and an undecided comparison or a
// commit that does not build is skipped, so that noise cannot send the bisection the wrong way silently.

#include "analysis/comparison.hpp"
#include "cli/command.hpp"
#include "cli/format.hpp"
#include "core/child_process.hpp"
#include "core/error.hpp"
#include "core/escape.hpp"
#include "report/report_model.hpp"
#include "report/strings.hpp"
#include "report/tables.hpp"
#include "store/store.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <regex>

namespace llmsweep::cli {
namespace {

namespace fs = std::filesystem;

struct BisectArgs {
    std::string repo, good, bad, model, work = "bisect";
    int64_t n_prompt = 512, n_gen = 128, threads = 0, max_repetitions = 20;
    double margin = 3;
    std::vector<std::string> cmake_args;
    bool step = false;      // one commit, as git bisect run calls it
    std::string good_bench; // the step's: the good build's llama-bench
};

// git's answers to `git bisect run`: good, bad, skip (125), and stop the bisection (128 and above).
constexpr int git_good = 0, git_bad = 1, git_skip = 125, git_abort = 128;

// Builds llama-bench from `source` into `build`; its path, or "" (and the build's last lines on stderr) when the
// commit does not build.
std::string build_llama_bench(const fs::path& source, const fs::path& build, const std::vector<std::string>& extra) {
    std::vector<std::string> configure = {"cmake",
                                          "-S",
                                          source.string(),
                                          "-B",
                                          build.string(),
                                          "-DCMAKE_BUILD_TYPE=Release",
                                          "-DLLAMA_CURL=OFF",
                                          "-DLLAMA_BUILD_TESTS=OFF",
                                          "-DLLAMA_BUILD_EXAMPLES=OFF",
                                          "-DLLAMA_BUILD_SERVER=OFF"};
    if (!find_on_path("ccache").empty())
        configure.insert(configure.end(),
                         {"-DCMAKE_C_COMPILER_LAUNCHER=ccache", "-DCMAKE_CXX_COMPILER_LAUNCHER=ccache"});
    configure.insert(configure.end(), extra.begin(), extra.end());
    for (const auto& argv :
         {configure, std::vector<std::string>{"cmake", "--build", build.string(), "--target", "llama-bench"}}) {
        const ProgramResult r = run_program(argv);
        if (!r.succeeded()) {
            const std::string& out = r.output;
            say(stderr, "llama-bench did not build:\n{}\n",
                escape::terminal(out.size() > 2000 ? out.substr(out.size() - 2000) : out));
            return "";
        }
    }
    return (build / "bin" / "llama-bench").string();
}

// The step: this commit's llama-bench against the good one's, in rounds, and git's answer.
int run_step(const BisectArgs& args) {
    const fs::path work = fs::absolute(args.work);
    const ProgramResult head = run_program({"git", "rev-parse", "--short=9", "HEAD"});
    const std::string commit = head.succeeded() ? head.output.substr(0, head.output.find('\n')) : "unknown";
    say("bisect: building {}\n", escape::terminal(commit));
    const std::string bench = build_llama_bench(fs::current_path(), work / "build-step", args.cmake_args);
    if (bench.empty()) return git_skip;
    const fs::path copy = work / ("llama-bench-" + commit);
    fs::copy_file(bench, copy, fs::copy_options::overwrite_existing);
    const fs::path db = work / ("step-" + commit + ".db");
    std::vector<std::string> sweep = {fs::read_symlink("/proc/self/exe").string(),
                                      "run",
                                      "-m",
                                      args.model,
                                      "--mode",
                                      "split",
                                      "--engine",
                                      "llama-bench",
                                      "--llama-bench",
                                      args.good_bench + "," + copy.string(),
                                      "-p",
                                      std::to_string(args.n_prompt),
                                      "-n",
                                      std::to_string(args.n_gen),
                                      "-r",
                                      "3",
                                      "--max-repetitions",
                                      std::to_string(args.max_repetitions),
                                      "--decide",
                                      "llama_bench",
                                      "--margin",
                                      fmt::format("{}", args.margin),
                                      "--db",
                                      db.string(),
                                      "-q"};
    if (args.threads > 0) sweep.insert(sweep.end(), {"-t", std::to_string(args.threads)});
    const ProgramResult swept = run_program(sweep);
    if (!swept.succeeded()) {
        say(stderr, "bisect: the sweep of {} failed: {}\n", escape::terminal(commit), escape::terminal(swept.output));
        return git_skip;
    }
    store::Store store(db.string(), store::Store::Access::read_only);
    report::ReportOptions options;
    options.compare = "llama_bench";
    options.baseline = args.good_bench;
    options.margin_pct = args.margin;
    const report::ReportModel m = report::build_report(store, db.string(), options);
    int answer = git_good;
    for (const auto& c : m.comparisons) {
        say("bisect: {} {}: {:+.2f} % [{:+.2f}, {:+.2f}], {}\n", escape::terminal(commit), c.metric,
            c.effect.all.estimate, c.interval.low, c.interval.high,
            report::verdict_text(c.verdict, report::strings("en")));
        // Bad: slower beyond the margin, the whole interval (a slowdown within it, or a load that changed between
        // rounds, cannot name a commit; it is skipped, and git names a range).
        if (c.verdict == analysis::Verdict::slower && c.interval.high < -args.margin) answer = git_bad;
        else if (answer == git_good && c.verdict != analysis::Verdict::faster &&
                 c.verdict != analysis::Verdict::equivalent)
            answer = git_skip;
    }
    if (m.comparisons.empty()) answer = git_skip;
    say("bisect: {} is {}\n", escape::terminal(commit),
        answer == git_bad    ? "bad"
        : answer == git_good ? "good"
                             : "skipped (undecided)");
    return answer;
}

int run_git(const std::string& repo, const std::vector<std::string>& args) {
    std::string command = "git -C " + escape::shell(repo);
    for (const auto& a : args) command += " " + escape::shell(a);
    const int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : git_abort;
}

void run_bisect(const BisectArgs& args) {
    if (args.step) throw QuietExit{run_step(args)};
    for (const auto& [value, flag] : {std::pair{&args.repo, "--repo"}, {&args.good, "--good"}, {&args.bad, "--bad"}})
        if (value->empty()) throw UsageError(fmt::format("{} is required; see 'llmsweep bisect --help'", flag));
    if (!fs::is_directory(fs::path(args.repo) / ".git") && !fs::is_regular_file(fs::path(args.repo) / ".git"))
        throw UsageError(fmt::format("'{}' is not a git checkout; pass --repo a clone of llama.cpp", args.repo));
    if (!fs::is_regular_file(args.model)) throw UsageError(fmt::format("no model file '{}' (-m)", args.model));
    const ProgramResult status = run_program({"git", "-C", args.repo, "status", "--porcelain", "--untracked-files=no"});
    if (!status.succeeded() || !status.output.empty())
        throw UsageError(fmt::format("'{}' has changes that are not committed; bisect checks out other commits, so "
                                     "commit or stash them first",
                                     args.repo));
    const fs::path work = fs::absolute(args.work);
    fs::create_directories(work);
    // The good build, once, from a worktree of its own.
    const fs::path good_tree = work / "good-source";
    if (fs::exists(good_tree)) run_git(args.repo, {"worktree", "remove", "--force", good_tree.string()});
    if (run_git(args.repo, {"worktree", "add", "--detach", good_tree.string(), args.good}) != 0)
        throw UsageError(fmt::format("--good '{}' is not a commit of '{}'", args.good, args.repo));
    say("bisect: building the good build, {}\n", escape::terminal(args.good));
    const std::string good_bench = build_llama_bench(good_tree, work / "build-good", args.cmake_args);
    run_git(args.repo, {"worktree", "remove", "--force", good_tree.string()});
    if (good_bench.empty()) throw Error(fmt::format("the good commit '{}' does not build", args.good));
    const fs::path good_copy = work / "llama-bench-good";
    fs::copy_file(good_bench, good_copy, fs::copy_options::overwrite_existing);

    if (run_git(args.repo, {"bisect", "start", args.bad, args.good}) != 0)
        throw UsageError(
            fmt::format("git bisect could not start from --bad '{}' and --good '{}'", args.bad, args.good));
    std::vector<std::string> step = {"bisect",
                                     "run",
                                     fs::read_symlink("/proc/self/exe").string(),
                                     "bisect",
                                     "--step",
                                     "--good-bench",
                                     good_copy.string(),
                                     "-m",
                                     fs::absolute(args.model).string(),
                                     "-p",
                                     std::to_string(args.n_prompt),
                                     "-n",
                                     std::to_string(args.n_gen),
                                     "--max-repetitions",
                                     std::to_string(args.max_repetitions),
                                     "--margin",
                                     fmt::format("{}", args.margin),
                                     "--work",
                                     work.string()};
    if (args.threads > 0) step.insert(step.end(), {"-t", std::to_string(args.threads)});
    for (const auto& a : args.cmake_args) step.insert(step.end(), {"--cmake-arg", a});
    const int ran = run_git(args.repo, step);
    const ProgramResult log = run_program({"git", "-C", args.repo, "bisect", "log"});
    run_git(args.repo, {"bisect", "reset"});
    // git's log names the first bad commit: "# first bad commit: [SHA] subject".
    std::smatch found;
    const std::regex first_bad(R"(# first bad commit: \[([0-9a-f]+)\] ?(.*))");
    if (ran == 0 && std::regex_search(log.output, found, first_bad)) {
        say("first bad commit: {} {}\n", escape::terminal(found[1].str().substr(0, 12)),
            escape::terminal(found[2].str()));
        return;
    }
    throw Error(fmt::format("the bisection found no first bad commit (git bisect run exited {}); its log:\n{}", ran,
                            escape::terminal(log.output)));
}

} // namespace

Command add_bisect_command(CLI::App& app) {
    auto args = std::make_shared<BisectArgs>();
    CLI::App* sub = app.add_subcommand(
        "bisect", "Find the llama.cpp commit that made llama-bench slower (git bisect run, a verdict at each commit)");
    sub->footer(
        "At each commit llmsweep builds llama-bench (ccache where there is one) and sweeps it in rounds with the\n"
        "good commit's, a random order each round, until the comparison is decided or --max-repetitions: slower\n"
        "beyond --margin (the whole interval) is bad, faster or equivalent within --margin is good, and a smaller\n"
        "slowdown, an undecided comparison or a commit that does not build is skipped (git bisect then names the\n"
        "range), never guessed.\n\n"
        "Example:\n"
        "  llmsweep bisect --repo llama.cpp --good b7000 --bad master -m qwen2.5-0.5b-q8_0.gguf -p 512 -n 128");
    // Required but of a step (--step), which runs in the checkout git bisect has prepared.
    sub->add_option("--repo", args->repo, "A clone of llama.cpp, with nothing uncommitted (required)");
    sub->add_option("--good", args->good, "A commit with the old speed (required)");
    sub->add_option("--bad", args->bad, "A later commit that is slower (required)");
    sub->add_option("-m,--model", args->model, "The model llama-bench runs")->required();
    sub->add_option("-p,--n-prompt", args->n_prompt, "Prompt tokens of the pp test (0: none)")->capture_default_str();
    sub->add_option("-n,--n-gen", args->n_gen, "Generated tokens of the tg test (0: none)")->capture_default_str();
    sub->add_option("-t,--threads", args->threads, "Threads (default: llama-bench's)");
    sub->add_option("--max-repetitions", args->max_repetitions, "The most rounds per commit")->capture_default_str();
    sub->add_option("--margin", args->margin, "Differences within +-PCT percent are no regression")
        ->capture_default_str()
        ->check(CLI::Range(0.01, 100.0));
    sub->add_option("--cmake-arg", args->cmake_args, "One more argument for cmake's configure step (repeatable)")
        ->type_size(1)
        ->allow_extra_args(false);
    sub->add_option("--work", args->work, "Folder for the builds and each step's database")->capture_default_str();
    sub->add_flag("--step", args->step, "One commit, as git bisect run calls it")->group("");
    sub->add_option("--good-bench", args->good_bench, "The good build's llama-bench (--step)")->group("");
    return {sub, [args] { run_bisect(*args); }};
}

} // namespace llmsweep::cli
